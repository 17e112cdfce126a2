"""Differential test (issue 13 item 7): glibc and c-ares on the same inputs,
the same server and the same hosts file.

Every case runs through ``Resolver("system")`` (glibc, inside the rig's mount
namespace: it asks the rig's ``libc_dns`` server and reads the rig's hosts
file) and ``Resolver("cares")`` (given that server, reading that hosts file,
no search list).  The outcomes - the result, or the exception's class, errno
and message - must be equal.  :data:`KNOWN` lists the differences that cannot
be removed, each with its reason; such a case xfails while it differs (and
passes once it no longer does).  ``docs/backends.md`` lists them too.

The cases are those of ``tests/test_cares_parity.py`` plus the edges where the
two used to differ: ``AI_NUMERICHOST`` with a name, IPv6 literals in
``gethostbyname*``, trailing dots, ``localhost``, empty names, CNAME loops,
hosts-file lines without aliases, literals with service names, case.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from aioresolve import Resolver
from tests.rig import zone as z
from tests.test_cares_parity import CASES as PARITY_CASES

S, D = socket.SOCK_STREAM, socket.SOCK_DGRAM
F4, F6 = socket.AF_INET, socket.AF_INET6
NUM = socket.AI_NUMERICHOST
CANON = socket.AI_CANONNAME
HOSTNAME = socket.gethostname()  # "127.0.1.1 <hostname>" in the rig's hosts file: no alias

EXTRA_CASES: list[tuple[str, tuple[Any, ...]]] = [
    # AI_NUMERICHOST with a name: no lookup, EAI_NONAME
    ("getaddrinfo", (z.A_NAME, 80, 0, S, 0, NUM)),
    ("getaddrinfo", (z.NX_NAME, 80, F4, S, 0, NUM)),
    ("getaddrinfo", (z.HOSTS_NAME, 80, 0, S, 0, NUM)),
    # IPv6 literals where only IPv4 can be: EAI_ADDRFAMILY
    ("gethostbyname", ("::1",)),
    ("gethostbyname", (z.AAAA_ADDR,)),
    ("gethostbyname_ex", ("::1",)),
    ("gethostbyname_ex", (z.AAAA_ADDR,)),
    # literals with a service name, or of the other family (these hung on pycares 5.2.1)
    ("getaddrinfo", ("127.0.0.1", "http")),
    ("getaddrinfo", ("::1", "https")),
    ("getaddrinfo", ("127.0.0.1", 80, F6)),
    ("getaddrinfo", ("::1", 80, F4)),
    ("getaddrinfo", ("127.0.0.1", 80, F6, S, 0, socket.AI_V4MAPPED)),
    ("getaddrinfo", (z.A_ADDR, "domain", 0, D)),
    ("getaddrinfo", (z.AAAA_ADDR, "http", 0, S, 0, CANON)),
    # trailing dots
    ("gethostbyname_ex", (z.A_NAME + ".",)),
    ("gethostbyname_ex", (z.CNAME_NAME + ".",)),
    ("gethostbyname", (z.A_NAME + ".",)),
    ("getaddrinfo", (z.A_NAME + ".", 80, F4, S)),
    ("getaddrinfo", (z.CNAME_NAME + ".", 80, F4, S, 0, CANON)),
    # localhost (the rig's hosts file: "127.0.0.1 localhost", "::1 localhost ip6-localhost ...")
    ("getaddrinfo", ("localhost", 80, F4, S)),
    ("getaddrinfo", ("localhost", 80, F6, S)),
    ("getaddrinfo", ("localhost", None, 0, S, 0, CANON)),
    ("gethostbyname", ("localhost",)),
    ("gethostbyname_ex", ("localhost",)),
    ("getaddrinfo", ("ip6-localhost", 80, 0, S)),
    ("gethostbyaddr", ("127.0.0.1",)),
    ("gethostbyaddr", ("::1",)),
    ("getnameinfo", (("127.0.0.1", 80), 0)),
    ("getnameinfo", (("::1", 80, 0, 0), 0)),
    # empty names
    ("getaddrinfo", ("", 80)),
    ("getaddrinfo", ("", 80, F4, S)),
    ("gethostbyname_ex", ("",)),
    # CNAME loops and dangling CNAMEs, per family
    ("getaddrinfo", (z.CNAME_LOOP_NAME, 80, F4, S)),
    ("getaddrinfo", (z.CNAME_LOOP_NAME, 80, F6, S)),
    ("getaddrinfo", (z.CNAME_LOOP_NAME, 80, 0, S)),
    ("gethostbyname", (z.CNAME_LOOP_NAME,)),
    ("getaddrinfo", (z.CNAME_DANGLING_NAME, 80, F4, S)),
    ("gethostbyname_ex", (z.CNAME_DANGLING_NAME,)),
    # a hosts-file line without aliases
    ("getaddrinfo", (HOSTNAME, 80, F4, S)),
    ("getaddrinfo", (HOSTNAME, None, 0, S, 0, CANON)),
    ("gethostbyname_ex", (HOSTNAME,)),
    ("gethostbyaddr", ("127.0.1.1",)),
    # hosts-file aliases
    ("getaddrinfo", (z.HOSTS_ALIASES[1], 80, F6, S)),
    ("gethostbyname", (z.HOSTS_ALIASES[0],)),
    ("gethostbyname_ex", (z.HOSTS_ALIASES[0],)),
    ("getnameinfo", ((z.HOSTS_ADDR, 80), 0)),
    ("gethostbyaddr", ("2001:db8::100",)),
    # case and IDN
    ("getaddrinfo", (z.A_NAME.upper(), 80, F4, S)),
    ("gethostbyname_ex", (z.DUAL_NAME.upper(),)),
    ("gethostbyname", (z.IDN_ULABEL,)),
    ("gethostbyname_ex", (z.IDN_ULABEL,)),
    # families, types and flags over DNS names
    ("getaddrinfo", (z.NX_NAME, 80, F4, S)),
    ("getaddrinfo", (z.NX_NAME, 80, F6, S)),
    ("getaddrinfo", (z.NODATA_NAME, 80, F6, S)),
    ("getaddrinfo", (z.NODATA_NAME, 80, F4, S)),
    ("getaddrinfo", (z.MULTI_NAME, 80, 0, D)),
    ("getaddrinfo", (z.MULTI_NAME, "http", F6, S)),
    ("getaddrinfo", (z.DUAL_NAME, 80, 0, S, 0, CANON)),
    ("getaddrinfo", (z.DUAL_NAME, 80, 0, S, 0, socket.AI_ADDRCONFIG)),
    ("getaddrinfo", (z.AAAA_NAME, 80, F6, S, 0, socket.AI_V4MAPPED)),
    ("getaddrinfo", (z.AAAA_NAME, 80, F4, S, 0, socket.AI_V4MAPPED)),
    ("getaddrinfo", (z.CNAME_NAME, 80, F6, S, 0, CANON)),
    ("getaddrinfo", (z.OUT_OF_ZONE_NAME, 80, F4, S)),
    ("gethostbyname", (z.DUAL_NAME,)),
    ("gethostbyname", (z.OUT_OF_ZONE_NAME,)),
    ("gethostbyname_ex", (z.DUAL_NAME,)),
    ("gethostbyname_ex", (z.NX_NAMES[2],)),
    ("gethostbyaddr", (z.CNAME_TARGET_V6,)),
    ("gethostbyaddr", (z.DUAL_NAME,)),
    ("getnameinfo", ((z.DUAL_V6, 80, 0, 0), socket.NI_NAMEREQD)),
    ("getnameinfo", ((z.NO_PTR_V6, 80, 0, 0), 0)),
    ("getnameinfo", ((z.A_ADDR, 80), socket.NI_NOFQDN)),
    # faults
    ("gethostbyname", (z.SERVFAIL_NAME,)),
    ("getaddrinfo", (z.REFUSED_NAME, 80, F6, S)),
    ("getaddrinfo", (z.TC_NAME, 80, 0, S)),
]

CASES = [*PARITY_CASES, *EXTRA_CASES]

#: Differences that cannot be removed: case -> reason.
_LOOPBACK_MAPPING = (
    "glibc's files module turns a '::1' hosts line into 127.0.0.1 for IPv4 lookups, so it "
    "lists 127.0.0.1 once per line ('127.0.0.1 localhost' and '::1 localhost ...'); c-ares "
    "reads each line as written. Mimicking it would mean parsing the hosts file beside c-ares")
KNOWN: dict[tuple[str, tuple[Any, ...]], str] = {
    ("getaddrinfo", ("localhost", 80, F4, S)): _LOOPBACK_MAPPING,
    ("gethostbyname_ex", ("localhost",)): _LOOPBACK_MAPPING,
    ("getaddrinfo", ("ip6-localhost", 80, 0, S)): _LOOPBACK_MAPPING,
}


async def _outcome(r: Resolver, method: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        return ("ok", await getattr(r, method)(*args))
    except Exception as e:  # the exception *is* the result compared
        return ("err", type(e).__name__, e.args)


async def _outcomes(r: Resolver) -> list[tuple[Any, ...]]:
    return [await _outcome(r, method, args) for method, args in CASES]


@pytest.fixture(scope="module")
def system_outcomes(libc_dns: Any) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        async with Resolver("system", cache=False) as r:
            return await _outcomes(r)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def cares_outcomes(libc_dns: Any) -> list[tuple[Any, ...]]:
    """c-ares asks the server libc asks, reads the same hosts file, with the
    retries of the rig's resolv.conf (timeout:1 attempts:2), no search list."""

    async def run() -> list[tuple[Any, ...]]:
        async with Resolver("cares", nameservers=[libc_dns.address], hosts_file=True,
                            domains=[], tries=2, try_timeout=1.0, cache=False) as r:
            return await _outcomes(r)

    return asyncio.run(run())


def _id(method: str, args: tuple[Any, ...]) -> str:
    return f"{method}{args!r}"


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_id(*c) for c in CASES])
def test_cares_as_glibc(
    index: int, system_outcomes: list[tuple[Any, ...]], cares_outcomes: list[tuple[Any, ...]]
) -> None:
    case = CASES[index]
    if case in KNOWN and system_outcomes[index] != cares_outcomes[index]:
        pytest.xfail(KNOWN[case])
    assert cares_outcomes[index] == system_outcomes[index]


def test_breadth() -> None:
    """As broad as the system backend's differential test (143 calls in the issue)."""
    assert len(CASES) >= 143
