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

from .._errors import ResolverClosed
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

    async def aclose(self) -> None:
        self._closed = True
        if self._pool is not None:
            # Threads blocked in libc cannot be stopped; do not wait for them.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
