"""A real knotd on loopback for the services tests (cache, coalescing, aiohttp, anyio),
with query counters (the rig's dnsdist), and a small DNS backend built on dnspython.

The backend stands in for any backend that reports TTLs (the c-ares and wire
backends are built in parallel); it talks real DNS over UDP to the knotd here.
Nothing leaves loopback: every query goes to 127.0.0.1:<port>.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any, ClassVar

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype

from aioresolve import Answer, Backend, NoData, NXDomain
from aioresolve._backends.base import NegativeAnswer
from aioresolve._records import record_from_rdata
from tests.rig.servers import DnsdistServer, RigUnavailable, start_dnsdist, start_knot, unavailable

ZONE = "services.test"
ZONE_TEXT = """\
$ORIGIN services.test.
$TTL 300
@ 120 IN SOA ns.services.test. hostmaster.services.test. 1 3600 600 86400 60
@ IN NS ns
ns IN A 127.0.0.1
web IN A 127.0.0.1
a IN A 192.0.2.1
b IN A 192.0.2.4
short 2 IN A 192.0.2.2
zero 0 IN A 192.0.2.3
dual IN A 192.0.2.10
dual IN A 192.0.2.11
dual IN AAAA 2001:db8::10
dual IN AAAA 2001:db8::11
nodata IN TXT "only text"
burst1 IN A 192.0.2.21
burst2 IN A 192.0.2.22
burst3 IN A 192.0.2.23
burst4 IN A 192.0.2.24
burst5 IN A 192.0.2.25
burst6 IN A 192.0.2.26
"""
#: The SOA's TTL is 120 and its MINIMUM 60: negative answers live min(120, 60) s.
NEGATIVE_TTL = 60

class Knot:
    """:data:`ZONE` served by the rig's knotd behind the rig's dnsdist, which
    counts the queries that reach the server."""

    def __init__(self, dnsdist: DnsdistServer) -> None:
        self.host = dnsdist.host
        self.port = dnsdist.port
        self.address = dnsdist.address
        self._dnsdist = dnsdist

    def queries(self) -> int:
        """Queries that have reached the server so far, over UDP and TCP."""
        return self._dnsdist.query_count()


@contextlib.contextmanager
def run_knot() -> Iterator[Knot]:
    """Serve :data:`ZONE` (see :mod:`tests.rig.servers`; skips or, under CI,
    fails where knotd or dnsdist cannot start)."""
    try:
        with start_knot({ZONE: ZONE_TEXT}) as knot, start_dnsdist(knot) as dnsdist:
            yield Knot(dnsdist)
    except RigUnavailable as exc:
        unavailable(str(exc))


class DnspythonBackend(Backend):
    """Real DNS over UDP to one loopback server, with TTLs (like the c-ares backend).

    :ivar sent: queries this backend sent (a client-side count, next to knot's).
    """

    name: ClassVar[str] = "dnspython-test"
    provides_ttl: ClassVar[bool] = True

    def __init__(self, host: str, port: int) -> None:
        assert host.startswith("127."), "the network rule: loopback only"
        self.host, self.port, self.sent = host, port, 0

    async def _ask(self, name: str, rtype: str) -> Answer:
        self.sent += 1
        request = dns.message.make_query(name, rtype)
        reply = await dns.asyncquery.udp(request, self.host, port=self.port, timeout=10)
        server = f"{self.host}:{self.port}"
        soa = next((rr for rr in reply.authority if rr.rdtype == dns.rdatatype.SOA), None)
        negative_ttl = min(soa.ttl, soa[0].minimum) if soa is not None else None
        if reply.rcode() == dns.rcode.NXDOMAIN:
            error = NXDomain(host=name, rtype=rtype, backend=self.name, server=server)
            error.negative_ttl = negative_ttl
            raise error
        wanted = dns.rdatatype.from_text(rtype)
        rrsets = [rr for rr in reply.answer if rr.rdtype == wanted]
        if not rrsets:
            error2 = NoData(host=name, rtype=rtype, backend=self.name, server=server)
            error2.negative_ttl = negative_ttl
            raise error2
        records = tuple(record_from_rdata(rd, rrsets[0].ttl) for rd in rrsets[0])
        return Answer(name, rtype, records, name, rrsets[0].ttl, server)

    async def query(self, name: str, rtype: str) -> Answer:
        return await self._ask(name, rtype)

    async def getaddrinfo_with_ttl(
        self, host: bytes | None, port: Any, family: int, type: int, proto: int, flags: int
    ) -> tuple[list[Any], float | None]:
        assert host is not None
        name = host.decode("ascii")
        by_family: dict[int, list[str]] = {socket.AF_INET: ["A"], socket.AF_INET6: ["AAAA"]}
        kinds = by_family.get(family, ["AAAA", "A"])
        infos: list[Any] = []
        ttls: list[int] = []
        for kind in kinds:
            try:
                answer = await self._ask(name, kind)
            except NoData:
                continue
            except NXDomain as exc:
                error = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
                if exc.negative_ttl is None:
                    raise error from None
                raise NegativeAnswer(error, exc.negative_ttl) from None
            ttls.append(answer.ttl)
            af = socket.AF_INET if kind == "A" else socket.AF_INET6
            for address in answer.addresses:
                sockaddr = (address, int(port or 0)) if kind == "A" else (
                    address, int(port or 0), 0, 0)
                for st, pr in ((socket.SOCK_STREAM, 6), (socket.SOCK_DGRAM, 17), (
                        socket.SOCK_RAW, 0)):
                    if type in (0, st):
                        infos.append((af, st, pr, "", sockaddr))
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return infos, min(ttls)

    async def getaddrinfo(
        self, host: bytes | None, port: Any, family: int, type: int, proto: int, flags: int
    ) -> list[Any]:
        return (await self.getaddrinfo_with_ttl(host, port, family, type, proto, flags))[0]

    async def getnameinfo(self, sockaddr: Any, flags: int) -> tuple[str, str]:
        raise NotImplementedError

    async def gethostbyname_ex(self, host: bytes) -> Any:
        raise NotImplementedError

    async def gethostbyaddr(self, host: bytes) -> Any:
        raise NotImplementedError
