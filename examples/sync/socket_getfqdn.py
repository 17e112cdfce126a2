"""Show the fully qualified domain name of host names.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_getfqdn.py [HOST ...]
"""

import socket
import sys

# The seed's names; its first one, 'apu', was the author's own machine, so
# this host's name stands in for it.
DEFAULT_HOSTS = [socket.gethostname(), "pymotw.com"]

for host in sys.argv[1:] or DEFAULT_HOSTS:
    print(f"{host:>10} : {socket.getfqdn(host)}")
