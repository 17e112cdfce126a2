"""The run directory: its layout, the manifest, atomic writes.

Layout of a run directory::

    manifest.json           what the run is: inputs, partitions, options, done
    parts/part-00000.jsonl  a finished partition (its records, input order)
    parts/part-00000.json   its counts per status (written before the rename)
    parts/part-00000.partial  a partition being written (whole records)
    parts/part-00000.ckpt   how much of the .partial is whole: inputs, bytes, counts
    output.jsonl            the combined output, when asked for (or --output)

A finished partition exists only under its final name, put there by an
atomic rename after an fsync, so it is either whole or absent.  The manifest
is rewritten (also atomically) as partitions finish; the part files are the
truth, the manifest's ``done`` list a summary of them.

This module knows nothing of Dask or of the bulk engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from typing import Any

from ._partition import Partition

__all__ = [
    "FORMAT_EXT",
    "MANIFEST",
    "Manifest",
    "RunMismatch",
    "atomic_write",
    "fsync_dir",
    "part_path",
]

MANIFEST = "manifest.json"
VERSION = 1
FORMAT_EXT = {"jsonl": "jsonl", "csv": "csv", "text": "txt"}


class RunMismatch(ValueError):
    """``resume`` was asked of a run directory made for other inputs or options."""


def fsync_dir(path: str) -> None:
    """Make a rename inside ``path`` durable (no-op where directories can't be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename
    (``durable``: fsync the file before and the directory after)."""
    tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)
    if durable:
        fsync_dir(os.path.dirname(path) or ".")


def part_path(run_dir: str, number: int, suffix: str) -> str:
    """``run_dir/parts/part-NNNNN.suffix``."""
    return os.path.join(run_dir, "parts", f"part-{number:05d}.{suffix}")


def _input_stat(path: str) -> dict[str, Any]:
    st = os.stat(path)
    return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


class Manifest:
    """The manifest of a run directory (``manifest.json``).

    :ivar inputs: ``{"path", "size", "mtime_ns"}`` of each input file, in order.
    :ivar partitions: the :class:`Partition` list (byte and line offsets,
        first global index, names).
    :ivar total: names of all inputs.
    :ivar format: ``"jsonl"``, ``"csv"`` or ``"text"``.
    :ivar options: the :func:`aioresolve.resolve_many` options (JSON form).
    :ivar keep: ``"all"``, ``"ok"`` or ``"failed"``: which records are written.
    :ivar done: numbers of the partitions known finished.
    """

    def __init__(self, run_dir: str, *, inputs: list[dict[str, Any]],
                 partitions: list[Partition], total: int, fmt: str,
                 options: dict[str, Any], keep: str, done: list[int] | None = None) -> None:
        self.run_dir = run_dir
        self.inputs = inputs
        self.partitions = partitions
        self.total = total
        self.format = fmt
        self.options = options
        self.keep = keep
        self.done: set[int] = set(done or ())

    @property
    def path(self) -> str:
        return os.path.join(self.run_dir, MANIFEST)

    @property
    def ext(self) -> str:
        return FORMAT_EXT[self.format]

    def final_path(self, number: int) -> str:
        """Where partition ``number``'s finished output is."""
        return part_path(self.run_dir, number, self.ext)

    @classmethod
    def create(cls, run_dir: str, paths: list[str], partitions: list[Partition], total: int,
               fmt: str, options: dict[str, Any], keep: str) -> Manifest:
        """A new manifest for ``paths`` (not yet written)."""
        return cls(run_dir, inputs=[_input_stat(p) for p in paths], partitions=partitions,
                   total=total, fmt=fmt, options=options, keep=keep)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "inputs": self.inputs,
            "total": self.total,
            "format": self.format,
            "keep": self.keep,
            "options": self.options,
            "partitions": [p.to_dict() for p in self.partitions],
            "done": sorted(self.done),
        }

    def write(self) -> None:
        """Write (replace) ``manifest.json`` atomically."""
        os.makedirs(os.path.join(self.run_dir, "parts"), exist_ok=True)
        data = json.dumps(self.to_dict(), indent=1).encode()
        atomic_write(self.path, data)

    @classmethod
    def read(cls, run_dir: str) -> Manifest:
        """The manifest of ``run_dir`` (``FileNotFoundError`` when there is none)."""
        with open(os.path.join(run_dir, MANIFEST), encoding="utf-8") as f:
            data = json.load(f)
        if data.get("version") != VERSION:
            raise RunMismatch(f"{run_dir}: manifest version {data.get('version')!r}, "
                              f"this aioresolve writes {VERSION}")
        return cls(run_dir, inputs=data["inputs"],
                   partitions=[Partition.from_dict(p) for p in data["partitions"]],
                   total=data["total"], fmt=data["format"], options=data["options"],
                   keep=data["keep"], done=data["done"])

    def check_resume(self, paths: list[str], fmt: str, keep: str,
                     options: dict[str, Any]) -> None:
        """Raise :class:`RunMismatch` unless resuming with ``paths``, ``fmt``,
        ``keep`` and the record type continues this run (same files, unchanged)."""
        now = [_input_stat(p) for p in paths]
        if now != self.inputs:
            raise RunMismatch(f"{self.run_dir} was made for other or changed inputs "
                              f"({[i['path'] for i in self.inputs]})")
        if fmt != self.format or keep != self.keep:
            raise RunMismatch(f"{self.run_dir} was made for --format {self.format} "
                              f"(records: {self.keep}), not {fmt} ({keep})")
        if bool(options.get("detail")) != bool(self.options.get("detail")):
            raise RunMismatch(f"{self.run_dir} was made with detail={self.options.get('detail')}")
        if options.get("rtype") != self.options.get("rtype"):
            raise RunMismatch(f"{self.run_dir} was made for type {self.options.get('rtype')}, "
                              f"not {options.get('rtype')}")

    def scan_done(self) -> set[int]:
        """Partitions whose finished output and counts exist (the truth on disk)."""
        done = set()
        for part in self.partitions:
            if (os.path.exists(self.final_path(part.number))
                    and os.path.exists(part_path(self.run_dir, part.number, "json"))):
                done.add(part.number)
        self.done = done
        return done
