"""``aioresolve bulk`` output: the orjson writer against the stdlib form, text
escaping, the CSV writer, the full-detail object, resume bookkeeping."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve import _cli_output, _errors
from aioresolve._cli_output import Writer, escape_text, json_line, unescape_text
from aioresolve._cli_resume import Done, cut_partial_line, read_done
from aioresolve._records import AAAA, CAA, CNAME, MX, SOA, SRV, TXT, A, Answer
from aioresolve.bulk import CSV_FIELDS, Result, Status
from aioresolve.bulk._result import answer_result, error_result

orjson = pytest.importorskip("orjson")

# Any text a file line can hold after surrogateescape decoding: control
# characters, non-ASCII, and the lone surrogates U+DC80-U+DCFF of bytes that
# were not UTF-8.
texts = st.text(st.one_of(st.characters(exclude_categories=("Cs",)),
                          st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)),
                max_size=40)
any_texts = st.text(st.characters(exclude_categories=()), max_size=20)


def sample_results(text: str = "h0.bulk.test") -> list[Result]:
    soa = SOA(60, "ns1.x.test", "hostmaster.x.test", 1, 3600, 600, 86400, 60)
    return [
        Result(0, text, "h0.bulk.test", "A", Status.NOERROR, (A(300, "198.18.0.0"),),
               "h0.bulk.test", 300, attempts=1, elapsed=0.0019, server="127.0.0.1:5353"),
        Result(1, text, "x.test", "ADDR", Status.NOERROR,
               (A(60, "192.0.2.1"), AAAA(60, "2001:db8::1")), "y.test", 60, attempts=2,
               elapsed=1.23456789, server="[::1]:53", aliases=("x.test",)),
        Result(2, text, "x.test", "TXT", Status.NOERROR, (TXT(5, (b"a\tb", b"\xff\x00")),),
               "x.test", 5, attempts=1, elapsed=12.5),
        Result(3, text, "x.test", "MX", Status.NOERROR, (MX(7, 10, "mail.x.test"),), "x.test",
               7, attempts=1, elapsed=0.0),
        Result(4, text, "x.test", "CAA", Status.NOERROR, (CAA(9, 0, "issue", b"ca.example"),),
               "x.test", 9),
        Result(5, text, "nx.test", "A", Status.NXDOMAIN, ttl=60, soa=soa,
               error="name does not exist\nfor 'nx.test'", attempts=1, elapsed=0.000999),
        Result(6, text, None, "A", Status.ILLEGAL_INPUT, error="empty label"),
        Result(7, text, "x.test", "A", Status.TIMEOUT, error="timed out", attempts=3,
               elapsed=5.0004999, server="127.0.0.1:53"),
    ]


def golden_results() -> list[Result]:
    """Every shape of result a run gives, with awkward inputs: the input of the
    golden files under ``tests/golden/`` (written by today's writer, one
    :meth:`Writer.write` per result; regenerate only on purpose, with
    ``python -m tests.test_output --write-golden tests/golden``)."""
    soa = SOA(60, "ns1.x.test", "hostmaster.x.test", 1, 3600, 600, 86400, 60)
    out: list[Result] = []
    inputs = ["h0.bulk.test", 'a,"b"\tc', "new\nline", "caf\u00e9.test", "back\\slash",
              "inp\udcff", "\x00nul\x7f", " spaced ", "#hash"]
    for i, text in enumerate(inputs):
        base = 20 * i
        out += [
            Result(base, text, "h0.bulk.test", "A", Status.NOERROR, (A(300, "198.18.0.0"),),
                   "h0.bulk.test", 300, attempts=1, elapsed=0.0019, server="127.0.0.1:5353",
                   flags=0x8580, protocol="udp"),
            Result(base + 1, text, "x.test", "AAAA", Status.NOERROR,
                   (AAAA(60, "2001:db8::1"),), "x.test", 60, attempts=1, elapsed=0.000123),
            Result(base + 2, text, "x.test", "ADDR", Status.NOERROR,
                   (A(60, "192.0.2.1"), AAAA(60, "2001:db8::1")), "y.test", 60, attempts=2,
                   elapsed=1.23456789, server="[::1]:53", aliases=("x.test",),
                   alias_ttls=(30,)),
            Result(base + 3, text, "x.test", "A", Status.NOERROR,
                   (A(5, "192.0.2.1"), A(7, "192.0.2.2")), "x.test", 5, attempts=1,
                   elapsed=0.0),
            Result(base + 4, text, "x.test", "TXT", Status.NOERROR,
                   (TXT(5, (b"a\tb", b"\xff\x00")),), "x.test", 5, attempts=1, elapsed=12.5),
            Result(base + 5, text, "x.test", "MX", Status.NOERROR,
                   (MX(7, 10, "mail.x.test"), MX(7, 20, "mail2.x.test")), "x.test", 7,
                   attempts=1, elapsed=0.0005),
            Result(base + 6, text, "x.test", "CAA", Status.NOERROR,
                   (CAA(9, 0, "issue", b"ca.example"),), "x.test", 9),
            Result(base + 7, text, "x.test", "SOA", Status.NOERROR, (soa,), "x.test", 60),
            Result(base + 8, text, "x.test", "CNAME", Status.NOERROR,
                   (CNAME(60, "y.test"),), "x.test", 60, attempts=1, elapsed=0.25),
            Result(base + 9, text, "x.test", "SRV", Status.NOERROR,
                   (SRV(60, 1, 2, 443, "s.x.test"),), "x.test", 60),
            Result(base + 10, text, "nx.test", "A", Status.NXDOMAIN, ttl=60, soa=soa,
                   error="name does not exist for 'nx.test' (A) from 127.0.0.1:53",
                   attempts=1, elapsed=0.000999, server="127.0.0.1:53",
                   soa_owner="x.test", flags=0x8583, protocol="udp"),
            Result(base + 11, text, "nd.test", "A", Status.NODATA, ttl=None,
                   error="no records\nof this type", attempts=1, elapsed=0.0015),
            Result(base + 12, text, None, "A", Status.ILLEGAL_INPUT, error="empty label"),
            Result(base + 13, text, "x.test", "A", Status.TIMEOUT, error="timed out",
                   attempts=3, elapsed=5.0004999, server="127.0.0.1:53"),
            Result(base + 14, text, "x.test", "A", Status.SERVFAIL, error="server failure",
                   attempts=3, elapsed=0.003, server="127.0.0.1:53"),
            Result(base + 15, text, "x.test", "A", Status.ERROR,
                   error="RuntimeError: boom", attempts=1, elapsed=0.0001),
            Result(base + 16, text, None, "A", Status.CANCELLED,
                   error="the run was stopped before this lookup finished"),
            Result(base + 17, text, "x.test", "MX", Status.NOERROR, (), "x.test", 0,
                   attempts=1, elapsed=999999.9999),
        ]
    return out


def write_golden(directory: Path) -> None:
    """Write the golden files of :func:`golden_results` with today's writer."""
    directory.mkdir(parents=True, exist_ok=True)
    for fmt, ext in (("jsonl", "jsonl"), ("csv", "csv"), ("text", "txt")):
        path = directory / f"results.{ext}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        writer = Writer(fd, fmt, header=True)
        for result in golden_results():
            writer.write(result)
        writer.flush()
        os.close(fd)
        os.chmod(path, 0o644)
    detail = b"".join(json_line(r.to_detail_dict(timestamp=1.5)) for r in golden_results())
    (directory / "results-detail.jsonl").write_bytes(detail)


GOLDEN = Path(__file__).parent / "golden"


def stdlib_line(result: Result) -> bytes:
    """Today's form: what ``Result.to_json`` (stdlib json) gives, plus a newline."""
    return result.to_json().encode("utf-8", "surrogateescape") + b"\n"


# -- the JSONL writer: the same bytes as json.dumps -------------------------------------


def test_orjson_lines_equal_stdlib_lines() -> None:
    for result in sample_results():
        assert json_line(result.to_dict()) == stdlib_line(result)


@settings(max_examples=300, deadline=None)
@given(text=texts, elapsed=st.floats(min_value=0, max_value=1e6, allow_nan=False),
       ttl=st.one_of(st.none(), st.integers(0, 2**31 - 1)))
def test_orjson_lines_equal_stdlib_lines_for_any_input(text: str, elapsed: float,
                                                       ttl: int | None) -> None:
    for result in sample_results(text):
        result = Result(result.index, text, result.name, result.rtype, result.status,
                        result.records, text or None, ttl, text, result.attempts, elapsed,
                        result.server)
        assert json_line(result.to_dict()) == stdlib_line(result)
        detail = result.to_detail_dict(timestamp=1.5)
        expected = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
        assert json_line(detail) == expected.encode("utf-8", "surrogateescape") + b"\n"


@settings(max_examples=100, deadline=None)
@given(text=any_texts)
def test_writer_never_fails_on_text(tmp_path_factory: pytest.TempPathFactory,
                                    text: str) -> None:
    """Lone surrogates no byte decodes to (a list item, not a file line) are
    escaped, never a crash of the run."""
    for fmt in ("jsonl", "csv", "text"):
        path = tmp_path_factory.mktemp("w") / "out"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT)
        writer = Writer(fd, fmt, header=True)
        for result in sample_results(text):
            writer.write(result)
        writer.flush()
        os.close(fd)
        data = path.read_bytes()
        lines = data.splitlines()
        if fmt == "jsonl":
            # an input byte that was not UTF-8 is written back as it was (see
            # json_line), so a reader decodes lines as the CLI read them
            assert [json.loads(line.decode("utf-8", "surrogateescape"))["index"]
                    for line in lines] == list(range(8))
        # bytes that were not UTF-8 (U+DC80-U+DCFF) come back as they were, in
        # the same batch as any other lone surrogate
        for char in text:
            if 0xDC80 <= ord(char) <= 0xDCFF and fmt != "jsonl":
                assert bytes([ord(char) - 0xDC00]) in data


def test_writer_jsonl_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    writer = Writer(fd, "jsonl", header=True)
    results = sample_results("inp\udcff")  # a line that was not UTF-8
    for result in results:
        writer.write(result)
    writer.flush()
    os.close(fd)
    assert path.read_bytes() == b"".join(stdlib_line(r) for r in results)
    assert b"inp\xff" in path.read_bytes()  # the original byte, written back


def test_writer_csv_bytes(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    writer = Writer(fd, "csv", header=True)
    results = sample_results('a,"b"\tc')
    for result in results:
        writer.write(result)
    writer.flush()
    os.close(fd)
    expected = io.StringIO()
    old = csv.writer(expected, lineterminator="\n")  # today's form: one writerow per result
    old.writerow(CSV_FIELDS)
    for result in results:
        old.writerow(result.csv_row())
    assert path.read_text() == expected.getvalue()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [r["input"] for r in rows] == ['a,"b"\tc'] * len(results)
    assert rows[4]["data"] == '0 issue "ca.example"'  # presentation format, as dig prints it
    assert rows[5]["ttl"] == "60"  # NXDOMAIN: the negative TTL, not empty


# -- the golden files: today's bytes, from every writer path ---------------------------------


def written(fmt: str, results: list[Result], *, batch: int, detail: bool = False,
            keep: Any = None, types: tuple[str, ...] = ("A",)) -> bytes:
    """What a Writer writes for ``results``: one ``write`` each (``batch=0``)
    or ``write_batch`` of ``batch`` results at a time."""
    with tempfile.TemporaryFile() as f:
        writer = Writer(f.fileno(), fmt, header=True, detail=detail, keep=keep, types=types)
        if batch:
            for start in range(0, len(results), batch):
                writer.write_batch(results[start:start + batch])
        else:
            for result in results:
                writer.write(result)
        writer.flush()
        f.seek(0)
        return f.read()


@pytest.mark.parametrize("batch", [0, 1, 7, 1000])
@pytest.mark.parametrize("fmt, name", [("jsonl", "results.jsonl"), ("csv", "results.csv"),
                                       ("text", "results.txt")])
@pytest.mark.parametrize("encoder", ["orjson", "stdlib"])
def test_golden_bytes(monkeypatch: pytest.MonkeyPatch, fmt: str, name: str, batch: int,
                      encoder: str) -> None:
    """Every writer path (one result at a time, batches of any size, orjson or
    the stdlib fallback) writes exactly the bytes today's writer wrote."""
    if encoder == "stdlib":
        monkeypatch.setattr(_cli_output, "orjson", None)
    assert written(fmt, golden_results(), batch=batch) == (GOLDEN / name).read_bytes()


@pytest.mark.parametrize("batch", [0, 5])
def test_golden_detail_bytes(monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    monkeypatch.setattr(time, "time", lambda: 1.5)  # the detail objects' timestamp
    assert (written("jsonl", golden_results(), batch=batch, detail=True)
            == (GOLDEN / "results-detail.jsonl").read_bytes())


@settings(max_examples=150, deadline=None)
@given(text=any_texts, fmt=st.sampled_from(["jsonl", "csv", "text"]),
       batch=st.integers(1, 9), only_ok=st.booleans())
def test_batches_write_what_single_writes_do(text: str, fmt: str, batch: int,
                                             only_ok: bool) -> None:
    """write_batch is write, result by result: any text (lone surrogates too),
    with a keep filter, several record types."""
    results = sample_results(text)
    keep = (lambda r: r.ok) if only_ok else None
    types = ("A", "MX")
    assert (written(fmt, results, batch=batch, keep=keep, types=types)
            == written(fmt, results, batch=0, keep=keep, types=types))


def test_fast_built_results_are_plain_results() -> None:
    """make_result (the bulk hot path's builder) gives a Result like any
    other: same type, equal, same hash, frozen, replaceable, picklable."""
    import dataclasses
    import pickle

    from aioresolve.bulk._result import _FIELDS, make_result

    for result in golden_results()[:20]:
        fast = make_result(*(getattr(result, f) for f in _FIELDS))
        assert type(fast) is Result
        assert fast == result and hash(fast) == hash(result) and repr(fast) == repr(result)
        assert dataclasses.replace(fast, index=7) == dataclasses.replace(result, index=7)
        assert pickle.loads(pickle.dumps(fast)) == result
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.index = 1  # type: ignore[misc]


# -- text format: escaped columns ----------------------------------------------------------


@given(texts)
def test_escape_round_trip(text: str) -> None:
    escaped = escape_text(text)
    assert "\t" not in escaped and "\n" not in escaped and "\r" not in escaped
    assert unescape_text(escaped) == text


def test_escape_examples() -> None:
    assert escape_text("plain.test") == "plain.test"
    assert escape_text("a\tb\nc\\d\x00\x7f") == "a\\tb\\nc\\\\d\\x00\\x7f"
    assert unescape_text("a\\tb\\nc\\\\d\\x00\\x7f") == "a\tb\nc\\d\x00\x7f"


def test_writer_text_escapes_columns(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    writer = Writer(fd, "text", header=True)
    for result in sample_results("tab\there"):
        writer.write(result)
    writer.flush()
    os.close(fd)
    lines = path.read_text().splitlines()
    assert len(lines) == len(sample_results())  # the error's newline did not split a line
    assert all(line.count("\t") == 2 for line in lines)
    assert lines[0] == "tab\\there\tNOERROR\t198.18.0.0"
    assert lines[5].startswith("tab\\there\tNXDOMAIN\tname does not exist\\nfor")
    types = tmp_path / "types.txt"
    fd = os.open(types, os.O_WRONLY | os.O_CREAT)
    writer = Writer(fd, "text", header=True, types=("A", "MX"))
    writer.write(sample_results()[3])
    writer.flush()
    os.close(fd)
    assert types.read_text() == "h0.bulk.test\tMX\tNOERROR\t10 mail.x.test.\n"


# -- full detail -----------------------------------------------------------------------------


def test_detail_object() -> None:
    answer = Answer("web.x.test", "A", (A(300, "192.0.2.10"),), "www.x.test", 60,
                    server="127.0.0.1:53", aliases=("web.x.test", "mid.x.test"))
    ok = answer_result(0, "Web.x.test", "web.x.test", "A", answer, attempts=1, elapsed=0.002)
    obj = ok.to_detail_dict(timestamp=0.0)
    assert obj["timestamp"] == "1970-01-01T00:00:00.000000Z"
    assert obj["class"] == "IN" and obj["resolver"] == "127.0.0.1:53"
    assert obj["aliases"] == ["web.x.test", "mid.x.test"]
    assert [(a["name"], a["type"], a["data"]) for a in obj["answers"]] == [
        ("web.x.test.", "CNAME", "mid.x.test."), ("mid.x.test.", "CNAME", "www.x.test."),
        ("www.x.test.", "A", "192.0.2.10")]
    assert obj["authorities"] == [] and obj["negative_ttl"] is None
    soa = SOA(30, "ns1.x.test", "hostmaster.x.test", 7, 3600, 600, 86400, 60)
    exc = _errors.NXDomain(host="nx.x.test", rtype="A", server="127.0.0.1:53", soa=soa,
                           negative_ttl=30)
    nx = error_result(1, "nx.x.test", "nx.x.test", "A", exc, attempts=1, elapsed=0.001)
    assert nx.status is Status.NXDOMAIN and nx.ttl == 30 and nx.soa == soa
    obj = nx.to_detail_dict()
    assert obj["negative_ttl"] == 30 and obj["answers"] == []
    (auth,) = obj["authorities"]
    assert auth["type"] == "SOA" and auth["ttl"] == 30
    assert auth["data"].split()[2:] == ["7", "3600", "600", "86400", "60"]
    assert nx.to_dict()["ttl"] == 30  # the default form too: not null


# -- resume bookkeeping -------------------------------------------------------------------------


def write_results(path: Path, fmt: str, results: list[Result], types: tuple[str, ...]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    writer = Writer(fd, fmt, header=True, types=types)
    for result in results:
        writer.write(result)
    writer.flush()
    os.close(fd)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
def test_read_done_is_exact(tmp_path: Path, fmt: str) -> None:
    odd = ["tab\tin", "new\\nline", "dup", "dup", "\udcff"]
    results = [Result(i, text, None, rtype, Status.ILLEGAL_INPUT, error="x")
               for i, text in enumerate(odd) for rtype in ("A", "MX")]
    done_results = [*results[::2], results[5]]  # every A, and the first "dup" for MX
    path = tmp_path / f"out.{fmt}"
    write_results(path, fmt, done_results, ("A", "MX"))
    done = read_done(str(path), fmt, multi_type=True)
    assert len(done) == len(done_results)
    skip = done.skipper(("A", "MX"))
    # only the first "dup" has both types done; skip may be asked once per type
    assert [skip(i, t) and skip(i, t) for i, t in enumerate(odd)] == [
        False, False, True, False, False]
    # the others are looked up again, and what is already in the file is dropped
    written = done.already_written()
    redone = [r for r in results if r.index != 2]
    kept = [(r.index, r.rtype) for r in redone if not written(r)]
    assert kept == [(i, "MX") for i in (0, 1, 3, 4)]
    assert done.count == len(done_results) and len(done) == 0
    single = read_done(str(path), fmt)  # one type: the type is not compared
    skip_one = single.skipper(("A",))
    assert sum(skip_one(i, t) for i, t in enumerate(odd)) == 5


def test_cut_partial_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"index":0}\n{"index":1,"inp')
    cut_partial_line(str(path))
    assert path.read_bytes() == b'{"index":0}\n'
    assert isinstance(read_done(str(path), "jsonl"), Done)


# -- presentation text: the fast formats agree with the codec's record_text --------------------

names = st.one_of(st.just("."), st.lists(
    st.text("abcxyz019-_*", min_size=1, max_size=10), min_size=1, max_size=4).map(".".join),
    st.just("we\\.ird\\032name.test"))
ints16 = st.integers(0, 65535)


@settings(max_examples=200, deadline=None)
@given(name=names, a=ints16, b=ints16, c=ints16, serial=st.integers(0, 2**32 - 1))
def test_fast_presentation_agrees_with_record_text(name: str, a: int, b: int, c: int,
                                                   serial: int) -> None:
    from aioresolve import _records as r
    from aioresolve.bulk._record_forms import _FAST_TEXT, record_text

    general = getattr(r, "record_text", None)
    if general is None:
        pytest.skip("aioresolve._records has no record_text yet")
    records = [r.A(1, "192.0.2.1"), r.AAAA(1, "2001:db8::1"), r.CNAME(1, name), r.NS(1, name),
               r.PTR(1, name), r.MX(1, a, name), r.SRV(1, a, b, c, name),
               r.SOA(1, name, name, serial, a, b, c, a)]
    assert {type(x) for x in records} == set(_FAST_TEXT)
    for record in records:
        assert record_text(record) == general(record)


if __name__ == "__main__":  # python -m tests.test_output --write-golden tests/golden
    import sys

    if sys.argv[1:2] != ["--write-golden"] or len(sys.argv) != 3:
        raise SystemExit("usage: python -m tests.test_output --write-golden DIR")
    write_golden(Path(sys.argv[2]))
