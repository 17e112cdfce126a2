"""Convert IPv6 addresses between text and packed bytes.

An async port of PyMOTW-3's ``socket_ipv6_address_packing.py`` (Doug Hellmann,
"socket: Addressing, Protocol Families and Socket Types"); prints exactly what
``sync/socket_ipv6_address_packing.py`` prints for the same addresses.  The
packing helpers are socket's own, re-exported: plain functions, no ``await``.

Usage: python examples/socket_ipv6_address_packing.py [IPV6_ADDRESS ...]
"""

import asyncio
import binascii
import socket
import sys

import aioresolve

DEFAULT_ADDRESSES = ["2002:ac10:10a:1234:21e:52ff:fe74:40e"]


async def main() -> None:
    for index, text in enumerate(sys.argv[1:] or DEFAULT_ADDRESSES):
        if index:
            print()  # between reports; the seed had only one
        packed = aioresolve.inet_pton(socket.AF_INET6, text)
        print("Original:", text)
        print("Packed  :", binascii.hexlify(packed))
        print("Unpacked:", aioresolve.inet_ntop(socket.AF_INET6, packed))


if __name__ == "__main__":
    asyncio.run(main())
