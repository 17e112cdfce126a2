"""What the hostile-server tests share (``tests/test_hostile_*.py``): a
well-behaved answer, starting a :class:`tests.hostile.HostileServer`, and one
lookup through the wire backend, the engine or
:func:`aioresolve.resolve_many` against it.

Every lookup ends, whatever the server sends (issue 11).  Each test of
those modules points the wire backend, the engine itself or
:func:`aioresolve.resolve_many` at a :class:`tests.hostile.HostileServer`
on loopback that misbehaves in one way, and checks that the lookup ends
with the documented status, the server saw the queries it should, and the
engine's watchdog never had to step in (``stats.stranded == 0``: nothing
was left hanging by the code under test).

The ``servers`` fixture (the servers a test started, stopped after it) is in
``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aioresolve
from aioresolve import _errors
from aioresolve._backends.wire import WireBackend
from aioresolve._dns.engine import Engine, Query, Stats
from aioresolve._records import Answer
from tests import hostile as h
from tests.hostile import HostileServer, Incoming

__all__ = ["A_ADDR", "ask", "good", "new_engine", "query", "run_bulk", "serve", "wire_backend"]

A_ADDR = "192.0.2.7"


def good(q: Incoming) -> bytes:
    return h.reply(q, [h.rr(1, h.a(A_ADDR))])


async def serve(udp: h.UdpBehaviour, tcp: h.TcpBehaviour | None = None) -> HostileServer:
    return await HostileServer(udp, tcp).start()


async def wire_backend(server: HostileServer, **options: Any) -> WireBackend:
    options.setdefault("timeout", 0.3)
    options.setdefault("attempts", 3)
    return WireBackend(nameservers=[server.address], **options)


async def query(server: HostileServer, name: str, rtype: str = "A", **options: Any
                ) -> tuple[Answer | BaseException, Stats]:
    """One lookup through the wire backend: its result and the engine's counters."""
    backend = await wire_backend(server, **options)
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


def new_engine(server: HostileServer, **options: Any) -> Engine:
    options.setdefault("timeout", 0.3)
    host, port = server.host, server.port
    return Engine(asyncio.get_running_loop(), [(host, port)], **options)


async def ask(engine: Engine, name: str, rtype: str = "A") -> Query:
    fut: asyncio.Future[Query] = asyncio.get_running_loop().create_future()
    engine.submit(name, rtype, fut.set_result)
    return await fut


async def run_bulk(server: HostileServer, names: Sequence[str], rtype: str = "A",
                   **options: Any) -> dict[str, aioresolve.bulk.Result]:
    options.setdefault("timeout", 3.0)
    results = {}
    async for r in aioresolve.resolve_many(list(names), rtype=rtype,
                                           nameservers=[server.address], **options):
        assert r.input not in results
        results[r.input] = r
    assert set(results) == set(names)
    return results
