"""Single-flight: concurrent identical lookups share one upstream query.

asyncio only; :mod:`aioresolve.anyio` has the structured-concurrency twin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class _Flight(Generic[T]):
    """One shared lookup and the futures of the tasks waiting for it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self.waiters: set[asyncio.Future[T]] = set()


class SingleFlight:
    """Runs at most one lookup per key at a time; later callers with the same
    key wait for that lookup's result (or exception) instead of starting another.

    A waiter that is cancelled (or whose timeout expires) leaves without
    cancelling the shared lookup, which the other waiters still need; when the
    last waiter leaves, the shared lookup is cancelled, so nothing runs for nobody.

    Each waiter awaits a future of its own, and one callback on the shared task
    settles them all: this costs less per waiter than :func:`asyncio.shield`
    (no callback and no outer future on the shared task per waiter), which
    matters when thousands of tasks ask for the same name at once.
    """

    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight[Any]] = {}
        #: how many calls joined a lookup that was already running
        self.joined = 0

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> T:
        """Await ``start()``, or the identical lookup already running under ``key``."""
        flight: _Flight[T] | None = self._flights.get(key)
        if flight is None:
            flight = self._start(key, start)
        else:
            self.joined += 1
        waiter: asyncio.Future[T] = flight.task.get_loop().create_future()
        flight.waiters.add(waiter)
        try:
            return await waiter
        finally:
            flight.waiters.discard(waiter)
            if not flight.waiters and not flight.task.done():
                # Nobody is left to use the answer.  Forget the flight now, so a
                # caller arriving while the task unwinds starts a fresh lookup
                # rather than joining one that is being cancelled.
                self._forget(key, flight)
                flight.task.cancel()
                # As asyncio.wait_for does: return only once the lookup has
                # ended, so a caller that gave up leaves nothing running.
                await asyncio.wait((flight.task,))

    def _start(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> _Flight[T]:
        async def body() -> T:
            return await start()

        task = asyncio.ensure_future(body())
        flight = _Flight(task)
        self._flights[key] = flight
        task.add_done_callback(lambda _: self._settle(key, flight))
        return flight

    def _settle(self, key: Hashable, flight: _Flight[Any]) -> None:
        """Hand the shared task's outcome to every waiter still waiting."""
        self._forget(key, flight)
        task = flight.task
        if task.cancelled():
            for waiter in flight.waiters:
                waiter.cancel()
            return
        # Retrieving the exception here also means asyncio never logs "exception
        # was never retrieved" for a lookup whose waiters all left.
        error = task.exception()
        for waiter in flight.waiters:
            if waiter.done():
                continue
            if error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(task.result())

    def _forget(self, key: Hashable, flight: _Flight[Any]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    def cancel_all(self) -> None:
        """Cancel every shared lookup (their waiters get :class:`asyncio.CancelledError`)."""
        for flight in list(self._flights.values()):
            flight.task.cancel()
        self._flights.clear()
