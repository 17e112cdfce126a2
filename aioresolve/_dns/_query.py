"""One name being resolved by the wire engine (:class:`Query`) and the
record-type table (:func:`qtype_of`).

State only: the engine's modules read and write these slots; this module
knows nothing of sockets, timers or the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dns.rdatatype

from .. import _errors
from .._records import Answer

if TYPE_CHECKING:
    from ._sockets import _Socket

__all__ = ["Query", "qtype_of"]

_QTYPES: dict[str, int] = {}


def qtype_of(rtype: str) -> int:
    """The numeric type of a mnemonic (cached).

    :raises TypeError: ``rtype`` is not a string.
    :raises ValueError: ``rtype`` is not a known record type.
    """
    value = _QTYPES.get(rtype)
    if value is None:
        if not isinstance(rtype, str):
            raise TypeError(f"record type must be a string such as 'A', not {rtype!r}")
        try:
            value = int(dns.rdatatype.from_text(rtype))
        except Exception:
            raise ValueError(f"unknown record type {rtype!r}") from None
        _QTYPES[rtype] = value
    return value



class Query:
    """One name being resolved.  ``tag`` is the caller's; ``result`` is set
    before the callback runs; ``aliases`` are the CNAME owners followed and
    ``alias_ttls`` those CNAME records' TTLs."""

    __slots__ = (
        "alias_ttls",
        "aliases",
        "attempt",
        "attempts",
        "bad",
        "born",
        "callback",
        "caps",
        "deadline",
        "done",
        "edns",
        "index",
        "letters",
        "miscased",
        "name",
        "offset",
        "qid",
        "qsec",
        "qtype",
        "question",
        "queued",
        "refused",
        "result",
        "rtype",
        "seen",
        "sent_at",
        "serial",
        "server",
        "sock",
        "tag",
        "template",
        "timeout",
        "tries",
        "ttl",
        "wanted",
    )

    def __init__(self, name: str, rtype: str, qtype: int, callback: Callable[[Query], Any],
                 tag: Any, attempts: int, timeout: float, deadline: float) -> None:
        self.name = name  # the name asked for, as given
        wanted = name.lower()  # the name the current question asks about
        if wanted.endswith(".") and len(wanted) > 1:
            wanted = wanted[:-1]
        self.wanted = wanted or "."
        self.rtype = rtype
        self.qtype = qtype
        self.callback = callback
        self.tag = tag
        self.attempts = attempts
        self.timeout = timeout
        self.deadline = deadline
        self.attempt = 0  # attempts used on the current question
        self.tries = 0  # attempts used in all
        self.offset = 0
        self.index = -1  # the stream's index of the input (a stream Sink's query)
        self.born = 0.0  # time.monotonic() at the submission (a stream Sink's query)
        self.qid = -1  # -1: no attempt on the wire
        self.sock: _Socket | None = None
        self.serial = 0
        self.sent_at = 0.0
        self.server: tuple[str, int] | None = None
        self.template = b""
        self.question = b""  # the question section sent (lower case without 0x20)
        self.qsec = b""  # the lower-case question section (0x20 randomises a copy)
        self.letters = 0  # 0x20: mask of the name's letter bits; 0 = off
        self.caps = False  # the current attempt was sent with 0x20
        self.edns = True  # the current question is sent with EDNS (if the engine uses it)
        self.refused = False  # the current attempt was failed by a port unreachable
        self.miscased = False  # a reply to the current attempt had the wrong 0x20 case
        self.bad: str | None = None  # why a matching reply was malformed (dropped)
        self.queued = False  # waiting for room under max_in_flight
        self.aliases: list[str] = []
        self.alias_ttls: list[int] = []
        self.seen: set[str] | None = None
        self.ttl = 0x7FFFFFFF
        self.result: Answer | _errors.ResolveError | None = None
        self.done = False

