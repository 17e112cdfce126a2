"""The wire engine's UDP socket set: connected sockets per server, source-port
rotation, batched sends and receives, and the matching of replies to the
queries pending on each socket (:class:`Sockets`, a part of
:class:`~aioresolve._dns.engine.Engine`).

It hands every accepted reply to ``Engine._on_response`` and every failed
attempt to ``Engine._retry_or``; it does not know what an answer means, how
a query ends or how timeouts are kept (it only arms the engine's timer).
"""

from __future__ import annotations

import collections
import errno
import heapq
import os
import socket
import struct

from .. import _errors
from .._nameservers import nameserver_text
from ._core import _DEBUG, _INFO, EngineCore, log
from ._query import Query
from ._speedups import parse_response, recv_batch, send_batch
from ._stats import Stats
from .codec import FLAG_QR, ParseError

__all__ = ["Sockets"]

#: Datagrams read per readiness event of one socket before yielding to the loop.
_RECV_BATCH = 64
_READ_BURST = 256
#: Receive buffer: the largest UDP payload, so that no datagram is ever cut.
_RECV_SIZE = 65535
_ID = struct.Struct("!H")
#: RCODEs accepted in a reply without a question section (matched by ID and source).
_BARE_RCODES = frozenset((1, 2, 4, 5))


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



class Sockets(EngineCore):
    """Sending and receiving on the UDP socket set (see the module docstring)."""

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

