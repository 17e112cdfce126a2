"""aioresolve.dask on a real ``distributed.LocalCluster`` of worker processes,
against the rig's knot on loopback: the same records as a single-process
run, exactly one per input through a SIGKILLed worker and a killed driver."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from aioresolve.bulk import resolve_many
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer, unavailable

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
ad = pytest.importorskip("aioresolve.dask")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes, one thread each, on 127.0.0.1."""
    try:
        with ad.local_client(2) as c:
            yield c
    except (OSError, RuntimeError, TimeoutError) as exc:
        unavailable(f"no LocalCluster of worker processes: {exc}")


def _edge_case_bytes() -> bytes:
    """Names, duplicates, illegal lines and every way a line can be skipped or split."""
    lines: list[bytes] = []
    for i in range(40):
        lines.append(z.bulk_name(i).encode())
        if i % 5 == 0:
            lines.append(z.bulk_nx_name(i).encode())
        if i % 7 == 0:
            lines.append(z.bulk_nodata_name(i % z.BULK_NODATA_COUNT).encode())
    lines[3:3] = [
        b"", b"# a comment", b"   ", b"  # indented comment", b"\x1c\x1f",  # skipped
        "\u00a0".encode(),  # NBSP only: str.strip() removes it, bytes.strip() does not
        b"  " + z.A_NAME.encode() + b"  \t", z.A_NAME.encode(), z.A_NAME.encode(),  # dupes
        b"bad..name.test", b"-" * 70 + b".test", b"\xff\xfe.test",  # illegal
        z.IDN_ULABEL.encode(), z.CNAME_NAME.encode(), z.NX_NAME.encode(),
        z.DROP_NAME.encode(), z.SERVFAIL_NAME.encode(), z.REFUSED_NAME.encode(),  # faults
        z.TC_NAME.encode(),
        z.bulk_name(1).encode() + b"\r" + z.bulk_name(2).encode(),  # a lone CR splits a line
        z.bulk_name(3).encode() + b"\r",  # CRLF
    ]
    return b"\n".join(lines) + b"\n" + z.bulk_name(39).encode()  # no final newline


def _comparable(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["index"], record["input"], record["name"], record["type"],
            record["status"], sorted(record["addresses"]),
            json.dumps(record["records"], sort_keys=True), record["ttl"],
            record["canonical_name"])


async def _resolve_file(f: IO[str], **options: Any) -> list[dict[str, Any]]:
    async with resolve_many(f, **options) as run:
        return [r.to_dict() async for r in run]


def _single_process(path: Path, **options: Any) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:  # as the CLI opens it
        return asyncio.run(_resolve_file(f, **options))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [json.loads(line) for line in f]


def test_same_records_as_one_process(client: Any, dnsdist: DnsdistServer,
                                     tmp_path: Path) -> None:
    """Through dnsdist's faults too: a dropped name (TIMEOUT) at the head of
    a partition holds nothing back for good, SERVFAIL/REFUSED are retried."""
    path = tmp_path / "names.txt"
    path.write_bytes(_edge_case_bytes())
    options = {"nameservers": [dnsdist.address], "concurrency": 20, "timeout": 1.0,
               "attempts": 2}
    summary = ad.resolve_files(client, path, tmp_path / "run", output=tmp_path / "out.jsonl",
                               partition_names=7, **options)
    expected = _single_process(path, **options)
    got = _read_jsonl(tmp_path / "out.jsonl")
    assert [r["index"] for r in got] == list(range(len(expected)))  # input order, once each
    assert sorted(map(_comparable, got)) == sorted(map(_comparable, expected))
    statuses = {r["status"] for r in got}
    assert {"NOERROR", "NXDOMAIN", "NODATA", "ILLEGAL_INPUT", "TIMEOUT", "SERVFAIL",
            "REFUSED"} <= statuses
    assert summary.names == len(expected) and summary.partitions > 5
    assert sum(summary.counts.values()) == len(expected)
    # The per-partition files hold the same records; the bag reads them back.
    bag_records = ad.read_bag(summary.run_dir).compute()
    assert sorted(map(_comparable, bag_records)) == sorted(map(_comparable, expected))
    # A second call without resume refuses to overwrite; resume has nothing to do.
    with pytest.raises(ad.RunMismatch):
        ad.resolve_files(client, path, tmp_path / "run", **options)
    again = ad.resolve_files(client, path, tmp_path / "run", resume=True, **options)
    assert again.skipped == len(expected) and sum(again.session_counts.values()) == 0


def test_csv_and_names_bag(client: Any, knot: KnotServer, tmp_path: Path) -> None:
    names = [z.bulk_name(i) for i in range(30)] + ["", "bad..name.test", z.bulk_name(0)]
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n")
    ad.resolve_files(client, path, tmp_path / "run", output=tmp_path / "out.csv", fmt="csv",
                     partition_names=8, nameservers=[knot.address])
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert rows[0].startswith("index,input,")  # one header
    assert [int(r.split(",")[0]) for r in rows[1:]] == list(range(len(names) - 1))
    # An iterable is not a file: its blank item is an input (ILLEGAL_INPUT), not skipped.
    bag = ad.resolve_names(names, partition_names=8, nameservers=[knot.address])
    records = client.compute(bag).result()
    assert [r["index"] for r in records] == list(range(len(names)))
    assert records[30]["status"] == "ILLEGAL_INPUT" and records[31]["status"] == "ILLEGAL_INPUT"
    assert records[32]["addresses"] == [z.bulk_address(0)]


def test_worker_sigkill_mid_run(client: Any, knot: KnotServer, tmp_path: Path) -> None:
    count = 4000
    path = tmp_path / "names.txt"
    path.write_text("\n".join(z.bulk_name(i) for i in range(count)) + "\n")
    run_dir = tmp_path / "run"
    killed: list[int] = []

    def kill_a_writer(done: int, total: int, counts: object) -> None:
        if killed:
            return
        # A running partition with whole records checkpointed: kill its worker.
        for worker, keys in client.processing().items():
            for key in keys:
                number = int(str(key).split("-")[2])
                ckpt = run_dir / "parts" / f"part-{number:05d}.ckpt"
                try:
                    inputs = json.loads(ckpt.read_text())["inputs"]
                except (OSError, ValueError):
                    continue
                if inputs >= 100:
                    pid = client.run(os.getpid, workers=[worker])[worker]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(number)
                    return

    # qps paces the run (~5 s) so that the kill lands mid-partition.
    summary = ad.resolve_files(client, path, run_dir, output=tmp_path / "out.jsonl",
                               partition_names=1000, qps=800, nameservers=[knot.address],
                               progress=kill_a_writer, poll=0.05)
    assert killed, "no partition was caught running"
    got = _read_jsonl(tmp_path / "out.jsonl")
    assert [r["index"] for r in got] == list(range(count))
    assert all(r["status"] == "NOERROR" and r["addresses"] == [z.bulk_address(r["index"])]
               for r in got)
    assert summary.counts[ad_status("NOERROR")] == count
    stats = json.loads((run_dir / "parts" / f"part-{killed[0]:05d}.json").read_text())
    assert stats["resumed_from"] >= 100  # the retry continued after the checkpoint


def ad_status(name: str) -> Any:
    from aioresolve.bulk import Status

    return Status(name)


def _cli(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ, AIORESOLVE_DASK_PARTITION_NAMES="500", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "aioresolve", "bulk", *args], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **kwargs)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End what the driver left behind (its orphaned worker processes)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


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
    first = _cli([*base, "--qps", "500"])
    try:
        _wait_for(first, parts, ".json")  # a partition is finished, others under way
        os.kill(first.pid, signal.SIGKILL)  # the driver only
        first.wait()
    finally:
        _stop_group(first)  # its orphaned workers
    assert not out.exists()
    _quiesce(parts)  # else an orphan's checkpoint could look like the next run's
    done_before = len(list(parts.glob("*.json")))

    second = _cli([*base, "--resume", "--qps", "500"])
    try:
        _wait_for(second, parts, ".ckpt")
        time.sleep(0.5)
        os.killpg(second.pid, signal.SIGINT)
        _, err = second.communicate(timeout=60)
    finally:
        _stop_group(second)
    assert second.returncode == 130, err.decode()[-2000:]
    assert b"INTERRUPTED" in err and not out.exists()
    for partial in parts.glob("*.partial"):  # whole records up to the checkpoint
        ckpt = json.loads(partial.with_suffix(".ckpt").read_text())
        assert partial.read_bytes()[:ckpt["bytes"]].endswith(b"\n")

    third = _cli([*base, "--resume"])
    try:
        _, err = third.communicate(timeout=120)
    finally:
        _stop_group(third)
    assert third.returncode == 0, err.decode()[-2000:]
    got = _read_jsonl(out)
    assert [r["index"] for r in got] == list(range(count))
    assert all(r["addresses"] == [z.bulk_address(r["index"])] for r in got)
    assert "skipped (already in the output)" in err.decode() and done_before >= 1


def test_cli_usage_errors(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("a.test\n")
    proc = _cli([str(path), "--server", "127.0.0.1:9", "--workers", "1", "--type", "A,AAAA"])
    _, err = proc.communicate(timeout=60)
    _stop_group(proc)
    assert proc.returncode == 2 and b"--type" in err


def test_cli_scheduler_stdin_to_stdout(client: Any, knot: KnotServer) -> None:
    """--scheduler ADDRESS (the module's cluster), names on stdin, text on stdout."""
    names = [z.bulk_name(i) for i in range(50)] + [z.NX_NAME, "", "# c", z.bulk_name(0)]
    proc = _cli(["-", "--server", knot.address, "--scheduler", client.scheduler.address,
                 "--format", "text", "--progress"], stdin=subprocess.PIPE)
    try:
        out, err = proc.communicate("\n".join(names).encode() + b"\n", timeout=120)
    finally:
        _stop_group(proc)
    assert proc.returncode == 0, err.decode()[-2000:]
    lines = out.decode().splitlines()
    assert len(lines) == 52
    assert lines[0] == f"{z.bulk_name(0)}\tNOERROR\t{z.bulk_address(0)}"
    assert lines[50].startswith(f"{z.NX_NAME}\tNXDOMAIN\t") and lines[51] == lines[0]
    assert b"52 names in" in err and b"resolving" in err  # the summary, and the bar
