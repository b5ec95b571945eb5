"""design.optimize: the optimized schedule's shape, its predicted final loss
against cosine and warmup-stable-decay, the compact schedule, errors."""

import math
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay._design.laws import AnnealingLaw, MultiPowerLaw, rates_of
from jaxdecay._design.optimize import Optimized, optimize

# The 400M-parameter constants of the multi-power law's published code.
LAW = MultiPowerLaw(
    L0=2.375, A=0.654, alpha=0.429, B=523.425, C=2.025, beta=0.594, gamma=0.635
)
PEAK = 3e-4
# A scaled-down run (the paper's is 24,000 steps with a 2,160-step warmup).
TOTAL, WARMUP = 3000, 300


def final_loss(rates, eta0, warmup_sum, c=LAW):
    """The multi-power law's loss after the last update, an independent
    float64 NumPy sum written from the formula."""
    rates = np.asarray(rates, np.float64)
    prev = np.concatenate([[eta0], rates[:-1]])
    tail = np.cumsum(rates[::-1])[::-1]
    g = 1.0 - (1.0 + c.C * rates ** (-c.gamma) * tail) ** (-c.beta)
    ld = c.B * np.sum((prev - rates) * g)
    return c.L0 + c.A * (warmup_sum + tail[0]) ** (-c.alpha) - ld


def predicted(schedule, total=TOTAL, warmup=WARMUP, law=LAW):
    return float(law.predict(schedule, total, warmup_steps=warmup))


def warmup_inputs(total, warmup):
    """eta_0 and S_W of a linear warmup from 0 to the peak."""
    return PEAK * (warmup - 1) / warmup, PEAK * (warmup - 1) / 2


def baselines(total, warmup):
    """The post-warmup rates of cosine to 0 and to 10%, and of
    warmup-stable-decay to 0 with decays of 5% .. 50% of the run, from their
    formulas (float64)."""
    j = np.arange(total - warmup, dtype=np.float64)
    out = {}
    for end in (0.0, 0.1 * PEAK):
        cos = 0.5 * (1 + np.cos(np.pi * j / (total - warmup)))
        out[f"cosine to {end:g}"] = end + (PEAK - end) * cos
    shapes = {"linear": lambda x: 1 - x, "1-sqrt": lambda x: 1 - np.sqrt(x),
              "cosine": lambda x: 0.5 * (1 + np.cos(np.pi * x))}  # fmt: skip
    for frac in np.arange(0.05, 0.501, 0.05):
        decay = int(round(frac * total))
        x = np.clip((j - (total - warmup - decay)) / decay, 0.0, 1.0)
        for name, shape in shapes.items():
            out[f"wsd {name} {frac:.2f}"] = PEAK * shape(x)
    return out


@pytest.fixture(scope="module")
def best():
    return optimize(LAW, TOTAL, WARMUP, PEAK, details=True)


def post_warmup(schedule, total=TOTAL, warmup=WARMUP):
    return rates_of(schedule, total, warmup)[0]


# --- what the optimizer finds ---------------------------------------------------


def test_it_beats_cosine_and_every_warmup_stable_decay(best):
    assert isinstance(best, Optimized)
    eta0, warmup_sum = warmup_inputs(TOTAL, WARMUP)
    for name, rates in baselines(TOTAL, WARMUP).items():
        assert best.loss < final_loss(rates, eta0, warmup_sum) - 1e-4, name


def test_the_baselines_are_jaxdecays():
    rates = baselines(TOTAL, WARMUP)
    wsd = jd.warmup_stable_decay(PEAK, WARMUP, 2100, 600, decay_shape="1-sqrt")
    chex.assert_trees_all_close(
        post_warmup(wsd), rates["wsd 1-sqrt 0.20"], rtol=1e-6, atol=1e-12
    )
    cos = jd.warmup_cosine_decay(PEAK, WARMUP, TOTAL, end_value=0.1 * PEAK)
    chex.assert_trees_all_close(
        post_warmup(cos), rates["cosine to 3e-05"], rtol=1e-6, atol=1e-12
    )
    eta0, warmup_sum = warmup_inputs(TOTAL, WARMUP)
    assert rates_of(cos, TOTAL, WARMUP)[1:] == pytest.approx((eta0, warmup_sum))


def test_the_schedule_is_flat_then_decays_steeply(best):
    values = np.asarray(best.schedule.schedule.values)
    assert values[0] == PEAK and np.all(np.diff(values) <= 0)
    # As evaluated (float32), up to rounding.
    rates = post_warmup(best.schedule)
    assert rates[0] == pytest.approx(PEAK, rel=1e-6)  # right after the warmup
    assert np.all(np.diff(rates) <= 1e-6 * PEAK)
    assert rates.min() >= 0 and rates.max() <= PEAK * (1 + 1e-6)
    # WSD-like: within 10% of the peak for most of the run, then a short decay.
    below = [(WARMUP + np.argmax(rates < f * PEAK)) / TOTAL for f in (0.9, 0.1)]
    assert 0.8 < below[0] < 0.95 and below[0] < below[1] < 1.0
    assert rates[-1] < 0.1 * PEAK


def test_the_raw_rates_are_in_bounds_and_their_loss_is_the_formula(best):
    rates = best.rates
    assert rates.dtype == np.float64 and rates.shape == (TOTAL - WARMUP,)
    assert rates[0] == PEAK and np.all(np.diff(rates) <= 0) and rates.min() >= 0
    _, eta0, warmup_sum = rates_of(jd.warmup(jd.constant(PEAK), WARMUP), TOTAL, WARMUP)
    assert eta0 == pytest.approx(PEAK * (WARMUP - 1) / WARMUP, rel=1e-6)
    chex.assert_trees_all_close(
        best.optimum, final_loss(rates, eta0, warmup_sum), rtol=1e-12
    )
    # Adam went down from the linear decay it started at.
    linear = np.linspace(PEAK, 0.0, TOTAL - WARMUP, endpoint=False)
    assert best.history[0] > best.optimum
    chex.assert_trees_all_close(
        best.history[0], final_loss(linear, eta0, warmup_sum), rtol=1e-9
    )
    assert best.iterations == 2000 and best.seconds > 0


def test_the_compact_schedule_predicts_the_optimum_within_tolerance(best):
    assert abs(best.loss - best.optimum) < 1e-4
    chex.assert_trees_all_close(best.loss, predicted(best.schedule), rtol=1e-8)
    body = best.schedule.schedule
    assert isinstance(body, jd.piecewise_linear)
    assert best.knots == len(body.boundaries) <= 256
    assert body.boundaries[0] == 0 and body.boundaries[-1] == TOTAL - WARMUP - 1
    # Its rates follow the optimized ones closely.
    chex.assert_trees_all_close(
        post_warmup(best.schedule), best.rates, atol=0.01 * PEAK, rtol=0
    )


def test_a_tighter_tolerance_takes_more_points(best):
    tight = optimize(LAW, TOTAL, WARMUP, PEAK, tolerance=1e-6, details=True)
    assert tight.knots > best.knots
    assert abs(tight.loss - tight.optimum) < 1e-6
    chex.assert_trees_all_close(tight.optimum, best.optimum, rtol=1e-12)


def test_too_few_points_warn_and_stay_within_the_limit():
    with pytest.warns(UserWarning, match=r"optimize: .*max_knots=3"):
        got = optimize(LAW, TOTAL, WARMUP, PEAK, max_knots=3, tolerance=1e-9,
                       iterations=50, details=True)  # fmt: skip
    assert got.knots <= 3 and got.schedule.schedule.values[0] == PEAK


# --- the schedule is a normal jaxdecay value -------------------------------------


def test_it_is_a_warmup_of_a_piecewise_linear(best):
    s = best.schedule
    assert jd.from_config(s.to_config()) == s
    assert jd.parse(repr(s)) == s
    plain = optimize(LAW, TOTAL, WARMUP, PEAK)
    assert plain == s  # the same schedule without the details
    assert isinstance(s, jd.warmup) and s.warmup_steps == WARMUP


class Values(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_values_match_a_float64_reference(self):
        got = optimize(LAW, TOTAL, WARMUP, PEAK, iterations=200, init_value=1e-5)
        body = got.schedule
        b = np.asarray(body.boundaries, np.float64)
        v = np.asarray(body.values, np.float64)
        steps = np.arange(0, TOTAL + 50, 7)
        t = steps.astype(np.float64)
        want = np.where(
            t < WARMUP,
            1e-5 + (PEAK - 1e-5) * t / WARMUP,
            np.interp(t - WARMUP, b, v),
        )
        value = self.variant(lambda s, n: s(n))(got, jnp.asarray(steps))
        chex.assert_trees_all_close(
            np.asarray(value, np.float64), want, rtol=1e-6, atol=1e-12
        )
        mapped = jax.jit(jax.vmap(got))(jnp.asarray(steps))
        chex.assert_trees_all_close(mapped, value, rtol=1e-6, atol=1e-12)


# --- other settings and laws ------------------------------------------------------


def test_no_warmup_and_a_floor():
    total = TOTAL - WARMUP
    got = optimize(LAW, total, 0, PEAK, min_value=0.1 * PEAK, iterations=300,
                   details=True)  # fmt: skip
    assert isinstance(got.schedule, jd.piecewise_linear)
    rates = post_warmup(got.schedule, total, 0)
    assert rates[0] == pytest.approx(PEAK, rel=1e-6)
    assert np.all(np.diff(rates) <= 1e-6 * PEAK)
    assert got.rates.min() >= 0.1 * PEAK and rates.min() >= 0.1 * PEAK * (1 - 1e-6)
    cos = jd.cosine_decay(PEAK, total, end_value=0.1 * PEAK)
    assert got.loss < predicted(cos, total, 0)


def test_the_warmup_shape_is_kept():
    got = optimize(LAW, TOTAL, WARMUP, PEAK, warmup_shape="exponential",
                   init_value=1e-6, iterations=100)  # fmt: skip
    ramp = jd.warmup(jd.constant(PEAK), WARMUP, 1e-6, "exponential")
    values = jax.jit(lambda ss, n: [s(n) for s in ss])([got, ramp], jnp.arange(400))
    np.testing.assert_array_equal(values[0][:WARMUP], values[1][:WARMUP])
    assert float(values[0][WARMUP]) == pytest.approx(PEAK, rel=1e-6)


def test_the_shortest_runs():
    one = optimize(LAW, WARMUP + 1, WARMUP, PEAK)
    assert one == jd.warmup(jd.piecewise_linear([0], [PEAK]), WARMUP)
    assert optimize(LAW, WARMUP + 1, WARMUP, PEAK, details=True).iterations == 0


def test_the_annealing_law():
    law = AnnealingLaw(L0=2.4, A=0.6, alpha=0.45, C=5.0)
    got = optimize(law, TOTAL, WARMUP, PEAK, iterations=500, details=True)
    assert np.all(np.diff(post_warmup(got.schedule)) <= 0)
    assert got.loss < predicted(jd.warmup_cosine_decay(PEAK, WARMUP, TOTAL), law=law)


class Wrapped:
    """A law that is not a pytree: only a ``final`` method."""

    def __init__(self, law):
        self.law = law

    def final(self, rates, eta0, warmup_sum):
        return self.law.final(rates, eta0, warmup_sum)


def test_any_object_with_final_is_a_law():
    got = optimize(Wrapped(LAW), TOTAL, WARMUP, PEAK, iterations=100, details=True)
    same = optimize(LAW, TOTAL, WARMUP, PEAK, iterations=100, details=True)
    chex.assert_trees_all_close(got.rates, same.rates, rtol=1e-9)
    assert got.schedule == same.schedule


# --- errors -------------------------------------------------------------------------


def _args(**change):
    args = dict(law=LAW, total_steps=TOTAL, warmup_steps=WARMUP, peak_value=PEAK)
    args.update(change)
    return args


BAD = [
    ({"total_steps": WARMUP}, ValueError,
     "`total_steps` must be an integer > warmup_steps = 300; got total_steps=300"),
    ({"total_steps": 10, "warmup_steps": 20}, ValueError, "total_steps=10"),
    ({"total_steps": 1000.5}, ValueError, "total_steps=1000.5"),
    ({"total_steps": "3000"}, TypeError, "total_steps='3000'"),
    ({"warmup_steps": -1}, ValueError, "`warmup_steps` must be an integer >= 0"),
    ({"warmup_steps": True}, TypeError, "warmup_steps=True"),
    ({"peak_value": 0.0}, ValueError,
     "`peak_value` must be positive and finite; got peak_value=0.0"),
    ({"peak_value": math.nan}, ValueError, "peak_value=nan"),
    ({"min_value": PEAK}, ValueError,
     r"`min_value` must be in \[0, peak_value\) = \[0, 0.0003\); got "
     "min_value=0.0003"),
    ({"min_value": -1e-5}, ValueError, "min_value=-1e-05"),
    ({"law": object()}, TypeError, "`law` must be a loss-curve law with a method"),
    ({"law": MultiPowerLaw}, TypeError, "`law` must be a loss-curve law"),
    ({"iterations": 0}, ValueError,
     "`iterations` must be a positive integer; got iterations=0"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate=-0.1"),
    ({"tolerance": 0.0}, ValueError, "`tolerance` must be positive and finite"),
    ({"max_knots": 1}, ValueError,
     "`max_knots` must be an integer >= 2; got max_knots=1"),
    ({"warmup_shape": "step"}, ValueError,
     "`warmup_shape` must be one of 'linear', 'cosine', 'exponential'"),
    ({"init_value": 2 * PEAK}, ValueError,
     r"`init_value` must be in \[0, peak_value\]"),
    ({"warmup_shape": "exponential"}, ValueError, "init_value=0.0"),
    ({"details": "yes"}, TypeError, "`details` must be True or False"),
]  # fmt: skip


@pytest.mark.parametrize("change, error, match", BAD)
def test_bad_arguments_are_refused(change, error, match):
    with pytest.raises(error, match=r"^optimize: .*" + match):
        optimize(**_args(**change))


def test_a_law_that_predicts_no_finite_loss_is_refused():
    class Broken(Wrapped):
        def final(self, rates, eta0, warmup_sum):
            return jnp.log(-jnp.sum(rates))

    with pytest.raises(ValueError, match=re.escape("optimize: the law predicts")):
        optimize(Broken(LAW), TOTAL, WARMUP, PEAK)


# --- the paper's run, at full size ----------------------------------------------------


def test_the_papers_run():
    total, warmup = 24000, 2160
    got = optimize(LAW, total, warmup, PEAK, details=True)
    rates = post_warmup(got.schedule, total, warmup)
    eta0, warmup_sum = warmup_inputs(total, warmup)
    others = baselines(total, warmup).values()
    assert got.loss < min(final_loss(r, eta0, warmup_sum) for r in others) - 2e-4
    assert abs(got.loss - got.optimum) < 1e-4 and got.knots <= 256
    assert 0.85 < (warmup + np.argmax(rates < 0.9 * PEAK)) / total < 0.95
