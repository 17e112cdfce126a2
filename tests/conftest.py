"""Shared pytest fixtures: the hermetic real-server rig (see :mod:`tests.rig`).

At import time - before any test, thread or lookup - the pytest process moves
into a private mount namespace whose resolv.conf/hosts point libc at
127.x.y.z:53 (:mod:`tests.rig.namespace`).  Session fixtures start the
servers lazily:

- ``knot``: knotd with the rig zones on 127.0.0.1:<free port>;
- ``dnsdist``: dnsdist in front of ``knot`` with the fault names, 127.0.0.1:<port>;
- ``libc_dns``: dnsdist in front of ``knot`` on 127.x.y.z:53, the server libc
  (system backend, ``socket`` module, default c-ares config) asks.  Tests that
  do libc lookups of DNS names must request it: it skips (fails under CI)
  when the namespace could not be made.  In that case :mod:`socket`'s lookups
  are also wrapped so that any lookup of a name that is neither numeric nor in
  /etc/hosts raises ``LookupRefused`` instead of reaching the real nameserver.

One function-scoped fixture shared by several modules: ``servers``, the
:class:`tests.hostile.HostileServer` instances a hostile-server test starts
(``tests/test_hostile_*.py``), stopped after the test.

Missing binaries skip the tests that need them, except under ``CI=true`` (CI
installs them, so a missing one is a failure there, not a silent skip).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests._services_server import Knot, run_knot
from tests.hostile import HostileServer
from tests.rig import namespace as _namespace
from tests.rig.servers import (
    DnsdistServer,
    KnotServer,
    RigUnavailable,
    start_dnsdist,
    start_knot,
    unavailable,
)

try:
    NAMESPACE: _namespace.Namespace | None = _namespace.enter()
    NAMESPACE_REASON = ""
except OSError as exc:  # not root, no unshare, threads already running...
    NAMESPACE = None
    NAMESPACE_REASON = f"no private mount namespace for libc tests: {exc}"
    os.environ[_namespace.ENV_REASON] = NAMESPACE_REASON
    os.environ.pop(_namespace.ENV_ADDRESS, None)
    # Then no test may ask the real nameserver through libc, by mistake or not.
    _namespace.install_guard(NAMESPACE_REASON)


_unavailable = unavailable


@pytest.fixture(scope="session")
def knot() -> Iterator[KnotServer]:
    """knotd serving every rig zone (:func:`tests.rig.zone.all_zones`)."""
    try:
        with start_knot() as server:
            yield server
    except RigUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def dnsdist(knot: KnotServer) -> Iterator[DnsdistServer]:
    """dnsdist in front of ``knot``, injecting the fault names' faults."""
    try:
        with start_dnsdist(knot) as server:
            yield server
    except RigUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def libc_dns(knot: KnotServer) -> Iterator[DnsdistServer]:
    """dnsdist (faults included) on 127.x.y.z:53, the server libc uses here."""
    if NAMESPACE is None:
        _unavailable(NAMESPACE_REASON)
    try:
        with start_dnsdist(knot, host=NAMESPACE.address, port=53) as server:
            yield server
    except RigUnavailable as exc:
        _unavailable(str(exc))


@pytest.fixture(scope="session")
def svc_knot() -> Iterator[Knot]:
    """The services tests' zone (:data:`tests._services_server.ZONE`), with a query counter."""
    with run_knot() as server:
        yield server


@pytest.fixture
async def servers() -> AsyncIterator[list[HostileServer]]:
    """Append each :class:`tests.hostile.HostileServer` the test starts: stopped after it."""
    started: list[HostileServer] = []
    yield started
    for s in started:
        await s.stop()
