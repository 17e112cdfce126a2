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
import socket
import struct

from .. import _errors
from .._nameservers import nameserver_text
from ._core import _DEBUG, _INFO, EngineCore, log
from ._query import Query

__all__ = ["Sockets"]

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

