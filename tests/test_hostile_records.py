"""Hostile servers: records the codec must not trip over, end to end
(another class, HTTPS with and without valid parameters, compression-pointer
bombs over TCP and UDP, a TTL with its top bit set, a dot inside a label).

Every lookup ends, whatever the server sends (issue 11): what each test
here checks, and its helpers, are in ``tests/_hostile_helpers.py``.
"""

from __future__ import annotations

import socket

import pytest

from aioresolve import _errors
from aioresolve._records import Answer
from aioresolve.bulk import Status
from tests import hostile as h
from tests._hostile_helpers import A_ADDR, query, run_bulk, serve, wire_backend
from tests.hostile import HostileServer, Incoming

# -- records the codec must not trip over ------------------------------------------


@pytest.mark.parametrize("rclass", [3, 255, 254])  # CH, ANY, NONE
async def test_answer_of_another_class_is_not_an_answer(servers: list[HostileServer],
                                                        rclass: int) -> None:
    """An A record of class CH/ANY/NONE is skipped (never A(address=258)):
    NODATA alone, the IN record only when both come."""
    odd = h.rr(1, b"\x00\x00\x01\x02", rclass=rclass)
    servers.append(alone := await serve(lambda s, q: [h.reply(q, [odd])]))
    servers.append(mixed := await serve(lambda s, q: [h.reply(q, [odd, h.rr(1, h.a(A_ADDR))])]))
    result, _ = await query(alone, "class.test")
    assert isinstance(result, _errors.NoData)
    result, _ = await query(mixed, "class.test")
    assert isinstance(result, Answer) and result.addresses == [A_ADDR]
    backend = await wire_backend(alone)
    try:
        with pytest.raises(socket.gaierror):
            await backend.getaddrinfo(b"class.test", 80, 0, 0, 0, 0)
    finally:
        await backend.aclose()
    bulk = await run_bulk(alone, ["class.test"])
    assert bulk["class.test"].status is Status.NODATA


async def test_https_record_with_a_key_without_value(servers: list[HostileServer]) -> None:
    """``HTTPS 1 . alpn=h2 no-default-alpn`` is a valid record: it is answered."""
    servers.append(srv := await serve(lambda s, q: [h.reply(q, [h.rr(65, h.https_rdata())])]))
    result, _ = await query(srv, "https.test", "HTTPS")
    assert isinstance(result, Answer), result
    assert len(result.records) == 1
    bulk = await run_bulk(srv, ["https.test"], rtype="HTTPS")
    assert bulk["https.test"].status is Status.NOERROR


async def test_https_record_with_an_empty_ech_is_malformed(servers: list[HostileServer]
                                                           ) -> None:
    """``ech`` sent without a value (RFC 9460: it has one) makes the reply
    malformed on every dnspython version: FORMERR once every attempt got it,
    the same from the engine and from bulk."""
    rdata = b"\x00\x01\x00" + b"\x00\x01\x00\x03\x02h2" + b"\x00\x05\x00\x00"
    servers.append(srv := await serve(lambda s, q: [h.reply(q, [h.rr(65, rdata)])]))
    result, _ = await query(srv, "https.test", "HTTPS", timeout=0.2, attempts=2)
    assert isinstance(result, _errors.FormErr), result
    bulk = await run_bulk(srv, ["https.test"], rtype="HTTPS")
    assert bulk["https.test"].status is Status.FORMERR


async def test_pointer_bomb_through_tcp_ends(servers: list[HostileServer]) -> None:
    """A 60 KB answer made of a compression-pointer chain, reached through TC=1:
    the lookup ends (rejected as FORMERR or answered), nothing hangs."""
    srv = await serve(lambda s, q: [h.reply(q, flags=0x8380)],
                      lambda s, q: h.pointer_bomb(q))
    servers.append(srv)
    result, _ = await query(srv, "bomb.test", timeout=2.0)
    assert isinstance(result, (Answer, _errors.FormErr)), result
    assert srv.counts.tcp["bomb.test"] >= 1
    udp_bomb = await serve(lambda s, q: [h.pointer_bomb(q, 4000)])
    servers.append(udp_bomb)
    result, _ = await query(udp_bomb, "bomb.test", timeout=2.0)
    assert isinstance(result, (Answer, _errors.FormErr)), result


# -- decoder cases, end to end ----------------------------------------------------------


async def test_ttl_with_the_top_bit_set_is_zero(servers: list[HostileServer]) -> None:
    """RFC 2181 §8: a TTL with its top bit set is read as 0 (not ~68 years)."""
    srv = await serve(lambda s, q: [h.reply(q, [h.rr(1, h.a(A_ADDR), ttl=0x80000001)])])
    servers.append(srv)
    result, _ = await query(srv, "ttl.test")
    assert isinstance(result, Answer) and result.ttl == 0


async def test_a_label_with_a_dot_is_a_name_of_its_own(servers: list[HostileServer]) -> None:
    """A CNAME to the one label ``a.b`` under ``test`` is followed to that name
    (asked with that label), never to the two-label ``a.b.test``."""

    def behave(s: HostileServer, q: Incoming) -> list[h.Datagram]:
        if q.question.startswith(b"\x05alias"):
            return [h.reply(q, [h.rr(5, b"\x03a.b\x04test\x00")])]
        if q.question.startswith(b"\x03a.b\x04test\x00"):
            return [h.reply(q, [h.rr(1, h.a("192.0.2.31"))])]
        return [h.reply(q, [h.rr(1, h.a("192.0.2.99"))])]  # a.b.test: the wrong name

    srv = await serve(behave)
    servers.append(srv)
    result, _ = await query(srv, "alias.test")
    assert isinstance(result, Answer) and result.addresses == ["192.0.2.31"], result
    assert result.canonical_name == "a\\.b.test" and result.aliases == ("alias.test",)
