"""Normalising and checking DNS names for record queries and bulk input.

The socket mirror does not use this (it encodes with Python's ``idna`` codec,
IDNA 2003, exactly as :mod:`socket` does).  Record queries and bulk lookups
use IDNA 2008 with UTS 46 mapping, as browsers and dnspython (with ``idna``
installed) do, and reject what cannot be a host name before any packet is sent.
"""

from __future__ import annotations

import re

import idna

from ._errors import IllegalName

__all__ = ["MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "to_alabel"]

#: RFC 1035 2.3.4: a label holds at most 63 octets.
MAX_LABEL_LENGTH = 63
#: RFC 1035 2.3.4: at most 255 octets on the wire, i.e. 253 characters of text
#: without the trailing dot.
MAX_NAME_LENGTH = 253

# Letters, digits, hyphen (RFC 952/1123), plus underscore for service labels
# such as _sip._tcp (RFC 2782) and "*" for wildcard owners.
_LABEL = re.compile(r"[A-Za-z0-9_*]([A-Za-z0-9_-]*[A-Za-z0-9_])?\Z")


def to_alabel(name: str) -> str:
    """Return ``name`` as lower-case A-labels without the trailing dot.

    ``"Bücher.Example."`` becomes ``"xn--bcher-kva.example"``.  The root is ``"."``.

    :raises IllegalName: empty, too long, an empty or over-long label, a
        character not allowed in a host name, or not valid IDNA.
    """
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
