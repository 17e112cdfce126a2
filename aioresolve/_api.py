"""The facade's public names, from the modules that define them.

- :mod:`aioresolve._resolver`: :class:`Resolver` (the socket mirror and
  record queries);
- :mod:`aioresolve._lookup`: how one lookup runs (deadline, cache, asyncio or
  trio, threads), the base of :class:`Resolver`;
- :mod:`aioresolve._bridge`: asyncio-only backends under trio;
- :mod:`aioresolve._default`: the default resolver and the module-level
  coroutines (``aioresolve.getaddrinfo`` ...).

Kept so that ``from aioresolve._api import Resolver`` (bulk, the CLI, the
testing server) keeps working; the package itself imports from the modules
above.
"""

from __future__ import annotations

from ._default import (
    get_default_resolver,
    getaddrinfo,
    getfqdn,
    gethostbyaddr,
    gethostbyname,
    gethostbyname_ex,
    gethostname,
    getnameinfo,
    getprotobyname,
    getservbyname,
    getservbyport,
    query,
    reverse,
    set_default_backend,
    set_default_resolver,
)
from ._resolver import Resolver

__all__ = [
    "Resolver",
    "get_default_resolver",
    "set_default_backend",
    "set_default_resolver",
    "gethostname",
    "gethostbyname",
    "gethostbyname_ex",
    "getfqdn",
    "gethostbyaddr",
    "getservbyname",
    "getservbyport",
    "getprotobyname",
    "getaddrinfo",
    "getnameinfo",
    "query",
    "reverse",
]
