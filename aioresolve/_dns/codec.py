"""A lean DNS codec for the hot path of bulk resolution.

What it does itself: encode a query (ID, RD, one question, EDNS0 OPT), and
decode a response's header, its question, the answer section's A, AAAA and
CNAME records and, for a negative answer, the authority section's SOA.  Every
other record keeps its offset into the message and is parsed by dnspython
(:func:`rdata_record`) into an :mod:`aioresolve._records` record.

Why not dnspython for everything: measured on this project's 2-core box
(shared; CPython 3.11, a one-A-record response of the bulk zone, 50 bytes,
``python -m benchmarks.bench_codec``), ``dns.message.from_wire`` takes
~38 µs per response and :func:`parse_response` ~2.3 µs (less when the engine
passes the question it already checked); building a query with
``dns.message.make_query(...).to_wire()`` ~48 µs against ~1.0 µs for
:func:`query_template`.  The whole engine spends ~11.5 µs of CPU per name;
with dnspython on both paths it could not exceed ~10k names/s per core.

What the decoder guarantees, whatever the bytes:

- it raises only :class:`ParseError`;
- its work is linear in the message size.  Compression pointers must point
  strictly backwards of themselves, at most :data:`MAX_POINTER_HOPS` are
  followed per name, and the name starting at every position a walk has
  reached through a pointer is remembered for the rest of the message: a
  later pointer there costs one step, so each byte is walked at most once in
  place and once after a jump (a thousand owners pointing at one long chain
  cost one walk of it; ``tests/test_codec_hardening_work.py`` asserts at most
  two reads of the message per byte);
- answer records of another class than the question's are skipped (as
  dnspython's resolver matches the rdclass), so a CH ``A`` is never an answer;
- a TTL with its top bit set is read as 0 (RFC 2181 §8);
- names come out in one presentation form, dnspython's: lower case, no
  trailing dot (``"."`` is the root), ``\\.`` for a dot inside a label,
  ``\\\\``, ``\\"``, ``\\(`` ``\\)`` ``\\;`` ``\\@`` ``\\$``, and ``\\DDD``
  for bytes outside ``!``..``~``.  :func:`encode_name` reads that form back.

One module on purpose (over the usual size): the compiled twin
(``_codec_c``, see ``setup.py``) is this file compiled by Cython, so the hot
path must not call into another pure-Python module.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

from .._records import AAAA, CNAME, SOA, A, Record, record_from_rdata

__all__ = [
    "CLASS_IN",
    "FLAG_QR",
    "FLAG_RD",
    "FLAG_TC",
    "MAX_POINTER_HOPS",
    "TYPE_A",
    "TYPE_AAAA",
    "TYPE_CNAME",
    "TYPE_SOA",
    "ParseError",
    "RR",
    "Response",
    "authority_records",
    "decode_name",
    "encode_name",
    "encode_response",
    "parse_response",
    "query_template",
    "rdata_record",
]

TYPE_A, TYPE_CNAME, TYPE_SOA, TYPE_AAAA, TYPE_OPT = 1, 5, 6, 28, 41
CLASS_IN, CLASS_ANY = 1, 255
FLAG_QR, FLAG_TC, FLAG_RD = 0x8000, 0x0200, 0x0100
#: Compression pointers followed for one name, as dnspython
#: (``dns.name.MAX_COMPRESSION_POINTER_CHAIN``); real messages use one or two.
MAX_POINTER_HOPS = 16

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")  # type, class, ttl, rdlength (after the owner name)
_POINTER_RR = struct.Struct("!HHHIH")  # the same after an owner that is one pointer
_QTAIL = struct.Struct("!HH")
_SOA_TAIL = struct.Struct("!IIIII")
_MAX_NAME = 255
_LENGTH = [bytes((n,)) for n in range(64)]
_DOTS = [b"." * n for n in range(128)]
# Label bytes printed as themselves (dnspython's ``_escapify``): ``!``..``~``
# except the characters that are special in zone files.
_SPECIAL = b'"().;\\@$'
_PLAIN = bytes(c for c in range(0x21, 0x7F) if c not in _SPECIAL)
_ESCAPE = [
    chr(c) if c in _PLAIN else "\\" + chr(c) if c in _SPECIAL else f"\\{c:03d}"
    for c in range(256)
]
# position -> (text of a name, ``offset << 16 | size << 8 | hops``): the name
# starting at that position is ``text[offset:]`` ("" for the root), its wire
# size and its pointer hops.  Ints and one shared text per walk instead of a
# string and a tuple per position: a hostile 64 KiB message visits thousands.
_Memo = dict[int, tuple[str, int]]


class ParseError(ValueError):
    """The bytes are not a well-formed DNS message (or not the part we need)."""


def _label_text(label: bytes) -> str:
    return "".join([_ESCAPE[c] for c in label.lower()])


def _unescape(name: str) -> list[bytes]:
    """Labels of a name in presentation form (``\\.``, ``\\DDD`` ...)."""
    labels: list[bytes] = []
    label = bytearray()
    i, n = 0, len(name)
    while i < n:
        c = name[i]
        if c == ".":
            labels.append(bytes(label))
            label.clear()
            i += 1
            continue
        if c == "\\":
            if "0" <= name[i + 1 : i + 2] <= "9":
                digits = name[i + 1 : i + 4]
                if not (len(digits) == 3 and digits.isascii() and digits.isdigit()
                        and int(digits) <= 255):
                    raise ValueError(f"bad \\DDD escape in {name!r}")
                label.append(int(digits))
                i += 4
                continue
            if i + 1 >= n:
                raise ValueError(f"name ends in a backslash: {name!r}")
            c = name[i + 1]
            i += 1
        code = ord(c)
        if code > 0x7F:
            raise ValueError(f"non-ASCII character in {name!r}")
        label.append(code)
        i += 1
    labels.append(bytes(label))
    return labels


def encode_name(name: str) -> bytes:
    """Wire form of an A-label ``name`` (no trailing dot needed; ``""``/``"."``
    is the root), in the presentation form :func:`decode_name` gives
    (``\\.`` and ``\\DDD`` escapes are read back).  Letters are kept as given.

    :raises ValueError: empty or over-long label, name over 255 bytes, non-ASCII,
        a bad escape.
    """
    if "\\" not in name:
        text = name[:-1] if name.endswith(".") else name
        if not text:
            return b"\x00"
        labels = text.encode("ascii").split(b".")
    else:
        labels = _unescape(name)
        if len(labels) > 1 and not labels[-1]:  # the trailing dot
            labels.pop()
    wire = b""
    for label in labels:
        size = len(label)
        if not 0 < size < 64:
            raise ValueError(f"bad label length in {name!r}")
        wire += _LENGTH[size] + label
    if len(wire) + 1 > _MAX_NAME:
        raise ValueError(f"name too long: {name!r}")
    return wire + b"\x00"


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


def _text(labels: list[bytes]) -> str:
    """Presentation text of raw labels: lower case, escaped as dnspython does."""
    joined = b".".join(labels)
    if joined.translate(None, _PLAIN) == _DOTS[len(labels) - 1]:
        return joined.lower().decode("ascii")
    return ".".join([_label_text(label) for label in labels])


def _read_name(data: bytes, pos: int, memo: _Memo) -> tuple[str, int]:
    """(text, "" for the root; offset after the name in place).

    ``memo`` maps positions that an earlier walk of this message reached
    through a pointer (a label, a pointer or the terminal byte) to the name
    that starts there.  After its first pointer this walk stops at the first
    such position, and adds every position it visits.  Positions in place
    are new by construction (pointers only point backwards), so each byte is
    walked at most once in place and at most once after a jump (a walk that
    revisits a position loops, and fails): the work of a whole message is
    linear in its size, whatever its pointers do.
    """
    labels: list[bytes] = []
    limit = len(data)
    start = pos
    # 1. in place: the name's own bytes (the hot loop: a read past the end
    # raises IndexError, the size is checked once after it)
    length = data[pos]
    while 0 < length < 64:
        labels.append(data[pos + 1 : pos + 1 + length])
        pos += 1 + length
        length = data[pos]
    if length > 63 and length < 0xC0:
        raise ParseError("reserved label type")
    size = pos - start + 1
    if size > _MAX_NAME:
        raise ParseError("name longer than 255 bytes")
    if length == 0:  # all in place
        text = _text(labels) if labels else ""
        memo[start] = (text, size << 8)
        return text, pos + 1
    end = pos + 2
    target = ((length & 0x3F) << 8) | data[pos + 1]
    hit = memo.get(target)
    if hit is not None and target < pos:  # the usual compression: a pointer to a known name
        tail_text, tail_info = hit
        tail = tail_text[tail_info >> 16 :]
        size += ((tail_info >> 8) & 0xFF) - 1
        total_hops = 1 + (tail_info & 0xFF)
        if size > _MAX_NAME:
            raise ParseError("name longer than 255 bytes")
        if total_hops > MAX_POINTER_HOPS:
            raise ParseError(f"more than {MAX_POINTER_HOPS} compression pointers in a name")
        if labels:
            text = _text(labels)
            if tail:
                text = text + "." + tail
        else:
            text = tail
        memo[start] = (text, size << 8 | total_hops)
        return text, end
    # 2. after the first pointer: known positions end the walk
    marks: list[int] = []  # visited: position << 24 | labels << 16 | size << 8 | hops, before it
    hops = 0
    tail = ""  # text of a memoized suffix
    tail_info = 0
    while True:  # ``length``: a pointer, or the terminal byte, to begin with
        if length == 0:
            if marks:
                marks.append(pos << 24 | len(labels) << 16 | size << 8 | hops)  # terminal
            break
        if length >= 0xC0:
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if target >= pos:  # only backwards: with the size cap, loops end
                raise ParseError("compression pointer does not point backwards")
            marks.append(pos << 24 | len(labels) << 16 | size << 8 | hops)
            hops += 1
            if hops > MAX_POINTER_HOPS:
                raise ParseError(f"more than {MAX_POINTER_HOPS} compression pointers in a name")
            pos = target
        else:
            if length > 63:
                raise ParseError("reserved label type")
            marks.append(pos << 24 | len(labels) << 16 | size << 8 | hops)
            size += length + 1
            if size > _MAX_NAME:
                raise ParseError("name longer than 255 bytes")
            if pos + 1 + length > limit:
                raise ParseError("label runs past the end")
            labels.append(data[pos + 1 : pos + 1 + length])
            pos += 1 + length
        hit = memo.get(pos)
        if hit is not None:
            tail_text, tail_info = hit
            tail = tail_text[tail_info >> 16 :]
            size += ((tail_info >> 8) & 0xFF) - 1
            if size > _MAX_NAME:
                raise ParseError("name longer than 255 bytes")
            if hops + (tail_info & 0xFF) > MAX_POINTER_HOPS:
                raise ParseError(f"more than {MAX_POINTER_HOPS} compression pointers in a name")
            break
        length = data[pos]
    if labels:
        joined = b".".join(labels)
        if joined.translate(None, _PLAIN) == _DOTS[len(labels) - 1]:
            text = joined.lower().decode("ascii")
            if marks:
                lengths = list(map(len, labels))
        else:  # special bytes: escape them, as dnspython prints names
            parts = [_label_text(label) for label in labels]
            text = ".".join(parts)
            lengths = list(map(len, parts))
        if tail:
            text = text + "." + tail
    else:
        text = tail
    total_hops = hops + (tail_info & 0xFF)
    memo[start] = (text, size << 8 | total_hops)  # later owners often point at this name
    if marks:  # the name starting at each position visited after a jump: a suffix of text
        offsets = [0]
        if labels:
            offset = 0
            for n in lengths:
                offset += n + 1
                offsets.append(offset)
        for mark in marks:
            before = (mark >> 8) & 0xFF
            memo[mark >> 24] = (text, offsets[(mark >> 16) & 0xFF] << 16
                                | (size - before + 1) << 8 | (total_hops - (mark & 0xFF)))
    return text, end


def decode_name(data: bytes, offset: int) -> tuple[str, int]:
    """Read the name at ``offset``: (lower-case presentation text without
    trailing dot, offset after the name in place).  ``"."`` is the root.

    :raises ParseError: truncated, forward or self pointer, more than
        :data:`MAX_POINTER_HOPS` pointers, reserved label type, name longer
        than 255 bytes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)) or not isinstance(offset, int):
        raise ParseError("decode_name needs bytes and an int offset")
    if offset < 0:
        raise ParseError("negative offset")
    try:
        text, end = _read_name(bytes(data) if not isinstance(data, bytes) else data, offset, {})
    except IndexError:
        raise ParseError("name runs past the end") from None
    return text or ".", end


class RR(NamedTuple):
    """One record: owner (lower-case presentation form), type, class, TTL
    (RFC 2181: 0 if the top bit is set), and either the
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
    case-insensitive comparison with the one sent); ``qname`` its name.

    ``answers`` holds the answer records of the question's class.  For a
    negative answer (NXDOMAIN, or no record of ``qtype``) ``soa`` is the
    authority section's first SOA (class IN) whose owner is the question's
    name, a CNAME target of the answer, or one of their parents, and
    ``negative_ttl`` is min(its TTL, its MINIMUM) (RFC 2308 §5); both are
    ``None`` otherwise; ``soa_owner`` is that SOA's owner (the zone's apex).
    ``authority_offset``/``authority_count`` locate the authority section for
    :func:`authority_records`.
    """

    id: int
    flags: int
    rcode: int
    question: bytes
    qname: str
    qtype: int
    qclass: int
    answers: list[RR]
    soa: SOA | None = None
    negative_ttl: int | None = None
    authority_offset: int = 0
    authority_count: int = 0
    soa_owner: str | None = None

    @property
    def tc(self) -> bool:
        return bool(self.flags & FLAG_TC)


def _question(data: bytes) -> tuple[int, str]:
    """(offset just after the one question, its name): the question must not
    use compression."""
    labels: list[bytes] = []
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
        labels.append(data[pos + 1 : pos + 1 + length])
        pos += 1 + length
    if pos - 12 + 1 > _MAX_NAME:
        raise ParseError("question name longer than 255 bytes")
    end = pos + 5
    if end > limit:
        raise ParseError("question runs past the end")
    return end, _text(labels) if labels else "."


_new_rr = tuple.__new__  # RR(...) through NamedTuple.__new__ costs ~0.2 µs more per record


def _records(data: bytes, pos: int, count: int, qname: str, qclass: int, memo: _Memo,
             decode: bool) -> tuple[list[RR], int]:
    """``count`` records from ``pos``: (those of class ``qclass``, offset
    after them).  With ``decode``, A/AAAA/CNAME values are decoded.

    Reads past the end raise IndexError or struct.error: callers turn them
    into ParseError."""
    records: list[RR] = []
    append = records.append
    unpack = _RR.unpack_from
    limit = len(data)
    unpack_pointed = _POINTER_RR.unpack_from
    for _ in range(count):
        if data[pos] >= 0xC0:  # an owner that is one pointer: usually to a known name
            target, rtype, rclass, ttl, rdlen = unpack_pointed(data, pos)
            target &= 0x3FFF
            if target == 12:
                owner = qname
            else:
                hit = memo.get(target)
                if hit is not None and target < pos and hit[1] & 0xFF < MAX_POINTER_HOPS:
                    owner = hit[0][hit[1] >> 16 :] or "."
                else:
                    owner = _read_name(data, pos, memo)[0] or "."
            pos += 12
        else:
            owner, pos = _read_name(data, pos, memo)
            owner = owner or "."
            rtype, rclass, ttl, rdlen = unpack(data, pos)
            pos += 10
        end = pos + rdlen
        if end > limit:
            raise ParseError("rdata runs past the end")
        if rclass != qclass and qclass != CLASS_ANY:
            pos = end  # another class: never an answer to this question
            continue
        value: str | None = None
        if decode and rclass == CLASS_IN:
            if rtype == TYPE_A:
                if rdlen != 4:
                    raise ParseError("A record of the wrong length")
                value = socket.inet_ntoa(data[pos:end])
            elif rtype == TYPE_AAAA:
                if rdlen != 16:
                    raise ParseError("AAAA record of the wrong length")
                value = socket.inet_ntop(socket.AF_INET6, data[pos:end])
            elif rtype == TYPE_CNAME:
                value, after = _read_name(data, pos, memo)
                value = value or "."
                if after != end:
                    raise ParseError("CNAME rdata length mismatch")
        # RFC 2181 §8: a TTL with the top bit set is 0
        append(_new_rr(RR, (owner, rtype, rclass, ttl if ttl < 0x80000000 else 0, value,
                            pos, rdlen)))
        pos = end
    return records, pos


def _skip_name(data: bytes, pos: int) -> int:
    """Offset after the name at ``pos`` in place (not decoded)."""
    while True:
        length = data[pos]
        if length == 0:
            return pos + 1
        if length >= 0xC0:
            return pos + 2
        if length > 63:
            raise ParseError("reserved label type")
        pos += 1 + length


def _covers(zone: str, name: str) -> bool:
    return zone == "." or name == zone or name.endswith("." + zone)


def _negative_soa(data: bytes, pos: int, count: int, qname: str, answers: list[RR],
                  memo: _Memo) -> tuple[SOA, int, str] | None:
    """The SOA of a negative answer from the authority section at ``pos``,
    its negative TTL (RFC 2308 §5) and its owner: the first IN SOA whose owner
    is ``qname``, a CNAME target in ``answers``, or one of their parents."""
    limit = len(data)
    if "\\" not in qname and qname != ".":
        # The SOA's owner is nearly always a pointer to a parent in the
        # question: make those known positions (wire offset 13 + k for a dot
        # at k; the text has one character per wire byte).
        qsize = memo[12][1] >> 8
        dot = qname.find(".")
        while dot >= 0:
            memo.setdefault(13 + dot, (qname, (dot + 1) << 16 | (qsize - dot - 1) << 8))
            dot = qname.find(".", dot + 1)
    for _ in range(count):
        start = pos
        pos = _skip_name(data, pos)
        rtype, rclass, ttl, rdlen = _RR.unpack_from(data, pos)
        pos += 10
        end = pos + rdlen
        if end > limit:
            raise ParseError("rdata runs past the end")
        if rtype != TYPE_SOA or rclass != CLASS_IN:
            pos = end
            continue
        owner = _read_name(data, start, memo)[0] or "."
        if not _covers(owner, qname) and not any(
                rr.rtype == TYPE_CNAME and rr.value is not None and _covers(owner, rr.value)
                for rr in answers):
            pos = end
            continue
        mname, pos = _read_name(data, pos, memo)
        rname, pos = _read_name(data, pos, memo)
        if pos + 20 != end:
            raise ParseError("SOA rdata length mismatch")
        serial, refresh, retry, expire, minimum = _SOA_TAIL.unpack_from(data, pos)
        if ttl >= 0x80000000:
            ttl = 0
        if minimum >= 0x80000000:
            minimum = 0  # a TTL, so RFC 2181 §8 applies
        soa = SOA(ttl, mname or ".", rname or ".", serial, refresh, retry, expire, minimum)
        return soa, min(ttl, minimum), owner
    return None


def parse_response(data: bytes, question: bytes = b"", qname: str = "") -> Response:
    """Decode the header, question and answer section of ``data`` and, for a
    negative answer, the SOA of its authority section.

    A caller that has already checked that ``data`` holds ``question`` (the
    question section's bytes, case-insensitively) may pass it and its name
    ``qname`` (presentation form as :func:`decode_name` gives it) to skip
    decoding them again.

    The extended RCODE bits of an OPT record are not read (the 4-bit RCODE
    covers everything a stub asks about).  The additional section is skipped.

    :raises ParseError: on anything malformed, including a message that does
        not hold exactly one question.
    """
    if not isinstance(data, bytes):
        if not isinstance(data, (bytearray, memoryview)):
            raise ParseError("parse_response needs bytes")
        data = bytes(data)
    try:
        if len(data) < 12:
            raise ParseError("shorter than a DNS header")
        qid, flags, qdcount, ancount, nscount, _ar = _HEADER.unpack_from(data)
        if qdcount != 1:
            raise ParseError(f"{qdcount} questions instead of 1")
        if question and qname:
            qend = 12 + len(question)
            if qend > len(data):
                raise ParseError("question runs past the end")
            question = data[12:qend]
        else:
            qend, qname = _question(data)
            question = data[12:qend]
        qtype, qclass = _QTAIL.unpack_from(data, qend - 4)
        memo: _Memo = {12: ("" if qname == "." else qname, (qend - 16) << 8)}
        answers, pos = _records(data, qend, ancount, qname, qclass, memo, True)
        rcode = flags & 0xF
        soa = negative_ttl = soa_owner = None
        if nscount and (rcode == 3 or (rcode == 0 and not any(rr.rtype == qtype
                                                              for rr in answers))):
            found = _negative_soa(data, pos, nscount, qname, answers, memo)
            if found is not None:
                soa, negative_ttl, soa_owner = found
        response: Response = _new_rr(Response, (qid, flags, rcode, question, qname, qtype,
                                                qclass, answers, soa, negative_ttl, pos, nscount,
                                                soa_owner))
        return response
    except (IndexError, struct.error):  # a read past the end (free when nothing raises)
        raise ParseError("message ends inside a record") from None


def authority_records(data: bytes, response: Response) -> list[RR]:
    """The authority section's records of the question's class (for full
    output; :func:`rdata_record` gives their typed records).

    :raises ParseError: on anything malformed.
    """
    memo: _Memo = {12: ("" if response.qname == "." else response.qname,
                        (len(response.question) - 4) << 8)}
    try:
        records, _ = _records(data, response.authority_offset, response.authority_count,
                              response.qname, response.qclass, memo, False)
    except (IndexError, struct.error):
        raise ParseError("message ends inside a record") from None
    return records


def _svcb_keys_increase(data: bytes, pos: int, end: int) -> None:
    """RFC 9460 2.2: an SVCB rdata's keys strictly increase.  dnspython 2.9
    checks it; 2.8 (what Python 3.10 gets) let a repeated key through, the
    last value winning: checked here so every version refuses it."""
    pos += 2  # SvcPriority
    while pos < end:  # TargetName (a pointer ends it)
        length = data[pos]
        if length >= 0xC0:
            pos += 2
            break
        pos += 1 + length
        if not length:
            break
    prior = -1
    while pos + 4 <= end:
        key = data[pos] << 8 | data[pos + 1]
        if key <= prior:
            raise ParseError(f"SVCB keys not in strictly increasing order ({key} after {prior})")
        prior = key
        pos += 4 + (data[pos + 2] << 8 | data[pos + 3])


def rdata_record(data: bytes, rr: RR) -> Record:
    """The typed record of ``rr`` (an answer of ``data``).

    :raises ParseError: dnspython cannot parse the rdata, or anything else
        goes wrong building the record.
    """
    if rr.value is not None:
        if rr.rtype == TYPE_A:
            return A(rr.ttl, rr.value)
        if rr.rtype == TYPE_AAAA:
            return AAAA(rr.ttl, rr.value)
        return CNAME(rr.ttl, rr.value)
    try:
        import dns.rdata  # not at the top: most of dnspython's import time (issue 12's start-up)
        import dns.rdataclass
        import dns.rdatatype

        if rr.rtype == 64 or rr.rtype == 65:  # SVCB, HTTPS
            _svcb_keys_increase(data, rr.offset, rr.offset + rr.length)
        rdata = dns.rdata.from_wire(
            dns.rdataclass.RdataClass.make(rr.rclass),
            dns.rdatatype.RdataType.make(rr.rtype),
            data,
            rr.offset,
            rr.length,
        )
        return record_from_rdata(rdata, rr.ttl)
    except Exception as exc:
        # Last resort, on purpose this broad: the engine calls this on bytes
        # from the network inside a read callback, where any other exception
        # would strand the query (dnspython raises FormError, ValueError,
        # struct.error ...; a record builder bug AttributeError).  The
        # message keeps the cause.
        raise ParseError(f"bad {rr.rtype} rdata: {type(exc).__name__}: {exc}") from None


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
