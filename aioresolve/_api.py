"""The socket-mirroring facade: :class:`Resolver` and the module-level coroutines.

Every coroutine here has the name, arguments, results and exceptions of the
:mod:`socket` function it mirrors; the only additions are that it must be
awaited and takes a keyword-only ``timeout=`` (seconds; ``None`` waits as long
as the backend does).  An expired timeout raises :class:`aioresolve.Timeout`,
a subclass of the built-in :class:`TimeoutError`.

Input is checked and normalised here, once, before any backend runs, and the
checks are the stdlib's own: the fast path calls :mod:`socket` with
``AI_NUMERICHOST | AI_NUMERICSERV`` (or ``NI_NUMERICHOST | NI_NUMERICSERV``),
which validates types, encodes IDNA and answers IP literals and numeric ports
without any lookup.  Only what that cannot answer goes to the backend, as
A-label bytes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
import socket
import weakref
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from . import _compat
from ._backends import backend_class, create_backend
from ._backends.base import AddrInfo, Backend, HostEntry, SockAddr
from ._errors import IllegalName, ResolverClosed, Timeout
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

__all__ = [
    "Resolver",
    "get_default_resolver",
    "set_default_backend",
    "set_default_resolver",
    "gethostname",
    "gethostbyname",
    "gethostbyname_ex",
    "getfqdn",
    "gethostbyaddr",
    "getservbyname",
    "getservbyport",
    "getprotobyname",
    "getaddrinfo",
    "getnameinfo",
    "query",
    "reverse",
]

T = TypeVar("T")




class _AnyProtocol(str):
    """Type of the default ``protocolname``: absent.  ``None`` cannot serve, since
    :mod:`socket` rejects an explicit ``None`` with a ``TypeError``."""

    def __repr__(self) -> str:
        return "<any protocol>"


_ANY_PROTOCOL = _AnyProtocol()


def _given(first: object, protocolname: str) -> tuple[object, ...]:
    """The positional arguments for socket, leaving out an absent protocol."""
    return (first,) if protocolname is _ANY_PROTOCOL else (first, protocolname)


class Resolver:
    """Resolves names through one backend, with shared options.

    :param backend: ``"system"`` (the C library, in a thread pool of its own),
        ``"cares"`` (c-ares, no threads), ``"wire"`` (aioresolve's own DNS
        client), a :class:`Backend` instance, or ``None`` for the process-wide
        default set by :func:`set_default_backend` (``"system"`` unless changed).
    :param timeout: default ``timeout=`` of every lookup, in seconds; ``None``
        (the default) leaves it to the backend, as :mod:`socket` does.
    :param cache: ``True`` (default) caches answers whose TTL is known (record
        queries and, where the backend reports TTLs, address lookups; nothing of
        the system backend), a :class:`~aioresolve.cache.CacheConfig` to tune it
        (e.g. ``fixed_ttl=`` for the system backend), ``False`` for no cache.
    :param coalesce: identical lookups running at the same time share one
        query (default ``True``); see :mod:`aioresolve.cache`.
    :param backend_options: passed to the backend, e.g. ``pool_size=`` for
        ``"system"`` or ``nameservers=`` for ``"cares"``.

    Use it as an async context manager, or call :meth:`close`.  A closed
    resolver raises :class:`~aioresolve.ResolverClosed`.
    """

    def __init__(
        self,
        backend: str | Backend | None = None,
        *,
        timeout: float | None = None,
        cache: bool | CacheConfig = True,
        coalesce: bool = True,
        **backend_options: Any,
    ) -> None:
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive or None, not {timeout!r}")
        if isinstance(backend, Backend):
            if backend_options:
                raise TypeError("backend options cannot be given with a Backend instance")
            self.backend = backend
        else:
            if backend is None:
                backend, defaults = _default_backend
                backend_options = {**defaults, **backend_options}
            self.backend = create_backend(backend, **backend_options)
        self.timeout = timeout
        self._closed = False
        config = CacheConfig() if cache is True else (cache or None)
        self._lookups = LookupCache(
            config, backend_provides_ttl=self.backend.provides_ttl, coalesce=coalesce
        )
        # Services and protocols are NSS lookups too (usually /etc/services,
        # but NSS may be anything): two threads keep them off the loop.
        self._nss_pool: concurrent.futures.ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Resolver backend={self.backend.name!r} timeout={self.timeout!r} {state}>"

    # -- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> Resolver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Close the backend.  Lookups in flight fail with
        :class:`~aioresolve.ResolverClosed`.  Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._nss_pool is not None:
            self._nss_pool.shutdown(wait=False, cancel_futures=True)
        await self._lookups.aclose()
        await self.backend.aclose()

    aclose = close

    # -- cache ---------------------------------------------------------------

    def cache_info(self) -> CacheInfo:
        """Hits, misses, coalesced lookups, evictions and size of the cache."""
        return self._lookups.info()

    def flush(self) -> None:
        """Empty the cache.  Lookups in flight are not disturbed."""
        self._lookups.flush()

    # -- plumbing ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ResolverClosed(backend=self.backend.name)

    async def _run(
        self,
        make: Callable[[], Awaitable[T]],
        timeout: float | None,
        what: str,
        key: tuple[Any, ...] | None = None,
    ) -> T:
        """Await one backend call under the deadline.  Every lookup passes here.

        With a ``key`` (the lookup's name and backend arguments) the call goes
        through the cache and single-flight; the deadline bounds this caller's
        wait only, never the lookup shared with others.
        """
        self._check_open()
        if key is not None and self._lookups.active:
            make = functools.partial(self._lookups.run, key, make, self.backend)
        if timeout is None:
            timeout = self.timeout
        if timeout is None:
            return await make()
        try:
            async with _compat.timeout(timeout):
                return await make()
        except (TimeoutError, asyncio.TimeoutError) as exc:
            if isinstance(exc, Timeout):
                raise
            raise Timeout(
                f"{what} timed out after {timeout:g}s", timeout=timeout, backend=self.backend.name
            ) from None

    async def _run_nss(self, func: Callable[..., T], *args: object) -> T:
        self._check_open()
        if self._nss_pool is None:
            self._nss_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=2, thread_name_prefix="aioresolve-nss"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._nss_pool, functools.partial(func, *args))

    # -- the socket mirror ---------------------------------------------------

    async def gethostname(self, *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.gethostname` (a system call, answered at once)."""
        self._check_open()
        return socket.gethostname()

    async def gethostbyname(self, hostname: str, /, *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.gethostbyname`, except that it is async."""
        name = gethostbyname_request(hostname)
        if isinstance(name, str):
            return name  # a literal: no lookup
        return await self._run(
            lambda: self.backend.gethostbyname(name), timeout, f"gethostbyname({hostname!r})",
            ("gethostbyname", name),
        )

    async def gethostbyname_ex(
        self, hostname: str, /, *, timeout: float | None = None
    ) -> HostEntry:
        """Identical to :func:`socket.gethostbyname_ex`, except that it is async."""
        name = gethostbyname_ex_request(hostname)
        if isinstance(name, tuple):
            return name  # a literal: no lookup
        return await self._run(
            lambda: self.backend.gethostbyname_ex(name), timeout, f"gethostbyname_ex({hostname!r})",
            ("gethostbyname_ex", name),
        )

    async def gethostbyaddr(self, ip_address: str, /, *, timeout: float | None = None) -> HostEntry:
        """Identical to :func:`socket.gethostbyaddr`, except that it is async.

        As in :mod:`socket`, ``ip_address`` may also be a host name, which is
        resolved first and its address then looked up in reverse.
        """
        name = encode_hostname(ip_address, "gethostbyaddr")
        return await self._run(
            lambda: self.backend.gethostbyaddr(name), timeout, f"gethostbyaddr({ip_address!r})",
            ("gethostbyaddr", name),
        )

    async def getfqdn(self, name: str = "", *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.getfqdn`, except that it is async.

        As there, failures are not raised: the name is returned unchanged.
        A ``timeout`` that expires counts as such a failure.
        """
        # The same algorithm as the stdlib's socket.getfqdn (pure Python there).
        name = fqdn_lookup_name(name)
        try:
            hostname, aliases, _ = await self.gethostbyaddr(name, timeout=timeout)
        except (OSError, Timeout):
            return name
        return pick_fqdn(hostname, aliases)

    async def getservbyname(
        self, servicename: str, protocolname: str = _ANY_PROTOCOL, /, *,
        timeout: float | None = None,
    ) -> int:
        """Identical to :func:`socket.getservbyname`, except that it is async."""
        args = _given(servicename, protocolname)
        return await self._run(
            lambda: self._run_nss(socket.getservbyname, *args), timeout, "getservbyname"
        )

    async def getservbyport(
        self, port: int, protocolname: str = _ANY_PROTOCOL, /, *, timeout: float | None = None
    ) -> str:
        """Identical to :func:`socket.getservbyport`, except that it is async."""
        args = _given(port, protocolname)
        return await self._run(
            lambda: self._run_nss(socket.getservbyport, *args), timeout, "getservbyport"
        )

    async def getprotobyname(self, protocolname: str, /, *, timeout: float | None = None) -> int:
        """Identical to :func:`socket.getprotobyname`, except that it is async."""
        return await self._run(
            lambda: self._run_nss(socket.getprotobyname, protocolname), timeout, "getprotobyname"
        )

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
        """Identical to :func:`socket.getaddrinfo`, except that it is async.

        IP literals with numeric ports (and ``host=None``) are answered at once,
        without a thread or a query.
        """
        request = getaddrinfo_request(host, port, family, type, proto, flags)
        if isinstance(request, list):
            return request  # literals: no lookup
        name, service = request
        return await self._run(
            lambda: self.backend.getaddrinfo(name, service, family, type, proto, flags),
            timeout,
            f"getaddrinfo({host!r}, {port!r})",
            ("getaddrinfo", name, service, family, type, proto, flags),
        )

    async def getnameinfo(
        self, sockaddr: SockAddr, flags: int, /, *, timeout: float | None = None
    ) -> tuple[str, str]:
        """Identical to :func:`socket.getnameinfo`, except that it is async.

        With ``NI_NUMERICHOST | NI_NUMERICSERV`` it is answered at once.
        """
        numeric = getnameinfo_answer(sockaddr, flags)
        if numeric is not None:
            return numeric
        return await self._run(
            lambda: self.backend.getnameinfo(sockaddr, flags),
            timeout,
            f"getnameinfo({sockaddr!r})",
            ("getnameinfo", sockaddr, flags),
        )

    # -- DNS records ---------------------------------------------------------

    async def query(
        self, name: str, rtype: str | int = "A", *, timeout: float | None = None
    ) -> Answer:
        """Look up the records of type ``rtype`` at ``name``.

        :returns: an :class:`~aioresolve.Answer` with typed records and TTLs.
        :raises NXDomain, NoData, ServFail, Refused, Timeout, IllegalName: …;
            :class:`~aioresolve.BackendUnavailable` on a backend that cannot
            make record queries of that type (the system backend answers
            only A and AAAA, through getaddrinfo, without TTLs).
        """
        kind = normalize_rtype(rtype)
        qname = _query_name(name)
        return await self._run(
            lambda: self.backend.query(qname, kind), timeout, f"query({name!r}, {kind!r})",
            ("query", qname, kind),
        )

    async def reverse(self, address: str, *, timeout: float | None = None) -> Answer:
        """Look up the PTR records of an IPv4 or IPv6 address.

        ``reverse("192.0.2.1")`` queries ``1.2.0.192.in-addr.arpa``;
        ``reverse("2001:db8::1")`` the nibble name under ``ip6.arpa``.

        :raises IllegalName: ``address`` is not an IP address.
        """
        return await self.query(_reverse_name(address), "PTR", timeout=timeout)


def _reverse_name(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise IllegalName(f"not an IP address: {address!r}", host=address) from None
    return ip.reverse_pointer


def _query_name(name: str) -> str:
    """Normalise a name for record queries: IDNA (UTS 46) A-labels, no trailing dot."""
    return to_alabel(name)


# -- the default resolver ------------------------------------------------------

_default_backend: tuple[str, dict[str, Any]] = ("system", {})
_default_resolvers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Resolver] = (
    weakref.WeakKeyDictionary()
)


def set_default_backend(backend: str, **options: Any) -> None:
    """Choose the backend (and its options) of resolvers created without one,
    including the default resolver behind the module-level functions.

    Default resolvers already created keep their backend until the loop ends.
    """
    global _default_backend
    backend_class(backend)  # fail here, not at the first lookup, on a bad name
    _default_backend = (backend, dict(options))
    _default_resolvers.clear()


def get_default_resolver() -> Resolver:
    """The resolver behind the module-level functions: one per event loop."""
    loop = asyncio.get_running_loop()
    resolver = _default_resolvers.get(loop)
    if resolver is None or resolver.closed:
        resolver = _default_resolvers[loop] = Resolver()
    return resolver


def set_default_resolver(resolver: Resolver) -> None:
    """Make ``resolver`` the one behind the module-level functions on the running loop."""
    _default_resolvers[asyncio.get_running_loop()] = resolver


async def gethostname(*, timeout: float | None = None) -> str:
    """Identical to :func:`socket.gethostname`, except that it is async."""
    return await get_default_resolver().gethostname(timeout=timeout)


async def gethostbyname(hostname: str, /, *, timeout: float | None = None) -> str:
    """Identical to :func:`socket.gethostbyname`, except that it is async."""
    return await get_default_resolver().gethostbyname(hostname, timeout=timeout)


async def gethostbyname_ex(hostname: str, /, *, timeout: float | None = None) -> HostEntry:
    """Identical to :func:`socket.gethostbyname_ex`, except that it is async."""
    return await get_default_resolver().gethostbyname_ex(hostname, timeout=timeout)


async def getfqdn(name: str = "", *, timeout: float | None = None) -> str:
    """Identical to :func:`socket.getfqdn`, except that it is async."""
    return await get_default_resolver().getfqdn(name, timeout=timeout)


async def gethostbyaddr(ip_address: str, /, *, timeout: float | None = None) -> HostEntry:
    """Identical to :func:`socket.gethostbyaddr`, except that it is async."""
    return await get_default_resolver().gethostbyaddr(ip_address, timeout=timeout)


async def getservbyname(
    servicename: str, protocolname: str = _ANY_PROTOCOL, /, *, timeout: float | None = None
) -> int:
    """Identical to :func:`socket.getservbyname`, except that it is async."""
    return await get_default_resolver().getservbyname(servicename, protocolname, timeout=timeout)


async def getservbyport(
    port: int, protocolname: str = _ANY_PROTOCOL, /, *, timeout: float | None = None
) -> str:
    """Identical to :func:`socket.getservbyport`, except that it is async."""
    return await get_default_resolver().getservbyport(port, protocolname, timeout=timeout)


async def getprotobyname(protocolname: str, /, *, timeout: float | None = None) -> int:
    """Identical to :func:`socket.getprotobyname`, except that it is async."""
    return await get_default_resolver().getprotobyname(protocolname, timeout=timeout)


async def getaddrinfo(
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
    return await get_default_resolver().getaddrinfo(
        host, port, family, type, proto, flags, timeout=timeout
    )


async def getnameinfo(
    sockaddr: SockAddr, flags: int, /, *, timeout: float | None = None
) -> tuple[str, str]:
    """Identical to :func:`socket.getnameinfo`, except that it is async."""
    return await get_default_resolver().getnameinfo(sockaddr, flags, timeout=timeout)


async def query(name: str, rtype: str | int = "A", *, timeout: float | None = None) -> Answer:
    """Look up DNS records with the default resolver; see :meth:`Resolver.query`."""
    return await get_default_resolver().query(name, rtype, timeout=timeout)


async def reverse(address: str, *, timeout: float | None = None) -> Answer:
    """Look up the PTR records of an address; see :meth:`Resolver.reverse`."""
    return await get_default_resolver().reverse(address, timeout=timeout)
