"""Typed DNS records and the :class:`Answer` that carries them.

Every record is a small frozen dataclass with the fields of its RDATA, named
as in its RFC, plus ``ttl`` (seconds, as the answering server gave it).  Names
are returned as text without the trailing dot (``"mail.example"``), in
dnspython's escaped presentation form (``\\.`` for a dot inside a label,
``\\DDD`` for other bytes); binary data as :class:`bytes`.
:func:`record_from_rdata` converts a dnspython rdata, so every backend that
can produce wire data or dnspython objects builds the same records.

:func:`record_text` (also :meth:`Record.to_text`) gives a record's RDATA as dig
prints it, via dnspython's ``to_text()``: there, names are absolute, with their
trailing dot (``10 mail.example.``), as in a zone file.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import dns.exception
import dns.rdatatype  # light; dns.name, dns.rdata and the rdtypes (~100 ms) are imported where used

if TYPE_CHECKING:
    import dns.name
    import dns.rdata

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
    "record_text",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """Base class of every record: carries the TTL."""

    rtype: ClassVar[str] = ""
    ttl: int

    def to_text(self) -> str:
        """The RDATA as dig prints it: same as :func:`record_text`."""
        return record_text(self)


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
    (``"mandatory"``, ``"alpn"``, ``"port"``, ``"ipv4hint"``, ``"ech"``,
    ``"key65000"`` …), in wire order, to their presentation text without the
    quotes (``"h2,h3"``); a key without a value (``"no-default-alpn"``) maps
    to ``""``."""

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
    """A record of a type without its own class, or of a class other than IN:
    the type name (``"HINFO"``, ``"TYPE65280"``; prefixed by the class for
    another class, ``"CH A"``) and its RDATA text as dnspython prints it."""

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


class MalformedRdata(ValueError):
    """Rdata that dnspython read but the RFCs call malformed (and that newer
    dnspython versions refuse to read): :func:`record_from_rdata` raises it."""


def _svcb_params(rdata: Any) -> dict[str, str]:
    import dns.rdtypes.svcbbase

    # dnspython before 2.9 reads an empty value of a key that must have one
    # (ech, alpn, mandatory ...) from the wire, then refuses to write it;
    # 2.9 refuses to read it (FormError), and so does this, on every version.
    never = getattr(getattr(dns.rdtypes.svcbbase, "Emptiness", None), "NEVER", None)
    params: dict[str, str] = {}
    for key, value in rdata.params.items():
        key_text = dns.rdtypes.svcbbase.ParamKey.to_text(key).lower().replace("_", "-")
        # no-default-alpn has no value (dnspython stores None)
        text = "" if value is None else value.to_text()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        if not text and value is not None and never is not None and (
                type(value).emptiness() == never):
            raise MalformedRdata(f"SVCB key {key_text} cannot be empty")
        params[key_text] = text
    return params


def _rdata_text(rdata: dns.rdata.Rdata) -> str:
    """The presentation text of ``rdata``, or its RFC 3597 generic form
    (``\\# 4 c0000201``) where dnspython cannot write it: 2.8 (what Python
    3.10 gets) decodes a URI's target as strict UTF-8 (2.9 escapes it)."""
    try:
        text: str = rdata.to_text()
    except (UnicodeError, ValueError):
        wire = rdata.to_wire()
        return f"\\# {len(wire)} {wire.hex()}" if wire else "\\# 0"
    return text


def record_from_rdata(rdata: dns.rdata.Rdata, ttl: int) -> Record:
    """Convert one dnspython rdata into the matching :class:`Record`.

    Only class IN rdata get a typed record: another class (CH, HS, ANY,
    NONE) or rdata dnspython keeps generic give :class:`Unknown` with the
    rdata's text, so a CH ``A`` never looks like an IPv4 address.

    :raises MalformedRdata: an SVCB/HTTPS key that must have a value has none.
    """
    import dns.rdata
    import dns.rdataclass

    kind = dns.rdatatype.to_text(rdata.rdtype)
    if rdata.rdclass != dns.rdataclass.IN or isinstance(rdata, dns.rdata.GenericRdata):
        if rdata.rdclass != dns.rdataclass.IN:
            kind = f"{dns.rdataclass.to_text(rdata.rdclass)} {kind}"
        return Unknown(ttl, kind, _rdata_text(rdata))
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
    return Unknown(ttl, kind, _rdata_text(rdata))


def _abs(name: str) -> dns.name.Name:
    import dns.name

    return dns.name.from_text(name)  # relative text is read as absolute (origin: root)


def _rdata_fields(record: Record) -> tuple[Any, ...]:
    """The constructor arguments of ``record``'s dnspython rdata class, after
    the class and type (they follow the RFC's field order, as ours do)."""
    if isinstance(record, (A, AAAA)):
        return (record.address,)
    if isinstance(record, CNAME):
        return (_abs(record.target),)
    if isinstance(record, NS):
        return (_abs(record.host),)
    if isinstance(record, PTR):
        return (_abs(record.name),)
    if isinstance(record, MX):
        return (record.priority, _abs(record.exchange))
    if isinstance(record, SOA):
        return (_abs(record.mname), _abs(record.rname), record.serial, record.refresh,
                record.retry, record.expire, record.minimum)
    if isinstance(record, SRV):
        return (record.priority, record.weight, record.port, _abs(record.target))
    if isinstance(record, TXT):
        return (record.strings,)
    if isinstance(record, CAA):
        return (record.flags, record.tag.encode("ascii"), record.value)
    if isinstance(record, NAPTR):
        return (record.order, record.preference, record.flags, record.service,
                record.regexp, _abs(record.replacement))
    if isinstance(record, TLSA):
        return (record.usage, record.selector, record.mtype, record.data)
    if isinstance(record, URI):
        return (record.priority, record.weight, record.target.encode("utf-8"))
    raise ValueError(f"no presentation format for {type(record).__name__}")


def _rdata(record: Record) -> dns.rdata.Rdata:
    """The dnspython rdata of ``record`` (class IN)."""
    import dns.rdata
    import dns.rdataclass

    rdclass = dns.rdataclass.IN
    rdtype = dns.rdatatype.from_text(record.rtype)
    if isinstance(record, SVCB):  # HTTPS too; params are kept as presentation text
        params = "".join(f" {key}" if value == "" else f' {key}="{value}"'
                         for key, value in record.params.items())
        return dns.rdata.from_text(rdclass, rdtype,
                                   f"{record.priority} {_abs(record.target)}{params}")
    cls: Any = dns.rdata.get_rdata_class(rdclass, rdtype)  # type: ignore[no-untyped-call]
    rdata: dns.rdata.Rdata = cls(rdclass, rdtype, *_rdata_fields(record))
    return rdata


def record_text(record: Record) -> str:
    """The RDATA of ``record`` in presentation format, exactly as dig (and
    dnspython's ``to_text()``) prints it: ``10 mail.example.``,
    ``0 issue "ca.example"``, ``"a" "b"``, ``1 . alpn="h2" no-default-alpn``.

    Names are absolute, with the trailing dot, as dig prints them (the record
    fields themselves keep names without it).  An :class:`Unknown` record
    gives its text as it was received.

    :raises ValueError: the record's fields cannot be written (a record built
        by hand with, e.g., an invalid address).
    """
    if isinstance(record, Unknown):
        return record.text
    try:
        return _rdata(record).to_text()
    except (dns.exception.DNSException, ValueError, TypeError) as exc:
        raise ValueError(f"cannot write {record!r}: {exc}") from exc


if TYPE_CHECKING:
    # PEP 696 default: a bare ``Answer`` means ``Answer[Record]`` (mypy --strict
    # accepts it); at run time no default is needed.
    from typing_extensions import TypeVar as _DefaultTypeVar

    R = _DefaultTypeVar("R", bound=Record, covariant=True, default=Record)
else:
    R = TypeVar("R", bound=Record, covariant=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Answer(Generic[R]):
    """The answer to one record query, generic over its record type
    (``Answer[MX]``; a bare ``Answer`` is ``Answer[Record]``).

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
    :ivar flags: the 16-bit flags word of the reply's header (QR, opcode,
        AA, TC, RD, RA, AD, CD, RCODE), where the backend knows it.
    :ivar protocol: ``"udp"`` or ``"tcp"``: how the answer came, where the
        backend knows it.
    :ivar alias_ttls: the TTLs of the CNAME records followed, parallel to
        ``aliases`` (empty where the backend does not know them).
    """

    name: str
    rtype: str
    records: tuple[R, ...]
    canonical_name: str
    ttl: int
    server: str | None = None
    aliases: tuple[str, ...] = ()
    flags: int | None = None
    protocol: str | None = None
    alias_ttls: tuple[int, ...] = ()

    def __iter__(self) -> Iterator[R]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def addresses(self) -> list[str]:
        """The addresses of the A/AAAA records, in order."""
        return [r.address for r in self.records if isinstance(r, (A, AAAA))]


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


# ``Answer[MX](...)`` sets ``__orig_class__`` on the new instance; the
# __setattr__ that dataclass(frozen=True, slots=True) generates then fails
# with TypeError on Python < 3.13 (its super() refers to the pre-slots
# class).  A plain refusal raises FrozenInstanceError, which typing ignores.
Answer.__setattr__ = _frozen_setattr  # type: ignore[method-assign]
