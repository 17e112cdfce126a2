"""Which twin makes a stream batch :class:`~aioresolve.bulk.Result` objects:
``_results_c`` (typed Cython, built by ``setup.py`` where a compiler is
present) or :mod:`aioresolve.bulk._results_py` (the reference), picked as
:mod:`aioresolve._dns._speedups` picks the engine's twins
(``AIORESOLVE_NO_EXTENSIONS=1`` forces the pure one): :func:`results_of`.

:data:`COMPILED` is true when the compiled twin is in use.
"""

from __future__ import annotations

from .._dns._speedups import NO_EXTENSIONS
from ._results_py import CANCELLED_TEXT, other_result

__all__ = ["CANCELLED_TEXT", "COMPILED", "other_result", "results_of"]

COMPILED = False
if not NO_EXTENSIONS:
    try:
        from ._results_c import results_of

        COMPILED = True
    except ImportError:
        from ._results_py import results_of
else:
    from ._results_py import results_of
