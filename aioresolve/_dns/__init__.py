"""DNS wire format and the I/O-free pieces of the wire backend.

:mod:`aioresolve._dns.codec` holds the lean encoder/decoder used on the hot
path (queries; response header, question, A/AAAA/CNAME answers); other record
types are handed to dnspython.
"""
