"""Single-flight: concurrent identical lookups share one query, counted at a real knotd.

Where a test needs the shared lookup to stay in flight while waiters are
cancelled, a :class:`GatedBackend` holds the real backend's query until the
test opens the gate; the answer still comes from the server.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any

import pytest

from aioresolve import Answer, NXDomain, Resolver, Timeout
from tests._services_server import ZONE, DnspythonBackend, Knot


class GatedBackend(DnspythonBackend):
    """Queries the server only once ``gate`` is set; counts cancelled lookups."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.gate = asyncio.Event()
        self.started = 0
        self.cancelled = 0

    async def query(self, name: str, rtype: str) -> Answer:
        self.started += 1
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return await super().query(name, rtype)


async def _until(predicate: Any) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached within 10 s")


def dns_resolver(kind: str, knot: Knot, *, cache: bool) -> Resolver:
    """A resolver on c-ares, or on the tests' dnspython backend, aimed at the test knotd."""
    if kind == "cares":
        pytest.importorskip("pycares")
        return Resolver("cares", nameservers=[knot.address], domains=[], cache=cache)
    return Resolver(DnspythonBackend(knot.host, knot.port), cache=cache)


@pytest.mark.parametrize("kind", ["dnspython", "cares"])
@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
async def test_ten_thousand_identical_lookups_send_one_query(
    svc_knot: Knot, cache: bool, kind: str
) -> None:
    async with dns_resolver(kind, svc_knot, cache=cache) as resolver:
        before = svc_knot.queries()
        results = await asyncio.gather(
            *(resolver.getaddrinfo(f"a.{ZONE}", 443, socket.AF_INET, socket.SOCK_STREAM)
              for _ in range(10_000))
        )
        assert svc_knot.queries() - before == 1, "exactly one query reached the server"
        assert all(r == [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 443))]
                   for r in results)
        assert len({id(r) for r in results}) == 10_000, "every caller has its own list"
        assert resolver.cache_info().coalesced == 9_999


async def test_an_error_reaches_every_waiter(svc_knot: Knot) -> None:
    backend = DnspythonBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        outcomes = await asyncio.gather(
            *(resolver.query(f"nx.{ZONE}", "A") for _ in range(50)), return_exceptions=True
        )
        assert all(isinstance(o, NXDomain) for o in outcomes)
        assert backend.sent == 1


async def test_different_lookups_are_not_merged(svc_knot: Knot) -> None:
    backend = DnspythonBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        a, aaaa = await asyncio.gather(
            resolver.query(f"dual.{ZONE}", "A"), resolver.query(f"dual.{ZONE}", "AAAA")
        )
        assert a.addresses == ["192.0.2.10", "192.0.2.11"]
        assert aaaa.addresses == ["2001:db8::10", "2001:db8::11"]
        assert backend.sent == 2


async def test_cancelled_follower_leaves_the_shared_lookup_running(svc_knot: Knot) -> None:
    backend = GatedBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        tasks = [asyncio.ensure_future(resolver.query(f"a.{ZONE}", "A")) for _ in range(3)]
        await _until(lambda: backend.started == 1)
        tasks[1].cancel()  # tasks[0] runs the lookup; tasks[1] and [2] wait for it
        with pytest.raises(asyncio.CancelledError):
            await tasks[1]
        backend.gate.set()
        answers = await asyncio.gather(tasks[0], tasks[2])
        assert [a.addresses for a in answers] == [["192.0.2.1"]] * 2
        assert (backend.started, backend.cancelled, backend.sent) == (1, 0, 1)


async def test_cancelled_leader_hands_the_lookup_over(svc_knot: Knot) -> None:
    """The caller that runs the shared lookup leaves: its lookup stops with it
    (no task runs it for others), and the longest-waiting caller starts it
    again: one more lookup, and every remaining caller gets the answer."""
    backend = GatedBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        tasks = [asyncio.ensure_future(resolver.query(f"a.{ZONE}", "A")) for _ in range(3)]
        await _until(lambda: backend.started == 1)
        tasks[0].cancel()
        with pytest.raises(asyncio.CancelledError):
            await tasks[0]
        await _until(lambda: backend.started == 2)
        assert resolver.cache_info().in_flight == 1
        backend.gate.set()
        answers = await asyncio.gather(*tasks[1:])
        assert [a.addresses for a in answers] == [["192.0.2.1"]] * 2
        assert (backend.started, backend.cancelled, backend.sent) == (2, 1, 1)
        assert resolver.cache_info().coalesced == 2


async def test_a_follower_timeout_is_its_own(svc_knot: Knot) -> None:
    backend = GatedBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        patient = asyncio.ensure_future(resolver.query(f"a.{ZONE}", "A"))
        await _until(lambda: backend.started == 1)
        with pytest.raises(Timeout):
            await resolver.query(f"a.{ZONE}", "A", timeout=0.05)
        backend.gate.set()
        assert (await patient).addresses == ["192.0.2.1"]
        assert backend.cancelled == 0


async def test_last_waiter_leaving_cancels_the_lookup(svc_knot: Knot) -> None:
    backend = GatedBackend(svc_knot.host, svc_knot.port)
    async with Resolver(backend, cache=False) as resolver:
        tasks = [asyncio.ensure_future(resolver.query(f"a.{ZONE}", "A")) for _ in range(3)]
        await _until(lambda: backend.started == 1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert backend.cancelled == 1, "nobody waits any more: the lookup is cancelled"
        assert resolver.cache_info().in_flight == 0
        backend.gate.set()
        answer = await resolver.query(f"a.{ZONE}", "A")  # a new caller starts afresh
        assert answer.addresses == ["192.0.2.1"]
        assert backend.started == 2


class FailingBackend(DnspythonBackend):
    """Cancels every waiter in the very step in which the shared lookup fails."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.waiters: list[asyncio.Task[Any]] = []

    async def query(self, name: str, rtype: str) -> Answer:
        try:
            return await super().query(name, rtype)
        except NXDomain:
            for task in self.waiters:
                task.cancel()
            raise


async def test_no_unretrieved_exception_warnings(svc_knot: Knot) -> None:
    """The shared lookup fails just as every waiter leaves: nobody is owed the
    error, and asyncio must not log "Task exception was never retrieved"."""

    async def scenario() -> None:  # its frame, and all it references, ends on return
        backend = FailingBackend(svc_knot.host, svc_knot.port)
        async with Resolver(backend, cache=False) as resolver:
            backend.waiters = [
                asyncio.ensure_future(resolver.query(f"nx.{ZONE}", "A")) for _ in range(5)
            ]
            outcomes = await asyncio.gather(*backend.waiters, return_exceptions=True)
            # The first caller runs the lookup in its own task: the error is
            # raised there before its cancellation can land.  The others left.
            assert isinstance(outcomes[0], NXDomain)
            assert all(isinstance(o, asyncio.CancelledError) for o in outcomes[1:])
            assert backend.sent == 1

    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        await scenario()
        gc.collect()
        await asyncio.sleep(0.01)
        assert [c.get("message") for c in reported] == []
    finally:
        loop.set_exception_handler(None)
