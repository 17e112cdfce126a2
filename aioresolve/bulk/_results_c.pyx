# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""A batch of stream results made :class:`~aioresolve.bulk.Result` objects:
the compiled twin of :mod:`aioresolve.bulk._results_py` (the same
:func:`results_of`; :mod:`aioresolve.bulk._results` picks one).

Hand-written, typed, for the common result only: an
:class:`~aioresolve.Answer` of a name that was asked.  Its fields are read
from the Answer's slots and the Result's slots are filled directly, without
the frozen dataclass's ``__init__`` (``object.__setattr__`` per field) or
the pure twin's ``__class__`` assignment (which compares the two classes'
``__slots__`` each time): in the ``many`` stage of
``python -m benchmarks.bench_bulk_stages --instructions`` that per-name
Python was ~3.1k of the 6.2k instructions ``resolve_many`` added to the bare
stream (26.8k against 20.7k, callgrind, 2026-12-03).  Anything else (an
error, a cancellation, an input that is not a name) goes to the reference,
:func:`~aioresolve.bulk._results_py.other_result`, so this twin builds only
what the pure one builds (``tests/test_results_twins.py`` compares them).

The direct path is used only where both classes are plain slotted classes
whose fields are object slots, checked at import, and a Result built so is
compared with one built by its class; otherwise every result is the
reference's.
"""

from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.ref cimport PyObject
from cpython.tuple cimport PyTuple_Check, PyTuple_GET_ITEM, PyTuple_GET_SIZE

from .._slots cimport slot_alloc, slot_get, slot_offset, slot_put

import dataclasses

from .._records import Answer
from ._result import Result, Status
from ._results_py import other_result


cdef object _Answer = Answer
cdef type _Result = Result
cdef object _NOERROR = Status.NOERROR
cdef object _other_result = other_result

# Answer's fields read here, and Result's fields, by their slots' offsets.
#: Answer's records, canonical_name, ttl, server, aliases, flags, protocol, alias_ttls.
cdef Py_ssize_t _A[8]
cdef Py_ssize_t _R[18]
cdef bint _direct = False


cdef object _answer_result(object index, object text, object qname, object rtype,
                           object res, object attempts, object elapsed, object server):
    cdef PyObject* p
    cdef PyObject* fields[8]
    cdef Py_ssize_t i
    for i in range(8):
        p = slot_get(res, _A[i])
        if p == NULL:  # a field never set: the reference says what that gives
            return None
        fields[i] = p
    answer_server = <object>fields[3]
    if answer_server is not None and answer_server:
        server = answer_server
    obj = slot_alloc(_Result)
    slot_put(obj, _R[0], index)
    slot_put(obj, _R[1], text)
    slot_put(obj, _R[2], qname)
    slot_put(obj, _R[3], rtype)
    slot_put(obj, _R[4], _NOERROR)
    slot_put(obj, _R[5], <object>fields[0])
    slot_put(obj, _R[6], <object>fields[1])
    slot_put(obj, _R[7], <object>fields[2])
    slot_put(obj, _R[8], None)
    slot_put(obj, _R[9], attempts)
    slot_put(obj, _R[10], elapsed)
    slot_put(obj, _R[11], server)
    slot_put(obj, _R[12], <object>fields[4])
    slot_put(obj, _R[13], None)
    slot_put(obj, _R[14], <object>fields[5])
    slot_put(obj, _R[15], <object>fields[6])
    slot_put(obj, _R[16], <object>fields[7])
    slot_put(obj, _R[17], None)
    return obj


def results_of(list raw, Py_ssize_t per):
    """The bulk results of a batch (see :func:`aioresolve.bulk._results_py.results_of`)."""
    cdef list out = []
    cdef Py_ssize_t i, n = PyList_GET_SIZE(raw)
    cdef object r, res, qname, index, result
    for i in range(n):
        r = <object>PyList_GET_ITEM(raw, i)
        result = None
        if _direct and PyTuple_Check(r) and PyTuple_GET_SIZE(r) == 8:
            res = <object>PyTuple_GET_ITEM(r, 2)
            qname = <object>PyTuple_GET_ITEM(r, 6)
            if qname is not None and type(res) is _Answer:
                index = <object>PyTuple_GET_ITEM(r, 0)
                if per > 1:
                    index = index // per
                result = _answer_result(index, <object>PyTuple_GET_ITEM(r, 1), qname,
                                        <object>PyTuple_GET_ITEM(r, 5), res,
                                        <object>PyTuple_GET_ITEM(r, 3),
                                        <object>PyTuple_GET_ITEM(r, 7),
                                        <object>PyTuple_GET_ITEM(r, 4))
        if result is None:
            result = _other_result(r, per)
        out.append(result)
    return out


def _setup_direct():
    global _direct
    cdef Py_ssize_t i
    fields = [f.name for f in dataclasses.fields(Result)]
    if (len(fields) != 18 or Result.__new__ is not object.__new__
            or hasattr(Result, "__post_init__") or Answer.__new__ is not object.__new__):
        return
    offsets = [slot_offset(Result, name) for name in fields]
    wanted = ["records", "canonical_name", "ttl", "server", "aliases", "flags", "protocol",
              "alias_ttls"]
    read = [slot_offset(Answer, name) for name in wanted]
    if min(offsets) < 0 or min(read) < 0:
        return
    for i in range(18):
        _R[i] = offsets[i]
    for i in range(8):
        _A[i] = read[i]
    # The fields in make_result's order, as _answer_result fills them:
    if fields != ["index", "input", "name", "rtype", "status", "records", "canonical_name",
                  "ttl", "error", "attempts", "elapsed", "server", "aliases", "soa", "flags",
                  "protocol", "alias_ttls", "soa_owner"]:
        return
    _direct = True
    from .._records import A
    answer = Answer("a.test", "A", (A(1, "192.0.2.1"),), "b.test", 1, "127.0.0.1:53",
                    ("a.test",), 0x8180, "udp", (5,))
    built = _answer_result(3, "a.test", "a.test", "A", answer, 1, 0.5, "127.0.0.2:53")
    values = (3, "a.test", "a.test", "A", Status.NOERROR, answer.records, "b.test", 1, None,
              1, 0.5, "127.0.0.1:53", ("a.test",), None, 0x8180, "udp", (5,), None)
    _direct = (type(built) is Result and built == Result(*values)
               and hash(built) == hash(Result(*values)))


_setup_direct()
#: Whether results are built by filling their slots (else by make_result).
DIRECT_RESULTS = _direct
