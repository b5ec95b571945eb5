"""Accuracy at scale: jaxdecay and optax in float32 against a float64 reference.

    python benchmarks/accuracy.py
    python benchmarks/accuracy.py --quick   # a smoke test: 100 scales, not 1000

Prints, for each case the issue names, the worst relative error of optax and of
jaxdecay (float32, jitted) against an exact float64/integer reference, and the
number of wrong stairs or pieces.  The figures in the README come from here.
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
import optax

import jaxdecay as jd


def rel_err(got, want):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    scale = np.where(want == 0, 1.0, np.abs(want))
    return float(np.max(np.abs(got - want) / scale))


def near(boundaries, width=3):
    steps = {b + d for b in boundaries for d in range(-width, width + 1)}
    return np.array(sorted(s for s in steps if 0 <= s < 2**31), np.int64)


def cases(quick: bool):
    T = 100_000
    steps = np.unique(
        np.concatenate([np.linspace(0, T, 2001), np.arange(1, 200)])
    ).astype(np.int64)
    yield (
        "linear warmup 0 -> 1e-3 over 1e5 steps",
        optax.linear_schedule(0.0, 1e-3, T),
        jd.linear(0.0, 1e-3, T),
        steps,
        1e-3 * steps / T,
        None,
    )
    T = 10_000_000
    steps = np.unique(
        np.concatenate([np.linspace(0, T, 2001), np.arange(1, 200)])
    ).astype(np.int64)
    yield (
        "linear warmup 0 -> 1e-3 over 1e7 steps",
        optax.linear_schedule(0.0, 1e-3, T),
        jd.linear(0.0, 1e-3, T),
        steps,
        1e-3 * steps / T,
        None,
    )
    W, D = 10_000, 1_000_000
    steps = np.arange(1, W, 7, dtype=np.int64)
    yield (
        "warmup part of warmup_cosine_decay (W=1e4, D=1e6)",
        optax.warmup_cosine_decay_schedule(0.0, 1e-3, W, D),
        jd.warmup_cosine_decay(1e-3, W, D),
        steps,
        1e-3 * steps / W,
        None,
    )
    steps = np.arange(D - 5000, D + 1, 5, dtype=np.int64)
    ref = 1e-3 * 0.5 * (1 + np.cos(np.pi * (steps - W) / (D - W)))
    yield (
        "end of the cosine (last 5000 steps)",
        optax.warmup_cosine_decay_schedule(0.0, 1e-3, W, D),
        jd.warmup_cosine_decay(1e-3, W, D),
        steps[:-1],
        ref[:-1],
        None,
    )
    rate = 1 - 2.0**-16
    bounds = [1000 * k for k in range(1, 3000)] + [
        1000 * (x // 1000) for x in (2**24, 2**30, 2**31 - 1)
    ]
    steps = np.asarray(bounds, np.int64) - 1
    yield (
        "staircase exponential, rate 1-2**-16, step just before each boundary",
        optax.exponential_decay(1.0, 1000, rate, staircase=True),
        jd.exponential_decay(1.0, rate, 1000, staircase=True),
        steps,
        rate ** (steps // 1000).astype(np.float64),
        steps // 1000,
    )
    spread = 1000 * np.linspace(1, (2**31 - 1) // 1000, 3000).astype(np.int64)
    steps = spread - 1
    yield (
        "same, step just before boundaries spread over the int32 range",
        optax.exponential_decay(1.0, 1000, rate, staircase=True),
        jd.exponential_decay(1.0, rate, 1000, staircase=True),
        steps,
        rate ** (steps // 1000).astype(np.float64),
        steps // 1000,
    )
    steps = near(bounds, 2)
    yield (
        "staircase exponential, rate 1-2**-16, 1000-step stairs",
        optax.exponential_decay(1.0, 1000, rate, staircase=True),
        jd.exponential_decay(1.0, rate, 1000, staircase=True),
        steps,
        rate ** (steps // 1000).astype(np.float64),
        steps // 1000,
    )
    # optax unrolls its scales into the program: 1000 of them take seconds to
    # compile, so the smoke test takes 100.
    pieces = 100 if quick else 1000
    bounds = list(range(10, 10 * pieces + 10, 10))
    scales = {b: 0.999 for b in bounds}
    steps = near(bounds, 1)
    yield (
        f"piecewise constant, {pieces} scales of 0.999",
        optax.piecewise_constant_schedule(1.0, scales),
        jd.piecewise_constant.from_scales(1.0, scales),
        steps,
        0.999 ** np.searchsorted(bounds, steps, side="right"),
        None,
    )
    steps = np.array([0, 1, 2**24 + 1, 2**30, 2**31 - 1], np.int64)
    steps = np.unique(np.concatenate([steps, np.linspace(0, 2**31 - 1, 500)])).astype(
        np.int64
    )
    yield (
        "continuous exponential, rate 0.99 per 1e6 steps, to 2**31-1",
        optax.exponential_decay(1.0, 10**6, 0.99),
        jd.exponential_decay(1.0, 0.99, 10**6),
        steps,
        np.exp(steps / 1e6 * np.log(0.99)),
        None,
    )


def stairs_of(schedule_values, rate):
    return np.round(np.log(np.asarray(schedule_values, np.float64)) / np.log(rate))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: a smaller piecewise case"
    )
    args = parser.parse_args(argv)
    rows = []
    for name, ref_optax, ours, steps, want, levels in cases(args.quick):
        steps32 = np.asarray(steps, np.int32)
        got_optax = np.asarray(jax.jit(ref_optax)(steps32))
        got_ours = np.asarray(jax.jit(ours)(steps32))
        wrong = ""
        if levels is not None:
            rate = 1 - 2.0**-16
            w_opt = int(np.sum(stairs_of(got_optax, rate) != levels))
            w_ours = int(np.sum(stairs_of(got_ours, rate) != levels))
            wrong = f"{w_opt} vs {w_ours} of {len(steps)}"
        rows.append((name, rel_err(got_optax, want), rel_err(got_ours, want), wrong))
    print(
        "| case | optax 0.2.8 max rel. error | jaxdecay max rel. error "
        "| wrong stairs (optax, jaxdecay) |"
    )
    print("|---|---|---|---|")
    for name, e_opt, e_ours, wrong in rows:
        print(f"| {name} | {e_opt:.2e} | {e_ours:.2e} | {wrong or '—'} |")


if __name__ == "__main__":
    main()
