"""``aioresolve demo``: the library's two jobs against an embedded DNS server.

Everything happens on 127.0.0.1: the demo starts
:class:`aioresolve.testing.DNSServer` with a generated zone ``demo.test`` and
points a resolver (the wire or c-ares backend, with the server as its only
nameserver) at it.  Neither the system resolver nor the machine's nameserver
is ever asked, so it runs on a fresh machine with nothing else installed
(c-ares comes from the ``cares`` extra when the wire backend is absent).
"""

from __future__ import annotations

import ipaddress
import random
import shutil
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import IO, Any

from ._config import default_backend_name
from ._progress import BulkProgress, summary_lines
from .bulk import resolve_many

__all__ = ["ZONE", "demo_names", "demo_records", "run_demo"]

ZONE = "demo.test"
#: Share of the bulk names that do not exist (NXDOMAIN).
NX_SHARE = 0.02
#: Share of names below ``flaky.demo.test``: the server drops 30% of their queries,
#: so some need a retry and a few time out.
FLAKY_SHARE = 0.01
#: Share of names below ``broken.demo.test``: always SERVFAIL.
BROKEN_SHARE = 0.005


def _address(i: int) -> str:
    return str(ipaddress.IPv4Address(0xC6120000 + (i % (1 << 17))))  # 198.18.0.0/15


def demo_records(count: int) -> dict[str, Any]:
    """The generated zone: ``h{i}.demo.test`` A records and a few showcase names."""
    records: dict[str, Any] = {f"h{i}.{ZONE}": _address(i) for i in range(count)}
    records.update({
        f"www.{ZONE}": {"A": ["192.0.2.10", "192.0.2.11"], "AAAA": "2001:db8::10"},
        f"web.{ZONE}": {"CNAME": f"www.{ZONE}."},
        ZONE: {"MX": ["10 mail1.demo.test.", "20 mail2.demo.test."],
               "TXT": "v=spf1 -all"},
        f"mail1.{ZONE}": "192.0.2.25",
        f"mail2.{ZONE}": "192.0.2.26",
        f"*.flaky.{ZONE}": "192.0.2.40",
        f"*.broken.{ZONE}": "192.0.2.41",
    })
    return records


def demo_names(count: int, seed: int = 8) -> list[str]:
    """The bulk input: every ``h{i}`` name, with some replaced by names that do
    not exist, flaky names and broken names, in a repeatable random order."""
    rng = random.Random(seed)
    names = []
    for i in range(count):
        draw = rng.random()
        if draw < NX_SHARE:
            names.append(f"nx{i}.{ZONE}")
        elif draw < NX_SHARE + FLAKY_SHARE:
            names.append(f"h{i}.flaky.{ZONE}")
        elif draw < NX_SHARE + FLAKY_SHARE + BROKEN_SHARE:
            names.append(f"h{i}.broken.{ZONE}")
        else:
            names.append(f"h{i}.{ZONE}")
    return names


def _rule(out: IO[str], title: str) -> None:
    """A heading line: as wide as the terminal, 80 columns elsewhere (a
    heading, never wrapped text: the other lines are printed as they are)."""
    try:
        width = min(shutil.get_terminal_size().columns, 100) if out.isatty() else 80
    except (AttributeError, ValueError, OSError):
        width = 80
    pad = max(4, width - len(title) - 2)
    print(f"{'─' * (pad // 2)} {title} {'─' * (pad - pad // 2)}", file=out, flush=True)


def _say(out: IO[str], text: str) -> None:
    print(text, file=out, flush=True)


async def _facade(out: IO[str], server: Any, backend: str) -> None:
    async with server.resolver(backend, timeout=2.0) as resolver:
        _rule(out, f"1. Lookups through a Resolver ({backend} backend, {server.address})")
        async def addresses() -> list[str]:
            infos = await resolver.getaddrinfo(f"www.{ZONE}", 443, type=socket.SOCK_STREAM)
            return [f"{family.name} {sockaddr[0]!s}" for family, _, _, _, sockaddr in infos]

        calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            (f"getaddrinfo('www.{ZONE}', 443)", addresses),
            (f"query('web.{ZONE}', 'A')", lambda: resolver.query(f"web.{ZONE}", "A")),
            (f"query('{ZONE}', 'MX')", lambda: resolver.query(ZONE, "MX")),
            (f"query('nx.{ZONE}', 'A')", lambda: resolver.query(f"nx.{ZONE}", "A")),
        ]
        for label, call in calls:
            try:
                value = await call()
            except Exception as exc:  # the demo shows errors as results
                _say(out, f"  {label}\n    -> {type(exc).__name__}: {exc}")
                continue
            shown = value
            if hasattr(value, "records"):
                shown = ", ".join(
                    f"{r.rtype} {getattr(r, 'address', None) or getattr(r, 'exchange', '')}"
                    f" (ttl {r.ttl})" for r in value.records)
                if value.canonical_name != value.name:
                    shown += f"  [canonical name {value.canonical_name}]"
            _say(out, f"  {label}\n    -> {shown}")


async def run_demo(*, names: int = 100_000, concurrency: int = 200, backend: str | None = None,
                   progress: bool | None = None, stream: IO[str] | None = None) -> int:
    """Run the demo; returns the exit code (0 unless the demo itself failed).

    :param stream: where to print (default ``sys.stderr``); the progress bar
        is drawn there when it is a terminal (or ``progress=True``).
    """
    from .testing import DNSServer, Fault

    out = stream if stream is not None else sys.stderr
    backend = backend or default_backend_name(["127.0.0.1"])
    started = time.monotonic()
    _say(out, f"building a zone of {names:,} names...")
    server = DNSServer(
        demo_records(names), zones=[ZONE], seed=8,
        faults={f"flaky.{ZONE}": Fault(drop_rate=0.3),
                f"broken.{ZONE}": Fault(servfail_rate=1.0)},
    )
    async with server:
        _say(out, f"embedded DNS server on {server.address} serving {ZONE} "
                  f"({names:,} names, built in {time.monotonic() - started:.1f}s); "
                  "nothing leaves loopback")
        await _facade(out, server, backend)
        _rule(out, f"2. Bulk: {names:,} names, concurrency {concurrency}")
        inputs = demo_names(names)
        run = resolve_many(inputs, nameservers=server.nameservers, backend=backend,
                           concurrency=concurrency, timeout=2.0, attempts=3)
        show = _isatty(out) if progress is None else progress
        began = time.monotonic()
        with BulkProgress(len(inputs), enabled=show, stream=out) as bar:
            async for _result in run:
                bar.update(run.done, run.counts)
            bar.update(run.done, run.counts, force=True)
        elapsed = time.monotonic() - began
        for line in summary_lines(run.counts, elapsed):
            _say(out, line)
        stats = server.stats
        rcodes = ", ".join(f"{k} {v:,}" for k, v in sorted(stats.by_rcode.items()))
        _say(out, f"server saw {stats.queries:,} queries ({rcodes}); the retries "
                  "account for the difference")
    ok = run.done == len(inputs)
    return 0 if ok else 1


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
