"""Batched UDP I/O for the wire engine, in pure Python: the fallback of
:mod:`aioresolve._dns._udp_c` (same functions, same errors), one ``recv`` /
``send`` per datagram.  :mod:`aioresolve._dns._speedups` picks one.
"""

from __future__ import annotations

import socket

__all__ = ["recv_batch", "send_batch"]


def recv_batch(sock: socket.socket, count: int, size: int) -> tuple[list[bytes], int]:
    """Up to ``count`` datagrams waiting on the connected ``sock`` (each cut
    at ``size`` bytes): ``(datagrams, wrong_source)``, where ``wrong_source``
    counts those dropped for not coming from the socket's peer.

    Here always 0: a connected UDP socket receives only from its peer (POSIX
    ``connect()``: it "limits the remote sender for subsequent recv()"; Linux,
    the BSDs and Windows drop the others in the kernel, which
    ``tests/test_compiled.py`` checks with a spoofer), so this twin reads
    with ``recv``, without the address: ``recvfrom`` and its address tuple
    cost ~1.2 µs more a datagram, and a ``getpeername`` per call ~2 µs.  The
    compiled twin gets the addresses from ``recvmmsg`` for free and checks them.

    :raises BlockingIOError: nothing is waiting.
    :raises OSError: the socket's pending error (e.g. ECONNREFUSED).
    """
    out: list[bytes] = []
    recv = sock.recv
    for _ in range(min(count, 256)):
        try:
            out.append(recv(size))
        except (BlockingIOError, InterruptedError):
            if out:
                break
            raise
        except OSError:
            if out:
                break  # reported by the next call, after these are handled
            raise
    return out, 0


def send_batch(sock: socket.socket, packets: list[bytes]) -> int:
    """Send ``packets`` on the connected ``sock``; returns how many were sent
    (fewer when its buffer is full).

    :raises OSError: the first packet could not be sent (BlockingIOError when
        the buffer is full, ECONNREFUSED after an ICMP port unreachable ...).
    """
    send = sock.send
    done = 0
    for packet in packets:
        try:
            send(packet)
        except OSError:
            if done:
                return done
            raise
        done += 1
    return done
