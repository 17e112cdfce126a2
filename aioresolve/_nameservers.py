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

    The forms are those of c-ares' server strings and of resolv.conf: an IPv4
    address with an optional ``:port``; an IPv6 address alone (``"::1"``) or
    in brackets, with an optional port after them (``"[::1]"``,
    ``"[::1]:5353"``).  An IPv6 address with a port must be bracketed
    (``dig`` and ``kdig`` take ``-p`` instead; unbound writes ``::1@53``).

    One form is refused as ambiguous: an unbracketed IPv6 address whose last
    group is decimal digits while what comes before that group is itself an
    address, such as ``"::1:53"`` or ``"2001:db8::1:5353"``.  Those are valid
    addresses (``::1:53`` is *not* loopback), but they are far more often a
    port written the IPv4 way, and taking them as addresses would send the
    queries somewhere else without a word.  The message shows both bracketed
    readings; brackets (``"[::1:53]"``) always say "this is the address".

    :raises ValueError: not an IP address, a bad or empty port, or the
        ambiguous form above.
    """
    if not isinstance(server, str):
        raise TypeError(f"nameserver must be a string, not {type(server).__name__}")
    text = server.strip()
    host, port = text, None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad nameserver {server!r}: expected '[ipv6]' or '[ipv6]:port'")
        if rest == ":":
            raise ValueError(f"bad nameserver {server!r}: empty port after ':'")
        port = rest[1:] or None
        if ":" not in host:
            raise ValueError(f"bad nameserver {server!r}: brackets are for IPv6 addresses")
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        ambiguous = _port_suffix(text)
        if ambiguous is not None:
            address, digits = ambiguous
            raise ValueError(
                f"ambiguous nameserver {server!r}: an IPv6 address with a port must be "
                f"bracketed; write '[{address}]:{digits}' for port {digits} of {address}, "
                f"or '[{text}]' for the address {text} itself")
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


def _port_suffix(text: str) -> tuple[str, str] | None:
    """(address, digits) when ``text`` reads as an IPv6 address followed by
    ``:port`` (the last group all decimal digits, what precedes it an address)."""
    head, _, tail = text.rpartition(":")
    if not (tail.isdigit() and 0 < len(tail) <= 5 and head):
        return None
    try:
        ipaddress.IPv6Address(head)
    except ValueError:
        return None
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return None  # not an address at all: the generic message says so
    return head, tail


def nameserver_text(ip: str, port: int) -> str:
    """``"ip:port"``, with brackets around an IPv6 address."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def read_resolv_conf(path: str) -> list[str]:
    """The ``nameserver`` lines of a resolv.conf file, in order (zone ids dropped;
    an IPv6 address that :func:`parse_nameserver` would find ambiguous, such as
    ``2001:db8::1:53``, comes in brackets, since resolv.conf has no ports).

    :raises OSError: the file cannot be read.
    """
    servers = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                address = parts[1].partition("%")[0]
                if _port_suffix(address) is not None:
                    # resolv.conf has no ports: an address that would read as
                    # "address:port" is the address; brackets say so
                    address = f"[{address}]"
                servers.append(address)
    return servers
