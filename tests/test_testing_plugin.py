"""The pytest plugin aioresolve.testing.pytest_plugin: fixtures and marker.

The fixtures are imported here so this module uses them directly (that works
with or without the ``pytest11`` entry point installed); the pytester tests
run fresh pytest sessions with ``-p aioresolve.testing.pytest_plugin`` the way
a user's project gets the plugin.
"""

from __future__ import annotations

import importlib.metadata

import pytest

import aioresolve
from aioresolve.testing import DNSServer, Fault, pytest_plugin

# The plugin's fixtures, made visible to this module (until the entry point
# is installed the plugin is not loaded; then these are the same functions).
dns_records = pytest_plugin.dns_records
dns_server_options = pytest_plugin.dns_server_options
dns_server = pytest_plugin.dns_server
dns_resolver = pytest_plugin.dns_resolver

pytest_plugins = ["pytester"]

PLUGIN = "aioresolve.testing.pytest_plugin"
#: ``-p`` for the plugin unless its entry point is installed (loading it both
#: ways would register it twice, which pytest refuses).
PLUGIN_ARGS = (
    []
    if any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))
    else ["-p", PLUGIN]
)


@pytest.mark.dns_records({"api.example.test": {"A": "192.0.2.10", "AAAA": "2001:db8::10"}})
async def test_marker_records(dns_server: DNSServer, dns_resolver: aioresolve.Resolver) -> None:
    answer = await dns_resolver.query("api.example.test", "AAAA")
    assert answer.addresses == ["2001:db8::10"]
    assert dns_server.query_count("api.example.test", "AAAA") == 1
    assert dns_resolver.backend.name in ("wire", "cares")


@pytest.mark.dns_records(
    {"flaky.example.test": "192.0.2.11"},
    faults={"flaky.example.test": Fault(servfail_rate=1.0)},
)
async def test_marker_server_options(dns_resolver: aioresolve.Resolver) -> None:
    with pytest.raises(aioresolve.ServFail):
        await dns_resolver.query("flaky.example.test", "A")


async def test_no_marker_serves_nothing(dns_server: DNSServer) -> None:
    assert dns_server.zones == []
    async with dns_server.resolver(cache=False, timeout=5) as resolver:
        with pytest.raises(aioresolve.Refused):
            await resolver.query("anything.example.test", "A")


def test_plugin_in_a_user_project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("")
    pytester.makepyfile(
        test_override="""
        import pytest

        pytestmark = pytest.mark.asyncio

        @pytest.fixture
        def dns_records():
            return {"db.example.test": "192.0.2.20"}

        async def test_override(dns_server, dns_resolver):
            infos = await dns_resolver.getaddrinfo("db.example.test", 5432)
            assert {i[4][0] for i in infos} == {"192.0.2.20"}
            assert dns_server.query_count("db.example.test", "A") >= 1
        """,
        test_marker="""
        import pytest

        @pytest.mark.asyncio
        @pytest.mark.dns_records({"mx.example.test": {"MX": "5 mail.example.test"}}, ttl=9)
        async def test_marker(dns_server, dns_resolver):
            answer = await dns_resolver.query("mx.example.test", "MX")
            assert answer.ttl == 9
            assert dns_server.zones == ["example.test"]
        """,
    )
    # strict mode: the plugin's fixtures must not rely on asyncio_mode=auto
    result = pytester.runpytest_subprocess(
        *PLUGIN_ARGS, "-o", "asyncio_mode=strict", "--strict-markers"
    )
    result.assert_outcomes(passed=2)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("")
    result = pytester.runpytest_subprocess(*PLUGIN_ARGS, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.dns_records(records=None, **server_options)*"])
