"""Draws docs/gallery.png: one panel per schedule of the catalog, from the library.

    python scripts/make_gallery.py [-o docs/gallery.png]

Every public schedule constructor gets a panel with a representative
configuration (written as a spec, shown as the panel's title); a test checks
the gallery covers the whole catalog.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optax  # noqa: E402

import jaxdecay as jd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STEPS = 1000

# One panel per public schedule: (spec, steps).  ``recurrence`` and ``from_fn``
# take Python callables, so they are built in code below.
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
    "scale_steps": "scale_steps(repeat(cosine_decay(1.0, 100), 100), 3, 100)",
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
}


def panels() -> dict[str, tuple[str, jd.Schedule]]:
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
        jd.rebase(jd.warmup_cosine_decay(1.0, 50, 600), 300, 1000),
    )
    return out


def draw(path: Path) -> None:
    items = sorted(panels().items())
    cols = 4
    rows = math.ceil(len(items) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows))
    for ax, (name, (spec, schedule)) in zip(axes.flat, items, strict=False):
        jd.plot({name: schedule}, STEPS, ax=ax)
        ax.set_title(name, fontsize=10, fontweight="bold")
        ax.legend().remove()
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.text(
            0.02, 0.02, spec, transform=ax.transAxes, fontsize=5.5, color="0.35",
            va="bottom", wrap=True,
        )  # fmt: skip
    for ax in list(axes.flat)[len(items) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "gallery.png"))
    args = parser.parse_args(argv)
    draw(Path(args.output))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
