"""aioresolve.dask's partitions, run in this process (no cluster): planning
PTR sweeps of networks by range (a /8-sized network without writing it out,
random files of names and networks), and continuing a dead writer's
partition exactly after its checkpoint (three types per input; a partition
that starts inside a network), asking only what is left.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._dask_helpers import typed
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
ad = pytest.importorskip("aioresolve.dask")


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
    assert sorted(map(typed, records)) == sorted(
        typed(json.loads(line)) for line in lines)
    assert sum(stats["counts"].values()) == 3 * len(names)


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
    assert sorted(map(typed, again)) == sorted(typed(json.loads(line)) for line in whole)
