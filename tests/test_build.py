"""The pure engine's answers and address records built by filling their slots
(:mod:`aioresolve._dns._build`) are the objects their classes build."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from aioresolve._dns import _build
from aioresolve._records import AAAA, A, Answer


def test_slots_are_filled_where_the_layout_allows() -> None:
    assert _build.DIRECT  # CPython with the dataclasses as they are


@pytest.mark.parametrize(("cls", "address"), [(A, "192.0.2.7"), (AAAA, "2001:db8::7")])
def test_address_records_equal_their_class_construction(cls: type[A] | type[AAAA],
                                                        address: str) -> None:
    built = _build.new_address(cls, 300, address)
    plain = cls(300, address)
    assert type(built) is cls
    assert built == plain and hash(built) == hash(plain) and repr(built) == repr(plain)
    assert pickle.loads(pickle.dumps(built)) == plain
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.ttl = 1  # type: ignore[misc]


def test_answers_equal_their_class_construction() -> None:
    values = ("www.example", "A", (A(60, "192.0.2.1"), A(30, "192.0.2.2")), "cdn.example", 30,
              "127.0.0.1:53", ("www.example",), 0x8580, "udp", (120,))
    built = _build.new_answer(*values)
    plain = Answer(*values)
    assert type(built) is Answer
    assert built == plain and hash(built) == hash(plain) and repr(built) == repr(plain)
    assert dataclasses.astuple(built) == dataclasses.astuple(plain)
    assert built.addresses == ["192.0.2.1", "192.0.2.2"] and len(built) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.ttl = 1  # type: ignore[misc]
