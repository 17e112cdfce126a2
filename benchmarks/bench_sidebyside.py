"""Side by side: aioresolve against massdns, dnsperf, aiodns, blastdns and dnspython.

One command, from the repository root::

    python -m benchmarks.bench_sidebyside [--names 100000] [--concurrency 500]
        [--slow-names 20000] [--latency-names 20000] [--big 1000000]
        [--only massdns,resolve_many,...] [--rounds 2] [--chart docs/_static/sidebyside.png]
        [--json FILE] [--quick] [--replot FILE.json]

``--quick`` is ``--names 20000 --slow-names 5000 --latency-names 5000 --big 0``;
``--big 10000000`` is the 10M-name memory run (``0`` skips it).

What it does, all on loopback:

1. Starts one knotd with one UDP worker serving the rig's bulk zone
   (``--names`` names, at least 100k), and writes the input: ``h<i>.bulk.test``
   with every 100th an NXDOMAIN name and every 50th a NODATA name (as
   ``bench_bulk``).
2. Runs each contender in a child process on the same input, one after the
   other, ``--rounds`` times (interleaved: every contender once per round;
   the round with the most names/s of each is kept), and measures the child
   with :func:`os.wait4`: wall time, CPU seconds (user + system) and peak
   RSS (``ru_maxrss``):

   - **dnsperf** (``-q concurrency``): the server's ceiling;
   - **massdns** (C; built by ``../shared/tools/build-massdns``, which prints
     its path; ``-r`` a resolvers file naming only the loopback knot, ``-b
     127.0.0.1:0``, ``-s concurrency``, ``-o J`` to a file);
   - **aiodns** 4 (``query_dns``, ``concurrency`` tasks behind a semaphore);
   - **blastdns** (its Rust core, ``resolve_batch``, ``max_concurrency``);
   - **dnspython** (``--slow-names`` names, 100 tasks; scaled, it is slow);
   - **aioresolve**, each twice, compiled and pure (``AIORESOLVE_NO_EXTENSIONS=1``):
     the CLI (``aioresolve bulk FILE -o OUT``, JSONL), :func:`aioresolve.resolve_many`
     in process, and the bare stream (:func:`aioresolve.stream`, ``batches=True``).  The
     ``resolve_many`` child also measures the event loop's timer lag (a 10 ms
     timer; p99 of how late it ran) during its run.

   In-process children time their own run (interpreter start-up excluded);
   the command-line tools are timed from spawn to exit (aioresolve's bytecode
   is written first, with ``compileall``, as installing a wheel does: a
   checkout under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every
   module at each start).  Each child's output
   is counted: a contender that does not give one answer
   per name is flagged in the table.
3. A latency scenario: the same through dnsdist adding 20 ms to every UDP
   answer (``--latency-names`` names): massdns and ``resolve_many``.
4. A memory run: ``--big`` names (names cycle over the zone) streamed through
   ``resolve_many`` from a generator, peak RSS (target: 10M names < 100 MB).
5. Prints a Markdown table (names/s, CPU s, peak RSS, ratio to massdns),
   the targets met or missed, and draws the table as a PNG (matplotlib).

Targets (checked here, never in tests): CLI >= 1.0x massdns, resolve_many
>= 1.0x, pure fallback >= 0.5x, 10M names < 100 MB, timer lag p99 < 5 ms.

The client and the server share the machine: on a 2-core box the C tools
leave knot more of the CPU than a Python process does.  No packet leaves
loopback: every tool is given ``127.0.0.1:<port>`` explicitly.

One file over the usual size on purpose: each contender's runner is a few
lines here, and the rounds, table, targets and chart read one list of rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_wire import LagProbe

ROOT = Path(__file__).resolve().parents[1]
BUILD_MASSDNS = ROOT.parent / "shared" / "tools" / "build-massdns"
NX_EVERY = 100
NODATA_EVERY = 50
CHILD_TIMEOUT = 900.0


@dataclass
class Row:
    """One measured contender (``skipped`` says why it did not run)."""

    label: str
    names: int = 0
    answered: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    skipped: str = ""

    @property
    def rate(self) -> float:
        """Names per second: of the library's own run for the in-process
        children (interpreter start-up excluded), of the whole process for
        the command-line tools (massdns, dnsperf, the aioresolve CLI)."""
        wall = float(self.extra.get("child_wall") or self.wall)
        return self.names / wall if wall > 0 else 0.0


# -- running a child and measuring it ----------------------------------------------------


def measure(label: str, argv: list[str], names: int, *, env: dict[str, str] | None = None,
            stdout_path: Path | None = None) -> Row:
    """Run ``argv``, wait for it with wait4: its wall time, CPU and peak RSS."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE  # noqa: SIM115
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if stdout_path:
            out.close()  # type: ignore[union-attr]
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    row = Row(label, names, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
              rss_mb=usage.ru_maxrss / 1024)
    if proc.returncode != 0:
        row.skipped = f"exit {proc.returncode}: {(err.strip().splitlines() or [''])[-1][:120]}"
        return row
    last = text.strip().splitlines()[-1] if text.strip() else ""
    if last.startswith("{"):
        data = json.loads(last)
        row.answered = int(data.pop("answered", 0))
        if "wall" in data:  # the child's own timing, start-up excluded
            row.extra["child_wall"] = data.pop("wall")
        row.extra.update(data)
    return row


def python_child(kind: str, server: str, names_file: Path, count: int, concurrency: int,
                 *, pure: bool = False, extra: list[str] | None = None) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bench_sidebyside", "--child", kind,
            "--server", server, "--input", str(names_file), "--names", str(count),
            "--concurrency", str(concurrency), *(["--pure"] if pure else []), *(extra or [])]


# -- the children ------------------------------------------------------------------------


def _read_names(path: str, count: int) -> list[str]:
    with open(path) as f:
        return [line.strip() for _, line in zip(range(count), f, strict=False)]


async def child(args: argparse.Namespace) -> dict[str, Any]:
    kind, server, n, conc = args.child, args.server, args.names, args.concurrency
    host, _, port = server.rpartition(":")
    out: dict[str, Any] = {}
    if kind == "big":  # names generated lazily, cycling over the zone
        zone = args.zone_names

        def gen() -> Any:
            for i in range(n):
                yield f"h{i % zone}.bulk.test"

        names: Any = gen()
    else:
        names = _read_names(args.input, n)
    started = time.perf_counter()
    answered = 0
    if kind in ("resolve_many", "big"):
        from aioresolve import resolve_many

        probe = LagProbe(asyncio.get_running_loop()) if kind == "resolve_many" else None
        async with resolve_many(names, nameservers=[server], concurrency=conc) as run:
            async for batch in run.batches():
                answered += len(batch)
        if probe is not None:
            out["lag_p99_ms"] = round(probe.stop(), 2)
    elif kind == "stream":
        from aioresolve.bulk import stream

        # in lists, as resolve_many's row takes its results (run.batches())
        async for batch in stream(names, nameservers=[server], concurrency=conc, batches=True):
            answered += len(batch)
    elif kind == "aiodns":
        import aiodns

        resolver = aiodns.DNSResolver(nameservers=[server])  # "127.0.0.1:port", loopback only
        answered = await _gather(lambda name: resolver.query_dns(name, "A"), names, conc)
        await resolver.close()
    elif kind == "blastdns":
        from blastdns import Client, ClientConfig

        config = ClientConfig(max_concurrency=conc, max_inflight_per_resolver=conc,
                              cache_capacity=0, adaptive=False, max_retries=3)
        client = Client([server], config)
        async for batch in client._inner.resolve_batch_full(names, "A", False, False):
            answered += len(batch)
    elif kind == "dnspython":
        import dns.asyncresolver

        ref = dns.asyncresolver.Resolver(configure=False)
        ref.nameservers = [host]
        ref.port = int(port)
        ref.cache = None
        answered = await _gather(lambda name: ref.resolve(name, "A", search=False), names, 100)
    else:
        raise SystemExit(f"unknown child {kind}")
    out.update(answered=answered, wall=round(time.perf_counter() - started, 3))
    if kind != "big" and kind not in ("aiodns", "blastdns", "dnspython"):
        from aioresolve._dns import _speedups

        out["compiled"] = ",".join(sorted(_speedups.COMPILED)) or "pure"
    return out


async def _gather(call: Any, names: list[str], concurrency: int) -> int:
    """Each name once, ``concurrency`` at a time; the count of those that ended
    (an error is an answer too: NXDOMAIN and NODATA names are in the input)."""
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(name: str) -> None:
        nonlocal done
        async with gate:
            with contextlib.suppress(Exception):
                await call(name)
            done += 1

    await asyncio.gather(*(one(n) for n in names))
    return done


# -- the contenders ----------------------------------------------------------------------


def dnsperf(server: str, names_file: Path, n: int, concurrency: int, work: Path) -> Row:
    binary = shutil.which("dnsperf")
    if binary is None:
        return Row("dnsperf (server ceiling)", skipped="dnsperf not installed")
    host, _, port = server.rpartition(":")
    data = work / "dnsperf.txt"
    with open(names_file) as src, open(data, "w") as dst:
        for line in src:
            dst.write(f"{line.strip()} A\n")
    row = measure("dnsperf (server ceiling)",
                  [binary, "-s", host, "-p", port, "-d", str(data), "-n", "1",
                   "-q", str(concurrency), "-t", "2"], n)
    return row


def _dnsperf_answered(row: Row, text: str) -> None:
    done = re.search(r"Queries completed:\s+(\d+)", text)
    row.answered = int(done.group(1)) if done else 0


def massdns(server: str, names_file: Path, n: int, concurrency: int, work: Path,
            label: str = "massdns (C)") -> Row:
    if not BUILD_MASSDNS.exists():
        return Row(label, skipped=f"{BUILD_MASSDNS} not found")
    built = subprocess.run([str(BUILD_MASSDNS)], capture_output=True, text=True, check=False)
    binary = built.stdout.strip().splitlines()[-1] if built.returncode == 0 else ""
    if not binary or not os.access(binary, os.X_OK):
        return Row(label, skipped=f"massdns build failed: {built.stderr.strip()[-120:]}")
    resolvers = work / "resolvers.txt"
    resolvers.write_text(server + "\n")  # the loopback knot only
    output = work / "massdns.jsonl"
    row = measure(label, [binary, "-r", str(resolvers), "-b", "127.0.0.1:0",
                          "-s", str(concurrency), "-o", "J", "-w", str(output), "-q",
                          "--root", str(names_file)], n)
    if not row.skipped:
        with open(output, "rb") as f:
            row.answered = sum(1 for _ in f)
    return row


def precompile() -> None:
    """Write the package's bytecode (``compileall``), as installing a wheel does.

    The CLI row is timed from spawn to exit, so it includes importing
    aioresolve.  From a source checkout with ``PYTHONDONTWRITEBYTECODE=1``
    (as on the box these figures come from) or stale ``__pycache__`` files,
    every start compiled ~30 modules from source: 118 ms of a 300 ms start-up
    under cProfile, a cost no installed copy pays.
    """
    import compileall

    compileall.compile_dir(str(ROOT / "aioresolve"), quiet=2)


def cli(server: str, names_file: Path, n: int, concurrency: int, work: Path, pure: bool) -> Row:
    label = f"aioresolve CLI, jsonl ({'pure' if pure else 'compiled'})"
    output = work / "cli.jsonl"
    row = measure(label, [sys.executable, "-m", "aioresolve", "bulk", str(names_file),
                          "-o", str(output), "--server", server,
                          "--concurrency", str(concurrency), "-q"], n,
                  env={"AIORESOLVE_NO_EXTENSIONS": "1"} if pure else None)
    if not row.skipped or row.skipped.startswith("exit 1"):  # exit 1: some name failed
        row.skipped = ""
        with open(output, "rb") as f:
            row.answered = sum(1 for _ in f)
    return row


def in_process(kind: str, label: str, server: str, names_file: Path, n: int,
               concurrency: int, pure: bool, extra: list[str] | None = None) -> Row:
    label = f"{label} ({'pure' if pure else 'compiled'})" if kind in (
        "resolve_many", "stream", "big") else label
    return measure(label, python_child(kind, server, names_file, n, concurrency, pure=pure,
                                       extra=extra), n,
                   env={"AIORESOLVE_NO_EXTENSIONS": "1"} if pure else None)


# -- report ------------------------------------------------------------------------------


def table(rows: list[Row], base: Row | None) -> list[str]:
    lines = ["| contender | names | names/s | vs massdns | CPU s | CPU µs/name | peak RSS MB "
             "| note |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        if r.skipped:
            lines.append(f"| {r.label} | | | | | | | skipped: {r.skipped} |")
            continue
        ratio = f"{r.rate / base.rate:.2f}" if base and base.rate and not base.skipped else ""
        notes = []
        if r.answered and r.answered != r.names:
            notes.append(f"**{r.answered:,} of {r.names:,} answered**")
        for key in ("lag_p99_ms", "compiled"):
            if key in r.extra:
                notes.append(f"{key}={r.extra[key]}")
        per = r.cpu / r.names * 1e6 if r.names else 0
        lines.append(f"| {r.label} | {r.names:,} | {r.rate:,.0f} | {ratio} | {r.cpu:.2f} | "
                     f"{per:.1f} | {r.rss_mb:.0f} | {'; '.join(notes)} |")
    return lines


def targets(rows: list[Row], base: Row | None, big: Row | None) -> list[str]:
    def find(prefix: str) -> Row | None:
        return next((r for r in rows if r.label.startswith(prefix) and not r.skipped), None)

    out = []
    checks = [("aioresolve CLI, jsonl (compiled)", 1.0), ("resolve_many (compiled)", 1.0),
              ("resolve_many (pure)", 0.5)]
    for label, goal in checks:
        r = find(label)
        if r and base and base.rate:
            ratio = r.rate / base.rate
            out.append(f"- {label} >= {goal}x massdns: {ratio:.2f}x "
                       f"{'met' if ratio >= goal else 'MISSED'}")
    if big is not None and not big.skipped:
        out.append(f"- {big.names:,} names streamed, peak RSS < 100 MB: {big.rss_mb:.0f} MB "
                   f"{'met' if big.rss_mb < 100 else 'MISSED'}")
    many = find("resolve_many (compiled)")
    if many and "lag_p99_ms" in many.extra:
        lag = float(many.extra["lag_p99_ms"])
        out.append(f"- timer lag p99 < 5 ms during the run: {lag:.2f} ms "
                   f"{'met' if lag < 5 else 'MISSED'}")
    return out


def chart(rows: list[Row], base: Row | None, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if not r.skipped and r.rate]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(shown) + 1.4))
    labels = [r.label for r in shown][::-1]
    rates = [r.rate for r in shown][::-1]
    colours = ["#c44e52" if r.label.startswith("aioresolve") or "(compiled)" in r.label
               or "(pure)" in r.label else "#4c72b0" for r in shown][::-1]
    bars = ax.barh(labels, rates, color=colours)
    for bar, r in zip(bars, shown[::-1], strict=True):
        ratio = f"  {r.rate / base.rate:.2f}x" if base and base.rate else ""
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f" {r.rate:,.0f}/s{ratio}", va="center", fontsize=8)
    ax.set_xlabel("names per second (higher is better); ratio to massdns")
    ax.set_title(textwrap.fill(title, 110), fontsize=8)
    ax.set_xlim(0, max(rates) * 1.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- main --------------------------------------------------------------------------------


ALL = ("dnsperf", "massdns", "cli", "resolve_many", "stream", "aiodns", "blastdns", "dnspython")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_sidebyside",
                                description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--names", type=int, default=100_000)
    p.add_argument("--concurrency", type=int, default=500)
    p.add_argument("--slow-names", type=int, default=20_000, help="names for dnspython")
    p.add_argument("--latency-names", type=int, default=20_000,
                   help="names through dnsdist +20 ms (0: skip)")
    p.add_argument("--big", type=int, default=1_000_000,
                   help="names streamed for the memory run (0: skip; 10000000 for the target)")
    p.add_argument("--only", default=",".join(ALL), help=f"contenders among {','.join(ALL)}")
    p.add_argument("--rounds", type=int, default=2,
                   help="rounds of every contender, interleaved; the best of each is kept")
    p.add_argument("--no-pure", action="store_true", help="skip the pure-Python rows")
    p.add_argument("--chart", default=str(ROOT / "docs" / "_static" / "sidebyside.png"))
    p.add_argument("--json", help="also write the rows as JSON here")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--replot", metavar="JSON", help="only redraw the chart from a --json file")
    # children
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--server", help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--zone-names", type=int, default=100_000, help=argparse.SUPPRESS)
    p.add_argument("--pure", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.names, args.slow_names, args.latency_names, args.big = 20_000, 5_000, 5_000, 0
        args.rounds = 1
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(args))), flush=True)
        return 0
    if args.replot:
        saved = json.loads(Path(args.replot).read_text())
        rows = [Row(**r) for r in saved["rows"]]
        base = next((r for r in rows if r.label.startswith("massdns") and not r.skipped), None)
        chart(rows, base, Path(args.chart), saved["header"])
        return 0
    from tests.rig import servers
    from tests.rig import zone as z

    only = set(args.only.split(","))
    n, conc = args.names, args.concurrency
    zone_names = max(n, 100_000)
    work = Path(tempfile.mkdtemp(prefix="aioresolve-sidebyside-"))
    rows: list[Row] = []
    latency_rows: list[Row] = []
    big: Row | None = None
    try:
        names_file = work / "names.txt"
        names_file.write_text("\n".join(z.bulk_query_names(
            n, nx_every=NX_EVERY, nodata_every=NODATA_EVERY)) + "\n")
        slow_file = work / "slow.txt"
        slow_file.write_text("\n".join(z.bulk_query_names(
            args.slow_names, nx_every=NX_EVERY, nodata_every=NODATA_EVERY)) + "\n")
        precompile()  # the CLI row then starts as an installed copy does
        print(f"starting knotd (1 UDP worker) with {zone_names:,} bulk names ...", file=sys.stderr)
        with servers.start_knot(bulk_count=zone_names, workers=1, timeout=CHILD_TIMEOUT) as knot:
            server = knot.address
            load = os.getloadavg()[0]
            header = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
                      f"{os.cpu_count()} cores shared by client and server (load average "
                      f"{load:.2f} at start); {n:,} names, concurrency {conc}, knot 1 UDP worker "
                      f"at {server}; best of {args.rounds} rounds; Python {sys.version.split()[0]}")
            print(header, flush=True)
            plan: list[tuple[str, Any]] = []
            if "dnsperf" in only:
                plan.append(("dnsperf", lambda: dnsperf(server, names_file, n, conc, work)))
            if "massdns" in only:
                plan.append(("massdns", lambda: massdns(server, names_file, n, conc, work)))
            for pure in (False, True):
                if pure and args.no_pure:
                    continue
                if "cli" in only:
                    plan.append(("cli", lambda pure=pure: cli(server, names_file, n, conc,
                                                              work, pure)))
                if "resolve_many" in only:
                    plan.append(("resolve_many", lambda pure=pure: in_process(
                        "resolve_many", "resolve_many", server, names_file, n, conc, pure)))
                if "stream" in only:
                    plan.append(("stream", lambda pure=pure: in_process(
                        "stream", "bare stream", server, names_file, n, conc, pure)))
            if "aiodns" in only:
                plan.append(("aiodns", lambda: in_process(
                    "aiodns", f"aiodns, {conc} tasks", server, names_file, n, conc, False)))
            if "blastdns" in only:
                plan.append(("blastdns", lambda: in_process(
                    "blastdns", "blastdns (Rust core)", server, names_file, n, conc, False)
                    if importlib.util.find_spec("blastdns") else Row(
                    "blastdns (Rust core)",
                    skipped="blastdns not installed (pip install -e '.[bench]')")))
            if "dnspython" in only and args.slow_names:
                plan.append(("dnspython", lambda: in_process(
                    "dnspython", "dnspython, 100 tasks", server, slow_file, args.slow_names,
                    conc, False)))
            # rounds interleaved (every contender once per round), the best
            # round of each kept: this VM has slow phases of seconds to
            # minutes, and a row must not be compared with one of another phase
            best: list[Row | None] = [None] * len(plan)
            for round_ in range(1, args.rounds + 1):
                for i, (name, run) in enumerate(plan):
                    print(f"round {round_}: running {name} ...", file=sys.stderr, flush=True)
                    row = run()
                    if name == "dnsperf" and not row.skipped:
                        row.answered = n  # dnsperf reports its own losses; see its output
                    kept = best[i]
                    if kept is None or kept.skipped or (not row.skipped
                                                        and row.rate > kept.rate):
                        best[i] = row
            rows = [row for row in best if row is not None]
            if args.latency_names:
                print("latency scenario (dnsdist, +20 ms) ...", file=sys.stderr, flush=True)
                lat_file = work / "latency.txt"
                lat_file.write_text("\n".join(z.bulk_query_names(
                    args.latency_names, nx_every=NX_EVERY, nodata_every=NODATA_EVERY)) + "\n")
                with servers.start_dnsdist(knot, counting=False, latency_ms=20) as slow:
                    latency_rows.append(massdns(slow.address, lat_file, args.latency_names,
                                                conc, work, label="massdns (C), +20 ms"))
                    latency_rows.append(in_process(
                        "resolve_many", "resolve_many, +20 ms", slow.address, lat_file,
                        args.latency_names, conc, False))
            if args.big:
                print(f"memory run: {args.big:,} names streamed ...", file=sys.stderr, flush=True)
                big = in_process("big", f"resolve_many, {args.big:,} names streamed", server,
                                 names_file, args.big, conc, False,
                                 extra=["--zone-names", str(zone_names)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = next((r for r in rows if r.label.startswith("massdns") and not r.skipped), None)
    print()
    print("\n".join(table(rows, base)))
    if latency_rows:
        lat_base = latency_rows[0] if not latency_rows[0].skipped else None
        print("\nLatency scenario: every answer 20 ms late (dnsdist in front of knot)\n")
        print("\n".join(table(latency_rows, lat_base)))
    if big is not None:
        print("\nMemory: names streamed from a generator through resolve_many\n")
        print("\n".join(table([big], None)))
    print("\nTargets:")
    print("\n".join(targets(rows, base, big)) or "- (nothing to compare)")
    if args.chart and rows:
        chart(rows, base, Path(args.chart), header)
        print(f"\nchart: {args.chart}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"header": header, "rows": [asdict(r) for r in rows],
             "latency": [asdict(r) for r in latency_rows],
             "big": asdict(big) if big else None}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
