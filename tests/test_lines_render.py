"""The core's own JSONL lines (``Stream(render="jsonl")``) and the names
file read in chunks (:class:`~aioresolve.bulk._input.NamesFile`): the CLI's
two shortcuts, each checked against the path it replaces.

With ``render="jsonl"`` the compiled core writes a common answer's line as
it decodes the reply, in its StreamResult's place; every line must equal,
byte for byte, the line the writer (``jsonl_batch``, either twin) writes
for the StreamResult of the same lookup without ``render`` (``elapsed_ms``
aside, the clock's).  The pure core ignores ``render``; so does an ordered
stream.  Against the rig's knot, with the mixed input of
``test_stream_sinks`` plus inputs whose text needs JSON's escapes (their
lines must come from the writer, escaped).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve._dns.stream import Stream, StreamResult
from aioresolve._nameservers import parse_nameserver
from aioresolve.bulk import Status, _lines_py
from aioresolve.bulk._input import NamesFile, file_line, input_name
from tests.rig import zone as z
from tests.rig.servers import KnotServer
from tests.test_hot import _engine_class
from tests.test_stream_sinks import _cores, _inputs

_lines_c: Any
try:
    from aioresolve.bulk import _lines_c
except ImportError:  # not built here: test_lines says so (and fails under CI)
    _lines_c = None

_WRITERS = [_lines_py] + ([_lines_c] if _lines_c is not None else [])
_ELAPSED = re.compile(rb'"elapsed_ms":[0-9.e+-]+')


def _render_inputs() -> list[Any]:
    items = _inputs()
    items += [z.MULTI_NAME, z.DUAL_NAME, (z.DUAL_NAME, "AAAA"), z.IDN_ULABEL,
              'h1"q.bulk.test', "h2\\.bulk.test", "h4.bulk.test\u00e9", "h6.bulk.test\x01"]
    return items


def _prepare(text: str, rtype: str) -> str:
    # the quote, backslash, non-ASCII and control character of the texts
    # above are dropped from the name asked: their lines need escapes only
    # in "input" (the core leaves those to the writer)
    return input_name(re.sub(r'["\\\x01\u00e9]', "", text), rtype)


async def _stream(core: type, knot: KnotServer, *, render: str | None,
                  ordered: bool = False) -> list[StreamResult | bytes]:
    engine = _engine_class(core)(asyncio.get_running_loop(), [parse_nameserver(knot.address)],
                                 attempts=3, timeout=2.0)
    try:
        stream = Stream(engine, iter(_render_inputs()), concurrency=16, ordered=ordered,
                        prepare=_prepare, render=render)
        return [r async for batch in stream.batches() for r in batch]
    finally:
        engine.close()


def _lines(raw: list[Any], writer: Any) -> dict[int, bytes]:
    """Each result's line by its input index (elapsed_ms masked)."""
    def slow(r: StreamResult) -> bytes:
        return json.dumps({"slow": r.index}).encode() + b"\n"

    out: dict[int, bytes] = {}
    for r in raw:
        counts = dict.fromkeys(Status, 0)
        data, written = writer.jsonl_batch([r], 1, counts, 0, slow)
        assert written == 1 and sum(counts.values()) <= 1
        line = _ELAPSED.sub(b'"elapsed_ms":0', data)
        index = json.loads(line).get("index", json.loads(line).get("slow"))
        out[index] = line
    return out


@pytest.mark.parametrize("core", _cores(), ids=lambda c: c.__module__.rsplit(".", 1)[-1])
async def test_rendered_lines_equal_the_writers(knot: KnotServer, core: type) -> None:
    rendered = await _stream(core, knot, render="jsonl")
    plain = await _stream(core, knot, render=None)
    assert not any(type(r) is bytes for r in plain)
    lines = [r for r in rendered if type(r) is bytes]
    if core.__module__.endswith("_hot_py"):
        assert not lines  # the pure core makes its results as always
    else:
        # every NOERROR A/AAAA answer of a plain name and text was rendered
        answers = [r for r in plain if type(r) is StreamResult and r.qname is not None
                   and type(r.result).__name__ == "Answer" and r.rtype in ("A", "AAAA")
                   and r.name.isascii()
                   and r.name.isprintable() and '"' not in r.name and "\\" not in r.name]
        assert len(lines) == len(answers) >= 150
        for line in lines:  # well-formed, and its elapsed_ms as json writes the float
            value = json.loads(line)["elapsed_ms"]
            assert value >= 0 and f'"elapsed_ms":{value!r},'.encode() in line
    assert len(rendered) == len(plain)
    for writer in _WRITERS:
        assert _lines(rendered, writer) == _lines(plain, writer)


async def test_an_ordered_stream_renders_nothing(knot: KnotServer) -> None:
    for core in _cores():
        got = await _stream(core, knot, render="jsonl", ordered=True)
        assert got and not any(type(r) is bytes for r in got)
        assert [r.index for r in got if type(r) is StreamResult] == sorted(
            r.index for r in got if type(r) is StreamResult)


@pytest.mark.parametrize("rtypes", [("A",), ("A", "AAAA")])
async def test_a_bulk_run_renders_for_one_type_only(knot: KnotServer,
                                                    rtypes: tuple[str, ...]) -> None:
    # a line's "index" is the input's; with several types the writer divides
    from aioresolve.bulk import resolve_many

    names = [z.bulk_name(i) for i in range(40)]
    run = resolve_many(names, rtype=rtypes[0] if len(rtypes) == 1 else rtypes,
                       backend="wire", nameservers=[knot.address], concurrency=8)
    run._render = "jsonl"
    raw = [r async for batch in run._raw_batches() for r in batch]
    assert len(raw) == len(names) * len(rtypes)
    rendered = sum(type(r) is bytes for r in raw)
    if len(rtypes) > 1 or not any(c.__module__.endswith("_hot_c") for c in _cores()):
        assert rendered == 0
    else:
        assert rendered == len(names)


def test_render_must_be_known() -> None:
    with pytest.raises(ValueError, match="render"):
        Stream(object(), [], render="csv")  # type: ignore[arg-type]


@pytest.mark.parametrize("writer", _WRITERS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@pytest.mark.parametrize("only", [0, 1, 2])
def test_writers_copy_rendered_lines_in_order(writer: Any, only: int) -> None:
    line = b'{"index":1,"status":"NOERROR"}\n'
    error = StreamResult(0, "x.test", ValueError("boom"), 1, None, "A", "x.test", 0.001)
    counts = dict.fromkeys(Status, 0)
    calls: list[int] = []

    def slow(r: StreamResult) -> bytes:
        calls.append(r.index)
        return b"slow\n"

    data, written = writer.jsonl_batch([error, line, error, line], 1, counts, only, slow)
    assert counts[Status.NOERROR] == 2 and calls == [0, 0]
    if only == 2:  # ONLY_FAILED: the lines are counted, not written
        assert (data, written) == (b"slow\nslow\n", 2)
    else:
        assert (data, written) == (b"slow\n" + line + b"slow\n" + line, 4)


# -- the names file in chunks ---------------------------------------------------


def _by_line(path: str) -> list[str]:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [text for text in map(file_line, f) if text is not None]


def _by_chunk(path: str, chunk: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(NamesFile, "CHUNK", chunk)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return list(NamesFile(f))


_TEXTS = st.lists(st.sampled_from(
    ["a.test", " b.test ", "#c", "  # d", "", " ", "\t", "e#f.test", "g.test\r", "\r",
     "\x0c", "h\u2028i", "\x85j", "k.test\t#", "##"]), max_size=40)


@settings(max_examples=150, deadline=None)
@given(lines=_TEXTS, ends=st.sampled_from(["\n", "\r\n", "\r"]), last=st.booleans(),
       chunk=st.sampled_from([1, 2, 3, 7, 64, 1 << 16]))
def test_names_file_reads_as_line_by_line(tmp_path_factory: pytest.TempPathFactory,
                                          lines: list[str], ends: str, last: bool,
                                          chunk: int) -> None:
    path = str(tmp_path_factory.mktemp("names") / "names.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(ends.join(lines) + (ends if last else ""))
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _by_chunk(path, chunk, monkeypatch) == _by_line(path)


def test_names_file_raises_the_files_error() -> None:
    class Failing(io.StringIO):
        reads = 0

        def read(self, size: int | None = -1) -> str:
            self.reads += 1
            if self.reads > 1:
                raise OSError("the disk went away")
            return "a.test\nb.te"

    with pytest.raises(OSError, match="went away"):
        list(NamesFile(Failing()))
    got: list[str] = []
    with pytest.raises(OSError):
        for text in NamesFile(Failing()):
            got.append(text)
    assert got == ["a.test"]  # what came before the error, the partial line not
