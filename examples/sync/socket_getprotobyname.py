"""Look up protocol numbers by name and match them to socket's IPPROTO_ constants.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_getprotobyname.py [PROTOCOL ...]
"""

import socket
import sys

DEFAULT_PROTOCOLS = ["icmp", "udp", "tcp"]


def constant_names(prefix: str) -> dict[int, str]:
    """Map the values of socket's constants starting with ``prefix`` to their names."""
    return {getattr(socket, name): name for name in dir(socket) if name.startswith(prefix)}


protocols = constant_names("IPPROTO_")

for name in sys.argv[1:] or DEFAULT_PROTOCOLS:
    number = socket.getprotobyname(name)
    constant = protocols[number]
    print(f"{name:>4} -> {number:2d} (socket.{constant:<12} = {getattr(socket, constant):2d})")
