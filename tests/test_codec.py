"""The lean DNS codec: round trips, hostile bytes, compression pointers."""

from __future__ import annotations

import contextlib
import struct

import dns.message
import dns.rdatatype
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve._dns import codec
from aioresolve._records import MX, A

label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ABCXYZ", min_size=1,
                max_size=63)
names = st.lists(label, min_size=1, max_size=5).map(".".join).filter(lambda n: len(n) < 250)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.binary(min_size=16, max_size=16).map(
    lambda b: __import__("ipaddress").IPv6Address(b).compressed)


@given(qid=st.integers(0, 0xFFFF), name=names, qtype=st.integers(1, 0xFFFF))
def test_query_round_trip(qid: int, name: str, qtype: int) -> None:
    wire = struct.pack("!H", qid) + codec.query_template(name, qtype)
    parsed = codec.parse_response(wire)
    assert (parsed.id, parsed.qname, parsed.qtype, parsed.qclass) == (
        qid, name.lower(), qtype, codec.CLASS_IN)
    assert parsed.flags == codec.FLAG_RD and parsed.answers == []
    # dnspython reads the same query, EDNS0 payload included
    msg = dns.message.from_wire(wire)
    assert msg.id == qid and msg.edns == 0 and msg.payload == 1232
    assert msg.question[0].name.to_text(omit_final_dot=True).lower() == name.lower()


@given(
    qid=st.integers(0, 0xFFFF),
    name=names,
    chain=st.lists(names, max_size=3),
    v4=st.lists(ipv4, max_size=4),
    v6=st.lists(ipv6, max_size=2),
    ttl=st.integers(0, 0x7FFFFFFF),
    rcode=st.integers(0, 15),
)
def test_response_round_trip(qid: int, name: str, chain: list[str], v4: list[str],
                             v6: list[str], ttl: int, rcode: int) -> None:
    answers: list[tuple[str, int, int, str]] = []
    owner = name
    for target in chain:
        answers.append((owner, codec.TYPE_CNAME, ttl, target))
        owner = target
    answers += [(owner, codec.TYPE_A, ttl, a) for a in v4]
    answers += [(owner, codec.TYPE_AAAA, ttl, a) for a in v6]
    wire = codec.encode_response(qid, name, codec.TYPE_A, answers, rcode=rcode)
    parsed = codec.parse_response(wire)
    assert parsed.id == qid and parsed.rcode == rcode and parsed.flags & codec.FLAG_QR
    got = [(rr.owner, rr.rtype, rr.ttl, rr.value) for rr in parsed.answers]
    assert got == [(o.lower(), t, ttl_, v.lower()) for o, t, ttl_, v in answers]
    # and dnspython reads the same bytes (it merges duplicate records)
    msg = dns.message.from_wire(wire)
    assert {rr.address for rrset in msg.answer for rr in rrset if rrset.rdtype == 1} == set(v4)


@settings(max_examples=500)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_parse_error(data: bytes) -> None:
    try:
        parsed = codec.parse_response(data)
    except codec.ParseError:
        return
    for rr in parsed.answers:
        with contextlib.suppress(codec.ParseError):
            codec.rdata_record(data, rr)


@settings(max_examples=300)
@given(st.binary(max_size=200), st.integers(0, 40))
def test_mutated_responses_raise_only_parse_error(noise: bytes, cut: int) -> None:
    good = codec.encode_response(7, "a.b.test", 1, [("a.b.test", 1, 60, "192.0.2.1"),
                                                    ("a.b.test", 5, 60, "c.test")])
    for data in (good[: len(good) - cut], good[:20] + noise, good + noise,
                 bytes(x ^ y for x, y in zip(good, noise, strict=False)) + good[len(noise):]):
        try:
            parsed = codec.parse_response(data)
            for rr in parsed.answers:
                codec.rdata_record(data, rr)
        except codec.ParseError:
            pass


def _with_answer_owner(owner: bytes) -> bytes:
    head = struct.pack("!HHHHHH", 1, 0x8180, 1, 1, 0, 0)
    question = codec.encode_name("x.test") + struct.pack("!HH", 1, 1)
    rr = owner + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    return head + question + rr


def test_compression_loop_is_a_parse_error() -> None:
    here = 12 + len(codec.encode_name("x.test")) + 4
    with pytest.raises(codec.ParseError):  # a pointer to itself
        codec.parse_response(_with_answer_owner(struct.pack("!H", 0xC000 | here)))
    with pytest.raises(codec.ParseError):  # a pointer forward
        codec.parse_response(_with_answer_owner(struct.pack("!H", 0xC000 | (here + 2))))
    with pytest.raises(codec.ParseError):  # reserved label type 0x40
        codec.parse_response(_with_answer_owner(b"\x41a\x00"))


def test_backward_pointer_is_followed() -> None:
    # owner "www" + pointer to the question name "x.test"
    parsed = codec.parse_response(_with_answer_owner(b"\x03www\xc0\x0c"))
    assert parsed.answers[0].owner == "www.x.test"
    assert parsed.answers[0].value == "192.0.2.1"


def test_name_length_bounds() -> None:
    with pytest.raises(ValueError):
        codec.encode_name("a" * 64 + ".test")
    with pytest.raises(ValueError):
        codec.encode_name(".".join(["a" * 63] * 5))
    with pytest.raises(ValueError):
        codec.encode_name("a..test")
    assert codec.encode_name(".") == b"\x00"


def test_other_types_go_through_dnspython() -> None:
    msg = dns.message.make_response(dns.message.make_query("mx.test", "MX"))
    msg.answer.append(dns.rrset.from_text("mx.test.", 99, "IN", "MX", "10 mail.test."))
    wire = msg.to_wire()
    parsed = codec.parse_response(wire)
    (rr,) = parsed.answers
    assert rr.rtype == dns.rdatatype.MX and rr.value is None
    assert codec.rdata_record(wire, rr) == MX(99, 10, "mail.test")
    a_wire = codec.encode_response(1, "a.test", 1, [("a.test", 1, 5, "192.0.2.9")])
    assert codec.rdata_record(a_wire, codec.parse_response(a_wire).answers[0]) == A(5, "192.0.2.9")
