"""Look up the port numbers of the services named by URL schemes.

An async port of PyMOTW-3's ``socket_getservbyname.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_getservbyname.py`` prints for the same URLs.

Usage: python examples/socket_getservbyname.py [URL ...]
"""

import asyncio
import sys
from urllib.parse import urlparse

import aioresolve

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


async def main() -> None:
    for url in sys.argv[1:] or DEFAULT_URLS:
        scheme = urlparse(url).scheme
        print(f"{scheme:>6} : {await aioresolve.getservbyname(scheme)}")


if __name__ == "__main__":
    asyncio.run(main())
