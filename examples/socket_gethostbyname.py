"""Convert host names to IPv4 addresses.

An async port of PyMOTW-3's ``socket_gethostbyname.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_gethostbyname.py`` prints for the same names.  The lookups run
concurrently; the lines come out in the order of the names.

Usage: python examples/socket_gethostbyname.py [HOST ...]
"""

import asyncio
import sys

import aioresolve


async def default_hosts() -> list[str]:
    # The seed's names; its first one, 'apu', was the author's own machine,
    # so this host's name stands in for it.
    return [await aioresolve.gethostname(), "pymotw.com", "www.python.org", "nosuchname"]


async def describe(host: str) -> str:
    try:
        return f"{host} : {await aioresolve.gethostbyname(host)}"
    except OSError as msg:  # socket.gaierror, exactly as socket raises it
        return f"{host} : {msg}"


async def main() -> None:
    hosts = sys.argv[1:] or await default_hosts()
    for line in await asyncio.gather(*(describe(host) for host in hosts)):
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
