# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The wire engine's hot path, typed Cython: the compiled twin of
:mod:`aioresolve._dns._hot_py` (same classes, same methods, same meaning);
:mod:`aioresolve._dns._speedups` picks one.

Hand-written, not the Python compiled verbatim: :class:`Query` is a C
struct (its fields read and written without a dictionary), the engine's
state the hot methods touch is typed (:class:`Core`, the first base of
``Engine``), questions and packets are built in C, the timeout queues are
C ring buffers, and the common answer is decoded and matched in C:

- a reply whose ID is pending on the socket, from the socket's server, with
  *exactly* the question sent (bytes equal: so with 0x20 the letter case
  too), QR set, no TC, RCODE 0, one question, to an A or AAAA query whose
  name is plain (letters, digits, ``-``, ``_`` ... no escapes), and whose
  answer section holds only well-formed records, of which the chain from the
  question's name through in-answer CNAMEs ends at records of the type
  asked: the :class:`~aioresolve.Answer` is built here, the same one the
  Python path builds;
- anything else (an error RCODE, TC, NODATA, NXDOMAIN, a chain that stops at
  a CNAME, a loop, a name with escapes, a record the C decoder is not sure
  of, a case or question mismatch, a reply without a question, a malformed
  byte) goes, untouched, to the reference path: ``parse_response`` and
  ``Engine._on_response``, which decide.  The C decoder only ever *declines*;
  it never rejects or accepts what the reference would not, so this twin is
  exactly as strict as the pure one.

An engine whose class overrides ``_on_response`` (``_fast_answers`` false)
gets every reply through it.

One addition without a pure twin: a :class:`Sink` whose ``jsonl`` is set
(``Stream(render="jsonl")``, the CLI) gets such a common answer as its bulk
JSONL line (``bytes``, :meth:`Core._jsonl_line`) in its StreamResult's
place; the pure core makes the StreamResult, from which the writer
(``bulk._lines``) writes the same bytes (``tests/test_lines_render.py``).

One file over the usual size on purpose: ``Core`` is one extension type, and
a Cython ``cdef class`` is written in one module (its methods call each
other as C functions); it mirrors ``_hot_py.py`` method by method.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItemWithError
from cpython.tuple cimport PyTuple_SET_ITEM
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, strlen

from cpython.mem cimport PyMem_Free

from .._jsonl cimport Buf, put, put_ll, put_ms, put_str
from .._slots cimport slot_alloc, slot_offset, slot_put

import collections
import contextlib
import time
import heapq
import os

from .. import _errors
from .._nameservers import nameserver_text
from .._records import AAAA, SOA, A, Answer
from ._core import log
from ._query import _QTYPES, qtype_of
from ._speedups import parse_response, recv_batch, send_batch
from ._timeouts import _SWEEP, MIN_RTO
from .codec import ParseError, encode_name

import asyncio as _asyncio
import time as _time_module

# BaseEventLoop.time is ``return time.monotonic()``: where a loop keeps it, the
# core reads the same clock in C (~0.15 us a call, three calls per name).
_MONOTONIC_TIME = _asyncio.BaseEventLoop.time if getattr(
    _time_module, "get_clock_info")("monotonic").implementation.startswith(
        "clock_gettime(CLOCK_MONOTONIC)") else None

cdef extern from "Python.h":
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyUnicode_DecodeASCII(const char *s, Py_ssize_t size, const char *errors)

cdef extern from "Python.h":
    ctypedef struct PyObject
    object PyType_GenericAlloc(type cls, Py_ssize_t nitems)
    void Py_INCREF(object o)

cdef extern from "<arpa/inet.h>" nogil:
    const char *inet_ntop(int af, const void *src, char *dst, unsigned int size)
    int AF_INET6

cdef extern from "<time.h>" nogil:
    ctypedef long time_t
    struct timespec:
        time_t tv_sec
        long tv_nsec
    int clock_gettime(int clk, timespec *tp)
    int CLOCK_MONOTONIC

cdef extern from "<math.h>" nogil:
    double ceil(double x)
    double fabs(double x)

__all__ = ["Core", "Query", "Rtt", "Sink", "is_hostname"]

cdef enum:
    RECV_BATCH = 16
    READ_BURST = 16  # see _hot_py._READ_BURST
    EXPIRE_BATCH = 64
    MAX_RECORDS = 64
    MAX_HOPS = 16
    MAX_CNAME_HOPS = 16
    TYPE_A = 1
    TYPE_CNAME = 5
    TYPE_AAAA = 28

cdef object _DEBUG = 10
# Label bytes that print as themselves (codec._PLAIN): "!".."~" except the
# characters special in zone files.
cdef unsigned char _plain[256]
cdef int _c
for _c in range(256):
    _plain[_c] = 1 if (0x21 <= _c <= 0x7E and _c not in b'"().;\\@$') else 0


# -- records built without their dataclass __init__ --------------------------------------
#
# A (frozen, slotted) dataclass's __init__ is Python code setting each field
# through object.__setattr__: ~1.5 us for an Answer and ~0.5 us per record, a
# tenth of the engine's CPU per name (py-spy, 100k names).  Here the instance
# is allocated and its slots filled directly, where each field is a plain
# object slot (checked below, and the result compared with the class's own
# construction at import); otherwise the class is called.

cdef Py_ssize_t _A_TTL, _A_ADDRESS, _AAAA_TTL, _AAAA_ADDRESS
cdef Py_ssize_t _ANSWER[10]
cdef bint _direct = False


cdef object _record(cls, Py_ssize_t ttl_at, Py_ssize_t value_at, object ttl, object value):
    if not _direct:
        return cls(ttl, value)
    obj = slot_alloc(cls)
    slot_put(obj, ttl_at, ttl)
    slot_put(obj, value_at, value)
    return obj


cdef object _answer(tuple values):
    cdef Py_ssize_t i
    if not _direct:
        return Answer(*values)
    obj = slot_alloc(Answer)
    for i in range(10):
        slot_put(obj, _ANSWER[i], values[i])
    return obj


def _setup_direct():
    global _direct, _A_TTL, _A_ADDRESS, _AAAA_TTL, _AAAA_ADDRESS
    import dataclasses
    names = [f.name for f in dataclasses.fields(Answer)]
    offsets = [slot_offset(Answer, name) for name in names]
    plain = all(cls.__new__ is object.__new__ and not hasattr(cls, "__post_init__")
                for cls in (A, AAAA, Answer))
    if (len(names) != 10 or min(offsets) < 0 or not plain
            or [f.name for f in dataclasses.fields(A)] != ["ttl", "address"]
            or [f.name for f in dataclasses.fields(AAAA)] != ["ttl", "address"]):
        return
    _A_TTL, _A_ADDRESS = slot_offset(A, "ttl"), slot_offset(A, "address")
    _AAAA_TTL, _AAAA_ADDRESS = slot_offset(AAAA, "ttl"), slot_offset(AAAA, "address")
    if min(_A_TTL, _A_ADDRESS, _AAAA_TTL, _AAAA_ADDRESS) < 0:
        return
    for i in range(10):
        _ANSWER[i] = offsets[i]
    _direct = True
    values = ("a.test", "A", (A(1, "192.0.2.1"),), "a.test", 1, "127.0.0.1:53", (), 0x8180,
              "udp", ())
    sample = (_record(A, _A_TTL, _A_ADDRESS, 1, "192.0.2.1"),
              _record(AAAA, _AAAA_TTL, _AAAA_ADDRESS, 1, "2001:db8::1"), _answer(values))
    _direct = (sample[0] == A(1, "192.0.2.1") and sample[1] == AAAA(1, "2001:db8::1")
               and sample[2] == Answer(*values) and hash(sample[0]) == hash(A(1, "192.0.2.1")))


_setup_direct()
#: Whether records and answers are built by filling their slots (else by their class).
DIRECT_RECORDS = _direct


cdef class Query:
    """One name being resolved (the C twin of :class:`aioresolve._dns._query.Query`:
    the same fields; ``letters`` is only true or false here)."""

    cdef public object name, rtype, callback, tag, sock, server, bad
    cdef object _aliases, _alias_ttls  # lists made on first use (most queries have none)
    cdef public object seen, result, wanted, letters
    cdef public bytes template, question, qsec
    cdef public long long qid, serial, tries, attempt, attempts, offset, ttl
    cdef public int qtype
    cdef public long long index  # the stream's index of the input (a Sink's query)
    cdef public double timeout, deadline, sent_at, born
    cdef public bint caps, edns, refused, miscased, queued, done
    cdef bint plain  # the name is plain text: its wire form decodes back to ``wanted``

    def __init__(self, name, rtype, qtype, callback, tag, attempts, timeout, deadline):
        self._init(name, rtype, qtype, callback, tag, attempts, timeout, deadline)

    cdef int _init(self, object name, object rtype, int qtype, object callback, object tag,
                   long long attempts, double timeout, double deadline) except -1:
        # (submit calls this on Query.__new__(Query): no argument parsing)
        cdef Py_ssize_t i, n
        cdef const char *text
        cdef bint plain_lower = False
        self.name = name
        if type(name) is str and PyUnicode_IS_COMPACT_ASCII(name):
            # already lower case without a trailing dot (most bulk input): no copy
            n = PyUnicode_GET_LENGTH(name)
            text = <const char *>PyUnicode_DATA(name)
            plain_lower = n > 0 and text[n - 1] != 46
            for i in range(n):
                if 65 <= text[i] <= 90:
                    plain_lower = False
                    break
        if plain_lower:
            wanted = name
        else:
            wanted = name.lower()
            if wanted.endswith(".") and len(wanted) > 1:
                wanted = wanted[:len(wanted) - 1]
        self.wanted = wanted or "."
        self.rtype = rtype
        self.qtype = qtype
        self.callback = callback
        self.tag = tag
        self.attempts = attempts
        self.timeout = timeout
        self.deadline = deadline
        self.attempt = 0
        self.tries = 0
        self.offset = 0
        self.index = -1
        self.born = 0.0
        self.qid = -1
        self.sock = None
        self.serial = 0
        self.sent_at = 0.0
        self.server = None
        self.template = b""
        self.question = b""
        self.qsec = b""
        self.letters = 0
        self.caps = False
        self.edns = True
        self.refused = False
        self.miscased = False
        self.bad = None
        self.queued = False
        self._aliases = None
        self._alias_ttls = None
        self.seen = None
        self.ttl = 0x7FFFFFFF
        self.result = None
        self.done = False
        self.plain = False
        return 0

    @property
    def aliases(self):
        """The CNAME owners followed (a list, made on first use)."""
        if self._aliases is None:
            self._aliases = []
        return self._aliases

    @aliases.setter
    def aliases(self, value):
        self._aliases = value

    @property
    def alias_ttls(self):
        """Those CNAME records' TTLs (a list, made on first use)."""
        if self._alias_ttls is None:
            self._alias_ttls = []
        return self._alias_ttls

    @alias_ttls.setter
    def alias_ttls(self, value):
        self._alias_ttls = value


cdef class Rtt:
    """The C twin of :class:`aioresolve._dns._timeouts._Rtt` (RFC 6298 RTO)."""

    cdef public double srtt, var

    def __init__(self):
        self.srtt = -1.0
        self.var = 0.0

    cpdef sample(self, double rtt):
        if self.srtt < 0:
            self.srtt = rtt
            self.var = rtt / 2
        else:
            self.var += 0.25 * (fabs(self.srtt - rtt) - self.var)
            self.srtt += 0.125 * (rtt - self.srtt)

    cpdef double rto(self, double ceiling, long long attempt):
        cdef double base
        if self.srtt < 0:
            return ceiling
        base = self.srtt + 4 * self.var
        if base < MIN_RTO:
            base = MIN_RTO
        base *= (1 << (attempt - 1 if attempt - 1 < 8 else 8))
        base = ceil(base * 20) / 20
        return ceiling if ceiling < base else base


cdef class _Fifo:
    """Attempts with one timeout value, in the order sent: (expiry, serial)
    in a C ring buffer (O(1) push and pop, nothing for the GC to track)."""

    cdef double *at
    cdef long long *serial
    cdef Py_ssize_t head, size, cap

    def __cinit__(self):
        self.cap = 1024
        self.at = <double *>malloc(self.cap * sizeof(double))
        self.serial = <long long *>malloc(self.cap * sizeof(long long))
        if self.at == NULL or self.serial == NULL:
            raise MemoryError()
        self.head = self.size = 0

    def __dealloc__(self):
        free(self.at)
        free(self.serial)

    def __len__(self):
        return self.size

    cdef int push(self, double at, long long serial) except -1:
        cdef Py_ssize_t i, cap = self.cap
        cdef double *new_at
        cdef long long *new_serial
        if self.size == cap:
            new_at = <double *>malloc(2 * cap * sizeof(double))
            new_serial = <long long *>malloc(2 * cap * sizeof(long long))
            if new_at == NULL or new_serial == NULL:
                free(new_at)
                free(new_serial)
                raise MemoryError()
            for i in range(self.size):
                new_at[i] = self.at[(self.head + i) % cap]
                new_serial[i] = self.serial[(self.head + i) % cap]
            free(self.at)
            free(self.serial)
            self.at, self.serial, self.head, self.cap = new_at, new_serial, 0, 2 * cap
            cap = self.cap
        i = (self.head + self.size) % cap
        self.at[i] = at
        self.serial[i] = serial
        self.size += 1
        return 0


cdef inline Py_ssize_t _ipv4_text(const unsigned char *a, char *out) noexcept nogil:
    """``"%u.%u.%u.%u"`` of four bytes into ``out`` (at least 16 bytes); the
    length.  By hand: glibc's snprintf cost ~1,700 instructions a call, a
    sixth of the compiled path's work per answer (callgrind)."""
    cdef Py_ssize_t o = 0
    cdef int i
    cdef unsigned int b
    for i in range(4):
        if i:
            out[o] = 46  # "."
            o += 1
        b = a[i]
        if b >= 100:
            out[o] = <char>(48 + b // 100)
            o += 1
            b %= 100
            out[o] = <char>(48 + b // 10)
            o += 1
            b %= 10
        elif b >= 10:
            out[o] = <char>(48 + b // 10)
            o += 1
            b %= 10
        out[o] = <char>(48 + b)
        o += 1
    return o


cdef inline int _rr_fields(const unsigned char *d, Py_ssize_t n, Py_ssize_t pos,
                           unsigned int *rtype, unsigned int *rclass, unsigned long *ttl,
                           unsigned int *rdlen) noexcept nogil:
    """The type, class, TTL and rdata length of the record whose owner name
    ends at ``pos``; -1 if they, or the rdata they announce, run past the
    message (the reference decoder's ParseError: the fast path declines)."""
    if pos + 10 > n:
        return -1
    rtype[0] = (d[pos] << 8) | d[pos + 1]
    rclass[0] = (d[pos + 2] << 8) | d[pos + 3]
    ttl[0] = ((<unsigned long>d[pos + 4] << 24) | (<unsigned long>d[pos + 5] << 16)
              | (<unsigned long>d[pos + 6] << 8) | d[pos + 7])
    rdlen[0] = (d[pos + 8] << 8) | d[pos + 9]
    if pos + 10 + rdlen[0] > n:
        return -1
    return 0


cdef inline int _name_text(const unsigned char *d, Py_ssize_t n, Py_ssize_t pos,
                           char *out, Py_ssize_t *olen, Py_ssize_t *end) noexcept:
    """Decode the name at ``pos`` into ``out`` (lower case, plain labels
    only): 0, or -1 to decline (anything the reference decoder might see
    otherwise: an escape, a bad or forward pointer, the root, past the end)."""
    cdef Py_ssize_t o = 0, size = 1, first_end = -1, i
    cdef int hops = 0
    cdef unsigned int c, b, target
    while True:
        if pos >= n:
            return -1
        c = d[pos]
        if c == 0:
            if first_end < 0:
                first_end = pos + 1
            break
        if c >= 0xC0:
            if pos + 1 >= n:
                return -1
            target = ((c & 0x3F) << 8) | d[pos + 1]
            if target >= <unsigned int>pos:
                return -1
            if first_end < 0:
                first_end = pos + 2
            hops += 1
            if hops > MAX_HOPS:
                return -1
            pos = target
            continue
        if c > 63 or pos + 1 + <Py_ssize_t>c > n:
            return -1
        size += c + 1
        if size > 255:
            return -1
        if o:
            out[o] = 46  # "."
            o += 1
        for i in range(pos + 1, pos + 1 + c):
            b = d[i]
            if not _plain[b]:
                return -1
            if 65 <= b <= 90:
                b += 32
            out[o] = <char>b
            o += 1
        pos += 1 + c
    if o == 0:
        return -1  # the root: rare, the reference's
    olen[0] = o
    end[0] = first_end
    return 0


cdef bint _MONO_C = _MONOTONIC_TIME is not None
cdef dict _qtypes = _QTYPES
_monotonic = time.monotonic
_new_tuple = tuple.__new__
_deque = collections.deque


cdef inline double _mono() except? -1.0:
    """``time.monotonic()``, read in C where it is clock_gettime(CLOCK_MONOTONIC)."""
    cdef timespec ts
    if _MONO_C:
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return (<long long>ts.tv_sec * 1000000000 + ts.tv_nsec) / 1e9
    return _monotonic()


cdef bint _is_hostname(object text) noexcept:
    cdef Py_ssize_t n, i, label = 0
    cdef const unsigned char *p
    cdef unsigned char c, prev = 46
    if type(text) is not str or not PyUnicode_IS_COMPACT_ASCII(text):
        return False
    n = PyUnicode_GET_LENGTH(text)
    if n < 1 or n > 253:
        return False
    p = <const unsigned char *>PyUnicode_DATA(text)
    for i in range(n):
        c = p[i]
        if c == 46:  # "."
            if label == 0 or prev == 45:  # an empty label, or one ending with "-"
                return False
            label = 0
        else:
            if c == 45:  # "-"
                if label == 0:
                    return False
            elif not (97 <= c <= 122 or 48 <= c <= 57 or c == 95):
                return False
            label += 1
            if label > 63:
                return False
        prev = c
    return label > 0 and prev != 45


def is_hostname(text):
    """See :func:`aioresolve._dns._sink_py.is_hostname`."""
    return _is_hostname(text)


cdef class Sink:
    """The C twin of :class:`aioresolve._dns._sink_py.Sink` (same attributes,
    same results); the core calls :meth:`put` without a Python call."""

    cdef public object result_type, wake, rtype, prepare, skip, attempts, timeout, lifetime
    cdef public object order, alters, error
    cdef public list results
    cdef public dict texts
    cdef public long long read, skipped
    cdef public bint exhausted
    cdef readonly long long count  # queries in flight
    cdef object core  # whose ``_active`` holds them
    cdef readonly bint direct  # results made by filling a tuple of result_type (as tuple.__new__)
    # Stream(render="jsonl"): a common answer's result is its finished JSONL
    # line (bytes), written by Core._jsonl_line as the reply is decoded
    cdef public bint jsonl

    def __init__(self, result_type, wake, rtype, prepare, skip, attempts, timeout, lifetime,
                 order, alters):
        self.result_type = result_type
        self.wake = wake
        self.rtype = rtype
        self.prepare = prepare
        self.skip = skip
        self.attempts = attempts
        self.timeout = timeout
        self.lifetime = lifetime
        self.order = order
        self.alters = alters
        self.results = []
        self.count = 0
        self.core = None
        self.read = 0
        self.exhausted = False
        self.error = None
        self.skipped = 0
        self.texts = {}
        self.jsonl = False
        # tuple.__new__(result_type, values) is tp_alloc (PyType_GenericAlloc for
        # a tuple subclass defined in Python) and a copy of the items; done here
        # directly (no argument tuples: ~0.15 us a result), where a sample
        # comes out equal to tuple.__new__'s
        self.direct = False
        if isinstance(result_type, type) and issubclass(result_type, tuple) and (
                result_type.__itemsize__ == tuple.__itemsize__):
            values = (1, "a.test", None, 1, "127.0.0.1:53", "A", "a.test", 0.5)
            self.direct = True
            sample = self._result(values[0], values[1], values[2], values[3], values[4],
                                  values[5], values[6], values[7])
            self.direct = (type(sample) is result_type
                            and sample == _new_tuple(result_type, values))

    cdef object _result(self, object index, object text, object result, object tries,
                        object server, object rtype, object qname, object elapsed):
        cdef object r
        if not self.direct:
            return _new_tuple(self.result_type, (index, text, result, tries, server, rtype,
                                                 qname, elapsed))
        r = PyType_GenericAlloc(self.result_type, 8)
        Py_INCREF(index)
        PyTuple_SET_ITEM(r, 0, index)
        Py_INCREF(text)
        PyTuple_SET_ITEM(r, 1, text)
        Py_INCREF(result)
        PyTuple_SET_ITEM(r, 2, result)
        Py_INCREF(tries)
        PyTuple_SET_ITEM(r, 3, tries)
        Py_INCREF(server)
        PyTuple_SET_ITEM(r, 4, server)
        Py_INCREF(rtype)
        PyTuple_SET_ITEM(r, 5, rtype)
        Py_INCREF(qname)
        PyTuple_SET_ITEM(r, 6, qname)
        Py_INCREF(elapsed)
        PyTuple_SET_ITEM(r, 7, elapsed)
        return r

    def __call__(self, q):
        self.put(<Query?>q)

    cdef int put(self, Query q) except -1:
        cdef list results = self.results
        result = q.result
        if type(result) is bytes:  # its line (``jsonl``): nothing else to make
            self.count -= 1
            results.append(result)
            if len(results) == 1:
                self.wake()
            return 0
        server = getattr(result, "server", None)
        if server is None:
            where = q.server
            if type(where) is tuple:
                server = self.texts.get(where)
                if server is None:
                    server = self.texts[where] = nameserver_text(*where)
            else:
                server = where
        self.count -= 1
        results.append(self._result(q.index, q.tag, result, q.tries, server, q.rtype, q.name,
                                    _mono() - q.born))
        if len(results) == 1:
            self.wake()
        return 0

    def not_asked(self, index, text, rtype, qname, exc):
        """See :meth:`aioresolve._dns._sink_py.Sink.not_asked`."""
        if not isinstance(exc, _errors.ResolveError):
            exc = _errors.IllegalName(f"{type(exc).__name__}: {exc}", host=text, rtype=rtype)
        self.results.append(self.result_type(
            index, text, exc, 0, getattr(exc, "server", None), rtype,
            None if isinstance(exc, _errors.IllegalName) else qname))

    def describe(self, q):
        """The input text of ``q`` and its submission time (``time.monotonic``)."""
        cdef Query qq = <Query?>q
        return qq.tag, qq.born

    def in_flight(self):
        """The queries in flight, by input index (found among the engine's live
        queries: the twin's dict per name cost ~0.3 us a name, py-spy)."""
        cdef Query q
        found = {}
        if self.count and self.core is not None:
            for obj in (<Core>self.core)._active:
                q = <Query>obj
                if q.callback is self:
                    found[q.index] = q
        return found

    def forget(self):
        """The queries in flight were cancelled: none is in flight now."""
        self.count = 0


cdef class Core:
    """The hot methods of the engine, typed (see the module docstring)."""

    cdef public object loop, stats, backend, _waiting, _timer, _sweeper, _backlog
    cdef public list servers, _odd
    cdef public object timeout
    cdef public long long attempts, max_in_flight, udp_max_queries, in_flight
    cdef public long long _rr, _serial, _ids_at, _recv_size
    cdef public bint adaptive, case_randomization, closed, _outbox_due, tcp_fallback
    cdef public bint _fast_answers
    cdef public bytes _head, _head_plain, _opt, _ids
    cdef public dict _socks, _rtt, _live, _expiries, _outbox, _refused_at
    cdef public object _unsampled  # a deque: see Timeouts._expire_unsampled
    cdef public set _no_caps, _active, _retired, _writing, _in_tcp, _tasks
    cdef public double _timer_at
    cdef dict _texts  # "ip:port" by server tuple
    cdef object _text_server, _text_of  # the last one looked up (a tuple hash saved)
    cdef bytes _noise  # random bytes for the 0x20 letters
    cdef Py_ssize_t _noise_at
    cdef object _time
    cdef int _clock  # 1: the loop's clock is time.monotonic (read here in C); 0: unknown
    # the last server sent to, its sockets and RTT; the last timeout queue used
    cdef object _last_server, _last_socks, _last_rtt
    cdef double _last_wait
    cdef _Fifo _last_fifo
    cdef Buf _line  # the JSONL line being written (_jsonl_line), reused

    def __cinit__(self, *args, **kwargs):
        self._line.data = NULL
        self._line.size = self._line.room = 0
        self._texts = {}
        self._noise = b""
        self._noise_at = 0
        self._fast_answers = True
        self._time = None
        self._clock = -1

    def __dealloc__(self):
        PyMem_Free(self._line.data)

    cdef inline object _text_for(self, object server):
        """``"ip:port"`` of a server tuple (cached)."""
        if server is self._text_server:
            return self._text_of
        text_of = self._texts.get(server)
        if text_of is None:
            text_of = self._texts[server] = nameserver_text(*server)
        self._text_server = server
        self._text_of = text_of
        return text_of

    cdef double _now(self) except? -1.0:
        """``loop.time()``: read in C when the loop's clock is ``time.monotonic``
        (asyncio's own loops; the same clock_gettime call), else called."""
        cdef timespec ts
        cdef long long ns
        if self._clock < 0:
            self._time = self.loop.time
            self._clock = 1 if getattr(self._time, "__func__", None) is _MONOTONIC_TIME else 0
        if self._clock:
            clock_gettime(CLOCK_MONOTONIC, &ts)
            ns = <long long>ts.tv_sec * 1000000000 + ts.tv_nsec
            return ns / 1e9  # as time.monotonic() converts it
        return self._time()

    # -- submitting ---------------------------------------------------------------

    def submit(self, name, rtype, callback, tag=None, *, attempts=None, timeout=None,
               lifetime=None, offset=0):
        """See :meth:`aioresolve._dns._hot_py.Core.submit`."""
        return self._csubmit(name, rtype, callback, tag, attempts, timeout, lifetime, offset,
                             0.0)

    def _submit(self, name, rtype, callback, tag, attempts, timeout, lifetime, offset, born):
        return self._csubmit(name, rtype, callback, tag, attempts, timeout, lifetime, offset,
                             born)

    cdef Query _csubmit(self, object name, object rtype, object callback, object tag,
                        object attempts, object timeout, object lifetime, long long offset,
                        double born):
        cdef Query q
        cdef PyObject *known
        cdef double tmo, deadline
        cdef long long tries
        if self.closed:
            raise _errors.ResolverClosed(host=name, rtype=rtype, backend=self.backend)
        known = PyDict_GetItemWithError(_qtypes, rtype)  # (.get() cost ~450 instructions)
        qtype = <object>known if known != NULL and <object>known else qtype_of(rtype)
        if not isinstance(name, str):
            raise TypeError(f"the name must be a string, not {type(name).__name__}")
        tmo = timeout or self.timeout  # in C doubles: the same IEEE operations as in Python
        tries = attempts or self.attempts
        deadline = self._now() + (<double>lifetime if lifetime is not None else tmo * tries + tmo)
        q = Query.__new__(Query)
        q._init(name, rtype, qtype, callback, tag, tries, tmo, deadline)
        q.offset = offset
        q.index = offset
        q.born = born
        self._cprepare(q)
        self._active.add(q)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(_SWEEP, self._sweep)
        if self.in_flight >= self.max_in_flight:
            q.queued = True
            self._waiting.append(q)
        else:
            self.in_flight += 1
            try:
                self._csend(q, None)
            except BaseException:  # not started after all (a bug): leave no trace of it
                q.done = True
                self._active.discard(q)
                self._cunlink(q)
                self.in_flight -= 1
                raise
        return q

    # -- a stream's batches --------------------------------------------------------

    def stream_sink(self, result_type, wake, *, rtype, prepare, skip, attempts, timeout,
                    lifetime, order, alters):
        """See :meth:`aioresolve._dns._hot_py.Core.stream_sink`."""
        cdef Sink sink
        if type(self).submit is not Core.submit:
            return None
        sink = Sink(result_type, wake, rtype, prepare, skip, attempts, timeout, lifetime,
                    order, alters)
        sink.core = self
        return sink

    def start_many(self, Sink sink, source, Py_ssize_t room, Py_ssize_t budget):
        """See :meth:`aioresolve._dns._hot_py.Core.start_many` (and
        :func:`~aioresolve._dns._sink_py.start_items`, which this is in C)."""
        cdef Py_ssize_t spent = 0, started = 0
        cdef long long index
        cdef bint from_deque = type(source) is _deque
        cdef Query q
        prepare, skip, order, alters = sink.prepare, sink.skip, sink.order, sink.alters
        rtype_default = sink.rtype
        attempts, timeout, lifetime = sink.attempts, sink.timeout, sink.lifetime
        while started < room and spent != budget:
            if from_deque:
                if not source:
                    break
                item = source.popleft()
            else:
                try:
                    item = next(source)
                except StopIteration:
                    sink.exhausted = True
                    break
                except Exception as exc:  # the input itself failed
                    sink.exhausted = True
                    sink.error = exc
                    break
            index = sink.read
            sink.read = index + 1
            if type(item) is tuple:
                text, rtype = item
            else:
                text = item
                rtype = rtype_default
            if skip is not None and skip(index, text):
                sink.skipped += 1
                continue
            if order is not None:
                order.append(index)
            qname = text
            spent += 1
            try:
                if prepare is not None and (alters is None or rtype in alters
                                            or not _is_hostname(text)):
                    qname = prepare(text, rtype)
                sink.count += 1  # before: a query that ends inside submit is counted off
                try:
                    self._csubmit(qname, rtype, sink, text, attempts, timeout, lifetime,
                                  index, _mono())
                except BaseException:
                    sink.count -= 1
                    raise
            except Exception as exc:  # never asked: a result at once
                sink.not_asked(index, text, rtype, qname, exc)
                continue
            started += 1
        return spent

    def _prepare(self, q):
        """Build the query for ``q.wanted`` (raises IllegalName)."""
        self._cprepare(<Query?>q)

    cdef int _cprepare(self, Query q) except -1:
        cdef object wanted = q.wanted
        cdef bytes qsec = None
        cdef Py_ssize_t n, i, start, total
        cdef const char *text
        cdef char *out
        cdef unsigned char c
        cdef bint letters = False
        q.plain = False
        if PyUnicode_IS_COMPACT_ASCII(wanted):
            n = PyUnicode_GET_LENGTH(wanted)
            if 0 < n <= 253:
                text = <const char *>PyUnicode_DATA(wanted)
                total = n + 2 + 4  # a length byte per label, the root, type and class
                qsec = PyBytes_FromStringAndSize(NULL, total)
                out = PyBytes_AS_STRING(qsec)
                start = 0
                for i in range(n + 1):
                    c = <unsigned char>text[i] if i < n else 46
                    if c == 46:  # "."
                        if i - start < 1 or i - start > 63:
                            qsec = None
                            break
                        out[start] = <char>(i - start)
                        start = i + 1
                        continue
                    if not _plain[c] or 65 <= c <= 90:
                        qsec = None
                        break
                    if 97 <= c <= 122:
                        letters = True
                    out[i + 1] = <char>c
                if qsec is not None:
                    out[n + 1] = 0
                    out[n + 2] = <char>(q.qtype >> 8)
                    out[n + 3] = <char>(q.qtype & 0xFF)
                    out[n + 4] = 0
                    out[n + 5] = 1
                    q.plain = True
        if qsec is None:  # anything unusual: the reference encoder (and its errors)
            try:
                name = encode_name(wanted)
            except (ValueError, UnicodeError) as exc:
                raise _errors.IllegalName(
                    f"cannot encode {wanted!r}: {exc}", host=q.name, rtype=q.rtype,
                    backend=self.backend,
                ) from None
            qsec = name + bytes((q.qtype >> 8, q.qtype & 0xFF, 0, 1))
            letters = any(97 <= c <= 122 for c in name)
        q.qsec = q.question = qsec
        q.template = self._template(q.edns, qsec)
        if self.case_randomization:
            q.letters = 1 if letters else 0
        return 0

    cdef bytes _template(self, bint edns, bytes question):
        cdef bytes head = self._head if edns else self._head_plain
        cdef bytes opt = self._opt if edns else b""
        cdef Py_ssize_t a = PyBytes_GET_SIZE(head), b = PyBytes_GET_SIZE(question)
        cdef Py_ssize_t c = PyBytes_GET_SIZE(opt)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, a + b + c)
        cdef char *p = PyBytes_AS_STRING(out)
        memcpy(p, PyBytes_AS_STRING(head), a)
        memcpy(p + a, PyBytes_AS_STRING(question), b)
        if c:
            memcpy(p + a + b, PyBytes_AS_STRING(opt), c)
        return out

    def cancel(self, q):
        """Forget ``q`` without calling its callback."""
        cdef Query qq = <Query?>q
        if qq.done:
            return
        qq.done = True
        self._active.discard(qq)
        self._cunlink(qq)
        if qq.queued:
            qq.queued = False
            with contextlib.suppress(ValueError):
                self._waiting.remove(qq)
        else:
            self._crelease()

    def _unlink(self, q):
        """Take ``q``'s attempt off the wire (its ID is free again)."""
        self._cunlink(<Query?>q)

    cdef int _cunlink(self, Query q) except -1:
        s = q.sock
        if q.qid >= 0 and s is not None:
            pending = s.pending
            if pending.get(q.qid) is q:
                del pending[q.qid]
                if s.retired and not pending:
                    self._close_socket(s)
            q.qid = -1
        self._live.pop(q.serial, None)
        return 0

    def _finish(self, q, result):
        self._cfinish(<Query?>q, result)

    cdef int _cfinish(self, Query q, object result) except -1:
        if q.done:
            return 0
        q.done = True
        q.result = result
        self._active.discard(q)
        if q.queued:  # never sent (the watchdog): not counted in flight
            q.queued = False
            with contextlib.suppress(ValueError):
                self._waiting.remove(q)
        else:
            self._crelease()
        callback = q.callback
        try:
            if type(callback) is Sink:
                (<Sink>callback).put(q)
            else:
                callback(q)
        except Exception as exc:  # the caller's bug: report it, strand nobody
            self.loop.call_exception_handler({
                "message": f"aioresolve: exception in the callback of {q.name!r} ({q.rtype})",
                "exception": exc,
            })
        return 0

    def _release(self):
        self._crelease()

    cdef int _crelease(self) except -1:
        cdef Query nxt
        self.in_flight -= 1
        waiting = self._waiting
        while waiting and self.in_flight < self.max_in_flight:
            nxt = waiting.popleft()
            if nxt.done:
                continue
            nxt.queued = False
            self.in_flight += 1
            self._csend(nxt, None)
        return 0

    # -- sending ------------------------------------------------------------------

    def _new_id(self):
        return self._cnew_id()

    cdef inline int _cnew_id(self) except -1:
        cdef Py_ssize_t at = self._ids_at
        cdef const unsigned char *p
        if at + 2 > PyBytes_GET_SIZE(self._ids):
            self._ids = os.urandom(8192)
            at = 0
        self._ids_at = at + 2
        p = <const unsigned char *>PyBytes_AS_STRING(self._ids)
        return (p[at] << 8) | p[at + 1]

    def _send(self, q, server=None):
        """Put one attempt of ``q`` on the wire and arm its timeout; ``server``
        (default: the one due for this attempt)."""
        self._csend(<Query?>q, server)

    cdef int _csend(self, Query q, object server) except -1:
        cdef list socks
        cdef dict pending
        cdef long long index, serial
        cdef int qid
        cdef double now, wait, expiry
        cdef Rtt rtt
        cdef _Fifo queue
        cdef bytes packet, template
        cdef char *p
        cdef Py_ssize_t size
        if server is None:
            server = self.servers[(q.offset + q.tries) % len(self.servers)]
        if server is not self._last_server:  # one tuple hash per server change, not per send
            self._last_socks = self._socks[server]
            self._last_rtt = self._rtt[server]
            self._last_server = server
        socks = self._last_socks
        self._rr += 1
        index = self._rr % len(socks)
        s = socks[index]
        if self.udp_max_queries:
            if s.uses >= self.udp_max_queries:
                self._rotate(socks, index)
                s = socks[index]
            s.uses += 1
        pending = s.pending
        qid = self._cnew_id()
        key = qid  # one int object for the look-up and the entry
        while key in pending:
            qid = self._cnew_id()
            key = qid
        q.qid = qid
        q.sock = s
        q.server = server
        q.tries += 1
        now = self._now()
        q.sent_at = now
        q.attempt += 1
        q.refused = q.miscased = False
        self._serial += 1
        serial = self._serial
        q.serial = serial
        pending[key] = q
        self._live[serial] = q
        stats = self.stats
        stats.sent += 1
        if self.adaptive:
            rtt = <Rtt?>self._last_rtt
            wait = rtt.rto(q.timeout, q.attempt)
        else:
            wait = q.timeout
        expiry = now + wait
        if q.letters:
            self._randomize(q, server)
        template = q.template
        size = PyBytes_GET_SIZE(template)
        packet = PyBytes_FromStringAndSize(NULL, size + 2)
        p = PyBytes_AS_STRING(packet)
        p[0] = <char>(qid >> 8)
        p[1] = <char>(qid & 0xFF)
        memcpy(p + 2, PyBytes_AS_STRING(template), size)
        if expiry <= q.deadline:
            if self.adaptive and rtt.srtt < 0:  # no RTT yet: see Timeouts._expire_unsampled
                self._unsampled.append((expiry, serial))
            else:
                if wait == self._last_wait and self._last_fifo is not None:
                    queue = self._last_fifo
                else:
                    queue = self._expiries.get(wait)
                    if queue is None:
                        queue = _Fifo()
                        self._expiries[wait] = queue
                    self._last_wait = wait
                    self._last_fifo = queue
                queue.push(expiry, serial)
        else:
            expiry = q.deadline
            heapq.heappush(self._odd, (expiry, serial))
        if self._timer is None or expiry < self._timer_at:
            self._arm(expiry)
        if self._backlog:
            self._backlog.append((s, packet))
            return 0
        box = self._outbox.get(s)
        if box is None:
            box = self._outbox[s] = []
        box.append((q, packet))
        if not self._outbox_due:
            self._outbox_due = True
            self.loop.call_soon(self._send_out)
        return 0

    def _send_out(self):
        """Send the attempts queued during this loop iteration: one batch per
        socket (``sendmmsg``)."""
        cdef Query q
        cdef Py_ssize_t at
        cdef list box
        self._outbox_due = False
        outbox = self._outbox
        self._outbox = {}
        if self.closed:
            return
        for s, box in outbox.items():
            if s.sock.fileno() < 0:
                continue  # closed meanwhile: its attempts time out and are retried
            at = 0
            while at < len(box):
                if self._backlog:  # the kernel is full: keep the order
                    self._backlog.extend((s, item[1]) for item in box[at:])
                    break
                try:
                    at += send_batch(s.sock, [item[1] for item in box[at:]])
                except BlockingIOError:
                    self._backlog.extend((s, item[1]) for item in box[at:])
                    self._want_write(s)
                    break
                except ConnectionRefusedError as exc:
                    # a pending ICMP error of an earlier datagram: these were not sent
                    self._refused(s, exc)
                    break
                except OSError as exc:
                    q = box[at][0]
                    at += 1
                    if not q.done and q.sock is s and q.qid >= 0:
                        self._cunlink(q)
                        self._fail_network(q, exc)

    def _randomize(self, q, server):
        """DNS 0x20: this attempt's question in random letter case (unless the
        server is known not to echo it)."""
        cdef Query qq = <Query?>q
        cdef bytes qsec = qq.qsec
        cdef bytes question
        cdef Py_ssize_t size, i
        cdef char *p
        cdef const unsigned char *noise
        cdef unsigned char c
        if server in self._no_caps:
            qq.caps = False
            qq.question = qsec
        else:
            size = PyBytes_GET_SIZE(qsec)
            if self._noise_at + size > PyBytes_GET_SIZE(self._noise):
                self._noise = os.urandom(max(8192, size))
                self._noise_at = 0
            noise = <const unsigned char *>PyBytes_AS_STRING(self._noise) + self._noise_at
            self._noise_at += size
            question = PyBytes_FromStringAndSize(PyBytes_AS_STRING(qsec), size)
            p = PyBytes_AS_STRING(question)
            for i in range(size - 4):  # the name (a length byte is < 64: never a letter)
                c = <unsigned char>p[i]
                if 97 <= c <= 122 and noise[i] & 1:
                    p[i] = <char>(c ^ 0x20)
            qq.question = question
            qq.caps = True
        qq.template = self._template(qq.edns, qq.question)

    # -- receiving ----------------------------------------------------------------

    def _read(self, s):
        cdef int rounds
        size = self._recv_size
        pending = s.pending
        stats = self.stats
        addr = s.server  # recv_batch keeps only datagrams from the socket's peer
        for rounds in range(READ_BURST // RECV_BATCH):
            try:
                datagrams, wrong = recv_batch(s.sock, RECV_BATCH, size)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError as exc:
                self._refused(s, exc)
                continue
            except OSError:
                if s.sock.fileno() < 0:  # closed under us (rotation, close)
                    return
                continue  # another ICMP error: the attempts time out and are retried
            if wrong:
                stats.wrong_source += wrong
            if self._read_batch(s, datagrams, pending, stats, addr):
                return
            if len(datagrams) < RECV_BATCH:
                return  # drained

    def _read_batch(self, s, list datagrams, dict pending, stats, addr):
        """Handle one burst of datagrams of ``s``; True when ``s`` was closed.
        (``stats.answered`` counts the fast path's answers at the end of the
        burst: an attribute update per answer cost ~350 instructions.)"""
        cdef Query q
        cdef bytes data, question
        cdef const unsigned char *d
        cdef Py_ssize_t n, qlen
        cdef bint fast = self._fast_answers
        cdef long long answered = 0  # answers of the fast path, counted once per burst
        try:
            for data in datagrams:
                q = None
                try:
                    n = PyBytes_GET_SIZE(data)
                    d = <const unsigned char *>PyBytes_AS_STRING(data)
                    if n < 12:
                        stats.malformed += 1
                        continue
                    q = pending.get((d[0] << 8) | d[1])
                    if q is None:
                        stats.unexpected += 1
                        if log.isEnabledFor(_DEBUG):
                            log.debug("reply with an unexpected ID from %s dropped (late or "
                                      "spoofed)", addr)
                        continue
                    server = q.server
                    if server is None or addr[1] != server[1] or addr[0] != server[0]:
                        stats.wrong_source += 1
                        if log.isEnabledFor(_DEBUG):
                            log.debug("reply for %s from a wrong source %s dropped", q.name, addr)
                        q = None
                        continue
                    question = q.question
                    qlen = PyBytes_GET_SIZE(question)
                    if 12 + qlen > n or memcmp(d + 12, PyBytes_AS_STRING(question), qlen) != 0:
                        got = data[12 : 12 + qlen]
                        if d[4] == 0 and d[5] == 0:  # no question: FORMERR and the like
                            self._bare(q, data)
                            continue
                        if got.lower() != question.lower():
                            stats.wrong_question += 1
                            if log.isEnabledFor(_DEBUG):
                                log.debug("reply for %s with another question dropped", q.name)
                            q = None
                            continue
                        if q.caps:  # only the 0x20 case differs
                            self._case_mismatch(q, data)
                            continue
                    elif fast and q.plain:
                        answer = self._fast_answer(q, d, n, qlen)
                        if answer is not None:
                            del pending[q.qid]
                            q.qid = -1
                            del self._live[q.serial]
                            answered += 1
                            if q.attempt == 1 and self.adaptive and not q.serial & 7:
                                (<Rtt?>self._rtt[s.server]).sample(self._now() - q.sent_at)
                                if self._unsampled:
                                    self._retime_unsampled()
                            self._cfinish(q, answer)
                            if not pending and s.retired:
                                self._close_socket(s)
                                return True
                            continue
                    response = parse_response(data, question, q.wanted)
                    if not response.flags & 0x8000:
                        raise ParseError("QR bit not set")
                    del pending[q.qid]
                    q.qid = -1
                    del self._live[q.serial]
                    stats.answered += answered + 1  # (the reference path: counted as it goes)
                    answered = 0
                    if q.attempt == 1 and self.adaptive and not q.serial & 7:  # 1 in 8 is plenty
                        (<Rtt?>self._rtt[s.server]).sample(self.loop.time() - q.sent_at)
                        if self._unsampled:
                            self._retime_unsampled()
                    self._on_response(q, response, data, tcp=False)
                    if not pending and s.retired:
                        self._close_socket(s)
                        return True
                except ParseError as exc:
                    stats.malformed += 1
                    if log.isEnabledFor(_DEBUG):
                        log.debug("malformed reply from %s dropped: %s", addr, exc)
                    if q is not None and not q.done:
                        if q.qid < 0:  # taken off the wire already
                            self._bug(q, exc, "a reply")
                        else:  # dropped (it may be forged): if nothing better comes, FormErr
                            q.bad = str(exc)
                except Exception as exc:
                    self._bug(q, exc, "a reply")
        finally:
            if answered:
                stats.answered += answered
        return False

    cdef object _fast_answer(self, Query q, const unsigned char *d, Py_ssize_t n,
                             Py_ssize_t qlen):
        """The Answer the reference would build for this reply, or None to
        let the reference decide (see the module docstring)."""
        cdef unsigned int flags = (d[2] << 8) | d[3]
        cdef unsigned int ancount, rtype, rclass, rdlen
        cdef unsigned long ttl
        cdef Py_ssize_t pos, rend, olen, end, count = 0, i
        cdef int qtype = q.qtype
        cdef int kinds[MAX_RECORDS]
        cdef long long ttls[MAX_RECORDS]
        cdef Py_ssize_t offsets[MAX_RECORDS]
        cdef char text[512]
        cdef char addr[64]
        cdef long long best, cname_ttl
        cdef int cname_i, found
        cdef bint simple, at_question
        cdef list owners, targets, records
        if (flags & 0x8200) != 0x8000 or d[4] != 0 or d[5] != 1:  # QR, not TC, QD 1
            return None
        if q.seen is not None:
            return None
        ancount = (d[6] << 8) | d[7]
        if ancount == 0 and (flags & 0xF) in (0, 3):  # NODATA or NXDOMAIN
            return self._fast_negative(q, d, n, qlen, flags)
        if (flags & 0xF) != 0 or (qtype != TYPE_A and qtype != TYPE_AAAA):
            return None
        if ancount > MAX_RECORDS:
            return None
        wanted = q.wanted
        # simple: every owner so far is the question's name by its pointer, and
        # no CNAME: then no owner or target list is made (~400 instructions)
        simple = True
        owners = None
        targets = None
        pos = 12 + qlen
        # 1. every answer record, checked as the reference decoder checks it
        for i in range(ancount):
            at_question = pos + 2 <= n and d[pos] == 0xC0 and d[pos + 1] == 12
            if at_question:
                owner = wanted
                pos += 2
            else:
                if _name_text(d, n, pos, text, &olen, &end) < 0:
                    return None
                owner = PyUnicode_DecodeASCII(text, olen, NULL)
                pos = end
            if _rr_fields(d, n, pos, &rtype, &rclass, &ttl, &rdlen) < 0:
                return None
            pos += 10
            rend = pos + rdlen
            if rclass != 1:
                pos = rend  # another class: never an answer (the reference skips it too)
                continue
            if rtype == TYPE_A:
                if rdlen != 4:
                    return None
                target = None
            elif rtype == TYPE_AAAA:
                if rdlen != 16:
                    return None
                target = None
            elif rtype == TYPE_CNAME:
                if _name_text(d, n, pos, text, &olen, &end) < 0 or end != rend:
                    return None
                target = PyUnicode_DecodeASCII(text, olen, NULL)
            else:
                target = None  # not decoded by the reference either; never in the chain
            kinds[count] = rtype
            ttls[count] = ttl if ttl < 0x80000000 else 0
            offsets[count] = pos
            if simple and (not at_question or rtype == TYPE_CNAME):
                simple = False
                owners = [wanted] * count
                targets = [None] * count
            if not simple:
                owners.append(owner)
                targets.append(target)
            count += 1
            pos = rend
        # 2. the chain, as Engine._answer follows it
        current = wanted
        best = q.ttl
        aliases = None
        alias_ttls = None
        seen = None
        found = 0
        if simple:  # the loop below, once: every owner is ``current``, no CNAME
            for i in range(count):
                if kinds[i] == qtype:
                    found += 1
                    if ttls[i] < best:
                        best = ttls[i]
        while not simple:
            cname_i = -1
            found = 0
            for i in range(count):
                if owners[i] == current:
                    if kinds[i] == qtype:
                        found += 1
                        if ttls[i] < best:
                            best = ttls[i]
                    elif kinds[i] == TYPE_CNAME and cname_i < 0:
                        cname_i = i
            if found or cname_i < 0:
                break
            if seen is None:
                seen = {wanted}
                aliases = []
                alias_ttls = []
            target = targets[cname_i]
            if target in seen or len(aliases) >= MAX_CNAME_HOPS:
                return None  # a loop: the reference's NoData
            seen.add(target)
            aliases.append(current)
            cname_ttl = ttls[cname_i]
            alias_ttls.append(cname_ttl)
            if cname_ttl < best:
                best = cname_ttl
            current = target
        if not found:
            return None  # NODATA, or a CNAME to ask for: the reference's
        # 3. the records of the type asked, in the server's order: the line of
        # a Sink that takes lines, or else the Answer
        if type(q.callback) is Sink and (<Sink>q.callback).jsonl:
            line = self._jsonl_line(q, d, kinds, ttls, offsets, count, simple, owners,
                                    current, best)
            if line is not None:
                q.ttl = best
                return line
        records = []
        for i in range(count):
            if kinds[i] == qtype and (simple or owners[i] == current):
                pos = offsets[i]
                if qtype == TYPE_A:
                    olen = _ipv4_text(d + pos, addr)
                    records.append(_record(A, _A_TTL, _A_ADDRESS, ttls[i],
                                           PyUnicode_DecodeASCII(addr, olen, NULL)))
                else:
                    if inet_ntop(AF_INET6, d + pos, addr, 64) == NULL:
                        return None
                    records.append(_record(AAAA, _AAAA_TTL, _AAAA_ADDRESS, ttls[i],
                                           PyUnicode_DecodeASCII(addr, strlen(addr), NULL)))
        if seen is not None:
            q.seen = seen
            q.aliases.extend(aliases)
            q.alias_ttls.extend(alias_ttls)
        q.ttl = best
        text_of = self._text_for(q.server)
        return _answer((q.name, q.rtype, tuple(records), current, best, text_of,
                        () if q._aliases is None else tuple(q._aliases), flags, "udp",
                        () if q._alias_ttls is None else tuple(q._alias_ttls)))

    cdef object _jsonl_line(self, Query q, const unsigned char *d, int *kinds,
                            long long *ttls, Py_ssize_t *offsets, Py_ssize_t count,
                            bint simple, list owners, object current, long long best):
        """The bulk JSONL line of the Answer :meth:`_fast_answer` would build
        (the bytes ``bulk._lines.jsonl_batch`` writes for it, with the
        StreamResult ``Sink.put`` would make), or None where a string needs
        JSON's escapes (then the Answer is built, the writer decides).

        No Answer, records, address strings or StreamResult: the CLI went
        22.4k -> 17.9k instructions a name (callgrind, knotd, 2026-12-04)."""
        cdef Buf *b = &self._line
        cdef Py_ssize_t i, j, n = 0
        cdef char texts[MAX_RECORDS * 48]  # each address asked, as text (at most 45 bytes)
        cdef Py_ssize_t lengths[MAX_RECORDS]
        cdef long long record_ttls[MAX_RECORDS]
        cdef double ms
        for i in range(count):
            if kinds[i] == q.qtype and (simple or owners[i] == current):
                if q.qtype == TYPE_A:
                    lengths[n] = _ipv4_text(d + offsets[i], texts + 48 * n)
                elif inet_ntop(AF_INET6, d + offsets[i], texts + 48 * n, 48) == NULL:
                    return None
                else:
                    lengths[n] = strlen(texts + 48 * n)
                record_ttls[n] = ttls[i]
                n += 1
        b.size = 0
        put(b, b'{"index":', 9)
        put_ll(b, q.index)
        put(b, b',"input":"', 10)
        if not put_str(b, q.tag):
            return None
        put(b, b'","name":"', 10)
        if not put_str(b, q.name):
            return None
        put(b, b'","type":"', 10)
        if not put_str(b, q.rtype):
            return None
        put(b, b'","status":"NOERROR","addresses":[', 34)
        for j in range(n):
            if j:
                put(b, b',"', 2)
            else:
                put(b, b'"', 1)
            put(b, texts + 48 * j, lengths[j])
            put(b, b'"', 1)
        put(b, b'],"records":[', 13)
        for j in range(n):
            if j:
                put(b, b',', 1)
            if q.qtype == TYPE_A:
                put(b, b'{"type":"A","ttl":', 18)
            else:
                put(b, b'{"type":"AAAA","ttl":', 21)
            put_ll(b, record_ttls[j])
            put(b, b',"address":"', 12)
            put(b, texts + 48 * j, lengths[j])
            put(b, b'"}', 2)
        put(b, b'],"ttl":', 8)
        put_ll(b, best)
        put(b, b',"canonical_name":"', 19)
        if not put_str(b, current):
            return None
        put(b, b'","error":null,"attempts":', 26)
        put_ll(b, q.tries)
        put(b, b',"elapsed_ms":', 14)
        ms = (_mono() - q.born) * 1000  # Sink.put's elapsed, as _lines_c writes it
        if not 0.0 <= ms < 1e9:
            return None
        put_ms(b, ms, True)
        put(b, b',"server":"', 11)
        if not put_str(b, self._text_for(q.server)):
            return None
        put(b, b'"}\n', 3)
        return PyBytes_FromStringAndSize(b.data, b.size)

    cdef object _fast_negative(self, Query q, const unsigned char *d, Py_ssize_t n,
                               Py_ssize_t qlen, unsigned int flags):
        """The NXDomain or NoData the reference would end ``q`` with, for a
        reply without answer records, with the SOA of its authority section as
        ``parse_response`` finds it (the first IN SOA whose owner is the name or
        one of its parents); or None to let the reference decide."""
        cdef unsigned int nscount = (d[8] << 8) | d[9]
        cdef unsigned int rtype, rclass, rdlen, c, i
        cdef unsigned long ttl
        cdef unsigned long fields[5]
        cdef Py_ssize_t pos = 12 + qlen, start, rend, olen, end, at
        cdef char text[512]
        cdef int k
        wanted = q.wanted
        extra = {}
        for i in range(nscount):
            start = pos
            while True:  # the owner, skipped (as codec._skip_name)
                if pos >= n:
                    return None
                c = d[pos]
                if c == 0:
                    pos += 1
                    break
                if c >= 0xC0:
                    pos += 2
                    break
                if c > 63:
                    return None
                pos += 1 + c
            if _rr_fields(d, n, pos, &rtype, &rclass, &ttl, &rdlen) < 0:
                return None
            pos += 10
            rend = pos + rdlen
            if rtype != 6 or rclass != 1:
                pos = rend
                continue
            if start + 1 < n and d[start] == 0xC0 and d[start + 1] == 12:
                owner = wanted
            else:
                if _name_text(d, n, start, text, &olen, &end) < 0:
                    return None
                owner = PyUnicode_DecodeASCII(text, olen, NULL)
            if not (owner == wanted or wanted.endswith("." + owner)):
                pos = rend
                continue
            if _name_text(d, n, pos, text, &olen, &end) < 0:
                return None
            mname = PyUnicode_DecodeASCII(text, olen, NULL)
            if _name_text(d, n, end, text, &olen, &at) < 0:
                return None
            rname = PyUnicode_DecodeASCII(text, olen, NULL)
            if at + 20 != rend:
                return None
            for k in range(5):
                fields[k] = ((<unsigned long>d[at] << 24) | (<unsigned long>d[at + 1] << 16)
                             | (<unsigned long>d[at + 2] << 8) | d[at + 3])
                at += 4
            if ttl >= 0x80000000:
                ttl = 0
            if fields[4] >= 0x80000000:
                fields[4] = 0  # MINIMUM is a TTL (RFC 2181 section 8)
            extra["soa"] = SOA(ttl, mname, rname, fields[0], fields[1], fields[2], fields[3],
                               fields[4])
            extra["negative_ttl"] = ttl if ttl < fields[4] else fields[4]
            extra["soa_owner"] = owner
            break
        text_of = self._text_for(q.server)
        if flags & 0xF:
            return _errors.NXDomain(None, host=q.name, rtype=q.rtype, backend=self.backend,
                                    server=text_of, flags=flags, protocol="udp", **extra)
        return _errors.NoData(host=q.name, rtype=q.rtype, backend=self.backend, server=text_of,
                              flags=flags, protocol="udp", **extra)

    # -- timeouts -----------------------------------------------------------------

    def _expire(self):
        cdef double now, nxt = float("inf")
        cdef _Fifo queue
        cdef list expired = []
        cdef dict live = self._live
        cdef Query q
        cdef Py_ssize_t cap
        self._timer = None
        now = self.loop.time()
        for queue in self._expiries.values():
            cap = queue.cap
            while queue.size and queue.at[queue.head] <= now and len(expired) < EXPIRE_BATCH:
                obj = live.pop(queue.serial[queue.head], None)
                queue.head = (queue.head + 1) % cap
                queue.size -= 1
                if obj is not None:
                    q = <Query>obj
                    if q.qid >= 0 and not q.done:
                        expired.append(q)
            if queue.size and queue.at[queue.head] < nxt:
                nxt = queue.at[queue.head]
        odd = self._odd
        while odd and odd[0][0] <= now and len(expired) < EXPIRE_BATCH:
            obj = live.pop(heapq.heappop(odd)[1], None)
            if obj is not None:
                q = <Query>obj
                if q.qid >= 0 and not q.done:
                    expired.append(q)
        if odd:
            nxt = min(nxt, odd[0][0])
        if self._unsampled:
            nxt = min(nxt, self._expire_unsampled(now, expired, EXPIRE_BATCH))
        try:
            for q in expired:
                if q.done:
                    continue
                try:
                    self._timed_out(q)
                except Exception as exc:  # a bug: end this query, keep the others going
                    self._bug(q, exc, "a timeout")
        finally:
            if self._odd:
                nxt = min(nxt, self._odd[0][0])
            if nxt != float("inf") and (self._timer is None or nxt < self._timer_at):
                self._arm(nxt)
