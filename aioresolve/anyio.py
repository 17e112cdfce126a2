"""Name lookups for anyio code, under both the asyncio and the trio backend.

:class:`aioresolve.Resolver` is built on asyncio.  This module offers the same
lookups to code written against anyio, so a library that runs on either event
loop can resolve names the same way::

    from aioresolve.anyio import Resolver

    async with Resolver() as resolver:  # under anyio.run(..., backend="trio") too
        infos = await resolver.getaddrinfo("example.test", 443)

What differs from :class:`aioresolve.Resolver`:

* Backends.  ``"system"`` (the C library in worker threads, at most
  ``max_threads`` at once, through a capacity limiter of this resolver) runs
  under both asyncio and trio.  Any other backend (``"cares"``, ``"wire"``, a
  :class:`~aioresolve.Backend` instance) is asyncio-only: c-ares and the wire
  engine are driven by asyncio's loop, so under trio they raise
  :class:`~aioresolve.BackendUnavailable`.  Use ``"system"`` there.
* Structured concurrency.  The resolver must be entered (``async with``): its
  task group runs the lookups shared by coalesced callers, so none outlives it.
* Cancellation.  A cancelled lookup releases its caller at once; a libc call
  already running in its thread cannot be interrupted and finishes in the
  background (its thread is abandoned, as ``anyio.to_thread.run_sync(...,
  abandon_on_cancel=True)`` does).
* The cache (:class:`~aioresolve.cache.CacheConfig`) and coalescing behave
  as in :mod:`aioresolve.cache`; time is ``anyio.current_time()``.
* Timeouts raise :class:`aioresolve.Timeout` (a :class:`TimeoutError`), as there.

Results and exceptions of the socket-style lookups are those of :mod:`socket`.
"""

# The socket-mirroring signature includes timeout= (as aioresolve.Resolver's):
# ruff: noqa: ASYNC109

from __future__ import annotations

import functools
import socket
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from types import TracebackType
from typing import Any, TypeVar, cast

import anyio
import anyio.abc

from ._backends import create_backend
from ._backends.base import AddrInfo, Backend, HostEntry, SockAddr
from ._errors import BackendUnavailable, ResolverClosed, Timeout
from ._names import to_alabel
from ._prepare import (
    encode_hostname,
    fqdn_lookup_name,
    getaddrinfo_request,
    gethostbyname_ex_request,
    gethostbyname_request,
    getnameinfo_answer,
    pick_fqdn,
)
from ._records import Answer, normalize_rtype
from .cache import CacheConfig, CacheInfo, LookupCache

__all__ = ["Resolver"]

T = TypeVar("T")



class _Flight:
    __slots__ = ("done", "error", "result", "scope", "waiters")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.scope = anyio.CancelScope()
        self.result: Any = None
        self.error: BaseException | None = None
        self.waiters = 0


class _AnyioSingleFlight:
    """Single-flight on anyio: the shared lookup runs in the resolver's task group.

    As in :class:`aioresolve._coalesce.SingleFlight`: a waiter that leaves does
    not disturb the others; the last one to leave cancels the lookup.
    """

    def __init__(self, task_group: anyio.abc.TaskGroup) -> None:
        self._tg = task_group
        self._flights: dict[Hashable, _Flight] = {}
        self.joined = 0

    def __len__(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> T:
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight()
            self._tg.start_soon(self._drive, key, flight, start)
        else:
            self.joined += 1
        flight.waiters += 1
        try:
            await flight.done.wait()
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.done.is_set():
                self._forget(key, flight)
                flight.scope.cancel()
        if flight.error is not None:
            raise flight.error
        return cast(T, flight.result)

    async def _drive(
        self, key: Hashable, flight: _Flight, start: Callable[[], Awaitable[Any]]
    ) -> None:
        with flight.scope:
            try:
                flight.result = await start()
            except Exception as exc:  # delivered to every waiter
                flight.error = exc
        self._forget(key, flight)
        flight.done.set()

    def _forget(self, key: Hashable, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]


class Resolver:
    """Async name lookups for anyio code (asyncio or trio); see the module docstring.

    :param backend: ``"system"`` (default; works under trio), or an asyncio-only
        backend name or :class:`~aioresolve.Backend` instance.
    :param max_threads: how many libc lookups may run at once (system backend).
    :param timeout: default ``timeout=`` of every lookup, in seconds.
    :param cache: as for :class:`aioresolve.Resolver`.
    :param coalesce: as for :class:`aioresolve.Resolver`.
    """

    def __init__(
        self,
        backend: str | Backend = "system",
        *,
        max_threads: int = 16,
        timeout: float | None = None,
        cache: bool | CacheConfig = True,
        coalesce: bool = True,
        **backend_options: Any,
    ) -> None:
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, not {max_threads}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive or None, not {timeout!r}")
        self._backend_spec = backend
        self._backend_options = backend_options
        self.backend: Backend | None = None  # None: the system backend, through threads here
        self.max_threads = max_threads
        self.timeout = timeout
        self._cache_config = CacheConfig() if cache is True else (cache or None)
        self._coalesce = coalesce
        self._limiter: anyio.CapacityLimiter | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._lookups: LookupCache | None = None
        self._closed = False

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> Resolver:
        if self._tg is not None or self._closed:
            raise RuntimeError("a Resolver can be entered only once")
        library = _current_library()
        if self._backend_spec != "system":
            if library != "asyncio":
                name = getattr(self._backend_spec, "name", self._backend_spec)
                raise BackendUnavailable(
                    f"the {name!r} backend runs on asyncio only, not on {library}; "
                    "use backend='system'",
                    backend=str(name),
                )
            self.backend = (
                self._backend_spec if isinstance(self._backend_spec, Backend)
                else create_backend(self._backend_spec, **self._backend_options)
            )
        self._limiter = anyio.CapacityLimiter(self.max_threads)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        config = self._cache_config
        if config is not None and config.clock is None:
            config = CacheConfig(**{**_fields(config), "clock": anyio.current_time})
        self._lookups = LookupCache(
            config,
            backend_provides_ttl=self.backend is not None and self.backend.provides_ttl,
            flight=_AnyioSingleFlight(self._tg) if self._coalesce else None,
            spawn=self._spawn,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self._closed = True
        assert self._tg is not None
        self._tg.cancel_scope.cancel()  # shared lookups and background refreshes
        try:
            return await self._tg.__aexit__(exc_type, exc, tb)
        finally:
            if self.backend is not None:
                await self.backend.aclose()

    def _spawn(self, async_fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        assert self._tg is not None
        self._tg.start_soon(async_fn)

    @property
    def closed(self) -> bool:
        return self._closed

    def cache_info(self) -> CacheInfo:
        """As :meth:`aioresolve.Resolver.cache_info`."""
        return self._require().info()

    def flush(self) -> None:
        """As :meth:`aioresolve.Resolver.flush`."""
        self._require().flush()

    # -- plumbing ----------------------------------------------------------------

    def _require(self) -> LookupCache:
        if self._closed:
            raise ResolverClosed(backend=self._backend_name)
        if self._lookups is None:
            raise RuntimeError("use the Resolver as 'async with Resolver() as resolver:'")
        return self._lookups

    @property
    def _backend_name(self) -> str:
        return self.backend.name if self.backend is not None else "system"

    async def _thread(self, func: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(
            functools.partial(func, *args), abandon_on_cancel=True, limiter=self._limiter
        )

    async def _run(
        self, key: tuple[Any, ...], start: Callable[[], Awaitable[T]], timeout: float | None,
        what: str,
    ) -> T:
        lookups = self._require()
        timeout = self.timeout if timeout is None else timeout
        backend = self.backend
        if timeout is None:
            return await lookups.run(key, start, backend)
        try:
            with anyio.fail_after(timeout):
                return await lookups.run(key, start, backend)
        except TimeoutError as exc:
            if isinstance(exc, Timeout):
                raise
            raise Timeout(
                f"{what} timed out after {timeout:g}s", timeout=timeout,
                backend=self._backend_name,
            ) from None

    # -- lookups -----------------------------------------------------------------

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
        *,
        timeout: float | None = None,
    ) -> list[AddrInfo]:
        """Identical to :func:`socket.getaddrinfo`, except that it is async."""
        request = getaddrinfo_request(host, port, family, type, proto, flags)
        if isinstance(request, list):
            return request  # literals: no lookup
        name, service = request
        backend = self.backend

        async def start() -> list[AddrInfo]:
            if backend is not None:
                return await backend.getaddrinfo(name, service, family, type, proto, flags)
            infos = await self._thread(
                socket.getaddrinfo, name, service, family, type, proto, flags
            )
            return cast("list[AddrInfo]", infos)

        key = ("getaddrinfo", name, service, family, type, proto, flags)
        return await self._run(key, start, timeout, f"getaddrinfo({host!r}, {port!r})")

    async def getnameinfo(
        self, sockaddr: SockAddr, flags: int, /, *, timeout: float | None = None
    ) -> tuple[str, str]:
        """Identical to :func:`socket.getnameinfo`, except that it is async."""
        numeric = getnameinfo_answer(sockaddr, flags)
        if numeric is not None:
            return numeric
        backend = self.backend

        async def start() -> tuple[str, str]:
            if backend is not None:
                return await backend.getnameinfo(sockaddr, flags)
            return await self._thread(socket.getnameinfo, sockaddr, flags)

        return await self._run(
            ("getnameinfo", sockaddr, flags), start, timeout, f"getnameinfo({sockaddr!r})"
        )

    async def gethostbyname(self, hostname: str, /, *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.gethostbyname`, except that it is async."""
        name = gethostbyname_request(hostname)
        if isinstance(name, str):
            return name  # a literal: no lookup
        backend = self.backend

        async def start() -> str:
            if backend is not None:
                return await backend.gethostbyname(name)
            return await self._thread(socket.gethostbyname, name.decode("ascii"))

        return await self._run(
            ("gethostbyname", name), start, timeout, f"gethostbyname({hostname!r})"
        )

    async def gethostbyname_ex(
        self, hostname: str, /, *, timeout: float | None = None
    ) -> HostEntry:
        """Identical to :func:`socket.gethostbyname_ex`, except that it is async."""
        name = gethostbyname_ex_request(hostname)
        if isinstance(name, tuple):
            return name  # a literal: no lookup
        backend = self.backend

        async def start() -> HostEntry:
            if backend is not None:
                return await backend.gethostbyname_ex(name)
            return await self._thread(socket.gethostbyname_ex, name.decode("ascii"))

        return await self._run(
            ("gethostbyname_ex", name), start, timeout, f"gethostbyname_ex({hostname!r})"
        )

    async def gethostbyaddr(self, ip_address: str, /, *, timeout: float | None = None) -> HostEntry:
        """Identical to :func:`socket.gethostbyaddr`, except that it is async."""
        name = encode_hostname(ip_address, "gethostbyaddr")
        backend = self.backend

        async def start() -> HostEntry:
            if backend is not None:
                return await backend.gethostbyaddr(name)
            return await self._thread(socket.gethostbyaddr, name.decode("ascii"))

        return await self._run(
            ("gethostbyaddr", name), start, timeout, f"gethostbyaddr({ip_address!r})"
        )

    async def getfqdn(self, name: str = "", *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.getfqdn`, except that it is async (failures,
        a timeout included, return the name unchanged, as there)."""
        name = fqdn_lookup_name(name)
        try:
            hostname, aliases, _ = await self.gethostbyaddr(name, timeout=timeout)
        except (OSError, Timeout):
            return name
        return pick_fqdn(hostname, aliases)

    async def gethostname(self, *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.gethostname` (a system call, answered at once)."""
        return socket.gethostname()

    async def query(
        self, name: str, rtype: str | int = "A", *, timeout: float | None = None
    ) -> Answer:
        """As :meth:`aioresolve.Resolver.query` (asyncio-only backends, see the module docstring).

        :raises BackendUnavailable: on the system backend, which cannot query records.
        """
        kind = normalize_rtype(rtype)
        qname = to_alabel(name)
        backend = self.backend
        if backend is None:
            raise BackendUnavailable(
                f"the 'system' backend cannot make {kind} record queries",
                host=qname, rtype=kind, backend="system",
            )
        return await self._run(
            ("query", qname, kind), lambda: backend.query(qname, kind), timeout,
            f"query({name!r}, {kind!r})",
        )


def _current_library() -> str:
    try:
        import sniffio
    except ImportError:  # pragma: no cover - trio requires sniffio, so this is asyncio
        return "asyncio"
    return sniffio.current_async_library()


def _fields(config: CacheConfig) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
