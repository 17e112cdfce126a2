"""The lean codec's parse time on normal and hostile messages, against dnspython.

One command (from the repository root)::

    python -m benchmarks.bench_codec                    # this tree's codec vs dnspython
    python -m benchmarks.bench_codec --compare git:REV  # also the codec of commit REV

Prints a Markdown table: per message, its size, what :func:`parse_response`
made of it (records kept, or the ParseError), the CPU µs per parse of ours, of
``dns.message.from_wire`` (which may reject it: the time to reject counts),
and their ratio.  The hostile messages (``tests/fuzz/messages.py``) are built
to make a decoder work out of proportion to their size: every owner a pointer
to the end of a long pointer chain (a 4 KiB UDP datagram, a 64 KiB TCP answer
reached through TC=1), a chain within the hop cap, and owners pointing into
runs of one-byte labels.  The goal is "well under 5 ms" for any 64 KiB
message; the ratio to dnspython is the figure to compare across machines.

``--compare git:REV`` loads ``aioresolve/_dns/codec.py`` as of commit REV
(e.g. the codec before hardening) and adds its column; ``--compare
module.path`` adds any module with the same ``parse_response`` (a compiled
twin).  A parse that takes over a second is run once.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
import timeit
import types
from collections.abc import Callable
from pathlib import Path

import dns.exception
import dns.message

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aioresolve._dns import codec  # noqa: E402
from tests.fuzz.messages import HOSTILE, NORMAL  # noqa: E402


def _load(spec: str) -> types.ModuleType:
    if not spec.startswith("git:"):
        return importlib.import_module(spec)
    rev = spec[4:]
    source = subprocess.run(["git", "show", f"{rev}:aioresolve/_dns/codec.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType(f"aioresolve._dns._codec_{rev}")
    module.__package__ = "aioresolve._dns"
    module.__file__ = f"<codec at {rev}>"
    sys.modules[module.__name__] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def per_call(call: Callable[[], object], budget: float = 0.3) -> float:
    """CPU µs per call (``time.process_time``: less disturbed by other
    processes on a shared box than wall time): the best of 5 timed runs,
    together about ``budget`` s."""
    start = time.process_time()
    call()
    once = time.process_time() - start
    if once > 1.0:
        return once * 1e6
    number = max(1, int(budget / 5 / max(once, 1e-6)))
    return min(timeit.repeat(call, number=number, repeat=5,
                             timer=time.process_time)) / number * 1e6


def _ours(parse: Callable[..., object], error: type[Exception], data: bytes,
          *args: object) -> Callable[[], object]:
    def run() -> object:
        try:
            return parse(data, *args)
        except error:
            return None
    return run


def _dnspython(data: bytes) -> Callable[[], object]:
    def run() -> object:
        try:
            return dns.message.from_wire(data)
        except (dns.exception.DNSException, ValueError):
            return None
    return run


def _outcome(data: bytes) -> str:
    try:
        response = codec.parse_response(data)
    except codec.ParseError as exc:
        return f"ParseError: {exc}"[:48]
    return f"{len(response.answers)} records"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", action="append", default=[],
                        help="another codec: git:REV or a module path (repeatable)")
    parser.add_argument("--budget", type=float, default=0.3,
                        help="seconds spent timing each cell (default 0.3)")
    args = parser.parse_args(argv)
    others = [(spec, _load(spec)) for spec in args.compare]
    heads = ["message", "bytes", "our outcome", "ours µs", *(f"{s} µs" for s, _ in others),
             "dnspython µs", "dnspython / ours"]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * 2 + "---|" + "---:|" * (len(heads) - 3))
    a_record = NORMAL["A, 1 record"]
    qend = codec._question(a_record)[0]
    cases = [(f"{name}", data, ()) for name, data in NORMAL.items()]
    cases.insert(1, ("A, 1 record (engine: question given)", a_record,
                     (a_record[12:qend], "h12345.bulk.test")))
    cases += [(name, data, ()) for name, data in HOSTILE.items()]
    for name, data, extra in cases:
        ours = per_call(_ours(codec.parse_response, codec.ParseError, data, *extra), args.budget)
        cells = [name, str(len(data)), _outcome(data), f"{ours:,.1f}"]
        for _spec, module in others:
            other = per_call(_ours(module.parse_response, module.ParseError, data, *extra),
                             args.budget)
            cells.append(f"{other:,.1f}")
        theirs = per_call(_dnspython(data), args.budget)
        cells += [f"{theirs:,.1f}", f"{theirs / ours:,.1f}x"]
        print("| " + " | ".join(cells) + " |")
    print(f"\nPython {sys.version.split()[0]}; CPU time per parse, the best of 5 runs.")


if __name__ == "__main__":
    main()
