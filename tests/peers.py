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

``each`` and ``jitted_cases`` run many schedules in a few jitted programs; the
tests of optax's agreement and of accuracy use them too.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np

import jaxdecay as jd

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


def _id(case):
    return case["id"]


def build_each(build, cases, key=_id) -> dict:
    """``{key(case): build(case)}``; a case whose build raises has the error
    as its value (``outcome`` raises it in that case's test)."""
    built = {}
    for case in cases:
        try:
            built[key(case)] = build(case)
        except Exception as error:  # noqa: BLE001 - raised by its test
            built[key(case)] = error
    return built


@functools.partial(jax.jit, static_argnums=0)
def _each(fn, args, *shared):
    return [fn(arg, *shared) for arg in args]


def _signature(arg):
    """What a jitted function of ``arg`` compiles for: its structure (with a
    schedule's static fields) and its leaves' types."""
    leaves, tree = jax.tree.flatten(arg)
    return tree, tuple(jax.typeof(leaf) for leaf in leaves)


# The most signatures one program of ``each`` holds.  Measured (XLA's seconds
# for the timm, torch and optax-agreement cases): programs of 4 to 16
# signatures compile fastest in all; one program per signature takes about
# 20% longer (and many more compilations), one program of every case 40%.
CHUNK = 8


def each(fn, args: dict, *shared) -> dict:
    """``{key: fn(args[key], *shared)}`` as NumPy arrays (cut on the host:
    slicing a JAX array eagerly compiles a program per length), from a few
    jitted programs, with ``args`` and ``shared`` their arguments.

    A program calls ``fn`` once for each of up to ``CHUNK`` signatures
    (structure and leaf types) among ``args``; keys of one signature take
    turns: round ``r`` runs the ``r``-th key of each signature (the last one
    again where a signature has fewer), so every round runs the same compiled
    program, and a structure is compiled once however many keys share it.
    Should a round raise, its keys run one by one and a failing key's value is
    its error, so that its test names it."""
    groups: dict = {}
    for key, arg in args.items():
        groups.setdefault(_signature(arg), []).append(key)
    groups = list(groups.values())
    out = {}
    for chunk in (groups[i : i + CHUNK] for i in range(0, len(groups), CHUNK)):
        for r in range(max(map(len, chunk))):
            keys = [group[min(r, len(group) - 1)] for group in chunk]
            out.update(_run(fn, args, keys, shared))
    return out


def _run(fn, args, keys, shared):
    """``{key: fn(args[key], *shared)}`` for ``keys`` from one call of
    ``_each``; should it raise, one call per key, a failing key's value its
    error."""
    try:
        values = jax.device_get(_each(fn, [args[k] for k in keys], *shared))
    except Exception:  # noqa: BLE001 - found again key by key
        values = []
        for key in keys:
            try:
                values.append(jax.device_get(_each(fn, [args[key]], *shared))[0])
            except Exception as error:  # noqa: BLE001 - raised by its test
                values.append(error)
    return dict(zip(keys, values, strict=True))


def call(schedule, steps):
    """``schedule(steps)`` (the function of ``each`` for schedules)."""
    return schedule(steps)


def _built(built):
    return {k: v for k, v in built.items() if not isinstance(v, Exception)}


def jitted_cases(build, cases, *steps, fn=call, key=_id) -> dict:
    """``{case id: (schedule, values)}``: each case's schedule (or its build
    error) and its values ``fn(schedule, *steps)`` (or their error), all from
    a few jitted programs (``each``)."""
    built = build_each(build, cases, key)
    values = each(fn, _built(built), *steps)
    return {k: (v, values.get(k)) for k, v in built.items()}


def _plateau_values(plateau_and_metrics):
    return plateau_values(*plateau_and_metrics)


def jitted_plateaus(build, cases) -> dict:
    """``jitted_cases`` for plateau cases: each one's values after its
    ``metrics`` (``plateau_values``), all from a few jitted programs."""
    built = build_each(build, cases)
    metrics = {c["id"]: c["metrics"] for c in cases}
    args = {k: (v, jnp.asarray(metrics[k])) for k, v in _built(built).items()}
    values = each(_plateau_values, args)
    return {k: (v, values.get(k)) for k, v in built.items()}


def outcome(value):
    """A value of ``build_each`` or ``each``, its error raised."""
    if isinstance(value, Exception):
        raise value
    return value


def per_mode(fn):
    """``fn(mode)`` computed once per mode: built and run with x64 for
    ``"x64"``, without for any other mode (``"float32"``)."""

    @functools.cache
    def once(mode):
        with jax.enable_x64(mode == "x64"):
            return fn(mode)

    once.__doc__ = fn.__doc__
    return once


def rates(results, case):
    """A case's rates from ``jitted_cases`` results, cut to its length; its
    schedule must have been built (a build error is raised here)."""
    schedule, values = results[case["id"]]
    assert isinstance(outcome(schedule), jd.Schedule)
    return outcome(values)[: len(case["values"])]


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
    rate after ``step(metrics[i])``), in one scan (``each`` runs it for many
    plateaus at once)."""

    def body(state, metric):
        state = plateau.update(state, value=metric)
        return state, plateau(state)

    _, values = jax.lax.scan(body, plateau.init(), jnp.asarray(metrics))
    return values
