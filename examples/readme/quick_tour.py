"""README's quick tour: the socket module, awaited, and a record query.

Checked by ``mypy --strict`` (tests/test_typing.py).  Running it asks your
machine's resolver (and ``example.com``'s servers) over the network.
"""

from __future__ import annotations

import asyncio
import socket

import aioresolve


async def main() -> None:
    # The socket module, awaited.
    print(await aioresolve.gethostbyname("example.com"))
    for family, _type, _proto, canonname, sockaddr in await aioresolve.getaddrinfo(
        "example.com", "https", type=socket.SOCK_STREAM, flags=socket.AI_CANONNAME
    ):
        print(family.name, canonname, sockaddr)

    # The same exceptions as socket: existing except clauses keep working.
    try:
        await aioresolve.getaddrinfo("no-such-name.invalid", 80)
    except socket.gaierror as exc:
        print(exc.errno == socket.EAI_NONAME, exc)

    # A deadline of your own; Timeout is a TimeoutError.
    try:
        await aioresolve.gethostbyaddr("192.0.2.1", timeout=0.5)
    except TimeoutError:
        print("slow reverse zone")
    except socket.herror as exc:
        print(exc)

    # Record queries work out of the box (resolv.conf's nameservers) and are
    # typed by the record type: answer is an Answer[MX].
    answer = await aioresolve.query("example.com", "MX")
    for mx in sorted(answer, key=lambda mx: mx.priority):
        print(mx.priority, mx.exchange, mx.ttl)

    # A resolver with its own backend and options.
    async with aioresolve.Resolver("wire", nameservers=["127.0.0.1:5353"], timeout=2) as r:
        txt = await r.query("example.com", "TXT")
        print([record.text for record in txt])


if __name__ == "__main__":
    asyncio.run(main())
