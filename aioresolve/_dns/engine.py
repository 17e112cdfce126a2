"""The wire engine: many DNS queries in flight over a few UDP sockets.

Design (after massdns / zdns, in pure asyncio):

- A few non-blocking UDP sockets per server, each connected to it and so
  bound by the kernel to a random ephemeral source port.  The loop watches them with
  ``add_reader`` and each readiness event drains up to :data:`_READ_BURST`
  datagrams: asyncio's ``DatagramProtocol`` transport reads *one* datagram per
  loop iteration, which at 50k+ answers/s costs a full loop iteration (epoll
  call included) per answer.
- Queries in flight are keyed by (socket, 16-bit ID); IDs come from
  ``os.urandom``.  A reply is accepted only if its ID is pending on that
  socket, its source address and port are the server's the query went to,
  and its question (name, type, class) equals the one sent, compared
  case-insensitively.  Anything else is counted in :class:`Stats` and dropped:
  a spoofed or garbled reply never ends a query, the genuine one still can.
- Per-attempt timeouts adapt to each server's measured RTT as TCP's RTO does
  (RFC 6298: SRTT + 4 RTTVAR, at least 200 ms, doubled per retry, capped by
  the configured ``timeout``), rounded up to 50 ms steps.
- Timeouts: attempts with the same timeout expire in the order they were sent,
  so each distinct timeout value has one FIFO deque of (expiry, serial)
  and the engine keeps a single loop timer at the earliest head.  Adding and
  expiring an attempt is O(1) whatever the number in flight (no
  ``call_later`` per query).  Attempts clipped by a per-host deadline (rare)
  go to a small heap.
- TC=1 → the same question over TCP (one short-lived connection per query);
  SERVFAIL/REFUSED and timeouts → the next server, until ``attempts`` are
  used up or the deadline passes; CNAME chains are followed within the answer
  and, when the answer stops at a CNAME, with a follow-up query (at most
  :data:`MAX_CNAME_HOPS`, loops detected).

Results are delivered by calling the query's ``callback(query)`` on the loop;
:attr:`Query.result` holds an :class:`~aioresolve.Answer` or a
:class:`~aioresolve.ResolveError`.  No task per query.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import heapq
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
from .codec import (
    CLASS_IN,
    FLAG_QR,
    TYPE_CNAME,
    ParseError,
    Response,
    encode_name,
    parse_response,
    rdata_record,
)

__all__ = ["MAX_CNAME_HOPS", "Engine", "Query", "Stats", "parse_nameserver"]

#: CNAMEs followed for one name (in answers and follow-up queries together).
MAX_CNAME_HOPS = 16
#: Datagrams read per readiness event of one socket before yielding to the loop.
_READ_BURST = 256
#: Floor of the adaptive per-attempt timeout (seconds), as TCP's minimum RTO.
MIN_RTO = 0.2
_QTAIL = struct.Struct("!HH")
_ID = struct.Struct("!H")
_TCP_LEN = struct.Struct("!H")
_RCODE_ERRORS: dict[int, type[_errors.ResolveError]] = {
    1: _errors.FormErr, 2: _errors.ServFail, 3: _errors.NXDomain, 5: _errors.Refused,
}
_QTYPES: dict[str, int] = {}


def qtype_of(rtype: str) -> int:
    """The numeric type of a mnemonic (cached)."""
    value = _QTYPES.get(rtype)
    if value is None:
        value = _QTYPES[rtype] = int(dns.rdatatype.from_text(rtype))
    return value


class Stats:
    """Counters of one engine (monotonic; read them, or :meth:`as_dict`).

    ``unexpected`` counts replies whose ID is not pending on that socket (late
    answers after a timeout as well as blind spoofing); ``wrong_source`` and
    ``wrong_question`` count replies with a pending ID that failed the other
    checks; ``malformed`` counts undecodable datagrams.
    """

    __slots__ = (
        "answered", "malformed", "retries", "sent", "tcp", "timeouts", "unexpected",
        "wrong_question", "wrong_source",
    )

    def __init__(self) -> None:
        self.sent = self.answered = self.retries = self.timeouts = self.tcp = 0
        self.malformed = self.unexpected = self.wrong_question = self.wrong_source = 0

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
        "callback",
        "deadline",
        "done",
        "name",
        "offset",
        "qid",
        "qtype",
        "question",
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
        self.question = b""
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

    __slots__ = ("pending", "server", "sock")

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.connect(server)  # UDP: no packet sent, binds a random source port
        for size in (1 << 22, 1 << 20):  # room for bursts of answers (capped by rmem_max)
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
                break
            except OSError:
                continue
        self.pending: dict[int, Query] = {}


class Engine:
    """See the module docstring.  One engine belongs to one event loop."""

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
    ) -> None:
        if not servers:
            raise ValueError("the wire engine needs at least one nameserver")
        self.loop = loop
        self.servers = list(servers)
        self.timeout = timeout
        self.attempts = attempts
        self.max_in_flight = max_in_flight
        self.tcp_fallback = tcp_fallback
        self.adaptive = adaptive_timeout
        # a datagram longer than the buffer is cut short (and then malformed)
        self._recv_size = max(4096, payload)
        self._rtt = {server: _Rtt() for server in self.servers}
        self.backend = backend
        self.stats = Stats()
        self._head = struct.pack("!HHHHH", 0x0100, 1, 0, 0, 1 if payload > 0 else 0)
        self._opt = b"\x00" + struct.pack("!HHIH", 41, payload, 0, 0) if payload > 0 else b""
        self._socks: dict[tuple[str, int], list[_Socket]] = {
            server: [_Socket(server) for _ in range(max(1, sockets))]
            for server in dict.fromkeys(self.servers)
        }
        for socks in self._socks.values():
            for s in socks:
                loop.add_reader(s.sock.fileno(), self._read, s)
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
        self._backlog: collections.deque[tuple[_Socket, bytes]] = collections.deque()
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
        :raises ResolverClosed: the engine is closed.
        """
        if self.closed:
            raise _errors.ResolverClosed(host=name, rtype=rtype, backend=self.backend)
        qtype = _QTYPES.get(rtype) or qtype_of(rtype)
        tmo = timeout or self.timeout
        tries = attempts or self.attempts
        deadline = self.loop.time() + (lifetime if lifetime is not None else tmo * tries + tmo)
        q = Query(name, rtype, qtype, callback, tag, tries, tmo, deadline)
        q.offset = offset
        self._prepare(q)
        if self.in_flight >= self.max_in_flight:
            self._waiting.append(q)
        else:
            self.in_flight += 1
            self._send(q)
        return q

    def _prepare(self, q: Query) -> None:
        """Build the query for ``q.wanted`` (raises IllegalName)."""
        try:
            qsec = encode_name(q.wanted) + _QTAIL.pack(q.qtype, CLASS_IN)
        except (ValueError, UnicodeError) as exc:
            raise _errors.IllegalName(
                f"cannot encode {q.wanted!r}: {exc}", host=q.name, rtype=q.rtype,
                backend=self.backend,
            ) from None
        q.template = self._head + qsec + self._opt
        q.question = qsec.lower()

    def cancel(self, q: Query) -> None:
        """Forget ``q`` without calling its callback."""
        if q.done:
            return
        q.done = True
        self._unlink(q)
        try:
            self._waiting.remove(q)
        except ValueError:
            self._release()

    def _new_id(self) -> int:
        at = self._ids_at
        if at >= len(self._ids):
            self._ids, at = os.urandom(8192), 0
        self._ids_at = at + 2
        return (self._ids[at] << 8) | self._ids[at + 1]

    def _send(self, q: Query) -> None:
        """Put one attempt of ``q`` on the wire and arm its timeout."""
        server = self.servers[(q.offset + q.tries) % len(self.servers)]
        socks = self._socks[server]
        self._rr += 1
        s = socks[self._rr % len(socks)]
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
        self._serial += 1
        q.serial = serial = self._serial
        pending[qid] = q
        self._live[serial] = q
        self.stats.sent += 1
        wait = self._rtt[server].rto(q.timeout, q.attempt) if self.adaptive else q.timeout
        expiry = now + wait
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
        try:
            s.sock.send(packet)
        except BlockingIOError:
            self._backlog.append((s, packet))
            self._want_write(s)
        except OSError as exc:
            self._unlink(q)
            self._fail_network(q, exc)

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
        for q in expired:
            self.stats.timeouts += 1
            self._unlink(q)
            self._retry_or(q, _errors.Timeout(
                f"no answer for {q.name!r} ({q.rtype}) after {q.tries} attempt(s) of "
                f"at most {q.timeout:g}s", timeout=q.timeout, host=q.name, rtype=q.rtype,
                backend=self.backend, server=nameserver_text(*q.server) if q.server else None))
        if nxt != float("inf") and (self._timer is None or nxt < self._timer_at):
            self._arm(nxt)

    def _unlink(self, q: Query) -> None:
        """Take ``q``'s attempt off the wire (its ID is free again)."""
        if q.qid >= 0 and q.sock is not None:
            if q.sock.pending.get(q.qid) is q:
                del q.sock.pending[q.qid]
            q.qid = -1
        self._live.pop(q.serial, None)

    def _retry_or(self, q: Query, error: _errors.ResolveError) -> None:
        if q.attempt < q.attempts and self.loop.time() < q.deadline and not self.closed:
            self.stats.retries += 1
            self._send(q)
        else:
            self._finish(q, error)

    # -- receiving ----------------------------------------------------------------

    def _read(self, s: _Socket) -> None:
        recv = s.sock.recvfrom
        size = self._recv_size
        pending = s.pending
        stats = self.stats
        for _ in range(_READ_BURST):
            try:
                data, addr = recv(size)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError as exc:
                self._refused(s, exc)
                continue
            except OSError:
                continue  # another ICMP error: the attempts time out and are retried
            if len(data) < 12:
                stats.malformed += 1
                continue
            q = pending.get((data[0] << 8) | data[1])
            if q is None:
                stats.unexpected += 1
                continue
            server = q.server
            if server is None or addr[1] != server[1] or addr[0] != server[0]:
                stats.wrong_source += 1
                continue
            question = q.question
            if data[12 : 12 + len(question)].lower() != question:
                stats.wrong_question += 1
                continue
            try:
                response = parse_response(data, question, q.wanted)
            except ParseError:
                stats.malformed += 1
                continue
            if not response.flags & FLAG_QR:
                stats.malformed += 1
                continue
            del pending[q.qid]
            q.qid = -1
            del self._live[q.serial]
            stats.answered += 1
            if q.attempt == 1 and self.adaptive and not q.serial & 7:  # 1 in 8 is plenty
                self._rtt[s.server].sample(self.loop.time() - q.sent_at)
            self._on_response(q, response, data, tcp=False)

    def _refused(self, s: _Socket, exc: OSError) -> None:
        """ICMP port unreachable from the server: every attempt pending on this
        socket failed (the error does not say which one)."""
        for q in list(s.pending.values()):
            self._unlink(q)
            self._retry_or(q, _errors.ConnectionRefused(
                f"{exc.strerror or exc}", host=q.name, rtype=q.rtype, backend=self.backend,
                server=nameserver_text(*s.server)))

    def _on_response(self, q: Query, r: Response, data: bytes, *, tcp: bool) -> None:
        if r.flags & 0x0200:  # TC
            if tcp or not self.tcp_fallback:
                self._finish(q, _errors.Truncated(
                    "answer truncated" + ("" if tcp else " (TCP fallback off)"),
                    host=q.name, rtype=q.rtype, backend=self.backend,
                    server=nameserver_text(*q.server) if q.server else None))
                return
            self.stats.tcp += 1
            task = self.loop.create_task(self._tcp(q))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        rcode = r.rcode
        if rcode == 0:
            self._answer(q, r, data)
            return
        cls = _RCODE_ERRORS.get(rcode, _errors.ServFail)
        server = nameserver_text(*q.server) if q.server else None
        error = cls(None if rcode in _RCODE_ERRORS else f"server answered rcode {rcode}",
                    host=q.name, rtype=q.rtype, backend=self.backend, server=server)
        if rcode in (2, 5) or rcode not in _RCODE_ERRORS:
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
                            records.append(rdata_record(data, rr))
                            if rr.ttl < ttl:
                                ttl = rr.ttl
                        elif rr.rtype == TYPE_CNAME and cname is None:
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
            self._finish(q, Answer(q.name, q.rtype, tuple(records), current, ttl, server))
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
                                       server=server))

    async def _tcp(self, q: Query) -> None:
        """The same question over TCP to the same server (after TC=1)."""
        assert q.server is not None
        server = nameserver_text(*q.server)
        self._in_tcp.add(q)
        budget = max(0.01, min(q.timeout * 2, q.deadline - self.loop.time()))
        try:
            async with _compat.timeout(budget):
                data = await self._tcp_exchange(q)
            response = parse_response(data)
            if response.question.lower() != q.question or not response.flags & FLAG_QR:
                raise ParseError("TCP answer to another question")
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ParseError) as exc:
            self._finish(q, _errors.Truncated(
                f"answer truncated and TCP retry failed: {type(exc).__name__}: {exc}",
                host=q.name, rtype=q.rtype, backend=self.backend, server=server))
            return
        finally:
            self._in_tcp.discard(q)
        if not q.done:
            self._on_response(q, response, data, tcp=True)

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
        self._release()
        q.callback(q)

    def _release(self) -> None:
        self.in_flight -= 1
        waiting = self._waiting
        while waiting and self.in_flight < self.max_in_flight:
            nxt = waiting.popleft()
            if nxt.done:
                continue
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
        victims = [q for socks in self._socks.values() for s in socks
                   for q in s.pending.values()]
        victims += list(self._waiting) + list(self._in_tcp)
        self._waiting.clear()
        for task in list(self._tasks):
            task.cancel()
        for socks in self._socks.values():
            for s in socks:
                if not self.loop.is_closed():
                    self.loop.remove_reader(s.sock.fileno())
                    if s in self._writing:
                        self.loop.remove_writer(s.sock.fileno())
                s.pending.clear()
                s.sock.close()
        for q in victims:
            if not q.done:
                q.done = True
                q.result = _errors.ResolverClosed(host=q.name, rtype=q.rtype,
                                                  backend=self.backend)
                q.callback(q)
