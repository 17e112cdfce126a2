"""Bulk results: :class:`Status`, :class:`Result` and their JSON/CSV/text forms."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
from typing import Any

from .. import _errors
from .._records import AAAA, A, Record

__all__ = ["ADDR", "CSV_FIELDS", "DEFAULT_RETRY_ON", "Result", "Status", "record_text"]

#: ``rtype="ADDR"``: both A and AAAA, asked at the same time, merged.
ADDR = "ADDR"


class Status(str, enum.Enum):
    """Outcome of one bulk lookup.  Each failure status names one error class
    of :mod:`aioresolve` (:attr:`error_class`); the value is the JSON/CSV text."""

    NOERROR = "NOERROR"  #: records found
    NXDOMAIN = "NXDOMAIN"  #: :class:`~aioresolve.NXDomain`
    NODATA = "NODATA"  #: :class:`~aioresolve.NoData`: the name exists, no records of the type
    SERVFAIL = "SERVFAIL"  #: :class:`~aioresolve.ServFail`
    REFUSED = "REFUSED"  #: :class:`~aioresolve.Refused`
    FORMERR = "FORMERR"  #: :class:`~aioresolve.FormErr`
    TIMEOUT = "TIMEOUT"  #: :class:`~aioresolve.Timeout` (the per-host deadline or every attempt)
    TRUNCATED = "TRUNCATED"  #: :class:`~aioresolve.Truncated`: TC=1 and the TCP retry failed
    NETWORK_ERROR = "NETWORK_ERROR"  #: :class:`~aioresolve.NetworkError` (incl. ConnectionRefused)
    ILLEGAL_INPUT = "ILLEGAL_INPUT"  #: :class:`~aioresolve.IllegalName`: not a valid name
    CANCELLED = "CANCELLED"  #: the run was stopped before this lookup finished
    ERROR = "ERROR"  #: anything else (BackendUnavailable, a bug): see ``Result.error``

    def __str__(self) -> str:
        return self.value

    @property
    def ok(self) -> bool:
        return self is Status.NOERROR

    @property
    def error_class(self) -> type[BaseException] | None:
        """The exception class this status stands for (``None`` for NOERROR)."""
        return _STATUS_ERRORS[self]

    @classmethod
    def from_exception(cls, exc: BaseException) -> Status:
        """The status of a lookup that raised ``exc`` (most specific class wins)."""
        for klass in type(exc).__mro__:
            status = _ERROR_STATUS.get(klass)
            if status is not None:
                return status
        return cls.ERROR


_STATUS_ERRORS: dict[Status, type[BaseException] | None] = {
    Status.NOERROR: None,
    Status.NXDOMAIN: _errors.NXDomain,
    Status.NODATA: _errors.NoData,
    Status.SERVFAIL: _errors.ServFail,
    Status.REFUSED: _errors.Refused,
    Status.FORMERR: _errors.FormErr,
    Status.TIMEOUT: _errors.Timeout,
    Status.TRUNCATED: _errors.Truncated,
    Status.NETWORK_ERROR: _errors.NetworkError,
    Status.ILLEGAL_INPUT: _errors.IllegalName,
    Status.CANCELLED: asyncio.CancelledError,
    Status.ERROR: _errors.ResolveError,
}
_ERROR_STATUS: dict[type, Status] = {
    cls: status for status, cls in _STATUS_ERRORS.items() if cls is not None
}
# A built-in TimeoutError that is not ours (e.g. a backend's) is still a timeout.
_ERROR_STATUS[TimeoutError] = Status.TIMEOUT

#: Statuses retried by default.
DEFAULT_RETRY_ON: frozenset[Status] = frozenset({Status.TIMEOUT, Status.SERVFAIL, Status.REFUSED})

#: Column order of :meth:`Result.csv_row`.
CSV_FIELDS = (
    "index", "input", "name", "type", "status", "data", "ttl", "canonical_name",
    "error", "attempts", "elapsed_ms", "server",
)


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one input of a bulk run.

    :ivar index: position of the input among the inputs (file: among the
        lines that are not skipped), from 0.
    :ivar input: the input as given (bytes decoded as UTF-8; file lines stripped).
    :ivar name: the normalised name asked for (IDNA A-labels, lower case, no
        trailing dot); ``None`` when the input is not a valid name.
    :ivar rtype: the record type asked for (``"ADDR"`` for A and AAAA).
    :ivar status: the :class:`Status`.
    :ivar records: the records found (typed, each with its TTL).
    :ivar canonical_name: the owner of the records after CNAMEs.
    :ivar ttl: smallest TTL of the answer (``0`` from the system backend, which
        knows none); ``None`` without records.
    :ivar error: the error message, for every status but NOERROR.
    :ivar attempts: queries made (``0`` for ILLEGAL_INPUT or when cancelled
        before the first); with ``"ADDR"`` a pair of A+AAAA counts once.
    :ivar elapsed: seconds from the first attempt to the result.
    :ivar server: ``"ip:port"`` that gave the final answer, where known.
    """

    index: int
    input: str
    name: str | None
    rtype: str
    status: Status
    records: tuple[Record, ...] = ()
    canonical_name: str | None = None
    ttl: int | None = None
    error: str | None = None
    attempts: int = 0
    elapsed: float = 0.0
    server: str | None = None

    @property
    def ok(self) -> bool:
        """``True`` for NOERROR."""
        return self.status is Status.NOERROR

    @property
    def addresses(self) -> list[str]:
        """Addresses of the A/AAAA records, in answer order (A first for ``"ADDR"``)."""
        return [r.address for r in self.records if isinstance(r, (A, AAAA))]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of :meth:`to_json` (see the README's JSONL schema)."""
        return {
            "index": self.index,
            "input": self.input,
            "name": self.name,
            "type": self.rtype,
            "status": self.status.value,
            "addresses": self.addresses,
            "records": [_record_dict(r) for r in self.records],
            "ttl": self.ttl,
            "canonical_name": self.canonical_name,
            "error": self.error,
            "attempts": self.attempts,
            "elapsed_ms": round(self.elapsed * 1000, 3),
            "server": self.server,
        }

    def to_json(self) -> str:
        """One line of JSON (no newline), non-ASCII kept as is."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def data_text(self) -> str:
        """The records as one text field: addresses, or each record's fields
        joined by spaces, records separated by ``" | "``."""
        if self.records and all(isinstance(r, (A, AAAA)) for r in self.records):
            return " ".join(self.addresses)
        return " | ".join(record_text(r) for r in self.records)

    def csv_row(self) -> list[str]:
        """The CSV fields in :data:`CSV_FIELDS` order (``None`` as empty)."""
        return [
            str(self.index), self.input, self.name or "", self.rtype, self.status.value,
            self.data_text(), "" if self.ttl is None else str(self.ttl),
            self.canonical_name or "", self.error or "", str(self.attempts),
            f"{self.elapsed * 1000:.3f}", self.server or "",
        ]


def _field_value(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return [_field_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _field_value(v) for k, v in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(record: Record) -> tuple[str, ...]:
    """The record class's field names (cached: ``dataclasses.fields`` is slow
    enough to show in a bulk run's profile)."""
    names = _FIELD_NAMES.get(type(record))
    if names is None:
        names = _FIELD_NAMES[type(record)] = tuple(f.name for f in dataclasses.fields(record))
    return names


def _record_dict(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"type": record.rtype}
    for name in _field_names(record):
        out[name] = _field_value(getattr(record, name))
    return out


def record_text(record: Record) -> str:
    """A record's fields (all but the TTL) as text, separated by spaces."""
    parts: list[str] = []
    for name in _field_names(record):
        if name == "ttl":
            continue
        value = getattr(record, name)
        if isinstance(value, tuple):
            parts.extend(json.dumps(v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
                         for v in value)
        elif isinstance(value, bytes):
            parts.append(value.hex())
        elif isinstance(value, dict):
            parts.extend(f"{k}={v}" for k, v in value.items())
        else:
            parts.append(str(value))
    return " ".join(parts)
