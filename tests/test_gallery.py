"""The gallery (scripts/make_gallery.py -> docs/gallery.png): a panel for every
public schedule of jaxdecay and for nothing else, captions legible at the figure's
own size, and a plateau panel drawn from the metric it watches.  Nothing is
rendered here (the script takes tens of seconds); `panels` and the plateau run are.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdecay as jd
from tests import scripts

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_gallery.py"

# The public functions that are tools, not schedule constructors.  A new public
# function must be listed here or get a panel (test_every_public_function_is_...).
TOOLS = {
    "annealing_area",
    "area",
    "as_step",
    "from_config",
    "hyperparams",
    "inject",
    "lr_find",
    "parse",
    "plot",
    "scale_lr",
}


@pytest.fixture(scope="module")
def gallery():
    return scripts.load(SCRIPT)


@pytest.fixture(scope="module")
def panels(gallery):
    return gallery.panels()


def public_objects():
    return {name: getattr(jd, name) for name in jd.__all__}


def schedule_classes() -> set[str]:
    """The public schedule types, each under its own name (aliases such as
    ``wsd`` and ``sgdr`` are the same class): the step-driven ones
    (``jd.Schedule``) and the metric-driven ones (optax's ``StatefulSchedule``,
    i.e. ``reduce_on_plateau``)."""
    return {
        obj.__name__
        for obj in public_objects().values()
        if isinstance(obj, type)
        and obj is not jd.Schedule
        and issubclass(obj, (jd.Schedule, optax.schedules.StatefulSchedule))
    }


def builders() -> set[str]:
    """The public functions that build schedules (``rebase``)."""
    return {
        name
        for name, obj in public_objects().items()
        if inspect.isfunction(obj) and name not in TOOLS
    }


def test_every_public_function_is_a_tool_or_a_builder():
    functions = {n for n, o in public_objects().items() if inspect.isfunction(o)}
    assert TOOLS <= functions  # no stale entry
    assert builders() == {"rebase"}  # a new one: a panel, or an entry of TOOLS


def test_a_panel_for_every_public_schedule_and_nothing_else(panels):
    expected = schedule_classes() | builders()
    assert len(expected) >= 42 and "reduce_on_plateau" in expected
    assert sorted(panels) == sorted(expected)


def test_each_panel_draws_the_schedule_it_names(panels):
    for name, (spec, schedule) in panels.items():
        assert not name.startswith("_") and name in jd.__all__
        if name in builders():
            assert isinstance(schedule, jd.Schedule), name
            assert spec.startswith(f"{name}("), spec
        else:
            # The public class itself, not a private subclass or a helper.
            assert type(schedule) is getattr(jd, name), (name, type(schedule))
            assert not type(schedule).__name__.startswith("_")


def test_specs_build_the_panels(gallery, panels):
    for name, spec in gallery.PANELS.items():
        assert jd.parse(spec) == panels[name][1], name


def test_captions_keep_the_spec_and_fit_their_panel(gallery, panels):
    for spec, _ in panels.values():
        text = gallery.caption(spec)
        lines = text.splitlines()
        rejoined = "".join([lines[0], *(line.removeprefix("  ") for line in lines[1:])])
        assert rejoined.replace(" ", "") == spec.replace(" ", "")
        # A line overflows only with a piece that cannot be broken.
        for line in lines:
            assert len(line) <= gallery.CAPTION_CHARS or " " not in line.strip()


def test_captions_are_legible_at_the_figures_own_size(gallery):
    """At least 9 pixels a caption's em (its characters' height) in the PNG, and
    a PNG about as wide as a README, which shows it at (nearly) that size."""
    px = gallery.CAPTION_PT * gallery.DPI / 72
    assert px >= 12  # capitals about 9 px tall (0.73 em in DejaVu Sans Mono)
    assert gallery.TITLE_PT >= gallery.CAPTION_PT >= gallery.TICK_PT >= 8
    assert 800 <= gallery.WIDTH_IN * gallery.DPI <= 1000
    # A caption line fits its column: monospace characters are 0.6 em wide.
    column_px = gallery.WIDTH_IN * gallery.DPI / gallery.COLUMNS
    assert gallery.CAPTION_CHARS * 0.6 * px <= 0.8 * column_px


def test_the_plateau_panel_is_driven_by_its_recorded_metric(gallery, panels):
    _, plateau = panels["reduce_on_plateau"]
    rate, loss = gallery.plateau_run(plateau, steps=600)
    assert rate.shape == loss.shape == (600,) and np.isfinite(loss).all()
    # The rate starts at the base and is cut by `factor` at least twice.
    assert rate[0] == 1.0 and np.all(np.diff(rate) <= 0)
    cuts = np.unique(rate)
    assert len(cuts) >= 3
    chex.assert_trees_all_close(
        np.sort(cuts)[::-1], 0.5 ** np.arange(len(cuts)), rtol=1e-6
    )

    # Replaying the recorded loss gives the same rates: the rate of step t is
    # the plateau's after the losses of steps 0 .. t-1.
    def replay(state, value):
        return plateau.update(state, value=value), plateau(state)

    _, again = jax.jit(lambda v: jax.lax.scan(replay, plateau.init(), v))(
        jnp.asarray(loss)
    )
    assert np.array_equal(np.asarray(again), rate)
