"""Which twin of the wire engine's hot path runs: compiled or pure Python.

The convention of yarl (``_quoting.py``), aiohttp and multidict: each hot
module has a pure-Python implementation, the reference, and a Cython twin
built by ``setup.py`` where a C compiler is present.  This module picks at
import time; the rest of the package imports the hot functions from here only.

- ``AIORESOLVE_NO_EXTENSIONS=1`` (any non-empty value) forces pure Python;
  so do interpreters other than CPython.
- :data:`COMPILED` names the compiled twins in use (empty: pure Python).

Twins:

- batched UDP I/O, :func:`recv_batch` / :func:`send_batch`:
  :mod:`aioresolve._dns._udp_c` (``recvmmsg``/``sendmmsg``, one system call
  per burst) or :mod:`aioresolve._dns._udp_py` (one call per datagram);
- the decoder, :func:`parse_response` / :func:`rdata_record`:
  ``aioresolve._dns._codec_c`` (:mod:`aioresolve._dns.codec` compiled by
  Cython from its own source, so it has the same semantics) or the codec itself;
- the engine's hot path, :class:`Core` (the first base of the engine),
  :class:`Query` and :class:`Rtt`: :mod:`aioresolve._dns._hot_c` (hand-written,
  typed Cython: C fields, the common answers decoded in C) or
  :mod:`aioresolve._dns._hot_py` (the reference).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._twins import built_from

__all__ = ["COMPILED", "NO_EXTENSIONS", "Core", "Query", "Rtt", "parse_response",
           "rdata_record", "recv_batch", "send_batch"]

#: Whether the pure-Python twins are forced (``AIORESOLVE_NO_EXTENSIONS``, or not CPython).
NO_EXTENSIONS: bool = bool(os.environ.get("AIORESOLVE_NO_EXTENSIONS")) or (
    sys.implementation.name != "cpython")

_compiled: list[str] = []


if not NO_EXTENSIONS:
    try:
        from ._udp_c import recv_batch, send_batch

        _compiled.append("udp")
    except ImportError:
        from ._udp_py import recv_batch, send_batch
    try:
        from . import _codec_c
        from ._codec_c import parse_response, rdata_record

        if not built_from(_codec_c, Path(__file__).parent / "codec.py"):
            raise ImportError("stale")
        _compiled.append("codec")
    except ImportError as exc:
        if str(exc) == "stale":  # logged (silent by default), never on a CLI's stderr
            logging.getLogger("aioresolve.speedups").warning(
                "the compiled codec was built from another codec.py; using the pure-Python "
                "one (rebuild: pip install -e .)")
        from .codec import parse_response, rdata_record
else:
    from ._udp_py import recv_batch, send_batch
    from .codec import parse_response, rdata_record


# The engine's hot path (``Core``, ``Query``, ``Rtt``) is picked on first use
# (PEP 562): both twins import the I/O and codec functions above from here.
if TYPE_CHECKING:
    from ._hot_py import Core, Query, Rtt

    #: The compiled twins in use: a subset of ``{"udp", "codec", "core"}``.
    COMPILED: frozenset[str]

_hot: dict[str, Any] = {}


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"COMPILED", "Core", "Query", "Rtt"})


def __getattr__(name: str) -> Any:
    if name not in ("COMPILED", "Core", "Query", "Rtt"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _hot:
        module: Any = None
        if not NO_EXTENSIONS:
            try:
                module = importlib.import_module(f"{__package__}._hot_c")
                _compiled.append("core")
            except ImportError:
                module = None
        if module is None:
            module = importlib.import_module(f"{__package__}._hot_py")
        _hot.update(Core=module.Core, Query=module.Query, Rtt=module.Rtt,
                    COMPILED=frozenset(_compiled))
        globals().update(_hot)
    return _hot[name]
