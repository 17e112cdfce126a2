"""The CLI's JSON lines written straight from the stream's results: the
pure-Python twin (the reference of ``_lines_c.pyx``; :mod:`aioresolve.bulk._lines`
picks one).

``aioresolve bulk`` (jsonl, the default form) spends most of its own time
making a :class:`~aioresolve.bulk.Result` per name and then a dict per
result for orjson (``BulkRun._results`` + ``Result.to_dict`` + ``orjson.dumps``:
about 7 us a name in a live run on the shared 2-core box, more memory
traffic than encoding).  :func:`jsonl_batch` writes the line of the common
results directly from the :class:`~aioresolve._dns.stream.StreamResult`
tuple, one f-string each, byte for byte what ``json_line(result.to_dict())``
gives (``tests/test_lines.py`` checks it against that reference on the
golden results and on generated ones):

- an :class:`~aioresolve.Answer` whose records are all A or AAAA;
- a lookup that failed with a :class:`~aioresolve.ResolveError` whose
  status is known (NXDOMAIN, NODATA, SERVFAIL, TIMEOUT...).

Everything else (other record types, ILLEGAL_INPUT, CANCELLED, a backend
that does not give the server or the canonical name, odd attribute types)
goes to ``slow(result)``, the reference path, in its place in the batch.

The strings written unquoted-checked (input, names, server, messages) need
no JSON escape in the common case.  Instead of testing each, the batch is
checked once: its text is ASCII (an O(1) flag of ``str``), and once encoded,
deleting every ``"``, ``\\`` and control byte (one ``bytes.translate`` over
the batch) removes exactly the quotes the templates wrote plus the
newlines.  A batch that fails is checked line by line, and the lines that
fail go to ``slow``: a name with a quote, a backslash, a control character,
a lone surrogate (an input that was not UTF-8) or any non-printable
character is written by the reference encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._dns.stream import Cancelled, StreamResult
from .._errors import ResolveError
from .._records import AAAA, A, Answer
from ._result import _STATUS_OF_TYPE, _STATUS_TEXT, Status

__all__ = ["ONLY_ALL", "ONLY_FAILED", "ONLY_OK", "csv_batch", "elapsed_text", "jsonl_batch",
           "text_batch"]

#: ``only`` of :func:`jsonl_batch`: every result, NOERROR only, all but NOERROR.
ONLY_ALL, ONLY_OK, ONLY_FAILED = 0, 1, 2

#: Bytes that JSON escapes (``"``, ``\\``, U+0000-U+001F): the templates'
#: own quotes and newlines are all a clean batch holds of them.
_SPECIAL = b'"\\' + bytes(range(32))

# The quotes each template writes when none of its strings holds one (a test
# renders every template and counts them).
#: an answer of one A/AAAA record (an unknown server: 2 fewer, as for errors)
_Q_ONE = 50
#: an answer of several A/AAAA records: the same less one record, plus per record
_Q_PER_RECORD = 12
_Q_MANY_BASE = _Q_ONE - _Q_PER_RECORD
#: a failed lookup whose server is known (unknown: 2 fewer)
_Q_ERROR = 38


def elapsed_text(elapsed: float) -> str:
    """``repr(round(elapsed * 1000, 3))`` (what the JSON encoders write for
    ``elapsed_ms``), cheaper: the correctly rounded ``%.3f`` less its trailing
    zeros is the same text for 0 <= ms < 1e9 (checked on 5 million values,
    every tie k/2000 below 1000 among them; tests/test_lines.py checks a
    sample); 0.29 against 0.98 us (timeit, shared box)."""
    ms = elapsed * 1000
    if type(ms) is float and 0.0 <= ms < 1e9:  # (an int prints without decimals)
        text = f"{ms:.3f}".rstrip("0")
        return text + "0" if text[-1] == "." else text
    return repr(round(ms, 3))


def jsonl_batch(raw: Sequence[StreamResult | bytes], per: int, counts: dict[Status, int], only: int,
                slow: Callable[[StreamResult], bytes | None]) -> tuple[bytes, int]:
    """The JSONL bytes of ``raw`` (in order) and how many lines they hold.

    :param raw: stream results, as ``BulkRun._raw_batches`` hands them out,
        among them a NOERROR result's finished line (``bytes``) where the
        compiled core wrote it (``Stream(render="jsonl")``): copied as it is.
    :param per: record types asked per input (an index is divided by it).
    :param counts: results per status, incremented here for every result
        this function writes or filters (``slow`` counts its own).
    :param only: :data:`ONLY_ALL`, :data:`ONLY_OK` or :data:`ONLY_FAILED`.
    :param slow: the line of a result this path does not write (the
        reference: a ``Result``, its ``to_dict`` and the JSON encoder), or
        ``None`` when it is filtered out; it counts the result's status.
    """
    lines: list[str] = []
    quotes: list[int] = []
    items: list[StreamResult] = []
    statuses: list[Status] = []
    status_of = _STATUS_OF_TYPE.get
    status_text = _STATUS_TEXT
    noerror = Status.NOERROR
    expected = 0
    # A line written by ``slow`` ends the run of fast lines before it: those
    # are checked and encoded, then its bytes follow (a rare case).
    out: list[bytes] = []
    written = 0
    res: Any
    for r in raw:
        if isinstance(r, bytes):  # a NOERROR line the compiled core wrote (its Sink.jsonl)
            counts[noerror] += 1
            if only != ONLY_FAILED:
                if lines:
                    written += _take(lines, quotes, items, statuses, expected, counts, slow,
                                     out)
                    lines, quotes, items, statuses, expected = [], [], [], [], 0
                out.append(r)
                written += 1
            continue
        index, text, res, attempts, server, rtype, qname, elapsed = r
        if qname is None or type(attempts) is not int or type(index) is not int:
            line = None  # (numbers are written unquoted: of the engine's type only)
        elif type(res) is Answer:
            if only == ONLY_FAILED:
                counts[noerror] += 1
                continue
            where = res.server or server
            line = _answer_line(index // per if per > 1 else index, text, qname, rtype, res,
                                attempts, elapsed, where)
            if line is not None:
                lines.append(line)
                n = _Q_ONE if len(res.records) == 1 else (
                    _Q_MANY_BASE + _Q_PER_RECORD * len(res.records))
                if where is None:
                    n -= 2
                quotes.append(n)
                expected += n
                items.append(r)
                statuses.append(noerror)
                continue
        else:
            klass = type(res)
            status = status_of(klass)
            if status is None or klass is Cancelled or not isinstance(res, ResolveError):
                line = None  # (another exception's message may carry its class name)
            elif only == ONLY_OK:
                counts[status] += 1
                continue
            else:
                try:
                    ttl = res.negative_ttl
                    where = res.server or server
                except AttributeError:  # not a ResolveError after all
                    line = None
                else:
                    message = str(res) or klass.__name__
                    if (ttl is None or type(ttl) is int) and type(message) is str and (
                            where is None or type(where) is str):
                        i = index // per if per > 1 else index
                        line = (
                            f'{{"index":{i},"input":"{text}","name":"{qname}",'
                            f'"type":"{rtype}","status":"{status_text[status]}",'
                            f'"addresses":[],"records":[],'
                            f'"ttl":{"null" if ttl is None else ttl},'
                            f'"canonical_name":null,"error":"{message}",'
                            f'"attempts":{attempts},"elapsed_ms":{elapsed_text(elapsed)},'
                            f'"server":{"null" if where is None else chr(34) + where + chr(34)}}}'
                        )
                        n = _Q_ERROR if where is not None else _Q_ERROR - 2
                        lines.append(line)
                        quotes.append(n)
                        expected += n
                        items.append(r)
                        statuses.append(status)
                        continue
                    line = None
        # the reference path, in its place
        if lines:
            written += _take(lines, quotes, items, statuses, expected, counts, slow, out)
            lines, quotes, items, statuses, expected = [], [], [], [], 0
        data = slow(r)
        if data is not None:
            out.append(data)
            written += 1
    if lines:
        written += _take(lines, quotes, items, statuses, expected, counts, slow, out)
    return (out[0] if len(out) == 1 else b"".join(out)), written


def _answer_line(index: int, text: str, qname: str, rtype: str, res: Any, attempts: int,
                 elapsed: float, where: str | None) -> str | None:
    """The line of an answer of A/AAAA records, or ``None`` (``slow`` writes it)."""
    records = res.records
    canonical = res.canonical_name
    ttl = res.ttl
    if (where is not None and type(where) is not str) or type(canonical) is not str or (
            type(ttl) is not int):
        return None
    if len(records) == 1:
        record = records[0]
        kind = type(record)
        if kind is not A and kind is not AAAA:
            return None
        address, rttl = record.address, record.ttl
        if type(address) is not str or type(rttl) is not int:
            return None
        addresses = address
        dicts = f'{{"type":"{kind.rtype}","ttl":{rttl},"address":"{address}"}}'
    elif records:
        texts = []
        parts = []
        for record in records:
            kind = type(record)
            if kind is not A and kind is not AAAA:
                return None
            address, rttl = record.address, record.ttl
            if type(address) is not str or type(rttl) is not int:
                return None
            texts.append(address)
            parts.append(f'{{"type":"{kind.rtype}","ttl":{rttl},"address":"{address}"}}')
        addresses = '","'.join(texts)
        dicts = ",".join(parts)
    else:
        return None
    return (
        f'{{"index":{index},"input":"{text}","name":"{qname}","type":"{rtype}",'
        f'"status":"NOERROR","addresses":["{addresses}"],"records":[{dicts}],'
        f'"ttl":{ttl},"canonical_name":"{canonical}","error":null,"attempts":{attempts},'
        f'"elapsed_ms":{elapsed_text(elapsed)},'
        f'"server":{"null" if where is None else chr(34) + where + chr(34)}}}'
    )


def _take(lines: list[str], quotes: list[int], items: list[StreamResult],
          statuses: list[Status], expected: int, counts: dict[Status, int],
          slow: Callable[[StreamResult], bytes | None], out: list[bytes]) -> int:
    """Check the fast lines of a run, append their bytes to ``out``, count
    their statuses; the lines that fail the check go to ``slow``.  Returns
    the lines written."""
    text = "\n".join(lines)
    text += "\n"
    if text.isascii():
        data = text.encode("ascii")
        if len(data) - len(data.translate(None, _SPECIAL)) == expected + len(lines):
            out.append(data)
            for status in statuses:
                counts[status] += 1
            return len(lines)
    # Some line needs the reference: line by line, in order.
    written = 0
    pending: list[str] = []
    for line, n, r, status in zip(lines, quotes, items, statuses, strict=True):
        if _clean(line, n):
            pending.append(line)
            counts[status] += 1
            written += 1
            continue
        if pending:
            pending.append("")
            out.append("\n".join(pending).encode("utf-8"))
            pending = []
        line_data = slow(r)
        if line_data is not None:
            out.append(line_data)
            written += 1
    if pending:
        pending.append("")
        out.append("\n".join(pending).encode("utf-8"))
    return written


def _clean(line: str, quotes: int) -> bool:
    """Whether ``line`` is its JSON as written: no string in it held a
    character JSON escapes, nor one the reference would write otherwise."""
    if line.isascii():
        data = line.encode("ascii")
        return len(data) - len(data.translate(None, _SPECIAL)) == quotes
    # Non-ASCII (an IDN input): printable (so no control character, no lone
    # surrogate) and no extra quote or backslash.
    return line.isprintable() and line.count('"') == quotes and "\\" not in line


# -- text and csv ----------------------------------------------------------------------
#
# The lines are formatted by the same operations on the same values as
# Writer._text_batch / _csv_batch, without the Result: in Python that buys
# nothing (offline on 20k live results, shared box: csv 3.47 -> 3.36 us/name,
# text 1.89 -> 1.90; the formatting is the cost, not the Result), so the CLI
# takes them only from the compiled twin (_cli_output.Writer.takes_raw);
# these are its reference.


def _fields(r: StreamResult, per: int, only: int, counts: dict[Status, int]
            ) -> tuple[Any, ...] | None:
    """``(status, index, data, ttl, canonical, error, where)`` of a common
    result, ``()`` when ``only`` filters it out (counted), ``None`` for the
    reference."""
    index, _, res, _, server, _, qname, _ = r
    if qname is None:
        return None
    if per > 1:
        index //= per
    if type(res) is Answer:
        if only == ONLY_FAILED:
            counts[Status.NOERROR] += 1
            return ()
        records: tuple[Any, ...] = res.records
        if not records:
            return None
        for record in records:
            kind = type(record)
            if (kind is not A and kind is not AAAA) or type(record.address) is not str:
                return None
        data = records[0].address if len(records) == 1 else " ".join(
            [record.address for record in records])
        return (Status.NOERROR, index, data, res.ttl, res.canonical_name, None,
                res.server or server)
    klass = type(res)
    status = _STATUS_OF_TYPE.get(klass)
    if status is None or klass is Cancelled or not isinstance(res, ResolveError):
        return None
    if only == ONLY_OK:
        counts[status] += 1
        return ()
    try:
        ttl = res.negative_ttl
        where = res.server or server
    except AttributeError:  # not a ResolveError after all
        return None
    return status, index, "", ttl, None, str(res) or klass.__name__, where


def text_batch(raw: Sequence[StreamResult], per: int, counts: dict[Status, int], only: int,
               multi_type: bool, escape: Callable[[str], str],
               slow: Callable[[StreamResult], str | None]) -> tuple[str, int]:
    """The text format's lines of ``raw`` (``input<TAB>[type<TAB>]status<TAB>data``),
    as :func:`jsonl_batch` does for JSONL; ``escape`` is the format's column
    escape (``_cli_output.escape_text``)."""
    lines: list[str] = []
    status_text = _STATUS_TEXT
    written = 0
    for r in raw:
        fields = _fields(r, per, only, counts)
        if fields is None:
            line = slow(r)
            if line is not None:
                lines.append(line)
                written += 1
            continue
        if not fields:
            continue
        status, _, detail, _, _, error, _ = fields
        if error is not None:
            detail = error
        head = r[1]
        if not head.isprintable() or "\\" in head:
            head = escape(head)
        if not detail.isprintable() or "\\" in detail:
            detail = escape(detail)
        if multi_type:
            head += "\t" + r[5]
        lines.append(f"{head}\t{status_text[status]}\t{detail}\n")
        counts[status] += 1
        written += 1
    return "".join(lines), written


def csv_batch(raw: Sequence[StreamResult], per: int, counts: dict[Status, int], only: int,
              slow: Callable[[StreamResult], str | None]) -> tuple[str, int]:
    """The CSV rows of ``raw``, as :func:`jsonl_batch` does for JSONL: a row
    none of whose fields needs quoting is its fields joined by commas (what
    the csv module writes for it); the others go to ``slow``."""
    lines: list[str] = []
    status_text = _STATUS_TEXT
    written = 0
    for r in raw:
        fields = _fields(r, per, only, counts)
        if fields is not None:
            if not fields:
                continue
            status, index, data, ttl, canonical, error, where = fields
            row = ",".join([
                str(index), r[1], r[6] or "", r[5], status_text[status], data,
                "" if ttl is None else str(ttl), canonical or "", error or "", str(r[3]),
                f"{r[7] * 1000:.3f}", where or "",
            ])
            if (row.count(",") == 11 and '"' not in row and "\n" not in row
                    and "\r" not in row and "\0" not in row):
                lines.append(row + "\n")
                counts[status] += 1
                written += 1
                continue
        line = slow(r)
        if line is not None:
            lines.append(line)
            written += 1
    return "".join(lines), written
