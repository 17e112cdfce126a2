"""Splitting input files into partitions: byte ranges on line boundaries,
with the number of inputs each holds and the global index of its first one.

An input is counted exactly as ``aioresolve bulk`` reads a text file opened
as the CLI opens it (UTF-8 with ``surrogateescape``, universal newlines:
``\\r\\n`` and a lone ``\\r`` end a line too): each line is stripped with
:meth:`str.strip`, and blank lines and lines starting with ``#`` are
skipped.  Cuts fall only after a ``\\n`` byte, so a partition always decodes
on its own (no UTF-8 sequence and no ``\\r\\n`` is split) and the inputs of
the partitions, in order, are the inputs of the file.

PTR runs (``networks=True``) take a network (``192.0.2.0/24``) as each of its
addresses, as the CLI does (:func:`aioresolve.bulk._input.expand_networks`).
A network is never written out: a partition may start and end inside one
(``skip`` addresses of its first line belong to earlier partitions), and the
worker generates its addresses from there (:func:`partition_inputs`), so a
PTR sweep of an IPv4 /8 is a one-line file and 336 small manifest entries.

This module knows nothing of Dask or of the bulk engine.
"""

from __future__ import annotations

import dataclasses
import io
import ipaddress
import itertools
from collections.abc import Iterator
from typing import IO, Any

from ..bulk._input import file_line

__all__ = ["MAX_NETWORK_ADDRESSES", "NetworkTooLarge", "Partition", "open_partition",
           "partition_inputs", "plan_partitions"]

#: The largest network a distributed PTR run expands: 2**24 addresses (an IPv4
#: /8, 16.7M reverse names; an IPv6 /104).  One process stops at 2**17
#: (:data:`aioresolve.bulk._input.MAX_NETWORK_ADDRESSES`): spread over
#: workers, resumable and checkpointed, a /8 is the run this is for; a typo
#: such as an IPv6 /64 is still refused before anything starts.
MAX_NETWORK_ADDRESSES = 1 << 24

# ASCII characters str.strip() removes: bytes.strip() misses \x1c-\x1f.
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_HASH = ord("#")
_BLOCK = 1 << 20


class NetworkTooLarge(ValueError):
    """A PTR run's input holds a network of more than
    :data:`MAX_NETWORK_ADDRESSES` addresses (found while planning, before
    any lookup)."""


@dataclasses.dataclass(frozen=True)
class Partition:
    """One partition of one input file.

    :ivar number: position among all partitions of the run, from 0 (also
        the output file's number).
    :ivar path: the input file (absolute).
    :ivar start: byte offset of the partition's first line.
    :ivar end: byte offset just past its last line.
    :ivar first_index: global index (among the inputs of all files, in
        order) of its first input.
    :ivar names: inputs it holds (lines neither blank nor comments; with
        ``networks``, a network counts as its addresses).
    :ivar first_line: 0-based line number (``\\n``-separated) of ``start``.
    :ivar skip: inputs at the start of the byte range that belong to the
        partitions before (the first line is a network cut between them).
    :ivar networks: networks stand for their addresses (a PTR run).
    """

    number: int
    path: str
    start: int
    end: int
    first_index: int
    names: int
    first_line: int
    skip: int = 0
    networks: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The manifest entry."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Partition:
        """Back from :meth:`to_dict`."""
        return cls(**{f.name: data.get(f.name, f.default) for f in dataclasses.fields(cls)})


def _is_name(text: str) -> bool:
    return bool(text) and not text.startswith("#")


def _names_in_line(raw: bytes) -> int:
    """Inputs on one ``\\n``-terminated raw line (more than one only when a
    lone ``\\r`` splits it, as universal newlines do)."""
    if b"\r" in raw:
        text = raw.decode("utf-8", "surrogateescape").replace("\r\n", "\n").replace("\r", "\n")
        return sum(1 for part in text.split("\n") if _is_name(part.strip()))
    if raw.isascii():
        stripped = raw.strip(_ASCII_SPACE)
        return 1 if stripped and stripped[0] != _HASH else 0
    return 1 if _is_name(raw.decode("utf-8", "surrogateescape").strip()) else 0


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network ``text`` (a stripped input) stands for, as
    :func:`~aioresolve.bulk._input.expand_networks` reads it."""
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None  # not a network: a (bad) name, one input


def input_size(text: str, *, limit: int = MAX_NETWORK_ADDRESSES) -> int:
    """Inputs one stripped input text stands for in a PTR run.

    :raises NetworkTooLarge: a network of more than ``limit`` addresses."""
    network = _network(text)
    if network is None:
        return 1
    if network.num_addresses > limit:
        raise NetworkTooLarge(f"{text} holds {network.num_addresses:,} addresses; at most "
                         f"{limit:,} are expanded (split it into smaller prefixes)")
    return int(network.num_addresses)


def expand_from(text: str, skip: int = 0) -> Iterator[str]:
    """The inputs ``text`` stands for in a PTR run, from the ``skip``-th on:
    ``list(expand_networks([text]))[skip:]``, without making the first ``skip``."""
    network = _network(text)
    if network is None or network.num_addresses == 1:
        if not skip:
            yield text if network is None else str(network.network_address)
        return
    first = int(network.network_address)
    make = type(network.network_address)
    for value in range(first + skip, first + network.num_addresses):
        yield str(make(value))


def _network_line(raw: bytes, limit: int) -> int:
    """Inputs on one raw line of a PTR run's file."""
    if b"/" not in raw:
        return _names_in_line(raw)
    text = raw.decode("utf-8", "surrogateescape").replace("\r\n", "\n").replace("\r", "\n")
    total = 0
    for part in text.split("\n"):
        stripped = part.strip()
        if _is_name(stripped):
            total += input_size(stripped, limit=limit)
    return total


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


def _cuts(f: IO[bytes], path: str, partition_names: int, networks: bool,
          max_network: int) -> Iterator[tuple[int, int, int, int, int]]:
    """``(start, end, first_line, skip, names)`` of each partition of one file."""
    offset = start = first_line = skip = names = 0
    for line, raw in enumerate(_lines(f)):
        if names >= partition_names:
            yield start, offset, first_line, skip, names
            start, first_line, skip, names = offset, line, 0, 0
        if networks:
            try:
                size = _network_line(raw, max_network)
            except NetworkTooLarge as exc:
                raise NetworkTooLarge(f"{path}, line {line + 1}: {exc}") from None
            taken = min(size, partition_names - names)
        else:  # a line is never cut (a lone CR may make it two names)
            size = taken = _names_in_line(raw)
        names += taken
        while taken < size:  # a network longer than the room left: cut inside it
            yield start, offset + len(raw), first_line, skip, names
            start, first_line, skip = offset, line, taken
            names = min(size - taken, partition_names)
            taken += names
        offset += len(raw)
    if names:
        yield start, offset, first_line, skip, names


def plan_partitions(
    paths: list[str], partition_names: int, *, first_number: int = 0, networks: bool = False,
    max_network: int = MAX_NETWORK_ADDRESSES,
) -> tuple[list[Partition], int]:
    """Cut ``paths`` (read in order) into partitions of ``partition_names``
    inputs each (the last of each file may hold fewer; a file without inputs
    gets no partition).  With ``networks`` (PTR runs) a network counts as its
    addresses and a big one is cut across partitions.  Returns the
    partitions and the total of inputs.

    :raises NetworkTooLarge: a network of more than ``max_network``
        addresses (``networks`` only; the message names the file and line).
    :raises ValueError: ``partition_names`` below 1.
    """
    if partition_names < 1:
        raise ValueError(f"partition_names must be at least 1, not {partition_names!r}")
    parts: list[Partition] = []
    index = 0
    for path in paths:
        with open(path, "rb") as f:
            for start, end, first_line, skip, names in _cuts(f, path, partition_names,
                                                              networks, max_network):
                parts.append(Partition(first_number + len(parts), path, start, end, index,
                                       names, first_line, skip, networks))
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


def _network_inputs(source: IO[str], skip: int) -> Iterator[str]:
    for line in source:
        text = file_line(line)
        if text is None:
            continue
        if skip:
            size = input_size(text, limit=1 << 128)
            if skip >= size:
                skip -= size
                continue
        yield from expand_from(text, skip)
        skip = 0


def partition_inputs(part: Partition) -> tuple[IO[str], Iterator[str] | None]:
    """What :func:`aioresolve.resolve_many` reads for ``part``: the open text
    (close it after) and, for a PTR partition, the iterator of its inputs
    (networks expanded lazily from ``part.skip`` on, ``part.names`` of them;
    ``None``: read the text as a file)."""
    source = open_partition(part)
    if not part.networks:
        return source, None
    return source, itertools.islice(_network_inputs(source, part.skip), part.names)
