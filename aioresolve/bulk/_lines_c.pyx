# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The CLI's JSON lines written straight from the stream's results: the
compiled twin of :mod:`aioresolve.bulk._lines_py` (same function, same
bytes; :mod:`aioresolve.bulk._lines` picks one).

Hand-written, typed: each line is written into one C buffer for the whole
batch, every string copied byte by byte as it is checked (ASCII, no ``"``,
``\\`` or control character: then JSON writes it as it is), integers and
the elapsed time formatted in C (the milliseconds by CPython's own
correctly rounded ``%.3f``, ``PyOS_double_to_string``, less the trailing
zeros: what ``repr(round(ms, 3))`` gives below 1e9 ms).  A result whose
line cannot be written so (a string that needs an escape or is not ASCII,
an attribute of another type, another record type, ...) has its partial
line dropped and goes to ``slow``, the reference, in its place: this twin
writes a line only where the pure one does or where both equal the
reference (``tests/test_lines.py`` runs both against it).

The string and number writers are those of ``aioresolve/_jsonl.pxd``
(shared with the engine's core, which writes a common answer's line as it
decodes it: such a result is already its line, ``bytes``, and is copied).
A little over the usual size: the three formats share this module's field
readers (an answer's slots) and their C buffer.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE

from .._jsonl cimport (
    Buf,
    PyUnicode_CheckExact,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_IS_ASCII,
    buf_grow,
    put,
    put_int,
    put_ms,
    put_str,
)
from .._slots cimport slot_get, slot_offset

from .._dns.stream import Cancelled
from .._errors import ResolveError
from .._records import AAAA, A, Answer
from ._result import _STATUS_OF_TYPE, _STATUS_TEXT, Status


cdef extern from "Python.h":
    bint PyFloat_CheckExact(object)
    bint PyTuple_CheckExact(object)
    bint PyBytes_CheckExact(object)
    object PyUnicode_DecodeASCII(const char*, Py_ssize_t, const char*)


ONLY_ALL, ONLY_OK, ONLY_FAILED = 0, 1, 2  # as in _lines_py

cdef object _Answer = Answer
cdef object _A = A
cdef object _AAAA = AAAA
cdef object _Cancelled = Cancelled
cdef object _ResolveError = ResolveError
cdef object _NOERROR = Status.NOERROR
cdef dict _status_of = _STATUS_OF_TYPE
cdef dict _status_text = _STATUS_TEXT


# -- fields read from their slots ------------------------------------------------------
#
# An Answer's and a record's fields are slots (frozen, slotted dataclasses):
# read at their offsets rather than by getattr (a type lookup and a
# descriptor call each, ~100 instructions; seven per one-record answer: ~700
# of the CLI's ~24k instructions a name, callgrind, 2026-12-03).  Checked
# at import (each field an object slot); else, or for a slot never set, getattr.

cdef Py_ssize_t _ANS_SERVER, _ANS_RECORDS, _ANS_CANONICAL, _ANS_TTL
cdef Py_ssize_t _A_ADDRESS, _A_TTL, _AAAA_ADDRESS, _AAAA_TTL
cdef bint _slots = False


cdef inline object _field(object obj, Py_ssize_t offset, str name):
    cdef PyObject* p
    if _slots:
        p = slot_get(obj, offset)
        if p != NULL:
            return <object>p
    return getattr(obj, name)


def _setup_slots():
    global _slots, _ANS_SERVER, _ANS_RECORDS, _ANS_CANONICAL, _ANS_TTL
    global _A_ADDRESS, _A_TTL, _AAAA_ADDRESS, _AAAA_TTL
    offsets = [slot_offset(Answer, "server"), slot_offset(Answer, "records"),
               slot_offset(Answer, "canonical_name"), slot_offset(Answer, "ttl"), slot_offset(A, "address"),
               slot_offset(A, "ttl"), slot_offset(AAAA, "address"), slot_offset(AAAA, "ttl")]
    if min(offsets) < 0:
        return
    (_ANS_SERVER, _ANS_RECORDS, _ANS_CANONICAL, _ANS_TTL, _A_ADDRESS, _A_TTL, _AAAA_ADDRESS,
     _AAAA_TTL) = offsets
    _slots = True
    answer = Answer("a.test", "A", (A(5, "192.0.2.1"),), "b.test", 5, server="127.0.0.1:53")
    six = AAAA(6, "2001:db8::1")
    _slots = (_field(answer, _ANS_SERVER, "server") is answer.server
              and _field(answer, _ANS_RECORDS, "records") is answer.records
              and _field(answer, _ANS_CANONICAL, "canonical_name") is answer.canonical_name
              and _field(answer, _ANS_TTL, "ttl") is answer.ttl
              and _field(answer.records[0], _A_ADDRESS, "address") is answer.records[0].address
              and _field(answer.records[0], _A_TTL, "ttl") is answer.records[0].ttl
              and _field(six, _AAAA_ADDRESS, "address") is six.address
              and _field(six, _AAAA_TTL, "ttl") is six.ttl)


_setup_slots()
#: Whether the JSONL writer reads answers' fields from their slots (else by getattr).
SLOT_READS = _slots


cdef int _put_elapsed(Buf* b, object elapsed) except -1:
    """``repr(round(elapsed * 1000, 3))``, as :func:`_lines_py.elapsed_text`."""
    cdef double ms
    if PyFloat_CheckExact(elapsed):
        ms = PyFloat_AS_DOUBLE(elapsed) * 1000
        if 0.0 <= ms < 1e9:
            return put_ms(b, ms, True)
    return put_str(b, repr(round(elapsed * 1000, 3)))


cdef int _put_server(Buf* b, object where) except -1:
    if where is None:
        put(b, b'null}\n', 6)
        return 1
    put(b, b'"', 1)
    if not put_str(b, where):
        return 0
    put(b, b'"}\n', 3)
    return 1


cdef int _head(Buf* b, object index, object text, object qname, object rtype) except -1:
    put(b, b'{"index":', 9)
    if not put_int(b, index):
        return 0
    put(b, b',"input":"', 10)
    if not put_str(b, text):
        return 0
    put(b, b'","name":"', 10)
    if not put_str(b, qname):
        return 0
    put(b, b'","type":"', 10)
    if not put_str(b, rtype):
        return 0
    return 1


cdef int _answer(Buf* b, object index, object text, object qname, object rtype, object res,
                 object attempts, object elapsed, object where) except -1:
    cdef object records = _field(res, _ANS_RECORDS, "records")
    cdef object canonical = _field(res, _ANS_CANONICAL, "canonical_name")
    cdef object ttl = _field(res, _ANS_TTL, "ttl")
    cdef object record, kind
    cdef bint four
    cdef Py_ssize_t i, count
    if not PyTuple_CheckExact(records):
        return 0
    count = PyTuple_GET_SIZE(records)
    if count == 0:
        return 0
    if not _head(b, index, text, qname, rtype):
        return 0
    put(b, b'","status":"NOERROR","addresses":[', 34)
    for i in range(count):
        record = <object>PyTuple_GET_ITEM(records, i)
        kind = type(record)
        if kind is not _A and kind is not _AAAA:
            return 0
        if i:
            put(b, b',"', 2)
        else:
            put(b, b'"', 1)
        if not put_str(b, _field(record, _A_ADDRESS if kind is _A else _AAAA_ADDRESS,
                                  "address")):
            return 0
        put(b, b'"', 1)
    put(b, b'],"records":[', 13)
    for i in range(count):
        record = <object>PyTuple_GET_ITEM(records, i)
        if i:
            put(b, b',', 1)
        four = type(record) is _A
        if four:
            put(b, b'{"type":"A","ttl":', 18)
        else:
            put(b, b'{"type":"AAAA","ttl":', 21)
        if not put_int(b, _field(record, _A_TTL if four else _AAAA_TTL, "ttl")):
            return 0
        put(b, b',"address":"', 12)
        put_str(b, _field(record, _A_ADDRESS if four else _AAAA_ADDRESS, "address"))  # checked above
        put(b, b'"}', 2)
    put(b, b'],"ttl":', 8)
    if not put_int(b, ttl):
        return 0
    put(b, b',"canonical_name":"', 19)
    if not put_str(b, canonical):
        return 0
    put(b, b'","error":null,"attempts":', 26)
    if not put_int(b, attempts):
        return 0
    put(b, b',"elapsed_ms":', 14)
    if not _put_elapsed(b, elapsed):
        return 0
    put(b, b',"server":', 10)
    return _put_server(b, where)


cdef int _error(Buf* b, object index, object text, object qname, object rtype, object status,
                object ttl, object message, object attempts, object elapsed,
                object where) except -1:
    if not _head(b, index, text, qname, rtype):
        return 0
    put(b, b'","status":"', 12)
    if not put_str(b, _status_text[status]):
        return 0
    put(b, b'","addresses":[],"records":[],"ttl":', 36)
    if ttl is None:
        put(b, b'null', 4)
    elif not put_int(b, ttl):
        return 0
    put(b, b',"canonical_name":null,"error":"', 32)
    if not put_str(b, message):
        return 0
    put(b, b'","attempts":', 13)
    if not put_int(b, attempts):
        return 0
    put(b, b',"elapsed_ms":', 14)
    if not _put_elapsed(b, elapsed):
        return 0
    put(b, b',"server":', 10)
    return _put_server(b, where)


def jsonl_batch(raw, Py_ssize_t per, dict counts, int only, slow):
    """The JSONL bytes of ``raw`` (in order) and how many lines they hold;
    see :func:`aioresolve.bulk._lines_py.jsonl_batch`."""
    cdef Buf b
    cdef Py_ssize_t mark, written = 0, ok = 0
    cdef object r, index, text, res, attempts, server, rtype, qname, elapsed
    cdef object klass, status, ttl, where, message, data
    cdef int done
    b.data = <char*>PyMem_Malloc(16384)
    if b.data == NULL:
        raise MemoryError()
    b.size, b.room = 0, 16384
    try:
        for r in raw:
            if PyBytes_CheckExact(r):  # a NOERROR line the core wrote (Sink.jsonl)
                ok += 1
                if only != 2:  # not ONLY_FAILED
                    put(&b, PyBytes_AS_STRING(r), PyBytes_GET_SIZE(r))
                    written += 1
                continue
            mark = b.size
            done = 0
            if isinstance(r, tuple) and PyTuple_GET_SIZE(r) == 8:  # a StreamResult
                (index, text, res, attempts, server, rtype, qname, elapsed) = r
                if qname is not None:
                    if per > 1:
                        index = index // per
                    if type(res) is _Answer:
                        if only == 2:  # ONLY_FAILED
                            ok += 1
                            continue
                        where = _field(res, _ANS_SERVER, "server") or server
                        done = _answer(&b, index, text, qname, rtype, res, attempts, elapsed,
                                       where)
                        if done:
                            ok += 1
                    else:
                        klass = type(res)
                        status = _status_of.get(klass)
                        if (status is not None and klass is not _Cancelled
                                and isinstance(res, _ResolveError)):
                            if only == 1:  # ONLY_OK
                                counts[status] += 1
                                continue
                            try:
                                ttl = res.negative_ttl
                                where = res.server or server
                            except AttributeError:  # not a ResolveError after all
                                pass
                            else:
                                message = str(res) or klass.__name__
                                done = _error(&b, index, text, qname, rtype, status, ttl,
                                              message, attempts, elapsed, where)
                                if done:
                                    counts[status] += 1
            if done:
                written += 1
                continue
            b.size = mark  # the reference writes this one
            data = slow(r)
            if data is not None:
                if not PyBytes_CheckExact(data):
                    raise TypeError("slow() must return bytes or None")
                put(&b, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
                written += 1
        if ok:
            counts[_NOERROR] += ok
        return PyBytes_FromStringAndSize(b.data, b.size), written
    finally:
        PyMem_Free(b.data)


# -- text and csv ----------------------------------------------------------------------


cdef int _put_plain(Buf* b, object s, bint csv) except -1:
    """Copy ``s`` where the format writes it as it is: printable ASCII, and
    no backslash (text: escaped) or no comma and quote (csv: quoted); 1, or 0."""
    cdef Py_ssize_t i, n
    cdef const unsigned char* src
    cdef unsigned char c
    cdef char* dst
    if not PyUnicode_CheckExact(s) or not PyUnicode_IS_ASCII(s):
        return 0
    n = PyUnicode_GET_LENGTH(s)
    if b.size + n > b.room:
        buf_grow(b, n)
    src = <const unsigned char*>PyUnicode_DATA(s)
    dst = b.data + b.size
    for i in range(n):
        c = src[i]
        if c < 0x20 or c == 0x7f:
            return 0
        if csv:
            if c == 0x2c or c == 0x22:
                return 0
        elif c == 0x5c:
            return 0
        dst[i] = <char>c
    b.size += n
    return 1


cdef int _put_addresses(Buf* b, object records, bint csv) except -1:
    """The addresses of A/AAAA records separated by spaces (``data_text``); 1, or 0."""
    cdef Py_ssize_t i, count
    cdef object record, kind
    if not PyTuple_CheckExact(records):
        return 0
    count = PyTuple_GET_SIZE(records)
    if count == 0:
        return 0
    for i in range(count):
        record = <object>PyTuple_GET_ITEM(records, i)
        kind = type(record)
        if kind is not _A and kind is not _AAAA:
            return 0
        if i:
            put(b, b' ', 1)
        if not _put_plain(b, record.address, csv):
            return 0
    return 1


cdef int _common(object r, Py_ssize_t per, int only, dict counts, list out) except -1:
    """Unpack a common result into ``out`` (index, text, res, attempts,
    where, rtype, qname, elapsed, status, message): 1; 2 when ``only``
    filters it out (counted); 0 for the reference."""
    cdef object index, text, res, attempts, server, rtype, qname, elapsed, klass, status
    cdef object ttl, where
    if not isinstance(r, tuple) or PyTuple_GET_SIZE(r) != 8:
        return 0
    (index, text, res, attempts, server, rtype, qname, elapsed) = r
    if qname is None:
        return 0
    if per > 1:
        index = index // per
    if type(res) is _Answer:
        if only == 2:  # ONLY_FAILED
            counts[_NOERROR] += 1
            return 2
        out[:] = [index, text, res, attempts, res.server or server, rtype, qname, elapsed,
                  _NOERROR, None, res.ttl]
        return 1
    klass = type(res)
    status = _status_of.get(klass)
    if status is None or klass is _Cancelled or not isinstance(res, _ResolveError):
        return 0
    if only == 1:  # ONLY_OK
        counts[status] += 1
        return 2
    try:
        ttl = res.negative_ttl
        where = res.server or server
    except AttributeError:  # not a ResolveError after all
        return 0
    out[:] = [index, text, res, attempts, where, rtype, qname, elapsed, status,
              str(res) or klass.__name__, ttl]
    return 1


cdef object _pieces(Buf* b, list pieces, object line):
    """The ASCII of the buffer so far, then ``line`` (a reference line), to ``pieces``."""
    if b.size:
        pieces.append(PyUnicode_DecodeASCII(b.data, b.size, NULL))
        b.size = 0
    pieces.append(line)


def text_batch(raw, Py_ssize_t per, dict counts, int only, bint multi_type, escape, slow):
    """The text format's lines of ``raw``; see :func:`aioresolve.bulk._lines_py.text_batch`
    (``escape`` is not called: a column that needs it goes to ``slow``)."""
    cdef Buf b
    cdef Py_ssize_t mark, written = 0
    cdef list out = [None] * 11, pieces = []
    cdef object r, status, line
    cdef int kind, done
    b.data = <char*>PyMem_Malloc(16384)
    if b.data == NULL:
        raise MemoryError()
    b.size, b.room = 0, 16384
    try:
        for r in raw:
            mark = b.size
            kind = _common(r, per, only, counts, out)
            if kind == 2:
                continue
            done = 0
            if kind == 1 and _put_plain(&b, out[1], False):
                if multi_type:
                    put(&b, b'\t', 1)
                    done = _put_plain(&b, out[5], False)
                else:
                    done = 1
                status = out[8]
                if done:
                    put(&b, b'\t', 1)
                    done = _put_plain(&b, _status_text[status], False)
                if done:
                    put(&b, b'\t', 1)
                    if status is _NOERROR:
                        done = _put_addresses(&b, out[2].records, False)
                    else:
                        done = _put_plain(&b, out[9], False)
                if done:
                    put(&b, b'\n', 1)
                    counts[status] += 1
                    written += 1
                    continue
            b.size = mark  # the reference writes this one
            line = slow(r)
            if line is not None:
                _pieces(&b, pieces, line)
                written += 1
        _pieces(&b, pieces, "")
        return "".join(pieces), written
    finally:
        PyMem_Free(b.data)


cdef int _put_csv_int(Buf* b, object value) except -1:
    if value is None:
        return 1
    return put_int(b, value)


def csv_batch(raw, Py_ssize_t per, dict counts, int only, slow):
    """The CSV rows of ``raw``; see :func:`aioresolve.bulk._lines_py.csv_batch`."""
    cdef Buf b
    cdef Py_ssize_t mark, written = 0
    cdef list out = [None] * 11, pieces = []
    cdef object r, status, line, elapsed, where
    cdef double ms
    cdef int kind, done
    b.data = <char*>PyMem_Malloc(16384)
    if b.data == NULL:
        raise MemoryError()
    b.size, b.room = 0, 16384
    try:
        for r in raw:
            mark = b.size
            kind = _common(r, per, only, counts, out)
            if kind == 2:
                continue
            done = 0
            if kind == 1:
                status, elapsed, where = out[8], out[7], out[4]
                done = (put_int(&b, out[0]) and put(&b, b',', 1) == 0
                        and _put_plain(&b, out[1], True) and put(&b, b',', 1) == 0
                        and _put_plain(&b, out[6], True) and put(&b, b',', 1) == 0
                        and _put_plain(&b, out[5], True) and put(&b, b',', 1) == 0
                        and _put_plain(&b, _status_text[status], True)
                        and put(&b, b',', 1) == 0)
                if done:
                    if status is _NOERROR:
                        done = (_put_addresses(&b, out[2].records, True)
                                and put(&b, b',', 1) == 0 and _put_csv_int(&b, out[10])
                                and put(&b, b',', 1) == 0
                                and _put_plain(&b, out[2].canonical_name, True)
                                and put(&b, b',,', 2) == 0)
                    else:
                        done = (put(&b, b',', 1) == 0 and _put_csv_int(&b, out[10])
                                and put(&b, b',,', 2) == 0
                                and _put_plain(&b, out[9], True) and put(&b, b',', 1) == 0)
                if done:
                    done = put_int(&b, out[3]) and put(&b, b',', 1) == 0
                if done and PyFloat_CheckExact(elapsed):
                    ms = PyFloat_AS_DOUBLE(elapsed) * 1000
                    done = 0.0 <= ms < 1e9 and put_ms(&b, ms, False)
                else:
                    done = 0
                if done:
                    put(&b, b',', 1)
                    if where is not None:
                        done = _put_plain(&b, where, True)
                if done:
                    put(&b, b'\n', 1)
                    counts[status] += 1
                    written += 1
                    continue
            b.size = mark  # the reference writes this one
            line = slow(r)
            if line is not None:
                _pieces(&b, pieces, line)
                written += 1
        _pieces(&b, pieces, "")
        return "".join(pieces), written
    finally:
        PyMem_Free(b.data)
