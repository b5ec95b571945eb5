"""Cooldowns, WSD-S cycles, stretched schedules and resumes with a new length
(``jaxdecay._compose.runs``).

Values are checked against float64 NumPy references written here from the
documented formulas (the shapes of the decay factor d(x), the cycle phases
``D_i = min(floor(f L_i), L_i - W_i)``, ``s(t q / p)`` for a factor p/q),
eager and jitted, at integer and fractional steps, at ``rtol=1e-5`` (float32
against float64: the products behind each value are a few ulp).  Steps and
lengths past int32 use int32 steps up to ``2**31 - 1``; where a boundary
decides a value (a stair, a cycle start) the reference is exact (Python
fractions) and the comparison is equality.
"""

from __future__ import annotations

import math
import pickle
from fractions import Fraction

import catalog
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay._compose.runs import cooldown, rebase, stretch, wsd_cycles
from jaxdecay._core import numerics as num

RTOL = 1e-5
TOP = 2**31 - 1
# Every step array has this shape: eager dispatch and the jit of ``evaluate``
# then compile once per dtype, not once per test.
N = 130
STEPS = np.arange(0, N, dtype=np.int32)
FLOAT_STEPS = (STEPS + np.resize([0.25, 0.5, 0.75, 0.9], N)).astype(np.float32)


def padded(steps):
    """``steps`` padded to the shape of ``STEPS``."""
    return catalog.padded(steps, N)


# -- float64 references ------------------------------------------------------

D = {
    "linear": lambda x, a: 1 - x,
    "cosine": lambda x, a: (1 + np.cos(np.pi * x)) / 2,
    "1-sqrt": lambda x, a: 1 - np.sqrt(x),
    "1-square": lambda x, a: 1 - x**2,
    "power": lambda x, p: 1 - x**p,
    "exp": lambda x, q: (q**x - q) / (1 - q),
}


def r_cosine(init, steps, end=0.0):
    return lambda t: (
        end + (init - end) * (1 + np.cos(np.pi * np.minimum(t, steps) / steps)) / 2
    )


def r_wsd(peak, w, s, d, shape="linear"):
    def f(t):
        x = np.clip((t - w - s) / d, 0, 1)
        return np.where(t < w, peak * t / max(w, 1), peak * D[shape](x, None))

    return f


def r_multistep(init, milestones, gamma):
    return lambda t: (
        init
        * gamma
        ** np.sum(
            np.floor(np.asarray(t, np.float64))[..., None] >= np.asarray(milestones), -1
        )
    )


def r_cooldown(inner, start, length, shape="linear", end=0.0, arg=None):
    def f(t):
        t = np.asarray(t, np.float64)
        x = np.clip((t - start) / length, 0, 1)
        v = inner(t)
        cooled = end + (v - end) * D[shape](x, arg)
        return np.where(t < start, v, np.where(t >= start + length, end, cooled))

    return f


def phases(warmup, cycles, fraction, rewarmup):
    """(W_i, S_i, D_i) per cycle, from the documented rule."""
    f = Fraction(repr(fraction))
    out = []
    for i, length in enumerate(cycles):
        w = warmup if i == 0 else rewarmup
        d = min(math.floor(f * length), length - w)
        out.append((w, length - w - d, d))
    return out


def r_wsd_cycles(peak, warmup, cycles, fraction, shape="1-sqrt", rewarmup=0, end=0.0):
    table = phases(warmup, cycles, fraction, rewarmup)

    def one(t):
        at = 0
        for i, (w, s, d) in enumerate(table):
            if t < at + w + s + d or i == len(table) - 1:
                u = t - at
                if u < w:
                    low = 0.0 if i == 0 else end
                    return low + (peak - low) * u / w
                if u < w + s:
                    return peak
                x = min((u - w - s) / d, 1.0)
                return end + (peak - end) * D[shape](x, None)
            at += w + s + d
        raise AssertionError

    return lambda t: np.vectorize(one, otypes=[np.float64])(np.asarray(t, np.float64))


def r_stretch(inner, factor):
    return lambda t: inner(np.asarray(t, np.float64) / factor)


def value_of(schedule, t):
    return schedule(t)


# The schedule a jit argument (a pytree): one program per structure of
# schedule and kind of step, shared by `evaluate` and the jitted cooldowns
# below.
_call = jax.jit(value_of)


def evaluate(schedule, steps):
    """Eager and jitted values at ``steps`` (int32 or float32 for the jit)."""
    steps = np.asarray(steps)
    assert np.max(steps) <= TOP
    wide = padded(steps)
    kind = np.int32 if np.issubdtype(steps.dtype, np.integer) else np.float32
    eager = np.asarray(schedule(wide))[: steps.size]
    jitted = np.asarray(_call(schedule, jnp.asarray(wide.astype(kind))))[: steps.size]
    assert eager.dtype == jitted.dtype == np.float32
    return eager, jitted


def check(schedule, reference, steps=STEPS, rtol=RTOL):
    want = reference(np.asarray(steps, np.float64))
    eager, jitted = evaluate(schedule, steps)
    chex.assert_trees_all_close(eager, jitted, want, rtol=rtol, atol=0.0)


# -- cooldown ------------------------------------------------------------------

INNER = jd.warmup_cosine_decay(2.0, 10, 150, end_value=0.1)


def r_inner(t):
    t = np.asarray(t, np.float64)
    return np.where(t < 10, 2.0 * t / 10, r_cosine(2.0, 140, 0.1)(t - 10))


COOLDOWN_CASES = [
    ("linear", None, 0.0),
    ("cosine", None, 0.05),
    ("1-sqrt", None, 0.0),
    ("1-square", None, -0.5),
    ("power", 0.5, 0.0),
    ("power", 3.0, 0.2),
    ("exp", 0.01, 0.0),
    ("exp", 0.9, 0.3),
]


class CooldownVariants(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_every_shape_matches_reference(self):
        schedules, wants = [], []
        for shape, arg, end in COOLDOWN_CASES:
            extra = {"power": arg} if shape == "power" else {}
            extra = {"ratio": arg} if shape == "exp" else extra
            schedules.append(cooldown(INNER, 40, 70, shape, end_value=end, **extra))
            wants.append(r_cooldown(r_inner, 40, 70, shape, end, arg))
        # One call (one program) per schedule and kind of step: XLA compiles
        # the eight cooldowns of INNER in a third less time apart than in one
        # program (the wsd_cycles and stretches below compile as fast at once).
        call = self.variant(value_of)
        for steps in (STEPS, FLOAT_STEPS):
            got = [call(s, jnp.asarray(steps)) for s in schedules]
            for value, want, case in zip(got, wants, COOLDOWN_CASES, strict=True):
                chex.assert_trees_all_close(
                    value, want(steps), rtol=RTOL, atol=0.0, custom_message=str(case)
                )


def test_cooldown_leaves_the_steps_before_it_unchanged():
    for shape, arg, end in COOLDOWN_CASES:
        extra = {"power": arg} if shape == "power" else {}
        extra = {"ratio": arg} if shape == "exp" else extra
        lr = cooldown(INNER, 40, 70, shape, end_value=end, **extra)
        before = padded(np.array([0, 5, 20, 39, 39.75, 110, 111, 10**6], np.float32))
        got = np.asarray(lr(before))
        np.testing.assert_array_equal(got[:5], np.asarray(INNER(before))[:5])
        np.testing.assert_array_equal(got[5:], np.float32(end))


def test_cooldown_at_the_end_keeps_its_relative_accuracy():
    # One step before the end of a long cooldown, d is about 1e-6 (linear)
    # or 1e-3 (1-sqrt): the value keeps float32's relative accuracy.
    for shape, arg in (
        ("linear", None),
        ("1-sqrt", None),
        ("power", 2.0),
        ("exp", 0.5),
    ):
        extra = {"power": arg} if shape == "power" else {}
        extra = {"ratio": arg} if shape == "exp" else extra
        lr = cooldown(jd.constant(1.0), 0, 10**6, shape, **extra)
        steps = np.array([1, 10**6 - 1, 10**6 - 0.5], np.float64)
        check(
            lr, r_cooldown(lambda t: np.ones_like(t), 0, 10**6, shape, 0.0, arg), steps
        )


def test_cooldown_with_start_and_length_past_int32():
    # Starts at 2**30 and lasts 2**33 steps: an eighth of it at the last step.
    lr = cooldown(jd.constant(1.0), 2**30, 2**33, "cosine", end_value=0.1)
    steps = np.array([0, 2**30 - 1, 2**30, 2**30 + 1, 2**31 - 2**20, TOP], np.int64)
    check(lr, r_cooldown(lambda t: np.ones_like(t), 2**30, 2**33, "cosine", 0.1), steps)
    # A start past the step range is never reached; a length to 2**63 - 1.
    never = cooldown(INNER, 2**40, 5)
    np.testing.assert_array_equal(never(STEPS), INNER(STEPS))
    longest = cooldown(jd.constant(1.0), 1, 2**63 - 2, "1-sqrt")
    check(longest, lambda t: 1 - np.sqrt(np.clip((t - 1) / (2**63 - 2), 0, 1)), steps)
    assert longest.settles_at() == 2**63 - 1 and longest.breakpoints() == (1, 2**63 - 1)


def test_cooldown_breakpoints_and_settling_step():
    lr = cooldown(jd.warmup_stable_decay(1.0, 10, 80, 10), 50, 30)
    assert lr.breakpoints() == (10, 50, 80)
    assert lr.settles_at() == 80
    assert cooldown(INNER, 0, 20).breakpoints() == (10, 20)
    assert cooldown(jd.exponential_decay(1.0, 0.9), 7, 3).settles_at() == 10


def test_cooldown_sweeps_and_gradients():
    # Traced start and length (a sweep under vmap).
    starts, lengths = jnp.array([5, 20, 33]), jnp.array([20, 7, 90])
    got = jax.jit(jax.vmap(lambda a, n: cooldown(INNER, a, n, "1-sqrt")(STEPS)))(
        starts, lengths
    )
    for row, a, n in zip(np.asarray(got), [5, 20, 33], [20, 7, 90], strict=True):
        want = r_cooldown(r_inner, a, n, "1-sqrt")(STEPS)
        chex.assert_trees_all_close(row, want, rtol=RTOL, atol=0.0)
    # vmap over steps (a batch of scalar calls).
    lr = cooldown(INNER, 40, 70, "power", power=0.5)
    got = jax.jit(jax.vmap(lr))(jnp.asarray(STEPS))
    chex.assert_trees_all_close(
        got, r_cooldown(r_inner, 40, 70, "power", 0.0, 0.5)(STEPS), rtol=RTOL, atol=0.0
    )
    # d/dt at the start of a cooldown whose slope is infinite there (1-sqrt,
    # power < 1): the one-sided derivative of the schedule before, never NaN;
    # elsewhere the derivative of the formula.
    t = jnp.array([39.5, 40.0, 40.5, 75.0, 120.0])
    inner_slope = jax.jit(jax.grad(INNER))(40.0)  # one program, not op by op
    for shape, arg in (("1-sqrt", None), ("power", 0.5), ("exp", 0.1)):
        extra = {"power": arg} if shape == "power" else {}
        extra = {"ratio": arg} if shape == "exp" else extra
        lr = cooldown(INNER, 40, 70, shape, **extra)
        grads = np.asarray(jax.jit(jax.vmap(jax.grad(lr)))(t), np.float64)
        assert np.all(np.isfinite(grads)), (shape, grads)
        ref = r_cooldown(r_inner, 40, 70, shape, 0.0, arg)
        h = 1e-4
        central = (
            ref(np.array([39.5, 75.0]) + h) - ref(np.array([39.5, 75.0]) - h)
        ) / (2 * h)
        chex.assert_trees_all_close(grads[[0, 3]], central, rtol=1e-3)
        assert grads[-1] == 0.0
        if shape != "exp":  # d'(0) is infinite: the inner schedule's slope
            chex.assert_trees_all_close(grads[1], inner_slope, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(shape="power"), r"cooldown: `power` must be given with shape='power'"),
        (dict(shape="exp"), r"cooldown: `ratio` must be given with shape='exp'"),
        (dict(power=2.0), r"`power` must be None unless shape='power'.*'linear'"),
        (dict(shape="exp", ratio=0.5, power=2.0), r"`power` must be None unless"),
        (dict(shape="cosine", ratio=0.5), r"`ratio` must be None unless shape='exp'"),
        (dict(shape="exp", ratio=1.0), r"`ratio` must be in \(0, 1\); got ratio=1.0"),
        (dict(shape="exp", ratio=0.0), r"`ratio` must be in \(0, 1\)"),
        (dict(shape="power", power=0.0), r"`power` must be positive"),
        (dict(shape="power", power=float("nan")), r"`power` must be positive"),
        (dict(shape="cubic"), r"`shape` must be one of 'linear', .*'power', 'exp'"),
        (
            dict(length=0),
            r"cooldown: `length` must be a positive integer; got length=0",
        ),
        (dict(start=-1), r"cooldown: `start` must be an integer >= 0; got start=-1"),
        (dict(start=2.5), r"`start` must be an integer >= 0; got start=2.5"),
        (dict(end_value=float("inf")), r"`end_value` must be finite"),
    ],
)
def test_cooldown_refuses_bad_arguments(kwargs, match):
    args = dict(schedule=INNER, start=10, length=20) | kwargs
    with pytest.raises(ValueError, match=match):
        cooldown(**args)


def test_cooldown_refuses_a_non_schedule():
    with pytest.raises(TypeError, match=r"cooldown: `schedule` must be a schedule"):
        cooldown(0.1, 10, 20)


# -- wsd_cycles ----------------------------------------------------------------

CYCLE_CASES = [
    dict(peak=1.0, warmup=10, cycles=[60, 40, 30], fraction=0.25, shape="1-sqrt"),
    dict(
        peak=2.0,
        warmup=5,
        cycles=[30, 50, 20],
        fraction=0.3,
        shape="cosine",
        rewarmup=4,
        end=0.1,
    ),
    dict(
        peak=1.0,
        warmup=0,
        cycles=[25, 25, 25, 25],
        fraction=1.0,
        shape="linear",
        rewarmup=5,
        end=0.2,
    ),
    dict(peak=0.5, warmup=3, cycles=[120], fraction=0.5, shape="1-square"),
]


def _cycles(c):
    return wsd_cycles(
        c["peak"],
        c["warmup"],
        c["cycles"],
        c["fraction"],
        decay_shape=c["shape"],
        rewarmup_steps=c.get("rewarmup", 0),
        end_value=c.get("end", 0.0),
    )


def _r_cycles(c):
    return r_wsd_cycles(
        c["peak"],
        c["warmup"],
        c["cycles"],
        c["fraction"],
        c["shape"],
        c.get("rewarmup", 0),
        c.get("end", 0.0),
    )


class CycleVariants(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_cycles_match_reference(self):
        call = self.variant(lambda ss, t: [s(t) for s in ss])
        for steps in (STEPS, FLOAT_STEPS):
            got = call([_cycles(c) for c in CYCLE_CASES], jnp.asarray(steps))
            for value, c in zip(got, CYCLE_CASES, strict=True):
                chex.assert_trees_all_close(
                    value, _r_cycles(c)(steps), rtol=RTOL, atol=0.0
                )


def test_cycles_phases_breakpoints_and_settling_step():
    lr = wsd_cycles(1.0, 10, [100, 50], 0.2, rewarmup_steps=5)
    assert lr.phases() == [(10, 70, 20), (5, 35, 10)]
    assert lr.breakpoints() == (10, 80, 100, 105, 140, 150)
    assert lr.settles_at() == 150
    # Every cycle start, plateau end (decay start) and decay end; a cycle
    # without a plateau or warmup adds no mark of its own for them.
    full = wsd_cycles(1.0, 0, [25, 25], 1.0, rewarmup_steps=5)
    assert full.phases() == [(0, 0, 25), (5, 0, 20)]
    assert full.breakpoints() == (25, 30, 50)
    # The decay fraction is read as the decimal it prints as: 0.3 of 10 is 3.
    assert wsd_cycles(1.0, 0, [10], 0.3).phases() == [(0, 7, 3)]
    assert wsd_cycles(1.0, 0, [1000], 0.1).phases() == [(0, 900, 100)]
    # Levanter's example, cycles ending at [100, 200] of 300 steps.
    assert wsd_cycles(1.0, 10, [100, 100, 100], 0.2).phases()[1:] == [(0, 80, 20)] * 2


def test_cycles_hold_the_end_value_after_the_last_cycle():
    lr = wsd_cycles(1.0, 2, [10, 10], 0.5, end_value=0.25)
    eager, jitted = evaluate(lr, np.array([20, 21, 10**6, TOP]))
    np.testing.assert_array_equal(eager, np.float32(0.25))
    np.testing.assert_array_equal(jitted, np.float32(0.25))


def test_cycles_with_lengths_past_int32():
    # The second cycle, from 1.5 * 2**30, decays from 2**31 - 2**27 + 2**18 on;
    # the third never starts.
    first, second = 2**30 + 2**29, 2**29 + 2**20
    c = dict(
        peak=1.0,
        warmup=2**20,
        cycles=[first, second, 2**40],
        fraction=0.25,
        shape="cosine",
        rewarmup=2**22,
        end=0.01,
    )
    lr = _cycles(c)
    decay = first + second - second // 4
    steps = np.array(
        [
            0,
            2**19,
            first - 2**27,
            first - 1,
            first,
            first + 2**21,
            first + 2**22,
            decay - 1,
            decay,
            decay + 2**20,
            2**31 - 2**19,
            TOP,
        ],
        np.int64,
    )
    check(lr, _r_cycles(c), steps)
    assert lr.breakpoints()[:6] == (
        2**20,
        first - first // 4,
        first,
        first + 2**22,
        decay,
        first + second,
    )
    assert lr.settles_at() == first + second + 2**40


def test_cycles_sweep_over_the_peak():
    peaks = jnp.array([0.5, 1.0, 3.0])
    got = jax.jit(jax.vmap(lambda p: wsd_cycles(p, 5, [30, 20], 0.4)(STEPS)))(peaks)
    for row, p in zip(got, [0.5, 1.0, 3.0], strict=True):
        chex.assert_trees_all_close(
            row, r_wsd_cycles(p, 5, [30, 20], 0.4)(STEPS), rtol=RTOL, atol=0.0
        )
    lr = wsd_cycles(1.0, 5, [30, 20], 0.4)
    got = jax.jit(jax.vmap(lr))(jnp.asarray(STEPS))
    chex.assert_trees_all_close(got, lr(STEPS), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(cycles=[]), ValueError, r"wsd_cycles: `cycles` must be a non-empty seq"),
        (
            dict(cycles=[100, 0]),
            ValueError,
            r"`cycles\[1\]` must be a positive integer",
        ),
        (dict(cycles=100), TypeError, r"`cycles` must be a non-empty sequence"),
        (dict(cycles=[[100]]), TypeError, r"`cycles\[0\]` must be"),
        (dict(cycles=[2**62, 2**62]), ValueError, r"end by step 2\*\*63 - 1"),
        (dict(decay_fraction=0.0), ValueError, r"`decay_fraction` must be in \(0, 1\]"),
        (dict(decay_fraction=1.5), ValueError, r"`decay_fraction` must be in \(0, 1\]"),
        (
            dict(decay_fraction=0.001),
            ValueError,
            r"`decay_fraction` must be large enough.*cycles\[0\]=100",
        ),
        (
            dict(warmup_steps=100),
            ValueError,
            r"`warmup_steps` must be shorter than the cycle.*cycles\[0\]=100",
        ),
        (
            dict(rewarmup_steps=50),
            ValueError,
            r"`rewarmup_steps` must be shorter.*cycles\[1\]=50",
        ),
        (dict(decay_shape="power"), ValueError, r"`decay_shape` must be one of"),
        (dict(peak_value=float("nan")), ValueError, r"`peak_value` must be finite"),
    ],
)
def test_cycles_refuse_bad_arguments(kwargs, error, match):
    args = dict(peak_value=1.0, warmup_steps=10, cycles=[100, 50], decay_fraction=0.2)
    with pytest.raises(error, match=match):
        wsd_cycles(**(args | kwargs))


# -- stretch -------------------------------------------------------------------


class StretchVariants(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_stretch_matches_reference(self):
        cases = [
            (jd.cosine_decay(1.0, 40), r_cosine(1.0, 40), 2.5),
            (INNER, r_inner, 0.5),
            (INNER, r_inner, 1 / 3),
            (
                jd.warmup_stable_decay(1.0, 10, 20, 30, decay_shape="1-sqrt"),
                r_wsd(1.0, 10, 20, 30, "1-sqrt"),
                Fraction(7, 5),
            ),
        ]
        call = self.variant(lambda ss, t: [s(t) for s in ss])
        for steps in (STEPS, FLOAT_STEPS):
            got = call(
                [stretch(lr, factor) for lr, _, factor in cases], jnp.asarray(steps)
            )
            for value, (_, ref, factor) in zip(got, cases, strict=True):
                want = r_stretch(ref, float(factor))(steps)
                chex.assert_trees_all_close(value, want, rtol=RTOL, atol=1e-7)


def stairs_at(milestones, factor: Fraction, steps):
    """The stretched multistep's exponent: #{m : t q / p >= m}, exactly."""
    return np.array(
        [sum(Fraction(int(t)) / factor >= m for m in milestones) for t in steps]
    )


@pytest.mark.parametrize(
    "factor",
    [
        Fraction(2, 3),
        Fraction(999_983, 1_000_003),
        Fraction(1_000_003, 999_983),
        Fraction(2**30 - 1, 2**30),
        Fraction(3, 2**30),
        Fraction(2**40 + 1),
    ],
    ids=["2/3", "just_below_1", "just_above_1", "near_2**30", "tiny", "huge_whole"],
)
def test_stretch_moves_every_boundary_exactly(factor):
    # Milestones whose stretched steps ceil(m F) fall near 2**31: each step
    # one before and at them must be on the right side.
    marks = [m for m in (7, 2**20 + 1, 2**29 + 3, 2**30 - 1, 2**31 - 5)]
    inner = jd.multistep_decay(1.0, marks, 0.5)
    lr = stretch(inner, factor)
    moved = [-((-m * factor.numerator) // factor.denominator) for m in marks]
    assert lr.breakpoints() == tuple(sorted({m for m in moved if m <= 2**63 - 1}))
    steps = sorted(
        {max(s + d, 0) for s in moved if s <= TOP for d in (-1, 0, 1)} | {0, TOP}
    )
    steps = np.array([s for s in steps if s <= TOP], np.int64)
    want = 0.5 ** stairs_at(marks, factor, steps).astype(np.float64)
    eager, jitted = evaluate(lr, steps)
    np.testing.assert_array_equal(eager, want.astype(np.float32))
    np.testing.assert_array_equal(jitted, want.astype(np.float32))


def test_stretch_float_steps_past_float32():
    lr = stretch(jd.cosine_decay(1.0, 3 * 2**30), "3/2")
    # float64 steps, split on the host: their fraction survives past 2**24.
    steps = padded(np.array([0.5, 2**30 + 0.25, 2**31 - 1.5]))
    chex.assert_trees_all_close(
        lr(steps), r_stretch(r_cosine(1.0, 3 * 2**30), 1.5)(steps), rtol=RTOL
    )


def test_stretch_saturates_past_the_last_step():
    # Halving reads step 2t: from 2**30 on, past the top, it reads the top.
    inner = jd.linear(0.0, 1.0, 2**31 - 1)
    lr = stretch(inner, 0.5)
    steps = np.array([2**29, 2**30 - 1, 2**30, TOP])
    check(lr, lambda t: np.minimum(2 * t / (2**31 - 1), 1.0), steps)


def test_stretch_reads_factors_as_fractions():
    inner = jd.cosine_decay(1.0, 100)
    third = stretch(inner, 1 / 3)
    assert third == stretch(inner, "1/3") == stretch(inner, Fraction(1, 3))
    assert hash(third) == hash(stretch(inner, " 1/3 "))
    assert stretch(inner, 0.1).factor == 0.1 and stretch(inner, 2).factor == 2.0
    assert stretch(inner, np.float32(0.5)).factor == 0.5
    # A fraction no float reads back as is kept as text.
    odd = stretch(inner, Fraction(2**30 - 1, 2**30 - 3))
    assert odd.factor == f"{2**30 - 1}/{2**30 - 3}"
    assert jd.from_config(odd.to_config()) == odd
    assert stretch(inner, 2).breakpoints() == (200,)
    assert (
        stretch(inner, 0.3).breakpoints()
        == (30,)
        == (stretch(inner, 0.3).settles_at(),)
    )
    assert stretch(jd.exponential_decay(1.0, 0.5), 2).settles_at() is None


@pytest.mark.parametrize(
    "factor, error, match",
    [
        (0, ValueError, r"stretch: `factor` must be a positive rational number"),
        (-2.0, ValueError, r"`factor` must be a positive rational"),
        (float("inf"), ValueError, r"`factor` must be a positive rational"),
        (float("nan"), ValueError, r"`factor` must be a positive rational"),
        ("1/0", ValueError, r"`factor` must be .*got factor='1/0'"),
        ("fast", ValueError, r"`factor` must be .*got factor='fast'"),
        ("-1/2", ValueError, r"`factor` must be a positive rational"),
        (True, TypeError, r"`factor` must be a positive rational"),
        ([2], TypeError, r"`factor` must be a positive rational"),
        (np.array([2.0, 3.0]), TypeError, r"`factor` must be a positive rational"),
        (Fraction(2**31 + 2, 3), ValueError, r"p, q <= 2\*\*30.*it is 2147483650/3"),
        (Fraction(2, 2**31 + 1), ValueError, r"it is 2/2147483649"),
        (2**63, ValueError, r"q = 1 \(p up to 2\*\*63 - 1\)"),
    ],
)
def test_stretch_refuses_bad_factors(factor, error, match):
    with pytest.raises(error, match=match):
        stretch(INNER, factor)


# -- rebase --------------------------------------------------------------------


def r_rebase_stretch(inner, at, old, new):
    def f(t):
        t = np.asarray(t, np.float64)
        return np.where(
            t < at, inner(t), inner(at + (t - at) * (old - at) / (new - at))
        )

    return f


def r_rebase_cooldown(inner, at, new, shape="linear", end=0.0, arg=None):
    def f(t):
        t = np.asarray(t, np.float64)
        held = np.where(t < at, inner(t), inner(np.float64(at)))
        return r_cooldown(lambda _: held, at, new - at, shape, end, arg)(t)

    return f


def test_rebase_stretch_matches_reference():
    plan = jd.cosine_decay(1.0, 100)
    check(rebase(plan, 50, 150), r_rebase_stretch(r_cosine(1.0, 100), 50, 100, 150))
    check(
        rebase(plan, 50, 150),
        r_rebase_stretch(r_cosine(1.0, 100), 50, 100, 150),
        FLOAT_STEPS,
    )
    # Shorter, from a warmup-cosine, and from step 0.
    check(rebase(INNER, 60, 120), r_rebase_stretch(r_inner, 60, 150, 120))
    check(rebase(INNER, 0, 100), r_rebase_stretch(r_inner, 0, 150, 100))
    # A schedule that never settles needs old_total; the plan ends there but
    # the stretched schedule goes on past it.
    decay = jd.exponential_decay(1.0, 0.5, transition_steps=20)
    ref = lambda t: 0.5 ** (t / 20)  # noqa: E731
    check(rebase(decay, 30, 130, old_total=80), r_rebase_stretch(ref, 30, 80, 130))
    assert rebase(plan, 30, 100) is plan  # nothing to change


def test_rebase_cooldown_matches_reference():
    plan = jd.cosine_decay(1.0, 100)
    check(
        rebase(plan, 50, 150, "cooldown"),
        r_rebase_cooldown(r_cosine(1.0, 100), 50, 150),
    )
    lr = rebase(INNER, 70, 110, "cooldown", shape="exp", ratio=0.05, end_value=0.01)
    check(lr, r_rebase_cooldown(r_inner, 70, 110, "exp", 0.01, 0.05))
    check(lr, r_rebase_cooldown(r_inner, 70, 110, "exp", 0.01, 0.05), FLOAT_STEPS)
    lr = rebase(INNER, 0, 50, "cooldown", shape="power", power=2.0)
    check(lr, r_rebase_cooldown(r_inner, 0, 50, "power", 0.0, 2.0))
    assert lr.settles_at() == 50


def test_rebase_is_an_ordinary_schedule():
    for lr in (
        rebase(INNER, 60, 200),
        rebase(INNER, 60, 200, "cooldown", shape="cosine"),
    ):
        assert jd.from_config(lr.to_config()) == lr
        assert jd.parse(repr(lr)) == lr
        assert lr.breakpoints()[:2] == (10, 60)
        assert lr.settles_at() == 200
        got = jax.jit(jax.vmap(lr))(jnp.asarray(STEPS))
        chex.assert_trees_all_close(got, lr(STEPS), rtol=1e-6)
    assert isinstance(rebase(INNER, 60, 200), jd.join)
    assert isinstance(rebase(INNER, 60, 200, "cooldown"), cooldown)


def test_rebase_past_int32():
    # Planned for 3 * 2**30 steps, resumed at 2**30 to end at 2**31 + 2**30:
    # the last step reads the plan near 2**31 + 2**29.
    at, old, new = 2**30, 3 * 2**30, 2**31 + 2**30
    plan = jd.cosine_decay(1.0, old)
    steps = np.array([0, at - 1, at, at + 12345, 2**31 - 2**20, TOP], np.int64)
    check(
        rebase(plan, at, new), r_rebase_stretch(r_cosine(1.0, old), at, old, new), steps
    )
    check(
        rebase(plan, at, new, "cooldown", shape="1-sqrt"),
        r_rebase_cooldown(r_cosine(1.0, old), at, new, "1-sqrt"),
        steps,
    )


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((100, 100), {}, ValueError, r"rebase: `at_step` must be below new_total=100"),
        ((120, 100), {}, ValueError, r"rebase: `at_step` must be below new_total"),
        ((150, 200), {}, ValueError, r"`at_step` must be below old_total=150"),
        (
            (10, 20),
            dict(old_total=5),
            ValueError,
            r"`at_step` must be below old_total=5",
        ),
        (
            (-1, 20),
            {},
            ValueError,
            r"rebase: `at_step` must be a whole number of steps >= 0",
        ),
        ((10, "20%"), {}, TypeError, r"`new_total` must be a whole number.*durations"),
        ((10, 20), dict(policy="restart"), ValueError, r"`policy` must be one of"),
        (
            (10, 20),
            dict(shape="cosine"),
            ValueError,
            r"`shape` must be None unless policy='cooldown'",
        ),
        ((10, 20), dict(end_value=0.1), ValueError, r"`end_value` must be None unless"),
        (
            (10, 20),
            dict(policy="cooldown", old_total=150),
            ValueError,
            r"`old_total` must be None unless policy='stretch'",
        ),
        (
            (10, 20),
            dict(policy="cooldown", shape="power"),
            ValueError,
            r"rebase: `power` must be given with shape='power'",
        ),
        (
            (10, 20),
            dict(policy="cooldown", ratio=0.5),
            ValueError,
            r"rebase: `ratio` must be None unless shape='exp'",
        ),
        (
            (10, 2**31 + 13),
            dict(old_total=2**31 + 11),
            ValueError,
            r"`new_total` must be such that the stretch.*got 2147483651/2147483649",
        ),
    ],
)
def test_rebase_refuses_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        rebase(INNER, *args, **kwargs)


def test_rebase_needs_old_total_for_a_schedule_that_never_settles():
    with pytest.raises(
        ValueError,
        match=r"rebase: `old_total` must be given: the "
        "schedule never settles",
    ):
        rebase(jd.exponential_decay(1.0, 0.9), 10, 20)


# -- the graph stays flat ------------------------------------------------------


def equations(schedule):
    return len(jax.make_jaxpr(schedule)(jnp.int32(1)).eqns)


def test_every_new_schedule_round_trips_through_its_config_and_repr():
    values = [
        cooldown(INNER, 40, 70, "power", end_value=0.1, power=2.0),
        cooldown(jd.constant(1.0), 2**40, 2**62, "exp", ratio=0.05),
        wsd_cycles(1.0, 10, [100, 50, 70], 0.2, "cosine", 5, 0.01),
        wsd_cycles(1.0, 0, np.array([2**40, 3]), 1.0),
        stretch(INNER, 1 / 3),
        stretch(INNER, Fraction(2**30 - 1, 2**30 - 3)),
        stretch(INNER, 2**50),
        rebase(INNER, 60, 200),
        rebase(INNER, 60, 200, "cooldown", shape="exp", ratio=0.5, end_value=0.01),
    ]
    for value in values:
        config = value.to_config()
        assert jd.from_config(config) == value, config
        assert jd.parse(repr(value)) == value, repr(value)
        assert pickle.loads(pickle.dumps(value)) == value
        assert hash(jd.from_config(config)) == hash(value)
    assert values[0] != cooldown(INNER, 40, 70, "power", end_value=0.1, power=3.0)


def test_the_graph_does_not_grow_with_cycles_or_a_cooldown():
    """Equations of the jaxpr: a 10-cycle WSD-S costs about one WSD (a join
    evaluates each kind of piece once), 1000 cycles as many as 10, and a
    cooldown or a resume adds a bounded number."""

    def cycles(n):
        return wsd_cycles(
            1.0, 10, [100 + 7 * (i % 5) for i in range(n)], 0.2, rewarmup_steps=5
        )

    ten, thousand = equations(cycles(10)), equations(cycles(1000))
    assert ten == thousand, (ten, thousand)
    one = equations(jd.warmup_stable_decay(1.0, 10, 80, 10, decay_shape="1-sqrt"))
    assert ten <= one + 16, (ten, one)
    wsd = jd.warmup_stable_decay(1.0, 10, 80, 10)
    for shape, extra in (
        ("cosine", {}),
        ("power", {"power": 2.0}),
        ("exp", {"ratio": 0.1}),
    ):
        cooled = equations(cooldown(wsd, 50, 30, shape, **extra))
        assert cooled <= equations(wsd) + 40, (shape, cooled, equations(wsd))
    assert equations(cooldown(cycles(1000), 500, 30)) <= thousand + 40
    for policy in ("stretch", "cooldown"):
        small = equations(rebase(cycles(10), 500, 2000, policy))
        large = equations(rebase(cycles(1000), 500, 200_000, policy))
        assert large == small, (policy, small, large)


def test_ratio_steps_is_exact_for_random_steps():
    rng = np.random.default_rng(1)
    steps = np.concatenate([np.arange(30), rng.integers(0, TOP, N - 31), [TOP]])
    for p, q in [(3, 2), (2**30 - 1, 2**30), (999_983, 1_000_003), (1, 7), (2**40, 1)]:
        whole, frac = num.ratio_steps(jnp.asarray(steps, jnp.int32), None, p, q)
        exact = [Fraction(int(t) * q, p) for t in steps]
        want = np.array([min(math.floor(x), TOP) for x in exact])
        np.testing.assert_array_equal(np.asarray(whole), want)
        rest = np.array([float(x - math.floor(x)) if x < TOP else 0.0 for x in exact])
        got = np.zeros_like(rest) if frac is None else np.asarray(frac, np.float64)
        chex.assert_trees_all_close(got, rest, atol=2e-7, rtol=0)


def test_runs_with_64_bit_steps():
    """With ``jax.enable_x64``: int64 steps past 2**31 are exact, values
    float64 (against the float64 references at ``rtol=1e-12``)."""
    far = np.array(
        [2**31 + 1, 2**40 + 2**38, 2**41 - 3, 2**44, 2**45 + 2**43], np.int64
    )
    with jax.enable_x64(True):
        lr = cooldown(jd.constant(1.0), 2**40, 2**42, "exp", ratio=0.2, end_value=0.1)
        ref = r_cooldown(lambda t: np.ones_like(t), 2**40, 2**42, "exp", 0.1, 0.2)
        got = jax.jit(lambda s, t: s(t))(lr, jnp.asarray(far))
        assert got.dtype == jnp.float64
        chex.assert_trees_all_close(got, ref(far.astype(np.float64)), rtol=1e-12)
        c = dict(
            peak=1.0,
            warmup=2**20,
            cycles=[2**40, 2**42],
            fraction=0.5,
            shape="1-sqrt",
            rewarmup=2**30,
            end=0.05,
        )
        got = jax.jit(lambda s, t: s(t))(_cycles(c), jnp.asarray(far))
        chex.assert_trees_all_close(got, _r_cycles(c)(far), rtol=1e-12)
        # Stairs moved by a fraction, exact at int64 steps.
        factor = Fraction(999_983, 1_000_003)
        marks = [2**40 + 1, 2**44 + 7]
        moved = [-((-m * factor.numerator) // factor.denominator) for m in marks]
        steps = np.array([s + d for s in moved for d in (-1, 0)], np.int64)
        lr = stretch(jd.multistep_decay(1.0, marks, 0.5), factor)
        want = 0.5 ** stairs_at(marks, factor, steps).astype(np.float64)
        np.testing.assert_array_equal(
            jax.jit(lambda s, t: s(t))(lr, jnp.asarray(steps)), want
        )
        # jitted: one program (eager, every int64 operation compiles anew)
        whole = jax.jit(lambda t: num.ratio_steps(t, None, 2**62 + 1, 1)[0])(far)
        np.testing.assert_array_equal(whole, far // (2**62 + 1))


def test_a_stretch_factor_with_a_huge_exponent_is_refused_at_once():
    for text in ("1e-5000", "1e10000000"):
        with pytest.raises(ValueError, match="stretch: `factor` must be.*exponents"):
            jd.stretch(jd.constant(1.0), text)
    with pytest.raises(ValueError, match="exponents from -30 to 30"):
        jd.parse("stretch(constant(1.0), '1e10000000')")
    assert jd.stretch(jd.constant(1.0), "1e2").factor == 100
