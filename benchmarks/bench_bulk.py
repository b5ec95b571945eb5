#!/usr/bin/env python
"""Bulk evaluation: a schedule over 10**7 steps at once, against the memory bound.

For each schedule (warmup-cosine, staircase exponential, a 1000-piece piecewise
constant) it times, on one device array of int32 steps ``0 .. n-1``:

* ``jit``: ``jax.jit(schedule)(steps)``;
* ``vmap``: ``jax.jit(jax.vmap(schedule))(steps)``;
* ``numpy``: the float64 closed form in NumPy (one core);

and, in the same run, the memory-copy bound: ``jax.jit(lambda s: s.astype(f32))``,
which reads the same int32 steps and writes the same float32 result and does no
arithmetic.  ``% of bound`` is the copy's time over the schedule's time.  Every
cell is timed in interleaved rounds; medians are reported.  Values are checked
against the float64 reference (``max rel. err``).
"""

from __future__ import annotations

import argparse
import sys

import _common as C
import numpy as np

SCHEDULES = ("warmup_cosine", "staircase_exponential", "piecewise_1000")


def build(name):
    """``(jaxdecay schedule, numpy float64 closed form)``."""
    import jaxdecay as jd

    if name == "warmup_cosine":
        peak, warm, total = 1e-3, 10_000, 9_000_000
        lr = jd.warmup_cosine_decay(peak, warm, total, end_value=1e-5)

        def ref(t):
            t = t.astype(np.float64)
            x = np.clip((t - warm) / (total - warm), 0.0, 1.0)
            cos = 1e-5 + (peak - 1e-5) * 0.5 * (1 + np.cos(np.pi * x))
            return np.where(t < warm, peak * t / warm, cos)

        return lr, ref
    if name == "staircase_exponential":
        rate, every = 0.97, 10_000
        lr = jd.exponential_decay(1e-3, rate, every, staircase=True)
        return lr, lambda t: 1e-3 * rate ** (t // every).astype(np.float64)
    if name == "piecewise_1000":
        bounds = np.arange(1, 1000, dtype=np.int64) * 9_973
        values = 1e-3 * (1.0 + 0.5 * np.sin(0.7 * np.arange(1000)))
        lr = jd.piecewise_constant(bounds, values)
        return lr, lambda t: values[np.searchsorted(bounds, t, side="right")]
    raise ValueError(name)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=10**7, help="steps evaluated at once")
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    p.add_argument("--target-ms", type=float, default=200.0, help="time per sample")
    p.add_argument("--schedules", default=",".join(SCHEDULES))
    p.add_argument("--no-numpy", action="store_true", help="skip the NumPy column")
    p.add_argument("--quick", action="store_true", help="10**5 steps, 1 round")
    p.add_argument("--json", metavar="PATH", help="write the results to PATH")
    C.add_device_arg(p)
    cfg = p.parse_args(argv)
    if cfg.quick:
        cfg.steps, cfg.rounds, cfg.target_ms = 10**5, 1, 5.0
    cfg.schedules = [s for s in cfg.schedules.split(",") if s]
    for s in cfg.schedules:
        if s not in SCHEDULES:
            p.error(f"unknown schedule {s!r}; choose from {', '.join(SCHEDULES)}")
    return cfg


def run(cfg):
    device = C.select_device(cfg.device)
    import jax
    import jax.numpy as jnp

    env = C.environment(device)
    n = cfg.steps
    host_steps = np.arange(n, dtype=np.int32)
    steps = jax.device_put(host_steps, device)
    block = jax.block_until_ready

    copy = jax.jit(lambda s: s.astype(jnp.float32))
    fns = {("bound", "copy"): lambda: copy(steps)}
    refs, errors = {}, {}
    for name in cfg.schedules:
        lr, ref = build(name)
        refs[name] = ref
        jit_fn = jax.jit(lr)
        vmap_fn = jax.jit(jax.vmap(lr))
        fns[(name, "jit")] = lambda f=jit_fn: f(steps)
        fns[(name, "vmap")] = lambda f=vmap_fn: f(steps)
        if not cfg.no_numpy:
            fns[(name, "numpy")] = lambda r=ref: r(host_steps)
        want = ref(host_steps)
        scale = np.where(want == 0, 1.0, np.abs(want))
        for kind in ("jit", "vmap"):
            got = np.asarray(fns[(name, kind)](), np.float64)
            errors[(name, kind)] = float(np.max(np.abs(got - want) / scale))

    def measure(key):
        return C.time_per_item(fns[key], n, cfg.target_ms / 1e3, block)

    samples = C.interleaved(
        list(fns), cfg.rounds, measure, log=lambda m: print(m, file=sys.stderr)
    )
    med = {k: C.median(v) for k, v in samples.items()}
    bound = med[("bound", "copy")]
    rows, results = [], []
    for name in cfg.schedules:
        for kind in ("jit", "vmap", "numpy"):
            if (name, kind) not in med:
                continue
            t = med[(name, kind)]
            frac = bound / t if kind != "numpy" else None
            err = errors.get((name, kind))
            rows.append(
                [
                    name,
                    kind,
                    f"{t * 1e9:.2f}",
                    f"{1 / t / 1e9:.3f}",
                    f"{frac:.0%}" if frac is not None else "—",
                    f"{err:.1e}" if err is not None else "—",
                ]
            )
            results.append(
                {
                    "schedule": name,
                    "kind": kind,
                    "s_per_step": t,
                    "fraction_of_bound": frac,
                    "max_rel_err": err,
                }
            )
    lines = [
        C.header("bench_bulk", env),
        f"# {n:,} steps per call, {cfg.rounds} interleaved rounds (medians); "
        f"memory-copy bound (int32 -> float32 cast): {bound * 1e9:.3f} ns/step = "
        f"{1 / bound / 1e9:.2f}e9 steps/s",
        "",
        C.table(
            ["schedule", "how", "ns/step", "1e9 steps/s", "% of bound", "max rel. err"],
            rows,
            ["---", "---", "--:", "--:", "--:", "--:"],
        ),
        "",
        "Targets:",
    ]
    verdicts = []
    for name in cfg.schedules:
        frac = max(bound / med[(name, "jit")], bound / med[(name, "vmap")])
        ok = frac >= 0.5
        verdicts.append(ok)
        lines.append(
            f"  {'PASS' if ok else 'FAIL'}  {name}: >= 50% of the memory-copy bound "
            f"— {frac:.0%}"
        )
    text = "\n".join(lines)
    return text, {
        "env": env,
        "steps": n,
        "rounds": cfg.rounds,
        "bound_s_per_step": bound,
        "results": results,
        "samples": {"/".join(k): v for k, v in samples.items()},
        "targets": lines[lines.index("Targets:") + 1 :],
    }


def main(argv=None):
    return C.main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
