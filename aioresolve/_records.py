"""Typed DNS records and the :class:`Answer` that carries them.

Every record is a small frozen dataclass with the fields of its RDATA, named
as in its RFC, plus ``ttl`` (seconds, as the answering server gave it).  Names
are returned as text without the trailing dot (``"mail.example"``); binary
data as :class:`bytes`.  :func:`record_from_rdata` converts a dnspython rdata,
so every backend that can produce wire data or dnspython objects builds the
same records.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import dns.rdata
import dns.rdatatype
import dns.rdtypes.svcbbase

__all__ = [
    "AAAA",
    "CAA",
    "CNAME",
    "HTTPS",
    "MX",
    "NAPTR",
    "NS",
    "PTR",
    "RECORD_TYPES",
    "SOA",
    "SRV",
    "SVCB",
    "TLSA",
    "TXT",
    "URI",
    "A",
    "Answer",
    "Record",
    "Unknown",
    "normalize_rtype",
    "record_from_rdata",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """Base class of every record: carries the TTL."""

    rtype: ClassVar[str] = ""
    ttl: int


@dataclasses.dataclass(frozen=True, slots=True)
class A(Record):
    """An IPv4 address (RFC 1035)."""

    rtype: ClassVar[str] = "A"
    address: str


@dataclasses.dataclass(frozen=True, slots=True)
class AAAA(Record):
    """An IPv6 address (RFC 3596), compressed text form."""

    rtype: ClassVar[str] = "AAAA"
    address: str


@dataclasses.dataclass(frozen=True, slots=True)
class CNAME(Record):
    """An alias: the canonical name is ``target`` (RFC 1035)."""

    rtype: ClassVar[str] = "CNAME"
    target: str


@dataclasses.dataclass(frozen=True, slots=True)
class NS(Record):
    """A name server of the zone (RFC 1035)."""

    rtype: ClassVar[str] = "NS"
    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class PTR(Record):
    """A pointer, usually from a reverse name to a host name (RFC 1035)."""

    rtype: ClassVar[str] = "PTR"
    name: str


@dataclasses.dataclass(frozen=True, slots=True)
class MX(Record):
    """A mail exchanger; lower ``priority`` is preferred (RFC 1035 "preference")."""

    rtype: ClassVar[str] = "MX"
    priority: int
    exchange: str


@dataclasses.dataclass(frozen=True, slots=True)
class SOA(Record):
    """Start of authority (RFC 1035).  ``minimum`` bounds negative caching (RFC 2308)."""

    rtype: ClassVar[str] = "SOA"
    mname: str
    rname: str
    serial: int
    refresh: int
    retry: int
    expire: int
    minimum: int


@dataclasses.dataclass(frozen=True, slots=True)
class SRV(Record):
    """A service location (RFC 2782)."""

    rtype: ClassVar[str] = "SRV"
    priority: int
    weight: int
    port: int
    target: str


@dataclasses.dataclass(frozen=True, slots=True)
class TXT(Record):
    """Text strings (RFC 1035).  ``strings`` are the raw character-strings;
    :attr:`text` joins them and decodes as UTF-8 (replacing bad bytes)."""

    rtype: ClassVar[str] = "TXT"
    strings: tuple[bytes, ...]

    @property
    def text(self) -> str:
        return b"".join(self.strings).decode("utf-8", "replace")


@dataclasses.dataclass(frozen=True, slots=True)
class CAA(Record):
    """Certification authority authorization (RFC 8659)."""

    rtype: ClassVar[str] = "CAA"
    flags: int
    tag: str
    value: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class NAPTR(Record):
    """Naming authority pointer (RFC 3403)."""

    rtype: ClassVar[str] = "NAPTR"
    order: int
    preference: int
    flags: bytes
    service: bytes
    regexp: bytes
    replacement: str


@dataclasses.dataclass(frozen=True, slots=True)
class SVCB(Record):
    """Service binding (RFC 9460).  ``params`` maps key names
    (``"alpn"``, ``"port"``, ``"ipv4hint"`` …) to their presentation text."""

    rtype: ClassVar[str] = "SVCB"
    priority: int
    target: str
    params: Mapping[str, str]


@dataclasses.dataclass(frozen=True, slots=True)
class HTTPS(SVCB):
    """HTTPS service binding (RFC 9460); same fields as :class:`SVCB`."""

    rtype: ClassVar[str] = "HTTPS"


@dataclasses.dataclass(frozen=True, slots=True)
class TLSA(Record):
    """DANE certificate association (RFC 6698)."""

    rtype: ClassVar[str] = "TLSA"
    usage: int
    selector: int
    mtype: int
    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class URI(Record):
    """A URI (RFC 7553)."""

    rtype: ClassVar[str] = "URI"
    priority: int
    weight: int
    target: str


@dataclasses.dataclass(frozen=True, slots=True)
class Unknown(Record):
    """A record of a type without its own class: the type name and its RDATA text."""

    type_name: str
    text: str


RECORD_TYPES: dict[str, type[Record]] = {
    cls.rtype: cls
    for cls in (A, AAAA, CNAME, NS, PTR, MX, SOA, SRV, TXT, CAA, NAPTR, SVCB, HTTPS, TLSA, URI)
}


@functools.lru_cache(maxsize=256)  # dnspython's enum lookup costs ~7 µs; this is per query
def normalize_rtype(rtype: str | int) -> str:
    """Return the canonical upper-case mnemonic for a record type.

    Accepts ``"mx"``, ``"MX"``, ``15`` or ``"TYPE15"``.

    :raises ValueError: the type is not known.
    """
    try:
        if isinstance(rtype, int):
            value = dns.rdatatype.RdataType.make(rtype)
        else:
            value = dns.rdatatype.from_text(rtype.strip().upper())
    except (dns.rdatatype.UnknownRdatatype, ValueError) as exc:
        raise ValueError(f"unknown record type: {rtype!r}") from exc
    return dns.rdatatype.to_text(value)


def _name(value: Any) -> str:
    """dnspython Name -> text without the trailing dot ("." for the root)."""
    text: str = value.to_text(omit_final_dot=True)
    return text or "."


def _svcb_params(rdata: Any) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in rdata.params.items():
        key_text = dns.rdtypes.svcbbase.ParamKey.to_text(key).lower()
        params[key_text] = value.to_text().strip('"')
    return params


def record_from_rdata(rdata: dns.rdata.Rdata, ttl: int) -> Record:
    """Convert one dnspython rdata into the matching :class:`Record`."""
    kind = dns.rdatatype.to_text(rdata.rdtype)
    r: Any = rdata
    if kind == "A":
        return A(ttl, r.address)
    if kind == "AAAA":
        return AAAA(ttl, r.address)
    if kind == "CNAME":
        return CNAME(ttl, _name(r.target))
    if kind == "NS":
        return NS(ttl, _name(r.target))
    if kind == "PTR":
        return PTR(ttl, _name(r.target))
    if kind == "MX":
        return MX(ttl, r.preference, _name(r.exchange))
    if kind == "SOA":
        return SOA(ttl, _name(r.mname), _name(r.rname), r.serial, r.refresh, r.retry,
                   r.expire, r.minimum)
    if kind == "SRV":
        return SRV(ttl, r.priority, r.weight, r.port, _name(r.target))
    if kind == "TXT":
        return TXT(ttl, tuple(r.strings))
    if kind == "CAA":
        return CAA(ttl, r.flags, r.tag.decode("ascii", "replace"), r.value)
    if kind == "NAPTR":
        return NAPTR(ttl, r.order, r.preference, r.flags, r.service, r.regexp,
                     _name(r.replacement))
    if kind in ("SVCB", "HTTPS"):
        cls = HTTPS if kind == "HTTPS" else SVCB
        return cls(ttl, r.priority, _name(r.target), _svcb_params(r))
    if kind == "TLSA":
        return TLSA(ttl, r.usage, r.selector, r.mtype, r.cert)
    if kind == "URI":
        return URI(ttl, r.priority, r.weight, r.target.decode("utf-8", "replace"))
    return Unknown(ttl, kind, rdata.to_text())


@dataclasses.dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one record query.

    Iterating over an answer yields its records; ``len()`` counts them.

    :ivar name: the name that was asked for (normalised, no trailing dot).
    :ivar rtype: the record type asked for, e.g. ``"MX"``.
    :ivar records: the records of type ``rtype`` at the end of any CNAME chain,
        in the order the server gave them.
    :ivar canonical_name: the owner name of those records, after following
        CNAMEs (equal to ``name`` when there were none).
    :ivar ttl: the smallest TTL of the records and of the CNAMEs followed:
        how long the whole answer may be cached.
    :ivar server: ``"ip:port"`` of the server that answered, where known.
    :ivar aliases: the CNAME owners followed from ``name`` to
        ``canonical_name``, in order (empty when there was no CNAME).
    """

    name: str
    rtype: str
    records: tuple[Record, ...]
    canonical_name: str
    ttl: int
    server: str | None = None
    aliases: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def addresses(self) -> list[str]:
        """The addresses of the A/AAAA records, in order."""
        return [r.address for r in self.records if isinstance(r, (A, AAAA))]

