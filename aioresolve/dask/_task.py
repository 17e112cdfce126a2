"""One partition on one worker: resolve it with :func:`aioresolve.resolve_many`
and write its output so that, whatever happens to the process, the partition
ends up with exactly one record per input.

How (see :mod:`._manifest` for the file names):

* results come in input order (``ordered=True``), so what is on disk is always
  a prefix of the partition; every ``flush_seconds`` the writer appends whole
  records (the CLI's line writer: ``aioresolve bulk``'s bytes) to
  ``part-N.partial``, then replaces ``part-N.ckpt`` with the inputs, bytes
  and statuses written;
* an attempt that finds a ``.partial`` it can lock (``flock``: the previous
  writer is dead, locks die with their process) cuts it back to the
  checkpoint's bytes and resumes after the checkpoint's inputs (the skipped
  ones are read, not asked); one that cannot lock it (a writer still alive,
  e.g. a worker the scheduler gave up on) writes a private file from scratch;
* at the end: fsync, the counts to ``part-N.json``, then an atomic rename to
  ``part-N.<ext>``.  Two attempts that both finish each rename a whole
  output, so the last rename wins and nothing is doubled.

Results carry global indexes: ``resolve_many`` numbers a partition's inputs
from 0 and the writer adds the partition's first index.

This module knows nothing of the driver (:mod:`._run`) or of Dask itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from .._cli_output import Writer
from ..bulk import CSV_FIELDS, Result, Status, resolve_many, tuned_gc
from ..bulk._input import file_line
from ._manifest import atomic_write, fsync_dir, part_path
from ._partition import Partition, partition_inputs

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no adoption of partial files
    fcntl = None  # type: ignore[assignment]

__all__ = ["partition_status", "run_partition"]

_INDEX = CSV_FIELDS.index("index")

#: One partition at a time per process: a worker with several threads
#: (``dask worker`` defaults to one per core) would otherwise run several
#: event loops in one process, which buys nothing (they share the
#: interpreter lock) and crashed the compiled UDP batch I/O (module-level
#: buffers filled with the GIL released: a bus error 1 run in 3 with two
#: threads).  The other tasks wait for the lock on their threads.
_ONE_LOOP = threading.Lock()

def _keep_func(keep: str) -> Callable[[Result], bool] | None:
    if keep == "ok":
        return lambda result: result.ok
    if keep == "failed":
        return lambda result: not result.ok
    return None


class _Renumbered:
    """A :class:`Result` seen with its global index, as the CLI's writer reads
    it.  A proxy, because ``dataclasses.replace`` costs about twice what
    encoding the record does (timeit on the 2-core box)."""

    __slots__ = ("_result", "index")

    def __init__(self, result: Result, index: int) -> None:
        self._result = result
        self.index = index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._result, name)

    def to_dict(self) -> dict[str, Any]:
        data = self._result.to_dict()
        data["index"] = self.index
        return data

    def to_detail_dict(self, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = self._result.to_detail_dict(**kwargs)
        data["index"] = self.index
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def csv_row(self) -> list[str]:
        row = self._result.csv_row()
        row[_INDEX] = str(self.index)
        return row


class _PartWriter:
    """Writes a partition's records through the CLI's line writer (the same
    jsonl/csv/text bytes as ``aioresolve bulk``) and checkpoints after each
    batch: the checkpoint's byte count always ends a whole record."""

    flush_seconds = 0.5

    def __init__(self, fd: int, ckpt: str, *, fmt: str, offset: int, keep: str, detail: bool,
                 inputs: int, size: int, counts: dict[str, int],
                 types: tuple[str, ...] = ("A",)) -> None:
        self.fd = fd
        self.ckpt = ckpt
        self.offset = offset
        self.inputs = inputs
        self.size = size
        self._counts = dict.fromkeys(Status, 0)
        for name, n in counts.items():
            self._counts[Status(name)] += n
        #: results per input (one per record type); a checkpoint falls only
        #: after an input's last one, so a resume skips whole inputs
        self.per = len(types)
        self._results = 0
        self._lines = Writer(fd, fmt, header=size == 0, keep=_keep_func(keep), detail=detail,
                             types=types)
        self._lines.flush()  # the CSV header of a new file
        self._flushed_inputs = inputs
        self._since = time.monotonic()

    @property
    def records(self) -> int:
        return int(self._lines.written)

    @property
    def counts(self) -> dict[str, int]:
        """Results written so far (resumed ones included), per status name."""
        return {status.value: n for status, n in self._counts.items() if n}

    def add_batch(self, batch: list[Result]) -> None:
        """Write a batch of results (in input order)."""
        if self.per > 1:  # checkpoints at input boundaries: result by result
            for result in batch:
                self.add(result)
            return
        counts = self._counts
        write = self._lines.write
        offset = self.offset
        for result in batch:
            counts[result.status] += 1
            write(cast(Result, _Renumbered(result, result.index + offset)))
        self.inputs += len(batch)
        if time.monotonic() - self._since > self.flush_seconds:
            self.flush()

    def add(self, result: Result) -> None:
        """Write one result (in input order)."""
        self._counts[result.status] += 1
        self._lines.write(cast(Result, _Renumbered(result, result.index + self.offset)))
        if self.per == 1:
            self.inputs += 1
        else:
            self._results += 1
            if self._results % self.per:
                return  # the input's other types are still to come
            self.inputs += 1
        if time.monotonic() - self._since > self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the whole records pending, then checkpoint (the checkpoint
        always ends after the last type of an input: written and not yet
        checkpointed records are cut off and redone by a resume)."""
        self._since = time.monotonic()
        self._lines.flush()
        if self.inputs != self._flushed_inputs and not self._results % self.per:
            self._flushed_inputs = self.inputs
            self.size = os.lseek(self.fd, 0, os.SEEK_CUR)
            state = {"inputs": self.inputs, "bytes": self.size, "counts": self.counts}
            atomic_write(self.ckpt, json.dumps(state).encode(), durable=False)


def _read_ckpt(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    return state


def _lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def partition_status(run_dir: str, number: int) -> dict[str, Any] | None:
    """The counts of a finished partition, or ``None`` when it is not finished."""
    try:
        with open(part_path(run_dir, number, "json"), encoding="utf-8") as f:
            stats: dict[str, Any] = json.load(f)
    except (OSError, ValueError):
        return None
    return stats


async def _resolve(part: Partition, writer: _PartWriter, options: dict[str, Any],
                   skip: int) -> None:
    source, inputs = partition_inputs(part)
    if inputs is None:  # a file's lines as resolve_many reads a file: blank and # skipped
        inputs = (text for text in map(file_line, source) if text is not None)

    async def flush_now_and_then() -> None:  # a slow tail still checkpoints
        while True:
            await asyncio.sleep(writer.flush_seconds)
            writer.flush()

    ticker = asyncio.create_task(flush_now_and_then())
    try:
        # Ordered, with a window of the whole partition: a slow name (a
        # timeout) at the head holds results back in memory (bounded by the
        # partition), never the lookups behind it.
        window = max(part.names, 8 * int(options.get("concurrency", 100))) * writer.per
        # (The stream opens slowly by itself: no opening burst of
        # ``concurrency`` queries for a server to drop; see stream.OPENING.)
        run = resolve_many(inputs, ordered=True, window=window,
                           skip=(lambda i, _t: i < skip) if skip else None, **options)
        async with run:
            async for batch in run.batches():
                writer.add_batch(batch)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        source.close()


def _types(options: dict[str, Any]) -> tuple[str, ...]:
    rtype = options.get("rtype", "A")
    return (rtype,) if isinstance(rtype, str) else tuple(rtype)


def run_partition(run_dir: str, part_dict: dict[str, Any], fmt: str, ext: str, keep: str,
                  options: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    """Resolve one partition into ``run_dir/parts`` (a Dask task); returns its
    counts (also written to ``part-N.json``).  Idempotent: a partition already
    finished is not redone."""
    with _ONE_LOOP:
        return _run_partition(run_dir, part_dict, fmt, ext, keep, options, detail)


def _run_partition(run_dir: str, part_dict: dict[str, Any], fmt: str, ext: str, keep: str,
                   options: dict[str, Any], detail: bool) -> dict[str, Any]:
    part = Partition.from_dict(part_dict)
    final = part_path(run_dir, part.number, ext)
    stats_path = part_path(run_dir, part.number, "json")
    done = partition_status(run_dir, part.number)
    if done is not None and os.path.exists(final):
        return done
    started = time.monotonic()
    cpu = time.process_time()
    thread_cpu = time.thread_time()
    attempt = uuid.uuid4().hex[:12]
    shared = part_path(run_dir, part.number, "partial")
    fd = os.open(shared, os.O_RDWR | os.O_CREAT, 0o644)
    ckpt = part_path(run_dir, part.number, "ckpt")
    if _lock(fd):
        path = shared
        done = partition_status(run_dir, part.number)
        if done is not None and os.path.exists(final):  # finished while we waited
            os.close(fd)
            return done
        state = _read_ckpt(ckpt)
        size = os.fstat(fd).st_size
        if state is None or not 0 <= int(state.get("bytes", -1)) <= size:
            state = {"inputs": 0, "bytes": 0, "counts": {}}
    else:  # another attempt is alive and writing: start a private file
        os.close(fd)
        path = part_path(run_dir, part.number, f"{attempt}.partial")
        ckpt = part_path(run_dir, part.number, f"{attempt}.ckpt")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        state = {"inputs": 0, "bytes": 0, "counts": {}}
    try:
        resumed = int(state["inputs"])
        os.ftruncate(fd, int(state["bytes"]))
        os.lseek(fd, 0, os.SEEK_END)
        types = _types(options)
        writer = _PartWriter(fd, ckpt, fmt=fmt, offset=part.first_index, keep=keep,
                             detail=detail, inputs=resumed, size=int(state["bytes"]),
                             counts=dict(state["counts"]), types=types)
        # The collector tuned as the CLI tunes it (process-wide: safe, one
        # partition at a time per process).
        with tuned_gc():
            asyncio.run(_resolve(part, writer, dict(options, rtype=types[0] if len(types) == 1
                                                    else types), resumed))
        writer.flush()
        if writer.inputs != part.names:
            raise RuntimeError(f"partition {part.number} of {part.path}: {writer.inputs} "
                               f"results for {part.names} names (input changed?)")
        os.fsync(fd)
        stats = {
            "number": part.number, "names": part.names, "counts": writer.counts,
            "records": writer.records, "resumed_from": resumed,
            "seconds": round(time.monotonic() - started, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "task_cpu_seconds": round(time.thread_time() - thread_cpu, 3), "attempt": attempt,
            "pid": os.getpid(), "qps": options.get("qps"),
        }
        atomic_write(stats_path, json.dumps(stats).encode())
        os.replace(path, final)
        fsync_dir(os.path.dirname(final))
        with contextlib.suppress(OSError):
            os.unlink(ckpt)
    finally:
        os.close(fd)
    return stats


def count_statuses(counts: dict[str, int]) -> dict[Status, int]:
    """``{"NOERROR": n}`` as ``{Status.NOERROR: n}`` (every status present)."""
    out = dict.fromkeys(Status, 0)
    for name, n in counts.items():
        out[Status(name)] += n
    return out
