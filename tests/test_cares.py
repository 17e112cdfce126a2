"""The c-ares backend against the rig's knotd (and dnsdist for faults): record
queries, errors, options, loop integration (cancellation, close, concurrency,
no leaked fds or handles).

Parity with the system backend is in tests/test_cares_parity.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import aioresolve
from aioresolve import Resolver
from aioresolve._backends.cares import CaresBackend
from aioresolve._errors import (
    BackendUnavailable,
    ConnectionRefused,
    IllegalName,
    NoData,
    NXDomain,
    Refused,
    ResolverClosed,
    ServFail,
    Timeout,
)
from aioresolve._records import (
    AAAA,
    CAA,
    CNAME,
    HTTPS,
    MX,
    NAPTR,
    NS,
    PTR,
    SOA,
    SRV,
    TLSA,
    TXT,
    URI,
    A,
)
from tests.rig import zone as z

pytest.importorskip("pycares")


@pytest.fixture
async def resolver(knot: Any) -> AsyncIterator[Resolver]:
    async with Resolver("cares", nameservers=[knot.address], hosts_file=False, domains=[],
                        cache=False, timeout=30) as r:
        yield r


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A UDP port that receives but never answers (and no TCP listener)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def _driver_state(r: Resolver) -> tuple[int, int, int]:
    """(readers, writers, pending) the backend's loop driver holds."""
    backend = r.backend
    assert isinstance(backend, CaresBackend)
    d = backend._driver
    if d is None:
        return (0, 0, 0)
    return (len(d.readers), len(d.writers), len(d.pending))


def _loop_readers() -> int:
    loop: Any = asyncio.get_running_loop()
    return len(loop._selector.get_map())  # the selector counts every watched fd


# -- record queries ---------------------------------------------------------------


async def test_every_record_type(resolver: Resolver) -> None:
    cases: list[tuple[str, str, set[Any]]] = [
        (z.A_NAME, "A", {A(z.TTL, z.A_ADDR)}),
        (z.AAAA_NAME, "AAAA", {AAAA(z.TTL, z.AAAA_ADDR)}),
        (z.CNAME_NAME, "CNAME", {CNAME(z.TTL, z.CNAME_CHAIN[1])}),
        (z.MX_NAME, "MX", {MX(z.TTL, p, x) for p, x in z.MX_RECORDS}),
        (z.ZONE, "NS", {NS(z.TTL, n) for n in z.NS_NAMES}),
        (z.reverse_name(z.A_ADDR), "PTR", {PTR(z.TTL, z.A_NAME)}),
        (z.ZONE, "SOA", {SOA(z.TTL, z.SOA_MNAME, z.SOA_RNAME, z.SOA_SERIAL, 3600, 600, 86400,
                             z.SOA_MINIMUM)}),
        (z.SRV_NAME, "SRV", {SRV(z.TTL, *r) for r in z.SRV_RECORDS}),
        (z.TXT_MULTI_NAME, "TXT", {TXT(z.TTL, (s[0].encode(),)) for s in z.TXT_MULTI}),
        (z.CAA_NAME, "CAA", {CAA(z.TTL, f, t, v.encode()) for f, t, v in z.CAA_RECORDS}),
        (z.NAPTR_NAME, "NAPTR", {
            NAPTR(z.TTL, o, p, f.encode(), s.encode(), r.encode(), rep)
            for o, p, f, s, r, rep in z.NAPTR_RECORDS}),
        (z.TLSA_NAME, "TLSA", {TLSA(z.TTL, u, s, m, bytes.fromhex(d))
                               for u, s, m, d in z.TLSA_RECORDS}),
        (z.URI_NAME, "URI", {URI(z.TTL, *r) for r in z.URI_RECORDS}),
    ]
    for name, rtype, expected in cases:
        answer = await resolver.query(name, rtype)
        assert set(answer.records) == expected, rtype
        assert answer.rtype == rtype and answer.name == name and answer.ttl == z.TTL
        assert answer.canonical_name == name
        assert answer.server == resolver.backend.nameservers[0]


async def test_https_params(resolver: Resolver) -> None:
    answer = await resolver.query(z.HTTPS_NAME, "HTTPS")
    by_priority = {r.priority: r for r in answer.records if isinstance(r, HTTPS)}
    assert by_priority[1].target == "."
    assert by_priority[1].params == {"alpn": "h2,h3", "ipv4hint": "192.0.2.1",
                                     "ipv6hint": "2001:db8::1"}
    assert by_priority[2].target == f"alt.{z.ZONE}"
    assert by_priority[2].params == {"port": "8443"}


async def test_txt_strings_are_joined(resolver: Resolver) -> None:
    # Documented difference: pycares 5 joins a record's character-strings.
    answer = await resolver.query(z.TXT_NAME, "TXT")
    assert [r.strings for r in answer.records] == [("".join(z.TXT_STRINGS).encode(),)]


async def test_svcb_is_unavailable(resolver: Resolver) -> None:
    with pytest.raises(BackendUnavailable, match="SVCB"):
        await resolver.query(z.SVCB_NAME, "SVCB")


async def test_cname_chain_is_followed(resolver: Resolver) -> None:
    answer = await resolver.query(z.CNAME_NAME, "AAAA")
    assert answer.records == (AAAA(z.TTL, z.CNAME_TARGET_V6),)
    assert answer.canonical_name == z.CNAME_TARGET


async def test_reverse(resolver: Resolver) -> None:
    answer = await resolver.reverse(z.AAAA_ADDR)
    assert answer.records == (PTR(z.TTL, z.AAAA_NAME),)
    backend = resolver.backend
    assert isinstance(backend, CaresBackend)
    assert (await backend.reverse(z.A_ADDR)).records == (PTR(z.TTL, z.A_NAME),)
    with pytest.raises(IllegalName):
        await backend.reverse("not-an-address")


# -- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "rtype", "error"), [
    (z.NX_NAME, "A", NXDomain),
    (z.CNAME_DANGLING_NAME, "A", NXDomain),
    (z.NODATA_NAME, "A", NoData),
    (z.A_NAME, "MX", NoData),
    (z.CNAME_LOOP_NAME, "A", NoData),
    (z.OUT_OF_ZONE_NAME, "A", Refused),
    ("a" * 64 + "." + z.ZONE, "A", IllegalName),
])
async def test_errors(resolver: Resolver, name: str, rtype: str, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        await resolver.query(name, rtype)
    assert info.value.host == name  # type: ignore[attr-defined]
    if error is not IllegalName:  # the facade rejects those before any backend
        assert info.value.rtype == rtype and info.value.backend == "cares"  # type: ignore[attr-defined]


async def test_backend_rejects_illegal_names(resolver: Resolver) -> None:
    with pytest.raises(IllegalName) as info:
        await resolver.backend.query("a" * 64 + "." + z.ZONE, "A")
    assert info.value.backend == "cares"


async def test_servfail(request: pytest.FixtureRequest) -> None:
    try:
        dnsdist = request.getfixturevalue("dnsdist")
    except (Exception, pytest.fail.Exception) as exc:  # absent or unusable here: say why
        pytest.skip(f"needs the rig's dnsdist fixture (fault injection): {exc}"[:200])
    async with Resolver("cares", nameservers=[dnsdist.address], hosts_file=False, domains=[],
                        tries=1, cache=False) as r:
        with pytest.raises(ServFail):
            await r.query(z.SERVFAIL_NAME, "A")
        with pytest.raises(Refused):
            await r.query(z.REFUSED_NAME, "A")
        with pytest.raises(socket.gaierror) as info:
            await r.getaddrinfo(z.SERVFAIL_NAME, 80)
        assert info.value.errno == socket.EAI_AGAIN


async def test_cares_timeout(silent_server: str) -> None:
    async with Resolver("cares", nameservers=[silent_server], tries=1, try_timeout=0.2,
                        hosts_file=False, domains=[], cache=False) as r:
        with pytest.raises(Timeout):
            await r.query(z.A_NAME, "A")
        with pytest.raises(socket.gaierror) as info:
            await r.getaddrinfo(z.A_NAME, 80)
        assert info.value.args == (socket.EAI_AGAIN, "Temporary failure in name resolution")


async def test_per_call_timeout(silent_server: str) -> None:
    async with Resolver("cares", nameservers=[silent_server], tries=5, try_timeout=5,
                        hosts_file=False, domains=[], cache=False) as r:
        with pytest.raises(Timeout) as info:
            await r.query(z.A_NAME, "A", timeout=0.2)
        assert info.value.timeout == 0.2
        # The dropped query is still in c-ares; the next one is unaffected.
        with pytest.raises(Timeout):
            await r.getaddrinfo(z.A_NAME, 80, timeout=0.2)


async def test_connection_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is closed now: ICMP port unreachable.
    async with Resolver("cares", nameservers=[f"127.0.0.1:{port}"], tries=1, try_timeout=2,
                        hosts_file=False, domains=[], cache=False) as r:
        with pytest.raises((ConnectionRefused, Timeout)) as info:
            await r.query(z.A_NAME, "A", timeout=20)
        if isinstance(info.value, Timeout):
            pytest.xfail("c-ares reported the refused port as a timeout")


# -- options ------------------------------------------------------------------------


@pytest.mark.parametrize("servers", [["localhost"], ["127.0.0.1:0"], ["[::1"], "127.0.0.1"])
def test_bad_nameservers(servers: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        CaresBackend(nameservers=servers)


def test_nameserver_forms() -> None:
    backend = CaresBackend(nameservers=["127.0.0.1", "127.0.0.2:5353", "[::1]:53", "::1"])
    assert backend.nameservers == ["127.0.0.1", "127.0.0.2:5353", "[::1]:53", "[::1]"]


@pytest.mark.parametrize("options", [{"tries": 0}, {"try_timeout": 0}, {"try_timeout": -1}])
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        CaresBackend(**options)


async def test_tcp_and_options(knot: Any) -> None:
    async with Resolver("cares", nameservers=[knot.address], use_tcp=True, rotate=True,
                        tries=2, try_timeout=3, ndots=1, hosts_file=False, cache=False) as r:
        answer = await r.query(z.BIG_NAME, "A")  # ~1.6 kB: complete only over TCP
        assert sorted(a.address for a in answer.records) == sorted(z.BIG_V4)


async def test_search_domains(knot: Any) -> None:
    async with Resolver("cares", nameservers=[knot.address], domains=[z.ZONE], ndots=5,
                        hosts_file=False, cache=False) as r:
        infos = await r.getaddrinfo("a", 80, socket.AF_INET, socket.SOCK_STREAM)
        assert infos[0][4] == (z.A_ADDR, 80)


async def test_resolvconf_path(knot: Any, tmp_path: Any) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver [{knot.host}]:{knot.port}\nsearch {z.ZONE}\noptions ndots:3\n")
    async with Resolver("cares", resolvconf_path=str(conf), hosts_file=False,
                        cache=False) as r:
        assert r.backend.nameservers == []  # c-ares reads the system configuration
        infos = await r.getaddrinfo("dual", 80, socket.AF_INET, socket.SOCK_STREAM)
        assert infos[0][4] == (z.DUAL_V4, 80)


# -- loop integration -----------------------------------------------------------------


async def test_concurrency_one_channel(resolver: Resolver) -> None:
    names = [z.bulk_name(i) for i in range(50)] * 20  # 1000 queries
    answers = await asyncio.gather(*(resolver.query(n, "A") for n in names))
    assert [a.addresses[0] for a in answers] == [z.bulk_address(i % 50) for i in range(1000)]
    assert _driver_state(resolver)[2] == 0


async def test_cancel_one_leaves_others(silent_server: str, knot: Any) -> None:
    async with Resolver("cares", nameservers=[silent_server], tries=1, try_timeout=0.5,
                        hosts_file=False, domains=[], cache=False) as r:
        before = _loop_readers()
        slow = [asyncio.create_task(r.query(f"n{i}.{z.ZONE}", "A")) for i in range(5)]
        await asyncio.sleep(0.05)
        assert _driver_state(r)[0] >= 1  # c-ares' socket is watched
        slow[0].cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow[0]
        for task in slow[1:]:
            with pytest.raises(Timeout):
                await task  # c-ares' own timeout, not disturbed by the cancellation
        # The cancelled query ran out in c-ares too; nothing is left behind.
        for _ in range(100):
            if _driver_state(r) == (0, 0, 0):
                break
            await asyncio.sleep(0.05)
        assert _driver_state(r)[1:] == (0, 0)
        assert _loop_readers() <= before + _driver_state(r)[0]


async def test_close_fails_in_flight(silent_server: str) -> None:
    r = Resolver("cares", nameservers=[silent_server], tries=3, try_timeout=5, hosts_file=False,
                 domains=[], cache=False)
    before = _loop_readers()
    tasks: list[asyncio.Task[Any]] = [
        asyncio.create_task(r.query(f"c{i}.{z.ZONE}", "A")) for i in range(10)]
    tasks.append(asyncio.create_task(r.getaddrinfo(z.A_NAME, 80)))
    await asyncio.sleep(0.05)
    await r.close()
    for task in tasks:
        with pytest.raises(ResolverClosed):
            await asyncio.wait_for(task, 5)
    assert _loop_readers() == before
    assert _driver_state(r) == (0, 0, 0)
    with pytest.raises(ResolverClosed):
        await r.query(z.A_NAME, "A")


async def test_close_releases_sockets(knot: Any) -> None:
    import os

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = fds()
    for _ in range(5):
        async with Resolver("cares", nameservers=[knot.address], hosts_file=False,
                            cache=False) as r:
            await r.query(z.A_NAME, "A")
    for _ in range(100):  # pycares destroys channels on its shutdown thread
        if fds() <= before:
            break
        await asyncio.sleep(0.05)
    assert fds() <= before


async def test_new_loop_gets_new_channel(knot: Any) -> None:
    backend = CaresBackend(nameservers=[knot.address], hosts_file=False)

    async def one() -> str:
        answer = await backend.query(z.A_NAME, "A")
        return answer.addresses[0]

    def in_new_loop() -> str:
        return asyncio.run(one())

    assert await asyncio.to_thread(in_new_loop) == z.A_ADDR
    assert await one() == z.A_ADDR
    await backend.aclose()


async def test_module_level_functions(knot: Any) -> None:
    aioresolve.set_default_backend("cares", nameservers=[knot.address], hosts_file=False)
    try:
        assert await aioresolve.gethostbyname(z.A_NAME) == z.A_ADDR
        assert (await aioresolve.query(z.MX_NAME, "MX")).rtype == "MX"
    finally:
        await aioresolve.get_default_resolver().close()
        aioresolve.set_default_backend("system")


async def test_c_ares_keeps_no_answer_cache_of_its_own(dnsdist: Any) -> None:
    # c-ares 1.34 caches every answer for its TTL, unbounded, unless told not
    # to; aioresolve turns that off so the Resolver's bounded cache is the only one.
    name = z.MULTI_NAME
    before = dnsdist.queries_for(name)
    async with Resolver("cares", nameservers=[dnsdist.address], cache=False,
                        coalesce=False) as r:
        for _ in range(3):
            await r.query(name, "A")
    assert dnsdist.queries_for(name) - before == 3
