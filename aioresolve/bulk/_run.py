"""Bulk runs: :class:`BulkRun`, what :func:`~aioresolve.bulk.resolve_many` returns.

A run is one :class:`aioresolve._dns.stream.Stream` (the one feeder of an
engine: concurrency, qps, retries, per-input deadline, ordering window, stop)
plus what only bulk knows: reading names from files and iterables, making
each stream result a :class:`~aioresolve.bulk.Result`, counting statuses, and
closing the resolvers it made.

Two strategies, the same stream:

- ``"wire-stream"``: the run's only backend is a wire backend, one record
  type (not ``"ADDR"``) and a retry policy the engine has: names go straight
  into the wire engine, which retries by itself (no task per name);
- ``"workers"``: any other backend, ``"ADDR"``, a custom ``retry_on`` or a
  ``query=`` function: a :class:`~aioresolve._dns.stream.TaskEngine` runs one
  task per name in flight, with the retry loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from types import TracebackType
from typing import Any, cast

from .. import _errors
from .._dns.stream import QueryFunc, Stream, StreamResult, Submitter, TaskEngine
from ._input import NamesFile, _input_text, _is_file, input_name, iter_inputs
from ._result import Result, Status
from ._results import results_of

__all__ = ["BulkRun", "QueryFunc"]

#: Results made and handed out in one piece at most: a stream batch can hold
#: up to ``window`` results; in chunks, bulk's own work (~1 us a result on
#: the shared 2-core box) and the consumer's (the CLI's writer: ~3 us) hold
#: the event loop ~1 ms at most before timers and replies run again.
_CHUNK = 256


# -- input ------------------------------------------------------------------------


def _sync_inputs(hosts: object) -> Iterable[str]:
    """The input texts of a file or a plain iterable, as :func:`iter_inputs`
    gives them, without a coroutine per name (the stream reads it inline)."""
    if type(hosts) is NamesFile:
        return iter(hosts)  # (its own C iterator: no frame per name)
    return _inputs_of(hosts)


def _inputs_of(hosts: object) -> Iterator[str]:
    # file_line and _input_text inlined for str (a call less per name: 0.3 ->
    # 0.2 us/name reading a 100k-line file, shared box)
    if _is_file(hosts):
        for line in cast("Iterable[str | bytes]", hosts):
            text = line.strip() if type(line) is str else _input_text(line).strip()
            if text and text[0] != "#":
                yield text
    else:
        for item in cast("Iterable[object]", hosts):
            yield item if type(item) is str else _input_text(item)


def _fan_out(texts: Iterable[str], rtypes: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    for text in texts:
        for rtype in rtypes:
            yield text, rtype


async def _fan_out_async(texts: AsyncIterable[str],
                         rtypes: tuple[str, ...]) -> AsyncIterator[tuple[str, str]]:
    async for text in texts:
        for rtype in rtypes:
            yield text, rtype


# -- the run ----------------------------------------------------------------------


class BulkRun:
    """An async iterator of :class:`Result` (what :func:`resolve_many` returns).

    Use ``async for result in run`` (or ``async with run: ...``), or
    :meth:`batches` for a list of results at a time.  Leaving the ``async
    with`` block, :meth:`aclose` or cancelling the consuming task stops every
    lookup at once; leaving a bare ``async for`` by ``break`` does so on the
    loop's next iterations (when the event loop finalises the iterator).
    :meth:`stop` ends the run from anywhere (e.g. a signal handler); with
    ``report_cancelled=True`` the loop then yields a CANCELLED result for each
    input read but not finished before it ends (inputs never read get none).

    :ivar counts: results yielded so far, per :class:`Status`.
    :ivar done: results yielded so far.
    :ivar strategy: ``"wire-stream"`` (names go straight into the wire
        backend's engine, no task per lookup) or ``"workers"`` (a task per
        lookup in flight, each calling a :data:`QueryFunc`).
    :ivar rtypes: the record types asked of every input, in order.
    """

    def __init__(
        self,
        hosts: object,
        *,
        engine: Callable[[], Submitter],
        strategy: str,
        rtypes: tuple[str, ...],
        concurrency: int,
        timeout: float | None,
        attempts: int,
        retry_on: frozenset[Status],
        qps: float | None,
        ordered: bool,
        window: int,
        cleanup: Callable[[], Awaitable[None]] | None,
        skip: Callable[[int, str], bool] | None = None,
        task_engine: TaskEngine | None = None,
    ) -> None:
        self._hosts = hosts
        self._engine = engine
        self._task_engine = task_engine
        self.strategy = strategy
        self.rtypes = rtypes
        self.rtype = rtypes[0] if len(rtypes) == 1 else ",".join(rtypes)
        self.concurrency = concurrency
        self.timeout = timeout
        self.attempts = attempts
        self.retry_on = retry_on
        self.ordered = ordered
        self.window = window
        self.qps = qps
        self._skip = skip
        self._cleanup = cleanup
        self._stream: Stream | None = None
        self._batches: AsyncIterator[list[StreamResult]] | None = None
        self._batch: list[Result] = []
        self._raw: list[StreamResult] = []  # a stream batch being handed out in chunks
        self._raw_pos = 0
        self._pos = 0
        self._closed = False
        self._stopped_early = False
        self.counts: dict[Status, int] = dict.fromkeys(Status, 0)
        self.done = 0
        self.started_at: float | None = None
        #: ``Stream(render=...)`` of the run's stream, for one record type:
        #: the CLI's JSONL writer sets ``"jsonl"`` before the run starts (then
        #: :meth:`_raw_batches` may hand out lines, ``bytes``, among the
        #: stream's results).
        self._render: str | None = None

    # -- iteration -------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Result]:
        # An async generator, not self: when ``async for`` is left by ``break``
        # the generator is dropped at once and the event loop's async-generator
        # finaliser closes it, which closes the run (cancels every lookup).
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Result]:
        # What __anext__ does, with no coroutine per result: a batch is handed
        # out from here (counted as each result is yielded).
        counts = self.counts
        try:
            while True:
                batch, pos = self._batch, self._pos
                if pos >= len(batch):
                    fresh = await self._next_batch()
                    if fresh is None:
                        return
                    self._batch, self._pos = batch, pos = fresh, 0
                end = len(batch)
                while pos < end:
                    result = batch[pos]
                    pos += 1
                    self._pos = pos
                    self.done += 1
                    counts[result.status] += 1
                    yield result
                    if self._batch is not batch:  # batches() took the rest meanwhile
                        break
                    pos = self._pos  # __anext__ may have been called meanwhile
        finally:
            await self.aclose()

    async def __aenter__(self) -> BulkRun:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _start(self) -> Stream:
        loop = asyncio.get_running_loop()
        self.started_at = loop.time()
        hosts = self._hosts
        texts: Iterable[Any] | AsyncIterable[Any]
        if isinstance(hosts, (str, bytes)):
            texts = _raises(TypeError("hosts must be an iterable of names, "
                                      "not a single str/bytes"))
        elif isinstance(hosts, AsyncIterable):
            texts = iter_inputs(hosts)
        else:
            texts = _sync_inputs(hosts)
        skip = self._skip
        count = len(self.rtypes)
        if count > 1:
            texts = (_fan_out_async(texts, self.rtypes) if isinstance(texts, AsyncIterable)
                     else _fan_out(texts, self.rtypes))
            if skip is not None:
                user_skip = skip

                def skip(index: int, text: str) -> bool:
                    return user_skip(index // count, text)
        try:
            engine: Submitter = self._engine()
        except _errors.ResolveError as exc:  # e.g. the resolver is closed: one result each
            engine = _Failing(exc)
        self._stream = Stream(
            engine, texts, rtype=self.rtypes[0], concurrency=self.concurrency,
            qps=self.qps, attempts=self.attempts, lifetime=self.timeout,
            ordered=self.ordered, window=self.window, prepare=input_name, skip=skip,
            # (a line's index is the input's: with several types, the writer's)
            render=self._render if count == 1 else None,
        )
        self._batches = self._stream.batches()
        return self._stream

    async def __anext__(self) -> Result:
        pos = self._pos
        if pos < len(self._batch):
            self._pos = pos + 1
            result = self._batch[pos]
            self.done += 1
            self.counts[result.status] += 1
            return result
        batch = await self._next_batch()
        if batch is None:
            raise StopAsyncIteration
        self._batch, self._pos = batch, 0
        return await self.__anext__()

    async def batches(self) -> AsyncIterator[list[Result]]:
        """The results, a list at a time (each list never empty): the results
        that finished while the consumer was busy, in one piece."""
        try:
            if self._pos < len(self._batch):
                rest = self._batch[self._pos:]
                self._batch, self._pos = [], 0
                self._count(rest)
                yield rest
            while True:
                batch = await self._next_batch()
                if batch is None:
                    return
                self._count(batch)
                yield batch
        finally:
            await self.aclose()

    def _count(self, batch: list[Result]) -> None:
        counts = self.counts
        for result in batch:
            counts[result.status] += 1
        self.done += len(batch)

    async def _next_batch(self) -> list[Result] | None:
        """The next list of results: at most :data:`_CHUNK` of them, so that
        neither making them nor the consumer's work on them holds the event
        loop long; the rest of a bigger stream batch comes on the next call,
        after one turn of the loop (timers and replies run in between)."""
        raw = await self._next_raw()
        return None if raw is None else self._results(raw)

    async def _raw_batches(self) -> AsyncIterator[list[StreamResult]]:
        """The stream's own results, in the chunks :meth:`batches` makes
        results of, for a consumer that formats them itself (the CLI's JSONL
        lines, :mod:`aioresolve.bulk._lines`): :attr:`done` counts them as
        they are handed out; the consumer adds each one's status to
        :attr:`counts` (``_results`` makes the results it does not format)."""
        try:
            if self._pos < len(self._batch):  # __anext__ made these already
                raise RuntimeError("_raw_batches after results were taken one by one")
            while True:
                raw = await self._next_raw()
                if raw is None:
                    return
                self.done += len(raw)
                yield raw
        finally:
            await self.aclose()

    async def _next_raw(self) -> list[StreamResult] | None:
        """The next chunk of stream results (at most :data:`_CHUNK`), as
        :meth:`_next_batch` describes."""
        if self._closed or self._stopped_early:
            return None
        raw, start = self._raw, self._raw_pos
        if start:
            try:
                await asyncio.sleep(0)
            except BaseException:  # a cancellation: as one while waiting for the stream
                await self.aclose()
                raise
            if self._closed:
                return None
        else:
            if self._batches is None:
                self._start()
            assert self._batches is not None
            try:
                raw = await anext(self._batches)
            except StopAsyncIteration:
                await self.aclose()
                return None
            except BaseException:  # the input's own error, or a cancellation
                await self.aclose()
                raise
        end = start + _CHUNK
        if end < len(raw):
            self._raw, self._raw_pos = raw, end
            return raw[start:end]
        self._raw, self._raw_pos = [], 0
        return raw[start:] if start else raw

    def _results(self, raw: list[StreamResult]) -> list[Result]:
        """The bulk results of a stream batch (:func:`~aioresolve.bulk._results.results_of`,
        compiled where built)."""
        return results_of(raw, len(self.rtypes))

    # -- stopping ----------------------------------------------------------------

    def stop(self, *, report_cancelled: bool = False) -> None:
        """End the run: read no more input, cancel the lookups in flight.

        Results already finished are still yielded; with ``report_cancelled``
        so is a CANCELLED result for every input read but unfinished.  Safe to
        call from a signal handler running on the loop.
        """
        if self._stream is None:
            self._stopped_early = True
            return
        self._stream.stop(report_cancelled=report_cancelled)

    async def aclose(self) -> None:
        """Cancel everything still running and wait until it has stopped, then
        close the resolvers this run created.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._stream is not None:
                await self._stream.aclose()
            if self._task_engine is not None:
                await self._task_engine.aclose()
        finally:
            if self._cleanup is not None:
                cleanup, self._cleanup = self._cleanup, None
                await cleanup()


class _Failing:
    """An engine that cannot start anything: every input gets ``error``."""

    def __init__(self, error: _errors.ResolveError) -> None:
        self._error = error

    def submit(self, name: str, rtype: str, callback: Callable[[Any], Any], tag: Any = None,
               **options: Any) -> Any:
        raise self._error

    def cancel(self, q: Any) -> None:
        return None


def _raises(exc: BaseException) -> Iterable[str]:
    raise exc
    yield  # pragma: no cover - makes this a generator: raised on the first read
