"""aioresolve.anyio under both anyio backends (asyncio and trio).

Each test body runs through ``anyio.run(..., backend=...)`` once per backend
(:func:`on_both_backends`).  The anyio pytest plugin cannot be used here as
is: pytest-asyncio's ``asyncio_mode = "auto"`` (pyproject) claims every
``async def`` test, including those marked ``anyio``, and would run the "trio"
case on asyncio; ``test_really_runs_on_each_backend`` guards against that.

Names resolved through libc are "localhost" (from /etc/hosts) and literals, so
no DNS traffic leaves the process.  Where a test needs to know how many libc
calls were made, or a slow one, ``libc_calls`` wraps ``socket.getaddrinfo``:
it still calls the real function and only counts (and optionally holds) calls
that reach libc as lookups.
"""

from __future__ import annotations

import functools
import inspect
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from aioresolve import BackendUnavailable, ResolverClosed, Timeout
from aioresolve.anyio import Resolver
from aioresolve.cache import CacheConfig
from tests._services_server import ZONE, DnspythonBackend, Knot


def on_both_backends(body: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Turn ``async def test_x(fixtures...)`` into a sync test run by
    ``anyio.run`` under asyncio and under trio (parameter ``anyio_backend``)."""
    signature = inspect.signature(body)

    def test(anyio_backend: str, **fixtures: Any) -> None:
        if "anyio_backend" in signature.parameters:
            fixtures["anyio_backend"] = anyio_backend
        anyio.run(functools.partial(body, **fixtures), backend=anyio_backend)

    params = [inspect.Parameter("anyio_backend", inspect.Parameter.KEYWORD_ONLY)] + [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in signature.parameters.values() if p.name != "anyio_backend"
    ]
    test.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    test.__name__ = test.__qualname__ = body.__name__
    test.__doc__ = body.__doc__
    return pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])(test)


@on_both_backends
async def test_really_runs_on_each_backend(anyio_backend: str) -> None:
    import sniffio

    assert sniffio.current_async_library() == anyio_backend



class LibcCalls:
    def __init__(self) -> None:
        self.count = 0
        self.delay = 0.0
        self.release = threading.Event()
        self.release.set()


@pytest.fixture
def libc_calls(monkeypatch: pytest.MonkeyPatch) -> LibcCalls:
    calls = LibcCalls()
    real = socket.getaddrinfo

    def counting(*args: Any) -> Any:
        flags = args[5] if len(args) > 5 else 0
        if not flags & socket.AI_NUMERICHOST:  # a real lookup, not the fast path
            calls.count += 1
            time.sleep(calls.delay)
            calls.release.wait(30)
        return real(*args)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    return calls


@on_both_backends
async def test_getaddrinfo_equals_socket() -> None:
    async with Resolver() as resolver:
        for args in [("localhost", 80), ("localhost", "http", socket.AF_INET, socket.SOCK_STREAM),
                     ("127.0.0.1", 443), ("::1", 53, socket.AF_INET6)]:
            assert await resolver.getaddrinfo(*args) == socket.getaddrinfo(*args)
        for host in ("localhost", "127.0.0.1", "", "<broadcast>"):
            assert await resolver.gethostbyname(host) == socket.gethostbyname(host)
        assert await resolver.gethostbyname_ex("localhost") == socket.gethostbyname_ex(
            "localhost")
        sockaddr = ("127.0.0.1", 80)
        assert await resolver.getnameinfo(sockaddr, socket.NI_NUMERICHOST) == (
            socket.getnameinfo(sockaddr, socket.NI_NUMERICHOST))


@on_both_backends
async def test_errors_are_socket_errors() -> None:
    async with Resolver() as resolver:
        with pytest.raises(socket.gaierror) as info:
            await resolver.getaddrinfo("localhost", "no-such-service-name")
        assert info.value.errno == socket.EAI_SERVICE


@on_both_backends
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


@on_both_backends
async def test_fixed_ttl_cache(libc_calls: LibcCalls) -> None:
    async with Resolver(cache=CacheConfig(fixed_ttl=60)) as resolver:
        for _ in range(5):
            await resolver.getaddrinfo("localhost", 80)
        assert libc_calls.count == 1
        assert resolver.cache_info().hits == 4
        resolver.flush()
        await resolver.getaddrinfo("localhost", 80)
        assert libc_calls.count == 2


@on_both_backends
async def test_default_cache_keeps_nothing_from_libc(libc_calls: LibcCalls) -> None:
    async with Resolver() as resolver:
        await resolver.getaddrinfo("localhost", 80)
        await resolver.getaddrinfo("localhost", 80)
        assert libc_calls.count == 2


@on_both_backends
async def test_timeout_releases_the_caller(libc_calls: LibcCalls) -> None:
    libc_calls.release.clear()  # the libc call blocks until the test lets it go
    try:
        async with Resolver() as resolver:
            with pytest.raises(Timeout) as info:
                await resolver.getaddrinfo("localhost", 80, timeout=0.1)
            assert isinstance(info.value, TimeoutError)
            assert info.value.timeout == 0.1
    finally:
        libc_calls.release.set()


@on_both_backends
async def test_cancelled_waiter_does_not_cancel_the_others(libc_calls: LibcCalls) -> None:
    libc_calls.delay = 0.3
    async with Resolver(cache=False) as resolver:
        got: list[Any] = []

        async def patient() -> None:
            got.append(await resolver.getaddrinfo("localhost", 80, socket.AF_INET))

        async with anyio.create_task_group() as tg:
            tg.start_soon(patient)
            with anyio.move_on_after(0.05):
                await resolver.getaddrinfo("localhost", 80, socket.AF_INET)
        assert libc_calls.count == 1
        libc_calls.delay = 0
        assert got == [socket.getaddrinfo("localhost", 80, socket.AF_INET)]


@on_both_backends
async def test_must_be_entered_and_closed_is_closed() -> None:
    resolver = Resolver()
    with pytest.raises(RuntimeError):
        await resolver.getaddrinfo("localhost", 80)
    async with resolver:
        pass
    with pytest.raises(ResolverClosed):
        await resolver.getaddrinfo("localhost", 80)


@on_both_backends
async def test_asyncio_only_backends(svc_knot: Knot, anyio_backend: str) -> None:
    resolver = Resolver(DnspythonBackend(svc_knot.host, svc_knot.port))
    if anyio_backend == "trio":
        with pytest.raises(BackendUnavailable, match="asyncio only"):
            async with resolver:
                pass
        return
    async with resolver:
        first = await resolver.query(f"a.{ZONE}", "A")
        second = await resolver.query(f"a.{ZONE}", "A")
        assert first.addresses == second.addresses == ["192.0.2.1"]
        assert resolver.cache_info().hits == 1
        infos = await resolver.getaddrinfo(f"web.{ZONE}", 80, socket.AF_INET, socket.SOCK_STREAM)
        assert infos == [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]


@on_both_backends
async def test_system_backend_cannot_query_records() -> None:
    async with Resolver() as resolver:
        with pytest.raises(BackendUnavailable):
            await resolver.query("a.example", "A")


def test_bad_options() -> None:
    with pytest.raises(ValueError):
        Resolver(max_threads=0)
    with pytest.raises(ValueError):
        Resolver(timeout=0)


def _outcome(func: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return "ok", func(*args)
    except Exception as exc:
        return type(exc).__name__, exc.args


@on_both_backends
async def test_bad_input_fails_exactly_as_socket_does() -> None:
    # The same argument checks as aioresolve.Resolver (aioresolve._prepare).
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
