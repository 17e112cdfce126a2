"""The two twins of the cache's miss path (:mod:`aioresolve._begun`, and
``aioresolve._begun_c``, the same source compiled by Cython with the types of
``_begun.pxd``) behave alike, and :mod:`aioresolve._miss` picks the right one.

Each twin drives a cache whose base is its own :class:`CacheState` (the
cache's methods over that base), against a backend that answers when the
test says so: a :class:`BegunQuery` (the backend's callback) whose future is
exactly an ``asyncio.Future`` (the C type a task's fast path takes) in both,
with the same result/``cancel``/done-callback behaviour, the same entries
stored, the same single-flight bookkeeping.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioresolve import NXDomain, _begun, _miss
from aioresolve._backends.base import Backend
from aioresolve.cache import CacheConfig, LookupCache
from aioresolve.records import A, Answer


def _compiled_module() -> ModuleType | None:
    try:
        return importlib.import_module("aioresolve._begun_c")
    except ImportError:
        return None


TWINS = [pytest.param(_begun, id="pure"), pytest.param(
    _compiled_module(), id="compiled",
    marks=pytest.mark.skipif(_compiled_module() is None, reason="_begun_c not built"))]


def _cache_class(twin: ModuleType) -> type[LookupCache]:
    """LookupCache over ``twin``'s CacheState (its methods are the same)."""
    if LookupCache.__mro__[1] is twin.CacheState:
        return LookupCache
    body = {k: v for k, v in vars(LookupCache).items() if k not in ("__dict__", "__weakref__")}
    return type("LookupCache", (twin.CacheState,), body)  # type: ignore[return-value]


class _Held(Backend):
    """Begins queries and answers them when the test calls ``answer``."""

    name = "held"
    provides_ttl = True
    begins_queries = True

    def __init__(self) -> None:
        self.begun: dict[str, Callable[[Any], object]] = {}
        self.cancelled: list[object] = []

    async def getaddrinfo(self, *args: Any) -> Any:
        raise NotImplementedError

    async def getnameinfo(self, *args: Any) -> Any:
        raise NotImplementedError

    async def gethostbyname_ex(self, *args: Any) -> Any:
        raise NotImplementedError

    async def gethostbyaddr(self, *args: Any) -> Any:
        raise NotImplementedError

    async def query(self, name: str, rtype: str) -> Answer[Any]:
        raise NotImplementedError

    def begin_query(self, name: str, rtype: str, done: Callable[[Any], object],
                    loop: asyncio.AbstractEventLoop) -> object:
        if name == "refused.test":
            raise ValueError("refused before asking")
        self.begun[name] = done
        return ("handle", name)

    def cancel_query(self, handle: object) -> None:
        self.cancelled.append(handle)

    def answer(self, name: str, outcome: Any) -> None:
        self.begun.pop(name)(outcome)


def _answer(name: str, ttl: int = 300) -> Answer[Any]:
    return Answer(name, "A", (A(ttl, "192.0.2.1"),), name, ttl)


def _begin(twin: ModuleType, cache: LookupCache, backend: _Held, name: str) -> Any:
    return twin.run_query(cache, ("query", name, "A"), backend, name, "A",
                          asyncio.get_running_loop())


@pytest.mark.parametrize("twin", TWINS)
async def test_an_answer_is_stored_and_resolves_the_future(twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(max_size=2), backend_provides_ttl=True)
    backend = _Held()
    query = _begin(twin, cache, backend, "a.test")
    assert type(query) is twin.BegunQuery and type(query.future) is asyncio.Future
    future = query.future
    assert not future.done() and cache.info().in_flight == 1
    seen: list[Any] = []
    future.add_done_callback(seen.append)
    backend.answer("a.test", _answer("a.test"))
    assert future.result() == _answer("a.test")
    await asyncio.sleep(0)
    assert seen == [future]
    info = cache.info()
    assert (info.misses, info.size, info.in_flight) == (1, 1, 0)
    assert _begin(twin, cache, backend, "a.test").addresses == ["192.0.2.1"]  # a hit
    for name in ("b.test", "c.test"):  # the LRU bound
        _begin(twin, cache, backend, name)
        backend.answer(name, _answer(name))
    info = cache.info()
    assert (info.size, info.evictions, info.hits) == (2, 1, 1)
    assert list(cache._entries) == [("query", "b.test", "A"), ("query", "c.test", "A")]
    with pytest.raises(asyncio.InvalidStateError):
        future.set_result(_answer("a.test"))


@pytest.mark.parametrize("twin", TWINS)
async def test_a_full_cache_replaces_an_entry_without_evicting(twin: ModuleType) -> None:
    """Without coalescing two leaders of one name store twice: the second
    replaces the first and becomes the most recent; a new name evicts the
    least recently used one."""
    cache = _cache_class(twin)(CacheConfig(max_size=2), backend_provides_ttl=True,
                               coalesce=False)
    backend = _Held()
    for name in ("a.test", "b.test"):
        _begin(twin, cache, backend, name)
        backend.answer(name, _answer(name))
    first = _begin(twin, cache, backend, "c.test")
    backend.answer("c.test", _answer("c.test", ttl=60))  # evicts a.test
    second = _begin(twin, cache, backend, "a.test")
    third = _begin(twin, cache, backend, "a.test")
    backend.begun.clear()
    for future in (second, third):
        future(_answer("a.test", ttl=30))  # the backend's callback, twice
    assert list(cache._entries) == [("query", n, "A") for n in ("c.test", "a.test")]
    info = cache.info()
    assert (info.size, info.evictions, info.misses) == (2, 2, 5)
    assert first.future.result().ttl == 60 and third.future.result().ttl == 30


@pytest.mark.parametrize("twin", TWINS)
async def test_cancel_forgets_the_query_and_a_late_answer_is_harmless(
        twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    query = _begin(twin, cache, backend, "a.test")
    assert query.cancel("gone")
    assert query.future.cancelled() and backend.cancelled == [("handle", "a.test")]
    assert cache.info().in_flight == 0
    assert not query.cancel()  # once
    assert backend.cancelled == [("handle", "a.test")]
    with pytest.raises(asyncio.CancelledError, match="gone"):
        query.future.result()
    backend.answer("a.test", _answer("a.test"))  # the backend called back anyway
    assert query.future.cancelled() and cache.info().size == 1


@pytest.mark.parametrize("twin", TWINS)
async def test_a_cancelled_caller_abandons_the_query(twin: ModuleType) -> None:
    """The caller's task cancels the plain future it awaits; on the
    CancelledError at its await the caller abandons the query: the backend's
    query is cancelled, a follower leads; abandoning an ended query (or
    anything else) does nothing."""
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    query = _begin(twin, cache, backend, "a.test")

    async def caller() -> Any:
        try:
            return await query
        except BaseException:
            twin.abandon(query)
            raise

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    task.cancel()
    assert backend.cancelled == []  # the future only: the caller abandons on its step
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.cancelled == [("handle", "a.test")] and cache.info().in_flight == 0
    twin.abandon(query)  # once
    twin.abandon(None)
    twin.abandon(_answer("a.test"))
    assert backend.cancelled == [("handle", "a.test")]
    done = _begin(twin, cache, backend, "b.test")
    backend.answer("b.test", _answer("b.test"))
    twin.abandon(done)  # answered: nothing to cancel
    assert backend.cancelled == [("handle", "a.test")] and (await done).name == "b.test"


@pytest.mark.parametrize("twin", TWINS)
async def test_a_follower_shares_and_a_negative_answer_is_cached(twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    query = _begin(twin, cache, backend, "nx.test")
    follower = asyncio.ensure_future(_begin(twin, cache, backend, "nx.test"))
    await asyncio.sleep(0)
    backend.answer("nx.test", NXDomain("no such name", host="nx.test", negative_ttl=60))
    with pytest.raises(NXDomain):
        query.future.result()
    with pytest.raises(NXDomain):
        await follower
    info = cache.info()
    assert (info.coalesced, info.size, info.in_flight) == (1, 1, 0)
    with pytest.raises(NXDomain):
        _begin(twin, cache, backend, "nx.test")  # the cached negative answer
    assert cache.info().negative_hits == 1


@pytest.mark.parametrize("twin", TWINS)
async def test_refused_before_asking_frees_the_key(twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    with pytest.raises(ValueError, match="refused"):
        _begin(twin, cache, _Held(), "refused.test")
    assert cache.info().in_flight == 0


@pytest.mark.parametrize("twin", TWINS)
async def test_after_close_the_owner_error_is_raised(twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True,
                               closed_error=lambda: RuntimeError("closed"))
    backend = _Held()
    query = _begin(twin, cache, backend, "a.test")
    cache.closed = True
    backend.answer("a.test", _answer("a.test"))
    with pytest.raises(RuntimeError, match="closed"):
        query.future.result()


def test_the_compiled_twin_is_picked_where_built() -> None:
    expected = _compiled_module() is not None and not os.environ.get("AIORESOLVE_NO_EXTENSIONS")
    assert expected == _miss.COMPILED
    assert LookupCache.__mro__[1] is _miss.CacheState


def test_no_extensions_forces_the_pure_twin() -> None:
    env = {**os.environ, "AIORESOLVE_NO_EXTENSIONS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", "from aioresolve import _miss; print(_miss.COMPILED, "
         "_miss.BegunQuery.__module__)"], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "aioresolve._begun"]


@pytest.mark.skipif(_compiled_module() is None, reason="_begun_c not built")
def test_a_stale_compiled_twin_is_not_used(monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("AIORESOLVE_NO_EXTENSIONS", raising=False)
    module = _compiled_module()
    assert module is not None
    assert _miss._compiled() is module  # built from _begun.py as it is
    monkeypatch.setattr(module, "SOURCE", b"# another _begun.py\n")
    with caplog.at_level(logging.WARNING, logger="aioresolve.speedups"):
        assert _miss._compiled() is None
    assert "another _begun.py" in caplog.text


@pytest.mark.parametrize("twin", TWINS)
async def test_any_max_size_is_taken(twin: ModuleType) -> None:
    """A bound beyond a C integer (the compiled twin's field) is no bound at all."""
    cache = _cache_class(twin)(CacheConfig(max_size=10**30), backend_provides_ttl=True)
    backend = _Held()
    _begin(twin, cache, backend, "a.test")
    backend.answer("a.test", _answer("a.test"))
    assert cache.info().size == 1 and cache.info().max_size == 10**30


# -- the name check (plain_name) and Resolver.query's common case (begin_query) --

#: What plain_name replaced in aioresolve._names.to_alabel (two regular
#: expressions, the short one a subset of the long one): the reference the
#: twins are tested against.
_NORMAL_LABEL = r"[a-z0-9_*](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NORMAL_NAME = re.compile(rf"(?:{_NORMAL_LABEL}\.)*{_NORMAL_LABEL}")


def _reference_plain(name: str) -> bool:
    return len(name) <= 253 and _NORMAL_NAME.fullmatch(name) is not None


_NAME_ALPHABET = "abz09_-.*Az\u00e9\u0131 \n"
_LABELS = st.text(alphabet="ab-_*0", min_size=0, max_size=66)


@pytest.mark.parametrize("twin", TWINS)
@settings(max_examples=400)
@given(name=st.one_of(
    st.text(alphabet=_NAME_ALPHABET, max_size=80),
    st.lists(_LABELS, min_size=1, max_size=6).map(".".join),
    # long names around the 253-character bound, of labels around 63
    st.lists(st.integers(min_value=1, max_value=64), min_size=3, max_size=6).map(
        lambda sizes: ".".join("a" * size for size in sizes)),
))
def test_plain_name_accepts_what_the_regex_did(twin: ModuleType, name: str) -> None:
    assert twin.plain_name(name) is _reference_plain(name)


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("name", [
    "a", "*", "*.a", "_sip._tcp.x", "a-b.c", "a" * 63, "a" * 63 + ".b", ".".join(["a" * 63] * 3)
    + "." + "a" * 61, "", ".", "a.", ".a", "a..b", "-a", "a-", "a-.b", "a.-b", "a*", "**", "A",
    "a" * 64, ".".join(["a" * 63] * 3) + "." + "a" * 62, "\u00e9", "a b",
])
def test_plain_name_edges(twin: ModuleType, name: str) -> None:
    assert twin.plain_name(name) is _reference_plain(name)


@pytest.mark.parametrize("twin", TWINS)
async def test_begin_query_takes_the_common_case_only(twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    assert twin.begin_query(cache, "a.test", "A") is None  # no backend set: not the case
    cache._begin_backend = backend
    for other in ("A.test", "a.test.", "b\u00e9.test", b"a.test", "a..test"):
        assert twin.begin_query(cache, other, "A") is None  # the general path checks these
    assert backend.begun == {}
    future = twin.begin_query(cache, "a.test", "A")
    assert type(future) is twin.BegunQuery and list(backend.begun) == ["a.test"]
    backend.answer("a.test", _answer("a.test"))
    assert (await future).name == "a.test"
    entry = cache._entries[("query", "a.test", "A")]
    assert type(entry) is twin.Entry and entry.expires == entry.stale_until > 0
    hit = twin.begin_query(cache, "a.test", "A")
    assert isinstance(hit, Answer) and cache.info().hits == 1
    cache.closed = True
    assert twin.begin_query(cache, "b.test", "A") is None


@pytest.mark.parametrize("twin", TWINS)
@pytest.mark.parametrize("marked", ["cvar", "thread"])
@pytest.mark.parametrize("library", ["trio", "curio", "asyncio"])
async def test_begin_query_leaves_a_marked_library_to_the_general_path(
        twin: ModuleType, marked: str, library: str) -> None:
    """begin_query takes running_loop()'s common answer inline (nothing marked
    for sniffio, a running loop); any library marked for sniffio, in the
    context or the thread, is the general path's to decide (running_loop())."""
    import sniffio

    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    cache._begin_backend = backend
    if marked == "cvar":
        token = sniffio.current_async_library_cvar.set(library)
        try:
            assert twin.begin_query(cache, "a.test", "A") is None
        finally:
            sniffio.current_async_library_cvar.reset(token)
    else:
        sniffio.thread_local.name = library
        try:
            assert twin.begin_query(cache, "a.test", "A") is None
        finally:
            sniffio.thread_local.name = None
    assert backend.begun == {}
    future = twin.begin_query(cache, "a.test", "A")  # unmarked again: the common case
    assert type(future) is twin.BegunQuery and list(backend.begun) == ["a.test"]
    backend.answer("a.test", _answer("a.test"))
    await future


def test_begin_query_outside_a_loop_is_the_general_paths() -> None:
    for twin in (_begun, _compiled_module()):
        if twin is None:
            continue
        cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
        cache._begin_backend = _Held()
        assert twin.begin_query(cache, "a.test", "A") is None


def test_plain_rtypes_are_what_check_rtype_returns_as_given() -> None:
    from aioresolve._names import check_rtype

    for twin in (_begun, _compiled_module()):
        if twin is not None:
            assert twin.PLAIN_RTYPES == _begun.PLAIN_RTYPES
    assert {t for t in _begun.PLAIN_RTYPES if check_rtype(t) == t} == _begun.PLAIN_RTYPES


@pytest.mark.parametrize("twin", TWINS)
async def test_begin_query_leaves_other_record_types_to_the_general_path(
        twin: ModuleType) -> None:
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    cache._begin_backend = backend
    for rtype in ("mx", "a", 1, "TYPE1", "ANY", None, True, b"A", "NOSUCH"):
        assert twin.begin_query(cache, "a.test", rtype) is None  # check_rtype's to answer
    assert backend.begun == {}
    future = twin.begin_query(cache, "a.test", "MX")
    assert type(future) is twin.BegunQuery and list(backend.begun) == ["a.test"]
    backend.answer("a.test", _answer("a.test"))
    await future
    assert ("query", "a.test", "MX") in cache._entries


@pytest.mark.parametrize("twin", TWINS)
async def test_the_fields_run_query_sets(twin: ModuleType) -> None:
    """What run_query sets is what the attributes read (compiled: C fields),
    and the backend's callback ends the query (handle ``None``)."""
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    query = _begin(twin, cache, backend, "a.test")
    assert type(query) is twin.BegunQuery
    assert query.cache is cache and query.key == ("query", "a.test", "A")
    assert query.backend is backend and query.handle == ("handle", "a.test")
    assert type(query.future) is asyncio.Future
    backend.answer("a.test", _answer("a.test"))
    assert query.handle is None and (await query).name == "a.test"


def test_the_compiled_twin_has_c_fields() -> None:
    compiled = _compiled_module()
    if compiled is None:
        pytest.skip("_begun_c not built")
    # An extension type's C fields (getset descriptors), not a Python class's slots.
    assert type(vars(compiled.BegunQuery)["future"]).__name__ == "getset_descriptor"


@pytest.mark.parametrize("twin", TWINS)
def test_each_future_is_of_its_own_loop(twin: ModuleType) -> None:
    """The compiled twin makes a begun query's future with the keywords of the
    cache's last loop: a lookup on another loop gets its own, and closing
    forgets it."""
    cache = _cache_class(twin)(CacheConfig(), backend_provides_ttl=True)
    backend = _Held()
    loops = []

    async def one(name: str) -> None:
        query = _begin(twin, cache, backend, name)
        loops.append((query.future.get_loop(), asyncio.get_running_loop()))
        backend.answer(name, _answer(name))
        await query

    for name in ("a.test", "b.test", "c.test"):
        asyncio.run(one(name))
    assert all(got is running for got, running in loops)
    # (the cache's reference keeps the last loop alive: the next is another object)
    assert loops[0][1] is not loops[1][1] and loops[1][1] is not loops[2][1]
    asyncio.run(cache.aclose())
    assert cache._future_kw is None
