"""Convert host names to IPv4 addresses.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_gethostbyname.py [HOST ...]
"""

import socket
import sys

# The seed's names; its first one, 'apu', was the author's own machine, so
# this host's name stands in for it.
DEFAULT_HOSTS = [socket.gethostname(), "pymotw.com", "www.python.org", "nosuchname"]

for host in sys.argv[1:] or DEFAULT_HOSTS:
    try:
        print(f"{host} : {socket.gethostbyname(host)}")
    except OSError as msg:
        print(f"{host} : {msg}")
