"""The driver of a file run: plan (or resume) the run directory, submit one
task per unfinished partition to a :class:`distributed.Client`, follow the
workers' checkpoints for progress, and combine the finished partitions into
one output in input order.

Dask retries a task whose worker died (up to the scheduler's
``distributed.scheduler.allowed-failures``, 3 by default) and the task itself
(:mod:`._task`) makes the retry exact, so the driver only waits, reports and
combines.  It knows nothing of the CLI.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..bulk import CSV_FIELDS, Status
from ._manifest import Manifest, RunMismatch, fsync_dir
from ._partition import plan_partitions
from ._task import _read_ckpt, count_statuses, partition_status, run_partition

__all__ = ["DEFAULT_PARTITION_NAMES", "RunSummary", "combine_parts", "plan_run", "resolve_files",
           "run_types"]

#: Names per partition.  At 20-50k names/s per worker a partition is 1-2.5 s
#: of work: the per-task cost (Dask scheduling plus the task's own set-up,
#: 50-57 ms measured on the loaded, shared 2-core box, a few ms on a quiet
#: one) stays at 2-5% there and under 1% on a quiet machine, a 1M-name file
#: still makes 20 partitions to spread over the workers, and the last
#: partitions to finish (the tail where workers idle) are short.  A worker
#: crash costs far less than a partition: the retry resumes at the last
#: checkpoint (every 0.5 s).
DEFAULT_PARTITION_NAMES = 50_000

#: The options a partition task passes to :func:`aioresolve.resolve_many`.
_RUN_OPTIONS = ("rtype", "concurrency", "timeout", "attempts", "retry_on", "qps", "backend",
                "nameservers")
_KEEP = ("all", "ok", "failed")


@dataclasses.dataclass
class RunSummary:
    """What a run did.

    :ivar run_dir: the run directory.
    :ivar output: the combined output file (``None``: not combined).
    :ivar names: inputs of all files (a PTR run's networks counted as their
        addresses); each gets one record per record type, unless filtered.
    :ivar counts: records per :class:`~aioresolve.Status`, over the whole run
        (resumed parts included).
    :ivar session_counts: the same, for the names resolved by this call only.
    :ivar skipped: results (one per input and type) already done when this
        call started (resume).
    :ivar partitions: partitions of the run; :ivar resumed_partitions: those
        already finished when this call started.
    :ivar elapsed: seconds of this call.
    :ivar interrupted: ``True`` when stopped (KeyboardInterrupt) before the end.
    :ivar types: the record types asked of every input, in order.
    :ivar part_seconds: wall seconds of each finished partition's task
        (its last attempt); :ivar part_cpu_seconds: CPU seconds of its worker
        process meanwhile.
    """

    run_dir: str
    output: str | None
    names: int
    counts: dict[Status, int]
    session_counts: dict[Status, int]
    skipped: int
    partitions: int
    resumed_partitions: int
    elapsed: float
    interrupted: bool = False
    types: list[str] = dataclasses.field(default_factory=lambda: ["A"])
    part_seconds: list[float] = dataclasses.field(default_factory=list)
    part_cpu_seconds: list[float] = dataclasses.field(default_factory=list)

    @property
    def part_files(self) -> list[str]:
        """The finished partitions' files, in input order."""
        manifest = Manifest.read(self.run_dir)
        return [manifest.final_path(p.number) for p in manifest.partitions]


def _json_options(options: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(options) - set(_RUN_OPTIONS) - {"skip", "ordered", "window"}
    if unknown:
        raise TypeError(f"unsupported option(s) for a Dask run: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key in _RUN_OPTIONS:
        if key not in options or options[key] is None:
            continue
        value = options[key]
        if key == "retry_on":
            value = sorted(Status(s).value for s in value)
        elif key == "nameservers":
            value = [str(s) for s in value]
        out[key] = value
    rtype = out.get("rtype", "A")
    kinds = [rtype] if isinstance(rtype, str) else list(rtype)
    if not kinds or not all(isinstance(k, str) for k in kinds):
        raise TypeError("rtype must be a str or a sequence of str for a Dask run "
                        "(e.g. 'A', 'ADDR', ('A', 'AAAA', 'MX'))")
    types = list(dict.fromkeys(k.upper() for k in kinds))
    out["rtype"] = types[0] if len(types) == 1 else types
    return out


def run_types(options: Mapping[str, Any]) -> list[str]:
    """The record types of a run's (JSON) options, in order."""
    rtype = options.get("rtype", "A")
    return [rtype] if isinstance(rtype, str) else list(rtype)


def _cluster_slots(client: Any) -> int:
    """Partitions that can run at once: one per worker process (a process
    runs one partition at a time, whatever its threads: :mod:`._task`)."""
    try:
        return max(1, len(client.nthreads()))
    except Exception:  # a client without workers yet
        return 1


def _progress_counts(manifest: Manifest, finished: dict[int, dict[str, Any]]) -> dict[str, int]:
    """Statuses of every name done so far: finished partitions' counts plus
    the checkpoints of the others.  One directory listing finds the
    checkpoints (only running or interrupted partitions have one), so a poll
    of a run of thousands of partitions opens a file per running one only."""
    total: dict[str, int] = {}
    for stats in finished.values():
        for key, n in stats["counts"].items():
            total[key] = total.get(key, 0) + n
    try:
        names = os.listdir(os.path.join(manifest.run_dir, "parts"))
    except OSError:
        names = []
    count = len(manifest.partitions)
    for name in names:
        number_text = name[5:-5]
        if not (name.startswith("part-") and name.endswith(".ckpt") and number_text.isdigit()):
            continue  # not a checkpoint, or a private attempt's (part-N.<attempt>.ckpt)
        number = int(number_text)
        if number in finished or number >= count:
            continue
        state = _read_ckpt(os.path.join(manifest.run_dir, "parts", name))
        for key, n in (state.get("counts", {}) if state else {}).items():
            total[key] = total.get(key, 0) + n
    return total


def combine_parts(manifest: Manifest, output: str) -> None:
    """Concatenate the finished partitions into ``output`` in input order
    (CSV: one header), atomically (temporary file, fsync, rename)."""
    out_dir = os.path.dirname(os.path.abspath(output))
    tmp = os.path.join(out_dir, f".{os.path.basename(output)}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as dst:
        if manifest.format == "csv" and not manifest.partitions:  # no names: the header
            dst.write((",".join(CSV_FIELDS) + "\n").encode())
        for n, part in enumerate(manifest.partitions):
            with open(manifest.final_path(part.number), "rb") as src:
                if manifest.format == "csv" and n:
                    src.readline()  # each part has the header; the output keeps the first
                shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, output)
    fsync_dir(out_dir)


def plan_run(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    run_dir: str | os.PathLike[str],
    *,
    fmt: str = "jsonl",
    keep: str = "all",
    resume: bool = False,
    partition_names: int = DEFAULT_PARTITION_NAMES,
    detail: bool = False,
    **options: Any,
) -> Manifest:
    """Plan a run into ``run_dir`` (or, with ``resume``, check the one there):
    the manifest, written; no Dask needed.  :func:`resolve_files` does this
    first; the CLI does it before starting a cluster, so that a bad input is
    a usage error at once.

    :raises RunMismatch: as :func:`resolve_files`.
    :raises NetworkTooLarge: a PTR run's network is too big to expand.
    """
    if fmt not in ("jsonl", "csv", "text"):
        raise ValueError(f"fmt must be 'jsonl', 'csv' or 'text', not {fmt!r}")
    if keep not in _KEEP:
        raise ValueError(f"keep must be one of {_KEEP}, not {keep!r}")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = [os.path.abspath(os.fspath(p)) for p in paths]
    run_dir = os.path.abspath(os.fspath(run_dir))
    opts = _json_options(options)
    opts["detail"] = bool(detail)
    manifest: Manifest | None = None
    if os.path.exists(os.path.join(run_dir, "manifest.json")):
        if not resume:
            raise RunMismatch(f"{run_dir} already holds a run: resume it, or use a new directory")
        manifest = Manifest.read(run_dir)
        manifest.check_resume(files, fmt, keep, opts)
        manifest.options = opts
    if manifest is None:
        os.makedirs(run_dir, exist_ok=True)
        parts, total = plan_partitions(files, partition_names,
                                       networks="PTR" in run_types(opts))
        manifest = Manifest.create(run_dir, files, parts, total, fmt, opts, keep)
    manifest.write()
    return manifest


def resolve_files(
    client: Any,
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    run_dir: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    fmt: str = "jsonl",
    keep: str = "all",
    resume: bool = False,
    partition_names: int = DEFAULT_PARTITION_NAMES,
    detail: bool = False,
    retries: int = 2,
    progress: Callable[[int, int, dict[Status, int]], None] | None = None,
    poll: float = 0.25,
    **options: Any,
) -> RunSummary:
    """Resolve the names of text files on the workers of ``client``, exactly
    once each, into ``run_dir``; see :func:`aioresolve.dask.resolve_files`."""
    started = time.monotonic()
    manifest = plan_run(paths, run_dir, fmt=fmt, keep=keep, resume=resume,
                        partition_names=partition_names, detail=detail, **options)
    run_dir = manifest.run_dir
    opts = manifest.options
    if output is not None and not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise FileNotFoundError(f"the directory of {output} does not exist")
    manifest.scan_done()
    manifest.write()
    finished: dict[int, dict[str, Any]] = {}
    for number in manifest.done:
        stats = partition_status(run_dir, number)
        if stats is not None:
            finished[number] = stats
    start_counts = _progress_counts(manifest, finished)
    per = len(run_types(opts))  # results per input
    skipped = sum(start_counts.values())
    resumed_parts = len(finished)
    pending = [p for p in manifest.partitions if p.number not in finished]

    task_opts = dict(opts)
    del task_opts["detail"]
    if opts.get("qps"):  # a budget for the whole run: split over the tasks running at once
        task_opts["qps"] = opts["qps"] / max(1, min(_cluster_slots(client), len(pending)))
    tag = uuid.uuid4().hex[:8]
    futures = {
        client.submit(run_partition, run_dir, p.to_dict(), fmt, manifest.ext, keep, task_opts,
                      bool(detail),
                      key=f"aioresolve-part-{p.number:05d}-{tag}", pure=False,
                      retries=retries): p.number
        for p in pending
    }
    interrupted = False
    last_write = time.monotonic()
    try:
        while futures:
            for future in [f for f in futures if f.done()]:
                number = futures.pop(future)
                finished[number] = future.result()  # raises the task's error, if any
                manifest.done.add(number)
            if progress is not None:
                now = _progress_counts(manifest, finished)
                progress(sum(now.values()) - skipped, manifest.total * per - skipped,
                         {s: n - start_counts.get(s.value, 0)
                          for s, n in count_statuses(now).items()})
            if futures and time.monotonic() - last_write > 2.0:
                manifest.write()
                last_write = time.monotonic()
            if futures:
                time.sleep(poll)
    except KeyboardInterrupt:
        interrupted = True
        client.cancel(list(futures), force=True)
    except BaseException:  # a partition failed for good: stop the others
        client.cancel(list(futures), force=True)
        raise
    finally:
        manifest.write()
    counts = count_statuses(_progress_counts(manifest, finished))
    session = {s: counts[s] - start_counts.get(s.value, 0) for s in Status}
    out: str | None = None
    if not interrupted and output is not None:
        out = os.path.abspath(os.fspath(output))
        combine_parts(manifest, out)
    return RunSummary(
        run_dir=run_dir, output=out, names=manifest.total, counts=counts,
        session_counts=session, skipped=skipped, partitions=len(manifest.partitions),
        resumed_partitions=resumed_parts, elapsed=time.monotonic() - started,
        interrupted=interrupted, types=run_types(opts),
        part_seconds=[float(s.get("seconds", 0.0)) for s in finished.values()],
        part_cpu_seconds=[float(s.get("cpu_seconds", 0.0)) for s in finished.values()],
    )

