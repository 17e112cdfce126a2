"""The pytest plugin aioresolve.testing.pytest_plugin: fixtures and marker.

The fixtures are imported here so this module uses them directly (that works
with or without the ``pytest11`` entry point installed); the pytester tests
run fresh pytest sessions with ``-p aioresolve.testing.pytest_plugin`` the way
a user's project gets the plugin.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

import aioresolve
from aioresolve.testing import DNSServer, Fault, pytest_plugin

# The plugin's fixtures, made visible to this module (until the entry point
# is installed the plugin is not loaded; then these are the same functions).
dns_records = pytest_plugin.dns_records
dns_server_options = pytest_plugin.dns_server_options
dns_server = pytest_plugin.dns_server
dns_resolver = pytest_plugin.dns_resolver

pytest_plugins = ["pytester"]

PLUGIN = "aioresolve.testing.pytest_plugin"
#: ``-p`` for the plugin unless its entry point is installed (loading it both
#: ways would register it twice, which pytest refuses).
PLUGIN_ARGS = (
    []
    if any(ep.value == PLUGIN for ep in importlib.metadata.entry_points(group="pytest11"))
    else ["-p", PLUGIN]
)


@pytest.mark.dns_records({"api.example.test": {"A": "192.0.2.10", "AAAA": "2001:db8::10"}})
async def test_marker_records(dns_server: DNSServer, dns_resolver: aioresolve.Resolver) -> None:
    answer = await dns_resolver.query("api.example.test", "AAAA")
    assert answer.addresses == ["2001:db8::10"]
    assert dns_server.query_count("api.example.test", "AAAA") == 1
    assert dns_resolver.backend.name in ("wire", "cares")


@pytest.mark.dns_records(
    {"flaky.example.test": "192.0.2.11"},
    faults={"flaky.example.test": Fault(servfail_rate=1.0)},
)
async def test_marker_server_options(dns_resolver: aioresolve.Resolver) -> None:
    with pytest.raises(aioresolve.ServFail):
        await dns_resolver.query("flaky.example.test", "A")


async def test_no_marker_serves_nothing(dns_server: DNSServer) -> None:
    assert dns_server.zones == []
    async with dns_server.resolver(cache=False, timeout=5) as resolver:
        with pytest.raises(aioresolve.Refused):
            await resolver.query("anything.example.test", "A")


def test_plugin_in_a_user_project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("")
    pytester.makepyfile(
        test_override="""
        import pytest

        pytestmark = pytest.mark.asyncio

        @pytest.fixture
        def dns_records():
            return {"db.example.test": "192.0.2.20"}

        async def test_override(dns_server, dns_resolver):
            infos = await dns_resolver.getaddrinfo("db.example.test", 5432)
            assert {i[4][0] for i in infos} == {"192.0.2.20"}
            assert dns_server.query_count("db.example.test", "A") >= 1
        """,
        test_marker="""
        import pytest

        @pytest.mark.asyncio
        @pytest.mark.dns_records({"mx.example.test": {"MX": "5 mail.example.test"}}, ttl=9)
        async def test_marker(dns_server, dns_resolver):
            answer = await dns_resolver.query("mx.example.test", "MX")
            assert answer.ttl == 9
            assert dns_server.zones == ["example.test"]
        """,
    )
    # strict mode: the plugin's fixtures must not rely on asyncio_mode=auto
    result = pytester.runpytest_subprocess(
        *PLUGIN_ARGS, "-o", "asyncio_mode=strict", "--strict-markers"
    )
    result.assert_outcomes(passed=2)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("")
    result = pytester.runpytest_subprocess(*PLUGIN_ARGS, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.dns_records(records=None, **server_options)*"])


# -- the documented example, verbatim, in both pytest-asyncio modes -----------

ROOT = Path(__file__).resolve().parent.parent
#: The Markdown files whose plugin example must run as written; each marks the
#: block with this comment on the line before its opening fence.
EXAMPLE_MARK = "<!-- tested: tests/test_testing_plugin.py -->"


def documented_examples() -> list[tuple[str, str]]:
    """``(file, code)`` of every marked ```python block in README and the docs."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == EXAMPLE_MARK:
                assert lines[i + 1].startswith("```python"), f"{path.name}:{i + 2}"
                end = lines.index("```", i + 2)
                found.append((path.name, "\n".join(lines[i + 2 : end]) + "\n"))
    return found


def test_readme_and_docs_have_a_tested_example() -> None:
    files = {name for name, _ in documented_examples()}
    assert "README.md" in files
    assert "testing.md" in files


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_documented_examples_pass_verbatim(pytester: pytest.Pytester, mode: str) -> None:
    examples = documented_examples()
    assert examples
    pytester.makeconftest("")
    for n, (_, code) in enumerate(examples):
        pytester.makepyfile(**{f"test_example_{n}": code})
    result = pytester.runpytest_subprocess(
        *PLUGIN_ARGS, "-o", f"asyncio_mode={mode}", "--strict-markers"
    )
    result.assert_outcomes(passed=sum(code.count("\nasync def test_") for _, code in examples))
    # pytest-asyncio warns when a strict-mode test gets an async fixture that
    # is not its own (a future error); the plugin's fixtures are its own.
    assert "requested async @pytest.fixture" not in result.stdout.str()


def test_without_pytest_asyncio_the_error_says_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    # A project without pytest-asyncio: hide it before the plugin is imported
    # (the entry points of both are blocked, the plugin is loaded by conftest).
    pytester.makeconftest(
        """
        import sys
        sys.modules["pytest_asyncio"] = None
        pytest_plugins = ["aioresolve.testing.pytest_plugin"]
        """
    )
    pytester.makepyfile(
        """
        def test_uses_server(dns_server):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:aioresolve")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*'dns_server' fixture is async and needs pytest-asyncio*"])
    assert "pip install 'aioresolve[testing]'" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()
