"""Checks ``reduce_on_plateau`` against PyTorch's ``ReduceLROnPlateau``.

Not part of the test suite (torch is not a dependency).  With torch installed:

    python scripts/check_plateau_against_torch.py [--cases N] [--print-literals]

Runs random configurations and metric sequences through both, with
``jax_enable_x64``, and compares ``get_last_lr()`` after each ``step(metric)``
with the schedule's value after each ``update(value=metric)``.  Non-finite
metrics are left out: there the two differ by design (see the docstring).
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
import torch

from jaxdecay._catalog.plateau import reduce_on_plateau


def torch_rates(config, base, metrics):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt,
        mode=config["mode"],
        factor=config["factor"],
        patience=config["patience"],
        threshold=config["threshold"],
        threshold_mode=config["threshold_mode"],
        cooldown=config["cooldown"],
        min_lr=config["min_value"],
        eps=config["eps"],
    )
    out = []
    for m in metrics:
        sched.step(float(m))
        out.append(sched.get_last_lr()[0])
    return np.asarray(out, np.float64)


def jax_rates(config, base, metrics):
    plateau = reduce_on_plateau(**config, base=base)

    def step(state, metric):
        state = plateau.update(state, value=metric)
        return state, plateau(state)

    _, values = jax.lax.scan(step, plateau.init(), np.asarray(metrics, np.float64))
    return np.asarray(values)


def random_case(rng):
    config = {
        "factor": float(rng.choice([0.0, 0.1, 0.5, 0.9])),
        "patience": int(rng.integers(0, 5)),
        "threshold": float(rng.choice([0.0, 1e-4, 1e-2, 0.1])),
        "threshold_mode": str(rng.choice(["rel", "abs"])),
        "mode": str(rng.choice(["min", "max"])),
        "cooldown": int(rng.integers(0, 4)),
        "min_value": float(rng.choice([0.0, 1e-4, 1e-3])),
        "eps": float(rng.choice([0.0, 1e-8, 1e-4])),
    }
    base = float(rng.choice([1.0, 0.1, 0.01, 3e-4]))
    n = 60
    drift = np.cumsum(rng.normal(-0.01, 0.03, n))
    plateaus = np.repeat(rng.normal(0, 1, n // 6), 6)
    metrics = 1.0 + drift + rng.choice([0.0, 1.0]) * plateaus * 0.01
    if config["mode"] == "max":
        metrics = -metrics
    return config, base, metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--print-literals", action="store_true")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(args.seed)
    worst = 0.0
    for i in range(args.cases):
        config, base, metrics = random_case(rng)
        want = torch_rates(config, base, metrics)
        got = jax_rates(config, base, metrics)
        err = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))
        worst = max(worst, err)
        if err > 1e-14:
            raise SystemExit(f"case {i}: {config} base={base}: rel err {err:.3g}")
        if args.print_literals and i < 5:
            print(config, base)
            print("metrics", [round(float(m), 6) for m in metrics])
            print("rates", want.tolist())
    print(f"torch {torch.__version__}: {args.cases} cases agree, worst rel {worst:.3g}")


if __name__ == "__main__":
    main()
