"""examples/test_your_service.py passes, run the way a user runs it: pytest in
a subprocess, the plugin loaded by its entry point (or ``-p`` when the entry
point is not installed, e.g. before ``pip install -e .``)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "aioresolve.testing.pytest_plugin"


def plugin_args() -> list[str]:
    """``-p`` for the plugin unless its entry point is installed (loading it
    both ways would register it twice, which pytest refuses)."""
    installed = any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def test_example_suite_passes(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args(),
         "--rootdir", str(tmp_path), "-c", "/dev/null", "-o", "asyncio_mode=auto",
         str(ROOT / "examples" / "test_your_service.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout
