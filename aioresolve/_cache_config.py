"""How the lookup cache is configured (:class:`CacheConfig`) and what it
counts (:class:`CacheInfo`); both re-exported by :mod:`aioresolve.cache`,
whose :class:`~aioresolve.cache.LookupCache` is the lookup flow itself.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

__all__ = ["CacheConfig", "CacheInfo", "int_ttl_bounds"]


@dataclasses.dataclass(frozen=True)
class CacheConfig:
    """How a :class:`~aioresolve.Resolver` caches.  ``Resolver(cache=True)`` uses the defaults.

    :param max_size: entries kept; the least recently used one is evicted beyond it.
    :param min_ttl: TTLs below this are raised to it (seconds).  ``0`` keeps
        them: an answer with TTL 0 is then not cached, as RFC 1035 asks.
    :param max_ttl: TTLs above this are lowered to it (seconds).
    :param negative_ttl: seconds to cache NXDOMAIN / no-data results whose TTL
        the backend does not report; ``None`` (default) caches them only when
        it does (from the SOA, RFC 2308).
    :param max_negative_ttl: upper bound of negative TTLs (RFC 2308 suggests 1-3 hours).
    :param fixed_ttl: seconds to cache results that come without a TTL
        (every result of the system backend); ``None`` (default) caches them not at all.
    :param serve_stale: seconds after expiry during which an entry is still
        served while it is refreshed in the background (RFC 8767); ``0`` disables.
    :param clock: a monotonic clock in seconds; defaults to :func:`time.monotonic`
        (which asyncio's ``loop.time()`` reads too).  For tests of expiry.
    """

    max_size: int = 4096
    min_ttl: float = 0.0
    max_ttl: float = 86400.0
    negative_ttl: float | None = None
    max_negative_ttl: float = 3600.0
    fixed_ttl: float | None = None
    serve_stale: float = 0.0
    clock: Callable[[], float] | None = None

    def __post_init__(self) -> None:
        if self.max_size < 1:
            raise ValueError(f"max_size must be at least 1, not {self.max_size!r}")
        for field in ("min_ttl", "max_ttl", "max_negative_ttl", "serve_stale"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must not be negative, not {getattr(self, field)!r}")
        for field in ("negative_ttl", "fixed_ttl"):
            value = getattr(self, field)
            if value is not None and value < 0:
                raise ValueError(f"{field} must be None or non-negative, not {value!r}")
        if self.min_ttl > self.max_ttl:
            raise ValueError(f"min_ttl {self.min_ttl!r} exceeds max_ttl {self.max_ttl!r}")


@dataclasses.dataclass(frozen=True)
class CacheInfo:
    """Counters of a resolver's cache, as :meth:`~aioresolve.Resolver.cache_info` returns them.

    :ivar hits: lookups answered from the cache (including negative and stale hits).
    :ivar misses: lookups that had to run (or join a running one).
    :ivar negative_hits: hits that raised a cached NXDOMAIN / no-data error.
    :ivar stale_hits: hits served after expiry (serve-stale).
    :ivar coalesced: lookups that joined an identical lookup already running
        instead of sending their own query.
    :ivar refreshes: background refreshes started by serve-stale.
    :ivar evictions: entries dropped to stay within ``max_size``.
    :ivar expirations: entries found expired and dropped.
    :ivar size: entries now cached; ``max_size``: the bound.
    :ivar in_flight: shared lookups running now.
    """

    hits: int
    misses: int
    negative_hits: int
    stale_hits: int
    coalesced: int
    refreshes: int
    evictions: int
    expirations: int
    size: int
    max_size: int
    in_flight: int


def int_ttl_bounds(config: CacheConfig | None) -> tuple[int, float]:
    """Bounds within which an int TTL is positive and needs no clamping: ints
    (an infinite ``max_ttl`` stays inf), so that an answer's int TTL compares
    without a float; without a config, none (low 1 above high 0)."""
    if config is None:
        return 1, 0
    high = math.floor(config.max_ttl) if math.isfinite(config.max_ttl) else config.max_ttl
    return max(1, math.ceil(config.min_ttl)), high
