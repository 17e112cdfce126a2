"""The wire backend against the rig's real servers (knot, dnsdist) and a hostile fake server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import dns.asyncresolver
import pytest

import aioresolve
from aioresolve import _errors
from aioresolve._backends.wire import WireBackend
from aioresolve._dns import codec
from aioresolve._records import record_from_rdata
from aioresolve.testing import DNSServer
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer


@pytest.fixture
async def wire(knot: KnotServer) -> AsyncIterator[WireBackend]:
    backend = WireBackend(nameservers=[knot.address], timeout=1.0, attempts=3)
    yield backend
    await backend.aclose()


def _reference_resolver(server: KnotServer) -> dns.asyncresolver.Resolver:
    ref = dns.asyncresolver.Resolver(configure=False)
    ref.nameservers = [server.host]
    ref.port = server.port
    ref.timeout = ref.lifetime = 5.0
    return ref


CASES = [
    (z.A_NAME, "A"), (z.AAAA_NAME, "AAAA"), (z.DUAL_NAME, "A"), (z.DUAL_NAME, "AAAA"),
    (z.MULTI_NAME, "A"), (z.MULTI_NAME, "AAAA"), (z.CNAME_NAME, "A"), (z.CNAME_NAME, "AAAA"),
    (z.CNAME_NAME, "CNAME"), (z.MX_NAME, "MX"), (z.TXT_NAME, "TXT"), (z.TXT_LONG_NAME, "TXT"),
    (z.TXT_MULTI_NAME, "TXT"), (z.SRV_NAME, "SRV"), (z.CAA_NAME, "CAA"), (z.NAPTR_NAME, "NAPTR"),
    (z.HTTPS_NAME, "HTTPS"), (z.SVCB_NAME, "SVCB"), (z.TLSA_NAME, "TLSA"), (z.URI_NAME, "URI"),
    (z.ZONE, "NS"), (z.ZONE, "SOA"), (z.IDN_NAME, "A"), (z.BIG_NAME, "A"),
    (z.BIG_TXT_NAME, "TXT"), (z.reverse_name(z.A_ADDR), "PTR"), (z.bulk_name(7), "A"),
]


@pytest.mark.parametrize(("name", "rtype"), CASES)
async def test_answers_equal_dnspython(wire: WireBackend, knot: KnotServer, name: str,
                                       rtype: str) -> None:
    answer = await wire.query(name, rtype)
    ref = await _reference_resolver(knot).resolve(name, rtype, search=False)
    assert ref.rrset is not None
    expected = sorted(map(repr, (record_from_rdata(r, ref.rrset.ttl) for r in ref.rrset)))
    assert sorted(map(repr, answer.records)) == expected
    assert answer.canonical_name == ref.canonical_name.to_text(omit_final_dot=True)
    assert answer.ttl == min(ref.rrset.ttl, ref.chaining_result.minimum_ttl)
    assert answer.server == knot.address and answer.name == name and answer.rtype == rtype


@pytest.mark.parametrize(
    ("name", "rtype", "error"),
    [
        (z.NX_NAME, "A", _errors.NXDomain),
        (z.NODATA_NAME, "A", _errors.NoData),
        (z.CNAME_DANGLING_NAME, "A", _errors.NXDomain),
        (z.CNAME_LOOP_NAME, "A", _errors.NoData),
        (z.OUT_OF_ZONE_NAME, "A", _errors.Refused),
    ],
)
async def test_negative_answers(wire: WireBackend, knot: KnotServer, name: str, rtype: str,
                                error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        await wire.query(name, rtype)
    exc = info.value
    assert isinstance(exc, _errors.ResolveError)
    assert (exc.host, exc.rtype, exc.backend, exc.server) == (name, rtype, "wire", knot.address)
    if isinstance(exc, _errors.NXDomain) or name == z.NODATA_NAME:
        # RFC 2308: the authority section's SOA and the negative TTL it gives
        assert exc.soa is not None and exc.negative_ttl is not None
        assert exc.negative_ttl <= exc.soa.ttl


async def test_reply_evidence_on_answers_and_errors() -> None:
    """The header flags, the protocol, the CNAMEs' own TTLs and the negative
    answer's SOA owner reach the Answer and the error (for --detail output)."""
    records = {"www.x.test": {"A": "192.0.2.1", "ttl": 300},
               "alias.x.test": {"CNAME": "www.x.test", "ttl": 120},
               "big.x.test": {"A": [f"192.0.2.{i}" for i in range(1, 101)]}}
    async with DNSServer(records, zones=["x.test"]) as server:
        backend = WireBackend(nameservers=[server.address], timeout=2.0)
        try:
            answer = await backend.query("alias.x.test", "A")
            assert answer.flags is not None and answer.flags & codec.FLAG_QR
            assert (answer.protocol, answer.aliases, answer.alias_ttls) == (
                "udp", ("alias.x.test",), (120,))
            with pytest.raises(_errors.NXDomain) as info:
                await backend.query("nx.x.test", "A")
            exc = info.value
            assert (exc.protocol, exc.soa_owner) == ("udp", "x.test")
            assert exc.flags is not None and exc.flags & codec.FLAG_QR
            big = await backend.query("big.x.test", "A")  # TC=1 over UDP, then TCP
            assert (big.protocol, len(big.records)) == ("tcp", 100)
        finally:
            await backend.aclose()


async def test_illegal_name(wire: WireBackend) -> None:
    with pytest.raises(_errors.IllegalName):
        await wire.query("a" * 64 + ".test", "A")


async def test_truncated_answer_retried_over_tcp(wire: WireBackend, dnsdist: DnsdistServer
                                                 ) -> None:
    answer = await wire.query(z.BIG_NAME, "A")  # knot sets TC itself: 100 A records
    assert sorted(answer.addresses) == sorted(z.BIG_V4)
    front = WireBackend(nameservers=[dnsdist.address], timeout=2.0)
    try:
        answer = await front.query(f"{uuid.uuid4().hex}.{z.TC_NAME}", "A")
        assert answer.addresses == [z.FAULT_V4]
        assert front.stats is not None and front.stats.tcp == 1
    finally:
        await front.aclose()
    off = WireBackend(nameservers=[dnsdist.address], tcp_fallback=False)
    try:
        with pytest.raises(_errors.Truncated):
            await off.query(f"{uuid.uuid4().hex}.{z.TC_NAME}", "A")
    finally:
        await off.aclose()


async def test_drop_times_out(dnsdist: DnsdistServer) -> None:
    backend = WireBackend(nameservers=[dnsdist.address], timeout=0.3, attempts=2)
    name = f"{uuid.uuid4().hex}.{z.DROP_NAME}"
    try:
        with pytest.raises(_errors.Timeout) as info:
            await backend.query(name, "A")
        assert isinstance(info.value, TimeoutError)
        assert info.value.server == dnsdist.address
        assert backend.stats is not None and backend.stats.timeouts == 2
        assert dnsdist.queries_for(name) == 2
    finally:
        await backend.aclose()


@pytest.mark.parametrize("fault", [z.DROP_NAME, z.SERVFAIL_NAME, z.REFUSED_NAME])
async def test_failover_to_the_next_server(dnsdist: DnsdistServer, knot: KnotServer,
                                           fault: str) -> None:
    backend = WireBackend(nameservers=[dnsdist.address, knot.address], timeout=0.3,
                          attempts=2)
    name = f"{uuid.uuid4().hex}.{fault}"
    try:
        answer = await backend.query(name, "A")
        assert answer.addresses == [z.FAULT_V4]
        assert answer.server == knot.address
        assert dnsdist.queries_for(name) == 1
    finally:
        await backend.aclose()


async def test_servfail_everywhere_is_servfail(dnsdist: DnsdistServer) -> None:
    backend = WireBackend(nameservers=[dnsdist.address], attempts=2)
    try:
        with pytest.raises(_errors.ServFail):
            await backend.query(f"{uuid.uuid4().hex}.{z.SERVFAIL_NAME}", "A")
    finally:
        await backend.aclose()


# -- a hostile server --------------------------------------------------------------


class _Hostile(asyncio.DatagramProtocol):
    """Answers each query with junk first, then the genuine answer."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.1", 0))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        q = codec.parse_response(data)
        name = q.qname
        good = codec.encode_response(q.id, name, q.qtype, [(name, 1, 60, "192.0.2.77")])
        bad = codec.encode_response(q.id, name, q.qtype, [(name, 1, 60, "192.0.2.66")])
        here = 12 + len(codec.encode_name(name)) + 4
        loop_packet = (struct.pack("!HHHHHH", q.id, 0x8180, 1, 1, 0, 0) + data[12:here]
                       + struct.pack("!H", 0xC000 | here) + struct.pack("!HHIH", 1, 1, 60, 4)
                       + bytes(4))
        for junk in (
            codec.encode_response(q.id ^ 0x5555, name, q.qtype, [(name, 1, 60, "192.0.2.66")]),
            codec.encode_response(q.id, "evil." + name, q.qtype, []),
            codec.encode_response(q.id, name, 28, []),  # wrong type
            bad[:-3],  # truncated
            b"\x00",
            bytes([q.id >> 8, q.id & 0xFF]) + b"\xff" * 40,  # garbage with the right ID
            loop_packet,
        ):
            self.transport.sendto(junk, addr)
        self.other.sendto(bad, addr)  # right everything, wrong source port
        self.transport.sendto(good, addr)


@pytest.fixture
async def hostile() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Hostile,
                                                           local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    yield f"127.0.0.1:{port}"
    transport.close()
    proto.other.close()


async def test_spoofed_and_malformed_replies_are_dropped(hostile: str) -> None:
    backend = WireBackend(nameservers=[hostile], timeout=2.0, attempts=1)
    try:
        for name in ("spoof.test", "MiXeD.Case.TEST"):
            answer = await backend.query(name, "A")
            assert answer.addresses == ["192.0.2.77"]
        stats = backend.stats
        assert stats is not None
        # the genuine answer came last, so every junk packet was seen and dropped
        assert stats.answered == 2 and stats.timeouts == 0
        # per query: wrong name, wrong type, garbage after the right ID
        assert stats.wrong_question == 2 * 3
        # per query: truncated, shorter than a header, compression loop
        assert stats.malformed == 2 * 3
        assert stats.unexpected == 2
        # the reply from another port: dropped by the kernel (connected socket) or by us
        assert stats.wrong_source <= 2
    finally:
        await backend.aclose()


class _Scripted(asyncio.DatagramProtocol):
    """Answers from a script: name -> answers (owner, type, ttl, value); CNAMEs
    without their targets, so the engine has to ask again."""

    SCRIPT: ClassVar[dict[str, list[tuple[str, int, int, str]]]] = {
        "start.test": [("start.test", 5, 30, "middle.test")],
        "middle.test": [("middle.test", 5, 20, "end.test")],
        "end.test": [("end.test", 1, 10, "192.0.2.88")],
        "ping.test": [("ping.test", 5, 30, "pong.test")],
        "pong.test": [("pong.test", 5, 30, "ping.test")],
    }

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.DatagramTransport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        q = codec.parse_response(data)
        answers = self.SCRIPT.get(q.qname)
        self.transport.sendto(codec.encode_response(q.id, q.qname, q.qtype, answers or [],
                                                    rcode=0 if answers else 3), addr)


async def test_cname_followed_with_new_queries() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Scripted, local_addr=("127.0.0.1", 0))
    server = f"127.0.0.1:{transport.get_extra_info('sockname')[1]}"
    backend = WireBackend(nameservers=[server], timeout=2.0)
    try:
        answer = await backend.query("Start.test", "A")
        assert answer.addresses == ["192.0.2.88"]
        assert (answer.name, answer.canonical_name, answer.ttl) == ("Start.test", "end.test", 10)
        assert answer.aliases == ("start.test", "middle.test")
        name, aliases, addrs = await backend.gethostbyname_ex(b"start.test")
        assert (name, aliases, addrs) == ("end.test", ["start.test", "middle.test"],
                                          ["192.0.2.88"])
        with pytest.raises(_errors.NoData, match="loop"):
            await backend.query("ping.test", "A")
        assert backend.stats is not None and backend.stats.sent == 3 + 3 + 2
    finally:
        await backend.aclose()
        transport.close()


async def test_ipv6_server() -> None:
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(_Scripted, local_addr=("::1", 0))
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback: {exc}")
    server = f"[::1]:{transport.get_extra_info('sockname')[1]}"
    backend = WireBackend(nameservers=[server])
    try:
        answer = await backend.query("end.test", "A")
        assert answer.addresses == ["192.0.2.88"] and answer.server == server
    finally:
        await backend.aclose()
        transport.close()


async def test_max_in_flight_queues_the_rest(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address], max_in_flight=3)
    try:
        answers = await asyncio.gather(*(backend.query(z.bulk_name(i), "A") for i in range(40)))
        assert [a.addresses for a in answers] == [[z.bulk_address(i)] for i in range(40)]
        assert backend.engine().in_flight == 0
    finally:
        await backend.aclose()


# -- bulk ------------------------------------------------------------------------------


async def test_query_stream(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address])
    names = [*z.bulk_query_names(3000, nx_every=50, nodata_every=70), "bad..name"]
    seen = {}
    try:
        async for item in backend.query_stream(iter(names), "A", concurrency=100):
            seen[item.index] = item
    finally:
        await backend.aclose()
    assert len(seen) == len(names)
    for i, name in enumerate(names):
        item = seen[i]
        assert item.name == name
        if name == "bad..name":
            assert isinstance(item.result, _errors.IllegalName)
        elif name.startswith("nx"):
            assert isinstance(item.result, _errors.NXDomain)
        elif name.startswith("nodata"):
            assert isinstance(item.result, _errors.NoData)
        else:
            assert isinstance(item.result, aioresolve.Answer), item
            assert item.result.addresses == [z.bulk_address(int(name[1:].split(".")[0]))]


async def test_query_stream_async_input_qps_and_break(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address])

    async def gen() -> AsyncIterator[str]:
        for i in range(200):
            yield z.bulk_name(i)

    try:
        count = 0
        async for item in backend.query_stream(gen(), "A", qps=2000, concurrency=10):
            assert isinstance(item.result, aioresolve.Answer)
            count += 1
        assert count == 200
        # (a modest burst: a big one abandoned here would still be filling
        # knot's socket buffer - and dropping the next test's queries)
        stream = backend.query_stream((z.bulk_name(i) for i in range(500)), "A",
                                      concurrency=50)
        async with contextlib.aclosing(stream):
            async for _ in stream:
                break
        engine = backend.engine()
        assert engine.in_flight == 0
    finally:
        await backend.aclose()


async def test_bulk_query_func_rotates_servers(knot: KnotServer, dnsdist: DnsdistServer
                                               ) -> None:
    backend = WireBackend(nameservers=[dnsdist.address, knot.address])
    try:
        one = backend.bulk_query_func()
        assert (await one(z.A_NAME, "A", 0)).server == dnsdist.address
        assert (await one(z.A_NAME, "A", 1)).server == knot.address
    finally:
        await backend.aclose()


# -- socket-style lookups ------------------------------------------------------------


async def test_socket_style_lookups(wire: WireBackend) -> None:
    infos = await wire.getaddrinfo(z.DUAL_NAME.encode(), 80, 0, socket.SOCK_STREAM, 0,
                                   socket.AI_CANONNAME)
    assert [(i[0], i[4][0]) for i in infos] == [(socket.AF_INET, z.DUAL_V4),
                                               (socket.AF_INET6, z.DUAL_V6)]
    assert infos[0][3] == z.DUAL_NAME and infos[0][4][1] == 80
    name, aliases, addrs = await wire.gethostbyname_ex(z.CNAME_NAME.encode())
    assert (name, aliases, addrs) == (z.CNAME_TARGET, list(z.CNAME_CHAIN[:-1]),
                                      [z.CNAME_TARGET_V4])
    assert await wire.gethostbyname(z.A_NAME.encode()) == z.A_ADDR
    assert await wire.gethostbyaddr(z.A_ADDR.encode()) == (z.A_NAME, [], [z.A_ADDR])
    assert await wire.getnameinfo((z.AAAA_ADDR, 443, 0, 0), 0) == (z.AAAA_NAME, "https")
    with pytest.raises(socket.gaierror) as info:
        await wire.getaddrinfo(z.NX_NAME.encode(), None, 0, 0, 0, 0)
    assert info.value.errno == socket.EAI_NONAME
    with pytest.raises(socket.gaierror) as info:
        await wire.getaddrinfo(z.A_NAME.encode(), None, socket.AF_INET6, 0, 0, 0)
    assert info.value.errno == getattr(socket, "EAI_NODATA", -5)
    v4mapped = await wire.getaddrinfo(z.A_NAME.encode(), None, socket.AF_INET6,
                                      socket.SOCK_DGRAM, 0, socket.AI_V4MAPPED)
    assert v4mapped[0][4][0] == f"::ffff:{z.A_ADDR}"
    with pytest.raises(socket.herror):
        await wire.gethostbyaddr(z.NO_PTR_V4.encode())
    assert await wire.getnameinfo((z.NO_PTR_V4, 80), 0) == (z.NO_PTR_V4, "http")


async def test_through_the_resolver_facade(knot: KnotServer) -> None:
    async with aioresolve.Resolver("wire", nameservers=[knot.address]) as resolver:
        answer = await resolver.query(z.MX_NAME, "MX")
        assert sorted((r.priority, r.exchange) for r in answer) == sorted(z.MX_RECORDS)
        infos = await resolver.getaddrinfo(z.A_NAME, 443)
        assert {i[4] for i in infos} == {(z.A_ADDR, 443)}


# -- lifecycle ------------------------------------------------------------------------


async def test_cancel_and_close(dnsdist: DnsdistServer) -> None:
    backend = WireBackend(nameservers=[dnsdist.address], timeout=5.0)
    task = asyncio.ensure_future(backend.query(f"{uuid.uuid4().hex}.{z.DROP_NAME}", "A"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.engine().in_flight == 0
    pending = asyncio.ensure_future(backend.query(f"{uuid.uuid4().hex}.{z.DROP_NAME}", "A"))
    await asyncio.sleep(0.05)
    await backend.aclose()
    with pytest.raises(_errors.ResolverClosed):
        await pending
    with pytest.raises(_errors.ResolverClosed):
        await backend.query(z.A_NAME, "A")


async def test_connection_refused() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    closed = f"127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nobody listens there now: ICMP port unreachable
    backend = WireBackend(nameservers=[closed], timeout=2.0, attempts=2)
    try:
        with pytest.raises(_errors.ConnectionRefused) as info:
            await backend.query(z.A_NAME, "A")
        assert info.value.server == closed
    finally:
        await backend.aclose()


def test_options_are_checked(tmp_path: Path) -> None:
    empty = tmp_path / "empty.conf"
    empty.write_text("# no nameserver lines\n")
    with pytest.raises(ValueError):
        WireBackend(resolvconf_path=str(empty))
    with pytest.raises(ValueError):
        WireBackend(nameservers=["ns.example"])
    with pytest.raises(TypeError):
        WireBackend(nameservers="127.0.0.1")  # type: ignore[arg-type]
    conf = tmp_path / "resolv.conf"
    conf.write_text("# test\nnameserver 127.0.0.9\nnameserver ::1\nsearch x.test\n")
    backend = WireBackend(resolvconf_path=str(conf))
    assert backend.nameservers == ["127.0.0.9:53", "[::1]:53"]


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[::1]", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("[::1:53]", ("::1:53", 53)),  # brackets: the address itself
    ("2001:db8::53", ("2001:db8::53", 53)),  # "2001:db8:" is no address: not ambiguous
    ("0:0:0:0:0:0:1:53", ("::1:53", 53)),  # the full form: not ambiguous either
    ("fe80::1:ffff", ("fe80::1:ffff", 53)),  # a hex group is no port
])
def test_parse_nameserver(text: str, expected: tuple[str, int]) -> None:
    from aioresolve._nameservers import parse_nameserver

    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(("text", "hint"), [
    ("::1:53", "'[::1]:53'"),
    ("2001:db8::1:5353", "'[2001:db8::1]:5353'"),
    ("[::1]:", "empty port"),
    ("127.0.0.1:", "port"),
    ("127.0.0.1:99999", "port"),
    ("[127.0.0.1]:53", "IPv6"),
    ("localhost:53", "IP address"),
    ("[::1]53", "[ipv6]:port"),
])
def test_parse_nameserver_rejects(text: str, hint: str) -> None:
    from aioresolve._nameservers import parse_nameserver

    with pytest.raises(ValueError) as info:
        parse_nameserver(text)
    assert hint in str(info.value)
    if text == "::1:53":  # both readings are offered
        assert "'[::1:53]'" in str(info.value)


def test_resolv_conf_addresses_are_never_read_as_ports(tmp_path: Path) -> None:
    """resolv.conf has no ports: ``2001:db8::1:53`` there is that address."""
    from aioresolve._nameservers import parse_nameserver, read_resolv_conf

    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 2001:db8::1:53\nnameserver fe80::1%eth0\n")
    servers = read_resolv_conf(str(conf))
    assert [parse_nameserver(s) for s in servers] == [("2001:db8::1:53", 53), ("fe80::1", 53)]
