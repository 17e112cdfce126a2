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
