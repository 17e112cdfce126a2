"""The wire backend's options and nameserver addresses, no server needed:
arguments refused before any query, resolv.conf read, and how an address
(with or without a port, brackets, IPv6) is parsed or refused with a hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aioresolve._backends.wire import WireBackend


def test_options_are_checked(tmp_path: Path) -> None:
    empty = tmp_path / "empty.conf"
    empty.write_text("# no nameserver lines\n")
    with pytest.raises(ValueError):
        WireBackend(resolvconf_path=str(empty))
    with pytest.raises(ValueError):
        WireBackend(nameservers=["ns.example"])
    with pytest.raises(TypeError):
        WireBackend(nameservers="127.0.0.1")  # type: ignore[arg-type]
    conf = tmp_path / "resolv.conf"
    conf.write_text("# test\nnameserver 127.0.0.9\nnameserver ::1\nsearch x.test\n")
    backend = WireBackend(resolvconf_path=str(conf))
    assert backend.nameservers == ["127.0.0.9:53", "[::1]:53"]


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[::1]", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("[::1:53]", ("::1:53", 53)),  # brackets: the address itself
    ("2001:db8::53", ("2001:db8::53", 53)),  # "2001:db8:" is no address: not ambiguous
    ("0:0:0:0:0:0:1:53", ("::1:53", 53)),  # the full form: not ambiguous either
    ("fe80::1:ffff", ("fe80::1:ffff", 53)),  # a hex group is no port
])
def test_parse_nameserver(text: str, expected: tuple[str, int]) -> None:
    from aioresolve._nameservers import parse_nameserver

    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(("text", "hint"), [
    ("::1:53", "'[::1]:53'"),
    ("2001:db8::1:5353", "'[2001:db8::1]:5353'"),
    ("[::1]:", "empty port"),
    ("127.0.0.1:", "port"),
    ("127.0.0.1:99999", "port"),
    ("[127.0.0.1]:53", "IPv6"),
    ("localhost:53", "IP address"),
    ("[::1]53", "[ipv6]:port"),
])
def test_parse_nameserver_rejects(text: str, hint: str) -> None:
    from aioresolve._nameservers import parse_nameserver

    with pytest.raises(ValueError) as info:
        parse_nameserver(text)
    assert hint in str(info.value)
    if text == "::1:53":  # both readings are offered
        assert "'[::1:53]'" in str(info.value)


def test_resolv_conf_addresses_are_never_read_as_ports(tmp_path: Path) -> None:
    """resolv.conf has no ports: ``2001:db8::1:53`` there is that address."""
    from aioresolve._nameservers import parse_nameserver, read_resolv_conf

    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 2001:db8::1:53\nnameserver fe80::1%eth0\n")
    servers = read_resolv_conf(str(conf))
    assert [parse_nameserver(s) for s in servers] == [("2001:db8::1:53", 53), ("fe80::1", 53)]
