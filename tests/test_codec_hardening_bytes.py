"""The codec against hostile input: only ParseError, whatever the bytes
(random, mutated valid messages, names at any offset, not bytes at all), valid
messages of every record type build, malformed SVCB/HTTPS parameters are
refused on every dnspython, any exception of record building is a
ParseError; and the fuzz harness passes its seed corpus.

Every test takes the implementation under test from ``IMPLEMENTATIONS``
(``tests/_codec_hardening_helpers.py``, with the other shared pieces): a
compiled twin of the codec adds itself there and gets the same checks.
"""

from __future__ import annotations

import struct
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve import _records
from aioresolve._dns import codec
from tests import _codec_hardening_helpers
from tests._codec_hardening_helpers import RICH, decode_all, make_response, svcb_answer

impl = _codec_hardening_helpers.impl  # the parametrized fixture, under the name tests take


# -- only ParseError, whatever the bytes ------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=700))
def test_random_bytes(impl: types.ModuleType, data: bytes) -> None:
    decode_all(impl, data)
    # a plausible header in front of random bytes gets further into the parser
    decode_all(impl, struct.pack("!HHHHHH", 1, 0x8180, 1, 3, 2, 0) + data)


@settings(max_examples=400, deadline=None)
@given(index=st.integers(0, len(RICH) - 1), edits=st.lists(
    st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.integers(0, 64))
def test_mutated_messages(impl: types.ModuleType, index: int, edits: list[tuple[int, int]],
                          cut: int) -> None:
    data = bytearray(RICH[index])
    for where, value in edits:
        data[where % len(data)] = value
    decode_all(impl, bytes(data))
    decode_all(impl, bytes(data[: max(0, len(data) - cut)]))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), offset=st.integers(-5, 320))
def test_decode_name_at_any_offset(impl: types.ModuleType, data: bytes, offset: int) -> None:
    try:
        text, end = impl.decode_name(data, offset)
    except impl.ParseError:
        return
    assert isinstance(text, str) and offset < end <= len(data)


def test_non_bytes_are_parse_errors(impl: types.ModuleType) -> None:
    for bad in (None, "x", 5, [1, 2]):
        with pytest.raises(impl.ParseError):
            impl.parse_response(bad)
        with pytest.raises(impl.ParseError):
            impl.decode_name(bad, 0)


def test_valid_messages_parse(impl: types.ModuleType) -> None:
    for data in RICH:
        response = impl.parse_response(data)
        for rr in response.answers:
            assert isinstance(impl.rdata_record(data, rr), _records.Record)


def test_https_no_default_alpn_builds(impl: types.ModuleType) -> None:
    data = make_response("svc.test.", "HTTPS",
                         [("svc.test.", 60, "IN", "HTTPS", "1 . alpn=h2 no-default-alpn")])
    (rr,) = impl.parse_response(data).answers
    assert impl.rdata_record(data, rr) == _records.HTTPS(
        60, 1, ".", {"alpn": "h2", "no-default-alpn": ""})


@pytest.mark.parametrize("rclass", [1, 3])  # IN, CH
def test_uri_target_that_is_not_utf8_builds_and_writes(impl: types.ModuleType, rclass: int
                                                        ) -> None:
    """A URI target of arbitrary bytes: a record whose text can be written on
    every dnspython (2.8 decoded it as strict UTF-8 in to_text and raised)."""
    data = svcb_answer(b"\x00\x01\x00\x02\xc0\xafx", rtype=256, rclass=rclass)
    (rr,) = impl.parse_response(data).answers
    record = impl.rdata_record(data, rr)
    text = _records.record_text(record)
    if rclass == 1:
        assert isinstance(record, _records.URI) and text.startswith("1 2 ")
    else:
        assert isinstance(record, _records.Unknown) and record.type_name == "CH URI"
        assert text in ('1 2 "\\192\\175x"', "\\# 7 00010002c0af78")


@pytest.mark.parametrize("params, problem", [
    # ech, empty (the fuzzer's find, dnspython 2.8)
    (b"\x00\x01\x00\x03\x02h1\x00\x05\x00\x00", "cannot be empty"),
    (b"\x00\x01\x00\x00", "cannot be empty"),  # alpn, empty
    (b"\x00\x00\x00\x00", "cannot be empty"),  # mandatory, empty
    (b"\x00\x03\x00\x02\x00\x35\x00\x03\x00\x02\x00\x36", "increasing order"),  # port twice
    (b"\x00\x03\x00\x02\x00\x35\x00\x01\x00\x03\x02h1", "increasing order"),  # port, then alpn
])
def test_malformed_svcb_params_are_parse_errors(
        impl: types.ModuleType, params: bytes, problem: str) -> None:
    """RFC 9460: these keys have values, and keys strictly increase; a
    record that breaks either is malformed, whichever dnspython reads it (2.9
    refuses both; 2.8 read an empty value and then could not write it, and
    let a repeated key through)."""
    data = svcb_answer(b"\x00\x01\x00" + params)
    (rr,) = impl.parse_response(data).answers
    with pytest.raises(impl.ParseError, match=problem):
        impl.rdata_record(data, rr)
    # and a key whose value may be empty still builds
    data = svcb_answer(b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h1\x00\x02\x00\x00")
    (rr,) = impl.parse_response(data).answers
    assert impl.rdata_record(data, rr).params == {"alpn": "h1", "no-default-alpn": ""}


def test_any_exception_from_record_building_is_a_parse_error(
        impl: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    if impl is not codec:
        pytest.skip("patches the pure-Python record builder")

    def broken(rdata: object, ttl: int) -> _records.Record:
        raise AttributeError("a record builder bug")

    monkeypatch.setattr(codec, "record_from_rdata", broken)
    data = make_response("mx.test.", "MX", [("mx.test.", 60, "IN", "MX", "10 mail.test.")])
    (rr,) = impl.parse_response(data).answers
    with pytest.raises(impl.ParseError, match="AttributeError: a record builder bug"):
        impl.rdata_record(data, rr)


# -- the fuzz harness -----------------------------------------------------------------------


def test_fuzz_harness_runs_on_its_seed_corpus() -> None:
    """tests/fuzz/fuzz_codec.py imports without atheris and passes its seeds
    (the coverage-guided run itself is in .ci/run)."""
    from tests.fuzz import fuzz_codec

    seeds = fuzz_codec.seed_corpus()
    assert all(message in seeds for message in RICH)
    for seed in seeds:
        fuzz_codec.test_one_input(seed)
        for cut in (1, 13, len(seed) // 2):
            fuzz_codec.test_one_input(seed[:-cut])
