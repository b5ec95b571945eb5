"""The loss-curve laws of jaxdecay.design against plain float64 NumPy
implementations of their formulas (the multi-power law's naive O(T^2) double
sum, the annealing law's momentum written out), their conventions, their
derivatives, and their errors."""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay import design
from jaxdecay._design.laws import rates_of

PAPER = dict(
    L0=2.375, A=0.654, alpha=0.429, B=523.425, C=2.025, beta=0.594, gamma=0.635
)
ANNEAL = dict(L0=2.4, A=0.6, alpha=0.45, C=5.0)
PEAK = 3e-4
W = 100
T = 2000


# ---------------------------------------------------------------------------
# References, from the formulas.


def mpl_at(c, rates, eta0, warmup_sum, t):
    """L(t) by the sum over k = 1 .. t, written out."""
    rates = np.asarray(rates, np.float64)
    eta = np.concatenate([[eta0], rates[:t]])  # eta_0 .. eta_t
    k = np.arange(1, t + 1)
    s_kt = np.cumsum(rates[:t][::-1])[::-1]  # S_k(t), summed from t down
    drop = eta[k - 1] - eta[k]
    e = eta[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(
            e > 0,
            s_kt / np.where(e > 0, e, 1.0) ** c["gamma"],
            np.where(s_kt > 0, np.inf, 0.0),  # the zero-rate limit
        )
    g = 1.0 - (c["C"] * x + 1.0) ** (-c["beta"])
    area = warmup_sum + np.sum(rates[:t])
    return c["L0"] + c["A"] * area ** (-c["alpha"]) - c["B"] * np.sum(drop * g)


def mpl_reference(c, rates, eta0, warmup_sum):
    """L(t) for t = 1 .. T by the double sum."""
    return np.array(
        [mpl_at(c, rates, eta0, warmup_sum, t) for t in range(1, len(rates) + 1)]
    )


def annealing_reference(c, rates, eta0, warmup_sum, decay=0.999):
    eta = np.concatenate([[eta0], np.asarray(rates, np.float64)])
    m, s2, area, out = 0.0, 0.0, warmup_sum, []
    for i in range(1, len(eta)):
        m = decay * m + (eta[i - 1] - eta[i])
        s2 += m
        area += eta[i]
        out.append(c["L0"] + c["A"] * area ** (-c["alpha"]) - c["C"] * s2)
    return np.array(out)


def _schedules():
    rng = np.random.default_rng(3)
    up = np.concatenate(
        [
            np.linspace(0, PEAK, W, endpoint=False),
            np.full(600, PEAK / 3),
            np.linspace(PEAK / 3, PEAK, 700),  # rises after the warmup
            np.full(700, PEAK / 10),
        ]
    )
    zeros = np.concatenate(
        [
            np.linspace(0, PEAK, W, endpoint=False),
            np.full(500, PEAK),
            np.zeros(300),  # a drop to zero, then the rate back
            rng.uniform(0, PEAK, 600),
            np.zeros(600),  # ends at zero
        ]
    )
    return {
        "constant": jd.warmup(jd.constant(PEAK), W),
        "cosine": jd.warmup_cosine_decay(PEAK, W, W + T, end_value=3e-5),
        "wsd": jd.warmup_stable_decay(PEAK, W, T - 400, 400, end_value=3e-5),
        "linear to zero": jd.warmup(jd.linear(PEAK, 0.0, transition_steps=T), W),
        "steps": jd.warmup(
            jd.piecewise_constant([400, 1100, 1600], [PEAK, PEAK / 3, PEAK / 10, 1e-6]),
            W,
        ),
        "rises": up,
        "zeros": zeros,
    }


SCHEDULES = _schedules()


@pytest.fixture(scope="module")
def mpl():
    return design.MultiPowerLaw(**PAPER)


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_the_fast_curve_is_the_double_sum(mpl, name):
    rates, eta0, sw = rates_of(SCHEDULES[name], W + T, W)
    want = mpl_reference(PAPER, rates, eta0, sw)
    got = np.asarray(mpl.curve(rates, eta0, sw))
    assert got.dtype == np.float64 and got.shape == (T,)
    # The loss drop to ~1e-12 of itself: 2e-12 of the loss.
    chex.assert_trees_all_close(got, want, rtol=2e-12, atol=0)
    with jax.enable_x64(True):
        final = float(mpl.final(jnp.asarray(rates), eta0, sw))
    chex.assert_trees_all_close(final, want[-1], rtol=1e-13, atol=0)
    # Only at some steps: the recurrence jumps between them.
    at = np.array([0, 1, 2, 37, 38, 1000, 1999, 2000, 640, 5])
    part = np.asarray(mpl.losses_at(rates, eta0, sw, at))
    full = np.concatenate([[PAPER["L0"] + PAPER["A"] * sw ** (-PAPER["alpha"])], want])
    chex.assert_trees_all_close(part, full[at], rtol=2e-12, atol=0)


def test_predict_reads_global_steps_after_the_warmup(mpl):
    s = SCHEDULES["cosine"]
    rates, eta0, sw = rates_of(s, W + T, W)
    # The rates of every update, jitted (also given to predict below).
    values = np.asarray(jax.jit(s)(np.arange(W + T)), np.float64)
    # eta_0 is the warmup's last rate, S_W the sum of the warmup's rates.
    assert eta0 == pytest.approx(values[W - 1])
    assert rates[0] == pytest.approx(values[W])
    assert sw == pytest.approx(float(jd.area(s, W)), rel=1e-6)
    want = mpl_reference(PAPER, rates, eta0, sw)
    start = PAPER["L0"] + PAPER["A"] * sw ** (-PAPER["alpha"])  # no drop yet
    steps = [W + T, W + 1, W, W + 500]
    chex.assert_trees_all_close(
        mpl.predict(s, steps, W),
        np.concatenate([[start], want])[np.array(steps) - W],
        rtol=2e-12,
        atol=0,
    )
    assert mpl.predict(s, W + T, W).shape == ()
    # The rates of every update as an array give the same.
    chex.assert_trees_all_close(
        mpl.predict(values, steps, W), mpl.predict(s, steps, W), rtol=1e-6, atol=0
    )
    # No warmup: eta_0 = eta_1, S_W = 0.
    assert rates_of(values[W:], 50, 0)[1:] == (values[W], 0.0)


def test_the_zero_rate_limit():
    law = design.MultiPowerLaw(**PAPER)
    # A drop to 0: G = 0 while no update has moved the weights, then 1.
    rates = np.concatenate([[PEAK, 0.0, 0.0], np.full(T - 3, PEAK / 2)])
    got = np.asarray(law.curve(rates, PEAK, 0.01))
    power = PAPER["L0"] + PAPER["A"] * (0.01 + np.cumsum(rates)) ** (-PAPER["alpha"])
    assert got[1] == pytest.approx(power[1], rel=1e-14)  # S_2(2) = 0: G = 0
    # At t = 4, the drop at k = 2 counts fully, the rise at k = 4 partly.
    g4 = 1 - (1 + PAPER["C"] * (PEAK / 2) ** (1 - PAPER["gamma"])) ** (-PAPER["beta"])
    assert got[3] == pytest.approx(
        power[3] - PAPER["B"] * (PEAK * 1.0 + (0.0 - PEAK / 2) * g4), rel=1e-12
    )
    want = mpl_reference(PAPER, rates, PEAK, 0.01)
    chex.assert_trees_all_close(got, want, rtol=2e-12, atol=0)


def test_annealing_law_is_its_formula_and_annealing_area():
    law = design.AnnealingLaw(**ANNEAL)
    for name in ("cosine", "wsd", "steps", "rises", "zeros"):
        rates, eta0, sw = rates_of(SCHEDULES[name], W + T, W)
        want = annealing_reference(ANNEAL, rates, eta0, sw)
        chex.assert_trees_all_close(
            np.asarray(law.curve(rates, eta0, sw)), want, rtol=1e-12, atol=0
        )
        with jax.enable_x64(True):
            final = float(law.final(jnp.asarray(rates), eta0, sw))
        assert final == pytest.approx(want[-1], rel=1e-12)
    # S2 is annealing_area's, read from the warmup's last update on.
    s = SCHEDULES["wsd"]
    rates, eta0, sw = rates_of(s, W + T, W)
    t = np.array([1, 10, 1700, 1800, T])
    s2 = jd.annealing_area(jd.shift(s, -(W - 1)), t + 1)
    area = sw + np.cumsum(rates)[t - 1]
    want = ANNEAL["L0"] + ANNEAL["A"] * area ** (-ANNEAL["alpha"]) - ANNEAL["C"] * s2
    chex.assert_trees_all_close(law.predict(s, t + W, W), want, rtol=1e-9, atol=0)
    slow = design.AnnealingLaw(**ANNEAL, decay=0.0)
    chex.assert_trees_all_close(
        np.asarray(slow.curve(rates, eta0, sw)),
        annealing_reference(ANNEAL, rates, eta0, sw, decay=0.0),
        rtol=1e-12,
        atol=0,
    )


def _check_gradient(f, args, picks):
    """The gradient of ``f`` w.r.t. each of ``args`` (reverse mode, jitted)
    against central differences at the indices ``picks[k]`` of arg k (one
    compiled function gives both; the steps are taken in NumPy, so nothing
    else compiles)."""
    both = jax.jit(jax.value_and_grad(f, argnums=tuple(range(len(args)))))
    grads = [np.asarray(g) for g in both(*args)[1]]
    args = [np.asarray(a) for a in args]
    for k, (arg, grad) in enumerate(zip(args, grads, strict=True)):
        for i in picks[k]:
            h = 1e-6 * abs(float(arg[i]))
            e = np.zeros(len(arg), arg.dtype)
            e[i] = h
            up = [a + e if j == k else a for j, a in enumerate(args)]
            down = [a - e if j == k else a for j, a in enumerate(args)]
            fd = (float(both(*up)[0]) - float(both(*down)[0])) / (2 * h)
            assert float(grad[i]) == pytest.approx(fd, rel=1e-5, abs=1e-9), (k, i)


def test_laws_are_pytrees_that_jit_vmap_and_differentiate():
    law = design.MultiPowerLaw(**PAPER)
    leaves, tree = jax.tree_util.tree_flatten(law)
    assert leaves == list(PAPER.values())
    assert jax.tree_util.tree_unflatten(tree, leaves) == law
    anneal = design.AnnealingLaw(**ANNEAL, decay=0.99)
    assert len(jax.tree_util.tree_leaves(anneal)) == 4  # decay is a setting
    rates, eta0, sw = rates_of(SCHEDULES["wsd"], W + 300, W)
    with jax.enable_x64(True):
        x = jnp.asarray(rates)
        want = float(law.final(x, eta0, sw))
        jitted = jax.jit(lambda lw, r: lw.final(r, eta0, sw))(law, x)
        assert float(jitted) == pytest.approx(want, rel=1e-15)
        # A batch of laws (stacked constants) at once.
        batch = jax.tree_util.tree_map(lambda v: jnp.asarray([v, 1.1 * v]), law)
        both = jax.vmap(lambda lw: lw.final(x, eta0, sw))(batch)
        other = design.MultiPowerLaw(**{k: 1.1 * v for k, v in PAPER.items()})
        assert float(both[1]) == pytest.approx(
            float(other.final(x, eta0, sw)), rel=1e-13
        )

        # Gradients (reverse mode, as optimize takes them) against central
        # differences, w.r.t. every constant and some rates: of the exact
        # final loss, and of the fast form at a few steps.
        v = jnp.asarray(leaves)
        for fn in (
            lambda c, r: c.final(r, eta0, sw),
            lambda c, r: jnp.sum(c.losses_at(r, eta0, sw, [3, 150, 300])),
        ):
            _check_gradient(
                lambda v, r, fn=fn: fn(tree.unflatten(list(v)), r),
                (v, x),
                (range(7), (0, 150, 299)),
            )
        _check_gradient(lambda r: anneal.curve(r, eta0, sw)[-1], (x,), ((0, 150, 299),))


def test_a_long_curve_in_chunks():
    law = design.MultiPowerLaw(**PAPER)
    # The paper's runs: 24,000 steps, a 2,160-step warmup; 11 chunks of 2**11
    # updates, the recurrence carried across.
    n, w = 24_000, 2160
    s = jd.warmup(jd.linear(PEAK, 0.0, transition_steps=n - w), w)
    steps = np.arange(2200, n + 1, 100)
    got = law.predict(s, steps, w)
    assert got.shape == steps.shape and np.all(np.diff(got) < 0)
    rates, eta0, sw = rates_of(s, n, w)
    for i in (0, 5, 24, 150, 218):
        want = mpl_at(PAPER, rates, eta0, sw, int(steps[i]) - w)
        assert got[i] == pytest.approx(want, rel=2e-12)


BAD_LAWS = [
    (dict(PAPER, B=-1.0), ValueError, "MultiPowerLaw: `B` must be positive"),
    (dict(PAPER, C=0.0), ValueError, "`C` must be positive"),
    (dict(PAPER, beta=float("nan")), ValueError, "`beta` must be positive"),
    (dict(PAPER, gamma="0.6"), TypeError, "`gamma` must be a real number"),
]


@pytest.mark.parametrize("kwargs, error, match", BAD_LAWS)
def test_bad_constants(kwargs, error, match):
    with pytest.raises(error, match=match):
        design.MultiPowerLaw(**kwargs)


def test_bad_annealing_settings():
    with pytest.raises(ValueError, match=r"AnnealingLaw: `decay` must be in \[0, 1\)"):
        design.AnnealingLaw(**ANNEAL, decay=1.0)
    with pytest.raises(TypeError, match="AnnealingLaw: `decay`"):
        design.AnnealingLaw(**ANNEAL, decay=None)
    with pytest.raises(ValueError, match="`alpha` must be positive"):
        design.AnnealingLaw(**dict(ANNEAL, alpha=-0.5))


BAD_PREDICT = [
    (dict(steps=[50, 200]), ValueError, "from step 100 on"),
    (dict(steps=150.5), ValueError, "whole numbers"),
    (dict(steps="150"), TypeError, "`steps` must be"),
    (dict(steps=[[150]]), TypeError, "`steps` must be"),
    (dict(warmup_steps=-1), ValueError, "`warmup_steps` must be"),
    (dict(schedule=[PEAK] * 120 + [-1e-4] * 200), ValueError, "rate of update 120"),
    (dict(schedule=[PEAK] * 130 + [np.nan] * 200), ValueError, "rate of update 130"),
    (dict(schedule=[]), ValueError, "non-empty sequence of rates"),
    (dict(schedule=np.ones((10, 30))), TypeError, "1-D sequence of rates"),
    (dict(schedule=[PEAK] * 160), ValueError, "updates 0 .. 159"),
    (dict(schedule="cosine"), TypeError, "`schedule` must be"),
    (dict(schedule=np.zeros(300)), ValueError, "positive area"),
]


@pytest.mark.parametrize("change, error, match", BAD_PREDICT)
def test_bad_predict_arguments(mpl, change, error, match):
    args = dict(schedule=SCHEDULES["constant"], steps=[150, 200], warmup_steps=W)
    args.update(change)
    with pytest.raises(error, match=match):
        mpl.predict(args["schedule"], args["steps"], args["warmup_steps"])


def test_predict_refuses_traced_constants(mpl):
    def f(b):
        law = design.MultiPowerLaw(**dict(PAPER, B=b))
        return law.predict(SCHEDULES["constant"], 200, W)

    with pytest.raises(TypeError, match="holds traced constants"):
        jax.jit(f)(523.0)


def test_predict_of_no_steps_and_of_an_unsorted_list(mpl):
    assert mpl.predict(SCHEDULES["constant"], [], W).shape == (0,)
    a = mpl.predict(SCHEDULES["cosine"], [W + T, 150, W + T, 400], W)
    b = mpl.predict(SCHEDULES["cosine"], [150, 400, W + T], W)
    chex.assert_trees_all_close(a, b[[2, 0, 2, 1]], rtol=0, atol=0)
