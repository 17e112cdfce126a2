"""Hostile servers: the engine's guards, so that a bug below never
strands a caller (a callback that raises, an exception while a reply is
handled, the watchdog), and what the engine logs of retries, refusals and
spoofs (issue 15).

Every lookup ends, whatever the server sends (issue 11): what each test
here checks, and its helpers, are in ``tests/_hostile_helpers.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aioresolve import _errors
from aioresolve._dns import engine as engine_mod
from aioresolve._dns.engine import Engine, Query
from aioresolve._records import Answer
from tests import hostile as h
from tests._hostile_helpers import ask, good, new_engine, query, serve
from tests.hostile import HostileServer, Incoming

# -- guards: a bug below must not strand a caller ----------------------------------


async def test_callback_that_raises_strands_nobody(servers: list[HostileServer]) -> None:
    srv = await serve(lambda s, q: [good(q)])
    servers.append(srv)
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    engine = new_engine(srv)
    try:
        def boom(q: Query) -> None:
            raise RuntimeError("the caller's bug")

        engine.submit("boom.test", "A", boom)
        q = await ask(engine, "fine.test")
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
    engine = new_engine(srv)
    try:
        q = await ask(engine, "txt.test", "TXT")
        assert isinstance(q.result, _errors.FormErr)
        assert engine.stats.errors == 1
        monkeypatch.undo()
        q = await ask(engine, "a.test", "A")
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
    engine = new_engine(srv, timeout=0.2, attempts=1)
    try:
        q = await ask(engine, "lost.test")
        assert isinstance(q.result, _errors.Timeout)
        assert engine.stats.stranded == 1 and engine.in_flight == 0
    finally:
        engine.close()


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
        await query(srv, "quiet.test", attempts=2)
    assert not [r for r in caplog.records if r.name == "aioresolve.wire"]
    with caplog.at_level(logging.DEBUG, logger="aioresolve.wire"):
        result, _ = await query(srv, "loud.test", attempts=2)
        assert isinstance(result, _errors.ServFail)
        await srv.pause()
        await query(srv, "refused.test", attempts=1, timeout=0.2)
    messages = [(r.levelno, r.getMessage()) for r in caplog.records
                if r.name == "aioresolve.wire"]
    assert any(level == logging.DEBUG and "retry 2/2 of loud.test" in m for level, m in messages)
    assert any(level == logging.DEBUG and "unexpected ID" in m for level, m in messages)
    assert any(level == logging.INFO and "port unreachable" in m for level, m in messages)
