"""``aioresolve bulk --workers N``: the command line starting a
``LocalCluster`` of its own, against the rig's knot on loopback.  A SIGKILLed
driver, a resumed run stopped by Ctrl-C, a second resume: exactly one record
per input, in order; and a usage error refused before any cluster starts.

The command on the shared cluster of ``tests/test_dask_cluster.py``
(``--scheduler``) is tested there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests._dask_helpers import cli, read_jsonl, stop_group
from tests.rig import zone as z
from tests.rig.servers import KnotServer, unavailable

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
ad = pytest.importorskip("aioresolve.dask")


def _quiesce(parts: Path, quiet: float = 1.5, most: float = 60.0) -> None:
    """Until no file of the run directory changed for ``quiet`` seconds: a
    worker of a SIGKILLed driver can still be finishing a write or a
    checkpoint, which the next run's :func:`_wait_for` would take for its own
    and stop that run before it has even started."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # files come and go (renames)
            newest = max((p.stat().st_mtime for p in parts.iterdir()), default=0.0)
            if time.time() - newest >= quiet:
                return
        time.sleep(0.1)


def _wait_for(proc: subprocess.Popen[bytes], parts: Path, suffix: str) -> None:
    """Until the run directory holds a ``suffix`` file written since now (or
    fail/skip if the run ended)."""
    since = time.time()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError):  # files come and go (renames)
            if any(p.suffix == suffix and p.stat().st_mtime >= since
                   for p in parts.iterdir()):
                return
        time.sleep(0.05)
    if proc.poll() is not None:
        err = proc.stderr.read().decode() if proc.stderr else ""
        if "Nanny failed" in err:
            unavailable(f"no LocalCluster in a subprocess: {err[-500:]}")
        pytest.fail(f"the run ended before it could be stopped: {err[-2000:]}")


def test_cli_driver_killed_ctrl_c_and_resume(knot: KnotServer, tmp_path: Path) -> None:
    """SIGKILL of the driver, then a resumed run stopped by Ctrl-C (SIGINT to
    the whole process group, as a terminal sends it: exit 130, whole records
    only), then a second resume: exactly one record per input, in order."""
    count = 3000
    path = tmp_path / "names.txt"
    path.write_text("\n".join(z.bulk_name(i) for i in range(count)) + "\n# end\n")
    out = tmp_path / "out.jsonl"
    base = [str(path), "--server", knot.address, "--workers", "2", "-o", str(out),
            "--no-progress"]
    parts = Path(f"{out}.dask") / "parts"
    first = cli([*base, "--qps", "500"])
    try:
        _wait_for(first, parts, ".json")  # a partition is finished, others under way
        os.kill(first.pid, signal.SIGKILL)  # the driver only
        first.wait()
    finally:
        stop_group(first)  # its orphaned workers
    assert not out.exists()
    _quiesce(parts)  # else an orphan's checkpoint could look like the next run's
    done_before = len(list(parts.glob("*.json")))

    second = cli([*base, "--resume", "--qps", "500"])
    try:
        _wait_for(second, parts, ".ckpt")
        time.sleep(0.5)
        os.killpg(second.pid, signal.SIGINT)
        _, err = second.communicate(timeout=60)
    finally:
        stop_group(second)
    assert second.returncode == 130, err.decode()[-2000:]
    assert b"INTERRUPTED" in err and not out.exists()
    for partial in parts.glob("*.partial"):  # whole records up to the checkpoint
        ckpt = json.loads(partial.with_suffix(".ckpt").read_text())
        assert partial.read_bytes()[:ckpt["bytes"]].endswith(b"\n")

    third = cli([*base, "--resume"])
    try:
        _, err = third.communicate(timeout=120)
    finally:
        stop_group(third)
    assert third.returncode == 0, err.decode()[-2000:]
    got = read_jsonl(out)
    assert [r["index"] for r in got] == list(range(count))
    assert all(r["addresses"] == [z.bulk_address(r["index"])] for r in got)
    assert "skipped (already in the output)" in err.decode() and done_before >= 1


def test_cli_usage_errors(tmp_path: Path) -> None:
    """Refused before a cluster starts: a network too big to expand."""
    path = tmp_path / "names.txt"
    path.write_text("a.test\n2001:db8::/64\n")
    proc = cli([str(path), "--server", "127.0.0.1:9", "--workers", "1", "--type", "PTR"])
    _, err = proc.communicate(timeout=60)
    stop_group(proc)
    assert proc.returncode == 2 and b"line 2: 2001:db8::/64 holds" in err, err.decode()[-2000:]
