"""The :class:`Resolver`: the socket mirror and record queries over one backend.

Every coroutine here has the name, arguments, results and exceptions of the
:mod:`socket` function it mirrors; the only additions are that it must be
awaited and takes a keyword-only ``timeout=`` (seconds; ``None`` waits as long
as the backend does).  An expired timeout raises :class:`aioresolve.Timeout`,
a subclass of the built-in :class:`TimeoutError`.

Input is checked and normalised here, once, before any backend runs, and the
checks are the stdlib's own (:mod:`aioresolve._prepare`).  Only what that
cannot answer goes to the backend, as A-label bytes, through
:meth:`~aioresolve._lookup.LookupRunner._lookup` (deadline, cache, asyncio or
trio).
"""

from __future__ import annotations

import asyncio
import functools
import socket
from types import TracebackType
from typing import Any, Literal, overload

from . import _config
from ._backends.base import AddrInfo, Backend, HostEntry, SockAddr
from ._errors import ResolverClosed, Timeout
from ._lookup import ANY_PROTOCOL, LookupRunner, given, reverse_name, timeout_error, untimed
from ._miss import PLAIN_RTYPES, abandon, begin_query, run_query
from ._names import check_rtype, to_alabel
from ._prepare import (
    encode_hostname,
    fqdn_lookup_name,
    getaddrinfo_request,
    gethostbyname_ex_request,
    gethostbyname_request,
    getnameinfo_answer,
    pick_fqdn,
)
from ._records import (
    AAAA,
    CAA,
    CNAME,
    HTTPS,
    MX,
    NAPTR,
    NS,
    PTR,
    SOA,
    SRV,
    SVCB,
    TLSA,
    TXT,
    URI,
    A,
    Answer,
    Record,
)
from ._runtime import running_loop
from .cache import CacheConfig, CacheInfo, LookupCache

__all__ = ["Resolver"]


class Resolver(LookupRunner):
    """Resolves names through one backend, with shared options, under asyncio or trio.

    :param backend: ``"system"`` (the C library, in a thread pool of its own),
        ``"cares"`` (c-ares, no threads), ``"wire"`` (aioresolve's own DNS
        client), a :class:`Backend` instance, or ``None`` for the process-wide
        default set by :func:`set_default_backend`.  Out of the box that is
        ``"system"``, the C library (exactly what :mod:`socket` gives), which
        asks record types other than A and AAAA of the nameservers listed in
        ``/etc/resolv.conf``; ``nameservers=[...]`` without a backend name
        picks ``"wire"``.
    :param timeout: default ``timeout=`` of every lookup, in seconds; ``None``
        (the default) leaves it to the backend, as :mod:`socket` does.
    :param cache: ``True`` (default) caches answers whose TTL is known (record
        queries and, where the backend reports TTLs, address lookups; nothing of
        the system backend), a :class:`~aioresolve.cache.CacheConfig` to tune it
        (e.g. ``fixed_ttl=`` for the system backend), ``False`` for no cache.
    :param coalesce: identical lookups running at the same time share one
        query (default ``True``); see :mod:`aioresolve.cache`.
    :param backend_options: passed to the backend, e.g. ``pool_size=`` for
        ``"system"`` or ``nameservers=`` for ``"cares"`` and ``"wire"``.

    Use it as an async context manager, or call :meth:`close`.  Lookups in
    flight when it closes, and lookups after, raise
    :class:`~aioresolve.ResolverClosed`.

    The same resolver, with the same methods and parameters, works under
    asyncio and trio (the running library is detected per call).  Under trio
    every call is a checkpoint and cancellation follows trio's rules; the
    ``"system"`` backend runs libc in trio's worker threads (at most
    ``pool_size`` at once), and ``"cares"`` and ``"wire"`` (asyncio
    backends) run on a private asyncio loop in one thread of the resolver's,
    started at its first lookup under trio and stopped by :meth:`close` or
    at the end of the trio run.
    """

    def __init__(
        self,
        backend: str | Backend | None = None,
        *,
        timeout: float | None = None,
        cache: bool | CacheConfig = True,
        coalesce: bool = True,
        **backend_options: Any,
    ) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be positive or None, not {timeout!r}")
        if isinstance(backend, Backend):
            if backend_options:
                raise TypeError("backend options cannot be given with a Backend instance")
            self.backend = backend
        else:
            if backend is None:
                backend, defaults = _config.default_choice()
                backend_options = {**defaults, **backend_options}
            if backend is None and "nameservers" not in backend_options:
                # The out-of-the-box default: libc, for exact parity with socket;
                # it asks record types other than A/AAAA of resolv.conf's servers.
                backend = "system"
            # nameservers= without a backend name: the wire backend (see _config).
            self.backend = _config.create_backend(backend, **backend_options)
        self.timeout = timeout
        self._closed = False
        config = CacheConfig() if cache is True else (cache or None)
        self._lookups = LookupCache(
            config, backend_provides_ttl=self.backend.provides_ttl, coalesce=coalesce,
            spawn=self._spawn, closed_error=self._closed_error,
        )
        self._cache_active = self._lookups.active
        #: Record queries take LookupCache.run_query (see query).
        self._begins = self._cache_active and self.backend.begins_queries
        if self._begins:  # ... and those without a timeout begin_query
            self._lookups._begin_backend = self.backend
        self._init_runner()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Resolver backend={self.backend.name!r} timeout={self.timeout!r} {state}>"

    # -- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> Resolver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    async def close(self) -> None:
        """Close the backend.  Lookups in flight fail with
        :class:`~aioresolve.ResolverClosed`.  Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._lookups.closed = True  # lookups in flight through the cache now fail
        await self._close_runner()

    aclose = close

    # -- cache ---------------------------------------------------------------

    def cache_info(self) -> CacheInfo:
        """Hits, misses, coalesced lookups, evictions and size of the cache."""
        return self._lookups.info()

    def flush(self) -> None:
        """Empty the cache.  Lookups in flight are not disturbed."""
        self._lookups.flush()

    # -- the socket mirror ---------------------------------------------------

    async def gethostname(self, *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.gethostname` (a system call, answered at once)."""
        self._check_open()
        return await self._literal(socket.gethostname())

    async def gethostbyname(self, hostname: str, /, *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.gethostbyname`, except that it is async."""
        name = gethostbyname_request(hostname)
        if isinstance(name, str):
            return await self._literal(name)  # a literal: no lookup
        backend = self.backend
        return await self._lookup(
            backend, ("gethostbyname", name), backend.gethostbyname_with_ttl,
            backend.gethostbyname, timeout, ("gethostbyname", (hostname,)),
        )

    async def gethostbyname_ex(
        self, hostname: str, /, *, timeout: float | None = None
    ) -> HostEntry:
        """Identical to :func:`socket.gethostbyname_ex`, except that it is async."""
        name = gethostbyname_ex_request(hostname)
        if isinstance(name, tuple):
            return await self._literal(name)  # a literal: no lookup
        backend = self.backend
        return await self._lookup(
            backend, ("gethostbyname_ex", name), backend.gethostbyname_ex_with_ttl,
            backend.gethostbyname_ex, timeout, ("gethostbyname_ex", (hostname,)),
        )

    async def gethostbyaddr(self, ip_address: str, /, *, timeout: float | None = None) -> HostEntry:
        """Identical to :func:`socket.gethostbyaddr`, except that it is async.

        As in :mod:`socket`, ``ip_address`` may also be a host name, which is
        resolved first and its address then looked up in reverse.
        """
        name = encode_hostname(ip_address, "gethostbyaddr")
        backend = self.backend
        return await self._lookup(
            backend, ("gethostbyaddr", name), functools.partial(untimed, backend.gethostbyaddr),
            backend.gethostbyaddr, timeout, ("gethostbyaddr", (ip_address,)),
        )

    async def getfqdn(self, name: str = "", *, timeout: float | None = None) -> str:
        """Identical to :func:`socket.getfqdn`, except that it is async.

        As there, failures are not raised: the name is returned unchanged.
        A ``timeout`` that expires counts as such a failure.
        """
        # The same algorithm as the stdlib's socket.getfqdn (pure Python there).
        name = fqdn_lookup_name(name)
        try:
            hostname, aliases, _ = await self.gethostbyaddr(name, timeout=timeout)
        except ResolverClosed:
            raise
        except (OSError, Timeout):
            return name
        return pick_fqdn(hostname, aliases)

    async def getservbyname(
        self, servicename: str, protocolname: str = ANY_PROTOCOL, /, *,
        timeout: float | None = None,
    ) -> int:
        """Identical to :func:`socket.getservbyname`, except that it is async."""
        return await self._nss(socket.getservbyname, given(servicename, protocolname), timeout)

    async def getservbyport(
        self, port: int, protocolname: str = ANY_PROTOCOL, /, *, timeout: float | None = None
    ) -> str:
        """Identical to :func:`socket.getservbyport`, except that it is async."""
        return await self._nss(socket.getservbyport, given(port, protocolname), timeout)

    async def getprotobyname(self, protocolname: str, /, *, timeout: float | None = None) -> int:
        """Identical to :func:`socket.getprotobyname`, except that it is async."""
        return await self._nss(socket.getprotobyname, (protocolname,), timeout)

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
        *,
        timeout: float | None = None,
    ) -> list[AddrInfo]:
        """Identical to :func:`socket.getaddrinfo`, except that it is async.

        IP literals with numeric ports (and ``host=None``) are answered at once,
        without a thread or a query.
        """
        request = getaddrinfo_request(host, port, family, type, proto, flags)
        if isinstance(request, list):
            return await self._literal(request)  # literals: no lookup
        name, service = request
        backend = self.backend
        return await self._lookup(
            backend, ("getaddrinfo", name, service, family, type, proto, flags),
            backend.getaddrinfo_with_ttl, backend.getaddrinfo, timeout,
            ("getaddrinfo", (host, port)),
        )

    async def getnameinfo(
        self, sockaddr: SockAddr, flags: int, /, *, timeout: float | None = None
    ) -> tuple[str, str]:
        """Identical to :func:`socket.getnameinfo`, except that it is async.

        With ``NI_NUMERICHOST | NI_NUMERICSERV`` it is answered at once.
        """
        numeric = getnameinfo_answer(sockaddr, flags)
        if numeric is not None:
            return await self._literal(numeric)
        backend = self.backend
        return await self._lookup(
            backend, ("getnameinfo", sockaddr, flags),
            functools.partial(untimed, backend.getnameinfo), backend.getnameinfo, timeout,
            ("getnameinfo", (sockaddr, flags)),
        )

    # -- DNS records ---------------------------------------------------------

    @overload
    async def query(
        self, name: str, rtype: Literal["A"] = "A", *, timeout: float | None = None
    ) -> Answer[A]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["AAAA"], *, timeout: float | None = None
    ) -> Answer[AAAA]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["CNAME"], *, timeout: float | None = None
    ) -> Answer[CNAME]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["NS"], *, timeout: float | None = None
    ) -> Answer[NS]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["PTR"], *, timeout: float | None = None
    ) -> Answer[PTR]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["MX"], *, timeout: float | None = None
    ) -> Answer[MX]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["SOA"], *, timeout: float | None = None
    ) -> Answer[SOA]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["SRV"], *, timeout: float | None = None
    ) -> Answer[SRV]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["TXT"], *, timeout: float | None = None
    ) -> Answer[TXT]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["CAA"], *, timeout: float | None = None
    ) -> Answer[CAA]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["NAPTR"], *, timeout: float | None = None
    ) -> Answer[NAPTR]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["SVCB"], *, timeout: float | None = None
    ) -> Answer[SVCB]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["HTTPS"], *, timeout: float | None = None
    ) -> Answer[HTTPS]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["TLSA"], *, timeout: float | None = None
    ) -> Answer[TLSA]: ...
    @overload
    async def query(
        self, name: str, rtype: Literal["URI"], *, timeout: float | None = None
    ) -> Answer[URI]: ...
    @overload
    async def query(
        self, name: str, rtype: str | int, *, timeout: float | None = None
    ) -> Answer[Record]: ...

    async def query(
        self, name: str, rtype: str | int = "A", *, timeout: float | None = None
    ) -> Answer[Any]:
        """Look up the records of type ``rtype`` at ``name``.

        :param rtype: a record type, as its mnemonic (``"MX"``, any case) or
            its number (``15``); typed overloads give ``Answer[MX]`` for
            ``"MX"`` and so on, ``Answer[Record]`` otherwise.
        :returns: an :class:`~aioresolve.records.Answer` with typed records and TTLs.
        :raises TypeError: ``rtype`` is neither a string nor an integer.
        :raises ValueError: ``rtype`` is not a record type, or a meta type
            (ANY, AXFR, OPT …) that cannot be asked for.
        :raises NXDomain, NoData, ServFail, Refused, Timeout, IllegalName: …;
            :class:`~aioresolve.BackendUnavailable` on a backend that cannot
            make record queries of that type (the system backend answers
            only A and AAAA, through getaddrinfo, without TTLs).
        """
        if timeout is None and self.timeout is None:
            # The commonest case (a plain name and record type, asyncio, the
            # cache on, a backend that begins queries) in one call of the
            # compiled miss path: the type and name checks, the loop and the
            # cache's miss (see begin_query).
            found = begin_query(self._lookups, name, rtype)
            if found is not None:
                if isinstance(found, Answer):
                    return found
                try:
                    return await found
                except BaseException:
                    abandon(found)  # cancelled: the backend's query too
                    raise
        # check_rtype, but for its commonest answers, inline.
        kind = (rtype if type(rtype) is str and rtype in PLAIN_RTYPES
                else check_rtype(rtype))
        qname = to_alabel(name)  # not inlined: one copy of the name rules
        backend = self.backend
        if self._begins and not self._closed:
            # The common case (asyncio, the cache on, a backend that begins
            # queries) without _lookup's general plumbing: 34 bytecodes, two
            # bound methods and two tuples fewer per lookup.  The cache raises
            # ResolverClosed for a lookup that ends after close() began.
            loop = running_loop()
            if loop is not None:
                if timeout is None:
                    timeout = self.timeout
                if timeout is None:
                    found = run_query(self._lookups, ("query", qname, kind), backend,
                                      qname, kind, loop)
                    if isinstance(found, Answer):
                        return found
                    try:
                        return await found
                    except BaseException:
                        abandon(found)
                        raise
                # A deadline, held in this frame rather than _lookup_asyncio's:
                # one coroutine frame per lookup in flight, not two (see the
                # Overhead section of docs/services.md).
                deadlines, deadline = self._start_deadline(timeout, loop)
                found = None
                try:
                    found = run_query(self._lookups, ("query", qname, kind), backend,
                                      qname, kind, loop)
                    answer = found if isinstance(found, Answer) else await found
                except BaseException as exc:
                    abandon(found)
                    if (isinstance(exc, asyncio.CancelledError) and deadline.fired
                            and deadline.ours()):
                        raise timeout_error(("query", (name, kind)), timeout,
                                            backend.name) from None
                    raise
                finally:
                    deadlines.finish(deadline)
                if deadline.fired:  # the lookup swallowed the cancellation
                    deadline.ours()
                    raise timeout_error(("query", (name, kind)), timeout, backend.name)
                return answer
        return await self._lookup(
            backend, ("query", qname, kind), backend.query_with_ttl, backend.query, timeout,
            ("query", (name, kind)), backend.begins_queries,
        )

    async def reverse(self, address: str, *, timeout: float | None = None) -> Answer[PTR]:
        """Look up the PTR records of an IPv4 or IPv6 address.

        ``reverse("192.0.2.1")`` queries ``1.2.0.192.in-addr.arpa``;
        ``reverse("2001:db8::1")`` the nibble name under ``ip6.arpa``.

        :raises IllegalName: ``address`` is not an IP address.
        """
        return await self.query(reverse_name(address), "PTR", timeout=timeout)
