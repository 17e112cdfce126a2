"""Resolving a Dask bag (or any iterable, made into one): one
:func:`aioresolve.resolve_many` per partition, results as a bag of the JSONL
schema's dicts with global indexes.

A bag's results live in Dask's memory, so a retried partition simply
recomputes (a task's result is kept once); for resumable runs of files use
:func:`aioresolve.dask.resolve_files`.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
from collections.abc import Iterable
from typing import Any

from ..bulk import resolve_many

__all__ = ["resolve_bag", "resolve_iterable"]


def _as_list(items: Iterable[Any]) -> list[Any]:
    return list(items)


def _offsets(lengths: list[int]) -> list[int]:
    return list(itertools.accumulate([0, *lengths[:-1]]))


async def _resolve(items: list[Any], offset: int, options: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with resolve_many(items, ordered=True, **options) as run:
        async for result in run:
            data = result.to_dict()
            data["index"] = result.index + offset
            out.append(data)
    return out


def _resolve_partition(items: list[Any], offsets: list[int], number: int,
                       options: dict[str, Any]) -> list[dict[str, Any]]:
    return asyncio.run(_resolve(items, offsets[number], options))


def resolve_bag(bag: Any, **options: Any) -> Any:
    """Resolve every item of a :class:`dask.bag.Bag` of names; a lazy bag of
    result dicts (the JSONL schema of :meth:`aioresolve.Result.to_dict`),
    one per item, in input order, ``index`` counting over the whole bag.

    Items are taken as :func:`~aioresolve.resolve_many` takes the items of
    an iterable: none is skipped (a blank item gets ILLEGAL_INPUT).  The
    bag's partitions are computed once each (then counted, for the global
    indexes, and resolved).

    :param bag: the names.
    :param options: :func:`~aioresolve.resolve_many`'s options (``rtype``,
        ``nameservers``, ``concurrency``, ``timeout``, ``attempts``, ``qps``
        (per partition here), ...).
    """
    db: Any = importlib.import_module("dask.bag")
    delayed: Any = importlib.import_module("dask.delayed").delayed

    parts = [delayed(_as_list)(p) for p in bag.to_delayed()]
    lengths = [delayed(len)(p) for p in parts]
    offsets = delayed(_offsets)(lengths)
    return db.from_delayed([
        delayed(_resolve_partition, pure=False)(p, offsets, n, options)
        for n, p in enumerate(parts)
    ])


def resolve_iterable(names: Iterable[Any], *, partition_names: int, **options: Any) -> Any:
    """:func:`resolve_bag` of an iterable (held in memory, cut into
    partitions of ``partition_names`` items)."""
    db: Any = importlib.import_module("dask.bag")
    items = list(names)
    npartitions = max(1, -(-len(items) // partition_names))
    return resolve_bag(db.from_sequence(items, npartitions=npartitions), **options)
