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

    :raises BlockingIOError: nothing is waiting.
    :raises OSError: the socket's pending error (e.g. ECONNREFUSED).
    """
    peer = sock.getpeername()
    out: list[bytes] = []
    wrong = 0
    recv = sock.recvfrom
    for _ in range(min(count, 256)):
        try:
            data, addr = recv(size)
        except (BlockingIOError, InterruptedError):
            if out or wrong:
                break
            raise
        except OSError:
            if out or wrong:
                break  # reported by the next call, after these are handled
            raise
        if addr[0] != peer[0] or addr[1] != peer[1]:
            wrong += 1
            continue
        out.append(data)
    return out, wrong


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
