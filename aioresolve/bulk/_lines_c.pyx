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

One file over the usual size on purpose: the three formats share one C
buffer and its string and number writers, ``cdef inline`` functions that
Cython compiles into the module that uses them.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLong
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.ref cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.math cimport fabs, floor
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, strlen

from .._slots cimport slot_get, slot_offset

from .._dns.stream import Cancelled
from .._errors import ResolveError
from .._records import AAAA, A, Answer
from ._result import _STATUS_OF_TYPE, _STATUS_TEXT, Status


cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object)
    bint PyUnicode_IS_ASCII(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    bint PyLong_CheckExact(object)
    bint PyFloat_CheckExact(object)
    bint PyTuple_CheckExact(object)
    bint PyBytes_CheckExact(object)
    char* PyOS_double_to_string(double, char, int, int, int*) except NULL
    object PyUnicode_DecodeASCII(const char*, Py_ssize_t, const char*)
    object PyErr_Occurred()
    void PyErr_Clear()


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


cdef struct Buf:
    char* data
    Py_ssize_t size
    Py_ssize_t room


cdef int _grow(Buf* b, Py_ssize_t need) except -1:
    cdef Py_ssize_t room = b.room * 2
    cdef char* data
    if room < b.size + need:
        room = b.size + need + 4096
    data = <char*>PyMem_Realloc(b.data, room)
    if data == NULL:
        raise MemoryError()
    b.data, b.room = data, room
    return 0


cdef inline int _put(Buf* b, const char* text, Py_ssize_t n) except -1:
    if b.size + n > b.room:
        _grow(b, n)
    memcpy(b.data + b.size, text, n)
    b.size += n
    return 0


cdef inline bint _plain8(uint64_t w) noexcept:
    """No byte of these eight ASCII bytes needs a JSON escape (< 0x20, ``"``,
    ``\\``): a byte below 0x20, or equal to one of the two once XORed to
    zero, sets its high bit when 0x20 or 1 is subtracted from every byte at
    once (a borrow into the next byte needs such a byte first, and no ASCII
    byte has the high bit of its own)."""
    cdef uint64_t ones = 0x0101010101010101ULL
    cdef uint64_t quote = w ^ (ones * 0x22)
    cdef uint64_t backslash = w ^ (ones * 0x5C)
    return (((w - ones * 0x20) | (quote - ones) | (backslash - ones))
            & 0x8080808080808080ULL) == 0


cdef int _put_str(Buf* b, object s) except -1:
    """Copy ``s``: 1, or 0 when JSON would not write it as it is (then
    the line goes to the reference).  Checked eight bytes at a time
    (``_plain8``), then copied at once: this function's own instructions
    per line went 1,177 -> 804 under callgrind (the CLI's JSONL of the
    bench mix, 2026-12-02), against a test and a store per byte."""
    cdef Py_ssize_t i = 0, n
    cdef const unsigned char* src
    cdef unsigned char c
    cdef uint64_t w
    if not PyUnicode_CheckExact(s) or not PyUnicode_IS_ASCII(s):
        return 0
    n = PyUnicode_GET_LENGTH(s)
    src = <const unsigned char*>PyUnicode_DATA(s)
    while i + 8 <= n:
        memcpy(&w, src + i, 8)
        if not _plain8(w):
            return 0
        i += 8
    while i < n:
        c = src[i]
        if c < 0x20 or c == 0x22 or c == 0x5c:
            return 0
        i += 1
    if b.size + n > b.room:
        _grow(b, n)
    memcpy(b.data + b.size, src, n)
    b.size += n
    return 1


cdef int _put_int(Buf* b, object value) except -1:
    """Write the decimal of an exact ``int``: 1, or 0 (another type, too big)."""
    cdef long long v
    cdef unsigned long long u
    cdef char digits[24]
    cdef int pos = 24
    if not PyLong_CheckExact(value):
        return 0
    v = PyLong_AsLongLong(value)
    if v == -1 and PyErr_Occurred() is not None:
        PyErr_Clear()  # OverflowError: the reference writes it
        return 0
    if v < 0:
        u = <unsigned long long>(-(v + 1)) + 1
    else:
        u = <unsigned long long>v
    while True:
        pos -= 1
        digits[pos] = <char>(48 + u % 10)
        u //= 10
        if u == 0:
            break
    if v < 0:
        pos -= 1
        digits[pos] = b'-'
    _put(b, digits + pos, 24 - pos)
    return 1


cdef int _put_ms(Buf* b, double ms, bint strip) except -1:
    """``%.3f`` of ``ms`` (0 <= ms < 1e9), less its trailing zeros (one
    kept) when ``strip``.

    The thousandths by integer arithmetic where the rounding is unambiguous:
    m = ms * 1000 is within half an ulp (< 6.2e-5 below 1e12) of the exact
    product, so a fraction more than 1e-4 away from .5 rounds as the exact
    value does (what %.3f does); a near tie takes CPython's dtoa.
    (callgrind: PyOS_double_to_string is ~680 instructions a call, this ~40;
    the CLI 24,786 -> 24,304 instructions per name.)"""
    cdef double m = ms * 1000.0
    cdef double frac = m - floor(m)
    cdef long long k
    cdef char digits[24]
    cdef char decimals[3]
    cdef int pos = 24, d, nd = 3
    cdef char* text
    cdef Py_ssize_t n
    if fabs(frac - 0.5) > 1e-4:
        k = <long long>floor(m + 0.5)
        d = <int>(k % 1000)
        k //= 1000
        decimals[0] = <char>(48 + d // 100)
        decimals[1] = <char>(48 + (d // 10) % 10)
        decimals[2] = <char>(48 + d % 10)
        if strip:
            while nd > 1 and decimals[nd - 1] == b'0':  # "2.500" -> "2.5", "2.000" -> "2.0"
                nd -= 1
        while True:
            pos -= 1
            digits[pos] = <char>(48 + k % 10)
            k //= 10
            if k == 0:
                break
        _put(b, digits + pos, 24 - pos)
        _put(b, b'.', 1)
        _put(b, decimals, nd)
        return 1
    text = PyOS_double_to_string(ms, b'f', 3, 0, NULL)
    try:
        n = strlen(text)
        if strip:
            while text[n - 1] == b'0':
                n -= 1
            if text[n - 1] == b'.':
                n += 1  # "2." -> "2.0" (the zero is still there)
        _put(b, text, n)
    finally:
        PyMem_Free(text)
    return 1


cdef int _put_elapsed(Buf* b, object elapsed) except -1:
    """``repr(round(elapsed * 1000, 3))``, as :func:`_lines_py.elapsed_text`."""
    cdef double ms
    if PyFloat_CheckExact(elapsed):
        ms = PyFloat_AS_DOUBLE(elapsed) * 1000
        if 0.0 <= ms < 1e9:
            return _put_ms(b, ms, True)
    return _put_str(b, repr(round(elapsed * 1000, 3)))


cdef int _put_server(Buf* b, object where) except -1:
    if where is None:
        _put(b, b'null}\n', 6)
        return 1
    _put(b, b'"', 1)
    if not _put_str(b, where):
        return 0
    _put(b, b'"}\n', 3)
    return 1


cdef int _head(Buf* b, object index, object text, object qname, object rtype) except -1:
    _put(b, b'{"index":', 9)
    if not _put_int(b, index):
        return 0
    _put(b, b',"input":"', 10)
    if not _put_str(b, text):
        return 0
    _put(b, b'","name":"', 10)
    if not _put_str(b, qname):
        return 0
    _put(b, b'","type":"', 10)
    if not _put_str(b, rtype):
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
    _put(b, b'","status":"NOERROR","addresses":[', 34)
    for i in range(count):
        record = <object>PyTuple_GET_ITEM(records, i)
        kind = type(record)
        if kind is not _A and kind is not _AAAA:
            return 0
        if i:
            _put(b, b',"', 2)
        else:
            _put(b, b'"', 1)
        if not _put_str(b, _field(record, _A_ADDRESS if kind is _A else _AAAA_ADDRESS,
                                  "address")):
            return 0
        _put(b, b'"', 1)
    _put(b, b'],"records":[', 13)
    for i in range(count):
        record = <object>PyTuple_GET_ITEM(records, i)
        if i:
            _put(b, b',', 1)
        four = type(record) is _A
        if four:
            _put(b, b'{"type":"A","ttl":', 18)
        else:
            _put(b, b'{"type":"AAAA","ttl":', 21)
        if not _put_int(b, _field(record, _A_TTL if four else _AAAA_TTL, "ttl")):
            return 0
        _put(b, b',"address":"', 12)
        _put_str(b, _field(record, _A_ADDRESS if four else _AAAA_ADDRESS, "address"))  # checked above
        _put(b, b'"}', 2)
    _put(b, b'],"ttl":', 8)
    if not _put_int(b, ttl):
        return 0
    _put(b, b',"canonical_name":"', 19)
    if not _put_str(b, canonical):
        return 0
    _put(b, b'","error":null,"attempts":', 26)
    if not _put_int(b, attempts):
        return 0
    _put(b, b',"elapsed_ms":', 14)
    if not _put_elapsed(b, elapsed):
        return 0
    _put(b, b',"server":', 10)
    return _put_server(b, where)


cdef int _error(Buf* b, object index, object text, object qname, object rtype, object status,
                object ttl, object message, object attempts, object elapsed,
                object where) except -1:
    if not _head(b, index, text, qname, rtype):
        return 0
    _put(b, b'","status":"', 12)
    if not _put_str(b, _status_text[status]):
        return 0
    _put(b, b'","addresses":[],"records":[],"ttl":', 36)
    if ttl is None:
        _put(b, b'null', 4)
    elif not _put_int(b, ttl):
        return 0
    _put(b, b',"canonical_name":null,"error":"', 32)
    if not _put_str(b, message):
        return 0
    _put(b, b'","attempts":', 13)
    if not _put_int(b, attempts):
        return 0
    _put(b, b',"elapsed_ms":', 14)
    if not _put_elapsed(b, elapsed):
        return 0
    _put(b, b',"server":', 10)
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
                _put(&b, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
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
        _grow(b, n)
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
            _put(b, b' ', 1)
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
                    _put(&b, b'\t', 1)
                    done = _put_plain(&b, out[5], False)
                else:
                    done = 1
                status = out[8]
                if done:
                    _put(&b, b'\t', 1)
                    done = _put_plain(&b, _status_text[status], False)
                if done:
                    _put(&b, b'\t', 1)
                    if status is _NOERROR:
                        done = _put_addresses(&b, out[2].records, False)
                    else:
                        done = _put_plain(&b, out[9], False)
                if done:
                    _put(&b, b'\n', 1)
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
    return _put_int(b, value)


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
                done = (_put_int(&b, out[0]) and _put(&b, b',', 1) == 0
                        and _put_plain(&b, out[1], True) and _put(&b, b',', 1) == 0
                        and _put_plain(&b, out[6], True) and _put(&b, b',', 1) == 0
                        and _put_plain(&b, out[5], True) and _put(&b, b',', 1) == 0
                        and _put_plain(&b, _status_text[status], True)
                        and _put(&b, b',', 1) == 0)
                if done:
                    if status is _NOERROR:
                        done = (_put_addresses(&b, out[2].records, True)
                                and _put(&b, b',', 1) == 0 and _put_csv_int(&b, out[10])
                                and _put(&b, b',', 1) == 0
                                and _put_plain(&b, out[2].canonical_name, True)
                                and _put(&b, b',,', 2) == 0)
                    else:
                        done = (_put(&b, b',', 1) == 0 and _put_csv_int(&b, out[10])
                                and _put(&b, b',,', 2) == 0
                                and _put_plain(&b, out[9], True) and _put(&b, b',', 1) == 0)
                if done:
                    done = _put_int(&b, out[3]) and _put(&b, b',', 1) == 0
                if done and PyFloat_CheckExact(elapsed):
                    ms = PyFloat_AS_DOUBLE(elapsed) * 1000
                    done = 0.0 <= ms < 1e9 and _put_ms(&b, ms, False)
                else:
                    done = 0
                if done:
                    _put(&b, b',', 1)
                    if where is not None:
                        done = _put_plain(&b, where, True)
                if done:
                    _put(&b, b'\n', 1)
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
