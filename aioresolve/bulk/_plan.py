"""How a bulk run picks, makes and queries its backends (see :mod:`._run`).

- the backend a run without ``resolver=`` uses (``"wire"`` where there are
  nameservers, given or in resolv.conf), made here with a per-attempt timeout
  of the run's deadline shared by its attempts;
- whether the wire engine can run the inputs itself (``"wire-stream"``): then
  the run feeds the backend's engine directly, and a run that made its own
  wire backend needs no :class:`~aioresolve.Resolver` (nor the facade's
  modules, ~20 ms of the CLI's start-up);
- otherwise the :data:`~aioresolve.bulk.QueryFunc` of one attempt for the
  ``"workers"`` strategy: rotating over one resolver per server, or the
  backend's own ``bulk_query_func``, and ``"ADDR"`` as A and AAAA at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import _config, _errors
from .._backends import backend_class, create_backend
from .._dns.stream import QueryFunc
from .._records import Answer
from ._result import ADDR, DEFAULT_RETRY_ON, Status

if TYPE_CHECKING:
    from .._resolver import Resolver

__all__ = [
    "ENGINE_RETRY_ON", "batch_query", "engine_retries", "own_wire_backend", "resolver_query_func",
    "resolvers_for", "server_of", "wire_backend", "with_addr",
]

#: What the wire engine retries by itself (on the next server): a TIMEOUT, a
#: SERVFAIL (or an unknown rcode), REFUSED, and a network error such as ICMP
#: port unreachable.  NXDOMAIN, NODATA, FORMERR and TRUNCATED are final.
ENGINE_RETRY_ON: frozenset[Status] = DEFAULT_RETRY_ON | {Status.NETWORK_ERROR}


def resolver_query_func(resolvers: Sequence[Resolver]) -> QueryFunc:
    """Rotate attempts over resolvers (one per server): attempt k of input i
    goes to resolver ``(i + k) % n`` - the engine passes ``i + k``."""
    count = len(resolvers)
    if count == 1:
        only = resolvers[0]

        async def query_one(name: str, rtype: str, attempt: int) -> Answer:
            return await only.query(name, rtype)

        return query_one

    async def query_rotating(name: str, rtype: str, attempt: int) -> Answer:
        return await resolvers[attempt % count].query(name, rtype)

    return query_rotating


def server_of(resolvers: Sequence[Resolver], attempt: int) -> str | None:
    """The server attempt ``attempt`` goes to, where that is certain: one
    resolver per server, or a batch engine that rotates by attempt."""
    backend = resolvers[attempt % len(resolvers)].backend
    servers = backend.nameservers
    if not isinstance(servers, list) or not servers:
        return None
    if len(servers) == 1:
        return str(servers[0])
    if len(resolvers) == 1 and hasattr(backend, "bulk_query_func"):
        return str(servers[attempt % len(servers)])
    return None


_ADDR_RANK = (_errors.NoData, _errors.NXDomain)


async def _query_addr(query: QueryFunc, name: str, slot: int) -> Answer:
    """A and AAAA at once: records of both; NODATA only if both are empty;
    another error of either wins over NODATA/NXDOMAIN (it may be retried)."""
    both = await asyncio.gather(query(name, "A", slot), query(name, "AAAA", slot),
                                return_exceptions=True)
    answers = [a for a in both if isinstance(a, Answer)]
    errors = [e for e in both if isinstance(e, BaseException)]
    for error in errors:
        if not isinstance(error, Exception):
            raise error  # CancelledError and friends
    hard = [e for e in errors if not isinstance(e, _ADDR_RANK)]
    if hard:
        raise hard[0]
    if answers:
        records = tuple(r for a in answers for r in a.records)
        ttl = min(a.ttl for a in answers)
        return Answer(name, ADDR, records, answers[0].canonical_name, ttl, answers[0].server)
    nx = [e for e in errors if isinstance(e, _errors.NXDomain)]
    raise nx[0] if nx else errors[0]


def with_addr(query: QueryFunc) -> QueryFunc:
    """``query``, with ``"ADDR"`` asked as A and AAAA at once."""

    async def one(name: str, rtype: str, attempt: int) -> Answer:
        if rtype == ADDR:
            return await _query_addr(query, name, attempt)
        return await query(name, rtype, attempt)

    return one


def engine_retries(rtypes: tuple[str, ...], retry_on: frozenset[Status], attempts: int) -> bool:
    """Whether the wire engine can run these inputs itself: no ``"ADDR"``, and
    a retry policy the engine has (any, with one attempt)."""
    if ADDR in rtypes:
        return False
    return attempts == 1 or retry_on in (DEFAULT_RETRY_ON, ENGINE_RETRY_ON)


def wire_backend(resolvers: Sequence[Resolver], rtypes: tuple[str, ...],
                  retry_on: frozenset[Status], attempts: int) -> Any | None:
    """The wire backend to feed directly, when the run allows it: one resolver
    on a wire backend, no ``"ADDR"``, and a retry policy the engine has (any,
    with one attempt)."""
    if len(resolvers) != 1 or not engine_retries(rtypes, retry_on, attempts):
        return None
    try:
        wire = backend_class("wire")
    except (_errors.BackendUnavailable, ValueError):
        return None
    backend = resolvers[0].backend
    if not isinstance(backend, wire):
        return None
    return backend


def batch_query(resolvers: Sequence[Resolver]) -> QueryFunc | None:
    """The backend's own one-attempt function, when it has one (the plug-in seam)."""
    if len(resolvers) == 1 and hasattr(resolvers[0].backend, "bulk_query_func"):
        func: Callable[[], QueryFunc] = resolvers[0].backend.bulk_query_func
        return func()
    return None


def _backend_choice(
    backend: str | None, nameservers: Sequence[str] | None,
) -> tuple[str, Sequence[str] | None]:
    """The backend a run without ``resolver=`` uses, and its nameservers."""
    if isinstance(nameservers, str):
        raise TypeError("nameservers must be a list of strings, not a string")
    name = backend or _config.default_backend_name(nameservers)
    if name == "wire" and not nameservers:
        nameservers = _config.system_nameservers()
        if not nameservers:
            raise ValueError(
                f"the wire backend needs nameservers=; {_config.RESOLV_CONF} lists none"
            )
    return name, nameservers


def _per_try(timeout: float | None, attempts: int) -> float:
    """The run retries itself, so each attempt is a single try of the backend
    with a share of the per-host deadline."""
    return (timeout / attempts) if timeout is not None else 2.0


def own_wire_backend(backend: str | None, nameservers: Sequence[str] | None,
                      timeout: float | None, attempts: int) -> Any | None:
    """A wire backend for a run that chose (or defaulted to) ``"wire"``; ``None``
    for another backend.  One backend for all servers: its engine rotates
    attempts over them itself."""
    name, servers = _backend_choice(backend, nameservers)
    if name != "wire" or not servers:
        return None
    return create_backend(name, nameservers=list(servers), timeout=_per_try(timeout, attempts),
                          attempts=1)


def resolvers_for(
    resolver: Resolver | None,
    backend: str | None,
    nameservers: Sequence[str] | None,
    timeout: float | None,
    attempts: int,
    concurrency: int,
) -> tuple[list[Resolver], bool]:
    if resolver is not None:
        return [resolver], False
    from .._resolver import Resolver  # the facade: only for runs through a Resolver

    name, nameservers = _backend_choice(backend, nameservers)
    per_try = _per_try(timeout, attempts)
    options: dict[str, Any]
    if name == "cares":
        options = {"tries": 1, "try_timeout": per_try}
    elif name == "system":
        if nameservers:
            raise ValueError("the system backend cannot be pointed at servers; "
                             "use backend='cares' or 'wire'")
        options = {"pool_size": min(concurrency, 64)}
    else:
        options = {}
    if name == "wire" and nameservers:
        # One backend for all servers: its engine rotates attempts over them
        # itself.  Made here because Resolver(timeout=) is the facade's
        # deadline, not the backend's per-attempt timeout.
        wire = create_backend(name, nameservers=list(nameservers), timeout=per_try, attempts=1)
        return [Resolver(wire, cache=False)], True
    if not nameservers:
        return [Resolver(name, cache=False, **options)], True
    resolvers = [
        Resolver(name, cache=False, nameservers=[server], **options) for server in nameservers
    ]
    return resolvers, True
