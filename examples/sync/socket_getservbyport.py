"""Build URLs from port numbers by looking up their service names.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_getservbyport.py [PORT ...]
"""

import socket
import sys

DEFAULT_PORTS = [80, 443, 21, 70, 25, 143, 993, 110, 995]

for port in [int(arg) for arg in sys.argv[1:]] or DEFAULT_PORTS:
    print(f"{socket.getservbyport(port)}://example.com/")
