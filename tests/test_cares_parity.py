"""Differential test: the same socket-style calls through backend="system"
(glibc, inside a private mount namespace that points it at the test server)
and backend="cares" (explicit nameserver = that server) must give the same
results, or the same exception class, errno and message.

Both run in this pytest process, which the rig (tests/conftest.py) moved into a
private mount namespace: libc asks the rig's ``libc_dns`` server and reads the
rig's hosts file, and c-ares is given the same server and reads the same file.
Differences that cannot be removed are marked ``xfail`` with the reason; the
page docs/backends.md ("Parity with glibc") lists them.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from aioresolve import Resolver
from tests.rig import zone as z

S, D = socket.SOCK_STREAM, socket.SOCK_DGRAM
F4, F6 = socket.AF_INET, socket.AF_INET6

#: (method, args) run through both backends.
CASES: list[tuple[str, tuple[Any, ...]]] = [
    *[("getaddrinfo", (name, 80)) for name in (
        z.A_NAME, z.AAAA_NAME, z.DUAL_NAME, z.MULTI_NAME, z.CNAME_NAME, z.IDN_NAME,
        z.NODATA_NAME, z.NX_NAME, z.CNAME_DANGLING_NAME, z.CNAME_LOOP_NAME, z.OUT_OF_ZONE_NAME,
        z.NX_NAMES[2],
    )],
    ("getaddrinfo", (z.IDN_ULABEL, 443)),
    ("getaddrinfo", (z.DUAL_NAME, "http")),
    ("getaddrinfo", (z.DUAL_NAME, "domain", 0, D)),
    ("getaddrinfo", (z.DUAL_NAME, "https", F4, S)),
    ("getaddrinfo", (z.DUAL_NAME, "no-such-service")),
    ("getaddrinfo", (z.NX_NAME, "no-such-service")),
    ("getaddrinfo", (z.DUAL_NAME, None, F4)),
    ("getaddrinfo", (z.DUAL_NAME, None, F6)),
    ("getaddrinfo", (z.A_NAME, None, F6)),
    ("getaddrinfo", (z.AAAA_NAME, None, F4)),
    ("getaddrinfo", (z.A_NAME, None, F6, 0, 0, socket.AI_V4MAPPED)),
    ("getaddrinfo", (z.DUAL_NAME, None, F6, S, 0, socket.AI_V4MAPPED)),
    ("getaddrinfo", (z.DUAL_NAME, None, F6, S, 0, socket.AI_V4MAPPED | socket.AI_ALL)),
    ("getaddrinfo", (z.CNAME_NAME, 80, 0, S, 0, socket.AI_CANONNAME)),
    ("getaddrinfo", (z.A_NAME, 80, 0, S, 0, socket.AI_CANONNAME)),
    ("getaddrinfo", (z.MULTI_NAME, 80, F4, S, socket.IPPROTO_TCP)),
    ("getaddrinfo", (z.A_NAME, 80, 0, socket.SOCK_RAW)),
    ("getaddrinfo", (z.A_NAME, 80, 0, S, socket.IPPROTO_UDP)),
    ("getaddrinfo", (z.A_NAME, 80, socket.AF_UNIX)),
    ("getaddrinfo", (None, "http", 0, S, 0, socket.AI_PASSIVE)),
    ("getaddrinfo", (None, "http", F6, S)),
    *[("gethostbyname", (name,)) for name in (
        z.A_NAME, z.MULTI_NAME, z.CNAME_NAME, z.AAAA_NAME, z.NX_NAME, z.NODATA_NAME)],
    *[("gethostbyname_ex", (name,)) for name in (
        z.A_NAME, z.MULTI_NAME, z.CNAME_NAME, z.AAAA_NAME, z.NX_NAME, z.NODATA_NAME,
        z.CNAME_LOOP_NAME, z.OUT_OF_ZONE_NAME)],
    *[("gethostbyaddr", (addr,)) for addr in (
        z.A_ADDR, z.DUAL_V6, z.CNAME_TARGET_V4, z.NO_PTR_V4, z.NO_PTR_V6, "198.51.100.7",
        z.A_NAME, z.NX_NAME)],
    ("getnameinfo", ((z.A_ADDR, 80), 0)),
    ("getnameinfo", ((z.A_ADDR, 53), socket.NI_DGRAM)),
    ("getnameinfo", ((z.AAAA_ADDR, 443, 0, 0), 0)),
    ("getnameinfo", ((z.NO_PTR_V4, 80), 0)),
    ("getnameinfo", ((z.NO_PTR_V4, 80), socket.NI_NAMEREQD)),
    ("getnameinfo", (("198.51.100.7", 80), 0)),
    ("getnameinfo", ((z.A_ADDR, 80), socket.NI_NUMERICSERV)),
    ("getnameinfo", ((z.A_ADDR, 80), socket.NI_NUMERICHOST)),
    ("getfqdn", (z.A_NAME,)),
    ("getfqdn", (z.NX_NAME,)),
    ("getfqdn", (z.DUAL_V6,)),
    # The hosts file (glibc: "hosts: files dns"; c-ares: hosts_file=True)
    ("getaddrinfo", (z.HOSTS_NAME, 80, 0, S)),
    ("getaddrinfo", (z.HOSTS_ALIASES[0], 80, 0, S, 0, socket.AI_CANONNAME)),
    ("getaddrinfo", ("localhost", 80, 0, S)),
    ("gethostbyname_ex", (z.HOSTS_NAME,)),
    ("gethostbyname_ex", (z.HOSTS_ALIASES[1],)),
    ("gethostbyaddr", (z.HOSTS_ADDR,)),
    ("getnameinfo", ((z.HOSTS_ADDR, 80), socket.NI_NAMEREQD)),
    # Fault names behind the rig's dnsdist
    ("getaddrinfo", (z.SERVFAIL_NAME, 80)),
    ("getaddrinfo", (z.REFUSED_NAME, 80)),
    ("gethostbyname_ex", (z.SERVFAIL_NAME,)),
    ("getaddrinfo", (z.TC_NAME, 80, F4, S)),
    ("getaddrinfo", (f"gai.{z.DROP_NAME}", 80, F4, S)),  # never answered: a timeout
    ("gethostbyaddr", (f"gha.{z.DROP_NAME}",)),
    ("getaddrinfo", (z.BIG_NAME, 80, F4, S)),
]

#: Differences that cannot be removed: case -> reason (also in docs/backends.md).
#: (The CNAME loop of AF_UNSPEC used to be one: the backend now asks the SOA of a
#: name without addresses, which shows the loop; see tests/test_cares_differential.py.)
KNOWN: dict[tuple[str, tuple[Any, ...]], str] = {}

async def _outcome(r: Resolver, method: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        return ("ok", await getattr(r, method)(*args))
    except Exception as e:  # the exception *is* the result compared
        return ("err", type(e).__name__, e.args)


async def _outcomes(r: Resolver) -> list[tuple[Any, ...]]:
    return [await _outcome(r, method, args) for method, args in CASES]


@pytest.fixture(scope="module")
def system_outcomes(libc_dns: Any) -> list[tuple[Any, ...]]:
    """Every case through glibc (this process is in the rig's mount namespace)."""

    async def run() -> list[tuple[Any, ...]]:
        async with Resolver("system", cache=False) as r:
            return await _outcomes(r)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def cares_outcomes(libc_dns: Any) -> list[tuple[Any, ...]]:
    """Every case through c-ares, asking the server libc asks, reading the same
    hosts file, with the retries of the rig's resolv.conf (timeout:1 attempts:2)."""

    async def run() -> list[tuple[Any, ...]]:
        async with Resolver("cares", nameservers=[libc_dns.address], hosts_file=True,
                            domains=[], tries=2, try_timeout=1.0, cache=False) as r:
            return await _outcomes(r)

    return asyncio.run(run())


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{m}{a!r}" for m, a in CASES])
def test_same_as_system(
    index: int, system_outcomes: list[tuple[Any, ...]], cares_outcomes: list[tuple[Any, ...]]
) -> None:
    case = CASES[index]
    if case in KNOWN and system_outcomes[index] != cares_outcomes[index]:
        pytest.xfail(KNOWN[case])
    assert cares_outcomes[index] == system_outcomes[index]
