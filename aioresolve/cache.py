"""The lookup cache and request coalescing behind :class:`~aioresolve.Resolver`.

Every :class:`~aioresolve.Resolver` passes its lookups (``getaddrinfo``,
``gethostbyname[_ex]``, ``gethostbyaddr``, ``getnameinfo``, ``query``,
``reverse``) through a :class:`LookupCache`:

* **Coalescing** ("single-flight", on by default): while a lookup is running,
  identical lookups wait for its result instead of sending their own query.
  A waiter that is cancelled or times out leaves alone; when the last one
  leaves, the shared lookup is cancelled.  An error reaches every waiter.
* **Caching** (on by default, but only where a TTL is known): an answer is kept
  for its TTL, clamped to ``[min_ttl, max_ttl]``, in a bounded LRU.  The TTL
  comes from the backend contract: the ``*_with_ttl`` lookups of
  :class:`~aioresolve.Backend` return ``(result, ttl)``; the wire and c-ares
  backends report the TTLs of the records behind a ``getaddrinfo`` or
  ``gethostbyname[_ex]`` and of every record query.  Results without a TTL are
  cached only when :attr:`CacheConfig.fixed_ttl` is set: the C library reports
  no TTL, so the system backend caches nothing unless you choose a fixed TTL.
* **Negative caching** (RFC 2308): ``NXDomain``/``NoData`` (and
  ``gaierror(EAI_NONAME/EAI_NODATA)``) are cached for the TTL the backend
  reports from the zone's SOA (``min(soa.ttl, soa.minimum)``: the error's
  ``negative_ttl``, or a :class:`~aioresolve._backends.base.NegativeAnswer`
  from a ``*_with_ttl`` lookup), else for :attr:`CacheConfig.negative_ttl` if
  set, else not at all.
  Timeouts, SERVFAIL, REFUSED and network errors are never cached.
* **Serve-stale** (RFC 8767, off by default): for ``serve_stale`` seconds after
  expiry an entry is still returned at once while one background lookup
  refreshes it; if the refresh fails the stale entry keeps being served until
  the window closes.

What differs from a DNS resolver's cache: the key is the whole call (every
argument of ``getaddrinfo``, or name and type of ``query``), not an RRset, so a
``getaddrinfo(host, 80)`` and a ``getaddrinfo(host, 443)`` are two entries.
Cached ``query`` answers carry the *remaining* TTL (as a recursive resolver's
do); socket-style results carry none.  Every caller gets its own copy of a
cached list, so mutating a result (as happy-eyeballs code does) is safe.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import math
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, TypeVar

from ._backends.base import Backend, NegativeAnswer, Timed
from ._cache_config import CacheConfig, CacheInfo, int_ttl_bounds
from ._cache_values import age_answer, copy_error, copy_result, is_negative, negative_ttl_of
from ._coalesce import Flight, SingleFlight
from ._errors import ResolverClosed
from ._miss import CacheState, Entry, run_query
from ._records import Answer

__all__ = [
    "CacheConfig", "CacheInfo", "Flight", "LookupCache", "is_negative", "negative_ttl_of",
    "timed_lookup",
]

T = TypeVar("T")

def timed_lookup(backend: Backend, key: tuple[Any, ...]) -> Callable[[], Awaitable[Timed[Any]]]:
    """The ``*_with_ttl`` call of the backend contract for a cache key
    (``key[0]`` names the lookup, ``key[1:]`` are its backend arguments).

    Only for :meth:`LookupCache.run`'s ``backend=`` form, which predates
    :meth:`LookupCache.run_timed`; callers that know their lookup pass the
    timed call themselves.  Lookups without a timed form report no TTL.
    """
    kind, args = key[0], key[1:]
    if kind == "getaddrinfo":
        return functools.partial(backend.getaddrinfo_with_ttl, *args)
    if kind == "gethostbyname":
        return functools.partial(backend.gethostbyname_with_ttl, *args)
    if kind == "gethostbyname_ex":
        return functools.partial(backend.gethostbyname_ex_with_ttl, *args)
    if kind == "query":
        return functools.partial(backend.query_with_ttl, *args)
    if kind == "gethostbyaddr":
        return functools.partial(_untimed, backend.gethostbyaddr, *args)
    if kind == "getnameinfo":
        return functools.partial(_untimed, backend.getnameinfo, *args)
    raise ValueError(f"no backend lookup is called {kind!r}")


async def _untimed(method: Callable[..., Awaitable[T]], *args: Any) -> Timed[T]:
    return await method(*args), None


class LookupCache(CacheState):
    """The cache and single-flight of one resolver.

    :param backend_provides_ttl: whether ``query`` answers carry real TTLs.
    :param config: a :class:`CacheConfig`, or ``None`` to coalesce without caching.
    :param coalesce: whether identical concurrent lookups share one query.
    :param flight: the single-flight to use instead of the asyncio one
        (:mod:`aioresolve.anyio` passes its own); implies ``coalesce``.
    :param spawn: starts a background refresh (``spawn(async_fn)``) instead of
        an asyncio task; the caller then owns its cancellation.
    :param closed_error: makes the error lookups raise once :attr:`closed` is
        set (the owner is closing): a lookup in flight then raises it instead
        of its result or failure, so the owner need not wrap every call.

    :ivar closed: set by the owner when it closes (see ``closed_error``).
    """

    def __init__(
        self,
        config: CacheConfig | None,
        *,
        backend_provides_ttl: bool,
        coalesce: bool = True,
        flight: Flight | None = None,
        spawn: Callable[[Callable[[], Coroutine[Any, Any, None]]], object] | None = None,
        closed_error: Callable[[], BaseException] | None = None,
    ) -> None:
        self.config = config
        self.closed = False
        self.closed_error = closed_error
        # time.monotonic is what asyncio's loop.time() reads, and works under trio too.
        self._clock: Callable[[], float] = (
            config.clock if config is not None and config.clock is not None else time.monotonic)
        self._provides_ttl = backend_provides_ttl
        self._entries: collections.OrderedDict[Hashable, Entry] = collections.OrderedDict()
        self._flight: Flight | None = (
            flight if flight is not None else SingleFlight() if coalesce else None
        )
        #: Our own SingleFlight (not another's Flight), whose running lookups the
        #: miss path of run_query claims and ends inline (two Python calls fewer
        #: per lookup).
        self._single = self._flight if isinstance(self._flight, SingleFlight) else None
        self._flights: dict[Hashable, Any] | None = (
            self._single.flights if self._single is not None else None)
        # What the store of a begun query reads (run_query), copied out of the config.
        self._plain_ttls = (config is not None and backend_provides_ttl
                            and config.serve_stale == 0)
        # An int TTL within [_ttl_low, _ttl_high] is positive and needs no clamping
        # (ints, so that the answer's int TTL is compared without a float).
        self._ttl_low, self._ttl_high = int_ttl_bounds(config)
        # An int (the bound a len() reaches) of at most sys.maxsize, which no
        # len() exceeds: a C integer in the compiled twin's CacheState.
        self._max_size = (min(math.ceil(config.max_size), sys.maxsize)
                          if config is not None else 0)
        #: Set by the resolver (see aioresolve._begun.begin_query).
        self._begin_backend: Backend | None = None
        self._future_kw: dict[str, Any] | None = None  # (see CacheState)
        self._spawn = spawn
        self._refreshing: dict[Hashable, asyncio.Task[Any] | None] = {}
        self._hits = self._misses = self._negative_hits = self._stale_hits = 0
        self._refreshes = self._evictions = self._expirations = 0

    # -- public -----------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether lookups need to pass through :meth:`run` at all (a cache or
        single-flight is on); when not, callers await the backend directly."""
        return self.config is not None or self._flight is not None

    def info(self) -> CacheInfo:
        return CacheInfo(
            hits=self._hits,
            misses=self._misses,
            negative_hits=self._negative_hits,
            stale_hits=self._stale_hits,
            coalesced=self._flight.joined if self._flight is not None else 0,
            refreshes=self._refreshes,
            evictions=self._evictions,
            expirations=self._expirations,
            size=len(self._entries),
            max_size=self.config.max_size if self.config is not None else 0,
            in_flight=len(self._flight) if self._flight is not None else 0,
        )

    def flush(self, key: Hashable | None = None) -> None:
        """Drop every entry (or the one under ``key``).  Lookups in flight are
        not disturbed; what they return is cached as usual."""
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)

    async def aclose(self) -> None:
        """Cancel background refreshes and drop every entry."""
        tasks = [task for task in self._refreshing.values() if task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._refreshing.clear()
        self._entries.clear()
        self._future_kw = None  # no reference to the last loop

    async def run_timed(
        self, key: Hashable, start: Callable[..., Awaitable[Timed[T]]], *args: Any
    ) -> T:
        """The result of the lookup ``key``: from the cache, from an identical
        lookup running now, or from ``start(*args)``, a ``*_with_ttl`` call of the
        backend contract whose ``(result, ttl)`` is then cached for ``ttl``
        (or :attr:`CacheConfig.fixed_ttl` where it is ``None``).

        ``key`` is anything hashable that identifies the call with all its
        arguments, e.g. ``("getaddrinfo", host, port, family, type, proto, flags)``.
        A :class:`~aioresolve._backends.base.NegativeAnswer` from ``start`` is
        cached for its TTL and its ``error`` raised.  ``args`` are passed to
        ``start`` (rather than bound with :func:`functools.partial` by the
        caller) so that a hit allocates nothing for a lookup it does not make.
        """
        if self.config is not None:
            entry = self._entries.get(key)
            if entry is not None:
                # The hot path (a fresh positive hit of a socket-style lookup)
                # inline: 2.6 µs instead of 4.4 µs per hit of run_timed alone,
                # measured on the shared (loaded) box; the rest goes through _serve.
                value = entry.value
                kind = type(value)
                if (kind is list or kind is str) and entry.error is None and (
                        self._clock() < entry.expires):
                    self._entries.move_to_end(key)
                    self._hits += 1
                    # getaddrinfo's list is copied; gethostbyname's str needs no copy
                    # (its hits went through _serve: 1.5-2.0 -> 1.1-1.7 µs per
                    # run_timed hit, shared box).
                    return list(value) if kind is list else value  # type: ignore[return-value]
                served = self._serve(key, entry, start, args)
                if served is not None:
                    return served[0]  # type: ignore[no-any-return]
        self._misses += 1
        flight = self._flight
        if flight is not None and not flight.claim(key):
            # An identical lookup is running: wait for it (or take it over
            # should its leader leave).  Waiters share one result: each gets a
            # copy it may mutate.
            try:
                shared = await flight.run(
                    key, functools.partial(self._fetch, key, functools.partial(start, *args)))
            except Exception as exc:
                if self.closed and self.closed_error is not None and not isinstance(
                        exc, ResolverClosed):
                    raise self.closed_error() from exc
                raise
            if self.closed and self.closed_error is not None:
                raise self.closed_error()
            return copy_result(shared)  # type: ignore[no-any-return]
        # The leader (or no coalescing): ``start()`` is awaited here, not in a
        # helper coroutine, so a lookup in flight keeps one frame of this
        # layer alive instead of four (run_timed, the flight's run, a lambda,
        # _fetch), each of which the garbage collector walks at every
        # collection while the lookup runs (Python calls per lookup in
        # benchmarks/bench_resolver_overhead.py's count: 42 -> 37).
        try:
            result, ttl = await start(*args)
        except NegativeAnswer as negative:
            error = negative.error
            if self.config is not None:
                self._store_error(key, error, negative.ttl)
            if flight is not None:
                flight.failed(key, error)
            if self.closed and self.closed_error is not None:
                raise self.closed_error() from error
            raise error from None
        except Exception as exc:
            if self.config is not None and is_negative(exc):
                self._store_error(key, exc, negative_ttl_of(exc))
            if flight is not None:
                flight.failed(key, exc)
            if self.closed and self.closed_error is not None and not isinstance(
                    exc, ResolverClosed):
                raise self.closed_error() from exc
            raise
        except BaseException:  # cancelled: a follower, if any, takes the lookup over
            if flight is not None:
                flight.left(key)
            raise
        if flight is not None:
            flight.done(key, result)
        if self.config is not None:
            self._store(key, result, ttl)
        if self.closed and self.closed_error is not None:
            raise self.closed_error()  # answered after the owner closed: as promised
        # The cache keeps the original, the caller gets a copy it may mutate.
        return copy_result(result)  # type: ignore[no-any-return]

    def run_query(
        self, key: Hashable, backend: Backend, name: str, rtype: str,
        loop: asyncio.AbstractEventLoop,
    ) -> Answer | Awaitable[Answer]:
        """:meth:`run_timed` of ``backend.query_with_ttl(name, rtype)`` for a
        backend that :attr:`~aioresolve.Backend.begins_queries`, under asyncio
        (``loop``: the running one): the cached :class:`~aioresolve.Answer`
        itself, or an awaitable of it.

        Not a coroutine.  A hit is returned (or its cached error raised) at
        once; followers of a running lookup take :meth:`run_timed`; the
        leader of an uncached query gets a
        :class:`~aioresolve._begun.BegunQuery` (see there), the backend's
        callback, which stores the outcome and resolves the future that
        ``await`` on it waits for; a caller whose ``await`` raised calls
        :func:`aioresolve._begun.abandon` with it.  (The function
        :func:`aioresolve._begun.run_query`, which the resolver calls itself,
        compiled where :mod:`aioresolve._miss` says so.)
        """
        return run_query(self, key, backend, name, rtype, loop)

    async def run(
        self, key: tuple[Any, ...], start: Callable[[], Awaitable[T]],
        backend: Backend | None = None,
    ) -> T:
        """Like :meth:`run_timed` for a plain lookup ``start()``.

        With ``backend``, the lookup named by ``key[0]`` (``"getaddrinfo"``,
        ``"gethostbyname"``, ``"gethostbyname_ex"``, ``"query"``; ``key[1:]``
        its arguments) runs as the backend's ``*_with_ttl`` call instead of
        ``start``, so that its TTL is known (see :func:`timed_lookup`).
        Without, only a record query's :class:`~aioresolve.Answer` (when the
        cache was made with ``backend_provides_ttl=True``) or
        :attr:`CacheConfig.fixed_ttl` gives a TTL.
        """
        if backend is not None:
            return await self.run_timed(key, timed_lookup(backend, key))
        return await self.run_timed(key, functools.partial(self._plain, start))

    async def _plain(self, start: Callable[[], Awaitable[T]]) -> Timed[T]:
        result = await start()
        if self._provides_ttl and isinstance(result, Answer):
            return result, result.ttl
        return result, None

    # -- hits -----------------------------------------------------------------

    def _now(self) -> float:
        return self._clock()

    def _serve(
        self, key: Hashable, entry: Entry, start: Callable[..., Awaitable[Timed[Any]]],
        args: tuple[Any, ...] = (),
    ) -> tuple[Any] | None:
        """``(result,)`` for a usable entry, ``None`` for a miss; raises a cached error."""
        now = self._now()
        if now >= entry.expires:
            if now >= entry.stale_until:
                del self._entries[key]
                self._expirations += 1
                return None
            self._stale_hits += 1
            self._refresh(key, functools.partial(start, *args) if args else start)
        self._entries.move_to_end(key)
        self._hits += 1
        if entry.error is not None:
            self._negative_hits += 1
            raise copy_error(entry.error)
        value = entry.value
        if isinstance(value, Answer):
            remaining = max(int(entry.expires - now), 0)
            aged = entry.aged
            if aged is None or aged[0] != remaining:
                aged = entry.aged = (remaining, age_answer(value, remaining))
            return (aged[1],)
        return (copy_result(value),)

    def _refresh(self, key: Hashable, start: Callable[[], Awaitable[Timed[Any]]]) -> None:
        if key in self._refreshing:
            return
        self._refreshes += 1

        async def refresh() -> None:
            try:
                if self._flight is None:
                    await self._fetch(key, start)
                else:
                    await self._flight.run(key, functools.partial(self._fetch, key, start))
            except Exception:
                pass  # RFC 8767: keep serving the stale entry until its window closes
            finally:
                self._refreshing.pop(key, None)

        if self._spawn is not None:
            self._refreshing[key] = None
            self._spawn(refresh)
        else:
            self._refreshing[key] = asyncio.ensure_future(refresh())

    # -- misses -----------------------------------------------------------------

    async def _fetch(self, key: Hashable, start: Callable[[], Awaitable[Timed[T]]]) -> T:
        """Run the lookup and cache its outcome."""
        try:
            result, ttl = await start()
        except NegativeAnswer as negative:
            if self.config is not None:
                self._store_error(key, negative.error, negative.ttl)
            raise negative.error from None
        except Exception as exc:
            if self.config is not None and is_negative(exc):
                self._store_error(key, exc, negative_ttl_of(exc))
            raise
        if self.config is not None:
            self._store(key, result, ttl)
        return result

    def _store(self, key: Hashable, result: object, ttl: float | None) -> None:
        """Cache a result for its TTL (:attr:`CacheConfig.fixed_ttl` where it
        is ``None``), clamped to ``[min_ttl, max_ttl]``: the one store of
        positive answers, but for the common one of a begun query
        (:meth:`aioresolve._begun.BegunQuery.__call__`)."""
        assert self.config is not None
        if ttl is None:
            ttl = self.config.fixed_ttl
        if ttl is not None:
            ttl = min(max(ttl, self.config.min_ttl), self.config.max_ttl)
            self._put(key, result, None, ttl)

    def _store_error(self, key: Hashable, error: BaseException, ttl: float | None) -> None:
        assert self.config is not None
        if ttl is None:
            ttl = self.config.negative_ttl
        if ttl is None:
            return
        ttl = min(max(ttl, self.config.min_ttl), self.config.max_negative_ttl)
        self._put(key, None, copy_error(error), ttl)

    def _put(self, key: Hashable, value: object, error: BaseException | None,
             ttl: float) -> None:
        """Cache ``value`` (or ``error``) for ``ttl`` seconds as the most recent entry."""
        assert self.config is not None
        if ttl <= 0:
            self._entries.pop(key, None)  # TTL 0: use once, never cache (RFC 1035 §3.2.1)
            return
        entry = Entry.__new__(Entry)  # (not Entry(): see aioresolve._begun.Entry)
        entry.value = value
        entry.error = error
        entry.aged = None
        entry.expires = expires = self._clock() + ttl
        entry.stale_until = expires + self.config.serve_stale
        entries = self._entries
        # A new key goes to the end by itself; only a replaced one needs moving
        # (move_to_end on every store cost 1.3 µs of 3.1, shared box).
        replaced = entries.pop(key, None) is not None
        entries[key] = entry
        if not replaced and len(entries) > self.config.max_size:
            entries.popitem(last=False)
            self._evictions += 1
