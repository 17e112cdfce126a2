# cython: language_level=3, boundscheck=False, wraparound=False
"""Batched UDP I/O for the wire engine: one ``recvmmsg``/``sendmmsg`` system
call per burst instead of one ``recv``/``send`` per datagram (Linux).

The compiled twin of :mod:`aioresolve._dns._udp_py`; :mod:`aioresolve._dns._speedups`
picks one.  Both take a connected, non-blocking UDP socket.  ``recv_batch``
also checks each datagram's source against the socket's peer (the kernel
already filters a connected socket; this is the engine's own check, kept).
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.errno cimport EAGAIN, EINTR, errno
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memset

cdef extern from "<sys/socket.h>" nogil:
    ctypedef unsigned int socklen_t
    struct sockaddr:
        unsigned short sa_family
    struct sockaddr_storage:
        unsigned short ss_family
    struct iovec:
        void *iov_base
        size_t iov_len
    struct msghdr:
        void *msg_name
        socklen_t msg_namelen
        iovec *msg_iov
        size_t msg_iovlen
        void *msg_control
        size_t msg_controllen
        int msg_flags
    struct mmsghdr:
        msghdr msg_hdr
        unsigned int msg_len
    int recvmmsg(int fd, mmsghdr *msgvec, unsigned int vlen, int flags, void *timeout)
    int sendmmsg(int fd, mmsghdr *msgvec, unsigned int vlen, int flags)
    int getpeername(int fd, sockaddr *addr, socklen_t *addrlen)
    int MSG_DONTWAIT
    int AF_INET
    int AF_INET6

cdef extern from "<netinet/in.h>" nogil:
    struct in_addr:
        unsigned int s_addr
    struct sockaddr_in:
        unsigned short sin_family
        unsigned short sin_port
        in_addr sin_addr
    struct in6_addr:
        unsigned char s6_addr[16]
    struct sockaddr_in6:
        unsigned short sin6_family
        unsigned short sin6_port
        in6_addr sin6_addr

__all__ = ["recv_batch", "send_batch"]

cdef enum:
    RECV_MAX = 64  # datagrams per recv_batch call (the engine asks 16)
    SEND_MAX = 64  # datagrams per sendmmsg call (send_batch loops over more)

cdef bint _same_source(sockaddr_storage *a, sockaddr_storage *peer) noexcept nogil:
    cdef sockaddr_in *a4
    cdef sockaddr_in *p4
    cdef sockaddr_in6 *a6
    cdef sockaddr_in6 *p6
    if a.ss_family != peer.ss_family:
        return False
    if a.ss_family == AF_INET:
        a4 = <sockaddr_in *>a
        p4 = <sockaddr_in *>peer
        return a4.sin_port == p4.sin_port and a4.sin_addr.s_addr == p4.sin_addr.s_addr
    if a.ss_family == AF_INET6:
        a6 = <sockaddr_in6 *>a
        p6 = <sockaddr_in6 *>peer
        return (a6.sin6_port == p6.sin6_port
                and memcmp(a6.sin6_addr.s6_addr, p6.sin6_addr.s6_addr, 16) == 0)
    return False


# The data buffer is kept between calls (no allocation per burst; pages of it
# that no datagram reaches are never touched, so they cost address space, not
# memory).  It is the process's, shared by every thread with an engine (a
# multi-threaded Dask worker, trio's private asyncio loop, a loop per thread):
# the GIL is held from filling it to copying the datagrams out (the calls use
# MSG_DONTWAIT and never block, so releasing the GIL would buy nothing), and a
# call that finds it in use - another thread that got the GIL while this one
# was building bytes objects - gets a buffer of its own for that call.  The
# message headers live on each call's stack.  (Version 0.1 kept the headers
# in globals too and released the GIL around recvmmsg/sendmmsg: two threads
# then overwrote or freed each other's buffers, a crash about one run in
# three; tests/test_threads.py.)
cdef char *_buf = NULL
cdef size_t _buf_size = 0
cdef bint _buf_busy = False


def recv_batch(sock, int count, int size):
    """Up to ``count`` datagrams waiting on ``sock`` (each cut at ``size``
    bytes), in one system call: ``(datagrams, wrong_source)`` where
    ``wrong_source`` counts those dropped for not coming from the socket's peer.

    :raises BlockingIOError: nothing is waiting.
    :raises OSError: the socket's pending error (e.g. ECONNREFUSED after an
        ICMP port unreachable).
    """
    global _buf, _buf_size, _buf_busy
    cdef int fd = sock.fileno()
    cdef int n, i, wrong = 0
    cdef sockaddr_storage peer
    cdef socklen_t peerlen = sizeof(sockaddr_storage)
    cdef size_t need
    cdef char *grown
    cdef char *buf
    cdef bint own = False
    cdef mmsghdr msgs[RECV_MAX]
    cdef iovec iov[RECV_MAX]
    cdef sockaddr_storage names[RECV_MAX]
    if count > RECV_MAX:
        count = RECV_MAX
    if count < 1 or size < 1:
        return [], 0
    need = <size_t>count * <size_t>size
    if _buf_busy:  # another thread is between its recvmmsg and its copies
        buf = <char *>malloc(need)
        if buf == NULL:
            raise MemoryError()
        own = True
    else:
        if need > _buf_size:
            grown = <char *>malloc(need)
            if grown == NULL:
                raise MemoryError()
            free(_buf)
            _buf, _buf_size = grown, need
        buf = _buf
        _buf_busy = True
    try:
        if getpeername(fd, <sockaddr *>&peer, &peerlen) != 0:
            raise OSError(errno, _strerror(errno))
        memset(msgs, 0, count * sizeof(mmsghdr))
        for i in range(count):
            iov[i].iov_base = buf + <size_t>i * size
            iov[i].iov_len = size
            msgs[i].msg_hdr.msg_iov = &iov[i]
            msgs[i].msg_hdr.msg_iovlen = 1
            msgs[i].msg_hdr.msg_name = &names[i]
            msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage)
        while True:
            n = recvmmsg(fd, msgs, count, MSG_DONTWAIT, NULL)
            if n >= 0:
                break
            if errno == EINTR:
                continue
            if errno == EAGAIN:
                raise BlockingIOError(errno, "no datagram waiting")
            raise OSError(errno, _strerror(errno))
        out = []
        for i in range(n):
            if not _same_source(&names[i], &peer):
                wrong += 1
                continue
            out.append(PyBytes_FromStringAndSize(buf + <size_t>i * size, msgs[i].msg_len))
        return out, wrong
    finally:
        if own:
            free(buf)
        else:
            _buf_busy = False


def send_batch(sock, list packets):
    """Send ``packets`` on the connected ``sock`` in as few system calls as
    the kernel allows; returns how many were sent (fewer when its buffer is
    full, the rest to be sent later).

    :raises OSError: the first packet could not be sent (BlockingIOError when
        the buffer is full, ECONNREFUSED after an ICMP port unreachable ...).
    """
    cdef int fd = sock.fileno()
    cdef Py_ssize_t total = len(packets)
    cdef Py_ssize_t done = 0
    cdef int n, i, chunk
    cdef bytes packet
    if total == 0:
        return 0
    cdef mmsghdr msgs[SEND_MAX]
    cdef iovec iov[SEND_MAX]
    while done < total:
        chunk = SEND_MAX if total - done > SEND_MAX else <int>(total - done)
        memset(msgs, 0, chunk * sizeof(mmsghdr))
        for i in range(chunk):
            packet = packets[done + i]
            iov[i].iov_base = <char *>packet
            iov[i].iov_len = len(packet)
            msgs[i].msg_hdr.msg_iov = &iov[i]
            msgs[i].msg_hdr.msg_iovlen = 1
        # the GIL stays held: MSG_DONTWAIT never blocks, and the list keeps
        # the packets alive only while no other thread can change it
        n = sendmmsg(fd, msgs, chunk, MSG_DONTWAIT)
        if n < 0:
            if errno == EINTR:
                continue
            if done:
                return done
            if errno == EAGAIN:
                raise BlockingIOError(errno, "send buffer full")
            raise OSError(errno, _strerror(errno))
        done += n
        if n < chunk:
            return done
    return done


cdef str _strerror(int code):
    import os
    return os.strerror(code)
