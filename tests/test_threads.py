"""Several event loops in one process, each in its own thread, each with its
own wire engine: what a multi-threaded Dask worker, trio's private asyncio
loop (the bridge) and a service with a loop per thread all do.

The compiled batched I/O once kept its receive buffers in module globals and
released the GIL around ``recvmmsg``: a second thread could free or refill
them while the kernel wrote into them (a bus error about one run in three).
Every result must be the one its own thread asked for, in every thread, on
both the compiled and the pure path.
"""

from __future__ import annotations

import asyncio
import threading

from aioresolve.bulk import Status, resolve_many
from tests.rig import zone as z
from tests.rig.servers import KnotServer

THREADS = 4
NAMES = 2_500  # THREADS * NAMES within the bulk zone (BULK_DEFAULT_COUNT)


def _run(server: str, offset: int, out: dict[int, list[tuple[str, list[str]]]],
         errors: list[BaseException]) -> None:
    names = [z.bulk_name(offset + i) for i in range(NAMES)]

    async def main() -> list[tuple[str, list[str]]]:
        got = []
        async with resolve_many(names, nameservers=[server], concurrency=200,
                                timeout=2, attempts=4) as run:
            async for batch in run.batches():
                got.extend((r.input, r.addresses) for r in batch if r.status is Status.NOERROR)
        return got

    try:
        out[offset] = asyncio.run(main())
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)


def test_engines_in_several_threads_keep_their_own_answers(knot: KnotServer) -> None:
    out: dict[int, list[tuple[str, list[str]]]] = {}
    errors: list[BaseException] = []
    for _ in range(3):  # the race needed a few runs to show
        out.clear()
        threads = [threading.Thread(target=_run, args=(knot.address, k * NAMES, out, errors))
                   for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        assert all(not t.is_alive() for t in threads)
        for offset, got in out.items():
            expected = {z.bulk_name(offset + i): [z.bulk_address(offset + i)]
                        for i in range(NAMES)}
            assert len(got) >= NAMES * 0.99  # knot may drop a few past the retries
            for name, addresses in got:
                assert addresses == expected[name], name
