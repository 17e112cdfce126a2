"""Hostile and faulty DNS servers on loopback, for tests and benchmarks.

A :class:`HostileServer` listens on UDP and TCP of one loopback port and
sends whatever its test tells it to: each incoming query (an
:class:`Incoming`) goes to a ``udp`` or ``tcp`` behaviour, a function that
returns what to send back.  The helpers below build the bytes by hand, so a
test can send what no well-behaved library would build: records of another
class, bad SVCB parameters, compression-pointer bombs, replies without a
question section, oversize datagrams, mis-cased questions.

UDP behaviours return a list of datagrams (each sent to the querier, or a
``(data, address)`` pair sent elsewhere) - an empty list drops the query.
TCP behaviours return a reply (framed for them), or one of
:data:`CLOSE` (close without a word), :data:`GARBAGE` (a length prefix and
junk), :data:`STALL` (hold the connection open, send nothing),
:data:`TRUNCATE` (half a reply, then close).

:meth:`HostileServer.pause` closes the UDP port (queries then get ICMP port
unreachable, as from a restarting server) until :meth:`HostileServer.resume`
binds it again.  Every server counts what it receives.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import random
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CLOSE",
    "GARBAGE",
    "STALL",
    "TRUNCATE",
    "HostileServer",
    "Incoming",
    "bare",
    "https_rdata",
    "pointer_bomb",
    "reply",
    "rr",
]

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")

CLOSE, GARBAGE, STALL, TRUNCATE = "close", "garbage", "stall", "truncate"

Datagram = bytes | tuple[bytes, tuple[str, int]]
UdpBehaviour = Callable[["HostileServer", "Incoming"], Sequence[Datagram]]
TcpBehaviour = Callable[["HostileServer", "Incoming"], bytes | str]


@dataclass
class Incoming:
    """One query as it arrived: its ID, the question section's bytes exactly as
    sent (letter case included), name (lower case), type, whether it carried
    an OPT record, the whole message and who sent it."""

    id: int
    question: bytes
    name: str
    qtype: int
    edns: bool
    data: bytes
    addr: tuple[str, int]
    tcp: bool = False


def parse_query(data: bytes, addr: tuple[str, int], tcp: bool = False) -> Incoming | None:
    """The :class:`Incoming` of a query, or ``None`` if it is not one we can read."""
    if len(data) < 17:
        return None
    qid, _flags, qd, _an, _ns, ar = _HEADER.unpack_from(data)
    if qd != 1:
        return None
    pos, labels = 12, []
    while pos < len(data) and data[pos]:
        n = data[pos]
        if n > 63:
            return None
        labels.append(data[pos + 1 : pos + 1 + n])
        pos += 1 + n
    end = pos + 5
    if end > len(data):
        return None
    (qtype,) = struct.unpack_from("!H", data, pos + 1)
    name = b".".join(labels).decode("ascii", "replace").lower() or "."
    return Incoming(qid, data[12:end], name, qtype, ar > 0, data, addr, tcp)


def rr(rtype: int, rdata: bytes, *, rclass: int = 1, ttl: int = 60,
       owner: bytes = b"\xc0\x0c") -> bytes:
    """One resource record (owner: a pointer to the question's name by default)."""
    return owner + _RR.pack(rtype, rclass, ttl, len(rdata)) + rdata


def a(address: str) -> bytes:
    """The rdata of an A record."""
    return socket.inet_aton(address)


def reply(q: Incoming, answers: Sequence[bytes] = (), *, rcode: int = 0, flags: int = 0x8180,
          authority: Sequence[bytes] = (), question: bytes | None = None,
          qid: int | None = None) -> bytes:
    """A reply to ``q``: its question echoed (or ``question``), the records
    given (built with :func:`rr`), ``flags`` | ``rcode``."""
    qsec = q.question if question is None else question
    head = _HEADER.pack(q.id if qid is None else qid, (flags & ~0xF) | rcode, 1, len(answers),
                        len(authority), 0)
    return head + qsec + b"".join(answers) + b"".join(authority)


def bare(q: Incoming, rcode: int = 1) -> bytes:
    """A reply without a question section (as some servers send FORMERR)."""
    return _HEADER.pack(q.id, 0x8000 | rcode, 0, 0, 0, 0)


def https_rdata() -> bytes:
    """``HTTPS 1 . alpn=h2 no-default-alpn``: valid, and a key without a value."""
    return (struct.pack("!H", 1) + b"\x00" + struct.pack("!HH", 1, 3) + b"\x02h2"
            + struct.pack("!HH", 2, 0))


def pointer_bomb(q: Incoming, size: int = 60_000) -> bytes:
    """A reply of about ``size`` bytes whose answer owners sit at the end of a
    long chain of compression pointers, each pointing to the one before
    (every hop backwards, so a decoder without a hop limit walks the whole
    chain for every record).  The chain is the rdata of a first record of a
    private type; half of ``size`` is chain, half A records using it."""
    head_len = 12 + len(q.question)
    start = head_len + 1 + 10  # after that record's root owner and its header
    chain = bytearray(b"\x01x\xc0\x0c")  # label "x", then a pointer to the question
    last = start
    while len(chain) < size // 2:
        here = start + len(chain)
        chain += struct.pack("!H", 0xC000 | last)
        last = here
    answers = [rr(65280, bytes(chain), owner=b"\x00")]
    owner = struct.pack("!H", 0xC000 | last)
    total = head_len + len(answers[0])
    while total + 16 < size:
        answers.append(rr(1, a("192.0.2.99"), owner=owner))
        total += 16
    return reply(q, answers)


@dataclass
class _Counts:
    udp: collections.Counter[str] = field(default_factory=collections.Counter)
    tcp: collections.Counter[str] = field(default_factory=collections.Counter)
    ports: list[int] = field(default_factory=list)
    no_edns: int = 0


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: HostileServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server._on_udp(data, addr)


class HostileServer:
    """A DNS server on loopback that does what its behaviours say.

    :param udp: called for each UDP query; returns the datagrams to send.
    :param tcp: called for each TCP query; returns a reply or a fault
        (default: answer like ``udp``'s first datagram, or close).
    """

    def __init__(self, udp: UdpBehaviour, tcp: TcpBehaviour | None = None, *,
                 host: str = "127.0.0.1") -> None:
        self.udp_behaviour = udp
        self.tcp_behaviour = tcp
        self.host = host
        self.port = 0
        self.counts = _Counts()
        self.queries: list[Incoming] = []
        self.keep_queries = True
        self._transport: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._stalled: list[asyncio.StreamWriter] = []

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    async def start(self) -> HostileServer:
        """Bind UDP and TCP on the same free port."""
        loop = asyncio.get_running_loop()
        for _ in range(50):
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.host, self.port))
            self.port = transport.get_extra_info("sockname")[1]
            try:
                self._tcp_server = await asyncio.start_server(self._on_tcp, self.host,
                                                              self.port)
            except OSError:
                transport.close()
                self.port = 0
                continue
            self._transport = transport
            return self
        raise OSError("no free UDP+TCP port")

    async def pause(self) -> None:
        """Close the UDP port: queries now get ICMP port unreachable."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
            await asyncio.sleep(0)

    async def resume(self) -> None:
        """Bind the UDP port again (after :meth:`pause`)."""
        if self._transport is None:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=(self.host, self.port))
            self._transport = transport

    async def stop(self) -> None:
        await self.pause()
        for writer in self._stalled:
            writer.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            await self._tcp_server.wait_closed()
            self._tcp_server = None

    async def __aenter__(self) -> HostileServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send a datagram from the server's port (e.g. later, or elsewhere)."""
        if self._transport is not None:
            self._transport.sendto(data, addr)

    def _record(self, q: Incoming) -> None:
        (self.counts.tcp if q.tcp else self.counts.udp)[q.name] += 1
        if not q.edns:
            self.counts.no_edns += 1
        if self.keep_queries:
            self.queries.append(q)
            if not q.tcp:
                self.counts.ports.append(q.addr[1])

    def _on_udp(self, data: bytes, addr: tuple[str, int]) -> None:
        q = parse_query(data, addr)
        if q is None:
            return
        self._record(q)
        for item in self.udp_behaviour(self, q):
            if isinstance(item, tuple):
                self.send(*item)
            else:
                self.send(item, addr)

    async def _on_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                      ) -> None:
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                data = await reader.readexactly(size)
                q = parse_query(data, writer.get_extra_info("peername"), tcp=True)
                if q is None:
                    break
                self._record(q)
                if self.tcp_behaviour is not None:
                    action: bytes | str = self.tcp_behaviour(self, q)
                else:
                    replies = [d for d in self.udp_behaviour(self, q) if isinstance(d, bytes)]
                    action = replies[0] if replies else CLOSE
                if action == CLOSE:
                    break
                if action == GARBAGE:
                    writer.write(struct.pack("!H", 300) + os.urandom(300))
                    await writer.drain()
                    continue
                if action == STALL:
                    self._stalled.append(writer)
                    await asyncio.sleep(3600)
                    break
                if action == TRUNCATE:
                    writer.write(struct.pack("!H", 512) + bytes(100))
                    await writer.drain()
                    break
                assert isinstance(action, bytes)
                writer.write(struct.pack("!H", len(action)) + action)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


def answer_all(address: str = "192.0.2.1", ttl: int = 60) -> UdpBehaviour:
    """A well-behaved behaviour: every A query gets ``address``."""

    def behave(server: HostileServer, q: Incoming) -> list[Datagram]:
        if q.qtype != 1:
            return [reply(q)]
        return [reply(q, [rr(1, a(address), ttl=ttl)])]

    return behave


class Faults:
    """A behaviour for many-name runs: drops ``drop``, SERVFAILs ``servfail``
    and truncates ``tc`` of the UDP queries (fractions, drawn at random with
    ``seed``); over TCP, ``tcp_fail`` of the queries get a broken connection
    (the faults of ``tcp_faults`` in turn: by default closed, as dnsdist's
    DropAction does on TCP) and ``tcp_servfail`` a SERVFAIL.  Every A query
    is answered :func:`stable_address` of its name."""

    def __init__(self, *, drop: float = 0.0, servfail: float = 0.0, tc: float = 0.0,
                 tcp_fail: float = 0.0, tcp_servfail: float = 0.0,
                 tcp_faults: Sequence[str] = (CLOSE,), seed: int = 1) -> None:
        self.drop, self.servfail, self.tc = drop, servfail, tc
        self.tcp_fail, self.tcp_servfail, self.tcp_faults = tcp_fail, tcp_servfail, tcp_faults
        self.random = random.Random(seed)
        self.broken = 0

    def udp(self, server: HostileServer, q: Incoming) -> list[Datagram]:
        roll = self.random.random()
        if roll < self.drop:
            return []
        roll -= self.drop
        if roll < self.servfail:
            return [reply(q, rcode=2)]
        roll -= self.servfail
        if roll < self.tc:
            return [reply(q, flags=0x8380)]
        return [self.answer(q)]

    def tcp(self, server: HostileServer, q: Incoming) -> bytes | str:
        roll = self.random.random()
        if roll < self.tcp_fail:
            self.broken += 1
            return self.tcp_faults[self.broken % len(self.tcp_faults)]
        if roll - self.tcp_fail < self.tcp_servfail:
            return reply(q, rcode=2)
        return self.answer(q)

    @staticmethod
    def answer(q: Incoming) -> bytes:
        if q.qtype != 1:
            return reply(q)
        return reply(q, [rr(1, a(stable_address(q.name)))])


def stable_address(name: str) -> str:
    """A deterministic address of 198.18.0.0/15 for ``name``."""
    h = 0
    for c in name.encode():
        h = (h * 131 + c) & 0x1FFFF
    return f"198.{18 + (h >> 16)}.{(h >> 8) & 0xFF}.{h & 0xFF}"
