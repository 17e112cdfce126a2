"""``aioresolve demo``: embedded server, facade lookups, bulk run - all on loopback."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from aioresolve._demo import demo_names, demo_records, run_demo

REPO = Path(__file__).resolve().parent.parent


async def test_demo_in_process() -> None:
    out = io.StringIO()
    code = await run_demo(names=2000, concurrency=100, progress=True, stream=out)
    text = out.getvalue()
    assert code == 0, text
    assert "embedded DNS server on 127.0.0.1:" in text
    assert "192.0.2.10" in text and "mail1.demo.test" in text  # facade lookups
    assert "NXDomain" in text
    assert "2,000 names in" in text and "names/s" in text  # the summary
    for status in ("NOERROR", "NXDOMAIN", "SERVFAIL"):
        assert status in text


def test_demo_data_is_repeatable() -> None:
    names = demo_names(5000)
    assert names == demo_names(5000) and len(names) == 5000
    assert any(n.startswith("nx") for n in names)
    assert any(".broken." in n for n in names) and any(".flaky." in n for n in names)
    records = demo_records(100)
    assert "h99.demo.test" in records and "www.demo.test" in records


def test_demo_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aioresolve", "demo", "--names", "3000", "--no-progress"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3,000 names in" in proc.stderr and "NXDOMAIN" in proc.stderr
    # not a terminal: each message on one line, never wrapped mid-phrase
    assert any(line.startswith("embedded DNS server on") and line.endswith("nothing leaves "
               "loopback") for line in proc.stderr.splitlines())
    assert any(line.startswith("server saw ") and line.endswith("account for the difference")
               for line in proc.stderr.splitlines())


def test_demo_without_rich() -> None:
    """The CLI needs nothing beyond the base install: rich hidden, the demo runs."""
    code = ("import sys; sys.modules['rich'] = None; "
            "from aioresolve.__main__ import main; "
            "sys.exit(main(['demo', '--names', '500', '--progress']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "500 names in" in proc.stderr and "resolving" in proc.stderr
