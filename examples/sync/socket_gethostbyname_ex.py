"""Show the canonical name, aliases and IPv4 addresses of host names.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_gethostbyname_ex.py [HOST ...]
"""

import socket
import sys

# The seed's names; its first one, 'apu', was the author's own machine, so
# this host's name stands in for it.
DEFAULT_HOSTS = [socket.gethostname(), "pymotw.com", "www.python.org", "nosuchname"]

for host in sys.argv[1:] or DEFAULT_HOSTS:
    print(host)
    try:
        name, aliases, addresses = socket.gethostbyname_ex(host)
    except OSError as msg:
        print("ERROR:", msg)
    else:
        print("  Hostname:", name)
        print("  Aliases :", aliases)
        print(" Addresses:", addresses)
    print()
