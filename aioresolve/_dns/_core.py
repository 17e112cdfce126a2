"""The state every part of the wire engine shares (:class:`EngineCore`).

:class:`~aioresolve._dns.engine.Engine` is assembled from a few parts, one
module each: the UDP socket set (:mod:`._sockets`), the timeout queues and
the watchdog (:mod:`._timeouts`), the TCP fallback (:mod:`._tcp`) and the
engine proper (:mod:`.engine`: submitting, answers, finishing).  Each part is
a base class of ``Engine`` over this one, which only *declares* the
attributes ``Engine.__init__`` sets and the methods the parts call across
modules, for the type checker.  Nothing here runs: no attribute or method is
added at run time, so a method call or attribute read on the hot path costs
what it did in one class (CPython caches method lookups per type).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING

from .. import _errors

if TYPE_CHECKING:
    from .._records import Answer
    from ._query import Query
    from ._sockets import _Socket
    from ._stats import Stats
    from ._timeouts import _Rtt
    from .codec import Response

__all__ = ["EngineCore", "log"]

log = logging.getLogger("aioresolve.wire")
_DEBUG, _INFO = logging.DEBUG, logging.INFO


class EngineCore:
    """The engine's shared state, declared (set by ``Engine.__init__``)."""

    loop: asyncio.AbstractEventLoop
    servers: list[tuple[str, int]]
    timeout: float
    attempts: int
    max_in_flight: int
    tcp_fallback: bool
    adaptive: bool
    udp_max_queries: int
    case_randomization: bool
    backend: str
    stats: Stats
    in_flight: int
    closed: bool
    _fast_answers: bool
    _recv_size: int
    _rtt: dict[tuple[str, int], _Rtt]
    _head: bytes
    _head_plain: bytes
    _opt: bytes
    _socks: dict[tuple[str, int], list[_Socket]]
    _retired: set[_Socket]
    _refused_at: dict[tuple[str, int], float]
    _no_caps: set[tuple[str, int]]
    _rr: int
    _ids: bytes
    _ids_at: int
    _serial: int
    _waiting: collections.deque[Query]
    _live: dict[int, Query]
    _expiries: dict[float, collections.deque[tuple[float, int]]]
    _odd: list[tuple[float, int]]
    _unsampled: collections.deque[tuple[float, int]]
    _timer: asyncio.TimerHandle | None
    _timer_at: float
    _active: set[Query]
    _sweeper: asyncio.TimerHandle | None
    _backlog: collections.deque[tuple[_Socket, bytes]]
    _outbox: dict[_Socket, list[tuple[Query, bytes]]]
    _outbox_due: bool
    _writing: set[_Socket]
    _tasks: set[asyncio.Task[None]]
    _in_tcp: set[Query]

    if TYPE_CHECKING:  # defined by the parts; declared here for the type checker only
        def _send(self, q: Query, server: tuple[str, int] | None = None) -> None: ...
        def _new_id(self) -> int: ...
        def _close_socket(self, s: _Socket) -> None: ...
        def _read(self, s: _Socket) -> None: ...
        def _arm(self, when: float) -> None: ...
        def _sweep(self) -> None: ...
        def _tcp(self, q: Query) -> collections.abc.Coroutine[None, None, None]: ...
        def _unlink(self, q: Query) -> None: ...
        def _retry_or(self, q: Query, error: _errors.ResolveError) -> None: ...
        def _finish(self, q: Query, result: Answer | _errors.ResolveError) -> None: ...
        def _bug(self, q: Query | None, exc: BaseException, where: str) -> None: ...
        def _on_response(self, q: Query, r: Response, data: bytes, *, tcp: bool) -> None: ...
        def _rcode(self, q: Query, rcode: int, r: Response | None,
                   protocol: str = "udp") -> None: ...
        def _prepare(self, q: Query) -> None: ...
        def _release(self) -> None: ...
        def _expire(self) -> None: ...
        def _timed_out(self, q: Query) -> None: ...
        def _expire_unsampled(self, now: float, expired: list[Query], limit: int) -> float: ...
        def _retime_unsampled(self) -> None: ...
        def _rotate(self, socks: list[_Socket], index: int) -> None: ...
        def _want_write(self, s: _Socket) -> None: ...
        def _refused(self, s: _Socket, exc: OSError) -> None: ...
        def _fail_network(self, q: Query, exc: OSError) -> None: ...
        def _bare(self, q: Query, data: bytes) -> None: ...
        def _case_mismatch(self, q: Query, data: bytes) -> None: ...
