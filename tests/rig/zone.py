"""Test zone data and the answers tests should expect from it.

Everything here is plain data: names are module constants (absolute, no
trailing dot, lower case) and every record set a test may query has its
expected answer next to it.  :func:`zone_text` renders the main zone as a
master file, :func:`reverse_v4_text` / :func:`reverse_v6_text` the reverse
zones, :func:`bulk_zone_text` the generated bulk zone.

Addresses come only from documentation/benchmark ranges (192.0.2.0/24,
198.18.0.0/15, 2001:db8::/32); names only from ``.test``.

Fault names (:data:`DROP_NAME` ...) hold ordinary data in knot; the faults are
injected by dnsdist (see :mod:`tests.rig.servers`) for the name itself and
every name below it, so a test can use a fresh name such as
``f"{uuid}.{SLOW_NAME}"`` to dodge caches.  Queried straight at knot they
answer normally.

Constants are stable: helpers code against them.  Only add, never rename.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator

# --------------------------------------------------------------------------
# Zones
ZONE = "aioresolve.test"
REVERSE_V4_ZONE = "2.0.192.in-addr.arpa"
REVERSE_V6_ZONE = "8.b.d.0.1.0.0.2.ip6.arpa"  # 2001:db8::/32
BULK_ZONE = "bulk.test"
#: Names in a bulk zone used by the test suite (benchmarks generate bigger ones).
BULK_DEFAULT_COUNT = 10_000

SOA_MNAME = f"ns1.{ZONE}"
SOA_RNAME = f"hostmaster.{ZONE}"
SOA_SERIAL = 2024010101
#: SOA MINIMUM = negative-caching TTL (RFC 2308) for NXDOMAIN / NODATA.
SOA_MINIMUM = 60
#: TTL of every record unless said otherwise.
TTL = 300

# --------------------------------------------------------------------------
# Address records
A_NAME = f"a.{ZONE}"
A_ADDR = "192.0.2.1"

AAAA_NAME = f"aaaa.{ZONE}"
AAAA_ADDR = "2001:db8::1"

DUAL_NAME = f"dual.{ZONE}"
DUAL_V4 = "192.0.2.2"
DUAL_V6 = "2001:db8::2"

#: Several A and several AAAA records (order is up to the server).
MULTI_NAME = f"multi.{ZONE}"
MULTI_V4 = ("192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13")
MULTI_V6 = ("2001:db8::10", "2001:db8::11", "2001:db8::12", "2001:db8::13")

#: A name whose A RRset is far beyond 1232 bytes (100 A records, ~1.6 kB):
#: truncated over UDP (TC=1), complete over TCP.
BIG_NAME = f"big.{ZONE}"
BIG_V4 = tuple(f"198.18.1.{i}" for i in range(1, 101))
#: A name with a large TXT RRset (~3 kB) - also forces TC over UDP.
BIG_TXT_NAME = f"bigtxt.{ZONE}"
BIG_TXT = tuple(f"{i:02d}" + "x" * 198 for i in range(15))  # 15 strings of 200 chars

#: IDNA name: U-label and the A-label that is actually in the zone.
IDN_ULABEL = f"bücher.{ZONE}"
IDN_NAME = f"xn--bcher-kva.{ZONE}"
IDN_ADDR = "192.0.2.30"

# --------------------------------------------------------------------------
# CNAMEs
#: chain1 -> chain2 -> chain3 -> target (A + AAAA).
CNAME_CHAIN = (f"chain1.{ZONE}", f"chain2.{ZONE}", f"chain3.{ZONE}", f"target.{ZONE}")
CNAME_NAME = CNAME_CHAIN[0]
CNAME_TARGET = CNAME_CHAIN[-1]
CNAME_TARGET_V4 = "192.0.2.20"
CNAME_TARGET_V6 = "2001:db8::20"
#: loop1 -> loop2 -> loop1.
CNAME_LOOP = (f"loop1.{ZONE}", f"loop2.{ZONE}")
CNAME_LOOP_NAME = CNAME_LOOP[0]
#: dangling -> missing (NXDOMAIN at the end of the chain).
CNAME_DANGLING_NAME = f"dangling.{ZONE}"
CNAME_DANGLING_TARGET = f"missing.{ZONE}"

# --------------------------------------------------------------------------
# Other record types (rdata in presentation format as written to the zone)
NS_NAMES = (f"ns1.{ZONE}", f"ns2.{ZONE}")
NS_V4 = {f"ns1.{ZONE}": "192.0.2.53", f"ns2.{ZONE}": "192.0.2.54"}

MX_NAME = f"mx.{ZONE}"
#: (preference, exchange)
MX_RECORDS = ((10, f"mail1.{ZONE}"), (20, f"mail2.{ZONE}"))
MAIL_V4 = {f"mail1.{ZONE}": "192.0.2.25", f"mail2.{ZONE}": "192.0.2.26"}

TXT_NAME = f"txt.{ZONE}"
#: One TXT record made of several character-strings.
TXT_STRINGS = ("hello", "world", "v=spf1 -all")
#: TXT with one long (255-byte) string followed by a short one.
TXT_LONG_NAME = f"txtlong.{ZONE}"
TXT_LONG_STRINGS = ("L" * 255, "tail")
#: Several separate TXT records at one name.
TXT_MULTI_NAME = f"txtmulti.{ZONE}"
TXT_MULTI = (("first",), ("second",), ("third",))

SRV_NAME = f"_sip._tcp.{ZONE}"
#: (priority, weight, port, target)
SRV_RECORDS = ((10, 60, 5060, f"sip1.{ZONE}"), (20, 0, 5061, f"sip2.{ZONE}"))
SIP_V4 = {f"sip1.{ZONE}": "192.0.2.60", f"sip2.{ZONE}": "192.0.2.61"}

CAA_NAME = f"caa.{ZONE}"
#: (flags, tag, value)
CAA_RECORDS = ((0, "issue", "ca.example"), (128, "iodef", "mailto:security@example.test"))

NAPTR_NAME = f"naptr.{ZONE}"
#: (order, preference, flags, service, regexp, replacement)
NAPTR_RECORDS = (
    (100, 10, "S", "SIP+D2U", "", f"_sip._udp.{ZONE}"),
    (100, 20, "U", "E2U+sip", "!^.*$!sip:info@example.test!", "."),
)

HTTPS_NAME = f"https.{ZONE}"
#: Presentation-format rdata of the HTTPS records.
HTTPS_RDATA = (
    '1 . alpn="h2,h3" ipv4hint=192.0.2.1 ipv6hint=2001:db8::1',
    f"2 alt.{ZONE}. port=8443",
)
SVCB_NAME = f"_dns.svcb.{ZONE}"
SVCB_RDATA = (f'1 dns.{ZONE}. alpn="dot" port=853',)

TLSA_NAME = f"_443._tcp.{ZONE}"
#: (usage, selector, mtype, hex cert data)
TLSA_RECORDS = ((3, 1, 1, "0123456789abcdef" * 4),)

URI_NAME = f"_http._tcp.uri.{ZONE}"
#: (priority, weight, target)
URI_RECORDS = ((10, 1, "https://www.example.test/"),)

# --------------------------------------------------------------------------
# Negative answers
#: Exists (has a TXT record) but has no A/AAAA: NODATA for address queries.
NODATA_NAME = f"nodata.{ZONE}"
NODATA_TXT = ("only text here",)
#: Do not exist: NXDOMAIN.
NX_NAME = f"nx.{ZONE}"
NX_NAMES = (NX_NAME, f"does-not-exist.{ZONE}", f"deep.missing.sub.{ZONE}")
#: A name outside every served zone: knot answers REFUSED (not authoritative).
OUT_OF_ZONE_NAME = "nowhere.example"

# --------------------------------------------------------------------------
# Fault names (dnsdist injects the fault for the name and any name below it)
DROP_NAME = f"drop.{ZONE}"  # never answered
SERVFAIL_NAME = f"servfail.{ZONE}"  # rcode SERVFAIL
REFUSED_NAME = f"refused.{ZONE}"  # rcode REFUSED
TC_NAME = f"tc.{ZONE}"  # TC=1 over UDP, full answer over TCP
SLOW_NAME = f"slow.{ZONE}"  # UDP response delayed by SLOW_DELAY_MS (TCP is not delayed)
SLOW_DELAY_MS = 300
#: What the fault names (and any name below them) hold in the zone.
FAULT_V4 = "192.0.2.40"
FAULT_V6 = "2001:db8::40"
FAULT_NAMES = (DROP_NAME, SERVFAIL_NAME, REFUSED_NAME, TC_NAME, SLOW_NAME)

# --------------------------------------------------------------------------
# Reverse zones: PTR -> forward name, forward name has that address, so
# gethostbyaddr / getnameinfo round-trip.
#: address -> PTR target
PTR_RECORDS: dict[str, str] = {
    A_ADDR: A_NAME,
    DUAL_V4: DUAL_NAME,
    CNAME_TARGET_V4: CNAME_TARGET,
    IDN_ADDR: IDN_NAME,
    AAAA_ADDR: AAAA_NAME,
    DUAL_V6: DUAL_NAME,
    CNAME_TARGET_V6: CNAME_TARGET,
}
#: Addresses with no PTR record (inside the reverse zones): NXDOMAIN.
NO_PTR_V4 = "192.0.2.199"
NO_PTR_V6 = "2001:db8::199"

#: Aliases (other helpers' spellings): an address with a PTR, one without.
A_ADDRESS = A_ADDR
PTR_ADDRESS = A_ADDR
NO_PTR_ADDRESS = NO_PTR_V4

# --------------------------------------------------------------------------
# /etc/hosts entries used inside the test mount namespace (glibc reads the
# hosts file before DNS, so these win over the zone).
HOSTS_NAME = f"hosts.{ZONE}"
HOSTS_ADDR = "192.0.2.100"
HOSTS_ALIASES = (f"alias1.{ZONE}", f"alias2.{ZONE}")
HOSTS_ENTRIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (HOSTS_ADDR, HOSTS_NAME, HOSTS_ALIASES),
    ("2001:db8::100", HOSTS_NAME, HOSTS_ALIASES),
)


# --------------------------------------------------------------------------
# Rendering


def _q(s: str) -> str:
    """Quote a TXT/CAA/NAPTR character-string for a master file."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _soa(origin: str) -> list[str]:
    return [
        f"$ORIGIN {origin}.",
        f"$TTL {TTL}",
        f"@ {TTL} IN SOA {SOA_MNAME}. {SOA_RNAME}. {SOA_SERIAL} 3600 600 86400 {SOA_MINIMUM}",
        *(f"@ IN NS {ns}." for ns in NS_NAMES),
    ]


def zone_records() -> Iterator[tuple[str, str, str]]:
    """Yield (absolute owner, type, rdata) for every record of :data:`ZONE`
    except SOA/NS at the apex."""
    yield from ((n, "A", a) for n, a in NS_V4.items())
    yield (A_NAME, "A", A_ADDR)
    yield (AAAA_NAME, "AAAA", AAAA_ADDR)
    yield (DUAL_NAME, "A", DUAL_V4)
    yield (DUAL_NAME, "AAAA", DUAL_V6)
    yield from ((MULTI_NAME, "A", a) for a in MULTI_V4)
    yield from ((MULTI_NAME, "AAAA", a) for a in MULTI_V6)
    yield from ((BIG_NAME, "A", a) for a in BIG_V4)
    yield (BIG_TXT_NAME, "TXT", " ".join(_q(s) for s in BIG_TXT))
    yield (IDN_NAME, "A", IDN_ADDR)
    for src, dst in itertools.pairwise(CNAME_CHAIN):
        yield (src, "CNAME", dst + ".")
    yield (CNAME_TARGET, "A", CNAME_TARGET_V4)
    yield (CNAME_TARGET, "AAAA", CNAME_TARGET_V6)
    yield (CNAME_LOOP[0], "CNAME", CNAME_LOOP[1] + ".")
    yield (CNAME_LOOP[1], "CNAME", CNAME_LOOP[0] + ".")
    yield (CNAME_DANGLING_NAME, "CNAME", CNAME_DANGLING_TARGET + ".")
    yield from ((MX_NAME, "MX", f"{p} {x}.") for p, x in MX_RECORDS)
    yield from ((n, "A", a) for n, a in MAIL_V4.items())
    yield (TXT_NAME, "TXT", " ".join(_q(s) for s in TXT_STRINGS))
    yield (TXT_LONG_NAME, "TXT", " ".join(_q(s) for s in TXT_LONG_STRINGS))
    yield from ((TXT_MULTI_NAME, "TXT", " ".join(_q(s) for s in r)) for r in TXT_MULTI)
    yield from ((SRV_NAME, "SRV", f"{p} {w} {port} {t}.") for p, w, port, t in SRV_RECORDS)
    yield from ((n, "A", a) for n, a in SIP_V4.items())
    yield from ((CAA_NAME, "CAA", f"{f} {t} {_q(v)}") for f, t, v in CAA_RECORDS)
    for order, pref, flags, svc, regexp, repl in NAPTR_RECORDS:
        repl = repl if repl == "." else repl + "."
        yield (NAPTR_NAME, "NAPTR", f"{order} {pref} {_q(flags)} {_q(svc)} {_q(regexp)} {repl}")
    yield from ((HTTPS_NAME, "HTTPS", r) for r in HTTPS_RDATA)
    yield from ((SVCB_NAME, "SVCB", r) for r in SVCB_RDATA)
    yield from ((TLSA_NAME, "TLSA", f"{u} {s} {m} {d}") for u, s, m, d in TLSA_RECORDS)
    yield from ((URI_NAME, "URI", f"{p} {w} {_q(t)}") for p, w, t in URI_RECORDS)
    yield (NODATA_NAME, "TXT", " ".join(_q(s) for s in NODATA_TXT))
    for name in FAULT_NAMES:
        for owner in (name, f"*.{name}"):
            yield (owner, "A", FAULT_V4)
            yield (owner, "AAAA", FAULT_V6)


def zone_text() -> str:
    """The master file of :data:`ZONE`."""
    lines = _soa(ZONE)
    lines += [f"{owner}. IN {rtype} {rdata}" for owner, rtype, rdata in zone_records()]
    return "\n".join(lines) + "\n"


def reverse_name(address: str) -> str:
    """The in-addr.arpa / ip6.arpa name of *address* (no trailing dot)."""
    return ipaddress.ip_address(address).reverse_pointer


def _reverse_text(origin: str, version: int) -> str:
    lines = _soa(origin)
    for addr, target in PTR_RECORDS.items():
        if ipaddress.ip_address(addr).version == version:
            lines.append(f"{reverse_name(addr)}. IN PTR {target}.")
    return "\n".join(lines) + "\n"


def reverse_v4_text() -> str:
    """The master file of :data:`REVERSE_V4_ZONE`."""
    return _reverse_text(REVERSE_V4_ZONE, 4)


def reverse_v6_text() -> str:
    """The master file of :data:`REVERSE_V6_ZONE`."""
    return _reverse_text(REVERSE_V6_ZONE, 6)


# --------------------------------------------------------------------------
# Bulk zone.  h{i}.bulk.test (0 <= i < count) each hold exactly one A record,
# bulk_address(i).  Besides them the zone holds BULK_NODATA_COUNT names
# nodata{k}.bulk.test with only a TXT record (NODATA for A/AAAA); names
# nx{k}.bulk.test never exist (NXDOMAIN).  bulk_query_names() mixes all three.
BULK_NODATA_COUNT = 10


def bulk_name(i: int, zone: str = BULK_ZONE) -> str:
    """The i-th bulk name, ``h{i}.bulk.test``."""
    return f"h{i}.{zone}"


def bulk_address(i: int) -> str:
    """The A record of :func:`bulk_name` (i): 198.18.0.0/15, wrapping every 2**17."""
    return str(ipaddress.IPv4Address(0xC6120000 + (i % (1 << 17))))


def bulk_nodata_name(k: int, zone: str = BULK_ZONE) -> str:
    """A name that exists in the bulk zone with only TXT (k < BULK_NODATA_COUNT)."""
    return f"nodata{k}.{zone}"


def bulk_nx_name(k: int, zone: str = BULK_ZONE) -> str:
    """A name that does not exist in the bulk zone (any k)."""
    return f"nx{k}.{zone}"


def bulk_zone_text(count: int = BULK_DEFAULT_COUNT, zone: str = BULK_ZONE) -> str:
    """The master file of a bulk zone with *count* ``h{i}`` names.

    ~35 bytes a name: 1M names is ~35 MB of text; knot loads that in seconds.
    """
    head = [
        f"$ORIGIN {zone}.",
        f"$TTL {TTL}",
        f"@ IN SOA {SOA_MNAME}. {SOA_RNAME}. {SOA_SERIAL} 3600 600 86400 {SOA_MINIMUM}",
        f"@ IN NS {NS_NAMES[0]}.",
    ]
    body = [f"h{i} IN A {bulk_address(i)}" for i in range(count)]
    body += [f'nodata{k} IN TXT "nodata"' for k in range(BULK_NODATA_COUNT)]
    return "\n".join(head + body) + "\n"


def bulk_query_names(
    count: int, *, nx_every: int = 0, nodata_every: int = 0, zone: str = BULK_ZONE
) -> list[str]:
    """*count* query names for a benchmark: ``h0..h{count-1}`` except that
    every *nx_every*-th is an NXDOMAIN name and every *nodata_every*-th a NODATA
    name (0 = none).  Position ``j`` is replaced when ``(j + 1) % every == 0``."""
    names = []
    for j in range(count):
        if nx_every and (j + 1) % nx_every == 0:
            names.append(bulk_nx_name(j, zone))
        elif nodata_every and (j + 1) % nodata_every == 0:
            names.append(bulk_nodata_name(j % BULK_NODATA_COUNT, zone))
        else:
            names.append(bulk_name(j, zone))
    return names


def all_zones(bulk_count: int = BULK_DEFAULT_COUNT) -> dict[str, str]:
    """Zone name -> master file text, for every zone the test server serves."""
    return {
        ZONE: zone_text(),
        REVERSE_V4_ZONE: reverse_v4_text(),
        REVERSE_V6_ZONE: reverse_v6_text(),
        BULK_ZONE: bulk_zone_text(bulk_count),
    }
