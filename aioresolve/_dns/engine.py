"""The wire engine: many DNS queries in flight over a few UDP sockets.

Design (after massdns / zdns, in pure asyncio):

- A few non-blocking UDP sockets per server, each connected to it and so
  bound by the kernel to a random ephemeral source port.  The loop watches them with
  ``add_reader`` and each readiness event drains up to :data:`_READ_BURST`
  datagrams: asyncio's ``DatagramProtocol`` transport reads *one* datagram per
  loop iteration, which at 50k+ answers/s costs a full loop iteration (epoll
  call included) per answer.  Datagrams are read whole (a 65535-byte buffer):
  a reply larger than the EDNS payload we advertised is accepted as it came
  (unbound and dnspython do the same; nothing was lost in transit).
- Source ports rotate: after ``udp_max_queries`` queries (c-ares' option of
  that name) a socket is replaced by a fresh one on a new random port; the old
  one stays open, still answering its pending queries, until they end.  So a
  port learned by an attacker is good for a bounded number of queries, and
  the 16-bit ID is not the only per-query secret for long.
- Queries in flight are keyed by (socket, 16-bit ID); IDs come from
  ``os.urandom``.  A reply is accepted only if its ID is pending on that
  socket, its source address and port are the server's the query went to,
  and its question (name, type, class) equals the one sent, compared
  case-insensitively - or exactly, with ``case_randomization`` (DNS 0x20:
  the letters of each query name are sent in random case, which a blind
  spoofer cannot guess).  A server whose replies come only in the wrong case
  is, once the attempt times out, retried without 0x20 and remembered, as
  unbound's ``use-caps-for-id`` falls back (a mis-cased reply never wins over
  a well-cased one that follows it).
  Anything else is counted in :class:`Stats` and dropped: a spoofed or
  garbled reply never ends a query, the genuine one still can.
- Per-attempt timeouts adapt to each server's measured RTT as TCP's RTO does
  (RFC 6298: SRTT + 4 RTTVAR, at least 200 ms, doubled per retry, capped by
  the configured ``timeout``), rounded up to 50 ms steps.
- Timeouts: attempts with the same timeout expire in the order they were sent,
  so each distinct timeout value has one FIFO deque of (expiry, serial)
  and the engine keeps a single loop timer at the earliest head.  Adding and
  expiring an attempt is O(1) whatever the number in flight (no
  ``call_later`` per query).  Attempts clipped by a per-host deadline, and
  retries waiting out a refusal, go to a small heap.
- Every lookup ends: a reply whose handling raises ends its query with
  :class:`~aioresolve.FormErr`; a callback that raises is reported to the
  loop's exception handler and strands nobody; and a watchdog sweeping the
  live queries once a second ends any query still alive
  :data:`_GRACE` seconds after its deadline with :class:`~aioresolve.Timeout`,
  whatever state it is in (one timer for the engine, not one per query).
- Faults are failed attempts, retried while attempts and the deadline last:
  SERVFAIL/REFUSED/NOTIMP and timeouts go to the next server; TC=1 → the same
  question over TCP (one short-lived connection per query), and a TCP retry
  that fails (closed, garbage, stalled, refused) is a failed attempt;
  an ICMP port-unreachable (ECONNREFUSED on the connected socket, which does
  not say which query it was for) marks the server refused and parks the
  queries pending on that socket: their next attempt is sent when the
  configured timeout, doubled per attempt, has passed (sooner when it goes to
  another server that has not refused), so a restarting server costs time,
  not names.  A FORMERR to a query with EDNS is retried once without EDNS (as
  c-ares does); FORMERR/SERVFAIL/NOTIMP/REFUSED replies without a question
  section are matched by ID and source alone (some servers send them so).
- CNAME chains are followed within the answer and, when the answer stops at a
  CNAME, with a follow-up query (at most :data:`MAX_CNAME_HOPS`, loops detected).

Events are logged on ``logging.getLogger("aioresolve.wire")``: retries,
failover, server errors and TCP fallback at DEBUG, spoofed or malformed
replies at DEBUG (counted in :class:`Stats`), refusals and 0x20 fallbacks at
INFO, engine bugs caught by the guards at WARNING/ERROR.  Nothing is formatted
unless the level is enabled.

Results are delivered by calling the query's ``callback(query)`` on the loop;
:attr:`Query.result` holds an :class:`~aioresolve.Answer` or a
:class:`~aioresolve.ResolveError`.  No task per query.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import heapq
import logging
import math
import os
import socket
import struct
from collections.abc import Callable, Sequence
from typing import Any

import dns.rdatatype

from .. import _compat, _errors
from .._nameservers import nameserver_text, parse_nameserver
from .._records import Answer, Record
from ._speedups import parse_response, rdata_record, recv_batch, send_batch
from .codec import (
    CLASS_IN,
    FLAG_QR,
    TYPE_CNAME,
    ParseError,
    Response,
    encode_name,
)

__all__ = ["MAX_CNAME_HOPS", "UDP_MAX_QUERIES", "Engine", "Query", "Stats", "parse_nameserver"]

log = logging.getLogger("aioresolve.wire")
_DEBUG, _INFO = logging.DEBUG, logging.INFO

#: CNAMEs followed for one name (in answers and follow-up queries together).
MAX_CNAME_HOPS = 16
#: Default queries sent on one UDP socket before it is replaced by a fresh
#: one on a new random source port (c-ares: ``udp_max_queries``).
UDP_MAX_QUERIES = 128
#: Datagrams read per readiness event of one socket before yielding to the loop.
_RECV_BATCH = 64
_READ_BURST = 256
#: Receive buffer: the largest UDP payload, so that no datagram is ever cut.
_RECV_SIZE = 65535
#: Floor of the adaptive per-attempt timeout (seconds), as TCP's minimum RTO.
MIN_RTO = 0.2
#: The watchdog ends a query still alive this long after its deadline.
_GRACE = 0.5
#: Seconds between two watchdog sweeps (while queries are alive).
_SWEEP = 1.0
_QTAIL = struct.Struct("!HH")
_ID = struct.Struct("!H")
_TCP_LEN = struct.Struct("!H")
_RCODE_ERRORS: dict[int, type[_errors.ResolveError]] = {
    1: _errors.FormErr, 2: _errors.ServFail, 3: _errors.NXDomain, 5: _errors.Refused,
}
#: RCODEs after which another server (or attempt) may do better.
_RETRY_RCODES = frozenset((2, 4, 5))
#: RCODEs accepted in a reply without a question section (matched by ID and source).
_BARE_RCODES = frozenset((1, 2, 4, 5))
_QTYPES: dict[str, int] = {}


def qtype_of(rtype: str) -> int:
    """The numeric type of a mnemonic (cached).

    :raises TypeError: ``rtype`` is not a string.
    :raises ValueError: ``rtype`` is not a known record type.
    """
    value = _QTYPES.get(rtype)
    if value is None:
        if not isinstance(rtype, str):
            raise TypeError(f"record type must be a string such as 'A', not {rtype!r}")
        try:
            value = int(dns.rdatatype.from_text(rtype))
        except Exception:
            raise ValueError(f"unknown record type {rtype!r}") from None
        _QTYPES[rtype] = value
    return value


class Stats:
    """Counters of one engine (monotonic; read them, or :meth:`as_dict`).

    ``unexpected`` counts replies whose ID is not pending on that socket (late
    answers after a timeout as well as blind spoofing); ``wrong_source`` and
    ``wrong_question`` count replies with a pending ID that failed the other
    checks; ``wrong_case`` replies that matched except for the letter case of
    the 0x20-randomised name; ``malformed`` counts undecodable datagrams.
    ``refused`` counts ICMP port-unreachable reports, ``parked`` the attempts
    they failed; ``rotated`` sockets replaced by fresh ports; ``errors``
    exceptions caught while handling a reply; ``stranded`` queries the
    watchdog had to end (each one is a bug).
    """

    __slots__ = (
        "answered", "errors", "malformed", "parked", "refused", "retries", "rotated", "sent",
        "stranded", "tcp", "tcp_failed", "timeouts", "unexpected", "wrong_case",
        "wrong_question", "wrong_source",
    )

    def __init__(self) -> None:
        self.sent = self.answered = self.retries = self.timeouts = self.tcp = 0
        self.malformed = self.unexpected = self.wrong_question = self.wrong_source = 0
        self.wrong_case = self.refused = self.parked = self.rotated = self.errors = 0
        self.stranded = self.tcp_failed = 0

    def as_dict(self) -> dict[str, int]:
        return {slot: getattr(self, slot) for slot in self.__slots__}

    def __repr__(self) -> str:
        return f"Stats({self.as_dict()})"


class Query:
    """One name being resolved.  ``tag`` is the caller's; ``result`` is set
    before the callback runs; ``aliases`` are the CNAME owners followed."""

    __slots__ = (
        "aliases",
        "attempt",
        "attempts",
        "bad",
        "callback",
        "caps",
        "deadline",
        "done",
        "edns",
        "letters",
        "miscased",
        "name",
        "offset",
        "qid",
        "qsec",
        "qtype",
        "question",
        "queued",
        "refused",
        "result",
        "rtype",
        "seen",
        "sent_at",
        "serial",
        "server",
        "sock",
        "tag",
        "template",
        "timeout",
        "tries",
        "ttl",
        "wanted",
    )

    def __init__(self, name: str, rtype: str, qtype: int, callback: Callable[[Query], Any],
                 tag: Any, attempts: int, timeout: float, deadline: float) -> None:
        self.name = name  # the name asked for, as given
        wanted = name.lower()  # the name the current question asks about
        if wanted.endswith(".") and len(wanted) > 1:
            wanted = wanted[:-1]
        self.wanted = wanted or "."
        self.rtype = rtype
        self.qtype = qtype
        self.callback = callback
        self.tag = tag
        self.attempts = attempts
        self.timeout = timeout
        self.deadline = deadline
        self.attempt = 0  # attempts used on the current question
        self.tries = 0  # attempts used in all
        self.offset = 0
        self.qid = -1  # -1: no attempt on the wire
        self.sock: _Socket | None = None
        self.serial = 0
        self.sent_at = 0.0
        self.server: tuple[str, int] | None = None
        self.template = b""
        self.question = b""  # the question section sent (lower case without 0x20)
        self.qsec = b""  # the lower-case question section (0x20 randomises a copy)
        self.letters = 0  # 0x20: mask of the name's letter bits; 0 = off
        self.caps = False  # the current attempt was sent with 0x20
        self.edns = True  # the current question is sent with EDNS (if the engine uses it)
        self.refused = False  # the current attempt was failed by a port unreachable
        self.miscased = False  # a reply to the current attempt had the wrong 0x20 case
        self.bad: str | None = None  # why a matching reply was malformed (dropped)
        self.queued = False  # waiting for room under max_in_flight
        self.aliases: list[str] = []
        self.seen: set[str] | None = None
        self.ttl = 0x7FFFFFFF
        self.result: Answer | _errors.ResolveError | None = None
        self.done = False


class _Rtt:
    """Retransmission timeout of one server, as TCP computes it (RFC 6298):
    smoothed RTT plus four deviations, from answers to first attempts only
    (Karn), never below :data:`MIN_RTO`.  Rounded up to 50 ms steps so that
    attempts share a few FIFO timeout queues."""

    __slots__ = ("srtt", "var")

    def __init__(self) -> None:
        self.srtt = -1.0
        self.var = 0.0

    def sample(self, rtt: float) -> None:
        if self.srtt < 0:
            self.srtt, self.var = rtt, rtt / 2
        else:
            self.var += 0.25 * (abs(self.srtt - rtt) - self.var)
            self.srtt += 0.125 * (rtt - self.srtt)

    def rto(self, ceiling: float, attempt: int) -> float:
        """Timeout of the ``attempt``-th try (1-based): doubled on each retry."""
        if self.srtt < 0:
            return ceiling
        base = max(MIN_RTO, self.srtt + 4 * self.var) * (1 << min(attempt - 1, 8))
        return min(ceiling, math.ceil(base * 20) / 20)


class _Socket:
    """One UDP socket connected to one server, and the queries pending on it, by ID.

    Connected, because the kernel then skips the route lookup on every send
    (measured: sendto() on an unconnected socket was the largest single cost),
    drops datagrams from any other source address or port before we see them,
    and reports ICMP port-unreachable as ECONNREFUSED (→ ConnectionRefused).
    """

    __slots__ = ("pending", "retired", "server", "sock", "uses")

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setblocking(False)
            self.sock.connect(server)  # UDP: no packet sent, binds a random source port
        except OSError:
            self.sock.close()
            raise
        for size in (1 << 22, 1 << 20):  # room for bursts of answers (capped by rmem_max)
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
                break
            except OSError:
                continue
        self.pending: dict[int, Query] = {}
        self.uses = 0
        self.retired = False


class Engine:
    """See the module docstring.  One engine belongs to one event loop.

    :param udp_max_queries: queries sent on one UDP socket before it is
        replaced by a fresh one on a new random port (0: never).
    :param case_randomization: send query names in random letter case (DNS
        0x20) and accept only replies that echo it exactly.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        servers: Sequence[tuple[str, int]],
        *,
        timeout: float = 2.0,
        attempts: int = 3,
        sockets: int = 4,
        max_in_flight: int = 10_000,
        payload: int = 1232,
        tcp_fallback: bool = True,
        adaptive_timeout: bool = True,
        backend: str = "wire",
        udp_max_queries: int = UDP_MAX_QUERIES,
        case_randomization: bool = False,
    ) -> None:
        if not servers:
            raise ValueError("the wire engine needs at least one nameserver")
        if udp_max_queries < 0:
            raise ValueError(f"udp_max_queries must be 0 or more, not {udp_max_queries}")
        self.loop = loop
        self.servers = list(servers)
        self.timeout = timeout
        self.attempts = attempts
        self.max_in_flight = max_in_flight
        self.tcp_fallback = tcp_fallback
        self.adaptive = adaptive_timeout
        self.udp_max_queries = udp_max_queries
        self.case_randomization = case_randomization
        self._recv_size = _RECV_SIZE
        self._rtt = {server: _Rtt() for server in self.servers}
        self.backend = backend
        self.stats = Stats()
        self._head = struct.pack("!HHHHH", 0x0100, 1, 0, 0, 1 if payload > 0 else 0)
        self._head_plain = struct.pack("!HHHHH", 0x0100, 1, 0, 0, 0)
        self._opt = b"\x00" + struct.pack("!HHIH", 41, payload, 0, 0) if payload > 0 else b""
        self._socks: dict[tuple[str, int], list[_Socket]] = {
            server: [_Socket(server) for _ in range(max(1, sockets))]
            for server in dict.fromkeys(self.servers)
        }
        for socks in self._socks.values():
            for s in socks:
                loop.add_reader(s.sock.fileno(), self._read, s)
        self._retired: set[_Socket] = set()
        self._refused_at: dict[tuple[str, int], float] = {}
        self._no_caps: set[tuple[str, int]] = set()  # servers that do not echo 0x20
        self._rr = 0
        self._ids = b""
        self._ids_at = 0
        self._serial = 0
        self.in_flight = 0
        self._waiting: collections.deque[Query] = collections.deque()
        # Attempts on the wire by serial.  The timeout structures hold only
        # (expiry, serial) - atomic tuples the garbage collector does not track -
        # so an answered query is freed at once, not when its timeout would
        # have expired (that kept ~rate x timeout objects alive and made full
        # GC passes take 50 ms at 60k names/s).
        self._live: dict[int, Query] = {}
        self._expiries: dict[float, collections.deque[tuple[float, int]]] = {}
        self._odd: list[tuple[float, int]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        # Every query not yet finished, for the watchdog and close().
        self._active: set[Query] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._backlog: collections.deque[tuple[_Socket, bytes]] = collections.deque()
        # Attempts made during this loop iteration, sent together at its end
        # (one sendmmsg per socket with the compiled twin): per socket, in order.
        self._outbox: dict[_Socket, list[tuple[Query, bytes]]] = {}
        self._outbox_due = False
        self._writing: set[_Socket] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_tcp: set[Query] = set()
        self.closed = False

    # -- submitting ---------------------------------------------------------------

    def submit(
        self,
        name: str,
        rtype: str,
        callback: Callable[[Query], Any],
        tag: Any = None,
        *,
        attempts: int | None = None,
        timeout: float | None = None,
        lifetime: float | None = None,
        offset: int = 0,
    ) -> Query:
        """Start resolving ``name`` (an A-label) for ``rtype``; ``callback(query)``
        runs on the loop once, with :attr:`Query.result` set.  ``offset`` picks
        the first server (attempt k goes to server ``(offset + k) % n``);
        ``lifetime`` bounds the whole resolution in seconds.

        :raises IllegalName: ``name`` cannot be encoded (raised here, no callback).
        :raises TypeError: ``name`` or ``rtype`` is not a string.
        :raises ValueError: ``rtype`` is not a known record type.
        :raises ResolverClosed: the engine is closed.
        """
        if self.closed:
            raise _errors.ResolverClosed(host=name, rtype=rtype, backend=self.backend)
        qtype = _QTYPES.get(rtype) or qtype_of(rtype)
        if not isinstance(name, str):
            raise TypeError(f"the name must be a string, not {type(name).__name__}")
        tmo = timeout or self.timeout
        tries = attempts or self.attempts
        deadline = self.loop.time() + (lifetime if lifetime is not None else tmo * tries + tmo)
        q = Query(name, rtype, qtype, callback, tag, tries, tmo, deadline)
        q.offset = offset
        self._prepare(q)
        self._active.add(q)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(_SWEEP, self._sweep)
        if self.in_flight >= self.max_in_flight:
            q.queued = True
            self._waiting.append(q)
        else:
            self.in_flight += 1
            self._send(q)
        return q

    def _prepare(self, q: Query) -> None:
        """Build the query for ``q.wanted`` (raises IllegalName)."""
        try:
            name = encode_name(q.wanted)
        except (ValueError, UnicodeError) as exc:
            raise _errors.IllegalName(
                f"cannot encode {q.wanted!r}: {exc}", host=q.name, rtype=q.rtype,
                backend=self.backend,
            ) from None
        qsec = name + _QTAIL.pack(q.qtype, CLASS_IN)  # q.wanted is lower case
        q.qsec = q.question = qsec
        q.template = (self._head + qsec + self._opt) if q.edns else (self._head_plain + qsec)
        if self.case_randomization:
            # one bit per letter of the name (a length byte is < 64: never a letter)
            q.letters = int.from_bytes(
                bytes(0x20 if 97 <= c <= 122 else 0 for c in name) + b"\0\0\0\0",
                "big")

    def cancel(self, q: Query) -> None:
        """Forget ``q`` without calling its callback."""
        if q.done:
            return
        q.done = True
        self._active.discard(q)
        self._unlink(q)
        if q.queued:
            q.queued = False
            with contextlib.suppress(ValueError):
                self._waiting.remove(q)
        else:
            self._release()

    def _new_id(self) -> int:
        at = self._ids_at
        if at >= len(self._ids):
            self._ids, at = os.urandom(8192), 0
        self._ids_at = at + 2
        return (self._ids[at] << 8) | self._ids[at + 1]

    def _send(self, q: Query, server: tuple[str, int] | None = None) -> None:
        """Put one attempt of ``q`` on the wire and arm its timeout; ``server``
        (default: the one due for this attempt)."""
        if server is None:
            server = self.servers[(q.offset + q.tries) % len(self.servers)]
        socks = self._socks[server]
        self._rr += 1
        index = self._rr % len(socks)
        s = socks[index]
        if self.udp_max_queries:
            if s.uses >= self.udp_max_queries:
                self._rotate(socks, index)
                s = socks[index]
            s.uses += 1
        pending = s.pending
        qid = self._new_id()
        while qid in pending:
            qid = self._new_id()
        q.qid = qid
        q.sock = s
        q.server = server
        q.tries += 1
        q.sent_at = now = self.loop.time()
        q.attempt += 1
        q.refused = q.miscased = False
        self._serial += 1
        q.serial = serial = self._serial
        pending[qid] = q
        self._live[serial] = q
        self.stats.sent += 1
        wait = self._rtt[server].rto(q.timeout, q.attempt) if self.adaptive else q.timeout
        expiry = now + wait
        if q.letters:
            self._randomize(q, server)
        packet = _ID.pack(qid) + q.template
        if expiry <= q.deadline:
            queue = self._expiries.get(wait)
            if queue is None:
                queue = self._expiries[wait] = collections.deque()
            queue.append((expiry, serial))
        else:
            expiry = q.deadline
            heapq.heappush(self._odd, (expiry, serial))
        if self._timer is None or expiry < self._timer_at:
            self._arm(expiry)
        if self._backlog:
            self._backlog.append((s, packet))
            return
        box = self._outbox.get(s)
        if box is None:
            box = self._outbox[s] = []
        box.append((q, packet))
        if not self._outbox_due:
            self._outbox_due = True
            self.loop.call_soon(self._send_out)

    def _send_out(self) -> None:
        """Send the attempts queued during this loop iteration: one batch per
        socket (``sendmmsg``: one system call where the compiled twin is built;
        measured, one ``send`` per name was the engine's largest single cost)."""
        self._outbox_due = False
        outbox, self._outbox = self._outbox, {}
        if self.closed:
            return
        for s, box in outbox.items():
            if s.sock.fileno() < 0:
                continue  # closed meanwhile: its attempts time out and are retried
            at = 0
            while at < len(box):
                if self._backlog:  # the kernel is full: keep the order
                    self._backlog.extend((s, packet) for _, packet in box[at:])
                    break
                try:
                    at += send_batch(s.sock, [packet for _, packet in box[at:]])
                except BlockingIOError:
                    self._backlog.extend((s, packet) for _, packet in box[at:])
                    self._want_write(s)
                    break
                except ConnectionRefusedError as exc:
                    # a pending ICMP error of an earlier datagram: these were not sent
                    self._refused(s, exc)
                    break
                except OSError as exc:
                    q = box[at][0]
                    at += 1
                    if not q.done and q.sock is s and q.qid >= 0:
                        self._unlink(q)
                        self._fail_network(q, exc)

    def _randomize(self, q: Query, server: tuple[str, int]) -> None:
        """DNS 0x20: this attempt's question in random letter case (unless the
        server is known not to echo it)."""
        qsec = q.qsec
        if server in self._no_caps:
            q.caps = False
            q.question = qsec
        else:
            size = len(qsec)
            noise = int.from_bytes(os.urandom(size), "big") & q.letters
            q.question = (int.from_bytes(qsec, "big") ^ noise).to_bytes(size, "big")
            q.caps = True
        q.template = ((self._head + q.question + self._opt) if q.edns
                      else (self._head_plain + q.question))

    def _rotate(self, socks: list[_Socket], index: int) -> None:
        """Replace ``socks[index]`` by a fresh socket on a new random port; the
        old one keeps serving its pending queries until they end."""
        old = socks[index]
        try:
            new = _Socket(old.server)
        except OSError as exc:  # out of descriptors: keep the old port for now
            old.uses = 0
            log.warning("cannot open a new UDP socket to %s (%s); keeping the old port",
                        nameserver_text(*old.server), exc)
            return
        self.loop.add_reader(new.sock.fileno(), self._read, new)
        socks[index] = new
        self.stats.rotated += 1
        old.retired = True
        if old.pending:
            self._retired.add(old)
        else:
            self._close_socket(old)

    def _close_socket(self, s: _Socket) -> None:
        self._retired.discard(s)
        if not self.loop.is_closed():
            self.loop.remove_reader(s.sock.fileno())
            if s in self._writing:
                self.loop.remove_writer(s.sock.fileno())
                self._writing.discard(s)
        if self._backlog:  # datagrams still waiting for it are dropped (they time out)
            self._backlog = collections.deque((b, p) for b, p in self._backlog if b is not s)
        s.sock.close()

    def _want_write(self, s: _Socket) -> None:
        if s not in self._writing:
            self._writing.add(s)
            self.loop.add_writer(s.sock.fileno(), self._flush)

    def _flush(self) -> None:
        """The kernel has room again: send what waited, in order."""
        backlog = self._backlog
        while backlog:
            s, packet = backlog[0]
            try:
                s.sock.send(packet)
            except BlockingIOError:
                self._want_write(s)
                return
            except OSError:
                pass  # the attempt will time out and be retried
            backlog.popleft()
        for s in self._writing:
            self.loop.remove_writer(s.sock.fileno())
        self._writing.clear()

    def _fail_network(self, q: Query, exc: OSError) -> None:
        cls = (_errors.ConnectionRefused if exc.errno == errno.ECONNREFUSED
               else _errors.NetworkError)
        self._retry_or(q, cls(f"{exc}", host=q.name, rtype=q.rtype, backend=self.backend,
                            server=nameserver_text(*q.server) if q.server else None))

    # -- timers -------------------------------------------------------------------

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.loop.call_at(when, self._expire)

    def _expire(self) -> None:
        self._timer = None
        now = self.loop.time()
        expired: list[Query] = []
        nxt = float("inf")
        live = self._live
        for queue in self._expiries.values():
            while queue and queue[0][0] <= now:
                q = live.pop(queue.popleft()[1], None)
                if q is not None and q.qid >= 0 and not q.done:
                    expired.append(q)
            if queue:
                nxt = min(nxt, queue[0][0])
        odd = self._odd
        while odd and odd[0][0] <= now:
            q = live.pop(heapq.heappop(odd)[1], None)
            if q is not None and q.qid >= 0 and not q.done:
                expired.append(q)
        if odd:
            nxt = min(nxt, odd[0][0])
        try:
            for q in expired:
                if q.done:
                    continue
                try:
                    self._timed_out(q)
                except Exception as exc:  # a bug: end this query, keep the others going
                    self._bug(q, exc, "a timeout")
        finally:
            if self._odd:
                nxt = min(nxt, self._odd[0][0])
            if nxt != float("inf") and (self._timer is None or nxt < self._timer_at):
                self._arm(nxt)

    def _timed_out(self, q: Query) -> None:
        server = nameserver_text(*q.server) if q.server else None
        refused = q.refused
        self._unlink(q)
        if q.miscased and q.server is not None and q.caps:
            # only replies in the wrong letter case came: a server that does
            # not preserve case; ask it again without 0x20 (not an attempt)
            if q.server not in self._no_caps:
                self._no_caps.add(q.server)
                log.info("%s does not echo the 0x20 letter case; asking it without 0x20 "
                         "from now on", server)
            q.attempts += 1
            self.stats.retries += 1
            self._send(q, q.server)
            return
        if q.bad is not None and not refused:
            error: _errors.ResolveError = _errors.FormErr(
                f"only malformed replies for {q.name!r} ({q.rtype}) after {q.tries} "
                f"attempt(s): {q.bad}", host=q.name, rtype=q.rtype, backend=self.backend,
                server=server)
        elif refused:
            error = _errors.ConnectionRefused(
                f"port unreachable at {server} (ICMP) for {q.name!r} ({q.rtype}) after "
                f"{q.tries} attempt(s)", host=q.name, rtype=q.rtype, backend=self.backend,
                server=server)
        else:
            self.stats.timeouts += 1
            error = _errors.Timeout(
                f"no answer for {q.name!r} ({q.rtype}) after {q.tries} attempt(s) of "
                f"at most {q.timeout:g}s", timeout=q.timeout, host=q.name, rtype=q.rtype,
                backend=self.backend, server=server)
        self._retry_or(q, error)

    def _unlink(self, q: Query) -> None:
        """Take ``q``'s attempt off the wire (its ID is free again)."""
        s = q.sock
        if q.qid >= 0 and s is not None:
            if s.pending.get(q.qid) is q:
                del s.pending[q.qid]
                if s.retired and not s.pending:
                    self._close_socket(s)
            q.qid = -1
        self._live.pop(q.serial, None)

    def _retry_or(self, q: Query, error: _errors.ResolveError) -> None:
        if q.attempt < q.attempts and self.loop.time() < q.deadline and not self.closed:
            self.stats.retries += 1
            if log.isEnabledFor(_DEBUG):
                nxt = self.servers[(q.offset + q.tries) % len(self.servers)]
                log.debug("retry %d/%d of %s %s at %s after: %s", q.attempt + 1, q.attempts,
                          q.name, q.rtype, nameserver_text(*nxt), error)
            self._send(q)
        else:
            self._finish(q, error)

    def _sweep(self) -> None:
        """The watchdog: end every query still alive :data:`_GRACE` seconds
        after its deadline (a bug elsewhere must not strand a caller)."""
        self._sweeper = None
        if self.closed:
            return
        limit = self.loop.time() - _GRACE
        stale = [q for q in self._active if q.deadline < limit]
        for q in stale:
            if q.done:
                continue
            self.stats.stranded += 1
            log.warning("watchdog: %s %s was still unfinished after its deadline "
                        "(tries %d, in TCP: %s); ending it with a timeout",
                        q.name, q.rtype, q.tries, q in self._in_tcp)
            self._unlink(q)
            self._in_tcp.discard(q)
            self._finish(q, _errors.Timeout(
                f"no answer for {q.name!r} ({q.rtype}) before its deadline",
                timeout=q.timeout, host=q.name, rtype=q.rtype, backend=self.backend,
                server=nameserver_text(*q.server) if q.server else None))
        if self._active:
            self._sweeper = self.loop.call_later(_SWEEP, self._sweep)

    def _bug(self, q: Query | None, exc: BaseException, where: str) -> None:
        """An exception escaped the handling of ``q``: end it with a typed error."""
        self.stats.errors += 1
        log.error("error while handling %s for %s: %s: %s", where,
                  f"{q.name} {q.rtype}" if q is not None else "an unmatched reply",
                  type(exc).__name__, exc, exc_info=exc)
        if q is None or q.done:
            return
        self._unlink(q)
        self._in_tcp.discard(q)
        self._finish(q, _errors.FormErr(
            f"could not handle the reply: {type(exc).__name__}: {exc}", host=q.name,
            rtype=q.rtype, backend=self.backend,
            server=nameserver_text(*q.server) if q.server else None))

    # -- receiving ----------------------------------------------------------------

    def _read(self, s: _Socket) -> None:
        size = self._recv_size
        pending = s.pending
        stats = self.stats
        addr = s.server  # recv_batch keeps only datagrams from the socket's peer
        for _ in range(_READ_BURST // _RECV_BATCH):
            try:
                datagrams, wrong = recv_batch(s.sock, _RECV_BATCH, size)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError as exc:
                self._refused(s, exc)
                continue
            except OSError:
                if s.sock.fileno() < 0:  # closed under us (rotation, close)
                    return
                continue  # another ICMP error: the attempts time out and are retried
            if wrong:
                stats.wrong_source += wrong
            if self._read_batch(s, datagrams, pending, stats, addr):
                return
            if len(datagrams) < _RECV_BATCH:
                return  # drained

    def _read_batch(self, s: _Socket, datagrams: list[bytes], pending: dict[int, Query],
                    stats: Stats, addr: tuple[str, int]) -> bool:
        """Handle one burst of datagrams of ``s``; True when ``s`` was closed."""
        for data in datagrams:
            q = None
            try:
                if len(data) < 12:
                    stats.malformed += 1
                    continue
                q = pending.get((data[0] << 8) | data[1])
                if q is None:
                    stats.unexpected += 1
                    if log.isEnabledFor(_DEBUG):
                        log.debug("reply with an unexpected ID from %s dropped (late or "
                                  "spoofed)", addr)
                    continue
                server = q.server
                if server is None or addr[1] != server[1] or addr[0] != server[0]:
                    stats.wrong_source += 1
                    if log.isEnabledFor(_DEBUG):
                        log.debug("reply for %s from a wrong source %s dropped", q.name, addr)
                    q = None
                    continue
                question = q.question
                got = data[12 : 12 + len(question)]
                if got != question:
                    if data[4] == 0 and data[5] == 0:  # no question: FORMERR and the like
                        self._bare(q, data)
                        continue
                    if got.lower() != question.lower():
                        stats.wrong_question += 1
                        if log.isEnabledFor(_DEBUG):
                            log.debug("reply for %s with another question dropped", q.name)
                        q = None
                        continue
                    if q.caps:  # only the 0x20 case differs
                        self._case_mismatch(q, data)
                        continue
                response = parse_response(data, question, q.wanted)
                if not response.flags & FLAG_QR:
                    raise ParseError("QR bit not set")
                del pending[q.qid]
                q.qid = -1
                del self._live[q.serial]
                stats.answered += 1
                if q.attempt == 1 and self.adaptive and not q.serial & 7:  # 1 in 8 is plenty
                    self._rtt[s.server].sample(self.loop.time() - q.sent_at)
                self._on_response(q, response, data, tcp=False)
                if not pending and s.retired:
                    self._close_socket(s)
                    return True
            except ParseError as exc:
                stats.malformed += 1
                if log.isEnabledFor(_DEBUG):
                    log.debug("malformed reply from %s dropped: %s", addr, exc)
                if q is not None and not q.done:
                    if q.qid < 0:  # taken off the wire already
                        self._bug(q, exc, "a reply")
                    else:  # dropped (it may be forged): if nothing better comes, FormErr
                        q.bad = str(exc)
            except Exception as exc:
                self._bug(q, exc, "a reply")
        return False

    def _bare(self, q: Query, data: bytes) -> None:
        """A reply without a question section, matched by ID and source: an
        error RCODE ends the attempt (a FORMERR to an EDNS query is retried
        without EDNS, as c-ares does); anything else is malformed."""
        rcode = data[3] & 0xF
        if not data[2] & 0x80 or rcode not in _BARE_RCODES:
            self.stats.malformed += 1
            return
        self._unlink(q)
        self.stats.answered += 1
        self._rcode(q, rcode, None)

    def _case_mismatch(self, q: Query, data: bytes) -> None:
        """The reply matches but for the letter case of the 0x20 name: a server
        that does not preserve case, or a spoofer who guessed ID and port.
        The reply is not accepted and the attempt goes on (the genuine,
        well-cased reply may still come); if it times out, the server is
        taken not to preserve case: remembered, and asked again at once
        without 0x20 (unbound's ``use-caps-for-id`` falls back likewise)."""
        self.stats.wrong_case += 1
        if log.isEnabledFor(_DEBUG):
            log.debug("reply for %s with the wrong 0x20 letter case dropped", q.name)
        q.miscased = True

    def _refused(self, s: _Socket, exc: OSError) -> None:
        """ICMP port unreachable from the server (the error does not say for
        which datagram): the attempts pending on this socket failed.  Each one's
        next attempt waits its turn - the configured timeout, doubled per
        attempt, from when it was sent - unless it goes to another server that
        has not refused lately; a last attempt waits for its own timeout (its
        answer may still come) and then fails as ConnectionRefused."""
        now = self.loop.time()
        server = s.server
        self._refused_at[server] = now
        stats = self.stats
        stats.refused += 1
        if log.isEnabledFor(_INFO):
            log.info("%s: port unreachable (ICMP); %d pending attempt(s) on that socket "
                     "will be retried in turn", nameserver_text(*server), len(s.pending))
        n = len(self.servers)
        for q in list(s.pending.values()):
            if q.done or q.refused or q.sock is not s:
                continue
            q.refused = True
            stats.parked += 1
            if q.attempt >= q.attempts:
                continue  # no retry left: it ends at its own timeout
            nxt = self.servers[(q.offset + q.tries) % n]
            at = now
            if now - self._refused_at.get(nxt, -1e9) < q.timeout:
                at = q.sent_at + q.timeout * (1 << min(q.attempt - 1, 8))
                margin = self._rtt[nxt].rto(q.timeout, q.attempt + 1) if self.adaptive else 0.0
                at = max(now, min(at, q.deadline - margin))
            if at <= now:
                self._unlink(q)
                self._retry_or(q, _errors.ConnectionRefused(
                    f"{exc.strerror or exc}", host=q.name, rtype=q.rtype, backend=self.backend,
                    server=nameserver_text(*server)))
                continue
            # stay answerable on the wire, but expire (and so retry) at ``at``
            self._live.pop(q.serial, None)
            self._serial += 1
            q.serial = self._serial
            self._live[q.serial] = q
            heapq.heappush(self._odd, (at, q.serial))
            if self._timer is None or at < self._timer_at:
                self._arm(at)

    def _on_response(self, q: Query, r: Response, data: bytes, *, tcp: bool) -> None:
        if r.flags & 0x0200:  # TC
            if tcp or not self.tcp_fallback:
                self._finish(q, _errors.Truncated(
                    "answer truncated" + (" over TCP" if tcp else " (TCP fallback off)"),
                    host=q.name, rtype=q.rtype, backend=self.backend,
                    server=nameserver_text(*q.server) if q.server else None))
                return
            self.stats.tcp += 1
            if log.isEnabledFor(_DEBUG):
                log.debug("%s %s: truncated answer from %s, asking over TCP", q.name, q.rtype,
                          nameserver_text(*q.server) if q.server else None)
            self._in_tcp.add(q)
            task = self.loop.create_task(self._tcp(q))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        rcode = r.rcode
        if rcode == 0:
            self._answer(q, r, data)
            return
        self._rcode(q, rcode, r)

    def _rcode(self, q: Query, rcode: int, r: Response | None) -> None:
        """An error RCODE (``r`` is ``None`` for a reply without a question)."""
        server = nameserver_text(*q.server) if q.server else None
        if rcode == 1 and q.edns and self._opt:
            # FORMERR to a query with EDNS: the server may not know EDNS; ask
            # it again without (c-ares does the same); this does not count as
            # an attempt.
            if log.isEnabledFor(_DEBUG):
                log.debug("%s %s: FORMERR from %s, retrying without EDNS", q.name, q.rtype,
                          server)
            q.edns = False
            q.template = self._head_plain + q.question
            q.attempts += 1
            self.stats.retries += 1
            assert q.server is not None
            self._send(q, q.server)
            return
        cls = _RCODE_ERRORS.get(rcode, _errors.ServFail)
        extra: dict[str, Any] = {}
        if rcode == 3 and r is not None:
            extra = _negative(r)
        error = cls(None if rcode in _RCODE_ERRORS else f"server answered rcode {rcode}",
                    host=q.name, rtype=q.rtype, backend=self.backend, server=server, **extra)
        if rcode in _RETRY_RCODES or rcode not in _RCODE_ERRORS:
            if log.isEnabledFor(_DEBUG):
                log.debug("%s %s: rcode %d from %s", q.name, q.rtype, rcode, server)
            self._retry_or(q, error)  # another server may do better
        else:
            self._finish(q, error)

    def _answer(self, q: Query, r: Response, data: bytes) -> None:
        qtype = q.qtype
        current = q.wanted
        answers = r.answers
        records: list[Record] = []
        ttl = q.ttl
        server = nameserver_text(*q.server) if q.server else None
        try:
            while True:
                cname = None
                for rr in answers:
                    if rr.owner == current:
                        if rr.rtype == qtype:
                            if rr.rclass != CLASS_IN:
                                continue  # another class: not an answer to our question
                            records.append(rdata_record(data, rr))
                            if rr.ttl < ttl:
                                ttl = rr.ttl
                        elif rr.rtype == TYPE_CNAME and cname is None and rr.value is not None:
                            cname = rr
                if records or cname is None:
                    break
                if q.seen is None:
                    q.seen = {q.wanted}
                assert cname.value is not None
                if cname.value in q.seen or len(q.aliases) >= MAX_CNAME_HOPS:
                    self._finish(q, _errors.NoData(
                        f"CNAME loop or chain longer than {MAX_CNAME_HOPS} at {current!r}",
                        host=q.name, rtype=q.rtype, backend=self.backend, server=server))
                    return
                q.seen.add(cname.value)
                q.aliases.append(current)
                ttl = min(ttl, cname.ttl)
                current = cname.value
        except ParseError as exc:
            self._finish(q, _errors.FormErr(f"unparsable answer: {exc}", host=q.name,
                                            rtype=q.rtype, backend=self.backend, server=server))
            return
        q.ttl = ttl
        if records:
            self._finish(q, Answer(q.name, q.rtype, tuple(records), current, ttl, server,
                                   tuple(q.aliases)))
            return
        if current != q.wanted:  # the answer stops at a CNAME: ask for its target
            q.wanted = current
            q.attempt = 0
            try:
                self._prepare(q)
            except _errors.IllegalName as exc:  # a CNAME target we cannot ask for
                self._finish(q, exc)
                return
            self._send(q)
            return
        self._finish(q, _errors.NoData(host=q.name, rtype=q.rtype, backend=self.backend,
                                       server=server, **_negative(r)))

    async def _tcp(self, q: Query) -> None:
        """The same question over TCP to the same server (after TC=1).  A
        failure is a failed attempt: retried while attempts and time remain."""
        try:
            assert q.server is not None
            server = nameserver_text(*q.server)
            budget = max(0.01, min(q.timeout, q.deadline - self.loop.time()))
            try:
                async with _compat.timeout(budget):
                    data = await self._tcp_exchange(q)
                response = parse_response(data)
                got = response.question
                if (got != q.question and (q.caps or got.lower() != q.question)) \
                        or not response.flags & FLAG_QR:
                    raise ParseError("TCP answer to another question")
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                    ParseError) as exc:
                self._in_tcp.discard(q)
                if q.done:
                    return
                self.stats.tcp_failed += 1
                reason = ("no answer in time" if isinstance(exc, asyncio.TimeoutError)
                          else f"{type(exc).__name__}: {exc}")
                if log.isEnabledFor(_DEBUG):
                    log.debug("%s %s: TCP retry at %s failed: %s", q.name, q.rtype, server,
                              reason)
                cls = _errors.FormErr if isinstance(exc, ParseError) else _errors.Truncated
                self._retry_or(q, cls(
                    f"answer truncated and TCP retry failed: {reason}",
                    host=q.name, rtype=q.rtype, backend=self.backend, server=server))
                return
            self._in_tcp.discard(q)
            if not q.done:
                self._on_response(q, response, data, tcp=True)
        except asyncio.CancelledError:
            self._in_tcp.discard(q)
            raise
        except Exception as exc:
            self._bug(q, exc, "a TCP reply")

    async def _tcp_exchange(self, q: Query) -> bytes:
        assert q.server is not None
        qid = self._new_id()
        packet = _ID.pack(qid) + q.template
        reader, writer = await asyncio.open_connection(q.server[0], q.server[1])
        try:
            writer.write(_TCP_LEN.pack(len(packet)) + packet)
            while True:  # skip anything that is not the answer to this ID
                (size,) = _TCP_LEN.unpack(await reader.readexactly(2))
                data = await reader.readexactly(size)
                if len(data) >= 12 and (data[0] << 8 | data[1]) == qid:
                    return data
        finally:
            writer.close()

    # -- finishing ----------------------------------------------------------------

    def _finish(self, q: Query, result: Answer | _errors.ResolveError) -> None:
        if q.done:
            return
        q.done = True
        q.result = result
        self._active.discard(q)
        if q.queued:  # never sent (the watchdog): not counted in flight
            q.queued = False
            with contextlib.suppress(ValueError):
                self._waiting.remove(q)
        else:
            self._release()
        try:
            q.callback(q)
        except Exception as exc:  # the caller's bug: report it, strand nobody
            self.loop.call_exception_handler({
                "message": f"aioresolve: exception in the callback of {q.name!r} ({q.rtype})",
                "exception": exc,
            })

    def _release(self) -> None:
        self.in_flight -= 1
        waiting = self._waiting
        while waiting and self.in_flight < self.max_in_flight:
            nxt = waiting.popleft()
            if nxt.done:
                continue
            nxt.queued = False
            self.in_flight += 1
            self._send(nxt)

    def close(self) -> None:
        """Fail everything in flight with ResolverClosed and close the sockets."""
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        victims = list(self._active)
        self._active.clear()
        self._waiting.clear()
        for task in list(self._tasks):
            task.cancel()
        for s in [s for socks in self._socks.values() for s in socks] + list(self._retired):
            if not self.loop.is_closed():
                self.loop.remove_reader(s.sock.fileno())
                if s in self._writing:
                    self.loop.remove_writer(s.sock.fileno())
            s.pending.clear()
            s.sock.close()
        self._retired.clear()
        self._writing.clear()
        self._backlog.clear()
        self._outbox.clear()
        for q in victims:
            if not q.done:
                q.done = True
                q.result = _errors.ResolverClosed(host=q.name, rtype=q.rtype,
                                                  backend=self.backend)
                try:
                    q.callback(q)
                except Exception as exc:
                    if not self.loop.is_closed():
                        self.loop.call_exception_handler({
                            "message": "aioresolve: exception in a lookup's callback",
                            "exception": exc,
                        })


def _negative(r: Response) -> dict[str, Any]:
    """The SOA evidence of a negative answer (RFC 2308), where the server sent it."""
    if r.soa is None:
        return {}
    return {"soa": r.soa, "negative_ttl": r.negative_ttl}
