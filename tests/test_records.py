"""Record types, type names and conversion from dnspython rdata (pure functions)."""

from __future__ import annotations

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from aioresolve import _records as r


def rdata(rtype: str, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), text)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("mx", "MX"), ("MX", "MX"), (15, "MX"), ("TYPE15", "MX"), (" aaaa ", "AAAA"),
     ("https", "HTTPS"), (65, "HTTPS")],
)
def test_normalize_rtype(given: str | int, expected: str) -> None:
    assert r.normalize_rtype(given) == expected


@pytest.mark.parametrize("bad", ["NOPE", "", "TYPE99999999"])
def test_normalize_rtype_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown record type"):
        r.normalize_rtype(bad)


@pytest.mark.parametrize(
    ("rtype", "text", "expected"),
    [
        ("A", "192.0.2.1", r.A(60, "192.0.2.1")),
        ("AAAA", "2001:db8:0::1", r.AAAA(60, "2001:db8::1")),
        ("CNAME", "target.example.", r.CNAME(60, "target.example")),
        ("NS", "ns1.example.", r.NS(60, "ns1.example")),
        ("PTR", "host.example.", r.PTR(60, "host.example")),
        ("MX", "10 mail.example.", r.MX(60, 10, "mail.example")),
        ("SOA", "ns. host. 1 2 3 4 5", r.SOA(60, "ns", "host", 1, 2, 3, 4, 5)),
        ("SRV", "1 2 5060 sip.example.", r.SRV(60, 1, 2, 5060, "sip.example")),
        ("TXT", '"a" "b c"', r.TXT(60, (b"a", b"b c"))),
        ("CAA", '0 issue "ca.example"', r.CAA(60, 0, "issue", b"ca.example")),
        ("NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.',
         r.NAPTR(60, 100, 10, b"S", b"SIP+D2U", b"", "_sip._udp.example")),
        ("TLSA", "3 1 1 " + "ab" * 32, r.TLSA(60, 3, 1, 1, bytes.fromhex("ab" * 32))),
        ("URI", '10 1 "https://example.test/"', r.URI(60, 10, 1, "https://example.test/")),
        ("HTTPS", '1 . alpn="h2,h3" port=443',
         r.HTTPS(60, 1, ".", {"alpn": "h2,h3", "port": "443"})),
        ("SVCB", "0 svc.example.", r.SVCB(60, 0, "svc.example", {})),
    ],
)
def test_record_from_rdata(rtype: str, text: str, expected: r.Record) -> None:
    record = r.record_from_rdata(rdata(rtype, text), 60)
    assert record == expected
    assert record.rtype == rtype


def test_unknown_type_keeps_text() -> None:
    record = r.record_from_rdata(rdata("HINFO", '"cpu" "os"'), 5)
    assert record == r.Unknown(5, "HINFO", '"cpu" "os"')


def test_txt_text_joins_and_decodes() -> None:
    assert r.TXT(1, (b"v=spf1 ", b"-all")).text == "v=spf1 -all"
    assert r.TXT(1, (b"\xff",)).text == "\ufffd"


def test_answer_behaves_like_a_sequence() -> None:
    answer = r.Answer("x.test", "A", (r.A(5, "192.0.2.1"), r.A(7, "192.0.2.2")), "x.test", 5)
    assert len(answer) == 2
    assert [rec.address for rec in answer] == ["192.0.2.1", "192.0.2.2"]  # type: ignore[attr-defined]
    assert answer.addresses == ["192.0.2.1", "192.0.2.2"]


# -- SVCB/HTTPS parameters --------------------------------------------------------------

_ECH = ("AEX+DQBBpQAgACCW2/dfOBZAtQU55/KmRSpz8Uon40fL8k3LbGHzt+9mJgAEAAEAAQASY2xvdWRmbGFy"
        "ZS1lY2guY29tAAA=")


def test_svcb_params_of_every_kind() -> None:
    record = r.record_from_rdata(rdata(
        "HTTPS", f"1 . mandatory=alpn,port alpn=h2,h3 no-default-alpn port=443 "
                 f"ipv4hint=192.0.2.1,192.0.2.2 ech={_ECH} ipv6hint=2001:db8::1 key65000=abc"),
        60)
    assert record == r.HTTPS(60, 1, ".", {
        "mandatory": "alpn,port", "alpn": "h2,h3", "no-default-alpn": "", "port": "443",
        "ipv4hint": "192.0.2.1,192.0.2.2", "ech": _ECH, "ipv6hint": "2001:db8::1",
        "key65000": "abc"})


def test_https_no_default_alpn() -> None:
    record = r.record_from_rdata(rdata("HTTPS", "1 . alpn=h2 no-default-alpn"), 60)
    assert record == r.HTTPS(60, 1, ".", {"alpn": "h2", "no-default-alpn": ""})
    assert record.to_text() == '1 . alpn="h2" no-default-alpn'


@pytest.mark.parametrize("rdclass", ["CH", "HS", "ANY", "NONE"])
def test_other_classes_are_unknown(rdclass: str) -> None:
    cls = dns.rdataclass.from_text(rdclass)
    data = b"\x01a\x00\x01\x02" if rdclass == "CH" else b"\xc0\x00\x02\x01"
    record = r.record_from_rdata(dns.rdata.from_wire(cls, dns.rdatatype.A, data, 0, len(data)),
                                 7)
    assert isinstance(record, r.Unknown) and record.type_name == f"{rdclass} A"


# -- presentation text, as dig prints it -------------------------------------------------

PRESENTATION = [
    ("A", "192.0.2.1"),
    ("AAAA", "2001:db8::1"),
    ("CNAME", "target.example."),
    ("CNAME", "a\\.b.x\\032y\\255."),
    ("NS", "ns1.example."),
    ("PTR", "host.example."),
    ("MX", "10 mail.example."),
    ("MX", "0 ."),
    ("SOA", "ns. host\\.master.example. 1 7200 900 86400 60"),
    ("SRV", "1 2 5060 sip.example."),
    ("TXT", '"a" "b c"'),
    ("TXT", '"v=spf1 -all" "\\255q\\""'),
    ("CAA", '0 issue "ca.example"'),
    ("CAA", '128 iodef "mailto:security@example.test"'),
    ("NAPTR", '100 10 "S" "SIP+D2U" "" _sip._udp.example.'),
    ("NAPTR", '100 50 "u" "E2U+sip" "!^.*$!sip:info@example.test!" .'),
    ("TLSA", "3 1 1 " + "ab" * 32),
    ("URI", '10 1 "https://example.test/"'),
    ("HTTPS", "1 . alpn=h2 no-default-alpn"),
    ("HTTPS", '1 . alpn="h2,h\\\\,x" no-default-alpn'),
    ("HTTPS", f"1 svc.example. mandatory=alpn,port alpn=h2,h3 port=443 "
              f"ipv4hint=192.0.2.1,192.0.2.2 ech={_ECH} ipv6hint=2001:db8::1 key65000=abc"),
    ("SVCB", "0 svc.example."),
    ("HINFO", '"cpu" "os"'),
    ("SSHFP", "1 1 " + "ab" * 20),
]


@pytest.mark.parametrize(("rtype", "text"), PRESENTATION)
def test_record_text_is_dnspythons(rtype: str, text: str) -> None:
    source = rdata(rtype, text)
    record = r.record_from_rdata(source, 60)
    assert r.record_text(record) == source.to_text()
    assert record.to_text() == source.to_text()


def test_every_record_class_has_a_presentation_test() -> None:
    tested = {rtype for rtype, _ in PRESENTATION}
    assert set(r.RECORD_TYPES) <= tested


def test_record_text_examples() -> None:
    assert r.CAA(1, 0, "issue", b"ca.example").to_text() == '0 issue "ca.example"'
    assert r.MX(1, 10, "mail.x.test").to_text() == "10 mail.x.test."
    assert r.TXT(1, (b"a", b"b")).to_text() == '"a" "b"'
    assert r.CNAME(1, ".").to_text() == "."


def test_record_text_of_a_bad_record_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot write"):
        r.record_text(r.A(1, "not an address"))


# -- the generic Answer ------------------------------------------------------------------


def test_answer_is_generic_and_stays_frozen() -> None:
    mx = r.Answer[r.MX]("x.test", "MX", (r.MX(5, 10, "mail.x.test"),), "x.test", 5)
    assert [record.priority for record in mx] == [10]
    assert mx == r.Answer("x.test", "MX", (r.MX(5, 10, "mail.x.test"),), "x.test", 5)
    with pytest.raises(AttributeError):
        mx.ttl = 3  # type: ignore[misc]
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        mx.name = "y"  # type: ignore[misc]


def test_answer_survives_pickle_copy_and_replace() -> None:
    import copy
    import dataclasses
    import pickle

    answer = r.Answer[r.MX]("x.test", "MX", (r.MX(5, 10, "m.x.test"),), "x.test", 5,
                            aliases=("y.test",))
    assert pickle.loads(pickle.dumps(answer)) == answer
    assert copy.deepcopy(answer) == answer == copy.copy(answer)
    assert dataclasses.replace(answer, ttl=1).ttl == 1
    assert hash(answer) == hash(copy.copy(answer))
