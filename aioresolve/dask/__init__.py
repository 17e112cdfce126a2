"""Bulk resolution on a Dask cluster, with exactly one record per input.

Needs the ``dask`` extra (``pip install 'aioresolve[dask]'``: ``dask`` and
``distributed``).  Each partition of the input runs
:func:`aioresolve.resolve_many` on a worker (one event loop per task) with
the options of a single-process run; what comes out is the same records,
only from several processes or machines.

* :func:`resolve_files`: text files (one name per line, blank and ``#``
  lines skipped exactly as ``resolve_many`` skips them) into a *run
  directory* of atomically written partition files and a manifest; worker
  crashes, Dask's retries and ``resume=True`` after the whole run died never
  double or lose a record.  One combined JSONL/CSV/text output in input
  order, or the per-partition files.
  Several record types at once, and PTR sweeps of networks (cut into
  partitions by address range, generated on the workers).
* :func:`resolve_bag` / :func:`resolve_names`: a Dask bag or any iterable
  of names into a lazy bag of result dicts
  (``bag.to_dataframe(meta=RECORD_DTYPES)`` where pandas is installed); in
  memory, nothing to resume.
* :func:`read_bag` / :func:`read_dataframe`: a finished JSONL run directory
  as a bag of dicts, or a dataframe.

See ``docs/dask.md`` for the run directory, resume and what a crash costs.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

from ._bag import resolve_bag, resolve_iterable
from ._manifest import Manifest, RunMismatch
from ._partition import MAX_NETWORK_ADDRESSES, NetworkTooLarge
from ._run import DEFAULT_PARTITION_NAMES, RunSummary, combine_parts, plan_run
from ._run import resolve_files as _resolve_files

__all__ = [
    "DEFAULT_PARTITION_NAMES",
    "MAX_NETWORK_ADDRESSES",
    "RECORD_COLUMNS",
    "RECORD_DTYPES",
    "NetworkTooLarge",
    "RunMismatch",
    "RunSummary",
    "combine",
    "local_client",
    "plan_run",
    "read_bag",
    "read_dataframe",
    "resolve_bag",
    "resolve_files",
    "resolve_names",
]


#: The keys of every record dict (the JSONL schema of
#: :meth:`aioresolve.Result.to_dict`, ``docs/output.md``), in order: the
#: columns of :func:`read_dataframe` and of ``bag.to_dataframe(meta=RECORD_DTYPES)``.
RECORD_COLUMNS = ("index", "input", "name", "type", "status", "addresses", "records", "ttl",
                  "canonical_name", "error", "attempts", "elapsed_ms", "server")

#: The pandas dtype of each of :data:`RECORD_COLUMNS`: pass it as
#: ``bag.to_dataframe(meta=RECORD_DTYPES)``.  Without it Dask guesses the
#: dtypes from the first record, and a ``ttl`` that is ``null`` in a later
#: partition (a failed lookup) fails the cast; here ``ttl`` is the nullable
#: ``Int64``, text columns and the lists (``addresses``, ``records``) ``object``.
RECORD_DTYPES: dict[str, str] = {
    "index": "int64", "input": "object", "name": "object", "type": "object",
    "status": "object", "addresses": "object", "records": "object", "ttl": "Int64",
    "canonical_name": "object", "error": "object", "attempts": "int64",
    "elapsed_ms": "float64", "server": "object",
}


def resolve_files(client: Any, paths: Any, run_dir: Any, **kwargs: Any) -> RunSummary:
    """Resolve the names of text files on ``client``'s workers into ``run_dir``.

    Blocks until every partition is finished (or KeyboardInterrupt: the
    tasks are cancelled, the run directory keeps every whole record and
    ``resume=True`` continues it).

    :param client: a :class:`distributed.Client` (every worker must see
        ``paths`` and ``run_dir`` at the same paths: one machine, or a
        shared filesystem).
    :param paths: a file or a list of files, read in order; indexes count
        over all of them.
    :param run_dir: the run directory (created; must not hold another run
        unless ``resume``).
    :keyword output: also combine the partitions into this file, in input
        order (atomically); ``None``: leave the per-partition files
        (:attr:`RunSummary.part_files`, or :func:`combine` later).
    :keyword fmt: ``"jsonl"`` (default), ``"csv"`` or ``"text"``, the
        formats of ``aioresolve bulk``.
    :keyword detail: JSONL only: the full-detail objects of ``aioresolve bulk
        --detail`` (:meth:`~aioresolve.Result.to_detail_dict`).
    :keyword keep: ``"all"`` (default), ``"ok"`` or ``"failed"``: records written.
    :keyword resume: continue the run in ``run_dir`` (same files, unchanged,
        same format and type): finished partitions are skipped, partial
        ones continue after their last checkpoint.
    :keyword partition_names: names per partition (default
        :data:`DEFAULT_PARTITION_NAMES`).
    :keyword retries: Dask retries of a partition that raised (a worker that
        dies is retried by the scheduler itself).
    :keyword progress: ``progress(done, total, counts)``, called every ``poll``
        seconds: names done by this call, names this call has to do, and its
        counts per :class:`~aioresolve.Status`.
    :keyword options: :func:`aioresolve.resolve_many`'s ``rtype`` (one
        type, or a sequence: one record per input and type; with ``"PTR"``
        networks such as ``192.0.2.0/24`` stand for their addresses, as in
        ``aioresolve bulk``), ``concurrency`` (per worker task), ``timeout``, ``attempts``,
        ``retry_on``, ``qps`` (for the whole run: split over the tasks running
        at once), ``backend``, ``nameservers``.
    :raises RunMismatch: ``run_dir`` holds another run, or resuming with
        other inputs (changed size or mtime), format or types.
    :raises NetworkTooLarge: a PTR run's network holds more than
        :data:`MAX_NETWORK_ADDRESSES` addresses.
    """
    return _resolve_files(client, paths, run_dir, **kwargs)


def resolve_names(names: Iterable[Any], *,
                  partition_names: int = DEFAULT_PARTITION_NAMES, **options: Any) -> Any:
    """Resolve an iterable of names (held in memory) as a Dask bag of
    result dicts; see :func:`resolve_bag`.  Compute it with the client you
    want (``client.compute(bag)`` or ``bag.compute()`` under a default client)."""
    return resolve_iterable(names, partition_names=partition_names, **options)


def combine(run_dir: str | os.PathLike[str], output: str | os.PathLike[str]) -> None:
    """Combine a finished run directory's partitions into ``output``, in
    input order (atomically).  :raises ValueError: a partition is unfinished."""
    manifest = Manifest.read(os.fspath(run_dir))
    missing = [p.number for p in manifest.partitions
               if p.number not in manifest.scan_done()]
    if missing:
        raise ValueError(f"{run_dir}: partitions {missing[:10]} are not finished: resume first")
    combine_parts(manifest, os.fspath(output))


def read_bag(run_dir: str | os.PathLike[str]) -> Any:
    """A finished JSONL run directory's records as a Dask bag of dicts, in input order."""
    db: Any = importlib.import_module("dask.bag")
    manifest = Manifest.read(os.fspath(run_dir))
    if manifest.format != "jsonl":
        raise ValueError(f"{run_dir} holds {manifest.format}, not jsonl")
    files = [manifest.final_path(p.number) for p in manifest.partitions]
    return db.read_text(files, errors="surrogateescape").map(json.loads)


def read_dataframe(run_dir: str | os.PathLike[str]) -> Any:
    """A finished JSONL run directory's records as a Dask dataframe (needs
    pandas: ``pip install 'dask[dataframe]'``): one row per record, the
    columns :data:`RECORD_COLUMNS` with the dtypes :data:`RECORD_DTYPES`,
    partitions in input order (each partition's row labels start at 0: the
    ``index`` column is the record's index in the whole input)."""
    return read_bag(run_dir).to_dataframe(meta=RECORD_DTYPES)


@contextlib.contextmanager
def local_client(workers: int, **cluster_options: Any) -> Iterator[Any]:
    """A :class:`distributed.Client` on a new ``LocalCluster`` of ``workers``
    worker processes, one thread each, listening on 127.0.0.1 only, no
    dashboard, and without the workers' statistical profiler (it samples
    every thread's stack every 10 ms: ~10% of a resolving worker's CPU on
    the 2-core box); both closed on exit."""
    distributed: Any = importlib.import_module("distributed")  # loads its config first
    config: Any = importlib.import_module("dask.config")
    options: dict[str, Any] = {"n_workers": workers, "threads_per_worker": 1,
                               "processes": True, "host": "127.0.0.1",
                               "dashboard_address": None}
    options.update(cluster_options)
    with config.set({"distributed.worker.profile.enabled": False}), \
            distributed.LocalCluster(**options) as cluster, distributed.Client(cluster) as client:
        yield client
