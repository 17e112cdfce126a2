"""Queries per second of aioresolve.testing.DNSServer, measured with dnsperf,
side by side with knotd (the rig's real server) serving the same zone.

Run from the repository root:  python benchmarks/bench_server.py [--quick]
    [--names N] [--seconds S] [--clients C] [--outstanding Q] [--no-knot]

The zone has N names ``h{i}.bench.test`` with one A record each (given to
the DNSServer as a mapping, its fast loading path, and to knotd as a master
file).  The query
file mixes A queries for existing names (80 %), AAAA queries for them
(NODATA, 10 %) and A queries for missing names (NXDOMAIN, 10 %), so the
server's negative answers are part of the load.  dnsperf (a C load generator)
keeps Q queries outstanding for S seconds over UDP; a second run does the same
over TCP.  The DNSServer runs in this process on one asyncio loop (single
thread); knotd runs with one worker thread for a fair comparison.

dnsperf and the server share the machine: on a 2-core box the figures are
lower than the server alone could do.  Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from aioresolve.testing import DNSServer

ZONE = "bench.test"


def address(i: int) -> str:
    return f"198.18.{(i >> 8) & 0xFF}.{i & 0xFF}"


def records(names: int) -> dict[str, str]:
    """The zone as a DNSServer mapping (its fast loading path)."""
    return {f"h{i}.{ZONE}": address(i) for i in range(names)}


def zone_text(names: int) -> str:
    lines = [
        f"$ORIGIN {ZONE}.",
        "$TTL 300",
        f"@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 60",
        f"@ IN NS ns.{ZONE}.",
        "ns IN A 192.0.2.53",
    ]
    lines += [f"h{i} IN A {address(i)}" for i in range(names)]
    return "\n".join(lines) + "\n"


def query_file(path: str, names: int, count: int) -> None:
    with open(path, "w") as f:
        for j in range(count):
            i = (j * 7919) % names
            if j % 10 == 8:
                f.write(f"h{i}.{ZONE} AAAA\n")  # NODATA
            elif j % 10 == 9:
                f.write(f"nx{j}.{ZONE} A\n")  # NXDOMAIN
            else:
                f.write(f"h{i}.{ZONE} A\n")


async def dnsperf(port: int, queries: str, args: argparse.Namespace, mode: str) -> dict[str, str]:
    """Run dnsperf against 127.0.0.1:port; return its summary fields."""
    argv = [
        "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-m", mode,
        "-l", str(args.seconds), "-c", str(args.clients), "-q", str(args.outstanding),
        "-t", "2",
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    text = out.decode()
    fields = {}
    for key, pattern in {
        "qps": r"Queries per second:\s+([\d.]+)",
        "sent": r"Queries sent:\s+(\d+)",
        "lost": r"Queries lost:\s+(\d+)",
        "latency": r"Average Latency \(s\):\s+([\d.]+)",
        "noerror": r"NOERROR (\d+)",
        "nxdomain": r"NXDOMAIN (\d+)",
    }.items():
        m = re.search(pattern, text)
        fields[key] = m.group(1) if m else "?"
    if fields["qps"] == "?":
        raise RuntimeError(f"dnsperf failed:\n{text}")
    return fields


def row(label: str, f: dict[str, str]) -> str:
    lat = f"{float(f['latency']) * 1000:.2f}" if f["latency"] != "?" else "?"
    return (
        f"{label:<26} {float(f['qps']):>10,.0f} qps  lat {lat:>6} ms  "
        f"sent {f['sent']:>8}  lost {f['lost']:>5}  "
        f"NOERROR {f['noerror']}  NXDOMAIN {f['nxdomain']}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--outstanding", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="3-second runs")
    parser.add_argument("--no-knot", action="store_true", help="skip the knotd comparison")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 3
    if shutil.which("dnsperf") is None:
        sys.exit("dnsperf is not installed (apt-get install dnsperf)")

    text = zone_text(args.names)
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        queries = os.path.join(tmp, "queries.txt")
        query_file(queries, args.names, 100_000)
        t0 = time.perf_counter()
        server = DNSServer(records(args.names), zones=[ZONE])
        loaded = time.perf_counter() - t0
        async with server:
            print(f"DNSServer: {args.names} names loaded in {loaded:.2f}s, on {server.address}")
            for mode in ("udp", "tcp"):
                results[f"DNSServer {mode}"] = await dnsperf(server.port, queries, args, mode)
                print(row(f"DNSServer {mode}", results[f"DNSServer {mode}"]), flush=True)
            stats = server.stats
            print(f"  server counted {stats.queries} queries, rcodes {dict(stats.by_rcode)}")
        if not args.no_knot:
            try:
                from tests.rig.servers import RigUnavailable, start_knot
            except ImportError as exc:  # running outside the repository
                print(f"knotd comparison skipped: {exc}")
                return
            try:
                with start_knot({ZONE: text}, workers=1) as knot:
                    for mode in ("udp", "tcp"):
                        results[f"knotd {mode}"] = await dnsperf(knot.port, queries, args, mode)
                        print(row(f"knotd (1 thread) {mode}", results[f"knotd {mode}"]))
            except RigUnavailable as exc:
                print(f"knotd comparison skipped: {exc}")
                return
            for mode in ("udp", "tcp"):
                ours = float(results[f"DNSServer {mode}"]["qps"])
                theirs = float(results[f"knotd {mode}"]["qps"])
                print(f"DNSServer / knotd over {mode}: {ours / theirs:.2f}x")
    print("(2-core box, client and server share it)")


if __name__ == "__main__":
    asyncio.run(main())
