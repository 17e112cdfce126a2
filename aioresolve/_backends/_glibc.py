"""What the c-ares and wire backends share to look like glibc (no I/O here).

Both answer the socket-style lookups from DNS (or the hosts file) but must
shape results and errors as :func:`socket.getaddrinfo` & co. do on glibc:
the error codes and messages, the socket types, protocols and ports of each
address (learnt from libc itself on an IP literal: no lookup), and the edge
cases where glibc answers without asking anything.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from typing import Any, ClassVar, NoReturn

from .base import AddrInfo, NegativeAnswer, SockAddr

__all__ = [
    "EAI_ADDRFAMILY", "EAI_NODATA", "HOST_NOT_FOUND", "NO_RECOVERY", "TRY_AGAIN", "Addr",
    "Template", "check_ipv4_name", "gaierror", "ip_literal", "raise_negative",
    "strip_local_domain", "template",
]

# EAI_NODATA / EAI_ADDRFAMILY are glibc extensions (absent on macOS): glibc's values.
EAI_NODATA: int = getattr(socket, "EAI_NODATA", -5)
EAI_ADDRFAMILY: int = getattr(socket, "EAI_ADDRFAMILY", -9)
#: h_errno values (netdb.h) of socket.herror.
HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY = 1, 2, 3

# glibc's messages (gai_strerror), so exceptions read like socket's.
_MESSAGES = {
    socket.EAI_NONAME: "Name or service not known",
    socket.EAI_AGAIN: "Temporary failure in name resolution",
    socket.EAI_FAIL: "Non-recoverable failure in name resolution",
    EAI_NODATA: "No address associated with hostname",
    EAI_ADDRFAMILY: "Address family for hostname not supported",
}

#: (family, address parts): (ip,) for IPv4, (ip, flowinfo, scope_id) for IPv6.
Addr = tuple[int, tuple[Any, ...]]


def gaierror(code: int) -> socket.gaierror:
    """``socket.gaierror(code, <glibc's message>)``."""
    return socket.gaierror(code, _MESSAGES[code])


def raise_negative(error: socket.gaierror, ttl: float | None) -> NoReturn:
    """Raise ``error``, in a :class:`NegativeAnswer` when its TTL is known."""
    if ttl is None:
        raise error
    raise NegativeAnswer(error, ttl)


def ip_literal(host: bytes) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (with an optional zone id)."""
    try:
        ipaddress.ip_address(host.decode("ascii").partition("%")[0])
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def check_ipv4_name(host: bytes) -> None:
    """gethostbyname* of an IPv6 literal: glibc's EAI_ADDRFAMILY, without a lookup."""
    if b":" in host and ip_literal(host):
        raise gaierror(EAI_ADDRFAMILY)


class Template:
    """The (type, proto, port) triples libc gives for these arguments, learnt
    from :func:`socket.getaddrinfo` on an IP literal (no lookup happens), so
    service names, socket types and their errors are libc's by construction."""

    _LITERALS: ClassVar[dict[int, str]] = {socket.AF_INET: "127.0.0.1", socket.AF_INET6: "::1"}

    def __init__(self, port: str | int | None, family: int, type: int, proto: int,
                 flags: int) -> None:
        base_flags = (flags & ~(socket.AI_CANONNAME | socket.AI_ADDRCONFIG
                                | socket.AI_V4MAPPED | socket.AI_ALL)) | socket.AI_NUMERICHOST
        self.triples: dict[int, list[tuple[socket.SocketKind, int, int]]] = {}
        families = [family] if family in self._LITERALS else [socket.AF_INET, socket.AF_INET6]
        if family not in self._LITERALS and family != socket.AF_UNSPEC:
            socket.getaddrinfo(None, port, family, type, proto, flags)  # raises EAI_FAMILY
        for fam in families:
            infos = socket.getaddrinfo(self._LITERALS[fam], port, fam, type, proto, base_flags)
            self.triples[fam] = [(kind, prot, int(addr[1])) for _, kind, prot, _, addr in infos]

    def expand(self, addrs: list[Addr], canon: str) -> list[AddrInfo]:
        """One entry per address and triple; ``canon`` in the first only (as glibc)."""
        out: list[AddrInfo] = []
        for fam, parts in addrs:
            for kind, prot, port in self.triples[fam]:
                sockaddr: SockAddr = (
                    (parts[0], port)
                    if fam == socket.AF_INET
                    else (parts[0], port, parts[1], parts[2])
                )
                first = canon if not out else ""
                out.append((socket.AddressFamily(fam), kind, prot, first, sockaddr))
        return out


#: Templates by (port, family, type, proto, flags): the services database is
#: read once per distinct argument set, not once per lookup.  Errors are not
#: cached (lru_cache does not keep exceptions).
template = functools.lru_cache(maxsize=256)(Template)


def strip_local_domain(name: str, flags: int) -> str:
    """NI_NOFQDN: drop the local domain (taken from the host name, without a lookup)."""
    if not flags & socket.NI_NOFQDN:
        return name
    _, dot, domain = socket.gethostname().partition(".")
    if dot and name.lower().endswith("." + domain.lower()):
        return name[: -len(domain) - 1]
    return name
