"""The stream's three ways into an engine give the same results.

:class:`~aioresolve._dns.stream.Stream` starts names and collects results
through the engine's own :class:`Sink` and ``start_many`` where the engine
has them (the compiled core's, ``_hot_c``, or the pure twin's, ``_hot_py``),
and through ``submit`` one name at a time for any other
:class:`~aioresolve._dns.stream.Submitter`.  Here the same mixed input (host
names, NXDOMAIN and NODATA, ``(name, rtype)`` pairs, upper case and IDNA
names, illegal names and items, skipped items) goes through all three
against the rig's knot, ordered and not, with a ``prepare`` marked
:func:`keeps_hostnames` and without: every run must give the same results
(all fields but ``elapsed``, and ``attempts`` only as asked or not), and
the marked ``prepare`` is not called for plain host names.  The core's
host-name check is compared with its pure twin and with what bulk's
``input_name`` keeps unchanged.
"""

from __future__ import annotations

import asyncio
import collections
import os
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve import Answer
from aioresolve._dns import _hot_py, _speedups
from aioresolve._dns.engine import Engine
from aioresolve._dns.stream import Stream, StreamResult, keeps_hostnames
from aioresolve._nameservers import parse_nameserver
from aioresolve.bulk._input import input_name
from tests.rig import zone as z
from tests.rig.servers import KnotServer
from tests.test_hot import _engine_class

CI = os.environ.get("CI") == "true"

_hot_c: Any
try:
    from aioresolve._dns import _hot_c
except ImportError as exc:  # pragma: no cover - depends on the build
    _hot_c = None
    _MISSING = str(exc)


def _cores() -> list[Any]:
    if _speedups.NO_EXTENSIONS:  # the engine's other parts are pure: so is its core
        return [_hot_py.Core]
    if _hot_c is None:
        if CI:
            pytest.fail(f"CI must build the compiled core: {_MISSING}")
        return [_hot_py.Core]
    return [_hot_py.Core, _hot_c.Core]


class _OnlySubmit:
    """A Submitter that is not a wire engine (submit/cancel only)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        return self._engine.submit(*args, **kwargs)

    def cancel(self, q: Any) -> None:
        self._engine.cancel(q)


def _inputs() -> list[Any]:
    items: list[Any] = list(z.bulk_query_names(240, nx_every=10, nodata_every=7))
    items[3] = "H3.Bulk.Test"  # upper case: prepare lowers it
    items[5] = "h5.bulk.test."  # trailing dot
    items[8] = (z.bulk_name(8), "AAAA")
    items[9] = (z.AAAA_NAME, "AAAA")
    items[11] = "a..b.test"  # illegal
    items[12] = "x" * 64 + ".test"  # illegal: a label too long
    items[13] = z.IDN_ULABEL  # IDNA
    items[17] = 42  # not a name at all: prepare raises
    items[19] = (z.A_NAME, "NOTATYPE")  # submit raises ValueError: IllegalName
    items[23] = ("192.0.2.1", "PTR")  # prepare gives the reverse name
    items[29] = "-bad.test"  # illegal
    items[31] = z.CNAME_NAME
    return items


def _skip(index: int, text: str) -> bool:
    return index % 37 == 36


def _normal(results: list[StreamResult]) -> list[tuple[Any, ...]]:
    out = []
    for r in results:
        res: Any = r.result
        what = res if isinstance(res, Answer) else (type(res).__name__, str(res))
        # attempts: 0 for an input never asked; a retry after a datagram lost
        # on a busy box is not a difference
        out.append((r.index, r.name, what, r.attempts > 0, r.server, r.rtype, r.qname))
        assert r.elapsed >= 0.0
    return out


async def _run(core: type, wrap: bool, knot: KnotServer, *, ordered: bool,
               prepare: Callable[[str, str], str], qps: float | None = None,
               source: Callable[[], Any] = lambda: iter(_inputs())) -> list[StreamResult]:
    engine = _engine_class(core)(asyncio.get_running_loop(), [parse_nameserver(knot.address)],
                                 attempts=2, timeout=2.0)
    try:
        target: Any = _OnlySubmit(engine) if wrap else engine
        stream = Stream(target, source(), concurrency=16, ordered=ordered, prepare=prepare,
                        skip=_skip, qps=qps, window=24 if ordered else None)
        results = [r async for batch in stream.batches() for r in batch]
        assert not engine._active and engine.in_flight == 0
        return results
    finally:
        engine.close()


@pytest.mark.parametrize("ordered", [False, True])
async def test_every_way_in_gives_the_same_results(knot: KnotServer, ordered: bool) -> None:
    calls: collections.Counter[str] = collections.Counter()

    def plain(text: str, rtype: str) -> str:
        calls[text] += 1
        return input_name(text, rtype)

    marked = keeps_hostnames("PTR")(lambda text, rtype: plain(text, rtype))
    runs = {}
    for core in _cores():
        for wrap in (False, True):
            for prepare in (plain, marked):
                calls.clear()
                got = await _run(core, wrap, knot, ordered=ordered, prepare=prepare)
                key = (core.__module__, wrap, prepare is marked)
                runs[key] = _normal(got)
                if prepare is marked:  # only the names it may change went through it
                    assert "H3.Bulk.Test" in calls and z.IDN_ULABEL in calls
                    assert "192.0.2.1" in calls and "a..b.test" in calls
                    assert z.bulk_name(0) not in calls and z.bulk_name(8) not in calls
                else:
                    assert z.bulk_name(0) in calls
    reference = runs.pop(("aioresolve._dns._hot_py", True, False))
    indices = [r[0] for r in reference]
    kept = [i for i in range(len(_inputs())) if not _skip(i, "")]
    assert sorted(indices) == kept  # exactly one result per input not skipped
    if ordered:
        assert indices == kept
    by_index = sorted(reference)
    assert by_index[3][6] == "h3.bulk.test" and isinstance(by_index[3][2], Answer)
    illegal = {r[0]: r for r in by_index if r[6] is None}
    assert set(illegal) == {11, 12, 17, 19, 29}
    assert all(r[2][0] == "IllegalName" and not r[3] for r in illegal.values())
    for key, got in runs.items():
        assert sorted(got) == by_index, key
        if ordered:
            assert [r[0] for r in got] == kept, key


async def test_async_input_and_qps_alike(knot: KnotServer) -> None:
    async def items() -> Any:
        for i, item in enumerate(_inputs()[:60]):
            if i % 10 == 0:
                await asyncio.sleep(0)
            yield item

    runs = []
    for core in _cores():
        for wrap in (False, True):
            got = await _run(core, wrap, knot, ordered=False, prepare=input_name, qps=2000.0,
                             source=items)
            runs.append(sorted(_normal(got)))
    assert len(runs[0]) == len([i for i in range(60) if not _skip(i, "")])
    assert all(run == runs[0] for run in runs)


async def test_start_many_bounds_and_input_errors(knot: KnotServer) -> None:
    def failing() -> Iterator[str]:
        yield from (z.bulk_name(i) for i in range(5))
        raise OSError("the input broke")

    for core in _cores():
        engine = _engine_class(core)(asyncio.get_running_loop(),
                                     [parse_nameserver(knot.address)])
        woken = asyncio.Event()
        try:
            sink = engine.stream_sink(StreamResult, woken.set, rtype="A",
                                      prepare=input_name, skip=None, attempts=None,
                                      timeout=None, lifetime=None, order=None,
                                      alters=frozenset({"PTR"}))
            source = failing()
            assert engine.start_many(sink, source, 2, -1) == 2  # room
            assert engine.start_many(sink, source, 10, 1) == 1  # budget
            assert (sink.read, sink.count, sink.exhausted) == (3, 3, False)
            assert engine.start_many(sink, source, 10, -1) == 2
            assert sink.exhausted and isinstance(sink.error, OSError) and sink.read == 5
            items: collections.deque[Any] = collections.deque(["a..b", z.bulk_name(7)])
            assert engine.start_many(sink, items, 10, -1) == 2 and not items
            assert sink.read == 7 and sink.count == 6 and len(sink.in_flight()) == 6
            assert [r.index for r in sink.results] == [5]  # the illegal one, at once
            assert sink.results[0].qname is None and not woken.is_set()
            taken, sink.results = sink.results, []
            while len(taken) < 7:  # woken each time the list stops being empty
                await asyncio.wait_for(woken.wait(), 10)
                woken.clear()
                assert sink.results
                taken += sink.results
                sink.results = []
            assert not sink.count and not sink.in_flight() and not engine._active
            assert sorted(r.index for r in taken) == list(range(7))
            assert all(type(r) is StreamResult and r.elapsed >= 0 for r in taken)
            assert getattr(sink, "direct", True)  # the C sink fills its tuples itself
            for r in taken:  # as StreamResult(...) makes them
                same = StreamResult(*r)
                assert r == same and hash(r) == hash(same) and repr(r) == repr(same)
                assert _normal([pickle.loads(pickle.dumps(r))]) == _normal([r])
                assert r._replace(attempts=9)[3] == 9
        finally:
            engine.close()


def test_an_engine_that_replaces_submit_gets_no_sink() -> None:
    class Custom(Engine):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            return super().submit(*args, **kwargs)

    loop = asyncio.new_event_loop()
    try:
        engine = Custom(loop, [("127.0.0.1", 9)])
        assert engine.stream_sink(StreamResult, lambda: None, rtype="A", prepare=None,
                                  skip=None, attempts=None, timeout=None, lifetime=None,
                                  order=None, alters=None) is None
        engine.close()
    finally:
        loop.close()


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="abzAZ09-_.*é ", max_size=70) | st.sampled_from(
    ["a" * 63, "a" * 64, ".".join(["a" * 63] * 4), ".".join(["a" * 63] * 3 + ["a" * 61])]))
def test_hostname_check_twins(text: str) -> None:
    plain = _hot_py.is_hostname(text)
    if _hot_c is not None:
        assert _hot_c.is_hostname(text) == plain
    if plain:  # what the core does not give to a marked prepare, bulk's keeps as it is
        assert input_name(text, "A") == text
