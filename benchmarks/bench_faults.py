"""The wire engine against faulty and hostile servers: what faults cost, before and after.

One command (from the repository root; loopback only, ~1-2 minutes)::

    python -m benchmarks.bench_faults
    python -m benchmarks.bench_faults --names 30000 --forged 6000 --targets 200

Each scenario runs twice, with the engine as it was before issue 11
(``git show BEFORE:aioresolve/_dns/engine.py``, ``--before``, loaded in place
of the current one) and with the current engine; everything else (codec,
backend, bulk) is today's.  The servers are :class:`tests.hostile.HostileServer`
instances in the same process (so client and server share a core).

1. **Outage**: ``--names`` A lookups through :func:`aioresolve.resolve_many`
   with its default options (timeout 5 s per name, 3 attempts, concurrency
   100) against one server whose UDP port closes for ``--outage`` seconds once
   a third of the names are done (ICMP port unreachable, as a restarting
   server gives), then opens again.  Reported: the statuses, i.e. the names
   lost to the outage.
2. **Faults**: the same run against a server that drops 10 %, SERVFAILs 5 %
   and truncates 2 % of the UDP queries, and over TCP closes the connection
   for 10 % (as dnsdist's DropAction does on TCP) and SERVFAILs 5 %.
   Reported: statuses, and for TIMEOUT/SERVFAIL whether every attempt was
   used (a name can only fail when all three attempts failed: ~0.4 %).
3. **Spoofing**: an attacker who learned the engine's source ports from its
   first queries (as by triggering a lookup of a name of its own), then,
   after ``--warmup`` ordinary lookups, races each of ``--targets`` lookups
   with ``--forged`` forged answers (random IDs, the name in lower case,
   spread over the learned ports, from the server's own address and port)
   sent just before the genuine one.  Reported: forged answers accepted.
   Run for the old engine, the new one (ports rotate every
   ``udp_max_queries`` queries per socket) and the new one with 0x20; then,
   as a worst case, with an attacker who knows each query's source port (only
   the ID, and with 0x20 the letter case, are left to guess).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import inspect
import os
import random
import subprocess
import sys
import time
import types
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from aioresolve._backends import wire as _wire  # noqa: E402
from aioresolve._dns import engine as _engine  # noqa: E402
from tests import hostile as h  # noqa: E402

#: The last commit of engine.py before the issue-11 work.
BEFORE = "c2f72ee"
FORGED_ADDR = "192.0.2.66"


def load_engine(rev: str) -> types.ModuleType:
    """The engine module as it was at ``rev`` (imported beside the current one)."""
    source = subprocess.run(["git", "show", f"{rev}:aioresolve/_dns/engine.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("aioresolve._dns._engine_before")
    module.__package__ = "aioresolve._dns"
    sys.modules[module.__name__] = module
    exec(compile(source, f"{rev}:engine.py", "exec"), module.__dict__)
    return module


def use_engine(engine_class: Any) -> None:
    """Make the wire backend (and so resolve_many) build this engine class
    (options the class does not know, such as newer ones, are left out)."""
    known = set(inspect.signature(engine_class).parameters)

    def make(*args: Any, **options: Any) -> Any:
        return engine_class(*args, **{k: v for k, v in options.items() if k in known})

    setattr(_wire, "Engine", make)  # noqa: B010 - replaced for the run, on purpose


# -- scenarios 1 and 2: resolve_many -------------------------------------------------------


async def bulk_run(behaviour: h.Faults, names: int, outage: float | None) -> dict[str, Any]:
    import aioresolve

    srv = await h.HostileServer(behaviour.udp, behaviour.tcp).start()
    srv.keep_queries = False
    third = names // 3
    reached = asyncio.Event()

    behave = srv.udp_behaviour

    def counting(server: h.HostileServer, q: h.Incoming) -> Any:
        if server.counts.udp.total() >= third:
            reached.set()
        return behave(server, q)

    srv.udp_behaviour = counting

    async def outage_task() -> None:
        await reached.wait()
        await srv.pause()
        await asyncio.sleep(outage or 0)
        await srv.resume()

    task = asyncio.ensure_future(outage_task()) if outage else None
    statuses: collections.Counter[str] = collections.Counter()
    exhausted: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    try:
        hosts = [f"n{i}.faults.test" for i in range(names)]
        async for r in aioresolve.resolve_many(hosts, nameservers=[srv.address]):
            statuses[r.status.value] += 1
            if not r.ok and r.attempts >= 3:
                exhausted[r.status.value] += 1
    finally:
        if task is not None:
            task.cancel()
        await srv.stop()
    return {"statuses": dict(statuses), "exhausted": dict(exhausted),
            "elapsed": time.perf_counter() - started, "tcp_queries": srv.counts.tcp.total()}


# -- scenario 3: spoofing -------------------------------------------------------------------


class Spoofer:
    """The server's behaviour: learns the client's source ports from its first
    queries; races every ``target`` query with forged answers to them, sent in
    chunks that leave the client's socket buffer room (a burst of thousands
    would overflow it, and the kernel would drop the genuine answer too),
    then the genuine answer."""

    CHUNK = 64

    def __init__(self, forged: int, learn: int = 4, seed: int = 7,
                 knows_port: bool = False) -> None:
        self.forged = forged
        self.learn = learn
        self.knows_port = knows_port  # forge to the query's own port (only the ID is secret)
        self.ports: list[int] = []
        self.random = random.Random(seed)
        self.tasks: set[asyncio.Task[None]] = set()

    def udp(self, server: h.HostileServer, q: h.Incoming) -> list[h.Datagram]:
        if len(self.ports) < self.learn and q.addr[1] not in self.ports:
            self.ports.append(q.addr[1])
        genuine = h.reply(q, [h.rr(1, h.a("192.0.2.1"))])
        if not q.name.startswith("target"):
            return [genuine]
        task = asyncio.ensure_future(self._race(server, q, genuine))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return []

    async def _race(self, server: h.HostileServer, q: h.Incoming, genuine: bytes) -> None:
        lower = q.question.lower()
        host = q.addr[0]
        template = h.reply(q, [h.rr(1, h.a(FORGED_ADDR))], question=lower, qid=0)
        ports = [q.addr[1]] if self.knows_port else self.ports
        for i in range(self.forged):
            forged = self.random.getrandbits(16).to_bytes(2, "big") + template[2:]
            server.send(forged, (host, ports[i % len(ports)]))
            if i % self.CHUNK == self.CHUNK - 1:
                await asyncio.sleep(0)  # the client reads what arrived
        await asyncio.sleep(0)
        server.send(genuine, q.addr)


async def spoof_run(engine_class: Any, forged: int, targets: int, warmup: int,
                    knows_port: bool = False, **options: Any) -> dict[str, Any]:
    spoofer = Spoofer(forged, knows_port=knows_port)
    srv = await h.HostileServer(spoofer.udp).start()
    srv.keep_queries = False
    loop = asyncio.get_running_loop()
    # a long fixed timeout: the genuine answer comes only after all the forged
    # ones (an adaptive one would be ~0.2 s after the warm-up)
    engine = engine_class(loop, [(srv.host, srv.port)], timeout=30.0, attempts=1,
                          adaptive_timeout=False, **options)

    async def ask(name: str) -> Any:
        fut: asyncio.Future[Any] = loop.create_future()
        engine.submit(name, "A", fut.set_result)
        return (await fut).result

    accepted = answered = 0
    errors: collections.Counter[str] = collections.Counter()
    try:
        for i in range(warmup):
            await ask(f"w{i}.spoof.test")
        for i in range(targets):
            result = await ask(f"target{i}.victim.spoof.test")
            addresses = getattr(result, "addresses", [])
            answered += bool(addresses)
            accepted += FORGED_ADDR in addresses
            if not addresses:
                errors[type(result).__name__] += 1
        stats = engine.stats.as_dict()
    finally:
        engine.close()
        await srv.stop()
    return {"accepted": accepted, "answered": answered, "targets": targets,
            "errors": dict(errors),
            "learned_ports": len(spoofer.ports),
            "unexpected": stats.get("unexpected", 0), "rotated": stats.get("rotated", 0),
            "wrong_case": stats.get("wrong_case", 0)}


# -- main -------------------------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole else "-"


def _status_line(r: dict[str, Any], names: int) -> str:
    parts = [f"{k} {v} ({_pct(v, names)})" for k, v in sorted(r["statuses"].items(),
                                                               key=lambda kv: -kv[1])]
    line = ", ".join(parts) + f"; {r['elapsed']:.1f} s, {r['tcp_queries']} TCP queries"
    if r["exhausted"]:
        line += "; failures that used every attempt: " + ", ".join(
            f"{k} {v}" for k, v in r["exhausted"].items())
    return line


async def main_async(args: argparse.Namespace) -> None:
    old = load_engine(args.before)
    new = _engine.Engine
    print(f"bench_faults {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"engine before = {args.before}; {os.cpu_count()}-core box, client and server "
          "in one process\n")
    if not args.skip_bulk:
        print(f"### 1. {args.outage:g} s outage (port closed) in a {args.names}-name "
              "resolve_many run, default options\n")
        for label, cls in (("before", old.Engine), ("after", new)):
            use_engine(cls)
            r = await bulk_run(h.Faults(), args.names, args.outage)
            print(f"- {label}: {_status_line(r, args.names)}")
        print(f"\n### 2. {args.names} names, 10% drop / 5% SERVFAIL / 2% TC (TCP: 10% "
              "closed, 5% SERVFAIL), default options\n")
        for label, cls in (("before", old.Engine), ("after", new)):
            use_engine(cls)
            faults = h.Faults(drop=0.10, servfail=0.05, tc=0.02, tcp_fail=0.10,
                              tcp_servfail=0.05)
            r = await bulk_run(faults, args.names, None)
            print(f"- {label}: {_status_line(r, args.names)}")
        use_engine(new)
    print(f"\n### 3. Spoofing: ports learned from the first queries, {args.warmup} "
          f"lookups later {args.targets} lookups each raced by {args.forged} forged "
          "answers\n")
    variants: list[tuple[str, Any, dict[str, Any]]] = [
        ("before (4 fixed ports)", old.Engine, {}),
        (f"after (ports rotate every {_engine.UDP_MAX_QUERIES} queries)", new, {}),
        ("after, with case_randomization=True (0x20)", new, {"case_randomization": True}),
        ("worst case, the attacker knows each query's port (only the ID is secret): after",
         new, {"knows_port": True}),
        ("worst case, the attacker knows each query's port: after, with 0x20", new,
         {"knows_port": True, "case_randomization": True}),
    ]
    for label, cls, options in variants:
        r = await spoof_run(cls, args.forged, args.targets, args.warmup, **options)
        failed = f", failed {r['errors']}" if r["errors"] else ""
        print(f"- {label}: {r['accepted']} of {r['targets']} forged answers accepted "
              f"({r['answered']} answered{failed}; forged replies dropped as unexpected "
              f"{r['unexpected']}, wrong case {r['wrong_case']}; sockets rotated "
              f"{r['rotated']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=30_000)
    parser.add_argument("--outage", type=float, default=3.0, help="seconds the port is closed")
    parser.add_argument("--forged", type=int, default=6000, help="forged answers per target")
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=1000,
                        help="lookups between learning the ports and the attack")
    parser.add_argument("--before", default=BEFORE, help="git revision of the old engine")
    parser.add_argument("--skip-bulk", action="store_true", help="only the spoofing figures")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
