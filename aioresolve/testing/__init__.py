"""Test helpers: an embedded DNS server and a pytest plugin.

:class:`DNSServer` is an authoritative DNS server on loopback (UDP and TCP),
serving records from a mapping or zone-file text, with injectable faults and a
query log, so code that resolves names can be tested without the network.
The pytest plugin (:mod:`aioresolve.testing.pytest_plugin`) wraps it in the
``dns_server`` and ``dns_resolver`` fixtures.
"""

from __future__ import annotations

from ._zone import Records as Records
from .server import DNSServer as DNSServer
from .server import Fault as Fault
from .server import LoggedQuery as LoggedQuery
from .server import ServerStats as ServerStats

__all__ = ["DNSServer", "Fault", "LoggedQuery", "Records", "ServerStats"]
