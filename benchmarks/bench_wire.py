"""Bulk throughput of the wire engine against its peers, with dnsperf as the ceiling.

One command (as root, from the repository root)::

    python -m benchmarks.bench_wire                  # ~2 minutes on a 2-core box
    python -m benchmarks.bench_wire --names 100000 --stream 1000000 --latency-names 50000
    python -m benchmarks.bench_wire --codec          # lean codec vs dnspython only

What it does:

1. Moves into the rig's private mount namespace (so the system backend's libc
   asks the local server, never the machine's resolver; skipped with a note
   when that is impossible) and starts knotd with ``--zone-names`` bulk names
   on 127.x.y.z:53 (1 UDP worker), plus dnsdist in front of it adding 20 ms to
   every UDP answer.
2. Scenario 1 (server-bound): ``--names`` A lookups by each client, each in its
   own subprocess so that peak RSS (``ru_maxrss``) is the client's own:
   the wire engine's ``query_stream``; the wire backend with a task per name;
   the c-ares backend; the system backend (glibc in threads); aiodns with
   ``gather``; dnspython's async resolver (``--slow-names`` of them, it is
   slow); dnsperf (same names, same server) as the ceiling.  The wire client
   also runs a 10 ms loop timer and reports its lag p99.
3. Scenario 2 (latency-bound): the same through dnsdist with 20 ms latency.
4. Scenario 3: ``--stream`` names streamed through ``query_stream`` (names
   cycle over the zone) and the client's peak RSS.

Rates count successful lookups only.  The box is shared: run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- clients (run in a subprocess each) -------------------------------------------------


def _names(count: int, zone_names: int) -> Iterator[str]:
    from tests.rig import zone

    return (zone.bulk_name(i % zone_names) for i in range(count))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LagProbe:
    """A 10 ms timer on the loop; records how late each tick runs (p99 in ms
    from :meth:`stop`).  Also used by ``bench_sidebyside``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lags: list[float] = []
        self.handle: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        due = self.loop.time() + 0.01
        self.handle = self.loop.call_at(due, self._tick, due)

    def _tick(self, due: float) -> None:
        self.lags.append(self.loop.time() - due)
        self._arm()

    def stop(self) -> float:
        if self.handle is not None:
            self.handle.cancel()
        lags = sorted(self.lags) or [0.0]
        return lags[int(len(lags) * 0.99)] * 1000


async def _gather(call: Callable[[str], Awaitable[object]], names: list[str],
                  concurrency: int) -> tuple[int, int]:
    gate = asyncio.Semaphore(concurrency) if concurrency else None

    async def one(name: str) -> object:
        if gate is None:
            return await call(name)
        async with gate:
            return await call(name)

    results = await asyncio.gather(*(one(n) for n in names), return_exceptions=True)
    failed = sum(isinstance(r, BaseException) for r in results)
    return len(names) - failed, failed


async def _client(kind: str, server: str, count: int, zone_names: int,
                  concurrency: int) -> dict[str, Any]:
    host, _, port = server.rpartition(":")
    out: dict[str, Any] = {}
    start = time.perf_counter()
    if kind == "wire":
        from aioresolve._backends.wire import WireBackend

        backend = WireBackend(nameservers=[server], timeout=1.0, attempts=3)
        names = _names(count, zone_names)
        next(_names(1, zone_names))  # imports done before the probe starts
        backend.engine()
        probe = LagProbe(asyncio.get_running_loop())
        ok = failed = 0
        async for item in backend.query_stream(names, "A",
                                               concurrency=concurrency):
            if isinstance(item.result, Exception):
                failed += 1
            else:
                ok += 1
        out["lag_p99_ms"] = probe.stop()
        out["lag_max_ms"] = max(probe.lags, default=0.0) * 1000
        out["lag_ticks"] = len(probe.lags)
        out["stats"] = backend.stats.as_dict() if backend.stats else {}
        await backend.aclose()
    elif kind == "idle":  # the lag probe alone: what the shared box does to any loop
        probe = LagProbe(asyncio.get_running_loop())
        await asyncio.sleep(count / 1000)
        out["lag_p99_ms"] = probe.stop()
        ok = failed = 0
    elif kind == "wire-tasks":
        from aioresolve._backends.wire import WireBackend

        backend = WireBackend(nameservers=[server], timeout=1.0, attempts=3,
                              max_in_flight=concurrency)
        ok, failed = await _gather(lambda n: backend.query(n, "A"),
                                   list(_names(count, zone_names)), 0)
        await backend.aclose()
    elif kind == "cares":
        from aioresolve._backends.cares import CaresBackend

        cares = CaresBackend(nameservers=[server], hosts_file=False, domains=[])
        ok, failed = await _gather(lambda n: cares.query(n, "A"),
                                   list(_names(count, zone_names)), concurrency)
        await cares.aclose()
    elif kind == "system":
        from aioresolve import Resolver

        async with Resolver("system", cache=False, coalesce=False) as r:
            ok, failed = await _gather(lambda n: r.getaddrinfo(n, None, socket.AF_INET),
                                       list(_names(count, zone_names)), 0)
    elif kind == "aiodns":
        import aiodns

        resolver = aiodns.DNSResolver(nameservers=[server])
        ok, failed = await _gather(lambda n: resolver.query_dns(n, "A"),
                                   list(_names(count, zone_names)), 0)
        await resolver.close()
    elif kind == "dnspython":
        import dns.asyncresolver

        ref = dns.asyncresolver.Resolver(configure=False)
        ref.nameservers = [host]
        ref.port = int(port)
        ref.cache = None
        ok, failed = await _gather(lambda n: ref.resolve(n, "A", search=False),
                                   list(_names(count, zone_names)), concurrency)
    else:
        raise SystemExit(f"unknown client {kind}")
    elapsed = time.perf_counter() - start
    out.update(ok=ok, failed=failed, rate=ok / elapsed, elapsed=elapsed, rss_mb=_rss_mb())
    return out


def _run_client(kind: str, server: str, count: int, zone_names: int, concurrency: int,
                timeout: float = 600) -> dict[str, Any]:
    argv = [sys.executable, "-m", "benchmarks.bench_wire", "--client", kind, "--server",
            server, "--names", str(count), "--zone-names", str(zone_names),
            "--concurrency", str(concurrency)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _dnsperf(server: str, count: int, zone_names: int, outstanding: int) -> dict[str, Any]:
    binary = shutil.which("dnsperf")
    if binary is None:
        return {"error": "dnsperf not installed"}
    host, _, port = server.rpartition(":")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for name in _names(count, zone_names):
            f.write(f"{name} A\n")
    try:
        proc = subprocess.run(
            [binary, "-s", host, "-p", port, "-d", f.name, "-n", "1", "-q", str(outstanding),
             "-t", "2"], capture_output=True, text=True, timeout=600, check=False)
    finally:
        os.unlink(f.name)
    qps = re.search(r"Queries per second:\s+([\d.]+)", proc.stdout)
    done = re.search(r"Queries completed:\s+(\d+)", proc.stdout)
    if not qps:
        return {"error": proc.stderr.strip() or proc.stdout.strip()[-200:]}
    return {"rate": float(qps.group(1)), "ok": int(done.group(1)) if done else 0,
            "failed": count - (int(done.group(1)) if done else 0), "rss_mb": float("nan")}


# -- the codec micro-benchmark ----------------------------------------------------------


def codec_figures() -> dict[str, float]:
    """µs per response parse / query build: lean codec vs dnspython."""
    import timeit

    import dns.message

    from aioresolve._dns import codec

    data = codec.encode_response(0x1234, "h12345.bulk.test", 1,
                                 [("h12345.bulk.test", 1, 300, "198.18.48.57")])
    n = 20000

    def per(call: Callable[[], object]) -> float:
        return min(timeit.repeat(call, number=n, repeat=3)) / n * 1e6

    return {
        "dnspython from_wire": per(lambda: dns.message.from_wire(data)),
        "lean parse_response": per(lambda: codec.parse_response(data)),
        "dnspython make_query().to_wire()": per(
            lambda: dns.message.make_query("h12345.bulk.test", "A", use_edns=0,
                                           payload=1232).to_wire()),
        "lean query_template": per(lambda: codec.query_template("h12345.bulk.test", 1)),
    }


# -- orchestration ------------------------------------------------------------------------


def _row(label: str, r: dict[str, Any], ceiling: float | None, base: float | None) -> str:
    if "error" in r:
        return f"| {label} | skipped: {r['error'][:90]} | | | | |"
    rate = r["rate"]
    vs_perf = f"{rate / ceiling:.2f}x" if ceiling else "-"
    vs_aiodns = f"{rate / base:.1f}x" if base else "-"
    rss = "-" if r["rss_mb"] != r["rss_mb"] else f"{r['rss_mb']:.0f}"
    return (f"| {label} | {rate:,.0f} | {vs_perf} | {vs_aiodns} | {rss} | "
            f"{r['ok']}/{r['ok'] + r['failed']} |")


def _table(title: str, rows: list[tuple[str, dict[str, Any]]]) -> None:
    ceiling = next((r.get("rate") for label, r in rows if label.startswith("dnsperf")), None)
    base = next((r.get("rate") for label, r in rows if label.startswith("aiodns")), None)
    print(f"\n### {title}\n")
    print("| client | names/s | vs dnsperf | vs aiodns | peak RSS MB | ok/total |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in rows:
        print(_row(label, r, ceiling, base))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000, help="lookups per client")
    parser.add_argument("--zone-names", type=int, default=100_000, help="names in the zone")
    parser.add_argument("--slow-names", type=int, default=10_000,
                        help="lookups for the slow clients (dnspython, system)")
    parser.add_argument("--latency-names", type=int, default=20_000)
    parser.add_argument("--stream", type=int, default=300_000, help="names streamed (0: skip)")
    parser.add_argument("--concurrency", type=int, default=100,
                        help="in flight, scenario 1 (knot's default socket buffer drops "
                             "beyond a few hundred)")
    parser.add_argument("--latency-concurrency", type=int, default=500,
                        help="in flight, scenario 2 (dnsdist drops beyond ~500)")
    parser.add_argument("--codec", action="store_true", help="only the codec figures")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.client:
        result = asyncio.run(_client(args.client, args.server, args.names, args.zone_names,
                                     args.concurrency))
        print(json.dumps(result))
        return
    print("### Codec: µs per operation (lean vs dnspython)\n")
    for label, value in codec_figures().items():
        print(f"- {label}: {value:.1f} µs")
    if args.codec:
        return

    sys.path.insert(0, ROOT)
    from tests.rig import namespace, servers

    try:
        ns: Any = namespace.enter()
        host, port, note = ns.address, 53, ""
    except OSError as exc:
        ns, host, port = None, "127.0.0.1", 0
        note = f"system backend skipped: no private mount namespace ({exc})"
    cares_ok = os.path.exists(os.path.join(ROOT, "aioresolve", "_backends", "cares.py"))
    print(f"\nknotd: {args.zone_names} bulk names, 1 UDP worker; 2-core box, client and "
          "server share it.  Each client in its own process.")
    if note:
        print(note)
    with servers.start_knot(host=host, port=port, bulk_count=args.zone_names) as knot, \
            servers.start_dnsdist(knot, counting=False, latency_ms=20) as slow:
        srv = knot.address
        n, z, c = args.names, args.zone_names, args.concurrency
        rows = [
            (f"dnsperf (-q {c})", _dnsperf(srv, n, z, c)),
            ("wire: query_stream", _run_client("wire", srv, n, z, c)),
            ("wire: backend.query, task per name", _run_client("wire-tasks", srv, n, z, c)),
            ("cares backend: query, gather" if cares_ok else "cares",
             _run_client("cares", srv, n, z, 0) if cares_ok else {"error": "no cares.py"}),
            ("system backend: getaddrinfo, gather",
             _run_client("system", srv, args.slow_names, z, 0) if ns else {"error": note}),
            ("aiodns 4: query_dns, gather", _run_client("aiodns", srv, n, z, 0)),
            ("dnspython async resolver", _run_client("dnspython", srv, args.slow_names, z, c)),
        ]
        _table(f"Scenario 1: {n} A lookups, local knot (system/dnspython: "
               f"{args.slow_names})", rows)
        wire = rows[1][1]
        if "lag_p99_ms" in wire:
            idle = _run_client("idle", srv, int(wire["elapsed"] * 1000) + 1, z, c)
            print(f"\nwire run: 10 ms loop timer lag p99 {wire['lag_p99_ms']:.2f} ms "
                  f"(same probe on an idle loop for as long: "
                  f"{idle.get('lag_p99_ms', float('nan')):.2f} ms); "
                  f"engine stats {wire.get('stats')}")
        ln, lc = args.latency_names, args.latency_concurrency
        ssrv = slow.address
        rows = [
            (f"dnsperf (-q {lc})", _dnsperf(ssrv, ln, z, lc)),
            (f"wire: query_stream ({lc} in flight)", _run_client("wire", ssrv, ln, z, lc)),
            ("cares backend: query, gather",
             _run_client("cares", ssrv, ln, z, 0) if cares_ok else {"error": "no cares.py"}),
            ("aiodns 4: query_dns, gather", _run_client("aiodns", ssrv, ln, z, 0)),
        ]
        _table(f"Scenario 2: {ln} A lookups through dnsdist adding 20 ms", rows)
        if args.stream:
            r = _run_client("wire", srv, args.stream, z, c, timeout=3600)
            print(f"\n### Scenario 3: {args.stream} names streamed through query_stream\n")
            if "error" in r:
                print(f"failed: {r['error']}")
            else:
                print(f"{r['rate']:,.0f} names/s, peak RSS {r['rss_mb']:.0f} MB, "
                      f"{r['ok']} ok / {r['failed']} failed, timer lag p99 "
                      f"{r['lag_p99_ms']:.2f} ms")


if __name__ == "__main__":
    main()
