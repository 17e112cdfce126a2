"""Print the name of this host.

An async port of PyMOTW-3's ``socket_gethostname.py`` (Doug Hellmann, "socket:
Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_gethostname.py`` prints.
"""

import asyncio

import aioresolve


async def main() -> None:
    print(await aioresolve.gethostname())


if __name__ == "__main__":
    asyncio.run(main())
