"""Look up the host name of IP addresses (a reverse lookup).

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.
As in the seed, a failed lookup is not caught: the exception ends the script.

Usage: python socket_gethostbyaddr.py [ADDRESS ...]
"""

import socket
import sys

DEFAULT_ADDRESSES = ["10.9.0.10"]  # the seed's address (on the author's network)

for index, address in enumerate(sys.argv[1:] or DEFAULT_ADDRESSES):
    if index:
        print()  # between reports; the seed had only one
    hostname, aliases, addresses = socket.gethostbyaddr(address)
    print("Hostname :", hostname)
    print("Aliases  :", aliases)
    print("Addresses:", addresses)
