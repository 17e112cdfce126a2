"""Convert IPv4 addresses between dotted-quad text and packed bytes.

Synchronous original, re-written for aioresolve's examples from PyMOTW-3
("socket: Addressing, Protocol Families and Socket Types") by Doug Hellmann.

Usage: python socket_address_packing.py [IPV4_ADDRESS ...]
"""

import binascii
import socket
import sys

DEFAULT_ADDRESSES = ["192.168.1.1", "127.0.0.1"]

for text in sys.argv[1:] or DEFAULT_ADDRESSES:
    packed = socket.inet_aton(text)
    print("Original:", text)
    print("Packed  :", binascii.hexlify(packed))
    print("Unpacked:", socket.inet_ntoa(packed))
    print()
