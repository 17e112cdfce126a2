"""The codec against hostile input: what counts as an answer.  Records of
another class than the question's are skipped, a TTL with its top bit set
reads as 0 (RFC 2181), and a negative answer's SOA (and negative TTL) is
taken only from a usable authority record.

Every test takes the implementation under test from ``IMPLEMENTATIONS``
(``tests/_codec_hardening_helpers.py``, with the other shared pieces): a
compiled twin of the codec adds itself there and gets the same checks.
"""

from __future__ import annotations

import struct
import types

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from aioresolve import _records
from aioresolve._dns import codec
from tests import _codec_hardening_helpers
from tests._codec_hardening_helpers import make_response

impl = _codec_hardening_helpers.impl  # the parametrized fixture, under the name tests take


# -- class, TTL ------------------------------------------------------------------------------


@pytest.mark.parametrize("rdclass", ["CH", "HS", "NONE", "ANY"])
def test_answers_of_another_class_are_skipped(impl: types.ModuleType, rdclass: str) -> None:
    text = {"CH": "x.test. 402", "HS": r"\# 4 c0000202"}.get(rdclass, "")
    msg = dns.message.make_response(dns.message.make_query("x.test.", "A"))
    rrset = dns.rrset.from_text("x.test.", 60, "IN", "A", "192.0.2.1")
    msg.answer.append(rrset)
    if rdclass in ("NONE", "ANY"):  # dnspython has no text form for these: empty rdata
        other = dns.rrset.RRset(dns.name.from_text("x.test."), dns.rdataclass.from_text(rdclass),
                                dns.rdatatype.A)
        msg.answer.append(other)
        wire = bytearray(msg.to_wire())
        # dnspython writes no RR for an empty rrset: append one by hand
        wire[7] += 1
        wire += b"\xc0\x0c" + struct.pack("!HHIH", 1, dns.rdataclass.from_text(rdclass), 60, 0)
        data = bytes(wire)
    else:
        msg.answer.append(dns.rrset.from_text("x.test.", 60, rdclass, "A", text))
        data = msg.to_wire()
    response = impl.parse_response(data)
    assert [(rr.rclass, rr.value) for rr in response.answers] == [(1, "192.0.2.1")]


def test_record_of_another_class_is_unknown_not_an_address() -> None:
    rdata = dns.rdata.from_text(dns.rdataclass.CH, dns.rdatatype.A, "x.test. 402")
    record = _records.record_from_rdata(rdata, 5)
    assert record == _records.Unknown(5, "CH A", "x.test. 402")


@pytest.mark.parametrize(("wire_ttl", "ttl"), [
    (0, 0), (300, 300), (0x7FFFFFFF, 0x7FFFFFFF), (0x80000000, 0), (0xFFFFFFFF, 0),
    (0x80000139, 0)])
def test_ttl_top_bit_reads_as_zero(impl: types.ModuleType, wire_ttl: int, ttl: int) -> None:
    data = bytearray(codec.encode_response(1, "x.test", 1, [("x.test", 1, 0, "192.0.2.1")]))
    ttl_at = len(data) - 4 - 2 - 4
    data[ttl_at : ttl_at + 4] = struct.pack("!I", wire_ttl)
    (rr,) = impl.parse_response(bytes(data)).answers
    assert rr.ttl == ttl


# -- negative answers: the SOA ----------------------------------------------------------------

_SOA = "ns.zone.test. host.zone.test. 2024 7200 900 86400 60"


@pytest.mark.parametrize(("rcode", "qname", "answers", "soa_ttl", "negative_ttl"), [
    (3, "nx.zone.test.", [], 300, 60),                   # NXDOMAIN: min(TTL, MINIMUM)
    (0, "zone.test.", [], 30, 30),                        # NODATA, TTL below MINIMUM
    (3, "a.zone.test.", [("a.zone.test.", 60, "IN", "CNAME", "b.zone.test.")], 300, 60),
    (0, "a.other.test.", [("a.other.test.", 60, "IN", "CNAME", "b.zone.test.")], 300, 60),
])
def test_negative_answer_soa(impl: types.ModuleType, rcode: int, qname: str,
                             answers: list[tuple[str, int, str, str, str]], soa_ttl: int,
                             negative_ttl: int) -> None:
    data = make_response(qname, "A", answers, [("zone.test.", soa_ttl, "IN", "SOA", _SOA)], rcode)
    response = impl.parse_response(data)
    assert response.soa == _records.SOA(soa_ttl, "ns.zone.test", "host.zone.test", 2024, 7200,
                                         900, 86400, 60)
    assert response.negative_ttl == negative_ttl
    assert response.soa_owner == "zone.test"
    assert response.authority_count == 1


@pytest.mark.parametrize(("qname", "authority", "rcode"), [
    ("nx.zone.test.", [("elsewhere.test.", 300, "IN", "SOA", _SOA)], 3),  # not a parent
    ("nx.zone.test.", [("zone.test.", 300, "CH", "SOA", _SOA)], 3),       # not IN
    ("nx.zone.test.", [("zone.test.", 300, "IN", "NS", "ns.zone.test.")], 3),
    ("nx.zone.test.", [], 3),
])
def test_no_usable_soa(impl: types.ModuleType, qname: str,
                       authority: list[tuple[str, int, str, str, str]], rcode: int) -> None:
    response = impl.parse_response(make_response(qname, "A", [], authority, rcode))
    assert response.soa is None and response.negative_ttl is None and response.soa_owner is None


def test_positive_answer_skips_the_authority(impl: types.ModuleType) -> None:
    data = make_response("a.zone.test.", "A", [("a.zone.test.", 60, "IN", "A", "192.0.2.1")],
                         [("zone.test.", 300, "IN", "SOA", _SOA)])
    response = impl.parse_response(data)
    assert response.soa is None and response.negative_ttl is None
    (auth,) = impl.authority_records(data, response)
    assert impl.rdata_record(data, auth) == _records.SOA(
        300, "ns.zone.test", "host.zone.test", 2024, 7200, 900, 86400, 60)


def test_soa_first_of_several_and_ttl_rules(impl: types.ModuleType) -> None:
    data = make_response("nx.sub.zone.test.", "A", [], [
        ("zone.test.", 100, "IN", "NS", "ns.zone.test."),
        ("sub.zone.test.", 0x80000001, "IN", "SOA", _SOA),
        ("zone.test.", 300, "IN", "SOA", _SOA)], 3)
    response = impl.parse_response(data)
    assert response.soa is not None and response.soa.mname == "ns.zone.test"
    assert response.soa_owner == "sub.zone.test"
    assert response.soa.ttl == 0 and response.negative_ttl == 0  # RFC 2181 §8


def test_malformed_soa_is_a_parse_error(impl: types.ModuleType) -> None:
    data = bytearray(make_response("nx.zone.test.", "A", [],
                                   [("zone.test.", 300, "IN", "SOA", _SOA)], 3))
    data[-22] ^= 0x01  # the SOA's RDLENGTH no longer matches its names and numbers
    with pytest.raises(impl.ParseError):
        impl.parse_response(bytes(data[:-1]))


def test_response_keeps_old_constructor() -> None:
    response = codec.Response(1, 0x8180, 0, b"", "x.test", 1, 1, [])
    assert response.soa is None and response.negative_ttl is None and response.flags == 0x8180
