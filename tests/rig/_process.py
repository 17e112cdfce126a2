"""The rig's server processes: free loopback ports, spawning a server that
dies with its parent, waiting until it answers, and stopping it
(:class:`Server`); the servers themselves are in :mod:`tests.rig.knot` and
:mod:`tests.rig.dnsdist`."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

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

