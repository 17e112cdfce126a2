"""``mypy --strict`` passes on the examples users copy: README's snippets
(``examples/readme/``, kept as files so that they are checked) and the service
client of ``examples/status_client.py``, with no ``type: ignore``.

``examples/readme/typed_records.py`` holds ``assert_type`` lines for the
``query()`` overloads (``"MX"`` gives ``Answer[MX]`` ...), so a drifting
overload fails here, and one deliberately wrong snippet must fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent
CHECKED = [
    *sorted((ROOT / "examples" / "readme").glob("*.py")),
    ROOT / "examples" / "status_client.py",
]


def _mypy(paths: list[Path], cache: Path) -> tuple[str, int]:
    stdout, stderr, status = api.run(
        ["--strict", "--no-error-summary", "--cache-dir", str(cache),
         "--python-version", "3.10", *map(str, paths)]
    )
    return stdout + stderr, status


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def test_readme_examples_pass_mypy_strict(cache: Path) -> None:
    assert CHECKED, "no examples found"
    output, status = _mypy(CHECKED, cache)
    assert status == 0, output


def test_no_type_ignore_and_no_private_imports() -> None:
    for path in CHECKED:
        text = path.read_text()
        assert "type: ignore" not in text, path
        assert not re.search(r"^\s*(from|import) aioresolve\.?\w*\._", text, re.M), path
        assert not re.search(r"from aioresolve import _", text), path


def test_a_wrong_field_fails(cache: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(
        "import aioresolve\n\n\n"
        "async def f() -> None:\n"
        '    answer = await aioresolve.query("example.test", "MX")\n'
        "    print(answer.records[0].address)\n"
    )
    output, status = _mypy([wrong], cache)
    assert status == 1
    assert '"MX" has no attribute "address"' in output
