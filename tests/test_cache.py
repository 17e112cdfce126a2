"""The resolver's TTL cache against a real knotd (queries counted at the server).

Expiry is tested with an injected clock (``CacheConfig(clock=...)``): the
answers and their TTLs come from the real server; only the passing of time is
simulated, so no test sleeps or depends on speed.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from aioresolve import Answer, NoData, NXDomain, Resolver, ServFail
from aioresolve._backends.base import NegativeAnswer
from aioresolve.cache import CacheConfig, LookupCache, negative_ttl_of
from tests._services_server import NEGATIVE_TTL, ZONE, DnspythonBackend, Knot


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_resolver(knot: Knot, **config: object) -> tuple[Resolver, DnspythonBackend]:
    backend = DnspythonBackend(knot.host, knot.port)
    cache = CacheConfig(**config) if config else True  # type: ignore[arg-type]
    return Resolver(backend, cache=cache), backend


async def test_query_is_cached_for_its_ttl(svc_knot: Knot) -> None:
    clock = FakeClock()
    resolver, _ = make_resolver(svc_knot, clock=clock)
    async with resolver:
        before = svc_knot.queries()
        first = await resolver.query(f"a.{ZONE}", "A")
        second = await resolver.query(f"a.{ZONE}", "A")
        assert svc_knot.queries() - before == 1
        assert first.addresses == second.addresses == ["192.0.2.1"]
        assert first.ttl == 300
        clock.now += 100
        aged = await resolver.query(f"a.{ZONE}", "A")
        assert aged.ttl == 200, "a cached answer carries the remaining TTL"
        assert aged.records[0].ttl == 200
        clock.now += 201
        await resolver.query(f"a.{ZONE}", "A")
        assert svc_knot.queries() - before == 2, "expired after 300 s"
        info = resolver.cache_info()
        assert (info.hits, info.misses, info.expirations, info.size) == (2, 2, 1, 1)


async def test_cache_is_on_by_default_for_ttl_backends(svc_knot: Knot) -> None:
    async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
        before = svc_knot.queries()
        for _ in range(5):
            await resolver.query(f"a.{ZONE}", "A")
        assert svc_knot.queries() - before == 1
        assert resolver.cache_info().hits == 4


async def test_cache_false_disables_it(svc_knot: Knot) -> None:
    backend = DnspythonBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        before = svc_knot.queries()
        for _ in range(3):
            await resolver.query(f"a.{ZONE}", "A")
        assert svc_knot.queries() - before == 3
        assert resolver.cache_info().size == 0


async def test_min_and_max_ttl_clamp(svc_knot: Knot) -> None:
    clock = FakeClock()
    resolver, backend = make_resolver(svc_knot, clock=clock, min_ttl=10, max_ttl=100)
    async with resolver:
        await resolver.query(f"short.{ZONE}", "A")  # TTL 2, raised to 10
        await resolver.query(f"a.{ZONE}", "A")  # TTL 300, lowered to 100
        clock.now += 9
        await resolver.query(f"short.{ZONE}", "A")
        assert backend.sent == 2
        clock.now += 2
        await resolver.query(f"short.{ZONE}", "A")
        assert backend.sent == 3
        clock.now += 90
        await resolver.query(f"a.{ZONE}", "A")
        assert backend.sent == 4


async def test_ttl_zero_is_not_cached(svc_knot: Knot) -> None:
    resolver, backend = make_resolver(svc_knot)
    async with resolver:
        await resolver.query(f"zero.{ZONE}", "A")
        await resolver.query(f"zero.{ZONE}", "A")
        assert backend.sent == 2


@pytest.mark.parametrize(("name", "error"), [("nx", NXDomain), ("nodata", NoData)])
async def test_negative_answers_cached_for_soa_minimum(
    svc_knot: Knot, name: str, error: type[Exception]
) -> None:
    clock = FakeClock()
    resolver, backend = make_resolver(svc_knot, clock=clock)
    async with resolver:
        with pytest.raises(error) as first:
            await resolver.query(f"{name}.{ZONE}", "A")
        assert negative_ttl_of(first.value) == NEGATIVE_TTL
        clock.now += NEGATIVE_TTL - 1
        with pytest.raises(error) as second:
            await resolver.query(f"{name}.{ZONE}", "A")
        assert second.value is not first.value, "each caller gets its own exception"
        assert str(second.value) == str(first.value)
        assert backend.sent == 1
        assert resolver.cache_info().negative_hits == 1
        clock.now += 2
        with pytest.raises(error):
            await resolver.query(f"{name}.{ZONE}", "A")
        assert backend.sent == 2


async def test_negative_getaddrinfo_cached_as_gaierror(svc_knot: Knot) -> None:
    resolver, backend = make_resolver(svc_knot)
    async with resolver:
        for _ in range(2):
            with pytest.raises(socket.gaierror) as info:
                await resolver.getaddrinfo(f"nx.{ZONE}", 80, socket.AF_INET)
            assert info.value.errno == socket.EAI_NONAME
        assert backend.sent == 1


async def test_getaddrinfo_cached_by_all_arguments(svc_knot: Knot) -> None:
    resolver, backend = make_resolver(svc_knot)
    async with resolver:
        first = await resolver.getaddrinfo(f"dual.{ZONE}", 80, socket.AF_INET, socket.SOCK_STREAM)
        assert [ai[4] for ai in first] == [("192.0.2.10", 80), ("192.0.2.11", 80)]
        first.clear()  # the caller's own copy
        again = await resolver.getaddrinfo(f"dual.{ZONE}", 80, socket.AF_INET, socket.SOCK_STREAM)
        assert len(again) == 2, "mutating a result does not reach the cache"
        assert backend.sent == 1
        await resolver.getaddrinfo(f"dual.{ZONE}", 443, socket.AF_INET, socket.SOCK_STREAM)
        assert backend.sent == 2, "another port is another entry"


async def test_lru_eviction(svc_knot: Knot) -> None:
    resolver, backend = make_resolver(svc_knot, max_size=2)
    async with resolver:
        for name in ("a", "b", "a", "web"):  # "b" is least recently used when "web" arrives
            await resolver.query(f"{name}.{ZONE}", "A")
        assert backend.sent == 3
        await resolver.query(f"a.{ZONE}", "A")
        assert backend.sent == 3
        await resolver.query(f"b.{ZONE}", "A")
        assert backend.sent == 4
        info = resolver.cache_info()
        assert (info.size, info.max_size, info.evictions) == (2, 2, 2)


async def test_flush(svc_knot: Knot) -> None:
    resolver, backend = make_resolver(svc_knot)
    async with resolver:
        await resolver.query(f"a.{ZONE}", "A")
        resolver.flush()
        assert resolver.cache_info().size == 0
        await resolver.query(f"a.{ZONE}", "A")
        assert backend.sent == 2


async def test_serve_stale_refreshes_in_background(svc_knot: Knot) -> None:
    clock = FakeClock()
    resolver, backend = make_resolver(svc_knot, clock=clock, serve_stale=30)
    async with resolver:
        await resolver.query(f"short.{ZONE}", "A")
        clock.now += 5  # expired (TTL 2) but within the stale window
        stale = await resolver.query(f"short.{ZONE}", "A")
        assert stale.addresses == ["192.0.2.2"]
        assert stale.ttl == 0
        info = resolver.cache_info()
        assert (info.stale_hits, info.refreshes) == (1, 1)
        for _ in range(100):  # let the background refresh finish
            if backend.sent == 2 and not resolver._lookups._refreshing:
                break
            await _tick()
        assert backend.sent == 2
        fresh = await resolver.query(f"short.{ZONE}", "A")
        assert fresh.ttl == 2
        assert backend.sent == 2
        clock.now += 40  # past expiry and the stale window
        await resolver.query(f"short.{ZONE}", "A")
        assert backend.sent == 3


async def _tick() -> None:
    await asyncio.sleep(0.05)


async def test_system_backend_caches_only_with_fixed_ttl() -> None:
    # "localhost" is answered from /etc/hosts: no DNS traffic at all.
    async with Resolver("system") as resolver:
        await resolver.getaddrinfo("localhost", 80)
        await resolver.getaddrinfo("localhost", 80)
        assert resolver.cache_info().hits == 0, "libc gives no TTL: not cached by default"
    async with Resolver("system", cache=CacheConfig(fixed_ttl=30)) as resolver:
        first = await resolver.getaddrinfo("localhost", 80)
        second = await resolver.getaddrinfo("localhost", 80)
        assert first == second == socket.getaddrinfo("localhost", 80)
        assert resolver.cache_info().hits == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"max_size": 0},
        {"min_ttl": -1},
        {"min_ttl": 10, "max_ttl": 5},
        {"fixed_ttl": -1},
        {"serve_stale": -1},
    ],
)
def test_config_rejects_bad_values(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CacheConfig(**bad)  # type: ignore[arg-type]


def test_lookup_cache_without_config_only_coalesces() -> None:
    cache = LookupCache(None, backend_provides_ttl=True)
    assert cache.info().max_size == 0


class Closed(Exception):
    pass


@pytest.mark.parametrize("outcome", ["answer", "negative", "negative with ttl", "failure"])
async def test_lookups_ending_after_close_raise_the_closed_error(outcome: str) -> None:
    """Once its owner sets ``closed``, a lookup still in flight through the
    cache (leader and coalesced follower alike) raises ``closed_error()``
    instead of its answer or failure; what it learnt is still cached."""
    cache = LookupCache(CacheConfig(negative_ttl=60), backend_provides_ttl=True,
                        closed_error=Closed)
    release = asyncio.Event()

    async def start() -> tuple[list[str], float]:
        await release.wait()
        if outcome == "negative":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if outcome == "negative with ttl":
            raise NegativeAnswer(socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
                                 30.0)
        if outcome == "failure":
            raise ServFail(host="x.test")
        return ["192.0.2.1"], 60.0

    key = ("getaddrinfo", b"x.test")
    leader = asyncio.ensure_future(cache.run_timed(key, start))
    follower = asyncio.ensure_future(cache.run_timed(key, start))
    await asyncio.sleep(0)
    cache.closed = True
    release.set()
    results = await asyncio.gather(leader, follower, return_exceptions=True)
    assert all(isinstance(r, Closed) for r in results), results
    assert cache.info().size == (0 if outcome == "failure" else 1)


async def test_cares_query_answers_are_cached_by_default(svc_knot: Knot) -> None:
    pytest.importorskip("pycares")
    async with Resolver("cares", nameservers=[svc_knot.address], domains=[]) as resolver:
        before = svc_knot.queries()
        first = await resolver.query(f"a.{ZONE}", "A")
        second = await resolver.query(f"a.{ZONE}", "A")
        assert first.addresses == second.addresses == ["192.0.2.1"]
        assert svc_knot.queries() - before == 1
        assert resolver.cache_info().hits == 1


class FlakyBackend(DnspythonBackend):
    """Answers from the server until ``failing`` is set, then fails with SERVFAIL."""

    failing = False

    async def query(self, name: str, rtype: str) -> Answer:
        if self.failing:
            self.sent += 1
            raise ServFail(host=name, rtype=rtype, backend=self.name)
        return await super().query(name, rtype)


async def test_serve_stale_survives_failed_refreshes(svc_knot: Knot) -> None:
    clock = FakeClock()
    backend = FlakyBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=CacheConfig(clock=clock, serve_stale=30)) as resolver:
        await resolver.query(f"short.{ZONE}", "A")
        backend.failing = True
        clock.now += 5
        for _ in range(3):
            stale = await resolver.query(f"short.{ZONE}", "A")
            assert stale.addresses == ["192.0.2.2"], "RFC 8767: stale beats an error"
            await _until_idle(resolver)
        assert backend.sent == 4, "one failed refresh per stale hit, never two at once"
        assert resolver.cache_info().size == 1
        with pytest.raises(ServFail):
            await resolver.query(f"nodata.{ZONE}", "TXT")
        assert resolver.cache_info().size == 1, "SERVFAIL is not cached"
        clock.now += 30  # the stale window has closed: the error shows
        with pytest.raises(ServFail):
            await resolver.query(f"short.{ZONE}", "A")


async def test_close_cancels_background_refreshes(svc_knot: Knot) -> None:
    clock = FakeClock()
    resolver, _ = make_resolver(svc_knot, clock=clock, serve_stale=30)
    await resolver.query(f"short.{ZONE}", "A")
    clock.now += 5
    await resolver.query(f"short.{ZONE}", "A")  # starts a refresh
    refreshing = resolver._lookups._refreshing
    assert len(refreshing) == 1
    refresh = next(iter(refreshing.values()))  # None where the resolver spawns it itself
    await resolver.close()
    assert refresh is None or refresh.done()
    assert not refreshing
    assert resolver.cache_info().size == 0


async def _until_idle(resolver: Resolver) -> None:
    for _ in range(200):
        if not resolver._lookups._refreshing:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("background refresh still running after 2 s")
