"""Which servers a bulk run asks when none are given: resolv.conf's, through
the wire engine (issue 6: the default whenever nameservers are known).

Inside the rig's mount namespace, /etc/resolv.conf names the ``libc_dns``
server, so these tests exercise the real default without leaving loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aioresolve.bulk import (
    Status,
    default_backend,
    resolve_all,
    resolve_many,
    system_nameservers,
)
from tests.rig import namespace
from tests.rig import zone as z

REPO = Path(__file__).resolve().parent.parent


def test_system_nameservers_reads_nameserver_lines(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "# comment\nsearch example.test\nnameserver 192.0.2.53\n"
        "nameserver fe80::1%eth0\noptions ndots:2\nnameserver\n"
    )
    assert system_nameservers(str(conf)) == ["192.0.2.53", "fe80::1"]
    assert system_nameservers(str(tmp_path / "missing")) == []


def test_default_backend() -> None:
    assert default_backend(["127.0.0.1:5353"]) == "wire"
    if system_nameservers():
        assert default_backend(None) == "wire"


async def test_resolve_many_asks_resolv_conf_servers(libc_dns: Any) -> None:
    assert system_nameservers() == [os.environ[namespace.ENV_ADDRESS]]  # the rig's namespace
    names = [z.bulk_name(0), z.A_NAME, "nx-default.aioresolve.test"]
    run = resolve_many(names)
    assert run.strategy == "wire-stream"
    results = {r.input: r async for r in run}
    assert results[z.A_NAME].addresses == ["192.0.2.1"]
    assert results["nx-default.aioresolve.test"].status is Status.NXDOMAIN


async def test_wire_without_any_server_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "resolv.conf"
    empty.write_text("options ndots:1\n")
    monkeypatch.setattr("aioresolve._config.RESOLV_CONF", str(empty))
    assert default_backend(None) == "system"
    with pytest.raises(ValueError, match=f"{empty} lists none"):
        await resolve_all(["x.test"], backend="wire")


def test_cli_bulk_without_server_uses_resolv_conf(libc_dns: Any, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text(f"{z.A_NAME}\n{z.bulk_name(1)}\nbad..name\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "aioresolve", "bulk", str(names), "-o", str(out), "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert proc.returncode == 0, proc.stderr  # a completed run (issue 15), the illegal line too
    assert sorted(r["status"] for r in records) == ["ILLEGAL_INPUT", "NOERROR", "NOERROR"]
