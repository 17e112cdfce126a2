"""The rig itself: knot serves the zones as zone.py says, dnsdist injects each
fault, and libc inside the namespace asks the rig (dnspython with explicit
loopback servers for the DNS side; no resolver configuration is read)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.rig import namespace
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer, Server, start_dnsdist, start_rig


def ask(
    server: Server, name: str, rtype: str = "A", *, tcp: bool = False, timeout: float = 5.0
) -> dns.message.Message:
    """One query to *server* (EDNS, 1232-byte UDP payload)."""
    query = dns.message.make_query(name, rtype, use_edns=0, payload=1232)
    if tcp:
        return dns.query.tcp(query, server.host, port=server.port, timeout=timeout)
    return dns.query.udp(query, server.host, port=server.port, timeout=timeout)


def rdatas(resp: dns.message.Message, name: str, rtype: str) -> set[str]:
    rrset = resp.find_rrset(
        resp.answer, dns.name.from_text(name), dns.rdataclass.IN, dns.rdatatype.from_text(rtype)
    )
    return {r.to_text() for r in rrset}


def fresh(parent: str) -> str:
    """A name under *parent* never queried before (dodges every cache)."""
    return f"r{uuid.uuid4().hex[:12]}.{parent}"


# --------------------------------------------------------------------------
# knot serves the zone data

ADDRESS_CASES = [
    (z.A_NAME, "A", {z.A_ADDR}),
    (z.AAAA_NAME, "AAAA", {z.AAAA_ADDR}),
    (z.DUAL_NAME, "A", {z.DUAL_V4}),
    (z.DUAL_NAME, "AAAA", {z.DUAL_V6}),
    (z.MULTI_NAME, "A", set(z.MULTI_V4)),
    (z.MULTI_NAME, "AAAA", set(z.MULTI_V6)),
    (z.IDN_NAME, "A", {z.IDN_ADDR}),
    (z.CNAME_TARGET, "A", {z.CNAME_TARGET_V4}),
    (z.CNAME_TARGET, "AAAA", {z.CNAME_TARGET_V6}),
    (z.bulk_name(0), "A", {z.bulk_address(0)}),
    (z.bulk_name(z.BULK_DEFAULT_COUNT - 1), "A", {z.bulk_address(z.BULK_DEFAULT_COUNT - 1)}),
    *((name, "A", {addr}) for name, addr in z.NS_V4.items()),
    *((name, "A", {addr}) for name, addr in z.MAIL_V4.items()),
    *((f"x.{name}", "A", {z.FAULT_V4}) for name in z.FAULT_NAMES),
]


@pytest.mark.parametrize(("name", "rtype", "expected"), ADDRESS_CASES, ids=lambda v: str(v))
def test_knot_addresses(knot: KnotServer, name: str, rtype: str, expected: set[str]) -> None:
    resp = ask(knot, name, rtype)
    assert resp.rcode() == dns.rcode.NOERROR
    assert resp.flags & dns.flags.AA
    assert rdatas(resp, name, rtype) == expected


def _quoted(strings: tuple[str, ...]) -> str:
    return " ".join(f'"{s}"' for s in strings)


RECORD_CASES = [
    (z.MX_NAME, "MX", {f"{p} {x}." for p, x in z.MX_RECORDS}),
    (z.TXT_NAME, "TXT", {_quoted(z.TXT_STRINGS)}),
    (z.TXT_LONG_NAME, "TXT", {_quoted(z.TXT_LONG_STRINGS)}),
    (z.TXT_MULTI_NAME, "TXT", {_quoted(r) for r in z.TXT_MULTI}),
    (z.NODATA_NAME, "TXT", {_quoted(z.NODATA_TXT)}),
    (z.SRV_NAME, "SRV", {f"{p} {w} {port} {t}." for p, w, port, t in z.SRV_RECORDS}),
    (z.CAA_NAME, "CAA", {f'{f} {t} "{v}"' for f, t, v in z.CAA_RECORDS}),
    (z.TLSA_NAME, "TLSA", {f"{u} {s} {m} {d}" for u, s, m, d in z.TLSA_RECORDS}),
    (z.URI_NAME, "URI", {f'{p} {w} "{t}"' for p, w, t in z.URI_RECORDS}),
    (z.ZONE, "NS", {f"{n}." for n in z.NS_NAMES}),
    (z.CNAME_LOOP[0], "CNAME", {f"{z.CNAME_LOOP[1]}."}),
    (z.CNAME_DANGLING_NAME, "CNAME", {f"{z.CNAME_DANGLING_TARGET}."}),
]


@pytest.mark.parametrize(("name", "rtype", "expected"), RECORD_CASES, ids=lambda v: str(v))
def test_knot_records(knot: KnotServer, name: str, rtype: str, expected: set[str]) -> None:
    assert rdatas(ask(knot, name, rtype), name, rtype) == expected


@pytest.mark.parametrize(
    ("name", "rtype"),
    [(z.HTTPS_NAME, "HTTPS"), (z.SVCB_NAME, "SVCB"), (z.NAPTR_NAME, "NAPTR")],
)
def test_knot_structured_records(knot: KnotServer, name: str, rtype: str) -> None:
    # Compare parsed rdata: presentation forms differ in quoting between tools.
    got = {dns.rdata.from_text("IN", rtype, r) for r in rdatas(ask(knot, name, rtype), name, rtype)}
    want = {
        dns.rdata.from_text("IN", rtype, rdata)
        for owner, t, rdata in z.zone_records()
        if owner == name and t == rtype
    }
    assert got == want and len(got) >= 1


def test_knot_soa_minimum(knot: KnotServer) -> None:
    (soa,) = ask(knot, z.ZONE, "SOA").answer[0]
    assert soa.minimum == z.SOA_MINIMUM
    assert soa.serial == z.SOA_SERIAL
    assert str(soa.mname) == z.SOA_MNAME + "."


def test_knot_cname_chain(knot: KnotServer) -> None:
    resp = ask(knot, z.CNAME_NAME, "A")
    for src, dst in zip(z.CNAME_CHAIN, z.CNAME_CHAIN[1:], strict=False):
        assert rdatas(resp, src, "CNAME") == {dst + "."}
    assert rdatas(resp, z.CNAME_TARGET, "A") == {z.CNAME_TARGET_V4}
    assert len(z.CNAME_CHAIN) >= 4  # three links


@pytest.mark.parametrize("name", [*z.NX_NAMES, z.bulk_nx_name(7), z.CNAME_DANGLING_NAME])
def test_knot_nxdomain(knot: KnotServer, name: str) -> None:
    resp = ask(knot, name, "A")
    assert resp.rcode() == dns.rcode.NXDOMAIN
    assert resp.authority[0].rdtype == dns.rdatatype.SOA


@pytest.mark.parametrize(
    ("name", "rtype"),
    [
        (z.NODATA_NAME, "A"),
        (z.NODATA_NAME, "AAAA"),
        (z.A_NAME, "AAAA"),
        (z.AAAA_NAME, "A"),
        (z.bulk_nodata_name(0), "A"),
    ],
)
def test_knot_nodata(knot: KnotServer, name: str, rtype: str) -> None:
    resp = ask(knot, name, rtype)
    assert resp.rcode() == dns.rcode.NOERROR
    assert not resp.answer
    assert resp.authority[0].rdtype == dns.rdatatype.SOA


@pytest.mark.parametrize(("name", "rtype"), [(z.BIG_NAME, "A"), (z.BIG_TXT_NAME, "TXT")])
def test_knot_big_answer_truncated_over_udp(knot: KnotServer, name: str, rtype: str) -> None:
    assert ask(knot, name, rtype).flags & dns.flags.TC
    full = ask(knot, name, rtype, tcp=True)
    assert not full.flags & dns.flags.TC
    assert len(full.to_wire()) > 1232
    if rtype == "A":
        assert rdatas(full, name, rtype) == set(z.BIG_V4)


@pytest.mark.parametrize("address", sorted(z.PTR_RECORDS))
def test_knot_reverse_round_trip(knot: KnotServer, address: str) -> None:
    target = z.PTR_RECORDS[address]
    rev = z.reverse_name(address)
    assert rdatas(ask(knot, rev, "PTR"), rev, "PTR") == {target + "."}
    rtype = "AAAA" if ":" in address else "A"
    assert address in rdatas(ask(knot, target, rtype), target, rtype)


@pytest.mark.parametrize("address", [z.NO_PTR_V4, z.NO_PTR_V6])
def test_knot_reverse_missing(knot: KnotServer, address: str) -> None:
    assert ask(knot, z.reverse_name(address), "PTR").rcode() == dns.rcode.NXDOMAIN


def test_knot_out_of_zone_refused(knot: KnotServer) -> None:
    assert ask(knot, z.OUT_OF_ZONE_NAME, "A").rcode() == dns.rcode.REFUSED


def test_bulk_query_names_mix() -> None:
    names = z.bulk_query_names(30, nx_every=10, nodata_every=3)
    assert len(names) == 30
    assert names[0] == z.bulk_name(0)
    assert names[9].startswith("nx") and names[2].startswith("nodata")
    assert z.bulk_zone_text(5).count(" IN A ") == 5


# --------------------------------------------------------------------------
# dnsdist faults


def test_dnsdist_passes_normal_queries(dnsdist: DnsdistServer) -> None:
    for tcp in (False, True):
        assert rdatas(ask(dnsdist, z.A_NAME, tcp=tcp), z.A_NAME, "A") == {z.A_ADDR}


@pytest.mark.parametrize("name", [z.DROP_NAME, fresh(z.DROP_NAME)])
def test_dnsdist_drop(dnsdist: DnsdistServer, name: str) -> None:
    with pytest.raises(dns.exception.Timeout):
        ask(dnsdist, name, timeout=0.5)


@pytest.mark.parametrize(
    ("parent", "rcode"),
    [(z.SERVFAIL_NAME, dns.rcode.SERVFAIL), (z.REFUSED_NAME, dns.rcode.REFUSED)],
)
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dnsdist_rcode_faults(
    dnsdist: DnsdistServer, parent: str, rcode: dns.rcode.Rcode, tcp: bool
) -> None:
    for name in (parent, fresh(parent)):
        resp = ask(dnsdist, name, tcp=tcp)
        assert resp.rcode() == rcode
        assert not resp.answer


def test_dnsdist_tc(dnsdist: DnsdistServer) -> None:
    for name in (z.TC_NAME, fresh(z.TC_NAME)):
        udp = ask(dnsdist, name)
        assert udp.flags & dns.flags.TC and not udp.answer
        assert rdatas(ask(dnsdist, name, tcp=True), name, "A") == {z.FAULT_V4}


def test_dnsdist_big_answer_truncated(dnsdist: DnsdistServer) -> None:
    assert ask(dnsdist, z.BIG_NAME).flags & dns.flags.TC
    assert rdatas(ask(dnsdist, z.BIG_NAME, tcp=True), z.BIG_NAME, "A") == set(z.BIG_V4)


def test_dnsdist_slow_delays_udp(dnsdist: DnsdistServer) -> None:
    # Only a lower bound: a loaded box makes it slower, never faster.
    name = fresh(z.SLOW_NAME)
    start = time.monotonic()
    resp = ask(dnsdist, name)
    assert time.monotonic() - start >= z.SLOW_DELAY_MS / 1000 * 0.9
    assert rdatas(resp, name, "A") == {z.FAULT_V4}
    assert rdatas(ask(dnsdist, name, tcp=True), name, "A") == {z.FAULT_V4}


def test_dnsdist_counts_queries(dnsdist: DnsdistServer) -> None:
    name = fresh(z.ZONE)
    assert dnsdist.queries_for(name) == 0
    before = dnsdist.query_count()
    ask(dnsdist, name)
    ask(dnsdist, name.upper(), "AAAA", tcp=True)
    assert dnsdist.queries_for(name) == 2
    assert dnsdist.query_count() >= before + 2


def test_dnsdist_counts_while_queries_arrive(knot: KnotServer) -> None:
    """Reading the counts while queries arrive leaves dnsdist up and every
    query counted.  (The counts were once read by a Lua web handler, which
    dnsdist 1.7.3 runs without the Lua lock: this crashed it within seconds
    and, once, CI's session server mid-run.)"""
    import threading

    with start_dnsdist(knot) as front:
        names = [fresh(z.ZONE) for _ in range(3)]
        stop = time.monotonic() + 2.0
        sent = dict.fromkeys(names, 0)
        errors: list[BaseException] = []

        def send(name: str) -> None:
            try:
                while time.monotonic() < stop:
                    ask(front, name)
                    sent[name] += 1
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        readouts = 0
        while time.monotonic() < stop:
            front.query_counts()
            front.queries_for(names[0])
            readouts += 1
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert front.proc.poll() is None, front.log()[-2000:]
        assert readouts > 10
        assert {name: front.queries_for(name) for name in names} == sent
        assert front.query_count() == sum(sent.values())


def test_dnsdist_latency(knot: KnotServer) -> None:
    with start_dnsdist(knot, latency_ms=50, counting=False) as slow:
        start = time.monotonic()
        assert rdatas(ask(slow, z.A_NAME), z.A_NAME, "A") == {z.A_ADDR}
        assert time.monotonic() - start >= 0.045
        with pytest.raises(RuntimeError):
            slow.queries_for(z.A_NAME)


# --------------------------------------------------------------------------
# libc inside the namespace


def test_namespace_files() -> None:
    ns = namespace.current()
    if ns is None:
        pytest.skip("no test namespace here")
    with open("/etc/resolv.conf") as f:
        assert f"nameserver {ns.address}\n" in f.read()
    with open("/etc/hosts") as f:
        assert z.HOSTS_NAME in f.read()


def test_libc_resolves_rig(libc_dns: DnsdistServer) -> None:
    assert libc_dns.port == 53
    assert socket.gethostbyname(z.A_NAME) == z.A_ADDR
    assert socket.gethostbyaddr(z.A_ADDR) == (z.A_NAME, [], [z.A_ADDR])
    name = fresh(z.ZONE)
    with pytest.raises(socket.gaierror) as info:
        socket.getaddrinfo(name, 80)
    assert info.value.errno == socket.EAI_NONAME
    assert libc_dns.queries_for(name) >= 1  # it really went to our server


def test_libc_hosts_aliases(libc_dns: DnsdistServer) -> None:
    assert socket.gethostbyname_ex(z.HOSTS_NAME) == (
        z.HOSTS_NAME,
        list(z.HOSTS_ALIASES),
        [z.HOSTS_ADDR],
    )


def test_subprocess_inherits_namespace(libc_dns: DnsdistServer) -> None:
    code = "import os, socket; print(os.environ['AIORESOLVE_TEST_NS'], socket.gethostbyname(%r))"
    out = subprocess.run(
        [sys.executable, "-c", code % z.A_NAME], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == [libc_dns.host, z.A_ADDR], out.stderr


def test_start_rig_for_scripts() -> None:
    with start_rig(bulk_count=50, counting=False) as (knot, front):
        assert rdatas(ask(front, z.bulk_name(49)), z.bulk_name(49), "A") == {z.bulk_address(49)}
        assert ask(knot, z.bulk_name(50)).rcode() == dns.rcode.NXDOMAIN
    assert knot.proc.poll() is not None and front.proc.poll() is not None
    assert not knot.workdir.exists()


def test_default_cares_config_points_at_rig(libc_dns: DnsdistServer) -> None:
    pycares = pytest.importorskip("pycares")
    # Reading the configuration sends nothing; it shows where queries would go.
    assert pycares.Channel().servers == [f"{libc_dns.host}:53"]


_GUARD_SCRIPT = """
import socket, sys
from tests.rig import namespace
namespace.install_guard("no namespace (test)")
assert socket.getaddrinfo("192.0.2.1", 80)
assert socket.getaddrinfo("localhost", 80)
assert socket.getaddrinfo(None, 80)
assert socket.getnameinfo(("192.0.2.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
for call in (lambda: socket.getaddrinfo(sys.argv[1], 80),
             lambda: socket.gethostbyname(sys.argv[1].encode()),
             lambda: socket.gethostbyaddr(sys.argv[1])):
    try:
        call()
    except namespace.LookupRefused as exc:
        assert "no namespace (test)" in str(exc)
    else:
        raise SystemExit("not refused")
print("guarded")
"""


def test_guard_refuses_dns_lookups_without_namespace() -> None:
    # A subprocess (still inside our namespace, so even a failing guard leaks nothing).
    out = subprocess.run(
        [sys.executable, "-c", _GUARD_SCRIPT, z.A_NAME],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip() == "guarded", out.stderr


@pytest.mark.parametrize(
    ("host", "allowed"),
    [(None, True), ("", True), ("127.1", True), ("::1", True), ("fe80::1%lo", True),
     ("LOCALHOST.", True), (b"192.0.2.1", True), (1, True), (z.A_NAME, False),
     (b"a.test", False), (bytearray(b"\xff"), False), ("300.1.1.1", False)],
)  # fmt: skip
def test_guard_policy(host: object, allowed: bool) -> None:
    assert namespace.lookup_allowed(host, {"localhost"}) is allowed


@pytest.mark.parametrize("ci", ["", "true"])
def test_without_namespace_libc_tests_skip_or_fail_under_ci(ci: str) -> None:
    env = {**os.environ, namespace.ENV_DISABLE: "1", "CI": ci}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "tests/test_rig.py::test_libc_hosts_aliases"],
        capture_output=True, text=True, timeout=120, env=env, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    if ci:
        assert out.returncode == 1 and "1 error" in out.stdout, out.stdout
    else:
        assert out.returncode == 0 and "1 skipped" in out.stdout, out.stdout
    assert "disabled by AIORESOLVE_TEST_NO_NAMESPACE" in out.stdout


def test_nested_namespace_in_a_subprocess() -> None:
    # A script (e.g. examples/hermetic.py) may make a namespace of its own
    # inside ours: the bind-mount sources must still exist for that.
    if namespace.current() is None:
        pytest.skip("no test namespace here")
    code = "from tests.rig import namespace; print(namespace.enter().address)"
    env = {k: v for k, v in os.environ.items() if k != namespace.ENV_ADDRESS}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
        cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    inner = out.stdout.strip()
    assert inner.startswith("127.") and inner != os.environ[namespace.ENV_ADDRESS]
    with open("/etc/resolv.conf") as f:  # ours is untouched
        assert f"nameserver {os.environ[namespace.ENV_ADDRESS]}\n" in f.read()
