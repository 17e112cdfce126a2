"""Lookups under trio's mock clock (``trio.testing.MockClock``).

What ``docs/services.md`` says of trio's autojump clock, checked against the
rig's knotd: a wire lookup waits on the resolver's bridge thread, which trio
cannot see, so with ``autojump_threshold=0`` trio thinks every task is idle
and jumps the clock to the next deadline at once (a ``timeout=`` expires
before the answer can come); with a small positive threshold the clock jumps
only after that much real time without activity, and the answer comes first.
The system backend's libc calls (trio's worker threads) behave the same.
"""

from __future__ import annotations

import pytest
import trio
import trio.testing

from aioresolve import Resolver, Timeout
from tests._services_server import ZONE, Knot


def _query_with_timeout(address: str, clock: trio.testing.MockClock) -> list[str]:
    async def main() -> list[str]:
        async with Resolver("wire", nameservers=[address], cache=False) as resolver:
            answer = await resolver.query(f"a.{ZONE}", "A", timeout=5)
            return answer.addresses

    result: list[str] = trio.run(main, clock=clock)
    return result


def test_positive_autojump_threshold_lets_the_answer_come(svc_knot: Knot) -> None:
    before = svc_knot.queries()
    clock = trio.testing.MockClock(autojump_threshold=3)
    assert _query_with_timeout(svc_knot.address, clock) == ["192.0.2.1"]
    assert svc_knot.queries() - before == 1


def test_zero_autojump_threshold_expires_deadlines_at_once(svc_knot: Knot) -> None:
    # The documented pitfall, pinned: the mock clock jumps the 5 s deadline
    # while the query is on the wire (the bridge thread is invisible to trio).
    clock = trio.testing.MockClock(autojump_threshold=0)
    with pytest.raises(Timeout, match=r"timed out after 5s"):
        _query_with_timeout(svc_knot.address, clock)


def test_zero_autojump_threshold_without_deadline_still_answers(svc_knot: Knot) -> None:
    # No deadline to jump to: the lookup simply waits for the bridge's answer.
    async def main() -> list[str]:
        async with Resolver("wire", nameservers=[svc_knot.address], cache=False) as resolver:
            return (await resolver.query(f"a.{ZONE}", "A")).addresses

    clock = trio.testing.MockClock(autojump_threshold=0)
    assert trio.run(main, clock=clock) == ["192.0.2.1"]
