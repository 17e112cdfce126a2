"""The package's front door: every public name importable and listed, loaded
lazily (PEP 562), and the library silent on ``logging`` by default."""

from __future__ import annotations

import ast
import json
import logging
import subprocess
import sys
from pathlib import Path

import aioresolve

INIT = Path(aioresolve.__file__)


def _type_checking_names() -> set[str]:
    """Names the ``if TYPE_CHECKING:`` block of ``__init__.py`` re-exports."""
    tree = ast.parse(INIT.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                names.update(alias.asname or alias.name for alias in stmt.names)
    return names


def test_all_lazy_and_type_checking_agree() -> None:
    eager = {"inet_aton", "inet_ntoa", "inet_ntop", "inet_pton"}
    assert len(aioresolve.__all__) == len(set(aioresolve.__all__))
    assert set(aioresolve.__all__) == set(aioresolve._LAZY) | eager
    assert _type_checking_names() == set(aioresolve._LAZY) | aioresolve._SUBMODULES


def test_every_public_name_resolves() -> None:
    for name in aioresolve.__all__:
        value = getattr(aioresolve, name)
        assert value is not None, name
        assert name in dir(aioresolve)
    assert aioresolve.NXDomain.__module__.startswith("aioresolve.")
    namespace: dict[str, object] = {}
    exec("from aioresolve import *", namespace)
    assert set(aioresolve.__all__) <= set(namespace)


def test_unknown_name_is_an_attribute_error() -> None:
    try:
        aioresolve.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")


def _modules_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return list(json.loads(out.stdout))


def test_import_loads_no_heavy_module() -> None:
    loaded = _modules_after("import aioresolve")
    heavy = [
        m
        for m in loaded
        if m.startswith(("aioresolve.", "dns", "rich", "pycares", "aiodns", "asyncio"))
        and m != "dnspython"
    ]
    assert heavy == [], heavy


def test_resolver_and_bulk_load_only_dnspythons_type_table() -> None:
    # dnspython's names, rdata and rdtypes (about 100 ms of import) are loaded
    # only where a record is read through dnspython (an odd type, record_text):
    # a service's first Resolver and a bulk CLI run start without them.
    loaded = _modules_after(
        "import aioresolve, aioresolve.bulk, aioresolve._cli_bulk\n"
        "aioresolve.Resolver; aioresolve.resolve_many; aioresolve.records.MX"
    )
    dns = {m for m in loaded if m == "dns" or m.startswith("dns.")}
    assert dns <= {"dns", "dns.version", "dns.exception", "dns._text_util", "dns.enum",
                   "dns.rdatatype"}, sorted(dns)


def test_bulk_cli_over_wire_loads_no_facade() -> None:
    # A bulk run that makes its own wire backend feeds its engine directly:
    # the facade (Resolver, cache, single-flight, trio bridge) is not imported
    # by the CLI's modules nor by starting such a run.
    loaded = _modules_after(
        "import asyncio, aioresolve._cli, aioresolve._cli_bulk\n"
        "from aioresolve.bulk import resolve_many\n"
        "run = resolve_many(['a.invalid'], nameservers=['127.0.0.1:9'])\n"
        "assert run.strategy == 'wire-stream', run.strategy\n"
        "asyncio.run(run.aclose())"
    )
    facade = {"aioresolve._resolver", "aioresolve._lookup", "aioresolve.cache",
              "aioresolve._coalesce", "aioresolve._bridge", "aioresolve._default"}
    assert facade.isdisjoint(loaded), sorted(facade & set(loaded))


def test_submodules_still_import_directly() -> None:
    loaded = _modules_after("import aioresolve.testing; from aioresolve import bulk")
    assert "aioresolve.testing" in loaded
    assert "aioresolve.bulk" in loaded


def test_library_is_silent_by_default() -> None:
    handlers = logging.getLogger("aioresolve").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_pytest_plugin_loads_no_server() -> None:
    # pytest loads the plugin (entry point) in every run of a project that has
    # aioresolve installed: it must not drag in the server and dnspython.
    loaded = _modules_after("import aioresolve.testing.pytest_plugin")
    heavy = [m for m in loaded if m.startswith(("dns", "aioresolve._", "aioresolve.testing.s"))]
    assert heavy == [], heavy
    testing_names = _modules_after(
        "from aioresolve.testing import DNSServer, Fault, LoggedQuery, Records, ServerStats"
    )
    assert "aioresolve.testing.server" in testing_names


def test_public_submodules_reachable_from_the_package() -> None:
    loaded = _modules_after(
        "import aioresolve; assert aioresolve.records.MX.__name__ == 'MX';"
        "assert aioresolve.bulk.Status.NOERROR"
    )
    assert "aioresolve.records" in loaded
