"""The two twins that make a stream batch ``resolve_many``'s results
(:mod:`aioresolve.bulk._results`): the pure ``_results_py`` (the reference)
and the compiled ``_results_c`` (which must be built under ``CI=true``)
give equal results, of the same class, for every kind of stream result:
answers (with and without a server of their own, several record types per
input), every error status, errors that are not ResolveErrors or skipped
``ResolveError.__init__``, cancellations, inputs that are not names, and
what is not a stream result at all."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioresolve import _errors
from aioresolve._dns.stream import Cancelled, StreamResult
from aioresolve._records import AAAA, A, Answer
from aioresolve.bulk import Result, Status, _results, _results_py
from tests.test_lines import raw_of
from tests.test_output import golden_results, sample_results

_results_c: ModuleType | None
try:
    from aioresolve.bulk import _results_c
except ImportError as exc:  # not built here
    _results_c, _MISSING = None, str(exc)


@pytest.fixture
def compiled() -> ModuleType:
    if _results_c is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must build the compiled results: {_MISSING}")
        pytest.skip(f"the compiled results are not built here ({_MISSING})")
    return _results_c


def both(compiled: ModuleType, raw: list[Any], per: int = 1) -> list[Result]:
    """The results of both twins, which must be equal, of the same classes."""
    reference = _results_py.results_of(raw, per)
    built = compiled.results_of(raw, per)
    assert built == reference
    assert [type(r) for r in built] == [type(r) for r in reference] == [Result] * len(raw)
    assert [hash(r) for r in built] == [hash(r) for r in reference]
    return reference


def test_compiled_fills_the_slots(compiled: ModuleType) -> None:
    """On CPython the compiled twin builds results itself (the point of it)."""
    assert compiled.DIRECT_RESULTS
    assert (os.environ.get("AIORESOLVE_NO_EXTENSIONS") != "1") == _results.COMPILED


def test_golden_results(compiled: ModuleType) -> None:
    results = golden_results()
    assert both(compiled, [raw_of(r) for r in results]) == results


@pytest.mark.parametrize("per", [2, 3])
def test_several_types_per_input(compiled: ModuleType, per: int) -> None:
    results = sample_results()
    raw = [raw_of(r, per, slot) for r in results for slot in range(per)]
    out = both(compiled, raw, per)
    assert [r.index for r in out] == [r.index for r in results for _ in range(per)]


def answer(server: str | None) -> Answer:
    return Answer("a.test", "A", (A(7, "192.0.2.1"), A(9, "192.0.2.2")), "c.test", 7,
                  server=server, aliases=("a.test", "b.test"), flags=0x8180, protocol="udp",
                  alias_ttls=(30, 40))


@pytest.mark.parametrize("own", [None, "", "127.0.0.1:53"])
@pytest.mark.parametrize("stream_server", [None, "127.0.0.2:53"])
def test_answer_server(compiled: ModuleType, own: str | None, stream_server: str | None
                       ) -> None:
    """``answer.server or the stream's server``, as the reference has it."""
    raw = [StreamResult(0, "A.test.", answer(own), 2, stream_server, "A", "a.test", 0.25)]
    (result,) = both(compiled, raw)
    assert result.server == (own or stream_server)
    assert (result.input, result.name, result.attempts, result.elapsed) == (
        "A.test.", "a.test", 2, 0.25)
    assert result.alias_ttls == (30, 40) and result.aliases == ("a.test", "b.test")


class Odd(_errors.NXDomain):
    def __init__(self) -> None:  # skips ResolveError.__init__: no attributes of its own
        Exception.__init__(self, "odd")


class Broken:
    """Not an Answer nor an exception; its str() fails: a bug, one ERROR result."""

    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_everything_else(compiled: ModuleType) -> None:
    soa_error = _errors.NXDomain("nx", server="127.0.0.1:53", negative_ttl=30, flags=0x8183,
                                 protocol="udp", soa_owner="test")
    raw = [
        StreamResult(0, "nx.test", soa_error, 1, None, "A", "nx.test", 0.1),
        StreamResult(1, "t.test", _errors.Timeout("late"), 3, "127.0.0.1:53", "AAAA",
                     "t.test", 5.0),
        StreamResult(2, "odd.test", Odd(), 1, None, "A", "odd.test", 0.1),
        StreamResult(3, "rt.test", RuntimeError("bug"), 1, None, "A", "rt.test", 0.1),
        StreamResult(4, "c.test", Cancelled(), 0, None, "A", None, 0.0),
        StreamResult(5, "c2.test", Cancelled(), 1, None, "A", "c2.test", 0.0),
        StreamResult(6, "bad..name", _errors.IllegalName("empty label"), 0, None, "A", None,
                     0.0),
        StreamResult(7, "x.test", Broken(), 1, None, "A", "x.test", 0.0),  # type: ignore[arg-type]
        StreamResult(8, "n.test", answer(None), 1, None, "A", None, 0.0),  # an answer, no name
    ]
    out = both(compiled, raw)
    assert [r.status for r in out] == [
        Status.NXDOMAIN, Status.TIMEOUT, Status.NXDOMAIN, Status.ERROR, Status.CANCELLED,
        Status.CANCELLED, Status.ILLEGAL_INPUT, Status.ERROR, Status.NOERROR]
    assert out[0].ttl == 30 and out[0].server == "127.0.0.1:53"


@given(st.lists(st.tuples(st.integers(0, 2**40), st.sampled_from(["A", "AAAA"]),
                          st.sampled_from([None, "", "[::1]:53"]),
                          st.floats(0, 10, allow_nan=False), st.integers(0, 5),
                          st.booleans()), max_size=20),
       st.integers(1, 4))
def test_any_answers(raw_specs: list[tuple[int, str, str | None, float, int, bool]],
                     per: int) -> None:
    if _results_c is None:
        pytest.skip("the compiled results are not built here")
    make: Callable[..., Any] = A
    raw = []
    for index, rtype, server, elapsed, attempts, named in raw_specs:
        make = A if rtype == "A" else AAAA
        value = "192.0.2.5" if rtype == "A" else "2001:db8::5"
        res = Answer("h.test", rtype, (make(60, value),), "h.test", 60, server=server)
        raw.append(StreamResult(index, "h.test", res, attempts, "127.0.0.1:53", rtype,
                                "h.test" if named else None, elapsed))
    both(_results_c, raw, per)
