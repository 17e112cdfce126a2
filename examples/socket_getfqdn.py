"""Show the fully qualified domain name of host names.

An async port of PyMOTW-3's ``socket_getfqdn.py`` (Doug Hellmann, "socket:
Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_getfqdn.py`` prints for the same names.  As with
:func:`socket.getfqdn`, a name that cannot be resolved is printed unchanged.

Usage: python examples/socket_getfqdn.py [HOST ...]
"""

import asyncio
import sys

import aioresolve


async def default_hosts() -> list[str]:
    # The seed's names; its first one, 'apu', was the author's own machine,
    # so this host's name stands in for it.
    return [await aioresolve.gethostname(), "pymotw.com"]


async def main() -> None:
    hosts = sys.argv[1:] or await default_hosts()
    fqdns = await asyncio.gather(*(aioresolve.getfqdn(host) for host in hosts))
    for host, fqdn in zip(hosts, fqdns, strict=True):
        print(f"{host:>10} : {fqdn}")


if __name__ == "__main__":
    asyncio.run(main())
