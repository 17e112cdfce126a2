"""The examples print exactly what their synchronous originals print.

Every async port in ``examples/`` (of PyMOTW-3's "Addressing, Protocol
Families and Socket Types" page) and its synchronous twin in
``examples/sync/`` run as subprocesses with the same arguments; their stdout,
exit code and (when they fail) the exception line ending stderr must be equal.

Examples that look names up get names of the test zone and run only under the
``libc_dns`` fixture: the subprocesses inherit the pytest process's private
mount namespace, so libc resolves them against the test server, never the
machine's nameserver.  Examples that need no DNS (host name, services,
protocols, address packing) run anywhere.

All subprocesses of a group start at once and are awaited together, so the
whole module costs about one interpreter start-up per core, not per example.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rig import namespace, zone

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

#: The scripts print non-ASCII names: make their encoding independent of the locale.
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
#: Generous: on a loaded 2-core box a start-up can take seconds; a hang is a bug.
TIMEOUT = 60.0

# Names of the test zone, chosen to show what each example prints: a plain
# name, one reached through a CNAME chain (aliases), one with several
# addresses, a dual-stack one, one from /etc/hosts (with aliases), a non-ASCII
# one (IDNA-encoded by both), this host's name (the seed's 'apu'), a CNAME to
# nowhere, one with no address, and one that does not exist.
PLAIN = zone.A_NAME
MISSING = zone.NX_NAME
HOSTS = (
    PLAIN,
    zone.CNAME_NAME,
    zone.MULTI_NAME,
    zone.DUAL_NAME,
    zone.HOSTS_NAME,
    zone.IDN_ULABEL,
    socket.gethostname(),  # a system call, not a lookup; in the namespace's /etc/hosts
    zone.CNAME_DANGLING_NAME,
    zone.NODATA_NAME,
    MISSING,
)
#: An address of 192.0.2.0/24 with a PTR record, and one without.
REVERSIBLE = zone.PTR_ADDRESS
UNREVERSIBLE = zone.NO_PTR_ADDRESS


@dataclass(frozen=True)
class Case:
    """One run of an example (async and sync) with these arguments."""

    example: str
    args: tuple[str, ...] = ()
    dns: bool = True  # needs libc to resolve against the test server

    @property
    def id(self) -> str:
        return f"{self.example}[{' '.join(self.args) or 'defaults'}]"


#: Cases other tests look into.
RESOLVED = Case("socket_gethostbyname", HOSTS)
REVERSED = Case("socket_gethostbyaddr", (REVERSIBLE, zone.DUAL_V6, zone.HOSTS_ADDR))

CASES = [
    # No DNS: answered by the kernel, /etc/services, /etc/protocols, or pure code.
    Case("socket_gethostname", dns=False),
    Case("socket_getservbyname", dns=False),
    Case("socket_getservbyname", ("https://x.example", "ssh://y.example"), dns=False),
    Case("socket_getservbyname", ("nosuchservice://x.example",), dns=False),  # OSError
    Case("socket_getservbyport", dns=False),
    Case("socket_getservbyport", ("22", "53"), dns=False),
    Case("socket_getprotobyname", dns=False),
    Case("socket_getprotobyname", ("ipv6",), dns=False),
    Case("socket_address_packing", dns=False),
    Case("socket_address_packing", ("192.0.2.1", "10.0.0.1"), dns=False),
    Case("socket_address_packing", ("not-an-address",), dns=False),  # OSError
    Case("socket_ipv6_address_packing", dns=False),
    Case("socket_ipv6_address_packing", ("2001:db8::1", "::ffff:192.0.2.1"), dns=False),
    # DNS through libc, against the test zone only: every one has arguments,
    # since the seed's defaults (pymotw.com ...) are real names.  The order of
    # several addresses is the server's (knot does not rotate RRsets) and
    # libc's, the same for both runs.
    RESOLVED,
    Case("socket_gethostbyname", ("192.0.2.7", "")),  # literals: no lookup at all
    Case("socket_gethostbyname_ex", HOSTS),
    Case("socket_getfqdn", HOSTS),
    REVERSED,
    Case("socket_gethostbyaddr", (PLAIN, UNREVERSIBLE)),  # prints one, then herror
    Case("socket_gethostbyaddr", (MISSING,)),  # gaierror before any output
    Case("socket_getaddrinfo", (zone.CNAME_NAME, zone.DUAL_NAME, zone.MULTI_NAME)),
    Case("socket_getaddrinfo", (PLAIN, MISSING)),  # prints one, then gaierror
    Case("socket_getaddrinfo_extra_args", (zone.CNAME_NAME, zone.MULTI_NAME, zone.HOSTS_NAME)),
    Case("socket_getaddrinfo_extra_args", (MISSING,)),
]


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    @property
    def exception(self) -> str:
        """The line a traceback ends with, e.g. ``socket.herror: [Errno 1] ...``."""
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


def run_all(cases: list[Case]) -> dict[tuple[Case, str], Outcome]:
    """Run every case's async and sync script at once; wait for them all."""
    procs = {}
    for case in cases:
        for flavour, script in (("async", EXAMPLES), ("sync", EXAMPLES / "sync")):
            procs[case, flavour] = subprocess.Popen(
                [sys.executable, str(script / f"{case.example}.py"), *case.args],
                cwd=ROOT,
                env=ENV,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
    outcomes = {}
    try:
        for key, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=TIMEOUT)
            outcomes[key] = Outcome(proc.returncode, stdout, stderr)
    finally:
        for proc in procs.values():  # only left running if a timeout was raised
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return outcomes


@pytest.fixture(scope="module")
def local_outcomes() -> dict[tuple[Case, str], Outcome]:
    return run_all([case for case in CASES if not case.dns])


@pytest.fixture(scope="module")
def dns_outcomes(libc_dns: object) -> dict[tuple[Case, str], Outcome]:
    return run_all([case for case in CASES if case.dns])


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_example_prints_what_the_original_prints(
    case: Case, request: pytest.FixtureRequest
) -> None:
    # getfixturevalue, not a parameter: only DNS cases need (and skip with) libc_dns.
    outcomes = request.getfixturevalue("dns_outcomes" if case.dns else "local_outcomes")
    ported, original = outcomes[case, "async"], outcomes[case, "sync"]
    assert ported.stdout == original.stdout
    assert ported.returncode == original.returncode, ported.stderr
    assert ported.exception == original.exception
    if original.returncode == 0:
        assert ported.stderr == "" and original.stderr == ""


def test_every_example_has_its_original_and_a_case() -> None:
    ported = {path.stem for path in EXAMPLES.glob("socket_*.py")}
    originals = {path.stem for path in (EXAMPLES / "sync").glob("socket_*.py")}
    assert ported == originals
    assert ported == {case.example for case in CASES}
    # The seed's default names are real: only the user runs those.
    assert all(case.args for case in CASES if case.dns)


def test_lookups_really_reached_the_test_zone(
    dns_outcomes: dict[tuple[Case, str], Outcome],
) -> None:
    """Guards the comparison against passing vacuously (both failing alike)."""
    outcome = dns_outcomes[RESOLVED, "sync"]
    assert f"{PLAIN} : {zone.A_ADDRESS}\n" in outcome.stdout
    assert f"{MISSING} : [Errno " in outcome.stdout
    reverse = dns_outcomes[REVERSED, "sync"]
    assert reverse.returncode == 0, reverse.stderr


def test_hermetic_runner_lists_names_to_try() -> None:
    """``examples/hermetic.py`` without a script only prints help: no lookup."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "hermetic.py")],
        cwd=ROOT, env=ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        encoding="utf-8", timeout=TIMEOUT, check=True,
    )
    assert zone.CNAME_NAME in result.stdout


def test_hermetic_runner_runs_an_example(libc_dns: object) -> None:
    """README's hermetic command, end to end: its own namespace and knotd.

    libc_dns only stands for "namespaces and knotd work here"; the runner is
    told to make a namespace of its own (nested in pytest's, on another
    127.x.y.z), as it would on a user's machine.
    """
    env = {k: v for k, v in ENV.items() if k != namespace.ENV_ADDRESS}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "hermetic.py"),
         str(EXAMPLES / "socket_gethostbyname.py"), PLAIN, MISSING],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        encoding="utf-8", timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{PLAIN} : {zone.A_ADDRESS}\n{MISSING} : [Errno ")
