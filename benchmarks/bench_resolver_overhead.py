"""What a :class:`~aioresolve.Resolver` adds on top of its backend, for unique names.

Run from the repository root::

    python benchmarks/bench_resolver_overhead.py [--quick] [--backend wire|cares|both]
        [--no-network] [--instructions]

Starts knotd on loopback (tests.rig.servers.start_knot with a 20,000-name bulk
zone) and looks up every bulk name once (A records, so no cache hit and no
coalescing partner: the pure overhead of the common path), with at most
``--in-flight`` lookups outstanding, for the wire backend (the default of
record queries) and the c-ares backend (``--backend wire|cares|both``), through

  * the backend directly (``backend.query``),
  * ``Resolver(kind, cache=False, coalesce=False)``,
  * ``Resolver(kind)`` (defaults: cache + coalescing),
  * ``Resolver(kind, timeout=30)`` (defaults plus a per-lookup deadline).

Every row gets a fresh backend, so no backend cache answers.  Besides names/s
(wall clock, which the server's share of the machine moves; taken over the
first 99% of the names, since on a loaded box a lost datagram holds its
lookup for a retry timer) each row reports
the client's own CPU time per name, the steadier figure on a shared machine.
A table counts the Python and C calls per lookup on a backend without
I/O (``sys.setprofile``): a figure that does not move with the machine's load.
A last one gives the µs each path costs per lookup on a backend that answers
at once (its coroutines driven by ``send()``, no event loop, no I/O, best of
7 rounds of CPU time): the facade's own cost, what the names/s ratio is made
of on a real backend (``ratio = backend / (backend + layer)``).
Between the two, ``Resolver(kind)`` with the defaults under asyncio and under
trio, where the wire and c-ares backends run on a private asyncio loop in a
thread of the resolver's (the price of the bridge, two thread hand-offs per
lookup).
A network-free table drives the same rows over a backend that answers each
query on the next loop iteration (a future, no socket; 50,000 unique names,
500 in flight, a fresh process per row, at least 5 rounds interleaved): the
facade's cost under a running loop without the server's share of the
machine, the steadiest figure on a shared box (``--no-network`` runs only
the tables without a server).
Rows are interleaved over ``--rounds`` rounds (in the first table and the
network-free one each row in a fresh process) and the best round of each row is
reported (names/s and the ratio to the backend-direct row; in the first table
the median CPU too).  Figures depend on the machine: on a 2-core box, client
and server share it.

Nothing leaves loopback: every query goes to the knotd on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import aioresolve
from aioresolve import Answer, Backend
from aioresolve._backends import create_backend
from aioresolve.records import A
from tests.rig import servers
from tests.rig import zone as z

Call = Callable[[str], Awaitable[Any]]


#: Share of the names the rate is taken over: on a loaded box a few datagrams
#: are lost, and each costs its lookup a retry timer (up to seconds), so the
#: time of the last name measures the retry timer, not the path under test.
_RATE_SHARE = 0.99


class _Tally:
    """Completions of one run: when the first ``_RATE_SHARE`` of them were done."""

    def __init__(self, total: int) -> None:
        self.done = 0
        self.target = max(1, int(total * _RATE_SHARE))
        self.start = time.perf_counter()
        self.at_target = 0.0
        self.failures = 0

    def one(self) -> None:
        self.done += 1
        if self.done == self.target:
            self.at_target = time.perf_counter() - self.start

    def rate(self) -> float:
        if self.failures:
            print(f"  ({self.failures} lookups failed)", file=sys.stderr)
        return self.target / self.at_target


async def _drive(names: list[str], call: Call, in_flight: int) -> tuple[float, float]:
    """Names per second for looking up every name once, ``in_flight`` at a time
    (over the first 99% of completions), and the client's CPU time per name
    (µs: this process only, not the server's; all names)."""
    it = iter(names)
    cpu = time.process_time()
    tally = _Tally(len(names))

    async def worker() -> None:
        for name in it:
            try:
                await call(name)
            except Exception:
                tally.failures += 1
            tally.one()

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    cpu = time.process_time() - cpu
    return tally.rate(), cpu / len(names) * 1e6


def _options(kind: str, address: str) -> dict[str, Any]:
    if kind == "cares":
        return {"nameservers": [address], "domains": []}
    return {"nameservers": [address]}


async def _row(
    kind: str, label: str, address: str, names: list[str], in_flight: int
) -> tuple[float, float]:
    if label == "backend direct":
        backend = create_backend(kind, **_options(kind, address))
        try:
            return await _drive(names, lambda n: backend.query(n, "A"), in_flight)
        finally:
            await backend.aclose()
    options: dict[str, Any] = _VARIANTS_BY_LABEL[label]
    async with aioresolve.Resolver(kind, **_options(kind, address), **options) as r:
        return await _drive(names, lambda n: r.query(n, "A"), in_flight)


#: The Resolver rows and their options.
_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("Resolver no cache/coalesce", {"cache": False, "coalesce": False}),
    ("Resolver defaults", {}),
    ("Resolver defaults, timeout=30", {"timeout": 30.0}),
]
_VARIANTS_BY_LABEL = dict(_VARIANTS)


ROWS = (
    "backend direct",
    "Resolver no cache/coalesce",
    "Resolver defaults",
    "Resolver defaults, timeout=30",
)


async def _one_row(kind: str, label: str, address: str, count: int, in_flight: int) -> str:
    """One row of the first table in this process (``--row``): warm up, then
    ``"names/s CPU-µs"`` of looking up ``count`` unique names."""
    names = [z.bulk_name(i) for i in range(count)]
    await _row(kind, label, address, names[: min(count, 2000)], in_flight)
    rate, us = await _row(kind, label, address, names, in_flight)
    return f"{rate:.1f} {us:.3f}"


def _main(kind: str, address: str, count: int, rounds: int, in_flight: int) -> None:
    """The first table: each row in a fresh process (the heap, the collector's
    generations and the engine start alike), rows interleaved over ``rounds``;
    the best names/s, and the client's CPU per name as the best and the
    median round (on a shared box a row's CPU also grows with the datagrams
    the server dropped and the engine retried)."""
    import statistics
    import subprocess

    rates: dict[str, list[float]] = {label: [] for label in ROWS}
    cpu: dict[str, list[float]] = {label: [] for label in ROWS}
    for _ in range(rounds):
        for label in ROWS:
            out = subprocess.run(
                [sys.executable, __file__, "--row", label, "--address", address,
                 "--backend", kind, "--count", str(count), "--in-flight", str(in_flight)],
                check=True, capture_output=True, text=True,
            ).stdout.split()
            rates[label].append(float(out[-2]))
            cpu[label].append(float(out[-1]))
    base = max(rates["backend direct"])
    base_best, base_median = min(cpu["backend direct"]), statistics.median(cpu["backend direct"])
    print(f"{kind} backend: {count} unique names, {in_flight} in flight, {rounds} rounds, a "
          "fresh process per row (client and server share the machine; the CPU columns are "
          "the client's alone)")
    print(f"| {'path':30s} | {'names/s':>8s} | {'ratio':>5s} | {'CPU µs best':>11s} "
          f"| {'median':>6s} | {'CPU ratio best':>14s} | {'median':>6s} |")
    print(f"|{'-' * 32}|{'-' * 9}:|{'-' * 6}:|{'-' * 12}:|{'-' * 7}:|{'-' * 15}:|{'-' * 7}:|")
    for label in ROWS:
        best, median = min(cpu[label]), statistics.median(cpu[label])
        print(f"| {label:30s} | {max(rates[label]):8.0f} | {max(rates[label]) / base:5.2f} "
              f"| {best:11.1f} | {median:6.1f} | {base_best / best:14.2f} "
              f"| {base_median / median:6.2f} |")


def _trio_rows(kinds: list[str], address: str, count: int, rounds: int, in_flight: int) -> None:
    """``Resolver(kind)`` with the defaults under asyncio and under trio (where
    the wire and c-ares backends run on the resolver's private asyncio loop
    in a thread: :mod:`aioresolve._bridge`), rows interleaved."""
    import trio

    names = [z.bulk_name(i) for i in range(count)]

    async def under_trio(kind: str) -> tuple[float, float]:
        async with aioresolve.Resolver(kind, **_options(kind, address)) as resolver:
            it = iter(names)
            cpu = time.process_time()
            tally = _Tally(len(names))

            async def worker() -> None:
                for name in it:
                    try:
                        await resolver.query(name, "A")
                    except Exception:
                        tally.failures += 1
                    tally.one()

            async with trio.open_nursery() as nursery:
                for _ in range(in_flight):
                    nursery.start_soon(worker)
            cpu = time.process_time() - cpu
        return tally.rate(), cpu / len(names) * 1e6

    print(f"\nResolver defaults under asyncio and trio ({count} unique names, {in_flight} in "
          f"flight, best of {rounds} rounds; CPU: the client process, both threads)")
    print(f"| {'path':30s} | {'names/s':>8s} | {'ratio':>5s} | {'client CPU µs/name':>18s} |")
    print(f"|{'-' * 32}|{'-' * 9}:|{'-' * 6}:|{'-' * 19}:|")
    for kind in kinds:
        best = {"asyncio": 0.0, "trio": 0.0}
        cpu = {"asyncio": float("inf"), "trio": float("inf")}
        for _ in range(rounds):
            for library in best:
                if library == "asyncio":
                    rate, us = asyncio.run(
                        _row(kind, "Resolver defaults", address, names, in_flight))
                else:
                    rate, us = trio.run(under_trio, kind)
                best[library] = max(best[library], rate)
                cpu[library] = min(cpu[library], us)
        for library in best:
            label = f"{kind}, {library}"
            print(f"| {label:30s} | {best[library]:8.0f} | "
                  f"{best[library] / best['asyncio']:5.2f} | {cpu[library]:18.1f} |")


class _NextTick(Backend):
    """Answers every query on the next loop iteration: no server, no I/O."""

    name = "next-tick"
    provides_ttl = True

    async def getaddrinfo(self, *args: Any) -> Any:
        raise NotImplementedError

    async def getnameinfo(self, *args: Any) -> Any:
        raise NotImplementedError

    async def gethostbyname_ex(self, *args: Any) -> Any:
        raise NotImplementedError

    async def gethostbyaddr(self, *args: Any) -> Any:
        raise NotImplementedError

    #: Like the wire and c-ares backends, it begins queries without a
    #: coroutine (Backend.begin_query), so the Resolver rows take the path
    #: they take there.
    begins_queries = True

    async def query(self, name: str, rtype: str) -> Answer[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        loop.call_soon(future.set_result, None)
        await future
        return Answer(name, rtype, (A(300, "192.0.2.1"),), name, 300)

    def begin_query(
        self, name: str, rtype: str, done: Callable[[Any], object],
        loop: asyncio.AbstractEventLoop,
    ) -> asyncio.Handle:
        return loop.call_soon(_next_tick_answer, name, rtype, done)

    def cancel_query(self, handle: object) -> None:
        assert isinstance(handle, asyncio.Handle)
        handle.cancel()


def _next_tick_answer(name: str, rtype: str, done: Callable[[Any], object]) -> None:
    done(Answer(name, rtype, (A(300, "192.0.2.1"),), name, 300))


async def _calls(count: int = 2000, in_flight: int = 100) -> None:
    """Python and C calls per lookup (sys.setprofile events: a coroutine's
    every resumption counts as a call), on a backend with no I/O.  Unlike
    names/s these do not move with the load of the machine."""
    backend = _NextTick()
    rows: list[tuple[str, Call]] = [("backend direct", lambda n: backend.query(n, "A"))]
    for label, options in _VARIANTS:
        resolver = aioresolve.Resolver(_NextTick(), **options)
        rows.append((label, functools.partial(resolver.query, rtype="A")))
    print(f"\nPython / C calls per lookup ({count} unique names, {in_flight} in flight, "
          "a backend without I/O)")
    print(f"| {'path':30s} | {'Python':>6s} | {'C':>6s} |")
    print(f"|{'-' * 32}|{'-' * 7}:|{'-' * 7}:|")
    for index, (label, call) in enumerate(rows):
        names = iter(f"h{i}.row{index}.test" for i in range(count))
        counts = {"call": 0, "c_call": 0}

        def profile(frame: Any, event: str, arg: Any) -> None:
            if event in counts:  # noqa: B023 - used before the next row
                counts[event] += 1  # noqa: B023

        async def worker() -> None:
            for name in names:  # noqa: B023 - each row's own iterator, used at once
                await call(name)  # noqa: B023

        sys.setprofile(profile)
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        sys.setprofile(None)
        print(f"| {label:30s} | {counts['call'] / count:6.1f} | {counts['c_call'] / count:6.1f} |")


class _Instant(_NextTick):
    """Answers every query at once (its coroutine never suspends)."""

    name = "instant"

    async def query(self, name: str, rtype: str) -> Answer[Any]:
        return _ANSWER

    async def query_with_ttl(self, name: str, rtype: str) -> tuple[Answer[Any], float | None]:
        return _ANSWER, 300.0

    def begin_query(
        self, name: str, rtype: str, done: Callable[[Any], object],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        done(_ANSWER)  # at once, inside begin_query (the contract allows it)


_ANSWER: Answer[Any] = Answer("x.test", "A", (A(300, "192.0.2.1"),), "x.test", 300)


def _finish(coro: Any) -> Any:
    """Run a coroutine that never suspends to its end (no event loop)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the coroutine suspended")


async def _layers(count: int = 100_000, rounds: int = 7) -> None:
    """µs per lookup of each path over a backend that answers at once."""
    backend = _Instant()
    rows: list[tuple[str, Callable[[str], Any]]] = [
        ("backend direct (query_with_ttl)", lambda n: backend.query_with_ttl(n, "A")),
    ]
    for label, options in _VARIANTS:
        resolver = aioresolve.Resolver(_Instant(), **options)
        rows.append((label, lambda n, r=resolver: r.query(n, "A")))  # type: ignore[misc]
    best = dict.fromkeys((label for label, _ in rows), float("inf"))
    for number in range(rounds):
        for label, call in rows:
            names = [f"h{i}.r{number}.test" for i in range(count)]  # unique: cache misses
            start = time.process_time()
            for name in names:
                _finish(call(name))
            best[label] = min(best[label], (time.process_time() - start) / count * 1e6)
    print(f"\nµs per lookup on a backend that answers at once ({count} unique names, no "
          f"event loop, best of {rounds} rounds of CPU time)")
    print(f"| {'path':32s} | {'µs/lookup':>9s} | {'layer µs':>8s} |")
    print(f"|{'-' * 34}|{'-' * 10}:|{'-' * 9}:|")
    base = best[rows[0][0]]
    for label, _ in rows:
        print(f"| {label:32s} | {best[label]:9.2f} | {best[label] - base:8.2f} |")


async def _lab_one(label: str, count: int, in_flight: int) -> float:
    """Client CPU µs per name of one row over :class:`_NextTick` (this process)."""
    backend = _NextTick()
    if label == "backend direct":
        call: Call = functools.partial(backend.query, rtype="A")
    else:
        resolver = aioresolve.Resolver(backend, **_VARIANTS_BY_LABEL[label])
        call = functools.partial(resolver.query, rtype="A")
    await _drive([f"w{i}.lab.test" for i in range(2000)], call, in_flight)  # warm up
    _, us = await _drive([f"h{i}.lab.test" for i in range(count)], call, in_flight)
    return us


def _lab_rows(rounds: int, count: int, in_flight: int) -> None:
    """The network-free table: every row over a backend that answers each
    query on the next loop iteration (:class:`_NextTick`: a future, no
    socket), ``in_flight`` lookups at once, unique names, each row in a fresh
    process (the heap and the garbage collector's generations start alike),
    rows interleaved over ``rounds``; the client's CPU per name, best and
    worst round.  What the facade costs under a running loop, without the
    server's share of the machine."""
    import subprocess

    cpu: dict[str, list[float]] = {label: [] for label in ROWS}
    for _ in range(rounds):
        for label in ROWS:
            out = subprocess.run(
                [sys.executable, __file__, "--lab-row", label, "--count", str(count),
                 "--in-flight", str(in_flight)],
                check=True, capture_output=True, text=True,
            ).stdout
            cpu[label].append(float(out.split()[-1]))
    base = min(cpu["backend direct"])
    print(f"\nA backend answering on the next loop iteration ({count} unique names, "
          f"{in_flight} in flight, a fresh process per row, {rounds} rounds interleaved; "
          "client CPU µs per name)")
    print(f"| {'path':30s} | {'best':>6s} | {'worst':>6s} | {'layer µs':>8s} | {'CPU ratio':>9s} |")
    print(f"|{'-' * 32}|{'-' * 7}:|{'-' * 7}:|{'-' * 9}:|{'-' * 10}:|")
    for label in ROWS:
        best, worst = min(cpu[label]), max(cpu[label])
        print(f"| {label:30s} | {best:6.1f} | {worst:6.1f} | {best - base:8.1f} "
              f"| {base / best:9.2f} |")


def _instructions(rows: list[str]) -> None:
    """Instructions per uncached lookup of each row over :class:`_NextTick`
    (valgrind's callgrind, a fresh process per run: the difference of a
    12,000-name and a 4,000-name run, divided by 8,000, so start-up and the
    warm-up cancel out).  A figure the machine's load does not move (it
    leaves out memory stalls and system calls); between two runs of the same
    code it moves by ~200."""
    import re
    import shutil
    import subprocess
    import tempfile

    if shutil.which("valgrind") is None:
        print("\n--instructions needs valgrind (callgrind) on PATH")
        return
    print("\nInstructions per uncached lookup (callgrind, next-tick backend, "
          "500 in flight, (Ir(12000) - Ir(4000)) / 8000)")
    print(f"| {'path':30s} | {'instructions':>12s} |")
    print(f"|{'-' * 32}|{'-' * 13}:|")
    for label in rows:
        totals = []
        for count in (4000, 12000):
            with tempfile.TemporaryDirectory() as tmp:
                err = subprocess.run(
                    ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
                     sys.executable, __file__, "--lab-row", label, "--count", str(count)],
                    check=True, capture_output=True, text=True,
                ).stderr
            found = re.search(r"Collected : (\d+)", err)
            assert found is not None, err[-500:]
            totals.append(int(found.group(1)))
        print(f"| {label:30s} | {(totals[1] - totals[0]) / 8000:12,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 names, 1 round")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=500)
    parser.add_argument("--backend", choices=["wire", "cares", "both"], default="both")
    parser.add_argument("--no-network", action="store_true",
                        help="only the tables without a server (next-tick backend, "
                             "calls, no-loop layers)")
    parser.add_argument("--lab-count", type=int, default=50_000,
                        help="names per row of the next-tick table")
    parser.add_argument("--instructions", action="store_true",
                        help="only the instructions per lookup of each row over the "
                             "next-tick backend (valgrind's callgrind; ~4 minutes)")
    parser.add_argument("--lab-row", help=argparse.SUPPRESS)  # one row of that table
    parser.add_argument("--row", help=argparse.SUPPRESS)  # one row of the first table
    parser.add_argument("--address", help=argparse.SUPPRESS)  # ... and its server
    args = parser.parse_args()
    if args.lab_row:
        print(asyncio.run(_lab_one(args.lab_row, args.count, args.in_flight)))
        return
    if args.instructions:
        _instructions(list(ROWS))
        return
    if args.row:
        print(asyncio.run(_one_row(args.backend, args.row, args.address, args.count,
                                   args.in_flight)))
        return
    count, rounds = (5_000, 1) if args.quick else (args.count, args.rounds)
    kinds = ["wire", "cares"] if args.backend == "both" else [args.backend]
    if not args.no_network:
        with servers.start_knot(bulk_count=max(count, 20_000)) as knot:
            for kind in kinds:
                _main(kind, knot.address, count, rounds, args.in_flight)
            _trio_rows(kinds, knot.address, count, rounds, args.in_flight)
    _lab_rows(max(rounds, 5), 10_000 if args.quick else args.lab_count, args.in_flight)
    asyncio.run(_calls())
    asyncio.run(_layers())


if __name__ == "__main__":
    main()
