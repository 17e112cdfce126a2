"""Resolver backends behind one interface (:class:`~aioresolve._backends.base.Backend`).

Backends are imported lazily, so an optional dependency that is missing
(pycares for ``"cares"``) only matters to the resolver that asks for it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .._errors import BackendUnavailable
from .base import Backend

__all__ = ["BACKENDS", "Backend", "backend_class", "create_backend"]

#: name -> (module, class, pip extra that provides its dependencies)
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "system": ("aioresolve._backends.system", "SystemBackend", None),
    "cares": ("aioresolve._backends.cares", "CaresBackend", "cares"),
    "wire": ("aioresolve._backends.wire", "WireBackend", None),
}


def backend_class(name: str) -> type[Backend]:
    """Import and return the backend class registered as ``name``.

    :raises ValueError: no backend has that name.
    :raises BackendUnavailable: its optional dependency is not installed.
    """
    try:
        module_name, class_name, extra = BACKENDS[name]
    except KeyError:
        known = ", ".join(repr(n) for n in BACKENDS)
        raise ValueError(f"unknown backend {name!r}; choose one of {known}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f" (pip install 'aioresolve[{extra}]')" if extra else ""
        raise BackendUnavailable(
            f"the {name!r} backend cannot be loaded: {exc}{hint}", backend=name
        ) from exc
    cls: type[Backend] = getattr(module, class_name)
    return cls


def create_backend(name: str, **options: Any) -> Backend:
    """Create the backend registered as ``name`` with ``options``."""
    return backend_class(name)(**options)
