"""An embedded authoritative DNS server for tests: :class:`DNSServer`.

The hot path parses only the DNS header and question with a few byte
operations (no dnspython); every answer is assembled once per (name, type,
EDNS) from the wire-format zone data (:mod:`._zone`), kept as bytes, and sent
with the client's ID, RD/CD bits and question copied in (so the client's 0x20
letter case comes back as sent).  UDP is read by a reader of its own that
drains up to 64 datagrams per wake-up (asyncio's datagram transport reads
one per event-loop pass, which capped it at a third of the rate).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

import dns.rcode
import dns.rdataclass
import dns.rdatatype

from ._zone import Records, Resolution, ZoneStore, name_to_wire, wire_to_text

if TYPE_CHECKING:
    from .._api import Resolver

__all__ = ["DNSServer", "Fault", "LoggedQuery", "ServerStats"]

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


@dataclass(frozen=True)
class Fault:
    """Misbehaviour injected for a name (and every name below it) or for all.

    :param delay: seconds to wait before answering (UDP and TCP).
    :param drop_rate: probability (0..1) that a query gets no answer at all.
    :param servfail_rate: probability of answering SERVFAIL instead.
    :param refused_rate: probability of answering REFUSED instead.
    :param truncate: answer over UDP with TC=1 and no records, always (TCP is
        unaffected, so a client must retry over TCP).

    One random draw per query decides drop, then SERVFAIL, then REFUSED, so
    the three rates must add up to at most 1.
    """

    delay: float = 0.0
    drop_rate: float = 0.0
    servfail_rate: float = 0.0
    refused_rate: float = 0.0
    truncate: bool = False

    def __post_init__(self) -> None:
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0, not {self.delay!r}")
        rates = (self.drop_rate, self.servfail_rate, self.refused_rate)
        if any(not 0 <= r <= 1 for r in rates) or sum(rates) > 1 + 1e-9:
            raise ValueError(f"rates must be in [0, 1] and add up to <= 1, not {rates}")

    @property
    def random(self) -> bool:
        """Whether this fault needs a random draw per query."""
        return bool(self.drop_rate or self.servfail_rate or self.refused_rate)


class LoggedQuery(NamedTuple):
    """One query the server received (see :attr:`DNSServer.queries`)."""

    time: float  #: :func:`time.time` on arrival
    name: str  #: the query name, lower case (no trailing dot)
    rtype: str  #: ``"A"``, ``"MX"``, … (``"TYPE65534"`` for unknown types)
    transport: str  #: ``"udp"`` or ``"tcp"``
    rcode: str | None  #: ``"NOERROR"``, ``"NXDOMAIN"``, …; ``None`` if dropped
    client: tuple[Any, ...]  #: the client's socket address


@dataclass(frozen=True)
class ServerStats:
    """A snapshot of :class:`DNSServer` counters (since start or :meth:`~DNSServer.reset_stats`).

    ``by_name`` is keyed by ``(lower-case name, type)``; ``by_rcode`` by rcode
    text, with dropped queries under ``"DROPPED"``.
    """

    queries: int
    udp: int
    tcp: int
    truncated: int
    formerr: int
    by_rcode: Mapping[str, int]
    by_name: Mapping[tuple[str, str], int]


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


class DNSServer:
    """An authoritative DNS server on loopback, for tests, over UDP and TCP.

    ::

        async with DNSServer({"www.example.test": {"A": ["192.0.2.1"]}}) as server:
            print(server.address)          # "127.0.0.1:PORT" (same port UDP & TCP)
            async with server.resolver() as resolver:
                answer = await resolver.query("www.example.test", "A")

    :param records: a mapping ``{owner: spec}``, where ``spec`` is

        * ``{"A": "192.0.2.1"}`` / ``{"A": ["192.0.2.1", "192.0.2.2"]}``: rdata in
          master-file format, any type dnspython knows (``"MX": "10 mx.example.test"``,
          ``"SRV": "0 5 5060 sip.example.test"``, ``"CAA": '0 issue "ca.test"'``);
          names in rdata are absolute (a trailing dot is optional);
        * ``"ttl": 60`` among the types: the TTL of this owner's records;
        * ``{"A": {"ttl": 60, "values": [...]}}``: a TTL for one type;
        * ``"TXT": "v=spf1 -all"``: plain text is one TXT string (split into
          255-byte strings if longer); text starting with ``"`` is master-file
          format (``'"a" "b"'`` is one record of two strings);
        * a bare address or list of addresses instead of the mapping: A/AAAA.

    :param zone_text: master-file text of one zone (``$ORIGIN`` names it), or
        a mapping ``{origin: text}`` of several; parsed by :mod:`dns.zone`.
    :param zones: the zone apexes the mapping's records belong to.  Without it
        (and without a SOA among the records) each owner makes a zone of its last
        two labels: ``www.example.test`` -> ``example.test``.  Each zone without
        a SOA gets ``ns.<zone>. hostmaster.<zone>. 1 3600 600 86400
        <negative_ttl>``.  Queries for names outside every zone get REFUSED.
    :param ttl: TTL of records that do not give one (seconds).
    :param negative_ttl: SOA MINIMUM of synthesised SOAs: the TTL of the SOA
        in NXDOMAIN/NODATA answers is ``min(SOA TTL, MINIMUM)`` (RFC 2308).
    :param host: the loopback address to listen on; ``port``: 0 picks a free
        port, the same one for UDP and TCP.
    :param fault: a :class:`Fault` for every query; ``faults``: per-name faults
        (for the name and every name below it; the closest one wins and replaces
        ``fault``).  ``seed`` makes the random faults repeatable.
    :param log_size: how many queries :attr:`queries` keeps (the oldest go).
    :param count_limit: how many distinct (name, type) pairs the per-name
        counters (:meth:`query_count`, ``stats.by_name``) keep at most; past
        that, pairs seen once are forgotten first, then the oldest (totals
        stay exact).  Memory stays bounded over millions of names.
    :param tcp_idle_timeout: seconds a TCP connection may stay idle (no
        complete query) before the server closes it (RFC 7766 §6.2.3; knot's
        default is 10 s).  ``None``: never.

    Semantics: AA on answers from the zones; CNAMEs are followed inside the
    zone (as knot does); wildcards and empty non-terminals behave per RFC 4592;
    answers over UDP larger than the client's EDNS payload (512 bytes without
    EDNS) have TC=1 and no records, TCP carries any size and several queries
    per connection; FORMERR for unparsable questions, NOTIMP for opcodes
    other than QUERY, REFUSED for classes other than IN.  Delegations are
    served as plain NS records (no referrals); there is no DNSSEC, zone
    transfer or dynamic update.
    """

    def __init__(
        self,
        records: Records | None = None,
        *,
        zone_text: str | Mapping[str, str] | None = None,
        zones: Iterable[str] | None = None,
        ttl: int = 300,
        negative_ttl: int = 60,
        host: str = "127.0.0.1",
        port: int = 0,
        fault: Fault | None = None,
        faults: Mapping[str, Fault] | None = None,
        seed: int | None = None,
        log_size: int = 10_000,
        count_limit: int = 50_000,
        tcp_idle_timeout: float | None = 10.0,
    ) -> None:
        if count_limit < 1:
            raise ValueError(f"count_limit must be at least 1, not {count_limit!r}")
        if tcp_idle_timeout is not None and tcp_idle_timeout <= 0:
            raise ValueError(f"tcp_idle_timeout must be positive, not {tcp_idle_timeout!r}")
        self.count_limit = count_limit
        self.tcp_idle_timeout = tcp_idle_timeout
        self.host = host
        self._requested_port = port
        self._store = ZoneStore(default_ttl=ttl, negative_ttl=negative_ttl)
        zones = list(zones or ())
        if isinstance(zone_text, str):
            self._store.load_zone_text(zone_text)
        elif zone_text is not None:
            for origin, text in zone_text.items():
                self._store.load_zone_text(text, origin)
        if records is not None or zones:
            self._store.load_records(records or {}, zones or None)
        self._fault = fault
        self._faults: dict[bytes, Fault] = {}
        for name, f in (faults or {}).items():
            self._faults[name_to_wire(name)] = f
        self._random = random.Random(seed)
        self._cache: dict[tuple[bytes, int, bool], _Entry] = {}
        self._log: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=log_size)
        self._udp: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tcp: asyncio.Server | None = None
        self._tcp_conns: set[asyncio.Transport] = set()
        self._tcp_idle_closed = 0
        self._timers: set[asyncio.TimerHandle] = set()
        self.port = 0
        self.reset_stats()

    def __repr__(self) -> str:
        state = f"on {self.address}" if self.running else "stopped"
        return f"<DNSServer {state} zones={self.zones}>"

    # -- lifecycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._udp is not None

    @property
    def address(self) -> str:
        """``"127.0.0.1:PORT"`` (``"[::1]:PORT"`` for IPv6), for ``nameservers=``."""
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"

    @property
    def nameservers(self) -> list[str]:
        """``[self.address]``."""
        return [self.address]

    async def start(self) -> DNSServer:
        """Bind UDP and TCP on the same port and start serving."""
        if self.running:
            raise RuntimeError("DNSServer is already running")
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ipaddress.ip_address(self.host).version == 6 else socket.AF_INET
        last_error: OSError | None = None
        # Port 0: UDP picks a free port and TCP takes the same one, which may
        # be busy for TCP; then try another.
        for _ in range(1 if self._requested_port else 20):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            try:
                udp.setblocking(False)
                with contextlib.suppress(OSError):  # a bigger queue rides out bursts
                    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                udp.bind((self.host, self._requested_port))
                port = udp.getsockname()[1]
                self._tcp = await loop.create_server(
                    lambda: _TCPProtocol(self), self.host, port, family=family, reuse_address=True
                )
            except OSError as exc:
                udp.close()
                last_error = exc
                continue
            self._udp, self.port = udp, port
            # A reader of our own instead of a DatagramTransport: one wake-up
            # drains many datagrams (asyncio reads one per event-loop pass).
            loop.add_reader(udp.fileno(), self._udp_ready)
            self._loop = loop
            return self
        raise OSError(f"could not bind UDP and TCP on one port of {self.host}: {last_error}")

    async def stop(self) -> None:
        """Stop serving: close the sockets, drop delayed answers and open TCP
        connections.  Stopping a stopped server is harmless."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._udp is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._udp.fileno())
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for conn in list(self._tcp_conns):
                conn.abort()
            await self._tcp.wait_closed()
            self._tcp = None

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[DNSServer]:
        """Serve from a daemon thread running an event loop of its own, for
        synchronous code and tests (``with server.in_thread(): ...``).

        The server's methods may be called from the test's thread meanwhile
        (CPython's GIL keeps the dictionaries consistent); :meth:`resolver` is
        the exception: a resolver belongs to the loop that uses it.
        """
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=loop.run_forever, name=f"aioresolve-DNSServer-{id(self):x}", daemon=True
        )
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=60)
            yield self
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=60)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=60)
            if not thread.is_alive():
                loop.close()

    async def __aenter__(self) -> DNSServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def resolver(self, backend: str | None = None, **options: Any) -> Resolver:
        """An :class:`aioresolve.Resolver` that asks only this server.

        ``backend=None`` takes ``"wire"`` where it can be loaded, else
        ``"cares"``; never the system backend, which cannot be pointed at a
        server.  ``options`` go to the :class:`~aioresolve.Resolver` (e.g.
        ``cache=False``, ``timeout=2``)."""
        from .._api import Resolver
        from .._backends import backend_class
        from .._errors import BackendUnavailable

        if backend is None:
            try:
                backend_class("wire")
                backend = "wire"
            except BackendUnavailable:
                backend = "cares"
        if backend == "system":
            raise ValueError("the system backend cannot be pointed at a DNSServer")
        options.setdefault("nameservers", self.nameservers)
        return Resolver(backend, **options)

    # -- data --------------------------------------------------------------------

    @property
    def zones(self) -> list[str]:
        """The origins served (no trailing dot)."""
        return sorted(wire_to_text(z) for z in self._store.zones)

    def add_records(self, records: Records, zones: Iterable[str] | None = None) -> None:
        """Add records (same format as the constructor's) while running; an
        existing RRset gets the new records merged in."""
        self._store.load_records(records, zones)
        self._cache.clear()

    def add_zone_text(self, text: str, origin: str | None = None) -> None:
        """Load one more master file while running."""
        self._store.load_zone_text(text, origin)
        self._cache.clear()

    def remove_records(self, name: str, rtype: str | None = None) -> None:
        """Remove the ``rtype`` RRset of ``name``, or all of its records."""
        self._store.remove(name, rtype)
        self._cache.clear()

    @property
    def fault(self) -> Fault | None:
        """The fault applied to every name without a per-name one."""
        return self._fault

    @fault.setter
    def fault(self, value: Fault | None) -> None:
        self._fault = value
        self._cache.clear()

    @property
    def faults(self) -> Mapping[str, Fault]:
        """Per-name faults (read-only view; change them with :meth:`set_fault`)."""
        return MappingProxyType({wire_to_text(n): f for n, f in self._faults.items()})

    def set_fault(self, name: str, fault: Fault | None) -> None:
        """Inject ``fault`` for ``name`` and every name below it (``None`` removes it)."""
        key = name_to_wire(name)
        if fault is None:
            self._faults.pop(key, None)
        else:
            self._faults[key] = fault
        self._cache.clear()

    # -- observation -------------------------------------------------------------

    @property
    def queries(self) -> list[LoggedQuery]:
        """The last ``log_size`` queries received, oldest first."""
        return [
            LoggedQuery(
                t, wire_to_text(n), _rtype_text(q), tr, rc if rc is None else _rcode_text(rc), c
            )
            for t, n, q, tr, rc, c in list(self._log)  # a copy: in_thread() serves meanwhile
        ]

    @property
    def stats(self) -> ServerStats:
        """Counters since start (or :meth:`reset_stats`)."""
        by_rcode = {
            ("DROPPED" if rc is None else _rcode_text(rc)): n
            for rc, n in dict(self._by_rcode).items()
        }
        by_name: collections.Counter[tuple[str, str]] = collections.Counter()
        for (wire, rtype), n in dict(self._by_name).items():
            by_name[wire_to_text(wire), _rtype_text(rtype)] += n
        return ServerStats(
            queries=self._udp_count + self._tcp_count,
            udp=self._udp_count,
            tcp=self._tcp_count,
            truncated=self._tc_count,
            formerr=self._formerr_count,
            by_rcode=MappingProxyType(by_rcode),
            by_name=MappingProxyType(dict(by_name)),
        )

    def query_count(self, name: str | None = None, rtype: str | None = None) -> int:
        """How many queries arrived (for ``name`` and/or ``rtype`` if given;
        names compare case-insensitively)."""
        if name is None and rtype is None:
            return self._udp_count + self._tcp_count
        wire = None if name is None else name_to_wire(name)
        kind = None if rtype is None else dns.rdatatype.from_text(rtype)
        return sum(
            n
            for (w, q), n in dict(self._by_name).items()
            if (wire is None or w == wire) and (kind is None or q == kind)
        )

    def reset_stats(self) -> None:
        """Zero the counters and empty the query log."""
        self._udp_count = self._tcp_count = self._tc_count = self._formerr_count = 0
        self._by_name: collections.Counter[tuple[bytes, int]] = collections.Counter()
        self._by_rcode: collections.Counter[int | None] = collections.Counter()
        self._log.clear()

    def _prune_counts(self) -> None:
        """Bound the per-name counters: forget the pairs seen once, and if that
        is not a quarter of them, the oldest half (insertion order)."""
        by_name = self._by_name
        keep = {k: n for k, n in by_name.items() if n > 1}
        if len(keep) > self.count_limit * 3 // 4:
            keys = list(keep)
            keep = {k: keep[k] for k in keys[len(keys) // 2 :]}
        self._by_name = collections.Counter(keep)

    # -- answering -----------------------------------------------------------------

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


class _TCPProtocol(asyncio.Protocol):
    """RFC 1035 4.2.2 framing (2-byte length); any number of queries per
    connection, answered in arrival order unless delayed."""

    def __init__(self, server: DNSServer) -> None:
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
