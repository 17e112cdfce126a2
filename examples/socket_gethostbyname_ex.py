"""Show the canonical name, aliases and IPv4 addresses of host names.

An async port of PyMOTW-3's ``socket_gethostbyname_ex.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_gethostbyname_ex.py`` prints for the same names.  The lookups run
concurrently; the reports come out in the order of the names.

Usage: python examples/socket_gethostbyname_ex.py [HOST ...]
"""

import asyncio
import sys

import aioresolve


async def default_hosts() -> list[str]:
    # The seed's names; its first one, 'apu', was the author's own machine,
    # so this host's name stands in for it.
    return [await aioresolve.gethostname(), "pymotw.com", "www.python.org", "nosuchname"]


async def describe(host: str) -> list[str]:
    lines = [host]
    try:
        name, aliases, addresses = await aioresolve.gethostbyname_ex(host)
    except OSError as msg:  # socket.gaierror or socket.herror, as socket raises them
        lines.append(f"ERROR: {msg}")
    else:
        lines.append(f"  Hostname: {name}")
        lines.append(f"  Aliases : {aliases}")
        lines.append(f" Addresses: {addresses}")
    lines.append("")
    return lines


async def main() -> None:
    hosts = sys.argv[1:] or await default_hosts()
    for lines in await asyncio.gather(*(describe(host) for host in hosts)):
        print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
