"""Bulk resolution: many names, bounded concurrency, exactly one result each.

:func:`resolve_many` streams :class:`Result` objects for a list, any iterable,
an async iterable or a text file of names; :func:`resolve_all` gathers them
into a list.  Differences from looping over :meth:`Resolver.query
<aioresolve.Resolver.query>` yourself (or from massdns / ``dnsx``):

* every input yields exactly one :class:`Result`, failures included: a lookup
  error, a bad name or an unexpected exception becomes a :class:`Status`, it
  never ends the batch;
* input is read lazily and memory is bounded by the *window* (in flight plus
  finished-but-not-yet-consumed results), not by the input size;
* retries on TIMEOUT / SERVFAIL / REFUSED (configurable), rotated over the
  servers when several are given; a ``qps`` pace (token bucket) on top of the
  ``concurrency`` limit;
* :meth:`BulkRun.stop` (or leaving the ``async for``) ends the run promptly
  with no task or socket left behind; ``stop(report_cancelled=True)`` first
  yields a ``CANCELLED`` result for every input that was read but not finished.

A program whose main work is a bulk run can run it inside :func:`tuned_gc`
(as ``aioresolve bulk`` does): the garbage collector otherwise costs several
µs per name.

File input: one name per line; leading/trailing white space is stripped and
blank lines and lines starting with ``#`` are skipped (they get no result and
no index).  Every other line, valid or not, gets exactly one result.  Items of
other iterables are never skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._config import RESOLV_CONF, system_nameservers
from .._config import default_backend_name as _default_backend_name
from ._gc import tuned_gc
from ._resolve_many import resolve_all, resolve_many
from ._result import ADDR, CSV_FIELDS, DEFAULT_RETRY_ON, Result, Status, record_text
from ._run import BulkRun, QueryFunc
from ._stream import stream

__all__ = [
    "ADDR",
    "RESOLV_CONF",
    "BulkRun",
    "CSV_FIELDS",
    "DEFAULT_RETRY_ON",
    "default_backend",
    "system_nameservers",
    "record_text",
    "QueryFunc",
    "Result",
    "Status",
    "resolve_all",
    "resolve_many",
    "stream",
    "tuned_gc",
]


def default_backend(nameservers: Sequence[str] | None) -> str:
    """The backend a bulk run uses when none is named (kept for compatibility:
    :func:`aioresolve._config.default_backend_name` decides).

    ``"wire"``, aioresolve's own engine (the fastest), whenever there are
    servers to ask: given, or listed in resolv.conf.  It asks them directly:
    names are taken as fully qualified (no search list) and ``/etc/hosts`` is
    not read.  ``"system"`` (libc) where resolv.conf lists no server.
    """
    return _default_backend_name(nameservers)
