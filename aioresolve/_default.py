"""The default resolver and the module-level coroutines that use it.

``aioresolve.getaddrinfo(...)`` and friends are :class:`~aioresolve.Resolver`
methods of a default resolver: one per asyncio event loop, one per trio run,
made on first use with the backend :func:`set_default_backend` chose.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Literal, overload

from . import _config
from ._backends import backend_class
from ._backends.base import AddrInfo, HostEntry, SockAddr
from ._lookup import ANY_PROTOCOL
from ._records import (
    AAAA,
    CAA,
    CNAME,
    HTTPS,
    MX,
    NAPTR,
    NS,
    PTR,
    SOA,
    SRV,
    SVCB,
    TLSA,
    TXT,
    URI,
    A,
    Answer,
    Record,
)
from ._resolver import Resolver
from ._runtime import current_library

__all__ = [
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

# -- the default resolver ------------------------------------------------------

_default_resolvers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Resolver] = (
    weakref.WeakKeyDictionary()
)
_generation = 0  # bumped by set_default_backend: trio runs' resolvers are then stale
_trio_default: Any = None  # a trio.lowlevel.RunVar, made on first use under trio


def set_default_backend(backend: str | None, **options: Any) -> None:
    """Choose the backend (and its options) of resolvers created without one,
    including the default resolver behind the module-level functions.

    ``set_default_backend("wire")`` asks the nameservers of ``/etc/resolv.conf``;
    ``set_default_backend(None)`` restores the out-of-the-box default
    (``"system"``; see :class:`Resolver`).

    Default resolvers already created keep their backend until their loop ends.

    :raises ValueError: an unknown backend name, or nameservers for ``"system"``.
    :raises BackendUnavailable: its optional dependency is not installed.
    """
    global _generation
    if backend is not None:
        backend_class(backend)  # fail here, not at the first lookup, on a bad name
        if backend != "wire":  # wire reads resolv.conf when it is made
            _config.backend_options(backend, **options)
    _config.set_default_choice(backend, options)
    _default_resolvers.clear()
    _generation += 1


def get_default_resolver() -> Resolver:
    """The resolver behind the module-level functions: one per asyncio event
    loop, one per trio run."""
    if current_library() == "trio":
        return _trio_default_resolver()
    loop = asyncio.get_running_loop()
    resolver = _default_resolvers.get(loop)
    if resolver is None or resolver.closed:
        resolver = _default_resolvers[loop] = Resolver()
    return resolver


def _trio_run_var() -> Any:
    global _trio_default
    if _trio_default is None:
        import trio

        _trio_default = trio.lowlevel.RunVar("aioresolve_default_resolver", default=None)
    return _trio_default


def _trio_default_resolver() -> Resolver:
    var = _trio_run_var()
    entry: tuple[int, Resolver] | None = var.get()
    if entry is None or entry[0] != _generation or entry[1].closed:
        resolver = Resolver()
        resolver._close_with_run = True  # nobody else closes it: the run's end does
        entry = (_generation, resolver)
        var.set(entry)
    return entry[1]


def set_default_resolver(resolver: Resolver) -> None:
    """Make ``resolver`` the one behind the module-level functions on the
    running asyncio loop or trio run."""
    if current_library() == "trio":
        _trio_run_var().set((_generation, resolver))
        return
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
    servicename: str, protocolname: str = ANY_PROTOCOL, /, *, timeout: float | None = None
) -> int:
    """Identical to :func:`socket.getservbyname`, except that it is async."""
    return await get_default_resolver().getservbyname(servicename, protocolname, timeout=timeout)


async def getservbyport(
    port: int, protocolname: str = ANY_PROTOCOL, /, *, timeout: float | None = None
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


@overload
async def query(
    name: str, rtype: Literal["A"] = "A", *, timeout: float | None = None
) -> Answer[A]: ...
@overload
async def query(
    name: str, rtype: Literal["AAAA"], *, timeout: float | None = None
) -> Answer[AAAA]: ...
@overload
async def query(
    name: str, rtype: Literal["CNAME"], *, timeout: float | None = None
) -> Answer[CNAME]: ...
@overload
async def query(
    name: str, rtype: Literal["NS"], *, timeout: float | None = None
) -> Answer[NS]: ...
@overload
async def query(
    name: str, rtype: Literal["PTR"], *, timeout: float | None = None
) -> Answer[PTR]: ...
@overload
async def query(
    name: str, rtype: Literal["MX"], *, timeout: float | None = None
) -> Answer[MX]: ...
@overload
async def query(
    name: str, rtype: Literal["SOA"], *, timeout: float | None = None
) -> Answer[SOA]: ...
@overload
async def query(
    name: str, rtype: Literal["SRV"], *, timeout: float | None = None
) -> Answer[SRV]: ...
@overload
async def query(
    name: str, rtype: Literal["TXT"], *, timeout: float | None = None
) -> Answer[TXT]: ...
@overload
async def query(
    name: str, rtype: Literal["CAA"], *, timeout: float | None = None
) -> Answer[CAA]: ...
@overload
async def query(
    name: str, rtype: Literal["NAPTR"], *, timeout: float | None = None
) -> Answer[NAPTR]: ...
@overload
async def query(
    name: str, rtype: Literal["SVCB"], *, timeout: float | None = None
) -> Answer[SVCB]: ...
@overload
async def query(
    name: str, rtype: Literal["HTTPS"], *, timeout: float | None = None
) -> Answer[HTTPS]: ...
@overload
async def query(
    name: str, rtype: Literal["TLSA"], *, timeout: float | None = None
) -> Answer[TLSA]: ...
@overload
async def query(
    name: str, rtype: Literal["URI"], *, timeout: float | None = None
) -> Answer[URI]: ...
@overload
async def query(
    name: str, rtype: str | int, *, timeout: float | None = None
) -> Answer[Record]: ...


async def query(name: str, rtype: str | int = "A", *, timeout: float | None = None) -> Answer[Any]:
    """Look up DNS records with the default resolver; see :meth:`Resolver.query`."""
    return await get_default_resolver().query(name, rtype, timeout=timeout)


async def reverse(address: str, *, timeout: float | None = None) -> Answer[PTR]:
    """Look up the PTR records of an address; see :meth:`Resolver.reverse`."""
    return await get_default_resolver().reverse(address, timeout=timeout)
