"""The backend interface: what the facade asks of every resolver backend.

The facade (``aioresolve._api``) validates and normalises input once, before
any backend runs: type checks as :mod:`socket` does them, IDNA encoding of
text host names, and the numeric fast path (IP literals and numeric ports never
reach a backend).  A backend therefore receives host names as A-label
:class:`bytes` and implements the lookups themselves.

Contract for the socket-mirroring methods: results are shaped exactly as the
:mod:`socket` function of the same name returns them, and failures raise what
that function would raise (``socket.gaierror`` / ``socket.herror`` with the
same errno and message).  Timeouts are applied by the facade; a backend only
needs to be cancellable.

Record queries (:meth:`Backend.query`) return an :class:`~aioresolve.Answer`
or raise a :class:`~aioresolve.ResolveError` subclass.
"""

from __future__ import annotations

import abc
import socket
from typing import ClassVar, TypeAlias

from .._errors import BackendUnavailable
from .._records import Answer

__all__ = ["AddrInfo", "Backend", "HostEntry", "SockAddr"]

#: A socket address: ``(host, port)`` or ``(host, port, flowinfo, scope_id)``;
#: ``(int, bytes)`` only where Python was built without IPv6 support (as typeshed has it).
SockAddr: TypeAlias = tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]
#: One entry of a :func:`socket.getaddrinfo` result.
AddrInfo: TypeAlias = tuple[socket.AddressFamily, socket.SocketKind, int, str, SockAddr]
#: ``(hostname, aliaslist, ipaddrlist)`` as :func:`socket.gethostbyname_ex` returns it.
HostEntry: TypeAlias = tuple[str, list[str], list[str]]


class Backend(abc.ABC):
    """A way of resolving names.  Subclasses implement the abstract methods.

    Backends are created by :class:`~aioresolve.Resolver` and closed by it;
    they may be used from one event loop at a time.
    """

    #: Short name used in errors, results and ``Resolver(backend=...)``.
    name: ClassVar[str] = "abstract"

    #: Whether :meth:`query` returns real TTLs (the cache relies on this).
    provides_ttl: ClassVar[bool] = False

    @abc.abstractmethod
    async def getaddrinfo(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> list[AddrInfo]:
        """Like :func:`socket.getaddrinfo`; ``host`` is an A-label or ``None``."""

    @abc.abstractmethod
    async def getnameinfo(self, sockaddr: SockAddr, flags: int) -> tuple[str, str]:
        """Like :func:`socket.getnameinfo`."""

    @abc.abstractmethod
    async def gethostbyname_ex(self, host: bytes) -> HostEntry:
        """Like :func:`socket.gethostbyname_ex` (IPv4 only)."""

    @abc.abstractmethod
    async def gethostbyaddr(self, host: bytes) -> HostEntry:
        """Like :func:`socket.gethostbyaddr`: ``host`` may be an address or a name."""

    async def gethostbyname(self, host: bytes) -> str:
        """Like :func:`socket.gethostbyname`.

        The default follows CPython: the first IPv4 address of
        ``getaddrinfo(host, None, AF_INET)``.
        """
        infos = await self.getaddrinfo(host, None, socket.AF_INET, 0, 0, 0)
        return str(infos[0][4][0])

    async def query(self, name: str, rtype: str) -> Answer:
        """Look up records of type ``rtype`` (a canonical mnemonic such as
        ``"MX"``) at ``name`` (an A-label name without trailing dot).

        :raises BackendUnavailable: the backend cannot make record queries.
        """
        raise BackendUnavailable(
            f"the {self.name!r} backend cannot make {rtype} record queries; "
            "use backend='cares' or backend='wire'",
            host=name,
            rtype=rtype,
            backend=self.name,
        )

    async def aclose(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release sockets and threads.  Lookups still running fail with
        :class:`~aioresolve.ResolverClosed`."""
