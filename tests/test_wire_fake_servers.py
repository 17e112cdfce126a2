"""The wire backend against small servers of the tests' own on loopback: a
hostile one that sends junk (wrong ID, name, type or source port, truncated,
garbage, a compression loop) before each genuine answer, and a scripted one
whose CNAMEs make the engine ask again (a chain, a loop), on IPv4 and IPv6.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

from aioresolve import _errors
from aioresolve._backends.wire import WireBackend
from aioresolve._dns import codec

# -- a hostile server --------------------------------------------------------------


class _Hostile(asyncio.DatagramProtocol):
    """Answers each query with junk first, then the genuine answer."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.1", 0))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        q = codec.parse_response(data)
        name = q.qname
        good = codec.encode_response(q.id, name, q.qtype, [(name, 1, 60, "192.0.2.77")])
        bad = codec.encode_response(q.id, name, q.qtype, [(name, 1, 60, "192.0.2.66")])
        here = 12 + len(codec.encode_name(name)) + 4
        loop_packet = (struct.pack("!HHHHHH", q.id, 0x8180, 1, 1, 0, 0) + data[12:here]
                       + struct.pack("!H", 0xC000 | here) + struct.pack("!HHIH", 1, 1, 60, 4)
                       + bytes(4))
        for junk in (
            codec.encode_response(q.id ^ 0x5555, name, q.qtype, [(name, 1, 60, "192.0.2.66")]),
            codec.encode_response(q.id, "evil." + name, q.qtype, []),
            codec.encode_response(q.id, name, 28, []),  # wrong type
            bad[:-3],  # truncated
            b"\x00",
            bytes([q.id >> 8, q.id & 0xFF]) + b"\xff" * 40,  # garbage with the right ID
            loop_packet,
        ):
            self.transport.sendto(junk, addr)
        self.other.sendto(bad, addr)  # right everything, wrong source port
        self.transport.sendto(good, addr)


@pytest.fixture
async def hostile() -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Hostile,
                                                           local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    yield f"127.0.0.1:{port}"
    transport.close()
    proto.other.close()


async def test_spoofed_and_malformed_replies_are_dropped(hostile: str) -> None:
    backend = WireBackend(nameservers=[hostile], timeout=2.0, attempts=1)
    try:
        for name in ("spoof.test", "MiXeD.Case.TEST"):
            answer = await backend.query(name, "A")
            assert answer.addresses == ["192.0.2.77"]
        stats = backend.stats
        assert stats is not None
        # the genuine answer came last, so every junk packet was seen and dropped
        assert stats.answered == 2 and stats.timeouts == 0
        # per query: wrong name, wrong type, garbage after the right ID
        assert stats.wrong_question == 2 * 3
        # per query: truncated, shorter than a header, compression loop
        assert stats.malformed == 2 * 3
        assert stats.unexpected == 2
        # the reply from another port: dropped by the kernel (connected socket) or by us
        assert stats.wrong_source <= 2
    finally:
        await backend.aclose()


class _Scripted(asyncio.DatagramProtocol):
    """Answers from a script: name -> answers (owner, type, ttl, value); CNAMEs
    without their targets, so the engine has to ask again."""

    SCRIPT: ClassVar[dict[str, list[tuple[str, int, int, str]]]] = {
        "start.test": [("start.test", 5, 30, "middle.test")],
        "middle.test": [("middle.test", 5, 20, "end.test")],
        "end.test": [("end.test", 1, 10, "192.0.2.88")],
        "ping.test": [("ping.test", 5, 30, "pong.test")],
        "pong.test": [("pong.test", 5, 30, "ping.test")],
    }

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.DatagramTransport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        q = codec.parse_response(data)
        answers = self.SCRIPT.get(q.qname)
        self.transport.sendto(codec.encode_response(q.id, q.qname, q.qtype, answers or [],
                                                    rcode=0 if answers else 3), addr)


async def test_cname_followed_with_new_queries() -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Scripted, local_addr=("127.0.0.1", 0))
    server = f"127.0.0.1:{transport.get_extra_info('sockname')[1]}"
    backend = WireBackend(nameservers=[server], timeout=2.0)
    try:
        answer = await backend.query("Start.test", "A")
        assert answer.addresses == ["192.0.2.88"]
        assert (answer.name, answer.canonical_name, answer.ttl) == ("Start.test", "end.test", 10)
        assert answer.aliases == ("start.test", "middle.test")
        name, aliases, addrs = await backend.gethostbyname_ex(b"start.test")
        assert (name, aliases, addrs) == ("end.test", ["start.test", "middle.test"],
                                          ["192.0.2.88"])
        with pytest.raises(_errors.NoData, match="loop"):
            await backend.query("ping.test", "A")
        assert backend.stats is not None and backend.stats.sent == 3 + 3 + 2
    finally:
        await backend.aclose()
        transport.close()


async def test_ipv6_server() -> None:
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(_Scripted, local_addr=("::1", 0))
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback: {exc}")
    server = f"[::1]:{transport.get_extra_info('sockname')[1]}"
    backend = WireBackend(nameservers=[server])
    try:
        answer = await backend.query("end.test", "A")
        assert answer.addresses == ["192.0.2.88"] and answer.server == server
    finally:
        await backend.aclose()
        transport.close()
