"""Defaults in one place: which backend, which nameservers, which hosts file.

The library (:class:`~aioresolve.Resolver`, the wire backend), bulk resolution,
the CLI and the testing server all ask this module, so that they agree on what
"no backend given" and "no nameservers given" mean:

- :func:`system_nameservers`: the ``nameserver`` lines of :data:`RESOLV_CONF`;
- :func:`default_backend_name`: ``"wire"`` when there are servers to ask
  (given, or listed in resolv.conf), else ``"system"``;
- :func:`backend_options`: the constructor options of a backend, with the
  nameservers filled in from resolv.conf for ``"wire"``;
- :func:`create_backend`: both of the above, and the backend itself;
- :func:`default_choice` / :func:`set_default_choice`: the process-wide
  backend (and options) of resolvers created without one, which
  :func:`aioresolve.set_default_backend` sets.

The wire backend asks resolv.conf's servers directly: it reads neither the
``search`` list nor ``ndots`` nor the hosts file, so a name is looked up as
given, fully qualified.  Use ``"system"`` (or ``"cares"``) where those matter.

This module reads files only when asked, never at import, and knows nothing of
the facade or of bulk runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._nameservers import read_resolv_conf

if TYPE_CHECKING:
    from ._backends.base import Backend

__all__ = [
    "HOSTS_FILE",
    "RESOLV_CONF",
    "backend_options",
    "create_backend",
    "default_backend_name",
    "default_choice",
    "hosts_entries",
    "search_domains",
    "set_default_choice",
    "system_nameservers",
]

#: Where the C library's resolver finds its nameservers (read at each call, so
#: tests may point it elsewhere with ``monkeypatch.setattr``).
RESOLV_CONF: str = "/etc/resolv.conf"

#: The hosts file the system and c-ares backends consult (the wire backend does not).
HOSTS_FILE: str = "/etc/hosts"

#: (backend name or None for the out-of-the-box default, its options): what
#: ``Resolver()`` without a backend uses; set by ``aioresolve.set_default_backend``.
_default_choice: tuple[str | None, dict[str, Any]] = (None, {})


def default_choice() -> tuple[str | None, dict[str, Any]]:
    """The backend name (``None``: the out-of-the-box default) and options of
    resolvers created without a backend."""
    return _default_choice


def set_default_choice(name: str | None, options: dict[str, Any]) -> None:
    """Set what :func:`default_choice` returns (no checks: the caller made them)."""
    global _default_choice
    _default_choice = (name, dict(options))


def system_nameservers(path: str | None = None) -> list[str]:
    """The nameservers the system's resolver asks.

    :param path: a resolv.conf file; ``None`` reads :data:`RESOLV_CONF`.
    :returns: the ``nameserver`` lines in order, as ``"ip"`` text (zone ids
        dropped), or ``[]`` where there are none or the file cannot be read.
    """
    try:
        return read_resolv_conf(path if path is not None else RESOLV_CONF)
    except OSError:
        return []


def search_domains(path: str | None = None) -> list[str]:
    """The search list of a resolv.conf file (its last ``search`` or ``domain``
    line, as the C library reads it); ``[]`` where there is none or the file
    cannot be read.

    :param path: a resolv.conf file; ``None`` reads :data:`RESOLV_CONF`.
    """
    domains: list[str] = []
    try:
        with open(path if path is not None else RESOLV_CONF, encoding="utf-8",
                  errors="replace") as f:
            for line in f:
                parts = line.split()
                if parts and parts[0] in ("search", "domain"):
                    domains = parts[1:]
    except OSError:
        return []
    return [d.rstrip(".") for d in domains if d.rstrip(".")]


def hosts_entries(path: str | None = None) -> list[tuple[str, str, list[str]]]:
    """The lines of a hosts file as ``(address, canonical name, aliases)``, in
    order (comments dropped); ``[]`` where it cannot be read.

    :param path: a hosts file; ``None`` reads :data:`HOSTS_FILE`.
    """
    entries = []
    try:
        with open(path if path is not None else HOSTS_FILE, encoding="utf-8",
                  errors="replace") as f:
            for line in f:
                parts = line.partition("#")[0].split()
                if len(parts) >= 2:
                    entries.append((parts[0], parts[1], parts[2:]))
    except OSError:
        return []
    return entries


def default_backend_name(nameservers: Sequence[str] | None = None) -> str:
    """The backend to use when none is named.

    ``"wire"``, aioresolve's own engine (the fastest, with TTLs), whenever there
    are servers to ask: ``nameservers`` given, or listed in :data:`RESOLV_CONF`.
    ``"system"`` (the C library) where resolv.conf lists none.
    """
    if isinstance(nameservers, str):
        raise TypeError("nameservers must be a list of strings, not a string")
    return "wire" if nameservers or system_nameservers() else "system"


def backend_options(
    name: str, nameservers: Sequence[str] | None = None, **options: Any
) -> dict[str, Any]:
    """The constructor options of backend ``name``: ``options``, plus the nameservers.

    - ``"wire"``: ``nameservers``, or else those of :data:`RESOLV_CONF`;
    - ``"cares"``: ``nameservers`` when given (c-ares otherwise reads the
      system configuration itself, search list and hosts file included);
    - ``"system"``: the C library cannot be pointed at servers.

    :raises ValueError: ``"wire"`` with no nameservers given and none in
        resolv.conf; ``"system"`` with nameservers.
    :raises TypeError: ``nameservers`` is a single string.
    """
    if isinstance(nameservers, str):
        raise TypeError("nameservers must be a list of strings, not a string")
    result = dict(options)
    if name == "system":
        if nameservers:
            raise ValueError(
                "the system backend cannot be pointed at servers; use backend='cares' or 'wire'"
            )
        return result
    if name == "wire" and not nameservers and not result.get("resolvconf_path"):
        nameservers = system_nameservers()
        if not nameservers:
            raise ValueError(
                f"the wire backend needs nameservers=[...]: none were given and "
                f"{RESOLV_CONF} lists none (or cannot be read)"
            )
    if nameservers:
        result["nameservers"] = list(nameservers)
    return result


def create_backend(
    name: str | None = None, *, nameservers: Sequence[str] | None = None, **options: Any
) -> Backend:
    """Create a backend with the defaults above.

    :param name: ``"system"``, ``"cares"`` or ``"wire"``; ``None`` takes
        :func:`default_backend_name`.
    :param nameservers: ``"ip"``, ``"ip:port"`` or ``"[v6]:port"`` strings.
    :param options: passed to the backend's constructor.
    :raises ValueError: unknown backend name, or see :func:`backend_options`.
    :raises BackendUnavailable: the backend's optional dependency is missing.
    """
    from ._backends import backend_class  # the registry imports backends lazily

    if name is None:
        name = default_backend_name(nameservers)
    cls = backend_class(name)
    return cls(**backend_options(name, nameservers, **options))
