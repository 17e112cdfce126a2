"""Single-flight: concurrent identical lookups share one upstream query.

For asyncio and trio alike, without a task per lookup: the first caller of a
key (the *leader*) awaits the lookup itself, in its own task; callers that
arrive while it runs (*followers*) wait on a :class:`~aioresolve._runtime.Waiter`
each, which the leader fills when the lookup ends.  A lookup nobody shares
therefore costs two dictionary operations more than calling the backend, and
no extra trip through the event loop (with a task per lookup, the
resolver gave 0.63x of its backend's throughput on unique names; see
``benchmarks/bench_resolver_overhead.py``).

Leaving early:

* a follower that is cancelled (or whose deadline expires) leaves alone; the
  lookup and the other callers are not disturbed;
* when the leader leaves early, its lookup stops with it (it ran in the
  leader's task); if followers are still waiting, the longest-waiting one
  becomes the leader and starts the lookup again (one more query, only in
  this case); with nobody waiting, nothing keeps running for nobody.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol, TypeVar

from ._cache_values import RUNNING, _Running
from ._runtime import Waiter, new_waiter

__all__ = ["RUNNING", "Flight", "SingleFlight"]

T = TypeVar("T")


class Flight(Protocol):
    """What :class:`~aioresolve.cache.LookupCache` needs of a single-flight implementation
    (:class:`SingleFlight`): a leader claims a key and
    reports how its lookup ended; other callers join with ``run``."""

    joined: int

    def __len__(self) -> int: ...

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> T: ...

    def claim(self, key: Hashable) -> bool: ...

    def done(self, key: Hashable, result: object) -> None: ...

    def failed(self, key: Hashable, error: BaseException) -> None: ...

    def left(self, key: Hashable) -> None: ...


class _Lead:
    """What a follower's waiter receives when it is to lead the lookup."""

    __slots__ = ()


_LEAD = _Lead()


#: The value of :attr:`SingleFlight.flights` for a lookup with no follower yet:
#: the cache claims and ends such lookups in that dict directly (its hot path).
#: Defined in :mod:`aioresolve._cache_values`, which both twins of the miss
#: path import: the miss path must not import this module (the CLI's bulk run
#: loads its name check, not single-flight).
_RUNNING = RUNNING


class _Flight:
    """One running lookup and the followers waiting for it, in arrival order."""

    __slots__ = ("waiters",)

    def __init__(self) -> None:
        self.waiters: dict[Waiter, None] = {}


class SingleFlight:
    """Runs at most one lookup per key at a time; later callers with the same
    key wait for that lookup's result (or exception) instead of starting another.

    See the module docstring for who runs the lookup and what happens when a
    caller leaves early.
    """

    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight | _Running] = {}
        #: The running lookups by key: :data:`RUNNING`, or their followers.  A
        #: caller may claim a key by setting it to :data:`RUNNING` where it is
        #: absent, and end its lookup by deleting it where it is still
        #: :data:`RUNNING` (else :meth:`done`/:meth:`failed`/:meth:`left`).
        self.flights = self._flights
        #: how many calls joined a lookup that was already running
        self.joined = 0

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> T:
        """Await ``start()``, or the identical lookup already running under ``key``."""
        flight = self._flights.get(key)
        if flight is not None:
            self.joined += 1
            if isinstance(flight, _Flight):
                return await self._follow(key, flight, start)
            first = self._flights[key] = _Flight()  # the first follower: someone to tell
            return await self._follow(key, first, start)
        # The leader's path, inline and allocation-free (a marker, no _Flight):
        # the common case, a name nobody else asks for right now, costs a
        # dictionary entry and nothing the garbage collector has to track.
        self._flights[key] = _RUNNING
        try:
            result = await start()
        except Exception as error:
            self.failed(key, error)
            raise
        except BaseException:  # cancelled (or KeyboardInterrupt): nothing to hand out
            self.left(key)
            raise
        self.done(key, result)
        return result

    # -- the leader's path as plain calls, for a caller that awaits the lookup
    # itself (one coroutine frame fewer per lookup than run()):
    #
    #     if flight.claim(key):              # we lead
    #         try: result = await lookup()
    #         except Exception as e: flight.failed(key, e); raise
    #         except BaseException: flight.left(key); raise
    #         flight.done(key, result)
    #     else:
    #         result = await flight.run(key, lookup)   # joins the running one

    def claim(self, key: Hashable) -> bool:
        """Lead the lookup ``key`` if none is running (then report its end with
        :meth:`done`, :meth:`failed` or :meth:`left`); ``False``: one is
        running, join it with :meth:`run`."""
        if key in self._flights:
            return False
        self._flights[key] = _RUNNING
        return True

    def done(self, key: Hashable, result: object) -> None:
        """The claimed lookup returned ``result``: hand it to its followers."""
        flight = self._flights.pop(key, None)
        if isinstance(flight, _Flight):
            self._settle(key, flight, None, result)

    def settle(self, key: Hashable, flight: object, result: object) -> None:
        """:meth:`done` for a caller that popped the key's value from
        :attr:`flights` itself (``flight``, neither ``None`` nor :data:`RUNNING`)."""
        if isinstance(flight, _Flight):
            self._settle(key, flight, None, result)

    def failed(self, key: Hashable, error: BaseException) -> None:
        """The claimed lookup raised ``error``: hand it to its followers."""
        flight = self._flights.pop(key, None)
        if isinstance(flight, _Flight):
            self._settle(key, flight, error)

    def left(self, key: Hashable) -> None:
        """The leader of the claimed lookup was cancelled: a follower takes over."""
        flight = self._flights.get(key)
        if isinstance(flight, _Flight):
            self._hand_over(key, flight)
        elif flight is _RUNNING:
            del self._flights[key]

    async def _lead(self, key: Hashable, flight: _Flight, start: Callable[[], Awaitable[T]]) -> T:
        try:
            result = await start()
        except Exception as error:
            self._settle(key, flight, error)
            raise
        except BaseException:  # cancelled (or KeyboardInterrupt): nothing to hand out
            self._hand_over(key, flight)
            raise
        self._settle(key, flight, None, result)
        return result

    async def _follow(
        self, key: Hashable, flight: _Flight, start: Callable[[], Awaitable[T]]
    ) -> T:
        waiter = new_waiter()
        flight.waiters[waiter] = None
        try:
            outcome = await waiter.wait()
        except BaseException:
            flight.waiters.pop(waiter, None)
            if waiter.value() is _LEAD:
                # Chosen to lead, but cancelled before it could start: pass it on.
                self._hand_over(key, flight)
            raise
        flight.waiters.pop(waiter, None)
        if outcome is _LEAD:
            return await self._lead(key, flight, start)
        return outcome  # type: ignore[no-any-return]

    def _settle(
        self, key: Hashable, flight: _Flight, error: BaseException | None, result: Any = None
    ) -> None:
        """Hand the lookup's outcome to every follower still waiting."""
        self._forget(key, flight)
        for waiter in flight.waiters:
            if waiter.done():
                continue
            if error is not None:
                waiter.set_error(error)
            else:
                waiter.set(result)

    def _hand_over(self, key: Hashable, flight: _Flight) -> None:
        """The leader left: the longest-waiting follower leads, or nobody is left."""
        for waiter in flight.waiters:
            if not waiter.done():
                waiter.set(_LEAD)
                return
        self._forget(key, flight)

    def _forget(self, key: Hashable, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
