"""The wire backend under load and over its life, against the rig's servers:
``max_in_flight`` queues the rest, ``query_stream`` (thousands of names, an
async input with ``qps``, a stream abandoned after one result), the bulk
query function's server rotation, cancellation, close, and a port that
refuses.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator

import pytest

import aioresolve
from aioresolve import _errors
from aioresolve._backends.wire import WireBackend
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer


async def test_max_in_flight_queues_the_rest(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address], max_in_flight=3)
    try:
        answers = await asyncio.gather(*(backend.query(z.bulk_name(i), "A") for i in range(40)))
        assert [a.addresses for a in answers] == [[z.bulk_address(i)] for i in range(40)]
        assert backend.engine().in_flight == 0
    finally:
        await backend.aclose()


# -- bulk ------------------------------------------------------------------------------


async def test_query_stream(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address])
    names = [*z.bulk_query_names(3000, nx_every=50, nodata_every=70), "bad..name"]
    seen = {}
    try:
        async for item in backend.query_stream(iter(names), "A", concurrency=100):
            seen[item.index] = item
    finally:
        await backend.aclose()
    assert len(seen) == len(names)
    for i, name in enumerate(names):
        item = seen[i]
        assert item.name == name
        if name == "bad..name":
            assert isinstance(item.result, _errors.IllegalName)
        elif name.startswith("nx"):
            assert isinstance(item.result, _errors.NXDomain)
        elif name.startswith("nodata"):
            assert isinstance(item.result, _errors.NoData)
        else:
            assert isinstance(item.result, aioresolve.Answer), item
            assert item.result.addresses == [z.bulk_address(int(name[1:].split(".")[0]))]


async def test_query_stream_async_input_qps_and_break(knot: KnotServer) -> None:
    backend = WireBackend(nameservers=[knot.address])

    async def gen() -> AsyncIterator[str]:
        for i in range(200):
            yield z.bulk_name(i)

    try:
        count = 0
        async for item in backend.query_stream(gen(), "A", qps=2000, concurrency=10):
            assert isinstance(item.result, aioresolve.Answer)
            count += 1
        assert count == 200
        # (a modest burst: a big one abandoned here would still be filling
        # knot's socket buffer - and dropping the next test's queries)
        stream = backend.query_stream((z.bulk_name(i) for i in range(500)), "A",
                                      concurrency=50)
        async with contextlib.aclosing(stream):
            async for _ in stream:
                break
        engine = backend.engine()
        assert engine.in_flight == 0
    finally:
        await backend.aclose()


async def test_bulk_query_func_rotates_servers(knot: KnotServer, dnsdist: DnsdistServer
                                               ) -> None:
    backend = WireBackend(nameservers=[dnsdist.address, knot.address])
    try:
        one = backend.bulk_query_func()
        assert (await one(z.A_NAME, "A", 0)).server == dnsdist.address
        assert (await one(z.A_NAME, "A", 1)).server == knot.address
    finally:
        await backend.aclose()


# -- lifecycle ------------------------------------------------------------------------


async def test_cancel_and_close(dnsdist: DnsdistServer) -> None:
    backend = WireBackend(nameservers=[dnsdist.address], timeout=5.0)
    task = asyncio.ensure_future(backend.query(f"{uuid.uuid4().hex}.{z.DROP_NAME}", "A"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.engine().in_flight == 0
    pending = asyncio.ensure_future(backend.query(f"{uuid.uuid4().hex}.{z.DROP_NAME}", "A"))
    await asyncio.sleep(0.05)
    await backend.aclose()
    with pytest.raises(_errors.ResolverClosed):
        await pending
    with pytest.raises(_errors.ResolverClosed):
        await backend.query(z.A_NAME, "A")


async def test_connection_refused() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    closed = f"127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nobody listens there now: ICMP port unreachable
    backend = WireBackend(nameservers=[closed], timeout=2.0, attempts=2)
    try:
        with pytest.raises(_errors.ConnectionRefused) as info:
            await backend.query(z.A_NAME, "A")
        assert info.value.server == closed
    finally:
        await backend.aclose()
