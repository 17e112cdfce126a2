"""Cached vs uncached lookups, and coalescing of concurrent identical lookups.

Run from the repository root:  python benchmarks/bench_cache.py [--quick]

Part 1 (no DNS at all: "localhost" comes from /etc/hosts) times one lookup of
``getaddrinfo("localhost", 443)`` through
  * ``socket.getaddrinfo`` (synchronous, libc),
  * ``loop.getaddrinfo`` (asyncio's default executor),
  * aioresolve's system backend without cache, and with ``CacheConfig(fixed_ttl=60)``.
Part 2 starts a knotd on loopback (tests/_services_server.py) and times
``getaddrinfo`` of a name only it knows through a DNS backend ("cares" when
it is available, else the tests' dnspython backend), uncached and cached.
With c-ares 1.34 "no cache" still means c-ares' own query cache (on by
default since c-ares 1.23, not switchable through pycares 5): only the first
query reaches the server, so that row measures a call into c-ares, not a round trip.
Part 3 fires 10,000 identical ``getaddrinfo`` calls at once and reports the
wall time and how many queries reached knot (its mod-stats counters).

Nothing leaves loopback: libc only sees "localhost", DNS goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from aioresolve import Backend, Resolver
from aioresolve.cache import CacheConfig
from tests._services_server import ZONE, DnspythonBackend, Knot, run_knot


def per_call_sync(func: Callable[[], object], n: int) -> float:
    best = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            func()
        best.append((time.perf_counter() - start) / n)
    return statistics.median(best) * 1e6


async def per_call(func: Callable[[], Awaitable[Any]], n: int) -> float:
    await func()  # warm up (and fill the cache)
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            await func()
        rounds.append((time.perf_counter() - start) / n)
    return statistics.median(rounds) * 1e6


def dns_backends(knot: Knot) -> dict[str, Callable[[], Backend]]:
    """Factories of the DNS backends to compare, all aimed at the test knotd."""
    from aioresolve._backends import create_backend

    factories: dict[str, Callable[[], Backend]] = {}
    try:
        create_backend("cares", nameservers=[knot.address])
        factories["cares"] = lambda: create_backend(
            "cares", nameservers=[knot.address], domains=[]
        )
    except Exception as exc:  # pycares missing
        print(f"  (cares backend unavailable: {exc})")
    factories["dnspython (tests' backend)"] = lambda: DnspythonBackend(knot.host, knot.port)
    return factories


def row(label: str, micros: float, base: float) -> None:
    print(f"  {label:<58} {micros:10.2f} µs  {base / micros:8.1f}x")


async def part1(n: int) -> None:
    print("1. getaddrinfo('localhost', 443): /etc/hosts, no DNS (median of 5 rounds)")
    loop = asyncio.get_running_loop()
    sync = per_call_sync(lambda: socket.getaddrinfo("localhost", 443), n)
    executor = await per_call(lambda: loop.getaddrinfo("localhost", 443), n)
    async with Resolver("system", cache=False) as uncached, Resolver(
        "system", cache=CacheConfig(fixed_ttl=60)
    ) as cached:
        plain = await per_call(lambda: uncached.getaddrinfo("localhost", 443), n)
        hit = await per_call(lambda: cached.getaddrinfo("localhost", 443), n * 10)
    print(f"  {'':<58} {'per call':>13}  {'vs socket':>9}")
    row("socket.getaddrinfo (sync, blocks the loop)", sync, sync)
    row("loop.getaddrinfo (default executor)", executor, sync)
    row("aioresolve system backend, no cache", plain, sync)
    row("aioresolve system backend, cached (fixed_ttl=60)", hit, sync)


async def part2(knot: Knot, n: int) -> None:
    name = f"a.{ZONE}"
    print(f"\n2. lookups of {name!r} (TTL 300) against knotd on loopback")
    for kind, make in dns_backends(knot).items():
        async with Resolver(make(), cache=False) as uncached, Resolver(make()) as cached, \
                Resolver(make(), cache=CacheConfig(fixed_ttl=300)) as fixed:
            before = knot.queries()
            q_miss = await per_call(lambda: uncached.query(name, "A"), n)
            reached = knot.queries() - before
            q_hit = await per_call(lambda: cached.query(name, "A"), n * 10)
            g_miss = await per_call(lambda: uncached.getaddrinfo(name, 443, socket.AF_INET), n)
            g_hit = await per_call(lambda: cached.getaddrinfo(name, 443, socket.AF_INET), n * 10)
            g_fixed = await per_call(lambda: fixed.getaddrinfo(name, 443, socket.AF_INET), n * 10)
            entries = cached.cache_info().size
        print(f"  backend: {kind}; {n * 5 + 1} uncached queries reached knot {reached} time(s)")
        row("query(A), no aioresolve cache", q_miss, q_miss)
        row("query(A), cached (default)", q_hit, q_miss)
        row("getaddrinfo, no cache", g_miss, g_miss)
        if entries == 2:
            row("getaddrinfo, cached with the backend's TTL (default)", g_hit, g_miss)
        else:
            row("getaddrinfo, default (backend reports no TTL: uncached)", g_hit, g_miss)
        row("getaddrinfo, cached with CacheConfig(fixed_ttl=300)", g_fixed, g_miss)


async def part3(knot: Knot, count: int) -> None:
    print(f"\n3. {count:,} concurrent identical getaddrinfo(name, 80, AF_INET),"
          " a fresh name per run")
    factories = dns_backends(knot)
    runs: list[tuple[str, Callable[[], Backend], dict[str, Any]]] = [
        (f"{kind}, {label}", make, options)
        for kind, make in factories.items()
        for label, options in (("no cache", {"cache": False}), ("cache", {}))
    ]
    if "cares" in factories:  # c-ares alone: one socket, so 10,000 queries in flight are fine
        runs.append(("cares, no cache, coalesce=False", factories["cares"],
                     {"cache": False, "coalesce": False}))
    for number, (label, make, options) in enumerate(runs, 1):
        name = f"burst{number}.{ZONE}"
        async with Resolver(make(), **options) as resolver:
            before = knot.queries()
            start = time.perf_counter()
            results = await asyncio.gather(
                *(resolver.getaddrinfo(name, 80, socket.AF_INET) for _ in range(count))
            )
            elapsed = time.perf_counter() - start
            queries = knot.queries() - before
        assert all(r == results[0] for r in results)
        print(f"  {label:<36} {elapsed * 1e3:8.1f} ms  {elapsed / count * 1e6:6.2f} µs/call"
              f"  queries at knot: {queries}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n = 200 if args.quick else 2000
    print("2-core box shared by client and server; figures vary between runs.\n")
    await part1(n)
    with run_knot() as knot:
        await part2(knot, n // 4)
        await part3(knot, 10_000)


if __name__ == "__main__":
    asyncio.run(main())
