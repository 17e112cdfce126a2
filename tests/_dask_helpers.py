"""What the aioresolve.dask tests share (``tests/test_dask_*.py``): reading
a run's JSONL output, a sortable form of a record, the ``aioresolve
bulk`` command in a process group of its own (and ending that group), and
killing the worker that runs a checkpointed partition (also used by
``benchmarks/bench_dask.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "cli", "comparable", "kill_checkpointed_worker", "read_jsonl", "stop_group",
           "typed"]

ROOT = Path(__file__).resolve().parent.parent


def comparable(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["index"], record["input"], record["name"], record["type"],
            record["status"], sorted(record["addresses"]),
            json.dumps(record["records"], sort_keys=True), record["ttl"],
            record["canonical_name"])


def typed(record: dict[str, Any]) -> str:
    """A sortable text of :func:`comparable` (fields may be None)."""
    return repr(comparable(record))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [json.loads(line) for line in f]


def cli(args: list[str], *, partition: int = 500, **kwargs: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ, AIORESOLVE_DASK_PARTITION_NAMES=str(partition),
               PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "aioresolve", "bulk", *args], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **kwargs)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End what the driver left behind (its orphaned worker processes)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def kill_checkpointed_worker(client: Any, run_dir: Path,
                             min_inputs: float) -> tuple[int, int] | None:
    """SIGKILL the worker process running a partition of the run in
    ``run_dir`` whose checkpoint holds at least ``min_inputs`` whole inputs:
    that partition's number and inputs, or ``None`` when none is running so far."""
    for worker, keys in client.processing().items():
        for key in keys:
            number = int(str(key).split("-")[2])
            ckpt = run_dir / "parts" / f"part-{number:05d}.ckpt"
            try:
                inputs = json.loads(ckpt.read_text())["inputs"]
            except (OSError, ValueError):
                continue
            if inputs >= min_inputs:
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                return number, inputs
    return None
