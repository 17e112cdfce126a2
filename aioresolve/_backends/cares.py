"""The c-ares backend: pycares 5 driven from the running event loop, no threads.

c-ares tells us which sockets it wants watched (``sock_state_cb``); the loop
watches them with ``add_reader``/``add_writer`` and one timer from
``ares_timeout()`` drives retries.  Every callback of c-ares therefore runs on
the loop's thread, inside ``process_fd``, and completes its future directly:
no thread hop, no ``call_soon_threadsafe`` per result (aiodns 4 instead lets
pycares run its own event thread and hops once per result).

Socket-style lookups (``getaddrinfo`` & co.) mirror glibc: the socket types,
protocols and ports of each address come from :func:`socket.getaddrinfo`
itself, called on an IP literal of the same family (no lookup), so service
names, ``type``/``proto`` triples and their errors are libc's by
construction; only the addresses come from c-ares.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

import pycares

from .. import _compat
from .._errors import IllegalName, ResolveError, ResolverClosed
from .._nameservers import nameserver_text, parse_nameserver
from .._records import Answer
from . import _cares_ffi, _glibc
from . import _cares_glibc as _shape
from ._cares_loop import Loop, Request
from ._cares_records import (
    QUERY_TYPES,
    answer_from_result,
    error_for_status,
    negative_ttl_from_result,
)
from .base import AddrInfo, HostEntry, NegativeAnswer, SockAddr, TimedLookups

__all__ = ["CaresBackend"]

_E = pycares.errno

# c-ares getaddrinfo flag (values differ from socket.AI_*).
_ARES_AI_NOSORT = 1 << 7  # not exported by pycares; value from ares.h
#: Asked always: only then does c-ares report hosts-file aliases (as CNAMEs).
_ARES_AI_CANONNAME = 1


def _gai_code(status: int) -> int:
    """glibc's EAI_* for a failed c-ares address lookup (checked against glibc 2.3x)."""
    if status == _E.ARES_ENOTFOUND or status == _E.ARES_EBADNAME:
        return socket.EAI_NONAME
    if status == _E.ARES_ENODATA:
        return _glibc.EAI_NODATA
    return socket.EAI_AGAIN  # SERVFAIL, REFUSED, timeout, connection refused …


def _parse_nameserver(server: str) -> str:
    """One nameserver in the form c-ares' server CSV takes (port kept only if given)."""
    ip, port = parse_nameserver(server, default_port=0)
    return nameserver_text(ip, port) if port else (f"[{ip}]" if ":" in ip else ip)


class CaresBackend(TimedLookups):
    """Resolve with c-ares (pycares 5), driven by the running event loop.

    Differences from the system backend are listed in ``docs/backends.md``
    ("Parity with glibc"); in short: NSS sources other than ``files`` and
    ``dns`` are not consulted, and record queries report TTLs.

    :param nameservers: ``"ip"``, ``"ip:port"`` or ``"[v6]:port"`` strings;
        ``None`` reads the system configuration (``resolv.conf``).
    :param tries: attempts per server.
    :param try_timeout: seconds per attempt (c-ares may shorten it from measured
        latency).  Not ``timeout``: that is :class:`~aioresolve.Resolver`'s
        deadline for a whole lookup.
    :param rotate: spread queries over the servers instead of trying them in order.
    :param domains: search list; ``[]`` disables searching.
    :param ndots: dots a name needs to be tried as-is first.
    :param resolvconf_path: read this file instead of ``/etc/resolv.conf``.
    :param use_tcp: send every query over TCP instead of UDP.
    :param hosts_file: consult the hosts file before DNS (``None``: as the
        system configuration says).  Record queries never use it.
    :param deadline: the last-resort bound of one lookup, in seconds: should
        c-ares never call back (a bug below us), the lookup ends then as a
        timeout.  ``None`` takes a bound well beyond c-ares' own retries
        (``8 * tries * try_timeout * servers``, at least 30 s).
    """

    name: ClassVar[str] = "cares"
    provides_ttl: ClassVar[bool] = True
    begins_queries: ClassVar[bool] = True

    def __init__(
        self,
        *,
        nameservers: Sequence[str] | None = None,
        tries: int | None = None,
        try_timeout: float | None = None,
        rotate: bool = False,
        domains: Sequence[str] | None = None,
        ndots: int | None = None,
        resolvconf_path: str | None = None,
        use_tcp: bool = False,
        hosts_file: bool | None = None,
        deadline: float | None = None,
    ) -> None:
        if isinstance(nameservers, str):
            raise TypeError("nameservers must be a list of strings, not a string")
        if tries is not None and tries < 1:
            raise ValueError(f"tries must be at least 1, not {tries}")
        if try_timeout is not None and try_timeout <= 0:
            raise ValueError(f"try_timeout must be positive, not {try_timeout!r}")
        if deadline is not None and deadline <= 0:
            raise ValueError(f"deadline must be positive, not {deadline!r}")
        self._servers = [_parse_nameserver(s) for s in nameservers] if nameservers else None
        flags = 0
        if use_tcp:
            flags |= pycares.ARES_FLAG_USEVC
        if domains is not None and not list(domains):
            flags |= pycares.ARES_FLAG_NOSEARCH
        options: dict[str, Any] = {
            "tries": tries, "timeout": try_timeout, "ndots": ndots, "rotate": rotate,
            "domains": list(domains) if domains else None, "resolvconf_path": resolvconf_path,
            "flags": flags or None,
            "lookups": None if hosts_file is None else ("fb" if hosts_file else "b"),
        }
        if self._servers:
            options["servers"] = self._servers
        self._options = {k: v for k, v in options.items() if v is not None}
        # The server that answered, when only one can have (c-ares does not say).
        single = self._servers is not None and len(self._servers) == 1
        self._server = self._servers[0] if self._servers and single else None
        self._hosts_file = hosts_file
        if deadline is None:
            servers = len(self._servers) if self._servers else 3  # resolv.conf: MAXNS
            deadline = max(30.0, 8 * (tries or 3) * (try_timeout or 2.0) * servers)
        self.deadline = deadline
        self._probe_timeout = min(deadline, try_timeout or 2.0)
        # A negative answer's SOA is asked for the name itself, which is only
        # what c-ares asked when no search domain can have been appended.
        self._searchless = (domains is not None and not list(domains)) or (
            domains is None and _shape.no_system_search(resolvconf_path))
        self._driver: Loop | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<CaresBackend nameservers={self.nameservers!r}>"

    @property
    def nameservers(self) -> list[str]:
        """The servers given, in c-ares' form (a port only where one was given);
        empty when c-ares reads them from the system configuration."""
        return list(self._servers or ())

    # plumbing -----------------------------------------------------------------

    def _loop_driver(self) -> Loop:
        if self._closed:
            raise ResolverClosed(backend=self.name)
        loop = asyncio.get_running_loop()
        driver = self._driver
        if driver is None or driver.loop is not loop:
            if driver is not None:  # the old loop is gone or elsewhere: start afresh
                driver.close()
            driver = self._driver = Loop(loop, self._options, self.deadline)
        return driver

    async def _call(self, submit: Callable[..., None]) -> tuple[Any, int | None]:
        fut = self._loop_driver().start(submit)
        result: tuple[Any, int | None] = await fut
        if result[1] in (_E.ARES_ECANCELLED, _E.ARES_EDESTRUCTION) and self._closed:
            raise ResolverClosed(backend=self.name)
        return result

    async def _addresses(self, host: bytes, family: int, flags: int = 0) -> Any:
        """c-ares getaddrinfo for ``host``; raises gaierror as glibc would, in
        a :class:`NegativeAnswer` when the zone's SOA gives its negative TTL."""
        name = host.decode("ascii")
        if not name:  # glibc: an empty name is not found, not a temporary failure
            raise _glibc.gaierror(socket.EAI_NONAME)
        channel = self._loop_driver().channel
        result, status = await self._call(
            lambda cb: _cares_ffi.getaddrinfo(
                channel, name, family, flags | _ARES_AI_CANONNAME, cb)
        )
        if status is None:
            return result
        code = _gai_code(status)
        if code == socket.EAI_AGAIN:
            raise _glibc.gaierror(code)
        code, ttl = await self._negative(name, code, family)
        if ttl is None:
            raise _glibc.gaierror(code)
        raise NegativeAnswer(_glibc.gaierror(code), ttl)

    async def _negative(self, name: str, code: int, family: int) -> tuple[int, float | None]:
        """glibc's code and the negative TTL of a name c-ares found no address
        for: one SOA query for the name brings the zone's SOA (RFC 2308) and
        any CNAME chain (a CNAME loop is EAI_NONAME in glibc, EAI_NODATA in
        c-ares).  Skipped where a search domain may have been appended (the
        answer would be about another name) and for hosts-file-only channels."""
        if not self._searchless:
            return code, None
        try:  # the server has just answered: it gets one attempt's time, no more
            async with _compat.timeout(self._probe_timeout):
                probe, status = await self._query_raw(name.rstrip("."), "SOA")
        except (TimeoutError, asyncio.TimeoutError):  # distinct classes on Python 3.10
            return code, None
        if probe is None or status not in (None, _E.ARES_ENOTFOUND, _E.ARES_ENODATA):
            return code, None
        if family != socket.AF_INET and _shape.cname_loop(name, probe.answer):
            code = socket.EAI_NONAME  # glibc's, except for AF_INET (EAI_NODATA there)
        return code, negative_ttl_from_result(probe)

    async def _ptr(self, address: str) -> tuple[list[str], int | None]:
        """PTR names of an address in answer order, or ``([], status)``."""
        qname = ipaddress.ip_address(address.partition("%")[0]).reverse_pointer
        result, status = await self._query_raw(qname, "PTR")
        if status is not None:
            return [], status
        answer = answer_from_result(qname, "PTR", result, self._server)
        if answer is None:
            return [], _E.ARES_ENODATA
        return [r.name for r in answer.records], None  # type: ignore[attr-defined]

    async def _hosts_reverse(self, address: str) -> HostEntry | None:
        """The hosts file's entry for an address, unless the hosts file is off."""
        if self._hosts_file is False:
            return None
        driver = self._loop_driver()
        channel = driver.hosts_channel()
        result, status = await self._call(
            lambda cb: channel.gethostbyaddr(address.partition("%")[0], callback=cb)
        )
        if status is not None:
            return None
        plain = address.partition("%")[0]
        return result.name, _shape.line_aliases(plain, result.name, list(result.aliases)), [plain]

    async def _query_raw(self, name: str, rtype: str) -> tuple[Any, int | None]:
        """``(DNSResult, status)``: the response also for NXDOMAIN / no data
        (its authority section holds the SOA), ``None`` where there was none."""
        code = QUERY_TYPES[rtype]
        channel = self._loop_driver().channel
        return await self._call(lambda cb: _cares_ffi.query(channel, name, code, cb))

    # socket mirror -------------------------------------------------------------

    async def getaddrinfo_with_ttl(
        self,
        host: bytes | None,
        port: str | int | None,
        family: int,
        type: int,
        proto: int,
        flags: int,
    ) -> tuple[list[AddrInfo], float | None]:
        """:meth:`getaddrinfo` and the smallest TTL of the addresses and CNAMEs
        (c-ares' ``ai_ttl``); ``None`` for hosts-file answers, which carry none."""
        if host is None or _glibc.ip_literal(host):
            # No DNS involved (a service name, or a family the literal is not
            # of): libc answers from the services file, or fails, as socket does.
            infos = socket.getaddrinfo(host, port, family, type, proto, flags)
            return cast("list[AddrInfo]", infos), None
        # Services, socket types and argument errors exactly as libc (raises first,
        # as glibc resolves the service before the host).
        template = _glibc.template(port, family, type, proto, flags)
        if flags & socket.AI_NUMERICHOST:  # not a literal (the facade answers those)
            raise _glibc.gaierror(socket.EAI_NONAME)
        mapped = family == socket.AF_INET6 and flags & socket.AI_V4MAPPED
        ares_family = socket.AF_UNSPEC if mapped else family
        result = await self._addresses(host, ares_family)
        addrs = _shape.select(result.nodes, family, flags)
        ttl = _shape.ttl_of(result)
        if not addrs:
            error = _glibc.gaierror(_glibc.EAI_NODATA)
            if ttl is None:
                raise error
            raise NegativeAnswer(error, ttl)
        canon = ""
        if flags & socket.AI_CANONNAME:
            canon = _shape.canonical(host.decode("ascii").rstrip("."), result.cnames).rstrip(".")
        return template.expand(addrs, canon), ttl

    async def gethostbyname_with_ttl(self, host: bytes) -> tuple[str, float | None]:
        _glibc.check_ipv4_name(host)
        return await super().gethostbyname_with_ttl(host)

    async def gethostbyname_ex_with_ttl(self, host: bytes) -> tuple[HostEntry, float | None]:
        _glibc.check_ipv4_name(host)
        if not host:  # glibc's gethostbyname_r("") fails so (h_errno NO_RECOVERY)
            raise socket.herror(_glibc.NO_RECOVERY, "Unknown server error")
        result = await self._addresses(host, socket.AF_INET, _ARES_AI_NOSORT)
        name = host.decode("ascii").rstrip(".")
        canonical = _shape.canonical(name, result.cnames)
        if _shape.from_hosts_file(result):  # c-ares shows hosts-file aliases as CNAMEs
            aliases = _shape.unique(c.alias for c in result.cnames
                              if c.name == canonical and c.alias and c.alias != canonical)
        else:
            aliases = [a.rstrip(".") for a in _shape.alias_chain(name, result.cnames)]
        addrs = _shape.unique(_shape.text(n.addr[0]) for n in result.nodes)
        return (canonical.rstrip("."), aliases, addrs), _shape.ttl_of(result)

    async def gethostbyaddr(self, host: bytes) -> HostEntry:
        text = host.decode("ascii")
        try:  # as CPython's setipaddr: literal, or the first address of the name
            info = socket.getaddrinfo(text, None, 0, 0, 0, socket.AI_NUMERICHOST)
            address = str(info[0][4][0])
        except socket.gaierror:
            infos = await self.getaddrinfo(host, None, socket.AF_UNSPEC, 0, 0, 0)
            address = str(infos[0][4][0])
        entry = await self._hosts_reverse(address)
        if entry is not None:
            return entry
        names, status = await self._ptr(address)
        if status is not None:
            if status in (_E.ARES_ENOTFOUND, _E.ARES_ENODATA):
                raise socket.herror(_glibc.HOST_NOT_FOUND, "Unknown host")
            raise socket.herror(_glibc.TRY_AGAIN, "Host name lookup failure")
        # glibc names the first PTR and lists no aliases.
        return names[0], [], [address.partition("%")[0]]

    async def getnameinfo(self, sockaddr: SockAddr, flags: int) -> tuple[str, str]:
        if flags & socket.NI_NUMERICHOST:
            return socket.getnameinfo(sockaddr, flags)  # no DNS (service: local NSS)
        numeric_host, service = socket.getnameinfo(
            sockaddr, (flags | socket.NI_NUMERICHOST) & ~socket.NI_NAMEREQD
        )
        entry = await self._hosts_reverse(numeric_host)
        if entry is not None:
            return _glibc.strip_local_domain(entry[0], flags), service
        names, status = await self._ptr(numeric_host)
        if status is None:
            return _glibc.strip_local_domain(names[0], flags), service
        if status not in (_E.ARES_ENOTFOUND, _E.ARES_ENODATA):
            raise _glibc.gaierror(socket.EAI_AGAIN)
        if flags & socket.NI_NAMEREQD:
            raise _glibc.gaierror(socket.EAI_NONAME)
        return numeric_host, service

    # records -------------------------------------------------------------------

    async def query(self, name: str, rtype: str) -> Answer:
        """Records of type ``rtype`` at ``name``; see :meth:`Backend.query`.

        TXT records come back as one string each (pycares joins a record's
        character-strings); SVCB raises :class:`~aioresolve.BackendUnavailable`
        (pycares 5 cannot parse it).
        """
        if rtype not in QUERY_TYPES:
            return await super().query(name, rtype)
        # Submitted and awaited here, not through _query_raw()/_call(): one
        # coroutine frame per lookup instead of three (see query_with_ttl).
        fut = self._submit_query(name, rtype)
        return self._answer(name, rtype, await fut)

    async def query_with_ttl(self, name: str, rtype: str) -> tuple[Answer, float | None]:
        """:meth:`query` and the answer's TTL: what the Resolver's cache calls,
        written out (not awaiting :meth:`query`) to keep one coroutine frame
        per lookup in flight instead of four."""
        if rtype not in QUERY_TYPES:
            return await super().query(name, rtype), None
        fut = self._submit_query(name, rtype)
        answer = self._answer(name, rtype, await fut)
        return answer, answer.ttl

    def begin_query(
        self, name: str, rtype: str, done: Callable[[Answer | BaseException], object],
        loop: asyncio.AbstractEventLoop,
    ) -> Request:
        """:meth:`query` without a coroutine (see :meth:`Backend.begin_query`)."""
        if rtype not in QUERY_TYPES:
            raise self.unavailable(name, rtype)
        if len(name) > 253 or any(not 0 < len(label) < 64 for label in name.split(".")):
            raise IllegalName(host=name, rtype=rtype, backend=self.name)
        code = QUERY_TYPES[rtype]
        driver = self._driver
        if driver is None or driver.loop is not loop:
            driver = self._loop_driver()  # closed (raises), or a new loop
        channel = driver.channel
        answer = self._answer

        def finish(outcome: tuple[Any, int | None]) -> None:
            try:
                result: Answer | BaseException = answer(name, rtype, outcome)
            except Exception as exc:
                result = exc
            done(result)

        return driver.begin(lambda cb: _cares_ffi.query(channel, name, code, cb), finish)

    def cancel_query(self, handle: object) -> None:
        """Drop a query of :meth:`begin_query`: c-ares has no per-request
        cancel, so its late answer is dropped (its own timeout ends it)."""
        request = cast(Request, handle)
        driver = self._driver
        if driver is not None:
            driver.forget(request)
        else:
            request.live = False

    def _submit_query(self, name: str, rtype: str) -> asyncio.Future[Any]:
        """Start the c-ares query; the future gets ``(DNSResult, status)``."""
        if len(name) > 253 or any(not 0 < len(label) < 64 for label in name.split(".")):
            raise IllegalName(host=name, rtype=rtype, backend=self.name)
        code = QUERY_TYPES[rtype]
        driver = self._loop_driver()
        channel = driver.channel
        return driver.start(lambda cb: _cares_ffi.query(channel, name, code, cb))

    def _answer(self, name: str, rtype: str, outcome: tuple[Any, int | None]) -> Answer:
        """The :class:`Answer` of a finished c-ares query, or its error raised."""
        result, status = outcome
        if status is None:
            try:
                answer = answer_from_result(name, rtype, result, self._server)
            except Exception as exc:  # a record our types cannot hold: typed, not a crash
                raise ResolveError(
                    f"the {rtype} answer for {name!r} cannot be read: {exc!r}",
                    host=name, rtype=rtype, backend=self.name, server=self._server,
                ) from exc
            if answer is not None:
                return answer
            status = _E.ARES_ENODATA  # only CNAMEs (or a CNAME loop)
        if status in (_E.ARES_ECANCELLED, _E.ARES_EDESTRUCTION) and self._closed:
            raise ResolverClosed(backend=self.name)
        raise error_for_status(
            status, host=name, rtype=rtype, backend=self.name, server=self._server,
            result=result,
        )

    async def reverse(self, address: str) -> Answer:
        """PTR records of an IPv4 or IPv6 address (``"192.0.2.1"``, ``"2001:db8::1"``)."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise IllegalName(f"not an IP address: {address!r}", host=address,
                              backend=self.name) from None
        return await self.query(ip.reverse_pointer, "PTR")

    async def release_loop(self) -> None:
        """Destroy the channel of the running loop (the next lookup makes a new one)."""
        driver = self._driver
        if driver is not None and driver.loop is asyncio.get_running_loop():
            driver.close()
            self._driver = None

    async def aclose(self) -> None:
        """Fail lookups in flight with :class:`~aioresolve.ResolverClosed`, stop
        watching c-ares' sockets and destroy the channel (which closes them)."""
        self._closed = True
        if self._driver is not None:
            self._driver.close()
            self._driver = None
