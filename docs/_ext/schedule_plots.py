"""Sphinx extension of the jaxdecay site: catalog entries drawn from the library.

Two directives, written in the Markdown pages as MyST fences:

```{schedule} cosine_decay
:plot: cosine_decay(1.0, 800, end_value=0.1)
```

    One catalog entry: the schedule's summary and formula, read from its
    docstring (so the page says what the code says), a plot drawn from the
    library when the site is built, and a link to its API entry.

```{schedule-plot} warmup(exponential_decay(1.0, 0.995), 150)
:steps: 1000
```

    A plot alone, of any schedule.

The plot is the expression (evaluated with every public name of jaxdecay,
``jd``, ``optax``, ``jax``, ``jnp`` and ``np`` in scope; a spec string that
``jd.parse`` reads is such an expression), or, when the directive has a body,
Python code that sets ``curve`` to a schedule or to ``{label: (steps,
values)}`` (and optionally ``twin`` to the same, drawn on a second axis): the
plateau, which follows a metric rather than the step, is drawn that way.

Each schedule is evaluated once, jitted, over ``0 .. steps-1`` and drawn with
:func:`jaxdecay.plot` into a small PNG (matplotlib's Agg backend) under the
build's doctree folder, named by a hash of what it draws and of the library's
source, so an unchanged plot is not drawn again; Sphinx copies the PNGs it
uses into ``_images/``.  Nothing generated is committed.

At the end of reading, the build warns (an error under ``-W``) about any
public schedule of the registry without a catalog entry and any name of
``jaxdecay.__all__`` (and of the ports and ``jaxdecay.design``) without an
API entry, so a new schedule cannot be left out of the site.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import optax
from docutils import nodes
from docutils.parsers.rst import Parser as RstParser
from docutils.parsers.rst import directives
from docutils.utils import new_document
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import jaxdecay as jd
from jaxdecay._core.base import schedule_types

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

logger = logging.getLogger(__name__)

#: Size of a catalog plot, in inches at :data:`DPI`.
FIGSIZE = (5.6, 2.5)
DPI = 100
#: The most steps a plot evaluates (one jitted call over ``0 .. steps-1``).
MAX_STEPS = 20_000
#: Modules whose ``__all__`` the API reference must document in full.
API_MODULES = (
    "jaxdecay",
    "jaxdecay.design",
    "jaxdecay.torch",
    "jaxdecay.transformers",
    "jaxdecay.keras",
    "jaxdecay.timm",
)


def _namespace() -> dict:
    names = {name: getattr(jd, name) for name in jd.__all__}
    names.update(jd=jd, optax=optax, jax=jax, jnp=jnp, np=np)
    return names


def _library_digest() -> str:
    """A digest of the library's source: a changed schedule redraws its plot."""
    digest = hashlib.sha256()
    root = Path(jd.__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def public_schedules() -> dict[str, type]:
    """The public schedule classes by their own name (aliases left out)."""
    return {name: cls for name, cls in schedule_types().items() if name == cls.__name__}


# -- what a catalog entry shows of a docstring --------------------------------


def summary_and_formula(obj) -> str:
    """The docstring's first paragraph and its first ``.. math::`` block, as
    reStructuredText."""
    doc = inspect.getdoc(obj) or ""
    paragraphs = re.split(r"\n\s*\n", doc)
    parts = [paragraphs[0]] if paragraphs and paragraphs[0].strip() else []
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(".. math::"):
            block = [line]
            for more in lines[i + 1 :]:
                if more.strip() and not more.startswith(" "):
                    break
                block.append(more)
            parts.append("\n".join(block).rstrip())
            break
    return "\n\n".join(parts)


# -- drawing ------------------------------------------------------------------


def _curves(code: str, expression: str | None):
    """Runs the directive's code or evaluates its expression: ``(curve, twin)``."""
    scope = _namespace()
    if code.strip():
        exec(compile(code, "<schedule plot>", "exec"), scope)  # noqa: S102
        if "curve" not in scope:
            raise ValueError("the plot's code must set `curve`")
        return scope["curve"], scope.get("twin")
    return eval(expression, scope), None  # noqa: S307


def draw(path: Path, label: str, code: str, expression, steps: int, log: bool):
    """Draws one plot into ``path``."""
    curve, twin = _curves(code, expression)
    fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
    try:
        if isinstance(curve, dict):
            for name, (x, y) in curve.items():
                ax.plot(np.asarray(x), np.asarray(y, np.float64), label=name)
            ax.set_xlabel("step")
            ax.set_ylabel("learning rate")
            ax.grid(alpha=0.3)
            if log:
                ax.set_yscale("log")
        else:
            if not callable(curve):
                raise TypeError(f"the plot is not a schedule: {curve!r}")
            x = np.arange(steps)
            evaluate = jax.jit(curve)  # one compiled evaluation of every step
            jd.plot({label: evaluate}, x, ax=ax, log=log, marks=False)
            if isinstance(curve, jd.Schedule):
                marks = sorted(
                    {0, steps - 1, *(int(b) for b in curve.breakpoints() if b >= 0)}
                )
                marks = [b for b in marks if b < steps]
                y = np.asarray(evaluate(x), np.float64)
                ax.plot(marks, y[marks], "o", ms=3.5, color="C0")
        if twin:
            other = ax.twinx()
            for i, (name, (x, y)) in enumerate(twin.items()):
                other.plot(
                    np.asarray(x), np.asarray(y, np.float64), color=f"C{i + 1}",
                    alpha=0.6, lw=0.8, label=name,
                )  # fmt: skip
            other.set_ylabel(", ".join(twin))
            lines = ax.get_lines() + other.get_lines()
            ax.legend(lines, [line.get_label() for line in lines], fontsize="small")
        elif isinstance(curve, dict) and len(curve) > 1:
            ax.legend(fontsize="small")
        elif ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.set_xlim(left=0)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)


class SchedulePlot(SphinxDirective):
    """```{schedule-plot} EXPRESSION``` (or a body that sets ``curve``)."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {
        "steps": directives.positive_int,
        "log": directives.flag,
        "label": directives.unchanged,
        "caption": directives.unchanged,
    }

    def expression(self) -> str | None:
        return self.arguments[0] if self.arguments else None

    def plot_nodes(self, label: str) -> list[nodes.Node]:
        expression = self.expression()
        code = "\n".join(self.content)
        if not expression and not code.strip():
            raise self.error(f"{self.name}: give an expression or a body")
        steps = self.options.get("steps", 1000)
        if steps > MAX_STEPS:
            raise self.error(f"{self.name}: `steps` must be at most {MAX_STEPS}")
        log = "log" in self.options
        app = self.env.app
        key = hashlib.sha256(
            repr((label, code, expression, steps, log, FIGSIZE, DPI)).encode()
        )
        key.update(app.config.schedule_plots_digest.encode())
        folder = Path(app.doctreedir) / "schedule_plots"
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9_]+", "_", label)[:40]
        path = folder / f"{slug}-{key.hexdigest()[:12]}.png"
        if not path.exists():
            try:
                draw(path, label, code, expression, steps, log)
            except Exception as error:  # noqa: BLE001 (reported as a build error)
                raise self.error(
                    f"{self.name}: drawing {expression or 'the code'} failed: "
                    f"{type(error).__name__}: {error}"
                ) from error
        # The image's path relative to this page's folder (Sphinx resolves it
        # and copies the file into _images/).
        here = Path(self.env.doc2path(self.env.docname)).parent
        uri = Path(os.path.relpath(path, here)).as_posix()
        shown = self.options.get("caption") or expression or ""
        alt = f"{label}: {shown}" if isinstance(self, ScheduleEntry) else shown
        image = nodes.image(uri=uri, alt=alt or label)
        image["classes"].append("schedule-plot")
        figure = nodes.figure("", image)
        figure["classes"].append("schedule-plot")
        if shown:
            caption = nodes.caption("", "")
            caption += nodes.literal(shown, shown)
            figure += caption
        return [figure]

    def run(self) -> list[nodes.Node]:
        label = self.options.get("label") or self.expression()
        label = label or self.env.docname.replace("/", "-") + "-plot"
        return self.plot_nodes(label)


class ScheduleEntry(SchedulePlot):
    """```{schedule} NAME``` with ``:plot: EXPRESSION`` (or a body)."""

    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    option_spec = {**SchedulePlot.option_spec, "plot": directives.unchanged}

    def expression(self) -> str | None:
        return self.options.get("plot")

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in jd.__all__:
            raise self.error(f"schedule: {name!r} is not a public name of jaxdecay")
        self.env.schedule_entries.setdefault(self.env.docname, set()).add(name)
        out = self.parse_rst(summary_and_formula(getattr(jd, name)))
        out += self.plot_nodes(name)
        out += self.parse_rst(
            f"Arguments: :class:`~jaxdecay.{name}` in the API reference."
        )
        return out

    def parse_rst(self, text: str) -> list[nodes.Node]:
        """``text`` parsed as reStructuredText (docstrings are), with
        references read relative to the ``jaxdecay`` module."""
        document = new_document(self.env.docname, self.state.document.settings)
        document.reporter = self.state.document.reporter
        context = self.env.ref_context
        before = context.get("py:module")
        context["py:module"] = "jaxdecay"
        try:
            RstParser().parse(text, document)
        finally:
            if before is None:
                context.pop("py:module", None)
            else:
                context["py:module"] = before
        return list(document.children)


# -- the whole site's checks --------------------------------------------------


def _env_init(app, env, docnames):
    if not hasattr(env, "schedule_entries"):
        env.schedule_entries = {}


def _env_purge(app, env, docname):
    if hasattr(env, "schedule_entries"):
        env.schedule_entries.pop(docname, None)


def _env_merge(app, env, docnames, other):
    if not hasattr(env, "schedule_entries"):
        env.schedule_entries = {}
    for docname in docnames:
        if docname in getattr(other, "schedule_entries", {}):
            env.schedule_entries[docname] = other.schedule_entries[docname]


def problems(entries: set[str], documented: set[str]) -> list[str]:
    """What the site leaves out: public schedules without a catalog entry
    (given the names of the ``{schedule}`` entries) and public names without
    an API entry (given the documented objects' full names)."""
    found = []
    missing = sorted(set(public_schedules()) - entries)
    if missing:
        found.append("the catalog has no {schedule} entry for: " + ", ".join(missing))
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        missing = [
            name for name in module.__all__ if f"{module_name}.{name}" not in documented
        ]
        if missing:
            found.append(
                f"the API reference has no entry for {module_name}: "
                + ", ".join(missing)
            )
    return found


def _check(app, env):
    """Warns (an error under ``-W``) about what the site leaves out."""
    entries = set().union(*getattr(env, "schedule_entries", {}).values())
    documented = set(env.get_domain("py").objects)
    for problem in problems(entries, documented):
        logger.warning(problem)


def setup(app):
    app.add_config_value("schedule_plots_digest", _library_digest(), "env")
    app.add_directive("schedule", ScheduleEntry)
    app.add_directive("schedule-plot", SchedulePlot)
    app.connect("env-before-read-docs", _env_init)
    app.connect("env-purge-doc", _env_purge)
    app.connect("env-merge-info", _env_merge)
    app.connect("env-check-consistency", _check)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
