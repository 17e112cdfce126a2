"""Record queries begun without a coroutine: the cache's miss path.

:func:`run_query` (what :meth:`aioresolve.cache.LookupCache.run_query` does)
hands the leader of an uncached query (asyncio, a backend that
:attr:`~aioresolve.Backend.begins_queries`) a :class:`BegunQuery`: the ``done``
callback the backend calls with the outcome, holding the plain
:class:`asyncio.Future` its caller awaits (``await query``).  The callback
stores the answer (or the negative answer, by its SOA), hands it to coalesced
followers and resolves the future, so that no coroutine of the cache's or the
backend's stays alive while the query runs (with 500 queries in flight every
object alive per lookup is walked by the garbage collector's young passes).
A caller whose ``await`` raised (cancelled, its deadline expired) calls
:func:`abandon`, which cancels the backend's query and lets a follower lead,
as :class:`~aioresolve._coalesce.SingleFlight` does for a leader that leaves.

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
from collections.abc import Awaitable, Callable, Generator, Hashable
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
           "Entry", "abandon", "begin_query", "plain_name", "run_query"]

#: sniffio's context variable's ``get``, bound once (compiled: no attribute
#: lookup nor bound method made per lookup, ~300 instructions).
_library_cvar_get = current_async_library_cvar.get

#: Record types :func:`~aioresolve._names.check_rtype` returns as they are
#: given (``tests/test_miss_twins.py`` checks it): a ``str`` in this set
#: needs no call, here and in :meth:`Resolver.query <aioresolve.Resolver.query>`.
PLAIN_RTYPES = frozenset((
    "A", "AAAA", "CNAME", "NS", "PTR", "MX", "SOA", "SRV", "TXT", "CAA", "NAPTR", "SVCB",
    "HTTPS", "TLSA", "URI", "DS", "DNSKEY", "SSHFP"))

#: What a begun query's caller awaits: exactly asyncio's (C) future, whose
#: type a task's fast path tests for (see BegunQuery).
_Future = asyncio.Future
#: Future's own set_result, bound once.
_future_set_result = asyncio.Future.set_result
#: Whether this is the compiled twin (``_begun_c``): ``_call_kw`` exists there.
_COMPILED = __name__.endswith("._begun_c")

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
    query = BegunQuery.__new__(BegunQuery)  # (no __init__: its fields set here)
    if _COMPILED:
        # Future(loop=loop) with the cache's keywords of its last loop (a
        # dict never changed once made, so read once it is consistent): a
        # keyword call of a class makes a dict of its keywords each time
        # (~550 instructions a lookup with its init's parsing, callgrind).
        kw = cache._future_kw
        if kw is None or kw["loop"] is not loop:
            kw = cache._future_kw = {"loop": loop}
        future = _call_kw(_Future, (), kw)  # type: ignore[name-defined]  # noqa: F821
    else:
        future = _Future(loop=loop)
    query.future = future
    query.cache = cache
    query.key = key
    query.backend = backend
    query.handle = None
    try:
        handle = backend.begin_query(name, rtype, query, loop)
    except BaseException as exc:  # refused before asking (IllegalName, closed)
        if cache._flight is not None:
            cache._flight.failed(key, exc)
        raise
    if not future.done():  # (the backend may have called back already)
        query.handle = handle
    return query


def _answered(self: BegunQuery, outcome: Answer | BaseException) -> None:
    """:meth:`BegunQuery.__call__`, the backend's callback: cache ``outcome``,
    hand it to the followers, resolve.  The common store (a TTL within the
    bounds, no serve-stale) written out; anything else goes through the
    cache's one store (:meth:`~aioresolve.cache.LookupCache._store`).  A
    module function, so that ``_begun.pxd`` can type its locals."""
    # handle = None: the query has ended (and no cycle through the backend's
    # query object).
    self.handle = None
    cache = self.cache
    key = self.key
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
    future = self.future
    if cache.closed and cache.closed_error is not None:
        with contextlib.suppress(asyncio.InvalidStateError):
            future.set_exception(cache.closed_error())  # answered after the owner closed
        return
    # Not contextlib.suppress: a context manager costs two calls per lookup.
    try:  # noqa: SIM105
        _future_set_result(future, outcome)  # (Future's own: no method lookup)
    except asyncio.InvalidStateError:  # cancelled, and the backend called back anyway
        pass


class BegunQuery:
    """The leader's end of a query begun by :func:`run_query`: the callback
    the backend calls with the outcome, and the plain :class:`asyncio.Future`
    (:attr:`future`) its caller awaits (``await query`` awaits that future).
    One object per lookup in flight, instead of the cache's and the backend's
    coroutines.

    Why not a subclass of ``Future`` (as it was): a task awaiting anything but
    a future of exactly that type leaves its C fast path (it looks up
    ``_asyncio_future_blocking``, calls ``get_loop()`` and a bound
    ``add_done_callback`` with a keyword, and ``result()`` by name on waking):
    ~2.2k instructions a lookup, callgrind.  So a cancelled caller's task
    cancels the plain future, and the caller, on the ``CancelledError`` at
    its ``await`` (any exception there), calls :func:`abandon`, which
    :meth:`cancels <cancel>` the backend's query and lets a follower lead: on the
    task's next step, before anyone awaiting the task sees it end."""

    __slots__ = ("backend", "cache", "future", "handle", "key")

    #: What the caller awaits: resolved (or failed) by the backend's callback.
    future: asyncio.Future[Answer]
    cache: LookupCache
    key: Hashable
    backend: Backend
    #: The backend's handle of the query while it runs; ``None`` once ended.
    handle: object

    def __call__(self, outcome: Answer | BaseException) -> None:
        """The backend's callback (see :func:`_answered`)."""
        _answered(self, outcome)

    def __await__(self) -> Generator[Any, None, Answer]:
        return self.future.__await__()

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the backend's query if it still runs, let a follower lead,
        and cancel :attr:`future` (what ``Future.cancel`` returns)."""
        handle = self.handle
        if handle is not None:
            self.handle = None
            self.backend.cancel_query(handle)
            flight = self.cache._flight
            if flight is not None:
                flight.left(self.key)
        return self.future.cancel(msg)

    def _failed(self, error: BaseException) -> None:
        """The query failed: cache a negative answer (by its SOA), hand the
        error to the followers, resolve."""
        cache, key, future = self.cache, self.key, self.future
        if cache.config is not None and is_negative(error):
            cache._store_error(key, error, negative_ttl_of(error))
        if cache._flight is not None:
            cache._flight.failed(key, error)
        if future.done():
            return
        if cache.closed and cache.closed_error is not None and not isinstance(
                error, ResolverClosed):
            closed = cache.closed_error()
            closed.__cause__ = error
            future.set_exception(closed)
        else:
            future.set_exception(error)


def abandon(found: object) -> None:
    """What a caller of :func:`run_query` calls when its ``await`` of what it
    returned raised (its task was cancelled, its deadline fired, the query
    failed): for a :class:`BegunQuery`, :meth:`BegunQuery.cancel` (nothing
    when the query has ended); for anything else, nothing."""
    if type(found) is BegunQuery:
        found.cancel()
