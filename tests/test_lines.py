"""The CLI's lines straight from the stream's results (JSONL, CSV, text:
:mod:`aioresolve.bulk._lines`, ``Writer.write_raw``) against the reference
path (``BulkRun._results`` + ``Writer.write_batch``): the same bytes (the
golden files), the same counts per status, with every filter, in order;
each test runs with both twins, the pure ``_lines_py`` and the compiled
``_lines_c`` (which must be built under ``CI=true``)."""

from __future__ import annotations

import collections
import os
import random
import tempfile
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioresolve import _cli_output, _errors
from aioresolve._cli_output import Writer, is_failed, is_ok, json_line
from aioresolve._dns.stream import Cancelled, StreamResult
from aioresolve._records import AAAA, A, Answer
from aioresolve.bulk import BulkRun, Result, Status, _lines_py
from tests.test_output import GOLDEN, golden_results, sample_results

_lines_c: ModuleType | None
try:
    from aioresolve.bulk import _lines_c
except ImportError as exc:  # not built here
    _lines_c, _MISSING = None, str(exc)

TWINS = ["py", "c"]


@pytest.fixture(params=TWINS, autouse=True)
def twin(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[ModuleType]:
    """The twin every Writer.write_raw of the test uses."""
    module: ModuleType | None = _lines_py
    if request.param == "c":
        module = _lines_c
        if module is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must build the compiled lines: {_MISSING}")
            pytest.skip(f"the compiled lines are not built here ({_MISSING})")
    assert module is not None
    for name in ("jsonl_batch", "csv_batch", "text_batch"):
        monkeypatch.setattr(_cli_output, name, getattr(module, name))
    yield module

_ERRORS: dict[Status, type[BaseException]] = {
    Status.NXDOMAIN: _errors.NXDomain, Status.NODATA: _errors.NoData,
    Status.SERVFAIL: _errors.ServFail, Status.REFUSED: _errors.Refused,
    Status.FORMERR: _errors.FormErr, Status.TIMEOUT: _errors.Timeout,
    Status.TRUNCATED: _errors.Truncated, Status.NETWORK_ERROR: _errors.NetworkError,
}


def make_run(rtypes: tuple[str, ...] = ("A",)) -> BulkRun:
    """A run that is never started: what write_raw reads of it."""
    return BulkRun([], engine=lambda: None, strategy="workers",  # type: ignore[arg-type, return-value]
                   rtypes=rtypes, concurrency=1, timeout=None, attempts=1,
                   retry_on=frozenset(), qps=None, ordered=False, window=1, cleanup=None)


def raw_of(result: Result, per: int = 1, slot: int = 0) -> StreamResult:
    """The stream result that ``BulkRun._results`` turns into ``result``."""
    res: Any
    index = result.index * per + slot
    if result.status is Status.NOERROR:
        assert result.name is not None and result.canonical_name is not None
        res = Answer(result.name, result.rtype, result.records, result.canonical_name,
                     result.ttl or 0, server=result.server, aliases=result.aliases,
                     flags=result.flags, protocol=result.protocol,
                     alias_ttls=result.alias_ttls)
        return StreamResult(index, result.input, res, result.attempts, None, result.rtype,
                            result.name, result.elapsed)
    if result.status is Status.CANCELLED:
        return StreamResult(index, result.input, Cancelled(), 0, None, result.rtype, None,
                            0.0)
    if result.status is Status.ILLEGAL_INPUT:
        return StreamResult(index, result.input, _errors.IllegalName(result.error), 0, None,
                            result.rtype, None, 0.0)
    if result.status is Status.ERROR:
        assert result.error is not None
        kind, _, message = result.error.partition(": ")
        res = {"RuntimeError": RuntimeError}[kind](message)
    else:
        res = _ERRORS[result.status](result.error, server=result.server, soa=result.soa,
                                     negative_ttl=result.ttl, soa_owner=result.soa_owner,
                                     flags=result.flags, protocol=result.protocol)
    return StreamResult(index, result.input, res, result.attempts, None, result.rtype,
                        result.name, result.elapsed)


def raw_written(raw: list[StreamResult], run: BulkRun, *, batch: int, keep: Any = None,
                fmt: str = "jsonl") -> bytes:
    with tempfile.TemporaryFile() as f:
        writer = Writer(f.fileno(), fmt, header=True, keep=keep, types=run.rtypes)
        assert writer.takes_raw or fmt != "jsonl"
        writer.takes_raw = True  # csv and text: the CLI takes them from the compiled twin only
        for start in range(0, len(raw), batch):
            writer.write_raw(raw[start:start + batch], run)
        writer.flush()
        f.seek(0)
        return f.read()


def reference_written(raw: list[StreamResult], run: BulkRun, *, keep: Any = None,
                      fmt: str = "jsonl") -> bytes:
    with tempfile.TemporaryFile() as f:
        writer = Writer(f.fileno(), fmt, header=True, keep=keep, types=run.rtypes)
        writer.write_batch(run._results(raw))
        writer.flush()
        f.seek(0)
        return f.read()


def test_raw_of_is_the_inverse_of_results() -> None:
    """The test's own premise: each golden result comes back from its raw form."""
    run = make_run()
    results = golden_results()
    assert run._results([raw_of(r) for r in results]) == results


@pytest.mark.parametrize("batch", [1, 3, 64, 1000])
@pytest.mark.parametrize("fmt, name", [("jsonl", "results.jsonl"), ("csv", "results.csv"),
                                       ("text", "results.txt")])
def test_golden_bytes_from_raw(batch: int, fmt: str, name: str) -> None:
    """The golden bytes of each format, whatever the batches, and every
    status counted once."""
    run = make_run()
    results = golden_results()
    raw = [raw_of(r) for r in results]
    assert raw_written(raw, run, batch=batch, fmt=fmt) == (GOLDEN / name).read_bytes()
    assert run.counts == {**dict.fromkeys(Status, 0),
                          **collections.Counter(r.status for r in results)}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
@pytest.mark.parametrize("keep", [None, is_ok, is_failed])
def test_filters_from_raw(keep: Any, fmt: str) -> None:
    run, reference = make_run(), make_run()
    raw = [raw_of(r) for r in golden_results()]
    assert (raw_written(raw, run, batch=7, keep=keep, fmt=fmt)
            == reference_written(raw, reference, keep=keep, fmt=fmt))
    counted = collections.Counter(r.status for r in reference._results(raw))
    assert run.counts == {**dict.fromkeys(Status, 0), **counted}


def test_only_the_common_results_take_the_fast_path(twin: ModuleType) -> None:
    """A/AAAA answers and failed lookups of plain names are written without
    the reference; the rest (other types, a quote in the input...) with it."""
    slow: list[StreamResult] = []

    def reference(r: StreamResult) -> bytes:
        slow.append(r)
        return b"-\n"

    counts = dict.fromkeys(Status, 0)
    raw = [raw_of(r) for r in golden_results()[:18]]  # the first input, plain
    twin.jsonl_batch(raw, 1, counts, _lines_py.ONLY_ALL, reference)
    # 4-9: TXT MX CAA SOA CNAME SRV; 11: a newline in the error; 12, 16: not
    # asked; 15: not a ResolveError; 17: no records
    assert [r.index for r in slow] == [4, 5, 6, 7, 8, 9, 11, 12, 15, 16, 17]


def test_template_quotes() -> None:
    """The quote counts the batch check expects are the templates' own."""
    assert raw_written([raw_of(golden_results()[0])], make_run(),
                                        batch=1).count(b'"') == _lines_py._Q_ONE
    two = golden_results()[2]  # an A and an AAAA record
    assert len(two.records) == 2 and two.server is not None
    assert (raw_written([raw_of(two)], make_run(), batch=1).count(b'"')
            == _lines_py._Q_MANY_BASE + 2 * _lines_py._Q_PER_RECORD)
    nx = golden_results()[10]
    assert nx.server is not None and "'" in (nx.error or "")
    assert raw_written([raw_of(nx)], make_run(), batch=1).count(b'"') == _lines_py._Q_ERROR


any_texts = st.text(st.characters(exclude_categories=()), max_size=20)
names = st.one_of(st.sampled_from(["x.test", "h0.bulk.test", "xn--caf-dma.test"]), any_texts)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=any_texts, name=names, server=st.one_of(st.none(), any_texts),
       elapsed=st.floats(0, 1e6), ttl=st.integers(0, 2**31 - 1),
       address=st.one_of(st.sampled_from(["192.0.2.1", "2001:db8::1"]), any_texts),
       keep=st.sampled_from([None, is_ok, is_failed]), batch=st.integers(1, 9),
       two_types=st.booleans(), fmt=st.sampled_from(["jsonl", "csv", "text"]))
def test_raw_lines_equal_reference_lines(text: str, name: str, server: str | None,
                                         elapsed: float, ttl: int, address: str,
                                         keep: Any, batch: int, two_types: bool,
                                         fmt: str) -> None:
    """Any input, name, server, address (quotes, backslashes, control
    characters, lone surrogates, non-ASCII), TTL and elapsed time, with every
    filter and batch size, several types: the bytes and counts of the reference."""
    results = [
        *sample_results(text),
        Result(8, text, name, "A", Status.NOERROR, (A(ttl, address),), name, ttl,
               attempts=2, elapsed=elapsed, server=server),
        Result(9, text, name, "AAAA", Status.NOERROR,
               (AAAA(ttl, address), AAAA(ttl, "2001:db8::2")), name, ttl, attempts=1,
               elapsed=elapsed, server=server),
        Result(10, text, name, "A", Status.NXDOMAIN, ttl=ttl, error=f"no {name!r} {text}",
               attempts=1, elapsed=elapsed, server=server),
        Result(11, text, name, "A", Status.NODATA, error=text, attempts=1, elapsed=elapsed),
    ]
    rtypes = ("A", "MX") if two_types else ("A",)
    per = len(rtypes)
    raw = [raw_of(r, per, i % per) for i, r in enumerate(results)]
    run, reference = make_run(rtypes), make_run(rtypes)
    assert (raw_written(raw, run, batch=batch, keep=keep, fmt=fmt)
            == reference_written(raw, reference, keep=keep, fmt=fmt))
    counted = collections.Counter(r.status for r in reference._results(raw))
    assert run.counts == {**dict.fromkeys(Status, 0), **counted}


def test_write_raw_needs_a_plain_jsonl_writer() -> None:
    with tempfile.TemporaryFile() as f:
        for writer in (Writer(f.fileno(), "jsonl", header=True, detail=True),
                       Writer(f.fileno(), "csv", header=True, keep=lambda r: True),
                       Writer(f.fileno(), "jsonl", header=True, keep=lambda r: True)):
            assert not writer.takes_raw
            with pytest.raises(ValueError):
                writer.write_raw([], make_run())


def test_twins_agree_on_a_live_shaped_batch() -> None:
    """Both twins, on the same stream results (answers, NXDOMAIN, NODATA,
    awkward inputs), give the same bytes, line count and counts."""
    if _lines_c is None:
        pytest.skip(f"the compiled lines are not built here ({_MISSING})")
    raw = [raw_of(r) for r in golden_results()]
    rnd = random.Random(5)
    for i in range(300):
        elapsed = rnd.random() * 10 ** rnd.uniform(-7, 4)
        raw.append(StreamResult(1000 + i, f"h{i}.bulk.test", Answer(
            f"h{i}.bulk.test", "A", (A(300, f"198.18.{i // 256}.{i % 256}"),),
            f"h{i}.bulk.test", 300, server="127.0.0.1:5353"), 1, None, "A", f"h{i}.bulk.test",
            elapsed))
    rnd.shuffle(raw)
    run = make_run()
    for only in (0, 1, 2):
        out, slows = [], []
        for module in (_lines_py, _lines_c):
            counts = dict.fromkeys(Status, 0)
            slow: list[int] = []

            def reference(r: StreamResult, slow: list[int] = slow,
                          counts: dict[Status, int] = counts, only: int = only) -> bytes | None:
                slow.append(r.index)
                result = run._results([r])[0]
                counts[result.status] += 1
                if (only == 1 and not result.ok) or (only == 2 and result.ok):
                    return None
                return json_line(result.to_dict())

            out.append((module.jsonl_batch(raw, 1, counts, only, reference), counts))
            slows.append(slow)
        assert out[0] == out[1]
        # the compiled twin declines what the pure one declines (and non-ASCII lines)
        assert set(slows[0]) <= set(slows[1])
        assert len(slows[0]) < len(raw) // 2


def test_compiled_elapsed_ms_is_the_encoders_float() -> None:
    """The compiled twin's milliseconds (integer arithmetic, CPython's dtoa
    near a tie) on ties, near-ties and every magnitude: the reference's text."""
    if _lines_c is None:
        pytest.skip(f"the compiled lines are not built here ({_MISSING})")
    rnd = random.Random(11)
    values = [k / 2_000_000 for k in range(0, 40_000)]  # every x.xxx5 ms below 20 ms
    values += [k / 2000 + d for k in range(0, 2000) for d in (1e-12, -1e-12)]
    values += [rnd.random() * 10 ** rnd.uniform(-10, 6) for _ in range(40_000)]
    values += [0.0, 5e-7, 4.999e-7, 999_999.9999994, 999_999.9999996, 1e6, 2e6, 1e300]
    answer = Answer("h.test", "A", (A(1, "192.0.2.1"),), "h.test", 1, server="127.0.0.1:53")
    raw = [StreamResult(i, "h.test", answer, 1, None, "A", "h.test", elapsed)
           for i, elapsed in enumerate(values)]
    counts = dict.fromkeys(Status, 0)

    def reference(r: StreamResult) -> bytes:
        raise AssertionError(r)

    data, written = _lines_c.jsonl_batch(raw, 1, counts, 0, reference)
    assert written == len(values)
    texts = [line.rsplit(b'"elapsed_ms":', 1)[1].split(b",", 1)[0].decode()
             for line in data.splitlines()]
    assert texts == [repr(round(elapsed * 1000, 3)) for elapsed in values]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
def test_live_shaped_batches_equal_reference(fmt: str) -> None:
    """Plain answers (one or two addresses, both families), NXDOMAIN and
    NODATA with and without a server, elapsed times of every magnitude and
    on ties, two record types: each format's bytes are the reference's."""
    rnd = random.Random(3)
    raw: list[StreamResult] = []
    for i in range(3000):
        name = f"h{i}.bulk.test"
        elapsed = rnd.choice([rnd.random() * 10 ** rnd.uniform(-7, 4), i / 2_000_000])
        server = rnd.choice([None, "127.0.0.1:5353", "[::1]:53"])
        kind = i % 7
        res: Any
        if kind == 5:
            res = _errors.NXDomain(host=name, rtype="A", server=server,
                                   negative_ttl=rnd.choice([None, 60]))
        elif kind == 6:
            res = _errors.NoData(host=name, rtype="AAAA")
        else:
            records: tuple[Any, ...] = (A(300, f"198.18.{i // 256}.{i % 256}"),)
            if kind == 3:
                records += (AAAA(60, "2001:db8::1"),)
            res = Answer(name, "A", records, name, min(r.ttl for r in records), server=server)
        raw.append(StreamResult(i, name, res, 1 + i % 3, "127.0.0.2:53", "A" if i % 2 else "MX",
                                name, elapsed))
    run, reference = make_run(("A", "MX")), make_run(("A", "MX"))
    assert (raw_written(raw, run, batch=64, fmt=fmt)
            == reference_written(raw, reference, fmt=fmt))
    counted = collections.Counter(r.status for r in reference._results(raw))
    assert run.counts == {**dict.fromkeys(Status, 0), **counted}


@settings(max_examples=300, deadline=None)
@given(plain=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E,
                                   exclude_characters='"\\'), max_size=40),
       special=st.sampled_from(['"', "\\", "\x00", "\x1f", "\n", "\x7f", "~", " "]),
       data=st.data())
def test_names_with_one_special_byte_anywhere(plain: str, special: str, data: Any) -> None:
    """The compiled writer tests names eight bytes at a time: a byte that needs
    JSON's escape at any position of any word, or of the tail, still sends the
    line to the reference (same bytes)."""
    at = data.draw(st.integers(0, len(plain)))
    name = plain[:at] + special + plain[at:]
    results = [Result(0, name, name, "A", Status.NOERROR, (A(60, "192.0.2.1"),), name, 60,
                      attempts=1, elapsed=0.001, server="127.0.0.1:53")]
    raw = [raw_of(r) for r in results]
    assert (raw_written(raw, make_run(), batch=1, keep=None, fmt="jsonl")
            == reference_written(raw, make_run(), keep=None, fmt="jsonl"))


def test_compiled_reads_answers_from_their_slots() -> None:
    """On CPython the compiled twin reads an answer's and its records'
    fields at their slots (checked at its import), and writes the same line
    as the reference for A and AAAA records, with and without a server."""
    if _lines_c is None:
        pytest.skip(f"the compiled lines are not built here ({_MISSING})")
    assert _lines_c.SLOT_READS
    records = (A(7, "192.0.2.1"), AAAA(9, "2001:db8::1"), A(11, "192.0.2.2"))
    raw = [StreamResult(i, "h.test", Answer("h.test", "A", records[:k], "c.test", 7,
                                            server=server), 2, "127.0.0.2:53", "A", "h.test", 0.5)
           for i, (k, server) in enumerate([(1, None), (2, "127.0.0.1:53"), (3, ""), (1, "x")])]
    counts = dict.fromkeys(Status, 0)

    def reference(r: StreamResult) -> bytes:
        raise AssertionError(r)

    data, written = _lines_c.jsonl_batch(raw, 1, counts, 0, reference)
    assert written == len(raw) and counts[Status.NOERROR] == len(raw)
    assert data == reference_written(raw, make_run())
