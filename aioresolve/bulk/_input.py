"""Bulk input: names from a list, any iterable, an async iterable or a file.

File input: one name per line; leading/trailing white space is stripped and
blank lines and lines starting with ``#`` are skipped (they get no result and
no index).  Every other line, valid or not, gets exactly one result.  Items of
other iterables are never skipped.

Items that are neither ``str`` nor ``bytes`` (``None``, ``True``, ``1.5`` ...)
are not names: they get an ILLEGAL_INPUT result (:class:`IllegalItem`,
:func:`input_name`), never a query for the name ``"none"``.

For PTR lookups an IP address stands for its reverse name
(``192.0.2.10`` -> ``10.2.0.192.in-addr.arpa``, :func:`input_name`), and
:func:`expand_networks` turns ``192.0.2.0/24`` into its addresses, lazily.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import itertools
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import cast

from .._dns.stream import keeps_hostnames
from .._errors import IllegalName
from .._names import to_alabel

__all__ = [
    "MAX_NETWORK_ADDRESSES",
    "IllegalItem",
    "NamesFile",
    "expand_networks",
    "input_name",
    "iter_inputs",
    "network_size",
    "reverse_name",
]

#: A prefix bigger than this (a /15 in IPv4, a /111 in IPv6) is refused by
#: :func:`expand_networks`: 131,072 reverse names is a big run already, and a
#: typo such as ``/8`` or an IPv6 ``/64`` would otherwise never end.
MAX_NETWORK_ADDRESSES = 1 << 17


class IllegalItem(str):
    """The input text of an item that is not a name (neither ``str`` nor
    ``bytes``): its ``repr``.  :func:`input_name` rejects it with
    :attr:`message`, so the item gets an ILLEGAL_INPUT result."""

    __slots__ = ("message",)
    message: str

    def __new__(cls, item: object) -> IllegalItem:
        self = super().__new__(cls, repr(item))
        self.message = f"not a name: an item of type {type(item).__name__}"
        return self


def _input_text(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, (bytes, bytearray)):
        return bytes(item).decode("utf-8", "surrogateescape")
    return IllegalItem(item)


def reverse_name(text: str) -> str | None:
    """The reverse-lookup name of an IPv4/IPv6 address (no trailing dot), or
    ``None`` when ``text`` is not an address."""
    if not text or not (text[0].isdigit() or ":" in text):
        return None  # cheap: names are the common case
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.reverse_pointer


@keeps_hostnames("PTR")  # a plain host name is asked as it is: no call per name
def input_name(text: str, rtype: str) -> str:
    """The name a bulk lookup of ``text`` asks: :func:`~aioresolve._names.to_alabel`,
    except that an address is asked as its reverse name when ``rtype`` is PTR.

    :raises IllegalName: ``text`` is an :class:`IllegalItem` or not a valid name.
    """
    if isinstance(text, IllegalItem):
        raise IllegalName(text.message, host=str(text))
    if rtype == "PTR":
        reverse = reverse_name(text)
        if reverse is not None:
            return reverse
    return to_alabel(text)


def network_size(text: str) -> int:
    """How many inputs :func:`expand_networks` makes of one input text: the
    addresses of a network (``192.0.2.0/24``: 256), else 1."""
    if "/" not in text:
        return 1
    try:
        return ipaddress.ip_network(text.strip(), strict=False).num_addresses
    except ValueError:
        return 1


def expand_networks(texts: Iterable[str], *,
                    limit: int = MAX_NETWORK_ADDRESSES) -> Iterator[str]:
    """Each text, with every network (``192.0.2.0/24``, ``2001:db8::/120``)
    replaced by its addresses in order, generated lazily (memory stays flat).

    Texts that are not networks pass through unchanged.

    :raises ValueError: a network holds more than ``limit`` addresses.
    """
    for text in texts:
        if "/" not in text or isinstance(text, IllegalItem):
            yield text
            continue
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            yield text  # not a network: a (bad) name, reported as such
            continue
        if network.num_addresses > limit:
            raise ValueError(
                f"{text} holds {network.num_addresses:,} addresses; at most {limit:,} are "
                "expanded (split it into smaller prefixes)")
        if network.num_addresses == 1:
            yield str(network.network_address)
            continue
        first = int(network.network_address)
        make = type(network.network_address)
        for offset in range(network.num_addresses):
            yield str(make(first + offset))


def _is_file(hosts: object) -> bool:
    return isinstance(hosts, io.IOBase) or (
        hasattr(hosts, "readline") and hasattr(hosts, "__iter__")
    )


class NamesFile:
    """The input texts of a regular text file opened with universal newlines
    (``open()``'s default: every line read ends with ``"\\n"``), as reading
    it line by line gives them (:func:`file_line`), read 64 KiB at a time.

    Iterating gives a C iterator (``itertools.chain`` over each chunk's
    names): no Python frame per name, where reading line by line resumed a
    generator per line (the CLI, 100k names: ~2.6k of its ~22k instructions
    a name, callgrind 2026-12-04).  The bulk command wraps the names file it
    opened in one; a file of another kind (a pipe: a 64 KiB read would wait
    for the whole chunk) or opened otherwise is read line by line.
    """

    __slots__ = ("file",)

    #: Characters read at a time.
    CHUNK = 1 << 16

    def __init__(self, file: io.TextIOBase) -> None:
        self.file = file

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self._chunks())

    def _chunks(self) -> Iterator[Iterable[str]]:
        read, size = self.file.read, self.CHUNK
        rest = ""
        while True:
            data = read(size)
            if not data:
                break
            lines = data.split("\n")
            head = lines[0] = rest + lines[0]
            rest = lines.pop()  # the partial last line ("" after a newline)
            if "#" in data or "#" in head:  # a comment line, maybe
                yield [text for text in map(str.strip, lines) if text and text[0] != "#"]
            else:
                yield filter(None, map(str.strip, lines))
        text = rest.strip()
        if text and text[0] != "#":
            yield (text,)


def file_line(line: str | bytes) -> str | None:
    """The name on a file line, or ``None`` for blank lines and ``#`` comments."""
    text = _input_text(line).strip()
    if not text or text.startswith("#"):
        return None
    return text


async def iter_inputs(hosts: object) -> AsyncIterator[str]:
    """The input texts of ``hosts``, one per input, in order (file lines
    skipped as above; items that are not ``str``/``bytes`` as
    :class:`IllegalItem`); yields to the loop every 256 items of a sync source."""
    if isinstance(hosts, (str, bytes)):
        raise TypeError("hosts must be an iterable of names, not a single str/bytes")
    if isinstance(hosts, AsyncIterable):
        async for item in hosts:
            yield _input_text(item)
    elif _is_file(hosts):
        lines = cast("Iterable[str | bytes]", hosts)
        for count, line in enumerate(lines):
            text = file_line(line)
            if text is not None:
                yield text
            if count % 256 == 255:
                await asyncio.sleep(0)  # a big file must not monopolise the loop
    else:
        for count, item in enumerate(cast("Iterable[object]", hosts)):
            yield _input_text(item)
            if count % 256 == 255:
                await asyncio.sleep(0)
