"""Normalising and checking DNS names (and record types) for record queries and bulk input.

The socket mirror does not use this (it encodes with Python's ``idna`` codec,
IDNA 2003, exactly as :mod:`socket` does).  Record queries and bulk lookups
use IDNA 2008 with UTS 46 mapping, as browsers and dnspython (with ``idna``
installed) do, and reject what cannot be a host name before any packet is sent.
"""

from __future__ import annotations

import re

import dns.rdatatype

from ._errors import IllegalName
from ._miss import MAX_LABEL_LENGTH, MAX_NAME_LENGTH, plain_name

__all__ = ["MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "check_rtype", "to_alabel"]

# Letters, digits, hyphen (RFC 952/1123), plus underscore for service labels
# such as _sip._tcp (RFC 2782) and "*" for wildcard owners.
_LABEL = re.compile(r"[A-Za-z0-9_*]([A-Za-z0-9_-]*[A-Za-z0-9_])?\Z")


def to_alabel(name: str) -> str:
    """Return ``name`` as lower-case A-labels without the trailing dot.

    ``"Bücher.Example."`` becomes ``"xn--bcher-kva.example"``.  The root is ``"."``.

    :raises IllegalName: empty, too long, an empty or over-long label, a
        character not allowed in a host name, or not valid IDNA.
    """
    if type(name) is str and plain_name(name):
        return name  # already lower-case A-labels (a C loop where compiled)
    if not isinstance(name, str):
        raise IllegalName(f"name must be str, not {type(name).__name__}", host=repr(name))
    text = name.strip()
    if text == ".":
        return "."
    if text.endswith("."):
        text = text[:-1]
    if not text:
        raise IllegalName("empty name", host=name)
    if not text.isascii():
        import idna  # here, not at the top: ~20M instructions of every start-up

        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise IllegalName(f"not a valid IDNA name: {exc}", host=name) from None
    text = text.lower()
    if len(text) > MAX_NAME_LENGTH:
        raise IllegalName(
            f"name is {len(text)} characters long; at most {MAX_NAME_LENGTH} fit", host=name
        )
    for label in text.split("."):
        if not label:
            raise IllegalName("empty label", host=name)
        if len(label) > MAX_LABEL_LENGTH:
            raise IllegalName(
                f"label of {len(label)} characters; at most {MAX_LABEL_LENGTH} fit", host=name
            )
        if not _LABEL.match(label):
            raise IllegalName(f"label {label!r} has a character not allowed in a name", host=name)
    return text


#: Record types already checked, memoised (dnspython's lookup is a few µs per
#: query otherwise); bounded, since the keys come from callers.
_RTYPES: dict[str | int, str] = {}
_RTYPES_MAX = 1024


def check_rtype(rtype: object) -> str:
    """Return the canonical mnemonic of a record type asked for in a query.

    Accepts a mnemonic in any case (``"mx"``, ``"MX"``), ``"TYPE15"``
    (RFC 3597) or the type number (``15``).

    :raises TypeError: ``rtype`` is neither ``str`` nor ``int`` (``None``, a
        ``bool``, bytes...).
    :raises ValueError: not a record type, or a meta type (ANY, AXFR, IXFR,
        OPT, TSIG, TKEY, MAILA, MAILB, type 0), which a query cannot ask for.
    """
    if type(rtype) is str or type(rtype) is int:
        known = _RTYPES.get(rtype)
        if known is not None:
            return known
    if isinstance(rtype, bool) or not isinstance(rtype, (str, int)):
        raise TypeError(
            "rtype must be a record type such as 'MX' (str) or its number (int), "
            f"not {type(rtype).__name__}"
        )
    try:
        if isinstance(rtype, int):
            if not 0 <= rtype <= 65535:
                raise ValueError
            value = dns.rdatatype.RdataType.make(rtype)
        else:
            value = dns.rdatatype.from_text(rtype.strip().upper())
    except (dns.rdatatype.UnknownRdatatype, ValueError):
        raise ValueError(
            f"unknown record type {rtype!r}: give a mnemonic such as 'A', 'MX', 'TXT' "
            "or a type number from 1 to 65535"
        ) from None
    if value == 0:
        raise ValueError("record type 0 is reserved (RFC 6895) and cannot be asked for")
    if dns.rdatatype.is_metatype(value):
        raise ValueError(
            f"{dns.rdatatype.to_text(value)} is a meta type and cannot be asked for "
            "in a query; ask for each record type you need"
        )
    text = dns.rdatatype.to_text(value)
    if len(_RTYPES) < _RTYPES_MAX:
        _RTYPES[rtype] = text
    return text
