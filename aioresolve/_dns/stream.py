"""The one stream engine: many names through one resolution engine.

:class:`Stream` is the only feeder of an engine.  :meth:`WireBackend.query_stream
<aioresolve._backends.wire.WireBackend.query_stream>`, :func:`aioresolve.resolve_many`
(and so the CLI and the Dask partitions) all run one, so that these mean one
thing everywhere:

- **concurrency**: names in flight at most;
- **qps**: names *started* per second at most, as a token bucket with a burst
  of ``qps / 20`` (at least 1); the retries of a name are not paced (the engine
  spaces them by its own timeouts);
- **retries**: the engine's (the wire engine retries TIMEOUT, SERVFAIL,
  REFUSED and network errors on the next server); :class:`TaskEngine` gives a
  one-lookup-per-call backend the same loop, once, here;
- **lifetime**: the per-name deadline covering all its attempts;
- **ordering window**: with ``ordered=True`` results come in input order, and
  inputs read but not yet handed out are bounded by ``window``;
- **stop**: :meth:`Stream.stop` ends the run from anywhere (a signal handler),
  optionally reporting every name in flight as :class:`Cancelled`;
- **exactly one** :class:`StreamResult` per input read, failures included.

Results are handed out in batches (:meth:`Stream.batches`): every result that
finished while the consumer was busy comes in one list, so the consumer pays
one ``await`` per burst, not per name.  Each input item is a name (asked as
the stream's ``rtype``) or a ``(name, rtype)`` pair, so one stream can mix
record types.

The engine is anything with ``submit``/``cancel`` as the wire engine
(:class:`aioresolve._dns.engine.Engine`) has them (:class:`Submitter`).  Where
the engine also has ``stream_sink``/``start_many`` (the wire engine's core,
:mod:`aioresolve._dns._hot_c` or its pure twin :mod:`aioresolve._dns._hot_py`),
the per-name work runs there: ``start_many`` reads, skips, prepares and submits
a step of inputs in one call, and the :class:`~aioresolve._dns._sink_py.Sink`
(the queries' callback) makes each :class:`StreamResult` as its query ends;
this loop only moves lists, paces and waits.  Other engines get the same loop
through their ``submit`` (:class:`~aioresolve._dns._submitter.SubmitterSink`).  This
module knows nothing of bulk results, files or output formats.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any, NamedTuple, TypeAlias, TypeVar

from .. import _errors
from .._records import Answer
from ._feed import AsyncFeed
from ._submitter import Handle, Submitter, SubmitterSink
from .task_engine import QueryFunc, TaskEngine

__all__ = [
    "Cancelled",
    "Handle",
    "Item",
    "QueryFunc",
    "Stream",
    "StreamResult",
    "Submitter",
    "TaskEngine",
    "keeps_hostnames",
]

#: Names started, or results collected, in one step of the stream before it
#: lets the loop run: a refill of 500 submissions or a burst of results must not
#: hold the loop for tens of milliseconds (timer lag).  Each step costs a turn
#: of the event loop and of the async generators above it: 32 -> 64 took the
#: CLI from 17.0k to 15.4k instructions a name (callgrind, knotd, 2026-12-04;
#: 128: 15.2k), a step being ~0.2 ms of the compiled path, ~0.6 ms pure.
_STEP = 64

#: Names in flight at most before the first results come back: the stream
#: opens like TCP's slow start, each result letting one more name go (the
#: limit doubles per round trip) until ``concurrency``.  A server's socket
#: drops what does not fit in its receive buffer: Linux's default of 208 KiB
#: holds 256 of these datagrams on loopback, and knotd (one UDP worker) lost
#: 244 of an opening burst of 500 in most runs (``UdpRcvbufErrors``,
#: ``python -m benchmarks.bench_first_burst``), each of them a retry.
OPENING = 64

#: An input: a name (asked as the stream's ``rtype``) or ``(name, rtype)``.
Item: TypeAlias = "str | tuple[str, str]"

_F = TypeVar("_F", bound=Callable[[str, str], str])


def keeps_hostnames(*alters: str) -> Callable[[_F], _F]:
    """Mark a ``prepare`` function (see :class:`Stream`) as returning a
    lower-case host name unchanged (labels of ``a-z0-9_-``, not starting or
    ending with ``-``, 63 characters each at most, 253 in all, no trailing
    dot; a ``str`` exactly) for every record type but ``alters``: the stream
    then does not call it for such names (~1 µs a name for IDNA's checks).

    :param alters: the record types for which it may change them (e.g. PTR,
        for which an address stands for its reverse name).
    """
    def mark(func: _F) -> _F:
        func.keeps_hostnames_but = frozenset(alters)  # type: ignore[attr-defined]
        return func
    return mark


class Cancelled(_errors.ResolveError):
    """The stream was stopped (``stop(report_cancelled=True)``) before this
    name finished."""


class StreamResult(NamedTuple):
    """One result of a :class:`Stream` (and of ``query_stream``).

    :ivar index: position of the input among the inputs read (from 0; skipped
        inputs keep theirs).
    :ivar name: the input as given.
    :ivar result: an :class:`~aioresolve.Answer`, or the exception that ended
        the lookup (a :class:`~aioresolve.ResolveError` from the wire engine;
        :class:`~aioresolve.IllegalName` for a name that cannot be asked;
        :class:`Cancelled` after a stop).
    :ivar attempts: queries sent for it (retries and CNAME follow-ups included).
    :ivar server: ``"ip:port"`` of the server that gave the final answer.
    :ivar rtype: the record type asked.
    :ivar qname: the name asked (after ``prepare``), ``None`` if it could not be.
    :ivar elapsed: seconds from the submission to the result.
    """

    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose
    name: str
    result: Answer | Exception
    attempts: int
    server: str | None
    rtype: str = "A"
    qname: str | None = None
    elapsed: float = 0.0


# -- the stream ----------------------------------------------------------------------------------


def check_options(concurrency: int, qps: float | None, window: int | None) -> None:
    """Raise :exc:`ValueError` for a :class:`Stream`'s options out of range
    (also what :func:`aioresolve.resolve_many` checks when it is called,
    before any stream exists)."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency!r}")
    if qps is not None and qps <= 0:
        raise ValueError(f"qps must be positive or None, not {qps!r}")
    if window is not None and window < 1:
        raise ValueError(f"window must be at least 1, not {window!r}")


class Stream:
    """Resolve every item of ``items`` through ``engine``; see the module docstring.

    Iterate :meth:`batches` (lists of :class:`StreamResult`) or the stream
    itself (one result at a time).  Closing the iterator (``aclose``, leaving
    ``async with``, or its finalisation after a ``break``) or cancelling the
    consuming task cancels the names in flight and a pending read of an async
    input (which sees :exc:`asyncio.CancelledError`); no task is left behind.
    An error raised by the input is raised after the results of every item
    read before it.

    :param engine: the :class:`Submitter` (e.g. ``WireBackend.stream_engine()``).
    :param items: names or ``(name, rtype)`` pairs: a list, any iterable or an
        async iterable, read lazily.
    :param rtype: the record type of items given as bare names.
    :param concurrency: names in flight at most.
    :param qps: names started per second at most (``None``: no pacing).
    :param attempts: per name (default: the engine's).
    :param timeout: per attempt, seconds (default: the engine's).
    :param lifetime: per name, all its attempts, seconds (default: the engine's).
    :param ordered: hand results out in input order.
    :param window: items read but not yet handed out, at most (default
        ``concurrency`` unordered, ``8 * concurrency`` ordered).
    :param prepare: ``prepare(name, rtype) -> qname``, the name to ask (e.g.
        IDNA encoding); an exception gives an IllegalName result, never a query.
    :param skip: ``skip(index, name) -> bool``: items for which it is true keep
        their index but are not asked and get no result.
    :param render: ``"jsonl"``: where the engine's compiled core decodes a
        common answer (A/AAAA, NOERROR) of an unordered stream, it hands out
        the result's finished JSONL line (``bytes``, the bulk schema's, as
        :mod:`aioresolve.bulk._lines` writes it) in its :class:`StreamResult`'s
        place: for a consumer that writes those lines (the CLI), no result
        objects are made for most names.  Ignored where ``ordered`` (the
        ordering needs each result's index) and by other engines.
    """

    def __init__(
        self,
        engine: Submitter,
        items: Iterable[Any] | AsyncIterable[Any],
        *,
        rtype: str = "A",
        concurrency: int = 256,
        qps: float | None = None,
        attempts: int | None = None,
        timeout: float | None = None,
        lifetime: float | None = None,
        ordered: bool = False,
        window: int | None = None,
        prepare: Callable[[str, str], str] | None = None,
        skip: Callable[[int, str], bool] | None = None,
        render: str | None = None,
    ) -> None:
        check_options(concurrency, qps, window)
        if render not in (None, "jsonl"):
            raise ValueError(f"render must be None or 'jsonl', not {render!r}")
        self.render = render
        self._engine = engine
        self._items = items
        self.rtype = rtype
        self.concurrency = concurrency
        self.qps = qps
        self.attempts = attempts
        self.timeout = timeout
        self.lifetime = lifetime
        self.ordered = ordered
        self.window = max(window or concurrency * (8 if ordered else 1), 1)
        self._prepare = prepare
        self._skip = skip
        self._stopping = False
        self._report_cancelled = False
        self._wake: asyncio.Future[None] | None = None
        self._gen: AsyncIterator[list[StreamResult]] | None = None
        #: Items read so far (the next index).
        self.read = 0

    # -- control ---------------------------------------------------------------------

    def stop(self, *, report_cancelled: bool = False) -> None:
        """Read no more input and cancel the names in flight; results already
        finished are still handed out, and with ``report_cancelled`` a
        :class:`Cancelled` result for each name in flight.  Safe to call from
        a signal handler running on the loop."""
        if self._stopping:
            return
        self._stopping = True
        self._report_cancelled = report_cancelled
        self._wake_up()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _wake_up(self) -> None:
        fut = self._wake
        if fut is not None and not fut.done():
            fut.set_result(None)

    def batches(self) -> AsyncIterator[list[StreamResult]]:
        """The results, a list at a time (never an empty list)."""
        if self._gen is None:
            self._gen = self._run()
        return self._gen

    def __aiter__(self) -> AsyncIterator[StreamResult]:
        return self._one_by_one()

    async def _one_by_one(self) -> AsyncIterator[StreamResult]:
        batches = self.batches()
        try:
            async for batch in batches:
                for result in batch:
                    yield result
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Cancel what is in flight and wait until nothing of the stream runs."""
        gen = self._gen
        if gen is not None:
            self._gen = _CLOSED
            await gen.aclose()  # type: ignore[attr-defined]
        else:
            self._gen = _CLOSED

    # -- the loop ----------------------------------------------------------------------

    async def _run(self) -> AsyncIterator[list[StreamResult]]:
        loop = asyncio.get_running_loop()
        engine = self._engine
        out: list[StreamResult] = []  # results to hand out
        ordered = self.ordered
        order: collections.deque[int] = collections.deque()  # read, not yet handed out
        held: dict[int, StreamResult] = {}  # finished, waiting for their turn (ordered)
        concurrency, window = self.concurrency, self.window
        limit = min(concurrency, OPENING)  # names in flight at most, for now (OPENING)
        wake_up = self._wake_up
        items = self._items
        if isinstance(items, (str, bytes)):
            raise TypeError("items must be an iterable of names, not a single str/bytes")
        # The engine's own sink and batch start (the wire engine: its core
        # starts names and makes their results, compiled where built), or one
        # here over any Submitter's submit.
        options: dict[str, Any] = dict(
            rtype=self.rtype, prepare=self._prepare, skip=self._skip, attempts=self.attempts,
            timeout=self.timeout, lifetime=self.lifetime, order=order if ordered else None,
            alters=getattr(self._prepare, "keeps_hostnames_but", None))
        make_sink = getattr(engine, "stream_sink", None)
        sink: Any = make_sink(StreamResult, wake_up, **options) if make_sink else None
        if sink is None:
            sink = SubmitterSink(engine, StreamResult, wake_up, **options)
            start: Callable[[Any, Any, int, int], int] = sink.start_many
        else:
            start = engine.start_many  # type: ignore[attr-defined]
            if self.render == "jsonl" and not ordered and hasattr(sink, "jsonl"):
                sink.jsonl = True  # the compiled core's Sink: see ``render``
        source: Any = None
        feed: AsyncFeed | None = None
        if isinstance(items, AsyncIterable):
            feed = AsyncFeed(aiter(items), window, wake_up)
            source = feed.items
        else:
            source = iter(items)
        # pacing: a token bucket of names started
        rate = self.qps
        burst = max(1.0, rate / 20) if rate else 0.0
        tokens = burst
        stamp = loop.time()
        exhausted = False
        input_error: BaseException | None = None
        work = 0  # names started and results collected since the loop last ran
        try:
            while True:
                if work >= _STEP:  # let the loop run (timers, reads) between steps
                    work = 0
                    await asyncio.sleep(0)
                pace_at = 0.0
                # -- start names while there is room --------------------------------
                # (window: inputs read, not yet handed out: in flight, finished, held)
                flying = sink.count
                room = min(limit - flying,
                           window - flying - len(sink.results) - len(held), _STEP)
                if room > 0 and not exhausted and not self._stopping:
                    budget = -1
                    if rate:
                        if tokens < 1:
                            now = loop.time()
                            tokens = min(burst, tokens + (now - stamp) * rate)
                            stamp = now
                            if tokens < 1:
                                pace_at = now + (1 - tokens) / rate
                        budget = int(tokens)
                    if feed is not None and not source and feed.exhausted:
                        exhausted, input_error = True, feed.error
                    elif budget:
                        spent = start(sink, source, room, budget)
                        tokens -= spent
                        work += spent
                        if sink.exhausted:
                            exhausted, input_error = True, sink.error
                        if sink.skipped:
                            if feed is not None:
                                feed.release(sink.skipped)
                            sink.skipped = 0
                # -- collect what finished -------------------------------------------
                results = sink.results
                if results:
                    taken = _STEP if len(results) > _STEP and not self._stopping else len(results)
                    work += taken
                    if limit < concurrency:  # opening: one more in flight per result
                        limit = min(concurrency, limit + taken)
                    if taken < len(results):
                        out.extend(results[:_STEP])
                        del results[:_STEP]
                    elif out:
                        out.extend(results)
                        results.clear()
                    else:
                        out = results
                        sink.results = []
                if self._stopping and sink.count:
                    active = sink.in_flight()
                    for q in active.values():
                        engine.cancel(q)
                    sink.forget()
                    if self._report_cancelled:
                        now = time.monotonic()
                        for index, q in sorted(active.items()):
                            text, born = sink.describe(q)
                            out.append(StreamResult(
                                index, text,
                                Cancelled("the run was stopped before this lookup finished",
                                          host=q.name, rtype=q.rtype),
                                q.tries, None, q.rtype, q.name, now - born))
                    elif ordered:
                        for index in active:
                            order.remove(index)
                if self._stopping:
                    exhausted = True
                if out:
                    if ordered:
                        for result in out:
                            held[result.index] = result
                        out = []
                        while order and order[0] in held:
                            out.append(held.pop(order.popleft()))
                        if self._stopping and not sink.count:  # gaps never fill now
                            out.extend(held.pop(i) for i in sorted(held))
                            order.clear()
                    if out:
                        batch_out, out = out, []
                        yield batch_out
                        if feed is not None:  # the consumer is done with the batch
                            feed.release(len(batch_out))
                        continue  # room again: start more before waiting
                if exhausted and not sink.count and not sink.results:
                    if input_error is not None:
                        error, input_error = input_error, None
                        raise error
                    return
                if sink.results or (not exhausted and not self._stopping and pace_at == 0.0
                                    and sink.count < limit
                                    and sink.count + len(held) < window  # results: none
                                    and (feed is None or source or feed.exhausted)):
                    continue
                # -- wait: a result, a paced start, an item, or stop()
                fut = self._wake = loop.create_future()
                handle = loop.call_at(pace_at, wake_up) if pace_at else None
                try:
                    await fut
                finally:
                    self._wake = None
                    if handle is not None:
                        handle.cancel()
        finally:
            if sink.count:
                for q in sink.in_flight().values():
                    engine.cancel(q)
                sink.forget()
            if feed is not None:
                await feed.aclose()


class _Closed:
    """The iterator of a closed stream: empty."""

    def __aiter__(self) -> _Closed:
        return self

    async def __anext__(self) -> list[StreamResult]:
        raise StopAsyncIteration

    async def aclose(self) -> None:
        return None


_CLOSED: Any = _Closed()
