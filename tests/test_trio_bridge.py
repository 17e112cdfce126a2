"""The asyncio backends (wire, c-ares, and a third-party one on dnspython)
under trio: they run on the resolver's private asyncio loop
(:mod:`aioresolve._bridge`), and a lookup through them keeps trio's rules
(checkpoints, cancellation, deadlines, closing).

Split from ``tests/test_trio.py`` (the facade itself under asyncio and trio).
The tests ask the rig's knotd (``svc_knot``, which counts the queries
reaching it) or a silent UDP server on loopback that reads queries and never
answers; nothing leaves loopback.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing

import aioresolve
from aioresolve import Backend, Resolver, ResolverClosed, Timeout
from aioresolve._backends.cares import CaresBackend
from aioresolve._backends.wire import WireBackend
from tests._both import on_both
from tests._services_server import NEGATIVE_TTL, ZONE, DnspythonBackend, Knot

ASYNCIO_BACKENDS = ["wire", "cares", "dnspython"]
#: c-ares asks the SOA once to learn a negative getaddrinfo's TTL (see test_cache_backends).
SOA_PROBE = {"wire": 0, "cares": 1, "dnspython": 0}


def _make(kind: str, address: str, **options: Any) -> Resolver:
    """A resolver on ``kind`` asking only the loopback server ``address``."""
    backend: Backend
    if kind == "wire":
        backend = WireBackend(nameservers=[address], **options)
    elif kind == "cares":
        backend = CaresBackend(nameservers=[address], hosts_file=False, domains=[], **options)
    else:
        host, _, port = address.rpartition(":")
        backend = DnspythonBackend(host, int(port))
    return Resolver(backend)


class SilentServer:
    """A UDP socket on loopback that reads queries (counting them) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.received = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.received += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def silent() -> Any:
    server = SilentServer()
    yield server
    server.close()


def _bridge_threads(kind: str) -> list[threading.Thread]:
    name = {"wire": "wire", "cares": "cares", "dnspython": DnspythonBackend.name}[kind]
    return [t for t in threading.enumerate() if t.name == f"aioresolve-{name}"]


async def _backend_tasks(resolver: Resolver) -> int:
    """Tasks still running on the resolver's private loop (under trio), or on
    the running loop besides the caller (under asyncio)."""
    async def count() -> int:
        return len(asyncio.all_tasks()) - 1  # not this one

    bridge = resolver._bridge
    if bridge is not None and bridge.running:
        return await bridge.call(count)
    return await count()


async def _wire_in_flight(resolver: Resolver) -> int:
    """Queries the wire engine still tracks (0: it forgot every cancelled one)."""
    async def count() -> int:
        engine = resolver.backend._engine  # type: ignore[attr-defined]
        return 0 if engine is None else engine.in_flight + len(engine._active)

    bridge = resolver._bridge
    assert bridge is not None and bridge.running
    return await bridge.call(count)


@pytest.mark.parametrize("kind", ASYNCIO_BACKENDS)
@on_both
async def test_asyncio_backends_answer_and_cache_alike(
    kind: str, svc_knot: Knot, library: str
) -> None:
    """The same answers and the same queries at the server under asyncio and
    trio: positive and negative lookups are cached (RFC 2308: the SOA's
    negative TTL, min(120, 60) s here)."""
    async with _make(kind, svc_knot.address) as resolver:
        before = svc_knot.queries()
        for _ in range(3):
            answer = await resolver.query(f"a.{ZONE}", "A")
            assert answer.addresses == ["192.0.2.1"]
            assert 0 < answer.ttl <= 300
        assert svc_knot.queries() - before == 1

        before = svc_knot.queries()
        for _ in range(3):
            infos = await resolver.getaddrinfo(f"web.{ZONE}", 80, socket.AF_INET,
                                               socket.SOCK_STREAM)
            assert [info[4] for info in infos] == [("127.0.0.1", 80)]
            assert await resolver.gethostbyname(f"b.{ZONE}") == "192.0.2.4"
        # the test double caches getaddrinfo only; its gethostbyname asks each time
        assert svc_knot.queries() - before == (4 if kind == "dnspython" else 2)

        before = svc_knot.queries()
        for _ in range(3):
            with pytest.raises(aioresolve.NXDomain) as nx:
                await resolver.query(f"missing.{ZONE}", "A")
            assert nx.value.negative_ttl == NEGATIVE_TTL or kind == "dnspython"
        for _ in range(3):
            with pytest.raises(socket.gaierror) as gai:
                await resolver.getaddrinfo(f"absent.{ZONE}", 80, socket.AF_INET)
            assert gai.value.errno == socket.EAI_NONAME
        assert svc_knot.queries() - before == 2 + SOA_PROBE[kind], "negative answers cached"
        info = resolver.cache_info()
        assert info.negative_hits == 4
        if library == "trio":
            assert len(_bridge_threads(kind)) == 1
    assert _bridge_threads(kind) == []  # close() stopped the thread


@pytest.mark.parametrize("kind", ASYNCIO_BACKENDS)
def test_trio_asyncio_backend_calls_are_checkpoints(kind: str, svc_knot: Knot) -> None:
    """assert_checkpoints around a lookup, a cache hit, a coalesced follower
    and a literal on an asyncio backend; move_on_after(0) cancels even the hit."""

    async def main() -> None:
        async with _make(kind, svc_knot.address) as resolver:
            calls: list[Callable[[], Awaitable[object]]] = [
                lambda: resolver.query(f"b.{ZONE}", "A"),  # a lookup
                lambda: resolver.query(f"b.{ZONE}", "A"),  # a cache hit
                lambda: resolver.getaddrinfo(f"web.{ZONE}", 443, socket.AF_INET),
                lambda: resolver.getaddrinfo(f"web.{ZONE}", 443, socket.AF_INET),
                lambda: resolver.getaddrinfo("192.0.2.9", 443),  # a literal
                lambda: resolver.gethostbyname(f"a.{ZONE}"),
            ]
            for call in calls:
                with trio.testing.assert_checkpoints():
                    await call()
            before = svc_knot.queries()
            for call in calls:
                with trio.move_on_after(0) as scope:
                    await call()
                    raise AssertionError("not cancelled")
                assert scope.cancelled_caught
            assert svc_knot.queries() == before

    trio.run(main)


@pytest.mark.parametrize("kind", ASYNCIO_BACKENDS)
def test_trio_identical_lookups_share_one_query(kind: str, svc_knot: Knot) -> None:
    results: list[list[str]] = []

    async def main() -> None:
        async with _make(kind, svc_knot.address) as resolver:
            async def lookup() -> None:
                results.append((await resolver.query(f"burst3.{ZONE}", "A")).addresses)

            before = svc_knot.queries()
            async with trio.open_nursery() as nursery:
                for _ in range(20):
                    nursery.start_soon(lookup)
            assert svc_knot.queries() - before == 1
            assert resolver.cache_info().coalesced == 19

    trio.run(main)
    assert results == [["192.0.2.23"]] * 20


@pytest.mark.parametrize("kind", ["wire", "cares"])
def test_trio_cancelled_lookup_is_cancelled_in_the_backend(kind: str, silent: SilentServer) -> None:
    """A trio caller cancelled while its query is unanswered returns at once,
    and nothing keeps running for it: no task on the private loop, and the
    wire engine has forgotten the query (c-ares cannot cancel one request:
    it drops the late answer; its own timeout ends the request)."""
    finished: list[str] = []

    async def main() -> None:
        async with _make(kind, silent.address) as resolver:

            async def lookup() -> None:
                await resolver.getaddrinfo(f"slow.{ZONE}", 80)
                finished.append("lookup")  # never: it is cancelled

            async with trio.open_nursery() as nursery:
                nursery.start_soon(lookup)
                while silent.received == 0:  # noqa: ASYNC110 - a thread counts
                    await trio.sleep(0.01)
                nursery.cancel_scope.cancel()
            finished.append("nursery")
            assert await _backend_tasks(resolver) == 0
            if kind == "wire":
                assert await _wire_in_flight(resolver) == 0

    trio.run(main)
    assert finished == ["nursery"]


@pytest.mark.parametrize("kind", ["wire", "cares"])
def test_trio_timeout_on_asyncio_backend(kind: str, silent: SilentServer) -> None:
    async def main() -> None:
        async with _make(kind, silent.address) as resolver:
            with pytest.raises(Timeout, match=r"query\('x\.services\.test', 'A'\) timed out"):
                await resolver.query(f"x.{ZONE}", "A", timeout=0.1)
            assert await _backend_tasks(resolver) == 0

    trio.run(main)


@pytest.mark.parametrize("kind", ["wire", "cares"])
def test_trio_close_fails_lookups_in_flight(kind: str, silent: SilentServer) -> None:
    outcome: list[BaseException] = []

    async def main() -> None:
        resolver = _make(kind, silent.address)

        async def lookup() -> None:
            try:
                await resolver.query(f"held.{ZONE}", "A")
            except Exception as exc:
                outcome.append(exc)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(lookup)
            while silent.received == 0:  # noqa: ASYNC110 - a thread counts
                await trio.sleep(0.01)
            await resolver.close()
        assert _bridge_threads(kind) == []
        with pytest.raises(ResolverClosed):
            await resolver.query(f"a.{ZONE}", "A")

    trio.run(main)
    assert len(outcome) == 1 and isinstance(outcome[0], ResolverClosed), outcome


@pytest.mark.parametrize("kind", ["wire", "cares"])
def test_trio_private_loop_ends_with_the_run(kind: str, svc_knot: Knot) -> None:
    """A resolver nobody closes: its thread ends with the trio run, and the
    next run (or asyncio) gets the backend afresh, its cache intact."""
    resolver = _make(kind, svc_knot.address)

    async def main() -> None:
        answer = await resolver.query(f"a.{ZONE}", "A")
        assert answer.addresses == ["192.0.2.1"]

    trio.run(main)
    assert _bridge_threads(kind) == []
    trio.run(main)  # a cache hit
    assert _bridge_threads(kind) == []
    assert resolver.cache_info().hits == 1

    async def on_asyncio() -> None:
        resolver.flush()
        answer = await resolver.query(f"a.{ZONE}", "A")  # a lookup, on asyncio's loop
        assert answer.addresses == ["192.0.2.1"]
        await resolver.close()

    asyncio.run(on_asyncio())

    async def closed() -> None:
        with pytest.raises(ResolverClosed):
            await resolver.query(f"a.{ZONE}", "A")

    trio.run(closed)


@pytest.mark.parametrize("kind", ["wire", "cares"])
def test_trio_module_functions_on_asyncio_backends(kind: str, svc_knot: Knot) -> None:
    """set_default_backend("wire"/"cares", ...) under trio: the module-level
    functions work, and the run's default resolver is closed with the run."""
    options: dict[str, Any] = {"nameservers": [svc_knot.address]}
    if kind == "cares":
        options.update(hosts_file=False, domains=[])
    seen: list[Resolver] = []

    async def main() -> None:
        answer = await aioresolve.query(f"a.{ZONE}", "A")
        assert answer.addresses == ["192.0.2.1"]
        infos = await aioresolve.getaddrinfo(f"web.{ZONE}", 80, socket.AF_INET)
        assert {info[4] for info in infos} == {("127.0.0.1", 80)}
        with trio.testing.assert_checkpoints():
            await aioresolve.query(f"a.{ZONE}", "A")  # a hit of the default's cache
        seen.append(aioresolve.get_default_resolver())
        assert seen[-1].backend.name == kind

    aioresolve.set_default_backend(kind, **options)
    try:
        trio.run(main)
    finally:
        aioresolve.set_default_backend(None)
    assert seen[0].closed
    assert _bridge_threads(kind) == []
