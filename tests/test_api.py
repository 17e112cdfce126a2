"""The facade's own behaviour: validation, the numeric fast path, timeouts,
cancellation and the resolver's life cycle.

Nothing here resolves a DNS name: the inputs are IP literals and numeric
ports, which neither ``socket`` nor ``aioresolve`` look up, and a scripted
backend stands in where a slow lookup is needed.  Behaviour against a real
server is in ``test_system_*.py`` and the backend suites.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
import types
from typing import Any

import pytest

import aioresolve
from aioresolve import AddrInfo, Backend, HostEntry, Resolver, ResolverClosed, SockAddr, Timeout


class StallingBackend(Backend):
    """Every lookup waits until released; counts calls and cancellations."""

    name = "stalling"

    def __init__(self) -> None:
        self.calls = 0
        self.cancelled = 0
        self.release = asyncio.Event()

    async def _stall(self) -> Any:
        self.calls += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def getaddrinfo(self, host: bytes | None, port: str | int | None, family: int,
                          type: int, proto: int, flags: int) -> list[AddrInfo]:
        return await self._stall()  # type: ignore[no-any-return]

    async def getnameinfo(self, sockaddr: SockAddr, flags: int) -> tuple[str, str]:
        return await self._stall()  # type: ignore[no-any-return]

    async def gethostbyname_ex(self, host: bytes) -> HostEntry:
        return await self._stall()  # type: ignore[no-any-return]

    async def gethostbyaddr(self, host: bytes) -> HostEntry:
        return await self._stall()  # type: ignore[no-any-return]


LITERAL_GAI_CASES = [
    ("192.0.2.1", 80, 0, 0, 0, 0),
    ("192.0.2.1", "443", socket.AF_INET, socket.SOCK_STREAM, 0, 0),
    ("2001:db8::1", 53, socket.AF_INET6, socket.SOCK_DGRAM, 0, 0),
    ("2001:db8::1", 53, 0, 0, 0, socket.AI_CANONNAME),
    (b"192.0.2.7", b"8080", 0, socket.SOCK_STREAM, socket.IPPROTO_TCP, 0),
    (None, 0, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_PASSIVE),
    (None, 25, 0, 0, 0, 0),
    ("fe80::1%1", 80, socket.AF_INET6, 0, 0, 0),
    ("127.1", 80, 0, 0, 0, 0),
    ("192.0.2.1", None, 0, 0, 0, socket.AI_NUMERICHOST),
]


@pytest.mark.parametrize("args", LITERAL_GAI_CASES, ids=repr)
async def test_getaddrinfo_literals_match_socket_without_a_thread(args: tuple[Any, ...]) -> None:
    before = {t.name for t in threading.enumerate()}
    async with Resolver("system") as resolver:
        assert await resolver.getaddrinfo(*args) == socket.getaddrinfo(*args)
        started = {t.name for t in threading.enumerate()} - before
    assert not [n for n in started if n.startswith("aioresolve")], (
        "a literal must not need the thread pool")


BAD_GAI_CASES: list[tuple[Any, ...]] = [
    (1, 80),
    ("192.0.2.1", 1.5),
    ("192.0.2.1", 70000),
    ("192.0.2.1", -1),
    ("a..b", 80),
    ("x" * 64 + ".test", 80),
    ("192.0.2.1", 80, 999),
    ("192.0.2.1", 80, 0, 999),
    ("192.0.2.1", 80, 0, 0, 0, 0xFFFFFF),
    ("192.0.2.1", 80, "family"),
    ("192.0.2.1", 80, 0, 0, 0, "flags"),
    ("192.0.2.1", 80, 0, 0, 0, 1.0),
]


def outcome(func: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", func(*args)
    except Exception as exc:
        return type(exc).__name__, exc.args


async def aoutcome(func: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", await func(*args)
    except Exception as exc:
        return type(exc).__name__, exc.args


@pytest.mark.parametrize("args", BAD_GAI_CASES, ids=repr)
async def test_getaddrinfo_bad_input_fails_like_socket(args: tuple[Any, ...]) -> None:
    # Numeric hosts only: neither socket nor libc looks anything up for these.
    expected = outcome(socket.getaddrinfo, *args)
    async with Resolver() as resolver:
        assert await aoutcome(resolver.getaddrinfo, *args) == expected


@pytest.mark.parametrize(
    ("sockaddr", "flags"),
    [
        (("192.0.2.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV),
        (("2001:db8::1", 53, 0, 0), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV),
        (("192.0.2.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV | socket.NI_DGRAM),
    ],
)
async def test_getnameinfo_numeric_is_immediate(sockaddr: SockAddr, flags: int) -> None:
    backend = StallingBackend()
    async with Resolver(backend) as resolver:
        assert await resolver.getnameinfo(sockaddr, flags) == socket.getnameinfo(sockaddr, flags)
    assert backend.calls == 0


@pytest.mark.parametrize(
    ("sockaddr", "flags"),
    [(["192.0.2.1", 80], 0), (("192.0.2.1",), 0), (("192.0.2.1", "80"), 0),
     (("192.0.2.1", 80), "0"), (("192.0.2.1", 80), None), ((1, 80), 0),
     (("192.0.2.1", 80, 0, 0, 0), socket.NI_NUMERICHOST)],
    ids=repr,
)
async def test_getnameinfo_bad_input_fails_like_socket(sockaddr: Any, flags: Any) -> None:
    expected = outcome(socket.getnameinfo, sockaddr, flags)
    assert expected[0] not in ("ok", "gaierror")
    async with Resolver(StallingBackend()) as resolver:
        assert await aoutcome(resolver.getnameinfo, sockaddr, flags) == expected


@pytest.mark.parametrize("name", ["192.0.2.1", "127.1", "", "<broadcast>", b"192.0.2.9"])
async def test_gethostbyname_literals(name: str) -> None:
    backend = StallingBackend()
    async with Resolver(backend) as resolver:
        assert await resolver.gethostbyname(name) == socket.gethostbyname(name)
    assert backend.calls == 0


@pytest.mark.parametrize("func", ["gethostbyname", "gethostbyname_ex", "gethostbyaddr"])
@pytest.mark.parametrize("bad", [1, None, "a\0b", b"a\0b", bytearray(b"a\0"), "a..b", "x" * 64])
async def test_host_argument_checks_match_socket(func: str, bad: Any) -> None:
    expected = outcome(getattr(socket, func), bad)
    # Python 3.13 raises UnicodeEncodeError (a UnicodeError) for bad IDNA labels
    assert expected[0] in ("TypeError", "UnicodeError", "UnicodeEncodeError")
    async with Resolver(StallingBackend()) as resolver:
        assert await aoutcome(getattr(resolver, func), bad) == expected


async def test_gethostbyname_ex_literal() -> None:
    async with Resolver(StallingBackend()) as resolver:
        got = await resolver.gethostbyname_ex("192.0.2.1")
    assert got == socket.gethostbyname_ex("192.0.2.1") == ("192.0.2.1", [], ["192.0.2.1"])


async def test_timeout_raises_timeout_error() -> None:
    backend = StallingBackend()
    async with Resolver(backend, timeout=0.05) as resolver:
        with pytest.raises(Timeout) as info:
            await resolver.getaddrinfo("slow.test", 80)
        assert isinstance(info.value, TimeoutError)
        assert info.value.timeout == 0.05
        with pytest.raises(TimeoutError):  # a per-call timeout overrides the default
            await resolver.gethostbyname_ex("slow.test", timeout=0.01)
    assert backend.cancelled == 2, "the backend's lookup is cancelled on timeout"


async def test_cancelling_the_caller_cancels_the_lookup() -> None:
    backend = StallingBackend()
    async with Resolver(backend) as resolver:
        task = asyncio.create_task(resolver.gethostbyaddr("stuck.test"))
        await asyncio.sleep(0.01)  # let the lookup start
        assert backend.calls == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert backend.cancelled == 1


async def test_getfqdn_returns_name_on_failure_and_timeout() -> None:
    backend = StallingBackend()
    async with Resolver(backend) as resolver:
        assert await resolver.getfqdn("unknown.test", timeout=0.01) == "unknown.test"
        backend.release.set()  # now every lookup fails with EAI_NONAME
        assert await resolver.getfqdn(" unknown.test ") == "unknown.test"


async def test_closed_resolver_refuses_lookups() -> None:
    resolver = Resolver()
    assert "open" in repr(resolver)
    await resolver.close()
    await resolver.close()  # twice is harmless
    assert resolver.closed and "closed" in repr(resolver)
    with pytest.raises(ResolverClosed):
        await resolver.getaddrinfo("host.test", 80)
    with pytest.raises(ResolverClosed):
        await resolver.getservbyname("http")


def test_resolver_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        Resolver("nope")
    with pytest.raises(ValueError, match="timeout"):
        Resolver(timeout=0)
    with pytest.raises(ValueError, match="pool_size"):
        Resolver("system", pool_size=0)
    with pytest.raises(TypeError):
        Resolver(StallingBackend(), pool_size=2)
    with pytest.raises(ValueError, match="unknown backend"):
        aioresolve.set_default_backend("nope")


async def test_services_and_protocols_match_socket() -> None:
    async with Resolver() as resolver:
        assert await resolver.getservbyname("http") == socket.getservbyname("http")
        assert await resolver.getservbyname("domain", "udp") == 53
        assert await resolver.getservbyport(443, "tcp") == socket.getservbyport(443, "tcp")
        assert await resolver.getprotobyname("udp") == socket.getprotobyname("udp")
        for func, args in [("getservbyname", ("no-such-service",)), ("getservbyport", (70000,)),
                           ("getprotobyname", ("nope",)), ("getservbyname", (1,))]:
            assert await aoutcome(getattr(resolver, func), *args) == outcome(
                getattr(socket, func), *args)


async def test_module_functions_use_one_default_resolver_per_loop() -> None:
    first = aioresolve.get_default_resolver()
    assert aioresolve.get_default_resolver() is first
    assert await aioresolve.gethostname() == socket.gethostname()
    assert await aioresolve.getaddrinfo("192.0.2.1", 80) == socket.getaddrinfo("192.0.2.1", 80)
    mine = Resolver(StallingBackend())
    aioresolve.set_default_resolver(mine)
    try:
        assert aioresolve.get_default_resolver() is mine
    finally:
        await mine.close()
    assert aioresolve.get_default_resolver() is not mine  # a closed one is replaced


async def test_system_backend_does_not_use_the_default_executor() -> None:
    loop = asyncio.get_running_loop()
    used = []

    class Spy(concurrent.futures.ThreadPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:
            used.append(args)
            return super().submit(*args, **kwargs)

    loop.set_default_executor(Spy(max_workers=1))
    async with Resolver() as resolver:
        # getservbyname goes through a pool too; "http" is in /etc/services, no DNS.
        assert await resolver.getservbyname("http") == 80
        assert await resolver.getaddrinfo("localhost", "http", socket.AF_INET) == (
            socket.getaddrinfo("localhost", "http", socket.AF_INET))
    assert used == []


async def test_reverse_rejects_non_addresses() -> None:
    async with Resolver(StallingBackend()) as resolver:
        with pytest.raises(aioresolve.IllegalName, match="not an IP address"):
            await resolver.reverse("host.test")


async def test_record_queries_without_nameservers(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The system backend asks MX (any type but A/AAAA) of resolv.conf's
    servers; where it lists none, the error says so."""
    empty = tmp_path / "resolv.conf"
    empty.write_text("# no nameserver\n")
    monkeypatch.setattr("aioresolve._config.RESOLV_CONF", str(empty))
    async with Resolver("system") as resolver:
        with pytest.raises(aioresolve.BackendUnavailable, match=str(empty)):
            await resolver.query("example.test", "mx")


@pytest.mark.parametrize(
    ("rtype", "error", "message"),
    [
        (None, TypeError, "rtype must be a record type such as 'MX' .* not NoneType"),
        (True, TypeError, "not bool"),
        (b"MX", TypeError, "not bytes"),
        (1.5, TypeError, "not float"),
        ("NOPE", ValueError, "unknown record type 'NOPE'"),
        ("", ValueError, "unknown record type ''"),
        (70000, ValueError, "unknown record type 70000"),
        (-1, ValueError, "unknown record type -1"),
        ("ANY", ValueError, "ANY is a meta type"),
        (252, ValueError, "AXFR is a meta type"),
        (0, ValueError, "type 0 is reserved"),
    ],
    ids=repr,
)
async def test_bad_record_types_fail_clearly(rtype: Any, error: type, message: str) -> None:
    backend = StallingBackend()
    async with Resolver(backend) as resolver:
        with pytest.raises(error, match=message):
            await resolver.query("example.test", rtype)
        with pytest.raises(error, match=message):
            await aioresolve.query("example.test", rtype)
    assert backend.calls == 0


async def test_record_type_numbers_and_case_are_accepted() -> None:
    queried: list[tuple[str, str]] = []

    class Recording(StallingBackend):
        async def query(self, name: str, rtype: str) -> aioresolve.Answer:
            queried.append((name, rtype))
            return aioresolve.Answer(name, rtype, (), name, 0)

    async with Resolver(Recording(), cache=False) as resolver:
        for rtype in ("mx", 15, "TYPE15", " Mx "):
            await resolver.query("Example.TEST.", rtype)
        await resolver.query("example.test", 5)
    assert queried == [("example.test", "MX")] * 4 + [("example.test", "CNAME")]


async def test_bad_query_names_fail_clearly() -> None:
    async with Resolver(StallingBackend()) as resolver:
        with pytest.raises(aioresolve.IllegalName):
            await resolver.query("bad..name", "A")
        with pytest.raises(aioresolve.IllegalName, match="must be str"):
            await resolver.query(None, "A")  # type: ignore[call-overload]


# -- close() with lookups in flight, on every backend, against a slow server -------


@pytest.mark.parametrize("kind", ["system", "cares", "wire"])
@pytest.mark.parametrize("call", ["getaddrinfo", "query"])
async def test_lookups_in_flight_at_close_raise_resolver_closed(
    kind: str, call: str, request: pytest.FixtureRequest
) -> None:
    """dnsdist delays every UDP answer under slow.aioresolve.test by 300 ms;
    the resolver closes while the lookups wait, and each of them raises
    ResolverClosed (not a gaierror, a CancelledError or an answer)."""
    import uuid

    from tests.rig import zone

    if kind == "system":
        request.getfixturevalue("libc_dns")  # libc asks the rig's dnsdist on 127.x.y.z:53
        resolver = Resolver("system")
    else:
        if kind == "cares":
            pytest.importorskip("pycares")
        dnsdist = request.getfixturevalue("dnsdist")
        options: dict[str, Any] = {"domains": []} if kind == "cares" else {}
        resolver = Resolver(kind, nameservers=[dnsdist.address], **options)
    names = [f"{uuid.uuid4().hex}.{zone.SLOW_NAME}" for _ in range(3)]

    async def lookup(name: str) -> object:
        if call == "query":
            return await resolver.query(name, "A")
        return await resolver.getaddrinfo(name, 80, socket.AF_INET)

    tasks = [asyncio.ensure_future(lookup(name)) for name in names]
    tasks.append(asyncio.ensure_future(lookup(names[0])))  # a coalesced one too
    await asyncio.sleep(0.1)  # every lookup is waiting for the server now
    assert not any(task.done() for task in tasks)
    await resolver.close()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, ResolverClosed) for o in outcomes), outcomes


# -- the shape of a lookup in flight (overhead by design) ---------------------------


def _await_chain(task: asyncio.Task[Any]) -> list[str]:
    """The qualified names of the coroutines a task is suspended in, outermost
    first, down to the future it waits for."""
    chain: list[str] = []
    awaited: Any = task.get_coro()
    while isinstance(awaited, types.CoroutineType):
        chain.append(awaited.__qualname__)
        awaited = awaited.cr_await
    assert type(awaited).__name__ == "FutureIter", awaited  # `await future`
    return chain


@pytest.mark.parametrize("timeout", [None, 30.0])
@pytest.mark.parametrize("kind", ["cares", "wire"])
async def test_a_lookup_in_flight_keeps_one_frame(
    kind: str, timeout: float | None, request: pytest.FixtureRequest
) -> None:
    """``Resolver(kind).query`` with the defaults, while the server delays the
    answer: the caller's coroutine awaits Resolver.query, which awaits the
    cache's future itself.  The wire and c-ares backends begin queries
    without a coroutine (``Backend.begin_query``), so neither the cache nor
    the backend keeps a frame alive (each frame alive per lookup in flight
    is resumed twice and walked by the garbage collector: docs/services.md,
    "Overhead"; it was three frames before, six before that).  With a
    deadline (``timeout=``) too: Resolver.query holds it itself (it was
    two frames, Resolver.query and LookupRunner._lookup_asyncio)."""
    import uuid

    from tests.rig import zone

    if kind == "cares":
        pytest.importorskip("pycares")
    dnsdist = request.getfixturevalue("dnsdist")
    options: dict[str, Any] = {"domains": []} if kind == "cares" else {}
    async with Resolver(kind, nameservers=[dnsdist.address], **options) as resolver:

        async def lookup() -> object:
            return await resolver.query(f"{uuid.uuid4().hex}.{zone.SLOW_NAME}", "A",
                                        timeout=timeout)

        task = asyncio.ensure_future(lookup())
        await asyncio.sleep(0.05)  # the query waits for dnsdist's delayed answer
        chain = _await_chain(task)[1:]  # after the test's own coroutine
        assert chain == ["Resolver.query"], chain
        await task


# -- defaults that work ----------------------------------------------------------


@pytest.fixture
def rig_resolv_conf(
    request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> str:
    """resolv.conf for aioresolve's defaults, naming only the rig's dnsdist on
    127.x.y.z:53 (the server libc asks in the namespace): never the machine's."""
    libc_dns = request.getfixturevalue("libc_dns")
    assert libc_dns.host.startswith("127.") and libc_dns.port == 53
    path = tmp_path / "resolv.conf"
    path.write_text(f"nameserver {libc_dns.host}\n")
    monkeypatch.setattr("aioresolve._config.RESOLV_CONF", str(path))
    return str(libc_dns.host)


async def _mx_of_the_rig() -> list[tuple[int, str]]:
    from tests.rig import zone

    answer = await aioresolve.query(zone.MX_NAME, "MX")
    return sorted((mx.priority, mx.exchange) for mx in answer)


async def test_record_queries_work_out_of_the_box(rig_resolv_conf: str) -> None:
    """``await aioresolve.query(name, "MX")`` with nothing configured: the
    default (system) backend asks resolv.conf's nameservers."""
    from tests.rig import zone

    aioresolve.set_default_backend(None)
    try:
        assert await _mx_of_the_rig() == sorted(zone.MX_RECORDS)
        assert aioresolve.get_default_resolver().backend.name == "system"
    finally:
        await aioresolve.get_default_resolver().close()


async def test_set_default_backend_wire_needs_no_arguments(rig_resolv_conf: str) -> None:
    from tests.rig import zone

    aioresolve.set_default_backend("wire")
    try:
        resolver = aioresolve.get_default_resolver()
        assert resolver.backend.name == "wire"
        assert resolver.backend.nameservers == [f"{rig_resolv_conf}:53"]
        assert await _mx_of_the_rig() == sorted(zone.MX_RECORDS)
        infos = await aioresolve.getaddrinfo(zone.A_NAME, 80, socket.AF_INET, socket.SOCK_STREAM)
        assert [info[4] for info in infos] == [("192.0.2.1", 80)]
        await resolver.close()
    finally:
        aioresolve.set_default_backend(None)


def test_set_default_backend_checks_at_once() -> None:
    with pytest.raises(ValueError, match="cannot be pointed at servers"):
        aioresolve.set_default_backend("system", nameservers=["127.0.0.1:53"])
    with pytest.raises(ValueError, match="unknown backend"):
        aioresolve.set_default_backend("nope")
