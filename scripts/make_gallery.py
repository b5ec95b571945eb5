"""Draws docs/gallery.png: one panel per public schedule of jaxdecay, from the library.

    python scripts/make_gallery.py [-o docs/gallery.png]

Every public schedule gets a panel with a representative configuration: its
name as the title, the code that builds it as the caption.  The plateau
schedule, driven by a metric rather than the step, is drawn from the loss of a
toy training run that it steers (the loss on a second axis).
``tests/test_gallery.py`` checks that the panels cover every public schedule and
nothing else, and that the captions are legible at the figure's own size.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optax  # noqa: E402

import jaxdecay as jd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STEPS = 1000

# The figure: COLUMNS panels a row, WIDTH_IN inches wide at DPI dots an inch, so
# the PNG is WIDTH_IN * DPI pixels wide: about a README's width, which shows it
# at its own size.  Text sizes are in points (1/72 inch): a caption is
# CAPTION_PT * DPI / 72 pixels tall.
COLUMNS = 3
WIDTH_IN = 9.0
ROW_IN = 2.25
DPI = 100
TITLE_PT = 11
CAPTION_PT = 9.5
TICK_PT = 8
CAPTION_CHARS = 28  # monospace characters a caption line holds

# One panel per public schedule: its spec (``jd.parse`` builds it).  Those that
# take Python callables, and ``rebase`` (a function that builds a composition),
# are built in code in `panels`.
PANELS = {
    "constant": "constant(0.5)",
    "linear_decay": "linear_decay(1.0, decay_rate=0.1, transition_steps=100)",
    "exponential_decay": "exponential_decay(1.0, 0.5, 200, staircase=True)",
    "natural_exp_decay": "natural_exp_decay(1.0, 0.5, 100)",
    "inverse_time_decay": "inverse_time_decay(1.0, 0.5, 50)",
    "inverse_sqrt_decay": "inverse_sqrt_decay(1.0, transition_steps=50)",
    "step_decay": "step_decay(1.0, step_size=250, gamma=0.5)",
    "multistep_decay": "multistep_decay(1.0, [300, 600, 800], 0.3)",
    "piecewise_constant": "piecewise_constant([200, 500], [1.0, 0.4, 0.1])",
    "piecewise_linear": "piecewise_linear([0, 100, 600, 1000], [0.0, 1.0, 0.5, 0.0])",
    "polynomial_decay": "polynomial_decay(1.0, 0.05, 800, power=2.0)",
    "cosine_decay": "cosine_decay(1.0, 800, end_value=0.1)",
    "linear": "linear(1.0, 0.1, 600, transition_begin=200)",
    "warmup_cosine_decay": "warmup_cosine_decay(1.0, 100, 1000)",
    "warmup_stable_decay": "wsd(1.0, 100, 600, 300, decay_shape='1-sqrt')",
    "one_cycle": "one_cycle(1.0, 1000)",
    "one_cycle_momentum": "one_cycle_momentum(one_cycle(1.0, 1000))",
    "cyclic": "cyclic(0.1, 1.0, 125, mode='triangular2')",
    "cosine_restarts": "cosine_restarts(1.0, 100, period_mult=2.0, value_mult=0.8)",
    "join": "join([linear(0.0, 1.0, 100), exponential_decay(1.0, 0.99)], [100])",
    "arithmetic": "linear_decay(1.0, 0.1, 100) * exponential_decay(1.0, 0.998)",
    "combine": "cosine_decay(0.5, 1000) + 0.3 * cosine_restarts(1.0, 250) + 0.1",
    "clip": "clip(cosine_restarts(1.0, 250), min_value=0.3)",
    "shift": "shift(cosine_decay(1.0, 500), 300)",
    "repeat": "repeat(warmup_cosine_decay(1.0, 50, 250), 250)",
    "scale_steps": "scale_steps(repeat(cosine_decay(1.0, 1000), 1000), 3, 1000)",
    "staircase": "staircase(cosine_decay(1.0, 1000), 100)",
    "warmup": "warmup(exponential_decay(1.0, 0.995), 150)",
    "cooldown": "cooldown(cosine_restarts(1.0, 200), 700, 300, shape='1-sqrt')",
    "wsd_cycles": "wsd_cycles(1.0, 50, [400, 300, 300], 0.2, rewarmup_steps=30, "
    "end_value=0.05)",
    "stretch": "stretch(warmup_cosine_decay(1.0, 50, 400), 2.5)",
    "power_decay": "power_decay(1.0, timescale=50, transition_begin=100)",
    "tanh_decay": "tanh_decay(1.0, 800, end_value=0.05)",
    "warp": "warp(cosine_restarts(1.0, 250, end_value=0.1), k=2.0, period=250)",
    "minimum": "minimum(warmup_cosine_decay(1.0, 100, 1000), "
    "inverse_sqrt_decay(1.0, transition_steps=100))",
    "maximum": "maximum(cosine_decay(1.0, 1000), linear(0.6, 0.0, 500), 0.1)",
    "untuned_warmup": "untuned_warmup(cosine_decay(1.0, 1000), b2=0.995)",
    "noise": "noise(cosine_decay(1.0, 1000), 1.0, key=42, pct=0.3, start=100, end=800)",
    "reduce_on_plateau": "reduce_on_plateau(0.5, patience=60, threshold=0.01)",
}
# What a panel's caption says below its spec.
NOTES = {
    "reduce_on_plateau": "grey (right axis): the loss of\na toy run, reported each step"
}


def panels() -> dict[str, tuple[str, object]]:
    """``{public name: (caption, schedule)}``, one entry per panel."""
    out = {name: (spec, jd.parse(spec)) for name, spec in PANELS.items()}
    out["recurrence"] = (
        "recurrence(1.0, lambda t: 1 / (1 + 2e-6 * t), horizon=1000)",
        jd.recurrence(1.0, lambda t: 1 / (1 + 2e-6 * t), horizon=STEPS),
    )
    out["from_fn"] = (
        "from_fn(optax.cosine_onecycle_schedule(1000, 1.0))",
        jd.from_fn(optax.cosine_onecycle_schedule(STEPS, 1.0)),
    )
    out["rebase"] = (
        "rebase(warmup_cosine_decay(1.0, 50, 600), 300, 1000)",
        jd.rebase(jd.warmup_cosine_decay(1.0, 50, 600), 300, STEPS),
    )
    return out


def plateau_run(plateau, steps: int = STEPS, seed: int = 0):
    """``(rate, loss)`` of a toy training run steered by ``plateau``.

    The loss relaxes towards a floor that the rate sets, 0.1 + 0.6 * rate, with
    2% of it taken each step, plus noise: it falls, levels off, and falls again
    after each cut.  The loss after step t is reported to ``plateau`` (one update
    per step), which decides the rate of step t + 1, as optax's
    ``inject_hyperparams`` does with ``value=loss``.
    """
    noise = np.random.default_rng(seed).normal(0.0, 0.015, steps).astype(np.float32)

    def step(carry, eps):
        state, loss = carry
        rate = plateau(state)
        loss = loss + 0.02 * (0.1 + 0.6 * rate - loss) + eps * loss
        return (plateau.update(state, value=loss), loss), (rate, loss)

    def run(noise):
        return jax.lax.scan(step, (plateau.init(), jnp.float32(2.0)), noise)[1]

    rate, loss = jax.jit(run)(noise)
    return np.asarray(rate), np.asarray(loss)


def caption(spec: str, width: int = CAPTION_CHARS) -> str:
    """``spec`` on lines of at most ``width`` characters, broken after an
    opening parenthesis, a comma or a space (a piece longer than a line keeps
    its own)."""
    lines, line = [], ""
    for piece in re.findall(r"[^(,\s]*[(,\s]*", spec)[:-1]:
        if line.strip() and len(line + piece.rstrip()) > width:
            lines.append(line.rstrip())
            line = "  " + piece.lstrip()
        else:
            line += piece
    return "\n".join([*lines, line.rstrip()])


def draw_plateau(ax, plateau) -> None:
    rate, loss = plateau_run(plateau)
    steps = np.arange(len(rate))
    ax.plot(steps, rate, color="C0", label="rate")
    metric = ax.twinx()
    metric.plot(steps, loss, color="0.55", lw=0.8, label="loss")
    metric.set_ylim(0, None)
    metric.tick_params(labelsize=TICK_PT, colors="0.4")
    ax.set_zorder(metric.get_zorder() + 1)  # the rate over the loss
    ax.patch.set_visible(False)


def draw(path: Path) -> None:
    items = sorted(panels().items())
    rows = math.ceil(len(items) / COLUMNS)
    fig, axes = plt.subplots(
        rows,
        COLUMNS,
        figsize=(WIDTH_IN, ROW_IN * rows),
        layout="constrained",
        squeeze=False,
    )
    for ax, (name, (spec, schedule)) in zip(axes.flat, items, strict=False):
        if isinstance(schedule, jd.Schedule):
            jd.plot({name: schedule}, STEPS, ax=ax)
            ax.legend().remove()
        else:  # reduce_on_plateau: steered by a metric
            draw_plateau(ax, schedule)
        ax.set_title(name, fontsize=TITLE_PT, fontweight="bold")
        ax.set_ylabel("")
        text = caption(spec) + ("\n" + NOTES[name] if name in NOTES else "")
        label = ax.set_xlabel(
            text, fontsize=CAPTION_PT, family="monospace", color="0.15"
        )
        label.set_multialignment("left")
        ax.tick_params(labelsize=TICK_PT)
        ax.set_xticks([0, 500, 1000])
    for ax in list(axes.flat)[len(items) :]:
        ax.axis("off")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "gallery.png"))
    args = parser.parse_args(argv)
    draw(Path(args.output))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
