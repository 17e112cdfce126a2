"""A lean DNS codec for the hot path of bulk resolution.

What it does itself: encode a query (ID, RD, one question, EDNS0 OPT), and
decode a response's header, its question and the answer section's A, AAAA
and CNAME records, following compression pointers (each pointer must point
strictly backwards, so loops are impossible; names are bounded to 255 bytes).
Every other answer record keeps its offset into the message and is parsed by
dnspython (:func:`rdata_record`) into an :mod:`aioresolve._records` record.

Why not dnspython for everything: measured on this project's 2-core box
(shared; CPython 3.11, a one-A-record response of the bulk zone, 50 bytes,
``python -m benchmarks.bench_wire --codec``), ``dns.message.from_wire`` takes
~38 µs per response and :func:`parse_response` ~2.3 µs (less when the engine
passes the question it already checked); building a query with
``dns.message.make_query(...).to_wire()`` ~48 µs against ~1.0 µs for
:func:`query_template`.  The whole engine spends ~11.5 µs of CPU per name;
with dnspython on both paths it could not exceed ~10k names/s per core.

The decoder raises only :class:`ParseError`, whatever the bytes.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from .._records import AAAA, CNAME, A, Record, record_from_rdata

__all__ = [
    "CLASS_IN",
    "FLAG_QR",
    "FLAG_RD",
    "FLAG_TC",
    "TYPE_A",
    "TYPE_AAAA",
    "TYPE_CNAME",
    "ParseError",
    "RR",
    "Response",
    "decode_name",
    "encode_name",
    "encode_response",
    "parse_response",
    "query_template",
    "rdata_record",
]

TYPE_A, TYPE_CNAME, TYPE_AAAA, TYPE_OPT = 1, 5, 28, 41
CLASS_IN = 1
FLAG_QR, FLAG_TC, FLAG_RD = 0x8000, 0x0200, 0x0100

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")  # type, class, ttl, rdlength (after the owner name)
_QTAIL = struct.Struct("!HH")
_MAX_NAME = 255
_LENGTH = [bytes((n,)) for n in range(64)]


class ParseError(ValueError):
    """The bytes are not a well-formed DNS message (or not the part we need)."""


def encode_name(name: str) -> bytes:
    """Wire form of an A-label ``name`` (no trailing dot needed; ``""``/``"."``
    is the root).  Letters are kept as given.

    :raises ValueError: empty or over-long label, name over 255 bytes, non-ASCII.
    """
    text = name[:-1] if name.endswith(".") else name
    if not text:
        return b"\x00"
    labels = text.encode("ascii").split(b".")
    for label in labels:
        if not 0 < len(label) < 64:
            raise ValueError(f"bad label length in {name!r}")
    if len(text) > _MAX_NAME - 2:  # wire length is len(text) + 2
        raise ValueError(f"name too long: {name!r}")
    return b"".join([_LENGTH[len(label)] + label for label in labels]) + b"\x00"


def query_template(name: str, qtype: int, *, payload: int = 1232, rd: bool = True) -> bytes:
    """A query without its first two bytes (the ID): flags, counts, the
    question (IN class) and, when ``payload`` > 0, an EDNS0 OPT record
    advertising that UDP payload size.  Prefix a 16-bit ID to send it.

    :raises ValueError: as :func:`encode_name`.
    """
    question = encode_name(name) + _QTAIL.pack(qtype, CLASS_IN)
    arcount = 1 if payload > 0 else 0
    head = _HEADER.pack(0, FLAG_RD if rd else 0, 1, 0, 0, arcount)[2:]
    opt = b"\x00" + _RR.pack(TYPE_OPT, payload, 0, 0) if payload > 0 else b""
    return head + question + opt


def decode_name(data: bytes, offset: int) -> tuple[str, int]:
    """Read the name at ``offset``: (lower-case text without trailing dot,
    offset after the name in place).  ``"."`` is the root.

    :raises ParseError: truncated, forward or self pointer, reserved label
        type, name longer than 255 bytes.
    """
    labels: list[bytes] = []
    end = -1
    size = 1
    pos = offset
    limit = len(data)
    while True:
        if pos >= limit:
            raise ParseError("name runs past the end")
        length = data[pos]
        if length == 0:
            if end < 0:
                end = pos + 1
            break
        if length >= 0xC0:
            if pos + 1 >= limit:
                raise ParseError("truncated compression pointer")
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if end < 0:
                end = pos + 2
            if target >= pos:  # only backwards: this is what makes loops impossible
                raise ParseError("compression pointer does not point backwards")
            pos = target
            continue
        if length > 63:
            raise ParseError("reserved label type")
        size += length + 1
        if size > _MAX_NAME:
            raise ParseError("name longer than 255 bytes")
        if pos + 1 + length > limit:
            raise ParseError("label runs past the end")
        labels.append(data[pos + 1 : pos + 1 + length])
        pos += 1 + length
    if not labels:
        return ".", end
    try:
        return b".".join(labels).lower().decode("ascii"), end
    except UnicodeDecodeError:
        # Binary labels are legal DNS; keep them readable and unambiguous.
        text = ".".join(
            "".join(chr(c) if 32 < c < 127 and c not in (46, 92) else f"\\{c:03d}" for c in label)
            for label in labels
        )
        return text.lower(), end


class RR(NamedTuple):
    """One answer record: owner (lower-case), type, class, TTL, and either the
    decoded value (A/AAAA address text, CNAME target) or ``None`` with the
    rdata's offset/length for :func:`rdata_record`."""

    owner: str
    rtype: int
    rclass: int
    ttl: int
    value: str | None
    offset: int
    length: int


class Response(NamedTuple):
    """A decoded response.  ``question`` is the raw question section (for a
    case-insensitive comparison with the one sent); ``qname`` its name."""

    id: int
    flags: int
    rcode: int
    question: bytes
    qname: str
    qtype: int
    qclass: int
    answers: list[RR]

    @property
    def tc(self) -> bool:
        return bool(self.flags & FLAG_TC)


def _question_end(data: bytes) -> int:
    """Offset just after the one question, which must not use compression."""
    pos = 12
    limit = len(data)
    while True:
        if pos >= limit:
            raise ParseError("question runs past the end")
        length = data[pos]
        if length == 0:
            break
        if length > 63:
            raise ParseError("compressed or reserved label in the question")
        pos += 1 + length
    if pos - 12 + 1 > _MAX_NAME:
        raise ParseError("question name longer than 255 bytes")
    end = pos + 5
    if end > limit:
        raise ParseError("question runs past the end")
    return end


def parse_response(data: bytes, question: bytes = b"", qname: str = "") -> Response:
    """Decode the header, question and answer section of ``data``.

    A caller that has already checked that ``data`` holds ``question`` (the
    question section's bytes, case-insensitively) may pass it and its name
    ``qname`` (lower case, no trailing dot) to skip decoding them again.

    The extended RCODE bits of an OPT record are not read (the 4-bit RCODE
    covers everything a stub asks about).  Authority and additional sections
    are skipped.

    :raises ParseError: on anything malformed, including a message that does
        not hold exactly one question.
    """
    if len(data) < 12:
        raise ParseError("shorter than a DNS header")
    qid, flags, qdcount, ancount, _ns, _ar = _HEADER.unpack_from(data)
    if qdcount != 1:
        raise ParseError(f"{qdcount} questions instead of 1")
    if question and qname:
        qend = 12 + len(question)
        question = data[12:qend]
    else:
        qend = _question_end(data)
        question = data[12:qend]
        qname, _ = decode_name(data, 12)
    qtype, qclass = _QTAIL.unpack_from(data, qend - 4)
    answers: list[RR] = []
    pos = qend
    limit = len(data)
    for _ in range(ancount):
        if pos + 1 < limit and data[pos] == 0xC0 and data[pos + 1] == 12:
            owner, pos = qname, pos + 2  # the usual case: a pointer to the question
        else:
            owner, pos = decode_name(data, pos)
        if pos + 10 > limit:
            raise ParseError("record header runs past the end")
        rtype, rclass, ttl, rdlen = _RR.unpack_from(data, pos)
        pos += 10
        if pos + rdlen > limit:
            raise ParseError("rdata runs past the end")
        value: str | None = None
        if rclass == CLASS_IN:
            if rtype == TYPE_A:
                if rdlen != 4:
                    raise ParseError("A record of the wrong length")
                value = socket.inet_ntoa(data[pos : pos + 4])
            elif rtype == TYPE_AAAA:
                if rdlen != 16:
                    raise ParseError("AAAA record of the wrong length")
                value = socket.inet_ntop(socket.AF_INET6, data[pos : pos + 16])
            elif rtype == TYPE_CNAME:
                value, after = decode_name(data, pos)
                if after != pos + rdlen:
                    raise ParseError("CNAME rdata length mismatch")
        answers.append(RR(owner, rtype, rclass, ttl & 0x7FFFFFFF, value, pos, rdlen))
        pos += rdlen
    return Response(qid, flags, flags & 0xF, question, qname, qtype, qclass, answers)


def rdata_record(data: bytes, rr: RR) -> Record:
    """The typed record of ``rr`` (an answer of ``data``).

    :raises ParseError: dnspython cannot parse the rdata.
    """
    if rr.value is not None:
        if rr.rtype == TYPE_A:
            return A(rr.ttl, rr.value)
        if rr.rtype == TYPE_AAAA:
            return AAAA(rr.ttl, rr.value)
        return CNAME(rr.ttl, rr.value)
    try:
        rdata = dns.rdata.from_wire(
            dns.rdataclass.RdataClass.make(rr.rclass),
            dns.rdatatype.RdataType.make(rr.rtype),
            data,
            rr.offset,
            rr.length,
        )
        return record_from_rdata(rdata, rr.ttl)
    except (dns.exception.DNSException, ValueError, TypeError, IndexError, KeyError,
            UnicodeError, struct.error) as exc:
        raise ParseError(f"bad {rr.rtype} rdata: {exc}") from None


def encode_response(
    qid: int,
    name: str,
    qtype: int,
    answers: list[tuple[str, int, int, str]],
    *,
    rcode: int = 0,
    flags: int = FLAG_QR | FLAG_RD | 0x0400,
) -> bytes:
    """A response to the question (``name``, ``qtype``, IN) with ``answers``
    given as (owner, type, ttl, value) for A/AAAA/CNAME.  Owners equal to
    ``name`` are compressed to a pointer to the question; other names are
    written in full.  For tests and fake servers.
    """
    question = encode_name(name) + _QTAIL.pack(qtype, CLASS_IN)
    out = bytearray(_HEADER.pack(qid, flags | (rcode & 0xF), 1, len(answers), 0, 0))
    out += question
    wanted = name.rstrip(".").lower()
    for owner, rtype, ttl, value in answers:
        out += b"\xc0\x0c" if owner.rstrip(".").lower() == wanted else encode_name(owner)
        if rtype == TYPE_A:
            rdata = socket.inet_aton(value)
        elif rtype == TYPE_AAAA:
            rdata = socket.inet_pton(socket.AF_INET6, value)
        elif rtype == TYPE_CNAME:
            rdata = encode_name(value)
        else:
            raise ValueError(f"encode_response cannot write type {rtype}")
        out += _RR.pack(rtype, CLASS_IN, ttl, len(rdata)) + rdata
    return bytes(out)
