"""dnsdist in front of a rig server: faults injected by name, answers
delayed, and queries counted per name (:func:`start_dnsdist`)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from . import zone as z
from ._process import (
    RigUnavailable,
    Server,
    _address,
    _spawn,
    _which,
    free_port,
    wait_until_answering,
)


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
