"""The aiohttp adapter: a real aiohttp client fetches from a local aiohttp server
through a name only the test DNS server knows, and the adapter's results equal
those of aiohttp's own ``ThreadedResolver`` for the same input."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

aiohttp = pytest.importorskip("aiohttp")
from aiohttp import web  # noqa: E402
from aiohttp.resolver import ThreadedResolver  # noqa: E402

from aioresolve import Resolver  # noqa: E402
from aioresolve.contrib.aiohttp import AioresolveResolver  # noqa: E402
from tests._services_server import ZONE, DnspythonBackend, Knot  # noqa: E402


@pytest.fixture
async def web_port() -> AsyncIterator[int]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.host}")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = runner.addresses[0][1]
    try:
        yield port
    finally:
        await runner.cleanup()


async def test_client_fetches_through_a_name_only_the_test_server_knows(
    svc_knot: Knot, web_port: int
) -> None:
    backend = DnspythonBackend(svc_knot.host, svc_knot.port)  # reports getaddrinfo TTLs
    async with Resolver(backend) as resolver:
        # No keep-alive and no aiohttp DNS cache: every fetch asks the adapter.
        connector = aiohttp.TCPConnector(
            resolver=AioresolveResolver(resolver), use_dns_cache=False, force_close=True
        )
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(3):
                url = f"http://web.{ZONE}:{web_port}/"
                async with session.get(url) as response:
                    assert response.status == 200
                    assert await response.text() == f"hello web.{ZONE}:{web_port}"
        # One getaddrinfo (AF_UNSPEC: an AAAA and an A query); the second and
        # third fetch were answered by aioresolve's cache.
        assert backend.sent == 2
        assert resolver.cache_info().hits == 2
        assert not resolver.closed, "a resolver passed in is not closed with the adapter"


async def test_fetch_through_the_cares_backend(svc_knot: Knot, web_port: int) -> None:
    pytest.importorskip("pycares")
    adapter = AioresolveResolver(backend="cares", nameservers=[svc_knot.address], domains=[])
    connector = aiohttp.TCPConnector(resolver=adapter, use_dns_cache=False, force_close=True)
    before = svc_knot.queries()
    try:
        async with aiohttp.ClientSession(connector=connector) as session, session.get(
            f"http://web.{ZONE}:{web_port}/"
        ) as response:
            assert response.status == 200
            assert await response.text() == f"hello web.{ZONE}:{web_port}"
        assert svc_knot.queries() > before, "the name was resolved by the test server"
    finally:
        await adapter.close()  # aiohttp closes only resolvers it created itself
    assert adapter.resolver.closed


async def test_unknown_name_raises_gaierror_as_threaded_resolver_does(svc_knot: Knot) -> None:
    backend = DnspythonBackend(svc_knot.host, svc_knot.port)
    adapter = AioresolveResolver(Resolver(backend))
    try:
        with pytest.raises(socket.gaierror) as info:
            await adapter.resolve(f"nx.{ZONE}", 80)
        assert info.value.errno == socket.EAI_NONAME
    finally:
        await adapter.resolver.close()


# Names answered without DNS: /etc/hosts ("localhost") and literals, including a
# link-local address with a scope id, which both resolvers format through getnameinfo.
PARITY_CASES = [
    ("localhost", 80, socket.AF_INET),
    ("localhost", 8080, socket.AF_UNSPEC),
    ("127.0.0.1", 443, socket.AF_INET),
    ("::1", 443, socket.AF_INET6),
    ("fe80::1%lo", 80, socket.AF_INET6),
    ("fe80::1%1", 0, socket.AF_UNSPEC),
    ("192.0.2.7", 0, socket.AF_UNSPEC),
]


@pytest.mark.parametrize(("host", "port", "family"), PARITY_CASES)
async def test_results_equal_threaded_resolver(host: str, port: int, family: int) -> None:
    threaded = ThreadedResolver()
    adapter = AioresolveResolver(backend="system")
    try:
        expected = await threaded.resolve(host, port, socket.AddressFamily(family))
        got = await adapter.resolve(host, port, socket.AddressFamily(family))
        assert got == expected
        assert [type(v) for r in got for v in r.values()] == [
            type(v) for r in expected for v in r.values()
        ]
    finally:
        await adapter.close()
        await threaded.close()
    assert adapter.resolver.closed, "a resolver the adapter created is closed with it"


def test_options_and_resolver_are_exclusive() -> None:
    with pytest.raises(TypeError):
        AioresolveResolver(Resolver(), backend="system")
