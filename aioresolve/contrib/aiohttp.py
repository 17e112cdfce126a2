"""An aiohttp resolver backed by aioresolve: ``TCPConnector(resolver=AioresolveResolver())``.

It gives aiohttp exactly what aiohttp's own ``ThreadedResolver`` gives (the same
``getaddrinfo`` call with ``SOCK_STREAM`` and ``AI_ADDRCONFIG``, the same
``ResolveResult`` dicts, the same ``getnameinfo`` round trip for link-local IPv6
addresses with a scope id, and the same ``socket.gaierror`` on failure), but
resolves through an aioresolve :class:`~aioresolve.Resolver`: its backend
(``"cares"``, ``"wire"`` or a bounded thread pool instead of the loop's default
executor), its TTL cache and its coalescing of identical lookups.

Example::

    from aioresolve import Resolver
    from aioresolve.contrib.aiohttp import AioresolveResolver

    resolver = AioresolveResolver(Resolver("cares", nameservers=["127.0.0.1:5353"]))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver)) as s:
        ...
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult

from .._api import Resolver

__all__ = ["AioresolveResolver"]

# The same constants as aiohttp/resolver.py.
_NUMERIC_SOCKET_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NAME_SOCKET_FLAGS = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
_AI_ADDRCONFIG = socket.AI_ADDRCONFIG
if hasattr(socket, "AI_MASK"):  # pragma: no cover - BSDs
    _AI_ADDRCONFIG &= socket.AI_MASK
_IS_WINDOWS = sys.platform == "win32"


def _is_windows_localhost(host: str) -> bool:
    return _IS_WINDOWS and host.rstrip(".").casefold() == "localhost"


class AioresolveResolver(AbstractResolver):
    """aiohttp's :class:`~aiohttp.abc.AbstractResolver` on top of an aioresolve resolver.

    :param resolver: the :class:`~aioresolve.Resolver` to use; it stays open
        when this adapter is closed (it may be shared).  ``None`` creates a
        resolver from ``resolver_options`` (e.g. ``backend="cares",
        nameservers=[...]``), owned and closed by this adapter.
    """

    def __init__(self, resolver: Resolver | None = None, **resolver_options: Any) -> None:
        if resolver is not None and resolver_options:
            raise TypeError("resolver options cannot be given with a Resolver instance")
        self._owned = resolver is None
        self._resolver = resolver if resolver is not None else Resolver(**resolver_options)

    @property
    def resolver(self) -> Resolver:
        """The aioresolve resolver behind this adapter."""
        return self._resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host`` as aiohttp's ``ThreadedResolver.resolve`` returns them."""
        try:
            infos = await self._resolver.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, family=family, flags=_AI_ADDRCONFIG
            )
        except socket.gaierror:
            if not _is_windows_localhost(host):
                raise
            infos = await self._resolver.getaddrinfo(  # pragma: no cover - Windows
                host, port, type=socket.SOCK_STREAM, family=family, flags=0
            )
        hosts: list[ResolveResult] = []
        for info_family, _, proto, _, address in infos:
            if info_family == socket.AF_INET6:
                if len(address) < 3:
                    continue  # Python built without IPv6 support (as aiohttp skips it)
                if address[3]:
                    # A link-local address with a scope id: let getnameinfo format
                    # it ("fe80::1%eth0"), exactly as aiohttp does.
                    resolved_host, service = await self._resolver.getnameinfo(
                        address, _NAME_SOCKET_FLAGS
                    )
                    resolved_port = int(service)
                else:
                    resolved_host, resolved_port = str(address[0]), int(address[1])
            else:
                resolved_host, resolved_port = str(address[0]), int(address[1])
            hosts.append(
                ResolveResult(
                    hostname=host,
                    host=resolved_host,
                    port=resolved_port,
                    family=info_family,
                    proto=proto,
                    flags=_NUMERIC_SOCKET_FLAGS,
                )
            )
        return hosts

    async def close(self) -> None:
        """Close the resolver if this adapter created it."""
        if self._owned:
            await self._resolver.close()
