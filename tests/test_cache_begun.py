"""Record queries the cache drives itself (``Backend.begin_query``: the wire
and c-ares backends), against the rig's dnsdist, whose ``SLOW_NAME`` answers come 300 ms
late, counting the queries that reach it.

Under asyncio with the defaults, ``Resolver(kind).query`` awaits one future
of the cache's (no coroutine of the cache or the backend in between); these
tests pin that what the coroutine path did still holds on it: coalescing,
the hand-over to a follower when the leader is cancelled, the backend
forgetting a cancelled query (the wire engine stops asking; c-ares, which
cannot cancel one request, drops its late answer), deadlines, closing,
negative caching.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from aioresolve import NXDomain, Resolver, ResolverClosed, Timeout
from aioresolve._backends.cares import CaresBackend
from aioresolve._backends.wire import WireBackend
from aioresolve.cache import CacheConfig
from tests.rig import zone

BACKENDS = ["wire", "cares"]
pytestmark = pytest.mark.parametrize("kind", BACKENDS)


def _resolver(kind: str, dnsdist: Any, **options: Any) -> Resolver:
    if kind == "cares":
        options.update(domains=[], hosts_file=False)
    return Resolver(kind, nameservers=[dnsdist.address], **options)


def _slow() -> str:
    return f"{uuid.uuid4().hex}.{zone.SLOW_NAME}"


def _engine_in_flight(resolver: Resolver) -> int:
    """Requests the backend still tracks (the engine's, or the c-ares driver's)."""
    backend = resolver.backend
    if isinstance(backend, CaresBackend):
        driver = backend._driver
        return len(driver.pending) if driver is not None else 0
    assert isinstance(backend, WireBackend)
    return backend.engine().in_flight


async def test_wire_begins_queries(kind: str, dnsdist: Any) -> None:
    """The capability is on, and a begun query is answered and cached."""
    async with _resolver(kind, dnsdist) as resolver:
        assert resolver.backend.begins_queries
        name = _slow()
        first = await resolver.query(name, "A")
        second = await resolver.query(name, "A")
        assert first.addresses and second.addresses == first.addresses
        assert dnsdist.queries_for(name) == 1
        info = resolver.cache_info()
        assert (info.misses, info.hits, info.size, info.in_flight) == (1, 1, 1, 0)


async def test_followers_share_a_begun_query(kind: str, dnsdist: Any) -> None:
    async with _resolver(kind, dnsdist) as resolver:
        name = _slow()
        answers = await asyncio.gather(*(resolver.query(name, "A") for _ in range(5)))
        assert all(a.records == answers[0].records for a in answers)
        assert dnsdist.queries_for(name) == 1
        assert resolver.cache_info().coalesced == 4


async def test_cancelled_leader_hands_over_to_a_follower(kind: str, dnsdist: Any) -> None:
    """The leader leaves: its engine query is cancelled, the longest-waiting
    follower asks again (one more query, as SingleFlight's rule says) and
    every remaining follower gets that answer."""
    async with _resolver(kind, dnsdist) as resolver:
        name = _slow()
        leader = asyncio.ensure_future(resolver.query(name, "A"))
        await asyncio.sleep(0)
        followers = [asyncio.ensure_future(resolver.query(name, "A")) for _ in range(3)]
        await asyncio.sleep(0.05)
        leader.cancel()
        answers = await asyncio.gather(*followers)
        with pytest.raises(asyncio.CancelledError):
            await leader
        assert all(a.records for a in answers)
        assert dnsdist.queries_for(name) == 2
        assert _engine_in_flight(resolver) == 0
        assert resolver.cache_info().in_flight == 0
        await resolver.query(name, "A")  # cached by the follower that led
        assert dnsdist.queries_for(name) == 2


async def test_cancelled_lone_leader_forgets_its_query(kind: str, dnsdist: Any) -> None:
    async with _resolver(kind, dnsdist) as resolver:
        name = _slow()
        task = asyncio.ensure_future(resolver.query(name, "A"))
        await asyncio.sleep(0.05)
        assert _engine_in_flight(resolver) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert _engine_in_flight(resolver) == 0  # at once, not when the answer comes
        info = resolver.cache_info()
        assert (info.size, info.in_flight) == (0, 0)
        await asyncio.sleep(0.4)  # the late answer arrives for nobody
        assert resolver.cache_info().size == 0


async def test_deadline_on_a_begun_query(kind: str, dnsdist: Any) -> None:
    async with _resolver(kind, dnsdist, timeout=0.1) as resolver:
        with pytest.raises(Timeout):
            await resolver.query(_slow(), "A")
        assert _engine_in_flight(resolver) == 0
    async with _resolver(kind, dnsdist) as resolver:
        with pytest.raises(Timeout):
            await resolver.query(_slow(), "A", timeout=0.1)
        assert _engine_in_flight(resolver) == 0
        name = _slow()
        assert (await resolver.query(name, "A", timeout=5)).records  # through the deadline path
        await resolver.query(name, "A")
        assert dnsdist.queries_for(name) == 1


async def test_close_fails_begun_queries_in_flight(kind: str, dnsdist: Any) -> None:
    resolver = _resolver(kind, dnsdist)
    name = _slow()
    tasks = [asyncio.ensure_future(resolver.query(n, "A")) for n in (name, name, _slow())]
    await asyncio.sleep(0.05)
    await resolver.close()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, ResolverClosed) for o in outcomes), outcomes
    with pytest.raises(ResolverClosed):
        await resolver.query(_slow(), "A")


async def test_negative_answer_cached_from_a_begun_query(kind: str, dnsdist: Any) -> None:
    async with _resolver(kind, dnsdist) as resolver:
        name = f"{uuid.uuid4().hex}.nx.{zone.ZONE}"
        for _ in range(3):
            with pytest.raises(NXDomain) as caught:
                await resolver.query(name, "A")
            assert caught.value.host == name
        assert dnsdist.queries_for(name) == 1
        assert resolver.cache_info().negative_hits == 2


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_ttl_bounds_on_a_begun_query(kind: str, dnsdist: Any) -> None:
    """max_ttl lowers the answer's TTL (300 s here) on the begun path's store."""
    clock = _Clock()
    async with _resolver(kind, dnsdist, cache=CacheConfig(max_ttl=10, clock=clock)) as resolver:
        name = _slow()
        await resolver.query(name, "A")
        clock.now += 9
        assert (await resolver.query(name, "A")).ttl == 1
        clock.now += 2
        await resolver.query(name, "A")
        assert dnsdist.queries_for(name) == 2
        assert resolver.cache_info().expirations == 1


async def test_serve_stale_on_a_begun_query(kind: str, dnsdist: Any) -> None:
    """Past its TTL an entry is served at once while one refresh asks again;
    past the stale window it is a miss."""
    clock = _Clock()
    config = CacheConfig(max_ttl=10, serve_stale=60, clock=clock)
    async with _resolver(kind, dnsdist, cache=config) as resolver:
        name = _slow()
        first = await resolver.query(name, "A")
        clock.now += 11
        stale = await resolver.query(name, "A")  # at once, from the cache
        assert stale.addresses == first.addresses
        assert resolver.cache_info().stale_hits == 1
        for _ in range(50):  # the refresh waits for the slow answer
            if dnsdist.queries_for(name) == 2 and not resolver.cache_info().in_flight:
                break
            await asyncio.sleep(0.05)
        assert dnsdist.queries_for(name) == 2
        assert (await resolver.query(name, "A")).ttl == 10  # refreshed
        clock.now += 100
        await resolver.query(name, "A")
        assert dnsdist.queries_for(name) == 3


async def test_deadlines_of_leader_and_follower(kind: str, dnsdist: Any) -> None:
    """The future holds the leader's deadline: when it passes, the leader
    raises Timeout and a follower without one takes the lookup over (one more
    query); a follower's own deadline leaves the leader alone."""
    async with _resolver(kind, dnsdist) as resolver:
        name = _slow()
        leader = asyncio.ensure_future(resolver.query(name, "A", timeout=0.1))
        await asyncio.sleep(0)
        follower = asyncio.ensure_future(resolver.query(name, "A"))
        with pytest.raises(Timeout):
            await leader
        assert (await follower).addresses
        assert dnsdist.queries_for(name) == 2
        assert _engine_in_flight(resolver) == 0

        name = _slow()
        leader = asyncio.ensure_future(resolver.query(name, "A"))
        await asyncio.sleep(0)
        with pytest.raises(Timeout):
            await resolver.query(name, "A", timeout=0.1)
        assert (await leader).addresses
        assert dnsdist.queries_for(name) == 1
        info = resolver.cache_info()
        assert (info.in_flight, info.size) == (0, 2)
