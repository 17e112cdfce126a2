"""The socket-mirroring facade: :class:`Resolver` and the module-level coroutines.

Every coroutine here has the name, arguments, results and exceptions of the
:mod:`socket` function it mirrors; the only additions are that it must be
awaited and takes a keyword-only ``timeout=`` (seconds; ``None`` waits as long
as the backend does).  An expired timeout raises :class:`aioresolve.Timeout`,
a subclass of the built-in :class:`TimeoutError`.

One facade for asyncio and trio: each call asks :mod:`sniffio` (through
:func:`aioresolve._runtime.current_library`) which library runs it and uses
that library's deadline, waiter and threads.  Under trio every call is a
checkpoint (literals and cache hits included) and cancellation follows trio's
rules; the backends that run there are listed in :func:`_check_trio`.

Input is checked and normalised here, once, before any backend runs, and the
checks are the stdlib's own (:mod:`aioresolve._prepare`).  Only what that
cannot answer goes to the backend, as A-label bytes.
"""

# The socket-mirroring signatures include timeout= on purpose:
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
import socket
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from . import _config
from ._backends import backend_class
from ._backends.base import AddrInfo, Backend, HostEntry, SockAddr, Timed
from ._errors import BackendUnavailable, IllegalName, ResolverClosed, Timeout
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
from ._runtime import Deadlines, Expiry, ThreadLimiter, current_library
from .cache import CacheConfig, CacheInfo, LookupCache

if TYPE_CHECKING:
    import trio

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

T = TypeVar("T")


class _AnyProtocol(str):
    """Type of the default ``protocolname``: absent.  ``None`` cannot serve, since
    :mod:`socket` rejects an explicit ``None`` with a ``TypeError``."""

    def __repr__(self) -> str:
        return "<any protocol>"


_ANY_PROTOCOL = _AnyProtocol()


def _given(first: object, protocolname: str) -> tuple[object, ...]:
    """The positional arguments for socket, leaving out an absent protocol."""
    return (first,) if protocolname is _ANY_PROTOCOL else (first, protocolname)


def _timeout_error(what: tuple[str, tuple[object, ...]], timeout: float, backend: str) -> Timeout:
    func, args = what
    shown = ", ".join(repr(a) for a in args)
    message = f"{func}({shown}) timed out after {timeout:g}s"
    return Timeout(message, timeout=timeout, backend=backend)


class Resolver:
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

    The same resolver works under asyncio and trio (the running library is
    detected per call).  Under trio the ``"system"`` backend runs libc in trio's
    worker threads (at most ``pool_size`` at once); ``"cares"`` and ``"wire"``
    are driven by asyncio's event loop and raise
    :class:`~aioresolve.BackendUnavailable` there.
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
                backend, defaults = _default_backend
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
            spawn=self._spawn,
        )
        self._cache_active = self._lookups.active
        # Services and protocols are NSS lookups too (usually /etc/services,
        # but NSS may be anything): two threads keep them off the loop.
        self._nss_pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._nss_threads = ThreadLimiter(2)
        self._tasks: set[asyncio.Task[None]] = set()
        self._deadlines: dict[float, Deadlines] = {}
        self._scopes: set[trio.CancelScope] = set()

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
        if self._nss_pool is not None:
            self._nss_pool.shutdown(wait=False, cancel_futures=True)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for scope in self._scopes:
            scope.cancel()
        if tasks:  # asyncio's refreshes: returned only once they have ended
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._lookups.aclose()
        await self.backend.aclose()

    aclose = close

    # -- cache ---------------------------------------------------------------

    def cache_info(self) -> CacheInfo:
        """Hits, misses, coalesced lookups, evictions and size of the cache."""
        return self._lookups.info()

    def flush(self) -> None:
        """Empty the cache.  Lookups in flight are not disturbed."""
        self._lookups.flush()

    # -- plumbing ------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ResolverClosed(backend=self.backend.name)

    def _spawn(self, async_fn: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start a serve-stale refresh in the background; :meth:`close` cancels it."""
        if current_library() == "trio":
            import trio

            scope = trio.CancelScope()
            self._scopes.add(scope)

            async def guarded() -> None:
                with scope:
                    await async_fn()
                self._scopes.discard(scope)

            trio.lowlevel.spawn_system_task(guarded)
            return
        task = asyncio.get_running_loop().create_task(async_fn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _lookup(
        self,
        backend: Backend,
        key: tuple[Any, ...],
        timed: Callable[..., Awaitable[Timed[T]]],
        plain: Callable[..., Awaitable[T]],
        timeout: float | None,
        what: tuple[str, tuple[object, ...]],
    ) -> T:
        """Run one backend lookup under the deadline.  Every lookup passes here.

        ``key`` is the lookup's name and backend arguments (``key[1:]``); with a
        cache or coalescing on, the call goes through them (``timed``, the
        backend's ``*_with_ttl`` method), else straight to ``plain``.  The
        deadline bounds this caller's wait only.
        """
        if self._closed:
            raise ResolverClosed(backend=backend.name)
        if current_library() == "trio":
            return await self._lookup_trio(backend, key, timed, plain, timeout, what)
        if timeout is None:
            timeout = self.timeout
        deadlines = deadline = None
        if timeout is not None:
            deadlines, deadline = self._start_deadline(timeout)
        try:
            if self._cache_active:
                result = await self._lookups.run_timed(key, timed, *key[1:])
            else:
                result = await plain(*key[1:])
        except asyncio.CancelledError:
            if deadline is not None and deadline.fired and deadline.ours():
                assert timeout is not None
                raise _timeout_error(what, timeout, backend.name) from None
            raise
        except Exception as exc:
            if self._closed and not isinstance(exc, ResolverClosed):
                raise ResolverClosed(backend=backend.name) from exc
            raise
        finally:
            if deadlines is not None:
                deadlines.finish(deadline)  # type: ignore[arg-type]
        if deadline is not None and deadline.fired:  # the lookup swallowed the cancellation
            deadline.ours()
            assert timeout is not None
            raise _timeout_error(what, timeout, backend.name)
        if self._closed:  # answered after close() began: the caller was promised this
            raise ResolverClosed(backend=backend.name)
        return result

    def _start_deadline(self, timeout: float) -> tuple[Deadlines, Expiry]:
        """A deadline ``timeout`` seconds from now for the running asyncio task.

        Lookups with the same timeout value share one timer (:class:`Deadlines`);
        a resolver that sees many different values (a budget computed per
        call) starts afresh beyond 32 of them, which stays correct.
        """
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        deadlines = self._deadlines.get(timeout)
        if deadlines is None or deadlines.loop is not loop:
            if len(self._deadlines) >= 32:
                self._deadlines.clear()
            deadlines = self._deadlines[timeout] = Deadlines(loop, timeout)
        return deadlines, deadlines.start(task)

    async def _lookup_trio(
        self,
        backend: Backend,
        key: tuple[Any, ...],
        timed: Callable[..., Awaitable[Timed[T]]],
        plain: Callable[..., Awaitable[T]],
        timeout: float | None,
        what: tuple[str, tuple[object, ...]],
    ) -> T:
        import trio

        _check_trio(backend)
        await trio.lowlevel.checkpoint()  # a cache hit is a checkpoint too
        if timeout is None:
            timeout = self.timeout
        try:
            with trio.move_on_after(timeout if timeout is not None else float("inf")) as scope:
                if self._cache_active:
                    result = await self._lookups.run_timed(key, timed, *key[1:])
                else:
                    result = await plain(*key[1:])
                if self._closed:  # answered after close() began
                    raise ResolverClosed(backend=backend.name)
                return result
        except Exception as exc:
            if self._closed and not isinstance(exc, ResolverClosed):
                raise ResolverClosed(backend=backend.name) from exc
            raise
        assert scope.cancelled_caught and timeout is not None
        raise _timeout_error(what, timeout, backend.name)

    async def _literal(self, value: T) -> T:
        """An answer known without a lookup: at once (under trio, after a checkpoint)."""
        if current_library() == "trio":
            import trio

            await trio.lowlevel.checkpoint()
        return value

    async def _run_nss(self, func: Callable[..., T], *args: object) -> T:
        self._check_open()
        if current_library() == "trio":
            return await self._nss_threads.run(func, *args)
        if self._nss_pool is None:
            self._nss_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=2, thread_name_prefix="aioresolve-nss"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._nss_pool, functools.partial(func, *args))

    async def _nss(
        self, func: Callable[..., T], args: tuple[object, ...], timeout: float | None
    ) -> T:
        """An NSS lookup (services, protocols) in a thread, under the deadline."""
        if timeout is None:
            timeout = self.timeout
        if current_library() == "trio":
            import trio

            with trio.move_on_after(timeout if timeout is not None else float("inf")):
                return await self._run_nss(func, *args)
            assert timeout is not None
            raise _timeout_error((func.__name__, args), timeout, self.backend.name)
        if timeout is None:
            return await self._run_nss(func, *args)
        deadlines, deadline = self._start_deadline(timeout)
        try:
            return await self._run_nss(func, *args)
        except asyncio.CancelledError:
            if deadline.fired and deadline.ours():
                raise _timeout_error((func.__name__, args), timeout, self.backend.name) from None
            raise
        finally:
            deadlines.finish(deadline)

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
            backend, ("gethostbyaddr", name), functools.partial(_untimed, backend.gethostbyaddr),
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
        self, servicename: str, protocolname: str = _ANY_PROTOCOL, /, *,
        timeout: float | None = None,
    ) -> int:
        """Identical to :func:`socket.getservbyname`, except that it is async."""
        return await self._nss(socket.getservbyname, _given(servicename, protocolname), timeout)

    async def getservbyport(
        self, port: int, protocolname: str = _ANY_PROTOCOL, /, *, timeout: float | None = None
    ) -> str:
        """Identical to :func:`socket.getservbyport`, except that it is async."""
        return await self._nss(socket.getservbyport, _given(port, protocolname), timeout)

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
            functools.partial(_untimed, backend.getnameinfo), backend.getnameinfo, timeout,
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
        kind = check_rtype(rtype)
        qname = to_alabel(name)
        backend = self.backend
        return await self._lookup(
            backend, ("query", qname, kind), backend.query_with_ttl, backend.query, timeout,
            ("query", (name, kind)),
        )

    async def reverse(self, address: str, *, timeout: float | None = None) -> Answer[PTR]:
        """Look up the PTR records of an IPv4 or IPv6 address.

        ``reverse("192.0.2.1")`` queries ``1.2.0.192.in-addr.arpa``;
        ``reverse("2001:db8::1")`` the nibble name under ``ip6.arpa``.

        :raises IllegalName: ``address`` is not an IP address.
        """
        return await self.query(_reverse_name(address), "PTR", timeout=timeout)


async def _untimed(method: Callable[..., Awaitable[T]], *args: Any) -> Timed[T]:
    """A lookup whose results carry no TTL (``getnameinfo``, ``gethostbyaddr``)."""
    return await method(*args), None


def _check_trio(backend: Backend) -> None:
    """Refuse, clearly, a backend that cannot run under trio."""
    if "trio" not in backend.async_libraries:
        raise BackendUnavailable(
            f"the {backend.name!r} backend runs on asyncio only, not on trio; "
            "under trio use backend='system' (libc in trio's worker threads)",
            backend=backend.name,
        )


def _reverse_name(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise IllegalName(f"not an IP address: {address!r}", host=address) from None
    return ip.reverse_pointer


# -- the default resolver ------------------------------------------------------

#: (backend name or None for the out-of-the-box default, options)
_default_backend: tuple[str | None, dict[str, Any]] = (None, {})
_default_resolvers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Resolver] = (
    weakref.WeakKeyDictionary()
)
_generation = 0  # bumped by set_default_backend: trio runs' resolvers are then stale
_trio_default: Any = None  # a trio.lowlevel.RunVar, made on first use under trio


def set_default_backend(backend: str | None, **options: Any) -> None:
    """Choose the backend (and its options) of resolvers created without one,
    including the default resolver behind the module-level functions.

    ``set_default_backend("wire")`` asks the nameservers of ``/etc/resolv.conf``;
    ``set_default_backend(None)`` restores the out-of-the-box default
    (``"system"``; see :class:`Resolver`).

    Default resolvers already created keep their backend until their loop ends.

    :raises ValueError: an unknown backend name, or nameservers for ``"system"``.
    :raises BackendUnavailable: its optional dependency is not installed.
    """
    global _default_backend, _generation
    if backend is not None:
        backend_class(backend)  # fail here, not at the first lookup, on a bad name
        if backend != "wire":  # wire reads resolv.conf when it is made
            _config.backend_options(backend, **options)
    _default_backend = (backend, dict(options))
    _default_resolvers.clear()
    _generation += 1


def get_default_resolver() -> Resolver:
    """The resolver behind the module-level functions: one per asyncio event
    loop, one per trio run."""
    if current_library() == "trio":
        return _trio_default_resolver()
    loop = asyncio.get_running_loop()
    resolver = _default_resolvers.get(loop)
    if resolver is None or resolver.closed:
        resolver = _default_resolvers[loop] = Resolver()
    return resolver


def _trio_run_var() -> Any:
    global _trio_default
    if _trio_default is None:
        import trio

        _trio_default = trio.lowlevel.RunVar("aioresolve_default_resolver", default=None)
    return _trio_default


def _trio_default_resolver() -> Resolver:
    var = _trio_run_var()
    entry: tuple[int, Resolver] | None = var.get()
    if entry is None or entry[0] != _generation or entry[1].closed:
        entry = (_generation, Resolver())
        var.set(entry)
    return entry[1]


def set_default_resolver(resolver: Resolver) -> None:
    """Make ``resolver`` the one behind the module-level functions on the
    running asyncio loop or trio run."""
    if current_library() == "trio":
        _trio_run_var().set((_generation, resolver))
        return
    _default_resolvers[asyncio.get_running_loop()] = resolver


async def gethostname(*, timeout: float | None = None) -> str:
    """Identical to :func:`socket.gethostname`, except that it is async."""
    return await get_default_resolver().gethostname(timeout=timeout)


async def gethostbyname(hostname: str, /, *, timeout: float | None = None) -> str:
    """Identical to :func:`socket.gethostbyname`, except that it is async."""
    return await get_default_resolver().gethostbyname(hostname, timeout=timeout)


async def gethostbyname_ex(hostname: str, /, *, timeout: float | None = None) -> HostEntry:
    """Identical to :func:`socket.gethostbyname_ex`, except that it is async."""
    return await get_default_resolver().gethostbyname_ex(hostname, timeout=timeout)


async def getfqdn(name: str = "", *, timeout: float | None = None) -> str:
    """Identical to :func:`socket.getfqdn`, except that it is async."""
    return await get_default_resolver().getfqdn(name, timeout=timeout)


async def gethostbyaddr(ip_address: str, /, *, timeout: float | None = None) -> HostEntry:
    """Identical to :func:`socket.gethostbyaddr`, except that it is async."""
    return await get_default_resolver().gethostbyaddr(ip_address, timeout=timeout)


async def getservbyname(
    servicename: str, protocolname: str = _ANY_PROTOCOL, /, *, timeout: float | None = None
) -> int:
    """Identical to :func:`socket.getservbyname`, except that it is async."""
    return await get_default_resolver().getservbyname(servicename, protocolname, timeout=timeout)


async def getservbyport(
    port: int, protocolname: str = _ANY_PROTOCOL, /, *, timeout: float | None = None
) -> str:
    """Identical to :func:`socket.getservbyport`, except that it is async."""
    return await get_default_resolver().getservbyport(port, protocolname, timeout=timeout)


async def getprotobyname(protocolname: str, /, *, timeout: float | None = None) -> int:
    """Identical to :func:`socket.getprotobyname`, except that it is async."""
    return await get_default_resolver().getprotobyname(protocolname, timeout=timeout)


async def getaddrinfo(
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
    *,
    timeout: float | None = None,
) -> list[AddrInfo]:
    """Identical to :func:`socket.getaddrinfo`, except that it is async."""
    return await get_default_resolver().getaddrinfo(
        host, port, family, type, proto, flags, timeout=timeout
    )


async def getnameinfo(
    sockaddr: SockAddr, flags: int, /, *, timeout: float | None = None
) -> tuple[str, str]:
    """Identical to :func:`socket.getnameinfo`, except that it is async."""
    return await get_default_resolver().getnameinfo(sockaddr, flags, timeout=timeout)


@overload
async def query(
    name: str, rtype: Literal["A"] = "A", *, timeout: float | None = None
) -> Answer[A]: ...
@overload
async def query(
    name: str, rtype: Literal["AAAA"], *, timeout: float | None = None
) -> Answer[AAAA]: ...
@overload
async def query(
    name: str, rtype: Literal["CNAME"], *, timeout: float | None = None
) -> Answer[CNAME]: ...
@overload
async def query(
    name: str, rtype: Literal["NS"], *, timeout: float | None = None
) -> Answer[NS]: ...
@overload
async def query(
    name: str, rtype: Literal["PTR"], *, timeout: float | None = None
) -> Answer[PTR]: ...
@overload
async def query(
    name: str, rtype: Literal["MX"], *, timeout: float | None = None
) -> Answer[MX]: ...
@overload
async def query(
    name: str, rtype: Literal["SOA"], *, timeout: float | None = None
) -> Answer[SOA]: ...
@overload
async def query(
    name: str, rtype: Literal["SRV"], *, timeout: float | None = None
) -> Answer[SRV]: ...
@overload
async def query(
    name: str, rtype: Literal["TXT"], *, timeout: float | None = None
) -> Answer[TXT]: ...
@overload
async def query(
    name: str, rtype: Literal["CAA"], *, timeout: float | None = None
) -> Answer[CAA]: ...
@overload
async def query(
    name: str, rtype: Literal["NAPTR"], *, timeout: float | None = None
) -> Answer[NAPTR]: ...
@overload
async def query(
    name: str, rtype: Literal["SVCB"], *, timeout: float | None = None
) -> Answer[SVCB]: ...
@overload
async def query(
    name: str, rtype: Literal["HTTPS"], *, timeout: float | None = None
) -> Answer[HTTPS]: ...
@overload
async def query(
    name: str, rtype: Literal["TLSA"], *, timeout: float | None = None
) -> Answer[TLSA]: ...
@overload
async def query(
    name: str, rtype: Literal["URI"], *, timeout: float | None = None
) -> Answer[URI]: ...
@overload
async def query(
    name: str, rtype: str | int, *, timeout: float | None = None
) -> Answer[Record]: ...


async def query(name: str, rtype: str | int = "A", *, timeout: float | None = None) -> Answer[Any]:
    """Look up DNS records with the default resolver; see :meth:`Resolver.query`."""
    return await get_default_resolver().query(name, rtype, timeout=timeout)


async def reverse(address: str, *, timeout: float | None = None) -> Answer[PTR]:
    """Look up the PTR records of an address; see :meth:`Resolver.reverse`."""
    return await get_default_resolver().reverse(address, timeout=timeout)
