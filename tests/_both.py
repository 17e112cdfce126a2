"""``on_both``: one ``async def`` test body run under asyncio and under trio
(through ``anyio.run``), for the tests of behaviour that is the same on both."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

__all__ = ["on_both"]


def on_both(body: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Turn ``async def test_x(fixtures...)`` into a sync test run by
    ``anyio.run`` under asyncio and under trio (parameter ``library``)."""
    signature = inspect.signature(body)

    def test(library: str, **fixtures: Any) -> None:
        if "library" in signature.parameters:
            fixtures["library"] = library
        anyio.run(functools.partial(body, **fixtures), backend=library)

    params = [inspect.Parameter("library", inspect.Parameter.KEYWORD_ONLY)] + [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in signature.parameters.values() if p.name != "library"
    ]
    test.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    test.__name__ = test.__qualname__ = body.__name__
    test.__doc__ = body.__doc__
    marked: Callable[..., None] = pytest.mark.parametrize("library", ["asyncio", "trio"])(test)
    return marked
