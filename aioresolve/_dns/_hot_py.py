"""The wire engine's hot path in pure Python: the reference twin of
:mod:`aioresolve._dns._hot_c` (a typed Cython port of the same methods);
:mod:`aioresolve._dns._speedups` picks one as ``Core``, the first base class
of :class:`~aioresolve._dns.engine.Engine`.

What runs once per name on the common path lives here, and only that:
submitting (:meth:`Core.submit`, building the question), sending an attempt
(ID, 0x20 letters, timeout queue, one batch per socket and loop iteration),
reading and matching replies, finishing a query, and expiring the timeout
queues.  Everything unusual (error RCODEs, TC, malformed or mis-cased replies,
refusals, CNAME follow-ups, TCP) is handed to the engine's other parts,
which both twins share: so the compiled twin can never be less strict than
this one on those.  A stream's batch path (the pure ``Sink`` and
``start_items``, which :meth:`Core.start_many` runs) is in
:mod:`aioresolve._dns._sink_py`, re-exported here.

Over the usual size on purpose: one class, ``Core``, that mirrors the
compiled twin's extension type method by method, so that the two read side
by side.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import os
import socket
import struct
import time
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, Any

from .. import _errors
from .._nameservers import nameserver_text
from .._records import AAAA, A, Answer
from ._build import new_address, new_answer
from ._core import _DEBUG, EngineCore, log
from ._query import _QTYPES, Query, qtype_of
from ._sink_py import Sink, is_hostname, start_items
from ._speedups import parse_response, recv_batch, send_batch
from ._stats import Stats
from ._timeouts import _SWEEP
from ._timeouts import _Rtt as Rtt
from .codec import CLASS_IN, FLAG_QR, ParseError, encode_name

if TYPE_CHECKING:
    from ._sockets import _Socket

__all__ = ["Core", "Query", "Rtt", "Sink", "is_hostname", "start_items"]

#: Datagrams read per readiness event of one socket before yielding to the
#: loop (one ``recvmmsg``); the socket stays readable, the loop comes back to it.
#: Bounded so that a burst of answers never holds the loop for long (timer
#: lag: 256 per event held it ~20 ms at 100k names with the pure twin).
_RECV_BATCH = 16
_READ_BURST = 16
#: Timed-out attempts handled per timer callback; the rest on the next iteration.
_EXPIRE_BATCH = 64
_ID = struct.Struct("!H")
_QTAIL = struct.Struct("!HH")
#: 0x20 for the bytes of lower-case letters, 0 for the others: ``translate``
#: gives a name's letter mask in C (a generator over its bytes took ~2.2 µs a name).
_LETTER_BITS = bytes(0x20 if 97 <= c <= 122 else 0 for c in range(256))
#: random bytes drawn from ``os.urandom`` at a time, for IDs and 0x20 letters
#: (one ``getrandom`` system call per attempt was ~0.7 µs a name)
_POOL = 8192
_QTAILS: dict[int, bytes] = {}  # the question's (type, class IN), per type
#: the wire form (with the root's zero) of name suffixes after a first label,
#: by their text (see :meth:`Core._prepare`); emptied when it holds too many
_SUFFIXES: dict[str, bytes] = {}
_MAX_SUFFIXES = 4096
_LENGTH = [bytes((n,)) for n in range(64)]
_MAX_WIRE = 255  # bytes of a name's wire form, at most (RFC 1035 section 2.3.4)
#: an answer record as the fast path reads it (:meth:`Core._fast_answer`): its
#: first six bytes (the owner, a pointer to the question, type, class), TTL, RDLENGTH
_FAST_RR = struct.Struct("!6sIH")
#: per type asked: those six bytes, the RDLENGTH, the record class, the text of its rdata
_FAST: dict[int, tuple[bytes, int, type[A] | type[AAAA], Callable[[bytes], str]]] = {
    1: (b"\xc0\x0c\x00\x01\x00\x01", 4, A, socket.inet_ntoa),
    28: (b"\xc0\x0c\x00\x1c\x00\x01", 16, AAAA,
         lambda packed: socket.inet_ntop(socket.AF_INET6, packed)),
}
#: "ip:port" of the servers answers came from (a few per process)
_TEXTS: dict[tuple[str, int], str] = {}


class Core(EngineCore):
    """The hot methods of the engine (see the module docstring)."""

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
        return self._submit(name, rtype, callback, tag, attempts, timeout, lifetime, offset,
                            0.0)

    def _submit(self, name: str, rtype: str, callback: Callable[[Query], Any], tag: Any,
                attempts: int | None, timeout: float | None, lifetime: float | None,
                offset: int, born: float) -> Query:
        if self.closed:
            raise _errors.ResolverClosed(host=name, rtype=rtype, backend=self.backend)
        qtype = _QTYPES.get(rtype) or qtype_of(rtype)
        if not isinstance(name, str):
            raise TypeError(f"the name must be a string, not {type(name).__name__}")
        tmo = timeout or self.timeout
        tries = attempts or self.attempts
        deadline = self._time() + (lifetime if lifetime is not None else tmo * tries + tmo)
        q = Query(name, rtype, qtype, callback, tag, tries, tmo, deadline)
        q.offset = q.index = offset
        q.born = born
        self._prepare(q)
        self._active.add(q)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(_SWEEP, self._sweep)
        if self.in_flight >= self.max_in_flight:
            q.queued = True
            self._waiting.append(q)
        else:
            self.in_flight += 1
            try:
                self._send(q)
            except BaseException:  # not started after all (a bug): leave no trace of it
                q.done = True
                self._active.discard(q)
                self._unlink(q)
                self.in_flight -= 1
                raise
        return q

    # -- a stream's batches --------------------------------------------------------

    def stream_sink(self, result_type: type, wake: Callable[[], None], *, rtype: str,
                    prepare: Callable[[str, str], str] | None,
                    skip: Callable[[int, str], bool] | None, attempts: int | None,
                    timeout: float | None, lifetime: float | None,
                    order: collections.deque[int] | None,
                    alters: Collection[str] | None) -> Sink | None:
        """A :class:`Sink` for :meth:`start_many` (see :class:`Sink`), or None
        where this engine's class replaces :meth:`submit` (the stream then
        calls that, one name at a time)."""
        if type(self).submit is not Core.submit:
            return None
        sink = Sink(result_type, wake, rtype, prepare, skip, attempts, timeout, lifetime,
                    order, alters)
        sink.core = self
        return sink

    def start_many(self, sink: Sink, source: Iterator[Any] | collections.deque[Any],
                   room: int, budget: int) -> int:
        """Read inputs from ``source`` and start them: :func:`start_items` with
        this engine's submission."""
        return start_items(self._submit, sink, source, room, budget)

    def _prepare(self, q: Query) -> None:
        """Build the query for ``q.wanted`` (raises IllegalName).

        A name is mostly a first label before a suffix that many names share
        (``h123`` + ``bulk.test``): the wire form of each suffix that
        :func:`~aioresolve._dns.codec.encode_name` has encoded is kept, and a
        name whose first label is plain (1-63 ASCII characters, no escape) is
        that label's length byte, its bytes and the suffix's wire form: what
        ``encode_name`` gives for it, without splitting and re-joining every
        label.  Anything else goes through ``encode_name``.  (Pure bare
        stream: 91.1k -> 87.3k instructions a name under callgrind, 2026-12-02
        19:10 UTC; ``tests/test_hot.py`` compares it with ``encode_name``.)
        """
        wanted = q.wanted
        dot = wanted.find(".")
        suffix = _SUFFIXES.get(wanted[dot + 1 :]) if 0 < dot < 64 else None
        label = wanted[:dot]
        if (suffix is not None and label.isascii() and "\\" not in label
                and dot + len(suffix) < _MAX_WIRE):
            name = _LENGTH[dot] + label.encode() + suffix
        else:
            try:
                name = encode_name(wanted)
            except (ValueError, UnicodeError) as exc:
                raise _errors.IllegalName(
                    f"cannot encode {wanted!r}: {exc}", host=q.name, rtype=q.rtype,
                    backend=self.backend,
                ) from None
            if 0 < dot < 64 and "\\" not in wanted and not wanted.endswith("."):
                # its labels are those of the text split at the dots: the
                # suffix's wire form follows the first label's
                if len(_SUFFIXES) >= _MAX_SUFFIXES:
                    _SUFFIXES.clear()
                _SUFFIXES[wanted[dot + 1 :]] = name[dot + 1 :]
        tail = _QTAILS.get(q.qtype)
        if tail is None:
            tail = _QTAILS[q.qtype] = _QTAIL.pack(q.qtype, CLASS_IN)
        qsec = name + tail  # q.wanted is lower case
        q.qsec = q.question = qsec
        if self.case_randomization:
            # one bit per letter of the name (a length byte is < 64: never a letter)
            q.letters = int.from_bytes(name.translate(_LETTER_BITS) + b"\0\0\0\0", "big")
            if q.letters:
                return  # each attempt's template is made by _randomize
        q.template = (self._head + qsec + self._opt) if q.edns else (self._head_plain + qsec)

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
        elif self._waiting:
            self._release()
        else:  # _release without a call (the common case)
            self.in_flight -= 1
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

    def _time(self) -> float:
        """``loop.time()``.  Called once: it then puts the clock itself in the
        engine's ``__dict__``, where it shadows this method: ``time.monotonic``
        where the loop's clock is it (asyncio's own loops; the compiled twin
        reads the same clock in C), else the loop's ``time``."""
        clock = self.loop.time
        if getattr(clock, "__func__", None) is asyncio.BaseEventLoop.time:
            clock = time.monotonic
        self.__dict__["_time"] = clock
        return clock()

    #: the last server sent to, its sockets and RTT (one tuple hash per change
    #: of server, not two per attempt), and the last timeout queue appended to
    _last_server: tuple[str, int] | None = None
    _last_socks: list[_Socket]
    _last_rtt: Rtt
    _last_wait = -1.0
    _last_queue: collections.deque[tuple[float, int]]

    #: query IDs not yet used, drawn ``_POOL`` random bytes at a time (a
    #: list per engine, made by :meth:`_new_id`; the class's stays empty)
    _qid_pool: list[int] = []  # noqa: RUF012
    #: random bytes for the 0x20 letters, and the next unused one
    _noise = b""
    _noise_at = 0

    def _new_id(self) -> int:
        pool = self._qid_pool
        if not pool:
            pool = self._qid_pool = list(memoryview(os.urandom(_POOL)).cast("H"))
        return pool.pop()

    def _send(self, q: Query, server: tuple[str, int] | None = None) -> None:
        """Put one attempt of ``q`` on the wire and arm its timeout; ``server``
        (default: the one due for this attempt)."""
        if server is None:
            server = self.servers[(q.offset + q.tries) % len(self.servers)]
        if server is not self._last_server:
            self._last_socks = self._socks[server]
            self._last_rtt = self._rtt[server]
            self._last_server = server
        socks = self._last_socks
        self._rr += 1
        index = self._rr % len(socks)
        s = socks[index]
        if self.udp_max_queries:
            if s.uses >= self.udp_max_queries:
                self._rotate(socks, index)
                s = socks[index]
            s.uses += 1
        pending = s.pending
        pool = self._qid_pool
        qid = pool.pop() if pool else self._new_id()
        while qid in pending:
            qid = self._new_id()
        q.qid = qid
        q.sock = s
        q.server = server
        q.tries += 1
        q.sent_at = now = self._time()
        q.attempt += 1
        q.refused = q.miscased = False
        self._serial = q.serial = serial = self._serial + 1
        pending[qid] = q
        self._live[serial] = q
        self.stats.sent += 1
        if self.adaptive:
            rtt = self._last_rtt
            wait = rtt.rto(q.timeout, q.attempt)
        else:
            rtt, wait = None, q.timeout
        expiry = now + wait
        if q.letters:
            self._randomize(q, server)
        packet = _ID.pack(qid) + q.template
        if expiry <= q.deadline:
            if rtt is not None and rtt.srtt < 0:  # no RTT yet: see _expire_unsampled
                self._unsampled.append((expiry, serial))
            else:
                if wait == self._last_wait:
                    queue = self._last_queue
                else:
                    found = self._expiries.get(wait)
                    if found is None:
                        found = self._expiries[wait] = collections.deque()
                    queue = self._last_queue = found
                    self._last_wait = wait
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
            at = self._noise_at
            if at + size > len(self._noise):
                self._noise, at = os.urandom(_POOL), 0
            self._noise_at = at + size
            noise = int.from_bytes(self._noise[at : at + size], "big") & q.letters
            q.question = (int.from_bytes(qsec, "big") ^ noise).to_bytes(size, "big")
            q.caps = True
        q.template = ((self._head + q.question + self._opt) if q.edns
                      else (self._head_plain + q.question))

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
        fast = self._fast_answers
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
                if server is not addr and server != addr:  # (the same tuple, normally)
                    stats.wrong_source += 1
                    if log.isEnabledFor(_DEBUG):
                        log.debug("reply for %s from a wrong source %s dropped", q.name, addr)
                    q = None
                    continue
                question = q.question
                size = len(question)
                got = data[12 : 12 + size]
                answer = None
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
                elif fast:
                    answer = self._fast_answer(q, data, 12 + size)
                if answer is None:  # the reference path decides
                    response = parse_response(data, question, q.wanted)
                    if not response.flags & FLAG_QR:
                        raise ParseError("QR bit not set")
                del pending[q.qid]
                q.qid = -1
                del self._live[q.serial]
                stats.answered += 1
                if q.attempt == 1 and self.adaptive and not q.serial & 7:  # 1 in 8 is plenty
                    self._rtt[s.server].sample(self._time() - q.sent_at)
                    if self._unsampled:
                        self._retime_unsampled()
                if answer is None:
                    self._on_response(q, response, data, tcp=False)
                else:
                    self._finish(q, answer)
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

    def _fast_answer(self, q: Query, data: bytes, pos: int) -> Answer | None:
        """The :class:`~aioresolve.Answer` the reference path would end ``q``
        with, for the common reply; None to let the reference decide.

        ``data`` holds exactly the question sent (checked byte for byte: so
        with 0x20 the letter case too), whose section ends at ``pos``.  Taken
        here, as ``_hot_c``'s ``_fast_answer`` takes it: QR set, TC clear,
        RCODE 0, one question, to an A or AAAA query whose name no CNAME has
        changed, and whose answer section is only records of that type, class
        IN, owned by the question's name through a pointer to it (``0xC00C``),
        each of the exact length, all inside the datagram.  ``parse_response``
        does not read past those records for such a reply, and
        ``Engine._answer`` would take each of them: so this builds the same
        Answer (the same records, TTL, flags, server) without the decoder's
        ``RR`` tuples, its ``Response``, its name memo and three method calls.
        Anything else (an error RCODE, NODATA, NXDOMAIN, a CNAME, another
        owner, type or class, a wrong length, a short datagram) is declined,
        never rejected: ``tests/test_hot.py`` checks that an engine with this
        path decides every hostile reply as one without it.  (Pure bare stream:
        107.7k -> 91.1k instructions a name under callgrind, 2026-12-02 18:55 UTC.)
        """
        if data[2] & 0x82 != 0x80 or data[3] & 0x0F or data[4] or data[5] != 1:
            return None  # not QR, or TC, or an RCODE; or not one question
        count = (data[6] << 8) | data[7]
        fast = _FAST.get(q.qtype)
        if fast is None or not count or q.seen is not None:
            return None
        head, size, cls, text = fast
        limit = len(data)
        ttl = q.ttl
        records = []
        for _ in range(count):
            end = pos + 12 + size
            if end > limit:
                return None
            first, record_ttl, length = _FAST_RR.unpack_from(data, pos)
            if first != head or length != size:
                return None
            if record_ttl >= 0x80000000:  # RFC 2181 section 8: read as 0
                record_ttl = 0
            if record_ttl < ttl:
                ttl = record_ttl
            records.append(new_address(cls, record_ttl, text(data[end - size : end])))
            pos = end
        q.ttl = ttl
        server = q.server
        assert server is not None  # (sent)
        server_text = _TEXTS.get(server)
        if server_text is None:
            server_text = _TEXTS[server] = nameserver_text(*server)
        return new_answer(q.name, q.rtype, tuple(records), q.wanted, ttl, server_text, (),
                          (data[2] << 8) | data[3], "udp", ())

    def _expire(self) -> None:
        self._timer = None
        now = self._time()
        expired: list[Query] = []
        nxt = float("inf")
        live = self._live
        for queue in self._expiries.values():
            while queue and queue[0][0] <= now and len(expired) < _EXPIRE_BATCH:
                q = live.pop(queue.popleft()[1], None)
                if q is not None and q.qid >= 0 and not q.done:
                    expired.append(q)
            if queue:
                nxt = min(nxt, queue[0][0])
        odd = self._odd
        while odd and odd[0][0] <= now and len(expired) < _EXPIRE_BATCH:
            q = live.pop(heapq.heappop(odd)[1], None)
            if q is not None and q.qid >= 0 and not q.done:
                expired.append(q)
        if odd:
            nxt = min(nxt, odd[0][0])
        if self._unsampled:
            nxt = min(nxt, self._expire_unsampled(now, expired, _EXPIRE_BATCH))
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
