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
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import socket
from collections.abc import Callable
from typing import ClassVar, TypeVar, cast

from .._errors import (
    IllegalName,
    NetworkError,
    NoData,
    NXDomain,
    ResolveError,
    ResolverClosed,
    ServFail,
)
from .._records import AAAA, A, Answer
from .base import AddrInfo, Backend, HostEntry, SockAddr

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

    def __init__(self, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1, not {pool_size}")
        self.pool_size = pool_size
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
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
        """Run a blocking :mod:`socket` call in this backend's pool."""
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

    async def query(self, name: str, rtype: str) -> Answer:
        """A or AAAA records through ``getaddrinfo(3)`` (other types raise
        :class:`~aioresolve.BackendUnavailable`).

        libc reports no TTLs (every record has ``ttl=0``), no server, and
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
            return await super().query(name, rtype)
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

    async def aclose(self) -> None:
        self._closed = True
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
