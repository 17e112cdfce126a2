"""``aioresolve bulk FILE --workers N`` / ``--scheduler ADDRESS``: the bulk
command on a Dask cluster (called by the CLI when either option is given).

The run directory is ``OUTPUT.dask/`` next to ``--output`` (a temporary
directory, removed afterwards, when the output is stdout), or ``--output``
itself with ``--per-partition`` (one file per partition, not combined);
``--resume`` continues it.  Same formats, types (several, PTR of networks),
summary and exit codes as the single-process command; the bar adds up every
worker's checkpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from .._cli_common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_TERMINATED,
    UsageError,
)
from .._progress import BulkProgress, summary_lines
from ..bulk import Status, resolve_many
from ._manifest import FORMAT_EXT, MANIFEST, RunMismatch
from ._partition import NetworkTooLarge
from ._run import DEFAULT_PARTITION_NAMES, plan_run, resolve_files

__all__ = ["run_bulk"]

#: Environment variable: names per partition (default
#: :data:`~aioresolve.dask.DEFAULT_PARTITION_NAMES`).
PARTITION_ENV = "AIORESOLVE_DASK_PARTITION_NAMES"


#: The names read from stdin, kept in the run directory (the input of its manifest).
_STDIN = "stdin.txt"


class _Stopped(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is."""


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _check_options(options: dict[str, Any]) -> None:
    """The options' errors (bad type, servers...) before a cluster starts."""

    async def check() -> None:
        run = resolve_many([], **options)
        await run.aclose()

    try:
        asyncio.run(check())
    except (ValueError, TypeError, LookupError, OSError) as exc:
        raise UsageError(str(exc)) from None


@contextlib.contextmanager
def _client(args: argparse.Namespace) -> Iterator[Any]:
    distributed: Any = importlib.import_module("distributed")
    if args.scheduler is not None:
        try:
            client = distributed.Client(args.scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the scheduler {args.scheduler}: {exc}") from None
        with client:
            yield client
        return
    from . import local_client

    with local_client(args.workers) as client:
        yield client


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[list[int]]:
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise _Stopped

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield received
        return
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _show(bar: BulkProgress, done: int, total: int, counts: dict[Status, int]) -> None:
    bar.total = total
    bar.update(done, counts, force=True)


def _copy_to_stdout(path: str) -> None:
    fd = sys.stdout.fileno()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            view = memoryview(block)
            while view:
                view = view[os.write(fd, view):]


def _new_run_dir(run_dir: str, *, resume: bool) -> None:
    """``--per-partition -o DIR``: DIR is the run directory.  A new run
    replaces an earlier run's files there (only those); a directory holding
    anything else is refused rather than mixed with."""
    if resume or not os.path.exists(run_dir):
        return
    if not os.path.isdir(run_dir):
        raise UsageError(f"--per-partition -o {run_dir}: not a directory")
    entries = set(os.listdir(run_dir))
    if not entries:
        return
    if MANIFEST not in entries or entries - {MANIFEST, "parts", _STDIN}:
        raise UsageError(f"--per-partition -o {run_dir}: the directory holds other files "
                         "than a run's (give a new or empty directory)")
    shutil.rmtree(os.path.join(run_dir, "parts"), ignore_errors=True)
    for name in (_STDIN, MANIFEST):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(run_dir, name))


def run_bulk(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Run ``aioresolve bulk`` on a local (``args.workers``) or existing
    (``args.scheduler``) Dask cluster; returns the exit code.

    :param args: the bulk command's parsed arguments (``input``, ``output``,
        ``format``, ``detail``, ``resume``, ``only_ok``/``only_failed``,
        ``progress``, ``quiet``, ``fail_on_error``, ``types``, ``workers``,
        ``scheduler``).
    :param options: the :func:`~aioresolve.resolve_many` options of the
        single-process run (``qps`` is the whole run's budget).
    :raises UsageError: what the single-process command rejects too, and a
        PTR run's network of more than
        :data:`~aioresolve.dask._partition.MAX_NETWORK_ADDRESSES` addresses.
    """
    types = list(getattr(args, "types", None) or [options.get("rtype", "A")])
    options = dict(options, rtype=types[0] if len(types) == 1 else tuple(types))
    per_partition = bool(getattr(args, "per_partition", False))
    if per_partition and args.output is None:
        raise UsageError("--per-partition needs --output DIR (the run directory)")
    if args.input == "-" and args.resume:
        raise UsageError("--resume with --workers/--scheduler needs an input FILE, not stdin")
    if args.input != "-" and not os.path.isfile(args.input):
        raise UsageError(f"cannot read {args.input}: not a file")
    _check_options(options)
    keep = "ok" if args.only_ok else "failed" if args.only_failed else "all"
    try:
        partition_names = int(os.environ.get(PARTITION_ENV, DEFAULT_PARTITION_NAMES))
    except ValueError:
        raise UsageError(f"{PARTITION_ENV} must be a number of names") from None
    scratch: str | None = None
    output: str | None
    if args.output is None:
        scratch = tempfile.mkdtemp(prefix="aioresolve-dask-")
        run_dir = os.path.join(scratch, "run")
        output = os.path.join(scratch, "output")
    elif per_partition:
        run_dir, output = args.output, None
        _new_run_dir(run_dir, resume=args.resume)
    else:
        run_dir = args.output + ".dask"
        output = args.output
        if not args.resume and os.path.exists(os.path.join(run_dir, "manifest.json")):
            shutil.rmtree(run_dir)  # a new run replaces the old one, as the output file
    path = args.input
    try:
        if path == "-":
            assert scratch is not None or args.output is not None
            path = os.path.join(scratch or run_dir, _STDIN)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)
        return _run(args, options, path, run_dir, output, keep, partition_names,
                    to_stdout=args.output is None)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace, options: dict[str, Any], path: str, run_dir: str,
         output: str | None, keep: str, partition_names: int, *, to_stdout: bool) -> int:
    show = _isatty(sys.stderr) if args.progress is None else bool(args.progress)
    noun = "names" if isinstance(options["rtype"], str) else "lookups"
    started = time.monotonic()
    detail = bool(getattr(args, "detail", False))
    try:  # the input's and the run directory's errors before a cluster starts
        plan_run(path, run_dir, fmt=args.format, keep=keep, detail=detail, resume=args.resume,
                 partition_names=partition_names, **options)
    except (RunMismatch, NetworkTooLarge) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read {exc.filename or path}: {exc.strerror}") from None
    with _sigterm_as_interrupt() as signals:
        try:
            with _client(args) as client:
                bar = BulkProgress(None, enabled=show, noun=noun)
                with bar:
                    summary = resolve_files(
                        client, path, run_dir, output=output, fmt=args.format, keep=keep,
                        detail=detail, resume=True, partition_names=partition_names,
                        progress=lambda done, total, counts: _show(bar, done, total, counts),
                        **options)
        except (RunMismatch, NetworkTooLarge) as exc:
            raise UsageError(str(exc)) from None
        except OSError as exc:  # the run directory or the output cannot be written
            raise UsageError(str(exc)) from None
        except KeyboardInterrupt:
            summary = None
        except Exception as exc:  # e.g. KilledWorker: a partition's workers kept dying
            print(f"aioresolve: error: the run failed: {type(exc).__name__}: {exc}\n"
                  f"  the run directory {run_dir} keeps what is done: --resume continues",
                  file=sys.stderr)
            return EXIT_FAILED
    interrupted = summary is None or summary.interrupted
    if summary is not None and not interrupted and to_stdout and output is not None:
        try:
            _copy_to_stdout(output)
        except BrokenPipeError:
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_PIPE
    if not args.quiet:
        counts = summary.session_counts if summary is not None else dict.fromkeys(Status, 0)
        elapsed = summary.elapsed if summary is not None else time.monotonic() - started
        lines = summary_lines(counts, elapsed,
                              skipped=summary.skipped if summary is not None else 0,
                              interrupted=interrupted, noun=noun)
        if output is None and not interrupted:
            lines.append(f"  one file per partition, in input order: {run_dir}/parts/"
                         f"part-NNNNN.{FORMAT_EXT[args.format]}")
        if interrupted and not to_stdout:
            lines.append(f"  the run directory {run_dir} keeps what is done: --resume continues")
        with contextlib.suppress(OSError, ValueError):
            print("\n".join(lines), file=sys.stderr, flush=True)
    if interrupted:
        return EXIT_TERMINATED if signals else EXIT_INTERRUPTED
    assert summary is not None
    if getattr(args, "fail_on_error", False) and any(
            n for status, n in summary.counts.items() if status is not Status.NOERROR):
        return EXIT_FAILED
    return EXIT_OK
