"""Exceptions for DNS record queries and bulk results.

The socket-mirroring coroutines (``getaddrinfo`` and friends) do *not* use
these: they raise exactly what :mod:`socket` raises (``socket.gaierror``,
``socket.herror``, ``OSError``, ``TypeError``, ``UnicodeError``), so code
ported from ``socket`` keeps its ``except`` clauses.  The one addition is
:class:`Timeout`, raised when a ``timeout=`` expires; it is a subclass of the
built-in :class:`TimeoutError`.

Record queries (:meth:`Resolver.query`) and bulk results raise or report the
classes below.  Each carries its evidence: the name, the record type, the
backend and, where known, the server that answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._records import SOA

__all__ = [
    "BackendUnavailable",
    "ConnectionRefused",
    "FormErr",
    "IllegalName",
    "NXDomain",
    "NetworkError",
    "NoData",
    "Refused",
    "ResolveError",
    "ResolverClosed",
    "ServFail",
    "Timeout",
    "Truncated",
]


class ResolveError(Exception):
    """A lookup failed.  Base class of every aioresolve error.

    :ivar host: the name (or address) that was looked up, as given.
    :ivar rtype: the record type asked for (``"A"``, ``"MX"`` …), or ``None``
        for socket-style lookups.
    :ivar backend: the name of the backend that ran the lookup.
    :ivar server: ``"ip:port"`` of the server that gave the final answer,
        where the backend knows it.
    :ivar soa: for a negative answer (:class:`NXDomain`, :class:`NoData`), the
        SOA record of the authority section, where the server sent one.
    :ivar negative_ttl: for a negative answer, how long it may be cached
        (RFC 2308 §5: the smaller of the SOA record's TTL and its MINIMUM
        field, computed from ``soa`` when only that is given); ``None`` when
        the backend does not know.
    :ivar soa_owner: for a negative answer, the owner name of ``soa`` (the
        zone's apex), where known.
    :ivar flags: the 16-bit flags word of the header of the reply that ended
        the lookup (a negative answer or an error RCODE), where known.
    :ivar protocol: ``"udp"`` or ``"tcp"``: how that reply came, where known.
    """

    #: Short description used when no message is given.
    default_message = "lookup failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        host: str | None = None,
        rtype: str | None = None,
        backend: str | None = None,
        server: str | None = None,
        soa: SOA | None = None,
        negative_ttl: int | None = None,
        soa_owner: str | None = None,
        flags: int | None = None,
        protocol: str | None = None,
    ) -> None:
        self.host = host
        self.rtype = rtype
        self.backend = backend
        self.server = server
        self.soa = soa
        if negative_ttl is None and soa is not None:
            negative_ttl = min(soa.ttl, soa.minimum)  # RFC 2308 §5
        self.negative_ttl = negative_ttl
        self.soa_owner = soa_owner
        self.flags = flags
        self.protocol = protocol
        super().__init__(message or self._describe())

    def _describe(self) -> str:
        parts = [self.default_message]
        if self.host is not None:
            parts.append(f"for {self.host!r}")
        if self.rtype is not None:
            parts.append(f"({self.rtype})")
        if self.server is not None:
            parts.append(f"from {self.server}")
        return " ".join(parts)


class NXDomain(ResolveError):
    """The name does not exist (RCODE 3, NXDOMAIN)."""

    default_message = "name does not exist"


class NoData(ResolveError):
    """The name exists but has no records of the asked type (NOERROR, empty answer)."""

    default_message = "no records of that type"


class ServFail(ResolveError):
    """The server failed to answer (RCODE 2, SERVFAIL)."""

    default_message = "server failure"


class Refused(ResolveError):
    """The server refused the query (RCODE 5, REFUSED)."""

    default_message = "query refused"


class FormErr(ResolveError):
    """The server could not parse the query (RCODE 1, FORMERR)."""

    default_message = "format error"


class Timeout(ResolveError, TimeoutError):
    """No answer before the deadline.  Also a built-in :class:`TimeoutError`.

    :ivar timeout: the deadline in seconds that expired, when one was set.
    """

    default_message = "lookup timed out"

    def __init__(
        self, message: str | None = None, *, timeout: float | None = None, **evidence: Any
    ) -> None:
        self.timeout = timeout
        super().__init__(message, **evidence)


class Truncated(ResolveError):
    """The UDP answer was truncated and the TCP retry failed."""

    default_message = "answer truncated and TCP retry failed"


class NetworkError(ResolveError):
    """The query could not be sent or its answer not received (socket error)."""

    default_message = "network error"


class ConnectionRefused(NetworkError):
    """The server's port is closed (ICMP port unreachable / ECONNREFUSED)."""

    default_message = "connection refused"


class IllegalName(ResolveError, ValueError):
    """The input is not a valid DNS name (empty, over-long, bad label, not IDNA)."""

    default_message = "illegal name"


class BackendUnavailable(ResolveError):
    """The backend cannot run here: an optional dependency is missing, or it
    does not support this kind of lookup."""

    default_message = "backend unavailable"


class ResolverClosed(ResolveError):
    """The resolver was closed while, or before, the lookup ran."""

    default_message = "resolver is closed"
