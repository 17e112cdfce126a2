"""Build URLs from port numbers by looking up their service names.

An async port of PyMOTW-3's ``socket_getservbyport.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_getservbyport.py`` prints for the same ports.

Usage: python examples/socket_getservbyport.py [PORT ...]
"""

import asyncio
import sys

import aioresolve

DEFAULT_PORTS = [80, 443, 21, 70, 25, 143, 993, 110, 995]


async def main() -> None:
    for port in [int(arg) for arg in sys.argv[1:]] or DEFAULT_PORTS:
        print(f"{await aioresolve.getservbyport(port)}://example.com/")


if __name__ == "__main__":
    asyncio.run(main())
