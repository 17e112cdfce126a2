"""Checking and normalising the socket mirror's arguments, once, before any backend.

Shared by :class:`aioresolve.Resolver` and :class:`aioresolve.anyio.Resolver`,
so both accept and reject exactly what :mod:`socket` does.  The checks are the
stdlib's own where possible: calling :mod:`socket` with ``AI_NUMERICHOST |
AI_NUMERICSERV`` (or ``NI_NUMERICHOST | NI_NUMERICSERV``) validates types,
encodes IDNA and answers IP literals and numeric ports, without any lookup.

Each ``*_request`` function returns either the answer itself (nothing to look
up) or the normalised arguments for a backend: host names as A-label bytes.
"""

from __future__ import annotations

import ipaddress
import operator
import socket
from typing import TypeVar, cast

from ._backends.base import AddrInfo, HostEntry, SockAddr

__all__ = [
    "encode_hostname",
    "fqdn_lookup_name",
    "getaddrinfo_request",
    "gethostbyname_ex_request",
    "gethostbyname_request",
    "getnameinfo_answer",
    "pick_fqdn",
]

_T = TypeVar("_T")

_NUMERIC_AI = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NUMERIC_NI = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


def encode_hostname(name: object, func: str) -> bytes:
    """Convert a host argument the way CPython's ``et`` converter with the
    ``idna`` codec does (same exception classes and messages)."""
    if isinstance(name, str):
        if "\0" in name:
            raise TypeError(
                f"{func}() argument 1 must be encoded string without null bytes, not str"
            )
        return name.encode("idna")
    if isinstance(name, (bytes, bytearray)):
        if b"\0" in name:
            kind = type(name).__name__
            raise TypeError(
                f"{func}() argument 1 must be encoded string without null bytes, not {kind}"
            )
        return bytes(name)
    kind = "None" if name is None else type(name).__name__
    raise TypeError(f"{func}() argument 1 must be str, bytes or bytearray, not {kind}")


def _with_flags(flags: int, extra: int) -> int:
    """``flags | extra``, where ``flags`` is anything socket accepts as an int
    (a bad one is passed through, for socket to reject with its own message)."""
    try:
        return operator.index(flags) | extra
    except TypeError:
        return flags


def getaddrinfo_request(
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int,
    type: int,
    proto: int,
    flags: int,
) -> list[AddrInfo] | tuple[bytes | None, str | int | None]:
    """The answer for literals, else ``(host as A-label bytes or None, port)``.

    The outcome for names is memoised (by the exact arguments, for plain
    str/bytes/int arguments only): the numeric probe and the IDNA encoding
    are most of the cost of a cached lookup otherwise.
    """
    key = (host, port, family, type, proto, flags)
    plain = _plain_arguments(key)  # first: a key of other types may not even hash
    if plain:
        known = _NAMES.get(key)
        if known is not None:
            return known
    try:
        infos = socket.getaddrinfo(host, port, family, type, proto, _with_flags(flags, _NUMERIC_AI))
        return cast("list[AddrInfo]", infos)
    except socket.gaierror:
        pass  # a host or service *name*: that takes a real lookup
    name = host.encode("idna") if isinstance(host, str) else host
    service = port.decode("ascii") if isinstance(port, bytes) else port
    if plain:
        if len(_NAMES) >= _NAMES_MAX:
            _NAMES.clear()
        _NAMES[key] = (name, service)
    return name, service


#: getaddrinfo arguments that name a host or service -> what the backend gets.
_NAMES: dict[tuple[object, ...], tuple[bytes | None, str | int | None]] = {}
_NAMES_MAX = 1024
_PLAIN = {str, bytes, int, type(None), socket.AddressFamily, socket.SocketKind, socket.AddressInfo}


def _plain_arguments(key: tuple[object, ...]) -> bool:
    """Whether every argument is of a type whose equality is its value (no
    user subclass with its own ``__eq__``/``__hash__`` can alias another)."""
    for value in key:  # noqa: SIM110 - a loop: all() with a generator costs more here
        if type(value) not in _PLAIN:
            return False
    return True


def getnameinfo_answer(sockaddr: SockAddr, flags: int) -> tuple[str, str] | None:
    """The answer when ``flags`` ask for numbers only, else ``None`` (a lookup).

    Bad input raises as in :mod:`socket` (the address must be numeric there too).
    """
    try:
        numeric = socket.getnameinfo(sockaddr, _with_flags(flags, _NUMERIC_NI))
    except socket.gaierror:
        return None  # e.g. NI_NAMEREQD: let the backend give the real error
    return numeric if flags & _NUMERIC_NI == _NUMERIC_NI else None


def _numeric_ipv4(name: bytes) -> bool:
    try:
        socket.getaddrinfo(name, None, socket.AF_INET, 0, 0, socket.AI_NUMERICHOST)
    except socket.gaierror:
        return False
    return True


def gethostbyname_request(hostname: object) -> str | bytes:
    """The answer (``str``) for literals, ``""`` and ``"<broadcast>"``, else the name.

    Memoised for ``str``/``bytes`` arguments, as :func:`getaddrinfo_request`
    is: the numeric probe (a ``gaierror`` raised and caught for every name)
    and the IDNA encoding cost ~5 µs a call, more than the cache hit they
    precede (facade helper's figure, 2026-12-02, shared 2-core box).
    """
    plain = type(hostname) is str or type(hostname) is bytes
    if plain:
        known = _HOSTS.get(hostname)
        if known is not None:
            return known
    name = encode_hostname(hostname, "gethostbyname")
    answer: str | bytes = name
    if name in (b"", b"<broadcast>") or _numeric_ipv4(name):
        answer = socket.gethostbyname(name.decode("ascii"))  # answered by inet_aton
    if plain:
        _remember(_HOSTS, hostname, answer)
    return answer


def gethostbyname_ex_request(hostname: object) -> HostEntry | bytes:
    """The answer for a dotted-quad literal (libc answers it itself), else the
    name; names are memoised as in :func:`gethostbyname_request` (a literal's
    answer is a fresh tuple of lists each time: the caller may change it)."""
    plain = type(hostname) is str or type(hostname) is bytes
    if plain:
        known = _HOST_NAMES.get(hostname)
        if known is not None:
            return known
    name = encode_hostname(hostname, "gethostbyname_ex")
    try:
        ipaddress.IPv4Address(name.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        if plain:
            _remember(_HOST_NAMES, hostname, name)
        return name
    return socket.gethostbyname_ex(name.decode("ascii"))


#: gethostbyname(_ex) arguments (str/bytes) -> the answer or the A-label name.
_HOSTS: dict[object, str | bytes] = {}
_HOST_NAMES: dict[object, bytes] = {}


def _remember(memo: dict[object, _T], key: object, value: _T) -> None:
    if len(memo) >= _NAMES_MAX:
        memo.clear()
    memo[key] = value


def fqdn_lookup_name(name: str) -> str:
    """What :func:`socket.getfqdn` looks up for ``name``."""
    name = name.strip()
    if not name or name in ("0.0.0.0", "::"):
        return socket.gethostname()
    return name


def pick_fqdn(hostname: str, aliases: list[str]) -> str:
    """:func:`socket.getfqdn`'s choice: the first name with a dot, else ``hostname``."""
    return next((n for n in [hostname, *aliases] if "." in n), hostname)
