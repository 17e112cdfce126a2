"""Hostile servers: one :func:`aioresolve.resolve_many` run over a
server that misbehaves per name, in the ways the other
``tests/test_hostile_*.py`` modules test one at a time, all at once.

Every lookup ends, whatever the server sends (issue 11): what each test
here checks, and its helpers, are in ``tests/_hostile_helpers.py``.
"""

from __future__ import annotations

from aioresolve.bulk import Status
from tests import hostile as h
from tests._hostile_helpers import good, run_bulk, serve
from tests.hostile import HostileServer, Incoming

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
    results = await run_bulk(srv, names, timeout=2.0, attempts=2)
    for name, r in results.items():
        assert r.status in EXPECTED[name.split(".", 1)[0]], r
