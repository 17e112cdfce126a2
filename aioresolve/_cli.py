"""The ``aioresolve`` command line: ``resolve``, ``query``, ``bulk`` and ``demo``.

Exit codes (every command):

* 0 - every lookup succeeded (status NOERROR);
* 1 - at least one lookup failed (any other status; the output says which);
* 2 - usage error: bad arguments, unreadable input, unusable backend;
* 130 - interrupted by SIGINT (Ctrl-C), 143 - terminated by SIGTERM; ``bulk``
  first writes every finished result, so ``--resume`` continues the run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import csv
import io
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

from rich.console import Console

from ._api import Resolver
from ._errors import ResolveError
from ._progress import BulkProgress, summary_lines
from .bulk import (
    CSV_FIELDS,
    DEFAULT_RETRY_ON,
    BulkRun,
    Result,
    Status,
    default_backend,
    record_text,
    system_nameservers,
)

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

FORMATS = ("jsonl", "csv", "text")


class UsageError(Exception):
    """Reported as ``aioresolve: error: ...`` with exit code 2."""


# -- argument parsing ---------------------------------------------------------------


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _add_resolver_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", action="append", metavar="IP[:PORT]", default=None,
                        help="nameserver to ask (repeatable); default: the system's configuration")
    parser.add_argument("--backend", choices=("system", "cares", "wire"), default=None,
                        help="resolver backend (default: system for resolve; wire for "
                             "query/bulk, asking --server or resolv.conf's nameservers)")
    parser.add_argument("--timeout", type=_positive_float, default=5.0, metavar="SECONDS",
                        help="seconds per name, all attempts included (default 5)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aioresolve", description="Asyncio name resolution: lookups, record queries, "
        "bulk resolution.", epilog="exit codes: 0 all ok, 1 some lookups failed, 2 usage "
        "error, 130 interrupted (SIGINT), 143 terminated (SIGTERM)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("resolve", help="addresses of names, like getaddrinfo")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("-4", dest="family", action="store_const", const=socket.AF_INET,
                   default=socket.AF_UNSPEC, help="IPv4 only")
    p.add_argument("-6", dest="family", action="store_const", const=socket.AF_INET6,
                   help="IPv6 only")
    _add_resolver_options(p)

    p = sub.add_parser("query", help="DNS records of one type at one name")
    p.add_argument("name", metavar="NAME")
    p.add_argument("rtype", metavar="TYPE", nargs="?", default="A")
    _add_resolver_options(p)

    p = sub.add_parser("bulk", help="resolve a file of names (one per line)")
    p.add_argument("input", nargs="?", default="-", metavar="FILE|-",
                   help="names, one per line; blank and #-lines skipped (default: stdin)")
    p.add_argument("--type", dest="rtype", default="A", metavar="TYPE",
                   help="record type, or ADDR for A and AAAA (default A)")
    p.add_argument("--concurrency", type=_positive_int, default=200, metavar="N",
                   help="lookups in flight at most (default 200)")
    p.add_argument("--qps", type=_positive_float, default=None, metavar="N",
                   help="at most this many queries per second")
    p.add_argument("--attempts", type=_positive_int, default=3, metavar="N",
                   help="queries per name at most (retries on TIMEOUT/SERVFAIL/REFUSED)")
    p.add_argument("--format", choices=FORMATS, default="jsonl")
    p.add_argument("--output", "-o", default=None, metavar="FILE",
                   help="write here instead of stdout")
    p.add_argument("--resume", action="store_true",
                   help="skip inputs already in --output and append the rest")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--only-ok", action="store_true", help="write NOERROR results only")
    only.add_argument("--only-failed", action="store_true", help="write failures only")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show the progress bar even when stderr is not a terminal")
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    _add_resolver_options(p)

    p = sub.add_parser("demo", help="an embedded DNS server, facade lookups and a bulk run")
    p.add_argument("--names", type=_positive_int, default=100_000,
                   help="names in the generated zone (default 100000)")
    p.add_argument("--concurrency", type=_positive_int, default=200)
    p.add_argument("--backend", choices=("cares", "wire"), default=None)
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None)
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``aioresolve`` and ``python -m aioresolve``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], Any]] = {
        "resolve": _resolve, "query": _query, "demo": _demo,
        # file work (resume scan, line count) happens before the loop starts
        "bulk": lambda a: _bulk(a, _bulk_setup(a)),
    }
    try:
        code: int = asyncio.run(commands[args.command](args))
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"aioresolve: error: {exc}\n")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return code


def _resolver(args: argparse.Namespace, default: str) -> Resolver:
    servers = args.server
    backend = args.backend or (default_backend(servers) if servers else default)
    if backend == "system" and servers:
        raise UsageError("--backend system cannot ask a --server; use cares or wire")
    if backend == "wire" and not servers:
        servers = system_nameservers()  # the wire engine asks resolv.conf's servers
    options: dict[str, Any] = {"nameservers": servers} if servers else {}
    try:
        return Resolver(backend, timeout=args.timeout, **options)
    except (ResolveError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


# -- resolve / query --------------------------------------------------------------------


async def _resolve(args: argparse.Namespace) -> int:
    code = EXIT_OK
    async with _resolver(args, "system") as resolver:
        for name in args.names:
            try:
                infos = await resolver.getaddrinfo(name, None, args.family, socket.SOCK_STREAM)
            except (OSError, ResolveError) as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                code = EXIT_FAILED
                continue
            for family, _type, _proto, _canon, sockaddr in infos:
                print(f"{sockaddr[0]!s:<39} {family.name:<8} {name}")
    return code


async def _query(args: argparse.Namespace) -> int:
    async with _resolver(args, default_backend(args.server)) as resolver:
        try:
            answer = await resolver.query(args.name, args.rtype)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except ResolveError as exc:
            print(f"{args.name}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    for record in answer.records:
        text = record_text(record)
        print(f"{answer.canonical_name}.\t{record.ttl}\tIN\t{record.rtype}\t{text}")
    return EXIT_OK


# -- bulk: output ---------------------------------------------------------------------------


class _Writer:
    """Formats results and writes whole lines with ``os.write``, in batches.

    A batch goes out when it reaches :attr:`batch_bytes`, and at least every
    :attr:`batch_seconds`, so a killed run loses at most that much (which
    ``--resume`` redoes) and never leaves half a record behind (except, at
    worst, one partial last line, which ``--resume`` cuts off).
    """

    batch_bytes = 64 * 1024
    batch_seconds = 0.25

    def __init__(self, fd: int, fmt: str, *, header: bool,
                 keep: Callable[[Result], bool]) -> None:
        self.fd = fd
        self.fmt = fmt
        self.keep = keep
        self._parts: list[str] = []
        self._size = 0
        self._since = time.monotonic()
        self._csv_buffer = io.StringIO()
        self._csv = csv.writer(self._csv_buffer, lineterminator="\n")
        if header and fmt == "csv":
            self._csv.writerow(CSV_FIELDS)
            self._take_csv()

    def _take_csv(self) -> None:
        line = self._csv_buffer.getvalue()
        self._csv_buffer.seek(0)
        self._csv_buffer.truncate()
        self._add(line)

    def _add(self, line: str) -> None:
        self._parts.append(line)
        self._size += len(line)

    def write(self, result: Result) -> None:
        if not self.keep(result):
            return
        if self.fmt == "jsonl":
            self._add(result.to_json() + "\n")
        elif self.fmt == "csv":
            self._csv.writerow(result.csv_row())
            self._take_csv()
        else:
            detail = result.data_text() if result.ok else (result.error or "")
            self._add(f"{result.input}\t{result.status.value}\t{detail}\n")
        if self._size >= self.batch_bytes or time.monotonic() - self._since > self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        self._since = time.monotonic()
        if not self._parts:
            return
        data = "".join(self._parts).encode("utf-8", "surrogateescape")
        self._parts.clear()
        self._size = 0
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


# -- bulk: resume -----------------------------------------------------------------------------


def _cut_partial_line(path: str) -> None:
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


class _Done:
    """What an output file already holds: indices (jsonl, csv) or, for the
    text format, how many times each input appears."""

    def __init__(self) -> None:
        self.indices: set[int] = set()
        self.inputs: collections.Counter[str] = collections.Counter()
        self.count = 0

    def __len__(self) -> int:
        return len(self.indices) + sum(self.inputs.values())

    def skip(self, index: int, text: str) -> bool:
        if self.indices:
            if index in self.indices:
                self.indices.discard(index)
                self.count += 1
                return True
            return False
        if self.inputs.get(text):
            self.inputs[text] -= 1
            self.count += 1
            return True
        return False


def _read_done(path: str, fmt: str) -> _Done:
    done = _Done()
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        if fmt == "jsonl":
            for line in f:
                try:
                    done.indices.add(int(json.loads(line)["index"]))
                except (ValueError, KeyError, TypeError):
                    continue  # not one of our records
        elif fmt == "csv":
            for row in csv.reader(f):
                if row and row[0].isdigit():
                    done.indices.add(int(row[0]))
        else:
            for line in f:
                done.inputs[line.rstrip("\n").split("\t", 1)[0]] += 1
    return done


# -- bulk: input -------------------------------------------------------------------------------


def _open_input(path: str) -> IO[str]:
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="surrogateescape")
    try:
        return open(path, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def count_names(path: str) -> int | None:
    """Lines of a regular file that are neither blank nor ``#`` comments
    (``None`` for stdin, pipes and devices: the total is then unknown)."""
    if path == "-" or not os.path.isfile(path):
        return None
    count = 0
    with open(path, "rb") as f:
        for line in f:
            text = line.strip()
            if text and not text.startswith(b"#"):
                count += 1
    return count


# -- bulk ----------------------------------------------------------------------------------------


class _BulkSetup:
    def __init__(self, backend: str, done: _Done, header: bool, total: int | None) -> None:
        self.backend = backend
        self.done = done
        self.header = header
        self.total = total


def _bulk_setup(args: argparse.Namespace) -> _BulkSetup:
    if args.resume and args.output is None:
        raise UsageError("--resume needs --output FILE")
    servers = args.server
    backend = args.backend or default_backend(servers)
    if backend == "system" and servers:
        raise UsageError("--backend system cannot ask a --server; use cares or wire")
    done = _Done()
    header = True
    if args.resume and os.path.exists(args.output):
        _cut_partial_line(args.output)
        done = _read_done(args.output, args.format)
        header = os.path.getsize(args.output) == 0
    total = count_names(args.input)
    if total is not None:
        total = max(0, total - len(done))  # resumed: the bar counts what is left
    return _BulkSetup(backend, done, header, total)


async def _bulk(args: argparse.Namespace, setup: _BulkSetup) -> int:
    from .bulk import resolve_many

    servers, done, total = args.server, setup.done, setup.total
    source = _open_input(args.input)
    try:
        # Checks the options (record type, servers...) before the output is touched.
        run = resolve_many(
            source, rtype=args.rtype, concurrency=args.concurrency, timeout=args.timeout,
            attempts=args.attempts, retry_on=DEFAULT_RETRY_ON, qps=args.qps,
            backend=setup.backend, nameservers=servers,
            skip=done.skip if (done.indices or done.inputs) else None,
        )
    except (ResolveError, ValueError, TypeError) as exc:
        source.close()
        raise UsageError(str(exc)) from None
    if args.output is None:
        fd = sys.stdout.fileno()
    else:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if args.resume else os.O_TRUNC)
        try:
            fd = os.open(args.output, flags, 0o644)
        except OSError as exc:
            source.close()
            await run.aclose()
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None

    def keep(result: Result) -> bool:
        if args.only_ok:
            return result.ok
        if args.only_failed:
            return not result.ok
        return True

    writer = _Writer(fd, args.format, header=setup.header, keep=keep)
    console = Console(stderr=True)
    show = console.is_terminal if args.progress is None else args.progress
    try:
        signum = await _drive(run, writer, total, show, console, skipped=lambda: done.count,
                              quiet=args.quiet)
    finally:
        writer.flush()
        source.close()
        if args.output is not None:
            os.close(fd)
    if signum is not None:
        return EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED
    failed = sum(n for status, n in run.counts.items() if status is not Status.NOERROR)
    return EXIT_FAILED if failed else EXIT_OK


async def _drive(run: BulkRun, writer: _Writer, total: int | None, show: bool,
                 console: Console, *, skipped: Callable[[], int], quiet: bool) -> int | None:
    """Consume the run into the writer under the progress bar; returns the
    signal that stopped it, if any."""
    loop = asyncio.get_running_loop()
    stopped_by: list[int] = []

    def on_signal(signum: int) -> None:
        stopped_by.append(signum)
        run.stop()

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
        with BulkProgress(total, enabled=show, console=console) as bar:
            async for result in run:
                writer.write(result)
                bar.update(run.done, run.counts)
            bar.update(run.done, run.counts, force=True)
    finally:
        ticker.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await run.aclose()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    writer.flush()
    if not quiet:
        for line in summary_lines(run.counts, time.monotonic() - started, skipped=skipped(),
                                  interrupted=bool(stopped_by)):
            console.print(line, highlight=False, markup=False)
    return stopped_by[0] if stopped_by else None


async def _demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    code: int = await run_demo(names=args.names, concurrency=args.concurrency,
                          backend=args.backend, progress=args.progress)
    return code
