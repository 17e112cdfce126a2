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

# The name check: a C loop over the characters.
@cython.locals(label=Py_ssize_t, longest=Py_ssize_t, ch=Py_UCS4, last=Py_UCS4)
cpdef bint plain_name(str name)

cpdef object begin_query(CacheState cache, object name, object rtype)

@cython.locals(flights=dict, size=Py_ssize_t)
cpdef object run_query(CacheState cache, object key, object backend, object name,
                       object rtype, object loop)

# BegunQuery.__call__ (a module function so that its locals can be typed here).
@cython.locals(cache=CacheState, flights=dict, size=Py_ssize_t, entry=Entry, expires=double)
cpdef object _answered(object self, object outcome)

# BegunQuery's slots (a Python class: asyncio.Future's subclass) written and
# read at their offsets, as their member descriptors do (T_OBJECT_EX), without
# the generic attribute lookup; _begun.py finds the offsets at import
# (_slot_offset: -1 unless a plain, writable object slot) and uses them only
# for objects of BegunQuery's exact type.
cdef extern from *:
    """
    #include "structmember.h"
    static Py_ssize_t __pyx_begun_slot_offset(PyObject *cls, PyObject *name) {
        Py_ssize_t offset = -1;
        PyObject *descr = PyObject_GetAttr(cls, name);
        if (descr == NULL) {
            PyErr_Clear();
            return -1;
        }
        if (Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
            PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
            if (member->type == T_OBJECT_EX && !(member->flags & READONLY))
                offset = member->offset;
        }
        Py_DECREF(descr);
        return offset;
    }
    static CYTHON_INLINE PyObject *__pyx_begun_slot_get(PyObject *obj, Py_ssize_t offset) {
        PyObject *value = *(PyObject **)((char *)obj + offset);
        if (value == NULL) {
            PyErr_SetString(PyExc_AttributeError, "a BegunQuery slot read before it was set");
            return NULL;
        }
        Py_INCREF(value);
        return value;
    }
    static CYTHON_INLINE int __pyx_begun_slot_set(PyObject *obj, Py_ssize_t offset, PyObject *value) {
        PyObject **slot = (PyObject **)((char *)obj + offset);
        PyObject *old = *slot;
        Py_INCREF(value);
        *slot = value;
        Py_XDECREF(old);
        return 0;
    }
    """
    Py_ssize_t _slot_offset "__pyx_begun_slot_offset"(object cls, object name)
    # A call with a dict of keywords as it is (Cython's f(**kw) copies it).
    object _call_kw "PyObject_Call"(object f, object args, object kw)
    object _slot_get "__pyx_begun_slot_get"(object obj, Py_ssize_t offset)
    int _slot_set "__pyx_begun_slot_set"(object obj, Py_ssize_t offset, object value) except -1

cdef bint _AT_OFFSETS
cdef Py_ssize_t _CACHE_AT, _KEY_AT, _BACKEND_AT, _HANDLE_AT
