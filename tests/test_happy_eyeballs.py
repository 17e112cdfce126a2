"""RFC 8305 interleaving: equal to asyncio's and aiohappyeyeballs' own, and usable
with ``aiohappyeyeballs.start_connection`` on addresses from the test server."""

from __future__ import annotations

import asyncio
import asyncio.base_events
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioresolve import Resolver
from aioresolve.happy_eyeballs import getaddrinfo_interleaved, interleave_addrinfos
from tests._services_server import ZONE, DnspythonBackend, Knot

V4, V6 = socket.AF_INET, socket.AF_INET6


def info(family: int, n: int) -> tuple[int, int, int, str, tuple[str, int]]:
    host = f"192.0.2.{n}" if family == V4 else f"2001:db8::{n}"
    return (family, socket.SOCK_STREAM, 6, "", (host, 80))



def test_rfc8305_example_order() -> None:
    infos = [info(V6, 1), info(V6, 2), info(V6, 3), info(V4, 1), info(V4, 2)]
    assert interleave_addrinfos(infos) == [
        info(V6, 1), info(V4, 1), info(V6, 2), info(V4, 2), info(V6, 3)
    ]
    assert interleave_addrinfos(infos, 2) == [
        info(V6, 1), info(V6, 2), info(V4, 1), info(V6, 3), info(V4, 2)
    ]


def test_bad_count_and_empty() -> None:
    assert interleave_addrinfos([]) == []
    with pytest.raises(ValueError):
        interleave_addrinfos([info(V4, 1)], 0)


@given(
    st.lists(st.tuples(st.sampled_from([V4, V6]), st.integers(1, 250)), min_size=1, max_size=12),
    st.integers(1, 4),
)
def test_equal_to_asyncio_and_aiohappyeyeballs(
    spec: list[tuple[int, int]], count: int
) -> None:
    infos = [info(family, n) for family, n in spec]
    ours = interleave_addrinfos(infos, count)
    # (asyncio's own raises IndexError on an empty list with count > 1: not compared)
    assert ours == asyncio.base_events._interleave_addrinfos(infos, count)  # type: ignore[attr-defined]
    impl = pytest.importorskip("aiohappyeyeballs.impl")
    assert ours == impl._interleave_addrinfos(infos, count)
    assert sorted(ours) == sorted(infos)


async def test_interleaved_addresses_from_the_server(svc_knot: Knot) -> None:
    async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
        infos = await getaddrinfo_interleaved(f"dual.{ZONE}", 443, resolver=resolver)
    assert [i[4][0] for i in infos] == ["2001:db8::10", "192.0.2.10", "2001:db8::11", "192.0.2.11"]
    assert {i[1] for i in infos} == {socket.SOCK_STREAM}


async def test_start_connection_with_aiohappyeyeballs(svc_knot: Knot) -> None:
    aiohappyeyeballs = pytest.importorskip("aiohappyeyeballs")
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Resolver(DnspythonBackend(svc_knot.host, svc_knot.port)) as resolver:
            infos = await getaddrinfo_interleaved(f"web.{ZONE}", port, resolver=resolver)
        sock = await aiohappyeyeballs.start_connection(infos, happy_eyeballs_delay=0.25)
        try:
            assert sock.getpeername() == ("127.0.0.1", port)
        finally:
            sock.close()
    finally:
        server.close()
        await server.wait_closed()
