"""A run's opening burst: how long a query lost in it holds its name.

One command (from the repository root; loopback only, ~1 minute)::

    python -m benchmarks.bench_first_burst
    python -m benchmarks.bench_first_burst --names 100000 --concurrency 2000 --runs 5

Starts one knotd with one UDP worker (the rig's bulk zone, as
``bench_sidebyside`` does), then ``--runs`` times in fresh child processes:
:func:`aioresolve.resolve_many` over ``--names`` names with its defaults
(5 s per name, 3 attempts: a 1.67 s ceiling per attempt) at
``--concurrency``.  The first ``--concurrency`` queries leave at once, before
any answer has given the engine a round-trip time; a server whose receive
buffer overflows drops some of them.  Each run reports its wall time, the
names that needed a second attempt, and the slowest of those (its elapsed
time: the first attempt's wait, then the retry's answer).

To compare with another checkout of the package (an engine before a change),
run the command with ``PYTHONPATH=<that checkout>`` (with its extensions
built in place), as docs/performance.md records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


async def _child(server: str, names: int, concurrency: int) -> dict[str, float]:
    import aioresolve
    from tests.rig import zone

    started = time.perf_counter()
    retried: list[float] = []
    done = 0
    async for r in aioresolve.resolve_many(
            (zone.bulk_name(i) for i in range(names)), nameservers=[server],
            concurrency=concurrency):
        done += 1
        if r.attempts > 1:
            retried.append(r.elapsed)
    return {"wall": time.perf_counter() - started, "results": done,
            "retried": len(retried), "slowest_retried": max(retried, default=0.0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.append(str(ROOT))  # tests.rig; aioresolve from PYTHONPATH or the install
        out = asyncio.run(_child(args.child, args.names, args.concurrency))
        print(json.dumps(out))
        return

    sys.path.append(str(ROOT))
    import aioresolve
    from tests.rig import servers

    print(f"aioresolve from {Path(aioresolve.__file__).parent}; {args.names:,} names, "
          f"concurrency {args.concurrency}, knotd with 1 UDP worker, "
          f"load average {os.getloadavg()[0]:.2f}")
    print("| run | wall s | names/s | names retried | slowest retried name, s |")
    print("|---:|---:|---:|---:|---:|")
    with servers.start_knot(bulk_count=args.names, workers=1, timeout=120) as knot:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
        for run in range(1, args.runs + 1):
            text = subprocess.run(
                [sys.executable, __file__, "--child", knot.address,
                 "--names", str(args.names), "--concurrency", str(args.concurrency)],
                check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout
            row = json.loads(text.strip().splitlines()[-1])
            print(f"| {run} | {row['wall']:.2f} | {row['results'] / row['wall']:,.0f} | "
                  f"{row['retried']} | {row['slowest_retried']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
