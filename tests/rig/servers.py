"""Start and stop the real DNS servers of the test rig: knotd and dnsdist.

Plain functions returning context managers, usable from pytest fixtures,
benchmarks and scripts alike::

    from tests.rig.servers import start_knot, start_dnsdist

    with start_knot() as knot, start_dnsdist(knot) as dnsdist:
        resolver = aioresolve.Resolver(backend="cares", nameservers=[dnsdist.address])

Both listen on UDP and TCP of one loopback address (127.0.0.1 and a free port
by default).  A start returns only once the server answers an authoritative
SOA query for every zone it serves, so a test never races a loading server.
When a binary is missing or will not start, :class:`RigUnavailable` says why
(the pytest fixtures turn that into a skip, or a failure under CI).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from . import zone as z

__all__ = [
    "DnsdistServer",
    "KnotServer",
    "RigUnavailable",
    "Server",
    "free_port",
    "start_dnsdist",
    "start_knot",
    "start_rig",
    "wait_until_answering",
]

#: Ports are drawn from below the kernel's ephemeral range (32768-60999), so a
#: client socket elsewhere on the box cannot grab ours between probe and bind.
_PORT_RANGE = (20000, 32000)


class RigUnavailable(RuntimeError):
    """A server binary is missing or failed to start (the message says why)."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test - or fail it under CI, where the rig is installed and must work."""
    import pytest

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"test rig unavailable under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port(host: str = "127.0.0.1") -> int:
    """A port on *host* free for both UDP and TCP right now.

    The sockets are bound without SO_REUSEPORT, so a port another server holds
    is never returned; the short window until our server binds is the only race.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(200):
        port = random.randint(*_PORT_RANGE)
        try:
            with (
                socket.socket(family, socket.SOCK_DGRAM) as u,
                socket.socket(family, socket.SOCK_STREAM) as t,
            ):
                u.bind((host, port))
                t.bind((host, port))
        except OSError:
            continue
        return port
    raise RigUnavailable(f"no free UDP+TCP port on {host}")


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass
class Server:
    """A running server process listening on ``host``:``port`` (UDP + TCP)."""

    host: str
    port: int
    proc: subprocess.Popen[bytes]
    workdir: Path
    name: str = "server"
    _keep_workdir: bool = field(default=False, repr=False)

    @property
    def address(self) -> str:
        """``"127.0.0.1:PORT"`` (``"[::1]:PORT"`` for IPv6) - the form aioresolve takes."""
        return _address(self.host, self.port)

    @property
    def nameserver(self) -> tuple[str, int]:
        """``(host, port)``."""
        return (self.host, self.port)

    def log(self) -> str:
        """What the server has printed so far (stdout + stderr)."""
        try:
            return (self.workdir / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after 5 s) and clean up."""
        _terminate(self.proc)
        if not self._keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class KnotServer(Server):
    """knotd serving the rig's zones (see :mod:`tests.rig.zone`)."""

    zones: tuple[str, ...] = ()

    def __enter__(self) -> KnotServer:
        return self


@dataclass
class DnsdistServer(Server):
    """dnsdist in front of a :class:`KnotServer`, injecting faults by name.

    Under :data:`~tests.rig.zone.DROP_NAME` queries are dropped, under
    ``SERVFAIL_NAME`` / ``REFUSED_NAME`` answered with that rcode, under
    ``TC_NAME`` answered TC=1 over UDP (the full answer comes over TCP), and
    under ``SLOW_NAME`` UDP answers are delayed by ``SLOW_DELAY_MS`` (dnsdist
    1.7's DelayAction delays UDP only).  ``latency_ms`` delays every UDP answer.
    """

    upstream: Server | None = None
    counting: bool = True
    latency_ms: int = 0

    def __enter__(self) -> DnsdistServer:
        return self

    def _readout(self, name: str, tcp: bool = False) -> list[bytes]:
        """Ask dnsdist's counter for *name* (a query of the private type
        :data:`COUNTS_QTYPE`, answered by the counter's own Lua action: see
        ``_COUNTING_LUA``); the records' raw data, or [] on NXDOMAIN."""
        query = dns.message.make_query(name, dns.rdatatype.RdataType.make(COUNTS_QTYPE))
        send = dns.query.tcp if tcp else dns.query.udp
        try:
            resp = send(query, self.host, port=self.port, timeout=10)
        except (OSError, dns.exception.DNSException) as exc:
            code = self.proc.poll()
            if code is not None:  # say so, with what it printed: not a bare timeout
                raise RuntimeError(f"dnsdist exited with code {code}; its log ends:\n"
                                   f"{self.log()[-2000:]}") from exc
            raise
        if resp.rcode() == dns.rcode.NXDOMAIN:
            return []
        if resp.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"dnsdist counter {name}: {dns.rcode.to_text(resp.rcode())}")
        return [rdata.to_wire() for rrset in resp.answer for rdata in rrset]

    def _need_counting(self) -> None:
        if not self.counting:
            raise RuntimeError("this dnsdist was started with counting=False")

    def query_counts(self) -> dict[str, int]:
        """Queries received so far (every transport, every type), by lower-case
        query name without the trailing dot.  Needs ``counting=True``."""
        self._need_counting()
        counts: dict[str, int] = {}
        while True:  # pages of names in the order first seen, over TCP
            page = self._readout(f"{len(counts)}.dump.{_COUNTS_SUFFIX}", tcp=True)
            if not page:
                return counts
            for line in page:
                name, _, n = line.decode().rpartition("\t")
                counts[name.rstrip(".")] = int(n)

    def queries_for(self, name: str) -> int:
        """How many queries for *name* (any type, case-insensitive) reached dnsdist."""
        self._need_counting()
        (value,) = self._readout(name.rstrip(".") + ".")
        return int(value)

    def query_count(self) -> int:
        """How many queries reached dnsdist in total (since start or last reset)."""
        self._need_counting()
        (value,) = self._readout(f"total.{_COUNTS_SUFFIX}")
        return int(value)

    def reset_counts(self) -> None:
        """Forget all counts (other tests share the session server: prefer
        fresh names, or compare before/after, over resetting)."""
        self._need_counting()
        self._readout(f"reset.{_COUNTS_SUFFIX}")


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _which(binary: str) -> str:
    for candidate in (shutil.which(binary), f"/usr/sbin/{binary}", f"/usr/bin/{binary}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RigUnavailable(f"{binary} not found (apt-get install knot dnsdist)")


def _soa_answered(host: str, port: int, zone: str, tcp: bool, timeout: float) -> bool:
    query = dns.message.make_query(zone + ".", dns.rdatatype.SOA)
    try:
        if tcp:
            resp = dns.query.tcp(query, host, port=port, timeout=timeout)
        else:
            resp = dns.query.udp(query, host, port=port, timeout=timeout)
    except (OSError, dns.exception.DNSException):
        return False
    return resp.rcode() == dns.rcode.NOERROR and bool(resp.answer)


def wait_until_answering(
    host: str,
    port: int,
    zones: tuple[str, ...],
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 30.0,
) -> None:
    """Poll until every zone's SOA is answered over UDP and TCP.

    Raises :class:`RigUnavailable` when *proc* exits or *timeout* passes.
    """
    deadline = time.monotonic() + timeout
    pending = list(zones)
    # Short probes first: a UDP query to a port nobody has bound yet may get
    # no ICMP error back (gVisor), so each probe costs its whole timeout.
    probe = 0.05
    while pending:
        if proc is not None and proc.poll() is not None:
            raise RigUnavailable(f"server exited with status {proc.returncode}")
        if time.monotonic() > deadline:
            raise RigUnavailable(f"server on {_address(host, port)} not answering for {pending}")
        zone = pending[0]
        if _soa_answered(host, port, zone, False, probe) and _soa_answered(
            host, port, zone, True, probe
        ):
            pending.pop(0)
        else:
            probe = min(probe * 1.5, 1.0)
            time.sleep(0.01)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent (thread) dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(argv: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            # Own process group: a Ctrl-C to pytest must not kill it mid-test,
            # and the fixture stops it explicitly.
            start_new_session=True,
            # ... but if we die without stopping it (SIGKILL), it goes too.
            preexec_fn=_die_with_parent,
        )
    finally:
        log.close()


def _knot_conf(workdir: Path, host: str, port: int, zones: tuple[str, ...], workers: int) -> str:
    zone_lines = "\n".join(f"  - domain: {name}" for name in zones)
    return f"""\
server:
    listen: {host}@{port}
    rundir: {workdir}
    udp-workers: {workers}
    tcp-workers: {workers}
    background-workers: 1
control:
    listen: {workdir}/knot.sock
database:
    storage: {workdir}/db
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: {workdir}
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
{zone_lines}
"""


@contextlib.contextmanager
def start_knot(
    zones: Mapping[str, str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    bulk_count: int = z.BULK_DEFAULT_COUNT,
    workers: int = 1,
    timeout: float = 60.0,
    keep_workdir: bool = False,
) -> Iterator[KnotServer]:
    """Run knotd on *host*:*port* (0 = a free port) until the block exits.

    *zones* maps zone name to master-file text; by default the rig's zones
    (:func:`tests.rig.zone.all_zones` with *bulk_count* bulk names).  Raises
    :class:`RigUnavailable` if knotd is missing or does not come up in *timeout*
    seconds (a 1M-name bulk zone takes a few seconds to load).
    """
    knotd = _which("knotd")
    if zones is None:
        zones = z.all_zones(bulk_count)
    names = tuple(zones)
    for attempt in range(3):
        use_port = port or free_port(host)
        workdir = Path(tempfile.mkdtemp(prefix="aioresolve-knot-"))
        for name, text in zones.items():
            (workdir / f"{name}.zone").write_text(text)
        (workdir / "knot.conf").write_text(_knot_conf(workdir, host, use_port, names, workers))
        proc = _spawn([knotd, "-c", str(workdir / "knot.conf")], workdir)
        server = KnotServer(
            host, use_port, proc, workdir, "knotd", _keep_workdir=keep_workdir, zones=names
        )
        try:
            wait_until_answering(host, use_port, names, proc, timeout)
        except RigUnavailable as exc:
            log = server.log()
            server.stop()
            if port or attempt == 2 or "address already in use" not in log.lower():
                raise RigUnavailable(f"knotd failed: {exc}\n{log[-2000:]}") from None
            continue
        with server:
            yield server
        return


_DNSDIST_LUA = """\
setSecurityPollSuffix("")  -- never ask the outside world about versions
setVerboseHealthChecks(false)
newServer({{address="{upstream}", checkInterval=3600, retries=0, tcpRecvTimeout=5,
           tcpSendTimeout=5, udpTimeout=5}}):setUp()
{counting}
local function smn(name)
  local s = newSuffixMatchNode()
  s:add(newDNSName(name))
  return SuffixMatchNodeRule(s, true)
end
addAction(smn("{drop}"), DropAction())
addAction(smn("{servfail}"), RCodeAction(DNSRCode.SERVFAIL))
addAction(smn("{refused}"), RCodeAction(DNSRCode.REFUSED))
addAction(AndRule({{smn("{tc}"), TCPRule(false)}}), TCAction())
addAction(AndRule({{smn("{slow}"), TCPRule(false)}}), DelayAction({slow_ms}))
{latency}
"""

#: The private query type (RFC 6895's 65280-65534) of the counter's readouts.
COUNTS_QTYPE = 65400
_COUNTS_SUFFIX = "counts.rig.invalid."

# The per-name counter, and its readouts answered by the same Lua state.
# Not a registerWebHandler endpoint: dnsdist 1.7.3 runs Lua web handlers
# without the Lua lock, so reading the table while the UDP thread's action
# wrote it corrupted the Lua state and crashed dnsdist (SIGSEGV/SIGABRT; seen
# in CI, and reproduced in seconds by one thread polling the handler while
# three sent queries).  Every LuaAction runs under that lock.  Readouts are
# queries of type COUNTS_QTYPE, matched before anything else and not counted:
# for ``total.`` / ``reset.`` / ``N.dump.`` under counts.rig.invalid the
# total, a reset, or the names first seen after the N-th (a page of up to
# 60 kB, over TCP); for any other name, that name's count.
_COUNTING_LUA = """\
counts, order, total = {}, {}, 0
local control = newDNSName("counts.rig.invalid")
addAction(QTypeRule(65400), LuaAction(function(dq)
  local what = dq.qname:toString():lower()
  if dq.qname:isPartOf(control) then
    if what == "total.counts.rig.invalid." then
      dq:spoof({tostring(total)})
      return DNSAction.HeaderModify, ""
    elseif what == "reset.counts.rig.invalid." then
      counts, order, total = {}, {}, 0
      dq:spoof({"0"})
      return DNSAction.HeaderModify, ""
    end
    local first = tonumber(what:match("^(%d+)%.dump%.counts%.rig%.invalid%.$"))
    if first then
      local out, size = {}, 0
      for i = first + 1, #order do  -- a page fits one TCP message
        local line = order[i] .. "\\t" .. counts[order[i]]
        size = size + #line + 12
        if size > 60000 then break end
        table.insert(out, line)
      end
      if #out == 0 then return DNSAction.Nxdomain, "" end
      dq:spoof(out)
      return DNSAction.HeaderModify, ""
    end
  end
  dq:spoof({tostring(counts[what] or 0)})
  return DNSAction.HeaderModify, ""
end))
addAction(AllRule(), LuaAction(function(dq)
  local n = dq.qname:toString():lower()
  local seen = counts[n]
  if seen == nil then table.insert(order, n); seen = 0 end
  counts[n] = seen + 1
  total = total + 1
  return DNSAction.None, ""
end))
"""


@contextlib.contextmanager
def start_dnsdist(
    upstream: Server,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    counting: bool = True,
    latency_ms: int = 0,
    timeout: float = 30.0,
    keep_workdir: bool = False,
) -> Iterator[DnsdistServer]:
    """Run dnsdist on *host*:*port* in front of *upstream* until the block exits.

    Fault names behave as :class:`DnsdistServer` says.  ``counting=False``
    drops the per-name Lua counter (faster, for benchmarks); ``latency_ms``
    delays every UDP answer (a crude WAN for latency benchmarks).
    """
    dnsdist = _which("dnsdist")
    zones = getattr(upstream, "zones", ()) or (z.ZONE,)
    for attempt in range(3):
        use_port = port or free_port(host)
        workdir = Path(tempfile.mkdtemp(prefix="aioresolve-dnsdist-"))
        lua = _DNSDIST_LUA.format(
            upstream=upstream.address,
            counting=_COUNTING_LUA if counting else "",
            drop=z.DROP_NAME,
            servfail=z.SERVFAIL_NAME,
            refused=z.REFUSED_NAME,
            tc=z.TC_NAME,
            slow=z.SLOW_NAME,
            slow_ms=z.SLOW_DELAY_MS,
            latency=(
                f"addAction(TCPRule(false), DelayAction({int(latency_ms)}))" if latency_ms else ""
            ),
        )
        (workdir / "dnsdist.lua").write_text(lua)
        argv = [
            dnsdist,
            "--supervised",
            "--disable-syslog",
            "-C",
            str(workdir / "dnsdist.lua"),
            "-l",
            _address(host, use_port),
        ]
        proc = _spawn(argv, workdir)
        server = DnsdistServer(
            host,
            use_port,
            proc,
            workdir,
            "dnsdist",
            _keep_workdir=keep_workdir,
            upstream=upstream,
            counting=counting,
            latency_ms=latency_ms,
        )
        try:
            wait_until_answering(host, use_port, tuple(zones), proc, timeout)
            if counting:
                server.reset_counts()  # forget the readiness probes
        except (RigUnavailable, OSError, RuntimeError, dns.exception.DNSException) as exc:
            log = server.log()
            server.stop()
            if port or attempt == 2 or "address already in use" not in log.lower():
                raise RigUnavailable(f"dnsdist failed: {exc}\n{log[-2000:]}") from None
            continue
        with server:
            yield server
        return


@contextlib.contextmanager
def start_rig(
    *,
    bulk_count: int = z.BULK_DEFAULT_COUNT,
    host: str = "127.0.0.1",
    port: int = 0,
    counting: bool = True,
    latency_ms: int = 0,
    knot_workers: int = 1,
) -> Iterator[tuple[KnotServer, DnsdistServer]]:
    """knotd (rig zones, *bulk_count* bulk names) on 127.0.0.1 plus dnsdist in
    front of it on *host*:*port*; yields ``(knot, dnsdist)``.  For benchmarks::

        with start_rig(bulk_count=100_000, counting=False) as (knot, front):
            ...  # query knot.address directly, or front.address for faults
    """
    with (
        start_knot(bulk_count=bulk_count, workers=knot_workers) as knot,
        start_dnsdist(
            knot, host=host, port=port, counting=counting, latency_ms=latency_ms
        ) as front,
    ):
        yield knot, front
