"""Test helpers: an embedded DNS server and a pytest plugin.

:class:`DNSServer` is an authoritative DNS server on loopback (UDP and TCP),
serving records from a mapping or zone-file text, with injectable faults and a
query log, so code that resolves names can be tested without the network.
The pytest plugin (:mod:`aioresolve.testing.pytest_plugin`) wraps it in the
``dns_server`` and ``dns_resolver`` fixtures.

The names below are loaded on first use (:pep:`562`), like those of
:mod:`aioresolve`: pytest imports this package for the plugin's entry point in
every run of a project that has aioresolve installed, and the server (with
dnspython) is needed only once a test asks for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time, __getattr__ below
    from ._zone import Records as Records
    from .server import DNSServer as DNSServer
    from .server import Fault as Fault
    from .server import LoggedQuery as LoggedQuery
    from .server import ServerStats as ServerStats

_LAZY: dict[str, str] = {
    "Records": "._zone",
    **dict.fromkeys(("DNSServer", "Fault", "LoggedQuery", "ServerStats"), ".server"),
}


def __getattr__(name: str) -> Any:
    """Load a public name on first use (:pep:`562`) and keep it as a global."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["DNSServer", "Fault", "LoggedQuery", "Records", "ServerStats"]
