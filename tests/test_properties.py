"""Property tests (hypothesis) over valid parameters, family by family: values
are finite, stay within the configured bounds, are monotone where the schedule
promises it, continuous at joins where it promises it; tables give table
values; join, staircase, repeat and shift follow their definitions.

Tolerances: float32 values against float64 bounds at ``2e-6`` relative to the
schedule's scale (parameters are rounded to float32); monotonicity allows
the same slack between neighbouring steps.  Schedules are evaluated by one
jitted function taking the schedule as an argument, at integer steps padded to
one length and (when a test asks) at up to eight float steps in the same call,
so that schedules of one structure share a compiled program (hypothesis varies
mostly numbers).
"""

from __future__ import annotations

import math

import jax
import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import jaxdecay as jd

# Derandomized (the same examples every run) and without shrinking, so that a
# failure costs no more time than a pass; the failing example is printed.
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
REL = 2e-6

STEPS = np.arange(0, 320, dtype=np.int32)
FAR = np.array([1_000, 100_000, 2**24 + 1, 2**31 - 1], np.int32)
ALL_STEPS = np.r_[STEPS, FAR]


N_POINTS = 8  # float steps per evaluation


@jax.jit
def _evaluate(schedule, steps, points):
    return schedule(steps), None if points is None else schedule(points)


def values_and_points(schedule, points=None, steps=ALL_STEPS):
    """Values at the int32 ``steps`` (at most ``ALL_STEPS``'s length, padded to
    it) and, when ``points`` is given, at those float32 steps (at most
    ``N_POINTS``, padded): one compiled program per structure of schedule and
    kind of call, whatever the number of steps."""
    steps = np.asarray(steps, np.int32)
    assert steps.ndim == 1 and steps.size <= ALL_STEPS.size, steps.shape
    padded = np.zeros(ALL_STEPS.size, np.int32)
    padded[: steps.size] = steps
    floats = None
    if points is not None:
        assert len(points) <= N_POINTS, points
        floats = np.zeros(N_POINTS, np.float32)
        floats[: len(points)] = points
        floats = jax.device_put(floats)
    v, p = _evaluate(schedule, jax.device_put(padded), floats)
    assert v.shape == padded.shape, v.shape
    if points is None:
        return np.asarray(v, np.float64)[: steps.size], None
    assert p.shape == floats.shape, p.shape
    return (
        np.asarray(v, np.float64)[: steps.size],
        np.asarray(p, np.float64)[: len(points)],
    )


def values(schedule, steps=ALL_STEPS):
    """Values at int steps."""
    return values_and_points(schedule, steps=steps)[0]


def check_finite_within(v, lo, hi):
    assert np.all(np.isfinite(v)), v
    tol = REL * max(abs(lo), abs(hi), 1e-30)
    assert np.all(v >= lo - tol), (v.min(), lo)
    assert np.all(v <= hi + tol), (v.max(), hi)


def check_non_increasing(v, scale):
    d = np.diff(v)
    assert np.all(d <= REL * scale), (np.argmax(d), d.max())


def check_non_decreasing(v, scale):
    d = np.diff(v)
    assert np.all(d >= -REL * scale), (np.argmin(d), d.min())


# ---------------------------------------------------------------------------
# Strategies.

values_ = st.floats(1e-4, 10.0, allow_nan=False, allow_infinity=False)
fractions = st.floats(0.0, 0.99, allow_nan=False)
lengths = st.integers(1, 120)
begins = st.integers(0, 60)
real_lengths = st.one_of(lengths, st.floats(0.5, 120.0, allow_nan=False))


# ---------------------------------------------------------------------------
# Decays: finite, within [end, init], non-increasing.


@SETTINGS
@given(
    init=values_,
    rate=st.floats(0.0, 0.5),
    stair=st.booleans(),
    length=lengths,
    real_length=real_lengths,
    end=fractions,
)
def test_linear_decay(init, rate, stair, length, real_length, end):
    s = jd.linear_decay(
        init,
        rate,
        transition_steps=length if stair else real_length,
        staircase=stair,
        end_value=init * end,
    )
    v = values(s)
    check_finite_within(v, init * end, init)
    check_non_increasing(v, init)


@SETTINGS
@given(
    init=values_,
    rate=st.floats(0.05, 1.0),
    stair=st.booleans(),
    length=lengths,
    real_length=real_lengths,
    begin=begins,
    end=st.one_of(st.none(), fractions),
)
def test_exponential_decay(init, rate, stair, length, real_length, begin, end):
    end_value = None if end is None else init * end
    s = jd.exponential_decay(
        init,
        rate,
        transition_steps=length if stair else real_length,
        staircase=stair,
        transition_begin=begin,
        end_value=end_value,
    )
    v = values(s)
    check_finite_within(v, end_value or 0.0, init)
    check_non_increasing(v, init)
    # held at init_value until transition_begin
    np.testing.assert_allclose(v[: begin + 1], init, rtol=REL)


@SETTINGS
@given(init=values_, rate=st.floats(1.0, 1.5), length=lengths, cap=st.floats(1.0, 50.0))
def test_exponential_growth_stops_at_end_value(init, rate, length, cap):
    s = jd.exponential_decay(init, rate, transition_steps=length, end_value=init * cap)
    v = values(s)
    check_finite_within(v, init, init * cap)
    check_non_decreasing(v, init * cap)


@SETTINGS
@given(init=values_, rate=st.floats(0.0, 2.0), stair=st.booleans(), length=lengths)
def test_natural_exp_and_inverse_time_decay(init, rate, stair, length):
    for s in (
        jd.natural_exp_decay(init, rate, length, staircase=stair),
        jd.inverse_time_decay(init, rate, length, staircase=stair),
    ):
        v = values(s)
        check_finite_within(v, 0.0, init)
        check_non_increasing(v, init)


@SETTINGS
@given(init=values_, length=real_lengths)
def test_inverse_sqrt_decay(init, length):
    v = values(jd.inverse_sqrt_decay(init, length))
    check_finite_within(v, 0.0, init)
    check_non_increasing(v, init)
    held = STEPS[STEPS <= length]
    np.testing.assert_allclose(v[: len(held)], init, rtol=REL)


@SETTINGS
@given(
    init=values_,
    size=lengths,
    gamma=st.floats(0.01, 1.0),
    milestones=st.lists(st.integers(0, 300), max_size=5).map(sorted),
)
def test_step_and_multistep_decay(init, size, gamma, milestones):
    for s in (
        jd.step_decay(init, size, gamma),
        jd.multistep_decay(init, milestones, gamma),
    ):
        v = values(s)
        check_finite_within(v, 0.0, init)
        check_non_increasing(v, init)
    # a milestone listed k times applies gamma**k
    v = values(jd.multistep_decay(init, milestones, gamma), STEPS)
    want = init * gamma ** np.searchsorted(milestones, STEPS, side="right")
    np.testing.assert_allclose(v, want, rtol=4e-6, atol=1e-30)


@SETTINGS
@given(
    init=values_, end=fractions, length=lengths, power=st.floats(0.1, 5.0), begin=begins
)
def test_polynomial_decay(init, end, length, power, begin):
    s = jd.polynomial_decay(
        init, init * end, length, power=power, transition_begin=begin
    )
    v = values(s)
    check_finite_within(v, init * end, init)
    check_non_increasing(v, init)
    # held before transition_begin, at end_value from begin + length on
    np.testing.assert_allclose(v[: begin + 1], init, rtol=REL)
    np.testing.assert_allclose(
        v[begin + length :], init * end, rtol=REL, atol=REL * init
    )


@SETTINGS
@given(init=values_, end=fractions, length=lengths, power=st.floats(0.1, 5.0))
def test_polynomial_decay_cycle_stays_within_bounds(init, end, length, power):
    s = jd.polynomial_decay(init, init * end, length, power=power, cycle=True)
    v = values(s)
    check_finite_within(v, init * end, init)
    # within the first period it is the plain decay
    plain = values(jd.polynomial_decay(init, init * end, length, power=power), STEPS)
    np.testing.assert_allclose(
        v[: length + 1], plain[: length + 1], rtol=REL, atol=REL * init
    )


@SETTINGS
@given(init=values_, end=fractions, length=lengths, exponent=st.floats(0.1, 4.0))
def test_cosine_decay(init, end, length, exponent):
    s = jd.cosine_decay(init, length, end_value=init * end, exponent=exponent)
    eps = 2.0**-12
    v, (before_end,) = values_and_points(s, [length - eps])
    check_finite_within(v, init * end, init)
    check_non_increasing(v, init)
    np.testing.assert_allclose(v[length:], init * end, rtol=REL, atol=REL * init)
    # continuous at the end of the decay (float steps just before it): the
    # cosine factor there is about (pi eps / 2T)**2, raised to the exponent
    slack = init * (1 - end) * ((math.pi * eps / (2 * length)) ** 2) ** exponent
    np.testing.assert_allclose(
        before_end, init * end, rtol=0, atol=2 * slack + 4 * REL * init
    )


@SETTINGS
@given(a=values_, b=values_, length=lengths, begin=begins)
def test_linear_is_monotone_between_its_ends(a, b, length, begin):
    s = jd.linear(a, b, length, transition_begin=begin)
    ends = (begin, begin + length)  # integer steps, within STEPS
    v, before = values_and_points(s, [t - 2.0**-12 for t in ends])
    check_finite_within(v, min(a, b), max(a, b))
    (check_non_increasing if a >= b else check_non_decreasing)(v, max(a, b))
    np.testing.assert_allclose(v[: begin + 1], a, rtol=REL)
    np.testing.assert_allclose(v[begin + length :], b, rtol=REL)
    # continuous at both ends
    for t, value_before in zip(ends, before, strict=True):
        np.testing.assert_allclose(
            value_before,
            v[t],
            rtol=0,
            atol=abs(b - a) / length * 2.0**-11 + REL * max(a, b),
        )


def _constant_factor(t):
    return np.full(np.shape(t), 0.97)


def _power_factor(t):
    return 0.99 ** np.sqrt(np.asarray(t, np.float64))


def _inverse_factor(t):
    return 1.0 / (1.0 + 0.01 * np.asarray(t, np.float64))


@SETTINGS  # (the factor and the horizon are static: a few of each)
@given(
    init=values_,
    factor=st.sampled_from([_constant_factor, _power_factor, _inverse_factor]),
    horizon=st.sampled_from([1, 37, 150, 400]),
)
def test_recurrence_with_factors_at_most_one_decays(init, factor, horizon):
    s = jd.recurrence(init, factor, horizon)
    v = values(s)
    check_finite_within(v, 0.0, init)
    check_non_increasing(v, init)
    # holds its last value past the horizon
    last, after = values(s, [horizon, horizon + 1])
    np.testing.assert_allclose(v[STEPS.size :], last, rtol=REL)
    np.testing.assert_allclose(after, last, rtol=REL)


# ---------------------------------------------------------------------------
# Warmups and presets: non-decreasing while warming up, bounded, continuous at
# their phase changes.


@SETTINGS
@given(
    peak=values_,
    init=fractions,
    end=fractions,
    warm=st.integers(1, 60),
    extra=st.integers(1, 120),
    exponent=st.floats(0.5, 3.0),
)
def test_warmup_cosine_decay(peak, init, end, warm, extra, exponent):
    s = jd.warmup_cosine_decay(
        peak,
        warm,
        warm + extra,
        init_value=peak * init,
        end_value=peak * end,
        exponent=exponent,
    )
    v, near_warm = values_and_points(s, [warm - 2.0**-12, warm + 2.0**-12])
    check_finite_within(v, min(peak * init, peak * end), peak)
    check_non_decreasing(v[: warm + 1], peak)
    check_non_increasing(v[warm:], peak)
    np.testing.assert_allclose(v[warm], peak, rtol=REL)
    np.testing.assert_allclose(v[warm + extra :], peak * end, rtol=REL, atol=REL * peak)
    # continuous at the end of the warmup, from both sides
    slope = peak * (1 - init) / warm
    for value in near_warm:
        np.testing.assert_allclose(
            value, peak, rtol=0, atol=2 * slope * 2.0**-12 + 4 * REL * peak
        )


@SETTINGS
@given(
    peak=values_,
    init=fractions,
    end=fractions,
    warm=st.integers(0, 40),
    stable=st.integers(0, 60),
    decay=st.integers(1, 120),
    shape=st.sampled_from(["linear", "cosine", "1-sqrt", "1-square"]),
)
def test_warmup_stable_decay(peak, init, end, warm, stable, decay, shape):
    s = jd.warmup_stable_decay(
        peak,
        warm,
        stable,
        decay,
        init_value=peak * init,
        end_value=peak * end,
        decay_shape=shape,
    )
    # every phase change (integer steps, within STEPS) and the float steps
    # just before and after it
    eps = 2.0**-12
    changes = [t for t in (warm, warm + stable, warm + stable + decay) if t != 0]
    v, near = values_and_points(s, [u for t in changes for u in (t - eps, t + eps)])
    lo = min(peak * init, peak * end) if warm else peak * end
    check_finite_within(v, lo, peak)
    check_non_decreasing(v[: warm + 1], peak)
    np.testing.assert_allclose(v[warm : warm + stable + 1], peak, rtol=REL)
    check_non_increasing(v[warm + stable :], peak)
    np.testing.assert_allclose(
        v[warm + stable + decay :], peak * end, rtol=REL, atol=REL * peak
    )
    # continuous at every phase change (the 1-sqrt shape has an infinite slope
    # at the start of the decay: sqrt(2**-12 / decay) of the drop)
    drop = peak * (1 - end)
    # how far each phase moves within eps of its ends (phases may coincide)
    slack = (
        peak * (1 - init) / max(warm, 1) * eps
        + drop * math.sqrt(eps / decay)
        + 2 * drop * eps / decay
    )
    for i, t in enumerate(changes):
        for value in near[2 * i : 2 * i + 2]:
            np.testing.assert_allclose(
                value, v[t], rtol=0, atol=2 * slack + 4 * REL * peak
            )


@SETTINGS
@given(peak=values_, warm=st.integers(0, 50), init=fractions, rate=st.floats(0.5, 1.0))
def test_warmup_rises_to_the_schedule_then_follows_it(peak, warm, init, rate):
    inner = jd.exponential_decay(peak, rate, transition_steps=7)
    s = jd.warmup(inner, warm, init_value=peak * init)
    v = values(s, STEPS)
    check_non_decreasing(v[: warm + 1], peak)
    np.testing.assert_allclose(v[warm:], values(inner, STEPS - warm)[warm:], rtol=REL)
    check_finite_within(values(s), 0.0, peak)


# ---------------------------------------------------------------------------
# Cycles.


@SETTINGS
@given(
    peak=values_,
    total=st.integers(2, 300),
    pct=st.floats(0.05, 0.5),
    div=st.floats(1.0, 100.0),
    final=st.floats(1.0, 1e4),
    anneal=st.sampled_from(["cos", "linear"]),
    three=st.booleans(),
)
def test_one_cycle(peak, total, pct, div, final, anneal, three):
    s = jd.one_cycle(
        peak,
        total,
        pct_start=pct,
        div_factor=div,
        final_div_factor=final,
        anneal=anneal,
        three_phase=three,
    )
    low = peak / div / final
    up_end = pct * total - 1
    # the (possibly fractional) end of every phase
    ends = (
        [up_end, 2 * pct * total - 2, total - 1.0] if three else [up_end, total - 1.0]
    )
    eps = 2.0**-12
    ends = [e for e in ends if e - eps > 0]
    v, near = values_and_points(s, [u for e in ends for u in (e - eps, e + eps)])
    check_finite_within(v, low, peak)
    rising = STEPS[STEPS <= up_end]
    check_non_decreasing(v[: rising.size], peak)
    if not three:
        # The peak is at step pct * total - 1; when that is fractional, the last
        # rising step lies below it and the fall starts at the next step.
        first = rising.size - 1 if float(up_end).is_integer() else rising.size
        check_non_increasing(v[max(first, 0) :], peak)
    np.testing.assert_allclose(v[STEPS.size :], low, rtol=1e-5)
    # continuous at the end of every phase
    for i, e in enumerate(ends):
        np.testing.assert_allclose(
            near[2 * i],
            near[2 * i + 1],
            rtol=0,
            atol=peak * 8 * eps + 4 * REL * peak,
            err_msg=f"at the phase end {e}",
        )


@SETTINGS
@given(
    base=values_,
    span=values_,
    up=st.integers(1, 40),
    down=st.integers(1, 40),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
)
def test_cyclic(base, span, up, down, mode, gamma):
    top = base + span
    s = jd.cyclic(base, top, up, down, mode=mode, gamma=gamma)
    v = values(s)
    check_finite_within(v, base, top)
    period = up + down
    np.testing.assert_allclose(v[0], base, rtol=REL)
    np.testing.assert_allclose(
        v[up], top if mode != "exp_range" else base + span * gamma**up, rtol=4 * REL
    )
    if mode == "triangular":  # periodic
        np.testing.assert_allclose(
            v[period : STEPS.size],
            v[: STEPS.size - period],
            rtol=4 * REL,
            atol=REL * top,
        )
    if mode != "exp_range":  # (exp_range's amplitude shrinks while it rises)
        # rising then falling within the first cycle
        check_non_decreasing(v[: up + 1], top)
        check_non_increasing(v[up : period + 1], top)


@SETTINGS  # (first_period and period_mult are static: a few values only)
@given(
    init=values_,
    end=fractions,
    first=st.sampled_from([1, 7, 27, 60]),
    mult=st.sampled_from([1.0, 1.5, 2.0]),
    vmult=st.floats(0.2, 1.0),
)
def test_cosine_restarts(init, end, first, mult, vmult):
    s = jd.cosine_restarts(
        init, first, period_mult=mult, value_mult=vmult, end_value=init * end
    )
    starts = [0.0]
    while starts[-1] < STEPS.size:
        starts.append(starts[-1] + first * mult ** (len(starts) - 1))
    eps = 2.0**-12
    restarts = range(min(len(starts) - 1, 4))  # the first restarts
    # just before each restart, and at it (float steps)
    v, near = values_and_points(
        s, [u for k in restarts for u in (starts[k + 1] - eps, starts[k + 1])]
    )
    check_finite_within(v, init * end, init)
    for k in restarts:
        a, b = starts[k], starts[k + 1]
        inside = STEPS[(STEPS >= a) & (STEPS < b)]
        check_non_increasing(v[inside], init)  # decays within each cycle
        peak_k = init * end + init * (1 - end) * vmult**k
        if a == int(a):  # (tiny amplitudes may flush to zero in float32)
            np.testing.assert_allclose(v[int(a)], peak_k, rtol=4 * REL, atol=1e-30)
        # just before a restart: at the end value (a jump on purpose follows)
        length = b - a
        np.testing.assert_allclose(
            near[2 * k],
            init * end,
            rtol=0,
            atol=init * (math.pi * eps / length) ** 2 + 4 * REL * init,
        )
        np.testing.assert_allclose(
            near[2 * k + 1],
            init * end + init * (1 - end) * vmult ** (k + 1),
            rtol=8 * REL,
            atol=1e-30,
        )


# ---------------------------------------------------------------------------
# Tables.


@st.composite
def tables(draw, min_size=0):
    n = draw(st.integers(min_size, 6))
    bounds = sorted(draw(st.lists(st.integers(0, 300), min_size=n, max_size=n)))
    vals = draw(st.lists(st.floats(-10.0, 10.0), min_size=n + 1, max_size=n + 1))
    return bounds, vals


@SETTINGS
@given(table=tables())
def test_piecewise_constant_gives_table_values(table):
    bounds, vals = table
    v = values(jd.piecewise_constant(bounds, vals))
    table32 = np.asarray(vals, np.float32).astype(np.float64)
    assert np.all(np.isin(v, table32)), set(v) - set(table32)
    want = table32[np.searchsorted(bounds, ALL_STEPS, side="right")]
    np.testing.assert_array_equal(v, want)


@SETTINGS
@given(table=tables(min_size=0))
def test_piecewise_linear_stays_within_its_points(table):
    bounds, vals = table
    vals = vals[: len(bounds) or 1]
    bounds = bounds or [0]
    s = jd.piecewise_linear(bounds, vals)
    v = values(s)
    check_finite_within(v, min(vals), max(vals))
    # at each point (the later value where a boundary repeats)
    for i, b in enumerate(bounds):
        if i + 1 < len(bounds) and bounds[i + 1] == b:
            continue
        np.testing.assert_allclose(v[b], vals[i], rtol=REL, atol=REL * 10)


# ---------------------------------------------------------------------------
# Composition follows its definition.

pieces = st.one_of(
    st.builds(lambda a, b, n: jd.linear(a, b, n), values_, values_, lengths),
    st.builds(
        lambda a, n, e: jd.cosine_decay(a, n, end_value=a * e),
        values_,
        lengths,
        fractions,
    ),
    st.builds(jd.constant, values_),
    st.builds(
        lambda a, r: jd.exponential_decay(a, r, transition_steps=5),
        values_,
        st.floats(0.5, 1.0),
    ),
)


@settings(SETTINGS, max_examples=12)
@given(
    parts=st.lists(pieces, min_size=1, max_size=4),
    cuts=st.lists(st.integers(0, 250), min_size=3, max_size=3),
)
def test_join_equals_the_piecewise_definition(parts, cuts):
    bounds = sorted(cuts)[: len(parts) - 1]
    s = jd.join(parts, bounds)
    v = values(s, STEPS)
    starts = [0, *bounds]
    index = np.searchsorted(bounds, STEPS, side="right")
    want = np.empty(STEPS.size)
    for i, part in enumerate(parts):
        sel = index == i
        want[sel] = values(part, STEPS - starts[i])[sel]
    np.testing.assert_allclose(v, want, rtol=REL, atol=1e-30)
    assert np.all(np.isfinite(values(s)))


@SETTINGS
@given(a=values_, b=values_, c=fractions, warm=lengths, decay=lengths)
def test_join_of_linear_into_cosine_is_continuous(a, b, c, warm, decay):
    s = jd.join(
        [jd.linear(a, b, warm), jd.cosine_decay(b, decay, end_value=b * c)], [warm]
    )
    eps = 2.0**-12
    (at_warm,), (before, after) = values_and_points(
        s, [warm - eps, warm + eps], steps=[warm]
    )
    np.testing.assert_allclose(at_warm, b, rtol=REL)
    np.testing.assert_allclose(
        before,
        b,
        rtol=0,
        atol=abs(b - a) / warm * 2 * eps + 4 * REL * max(a, b),
    )
    np.testing.assert_allclose(after, b, rtol=0, atol=4 * REL * b + b * eps)


@SETTINGS
@given(inner=pieces, every=st.integers(1, 50))
def test_staircase_is_constant_within_each_stair(inner, every):
    s = jd.staircase(inner, every)
    v = values(s, STEPS)
    stair_start = (STEPS // every) * every
    np.testing.assert_array_equal(v, v[stair_start])
    np.testing.assert_allclose(v, values(inner, stair_start), rtol=REL)


@SETTINGS
@given(inner=pieces, period=st.integers(1, 100))
def test_repeat_is_periodic(inner, period):
    s = jd.repeat(inner, period)
    v = values(s, STEPS)
    np.testing.assert_allclose(v[period:], v[:-period], rtol=REL)
    np.testing.assert_allclose(v, values(inner, STEPS % period), rtol=REL)


@SETTINGS
@given(inner=pieces, k=st.integers(-100, 100))
def test_shift_delays(inner, k):
    s = jd.shift(inner, k)
    v = values(s, STEPS)
    np.testing.assert_allclose(v, values(inner, np.maximum(STEPS - k, 0)), rtol=REL)
    if k > 0:
        np.testing.assert_allclose(v[: k + 1], values(inner, [0])[0], rtol=REL)


@settings(SETTINGS, max_examples=10)
@given(a=pieces, b=pieces, x=st.floats(0.1, 10.0))
def test_arithmetic_is_pointwise(a, b, x):
    x = float(np.float32(x))  # the number as the schedule holds it in float32
    combined = {
        "a + b": a + b,
        "a - b": a - b,
        "a * b": a * b,
        "a / b": a / b,
        "x * a": x * a,
        "a / x": a / x,
        "x - a": x - a,
        "-a": -a,
    }
    va, vb = values(a, STEPS), values(b, STEPS)
    wants = [va + vb, va - vb, va * vb, va / vb, x * va, va / x, x - va, -va]
    # (each operand carries its own float32 rounding, so differences of nearly
    # equal operands are compared at the operands' scale)
    unit = max(float(np.max(np.abs(va))), float(np.max(np.abs(vb))), x)
    # (one program per combination: a program holding them all compiles slower)
    for (name, s), want in zip(combined.items(), wants, strict=True):
        scale = max(unit, float(np.max(np.abs(want))))
        np.testing.assert_allclose(
            values(s, STEPS), want, rtol=4 * REL, atol=4 * REL * scale, err_msg=name
        )


@SETTINGS
@given(inner=pieces, lo=st.floats(0.0, 5.0), width=st.floats(0.0, 5.0))
def test_clip_stays_within_its_bounds(inner, lo, width):
    s = jd.clip(inner, min_value=lo, max_value=lo + width)
    v = values(s)
    check_finite_within(v, lo, lo + width)
    np.testing.assert_allclose(
        v, np.clip(values(inner), np.float32(lo), np.float32(lo + width)), rtol=REL
    )
