"""The ``aioresolve`` command line: ``resolve``, ``query``, ``bulk`` and ``demo``.

Exit codes (see ``docs/cli.md``):

* 0 - the command completed: ``bulk`` went through its whole input (whatever
  the per-name statuses, as massdns, zdns and dnsx do; ``--fail-on-error``
  makes it 1 when any result is not NOERROR); ``resolve``/``query`` got an answer;
* 1 - ``resolve``/``query``: a lookup failed; ``bulk --fail-on-error``: some result
  was not NOERROR;
* 2 - usage error: bad arguments, unreadable input, unusable backend;
* 130 - interrupted by SIGINT (Ctrl-C), 143 - terminated by SIGTERM; ``bulk``
  first writes every finished result, so ``--resume`` continues the run;
* 141 - stdout was closed before the end (``| head``): quietly, as a C tool
  killed by SIGPIPE.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__
from ._cli_bulk import bulk_command, bulk_run_options
from ._cli_common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PIPE,
    EXIT_TERMINATED,
    EXIT_USAGE,
    UsageError,
)
from ._cli_output import FORMATS
from ._config import default_backend_name
from ._errors import ResolveError

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "build_parser",
    "bulk_run_options",
    "main",
]


# -- argument types: their messages name the value, never a function --------------------


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None


def positive_float(text: str) -> float:
    """A number > 0 (``--timeout``, ``--qps``)."""
    value = float(_number(text, float))
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (``--concurrency``, ``--attempts`` ...)."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


_EPILOG = ("exit codes: 0 completed, 1 a lookup failed (resolve/query; bulk with "
           "--fail-on-error), 2 usage error, 130 interrupted (SIGINT), 143 terminated "
           "(SIGTERM), 141 output closed (| head)")


def _verbosity(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=default,
                        help="log retries, failover and server errors on stderr "
                             "(-v: INFO, -vv: DEBUG)")


def _add_resolver_options(parser: argparse.ArgumentParser, *, resolvers_file: bool) -> None:
    parser.add_argument("--server", "-s", action="append", metavar="IP[:PORT]", default=None,
                        help="nameserver to ask (repeatable: spread and failover); "
                             "IPv6 with a port as [v6]:port; default: resolv.conf's")
    if resolvers_file:
        parser.add_argument("-r", "--resolvers", metavar="FILE", default=None,
                            help="file of nameservers, one ip[:port] or [v6]:port a line "
                                 "(# comments); used as repeated --server")
    parser.add_argument("--backend", choices=("system", "cares", "wire"), default=None,
                        help="resolver backend (default: system for resolve; wire for "
                             "query/bulk, asking --server or resolv.conf's nameservers)")
    parser.add_argument("--timeout", type=positive_float, default=5.0, metavar="SECONDS",
                        help="seconds per name, all attempts included (default 5)")


def build_parser() -> argparse.ArgumentParser:
    """The ``aioresolve`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="aioresolve", description="Asyncio name resolution: lookups, record queries, "
        "bulk resolution.", epilog=_EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _verbosity(parser, 0)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("resolve", help="addresses of names, like getaddrinfo", epilog=_EPILOG)
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("-4", dest="family", action="store_const", const=socket.AF_INET,
                   default=socket.AF_UNSPEC, help="IPv4 only")
    p.add_argument("-6", dest="family", action="store_const", const=socket.AF_INET6,
                   help="IPv6 only")
    _add_resolver_options(p, resolvers_file=False)
    _verbosity(p, argparse.SUPPRESS)

    p = sub.add_parser("query", help="DNS records of one type at one name", epilog=_EPILOG)
    p.add_argument("name", metavar="NAME")
    p.add_argument("rtype", metavar="TYPE", nargs="?", default="A")
    _add_resolver_options(p, resolvers_file=False)
    _verbosity(p, argparse.SUPPRESS)

    p = sub.add_parser(
        "bulk", help="resolve a file of names (one per line)", epilog=_EPILOG,
        description="Resolve every line of FILE; one result per input and record type.")
    p.add_argument("input", nargs="?", default="-", metavar="FILE|-",
                   help="names, one per line; blank and #-lines skipped (default: stdin)")
    p.add_argument("--type", "-t", dest="type_text", default="A", metavar="TYPE[,TYPE...]",
                   help="record type(s): A, AAAA, MX...; ADDR for A and AAAA merged; "
                        "several (A,AAAA,MX) give one result per input and type; PTR takes "
                        "addresses and networks (192.0.2.0/24) too (default A)")
    p.add_argument("--concurrency", "-c", type=positive_int, default=200, metavar="N",
                   help="lookups in flight at most (default 200)")
    p.add_argument("--qps", type=positive_float, default=None, metavar="N",
                   help="at most this many queries per second (default: no limit)")
    p.add_argument("--attempts", type=positive_int, default=3, metavar="N",
                   help="queries per name at most (retries on TIMEOUT/SERVFAIL/REFUSED; "
                        "default 3)")
    p.add_argument("--format", "-f", choices=FORMATS, default="jsonl",
                   help="jsonl (default), csv, or text (input TAB status TAB data)")
    p.add_argument("--detail", action="store_true",
                   help="jsonl: full detail per line (answer and authority sections, "
                        "class, negative TTL, resolver, timestamp; see docs/output.md)")
    p.add_argument("--output", "-o", default=None, metavar="FILE",
                   help="write here instead of stdout")
    p.add_argument("--resume", action="store_true",
                   help="skip inputs already in --output and append the rest")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--only-ok", action="store_true", help="write NOERROR results only")
    only.add_argument("--only-failed", action="store_true", help="write failures only")
    p.add_argument("--fail-on-error", action="store_true",
                   help="exit 1 when any result is not NOERROR (default: 0 once the run "
                        "completes)")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show the progress bar even when stderr is not a terminal")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="no progress bar (default: a bar when stderr is a terminal)")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary on stderr")
    dask = p.add_argument_group("distributed runs (the dask extra)")
    dask.add_argument("--workers", type=positive_int, default=None, metavar="N",
                      help="spread the run over a local dask cluster of N worker processes")
    dask.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="spread the run over an existing dask cluster (tcp://host:port)")
    dask.add_argument("--per-partition", action="store_true",
                      help="with --workers/--scheduler: -o DIR is the run directory, its "
                           "parts/ keep one output file per partition (not combined into one)")
    _add_resolver_options(p, resolvers_file=True)
    _verbosity(p, argparse.SUPPRESS)

    p = sub.add_parser("demo", help="an embedded DNS server, facade lookups and a bulk run")
    p.add_argument("--names", type=positive_int, default=100_000,
                   help="names in the generated zone (default 100000)")
    p.add_argument("--concurrency", type=positive_int, default=200)
    p.add_argument("--backend", choices=("cares", "wire"), default=None)
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None)
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    _verbosity(p, argparse.SUPPRESS)
    return parser


def configure_logging(verbose: int) -> None:
    """``-v``: INFO, ``-vv``: DEBUG records of the ``aioresolve`` loggers on
    stderr, clearing the progress bar while they are written."""
    if verbose <= 0:
        return
    from ._progress import BarLogHandler

    handler = BarLogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("aioresolve")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)


def _quiet_stdout() -> None:
    """After EPIPE on stdout: point it at /dev/null so that the interpreter's
    final flush does not print a BrokenPipeError of its own."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``aioresolve`` and ``python -m aioresolve``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "resolve": lambda a: asyncio.run(_resolve(a)),
        "query": lambda a: asyncio.run(_query(a)),
        "bulk": bulk_command,
        "demo": lambda a: asyncio.run(_demo(a)),
    }
    try:
        return commands[args.command](args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"aioresolve: error: {exc}\n")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE


def _resolver(args: argparse.Namespace, default: str | None) -> Any:
    from ._api import Resolver

    servers = args.server
    backend = args.backend or default or default_backend_name(servers)
    if backend == "system" and servers:
        raise UsageError("--backend system cannot ask a --server; use cares or wire")
    options: dict[str, Any] = {"nameservers": servers} if servers else {}
    try:
        return Resolver(backend, timeout=args.timeout, **options)
    except (ResolveError, ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


# -- resolve / query --------------------------------------------------------------------


async def _resolve(args: argparse.Namespace) -> int:
    code = EXIT_OK
    async with _resolver(args, None if args.server else "system") as resolver:
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
    from .bulk import record_text

    async with _resolver(args, None) as resolver:
        try:
            answer = await resolver.query(args.name, args.rtype)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except ResolveError as exc:
            print(f"{args.name}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    chain = [*answer.aliases, answer.canonical_name] if answer.aliases else []
    for owner, target in itertools.pairwise(chain):  # the CNAME chain first, as dig prints it
        print(f"{owner}.\t{answer.ttl}\tIN\tCNAME\t{target}.")
    for record in answer.records:
        text = record_text(record)
        print(f"{answer.canonical_name}.\t{record.ttl}\tIN\t{record.rtype}\t{text}")
    return EXIT_OK


async def _demo(args: argparse.Namespace) -> int:
    from ._demo import run_demo

    code: int = await run_demo(names=args.names, concurrency=args.concurrency,
                               backend=args.backend, progress=args.progress)
    return code
