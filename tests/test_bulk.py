"""aioresolve.bulk against the real rig (knot, dnsdist injecting faults)."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from aioresolve import Answer, NXDomain, Resolver, ServFail
from aioresolve import _errors as errors
from aioresolve._records import A
from aioresolve.bulk import (
    ADDR,
    CSV_FIELDS,
    Result,
    Status,
    resolve_all,
    resolve_many,
    tuned_gc,
)
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer

BACKENDS = ["cares", "wire"]  # wire runs the fast path ("wire-stream")


def fresh(parent: str) -> str:
    return f"r{uuid.uuid4().hex[:12]}.{parent}"


def by_index(results: list[Result]) -> dict[int, Result]:
    indices = [r.index for r in results]
    assert len(indices) == len(set(indices)), "an index was reported twice"
    return {r.index: r for r in results}


def open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            continue
    return count


def other_tasks() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}


async def settled() -> set[asyncio.Task[object]]:
    """Tasks still running after the loop had a moment (up to 10 s) to finish closing."""
    # A generator left by ``break`` is closed by a task the loop makes on its
    # next iteration (asyncio's async-generator finaliser); a run with no task
    # of its own (the wire stream) shows nothing to wait for before that.
    for _ in range(3):
        await asyncio.sleep(0)
    for _ in range(1000):
        if not other_tasks():
            break
        await asyncio.sleep(0.01)
    return other_tasks()


# -- exactly one result per input, right statuses --------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_thousands_of_names_each_exactly_once(dnsdist: DnsdistServer, backend: str) -> None:
    names = z.bulk_query_names(3000, nx_every=40, nodata_every=70)
    faults = {
        fresh(z.SERVFAIL_NAME): Status.SERVFAIL,
        fresh(z.REFUSED_NAME): Status.REFUSED,
        fresh(z.DROP_NAME): Status.TIMEOUT,
        fresh(z.TC_NAME): Status.NOERROR,  # TC=1, then TCP
    }
    bad = {"": "empty", "-x-.test": "label", "a..b.test": "empty label", "x" * 64 + ".test": "63"}
    inputs = names[:1500] + list(faults) + list(bad) + names[1500:] + [names[0], names[0]]
    results = await resolve_all(inputs, nameservers=[dnsdist.address], backend=backend,
                                concurrency=150, timeout=4, attempts=2)
    got = by_index(results)
    assert sorted(got) == list(range(len(inputs)))
    for i, text in enumerate(inputs):
        r = got[i]
        assert r.input == text
        if text in faults:
            assert r.status is faults[text], r
        elif text in bad:
            assert r.status is Status.ILLEGAL_INPUT and r.name is None and r.attempts == 0
            assert r.error
        elif text.startswith("nx"):
            assert r.status is Status.NXDOMAIN and r.records == ()
        elif text.startswith("nodata"):
            assert r.status is Status.NODATA
        else:
            assert r.status is Status.NOERROR, r
            j = int(text.split(".")[0][1:])
            assert r.addresses == [z.bulk_address(j)]
            assert r.ttl is not None and 0 < r.ttl <= z.TTL
            assert r.server == dnsdist.address
    # duplicates: each its own result
    assert [r.status for r in results if r.input == names[0]] == [Status.NOERROR] * 3


async def test_big_batches_come_in_chunks_and_the_loop_runs_between() -> None:
    """Results that become ready together (here: an ordered run whose first
    lookup ends last, which releases every other result at once) come in
    lists of at most 256, with a turn of the event loop between two lists:
    bulk's own work never holds the loop for a whole window.  Each input
    exactly once, in order."""
    loop = asyncio.get_running_loop()
    count = 3000
    gate = asyncio.Event()
    answered = [0]

    async def query(name: str, rtype: str, attempt: int) -> Answer:
        if name == "h0.test":
            await gate.wait()  # the head of the line ends after all the others
        else:
            answered[0] += 1
            if answered[0] == count - 1:
                gate.set()
        if name.startswith("nx"):
            raise NXDomain(host=name, rtype=rtype)
        return Answer(name, rtype, (A(60, "192.0.2.1"),), name, 60)

    turns = [0]

    def tick() -> None:
        turns[0] += 1
        handle[0] = loop.call_soon(tick)

    handle = [loop.call_soon(tick)]
    names = [f"nx{i}.test" if i % 40 == 39 else f"h{i}.test" for i in range(count)]
    seen: list[int] = []
    turn_at: list[int] = []
    try:
        async with resolve_many(names, query=query, concurrency=count, ordered=True) as run:
            async for batch in run.batches():
                seen += [r.index for r in batch]
                assert 0 < len(batch) <= 256
                turn_at.append(turns[0])
    finally:
        handle[0].cancel()
    assert seen == list(range(count))
    assert len(turn_at) == -(-count // 256)  # ceil: one release, in chunks
    assert all(b > a for a, b in itertools.pairwise(turn_at))
    assert run.done == count and sum(run.counts.values()) == count
    assert run.counts[Status.NXDOMAIN] == count // 40


async def test_tuned_gc_around_a_run(knot: KnotServer) -> None:
    """Inside tuned_gc the young generation waits for 50,000 allocations and
    start-up is frozen; a run inside it loses nothing; on leaving, the
    previous settings come back.  A collector that was off stays off."""
    import gc

    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    names = z.bulk_query_names(500, nx_every=50)
    with tuned_gc():
        assert gc.get_threshold()[0] == max(before[0], 50_000)
        assert gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() > frozen
        results = await resolve_all(names, nameservers=[knot.address])
    assert [r.index for r in results] == list(range(len(names)))
    assert sum(r.status is Status.NXDOMAIN for r in results) == len(names) // 50
    assert gc.get_threshold() == before
    if frozen:  # CPython 3.12 starts with objects frozen: what was frozen stays
        assert gc.get_freeze_count() >= frozen
    else:
        assert gc.get_freeze_count() == 0
    try:
        gc.set_threshold(0)
        with tuned_gc(threshold=1000):
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_tuned_gc_keeps_a_programs_own_freeze() -> None:
    """A program that froze objects itself (gc.freeze before forking, say)
    finds them still frozen after a tuned_gc block: the block does not
    unfreeze what it did not freeze."""
    import gc

    started_frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        mine = gc.get_freeze_count()
        with tuned_gc():
            pass
        assert gc.get_freeze_count() >= mine
    finally:
        if not started_frozen:
            gc.unfreeze()


async def test_ordered_async_iterable(knot: KnotServer) -> None:
    names = z.bulk_query_names(1200, nx_every=13)

    async def source() -> AsyncIterator[str]:
        for i, name in enumerate(names):
            if i % 100 == 0:
                await asyncio.sleep(0)
            yield name

    indices = []
    async for r in resolve_many(source(), nameservers=[knot.address], ordered=True,
                                concurrency=50, window=64):
        assert r.input == names[r.index]
        indices.append(r.index)
    assert indices == list(range(len(names)))


async def test_file_input_skips_blank_and_comments(knot: KnotServer) -> None:
    text = (f"# header\n{z.A_NAME}\n\n   \n  {z.NX_NAME}  \n#{z.A_NAME}\nbad name here\n"
            f"{z.IDN_ULABEL}\n{z.A_NAME}.\n")
    results = await resolve_all(io.StringIO(text), nameservers=[knot.address])
    assert [(r.index, r.input, r.status) for r in results] == [
        (0, z.A_NAME, Status.NOERROR),
        (1, z.NX_NAME, Status.NXDOMAIN),
        (2, "bad name here", Status.ILLEGAL_INPUT),
        (3, z.IDN_ULABEL, Status.NOERROR),
        (4, z.A_NAME + ".", Status.NOERROR),
    ]
    assert results[3].name == z.IDN_NAME and results[3].addresses == [z.IDN_ADDR]
    # binary files and undecodable bytes: one result each, never a crash
    data = f"{z.A_NAME}\n".encode() + b"\xff\xfe.test\n"
    results = await resolve_all(io.BytesIO(data), nameservers=[knot.address])
    assert [r.status for r in results] == [Status.NOERROR, Status.ILLEGAL_INPUT]


async def test_addr_and_other_types(knot: KnotServer) -> None:
    results = await resolve_all(
        [z.DUAL_NAME, z.AAAA_NAME, z.NODATA_NAME, z.NX_NAME, z.CNAME_NAME],
        rtype=ADDR, nameservers=[knot.address])
    dual, aaaa, nodata, nx, cname = results
    assert sorted(dual.addresses) == sorted([z.DUAL_V4, z.DUAL_V6])
    assert aaaa.status is Status.NOERROR and aaaa.addresses == [z.AAAA_ADDR]
    assert nodata.status is Status.NODATA
    assert nx.status is Status.NXDOMAIN
    assert cname.canonical_name == z.CNAME_TARGET
    mx = await resolve_all([z.MX_NAME, z.A_NAME], rtype="mx", nameservers=[knot.address])
    assert mx[0].rtype == "MX" and mx[0].status is Status.NOERROR
    assert {r.exchange for r in mx[0].records} == {x for _, x in z.MX_RECORDS}  # type: ignore[attr-defined]
    assert mx[1].status is Status.NODATA


# -- retries, servers, pacing ------------------------------------------------------------


async def test_retries_counted_by_the_server(dnsdist: DnsdistServer) -> None:
    servfail, refused, nx = fresh(z.SERVFAIL_NAME), fresh(z.REFUSED_NAME), fresh(z.ZONE)
    results = await resolve_all([servfail, refused, nx], nameservers=[dnsdist.address],
                                attempts=3, timeout=5)
    assert [r.attempts for r in results] == [3, 3, 1]
    assert dnsdist.queries_for(servfail) == 3
    assert dnsdist.queries_for(nx) == 1
    # retry_on is configurable: no retry on SERVFAIL
    other = fresh(z.SERVFAIL_NAME)
    (r,) = await resolve_all([other], nameservers=[dnsdist.address], attempts=3,
                             retry_on=[Status.TIMEOUT])
    assert r.status is Status.SERVFAIL and r.attempts == 1
    assert dnsdist.queries_for(other) == 1


async def test_retry_goes_to_the_next_server(dnsdist: DnsdistServer, knot: KnotServer) -> None:
    # dnsdist answers SERVFAIL for the name, knot (the same data, no faults) answers it
    name = fresh(z.SERVFAIL_NAME)
    (r,) = await resolve_all([name], nameservers=[dnsdist.address, knot.address], attempts=2)
    assert r.status is Status.NOERROR and r.attempts == 2
    assert r.server == knot.address and r.addresses == [z.FAULT_V4]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_timeout_covers_all_attempts(dnsdist: DnsdistServer, backend: str) -> None:
    name = fresh(z.DROP_NAME)
    (r,) = await resolve_all([name], nameservers=[dnsdist.address], backend=backend,
                             attempts=3, timeout=3.0)
    # each attempt gets a third of the deadline, so all three are made
    assert r.status is Status.TIMEOUT and r.attempts == 3
    assert dnsdist.queries_for(name) >= 3
    assert r.elapsed < 30  # bounded by the deadline (generous: a loaded box)


async def test_qps_limit(knot: KnotServer) -> None:
    loop = asyncio.get_running_loop()
    names = [z.bulk_name(i) for i in range(2000)]
    started = loop.time()
    done = 0
    async with resolve_many(names, nameservers=[knot.address], qps=40) as run:
        async for _ in run:
            done += 1
            if done == 30:
                break
    elapsed = loop.time() - started
    # An upper bound only: a slow box makes fewer queries, never more.
    burst = 2
    assert done <= 40 * elapsed + burst + 1


# -- failures never end the batch --------------------------------------------------------


async def test_exception_in_one_lookup_is_a_result() -> None:
    async def query(name: str, rtype: str, attempt: int) -> Answer:
        if name.startswith("boom"):
            raise RuntimeError("kaboom")
        if name.startswith("nx"):
            raise NXDomain(host=name)
        if name.startswith("sf"):
            raise ServFail(host=name)
        return Answer(name, rtype, (A(60, "192.0.2.1"),), name, 60)

    inputs = ["ok.test", "boom.test", "nx.test", "sf.test", "ok2.test"]
    results = await resolve_all(inputs, query=query, attempts=2)
    assert [r.status for r in results] == [Status.NOERROR, Status.ERROR, Status.NXDOMAIN,
                                           Status.SERVFAIL, Status.NOERROR]
    assert "RuntimeError: kaboom" in (results[1].error or "")
    assert results[3].attempts == 2


async def test_input_is_consumed_lazily() -> None:
    pulled = 0

    def endless() -> Iterator[str]:
        nonlocal pulled
        while True:
            pulled += 1
            yield f"h{pulled}.test"

    async def query(name: str, rtype: str, attempt: int) -> Answer:
        await asyncio.sleep(0)
        return Answer(name, rtype, (A(60, "192.0.2.1"),), name, 60)

    got = 0
    async with resolve_many(endless(), query=query, concurrency=20, window=40) as run:
        async for _ in run:
            got += 1
            if got == 5000:
                break
    assert pulled <= got + 40 + 2  # never more than the window ahead


# -- cancellation -------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_leaving_the_loop_stops_everything(dnsdist: DnsdistServer, backend: str) -> None:
    before = open_sockets()
    names = [fresh(z.SLOW_NAME) for _ in range(400)]
    seen = 0
    async for _ in resolve_many(names, nameservers=[dnsdist.address], concurrency=100,
                                backend=backend):
        seen += 1
        if seen == 10:
            break
    assert not await settled()
    assert open_sockets() <= before


@pytest.mark.parametrize("backend", BACKENDS)
async def test_cancelling_the_consumer_stops_everything(
    dnsdist: DnsdistServer, backend: str
) -> None:
    before = open_sockets()
    names = [fresh(z.DROP_NAME) for _ in range(200)]
    results: list[Result] = []

    async def consume() -> None:
        async for r in resolve_many(names, nameservers=[dnsdist.address], timeout=30,
                                    backend=backend):
            results.append(r)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not results
    assert not await settled()
    assert open_sockets() <= before


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stop_reports_cancelled(dnsdist: DnsdistServer, backend: str) -> None:
    before = open_sockets()
    fast = [z.bulk_name(i) for i in range(50)]
    slow = [fresh(z.DROP_NAME) for _ in range(30)]
    inputs = fast + slow + [z.bulk_name(i) for i in range(50, 5000)]
    run = resolve_many(inputs, nameservers=[dnsdist.address], timeout=60, concurrency=40,
                       ordered=True, backend=backend)
    results = []
    async for r in run:
        results.append(r)
        if len(results) == 50:
            run.stop(report_cancelled=True)
    got = by_index(results)
    assert all(got[i].status is Status.NOERROR for i in range(50))
    cancelled = [r for r in results if r.status is Status.CANCELLED]
    assert cancelled and all(r.index >= 50 for r in cancelled)
    # everything read from the input is reported: the indices are a prefix
    assert sorted(got) == list(range(len(got)))
    assert len(got) < len(inputs)
    assert [r.index for r in results] == sorted(got)
    assert not await settled()
    assert open_sockets() <= before


async def test_given_resolver_is_not_closed(knot: KnotServer) -> None:
    async with Resolver("cares", nameservers=[knot.address]) as resolver:
        results = await resolve_all([z.A_NAME, z.NX_NAME], resolver=resolver)
        assert [r.status for r in results] == [Status.NOERROR, Status.NXDOMAIN]
        assert not resolver.closed


# -- system backend (libc inside the test namespace) --------------------------------------


async def test_system_backend(libc_dns: DnsdistServer) -> None:
    inputs = [z.A_NAME, z.NX_NAME, z.HOSTS_NAME, z.AAAA_NAME]
    results = await resolve_all(inputs, backend="system", timeout=10)
    a, nx, hosts, aaaa_only = results
    assert a.status is Status.NOERROR and a.addresses == [z.A_ADDR] and a.ttl == 0
    assert nx.status is Status.NXDOMAIN
    assert hosts.addresses == [z.HOSTS_ADDR]  # NSS files first, as libc does
    assert aaaa_only.status in (Status.NODATA, Status.NXDOMAIN)  # libc cannot tell apart
    six = await resolve_all([z.AAAA_NAME], rtype="AAAA", backend="system")
    assert six[0].addresses == [z.AAAA_ADDR]
    # other types: asked of resolv.conf's nameservers (the rig's, in its namespace)
    (mx,) = await resolve_all([z.MX_NAME], rtype="MX", backend="system")
    assert mx.status is Status.NOERROR and mx.records


# -- the Result and Status types ----------------------------------------------------------------


def test_status_maps_one_to_one_to_errors() -> None:
    classes = {s: s.error_class for s in Status}
    failures = [c for s, c in classes.items() if s is not Status.NOERROR]
    assert len(failures) == len(set(failures))
    for status, cls in classes.items():
        if cls is not None and issubclass(cls, errors.ResolveError):
            assert Status.from_exception(cls("x")) is status
    assert Status.from_exception(errors.ConnectionRefused("x")) is Status.NETWORK_ERROR
    assert Status.from_exception(errors.BackendUnavailable("x")) is Status.ERROR
    assert Status.from_exception(KeyError("x")) is Status.ERROR
    assert Status.from_exception(TimeoutError()) is Status.TIMEOUT


def test_result_json_and_csv() -> None:
    r = Result(3, "Bücher.test", "xn--bcher-kva.test", "A", Status.NOERROR,
               (A(60, "192.0.2.1"),), "xn--bcher-kva.test", 60, attempts=1, elapsed=0.0123,
               server="127.0.0.1:53")
    obj = json.loads(r.to_json())
    assert obj == {
        "index": 3, "input": "Bücher.test", "name": "xn--bcher-kva.test", "type": "A",
        "status": "NOERROR", "addresses": ["192.0.2.1"],
        "records": [{"type": "A", "ttl": 60, "address": "192.0.2.1"}], "ttl": 60,
        "canonical_name": "xn--bcher-kva.test", "error": None, "attempts": 1,
        "elapsed_ms": 12.3, "server": "127.0.0.1:53",
    }
    row = r.csv_row()
    assert len(row) == len(CSV_FIELDS)
    assert dict(zip(CSV_FIELDS, row, strict=True))["data"] == "192.0.2.1"


async def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        resolve_many([], concurrency=0)
    with pytest.raises(ValueError):
        resolve_many([], rtype="NOPE")
    with pytest.raises(TypeError):
        resolve_many([], nameservers="127.0.0.1")

    async def query(name: str, rtype: str, attempt: int) -> Answer:
        raise AssertionError("not reached")

    with pytest.raises(TypeError):
        await resolve_all("just-a-string.test", query=query)
