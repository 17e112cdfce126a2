"""Record queries begun without a coroutine: the cache's miss path.

:func:`run_query` (what :meth:`aioresolve.cache.LookupCache.run_query` does)
hands the leader of an uncached query (asyncio, a backend that
:attr:`~aioresolve.Backend.begins_queries`) a :class:`BegunQuery`: the future
its caller awaits, and the ``done`` callback the backend calls with the
outcome.  The callback stores the answer (or the negative answer, by its SOA),
hands it to coalesced followers and resolves the future, so that no coroutine
of the cache's or the backend's stays alive while the query runs (with 500
queries in flight every object alive per lookup is walked by the garbage
collector's young passes).  :meth:`BegunQuery.cancel` (the caller was
cancelled, or its deadline expired) cancels the backend's query and lets a
follower lead, as :class:`~aioresolve._coalesce.SingleFlight` does for a
leader that leaves.

This module is the reference of a compiled twin: ``setup.py`` compiles it
with Cython, as a whole, from a copy of this source (``_begun_c``, with the
C types of ``_begun.pxd``: :class:`CacheState` a C struct), and
:mod:`aioresolve._miss` picks the twin, so that the compiled miss path has this
one's semantics by construction.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from asyncio import _get_running_loop
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any

from sniffio import current_async_library_cvar
from sniffio import thread_local as _thread_local

from ._backends.base import Backend
from ._cache_values import RUNNING, is_negative, negative_ttl_of
from ._errors import ResolverClosed
from ._records import Answer

if TYPE_CHECKING:
    from ._coalesce import Flight, SingleFlight
    from .cache import CacheConfig, LookupCache

__all__ = ["MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "PLAIN_RTYPES", "BegunQuery", "CacheState",
           "Entry", "begin_query", "plain_name", "run_query"]

#: sniffio's context variable's ``get``, bound once (compiled: no attribute
#: lookup nor bound method made per lookup, ~300 instructions).
_library_cvar_get = current_async_library_cvar.get

#: Record types :func:`~aioresolve._names.check_rtype` returns as they are
#: given (``tests/test_miss_twins.py`` checks it): a ``str`` in this set
#: needs no call, here and in :meth:`Resolver.query <aioresolve.Resolver.query>`.
PLAIN_RTYPES = frozenset((
    "A", "AAAA", "CNAME", "NS", "PTR", "MX", "SOA", "SRV", "TXT", "CAA", "NAPTR", "SVCB",
    "HTTPS", "TLSA", "URI", "DS", "DNSKEY", "SSHFP"))

#: Future's own set_result, bound once (BegunQuery does not override it).
_future_set_result = asyncio.Future.set_result

#: RFC 1035 2.3.4: at most 255 octets on the wire, i.e. 253 characters of text
#: without the trailing dot (:data:`aioresolve._names.MAX_NAME_LENGTH`).
MAX_NAME_LENGTH = 253
#: RFC 1035 2.3.4: a label holds at most 63 octets.
MAX_LABEL_LENGTH = 63


class Entry:
    """One cached outcome: a result or an error, when it expires, and until
    when it may still be served stale (monotonic seconds).  Compiled, a C
    struct (``_begun.pxd``): the miss path's store sets its fields without
    an attribute lookup.  The stores make it with ``Entry.__new__(Entry)``
    and set every field themselves (calling the class runs a Python
    ``__init__`` frame in the pure twin: 0.68 µs against 0.18 µs, timeit)."""

    __slots__ = ("aged", "error", "expires", "stale_until", "value")

    value: Any
    error: BaseException | None
    expires: float
    stale_until: float
    #: (remaining seconds, the answer aged to them): answers are immutable,
    #: so hits within the same second share one aged copy.
    aged: tuple[int, Answer] | None

    def __init__(
        self, value: Any, error: BaseException | None, expires: float, stale_until: float
    ) -> None:
        self.value = value
        self.error = error
        self.expires = expires
        self.stale_until = stale_until
        self.aged = None


class CacheState:
    """What the miss path of :class:`~aioresolve.cache.LookupCache` (its base)
    reads and writes; compiled, a C struct whose fields the compiled miss path
    reads without a dictionary lookup.  :class:`~aioresolve.cache.LookupCache`
    sets every field in its ``__init__``."""

    config: CacheConfig | None
    closed: bool
    closed_error: Callable[[], BaseException] | None
    _entries: collections.OrderedDict[Hashable, Entry]
    _flight: Flight | None
    #: Our own SingleFlight (not another's Flight), and its running lookups,
    #: which the miss path claims and ends inline.
    _single: SingleFlight | None
    _flights: dict[Hashable, Any] | None
    _clock: Callable[[], float]
    _provides_ttl: bool
    #: A cache, TTLs from the answers, no serve-stale: the common store inline.
    _plain_ttls: bool
    #: An int TTL within [_ttl_low, _ttl_high] is positive and needs no clamping.
    _ttl_low: int
    _ttl_high: float
    _max_size: int
    _misses: int
    _evictions: int
    #: The backend of :func:`begin_query`: set by the resolver where record
    #: queries take :func:`run_query` (a cache or single-flight, a backend
    #: that begins queries), else ``None``.
    _begin_backend: Backend | None
    #: ``{"loop": loop}`` of the last loop a begun query ran on (compiled: the
    #: keywords of BegunQuery's init, see run_query); ``None`` when closed.
    _future_kw: dict[str, Any] | None


def plain_name(name: str) -> bool:
    """Whether ``name`` is a host name as :func:`aioresolve._names.to_alabel`
    returns it, and needs no change: 1-253 characters, labels of 1-63 of
    lower-case ASCII letters, digits, ``_`` and ``-`` (neither first nor
    last), ``*`` only as a label's first character, no trailing dot.

    The one implementation of that rule (``to_alabel``'s fast path and
    :func:`begin_query`'s): compiled, a C loop over the characters (~365
    instructions for a 13-character name under callgrind; ``to_alabel``'s two
    regular expressions and substring tests it replaces cost ~4.2k a lookup).
    Pure Python, a loop of bytecodes (slower than those regular expressions:
    see the Overhead section of docs/services.md).  The rest of the rules
    are ``to_alabel``'s.
    """
    longest = MAX_LABEL_LENGTH  # (compiled: a C integer, read once)
    if len(name) > MAX_NAME_LENGTH:
        return False
    label = 0  # characters of the current label so far
    last = "."  # the previous character ("." before the first)
    for ch in name:
        if ch == ".":
            if label == 0 or last == "-":
                return False
            label = 0
        elif ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch == "_" or (ch == "-" and label):
            label += 1
            if label > longest:
                return False
        elif ch == "*" and label == 0:
            label = 1
        else:
            return False
        last = ch
    return label != 0 and last != "-"


def begin_query(
    cache: LookupCache, name: object, rtype: object,
) -> Answer | Awaitable[Answer] | None:
    """:meth:`Resolver.query <aioresolve.Resolver.query>` without a timeout,
    its common case in one call: a record type of :data:`PLAIN_RTYPES`, a
    name :func:`plain_name` accepts, asyncio, a cache whose
    :attr:`~CacheState._begin_backend` is set, not closed.  What
    :func:`run_query` returns, or ``None`` where the case does not apply (the
    resolver then takes its general path, which checks and raises)."""
    backend = cache._begin_backend
    if (backend is None or cache.closed or type(rtype) is not str
            or rtype not in PLAIN_RTYPES or type(name) is not str or not plain_name(name)):
        return None
    # running_loop()'s common answer, inline (compiled: no Python frame, ~1k
    # instructions a lookup): no library marked for sniffio (trio marks its
    # threads and tasks) and a running asyncio loop.  Anything else (trio, no
    # loop, another library) takes the general path, which asks running_loop().
    if (_thread_local.name or _library_cvar_get()) is not None:
        return None
    loop = _get_running_loop()
    if loop is None:
        return None
    return run_query(cache, ("query", name, rtype), backend, name, rtype, loop)


def run_query(
    cache: LookupCache, key: Hashable, backend: Backend, name: str, rtype: str,
    loop: asyncio.AbstractEventLoop,
) -> Answer | Awaitable[Answer]:
    """:meth:`LookupCache.run_query <aioresolve.cache.LookupCache.run_query>`
    (see there)."""
    # dict's own get (an OrderedDict's is dict's): compiled, one C call, not
    # a method looked up on the OrderedDict.  (Always empty without a cache.)
    entry = dict.get(cache._entries, key)
    if entry is not None:
        served = cache._serve(key, entry, backend.query_with_ttl, (name, rtype))
        if served is not None:
            return served[0]  # type: ignore[no-any-return]
    flights = cache._flights
    if flights is not None:  # SingleFlight.claim, inline: one hash of the key
        size = len(flights)
        flights.setdefault(key, RUNNING)
        if len(flights) == size:  # running already: follow it
            return cache.run_timed(key, backend.query_with_ttl, name, rtype)
    elif cache._flight is not None and not cache._flight.claim(key):
        return cache.run_timed(key, backend.query_with_ttl, name, rtype)
    cache._misses += 1
    if not _AT_OFFSETS:
        future = BegunQuery(loop=loop)
        future.cache = cache
        future.key = key
        future.backend = backend
    else:  # compiled: the slots written in place (see _AT_OFFSETS)
        # BegunQuery(loop=loop) with the cache's keywords of its last loop (a
        # dict never changed once made, so read once it is consistent): a
        # keyword call of a class makes a dict of its keywords each time
        # (~550 instructions a lookup with its init's parsing, callgrind).
        kw = cache._future_kw
        if kw is None or kw["loop"] is not loop:
            kw = cache._future_kw = {"loop": loop}
        future = _call_kw(BegunQuery, (), kw)  # type: ignore[name-defined]  # noqa: F821
        _slot_set(future, _CACHE_AT, cache)  # type: ignore[name-defined]  # noqa: F821
        _slot_set(future, _KEY_AT, key)  # type: ignore[name-defined]  # noqa: F821
        _slot_set(future, _BACKEND_AT, backend)  # type: ignore[name-defined]  # noqa: F821
    try:
        handle = backend.begin_query(name, rtype, future, loop)
    except BaseException as exc:  # refused before asking (IllegalName, closed)
        if cache._flight is not None:
            cache._flight.failed(key, exc)
        raise
    if _AT_OFFSETS:
        _slot_set(future, _HANDLE_AT, handle)  # type: ignore[name-defined]  # noqa: F821
    else:
        future.handle = handle
    return future


def _answered(self: BegunQuery, outcome: Answer | BaseException) -> None:
    """:meth:`BegunQuery.__call__`, the backend's callback: cache ``outcome``,
    hand it to the followers, resolve.  The common store (a TTL within the
    bounds, no serve-stale) written out; anything else goes through the
    cache's one store (:meth:`~aioresolve.cache.LookupCache._store`).  A
    module function, so that ``_begun.pxd`` can type its locals."""
    # handle = None: no cycle through the backend's query object.
    if not _AT_OFFSETS or type(self) is not BegunQuery:
        self.handle = None
        cache = self.cache
        key = self.key
    else:  # compiled: the slots in place
        _slot_set(self, _HANDLE_AT, None)  # type: ignore[name-defined]  # noqa: F821
        cache = _slot_get(self, _CACHE_AT)  # type: ignore[name-defined]  # noqa: F821
        key = _slot_get(self, _KEY_AT)  # type: ignore[name-defined]  # noqa: F821
    if isinstance(outcome, BaseException):
        self._failed(outcome)
        return
    flights = cache._flights
    if flights is not None:
        # SingleFlight.done, inline: one dict operation (one hash of the key).
        flight = flights.pop(key, None)
        if flight is not RUNNING and flight is not None:
            cache._single.settle(key, flight, outcome)  # type: ignore[union-attr]
    elif cache._flight is not None:
        cache._flight.done(key, outcome)
    if cache._plain_ttls:  # a cache, TTLs from the answers, no serve-stale
        ttl = outcome.ttl
        # Int bounds within [min_ttl, max_ttl] and above 0, so that an int
        # TTL compares without a float; outside them, _store clamps.
        if ttl >= cache._ttl_low and ttl <= cache._ttl_high:
            expires = cache._clock() + ttl
            entries = cache._entries
            # (dict's own get, as in run_query: an entry is never None)
            if len(entries) >= cache._max_size and dict.get(entries, key) is None:
                # The least recently used entry evicted, and its object reused
                # (nothing holds an entry but the cache): no allocation for a
                # full cache, ~600 instructions a lookup (callgrind).
                entry = entries.popitem(False)[1]  # (positional: no keyword dict)
                cache._evictions += 1
                entries[key] = entry
            else:
                size = len(entries)
                entry = entries[key] = Entry.__new__(Entry)  # (not Entry(): see Entry)
                if len(entries) == size:  # it replaced one: now the most recent
                    entries.move_to_end(key)
            entry.value = outcome
            entry.error = entry.aged = None
            entry.expires = entry.stale_until = expires
        else:
            cache._store(key, outcome, ttl)
    elif cache.config is not None:
        cache._store(key, outcome, outcome.ttl if cache._provides_ttl else None)
    if cache.closed and cache.closed_error is not None:
        with contextlib.suppress(asyncio.InvalidStateError):
            self.set_exception(cache.closed_error())  # answered after the owner closed
        return
    # Not contextlib.suppress: a context manager costs two calls per lookup.
    try:  # noqa: SIM105
        _future_set_result(self, outcome)  # (Future's own: no method lookup)
    except asyncio.InvalidStateError:  # cancelled, and the backend called back anyway
        pass


class BegunQuery(asyncio.Future[Answer]):
    """The leader's end of a query begun by :func:`run_query`: the
    future its caller awaits, and the callback the backend calls with the
    outcome.  One object per lookup in flight, instead of the cache's and the
    backend's coroutines.  :meth:`cancel` (the caller was cancelled, or its
    deadline expired) cancels the backend's query and lets a follower lead."""

    __slots__ = ("backend", "cache", "handle", "key")

    cache: LookupCache
    key: Hashable
    backend: Backend
    handle: object

    __call__ = _answered  # the backend's callback

    def cancel(self, msg: Any = None) -> bool:
        if not self.done():
            handle = self.handle
            if handle is not None:
                self.handle = None
                self.backend.cancel_query(handle)
            flight = self.cache._flight
            if flight is not None:
                flight.left(self.key)
        return super().cancel(msg)

    def _failed(self, error: BaseException) -> None:
        """The query failed: cache a negative answer (by its SOA), hand the
        error to the followers, resolve."""
        cache, key = self.cache, self.key
        if cache.config is not None and is_negative(error):
            cache._store_error(key, error, negative_ttl_of(error))
        if cache._flight is not None:
            cache._flight.failed(key, error)
        if self.done():
            return
        if cache.closed and cache.closed_error is not None and not isinstance(
                error, ResolverClosed):
            closed = cache.closed_error()
            closed.__cause__ = error
            self.set_exception(closed)
        else:
            self.set_exception(error)


#: Compiled, the miss path writes and reads :class:`BegunQuery`'s slots at
#: their offsets in the object (``_begun.pxd``'s ``_slot_set`` and
#: ``_slot_get``, what the slots' descriptors do, without their generic
#: attribute lookup: ~900 instructions a lookup under callgrind), where each
#: is a plain, writable object slot; pure Python, and anywhere else, as
#: attributes.  (``_slot_offset``: -1 for anything but such a slot.)
if __name__.endswith("._begun_c"):
    _CACHE_AT = _slot_offset(BegunQuery, "cache")  # type: ignore[name-defined]  # noqa: F821
    _KEY_AT = _slot_offset(BegunQuery, "key")  # type: ignore[name-defined]  # noqa: F821
    _BACKEND_AT = _slot_offset(BegunQuery, "backend")  # type: ignore[name-defined]  # noqa: F821
    _HANDLE_AT = _slot_offset(BegunQuery, "handle")  # type: ignore[name-defined]  # noqa: F821
    _AT_OFFSETS = min(_CACHE_AT, _KEY_AT, _BACKEND_AT, _HANDLE_AT) >= 0
else:
    _CACHE_AT = _KEY_AT = _BACKEND_AT = _HANDLE_AT = -1
    _AT_OFFSETS = False
#: Whether the slots are used in place (the compiled twin; tests read it).
SLOTS_IN_PLACE: bool = bool(_AT_OFFSETS)
