"""Benchmark the ``aioresolve bulk`` CLI per backend against a local knotd.

Run from the repository root (as root, for the system row)::

    python -m benchmarks.bench_bulk [--names 100000] [--backends wire,cares,system]
                                    [--concurrency 200] [--knot-workers 1] [--quick]
                                    [--no-engine] [--no-many]

``--quick`` means 10,000 names unless ``--names`` is given.

What it does:

1. For the ``system`` row, first moves this process into the rig's private
   mount namespace (:func:`tests.rig.namespace.enter`): ``/etc/resolv.conf``
   names ``127.x.y.z`` (port 53) and ``/etc/hosts`` holds only the rig's
   entries, so libc cannot reach the machine's nameserver.  When that is
   impossible (not root, no mount namespaces) the system row is skipped with
   the reason, and nothing does a libc lookup.
2. Writes an N-line input file from :func:`tests.rig.zone.bulk_query_names`:
   existing names ``h<i>.bulk.test``, every 100th an NXDOMAIN name and every
   50th (when not NX) a NODATA name (TXT only, queried for A).
3. Starts one knotd (:func:`tests.rig.servers.start_knot`) serving the bulk
   zone with N names: on ``127.x.y.z:53`` when the namespace exists (so libc
   and the DNS backends ask the very same server, no dnsdist hop), else on
   ``127.0.0.1:<free port>``.
4. Runs ``python -m aioresolve bulk FILE -o OUT --backend B --concurrency C``
   once per backend, each in its own child (``--server <knot>`` for wire and
   cares; the system backend asks libc, which the namespace points at knot).
   A tiny reaper interpreter spawns the child and reaps it with
   :func:`os.wait4`, whose rusage is that child's alone: ``ru_maxrss`` is its
   peak RSS (floor: the reaper's ~13 MiB, not this process's size; see
   ``_REAPER``).  Wall time runs from spawn to reap (interpreter start-up
   included); the CLI's own time is shown in brackets.  The output JSONL is read back: the
   number of records must equal N with every index once, otherwise the script
   says so loudly and exits 1 (after printing the table).
5. A "resolve_many, wire" row: :func:`aioresolve.bulk.resolve_many` over the
   same file against the same knot in a child (no output), with the CPU
   microseconds per name of its loop (``time.process_time``, start-up and
   imports excluded): the in-process bulk path's own cost.
6. An "engine only" row: :func:`aioresolve.bulk.resolve_many` over the same
   file with an instant fake ``query=`` function (no DNS, no output), in its
   own child too: the engine's own ceiling and memory.

Then it prints a Markdown table.  No packet leaves loopback: the DNS backends
get an explicit loopback server, libc only runs inside the namespace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("wire", "cares", "system")
NX_EVERY = 100
NODATA_EVERY = 50
#: A child that takes longer than this (seconds) plus 1 ms per name is killed.
CHILD_TIMEOUT = 120.0


@dataclass
class Row:
    """One measured run (or a skipped one, with ``skipped`` saying why)."""

    label: str
    names: int = 0
    wall: float = 0.0
    peak_rss_kib: int = 0
    records: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    exit_code: int | None = None
    run_seconds: float | None = None  #: the CLI's own figure (no interpreter start-up)
    skipped: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.records / self.wall if self.wall > 0 else 0.0


# -- child processes ---------------------------------------------------------------


#: Spawns argv[2:], waits for it, writes its exit code, wall time and peak RSS
#: (KiB) as JSON to argv[1].  Why a middleman: ru_maxrss counts the memory of
#: the process image *before* exec too, and a child forked (or vforked) from
#: this process starts as a copy of it - holding the zone text and the names,
#: it would set the floor of every figure.  This small interpreter sets it instead.
_REAPER = """\
import json, os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.monotonic()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.monotonic() - start
with open(report, "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wall": wall,
               "maxrss_kib": usage.ru_maxrss}, f)
"""


def spawn_and_reap(argv: list[str], stdout: Path, stderr: Path, timeout: float) -> tuple[
    int, float, int
]:
    """Run *argv* with stdout/stderr to files; return (exit code, wall seconds,
    peak RSS KiB of that child alone).  Killed (exit code -9) after *timeout*."""
    env = dict(os.environ)
    # The child must import this checkout (benchmarks/, aioresolve/), wherever it runs.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(stdout), flags, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, str(stderr), flags, 0o644),
    ]
    report = stderr.with_suffix(".rusage.json")
    report.unlink(missing_ok=True)
    reaper = [sys.executable, "-S", "-c", _REAPER, str(report), *argv]
    # Own session: a hung run is killed with its reaper as one process group.
    pid = os.posix_spawn(reaper[0], reaper, env, file_actions=actions, setsid=True)
    deadline = time.monotonic() + timeout
    while True:
        # Polling (10 ms) rather than a blocking wait so that a hung child is
        # killed instead of hanging the benchmark; the reaper times the child.
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            break
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.01)
    try:
        result = json.loads(report.read_text())
    except (OSError, ValueError):
        return os.waitstatus_to_exitcode(status), timeout, 0  # killed: no report
    return int(result["code"]), float(result["wall"]), int(result["maxrss_kib"])


def read_jsonl(path: Path, n: int) -> tuple[int, Counter[str], list[str]]:
    """Records, statuses and problems (bad lines, indices missing/duplicated)."""
    statuses: Counter[str] = Counter()
    seen = bytearray(n)
    problems: list[str] = []
    records = 0
    if not path.exists():
        return 0, statuses, [f"{path} was not written"]
    with path.open() as f:
        for line in f:
            records += 1
            try:
                obj = json.loads(line)
                statuses[obj["status"]] += 1
                index = int(obj["index"])
            except (ValueError, KeyError, TypeError):
                problems.append(f"line {records} is not a record: {line[:80]!r}")
                continue
            if 0 <= index < n and not seen[index]:
                seen[index] = 1
            else:
                problems.append(f"index {index} out of range or duplicated")
    missing = n - sum(seen)
    if missing:
        problems.append(f"{missing} of {n} indices have no record")
    return records, statuses, problems[:5]


def run_cli(backend: str, names_file: Path, n: int, concurrency: int, server: str | None,
            workdir: Path) -> Row:
    out = workdir / f"out-{backend}.jsonl"
    err = workdir / f"stderr-{backend}.txt"
    argv = [sys.executable, "-m", "aioresolve", "bulk", str(names_file), "-o", str(out),
            "--backend", backend, "--concurrency", str(concurrency), "--no-progress"]
    if server is not None:
        argv += ["--server", server]
    code, wall, rss = spawn_and_reap(argv, Path(os.devnull), err, CHILD_TIMEOUT + n / 1000)
    records, statuses, problems = read_jsonl(out, n)
    summary = re.search(r"names in ([0-9.]+)s", err.read_text(errors="replace"))
    # Exit 1 = "some lookups failed": expected, the input has NXDOMAIN/NODATA names.
    if code not in (0, 1):
        tail = err.read_text(errors="replace").strip().splitlines()[-3:]
        problems.insert(0, f"exit code {code}: {' | '.join(tail)}")
    return Row(backend, n, wall, rss, records, statuses, code,
               run_seconds=float(summary.group(1)) if summary else None, problems=problems)


def run_engine(names_file: Path, n: int, concurrency: int, workdir: Path,
               server: str | None = None) -> Row:
    """The engine-only row, or with ``server`` the in-process ``resolve_many`` row."""
    tag = "many" if server else "engine"
    out, err = workdir / f"{tag}.json", workdir / f"{tag}-stderr.txt"
    argv = [sys.executable, "-m", "benchmarks.bench_bulk", "--engine-child", str(names_file),
            "--concurrency", str(concurrency)]
    if server:
        argv += ["--child-server", server]
    code, wall, rss = spawn_and_reap(argv, out, err, CHILD_TIMEOUT + n / 1000)
    label = "resolve_many, wire (in process)" if server else "engine only (fake query)"
    row = Row(label, n, wall, rss, exit_code=code)
    try:
        report = json.loads(out.read_text())
        row.records, row.statuses = report["records"], Counter(report["statuses"])
        row.run_seconds = float(report["elapsed"])
        if row.records:
            row.label += f": {report['cpu'] * 1e6 / row.records:.1f} µs CPU/name"
    except (OSError, ValueError, KeyError):
        tail = err.read_text(errors="replace").strip().splitlines()[-3:]
        row.problems.append(f"engine child failed (exit {code}): {' | '.join(tail)}")
    if row.records != n:
        row.problems.append(f"{row.records} results for {n} names")
    return row


async def engine_child(source: IO[str], concurrency: int, server: str | None = None) -> None:
    """In the child: resolve_many over the file with an instant fake lookup,
    or with ``server`` against that (loopback) server on the wire backend."""
    from aioresolve import NoData, NXDomain
    from aioresolve._records import A, Answer
    from aioresolve.bulk import resolve_many

    record = (A(ttl=300, address="192.0.2.1"),)

    async def instant(name: str, rtype: str, attempt: int) -> Answer:
        if name.startswith("nx"):  # the rig's NXDOMAIN names: exercise the error path too
            raise NXDomain(host=name, rtype=rtype)
        if name.startswith("nodata"):
            raise NoData(host=name, rtype=rtype)
        return Answer(name, rtype, record, name, 300)

    statuses: Counter[str] = Counter()
    start, cpu = time.monotonic(), time.process_time()
    run = (resolve_many(source, concurrency=concurrency, nameservers=[server]) if server
           else resolve_many(source, concurrency=concurrency, query=instant))
    async with run:
        async for result in run:
            statuses[result.status.value] += 1
    elapsed, cpu = time.monotonic() - start, time.process_time() - cpu
    print(json.dumps({"records": sum(statuses.values()), "statuses": statuses,
                      "elapsed": elapsed, "cpu": cpu}))


# -- set-up and report -------------------------------------------------------------


def enter_namespace() -> tuple[str | None, str | None]:
    """(namespace address, None) or (None, why not).  Must run single-threaded."""
    from tests.rig import namespace

    try:
        return namespace.enter().address, None
    except OSError as exc:
        # Without the namespace no libc lookup of a DNS name may happen at all.
        namespace.install_guard(str(exc))
        return None, str(exc)


def write_names(path: Path, n: int) -> Counter[str]:
    """Write the input file; return the statuses the answers should have."""
    from tests.rig import zone

    names = zone.bulk_query_names(n, nx_every=NX_EVERY, nodata_every=NODATA_EVERY)
    path.write_text("".join(name + "\n" for name in names))
    expected: Counter[str] = Counter()
    for j in range(n):
        if (j + 1) % NX_EVERY == 0:
            expected["NXDOMAIN"] += 1
        elif (j + 1) % NODATA_EVERY == 0:
            expected["NODATA"] += 1
        else:
            expected["NOERROR"] += 1
    return expected


def fmt_statuses(statuses: Counter[str]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(statuses.items(), key=lambda kv: -kv[1]))


def table(rows: list[Row]) -> Iterator[str]:
    measured = [r for r in rows if r.skipped is None and r.label in BACKENDS]
    fastest = max((r.rate for r in measured), default=0.0)
    yield ("| backend | names/s | ratio to fastest | wall s (run) | peak RSS MiB "
           "| records written | statuses |")
    yield "|---|---:|---:|---:|---:|---:|---|"
    for r in rows:
        if r.skipped is not None:
            yield f"| {r.label} | skipped: {r.skipped} | | | | | |"
            continue
        ratio = (f"{r.rate / fastest:.2f}" if r.label in BACKENDS and fastest
                 else "(ceiling)" if r.label.startswith("engine") else "")
        wall = f"{r.wall:.1f}" + (f" ({r.run_seconds:.1f})" if r.run_seconds else "")
        yield (f"| {r.label} | {r.rate:,.0f} | {ratio} | {wall} | "
               f"{r.peak_rss_kib / 1024:.0f} | {r.records:,} | {fmt_statuses(r.statuses)} |")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_bulk",
                                description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--names", type=int, default=None, help="input lines (default 100000)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="comma-separated, of wire,cares,system (default: all)")
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--knot-workers", type=int, default=1,
                   help="knotd UDP/TCP workers (default 1: the box has 2 cores)")
    p.add_argument("--no-engine", action="store_true", help="skip the engine-only row")
    p.add_argument("--quick", action="store_true", help="10,000 names unless --names is given")
    p.add_argument("--no-many", action="store_true",
                   help="skip the in-process resolve_many row")
    p.add_argument("--engine-child", metavar="FILE", help=argparse.SUPPRESS)
    p.add_argument("--child-server", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.names is None:
        args.names = 10_000 if args.quick else 100_000
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - set(BACKENDS)
    if unknown or args.names < 1 or args.concurrency < 1:
        p.error(f"bad --backends {sorted(unknown)}" if unknown else "counts must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.engine_child:
        # Opened here, not in the coroutine: the engine reads it lazily, line by line.
        with open(args.engine_child) as source:
            asyncio.run(engine_child(source, args.concurrency, args.child_server))
        return 0
    # The namespace first: unshare() needs this process to be single-threaded.
    ns_address, ns_reason = enter_namespace() if "system" in args.backends else (None, None)

    from tests.rig import servers

    n = args.names
    workdir = Path(tempfile.mkdtemp(prefix="aioresolve-bench-bulk-"))
    try:
        names_file = workdir / "names.txt"
        expected = write_names(names_file, n)
        host, port = (ns_address, 53) if ns_address else ("127.0.0.1", 0)
        print(f"starting knotd with {n:,} bulk names ...", file=sys.stderr)
        with servers.start_knot(bulk_count=n, workers=args.knot_workers, host=host,
                                port=port, timeout=CHILD_TIMEOUT) as knot:
            print(f"{os.cpu_count()}-core box: client and server share it "
                  f"(load average before: {os.getloadavg()[0]:.2f}). "
                  f"N={n:,} names (expected: {fmt_statuses(expected)}), "
                  f"concurrency {args.concurrency}, knot workers {args.knot_workers}, "
                  f"knot at {knot.address}.", flush=True)
            rows = []
            for backend in args.backends:
                if backend == "system" and ns_address is None:
                    rows.append(Row("system", skipped=f"no private namespace ({ns_reason})"))
                    continue
                print(f"running {backend} ...", file=sys.stderr)
                server = None if backend == "system" else knot.address
                rows.append(run_cli(backend, names_file, n, args.concurrency, server, workdir))
            if not args.no_many:
                print("running resolve_many in process ...", file=sys.stderr)
                rows.append(run_engine(names_file, n, args.concurrency, workdir, knot.address))
        if not args.no_engine:
            print("running the engine alone ...", file=sys.stderr)
            rows.append(run_engine(names_file, n, args.concurrency, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("\n".join(table(rows)), flush=True)
    return report_problems(rows, n, expected)


def report_problems(rows: list[Row], n: int, expected: Counter[str]) -> int:
    """Print loud errors for wrong record counts; notes for unexpected statuses."""
    failed = False
    for r in rows:
        if r.skipped is not None:
            continue
        if r.records != n or r.problems:
            failed = True
            print(f"\n!!! ERROR {r.label}: {r.records:,} records for {n:,} names",
                  file=sys.stderr)
            for problem in r.problems:
                print(f"!!!   {problem}", file=sys.stderr)
        elif r.label in BACKENDS and r.statuses != expected:
            print(f"note: {r.label} statuses differ from the expected "
                  f"{fmt_statuses(expected)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
