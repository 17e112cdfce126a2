"""Inside a service: one resolver, its cache and coalescing, aiohttp on top.

Checked by ``mypy --strict`` (tests/test_typing.py).  The nameserver is a
placeholder: point it at yours (or at ``aioresolve.testing.DNSServer``).
"""

from __future__ import annotations

import asyncio

import aiohttp

from aioresolve import Resolver
from aioresolve.cache import CacheConfig
from aioresolve.contrib.aiohttp import AioresolveResolver


async def main() -> None:
    resolver = Resolver(
        "wire",
        nameservers=["127.0.0.1:5353"],
        timeout=2.0,  # every lookup's deadline, unless a call gives its own
        cache=CacheConfig(max_size=4096, max_ttl=3600, serve_stale=30),
    )
    async with resolver:
        # 1,000 identical lookups at once: one query reaches the server.
        results = await asyncio.gather(
            *(resolver.getaddrinfo("api.example.test", 443) for _ in range(1000))
        )
        print(len(results), resolver.cache_info().coalesced)

        # aiohttp resolves through the same resolver (and its cache).
        connector = aiohttp.TCPConnector(resolver=AioresolveResolver(resolver))
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get("http://api.example.test/status") as response,
        ):
            print(response.status)
        print(resolver.cache_info())


if __name__ == "__main__":
    asyncio.run(main())
