"""Bulk runs: :class:`BulkRun`, :func:`resolve_many`, :func:`resolve_all`;
retries, pacing and the ordered window."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import IO, Any, Protocol, TypeAlias, cast

from .. import _compat, _errors
from .._api import Resolver
from .._backends import backend_class, create_backend
from .._names import to_alabel
from .._nameservers import nameserver_text
from .._records import Answer, normalize_rtype
from ._input import iter_inputs
from ._result import ADDR, DEFAULT_RETRY_ON, Result, Status

__all__ = ["BulkRun", "QueryFunc", "resolve_all", "resolve_many"]


# -- the seam for backends: how one query is made -------------------------------

#: ``query(name, rtype, attempt) -> Answer``: one attempt at one name, raising
#: an aioresolve error on failure.  ``attempt`` counts from 0; implementations
#: use it to rotate servers.  A backend with a batch engine (e.g. the wire
#: backend's stream API) plugs in here: ``resolve_many(..., query=...)``, or by
#: giving the backend a ``bulk_query_func(rtype)`` method returning one.
QueryFunc: TypeAlias = Callable[[str, str, int], Awaitable[Answer]]


class _BulkCapable(Protocol):
    def bulk_query_func(self) -> QueryFunc: ...


def _resolver_query_func(resolvers: Sequence[Resolver]) -> QueryFunc:
    """Rotate attempts over resolvers (one per server): attempt k of input i
    goes to resolver ``(i + k) % n`` - the engine passes ``i + k``."""
    count = len(resolvers)
    if count == 1:
        only = resolvers[0]

        async def query_one(name: str, rtype: str, attempt: int) -> Answer:
            return await only.query(name, rtype)

        return query_one

    async def query_rotating(name: str, rtype: str, attempt: int) -> Answer:
        return await resolvers[attempt % count].query(name, rtype)

    return query_rotating


def _server_of(resolvers: Sequence[Resolver], attempt: int) -> str | None:
    """The server attempt ``attempt`` goes to, where that is certain: one
    resolver per server, or a batch engine that rotates by attempt."""
    backend = resolvers[attempt % len(resolvers)].backend
    servers = getattr(backend, "nameservers", None)
    if not isinstance(servers, list) or not servers:
        return None
    if len(servers) == 1:
        return str(servers[0])
    if len(resolvers) == 1 and hasattr(backend, "bulk_query_func"):
        return str(servers[attempt % len(servers)])
    return None


# -- pacing ---------------------------------------------------------------------


class _TokenBucket:
    """At most ``rate`` acquisitions a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError(f"qps must be positive or None, not {rate!r}")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate / 20)
        self._tokens = self.burst
        self._stamp: float | None = None

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self._stamp is None:
                self._stamp = now
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return
            await asyncio.sleep((1 - self._tokens) / self.rate)



# -- the run ----------------------------------------------------------------------

_Item: TypeAlias = tuple[int, str]
_STOP: Any = object()


class BulkRun:
    """An async iterator of :class:`Result` (what :func:`resolve_many` returns).

    Use ``async for result in run`` (or ``async with run: ...``).  Leaving the
    ``async with`` block, :meth:`aclose` or cancelling the consuming task stops
    every lookup at once; leaving a bare ``async for`` by ``break`` does so on
    the loop's next iterations (when the event loop finalises the iterator).
    :meth:`stop` ends the run from anywhere (e.g. a signal handler); with
    ``report_cancelled=True`` the loop then yields a CANCELLED result for each
    input read but not finished before it ends (inputs never read get none).

    :ivar counts: results yielded so far, per :class:`Status`.
    :ivar done: results yielded so far.
    :ivar strategy: how lookups are made: ``"wire-stream"`` (inputs go straight
        into the wire backend's engine, no task per lookup) or ``"workers"``
        (``concurrency`` tasks, each calling a :data:`QueryFunc`).
    """

    def __init__(
        self,
        hosts: object,
        query: QueryFunc,
        *,
        rtype: str,
        concurrency: int,
        timeout: float | None,
        attempts: int,
        retry_on: frozenset[Status],
        qps: float | None,
        ordered: bool,
        window: int,
        server_of: Callable[[int], str | None],
        cleanup: Callable[[], Awaitable[None]] | None,
        skip: Callable[[int, str], bool] | None = None,
        stream: _WireStream | None = None,
    ) -> None:
        self._hosts = hosts
        self._query = query
        self._stream = stream
        self.strategy = "workers" if stream is None else _WireStream.strategy
        self.rtype = rtype
        self.concurrency = concurrency
        self.timeout = timeout
        self.attempts = attempts
        self.retry_on = retry_on
        self.ordered = ordered
        self._bucket = _TokenBucket(qps) if qps is not None else None
        self._server_of = server_of
        self._cleanup = cleanup
        self._skip = skip
        self._index = 0
        self._window = asyncio.Semaphore(window)
        self._todo: asyncio.Queue[_Item] = asyncio.Queue()
        self._results: asyncio.Queue[Result] = asyncio.Queue()
        self._reorder: dict[int, Result] = {}
        self._order: collections.deque[int] = collections.deque()  # fed, not yet yielded
        self._fed = 0
        self._input_done = False
        self._input_error: BaseException | None = None
        self._inflight: dict[int, _Item] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False
        self._stopping = False
        self._finished = False
        self._stopper: asyncio.Future[None] | None = None
        self._wakeup: asyncio.Event | None = None
        self.counts: dict[Status, int] = dict.fromkeys(Status, 0)
        self.done = 0
        self.started_at: float | None = None

    # -- iteration -------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Result]:
        # An async generator, not self: when ``async for`` is left by ``break``
        # the generator is dropped at once and the event loop's async-generator
        # finaliser closes it, which closes the run (cancels every lookup).
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Result]:
        try:
            while True:
                try:
                    result = await self.__anext__()
                except StopAsyncIteration:
                    return
                yield result
        finally:
            await self.aclose()

    async def __aenter__(self) -> BulkRun:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _start(self) -> None:
        self._started = True
        self.started_at = time.monotonic()
        self._wakeup = asyncio.Event()
        self._tasks.append(asyncio.create_task(self._feed(), name="aioresolve-bulk-feed"))
        if self._stream is not None:
            self._tasks.append(asyncio.create_task(self._stream.pump(self),
                                                   name="aioresolve-bulk-stream"))
            return
        for n in range(self.concurrency):
            self._tasks.append(
                asyncio.create_task(self._work(), name=f"aioresolve-bulk-worker-{n}")
            )

    async def __anext__(self) -> Result:
        if self._closed or (self._finished and not self._started):
            raise StopAsyncIteration
        if not self._started:
            self._start()
        try:
            result = await self._next_result()
        except BaseException:
            await self.aclose()
            raise
        if result is None:
            error = self._input_error
            await self.aclose()
            if error is not None:
                raise error
            raise StopAsyncIteration
        self.done += 1
        self.counts[result.status] += 1
        self._window.release()
        return result

    async def _next_result(self) -> Result | None:
        while True:
            if self._finished:
                return self._drain()
            if self.ordered and self._order:
                ready = self._reorder.pop(self._order[0], None)
                if ready is not None:
                    self._order.popleft()
                    return ready
            elif not self._results.empty():
                return self._results.get_nowait()
            if self._input_done and self.done == self._fed:
                return None
            result = await self._wait_result()
            if result is None:
                continue
            if not self.ordered:
                return result
            self._reorder[result.index] = result

    def _drain(self) -> Result | None:
        """After :meth:`stop`: what is left, in index order when ordered (the
        inputs never finished leave gaps that must not hold the rest back)."""
        if not self.ordered:
            return None if self._results.empty() else self._results.get_nowait()
        while not self._results.empty():
            result = self._results.get_nowait()
            self._reorder[result.index] = result
        if not self._reorder:
            return None
        return self._reorder.pop(min(self._reorder))

    async def _wait_result(self) -> Result | None:
        """The next finished result, or ``None`` when woken for another reason
        (the input ended or failed, or the run was stopped)."""
        if not self._results.empty():
            return self._results.get_nowait()
        assert self._wakeup is not None
        getter = asyncio.ensure_future(self._results.get())
        waker = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({getter, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            if not getter.done():
                getter.cancel()
        self._wakeup.clear()
        if getter.done() and not getter.cancelled():
            return getter.result()
        return None

    def _tasks_running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    # -- stopping ----------------------------------------------------------------

    def stop(self, *, report_cancelled: bool = False) -> None:
        """End the run: read no more input, cancel the lookups in flight.

        Results already finished are still yielded; with ``report_cancelled``
        so is a CANCELLED result for every input read but unfinished.  Safe to
        call from a signal handler running on the loop.
        """
        if self._stopping:
            return
        self._stopping = True
        if not self._started:
            self._finished = True
            return
        for task in self._tasks:
            task.cancel()
        self._stopper = asyncio.ensure_future(self._after_stop(report_cancelled))

    async def _after_stop(self, report_cancelled: bool) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)
        pending = list(self._inflight.values())
        while not self._todo.empty():
            item = self._todo.get_nowait()
            if item is not _STOP:
                pending.append(item)
        self._inflight.clear()
        if report_cancelled:
            for index, text in sorted(pending):
                self._deliver(Result(index, text, None, self.rtype, Status.CANCELLED,
                                     error="the run was stopped before this lookup finished"))
        self._finished = True
        assert self._wakeup is not None
        self._wakeup.set()

    async def aclose(self) -> None:
        """Cancel everything still running and wait until it has stopped, then
        close the resolvers this run created.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        if self._stopper is not None:
            self._stopper.cancel()
        await asyncio.gather(*self._tasks, *([self._stopper] if self._stopper else []),
                             return_exceptions=True)
        if self._cleanup is not None:
            cleanup, self._cleanup = self._cleanup, None
            await cleanup()

    # -- producer and workers ------------------------------------------------------

    async def _feed(self) -> None:
        try:
            async for text in self._inputs():
                index = self._index
                self._index += 1
                if self._skip is not None and self._skip(index, text):
                    continue
                await self._window.acquire()
                if self._stopping:
                    return
                self._todo.put_nowait((index, text))
                if self.ordered:
                    self._order.append(index)
                self._fed += 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # the input itself failed: report after the rest
            self._input_error = exc
        finally:
            if not self._stopping:
                self._input_done = True
                for _ in range(self.concurrency):
                    self._todo.put_nowait(_STOP)
                assert self._wakeup is not None
                self._wakeup.set()

    def _inputs(self) -> AsyncIterator[str]:
        return iter_inputs(self._hosts)

    async def _work(self) -> None:
        while True:
            item = await self._todo.get()
            if item is _STOP:
                return
            self._inflight[item[0]] = item
            result = await self._resolve(item)
            del self._inflight[item[0]]
            self._deliver(result)

    def _deliver(self, result: Result) -> None:
        self._results.put_nowait(result)

    # -- one input ---------------------------------------------------------------

    async def _resolve(self, item: _Item) -> Result:
        index, text = item
        try:
            name = to_alabel(text)
        except _errors.IllegalName as exc:
            return Result(index, text, None, self.rtype, Status.ILLEGAL_INPUT, error=str(exc))
        except Exception as exc:  # one bad input never ends the batch
            return Result(index, text, None, self.rtype, Status.ILLEGAL_INPUT,
                          error=f"{type(exc).__name__}: {exc}")
        started = time.monotonic()
        state = _Attempts()
        try:
            if self.timeout is None:
                answer = await self._attempts(index, name, state)
            else:
                answer = await self._with_deadline(index, name, state)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure becomes a status
            status = Status.from_exception(exc)
            server = getattr(exc, "server", None) or state.server
            message = str(exc) or type(exc).__name__
            if status is Status.ERROR and not isinstance(exc, _errors.ResolveError):
                message = f"{type(exc).__name__}: {message}"
            return Result(index, text, name, self.rtype, status, error=message,
                          attempts=state.count, elapsed=time.monotonic() - started,
                          server=server)
        return Result(
            index, text, name, self.rtype, Status.NOERROR, answer.records,
            answer.canonical_name, answer.ttl, attempts=state.count,
            elapsed=time.monotonic() - started, server=answer.server or state.server,
        )

    async def _with_deadline(self, index: int, name: str, state: _Attempts) -> Answer:
        assert self.timeout is not None
        try:
            async with _compat.timeout(self.timeout):
                return await self._attempts(index, name, state)
        except (TimeoutError, asyncio.TimeoutError) as exc:
            if isinstance(exc, _errors.Timeout):
                raise
            last = f"; last error: {state.last_error}" if state.last_error else ""
            raise _errors.Timeout(
                f"no answer for {name!r} ({self.rtype}) within {self.timeout:g}s "
                f"after {state.count} attempt(s){last}",
                timeout=self.timeout, host=name, rtype=self.rtype, server=state.server,
            ) from None

    async def _attempts(self, index: int, name: str, state: _Attempts) -> Answer:
        while True:
            if self._bucket is not None:
                await self._bucket.acquire()
            slot = index + state.count
            state.count += 1
            state.server = self._server_of(slot)
            try:
                return await self._one(name, slot)
            except _errors.ResolveError as exc:
                status = Status.from_exception(exc)
                if status not in self.retry_on or state.count >= self.attempts:
                    raise
                state.last_error = str(exc)

    async def _one(self, name: str, slot: int) -> Answer:
        if self.rtype != ADDR:
            return await self._query(name, self.rtype, slot)
        return await _query_addr(self._query, name, slot)


class _Attempts:
    __slots__ = ("count", "last_error", "server")

    def __init__(self) -> None:
        self.count = 0
        self.server: str | None = None
        self.last_error: str | None = None


_ADDR_RANK = (_errors.NoData, _errors.NXDomain)


async def _query_addr(query: QueryFunc, name: str, slot: int) -> Answer:
    """A and AAAA at once: records of both; NODATA only if both are empty;
    another error of either wins over NODATA/NXDOMAIN (it may be retried)."""
    both = await asyncio.gather(query(name, "A", slot), query(name, "AAAA", slot),
                                return_exceptions=True)
    answers = [a for a in both if isinstance(a, Answer)]
    errors = [e for e in both if isinstance(e, BaseException)]
    for error in errors:
        if not isinstance(error, Exception):
            raise error  # CancelledError and friends
    hard = [e for e in errors if not isinstance(e, _ADDR_RANK)]
    if hard:
        raise hard[0]
    if answers:
        records = tuple(r for a in answers for r in a.records)
        ttl = min(a.ttl for a in answers)
        return Answer(name, ADDR, records, answers[0].canonical_name, ttl, answers[0].server)
    nx = [e for e in errors if isinstance(e, _errors.NXDomain)]
    raise nx[0] if nx else errors[0]


# -- the fast path: straight into the wire engine ------------------------------------

#: What the wire engine retries by itself (on the next server): a TIMEOUT, a
#: SERVFAIL (or an unknown rcode), REFUSED, and a network error such as ICMP
#: port unreachable.  NXDOMAIN, NODATA, FORMERR and TRUNCATED are final.
_ENGINE_RETRY_ON: frozenset[Status] = DEFAULT_RETRY_ON | {Status.NETWORK_ERROR}


class _WireStream:
    """The ``"wire-stream"`` strategy of a :class:`BulkRun`: one task moves
    queued inputs into the wire backend's engine, which retries by itself, and
    the engine's completion callback delivers each :class:`Result`; no task,
    future or timer per lookup.

    The same engine calls that :meth:`WireBackend.query_stream
    <aioresolve._backends.wire.WireBackend.query_stream>` makes; BulkRun keeps
    its own feed for ``skip``, the ordered window and building each Result.
    """

    strategy = "wire-stream"

    def __init__(self, backend: Any, *, attempts: int, lifetime: float | None) -> None:
        self._backend = backend  # a WireBackend (typed loosely: imported lazily)
        self._attempts = attempts
        self._lifetime = lifetime

    async def pump(self, run: BulkRun) -> None:
        """Submit inputs from ``run``'s queue, at most ``run.concurrency`` in
        flight, until the feed's stop marker; then wait for the last ones.
        Cancelled, it cancels every query still in the engine."""
        loop = asyncio.get_running_loop()
        active: dict[int, Any] = {}  # index -> engine Query
        waiter: list[asyncio.Future[None] | None] = [None]
        rtype, limit, bucket = run.rtype, run.concurrency, run._bucket
        engine: Any = None

        def finished(q: Any) -> None:
            index, text, started = q.tag
            active.pop(index, None)
            run._inflight.pop(index, None)
            try:
                result = _engine_result(q, index, text, rtype, started)
            except Exception as exc:  # a bug must cost one result, not the run
                result = _error_result(index, text, q.name, rtype, exc, q.tries, 0.0, None)
            run._deliver(result)
            fut = waiter[0]
            if fut is not None and not fut.done():
                fut.set_result(None)

        async def room(most: int) -> None:
            """Wait until at most ``most`` lookups are in flight."""
            while len(active) > most:
                fut = waiter[0] = loop.create_future()
                try:
                    await fut
                finally:
                    waiter[0] = None

        try:
            while True:
                await room(limit - 1)
                item = await run._todo.get()
                if item is _STOP:
                    break
                index, text = item
                try:
                    name = to_alabel(text)
                except Exception as exc:  # never queried: ILLEGAL_INPUT at once
                    run._deliver(_illegal(index, text, rtype, exc))
                    continue
                if bucket is not None:
                    await bucket.acquire()
                run._inflight[index] = item
                try:
                    engine = self._backend.engine()
                    q = engine.submit(name, rtype, finished, (index, text, time.monotonic()),
                                      attempts=self._attempts, lifetime=self._lifetime,
                                      offset=index)
                except Exception as exc:  # unencodable, the resolver closed (or a bug)
                    run._inflight.pop(index, None)
                    run._deliver(_error_result(index, text, name, rtype, exc, 0, 0.0, None))
                    continue
                if not q.done:  # a send error may finish it inside submit
                    active[index] = q
            await room(0)
        finally:
            for q in active.values():
                engine.cancel(q)
            active.clear()


def _illegal(index: int, text: str, rtype: str, exc: Exception) -> Result:
    message = str(exc) if isinstance(exc, _errors.IllegalName) else (
        f"{type(exc).__name__}: {exc}")
    return Result(index, text, None, rtype, Status.ILLEGAL_INPUT, error=message)


def _error_result(index: int, text: str, name: str, rtype: str, exc: BaseException,
                  attempts: int, elapsed: float, server: str | None) -> Result:
    status = Status.from_exception(exc)
    message = str(exc) or type(exc).__name__
    if status is Status.ERROR and not isinstance(exc, _errors.ResolveError):
        message = f"{type(exc).__name__}: {message}"
    return Result(index, text, name, rtype, status, error=message, attempts=attempts,
                  elapsed=elapsed, server=getattr(exc, "server", None) or server)


def _engine_result(q: Any, index: int, text: str, rtype: str, started: float) -> Result:
    """The :class:`Result` of a finished engine query.  ``attempts`` counts the
    queries sent, a CNAME follow-up included (as ``query_stream`` reports)."""
    elapsed = time.monotonic() - started
    result = q.result
    if isinstance(result, Answer):
        return Result(index, text, q.name, rtype, Status.NOERROR, result.records,
                      result.canonical_name, result.ttl, attempts=q.tries, elapsed=elapsed,
                      server=result.server)
    server = nameserver_text(*q.server) if q.server is not None else None
    return _error_result(index, text, q.name, rtype, result, q.tries, elapsed, server)


def _wire_stream(
    resolvers: Sequence[Resolver], rtype: str, retry_on: frozenset[Status], attempts: int,
    timeout: float | None,
) -> _WireStream | None:
    """The fast path, when the run allows it: one resolver on a wire backend,
    one record type, and a retry policy the engine has (any, with one attempt)."""
    if rtype == ADDR or len(resolvers) != 1:
        return None
    try:
        wire = backend_class("wire")
    except (_errors.BackendUnavailable, ValueError):
        return None
    backend = resolvers[0].backend
    if not isinstance(backend, wire):
        return None
    if attempts > 1 and retry_on not in (DEFAULT_RETRY_ON, _ENGINE_RETRY_ON):
        return None
    return _WireStream(backend, attempts=attempts, lifetime=timeout)


# -- public entry points -----------------------------------------------------------


def resolve_many(
    hosts: Iterable[Any] | AsyncIterable[Any] | IO[str] | IO[bytes],
    *,
    rtype: str | int = "A",
    concurrency: int = 100,
    timeout: float | None = 5.0,
    attempts: int = 3,
    retry_on: Iterable[Status | str] = DEFAULT_RETRY_ON,
    qps: float | None = None,
    ordered: bool = False,
    window: int | None = None,
    resolver: Resolver | None = None,
    backend: str | None = None,
    nameservers: Sequence[str] | None = None,
    query: QueryFunc | None = None,
    skip: Callable[[int, str], bool] | None = None,
) -> BulkRun:
    """Resolve every name of ``hosts``; an async iterator of :class:`Result`.

    :param hosts: a list or any iterable of names, an async iterable, or a
        text/binary file object (one name per line; blank and ``#`` lines skipped).
    :param rtype: ``"A"``, ``"AAAA"``, ``"ADDR"`` (A and AAAA), or any record type.
    :param concurrency: lookups in flight at most (worker tasks).
    :param timeout: seconds per input, covering all its attempts (``None``: none).
    :param attempts: queries at most per input (1 = no retry).
    :param retry_on: the statuses that are retried (default TIMEOUT, SERVFAIL,
        REFUSED).  A retry goes to the next server when there are several.
    :param qps: at most this many queries a second (every attempt counts).
    :param ordered: yield in input order; a slow input then holds back at most
        ``window`` results behind it (and the workers, once the window is full).
    :param window: inputs read but not yet yielded, at most (memory bound);
        default ``2 * concurrency``, ``8 * concurrency`` when ordered.
    :param resolver: the :class:`~aioresolve.Resolver` to use (not closed by
        the run); its own timeout/retry settings apply inside each attempt.
    :param backend: without ``resolver``: the backend (default ``"cares"``, or
        ``"wire"`` when available and ``nameservers`` are given).
    :param nameservers: without ``resolver``: ``"ip[:port]"`` servers; the run
        makes one resolver per server and rotates attempts over them.
        ``None``: the system configuration.
    :param query: a :data:`QueryFunc` replacing the resolver (a batch engine).
    :param skip: ``skip(index, input) -> bool``: inputs for which it is true
        keep their index but are not looked up and get no result (how the CLI
        resumes a run).

    Duplicate inputs each get their own result; lookups of the same name
    running at the same time share one query (the run's resolvers coalesce
    and do not cache, so memory stays bounded).

    The wire fast path (``run.strategy == "wire-stream"``): when the run's
    only backend is a wire backend (``nameservers`` with the default backend,
    or a ``resolver`` on one), ``rtype`` is one type (not ``"ADDR"``), no
    ``query`` is given and ``retry_on`` is the default (or ``attempts`` is 1),
    inputs go straight into the wire engine, which retries by itself: no task
    per lookup, 1.5-2 times the names a second.  Results are the same, except
    that ``qps`` paces the names started (retries are not paced), a network
    error such as ICMP port unreachable is retried too, and ``attempts`` counts
    a CNAME follow-up query as one more.  With a wire backend (either path)
    duplicates in flight at the same time are asked separately.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency!r}")
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts!r}")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be positive or None, not {timeout!r}")
    if window is not None and window < 1:
        raise ValueError(f"window must be at least 1, not {window!r}")
    if resolver is not None and (backend is not None or nameservers is not None):
        raise TypeError("give either resolver= or backend=/nameservers=, not both")
    kind = ADDR if isinstance(rtype, str) and rtype.upper() == ADDR else normalize_rtype(rtype)
    retry = frozenset(Status(s) for s in retry_on)
    window = window or concurrency * (8 if ordered else 2)
    cleanup: Callable[[], Awaitable[None]] | None = None
    stream: _WireStream | None = None
    if query is not None:
        server_of: Callable[[int], str | None] = lambda slot: None  # noqa: E731
    else:
        resolvers, owned = _resolvers(resolver, backend, nameservers, timeout, attempts,
                                      concurrency)
        query = _batch_query(resolvers) or _resolver_query_func(resolvers)
        stream = _wire_stream(resolvers, kind, retry, attempts, timeout)
        server_of = lambda slot: _server_of(resolvers, slot)  # noqa: E731
        if owned:
            async def cleanup() -> None:
                for r in resolvers:
                    await r.close()
    return BulkRun(
        hosts, query, rtype=kind, concurrency=concurrency, timeout=timeout, attempts=attempts,
        retry_on=retry, qps=qps, ordered=ordered, window=window, server_of=server_of,
        cleanup=cleanup, skip=skip, stream=stream,
    )


def _batch_query(resolvers: Sequence[Resolver]) -> QueryFunc | None:
    """The backend's own batch engine, when it has one (the plug-in seam)."""
    if len(resolvers) == 1 and hasattr(resolvers[0].backend, "bulk_query_func"):
        backend = cast(_BulkCapable, resolvers[0].backend)
        return backend.bulk_query_func()
    return None



def _resolvers(
    resolver: Resolver | None,
    backend: str | None,
    nameservers: Sequence[str] | None,
    timeout: float | None,
    attempts: int,
    concurrency: int,
) -> tuple[list[Resolver], bool]:
    if resolver is not None:
        return [resolver], False
    if isinstance(nameservers, str):
        raise TypeError("nameservers must be a list of strings, not a string")
    from .. import bulk as _defaults  # tests point the package's RESOLV_CONF elsewhere

    name = backend or _defaults.default_backend(nameservers)
    if name == "wire" and not nameservers:
        nameservers = _defaults.system_nameservers()
        if not nameservers:
            raise ValueError(
                f"the wire backend needs nameservers=; {_defaults.RESOLV_CONF} lists none"
            )
    # The run retries itself, so each attempt is a single try of the backend
    # with a share of the per-host deadline.
    per_try = (timeout / attempts) if timeout is not None else 2.0
    options: dict[str, Any]
    if name == "cares":
        options = {"tries": 1, "try_timeout": per_try}
    elif name == "system":
        if nameservers:
            raise ValueError("the system backend cannot be pointed at servers; "
                             "use backend='cares' or 'wire'")
        options = {"pool_size": min(concurrency, 64)}
    else:
        options = {}
    if name == "wire" and nameservers:
        # One backend for all servers: its batch engine rotates attempts over
        # them itself.  Made here because Resolver(timeout=) is the facade's
        # deadline, not the backend's per-attempt timeout.
        wire = create_backend(name, nameservers=list(nameservers), timeout=per_try, attempts=1)
        return [Resolver(wire, cache=False)], True
    if not nameservers:
        return [Resolver(name, cache=False, **options)], True
    resolvers = [
        Resolver(name, cache=False, nameservers=[server], **options) for server in nameservers
    ]
    return resolvers, True


async def resolve_all(
    hosts: Iterable[Any] | AsyncIterable[Any] | IO[str] | IO[bytes], **options: Any
) -> list[Result]:
    """Like :func:`resolve_many`, gathered into a list in input order."""
    options["ordered"] = False
    results = [r async for r in resolve_many(hosts, **options)]
    results.sort(key=lambda r: r.index)
    return results
