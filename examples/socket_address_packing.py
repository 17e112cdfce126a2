"""Convert IPv4 addresses between dotted-quad text and packed bytes.

An async port of PyMOTW-3's ``socket_address_packing.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_address_packing.py`` prints for the same addresses.  The packing
helpers need no lookup, so aioresolve re-exports socket's own, and they are
plain functions: no ``await``.

Usage: python examples/socket_address_packing.py [IPV4_ADDRESS ...]
"""

import asyncio
import binascii
import sys

import aioresolve

DEFAULT_ADDRESSES = ["192.168.1.1", "127.0.0.1"]


async def main() -> None:
    for text in sys.argv[1:] or DEFAULT_ADDRESSES:
        packed = aioresolve.inet_aton(text)
        print("Original:", text)
        print("Packed  :", binascii.hexlify(packed))
        print("Unpacked:", aioresolve.inet_ntoa(packed))
        print()


if __name__ == "__main__":
    asyncio.run(main())
