"""aioresolve.dask on a real ``distributed.LocalCluster`` of worker processes,
against the rig's knot (and dnsdist's faults) on loopback: the same records
as a single-process run, exactly one per input through a SIGKILLed worker;
CSV output and the names bag; PTR sweeps of networks with several types; the
dataframe's columns and the split of ``qps``; and the command line on that
cluster (``--scheduler``: stdin to stdout, ``--type PTR,AAAA``,
``--per-partition``).

Every test of this module shares one cluster (the ``client`` fixture, module
scope, started by the first test that asks for it): the tests that need no
cluster of this process are in ``tests/test_dask_driver.py`` (the command
starting its own) and ``tests/test_dask_partitions.py`` (no cluster at all),
so splitting them off started no second cluster.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from aioresolve._cli_inputs import input_texts
from aioresolve.bulk import resolve_many
from tests._dask_helpers import (
    cli,
    comparable,
    kill_checkpointed_worker,
    read_jsonl,
    stop_group,
    typed,
)
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer, unavailable

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
ad = pytest.importorskip("aioresolve.dask")


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


async def _resolve_file(f: IO[str], **options: Any) -> list[dict[str, Any]]:
    async with resolve_many(f, **options) as run:
        return [r.to_dict() async for r in run]


def _single_process(path: Path, **options: Any) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:  # as the CLI opens it
        return asyncio.run(_resolve_file(f, **options))


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
    got = read_jsonl(tmp_path / "out.jsonl")
    assert [r["index"] for r in got] == list(range(len(expected)))  # input order, once each
    assert sorted(map(comparable, got)) == sorted(map(comparable, expected))
    statuses = {r["status"] for r in got}
    assert {"NOERROR", "NXDOMAIN", "NODATA", "ILLEGAL_INPUT", "TIMEOUT", "SERVFAIL",
            "REFUSED"} <= statuses
    assert summary.names == len(expected) and summary.partitions > 5
    assert sum(summary.counts.values()) == len(expected)
    # The per-partition files hold the same records; the bag reads them back.
    bag_records = ad.read_bag(summary.run_dir).compute()
    assert sorted(map(comparable, bag_records)) == sorted(map(comparable, expected))
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
        caught = kill_checkpointed_worker(client, run_dir, 100)
        if caught is not None:
            killed.append(caught[0])

    # qps paces the run (~5 s) so that the kill lands mid-partition.
    summary = ad.resolve_files(client, path, run_dir, output=tmp_path / "out.jsonl",
                               partition_names=1000, qps=800, nameservers=[knot.address],
                               progress=kill_a_writer, poll=0.05)
    assert killed, "no partition was caught running"
    got = read_jsonl(tmp_path / "out.jsonl")
    assert [r["index"] for r in got] == list(range(count))
    assert all(r["status"] == "NOERROR" and r["addresses"] == [z.bulk_address(r["index"])]
               for r in got)
    assert summary.counts[ad_status("NOERROR")] == count
    stats = json.loads((run_dir / "parts" / f"part-{killed[0]:05d}.json").read_text())
    assert stats["resumed_from"] >= 100  # the retry continued after the checkpoint


def ad_status(name: str) -> Any:
    from aioresolve.bulk import Status

    return Status(name)


def test_cli_scheduler_stdin_to_stdout(client: Any, knot: KnotServer) -> None:
    """--scheduler ADDRESS (the module's cluster), names on stdin, text on stdout."""
    names = [z.bulk_name(i) for i in range(50)] + [z.NX_NAME, "", "# c", z.bulk_name(0)]
    proc = cli(["-", "--server", knot.address, "--scheduler", client.scheduler.address,
                "--format", "text", "--progress"], stdin=subprocess.PIPE)
    try:
        out, err = proc.communicate("\n".join(names).encode() + b"\n", timeout=120)
    finally:
        stop_group(proc)
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
    got = read_jsonl(tmp_path / "out.jsonl")
    assert len(expected) == 2 * PTR_INPUTS
    assert sorted(map(typed, got)) == sorted(map(typed, expected))
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
    return sorted(typed(json.loads(line)) for line in out.splitlines())


def test_cli_types_ptr_and_per_partition(client: Any, knot: KnotServer, tmp_path: Path) -> None:
    """``--type PTR,AAAA`` of networks on the module's cluster: the records
    of the single-process command; ``--per-partition -o DIR`` leaves one file
    per partition there, which together hold the same records."""
    path = tmp_path / "ptr.txt"
    path.write_bytes(_ptr_bytes())
    args = [str(path), "--server", knot.address, "--type", "PTR,AAAA", "--no-progress"]
    single = cli(args)
    try:
        expected, err = single.communicate(timeout=120)
    finally:
        stop_group(single)
    assert single.returncode == 0, err.decode()[-2000:]
    dist = cli([*args, "--scheduler", client.scheduler.address])
    try:
        got, err = dist.communicate(timeout=120)
    finally:
        stop_group(dist)
    assert dist.returncode == 0, err.decode()[-2000:]
    assert _cli_records(got) == _cli_records(expected)
    assert f"{len(expected.splitlines()):,} lookups in".encode() in err

    from aioresolve._cli import build_parser

    _, unknown = build_parser().parse_known_args(["bulk", "x", "--per-partition"])
    if unknown:
        pytest.skip("the CLI has no --per-partition yet (asked of aioresolve/_cli.py)")
    run_dir = tmp_path / "parts-run"
    per = cli([*args, "--scheduler", client.scheduler.address, "--per-partition",
               "-o", str(run_dir)], partition=50)
    try:
        out, err = per.communicate(timeout=120)
    finally:
        stop_group(per)
    assert per.returncode == 0 and out == b"", err.decode()[-2000:]
    files = sorted((run_dir / "parts").glob("part-*.jsonl"))
    assert len(files) == 11 and b"one file per partition" in err  # 525 inputs, 50 a part
    assert _cli_records(b"".join(f.read_bytes() for f in files)) == _cli_records(expected)
    assert not (tmp_path / "parts-run.dask").exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("mine")
    refused = cli([*args, "--scheduler", client.scheduler.address, "--per-partition",
                   "-o", str(tmp_path / "other")])
    _, err = refused.communicate(timeout=60)
    stop_group(refused)
    assert refused.returncode == 2 and b"other files" in err
    assert (tmp_path / "other" / "keep.txt").read_text() == "mine"
