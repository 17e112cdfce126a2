"""aioresolve: asyncio-native name resolution.

An async mirror of the :mod:`socket` module's lookups (add ``await``, nothing
else), DNS record queries with TTLs, and bulk resolution of large host lists.

Importing the package is cheap: every public name is loaded on first use
(:pep:`562` module ``__getattr__``), so ``import aioresolve`` loads neither
the facade, the bulk engine, the cache nor dnspython until a name that needs
them is touched.  ``from aioresolve import Resolver`` loads what ``Resolver``
needs, and no more.

The library logs on the ``logging.getLogger("aioresolve")`` hierarchy and is
silent by default (a :class:`logging.NullHandler`, as the logging HOWTO asks
of libraries).
"""

from __future__ import annotations

import importlib
import logging
from socket import inet_aton as inet_aton
from socket import inet_ntoa as inet_ntoa
from socket import inet_ntop as inet_ntop
from socket import inet_pton as inet_pton
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time, __getattr__ below
    from . import bulk as bulk
    from . import records as records
    from ._backends.base import AddrInfo as AddrInfo
    from ._backends.base import Backend as Backend
    from ._backends.base import HostEntry as HostEntry
    from ._backends.base import SockAddr as SockAddr
    from ._default import get_default_resolver as get_default_resolver
    from ._default import getaddrinfo as getaddrinfo
    from ._default import getfqdn as getfqdn
    from ._default import gethostbyaddr as gethostbyaddr
    from ._default import gethostbyname as gethostbyname
    from ._default import gethostbyname_ex as gethostbyname_ex
    from ._default import gethostname as gethostname
    from ._default import getnameinfo as getnameinfo
    from ._default import getprotobyname as getprotobyname
    from ._default import getservbyname as getservbyname
    from ._default import getservbyport as getservbyport
    from ._default import query as query
    from ._default import reverse as reverse
    from ._default import set_default_backend as set_default_backend
    from ._default import set_default_resolver as set_default_resolver
    from ._dns.stream import Stream as Stream
    from ._dns.stream import StreamResult as StreamResult
    from ._errors import BackendUnavailable as BackendUnavailable
    from ._errors import ConnectionRefused as ConnectionRefused
    from ._errors import FormErr as FormErr
    from ._errors import IllegalName as IllegalName
    from ._errors import NetworkError as NetworkError
    from ._errors import NoData as NoData
    from ._errors import NXDomain as NXDomain
    from ._errors import Refused as Refused
    from ._errors import ResolveError as ResolveError
    from ._errors import ResolverClosed as ResolverClosed
    from ._errors import ServFail as ServFail
    from ._errors import Timeout as Timeout
    from ._errors import Truncated as Truncated
    from ._resolver import Resolver as Resolver
    from .bulk import Result as Result
    from .bulk import Status as Status
    from .bulk import resolve_all as resolve_all
    from .bulk import resolve_many as resolve_many
    from .bulk import stream as stream
    from .cache import CacheConfig as CacheConfig
    from .cache import CacheInfo as CacheInfo
    from .records import Answer as Answer
    from .records import Record as Record

#: Public name -> the module (relative to this package) that defines it.
#: Keep in step with the ``TYPE_CHECKING`` block above and ``__all__`` below
#: (tests/test_init.py checks all three agree).
_LAZY: dict[str, str] = {
    "Resolver": "._resolver",
    **dict.fromkeys(
        (
            "get_default_resolver",
            "getaddrinfo",
            "getfqdn",
            "gethostbyaddr",
            "gethostbyname",
            "gethostbyname_ex",
            "gethostname",
            "getnameinfo",
            "getprotobyname",
            "getservbyname",
            "getservbyport",
            "query",
            "reverse",
            "set_default_backend",
            "set_default_resolver",
        ),
        "._default",
    ),
    **dict.fromkeys(("AddrInfo", "Backend", "HostEntry", "SockAddr"), "._backends.base"),
    **dict.fromkeys(
        (
            "BackendUnavailable",
            "ConnectionRefused",
            "FormErr",
            "IllegalName",
            "NetworkError",
            "NoData",
            "NXDomain",
            "Refused",
            "ResolveError",
            "ResolverClosed",
            "ServFail",
            "Timeout",
            "Truncated",
        ),
        "._errors",
    ),
    **dict.fromkeys(("Answer", "Record"), ".records"),
    **dict.fromkeys(("Result", "Status", "resolve_all", "resolve_many", "stream"), ".bulk"),
    **dict.fromkeys(("Stream", "StreamResult"), "._dns.stream"),
    **dict.fromkeys(("CacheConfig", "CacheInfo"), ".cache"),
}


#: Public submodules that ``aioresolve.<name>`` imports on first use, so that
#: ``import aioresolve`` is enough to reach ``aioresolve.records.MX``.
_SUBMODULES = frozenset({"bulk", "records"})


def __getattr__(name: str) -> Any:
    """Load a public name on first use (:pep:`562`) and keep it as a global."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)  # the import sets the global
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value  # later lookups are plain global reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})


__all__ = [
    "AddrInfo",
    "Answer",
    "Backend",
    "BackendUnavailable",
    "CacheConfig",
    "CacheInfo",
    "ConnectionRefused",
    "FormErr",
    "HostEntry",
    "IllegalName",
    "NXDomain",
    "NetworkError",
    "NoData",
    "Record",
    "Refused",
    "ResolveError",
    "Resolver",
    "ResolverClosed",
    "Result",
    "ServFail",
    "SockAddr",
    "Status",
    "Stream",
    "StreamResult",
    "Timeout",
    "Truncated",
    "get_default_resolver",
    "getaddrinfo",
    "getfqdn",
    "gethostbyaddr",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostname",
    "getnameinfo",
    "getprotobyname",
    "getservbyname",
    "getservbyport",
    "inet_aton",
    "inet_ntoa",
    "inet_ntop",
    "inet_pton",
    "query",
    "resolve_all",
    "resolve_many",
    "reverse",
    "set_default_backend",
    "set_default_resolver",
    "stream",
]
