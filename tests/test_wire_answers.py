"""The wire backend against the rig's real servers: knot's answers equal
dnspython's for every record type of the rig zones, negative answers and
their SOA, the reply's evidence (flags, protocol, CNAME TTLs), dnsdist's
faults (TC=1 and the TCP retry, drops, SERVFAIL/REFUSED and failover to the
next server), and the socket-style lookups and the Resolver facade on it.

The other ``tests/test_wire_*.py`` modules: ``_fake_servers`` (scripted and
hostile servers of their own), ``_lifecycle`` (load, streams, cancellation,
close), ``_options`` (arguments and nameserver addresses), ``_stream``
(query_stream with async inputs).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator

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
