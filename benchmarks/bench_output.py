"""What the ``aioresolve bulk`` line writer costs per result, before and after orjson.

Run from the repository root::

    python -m benchmarks.bench_output [--results 200000] [--repeat 5]

It formats N synthetic results (90% one A record, 5% NXDOMAIN with a negative
TTL, 5% two MX records: the shape of a typical bulk run) and writes them to
/dev/null, for each format, with:

* ``before``: the writer as it was (``Result.to_json()``, stdlib :mod:`json`,
  one ``str`` per line encoded at flush; CSV through one ``csv.writer.writerow``
  plus a ``getvalue``/``truncate`` per row);
* ``write()``: :class:`aioresolve._cli_output.Writer`, one result at a time
  (orjson straight to bytes where installed; CSV rows batched in one buffer);
* ``write_batch()``: the same writer, handed lists of 64 results as the CLI
  hands it the run's batches (one encode per list: orjson per line and one
  join, one ``csv.writer.writerows``, one join of text lines).

It prints microseconds per result (best of ``--repeat``, interleaved, CPU
time) and the speed-up of ``write_batch`` over ``before``, and checks first
that all three give the same bytes.  No DNS, no network: it measures
formatting alone (the CLI spends the rest in the engine).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from collections.abc import Callable

from aioresolve._cli_output import Writer, orjson
from aioresolve._records import MX, SOA, A
from aioresolve.bulk import CSV_FIELDS, Result, Status


def make_results(count: int) -> list[Result]:
    soa = SOA(60, "ns1.bulk.test", "hostmaster.bulk.test", 1, 3600, 600, 86400, 60)
    results = []
    for i in range(count):
        name = f"h{i}.bulk.test"
        if i % 20 == 0:
            results.append(Result(i, name, name, "A", Status.NXDOMAIN, ttl=60, soa=soa,
                                  error=f"name does not exist for {name!r} (A) from "
                                        "127.0.0.1:5353", attempts=1, elapsed=0.00123,
                                  server="127.0.0.1:5353"))
        elif i % 20 == 1:
            results.append(Result(i, name, name, "MX", Status.NOERROR,
                                  (MX(300, 10, "mail1.bulk.test"), MX(300, 20, "mail2.bulk.test")),
                                  name, 300, attempts=1, elapsed=0.00234, server="127.0.0.1:5353"))
        else:
            results.append(Result(i, name, name, "A", Status.NOERROR,
                                  (A(300, f"198.18.{i >> 8 & 255}.{i & 255}"),), name, 300,
                                  attempts=1, elapsed=0.0019, server="127.0.0.1:5353"))
    return results


class BeforeWriter:
    """The writer as it was before orjson (copied from the old ``aioresolve._cli``)."""

    batch_bytes = 64 * 1024
    batch_seconds = 0.25

    def __init__(self, fd: int, fmt: str) -> None:
        self.fd, self.fmt = fd, fmt
        self._since = time.monotonic()
        self._parts: list[str] = []
        self._size = 0
        self._csv_buffer = io.StringIO()
        self._csv = csv.writer(self._csv_buffer, lineterminator="\n")
        if fmt == "csv":
            self._csv.writerow(CSV_FIELDS)
            self._take_csv()

    def _take_csv(self) -> None:
        line = self._csv_buffer.getvalue()
        self._csv_buffer.seek(0)
        self._csv_buffer.truncate()
        self._add(line)

    def _add(self, line: str) -> None:
        self._parts.append(line)
        self._size += len(line)

    def write(self, result: Result) -> None:
        if self.fmt == "jsonl":
            self._add(result.to_json() + "\n")
        elif self.fmt == "csv":
            self._csv.writerow(result.csv_row())
            self._take_csv()
        else:
            detail = result.data_text() if result.ok else (result.error or "")
            self._add(f"{result.input}\t{result.status.value}\t{detail}\n")
        if self._size >= self.batch_bytes or time.monotonic() - self._since > self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        self._since = time.monotonic()
        if self._parts:
            os.write(self.fd, "".join(self._parts).encode("utf-8", "surrogateescape"))
            self._parts.clear()
            self._size = 0


BATCH = 64  #: results per list handed to write_batch (the stream's batches are up to this)


def run(make: Callable[[int], object], results: list[Result], fd: int,
        batched: bool = False) -> float:
    writer = make(fd)
    started = time.process_time()
    if batched:
        write_batch = writer.write_batch  # type: ignore[attr-defined]
        for start in range(0, len(results), BATCH):
            write_batch(results[start:start + BATCH])
    else:
        write = writer.write  # type: ignore[attr-defined]
        for result in results:
            write(result)
    writer.flush()  # type: ignore[attr-defined]
    return time.process_time() - started


def output_bytes(make: Callable[[int], object], results: list[Result],
                 batched: bool = False) -> bytes:
    read, write = os.pipe()
    chunks = []
    writer = make(write)
    step = BATCH if batched else 1
    for start in range(0, len(results), step):
        if batched:
            writer.write_batch(results[start:start + step])  # type: ignore[attr-defined]
        else:
            writer.write(results[start])  # type: ignore[attr-defined]
        writer.flush()  # type: ignore[attr-defined]
        chunks.append(os.read(read, 1 << 20))
    os.close(read)
    os.close(write)
    return b"".join(chunks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = make_results(args.results)
    fd = os.open(os.devnull, os.O_WRONLY)
    print(f"{args.results:,} results, best of {args.repeat}; orjson "
          f"{'installed' if orjson is not None else 'NOT installed (stdlib json)'}; "
          f"Python {sys.version.split()[0]}\n")
    print("| format | before µs/result | write() µs/result | write_batch() µs/result "
          "| speed-up |")
    print("|---|---:|---:|---:|---:|")
    for fmt in ("jsonl", "csv", "text"):
        def before(fd: int, fmt: str = fmt) -> object:
            return BeforeWriter(fd, fmt)

        def after(fd: int, fmt: str = fmt) -> object:
            return Writer(fd, fmt, header=True)

        sample = results[:200]
        if fmt != "text":  # text now escapes TAB/newline: same bytes only for plain inputs
            assert output_bytes(before, sample) == output_bytes(after, sample), fmt
        assert output_bytes(after, sample) == output_bytes(after, sample, batched=True), fmt
        old = new = batch = float("inf")
        for _ in range(args.repeat):  # interleaved: a busy moment of the box hits all three
            old = min(old, run(before, results, fd))
            new = min(new, run(after, results, fd))
            batch = min(batch, run(after, results, fd, batched=True))
        per = 1e6 / len(results)
        print(f"| {fmt} | {old * per:.2f} | {new * per:.2f} | {batch * per:.2f} "
              f"| {old / batch:.2f}x |")
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
