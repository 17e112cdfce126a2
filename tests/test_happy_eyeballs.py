"""Happy Eyeballs: aioresolve's addresses, aiohappyeyeballs' interleaving and racing.

Addresses come from a real knotd (the services zone).  The order in which
connections are attempted is observed through aiohappyeyeballs'
``socket_factory``, which records each address and refuses it at once, so no
packet is sent to the (non-loopback) documentation addresses of ``dual``.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from aioresolve import Resolver
from aioresolve.happy_eyeballs import getaddrinfo_tcp, start_connection
from tests._services_server import ZONE, DnspythonBackend, Knot

pytest.importorskip("aiohappyeyeballs")


def _refusing(attempts: list[str]) -> Any:
    def factory(addr_info: Any) -> socket.socket:
        attempts.append(addr_info[4][0])
        raise OSError(111, "refused by the test, nothing sent")

    return factory


async def _attempt_order(knot: Knot, **options: Any) -> list[str]:
    attempts: list[str] = []
    async with Resolver(DnspythonBackend(knot.host, knot.port)) as resolver:
        with pytest.raises(OSError):
            await start_connection(f"dual.{ZONE}", 443, resolver=resolver,
                                   socket_factory=_refusing(attempts), **options)
    return attempts


async def test_addresses_come_in_resolver_order(svc_knot: Knot) -> None:
    async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
        infos = await getaddrinfo_tcp(f"dual.{ZONE}", 443, resolver=resolver)
        assert infos == await resolver.getaddrinfo(f"dual.{ZONE}", 443, 0, socket.SOCK_STREAM)
    assert {i[1] for i in infos} == {socket.SOCK_STREAM}


async def test_interleaved_once_by_aiohappyeyeballs(svc_knot: Knot) -> None:
    """RFC 8305 §4 order, with First Address Family Count 1 and 2: the count
    given is the count used (the old example interleaved twice and lost it)."""
    async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
        infos = await getaddrinfo_tcp(f"dual.{ZONE}", 443, resolver=resolver)
    first = infos[0][4][0]
    v6 = [i[4][0] for i in infos if i[0] == socket.AF_INET6]
    v4 = [i[4][0] for i in infos if i[0] == socket.AF_INET]
    a, b = (v6, v4) if ":" in first else (v4, v6)
    assert await _attempt_order(svc_knot) == [a[0], b[0], a[1], b[1]]
    assert await _attempt_order(svc_knot, interleave=2) == [a[0], a[1], b[0], b[1]]
    # No delay, no interleave: the resolver's order, one after the other.
    assert await _attempt_order(svc_knot, happy_eyeballs_delay=None) == [
        i[4][0] for i in infos
    ]


async def test_start_connection_to_a_local_server(svc_knot: Knot) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
            sock = await start_connection(f"web.{ZONE}", port, resolver=resolver,
                                          local_addr=("127.0.0.1", 0))
        try:
            assert sock.getpeername() == ("127.0.0.1", port)
        finally:
            sock.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_lookup_errors_are_socket_errors(svc_knot: Knot) -> None:
    async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
        with pytest.raises(socket.gaierror):
            await start_connection(f"nx.{ZONE}", 443, resolver=resolver)
