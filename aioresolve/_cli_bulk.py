"""``aioresolve bulk``: a names file through :func:`~aioresolve.bulk.resolve_many`.

Several record types (``--type A,AAAA,MX``) give one result per input and
type, from one run (:func:`~aioresolve.bulk.resolve_many` with several types).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import signal
import stat
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from ._cli_common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_TERMINATED,
    EXIT_USAGE,
    UsageError,
)
from ._cli_inputs import (
    InputError,
    count_inputs,
    input_texts,
    open_input,
    parse_types,
    read_resolvers,
)
from ._cli_output import Writer, is_failed, is_ok
from ._cli_resume import Done, cut_partial_line, read_done
from ._config import default_backend_name
from ._dns.stream import StreamResult
from ._errors import ResolveError
from ._progress import BulkProgress, summary_lines
from .bulk import DEFAULT_RETRY_ON, BulkRun, Result, Status, tuned_gc
from .bulk._input import NamesFile

__all__ = ["bulk_command", "bulk_run_options", "prepare_bulk_args"]

_END: Any = object()


def prepare_bulk_args(args: argparse.Namespace) -> None:
    """Check and complete ``args`` in place: ``args.types`` (the parsed
    ``--type`` list) and ``args.nameservers`` (``--server`` then ``-r FILE``).

    :raises UsageError: a bad type list, resolvers file or option combination.
    """
    try:
        args.types = parse_types(args.type_text)
        servers = list(args.server or [])
        if args.resolvers is not None:
            servers += read_resolvers(args.resolvers)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    args.nameservers = servers or None
    if args.resume and args.output is None:
        raise UsageError("--resume needs --output FILE")
    if args.detail and args.format != "jsonl":
        raise UsageError("--detail needs --format jsonl")
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both")
    if getattr(args, "per_partition", False):
        if args.workers is None and args.scheduler is None:
            raise UsageError("--per-partition needs --workers or --scheduler")
        if args.output is None:
            raise UsageError("--per-partition needs --output DIR (the run directory)")
    backend = args.backend or default_backend_name(args.nameservers)
    if backend == "system" and args.nameservers:
        raise UsageError("--backend system cannot ask a --server; use cares or wire")
    args.backend_name = backend


def bulk_run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments the bulk command passes to
    :func:`~aioresolve.bulk.resolve_many` (after :func:`prepare_bulk_args`):
    ``rtype`` (the first type: the command itself passes all of them, a tuple,
    when there are several),
    ``concurrency``, ``timeout``, ``attempts``, ``retry_on``, ``qps``,
    ``backend`` and ``nameservers``."""
    if not hasattr(args, "types"):
        prepare_bulk_args(args)
    return {
        "rtype": args.types[0], "concurrency": args.concurrency, "timeout": args.timeout,
        "attempts": args.attempts, "retry_on": DEFAULT_RETRY_ON, "qps": args.qps,
        "backend": args.backend_name, "nameservers": args.nameservers,
    }


def bulk_command(args: argparse.Namespace) -> int:
    """Run ``aioresolve bulk``; returns the exit code."""
    prepare_bulk_args(args)
    if args.workers is not None or args.scheduler is not None:
        return _distributed(args)
    done = Done(len(args.types) > 1)
    header = True
    networks = "PTR" in args.types
    if args.resume and os.path.exists(args.output):
        cut_partial_line(args.output)
        done = read_done(args.output, args.format, multi_type=len(args.types) > 1)
        header = os.path.getsize(args.output) == 0
    total: int | None = None
    try:
        # The total is for the progress bar only; a PTR run's networks are
        # checked (a too big one is a usage error) whether or not there is a bar.
        if _shows_progress(args) or networks:
            total = count_inputs(args.input, networks=networks)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read {args.input}: {exc.strerror}") from None
    if total is not None:
        total = max(0, total * len(args.types) - len(done))  # resumed: what is left
    with tuned_gc():  # ~500 young collections per 100k names otherwise: see tuned_gc
        return asyncio.run(_bulk(args, done, header, total))


def _distributed(args: argparse.Namespace) -> int:
    try:
        import dask  # noqa: F401  (the extra's packages, before the run starts)
        import distributed  # noqa: F401

        from .dask._cli import run_bulk  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        print("aioresolve: error: --workers/--scheduler need the dask extra: "
              f"pip install 'aioresolve[dask]' ({exc})", file=sys.stderr)
        return EXIT_USAGE
    code: int = run_bulk(args, bulk_run_options(args))
    return code


class _Runs:
    """The run, as the command drives it: results a batch at a time, and an
    input that fails part-way kept as an error (exit 2) after the results."""

    def __init__(self, run: BulkRun) -> None:
        self.run = run
        self.input_errors: list[BaseException] = []

    @property
    def done(self) -> int:
        return self.run.done

    @property
    def counts(self) -> dict[Status, int]:
        return self.run.counts

    def stop(self) -> None:
        self.run.stop()

    async def aclose(self) -> None:
        await self.run.aclose()

    async def batches(self) -> AsyncIterator[list[Result]]:
        """The results, a list at a time: one await per burst of finished lookups."""
        try:
            async for batch in self.run.batches():
                yield batch
        except (OSError, ValueError, UnicodeError) as exc:  # the input failed
            self.input_errors.append(exc)

    async def raw_batches(self) -> AsyncIterator[list[StreamResult]]:
        """:meth:`batches` as the stream's own results (``Writer.write_raw``
        counts their statuses)."""
        try:
            async for batch in self.run._raw_batches():
                yield batch
        except (OSError, ValueError, UnicodeError) as exc:  # the input failed
            self.input_errors.append(exc)


def _open_runs(args: argparse.Namespace, source: Any, done: Done) -> _Runs:
    from .bulk import resolve_many

    types: list[str] = args.types
    options = bulk_run_options(args)
    options["rtype"] = types[0] if len(types) == 1 else tuple(types)  # one result per type
    hosts: Any = input_texts(source, networks=True) if "PTR" in types else source
    if hosts is source and _is_regular(source):
        hosts = NamesFile(source)  # read in chunks, no Python frame per name
    try:
        run = resolve_many(hosts, skip=done.skipper(types) if done else None, **options)
    except (ResolveError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    return _Runs(run)


async def _bulk(args: argparse.Namespace, done: Done, header: bool, total: int | None) -> int:
    try:
        source = open_input(args.input)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    try:
        # Checks the options (record type, servers...) before the output is touched.
        runs = _open_runs(args, source, done)
    except BaseException:
        source.close()
        raise
    if args.output is None:
        fd = sys.stdout.fileno()
    else:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if args.resume else os.O_TRUNC)
        try:
            fd = os.open(args.output, flags, 0o644)
        except OSError as exc:
            source.close()
            await runs.aclose()
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None

    keep: Callable[[Result], bool] | None = None
    if args.only_ok:
        keep = is_ok
    elif args.only_failed:
        keep = is_failed
    if done and len(args.types) > 1:
        # An input resumed with some of its types done: those are looked up
        # again (skip works per input) and dropped here, so each stays once.
        written = done.already_written()
        chosen = keep

        def keep(result: Result) -> bool:
            return not written(result) and (chosen is None or chosen(result))
    show = _shows_progress(args)
    noun = "names" if len(args.types) == 1 else "lookups"
    bar = BulkProgress(total, enabled=show, noun=noun)
    # Results to the terminal the bar is on: clear it around each write.
    same_terminal = args.output is None and bar.live and _isatty(sys.stdout)
    writer = Writer(fd, args.format, header=header, keep=keep, detail=args.detail,
                    types=args.types, around_write=bar.suspended if same_terminal else None)
    writer.on_broken = runs.stop
    try:
        signum = await _drive(runs, writer, bar, skipped=lambda: done.count,
                              quiet=args.quiet, noun=noun)
    finally:
        writer.flush()
        source.close()
        if args.output is not None:
            os.close(fd)
    if writer.broken:
        return EXIT_PIPE
    if signum is not None:
        return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED
    if runs.input_errors:
        print(f"aioresolve: error: the input failed: {runs.input_errors[0]}", file=sys.stderr)
        return EXIT_USAGE
    if args.fail_on_error and any(
            n for status, n in runs.counts.items() if status is not Status.NOERROR):
        return EXIT_FAILED
    return EXIT_OK


def _is_regular(file: Any) -> bool:
    """Whether ``file`` is a regular file (not a pipe, terminal or device)."""
    try:
        return stat.S_ISREG(os.fstat(file.fileno()).st_mode)
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return False


def _shows_progress(args: argparse.Namespace) -> bool:
    """Whether the run shows a progress bar (``--progress``, or stderr is a terminal)."""
    return _isatty(sys.stderr) if args.progress is None else bool(args.progress)


_Batch = TypeVar("_Batch")


async def _pump(batches: AsyncIterator[_Batch], write: Callable[[_Batch], None], runs: _Runs,
                bar: BulkProgress) -> None:
    """Write each batch as it comes, updating the progress bar when due."""
    async for batch in batches:
        write(batch)
        if bar.due():
            bar.update(runs.done, runs.counts, force=True)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


async def _drive(runs: _Runs, writer: Writer, bar: BulkProgress, *,
                 skipped: Callable[[], int], quiet: bool, noun: str) -> int | None:
    """Consume the runs into the writer under the progress bar; returns the
    signal that stopped them, if any."""
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def on_signal(signum: int) -> None:
        stopped_by.append(signum)
        runs.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    started = time.monotonic()

    async def flush_now_and_then() -> None:
        # A slow tail (timeouts) must not keep finished records in memory only.
        while True:
            await asyncio.sleep(writer.batch_seconds)
            writer.flush()

    ticker = asyncio.create_task(flush_now_and_then())
    try:
        with bar:
            if writer.takes_raw:  # the lines straight from the stream's results
                run, write_raw = runs.run, writer.write_raw
                if writer.fmt == "jsonl":
                    run._render = "jsonl"  # common answers come as their lines (compiled core)
                await _pump(runs.raw_batches(), lambda raw: write_raw(raw, run), runs, bar)
            else:
                await _pump(runs.batches(), writer.write_batch, runs, bar)
            writer.flush()
            bar.update(runs.done, runs.counts, force=True)
    finally:
        ticker.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await runs.aclose()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    writer.flush()
    if not quiet and not writer.broken:
        lines = summary_lines(runs.counts, time.monotonic() - started, skipped=skipped(),
                              interrupted=bool(stopped_by), noun=noun)
        with contextlib.suppress(OSError, ValueError):
            print("\n".join(lines), file=sys.stderr, flush=True)
    return stopped_by[0] if stopped_by else None
