"""A batch of stream results made :class:`~aioresolve.bulk.Result` objects, in
pure Python: the reference twin of ``_results_c.pyx`` (typed Cython, the same
function); :mod:`aioresolve.bulk._results` picks one as
:mod:`aioresolve._dns._speedups` picks the engine's twins.

:func:`results_of` is what :class:`~aioresolve.bulk.BulkRun` runs for every
batch the stream hands out; :func:`other_result` is the one result of
anything but an answer (both twins call it for the rare cases).
"""

from __future__ import annotations

from typing import Any, cast

from .._dns.stream import Cancelled, StreamResult
from .._records import Answer
from ._result import (
    _STATUS_OF_TYPE,
    Result,
    Status,
    answer_result,
    error_result,
    make_result,
)

__all__ = ["CANCELLED_TEXT", "other_result", "results_of"]

CANCELLED_TEXT = "the run was stopped before this lookup finished"


def results_of(raw: list[StreamResult], per: int) -> list[Result]:
    """The bulk results of a batch: answers and errors built inline (the
    common cases, no call per result beyond :func:`make_result`), the rest by
    :func:`other_result`.  ``per`` is the number of record types asked of each
    input (the stream's index is ``input * per + type``)."""
    out: list[Result] = []
    append = out.append
    noerror = Status.NOERROR
    status_of = _STATUS_OF_TYPE.get  # the classes met so far (see error_result)
    res: Any  # an Answer or an exception: the checks below are on its exact class
    for r in raw:
        index, text, res, attempts, server, rtype, qname, elapsed = r
        if qname is not None:
            klass = type(res)
            if klass is Answer:
                if per > 1:
                    index //= per
                append(make_result(index, text, qname, rtype, noerror, res.records,
                                   res.canonical_name, res.ttl, None, attempts, elapsed,
                                   res.server or server, res.aliases, None,
                                   res.flags, res.protocol, res.alias_ttls, None))
                continue
            status = status_of(klass)
            if status is not None and klass is not Cancelled:  # a lookup that failed
                if per > 1:
                    index //= per
                try:  # error_result, inlined: a ResolveError's own attributes
                    append(make_result(
                        index, text, qname, rtype, status, (), None, res.negative_ttl,
                        str(res) or klass.__name__, attempts, elapsed, res.server or server,
                        (), res.soa, res.flags, res.protocol, (), res.soa_owner))
                    continue
                except AttributeError:  # not a ResolveError after all: other_result
                    pass
        append(other_result(r, per))
    return out


def other_result(r: StreamResult, per: int) -> Result:
    """The :class:`Result` of any stream result (an answer, an error, a
    cancellation, an input that is not a name); a bug here costs this one
    result (an ERROR result), never the run."""
    index = r.index // per if per > 1 else r.index
    res = r.result
    try:
        if isinstance(res, Answer):
            return answer_result(index, r.name, cast(str, r.qname), r.rtype, res,
                                 attempts=r.attempts, elapsed=r.elapsed, server=r.server)
        if isinstance(res, Cancelled):
            return Result(index, r.name, None, r.rtype, Status.CANCELLED, error=CANCELLED_TEXT)
        if r.qname is None:  # never asked: not a name
            return Result(index, r.name, None, r.rtype, Status.ILLEGAL_INPUT,
                          error=str(res) or type(res).__name__)
        return error_result(index, r.name, r.qname, r.rtype, res, attempts=r.attempts,
                            elapsed=r.elapsed, server=r.server)
    except Exception as exc:  # a bug must cost one result, not the run
        return error_result(index, r.name, r.qname, r.rtype, exc, attempts=r.attempts,
                            elapsed=r.elapsed, server=r.server)
