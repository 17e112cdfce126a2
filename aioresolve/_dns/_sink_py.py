"""A stream's batch path in pure Python: :class:`Sink`, the queries' callback
that makes each :class:`~aioresolve._dns.stream.StreamResult` as its query
ends, and :func:`start_items`, which reads, skips, prepares and submits a
step of a stream's inputs in one call.  The pure twin's
:meth:`Core.start_many <aioresolve._dns._hot_py.Core.start_many>` runs it over
the engine's submission, and :class:`~aioresolve._dns.stream.Stream` over
any other engine's ``submit``; the compiled core (:mod:`aioresolve._dns._hot_c`)
has its own ``Sink`` and ``start_many``, which must decide alike
(``tests/test_stream_sinks.py``).
"""

from __future__ import annotations

import collections
import re
import time
from collections.abc import Callable, Collection, Iterator
from typing import Any

from .. import _errors
from .._nameservers import nameserver_text
from ._query import Query

__all__ = ["Sink", "is_hostname", "start_items"]

#: a lower-case host name's characters, not starting or ending with "." or "-"
#: (the rest of the rules are plain substring tests: one pass of the regex
#: engine over the name, not one per label)
_HOST_TEXT = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?").fullmatch
_new_tuple = tuple.__new__


def is_hostname(text: object) -> bool:
    """Whether ``text`` is a ``str`` (exactly) holding a lower-case host name
    without the trailing dot: labels of ``a-z0-9_-`` (not starting or ending
    with ``-``) of at most 63 characters, 253 in all.  A :class:`Sink`'s
    ``prepare`` returns such names unchanged (but for the rtypes of its
    ``alters``), so :meth:`Core.start_many` does not call it for them."""
    return (type(text) is str and len(text) <= 253 and _HOST_TEXT(text) is not None
            and ".." not in text and ".-" not in text and "-." not in text
            and (len(text) <= 63 or max(map(len, text.split("."))) <= 63))


class Sink:
    """A stream's end of the engine (:meth:`Core.start_many`): the callback of
    the queries it starts, which turns each finished one into a result tuple
    at once (``result_type(index, text, result, tries, server, rtype, qname,
    elapsed)``, :class:`~aioresolve._dns.stream.StreamResult`) appended to
    :attr:`results`, and calls ``wake()`` when that list stops being empty.

    :ivar results: finished, not yet taken by the stream.
    :ivar count: queries in flight (counted, not kept: :meth:`in_flight`
        finds them among the engine's own, as the compiled twin does).
    :ivar callback: the queries' callback, :meth:`put` bound once (a bound
        method is called ~3x cheaper than an object's ``__call__``).
    :ivar read: inputs read so far (the next index).
    :ivar exhausted: the input ended (``error``: what it raised, if it failed).
    :ivar skipped: inputs skipped (``skip``) since the stream last reset it.
    """

    __slots__ = ("alters", "attempts", "callback", "core", "count", "error", "exhausted",
                 "lifetime", "order", "prepare", "read", "result_type", "results", "rtype",
                 "skip", "skipped", "texts", "timeout", "wake")

    def __init__(self, result_type: type, wake: Callable[[], None], rtype: str,
                 prepare: Callable[[str, str], str] | None,
                 skip: Callable[[int, str], bool] | None, attempts: int | None,
                 timeout: float | None, lifetime: float | None,
                 order: collections.deque[int] | None,
                 alters: Collection[str] | None) -> None:
        self.result_type = result_type
        self.wake = wake
        self.rtype = rtype
        self.prepare = prepare
        self.skip = skip
        self.attempts = attempts
        self.timeout = timeout
        self.lifetime = lifetime
        self.order = order
        #: the rtypes for which ``prepare`` may change a host name (None: all)
        self.alters = alters
        self.results: list[Any] = []
        self.count = 0
        #: the engine whose ``_active`` holds the queries (set by ``Core.stream_sink``)
        self.core: Any = None
        self.callback: Callable[[Any], None] = self.put
        self.read = 0
        self.exhausted = False
        self.error: BaseException | None = None
        self.skipped = 0
        self.texts: dict[tuple[str, int], str] = {}  # "ip:port" per server tuple

    def server_text(self, result: object, where: object) -> str | None:
        """The ``"ip:port"`` of a result: the answer's own, else the query's
        server (a ``(host, port)`` tuple formatted once per server)."""
        server: str | None = getattr(result, "server", None)
        if server is None:
            if type(where) is tuple:
                server = self.texts.get(where)
                if server is None:
                    server = self.texts[where] = nameserver_text(*where)
            else:
                server = where  # type: ignore[assignment]
        return server

    def put(self, q: Query) -> None:
        """``q`` ended: its result tuple."""
        result = q.result
        server = getattr(result, "server", None)  # an answer's own (no call)
        if server is None:
            server = self.server_text(result, q.server)
        self.count -= 1
        results = self.results
        results.append(_new_tuple(self.result_type, (
            q.index, q.tag, result, q.tries, server, q.rtype, q.name,
            time.monotonic() - q.born)))
        if len(results) == 1:
            self.wake()

    #: the queries' callback (one Python call per query, not two)
    __call__ = put

    def not_asked(self, index: int, text: str, rtype: str, qname: str,
                exc: Exception) -> None:
        """An input never asked (``prepare`` or ``submit`` raised): its result."""
        if not isinstance(exc, _errors.ResolveError):
            exc = _errors.IllegalName(f"{type(exc).__name__}: {exc}", host=text, rtype=rtype)
        self.results.append(self.result_type(
            index, text, exc, 0, getattr(exc, "server", None), rtype,
            None if isinstance(exc, _errors.IllegalName) else qname))

    def describe(self, q: Query) -> tuple[str, float]:
        """The input text of ``q`` and its submission time (``time.monotonic``)."""
        return q.tag, q.born

    def in_flight(self) -> dict[int, Any]:
        """The queries in flight, by input index (found among the engine's
        live queries)."""
        found: dict[int, Any] = {}
        if self.count and self.core is not None:
            callback = self.callback
            for q in self.core._active:
                if q.callback is callback:
                    found[q.index] = q
        return found

    def forget(self) -> None:
        """The queries in flight were cancelled: none is in flight now."""
        self.count = 0


def start_items(submit: Callable[..., Any], sink: Sink,
                source: Iterator[Any] | collections.deque[Any], room: int, budget: int) -> int:
    """Read inputs from ``source`` (an iterator, or a deque emptied from the
    left) and start each by ``submit(qname, rtype, sink.callback, text,
    attempts, timeout, lifetime, index, born)`` (counted in ``sink.count``), until
    ``room`` are started, ``budget`` are spent (started, or refused by
    ``prepare``/``submit``: their results are in ``sink.results``; a
    negative budget has no bound), or the source ends (``sink.exhausted``,
    ``sink.error``: what the iterator raised).  Skipped inputs spend nothing
    (``sink.skipped`` counts them).  Returns the inputs spent.

    An item is a name (asked as ``sink.rtype``) or a ``(name, rtype)`` pair;
    an exception of ``skip`` propagates, as an item that is a tuple of
    another length does.
    """
    spent = started = 0
    callback = sink.callback
    prepare, skip, order, alters = sink.prepare, sink.skip, sink.order, sink.alters
    rtype_default = sink.rtype
    attempts, timeout, lifetime = sink.attempts, sink.timeout, sink.lifetime
    from_deque = type(source) is collections.deque
    monotonic = time.monotonic
    while started < room and spent != budget:
        if from_deque:
            if not source:
                break
            item = source.popleft()  # type: ignore[union-attr]
        else:
            try:
                item = next(source)  # type: ignore[arg-type]
            except StopIteration:
                sink.exhausted = True
                break
            except Exception as exc:  # the input itself failed
                sink.exhausted = True
                sink.error = exc
                break
        index = sink.read
        sink.read = index + 1
        if type(item) is tuple:
            text, rtype = item
        else:
            text, rtype = item, rtype_default
        if skip is not None and skip(index, text):
            sink.skipped += 1
            continue
        if order is not None:
            order.append(index)
        qname = text
        spent += 1
        try:
            if prepare is not None and (alters is None or rtype in alters
                                        or not is_hostname(text)):
                qname = prepare(text, rtype)
            sink.count += 1  # before: a query that ends inside submit is counted off
            try:
                submit(qname, rtype, callback, text, attempts, timeout, lifetime, index,
                       monotonic())
            except BaseException:
                sink.count -= 1
                raise
        except Exception as exc:  # never asked: a result at once
            sink.not_asked(index, text, rtype, qname, exc)
            continue
        started += 1
    return spent
