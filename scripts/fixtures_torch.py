"""Fixtures of ``jaxdecay.torch``: runs PyTorch's schedulers and records their rates.

Not part of the test suite (torch is not a dependency).  ``generate()`` returns
the fixture document of ``tests/peers.py``; ``scripts/make_peer_fixtures.py``
writes it to ``tests/fixtures/torch.json``, as does running this file::

    python scripts/fixtures_torch.py

Running this file also writes ``tests/fixtures/torch_lambdas.json``
(``generate_lambdas()``): cases whose functions (``lr_lambda``, ``scale_fn``)
use Python control flow (``if``, ``min``, ``max``, ``math``), which only work on
Python numbers.  That document holds the source of each function under
``"functions"`` (``{name: "lambda e: ..."}``, evaluated with ``math`` in scope),
and its cases name them as ``{"__fn__": name}``.  Arguments that only the port
takes (``lr``, ``horizon``) are not passed to PyTorch.

The rates are PyTorch's own: Python floats (float64), computed by its recursive
``step()``.  ``values[t]`` is ``get_last_lr()[0]`` right after construction
(t = 0) and after the t-th ``step()``; for ``ReduceLROnPlateau``, ``values[i]``
is ``get_last_lr()[0]`` after ``step(metrics[i])``.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import torch
from torch.optim import lr_scheduler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from peers import FIXTURES, FUNCTIONS  # noqa: E402

# Functions with Python control flow (for torch_lambdas.json), as source text:
# the tests evaluate the same text.
PYTHON_FUNCTIONS = {
    "warmup_sqrt": "lambda e: min((e + 1) / 10, (10 / (e + 1)) ** 0.5)",
    "if_stairs": "lambda e: 1.0 if e < 5 else (0.1 if e < 15 else 0.01)",
    "math_cosine_20": "lambda e: 0.5 * (1 + math.cos(math.pi * min(e, 20) / 20))",
    "max_linear_30": "lambda e: max(0.05, 1 - e / 30)",
    "every_5th_0.9": "lambda e: 0.9 if e % 5 == 0 else 1.0",
    "halve_after_2": "lambda c: 1.0 if c < 3 else 0.5 ** (c - 2)",
    "max_linear_40": "lambda i: max(0.2, 1 - i / 40)",
    "sqrt_decay": "lambda e: 1 / math.sqrt(max(e, 1))",
}
# Keyword arguments of the port that PyTorch does not take.
PORT_ONLY = ("lr", "horizon")


def python_functions():
    return {k: eval(v, {"math": math}) for k, v in PYTHON_FUNCTIONS.items()}  # noqa: S307


def _sched(name, *args, **kwargs):
    return {"__schedule__": name, "args": list(args), "kwargs": kwargs}


def _fn(name):
    return {"__fn__": name}


def case(id_, name, args, kwargs, steps, metrics=None):
    out = {"id": id_, "name": name, "args": list(args), "kwargs": kwargs}
    out["_steps"] = steps
    if metrics is not None:
        out["metrics"] = metrics
    return out


def cases():
    c = []
    lr = {"lr": 0.1}
    # StepLR
    c += [
        case("StepLR-3-half", "StepLR", [3], {"gamma": 0.5, **lr}, 12),
        case("StepLR-1-0.9", "StepLR", [1], {"gamma": 0.9, **lr}, 30),
        case("StepLR-10-default", "StepLR", [10], {"lr": 0.05}, 35),
        case("StepLR-grow", "StepLR", [4], {"gamma": 2.0, "lr": 1e-3}, 20),
    ]
    # MultiStepLR
    c += [
        case("MultiStepLR-2-5-9", "MultiStepLR", [[2, 5, 9]], {"gamma": 0.1, **lr}, 15),
        case(
            "MultiStepLR-unsorted-repeat",
            "MultiStepLR",
            [[4, 2, 2]],
            {"gamma": 0.5, **lr},
            8,
        ),
        case("MultiStepLR-at-0", "MultiStepLR", [[0, 3]], {"gamma": 0.5, **lr}, 6),
        case(
            "MultiStepLR-negative", "MultiStepLR", [[-1, 0, 2]], {"gamma": 0.5, **lr}, 5
        ),
        case("MultiStepLR-empty", "MultiStepLR", [[]], {"lr": 0.3}, 4),
    ]
    # ExponentialLR
    c += [
        case("ExponentialLR-0.9", "ExponentialLR", [0.9], lr, 40),
        case("ExponentialLR-0.5", "ExponentialLR", [0.5], {"lr": 1.0}, 30),
        case("ExponentialLR-grow", "ExponentialLR", [1.01], {"lr": 1e-4}, 50),
        case("ExponentialLR-1", "ExponentialLR", [1.0], lr, 5),
    ]
    # CosineAnnealingLR: 4x T_max, so it falls, rises and falls again.
    c += [
        case("CosineAnnealingLR-10", "CosineAnnealingLR", [10], lr, 45),
        case(
            "CosineAnnealingLR-10-eta",
            "CosineAnnealingLR",
            [10],
            {"eta_min": 1e-3, **lr},
            45,
        ),
        case("CosineAnnealingLR-7", "CosineAnnealingLR", [7, 0.02], {"lr": 0.05}, 35),
        case("CosineAnnealingLR-1", "CosineAnnealingLR", [1], lr, 6),
        case(
            "CosineAnnealingLR-eta-above",
            "CosineAnnealingLR",
            [5],
            {"eta_min": 0.2, **lr},
            25,
        ),
        case(
            "CosineAnnealingLR-100",
            "CosineAnnealingLR",
            [100],
            {"eta_min": 1e-5, "lr": 1.0},
            250,
        ),
    ]
    # CosineAnnealingWarmRestarts
    c += [
        case(
            "CosineAnnealingWarmRestarts-10",
            "CosineAnnealingWarmRestarts",
            [10],
            lr,
            35,
        ),
        case(
            "CosineAnnealingWarmRestarts-5-2",
            "CosineAnnealingWarmRestarts",
            [5, 2],
            {"eta_min": 1e-3, **lr},
            80,
        ),
        case(
            "CosineAnnealingWarmRestarts-3-3",
            "CosineAnnealingWarmRestarts",
            [3, 3, 0.01],
            {"lr": 0.5},
            45,
        ),
        case(
            "CosineAnnealingWarmRestarts-4-2",
            "CosineAnnealingWarmRestarts",
            [4, 2],
            lr,
            30,
        ),
        case(
            "CosineAnnealingWarmRestarts-1", "CosineAnnealingWarmRestarts", [1], lr, 5
        ),
    ]
    # CyclicLR
    c += [
        case("CyclicLR-triangular", "CyclicLR", [0.01, 0.1], {"step_size_up": 5}, 30),
        case(
            "CyclicLR-triangular2-asym",
            "CyclicLR",
            [0.01, 0.1],
            {"step_size_up": 4, "step_size_down": 6, "mode": "triangular2"},
            50,
        ),
        case(
            "CyclicLR-exp_range",
            "CyclicLR",
            [0.001, 0.01],
            {"step_size_up": 5, "mode": "exp_range", "gamma": 0.98},
            40,
        ),
        case(
            "CyclicLR-up1-down2",
            "CyclicLR",
            [0.1, 1.0],
            {"step_size_up": 1, "step_size_down": 2},
            12,
        ),
        case(
            "CyclicLR-scale-cycle",
            "CyclicLR",
            [0.01, 0.1],
            {"step_size_up": 3, "scale_fn": _fn("pow_0.95"), "cycle_momentum": False},
            30,
        ),
        case(
            "CyclicLR-scale-iterations",
            "CyclicLR",
            [0.01, 0.1],
            {
                "step_size_up": 3,
                "step_size_down": 2,
                "scale_fn": _fn("inverse_1_plus_e"),
                "scale_mode": "iterations",
            },
            25,
        ),
        case(
            "CyclicLR-max-below-base", "CyclicLR", [0.1, 0.01], {"step_size_up": 2}, 10
        ),
    ]
    # OneCycleLR: every value PyTorch gives, t = 0..total_steps.
    c += [
        case("OneCycleLR-20", "OneCycleLR", [1.0], {"total_steps": 20}, 20),
        case(
            "OneCycleLR-linear",
            "OneCycleLR",
            [0.1],
            {"total_steps": 20, "anneal_strategy": "linear"},
            20,
        ),
        case(
            "OneCycleLR-three-phase",
            "OneCycleLR",
            [0.1],
            {"total_steps": 30, "three_phase": True},
            30,
        ),
        case(
            "OneCycleLR-three-phase-linear",
            "OneCycleLR",
            [0.1],
            {
                "total_steps": 30,
                "three_phase": True,
                "anneal_strategy": "linear",
                "pct_start": 0.25,
            },
            30,
        ),
        case(
            "OneCycleLR-epochs",
            "OneCycleLR",
            [0.5],
            {
                "epochs": 4,
                "steps_per_epoch": 5,
                "div_factor": 10.0,
                "final_div_factor": 100.0,
            },
            20,
        ),
        case(
            "OneCycleLR-fractional-phase",
            "OneCycleLR",
            [1.0],
            {"total_steps": 10, "pct_start": 0.25},
            10,
        ),
        case(
            "OneCycleLR-pct0",
            "OneCycleLR",
            [1.0],
            {"total_steps": 10, "pct_start": 0.0},
            10,
        ),
        case(
            "OneCycleLR-pct1",
            "OneCycleLR",
            [1.0],
            {"total_steps": 10, "pct_start": 1.0},
            9,
        ),
        case(
            "OneCycleLR-three-phase-0.6",
            "OneCycleLR",
            [1.0],
            {"total_steps": 10, "pct_start": 0.6, "three_phase": True},
            10,
        ),
        case(  # the second phase ends at the last step; PyTorch divides by 0 at T
            "OneCycleLR-three-phase-to-the-last-step",
            "OneCycleLR",
            [1.0],
            {"total_steps": 8, "pct_start": 0.5625, "three_phase": True},
            7,
        ),
        case(
            "OneCycleLR-three-phase-0.505-linear",
            "OneCycleLR",
            [1.0],
            {
                "total_steps": 100,
                "pct_start": 0.505,
                "three_phase": True,
                "anneal_strategy": "linear",
            },
            99,
        ),
        case("OneCycleLR-T1", "OneCycleLR", [1.0], {"total_steps": 1}, 1),
        case(
            "OneCycleLR-100",
            "OneCycleLR",
            [3e-3],
            {"total_steps": 100, "pct_start": 0.1},
            100,
        ),
    ]
    # LinearLR
    c += [
        case("LinearLR-default", "LinearLR", [], lr, 10),
        case("LinearLR-half-4", "LinearLR", [0.5, 1.0, 4], lr, 8),
        case(
            "LinearLR-to-zero",
            "LinearLR",
            [],
            {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 6, **lr},
            10,
        ),
        case("LinearLR-quarter", "LinearLR", [0.25, 0.75, 8], {"lr": 0.4}, 12),
        case("LinearLR-total-0", "LinearLR", [0.5], {"total_iters": 0, **lr}, 4),
        case(
            "LinearLR-total-negative", "LinearLR", [0.5], {"total_iters": -2, **lr}, 4
        ),
    ]
    # ConstantLR
    c += [
        case("ConstantLR-default", "ConstantLR", [], lr, 8),
        case("ConstantLR-half-4", "ConstantLR", [0.5, 4], lr, 8),
        case("ConstantLR-factor-1", "ConstantLR", [1.0, 3], lr, 5),
        case("ConstantLR-total-0", "ConstantLR", [0.5, 0], lr, 4),
        case("ConstantLR-zero-factor-total-0", "ConstantLR", [0.0, 0], lr, 3),
    ]
    # PolynomialLR
    c += [
        case("PolynomialLR-default", "PolynomialLR", [], lr, 8),
        case("PolynomialLR-4-squared", "PolynomialLR", [4, 2.0], lr, 8),
        case("PolynomialLR-10-sqrt", "PolynomialLR", [10, 0.5], {"lr": 1.0}, 15),
        case("PolynomialLR-power-0", "PolynomialLR", [6, 0.0], lr, 8),
        case("PolynomialLR-total-0", "PolynomialLR", [0], lr, 3),
    ]
    # LambdaLR
    c += [
        case(f"LambdaLR-{f}", "LambdaLR", [_fn(f)], lr, n)
        for f, n in [
            ("pow_0.95", 40),
            ("half_every_3", 15),
            ("linear_warmup_10", 20),
            ("inverse_1_plus_e", 20),
            ("constant_0.9", 5),
            ("exp_minus_0.1e", 30),
        ]
    ]
    # MultiplicativeLR
    c += [
        case(f"MultiplicativeLR-{f}", "MultiplicativeLR", [_fn(f)], lr, n)
        for f, n in [
            ("constant_0.9", 40),
            ("pow_0.95", 20),
            ("inverse_1_plus_e", 15),
            ("exp_minus_0.1e", 20),
            ("linear_warmup_10", 15),
        ]
    ]
    # SequentialLR
    seq = "SequentialLR"
    c += [
        case(
            "SequentialLR-warmup-exponential",
            seq,
            [
                [
                    _sched("LinearLR", 0.1, total_iters=5, **lr),
                    _sched("ExponentialLR", 0.9, **lr),
                ],
                [5],
            ],
            lr,
            20,
        ),
        case(
            "SequentialLR-constant-cosine",
            seq,
            [
                [
                    _sched("ConstantLR", 0.5, 3, **lr),
                    _sched("CosineAnnealingLR", 10, **lr),
                ],
                [4],
            ],
            lr,
            30,
        ),
        case(
            "SequentialLR-step-multiplicative",
            seq,
            [
                [
                    _sched("StepLR", 2, 0.5, **lr),
                    _sched("MultiplicativeLR", _fn("constant_0.9"), **lr),
                ],
                [5],
            ],
            lr,
            15,
        ),
        case(
            "SequentialLR-milestone-0",
            seq,
            [
                [
                    _sched("ConstantLR", 0.5, 3, **lr),
                    _sched("LinearLR", 0.5, total_iters=4, **lr),
                    _sched("ExponentialLR", 0.8, **lr),
                ],
                [0, 6],
            ],
            lr,
            12,
        ),
        case(
            "SequentialLR-repeated-milestone",
            seq,
            [
                [
                    _sched("ExponentialLR", 0.9, **lr),
                    _sched("StepLR", 1, 0.1, **lr),
                    _sched("ExponentialLR", 0.5, **lr),
                ],
                [3, 3],
            ],
            lr,
            8,
        ),
        case(
            "SequentialLR-three",
            seq,
            [
                [
                    _sched("LinearLR", 0.2, total_iters=3, **lr),
                    _sched("CosineAnnealingLR", 4, 0.01, **lr),
                    _sched("PolynomialLR", 5, 2.0, **lr),
                ],
                [3, 11],
            ],
            lr,
            25,
        ),
        case(
            "SequentialLR-lambda-restarts",
            seq,
            [
                [
                    _sched("LambdaLR", _fn("linear_warmup_10"), **lr),
                    _sched("CosineAnnealingWarmRestarts", 3, 2, 0.001, **lr),
                ],
                [10],
            ],
            lr,
            40,
        ),
        case(
            "SequentialLR-multistep-polynomial",
            seq,
            [
                [
                    _sched("MultiStepLR", [-1, 2], 0.5, **lr),
                    _sched("MultiStepLR", [-2, 0, 3], 0.5, **lr),
                    _sched("ConstantLR", 0.5, 0, **lr),
                ],
                [4, 8],
            ],
            lr,
            12,
        ),
        case(
            "SequentialLR-one", seq, [[_sched("ExponentialLR", 0.9, **lr)], []], lr, 6
        ),
        case(
            "SequentialLR-constant-last-total-negative",
            seq,
            [
                [
                    _sched("ExponentialLR", 0.9, **lr),
                    _sched("LinearLR", 0.5, 0.8, -1, **lr),
                    _sched("PolynomialLR", -3, **lr),
                ],
                [2, 5],
            ],
            lr,
            8,
        ),
    ]
    # ChainedScheduler
    ch = "ChainedScheduler"
    c += [
        case(
            "ChainedScheduler-constant-exponential",
            ch,
            [
                [
                    _sched("ConstantLR", 0.1, 2, lr=1.0),
                    _sched("ExponentialLR", 0.9, lr=1.0),
                ]
            ],
            {"lr": 1.0},
            12,
        ),
        case(
            "ChainedScheduler-three",
            ch,
            [
                [
                    _sched("LinearLR", 0.5, total_iters=4, **lr),
                    _sched("StepLR", 3, 0.5, **lr),
                    _sched("MultiplicativeLR", _fn("constant_0.9"), **lr),
                ]
            ],
            lr,
            15,
        ),
        case(
            "ChainedScheduler-polynomial-multistep",
            ch,
            [
                [
                    _sched("PolynomialLR", 8, 0.5, **lr),
                    _sched("MultiStepLR", [2, 4], 0.5, **lr),
                ]
            ],
            lr,
            12,
        ),
        case(
            "ChainedScheduler-single-cosine",
            ch,
            [[_sched("CosineAnnealingLR", 5, **lr)]],
            lr,
            15,
        ),
    ]
    c += composite_cases(lr)
    # ReduceLROnPlateau
    rop = "ReduceLROnPlateau"
    falling = [
        1.0,
        0.9,
        0.95,
        0.92,
        0.93,
        0.94,
        0.8,
        0.81,
        0.82,
        0.83,
        0.84,
        0.85,
        0.7,
        0.71,
        0.72,
        0.73,
    ]
    c += [
        case("ReduceLROnPlateau-default", rop, [], lr, 0, [1.0] * 25),
        case(
            "ReduceLROnPlateau-patience-1",
            rop,
            [],
            {"factor": 0.5, "patience": 1, **lr},
            0,
            falling,
        ),
        case(
            "ReduceLROnPlateau-max-abs-cooldown",
            rop,
            ["max"],
            {
                "factor": 0.5,
                "patience": 0,
                "threshold": 0.01,
                "threshold_mode": "abs",
                "cooldown": 2,
                "min_lr": 0.01,
                **lr,
            },
            0,
            [0.5, 0.505, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
        ),
        case(
            "ReduceLROnPlateau-eps",
            rop,
            [],
            {"factor": 0.9, "patience": 0, "eps": 0.0015, "lr": 0.02},
            0,
            [1.0] * 20,
        ),
    ]
    return c


def composite_cases(lr):
    """ChainedScheduler and SequentialLR with schedulers that are not products
    (PyTorch's recursive updates, past T_max included)."""
    ch, seq = "ChainedScheduler", "SequentialLR"
    cos = _sched("CosineAnnealingLR", 10, eta_min=1e-3, **lr)
    return [
        # torch's own test: compound_cosanneal_and_multistep_lr, and past T_max.
        case(
            "ChainedScheduler-cosine-eta-multistep",
            ch,
            [[cos, _sched("MultiStepLR", [2, 5, 9, 33], 0.1, **lr)]],
            lr,
            70,
        ),
        case(
            "ChainedScheduler-multistep-cosine",
            ch,
            [
                [
                    _sched("MultiStepLR", [3, 8], 0.5, **lr),
                    _sched("CosineAnnealingLR", 6, 0.01, **lr),
                ]
            ],
            lr,
            60,
        ),
        case(
            "ChainedScheduler-cosine-exponential",
            ch,
            [
                [
                    _sched("CosineAnnealingLR", 7, 0.002, **lr),
                    _sched("ExponentialLR", 0.95, **lr),
                    _sched("StepLR", 4, 0.8, **lr),
                ]
            ],
            lr,
            120,
        ),
        case(
            "ChainedScheduler-lambda-exponential",
            ch,
            [
                [
                    _sched("LambdaLR", _fn("linear_warmup_10"), **lr),
                    _sched("ExponentialLR", 0.9, **lr),
                ]
            ],
            lr,
            30,
        ),
        case(
            "ChainedScheduler-step-cyclic-cosine",
            ch,
            [
                [
                    _sched("StepLR", 5, 0.5, **lr),
                    _sched("CyclicLR", 0.01, 0.1, step_size_up=3),
                    _sched("CosineAnnealingLR", 4, 0.001, **lr),
                ]
            ],
            lr,
            40,
        ),
        case(
            "ChainedScheduler-onecycle-cosine",
            ch,
            [
                [
                    _sched("OneCycleLR", 1.0, total_steps=30),
                    _sched("CosineAnnealingLR", 4, 0.001, **lr),
                ]
            ],
            lr,
            30,
        ),
        case(
            "ChainedScheduler-warm-restarts-multistep",
            ch,
            [
                [
                    _sched("CosineAnnealingWarmRestarts", 3, 2, 0.001, **lr),
                    _sched("MultiStepLR", [4, 9], 0.5, **lr),
                ]
            ],
            lr,
            40,
        ),
        case(
            "ChainedScheduler-nested",
            ch,
            [
                [
                    _sched(
                        ch,
                        [
                            _sched("StepLR", 2, 0.5, **lr),
                            _sched("CosineAnnealingLR", 3, 0.01, **lr),
                        ],
                        **lr,
                    ),
                    _sched("LinearLR", 0.5, total_iters=6, **lr),
                ]
            ],
            lr,
            40,
        ),
        case(
            "SequentialLR-chained-first",
            seq,
            [
                [
                    _sched(
                        ch,
                        [
                            _sched("ConstantLR", 0.5, 3, **lr),
                            _sched("ExponentialLR", 0.9, **lr),
                        ],
                        **lr,
                    ),
                    _sched("CosineAnnealingLR", 5, 0.01, **lr),
                ],
                [6],
            ],
            lr,
            30,
        ),
        case(
            "SequentialLR-chained-cosine-polynomial",
            seq,
            [
                [
                    _sched(
                        ch,
                        [
                            _sched("CosineAnnealingLR", 4, 0.01, **lr),
                            _sched("PolynomialLR", 6, 2.0, **lr),
                        ],
                        **lr,
                    ),
                    _sched("StepLR", 3, 0.5, **lr),
                ],
                [15],
            ],
            lr,
            30,
        ),
        case(
            "SequentialLR-cosine-eta-warm-restarts",
            seq,
            [
                [
                    _sched("CosineAnnealingLR", 5, 0.01, **lr),
                    _sched("CosineAnnealingWarmRestarts", 3, 2, 0.002, **lr),
                ],
                [12],
            ],
            lr,
            40,
        ),
        case(
            "SequentialLR-warmup-onecycle",
            seq,
            [
                [
                    _sched("LinearLR", 0.1, total_iters=5, **lr),
                    _sched("OneCycleLR", 1.0, total_steps=20),
                ],
                [5],
            ],
            lr,
            25,
        ),
        case(
            "SequentialLR-onecycle-step",
            seq,
            [
                [
                    _sched("OneCycleLR", 1.0, total_steps=10),
                    _sched("StepLR", 3, 0.5, **lr),
                ],
                [10],
            ],
            lr,
            25,
        ),
        case(
            "SequentialLR-cyclic-cosine",
            seq,
            [
                [
                    _sched("CyclicLR", 0.01, 0.1, step_size_up=2),
                    _sched("CosineAnnealingLR", 5, **lr),
                ],
                [8],
            ],
            lr,
            25,
        ),
        case(
            "SequentialLR-milestone-0-chained",
            seq,
            [
                [
                    _sched("ExponentialLR", 0.5, **lr),
                    _sched(
                        ch,
                        [
                            _sched("ExponentialLR", 0.9, **lr),
                            _sched("CosineAnnealingLR", 3, **lr),
                        ],
                        **lr,
                    ),
                ],
                [0],
            ],
            lr,
            25,
        ),
    ]


def lambda_cases():
    """Cases whose functions use Python control flow (torch_lambdas.json);
    some with a small ``horizon``, so steps past it are evaluated on the host
    one by one."""
    lr = {"lr": 0.1}
    ch, seq = "ChainedScheduler", "SequentialLR"
    return [
        case("LambdaLR-python-warmup-sqrt", "LambdaLR", [_fn("warmup_sqrt")], lr, 60),
        case(
            "LambdaLR-python-if-horizon",
            "LambdaLR",
            [_fn("if_stairs")],
            {"horizon": 8, **lr},
            25,
        ),
        case("LambdaLR-python-math", "LambdaLR", [_fn("math_cosine_20")], lr, 30),
        case(
            "LambdaLR-python-max-horizon",
            "LambdaLR",
            [_fn("max_linear_30")],
            {"horizon": 1, **lr},
            40,
        ),
        case(
            "MultiplicativeLR-python-if",
            "MultiplicativeLR",
            [_fn("every_5th_0.9")],
            lr,
            30,
        ),
        case(
            "CyclicLR-python-scale-cycle",
            "CyclicLR",
            [0.01, 0.1],
            {"step_size_up": 3, "scale_fn": _fn("halve_after_2"), "horizon": 2},
            40,
        ),
        case(
            "CyclicLR-python-scale-iterations",
            "CyclicLR",
            [0.01, 0.1],
            {
                "step_size_up": 2,
                "step_size_down": 3,
                "scale_fn": _fn("max_linear_40"),
                "scale_mode": "iterations",
            },
            50,
        ),
        case(
            "ChainedScheduler-python-lambda-exponential",
            ch,
            [
                [
                    _sched("LambdaLR", _fn("warmup_sqrt"), **lr),
                    _sched("ExponentialLR", 0.95, **lr),
                ]
            ],
            lr,
            40,
        ),
        case(
            "ChainedScheduler-exponential-python-lambda-cosine",
            ch,
            [
                [
                    _sched("ExponentialLR", 0.9, **lr),
                    _sched("LambdaLR", _fn("sqrt_decay"), horizon=12, **lr),
                    _sched("CosineAnnealingLR", 5, 0.01, **lr),
                ]
            ],
            lr,
            40,
        ),
        case(
            "ChainedScheduler-python-cyclic-step",
            ch,
            [
                [
                    _sched(
                        "CyclicLR",
                        0.01,
                        0.1,
                        step_size_up=3,
                        scale_fn=_fn("halve_after_2"),
                    ),
                    _sched("StepLR", 5, 0.5, **lr),
                ]
            ],
            lr,
            40,
        ),
        case(
            "SequentialLR-python-lambda-cosine",
            seq,
            [
                [
                    _sched("LambdaLR", _fn("warmup_sqrt"), **lr),
                    _sched("CosineAnnealingLR", 6, 0.001, **lr),
                ],
                [10],
            ],
            lr,
            40,
        ),
        case(
            "SequentialLR-chained-python-lambda",
            seq,
            [
                [
                    _sched(
                        ch,
                        [
                            _sched("LambdaLR", _fn("if_stairs"), **lr),
                            _sched("CosineAnnealingLR", 4, 0.01, **lr),
                        ],
                        **lr,
                    ),
                    _sched("MultiplicativeLR", _fn("every_5th_0.9"), **lr),
                ],
                [12],
            ],
            lr,
            30,
        ),
    ]


def _torch_arg(value, optimizer):
    if isinstance(value, list):
        return [_torch_arg(v, optimizer) for v in value]
    if isinstance(value, dict):
        if "__schedule__" in value:
            return _torch_scheduler(value, optimizer, "__schedule__")
        if "__fn__" in value:
            return {**FUNCTIONS, **python_functions()}[value["__fn__"]]
        return {k: _torch_arg(v, optimizer) for k, v in value.items()}
    return value


def _torch_scheduler(spec, optimizer, key="name"):
    cls = getattr(lr_scheduler, spec[key])
    kwargs = {k: v for k, v in spec.get("kwargs", {}).items() if k not in PORT_ONLY}
    args = _torch_arg(spec.get("args", []), optimizer)
    kwargs = _torch_arg(kwargs, optimizer)
    if spec[key] == "ChainedScheduler":
        return cls(*args, optimizer=optimizer, **kwargs)
    return cls(optimizer, *args, **kwargs)


def run(spec):
    lr = spec["kwargs"].get("lr", 0.1)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=lr, momentum=0.9)
    scheduler = _torch_scheduler(spec, optimizer)
    if "metrics" in spec:
        out = []
        for m in spec["metrics"]:
            optimizer.step()
            scheduler.step(m)
            out.append(scheduler.get_last_lr()[0])
        return out
    out = [scheduler.get_last_lr()[0]]
    for _ in range(spec["_steps"]):
        optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
    return out


def _record(specs) -> list:
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in specs:
            values = [float(v) for v in run(spec)]
            assert all(math.isfinite(v) for v in values), spec["id"]
            spec = {k: v for k, v in spec.items() if k != "_steps"}
            spec["values"] = values
            out.append(spec)
    return out


def generate() -> dict:
    """The fixture document: every case with PyTorch's float64 rates."""
    return {"peer": "torch", "version": torch.__version__, "cases": _record(cases())}


def generate_lambdas() -> dict:
    """The document of the cases with Python-control-flow functions."""
    return {
        "peer": "torch",
        "version": torch.__version__,
        "functions": PYTHON_FUNCTIONS,
        "cases": _record(lambda_cases()),
    }


if __name__ == "__main__":
    FIXTURES.mkdir(exist_ok=True)
    for file, doc in (
        ("torch.json", generate()),
        ("torch_lambdas.json", generate_lambdas()),
    ):
        path = FIXTURES / file
        path.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{path}: {len(doc['cases'])} cases")
