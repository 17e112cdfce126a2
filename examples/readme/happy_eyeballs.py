"""Happy Eyeballs (RFC 8305): aioresolve finds the addresses, aiohappyeyeballs
interleaves them by family (once) and races the connection attempts.

Checked by ``mypy --strict`` (tests/test_typing.py).
"""

from __future__ import annotations

import asyncio

from aioresolve import Resolver
from aioresolve.happy_eyeballs import start_connection


async def main() -> None:
    async with Resolver() as resolver:
        # First Address Family Count 2 (RFC 8305 §4): two addresses of the
        # preferred family before the first of the other; 250 ms between attempts.
        sock = await start_connection(
            "example.com", 443, resolver=resolver, happy_eyeballs_delay=0.25, interleave=2
        )
        _reader, writer = await asyncio.open_connection(sock=sock)
        print(writer.get_extra_info("peername"))
        writer.close()
        await writer.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
