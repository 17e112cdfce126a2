"""Name normalisation for record queries and bulk input (a pure function)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioresolve import IllegalName
from aioresolve._names import MAX_LABEL_LENGTH, to_alabel


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("www.Example.TEST", "www.example.test"),
        ("www.example.test.", "www.example.test"),
        ("  padded.test\n", "padded.test"),
        ("_sip._tcp.example.test", "_sip._tcp.example.test"),
        ("*.wild.test", "*.wild.test"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example", "xn--bcher-kva.example"),
        (".", "."),
        ("a" * MAX_LABEL_LENGTH + ".test", "a" * MAX_LABEL_LENGTH + ".test"),
    ],
)
def test_to_alabel_normalises(given_name: str, expected: str) -> None:
    assert to_alabel(given_name) == expected


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("", "empty name"),
        ("   ", "empty name"),
        ("a..b.test", "empty label"),
        (".leading.test", "empty label"),
        ("a" * (MAX_LABEL_LENGTH + 1) + ".test", "label of 64"),
        (".".join(["a" * 60] * 5), "at most 253"),
        ("spa ce.test", "not allowed"),
        ("-dash.test", "not allowed"),
        ("dash-.test", "not allowed"),
        ("semi;colon.test", "not allowed"),
        ("xn--.test", "not allowed"),
        ("\u0378.test", "IDNA"),
    ],
)
def test_to_alabel_rejects(bad: str, reason: str) -> None:
    with pytest.raises(IllegalName, match=reason) as info:
        to_alabel(bad)
    assert info.value.host == bad
    assert isinstance(info.value, ValueError)


def test_to_alabel_rejects_non_str() -> None:
    with pytest.raises(IllegalName, match="must be str"):
        to_alabel(b"bytes.test")  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_to_alabel_never_raises_anything_else(text: str) -> None:
    try:
        result = to_alabel(text)
    except IllegalName:
        return
    assert result == "." or (result.isascii() and len(result) <= 253 and result == result.lower())
