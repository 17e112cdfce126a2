"""Which twin writes the CLI's JSON lines from the stream's results:
``_lines_c`` (typed Cython, built by ``setup.py`` where a compiler is
present) or :mod:`aioresolve.bulk._lines_py` (the reference), picked as
:mod:`aioresolve._dns._speedups` picks the engine's twins
(``AIORESOLVE_NO_EXTENSIONS=1`` forces the pure one): :func:`jsonl_batch`,
:func:`csv_batch` and :func:`text_batch`.

:data:`COMPILED` is true when the compiled twin is in use.
"""

from __future__ import annotations

from .._dns._speedups import NO_EXTENSIONS
from ._lines_py import ONLY_ALL, ONLY_FAILED, ONLY_OK

__all__ = ["COMPILED", "ONLY_ALL", "ONLY_FAILED", "ONLY_OK", "csv_batch", "jsonl_batch",
           "text_batch"]

COMPILED = False
if not NO_EXTENSIONS:
    try:
        from ._lines_c import csv_batch, jsonl_batch, text_batch

        COMPILED = True
    except ImportError:
        from ._lines_py import csv_batch, jsonl_batch, text_batch
else:
    from ._lines_py import csv_batch, jsonl_batch, text_batch
