"""DNS messages for the codec's tests, fuzz corpus and benchmark: normal
answers, and hostile ones built to make a decoder do work out of proportion
to their size (long compression-pointer chains, pointers into label runs).

Everything here is built at run time (no binary files in the repository).
"""

from __future__ import annotations

import struct

import dns.message
import dns.name
import dns.rrset

__all__ = [
    "HOSTILE",
    "NORMAL",
    "label_runs",
    "long_owners",
    "normal_messages",
    "pointer_chain",
]

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_QUESTION = b"\x01x\x04test\x00" + struct.pack("!HH", 1, 1)  # x.test A IN, at offset 12
_TYPE_NULL = 10


def _message(records: list[bytes], ancount: int | None = None) -> bytes:
    head = _HEADER.pack(0x4242, 0x8180, 1, len(records) if ancount is None else ancount, 0, 0)
    return head + _QUESTION + b"".join(records)


def _null_record(rdata: bytes) -> bytes:
    """A NULL record owned by the question's name, carrying ``rdata`` (never
    decoded as names by a stub, so it can hold any bytes pointers aim at)."""
    return b"\xc0\x0c" + _RR.pack(_TYPE_NULL, 1, 60, len(rdata)) + rdata


def pointer_chain(size: int, chain: int, *, rtype: int = 1) -> bytes:
    """A message of about ``size`` bytes (at most 65535): a chain of ``chain``
    pointers, each to the one before, ending at the question's name, then as
    many records as fit whose owner is a pointer to the chain's last link.

    A decoder without a hop limit walks the whole chain for every owner:
    quadratic work (seconds for 64 KiB).
    """
    start = 12 + len(_QUESTION) + 2 + _RR.size  # where the NULL record's rdata begins
    links = bytearray()
    previous = 12
    for i in range(chain):
        links += struct.pack("!H", 0xC000 | previous)
        previous = start + 2 * i
    records = [_null_record(bytes(links))]
    owner = struct.pack("!H", 0xC000 | previous)
    rdata = b"\xc0\x00\x02\x01" if rtype == 1 else b""
    one = owner + _RR.pack(rtype, 1, 60, len(rdata)) + rdata
    used = 12 + len(_QUESTION) + len(records[0])
    count = max(0, min((size - used) // len(one), 65535 - 1))
    return _message(records + [one] * count)


def label_runs(size: int, *, run: int = 120) -> bytes:
    """Runs of ``run`` one-byte labels (each run a name of its own), then
    records whose owners point at every label boundary in turn: without
    memoised suffixes each owner walks up to ``run`` labels again."""
    start = 12 + len(_QUESTION) + 2 + _RR.size
    name = b"\x01a" * run + b"\x00"
    runs = max(1, min(40, size // 2000))
    blob = name * runs
    records = [_null_record(blob)]
    used = 12 + len(_QUESTION) + len(records[0])
    one_size = 2 + _RR.size
    count = max(0, min((size - used) // one_size, 65535 - 1))
    targets = [start + r * len(name) + 2 * i for r in range(runs) for i in range(run)]
    for k in range(count):
        records.append(struct.pack("!H", 0xC000 | targets[k % len(targets)])
                       + _RR.pack(_TYPE_NULL, 1, 60, 0))
    return _message(records)


def long_owners(size: int) -> bytes:
    """Records whose owners are written in full, 127 one-byte labels each
    (the longest name): the most label steps per byte a message can ask for
    without pointers."""
    one = b"\x01a" * 127 + b"\x00" + _RR.pack(_TYPE_NULL, 1, 60, 0)
    used = 12 + len(_QUESTION)
    return _message([one] * max(0, (size - used) // len(one)))


def _response(qname: str, qtype: str, answers: list[tuple[str, int, str, str]],
              authority: list[tuple[str, int, str, str]] = (), rcode: int = 0) -> bytes:  # type: ignore[assignment]
    query = dns.message.make_query(qname, qtype, use_edns=0, payload=1232)
    msg = dns.message.make_response(query)
    msg.set_rcode(rcode)
    for owner, ttl, rtype, text in answers:
        msg.answer.append(dns.rrset.from_text(owner, ttl, "IN", rtype, text))
    for owner, ttl, rtype, text in authority:
        msg.authority.append(dns.rrset.from_text(owner, ttl, "IN", rtype, text))
    return msg.to_wire()


def normal_messages() -> dict[str, bytes]:
    """Typical answers, compressed by dnspython as servers compress them."""
    soa = ("bulk.test.", 300, "SOA", "ns.bulk.test. host.bulk.test. 1 7200 900 86400 60")
    return {
        "A, 1 record": _response("h12345.bulk.test.", "A",
                                 [("h12345.bulk.test.", 300, "A", "198.18.48.57")]),
        "CNAME + 2 A": _response("www.bulk.test.", "A", [
            ("www.bulk.test.", 300, "CNAME", "edge.cdn.bulk.test."),
            ("edge.cdn.bulk.test.", 60, "A", "198.18.0.1"),
            ("edge.cdn.bulk.test.", 60, "A", "198.18.0.2")]),
        "MX, 3 records": _response("bulk.test.", "MX", [
            ("bulk.test.", 300, "MX", f"{10 * i} mx{i}.bulk.test.") for i in range(1, 4)]),
        "NXDOMAIN + SOA": _response("nx.bulk.test.", "A", [], [soa], rcode=3),
        "HTTPS no-default-alpn": _response("svc.bulk.test.", "HTTPS", [
            ("svc.bulk.test.", 300, "HTTPS", "1 . alpn=h2 no-default-alpn")]),
        "escaped labels": _response("a\\.b.x\\032y.bulk.test.", "CNAME", [
            ("a\\.b.x\\032y.bulk.test.", 300, "CNAME", "two.labels\\.x.bulk.test.")]),
    }


#: name -> message, built once on import (a few ms).
NORMAL: dict[str, bytes] = normal_messages()
HOSTILE: dict[str, bytes] = {
    "4 KiB UDP, 500-pointer chain": pointer_chain(4096, 500),
    "64 KiB TCP, 2000-pointer chain": pointer_chain(65535, 2000),
    "64 KiB TCP, 15-pointer chain (within the cap)": pointer_chain(65535, 15, rtype=_TYPE_NULL),
    "64 KiB TCP, pointers into label runs": label_runs(65535),
    "64 KiB TCP, owners of 127 one-byte labels": long_owners(65535),
}
