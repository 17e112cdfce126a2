"""``aioresolve bulk`` output: the line writer (jsonl, csv, text).

JSON lines are encoded with orjson when it is installed (the ``fast`` extra),
byte for byte what :meth:`Result.to_json <aioresolve.bulk.Result.to_json>`
gives (stdlib :mod:`json`, the fallback); see ``benchmarks/bench_output.py``
for what it buys.  The text format escapes what would break its columns
(``\\``, TAB, newline, other control characters), so ``--resume`` reads back
exactly the inputs it wrote (:mod:`aioresolve._cli_resume`).  The JSONL
lines of the common results are written straight from the stream's results
(:meth:`Writer.write_raw`, :mod:`aioresolve.bulk._lines`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .bulk import CSV_FIELDS, BulkRun, Result, Status
from .bulk._lines import COMPILED as LINES_COMPILED
from .bulk._lines import ONLY_ALL, ONLY_FAILED, ONLY_OK, csv_batch, jsonl_batch, text_batch
from .bulk._result import _STATUS_TEXT

if TYPE_CHECKING:
    from ._dns.stream import StreamResult

_UNSET: Any = object()


def __getattr__(name: str) -> Any:
    """``orjson``: the module, or ``None`` where the ``fast`` extra is not
    installed (stdlib json then), imported on first use: it imports uuid and
    platform, ~4 ms of every start-up, and a run whose lines all come from
    :mod:`aioresolve.bulk._lines` never encodes a dict."""
    if name != "orjson":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module: Any
    try:
        import orjson as module
    except ImportError:  # the ``fast`` extra is not installed: stdlib json
        module = None
    globals()["orjson"] = module
    return module


def _orjson() -> Any:
    """``orjson`` as set (a test may set it to None), else imported now."""
    module = globals().get("orjson", _UNSET)
    return __getattr__("orjson") if module is _UNSET else module

__all__ = [
    "FORMATS",
    "Writer",
    "escape_text",
    "is_failed",
    "is_ok",
    "json_line",
    "unescape_text",
]

FORMATS = ("jsonl", "csv", "text")
_CSV_COMMAS = len(CSV_FIELDS) - 1
_NOERROR = Status.NOERROR

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r"[\\\x00-\x1f\x7f]")
_ESCAPED = re.compile(r"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\x{ord(char):02x}"


def escape_text(text: str) -> str:
    """``text`` safe for one column of the text format: backslash, TAB, LF
    and CR as ``\\\\ \\t \\n \\r``, other control characters as ``\\xHH``."""
    if (text.isprintable() and "\\" not in text) or _NEEDS_ESCAPE.search(text) is None:
        return text  # isprintable (C, no regex) is the common case's fast test
    return _NEEDS_ESCAPE.sub(_escape_one, text)


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 3:
        return chr(int(code[1:], 16))
    return _UNESCAPES.get(code, code)


def unescape_text(text: str) -> str:
    """The inverse of :func:`escape_text`."""
    if "\\" not in text:
        return text
    return _ESCAPED.sub(_unescape_one, text)


def _json_line_stdlib(obj: dict[str, Any]) -> bytes:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8", "surrogateescape") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate that no byte decoded to: \uXXXX escapes
        return json.dumps(obj, separators=(",", ":")).encode("ascii") + b"\n"


def _escape_surrogates(exc: UnicodeError) -> tuple[bytes | str, int]:
    """Encode error handler: the bytes ``surrogateescape`` decoded (U+DC80-U+DCFF)
    back as they were, any other lone surrogate as ``\\uXXXX``."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = bytearray()
    for char in exc.object[exc.start:exc.end]:
        code = ord(char)
        out += bytes([code - 0xDC00]) if 0xDC80 <= code <= 0xDCFF else b"\\u%04x" % code
    return bytes(out), exc.end


codecs.register_error("aioresolve.surrogates", _escape_surrogates)


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no byte decoded to
        return text.encode("utf-8", "aioresolve.surrogates")


def json_line(obj: dict[str, Any]) -> bytes:
    """One JSON line, newline included, as ``json.dumps(obj, ensure_ascii=False,
    separators=(",", ":"))`` encodes it.  orjson where installed: the same
    bytes for every object a :class:`Result` makes (its floats are rounded to
    milliseconds with 3 decimals, where both print the shortest repr); inputs
    that are not valid UTF-8 (lone surrogates from ``surrogateescape``) fall
    back to :mod:`json`, which writes the original bytes back."""
    encoder = _orjson()
    if encoder is None:
        return _json_line_stdlib(obj)
    try:
        return encoder.dumps(obj, option=encoder.OPT_APPEND_NEWLINE)  # type: ignore[no-any-return]
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate
        return _json_line_stdlib(obj)


def _csv_line_with_nul(row: list[str]) -> str:
    """The CSV line Python 3.11+ writes for ``row`` (NUL kept raw, unquoted),
    made on Python 3.10, whose writer raises instead: NUL stands in as a
    character the row does not hold, then goes back."""
    mark = "\ue000"
    while any(mark in field for field in row):
        mark = chr(ord(mark) + 1)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([f.replace("\0", mark) for f in row])
    return buffer.getvalue().replace(mark, "\0")


def is_ok(result: Result) -> bool:
    """``keep`` of ``--only-ok`` (the writer's JSONL lines recognise it)."""
    return result.status is _NOERROR


def is_failed(result: Result) -> bool:
    """``keep`` of ``--only-failed`` (the writer's JSONL lines recognise it)."""
    return result.status is not _NOERROR


_ONLY: dict[Callable[[Result], bool] | None, int] = {
    None: ONLY_ALL, is_ok: ONLY_OK, is_failed: ONLY_FAILED}


class Writer:
    """Formats results and writes whole lines with ``os.write``, in batches.

    A batch goes out when it reaches :attr:`batch_bytes`, and at least every
    :attr:`batch_seconds` (checked every 64 results; call :meth:`flush` from a
    timer when results may come slowly), so a killed run loses at most that much (which
    ``--resume`` redoes) and never leaves half a record behind (except, at
    worst, one partial last line, which ``--resume`` cuts off).

    :param fd: the file descriptor to write to.
    :param fmt: ``"jsonl"``, ``"csv"`` or ``"text"``.
    :param header: write the CSV header first.
    :param keep: which results to write (``--only-ok``/``--only-failed``).
    :param detail: jsonl only: the full-detail objects (:meth:`Result.to_detail_dict`).
    :param types: the record types of the run: with several, the text format
        gets a type column (``input<TAB>type<TAB>status<TAB>data``).
    :param around_write: a context manager factory entered around each
        ``os.write`` (the progress bar clears itself while results go to the
        same terminal).
    """

    batch_bytes = 64 * 1024
    batch_seconds = 0.25

    def __init__(self, fd: int, fmt: str, *, header: bool,
                 keep: Callable[[Result], bool] | None = None, detail: bool = False,
                 types: Sequence[str] = ("A",),
                 around_write: Callable[[], Any] | None = None) -> None:
        self.fd = fd
        self.fmt = fmt
        self.keep = keep
        self.detail = detail
        self.multi_type = len(types) > 1
        self.around_write = around_write
        #: called once when stdout turns out closed (EPIPE): the run should stop
        self.on_broken: Callable[[], Any] | None = None
        #: stdout was closed: nothing more is written
        self.broken = False
        self.written = 0
        self._parts: list[bytes] = []  # jsonl: encoded lines
        self._texts: list[str] = []  # csv and text: encoded once, at flush
        self._size = 0
        self._since = time.monotonic()
        self._csv_buffer = io.StringIO()
        self._csv = csv.writer(self._csv_buffer, lineterminator="\n")
        if header and fmt == "csv":
            self._csv.writerow(CSV_FIELDS)
            self._take_csv()
        self._format: Callable[[Result], None] = {
            "jsonl": self._jsonl, "csv": self._csv_row, "text": self._text,
        }[fmt]
        self._format_batch: Callable[[Sequence[Result]], None] = {
            "jsonl": self._jsonl_batch, "csv": self._csv_batch, "text": self._text_batch,
        }[fmt]
        only = _ONLY.get(keep)
        self._only = ONLY_ALL if only is None else only
        #: :meth:`write_raw` writes this writer's lines (not ``--detail``;
        #: ``keep`` one of None, :func:`is_ok`, :func:`is_failed`; csv and text
        #: with the compiled twin only: in Python they buy nothing, see _lines_py)
        self.takes_raw = not detail and only is not None and (fmt == "jsonl" or LINES_COMPILED)
        self._run: BulkRun | None = None

    def _take_csv(self) -> None:
        data = self._csv_buffer.getvalue()
        self._csv_buffer.seek(0)
        self._csv_buffer.truncate()
        self._texts.append(data)
        self._size += len(data)

    def _add(self, data: bytes) -> None:
        self._parts.append(data)
        self._size += len(data)

    def _jsonl(self, result: Result) -> None:
        obj = result.to_detail_dict() if self.detail else result.to_dict()
        self._add(json_line(obj))

    def _csv_row(self, result: Result) -> None:
        row = result.csv_row()
        try:
            self._csv.writerow(row)
        except csv.Error:  # Python 3.10 refuses a NUL without escapechar; 3.11+ writes it as is
            self._csv_buffer.write(_csv_line_with_nul(row))
        if self._csv_buffer.tell() >= 4096:
            self._take_csv()

    def _jsonl_batch(self, results: Sequence[Result]) -> None:
        # One bytes object per batch: orjson per line (a C call each), one join.
        if self.detail:
            data = b"".join([json_line(r.to_detail_dict()) for r in results])
        elif (encoder := _orjson()) is not None:
            dumps, option = encoder.dumps, encoder.OPT_APPEND_NEWLINE
            try:
                data = b"".join([dumps(r.to_dict(), option=option) for r in results])
            except TypeError:  # a lone surrogate somewhere: line by line, json for that one
                data = b"".join([json_line(r.to_dict()) for r in results])
        else:
            data = b"".join([_json_line_stdlib(r.to_dict()) for r in results])
        self._parts.append(data)
        self._size += len(data)

    def _csv_batch(self, results: Sequence[Result]) -> None:
        # A row none of whose fields needs quoting (no comma, quote, CR, LF or
        # NUL in any: the common case) is its fields joined by commas, which is
        # what the csv module writes for it; the others go through the csv
        # module, in order.  (python -m benchmarks.bench_output, shared box: one
        # writerow per result 4.8 us per result, this 2.3.)
        if self._csv_buffer.tell():  # rows of write() before: they come first
            self._take_csv()
        lines: list[str] = []
        commas = _CSV_COMMAS
        for result in results:
            row = result.csv_row()
            line = ",".join(row)
            if (line.count(",") == commas and '"' not in line and "\n" not in line
                    and "\r" not in line and "\0" not in line):
                lines.append(line)
            else:
                lines.append(self._csv_line(row)[:-1])
        text = "\n".join(lines) + "\n"
        self._texts.append(text)
        self._size += len(text)

    def _csv_line(self, row: list[str]) -> str:
        """One row as the csv module writes it, newline included."""
        buffer = self._csv_buffer
        try:
            self._csv.writerow(row)
        except csv.Error:  # Python 3.10 refuses a NUL without escapechar; 3.11+ writes it as is
            buffer.write(_csv_line_with_nul(row))
        line = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return line

    def _text_batch(self, results: Sequence[Result]) -> None:
        lines = []
        multi_type = self.multi_type
        status_text = _STATUS_TEXT
        for result in results:
            status = result.status
            detail = result.data_text() if status is _NOERROR else (result.error or "")
            head = result.input
            if not head.isprintable() or "\\" in head:
                head = escape_text(head)
            if not detail.isprintable() or "\\" in detail:
                detail = escape_text(detail)
            if multi_type:
                head += "\t" + result.rtype
            lines.append(f"{head}\t{status_text[status]}\t{detail}\n")
        text = "".join(lines)
        self._texts.append(text)
        self._size += len(text)

    def _text(self, result: Result) -> None:
        detail = result.data_text() if result.ok else (result.error or "")
        head = result.input
        if not head.isprintable() or "\\" in head:  # inline: the common case costs no call
            head = escape_text(head)
        if not detail.isprintable() or "\\" in detail:
            detail = escape_text(detail)
        if self.multi_type:
            head += "\t" + result.rtype
        line = f"{head}\t{result.status.value}\t{detail}\n"
        self._texts.append(line)
        self._size += len(line)

    def write(self, result: Result) -> None:
        """Format ``result`` (unless ``keep`` drops it); write the batch when due."""
        if self.keep is not None and not self.keep(result):
            return
        self._format(result)
        self.written += 1
        # The clock is read every 64 results only (a per-result monotonic()
        # showed in the profile); the CLI's ticker flushes a slow tail anyway.
        if self._size >= self.batch_bytes or (
                not self.written & 63 and time.monotonic() - self._since > self.batch_seconds):
            self.flush()

    def write_batch(self, results: Sequence[Result]) -> None:
        """:meth:`write` for a list of results at once (what ``BulkRun.batches``
        hands out): each format encodes the whole list in one piece, the batch
        is written when due (the clock is read once per batch)."""
        keep = self.keep
        if keep is not None:
            results = [r for r in results if keep(r)]
        if not results:
            return
        self._format_batch(results)
        self.written += len(results)
        if self._size >= self.batch_bytes or (
                time.monotonic() - self._since > self.batch_seconds):
            self.flush()

    def write_raw(self, raw: Sequence[StreamResult], run: BulkRun) -> None:
        """:meth:`write_batch` for the stream's own results of ``run`` (what
        ``BulkRun._raw_batches`` hands out), counting each one's status in
        ``run.counts``: the common results' lines are written straight from
        them (:mod:`aioresolve.bulk._lines`, the same bytes), the others
        through a :class:`Result`, in their place.  Only where :attr:`takes_raw`."""
        # (JSONL, the CLI under callgrind: 43.3k -> 24.3k instructions per
        # name with the compiled lines; see docs/output.md)
        if not self.takes_raw:
            raise ValueError("write_raw: this writer formats Result objects only")
        self._run = run
        per, counts, only = len(run.rtypes), run.counts, self._only
        if self.fmt == "jsonl":
            data, written = jsonl_batch(raw, per, counts, only, self._slow)
            if written:
                self._parts.append(data)
                self._size += len(data)
        else:
            if self.fmt == "csv":
                if self._csv_buffer.tell():  # rows of write() before: they come first
                    self._take_csv()
                text, written = csv_batch(raw, per, counts, only, self._slow_text)
            else:
                text, written = text_batch(raw, per, counts, only, self.multi_type,
                                           escape_text, self._slow_text)
            if written:
                self._texts.append(text)
                self._size += len(text)
        self.written += written
        if self._size >= self.batch_bytes or (
                time.monotonic() - self._since > self.batch_seconds):
            self.flush()

    def _slow_result(self, raw: StreamResult) -> Result | None:
        """The :class:`Result` of one stream result (counted), unless ``keep`` drops it."""
        run = self._run
        assert run is not None
        result = run._results([raw])[0]
        run.counts[result.status] += 1
        keep = self.keep
        if keep is not None and not keep(result):
            return None
        return result

    def _slow(self, raw: StreamResult) -> bytes | None:
        """The JSON line of one stream result through the reference path."""
        result = self._slow_result(raw)
        return None if result is None else json_line(result.to_dict())

    def _slow_text(self, raw: StreamResult) -> str | None:
        """The csv or text line of one stream result through the reference path."""
        result = self._slow_result(raw)
        if result is None:
            return None
        self._format_batch([result])
        text = self._texts.pop()
        self._size -= len(text)
        return text

    def flush(self) -> None:
        """Write what is pending.  A closed pipe (``| head``) sets
        :attr:`broken` and calls :attr:`on_broken` instead of raising."""
        self._since = time.monotonic()
        if self.fmt == "csv" and self._csv_buffer.tell():
            self._take_csv()
        if self._texts:
            data = _encode("".join(self._texts))
            self._texts.clear()
        elif self._parts:
            data = b"".join(self._parts)
            self._parts.clear()
        else:
            return
        self._size = 0
        if self.broken:
            return
        try:
            if self.around_write is None:
                _write_all(self.fd, data)
            else:
                with self.around_write():
                    _write_all(self.fd, data)
        except BrokenPipeError:
            self.broken = True
            _quiet_fd(self.fd)
            if self.on_broken is not None:
                self.on_broken()


def _quiet_fd(fd: int) -> None:
    """Point ``fd`` at /dev/null (the interpreter's last flush of stdout must
    not print a BrokenPipeError of its own)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
