"""The system backend: the C library's resolver, run in a bounded thread pool.

``loop.getaddrinfo`` and ``loop.getnameinfo`` run :func:`socket.getaddrinfo`
and :func:`socket.getnameinfo` in the loop's *default* executor, which the rest
of an application shares; a burst of slow lookups (a dead nameserver costs
seconds per lookup) then starves every other ``run_in_executor`` and
``asyncio.to_thread`` call.  This backend makes the very same calls, through
``loop.run_in_executor`` on a pool of its own, so results and exceptions are
those of :mod:`socket` by construction, and only the resolver waits when the
pool is busy.

A thread blocked in libc cannot be interrupted: cancelling a lookup releases
the awaiting task at once, and the thread finishes in the background (bounded
by the libc resolver's own timeout) before it takes the next lookup.

Under trio the same calls run in trio's worker threads, at most ``pool_size``
at once (a :class:`trio.CapacityLimiter`).

Record queries: A and AAAA go through ``getaddrinfo(3)`` (no TTLs, hosts file
and NSS included); every other type is asked of the nameservers listed in
:data:`aioresolve._config.RESOLV_CONF`, through a wire backend made on first
use, so that ``aioresolve.query(name, "MX")`` works out of the box.  Under
trio that wire backend runs on a private asyncio loop in one thread
(:class:`aioresolve._bridge.AsyncioBridge`), started at the first such query.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from .. import _config, _runtime
from .._errors import (
    BackendUnavailable,
    IllegalName,
    NetworkError,
    NoData,
    NXDomain,
    ResolveError,
    ResolverClosed,
    ServFail,
)
from .._records import AAAA, A, Answer
from .base import AddrInfo, Backend, HostEntry, SockAddr, Timed

if TYPE_CHECKING:
    from .._bridge import AsyncioBridge
    from .wire import WireBackend

__all__ = ["DEFAULT_POOL_SIZE", "SystemBackend"]

T = TypeVar("T")

#: Threads per resolver.  Lookups wait on the network, not the CPU, so this is
#: larger than a CPU-bound pool; it bounds how many lookups libc runs at once.
DEFAULT_POOL_SIZE = 16


class SystemBackend(Backend):
    """Resolve through the C library (``getaddrinfo(3)`` and NSS), like :mod:`socket`.

    :param pool_size: how many lookups may run at once (threads in the pool).
    """

    name: ClassVar[str] = "system"
    async_libraries: ClassVar[frozenset[str]] = frozenset({"asyncio", "trio"})

    def __init__(self, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, not {pool_size}")
        self.pool_size = pool_size
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._trio_threads = _runtime.ThreadLimiter(pool_size)
        self._records: WireBackend | None = None  # other record types: resolv.conf's servers
        self._bridge: AsyncioBridge | None = None  # runs _records under trio
        self._closed = False

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._closed:
            raise ResolverClosed(backend=self.name)
        if self._pool is None:  # created lazily: a resolver that is never used costs nothing
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.pool_size, thread_name_prefix="aioresolve"
            )
        return self._pool

    async def run(self, func: Callable[..., T], *args: object) -> T:
        """Run a blocking :mod:`socket` call in this backend's pool (under
        trio: in trio's threads, at most ``pool_size`` at once)."""
        if _runtime.current_library() == "trio":
            if self._closed:
                raise ResolverClosed(backend=self.name)
            return await self._trio_threads.run(func, *args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), functools.partial(func, *args))

    async def getaddrinfo(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> list[AddrInfo]:
        infos = await self.run(socket.getaddrinfo, host, port, family, type, proto, flags)
        return cast("list[AddrInfo]", infos)

    async def getnameinfo(self, sockaddr: SockAddr, flags: int) -> tuple[str, str]:
        return await self.run(socket.getnameinfo, sockaddr, flags)

    async def gethostbyname(self, host: bytes) -> str:
        return await self.run(socket.gethostbyname, host.decode("ascii"))

    async def gethostbyname_ex(self, host: bytes) -> HostEntry:
        return await self.run(socket.gethostbyname_ex, host.decode("ascii"))

    async def gethostbyaddr(self, host: bytes) -> HostEntry:
        return await self.run(socket.gethostbyaddr, host.decode("ascii"))

    def _record_backend(self, name: str, rtype: str) -> WireBackend:
        """The wire backend for record types libc cannot ask, on resolv.conf's servers."""
        if self._closed:
            raise ResolverClosed(backend=self.name)
        if self._records is None:
            nameservers = _config.system_nameservers()
            if not nameservers:
                raise BackendUnavailable(
                    f"the system backend asks {rtype} records of the nameservers in "
                    f"{_config.RESOLV_CONF}, which lists none; use backend='wire' with "
                    "nameservers=[...]", host=name, rtype=rtype, backend=self.name)
            from .wire import WireBackend  # only loaded where used

            self._records = WireBackend(nameservers=nameservers)
        return self._records

    async def query_with_ttl(self, name: str, rtype: str) -> Timed[Answer]:
        """:meth:`query`; the TTL is known for the types asked over DNS."""
        if rtype in ("A", "AAAA"):
            return await self.query(name, rtype), None
        answer = await self.query(name, rtype)
        return answer, answer.ttl

    async def query(self, name: str, rtype: str) -> Answer:
        """A or AAAA records through ``getaddrinfo(3)``; other types from the
        nameservers of resolv.conf (see the module docstring), with TTLs.

        :raises BackendUnavailable: another type, and resolv.conf lists no
            nameserver.

        For A and AAAA, libc reports no TTLs (every record has ``ttl=0``), no server, and
        answers from ``/etc/hosts`` and other NSS sources as well as DNS.  Its
        error codes are coarser than DNS RCODEs; they map as follows:
        ``EAI_NONAME`` -> :class:`~aioresolve.NXDomain` (glibc also uses it
        for a name without addresses of any family), ``EAI_NODATA`` and
        ``EAI_ADDRFAMILY`` -> :class:`~aioresolve.NoData`, ``EAI_AGAIN``
        (timeout *or* SERVFAIL: libc does not say which) and ``EAI_FAIL`` ->
        :class:`~aioresolve.ServFail`, ``EAI_SYSTEM`` -> :class:`~aioresolve.NetworkError`,
        anything else -> :class:`~aioresolve.ResolveError`.
        """
        if rtype not in ("A", "AAAA"):
            wire = self._record_backend(name, rtype)
            if _runtime.current_library() == "trio":
                return await self._trio_bridge().call(wire.query, name, rtype)
            return await wire.query(name, rtype)
        family = socket.AF_INET if rtype == "A" else socket.AF_INET6
        try:
            infos = await self.run(
                socket.getaddrinfo, name, None, family, socket.SOCK_STREAM, 0,
                socket.AI_CANONNAME,
            )
        except socket.gaierror as exc:
            raise _query_error(exc, name, rtype) from None
        except UnicodeError as exc:
            raise IllegalName(str(exc), host=name, rtype=rtype, backend=self.name) from None
        canonical = next((str(info[3]) for info in infos if info[3]), name).rstrip(".").lower()
        seen: dict[str, None] = {}
        for info in infos:
            seen.setdefault(str(info[4][0]), None)
        make = A if rtype == "A" else AAAA
        records = tuple(make(0, address) for address in seen)
        if not records:
            raise NoData(host=name, rtype=rtype, backend=self.name)
        return Answer(name, rtype, records, canonical, 0)

    def _trio_bridge(self) -> AsyncioBridge:
        """The private asyncio loop the record backend runs on under trio."""
        if self._bridge is None:
            from .._bridge import AsyncioBridge

            self._bridge = AsyncioBridge("system-records")
        if not self._bridge.running:
            self._bridge.start_in_trio(self._release_records)
        return self._bridge

    async def _release_records(self) -> None:
        if self._records is not None:
            await self._records.release_loop()

    async def aclose(self) -> None:
        self._closed = True
        bridge = self._bridge
        if self._records is not None:
            if bridge is not None and bridge.running:  # it lives on the bridge's loop
                if _runtime.current_library() == "trio":
                    await bridge.call(self._records.aclose)
                    await bridge.aclose()
                else:
                    await bridge.run(self._records.aclose())
                    bridge.stop()
            else:
                await self._records.aclose()
            self._records = None
        if self._pool is not None:
            # Threads blocked in libc cannot be stopped; do not wait for them.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_EAI_NODATA = getattr(socket, "EAI_NODATA", None)
_EAI_ADDRFAMILY = getattr(socket, "EAI_ADDRFAMILY", None)


def _query_error(exc: socket.gaierror, name: str, rtype: str) -> ResolveError:
    """The aioresolve error for a ``getaddrinfo`` failure (see :meth:`SystemBackend.query`)."""
    code = exc.errno
    cls: type[ResolveError]
    if code == socket.EAI_NONAME:
        cls = NXDomain
    elif code is not None and code in (_EAI_NODATA, _EAI_ADDRFAMILY):
        cls = NoData
    elif code in (socket.EAI_AGAIN, socket.EAI_FAIL):
        cls = ServFail
    elif code == socket.EAI_SYSTEM:
        cls = NetworkError
    else:
        cls = ResolveError
    message = f"{cls.default_message} for {name!r} ({rtype}): [gaierror {code}] {exc.strerror}"
    return cls(message, host=name, rtype=rtype, backend=SystemBackend.name)
