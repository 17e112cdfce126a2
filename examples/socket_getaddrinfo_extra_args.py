"""getaddrinfo() narrowed to IPv4 TCP, asking for the canonical name.

An async port of PyMOTW-3's ``socket_getaddrinfo_extra_args.py`` (Doug
Hellmann, "socket: Addressing, Protocol Families and Socket Types"); prints
exactly what ``sync/socket_getaddrinfo_extra_args.py`` prints for the same
names.  :func:`aioresolve.getaddrinfo` takes socket's arguments, keywords
included.  As in the seed, a failed lookup is not caught.

Usage: python examples/socket_getaddrinfo_extra_args.py [HOST ...]
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
        responses = await aioresolve.getaddrinfo(
            host=host,
            port="http",
            family=socket.AF_INET,
            type=socket.SOCK_STREAM,
            proto=socket.IPPROTO_TCP,
            flags=socket.AI_CANONNAME,
        )
        for family, socktype, proto, canonname, sockaddr in responses:
            print("Family        :", families[family])
            print("Type          :", types[socktype])
            print("Protocol      :", protocols[proto])
            print("Canonical name:", canonname)
            print("Socket address:", sockaddr)
            print()


if __name__ == "__main__":
    asyncio.run(main())
