"""Convert IPv6 addresses between text and packed bytes.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_ipv6_address_packing.py [IPV6_ADDRESS ...]
"""

import binascii
import socket
import sys

DEFAULT_ADDRESSES = ["2002:ac10:10a:1234:21e:52ff:fe74:40e"]

for index, text in enumerate(sys.argv[1:] or DEFAULT_ADDRESSES):
    if index:
        print()  # between reports; the seed had only one
    packed = socket.inet_pton(socket.AF_INET6, text)
    print("Original:", text)
    print("Packed  :", binascii.hexlify(packed))
    print("Unpacked:", socket.inet_ntop(socket.AF_INET6, packed))
