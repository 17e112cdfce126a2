"""The record-level forms of bulk results: records as JSON dicts and as dig's
text, and the parts of the ``--detail`` form (header flags, the answer
chain, the time stamp).  :class:`~aioresolve.bulk.Result`'s ``to_dict``,
``to_detail_dict`` and ``csv_row`` are made of these."""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

from .. import _records
from .._records import Record

__all__ = [
    "chain_dicts", "flag_names", "iso_time", "record_dict", "record_text",
    "section_dict",
]


#: Header flag bits, in dig's order.
_FLAG_BITS = (("qr", 0x8000), ("aa", 0x0400), ("tc", 0x0200), ("rd", 0x0100), ("ra", 0x0080),
              ("ad", 0x0020), ("cd", 0x0010))


def flag_names(flags: int) -> list[str]:
    return [name for name, bit in _FLAG_BITS if flags & bit]


def iso_time(when: float) -> str:
    stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    return stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")


def chain_dicts(aliases: tuple[str, ...], ttls: tuple[int, ...],
                 canonical: str | None) -> list[dict[str, Any]]:
    """The CNAME records of the chain ``aliases`` -> ``canonical``, with their
    TTLs where the backend reported them (``null`` otherwise)."""
    chain = [*aliases, canonical] if aliases else []
    known = len(ttls) == len(aliases)
    return [{"name": _fqdn(owner), "type": "CNAME", "class": "IN",
             "ttl": ttls[i] if known else None, "data": _fqdn(target)}
            for i, (owner, target) in enumerate(itertools.pairwise(chain))]


def _fqdn(name: str | None) -> str | None:
    if name is None or name.endswith("."):
        return name
    return name + "."


def section_dict(owner: str | None, record: Record) -> dict[str, Any]:
    return {"name": _fqdn(owner), "type": record.rtype, "class": "IN", "ttl": record.ttl,
            "data": record_text(record)}


def _field_value(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return [_field_value(v) for v in value]
    if isinstance(value, Mapping):
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


#: Record classes whose fields are all ``int``/``str`` (JSON as they are).
_PLAIN_RECORDS = frozenset({_records.A, _records.AAAA, _records.CNAME, _records.NS,
                            _records.PTR, _records.MX, _records.SOA, _records.SRV,
                            _records.URI})
_RECORD_DICTS: dict[type, Callable[[Record], dict[str, Any]]] = {}


def _make_record_dict(cls: type[Record], names: tuple[str, ...]
                      ) -> Callable[[Record], dict[str, Any]]:
    """A per-class ``record -> dict``: one ``attrgetter`` call for the plain
    classes (about 4x cheaper than a loop of ``getattr``; the JSONL writer
    spends most of its time here once orjson encodes)."""
    rtype = cls.rtype
    if cls in _PLAIN_RECORDS:
        get = operator.attrgetter(*names)
        if len(names) == 2:  # ttl and one field: A, AAAA, CNAME, NS, PTR
            ttl_name, field = names

            def plain_one(record: Record) -> dict[str, Any]:
                ttl, value = get(record)
                return {"type": rtype, ttl_name: ttl, field: value}

            return plain_one

        def plain(record: Record) -> dict[str, Any]:
            out: dict[str, Any] = {"type": rtype}
            out.update(zip(names, get(record), strict=True))
            return out

        return plain

    def general(record: Record) -> dict[str, Any]:
        out: dict[str, Any] = {"type": record.rtype}
        for name in names:
            out[name] = _field_value(getattr(record, name))
        return out

    return general


def record_dict(record: Record) -> dict[str, Any]:
    make = _RECORD_DICTS.get(type(record))
    if make is None:
        make = _RECORD_DICTS[type(record)] = _make_record_dict(type(record),
                                                               _field_names(record))
    return make(record)


def _fields_text(record: Record) -> str:
    """A record's fields (all but the TTL) as text, separated by spaces (the
    fallback until :mod:`aioresolve._records` has ``record_text``)."""
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


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


# Presentation text of the commonest types, formatted here: the general path
# (``_records.record_text``, through dnspython's rdata) costs ~150 µs per MX
# record on the shared 2-core box against ~1 µs for these, and text/CSV output
# formats every record.  tests/test_output.py checks they agree.
_FAST_TEXT: dict[type, Callable[[Any], str]] = {
    _records.A: lambda r: r.address,
    _records.AAAA: lambda r: r.address,
    _records.CNAME: lambda r: _absolute(r.target),
    _records.NS: lambda r: _absolute(r.host),
    _records.PTR: lambda r: _absolute(r.name),
    _records.MX: lambda r: f"{r.priority} {_absolute(r.exchange)}",
    _records.SRV: lambda r: f"{r.priority} {r.weight} {r.port} {_absolute(r.target)}",
    _records.SOA: lambda r: (f"{_absolute(r.mname)} {_absolute(r.rname)} {r.serial} "
                             f"{r.refresh} {r.retry} {r.expire} {r.minimum}"),
}
_general_text: Callable[[Record], str] = getattr(_records, "record_text", _fields_text)


def record_text(record: Record) -> str:
    """A record's RDATA in presentation format, as dig prints it (``0 issue
    "ca.example"`` for CAA, names with their trailing dot): see
    :func:`aioresolve._records.record_text`.  A record that cannot be written
    so (built by hand with bad fields) gives its fields separated by spaces."""
    fast = _FAST_TEXT.get(type(record))
    if fast is not None:
        return fast(record)
    try:
        return _general_text(record)
    except ValueError:
        return _fields_text(record)
