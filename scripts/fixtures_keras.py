"""Fixtures of Keras's learning-rate schedules (``keras.optimizers.schedules``).

``generate()`` runs the real Keras (JAX backend, x64 on, floatx float64, so
Keras computes in float64) and returns ``{"peer": "keras", "version": ...,
"cases": [...]}`` in the format of ``tests/peers.py``: ``values[t]`` is
``schedule(t)``, the rate of the update Keras applies at ``iterations == t``.
A case whose values Keras computes in float32 all the same (an integer
``initial_learning_rate``) is marked ``"dtype": "float32"``.

Run it directly to write ``tests/fixtures/keras.json`` (the lead's
``scripts/make_peer_fixtures.py`` calls ``generate()``)::

    python scripts/fixtures_keras.py
    python scripts/fixtures_keras.py --audit-restarts float32   # or float64

Keras is needed here only; the tests read the JSON.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from pathlib import Path

# (id, name, args, kwargs, number of steps from 0)
CASES = [
    # ExponentialDecay
    ("ExponentialDecay-continuous", "ExponentialDecay", [0.1, 10, 0.96], {}, 40),
    (
        "ExponentialDecay-keras-test-continuous",
        "ExponentialDecay",
        [0.05, 10, 0.96],
        {},
        30,
    ),
    (
        "ExponentialDecay-keras-test-staircase",
        "ExponentialDecay",
        [0.1, 3, 0.96],
        {"staircase": True},
        110,
    ),
    (
        "ExponentialDecay-keras-fit-test-every-step",
        "ExponentialDecay",
        [],
        {"initial_learning_rate": 0.05, "decay_steps": 1, "decay_rate": 0.9},
        30,
    ),
    (
        "ExponentialDecay-growth",
        "ExponentialDecay",
        [1e-3, 5, 1.5],
        {"staircase": False},
        30,
    ),
    (
        "ExponentialDecay-fractional-decay-steps",
        "ExponentialDecay",
        [0.1, 2.5, 0.5],
        {},
        20,
    ),
    (
        "ExponentialDecay-staircase-named",
        "ExponentialDecay",
        [],
        {
            "initial_learning_rate": 0.05,
            "decay_steps": 10,
            "decay_rate": 0.96,
            "staircase": True,
            "name": "my_ed",
        },
        35,
    ),
    (
        "ExponentialDecay-integer-initial-rate",
        "ExponentialDecay",
        [1, 4, 2],
        {"staircase": True},
        20,
    ),
    # PiecewiseConstantDecay
    (
        "PiecewiseConstantDecay-keras-test-values",
        "PiecewiseConstantDecay",
        [[100, 110, 120], [1.0, 0.1, 0.01, 0.001]],
        {},
        130,
    ),
    (
        "PiecewiseConstantDecay-keras-test-boundary-values",
        "PiecewiseConstantDecay",
        [[1, 2, 3], [0.4, 0.5, 0.6, 0.7]],
        {},
        8,
    ),
    (
        "PiecewiseConstantDecay-boundary-zero",
        "PiecewiseConstantDecay",
        [[0, 5], [1.0, 0.5, 0.25]],
        {},
        10,
    ),
    (
        "PiecewiseConstantDecay-one-boundary",
        "PiecewiseConstantDecay",
        [[10], [0.1, 0.01]],
        {"name": "my_pcd"},
        20,
    ),
    (
        "PiecewiseConstantDecay-fractional-boundaries",
        "PiecewiseConstantDecay",
        [[2.5, 7.0, 9.9], [1.0, 0.5, 0.25, 0.125]],
        {},
        14,
    ),
    (
        "PiecewiseConstantDecay-repeated-boundary",
        "PiecewiseConstantDecay",
        [[3, 3, 6], [1.0, 2.0, 3.0, 4.0]],
        {},
        10,
    ),
    (
        "PiecewiseConstantDecay-integer-values",
        "PiecewiseConstantDecay",
        [],
        {"boundaries": [10, 20], "values": [1, 2, 3]},
        25,
    ),
    (
        "PiecewiseConstantDecay-rising",
        "PiecewiseConstantDecay",
        [[5, 10, 15, 20], [1e-4, 1e-3, 1e-2, 1e-3, 1e-4]],
        {},
        25,
    ),
    # PolynomialDecay
    ("PolynomialDecay-default-end", "PolynomialDecay", [0.1, 50], {}, 120),
    (
        "PolynomialDecay-keras-test-linear",
        "PolynomialDecay",
        [0.05, 10, 0.001],
        {},
        20,
    ),
    (
        "PolynomialDecay-keras-test-sqrt",
        "PolynomialDecay",
        [0.05, 10, 0.001],
        {"power": 0.5},
        20,
    ),
    (
        "PolynomialDecay-keras-test-cycle",
        "PolynomialDecay",
        [0.05, 10, 0.001],
        {"cycle": True},
        45,
    ),
    (
        "PolynomialDecay-keras-test-sqrt-cycle",
        "PolynomialDecay",
        [0.05, 10, 0.0],
        {"power": 0.5, "cycle": True},
        45,
    ),
    (
        "PolynomialDecay-keras-test-begin-with-cycle",
        "PolynomialDecay",
        [0.001, 10],
        {"cycle": True},
        25,
    ),
    (
        "PolynomialDecay-square-cycle-odd",
        "PolynomialDecay",
        [1.0, 7, 0.1],
        {"power": 2.0, "cycle": True},
        40,
    ),
    (
        "PolynomialDecay-growth",
        "PolynomialDecay",
        [0.001, 20],
        {"end_learning_rate": 0.1, "power": 2.0},
        40,
    ),
    (
        "PolynomialDecay-named",
        "PolynomialDecay",
        [],
        {
            "initial_learning_rate": 0.1,
            "decay_steps": 100,
            "end_learning_rate": 0.005,
            "power": 1.0,
            "cycle": False,
            "name": "my_ld",
        },
        150,
    ),
    (
        "PolynomialDecay-integer-initial-rate",
        "PolynomialDecay",
        [1, 10],
        {"end_learning_rate": 0, "power": 2},
        20,
    ),
    # InverseTimeDecay
    (
        "InverseTimeDecay-keras-test-decay",
        "InverseTimeDecay",
        [0.1, 10, 0.96],
        {},
        30,
    ),
    (
        "InverseTimeDecay-keras-test-staircase",
        "InverseTimeDecay",
        [0.1, 10, 0.96],
        {"staircase": True},
        35,
    ),
    (
        "InverseTimeDecay-fractional-decay-steps",
        "InverseTimeDecay",
        [1.0, 2.5, 0.5],
        {},
        20,
    ),
    (
        "InverseTimeDecay-every-step-staircase",
        "InverseTimeDecay",
        [0.5, 1, 1.0],
        {"staircase": True},
        20,
    ),
    ("InverseTimeDecay-zero-rate", "InverseTimeDecay", [0.1, 5, 0.0], {}, 10),
    (
        "InverseTimeDecay-named",
        "InverseTimeDecay",
        [],
        {
            "initial_learning_rate": 0.05,
            "decay_steps": 10,
            "decay_rate": 0.96,
            "staircase": True,
            "name": "my_itd",
        },
        35,
    ),
    # CosineDecay
    ("CosineDecay-keras-test-decay", "CosineDecay", [1.0, 1000], {}, 1501),
    ("CosineDecay-keras-test-alpha", "CosineDecay", [1.0, 1000, 0.1], {}, 1501),
    ("CosineDecay-short", "CosineDecay", [0.1, 20], {}, 45),
    (
        "CosineDecay-keras-test-warmup-decay-scaled",
        "CosineDecay",
        [0.0, 100],
        {"warmup_target": 10.0, "warmup_steps": 200},
        301,
    ),
    (
        "CosineDecay-keras-test-warmup-only",
        "CosineDecay",
        [0.0, 10],
        {"warmup_target": 10.0, "warmup_steps": 150},
        170,
    ),
    (
        "CosineDecay-keras-test-config",
        "CosineDecay",
        [],
        {
            "initial_learning_rate": 0.05,
            "decay_steps": 10,
            "alpha": 0.1,
            "warmup_target": 0.2,
            "warmup_steps": 2,
            "name": "my_cd",
        },
        30,
    ),
    (
        "CosineDecay-warmup-alpha",
        "CosineDecay",
        [0.01, 50],
        {"alpha": 0.1, "warmup_target": 0.1, "warmup_steps": 10},
        120,
    ),
    (
        "CosineDecay-warmup-target-no-warmup-steps",
        "CosineDecay",
        [0.5, 20],
        {"warmup_target": 0.1},
        40,
    ),
    (
        "CosineDecay-warmup-steps-without-target",
        "CosineDecay",
        [0.1, 20],
        {"warmup_steps": 5},
        40,
    ),
    (
        "CosineDecay-warmup-down",
        "CosineDecay",
        [1.0, 30],
        {"warmup_target": 0.1, "warmup_steps": 5, "alpha": 0.5},
        60,
    ),
    ("CosineDecay-alpha-above-one", "CosineDecay", [0.1, 20, 2.0], {}, 40),
    # CosineDecayRestarts
    (
        "CosineDecayRestarts-keras-test-decay-scaled",
        "CosineDecayRestarts",
        [1.0, 100],
        {},
        800,
    ),
    (
        "CosineDecayRestarts-keras-test-decay",
        "CosineDecayRestarts",
        [1.0, 1000],
        {},
        1500,
    ),
    (
        "CosineDecayRestarts-keras-test-alpha",
        "CosineDecayRestarts",
        [1.0, 100],
        {"alpha": 0.1},
        400,
    ),
    (
        "CosineDecayRestarts-keras-test-mmul",
        "CosineDecayRestarts",
        [1.0, 100],
        {"m_mul": 0.9},
        400,
    ),
    (
        "CosineDecayRestarts-keras-test-tmul-one",
        "CosineDecayRestarts",
        [1.0, 100],
        {"t_mul": 1.0},
        350,
    ),
    (
        "CosineDecayRestarts-tmul-1.5-fractional-starts",
        "CosineDecayRestarts",
        [0.1, 10],
        {"t_mul": 1.5, "m_mul": 0.5, "alpha": 0.05},
        200,
    ),
    (
        "CosineDecayRestarts-tmul-1.25",
        "CosineDecayRestarts",
        [1.0, 10],
        {"t_mul": 1.25, "m_mul": 0.5},
        200,
    ),
    (
        "CosineDecayRestarts-tmul-one-mmul",
        "CosineDecayRestarts",
        [0.1, 7],
        {"t_mul": 1.0, "m_mul": 0.8, "alpha": 0.1},
        60,
    ),
    (
        "CosineDecayRestarts-tmul-3",
        "CosineDecayRestarts",
        [0.1, 4],
        {"t_mul": 3.0, "m_mul": 0.7},
        200,
    ),
    (
        "CosineDecayRestarts-keras-test-config",
        "CosineDecayRestarts",
        [],
        {
            "initial_learning_rate": 0.05,
            "first_decay_steps": 10,
            "alpha": 0.1,
            "t_mul": 3.0,
            "m_mul": 4.0,
            "name": "my_cdr",
        },
        150,
    ),
    (
        "CosineDecayRestarts-one-step-cycles",
        "CosineDecayRestarts",
        [0.1, 1],
        {"t_mul": 2.0},
        40,
    ),
]


def _keras():
    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    jax.config.update("jax_enable_x64", True)
    import keras

    keras.config.set_floatx("float64")
    return keras


# Keras's JAX backend computes ``cos``, ``floor``, ``ceil`` and ``where`` in
# float32 whatever the input (its dtype rules map float64 to float32 for JAX).
# ``floor``/``ceil``/``where`` only make whole numbers here (stairs, cycle
# indices, multipliers), exact at these steps; ``cos`` loses precision, so
# CosineDecay and CosineDecayRestarts cannot run in float64 as they are.


@contextlib.contextmanager
def float64_cos():
    """Keras's code, JAX backend, with ``cos`` computing in float64 (everything
    else as it is): the float64 reference of the cases Keras's JAX backend can
    only give in float32.  The integer decisions (``floor`` of the restart
    index) stay Keras's own."""
    import jax.numpy as jnp
    from keras.src.backend.jax import core
    from keras.src.backend.jax import numpy as backend_numpy

    saved = backend_numpy.cos

    def cos(x):
        x = core.convert_to_tensor(x)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(jnp.float64)
        return jnp.cos(x)

    try:
        backend_numpy.cos = cos
        yield
    finally:
        backend_numpy.cos = saved


def _values(schedule, n):
    """``schedule(t)`` for t = 0 .. n-1, with int32 steps as Keras's optimizer
    passes its ``iterations``.  Evaluated over an array of steps under
    ``jax.vmap`` (op by op, not compiled), since ``CosineDecay`` with a warmup
    branches on the step with ``ops.cond``, which needs a scalar predicate."""
    import jax
    import numpy as np

    out = np.asarray(jax.vmap(schedule)(np.arange(n, dtype=np.int32)))
    return [float(v) for v in out], str(out.dtype)


def _differ(a, b) -> bool:
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    scale = np.max(np.abs(b)) or 1.0
    return bool(np.any(np.abs(a - b) > 1e-14 * np.abs(b) + 1e-15 * scale))


def generate() -> dict:
    keras = _keras()
    schedules = keras.optimizers.schedules
    cases = []
    for case_id, name, args, kwargs, n in CASES:
        values, dtype = _values(getattr(schedules, name)(*args, **kwargs), n)
        with float64_cos():
            exact, _ = _values(getattr(schedules, name)(*args, **kwargs), n)
        case = {
            "id": case_id,
            "name": name,
            "args": args,
            "kwargs": kwargs,
            "values": values,
        }
        if dtype not in ("float64", "int64", "int32") or _differ(values, exact):
            # Keras computes (part of) this case in float32: its values are
            # compared at float32 tolerance; the float64 reference is Keras's
            # code with a float64 cos; an integer initial_learning_rate makes
            # Keras compute in its own dtypes, and has none.
            case["dtype"] = "float32"
            init = args[0] if args else kwargs.get("initial_learning_rate")
            if not isinstance(init, int):
                case["values_float64"] = exact
        cases.append(case)
    _check_float64(cases)
    return {"peer": "keras", "version": keras.__version__, "cases": cases}


def _check_float64(cases):
    """Keras really computed in float64: cases against exact formulas."""
    by_id = {c["id"]: c for c in cases}
    case = by_id["ExponentialDecay-continuous"]
    assert "dtype" not in case
    for t, v in enumerate(case["values"]):
        want = 0.1 * 0.96 ** (t / 10)
        if not math.isclose(v, want, rel_tol=1e-14):
            raise RuntimeError(f"Keras did not compute in float64: {v} != {want}")
    case = by_id["CosineDecay-keras-test-decay"]
    for t, v in enumerate(case["values_float64"]):
        want = 0.5 * (1 + math.cos(math.pi * min(t, 1000) / 1000))
        if not math.isclose(v, want, rel_tol=1e-13, abs_tol=1e-16):
            raise RuntimeError(f"not a float64 reference: {v} != {want}")


def audit_restarts(precision: str) -> None:
    """Counts the whole-numbered restart steps that Keras's
    ``CosineDecayRestarts`` puts in the previous cycle (its cycle index is a
    floating-point ``floor(log(...) / log(t_mul))``), for t_mul from 1.0625
    to 10 and first_decay_steps from 1 to 1000, restarts below 1e7.

    ``precision="float32"``: Keras's default (no x64).  ``"float64"``: x64 and
    floatx float64, as Keras's JAX backend runs it (``floor`` in float32), and
    with ``floor`` in float64 too (as a float64 backend would compute it).
    """
    from fractions import Fraction

    os.environ["KERAS_BACKEND"] = "jax"
    import jax

    jax.config.update("jax_enable_x64", precision == "float64")
    import jax.numpy as jnp
    import keras
    import numpy as np
    from keras.src.backend.jax import numpy as backend_numpy

    keras.config.set_floatx(precision)
    variants = {"jax backend": None}
    if precision == "float64":
        variants["floor in float64"] = jnp.floor
    for label, floor in variants.items():
        saved = backend_numpy.floor
        if floor is not None:
            backend_numpy.floor = floor
        off, total = [], 0
        for t_mul in ("1.0625", "1.125", "1.2", "1.25", "1.5", "2", "3", "10"):
            for first in (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 20, 32, 100, 1000):
                start, length, k, starts = Fraction(0), Fraction(first), 0, []
                while start + length < 10**7:
                    start, length, k = start + length, length * Fraction(t_mul), k + 1
                    if start.denominator == 1:
                        starts.append((int(start), k))
                if not starts:
                    continue
                schedule = keras.optimizers.schedules.CosineDecayRestarts(
                    1.0, first, t_mul=float(t_mul), m_mul=0.5
                )
                steps = np.array([t for t, _ in starts], np.int32)
                for (t, k), v in zip(starts, np.asarray(schedule(steps)), strict=True):
                    total += 1
                    if abs(float(v) - 0.5**k) > 1e-4 * 0.5**k:
                        off.append((t_mul, first, t))
        backend_numpy.floor = saved
        print(
            f"{precision}, {label}: {len(off)} of {total} restarts misplaced; "
            f"e.g. (t_mul, first_decay_steps, step) {off[:4]}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--audit-restarts"]:
        audit_restarts(sys.argv[2])
        sys.exit()
    out = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "keras.json"
    data = generate()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n")
    marked = [c["id"] for c in data["cases"] if c.get("dtype")]
    print(
        f"wrote {out}: {len(data['cases'])} cases, Keras {data['version']}; "
        f"float32 cases: {marked}",
        file=sys.stderr,
    )
