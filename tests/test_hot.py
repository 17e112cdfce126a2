"""The engine's compiled hot path (``_hot_c``) against its pure-Python twin (``_hot_py``).

The compiled core decodes the common answers itself and hands anything else to
the reference path; it must decide exactly as the reference does.  Here two
engines, one on each twin, send the same question to one loopback socket, and
each gets the same reply (its own ID, the question it sent), written by
hypothesis: answer sections of A/AAAA/CNAME/other records with pointers to the
question, to CNAME targets, forwards, into the middle of names; other classes;
wrong lengths; TC, QR and RCODE bits; wrong counts; then random byte flips and
truncations.  Each reply is fed to ``Engine._read_batch`` (no event loop runs),
and the outcomes must be equal: finished or still pending, the Answer (equal
fields) or the error (type and message), and every counter of :class:`Stats`.

Also run with ``AIORESOLVE_NO_EXTENSIONS=1``: the pair is then built from the
classes themselves, so the test needs only the compiled module to exist.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioresolve._dns import _hot_py, codec
from aioresolve._dns._sockets import Sockets
from aioresolve._dns._tcp import TcpFallback
from aioresolve._dns._timeouts import Timeouts
from aioresolve._dns.engine import Engine

CI = os.environ.get("CI") == "true"

_hot_c: Any
try:
    from aioresolve._dns import _hot_c
except ImportError as exc:  # pragma: no cover - depends on the build
    _hot_c = None
    _MISSING = str(exc)

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")


def _engine_class(core: type) -> type:
    """Engine assembled on ``core`` (its own methods copied: same code)."""
    body = {k: v for k, v in vars(Engine).items() if k not in ("__dict__", "__weakref__")}
    return type(f"Engine_{core.__module__.rsplit('.', 1)[-1]}",
                (core, Sockets, Timeouts, TcpFallback), body)


@pytest.fixture(scope="module")
def twins() -> tuple[type, type]:
    if _hot_c is None:
        if CI:
            pytest.fail(f"CI must build the compiled core: {_MISSING}")
        pytest.skip(f"the compiled core is not built here ({_MISSING})")
    return _engine_class(_hot_py.Core), _engine_class(_hot_c.Core)


class _Pair:
    """Two engines (pure, compiled) asking one loopback UDP socket."""

    def __init__(self, classes: tuple[type, type], **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.settimeout(5)
        address = self.server.getsockname()
        self.engines = [cls(self.loop, [address], sockets=1, attempts=1, timeout=30.0,
                            udp_max_queries=0, adaptive_timeout=False, tcp_fallback=False,
                            **options)
                        for cls in classes]

    def ask(self, name: str, rtype: str) -> list[tuple[Any, bytes]]:
        """Submit ``name`` on both; (query, the datagram the server got) each."""
        for e in self.engines:  # what an earlier reply made them send (a retry)
            e._send_out()
        self.server.setblocking(False)
        while True:
            try:
                self.server.recv(65535)
            except BlockingIOError:
                break
        self.server.settimeout(5)
        queries = [e.submit(name, rtype, lambda q: None) for e in self.engines]
        for e in self.engines:
            e._send_out()
        got: dict[int, bytes] = {}
        for _ in self.engines:
            data, addr = self.server.recvfrom(65535)
            got[addr[1]] = data
        return [(q, got[q.sock.sock.getsockname()[1]]) for q in queries]

    def feed(self, engine: Any, q: Any, data: bytes) -> None:
        s = q.sock
        engine._read_batch(s, [data], s.pending, engine.stats, s.server)

    def close(self) -> None:
        for e in self.engines:
            e.close()
        self.server.close()
        self.loop.close()


def _outcome(engine: Any, q: Any) -> tuple[Any, ...]:
    result = q.result
    if result is None:
        what: Any = None
    elif isinstance(result, Exception):
        what = (type(result).__name__, str(result))
    else:
        what = result
    stats = engine.stats.as_dict()
    return (q.done, q.qid >= 0, q.bad, what, stats, list(q.aliases), q.ttl)


# -- replies ---------------------------------------------------------------------------------

_NAMES = ["h1.bulk.test", "a-b_c.example", "x.test", "www.xn--bcher-kva.test", "a$b.test",
          "deep.a.b.c.d.e.f.test", "q" * 63 + ".test"]


def _wire(name: str) -> bytes:
    return codec.encode_name(name)


@st.composite
def _reply(draw: st.DrawFn, qid: int, question: bytes) -> bytes:
    """A reply to ``question`` (raw question section): clean (what servers
    send, which the compiled path decodes) or, one time in three, hostile."""
    hostile = draw(st.integers(0, 2)) == 0

    def rare(odds: int) -> bool:  # true one time in ``odds``, only in hostile replies
        return hostile and draw(st.integers(0, odds - 1)) == 0

    flags = 0x8183 if draw(st.integers(0, 4)) == 0 else 0x8180  # NXDOMAIN, or NOERROR
    if rare(2):
        flags = draw(st.sampled_from([0x8580, 0x8380, 0x0180, 0x8183, 0x8182, 0x8185,
                                      0x8181, 0x8184, 0x818F, 0x8980]))
    qd = draw(st.sampled_from([0, 2])) if rare(6) else 1
    qname_end = len(question) - 4
    q_bytes = question
    if rare(4):
        echo = draw(st.sampled_from(["upper", "other", "none"]))
        if echo == "upper":
            q_bytes = question[:qname_end].upper() + question[qname_end:]
        elif echo == "other":
            q_bytes = _wire("other.test") + question[qname_end:]
        else:
            q_bytes, qd = b"", 0
    body = bytearray(q_bytes)
    targets: list[int] = []  # offsets of CNAME targets written so far
    count = draw(st.integers(0, 6))
    for _ in range(count):
        owner = b"\xc0\x0c"
        follow: bool = draw(st.booleans())
        if targets and follow:
            at = draw(st.sampled_from(targets))
            owner = bytes((0xC0 | at >> 8, at & 0xFF))
        if rare(3):
            kind = draw(st.sampled_from(["inplace", "suffix", "bad", "forward"]))
            if kind == "inplace":
                owner = _wire(draw(st.sampled_from([*_NAMES, "alias.test", "t1.test"])))
            elif kind == "suffix":
                owner = b"\x03www\xc0" + bytes((12 + draw(st.integers(0, 8)),))
            elif kind == "forward":
                owner = b"\xc0" + bytes((min(255, 12 + len(body) + 2),))
            else:
                owner = b"\xff\x00"
        rtype = draw(st.sampled_from([1, 28, 5]))
        if rare(4):
            rtype = draw(st.sampled_from([15, 16, 46, 39]))
        rclass = draw(st.sampled_from([3, 255])) if rare(5) else 1
        ttl = draw(st.sampled_from([0, 60, 300, 3600, 0x7FFFFFFF, 0x80000001]))
        if rtype == 1:
            rdata = bytes(draw(st.lists(st.integers(0, 255), min_size=4, max_size=4)))
            if rare(8):
                rdata = rdata[:3]
        elif rtype == 28:
            rdata = bytes(draw(st.lists(st.integers(0, 255), min_size=16, max_size=16)))
            if rare(8):
                rdata += b"\x00"
        elif rtype == 5:
            kind = draw(st.sampled_from(["full", "ptr", "q", "ptr"]))
            if rare(4):
                kind = "forward"
            if kind == "full":
                rdata = _wire(draw(st.sampled_from([*_NAMES, "t1.test", "t2.test"])))
            elif kind == "ptr":  # a label and a pointer to a label of the question
                starts, at = [], 0
                while question[at]:
                    starts.append(at)
                    at += 1 + question[at]
                rdata = (b"\x02t" + bytes((48 + draw(st.integers(0, 9)),))
                         + b"\xc0" + bytes((12 + draw(st.sampled_from(starts)),)))
            elif kind == "q":
                rdata = b"\xc0\x0c"
            else:
                rdata = b"\x01x\xc0" + bytes((min(255, 12 + len(body) + len(owner) + 14),))
        else:
            rdata = bytes(draw(st.lists(st.integers(0, 255), max_size=8)))
        at = 12 + len(body) + len(owner) + 10
        body += owner + _RR.pack(rtype, rclass, ttl, len(rdata)) + rdata
        if rtype == 5 and at < 0x3FFF:
            targets.append(at)
    ancount = count + (draw(st.sampled_from([1, -1])) if rare(6) else 0)
    nscount = 0
    for _ in range(draw(st.integers(0, 2))):  # the authority section (negative answers)
        kind = draw(st.sampled_from(["soa", "soa", "parent", "other", "ns"]))
        soa = b"\x04ns01\xc0\x0c\x04host\xc0\x0c" + struct.pack(
            "!IIIII", 1, 2, 3, 4, draw(st.sampled_from([30, 0x80000005])))
        owner = b"\xc0\x0c"
        if kind == "parent":  # the zone's apex: a pointer to a label of the question
            owner = b"\xc0" + bytes((12 + 1 + question[0],)) if question[0] else owner
        elif kind == "other":
            owner = _wire("elsewhere.example")
        if kind == "ns":
            body += owner + _RR.pack(2, 1, 120, 2) + b"\xc0\x0c"
        else:
            if rare(4):
                soa = soa[: draw(st.integers(0, len(soa)))]
            body += owner + _RR.pack(6, 1, draw(st.sampled_from([120, 0x80000001])),
                                     len(soa)) + soa
        nscount += 1
    data = bytearray(_HEADER.pack(qid, flags, qd, max(0, ancount), nscount, 0) + body)
    if rare(2):
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
    if rare(5):
        data = data[: draw(st.integers(2, len(data)))]
    data[0:2] = struct.pack("!H", qid)  # the ID stays (else both drop it, untested)
    return bytes(data)


def _recase(got: bytes, sent_py: bytes, sent_c: bytes) -> bytes:
    """The question section ``got`` of a reply to ``sent_py``, as the same
    reply to ``sent_c`` (the same question in another 0x20 letter case): a
    byte equal to the one sent becomes the other engine's byte, a letter in the
    other case becomes the other engine's letter in the other case, anything
    else stays.  Each engine then sees the same relation to what it sent
    (an upper-cased echo is not the exact echo for one engine only, because
    its random case happened to be all upper)."""
    out = bytearray(got)
    for i, (g, p, c) in enumerate(zip(got, sent_py, sent_c, strict=False)):  # got may be cut short
        if g == p:
            out[i] = c
        elif g == p ^ 0x20 and (p | 0x20) == (c | 0x20) and 97 <= (p | 0x20) <= 122:
            out[i] = c ^ 0x20
    return bytes(out)


def _run_pair(pair: _Pair, name: str, rtype: str, data: st.DataObject,
              reply: Any = _reply) -> None:
    asked = pair.ask(name, rtype)
    (q_py, sent_py), (q_c, sent_c) = asked
    # the second query takes the first's ID: a hostile pointer into the header
    # then reads the same bytes in both replies
    del q_c.sock.pending[q_c.qid]
    q_c.qid = q_py.qid
    q_c.sock.pending[q_c.qid] = q_c
    assert sent_py[2:] == sent_c[2:] or pair.engines[0].case_randomization
    reply_py = data.draw(reply(q_py.qid, q_py.question))
    # the compiled engine gets the same reply with its own ID and question
    reply_c = struct.pack("!H", q_c.qid) + reply_py[2:12] + _recase(
        reply_py[12 : 12 + len(q_py.question)], q_py.question, q_c.question
    ) + reply_py[12 + len(q_py.question):]
    pair.feed(pair.engines[0], q_py, reply_py)
    pair.feed(pair.engines[1], q_c, reply_c)
    try:
        assert _outcome(pair.engines[0], q_py) == _outcome(pair.engines[1], q_c)
    finally:
        for engine, q in zip(pair.engines, (q_py, q_c), strict=True):
            engine.cancel(q)


def test_twins_decide_alike(twins: tuple[type, type]) -> None:
    pair = _Pair(twins)

    @settings(max_examples=400, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(name=st.sampled_from(_NAMES), rtype=st.sampled_from(["A", "AAAA", "A", "MX"]),
           data=st.data())
    def check(name: str, rtype: str, data: st.DataObject) -> None:
        _run_pair(pair, name, rtype, data)

    try:
        check()
    finally:
        pair.close()


def test_twins_decide_alike_with_0x20(twins: tuple[type, type]) -> None:
    """With 0x20 the compiled path takes only the exactly-cased echo."""
    pair = _Pair(twins, case_randomization=True)

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(name=st.sampled_from(_NAMES), rtype=st.sampled_from(["A", "AAAA"]), data=st.data())
    def check(name: str, rtype: str, data: st.DataObject) -> None:
        _run_pair(pair, name, rtype, data)

    try:
        check()
    finally:
        pair.close()


def test_a_cname_chain_in_the_answer_is_decoded_in_c(twins: tuple[type, type]) -> None:
    """The common CNAME chain (knot's compression) gives the reference's Answer."""
    pair = _Pair(twins)
    try:
        for q, _ in pair.ask("alias.bulk.test", "A"):
            question = q.question
            target = 12 + len(question) + 12  # the CNAME's rdata
            cname = b"\x02h1\xc0\x12"  # h1 + pointer to "bulk.test" in the question
            body = (question
                    + b"\xc0\x0c" + _RR.pack(5, 1, 300, len(cname)) + cname
                    + bytes((0xC0, target)) + _RR.pack(1, 1, 60, 4) + bytes((198, 18, 0, 1))
                    + bytes((0xC0, target)) + _RR.pack(1, 1, 30, 4) + bytes((198, 18, 0, 2)))
            data = _HEADER.pack(q.qid, 0x8180, 1, 3, 0, 0) + body
            engine = pair.engines[0] if isinstance(q, _hot_py.Query) else pair.engines[1]
            pair.feed(engine, q, data)
            answer = q.result
            assert answer.addresses == ["198.18.0.1", "198.18.0.2"]
            assert answer.canonical_name == "h1.bulk.test"
            assert answer.aliases == ("alias.bulk.test",) and answer.alias_ttls == (300,)
            assert answer.ttl == 30 and answer.protocol == "udp" and answer.flags == 0x8180
    finally:
        pair.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(0.0, 5.0)),
                          st.sampled_from([0.5, 2.0, 3.0, 30.0]), st.integers(1, 12)),
                max_size=40))
def test_rtt_twins_agree(steps: list[tuple[float | None, float, int]]) -> None:
    """The RTO of the pure twin (which keeps the first attempts' timeout until
    the next sample) and of the compiled one, after the same samples."""
    if _hot_c is None:
        pytest.skip(f"the compiled core is not built here ({_MISSING})")
    from aioresolve._dns._timeouts import _Rtt

    pure, compiled = _Rtt(), _hot_c.Rtt()
    for rtt, ceiling, attempt in steps:
        if rtt is not None:
            pure.sample(rtt)
            compiled.sample(rtt)
        assert pure.rto(ceiling, attempt) == compiled.rto(ceiling, attempt)


# -- the pure twin's fast path (Core._fast_answer) against its own reference path ---------


def _pure_pair(**options: Any) -> tuple[_Pair, list[int]]:
    """Two pure engines: the first with the fast path (counting the replies it
    took), the second with every reply through ``parse_response`` and
    ``Engine._on_response`` (the reference)."""
    base = _engine_class(_hot_py.Core)
    taken = [0]

    class Fast(base):  # type: ignore[misc, valid-type]
        def _fast_answer(self, q: Any, data: bytes, pos: int) -> Any:
            answer = super()._fast_answer(q, data, pos)
            taken[0] += answer is not None
            return answer

    pair = _Pair((Fast, base), **options)
    assert pair.engines[0]._fast_answers
    pair.engines[1]._fast_answers = False
    return pair, taken


@st.composite
def _address_reply(draw: st.DrawFn, qid: int, question: bytes) -> bytes:
    """A reply that the fast path takes (A or AAAA records owned by a pointer
    to the question, of the type asked) or nearly: one record or one header
    field made odd at a time, trailing sections, then byte flips and cuts."""
    qtype = struct.unpack("!H", question[-4:-2])[0]
    size = 16 if qtype == 28 else 4
    body = bytearray(question)
    count = draw(st.integers(1, 4))
    for _ in range(count):
        owner, rtype, rclass, length = b"\xc0\x0c", qtype, 1, size
        odd = draw(st.integers(0, 19))
        if odd == 0:
            owner = draw(st.sampled_from([b"\xc0\x0d", b"\xc0\x0b", b"\x80\x0c", b"\x00",
                                          _wire(codec.decode_name(question, 0)[0]),
                                          bytes((0xC0, min(255, 12 + len(body))))]))
        elif odd == 1:
            rtype = draw(st.sampled_from([1, 28, 5, 46, 0]))
        elif odd == 2:
            rclass = draw(st.sampled_from([0, 3, 254, 255, 0x8001]))
        elif odd == 3:
            length = draw(st.integers(0, 20))
        ttl = draw(st.sampled_from([0, 1, 300, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]))
        rdata = bytes(draw(st.lists(st.integers(0, 255), min_size=length, max_size=length)))
        body += owner + _RR.pack(rtype, rclass, ttl, len(rdata)) + rdata
    flags = 0x8180
    if draw(st.integers(0, 4)) == 0:
        flags = draw(st.sampled_from([0x8580, 0x8380, 0x8280, 0x0180, 0x8183, 0x8181, 0x8182,
                                      0x8185, 0x818F, 0x8190, 0x81B0, 0x8980, 0x0000, 0xFFFF]))
    qd = draw(st.sampled_from([0, 2, 257])) if draw(st.integers(0, 9)) == 0 else 1
    ancount = count
    if draw(st.integers(0, 5)) == 0:
        ancount = draw(st.sampled_from([0, count - 1, count + 1, count + 256]))
    nscount = arcount = 0
    if draw(st.booleans()):  # sections after the answers, which the decoder never reads here
        soa = b"\x04ns01\xc0\x0c\x04host\xc0\x0c" + struct.pack("!IIIII", 1, 2, 3, 4, 30)
        body += b"\xc0\x0c" + _RR.pack(6, 1, 120, len(soa)) + soa
        nscount = 1
        if draw(st.booleans()):
            body += b"\x00" + _RR.pack(41, 1232, 0, 0)
            arcount = 1
        if draw(st.booleans()):
            body += bytes(draw(st.lists(st.integers(0, 255), max_size=6)))
    data = bytearray(_HEADER.pack(qid, flags, qd, ancount, nscount, arcount) + body)
    if draw(st.integers(0, 3)) == 0:
        for _ in range(draw(st.integers(1, 3))):
            data[draw(st.integers(2, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.integers(0, 5)) == 0:
        data = data[: draw(st.integers(12, len(data)))]
    return bytes(data)


@pytest.mark.parametrize("reply", [_address_reply, _reply], ids=["addresses", "any"])
@pytest.mark.parametrize("caps", [False, True], ids=["plain", "0x20"])
def test_pure_fast_path_decides_as_the_reference(reply: Any, caps: bool) -> None:
    """The pure twin's fast path only ever declines: with and without it, a
    pure engine decides every reply alike (the answer, the error, pending or
    not, the counters).  And it does take the common ones."""
    pair, taken = _pure_pair(case_randomization=caps)

    @settings(max_examples=int(os.environ.get("FAST_EXAMPLES", "300")), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(name=st.sampled_from(_NAMES), rtype=st.sampled_from(["A", "AAAA"]), data=st.data())
    def check(name: str, rtype: str, data: st.DataObject) -> None:
        _run_pair(pair, name, rtype, data, reply)

    try:
        check()
    finally:
        pair.close()
    print(f"the fast path took {taken[0]} replies")
    if reply is _address_reply:
        assert taken[0] >= 30  # exercised, not only declined


_LABELS = st.text(alphabet="ab-_.\\0é", min_size=0, max_size=6) | st.sampled_from(
    ["h1", "ab", "abc", "q" * 63, "q" * 64, "a\\.b", "a\\065", "", "."])


@settings(max_examples=int(os.environ.get("FAST_EXAMPLES", "300")), deadline=None)
@given(first=_LABELS, suffix=st.sampled_from(["bulk.test", "test", "b.", "", ".", "x..y",
                                              "a\\.b.test", "é.test", ("c" * 63 + ".") * 3
                                              + "d" * 57, ("c" * 63 + ".") * 3 + "d" * 58]),
       rtype=st.sampled_from(["A", "AAAA"]))
def test_pure_question_is_encode_names(first: str, suffix: str, rtype: str) -> None:
    """The pure twin's question, built from a known suffix's wire form after a
    plain first label (``Core._prepare``), is ``encode_name``'s, or both refuse."""
    loop = asyncio.new_event_loop()
    engine = _engine_class(_hot_py.Core)(loop, [("127.0.0.1", 9)], sockets=1)
    try:
        # the first name makes the suffix known (a 255-byte name with "d" * 58 and "ab")
        for name in ("s." + suffix, first + "." + suffix, first + "." + suffix):
            q = _hot_py.Query(name, rtype, 1 if rtype == "A" else 28, lambda q: None, None, 1,
                              1.0, 1.0)
            try:
                expected = codec.encode_name(q.wanted) + struct.pack("!HH", q.qtype, 1)
            except (ValueError, UnicodeError):
                expected = None
            try:
                engine._prepare(q)
            except Exception as exc:
                assert expected is None, exc
                assert type(exc).__name__ == "IllegalName"
            else:
                assert q.qsec == q.question == expected
    finally:
        engine.close()
        loop.close()
