"""Show every address getaddrinfo() gives for the http service of host names.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.
As in the seed, a failed lookup is not caught: the exception ends the script.

Usage: python socket_getaddrinfo.py [HOST ...]
"""

import socket
import sys

DEFAULT_HOSTS = ["www.python.org"]


def constant_names(prefix: str) -> dict[int, str]:
    """Map the values of socket's constants starting with ``prefix`` to their names."""
    return {getattr(socket, name): name for name in dir(socket) if name.startswith(prefix)}


families = constant_names("AF_")
types = constant_names("SOCK_")
protocols = constant_names("IPPROTO_")

for host in sys.argv[1:] or DEFAULT_HOSTS:
    for family, socktype, proto, canonname, sockaddr in socket.getaddrinfo(host, "http"):
        print("Family        :", families[family])
        print("Type          :", types[socktype])
        print("Protocol      :", protocols[proto])
        print("Canonical name:", canonname)
        print("Socket address:", sockaddr)
        print()
