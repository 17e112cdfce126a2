"""A tiny service client, the code under test in ``test_your_service.py``.

It finds a service's HTTP endpoints through DNS (an SRV record, RFC 2782),
tries them in priority order and returns the first ``/status`` page it gets.
Both its own SRV query and aiohttp's address lookups go through one
aioresolve :class:`~aioresolve.Resolver`, which a test can point at an
embedded DNS server.

Run it against real DNS with ``python examples/status_client.py _status._tcp.example.com``.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp

import aioresolve
from aioresolve.contrib.aiohttp import AioresolveResolver


class ServiceUnavailable(Exception):
    """No endpoint of the service answered; ``errors`` says why, per endpoint."""

    def __init__(self, service: str, errors: list[str]) -> None:
        super().__init__(f"{service}: no endpoint answered ({'; '.join(errors) or 'none found'})")
        self.errors = errors


class StatusClient:
    """Fetches ``/status`` from the endpoints that ``service``'s SRV records name."""

    def __init__(self, resolver: aioresolve.Resolver, service: str) -> None:
        self.resolver = resolver
        self.service = service

    async def endpoints(self) -> list[tuple[str, int]]:
        """(host, port) of each SRV target, lowest priority first, then highest weight."""
        try:
            answer = await self.resolver.query(self.service, "SRV")
        except (aioresolve.NXDomain, aioresolve.NoData):
            return []
        # answer is an Answer[SRV]: a type checker knows priority, weight, target, port.
        records = sorted(answer, key=lambda r: (r.priority, -r.weight))
        return [(r.target, r.port) for r in records]

    async def fetch(self) -> str:
        """The text of the first ``/status`` page that answers 2xx."""
        errors: list[str] = []
        connector = aiohttp.TCPConnector(resolver=AioresolveResolver(self.resolver))
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for host, port in await self.endpoints():
                url = f"http://{host}:{port}/status"
                try:
                    async with session.get(url) as response:
                        response.raise_for_status()
                        return await response.text()
                except (aiohttp.ClientError, OSError) as exc:
                    errors.append(f"{url}: {exc}")
        raise ServiceUnavailable(self.service, errors)


async def main(service: str) -> None:
    async with aioresolve.Resolver("cares") as resolver:
        print(await StatusClient(resolver, service).fetch())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
