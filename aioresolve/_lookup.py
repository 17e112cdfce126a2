"""How one lookup of the facade runs: deadline, cache, async library, threads.

:class:`LookupRunner` is the base of :class:`~aioresolve.Resolver`: the
socket-mirroring methods there check and normalise their input, then hand the
backend call to :meth:`LookupRunner._lookup`, which applies the deadline,
passes the call through the cache and single-flight
(:class:`~aioresolve.cache.LookupCache`) and runs it under the calling task's
async library (asked of :func:`aioresolve._runtime.current_library` on every
call):

- **asyncio**: the backend's coroutine in the caller's task; deadlines share
  one timer per timeout value (:class:`~aioresolve._runtime.Deadlines`).
- **trio**: every call is a checkpoint (cache hits and literals too) and the
  deadline is a :func:`trio.move_on_after`.  A backend that runs under trio
  (``"system"``: libc in trio's threads) is awaited directly; an asyncio-only
  one (``"wire"``, ``"cares"``, a third-party :class:`~aioresolve.Backend`)
  runs on the resolver's :class:`~aioresolve._bridge.AsyncioBridge`, a private
  asyncio loop in one thread, and a cancelled caller cancels it there.

Services and protocols (``getservbyname`` …) are NSS lookups in two threads
of the resolver's own.
"""

# The socket-mirroring signatures include timeout= on purpose:
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from ._backends.base import Backend, Timed
from ._bridge import AsyncioBridge
from ._errors import IllegalName, ResolverClosed, Timeout
from ._miss import abandon
from ._records import Answer
from ._runtime import Deadlines, Expiry, ThreadLimiter, current_library, running_loop
from .cache import LookupCache

if TYPE_CHECKING:
    import trio

__all__ = ["ANY_PROTOCOL", "LookupRunner", "given", "reverse_name", "timeout_error", "untimed"]

T = TypeVar("T")


class _AnyProtocol(str):
    """Type of the default ``protocolname``: absent.  ``None`` cannot serve, since
    :mod:`socket` rejects an explicit ``None`` with a ``TypeError``."""

    def __repr__(self) -> str:
        return "<any protocol>"


#: The default ``protocolname`` of ``getservbyname``/``getservbyport``: absent.
ANY_PROTOCOL = _AnyProtocol()


def given(first: object, protocolname: str) -> tuple[object, ...]:
    """The positional arguments for socket, leaving out an absent protocol."""
    return (first,) if protocolname is ANY_PROTOCOL else (first, protocolname)


def timeout_error(what: tuple[str, tuple[object, ...]], timeout: float, backend: str) -> Timeout:
    """The :class:`~aioresolve.Timeout` of the call ``what`` (name, arguments)."""
    func, args = what
    shown = ", ".join(repr(a) for a in args)
    message = f"{func}({shown}) timed out after {timeout:g}s"
    return Timeout(message, timeout=timeout, backend=backend)


async def untimed(method: Callable[..., Awaitable[T]], *args: Any) -> Timed[T]:
    """A lookup whose results carry no TTL (``getnameinfo``, ``gethostbyaddr``)."""
    return await method(*args), None


def reverse_name(address: str) -> str:
    """The ``in-addr.arpa`` / ``ip6.arpa`` name of an IP address.

    :raises IllegalName: ``address`` is not an IP address.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise IllegalName(f"not an IP address: {address!r}", host=address) from None
    return ip.reverse_pointer


class LookupRunner:
    """The plumbing of :class:`~aioresolve.Resolver` (see the module docstring).

    The subclass sets the attributes below in its ``__init__`` and calls
    :meth:`_init_runner`.
    """

    backend: Backend
    timeout: float | None
    _closed: bool
    _lookups: LookupCache
    _cache_active: bool

    def _init_runner(self) -> None:
        # Services and protocols are NSS lookups too (usually /etc/services,
        # but NSS may be anything): two threads keep them off the loop.
        self._nss_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._nss_threads = ThreadLimiter(2)
        self._tasks: set[asyncio.Task[None]] = set()
        self._deadlines: dict[float, Deadlines] = {}
        self._scopes: set[trio.CancelScope] = set()
        #: Whether the backend runs under trio itself (else: through the bridge).
        self._trio_native = "trio" in self.backend.async_libraries
        self._bridge: AsyncioBridge | None = None
        #: Close the whole resolver (not only the bridge) when the trio run that
        #: started the bridge ends: the default resolver of that run.
        self._close_with_run = False

    def _closed_error(self) -> ResolverClosed:
        return ResolverClosed(backend=self.backend.name)

    def _check_open(self) -> None:
        if self._closed:
            raise ResolverClosed(backend=self.backend.name)

    async def _close_runner(self) -> None:
        """Cancel background work, then close the cache and the backend."""
        if self._nss_pool is not None:
            self._nss_pool.shutdown(wait=False, cancel_futures=True)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for scope in self._scopes:
            scope.cancel()
        if tasks:  # asyncio's refreshes: returned only once they have ended
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._lookups.aclose()
        bridge = self._bridge
        if bridge is not None and bridge.running:
            # The backend lives on the bridge's loop: close it there, then the thread.
            if current_library() == "trio":
                await bridge.call(self.backend.aclose)
                await bridge.aclose()
            else:
                await bridge.run(self.backend.aclose())
                bridge.stop()
            return
        await self.backend.aclose()

    def _spawn(self, async_fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start a serve-stale refresh in the background; :meth:`close` cancels it."""
        if current_library() == "trio":
            import trio

            scope = trio.CancelScope()
            self._scopes.add(scope)

            async def guarded() -> None:
                with scope:
                    await async_fn()
                self._scopes.discard(scope)

            trio.lowlevel.spawn_system_task(guarded)
            return
        task = asyncio.get_running_loop().create_task(async_fn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- one lookup ------------------------------------------------------------

    def _lookup(
        self,
        backend: Backend,
        key: tuple[Any, ...],
        timed: Callable[..., Awaitable[Timed[T]]],
        plain: Callable[..., Awaitable[T]],
        timeout: float | None,
        what: tuple[str, tuple[object, ...]],
        begun: bool = False,
    ) -> Awaitable[T]:
        """Run one backend lookup under the deadline.  Every lookup passes here.

        ``key`` is the lookup's name and backend arguments (``key[1:]``); with a
        cache or coalescing on, the call goes through them (``timed``, the
        backend's ``*_with_ttl`` method), else straight to ``plain``.  The
        deadline bounds this caller's wait only.

        Not a coroutine: the common case (asyncio, no deadline, the cache on)
        returns the cache's coroutine itself, so a lookup in flight keeps one
        frame fewer alive (the cache raises :class:`ResolverClosed` for a
        lookup that ends after :meth:`close` began, see ``closed_error``).
        ``begun``: a record query (``key`` is ``("query", name, rtype)``) of a
        backend that :attr:`~aioresolve.Backend.begins_queries`, which the
        cache then drives without a coroutine (:meth:`LookupCache.run_query`).
        """
        if self._closed:
            raise ResolverClosed(backend=backend.name)
        loop = running_loop()
        if loop is None:
            return self._lookup_trio(backend, key, timed, plain, timeout, what)
        if timeout is None and self.timeout is None and self._cache_active:
            if begun:
                return self._query(key, backend, loop)  # type: ignore[return-value]
            return self._lookups.run_timed(key, timed, *key[1:])
        return self._lookup_asyncio(backend, key, timed, plain, timeout, what, begun, loop)

    async def _query(
        self, key: tuple[Any, ...], backend: Backend, loop: asyncio.AbstractEventLoop
    ) -> Answer:
        """A record query through :meth:`LookupCache.run_query` (asyncio)."""
        found = self._lookups.run_query(key, backend, key[1], key[2], loop)
        if isinstance(found, Answer):
            return found
        try:
            return await found
        except BaseException:
            abandon(found)  # cancelled: the backend's query too
            raise

    async def _lookup_asyncio(
        self,
        backend: Backend,
        key: tuple[Any, ...],
        timed: Callable[..., Awaitable[Timed[T]]],
        plain: Callable[..., Awaitable[T]],
        timeout: float | None,
        what: tuple[str, tuple[object, ...]],
        begun: bool,
        loop: asyncio.AbstractEventLoop,
    ) -> T:
        """:meth:`_lookup` with a deadline or without the cache, under asyncio."""
        if timeout is None:
            timeout = self.timeout
        deadlines = deadline = None
        if timeout is not None:
            deadlines, deadline = self._start_deadline(timeout, loop)
        found: object = None
        try:
            if not self._cache_active:
                result = await plain(*key[1:])
            elif begun:
                found = self._lookups.run_query(key, backend, key[1], key[2], loop)
                result = (found if isinstance(found, Answer)  # type: ignore[assignment]
                          else await found)
            else:
                result = await self._lookups.run_timed(key, timed, *key[1:])
        except BaseException as exc:
            abandon(found)  # a begun query: the backend's query too
            if isinstance(exc, asyncio.CancelledError):
                if deadline is not None and deadline.fired and deadline.ours():
                    assert timeout is not None
                    raise timeout_error(what, timeout, backend.name) from None
            elif (isinstance(exc, Exception) and self._closed
                    and not isinstance(exc, ResolverClosed)):
                raise ResolverClosed(backend=backend.name) from exc
            raise
        finally:
            if deadlines is not None:
                deadlines.finish(deadline)  # type: ignore[arg-type]
        if deadline is not None and deadline.fired:  # the lookup swallowed the cancellation
            deadline.ours()
            assert timeout is not None
            raise timeout_error(what, timeout, backend.name)
        if self._closed:  # answered after close() began: the caller was promised this
            raise ResolverClosed(backend=backend.name)
        return result

    def _start_deadline(
        self, timeout: float, loop: asyncio.AbstractEventLoop
    ) -> tuple[Deadlines, Expiry]:
        """A deadline ``timeout`` seconds from now for the running asyncio task.

        Lookups with the same timeout value share one timer (:class:`Deadlines`);
        a resolver that sees many different values (a budget computed per
        call) starts afresh beyond 32 of them, which stays correct.
        """
        task = asyncio.current_task(loop)  # with the loop: no getpid() (see running_loop)
        assert task is not None
        deadlines = self._deadlines.get(timeout)
        if deadlines is None or deadlines.loop is not loop:
            if len(self._deadlines) >= 32:
                self._deadlines.clear()
            deadlines = self._deadlines[timeout] = Deadlines(loop, timeout)
        return deadlines, deadlines.start(task)

    async def _lookup_trio(
        self,
        backend: Backend,
        key: tuple[Any, ...],
        timed: Callable[..., Awaitable[Timed[T]]],
        plain: Callable[..., Awaitable[T]],
        timeout: float | None,
        what: tuple[str, tuple[object, ...]],
    ) -> T:
        import trio

        await trio.lowlevel.checkpoint()  # a cache hit is a checkpoint too
        if timeout is None:
            timeout = self.timeout
        if timeout is None:  # no deadline: no cancel scope (entering one costs ~11 µs)
            return await self._lookup_trio_now(backend, key, timed, plain)
        with trio.move_on_after(timeout) as scope:
            return await self._lookup_trio_now(backend, key, timed, plain)
        assert scope.cancelled_caught
        raise timeout_error(what, timeout, backend.name)

    async def _lookup_trio_now(
        self,
        backend: Backend,
        key: tuple[Any, ...],
        timed: Callable[..., Awaitable[Timed[T]]],
        plain: Callable[..., Awaitable[T]],
    ) -> T:
        try:
            if self._trio_native:
                if self._cache_active:
                    result = await self._lookups.run_timed(key, timed, *key[1:])
                else:
                    result = await plain(*key[1:])
            else:  # an asyncio backend: on the bridge's loop, in its thread
                bridge = self._trio_bridge()
                if self._cache_active:
                    result = await self._lookups.run_timed(key, bridge.call, timed, *key[1:])
                else:
                    result = await bridge.call(plain, *key[1:])
        except Exception as exc:
            if self._closed and not isinstance(exc, ResolverClosed):
                raise ResolverClosed(backend=backend.name) from exc
            raise
        if self._closed:  # answered after close() began
            raise ResolverClosed(backend=backend.name)
        return result

    def _trio_bridge(self) -> AsyncioBridge:
        """The bridge that runs the asyncio-only backend, started on first use;
        it stops with :meth:`close`, or when the trio run that started it ends."""
        bridge = self._bridge
        if bridge is None:
            bridge = self._bridge = AsyncioBridge(self.backend.name)
        if not bridge.running:  # here, in the trio thread: no two callers start it
            bridge.start_in_trio(self._at_run_end)
        return bridge

    async def _at_run_end(self) -> None:
        """On the bridge's loop, as the trio run that started it ends: the
        backend releases its sockets there (:meth:`Backend.release_loop`) and
        stays open for the next run, unless this is the run's default
        resolver, which nobody else closes."""
        if self._close_with_run and not self._closed:
            self._closed = self._lookups.closed = True
            await self.backend.aclose()
        else:
            await self.backend.release_loop()

    async def _literal(self, value: T) -> T:
        """An answer known without a lookup: at once (under trio, after a checkpoint)."""
        if current_library() == "trio":
            import trio

            await trio.lowlevel.checkpoint()
        return value

    # -- services and protocols -----------------------------------------------------

    async def _run_nss(self, func: Callable[..., T], *args: object) -> T:
        self._check_open()
        if current_library() == "trio":
            return await self._nss_threads.run(func, *args)
        if self._nss_pool is None:
            self._nss_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=2, thread_name_prefix="aioresolve-nss"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._nss_pool, functools.partial(func, *args))

    async def _nss(
        self, func: Callable[..., T], args: tuple[object, ...], timeout: float | None
    ) -> T:
        """An NSS lookup (services, protocols) in a thread, under the deadline."""
        if timeout is None:
            timeout = self.timeout
        if current_library() == "trio":
            import trio

            with trio.move_on_after(timeout if timeout is not None else float("inf")):
                return await self._run_nss(func, *args)
            assert timeout is not None
            raise timeout_error((func.__name__, args), timeout, self.backend.name)
        if timeout is None:
            return await self._run_nss(func, *args)
        deadlines, deadline = self._start_deadline(timeout, asyncio.get_running_loop())
        try:
            return await self._run_nss(func, *args)
        except asyncio.CancelledError:
            if deadline.fired and deadline.ours():
                raise timeout_error((func.__name__, args), timeout, self.backend.name) from None
            raise
        finally:
            deadlines.finish(deadline)
