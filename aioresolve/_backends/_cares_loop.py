"""One pycares channel driven by one asyncio loop (no threads); see :mod:`.cares`.

c-ares tells us which sockets it wants watched (``sock_state_cb``); the loop
watches them with ``add_reader``/``add_writer`` and one timer from
``ares_timeout()`` drives retries, so every callback of c-ares runs on the
loop's thread, inside ``process_fd``, and completes its future directly.  A
sweep ends lookups c-ares never called back for (the last-resort deadline).
Also here: two work-arounds applied while pycares 5.2 builds a channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pycares

from .._errors import ResolverClosed

__all__ = ["Done", "Loop"]

_E = pycares.errno
_BAD = pycares.ARES_SOCKET_BAD

#: Submissions between two reads of answers that already arrived (see Loop._drain).
_DRAIN_EVERY = 32

#: The completion callback a request gets: (result, status or None).
Done = Callable[[Any, "int | None"], None]


# c-ares' ARES_OPT_QUERY_CACHE (ares.h: 1 << 21, beside ARES_OPT_EVENT_THREAD's
# 1 << 22); pycares 5.2 neither exports it nor sets ``qcache_max_ttl``.
_ARES_OPT_QUERY_CACHE = 1 << 21


class _NoQueryCache:
    """Stands in for pycares' ``_lib`` while a channel is built: it adds
    ``ARES_OPT_QUERY_CACHE`` with ``qcache_max_ttl = 0`` (which disables it) to
    ``ares_init_options``.  c-ares 1.34 otherwise caches every answer up to its
    TTL with no size bound: measured, ~1.6 KB per unique name, 187 MiB peak
    for a 100k-name bulk run.  The Resolver's own cache is bounded (LRU)."""

    def __init__(self, lib: Any) -> None:
        self._lib = lib

    def ares_init_options(self, channel: Any, options: Any, optmask: int) -> Any:
        options.qcache_max_ttl = 0
        return self._lib.ares_init_options(channel, options, optmask | _ARES_OPT_QUERY_CACHE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lib, name)


class _KeepAlive:
    """Stands in for pycares' ``_ffi`` while a channel is built: every
    ``new()`` is remembered, everything else is the real FFI object."""

    def __init__(self, ffi: Any) -> None:
        self._ffi = ffi
        self.kept: list[Any] = []

    def new(self, *args: Any) -> Any:
        obj = self._ffi.new(*args)
        self.kept.append(obj)
        return obj

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ffi, name)


_ffi_lock = threading.Lock()


@contextlib.contextmanager
def _keep_option_strings() -> Iterator[list[Any]]:
    """Work around pycares 5.2: ``Channel()`` stores ``_ffi.new()`` strings for
    ``lookups`` and ``resolvconf_path`` in the options struct without keeping
    a reference, so they may be freed (and reused, e.g. by the search list)
    before c-ares copies them: lookups then fail at random with
    ARES_ECONNREFUSED without sending a packet.  Keeping every allocation made
    while the channel is built alive fixes it."""
    with _ffi_lock:
        real, real_lib = pycares._ffi, pycares._lib  # type: ignore[attr-defined]
        proxy = _KeepAlive(real)
        pycares._ffi = proxy  # type: ignore[attr-defined]
        pycares._lib = _NoQueryCache(real_lib)  # type: ignore[attr-defined]
        try:
            yield proxy.kept
        finally:
            pycares._ffi, pycares._lib = real, real_lib  # type: ignore[attr-defined]


class Request:
    """A request whose outcome goes to a callback instead of a future
    (:meth:`Loop.begin`); in :attr:`Loop.pending` it answers ``done()`` and
    ``set_result()`` as a future would."""

    __slots__ = ("finish", "live")

    def __init__(self, finish: Callable[[tuple[Any, int | None]], object]) -> None:
        self.finish = finish
        self.live = True

    def done(self) -> bool:
        return not self.live

    def set_result(self, outcome: tuple[Any, int | None]) -> None:
        if self.live:
            self.live = False
            self.finish(outcome)


class Loop:
    """One pycares channel driven by one asyncio loop (see the module docstring)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, options: dict[str, Any], deadline: float
    ) -> None:
        self.loop = loop
        self.readers: set[int] = set()
        self.writers: set[int] = set()
        #: future (or Request) -> its last-resort deadline (loop time); insertion
        #: order is deadline order, since every lookup gets the same ``deadline``.
        self.pending: dict[asyncio.Future[Any] | Request, float] = {}
        self.deadline = deadline
        self.timer: asyncio.TimerHandle | None = None
        self.sweeper: asyncio.TimerHandle | None = None
        self.closed = False
        self.burst = 0  # lookups started, for _drain()
        self.options = options
        self._hosts_channel: pycares.Channel | None = None
        with _keep_option_strings() as self._option_strings:
            self.channel = pycares.Channel(sock_state_cb=self._sock_state, **options)

    def hosts_channel(self) -> pycares.Channel:
        """A second channel that only reads the hosts file (``lookups="f"``): it
        answers reverse lookups from the hosts file, as glibc's ``files``
        source does, and never sends a packet."""
        if self._hosts_channel is None:
            options = {**self.options, "lookups": "f"}
            with _keep_option_strings() as self._hosts_option_strings:
                self._hosts_channel = pycares.Channel(sock_state_cb=self._sock_state, **options)
        return self._hosts_channel

    # c-ares -> loop --------------------------------------------------------

    def _sock_state(self, fd: int, readable: bool, writable: bool) -> None:
        if self.closed:  # c-ares' shutdown thread may call this after close()
            return
        if readable and fd not in self.readers:
            self.loop.add_reader(fd, self._process, fd, _BAD)
            self.readers.add(fd)
        elif not readable and fd in self.readers:
            self.loop.remove_reader(fd)
            self.readers.discard(fd)
        if writable and fd not in self.writers:
            self.loop.add_writer(fd, self._process, _BAD, fd)
            self.writers.add(fd)
        elif not writable and fd in self.writers:
            self.loop.remove_writer(fd)
            self.writers.discard(fd)

    def _process(self, read_fd: int, write_fd: int) -> None:
        if self.closed:
            return
        self.channel.process_fd(read_fd, write_fd)
        self._arm_timer()

    def _on_timer(self) -> None:
        self.timer = None
        self._process(_BAD, _BAD)

    def _arm_timer(self) -> None:
        # One timer while anything is in flight; c-ares says when it next needs
        # to act (retry or give up).  Capped so a deadline c-ares shortens
        # later (it adapts timeouts to server latency) is never missed by long.
        if self.timer is None and self.pending and not self.closed:
            delay: float = self.channel.timeout(1.0)  # type: ignore[no-untyped-call]
            self.timer = self.loop.call_later(delay, self._on_timer)

    # lookups -----------------------------------------------------------------

    def start(self, submit: Callable[[Done], None]) -> asyncio.Future[Any]:
        """Start one c-ares request; the future gets ``(result, status)``."""
        if self.closed:
            raise ResolverClosed(backend="cares")
        fut: asyncio.Future[Any] = self.loop.create_future()
        self._start(fut, submit)
        return fut

    def begin(
        self, submit: Callable[[Done], None], finish: Callable[[tuple[Any, int | None]], object]
    ) -> Request:
        """Start one c-ares request; ``finish((result, status))`` is called once
        when it ends, unless :meth:`forget` was called first."""
        if self.closed:
            raise ResolverClosed(backend="cares")
        request = Request(finish)
        self._start(request, submit)
        return request

    def forget(self, request: Request) -> None:
        """Drop a request of :meth:`begin`: c-ares has no per-request cancel, so
        its answer (or its own timeout) still comes, and is dropped."""
        request.live = False
        self.pending.pop(request, None)

    def _start(self, fut: asyncio.Future[Any] | Request, submit: Callable[[Done], None]) -> None:
        self.pending[fut] = self.loop.time() + self.deadline

        def done(result: Any, status: int | None) -> None:
            # Runs on the loop thread inside process_fd (or at once in submit).
            self.pending.pop(fut, None)
            if not fut.done():  # a cancelled caller's result is dropped here
                fut.set_result((result, status))

        try:
            submit(done)
        except BaseException:
            self.pending.pop(fut, None)
            raise
        self._arm_timer()
        if self.sweeper is None:
            self.sweeper = self.loop.call_later(self._sweep_every(), self._sweep)
        self.burst += 1
        if self.burst % _DRAIN_EVERY == 0:
            self._drain()

    def _sweep_every(self) -> float:
        return max(self.deadline / 4, 0.05)

    def _sweep(self) -> None:
        """The last resort: end lookups c-ares has not called back for within
        ``deadline`` (c-ares' own retries end long before; this catches a
        callback that never comes) with ``ARES_ETIMEOUT``."""
        self.sweeper = None
        now = self.loop.time()
        expired = []
        for fut, deadline in self.pending.items():
            if deadline > now:
                break
            expired.append(fut)
        for fut in expired:
            del self.pending[fut]
            if not fut.done():
                fut.set_result((None, _E.ARES_ETIMEOUT))
        if self.pending and not self.closed:
            self.sweeper = self.loop.call_later(self._sweep_every(), self._sweep)

    def _drain(self) -> None:
        """Read answers that already arrived, without waiting for the loop.

        A burst of lookups (``gather`` of thousands) is submitted within one
        loop iteration, before the loop polls.  Answers pile up meanwhile and
        overflow the UDP receive buffer; the lost ones come back only after
        c-ares' retry timeout (seconds).  Reading every few dozen submissions
        keeps the buffer short.  (aiodns avoids this by reading in a thread.)
        """
        for fd in list(self.readers):
            if self.closed:
                return
            self.channel.process_fd(fd, _BAD)

    def close(self) -> None:
        """Fail what is in flight with ResolverClosed and release the channel."""
        if self.closed:
            return
        pending = list(self.pending)
        self.channel.cancel()  # callbacks run now, here, with ARES_ECANCELLED
        self.closed = True
        for fut in pending:
            if not fut.done():
                fut.set_result((None, _E.ARES_ECANCELLED))
        self.pending.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.sweeper is not None:
            self.sweeper.cancel()
            self.sweeper = None
        for fd in self.readers:
            self.loop.remove_reader(fd)
        for fd in self.writers:
            self.loop.remove_writer(fd)
        self.readers.clear()
        self.writers.clear()
        self.channel.close()  # destroyed by pycares' shutdown thread, sockets closed there
        if self._hosts_channel is not None:
            self._hosts_channel.close()
