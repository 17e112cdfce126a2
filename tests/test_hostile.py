"""Every lookup ends, whatever the server sends (issue 11).

Each test points the wire backend, the engine itself or
:func:`aioresolve.resolve_many` at a :class:`tests.hostile.HostileServer` on
loopback that misbehaves in one way, and checks that the lookup ends with the
documented status, the server saw the queries it should, and the engine's
watchdog never had to step in (``stats.stranded == 0``: nothing was left
hanging by the code under test).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

import aioresolve
from aioresolve import _errors
from aioresolve._backends.wire import WireBackend
from aioresolve._dns import engine as engine_mod
from aioresolve._dns.engine import Engine, Query, Stats
from aioresolve._records import Answer
from aioresolve.bulk import Status
from tests import hostile as h
from tests.hostile import HostileServer, Incoming

A_ADDR = "192.0.2.7"


def good(q: Incoming) -> bytes:
    return h.reply(q, [h.rr(1, h.a(A_ADDR))])


async def serve(udp: h.UdpBehaviour, tcp: h.TcpBehaviour | None = None) -> HostileServer:
    return await HostileServer(udp, tcp).start()


@pytest.fixture
async def servers() -> AsyncIterator[list[HostileServer]]:
    started: list[HostileServer] = []
    yield started
    for s in started:
        await s.stop()


async def _wire(server: HostileServer, **options: Any) -> WireBackend:
    options.setdefault("timeout", 0.3)
    options.setdefault("attempts", 3)
    return WireBackend(nameservers=[server.address], **options)


async def _query(server: HostileServer, name: str, rtype: str = "A", **options: Any
                 ) -> tuple[Answer | BaseException, Stats]:
    """One lookup through the wire backend: its result and the engine's counters."""
    backend = await _wire(server, **options)
    try:
        try:
            result: Answer | BaseException = await backend.query(name, rtype)
        except _errors.ResolveError as exc:
            result = exc
        stats = backend.stats
        assert stats is not None and stats.stranded == 0
    finally:
        await backend.aclose()
    return result, stats


def _engine(server: HostileServer, **options: Any) -> Engine:
    options.setdefault("timeout", 0.3)
    host, port = server.host, server.port
    return Engine(asyncio.get_running_loop(), [(host, port)], **options)


async def _ask(engine: Engine, name: str, rtype: str = "A") -> Query:
    fut: asyncio.Future[Query] = asyncio.get_running_loop().create_future()
    engine.submit(name, rtype, fut.set_result)
    return await fut


async def _bulk(server: HostileServer, names: Sequence[str], rtype: str = "A",
                **options: Any) -> dict[str, aioresolve.bulk.Result]:
    options.setdefault("timeout", 3.0)
    results = {}
    async for r in aioresolve.resolve_many(list(names), rtype=rtype,
                                           nameservers=[server.address], **options):
        assert r.input not in results
        results[r.input] = r
    assert set(results) == set(names)
    return results


# -- records the codec must not trip over ------------------------------------------


@pytest.mark.parametrize("rclass", [3, 255, 254])  # CH, ANY, NONE
async def test_answer_of_another_class_is_not_an_answer(servers: list[HostileServer],
                                                        rclass: int) -> None:
    """An A record of class CH/ANY/NONE is skipped (never A(address=258)):
    NODATA alone, the IN record only when both come."""
    odd = h.rr(1, b"\x00\x00\x01\x02", rclass=rclass)
    servers.append(alone := await serve(lambda s, q: [h.reply(q, [odd])]))
    servers.append(mixed := await serve(lambda s, q: [h.reply(q, [odd, h.rr(1, h.a(A_ADDR))])]))
    result, _ = await _query(alone, "class.test")
    assert isinstance(result, _errors.NoData)
    result, _ = await _query(mixed, "class.test")
    assert isinstance(result, Answer) and result.addresses == [A_ADDR]
    backend = await _wire(alone)
    try:
        with pytest.raises(socket.gaierror):
            await backend.getaddrinfo(b"class.test", 80, 0, 0, 0, 0)
    finally:
        await backend.aclose()
    bulk = await _bulk(alone, ["class.test"])
    assert bulk["class.test"].status is Status.NODATA


async def test_https_record_with_a_key_without_value(servers: list[HostileServer]) -> None:
    """``HTTPS 1 . alpn=h2 no-default-alpn`` is a valid record: it is answered."""
    servers.append(srv := await serve(lambda s, q: [h.reply(q, [h.rr(65, h.https_rdata())])]))
    result, _ = await _query(srv, "https.test", "HTTPS")
    assert isinstance(result, Answer), result
    assert len(result.records) == 1
    bulk = await _bulk(srv, ["https.test"], rtype="HTTPS")
    assert bulk["https.test"].status is Status.NOERROR


async def test_https_record_with_an_empty_ech_is_malformed(servers: list[HostileServer]
                                                           ) -> None:
    """``ech`` sent without a value (RFC 9460: it has one) makes the reply
    malformed on every dnspython version: FORMERR once every attempt got it,
    the same from the engine and from bulk."""
    rdata = b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h2" + b"\x00\x05\x00\x00"
    servers.append(srv := await serve(lambda s, q: [h.reply(q, [h.rr(65, rdata)])]))
    result, _ = await _query(srv, "https.test", "HTTPS", timeout=0.2, attempts=2)
    assert isinstance(result, _errors.FormErr), result
    bulk = await _bulk(srv, ["https.test"], rtype="HTTPS")
    assert bulk["https.test"].status is Status.FORMERR


async def test_pointer_bomb_through_tcp_ends(servers: list[HostileServer]) -> None:
    """A 60 KB answer made of a compression-pointer chain, reached through TC=1:
    the lookup ends (rejected as FORMERR or answered), nothing hangs."""
    srv = await serve(lambda s, q: [h.reply(q, flags=0x8380)],
                      lambda s, q: h.pointer_bomb(q))
    servers.append(srv)
    result, _ = await _query(srv, "bomb.test", timeout=2.0)
    assert isinstance(result, (Answer, _errors.FormErr)), result
    assert srv.counts.tcp["bomb.test"] >= 1
    udp_bomb = await serve(lambda s, q: [h.pointer_bomb(q, 4000)])
    servers.append(udp_bomb)
    result, _ = await _query(udp_bomb, "bomb.test", timeout=2.0)
    assert isinstance(result, (Answer, _errors.FormErr)), result


# -- replies that must be retried, or end the lookup at once ------------------------


async def test_formerr_without_question_retried_without_edns(servers: list[HostileServer]
                                                             ) -> None:
    """FORMERR with no question section to an EDNS query: asked again without
    EDNS (as c-ares does), and answered."""
    srv = await serve(lambda s, q: [h.bare(q, 1) if q.edns else good(q)])
    servers.append(srv)
    result, _ = await _query(srv, "formerr.test")
    assert isinstance(result, Answer) and result.addresses == [A_ADDR]
    assert srv.counts.udp["formerr.test"] == 2 and srv.counts.no_edns == 1


async def test_formerr_without_question_everywhere_is_formerr(servers: list[HostileServer]
                                                              ) -> None:
    srv = await serve(lambda s, q: [h.bare(q, 1)])
    servers.append(srv)
    result, _ = await _query(srv, "formerr.test")
    assert isinstance(result, _errors.FormErr)
    assert srv.counts.udp["formerr.test"] == 2  # with EDNS, then without: no timeout
    bulk = await _bulk(srv, ["formerr.test"])
    assert bulk["formerr.test"].status is Status.FORMERR


@pytest.mark.parametrize(("rcode", "error"), [(2, _errors.ServFail), (4, _errors.ServFail),
                                              (5, _errors.Refused)])
async def test_bare_error_replies_are_retried(servers: list[HostileServer], rcode: int,
                                             error: type[Exception]) -> None:
    """SERVFAIL / NOTIMP / REFUSED without a question: matched by ID and
    source, retried until the attempts are used up."""
    srv = await serve(lambda s, q: [h.bare(q, rcode)])
    servers.append(srv)
    result, _ = await _query(srv, "bare.test", attempts=3)
    assert isinstance(result, error), result
    assert srv.counts.udp["bare.test"] == 3


async def test_oversize_udp_reply_is_read_whole(servers: list[HostileServer]) -> None:
    """A 3 KB UDP answer to a query advertising 1232 bytes: read whole and
    accepted (never cut short and dropped)."""
    records = [h.rr(1, h.a(f"192.0.2.{i}")) for i in range(1, 201)]
    srv = await serve(lambda s, q: [h.reply(q, records)])
    servers.append(srv)
    result, _ = await _query(srv, "big.test")
    assert isinstance(result, Answer) and len(result.addresses) == 200
    assert srv.counts.tcp["big.test"] == 0 and srv.counts.udp["big.test"] == 1


@pytest.mark.parametrize("fault", [h.CLOSE, h.GARBAGE, h.STALL, h.TRUNCATE])
async def test_failed_tcp_retry_is_a_failed_attempt(servers: list[HostileServer], fault: str
                                                    ) -> None:
    """TC=1, then a TCP connection that is closed, sends garbage, stalls or
    stops half-way: retried (UDP, then TCP again) while attempts remain."""
    tcp_seen: list[int] = []

    def tcp(s: HostileServer, q: Incoming) -> bytes | str:
        tcp_seen.append(1)
        return fault if len(tcp_seen) == 1 else good(q)

    srv = await serve(lambda s, q: [h.reply(q, flags=0x8380)], tcp)
    servers.append(srv)
    result, stats = await _query(srv, "tc.test", attempts=3)
    assert isinstance(result, Answer) and result.addresses == [A_ADDR], result
    assert srv.counts.tcp["tc.test"] == 2 and srv.counts.udp["tc.test"] == 2
    assert stats.tcp_failed == 1


async def test_tcp_broken_everywhere_is_truncated_after_every_attempt(
        servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [h.reply(q, flags=0x8380)], lambda s, q: h.CLOSE)
    servers.append(srv)
    result, _ = await _query(srv, "tc.test", attempts=3)
    assert isinstance(result, _errors.Truncated)
    assert srv.counts.udp["tc.test"] == 3 and srv.counts.tcp["tc.test"] == 3
    bulk = await _bulk(srv, ["tc.test"], attempts=2)
    assert bulk["tc.test"].status is Status.TRUNCATED and bulk["tc.test"].attempts == 2


# -- a server that goes away ----------------------------------------------------------


async def test_closed_port_is_connection_refused_after_every_attempt() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now: ICMP port unreachable
    backend = WireBackend(nameservers=[f"127.0.0.1:{port}"], timeout=0.2, attempts=2)
    try:
        with pytest.raises(_errors.ConnectionRefused):
            await backend.query("closed.test", "A")
        assert backend.stats is not None
        assert backend.stats.sent == 2 and backend.stats.refused >= 1
    finally:
        await backend.aclose()


async def test_restarting_server_costs_time_not_names(servers: list[HostileServer]) -> None:
    """Queries sent while the server's port is closed are refused (ICMP); their
    next attempt waits its turn, so once the server is back they are answered
    - all of them, not just one per socket."""
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    await srv.pause()
    backend = await _wire(srv, timeout=0.3, attempts=3, sockets=1)
    try:
        tasks = [asyncio.ensure_future(backend.query(f"n{i}.restart.test", "A"))
                 for i in range(20)]
        await asyncio.sleep(0.1)
        await srv.resume()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        stats = backend.stats
    finally:
        await backend.aclose()
    assert all(isinstance(r, Answer) for r in results), results
    assert stats is not None and stats.refused >= 1 and stats.stranded == 0


async def test_restart_in_a_bulk_run_loses_no_names(servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    names = [f"n{i}.restart.test" for i in range(300)]

    started = asyncio.Event()
    behave = srv.udp_behaviour

    def counting(s: HostileServer, q: Incoming) -> Sequence[h.Datagram]:
        if s.counts.udp.total() >= 100:
            started.set()
        return behave(s, q)

    srv.udp_behaviour = counting

    async def outage() -> None:
        await started.wait()
        await srv.pause()
        await asyncio.sleep(0.3)
        await srv.resume()

    task = asyncio.ensure_future(outage())
    results = await _bulk(srv, names, timeout=5.0)
    await task
    statuses = {r.status for r in results.values()}
    assert statuses == {Status.NOERROR}, [r for r in results.values() if not r.ok][:3]


# -- spoofing -------------------------------------------------------------------------


async def test_source_ports_rotate(servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    engine = _engine(srv, sockets=1, udp_max_queries=5)
    try:
        for i in range(30):
            q = await _ask(engine, f"r{i}.test")
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
    engine = _engine(srv, sockets=1, udp_max_queries=3, timeout=2.0)
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
    engine = _engine(srv, case_randomization=True)
    try:
        for i in range(8):
            q = await _ask(engine, f"mixedcase{i}.example.test")
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
    engine = _engine(srv, case_randomization=True, attempts=2)
    try:
        first = await _ask(engine, "LostCase.example.test")
        assert isinstance(first.result, Answer)
        assert engine.stats.wrong_case == 1
        for i in range(5):
            q = await _ask(engine, f"lostcase{i}.example.test")
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
    result, stats = await _query(srv, "spoof.test", attempts=1)
    assert isinstance(result, Answer) and result.addresses == [A_ADDR]
    assert stats.unexpected == 200


# -- guards: a bug below must not strand a caller ----------------------------------


async def test_callback_that_raises_strands_nobody(servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    engine = _engine(srv)
    try:
        def boom(q: Query) -> None:
            raise RuntimeError("the caller's bug")

        engine.submit("boom.test", "A", boom)
        q = await _ask(engine, "fine.test")
        assert isinstance(q.result, Answer)
        assert engine.in_flight == 0
        assert [type(c["exception"]) for c in seen] == [RuntimeError]
    finally:
        loop.set_exception_handler(None)
        engine.close()


async def test_an_exception_while_handling_a_reply_is_formerr(
        servers: list[HostileServer], monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything that raises while an answer is built ends the query with
    FormErr (not a hang), and the engine goes on."""
    srv = await serve(lambda s, q: [h.reply(q, [h.rr(16, b"\x02hi")]) if q.qtype == 16
                                    else good(q)])
    servers.append(srv)

    def broken(data: bytes, rr: Any) -> Any:
        raise AttributeError("a bug in record building")

    monkeypatch.setattr(engine_mod, "rdata_record", broken)
    engine = _engine(srv)
    try:
        q = await _ask(engine, "txt.test", "TXT")
        assert isinstance(q.result, _errors.FormErr)
        assert engine.stats.errors == 1
        monkeypatch.undo()
        q = await _ask(engine, "a.test", "A")
        assert isinstance(q.result, Answer)
    finally:
        engine.close()


async def test_watchdog_ends_a_stranded_query(servers: list[HostileServer],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A query lost by a bug (here: a reply handler that drops it on the
    floor) is ended with Timeout by the watchdog soon after its deadline."""
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    monkeypatch.setattr(Engine, "_on_response", lambda self, q, r, data, tcp: None)
    engine = _engine(srv, timeout=0.2, attempts=1)
    try:
        q = await _ask(engine, "lost.test")
        assert isinstance(q.result, _errors.Timeout)
        assert engine.stats.stranded == 1 and engine.in_flight == 0
    finally:
        engine.close()


# -- one run, every misbehaviour -----------------------------------------------------


def _by_label(s: HostileServer, q: Incoming) -> list[h.Datagram]:
    kind = q.name.split(".", 1)[0]
    if kind == "class":
        return [h.reply(q, [h.rr(1, b"\x00\x00\x01\x02", rclass=3)])]
    if kind == "formerr":
        return [h.bare(q, 1)]
    if kind == "noedns":
        return [h.bare(q, 1) if q.edns else good(q)]
    if kind == "servfail":
        return [h.reply(q, rcode=2)]
    if kind == "drop":
        return []
    if kind in ("tcpclose", "tcpgarbage", "tcpstall", "bomb"):
        return [h.reply(q, flags=0x8380)]
    if kind == "big":
        return [h.reply(q, [h.rr(1, h.a(f"192.0.2.{i}")) for i in range(1, 201)])]
    return [good(q)]


def _tcp_by_label(s: HostileServer, q: Incoming) -> bytes | str:
    kind = q.name.split(".", 1)[0]
    if kind == "bomb":
        return h.pointer_bomb(q)
    return {"tcpclose": h.CLOSE, "tcpgarbage": h.GARBAGE, "tcpstall": h.STALL}.get(
        kind, good(q))


EXPECTED: dict[str, set[Status]] = {
    "ok": {Status.NOERROR},
    "class": {Status.NODATA},
    "formerr": {Status.FORMERR},
    "noedns": {Status.NOERROR},
    "servfail": {Status.SERVFAIL},
    "drop": {Status.TIMEOUT},
    "tcpclose": {Status.TRUNCATED},
    "tcpgarbage": {Status.TRUNCATED},
    "tcpstall": {Status.TRUNCATED, Status.TIMEOUT},
    "bomb": {Status.FORMERR, Status.NOERROR},
    "big": {Status.NOERROR},
}


async def test_resolve_many_through_every_misbehaviour(servers: list[HostileServer]) -> None:
    """One bulk run over a server that misbehaves per name: one result per
    input, each with its documented status, in time."""
    srv = await serve(_by_label, _tcp_by_label)
    servers.append(srv)
    names = [f"{kind}.{i}.hostile.test" for kind in EXPECTED for i in range(3)]
    results = await _bulk(srv, names, timeout=2.0, attempts=2)
    for name, r in results.items():
        assert r.status in EXPECTED[name.split(".", 1)[0]], r


# -- decoder cases, end to end ----------------------------------------------------------


async def test_ttl_with_the_top_bit_set_is_zero(servers: list[HostileServer]) -> None:
    """RFC 2181 §8: a TTL with its top bit set is read as 0 (not ~68 years)."""
    srv = await serve(lambda s, q: [h.reply(q, [h.rr(1, h.a(A_ADDR), ttl=0x80000001)])])
    servers.append(srv)
    result, _ = await _query(srv, "ttl.test")
    assert isinstance(result, Answer) and result.ttl == 0


async def test_a_label_with_a_dot_is_a_name_of_its_own(servers: list[HostileServer]) -> None:
    """A CNAME to the one label ``a.b`` under ``test`` is followed to that name
    (asked with that label), never to the two-label ``a.b.test``."""

    def behave(s: HostileServer, q: Incoming) -> list[h.Datagram]:
        if q.question.startswith(b"\x05alias"):
            return [h.reply(q, [h.rr(5, b"\x03a.b\x04test\x00")])]
        if q.question.startswith(b"\x03a.b\x04test\x00"):
            return [h.reply(q, [h.rr(1, h.a("192.0.2.31"))])]
        return [h.reply(q, [h.rr(1, h.a("192.0.2.99"))])]  # a.b.test: the wrong name

    srv = await serve(behave)
    servers.append(srv)
    result, _ = await _query(srv, "alias.test")
    assert isinstance(result, Answer) and result.addresses == ["192.0.2.31"], result
    assert result.canonical_name == "a\\.b.test" and result.aliases == ("alias.test",)


# -- logging (issue 15) ---------------------------------------------------------------


async def test_engine_logs_retries_refusals_and_spoofs(servers: list[HostileServer],
                                                       caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    """Retries and dropped replies at DEBUG, a refusing port at INFO, on
    ``aioresolve.wire``; with the logger at WARNING nothing is logged."""
    import logging

    def behave(s: HostileServer, q: Incoming) -> list[h.Datagram]:
        junk = h.reply(q, [h.rr(1, h.a("192.0.2.66"))], qid=(q.id + 1) & 0xFFFF)
        return [junk, h.reply(q, rcode=2)]

    srv = await serve(behave)
    servers.append(srv)
    with caplog.at_level(logging.WARNING, logger="aioresolve.wire"):
        await _query(srv, "quiet.test", attempts=2)
    assert not [r for r in caplog.records if r.name == "aioresolve.wire"]
    with caplog.at_level(logging.DEBUG, logger="aioresolve.wire"):
        result, _ = await _query(srv, "loud.test", attempts=2)
        assert isinstance(result, _errors.ServFail)
        await srv.pause()
        await _query(srv, "refused.test", attempts=1, timeout=0.2)
    messages = [(r.levelno, r.getMessage()) for r in caplog.records
                if r.name == "aioresolve.wire"]
    assert any(level == logging.DEBUG and "retry 2/2 of loud.test" in m for level, m in messages)
    assert any(level == logging.DEBUG and "unexpected ID" in m for level, m in messages)
    assert any(level == logging.INFO and "port unreachable" in m for level, m in messages)
