"""``aioresolve bulk --resume``: what an output file already holds.

:func:`read_done` reads an output of any format back (indices for jsonl and
csv, the inputs for text, unescaped as :func:`~aioresolve._cli_output.escape_text`
wrote them); :func:`cut_partial_line` drops the partial last line of a run
that was killed mid-write.
"""

from __future__ import annotations

import collections
import csv
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from . import _cli_output
from ._cli_output import unescape_text
from .bulk import Result

__all__ = ["Done", "cut_partial_line", "read_done"]


def cut_partial_line(path: str) -> None:
    """Drop a last line without its newline (a run killed mid-write)."""
    with open(path, "rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        # Walk back in blocks to the last newline.
        pos = size
        while pos > 0:
            start = max(0, pos - 65536)
            f.seek(start)
            block = f.read(pos - start)
            newline = block.rfind(b"\n")
            if newline >= 0:
                f.truncate(start + newline + 1)
                return
            pos = start
        f.truncate(0)


class Done:
    """What an output file already holds, per record type: the indices
    (jsonl, csv) or, for the text format, how many times each input appears
    (the text format has no index: each occurrence of an input counts once).

    With a single record type the type is not compared (``key_type=None``).
    """

    def __init__(self, multi_type: bool = False) -> None:
        self.multi_type = multi_type
        self.indices: set[tuple[int, str | None]] = set()
        self.inputs: collections.Counter[tuple[str, str | None]] = collections.Counter()
        self.count = 0

    def __len__(self) -> int:
        return len(self.indices) + sum(self.inputs.values())

    def __bool__(self) -> bool:
        return bool(self.indices or self.inputs)

    def skipper(self, types: Sequence[str]) -> Callable[[int, str], bool]:
        """The ``skip(index, input)`` of a run asking ``types``: true when every
        type of that input is already in the file.  It may be called once per
        type for the same input (the answer of the first call is kept)."""
        indices, inputs = self.indices, self.inputs
        keys: Sequence[str | None] = list(types) if self.multi_type else [None]
        last: list[Any] = [-1, False]

        def skip(index: int, text: str) -> bool:
            if index == last[0]:
                return bool(last[1])
            if indices:
                found = [(index, t) for t in keys]
                answer = all(key in indices for key in found)
                if answer:
                    indices.difference_update(found)
            else:
                pairs = [(text, t) for t in keys]
                answer = all(inputs.get(pair) for pair in pairs)
                if answer:
                    for pair in pairs:
                        inputs[pair] -= 1
            if answer:
                self.count += len(keys)
            last[0], last[1] = index, answer
            return answer

        return skip

    def already_written(self) -> Callable[[Result], bool]:
        """``written(result)``: the result's input and type is in the file
        (each occurrence counts once): an input that was only partly done."""
        indices, inputs = self.indices, self.inputs

        def written(result: Result) -> bool:
            if indices:
                key = (result.index, result.rtype)
                if key in indices:
                    indices.discard(key)
                    self.count += 1
                    return True
                return False
            pair = (result.input, result.rtype)
            if inputs.get(pair):
                inputs[pair] -= 1
                self.count += 1
                return True
            return False

        return written


def _loads(line: bytes, orjson: Any) -> Any:
    if orjson is not None:
        try:
            return orjson.loads(line)
        except ValueError:  # e.g. an input that is not UTF-8: stdlib below
            pass
    return json.loads(line.decode("utf-8", "surrogateescape"))


def read_done(path: str, fmt: str, *, multi_type: bool = False) -> Done:
    """Read what ``path`` (an output of the same format) already holds."""
    done = Done(multi_type)
    if fmt == "jsonl":
        orjson = _cli_output._orjson()  # imported here, not at every start-up
        with open(path, "rb") as fb:
            for line in fb:
                try:
                    obj = _loads(line, orjson)
                    done.indices.add((int(obj["index"]), obj["type"] if multi_type else None))
                except (ValueError, KeyError, TypeError):
                    continue  # not one of our records
        return done
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        if fmt == "csv":
            for row in csv.reader(f):
                if row and row[0].isdigit():
                    rtype = row[3] if multi_type and len(row) > 3 else None
                    done.indices.add((int(row[0]), rtype))
        else:
            for text_line in f:
                fields = text_line.rstrip("\n").split("\t", 2)
                rtype = fields[1] if multi_type and len(fields) > 1 else None
                done.inputs[(unescape_text(fields[0]), rtype)] += 1
    return done
