"""pytest plugin: the ``dns_server`` and ``dns_resolver`` fixtures.

Installed with aioresolve as the ``pytest11`` entry point ``aioresolve``;
without the entry point, enable it with ``-p aioresolve.testing.pytest_plugin``
or ``pytest_plugins = ["aioresolve.testing.pytest_plugin"]`` in a root
``conftest.py``.

::

    @pytest.mark.dns_records({"api.example.test": {"A": "192.0.2.10"}})
    async def test_client(dns_server, dns_resolver):
        answer = await dns_resolver.query("api.example.test", "A")
        assert dns_server.query_count("api.example.test", "A") == 1

Records come from the ``dns_records`` marker (its first argument; keyword
arguments go to :class:`~aioresolve.testing.DNSServer`, e.g. ``zone_text=``,
``faults=``, ``seed=``), else from the ``dns_records`` / ``dns_server_options``
fixtures, which a test module or conftest may override.  Both fixtures are
function-scoped and async (run by pytest-asyncio); each test gets a fresh
server on a free port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from .server import DNSServer

__all__ = ["dns_records", "dns_resolver", "dns_server", "dns_server_options"]

try:  # pytest-asyncio's decorator works in its strict mode as well as auto
    import pytest_asyncio

    _async_fixture = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - then some other plugin must run them
    _async_fixture = pytest.fixture  # type: ignore[assignment]

_MARKER = "dns_records"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(records=None, **server_options): records (and DNSServer options) "
        "served by the dns_server fixture of aioresolve.testing",
    )


@pytest.fixture
def dns_records(request: pytest.FixtureRequest) -> Any:
    """The records ``dns_server`` serves: the marker's first argument (or its
    ``records=``), else none (every query is REFUSED).  Override to share
    records across a module."""
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        return {}
    if marker.args:
        return marker.args[0]
    return marker.kwargs.get("records", {})


@pytest.fixture
def dns_server_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Keyword arguments for :class:`DNSServer`: the marker's keyword arguments
    other than ``records``.  Override to share options across a module."""
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        return {}
    return {k: v for k, v in marker.kwargs.items() if k != "records"}


@_async_fixture
async def dns_server(
    dns_records: Any, dns_server_options: dict[str, Any]
) -> AsyncIterator[DNSServer]:
    """A running :class:`~aioresolve.testing.DNSServer` on 127.0.0.1 and a free
    port, stopped after the test."""
    async with DNSServer(dns_records or None, **dns_server_options) as server:
        yield server


@_async_fixture
async def dns_resolver(dns_server: DNSServer) -> AsyncIterator[Any]:
    """An :class:`aioresolve.Resolver` that asks only ``dns_server`` (the
    ``"wire"`` backend where available, else ``"cares"``; never the system
    resolver), with a 5-second default timeout so a broken test fails instead
    of hanging.  Closed after the test."""
    async with dns_server.resolver(timeout=5.0) as resolver:
        yield resolver
