"""The bulk progress bar and summary (on stderr, through rich)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from .bulk import Status

__all__ = ["BulkProgress", "summary_lines"]

_STYLES = {Status.NOERROR: "green", Status.NXDOMAIN: "yellow", Status.NODATA: "yellow",
           Status.CANCELLED: "dim"}


def _counts_text(counts: Mapping[Status, int]) -> Text:
    text = Text()
    for status, count in counts.items():
        if count:
            if text:
                text.append(" ")
            text.append(f"{status.value}={count}", style=_STYLES.get(status, "red"))
    return text


class _CountsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        counts: Mapping[Status, int] = task.fields.get("counts", {})
        return _counts_text(counts)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} names/s", style="cyan")


class BulkProgress:
    """A live bar: done/total (or done alone when the total is unknown),
    names/s, elapsed, counts per status.  Does nothing when disabled."""

    #: seconds between updates of the bar (updating per result would cost more
    #: than the lookups at 50k names/s)
    interval = 0.1

    def __init__(self, total: int | None, *, enabled: bool, console: Console) -> None:
        self.enabled = enabled
        self._last = 0.0
        self._progress: Progress | None = None
        self._task = None
        if enabled:
            columns: list[ProgressColumn | str] = [TextColumn("[bold]resolving")]
            if total is not None:
                columns += [BarColumn(), MofNCompleteColumn()]
            else:
                columns += [TextColumn("{task.completed:,} done")]
            columns += [_RateColumn(), TimeElapsedColumn(), _CountsColumn()]
            self._progress = Progress(*columns, console=console, transient=False,
                                      refresh_per_second=8)
            self._task = self._progress.add_task("bulk", total=total, counts={})

    def __enter__(self) -> BulkProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int, counts: Mapping[Status, int], *, force: bool = False) -> None:
        if self._progress is None or self._task is None:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self._progress.update(self._task, completed=done, counts=dict(counts))


def summary_lines(counts: Mapping[Status, int], elapsed: float, *, skipped: int = 0,
                  interrupted: bool = False) -> list[str]:
    """The final summary: totals, rate, counts per status (non-zero only)."""
    done = sum(counts.values())
    rate = done / elapsed if elapsed > 0 else 0.0
    head = f"{done:,} names in {elapsed:.2f}s ({rate:,.0f} names/s)"
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
