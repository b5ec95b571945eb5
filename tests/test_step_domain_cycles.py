"""Cycles, tables and joins with lengths beyond int32: every length, period,
boundary and phase end up to 2**63 - 1 is exact at every step a schedule can be
called with (int32 steps without x64), against float64 formulas written here.

The behaviour at small lengths is covered by the rest of the suite (values
against optax, PyTorch and Keras, properties, accuracy).
"""

from __future__ import annotations

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd

TOP = 2**31 - 1
RTOL = 1e-5  # float32
# Eager dispatch compiles every operation once per shape: check() evaluates
# arrays of one length, shorter lists of steps repeated to it.
N_CHECK = 9


def check(schedule, steps, want, rtol=RTOL):
    """Eager (host steps) and jitted (int32 steps) values against ``want``."""
    assert len(steps) == len(want) <= N_CHECK
    steps = np.resize(np.asarray(steps, np.int64), N_CHECK)
    want = np.resize(np.asarray(want, np.float64), N_CHECK)
    eager = np.asarray(schedule(steps), np.float64)
    jitted = jax.jit(schedule)(jax.device_put(steps.astype(np.int32)))
    jitted = np.asarray(jitted, np.float64)
    chex.assert_trees_all_close(eager, want, rtol=rtol, atol=0)
    chex.assert_trees_all_close(jitted, want, rtol=rtol, atol=0)


# --------------------------------------------------------------------------
# float64 formulas


def cyclic_ref(t, base, high, up, down, mode="triangular", gamma=1.0):
    cycle, pos = divmod(t, up + down)
    height = pos / up if pos <= up else (up + down - pos) / down
    scale = {"triangular": 1.0, "triangular2": 0.5**cycle, "exp_range": gamma**t}
    return base + (high - base) * height * scale[mode]


def restarts_ref(t, init, first, mult=1.0, value_mult=1.0, end=0.0):
    start, length, k = 0.0, float(first), 0
    while start + length <= t:
        start, length, k = start + length, length * mult, k + 1
    amplitude = (init - end) * value_mult**k
    return end + amplitude * 0.5 * (1 + math.cos(math.pi * (t - start) / length))


def one_cycle_ref(t, peak, total, pct=0.3, div=25.0, final=1e4, anneal="cos"):
    """PyTorch's OneCycleLR (two phases), in float64."""
    initial = peak / div
    ends = [pct * total - 1, total - 1.0]
    points = [(initial, peak), (peak, initial / final)]
    start_step = 0.0
    for i, end_step in enumerate(ends):
        if t <= end_step or i == len(ends) - 1:
            x = (t - start_step) / (end_step - start_step)
            lo, hi = points[i]
            if anneal == "cos":
                return hi + (lo - hi) / 2 * (1 + math.cos(math.pi * x))
            return lo + (hi - lo) * x
        start_step = end_step
    raise AssertionError


def linear_ref(t, bounds, values):
    if t <= bounds[0]:
        return values[0]
    for (b0, v0), (b1, v1) in zip(
        zip(bounds, values, strict=True),
        zip(bounds[1:], values[1:], strict=True),
        strict=False,
    ):
        if t < b1:
            return v0 + (v1 - v0) * (t - b0) / (b1 - b0)
    return values[-1]


STEPS = [0, 1, 1000, 2**30, 2**31 - 2, TOP]


# --------------------------------------------------------------------------
# cycles


@pytest.mark.parametrize(
    ("up", "down", "mode"),
    [
        (2**31, 2**31, "triangular"),  # the rise alone outlasts the steps
        (2**30 + 5, 2**31 - 7, "triangular"),  # sum past the top: falls, no end
        (2**20, 2**40, "triangular2"),
        (2**62, 2**63 - 1, "exp_range"),  # the sum is past int64 too
    ],
)
def test_cyclic_half_cycles_beyond_int32(up, down, mode):
    s = jd.cyclic(0.1, 1.0, up, down, mode=mode, gamma=1 - 1e-10)
    want = [cyclic_ref(t, 0.1, 1.0, up, down, mode, 1 - 1e-10) for t in STEPS]
    check(s, STEPS, want)
    assert s.breakpoints()[0] == up


def test_cyclic_with_traced_step_sizes_beyond_int32():
    # vmap over one half cycle, the other one concrete: the sum passes the top
    # (within int32, and beyond it).
    steps = jnp.asarray(STEPS, jnp.int32)
    ups = jnp.asarray([1000, 2**30 + 5, 2**31 - 1], jnp.int32)
    for down in (2**31 - 7, 2**33):
        got = jax.jit(jax.vmap(lambda u, d=down: jd.cyclic(0.1, 1.0, u, d)(steps)))(ups)
        want = [[cyclic_ref(t, 0.1, 1.0, int(u), down) for t in STEPS] for u in ups]
        chex.assert_trees_all_close(
            np.asarray(got, np.float64), np.asarray(want), rtol=RTOL
        )
    # Both traced: a sum that fits, and sums that wrap in int32 (no step ends
    # those cycles).
    got = jax.vmap(lambda u: jd.cyclic(0.1, 1.0, u, u)(steps))(ups)
    want = [[cyclic_ref(t, 0.1, 1.0, int(u), int(u)) for t in STEPS] for u in ups]
    chex.assert_trees_all_close(
        np.asarray(got, np.float64), np.asarray(want), rtol=RTOL
    )


@pytest.mark.parametrize(
    ("first", "mult", "value_mult"),
    [
        (2**32, 1.0, 0.5),  # one period, past the top
        (2**32, 3.0, 0.5),
        (2**20, 2.0**12, 0.5),  # the second cycle ends past the top
        (1000, 1e300, 0.5),  # a huge second cycle
        (1000, 1e308, 0.5),  # ... whose float64 length overflows
        (3, 2.5, 0.9),  # many cycles below the top
    ],
)
def test_cosine_restarts_periods_beyond_int32(first, mult, value_mult):
    s = jd.cosine_restarts(1.0, first, mult, value_mult, end_value=0.1)
    steps = [*STEPS, min(first - 1, TOP), min(first, TOP)]
    want = [restarts_ref(t, 1.0, first, mult, value_mult, 0.1) for t in steps]
    check(s, steps, want)
    assert len(s.breakpoints()) <= 3


@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_total_steps_beyond_int32(anneal):
    for total, pct in ((2**40, 0.3), (2**32, 0.25), (2**63 - 1, 0.5)):
        s = jd.one_cycle(1.0, total, pct_start=pct, anneal=anneal)
        want = [one_cycle_ref(t, 1.0, total, pct, anneal=anneal) for t in STEPS]
        check(s, STEPS, want)
    # The momentum follows the same phases.
    s = jd.one_cycle(1.0, 2**32, pct_start=0.25, anneal=anneal)
    m = jd.one_cycle_momentum(s, base_momentum=0.85, max_momentum=0.95)
    rate = [one_cycle_ref(t, 1.0, 2**32, 0.25, anneal=anneal) for t in STEPS]
    peak, initial = 1.0, 1.0 / 25
    low = initial / 1e4
    want = []
    for t, r in zip(STEPS, rate, strict=True):
        rising = t <= 0.25 * 2**32 - 1
        w = (r - initial) / (peak - initial) if rising else (peak - r) / (peak - low)
        want.append(0.95 - 0.1 * w if rising else 0.85 + 0.1 * w)
    check(m, STEPS, want)


# --------------------------------------------------------------------------
# tables and joins


def test_piecewise_constant_boundaries_beyond_int32():
    s = jd.piecewise_constant([2**40], [1.0, 2.0])
    assert float(s(TOP)) == 1.0
    assert float(jax.jit(s)(jnp.int32(TOP))) == 1.0
    # Past the few compared one by one: the table path.
    bounds = [10 * k for k in range(1, 10)] + [TOP, 2**31, 2**40, 2**63 - 1]
    s = jd.piecewise_constant(bounds, np.arange(len(bounds) + 1.0))
    steps = [0, 10, 95, TOP - 1, TOP]
    check(s, steps, [0, 1, 9, 9, 10])


@pytest.mark.parametrize(
    ("bounds", "values"),
    [
        ([0, 2**40], [1.0, 3.0]),
        ([5, 2**33, 2**40], [1.0, 0.0, 3.0]),
        ([2**33, 2**40], [1.0, 0.0]),  # no point within the steps
        ([*range(0, 100, 10), 2**31, 2**62], [*range(10), 5.0, 1e-3]),
        ([0, 2**62], [1e-30, 3e-30]),  # weights that float32 cannot hold
    ],
)
def test_piecewise_linear_boundaries_beyond_int32(bounds, values):
    s = jd.piecewise_linear(bounds, values)
    steps = [*STEPS, 4, 5, 55]
    check(s, steps, [linear_ref(t, bounds, values) for t in steps])
    # A float step (split on the host; an array of N_CHECK) and traced values.
    t = 2**30 + 0.5
    chex.assert_trees_all_close(
        np.asarray(s(np.full(N_CHECK, t)), np.float64),
        np.full(N_CHECK, linear_ref(t, bounds, values)),
        rtol=RTOL,
    )
    swept = jax.vmap(lambda v: jd.piecewise_linear(bounds, v)(jnp.int32(2**30)))(
        jnp.asarray([values], jnp.float32)
    )
    chex.assert_trees_all_close(
        float(swept[0]), linear_ref(2**30, bounds, values), rtol=RTOL
    )


def test_join_boundaries_beyond_int32():
    s = jd.join([jd.linear(0.0, 1.0, 2**33), jd.constant(5.0)], [2**33])
    check(s, STEPS, [t / 2**33 for t in STEPS])
    s = jd.join(
        [jd.constant(1.0), jd.cosine_decay(1.0, 2**34), jd.constant(3.0)],
        [100, 2**33],
    )
    want = [
        1.0 if t < 100 else 0.5 * (1 + math.cos(math.pi * (t - 100) / 2**34))
        for t in STEPS
    ]
    check(s, STEPS, want)
    # Many pieces (a table of starts), the last ones beyond the top.
    pieces = [jd.linear(float(k), float(k + 1), 2**40) for k in range(12)]
    bounds = [100 * k for k in range(1, 10)] + [2**30, 2**33]
    s = jd.join(pieces, bounds)
    starts = [0, *bounds]

    def ref(t):
        k = int(np.searchsorted(bounds, t, side="right"))
        return k + (t - starts[k]) / 2**40

    steps = [*STEPS, 99, 100, 950]
    check(s, steps, [ref(t) for t in steps])


def test_float_steps_with_lengths_beyond_int32():
    # Float steps are split on the host: 2**30 + 0.5 keeps its fraction (an
    # array of N_CHECK float64 steps, like check()'s arrays).
    t = 2**30 + 0.5
    cases = [
        (
            jd.cyclic(0.1, 1.0, 2**30 + 5, 2**31),
            cyclic_ref(t, 0.1, 1.0, 2**30 + 5, 2**31),
        ),
        (jd.cyclic(0.1, 1.0, 2**30, 2**31), cyclic_ref(t, 0.1, 1.0, 2**30, 2**31)),
        (jd.cosine_restarts(1.0, 2**32), restarts_ref(t, 1.0, 2**32)),
        (
            jd.cosine_restarts(1.0, 2**20 + 0.0, 2.0**12, 0.5),
            restarts_ref(t, 1.0, 2**20, 2.0**12, 0.5),
        ),
        (jd.one_cycle(1.0, 2**32, 0.25), one_cycle_ref(t, 1.0, 2**32, 0.25)),
        (
            jd.join([jd.constant(1.0), jd.linear(0.0, 1.0, 2**33)], [2**30]),
            0.5 / 2**33,
        ),
    ]
    for s, want in cases:
        chex.assert_trees_all_close(
            np.asarray(s(np.full(N_CHECK, t)), np.float64),
            np.full(N_CHECK, want),
            rtol=RTOL,
            custom_message=repr(s),
        )


def test_breakpoints_and_summaries_of_huge_parameters():
    huge = [
        jd.cyclic(0.1, 1.0, 2**63 - 1),
        jd.cosine_restarts(1.0, 2**63 - 1, period_mult=2.0),
        jd.cosine_restarts(1.0, 2**62),
        jd.one_cycle(1.0, 2**63 - 1, three_phase=True),
        jd.piecewise_constant([2**63 - 1], [1.0, 2.0]),
        jd.piecewise_linear([0, 2**63 - 1], [1.0, 2.0]),
        jd.join([jd.constant(1.0), jd.cosine_decay(1.0, 2**63 - 1)], [2**62]),
    ]
    for s in huge:
        marks = s.breakpoints()
        assert len(marks) <= 4 and all(isinstance(b, int) for b in marks)
        points = s.key_points()
        assert points[-1][0] == TOP and np.all(np.isfinite([v for _, v in points]))
    assert "step 2147483647" in huge[-1].describe()


def test_far_lengths_with_x64():
    t = 2**62 + 2**40
    with jax.enable_x64(True):
        cases = [
            (
                jd.cyclic(0.1, 1.0, 2**62, 2**62),
                cyclic_ref(t, 0.1, 1.0, 2**62, 2**62),
            ),
            (
                jd.piecewise_linear([0, 2**63 - 1], [0.0, 1.0]),
                t / (2**63 - 1),
            ),
            (
                jd.cosine_restarts(1.0, 2**61, period_mult=2.0, value_mult=0.5),
                restarts_ref(t, 1.0, 2**61, 2.0, 0.5),
            ),
            (jd.one_cycle(1.0, 2**63 - 1), one_cycle_ref(t, 1.0, 2**63 - 1)),
            (
                jd.join([jd.linear(0.0, 1.0, 2**63 - 1), jd.constant(2.0)], [2**62]),
                2.0,
            ),
            (jd.piecewise_constant([2**62, 2**63 - 1], [1.0, 2.0, 3.0]), 2.0),
        ]
        for s, want in cases:
            got = [s(t), jax.jit(s)(jnp.asarray(t, jnp.int64))]
            chex.assert_trees_all_close(
                np.asarray(got, np.float64), np.full(2, want), rtol=1e-9
            )
