"""Sphinx configuration of the jaxdecay documentation.

Build it with ``sphinx-build -W --keep-going -b html docs docs/_build/html``
(``pip install -e ".[docs]"`` installs what it needs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import jaxdecay  # noqa: E402

project = "jaxdecay"
author = "the jaxdecay authors"
copyright = "the jaxdecay authors"  # noqa: A001
release = jaxdecay.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "schedule_plots",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "Thumbs.db", ".DS_Store"]

# MyST: $...$ and $$...$$ math, ::: fences, definition lists, anchors on
# headings down to level 3 (for [links](page.md#a-heading)).
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The docstrings are Google style ("Args:", "Examples:") with reST markup and
# ``.. math::`` blocks: napoleon turns the sections into fields, autodoc takes
# the rest as it is.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"exclude-members": "__init__, __new__"}
autosummary_generate = False
add_module_names = False
python_use_unqualified_type_names = True

html_theme = "furo"
html_title = f"jaxdecay {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}
pygments_style = "sphinx"
pygments_dark_style = "monokai"

# Every cross-reference must resolve: a broken one fails the build (-W).
nitpicky = True
nitpick_ignore = [
    # Types from other projects (no intersphinx: the build needs no network).
    ("py:class", "numpy.ndarray"),
    ("py:class", "fractions.Fraction"),
    ("py:class", "jax.Array"),
    ("py:class", "jax.jaxlib._jax.Array"),
    # Private types named by dataclass fields.
    ("py:class", "jaxdecay._core.base.Static"),
    ("py:class", "jaxdecay._train.inject._Schedules"),
]
