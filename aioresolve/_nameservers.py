"""Parsing and printing nameserver addresses (``"ip"``, ``"ip:port"``, ``"[v6]:port"``).

Shared by every backend that is pointed at servers, so that they accept and
report the same forms.  Host names are refused: finding the resolver would
itself need a lookup.
"""

from __future__ import annotations

import ipaddress

__all__ = ["DNS_PORT", "nameserver_text", "parse_nameserver", "read_resolv_conf"]

DNS_PORT = 53


def parse_nameserver(server: str, default_port: int = DNS_PORT) -> tuple[str, int]:
    """``"ip"``, ``"ip:port"`` or ``"[v6]:port"`` → ``(normalised ip, port)``.

    :raises ValueError: not an IP address, or a bad port.
    """
    text = server.strip()
    host, port = text, None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad nameserver {server!r}")
        port = rest[1:] or None
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"nameserver must be an IP address (with optional port): {server!r}"
        ) from None
    if port is None:
        return str(ip), default_port
    if not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"bad nameserver port in {server!r}")
    return str(ip), int(port)


def nameserver_text(ip: str, port: int) -> str:
    """``"ip:port"``, with brackets around an IPv6 address."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def read_resolv_conf(path: str) -> list[str]:
    """The ``nameserver`` lines of a resolv.conf file, in order (zone ids dropped).

    :raises OSError: the file cannot be read.
    """
    servers = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                servers.append(parts[1].partition("%")[0])
    return servers
