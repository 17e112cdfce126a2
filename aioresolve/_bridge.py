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
import collections
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

    __slots__ = ("args", "bridge", "cancel_requested", "func", "raise_cancel", "task", "waiting")

    def __init__(
        self, bridge: AsyncioBridge, func: Callable[..., Awaitable[Any]], args: tuple[Any, ...],
        waiting: trio.lowlevel.Task,
    ) -> None:
        self.bridge = bridge
        self.func = func
        self.args = args
        self.waiting = waiting
        self.task: asyncio.Task[Any] | None = None
        self.cancel_requested = False
        self.raise_cancel: Callable[[], Any] | None = None

    def finished(self, task: asyncio.Task[Any]) -> None:
        """The task's done callback, in the loop's thread: hand the outcome to trio."""
        import outcome

        result: outcome.Outcome[Any] | None
        if task.cancelled():  # on our request (None: trio's Cancelled), or the loop stopped
            result = None if self.cancel_requested else outcome.Error(
                _closed_error(self.bridge.name))
        else:
            error = task.exception()
            result = outcome.Value(task.result()) if error is None else outcome.Error(error)
        self.bridge._reply(self, result)


_START, _CANCEL = 0, 1


class AsyncioBridge:
    """A private asyncio loop in a daemon thread, for trio callers.

    :param name: names the thread (``aioresolve-<name>``).

    Made in the trio thread; :meth:`call` and :meth:`aclose` are awaited under
    trio.  :meth:`run` submits from any other thread or loop (e.g. an asyncio
    caller closing a resolver that ran under trio).

    Hand-offs are batched both ways: calls made while the loop has not yet
    picked up the previous ones share one ``call_soon_threadsafe`` wake-up,
    results finished in one loop iteration share one ``run_sync_soon``
    (500 lookups in flight: one wake-up per call each way cost ~190 µs of CPU
    per lookup on the shared 2-core box, against ~65 µs for the same lookup
    under asyncio; see docs/backends.md for the batched figure).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._scope: trio.CancelScope | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        # trio -> loop: (op, call); loop -> trio: (call, outcome or None)
        self._inbox: collections.deque[tuple[int, _Call]] = collections.deque()
        self._inbox_armed = False
        self._outbox: collections.deque[tuple[_Call, Any]] = collections.deque()
        self._outbox_armed = False

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
                target=self._serve, args=(loop, ready), name=f"aioresolve-{self.name}",
                daemon=True,
            )
            thread.start()
            ready.wait()
            self.loop, self._thread = loop, thread
            return loop

    # -- trio -> loop ------------------------------------------------------------

    def _post(self, op: int, call: _Call) -> bool:
        """Queue ``op`` for the loop; ``False`` if the loop is gone."""
        loop = self.loop
        if loop is None:
            return False
        self._inbox.append((op, call))
        if self._inbox_armed:
            return True  # a drain is scheduled and will see it (see _drain_inbox)
        self._inbox_armed = True
        try:
            loop.call_soon_threadsafe(self._drain_inbox)
        except RuntimeError:  # the loop was closed meanwhile
            return False
        return True

    def _drain_inbox(self) -> None:  # in the loop's thread
        import outcome

        # No lock: one thread posts, one drains, and the flag is cleared before
        # the drain, so an item posted while the flag still read True is seen
        # by this drain.  (With a lock here the two threads handed each other
        # the GIL on every call: _post took 74 µs of the trio thread's wall
        # time per call, 3 µs without; cProfile, 5,000 names, 500 in flight.)
        self._inbox_armed = False
        inbox = self._inbox
        loop = asyncio.get_running_loop()
        while inbox:
            op, call = inbox.popleft()
            if op == _CANCEL:
                if call.task is not None:
                    call.task.cancel()
                continue
            if call.cancel_requested:  # cancelled before it started
                self._reply(call, None)
                continue
            try:  # the coroutine itself becomes the task: no wrapper frame
                task = asyncio.ensure_future(call.func(*call.args), loop=loop)
            except Exception as exc:  # the call raised before returning an awaitable
                self._reply(call, outcome.Error(exc))
                continue
            call.task = task
            task.add_done_callback(call.finished)

    # -- loop -> trio ------------------------------------------------------------

    def _reply(self, call: _Call, result: Any) -> None:  # in the loop's thread
        self._outbox.append((call, result))
        if self._outbox_armed:
            return  # a drain is scheduled and will see it (as _drain_inbox)
        self._outbox_armed = True
        token = self._token
        try:
            if token is None:
                raise RuntimeError("no trio run")
            token.run_sync_soon(self._drain_outbox)
        except RuntimeError:  # trio.RunFinishedError: the run is gone, and its callers
            self._outbox.clear()
            self._outbox_armed = False

    def _drain_outbox(self) -> None:  # in the trio thread
        import outcome
        import trio

        self._outbox_armed = False
        outbox = self._outbox
        while outbox:
            call, result = outbox.popleft()
            if result is None:  # cancelled on trio's request: raise its Cancelled
                assert call.raise_cancel is not None
                result = outcome.capture(call.raise_cancel)
            trio.lowlevel.reschedule(call.waiting, result)

    async def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``await func(*args)`` on the private loop, from trio.

        Not a checkpoint by itself before it blocks: callers check for
        cancellation first (the facade's every call does).  A cancelled
        caller raises :class:`trio.Cancelled` once the asyncio task has
        ended (its result, if it won the race, is delivered instead and the
        cancellation raised at the next checkpoint, as trio's own waits do).
        """
        import trio

        if self.loop is None:
            self.start()
        if self._token is None:
            self._token = trio.lowlevel.current_trio_token()
        call = _Call(self, func, args, trio.lowlevel.current_task())

        def abort(raise_cancel: Callable[[], Any]) -> trio.lowlevel.Abort:
            call.raise_cancel = raise_cancel
            call.cancel_requested = True
            if not self._post(_CANCEL, call):  # the loop is gone: nothing runs there
                return trio.lowlevel.Abort.SUCCEEDED
            return trio.lowlevel.Abort.FAILED  # woken by _drain_outbox once the task ended

        if not self._post(_START, call):
            raise _closed_error(self.name)
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
        # The thread answers what is still queued (ResolverClosed) before it ends.
        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(loop.stop)
        return thread

    def _serve(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        """The bridge thread: run ``loop`` until stopped, then end its tasks
        (their callers get :class:`~aioresolve.ResolverClosed`), answer calls
        still queued the same way, and close the loop."""
        import outcome

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
                while self._inbox:
                    op, call = self._inbox.popleft()
                    if op == _START:
                        self._reply(call, None if call.cancel_requested
                                    else outcome.Error(_closed_error(self.name)))
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def start_in_trio(self, at_run_end: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start the bridge from a trio task, to stop when the trio run ends.

        A trio system task waits for the end of the run (trio cancels system
        tasks then), awaits ``at_run_end()`` on the private loop (to release
        what the backend holds there) and stops the thread, so no thread
        outlives its run.  :meth:`aclose` ends that task at once.
        """
        import trio

        self.start()
        with self._lock:  # a new run: nothing of an earlier one is pending
            self._token = trio.lowlevel.current_trio_token()
            self._outbox.clear()
            self._outbox_armed = False
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


def _closed_error(name: str) -> BaseException:
    from ._errors import ResolverClosed

    return ResolverClosed(backend=name)
