"""Cross-check: aioresolve.testing.DNSServer answers like knotd.

The rig's zones (tests/rig/zone.py) are served by knot (the ``knot`` session
fixture) and by a DNSServer loaded with the very same master files; the same
dnspython queries go to both and the responses must agree on rcode, AA, the
answer section (owner, type, TTL and rdata of each RRset, in order: CNAME
chains included), the authority section of negative answers (the SOA with its
negative TTL), and truncation (TC over UDP, the full answer over TCP).

The additional section is not compared: knot adds glue for MX/SRV/NS targets,
the DNSServer never does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import dns.asyncquery
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest
import pytest_asyncio

from aioresolve.testing import DNSServer
from tests.rig import zone as z
from tests.rig.servers import KnotServer

Section = list[tuple[str, str, int, list[str]]]


def _cases() -> list[tuple[str, str]]:
    """Every (name, type) in the zone, plus negatives, CNAMEs and wildcards."""
    cases = {(owner, rtype) for owner, rtype, _ in z.zone_records() if not owner.startswith("*")}
    cases |= {(z.ZONE, "SOA"), (z.ZONE, "NS"), (z.REVERSE_V4_ZONE, "SOA")}
    cases |= {(z.reverse_name(a), "PTR") for a in z.PTR_RECORDS}
    cases |= {
        # NXDOMAIN (also in the reverse zones) and NODATA
        *((n, "A") for n in z.NX_NAMES),
        (z.reverse_name(z.NO_PTR_V4), "PTR"),
        (z.reverse_name(z.NO_PTR_V6), "PTR"),
        (z.NODATA_NAME, "A"),
        (z.NODATA_NAME, "AAAA"),
        (z.A_NAME, "AAAA"),
        (z.A_NAME, "MX"),
        (z.MX_NAME, "TXT"),
        (z.ZONE, "A"),
        # empty non-terminals
        (f"_tcp.{z.ZONE}", "A"),
        (f"svcb.{z.ZONE}", "TXT"),
        # CNAME chains, loops, dangling, and the CNAME itself
        (z.CNAME_NAME, "A"),
        (z.CNAME_NAME, "AAAA"),
        (z.CNAME_NAME, "MX"),
        (z.CNAME_NAME, "CNAME"),
        (z.CNAME_CHAIN[2], "A"),
        (z.CNAME_LOOP_NAME, "A"),
        (z.CNAME_DANGLING_NAME, "A"),
        # wildcards below the fault names, and the name itself
        (f"anything.{z.DROP_NAME}", "A"),
        (f"a.b.{z.SLOW_NAME}", "AAAA"),
        (f"x.{z.TC_NAME}", "TXT"),
        # bulk zone
        (z.bulk_name(0), "A"),
        (z.bulk_name(z.BULK_DEFAULT_COUNT - 1), "A"),
        (z.bulk_nodata_name(0), "A"),
        (z.bulk_nx_name(1), "A"),
        # outside every zone
        (z.OUT_OF_ZONE_NAME, "A"),
        # big answers (truncated over UDP, compared over TCP below)
        (z.BIG_NAME, "A"),
        (z.BIG_TXT_NAME, "TXT"),
    }
    return sorted(cases)


CASES = _cases()
BIG = [(z.BIG_NAME, "A"), (z.BIG_TXT_NAME, "TXT")]


# One DNSServer (and so one event loop) for the whole module: loading the
# zones takes about a second.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fake() -> AsyncIterator[DNSServer]:
    async with DNSServer(zone_text=z.all_zones()) as server:
        yield server


def _section(rrsets: list[dns.rrset.RRset]) -> Section:
    return [
        (
            rr.name.to_text().lower(),
            dns.rdatatype.to_text(rr.rdtype),
            rr.ttl,
            sorted(rd.to_text().lower() for rd in rr),
        )
        for rr in rrsets
    ]


def _summary(response: dns.message.Message) -> dict[str, object]:
    negative = response.rcode() == dns.rcode.NXDOMAIN or not response.answer
    return {
        "rcode": dns.rcode.to_text(response.rcode()),
        "aa": bool(response.flags & dns.flags.AA),
        "tc": bool(response.flags & dns.flags.TC),
        "question": response.question[0].to_text(),
        "answer": _section(response.answer),
        # knot adds nothing to the authority of positive answers either, but
        # only negative answers are specified (RFC 2308), so compare those.
        "authority": _section(response.authority) if negative else None,
    }


async def _ask(
    host: str, port: int, name: str, rtype: str, *, tcp: bool, edns: bool
) -> dns.message.Message:
    query = dns.message.make_query(name, rtype, use_edns=0 if edns else None, payload=1232)
    query.id = 4242
    if tcp:
        return await dns.asyncquery.tcp(query, host, 10, port)
    return await dns.asyncquery.udp(query, host, 10, port, ignore_unexpected=True)


@pytest.mark.parametrize(("name", "rtype"), CASES, ids=[f"{n}/{t}" for n, t in CASES])
@pytest.mark.parametrize("edns", [True, False], ids=["edns", "plain"])
async def test_udp_answers_match_knot(
    knot: KnotServer, fake: DNSServer, name: str, rtype: str, edns: bool
) -> None:
    theirs = await _ask(knot.host, knot.port, name, rtype, tcp=False, edns=edns)
    ours = await _ask(fake.host, fake.port, name, rtype, tcp=False, edns=edns)
    # Truncated responses included: both send TC=1 with empty sections.
    assert _summary(ours) == _summary(theirs)
    assert (ours.edns >= 0) == (theirs.edns >= 0)


@pytest.mark.parametrize(("name", "rtype"), [*BIG, (z.CNAME_NAME, "A"), (z.NX_NAME, "A")])
async def test_tcp_answers_match_knot(
    knot: KnotServer, fake: DNSServer, name: str, rtype: str
) -> None:
    theirs = await _ask(knot.host, knot.port, name, rtype, tcp=True, edns=True)
    ours = await _ask(fake.host, fake.port, name, rtype, tcp=True, edns=True)
    assert _summary(ours) == _summary(theirs)
    assert not ours.flags & dns.flags.TC


@pytest.mark.parametrize(("name", "rtype"), BIG)
async def test_big_answers_truncate_over_udp_like_knot(
    knot: KnotServer, fake: DNSServer, name: str, rtype: str
) -> None:
    for edns in (False, True):
        theirs = await _ask(knot.host, knot.port, name, rtype, tcp=False, edns=edns)
        ours = await _ask(fake.host, fake.port, name, rtype, tcp=False, edns=edns)
        assert theirs.flags & dns.flags.TC and ours.flags & dns.flags.TC
        assert ours.rcode() == theirs.rcode() == dns.rcode.NOERROR


async def test_letter_case_is_echoed_like_knot(knot: KnotServer, fake: DNSServer) -> None:
    name = z.A_NAME.upper()
    theirs = await _ask(knot.host, knot.port, name, "A", tcp=False, edns=True)
    ours = await _ask(fake.host, fake.port, name, "A", tcp=False, edns=True)
    assert ours.question[0].name.to_text() == theirs.question[0].name.to_text()
    assert _summary(ours) == _summary(theirs)
