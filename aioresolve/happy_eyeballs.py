"""Happy Eyeballs connections (RFC 8305) with addresses from aioresolve.

:func:`start_connection` looks a host's TCP addresses up through an aioresolve
:class:`~aioresolve.Resolver` (its backend, cache and coalescing apply) and
hands them, as ``getaddrinfo`` returned them, to
:func:`aiohappyeyeballs.start_connection`, which interleaves them by family
(RFC 8305 §4: ``interleave`` addresses of the first family, then alternately
one of each) and races the connection attempts ``happy_eyeballs_delay``
seconds apart.  The interleaving is done there, once: aioresolve has no
reordering of its own (an earlier ``interleave_addrinfos`` equalled
aiohappyeyeballs' and asyncio's; handing its output to ``start_connection``
with a delay interleaved twice and undid ``first_address_family_count=2``).

Requires ``aiohappyeyeballs`` (``pip install aiohappyeyeballs``; aiohttp
depends on it already).  asyncio only, as aiohappyeyeballs is.
"""

# The signature includes timeout= (the lookup's deadline), as the resolver's:

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from ._api import Resolver, get_default_resolver
from ._backends.base import AddrInfo

if TYPE_CHECKING:
    from aiohappyeyeballs import SocketFactoryType

__all__ = ["getaddrinfo_tcp", "start_connection"]


async def getaddrinfo_tcp(
    host: str,
    port: int | str | None,
    *,
    family: int = socket.AF_UNSPEC,
    resolver: Resolver | None = None,
    timeout: float | None = None,
) -> list[AddrInfo]:
    """``getaddrinfo(host, port, family, SOCK_STREAM)`` through ``resolver``
    (the default resolver when ``None``), in the order the resolver gave them
    (RFC 6724 preference, for the system backend), ready for
    :func:`aiohappyeyeballs.start_connection`.

    :raises socket.gaierror: as :func:`socket.getaddrinfo` does.
    """
    resolver = resolver if resolver is not None else get_default_resolver()
    return await resolver.getaddrinfo(host, port, family, socket.SOCK_STREAM, timeout=timeout)


async def start_connection(
    host: str,
    port: int | str,
    *,
    family: int = socket.AF_UNSPEC,
    resolver: Resolver | None = None,
    happy_eyeballs_delay: float | None = 0.25,
    interleave: int | None = None,
    local_addr: tuple[str, int] | None = None,
    timeout: float | None = None,
    socket_factory: SocketFactoryType | None = None,
) -> socket.socket:
    """A connected TCP socket to ``host``: its addresses from aioresolve,
    raced by :func:`aiohappyeyeballs.start_connection`.

    :param happy_eyeballs_delay: seconds between connection attempts (RFC 8305
        recommends 0.25); ``None`` tries the addresses one after the other.
    :param interleave: RFC 8305's "First Address Family Count": how many
        addresses of the first family come before the first of another;
        ``None`` leaves it to aiohappyeyeballs (1 when a delay is given).
    :param local_addr: ``(host, port)`` to bind to before connecting (numeric host).
    :param timeout: deadline of the address lookup (the connection attempts
        are bounded by the operating system, or by your own deadline around
        this call).
    :param socket_factory: passed on to aiohappyeyeballs.
    :raises socket.gaierror: the lookup failed.
    :raises OSError: no address could be connected (aiohappyeyeballs merges
        the errors of every attempt into one).
    """
    import aiohappyeyeballs

    resolver = resolver if resolver is not None else get_default_resolver()
    infos = await getaddrinfo_tcp(host, port, family=family, resolver=resolver, timeout=timeout)
    local_infos = None
    if local_addr is not None:
        local_infos = await resolver.getaddrinfo(
            local_addr[0], local_addr[1], family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    return await aiohappyeyeballs.start_connection(
        infos,
        local_addr_infos=local_infos,
        happy_eyeballs_delay=happy_eyeballs_delay,
        interleave=interleave,
        socket_factory=socket_factory,
    )
