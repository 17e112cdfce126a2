"""pytest plugin: the ``dns_server`` and ``dns_resolver`` fixtures.

Installed with aioresolve as the ``pytest11`` entry point ``aioresolve``;
without the entry point, enable it with ``-p aioresolve.testing.pytest_plugin``
or ``pytest_plugins = ["aioresolve.testing.pytest_plugin"]`` in a root
``conftest.py``.  The fixtures are async and need pytest-asyncio
(``pip install 'aioresolve[testing]'``)::

    @pytest.mark.asyncio
    @pytest.mark.dns_records({"api.example.test": {"A": "192.0.2.10"}})
    async def test_client(dns_server, dns_resolver):
        answer = await dns_resolver.query("api.example.test", "A")
        assert dns_server.query_count("api.example.test", "A") == 1

The fixtures are declared with ``pytest_asyncio.fixture``, so they work in
pytest-asyncio's *strict* mode (its default) as well as in *auto* mode.  In
strict mode, pytest-asyncio runs only the async tests marked
``@pytest.mark.asyncio`` (or a module's ``pytestmark``); in auto mode the
mark is optional.  The plugin never marks tests itself: strict mode exists so
that several async plugins (trio, anyio) can share a test suite.

Records come from the ``dns_records`` marker (its first argument; keyword
arguments go to :class:`~aioresolve.testing.DNSServer`, e.g. ``zone_text=``,
``faults=``, ``seed=``), else from the ``dns_records`` / ``dns_server_options``
fixtures, which a test module or conftest may override.  Both fixtures are
function-scoped; each test gets a fresh server on a free port.

Loading the plugin is cheap: the server (and dnspython) are imported only
when a test asks for a fixture, since the entry point loads this module in
every pytest run of a project that has aioresolve installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from .._api import Resolver
    from .server import DNSServer

__all__ = ["dns_records", "dns_resolver", "dns_server", "dns_server_options"]

_MARKER = "dns_records"
_F = TypeVar("_F", bound=Callable[..., Any])

#: Shown when a test asks for an async fixture and pytest-asyncio is missing.
MISSING_PYTEST_ASYNCIO = (
    "aioresolve's {name!r} fixture is async and needs pytest-asyncio, which is not "
    "installed: pip install 'aioresolve[testing]' (or pytest-asyncio>=0.23). "
    "Without it, use `async with aioresolve.testing.DNSServer(...)` inside a test "
    "run by the async plugin of your choice."
)

try:  # pytest-asyncio's decorator works in its strict mode as well as auto
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    pytest_asyncio = None  # type: ignore[assignment]


def _async_fixture(func: _F) -> _F:
    """``pytest_asyncio.fixture``, or, without pytest-asyncio, a fixture of the
    same name that fails the test with :data:`MISSING_PYTEST_ASYNCIO`."""
    if pytest_asyncio is not None:
        return cast(_F, pytest_asyncio.fixture(func))
    message = MISSING_PYTEST_ASYNCIO.format(name=func.__name__)

    def missing(request: pytest.FixtureRequest) -> Any:
        pytest.fail(message, pytrace=False)

    missing.__name__ = missing.__qualname__ = func.__name__
    missing.__doc__ = func.__doc__
    return cast(_F, pytest.fixture(name=func.__name__)(missing))


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
    from .server import DNSServer

    async with DNSServer(dns_records or None, **dns_server_options) as server:
        yield server


@_async_fixture
async def dns_resolver(dns_server: DNSServer) -> AsyncIterator[Resolver]:
    """An :class:`aioresolve.Resolver` that asks only ``dns_server`` (the
    ``"wire"`` backend where available, else ``"cares"``; never the system
    resolver), with a 5-second default timeout so a broken test fails instead
    of hanging.  Closed after the test."""
    async with dns_server.resolver(timeout=5.0) as resolver:
        yield resolver
