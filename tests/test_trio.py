"""One :class:`aioresolve.Resolver` under asyncio and under trio.

Tests marked with :func:`on_both` run their body twice, through
``anyio.run(..., backend=...)`` on asyncio and on trio, so they state what is
the same under both.  The ``test_trio_*`` tests use trio's own test semantics
(``trio.testing.assert_checkpoints``, ``move_on_after(0)``, nursery
cancellation) through ``trio.run`` inside plain synchronous tests:
pytest-asyncio's ``asyncio_mode = "auto"`` (pyproject) would otherwise claim
every ``async def`` test and run it on asyncio; ``test_really_runs_on_each``
guards against that.

Names resolved through libc are "localhost" (from /etc/hosts) and literals, so
no DNS traffic leaves the process.  Where a test needs to count or hold libc
calls, ``libc_calls`` wraps ``socket.getaddrinfo``: it still calls the real
function and only counts (and optionally holds) calls that reach libc as
lookups.  The asyncio backends (wire, c-ares, dnspython) under trio are
tested in ``tests/test_trio_bridge.py``; ``on_both`` is in ``tests/_both.py``.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
import trio
import trio.testing

import aioresolve
from aioresolve import BackendUnavailable, Resolver, ResolverClosed, Timeout
from aioresolve.cache import CacheConfig
from tests._both import on_both


@on_both
async def test_really_runs_on_each(library: str) -> None:
    import sniffio

    assert sniffio.current_async_library() == library


class LibcCalls:
    def __init__(self) -> None:
        self.count = 0
        self.running = 0
        self.most_at_once = 0
        self.delay = 0.0
        self.release = threading.Event()
        self.release.set()
        self._lock = threading.Lock()


@pytest.fixture
def libc_calls(monkeypatch: pytest.MonkeyPatch) -> LibcCalls:
    calls = LibcCalls()
    real = socket.getaddrinfo

    def counting(*args: Any) -> Any:
        flags = args[5] if len(args) > 5 else 0
        if not flags & socket.AI_NUMERICHOST:  # a real lookup, not the fast path
            with calls._lock:
                calls.count += 1
                calls.running += 1
                calls.most_at_once = max(calls.most_at_once, calls.running)
            try:
                time.sleep(calls.delay)
                calls.release.wait(30)
            finally:
                with calls._lock:
                    calls.running -= 1
        return real(*args)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    return calls


async def _until(predicate: Callable[[], bool]) -> None:
    for _ in range(1000):
        if predicate():
            return
        await anyio.sleep(0.01)
    raise AssertionError("condition not reached within 10 s")


@on_both
async def test_getaddrinfo_equals_socket() -> None:
    async with Resolver() as resolver:
        cases: list[tuple[Any, ...]] = [
            ("localhost", 80), ("localhost", "http", socket.AF_INET, socket.SOCK_STREAM),
            ("127.0.0.1", 443), ("::1", 53, socket.AF_INET6)]
        for args in cases:
            assert await resolver.getaddrinfo(*args) == socket.getaddrinfo(*args)
        for host in ("localhost", "127.0.0.1", "", "<broadcast>"):
            assert await resolver.gethostbyname(host) == socket.gethostbyname(host)
        assert await resolver.gethostbyname_ex("localhost") == socket.gethostbyname_ex(
            "localhost")
        sockaddr = ("127.0.0.1", 80)
        assert await resolver.getnameinfo(sockaddr, socket.NI_NUMERICHOST) == (
            socket.getnameinfo(sockaddr, socket.NI_NUMERICHOST))
        assert await resolver.getservbyname("http", "tcp") == socket.getservbyname("http", "tcp")
        assert await resolver.getservbyport(443) == socket.getservbyport(443)
        assert await resolver.getprotobyname("udp") == socket.getprotobyname("udp")
        assert await resolver.gethostname() == socket.gethostname()


@on_both
async def test_module_functions() -> None:
    """The module-level functions find the running library's default resolver
    (under trio they used to fail with "no running event loop")."""
    assert await aioresolve.getaddrinfo("localhost", 80) == socket.getaddrinfo("localhost", 80)
    assert await aioresolve.gethostbyname("127.0.0.1") == "127.0.0.1"
    first = aioresolve.get_default_resolver()
    assert aioresolve.get_default_resolver() is first
    mine = Resolver()
    aioresolve.set_default_resolver(mine)
    assert aioresolve.get_default_resolver() is mine
    await mine.close()
    assert aioresolve.get_default_resolver() is not mine  # a closed one is replaced


@on_both
async def test_errors_are_socket_errors() -> None:
    async with Resolver() as resolver:
        with pytest.raises(socket.gaierror) as info:
            await resolver.getaddrinfo("localhost", "no-such-service-name")
        assert info.value.errno == socket.EAI_SERVICE


@on_both
async def test_identical_lookups_are_coalesced(libc_calls: LibcCalls) -> None:
    libc_calls.delay = 0.2  # keep the first lookup in its thread while the rest arrive
    results: list[Any] = []
    async with Resolver(cache=False) as resolver:

        async def one() -> None:
            results.append(await resolver.getaddrinfo("localhost", 80, socket.AF_INET))

        async with anyio.create_task_group() as tg:
            for _ in range(100):
                tg.start_soon(one)
        assert libc_calls.count == 1
        assert resolver.cache_info().coalesced == 99
    assert len(results) == 100
    expected = socket.getaddrinfo("localhost", 80, socket.AF_INET)  # (counted, after the check)
    assert all(r == expected for r in results)


@on_both
async def test_fixed_ttl_cache(libc_calls: LibcCalls) -> None:
    async with Resolver(cache=CacheConfig(fixed_ttl=60)) as resolver:
        for _ in range(5):
            await resolver.getaddrinfo("localhost", 80)
        assert libc_calls.count == 1
        assert resolver.cache_info().hits == 4
        resolver.flush()
        await resolver.getaddrinfo("localhost", 80)
        assert libc_calls.count == 2


@on_both
async def test_default_cache_keeps_nothing_from_libc(libc_calls: LibcCalls) -> None:
    async with Resolver() as resolver:
        await resolver.getaddrinfo("localhost", 80)
        await resolver.getaddrinfo("localhost", 80)
        assert libc_calls.count == 2


@on_both
async def test_timeout_releases_the_caller(libc_calls: LibcCalls) -> None:
    libc_calls.release.clear()  # the libc call blocks until the test lets it go
    try:
        async with Resolver() as resolver:
            with pytest.raises(Timeout) as info:
                await resolver.getaddrinfo("localhost", 80, timeout=0.1)
            assert isinstance(info.value, TimeoutError)
            assert info.value.timeout == 0.1
            with pytest.raises(Timeout):
                await resolver.getservbyname("http", timeout=1e-9)
    finally:
        libc_calls.release.set()


@on_both
async def test_cancelled_follower_does_not_cancel_the_others(libc_calls: LibcCalls) -> None:
    libc_calls.release.clear()
    async with Resolver(cache=False) as resolver:
        got: list[Any] = []

        async def patient() -> None:
            got.append(await resolver.getaddrinfo("localhost", 80, socket.AF_INET))

        async with anyio.create_task_group() as tg:
            tg.start_soon(patient)
            await _until(lambda: libc_calls.count == 1)  # patient runs the lookup
            with anyio.move_on_after(0.05):
                await resolver.getaddrinfo("localhost", 80, socket.AF_INET)
            libc_calls.release.set()
        assert libc_calls.count == 1
        assert got == [socket.getaddrinfo("localhost", 80, socket.AF_INET)]


@on_both
async def test_cancelled_leader_hands_the_lookup_over(libc_calls: LibcCalls) -> None:
    libc_calls.delay = 0.3
    async with Resolver(cache=False) as resolver:
        got: list[Any] = []

        async def patient() -> None:
            got.append(await resolver.getaddrinfo("localhost", 80, socket.AF_INET))

        async with anyio.create_task_group() as tg:
            with anyio.move_on_after(0.05):  # this task leads, then leaves
                tg.start_soon(patient)
                await resolver.getaddrinfo("localhost", 80, socket.AF_INET)
        libc_calls.delay = 0
        assert libc_calls.count == 2, "the waiting caller started the lookup again"
        assert got == [socket.getaddrinfo("localhost", 80, socket.AF_INET)]


@on_both
async def test_closed_resolver_refuses_lookups(libc_calls: LibcCalls) -> None:
    resolver = Resolver()
    async with resolver:
        pass
    assert resolver.closed
    with pytest.raises(ResolverClosed):
        await resolver.getaddrinfo("localhost", 80)
    with pytest.raises(ResolverClosed):
        await resolver.getservbyname("http")


@on_both
async def test_lookup_in_flight_at_close_raises_resolver_closed(libc_calls: LibcCalls) -> None:
    libc_calls.release.clear()
    resolver = Resolver()
    outcome: list[BaseException] = []

    async def lookup() -> None:
        try:
            await resolver.getaddrinfo("localhost", 80)
        except BaseException as exc:
            outcome.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(lookup)
        await _until(lambda: libc_calls.count == 1)
        await resolver.close()
        libc_calls.release.set()  # libc answers after close(): too late
    assert len(outcome) == 1 and isinstance(outcome[0], ResolverClosed), outcome


@on_both
async def test_system_backend_answers_a_queries_through_libc() -> None:
    async with Resolver("system") as resolver:
        answer = await resolver.query("localhost", "A")
        assert answer.addresses == ["127.0.0.1"]


@on_both
async def test_pool_size_bounds_libc_calls(libc_calls: LibcCalls) -> None:
    libc_calls.delay = 0.1
    resolver = Resolver("system", pool_size=2, cache=False)
    async with resolver, anyio.create_task_group() as tg:
        for port in range(6):  # six different lookups: nothing is coalesced
            tg.start_soon(resolver.getaddrinfo, "localhost", 8000 + port)
    assert libc_calls.count == 6
    assert libc_calls.most_at_once == 2


def _outcome(func: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return "ok", func(*args)
    except Exception as exc:
        return type(exc).__name__, exc.args


@on_both
async def test_bad_input_fails_exactly_as_socket_does() -> None:
    cases: list[tuple[str, tuple[Any, ...]]] = [
        ("gethostbyname", (1,)), ("gethostbyname_ex", ("a\0b",)), ("gethostbyaddr", (None,)),
        ("gethostbyname_ex", ("a..b",)), ("getaddrinfo", (1, 80)),
        ("getaddrinfo", ("192.0.2.1", 80, 0, 0, 0, "flags")),
        ("getnameinfo", (["192.0.2.1", 80], 0)), ("getnameinfo", (("192.0.2.1", 80), "0")),
        ("gethostbyname", ("192.0.2.7",)), ("gethostbyname_ex", ("192.0.2.7",)),
    ]
    async with Resolver() as resolver:
        for func, args in cases:
            expected = _outcome(getattr(socket, func), *args)
            try:
                got: tuple[str, Any] = ("ok", await getattr(resolver, func)(*args))
            except Exception as exc:
                got = (type(exc).__name__, exc.args)
            assert got == expected, (func, args)
        with pytest.raises(TypeError, match="rtype"):
            await resolver.query("localhost", None)  # type: ignore[call-overload]


# -- trio's own semantics ---------------------------------------------------------


def test_trio_every_call_is_a_checkpoint(libc_calls: LibcCalls) -> None:
    """trio.testing.assert_checkpoints around each kind of call: literals,
    numeric getnameinfo, gethostname, a cache hit, a lookup, an NSS lookup."""

    async def main() -> None:
        async with Resolver(cache=CacheConfig(fixed_ttl=60)) as resolver:
            await resolver.getaddrinfo("localhost", 80)  # fills the cache
            calls: list[Callable[[], Awaitable[object]]] = [
                lambda: resolver.getaddrinfo("127.0.0.1", 80),
                lambda: resolver.getaddrinfo("localhost", 80),  # a cache hit
                lambda: resolver.getaddrinfo("localhost", 81),  # a lookup in a thread
                lambda: resolver.gethostbyname("192.0.2.1"),
                lambda: resolver.gethostbyname_ex("192.0.2.1"),
                lambda: resolver.getnameinfo(("127.0.0.1", 80), socket.NI_NUMERICHOST
                                             | socket.NI_NUMERICSERV),
                lambda: resolver.gethostname(),
                lambda: resolver.getservbyname("http"),
                lambda: aioresolve.getaddrinfo("127.0.0.1", 80),
            ]
            for call in calls:
                with trio.testing.assert_checkpoints():
                    await call()

    trio.run(main)


def test_trio_move_on_after_zero_cancels_even_literals(libc_calls: LibcCalls) -> None:
    async def main() -> None:
        async with Resolver(cache=CacheConfig(fixed_ttl=60)) as resolver:
            await resolver.getaddrinfo("localhost", 80)
            calls: list[Callable[[], Awaitable[object]]] = [
                lambda: resolver.getaddrinfo("127.0.0.1", 80),
                lambda: resolver.getaddrinfo("localhost", 80),
                lambda: resolver.gethostname(),
                lambda: resolver.query("localhost", "A"),
            ]
            for call in calls:
                with trio.move_on_after(0) as scope:
                    await call()
                    raise AssertionError("not cancelled")
                assert scope.cancelled_caught
            assert libc_calls.count == 1

    trio.run(main)


def test_trio_nursery_cancellation_releases_a_blocked_lookup(libc_calls: LibcCalls) -> None:
    libc_calls.release.clear()
    finished: list[str] = []

    async def main() -> None:
        async with Resolver() as resolver:

            async def lookup() -> None:
                await resolver.getaddrinfo("localhost", 80)
                finished.append("lookup")  # never: it is cancelled

            async with trio.open_nursery() as nursery:
                nursery.start_soon(lookup)
                while libc_calls.count == 0:  # noqa: ASYNC110 - a thread sets it
                    await trio.sleep(0.01)
                nursery.cancel_scope.cancel()  # libc is still blocked in its thread
            finished.append("nursery")

    try:
        trio.run(main)
    finally:
        libc_calls.release.set()
    assert finished == ["nursery"]


def test_trio_timeout_is_aioresolve_timeout(libc_calls: LibcCalls) -> None:
    libc_calls.release.clear()

    async def main() -> None:
        async with Resolver(timeout=0.05) as resolver:
            with pytest.raises(Timeout, match=r"getaddrinfo\('localhost', 80\) timed out"):
                await resolver.getaddrinfo("localhost", 80)

    try:
        trio.run(main)
    finally:
        libc_calls.release.set()


@pytest.fixture
def rig_resolv_conf(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> str:
    """resolv.conf for aioresolve's defaults, naming only the rig's dnsdist on
    127.x.y.z:53 (the server libc asks in the namespace): never the machine's."""
    libc_dns = request.getfixturevalue("libc_dns")
    assert libc_dns.host.startswith("127.") and libc_dns.port == 53
    path = tmp_path / "resolv.conf"
    path.write_text(f"nameserver {libc_dns.host}\n")
    monkeypatch.setattr("aioresolve._config.RESOLV_CONF", str(path))
    return str(libc_dns.host)


def test_trio_system_backend_asks_other_record_types_of_resolv_conf(
    rig_resolv_conf: str, libc_calls: LibcCalls
) -> None:
    """Under trio as under asyncio, the system backend answers A/AAAA through
    libc and other types from resolv.conf's nameservers (its wire backend, on
    a private asyncio loop), with TTLs, so they are cached; the module-level
    default does the same, and no thread outlives the run."""
    from tests.rig import zone

    async def main() -> None:
        async with Resolver("system") as resolver:
            for _ in range(2):
                with trio.testing.assert_checkpoints():
                    answer = await resolver.query(zone.MX_NAME, "MX")
                assert sorted((mx.priority, mx.exchange) for mx in answer) == sorted(
                    zone.MX_RECORDS)
            assert resolver.cache_info().hits == 1
            assert libc_calls.count == 0
            assert _threads("aioresolve-system-records") == 1
            assert (await resolver.query("localhost", "A")).addresses == ["127.0.0.1"]
        assert _threads("aioresolve-system-records") == 0  # close() stopped it
        answer = await aioresolve.query(zone.MX_NAME, "MX")  # the module-level default
        assert sorted((mx.priority, mx.exchange) for mx in answer) == sorted(zone.MX_RECORDS)

    aioresolve.set_default_backend(None)
    trio.run(main)
    assert _threads("aioresolve-system-records") == 0  # the run's default: closed with it


@on_both
async def test_system_backend_without_resolv_conf_servers(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No nameserver in resolv.conf: MX queries of the system backend raise
    BackendUnavailable naming the file, every time (not cached), under both."""
    path = tmp_path / "resolv.conf"
    path.write_text("search example.test\n")
    monkeypatch.setattr("aioresolve._config.RESOLV_CONF", str(path))
    async with Resolver("system") as resolver:
        for _ in range(2):
            with pytest.raises(BackendUnavailable, match="lists none") as caught:
                await resolver.query("localhost", "MX")
            assert caught.value.rtype == "MX" and caught.value.backend == "system"
        assert resolver.cache_info().negative_hits == 0


def _threads(name: str) -> int:
    return sum(1 for t in threading.enumerate() if t.name == name)


def test_trio_system_tasks_do_not_outlive_the_run() -> None:
    """A default resolver per trio run; a second run gets a fresh one."""
    seen: list[Resolver] = []

    async def main() -> None:
        seen.append(aioresolve.get_default_resolver())
        assert aioresolve.get_default_resolver() is seen[-1]

    trio.run(main)
    trio.run(main)
    assert seen[0] is not seen[1]


def test_anyio_import_path_is_the_one_resolver() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from aioresolve.anyio import Resolver as Old
    assert Old is Resolver
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)


def test_bad_options() -> None:
    with pytest.raises(ValueError):
        Resolver(pool_size=0)
    with pytest.raises(ValueError):
        Resolver(timeout=0)


@on_both
async def test_serve_stale_refreshes_in_the_background(libc_calls: LibcCalls) -> None:
    """An expired entry is served at once and refreshed by a background task
    (a trio system task under trio), which close() cancels."""
    async with Resolver(cache=CacheConfig(fixed_ttl=0.05, serve_stale=60)) as resolver:
        first = await resolver.getaddrinfo("localhost", 80)
        await anyio.sleep(0.1)  # expired, within the serve-stale window
        assert await resolver.getaddrinfo("localhost", 80) == first  # stale, at once
        await _until(lambda: libc_calls.count == 2)  # the refresh reached libc
        info = resolver.cache_info()
        assert (info.stale_hits, info.refreshes) == (1, 1)
