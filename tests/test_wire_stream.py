"""WireBackend.query_stream with async inputs that wait: results must flow while
the next input name is pending, and closing the stream must leave nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aioresolve
from aioresolve._backends.wire import StreamResult, WireBackend
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer

# Generous: a loaded 2-core CI box; a hang shows up as a TimeoutError, not a stuck run.
BOUND = 10.0


@pytest.fixture
async def wire(knot: KnotServer) -> AsyncIterator[WireBackend]:
    backend = WireBackend(nameservers=[knot.address], timeout=1.0, attempts=3)
    yield backend
    await backend.aclose()


def other_tasks() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}


def assert_bulk_answer(item: StreamResult) -> None:
    assert isinstance(item.result, aioresolve.Answer), item
    i = int(item.name.split(".")[0][1:])
    assert item.result.addresses == [z.bulk_address(i)]


async def test_crawler_input_fed_by_results(wire: WireBackend) -> None:
    """The input yields name N+1 only after the result for name N arrived."""
    results: asyncio.Queue[StreamResult] = asyncio.Queue()
    count = 40

    async def crawl() -> AsyncIterator[str]:
        for i in range(count):
            yield z.bulk_name(i)
            item = await results.get()
            assert item.index == i

    async def run() -> list[StreamResult]:
        got = []
        async with contextlib.aclosing(wire.query_stream(crawl(), concurrency=10)) as stream:
            async for item in stream:
                got.append(item)
                results.put_nowait(item)
        return got

    got = await asyncio.wait_for(run(), BOUND)
    assert [item.index for item in got] == list(range(count))
    for item in got:
        assert_bulk_answer(item)
    assert not other_tasks()


async def test_crawler_that_branches(wire: WireBackend) -> None:
    """Each result may add two more names (a crawl tree); the input ends when the
    frontier is empty, which it can only learn from results."""
    frontier: asyncio.Queue[int | None] = asyncio.Queue()
    limit = 300
    outstanding = 0

    async def crawl() -> AsyncIterator[str]:
        while (i := await frontier.get()) is not None:
            yield z.bulk_name(i)

    async def run() -> set[int]:
        nonlocal outstanding
        seen: set[int] = set()
        frontier.put_nowait(0)
        outstanding = 1
        stream = wire.query_stream(crawl(), concurrency=16, qps=5000)
        async with contextlib.aclosing(stream):
            async for item in stream:
                assert_bulk_answer(item)
                assert item.index not in seen
                seen.add(item.index)
                outstanding -= 1
                parent = int(item.name.split(".")[0][1:])
                for child in (2 * parent + 1, 2 * parent + 2):
                    if child < limit:
                        frontier.put_nowait(child)
                        outstanding += 1
                if not outstanding:
                    frontier.put_nowait(None)
        return seen

    seen = await asyncio.wait_for(run(), BOUND)
    assert seen == set(range(limit))


async def test_slow_input_lets_results_flow(wire: WireBackend) -> None:
    """The input pauses until the results of its names so far have arrived (far
    below ``concurrency``); without results flowing meanwhile it would never resume."""
    received = 0
    caught_up = asyncio.Event()
    read = 0

    async def slow() -> AsyncIterator[str]:
        nonlocal read
        for _chunk in range(5):
            for _ in range(7):
                yield z.bulk_name(read)
                read += 1
            caught_up.clear()
            await caught_up.wait()
            assert received == read
            await asyncio.sleep(0.01)  # and a plain slow step too

    async def run() -> None:
        nonlocal received
        async with contextlib.aclosing(wire.query_stream(slow(), concurrency=100)) as stream:
            async for item in stream:
                assert_bulk_answer(item)
                received += 1
                if received == read:
                    caught_up.set()

    await asyncio.wait_for(run(), BOUND)
    assert received == read == 35
    assert not other_tasks()


async def test_input_read_at_most_concurrency_ahead(wire: WireBackend) -> None:
    """Laziness: the stream never holds more than ``concurrency`` names whose
    result it has not handed out, even when the consumer is slow."""
    read = 0
    received = 0
    most_ahead = 0

    async def fast() -> AsyncIterator[str]:
        nonlocal read, most_ahead
        for i in range(400):
            most_ahead = max(most_ahead, read - received)
            yield z.bulk_name(i)
            read += 1

    async def run() -> None:
        nonlocal received, most_ahead
        async with contextlib.aclosing(wire.query_stream(fast(), concurrency=8)) as stream:
            async for item in stream:
                assert_bulk_answer(item)
                received += 1
                most_ahead = max(most_ahead, read - received + 1)
                if received % 50 == 0:
                    await asyncio.sleep(0.01)  # a consumer that is slow at times

    await asyncio.wait_for(run(), BOUND)
    assert received == 400
    assert 1 <= most_ahead <= 8


async def test_aclose_with_a_pending_input_leaves_no_tasks(
        knot: KnotServer, dnsdist: DnsdistServer) -> None:
    """Closing while the input is pending and a name is in flight (dropped by
    dnsdist): the pending read is cancelled, the name too, and no task remains."""
    backend = WireBackend(nameservers=[dnsdist.address], timeout=30.0, attempts=1)
    input_cancelled = asyncio.Event()

    async def stalls() -> AsyncIterator[str]:
        yield z.A_NAME
        yield z.DROP_NAME
        try:
            await asyncio.Event().wait()  # never
        except asyncio.CancelledError:
            input_cancelled.set()
            raise

    async def run() -> None:
        async with contextlib.aclosing(backend.query_stream(stalls(), concurrency=4)) as stream:
            async for item in stream:
                assert item.name == z.A_NAME
                assert isinstance(item.result, aioresolve.Answer)
                assert backend.engine().in_flight == 1  # the dropped name
                break

    try:
        await asyncio.wait_for(run(), BOUND)
        assert input_cancelled.is_set()
        assert backend.engine().in_flight == 0
        assert not other_tasks()
    finally:
        await backend.aclose()


async def test_break_without_aclosing_leaves_no_tasks(wire: WireBackend) -> None:
    """A ``break`` without ``aclosing``: asyncio's async-generator finaliser
    closes the stream, which cancels the pending read."""
    input_cancelled = asyncio.Event()

    async def stalls() -> AsyncIterator[str]:
        yield z.A_NAME
        try:
            await asyncio.Event().wait()  # never
        except asyncio.CancelledError:
            input_cancelled.set()
            raise

    async def run() -> None:
        async for _ in wire.query_stream(stalls()):
            break

    await asyncio.wait_for(run(), BOUND)
    for _ in range(int(BOUND / 0.01)):  # the finaliser's aclose() task, then nothing
        if not other_tasks():
            break
        await asyncio.sleep(0.01)
    assert not other_tasks()
    assert input_cancelled.is_set()
    assert wire.engine().in_flight == 0


async def test_input_that_swallows_cancellation_still_closes(wire: WireBackend) -> None:
    """Closing stops reading even from an input that ignores the cancellation."""
    async def stubborn() -> AsyncIterator[str]:
        yield z.A_NAME
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()  # never
        while True:  # and carries on as if nothing happened
            yield z.AAAA_NAME

    async def run() -> None:
        async with contextlib.aclosing(wire.query_stream(stubborn())) as stream:
            async for _ in stream:
                break

    await asyncio.wait_for(run(), BOUND)
    assert not other_tasks()


async def test_cancelling_the_consumer_leaves_no_tasks(
        knot: KnotServer, dnsdist: DnsdistServer) -> None:
    """Cancelling the task that iterates (waiting for a dropped name while the
    input is pending) cancels the pending read and the name in flight."""
    backend = WireBackend(nameservers=[dnsdist.address], timeout=30.0, attempts=1)
    input_cancelled = asyncio.Event()
    first = asyncio.Event()

    async def stalls() -> AsyncIterator[str]:
        yield z.DROP_NAME
        yield z.A_NAME
        try:
            await asyncio.Event().wait()  # never
        except asyncio.CancelledError:
            input_cancelled.set()
            raise

    async def consume() -> None:
        async with contextlib.aclosing(backend.query_stream(stalls(), concurrency=4)) as stream:
            async for _ in stream:
                first.set()

    try:
        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), BOUND)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, BOUND)
        assert input_cancelled.is_set()
        assert backend.engine().in_flight == 0
        assert not other_tasks()
    finally:
        await backend.aclose()


async def test_input_error_is_raised(wire: WireBackend) -> None:
    """An input that fails raises its own error from the stream, once the names
    read before it are started, and leaves no task."""

    class Boom(Exception):
        pass

    async def fails() -> AsyncIterator[str]:
        yield z.bulk_name(0)
        yield z.bulk_name(1)
        raise Boom("input broke")

    async def run() -> None:
        async with contextlib.aclosing(wire.query_stream(fails(), concurrency=4)) as stream:
            async for _ in stream:
                pass

    with pytest.raises(Boom, match="input broke"):
        await asyncio.wait_for(run(), BOUND)
    assert wire.engine().in_flight == 0
    assert not other_tasks()


async def test_async_input_with_qps_and_illegal_names(wire: WireBackend) -> None:
    """Exactly one result per name, illegal names included, with pacing on."""
    names = [z.bulk_name(i) if i % 10 else "bad..name" for i in range(100)]

    async def gen() -> AsyncIterator[str]:
        for name in names:
            yield name
            if len(name) % 3 == 0:
                await asyncio.sleep(0)

    async def run() -> dict[int, StreamResult]:
        seen: dict[int, StreamResult] = {}
        stream = wire.query_stream(gen(), concurrency=7, qps=4000)
        async with contextlib.aclosing(stream):
            async for item in stream:
                assert item.index not in seen
                seen[item.index] = item
        return seen

    seen = await asyncio.wait_for(run(), BOUND)
    assert sorted(seen) == list(range(len(names)))
    for i, item in seen.items():
        assert item.name == names[i]
        if item.name == "bad..name":
            assert isinstance(item.result, aioresolve.IllegalName)
        else:
            assert_bulk_answer(item)
    assert not other_tasks()
