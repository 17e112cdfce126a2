"""Look up the host name of IP addresses (a reverse lookup).

An async port of PyMOTW-3's ``socket_gethostbyaddr.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_gethostbyaddr.py`` prints for the same addresses.  As in the
seed, a failed lookup is not caught: the ``socket.herror`` (or
``socket.gaierror``) that socket would raise ends the script.

Usage: python examples/socket_gethostbyaddr.py [ADDRESS ...]
"""

import asyncio
import sys

import aioresolve

DEFAULT_ADDRESSES = ["10.9.0.10"]  # the seed's address (on the author's network)


async def main() -> None:
    for index, address in enumerate(sys.argv[1:] or DEFAULT_ADDRESSES):
        if index:
            print()  # between reports; the seed had only one
        hostname, aliases, addresses = await aioresolve.gethostbyaddr(address)
        print("Hostname :", hostname)
        print("Aliases  :", aliases)
        print("Addresses:", addresses)


if __name__ == "__main__":
    asyncio.run(main())
