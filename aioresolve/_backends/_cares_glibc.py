"""The glibc-shaped pieces of the c-ares backend's socket-style results.

c-ares reports addresses, CNAMEs and hosts-file aliases in its own shape
(``ares_addrinfo`` nodes and cnames, TTL 0 for hosts-file answers); glibc's
order, alias and canonical-name rules for ``getaddrinfo``,
``gethostbyname_ex`` and ``gethostbyaddr`` are rebuilt from them here, as
pure functions of :mod:`aioresolve._backends.cares`'s results (no I/O).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Sequence
from typing import Any

import pycares

from .. import _config
from . import _glibc

__all__ = [
    "alias_chain", "canonical", "cname_loop", "from_hosts_file", "line_aliases",
    "no_system_search", "select", "text", "ttl_of", "unique",
]


def text(value: str | bytes) -> str:
    return value.decode("ascii") if isinstance(value, bytes) else value


def unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def from_hosts_file(result: Any) -> bool:
    """c-ares gives hosts-file answers TTL 0 (a DNS answer with TTL 0 everywhere
    is read the same way; its aliases then come out in hosts-file style)."""
    return bool(result.cnames) and all(
        item.ttl == 0 for item in [*result.cnames, *result.nodes]
    )


def ttl_of(result: Any) -> float | None:
    """The smallest TTL of the addresses and CNAMEs; ``None`` when every one
    is 0, as c-ares reports hosts-file answers (a DNS answer of TTL 0 then
    counts as unknown too: cached only under a configured ``fixed_ttl``)."""
    ttls = [item.ttl for item in [*result.cnames, *result.nodes]]
    if not ttls or not any(ttls):
        return None
    return float(min(ttls))


def cname_loop(name: str, answer: Sequence[Any]) -> bool:
    """Whether the CNAME records of an answer section lead from ``name`` back to itself."""
    hops = {r.name.lower().rstrip("."): r.data.cname.lower().rstrip(".")
            for r in answer if r.type == pycares.QUERY_TYPE_CNAME}
    current, seen = name.lower().rstrip("."), set()
    while current in hops:
        if current in seen:
            return True
        seen.add(current)
        current = hops[current]
    return False


def line_aliases(address: str, name: str, merged: list[str]) -> list[str]:
    """The aliases of the hosts-file line of ``address`` (glibc's), where c-ares
    merges those of every line of the name: ``gethostbyaddr("127.0.0.1")`` is
    ``("localhost", [], ...)`` in glibc although ``::1`` has aliases too."""
    try:
        wanted = ipaddress.ip_address(address)
    except ValueError:
        return merged
    for line_address, line_name, aliases in _config.hosts_entries():
        try:
            same = ipaddress.ip_address(line_address.partition("%")[0]) == wanted
        except ValueError:
            continue
        if same and line_name == name:
            return aliases
    return merged


def no_system_search(resolvconf_path: str | None) -> bool:
    """Whether c-ares, reading the system configuration, has no search domain
    to append: none in resolv.conf (``search``/``domain``), none in
    ``LOCALDOMAIN``, and a host name without a domain (c-ares' fallback)."""
    if os.environ.get("LOCALDOMAIN", "").strip():
        return False
    if _config.search_domains(resolvconf_path):
        return False
    return "." not in socket.gethostname()


def alias_chain(name: str, cnames: Sequence[Any]) -> list[str]:
    """The names of the CNAME chain from ``name`` (glibc's ``h_aliases``)."""
    hops = {c.alias.lower(): c.name for c in cnames}
    chain, current = [], name
    while current.lower() in hops and current not in chain:
        chain.append(current)
        current = hops[current.lower()]
    return chain


def canonical(name: str, cnames: Sequence[Any]) -> str:
    hops = {c.alias.lower(): c.name for c in cnames}
    current, seen = name, set()
    while current.lower() in hops and current.lower() not in seen:
        seen.add(current.lower())
        current = hops[current.lower()]
    return current


def select(nodes: Sequence[Any], family: int, flags: int) -> list[_glibc.Addr]:
    """(family, address parts) of each address in c-ares' order, v4-mapped as glibc does."""
    found: list[_glibc.Addr] = list(dict.fromkeys(
        (socket.AF_INET, (text(n.addr[0]),)) if n.family == socket.AF_INET
        else (socket.AF_INET6, (text(n.addr[0]), n.addr[2], n.addr[3]))
        for n in nodes
    ))
    if family == socket.AF_UNSPEC:
        return found
    v6 = [a for a in found if a[0] == socket.AF_INET6]
    if family == socket.AF_INET:
        return [a for a in found if a[0] == socket.AF_INET]
    if not flags & socket.AI_V4MAPPED or (v6 and not flags & socket.AI_ALL):
        return v6
    mapped: list[_glibc.Addr] = [(socket.AF_INET6, (f"::ffff:{a[1][0]}", 0, 0))
              for a in found if a[0] == socket.AF_INET]
    return mapped + v6

