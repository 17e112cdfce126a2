"""What a :class:`~aioresolve.Resolver` adds on top of its backend, for unique names.

Run from the repository root:  python benchmarks/bench_resolver_overhead.py [--quick]

Starts knotd on loopback (tests.rig.servers.start_knot with a 20,000-name bulk
zone) and looks up every bulk name once (A records, so no cache hit and no
coalescing partner: the pure overhead of the common path), with at most
``--in-flight`` lookups outstanding, through

  * the c-ares backend directly (``backend.query``),
  * ``Resolver("cares", cache=False, coalesce=False)``,
  * ``Resolver("cares")`` (defaults: cache + coalescing),
  * ``Resolver("cares", timeout=30)`` (defaults plus a per-lookup deadline).

Every row gets a fresh backend, so c-ares' own query cache never answers.
Rows are interleaved over ``--rounds`` rounds and the best round of each row is
reported (names/s and the ratio to the backend-direct row).  Figures depend on
the machine: on a 2-core box, client and server share it.

Nothing leaves loopback: every query goes to the knotd on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import aioresolve
from aioresolve._backends import create_backend
from tests.rig import servers
from tests.rig import zone as z

Call = Callable[[str], Awaitable[Any]]


async def _drive(names: list[str], call: Call, in_flight: int) -> float:
    """Names per second for looking up every name once, ``in_flight`` at a time."""
    it = iter(names)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for name in it:
            try:
                await call(name)
            except Exception:
                failures += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed = time.perf_counter() - start
    if failures:
        print(f"  ({failures} lookups failed)", file=sys.stderr)
    return len(names) / elapsed


async def _row(label: str, address: str, names: list[str], in_flight: int) -> float:
    ns = [address]
    if label == "backend direct":
        backend = create_backend("cares", nameservers=ns, domains=[])
        try:
            return await _drive(names, lambda n: backend.query(n, "A"), in_flight)
        finally:
            await backend.aclose()
    options: dict[str, Any] = {
        "Resolver no cache/coalesce": {"cache": False, "coalesce": False},
        "Resolver defaults": {},
        "Resolver defaults, timeout=30": {"timeout": 30.0},
    }[label]
    async with aioresolve.Resolver("cares", nameservers=ns, domains=[], **options) as r:
        return await _drive(names, lambda n: r.query(n, "A"), in_flight)


ROWS = (
    "backend direct",
    "Resolver no cache/coalesce",
    "Resolver defaults",
    "Resolver defaults, timeout=30",
)


async def _main(address: str, count: int, rounds: int, in_flight: int) -> None:
    names = [z.bulk_name(i) for i in range(count)]
    # Warm up the server (knot's caches, the loopback path) once.
    await _row("backend direct", address, names[: min(count, 2000)], in_flight)
    best: dict[str, float] = dict.fromkeys(ROWS, 0.0)
    for _ in range(rounds):
        for label in ROWS:
            best[label] = max(best[label], await _row(label, address, names, in_flight))
    base = best["backend direct"]
    print(f"{count} unique names, {in_flight} in flight, best of {rounds} rounds "
          "(2-core box, client and server share it)")
    print(f"{'path':32s} {'names/s':>9s} {'ratio':>6s}")
    for label in ROWS:
        print(f"{label:32s} {best[label]:9.0f} {best[label] / base:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 names, 1 round")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=500)
    args = parser.parse_args()
    count, rounds = (5_000, 1) if args.quick else (args.count, args.rounds)
    with servers.start_knot(bulk_count=max(count, 20_000)) as knot:
        asyncio.run(_main(knot.address, count, rounds, args.in_flight))


if __name__ == "__main__":
    main()
