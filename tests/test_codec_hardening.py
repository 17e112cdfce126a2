"""The codec against hostile input: only ParseError, bounded work, the
question's class, RFC 2181 TTLs, one escaped name form, negative answers' SOA.

Every test takes the implementation under test from ``IMPLEMENTATIONS``: a
compiled twin of the codec adds itself there and gets the same checks.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import struct
import types
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve import _records
from aioresolve._dns import codec
from aioresolve._twins import built_from
from tests.fuzz import messages

#: Codec modules with ``parse_response``, ``decode_name``, ``encode_name``,
#: ``rdata_record``, ``authority_records`` and ``ParseError``: the pure-Python
#: reference, and the compiled twin when it is built.
IMPLEMENTATIONS: list[Any] = [pytest.param(codec, id="py")]
if not os.environ.get("AIORESOLVE_NO_EXTENSIONS"):
    try:
        _compiled = importlib.import_module("aioresolve._dns._codec_c")
    except ImportError:
        pass
    else:
        # not under -p tests.compiled_codec (codec is the twin then), and not a
        # twin built from another codec.py (the package does not use it either)
        if _compiled is not codec and built_from(_compiled, Path(codec.__file__)):
            IMPLEMENTATIONS.append(pytest.param(_compiled, id="c"))


@pytest.fixture(params=IMPLEMENTATIONS, scope="module")
def impl(request: pytest.FixtureRequest) -> types.ModuleType:
    module: types.ModuleType = request.param
    return module


def _everything(impl: types.ModuleType, data: bytes) -> None:
    """What the engine and the output do with received bytes."""
    try:
        response = impl.parse_response(data)
    except impl.ParseError:
        return
    for rr in response.answers:
        with contextlib.suppress(impl.ParseError):
            impl.rdata_record(data, rr)
    with contextlib.suppress(impl.ParseError):
        for rr in impl.authority_records(data, response):
            with contextlib.suppress(impl.ParseError):
                impl.rdata_record(data, rr)


def _response(qname: str, qtype: str, answers: list[tuple[str, int, str, str, str]] = (),  # type: ignore[assignment]
              authority: list[tuple[str, int, str, str, str]] = (),  # type: ignore[assignment]
              rcode: int = 0) -> bytes:
    msg = dns.message.make_response(dns.message.make_query(qname, qtype))
    msg.set_rcode(rcode)
    for section, items in ((msg.answer, answers), (msg.authority, authority)):
        for owner, ttl, rdclass, rtype, text in items:
            section.append(dns.rrset.from_text(owner, ttl, rdclass, rtype, text))
    return msg.to_wire()


_ECH = ("AEX+DQBBpQAgACCW2/dfOBZAtQU55/KmRSpz8Uon40fL8k3LbGHzt+9mJgAEAAEAAQASY2xvdWRmbGFy"
        "ZS1lY2guY29tAAA=")
RICH = [
    *messages.NORMAL.values(),
    _response("x.test.", "TXT", [("x.test.", 60, "IN", "TXT", '"a" "b c"')]),
    _response("x.test.", "CAA", [("x.test.", 60, "IN", "CAA", '0 issue "ca.example"')]),
    _response("x.test.", "NAPTR", [("x.test.", 60, "IN", "NAPTR",
                                    '100 10 "S" "SIP+D2U" "" _sip._udp.x.test.')]),
    _response("x.test.", "SRV", [("x.test.", 60, "IN", "SRV", "1 2 5060 sip.x.test.")]),
    _response("x.test.", "SOA", [("x.test.", 60, "IN", "SOA", "ns.x.test. h.x.test. 1 2 3 4 5")]),
    _response("x.test.", "HTTPS", [("x.test.", 60, "IN", "HTTPS",
                                    "1 . mandatory=alpn alpn=h2 no-default-alpn port=443 "
                                    "ipv4hint=192.0.2.1 ipv6hint=2001:db8::1 ech=" + _ECH)]),
    _response("nx.x.test.", "A", authority=[
        ("x.test.", 300, "IN", "SOA", "ns.x.test. h.x.test. 1 2 3 4 60"),
        ("x.test.", 300, "IN", "NS", "ns.x.test.")], rcode=3),
]


# -- only ParseError, whatever the bytes ------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=700))
def test_random_bytes(impl: types.ModuleType, data: bytes) -> None:
    _everything(impl, data)
    # a plausible header in front of random bytes gets further into the parser
    _everything(impl, struct.pack("!HHHHHH", 1, 0x8180, 1, 3, 2, 0) + data)


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, len(RICH) - 1), edits=st.lists(
    st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, 64))
def test_mutated_messages(impl: types.ModuleType, index: int, edits: list[tuple[int, int]],
                          cut: int) -> None:
    data = bytearray(RICH[index])
    for where, value in edits:
        data[where % len(data)] = value
    _everything(impl, bytes(data))
    _everything(impl, bytes(data[: max(0, len(data) - cut)]))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), offset=st.integers(-5, 320))
def test_decode_name_at_any_offset(impl: types.ModuleType, data: bytes, offset: int) -> None:
    try:
        text, end = impl.decode_name(data, offset)
    except impl.ParseError:
        return
    assert isinstance(text, str) and offset < end <= len(data)


def test_non_bytes_are_parse_errors(impl: types.ModuleType) -> None:
    for bad in (None, "x", 5, [1, 2]):
        with pytest.raises(impl.ParseError):
            impl.parse_response(bad)
        with pytest.raises(impl.ParseError):
            impl.decode_name(bad, 0)


def test_valid_messages_parse(impl: types.ModuleType) -> None:
    for data in RICH:
        response = impl.parse_response(data)
        for rr in response.answers:
            assert isinstance(impl.rdata_record(data, rr), _records.Record)


def test_https_no_default_alpn_builds(impl: types.ModuleType) -> None:
    data = _response("svc.test.", "HTTPS",
                     [("svc.test.", 60, "IN", "HTTPS", "1 . alpn=h2 no-default-alpn")])
    (rr,) = impl.parse_response(data).answers
    assert impl.rdata_record(data, rr) == _records.HTTPS(
        60, 1, ".", {"alpn": "h2", "no-default-alpn": ""})


def _svcb_answer(rdata: bytes, rtype: int = 65, rclass: int = 1) -> bytes:
    """A response to svc.test (HTTPS unless told) with one answer of these
    raw rdata bytes."""
    question = dns.name.from_text("svc.test.").to_wire() + struct.pack("!HH", rtype, rclass)
    answer = (b"\xc0\x0c" + struct.pack("!HHIH", rtype, rclass, 60, len(rdata)) + rdata)
    return struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + question + answer


@pytest.mark.parametrize("rclass", [1, 3])  # IN, CH
def test_uri_target_that_is_not_utf8_builds_and_writes(impl: types.ModuleType, rclass: int
                                                        ) -> None:
    """A URI target of arbitrary bytes: a record whose text can be written on
    every dnspython (2.8 decoded it as strict UTF-8 in to_text and raised)."""
    data = _svcb_answer(b"\x00\x01\x00\x02\xc0\xafx", rtype=256, rclass=rclass)
    (rr,) = impl.parse_response(data).answers
    record = impl.rdata_record(data, rr)
    text = _records.record_text(record)
    if rclass == 1:
        assert isinstance(record, _records.URI) and text.startswith("1 2 ")
    else:
        assert isinstance(record, _records.Unknown) and record.type_name == "CH URI"
        assert text in ('1 2 "\\192\\175x"', "\\# 7 00010002c0af78")


@pytest.mark.parametrize("params, problem", [
    # ech, empty (the fuzzer's find, dnspython 2.8)
    (b"\x00\x01\x00\x03\x02h1\x00\x05\x00\x00", "cannot be empty"),
    (b"\x00\x01\x00\x00", "cannot be empty"),  # alpn, empty
    (b"\x00\x00\x00\x00", "cannot be empty"),  # mandatory, empty
    (b"\x00\x03\x00\x02\x00\x35\x00\x03\x00\x02\x00\x36", "increasing order"),  # port twice
    (b"\x00\x03\x00\x02\x00\x35\x00\x01\x00\x03\x02h1", "increasing order"),  # port, then alpn
])
def test_malformed_svcb_params_are_parse_errors(
        impl: types.ModuleType, params: bytes, problem: str) -> None:
    """RFC 9460: these keys have values, and keys strictly increase; a
    record that breaks either is malformed, whichever dnspython reads it (2.9
    refuses both; 2.8 read an empty value and then could not write it, and
    let a repeated key through)."""
    data = _svcb_answer(b"\x00\x01\x00" + params)
    (rr,) = impl.parse_response(data).answers
    with pytest.raises(impl.ParseError, match=problem):
        impl.rdata_record(data, rr)
    # and a key whose value may be empty still builds
    data = _svcb_answer(b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h1\x00\x02\x00\x00")
    (rr,) = impl.parse_response(data).answers
    assert impl.rdata_record(data, rr).params == {"alpn": "h1", "no-default-alpn": ""}


def test_any_exception_from_record_building_is_a_parse_error(
        impl: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    if impl is not codec:
        pytest.skip("patches the pure-Python record builder")

    def broken(rdata: object, ttl: int) -> _records.Record:
        raise AttributeError("a record builder bug")

    monkeypatch.setattr(codec, "record_from_rdata", broken)
    data = _response("mx.test.", "MX", [("mx.test.", 60, "IN", "MX", "10 mail.test.")])
    (rr,) = impl.parse_response(data).answers
    with pytest.raises(impl.ParseError, match="AttributeError: a record builder bug"):
        impl.rdata_record(data, rr)


# -- bounded work -------------------------------------------------------------------------


class CountingBytes(bytes):
    """bytes that count how often the decoder reads them (index or slice)."""

    reads = 0

    def __getitem__(self, key: Any) -> Any:
        CountingBytes.reads += 1
        return super().__getitem__(key)


def _reads(impl: types.ModuleType, data: bytes) -> int:
    CountingBytes.reads = 0
    with contextlib.suppress(impl.ParseError):
        impl.parse_response(CountingBytes(data))
    return CountingBytes.reads


#: Reads of the message per byte of it that no input may exceed.  Each byte is
#: walked at most once in place and once after a jump, each step reading the
#: length byte and the label (or the pointer's second byte): 2 reads per 2 bytes.
READS_PER_BYTE = 2


@pytest.mark.parametrize("name", list(messages.HOSTILE))
def test_hostile_messages_cost_linear_reads(impl: types.ModuleType, name: str) -> None:
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    data = messages.HOSTILE[name]
    assert _reads(impl, data) <= READS_PER_BYTE * len(data)


@settings(max_examples=150, deadline=None)
@given(chain=st.integers(0, 3000), size=st.sampled_from([512, 4096, 65535]),
       run=st.integers(1, 127))
def test_pointer_structures_cost_linear_reads(impl: types.ModuleType, chain: int, size: int,
                                              run: int) -> None:
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    for data in (messages.pointer_chain(size, chain), messages.label_runs(size, run=run)):
        assert _reads(impl, data) <= READS_PER_BYTE * len(data) + 64


@settings(max_examples=300, deadline=None)
@given(blob=st.binary(min_size=1, max_size=400), owners=st.lists(
    st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=6)), min_size=1, max_size=300))
def test_random_pointer_graphs_cost_linear_reads(impl: types.ModuleType, blob: bytes,
                                                 owners: list[tuple[int, bytes]]) -> None:
    """Random bytes to point at, then records whose owners are a few random
    bytes (labels, often) and a pointer to a random earlier position."""
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    head = struct.pack("!HHHHHH", 1, 0x8180, 1, len(owners) + 1, 0, 0)
    question = b"\x01x\x04test\x00" + struct.pack("!HH", 1, 1)
    out = bytearray(head + question)
    out += b"\xc0\x0c" + struct.pack("!HHIH", 10, 1, 60, len(blob)) + blob
    for target, prefix in owners:
        out += prefix + struct.pack("!H", 0xC000 | (target % len(out))) + struct.pack(
            "!HHIH", 10, 1, 60, 0)
    data = bytes(out)
    _everything(impl, data)
    assert _reads(impl, data) <= READS_PER_BYTE * len(data) + 64


def test_the_old_quadratic_chain_reads(impl: types.ModuleType) -> None:
    """The message of the issue: thousands of owners, each a 2000-hop chain.
    An unbounded decoder reads it ~10 million times; we stop at the cap."""
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    data = messages.pointer_chain(65535, 2000)
    with pytest.raises(impl.ParseError, match="compression pointers"):
        impl.parse_response(data)
    assert _reads(impl, data) < 200


@pytest.mark.parametrize("hops", [1, 2, codec.MAX_POINTER_HOPS])
def test_hop_cap_allows(impl: types.ModuleType, hops: int) -> None:
    # the chain's links (hops - 1) and the owner's own pointer
    data = messages.pointer_chain(200, hops - 1)
    response = impl.parse_response(data)
    assert response.answers and all(rr.owner == "x.test" for rr in response.answers)


def test_hop_cap_refuses(impl: types.ModuleType) -> None:
    data = messages.pointer_chain(200, codec.MAX_POINTER_HOPS)
    with pytest.raises(impl.ParseError, match="more than 16 compression pointers"):
        impl.parse_response(data)


def test_memoised_names_are_the_names(impl: types.ModuleType) -> None:
    """Owners reached through memoised suffixes decode as dnspython reads them."""
    for data in (messages.label_runs(4000, run=7), messages.pointer_chain(4000, 9),
                 *RICH):
        response = impl.parse_response(data)
        msg = dns.message.from_wire(data, ignore_trailing=True)
        owners = [rrset.name.to_text(omit_final_dot=True).lower() or "."
                  for rrset in msg.answer for _ in rrset]
        assert sorted({rr.owner for rr in response.answers}) == sorted(set(owners))


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


# -- names ----------------------------------------------------------------------------------

raw_label = st.binary(min_size=1, max_size=63)
raw_name = st.lists(raw_label, min_size=1, max_size=6).filter(
    lambda labels: sum(len(label) + 1 for label in labels) + 1 <= 255)


@settings(max_examples=400, deadline=None)
@given(labels=raw_name)
def test_names_decode_as_dnspython_prints_them(impl: types.ModuleType,
                                               labels: list[bytes]) -> None:
    name = dns.name.Name([*labels, b""])
    wire = name.to_wire()
    data = b"\x00" * 12 + wire
    text, end = impl.decode_name(data, 12)
    assert end == len(data)
    lowered = dns.name.Name([label.lower() for label in labels] + [b""])
    assert text == lowered.to_text(omit_final_dot=True)
    # and back: the engine sends follow-up queries for CNAME targets
    assert impl.encode_name(text) == lowered.to_wire()
    assert impl.encode_name(text + ".") == lowered.to_wire()
    # the question path gives the same text
    question = struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0) + wire + struct.pack("!HH", 1, 1)
    assert impl.parse_response(question).qname == text


def test_a_dot_inside_a_label_is_not_a_separator(impl: types.ModuleType) -> None:
    two = b"\x00" * 12 + b"\x01a\x01b\x04test\x00"
    one = b"\x00" * 12 + b"\x03a.b\x04test\x00"
    assert impl.decode_name(two, 12)[0] == "a.b.test"
    assert impl.decode_name(one, 12)[0] == "a\\.b.test"
    assert impl.encode_name("a\\.b.test") == one[12:]
    assert impl.encode_name("a.b.test") == two[12:]


@pytest.mark.parametrize(("raw", "text"), [
    (b"a b", "a\\032b"), (b'q"', 'q\\"'), (b"(x)", "\\(x\\)"), (b"x;", "x\\;"),
    (b"@", "\\@"), (b"$", "\\$"), (b"\\", "\\\\"), (b"\xff", "\\255"), (b"\x00", "\\000"),
    (b"AbC", "abc"), (b"*", "*"), (b"_srv", "_srv"),
])
def test_escapes(impl: types.ModuleType, raw: bytes, text: str) -> None:
    data = b"\x00" * 12 + bytes([len(raw)]) + raw + b"\x04test\x00"
    assert impl.decode_name(data, 12)[0] == text + ".test"
    assert impl.encode_name(text + ".test") == bytes([len(raw)]) + raw.lower() + b"\x04test\x00"


@pytest.mark.parametrize("bad", ["a\\", "a\\25", "a\\256.test", "a\\1x2.test", "é.test",
                                 "a..b", "\\." * 64, "a\\\u0660\u0661\u0662.test",
                                 "a\\1\u00b23.test"])
def test_encode_name_rejects(impl: types.ModuleType, bad: str) -> None:
    with pytest.raises(ValueError):
        impl.encode_name(bad)


def test_cname_target_with_a_dot_is_followed_to_that_name(impl: types.ModuleType) -> None:
    data = _response("x.test.", "A", [
        ("x.test.", 60, "IN", "CNAME", "a\\.b.test."),
        ("a.b.test.", 60, "IN", "A", "192.0.2.66"),  # the other name: not the target
        ("a\\.b.test.", 60, "IN", "A", "192.0.2.1")])
    response = impl.parse_response(data)
    cname, *addresses = response.answers
    assert cname.value == "a\\.b.test"
    assert [rr.value for rr in addresses if rr.owner == cname.value] == ["192.0.2.1"]


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
    data = _response(qname, "A", answers, [("zone.test.", soa_ttl, "IN", "SOA", _SOA)], rcode)
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
    response = impl.parse_response(_response(qname, "A", [], authority, rcode))
    assert response.soa is None and response.negative_ttl is None and response.soa_owner is None


def test_positive_answer_skips_the_authority(impl: types.ModuleType) -> None:
    data = _response("a.zone.test.", "A", [("a.zone.test.", 60, "IN", "A", "192.0.2.1")],
                     [("zone.test.", 300, "IN", "SOA", _SOA)])
    response = impl.parse_response(data)
    assert response.soa is None and response.negative_ttl is None
    (auth,) = impl.authority_records(data, response)
    assert impl.rdata_record(data, auth) == _records.SOA(
        300, "ns.zone.test", "host.zone.test", 2024, 7200, 900, 86400, 60)


def test_soa_first_of_several_and_ttl_rules(impl: types.ModuleType) -> None:
    data = _response("nx.sub.zone.test.", "A", [], [
        ("zone.test.", 100, "IN", "NS", "ns.zone.test."),
        ("sub.zone.test.", 0x80000001, "IN", "SOA", _SOA),
        ("zone.test.", 300, "IN", "SOA", _SOA)], 3)
    response = impl.parse_response(data)
    assert response.soa is not None and response.soa.mname == "ns.zone.test"
    assert response.soa_owner == "sub.zone.test"
    assert response.soa.ttl == 0 and response.negative_ttl == 0  # RFC 2181 §8


def test_malformed_soa_is_a_parse_error(impl: types.ModuleType) -> None:
    data = bytearray(_response("nx.zone.test.", "A", [], [("zone.test.", 300, "IN", "SOA", _SOA)],
                               3))
    data[-22] ^= 0x01  # the SOA's RDLENGTH no longer matches its names and numbers
    with pytest.raises(impl.ParseError):
        impl.parse_response(bytes(data[:-1]))


def test_response_keeps_old_constructor() -> None:
    response = codec.Response(1, 0x8180, 0, b"", "x.test", 1, 1, [])
    assert response.soa is None and response.negative_ttl is None and response.flags == 0x8180


# -- the fuzz harness -----------------------------------------------------------------------


def test_fuzz_harness_runs_on_its_seed_corpus() -> None:
    """tests/fuzz/fuzz_codec.py imports without atheris and passes its seeds
    (the coverage-guided run itself is in .ci/run)."""
    from tests.fuzz import fuzz_codec

    seeds = fuzz_codec.seed_corpus()
    assert all(message in seeds for message in RICH)
    for seed in seeds:
        fuzz_codec.test_one_input(seed)
        for cut in (1, 13, len(seed) // 2):
            fuzz_codec.test_one_input(seed[:-cut])
