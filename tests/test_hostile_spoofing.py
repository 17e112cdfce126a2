"""Hostile servers: spoofing (source ports that rotate and keep
pending queries answerable, 0x20 case randomization and its fallback for
servers that lose case, forged replies to the right port).

Every lookup ends, whatever the server sends (issue 11): what each test
here checks, and its helpers, are in ``tests/_hostile_helpers.py``.
"""

from __future__ import annotations

import asyncio

from aioresolve._dns.engine import Query
from aioresolve._records import Answer
from tests import hostile as h
from tests._hostile_helpers import A_ADDR, ask, good, new_engine, query, serve
from tests.hostile import HostileServer, Incoming

# -- spoofing -------------------------------------------------------------------------


async def test_source_ports_rotate(servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    engine = new_engine(srv, sockets=1, udp_max_queries=5)
    try:
        for i in range(30):
            q = await ask(engine, f"r{i}.test")
            assert isinstance(q.result, Answer)
        assert engine.stats.rotated >= 5
        assert len(set(srv.counts.ports)) >= 6
        assert not engine._retired  # old sockets closed once their queries ended
    finally:
        engine.close()


async def test_rotation_keeps_pending_queries_answerable(servers: list[HostileServer]
                                                         ) -> None:
    """Queries in flight on a socket that is replaced are still answered."""
    arrived = asyncio.Event()

    def later(s: HostileServer, q: Incoming) -> list[h.Datagram]:
        if len(s.queries) == 10:
            arrived.set()
        return []  # answered below, by hand

    srv = await serve(later)
    servers.append(srv)
    engine = new_engine(srv, sockets=1, udp_max_queries=3, timeout=2.0)
    try:
        futs = []
        for i in range(10):
            fut: asyncio.Future[Query] = asyncio.get_running_loop().create_future()
            engine.submit(f"p{i}.test", "A", fut.set_result)
            futs.append(fut)
        await arrived.wait()
        for q in srv.queries:
            srv.send(good(q), q.addr)
        done = await asyncio.gather(*futs)
        assert all(isinstance(q.result, Answer) for q in done)
        assert len(set(srv.counts.ports)) >= 3
    finally:
        engine.close()


async def test_case_randomization(servers: list[HostileServer]) -> None:
    """0x20: names go out in random case, a forged reply in another case loses
    to the genuine one that follows it."""

    def behave(s: HostileServer, q: Incoming) -> list[h.Datagram]:
        forged = h.reply(q, [h.rr(1, h.a("192.0.2.66"))], question=q.question.lower())
        return [forged, good(q)]

    srv = await serve(behave)
    servers.append(srv)
    engine = new_engine(srv, case_randomization=True)
    try:
        for i in range(8):
            q = await ask(engine, f"mixedcase{i}.example.test")
            assert isinstance(q.result, Answer) and q.result.addresses == [A_ADDR]
        sent = [q.question for q in srv.queries]
        assert any(qs != qs.lower() for qs in sent)
        assert engine.stats.wrong_case >= 7  # a forged reply all in lower case may match
    finally:
        engine.close()


async def test_case_randomization_falls_back_for_servers_that_lose_case(
        servers: list[HostileServer]) -> None:
    """A server that answers in lower case whatever it was asked: the first
    lookup times out once and is asked again without 0x20; the server is
    remembered, later lookups go without 0x20 at once."""
    srv = await serve(lambda s, q: [h.reply(q, [h.rr(1, h.a(A_ADDR))],
                                            question=q.question.lower())])
    servers.append(srv)
    engine = new_engine(srv, case_randomization=True, attempts=2)
    try:
        first = await ask(engine, "LostCase.example.test")
        assert isinstance(first.result, Answer)
        assert engine.stats.wrong_case == 1
        for i in range(5):
            q = await ask(engine, f"lostcase{i}.example.test")
            assert isinstance(q.result, Answer) and q.tries == 1
        assert engine.stats.wrong_case == 1
    finally:
        engine.close()


async def test_spoofed_replies_to_the_right_port_are_dropped(servers: list[HostileServer]
                                                             ) -> None:
    """Forged replies with random IDs, sent from the server's own address and
    port to the querier's port before the genuine answer: dropped."""

    def behave(s: HostileServer, q: Incoming) -> list[h.Datagram]:
        forged = [h.reply(q, [h.rr(1, h.a("192.0.2.66"))], qid=(q.id + 1 + i) & 0xFFFF)
                  for i in range(200)]
        return [*forged, good(q)]

    srv = await serve(behave)
    servers.append(srv)
    result, stats = await query(srv, "spoof.test", attempts=1)
    assert isinstance(result, Answer) and result.addresses == [A_ADDR]
    assert stats.unexpected == 200
