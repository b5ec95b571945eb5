#!/usr/bin/env python
"""Numerics at scale: schedule values around boundaries near 2**24, 2**30 and
2**31 - 1, jaxdecay and optax in float32 (jitted) against an exact reference.

For each case it evaluates both libraries at every step within ``--width`` of
each boundary (and of 2**24, 2**30, 2**31 - 1 themselves) and reports the
largest relative error against a float64 / exact-integer reference and, for
staircase and piecewise schedules, the number of steps that land on the wrong
stair or piece (the level is read back from the value).  Targets: zero wrong
levels and a relative error <= 1e-6 for jaxdecay.
"""

from __future__ import annotations

import argparse
import sys

import _common as C
import numpy as np

EDGES = (2**24, 2**30, 2**31 - 1)
RTOL = 1e-6


def _around(points, width):
    steps = {p + d for p in points for d in range(-width, width + 1)}
    return np.array(sorted(s for s in steps if 0 <= s <= 2**31 - 1), np.int64)


def cases(width):
    """``(name, jaxdecay, optax, steps, reference values, reference levels)``;
    levels are None for continuous schedules."""
    import optax

    import jaxdecay as jd

    top = 2**31 - 1
    # Staircase exponential: stairs of T steps with boundaries at and next to
    # each edge (T divides them or not).
    rate = 1 - 2.0**-16
    for every in (1000, 4096, 2**20 + 7):
        points = [k * every for e in EDGES for k in (e // every, e // every + 1)]
        points = [p for p in points if p <= top] + list(EDGES)
        steps = _around(points, width)
        level = steps // every
        yield (
            f"staircase exponential, T={every}, rate 1-2**-16",
            jd.exponential_decay(1.0, rate, every, staircase=True),
            optax.exponential_decay(1.0, every, rate, staircase=True),
            steps,
            rate ** level.astype(np.float64),
            level,
            lambda v: np.round(np.log(v) / np.log(rate)),
        )
    # Step decay (gamma 0.5 every T): the level is log2 of the value.
    every = 2**24 - 3
    steps = _around(
        [k * every for k in range(1, top // every + 1)] + list(EDGES), width
    )
    level = steps // every
    yield (
        f"step decay, gamma 0.9, T={every}",
        jd.step_decay(1.0, every, 0.9),
        optax.exponential_decay(1.0, every, 0.9, staircase=True),
        steps,
        0.9 ** level.astype(np.float64),
        level,
        lambda v: np.round(np.log(v) / np.log(0.9)),
    )
    # Piecewise constant with boundaries at the edges and one step either side.
    bounds = sorted({e + d for e in EDGES for d in (-1, 0, 1) if 0 < e + d <= top})
    values = 1e-3 * 0.5 ** np.arange(len(bounds) + 1)
    scales = {b: 0.5 for b in bounds}
    steps = _around(bounds, width)
    level = np.searchsorted(np.asarray(bounds), steps, side="right")
    yield (
        "piecewise constant, boundaries at 2**24, 2**30, 2**31-1 (+-1)",
        jd.piecewise_constant(bounds, values),
        optax.piecewise_constant_schedule(1e-3, scales),
        steps,
        values[level],
        level,
        lambda v: np.round(np.log2(1e-3 / v)),
    )
    # Continuous schedules over the whole int32 range.
    steps = _around(list(EDGES) + [2**23, 2**25, 2**29, 2**31 - 2**20], width)
    yield (
        "linear warmup 0 -> 1e-3 over 2**31-1 steps",
        jd.linear(0.0, 1e-3, top),
        optax.linear_schedule(0.0, 1e-3, top),
        steps,
        1e-3 * steps / top,
        None,
        None,
    )
    yield (
        "exponential decay 0.5 per 2**28 steps",
        jd.exponential_decay(1.0, 0.5, 2**28),
        optax.exponential_decay(1.0, 2**28, 0.5),
        steps,
        0.5 ** (steps / 2.0**28),
        None,
        None,
    )
    total, warm = top, 2**20
    ref = np.where(
        steps < warm,
        steps / warm,
        0.5 * (1 + np.cos(np.pi * np.clip((steps - warm) / (total - warm), 0, 1))),
    )
    keep = ref > 1e-12  # the last steps round to zero in both; skip them
    yield (
        "warmup-cosine to 2**31-1 (peak 1, warmup 2**20)",
        jd.warmup_cosine_decay(1.0, warm, total),
        optax.warmup_cosine_decay_schedule(0.0, 1.0, warm, total),
        steps[keep],
        ref[keep],
        None,
        None,
    )


def rel_err(got, want):
    got = np.asarray(got, np.float64)
    scale = np.where(want == 0, 1.0, np.abs(want))
    return float(np.max(np.abs(got - want) / scale))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=3, help="steps either side")
    p.add_argument("--quick", action="store_true", help="width 1")
    p.add_argument("--json", metavar="PATH", help="write the results to PATH")
    C.add_device_arg(p)
    cfg = p.parse_args(argv)
    if cfg.quick:
        cfg.width = 1
    return cfg


def run(cfg):
    device = C.select_device(cfg.device)
    import jax

    env = C.environment(device)
    rows, results, verdicts = [], [], []
    for name, ours, theirs, steps, want, level, read in cases(cfg.width):
        steps32 = jax.device_put(np.asarray(steps, np.int32), device)
        out = {}
        for lib, fn in (("jaxdecay", ours), ("optax", theirs)):
            got = np.asarray(jax.jit(fn)(steps32), np.float64)
            wrong = None
            if level is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    wrong = int(np.sum(read(got) != level))
            out[lib] = (rel_err(got, want), wrong)
        (e_j, w_j), (e_o, w_o) = out["jaxdecay"], out["optax"]
        ok = e_j <= RTOL and not w_j
        verdicts.append((name, ok, e_j, w_j))

        def fmt_w(w):
            return "—" if w is None else f"{w}"

        rows.append(
            [name, len(steps), f"{e_j:.1e}", f"{e_o:.1e}", fmt_w(w_j), fmt_w(w_o)]
        )
        results.append(
            {
                "case": name,
                "steps": len(steps),
                "jaxdecay_max_rel_err": e_j,
                "optax_max_rel_err": e_o,
                "jaxdecay_wrong_levels": w_j,
                "optax_wrong_levels": w_o,
            }
        )
    lines = [
        C.header("bench_numerics", env),
        f"# float32, jitted; steps within {cfg.width} of each boundary and of "
        "2**24, 2**30, 2**31-1; reference: float64 closed form, exact integer levels",
        "",
        C.table(
            [
                "case",
                "steps",
                "jaxdecay max rel. err",
                "optax max rel. err",
                "jaxdecay wrong levels",
                "optax wrong levels",
            ],
            rows,
            ["---", "--:", "--:", "--:", "--:", "--:"],
        ),
        "",
        "Targets:",
    ]
    for name, ok, e, w in verdicts:
        lines.append(
            f"  {'PASS' if ok else 'FAIL'}  {name}: rtol <= {RTOL:g} and no wrong "
            f"level — {e:.1e}" + ("" if w is None else f", {w} wrong")
        )
    return "\n".join(lines), {
        "env": env,
        "results": results,
        "targets": [x.strip() for x in lines[lines.index("Targets:") + 1 :]],
    }


def main(argv=None):
    return C.main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
