"""An embedded authoritative DNS server for tests: :class:`DNSServer`.

This module holds the server's life cycle, its data and what a test reads
back; how one query is answered (UDP and TCP) is :mod:`._answering`, the
fault and statistics types are :mod:`._faults`, the zone data :mod:`._zone`.
UDP is read by a reader of its own that drains up to 64 datagrams per
wake-up (asyncio's datagram transport reads one per event-loop pass, which
capped it at a third of the rate).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import random
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any

import dns.rcode
import dns.rdatatype

from ._answering import Answering, TCPProtocol, _Entry
from ._faults import Fault, LoggedQuery, ServerStats
from ._zone import Records, ZoneStore, name_to_wire, wire_to_text

if TYPE_CHECKING:
    from .._api import Resolver

__all__ = ["DNSServer", "Fault", "LoggedQuery", "ServerStats"]


def _rtype_text(rtype: int) -> str:
    return dns.rdatatype.to_text(rtype)  # type: ignore[arg-type]


def _rcode_text(rcode: int) -> str:
    return dns.rcode.to_text(rcode)  # type: ignore[arg-type]


class DNSServer(Answering):
    """An authoritative DNS server on loopback, for tests, over UDP and TCP.

    ::

        async with DNSServer({"www.example.test": {"A": ["192.0.2.1"]}}) as server:
            print(server.address)          # "127.0.0.1:PORT" (same port UDP & TCP)
            async with server.resolver() as resolver:
                answer = await resolver.query("www.example.test", "A")

    :param records: a mapping ``{owner: spec}``, where ``spec`` is

        * ``{"A": "192.0.2.1"}`` / ``{"A": ["192.0.2.1", "192.0.2.2"]}``: rdata in
          master-file format, any type dnspython knows (``"MX": "10 mx.example.test"``,
          ``"SRV": "0 5 5060 sip.example.test"``, ``"CAA": '0 issue "ca.test"'``);
          names in rdata are absolute (a trailing dot is optional);
        * ``"ttl": 60`` among the types: the TTL of this owner's records;
        * ``{"A": {"ttl": 60, "values": [...]}}``: a TTL for one type;
        * ``"TXT": "v=spf1 -all"``: plain text is one TXT string (split into
          255-byte strings if longer); text starting with ``"`` is master-file
          format (``'"a" "b"'`` is one record of two strings);
        * a bare address or list of addresses instead of the mapping: A/AAAA.

    :param zone_text: master-file text of one zone (``$ORIGIN`` names it), or
        a mapping ``{origin: text}`` of several; parsed by :mod:`dns.zone`.
    :param zones: the zone apexes the mapping's records belong to.  Without it
        (and without a SOA among the records) each owner makes a zone of its last
        two labels: ``www.example.test`` -> ``example.test``.  Each zone without
        a SOA gets ``ns.<zone>. hostmaster.<zone>. 1 3600 600 86400
        <negative_ttl>``.  Queries for names outside every zone get REFUSED.
    :param ttl: TTL of records that do not give one (seconds).
    :param negative_ttl: SOA MINIMUM of synthesised SOAs: the TTL of the SOA
        in NXDOMAIN/NODATA answers is ``min(SOA TTL, MINIMUM)`` (RFC 2308).
    :param host: the loopback address to listen on; ``port``: 0 picks a free
        port, the same one for UDP and TCP.
    :param fault: a :class:`Fault` for every query; ``faults``: per-name faults
        (for the name and every name below it; the closest one wins and replaces
        ``fault``).  ``seed`` makes the random faults repeatable.
    :param log_size: how many queries :attr:`queries` keeps (the oldest go).
    :param count_limit: how many distinct (name, type) pairs the per-name
        counters (:meth:`query_count`, ``stats.by_name``) keep at most; past
        that, pairs seen once are forgotten first, then the oldest (totals
        stay exact).  Memory stays bounded over millions of names.
    :param tcp_idle_timeout: seconds a TCP connection may stay idle (no
        complete query) before the server closes it (RFC 7766 §6.2.3; knot's
        default is 10 s).  ``None``: never.

    Semantics: AA on answers from the zones; CNAMEs are followed inside the
    zone (as knot does); wildcards and empty non-terminals behave per RFC 4592;
    answers over UDP larger than the client's EDNS payload (512 bytes without
    EDNS) have TC=1 and no records, TCP carries any size and several queries
    per connection; FORMERR for unparsable questions, NOTIMP for opcodes
    other than QUERY, REFUSED for classes other than IN.  Delegations are
    served as plain NS records (no referrals); there is no DNSSEC, zone
    transfer or dynamic update.
    """

    def __init__(
        self,
        records: Records | None = None,
        *,
        zone_text: str | Mapping[str, str] | None = None,
        zones: Iterable[str] | None = None,
        ttl: int = 300,
        negative_ttl: int = 60,
        host: str = "127.0.0.1",
        port: int = 0,
        fault: Fault | None = None,
        faults: Mapping[str, Fault] | None = None,
        seed: int | None = None,
        log_size: int = 10_000,
        count_limit: int = 50_000,
        tcp_idle_timeout: float | None = 10.0,
    ) -> None:
        if count_limit < 1:
            raise ValueError(f"count_limit must be at least 1, not {count_limit!r}")
        if tcp_idle_timeout is not None and tcp_idle_timeout <= 0:
            raise ValueError(f"tcp_idle_timeout must be positive, not {tcp_idle_timeout!r}")
        self.count_limit = count_limit
        self.tcp_idle_timeout = tcp_idle_timeout
        self.host = host
        self._requested_port = port
        self._store = ZoneStore(default_ttl=ttl, negative_ttl=negative_ttl)
        zones = list(zones or ())
        if isinstance(zone_text, str):
            self._store.load_zone_text(zone_text)
        elif zone_text is not None:
            for origin, text in zone_text.items():
                self._store.load_zone_text(text, origin)
        if records is not None or zones:
            self._store.load_records(records or {}, zones or None)
        self._fault = fault
        self._faults: dict[bytes, Fault] = {}
        for name, f in (faults or {}).items():
            self._faults[name_to_wire(name)] = f
        self._random = random.Random(seed)
        self._cache: dict[tuple[bytes, int, bool], _Entry] = {}
        self._log: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=log_size)
        self._udp: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tcp: asyncio.Server | None = None
        self._tcp_conns: set[asyncio.Transport] = set()
        self._tcp_idle_closed = 0
        self._timers: set[asyncio.TimerHandle] = set()
        self.port = 0
        self.reset_stats()

    def __repr__(self) -> str:
        state = f"on {self.address}" if self.running else "stopped"
        return f"<DNSServer {state} zones={self.zones}>"

    # -- lifecycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._udp is not None

    @property
    def address(self) -> str:
        """``"127.0.0.1:PORT"`` (``"[::1]:PORT"`` for IPv6), for ``nameservers=``."""
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}"

    @property
    def nameservers(self) -> list[str]:
        """``[self.address]``."""
        return [self.address]

    async def start(self) -> DNSServer:
        """Bind UDP and TCP on the same port and start serving."""
        if self.running:
            raise RuntimeError("DNSServer is already running")
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ipaddress.ip_address(self.host).version == 6 else socket.AF_INET
        last_error: OSError | None = None
        # Port 0: UDP picks a free port and TCP takes the same one, which may
        # be busy for TCP; then try another.
        for _ in range(1 if self._requested_port else 20):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            try:
                udp.setblocking(False)
                with contextlib.suppress(OSError):  # a bigger queue rides out bursts
                    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                udp.bind((self.host, self._requested_port))
                port = udp.getsockname()[1]
                self._tcp = await loop.create_server(
                    lambda: TCPProtocol(self), self.host, port, family=family, reuse_address=True
                )
            except OSError as exc:
                udp.close()
                last_error = exc
                continue
            self._udp, self.port = udp, port
            # A reader of our own instead of a DatagramTransport: one wake-up
            # drains many datagrams (asyncio reads one per event-loop pass).
            loop.add_reader(udp.fileno(), self._udp_ready)
            self._loop = loop
            return self
        raise OSError(f"could not bind UDP and TCP on one port of {self.host}: {last_error}")

    async def stop(self) -> None:
        """Stop serving: close the sockets, drop delayed answers and open TCP
        connections.  Stopping a stopped server is harmless."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._udp is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._udp.fileno())
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for conn in list(self._tcp_conns):
                conn.abort()
            await self._tcp.wait_closed()
            self._tcp = None

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[DNSServer]:
        """Serve from a daemon thread running an event loop of its own, for
        synchronous code and tests (``with server.in_thread(): ...``).

        The server's methods may be called from the test's thread meanwhile
        (CPython's GIL keeps the dictionaries consistent); :meth:`resolver` is
        the exception: a resolver belongs to the loop that uses it.
        """
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=loop.run_forever, name=f"aioresolve-DNSServer-{id(self):x}", daemon=True
        )
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=60)
            yield self
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=60)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=60)
            if not thread.is_alive():
                loop.close()

    async def __aenter__(self) -> DNSServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def resolver(self, backend: str | None = None, **options: Any) -> Resolver:
        """An :class:`aioresolve.Resolver` that asks only this server.

        ``backend=None`` takes ``"wire"`` where it can be loaded, else
        ``"cares"``; never the system backend, which cannot be pointed at a
        server.  ``options`` go to the :class:`~aioresolve.Resolver` (e.g.
        ``cache=False``, ``timeout=2``)."""
        from .._api import Resolver
        from .._backends import backend_class
        from .._errors import BackendUnavailable

        if backend is None:
            try:
                backend_class("wire")
                backend = "wire"
            except BackendUnavailable:
                backend = "cares"
        if backend == "system":
            raise ValueError("the system backend cannot be pointed at a DNSServer")
        options.setdefault("nameservers", self.nameservers)
        return Resolver(backend, **options)

    # -- data --------------------------------------------------------------------

    @property
    def zones(self) -> list[str]:
        """The origins served (no trailing dot)."""
        return sorted(wire_to_text(z) for z in self._store.zones)

    def add_records(self, records: Records, zones: Iterable[str] | None = None) -> None:
        """Add records (same format as the constructor's) while running; an
        existing RRset gets the new records merged in."""
        self._store.load_records(records, zones)
        self._cache.clear()

    def add_zone_text(self, text: str, origin: str | None = None) -> None:
        """Load one more master file while running."""
        self._store.load_zone_text(text, origin)
        self._cache.clear()

    def remove_records(self, name: str, rtype: str | None = None) -> None:
        """Remove the ``rtype`` RRset of ``name``, or all of its records."""
        self._store.remove(name, rtype)
        self._cache.clear()

    @property
    def fault(self) -> Fault | None:
        """The fault applied to every name without a per-name one."""
        return self._fault

    @fault.setter
    def fault(self, value: Fault | None) -> None:
        self._fault = value
        self._cache.clear()

    @property
    def faults(self) -> Mapping[str, Fault]:
        """Per-name faults (read-only view; change them with :meth:`set_fault`)."""
        return MappingProxyType({wire_to_text(n): f for n, f in self._faults.items()})

    def set_fault(self, name: str, fault: Fault | None) -> None:
        """Inject ``fault`` for ``name`` and every name below it (``None`` removes it)."""
        key = name_to_wire(name)
        if fault is None:
            self._faults.pop(key, None)
        else:
            self._faults[key] = fault
        self._cache.clear()

    # -- observation -------------------------------------------------------------

    @property
    def queries(self) -> list[LoggedQuery]:
        """The last ``log_size`` queries received, oldest first."""
        return [
            LoggedQuery(
                t, wire_to_text(n), _rtype_text(q), tr, rc if rc is None else _rcode_text(rc), c
            )
            for t, n, q, tr, rc, c in list(self._log)  # a copy: in_thread() serves meanwhile
        ]

    @property
    def stats(self) -> ServerStats:
        """Counters since start (or :meth:`reset_stats`)."""
        by_rcode = {
            ("DROPPED" if rc is None else _rcode_text(rc)): n
            for rc, n in dict(self._by_rcode).items()
        }
        by_name: collections.Counter[tuple[str, str]] = collections.Counter()
        for (wire, rtype), n in dict(self._by_name).items():
            by_name[wire_to_text(wire), _rtype_text(rtype)] += n
        return ServerStats(
            queries=self._udp_count + self._tcp_count,
            udp=self._udp_count,
            tcp=self._tcp_count,
            truncated=self._tc_count,
            formerr=self._formerr_count,
            by_rcode=MappingProxyType(by_rcode),
            by_name=MappingProxyType(dict(by_name)),
        )

    def query_count(self, name: str | None = None, rtype: str | None = None) -> int:
        """How many queries arrived (for ``name`` and/or ``rtype`` if given;
        names compare case-insensitively)."""
        if name is None and rtype is None:
            return self._udp_count + self._tcp_count
        wire = None if name is None else name_to_wire(name)
        kind = None if rtype is None else dns.rdatatype.from_text(rtype)
        return sum(
            n
            for (w, q), n in dict(self._by_name).items()
            if (wire is None or w == wire) and (kind is None or q == kind)
        )

    def reset_stats(self) -> None:
        """Zero the counters and empty the query log."""
        self._udp_count = self._tcp_count = self._tc_count = self._formerr_count = 0
        self._by_name: collections.Counter[tuple[bytes, int]] = collections.Counter()
        self._by_rcode: collections.Counter[int | None] = collections.Counter()
        self._log.clear()

    def _prune_counts(self) -> None:
        """Bound the per-name counters: forget the pairs seen once, and if that
        is not a quarter of them, the oldest half (insertion order)."""
        by_name = self._by_name
        keep = {k: n for k, n in by_name.items() if n > 1}
        if len(keep) > self.count_limit * 3 // 4:
            keys = list(keep)
            keep = {k: keep[k] for k in keys[len(keys) // 2 :]}
        self._by_name = collections.Counter(keep)
