"""Reading a stream's async input in a task of its own (:class:`AsyncFeed`),
for :class:`~aioresolve._dns.stream.Stream`."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from typing import Any

__all__ = ["AsyncFeed"]


class AsyncFeed:
    """Reads an async input in a task of its own.

    The stream can then wait for "a name arrived" *or* "a result is ready",
    whichever comes first: awaiting the input inline would hold finished
    results back, and an input that waits for them (a crawler's) would never
    get one.  The task reads at most ``limit`` items ahead of the results
    handed out (:meth:`release`), so the input stays lazy; while the input
    yields without waiting, one wake-up brings a whole batch of items.
    """

    def __init__(self, items: AsyncIterator[Any], limit: int, wake: Callable[[], None]) -> None:
        self.items: collections.deque[Any] = collections.deque()
        self.exhausted = False
        self.error: BaseException | None = None
        self._it = items
        self._limit = limit
        self._ahead = 0  # items read whose result has not been handed out
        self._wake = wake
        self._room: asyncio.Future[None] | None = None
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    def release(self, count: int) -> None:
        """``count`` results were handed out (or items skipped): read as many more."""
        self._ahead -= count
        room = self._room
        if room is not None and not room.done():
            room.set_result(None)

    async def aclose(self) -> None:
        """Cancel a pending read (the input sees CancelledError) and wait until
        the task has ended, so that closing the stream leaves no task behind."""
        self._closing = True
        if not self._task.done():
            self._task.cancel()
            # wait() rather than await: a cancellation of the caller still propagates
            await asyncio.wait({self._task})

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                while self._ahead >= self._limit:
                    self._room = loop.create_future()
                    try:
                        await self._room
                    finally:
                        self._room = None
                item = await anext(self._it)
                if self._closing:  # the input swallowed our cancellation
                    return
                self._ahead += 1
                self.items.append(item)
                if len(self.items) == 1:  # the stream only waits for an item when it has none
                    self._wake()
        except StopAsyncIteration:
            pass
        except (Exception, asyncio.CancelledError) as exc:
            if self._closing:
                raise
            self.error = exc  # the input's own failure: the stream raises it
        finally:
            self.exhausted = True
            self._wake()
