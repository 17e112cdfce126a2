"""What the codec hardening tests share (``tests/test_codec_hardening_*.py``):
the implementations under test and their ``impl`` fixture, responses built
with dnspython, :data:`RICH` (valid messages of every record type the codec
hands to dnspython, also seeds of ``tests/fuzz/fuzz_codec.py``), and what the
engine and the output do with received bytes.

Every test takes the implementation under test from :data:`IMPLEMENTATIONS`:
a compiled twin of the codec adds itself there and gets the same checks.
A test module binds the fixture to its own name (``impl = helpers.impl``):
importing it by name would read to the linter as an unused import that each
test's ``impl`` argument redefines.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import struct
import types
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.rrset
import pytest

from aioresolve._dns import codec
from aioresolve._twins import built_from
from tests.fuzz import messages

__all__ = ["IMPLEMENTATIONS", "RICH", "decode_all", "impl", "make_response", "svcb_answer"]

#: Codec modules with ``parse_response``, ``decode_name``, ``encode_name``,
#: ``rdata_record``, ``authority_records`` and ``ParseError``: the pure-Python
#: reference, and the compiled twin when it is built.
IMPLEMENTATIONS: list[Any] = [pytest.param(codec, id="py")]
if not os.environ.get("AIORESOLVE_NO_EXTENSIONS"):
    try:
        _compiled = importlib.import_module("aioresolve._dns._codec_c")
    except ImportError:
        pass
    else:
        # not under -p tests.compiled_codec (codec is the twin then), and not a
        # twin built from another codec.py (the package does not use it either)
        if _compiled is not codec and built_from(_compiled, Path(codec.__file__)):
            IMPLEMENTATIONS.append(pytest.param(_compiled, id="c"))


@pytest.fixture(params=IMPLEMENTATIONS, scope="module")
def impl(request: pytest.FixtureRequest) -> types.ModuleType:
    module: types.ModuleType = request.param
    return module


def decode_all(impl: types.ModuleType, data: bytes) -> None:
    """What the engine and the output do with received bytes."""
    try:
        response = impl.parse_response(data)
    except impl.ParseError:
        return
    for rr in response.answers:
        with contextlib.suppress(impl.ParseError):
            impl.rdata_record(data, rr)
    with contextlib.suppress(impl.ParseError):
        for rr in impl.authority_records(data, response):
            with contextlib.suppress(impl.ParseError):
                impl.rdata_record(data, rr)


def make_response(qname: str, qtype: str,
                  answers: list[tuple[str, int, str, str, str]] = (),  # type: ignore[assignment]
                  authority: list[tuple[str, int, str, str, str]] = (),  # type: ignore[assignment]
                  rcode: int = 0) -> bytes:
    msg = dns.message.make_response(dns.message.make_query(qname, qtype))
    msg.set_rcode(rcode)
    for section, items in ((msg.answer, answers), (msg.authority, authority)):
        for owner, ttl, rdclass, rtype, text in items:
            section.append(dns.rrset.from_text(owner, ttl, rdclass, rtype, text))
    return msg.to_wire()


def svcb_answer(rdata: bytes, rtype: int = 65, rclass: int = 1) -> bytes:
    """A response to svc.test (HTTPS unless told) with one answer of these
    raw rdata bytes."""
    question = dns.name.from_text("svc.test.").to_wire() + struct.pack("!HH", rtype, rclass)
    answer = (b"\xc0\x0c" + struct.pack("!HHIH", rtype, rclass, 60, len(rdata)) + rdata)
    return struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 1, 0, 0) + question + answer


_ECH = ("AEX+DQBBpQAgACCW2/dfOBZAtQU55/KmRSpz8Uon40fL8k3LbGHzt+9mJgAEAAEAAQASY2xvdWRmbGFy"
        "ZS1lY2guY29tAAA=")
RICH = [
    *messages.NORMAL.values(),
    make_response("x.test.", "TXT", [("x.test.", 60, "IN", "TXT", '"a" "b c"')]),
    make_response("x.test.", "CAA", [("x.test.", 60, "IN", "CAA", '0 issue "ca.example"')]),
    make_response("x.test.", "NAPTR", [("x.test.", 60, "IN", "NAPTR",
                                        '100 10 "S" "SIP+D2U" "" _sip._udp.x.test.')]),
    make_response("x.test.", "SRV", [("x.test.", 60, "IN", "SRV", "1 2 5060 sip.x.test.")]),
    make_response("x.test.", "SOA", [("x.test.", 60, "IN", "SOA",
                                      "ns.x.test. h.x.test. 1 2 3 4 5")]),
    make_response("x.test.", "HTTPS", [("x.test.", 60, "IN", "HTTPS",
                                        "1 . mandatory=alpn alpn=h2 no-default-alpn port=443 "
                                        "ipv4hint=192.0.2.1 ipv6hint=2001:db8::1 ech=" + _ECH)]),
    make_response("nx.x.test.", "A", authority=[
        ("x.test.", 300, "IN", "SOA", "ns.x.test. h.x.test. 1 2 3 4 60"),
        ("x.test.", 300, "IN", "NS", "ns.x.test.")], rcode=3),
]
