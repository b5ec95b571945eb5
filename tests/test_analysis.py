"""Analysis of a run's rates: area (S1), annealing_area (S2), scale_lr.

References: the area's closed forms against brute-force float64 sums of the
schedule's own values computed with ``jax_enable_x64`` (float64 rates), at
``rtol=1e-11`` of the sum of the rates' magnitudes (the closed forms and the
sums each keep ~1e-13); the evaluated (no closed form) areas against float64
sums of the schedule's own jitted float32 values, to 1e-12 (the same numbers,
added in another order).  S2 against the paper's recurrence run step by step
in float64 over the same values, to 1e-11 of its largest magnitude; scale_lr
against its formula in float64 (exactly for numbers, to 1e-6 for float32
schedule values).
"""

from __future__ import annotations

import math
import re
import time

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdecay as jd
import jaxdecay._design.analysis as analysis
from jaxdecay._design.analysis import annealing_area, area, scale_lr

N = 100_000
STEPS = np.asarray(
    [0, 1, 2, 99, 100, 101, 999, 1000, 1001, 4321, 7000, 8099, 12000, 13199, 54321, N]
)

# Every closed form the area knows, and the compositions it splits.
CLOSED = {
    "constant": jd.constant(0.3),
    "linear": jd.linear(0.0, 1.0, 1000, transition_begin=500),
    "linear_decay": jd.linear_decay(0.1, 0.5, transition_steps=3000.5),
    "linear_decay_floor": jd.linear_decay(-0.1, 0.5, 3000, end_value=-0.07),
    "linear_decay_stairs": jd.linear_decay(
        0.1, 0.5, 3000, staircase=True, end_value=0.01
    ),
    "exponential": jd.exponential_decay(0.1, 0.5, 1000.0),
    "exponential_stairs": jd.exponential_decay(
        0.1, 0.5, 1000, staircase=True, transition_begin=300, end_value=0.02
    ),
    "exponential_growth": jd.exponential_decay(
        0.1, 1.5, 7000, transition_begin=300, end_value=0.2
    ),
    "natural_exp": jd.natural_exp_decay(0.1, 0.3, 900),
    "natural_exp_stairs": jd.natural_exp_decay(0.1, 0.3, 900, staircase=True),
    "inverse_time": jd.inverse_time_decay(0.1, 0.3, 90.0),
    "inverse_time_stairs": jd.inverse_time_decay(0.1, 0.3, 90, staircase=True),
    "inverse_sqrt": jd.inverse_sqrt_decay(0.1, 400.5),
    "step": jd.step_decay(0.1, 1000, 0.7),
    "multistep": jd.multistep_decay(0.1, [100, 100, 5000, 9000], 0.3),
    "polynomial": jd.polynomial_decay(0.1, 0.01, 10000, power=2.5, transition_begin=9),
    "polynomial_linear": jd.polynomial_decay(0.1, 0.01, 10000),
    "polynomial_root": jd.polynomial_decay(0.1, 0.01, 10000, power=0.3),
    "cosine": jd.cosine_decay(0.1, 15000, end_value=0.001),
    "warmup_cosine": jd.warmup_cosine_decay(
        1e-3, 1000, 12000, init_value=1e-5, end_value=1e-5
    ),
    "wsd_linear": jd.warmup_stable_decay(1.0, 0, 8000, 5000),
    "wsd_cosine": jd.warmup_stable_decay(1.0, 100, 8000, 5000, decay_shape="cosine"),
    "wsd_1-sqrt": jd.warmup_stable_decay(1.0, 100, 8000, 5000, decay_shape="1-sqrt"),
    "wsd_1-square": jd.warmup_stable_decay(
        1.0, 100, 8000, 5000, decay_shape="1-square", end_value=0.1
    ),
    "piecewise_constant": jd.piecewise_constant(
        [10, 3000, 3000, 9000], [1.0, 0.5, 0.4, 0.3, 0.2]
    ),
    "piecewise_linear": jd.piecewise_linear([10, 3000, 3000, 9000], [1, 0.5, 0.4, 0.3]),
    "join": jd.join(
        [jd.linear(0.0, 1.0, 100), jd.cosine_decay(1.0, 900), jd.constant(0.1)],
        [100, 1000],
    ),
    "join_empty_pieces": jd.join(
        [
            jd.constant(5.0),
            jd.constant(4.0),
            jd.linear(1.0, 0.0, 300),
            jd.step_decay(0.5, 99, 0.5),
        ],
        [0, 0, 300],
    ),
    "warmup": jd.warmup(jd.cosine_decay(1.0, 5000), 300, init_value=0.01),
    "shift": jd.shift(jd.cosine_decay(1.0, 5000), 700),
    "advance": jd.shift(jd.cosine_decay(1.0, 50000), -7000),
    "repeat": jd.repeat(jd.cosine_decay(1.0, 1000), 1300),
    "sum_and_scale": 0.5 * jd.cosine_decay(1.0, 5000) + jd.constant(0.1) - 0.02,
    "quotient": jd.cosine_decay(1.0, 5000) / 4.0,
    "difference": 2.0 - jd.cosine_decay(1.0, 5000),
    "long_sum": jd.cosine_decay(1.0, 5000)
    + jd.linear(0.0, 1.0, 100)
    + jd.step_decay(1.0, 300, 0.9),
    "restarts": jd.cosine_restarts(1.0, 3000, value_mult=0.8, end_value=0.1),
    "restarts_doubling": jd.cosine_restarts(1.0, 1000, period_mult=2.0, value_mult=0.8),
    "cyclic": jd.cyclic(0.1, 1.0, 700, 300),
    "cyclic_halving": jd.cyclic(0.1, 1.0, 70, mode="triangular2"),
    "recurrence": jd.recurrence(0.1, lambda t: 1 / (1 + 0.001 * t), 5000),
}

# Schedules the area evaluates.
EVALUATED = {
    "cosine_exponent": jd.cosine_decay(0.1, 15000, exponent=2.0),
    "restarts_fractional": jd.cosine_restarts(1.0, 1000, period_mult=1.5),
    "exp_range": jd.cyclic(0.1, 1.0, 70, mode="exp_range", gamma=0.9999),
    "clip": jd.clip(jd.cosine_decay(1.0, 5000), 0.2),
    "staircase": jd.staircase(jd.cosine_decay(1.0, 5000), 300),
    "product": jd.cosine_decay(1.0, 5000) * jd.linear(0.0, 1.0, 100),
    "from_fn": jd.from_fn(lambda t: 0.1 / (1.0 + jnp.sqrt(jnp.asarray(t, "float32")))),
}


def float64_prefix(schedule, n=N):
    """Sums of the schedule's float64 rates (jax_enable_x64), S1(0..n)."""
    with jax.enable_x64(True):
        rates = np.asarray(schedule(np.arange(n)), np.float64)
    return np.concatenate([[0.0], np.cumsum(rates)]), np.sum(np.abs(rates))


def own_prefix(schedule, n=N):
    """Sums in float64 of the schedule's own (jitted, float32) values."""
    rates = np.asarray(jax.jit(schedule)(np.arange(n)), np.float64)
    return np.concatenate([[0.0], np.cumsum(rates)]), np.sum(np.abs(rates))


def plan_of(schedule):
    """The area's series for a schedule, and the plan that counts the steps it
    evaluates."""
    plan = analysis._Plan("area")
    return plan, plan.series(schedule)


@pytest.mark.parametrize("name", CLOSED)
def test_closed_forms_match_a_float64_brute_force(name):
    schedule = CLOSED[name]
    want, scale = float64_prefix(schedule)
    plan, series = plan_of(schedule)
    assert not isinstance(series, analysis._Evaluated)
    got = series.span(np.zeros_like(STEPS), STEPS)
    assert plan.spent == 0, "a closed form evaluated steps"
    chex.assert_trees_all_close(got, want[STEPS], rtol=0, atol=1e-11 * scale)
    # The public function gives the same, in the shape of its argument.
    np.testing.assert_array_equal(area(schedule, STEPS), got)


@pytest.mark.parametrize("name", EVALUATED)
def test_evaluated_schedules_sum_their_own_values(name):
    schedule = EVALUATED[name]
    want, scale = own_prefix(schedule)
    plan, series = plan_of(schedule)
    assert isinstance(series, analysis._Evaluated)
    got = series.span(np.zeros_like(STEPS), STEPS)
    chex.assert_trees_all_close(got, want[STEPS], rtol=0, atol=1e-12 * scale)
    settle = schedule.settles_at()
    assert plan.spent <= (N if settle is None else min(N, settle) + 1)


def test_a_piece_without_a_closed_form_is_evaluated_alone():
    """A clip inside a join: only its 500 steps are evaluated, however far
    the area goes; the rest is closed."""
    clipped = jd.clip(jd.linear(1.0, 0.0, 500), 0.3)
    schedule = jd.join([clipped, jd.cosine_decay(0.3, 10**12)], [500])
    plan, series = plan_of(schedule)
    steps = np.asarray([0, 250, 500, 10**6, 10**12, 2 * 10**12])
    got = series.span(np.zeros_like(steps), steps)
    assert plan.spent == 500
    head = np.asarray(jax.jit(clipped)(np.arange(500)), np.float64)
    d = 10**12  # the cosine from 0.3 to 0 over d steps
    k = np.arange(10**6 - 500, dtype=np.float64)
    want = [
        0.0,
        head[:250].sum(),
        head.sum(),
        head.sum() + np.sum(0.3 * (1 + np.cos(np.pi * k / d)) / 2),
        head.sum() + 0.3 * (d + 1) / 2,  # the cosine's sum is (d + 1) / 2
        head.sum() + 0.3 * (d + 1) / 2,
    ]
    chex.assert_trees_all_close(got, np.asarray(want), rtol=1e-13)


def test_a_schedule_that_settles_is_evaluated_up_to_there():
    cycle = jd.one_cycle(1.0, total_steps=1000)
    plan, series = plan_of(cycle)
    got = series.span(np.zeros(2, np.int64), np.asarray([1000, 10**15]))
    assert plan.spent == 1000 + 1  # its steps, and its value from 1000 on
    values = np.asarray(jax.jit(cycle)(np.arange(1001)), np.float64)
    want = [values[:1000].sum(), values[:1000].sum() + (10**15 - 1000) * values[1000]]
    chex.assert_trees_all_close(got, np.asarray(want), rtol=1e-13)


def test_a_hundred_million_steps_in_closed_form():
    """warmup (0 to 1e-3 over W steps) then the cosine over D = 1e8 - W steps:
    1e-3 (W - 1) / 2 + 1e-3 (D + 1) / 2 = 1e-3 * 1e8 / 2 exactly."""
    schedule = jd.warmup_cosine_decay(1e-3, warmup_steps=1000, decay_steps=10**8)
    start = time.perf_counter()
    got = area(schedule, [10**8, 2 * 10**8, 2**62])
    assert time.perf_counter() - start < 1.0
    chex.assert_trees_all_close(got, np.full(3, 5e4), rtol=1e-14)
    wsd = jd.warmup_stable_decay(1.0, 10**3, 10**8, 10**7, decay_shape="1-sqrt")
    # warmup (W - 1) / 2, stable S, decay sum_k (1 - sqrt(k / D)) over D.
    d = 10**7
    decay = d - math.fsum(np.sqrt(np.arange(d, dtype=np.float64) / d))
    want = (10**3 - 1) / 2 + 10**8 + decay
    chex.assert_trees_all_close(area(wsd, 10**3 + 10**8 + d), want, rtol=1e-13)


FAR = 10**12


@pytest.mark.parametrize(
    ("schedule", "rate"),
    [
        (
            jd.cosine_decay(1.0, 2 * FAR),
            lambda u: (1 + np.cos(np.pi * u / (2 * FAR))) / 2,
        ),
        (jd.linear(1.0, 0.0, 2 * FAR), lambda u: 1 - u / (2 * FAR)),
        (jd.exponential_decay(1.0, 0.5, FAR / 4), lambda u: 0.5 ** (u / (FAR / 4))),
        (jd.inverse_sqrt_decay(1.0, 100.0), lambda u: np.sqrt(100.0 / u)),
        (
            jd.warmup_stable_decay(1.0, 0, 0, 2 * FAR, decay_shape="1-sqrt"),
            lambda u: 1 - np.sqrt(u / (2 * FAR)),
        ),
    ],
    ids=["cosine", "linear", "exponential", "inverse_sqrt", "1-sqrt"],
)
def test_short_spans_far_out_keep_their_accuracy(schedule, rate):
    """An advance by 1e12 steps asks for the rates of steps 1e12 .. 1e12 +
    9999 alone: summed directly, never as a difference of two sums of 1e12
    rates."""
    with jax.enable_x64(True):  # an advance past 2**30 steps needs 64-bit steps
        advanced = jd.shift(schedule, -FAR)
    got = area(advanced, [10, 10_000])
    u = FAR + np.arange(10_000, dtype=np.float64)
    want = [math.fsum(rate(u[:10])), math.fsum(rate(u))]
    chex.assert_trees_all_close(got, np.asarray(want), rtol=1e-12)


def test_the_area_of_no_steps_is_zero_and_shapes_follow_steps():
    schedule = CLOSED["warmup_cosine"]
    assert area(schedule, 0) == 0.0 and area(EVALUATED["clip"], 0) == 0.0
    one = area(schedule, 5)
    assert isinstance(one, np.ndarray) and one.shape == () and one.dtype == np.float64
    assert area(schedule, []).shape == (0,)
    unordered = [5000, 0, 12, 5000, 3]
    got = area(schedule, unordered)
    assert got.shape == (5,) and got[0] == got[3] and got[1] == 0
    np.testing.assert_array_equal(got, area(schedule, np.asarray(unordered)))
    np.testing.assert_array_equal(got[2], area(schedule, np.int64(12)))
    assert area(schedule, 12.0) == area(schedule, 12)  # an integral float


def test_plain_callables_are_evaluated():
    fn = optax.linear_schedule(1.0, 0.0, 100)
    with jax.numpy_dtype_promotion("standard"):
        got = area(fn, [100, 200])
    chex.assert_trees_all_close(got, np.asarray([50.5, 50.5]), rtol=1e-7)


def test_chunks_join_exactly(monkeypatch):
    """Small chunks: the running sums (and the momentum of S2) carry across
    chunk boundaries."""
    monkeypatch.setattr(analysis, "_CHUNK", 2**10)
    schedule = EVALUATED["clip"]
    want, scale = own_prefix(schedule, 10_000)
    steps = np.asarray([1023, 1024, 1025, 4097, 10_000])
    chex.assert_trees_all_close(
        area(schedule, steps), want[steps], rtol=0, atol=1e-12 * scale
    )
    values = np.asarray(jax.jit(schedule)(np.arange(10_000)), np.float64)
    steps = np.asarray([2, 1025, 3000, 10_000])
    chex.assert_trees_all_close(
        annealing_area(schedule, steps, decay=0.999),
        recurrence_s2(values, 0.999)[steps],
        rtol=1e-11,
    )


def test_evaluating_past_the_limit_is_refused_naming_steps(monkeypatch):
    monkeypatch.setattr(analysis, "EVALUATION_LIMIT", 10_000)
    schedule = EVALUATED["from_fn"]
    with pytest.raises(ValueError, match=r"^area: `steps` asks for .* from_fn.*"):
        area(schedule, 20_000)
    area(schedule, 9_000)  # within the limit
    area(CLOSED["cosine"], 10**15)  # closed forms evaluate nothing
    match = (
        r"^annealing_area: `steps` asks for the rates at [\d,]+ steps of "
        r"cosine_decay \(the 44,\d+ rates before each step asked\)"
    )
    with pytest.raises(ValueError, match=match):
        annealing_area(CLOSED["cosine"], [10**6, 10**9, 10**12])


# ---------------------------------------------------------------------------
# The annealing area.


def recurrence_s2(values, decay):
    """Tissue et al.'s recurrence, step by step in float64: eta_i = values[i -
    1] (i = 1..n), eta_0 = eta_1, m_i = decay m_{i-1} + eta_{i-1} - eta_i,
    S2(t) = m_1 + ... + m_t.  Returns S2(0..n)."""
    eta = np.concatenate([[values[0]], values])
    m, total, out = 0.0, 0.0, [0.0]
    for i in range(1, len(eta)):
        m = decay * m + (eta[i - 1] - eta[i])
        total += m
        out.append(total)
    return np.asarray(out)


S2_SCHEDULES = {
    "wsd": jd.warmup_stable_decay(1.0, 500, 15000, 8000),
    "warmup_cosine": jd.warmup_cosine_decay(1e-3, 1000, 20000),
    "step": jd.step_decay(1.0, 3000, 0.5),
    "cyclic": jd.cyclic(0.1, 1.0, 700, 300),
}
S2_N = 20_000
S2_STEPS = np.asarray([0, 1, 2, 3, 100, 999, 1000, 5000, 12345, 15500, 18000, S2_N])


@pytest.mark.parametrize("name", S2_SCHEDULES)
def test_annealing_area_matches_the_recurrence(name):
    schedule = S2_SCHEDULES[name]
    values = np.asarray(jax.jit(schedule)(np.arange(S2_N)), np.float64)
    for decay in (0.0, 0.5, 0.999, 0.99999):
        want = recurrence_s2(values, decay)
        got = annealing_area(schedule, S2_STEPS, decay=decay)
        scale = np.max(np.abs(want))
        chex.assert_trees_all_close(
            got, want[S2_STEPS], rtol=0, atol=1e-11 * scale, custom_message=f"{decay}"
        )


def test_annealing_area_closed_form_by_hand():
    """One drop of 0.75 before update 11: m_i = 0.75 decay**(i - 11) from
    there, so S2(t) = 0.75 (1 - decay**(t - 10)) / (1 - decay)."""
    schedule = jd.piecewise_constant([10], [1.0, 0.25])
    steps = np.asarray([0, 1, 10, 11, 12, 50, 2000])
    for decay in (0.5, 0.999):
        fading = -np.expm1((steps - 10) * np.log(decay)) / (1 - decay)
        want = np.where(steps > 10, 0.75 * fading, 0.0)
        chex.assert_trees_all_close(
            annealing_area(schedule, steps, decay=decay), want, rtol=1e-12
        )
    # decay 0: the sum of the drops, eta_1 - eta_t.
    chex.assert_trees_all_close(
        annealing_area(schedule, steps, decay=0.0), np.where(steps > 10, 0.75, 0.0)
    )
    # decay 0: the sum of the drops, eta_1 - eta_t.
    np.testing.assert_array_equal(annealing_area(schedule, [0, 1, 2, 10]), 0.0)


def test_annealing_area_of_a_long_run_costs_its_windows():
    """A WSD run of 1e8 steps: S2 needs the last ~44,000 rates before each
    step asked, not the 1e8 before them.  Its linear decay drops 1 / D per
    update for D = 1e5 updates, so at the end S2 = sum_j (1 - decay**j) /
    (D (1 - decay)) over j = 1..D."""
    d, decay = 10**5, 0.999
    schedule = jd.warmup_stable_decay(1.0, 0, 10**8 - d, d)
    steps = np.asarray([10**8 - d, 10**8 - d + 1, 10**8 + 1, 10**8 + 10**6])
    start = time.perf_counter()
    got = annealing_area(schedule, steps, decay=decay)
    assert time.perf_counter() - start < 5.0
    j = np.arange(1, d + 1, dtype=np.float64)
    end = math.fsum(-np.expm1(j * np.log(decay))) / (d * (1 - decay))
    # At 10**8 + 1 the last drop (to 0) is in; after it the momentum fades.
    assert got[0] == 0.0 and got[1] == 0.0  # no drop before the decay
    chex.assert_trees_all_close(got[2], end, rtol=1e-6)  # float32 rates
    m_end = math.fsum(decay ** (d - j)) / d  # the momentum at the end
    tail = m_end * decay * -np.expm1((10**6 - 1) * np.log(decay)) / (1 - decay)
    chex.assert_trees_all_close(got[3], end + tail, rtol=1e-6)


# ---------------------------------------------------------------------------
# scale_lr.


def test_scale_lr_numbers():
    assert scale_lr(0.1, 1024) == 0.1 * 1024 / 256
    assert scale_lr(0.1, 1024, rule="sqrt") == 0.1 * math.sqrt(1024 / 256)
    assert scale_lr(3e-4, 64, base_batch_size=512, rule="sqrt") == 3e-4 * math.sqrt(
        64 / 512
    )
    assert scale_lr(np.float32(0.5), 512) == 1.0
    assert isinstance(scale_lr(1, 256), float)


class ScaledSchedule(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_scale_lr_schedules(self):
        base = jd.cosine_decay(1e-3, 1000)
        for rule, factor in (("linear", 4096 / 256), ("sqrt", 4.0)):
            scaled = scale_lr(base, 4096, rule=rule)
            assert scaled == factor * base
            steps = jnp.arange(0, 1200, 7)
            got = self.variant(scaled)(steps)
            want = factor * np.asarray(base(steps), np.float64)
            chex.assert_trees_all_close(
                np.asarray(got, np.float64), want, rtol=1e-6, atol=1e-12
            )
            chex.assert_trees_all_close(
                jax.jit(jax.vmap(scaled))(steps), got, rtol=1e-6, atol=1e-12
            )
            assert jd.from_config(scaled.to_config()) == scaled


def test_scale_lr_plateau_and_callables():
    plateau = scale_lr(jd.reduce_on_plateau(patience=2, base=0.1), 512)
    assert isinstance(plateau, jd.reduce_on_plateau)
    assert float(plateau(plateau.init())) == pytest.approx(0.2)
    fn = scale_lr(optax.constant_schedule(0.1), 128)
    assert isinstance(fn, jd.Schedule) and float(fn(3)) == pytest.approx(0.05)


def fails(func, param, shown):
    return rf"^{func}: `{param}` .*; got {param}={re.escape(shown)}\.$"


BAD = [
    # area / annealing_area: steps
    (lambda: area(CLOSED["cosine"], -1), ValueError, fails("area", "steps", "-1")),
    (lambda: area(CLOSED["cosine"], 1.5), ValueError, fails("area", "steps", "1.5")),
    (
        lambda: area(CLOSED["cosine"], 2**63),
        ValueError,
        fails("area", "steps", str(2**63)),
    ),
    (
        lambda: area(CLOSED["cosine"], [1, -2]),
        ValueError,
        fails("area", "steps", "[1, -2]"),
    ),
    (
        lambda: area(CLOSED["cosine"], [[1, 2]]),
        TypeError,
        fails("area", "steps", "[[1, 2]]"),
    ),
    (lambda: area(CLOSED["cosine"], "10"), TypeError, fails("area", "steps", "'10'")),
    (lambda: area(CLOSED["cosine"], True), TypeError, fails("area", "steps", "True")),
    (
        lambda: annealing_area(CLOSED["cosine"], [3, 2.5]),
        ValueError,
        fails("annealing_area", "steps", "[3, 2.5]"),
    ),
    # schedule
    (
        lambda: area(jd.reduce_on_plateau(), 10),
        TypeError,
        fails("area", "schedule", "reduce_on_plateau()"),
    ),
    (lambda: area(3.0, 10), TypeError, fails("area", "schedule", "3.0")),
    # decay
    (
        lambda: annealing_area(CLOSED["cosine"], 10, decay=1.0),
        ValueError,
        fails("annealing_area", "decay", "1.0"),
    ),
    (
        lambda: annealing_area(CLOSED["cosine"], 10, decay=-0.1),
        ValueError,
        fails("annealing_area", "decay", "-0.1"),
    ),
    (
        lambda: annealing_area(CLOSED["cosine"], 10, decay=math.nan),
        ValueError,
        fails("annealing_area", "decay", "nan"),
    ),
    # scale_lr
    (lambda: scale_lr(0.1, 0), ValueError, fails("scale_lr", "batch_size", "0")),
    (lambda: scale_lr(0.1, -8), ValueError, fails("scale_lr", "batch_size", "-8")),
    (
        lambda: scale_lr(0.1, True),
        TypeError,
        fails("scale_lr", "batch_size", "True"),
    ),
    (
        lambda: scale_lr(0.1, [256]),
        TypeError,
        fails("scale_lr", "batch_size", "[256]"),
    ),
    (
        lambda: scale_lr(0.1, 512, base_batch_size=math.inf),
        ValueError,
        fails("scale_lr", "base_batch_size", "inf"),
    ),
    (
        lambda: scale_lr(0.1, 512, rule="cubic"),
        ValueError,
        fails("scale_lr", "rule", "'cubic'"),
    ),
    (lambda: scale_lr("0.1", 512), TypeError, fails("scale_lr", "lr", "'0.1'")),
    (lambda: scale_lr(None, 512), TypeError, fails("scale_lr", "lr", "None")),
    (lambda: scale_lr(math.nan, 512), ValueError, fails("scale_lr", "lr", "nan")),
    (
        lambda: scale_lr(1e38, 10**6),  # 3.9e41: past float32
        ValueError,
        fails("scale_lr", "batch_size", "1000000"),
    ),
    (
        lambda: scale_lr(1e-3, 10**400),
        ValueError,
        fails("scale_lr", "batch_size", "<an int of about 10**400>"),
    ),
    (
        lambda: scale_lr(1e300, 1e300, base_batch_size=1e-300),
        ValueError,
        fails("scale_lr", "batch_size", "1e+300"),
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD)
def test_bad_arguments_are_refused_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_traced_schedules_are_refused():
    with pytest.raises(TypeError, match=r"^area: `schedule` holds traced values"):
        jax.jit(lambda v: area(jd.constant(v), 10))(1.0)
