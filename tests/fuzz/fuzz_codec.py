"""Coverage-guided fuzzing of the lean DNS codec with atheris (libFuzzer).

Run from the repository root::

    /work/venv/bin/python tests/fuzz/fuzz_codec.py -max_total_time=60

Any libFuzzer option may follow (``-runs=N``, ``-max_len=N``, a corpus
directory ...).  Without a corpus directory, a fresh one is seeded at run time
with normal and hostile messages (``tests/fuzz/messages.py``) and the rich
answers of ``tests/_codec_hardening_helpers.py``; nothing binary lives in the
repository.  Crash inputs go to a temporary directory, printed at the start.

Each input goes through what the engine and the output do with received
bytes: :func:`parse_response`, :func:`rdata_record` on every answer and
authority record, :func:`record_text` of every record, :func:`decode_name` at
an offset taken from the input, and the round trip of every decoded name
through :func:`encode_name`.  Anything but ``ParseError`` from the decoder, a
record builder that fails on rdata dnspython accepts (hidden from the engine
by ``rdata_record``'s last-resort ``ParseError``), a record that cannot be
printed, or a name that does not survive the round trip is a crash.

Without atheris (it does not exist for Python 3.13) the script says so and
exits 0, unless ``CI=true`` on a Python that has it; importing this module never
needs atheris (the test suite runs :func:`test_one_input` on the seed corpus).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import dns.rdata
import dns.rdataclass
import dns.rdatatype

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    import atheris
except ImportError:  # pragma: no cover - depends on the interpreter
    atheris = None

if atheris is not None and __name__ == "__main__":
    with atheris.instrument_imports(include=["aioresolve"]):
        from aioresolve import _records
        from aioresolve._dns import codec
else:
    from aioresolve import _records
    from aioresolve._dns import codec

__all__ = ["seed_corpus", "test_one_input"]


def _check_name(text: str) -> None:
    """A decoded name encodes back to a wire name that decodes to itself."""
    wire = codec.encode_name(text)
    again, end = codec.decode_name(wire, 0)
    if again != text or end != len(wire):
        raise AssertionError(f"name round trip: {text!r} -> {wire!r} -> {again!r}")


def _check_record(data: bytes, rr: codec.RR) -> None:
    try:
        record = codec.rdata_record(data, rr)
    except codec.ParseError:
        # rdata_record turns anything into ParseError (its last resort); a
        # record builder must not need that for rdata dnspython accepts
        if rr.value is None:
            try:
                rdata = dns.rdata.from_wire(dns.rdataclass.RdataClass.make(rr.rclass),
                                            dns.rdatatype.RdataType.make(rr.rtype), data,
                                            rr.offset, rr.length)
            except Exception:  # dnspython refuses it: a ParseError is right
                return
            try:
                record = _records.record_from_rdata(rdata, rr.ttl)  # raises: a finding
            except _records.MalformedRdata:  # refused on purpose (newer dnspython refuse it too)
                return
        else:
            return
    text = _records.record_text(record)
    if not isinstance(text, str):
        raise AssertionError(f"record_text gave {text!r}")


def test_one_input(data: bytes) -> None:
    """One fuzz input: raises on anything the codec must never do."""
    if data:
        try:
            text, _ = codec.decode_name(data, data[0] % len(data))
        except codec.ParseError:
            pass
        else:
            _check_name(text)
    try:
        response = codec.parse_response(data)
    except codec.ParseError:
        return
    _check_name(response.qname)
    for rr in response.answers:
        _check_name(rr.owner)
        if rr.rtype == codec.TYPE_CNAME and rr.value is not None:
            _check_name(rr.value)
        _check_record(data, rr)
    if response.soa is not None:
        _records.record_text(response.soa)
    try:
        authority = codec.authority_records(data, response)
    except codec.ParseError:
        return
    for rr in authority:
        _check_record(data, rr)


def seed_corpus() -> list[bytes]:
    """Normal, rich and (small) hostile messages to start from."""
    from tests.fuzz import messages

    seeds = [*messages.NORMAL.values(), messages.pointer_chain(600, 40),
             messages.label_runs(600, run=20), messages.long_owners(1200),
             messages.pointer_chain(300, codec.MAX_POINTER_HOPS - 1)]
    try:
        from tests._codec_hardening_helpers import RICH
    except ImportError:  # pytest missing: the messages above do
        RICH = []
    return seeds + [m for m in RICH if m not in seeds]


def main(argv: list[str]) -> int:
    if atheris is None:
        if os.environ.get("CI") == "true" and sys.version_info < (3, 13):
            print("atheris is not installed (pip install atheris)", file=sys.stderr)
            return 1
        print(f"atheris is not available for Python {sys.version.split()[0]}: "
              "fuzzing skipped", file=sys.stderr)
        return 0
    args = list(argv)
    work = Path(tempfile.mkdtemp(prefix="aioresolve-fuzz-"))
    if not any(not a.startswith("-") for a in args[1:]):  # no corpus directory given
        corpus = work / "corpus"
        corpus.mkdir()
        for i, seed in enumerate(seed_corpus()):
            (corpus / f"seed-{i:03d}").write_bytes(seed)
        args.append(str(corpus))
    if not any(a.startswith("-artifact_prefix=") for a in args):
        args.append(f"-artifact_prefix={work}/")
    if not any(a.startswith("-max_len=") for a in args):
        args.append("-max_len=4096")
    if not any(a.startswith("-timeout=") for a in args):
        args.append("-timeout=10")  # a parse that takes seconds is a finding too
    print(f"fuzzing the codec; corpus and crashes under {work}", file=sys.stderr)
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
    return 0  # pragma: no cover - Fuzz() exits the process


if __name__ == "__main__":
    sys.exit(main(sys.argv))
