"""The resolver's cache on the shipped backends that know TTLs (wire, c-ares),
against a real knotd, counting the queries that reach it (the rig's dnsdist).

Issue 13 item 2: repeated lookups of a positive name send one query per record
type; repeated lookups of an NXDOMAIN / no-data name are answered from the
cache for the SOA's negative TTL (RFC 2308: min(SOA TTL 120, MINIMUM 60) = 60 s
in this zone).  Time is an injected clock: the answers and TTLs are the
server's, only the passing of time is simulated.

c-ares' getaddrinfo reports no SOA for a negative answer, so the backend asks
the name's SOA once (one more query) to learn the negative TTL; the counts
below say so.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from aioresolve import NoData, NXDomain, Resolver
from aioresolve.cache import CacheConfig
from tests._services_server import NEGATIVE_TTL, ZONE, Knot

BACKENDS = ["wire", "cares"]
#: Queries the first negative getaddrinfo/gethostbyname* costs beyond one per
#: record type: c-ares asks the SOA to learn the negative TTL.
SOA_PROBE = {"wire": 0, "cares": 1}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(backend: str, knot: Knot, clock: FakeClock) -> Resolver:
    options: dict[str, Any] = {"nameservers": [knot.address]}
    if backend == "cares":
        options.update(hosts_file=False, domains=[])
    return Resolver(backend, cache=CacheConfig(clock=clock), **options)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_getaddrinfo_positive_one_query_per_type(backend: str, svc_knot: Knot) -> None:
    clock = FakeClock()
    async with make(backend, svc_knot, clock) as resolver:
        before = svc_knot.queries()
        results = [await resolver.getaddrinfo(f"dual.{ZONE}", 80, type=socket.SOCK_STREAM)
                   for _ in range(3)]
        assert svc_knot.queries() - before == 2, "A and AAAA, once each"
        assert results[0] == results[1] == results[2]
        assert {info[4][0] for info in results[0]} == {
            "192.0.2.10", "192.0.2.11", "2001:db8::10", "2001:db8::11"}
        before = svc_knot.queries()
        for _ in range(3):
            await resolver.getaddrinfo(f"a.{ZONE}", 443, socket.AF_INET, socket.SOCK_STREAM)
        assert svc_knot.queries() - before == 1
        clock.now += 301  # the records' TTL is 300
        await resolver.getaddrinfo(f"a.{ZONE}", 443, socket.AF_INET, socket.SOCK_STREAM)
        assert svc_knot.queries() - before == 2, "expired after the records' TTL"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_gethostbyname_cached(backend: str, svc_knot: Knot) -> None:
    clock = FakeClock()
    async with make(backend, svc_knot, clock) as resolver:
        before = svc_knot.queries()
        for _ in range(3):
            assert await resolver.gethostbyname(f"a.{ZONE}") == "192.0.2.1"
        assert svc_knot.queries() - before == 1
        before = svc_knot.queries()
        for _ in range(3):
            entry = await resolver.gethostbyname_ex(f"b.{ZONE}")
            assert entry == (f"b.{ZONE}", [], ["192.0.2.4"])
        assert svc_knot.queries() - before == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_short_ttl_expires(backend: str, svc_knot: Knot) -> None:
    clock = FakeClock()
    async with make(backend, svc_knot, clock) as resolver:
        before = svc_knot.queries()
        await resolver.getaddrinfo(f"short.{ZONE}", 80, socket.AF_INET)
        await resolver.getaddrinfo(f"short.{ZONE}", 80, socket.AF_INET)
        assert svc_knot.queries() - before == 1
        clock.now += 3  # TTL 2
        await resolver.getaddrinfo(f"short.{ZONE}", 80, socket.AF_INET)
        assert svc_knot.queries() - before == 2
        before = svc_knot.queries()
        for _ in range(2):  # TTL 0: used once, never cached (RFC 1035 §3.2.1)
            await resolver.getaddrinfo(f"zero.{ZONE}", 80, socket.AF_INET)
        assert svc_knot.queries() - before == 2


@pytest.mark.parametrize("backend", BACKENDS)
async def test_query_positive_and_negative(backend: str, svc_knot: Knot) -> None:
    clock = FakeClock()
    async with make(backend, svc_knot, clock) as resolver:
        before = svc_knot.queries()
        for _ in range(3):
            answer = await resolver.query(f"a.{ZONE}", "A")
            assert answer.addresses == ["192.0.2.1"]
        assert svc_knot.queries() - before == 1

        before = svc_knot.queries()
        for _ in range(3):
            with pytest.raises(NXDomain) as nx:
                await resolver.query(f"nx.{ZONE}", "A")
            assert nx.value.negative_ttl == NEGATIVE_TTL
            assert nx.value.soa is not None and nx.value.soa.minimum == 60
        assert svc_knot.queries() - before == 1, "NXDOMAIN cached by the SOA"

        before = svc_knot.queries()
        for _ in range(3):
            with pytest.raises(NoData) as nodata:
                await resolver.query(f"nodata.{ZONE}", "A")
            assert nodata.value.negative_ttl == NEGATIVE_TTL
        assert svc_knot.queries() - before == 1, "NODATA cached by the SOA"

        clock.now += NEGATIVE_TTL + 1
        with pytest.raises(NXDomain):
            await resolver.query(f"nx.{ZONE}", "A")
        assert svc_knot.queries() - before == 2, "negative entries expire after 60 s"
        info = resolver.cache_info()
        assert info.negative_hits == 4


@pytest.mark.parametrize("backend", BACKENDS)
async def test_getaddrinfo_negative_cached(backend: str, svc_knot: Knot) -> None:
    clock = FakeClock()
    probe = SOA_PROBE[backend]
    async with make(backend, svc_knot, clock) as resolver:
        before = svc_knot.queries()
        for _ in range(3):
            with pytest.raises(socket.gaierror) as info:
                await resolver.getaddrinfo(f"nx.{ZONE}", 80, socket.AF_INET)
            assert info.value.errno == socket.EAI_NONAME
            assert type(info.value) is socket.gaierror
        assert svc_knot.queries() - before == 1 + probe, "NXDOMAIN cached by the SOA"

        before = svc_knot.queries()
        for _ in range(3):
            with pytest.raises(socket.gaierror) as info:
                await resolver.getaddrinfo(f"nodata.{ZONE}", 80)
            assert info.value.errno == socket.EAI_NODATA
        assert svc_knot.queries() - before == 2 + probe, "A+AAAA no data, cached by the SOA"

        before = svc_knot.queries()
        for _ in range(3):
            with pytest.raises(socket.gaierror):
                await resolver.gethostbyname(f"nx.{ZONE}")
        assert svc_knot.queries() - before == 1 + probe

        clock.now += NEGATIVE_TTL + 1
        before = svc_knot.queries()
        with pytest.raises(socket.gaierror):
            await resolver.getaddrinfo(f"nx.{ZONE}", 80, socket.AF_INET)
        assert svc_knot.queries() - before == 1 + probe, "expired after the negative TTL"
