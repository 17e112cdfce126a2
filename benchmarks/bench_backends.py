"""Names per second: system vs c-ares vs wire backends vs plain aiodns 4.

Moves itself into the rig's private mount namespace (tests.rig.namespace:
resolv.conf names 127.x.y.z, hosts holds only localhost and the rig's entries),
starts knotd (tests.rig.servers) on 127.x.y.z:53 with a bulk zone of N names,
then resolves the same N names (A records, all at once with ``asyncio.gather``):

* ``system``: ``Resolver("system").getaddrinfo(name, None, AF_INET)`` - glibc in
  a thread pool, asking that knot (libc never reaches the machine's resolver);
* ``cares``: the same call through ``Resolver("cares", nameservers=[knot])``,
  and ``query(name, "A")`` through it;
* ``cares backend alone``: ``CaresBackend.query`` without the Resolver
  layer (cache/coalescing machinery off but still traversed in the rows above);
* the design alternative: pycares' event thread with results handed to the
  loop in batches (one ``call_soon_threadsafe`` per batch), raw pycares results;
* ``aiodns``: ``aiodns.DNSResolver(nameservers=[knot]).query_dns(name, "A")``
  (pycares' event thread, one ``call_soon_threadsafe`` per result);
* ``wire``: ``Resolver("wire", nameservers=[knot])``: ``getaddrinfo`` and
  ``query``, and ``WireBackend.query`` alone.

Caches are off; every name is asked once.  The rate counts successful
lookups only; failures (a burst can outrun the server) go to stderr.  Usage::

    python -m benchmarks.bench_backends [--names 10000] [--repeat 3]   # as root
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from collections.abc import Awaitable, Callable

#: (successful lookups per second, failed lookups) of one run.
Result = tuple[float, int]
#: Lookups in flight at once; 0 = all (set from --concurrency).
CONCURRENCY = 0


async def _timed(make: Callable[[str], Awaitable[object]], names: list[str]) -> Result:
    if CONCURRENCY:
        gate = asyncio.Semaphore(CONCURRENCY)
        inner = make

        async def bounded(name: str) -> object:
            async with gate:
                return await inner(name)

        make = bounded
    start = time.perf_counter()
    results = await asyncio.gather(*(make(n) for n in names), return_exceptions=True)
    elapsed = time.perf_counter() - start
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:  # reported, not hidden: a burst may outrun the server's queue
        print(f"  {len(failed)} of {len(names)} failed, e.g. {failed[0]!r}", file=sys.stderr)
    return (len(names) - len(failed)) / elapsed, len(failed)


async def _system(names: list[str]) -> Result:
    from aioresolve import Resolver

    async with Resolver("system", cache=False, coalesce=False) as r:
        return await _timed(lambda n: r.getaddrinfo(n, None, socket.AF_INET), names)


async def _cares(names: list[str], server: str) -> dict[str, Result]:
    from aioresolve import Resolver

    def fresh() -> Resolver:
        # A new channel each time: c-ares' own query cache (per channel) stays cold.
        return Resolver("cares", nameservers=[server], hosts_file=False, domains=[],
                        cache=False, coalesce=False)

    async with fresh() as r:
        await r.query(names[0], "A")  # warm up: channel and sockets
        gai = await _timed(lambda n: r.getaddrinfo(n, None, socket.AF_INET), names[1:])
    async with fresh() as r:
        await r.query(names[0], "A")
        query = await _timed(lambda n: r.query(n, "A"), names[1:])
    return {"gai": gai, "query": query}


async def _wire(names: list[str], server: str) -> dict[str, Result]:
    from aioresolve import Resolver
    from aioresolve._backends.wire import WireBackend

    def fresh() -> Resolver:
        return Resolver("wire", nameservers=[server], cache=False, coalesce=False)

    async with fresh() as r:
        await r.query(names[0], "A")  # warm up: engine and sockets
        gai = await _timed(lambda n: r.getaddrinfo(n, None, socket.AF_INET), names[1:])
    async with fresh() as r:
        await r.query(names[0], "A")
        query = await _timed(lambda n: r.query(n, "A"), names[1:])
    backend = WireBackend(nameservers=[server])
    try:
        await backend.query(names[0], "A")
        alone = await _timed(lambda n: backend.query(n, "A"), names[1:])
    finally:
        await backend.aclose()
    return {"wire_gai": gai, "wire_query": query, "wire_alone": alone}


async def _aiodns(names: list[str], server: str) -> Result:
    import aiodns

    resolver = aiodns.DNSResolver(nameservers=[server])
    try:
        await resolver.query_dns(names[0], "A")
        return await _timed(lambda n: resolver.query_dns(n, "A"), names[1:])
    finally:
        await resolver.close()


async def _cares_backend_alone(names: list[str], server: str) -> Result:
    from aioresolve._backends.cares import CaresBackend

    backend = CaresBackend(nameservers=[server], hosts_file=False, domains=[])
    try:
        await backend.query(names[0], "A")
        return await _timed(lambda n: backend.query(n, "A"), names[1:])
    finally:
        await backend.aclose()


async def _event_thread_batched(names: list[str], server: str) -> Result:
    """The alternative design: pycares' own event thread, results handed to the
    loop in batches (one call_soon_threadsafe per batch, not per result)."""
    import threading

    import pycares

    loop = asyncio.get_running_loop()
    lock = threading.Lock()
    ready: list[tuple[asyncio.Future[object], object, int | None]] = []

    def flush() -> None:
        with lock:
            batch = ready[:]
            ready.clear()
        for fut, result, status in batch:
            if not fut.done():
                if status is None:
                    fut.set_result(result)
                else:
                    fut.set_exception(OSError(status, "lookup failed"))

    def query(name: str) -> asyncio.Future[object]:
        fut: asyncio.Future[object] = loop.create_future()

        def done(result: object, status: int | None) -> None:  # c-ares' thread
            with lock:
                ready.append((fut, result, status))
                first = len(ready) == 1
            if first:
                loop.call_soon_threadsafe(flush)

        channel.query(name, pycares.QUERY_TYPE_A, callback=done)
        return fut

    channel = pycares.Channel(servers=[server], flags=pycares.ARES_FLAG_NOSEARCH)
    try:
        await query(names[0])
        return await _timed(query, names[1:])
    finally:
        channel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is shown")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="lookups in flight at once (default 0: all)")
    args = parser.parse_args()
    global CONCURRENCY
    CONCURRENCY = args.concurrency

    from tests.rig import namespace, servers, zone

    # First, while single-threaded: a private mount namespace whose resolv.conf
    # sends libc to ns.address:53 - where knot itself listens below.
    ns = namespace.enter()
    names = [zone.bulk_name(i) for i in range(args.names)]
    with servers.start_knot(host=ns.address, port=53, bulk_count=args.names) as knot:
        server = knot.host
        # Best of --repeat rounds, interleaved: the box is shared, so the best
        # round is the one least disturbed by other processes.
        rounds: list[dict[str, Result]] = []
        for _ in range(args.repeat):
            cares = asyncio.run(_cares(names, server))
            wire = asyncio.run(_wire(names, server))
            rounds.append({
                **wire,
                "system": asyncio.run(_system(names)),
                "gai": cares["gai"],
                "query": cares["query"],
                "alone": asyncio.run(_cares_backend_alone(names, server)),
                "batched": asyncio.run(_event_thread_batched(names, server)),
                "aiodns": asyncio.run(_aiodns(names, server)),
            })
        best = {key: max(r[key] for r in rounds) for key in rounds[0]}
    system, plain = best["system"][0], best["aiodns"][0]

    rows = [
        ("system: getaddrinfo(AF_INET), glibc in 16 threads", best["system"]),
        ("cares: getaddrinfo(AF_INET)", best["gai"]),
        ("cares: query(A)", best["query"]),
        ("cares backend alone (no Resolver layer): query(A)", best["alone"]),
        ("(design alternative) pycares event thread, batched hand-over: raw query",
         best["batched"]),
        ("aiodns 4: query_dns(A)", best["aiodns"]),
        ("wire: getaddrinfo(AF_INET)", best["wire_gai"]),
        ("wire: query(A)", best["wire_query"]),
        ("wire backend alone (no Resolver layer): query(A)", best["wire_alone"]),
    ]
    at_once = f"{args.concurrency} at a time" if args.concurrency else "all at once"
    print(f"{args.names} names, {at_once}, best of {args.repeat} rounds; local knotd "
          "(1 UDP worker); 2-core box, client and server share it.\n")
    print("| lookups | names/s | vs system | vs aiodns | failed (that round) |")
    print("|---|---:|---:|---:|---:|")
    for label, (rate, failed) in rows:
        print(f"| {label} | {rate:,.0f} | {rate / system:.2f}x | {rate / plain:.2f}x "
              f"| {failed} |")


if __name__ == "__main__":
    main()
