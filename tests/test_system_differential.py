"""Issue 3: the system backend and the facade against :mod:`socket`, through
libc for real.

Every case runs three ways inside the rig's mount namespace (libc asks the
rig's dnsdist on 127.x.y.z:53, see :mod:`tests.rig.namespace`):

1. :mod:`socket` itself, in a thread;
2. the module-level coroutine (``aioresolve.getaddrinfo`` ...), default resolver;
3. a ``Resolver("system")``;

and the outcomes - the result, or the exception's exact class and ``args`` -
must be equal.  Then the asyncio behaviour that socket cannot show: timeouts,
cancellation, an unblocked loop, the resolver's own thread pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import aioresolve
from aioresolve import Resolver
from tests.rig import zone as z
from tests.rig.servers import DnsdistServer

pytestmark = pytest.mark.system

#: socket calls run here, never in the loop's default executor.
_REFERENCE_POOL = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="reference")


@pytest.fixture(autouse=True)
def _libc(libc_dns: DnsdistServer) -> DnsdistServer:
    """Every test here needs libc pointed at the rig (skips where impossible)."""
    return libc_dns


@pytest.fixture
async def resolver() -> AsyncIterator[Resolver]:
    """A system Resolver; the module functions get a fresh system default too
    (another suite may have changed the process-wide default backend)."""
    aioresolve.set_default_backend("system")
    try:
        async with Resolver("system") as r:
            yield r
        # The module functions' default resolver lives as long as this test's loop.
        await aioresolve.get_default_resolver().close()
    finally:
        aioresolve.set_default_backend(None)  # the out-of-the-box default again


Outcome = tuple[Any, ...]


def _outcome(func: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
    try:
        return ("ok", func(*args))
    except Exception as exc:
        return ("raised", type(exc), exc.args)


async def _aoutcome(coro_func: Callable[..., Any], args: tuple[Any, ...]) -> Outcome:
    try:
        return ("ok", await coro_func(*args))
    except Exception as exc:
        return ("raised", type(exc), exc.args)


async def check(resolver: Resolver, func: str, args: tuple[Any, ...]) -> Outcome:
    """Run ``func(*args)`` three ways; assert the outcomes are equal; return it."""
    loop = asyncio.get_running_loop()
    expected = await loop.run_in_executor(_REFERENCE_POOL, _outcome, getattr(socket, func), args)
    module = await _aoutcome(getattr(aioresolve, func), args)
    method = await _aoutcome(getattr(resolver, func), args)
    if method[0] == "raised" and method[1] is TypeError and method[2]:
        # Python names a method "Resolver.f()" in its own arity errors.
        method = (*method[:2], (str(method[2][0]).removeprefix("Resolver."), *method[2][1:]))
    # Not a dict lookup: some args (bytearray, list) are unhashable.
    known = next((why for key, why in KNOWN_DIFFERENCES.items() if key == (func, args)), None)
    if known and (module != expected or method != expected):
        pytest.xfail(known)
    assert module == expected, f"aioresolve.{func}{args!r}"
    assert method == expected, f"Resolver.{func}{args!r}"
    return expected


# --------------------------------------------------------------------------
# readable test ids


def _short(value: Any) -> str:
    if isinstance(value, (str, bytes, bytearray)) and len(value) > 28:
        kind = type(value).__name__
        return f"<{kind} {len(value)} chars {value[:12]!r}...>"
    return repr(value)


_FLAG_NAMES = {
    "AI": ["AI_PASSIVE", "AI_CANONNAME", "AI_NUMERICHOST", "AI_NUMERICSERV",
           "AI_ADDRCONFIG", "AI_V4MAPPED", "AI_ALL"],
    "NI": ["NI_NUMERICHOST", "NI_NUMERICSERV", "NI_NOFQDN", "NI_NAMEREQD", "NI_DGRAM"],
}  # fmt: skip


def _flags(prefix: str, value: Any) -> str:
    if not isinstance(value, int) or value < 0:
        return repr(value)
    names = [n for n in _FLAG_NAMES[prefix] if value & getattr(socket, n)]
    rest = value & ~sum(getattr(socket, n) for n in names)
    parts = [n.removeprefix(prefix + "_") for n in names] + ([hex(rest)] if rest else [])
    return "|".join(parts) or "0"


def _enum(value: Any, prefix: str) -> str:
    for name in dir(socket):
        if name.startswith(prefix) and getattr(socket, name) == value and value:
            return name
    return repr(value)


def _id(func: str, args: tuple[Any, ...]) -> str:
    if func == "getaddrinfo" and len(args) >= 2:
        host, port, *rest = (*args, 0, 0, 0, 0)[:6]
        fam, typ, proto, flags = rest
        parts = [_short(host), _short(port), _enum(fam, "AF_"), _enum(typ, "SOCK_"),
                 _enum(proto, "IPPROTO_"), _flags("AI", flags)]  # fmt: skip
        return "gai(" + ",".join(parts) + ")"
    if func == "getnameinfo":
        return f"gni({_short(args[0])},{_flags('NI', args[1])})"
    return f"{func}(" + ",".join(_short(a) for a in args) + ")"


def cases(func: str, arg_lists: list[tuple[Any, ...]]) -> list[Any]:
    return [pytest.param(func, args, id=_id(func, args)) for args in arg_lists]


#: Known facade differences, reported to the lead: (func, args) -> reason.
#: Such a case xfails while it differs and passes once fixed.
KNOWN_DIFFERENCES: dict[tuple[str, tuple[Any, ...]], str] = {
    ("getservbyname", ("http", None)): "facade treats protocolname=None as not given",
    ("getservbyport", (80, None)): "facade treats protocolname=None as not given",
}


# --------------------------------------------------------------------------
# inputs

LONG_LABEL = "x" * 64 + "." + z.ZONE  # a 64-byte label: over the limit
MAX_LABEL = "x" * 63 + "." + z.ZONE  # exactly 63: legal, absent
LONG_NAME = ".".join(["y" * 60] * 5) + "." + z.ZONE  # > 253 bytes

#: Names through every DNS outcome the rig has.
DNS_NAMES = [
    z.A_NAME, z.AAAA_NAME, z.DUAL_NAME, z.MULTI_NAME, z.CNAME_NAME, z.CNAME_LOOP_NAME,
    z.CNAME_DANGLING_NAME, z.NODATA_NAME, z.NX_NAME, z.IDN_ULABEL, z.IDN_NAME, z.BIG_NAME,
    z.A_NAME.upper(), z.A_NAME + ".", z.SERVFAIL_NAME, z.REFUSED_NAME, z.TC_NAME,
    z.OUT_OF_ZONE_NAME, f"faß.{z.ZONE}", f"☃.{z.ZONE}", MAX_LABEL, z.TXT_NAME,
]  # fmt: skip
#: Names the hosts file answers, and the host's own.
HOSTS_NAMES = ["localhost", z.HOSTS_NAME, z.HOSTS_ALIASES[0], socket.gethostname()]
#: Literals and strange-but-valid strings.
LITERALS = ["192.0.2.1", "127.1", "0x7f.1", "::1", "2001:db8::1", "fe80::1%lo", "", "<broadcast>",
            "255.255.255.255", "300.1.1.1", " a.aioresolve.test", "a..b", "nx"]  # fmt: skip
#: Inputs socket rejects before any lookup.
BAD_HOSTS: list[Any] = [None, 1, 1.5, b"a.aioresolve.test", bytearray(b"a.aioresolve.test"),
                        "a\0b", b"a\0b", LONG_LABEL, LONG_NAME, "\udcff.test", ["a"]]  # fmt: skip

HOST_INPUTS: list[Any] = [*DNS_NAMES, *HOSTS_NAMES, *LITERALS, *BAD_HOSTS]

HOSTNAME_CASES = [
    *cases("gethostbyname", [(h,) for h in HOST_INPUTS]),
    # Not "<broadcast>": socket.gethostbyname_ex reports glibc's h_errno for it,
    # which glibc leaves unset (no query is made), so socket's own result
    # depends on what the calling thread did before.
    *cases("gethostbyname_ex", [(h,) for h in HOST_INPUTS if h != "<broadcast>"]),
    *cases("gethostname", [()]),
]

ADDR_INPUTS: list[Any] = [
    *z.PTR_RECORDS, z.NO_PTR_V4, z.NO_PTR_V6, "127.0.0.1", "::1", z.HOSTS_ADDR, "2001:db8::100",
    "198.51.100.1", "fe80::1%lo", "::ffff:192.0.2.1", z.A_NAME, z.HOSTS_NAME, z.NX_NAME, "",
    "300.1.1.1", None, 1, b"192.0.2.1", "192.0.2.1\0", LONG_LABEL,
]  # fmt: skip
FQDN_INPUTS: list[Any] = ["", z.A_NAME, z.A_ADDR, z.AAAA_ADDR, z.HOSTS_NAME, z.HOSTS_ALIASES[1],
                          "localhost", z.NX_NAME, "  a.aioresolve.test  ", "0.0.0.0", "::",
                          z.NO_PTR_V4, socket.gethostname(), None, b"a.aioresolve.test",
                          z.CNAME_NAME, z.IDN_ULABEL, 1]  # fmt: skip
ADDR_CASES = [
    *cases("gethostbyaddr", [(a,) for a in ADDR_INPUTS]),
    *cases("getfqdn", [(n,) for n in FQDN_INPUTS] + [()]),
]

SERVICE_CASES = [
    *cases("getservbyname", [
        ("http",), ("http", "tcp"), ("domain", "udp"), ("HTTP",), ("no-such-service",),
        ("http", "sctp"), ("http", "nope"), ("",), (1,), ("http", 1), (None,), ("http\0",),
        ("http", None),
    ]),
    *cases("getservbyport", [
        (80,), (53, "udp"), (443, "tcp"), (1,), (0,), (65535,), (65536,), (-1,), ("80",),
        (80, "nope"), (80.0,), (True,), (80, None),
    ]),
    *cases("getprotobyname", [
        ("tcp",), ("udp",), ("icmp",), ("ipv6-icmp",), ("TCP",), ("nope",), ("",), (None,),
        (6,), ("tcp\0",),
    ]),
]  # fmt: skip

# getaddrinfo: the host table with a fixed service, then each other argument
# varied over a smaller host set (the full product would be ~10^5 cases).
AF, ST = socket.AddressFamily, socket.SocketKind
FLAGS = [
    0, socket.AI_CANONNAME, socket.AI_NUMERICHOST, socket.AI_PASSIVE, socket.AI_ADDRCONFIG,
    socket.AI_NUMERICSERV, socket.AI_CANONNAME | socket.AI_ADDRCONFIG,
    socket.AI_PASSIVE | socket.AI_NUMERICHOST, socket.AI_V4MAPPED, socket.AI_ALL, 0x10000,
]  # fmt: skip
GAI_HOSTS: list[Any] = [*DNS_NAMES, *HOSTS_NAMES, *LITERALS, *BAD_HOSTS, "fe80::1%1",
                        b"\xff.test", "::ffff:192.0.2.1", "192.0.2.1%lo", "[::1]"]  # fmt: skip
FEW_HOSTS: list[Any] = [z.A_NAME, z.AAAA_NAME, z.DUAL_NAME, z.NODATA_NAME, z.NX_NAME,
                        z.CNAME_NAME, z.HOSTS_NAME, None, "192.0.2.1", "::1"]  # fmt: skip
FAMILIES = [0, AF.AF_INET, AF.AF_INET6, AF.AF_UNIX, 12345]
TYPES = [0, ST.SOCK_STREAM, ST.SOCK_DGRAM, ST.SOCK_RAW]
PROTOS = [0, socket.IPPROTO_TCP, socket.IPPROTO_UDP, socket.IPPROTO_SCTP, 255]
PORTS: list[Any] = [None, 0, 80, "80", "http", b"http", "domain", "no-such-service", -1, 65535,
                    65536, 1.5, "0x50", " 80", "", bytearray(b"80"), "http\0"]  # fmt: skip
V4MAPPED = [socket.AI_V4MAPPED, socket.AI_V4MAPPED | socket.AI_ALL, socket.AI_ALL,
            socket.AI_V4MAPPED | socket.AI_CANONNAME]  # fmt: skip

GAI_CASES = cases(
    "getaddrinfo",
    [(h, 80, 0, ST.SOCK_STREAM) for h in GAI_HOSTS]
    + [(h, 80, 0, ST.SOCK_STREAM, 0, f) for h in FEW_HOSTS for f in FLAGS if f]
    + [(h, 53, fam, typ) for h in FEW_HOSTS for fam in FAMILIES for typ in TYPES]
    + [(h, p, 0, ST.SOCK_DGRAM) for h in (z.A_NAME, None, "192.0.2.1") for p in PORTS]
    + [(z.DUAL_NAME, "domain", 0, typ, proto) for typ in TYPES for proto in PROTOS]
    + [(h, 443, AF.AF_INET6, ST.SOCK_STREAM, 0, f) for h in FEW_HOSTS for f in V4MAPPED]
    + [(None, 80, fam, ST.SOCK_STREAM, 0, socket.AI_PASSIVE) for fam in FAMILIES[:3]]
    + [(z.A_NAME, 80, "x"), (z.A_NAME, 80, 0, 0, 0, "0"), (z.A_NAME,), (z.A_NAME, None, None)],
)

GOOD_SOCKADDRS: list[Any] = [
    (z.A_ADDR, 80), (z.AAAA_ADDR, 80, 0, 0), (z.DUAL_V6, 443), (z.DUAL_V4, 53),
    (z.IDN_ADDR, 25), (z.NO_PTR_V4, 80), (z.NO_PTR_V6, 80), ("127.0.0.1", 53), ("::1", 53),
    (z.HOSTS_ADDR, 22), ("fe80::1%lo", 80), ("fe80::1", 80, 0, 1), ("198.51.100.7", 0),
    (z.A_ADDR, 65535), ("::ffff:192.0.2.1", 80),
]  # fmt: skip
NI_FLAGS: list[Any] = [
    0, socket.NI_NUMERICHOST, socket.NI_NUMERICSERV, socket.NI_NAMEREQD, socket.NI_NOFQDN,
    socket.NI_DGRAM, socket.NI_NUMERICHOST | socket.NI_NUMERICSERV,
    socket.NI_NAMEREQD | socket.NI_NUMERICSERV, socket.NI_NOFQDN | socket.NI_DGRAM,
]  # fmt: skip
BAD_SOCKADDRS: list[Any] = [
    (z.A_ADDR,), (z.A_ADDR, "80"), (z.A_ADDR, 70000), (z.A_ADDR, -1), (z.A_ADDR, 80, 0),
    ("::1", 80, 0, 2**32), ("::1", 80, 2**32, 0), [z.A_ADDR, 80], None, ("", 80),
    (b"192.0.2.1", 80), (z.A_NAME, 80), (z.NX_NAME, 80), (LONG_LABEL, 80), (1, 80),
    ("192.0.2.1\0", 80), ("::1", 80, 1 << 20, 0), ("::1", 80, 0), ("fe80::1%nope", 80),
]  # fmt: skip
GNI_CASES = cases(
    "getnameinfo",
    [(sa, f) for sa in GOOD_SOCKADDRS for f in NI_FLAGS]
    + [(sa, 0) for sa in BAD_SOCKADDRS]
    + [((z.A_ADDR, 80), bad) for bad in ("0", None, 1.0, -1, 2**40, True)],
)


@pytest.mark.parametrize(("func", "args"), HOSTNAME_CASES)
async def test_hostname_functions(resolver: Resolver, func: str, args: tuple[Any, ...]) -> None:
    await check(resolver, func, args)


@pytest.mark.parametrize(("func", "args"), ADDR_CASES)
async def test_address_functions(resolver: Resolver, func: str, args: tuple[Any, ...]) -> None:
    await check(resolver, func, args)


@pytest.mark.parametrize(("func", "args"), SERVICE_CASES)
async def test_service_functions(resolver: Resolver, func: str, args: tuple[Any, ...]) -> None:
    await check(resolver, func, args)


@pytest.mark.parametrize(("func", "args"), GAI_CASES)
async def test_getaddrinfo(resolver: Resolver, func: str, args: tuple[Any, ...]) -> None:
    await check(resolver, func, args)


@pytest.mark.parametrize(("func", "args"), GNI_CASES)
async def test_getnameinfo(resolver: Resolver, func: str, args: tuple[Any, ...]) -> None:
    await check(resolver, func, args)


UNANSWERED_CASES: list[tuple[str, tuple[Any, ...]]] = [
    ("gethostbyname", (z.DROP_NAME,)),
    ("gethostbyname_ex", (z.DROP_NAME,)),
    ("getaddrinfo", (z.DROP_NAME, 80)),
    ("getaddrinfo", (z.DROP_NAME, 80, socket.AF_INET6)),
    ("gethostbyaddr", (z.DROP_NAME,)),
]


async def test_unanswered_names_fail_like_socket(resolver: Resolver) -> None:
    # libc gives up after timeout:1 x attempts:2; every case runs all three
    # ways at once, so the whole test takes one libc timeout, not fifteen.
    loop = asyncio.get_running_loop()

    async def three_ways(func: str, args: tuple[Any, ...]) -> list[Outcome]:
        return list(
            await asyncio.gather(
                loop.run_in_executor(_REFERENCE_POOL, _outcome, getattr(socket, func), args),
                _aoutcome(getattr(aioresolve, func), args),
                _aoutcome(getattr(resolver, func), args),
            )
        )

    results = await asyncio.gather(*(three_ways(f, a) for f, a in UNANSWERED_CASES))
    for (func, args), (expected, module, method) in zip(UNANSWERED_CASES, results, strict=True):
        assert expected[0] == "raised", (func, args, expected)
        assert module == expected, f"aioresolve.{func}{args!r}"
        assert method == expected, f"Resolver.{func}{args!r}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"host": z.DUAL_NAME, "port": 80, "family": socket.AF_INET6, "type": ST.SOCK_STREAM},
        {"host": z.A_NAME, "port": "http", "flags": socket.AI_CANONNAME},
        {"host": None, "port": 80, "flags": socket.AI_PASSIVE, "proto": socket.IPPROTO_UDP},
        {"host": z.NX_NAME, "port": 80},
        {"host": z.A_NAME, "port": 80, "nope": 1},
    ],
    ids=lambda kw: ",".join(f"{k}={_short(v)}" for k, v in kw.items()),
)
async def test_getaddrinfo_keywords(resolver: Resolver, kwargs: dict[str, Any]) -> None:
    expected = await asyncio.get_running_loop().run_in_executor(
        _REFERENCE_POOL, _outcome, lambda: socket.getaddrinfo(**kwargs), ()
    )
    got = await _aoutcome(lambda: aioresolve.getaddrinfo(**kwargs), ())
    if expected[1] is TypeError:  # the message names the function differently
        assert got[:2] == expected[:2]
    else:
        assert got == expected


# --------------------------------------------------------------------------
# sanity: the table really exercises the rig (not just agreeing failures)


async def test_answers_come_from_the_rig(resolver: Resolver, libc_dns: DnsdistServer) -> None:
    assert await check(resolver, "gethostbyname", (z.A_NAME,)) == ("ok", z.A_ADDR)
    _, (name, aliases, addrs) = await check(resolver, "gethostbyname_ex", (z.CNAME_NAME,))
    assert (name, sorted(aliases), addrs) == (z.CNAME_TARGET, sorted(z.CNAME_CHAIN[:-1]),
                                              [z.CNAME_TARGET_V4])  # fmt: skip
    _, infos = await check(resolver, "getaddrinfo", (z.MULTI_NAME, 80, 0, ST.SOCK_STREAM))
    assert {info[4][0] for info in infos} == {*z.MULTI_V4, *z.MULTI_V6}
    _, infos = await check(resolver, "getaddrinfo", (z.BIG_NAME, 80, AF.AF_INET, ST.SOCK_STREAM))
    assert {info[4][0] for info in infos} == set(z.BIG_V4)  # truncated UDP -> TCP in libc
    assert await check(resolver, "gethostbyaddr", (z.DUAL_V6,)) == (
        "ok",
        (z.DUAL_NAME, [], [z.DUAL_V6]),
    )
    assert await check(resolver, "getnameinfo", ((z.A_ADDR, 53), socket.NI_NAMEREQD)) == (
        "ok",
        (z.A_NAME, "domain"),
    )
    fresh = f"r{uuid.uuid4().hex[:10]}.{z.ZONE}"
    await check(resolver, "getaddrinfo", (fresh, 80))
    assert libc_dns.queries_for(fresh) >= 3  # once per way, at least


# --------------------------------------------------------------------------
# asyncio behaviour


def _dropped() -> str:
    """A name dnsdist never answers, not asked before (libc would wait ~2-4 s)."""
    return f"r{uuid.uuid4().hex[:10]}.{z.DROP_NAME}"


@pytest.mark.parametrize("func", ["gethostbyname", "gethostbyname_ex", "getaddrinfo"])
async def test_timeout_raises_timeout_on_dropped_name(resolver: Resolver, func: str) -> None:
    args: tuple[Any, ...] = (_dropped(), 80) if func == "getaddrinfo" else (_dropped(),)
    with pytest.raises(aioresolve.Timeout) as info:
        await getattr(resolver, func)(*args, timeout=0.2)
    assert isinstance(info.value, TimeoutError)
    with pytest.raises(TimeoutError):
        await getattr(aioresolve, func)(*args, timeout=0.2)


async def test_resolver_default_timeout() -> None:
    async with Resolver("system", timeout=0.2) as resolver:
        with pytest.raises(aioresolve.Timeout):
            await resolver.getaddrinfo(_dropped(), 443)
        assert await resolver.getfqdn(z.DROP_NAME) == z.DROP_NAME  # getfqdn never raises


def _in_background(func: Callable[..., Any], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=_outcome, args=(func, args), daemon=True)
    thread.start()
    return thread


async def test_cancellation_releases_the_task_before_libc_returns(resolver: Resolver) -> None:
    name = _dropped()
    # libc's own lookup of a dropped name takes timeout:1 x attempts:2 or more;
    # the reference thread shows it is still at it when our task is gone.
    reference = _in_background(socket.gethostbyname, name)
    task = asyncio.create_task(resolver.gethostbyname(name))
    await asyncio.sleep(0.05)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert reference.is_alive(), "cancellation waited for libc"
    # The resolver still works afterwards (its pool is not wedged).
    assert await resolver.gethostbyname(z.A_NAME, timeout=30) == z.A_ADDR


async def test_loop_keeps_running_during_slow_lookups(resolver: Resolver) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    # Unanswered names: each lookup is certainly still blocked in libc when
    # its 0.5 s timeout expires (no race with server timing).
    lookups = [resolver.getaddrinfo(_dropped(), 80, timeout=0.5) for _ in range(4)]
    results = await asyncio.gather(*lookups, return_exceptions=True)
    done.set()
    await ticking
    assert all(isinstance(r, aioresolve.Timeout) for r in results), results
    # A loop blocked by those lookups would have ticked once or twice at most.
    assert ticks >= 10


@pytest.fixture
def blocked_default_executor() -> Iterator[threading.Event]:
    """The loop's default executor: one worker, held busy by a blocked job."""
    loop = asyncio.get_event_loop()
    pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="default-executor")
    release = threading.Event()
    pool.submit(release.wait)
    loop.set_default_executor(pool)
    try:
        yield release
    finally:
        release.set()
        pool.shutdown(wait=True)


async def test_lookups_do_not_need_the_default_executor(
    resolver: Resolver, blocked_default_executor: threading.Event
) -> None:
    # If any of these used the default executor they would queue behind the
    # blocked worker and time out.
    t = 30
    assert await resolver.gethostbyname(z.A_NAME, timeout=t) == z.A_ADDR
    assert await aioresolve.gethostbyname(z.DUAL_NAME, timeout=t) == z.DUAL_V4
    assert (await resolver.gethostbyname_ex(z.A_NAME, timeout=t))[2] == [z.A_ADDR]
    assert await resolver.getaddrinfo(z.AAAA_NAME, 80, timeout=t)
    assert await resolver.gethostbyaddr(z.A_ADDR, timeout=t) == (z.A_NAME, [], [z.A_ADDR])
    assert await resolver.getnameinfo((z.A_ADDR, 80), 0, timeout=t) == (z.A_NAME, "http")
    assert await resolver.getservbyname("http", timeout=t) == 80
    assert await resolver.getservbyport(53, "udp", timeout=t) == "domain"
    assert await resolver.getprotobyname("udp", timeout=t) == socket.IPPROTO_UDP
    assert await resolver.getfqdn(z.A_ADDR, timeout=t) == z.A_NAME
    assert not blocked_default_executor.is_set()


async def test_numeric_hosts_never_start_a_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    async with Resolver("system") as resolver:
        assert await resolver.getaddrinfo("192.0.2.1", 80) == socket.getaddrinfo("192.0.2.1", 80)
        assert await resolver.getaddrinfo("2001:db8::1", "80", socket.AF_INET6) == (
            socket.getaddrinfo("2001:db8::1", "80", socket.AF_INET6)
        )
        assert await resolver.getaddrinfo(None, 443, flags=socket.AI_PASSIVE) == (
            socket.getaddrinfo(None, 443, flags=socket.AI_PASSIVE)
        )
        assert await resolver.gethostbyname("192.0.2.1") == "192.0.2.1"
        assert await resolver.gethostbyname_ex("192.0.2.1") == ("192.0.2.1", [], ["192.0.2.1"])
        numeric = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
        assert await resolver.getnameinfo(("2001:db8::1", 80, 0, 0), numeric) == (
            "2001:db8::1",
            "80",
        )
        assert resolver.backend._pool is None  # type: ignore[attr-defined]
    assert {t.ident for t in threading.enumerate()} <= before
