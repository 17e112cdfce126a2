"""aioresolve._config: the one place that decides default backends and nameservers.

Every test points RESOLV_CONF at a temporary file, except the one that runs
inside the rig's mount namespace (whose resolv.conf lists only the rig's
server on loopback): the machine's own resolv.conf is never used for a lookup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import aioresolve
from aioresolve import Resolver, _config
from aioresolve._backends.system import SystemBackend
from aioresolve._backends.wire import WireBackend
from tests.rig import zone as z


@pytest.fixture
def resolv_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# comment\nsearch example.test\nnameserver 127.0.0.1\n"
        "nameserver ::1\nnameserver fe80::1%eth0\noptions ndots:2\n"
    )
    monkeypatch.setattr(_config, "RESOLV_CONF", str(conf))
    return conf


@pytest.fixture
def no_resolv_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    conf = tmp_path / "empty.conf"
    conf.write_text("search example.test\n")
    monkeypatch.setattr(_config, "RESOLV_CONF", str(conf))
    return conf


def test_system_nameservers_reads_nameserver_lines(resolv_conf: Path, tmp_path: Path) -> None:
    assert _config.system_nameservers() == ["127.0.0.1", "::1", "fe80::1"]
    assert _config.system_nameservers(str(resolv_conf)) == ["127.0.0.1", "::1", "fe80::1"]
    assert _config.system_nameservers(str(tmp_path / "missing")) == []


def test_default_backend_name(resolv_conf: Path) -> None:
    assert _config.default_backend_name(["127.0.0.1:5353"]) == "wire"
    assert _config.default_backend_name() == "wire"  # resolv.conf lists servers


def test_default_backend_name_without_servers(no_resolv_conf: Path) -> None:
    assert _config.default_backend_name() == "system"
    assert _config.default_backend_name(["[::1]:5353"]) == "wire"
    with pytest.raises(TypeError, match="list of strings"):
        _config.default_backend_name("127.0.0.1")


def test_backend_options_fills_wire_nameservers(resolv_conf: Path) -> None:
    assert _config.backend_options("wire") == {"nameservers": ["127.0.0.1", "::1", "fe80::1"]}
    given = _config.backend_options("wire", ["127.0.0.1:5353"], timeout=1.0)
    assert given == {"nameservers": ["127.0.0.1:5353"], "timeout": 1.0}
    assert _config.backend_options("cares") == {}  # c-ares reads the system config itself
    assert _config.backend_options("cares", ["127.0.0.1:5353"]) == {
        "nameservers": ["127.0.0.1:5353"]
    }
    assert _config.backend_options("system", pool_size=4) == {"pool_size": 4}


def test_backend_options_errors(no_resolv_conf: Path) -> None:
    with pytest.raises(ValueError, match=str(no_resolv_conf)):
        _config.backend_options("wire")
    with pytest.raises(ValueError, match="cannot be pointed at servers"):
        _config.backend_options("system", ["127.0.0.1"])
    with pytest.raises(TypeError, match="list of strings"):
        _config.backend_options("wire", "127.0.0.1")


def test_create_backend(resolv_conf: Path) -> None:
    backend = _config.create_backend()
    assert isinstance(backend, WireBackend)
    assert backend.nameservers == ["127.0.0.1:53", "[::1]:53", "[fe80::1]:53"]
    system = _config.create_backend("system", pool_size=2)
    assert isinstance(system, SystemBackend)
    with pytest.raises(ValueError, match="unknown backend"):
        _config.create_backend("nope")


def test_create_backend_without_servers(no_resolv_conf: Path) -> None:
    assert isinstance(_config.create_backend(), SystemBackend)
    wire = _config.create_backend(nameservers=["[::1]:5353"])
    assert isinstance(wire, WireBackend)
    assert wire.nameservers == ["[::1]:5353"]


def test_wire_backend_reads_resolv_conf(resolv_conf: Path) -> None:
    """WireBackend() with no nameservers asks resolv.conf's (issue 13 item 4)."""
    assert WireBackend().nameservers == ["127.0.0.1:53", "[::1]:53", "[fe80::1]:53"]


def test_wire_backend_without_servers(no_resolv_conf: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=str(no_resolv_conf)):
        WireBackend()
    with pytest.raises(OSError):  # an explicit path must exist
        WireBackend(resolvconf_path=str(tmp_path / "missing"))


async def test_system_backend_asks_resolv_conf_for_records(libc_dns: Any) -> None:
    """Issue 13 item 4: record queries work out of the box on the default
    (system) backend, through resolv.conf's nameservers; inside the rig's
    mount namespace resolv.conf lists only the rig's server."""
    assert _config.system_nameservers() == [libc_dns.host]
    async with Resolver("system") as resolver:
        answer = await resolver.query(z.MX_NAME, "MX")
        assert sorted((r.priority, r.exchange) for r in answer.records) == sorted(
            z.MX_RECORDS)
        assert answer.ttl == z.TTL
        with pytest.raises(aioresolve.NXDomain):
            await resolver.query(z.NX_NAME, "TXT")


async def test_system_backend_records_without_resolv_conf(no_resolv_conf: Path) -> None:
    async with Resolver("system") as resolver:
        with pytest.raises(aioresolve.BackendUnavailable, match=str(no_resolv_conf)):
            await resolver.query("example.test", "MX")


def test_search_domains(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("domain first.test\nnameserver 127.0.0.1\nsearch a.test. b.test\n")
    assert _config.search_domains(str(conf)) == ["a.test", "b.test"]  # the last line wins
    conf.write_text("nameserver 127.0.0.1\n")
    assert _config.search_domains(str(conf)) == []
    assert _config.search_domains(str(tmp_path / "missing")) == []


def test_hosts_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("# comment\n127.0.0.1 localhost\n::1 localhost ip6-localhost  # tail\n"
                     "\n192.0.2.7\n")
    monkeypatch.setattr(_config, "HOSTS_FILE", str(hosts))
    assert _config.hosts_entries() == [
        ("127.0.0.1", "localhost", []), ("::1", "localhost", ["ip6-localhost"])]
    assert _config.hosts_entries(str(tmp_path / "missing")) == []
