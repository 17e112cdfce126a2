"""Start and stop the real DNS servers of the test rig: knotd and dnsdist.

Plain functions returning context managers, usable from pytest fixtures,
benchmarks and scripts alike::

    from tests.rig.servers import start_knot, start_dnsdist

    with start_knot() as knot, start_dnsdist(knot) as dnsdist:
        resolver = aioresolve.Resolver(backend="cares", nameservers=[dnsdist.address])

Both listen on UDP and TCP of one loopback address (127.0.0.1 and a free port
by default).  A start returns only once the server answers an authoritative
SOA query for every zone it serves, so a test never races a loading server.
When a binary is missing or will not start, :class:`RigUnavailable` says why
(the pytest fixtures turn that into a skip, or a failure under CI).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import zone as z
from ._process import RigUnavailable, Server, free_port, unavailable, wait_until_answering
from .dnsdist import COUNTS_QTYPE, DnsdistServer, start_dnsdist
from .knot import KnotServer, start_knot

__all__ = [
    "COUNTS_QTYPE",
    "DnsdistServer",
    "KnotServer",
    "RigUnavailable",
    "Server",
    "free_port",
    "start_dnsdist",
    "start_knot",
    "start_rig",
    "unavailable",
    "wait_until_answering",
]


@contextlib.contextmanager
def start_rig(
    *,
    bulk_count: int = z.BULK_DEFAULT_COUNT,
    host: str = "127.0.0.1",
    port: int = 0,
    counting: bool = True,
    latency_ms: int = 0,
    knot_workers: int = 1,
) -> Iterator[tuple[KnotServer, DnsdistServer]]:
    """knotd (rig zones, *bulk_count* bulk names) on 127.0.0.1 plus dnsdist in
    front of it on *host*:*port*; yields ``(knot, dnsdist)``.  For benchmarks::

        with start_rig(bulk_count=100_000, counting=False) as (knot, front):
            ...  # query knot.address directly, or front.address for faults
    """
    with (
        start_knot(bulk_count=bulk_count, workers=knot_workers) as knot,
        start_dnsdist(
            knot, host=host, port=port, counting=counting, latency_ms=latency_ms
        ) as front,
    ):
        yield knot, front
