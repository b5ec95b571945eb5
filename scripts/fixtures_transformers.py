"""Fixtures of ``jaxdecay.transformers``: transformers' own schedulers, run.

Needs torch and transformers (not dependencies of jaxdecay or of its tests).
``generate()`` returns ``{"peer": "transformers", "version": ..., "cases": [...]}``
in the format of ``tests/peers.py``; ``scripts/make_peer_fixtures.py`` writes it
to ``tests/fixtures/transformers.json``, as does running this file::

    python scripts/fixtures_transformers.py

Each case builds the transformers scheduler on ``torch.optim.SGD`` over a dummy
parameter with a Python-float ``lr`` (LambdaLR computes ``lr * lr_lambda(t)`` in
Python float64), then records ``get_last_lr()[0]`` before each
``scheduler.step()``: ``values[t]`` is the rate of optimizer update ``t``.
A case with ``last_epoch = k`` sets ``initial_lr`` in the parameter group, as a
resumed optimizer has it.

Plateau cases carry ``metrics``; as in ``scripts/fixtures_torch.py``,
``values[i]`` is ``get_last_lr()[0]`` after ``scheduler.step(metrics[i])``
(the initial rate is ``lr``).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "transformers.json"

# (id, name, args, kwargs (with lr), number of steps)
CASES: list[tuple] = []


def case(cid, name, args, kwargs, steps):
    CASES.append((cid, name, list(args), dict(kwargs), steps))


# transformers' own test (tests/optimization/test_optimization.py): lr=10,
# num_warmup_steps=2, num_training_steps=10, 10 steps; we run 20.
T = {"lr": 10.0}

case("constant-lr10", "get_constant_schedule", [], T, 20)
case("constant-small", "get_constant_schedule", [], {"lr": 3e-4}, 5)
case("constant-resume", "get_constant_schedule", [], {"lr": 0.1, "last_epoch": 4}, 5)

for w in (4, 0, 1, 7):
    case(
        f"constant_warmup-W{w}",
        "get_constant_schedule_with_warmup",
        [w],
        {"lr": 10.0 if w == 4 else 3e-4},
        12,
    )
case(
    "constant_warmup-resume",
    "get_constant_schedule_with_warmup",
    [6],
    {"lr": 0.5, "last_epoch": 2},
    8,
)

for w, n, lr in [
    (2, 10, 10.0),
    (0, 10, 1.0),
    (1, 1, 1.0),
    (10, 10, 1.0),
    (12, 10, 1.0),
    (3, 7, 0.3),
    (0, 0, 1.0),
    (100, 1000, 3e-4),
]:
    case(
        f"linear-W{w}-N{n}",
        "get_linear_schedule_with_warmup",
        [w, n],
        {"lr": lr},
        max(int(1.5 * max(n, w)) + 2, 6),
    )
case(
    "linear-resume",
    "get_linear_schedule_with_warmup",
    [2, 10],
    {"lr": 1.0, "last_epoch": 5},
    12,
)

for w, n, c, lr in [
    (2, 10, 0.5, 10.0),
    (0, 10, 0.5, 1.0),
    (3, 20, 1.0, 1.0),
    (2, 12, 2.5, 1.0),
    (5, 25, 0.3, 1.0),
    (0, 9, 1 / 3, 1.0),
    (4, 4, 0.5, 1.0),
    (6, 3, 0.5, 1.0),
    (0, 1, 0.5, 1.0),
    (0, 10, 0.0, 1.0),
    (2, 10, -0.5, 1.0),
    (1, 7, 0.75, 1.0),
    (100, 1000, 0.5, 3e-4),
]:
    case(
        f"cosine-W{w}-N{n}-c{c:.4g}",
        "get_cosine_schedule_with_warmup",
        [w, n],
        {"num_cycles": c, "lr": lr},
        max(int(1.5 * max(n, w)) + 2, 8) if n < 100 else 2100,
    )
case(
    "cosine-resume",
    "get_cosine_schedule_with_warmup",
    [2, 10],
    {"lr": 1.0, "last_epoch": 0},
    20,
)

for w, n, c, lr in [
    (2, 10, 2, 10.0),
    (0, 10, 1, 1.0),
    (3, 23, 3, 1.0),
    (2, 12, 2.5, 1.0),
    (5, 5, 1, 1.0),
    (0, 7, 3, 1.0),
    (1, 50, 4, 0.01),
    (2, 10, 0, 1.0),
    (2, 10, -1, 1.0),
    (0, 30, 7, 1.0),
]:
    case(
        f"restarts-W{w}-N{n}-c{c}",
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        [w, n],
        {"num_cycles": c, "lr": lr},
        max(int(1.5 * max(n, w)) + 2, 8),
    )

for w, n, kw in [
    (2, 10, {"power": 2.0, "lr_end": 1e-7, "lr": 10.0}),
    (2, 10, {"lr": 1.0}),
    (0, 10, {"lr_end": 0.5, "power": 0.5, "lr": 1.0}),
    (5, 3, {"lr_end": 0.01, "lr": 1.0}),
    (2, 8, {"power": 0.0, "lr_end": 0.2, "lr": 1.0}),
    (3, 13, {"lr_end": 1e-4, "power": 3.0, "lr": 1e-3}),
    (0, 1, {"lr_end": 0.0, "lr": 1.0}),
    (1, 9, {"lr_end": -0.5, "lr": 1.0}),
]:
    case(
        f"polynomial-W{w}-N{n}-{len(CASES)}",
        "get_polynomial_decay_schedule_with_warmup",
        [w, n],
        kw,
        max(int(1.5 * max(n, w)) + 2, 8),
    )
case(
    "polynomial-resume",
    "get_polynomial_decay_schedule_with_warmup",
    [2, 10],
    {"lr_end": 0.1, "lr": 1.0, "last_epoch": 3},
    12,
)

for w, kw, steps in [
    (2, {"lr": 10.0}, 20),
    (0, {"lr": 1.0}, 30),
    (4, {"timescale": 10, "lr": 1.0}, 40),
    (10, {"timescale": 3, "lr": 1.0}, 40),
    (0, {"timescale": 5, "lr": 1.0}, 40),
    (1000, {"lr": 3e-4}, 3000),
]:
    case(f"inverse_sqrt-W{w}-{len(CASES)}", "get_inverse_sqrt_schedule", [w], kw, steps)

for w, n, kw in [
    (2, 10, {"min_lr": 1e-5, "lr": 10.0}),
    (2, 10, {"min_lr_rate": 0.1, "lr": 1.0}),
    (0, 10, {"min_lr": 0.05, "lr": 0.5}),
    (3, 13, {"num_cycles": 1.0, "min_lr_rate": 0.2, "lr": 1.0}),
    (2, 10, {"min_lr_rate": -0.5, "lr": 1.0}),
    (3, 3, {"min_lr_rate": 0.1, "lr": 1.0}),
    (1, 11, {"num_cycles": 2.5, "min_lr_rate": 1.5, "lr": 1.0}),
]:
    case(
        f"cosine_min_lr-W{w}-N{n}-{len(CASES)}",
        "get_cosine_with_min_lr_schedule_with_warmup",
        [w, n],
        kw,
        max(int(1.5 * max(n, w)) + 2, 8),
    )

for w, n, kw in [
    (2, 10, {"min_lr_rate": 0.1, "lr": 10.0}),
    (4, 10, {"min_lr_rate": 0.1, "warmup_lr_rate": 0.2, "lr": 1.0}),
    (0, 10, {"min_lr": 0.01, "lr": 0.1}),
    (1, 10, {"min_lr_rate": 0.0, "lr": 1.0}),
    (1, 10, {"min_lr_rate": 0.0, "warmup_lr_rate": 0.3, "lr": 1.0}),
    (2, 10, {"min_lr_rate": 0.0, "warmup_lr_rate": 0.5, "lr": 1.0}),
    (5, 20, {"num_cycles": 1.0, "min_lr_rate": 0.1, "lr": 1.0}),
    (3, 3, {"min_lr_rate": 0.1, "lr": 1.0}),
    (2, 10, {"min_lr_rate": -1.0, "lr": 1.0}),
]:
    case(
        f"cosine_warmup_min_lr-W{w}-N{n}-{len(CASES)}",
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        [w, n],
        kw,
        max(int(1.5 * max(n, w)) + 2, 8),
    )

for warm in ("linear", "cosine", "1-sqrt"):
    for dec in ("linear", "cosine", "1-sqrt"):
        case(
            f"wsd-{warm}-{dec}",
            "get_wsd_schedule",
            [3, 4],
            {
                "num_training_steps": 12,
                "warmup_type": warm,
                "decay_type": dec,
                "min_lr_ratio": 0.1,
                "lr": 1.0,
            },
            18,
        )
for cid, args, kw in [
    ("wsd-test", [2, 2], {"num_training_steps": 10, "lr": 10.0}),
    ("wsd-stable", [2, 3], {"num_stable_steps": 4, "lr": 1.0}),
    ("wsd-both", [2, 3], {"num_training_steps": 30, "num_stable_steps": 4, "lr": 1.0}),
    ("wsd-W0", [0, 5], {"num_training_steps": 10, "min_lr_ratio": 0.2, "lr": 1.0}),
    ("wsd-D0", [3, 0], {"num_training_steps": 8, "min_lr_ratio": 0.2, "lr": 1.0}),
    ("wsd-S-negative", [4, 6], {"num_training_steps": 7, "lr": 1.0}),
    ("wsd-S-very-negative", [4, 3], {"num_stable_steps": -5, "lr": 1.0}),
    ("wsd-cycles", [2, 8], {"num_training_steps": 14, "num_cycles": 1.0, "lr": 1.0}),
    ("wsd-cycles-2.5", [1, 9], {"num_stable_steps": 2, "num_cycles": 2.5, "lr": 1.0}),
    (
        "wsd-negative-ratio",
        [3, 4],
        {
            "num_training_steps": 10,
            "min_lr_ratio": -0.5,
            "warmup_type": "cosine",
            "decay_type": "1-sqrt",
            "lr": 1.0,
        },
    ),
    ("wsd-resume", [2, 4], {"num_training_steps": 10, "lr": 1.0, "last_epoch": 1}),
    ("wsd-long", [100, 300], {"num_training_steps": 1000, "lr": 3e-4}),
]:
    steps = 1500 if cid == "wsd-long" else 24
    case(cid, "get_wsd_schedule", args, kw, steps)

for cid, name, kw in [
    ("scheduler-linear", "linear", {"num_warmup_steps": 2, "num_training_steps": 10}),
    ("scheduler-cosine", "cosine", {"num_warmup_steps": 2, "num_training_steps": 10}),
    (
        "scheduler-restarts",
        "cosine_with_restarts",
        {
            "num_warmup_steps": 2,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"num_cycles": 3},
        },
    ),
    (
        "scheduler-polynomial",
        "polynomial",
        {
            "num_warmup_steps": 2,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"power": 2.0, "lr_end": 0.01},
        },
    ),
    ("scheduler-constant", "constant", {"num_warmup_steps": 5}),
    (
        "scheduler-constant_with_warmup",
        "constant_with_warmup",
        {
            "num_warmup_steps": 3,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"ignored": 1},
        },
    ),
    (
        "scheduler-inverse_sqrt",
        "inverse_sqrt",
        {"num_warmup_steps": 3, "scheduler_specific_kwargs": {"timescale": 6}},
    ),
    (
        "scheduler-cosine_with_min_lr",
        "cosine_with_min_lr",
        {
            "num_warmup_steps": 2,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"min_lr": 0.1},
        },
    ),
    (
        "scheduler-cosine_warmup_with_min_lr",
        "cosine_warmup_with_min_lr",
        {
            "num_warmup_steps": 2,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"min_lr_rate": 0.1},
        },
    ),
    (
        "scheduler-warmup_stable_decay",
        "warmup_stable_decay",
        {
            "num_warmup_steps": 2,
            "num_training_steps": 10,
            "scheduler_specific_kwargs": {"num_decay_steps": 3, "decay_type": "1-sqrt"},
        },
    ),
]:
    case(cid, "get_scheduler", [name], {**kw, "lr": 1.0}, 16)

PLATEAU_METRICS = [
    [1.0, 0.9, 0.95, 0.92, 0.93, 0.91, 0.94, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9]
    * 3,
    [0.5, 0.6, 0.55, 0.58, 0.61, 0.6, 0.59, 0.62, 0.62, 0.62, 0.61, 0.63] * 3,
    [float(10 - i % 7) for i in range(60)],
]
PLATEAU_CASES = [
    ("plateau-defaults", {"lr": 0.1}, PLATEAU_METRICS[2]),
    (
        "plateau-patience1",
        {"lr": 0.1, "patience": 1, "factor": 0.5, "min_lr": 0.01},
        PLATEAU_METRICS[0],
    ),
    (
        "plateau-max-abs-cooldown",
        {
            "lr": 1.0,
            "mode": "max",
            "threshold_mode": "abs",
            "threshold": 0.01,
            "patience": 2,
            "cooldown": 2,
            "factor": 0.3,
            "eps": 1e-3,
        },
        PLATEAU_METRICS[1],
    ),
]


def _optimizer(lr, last_epoch):
    import torch

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    if last_epoch != -1:
        for group in opt.param_groups:
            group["initial_lr"] = lr
    return opt


def _run(name, args, kwargs, steps):
    from transformers import optimization

    kw = dict(kwargs)
    lr = kw.pop("lr")
    opt = _optimizer(lr, kw.get("last_epoch", -1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "get_scheduler":
            sched = optimization.get_scheduler(args[0], optimizer=opt, **kw)
        else:
            sched = getattr(optimization, name)(opt, *args, **kw)
        values = []
        for _ in range(steps):
            values.append(float(sched.get_last_lr()[0]))
            opt.step()
            sched.step()
    return values


def _run_plateau(kwargs, metrics):
    from transformers import optimization

    kw = dict(kwargs)
    opt = _optimizer(kw.pop("lr"), -1)
    sched = optimization.get_reduce_on_plateau_schedule(opt, **kw)
    values = []
    for metric in metrics:
        opt.step()
        sched.step(metric)
        values.append(float(sched.get_last_lr()[0]))
    return values


def generate() -> dict:
    import transformers

    cases = []
    for cid, name, args, kwargs, steps in CASES:
        values = _run(name, args, kwargs, steps)
        assert all(math.isfinite(v) for v in values), cid
        cases.append(
            {"id": cid, "name": name, "args": args, "kwargs": kwargs, "values": values}
        )
    for cid, kwargs, metrics in PLATEAU_CASES:
        cases.append(
            {
                "id": cid,
                "name": "get_reduce_on_plateau_schedule",
                "args": [],
                "kwargs": kwargs,
                "values": _run_plateau(kwargs, metrics),
                "metrics": metrics,
            }
        )
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids), "duplicate case ids"
    return {"peer": "transformers", "version": transformers.__version__, "cases": cases}


if __name__ == "__main__":
    data = generate()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data['cases'])} cases to {OUT}")
