"""Typed DNS records and :class:`Answer`, the result of :func:`aioresolve.query`.

Every record is a small frozen dataclass with the fields of its RDATA, named
as in its RFC, plus ``ttl`` (seconds).  :class:`Answer` is generic over its
record type, and :func:`aioresolve.query` is typed by the record type asked
for, so a type checker knows the fields::

    from aioresolve.records import MX, Answer

    answer: Answer[MX] = await aioresolve.query("example.test", "MX")
    best = min(answer, key=lambda mx: mx.priority)

Record types without a class of their own come back as :class:`Unknown`:
its ``type_name`` (``"HINFO"``, ``"TYPE65280"``) and ``text``, the RDATA in
presentation form (RFC 3597's ``\\# 4 c0000201`` for a type dnspython does not
know).  :func:`record_text` gives any record's RDATA as dig prints it.
"""

from __future__ import annotations

from ._records import AAAA as AAAA
from ._records import CAA as CAA
from ._records import CNAME as CNAME
from ._records import HTTPS as HTTPS
from ._records import MX as MX
from ._records import NAPTR as NAPTR
from ._records import NS as NS
from ._records import PTR as PTR
from ._records import RECORD_TYPES as RECORD_TYPES
from ._records import SOA as SOA
from ._records import SRV as SRV
from ._records import SVCB as SVCB
from ._records import TLSA as TLSA
from ._records import TXT as TXT
from ._records import URI as URI
from ._records import A as A
from ._records import Answer as Answer
from ._records import Record as Record
from ._records import Unknown as Unknown
from ._records import record_text as record_text

__all__ = [
    "AAAA",
    "CAA",
    "CNAME",
    "HTTPS",
    "MX",
    "NAPTR",
    "NS",
    "PTR",
    "RECORD_TYPES",
    "SOA",
    "SRV",
    "SVCB",
    "TLSA",
    "TXT",
    "URI",
    "A",
    "Answer",
    "Record",
    "Unknown",
    "record_text",
]
