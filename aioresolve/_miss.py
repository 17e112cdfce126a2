"""Which twin of the cache's miss path runs: compiled or pure Python.

:mod:`aioresolve._begun` (:func:`~aioresolve._begun.run_query`,
:class:`~aioresolve._begun.BegunQuery`, :class:`~aioresolve._begun.CacheState`,
:func:`~aioresolve._begun.begin_query`, :func:`~aioresolve._begun.abandon`, the name check
:func:`~aioresolve._begun.plain_name` and the record types it takes,
:data:`~aioresolve._begun.PLAIN_RTYPES`) is the reference; ``setup.py``
compiles a copy of that same source with Cython as ``aioresolve._begun_c``,
with the C types of ``aioresolve/_begun.pxd`` (the pattern of
:mod:`aioresolve._dns._speedups`' codec twin).  The cache, the resolver and
:mod:`aioresolve._names` import it from here only.

- ``AIORESOLVE_NO_EXTENSIONS=1`` (any non-empty value) forces pure Python;
  so do interpreters other than CPython.
- A compiled twin built from another ``_begun.py`` than the one beside it
  (an editable install edited since the build) is not used: the build records
  the source it compiled (``SOURCE``), compared with the file
  (:func:`aioresolve._twins.built_from`: one read, no hashing).
- :data:`COMPILED`: whether the compiled twin is in use.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ._twins import built_from

__all__ = [
    "COMPILED", "MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "PLAIN_RTYPES", "BegunQuery",
    "CacheState", "Entry",
    "abandon", "begin_query", "plain_name", "run_query",
]


def _compiled() -> ModuleType | None:
    """``aioresolve._begun_c``, if it is built, wanted and built from ``_begun.py`` as it is."""
    if os.environ.get("AIORESOLVE_NO_EXTENSIONS") or sys.implementation.name != "cpython":
        return None
    try:
        module = importlib.import_module(f"{__package__}._begun_c")
    except ImportError:
        return None
    if not built_from(module, Path(__file__).parent / "_begun.py"):
        # Logged (silent by default), never on a CLI's stderr.
        logging.getLogger("aioresolve.speedups").warning(
            "the compiled miss path was built from another _begun.py; using the pure-Python "
            "one (rebuild: pip install -e .)")
        return None
    return module


if TYPE_CHECKING:
    from ._begun import (
        MAX_LABEL_LENGTH,
        MAX_NAME_LENGTH,
        PLAIN_RTYPES,
        BegunQuery,
        CacheState,
        Entry,
        abandon,
        begin_query,
        plain_name,
        run_query,
    )
else:
    _module = _compiled()
    if _module is None:
        from ._begun import (
            MAX_LABEL_LENGTH,
            MAX_NAME_LENGTH,
            PLAIN_RTYPES,
            BegunQuery,
            CacheState,
            Entry,
            abandon,
            begin_query,
            plain_name,
            run_query,
        )
    else:
        MAX_LABEL_LENGTH, MAX_NAME_LENGTH = _module.MAX_LABEL_LENGTH, _module.MAX_NAME_LENGTH
        PLAIN_RTYPES = _module.PLAIN_RTYPES
        BegunQuery, CacheState, Entry, run_query = (
            _module.BegunQuery, _module.CacheState, _module.Entry, _module.run_query)
        abandon, begin_query, plain_name = (
            _module.abandon, _module.begin_query, _module.plain_name)

#: Whether the compiled twin (``aioresolve._begun_c``) is in use.
COMPILED: bool = CacheState.__module__ == f"{__package__}._begun_c"
