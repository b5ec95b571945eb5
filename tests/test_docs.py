"""The documentation site: it builds with warnings as errors, every public
schedule has a catalog entry with a rendered formula and a plot, every public
name has an API entry, and every example of the pages runs as shown.

The site is built once per test run, in-process, into a temporary folder
(``sphinx-build -W --keep-going -b html docs OUT``); the ``docs`` extra (part of
``dev``) installs Sphinx, MyST and furo.
"""

from __future__ import annotations

import doctest
import importlib
import re
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from sphinx.cmd.build import build_main

import jaxdecay as jd
from jaxdecay._core.base import schedule_types

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [
    "index",
    "getting_started",
    "schedules",
    "catalog",
    "composition",
    "durations",
    "training",
    "configs",
    "ports",
    "designer",
    "accuracy",
    "speed",
    "api/index",
    "api/schedules",
    "api/composition",
    "api/training",
    "api/tools",
    "api/ports",
    "api/design",
]
API_MODULES = [
    "jaxdecay",
    "jaxdecay.design",
    "jaxdecay.torch",
    "jaxdecay.transformers",
    "jaxdecay.keras",
    "jaxdecay.timm",
]
PNG = b"\x89PNG\r\n\x1a\n"
# myst-parser's and napoleon's own use of Sphinx APIs that a later Sphinx
# removes (not ours to fix).
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:.*is deprecated. Check CHANGES for Sphinx API modifications"
    ),
    pytest.mark.filterwarnings(
        "ignore:The mapping interface for autodoc options objects is deprecated"
    ),
]


def _public_schedules() -> list[str]:
    return sorted(n for n, cls in schedule_types().items() if n == cls.__name__)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built site (its HTML folder)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    warnings = out.parent / "warnings.txt"
    # The site is built as users build it: JAX's standard dtype promotion
    # (the test configuration makes it strict).
    with jax.numpy_dtype_promotion("standard"):
        status = build_main(
            ["-W", "--keep-going", "-q", "-b", "html", "-w", str(warnings),
             str(DOCS), str(out)]
        )  # fmt: skip
    log = warnings.read_text() if warnings.exists() else ""
    assert status == 0, f"sphinx-build -W failed:\n{log}"
    return out


def _section(html: str, anchor: str) -> str:
    """The HTML of the section whose id is ``anchor`` (up to the next
    section of the same or a higher level)."""
    start = html.index(f'<section id="{anchor}">')
    depth, at = 0, start
    for match in re.finditer(r"<section\b|</section>", html[start:]):
        depth += 1 if match.group().startswith("<section") else -1
        if depth == 0:
            at = start + match.end()
            break
    return html[start:at]


def test_site_builds_every_page(site):
    for page in PAGES:
        assert (site / f"{page}.html").is_file(), page


def test_catalog_entry_per_schedule_has_formula_plot_and_example(site):
    html = (site / "catalog.html").read_text()
    names = _public_schedules()
    assert len(names) >= 39
    for name in names:
        section = _section(html, name.replace("_", "-"))
        assert '<div class="math' in section, f"{name}: no rendered formula"
        assert "highlight-pycon" in section, f"{name}: no example"
        assert 'href="api/' in section and f"#jaxdecay.{name}" in section, name
        images = re.findall(
            r'<img alt="[^"]*" class="schedule-plot" src="([^"]+)"', section
        )
        assert images, f"{name}: no plot"
        data = (site / images[0]).read_bytes()
        assert data.startswith(PNG) and len(data) > 5_000, f"{name}: {images[0]}"


def test_formula_and_plot_on_guides(site):
    index = (site / "index.html").read_text()
    assert 'class="schedule-plot"' in index
    durations = (site / "durations.html").read_text()
    assert '<div class="math' in durations
    assert durations.count('class="schedule-plot" src="_images/') == 1


def test_api_reference_documents_every_public_name(site):
    pages = [p for p in PAGES if p.startswith("api/") and p != "api/index"]
    html = "".join((site / f"{page}.html").read_text() for page in pages)
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        missing = [n for n in module.__all__ if f'id="{module_name}.{n}"' not in html]
        assert not missing, f"{module_name}: {missing}"
    # Docstrings render: the formula of a schedule and its example.
    entry = _section_of_object(html, "jaxdecay.cosine_decay")
    assert '<div class="math' in entry and "&gt;&gt;&gt;" in entry


def _section_of_object(html: str, name: str) -> str:
    """From an object's entry to the next object's."""
    start = html.index(f'id="{name}"')
    end = html.find('id="jaxdecay.', start + 1)
    return html[start : end if end > 0 else None]


def test_site_checks_find_what_is_left_out():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        plots = importlib.import_module("schedule_plots")
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    every = {
        f"{m}.{n}" for m in API_MODULES for n in importlib.import_module(m).__all__
    }
    names = set(_public_schedules())
    assert plots.problems(names, every) == []
    found = plots.problems(names - {"cosine_decay"}, every - {"jaxdecay.torch.StepLR"})
    assert found == [
        "the catalog has no {schedule} entry for: cosine_decay",
        "the API reference has no entry for jaxdecay.torch: StepLR",
    ]


_FENCE = re.compile(r"^```pycon[^\n]*\n(.*?)^```", re.M | re.S)
_GUIDES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                 if "_build" not in p.parts and p.name != "README.md")  # fmt: skip


@pytest.mark.parametrize(
    "page", [p for p in _GUIDES if "```pycon" in (DOCS / p).read_text()]
)
def test_page_examples_run_as_shown(page):
    """Every ``pycon`` example of a page, in order, with the page's names."""
    text = (DOCS / page).read_text()
    scope = {"jax": jax, "jnp": jnp, "np": np, "optax": optax, "jd": jd}
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    parser = doctest.DocTestParser()
    with jax.numpy_dtype_promotion("standard"):  # as users run them
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start(1))
            test = parser.get_doctest(match.group(1), scope, page, page, line)
            runner.run(test, clear_globs=False)
            scope = test.globs  # the next block sees this one's names
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0
    assert failed == 0, f"{failed} of {attempted} examples of docs/{page} failed"
