"""Zone data of :class:`~aioresolve.testing.DNSServer` and the lookup algorithm.

Records come from a plain mapping (see :data:`Records`) or from master-file
text (parsed by :func:`dns.zone.from_text`).  They are kept in wire format,
keyed by the owner's lower-case wire name, so that loading 100k names and
answering a question seen for the first time cost microseconds, not the
tens of microseconds dnspython's objects would.  A and AAAA rdata from a
mapping are converted with :func:`socket.inet_pton`; every other type goes
through dnspython's parser once, at load time.

:meth:`ZoneStore.resolve` is an authoritative server's answer algorithm
(RFC 1034 4.3.2) cut down to what tests need: exact matches, CNAME chains
inside the zone (as knot follows them), wildcards and empty non-terminals
(RFC 4592), NXDOMAIN vs NODATA with the zone's SOA in the authority section
(TTL ``min(SOA TTL, SOA MINIMUM)``, RFC 2308), REFUSED outside every zone.
Delegations (NS below a zone apex) are served as ordinary records, not as
referrals.
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import dns.exception
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone

__all__ = ["Records", "Resolution", "ZoneStore", "name_to_wire", "parse_records"]

#: ``{owner: {type: value, ..., "ttl": seconds}}``, or ``{owner: address(es)}``
#: as a shorthand for A/AAAA records.  See :class:`~aioresolve.testing.DNSServer`.
Records = Mapping[str, Union[str, Sequence[str], Mapping[str, Any]]]  # noqa: UP007 - runtime alias

_MAX_CHAIN = 16  # CNAME hops followed before giving up (a loop, or absurd data)
_A, _AAAA, _CNAME, _SOA, _TXT, _SPF = 1, 28, 5, 6, 16, 99
_ANY = 255
_IN = 1
_RR = struct.Struct("!HHIH")  # type, class, TTL, rdata length
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*\.?")
_ROOT = b"\x00"


def name_to_wire(text: str) -> bytes:
    """The lower-case, uncompressed wire form of an absolute name (a relative
    one is taken as relative to the root).

    :raises ValueError: not a valid DNS name.
    """
    if _PLAIN_NAME.fullmatch(text):  # the common case, without dnspython
        labels = text.rstrip(".").lower().encode("ascii").split(b".")
        if all(len(label) <= 63 for label in labels):
            wire = b"".join(bytes((len(label),)) + label for label in labels) + _ROOT
            if len(wire) <= 255:
                return wire
    try:
        name = dns.name.from_text(text)
    except dns.exception.DNSException as exc:
        raise ValueError(f"bad DNS name {text!r}: {exc}") from None
    return _wire(name)


def _wire(name: dns.name.Name) -> bytes:
    wire = name.canonicalize().to_wire()
    assert wire is not None  # None only when writing to a file
    return wire


def wire_to_text(wire: bytes) -> str:
    """Presentation form of an uncompressed wire name, without the final dot."""
    return dns.name.from_wire(wire, 0)[0].to_text(omit_final_dot=True) or "."


def _parent(wire: bytes) -> bytes:
    return wire[wire[0] + 1 :]


def _is_below(wire: bytes, origin: bytes) -> bool:
    """``wire`` is ``origin`` or a name under it (both lower case)."""
    if not wire.endswith(origin):
        return False
    if len(wire) == len(origin):
        return True
    # The suffix must start on a label boundary.
    pos = 0
    while pos < len(wire) - len(origin):
        pos += wire[pos] + 1
    return pos == len(wire) - len(origin)


def _quote_txt(value: str) -> str:
    """Presentation form of a TXT value given as plain text: quoted, split into
    255-byte character-strings.  Text starting with ``"`` is taken as
    master-file format as it is."""
    if value.startswith('"'):
        return value
    raw = value.encode()
    chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return " ".join(
        '"' + c.decode().replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks
    )


def _rdata_wire(kind: int, text: str, owner: str, rtype: str) -> bytes:
    """Uncompressed wire rdata of one record given in presentation format."""
    try:
        if kind == _A:
            return socket.inet_pton(socket.AF_INET, text)
        if kind == _AAAA:
            return socket.inet_pton(socket.AF_INET6, text)
    except OSError:
        raise ValueError(f"bad {rtype} rdata {text!r} for {owner}") from None
    if kind in (_TXT, _SPF):
        text = _quote_txt(text)
    try:
        rd = dns.rdata.from_text(
            dns.rdataclass.IN, dns.rdatatype.RdataType.make(kind), text,
            origin=dns.name.root, relativize=False,
        )  # fmt: skip
    except dns.exception.DNSException as exc:
        raise ValueError(f"bad {rtype} rdata {text!r} for {owner}: {exc}") from None
    wire = rd.to_wire()
    assert wire is not None
    return wire


def _address_shorthand(owner: str, values: str | Sequence[str]) -> dict[str, list[str]]:
    """``{"host": "192.0.2.1"}`` -> ``{"A": ["192.0.2.1"]}`` (AAAA for IPv6)."""
    out: dict[str, list[str]] = {}
    for value in [values] if isinstance(values, str) else values:
        if not isinstance(value, str):
            raise TypeError(f"{owner}: addresses must be str, not {value!r}")
        family = socket.AF_INET6 if ":" in value else socket.AF_INET
        try:
            socket.inet_pton(family, value)
        except OSError:
            raise ValueError(
                f"{owner}: a bare value must be an IP address, not {value!r}; "
                'use {"TYPE": ...} for other records'
            ) from None
        out.setdefault("AAAA" if family == socket.AF_INET6 else "A", []).append(value)
    return out


@dataclass
class RRset:
    """One record set: TTL and the wire rdata of each record, in order."""

    ttl: int
    rdatas: list[bytes] = field(default_factory=list)

    def add(self, rdata: bytes, ttl: int) -> None:
        self.ttl = ttl
        if rdata not in self.rdatas:
            self.rdatas.append(rdata)


#: (owner wire, type, RRset) as parsed from a mapping or a master file.
Parsed = tuple[bytes, int, RRset]


def parse_records(records: Records, default_ttl: int) -> list[Parsed]:
    """Turn a :data:`Records` mapping into record sets (raising ``ValueError``
    / ``TypeError`` that name the offending owner and type)."""
    out: list[Parsed] = []
    for owner, spec in records.items():
        if not isinstance(owner, str):
            raise TypeError(f"owner names must be str, not {owner!r}")
        wire = name_to_wire(owner)
        if isinstance(spec, (str, list, tuple)):
            spec = _address_shorthand(owner, spec)
        if not isinstance(spec, Mapping):
            raise TypeError(f"{owner}: expected a mapping of record types, not {spec!r}")
        ttl = int(spec.get("ttl", spec.get("TTL", default_ttl)))
        for rtype, value in spec.items():
            if rtype.lower() == "ttl":
                continue
            try:
                kind = int(dns.rdatatype.from_text(rtype))
            except dns.exception.DNSException:
                raise ValueError(f"{owner}: unknown record type {rtype!r}") from None
            rr_ttl = ttl
            if isinstance(value, Mapping):
                if set(value) - {"ttl", "values"} or "values" not in value:
                    raise ValueError(
                        f"{owner} {rtype}: expected {{'ttl': N, 'values': [...]}}, got {value!r}"
                    )
                rr_ttl = int(value.get("ttl", ttl))
                value = value["values"]
            values = [value] if isinstance(value, str) else value
            rrset = RRset(rr_ttl)
            for text in values:
                if not isinstance(text, str):
                    raise TypeError(f"{owner} {rtype}: rdata must be str, not {text!r}")
                rrset.add(_rdata_wire(kind, text, owner, rtype), rr_ttl)
            if rrset.rdatas:
                out.append((wire, kind, rrset))
    return out


@dataclass
class Resolution:
    """What the server answers to one (name, type) question: the rcode and
    the answer and authority sections as wire resource records."""

    rcode: int
    answer: list[bytes] = field(default_factory=list)
    authority: list[bytes] = field(default_factory=list)
    authoritative: bool = True


def _rrs(owner: bytes, rtype: int, rrset: RRset, ttl: int | None = None) -> list[bytes]:
    t = rrset.ttl if ttl is None else ttl
    return [owner + _RR.pack(rtype, _IN, t, len(rd)) + rd for rd in rrset.rdatas]


class ZoneStore:
    """The zones a server is authoritative for, and their records.

    Names are lower-case wire names; comparisons are therefore case-insensitive
    for ASCII, as DNS requires.
    """

    def __init__(self, *, default_ttl: int = 300, negative_ttl: int = 60) -> None:
        self.default_ttl = default_ttl
        self.negative_ttl = negative_ttl
        self.zones: dict[bytes, RRset] = {}  # origin -> its SOA RRset
        self.nodes: dict[bytes, dict[int, RRset]] = {}
        self.existing: set[bytes] = set()  # owners and empty non-terminals

    # -- loading -------------------------------------------------------------

    def add_zone(self, origin: bytes, *, recompute: bool = True) -> None:
        """Declare a zone (no-op if it exists); synthesise its SOA if it has none:
        ``ns.<origin>. hostmaster.<origin>. 1 3600 600 86400 <negative_ttl>``.
        ``recompute=False`` leaves the set of existing names to the caller."""
        if origin in self.zones:
            return
        node = self.nodes.setdefault(origin, {})
        soa = node.get(_SOA)
        if soa is None:
            rdata = (
                b"\x02ns" + origin + b"\x0ahostmaster" + origin
                + struct.pack("!IIIII", 1, 3600, 600, 86400, self.negative_ttl)
            )  # fmt: skip
            soa = node[_SOA] = RRset(self.default_ttl, [rdata])
        self.zones[origin] = soa
        if recompute:
            self._recompute_existing()

    def add_rrset(self, owner: bytes, rtype: int, rrset: RRset) -> None:
        """Add (merge) one record set.  A SOA makes its owner a zone apex."""
        node = self.nodes.setdefault(owner, {})
        old = node.get(rtype)
        if old is None:
            node[rtype] = RRset(rrset.ttl, list(rrset.rdatas))
        else:
            for rd in rrset.rdatas:
                old.add(rd, rrset.ttl)
        if rtype == _SOA:
            self.zones[owner] = node[rtype]
        self._mark_existing(owner)

    def remove(self, owner: str, rtype: str | None = None) -> None:
        """Remove every record of ``owner`` (or only its ``rtype`` set)."""
        wire = name_to_wire(owner)
        node = self.nodes.get(wire)
        if node is None:
            return
        if rtype is None:
            node.clear()
        else:
            node.pop(int(dns.rdatatype.from_text(rtype)), None)
        if not node and wire not in self.zones:
            del self.nodes[wire]
        self._recompute_existing()

    def _recompute_existing(self) -> None:
        self.existing = set(self.zones)
        for owner in self.nodes:
            self._mark_existing(owner)

    def _mark_existing(self, owner: bytes) -> None:
        origin = self.find_zone(owner)
        if origin is None:
            return
        name = owner
        while name != origin and name not in self.existing:
            self.existing.add(name)
            name = _parent(name)

    def load_records(self, records: Records, zones: Iterable[str] | None = None) -> None:
        """Load a :data:`Records` mapping.  Without ``zones``, each owner outside
        every known zone makes a zone of its last two labels (``www.example.test``
        -> ``example.test``), or of itself if it has fewer."""
        zones = list(zones or ())
        origins = [name_to_wire(z) for z in zones]
        parsed = parse_records(records, self.default_ttl)
        for owner, rtype, rrset in parsed:  # SOAs first: they define zones
            if rtype == _SOA:
                self.add_rrset(owner, rtype, rrset)
        for origin in origins:
            self.add_zone(origin)
        new_zones: set[bytes] = set()
        for owner, rtype, rrset in parsed:
            if rtype == _SOA:
                continue
            if self.find_zone(owner) is None and not any(_is_below(owner, z) for z in new_zones):
                if zones:
                    raise ValueError(f"{wire_to_text(owner)} is outside the zones {zones}")
                new_zones.add(self._registered_domain(owner))
            # Records may go in before their zone exists: one pass over the
            # nodes at the end marks the names (not one per zone or record).
            self.add_rrset(owner, rtype, rrset)
        for origin in new_zones:
            self.add_zone(origin, recompute=False)
        if new_zones:
            self._recompute_existing()

    @staticmethod
    def _registered_domain(owner: bytes) -> bytes:
        """The last two labels of ``owner`` (all of it if it has fewer)."""
        labels = []
        pos = 0
        while owner[pos]:
            labels.append(pos)
            pos += owner[pos] + 1
        return owner[labels[-2] :] if len(labels) >= 2 else owner

    def load_zone_text(self, text: str, origin: str | None = None) -> str:
        """Load a master file (``$ORIGIN`` or ``origin`` names the zone); returns
        the origin."""
        try:
            zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)
        except dns.exception.DNSException as exc:
            raise ValueError(f"bad zone text (origin {origin!r}): {exc}") from None
        assert zone.origin is not None
        apex = _wire(zone.origin)
        soa = zone.get_rdataset(zone.origin, "SOA")
        self.add_rrset(apex, _SOA, self._from_rdataset(soa))  # first: it makes the zone
        for name, rdataset in zone.iterate_rdatasets():
            if rdataset.rdtype != _SOA:
                owner = _wire(name)
                self.add_rrset(owner, rdataset.rdtype, self._from_rdataset(rdataset))
        self._recompute_existing()
        return zone.origin.to_text(omit_final_dot=True)

    @staticmethod
    def _from_rdataset(rdataset: Any) -> RRset:
        rrset = RRset(int(rdataset.ttl))
        for rd in rdataset:
            wire = rd.to_wire()
            assert wire is not None
            rrset.add(wire, rrset.ttl)
        return rrset

    # -- lookup ----------------------------------------------------------------

    def find_zone(self, name: bytes) -> bytes | None:
        """The closest enclosing zone origin of ``name``, or ``None``."""
        zones = self.zones
        while True:
            if name in zones:
                return name
            if name == _ROOT:
                return None
            name = _parent(name)

    def _lookup(self, name: bytes, origin: bytes) -> dict[int, RRset] | None:
        """The node of ``name`` (a wildcard's, if it applies), ``{}`` for an
        empty non-terminal, ``None`` if the name does not exist."""
        node = self.nodes.get(name)
        if node:
            return node
        if name in self.existing:
            return {}
        # Wildcard: *.<closest encloser> (RFC 4592).
        encloser = _parent(name)
        while encloser != origin and encloser not in self.existing:
            encloser = _parent(encloser)
        return self.nodes.get(b"\x01*" + encloser) or None

    def _negative(self, origin: bytes) -> bytes:
        soa = self.zones[origin]
        minimum = struct.unpack("!I", soa.rdatas[0][-4:])[0]
        return _rrs(origin, _SOA, soa, min(soa.ttl, minimum))[0]

    def resolve(self, qname: bytes, qtype: int) -> Resolution:
        """Answer ``qname`` (lower-case wire) / ``qtype``, class IN.  The first
        owner is written as a pointer to the question (offset 12)."""
        origin = self.find_zone(qname)
        if origin is None:
            return Resolution(dns.rcode.REFUSED, authoritative=False)
        result = Resolution(dns.rcode.NOERROR)
        name, owner, seen = qname, b"\xc0\x0c", set()
        for _ in range(_MAX_CHAIN):
            node = self._lookup(name, origin)
            if node is None:
                result.rcode = dns.rcode.NXDOMAIN
                result.authority.append(self._negative(origin))
                return result
            if qtype == _ANY and node:
                for rtype, rrset in node.items():
                    result.answer += _rrs(owner, rtype, rrset)
                return result
            if qtype in node:
                result.answer += _rrs(owner, qtype, node[qtype])
                return result
            cname = node.get(_CNAME)
            if cname is None:
                result.authority.append(self._negative(origin))
                return result
            result.answer += _rrs(owner, _CNAME, cname)
            seen.add(name)
            name = owner = cname.rdatas[0].lower()
            # Like knot, follow only inside the same zone: a resolver chases
            # the rest with a query of its own.
            if name in seen or self.find_zone(name) != origin:
                return result
        return result
