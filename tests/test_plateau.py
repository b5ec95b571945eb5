"""reduce_on_plateau: PyTorch's ReduceLROnPlateau rule as an optax stateful
schedule.

The reference is a float64 pure-Python transcription of PyTorch's rule
(``reference_rates`` below), checked against torch 2.13.0 itself by
``scripts/check_plateau_against_torch.py`` (500 random configurations agree
exactly in float64) and by the literal sequences in ``TORCH_CASES``.

Tolerances: float32 results against the float64 reference at ``rtol=1e-6``
(each reduction is one float32 rounding of ``value * factor``); results with
``jax_enable_x64`` against torch's literals and the reference at
``rtol=1e-15``; restored checkpoints and eager/jit paths that run the same
float32 operations are compared exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import pickle
import re

import chex
import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
import pytest

import jaxdecay as jd
from jaxdecay._catalog.plateau import (
    PlateauState,
    ScaleByPlateauState,
    reduce_on_plateau,
)

RTOL = 1e-6
RTOL_X64 = 1e-15
NAN, INF = float("nan"), float("inf")

DEFAULTS = {
    "factor": 0.1,
    "patience": 10,
    "threshold": 1e-4,
    "threshold_mode": "rel",
    "mode": "min",
    "cooldown": 0,
    "min_value": 0.0,
    "eps": 1e-8,
}


def reference_rates(metrics, base=1.0, start_step=0, every=1, bests=None, **config):
    """PyTorch's ReduceLROnPlateau in float64: the value after each metric.

    One deliberate difference: a non-finite metric never becomes the best
    (PyTorch would take -inf in mode "min" or +inf in mode "max").  The gate
    of ``start_step``/``every``: the metric at count ``c`` is considered when
    ``c >= start_step`` and ``(c - start_step) % every == 0``, any other leaves
    the rule's state alone.  ``bests``, a list, receives the best metric after
    each.
    """
    c = {**DEFAULTS, **config}
    lower = c["mode"] == "min"
    best = math.inf if lower else -math.inf
    bad = cooldown = 0
    value = float(base)
    out = []
    for count, metric in enumerate(metrics):
        if count >= start_step and (count - start_step) % every == 0:
            a = float(metric)
            if c["threshold_mode"] == "rel":
                scale = 1.0 - c["threshold"] if lower else c["threshold"] + 1.0
                better = a < best * scale if lower else a > best * scale
            else:
                shifted = best - c["threshold"] if lower else best + c["threshold"]
                better = a < shifted if lower else a > shifted
            if better and math.isfinite(a):
                best, bad = a, 0
            else:
                bad += 1
            if cooldown > 0:
                cooldown -= 1
                bad = 0
            if bad > c["patience"]:
                new = max(value * c["factor"], c["min_value"])
                if value - new > c["eps"]:
                    value = new
                cooldown, bad = c["cooldown"], 0
        out.append(value)
        if bests is not None:
            bests.append(best)
    return np.asarray(out, np.float64)


@jax.jit
def run(plateau, metrics):
    """Drives the state with lax.scan; the plateau is an argument, so configs
    that differ only in numbers share one compiled program."""

    def step(state, metric):
        state = plateau.update(state, value=metric)
        return state, (plateau(state), state)

    return jax.lax.scan(step, plateau.init(), metrics)


#: ``rates`` runs the metrics padded to a multiple of this length (that of
#: ``SEQUENCES``), so that ``run`` compiles once per plateau structure and
#: dtype, not once per length of the metrics.
PAD = 48


def rates(plateau, metrics):
    """The value after each metric: ``run`` on the metrics padded with their
    last one.  The value after a metric depends only on the metrics up to it
    (a scan), so the padding changes none of the values returned."""
    metrics = np.asarray(metrics)
    n = len(metrics)
    padded = np.concatenate([metrics, np.repeat(metrics[-1:], -n % PAD)])
    _, (values, _) = run(plateau, jnp.asarray(padded))
    # Sliced on the host (an eager slice compiles per length); a traced
    # result (under vmap) is never padded.
    return values if n == len(padded) else np.asarray(values)[:n]


_at_steps = jax.jit(lambda schedule, steps: schedule(steps))


def values_of(schedule, steps):
    """``schedule(steps)`` in float64 for steps in 0 .. 63: jitted with the
    schedule an argument, at the steps 0 .. 63 (then indexed), so that it
    compiles once per schedule structure."""
    return np.asarray(_at_steps(schedule, np.arange(64)), np.float64)[steps]


# ---------------------------------------------------------------------------
# Against PyTorch's rule.

CONFIGS = [
    {},
    {"patience": 0},
    {"patience": 1, "factor": 0.5},
    {"patience": 2, "cooldown": 3, "factor": 0.5, "base": 0.1},
    {"patience": 3, "threshold": 0.0},
    {"patience": 1, "threshold": 0.02, "threshold_mode": "abs"},
    {"patience": 0, "factor": 0.5, "min_value": 0.1, "base": 1.0},
    {"patience": 0, "factor": 0.9, "eps": 0.05, "base": 1.0},
    {"patience": 0, "factor": 0.0, "min_value": 1e-4, "base": 3e-3},
    {"patience": 2, "mode": "max", "factor": 0.5},
    {"patience": 1, "mode": "max", "threshold": 0.01, "threshold_mode": "abs"},
    {"patience": 0, "mode": "max", "cooldown": 2, "threshold": 0.05, "base": 0.01},
    {"patience": 4, "cooldown": 1, "threshold": 0.1, "min_value": 1e-3, "base": 0.3},
]


def _sequences():
    rng = np.random.default_rng(0)
    n = 48
    walk = 1.0 + np.cumsum(rng.normal(-0.01, 0.03, n))
    stairs = np.repeat([2.0, 1.5, 1.4, 1.39, 1.0, 0.999, 0.5, 0.5], n // 8)
    noisy = np.exp(-np.arange(n) / 20) * (1 + 0.05 * rng.standard_normal(n))
    return {
        "walk": walk.astype(np.float32),
        "stairs": stairs.astype(np.float32),
        "noisy": noisy.astype(np.float32),
    }


SEQUENCES = _sequences()


def _signed(metrics, config):
    """Max-mode configs see the metrics mirrored, so they plateau too."""
    return -metrics if config.get("mode") == "max" else metrics


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_matches_pytorch_rule(config):
    plateau = reduce_on_plateau(**config)
    for name, seq in SEQUENCES.items():
        metrics = _signed(seq, config)
        want = reference_rates(metrics, **config)
        chex.assert_trees_all_close(
            np.asarray(rates(plateau, metrics), np.float64),
            want,
            rtol=RTOL,
            custom_message=name,
        )


def test_reference_sequences_reduce():
    """The sweep is not vacuous: most runs reduce at least once, some often,
    and min_value and eps both bind somewhere."""
    changes = [
        len(set(reference_rates(_signed(s, c), **c).tolist()))
        for c in CONFIGS
        for s in SEQUENCES.values()
    ]
    assert sum(n > 1 for n in changes) >= 30 and max(changes) >= 6, changes
    floor = reference_rates(SEQUENCES["walk"], **CONFIGS[6])
    assert floor[-1] == 0.1
    tiny = reference_rates(SEQUENCES["walk"], **CONFIGS[7])
    # eps = 0.05 stops the cuts once a cut (a tenth of the value) is under 0.05.
    assert 0.45 < tiny[-1] <= 0.5 and tiny[-1] == tiny[-20]


class PlateauVariants(chex.TestCase):
    """Eager and jitted single updates agree with the reference."""

    @chex.variants(with_jit=True, without_jit=True)
    def test_update_matches_reference(self):
        for config in (CONFIGS[3], CONFIGS[10]):
            plateau = reduce_on_plateau(**config)
            update = self.variant(lambda s, m, p=plateau: p.update(s, value=m))
            call = self.variant(lambda s, p=plateau: p(s))
            metrics = _signed(SEQUENCES["stairs"][::3], config)
            state, got = plateau.init(), []
            for m in metrics:
                state = update(state, m)
                got.append(call(state))
            chex.assert_trees_all_close(
                np.asarray(got, np.float64),
                reference_rates(metrics, **config),
                rtol=RTOL,
            )


# PyTorch 2.13.0 ReduceLROnPlateau on SGD(lr=base): get_last_lr()[0] after each
# step(metric); kwargs as jaxdecay names (min_value is min_lr).
TORCH_CASES = [
    (
        {"factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 1},
        {"min_value": 0.01, "base": 0.1},
        [1.0, 0.8, 0.8, 0.79, 0.8, 0.81, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
        + [0.7, 0.7, 0.7, 0.7],
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]
        + [0.025, 0.025, 0.025, 0.025, 0.0125],
    ),
    (
        {"factor": 0.1, "patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
        {"mode": "max", "eps": 1e-3, "base": 0.01},
        [0.5, 0.6, 0.62, 0.64, 0.66, 0.7, 0.71, 0.72, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8],
        [0.01, 0.01, 0.01] + [0.001] * 11,
    ),
    (
        {"factor": 0.0, "patience": 0},
        {"min_value": 1e-3, "base": 0.3},
        [3.0, 2.0, 2.0, 1.0, 1.0],
        [0.3, 0.3, 0.001, 0.001, 0.001],
    ),
    (
        {"patience": 3, "cooldown": 2, "threshold": 0.0},
        {},
        [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3],
        [1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
        + [0.010000000000000002] * 6
        + [0.0010000000000000002] * 2,
    ),
]


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: repr(c[0]))
def test_matches_torch_literals_in_float32(case):
    a, b, metrics, want = case
    want = np.asarray(want)
    got = rates(reduce_on_plateau(**a, **b), np.asarray(metrics, np.float32))
    chex.assert_trees_all_close(np.asarray(got, np.float64), want, rtol=RTOL)
    chex.assert_trees_all_close(reference_rates(metrics, **a, **b), want, rtol=0)


def test_matches_torch_and_reference_in_float64(x64):
    for a, b, metrics, want in TORCH_CASES:
        got = rates(reduce_on_plateau(**a, **b), np.asarray(metrics, np.float64))
        assert got.dtype == jnp.float64
        chex.assert_trees_all_close(got, np.asarray(want), rtol=RTOL_X64)
    for config in CONFIGS[:7]:
        metrics = SEQUENCES["walk"].astype(np.float64)
        chex.assert_trees_all_close(
            rates(reduce_on_plateau(**config), metrics),
            reference_rates(metrics, **config),
            rtol=RTOL_X64,
        )


def test_design_document_rule():
    """Document 004: each time the parameters are updated, if the loss falls too
    slowly (here: by less than 1% of the best loss), multiply the rate (0.01) by
    eta = 0.1."""
    plateau = reduce_on_plateau(factor=0.1, patience=0, threshold=0.01, base=0.01)
    losses = [2.0, 1.5, 1.2, 1.195, 1.0, 0.995, 0.994, 0.9]
    # 1.195 > 0.99 * 1.2: too slow; 0.995 and 0.994 > 0.99 * 1.0: too slow.
    want = [0.01, 0.01, 0.01, 0.001, 0.001, 1e-4, 1e-5, 1e-5]
    chex.assert_trees_all_close(
        np.asarray(rates(plateau, np.asarray(losses, np.float32)), np.float64),
        np.asarray(want),
        rtol=RTOL,
    )


# ---------------------------------------------------------------------------
# State, dtypes, non-finite metrics.


def test_state_layout_and_dtypes():
    state = reduce_on_plateau(mode="max", base=0.5).init()
    assert isinstance(state, PlateauState)
    # One array: a single buffer to donate and a single fusion to update.
    assert len(jax.tree.leaves(state)) == 1
    assert state.data.dtype == jnp.int32 and state.data.shape == (6,)
    fields = fields_of(state)
    assert [x.dtype for x in fields] == [jnp.float32] * 2 + [jnp.int32] * 3 + [
        jnp.float32
    ]
    assert all(x.shape == () for x in fields)
    assert float(state.value) == 0.5 and float(state.best) == -INF


def fields_of(state):
    return [
        state.value,
        state.best,
        state.num_bad_steps,
        state.cooldown_counter,
        state.count,
        state.previous,
    ]


def test_pack_round_trips_and_checks_dtype():
    state = PlateauState.pack(0.25, -3.5, 4, 2, 2**31 - 1, previous=0.5)
    chex.assert_trees_all_equal(
        fields_of(state),
        [np.float32(0.25), np.float32(-3.5), 4, 2, 2**31 - 1, np.float32(0.5)],
    )
    assert float(PlateauState.pack(0.25, 1.0, 0, 0, 0).previous) == 0.25
    batch = PlateauState.pack(jnp.array([0.5, 1.0]), jnp.inf, 0, 0, jnp.array([1, 2]))
    assert batch.data.shape == (2, 6)
    np.testing.assert_array_equal(batch.value, [0.5, 1.0])
    np.testing.assert_array_equal(batch.count, [1, 2])
    match = r"`dtype` must be float32 or float64; got dtype=.*int32"
    with pytest.raises(TypeError, match=match):
        PlateauState.pack(1.0, 1.0, 0, 0, 0, dtype=jnp.int32)


def test_state_dtypes_with_x64(x64):
    plateau = reduce_on_plateau(base=0.1)
    state = plateau.update(plateau.init(), value=jnp.asarray(1.0, jnp.float32))
    assert state.data.dtype == jnp.int64
    dtypes = [x.dtype for x in fields_of(state)]
    assert dtypes == [jnp.float64] * 2 + [jnp.int32] * 3 + [jnp.float64]
    assert float(state.value) == 0.1 and float(state.best) == 1.0


def test_update_counts_and_accepts_any_scalar():
    plateau = reduce_on_plateau(patience=0, factor=0.5)
    state = plateau.init()
    for metric in (3, np.float64(2.0), jnp.asarray(1.0, jnp.bfloat16), 1.0):
        state = plateau.update(state, value=metric)
    assert int(state.count) == 4 and float(state.best) == 1.0
    assert float(state.value) == 0.5  # only the last metric did not improve


@pytest.mark.parametrize(
    ("mode", "metrics", "best"),
    [
        ("min", [1.0, NAN, INF, -INF, NAN, 0.5, -INF], 0.5),
        ("max", [1.0, NAN, -INF, INF, NAN, 2.0, INF], 2.0),
    ],
)
def test_non_finite_metrics_never_become_best(mode, metrics, best):
    config = {"mode": mode, "patience": 1, "factor": 0.5}
    plateau = reduce_on_plateau(**config)
    _, (values, states) = run(plateau, jnp.asarray(metrics, jnp.float32))
    assert np.all(np.isfinite(states.best[1:]))
    assert float(states.best[-1]) == best
    # NaN/inf count as steps without improvement: bad counts 0,1,0(cut),1,0(cut)...
    np.testing.assert_array_equal(states.num_bad_steps, [0, 1, 0, 1, 0, 0, 1])
    chex.assert_trees_all_close(
        np.asarray(values, np.float64), reference_rates(metrics, **config), rtol=0
    )
    np.testing.assert_array_equal(values, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25])


def test_missing_metric_says_how_to_pass_it():
    plateau = reduce_on_plateau()
    with pytest.raises(TypeError, match=r"`value` .*value=loss.*got value=None"):
        plateau.update(plateau.init())
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=plateau)
    params = jnp.zeros(2)
    with pytest.raises(TypeError, match=r"opt\.update\(grads, opt_state, params"):
        with jax.numpy_dtype_promotion("standard"):
            opt.update(params, opt.init(params), params)


def test_a_step_instead_of_a_state_is_explained():
    opt = optax.sgd(reduce_on_plateau())  # a common mistake: not a step schedule
    params = jnp.zeros(2)
    match = r"`state` must be the PlateauState.*inject_hyperparams.*got state of type"
    with pytest.raises(TypeError, match=match):
        with jax.numpy_dtype_promotion("standard"):
            opt.update(params, opt.init(params), params)
    with pytest.raises(TypeError, match=match + " int"):
        reduce_on_plateau().previous(3)


def test_integer_metrics_round_exactly_and_never_wrap():
    """Each metric improves (mode "max", threshold 0) and ``best`` holds the
    float32 rounding of the exact int (24 significant bits): 2**40 and
    2**40 + 2**20 are exact; 2**40 + 2**20 + 2**16 + 1 is above half the 2**17
    spacing, so it rounds up; 2**60 + 2**36 + 1 is just above half the 2**37
    spacing, so it rounds up (through float64 it would be a tie, rounded down
    to 2**60); 2**64 - 1 rounds up to 2**64.  An int32 conversion wrapped 2**40
    to 0.  A metric beyond float32 (2**200) is +inf: no improvement."""
    plateau = reduce_on_plateau(mode="max", threshold=0.0, patience=0, factor=0.5)
    metrics = [
        np.int64(2**40),
        2**40 + 2**20,
        np.int64(2**40 + 2**20 + 2**16 + 1),
        2**60 + 2**36 + 1,
        np.uint64(2**64 - 1),
    ]
    want = [2**40, 2**40 + 2**20, 2**40 + 2**20 + 2**17, 2**60 + 2**37, 2**64]
    state, best = plateau.init(), []
    for metric in metrics:
        state = plateau.update(state, value=metric)
        best.append(state.best)
        assert int(state.num_bad_steps) == 0
    assert state.best.dtype == jnp.float32
    chex.assert_trees_all_close(np.asarray(best, np.float64), np.asarray(want, float))
    state = plateau.update(state, value=2**200)
    assert float(state.best) == 2**64 and float(state.value) == 0.5  # a cut
    # Under jit: a Python int is a constant of the trace (rounded on the host);
    # a traced int32 converts straight to float32.
    fresh = plateau.init()
    jitted = jax.jit(lambda s: plateau.update(s, value=2**40 + 2**20))(fresh)
    assert float(jitted.best) == 2**40 + 2**20
    traced = jax.jit(lambda s, m: plateau.update(s, value=m))(fresh, 2**30 + 1)
    assert float(traced.best) == 2**30  # 2**30 + 1 rounds to 24 bits
    # Through as_transform and jd.inject.
    params = jnp.zeros(2)
    tx = plateau.as_transform()
    _, tx_state = tx.update(params, tx.init(params), params, value=metrics[0])
    assert float(tx_state.plateau.best) == 2**40
    opt = jd.inject(optax.sgd)(learning_rate=plateau)
    _, opt_state = opt.update(params, opt.init(params), params, value=metrics[0])
    assert float(opt_state.schedule_states["learning_rate"].best) == 2**40
    with jax.enable_x64(True):  # float64 keeps 53 bits: 2**53 + 1 ties to even
        state = plateau.update(plateau.init(), value=2**53 + 1)
        assert state.best.dtype == jnp.float64 and float(state.best) == 2**53


# ---------------------------------------------------------------------------
# Transformations: vmap, retracing.


def test_vmap_over_states_and_metrics():
    plateau = reduce_on_plateau(patience=1, factor=0.5)
    batch = np.stack([SEQUENCES[k] for k in ("walk", "stairs", "noisy")], axis=1)
    states = jax.vmap(lambda _: plateau.init())(jnp.arange(3))
    update = jax.jit(jax.vmap(lambda s, m: plateau.update(s, value=m)))
    values = []
    for row in batch:
        states = update(states, row)
        values.append(jax.vmap(plateau)(states))
    want = np.stack(
        [reference_rates(batch[:, i], 1.0, patience=1, factor=0.5) for i in range(3)],
        axis=1,
    )
    chex.assert_trees_all_close(np.asarray(values, np.float64), want, rtol=RTOL)


def test_vmap_over_configuration():
    factors = jnp.asarray([0.1, 0.5, 0.9], jnp.float32)
    metrics = jnp.asarray(SEQUENCES["walk"])
    got = jax.vmap(lambda f: rates(reduce_on_plateau(f, patience=1), metrics))(factors)
    for i, f in enumerate([0.1, 0.5, 0.9]):
        want = reference_rates(SEQUENCES["walk"], factor=f, patience=1)
        chex.assert_trees_all_close(np.asarray(got[i], np.float64), want, rtol=RTOL)


def test_numbers_are_leaves_so_configs_share_a_trace():
    traces = []

    @jax.jit
    def step(plateau, state, metric):
        traces.append(1)
        return plateau.update(state, value=metric)

    state = reduce_on_plateau().init()
    for config in ({}, {"factor": 0.5, "patience": 3}, {"cooldown": 2, "eps": 0.0}):
        step(reduce_on_plateau(**config, base=0.5), state, 1.0)
    assert len(traces) == 1
    step(reduce_on_plateau(mode="max"), state, 1.0)  # a static choice retraces
    assert len(traces) == 2


# ---------------------------------------------------------------------------
# The value: protocol, signature, equality, hashing, repr, pickling.


def test_is_an_optax_stateful_schedule_and_not_a_schedule():
    plateau = reduce_on_plateau()
    assert isinstance(plateau, optax.schedules.StatefulSchedule)
    assert not isinstance(plateau, jd.Schedule)


def test_signature():
    sig = inspect.signature(reduce_on_plateau)
    params = [
        p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()
    ]
    plain = sig.replace(parameters=params, return_annotation=inspect.Signature.empty)
    assert str(plain) == (
        "(factor=0.1, patience=10, threshold=0.0001, threshold_mode='rel', "
        "mode='min', cooldown=0, min_value=0.0, eps=1e-08, *, base=1.0, "
        "start_step=0, every=1)"
    )


def test_value_semantics():
    cos = jd.cosine_decay(1.0, 100)
    a = reduce_on_plateau(0.5, 3, mode="max", base=0.01)
    b = reduce_on_plateau(factor=0.5, patience=3.0, mode="max", base=0.01)
    assert a == b and hash(a) == hash(b)
    assert a != reduce_on_plateau(0.5, 4, mode="max", base=0.01)
    assert repr(a) == "reduce_on_plateau(factor=0.5, patience=3, mode='max', base=0.01)"
    assert repr(reduce_on_plateau()) == "reduce_on_plateau()"
    composed = cos * reduce_on_plateau(patience=2)
    assert composed == reduce_on_plateau(patience=2) * cos
    assert composed != reduce_on_plateau(patience=2, base=cos)
    for obj in (a, composed, 2.0 * reduce_on_plateau(base=cos)):
        assert (
            eval(repr(obj), {"reduce_on_plateau": reduce_on_plateau, **vars(jd)}) == obj
        )
        assert pickle.loads(pickle.dumps(obj)) == obj
        assert hash(obj) == hash(pickle.loads(pickle.dumps(obj)))
    with pytest.raises(dataclasses.FrozenInstanceError, match="factor"):
        a.factor = 0.2


def test_tree_paths_name_the_fields():
    paths = [
        jax.tree_util.keystr(p)
        for p, _ in jax.tree_util.tree_leaves_with_path(
            jd.cosine_decay(1.0, 10) * reduce_on_plateau()
        )
    ]
    assert paths[:7] == [
        ".factor",
        ".patience",
        ".threshold",
        ".cooldown",
        ".min_value",
        ".eps",
        ".base",
    ]
    assert any(p.startswith(".multipliers[0]") for p in paths), paths


# ---------------------------------------------------------------------------
# Composition with schedules.

METRICS = np.asarray(
    [1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7], np.float32
)


@pytest.mark.parametrize(
    "make",
    [
        lambda s: s * reduce_on_plateau(patience=1, factor=0.5),
        lambda s: reduce_on_plateau(patience=1, factor=0.5) * s,
        lambda s: reduce_on_plateau(patience=1, factor=0.5, base=s),
    ],
    ids=["schedule*plateau", "plateau*schedule", "base=schedule"],
)
def test_schedule_times_plateau(make):
    sched = jd.warmup_cosine_decay(1e-3, warmup_steps=3, decay_steps=20)
    got = rates(make(sched), METRICS)
    counts = np.arange(1, len(METRICS) + 1)
    want = values_of(sched, counts) * reference_rates(METRICS, patience=1, factor=0.5)
    chex.assert_trees_all_close(np.asarray(got, np.float64), want, rtol=RTOL)


def test_number_times_plateau_and_plain_callable_base():
    optax_cos = optax.cosine_decay_schedule(1.0, 20)
    plateau = 2.0 * reduce_on_plateau(patience=1, factor=0.5, base=optax_cos) * 0.25
    counts = np.arange(1, len(METRICS) + 1)
    with jax.numpy_dtype_promotion("standard"):  # optax's schedule needs it
        got = rates(plateau, METRICS)
        base = np.asarray(optax_cos(counts), np.float64)
    want = 0.5 * base * reference_rates(METRICS, patience=1, factor=0.5)
    chex.assert_trees_all_close(np.asarray(got, np.float64), want, rtol=RTOL)
    # min_value and eps apply to the multiplier, which starts at 1.
    floor = reduce_on_plateau(patience=0, factor=0.1, min_value=0.5, base=optax_cos)
    assert float(floor.update(floor.init(), value=NAN).value) == 0.5


def test_multiplying_by_nonsense_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand"):
        reduce_on_plateau() * None
    with pytest.raises(TypeError, match="unsupported operand"):
        reduce_on_plateau() * reduce_on_plateau()
    with pytest.raises(ValueError, match=r"`multiplier` .*got multiplier=nan\."):
        reduce_on_plateau() * NAN


# ---------------------------------------------------------------------------
# optax: inject_hyperparams, as_transform, checkpoints.

NOISE = 0.02 * np.random.default_rng(1).standard_normal(24).astype(np.float32)


def quadratic(params):
    return 0.5 * jnp.sum(jnp.asarray([2.0, 1.0], jnp.float32) * params["w"] ** 2)


@functools.cache
def make_train(opt):
    """The jitted training loop of ``opt`` (cached: the tests that train the
    same optimizer share its compiled programs)."""

    @jax.jit
    def train(params, opt_state, noise):
        def step(carry, eps):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(quadratic)(params)
            loss = loss + eps  # the metric is noisy; the gradient is not
            updates, opt_state = opt.update(grads, opt_state, params, value=loss)
            params = optax.apply_updates(params, updates)
            return (params, opt_state), (loss, opt_state)

        with jax.numpy_dtype_promotion("standard"):
            return jax.lax.scan(step, (params, opt_state), noise)

    return train


PARAMS = {"w": jnp.asarray([1.0, -2.0], jnp.float32)}
PLATEAU = reduce_on_plateau(factor=0.5, patience=1, threshold=0.05, base=0.3)
# The plateau as the learning rate of sgd, and as a transform after sgd(1).
INJECTED = optax.inject_hyperparams(optax.sgd)(learning_rate=PLATEAU)
TRANSFORMED = optax.chain(optax.sgd(1.0), PLATEAU.as_transform())


def _inject_stateful(factory):
    # optax's older name for the same wrapper (deprecated since optax 0.1.9).
    with pytest.deprecated_call():
        return optax.inject_stateful_hyperparams(factory)


@pytest.mark.parametrize("inject", [optax.inject_hyperparams, _inject_stateful])
def test_inject_hyperparams_train_loop_follows_the_reference(inject):
    if inject is optax.inject_hyperparams:
        opt = INJECTED  # inject_hyperparams(optax.sgd)(learning_rate=PLATEAU)
    else:
        opt = inject(optax.sgd)(learning_rate=PLATEAU)
    with jax.numpy_dtype_promotion("standard"):
        opt_state = opt.init(PARAMS)
    (_, last), (losses, states) = make_train(opt)(PARAMS, opt_state, NOISE)
    after = reference_rates(np.asarray(losses), **_config(PLATEAU))
    # optax reads the rate before it updates the schedule's state: the rate of
    # update t was decided by the metrics of updates 0 .. t-1.
    used = np.concatenate([[0.3], after[:-1]])
    assert len(set(after.tolist())) >= 3  # it did reduce, more than once
    chex.assert_trees_all_close(
        np.asarray(states.hyperparams["learning_rate"], np.float64), used, rtol=RTOL
    )
    chex.assert_trees_all_close(
        float(last.hyperparams_states["learning_rate"].value), after[-1], rtol=RTOL
    )
    # What optax records is what `previous` gives back from the state alone.
    recalled = PLATEAU.previous(states.hyperparams_states["learning_rate"])
    chex.assert_trees_all_close(np.asarray(recalled, np.float64), used, rtol=RTOL)


def test_previous_follows_the_base_schedule():
    sched = jd.warmup_cosine_decay(0.3, warmup_steps=4, decay_steps=24)
    plateau = sched * reduce_on_plateau(factor=0.5, patience=0)
    state = plateau.init()
    chex.assert_trees_all_close(plateau.previous(state), sched(0), rtol=1e-6)
    for k in range(6):
        before = plateau(state)  # the output this update uses
        state = plateau.update(state, value=1.0)
        chex.assert_trees_all_close(plateau.previous(state), before, rtol=1e-6)
        chex.assert_trees_all_close(
            plateau(state), sched(k + 1) * state.value, rtol=1e-6
        )


def _config(plateau):
    return {k: getattr(plateau, k) for k in (*DEFAULTS, "base")}


def test_inject_hyperparams_with_a_composed_schedule():
    sched = jd.warmup_cosine_decay(0.3, warmup_steps=4, decay_steps=24)
    opt = optax.inject_hyperparams(optax.sgd)(
        learning_rate=sched * reduce_on_plateau(factor=0.5, patience=1, threshold=0.05)
    )
    with jax.numpy_dtype_promotion("standard"):
        opt_state = opt.init(PARAMS)
    _, (losses, states) = make_train(opt)(PARAMS, opt_state, NOISE)
    after = reference_rates(np.asarray(losses), factor=0.5, patience=1, threshold=0.05)
    used = np.concatenate([[1.0], after[:-1]]) * values_of(sched, np.arange(len(NOISE)))
    chex.assert_trees_all_close(
        np.asarray(states.hyperparams["learning_rate"], np.float64),
        used,
        rtol=RTOL,
        atol=1e-12,
    )


def test_as_transform_scales_updates_exactly():
    tx = TRANSFORMED  # optax.chain(optax.sgd(1.0), PLATEAU.as_transform())
    with jax.numpy_dtype_promotion("standard"):
        opt_state = tx.init(PARAMS)
    assert isinstance(opt_state[1], ScaleByPlateauState)
    _, (losses, states) = make_train(tx)(PARAMS, opt_state, NOISE)
    after = reference_rates(np.asarray(losses), **_config(PLATEAU))
    chex.assert_trees_all_close(
        np.asarray(states[1].plateau.value, np.float64), after, rtol=RTOL
    )
    # Replay: each update is -grad times the value before that update.
    params, state = PARAMS, opt_state
    for t, loss in enumerate(np.asarray(losses)):
        grads = jax.grad(quadratic)(params)
        with jax.numpy_dtype_promotion("standard"):
            updates, state = tx.update(grads, state, params, value=loss)
        scale = 0.3 if t == 0 else after[t - 1]
        chex.assert_trees_all_close(
            updates["w"], -grads["w"] * np.float32(scale), rtol=RTOL
        )
        params = optax.apply_updates(params, updates)


@pytest.mark.parametrize(
    "rule", [PLATEAU, PLATEAU * jd.linear_decay(1.0, 0.02)], ids=["plain", "composed"]
)
def test_hyperparams_reads_the_scale_of_the_transform(rule):
    tx = optax.chain(optax.sgd(1.0), rule.as_transform())
    with jax.numpy_dtype_promotion("standard"):
        state = tx.init(PARAMS)
    chex.assert_trees_all_close(
        jd.hyperparams(state), {"plateau_scale": jnp.float32(0.3)}, rtol=RTOL
    )
    params = PARAMS
    step = jax.jit(lambda p, s, g, v: tx.update(g, s, p, value=v))
    seen = []
    for eps in NOISE:
        loss, grads = jax.value_and_grad(quadratic)(params)
        with jax.numpy_dtype_promotion("standard"):
            updates, state = step(params, state, grads, loss + eps)
        # The scale read back is the one this update applied (sgd(1.0): -grad).
        applied = updates["w"] / -grads["w"]
        chex.assert_trees_all_close(
            jd.hyperparams(state)["plateau_scale"] * jnp.ones(2), applied, rtol=RTOL
        )
        params = optax.apply_updates(params, updates)
        seen.append(float(jd.hyperparams(state)["plateau_scale"]))
    assert min(seen) < 0.9 * max(seen)  # it did cut


def test_transform_states_of_equal_rules_have_one_structure():
    def init(rule):
        return rule.as_transform().init(PARAMS)

    a, b = init(reduce_on_plateau(patience=2)), init(reduce_on_plateau(patience=2))
    assert jax.tree.structure(a) == jax.tree.structure(b)
    assert jax.tree.structure(a) != jax.tree.structure(init(reduce_on_plateau()))
    assert len(jax.tree.leaves(a)) == 1  # the rule is static data


def test_a_transform_state_without_its_rule_says_how_to_build_it():
    state = ScaleByPlateauState(PLATEAU.init())
    with pytest.raises(ValueError, match=r"built without its rule.*as_transform\(\)"):
        _ = state.scale


def _split_run(opt, save_and_restore):
    """Trains 24 updates straight, and 12 + checkpoint + 12; returns both."""
    with jax.numpy_dtype_promotion("standard"):
        opt_state = opt.init(PARAMS)
    train = make_train(opt)
    (p_all, s_all), (_, hist_all) = train(PARAMS, opt_state, NOISE)
    (p_mid, s_mid), (_, hist_a) = train(PARAMS, opt_state, NOISE[:12])
    p_mid, s_mid = save_and_restore((p_mid, s_mid))
    (p_end, s_end), (_, hist_b) = train(p_mid, s_mid, NOISE[12:])
    hist = jax.tree.map(lambda a, b: np.concatenate([a, b]), hist_a, hist_b)
    return (p_all, s_all, hist_all), (p_end, s_end, hist)


def _orbax(tmp_path):
    def save_and_restore(tree):
        ckptr = ocp.StandardCheckpointer()
        path = tmp_path / f"ckpt{len(list(tmp_path.iterdir()))}"
        ckptr.save(path, tree)
        ckptr.wait_until_finished()
        target = jax.tree.map(ocp.utils.to_shape_dtype_struct, tree)
        restored = ckptr.restore(path, target)
        ckptr.close()
        return restored

    return save_and_restore


def _flax(tree):
    blob = flax.serialization.to_bytes(tree)
    zeros = jax.tree.map(jnp.zeros_like, tree)
    return flax.serialization.from_bytes(zeros, blob)


@pytest.mark.parametrize("how", ["orbax", "flax"])
def test_checkpoint_resume_is_exact(how, tmp_path):
    save_and_restore = _orbax(tmp_path) if how == "orbax" else _flax
    for opt in (INJECTED, TRANSFORMED):
        straight, resumed = _split_run(opt, save_and_restore)
        chex.assert_trees_all_equal(straight, resumed)
        chex.assert_trees_all_equal_structs(straight[1], resumed[1])
        chex.assert_trees_all_equal_dtypes(straight[1], resumed[1])


# ---------------------------------------------------------------------------
# Bad input.


def fails(param, shown):
    return rf"^reduce_on_plateau: `{param}` .*; got {param}={re.escape(shown)}\.$"


PATIENCE = (
    r"^reduce_on_plateau: `patience` must be an integer in \[0, 2147483646\] "
    r"\(the count of bad updates is an int32 and must reach patience \+ 1\); "
)
COOLDOWN = (
    r"^reduce_on_plateau: `cooldown` must be an integer in \[0, 2147483647\] "
    r"\(the cooldown counter is an int32\); "
)


def _update(value, state=None):
    plateau = reduce_on_plateau()
    return plateau.update(plateau.init() if state is None else state, value=value)


def _jitted_update(value):
    return jax.jit(_update)(value)


def _transform(state=None, value=1.0):
    tx = reduce_on_plateau().as_transform()
    return tx.update(0.0, tx.init(0.0) if state is None else state, value=value)


def _inject(value):
    opt = jd.inject(optax.sgd)(learning_rate=reduce_on_plateau())
    return opt.update(jnp.zeros(2), opt.init(jnp.zeros(2)), value=value)


def metric_fails(shown, allowed="a real number"):
    return (
        rf"^reduce_on_plateau\.update: `value` must be {allowed}.*; "
        rf"got value={re.escape(shown)}\.($|\n)"  # (JAX may add a line)
    )


def state_fails(func, got):
    return (
        rf"^reduce_on_plateau{re.escape(func)}: `state` must be the "
        rf"{'ScaleByPlateauState' if 'transform' in func else 'PlateauState'} "
        rf".*; got {re.escape(got)}\.$"
    )


BAD_DATA = PlateauState(jnp.zeros(3))
BAD_DATA_SHOWN = "state=PlateauState with data of dtype float32 and shape (3,)"
BIG = "<an int of about 10**400>"
R = reduce_on_plateau

HOSTILE = {
    # Metrics: one real number.
    "complex": (lambda: _update(1 + 2j), TypeError, metric_fails("(1+2j)")),
    "complex64": (
        lambda: _update(np.complex64(1)),
        TypeError,
        metric_fails("np.complex64(1+0j)"),
    ),
    "string": (lambda: _update("0.5"), TypeError, metric_fails("'0.5'")),
    "bool": (lambda: _update(True), TypeError, metric_fails("True")),
    "list": (lambda: _update([1.0]), TypeError, metric_fails("[1.0]")),
    "dict": (lambda: _update({"a": 1}), TypeError, metric_fails("{'a': 1}")),
    "array": (
        lambda: _update(jnp.ones(3)),
        TypeError,
        metric_fails("[1.0, 1.0, 1.0]", r"a real number .*, a single one"),
    ),
    "huge int": (
        lambda: _update(10**400),
        ValueError,
        metric_fails(BIG, r"a real number .* of magnitude at most 1\.798e\+308"),
    ),
    "traced complex": (
        lambda: _jitted_update(1j),
        TypeError,
        metric_fails("<complex64 array of shape ()>"),
    ),
    "transform metric": (
        lambda: _transform(value="x"),
        TypeError,
        metric_fails("'x'"),
    ),
    "inject metric": (
        lambda: _inject([2.0, 1.0]),
        TypeError,
        metric_fails("[2.0, 1.0]"),
    ),
    # States: a PlateauState holding an int array of shape (..., 6).
    "update int": (
        lambda: _update(1.0, state=3),
        TypeError,
        state_fails(".update", "state of type int"),
    ),
    "update data": (
        lambda: _update(1.0, state=BAD_DATA),
        TypeError,
        state_fails(".update", BAD_DATA_SHOWN),
    ),
    "call": (lambda: R()(BAD_DATA), TypeError, state_fails("", BAD_DATA_SHOWN)),
    "schedule": (
        lambda: R().schedule(None),
        TypeError,
        state_fails(".schedule", "state of type NoneType"),
    ),
    "previous": (
        lambda: R().previous(R().init().data),
        TypeError,
        state_fails(".previous", "state of type ArrayImpl"),
    ),
    "transform state": (
        lambda: _transform(state=R().init()),
        TypeError,
        state_fails(".as_transform().update", "state of type PlateauState"),
    ),
    # A multiplier beyond the float range.
    "multiplier": (lambda: 10**400 * R(), ValueError, fails("multiplier", BIG)),
}


@pytest.mark.parametrize(
    ("call", "error", "match"), HOSTILE.values(), ids=HOSTILE.keys()
)
def test_hostile_metrics_and_states_are_refused_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()


BAD = [
    ({"factor": 1.0}, ValueError, fails("factor", "1.0")),
    ({"factor": 1.5}, ValueError, fails("factor", "1.5")),
    ({"factor": -0.1}, ValueError, fails("factor", "-0.1")),
    ({"factor": NAN}, ValueError, fails("factor", "nan")),
    ({"factor": "0.1"}, TypeError, fails("factor", "'0.1'")),
    ({"factor": np.ones(2) * 0.1}, TypeError, fails("factor", "[0.1, 0.1]")),
    ({"patience": -1}, ValueError, fails("patience", "-1")),
    ({"patience": 2.5}, ValueError, fails("patience", "2.5")),
    ({"patience": NAN}, ValueError, fails("patience", "nan")),
    ({"patience": True}, TypeError, fails("patience", "True")),
    ({"threshold": -1e-4}, ValueError, fails("threshold", "-0.0001")),
    ({"threshold": NAN}, ValueError, fails("threshold", "nan")),
    ({"threshold": INF}, ValueError, fails("threshold", "inf")),
    ({"threshold_mode": "relative"}, ValueError, fails("threshold_mode", "'relative'")),
    ({"mode": "minimize"}, ValueError, fails("mode", "'minimize'")),
    ({"mode": None}, ValueError, fails("mode", "None")),
    ({"cooldown": -2}, ValueError, fails("cooldown", "-2")),
    ({"cooldown": 0.5}, ValueError, fails("cooldown", "0.5")),
    ({"min_value": -1.0}, ValueError, fails("min_value", "-1.0")),
    ({"min_value": NAN}, ValueError, fails("min_value", "nan")),
    ({"eps": -1e-8}, ValueError, fails("eps", "-1e-08")),
    ({"eps": NAN}, ValueError, fails("eps", "nan")),
    ({"base": -0.1}, ValueError, fails("base", "-0.1")),
    ({"base": NAN}, ValueError, fails("base", "nan")),
    ({"base": INF}, ValueError, fails("base", "inf")),
    ({"base": "0.1"}, TypeError, fails("base", "'0.1'")),
    ({"base": None}, TypeError, fails("base", "None")),
    ({"base": reduce_on_plateau()}, TypeError, fails("base", "reduce_on_plateau()")),
    # Counts the int32 state cannot hold, numbers beyond the float range,
    # arrays, complex numbers and strings.
    ({"patience": 2**31 - 1}, ValueError, PATIENCE + r"got patience=2147483647\.$"),
    ({"patience": 10**400}, ValueError, PATIENCE + re.escape(f"got patience={BIG}.")),
    ({"cooldown": 2**31}, ValueError, COOLDOWN + r"got cooldown=2147483648\.$"),
    (
        {"cooldown": np.int64(2**40)},
        ValueError,
        fails("cooldown", "np.int64(1099511627776)"),
    ),
    ({"factor": 10**400}, ValueError, fails("factor", BIG)),
    ({"threshold": 10**400}, ValueError, fails("threshold", BIG)),
    (
        {"min_value": -(10**400)},
        ValueError,
        fails("min_value", "<an int of about -10**400>"),
    ),
    ({"base": 10**400}, ValueError, fails("base", BIG)),
    ({"eps": INF}, ValueError, fails("eps", "inf")),
    ({"min_value": INF}, ValueError, fails("min_value", "inf")),
    ({"eps": 1e-8 + 0j}, TypeError, fails("eps", "(1e-08+0j)")),
    ({"threshold": "1e-4"}, TypeError, fails("threshold", "'1e-4'")),
    ({"threshold": [1e-4]}, TypeError, fails("threshold", "[0.0001]")),
    ({"min_value": np.zeros(2)}, TypeError, fails("min_value", "[0.0, 0.0]")),
    ({"cooldown": np.ones(2)}, TypeError, fails("cooldown", "[1.0, 1.0]")),
]


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:50] + "..."


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD, ids=_short)
def test_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        reduce_on_plateau(**kwargs)


def test_accepts_edge_values():
    reduce_on_plateau(factor=0.0, patience=0, threshold=0.0, cooldown=0, eps=0.0)
    reduce_on_plateau(factor=np.float32(0.5), patience=np.int64(3), base=0)
    assert reduce_on_plateau(patience=4.0).patience == 4
    # The largest counts the int32 state holds count without overflow.
    plateau = reduce_on_plateau(patience=2**31 - 2, cooldown=2**31 - 1)
    state = plateau.update(plateau.update(plateau.init(), value=1.0), value=1.0)
    assert int(state.num_bad_steps) == 1 and float(plateau(state)) == 1.0
