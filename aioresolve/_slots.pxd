# cython: language_level=3
# Slots of Python-defined classes read and written at their offsets, for the
# compiled twins (``_dns/_hot_c``, ``bulk/_lines_c``, ``bulk/_results_c``):
# cimported, so each module compiles these inline functions into itself.
#
# A frozen, slotted dataclass sets each field through object.__setattr__ in
# its __init__ and reads it through a member descriptor: ~100 instructions a
# field either way.  A twin that builds or reads many of them a name finds
# each field's offset once (slot_offset: only a plain, writable object slot
# qualifies) and then touches the object's memory, checking at import that
# the result equals the class's own construction.

from cpython.ref cimport Py_INCREF, PyObject


cdef extern from "structmember.h":  # PyMemberDef (Python.h declares it only from 3.12)
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
        int flags

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member
    object PyType_GenericAlloc(type cls, Py_ssize_t nitems)


cdef inline Py_ssize_t slot_offset(cls, str name) except -2:
    """The offset of ``cls.name``'s slot, or -1 where it is not a plain,
    writable object slot (a property, a class attribute, no such field)."""
    descr = getattr(cls, name, None)
    if type(descr).__name__ != "member_descriptor":
        return -1
    member = (<PyMemberDescrObject *>descr).d_member
    if member.type != 16 or member.flags:  # T_OBJECT_EX, writable
        return -1
    return member.offset


cdef inline object slot_alloc(type cls):
    """What ``object.__new__(cls)`` does for a class defined in Python (tp_alloc)."""
    return PyType_GenericAlloc(cls, 0)


cdef inline PyObject* slot_get(object obj, Py_ssize_t offset) noexcept:
    """The slot's object (borrowed), NULL where it was never set."""
    return (<PyObject **>((<char *><PyObject *>obj) + offset))[0]


cdef inline void slot_put(object obj, Py_ssize_t offset, object value) noexcept:
    """Fill an empty slot of a fresh object (the slot takes a reference)."""
    Py_INCREF(value)
    (<PyObject **>((<char *><PyObject *>obj) + offset))[0] = <PyObject *>value
