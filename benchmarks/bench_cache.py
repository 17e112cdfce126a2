"""Cached vs uncached lookups on every backend, and coalescing of concurrent identical lookups.

Run from the repository root:  python benchmarks/bench_cache.py [--quick]

Part 1 (no DNS at all: "localhost" comes from /etc/hosts) times one lookup of
``getaddrinfo("localhost", 443)`` through
  * ``socket.getaddrinfo`` (synchronous, libc),
  * ``loop.getaddrinfo`` (asyncio's default executor),
  * aioresolve's system backend without cache, and with ``CacheConfig(fixed_ttl=60)``.
Part 2 starts knotd + dnsdist on loopback (tests/_services_server.py) and,
for the wire and c-ares backends, times ``getaddrinfo`` and ``query`` of a
name only it knows, uncached and cached by the records' TTLs (the default),
against the target of issue 13 (a cached ``getaddrinfo`` under 5 µs), and
counts the queries that reach the server for 3 lookups of a positive, an
NXDOMAIN and a no-data name (negative answers are cached by the SOA).
c-ares' own query cache is off in aioresolve's c-ares backend, so "no cache"
is a real round trip on both.
Part 4 (run after part 2) times cached getaddrinfo on every backend, interleaved
round by round, as a ratio to the system backend with fixed_ttl.
Part 3 fires 10,000 identical ``getaddrinfo`` calls at once and reports the
wall time and how many queries reached the server.

Nothing leaves loopback: the process first moves into the rig's private
mount namespace (``tests.rig.namespace``: its own resolv.conf and hosts file),
libc only sees "localhost", DNS goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from aioresolve import Backend, ResolveError, Resolver
from aioresolve.cache import CacheConfig, LookupCache
from tests._services_server import ZONE, Knot, run_knot


def per_call_sync(func: Callable[[], object], n: int) -> float:
    best = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            func()
        best.append((time.perf_counter() - start) / n)
    return min(best) * 1e6


async def per_call(func: Callable[[], Awaitable[Any]], n: int) -> float:
    """µs per call, the best of 5 rounds: on a shared box the other processes
    only ever add time, so the fastest round is the closest to the code's own cost."""
    await func()  # warm up (and fill the cache)
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            await func()
        rounds.append((time.perf_counter() - start) / n)
    return min(rounds) * 1e6


def dns_backends(knot: Knot) -> dict[str, Callable[[], Backend]]:
    """Factories of the DNS backends to compare, all aimed at the test knotd."""
    from aioresolve._config import create_backend

    factories: dict[str, Callable[[], Backend]] = {
        "wire": lambda: create_backend("wire", nameservers=[knot.address]),
    }
    try:
        create_backend("cares", nameservers=[knot.address])
        factories["cares"] = lambda: create_backend(
            "cares", nameservers=[knot.address], domains=[], hosts_file=False
        )
    except Exception as exc:  # pycares missing
        print(f"  (cares backend unavailable: {exc})")
    return factories


def row(label: str, micros: float, base: float) -> None:
    print(f"  {label:<58} {micros:10.2f} µs  {base / micros:8.1f}x")


async def part1(n: int) -> None:
    print("1. getaddrinfo('localhost', 443): /etc/hosts, no DNS (best of 5 rounds)")
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


async def count_queries(knot: Knot, resolver: Resolver, lookup: Callable[[], Awaitable[Any]]
                        ) -> int:
    """Queries that reach the server for 3 runs of ``lookup`` (failures included)."""
    before = knot.queries()
    for _ in range(3):
        with contextlib.suppress(OSError, ResolveError):
            await lookup()
    return knot.queries() - before


async def cache_layer_hit(n: int) -> float:
    """µs per hit of the cache itself, without the facade's input checks."""
    cache = LookupCache(CacheConfig(), backend_provides_ttl=True)
    infos = socket.getaddrinfo("127.0.0.1", 443, socket.AF_INET, socket.SOCK_STREAM)

    async def start() -> tuple[Any, float]:
        return infos, 300.0

    key = ("getaddrinfo", b"a.example.test", 443, socket.AF_INET, socket.SOCK_STREAM, 0, 0)
    return await per_call(lambda: cache.run_timed(key, start), n)


async def part2(knot: Knot, n: int) -> None:
    name = f"a.{ZONE}"
    print(f"\n2. lookups of {name!r} (TTL 300) against knotd on loopback (target: cached "
          "getaddrinfo < 5 µs)")
    counts: list[str] = []
    for kind, make in dns_backends(knot).items():
        async with Resolver(make(), cache=False) as uncached, Resolver(make()) as cached:
            q_miss = await per_call(lambda: uncached.query(name, "A"), n)
            q_hit = await per_call(lambda: cached.query(name, "A"), n * 10)
            g_miss = await per_call(lambda: uncached.getaddrinfo(name, 443, socket.AF_INET), n)
            g_hit = await per_call(lambda: cached.getaddrinfo(name, 443, socket.AF_INET), n * 10)
            h_hit = await per_call(lambda: cached.gethostbyname(name), n * 10)
        print(f"  backend: {kind}")
        row("query(A), no cache (a round trip)", q_miss, q_miss)
        row("query(A), cached (default)", q_hit, q_miss)
        row("getaddrinfo, no cache (a round trip)", g_miss, g_miss)
        row("getaddrinfo, cached by the records' TTL (default)", g_hit, g_miss)
        row("gethostbyname, cached (default)", h_hit, g_miss)
        async with Resolver(make()) as fresh:
            cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("getaddrinfo(dual, AF_UNSPEC)",
                 lambda: fresh.getaddrinfo(f"dual.{ZONE}", 80, type=socket.SOCK_STREAM)),
                ("getaddrinfo(nx, AF_INET)",
                 lambda: fresh.getaddrinfo(f"nx.{ZONE}", 80, socket.AF_INET)),
                ("getaddrinfo(nodata, AF_UNSPEC)",
                 lambda: fresh.getaddrinfo(f"nodata.{ZONE}", 80)),
                ("query(a, A)", lambda: fresh.query(f"b.{ZONE}", "A")),
                ("query(nx, A)", lambda: fresh.query(f"nx.{ZONE}", "A")),
                ("query(nodata, A)", lambda: fresh.query(f"nodata.{ZONE}", "A")),
            ]
            for label, lookup in cases:
                counts.append(f"  {kind:<6} {label:<34} "
                              f"{await count_queries(knot, fresh, lookup)} queries")
    print("\n  the cache layer alone (LookupCache.run_timed, a fresh getaddrinfo entry):")
    print(f"  {'hit':<58} {await cache_layer_hit(n * 50):10.2f} µs")
    print("\n  queries reaching the server for 3 identical lookups (cache on):")
    print("\n".join(counts))


async def part_hits(knot: Knot, n: int) -> None:
    """Cached getaddrinfo on every backend, interleaved round by round so that
    a busy box disturbs them alike: the ratio to the system backend is the figure."""
    print("\n4. cached getaddrinfo on every backend, 5 interleaved rounds "
          "(best round, µs per call)")
    factories = dns_backends(knot)
    resolvers = {kind: Resolver(make()) for kind, make in factories.items()}
    resolvers["system (fixed_ttl=60)"] = Resolver("system", cache=CacheConfig(fixed_ttl=60))
    name = f"a.{ZONE}"
    lookups: dict[str, Callable[[], Awaitable[Any]]] = {
        kind: functools.partial(r.getaddrinfo, "localhost" if kind.startswith("system")
                                else name, 443, socket.AF_INET)
        for kind, r in resolvers.items()
    }
    times: dict[str, list[float]] = {kind: [] for kind in lookups}
    try:
        for lookup in lookups.values():
            await lookup()  # fill the cache
        for _ in range(5):
            for kind, lookup in lookups.items():
                start = time.perf_counter()
                for _ in range(n):
                    await lookup()
                times[kind].append((time.perf_counter() - start) / n * 1e6)
    finally:
        for r in resolvers.values():
            await r.close()
    system = min(times["system (fixed_ttl=60)"])
    for kind, values in times.items():
        best = min(values)
        print(f"  {kind:<58} {best:10.2f} µs  {best / system:8.2f}x of system")


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
        await part_hits(knot, n * 5)
        await part3(knot, 10_000)


if __name__ == "__main__":
    # The system backend (libc) runs only in the rig's private mount namespace,
    # whose resolv.conf points at a loopback address and whose hosts file has
    # localhost: nothing libc does here can reach this machine's nameserver.
    # Entered first, while the process has one thread.
    from tests.rig import namespace

    try:
        namespace.enter()
    except OSError as exc:
        sys.exit(f"bench_cache: needs the rig's private mount namespace (root, Linux): {exc}")
    asyncio.run(main())
