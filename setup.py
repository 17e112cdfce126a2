"""Optional compiled twins of the wire engine's hot path (the aio-libs pattern).

Everything else about the package is in ``pyproject.toml``; this file only
adds the C extensions, built with Cython where a C compiler is present:

- ``aioresolve._dns._udp_c`` (``_udp_c.pyx``): batched UDP I/O, one
  ``recvmmsg``/``sendmmsg`` per burst (Linux only);
- ``aioresolve._dns._codec_c``: :mod:`aioresolve._dns.codec` itself, compiled
  by Cython from a copy of its source (pure-Python mode), so the compiled
  decoder has the reference's semantics by construction;
- ``aioresolve._dns._hot_c`` (``_hot_c.pyx``): the engine's hot path, typed
  Cython (the twin of ``_hot_py.py``: submitting, sending, matching, the
  common answers decoded in C, timeout queues);
- ``aioresolve.bulk._lines_c`` (``_lines_c.pyx``): the CLI's JSONL lines
  written in C straight from the stream's results (the twin of
  ``bulk/_lines_py.py``);
- ``aioresolve.bulk._results_c`` (``_results_c.pyx``): a stream batch made
  ``resolve_many``'s Result objects, their slots filled in C (the twin of
  ``bulk/_results_py.py``);
- ``aioresolve._begun_c``: :mod:`aioresolve._begun`, the lookup cache's miss
  path, compiled by Cython from a copy of its source (pure-Python mode) with
  the C types of ``aioresolve/_begun.pxd`` (``aioresolve._miss`` picks it).

Where Cython, a compiler or Linux is missing, or ``AIORESOLVE_NO_EXTENSIONS``
is set, the build prints one line saying so and installs the pure-Python
package, which works the same (``aioresolve._dns._speedups`` picks a twin at
import time; ``AIORESOLVE_NO_EXTENSIONS=1`` at run time forces the fallback).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
GENERATED = Path("build") / "cython-src"


def _say(message: str) -> None:
    print(f"aioresolve: {message}", file=sys.stderr, flush=True)


def _skip_reason() -> str | None:
    if os.environ.get("AIORESOLVE_NO_EXTENSIONS"):
        return "AIORESOLVE_NO_EXTENSIONS is set"
    if sys.implementation.name != "cpython":
        return f"{sys.implementation.name} is not CPython"
    if not sys.platform.startswith("linux"):
        return "recvmmsg/sendmmsg need Linux"
    return None


def _codec_copy() -> str:
    """codec.py copied as ``_codec_c.py`` (the module name follows the file
    name), under build/ so that the source tree holds one codec only."""
    target = ROOT / GENERATED / "aioresolve" / "_dns"
    target.mkdir(parents=True, exist_ok=True)
    for package in (target.parent, target):  # so Cython sees the package path
        (package / "__init__.py").touch()
    source = ROOT / "aioresolve" / "_dns" / "codec.py"
    copy = target / "_codec_c.py"
    # One ParseError for both twins: the engine catches the reference's class;
    # and the source itself, so that a stale twin (codec.py edited since the
    # build, in an editable install) is detected and not used (aioresolve._twins).
    text = source.read_text() + _CODEC_TAIL + f"SOURCE = {source.read_bytes()!r}\n"
    if not copy.exists() or copy.read_text() != text:
        copy.write_text(text)
    return str(copy.relative_to(ROOT))


_CODEC_TAIL = """

# -- appended by setup.py to the compiled copy: raise the reference's ParseError
from aioresolve._dns.codec import ParseError  # noqa: E402, F811
"""


def _begun_copy() -> str:
    """_begun.py copied as ``_begun_c.py`` (and _begun.pxd, its C types, as
    ``_begun_c.pxd``) under build/, as :func:`_codec_copy` does; the copy
    records the source it was made from (``SOURCE``), which
    ``aioresolve._miss`` compares with the file beside it."""
    target = ROOT / GENERATED / "aioresolve"
    target.mkdir(parents=True, exist_ok=True)
    (target / "__init__.py").touch()
    source = ROOT / "aioresolve" / "_begun.py"
    text = source.read_text() + _BEGUN_TAIL + f"SOURCE = {source.read_bytes()!r}\n"
    types = ROOT / "aioresolve" / "_begun.pxd"  # (without it: compiled untyped, slower)
    for name, content in (("_begun_c.py", text),
                          ("_begun_c.pxd", types.read_text() if types.exists() else "")):
        copy = target / name
        if not copy.exists() or copy.read_text() != content:
            copy.write_text(content)
    return str((target / "_begun_c.py").relative_to(ROOT))


_BEGUN_TAIL = """

# -- appended by setup.py to the compiled copy: the source it was made from
"""


def _extensions() -> list[Extension]:
    reason = _skip_reason()
    if reason is not None:
        _say(f"not building the C extensions ({reason}): pure-Python engine")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _say("not building the C extensions (Cython is not installed): pure-Python engine")
        return []
    extensions = [
        Extension("aioresolve._dns._udp_c", ["aioresolve/_dns/_udp_c.pyx"]),
        Extension("aioresolve._dns._codec_c", [_codec_copy()]),
        Extension("aioresolve._dns._hot_c", ["aioresolve/_dns/_hot_c.pyx"]),
        Extension("aioresolve.bulk._lines_c", ["aioresolve/bulk/_lines_c.pyx"]),
        Extension("aioresolve.bulk._results_c", ["aioresolve/bulk/_results_c.pyx"]),
    ]
    compiled = list(cythonize(
        extensions, language_level=3, build_dir=str(Path("build") / "cython"), quiet=True,
        compiler_directives={"annotation_typing": False, "binding": False},
    ))
    # The miss path with bound functions (binding): BegunQuery.__call__ is a
    # module function, which must bind as a method of the Python class.
    compiled += cythonize(
        [Extension("aioresolve._begun_c", [_begun_copy()])], language_level=3,
        build_dir=str(Path("build") / "cython"), quiet=True,
        compiler_directives={"annotation_typing": False, "binding": True},
    )
    return compiled


class OptionalBuildExt(build_ext):
    """build_ext that falls back to pure Python, with one line, when it cannot compile."""

    def run(self) -> None:
        self._failed: list[str] = []
        try:
            super().run()
        except Exception as exc:  # no compiler at all (DistutilsPlatformError and friends)
            self._failed.append(f"{type(exc).__name__}: {str(exc)[:100]}")
        if self._failed:
            _say(f"C extensions not built ({self._failed[0]}): the pure-Python engine is "
                 "installed, which works the same, slower")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # the compiler failed (CompileError, LinkError, OSError)
            self._failed.append(f"{ext.name}: {type(exc).__name__}")


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
