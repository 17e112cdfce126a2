# cython: language_level=3
# The JSON-line writers shared by the compiled twins that write the CLI's
# JSONL bytes: ``bulk/_lines_c`` (lines from the stream's results) and
# ``_dns/_hot_c`` (a common answer's line written as it is decoded, see
# ``Sink.jsonl`` there).  cimported, so each module compiles these inline
# functions into itself: one set of writers, so both write the same bytes.

from cpython.long cimport PyLong_AsLongLong
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from libc.math cimport fabs, floor
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, strlen


cdef extern from "Python.h":
    bint PyUnicode_CheckExact(object)
    bint PyUnicode_IS_ASCII(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    bint PyLong_CheckExact(object)
    char* PyOS_double_to_string(double, char, int, int, int*) except NULL
    object PyErr_Occurred()
    void PyErr_Clear()


cdef struct Buf:
    char* data
    Py_ssize_t size
    Py_ssize_t room


cdef inline int buf_grow(Buf* b, Py_ssize_t need) except -1:
    cdef Py_ssize_t room = b.room * 2
    cdef char* data
    if room < b.size + need:
        room = b.size + need + 4096
    data = <char*>PyMem_Realloc(b.data, room)
    if data == NULL:
        raise MemoryError()
    b.data, b.room = data, room
    return 0


cdef inline int put(Buf* b, const char* text, Py_ssize_t n) except -1:
    if b.size + n > b.room:
        buf_grow(b, n)
    memcpy(b.data + b.size, text, n)
    b.size += n
    return 0


cdef inline bint plain8(uint64_t w) noexcept:
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


cdef inline int put_str(Buf* b, object s) except -1:
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
        if not plain8(w):
            return 0
        i += 8
    while i < n:
        c = src[i]
        if c < 0x20 or c == 0x22 or c == 0x5c:
            return 0
        i += 1
    if b.size + n > b.room:
        buf_grow(b, n)
    memcpy(b.data + b.size, src, n)
    b.size += n
    return 1


cdef inline int put_ll(Buf* b, long long v) except -1:
    """The decimal of a C integer."""
    cdef unsigned long long u
    cdef char digits[24]
    cdef int pos = 24
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
    return put(b, digits + pos, 24 - pos)


cdef inline int put_int(Buf* b, object value) except -1:
    """Write the decimal of an exact ``int``: 1, or 0 (another type, too big)."""
    cdef long long v
    if not PyLong_CheckExact(value):
        return 0
    v = PyLong_AsLongLong(value)
    if v == -1 and PyErr_Occurred() is not None:
        PyErr_Clear()  # OverflowError: the reference writes it
        return 0
    put_ll(b, v)
    return 1


cdef inline int put_ms(Buf* b, double ms, bint strip) except -1:
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
    cdef char decimals[3]
    cdef int d, nd = 3
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
        put_ll(b, k)
        put(b, b'.', 1)
        put(b, decimals, nd)
        return 1
    text = PyOS_double_to_string(ms, b'f', 3, 0, NULL)
    try:
        n = strlen(text)
        if strip:
            while text[n - 1] == b'0':
                n -= 1
            if text[n - 1] == b'.':
                n += 1  # "2." -> "2.0" (the zero is still there)
        put(b, text, n)
    finally:
        PyMem_Free(text)
    return 1

