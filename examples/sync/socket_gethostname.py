"""Print the name of this host.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.
"""

import socket

print(socket.gethostname())
