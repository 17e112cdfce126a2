"""How :mod:`aioresolve._dns._speedups` decides that a compiled twin is stale."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from aioresolve._dns import _speedups


@pytest.fixture
def twin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """A source and a "compiled twin" built from it, in a directory that
    stands in for the package's."""
    source = tmp_path / "thing.py"
    source.write_text("X = 1\n")
    compiled = tmp_path / "_thing_c.so"
    compiled.write_bytes(b"\x7fELF")
    built = os.stat(compiled).st_mtime_ns
    os.utime(source, ns=(built - 10**9, built - 10**9))  # the source is older
    monkeypatch.setattr(_speedups, "__file__", str(tmp_path / "_speedups.py"))
    return source, compiled, hashlib.sha256(source.read_bytes()).hexdigest()


def test_a_source_older_than_its_twin_is_not_read(
        twin: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, compiled, _ = twin

    def no_hashing(name: str) -> str:
        raise AssertionError("hashed a source older than its twin")

    monkeypatch.setattr(_speedups, "_source_digest", no_hashing)
    assert _speedups.built_from(str(compiled), "thing.py", "not even a digest")


def test_a_newer_source_is_hashed(twin: tuple[Path, Path, str]) -> None:
    source, compiled, digest = twin
    source.touch()  # newer than the twin, same text (a checkout does this)
    later = os.stat(compiled).st_mtime_ns + 10**9
    os.utime(source, ns=(later, later))
    assert _speedups.built_from(str(compiled), "thing.py", digest)
    source.write_text("X = 2\n")  # edited since the build
    os.utime(source, ns=(later, later))
    assert not _speedups.built_from(str(compiled), "thing.py", digest)


def test_no_source_trusts_the_build(twin: tuple[Path, Path, str]) -> None:
    source, compiled, _ = twin
    source.unlink()
    assert _speedups.built_from(str(compiled), "thing.py", "whatever was recorded")


def test_no_twin_path_hashes(twin: tuple[Path, Path, str]) -> None:
    _, _, digest = twin
    assert _speedups.built_from(None, "thing.py", digest)
    assert not _speedups.built_from(None, "thing.py", "0" * 64)


def test_the_installed_codec_twin_is_current() -> None:
    """The editable install's compiled codec (when built) was built from
    codec.py as it is: ``built_from`` agrees with the full digest."""
    try:
        from aioresolve._dns import _codec_c
    except ImportError:
        pytest.skip("the compiled codec is not built (no compiler, or AIORESOLVE_NO_EXTENSIONS)")
    package = Path(_speedups.__file__).parent
    digest = hashlib.sha256((package / "codec.py").read_bytes()).hexdigest()
    assert _speedups.built_from(_codec_c.__file__, "codec.py", _codec_c.SOURCE_SHA256) == (
        digest == _codec_c.SOURCE_SHA256)
