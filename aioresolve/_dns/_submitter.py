"""The stream over an engine that has only ``submit`` and ``cancel``.

:class:`Submitter` is what :class:`~aioresolve._dns.stream.Stream` needs of an
engine, :class:`Handle` what it reads of a submitted query, and
:class:`SubmitterSink` the :class:`~aioresolve._dns._sink_py.Sink` that runs a
stream through such an engine's ``submit`` (the wire engine's core has a sink
and a batch start of its own, and does not use it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from .._records import Answer
from ._sink_py import Sink, start_items

__all__ = ["Handle", "Submitter", "SubmitterSink"]

# tuple.__new__: StreamResult(...) through NamedTuple's __new__ costs ~0.3 us more
_new_result = tuple.__new__


class Handle(Protocol):
    """What :class:`Stream` reads of a submitted query (the wire engine's
    :class:`~aioresolve._dns.engine.Query` has it)."""

    name: str
    rtype: str
    tag: Any
    done: bool
    tries: int

    @property
    def result(self) -> Answer | Exception | None: ...

    @property
    def server(self) -> tuple[str, int] | str | None: ...


class Submitter(Protocol):
    """An engine: ``submit`` starts one name and calls ``callback(handle)``
    once when it ends (never from inside ``submit`` unless it fails there);
    ``cancel`` forgets it without a callback."""

    def submit(self, name: str, rtype: str, callback: Callable[[Any], Any], tag: Any = None,
               *, attempts: int | None = None, timeout: float | None = None,
               lifetime: float | None = None, offset: int = 0) -> Any: ...

    def cancel(self, q: Any) -> None: ...


class SubmitterSink(Sink):
    """The :class:`~aioresolve._dns._sink_py.Sink` of an engine that has only
    the :class:`Submitter` protocol: names go through its ``submit``, each
    tagged ``(index, text, born)``, and are kept by index in :attr:`active`
    (such an engine has no set of its live queries to find them in)."""

    __slots__ = ("active", "engine")

    def __init__(self, engine: Submitter, result_type: type, wake: Callable[[], None],
                 **options: Any) -> None:
        super().__init__(result_type, wake, **options)
        self.engine = engine
        self.active: dict[int, Any] = {}

    def put(self, q: Any) -> None:
        index, text, born = q.tag
        self.count -= 1
        self.active.pop(index, None)
        result = q.result
        server = self.server_text(result, q.server)
        results = self.results
        results.append(_new_result(self.result_type, (index, text, result, q.tries, server,
                                                  q.rtype, q.name, time.monotonic() - born)))
        if len(results) == 1:
            self.wake()

    __call__ = put

    def describe(self, q: Any) -> tuple[str, float]:
        _, text, born = q.tag
        return text, born

    def in_flight(self) -> dict[int, Any]:
        return self.active

    def forget(self) -> None:
        self.count = 0
        self.active = {}

    def start_many(self, sink: Sink, source: Any, room: int, budget: int) -> int:
        return start_items(self._submit, sink, source, room, budget)

    def _submit(self, name: str, rtype: str, callback: Callable[[Any], Any], text: str,
                attempts: int | None, timeout: float | None, lifetime: float | None,
                index: int, born: float) -> Any:
        q = self.engine.submit(name, rtype, callback, (index, text, born),
                               attempts=attempts, timeout=timeout, lifetime=lifetime,
                               offset=index)
        if not q.done:  # an immediate failure finishes it inside submit
            self.active[index] = q
        return q
