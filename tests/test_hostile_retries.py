"""Hostile servers: replies that must be retried or end the lookup at
once (FORMERR without a question, bare SERVFAIL/NOTIMP/REFUSED, oversize UDP,
TCP retries that fail), and a server that goes away (a closed port, a
restart, a restart in the middle of a bulk run).

Every lookup ends, whatever the server sends (issue 11): what each test
here checks, and its helpers, are in ``tests/_hostile_helpers.py``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

import pytest

from aioresolve import _errors
from aioresolve._backends.wire import WireBackend
from aioresolve._records import Answer
from aioresolve.bulk import Status
from tests import hostile as h
from tests._hostile_helpers import A_ADDR, good, query, run_bulk, serve, wire_backend
from tests.hostile import HostileServer, Incoming

# -- replies that must be retried, or end the lookup at once ------------------------


async def test_formerr_without_question_retried_without_edns(servers: list[HostileServer]
                                                             ) -> None:
    """FORMERR with no question section to an EDNS query: asked again without
    EDNS (as c-ares does), and answered."""
    srv = await serve(lambda s, q: [h.bare(q, 1) if q.edns else good(q)])
    servers.append(srv)
    result, _ = await query(srv, "formerr.test")
    assert isinstance(result, Answer) and result.addresses == [A_ADDR]
    assert srv.counts.udp["formerr.test"] == 2 and srv.counts.no_edns == 1


async def test_formerr_without_question_everywhere_is_formerr(servers: list[HostileServer]
                                                              ) -> None:
    srv = await serve(lambda s, q: [h.bare(q, 1)])
    servers.append(srv)
    result, _ = await query(srv, "formerr.test")
    assert isinstance(result, _errors.FormErr)
    assert srv.counts.udp["formerr.test"] == 2  # with EDNS, then without: no timeout
    bulk = await run_bulk(srv, ["formerr.test"])
    assert bulk["formerr.test"].status is Status.FORMERR


@pytest.mark.parametrize(("rcode", "error"), [(2, _errors.ServFail), (4, _errors.ServFail),
                                              (5, _errors.Refused)])
async def test_bare_error_replies_are_retried(servers: list[HostileServer], rcode: int,
                                             error: type[Exception]) -> None:
    """SERVFAIL / NOTIMP / REFUSED without a question: matched by ID and
    source, retried until the attempts are used up."""
    srv = await serve(lambda s, q: [h.bare(q, rcode)])
    servers.append(srv)
    result, _ = await query(srv, "bare.test", attempts=3)
    assert isinstance(result, error), result
    assert srv.counts.udp["bare.test"] == 3


async def test_oversize_udp_reply_is_read_whole(servers: list[HostileServer]) -> None:
    """A 3 KB UDP answer to a query advertising 1232 bytes: read whole and
    accepted (never cut short and dropped)."""
    records = [h.rr(1, h.a(f"192.0.2.{i}")) for i in range(1, 201)]
    srv = await serve(lambda s, q: [h.reply(q, records)])
    servers.append(srv)
    result, _ = await query(srv, "big.test")
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
    result, stats = await query(srv, "tc.test", attempts=3)
    assert isinstance(result, Answer) and result.addresses == [A_ADDR], result
    assert srv.counts.tcp["tc.test"] == 2 and srv.counts.udp["tc.test"] == 2
    assert stats.tcp_failed == 1


async def test_tcp_broken_everywhere_is_truncated_after_every_attempt(
        servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [h.reply(q, flags=0x8380)], lambda s, q: h.CLOSE)
    servers.append(srv)
    result, _ = await query(srv, "tc.test", attempts=3)
    assert isinstance(result, _errors.Truncated)
    assert srv.counts.udp["tc.test"] == 3 and srv.counts.tcp["tc.test"] == 3
    bulk = await run_bulk(srv, ["tc.test"], attempts=2)
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
    backend = await wire_backend(srv, timeout=0.3, attempts=3, sockets=1)
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
    results = await run_bulk(srv, names, timeout=5.0)
    await task
    statuses = {r.status for r in results.values()}
    assert statuses == {Status.NOERROR}, [r for r in results.values() if not r.ok][:3]
