"""aioresolve.testing.DNSServer's faults (delays, drops, SERVFAIL, truncation,
seeded random faults), its counters and log, resolvers bound to it, and its
bounds and robustness (issue 11); split from ``tests/test_testing.py``."""

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

import aioresolve
from aioresolve.testing import DNSServer, Fault
from tests._testing_helpers import RECORDS, ask, texts


@pytest.fixture
async def server() -> AsyncIterator[DNSServer]:
    async with DNSServer(RECORDS) as srv:
        yield srv


# -- faults -----------------------------------------------------------------------


async def test_delay_holds_back_only_that_name() -> None:
    records = {"slow.example.test": "192.0.2.1", "fast.example.test": "192.0.2.2"}
    # A delay far beyond the test: the order of events shows it, no clock is read.
    async with DNSServer(records, faults={"slow.example.test": Fault(delay=60)}) as srv:
        slow = asyncio.create_task(ask(srv, "slow.example.test", timeout=120))
        while not srv.query_count("slow.example.test"):  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.01)
        assert (await ask(srv, "fast.example.test")).rcode() == dns.rcode.NOERROR
        assert not slow.done()
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow


async def test_delayed_answer_arrives() -> None:
    fault = Fault(delay=0.05)
    async with DNSServer({"a.example.test": "192.0.2.1"}, fault=fault) as srv:
        assert texts(await ask(srv, "a.example.test")) == ["a.example.test. 300 IN A 192.0.2.1"]
        assert texts(await ask(srv, "a.example.test", tcp=True)) == [
            "a.example.test. 300 IN A 192.0.2.1"
        ]


async def test_drop_servfail_refused() -> None:
    faults = {
        "drop.example.test": Fault(drop_rate=1.0),
        "sf.example.test": Fault(servfail_rate=1.0),
        "ref.example.test": Fault(refused_rate=1.0),
    }
    records = {n: "192.0.2.1" for n in faults}
    async with DNSServer(records, faults=faults) as srv:
        with pytest.raises(dns.exception.Timeout):
            await ask(srv, "drop.example.test", timeout=0.3)
        assert (await ask(srv, "sf.example.test")).rcode() == dns.rcode.SERVFAIL
        # per-name faults cover names below too
        assert (await ask(srv, "x.ref.example.test")).rcode() == dns.rcode.REFUSED
        r = await ask(srv, "sf.example.test", tcp=True)  # TCP too
        assert r.rcode() == dns.rcode.SERVFAIL and r.question
        stats = srv.stats
        assert stats.by_rcode == {"DROPPED": 1, "SERVFAIL": 2, "REFUSED": 1}
        assert [q.rcode for q in srv.queries] == [None, "SERVFAIL", "REFUSED", "SERVFAIL"]


async def test_forced_truncation_only_over_udp() -> None:
    async with DNSServer({"a.example.test": "192.0.2.1"}, fault=Fault(truncate=True)) as srv:
        udp = await ask(srv, "a.example.test")
        assert udp.flags & dns.flags.TC and udp.answer == []
        tcp = await ask(srv, "a.example.test", tcp=True)
        assert not tcp.flags & dns.flags.TC and len(tcp.answer) == 1


async def test_random_faults_are_repeatable_with_a_seed() -> None:
    async def rcodes(seed: int) -> list[int]:
        fault = Fault(servfail_rate=0.5)
        async with DNSServer({"a.example.test": "192.0.2.1"}, fault=fault, seed=seed) as srv:
            return [(await ask(srv, "a.example.test")).rcode() for _ in range(30)]

    first = await rcodes(7)
    assert first == await rcodes(7)
    assert set(first) == {dns.rcode.NOERROR, dns.rcode.SERVFAIL}


async def test_set_fault_and_server_wide_fault(server: DNSServer) -> None:
    server.set_fault("www.example.test", Fault(servfail_rate=1))
    assert server.faults == {"www.example.test": Fault(servfail_rate=1)}
    assert (await ask(server, "www.example.test")).rcode() == dns.rcode.SERVFAIL
    assert (await ask(server, "v4.example.test")).rcode() == dns.rcode.NOERROR
    server.set_fault("www.example.test", None)
    assert (await ask(server, "www.example.test")).rcode() == dns.rcode.NOERROR
    server.fault = Fault(refused_rate=1)
    assert (await ask(server, "v4.example.test")).rcode() == dns.rcode.REFUSED


@pytest.mark.parametrize(
    "kwargs",
    [{"delay": -1}, {"drop_rate": 1.5}, {"servfail_rate": 0.6, "refused_rate": 0.6}],
)
def test_bad_fault(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Fault(**kwargs)  # type: ignore[arg-type]


async def test_stop_cancels_delayed_answers() -> None:
    async with DNSServer({"a.example.test": "192.0.2.1"}, fault=Fault(delay=30)) as srv:
        task = asyncio.create_task(ask(srv, "a.example.test", timeout=60))
        while not srv.stats.queries:  # noqa: ASYNC110 - the server has no event for this
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# -- observation ------------------------------------------------------------------


async def test_counters_and_log(server: DNSServer) -> None:
    await ask(server, "www.example.test")
    await ask(server, "www.example.test", "AAAA")
    await ask(server, "nope.example.test")
    await ask(server, "www.example.test", tcp=True)
    assert server.query_count() == 4
    assert server.query_count("WWW.example.test.") == 3
    assert server.query_count("www.example.test", "A") == 2
    assert server.query_count(rtype="AAAA") == 1
    stats = server.stats
    assert (stats.queries, stats.udp, stats.tcp) == (4, 3, 1)
    assert stats.by_rcode == {"NOERROR": 3, "NXDOMAIN": 1}
    assert stats.by_name[("www.example.test", "A")] == 2
    log = server.queries
    assert [(q.name, q.rtype, q.transport, q.rcode) for q in log] == [
        ("www.example.test", "A", "udp", "NOERROR"),
        ("www.example.test", "AAAA", "udp", "NOERROR"),
        ("nope.example.test", "A", "udp", "NXDOMAIN"),
        ("www.example.test", "A", "tcp", "NOERROR"),
    ]
    assert log[0].client[0] == "127.0.0.1"
    server.reset_stats()
    assert server.query_count() == 0 and server.queries == []


async def test_log_is_bounded() -> None:
    async with DNSServer({"a.example.test": "192.0.2.1"}, log_size=2) as srv:
        for name in ("a.example.test", "b.example.test", "c.example.test"):
            await ask(srv, name)
        assert [q.name for q in srv.queries] == ["b.example.test", "c.example.test"]
        assert srv.query_count() == 3  # the log is bounded, the counters are not


# -- through aioresolve -----------------------------------------------------------


@pytest.mark.parametrize("backend", [None, "cares", "wire"])
async def test_resolver_bound_to_the_server(server: DNSServer, backend: str | None) -> None:
    try:
        resolver = server.resolver(backend, cache=False, timeout=5)
    except aioresolve.BackendUnavailable as exc:
        pytest.skip(str(exc))
    async with resolver:
        assert resolver.backend.name == backend or backend is None
        answer = await resolver.query("www.example.test", "A")
        assert sorted(answer.addresses) == ["192.0.2.1", "192.0.2.2"]
        with pytest.raises(aioresolve.NXDomain):
            await resolver.query("nope.example.test", "A")
        with pytest.raises(aioresolve.NoData):
            await resolver.query("v4.example.test", "AAAA")
        chain = await resolver.query("alias.example.test", "A")
        assert chain.canonical_name == "www.example.test"
        big = await resolver.query("big.example.test", "A")  # TC over UDP, then TCP
        assert len(big.addresses) == 100
        infos = await resolver.getaddrinfo("v4.example.test", 80, type=socket.SOCK_STREAM)
        assert infos[0][4] == ("192.0.2.3", 80)
    assert server.query_count("nope.example.test") >= 1
    assert server.stats.tcp >= 1


def test_resolver_refuses_system_backend(server: DNSServer) -> None:
    with pytest.raises(ValueError):
        server.resolver("system")


def test_in_thread_serves_synchronous_code() -> None:
    server = DNSServer({"sync.example.test": "192.0.2.5"}, faults={"x.example.test": Fault()})
    with server.in_thread() as srv:
        query = dns.message.make_query("sync.example.test", "A")
        response = dns.query.udp(query, srv.host, timeout=5, port=srv.port)
        assert texts(response) == ["sync.example.test. 300 IN A 192.0.2.5"]
        srv.set_fault("sync.example.test", Fault(servfail_rate=1))
        response = dns.query.tcp(query, srv.host, timeout=5, port=srv.port)
        assert response.rcode() == dns.rcode.SERVFAIL
        assert srv.query_count("sync.example.test") == 2
    assert not server.running


# -- bounded and robust (issue 11) ----------------------------------------------------


async def test_per_name_counters_are_bounded() -> None:
    """Many distinct names: the per-name counters keep at most ``count_limit``
    pairs (names seen more than once survive a prune); totals stay exact."""
    async with DNSServer(
        {"a.example.test": "192.0.2.1"}, zones=["example.test"], count_limit=20
    ) as srv:
        for _ in range(3):
            await ask(srv, "a.example.test")
        for i in range(60):
            await ask(srv, f"n{i}.example.test")
        assert len(srv.stats.by_name) <= 20
        assert srv.query_count() == 63
        assert srv.query_count("a.example.test") == 3
    with pytest.raises(ValueError):
        DNSServer(count_limit=0)


async def test_idle_tcp_connections_are_closed() -> None:
    async with DNSServer({"a.example.test": "192.0.2.1"}, tcp_idle_timeout=0.2) as srv:
        reader, writer = await asyncio.open_connection(srv.host, srv.port)
        try:
            query = dns.message.make_query("a.example.test", "A").to_wire()
            writer.write(len(query).to_bytes(2, "big") + query)
            size = int.from_bytes(await reader.readexactly(2), "big")
            assert dns.message.from_wire(await reader.readexactly(size)).answer
            # then nothing: the server hangs up after the idle timeout
            assert await asyncio.wait_for(reader.read(), 10) == b""
        finally:
            writer.close()
        assert srv._tcp_idle_closed == 1 and not srv._tcp_conns


async def test_survives_malformed_traffic(server: DNSServer) -> None:
    """Random bytes, truncated headers, responses and absurd TCP lengths over
    UDP and TCP: the server keeps answering well-formed queries."""
    import random

    rng = random.Random(11)
    junk = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 600))) for _ in range(300)]
    good = dns.message.make_query("www.example.test", "A").to_wire()
    junk += [good[:n] for n in range(len(good))]  # every truncation of a query
    junk.append(b"\x00\x00\x80" + good[3:])  # a response (QR set)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for data in junk:
            udp.sendto(data, (server.host, server.port))
    finally:
        udp.close()
    for data in junk[:50]:
        _, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(len(data).to_bytes(2, "big") + data + b"\xff\xff" + data)
        writer.close()
    answer = await ask(server, "www.example.test")
    assert texts(answer)
    answer = await ask(server, "www.example.test", tcp=True)
    assert texts(answer)
