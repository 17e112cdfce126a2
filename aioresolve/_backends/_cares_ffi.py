"""Two c-ares calls made through pycares' own FFI, where pycares 5.2.1 loses
or breaks what the c-ares backend needs.  No event-loop code here.

- ``ares_query_dnsrec``: pycares hands its callback ``None`` for every status
  but success, so a negative answer (NXDOMAIN, no data) arrives without its
  authority section, and with it the SOA that says how long the answer may be
  cached (RFC 2308).  :func:`query` parses the response whatever the status.
- ``ares_getaddrinfo``: with ``ARES_AI_CANONNAME`` c-ares may leave a CNAME
  entry's name NULL (a hosts-file line without aliases, an IP literal with a
  service name); pycares' parser then raises *inside its own callback*, which
  never calls ours, and the lookup never ends.  :func:`getaddrinfo` parses
  NULL-safely.

Both callbacks never raise: whatever fails while a response is read becomes
the status ``ARES_EBADRESP`` handed to the caller's callback, which is called
exactly once (c-ares calls back exactly once per request, with
``ARES_ECANCELLED``/``ARES_EDESTRUCTION`` when the channel is cancelled or
destroyed).  The callbacks are two module-level cffi callbacks; each request
carries a handle to its Python callback, kept alive in :data:`_pending`
(together with its channel) until c-ares calls back, as pycares itself does.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import pycares
from pycares._cares import ffi as _ffi
from pycares._cares import lib as _lib  # the real ones: cares.py swaps pycares._ffi/_lib
from pycares.utils import parse_name

__all__ = ["DIRECT", "Done", "getaddrinfo", "query"]

_log = logging.getLogger("aioresolve")

_E = pycares.errno
_SUCCESS = 0

#: The caller's callback: ``(result, status)``, status ``None`` on success.
#: For :func:`query` the result is a :class:`pycares.DNSResult` also when the
#: status is ``ARES_ENOTFOUND`` / ``ARES_ENODATA`` (its ``authority`` holds
#: the SOA), where the server sent a response.
Done = Callable[[Any, "int | None"], None]

#: handle -> (callback, channel): both kept alive until c-ares calls back.
_pending: dict[Any, tuple[Done, pycares.Channel]] = {}


def _settle(arg: Any, read: Callable[[], tuple[Any, int | None]]) -> None:
    entry = _pending.pop(arg, None)
    if entry is None:  # pragma: no cover - c-ares calls back once per request
        return
    try:
        result, status = read()
    except Exception:  # a response pycares cannot read: an error, never a hang
        _log.debug("c-ares response could not be read", exc_info=True)
        result, status = None, _E.ARES_EBADRESP
    try:
        entry[0](result, status)
    except Exception:  # pragma: no cover - our callbacks only settle futures
        _log.exception("c-ares callback failed")


def _on_dnsrec(arg: Any, status: int, timeouts: int, dnsrec: Any) -> None:
    def read() -> tuple[Any, int | None]:
        if dnsrec == _ffi.NULL:
            return None, status if status != _SUCCESS else _E.ARES_EBADRESP
        result, parse_status = pycares.parse_dnsrec(dnsrec)  # type: ignore[no-untyped-call]
        if status != _SUCCESS:
            return result, status
        return result, parse_status

    _settle(arg, read)


def _string(value: Any) -> str:
    """A C string as text; ``""`` for NULL (pycares' parser raises there)."""
    if value == _ffi.NULL:
        return ""
    raw: bytes = _ffi.string(value)
    return raw.decode("ascii", "replace")


def _parse_addrinfo(res: Any) -> pycares.AddrInfoResult:
    cnames = []
    cname = res.cnames
    while cname != _ffi.NULL:
        cnames.append(pycares.AddrInfoCname(
            ttl=cname.ttl, alias=_string(cname.alias), name=_string(cname.name)
        ))
        cname = cname.next
    nodes = []
    node = res.nodes
    while node != _ffi.NULL:
        if node.ai_family in (socket.AF_INET, socket.AF_INET6):
            nodes.append(pycares.parse_addrinfo_node(node))
        node = node.ai_next
    return pycares.AddrInfoResult(cnames=cnames, nodes=nodes)


def _on_addrinfo(arg: Any, status: int, timeouts: int, res: Any) -> None:
    def read() -> tuple[Any, int | None]:
        try:
            if status != _SUCCESS:
                return None, status
            if res == _ffi.NULL:
                return None, _E.ARES_EBADRESP
            return _parse_addrinfo(res), None
        finally:
            if res != _ffi.NULL:
                _lib.ares_freeaddrinfo(res)

    _settle(arg, read)


try:
    _DNSREC_CB = _ffi.callback(_ffi.typeof(_lib._query_dnsrec_cb), _on_dnsrec)
    _ADDRINFO_CB = _ffi.callback(_ffi.typeof(_lib._addrinfo_cb), _on_addrinfo)
except (MemoryError, AttributeError, TypeError) as exc:  # pragma: no cover
    # No write+execute memory for libffi closures (a hardened kernel), or a
    # pycares without these symbols: fall back to pycares' own calls (negative
    # answers then carry no SOA; the loop's last-resort deadline still ends
    # every lookup).
    _log.debug("c-ares FFI callbacks unavailable (%r): using pycares' own", exc)
    _DNSREC_CB = _ADDRINFO_CB = None

#: Whether the calls below bypass pycares' callbacks (see the module docstring).
DIRECT = _DNSREC_CB is not None


def _register(channel: pycares.Channel, callback: Done) -> Any:
    handle = _ffi.new_handle(callback)
    _pending[handle] = (callback, channel)
    return handle


def query(channel: pycares.Channel, name: str, qtype: int, callback: Done) -> None:
    """Ask c-ares for ``qtype`` records (class IN) at ``name``; see the module docstring.

    :raises pycares.AresError: c-ares refused to start the query (bad name …).
    """
    if not DIRECT:  # pragma: no cover - see above
        channel.query(name, qtype, callback=callback)
        return
    encoded = parse_name(name)
    qid = _ffi.new("unsigned short *")
    with channel._capture_channel() as ares_channel:
        handle = _register(channel, callback)
        try:
            status = _lib.ares_query_dnsrec(
                ares_channel, encoded, _lib.ARES_CLASS_IN, qtype, _DNSREC_CB, handle, qid
            )
        except BaseException:
            _pending.pop(handle, None)
            raise
    if status != _SUCCESS and _pending.pop(handle, None) is not None:
        raise pycares.AresError(status, _E.strerror(status))


def getaddrinfo(
    channel: pycares.Channel, name: str, family: int, flags: int, callback: Done
) -> None:
    """``ares_getaddrinfo(name, NULL, hints)``; the callback gets a
    :class:`pycares.AddrInfoResult` (NULL names read as ``""``)."""
    if not DIRECT:  # pragma: no cover - see above
        channel.getaddrinfo(name, None, family=socket.AddressFamily(family), flags=flags,
                            callback=callback)
        return
    encoded = parse_name(name)
    hints = _ffi.new("struct ares_addrinfo_hints*")
    hints.ai_flags = flags
    hints.ai_family = family
    with channel._capture_channel() as ares_channel:
        handle = _register(channel, callback)
        try:
            _lib.ares_getaddrinfo(ares_channel, encoded, _ffi.NULL, hints, _ADDRINFO_CB, handle)
        except BaseException:
            _pending.pop(handle, None)
            raise
