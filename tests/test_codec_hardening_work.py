"""The codec against hostile input: bounded work.  However its compression
pointers point, a message is read at most twice per byte (hostile messages,
hypothesis-made pointer chains, label runs and random pointer graphs), at
most 16 pointers are followed for one name, and names reached through
memoised suffixes decode as dnspython reads them.

Every test takes the implementation under test from ``IMPLEMENTATIONS``
(``tests/_codec_hardening_helpers.py``, with the other shared pieces): a
compiled twin of the codec adds itself there and gets the same checks.
"""

from __future__ import annotations

import contextlib
import struct
import types
from typing import Any

import dns.message
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve._dns import codec
from tests import _codec_hardening_helpers
from tests._codec_hardening_helpers import RICH, decode_all
from tests.fuzz import messages

impl = _codec_hardening_helpers.impl  # the parametrized fixture, under the name tests take


# -- bounded work -------------------------------------------------------------------------


class CountingBytes(bytes):
    """bytes that count how often the decoder reads them (index or slice)."""

    reads = 0

    def __getitem__(self, key: Any) -> Any:
        CountingBytes.reads += 1
        return super().__getitem__(key)


def _reads(impl: types.ModuleType, data: bytes) -> int:
    CountingBytes.reads = 0
    with contextlib.suppress(impl.ParseError):
        impl.parse_response(CountingBytes(data))
    return CountingBytes.reads


#: Reads of the message per byte of it that no input may exceed.  Each byte is
#: walked at most once in place and once after a jump, each step reading the
#: length byte and the label (or the pointer's second byte): 2 reads per 2 bytes.
READS_PER_BYTE = 2


@pytest.mark.parametrize("name", list(messages.HOSTILE))
def test_hostile_messages_cost_linear_reads(impl: types.ModuleType, name: str) -> None:
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    data = messages.HOSTILE[name]
    assert _reads(impl, data) <= READS_PER_BYTE * len(data)


@settings(max_examples=150, deadline=None)
@given(chain=st.integers(0, 3000), size=st.sampled_from([512, 4096, 65535]),
       run=st.integers(1, 127))
def test_pointer_structures_cost_linear_reads(impl: types.ModuleType, chain: int, size: int,
                                              run: int) -> None:
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    for data in (messages.pointer_chain(size, chain), messages.label_runs(size, run=run)):
        assert _reads(impl, data) <= READS_PER_BYTE * len(data) + 64


@settings(max_examples=300, deadline=None)
@given(blob=st.binary(min_size=1, max_size=400), owners=st.lists(
    st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=6)), min_size=1, max_size=300))
def test_random_pointer_graphs_cost_linear_reads(impl: types.ModuleType, blob: bytes,
                                                 owners: list[tuple[int, bytes]]) -> None:
    """Random bytes to point at, then records whose owners are a few random
    bytes (labels, often) and a pointer to a random earlier position."""
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    head = struct.pack("!HHHHHH", 1, 0x8180, 1, len(owners) + 1, 0, 0)
    question = b"\x01x\x04test\x00" + struct.pack("!HH", 1, 1)
    out = bytearray(head + question)
    out += b"\xc0\x0c" + struct.pack("!HHIH", 10, 1, 60, len(blob)) + blob
    for target, prefix in owners:
        out += prefix + struct.pack("!H", 0xC000 | (target % len(out))) + struct.pack(
            "!HHIH", 10, 1, 60, 0)
    data = bytes(out)
    decode_all(impl, data)
    assert _reads(impl, data) <= READS_PER_BYTE * len(data) + 64


def test_the_old_quadratic_chain_reads(impl: types.ModuleType) -> None:
    """The message of the issue: thousands of owners, each a 2000-hop chain.
    An unbounded decoder reads it ~10 million times; we stop at the cap."""
    if impl is not codec:
        pytest.skip("counts reads of a Python bytes subclass")
    data = messages.pointer_chain(65535, 2000)
    with pytest.raises(impl.ParseError, match="compression pointers"):
        impl.parse_response(data)
    assert _reads(impl, data) < 200


@pytest.mark.parametrize("hops", [1, 2, codec.MAX_POINTER_HOPS])
def test_hop_cap_allows(impl: types.ModuleType, hops: int) -> None:
    # the chain's links (hops - 1) and the owner's own pointer
    data = messages.pointer_chain(200, hops - 1)
    response = impl.parse_response(data)
    assert response.answers and all(rr.owner == "x.test" for rr in response.answers)


def test_hop_cap_refuses(impl: types.ModuleType) -> None:
    data = messages.pointer_chain(200, codec.MAX_POINTER_HOPS)
    with pytest.raises(impl.ParseError, match="more than 16 compression pointers"):
        impl.parse_response(data)


def test_memoised_names_are_the_names(impl: types.ModuleType) -> None:
    """Owners reached through memoised suffixes decode as dnspython reads them."""
    for data in (messages.label_runs(4000, run=7), messages.pointer_chain(4000, 9),
                 *RICH):
        response = impl.parse_response(data)
        msg = dns.message.from_wire(data, ignore_trailing=True)
        owners = [rrset.name.to_text(omit_final_dot=True).lower() or "."
                  for rrset in msg.answer for _ in rrset]
        assert sorted({rr.owner for rr in response.answers}) == sorted(set(owners))
