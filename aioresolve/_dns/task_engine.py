"""An engine for backends with one awaited lookup per call (:class:`TaskEngine`):
a :class:`~aioresolve._dns.stream.Submitter` over a :data:`QueryFunc`, with
one task per name running its retry loop, so that a
:class:`~aioresolve._dns.stream.Stream` feeds such a backend as it feeds the
wire engine (one meaning of concurrency, qps, retries and lifetime).
Re-exported by :mod:`aioresolve._dns.stream`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from .. import _compat, _errors
from .._records import Answer

__all__ = ["QueryFunc", "TaskEngine"]

#: ``query(name, rtype, attempt) -> Answer``: one attempt at one name, raising
#: an error on failure; ``attempt`` counts from the name's offset (for rotation).
QueryFunc: TypeAlias = Callable[[str, str, int], Awaitable[Answer]]


class _Task:
    __slots__ = ("callback", "done", "name", "result", "rtype", "server", "tag", "task",
                 "tries")

    def __init__(self, name: str, rtype: str, callback: Callable[[Any], Any], tag: Any) -> None:
        self.name = name
        self.rtype = rtype
        self.callback = callback
        self.tag = tag
        self.done = False
        self.tries = 0
        self.server: str | None = None
        self.result: Answer | Exception | None = None
        self.task: asyncio.Task[None] | None = None


class TaskEngine:
    """A :class:`~aioresolve._dns.stream.Submitter` over a :data:`QueryFunc`:
    one task per name runs the retry loop (attempt ``k`` of the name submitted
    with ``offset=i`` is ``query(name, rtype, i + k)``, so rotating functions
    fail over), within the name's ``lifetime``.

    :param query: one attempt at one name.
    :param attempts: attempts per name at most (unless ``submit`` says otherwise).
    :param retryable: whether an error is worth another attempt.
    :param server_of: the server attempt ``i + k`` goes to, where known.
    """

    def __init__(self, query: QueryFunc, *, attempts: int,
                 retryable: Callable[[Exception], bool],
                 server_of: Callable[[int], str | None] | None = None) -> None:
        self._query = query
        self._max_attempts = attempts
        self._retryable = retryable
        self._server_of = server_of
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, name: str, rtype: str, callback: Callable[[Any], Any], tag: Any = None,
               *, attempts: int | None = None, timeout: float | None = None,
               lifetime: float | None = None, offset: int = 0) -> _Task:
        q = _Task(name, rtype, callback, tag)
        task = asyncio.get_running_loop().create_task(
            self._run(q, attempts or self._max_attempts, lifetime, offset))
        q.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return q

    def cancel(self, q: _Task) -> None:
        if not q.done:
            q.done = True
            if q.task is not None:
                q.task.cancel()

    async def aclose(self) -> None:
        """Cancel every task and wait until they have ended."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, q: _Task, attempts: int, lifetime: float | None, offset: int) -> None:
        last: list[str | None] = [None]
        try:
            if lifetime is None:
                result: Answer | Exception = await self._attempts(q, attempts, offset, last)
            else:
                try:
                    async with _compat.timeout(lifetime):
                        result = await self._attempts(q, attempts, offset, last)
                except (TimeoutError, asyncio.TimeoutError) as exc:
                    if isinstance(exc, _errors.Timeout):
                        raise
                    tail = f"; last error: {last[0]}" if last[0] else ""
                    raise _errors.Timeout(
                        f"no answer for {q.name!r} ({q.rtype}) within {lifetime:g}s "
                        f"after {q.tries} attempt(s){tail}",
                        timeout=lifetime, host=q.name, rtype=q.rtype, server=q.server,
                    ) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure is a result
            result = exc
        if q.done:  # cancelled meanwhile
            return
        q.done = True
        q.result = result
        q.callback(q)

    async def _attempts(self, q: _Task, attempts: int, offset: int,
                        last: list[str | None]) -> Answer:
        while True:
            slot = offset + q.tries
            q.tries += 1
            if self._server_of is not None:
                q.server = self._server_of(slot)
            try:
                return await self._query(q.name, q.rtype, slot)
            except Exception as exc:
                if q.tries >= attempts or not self._retryable(exc):
                    raise
                last[0] = str(exc)
