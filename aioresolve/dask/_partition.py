"""Splitting input files into partitions: byte ranges on line boundaries,
with the number of names each holds and the global index of its first name.

A name is counted exactly as :func:`aioresolve.resolve_many` reads a text
file opened as the CLI opens it (UTF-8 with ``surrogateescape``, universal
newlines: ``\\r\\n`` and a lone ``\\r`` end a line too): each line is
stripped with :meth:`str.strip`, and blank lines and lines starting with
``#`` are skipped.  Cuts fall only after a ``\\n`` byte, so a partition
always decodes on its own (no UTF-8 sequence and no ``\\r\\n`` is split) and
the names of the partitions, in order, are the names of the file.

This module knows nothing of Dask or of the bulk engine.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["Partition", "open_partition", "plan_partitions"]

# ASCII characters str.strip() removes: bytes.strip() misses \x1c-\x1f.
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_HASH = ord("#")
_BLOCK = 1 << 20


@dataclasses.dataclass(frozen=True)
class Partition:
    """One partition of one input file.

    :ivar number: position among all partitions of the run, from 0 (also
        the output file's number).
    :ivar path: the input file (absolute).
    :ivar start: byte offset of the partition's first line.
    :ivar end: byte offset just past its last line.
    :ivar first_index: global index (among the names of all inputs, in order)
        of its first name.
    :ivar names: names it holds (lines neither blank nor comments).
    :ivar first_line: 0-based line number (``\\n``-separated) of ``start``.
    """

    number: int
    path: str
    start: int
    end: int
    first_index: int
    names: int
    first_line: int

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Partition:
        """Back from :meth:`to_dict`."""
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})


def _names_in_line(raw: bytes) -> int:
    """Names on one ``\\n``-terminated raw line (more than one only when a
    lone ``\\r`` splits it, as universal newlines do)."""
    if b"\r" in raw:
        text = raw.decode("utf-8", "surrogateescape").replace("\r\n", "\n").replace("\r", "\n")
        return sum(1 for part in text.split("\n") if _is_name(part.strip()))
    if raw.isascii():
        stripped = raw.strip(_ASCII_SPACE)
        return 1 if stripped and stripped[0] != _HASH else 0
    return 1 if _is_name(raw.decode("utf-8", "surrogateescape").strip()) else 0


def _is_name(text: str) -> bool:
    return bool(text) and not text.startswith("#")


def _lines(f: IO[bytes]) -> Iterator[bytes]:
    """The file's ``\\n``-terminated lines (the last one maybe without)."""
    rest = b""
    while True:
        block = f.read(_BLOCK)
        if not block:
            break
        block = rest + block
        lines = block.split(b"\n")
        rest = lines.pop()
        for line in lines:
            yield line + b"\n"
    if rest:
        yield rest


def plan_partitions(
    paths: list[str], partition_names: int, *, first_number: int = 0
) -> tuple[list[Partition], int]:
    """Cut ``paths`` (read in order) into partitions of ``partition_names``
    names each (the last of each file may hold fewer; a file without names
    gets no partition).  Returns the partitions and the total of names."""
    if partition_names < 1:
        raise ValueError(f"partition_names must be at least 1, not {partition_names!r}")
    parts: list[Partition] = []
    index = 0
    for path in paths:
        with open(path, "rb") as f:
            offset = start = 0
            first_line = 0
            names = 0
            for line, raw in enumerate(_lines(f)):
                if names >= partition_names:
                    parts.append(Partition(first_number + len(parts), path, start, offset,
                                           index, names, first_line))
                    index += names
                    start, first_line, names = offset, line, 0
                names += _names_in_line(raw)
                offset += len(raw)
            if names:
                parts.append(Partition(first_number + len(parts), path, start, offset,
                                       index, names, first_line))
                index += names
    return parts, index


def open_partition(part: Partition) -> IO[str]:
    """The partition's text, as the CLI opens a file (a text stream that
    :func:`aioresolve.resolve_many` reads line by line)."""
    with open(part.path, "rb") as f:
        f.seek(part.start)
        data = f.read(part.end - part.start)
    if len(data) != part.end - part.start:
        raise OSError(f"{part.path} is shorter than when the run was planned "
                      f"(wanted bytes {part.start}-{part.end})")
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
