"""The ``aioresolve`` command line, run as a subprocess against the rig."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.rig import zone as z
from tests.rig.servers import DnsdistServer, KnotServer

REPO = Path(__file__).resolve().parent.parent


def aioresolve(*args: str, input: str | None = None, timeout: float = 120,
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aioresolve", *args], input=input, capture_output=True,
        text=True, timeout=timeout, cwd=REPO,
    )


def write_names(path: Path, names: list[str]) -> Path:
    path.write_text("".join(f"{n}\n" for n in names))
    return path


def jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def fresh(parent: str) -> str:
    return f"r{uuid.uuid4().hex[:12]}.{parent}"


# -- bulk -----------------------------------------------------------------------------------


def test_bulk_jsonl_every_line_once(tmp_path: Path, dnsdist: DnsdistServer) -> None:
    names = z.bulk_query_names(2000, nx_every=25)
    lines = ["# comment", "", *names[:1000], "bad..name", fresh(z.SERVFAIL_NAME), *names[1000:]]
    src = tmp_path / "names.txt"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    proc = aioresolve("bulk", str(src), "--server", dnsdist.address, "--output", str(out),
                      "--timeout", "4", "--attempts", "2", "--fail-on-error")
    assert proc.returncode == 1, proc.stderr  # --fail-on-error: NXDOMAIN etc. are failures
    records = jsonl(out)
    assert sorted(int(r["index"]) for r in records) == list(range(2002))  # type: ignore[call-overload]
    by_input = {r["input"]: r for r in records}
    assert by_input["bad..name"]["status"] == "ILLEGAL_INPUT"
    assert sum(r["status"] == "SERVFAIL" for r in records) == 1
    assert sum(r["status"] == "NXDOMAIN" for r in records) == 2000 // 25
    assert by_input[z.bulk_name(0)]["addresses"] == [z.bulk_address(0)]
    # the summary: counts per status and the rate
    assert "names/s" in proc.stderr and "NXDOMAIN" in proc.stderr and "2,002 names" in proc.stderr


def test_bulk_stdin_formats_and_filters(tmp_path: Path, knot: KnotServer) -> None:
    names = [z.A_NAME, z.NX_NAME, z.MULTI_NAME]
    stdin = "\n".join(names) + "\n"
    ok = aioresolve("bulk", "-", "--server", knot.address, "--format", "csv", "--only-ok",
                    input=stdin)
    assert ok.returncode == 0  # a completed run, whatever the statuses (as massdns, zdns)
    rows = list(csv.DictReader(io.StringIO(ok.stdout)))
    assert [r["input"] for r in sorted(rows, key=lambda r: int(r["index"]))] == [
        z.A_NAME, z.MULTI_NAME]
    assert sorted(rows[0]["data"].split()) in ([z.A_ADDR], sorted(z.MULTI_V4))
    failed = aioresolve("bulk", "--server", knot.address, "--format", "text", "--only-failed",
                        input=stdin)
    assert failed.stdout.splitlines() == [f"{z.NX_NAME}\tNXDOMAIN\t"
                                          f"name does not exist for {z.NX_NAME!r} (A) "
                                          f"from {knot.address}"]
    all_ok = aioresolve("bulk", "--server", knot.address, "--type", "ADDR", "-q",
                        input=f"{z.DUAL_NAME}\n")
    assert all_ok.returncode == 0 and all_ok.stderr == ""
    (rec,) = [json.loads(line) for line in all_ok.stdout.splitlines()]
    assert sorted(rec["addresses"]) == sorted([z.DUAL_V4, z.DUAL_V6])


def test_usage_errors(tmp_path: Path) -> None:
    assert aioresolve("bulk", "--resume").returncode == 2
    assert aioresolve("bulk", str(tmp_path / "missing.txt")).returncode == 2
    assert aioresolve("bulk", "--concurrency", "0").returncode == 2
    assert aioresolve("nonsense").returncode == 2
    proc = aioresolve("bulk", "--backend", "system", "--server", "127.0.0.1", input="")
    assert proc.returncode == 2 and "system" in proc.stderr
    # a bad option never truncates an existing output file
    out = tmp_path / "keep.jsonl"
    out.write_text('{"index": 0}\n')
    proc = aioresolve("bulk", "--type", "BOGUS", "--server", "127.0.0.1:1", "-o", str(out),
                      input="a.test\n")
    assert proc.returncode == 2 and "BOGUS" in proc.stderr
    assert out.read_text() == '{"index": 0}\n'
    # --per-partition is for distributed runs, into a run directory
    proc = aioresolve("bulk", "--per-partition", "--server", "127.0.0.1:1", input="a.test\n")
    assert proc.returncode == 2 and "--workers or --scheduler" in proc.stderr
    proc = aioresolve("bulk", "--per-partition", "--workers", "2", "--server", "127.0.0.1:1",
                      input="a.test\n")
    assert proc.returncode == 2 and "--output DIR" in proc.stderr


def test_resume_after_sigkill(tmp_path: Path, knot: KnotServer) -> None:
    names = z.bulk_query_names(6000, nx_every=17)
    names[10:10] = [names[3], names[3]]  # duplicates must each appear once per line
    src = write_names(tmp_path / "names.txt", names)
    out = tmp_path / "out.jsonl"
    argv = [sys.executable, "-m", "aioresolve", "bulk", str(src), "--server", knot.address,
            "--output", str(out), "--qps", "1500", "-q"]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 20_000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = out.read_bytes()
    assert 0 < partial.count(b"\n") < len(names), "the run was not killed mid-way"
    # simulate a write cut short by the kill: half a record at the end
    with open(out, "ab") as f:
        f.write(b'{"index": 999999, "inp')
    resumed = aioresolve("bulk", str(src), "--server", knot.address, "--output", str(out),
                         "--resume", "--fail-on-error")
    assert resumed.returncode == 1, resumed.stderr  # the NXDOMAIN names
    assert "skipped" in resumed.stderr
    records = jsonl(out)
    indices = sorted(int(r["index"]) for r in records)  # type: ignore[call-overload]
    assert indices == list(range(len(names)))
    assert all(r["input"] == names[int(r["index"])] for r in records)  # type: ignore[call-overload]
    # resuming a complete file does nothing
    again = aioresolve("bulk", str(src), "--server", knot.address, "--output", str(out),
                       "--resume")
    assert again.returncode == 0 and len(jsonl(out)) == len(names)


def test_resume_text_and_csv(tmp_path: Path, knot: KnotServer) -> None:
    names = [z.bulk_name(i) for i in range(300)] + [z.bulk_name(5)]
    src = write_names(tmp_path / "names.txt", names)
    for fmt in ("text", "csv"):
        out = tmp_path / f"out.{fmt}"
        first = aioresolve("bulk", str(src), "--server", knot.address, "-o", str(out),
                           "--format", fmt)
        assert first.returncode == 0
        lines = out.read_text().splitlines()
        keep = lines[: len(lines) // 2]
        out.write_text("\n".join(keep) + "\n")
        second = aioresolve("bulk", str(src), "--server", knot.address, "-o", str(out),
                            "--format", fmt, "--resume")
        assert second.returncode == 0
        final = out.read_text().splitlines()
        if fmt == "csv":
            assert final[0].startswith("index,") and final.count(final[0]) == 1
            got = sorted(r["input"] for r in csv.DictReader(io.StringIO(out.read_text())))
        else:
            got = sorted(line.split("\t")[0] for line in final)
        assert got == sorted(names)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_writes_whole_records(tmp_path: Path, dnsdist: DnsdistServer, signum: int,
                                     code: int) -> None:
    names = [fresh(z.SLOW_NAME) for _ in range(3000)]
    src = write_names(tmp_path / "names.txt", names)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioresolve", "bulk", str(src), "--server", dnsdist.address,
         "-o", str(out), "--concurrency", "50"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "INTERRUPTED" in err
    records = jsonl(out)  # every line parses
    assert 0 < len(records) < len(names)
    assert all(r["status"] == "NOERROR" for r in records)  # no CANCELLED records written


def test_progress_bar_under_a_pty(tmp_path: Path, knot: KnotServer) -> None:
    src = write_names(tmp_path / "names.txt", [z.bulk_name(i) for i in range(3000)])
    out = tmp_path / "out.jsonl"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioresolve", "bulk", str(src), "--server", knot.address,
         "-o", str(out), "--qps", "3000"],
        cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "160"})
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "resolving" in text and "/3,000" in text.replace("3000", "3,000")
    assert "names/s" in text and "NOERROR" in text
    assert "3,000 names in" in text  # the summary
    assert len(jsonl(out)) == 3000


def test_forced_progress_without_a_terminal(knot: KnotServer) -> None:
    proc = aioresolve("bulk", "--server", knot.address, "--progress",
                      input=f"{z.A_NAME}\n{z.NX_NAME}\n")
    assert "resolving" in proc.stderr and "NXDOMAIN=1" in proc.stderr


# -- resolve / query ------------------------------------------------------------------------------


def test_resolve_and_query(knot: KnotServer) -> None:
    proc = aioresolve("resolve", z.DUAL_NAME, z.NX_NAME, "--server", knot.address)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(z.DUAL_V4 in line and "AF_INET " in line for line in lines)
    assert any(z.DUAL_V6 in line and "AF_INET6" in line for line in lines)
    assert z.NX_NAME in proc.stderr
    proc = aioresolve("resolve", "-4", z.DUAL_NAME, "--server", knot.address)
    assert proc.returncode == 0 and z.DUAL_V6 not in proc.stdout
    proc = aioresolve("query", z.MX_NAME, "MX", "--server", knot.address)
    assert proc.returncode == 0
    assert sorted(proc.stdout.splitlines()) == sorted(  # presentation format, as dig prints it
        f"{z.MX_NAME}.\t{z.TTL}\tIN\tMX\t{p} {x}." for p, x in z.MX_RECORDS)
    proc = aioresolve("query", z.A_NAME, "BOGUS", "--server", knot.address)
    assert proc.returncode == 2


def test_resolve_system_backend(libc_dns: DnsdistServer) -> None:
    proc = aioresolve("resolve", z.A_NAME)
    assert proc.returncode == 0, proc.stderr
    assert z.A_ADDR in proc.stdout


@pytest.mark.parametrize("args", [("--help",), ("bulk", "--help")])
def test_help(args: tuple[str, ...]) -> None:
    proc = aioresolve(*args)
    assert proc.returncode == 0 and "usage" in proc.stdout


# -- conventions: exit codes, closed pipe, version, messages, logging -----------------------------


def test_exit_codes_and_fail_on_error(knot: KnotServer) -> None:
    stdin = f"{z.A_NAME}\n{z.NX_NAME}\n"
    assert aioresolve("bulk", "--server", knot.address, "-q", input=stdin).returncode == 0
    assert aioresolve("bulk", "--server", knot.address, "-q", "--fail-on-error",
                      input=stdin).returncode == 1
    assert aioresolve("bulk", "--server", knot.address, "-q", "--fail-on-error",
                      input=f"{z.A_NAME}\n").returncode == 0


def test_version_and_messages_without_internal_names() -> None:
    proc = aioresolve("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("aioresolve ")
    for args in (("--concurrency", "abc"), ("--qps", "-3"), ("--attempts", "1.5"),
                 ("--timeout", "x")):
        proc = aioresolve("bulk", *args, input="")
        assert proc.returncode == 2
        assert "_positive" not in proc.stderr and "positive_int" not in proc.stderr
        assert args[0] in proc.stderr and args[1] in proc.stderr  # the option and its value
    proc = aioresolve("bulk", "--detail", "--format", "csv", input="")
    assert proc.returncode == 2 and "--detail" in proc.stderr
    proc = aioresolve("bulk", "--type", "A,,MX", input="")
    assert proc.returncode == 2 and "empty record type" in proc.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
def test_closed_pipe_exits_quietly(tmp_path: Path, knot: KnotServer, fmt: str) -> None:
    src = write_names(tmp_path / "names.txt", [z.bulk_name(i) for i in range(20000)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioresolve", "bulk", str(src), "--server", knot.address,
         "--format", fmt], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    head = [proc.stdout.readline() for _ in range(3)]  # `| head -3`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert all(line.endswith(b"\n") for line in head)
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception" not in err


def test_verbose_logs_on_stderr_only(dnsdist: DnsdistServer) -> None:
    proc = aioresolve("bulk", "--server", dnsdist.address, "-vv", "-q", "--attempts", "2",
                      input=f"{z.SERVFAIL_NAME}\n{z.A_NAME}\n")
    assert proc.returncode == 0, proc.stderr
    assert "DEBUG aioresolve.wire" in proc.stderr and "retry" in proc.stderr
    assert sorted(r["status"] for r in map(json.loads, proc.stdout.splitlines())) == [
        "NOERROR", "SERVFAIL"]
    quiet = aioresolve("bulk", "--server", dnsdist.address, "-q", "--attempts", "2",
                       input=f"{z.SERVFAIL_NAME}\n")
    assert quiet.stderr == ""  # silent without -v


def test_detail_output(knot: KnotServer) -> None:
    proc = aioresolve("bulk", "--server", knot.address, "--detail", "-q",
                      input=f"{z.CNAME_NAME}\n{z.NX_NAME}\n{z.CAA_NAME}\n")
    assert proc.returncode == 0, proc.stderr
    by_input = {r["input"]: r for r in map(json.loads, proc.stdout.splitlines())}
    chain = by_input[z.CNAME_NAME]
    assert chain["aliases"] == list(z.CNAME_CHAIN[:-1])
    assert [a["type"] for a in chain["answers"]] == ["CNAME"] * 3 + ["A"]
    assert chain["answers"][0]["name"] == z.CNAME_NAME + "."
    assert chain["resolver"] == knot.address and chain["class"] == "IN"
    assert chain["timestamp"].endswith("Z")
    nx = by_input[z.NX_NAME]
    assert nx["status"] == "NXDOMAIN" and nx["negative_ttl"] == z.SOA_MINIMUM
    assert nx["authorities"][0]["type"] == "SOA"
    assert nx["authorities"][0]["data"].startswith(f"{z.SOA_MNAME}. {z.SOA_RNAME}. ")
    proc = aioresolve("bulk", "--server", knot.address, "--type", "CAA", "-f", "text",
                      "-q", input=f"{z.CAA_NAME}\n")
    assert proc.stdout == f'{z.CAA_NAME}\tNOERROR\t0 issue "ca.example" | ' \
                          f'128 iodef "mailto:security@example.test"\n'


# -- resume after SIGKILL, exact in every format (inputs with a TAB, several types) ----------------


def _kill_mid_run(argv: list[str], out: Path, size: int) -> None:
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < size):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "text"])
@pytest.mark.parametrize("types", ["A", "A,TXT"])
def test_resume_after_sigkill_every_format(tmp_path: Path, knot: KnotServer, fmt: str,
                                           types: str) -> None:
    names = [z.bulk_name(i) for i in range(4000)]
    names[7:7] = ["tab\tinside.test", "back\\slash.test", names[3], names[3]]
    src = write_names(tmp_path / "names.txt", names)
    out = tmp_path / f"out.{fmt}"
    argv = [sys.executable, "-m", "aioresolve", "bulk", str(src), "--server", knot.address,
            "-o", str(out), "--format", fmt, "--type", types, "--qps", "1500", "-q"]
    _kill_mid_run(argv, out, 6000)
    partial = out.read_bytes()
    n_types = len(types.split(","))
    assert 0 < partial.count(b"\n") < len(names) * n_types, "the run was not killed mid-way"
    with open(out, "ab") as f:
        f.write(b"h1.bulk.test\tNOERR")  # a write cut short by the kill
    resumed = aioresolve(*argv[3:-3], "--resume", "-q")  # same options, no --qps
    assert resumed.returncode == 0, resumed.stderr
    text = out.read_text(errors="surrogateescape")
    if fmt == "jsonl":
        got = [(r["input"], r["type"]) for r in map(json.loads, text.splitlines())]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert text.count("index,input,") == 1
        got = [(r["input"], r["type"]) for r in rows]
    else:
        from aioresolve._cli_output import unescape_text

        lines = [line.split("\t") for line in text.splitlines()]
        assert all(len(f) == (3 if n_types == 1 else 4) for f in lines)
        got = [(unescape_text(f[0]), f[1] if n_types > 1 else "A") for f in lines]
    expected = [(name, t) for name in names for t in types.split(",")]
    assert sorted(got) == sorted(expected)  # every input and type exactly once


def _run_under_pty(argv: list[str], columns: int, stdout_to_pty: bool) -> tuple[int, str]:
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_to_pty else subprocess.DEVNULL,
                            stderr=slave, env={**os.environ, "TERM": "xterm"})
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("columns", [80, 120])
def test_bar_is_one_line_and_results_scroll_above_it(tmp_path: Path, knot: KnotServer,
                                                     columns: int) -> None:
    import re

    names = [z.bulk_name(i) for i in range(3000)] + [f"nx{i}.{z.BULK_ZONE}" for i in range(50)]
    src = write_names(tmp_path / "names.txt", names)
    argv = [sys.executable, "-m", "aioresolve", "bulk", str(src), "--server", knot.address,
            "--qps", "3000", "--format", "text"]
    code, text = _run_under_pty(argv, columns, stdout_to_pty=True)
    assert code == 0
    plain = re.sub(r"\x1b\[[0-9;]*[mK]", "", text)
    frames = [f for line in plain.split("\n") for f in line.split("\r")]
    bars = [f for f in frames if f.startswith("resolving")]
    assert bars, text[-2000:]
    assert all(len(f) < columns for f in bars)  # never wraps: the last column stays free
    results = [f for f in frames if "\tNOERROR\t" in f or "\tNXDOMAIN\t" in f]
    # every result line whole: none merged with a bar frame
    assert len(results) == len(names)
    assert all(f.split("\t")[0] in names for f in results)


# -- presentation format: the same records as kdig prints them ----------------------------------


def _normalise_dig(line: str) -> str:
    """One answer line, with the differences of form documented in docs/output.md
    taken out: kdig pads owners and ends some data with a space, writes SVCB
    parameters bare and TLSA hex in upper case."""
    import re

    owner, ttl, klass, rtype, data = line.split(None, 4)
    data = data.strip()
    if rtype in ("SVCB", "HTTPS"):
        data = re.sub(r'="([^"]*)"', r"=\1", data)
    if rtype == "TLSA":
        data = data.upper()
    return "\t".join((owner, ttl, klass, rtype, data))


@pytest.mark.parametrize(("name", "rtype"), [
    (z.A_NAME, "A"), (z.AAAA_NAME, "AAAA"), (z.CNAME_NAME, "A"), (z.MX_NAME, "MX"),
    (z.SRV_NAME, "SRV"), (z.TXT_NAME, "TXT"), (z.TXT_LONG_NAME, "TXT"),
    (z.TXT_MULTI_NAME, "TXT"), (z.CAA_NAME, "CAA"), (z.NAPTR_NAME, "NAPTR"),
    (z.TLSA_NAME, "TLSA"), (z.URI_NAME, "URI"), (z.SVCB_NAME, "SVCB"), (z.HTTPS_NAME, "HTTPS"),
])
def test_query_prints_what_kdig_prints(knot: KnotServer, name: str, rtype: str) -> None:
    import shutil

    kdig = shutil.which("kdig")
    if kdig is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kdig not installed (apt-get install knot-dnsutils)")
        pytest.skip("kdig not installed (apt-get install knot-dnsutils)")
    host, port = knot.address.rsplit(":", 1)
    dig = subprocess.run([kdig, f"@{host}", "-p", port, "+noall", "+answer", name, rtype],
                         capture_output=True, text=True, timeout=30, check=True)
    ours = aioresolve("query", name, rtype, "--server", knot.address)
    assert ours.returncode == 0, ours.stderr
    expected = sorted(_normalise_dig(line) for line in dig.stdout.splitlines() if line)
    assert sorted(_normalise_dig(line) for line in ours.stdout.splitlines()) == expected


def test_dask_options_without_the_extra() -> None:
    code = ("import sys; sys.modules['dask'] = sys.modules['distributed'] = None; "
            "from aioresolve.__main__ import main; "
            "sys.exit(main(['bulk', '--workers', '2', '--server', '127.0.0.1:1']))")
    proc = subprocess.run([sys.executable, "-c", code], input="a.test\n", capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 2
    assert "pip install 'aioresolve[dask]'" in proc.stderr and "Traceback" not in proc.stderr
    help_text = aioresolve("bulk", "--help").stdout
    assert "--workers N" in help_text and "--scheduler ADDRESS" in help_text


def test_bulk_without_rich(knot: KnotServer) -> None:
    """The bar and the summary need only the standard library."""
    code = ("import sys; sys.modules['rich'] = None; "
            "from aioresolve.__main__ import main; "
            f"sys.exit(main(['bulk', '--server', '{knot.address}', '--progress']))")
    proc = subprocess.run([sys.executable, "-c", code], input=f"{z.A_NAME}\n{z.NX_NAME}\n",
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "resolving" in proc.stderr and "2 names in" in proc.stderr
    assert len(proc.stdout.splitlines()) == 2
