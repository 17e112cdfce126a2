"""aioresolve.testing.DNSServer, queried with dnspython (and aioresolve) on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from aioresolve.testing import DNSServer
from tests._testing_helpers import RECORDS, ZONE_TEXT, ask, raw_reply, texts


@pytest.fixture
async def server() -> AsyncIterator[DNSServer]:
    async with DNSServer(RECORDS) as srv:
        yield srv


# -- lifecycle -------------------------------------------------------------------


async def test_address_port_and_repr() -> None:
    srv = DNSServer({"a.example.test": "192.0.2.1"})
    assert not srv.running
    async with srv:
        assert srv.running and srv.port > 0
        assert srv.address == f"127.0.0.1:{srv.port}"
        assert srv.nameservers == [srv.address]
        assert "127.0.0.1" in repr(srv)
        # the same port serves TCP
        r = await ask(srv, "a.example.test", tcp=True)
        assert texts(r) == ["a.example.test. 300 IN A 192.0.2.1"]
    assert not srv.running
    await srv.stop()  # twice is harmless


async def test_explicit_port_and_restart() -> None:
    async with DNSServer({"a.example.test": "192.0.2.1"}) as first:
        port = first.port
    async with DNSServer({"a.example.test": "192.0.2.1"}, port=port) as second:
        assert second.port == port
        assert (await ask(second, "a.example.test")).rcode() == dns.rcode.NOERROR


async def test_start_twice_is_an_error(server: DNSServer) -> None:
    with pytest.raises(RuntimeError):
        await server.start()


async def test_ipv6_loopback() -> None:
    probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    finally:
        probe.close()
    async with DNSServer({"a.example.test": "2001:db8::1"}, host="::1") as srv:
        assert srv.address == f"[::1]:{srv.port}"
        assert texts(await ask(srv, "a.example.test", "AAAA")) == [
            "a.example.test. 300 IN AAAA 2001:db8::1"
        ]


# -- record formats ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rtype", "expected"),
    [
        ("www.example.test", "A", ["192.0.2.1", "192.0.2.2"]),
        ("www.example.test", "AAAA", ["2001:db8::1"]),
        ("v4.example.test", "A", ["192.0.2.3"]),
        ("dual.example.test", "AAAA", ["2001:db8::4"]),
        ("mail.example.test", "MX", ["10 mx1.example.test.", "20 mx2.example.test."]),
        ("txt.example.test", "TXT", ['"two" "strings"', '"v=spf1 -all"']),
        ("_sip._tcp.example.test", "SRV", ["10 60 5060 sip.example.test."]),
        ("caa.example.test", "CAA", ['0 issue "ca.example"']),
        ("1.2.0.192.in-addr.arpa", "PTR", ["www.example.test."]),
        ("example.test", "NS", ["ns1.example.test."]),
        ("example.test", "SOA", ["ns.example.test. hostmaster.example.test. 1 3600 600 86400 60"]),
    ],
)
async def test_record_types(server: DNSServer, name: str, rtype: str, expected: list[str]) -> None:
    r = await ask(server, name, rtype)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert len(r.answer) == 1
    assert sorted(rd.to_text() for rd in r.answer[0]) == expected


async def test_ttls(server: DNSServer) -> None:
    assert (await ask(server, "www.example.test")).answer[0].ttl == 60  # per name
    assert (await ask(server, "ttl.example.test")).answer[0].ttl == 7  # per type
    assert (await ask(server, "ttl.example.test", "TXT")).answer[0].ttl == 300  # default
    async with DNSServer({"a.example.test": "192.0.2.1"}, ttl=42) as srv:
        assert (await ask(srv, "a.example.test")).answer[0].ttl == 42


async def test_long_txt_is_split_into_255_byte_strings(server: DNSServer) -> None:
    (rd,) = (await ask(server, "long.example.test", "TXT")).answer[0]
    assert [len(s) for s in rd.strings] == [255, 45]


async def test_zone_text() -> None:
    async with DNSServer(zone_text=ZONE_TEXT) as srv:
        assert srv.zones == ["zone.test"]
        assert texts(await ask(srv, "host.zone.test")) == ["host.zone.test. 120 IN A 192.0.2.54"]
        nx = await ask(srv, "nx.zone.test")
        assert nx.rcode() == dns.rcode.NXDOMAIN
        # negative TTL = min(SOA TTL 3600, MINIMUM 30)
        assert texts(nx, "authority") == [
            "zone.test. 30 IN SOA ns.zone.test. admin.zone.test. 7 3600 600 86400 30"
        ]


async def test_zone_text_mapping_and_records_together() -> None:
    body = "@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 192.0.2.1\n"
    async with DNSServer(
        {"x.example.test": "192.0.2.8"}, zone_text={"one.test": body, "two.test": body}
    ) as srv:
        assert srv.zones == ["example.test", "one.test", "two.test"]
        # no $TTL: the SOA MINIMUM is the default TTL (RFC 1035, as dnspython reads it)
        assert texts(await ask(srv, "ns.two.test")) == ["ns.two.test. 60 IN A 192.0.2.1"]
        assert texts(await ask(srv, "x.example.test")) == ["x.example.test. 300 IN A 192.0.2.8"]


async def test_explicit_zones() -> None:
    async with DNSServer({"a.b.c.test": "192.0.2.1"}, zones=["c.test"]) as srv:
        assert srv.zones == ["c.test"]
        assert (await ask(srv, "b.c.test")).rcode() == dns.rcode.NOERROR  # empty non-terminal
    with pytest.raises(ValueError, match="outside the zones"):
        DNSServer({"a.other.test": "192.0.2.1"}, zones=["c.test"])


@pytest.mark.parametrize(
    ("records", "error"),
    [
        ({"a.example.test": {"A": "not-an-address"}}, ValueError),
        ({"a.example.test": "mx.example.test"}, ValueError),
        ({"a.example.test": {"NOPE": "1"}}, Exception),
        ({"a.example.test": {"A": {"ttl": 1}}}, ValueError),
        ({"a.example.test": {"A": [1]}}, TypeError),
        ({"a.example.test": 5}, TypeError),
    ],
)
def test_bad_records(records: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        DNSServer(records)  # type: ignore[arg-type]


def test_bad_zone_text() -> None:
    with pytest.raises(ValueError, match="bad zone text"):
        DNSServer(zone_text="$ORIGIN z.test.\n@ IN A\n")


# -- answer semantics --------------------------------------------------------------


async def test_nxdomain_has_soa_in_authority(server: DNSServer) -> None:
    r = await ask(server, "nope.example.test")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.flags & dns.flags.AA
    assert r.answer == []
    assert texts(r, "authority") == [
        "example.test. 60 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60"
    ]


async def test_nodata_is_noerror_with_soa(server: DNSServer) -> None:
    r = await ask(server, "v4.example.test", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer == []
    assert [rr.rdtype for rr in r.authority] == [dns.rdatatype.SOA]


async def test_empty_non_terminal_is_nodata(server: DNSServer) -> None:
    r = await ask(server, "ent.example.test")
    assert (r.rcode(), r.answer) == (dns.rcode.NOERROR, [])


async def test_wildcard(server: DNSServer) -> None:
    assert texts(await ask(server, "any.thing.wild.example.test")) == [
        "any.thing.wild.example.test. 300 IN A 192.0.2.9"
    ]
    assert (await ask(server, "wild.example.test")).answer == []  # ENT, not the wildcard


async def test_cname_chain_followed(server: DNSServer) -> None:
    r = await ask(server, "alias.example.test")
    assert r.rcode() == dns.rcode.NOERROR
    assert [rr.to_text() for rr in r.answer] == [
        "alias.example.test. 300 IN CNAME chain.example.test.",
        "chain.example.test. 300 IN CNAME www.example.test.",
        "www.example.test. 60 IN A 192.0.2.1\nwww.example.test. 60 IN A 192.0.2.2",
    ]
    # asking for the CNAME itself does not follow it
    assert texts(await ask(server, "alias.example.test", "CNAME")) == [
        "alias.example.test. 300 IN CNAME chain.example.test."
    ]


async def test_cname_loop_dangling_and_outside(server: DNSServer) -> None:
    loop = await ask(server, "loop1.example.test")
    assert loop.rcode() == dns.rcode.NOERROR and len(loop.answer) == 2
    dangling = await ask(server, "dangling.example.test")
    assert dangling.rcode() == dns.rcode.NXDOMAIN
    assert len(dangling.answer) == 1 and len(dangling.authority) == 1
    outside = await ask(server, "outside.example.test")
    assert outside.rcode() == dns.rcode.NOERROR
    assert texts(outside) == ["outside.example.test. 300 IN CNAME www.other.test."]


async def test_refused_outside_zones(server: DNSServer) -> None:
    r = await ask(server, "www.elsewhere.invalid")
    assert r.rcode() == dns.rcode.REFUSED
    assert not r.flags & dns.flags.AA
    assert r.answer == r.authority == []


async def test_question_echoed_with_case_and_rd(server: DNSServer) -> None:
    query = dns.message.make_query("WwW.ExAmPlE.TeSt", "A")
    query.flags &= ~dns.flags.RD
    r = await dns.asyncquery.udp(query, server.host, 5, server.port)
    assert r.question[0].name.to_text() == "WwW.ExAmPlE.TeSt."
    assert not r.flags & dns.flags.RD and not r.flags & dns.flags.RA
    assert len(r.answer[0]) == 2
    assert server.query_count("www.example.test", "A") == 1


async def test_formerr_on_garbage(server: DNSServer) -> None:
    # ID 0x1234, QDCOUNT 1, then a label running past the end of the packet
    response = await raw_reply(server, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc")
    assert response[:2] == b"\x12\x34"
    assert response[2] & 0x80 and response[3] & 0x0F == dns.rcode.FORMERR
    assert server.stats.formerr == 1
    # a compression pointer in the question is refused too
    response = await raw_reply(
        server, b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\0\1\0\1"
    )
    assert response[3] & 0x0F == dns.rcode.FORMERR


async def test_notimp_and_other_classes(server: DNSServer) -> None:
    query = dns.message.make_query("www.example.test", "A")
    query.set_opcode(dns.opcode.STATUS)
    response = await raw_reply(server, query.to_wire())
    assert response[3] & 0x0F == dns.rcode.NOTIMP
    chaos = dns.message.make_query("version.bind", "TXT", rdclass=dns.rdataclass.CH)
    r = await dns.asyncquery.udp(chaos, server.host, 5, server.port)
    assert r.rcode() == dns.rcode.REFUSED


async def test_truncation_over_udp_and_full_over_tcp(server: DNSServer) -> None:
    plain = await ask(server, "big.example.test")  # no EDNS: 512-byte limit
    assert plain.flags & dns.flags.TC and plain.answer == []
    small = await ask(server, "big.example.test", payload=1232)
    assert small.flags & dns.flags.TC
    assert small.edns == 0  # the OPT record survives truncation
    large = await ask(server, "big.example.test", payload=4096)
    assert not large.flags & dns.flags.TC and len(large.answer[0]) == 100
    full = await ask(server, "big.example.test", tcp=True)
    assert not full.flags & dns.flags.TC and len(full.answer[0]) == 100
    assert server.stats.truncated == 2
    # a small answer is never truncated
    assert not (await ask(server, "www.example.test")).flags & dns.flags.TC


async def test_tcp_several_queries_per_connection(server: DNSServer) -> None:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    names = ["www.example.test", "v4.example.test", "nope.example.test"]
    try:
        # all three sent in one write: framing must split them
        wires = [dns.message.make_query(n, "A").to_wire() for n in names]
        writer.write(b"".join(len(w).to_bytes(2, "big") + w for w in wires))
        await writer.drain()
        rcodes = []
        for wire in wires:
            size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), 5), "big")
            response = dns.message.from_wire(await reader.readexactly(size))
            assert response.id == dns.message.from_wire(wire).id
            rcodes.append(response.rcode())
        assert rcodes == [dns.rcode.NOERROR, dns.rcode.NOERROR, dns.rcode.NXDOMAIN]
    finally:
        writer.close()
    assert server.stats.tcp == 3


# -- runtime updates --------------------------------------------------------------


async def test_add_and_remove_records(server: DNSServer) -> None:
    assert (await ask(server, "new.example.test")).rcode() == dns.rcode.NXDOMAIN
    server.add_records({"new.example.test": "192.0.2.77"})
    assert texts(await ask(server, "new.example.test")) == ["new.example.test. 300 IN A 192.0.2.77"]
    server.add_records({"new.example.test": "192.0.2.78"})  # merged
    assert len((await ask(server, "new.example.test")).answer[0]) == 2
    server.remove_records("new.example.test", "A")
    assert (await ask(server, "new.example.test")).rcode() == dns.rcode.NXDOMAIN
    server.add_zone_text(ZONE_TEXT)
    assert (await ask(server, "host.zone.test")).rcode() == dns.rcode.NOERROR
