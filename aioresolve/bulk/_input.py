"""Bulk input: names from a list, any iterable, an async iterable or a file.

File input: one name per line; leading/trailing white space is stripped and
blank lines and lines starting with ``#`` are skipped (they get no result and
no index).  Every other line, valid or not, gets exactly one result.  Items of
other iterables are never skipped.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import cast

__all__ = ["iter_inputs"]


def _input_text(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, (bytes, bytearray)):
        return bytes(item).decode("utf-8", "surrogateescape")
    return str(item)


def _is_file(hosts: object) -> bool:
    return isinstance(hosts, io.IOBase) or (
        hasattr(hosts, "readline") and hasattr(hosts, "__iter__")
    )


def _file_line(line: str | bytes) -> str | None:
    """The name on a file line, or ``None`` for blank lines and ``#`` comments."""
    text = _input_text(line).strip()
    if not text or text.startswith("#"):
        return None
    return text


async def iter_inputs(hosts: object) -> AsyncIterator[str]:
    """The input texts of ``hosts``, one per input, in order (file lines
    skipped as above); yields to the loop every 256 items of a sync source."""
    if isinstance(hosts, (str, bytes)):
        raise TypeError("hosts must be an iterable of names, not a single str/bytes")
    if isinstance(hosts, AsyncIterable):
        async for item in hosts:
            yield _input_text(item)
    elif _is_file(hosts):
        lines = cast("Iterable[str | bytes]", hosts)
        for count, line in enumerate(lines):
            text = _file_line(line)
            if text is not None:
                yield text
            if count % 256 == 255:
                await asyncio.sleep(0)  # a big file must not monopolise the loop
    else:
        for count, item in enumerate(cast("Iterable[object]", hosts)):
            yield _input_text(item)
            if count % 256 == 255:
                await asyncio.sleep(0)
