"""How :class:`~aioresolve.testing.DNSServer` answers one query, over UDP and TCP.

The hot path parses only the DNS header and question with a few byte
operations (no dnspython); every answer is assembled once per (name, type,
EDNS) from the wire-format zone data (:mod:`._zone`), kept as bytes, and sent
with the client's ID, RD/CD bits and question copied in (so the client's 0x20
letter case comes back as sent).  Faults (drop, SERVFAIL, REFUSED, delay,
truncation) are applied per query here.

:class:`Answering` is a base class of ``DNSServer``: it only *declares* the
server state it reads (set by ``DNSServer.__init__``), for the type checker.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import dns.rcode
import dns.rdataclass
import dns.rdatatype

from ._faults import Fault
from ._zone import Resolution, ZoneStore

__all__ = ["Answering", "TCPProtocol"]

_EDNS_PAYLOAD = 1232  # what the server advertises (DNS flag day 2020)
_MIN_UDP = 512
#: Precomputed answers kept; cleared wholesale past this (an entry is ~0.6 KB:
#: 20k bound the cache near 12 MB, and a test rarely asks more distinct names).
_CACHE_LIMIT = 20_000
_QR, _AA, _TC = 0x80, 0x04, 0x02  # bits of the first flags byte
_RD, _CD = 0x01, 0x10  # RD in the first flags byte, CD in the second
_UDP_BATCH = 64  # datagrams handled per wake-up
#: The OPT record of EDNS responses: root owner, type 41, our payload size.
_OPT = b"\x00" + struct.pack("!HHIH", 41, _EDNS_PAYLOAD, 0, 0)

#: Delivers a response to a client: ``send(response, client_address)``.
_Send = Callable[[bytes, Any], None]


class _Entry(NamedTuple):
    """A precomputed answer: bytes 2..12 of the header (flags and counts) and
    what follows the question, for the full and for the truncated response."""

    head: bytes
    body: bytes
    tc_head: bytes
    tc_body: bytes
    rcode: int
    fault: Fault | None


def _rtype_text(rtype: int) -> str:
    return dns.rdatatype.to_text(rtype)  # type: ignore[arg-type]


def _rcode_text(rcode: int) -> str:
    return dns.rcode.to_text(rcode)  # type: ignore[arg-type]


def _formerr(data: bytes) -> bytes:
    """FORMERR for a query whose question cannot be parsed: the ID and opcode
    echoed, no sections."""
    return data[:2] + bytes((_QR | (data[2] & 0x78), dns.rcode.FORMERR)) + bytes(8)


class Answering:
    """The answering half of :class:`~aioresolve.testing.DNSServer`."""

    count_limit: int
    tcp_idle_timeout: float | None
    _store: ZoneStore
    _fault: Fault | None
    _faults: dict[bytes, Fault]
    _random: random.Random
    _cache: dict[tuple[bytes, int, bool], _Entry]
    _log: collections.deque[tuple[Any, ...]]
    _udp: socket.socket | None
    _tcp_conns: set[asyncio.Transport]
    _tcp_idle_closed: int
    _timers: set[asyncio.TimerHandle]
    _udp_count: int
    _tcp_count: int
    _tc_count: int
    _formerr_count: int
    _by_name: collections.Counter[tuple[bytes, int]]
    _by_rcode: collections.Counter[int | None]

    def _prune_counts(self) -> None:
        raise NotImplementedError  # DNSServer's

    def _fault_for(self, name: bytes) -> Fault | None:
        if self._faults:
            while True:
                f = self._faults.get(name)
                if f is not None:
                    return f
                if name == b"\x00":
                    break
                name = name[name[0] + 1 :]
        return self._fault

    def _build(self, qwire: bytes, qtype: int, qclass: int, edns: bool) -> _Entry:
        """Resolve one question and render both responses (full and TC) in
        wire format, minus the ID and the question."""
        if qclass != dns.rdataclass.IN:
            res = Resolution(dns.rcode.REFUSED, authoritative=False)
        else:
            res = self._store.resolve(qwire, qtype)
        flags = _QR | (_AA if res.authoritative else 0)
        opt = _OPT if edns else b""
        head = struct.pack(
            "!BBHHHH", flags, res.rcode, 1, len(res.answer), len(res.authority), int(edns)
        )
        tc_head = struct.pack("!BBHHHH", flags | _TC, res.rcode, 1, 0, 0, int(edns))
        body = b"".join(res.answer) + b"".join(res.authority) + opt
        return _Entry(head, body, tc_head, opt, res.rcode, self._fault_for(qwire))

    def _udp_ready(self) -> None:
        """Drain the UDP socket (up to a batch, so TCP clients get their turn)."""
        sock = self._udp
        if sock is None:
            return
        recvfrom, respond, send = sock.recvfrom, self._respond, self._udp_send
        for _ in range(_UDP_BATCH):
            try:
                data, addr = recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. an ICMP error queued for an earlier reply
                continue
            try:
                respond(data, False, addr, send)
            except Exception:  # a bug on odd input (SERVFAIL was sent): serve the rest
                continue

    def _udp_send(self, response: bytes, addr: Any) -> None:
        sock = self._udp
        if sock is not None:
            # A full send buffer drops the answer, as a congested network would.
            with contextlib.suppress(OSError):
                sock.sendto(response, addr)

    def _respond(self, data: bytes, tcp: bool, client: Any, send: _Send) -> None:
        """Handle one query; ``send(response, client)`` delivers the response."""
        n = len(data)
        if n < 12 or data[2] & _QR:
            return  # not a query we could even answer: drop, as servers do
        try:
            if data[2] & 0x78:  # opcode other than QUERY
                self._send_plain(data[:12], dns.rcode.NOTIMP, send, client)
                return
            if data[4:6] != b"\x00\x01":
                raise ValueError("qdcount != 1")
            pos = 12
            length = data[pos]
            while length:
                if length > 63:
                    raise ValueError("compressed or bad label in question")
                pos += length + 1
                length = data[pos]
            qend = pos + 5
            if qend > n or pos - 12 > 254:
                raise ValueError("short question")
        except (ValueError, IndexError):
            self._formerr_count += 1
            send(_formerr(data), client)
            return
        qwire = data[12 : pos + 1].lower()
        qtype = (data[pos + 1] << 8) | data[pos + 2]
        qclass = (data[pos + 3] << 8) | data[pos + 4]
        # EDNS: a root-owned OPT right after the question (the only record a
        # normal query carries).
        payload = 0
        if (data[11] or data[10]) and n >= qend + 11 and data[qend : qend + 3] == b"\x00\x00\x29":
            payload = max(_MIN_UDP, (data[qend + 3] << 8) | data[qend + 4])
        key = (qwire, qtype | (qclass << 16), payload > 0)
        entry = self._cache.get(key)
        if entry is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            try:
                entry = self._cache[key] = self._build(qwire, qtype, qclass, payload > 0)
            except Exception:  # a bug or odd data: SERVFAIL beats a silent timeout
                self._send_plain(data[:qend], dns.rcode.SERVFAIL, send, client)
                raise
        if tcp:
            self._tcp_count += 1
        else:
            self._udp_count += 1
        by_name = self._by_name
        by_name[qwire, qtype] += 1
        if len(by_name) > self.count_limit:
            self._prune_counts()
        rcode: int | None = entry.rcode
        fault = entry.fault
        head, body = entry.head, entry.body
        if fault is not None:
            if fault.random:
                r = self._random.random()
                if r < fault.drop_rate:
                    rcode = None
                elif r < fault.drop_rate + fault.servfail_rate:
                    rcode = dns.rcode.SERVFAIL
                elif r < fault.drop_rate + fault.servfail_rate + fault.refused_rate:
                    rcode = dns.rcode.REFUSED
                if rcode != entry.rcode:
                    self._by_rcode[rcode] += 1
                    transport = "tcp" if tcp else "udp"
                    self._log.append((time.time(), qwire, qtype, transport, rcode, client))
                    if rcode is not None:
                        self._send_plain(data[:qend], rcode, send, client, fault.delay)
                    return
            if fault.truncate and not tcp:
                head, body = entry.tc_head, entry.tc_body
        flags = bytes((head[0] | (data[2] & _RD), head[1] | (data[3] & _CD)))
        response = data[:2] + flags + head[2:] + data[12:qend] + body
        if not tcp and len(response) > (payload or _MIN_UDP) and head is entry.head:
            flags = bytes((entry.tc_head[0] | (data[2] & _RD), entry.tc_head[1] | (data[3] & _CD)))
            response = data[:2] + flags + entry.tc_head[2:] + data[12:qend] + entry.tc_body
        if response[2] & _TC:
            self._tc_count += 1
        self._by_rcode[rcode] += 1
        self._log.append((time.time(), qwire, qtype, "tcp" if tcp else "udp", rcode, client))
        if fault is not None and fault.delay:
            self._later(fault.delay, send, response, client)
        else:
            send(response, client)

    def _send_plain(
        self, query: bytes, rcode: int, send: _Send, client: Any, delay: float = 0.0
    ) -> None:
        """An answer-less response with ``rcode``, echoing ID, RD/CD and question
        (``query`` ends with the question)."""
        question = query[12:] if query[4:6] == b"\x00\x01" else b""
        qdcount = b"\x00\x01" if question else b"\x00\x00"
        head = bytes((_QR | (query[2] & (0x78 | _RD)), (query[3] & _CD) | rcode))
        response = query[:2] + head + qdcount + bytes(6) + question
        if delay:
            self._later(delay, send, response, client)
        else:
            send(response, client)

    def _later(self, delay: float, send: _Send, response: bytes, client: Any) -> None:
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(timer)
            send(response, client)

        timer = loop.call_later(delay, fire)
        self._timers.add(timer)


class TCPProtocol(asyncio.Protocol):
    """RFC 1035 4.2.2 framing (2-byte length); any number of queries per
    connection, answered in arrival order unless delayed."""

    def __init__(self, server: Answering) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.peer: tuple[Any, ...] = ()
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = transport.get_extra_info("peername") or ()
        self.server._tcp_conns.add(transport)
        self._rearm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None
        if self.transport is not None:
            self.server._tcp_conns.discard(self.transport)

    def _rearm(self) -> None:
        """(Re)start the idle timer: a connection with no complete query for
        ``tcp_idle_timeout`` seconds is closed."""
        timeout = self.server.tcp_idle_timeout
        if timeout is None or self.transport is None:
            return
        if self.idle is not None:
            self.idle.cancel()
        self.idle = asyncio.get_running_loop().call_later(timeout, self._idle_out)

    def _idle_out(self) -> None:
        self.idle = None
        if self.transport is not None and not self.transport.is_closing():
            self.server._tcp_idle_closed += 1
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 2:
            size = (self.buffer[0] << 8) | self.buffer[1]
            if len(self.buffer) < 2 + size:
                return
            message = bytes(self.buffer[2 : 2 + size])
            del self.buffer[: 2 + size]
            self._rearm()
            try:
                self.server._respond(message, True, self.peer, self._send)
            except Exception:  # a bug: this query is lost (SERVFAIL sent), not the server
                if self.transport is not None:
                    self.transport.close()
                return

    def _send(self, response: bytes, _client: Any) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(len(response).to_bytes(2, "big") + response)
