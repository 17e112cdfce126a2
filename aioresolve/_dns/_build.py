"""Answers and address records built without their dataclass ``__init__``:
the pure-Python counterpart of the slot filling in :mod:`aioresolve._dns._hot_c`.

A frozen, slotted dataclass's ``__init__`` is Python code that sets each field
through ``object.__setattr__``: ~2.0 µs for an :class:`~aioresolve.Answer`
and ~0.5 µs for an :class:`~aioresolve.A` on the project's box, the largest
single cost of a pure-Python answer.  Here the instance is allocated by
``object.__new__`` and each slot is set through its member descriptor (~1.2 µs
for an ``Answer``), where every field is a plain slot and the result equals
the class's own construction (checked at import); otherwise the class is called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .._records import AAAA, A, Answer, Record

__all__ = ["DIRECT", "new_address", "new_answer"]


def _setters(cls: type, names: list[str]) -> list[Callable[[Any, Any], None]] | None:
    """The slots' setters of ``names``, each found as attribute lookup finds it
    (the first class of the MRO that defines it: on Python 3.10 a slotted
    dataclass's subclass repeats its base's slots, which then shadow them)."""
    out = []
    for name in names:
        descr: Any = next((k.__dict__[name] for k in cls.__mro__ if name in k.__dict__), None)
        if type(descr).__name__ != "member_descriptor":
            return None
        out.append(descr.__set__)
    return out


_FIELDS = [f.name for f in dataclasses.fields(Answer)]
_ANSWER = _setters(Answer, _FIELDS) if len(_FIELDS) == 10 else None
_A_SLOTS = _setters(A, ["ttl", "address"])
_AAAA_SLOTS = _setters(AAAA, ["ttl", "address"])
_new = object.__new__


def _answer_by_class(name: str, rtype: str, records: tuple[Record, ...], canonical: str,
                     ttl: int, server: str | None, aliases: tuple[str, ...], flags: int | None,
                     protocol: str | None, alias_ttls: tuple[int, ...]) -> Answer[Record]:
    return Answer(name, rtype, records, canonical, ttl, server, aliases, flags, protocol,
                  alias_ttls)


def _address_by_class(cls: type[A] | type[AAAA], ttl: int, address: str) -> A | AAAA:
    return cls(ttl, address)


new_answer = _answer_by_class
"""``new_answer(name, rtype, records, canonical_name, ttl, server, aliases,
flags, protocol, alias_ttls)``: an :class:`~aioresolve.Answer`."""
new_address = _address_by_class
"""``new_address(A or AAAA, ttl, address)``: the record."""

if (_ANSWER is not None and _A_SLOTS is not None and _AAAA_SLOTS is not None
        and [f.name for f in dataclasses.fields(A)] == ["ttl", "address"]
        and [f.name for f in dataclasses.fields(AAAA)] == ["ttl", "address"]
        and all(cls.__new__ is object.__new__ and not hasattr(cls, "__post_init__")
                for cls in (A, AAAA, Answer))):
    (_s_name, _s_rtype, _s_records, _s_canonical, _s_ttl, _s_server, _s_aliases, _s_flags,
     _s_protocol, _s_alias_ttls) = _ANSWER
    _set_slots = {A: _A_SLOTS, AAAA: _AAAA_SLOTS}

    def _answer_by_slots(name: str, rtype: str, records: tuple[Record, ...], canonical: str,
                         ttl: int, server: str | None, aliases: tuple[str, ...],
                         flags: int | None, protocol: str | None,
                         alias_ttls: tuple[int, ...]) -> Answer[Record]:
        answer: Answer[Record] = _new(Answer)
        _s_name(answer, name)
        _s_rtype(answer, rtype)
        _s_records(answer, records)
        _s_canonical(answer, canonical)
        _s_ttl(answer, ttl)
        _s_server(answer, server)
        _s_aliases(answer, aliases)
        _s_flags(answer, flags)
        _s_protocol(answer, protocol)
        _s_alias_ttls(answer, alias_ttls)
        return answer

    def _address_by_slots(cls: type[A] | type[AAAA], ttl: int, address: str) -> A | AAAA:
        record: A | AAAA = _new(cls)
        set_ttl, set_address = _set_slots[cls]
        set_ttl(record, ttl)
        set_address(record, address)
        return record

    _values: tuple[Any, ...] = ("a.test", "A", (A(1, "192.0.2.1"),), "a.test", 1,
                                "127.0.0.1:53", (), 0x8180, "udp", ())
    def _slots_work() -> bool:
        a = _address_by_slots(A, 1, "192.0.2.1")
        return (_answer_by_slots(*_values) == Answer(*_values) and a == A(1, "192.0.2.1")
                and hash(a) == hash(A(1, "192.0.2.1")) and type(a) is A
                and _address_by_slots(AAAA, 1, "2001:db8::1") == AAAA(1, "2001:db8::1"))

    try:
        _works = _slots_work()
    except Exception:  # a layout this module does not know: call the classes
        _works = False
    if _works:
        new_answer = _answer_by_slots
        new_address = _address_by_slots

#: Whether answers and records are built by filling their slots.
DIRECT = new_answer is not _answer_by_class
