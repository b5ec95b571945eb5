"""Every worked value of the design documents, at rtol 1e-6 in float32.

Where the documents give numbers, the expected values are those literal numbers;
where they give a rule, the rule is evaluated in float64 Python exactly as the
documents write it (recursive rules by a plain loop).  Each schedule is
evaluated eagerly and under ``jax.jit`` (the schedule passed as an argument).
"""

import math

import chex
import jax
import numpy as np
import pytest

import jaxdecay as jd

RTOL = 1e-6  # the tolerance; no atol: no expected value here is 0

_jit_call = jax.jit(lambda schedule, step: schedule(step))

CHUNK = 128


def eager(schedule, steps):
    """``schedule(steps)`` without jit, fed in chunks of one fixed size (the
    last padded with its last step): eager JAX compiles a kernel per operation
    and shape, and one shape lets every test reuse them."""
    flat = np.ravel(steps)
    padded = np.concatenate([flat, np.full(-flat.size % CHUNK, flat[-1], flat.dtype)])
    values = [np.asarray(schedule(chunk)) for chunk in padded.reshape(-1, CHUNK)]
    return np.concatenate(values)[: flat.size].reshape(np.shape(steps))


@pytest.fixture(params=["eager", "jit"])
def evaluate(request):
    return eager if request.param == "eager" else _jit_call


def steps(*args):
    return np.arange(*args, dtype=np.int32)


def held(values, length):
    """Each value repeated ``length`` times (a value applied once per block)."""
    return np.repeat(np.asarray(values, np.float64), length)


# ---------------------------------------------------------------------------
# Closed-form rules.


def test_linear_decay(evaluate):
    """lr = 0.1 * (1 - 0.1 * step): 0.09, 0.08, 0.07 at steps 1, 2, 3."""
    lr = jd.linear_decay(0.1, decay_rate=0.1)
    chex.assert_trees_all_close(
        evaluate(lr, steps(0, 4)), np.array([0.1, 0.09, 0.08, 0.07]), rtol=RTOL
    )


def test_exponential_decay(evaluate):
    """lr = 0.1 * 0.9 ** step: 0.09, 0.081, 0.0729 at steps 1, 2, 3."""
    lr = jd.exponential_decay(0.1, decay_rate=0.9)
    chex.assert_trees_all_close(
        evaluate(lr, steps(0, 4)), np.array([0.1, 0.09, 0.081, 0.0729]), rtol=RTOL
    )


# Applied once every 100 iterations, the same rules take the same values at
# iterations 100, 200, 300 and hold them in between.
ONCE_EVERY_100 = {
    "linear_decay": (
        jd.linear_decay(0.1, 0.1, transition_steps=100, staircase=True),
        [0.1, 0.09, 0.08, 0.07],
    ),
    "exponential_decay": (
        jd.exponential_decay(0.1, 0.9, transition_steps=100, staircase=True),
        [0.1, 0.09, 0.081, 0.0729],
    ),
    "staircase(linear_decay)": (
        jd.staircase(jd.linear_decay(0.1, 0.1, transition_steps=100), every=100),
        [0.1, 0.09, 0.08, 0.07],
    ),
    "staircase(exponential_decay)": (
        jd.staircase(jd.exponential_decay(0.1, 0.9, transition_steps=100), every=100),
        [0.1, 0.09, 0.081, 0.0729],
    ),
}


@pytest.mark.parametrize("name", list(ONCE_EVERY_100))
def test_applied_once_every_100_iterations(name, evaluate):
    lr, values = ONCE_EVERY_100[name]
    chex.assert_trees_all_close(
        evaluate(lr, steps(0, 400)), held(values, 100), rtol=RTOL
    )


# Step decay: 0.1, then 0.01, then 0.001, held for 10, 20 and 30 epochs.
STEP_DECAY = {
    "piecewise_constant": jd.piecewise_constant([10, 30], [0.1, 0.01, 0.001]),
    "multistep_decay": jd.multistep_decay(0.1, milestones=[10, 30], gamma=0.1),
    "piecewise_constant.from_scales": jd.piecewise_constant.from_scales(
        0.1, {10: 0.1, 30: 0.1}
    ),
}


@pytest.mark.parametrize("name", list(STEP_DECAY))
def test_step_decay_held_for_10_20_30_epochs(name, evaluate):
    expected = np.concatenate([held([0.1], 10), held([0.01], 20), held([0.001], 30)])
    chex.assert_trees_all_close(
        evaluate(STEP_DECAY[name], steps(0, 60)), expected, rtol=RTOL
    )


def test_step_decay_every_10_epochs(evaluate):
    """The same rule as a fixed step size: 0.1 * 0.1 ** (epoch // 10)."""
    lr = jd.step_decay(0.1, step_size=10, gamma=0.1)
    chex.assert_trees_all_close(
        evaluate(lr, steps(0, 30)), held([0.1, 0.01, 0.001], 10), rtol=RTOL
    )


def test_inverse_time_decay(evaluate):
    """lr = 0.1 / (1 + 0.1 * t)."""
    t = steps(0, 200)
    expected = [0.1 / (1 + 0.1 * int(s)) for s in t]
    chex.assert_trees_all_close(
        evaluate(jd.inverse_time_decay(0.1, decay_rate=0.1), t),
        np.array(expected),
        rtol=RTOL,
    )


def test_inverse_sqrt_decay(evaluate):
    """lr = 0.1 / sqrt(t) for t >= 1."""
    t = steps(1, 200)
    expected = [0.1 / math.sqrt(int(s)) for s in t]
    chex.assert_trees_all_close(
        evaluate(jd.inverse_sqrt_decay(0.1), t), np.array(expected), rtol=RTOL
    )


def test_natural_exp_decay(evaluate):
    """lr = 0.1 * exp(-0.1 * t)."""
    t = steps(0, 200)
    expected = [0.1 * math.exp(-0.1 * int(s)) for s in t]
    chex.assert_trees_all_close(
        evaluate(jd.natural_exp_decay(0.1, decay_rate=0.1), t),
        np.array(expected),
        rtol=RTOL,
    )


def test_combined_rule(evaluate):
    """lr = L0 * (1 - d*n) * g**n with L0 = 0.1, d = 0.1, g = 0.9, n = 0..9."""
    lr = jd.linear_decay(0.1, 0.1) * jd.exponential_decay(1.0, 0.9)
    n = steps(0, 10)
    expected = [0.1 * (1 - 0.1 * int(k)) * 0.9 ** int(k) for k in n]
    chex.assert_trees_all_close(evaluate(lr, n), np.array(expected), rtol=RTOL)


def test_combined_rule_worked_values(evaluate):
    """The first terms by hand: 0.1, 0.1*0.9*0.9 = 0.081, 0.1*0.8*0.81 = 0.0648."""
    lr = jd.linear_decay(0.1, 0.1) * jd.exponential_decay(1.0, 0.9)
    chex.assert_trees_all_close(
        evaluate(lr, steps(0, 3)), np.array([0.1, 0.081, 0.0648]), rtol=RTOL
    )


# ---------------------------------------------------------------------------
# Recursive rules, lr_t computed from lr_{t-1}, through ``recurrence``.

T = 100
GAMMA = 0.9


def loop(update, horizon, lr0=0.1):
    """The documents' recursion, run in float64: ``lr_t = update(lr_{t-1}, t)``."""
    lrs = [lr0]
    for t in range(1, horizon + 1):
        lrs.append(update(lrs[-1], t))
    return lrs


# name: (factor given to ``recurrence``, the update as the documents write it,
#        horizon)
RECURSIVE_RULES = {
    "lr - lr/T": (
        lambda t: 1 - 1 / T,
        lambda lr, t: lr - lr / T,
        300,
    ),
    "lr * gamma": (
        lambda t: GAMMA,
        lambda lr, t: lr * GAMMA,
        100,
    ),
    "lr * gamma**t": (
        lambda t: 0.99**t,
        lambda lr, t: lr * 0.99**t,
        60,
    ),
    "lr * (1 + gamma*cos(t*pi/T))": (
        lambda t: 1 + 0.5 * math.cos(t * math.pi / T),  # gamma = 0.5; scalar-only
        lambda lr, t: lr * (1 + 0.5 * math.cos(t * math.pi / T)),
        2 * T,
    ),
    "lr / (1 + decay*e)": (
        lambda e: 1 / (1 + 0.1 * e),
        lambda lr, e: lr / (1 + 0.1 * e),
        50,
    ),
}


@pytest.mark.parametrize("name", list(RECURSIVE_RULES))
def test_recursive_rule(name, evaluate):
    factor, update, horizon = RECURSIVE_RULES[name]
    lr = jd.recurrence(0.1, factor, horizon=horizon)
    expected = loop(update, horizon)
    # Every step of the horizon, then a few past it, where the last value holds.
    t = steps(0, horizon + 20)
    expected = np.array([expected[min(int(s), horizon)] for s in t])
    chex.assert_trees_all_close(evaluate(lr, t), expected, rtol=RTOL)


def test_recursive_rules_equal_their_closed_forms(evaluate):
    """lr_t = lr_{t-1} * gamma is 0.1 * gamma**t, and lr_t = lr_{t-1} - lr_{t-1}/T
    is exponential decay at rate 1 - 1/T: the two ways agree step by step."""
    t = steps(0, 100)
    for factor, closed in [
        (lambda s: GAMMA, jd.exponential_decay(0.1, GAMMA)),
        (lambda s: 1 - 1 / T, jd.exponential_decay(0.1, 1 - 1 / T)),
    ]:
        chex.assert_trees_all_close(
            evaluate(jd.recurrence(0.1, factor, horizon=100), t),
            evaluate(closed, t),
            rtol=2 * RTOL,  # two float32 values, each 1e-6
        )
