"""Differences between the Python versions we support (3.10+)."""

from __future__ import annotations

import sys

__all__ = ["timeout"]

if sys.version_info >= (3, 11):
    from asyncio import timeout
else:  # pragma: no cover - Python 3.10
    # asyncio.wait_for before 3.12 can swallow a cancellation that arrives as the
    # inner call finishes (bpo-42130): a bulk worker then ignores aclose() and the
    # run never ends (seen on 3.10 in tests/test_bulk.py).  async-timeout is the
    # backport of asyncio.timeout, by the same authors.
    from async_timeout import timeout
