"""The public streaming API: :func:`stream`, many names through the wire engine.

The leanest way to resolve many names: no :class:`~aioresolve.bulk.Result`
per name, results handed out as they finish (or in lists, ``batches=True``),
each a :class:`~aioresolve._dns.stream.StreamResult` (also ``aioresolve.StreamResult``)
holding the :class:`~aioresolve.Answer` or the error.  :func:`aioresolve.resolve_many`
runs the same stream and adds files, statuses, retries of custom statuses and
other backends.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Sequence
from typing import Any, Literal, overload

from .. import _config
from .._dns.stream import Stream, StreamResult
from .._records import normalize_rtype
from ._input import input_name

__all__ = ["stream"]


@overload
def stream(
    names: Iterable[Any] | AsyncIterable[Any],
    rtype: str = "A",
    *,
    nameservers: Sequence[str] | None = None,
    backend: Any = None,
    concurrency: int = 256,
    qps: float | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    lifetime: float | None = None,
    ordered: bool = False,
    window: int | None = None,
    batches: Literal[False] = False,
) -> AsyncGenerator[StreamResult, None]: ...
@overload
def stream(
    names: Iterable[Any] | AsyncIterable[Any],
    rtype: str = "A",
    *,
    nameservers: Sequence[str] | None = None,
    backend: Any = None,
    concurrency: int = 256,
    qps: float | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    lifetime: float | None = None,
    ordered: bool = False,
    window: int | None = None,
    batches: Literal[True],
) -> AsyncGenerator[list[StreamResult], None]: ...

@overload
def stream(
    names: Iterable[Any] | AsyncIterable[Any],
    rtype: str = "A",
    *,
    nameservers: Sequence[str] | None = None,
    backend: Any = None,
    concurrency: int = 256,
    qps: float | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    lifetime: float | None = None,
    ordered: bool = False,
    window: int | None = None,
    batches: bool,
) -> AsyncGenerator[StreamResult, None] | AsyncGenerator[list[StreamResult], None]: ...

def stream(
    names: Iterable[Any] | AsyncIterable[Any],
    rtype: str = "A",
    *,
    nameservers: Sequence[str] | None = None,
    backend: Any = None,
    concurrency: int = 256,
    qps: float | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
    lifetime: float | None = None,
    ordered: bool = False,
    window: int | None = None,
    batches: bool = False,
) -> AsyncGenerator[StreamResult, None] | AsyncGenerator[list[StreamResult], None]:
    """Resolve every name of ``names``; yield one :class:`StreamResult` each
    (or lists of them, ``batches=True``).

    :param names: names (text, IDNA-encoded here; for PTR an IP address stands
        for its reverse name) or ``(name, rtype)`` pairs, from a list, any
        iterable or an async iterable, read lazily.
    :param rtype: the record type of names given alone.
    :param nameservers: ``"ip[:port]"`` / ``"[v6]:port"`` servers to ask
        (default: resolv.conf's); attempt k of name i goes to server
        ``(i + k) % n``.
    :param backend: a :class:`~aioresolve.Backend` whose engine to feed
        (``stream_engine()``; it is not closed), instead of ``nameservers``.
    :param concurrency: names in flight at most.
    :param qps: names started per second at most (token bucket, burst
        ``qps / 20``; retries are not paced).
    :param timeout: seconds per attempt (default 2, adaptive to the server's RTT).
    :param attempts: attempts per name (default 3; retries go to the next server).
    :param lifetime: seconds per name, all attempts (default attempts x timeout + timeout).
    :param ordered: yield in input order (``window`` bounds what waits).
    :param window: names read but not yet yielded, at most.
    :param batches: yield lists of results (each never empty: the results
        that finished while the consumer was busy) instead of one result at
        a time; the leanest way to consume a big stream (no generator
        resumption per name).

    :raises TypeError: at the call, for both ``backend`` and ``nameservers``;
        on the first iteration, for a backend without a stream engine.

    Every input yields exactly one result, failures included (``result`` is
    then the exception; :class:`~aioresolve.IllegalName` for what cannot be
    asked).  Closing the iterator (``break``, ``aclose()``) or cancelling the
    task cancels the names in flight.  An error raised by the input is raised
    after the results of the names read before it.
    """
    if backend is not None and nameservers is not None:
        raise TypeError("give either backend= or nameservers=, not both")
    inner = _batches(names, rtype, nameservers, backend, concurrency, qps, timeout, attempts,
                     lifetime, ordered, window)
    return inner if batches else _items(inner)


async def _items(inner: AsyncGenerator[list[StreamResult], None]
                 ) -> AsyncGenerator[StreamResult, None]:
    # Closed explicitly: leaving this generator (break, aclose(), a
    # cancellation) must stop the stream now, not when the inner one is
    # garbage-collected.
    try:
        async for batch in inner:
            for item in batch:
                yield item
    finally:
        await inner.aclose()


async def _batches(
    names: Iterable[Any] | AsyncIterable[Any], rtype: str, nameservers: Sequence[str] | None,
    backend: Any, concurrency: int, qps: float | None, timeout: float | None,
    attempts: int | None, lifetime: float | None, ordered: bool, window: int | None,
) -> AsyncGenerator[list[StreamResult], None]:
    """:func:`stream`'s lists, its arguments checked (the defaults are its own)."""
    own = None
    if backend is None:
        from .._backends.wire import WireBackend

        servers = list(nameservers) if nameservers else _config.system_nameservers()
        options: dict[str, Any] = {}
        if timeout is not None:
            options["timeout"] = timeout
        if attempts is not None:
            options["attempts"] = attempts
        own = backend = WireBackend(nameservers=servers or None, max_in_flight=concurrency,
                                    **options)
    engine = backend.stream_engine()
    if engine is None:
        raise TypeError(f"{type(backend).__name__} has no stream engine; use resolve_many")
    run = Stream(engine, names, rtype=normalize_rtype(rtype), concurrency=concurrency, qps=qps,
                 timeout=timeout, attempts=attempts, lifetime=lifetime, ordered=ordered,
                 window=window, prepare=input_name)
    try:
        async for batch in run.batches():
            yield batch
    finally:
        await run.aclose()
        if own is not None:
            await own.aclose()
