"""Testing your own service hermetically with aioresolve's pytest plugin.

``status_client.StatusClient`` discovers an HTTP service through DNS SRV
records and fetches its ``/status`` page with aiohttp.  These tests run it
against a real aiohttp server on 127.0.0.1 and an embedded DNS server
(``dns_server``) that says where that HTTP server is; nothing leaves the
machine, nothing is mocked.

Run:  pytest examples/test_your_service.py
(with aioresolve installed the plugin loads itself; from a source checkout
without the entry point add ``-p aioresolve.testing.pytest_plugin``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from status_client import ServiceUnavailable, StatusClient

import aioresolve
from aioresolve.testing import DNSServer, Fault, Records

SERVICE = "_status._tcp.example.test"


@pytest.fixture
async def http_port() -> AsyncIterator[int]:
    """A real HTTP server on 127.0.0.1 and a free port, answering /status."""

    async def status(request: web.Request) -> web.Response:
        return web.Response(text=f"ok from {request.host.split(':')[0]}")

    app = web.Application()
    app.router.add_get("/status", status)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield runner.addresses[0][1]
    await runner.cleanup()


@pytest.fixture
def dns_records(http_port: int) -> Records:
    """Overrides the plugin's fixture: these tests' records need the HTTP port."""
    return {
        SERVICE: {
            "SRV": [
                f"10 0 {http_port} primary.example.test",
                f"20 0 {http_port} backup.example.test",
            ]
        },
        "primary.example.test": {"A": "127.0.0.1"},
        "backup.example.test": {"A": "127.0.0.1"},
    }


async def test_fetches_status(dns_server: DNSServer, dns_resolver: aioresolve.Resolver) -> None:
    client = StatusClient(dns_resolver, SERVICE)
    assert await client.fetch() == "ok from primary.example.test"
    # The queries really reached the DNS server (and only once: the resolver caches).
    assert dns_server.query_count(SERVICE, "SRV") == 1
    assert dns_server.query_count("backup.example.test") == 0


async def test_fails_over_when_primary_does_not_resolve(
    dns_server: DNSServer, dns_resolver: aioresolve.Resolver
) -> None:
    dns_server.set_fault("primary.example.test", Fault(servfail_rate=1.0))
    client = StatusClient(dns_resolver, SERVICE)
    assert await client.fetch() == "ok from backup.example.test"
    assert dns_server.stats.by_rcode["SERVFAIL"] >= 1


async def test_unknown_service(dns_server: DNSServer, dns_resolver: aioresolve.Resolver) -> None:
    dns_server.remove_records(SERVICE)
    with pytest.raises(ServiceUnavailable, match="none found"):
        await StatusClient(dns_resolver, SERVICE).fetch()


@pytest.mark.parametrize("fault", [Fault(drop_rate=1.0), Fault(refused_rate=1.0)])
async def test_dns_outage_is_reported(fault: Fault, http_port: int) -> None:
    # Without the fixtures: a DNSServer of your own, all names failing.
    async with DNSServer({SERVICE: {"SRV": f"10 0 {http_port} x.example.test"}}) as server:
        server.fault = fault
        async with server.resolver(timeout=1.0) as resolver:
            with pytest.raises((aioresolve.Timeout, aioresolve.Refused)):
                await StatusClient(resolver, SERVICE).fetch()
