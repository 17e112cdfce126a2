"""aioresolve: asyncio-native name resolution.

An async mirror of the :mod:`socket` module's lookups (add ``await``, nothing
else), DNS record queries with TTLs, and bulk resolution of large host lists.
"""

from __future__ import annotations

from socket import inet_aton as inet_aton
from socket import inet_ntoa as inet_ntoa
from socket import inet_ntop as inet_ntop
from socket import inet_pton as inet_pton

from ._api import Resolver as Resolver
from ._api import get_default_resolver as get_default_resolver
from ._api import getaddrinfo as getaddrinfo
from ._api import getfqdn as getfqdn
from ._api import gethostbyaddr as gethostbyaddr
from ._api import gethostbyname as gethostbyname
from ._api import gethostbyname_ex as gethostbyname_ex
from ._api import gethostname as gethostname
from ._api import getnameinfo as getnameinfo
from ._api import getprotobyname as getprotobyname
from ._api import getservbyname as getservbyname
from ._api import getservbyport as getservbyport
from ._api import query as query
from ._api import reverse as reverse
from ._api import set_default_backend as set_default_backend
from ._api import set_default_resolver as set_default_resolver
from ._backends.base import AddrInfo as AddrInfo
from ._backends.base import Backend as Backend
from ._backends.base import HostEntry as HostEntry
from ._backends.base import SockAddr as SockAddr
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
from ._records import Answer as Answer
from ._records import Record as Record
from .bulk import Result as Result
from .bulk import Status as Status
from .bulk import resolve_all as resolve_all
from .bulk import resolve_many as resolve_many
from .cache import CacheConfig as CacheConfig
from .cache import CacheInfo as CacheInfo

__version__ = "0.1.0"

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
    "ServFail",
    "SockAddr",
    "Timeout",
    "Truncated",
    "Result",
    "Status",
    "get_default_resolver",
    "resolve_all",
    "resolve_many",
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
    "reverse",
    "set_default_backend",
    "set_default_resolver",
]
