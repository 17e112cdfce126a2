"""Bulk results: :class:`Status`, :class:`Result` and their JSON/CSV/text forms."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import time
from collections.abc import Callable
from typing import Any

from .. import _errors
from .._records import AAAA, SOA, A, Answer, Record
from ._record_forms import chain_dicts, flag_names, iso_time, record_dict, record_text, section_dict

__all__ = [
    "ADDR",
    "CSV_FIELDS",
    "DEFAULT_RETRY_ON",
    "Result",
    "Status",
    "answer_result",
    "error_result",
    "make_result",
    "record_text",
]

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
        return _STATUS_OF_TYPE.get(type(exc)) or _status_of_type(type(exc))


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
#: The status of each exception class met so far: one dict lookup per failed
#: lookup instead of a walk of the class's MRO (most of an NXDOMAIN-heavy run).
_STATUS_OF_TYPE: dict[type, Status] = dict(_ERROR_STATUS)


def _status_of_type(klass: type) -> Status:
    """The status of exception class ``klass`` (its most specific ancestor
    that names one), remembered in :data:`_STATUS_OF_TYPE`."""
    for base in klass.__mro__:
        status = _ERROR_STATUS.get(base)
        if status is not None:
            break
    else:
        status = Status.ERROR
    if len(_STATUS_OF_TYPE) < 1024:  # classes made on the fly must not grow it forever
        _STATUS_OF_TYPE[klass] = status
    return status

#: Each status's JSON/CSV text (``Status.value`` is a property: slower to read).
_STATUS_TEXT: dict[Status, str] = {status: status.value for status in Status}
#: The record classes whose ``address`` :attr:`Result.addresses` lists.
_ADDRESS_TYPES = (A, AAAA)

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
        trailing dot; the reverse name of an address for PTR); ``None`` when
        the input is not a valid name.
    :ivar rtype: the record type asked for (``"ADDR"`` for A and AAAA).
    :ivar status: the :class:`Status`.
    :ivar records: the records found (typed, each with its TTL).
    :ivar canonical_name: the owner of the records after CNAMEs.
    :ivar ttl: smallest TTL of the answer (``0`` from the system backend, which
        knows none); for NXDOMAIN/NODATA the negative TTL (RFC 2308) where the
        server sent an SOA; otherwise ``None``.
    :ivar error: the error message, for every status but NOERROR.
    :ivar attempts: queries made (``0`` for ILLEGAL_INPUT or when cancelled
        before the first); with ``"ADDR"`` a pair of A+AAAA counts once.
    :ivar elapsed: seconds from the first attempt to the result.
    :ivar server: ``"ip:port"`` that gave the final answer, where known.
    :ivar aliases: the CNAME chain: the owners followed from ``name`` to
        ``canonical_name``, in order (empty without CNAMEs).
    :ivar soa: the SOA record of a negative answer's authority section, where
        the server sent one (NXDOMAIN, NODATA).
    :ivar flags: the reply's 16-bit header flags word (QR, AA, TC, RD, RA, AD,
        CD), where the backend reports it.
    :ivar protocol: ``"udp"`` or ``"tcp"``: how the final reply came, where
        the backend reports it.
    :ivar alias_ttls: the TTLs of the CNAME records of :attr:`aliases`, in the
        same order, where the backend reports them (else empty).
    :ivar soa_owner: the owner (zone apex) of :attr:`soa`, where known.
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
    aliases: tuple[str, ...] = ()
    soa: SOA | None = None
    flags: int | None = None
    protocol: str | None = None
    alias_ttls: tuple[int, ...] = ()
    soa_owner: str | None = None

    @property
    def ok(self) -> bool:
        """``True`` for NOERROR."""
        return self.status is Status.NOERROR

    @property
    def addresses(self) -> list[str]:
        """Addresses of the A/AAAA records, in answer order (A first for ``"ADDR"``)."""
        return [r.address for r in self.records if isinstance(r, (A, AAAA))]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of :meth:`to_json` (see ``docs/output.md``)."""
        # The JSONL writer's hot path: no enum .value property (a descriptor
        # call), no second pass over the records for the addresses, nothing
        # for an empty answer (timeit, shared box, best of 3, one A record:
        # 16.7 -> 12.7 us and 11.5 -> 9.1 us in two interleaved pairs).
        records = self.records
        if not records:
            addresses, dicts = [], []
        elif len(records) == 1 and type(records[0]) in _ADDRESS_TYPES:  # the commonest answer
            record = records[0]
            address = record.address  # type: ignore[attr-defined]
            addresses = [address]
            dicts = [{"type": record.rtype, "ttl": record.ttl, "address": address}]
        else:
            addresses = [r.address for r in records if isinstance(r, _ADDRESS_TYPES)]
            dicts = [record_dict(r) for r in records]
        return {
            "index": self.index,
            "input": self.input,
            "name": self.name,
            "type": self.rtype,
            "status": _STATUS_TEXT[self.status],
            "addresses": addresses,
            "records": dicts,
            "ttl": self.ttl,
            "canonical_name": self.canonical_name,
            "error": self.error,
            "attempts": self.attempts,
            "elapsed_ms": round(self.elapsed * 1000, 3),
            "server": self.server,
        }

    def to_detail_dict(self, *, timestamp: float | None = None) -> dict[str, Any]:
        """The full-detail JSON object (``aioresolve bulk --detail``): the
        question, the answer section with the CNAME chain, the authority
        section of a negative answer, and where and when it was answered.
        Fields a backend does not report are ``null``; see ``docs/output.md``.

        :param timestamp: when the result came (``time.time()``); default now.
        """
        when = time.time() if timestamp is None else timestamp
        owner = self.canonical_name or self.name
        answers = chain_dicts(self.aliases, self.alias_ttls, self.canonical_name)
        answers += [section_dict(owner, r) for r in self.records]
        authorities = [] if self.soa is None else [section_dict(self.soa_owner, self.soa)]
        return {
            "index": self.index,
            "input": self.input,
            "name": self.name,
            "type": self.rtype,
            "class": "IN",
            "status": self.status.value,
            "rcode": RCODES.get(self.status),
            "flags": None if self.flags is None else flag_names(self.flags),
            "answers": answers,
            "authorities": authorities,
            "ttl": self.ttl,
            "negative_ttl": self.ttl if self.soa is not None and not self.ok else None,
            "canonical_name": self.canonical_name,
            "aliases": list(self.aliases),
            "error": self.error,
            "attempts": self.attempts,
            "elapsed_ms": round(self.elapsed * 1000, 3),
            "resolver": self.server,
            "protocol": self.protocol,
            "timestamp": iso_time(when),
        }

    def to_json(self) -> str:
        """One line of JSON (no newline), non-ASCII kept as is."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def data_text(self) -> str:
        """The records as one text field: addresses separated by spaces, or
        each record's presentation text (as dig prints it) separated by ``" | "``."""
        records = self.records
        if not records:
            return ""
        if len(records) == 1 and type(records[0]) in _ADDRESS_TYPES:  # the commonest answer
            return records[0].address  # type: ignore[attr-defined, no-any-return]
        if all(isinstance(r, _ADDRESS_TYPES) for r in records):
            return " ".join(self.addresses)
        return " | ".join([record_text(r) for r in records])

    def csv_row(self) -> list[str]:
        """The CSV fields in :data:`CSV_FIELDS` order (``None`` as empty)."""
        ttl = self.ttl
        return [
            str(self.index), self.input, self.name or "", self.rtype, _STATUS_TEXT[self.status],
            self.data_text(), "" if ttl is None else str(ttl),
            self.canonical_name or "", self.error or "", str(self.attempts),
            f"{self.elapsed * 1000:.3f}", self.server or "",
        ]


def answer_result(index: int, text: str, name: str, rtype: str, answer: Answer, *,
                  attempts: int, elapsed: float, server: str | None = None) -> Result:
    """The NOERROR :class:`Result` of ``answer`` (records, CNAME chain, server)."""
    return make_result(index, text, name, rtype, Status.NOERROR, answer.records,
                       answer.canonical_name, answer.ttl, None, attempts, elapsed,
                       answer.server or server, answer.aliases, None,
                       answer.flags, answer.protocol, answer.alias_ttls, None)


def error_result(index: int, text: str, name: str | None, rtype: str, exc: BaseException, *,
                 attempts: int, elapsed: float, server: str | None = None) -> Result:
    """The :class:`Result` of a lookup that raised ``exc``: its status and
    message, the server that answered, and for a negative answer its SOA and
    negative TTL (as :attr:`Result.ttl`)."""
    klass = type(exc)
    status = _STATUS_OF_TYPE.get(klass) or _status_of_type(klass)
    message = str(exc) or klass.__name__
    if isinstance(exc, _errors.ResolveError):  # the common case: attributes, no getattr
        try:
            return make_result(index, text, name, rtype, status, (), None, exc.negative_ttl,
                               message, attempts, elapsed, exc.server or server, (), exc.soa,
                               exc.flags, exc.protocol, (), exc.soa_owner)
        except AttributeError:  # a subclass that skipped ResolveError.__init__
            pass
    elif status is Status.ERROR:
        message = f"{klass.__name__}: {message}"
    return make_result(index, text, name, rtype, status, (), None,
                       getattr(exc, "negative_ttl", None), message, attempts, elapsed,
                       getattr(exc, "server", None) or server, (), getattr(exc, "soa", None),
                       getattr(exc, "flags", None), getattr(exc, "protocol", None), (),
                       getattr(exc, "soa_owner", None))


# A Result built without the dataclass __init__ (the bulk hot path).  A frozen
# dataclass's __init__ assigns each field through object.__setattr__ (~12 us
# for 18 fields on the shared box); writing the slots through their member
# descriptors is ~1.9 us (timeit, same box).  Cheaper still (~0.5 us): a
# plain class with the very same slots fills them with ordinary attribute
# stores and then becomes a Result (``__class__`` assignment, allowed between
# classes of identical layout; the result is an ordinary Result in every way).
_FIELDS = tuple(f.name for f in dataclasses.fields(Result))
if Result.__slots__ != _FIELDS:  # pragma: no cover - a field added out of order
    raise RuntimeError("make_result must follow Result's field order")


class _ResultBuilder:
    """Builds a :class:`Result` from every field, positionally, in order."""

    __slots__ = _FIELDS

    def __init__(self, index: int, text: str, name: str | None, rtype: str, status: Status,
                 records: tuple[Record, ...], canonical_name: str | None, ttl: int | None,
                 error: str | None, attempts: int, elapsed: float, server: str | None,
                 aliases: tuple[str, ...], soa: SOA | None, flags: int | None,
                 protocol: str | None, alias_ttls: tuple[int, ...],
                 soa_owner: str | None) -> None:
        self.index = index
        self.input = text
        self.name = name
        self.rtype = rtype
        self.status = status
        self.records = records
        self.canonical_name = canonical_name
        self.ttl = ttl
        self.error = error
        self.attempts = attempts
        self.elapsed = elapsed
        self.server = server
        self.aliases = aliases
        self.soa = soa
        self.flags = flags
        self.protocol = protocol
        self.alias_ttls = alias_ttls
        self.soa_owner = soa_owner
        self.__class__ = Result  # type: ignore[assignment]


(_set_index, _set_input, _set_name, _set_rtype, _set_status, _set_records, _set_canonical,
 _set_ttl, _set_error, _set_attempts, _set_elapsed, _set_server, _set_aliases, _set_soa,
 _set_flags, _set_protocol, _set_alias_ttls, _set_soa_owner) = (
    getattr(Result, f).__set__ for f in _FIELDS)
_new = object.__new__


def _make_result_slots(index: int, text: str, name: str | None, rtype: str, status: Status,
                       records: tuple[Record, ...], canonical_name: str | None,
                       ttl: int | None, error: str | None, attempts: int, elapsed: float,
                       server: str | None, aliases: tuple[str, ...], soa: SOA | None,
                       flags: int | None, protocol: str | None,
                       alias_ttls: tuple[int, ...], soa_owner: str | None) -> Result:
    """:data:`make_result` where ``__class__`` cannot be assigned (not CPython)."""
    result: Result = _new(Result)
    _set_index(result, index)
    _set_input(result, text)
    _set_name(result, name)
    _set_rtype(result, rtype)
    _set_status(result, status)
    _set_records(result, records)
    _set_canonical(result, canonical_name)
    _set_ttl(result, ttl)
    _set_error(result, error)
    _set_attempts(result, attempts)
    _set_elapsed(result, elapsed)
    _set_server(result, server)
    _set_aliases(result, aliases)
    _set_soa(result, soa)
    _set_flags(result, flags)
    _set_protocol(result, protocol)
    _set_alias_ttls(result, alias_ttls)
    _set_soa_owner(result, soa_owner)
    return result


def _builder_works() -> bool:
    args = (0, "x", "x", "A", Status.NOERROR, (), None, None, None, 0, 0.0, None, (), None,
            None, None, (), None)
    try:
        built = _ResultBuilder(*args)
    except TypeError:  # pragma: no cover - an interpreter that refuses the layout
        return False
    return type(built) is Result and built == Result(*args)  # type: ignore[comparison-overlap]


#: ``make_result(index, text, name, rtype, status, records, canonical_name,
#: ttl, error, attempts, elapsed, server, aliases, soa, flags, protocol,
#: alias_ttls, soa_owner) -> Result``: every field given, in order, built cheaply.
make_result: Callable[[int, str, str | None, str, Status, tuple[Record, ...], str | None,
                       int | None, str | None, int, float, str | None, tuple[str, ...],
                       SOA | None, int | None, str | None, tuple[int, ...], str | None],
                      Result] = (
    _ResultBuilder if _builder_works() else _make_result_slots)  # type: ignore[assignment]


#: The RCODE behind each status that is one (NODATA is a NOERROR reply).
RCODES = {Status.NOERROR: "NOERROR", Status.NODATA: "NOERROR", Status.NXDOMAIN: "NXDOMAIN",
           Status.SERVFAIL: "SERVFAIL", Status.REFUSED: "REFUSED", Status.FORMERR: "FORMERR"}
