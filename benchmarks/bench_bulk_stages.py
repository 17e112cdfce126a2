"""What bulk and the CLI add on top of the bare stream, per name and per stage.

One command, from the repository root::

    python -m benchmarks.bench_bulk_stages [--names 100000] [--concurrency 500]
        [--stages stream,stream+batches,many,many+jsonl,many+lines,many+csv,cli-jsonl,cli-csv]
        [--offline-repeat 5]
    python -m benchmarks.bench_bulk_stages --instructions [--stages stream,many]
        [--twins pure,compiled]

It starts one knotd (1 UDP worker) serving the rig's bulk zone, writes the
input of ``bench_bulk`` (``h<i>.bulk.test``, every 100th NXDOMAIN, every 50th
NODATA) and then:

1. **Live stages**, each in a child process against that knot, timing the
   child's own loop (imports excluded): CPU microseconds per name
   (``time.process_time``: the client alone, the server is another process),
   of it the garbage collector's (``gc.callbacks``), names/s, and the event
   loop's timer lag p99 (a 10 ms timer):

   - ``stream``: the bare :func:`aioresolve.bulk.stream`, one result at a time;
   - ``stream+batches``: the same, ``batches=True`` (a list at a time);
   - ``many``: :func:`aioresolve.resolve_many`, ``async for batch in
     run.batches()``, counting only;
   - ``many+jsonl`` / ``many+csv``: the same, each batch through the CLI's
     :class:`~aioresolve._cli_output.Writer` to ``/dev/null``;
   - ``many+lines``: what the CLI does for JSONL: the run's stream results
     (``BulkRun._raw_batches``) written as lines by ``Writer.write_raw``,
     no :class:`~aioresolve.bulk.Result` for the common results;
   - ``many+jsonl+gc``: the same with the garbage collector tuned as the CLI
     tunes it (start-up frozen, first threshold 50,000);
   - ``cli-jsonl`` / ``cli-csv``: ``python -m aioresolve bulk FILE --server
     KNOT -o OUT -q --no-progress`` as a whole process (CPU from ``wait4``,
     interpreter start-up and imports included; the start-up alone, the same
     command on a one-name file, is shown too, and subtracted in the last column).

   - ``calls``: the CLI's run under cProfile, function calls per name
     (deterministic): bulk's and the CLI's own, the rest of aioresolve, C
     functions, other Python.

2. **Offline stages** (no network, far less noise): the stream results of one
   live run are kept, then each stage is timed as a pipeline over them, 64
   at a time as the stream hands them out (nothing else kept alive: on a VM
   fresh memory costs ~1 µs per KiB, which would swamp the figures), best of
   ``--offline-repeat`` interleaved rounds: making the
   :class:`~aioresolve.bulk.Result` objects (``BulkRun._results``), + counting
   statuses, + the JSONL, CSV or text writer (``Writer.write_batch``); and
   what the CLI does instead: each format's lines written straight from the
   stream's results, statuses counted (``Writer.write_raw``, no ``Result``).

3. ``--instructions``: instead of the above, user-space instructions per name
   of the live ``stream`` / ``many`` stages under valgrind's callgrind, for
   the pure twin (``AIORESOLVE_NO_EXTENSIONS=1``) and the compiled one: a
   fresh child at 2,000 and at 6,000 names, (Ir(6000) - Ir(2000)) / 4,000, so
   start-up and warm-up cancel out.  It leaves out the kernel and memory
   stalls, so the load of the box moves it only through the work itself:
   under callgrind's ~50x slowdown a busy box can time attempts out, and the
   retries are more work (the ``stream`` rows say how many there were; runs
   of the same code without retries differ by a few hundred instructions).

The box may be shared: CPU µs/name is the robust figure; names/s is not.
No packet leaves loopback: every resolver is given ``127.0.0.1:<port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NX_EVERY = 100
NODATA_EVERY = 50
STAGES = ("stream", "stream+batches", "many", "many+jsonl", "many+lines", "many+jsonl+gc",
          "many+csv", "cli-jsonl", "cli-csv", "calls")


# -- children ----------------------------------------------------------------------------


def _read_names(path: str) -> list[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


async def live_child(stage: str, server: str, path: str, concurrency: int) -> dict[str, Any]:
    from benchmarks.bench_wire import LagProbe

    names = _read_names(path)
    answered = 0
    if stage.endswith("+gc"):  # tuned as the CLI tunes it (aioresolve._cli_bulk._bulk_gc)
        import gc

        gc.freeze()
        gc.set_threshold(50_000, *gc.get_threshold()[1:])
        stage = stage[:-3]
    collector = _GCClock()
    probe = LagProbe(asyncio.get_running_loop())
    wall, cpu = time.perf_counter(), time.process_time()
    retries = None
    if stage in ("stream", "stream+batches"):
        from aioresolve._backends.wire import WireBackend
        from aioresolve.bulk import stream

        # the backend stream() would make itself, here so that its retries can be read
        backend = WireBackend(nameservers=[server], max_in_flight=concurrency)
        if stage == "stream":
            async for _ in stream(names, backend=backend, concurrency=concurrency):
                answered += 1
        else:
            async for batch in stream(names, backend=backend, concurrency=concurrency,
                                      batches=True):
                answered += len(batch)
        retries = backend.stream_engine().stats.retries
        await backend.aclose()
    else:
        from aioresolve._cli_output import Writer
        from aioresolve.bulk import resolve_many

        writer = None
        fd = os.open(os.devnull, os.O_WRONLY)
        if stage != "many":
            writer = Writer(fd, stage.split("+")[1].replace("lines", "jsonl"), header=True)
        async with resolve_many(names, nameservers=[server], concurrency=concurrency) as run:
            if stage == "many+lines":  # the CLI's JSONL path: stream results to lines
                assert writer is not None
                async for raw in run._raw_batches():
                    answered += len(raw)
                    writer.write_raw(raw, run)
            async for batch in run.batches():  # (many+lines: none left)
                answered += len(batch)
                if writer is not None:
                    write_batch = getattr(writer, "write_batch", None)
                    if write_batch is not None:
                        write_batch(batch)
                    else:
                        for result in batch:
                            writer.write(result)
        if writer is not None:
            writer.flush()
        os.close(fd)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    collector.stop()
    return {"answered": answered, "cpu": cpu, "wall": wall, "lag_p99_ms": probe.stop(),
            "gc": collector.seconds, "collections": collector.count, "retries": retries}


class _GCClock:
    """The garbage collector's own CPU time and collections (``gc.callbacks``)."""

    def __init__(self) -> None:
        import gc

        self.seconds = 0.0
        self.count = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.count += 1

    def stop(self) -> None:
        import gc

        gc.callbacks.remove(self._callback)


async def offline_child(server: str, path: str, concurrency: int, repeat: int
                        ) -> dict[str, Any]:
    """Each stage as a pipeline over the kept stream results, a batch at a
    time (as a run does: nothing but the input kept alive), with the garbage
    collector on; a stage's own cost is its pipeline's minus the one before."""
    from aioresolve._cli_output import Writer
    from aioresolve.bulk import resolve_many, stream

    names = _read_names(path)
    raw = [r async for r in stream(names, nameservers=[server], concurrency=concurrency)]
    chunk = 64  # the stream's batches are up to this size
    chunks = [raw[i:i + chunk] for i in range(0, len(raw), chunk)]
    run = resolve_many(names, nameservers=[server], concurrency=concurrency)
    results_of, count = run._results, run._count
    fd = os.open(os.devnull, os.O_WRONLY)

    def pipeline(fmt: str | None, counting: bool) -> Any:
        def go() -> None:
            writer = Writer(fd, fmt, header=True) if fmt else None
            write_batch = getattr(writer, "write_batch", None)
            for c in chunks:
                results = results_of(c)
                if counting:
                    count(results)
                if writer is not None:
                    if write_batch is not None:
                        write_batch(results)
                    else:
                        for result in results:
                            writer.write(result)
            if writer is not None:
                writer.flush()
        return go

    def raw_lines(fmt: str) -> Any:  # what the CLI does: Writer.write_raw, no Result
        def go() -> None:
            counts = run.counts
            for status in counts:
                counts[status] = 0
            writer = Writer(fd, fmt, header=True)
            for c in chunks:
                writer.write_raw(c, run)
            writer.flush()
        return go

    stages = {"make results": pipeline(None, False), "+ count statuses": pipeline(None, True),
              "+ writer jsonl": pipeline("jsonl", True), "+ writer csv": pipeline("csv", True),
              "+ writer text": pipeline("text", True)}
    stages.update({f"{fmt} lines from the stream": raw_lines(fmt)
                   for fmt in ("jsonl", "csv", "text")})
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(repeat):  # interleaved: a busy moment of the box hits every stage alike
        for label, func in stages.items():
            started = time.process_time()
            func()
            best[label] = min(best[label], time.process_time() - started)
    os.close(fd)
    await run.aclose()
    out: dict[str, Any] = {"results": len(raw)}
    out.update({label: value * 1e6 / len(raw) for label, value in best.items()})
    return out


_MINE = ("bulk/_result.py", "bulk/_run.py", "bulk/_input.py", "bulk/_gc.py", "_cli_output.py",
         "_cli_bulk.py", "_cli_inputs.py", "_progress.py")


def calls_child(server: str, path: str, concurrency: int, n: int) -> dict[str, Any]:
    """The CLI's run under cProfile: function calls per name (deterministic,
    unlike the timings on a shared box), bulk's and the CLI's own apart."""
    import cProfile
    import pstats

    from aioresolve._cli import main

    out = os.path.join(os.path.dirname(path), "calls.jsonl")
    prof = cProfile.Profile()
    prof.enable()
    main(["bulk", path, "--server", server, "--concurrency", str(concurrency), "-q",
          "--no-progress", "-o", out])
    prof.disable()
    groups: dict[str, int] = {"bulk and CLI": 0, "other aioresolve": 0, "C functions": 0,
                              "other Python": 0}
    stats: Any = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    for (file, _, _), (_, calls, _, _, _) in stats.items():
        if file.endswith(_MINE):
            groups["bulk and CLI"] += calls
        elif "aioresolve" in file:
            groups["other aioresolve"] += calls
        elif file == "~":
            groups["C functions"] += calls
        else:
            groups["other Python"] += calls
    return {label: count / n for label, count in groups.items()}


# -- the parent ------------------------------------------------------------------------------


def _child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``argv``; its CPU seconds (wait4), wall seconds and stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    assert proc.stdout is not None and proc.stderr is not None
    text, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: some lookups failed (the input has NXDOMAIN names)
        raise SystemExit(f"{argv}: exit {code}: {err.strip()[-400:]}")
    return usage.ru_utime + usage.ru_stime, wall, text


def _instructions(server: str, work: Path, stages: list[str], twins: list[str],
                  conc: int) -> None:
    """Instructions per name of each live stage and twin under callgrind (see
    the module docstring, 3.)."""
    from tests.rig import zone as z

    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (callgrind) on PATH")
        return
    small, large = 2000, 6000
    files = {}
    for count in (small, large):
        files[count] = work / f"names-{count}.txt"
        files[count].write_text("\n".join(z.bulk_query_names(
            count, nx_every=NX_EVERY, nodata_every=NODATA_EVERY)) + "\n")
    print(f"\nInstructions per name under callgrind, (Ir({large}) - Ir({small})) / "
          f"{large - small:,}, concurrency {conc}\n")
    print("| stage | twin | instructions/name | note |")
    print("|---|---|---:|---|")
    for stage in stages:
        for twin in twins:
            env = {**os.environ}
            env.pop("AIORESOLVE_NO_EXTENSIONS", None)
            if twin == "pure":
                env["AIORESOLVE_NO_EXTENSIONS"] = "1"
            totals = []
            retried: list[str] = []
            for count in (small, large):
                out = work / "callgrind.out"
                run = subprocess.run(
                    ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                     sys.executable, "-m", "benchmarks.bench_bulk_stages", "--server", server,
                     "--concurrency", str(conc), "--child", stage, "--input",
                     str(files[count])],
                    cwd=ROOT, env=env, capture_output=True, text=True)
                err = run.stderr
                found = re.search(r"Collected : (\d+)", err)
                if found is None or not run.stdout.strip():
                    raise SystemExit(f"{stage} ({twin}), {count} names: {err[-800:]}")
                totals.append(int(found.group(1)))
                out.unlink(missing_ok=True)
                data = json.loads(run.stdout.strip().splitlines()[-1])
                if data["retries"]:  # callgrind's slowness timed attempts out: more work
                    retried.append(f"{data['retries']} retries at {count:,} names")
            note = "; ".join(retried) or ("no retries" if stage.startswith("stream") else "")
            print(f"| {stage} | {twin} | {(totals[1] - totals[0]) / (large - small):,.0f} "
                  f"| {note} |", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_bulk_stages",
                                description=__doc__.splitlines()[0])
    p.add_argument("--names", type=int, default=100_000)
    p.add_argument("--concurrency", type=int, default=500)
    p.add_argument("--stages", default=",".join(STAGES))
    p.add_argument("--offline-repeat", type=int, default=5, help="0: no offline stages")
    p.add_argument("--instructions", action="store_true",
                   help="only instructions per name of the live stages under callgrind "
                        "(default stages stream,many)")
    p.add_argument("--twins", default="pure,compiled", help="with --instructions")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--server", help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child == "offline":
        print(json.dumps(asyncio.run(offline_child(args.server, args.input, args.concurrency,
                                                   args.offline_repeat))))
        return 0
    if args.child == "calls":
        print(json.dumps(calls_child(args.server, args.input, args.concurrency, args.names)))
        return 0
    if args.child:
        print(json.dumps(asyncio.run(live_child(args.child, args.server, args.input,
                                                args.concurrency))))
        return 0

    from tests.rig import servers
    from tests.rig import zone as z

    n, conc = args.names, args.concurrency
    work = Path(tempfile.mkdtemp(prefix="aioresolve-stages-"))
    names_file, one_file = work / "names.txt", work / "one.txt"
    names_file.write_text("\n".join(z.bulk_query_names(
        n, nx_every=NX_EVERY, nodata_every=NODATA_EVERY)) + "\n")
    one_file.write_text("h1.bulk.test\n")
    from aioresolve._dns import _speedups

    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {n:,} names, concurrency "
          f"{conc}; load average {os.getloadavg()[0]:.2f}; compiled: "
          f"{','.join(sorted(_speedups.COMPILED)) or 'pure'}; Python {sys.version.split()[0]}")
    with servers.start_knot(bulk_count=max(n, 100_000), workers=1, timeout=300) as knot:
        server = knot.address
        if args.instructions:
            stages = (args.stages.split(",") if args.stages != ",".join(STAGES)
                      else ["stream", "many"])
            _instructions(server, work, stages, args.twins.split(","), conc)
            return 0
        child = [sys.executable, "-m", "benchmarks.bench_bulk_stages", "--server", server,
                 "--concurrency", str(conc)]
        print("\n| stage | CPU µs/name | of it GC | names/s | timer lag p99 ms | note |")
        print("|---|---:|---:|---:|---:|---|")
        for stage in args.stages.split(","):
            if stage == "calls":
                continue
            if stage.startswith("cli-"):
                fmt = stage.split("-")[1]
                cli = [sys.executable, "-m", "aioresolve", "bulk", "--server", server,
                       "--concurrency", str(conc), "-q", "--no-progress", "--format", fmt,
                       "-o", str(work / f"out.{fmt}")]
                base_cpu, _, _ = _child([*cli, str(one_file)])
                cpu, wall, _ = _child([*cli, str(names_file)])
                print(f"| {stage} | {cpu * 1e6 / n:.1f} | | {n / wall:,.0f} | | whole process; "
                      f"start-up {base_cpu:.2f} s CPU, without it "
                      f"{(cpu - base_cpu) * 1e6 / n:.1f} µs/name |", flush=True)
                continue
            _, _, text = _child([*child, "--child", stage, "--input", str(names_file)])
            data = json.loads(text.strip().splitlines()[-1])
            if data["answered"] != n:
                print(f"!! {stage}: {data['answered']} results for {n} names")
            print(f"| {stage} | {data['cpu'] * 1e6 / n:.1f} | {data['gc'] * 1e6 / n:.1f} | "
                  f"{n / data['wall']:,.0f} | {data['lag_p99_ms']:.1f} | "
                  f"{data['collections']} collections |", flush=True)
        if "calls" in args.stages.split(","):
            _, _, text = _child([*child, "--child", "calls", "--input", str(names_file),
                                 "--names", str(n)])
            data = json.loads(text.strip().splitlines()[-1])
            print("\nFunction calls per name, the CLI's run under cProfile (jsonl): "
                  + ", ".join(f"{label} {value:.1f}" for label, value in data.items()))
        if args.offline_repeat:
            _, _, text = _child([*child, "--child", "offline", "--input", str(names_file),
                                 "--offline-repeat", str(args.offline_repeat)])
            data = json.loads(text.strip().splitlines()[-1])
            print(f"\nOffline, on the {data.pop('results'):,} stream results of one run "
                  f"(best of {args.offline_repeat}):\n")
            print("| pipeline | CPU µs/name | the stage's own |")
            print("|---|---:|---:|")
            make, counted = data["make results"], data["+ count statuses"]
            for stage, value in data.items():
                own = value - (make if stage == "+ count statuses" else counted)
                if stage == "make results" or stage.endswith("from the stream"):
                    own = value
                print(f"| {stage} | {value:.2f} | {own:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
