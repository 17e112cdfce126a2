"""The wire engine's timeouts: per-server adaptive retransmission timeouts
(:class:`_Rtt`), the FIFO timeout queues with one loop timer, and the
watchdog (:class:`Timeouts`, a part of :class:`~aioresolve._dns.engine.Engine`).

It decides that an attempt has failed (timed out, refused, only malformed or
mis-cased replies) and hands it to ``Engine._retry_or``; it knows nothing of
sockets beyond ``Engine._unlink`` and ``Engine._send``.
"""

from __future__ import annotations

import math

from .. import _errors
from .._nameservers import nameserver_text
from ._core import EngineCore, log
from ._query import Query

__all__ = ["MIN_RTO", "Timeouts"]

#: Floor of the adaptive per-attempt timeout (seconds), as TCP's minimum RTO.
MIN_RTO = 0.2
#: The watchdog ends a query still alive this long after its deadline.
_GRACE = 0.5
#: Seconds between two watchdog sweeps (while queries are alive).
_SWEEP = 1.0


class _Rtt:
    """Retransmission timeout of one server, as TCP computes it (RFC 6298):
    smoothed RTT plus four deviations, from answers to first attempts only
    (Karn), never below :data:`MIN_RTO`.  Rounded up to 50 ms steps so that
    attempts share a few FIFO timeout queues."""

    __slots__ = ("_ceiling", "_first", "srtt", "var")

    def __init__(self) -> None:
        self.srtt = -1.0
        self.var = 0.0
        # the first attempts' timeout for the last ceiling asked, until the next
        # sample (1 answer in 8 is sampled: ~1 us a send saved, pure twin)
        self._ceiling: float | None = None
        self._first = 0.0

    def sample(self, rtt: float) -> None:
        self._ceiling = None
        if self.srtt < 0:
            self.srtt, self.var = rtt, rtt / 2
        else:
            self.var += 0.25 * (abs(self.srtt - rtt) - self.var)
            self.srtt += 0.125 * (rtt - self.srtt)

    def rto(self, ceiling: float, attempt: int) -> float:
        """Timeout of the ``attempt``-th try (1-based): doubled on each retry."""
        if self.srtt < 0:
            return ceiling
        if attempt == 1 and ceiling == self._ceiling:
            return self._first
        base = max(MIN_RTO, self.srtt + 4 * self.var) * (1 << min(attempt - 1, 8))
        value = min(ceiling, math.ceil(base * 20) / 20)
        if attempt == 1:
            self._ceiling, self._first = ceiling, value
        return value


class Timeouts(EngineCore):
    """The timeout queues and the watchdog (see the module docstring)."""

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self.loop.call_at(when, self._expire)

    # -- attempts sent before their server's first RTT sample ----------------------

    def _expire_unsampled(self, now: float, expired: list[Query], limit: int) -> float:
        """Move the due attempts of :attr:`_unsampled` to ``expired`` (at most
        ``limit`` in all); return when the next one is due.

        An attempt sent to a server with no RTT sample yet waits the ceiling
        (its whole per-attempt timeout: 1.67 s with bulk's defaults).  At the
        start of a run that is every attempt of the first burst, and a burst
        of 500 first queries can overflow a server's receive buffer: a query
        lost there held its name for the whole ceiling although the other
        answers had long shown the server answering in a millisecond.  So
        these attempts wait in a queue of their own, in send order, and each
        is due at its ceiling or, once its server has an RTT sample, at its
        send time plus the RTO, whichever comes first (as TCP re-arms its
        retransmission timer with the RTO it has now).  Samples still come
        from answers to first attempts only (Karn): a server that never
        answers one keeps every attempt at its ceiling.  One queue for all
        servers: an attempt to a server with no sample at its head holds back
        later ones at most until its own ceiling."""
        while len(expired) < limit:
            head = self._unsampled_head()
            if head is None:
                return math.inf
            q, due = head
            if due > now:
                return due
            self._unsampled.popleft()
            del self._live[q.serial]
            expired.append(q)
        return now if self._unsampled else math.inf  # more may be due: back at once

    def _retime_unsampled(self) -> None:
        """A server's RTT was sampled: the first of :attr:`_unsampled` may be due
        sooner than the timer (called on a sample while that queue is not empty)."""
        head = self._unsampled_head()
        if head is not None and (self._timer is None or head[1] < self._timer_at):
            self._arm(head[1])

    def _unsampled_head(self) -> tuple[Query, float] | None:
        """The first attempt of :attr:`_unsampled` still waiting, and when it is
        due (its ceiling, or its send time plus its server's RTO once there is
        one); the ended ones before it (answered, or finished otherwise) are
        dropped from the queue."""
        queue, live = self._unsampled, self._live
        while queue:
            at, serial = queue[0]
            q = live.get(serial)
            if q is None or q.qid < 0 or q.done:
                queue.popleft()
                continue
            assert q.server is not None  # (sent)
            return q, min(at, q.sent_at + self._rtt[q.server].rto(q.timeout, q.attempt))
        return None

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

