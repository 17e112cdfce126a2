"""The bulk progress bar and summary, on stderr.

The bar is one line, redrawn in place (``\\r`` and erase-to-end-of-line), cut
to the terminal's width so that it never wraps, and cleared while anything
else is written to the same terminal (result lines on stdout, log records),
so results scroll above it.  It needs nothing beyond the standard library;
colours follow the ``NO_COLOR`` convention.  Forced onto a file or pipe
(``--progress``), it prints a plain line a second instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import IO

from .bulk import Status

__all__ = ["BarLogHandler", "BulkProgress", "summary_lines", "use_color"]

_GREEN, _YELLOW, _RED, _DIM, _CYAN, _BOLD = "32", "33", "31", "2", "36", "1"
_STYLES = {Status.NOERROR: _GREEN, Status.NXDOMAIN: _YELLOW, Status.NODATA: _YELLOW,
           Status.CANCELLED: _DIM}

#: The bar being shown, if any (log records clear it while they are written).
_ACTIVE: list[BulkProgress] = []


def use_color(stream: IO[str]) -> bool:
    """Colours on ``stream``: a terminal, ``NO_COLOR`` unset, ``TERM`` not dumb."""
    return (_isatty(stream) and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _elapsed_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}"


class BulkProgress:
    """A live one-line bar: done/total (or done alone when the total is
    unknown), names/s, elapsed, counts per status.  Does nothing when disabled.

    :param total: inputs expected, or ``None``.
    :param enabled: draw at all.
    :param stream: where (default ``sys.stderr``).
    :param label: the first word of the line.
    :param noun: what is counted (``names/s``).
    """

    #: seconds between redraws (drawing per result would cost more than the
    #: lookups at 50k names/s)
    interval = 0.1
    #: seconds between lines when the stream is not a terminal (``--progress``)
    plain_interval = 1.0

    def __init__(self, total: int | None, *, enabled: bool, stream: IO[str] | None = None,
                 label: str = "resolving", noun: str = "names") -> None:
        self.enabled = enabled
        self.noun = noun
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.live = enabled and _isatty(self.stream)
        self.color = self.live and use_color(self.stream)
        encoding = (getattr(self.stream, "encoding", None) or "").lower().replace("-", "")
        self._unicode = encoding.startswith("utf")
        self._started = time.monotonic()
        self._last = 0.0
        self._drawn = False
        self._line = ""
        self._done = 0
        self._counts: Mapping[Status, int] = {}

    def __enter__(self) -> BulkProgress:
        self._started = time.monotonic()
        if self.enabled:
            _ACTIVE.append(self)
            self.update(0, {}, force=True)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self.enabled and self.live:
            self.clear()  # the summary follows; a stale bar would only repeat it

    # -- drawing -------------------------------------------------------------------

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
        if columns <= 0:  # not a terminal, or a pty that reports 0 columns: $COLUMNS or 80
            # Imported here: shutil imports zlib, bz2 and lzma, ~1.9 ms of every
            # CLI start-up (python -X importtime) for this fallback only.
            import shutil

            columns = shutil.get_terminal_size().columns
        return max(20, columns - 1)  # never the last column: some terminals wrap there

    def render(self, width: int) -> str:
        """The bar's line, at most ``width`` characters (escape codes aside)."""
        elapsed = time.monotonic() - self._started
        rate = self._done / elapsed if elapsed > 0 else 0.0
        if self.total is not None:
            count = f"{self._done:,}/{self.total:,}"
            share = 100.0 * self._done / self.total if self.total else 100.0
            count += f" {share:3.0f}%"
        else:
            count = f"{self._done:,} done"
        parts = [(self.label, _BOLD), (count, ""), (f"{rate:,.0f} {self.noun}/s", _CYAN),
                 (_elapsed_text(elapsed), "")]
        statuses = [(f"{s.value}={n:,}", _STYLES.get(s, _RED))
                    for s, n in self._counts.items() if n]
        used = sum(len(text) for text, _ in parts) + len(parts) - 1
        for text, style in statuses:
            if used + 1 + len(text) > width:
                if used + 2 <= width:
                    parts.append(("…" if self._unicode else "+", _DIM))
                    used += 2
                break
            parts.append((text, style))
            used += 1 + len(text)
        room = width - used - 1
        if self.total is not None and room >= 10:
            cells = min(room, 30)
            filled = cells * min(self._done, self.total) // self.total if self.total else cells
            full, empty = ("━", "─") if self._unicode else ("#", "-")
            parts.insert(1, (full * filled + empty * (cells - filled), _GREEN))
        line = " ".join(text for text, _ in parts)
        if len(line) > width:  # a very narrow terminal: cut, never wrap
            return line[: width - 1] + ("…" if self._unicode else "+")
        if not self.color:
            return line
        return " ".join(f"\x1b[{style}m{text}\x1b[0m" if style else text
                        for text, style in parts)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr gone: no bar, the run goes on
            self.enabled = self.live = False

    def draw(self) -> None:
        """(Re)draw the bar now."""
        if not self.enabled:
            return
        if self.live:
            self._line = self.render(self._width())
            self._write(f"\r{self._line}\x1b[K")
            self._drawn = True
        else:
            self._write(self.render(10_000) + "\n")

    def clear(self) -> None:
        """Erase the bar from the terminal (until the next :meth:`draw`)."""
        if self._drawn:
            self._write("\r\x1b[K")
            self._drawn = False

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Clear the bar, let the caller write to the terminal, redraw it."""
        drawn = self._drawn
        self.clear()
        try:
            yield
        finally:
            if drawn:
                self.draw()

    def due(self) -> bool:
        """Whether :meth:`update` would redraw now (to skip computing counts)."""
        interval = self.interval if self.live else self.plain_interval
        return self.enabled and time.monotonic() - self._last >= interval

    def update(self, done: int, counts: Mapping[Status, int], *, force: bool = False) -> None:
        """Record progress; redraw when :attr:`interval` has passed (or ``force``)."""
        if not self.enabled:
            return
        self._done, self._counts = done, counts
        now = time.monotonic()
        interval = self.interval if self.live else self.plain_interval
        if not force and now - self._last < interval:
            return
        self._last = now
        self.draw()


class BarLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stderr handler that clears the progress bar while it writes a record."""

    def emit(self, record: logging.LogRecord) -> None:
        if _ACTIVE:
            with _ACTIVE[-1].suspended():
                super().emit(record)
        else:
            super().emit(record)


def summary_lines(counts: Mapping[Status, int], elapsed: float, *, skipped: int = 0,
                  interrupted: bool = False, noun: str = "names") -> list[str]:
    """The final summary: totals, rate, counts per status (non-zero only)."""
    done = sum(counts.values())
    rate = done / elapsed if elapsed > 0 else 0.0
    head = f"{done:,} {noun} in {elapsed:.2f}s ({rate:,.0f} {noun}/s)"
    if skipped:
        head += f"; {skipped:,} skipped (already in the output)"
    if interrupted:
        head += "; INTERRUPTED"
    lines = [head]
    width = max((len(s.value) for s in counts), default=0)
    for status, count in counts.items():
        if count:
            share = 100.0 * count / done if done else 0.0
            lines.append(f"  {status.value:<{width}}  {count:>10,}  {share:5.1f}%")
    return lines
