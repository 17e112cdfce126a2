"""pycares results -> aioresolve records and errors (no I/O here).

Kept apart from the event-loop driver in :mod:`.cares` so the mapping of
c-ares status codes lives in one place and can be read at a glance.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pycares

from .. import _errors
from .._records import (
    AAAA,
    CAA,
    CNAME,
    MX,
    NAPTR,
    NS,
    PTR,
    SOA,
    SRV,
    TLSA,
    TXT,
    URI,
    A,
    Answer,
    Record,
    record_from_rdata,
)

__all__ = [
    "QUERY_TYPES", "answer_from_result", "error_for_status", "negative_ttl_from_result",
    "soa_from_result",
]

#: Record types pycares 5 can both ask for and parse.  SVCB is missing: pycares
#: neither accepts type 64 nor parses it (its parser silently drops the records).
QUERY_TYPES: dict[str, int] = {
    name: getattr(pycares, f"QUERY_TYPE_{name}")
    for name in (
        "A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT", "CAA", "NAPTR",
        "HTTPS", "TLSA", "URI",
    )
}

_E = pycares.errno
#: c-ares status -> aioresolve error class: the one place that maps them.
_STATUS_ERRORS: dict[int, type[_errors.ResolveError]] = {
    _E.ARES_ENOTFOUND: _errors.NXDomain,
    _E.ARES_ENODATA: _errors.NoData,
    _E.ARES_ESERVFAIL: _errors.ServFail,
    _E.ARES_EREFUSED: _errors.Refused,
    _E.ARES_EFORMERR: _errors.FormErr,
    _E.ARES_ETIMEOUT: _errors.Timeout,
    _E.ARES_ECONNREFUSED: _errors.ConnectionRefused,
    _E.ARES_EBADNAME: _errors.IllegalName,
    _E.ARES_EBADQUERY: _errors.IllegalName,
    _E.ARES_ECANCELLED: _errors.ResolverClosed,
    _E.ARES_EDESTRUCTION: _errors.ResolverClosed,
}


def soa_from_result(result: pycares.DNSResult | None) -> SOA | None:
    """The SOA record of a negative response's authority section (RFC 2308 §3)."""
    if result is None:
        return None
    for r in result.authority:
        if r.type == pycares.QUERY_TYPE_SOA:
            record = _record("SOA", r.ttl, r.data)
            assert isinstance(record, SOA)
            return record
    return None


def negative_ttl_from_result(result: pycares.DNSResult | None) -> float | None:
    """How long a negative response may be cached: ``min(SOA TTL, SOA MINIMUM)``
    of its authority section (RFC 2308 §5), or of an SOA answer (the name is
    a zone apex); ``None`` without an SOA."""
    soa = soa_from_result(result)
    if soa is None and result is not None:
        for r in result.answer:
            if r.type == pycares.QUERY_TYPE_SOA:
                soa = _record("SOA", r.ttl, r.data)  # type: ignore[assignment]
                break
    if soa is None:
        return None
    return float(min(soa.ttl, soa.minimum))


def error_for_status(
    status: int, *, host: str, rtype: str | None, backend: str, server: str | None,
    result: pycares.DNSResult | None = None,
) -> _errors.ResolveError:
    """The aioresolve error for a failed c-ares lookup (``status`` is ``ARES_E*``);
    a negative answer carries the SOA of ``result``'s authority section."""
    cls = _STATUS_ERRORS.get(status, _errors.ResolveError)
    evidence: dict[str, Any] = {"host": host, "rtype": rtype, "backend": backend, "server": server}
    if cls is _errors.NXDomain or cls is _errors.NoData:
        evidence["soa"] = soa_from_result(result)
    if cls is _errors.ResolveError or cls is _errors.ResolverClosed:
        # Unusual codes keep c-ares' own wording, so nothing is lost.
        code = pycares.errno.errorcode.get(status, str(status))
        reason = f"{code}: {pycares.errno.strerror(status)!s}"
        return cls(f"lookup of {host!r} failed ({reason})", **evidence)
    return cls(**evidence)


def _text(value: str | bytes) -> bytes:
    # pycares decodes ASCII strings and leaves anything else as bytes.
    return value if isinstance(value, bytes) else value.encode("ascii")


def _svcb_from_params(rtype: str, ttl: int, data: Any) -> Record:
    """Build HTTPS records through dnspython, so ``params`` reads exactly as
    :func:`record_from_rdata` renders it for the other backends."""
    wire = bytearray(struct.pack("!H", data.priority))
    wire += dns.name.from_text(data.target or ".").to_wire() or b""
    for key, value in data.params:
        wire += struct.pack("!HH", key, len(value)) + value
    rdata = dns.rdata.from_wire(
        dns.rdataclass.IN, dns.rdatatype.from_text(rtype), bytes(wire), 0, len(wire)
    )
    return record_from_rdata(rdata, ttl)


def _record(rtype: str, ttl: int, data: Any) -> Record:
    """One pycares ``*RecordData`` -> the matching aioresolve record."""
    if rtype == "A":
        return A(ttl, data.addr)
    if rtype == "AAAA":
        return AAAA(ttl, data.addr)
    if rtype == "CNAME":
        return CNAME(ttl, data.cname)
    if rtype == "NS":
        return NS(ttl, data.nsdname)
    if rtype == "PTR":
        return PTR(ttl, data.dname)
    if rtype == "MX":
        return MX(ttl, data.priority, data.exchange)
    if rtype == "SOA":
        return SOA(ttl, data.mname, data.rname, data.serial, data.refresh, data.retry,
                   data.expire, data.minimum)
    if rtype == "SRV":
        return SRV(ttl, data.priority, data.weight, data.port, data.target)
    if rtype == "TXT":
        # pycares joins the character-strings of one record: boundaries are lost.
        return TXT(ttl, (bytes(data.data),))
    if rtype == "CAA":
        return CAA(ttl, data.critical, data.tag, _text(data.value))
    if rtype == "NAPTR":
        return NAPTR(ttl, data.order, data.preference, _text(data.flags), _text(data.service),
                     _text(data.regexp), data.replacement or ".")
    if rtype == "HTTPS":
        return _svcb_from_params(rtype, ttl, data)
    if rtype == "TLSA":
        return TLSA(ttl, data.cert_usage, data.selector, data.matching_type,
                    bytes(data.cert_association_data))
    if rtype == "URI":
        return URI(ttl, data.priority, data.weight, data.target)
    raise AssertionError(f"unexpected record type {rtype}")  # pragma: no cover


def answer_from_result(
    name: str, rtype: str, result: pycares.DNSResult, server: str | None
) -> Answer | None:
    """Follow the CNAME chain from ``name`` through the answer section and keep
    the ``rtype`` records at its end.  ``None`` when there are none (no data)."""
    # Only class IN answers the question (an A record of class CH is not an address).
    answer: Sequence[Any] = [r for r in result.answer if r.record_class == pycares.QUERY_CLASS_IN]
    owner = name.lower().rstrip(".")
    ttls: list[int] = []
    if rtype != "CNAME":
        cnames = {r.name.lower(): r for r in answer if r.type == pycares.QUERY_TYPE_CNAME}
        seen = {owner}
        while owner in cnames:
            hop = cnames[owner]
            ttls.append(hop.ttl)
            owner = hop.data.cname.lower().rstrip(".")
            if owner in seen:  # a CNAME loop: no records at its end
                return None
            seen.add(owner)
    code = QUERY_TYPES[rtype]
    records = tuple(
        _record(rtype, r.ttl, r.data)
        for r in answer
        if r.type == code and r.name.lower().rstrip(".") == owner
    )
    if not records:
        return None
    canonical = next(r.name for r in answer if r.name.lower().rstrip(".") == owner).rstrip(".")
    return Answer(
        name=name,
        rtype=rtype,
        records=records,
        canonical_name=canonical if ttls else name,
        ttl=min([r.ttl for r in records] + ttls),
        server=server,
    )
