"""What the lookup cache hands out: copies, aged answers, which failures
are negative answers (RFC 2308), and the marker of a running lookup
(:data:`RUNNING`).

Pure functions, used by :class:`aioresolve.cache.LookupCache` (which
re-exports :func:`negative_ttl_of` and :func:`is_negative`); the entries it
keeps are :class:`aioresolve._begun.Entry` (a C struct where compiled).
"""

from __future__ import annotations

import copy
import dataclasses
import socket
from typing import Any

from ._backends.base import NegativeAnswer
from ._errors import NoData, NXDomain, ResolveError
from ._records import Answer

__all__ = [
    "RUNNING", "age_answer", "copy_error", "copy_result", "is_negative", "negative_ttl_of",
]


class _Running:
    """Marks a lookup that runs with no follower yet (so no follower list)."""

    __slots__ = ()


#: The value of :attr:`SingleFlight.flights <aioresolve._coalesce.SingleFlight>`
#: for a lookup with no follower yet, which the miss path
#: (:mod:`aioresolve._begun`, both twins) claims and ends inline.  Defined
#: here so that the miss path, whose name check the CLI's bulk run loads,
#: does not load single-flight.
RUNNING = _Running()

# EAI_NODATA is a glibc extension (not in POSIX, absent on macOS).
_NEGATIVE_EAI = {socket.EAI_NONAME} | (
    {socket.EAI_NODATA} if hasattr(socket, "EAI_NODATA") else set()
)


def copy_result(value: Any) -> Any:
    """A copy the caller may mutate: lists (getaddrinfo) and the lists inside
    host entries are copied; everything else in results is immutable."""
    if type(value) is list:
        return list(value)
    if type(value) is tuple and len(value) == 3 and type(value[1]) is list:
        return (value[0], list(value[1]), list(value[2]))
    return value


def copy_error(error: BaseException) -> BaseException:
    """A fresh instance of a cached error, so raising it again does not grow
    the traceback of the one every earlier caller saw."""
    try:
        fresh = copy.copy(error)
    except Exception:  # pragma: no cover - an exotic exception class
        return error
    fresh.__traceback__ = None
    return fresh


def age_answer(answer: Answer, remaining: int) -> Answer:
    """The answer with TTLs counted down to what is left, as a resolver serves them."""
    if remaining >= answer.ttl:
        return answer
    records = tuple(
        dataclasses.replace(r, ttl=min(r.ttl, remaining)) if r.ttl > remaining else r
        for r in answer.records
    )
    return dataclasses.replace(answer, ttl=remaining, records=records)


def negative_ttl_of(error: BaseException) -> float | None:
    """The TTL the backend reported for a negative answer (RFC 2308 §5: the
    smaller of the SOA record's TTL and its MINIMUM field), or ``None``."""
    if isinstance(error, NegativeAnswer):
        return error.ttl
    if isinstance(error, ResolveError):
        if error.negative_ttl is not None:
            return float(error.negative_ttl)
        if error.soa is not None:
            return float(min(error.soa.ttl, error.soa.minimum))
    return None


def is_negative(error: BaseException) -> bool:
    """Whether ``error`` says the name or its data does not exist (cacheable)."""
    if isinstance(error, (NXDomain, NoData)):
        return True
    if isinstance(error, socket.gaierror):
        return error.errno in _NEGATIVE_EAI
    return isinstance(error, socket.herror) and error.errno == 1  # HOST_NOT_FOUND
