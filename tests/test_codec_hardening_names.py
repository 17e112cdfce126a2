"""The codec against hostile input: one escaped name form.  Names of any
bytes decode as dnspython prints them and encode back, a dot inside a label
is not a separator (nor in a CNAME target), bad escapes are refused.

Every test takes the implementation under test from ``IMPLEMENTATIONS``
(``tests/_codec_hardening_helpers.py``, with the other shared pieces): a
compiled twin of the codec adds itself there and gets the same checks.
"""

from __future__ import annotations

import struct
import types

import dns.name
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import _codec_hardening_helpers
from tests._codec_hardening_helpers import make_response

impl = _codec_hardening_helpers.impl  # the parametrized fixture, under the name tests take


# -- names ----------------------------------------------------------------------------------

raw_label = st.binary(min_size=1, max_size=63)
raw_name = st.lists(raw_label, min_size=1, max_size=6).filter(
    lambda labels: sum(len(label) + 1 for label in labels) + 1 <= 255)


@settings(max_examples=400, deadline=None)
@given(labels=raw_name)
def test_names_decode_as_dnspython_prints_them(impl: types.ModuleType,
                                               labels: list[bytes]) -> None:
    name = dns.name.Name([*labels, b""])
    wire = name.to_wire()
    data = b"\x00" * 12 + wire
    text, end = impl.decode_name(data, 12)
    assert end == len(data)
    lowered = dns.name.Name([label.lower() for label in labels] + [b""])
    assert text == lowered.to_text(omit_final_dot=True)
    # and back: the engine sends follow-up queries for CNAME targets
    assert impl.encode_name(text) == lowered.to_wire()
    assert impl.encode_name(text + ".") == lowered.to_wire()
    # the question path gives the same text
    question = struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0) + wire + struct.pack("!HH", 1, 1)
    assert impl.parse_response(question).qname == text


def test_a_dot_inside_a_label_is_not_a_separator(impl: types.ModuleType) -> None:
    two = b"\x00" * 12 + b"\x01a\x01b\x04test\x00"
    one = b"\x00" * 12 + b"\x03a.b\x04test\x00"
    assert impl.decode_name(two, 12)[0] == "a.b.test"
    assert impl.decode_name(one, 12)[0] == "a\\.b.test"
    assert impl.encode_name("a\\.b.test") == one[12:]
    assert impl.encode_name("a.b.test") == two[12:]


@pytest.mark.parametrize(("raw", "text"), [
    (b"a b", "a\\032b"), (b'q"', 'q\\"'), (b"(x)", "\\(x\\)"), (b"x;", "x\\;"),
    (b"@", "\\@"), (b"$", "\\$"), (b"\\", "\\\\"), (b"\xff", "\\255"), (b"\x00", "\\000"),
    (b"AbC", "abc"), (b"*", "*"), (b"_srv", "_srv"),
])
def test_escapes(impl: types.ModuleType, raw: bytes, text: str) -> None:
    data = b"\x00" * 12 + bytes([len(raw)]) + raw + b"\x04test\x00"
    assert impl.decode_name(data, 12)[0] == text + ".test"
    assert impl.encode_name(text + ".test") == bytes([len(raw)]) + raw.lower() + b"\x04test\x00"


@pytest.mark.parametrize("bad", ["a\\", "a\\25", "a\\256.test", "a\\1x2.test", "é.test",
                                 "a..b", "\\." * 64, "a\\\u0660\u0661\u0662.test",
                                 "a\\1\u00b23.test"])
def test_encode_name_rejects(impl: types.ModuleType, bad: str) -> None:
    with pytest.raises(ValueError):
        impl.encode_name(bad)


def test_cname_target_with_a_dot_is_followed_to_that_name(impl: types.ModuleType) -> None:
    data = make_response("x.test.", "A", [
        ("x.test.", 60, "IN", "CNAME", "a\\.b.test."),
        ("a.b.test.", 60, "IN", "A", "192.0.2.66"),  # the other name: not the target
        ("a\\.b.test.", 60, "IN", "A", "192.0.2.1")])
    response = impl.parse_response(data)
    cname, *addresses = response.answers
    assert cname.value == "a\\.b.test"
    assert [rr.value for rr in addresses if rr.owner == cname.value] == ["192.0.2.1"]
