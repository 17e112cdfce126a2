"""Deprecated: :class:`aioresolve.Resolver` itself runs under asyncio and trio.

``aioresolve.anyio.Resolver`` used to be a second resolver for anyio code.
It is now the one :class:`aioresolve.Resolver` (the running library is
detected per call with sniffio), kept under this name for old imports, which
get a :class:`DeprecationWarning`.  What changed for its users:

* ``max_threads=`` is ``pool_size=`` (the system backend's option);
* the resolver no longer has to be entered (``async with`` still works and
  closes it); it has every method of :class:`aioresolve.Resolver`
  (``close``, ``reverse``, ``getserv*``, ``getprotobyname`` …);
* a lookup is never run in a task of the resolver: it runs in the caller's task.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

__all__ = ["Resolver"]

if TYPE_CHECKING:
    from ._api import Resolver as Resolver


def __getattr__(name: str) -> Any:
    if name == "Resolver":
        warnings.warn(
            "aioresolve.anyio.Resolver is aioresolve.Resolver, which runs under asyncio "
            "and trio; import it from aioresolve (max_threads= is now pool_size=)",
            DeprecationWarning,
            stacklevel=2,
        )
        from ._api import Resolver

        return Resolver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
