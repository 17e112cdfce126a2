"""resolve_many's wire fast path ("wire-stream": inputs straight into the wire
engine, no task per lookup) against the rig's knot and dnsdist.

Every test checks that the fast path was taken (``run.strategy``), and that a
per-lookup QueryFunc was never called, then holds it to the contract of
tests/test_bulk.py: one result per input, ordered, skip, retries, stop/cancel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from aioresolve import Resolver
from aioresolve._backends.wire import WireBackend
from aioresolve.bulk import ADDR, BulkRun, Result, Status, resolve_many
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer
from tests.test_bulk import by_index, open_sockets, settled


def fresh(parent: str) -> str:
    return f"r{uuid.uuid4().hex[:12]}.{parent}"


@pytest.fixture(autouse=True)
def no_per_lookup_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every call of the wire backend's per-lookup QueryFunc (the slow path)."""
    calls: list[str] = []
    original = WireBackend.bulk_query_func

    def spying(self: WireBackend) -> Callable[[str, str, int], Any]:
        one = original(self)

        async def query(name: str, rtype: str, attempt: int) -> Any:
            calls.append(name)
            return await one(name, rtype, attempt)

        return query

    monkeypatch.setattr(WireBackend, "bulk_query_func", spying)
    return calls


async def collect(run: BulkRun, strategy: str = "wire-stream") -> list[Result]:
    assert run.strategy == strategy
    async with run:
        return [r async for r in run]


# -- which runs take the fast path ------------------------------------------------------


async def test_strategy_selection(knot: KnotServer) -> None:
    servers = [knot.address]
    assert resolve_many([], nameservers=servers).strategy == "wire-stream"
    assert resolve_many([], nameservers=servers, rtype="MX").strategy == "wire-stream"
    assert resolve_many([], nameservers=servers, retry_on=["TIMEOUT"],
                        attempts=1).strategy == "wire-stream"  # nothing is retried anyway
    assert resolve_many([], nameservers=servers, rtype=ADDR).strategy == "workers"
    assert resolve_many([], nameservers=servers, retry_on=["TIMEOUT"]).strategy == "workers"
    assert resolve_many([], nameservers=servers, backend="cares").strategy == "workers"

    async def query(name: str, rtype: str, attempt: int) -> Any:
        raise AssertionError("not called")

    assert resolve_many([], query=query).strategy == "workers"
    async with Resolver(WireBackend(nameservers=servers)) as resolver:
        assert resolve_many([], resolver=resolver).strategy == "wire-stream"
    async with Resolver("cares", nameservers=servers) as resolver:
        assert resolve_many([], resolver=resolver).strategy == "workers"


# -- exactly one result per input ------------------------------------------------------------


def mixed_inputs(count: int) -> list[str]:
    names = z.bulk_query_names(count, nx_every=50, nodata_every=70)
    names[7] = "bad..name"
    names[8] = "-" * 70 + ".test"  # label too long
    names[9] = ""
    names[10] = names[11]  # a duplicate
    names[12] = names[11].upper() + "."  # the same name, not normalised
    names[13] = "Bücher.bulk.test"  # IDNA: asked as an A-label (NXDOMAIN)
    return names


async def test_exactly_once_over_thousands(knot: KnotServer,
                                           no_per_lookup_queries: list[str]) -> None:
    inputs = mixed_inputs(3000)
    results = await collect(resolve_many(inputs, nameservers=[knot.address], concurrency=150))
    got = by_index(results)
    assert sorted(got) == list(range(len(inputs)))
    for i, text in enumerate(inputs):
        r = got[i]
        assert r.input == text and r.rtype == "A"
        if i in (7, 8, 9):
            assert r.status is Status.ILLEGAL_INPUT and r.name is None and r.attempts == 0
            assert r.error
        elif i == 13:
            assert r.name == "xn--bcher-kva.bulk.test" and r.status is Status.NXDOMAIN
        elif text.lower().startswith("nx"):
            assert r.status is Status.NXDOMAIN and r.attempts == 1 and r.error
        elif text.startswith("nodata"):
            assert r.status is Status.NODATA and not r.records
        else:
            j = int(text.lower().split(".")[0][1:])
            assert r.status is Status.NOERROR, r
            assert r.name == z.bulk_name(j) and r.addresses == [z.bulk_address(j)]
            assert r.ttl is not None and r.ttl > 0 and r.canonical_name == r.name
            assert r.server == knot.address and r.attempts == 1 and r.elapsed >= 0
    assert not no_per_lookup_queries


async def test_same_results_as_the_worker_path(knot: KnotServer) -> None:
    inputs = [z.A_NAME, z.CNAME_NAME, z.NX_NAME, z.NODATA_NAME, "bad..name", z.bulk_name(3)]

    def key(r: Result) -> tuple[object, ...]:
        return (r.index, r.input, r.name, r.rtype, r.status, r.records, r.canonical_name,
                r.ttl, r.attempts, r.server, r.error is None)

    for rtype in ("A", "AAAA", "MX", "TXT"):
        fast = await collect(resolve_many(inputs, rtype=rtype, nameservers=[knot.address]))
        slow = await collect(resolve_many(inputs, rtype=rtype, nameservers=[knot.address],
                                          retry_on=["TIMEOUT", "SERVFAIL"]), "workers")
        fast.sort(key=lambda r: r.index)
        slow.sort(key=lambda r: r.index)
        if fast[1].status is Status.NODATA:
            # The one documented difference: the fast path counts every query
            # sent, so the follow-up at the CNAME chain's end is one more.
            assert fast[1].attempts == 2 and slow[1].attempts == 1
            fast[1] = dataclasses.replace(fast[1], attempts=1)
        assert list(map(key, fast)) == list(map(key, slow))


async def test_file_input_and_counts(knot: KnotServer) -> None:
    import io

    text = "# comment\n\n" + "\n".join(z.bulk_name(i) for i in range(500)) + "\nnx.bulk.test\n"
    run = resolve_many(io.StringIO(text), nameservers=[knot.address])
    results = await collect(run)
    assert len(results) == 501 and run.done == 501
    assert run.counts[Status.NOERROR] == 500 and run.counts[Status.NXDOMAIN] == 1


# -- ordered, window, skip, lazy input -----------------------------------------------------------


async def test_ordered_behind_timeouts_with_a_bounded_window(dnsdist: DnsdistServer) -> None:
    # Drops early in the input hold the ordered output back until they time
    # out; the window fills meanwhile and the run must neither deadlock nor
    # read further than the window.
    pulled = 0
    yielded = 0
    window = 60

    def names() -> Iterator[str]:
        nonlocal pulled
        for i in range(1500):
            pulled += 1
            yield fresh(z.DROP_NAME) if i in (3, 4, 200) else z.bulk_name(i)

    run = resolve_many(names(), nameservers=[dnsdist.address], ordered=True, window=window,
                       concurrency=30, attempts=2, timeout=2.0)
    assert run.strategy == "wire-stream"
    indices = []
    async with run:
        async for r in run:
            yielded += 1
            assert pulled <= yielded + window + 1
            indices.append(r.index)
            if r.index in (3, 4, 200):
                assert r.status is Status.TIMEOUT and r.attempts == 2, r
            else:
                assert r.status is Status.NOERROR and r.addresses == [z.bulk_address(r.index)]
    assert indices == list(range(1500))


async def test_skip_keeps_indices(knot: KnotServer) -> None:
    inputs = [z.bulk_name(i) for i in range(1000)]
    results = await collect(resolve_many(inputs, nameservers=[knot.address],
                                         skip=lambda i, text: i % 3 == 0, ordered=True))
    assert [r.index for r in results] == [i for i in range(1000) if i % 3]
    assert all(r.addresses == [z.bulk_address(r.index)] for r in results)


async def test_input_that_waits_for_results(knot: KnotServer) -> None:
    # An input fed by the results (a crawler): the next name comes only after
    # the previous result.  A run that held finished results while waiting
    # for input would hang here.
    got: asyncio.Queue[Result] = asyncio.Queue()

    async def names() -> AsyncIterator[str]:
        for i in range(20):
            yield z.bulk_name(i)
            await asyncio.wait_for(got.get(), 20)

    run = resolve_many(names(), nameservers=[knot.address])
    async with run:
        async for r in run:
            got.put_nowait(r)
    assert run.strategy == "wire-stream" and run.counts[Status.NOERROR] == 20


async def test_async_input_and_qps(knot: KnotServer) -> None:
    loop = asyncio.get_running_loop()

    async def names() -> AsyncIterator[str]:
        for i in range(2000):
            yield z.bulk_name(i)

    started = loop.time()
    done = 0
    async with resolve_many(names(), nameservers=[knot.address], qps=50) as run:
        assert run.strategy == "wire-stream"
        async for _ in run:
            done += 1
            if done == 30:
                break
    # an upper bound only: a slow box makes fewer queries, never more
    assert done <= 50 * (loop.time() - started) + 3 + 1


# -- retries and faults -----------------------------------------------------------------


async def test_drops_time_out_after_all_attempts(dnsdist: DnsdistServer) -> None:
    drops = [fresh(z.DROP_NAME) for _ in range(5)]
    inputs = drops + [z.bulk_name(i) for i in range(200)]
    results = await collect(resolve_many(inputs, nameservers=[dnsdist.address], attempts=3,
                                         timeout=3.0))
    got = by_index(results)
    for i, name in enumerate(drops):
        assert got[i].status is Status.TIMEOUT and got[i].attempts == 3, got[i]
        assert got[i].error and got[i].server == dnsdist.address
        assert dnsdist.queries_for(name) == 3
    assert all(got[i].ok for i in range(5, len(inputs)))


async def test_servfail_retried_then_next_server(dnsdist: DnsdistServer,
                                                knot: KnotServer) -> None:
    sf, nx = fresh(z.SERVFAIL_NAME), fresh(z.ZONE)
    results = await collect(resolve_many([sf, nx], nameservers=[dnsdist.address], attempts=3))
    got = by_index(results)
    assert (got[0].status, got[0].attempts) == (Status.SERVFAIL, 3)
    assert (got[1].status, got[1].attempts) == (Status.NXDOMAIN, 1)
    assert dnsdist.queries_for(sf) == 3
    name = fresh(z.SERVFAIL_NAME)
    (r,) = await collect(resolve_many([name], nameservers=[dnsdist.address, knot.address],
                                      attempts=2))
    assert r.status is Status.NOERROR and r.attempts == 2 and r.server == knot.address


async def test_given_resolver_is_used_and_not_closed(knot: KnotServer) -> None:
    async with Resolver(WireBackend(nameservers=[knot.address])) as resolver:
        results = await collect(resolve_many([z.A_NAME, z.NX_NAME], resolver=resolver,
                                             ordered=True))
        assert [r.status for r in results] == [Status.NOERROR, Status.NXDOMAIN]
        assert not resolver.closed
    # a closed resolver gives one ERROR result per input, not a hang
    results = await collect(resolve_many([z.A_NAME, z.NX_NAME], resolver=resolver))
    assert sorted(r.index for r in results) == [0, 1]
    assert all(r.status is Status.ERROR and r.error for r in results)


# -- stopping --------------------------------------------------------------------------------


async def test_stop_reports_cancelled_and_leaves_nothing(dnsdist: DnsdistServer) -> None:
    before = open_sockets()
    inputs = [z.bulk_name(i) for i in range(50)] + [fresh(z.DROP_NAME) for _ in range(30)]
    inputs += [z.bulk_name(i) for i in range(50, 5000)]
    run = resolve_many(inputs, nameservers=[dnsdist.address], timeout=60, concurrency=40,
                       ordered=True)
    assert run.strategy == "wire-stream"
    results = []
    async for r in run:
        results.append(r)
        if len(results) == 50:
            run.stop(report_cancelled=True)
    got = by_index(results)
    assert all(got[i].status is Status.NOERROR for i in range(50))
    cancelled = [r for r in results if r.status is Status.CANCELLED]
    assert cancelled and all(r.index >= 50 for r in cancelled)
    assert sorted(got) == list(range(len(got))) and len(got) < len(inputs)
    assert not await settled()
    assert open_sockets() <= before


async def test_break_leaves_nothing(dnsdist: DnsdistServer) -> None:
    # Cancelling the consumer is tested for every backend in test_bulk.py.
    before = open_sockets()
    seen = 0
    async with resolve_many([fresh(z.SLOW_NAME) for _ in range(400)],
                            nameservers=[dnsdist.address], concurrency=100) as run:
        assert run.strategy == "wire-stream"
        async for _ in run:
            seen += 1
            if seen == 10:
                break
    assert not await settled()
    assert open_sockets() <= before
