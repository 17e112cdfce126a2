"""The wire engine's TCP fallback: a truncated UDP answer asked again over
TCP, one short-lived connection per query (:class:`TcpFallback`, a part of
:class:`~aioresolve._dns.engine.Engine`).

A TCP answer goes to ``Engine._on_response`` like a UDP one; a failed TCP
exchange is a failed attempt (``Engine._retry_or``).  It knows nothing of the
UDP sockets or the timeout queues.
"""

from __future__ import annotations

import asyncio
import struct

from .. import _compat, _errors
from .._nameservers import nameserver_text
from ._core import _DEBUG, EngineCore, log
from ._query import Query
from ._speedups import parse_response
from .codec import FLAG_QR, ParseError

__all__ = ["TcpFallback"]

_ID = struct.Struct("!H")
_TCP_LEN = struct.Struct("!H")


class TcpFallback(EngineCore):
    """The TCP retry of a truncated answer (see the module docstring)."""

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

