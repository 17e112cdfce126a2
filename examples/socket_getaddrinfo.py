"""Show every address getaddrinfo() gives for the http service of host names.

An async port of PyMOTW-3's ``socket_getaddrinfo.py`` (Doug Hellmann, "socket:
Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_getaddrinfo.py`` prints for the same names.  The constants
still come from :mod:`socket`.  As in the seed, a failed lookup is not caught:
the ``socket.gaierror`` ends the script.

Usage: python examples/socket_getaddrinfo.py [HOST ...]
"""

import asyncio
import socket
import sys

import aioresolve

DEFAULT_HOSTS = ["www.python.org"]


def constant_names(prefix: str) -> dict[int, str]:
    """Map the values of socket's constants starting with ``prefix`` to their names."""
    return {getattr(socket, name): name for name in dir(socket) if name.startswith(prefix)}


async def main() -> None:
    families = constant_names("AF_")
    types = constant_names("SOCK_")
    protocols = constant_names("IPPROTO_")
    for host in sys.argv[1:] or DEFAULT_HOSTS:
        for family, socktype, proto, canonname, sockaddr in await aioresolve.getaddrinfo(
            host, "http"
        ):
            print("Family        :", families[family])
            print("Type          :", types[socktype])
            print("Protocol      :", protocols[proto])
            print("Canonical name:", canonname)
            print("Socket address:", sockaddr)
            print()


if __name__ == "__main__":
    asyncio.run(main())
