"""The garbage collector tuned for a bulk run: :func:`tuned_gc`."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["GC_THRESHOLD", "tuned_gc"]

#: The collector's first threshold inside :func:`tuned_gc` (CPython's default: 700).
GC_THRESHOLD = 50_000


@contextlib.contextmanager
def tuned_gc(threshold: int = GC_THRESHOLD) -> Iterator[None]:
    """Tune the garbage collector for a bulk run, for the duration of the
    ``with`` block (``aioresolve bulk`` runs inside one; the settings are
    process-wide, so it is the program's choice, never the library's).

    What exists when the block starts is frozen (:func:`gc.freeze`: never
    traversed again), and the young generation is collected every
    ``threshold`` allocations instead of 700.  A run's objects die by
    reference counting (almost none in cycles), yet at 700 the collector runs
    hundreds of times per 100k names, each time traversing what is in flight:
    100k names against knot on the shared 2-core box, the collector's own CPU
    time (``gc.callbacks``): ~500 collections, 5-8 µs per name; inside the
    block, none after start-up (``python -m benchmarks.bench_bulk_stages``,
    stages ``many+jsonl`` and ``many+jsonl+gc``).  Cycles are still
    collected, later: at most about ``threshold`` objects wait for it.  On
    leaving, the previous thresholds come back and the frozen objects are
    unfrozen, unless something was frozen before the block: the collector
    cannot unfreeze only some objects, and unfreezing would undo a program's
    own :func:`gc.freeze` (a pre-forking server's, say), so then what the
    block froze stays frozen.  CPython 3.12 starts with a few hundred
    objects frozen (375 for 3.12.1 here; 0 for 3.10, 3.11 and 3.13), so there
    that is always the case.  A collector switched off (threshold 0) stays off.

    :param threshold: the first threshold inside the block (at least the current one).
    """
    old = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    if old[0]:
        gc.set_threshold(max(old[0], threshold), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if not frozen_before:
            gc.unfreeze()
