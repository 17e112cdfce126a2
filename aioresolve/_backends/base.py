"""The backend interface: what the facade asks of every resolver backend.

The facade (``aioresolve._api``) validates and normalises input once, before
any backend runs: type checks as :mod:`socket` does them, IDNA encoding of
text host names, and the numeric fast path (IP literals and numeric ports never
reach a backend).  A backend therefore receives host names as A-label
:class:`bytes` and implements the lookups themselves.

Contract for the socket-mirroring methods: results are shaped exactly as the
:mod:`socket` function of the same name returns them, and failures raise what
that function would raise (``socket.gaierror`` / ``socket.herror`` with the
same errno and message).  Timeouts are applied by the facade; a backend only
needs to be cancellable.

Record queries (:meth:`Backend.query`) return an :class:`~aioresolve.Answer`
or raise a :class:`~aioresolve.ResolveError` subclass.

Capabilities beyond the socket mirror, each a typed method with a default, so
that the cache, bulk and the CLI never probe a backend with ``getattr``:

- **TTLs**: the ``*_with_ttl`` methods (:meth:`Backend.getaddrinfo_with_ttl`,
  :meth:`Backend.gethostbyname_with_ttl`, :meth:`Backend.gethostbyname_ex_with_ttl`,
  :meth:`Backend.query_with_ttl`) return ``(result, ttl)``: how long the result
  may be cached, or ``None`` when the backend does not know (the defaults say
  so).  A failure the backend knows may be cached (NXDOMAIN or no data, with
  the zone's SOA: RFC 2308) is raised as :class:`NegativeAnswer` around the
  error the plain method would raise; for record queries the
  :class:`~aioresolve.NXDomain`/:class:`~aioresolve.NoData` error itself
  carries ``soa``/``negative_ttl``, so :meth:`Backend.query_with_ttl` raises
  it as it is.
- **Nameservers**: :attr:`Backend.nameservers`, the servers it asks as
  ``"ip:port"`` text (empty where it does not choose them itself).
- **Streams**: :meth:`Backend.stream_engine`, the wire engine that
  :mod:`aioresolve.bulk` and ``query_stream`` feed directly, or ``None``.
- **Queries begun without a coroutine**: where :attr:`Backend.begins_queries`
  is true, :meth:`Backend.begin_query` starts a record query and reports its
  outcome to a callback, and :meth:`Backend.cancel_query` forgets it.  The
  Resolver's cache then drives the query itself (its store runs in that
  callback, the caller awaits one future), so an uncached query in flight keeps
  one coroutine frame alive instead of three (the wire and c-ares backends
  have it).
"""

from __future__ import annotations

import abc
import asyncio
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeAlias, TypeVar

from .._errors import BackendUnavailable
from .._records import Answer

if TYPE_CHECKING:
    from .._dns.engine import Engine

__all__ = [
    "AddrInfo", "Backend", "HostEntry", "NegativeAnswer", "SockAddr", "Timed", "TimedLookups",
]

T = TypeVar("T")

#: A socket address: ``(host, port)`` or ``(host, port, flowinfo, scope_id)``;
#: ``(int, bytes)`` only where Python was built without IPv6 support (as typeshed has it).
SockAddr: TypeAlias = tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes]
#: One entry of a :func:`socket.getaddrinfo` result.
AddrInfo: TypeAlias = tuple[socket.AddressFamily, socket.SocketKind, int, str, SockAddr]
#: ``(hostname, aliaslist, ipaddrlist)`` as :func:`socket.gethostbyname_ex` returns it.
HostEntry: TypeAlias = tuple[str, list[str], list[str]]
#: A result and the seconds it may be cached (``None``: unknown, so only a
#: configured fixed TTL applies).
Timed: TypeAlias = tuple[T, "float | None"]


class NegativeAnswer(Exception):
    """Raised by a ``*_with_ttl`` lookup for a failure that may be cached.

    The name does not exist or has no address of the family asked, and the
    backend knows for how long from the zone's SOA (RFC 2308 §5: the smaller
    of the SOA record's TTL and its MINIMUM field).  Whoever calls the
    ``*_with_ttl`` methods (the cache) raises :attr:`error` to its own caller;
    it never reaches user code.

    :ivar error: what the plain lookup raises (``socket.gaierror`` or
        ``socket.herror``), unchanged.
    :ivar ttl: seconds the failure may be cached.
    """

    def __init__(self, error: OSError, ttl: float) -> None:
        super().__init__(error, ttl)
        self.error = error
        self.ttl = ttl


class Backend(abc.ABC):
    """A way of resolving names.  Subclasses implement the abstract methods.

    Backends are created by :class:`~aioresolve.Resolver` and closed by it;
    they may be used from one event loop at a time.
    """

    #: Short name used in errors, results and ``Resolver(backend=...)``.
    name: ClassVar[str] = "abstract"

    #: Whether :meth:`query` returns real TTLs (:meth:`query_with_ttl` relies on this).
    provides_ttl: ClassVar[bool] = False

    #: The async libraries (sniffio names) this backend runs under; the facade
    #: refuses others with :class:`~aioresolve.BackendUnavailable`.
    async_libraries: ClassVar[frozenset[str]] = frozenset({"asyncio"})

    #: Whether :meth:`begin_query` and :meth:`cancel_query` are implemented
    #: (then the Resolver's cache uses them for record queries under asyncio
    #: instead of awaiting :meth:`query_with_ttl`).
    begins_queries: ClassVar[bool] = False

    @property
    def nameservers(self) -> list[str]:
        """The servers this backend asks, as ``"ip:port"`` / ``"[v6]:port"``
        text, in order; empty where the backend does not pick them itself
        (the C library, or c-ares reading the system configuration)."""
        return []

    def stream_engine(self) -> Engine | None:
        """The wire engine of the running loop, for callers that feed it many
        names directly (bulk runs, ``query_stream``); ``None`` (the default)
        for backends without one, which then get one awaited lookup per name."""
        return None

    @abc.abstractmethod
    async def getaddrinfo(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> list[AddrInfo]:
        """Like :func:`socket.getaddrinfo`; ``host`` is an A-label or ``None``."""

    @abc.abstractmethod
    async def getnameinfo(self, sockaddr: SockAddr, flags: int) -> tuple[str, str]:
        """Like :func:`socket.getnameinfo`."""

    @abc.abstractmethod
    async def gethostbyname_ex(self, host: bytes) -> HostEntry:
        """Like :func:`socket.gethostbyname_ex` (IPv4 only)."""

    @abc.abstractmethod
    async def gethostbyaddr(self, host: bytes) -> HostEntry:
        """Like :func:`socket.gethostbyaddr`: ``host`` may be an address or a name."""

    async def gethostbyname(self, host: bytes) -> str:
        """Like :func:`socket.gethostbyname`.

        The default follows CPython: the first IPv4 address of
        ``getaddrinfo(host, None, AF_INET)``.
        """
        infos = await self.getaddrinfo(host, None, socket.AF_INET, 0, 0, 0)
        return str(infos[0][4][0])

    async def query(self, name: str, rtype: str) -> Answer:
        """Look up records of type ``rtype`` (a canonical mnemonic such as
        ``"MX"``) at ``name`` (an A-label name without trailing dot).

        :raises BackendUnavailable: the backend cannot make record queries.
        """
        raise self.unavailable(name, rtype)

    def unavailable(self, name: str, rtype: str) -> BackendUnavailable:
        """The error of a record query of type ``rtype`` this backend cannot make."""
        return BackendUnavailable(
            f"the {self.name!r} backend cannot make {rtype} record queries; "
            "use backend='cares' or backend='wire'",
            host=name,
            rtype=rtype,
            backend=self.name,
        )

    # -- lookups with TTLs (the cache's side of the contract) ------------------

    async def getaddrinfo_with_ttl(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> Timed[list[AddrInfo]]:
        """:meth:`getaddrinfo` and the smallest TTL of the records behind it.

        The default reports no TTL.  A backend that knows TTLs returns them and
        raises :class:`NegativeAnswer` for a cacheable failure.
        """
        return await self.getaddrinfo(host, port, family, type, proto, flags), None

    async def gethostbyname_with_ttl(self, host: bytes) -> Timed[str]:
        """:meth:`gethostbyname` and its TTL (see :meth:`getaddrinfo_with_ttl`)."""
        return await self.gethostbyname(host), None

    async def gethostbyname_ex_with_ttl(self, host: bytes) -> Timed[HostEntry]:
        """:meth:`gethostbyname_ex` and its TTL (see :meth:`getaddrinfo_with_ttl`)."""
        return await self.gethostbyname_ex(host), None

    async def query_with_ttl(self, name: str, rtype: str) -> Timed[Answer]:
        """:meth:`query` and the answer's TTL when :attr:`provides_ttl` says it
        is real.  Negative answers raise the :class:`~aioresolve.NXDomain` /
        :class:`~aioresolve.NoData` of :meth:`query`, whose ``soa`` and
        ``negative_ttl`` say how long they may be cached."""
        answer = await self.query(name, rtype)
        return answer, (answer.ttl if self.provides_ttl else None)

    def begin_query(
        self, name: str, rtype: str, done: Callable[[Answer | BaseException], object],
        loop: asyncio.AbstractEventLoop,
    ) -> object:
        """Start the record query that :meth:`query` makes, without awaiting it
        (only where :attr:`begins_queries` is true; the default raises
        :class:`NotImplementedError`).

        ``done(outcome)`` is called exactly once, on the running event loop's
        thread, with the :class:`~aioresolve.Answer` or with the exception
        :meth:`query` would raise (an ``NXDomain``/``NoData`` carrying its
        ``soa``/``negative_ttl``; ``ResolverClosed`` when the backend closes
        meanwhile), unless :meth:`cancel_query` was called first.  It may be
        called before ``begin_query`` returns.  ``loop`` is the running
        loop, the caller's (asking asyncio for it costs a system call on
        CPython 3.11, see :func:`aioresolve._runtime.running_loop`).  What :meth:`query` raises
        before asking (``IllegalName``, ``ResolverClosed``) is raised here,
        and ``done`` is then not called.

        :returns: a handle for :meth:`cancel_query`.
        """
        raise NotImplementedError(f"the {self.name!r} backend does not begin queries")

    def cancel_query(self, handle: object) -> None:
        """Forget the query :meth:`begin_query` returned ``handle`` for: its
        ``done`` is not called (a cancelled caller; nothing more is sent for it)."""
        raise NotImplementedError(f"the {self.name!r} backend does not begin queries")

    async def aclose(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release sockets and threads.  Lookups still running fail with
        :class:`~aioresolve.ResolverClosed`."""

    async def release_loop(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release what belongs to the running event loop (sockets it watches,
        timers), which is about to end; the backend stays open and makes them
        anew on the next use.  Called on a trio run's private asyncio loop
        (:mod:`aioresolve._bridge`) when the run ends."""


class TimedLookups(Backend):
    """A backend whose address lookups know their TTLs (wire, c-ares).

    It implements :meth:`getaddrinfo_with_ttl` and
    :meth:`gethostbyname_ex_with_ttl`; the plain socket-style methods are the
    same lookups without the TTL, a cacheable failure
    (:class:`NegativeAnswer`) raised as the error it carries.
    """

    @abc.abstractmethod
    async def getaddrinfo_with_ttl(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> Timed[list[AddrInfo]]:
        """:meth:`getaddrinfo` and the smallest TTL of the records behind it;
        raises :class:`NegativeAnswer` for a cacheable failure."""

    @abc.abstractmethod
    async def gethostbyname_ex_with_ttl(self, host: bytes) -> Timed[HostEntry]:
        """:meth:`gethostbyname_ex` and its TTL (see :meth:`getaddrinfo_with_ttl`)."""

    async def gethostbyname_with_ttl(self, host: bytes) -> Timed[str]:
        """As CPython's gethostbyname: the first IPv4 address of
        ``getaddrinfo(host, None, AF_INET)``, and its TTL."""
        infos, ttl = await self.getaddrinfo_with_ttl(host, None, socket.AF_INET, 0, 0, 0)
        return str(infos[0][4][0]), ttl

    async def getaddrinfo(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> list[AddrInfo]:
        try:
            return (await self.getaddrinfo_with_ttl(host, port, family, type, proto, flags))[0]
        except NegativeAnswer as negative:
            raise negative.error from None

    async def gethostbyname(self, host: bytes) -> str:
        try:
            return (await self.gethostbyname_with_ttl(host))[0]
        except NegativeAnswer as negative:
            raise negative.error from None

    async def gethostbyname_ex(self, host: bytes) -> HostEntry:
        try:
            return (await self.gethostbyname_ex_with_ttl(host))[0]
        except NegativeAnswer as negative:
            raise negative.error from None
