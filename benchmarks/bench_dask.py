"""Benchmark ``aioresolve bulk --workers N`` (aioresolve.dask) against one
process and massdns ``--processes 2``, on the same names and the same knotd.

Run from the repository root::

    python -m benchmarks.bench_dask [--names 1000000] [--workers 1,2]
        [--partition-names 50000] [--concurrency 500] [--quick] [--no-massdns]
    python -m benchmarks.bench_dask --crash [--names 200000]

``--quick`` means 50,000 names unless ``--names`` is given.

What it does:

1. Writes an N-line input (:func:`tests.rig.zone.bulk_query_names`: names
   ``h<i>.bulk.test``, every 100th NXDOMAIN, every 50th NODATA) and starts one
   knotd (:func:`tests.rig.servers.start_knot`, one UDP worker) serving a bulk
   zone of N names on ``127.0.0.1:<free port>``.  **Client and server share
   the machine's cores** (2 on the development box): knotd's CPU is taken
   from the workers', so the figures are a floor for a client on its own cores.
2. Runs the CLI once per row, each a child process with ``--server <knot>``:
   ``aioresolve bulk FILE -o OUT`` (one process), then ``--workers N`` for each
   N.  Wall time is spawn to exit (interpreter and cluster start-up
   included); "resolving" is the CLI's own summary time (for ``--workers``:
   from planning the partitions to the last one done, combining included).
   Every output is read back: N records, each index once, or the script
   says so and exits 1.
3. The per-partition cost: the same 200 names on a 1-worker cluster as one
   partition and as 40 of 5; the difference over 39 extra partitions is
   what a partition costs (scheduling, the task's event loop, resolver,
   files, fsync and rename), beside the median time inside a tiny
   partition's task and a no-op Dask task's round trip.
4. massdns ``--processes 2`` (built by ``../shared/tools/build-massdns``) on
   the same input, pointed only at a resolvers file holding knotd's loopback
   address, bound to 127.0.0.1, ``-s`` = ``--concurrency`` per process.
5. Prints a Markdown table, the CPU seconds the workers spent per name (from
   each partition's counts file) and the projection of names/s per added core.

No packet leaves loopback: every resolver gets knotd's 127.0.0.1 address; the
Dask cluster listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests._dask_helpers import kill_checkpointed_worker  # noqa: E402
from tests.rig import zone as z  # noqa: E402
from tests.rig.servers import start_knot  # noqa: E402

_SUMMARY = re.compile(r"^([\d,]+) names in ([\d.]+)s", re.MULTILINE)


@dataclass
class Row:
    label: str
    wall: float
    resolving: float | None
    names: int
    cpu: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.names / (self.resolving or self.wall)


def _check_jsonl(path: Path, count: int) -> str:
    seen = bytearray(count)
    records = 0
    with open(path, "rb") as f:
        for line in f:
            index = json.loads(line)["index"]
            records += 1
            if 0 <= index < count:
                seen[index] += 1
    if records != count or seen.count(1) != count:
        return f"BAD OUTPUT: {records} records, {seen.count(1)} indexes once of {count}"
    return ""


def _cli_row(label: str, args: list[str], out: Path, count: int, env: dict[str, str]) -> Row:
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "aioresolve", "bulk", *args, "-o", str(out),
                           "--no-progress"], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    match = _SUMMARY.search(proc.stderr)
    note = "" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-300:]}"
    note = note or _check_jsonl(out, count)
    stats = sorted(Path(f"{out}.dask", "parts").glob("part-*.json")) if "--workers" in args \
        else []
    if stats:  # the workers' own CPU, from each partition's counts file
        cpu = sum(json.loads(p.read_text()).get("cpu_seconds", 0.0) for p in stats)
    return Row(label, wall, float(match.group(2)) if match else None, count, cpu, note)


def _overhead(knot: str, workers: int = 1, names: int = 200,
              small: int = 5) -> tuple[float, float, float, float, float]:
    """(seconds as one partition, as names/small partitions, per extra
    partition, a no-op task's round trip, a tiny partition's own seconds
    inside its task), on a ``workers``-worker cluster.  Few names, so that
    the fixed cost of a partition is what is measured, not resolving."""
    from aioresolve import dask as ad

    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-ovh-"))
    try:
        path = tmp / "names.txt"
        path.write_text("\n".join(z.bulk_name(i) for i in range(names)) + "\n")
        with ad.local_client(workers) as client:
            client.submit(len, "warm", pure=False).result()
            started = time.monotonic()
            for i in range(200):
                client.submit(len, str(i), pure=False).result()
            noop = (time.monotonic() - started) / 200
            times = []
            inside: list[float] = []
            for run, size in enumerate((names, small, names, small)):  # twice each, best of
                summary = ad.resolve_files(client, path, tmp / f"run{run}", partition_names=size,
                                           nameservers=[knot], concurrency=500, poll=0.01)
                times.append(summary.elapsed)
                if size == small:
                    inside += summary.part_seconds
        one, many = min(times[0], times[2]), min(times[1], times[3])
        extra = names // small - 1
        inside.sort()
        return one, many, (many - one) / extra, noop, inside[len(inside) // 2]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _massdns_row(binary: str, knot: str, names_path: Path, count: int, tmp: Path,
                 concurrency: int) -> Row:
    resolvers = tmp / "resolvers.txt"
    resolvers.write_text(f"{knot}\n")  # loopback only
    out = tmp / "massdns.out"
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([binary, "-r", str(resolvers), "-t", "A", "-o", "J", "-w", str(out),
                           "-s", str(concurrency), "--processes", "2", "-b", "127.0.0.1:0",
                           "-c", "3", "--root", "-q", str(names_path)],
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    lines = 0
    for path in tmp.glob("massdns.out*"):  # one file per process
        with open(path, "rb") as f:
            lines += sum(1 for _ in f)
    note = "" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-300:]}"
    if lines < count:
        note = note or f"{lines} answers for {count} names"
    return Row("massdns --processes 2", wall, None, count, cpu, note)


def _retry(call: Any) -> Any:
    """dnsdist's web server drops a connection now and then on a loaded box."""
    for attempt in range(5):
        try:
            return call()
        except (OSError, http.client.HTTPException):
            if attempt == 4:
                raise
            time.sleep(0.5)
    return None


def _crash(count: int, partition_names: int | None, concurrency: int) -> int:
    """What a worker crash costs: the same run on 2 workers through dnsdist
    (which counts the queries it receives), without and with one worker
    SIGKILLed while its partition is ~40% done.  Prints the extra seconds and
    the names asked again (queries beyond one per name)."""

    from aioresolve import dask as ad
    from tests.rig.servers import start_dnsdist

    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-crash-"))
    size = partition_names or ad.DEFAULT_PARTITION_NAMES
    try:
        path = tmp / "names.txt"
        path.write_text("\n".join(z.bulk_name(i) for i in range(count)) + "\n")
        with start_knot(bulk_count=count, timeout=300) as knot, \
                start_dnsdist(knot) as dnsdist, ad.local_client(2) as client:
            results: list[tuple[bool, float, int, list[tuple[int, int, float]], int | None,
                                str]] = []
            for kill in (False, True, False, True):
                _retry(dnsdist.reset_counts)
                run_dir = tmp / f"run-{len(results)}"
                killed: list[tuple[int, int, float]] = []

                back_at: list[float] = []

                def watch(done: int, total: int, counts: object, *, kill: bool = kill,
                          run_dir: Path = run_dir, killed: list[tuple[int, int, float]]
                          = killed, back_at: list[float] = back_at) -> None:
                    if killed and len(back_at) < 2:  # [when it left, when a new one joined]
                        workers = len(client.nthreads())
                        if (workers < 2) if not back_at else (workers == 2):
                            back_at.append(time.monotonic())
                    if not kill or killed:
                        return
                    caught = kill_checkpointed_worker(client, run_dir, 0.4 * size)
                    if caught is not None:
                        killed.append((*caught, time.monotonic()))

                summary = ad.resolve_files(client, path, run_dir, partition_names=size,
                                           nameservers=[dnsdist.address],
                                           concurrency=concurrency, progress=watch, poll=0.05)
                queries = _retry(dnsdist.query_count)
                resumed = None
                back = ""
                if killed:
                    stats = json.loads((run_dir / "parts" /
                                        f"part-{killed[0][0]:05d}.json").read_text())
                    resumed = stats["resumed_from"]
                    try:  # the nanny restarts the killed worker
                        client.wait_for_workers(2, timeout=120)
                        if len(back_at) == 2:
                            back = f"{back_at[1] - killed[0][2]:.1f}"
                        else:  # not seen while the run lasted
                            back = f"after the run ({time.monotonic() - killed[0][2]:.1f})"
                    except Exception as exc:  # reported; the table is still printed
                        back = f"not within 120 s ({type(exc).__name__})"
                results.append((kill, summary.elapsed, queries - count, killed, resumed, back))
                print(results[-1], file=sys.stderr)
        print(f"\nWorker crash ({count:,} names, {size:,} a partition, 2 workers, through "
              "dnsdist counting queries; client and servers share the cores):\n")
        print("| run | seconds | names asked again | checkpoint seen at kill | "
              "retry resumed from | killed worker back after s |")
        print("|---|---:|---:|---:|---:|---:|")
        for kill, elapsed, extra, killed, resumed, back in results:
            seen = f"{killed[0][1]:,}" if killed else ""
            print(f"| {'worker SIGKILLed' if kill else 'no crash'} | {elapsed:.2f} | {extra:,} | "
                  f"{seen} | {'' if resumed is None else f'{resumed:,}'} | {back} |")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _default_partition_names() -> int:
    from aioresolve import dask as ad

    return int(ad.DEFAULT_PARTITION_NAMES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=int, default=None)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--partition-names", type=int, default=None,
                        help="names per partition (default: aioresolve.dask's)")
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-massdns", action="store_true")
    parser.add_argument("--no-overhead", action="store_true")
    parser.add_argument("--crash", action="store_true",
                        help="only measure what a SIGKILLed worker costs (200,000 names)")
    opts = parser.parse_args()
    if opts.crash:
        return _crash(opts.names or (50_000 if opts.quick else 200_000), opts.partition_names,
                      opts.concurrency)
    count = opts.names or (50_000 if opts.quick else 1_000_000)
    workers = [int(w) for w in opts.workers.split(",") if w]
    tmp = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if opts.partition_names:
        env["AIORESOLVE_DASK_PARTITION_NAMES"] = str(opts.partition_names)
    rows: list[Row] = []
    try:
        names_path = tmp / "names.txt"
        names = z.bulk_query_names(count, nx_every=100, nodata_every=50)
        names_path.write_text("\n".join(names) + "\n")
        del names
        print(f"{count:,} names; cores: {os.cpu_count()} shared by client and knotd",
              file=sys.stderr)
        with start_knot(bulk_count=count, timeout=300) as knot:
            server = knot.address
            base = [str(names_path), "--server", server, "--concurrency", str(opts.concurrency)]
            rows.append(_cli_row("aioresolve bulk (1 process)", base, tmp / "single.jsonl",
                                 count, env))
            print(rows[-1], file=sys.stderr)
            for n in workers:
                rows.append(_cli_row(f"aioresolve bulk --workers {n}",
                                     [*base, "--workers", str(n)], tmp / f"w{n}.jsonl",
                                     count, env))
                print(rows[-1], file=sys.stderr)
            overhead = None if opts.no_overhead else _overhead(server)
            if not opts.no_massdns:
                try:
                    binary = subprocess.run([str(ROOT.parent / "shared/tools/build-massdns")],
                                            capture_output=True, text=True,
                                            check=True).stdout.strip()
                except (OSError, subprocess.CalledProcessError) as exc:
                    print(f"massdns unavailable: {exc}", file=sys.stderr)
                else:
                    rows.append(_massdns_row(binary, server, names_path, count, tmp,
                                             opts.concurrency))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    massdns = next((r for r in rows if r.label.startswith("massdns")), None)
    print(f"\n{count:,} names against one knotd (1 UDP worker) on 127.0.0.1, "
          f"concurrency {opts.concurrency} per process; client and server share "
          f"{os.cpu_count()} cores\n")
    print("| run | wall s | resolving s | names/s (resolving) | CPU s | µs CPU/name | "
          "vs massdns | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        vs = f"{r.rate / massdns.rate:.2f}" if massdns and massdns.rate else ""
        cpu = f"{r.cpu:.1f}" if r.cpu is not None else ""
        per = f"{1e6 * r.cpu / r.names:.1f}" if r.cpu else ""
        res = f"{r.resolving:.2f}" if r.resolving is not None else ""
        print(f"| {r.label} | {r.wall:.2f} | {res} | {r.rate:,.0f} | {cpu} | {per} | {vs} | "
              f"{r.note} |")
    if overhead is not None:
        one, many, per_part, noop, inside = overhead
        print(f"\nPer-partition cost (200 names, 1 worker): 1 partition {one:.2f} s, "
              f"40 partitions of 5 {many:.2f} s -> {1000 * per_part:.1f} ms per extra "
              f"partition, of which {1000 * inside:.1f} ms inside the task (event loop, "
              f"resolver, files, fsync, rename: median); a no-op Dask task round trip: "
              f"{1000 * noop:.1f} ms")
    by_workers = {int(r.label.rsplit(" ", 1)[1]): r for r in rows if "--workers" in r.label}
    size = opts.partition_names or _default_partition_names()
    print(f"\nPartition size: {size:,} names ({-(-count // size)} partitions of this input).")
    if by_workers and overhead is not None:
        one_worker = by_workers[min(by_workers)]
        part_seconds = size / one_worker.rate
        print(f"- at {one_worker.label}'s rate a partition is {part_seconds:.2f} s of work; the "
              f"per-partition cost above is {100 * overhead[2] / part_seconds:.1f}% of that")
    print("- why: the fixed cost per partition stays near 1% of its work, the input still "
          "makes enough partitions to balance over the workers and keep the idle tail short, "
          "and a crash re-asks at most the names since the last 0.5 s checkpoint, whatever "
          "the size")
    if by_workers:
        print("\nProjection (names/s per added core):")
        for n, r in sorted(by_workers.items()):
            cpu_per_name = (r.cpu or 0) / r.names
            print(f"- {n} worker(s): {r.rate:,.0f} names/s; workers' CPU {1e6 * cpu_per_name:.1f}"
                  f" µs/name -> one core alone would do ~{1 / cpu_per_name:,.0f} names/s"
                  if cpu_per_name else f"- {n} worker(s): {r.rate:,.0f} names/s")
        if 1 in by_workers and 2 in by_workers:
            gain = by_workers[2].rate - by_workers[1].rate
            print(f"- measured gain of the 2nd worker here: {gain:,.0f} names/s "
                  f"(knotd and the driver take a share of the same {os.cpu_count()} cores)")
        most = by_workers[max(by_workers)]
        if most.cpu:
            per_core = most.names / most.cpu
            print(f"- projection: each added core (with the servers keeping up) adds "
                  f"~{per_core:,.0f} names/s = 1 / the workers' CPU per name of the "
                  f"{max(by_workers)}-worker run")
            if massdns is not None and massdns.cpu:
                print(f"- massdns --processes 2 spent {1e6 * massdns.cpu / massdns.names:.1f} µs "
                      f"CPU/name: ~{massdns.names / massdns.cpu:,.0f} names/s per core")
    bad = [r for r in rows if r.note.startswith(("BAD", "exit"))]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
