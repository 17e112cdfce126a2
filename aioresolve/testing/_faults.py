"""What a test injects into a :class:`~aioresolve.testing.DNSServer` and reads
back from it: :class:`Fault`, :class:`LoggedQuery`, :class:`ServerStats`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

__all__ = ["Fault", "LoggedQuery", "ServerStats"]


@dataclass(frozen=True)
class Fault:
    """Misbehaviour injected for a name (and every name below it) or for all.

    :param delay: seconds to wait before answering (UDP and TCP).
    :param drop_rate: probability (0..1) that a query gets no answer at all.
    :param servfail_rate: probability of answering SERVFAIL instead.
    :param refused_rate: probability of answering REFUSED instead.
    :param truncate: answer over UDP with TC=1 and no records, always (TCP is
        unaffected, so a client must retry over TCP).

    One random draw per query decides drop, then SERVFAIL, then REFUSED, so
    the three rates must add up to at most 1.
    """

    delay: float = 0.0
    drop_rate: float = 0.0
    servfail_rate: float = 0.0
    refused_rate: float = 0.0
    truncate: bool = False

    def __post_init__(self) -> None:
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0, not {self.delay!r}")
        rates = (self.drop_rate, self.servfail_rate, self.refused_rate)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1 + 1e-9:
            raise ValueError(f"rates must be in [0, 1] and add up to <= 1, not {rates}")

    @property
    def random(self) -> bool:
        """Whether this fault needs a random draw per query."""
        return bool(self.drop_rate or self.servfail_rate or self.refused_rate)


class LoggedQuery(NamedTuple):
    """One query the server received (see :attr:`DNSServer.queries`)."""

    time: float  #: :func:`time.time` on arrival
    name: str  #: the query name, lower case (no trailing dot)
    rtype: str  #: ``"A"``, ``"MX"``, … (``"TYPE65534"`` for unknown types)
    transport: str  #: ``"udp"`` or ``"tcp"``
    rcode: str | None  #: ``"NOERROR"``, ``"NXDOMAIN"``, …; ``None`` if dropped
    client: tuple[Any, ...]  #: the client's socket address


@dataclass(frozen=True)
class ServerStats:
    """A snapshot of :class:`DNSServer` counters (since start or :meth:`~DNSServer.reset_stats`).

    ``by_name`` is keyed by ``(lower-case name, type)``; ``by_rcode`` by rcode
    text, with dropped queries under ``"DROPPED"``.
    """

    queries: int
    udp: int
    tcp: int
    truncated: int
    formerr: int
    by_rcode: Mapping[str, int]
    by_name: Mapping[tuple[str, str], int]
