"""A pytest plugin that runs the codec's own tests against its compiled twin.

``python -m pytest -p tests.compiled_codec tests/test_codec.py ...`` makes
``aioresolve._dns.codec`` *be* ``aioresolve._dns._codec_c`` (the same source,
compiled by Cython; see setup.py) before any test module imports it, so every
codec test, hypothesis and hostile ones included, checks the compiled decoder
too.  Without the compiled twin (no compiler, or ``AIORESOLVE_NO_EXTENSIONS``)
the session fails at start, loudly, rather than testing the reference twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import aioresolve._dns
import aioresolve._dns.codec as _reference
from aioresolve._twins import built_from

try:
    from aioresolve._dns import _codec_c
except ImportError as exc:  # pragma: no cover - depends on the build
    raise pytest.UsageError(
        f"tests.compiled_codec: the compiled codec is not built ({exc}); "
        "run `pip install -e .` with a C compiler, or drop -p tests.compiled_codec"
    ) from None

if not built_from(_codec_c, Path(_reference.__file__)):
    raise pytest.UsageError("tests.compiled_codec: the compiled codec was built from another "
                            "codec.py; rebuild it (pip install -e .)")
assert _codec_c.ParseError is _reference.ParseError  # one error class for both twins
sys.modules["aioresolve._dns.codec"] = _codec_c
aioresolve._dns.codec = _codec_c  # type: ignore[assignment]


def pytest_report_header() -> str:
    return f"aioresolve codec under test: compiled twin {_codec_c.__file__}"
