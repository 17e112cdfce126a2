"""asyncio-only backends under trio: a private asyncio loop in one thread.

The wire and c-ares backends are driven by an asyncio event loop (the wire
engine's ``add_reader``/``call_at``, c-ares' socket callbacks).  Under trio a
:class:`~aioresolve.Resolver` runs such a backend on an :class:`AsyncioBridge`:
one thread per resolver running its own asyncio loop, started at the first
lookup under trio and stopped by :meth:`~aioresolve.Resolver.close` (or when
the trio run that started it ends).  Everything the backend does happens on
that thread; the trio side only hands it calls and gets results back, so the
backend needs no change and answers exactly as it does under asyncio.

One call (:meth:`AsyncioBridge.call`) is: ``call_soon_threadsafe`` to start the
backend's coroutine as a task on the private loop, and, when it ends,
``TrioToken.run_sync_soon`` to reschedule the waiting trio task.  Cancellation
follows trio's rules: a cancelled trio caller cancels the asyncio task (which
cancels the query inside the backend: the wire engine's ``cancel``, c-ares'
pending request) and returns only once the backend has let go of it, so
nothing keeps running for a caller that left.  The cost is two cross-thread
wake-ups per lookup (tens of µs; see ``docs/backends.md``), paid only under
trio; asyncio users never start the thread.

This is option "bridge" of the design: trio-native shells (the wire codec on
trio sockets, pycares on ``trio.lowlevel.wait_readable``) would save the
thread hop, at the price of a second copy of the engine's retry, TCP fallback
and answer interpretation.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import outcome
    import trio

__all__ = ["AsyncioBridge"]

T = TypeVar("T")


class _Call:
    """One call in flight through the bridge (touched by both threads, in turn)."""

    __slots__ = ("cancel_requested", "raise_cancel", "task")

    def __init__(self) -> None:
        self.task: asyncio.Task[Any] | None = None
        self.cancel_requested = False
        self.raise_cancel: Callable[[], Any] | None = None


class AsyncioBridge:
    """A private asyncio loop in a daemon thread, for trio callers.

    :param name: names the thread (``aioresolve-<name>``).

    Made in the trio thread; :meth:`call` and :meth:`aclose` are awaited under
    trio.  :meth:`run` submits from any other thread or loop (e.g. an asyncio
    caller closing a resolver that ran under trio).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._scope: trio.CancelScope | None = None

    @property
    def running(self) -> bool:
        """Whether the thread and its loop run."""
        return self.loop is not None

    def start(self) -> asyncio.AbstractEventLoop:
        """Start the thread and its loop (if not running); the loop."""
        with self._lock:
            if self.loop is not None:
                return self.loop
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(
                target=_serve, args=(loop, ready), name=f"aioresolve-{self.name}", daemon=True
            )
            thread.start()
            ready.wait()
            self.loop, self._thread = loop, thread
            return loop

    async def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await func(*args)`` on the private loop, from trio.

        Not a checkpoint by itself before it blocks: callers check for
        cancellation first (the facade's every call does).  A cancelled
        caller raises :class:`trio.Cancelled` once the asyncio task has
        ended (its result, if it won the race, is delivered instead and the
        cancellation raised at the next checkpoint, as trio's own waits do).
        """
        import outcome
        import trio

        loop = self.loop if self.loop is not None else self.start()
        token = trio.lowlevel.current_trio_token()
        waiting = trio.lowlevel.current_task()
        state = _Call()

        def wake(result: outcome.Outcome[Any] | None) -> None:  # in the trio thread
            if result is None:  # the task was cancelled: on our request
                assert state.raise_cancel is not None
                result = outcome.capture(state.raise_cancel)
            trio.lowlevel.reschedule(waiting, result)

        def finished(task: asyncio.Task[Any]) -> None:  # in the loop's thread
            result: outcome.Outcome[Any] | None
            if task.cancelled():
                result = None if state.cancel_requested else outcome.Error(
                    _closed_error(self.name))
            else:
                error = task.exception()
                result = outcome.Value(task.result()) if error is None else outcome.Error(error)
            with contextlib.suppress(trio.RunFinishedError):  # the run is gone
                token.run_sync_soon(wake, result)

        def start() -> None:  # in the loop's thread
            if state.cancel_requested:  # cancelled before it could start
                token.run_sync_soon(wake, None)
                return
            try:
                task = loop.create_task(_awaited(func, args))
            except BaseException as exc:  # pragma: no cover - the loop is closing
                token.run_sync_soon(wake, outcome.Error(exc))
                return
            state.task = task
            task.add_done_callback(finished)

        def cancel() -> None:  # in the loop's thread
            if state.task is not None:
                state.task.cancel()

        def abort(raise_cancel: Callable[[], Any]) -> trio.lowlevel.Abort:  # in the trio thread
            state.raise_cancel = raise_cancel
            state.cancel_requested = True
            try:
                loop.call_soon_threadsafe(cancel)
            except RuntimeError:  # the loop was stopped meanwhile: nothing runs there
                return trio.lowlevel.Abort.SUCCEEDED
            return trio.lowlevel.Abort.FAILED  # woken by finished() once the task ended

        try:
            loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop is closed (aclose() raced us)
            raise _closed_error(self.name) from None
        result: T = await trio.lowlevel.wait_task_rescheduled(abort)
        return result

    def run(self, coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """Run ``coro`` on the private loop from an asyncio caller; await the
        returned future there."""
        loop = self.loop if self.loop is not None else self.start()
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    def stop(self) -> threading.Thread | None:
        """Stop the loop (its tasks are cancelled and it is closed in its own
        thread); the thread to join, or ``None`` if it was not running."""
        with self._lock:
            loop, thread = self.loop, self._thread
            self.loop = self._thread = None
        if loop is None:
            return None
        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(loop.stop)
        return thread

    def start_in_trio(self, at_run_end: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start the bridge from a trio task, to stop when the trio run ends.

        A trio system task waits for the end of the run (trio cancels system
        tasks then), awaits ``at_run_end()`` on the private loop (to release
        what the backend holds there) and stops the thread, so no thread
        outlives its run.  :meth:`aclose` ends that task at once.
        """
        import trio

        self.start()
        scope = self._scope = trio.CancelScope()
        trio.lowlevel.spawn_system_task(self._stop_with_run, scope, at_run_end)

    async def _stop_with_run(
        self, scope: trio.CancelScope, at_run_end: Callable[[], Awaitable[None]] | None
    ) -> None:
        import trio

        try:
            with scope:
                await trio.sleep_forever()
        finally:
            if self.running and not scope.cancel_called:  # the run ends, not aclose()
                with trio.CancelScope(shield=True):
                    if at_run_end is not None:
                        with contextlib.suppress(Exception):
                            await self.call(at_run_end)
                    await self.aclose()

    async def aclose(self) -> None:
        """Stop the loop and wait, under trio, for its thread to end."""
        import trio

        if self._scope is not None:
            self._scope.cancel()
            self._scope = None
        thread = self.stop()
        if thread is not None:
            await trio.to_thread.run_sync(thread.join)


async def _awaited(func: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> T:
    return await func(*args)


def _closed_error(name: str) -> BaseException:
    from ._errors import ResolverClosed

    return ResolverClosed(backend=name)


def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    """The bridge thread: run ``loop`` until stopped, then end its tasks and close it."""
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    try:
        loop.run_forever()
    finally:
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
