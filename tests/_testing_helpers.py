"""What the tests of :class:`aioresolve.testing.DNSServer` share: its records,
a zone file's text, and dnspython queries to it
(``tests/test_testing.py``, ``tests/test_testing_faults.py``)."""

from __future__ import annotations

import asyncio
import socket

import dns.asyncquery
import dns.message

from aioresolve.testing import DNSServer, Records

__all__ = ["RECORDS", "ZONE_TEXT", "ask", "raw_reply", "texts"]

RECORDS: Records = {
    "www.example.test": {"A": ["192.0.2.1", "192.0.2.2"], "AAAA": "2001:db8::1", "ttl": 60},
    "v4.example.test": "192.0.2.3",
    "dual.example.test": ["192.0.2.4", "2001:db8::4"],
    "mail.example.test": {"MX": ["10 mx1.example.test", "20 mx2.example.test."]},
    "txt.example.test": {"TXT": ["v=spf1 -all", '"two" "strings"']},
    "long.example.test": {"TXT": "x" * 300},
    "_sip._tcp.example.test": {"SRV": "10 60 5060 sip.example.test"},
    "caa.example.test": {"CAA": '0 issue "ca.example"'},
    "ttl.example.test": {"A": {"ttl": 7, "values": ["192.0.2.7"]}, "TXT": "default ttl"},
    "alias.example.test": {"CNAME": "chain.example.test"},
    "chain.example.test": {"CNAME": "www.example.test"},
    "loop1.example.test": {"CNAME": "loop2.example.test"},
    "loop2.example.test": {"CNAME": "loop1.example.test"},
    "dangling.example.test": {"CNAME": "missing.example.test"},
    "outside.example.test": {"CNAME": "www.other.test"},
    "*.wild.example.test": {"A": "192.0.2.9"},
    "deep.ent.example.test": {"A": "192.0.2.10"},
    "big.example.test": {"A": [f"198.18.0.{i}" for i in range(1, 101)]},
    "1.2.0.192.in-addr.arpa": {"PTR": "www.example.test"},
    "example.test": {"NS": ["ns1.example.test"]},
}

ZONE_TEXT = """\
$ORIGIN zone.test.
$TTL 120
@   3600 IN SOA ns.zone.test. admin.zone.test. 7 3600 600 86400 30
@        IN NS  ns
ns       IN A   192.0.2.53
host     IN A   192.0.2.54
"""


async def ask(
    server: DNSServer,
    name: str,
    rtype: str = "A",
    *,
    tcp: bool = False,
    payload: int | None = None,
    timeout: float = 5.0,
) -> dns.message.Message:
    query = dns.message.make_query(
        name, rtype, use_edns=0 if payload else None, payload=payload or 1232
    )
    if tcp:
        return await dns.asyncquery.tcp(query, server.host, timeout, server.port)
    return await dns.asyncquery.udp(query, server.host, timeout, server.port)


def texts(message: dns.message.Message, section: str = "answer") -> list[str]:
    return sorted(rr.to_text() for rr in getattr(message, section))


async def raw_reply(server: DNSServer, payload: bytes) -> bytes:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, (server.host, server.port))
        await loop.sock_sendall(sock, payload)
        return await asyncio.wait_for(loop.sock_recv(sock, 65535), 5)
    finally:
        sock.close()
