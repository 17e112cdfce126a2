"""Look up protocol numbers by name and match them to socket's IPPROTO_ constants.

An async port of PyMOTW-3's ``socket_getprotobyname.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_getprotobyname.py`` prints for the same names.  The constants
still come from :mod:`socket`: aioresolve mirrors its lookups, not its constants.

Usage: python examples/socket_getprotobyname.py [PROTOCOL ...]
"""

import asyncio
import socket
import sys

import aioresolve

DEFAULT_PROTOCOLS = ["icmp", "udp", "tcp"]


def constant_names(prefix: str) -> dict[int, str]:
    """Map the values of socket's constants starting with ``prefix`` to their names."""
    return {getattr(socket, name): name for name in dir(socket) if name.startswith(prefix)}


async def main() -> None:
    protocols = constant_names("IPPROTO_")
    for name in sys.argv[1:] or DEFAULT_PROTOCOLS:
        number = await aioresolve.getprotobyname(name)
        constant = protocols[number]
        print(f"{name:>4} -> {number:2d} (socket.{constant:<12} = {getattr(socket, constant):2d})")


if __name__ == "__main__":
    asyncio.run(main())
