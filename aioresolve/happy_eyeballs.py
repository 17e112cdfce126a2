"""Address ordering for Happy Eyeballs connections (RFC 8305).

``getaddrinfo`` returns addresses sorted by RFC 6724 preference, which
usually puts every IPv6 address before every IPv4 one.  A client that tries
them in that order waits out each broken IPv6 path before it tries IPv4.
RFC 8305 §4 asks for the list to be *interleaved* by family instead: the
first ``first_address_family_count`` addresses of the preferred family (the
family of the first address), then alternately one of the other family and
one of the preferred, and so on.

:func:`interleave_addrinfos` does exactly what asyncio's
``loop.create_connection(happy_eyeballs_delay=..., interleave=...)`` and
``aiohappyeyeballs.start_connection(..., interleave=...)`` do internally (a
test checks equality with both), so a list it returns can be handed to
``aiohappyeyeballs.start_connection(addr_infos, happy_eyeballs_delay=0.25)``
or tried in order by your own connection racing.  It never reorders the
addresses within a family, and it does not drop or add any.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Sequence
from typing import TypeVar

from ._api import Resolver, get_default_resolver
from ._backends.base import AddrInfo

__all__ = ["getaddrinfo_interleaved", "interleave_addrinfos"]

InfoT = TypeVar("InfoT", bound=tuple[object, ...])


def interleave_addrinfos(
    addr_infos: Sequence[InfoT], first_address_family_count: int = 1
) -> list[InfoT]:
    """Interleave ``getaddrinfo`` results by address family (RFC 8305 §4).

    :param addr_infos: ``getaddrinfo`` 5-tuples (only element 0, the family, is read).
    :param first_address_family_count: how many addresses of the first family
        come before the first address of another family (RFC 8305 calls it
        "First Address Family Count"; 1 by default, as in asyncio).
    :raises ValueError: ``first_address_family_count`` is below 1.
    """
    if first_address_family_count < 1:
        raise ValueError(
            f"first_address_family_count must be at least 1, not {first_address_family_count}"
        )
    by_family: dict[object, list[InfoT]] = {}
    for info in addr_infos:
        by_family.setdefault(info[0], []).append(info)
    groups = list(by_family.values())
    if not groups:
        return []
    head = groups[0][: first_address_family_count - 1]
    groups[0] = groups[0][first_address_family_count - 1 :]
    rounds = itertools.zip_longest(*groups)
    return head + [info for info in itertools.chain.from_iterable(rounds) if info is not None]


async def getaddrinfo_interleaved(
    host: str,
    port: int | str | None,
    *,
    family: int = socket.AF_UNSPEC,
    first_address_family_count: int = 1,
    resolver: Resolver | None = None,
    timeout: float | None = None,
) -> list[AddrInfo]:
    """The TCP addresses of ``host`` (``getaddrinfo(host, port, family, SOCK_STREAM)``)
    in Happy Eyeballs order, ready for ``aiohappyeyeballs.start_connection``.

    :param resolver: the resolver to use (its cache and coalescing apply);
        the default resolver when ``None``.
    """
    resolver = resolver if resolver is not None else get_default_resolver()
    infos = await resolver.getaddrinfo(
        host, port, family, socket.SOCK_STREAM, timeout=timeout
    )
    return interleave_addrinfos(infos, first_address_family_count)
