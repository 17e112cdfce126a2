"""How the selectors tell that a compiled twin is stale (:mod:`aioresolve._twins`)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from aioresolve._twins import built_from


def _twin(source: bytes) -> types.ModuleType:
    module = types.ModuleType("_thing_c")
    module.SOURCE = source  # type: ignore[attr-defined]
    return module


def test_the_source_it_was_built_from(tmp_path: Path) -> None:
    source = tmp_path / "thing.py"
    source.write_text("X = 1\n")
    assert built_from(_twin(b"X = 1\n"), source)
    source.write_text("X = 2\n")  # edited since the build
    assert not built_from(_twin(b"X = 1\n"), source)


def test_no_source_shipped_trusts_the_build(tmp_path: Path) -> None:
    assert built_from(_twin(b"X = 1\n"), tmp_path / "missing.py")


def test_a_twin_without_a_record_is_stale(tmp_path: Path) -> None:
    source = tmp_path / "thing.py"
    source.write_text("X = 1\n")
    assert not built_from(types.ModuleType("_old_c"), source)


@pytest.mark.parametrize(("compiled", "source"), [
    ("aioresolve._dns._codec_c", "aioresolve/_dns/codec.py"),
    ("aioresolve._begun_c", "aioresolve/_begun.py"),
])
def test_the_installed_twins_are_current(compiled: str, source: str) -> None:
    """The editable install's twins (when built) were built from the sources
    as they are: what the selectors use is what the tests run."""
    import importlib

    try:
        module = importlib.import_module(compiled)
    except ImportError:
        pytest.skip(f"{compiled} is not built here (no compiler, or AIORESOLVE_NO_EXTENSIONS)")
    root = Path(__file__).resolve().parent.parent
    assert built_from(module, root / source), f"{compiled} is stale: rebuild (pip install -e .)"
