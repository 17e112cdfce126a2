"""Look up the port numbers of the services named by URL schemes.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_getservbyname.py [URL ...]
"""

import socket
import sys
from urllib.parse import urlparse

DEFAULT_URLS = [
    "http://www.python.org",
    "https://www.mybank.com",
    "ftp://prep.ai.mit.edu",
    "gopher://gopher.micro.umn.edu",
    "smtp://mail.example.com",
    "imap://mail.example.com",
    "imaps://mail.example.com",
    "pop3://pop.example.com",
    "pop3s://pop.example.com",
]

for url in sys.argv[1:] or DEFAULT_URLS:
    scheme = urlparse(url).scheme
    print(f"{scheme:>6} : {socket.getservbyname(scheme)}")
