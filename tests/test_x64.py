"""With 64-bit types enabled (``jax.enable_x64``): results are float64, agree
with the float64 references of ``tests/catalog.py`` at ``rtol=1e-12``, and
int64 steps beyond 2**31 are exact.

Every test enables x64 with the ``jax.enable_x64(True)`` context manager, so
the rest of the suite keeps the default 32-bit types.
"""

from __future__ import annotations

import catalog
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from catalog import float_steps, int_steps, reference

import jaxdecay as jd

RTOL = 1e-12

# Far steps, each exactly representable in float64 (so the reference is exact).
FAR_STEPS = np.array(
    [2**31 - 1, 2**31, 2**31 + 1, 2**33 + 5, 2**40 + 3, 2**52 + 1], np.int64
)


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# The schedule is a jit argument: schedules of one structure (and steps of one
# shape and dtype) share a compiled program.
@jax.jit
def evaluate(schedule, steps):
    return [schedule(t) for t in steps]


@jax.jit
def evaluate_one(schedule, step):
    return schedule(step)


def test_x64_context_is_active(x64):
    assert jnp.asarray(1.0).dtype == jnp.float64
    assert jnp.asarray(1).dtype == jnp.int64


def test_x64_is_off_outside_the_fixture():
    assert jnp.asarray(1.0).dtype == jnp.float32


X64_EXAMPLES = [
    catalog.EXAMPLES[i]
    for i in (
        "linear_decay_stairs_floor",
        "exponential_decay_full",
        "natural_exp_decay_stairs",
        "piecewise_linear_jump",
        "polynomial_decay_cycle",
        "cosine_decay_floor_exponent",
        "warmup_stable_decay_1-sqrt",
        "one_cycle_fractional_phase",
        "cyclic_exp_range",
        "sgdr_alias_fractional",
        "recurrence_scalar_factor",
        "join_same_kind",
        "nested_join_warmup_repeat",
    )
]


@pytest.mark.parametrize("example", X64_EXAMPLES, ids=repr)
def test_float64_results_match_reference(example, x64):
    s = example.make()  # built with x64 on: host constants split for float64
    # (put on the device as they are: jnp.asarray would compile a copy per shape)
    ints = jax.device_put(np.r_[int_steps(example).astype(np.int64), FAR_STEPS])
    floats = jax.device_put(float_steps(example).astype(np.float64))
    assert ints.dtype == jnp.int64 and floats.dtype == jnp.float64
    out_ints, out_floats = evaluate(s, [ints, floats])
    for out, steps in ((out_ints, ints), (out_floats, floats)):
        assert out.dtype == jnp.float64
        assert out.shape == steps.shape
        want = reference(example, np.asarray(steps, np.float64))
        scale = np.max(np.abs(want)) or 1.0
        chex.assert_trees_all_close(
            np.asarray(out), want, rtol=RTOL, atol=1e-14 * scale
        )


STEP_KINDS = {
    "py_int": 3,
    "py_float": 3.5,
    "np_int64": np.int64(3),
    "np_float64": np.float64(3.5),
    "np_float32": np.float32(3.5),
    "np_int32_array": np.arange(3, dtype=np.int32),
    "jnp_float32_array": jnp.arange(3, dtype=jnp.float32),
    "np_int64_array": np.arange(3, dtype=np.int64),
}


@pytest.mark.parametrize("kind", list(STEP_KINDS))
def test_every_step_kind_gives_float64(kind, x64):
    """32-bit steps too: the result has the default float dtype, float64."""
    step = STEP_KINDS[kind]
    s = catalog.EXAMPLES["warmup_cosine_decay_full"].make()
    for out in (s(step), evaluate_one(s, step)):
        assert out.dtype == jnp.float64
        assert out.shape == np.shape(step)
        chex.assert_trees_all_close(
            np.asarray(out),
            reference(catalog.EXAMPLES["warmup_cosine_decay_full"], np.asarray(step)),
            rtol=RTOL,
        )


@pytest.mark.parametrize(
    ("make", "steps", "want"),
    [
        (lambda: jd.linear(0.0, 1.0, 2**33), [2**32, 2**33, 2**34], [0.5, 1.0, 1.0]),
        (
            lambda: jd.linear(1.0, 3.0, 2**32, transition_begin=2**32),
            [2**32 - 1, 2**32 + 2**31, 2**33],
            [1.0, 2.0, 3.0],
        ),
        (
            lambda: jd.step_decay(1.0, 2**32, 0.5),
            [2**32 - 1, 2**32, 2**33 + 1],
            [1.0, 0.5, 0.25],
        ),
        (
            lambda: jd.multistep_decay(1.0, [2**31, 2**33], 0.1),
            [2**31 - 1, 2**31, 2**33 - 1, 2**33],
            [1.0, 0.1, 0.1, 0.01],
        ),
        (
            lambda: jd.piecewise_constant([2**32, 2**34], [1.0, 2.0, 3.0]),
            [2**32 - 1, 2**32, 2**34 - 1, 2**34],
            [1.0, 2.0, 2.0, 3.0],
        ),
        (
            lambda: jd.piecewise_linear([0, 2**34], [0.0, 4.0]),
            [2**32, 2**33 + 2**32],
            [1.0, 3.0],
        ),
        (
            lambda: jd.exponential_decay(1.0, 0.5, transition_steps=2**31),
            [2**33, 2**31 + 2**30],
            [1 / 16, 0.5**1.5],
        ),
        (
            lambda: jd.exponential_decay(
                1.0, 0.5, transition_steps=2**31, staircase=True
            ),
            [2**33 - 1, 2**33],
            [1 / 8, 1 / 16],
        ),
        (lambda: jd.cosine_decay(1.0, 2**40), [2**39, 2**40, 2**41], [0.5, 0.0, 0.0]),
        (
            lambda: jd.join([jd.constant(1.0), jd.linear(1.0, 0.0, 2**33)], [2**32]),
            [2**32 - 1, 2**32, 2**33, 2**33 + 2**32],
            [1.0, 1.0, 0.5, 0.0],
        ),
        (
            lambda: jd.shift(jd.linear(1.0, 0.0, 2**32), 2**33),
            [2**33, 2**33 + 2**31],
            [1.0, 0.5],
        ),
        (
            lambda: jd.repeat(jd.linear(0.0, 1.0, 2**32), 2**32),
            [2**32 - 2**31, 2**34 + 2**30],
            [0.5, 0.25],
        ),
        (
            lambda: jd.staircase(jd.linear(0.0, 1.0, 2**34), 2**32),
            [2**33 - 1, 2**33],
            [0.25, 0.5],
        ),
        (
            lambda: jd.cyclic(0.0, 1.0, 2**32),
            [2**31, 2**32, 2**33 + 2**31],
            [0.5, 1.0, 0.5],
        ),
        (lambda: jd.cosine_restarts(1.0, 2**32), [2**32, 2**32 + 2**31], [1.0, 0.5]),
        (lambda: jd.warmup_cosine_decay(1.0, 2**32, 2**34), [2**31, 2**32], [0.5, 1.0]),
        (
            lambda: jd.warmup_stable_decay(1.0, 2**32, 2**32, 2**32),
            [2**31, 2**33 - 1, 2**33 + 2**31, 3 * 2**32],
            [0.5, 1.0, 0.5, 0.0],
        ),
        (lambda: jd.inverse_sqrt_decay(1.0, 2**32), [2**34], [0.5]),
        (
            lambda: jd.one_cycle(1.0, 2**34, pct_start=0.25, anneal="linear"),
            [0, 2**32 - 1, 2**34 - 1],
            [1 / 25, 1.0, 1 / 25 / 1e4],
        ),
    ],
    ids=lambda x: None,
)
def test_int64_steps_beyond_int32(make, steps, want, x64):
    s = make()
    steps = np.asarray(steps, np.int64)
    want = np.asarray(want, np.float64)
    out = evaluate_one(s, jax.device_put(steps))
    assert out.dtype == jnp.float64
    chex.assert_trees_all_close(np.asarray(out), want, rtol=RTOL, atol=1e-15)
    last = s(int(steps[-1]))  # a Python int beyond int32
    assert last.dtype == jnp.float64
    chex.assert_trees_all_close(float(last), want[-1], rtol=RTOL, atol=1e-15)


def test_float64_sweep_under_vmap(x64):
    """A parameter sweep in float64 keeps float64 results."""
    steps = jnp.arange(0, 120, dtype=jnp.int64)
    peaks = jnp.asarray([0.5, 1.0, 2.0], jnp.float64)
    out = jax.jit(
        jax.vmap(lambda p: jd.warmup_cosine_decay(p, 10, 100, end_value=0.01)(steps))
    )(peaks)
    assert out.dtype == jnp.float64
    ref = np.stack(
        [
            catalog.r_warmup_cosine_decay(float(p), 10, 100, 0.0, 0.01)(
                np.arange(120.0)
            )
            for p in peaks
        ]
    )
    chex.assert_trees_all_close(np.asarray(out), ref, rtol=RTOL, atol=1e-15)
