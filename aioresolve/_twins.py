"""Whether a compiled twin was built from its pure-Python source as it is now.

``setup.py`` compiles two modules from their own source, in Cython's
pure-Python mode: the codec (:mod:`aioresolve._dns.codec` as
``aioresolve._dns._codec_c``) and the cache's miss path
(:mod:`aioresolve._begun` as ``aioresolve._begun_c``).  It appends to each
copy the bytes it was made from (``SOURCE``), so that an editable install
edited since the build does not run the old twin: the selectors
(:mod:`aioresolve._dns._speedups`, :mod:`aioresolve._miss`) ask
:func:`built_from`.  One read of the source and a comparison of bytes, no
hashing: the SHA-256 the codec's check used to compute imported
:mod:`hashlib`, whose set-up of OpenSSL's digests was 2.4-6 ms of every
start-up of the command line (``python -X importtime``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["built_from"]


def built_from(compiled: object, source: Path) -> bool:
    """Whether the compiled module ``compiled`` was built from ``source`` as
    it is now (its ``SOURCE``, the bytes the build recorded, equal the
    file's).  A source that is not shipped (a wheel without it) trusts the build."""
    try:
        current = source.read_bytes()
    except OSError:
        return True
    return current == getattr(compiled, "SOURCE", None)
