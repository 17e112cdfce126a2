"""Inputs like the peers': ``-r/--resolvers FILE``, ``--type A,AAAA,MX``, PTR from
addresses and networks, and items that are not names (ILLEGAL_INPUT)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aioresolve._cli_inputs import InputError, count_inputs, parse_types, read_resolvers
from aioresolve._errors import IllegalName
from aioresolve.bulk import Status, resolve_all
from aioresolve.bulk._input import (
    IllegalItem,
    expand_networks,
    input_name,
    reverse_name,
)
from aioresolve.testing import DNSServer
from tests.rig import zone as z
from tests.rig.servers import KnotServer

REPO = Path(__file__).resolve().parent.parent


def aioresolve(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aioresolve", *args], input=input,
                          capture_output=True, text=True, timeout=120, cwd=REPO)


def jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


# -- units ----------------------------------------------------------------------------


def test_parse_types() -> None:
    assert parse_types("a") == ["A"]
    assert parse_types("a,AAAA, mx,A") == ["A", "AAAA", "MX"]
    assert parse_types("ADDR,ptr") == ["ADDR", "PTR"]
    for bad in ("A,,MX", "BOGUS", ""):
        with pytest.raises(InputError):
            parse_types(bad)


def test_read_resolvers(tmp_path: Path) -> None:
    path = tmp_path / "resolvers.txt"
    path.write_text("# massdns-style list\n127.0.0.1\n\n127.0.0.2:5353  # a comment\n"
                    "[::1]:5300\n; dnsx comment\n")
    assert read_resolvers(str(path)) == ["127.0.0.1", "127.0.0.2:5353", "[::1]:5300"]
    path.write_text("127.0.0.1\nresolver.example\n")
    with pytest.raises(InputError, match="line 2"):
        read_resolvers(str(path))
    path.write_text("# nothing\n")
    with pytest.raises(InputError, match="no resolver"):
        read_resolvers(str(path))
    with pytest.raises(InputError, match="cannot read"):
        read_resolvers(str(tmp_path / "missing"))


def test_expand_networks() -> None:
    assert list(expand_networks(["192.0.2.0/30", "a.test", "2001:db8::/127", "192.0.2.9/32"])
                ) == ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3", "a.test",
                      "2001:db8::", "2001:db8::1", "192.0.2.9"]
    assert list(expand_networks(["not/a/network"])) == ["not/a/network"]  # a bad name, kept
    with pytest.raises(ValueError, match="split it"):
        list(expand_networks(["10.0.0.0/8"]))
    # lazily: the first address of a /64 without building 2**64 of them
    huge = expand_networks(["2001:db8::/64"], limit=2**64)
    assert next(huge) == "2001:db8::" and next(huge) == "2001:db8::1"


def test_count_inputs(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_text("# c\n192.0.2.0/28\n\na.test\n")
    assert count_inputs(str(path)) == 2
    assert count_inputs(str(path), networks=True) == 17
    path.write_text("10.0.0.0/8\n")
    with pytest.raises(InputError, match="16,777,216 addresses"):
        count_inputs(str(path), networks=True)


def test_input_name() -> None:
    assert input_name("192.0.2.10", "PTR") == "10.2.0.192.in-addr.arpa"
    assert input_name("2001:db8::1", "PTR") == reverse_name("2001:db8::1")
    assert input_name("10.2.0.192.in-addr.arpa", "PTR") == "10.2.0.192.in-addr.arpa"
    assert input_name("Host.Test.", "A") == "host.test"
    with pytest.raises(IllegalName, match="NoneType"):
        input_name(IllegalItem(None), "A")


# -- non-string items: ILLEGAL_INPUT, never sent --------------------------------------------


async def test_items_that_are_not_names_are_illegal_input() -> None:
    async with DNSServer({"ok.example.test": "192.0.2.1"}) as server:
        results = await resolve_all([None, True, 1.5, b"ok.example.test", "ok.example.test", 7],
                                    nameservers=server.nameservers, ordered=True)
        statuses = [r.status for r in results]
        assert statuses == [Status.ILLEGAL_INPUT] * 3 + [Status.NOERROR] * 2 + [
            Status.ILLEGAL_INPUT]
        assert [r.input for r in results[:3]] == ["None", "True", "1.5"]
        assert all("not a name" in (r.error or "") and r.attempts == 0 for r in results[:3])
        assert server.stats.queries == 2  # "none", "true", "1.5" never asked


# -- the CLI against knot ----------------------------------------------------------------------


def test_resolvers_file_spreads_and_fails_over(tmp_path: Path, knot: KnotServer) -> None:
    resolvers = tmp_path / "resolvers.txt"
    # a closed port first: every name must still be answered, through the failover
    resolvers.write_text(f"# two resolvers\n127.0.0.1:1\n{knot.address}\n")
    names = [z.bulk_name(i) for i in range(50)]
    proc = aioresolve("bulk", "-r", str(resolvers), "-q", "--timeout", "4",
                      input="\n".join(names) + "\n")
    assert proc.returncode == 0, proc.stderr
    records = jsonl(proc.stdout)
    assert sorted(r["input"] for r in records) == sorted(names)  # type: ignore[type-var]
    assert all(r["status"] == "NOERROR" for r in records)
    bad = tmp_path / "bad.txt"
    bad.write_text("127.0.0.1\nns.example.test\n")
    proc = aioresolve("bulk", "-r", str(bad), input="a.test\n")
    assert proc.returncode == 2 and "line 2" in proc.stderr


def test_several_types_one_result_per_input_and_type(tmp_path: Path, knot: KnotServer) -> None:
    names = [z.DUAL_NAME, z.MX_NAME, z.NX_NAME]
    proc = aioresolve("bulk", "--server", knot.address, "--type", "A,AAAA,MX", "-q",
                      input="\n".join(names) + "\n")
    assert proc.returncode == 0, proc.stderr
    records = jsonl(proc.stdout)
    keys = sorted((r["index"], r["type"]) for r in records)  # type: ignore[type-var]
    assert keys == [(i, t) for i in range(3) for t in ("A", "AAAA", "MX")]
    by_key = {(r["input"], r["type"]): r for r in records}
    assert by_key[(z.DUAL_NAME, "AAAA")]["addresses"] == [z.DUAL_V6]
    assert by_key[(z.MX_NAME, "MX")]["status"] == "NOERROR"
    assert by_key[(z.DUAL_NAME, "MX")]["status"] == "NODATA"
    assert {by_key[(z.NX_NAME, t)]["status"] for t in ("A", "AAAA", "MX")} == {"NXDOMAIN"}


def test_ptr_from_addresses_and_networks(tmp_path: Path, knot: KnotServer) -> None:
    src = tmp_path / "addresses.txt"
    src.write_text(f"{z.A_ADDR}\n192.0.2.0/30\n{z.AAAA_ADDR}\n{z.NO_PTR_V4}\n")
    proc = aioresolve("bulk", str(src), "--server", knot.address, "--type", "PTR", "-q")
    assert proc.returncode == 0, proc.stderr
    records = sorted(jsonl(proc.stdout), key=lambda r: r["index"])  # type: ignore[arg-type, return-value]
    assert [r["input"] for r in records] == [
        z.A_ADDR, "192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3", z.AAAA_ADDR, z.NO_PTR_V4]
    assert records[0]["name"] == z.reverse_name(z.A_ADDR)
    assert records[0]["records"] == [{"type": "PTR", "ttl": z.TTL, "name": z.A_NAME}]
    assert records[5]["records"][0]["name"] == z.AAAA_NAME  # type: ignore[index]
    assert records[6]["status"] == "NXDOMAIN"
    huge = tmp_path / "huge.txt"
    huge.write_text("10.0.0.0/8\n")
    out = tmp_path / "keep.jsonl"
    out.write_text("kept\n")
    proc = aioresolve("bulk", str(huge), "--server", knot.address, "--type", "PTR", "-o",
                      str(out))
    assert proc.returncode == 2 and "smaller prefixes" in proc.stderr
    assert out.read_text() == "kept\n"  # refused before the output is touched
