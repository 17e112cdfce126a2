"""The same Resolver under trio: the system backend runs libc in trio's
threads; wire and c-ares run on a private asyncio loop (docs/services.md).

Checked by ``mypy --strict`` (tests/test_typing.py).  ``python
examples/readme/trio_lookups.py`` resolves ``localhost`` only (from /etc/hosts);
``readme_snippet`` is README's example, which needs a server on 127.0.0.1:5353.
"""

from __future__ import annotations

import socket

import trio

import aioresolve


async def main() -> None:
    # Module-level functions work under trio too (a default resolver per run).
    print(await aioresolve.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM))

    async with aioresolve.Resolver("system", pool_size=4, timeout=5) as resolver:
        async with trio.open_nursery() as nursery:
            for port in (80, 443):
                nursery.start_soon(resolver.getaddrinfo, "localhost", port)
        with trio.move_on_after(1):  # trio's cancellation applies, as to any call
            print(await resolver.gethostbyname("localhost"))


async def readme_snippet() -> None:
    async with aioresolve.Resolver("wire", nameservers=["127.0.0.1:5353"], timeout=5) as r:
        print(await r.getaddrinfo("www.example.test", 80))
        print([mx.exchange for mx in await r.query("example.test", "MX")])


if __name__ == "__main__":
    trio.run(main)
