"""Which async library is running (asyncio or trio), and the few primitives
the facade needs from each: a checkpoint, a deadline, a waiter, a thread.

The facade (:mod:`aioresolve._api`) asks :func:`current_library` on every
call, as httpcore and anyio do (through :mod:`sniffio`), so one
:class:`~aioresolve.Resolver` serves asyncio and trio code alike.  Nothing
here knows about DNS, backends or the cache.

trio is imported only when it is the running library: asyncio users never
pay for it, and it stays an optional dependency (``aioresolve[trio]``).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import sniffio

if TYPE_CHECKING:
    import trio

__all__ = [
    "Deadlines",
    "Expiry",
    "Library",
    "ThreadLimiter",
    "Waiter",
    "current_library",
    "is_trio_cancelled",
    "new_waiter",
    "running_loop",
]

T = TypeVar("T")

Library = Literal["asyncio", "trio"]

_thread_local = sniffio.thread_local
_cvar = sniffio.current_async_library_cvar


def current_library() -> Library:
    """``"asyncio"`` or ``"trio"``: the library running the calling task.

    The same answer as :func:`sniffio.current_async_library` (trio marks
    its threads and tasks for sniffio; everything else that runs is asyncio),
    without its generality: this runs on every lookup.

    :raises RuntimeError: called outside a running event loop, or under an
        async library aioresolve does not support (curio).
    """
    name = _thread_local.name or _cvar.get()
    if name is None:
        if asyncio._get_running_loop() is not None:
            return "asyncio"
        name = sniffio.current_async_library()  # raises AsyncLibraryNotFoundError
    if name == "trio":
        return "trio"
    if name == "asyncio":
        return "asyncio"
    raise RuntimeError(f"aioresolve runs under asyncio or trio, not under {name}")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop of the calling task, or ``None`` under trio:
    :func:`current_library` and the loop in one step.

    On asyncio, a lookup needs its loop (futures, the backend's engine), and
    asking for it costs a ``getpid()`` system call each time on CPython 3.11
    (``asyncio.get_running_loop`` checks for a fork): ~0.6 µs on the 2-core
    test VM, three times per lookup before the facade passed the loop on.

    :raises RuntimeError: as :func:`current_library`.
    """
    name = _thread_local.name or _cvar.get()
    if name is None:
        loop = asyncio._get_running_loop()
        if loop is not None:
            return loop
        name = sniffio.current_async_library()  # raises AsyncLibraryNotFoundError
    if name == "trio":
        return None
    if name == "asyncio":
        return asyncio.get_running_loop()
    raise RuntimeError(f"aioresolve runs under asyncio or trio, not under {name}")


def is_trio_cancelled(exc: BaseException) -> bool:
    """Whether ``exc`` is trio's cancellation (without importing trio)."""
    return type(exc).__name__ == "Cancelled" and type(exc).__module__.startswith("trio")


# -- waiters: how a caller waits for a lookup another caller runs ---------------

_PENDING: Any = object()


class Waiter:
    """A one-shot slot that one task waits on and another fills.

    ``set(value)`` / ``set_error(exc)`` wake the waiter; :meth:`wait` returns
    the value or raises the error.  A waiter whose task is cancelled while
    waiting raises the library's cancellation from :meth:`wait` as usual.
    """

    __slots__ = ()

    def done(self) -> bool:
        raise NotImplementedError

    def set(self, value: object) -> None:
        raise NotImplementedError

    def set_error(self, error: BaseException) -> None:
        raise NotImplementedError

    def value(self) -> object:
        """What :meth:`set` gave, or ``_PENDING``."""
        raise NotImplementedError

    async def wait(self) -> Any:
        raise NotImplementedError


class _AsyncioWaiter(Waiter):
    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def done(self) -> bool:
        return self._future.done()

    def set(self, value: object) -> None:
        self._future.set_result(value)

    def set_error(self, error: BaseException) -> None:
        self._future.set_exception(error)

    def value(self) -> object:
        future = self._future
        if future.done() and not future.cancelled() and future.exception() is None:
            return future.result()
        return _PENDING

    async def wait(self) -> Any:
        return await self._future


class _TrioWaiter(Waiter):
    __slots__ = ("_error", "_event", "_value")

    def __init__(self) -> None:
        import trio

        self._event = trio.Event()
        self._value: object = _PENDING
        self._error: BaseException | None = None

    def done(self) -> bool:
        return self._event.is_set()

    def set(self, value: object) -> None:
        self._value = value
        self._event.set()

    def set_error(self, error: BaseException) -> None:
        self._error = error
        self._event.set()

    def value(self) -> object:
        return self._value

    async def wait(self) -> Any:
        await self._event.wait()
        if self._error is not None:
            raise self._error
        return self._value


def new_waiter() -> Waiter:
    """A :class:`Waiter` for the running library."""
    if current_library() == "trio":
        return _TrioWaiter()
    return _AsyncioWaiter()


# -- threads under trio --------------------------------------------------------


class ThreadLimiter:
    """Runs blocking calls in trio's worker threads, at most ``size`` at once.

    The trio counterpart of a ``ThreadPoolExecutor(max_workers=size)``: a
    cancelled call releases its caller at once and its thread finishes in the
    background (``abandon_on_cancel=True``), as a cancelled
    ``run_in_executor`` does under asyncio.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._limiter: trio.CapacityLimiter | None = None

    async def run(self, func: Callable[..., T], *args: object) -> T:
        import trio

        if self._limiter is None:  # made lazily: it needs a running trio
            self._limiter = trio.CapacityLimiter(self.size)
        return await trio.to_thread.run_sync(
            functools.partial(func, *args), limiter=self._limiter, abandon_on_cancel=True
        )


# -- deadlines under asyncio ---------------------------------------------------


class Expiry:
    """One caller's deadline, set by :meth:`Deadlines.start`.

    :ivar fired: the deadline passed and the task was cancelled for it.
    """

    __slots__ = ("cancelling", "done", "fired", "task", "when")

    def __init__(self, when: float, task: asyncio.Task[Any]) -> None:
        self.when = when
        self.task = task
        self.fired = False
        self.done = False
        self.cancelling = 0

    def expire(self) -> None:
        self.fired = self.done = True
        if sys.version_info >= (3, 11):
            self.cancelling = self.task.cancelling()
        self.task.cancel()

    def ours(self) -> bool:
        """After :attr:`fired`: whether the deadline's cancellation was the only
        one (else someone else cancelled the task too, and that one wins)."""
        if sys.version_info >= (3, 11):
            return self.task.uncancel() <= self.cancelling
        return True  # pragma: no cover - Python 3.10 cannot tell


_new_expiry = object.__new__


class Deadlines:
    """The deadlines of every lookup with one ``timeout`` value, under asyncio.

    ``asyncio.timeout()`` (or one ``loop.call_later`` handle) per lookup costs
    a timer in the loop's heap for each; here one timer serves them all.
    Deadlines of one timeout value expire in the order they were set, so a
    FIFO holds them: :meth:`start` appends, :meth:`finish` marks an entry done
    (and drops done entries from the front), and the one timer, set for the
    oldest deadline, cancels the tasks whose deadline has passed and re-arms
    itself for the next.  An expired deadline cancels its task as
    ``asyncio.timeout()`` does; :meth:`Expiry.ours` then tells a timeout from
    a cancellation by someone else.
    """

    __slots__ = ("_handle", "_live", "_queue", "loop", "timeout")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self._queue: collections.deque[Expiry] = collections.deque()
        self._handle: asyncio.TimerHandle | None = None
        self._live = 0

    def start(self, task: asyncio.Task[Any]) -> Expiry:
        # Not Expiry(...): calling a Python class is not specialized on 3.11
        # (type.__call__, then an __init__ frame); its slots are set here.
        entry = _new_expiry(Expiry)
        entry.when = self.loop.time() + self.timeout
        entry.task = task
        entry.fired = entry.done = False
        entry.cancelling = 0
        self._queue.append(entry)
        self._live += 1
        if self._handle is None:
            self._handle = self.loop.call_at(entry.when, self._fire)
        return entry

    def finish(self, entry: Expiry) -> None:
        if not entry.done:
            entry.done = True
            self._live -= 1
        queue = self._queue
        while queue and queue[0].done:
            queue.popleft()
        if len(queue) > 2 * self._live + 64:  # a stuck lookup at the front: compact
            self._queue = collections.deque(e for e in queue if not e.done)

    def _fire(self) -> None:
        self._handle = None
        now = self.loop.time()
        queue = self._queue
        while queue:
            entry = queue[0]
            if not entry.done:
                if entry.when > now:
                    self._handle = self.loop.call_at(entry.when, self._fire)
                    return
                self._live -= 1
                entry.expire()
            queue.popleft()
