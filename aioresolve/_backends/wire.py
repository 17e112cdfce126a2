"""The wire backend: aioresolve speaks DNS over UDP/TCP itself.

A lean asyncio engine (:mod:`aioresolve._dns.engine`) built for bulk
resolution: a few UDP sockets, thousands of queries in flight, no task and no
timer per query.  It is a *stub* resolver: it asks the configured servers
(recursive or authoritative) and does not recurse itself.

Differences from :mod:`socket` / glibc in the socket-style lookups:

- no hosts file, no search domains, no ``ndots``: a name is asked as given;
- ``getaddrinfo`` with ``AF_UNSPEC`` asks A and AAAA at once and lists IPv4
  first (glibc sorts by RFC 6724);
- ``AI_ADDRCONFIG`` is ignored (no interface check);
- ``gethostbyaddr`` / ``getnameinfo`` ask PTR only (no hosts file);
- failures map to ``EAI_NONAME`` (NXDOMAIN), ``EAI_NODATA`` (no address of
  that family) and ``EAI_AGAIN`` (everything else), as glibc does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from typing import Any, ClassVar, cast

from .. import _config, _errors
from .._dns.engine import UDP_MAX_QUERIES, Engine, Query, Stats
from .._dns.stream import Stream, StreamResult
from .._nameservers import nameserver_text, parse_nameserver, read_resolv_conf
from .._records import AAAA, PTR, A, Answer
from . import _glibc
from .base import AddrInfo, HostEntry, SockAddr, TimedLookups

__all__ = ["StreamResult", "WireBackend"]

def _gai_code(error: BaseException) -> int:
    if isinstance(error, _errors.NXDomain):
        return socket.EAI_NONAME
    if isinstance(error, _errors.NoData):
        return _glibc.EAI_NODATA
    if isinstance(error, _errors.IllegalName):
        return socket.EAI_NONAME
    return socket.EAI_AGAIN


class WireBackend(TimedLookups):
    """Resolve with aioresolve's own DNS engine (UDP with TCP fallback).

    :param nameservers: ``"ip"``, ``"ip:port"`` or ``"[v6]:port"`` strings;
        attempts rotate over them (failover).  ``None`` takes the
        ``nameserver`` lines of ``resolvconf_path``, by default
        :data:`aioresolve._config.RESOLV_CONF` (``/etc/resolv.conf``): only
        those lines, not its ``search`` list, ``ndots`` or ``options``, and the
        hosts file is never read, so names are asked as given.
    :param resolvconf_path: read the nameservers from this file instead.
    :param timeout: seconds per attempt.
    :param attempts: queries per name (each retry goes to the next server).
    :param sockets: UDP sockets per address family.
    :param max_in_flight: names resolved at once; more wait in a FIFO.
    :param udp_payload: EDNS0 UDP payload size advertised (0: no EDNS0).
    :param tcp_fallback: retry truncated answers over TCP.
    :param adaptive_timeout: per attempt, wait as long as the server's measured
        RTT warrants (as TCP's RTO: at least 200 ms, doubled per retry) rather
        than the full ``timeout``, which stays the ceiling.
    :param udp_max_queries: queries sent from one UDP socket before it is
        replaced by one on a fresh random port (as c-ares' ``udp_max_queries``);
        0 keeps sockets for the engine's life.
    :param case_randomization: DNS 0x20: send names in random letter case and
        accept only replies that echo it exactly (servers that do not preserve
        case are detected and then asked without it).
    """

    name: ClassVar[str] = "wire"
    provides_ttl: ClassVar[bool] = True
    begins_queries: ClassVar[bool] = True

    def __init__(
        self,
        *,
        nameservers: Sequence[str] | None = None,
        resolvconf_path: str | None = None,
        timeout: float = 2.0,
        attempts: int = 3,
        sockets: int = 4,
        max_in_flight: int = 10_000,
        udp_payload: int = 1232,
        tcp_fallback: bool = True,
        adaptive_timeout: bool = True,
        udp_max_queries: int = UDP_MAX_QUERIES,
        case_randomization: bool = False,
    ) -> None:
        if isinstance(nameservers, str):
            raise TypeError("nameservers must be a list of strings, not a string")
        if not nameservers:
            # resolvconf_path must be readable; the default resolv.conf may be absent.
            nameservers = (read_resolv_conf(resolvconf_path) if resolvconf_path
                           else _config.system_nameservers())
        if not nameservers:
            where = resolvconf_path or _config.RESOLV_CONF
            raise ValueError(f"the wire backend needs nameservers=[...]: none were given "
                             f"and {where} lists none (or cannot be read)")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout!r}")
        if attempts < 1 or sockets < 1 or max_in_flight < 1:
            raise ValueError("attempts, sockets and max_in_flight must be at least 1")
        if not (udp_payload == 0 or 512 <= udp_payload <= 65535):
            raise ValueError(f"udp_payload must be 0 or 512..65535, not {udp_payload}")
        if udp_max_queries < 0:
            raise ValueError(f"udp_max_queries must be 0 or more, not {udp_max_queries}")
        self.servers = [parse_nameserver(s) for s in nameservers]
        self._nameservers = [nameserver_text(ip, port) for ip, port in self.servers]
        self._options: dict[str, Any] = {
            "timeout": timeout, "attempts": attempts, "sockets": sockets,
            "max_in_flight": max_in_flight, "payload": udp_payload,
            "tcp_fallback": tcp_fallback, "adaptive_timeout": adaptive_timeout,
            "udp_max_queries": udp_max_queries, "case_randomization": case_randomization,
        }
        self._engine: Engine | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<WireBackend nameservers={self.nameservers!r}>"

    @property
    def nameservers(self) -> list[str]:
        """The servers asked, as ``"ip:port"`` / ``"[v6]:port"`` text, in order."""
        return list(self._nameservers)

    # -- plumbing -------------------------------------------------------------------

    def stream_engine(self) -> Engine:
        """The engine of the running loop: the wire backend streams natively."""
        return self.engine()

    def engine(self) -> Engine:
        """The engine of the running loop (made on first use)."""
        if self._closed:
            raise _errors.ResolverClosed(backend=self.name)
        loop = asyncio.get_running_loop()
        engine = self._engine
        if engine is None or engine.loop is not loop or engine.closed:
            if engine is not None:
                engine.close()
            engine = self._engine = Engine(loop, self.servers, backend=self.name,
                                           **self._options)
        return engine

    @property
    def stats(self) -> Stats | None:
        """Counters of the current engine (sent, answered, malformed, spoofed …)."""
        return self._engine.stats if self._engine is not None else None

    async def _resolve(self, name: str, rtype: str, *, offset: int = 0,
                       attempts: int | None = None) -> Query:
        engine = self.engine()
        fut: asyncio.Future[Query] = engine.loop.create_future()
        q = engine.submit(name, rtype, _set_future, fut, offset=offset, attempts=attempts)
        try:
            return await fut
        except asyncio.CancelledError:
            engine.cancel(q)
            raise

    async def _resolve_all(self, name: str, kinds: list[str]) -> list[Query]:
        """The queries of ``name`` for each type in ``kinds``, asked at once and
        awaited together: one future, no task per query (as ``gather`` would)."""
        engine = self.engine()
        fut: asyncio.Future[None] = engine.loop.create_future()
        left = [len(kinds)]

        def finished(q: Query) -> None:
            left[0] -= 1
            if not left[0] and not fut.done():
                fut.set_result(None)

        queries: list[Query] = []
        try:
            for kind in kinds:
                queries.append(engine.submit(name, kind, finished))
            await fut
        except BaseException:  # cancelled, or a submit refused the name
            for q in queries:
                engine.cancel(q)
            raise
        return queries

    # -- records --------------------------------------------------------------------

    async def query(self, name: str, rtype: str) -> Answer:
        """Records of type ``rtype`` at ``name``; see :meth:`Backend.query`.

        A CNAME loop, or a chain longer than 16, raises
        :class:`~aioresolve.NoData` (as c-ares reports it).
        """
        # The engine is driven here, not through _resolve(): one coroutine
        # frame per lookup instead of two (see query_with_ttl).
        engine = self.engine()
        fut: asyncio.Future[Query] = engine.loop.create_future()
        q = engine.submit(name, rtype, _set_future, fut)
        try:
            await fut
        except asyncio.CancelledError:
            engine.cancel(q)
            raise
        result = q.result
        if isinstance(result, Answer):
            return result
        assert result is not None
        raise result

    async def query_with_ttl(self, name: str, rtype: str) -> tuple[Answer, float | None]:
        """:meth:`query` and the answer's TTL: what the Resolver's cache calls.

        The same lookup as :meth:`query`, written out rather than awaiting it:
        the base class's ``query_with_ttl`` -> ``query`` -> ``_resolve`` chain
        kept three coroutine frames alive per lookup in flight (each resumed
        twice, each walked by the garbage collector); one is left.
        """
        engine = self.engine()
        fut: asyncio.Future[Query] = engine.loop.create_future()
        q = engine.submit(name, rtype, _set_future, fut)
        try:
            await fut
        except asyncio.CancelledError:
            engine.cancel(q)
            raise
        result = q.result
        if isinstance(result, Answer):
            return result, result.ttl
        assert result is not None
        raise result

    def begin_query(
        self, name: str, rtype: str, done: Callable[[Answer | BaseException], object],
        loop: asyncio.AbstractEventLoop,
    ) -> Query:
        """:meth:`query` without a coroutine (see :meth:`Backend.begin_query`):
        the engine calls ``done`` with the query's result when it ends."""
        engine = self._engine
        if engine is None or engine.loop is not loop or engine.closed:
            engine = self.engine()  # closed (raises), or a new loop
        return engine.submit(name, rtype, _deliver, done)

    def cancel_query(self, handle: object) -> None:
        """Forget a query of :meth:`begin_query`: the engine sends nothing more for it."""
        engine = self._engine
        if engine is not None:
            engine.cancel(cast(Query, handle))

    async def reverse(self, address: str) -> Answer:
        """PTR records of an IPv4 or IPv6 address."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise _errors.IllegalName(f"not an IP address: {address!r}", host=address,
                                      backend=self.name) from None
        return await self.query(ip.reverse_pointer, "PTR")

    def bulk_query_func(self) -> Callable[[str, str, int], Awaitable[Answer]]:
        """The seam :mod:`aioresolve.bulk` uses: one attempt (no retry inside)
        at the server ``attempt % n``, the caller retrying."""

        async def one(name: str, rtype: str, attempt: int) -> Answer:
            q = await self._resolve(name, rtype, offset=attempt, attempts=1)
            result = q.result
            if isinstance(result, Answer):
                return result
            assert result is not None
            raise result

        return one

    async def query_stream(
        self,
        names: Iterable[str | tuple[str, str]] | AsyncIterable[str | tuple[str, str]],
        rtype: str = "A",
        *,
        concurrency: int = 256,
        qps: float | None = None,
        timeout: float | None = None,
        attempts: int | None = None,
        lifetime: float | None = None,
    ) -> AsyncGenerator[StreamResult, None]:
        """Resolve many names with no task per name; yield results as they come.

        A thin wrapper of :class:`aioresolve.Stream` over this backend's engine
        (see there for the contract); the public spelling is
        :func:`aioresolve.stream` / ``aioresolve.Stream(backend, names)``.

        - ``names``: A-label names (or ``(name, rtype)`` pairs), from a list,
          generator or async iterable, read lazily: at most ``concurrency``
          in flight.  An async input is read by a helper task, so results
          flow while the next name is pending (a crawler feeding name N+1
          after result N).
        - Every name yields exactly one :class:`StreamResult`, in completion
          order (use ``index`` to reorder); a name that cannot be encoded
          yields an :class:`~aioresolve.IllegalName` result; failures are
          results, never raised.
        - ``qps``: at most that many names started per second (token bucket,
          burst ``qps / 20``; retries are not paced).  ``timeout``/``attempts``
          override the backend's per attempt timeout and attempts; ``lifetime``
          bounds each name's whole resolution (default: attempts * timeout +
          timeout).  Attempt k of name i goes to server ``(i + k) % n``.
        - Closing the iterator, or cancelling the iterating task, cancels the
          names in flight and a pending read of an async input; no task is
          left behind.  An error raised by the input is raised here, after
          the results of the names read before it.
        """
        stream = Stream(self.stream_engine(), names, rtype=rtype, concurrency=max(1, concurrency),
                        qps=qps or None, timeout=timeout, attempts=attempts, lifetime=lifetime)
        try:
            async for batch in stream.batches():
                for item in batch:
                    yield item
        finally:
            await stream.aclose()

    # -- socket-style lookups -------------------------------------------------------------

    async def _addresses(
        self, host: bytes, family: int
    ) -> tuple[list[Answer], list[str], float | None]:
        """A and/or AAAA answers for ``host``, the CNAME owners followed and
        the TTL of the whole (the smallest of the answers' and of the known
        negative TTLs of the families without addresses).

        :raises socket.gaierror: as glibc would (plain, or in a
            :class:`NegativeAnswer` when the zone's SOA gave the negative TTL).
        :raises ResolverClosed: the backend was closed meanwhile.
        """
        name = host.decode("ascii")
        if not name.rstrip("."):  # glibc: an empty name is not found
            raise _glibc.gaierror(socket.EAI_NONAME)
        if family == socket.AF_INET and _glibc.ip_literal(host):  # gethostbyname*("::1")
            raise _glibc.gaierror(_glibc.EAI_ADDRFAMILY)
        kinds = {int(socket.AF_INET): ["A"], int(socket.AF_INET6): ["AAAA"]}.get(
            family, ["A", "AAAA"])
        try:
            queries = await self._resolve_all(name, kinds)
        except _errors.IllegalName:  # glibc: a name that cannot be asked is not found
            raise _glibc.gaierror(socket.EAI_NONAME) from None
        answers = [q.result for q in queries if isinstance(q.result, Answer)]
        errors = [cast(_errors.ResolveError, q.result) for q in queries
                  if not isinstance(q.result, Answer)]
        closed = next((e for e in errors if isinstance(e, _errors.ResolverClosed)), None)
        if closed is not None:
            raise closed
        negative = [e.negative_ttl for e in errors if isinstance(e, (_errors.NXDomain,
                                                                       _errors.NoData))]
        ttls: list[float] = [a.ttl for a in answers]
        ttls += [t for t in negative if t is not None]
        ttl = min(ttls) if ttls and None not in negative else (
            min(a.ttl for a in answers) if answers else None)
        if not answers:
            if any(_gai_code(e) == socket.EAI_AGAIN for e in errors):
                raise _glibc.gaierror(socket.EAI_AGAIN)
            code = (socket.EAI_NONAME if any(isinstance(e, _errors.NXDomain) for e in errors)
                    else _glibc.EAI_NODATA)
            _glibc.raise_negative(_glibc.gaierror(code), ttl)
        aliases = next((q.aliases for q in queries if isinstance(q.result, Answer)), [])
        return answers, aliases, ttl

    async def getaddrinfo_with_ttl(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> tuple[list[AddrInfo], float | None]:
        """:meth:`getaddrinfo` and the smallest TTL of the A/AAAA records (and
        CNAMEs) behind it; NXDOMAIN / no data raise a :class:`NegativeAnswer`
        carrying the SOA's negative TTL where the server sent one."""
        if host is None or _glibc.ip_literal(host):
            # No DNS involved (a service name, or a family the literal is not
            # of): libc answers from the services file, or fails, as socket does.
            return cast("list[AddrInfo]", socket.getaddrinfo(host, port, family, type,
                                                             proto, flags)), None
        template = _glibc.template(port, family, type, proto, flags)
        if flags & socket.AI_NUMERICHOST:  # not a literal: no lookup, as libc
            raise _glibc.gaierror(socket.EAI_NONAME)
        mapped = family == socket.AF_INET6 and flags & socket.AI_V4MAPPED
        answers, _, ttl = await self._addresses(host, socket.AF_UNSPEC if mapped else family)
        addrs: list[_glibc.Addr] = []
        for answer in answers:
            for r in answer.records:
                if isinstance(r, A):
                    addrs.append((socket.AF_INET, (r.address,)))
                elif isinstance(r, AAAA):
                    addrs.append((socket.AF_INET6, (r.address, 0, 0)))
        addrs = list(dict.fromkeys(addrs))
        if mapped:
            v6 = [a for a in addrs if a[0] == socket.AF_INET6]
            v4: list[_glibc.Addr] = [(socket.AF_INET6, (f"::ffff:{a[1][0]}", 0, 0))
                                     for a in addrs if a[0] == socket.AF_INET]
            addrs = v6 + v4 if flags & socket.AI_ALL else (v6 or v4)
        if not addrs:
            _glibc.raise_negative(_glibc.gaierror(_glibc.EAI_NODATA), ttl)
        canon = answers[0].canonical_name if flags & socket.AI_CANONNAME else ""
        return template.expand(addrs, canon), ttl

    async def gethostbyname_ex_with_ttl(self, host: bytes) -> tuple[HostEntry, float | None]:
        if not host:  # glibc's gethostbyname_r("") fails so (h_errno NO_RECOVERY)
            raise socket.herror(_glibc.NO_RECOVERY, "Unknown server error")
        answers, aliases, ttl = await self._addresses(host, socket.AF_INET)
        answer = answers[0]
        entry = (answer.canonical_name.rstrip("."), [a.rstrip(".") for a in aliases],
                 list(dict.fromkeys(answer.addresses)))
        return entry, ttl

    async def _ptr(self, address: str) -> str | None:
        """The first PTR name of ``address``; None if there is none; herror-free."""
        name = ipaddress.ip_address(address.partition("%")[0]).reverse_pointer
        q = await self._resolve(name, "PTR")
        if isinstance(q.result, Answer):
            ptrs = [r.name for r in q.result.records if isinstance(r, PTR)]
            return ptrs[0] if ptrs else None
        if isinstance(q.result, (_errors.NXDomain, _errors.NoData)):
            return None
        raise cast(BaseException, q.result)

    async def gethostbyaddr(self, host: bytes) -> HostEntry:
        text = host.decode("ascii")
        try:  # as CPython: an address literal, or the first address of the name
            info = socket.getaddrinfo(text, None, 0, 0, 0, socket.AI_NUMERICHOST)
            address = str(info[0][4][0])
        except socket.gaierror:
            infos = await self.getaddrinfo(host, None, socket.AF_UNSPEC, 0, 0, 0)
            address = str(infos[0][4][0])
        try:
            name = await self._ptr(address)
        except _errors.ResolverClosed:
            raise
        except _errors.ResolveError:
            raise socket.herror(_glibc.TRY_AGAIN, "Host name lookup failure") from None
        if name is None:
            raise socket.herror(_glibc.HOST_NOT_FOUND, "Unknown host")
        return name, [], [address.partition("%")[0]]

    async def getnameinfo(self, sockaddr: SockAddr, flags: int) -> tuple[str, str]:
        if flags & socket.NI_NUMERICHOST:
            return socket.getnameinfo(sockaddr, flags)
        numeric_host, service = socket.getnameinfo(
            sockaddr, (flags | socket.NI_NUMERICHOST) & ~socket.NI_NAMEREQD
        )
        try:
            name = await self._ptr(numeric_host)
        except _errors.ResolverClosed:
            raise
        except _errors.ResolveError:
            raise _glibc.gaierror(socket.EAI_AGAIN) from None
        if name is not None:
            return name, service
        if flags & socket.NI_NAMEREQD:
            raise _glibc.gaierror(socket.EAI_NONAME)
        return numeric_host, service

    async def release_loop(self) -> None:
        """Close the engine of the running loop (the next lookup makes a new one)."""
        engine = self._engine
        if engine is not None and engine.loop is asyncio.get_running_loop():
            engine.close()
            self._engine = None

    async def aclose(self) -> None:
        """Fail lookups in flight with ResolverClosed and close the sockets."""
        self._closed = True
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def _deliver(q: Query) -> None:
    """The engine's callback of :meth:`WireBackend.begin_query`: ``done(result)``."""
    q.tag(q.result)


def _set_future(q: Query) -> None:
    fut: asyncio.Future[Query] = q.tag
    if not fut.done():
        fut.set_result(q)
