"""Fixtures of the peers (PyTorch, transformers, Keras): loading and building.

``scripts/make_peer_fixtures.py`` runs the real peers and writes
``tests/fixtures/<peer>.json``::

    {"peer": "torch", "version": "2.13.0",
     "cases": [{"id": "StepLR-gamma-half", "name": "StepLR",
                "args": [3], "kwargs": {"gamma": 0.5, "lr": 0.1},
                "values": [...],            # float64: the rate of update t
                "metrics": [...]}]}         # only for plateau schedules

Arguments are JSON values, except two encodings:

- ``{"__schedule__": NAME, "args": [...], "kwargs": {...}}``: a schedule of the
  same namespace, built first (the schedulers of ``SequentialLR``);
- ``{"__fn__": NAME}``: a function of ``FUNCTIONS`` below (``LambdaLR``'s
  ``lr_lambda``), written with operators that work on Python numbers (for the
  peer) and on JAX arrays (for us).

The test suite needs none of the peers: it reads the JSON files only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _exp(x):
    return jnp.exp(x) if hasattr(x, "dtype") else math.exp(x)


def _minimum(a, b):
    return jnp.minimum(a, b) if hasattr(a, "dtype") else min(a, b)


# Functions a fixture may name; each takes the epoch (an integer) and must give
# the same numbers for Python ints and for JAX integer arrays.
FUNCTIONS = {
    "pow_0.95": lambda e: 0.95**e,
    "half_every_3": lambda e: 0.5 ** (e // 3),
    "linear_warmup_10": lambda e: _minimum((e + 1) / 10, 1.0),
    "inverse_1_plus_e": lambda e: 1.0 / (1.0 + e),
    "constant_0.9": lambda e: 0.9,
    "exp_minus_0.1e": lambda e: _exp(-0.1 * e),
}


def load(peer: str) -> dict:
    """The fixture file of ``peer`` ("torch", "transformers" or "keras")."""
    return json.loads((FIXTURES / f"{peer}.json").read_text())


def decode(value, namespace):
    """Arguments of a case, with schedules and functions built."""
    if isinstance(value, list):
        return [decode(v, namespace) for v in value]
    if isinstance(value, dict):
        if "__schedule__" in value:
            return build(value, namespace, name_key="__schedule__")
        if "__fn__" in value:
            return FUNCTIONS[value["__fn__"]]
        return {k: decode(v, namespace) for k, v in value.items()}
    return value


def build(case: dict, namespace, name_key: str = "name"):
    """Calls ``namespace.<name>(*args, **kwargs)`` for a case."""
    fn = getattr(namespace, case[name_key])
    args = decode(case.get("args", []), namespace)
    kwargs = decode(case.get("kwargs", {}), namespace)
    return fn(*args, **kwargs)


@jax.jit
def jitted(schedule, steps):
    """``schedule(steps)`` compiled once per schedule structure."""
    return schedule(steps)


def check(got, want, rtol):
    """``got`` against the peer's values ``want`` at ``rtol``, with an absolute
    floor of ``rtol`` times the largest value (a relative tolerance means
    nothing at the zeros of a cosine)."""
    want = np.asarray(want, np.float64)
    peak = float(np.max(np.abs(want)))
    chex.assert_trees_all_close(
        np.asarray(got, np.float64), want, rtol=rtol, atol=rtol * peak
    )


def plateau_values(plateau, metrics):
    """The plateau's value after each metric (``values[i]`` of a fixture: the
    rate after ``step(metrics[i])``), in one scan."""

    def body(state, metric):
        state = plateau.update(state, value=metric)
        return state, plateau(state)

    _, values = jax.lax.scan(body, plateau.init(), jnp.asarray(metrics))
    return values
