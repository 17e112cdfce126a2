"""The public streaming API, :func:`aioresolve.stream`, against the rig's knot
and the embedded server: one result per input (answers, NXDOMAIN, NODATA,
inputs that are not names), one item at a time or in lists
(``batches=True``), in input order when asked, and closing the iterator
stops what is in flight."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from typing_extensions import assert_type

import aioresolve
from aioresolve import Answer, IllegalName, NoData, NXDomain, StreamResult
from aioresolve._backends.wire import WireBackend
from aioresolve.testing import DNSServer, Fault
from tests.rig import zone as z
from tests.rig.servers import KnotServer

NAMES = [*z.bulk_query_names(300, nx_every=50, nodata_every=30), "bad..name", "x" * 64 + ".test"]


def outcome(item: StreamResult) -> tuple[Any, ...]:
    res = item.result
    if isinstance(res, Answer):
        return item.index, item.name, item.qname, "answer", tuple(res.addresses)
    return item.index, item.name, item.qname, type(res).__name__, ()


async def items(knot: KnotServer, **options: Any) -> list[StreamResult]:
    return [item async for item in aioresolve.stream(NAMES, nameservers=[knot.address],
                                                     concurrency=50, **options)]


async def test_one_result_per_input(knot: KnotServer) -> None:
    got = sorted(await items(knot), key=lambda item: item.index)
    assert [item.index for item in got] == list(range(len(NAMES)))
    assert [item.name for item in got] == NAMES
    kinds = {type(item.result) for item in got}
    assert kinds == {Answer, NXDomain, NoData, IllegalName}
    for item in got:
        if isinstance(item.result, IllegalName):
            assert item.qname is None and item.attempts == 0
        else:
            assert item.qname == item.name and item.attempts >= 1
            assert item.server == knot.address
    assert sum(isinstance(item.result, Answer) for item in got) == sum(
        1 for name in NAMES if name.startswith("h"))


@pytest.mark.parametrize("ordered", [False, True])
async def test_batches_hold_the_same_results(knot: KnotServer, ordered: bool) -> None:
    one_by_one = await items(knot, ordered=ordered)
    lists = [batch async for batch in aioresolve.stream(
        NAMES, nameservers=[knot.address], concurrency=50, ordered=ordered, batches=True)]
    assert lists and all(type(batch) is list and batch for batch in lists)
    flat = [item for batch in lists for item in batch]
    assert all(type(item) is StreamResult for item in flat)
    if ordered:
        assert [item.index for item in flat] == [item.index for item in one_by_one] == list(
            range(len(NAMES)))
    assert sorted(map(outcome, flat)) == sorted(map(outcome, one_by_one))


async def test_types_of_the_two_forms(knot: KnotServer) -> None:
    """The overloads: items without ``batches``, lists with ``batches=True``
    (``assert_type`` is checked by mypy; at run time the values say it)."""
    gen = aioresolve.stream(["h1.bulk.test"], nameservers=[knot.address])
    assert_type(gen, AsyncGenerator[StreamResult, None])
    async with contextlib.aclosing(gen):
        first = await anext(gen)
    assert isinstance(first, StreamResult)
    lists = aioresolve.stream(["h1.bulk.test"], nameservers=[knot.address], batches=True)
    assert_type(lists, AsyncGenerator[list[StreamResult], None])
    async with contextlib.aclosing(lists):
        batch = await anext(lists)
    assert isinstance(batch, list) and isinstance(batch[0], StreamResult)


@pytest.mark.parametrize("batches", [False, True])
async def test_closing_stops_what_is_in_flight(batches: bool) -> None:
    """Leaving the loop after the first result closes the stream at once:
    the held names are cancelled (nothing waits for their 60 s delay), and
    the backend the stream made is closed (its sockets with it)."""
    records = {"fast.example.test": "192.0.2.1",
               **{f"s{i}.slow.example.test": "192.0.2.2" for i in range(20)}}
    async with DNSServer(records, faults={"slow.example.test": Fault(delay=60)}) as srv:
        names = ["fast.example.test", *(f"s{i}.slow.example.test" for i in range(20))]
        backend = WireBackend(nameservers=[srv.address], timeout=30, attempts=1)
        try:
            gen = aioresolve.stream(names, backend=backend, concurrency=30, batches=batches)

            async def first_then_close() -> None:
                async with contextlib.aclosing(gen):
                    async for got in gen:
                        first = got[0] if isinstance(got, list) else got
                        assert first.name == "fast.example.test"
                        break

            await asyncio.wait_for(first_then_close(), 20)  # a guard against a hang
            assert backend.stream_engine().in_flight == 0
        finally:
            await backend.aclose()
        assert srv.query_count() == len(names)  # each was sent once, none retried


async def test_break_without_aclosing_still_closes(knot: KnotServer) -> None:
    """A bare ``break``: the event loop's async-generator finaliser closes
    the stream (the inner generator with it) without the caller's help."""
    backend = WireBackend(nameservers=[knot.address])
    try:
        async for _ in aioresolve.stream(NAMES, backend=backend, concurrency=50):
            break
        for _ in range(100):
            if backend.stream_engine().in_flight == 0:
                break
            await asyncio.sleep(0.01)
        assert backend.stream_engine().in_flight == 0
    finally:
        await backend.aclose()


async def test_argument_errors(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address])
    try:
        with pytest.raises(TypeError, match="not both"):
            aioresolve.stream(["a.test"], backend=backend, nameservers=[knot.address])
        with pytest.raises(TypeError, match="unexpected keyword"):
            aioresolve.stream(["a.test"], nameservers=[knot.address], batch=True)  # type: ignore[call-overload]
    finally:
        await backend.aclose()
