"""Per-name CPU of the wire engine by stage: a py-spy profile of the bare stream.

One command, from the repository root::

    python -m benchmarks.bench_engine_stages [--names 100000] [--pure] [--root DIR]

It starts one knotd with one UDP worker serving the rig's bulk zone (as
``bench_sidebyside``), runs a child that streams ``--names`` names through
:class:`~aioresolve._dns.stream.Stream` over the wire engine (concurrency 500;
every 100th name NXDOMAIN, every 50th NODATA) twice, the second run measured,
under ``py-spy record --native`` (500 Hz), and prints a Markdown table: each
sample of the event loop goes to the innermost frame that names a stage, and
the shares are scaled to the child's own CPU µs per name (measured with
``time.process_time``; py-spy's sampling inflates it a little).

``--pure`` sets ``AIORESOLVE_NO_EXTENSIONS=1``; ``--root DIR`` imports
aioresolve from another checkout (e.g. ``git archive <commit> | tar -x -C DIR``
and ``python setup.py build_ext --inplace`` there) to profile an older state.
No packet leaves loopback.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r'''
import asyncio, os, sys, time
sys.path.insert(0, os.environ["STAGES_ROOT"])
from tests.rig import zone
count, server = int(sys.argv[1]), sys.argv[2]
names = zone.bulk_query_names(count, nx_every=100, nodata_every=50)

async def run():
    from aioresolve._dns.engine import Engine
    from aioresolve._dns.stream import Stream
    from aioresolve._nameservers import parse_nameserver
    engine = Engine(asyncio.get_running_loop(), [parse_nameserver(server)])
    n = 0
    started = time.process_time()
    async for batch in Stream(engine, names, concurrency=500).batches():
        n += len(batch)
    engine.close()
    return n, time.process_time() - started

asyncio.run(run())  # warm
n, cpu = asyncio.run(run())
print(f"{cpu / n * 1e6:.2f}", file=sys.stderr)
'''

#: (stage, substrings of a frame's name): the innermost frame that matches wins.
STAGES = [
    ("send system calls", ["sendmmsg", "send_batch", "sock_sendmsg", "socket.send"]),
    ("receive system calls", ["recvmmsg", "recv_batch", "recvfrom"]),
    ("GC", ["gc_collect", "collect_main"]),
    ("negative answers and errors (Python)", ["_rcode", "ResolveError", "_negative",
                                              "_describe"]),
    ("decode (parse_response, Python path)", ["parse_response", "_read_name", "_records",
                                              "_question"]),
    ("answers, records (Python path)", ["Engine._answer", "rdata_record", "_on_response",
                                        "__create_fn__"]),
    ("match + decode + Answer (compiled fast path)", ["_fast_answer", "name_text",
                                                     "_hot_c__record", "_hot_c__answer"]),
    ("building queries (encode_name, template)", ["encode_name", "_prepare", "_cprepare",
                                                  "_template", "_randomize"]),
    ("timeouts (queues, timer, RTT)", ["_expire", "_timed_out", "_arm", "rto", "Rtt",
                                       "sample", "_sweep"]),
    ("finishing (callbacks, release, stream results)", ["_finish", "_release", "_cfinish",
                                                        "_crelease", "Sink_put", "Sink.put",
                                                        "Sink__result",
                                                        "Stream._run.<locals>.done"]),
    ("socket rotation", ["_rotate", "_Socket", "_close_socket"]),
    ("engine: submit, send an attempt", ["submit", "_send", "_csend", "_new_id", "Query",
                                         "_unlink", "_send_out", "start_many",
                                         "start_items"]),
    ("engine: read and match", ["_read_batch", "_read"]),
    ("stream feeder", ["Stream._run", "batches", "_one_by_one"]),
    ("event loop", ["_run_once", "select", "epoll", "Handle._run", "run_forever"]),
]


def stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        if frame.startswith("run (<string>"):
            return "the consumer (freeing the results)"
        name = frame.split(" (")[0]
        for stage, keys in STAGES:
            if any(key in name for key in keys):
                return stage
    return "other"


def table(raw: Path, us_per_name: float) -> list[tuple[str, float, float]]:
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not any("_run_once" in f for f in frames):
            continue  # start-up and imports
        total += int(n)
        counts[stage_of(frames)] += int(n)
    return [(stage, n / total * us_per_name, n / total) for stage, n in counts.most_common()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--pure", action="store_true")
    parser.add_argument("--root", default=str(ROOT))
    args = parser.parse_args()
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    sys.path.insert(0, str(ROOT))
    from tests.rig import servers

    env = dict(os.environ, STAGES_ROOT=args.root)
    if args.pure:
        env["AIORESOLVE_NO_EXTENSIONS"] = "1"
    with servers.start_knot(bulk_count=max(args.names, 100_000), workers=1,
                            timeout=120) as knot, tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "profile.txt"
        child = subprocess.run(
            [spy, "record", "--native", "-r", "500", "-f", "raw", "-o", str(raw), "--",
             sys.executable, "-c", _CHILD, str(args.names), knot.address],
            env=env, capture_output=True, text=True, check=True)
        us = float(re.findall(r"^\d+\.\d+$", child.stderr, re.M)[-1])
        print(f"{args.names:,} names, {'pure' if args.pure else 'compiled'}, "
              f"root {args.root}: {us:.1f} CPU µs/name (under py-spy)\n")
        print("| stage | µs/name | share |\n|---|---:|---:|")
        for stage, value, share in table(raw, us):
            print(f"| {stage} | {value:.1f} | {share:.0%} |")
        print(f"| **total** | **{us:.1f}** | |")


if __name__ == "__main__":
    main()
