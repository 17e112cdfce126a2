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

from aioresolve._cli_inputs import input_texts
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


def _cli(args: list[str], *, partition: int = 500, **kwargs: Any) -> subprocess.Popen[bytes]:
    env = dict(os.environ, AIORESOLVE_DASK_PARTITION_NAMES=str(partition),
               PYTHONPATH=str(ROOT))
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
    """Refused before a cluster starts: a network too big to expand."""
    path = tmp_path / "names.txt"
    path.write_text("a.test\n2001:db8::/64\n")
    proc = _cli([str(path), "--server", "127.0.0.1:9", "--workers", "1", "--type", "PTR"])
    _, err = proc.communicate(timeout=60)
    _stop_group(proc)
    assert proc.returncode == 2 and b"line 2: 2001:db8::/64 holds" in err, err.decode()[-2000:]


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


def _ptr_bytes() -> bytes:
    """Addresses, networks cut across partitions (v4 and v6), reverse names,
    names, a bad network and skipped lines, as ``--type PTR`` reads them."""
    return "\n".join([
        z.A_ADDR, "192.0.2.0/24", "", "# comment", z.AAAA_ADDR, "2001:db8::/120",
        z.NO_PTR_V4, "192.0.2.0/33", "10.2.0.192.in-addr.arpa", z.A_NAME, "192.0.2.77/32",
        "  198.18.0.0/30  ", "bad..name.test", z.NO_PTR_V6,
    ]).encode() + b"\n"


PTR_INPUTS = 1 + 256 + 1 + 256 + 1 + 1 + 1 + 1 + 1 + 4 + 1 + 1  # 525


def _single_process_inputs(path: Path, **options: Any) -> list[dict[str, Any]]:
    """As ``aioresolve bulk --type PTR`` reads a file: networks expanded."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return asyncio.run(_resolve_file(input_texts(f, networks=True), **options))  # type: ignore[arg-type]


def _typed(record: dict[str, Any]) -> str:
    """A sortable text of :func:`_comparable` (fields may be None)."""
    return repr(_comparable(record))


def test_ptr_networks_and_several_types(client: Any, knot: KnotServer, tmp_path: Path) -> None:
    """``--type PTR,A`` of networks: a /24 and a v6 /120 cut inside by 50-input
    partitions (expanded on the workers, never written out), one result per
    input and type, the same records as one process."""
    path = tmp_path / "ptr.txt"
    path.write_bytes(_ptr_bytes())
    options = {"nameservers": [knot.address], "rtype": ("PTR", "A"), "concurrency": 50}
    summary = ad.resolve_files(client, path, tmp_path / "run", output=tmp_path / "out.jsonl",
                               partition_names=50, **options)
    expected = _single_process_inputs(path, **options)
    got = _read_jsonl(tmp_path / "out.jsonl")
    assert len(expected) == 2 * PTR_INPUTS
    assert sorted(map(_typed, got)) == sorted(map(_typed, expected))
    assert [(r["index"], r["type"]) for r in got] == [
        (i, t) for i in range(len(expected) // 2) for t in ("PTR", "A")]  # input order
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert any(p["skip"] for p in manifest["partitions"])  # a network was cut
    assert manifest["total"] == summary.names == len(expected) // 2
    assert sum(summary.counts.values()) == len(expected) and summary.types == ["PTR", "A"]
    by_input = {(r["input"], r["type"]): r for r in got}
    assert by_input[(z.A_ADDR, "PTR")]["records"] == [
        {"type": "PTR", "ttl": z.TTL, "name": z.A_NAME}]
    assert by_input[("192.0.2.0/33", "PTR")]["status"] == "ILLEGAL_INPUT"


def test_several_types_resume_exact(knot: KnotServer, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A partition with three types per input, run in this process: every
    checkpoint ends after an input's last type; a dead writer's file (beyond
    the checkpoint: half an input's types and a torn line) is continued
    exactly, asking only the inputs after the checkpoint."""
    from aioresolve.dask import _manifest, _task

    names = [z.bulk_name(i) for i in range(30)] + [z.NX_NAME, z.MX_NAME, "bad..name.test"]
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n")
    run_dir = tmp_path / "run"
    types = ["A", "AAAA", "MX"]
    options = {"rtype": types, "nameservers": [knot.address], "concurrency": 4}
    manifest = ad.plan_run(path, run_dir, partition_names=100, **options)
    part = manifest.partitions[0].to_dict()
    checkpoints: list[dict[str, Any]] = []
    real_write = _manifest.atomic_write

    def recording_write(target: str, data: bytes, *, durable: bool = True) -> None:
        if target.endswith(".ckpt"):
            checkpoints.append(json.loads(data))
        real_write(target, data, durable=durable)

    monkeypatch.setattr(_task, "atomic_write", recording_write)
    monkeypatch.setattr(_task._PartWriter, "flush_seconds", 0.0)  # a checkpoint per input
    task_options = {k: v for k, v in manifest.options.items() if k != "detail"}
    _task.run_partition(str(run_dir), part, "jsonl", "jsonl", "all", task_options)
    whole = (run_dir / "parts" / "part-00000.jsonl").read_bytes()
    lines = whole.splitlines(keepends=True)
    assert len(lines) == 3 * len(names) and len(checkpoints) >= 10
    for state in checkpoints:  # whole inputs only: 3 lines each
        assert whole[:state["bytes"]].count(b"\n") == 3 * state["inputs"]
        assert whole[:state["bytes"]].endswith(b"\n")
    # A writer that died after 12 inputs were checkpointed and 2 lines more were written.
    kept = 12
    prefix = b"".join(lines[:3 * kept])
    (run_dir / "parts" / "part-00000.partial").write_bytes(
        prefix + lines[3 * kept] + lines[3 * kept + 1] + lines[3 * kept + 2][:9])
    counts: dict[str, int] = {}
    for line in lines[:3 * kept]:
        status = json.loads(line)["status"]
        counts[status] = counts.get(status, 0) + 1
    (run_dir / "parts" / "part-00000.ckpt").write_text(
        json.dumps({"inputs": kept, "bytes": len(prefix), "counts": counts}))
    (run_dir / "parts" / "part-00000.jsonl").unlink()
    (run_dir / "parts" / "part-00000.json").unlink()
    stats = _task.run_partition(str(run_dir), part, "jsonl", "jsonl", "all", task_options)
    again = (run_dir / "parts" / "part-00000.jsonl").read_bytes()
    assert again.startswith(prefix) and stats["resumed_from"] == kept
    records = [json.loads(line) for line in again.splitlines()]
    assert [(r["index"], r["type"]) for r in records] == [
        (i, t) for i in range(len(names)) for t in types]
    assert sorted(map(_typed, records)) == sorted(
        _typed(json.loads(line)) for line in lines)
    assert sum(stats["counts"].values()) == 3 * len(names)


def test_dataframe_columns_and_qps_split(client: Any, knot: KnotServer, tmp_path: Path) -> None:
    """``read_bag(run).to_dataframe()``: the JSONL schema's columns, one row
    per input; and ``qps`` is the whole run's budget, split over the tasks
    that run at once (two workers: half each)."""
    import importlib.util

    if importlib.util.find_spec("pandas") is None:
        unavailable("pandas is not installed (the dev extra installs dask[dataframe])")
    names = [z.bulk_name(i) for i in range(40)] + [z.NX_NAME, "bad..name.test", z.bulk_name(0)]
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names) + "\n")
    summary = ad.resolve_files(client, path, tmp_path / "run", partition_names=10,
                               nameservers=[knot.address], qps=4000)
    df = ad.read_dataframe(summary.run_dir).compute()
    assert list(df.columns) == list(ad.RECORD_COLUMNS)
    assert len(df) == len(names) and sorted(df["index"]) == list(range(len(names)))
    row = df.set_index("index").loc[len(names) - 1]
    assert row["input"] == z.bulk_name(0) and row["status"] == "NOERROR"
    assert list(row["addresses"]) == [z.bulk_address(0)]
    assert set(df["status"]) == {"NOERROR", "NXDOMAIN", "ILLEGAL_INPUT"}
    # The in-memory bag has the same columns.
    bag = ad.resolve_names(names[:5], partition_names=2, nameservers=[knot.address])
    frame = client.compute(bag.to_dataframe(meta=ad.RECORD_DTYPES)).result()
    assert list(frame.columns) == list(ad.RECORD_COLUMNS) and len(frame) == 5
    # ttl: the nullable Int64 (the illegal line has none; NXDOMAIN its negative TTL)
    assert str(df["ttl"].dtype) == "Int64"
    assert list(df[df["ttl"].isna()]["status"]) == ["ILLEGAL_INPUT"]
    qps = {json.loads(p.read_text())["qps"] for p in (tmp_path / "run" / "parts").glob("*.json")}
    assert qps == {2000.0}


def _cli_records(out: bytes) -> list[str]:
    return sorted(_typed(json.loads(line)) for line in out.splitlines())


def test_cli_types_ptr_and_per_partition(client: Any, knot: KnotServer, tmp_path: Path) -> None:
    """``--type PTR,AAAA`` of networks on the module's cluster: the records
    of the single-process command; ``--per-partition -o DIR`` leaves one file
    per partition there, which together hold the same records."""
    path = tmp_path / "ptr.txt"
    path.write_bytes(_ptr_bytes())
    args = [str(path), "--server", knot.address, "--type", "PTR,AAAA", "--no-progress"]
    single = _cli(args)
    try:
        expected, err = single.communicate(timeout=120)
    finally:
        _stop_group(single)
    assert single.returncode == 0, err.decode()[-2000:]
    dist = _cli([*args, "--scheduler", client.scheduler.address])
    try:
        got, err = dist.communicate(timeout=120)
    finally:
        _stop_group(dist)
    assert dist.returncode == 0, err.decode()[-2000:]
    assert _cli_records(got) == _cli_records(expected)
    assert f"{len(expected.splitlines()):,} lookups in".encode() in err

    from aioresolve._cli import build_parser

    _, unknown = build_parser().parse_known_args(["bulk", "x", "--per-partition"])
    if unknown:
        pytest.skip("the CLI has no --per-partition yet (asked of aioresolve/_cli.py)")
    run_dir = tmp_path / "parts-run"
    per = _cli([*args, "--scheduler", client.scheduler.address, "--per-partition",
                "-o", str(run_dir)], partition=50)
    try:
        out, err = per.communicate(timeout=120)
    finally:
        _stop_group(per)
    assert per.returncode == 0 and out == b"", err.decode()[-2000:]
    files = sorted((run_dir / "parts").glob("part-*.jsonl"))
    assert len(files) == 11 and b"one file per partition" in err  # 525 inputs, 50 a part
    assert _cli_records(b"".join(f.read_bytes() for f in files)) == _cli_records(expected)
    assert not (tmp_path / "parts-run.dask").exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    refused = _cli([*args, "--scheduler", client.scheduler.address, "--per-partition",
                    "-o", str(tmp_path / "other")])
    _, err = refused.communicate(timeout=60)
    _stop_group(refused)
    assert refused.returncode == 2 and b"other files" in err
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"


def test_plan_ptr_networks_by_range(tmp_path: Path) -> None:
    """No cluster: a network the size of an IPv4 /8 (an IPv6 /104 here) is
    planned as 336 sub-ranges without being written out, the partitions'
    inputs are exactly the single-process expansion, and a bigger network is
    refused with the file and line."""
    import random

    from aioresolve.bulk._input import expand_networks, file_line
    from aioresolve.dask._partition import partition_inputs, plan_partitions

    path = tmp_path / "sweep.txt"
    path.write_text("# a sweep\n2001:db8::/104\n")
    parts, total = plan_partitions([str(path)], 50_000, networks=True)
    assert total == 1 << 24 and len(parts) == 336
    assert [p.skip for p in parts[:3]] == [0, 50_000, 100_000]
    size = len(path.read_bytes())  # the first partition has the comment line too
    assert (parts[0].start, parts[0].end) == (0, size)
    assert {(p.start, p.end, p.first_line) for p in parts[1:]} == {(10, size, 1)}
    source, inputs = partition_inputs(parts[-1])
    assert inputs is not None
    last = list(inputs)
    source.close()
    assert len(last) == (1 << 24) - 335 * 50_000 and last[-1] == "2001:db8::ff:ffff"
    path.write_text("a.test\n2001:db8::/103\n")
    with pytest.raises(ad.NetworkTooLarge, match=r"line 2: 2001:db8::/103 holds 33,554,432"):
        plan_partitions([str(path)], 50_000, networks=True)

    # Random files of names, networks, bad networks, comments and lone CRs:
    # the partitions' inputs, in order, are the file's inputs.
    pieces = [b"a.test", b"", b"# c", b"192.0.2.0/30", b"198.18.0.0/28", b" 2001:db8::/126 ",
              b"192.0.2.5", b"192.0.2.0/33", b"bad/name", b"x\ry", b"192.0.2.0/29\r198.18.1.0/30",
              b"192.0.2.7/32", b"\xff/\xfe", b"  \t"]
    rng = random.Random(14)
    for trial in range(150):
        data = b"\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        path.write_bytes(data + (b"\n" if trial % 2 else b""))
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            texts = [t for t in map(file_line, f) if t is not None]
        for networks in (True, False):
            size = rng.randint(1, 12)
            parts, total = plan_partitions([str(path)], size, networks=networks)
            got: list[str] = []
            for part in parts:
                source, inputs = partition_inputs(part)
                items = list(inputs) if inputs is not None else [
                    t for t in map(file_line, source) if t is not None]
                source.close()
                assert len(items) == part.names and (not networks or part.names <= size)
                got += items
            expected = list(expand_networks(texts, limit=1 << 20)) if networks else texts
            assert got == expected and total == len(expected), (data, networks, size)


def test_ptr_partition_resume_exact(dnsdist: DnsdistServer, tmp_path: Path) -> None:
    """A partition that starts inside a network (``skip``), continued after a
    dead writer's checkpoint: the same records as one uninterrupted attempt,
    the checkpointed addresses not asked again."""
    from aioresolve.dask import _task

    path = tmp_path / "ptr.txt"
    path.write_text(f"{z.A_ADDR}\n192.0.2.0/24\n{z.AAAA_ADDR}\n")
    run_dir = tmp_path / "run"
    manifest = ad.plan_run(path, run_dir, partition_names=100, rtype="PTR",
                           nameservers=[dnsdist.address], concurrency=20)
    part = manifest.partitions[1]
    assert (part.skip, part.names, part.first_index) == (99, 100, 100)
    options = {k: v for k, v in manifest.options.items() if k != "detail"}
    _task.run_partition(str(run_dir), part.to_dict(), "jsonl", "jsonl", "all", options)
    final = run_dir / "parts" / "part-00001.jsonl"
    whole = final.read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["input"] for line in whole] == [
        f"192.0.2.{i}" for i in range(99, 199)]
    kept = 40
    (run_dir / "parts" / "part-00001.partial").write_bytes(b"".join(whole[:kept + 3]))
    counts: dict[str, int] = {}
    for line in whole[:kept]:
        status = json.loads(line)["status"]
        counts[status] = counts.get(status, 0) + 1
    (run_dir / "parts" / "part-00001.ckpt").write_text(json.dumps(
        {"inputs": kept, "bytes": len(b"".join(whole[:kept])), "counts": counts}))
    final.unlink()
    (run_dir / "parts" / "part-00001.json").unlink()
    before = dnsdist.query_counts()
    stats = _task.run_partition(str(run_dir), part.to_dict(), "jsonl", "jsonl", "all", options)
    after = dnsdist.query_counts()
    asked = {name for name, n in after.items() if n > before.get(name, 0)}
    assert asked == {f"{i}.2.0.192.in-addr.arpa" for i in range(99 + kept, 199)}
    again = [json.loads(line) for line in final.read_bytes().splitlines()]
    assert stats["resumed_from"] == kept and sum(stats["counts"].values()) == 100
    assert [r["index"] for r in again] == list(range(100, 200))
    assert sorted(map(_typed, again)) == sorted(_typed(json.loads(line)) for line in whole)
