# The C types of aioresolve/_begun.py's compiled twin, aioresolve._begun_c:
# setup.py compiles a copy of _begun.py (_begun_c.py) beside a copy of this
# file (_begun_c.pxd), which Cython reads as its augmenting declarations.
# The pure-Python module is the reference and does not read this file.
cimport cython

# One cached outcome: its fields set by the store without an attribute lookup.
cdef class Entry:
    cdef public object value, error, aged
    cdef public double expires, stale_until

# LookupCache's base: its miss-path fields a C struct, read by run_query and
# _answered without a dictionary lookup (Python code sees them as properties).
cdef class CacheState:
    cdef public object config, closed_error, _entries, _flight, _single, _flights, _clock
    cdef public object _ttl_low, _ttl_high
    cdef public bint closed, _provides_ttl, _plain_ttls
    cdef public Py_ssize_t _max_size, _misses, _evictions
    cdef public object _begin_backend, _future_kw

# The leader's callback and its future: a C struct, its fields read and
# written without an attribute lookup.
cdef class BegunQuery:
    cdef public object future, cache, key, backend, handle

# The name check: a C loop over the characters.
@cython.locals(label=Py_ssize_t, longest=Py_ssize_t, ch=Py_UCS4, last=Py_UCS4)
cpdef bint plain_name(str name)

cpdef object begin_query(CacheState cache, object name, object rtype)

@cython.locals(flights=dict, size=Py_ssize_t, query=BegunQuery)
cpdef object run_query(CacheState cache, object key, object backend, object name,
                       object rtype, object loop)

# BegunQuery.__call__'s work (a module function so that its locals can be typed here).
@cython.locals(cache=CacheState, flights=dict, size=Py_ssize_t, entry=Entry, expires=double)
cpdef object _answered(BegunQuery self, object outcome)

cpdef object abandon(object found)

cdef extern from *:
    # A call with a dict of keywords as it is (Cython's f(**kw) copies it).
    object _call_kw "PyObject_Call"(object f, object args, object kw)

cdef bint _COMPILED
