"""Every c-ares lookup ends (issue 11), whatever the input or the server sends.

A small hostile server on loopback (dnspython builds its replies) answers each
name in its own way; the c-ares backend must end every lookup with a result or
a typed error.  ``asyncio.wait_for(..., GUARD)`` only turns a hang into a test
failure; no assertion is about speed.

Also here: IP literals that pycares 5.2.1 stranded (its own callback raised on
a NULL canonical name), hosts-file lines without aliases, the last-resort
deadline, and lookups in flight at ``close()`` (``ResolverClosed`` on c-ares
and wire alike).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar, cast

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from aioresolve import NoData, NXDomain, ResolveError, Resolver, ResolverClosed, Timeout
from aioresolve._backends.cares import CaresBackend
from aioresolve._backends.wire import WireBackend

T = TypeVar("T")
GUARD = 20.0  # seconds: far beyond every deadline below; only a hang reaches it
ZONE = "hostile.test"


class HostileServer(asyncio.DatagramProtocol):
    """UDP on 127.0.0.1: each name under :data:`ZONE` misbehaves its own way."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received += 1
        try:
            query = dns.message.from_wire(data)
        except Exception:
            return
        qname = query.question[0].name.to_text(omit_final_dot=True).lower()
        label = qname.split(".")[0]
        reply = self._reply(query, label, qname)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def _reply(self, query: dns.message.Message, label: str, qname: str) -> bytes | None:
        response = dns.message.make_response(query)
        qtype = query.question[0].rdtype
        name = query.question[0].name
        if label == "silent":
            return None
        if label == "garbage":
            return query.to_wire()[:2] + b"\x81\x80\xff\xff\xff"
        if label == "https":
            response.answer.append(dns.rrset.from_text(
                name, 300, "IN", "HTTPS", "1 . alpn=h2 no-default-alpn"))
        elif label == "chaos":  # an answer of class CH for an IN question
            response.answer.append(dns.rrset.from_text(name, 300, "CH", "A", "192.0.2.9"))
        elif label == "nosoa":  # NXDOMAIN without an SOA: not cacheable
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif label == "wrongid":
            response.id = (query.id + 1) & 0xFFFF
        elif qtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "192.0.2.7"))
        return response.to_wire()


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[HostileServer, str]]:
    loop = asyncio.get_running_loop()
    transport, server = await loop.create_datagram_endpoint(
        HostileServer, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        yield server, f"127.0.0.1:{port}"
    finally:
        transport.close()


async def ends(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, GUARD)


def cares(server: str, **options: Any) -> CaresBackend:
    options.setdefault("tries", 1)
    options.setdefault("try_timeout", 0.3)
    return CaresBackend(nameservers=[server], hosts_file=False, domains=[], **options)


def outcome(func: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("ok", func(*args))
    except OSError as exc:
        return ("raised", type(exc), exc.args)


async def aoutcome(awaitable: Awaitable[Any]) -> tuple[Any, ...]:
    try:
        return ("ok", await ends(awaitable))
    except OSError as exc:
        return ("raised", type(exc), exc.args)


# IP literals: no DNS at all, libc's own answer (these hung on pycares 5.2.1).
LITERAL_CASES = [
    ("127.0.0.1", "http", 0, 0, 0, 0),
    ("::1", "https", 0, 0, 0, 0),
    ("127.0.0.1", 80, socket.AF_INET6, 0, 0, 0),
    ("::1", 80, socket.AF_INET, 0, 0, 0),
    ("127.0.0.1", "http", 0, socket.SOCK_STREAM, 0, socket.AI_CANONNAME),
    ("127.0.0.1", 80, socket.AF_INET6, 0, 0, socket.AI_V4MAPPED),
]


@pytest.mark.parametrize("backend", ["cares", "wire"])
@pytest.mark.parametrize("args", LITERAL_CASES, ids=[repr(a[:3]) for a in LITERAL_CASES])
async def test_literals_end_as_libc_says(
    backend: str, args: tuple[Any, ...], hostile: tuple[HostileServer, str]
) -> None:
    server, address = hostile
    expected = outcome(socket.getaddrinfo, *args)  # a literal: libc makes no lookup
    async with Resolver(backend, nameservers=[address], cache=False) as resolver:
        assert await aoutcome(resolver.getaddrinfo(*args)) == expected
        host, *rest = args
        direct = resolver.backend.getaddrinfo(host.encode(), *rest)
        assert await aoutcome(direct) == expected
    assert server.received == 0, "no query for a literal"


async def test_hosts_line_without_alias(
    libc_dns: Any, hostile: tuple[HostileServer, str]
) -> None:
    """A hosts-file line without aliases (a NULL CNAME name in pycares' parser):
    the rig's hosts file (this process is in its mount namespace) lists
    ``127.0.1.1 <hostname>`` with no alias, as Debian's does."""
    server, address = hostile
    hostname = socket.gethostname()
    expected = outcome(socket.getaddrinfo, hostname, 80, socket.AF_INET, socket.SOCK_STREAM)
    backend = CaresBackend(nameservers=[address], hosts_file=True, domains=[])
    try:
        infos = await ends(backend.getaddrinfo(hostname.encode(), 80, socket.AF_INET,
                                               socket.SOCK_STREAM, 0, 0))
        assert ("ok", infos) == expected
        assert [info[4] for info in infos] == [("127.0.1.1", 80)]
        infos = await ends(backend.getaddrinfo(hostname.encode(), None, 0,
                                               socket.SOCK_STREAM, 0, socket.AI_CANONNAME))
        assert infos[0][4][0] == "127.0.1.1"
        entry = await ends(backend.gethostbyname_ex(hostname.encode()))
        assert entry == outcome(socket.gethostbyname_ex, hostname)[1]
    finally:
        await backend.aclose()
    assert server.received == 0, "answered from the hosts file"


async def test_https_record_is_a_typed_result(hostile: tuple[HostileServer, str]) -> None:
    """``HTTPS 1 . alpn=h2 no-default-alpn``: an answer or a ResolveError, never AttributeError."""
    _, address = hostile
    backend = cares(address)
    try:
        try:
            answer = await ends(backend.query(f"https.{ZONE}", "HTTPS"))
        except ResolveError as exc:
            assert type(exc) is ResolveError and "cannot be read" in str(exc)
        else:
            assert len(answer.records) == 1
    finally:
        await backend.aclose()


@pytest.mark.parametrize("label", ["silent", "garbage", "chaos", "wrongid", "nosoa"])
async def test_every_lookup_ends(label: str, hostile: tuple[HostileServer, str]) -> None:
    _, address = hostile
    name = f"{label}.{ZONE}"
    backend = cares(address)
    try:
        try:
            await ends(backend.query(name, "A"))
        except ResolveError as exc:
            if label == "nosoa":
                assert isinstance(exc, NXDomain) and exc.negative_ttl is None
        with pytest.raises(socket.gaierror):
            await ends(backend.getaddrinfo(name.encode(), 80, socket.AF_INET, 0, 0, 0))
    finally:
        await backend.aclose()


async def test_chaos_class_answer_is_not_an_address(hostile: tuple[HostileServer, str]) -> None:
    _, address = hostile
    backend = cares(address)
    try:
        with pytest.raises((NoData, Timeout)):  # c-ares 1.34 drops the reply: a timeout
            await ends(backend.query(f"chaos.{ZONE}", "A"))
        with pytest.raises(socket.gaierror):
            await ends(backend.getaddrinfo(f"chaos.{ZONE}".encode(), 80, socket.AF_INET,
                                           0, 0, 0))
    finally:
        await backend.aclose()


async def test_last_resort_deadline(hostile: tuple[HostileServer, str]) -> None:
    """Should c-ares never call back, the lookup still ends at ``deadline``."""
    _, address = hostile
    backend = cares(address, tries=5, try_timeout=10.0, deadline=0.2)
    try:
        with pytest.raises(Timeout):
            await ends(backend.query(f"silent.{ZONE}", "A"))
        with pytest.raises(socket.gaierror) as info:
            await ends(backend.getaddrinfo(f"silent.{ZONE}".encode(), 80, 0, 0, 0, 0))
        assert info.value.errno == socket.EAI_AGAIN
    finally:
        await backend.aclose()
    with pytest.raises(ValueError):
        CaresBackend(nameservers=[address], deadline=0)


@pytest.mark.parametrize("backend_name", ["cares", "wire"])
async def test_close_fails_lookups_in_flight_with_resolver_closed(
    backend_name: str, hostile: tuple[HostileServer, str]
) -> None:
    _, address = hostile
    name = f"silent.{ZONE}"
    backend: CaresBackend | WireBackend = (
        cares(address, try_timeout=10.0) if backend_name == "cares"
        else WireBackend(nameservers=[address], timeout=10.0))
    lookups = [
        asyncio.ensure_future(backend.getaddrinfo(name.encode(), 80, 0, 0, 0, 0)),
        asyncio.ensure_future(backend.gethostbyname_ex(name.encode())),
        asyncio.ensure_future(backend.query(name, "A")),
    ]
    await asyncio.sleep(0.05)  # let every query leave
    assert not any(task.done() for task in lookups)
    await backend.aclose()
    for task in lookups:
        with pytest.raises(ResolverClosed):
            await ends(task)
    with pytest.raises(ResolverClosed):
        await backend.query(name, "A")
