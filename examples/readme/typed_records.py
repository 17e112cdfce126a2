"""Typed record queries: ``query(name, "MX")`` is an ``Answer[MX]``.

Checked by ``mypy --strict`` (tests/test_typing.py), including the
``assert_type`` lines, which fail the check if an overload drifts.
"""

from __future__ import annotations

import sys

from aioresolve import Resolver
from aioresolve.records import MX, PTR, SOA, SRV, TXT, A, Answer, Record

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover
    from typing_extensions import assert_type


async def mail_servers(resolver: Resolver, domain: str) -> list[str]:
    """The MX hosts of ``domain``, most preferred first."""
    answer: Answer[MX] = await resolver.query(domain, "MX")
    return [mx.exchange for mx in sorted(answer, key=lambda mx: mx.priority)]


async def endpoints(resolver: Resolver, service: str) -> list[tuple[str, int]]:
    """SRV targets in RFC 2782 order (priority, then weight)."""
    answer = await resolver.query(service, "SRV")
    return [(r.target, r.port) for r in sorted(answer, key=lambda r: (r.priority, -r.weight))]


async def spf(resolver: Resolver, domain: str) -> str | None:
    for record in await resolver.query(domain, "TXT"):
        if record.text.startswith("v=spf1"):
            return record.text
    return None


async def any_type(resolver: Resolver, name: str, rtype: str) -> list[Record]:
    """A type chosen at run time gives Answer[Record]: narrow with isinstance."""
    answer = await resolver.query(name, rtype)
    return [r for r in answer if not isinstance(r, SOA)]


async def types_the_checker_sees(resolver: Resolver) -> None:
    assert_type(await resolver.query("example.test"), Answer[A])
    assert_type(await resolver.query("example.test", "MX"), Answer[MX])
    assert_type(await resolver.query("_x._tcp.example.test", "SRV"), Answer[SRV])
    assert_type(await resolver.query("example.test", "TXT"), Answer[TXT])
    assert_type(await resolver.query("example.test", 15), Answer[Record])
    assert_type(await resolver.reverse("192.0.2.1"), Answer[PTR])

