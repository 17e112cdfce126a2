"""Sphinx configuration of aioresolve's documentation.

Build (warnings are errors, as in ``.ci/run``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Pages are Markdown (MyST); the API reference comes from the docstrings
(autodoc, reST ``:param:`` fields).  No extension fetches anything over the
network (no intersphinx): the build works offline.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # the checkout, also without `pip install -e .`

project = "aioresolve"
author = "aioresolve developers"
copyright = "aioresolve developers"
try:
    release = importlib.metadata.version("aioresolve")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a bare checkout
    release = "0.1.0"
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# _fragments/ holds text that pages pull in with {include}; not pages themselves.
exclude_patterns = ["_build", "_fragments", "Thumbs.db", ".DS_Store"]

# -- MyST ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_inline"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links to headings down to ###
myst_fence_as_directive: list[str] = []

# -- autodoc ------------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "member-order": "bysource",
    "show-inheritance": True,
}
autodoc_typehints = "description"  # types go beside the :param: text, not in the signature
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True  # show `timeout=None`, not the evaluated object
autoclass_content = "both"  # class docstring plus __init__'s

# Annotations name types Sphinx cannot link without intersphinx (stdlib, dnspython):
# leave them as plain text instead of warning about each one.
nitpicky = False

# -- HTML ---------------------------------------------------------------------
html_theme = "furo"
html_title = f"aioresolve {release}"
html_static_path = ["_static"]
html_show_sourcelink = False


# -- Pages nobody listed yet ----------------------------------------------------
# Several people write pages here.  A page that exists but is in no toctree
# would fail the -W build; instead, index.md gains a "More" section listing
# it, until someone files it under the right caption in index.md.
def _list_unlisted_pages(app: object, docname: str, source: list[str]) -> None:
    if docname != "index":
        return
    here = os.path.dirname(os.path.abspath(__file__))
    text = source[0]
    listed = {line.strip() for line in text.splitlines()}
    pages = sorted(
        name[: -len(".md")]
        for name in os.listdir(here)
        if name.endswith(".md") and name != "index.md"
    )
    unlisted = [page for page in pages if page not in listed]
    if unlisted:
        entries = "\n".join(unlisted)
        source[0] = f"{text}\n```{{toctree}}\n:caption: More\n:maxdepth: 2\n\n{entries}\n```\n"


def _always_reread_index(*_args: object) -> list[str]:
    return ["index"]  # an incremental build then sees pages added or removed


def setup(app: object) -> None:
    app.connect("source-read", _list_unlisted_pages)  # type: ignore[attr-defined]
    app.connect("env-get-outdated", _always_reread_index)  # type: ignore[attr-defined]
