"""The bulk API's entry points: :func:`resolve_many` and :func:`resolve_all`.

They check the arguments, plan the run (:mod:`aioresolve.bulk._plan`: a wire
engine of the run's own, or resolvers and a task per name in flight) and hand
it to a :class:`~aioresolve.bulk.BulkRun` (:mod:`aioresolve.bulk._run`), which
streams the results.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from .. import _errors
from .._dns.stream import QueryFunc, Submitter, TaskEngine, check_options
from .._records import normalize_rtype
from . import _plan
from ._plan import (
    batch_query,
    engine_retries,
    own_wire_backend,
    resolver_query_func,
    resolvers_for,
    wire_backend,
    with_addr,
)
from ._result import ADDR, DEFAULT_RETRY_ON, Result, Status
from ._run import BulkRun

if TYPE_CHECKING:
    from .._resolver import Resolver

__all__ = ["resolve_all", "resolve_many"]

def resolve_many(
    hosts: Iterable[Any] | AsyncIterable[Any] | IO[str] | IO[bytes],
    *,
    rtype: str | int | Sequence[str | int] = "A",
    concurrency: int = 100,
    timeout: float | None = 5.0,
    attempts: int = 3,
    retry_on: Iterable[Status | str] = DEFAULT_RETRY_ON,
    qps: float | None = None,
    ordered: bool = False,
    window: int | None = None,
    resolver: Resolver | None = None,
    backend: str | None = None,
    nameservers: Sequence[str] | None = None,
    query: QueryFunc | None = None,
    skip: Callable[[int, str], bool] | None = None,
) -> BulkRun:
    """Resolve every name of ``hosts``; an async iterator of :class:`Result`.

    :param hosts: a list or any iterable of names, an async iterable, or a
        text/binary file object (one name per line; blank and ``#`` lines skipped).
    :param rtype: ``"A"``, ``"AAAA"``, ``"ADDR"`` (A and AAAA), or any record
        type; or several (``("A", "AAAA", "MX")``): one result per input and
        type, with the input's index, in that order per input when ``ordered``.
    :param concurrency: lookups in flight at most.
    :param timeout: seconds per input, covering all its attempts (``None``: none).
    :param attempts: queries at most per input (1 = no retry).
    :param retry_on: the statuses that are retried (default TIMEOUT, SERVFAIL,
        REFUSED).  A retry goes to the next server when there are several.
    :param qps: at most this many lookups *started* a second (token bucket,
        burst ``qps / 20``); retries are not paced.
    :param ordered: yield in input order; a slow input then holds back at most
        ``window`` results behind it (and the reading, once the window is full).
    :param window: inputs read but not yet yielded, at most (memory bound);
        default ``2 * concurrency``, ``8 * concurrency`` when ordered.
    :param resolver: the :class:`~aioresolve.Resolver` to use (not closed by
        the run); its own timeout/retry settings apply inside each attempt.
    :param backend: without ``resolver``: the backend (default ``"wire"`` when
        there are nameservers, given or in resolv.conf, else ``"system"``).
    :param nameservers: without ``resolver``: ``"ip[:port]"`` servers; attempts
        rotate over them.  ``None``: the system configuration.
    :param query: a :data:`QueryFunc` replacing the resolver (a batch engine).
    :param skip: ``skip(index, input) -> bool``: inputs for which it is true
        keep their index but are not looked up and get no result (how the CLI
        resumes a run).

    Duplicate inputs each get their own result.  With the wire backend
    (``run.strategy == "wire-stream"``: the run's only backend is a wire
    backend, no ``"ADDR"``, no ``query`` and the default ``retry_on``, or
    ``attempts=1``) names go straight into the wire engine, which retries by
    itself: no task per lookup.  It also retries a network error such as ICMP
    port unreachable, and ``attempts`` counts a CNAME follow-up query as one
    more.
    """
    check_options(concurrency, qps, window)
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts!r}")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be positive or None, not {timeout!r}")
    if resolver is not None and (backend is not None or nameservers is not None):
        raise TypeError("give either resolver= or backend=/nameservers=, not both")
    kinds = [rtype] if isinstance(rtype, (str, int)) else list(rtype)
    if not kinds:
        raise ValueError("rtype: give at least one record type")
    rtypes = tuple(dict.fromkeys(
        ADDR if isinstance(k, str) and k.upper() == ADDR else normalize_rtype(k) for k in kinds))
    retry = frozenset(Status(s) for s in retry_on)
    window = window or concurrency * (8 if ordered else 2)
    cleanup: Callable[[], Awaitable[None]] | None = None
    server_of: Callable[[int], str | None] | None = None
    wire: Any = None
    if query is None and resolver is None and engine_retries(rtypes, retry, attempts):
        # A wire backend of the run's own, fed directly: no Resolver around it
        # (nor the facade's modules to import: ~20 ms of the CLI's start-up).
        wire = own_wire_backend(backend, nameservers, timeout, attempts)
        if wire is not None:
            cleanup = wire.aclose
    if query is None and wire is None:
        resolvers, owned = resolvers_for(resolver, backend, nameservers, timeout, attempts,
                                      concurrency)
        query = batch_query(resolvers) or resolver_query_func(resolvers)
        wire = wire_backend(resolvers, rtypes, retry, attempts)

        def server_of(slot: int) -> str | None:
            return _plan.server_of(resolvers, slot)

        if owned:
            async def cleanup() -> None:
                for r in resolvers:
                    await r.close()
    task_engine: TaskEngine | None = None
    if wire is not None:
        make_engine: Callable[[], Submitter] = wire.stream_engine
    else:
        assert query is not None  # no wire engine: a query function was made above
        task_engine = TaskEngine(
            with_addr(query), attempts=attempts, server_of=server_of,
            retryable=lambda exc: (isinstance(exc, _errors.ResolveError)
                                   and Status.from_exception(exc) in retry))
        engine = task_engine

        def make_engine() -> Submitter:
            return engine

    return BulkRun(
        hosts, engine=make_engine, strategy="workers" if wire is None else "wire-stream",
        rtypes=rtypes, concurrency=concurrency, timeout=timeout, attempts=attempts,
        retry_on=retry, qps=qps, ordered=ordered, window=window, cleanup=cleanup, skip=skip,
        task_engine=task_engine,
    )


async def resolve_all(
    hosts: Iterable[Any] | AsyncIterable[Any] | IO[str] | IO[bytes], **options: Any
) -> list[Result]:
    """Like :func:`resolve_many`, gathered into a list in input order."""
    options["ordered"] = False
    results = [r async for r in resolve_many(hosts, **options)]
    results.sort(key=lambda r: r.index)
    return results
