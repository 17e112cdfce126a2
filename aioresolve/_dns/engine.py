"""The wire engine: many DNS queries in flight over a few UDP sockets.

Design (after massdns / zdns, in pure asyncio):

- A few non-blocking UDP sockets per server, each connected to it and so
  bound by the kernel to a random ephemeral source port.  The loop watches them with
  ``add_reader`` and each readiness event drains up to :data:`~aioresolve._dns._hot_py._READ_BURST`
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
  :data:`~aioresolve._dns._timeouts._GRACE` seconds after its deadline with
  :class:`~aioresolve.Timeout`, whatever state it is in (one timer for the
  engine, not one per query).
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

The engine is assembled from one module per part (:mod:`._core` declares
the state they share): the UDP socket set and port rotation in
:mod:`._sockets`; the RTO and watchdog in :mod:`._timeouts`; the TCP
fallback in :mod:`._tcp`; :class:`Query` and :class:`Stats` in :mod:`._query`
and :mod:`._stats`.  What runs once per name on the common path (submitting,
sending an attempt, reading and matching replies, finishing, expiring the
timeout queues) is the first base class, ``Core``, with two twins picked by
:mod:`._speedups`: :mod:`._hot_py` (the reference) and ``_hot_c`` (typed
Cython, which also decodes the common answers itself and hands anything
else to :meth:`Engine._on_response`).  This module keeps the meaning of
answers and errors.

Results are delivered by calling the query's ``callback(query)`` on the loop;
:attr:`Query.result` holds an :class:`~aioresolve.Answer` or a
:class:`~aioresolve.ResolveError`.  No task per query.  A stream
(:class:`~aioresolve._dns.stream.Stream`) starts names in batches with
``Core.start_many`` and gets its results from a ``Sink``, the callback the
compiled core calls in C, which makes each stream result as its query ends.
"""

from __future__ import annotations

import asyncio
import collections
import struct
from collections.abc import Sequence
from typing import Any

from .. import _errors
from .._nameservers import nameserver_text, parse_nameserver
from .._records import AAAA, A, Record
from ._build import new_address, new_answer
from ._core import _DEBUG, log
from ._query import qtype_of
from ._sockets import _RECV_SIZE, Sockets, _Socket
from ._speedups import Core, Query, Rtt, rdata_record
from ._stats import Stats
from ._tcp import TcpFallback
from ._timeouts import MIN_RTO, Timeouts
from .codec import CLASS_IN, TYPE_CNAME, ParseError, Response

__all__ = [
    "MAX_CNAME_HOPS", "MIN_RTO", "UDP_MAX_QUERIES", "Engine", "Query", "Stats",
    "parse_nameserver", "qtype_of",
]

#: CNAMEs followed for one name (in answers and follow-up queries together).
MAX_CNAME_HOPS = 16
#: Default queries sent on one UDP socket before it is replaced by a fresh
#: one on a new random source port (c-ares: ``udp_max_queries``).
UDP_MAX_QUERIES = 128
_QTAIL = struct.Struct("!HH")
_RCODE_ERRORS: dict[int, type[_errors.ResolveError]] = {
    1: _errors.FormErr, 2: _errors.ServFail, 3: _errors.NXDomain, 5: _errors.Refused,
}
#: RCODEs after which another server (or attempt) may do better.
_RETRY_RCODES = frozenset((2, 4, 5))


class Engine(Core, Sockets, Timeouts, TcpFallback):
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
        self._rtt = {server: Rtt() for server in self.servers}
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
        # Attempts sent to a server that had no RTT sample yet (see
        # Timeouts._expire_unsampled): re-timed by its first sample.
        self._unsampled: collections.deque[tuple[float, int]] = collections.deque()
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
        # The compiled core decodes the common answers itself, as _on_response
        # would: not for a class that replaces _on_response.
        self._fast_answers = type(self)._on_response is _ON_RESPONSE

    # -- submitting ---------------------------------------------------------------

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

    # -- answers ------------------------------------------------------------------

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
            self._answer(q, r, data, "tcp" if tcp else "udp")
            return
        self._rcode(q, rcode, r, "tcp" if tcp else "udp")

    def _rcode(self, q: Query, rcode: int, r: Response | None, protocol: str = "udp") -> None:
        """An error RCODE (``r`` is ``None`` for a reply without a question);
        the error carries the reply's header flags and ``protocol``."""
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
        if r is not None:
            extra = _negative(r) if rcode == 3 else {}
            extra["flags"] = r.flags
            extra["protocol"] = protocol
        error = cls(None if rcode in _RCODE_ERRORS else f"server answered rcode {rcode}",
                    host=q.name, rtype=q.rtype, backend=self.backend, server=server, **extra)
        if rcode in _RETRY_RCODES or rcode not in _RCODE_ERRORS:
            if log.isEnabledFor(_DEBUG):
                log.debug("%s %s: rcode %d from %s", q.name, q.rtype, rcode, server)
            self._retry_or(q, error)  # another server may do better
        else:
            self._finish(q, error)

    def _answer(self, q: Query, r: Response, data: bytes, protocol: str) -> None:
        qtype = q.qtype
        address = _ADDRESS.get(qtype)  # the record class of a decoded A/AAAA value
        current = q.wanted
        answers = r.answers
        records: list[Record] = []
        ttl = q.ttl
        server = None
        if q.server:  # "ip:port", cached (formatting it was ~0.6 us an answer, pure twin)
            server = _TEXTS.get(q.server)
            if server is None:
                server = _TEXTS[q.server] = nameserver_text(*q.server)
        try:
            while True:
                cname = None
                for rr in answers:
                    if rr.owner == current:
                        if rr.rtype == qtype:
                            if rr.rclass != CLASS_IN:
                                continue  # another class: not an answer to our question
                            if rr.value is not None and address is not None:  # decoded
                                records.append(new_address(address, rr.ttl, rr.value))
                            else:
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
                        host=q.name, rtype=q.rtype, backend=self.backend, server=server,
                        flags=r.flags, protocol=protocol))
                    return
                q.seen.add(cname.value)
                q.aliases.append(current)
                q.alias_ttls.append(cname.ttl)
                ttl = min(ttl, cname.ttl)
                current = cname.value
        except ParseError as exc:
            self._finish(q, _errors.FormErr(f"unparsable answer: {exc}", host=q.name,
                                            rtype=q.rtype, backend=self.backend, server=server))
            return
        q.ttl = ttl
        if records:
            self._finish(q, new_answer(q.name, q.rtype, tuple(records), current, ttl, server,
                                       tuple(q.aliases), r.flags, protocol,
                                       tuple(q.alias_ttls)))
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
                                       server=server, flags=r.flags, protocol=protocol,
                                       **_negative(r)))

    # -- finishing ----------------------------------------------------------------

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


_ON_RESPONSE = Engine._on_response
#: "ip:port" of the servers answers came from (a few per process)
_TEXTS: dict[tuple[str, int], str] = {}
_ADDRESS: dict[int, type[A] | type[AAAA]] = {1: A, 28: AAAA}  # record class by type


def _negative(r: Response) -> dict[str, Any]:
    """The SOA evidence of a negative answer (RFC 2308), where the server sent it."""
    if r.soa is None:
        return {}
    return {"soa": r.soa, "negative_ttl": r.negative_ttl, "soa_owner": r.soa_owner}
