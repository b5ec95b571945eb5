"""power_decay, tanh_decay, warp and cosine_restarts' cycle_limit and
value_mult_mode: float64 references written from the documented formulas,
jit and eager, vmap over steps and over parameters, the top of the int32
step range, configs, errors and the size of the graph."""

from __future__ import annotations

import math
import pickle
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay._catalog.decay import power_decay, tanh_decay
from jaxdecay._compose.warp import warp
from tests.catalog import (
    padded as _padded,
)
from tests.catalog import (
    r_cosine_decay,
    r_cosine_restarts_limited,
    r_power_decay,
    r_tanh_decay,
    r_warp,
)

TOP = 2**31 - 1
STEPS = np.r_[
    np.arange(0, 130),
    [997, 1000, 1001, 12_345, 2**24 + 1, 2**30 + 7, TOP - 2, TOP - 1, TOP],
].astype(np.int64)
# One shape for both (eager dispatch compiles once per shape).
FLOAT_STEPS = np.r_[np.arange(0, 130) + 0.25, np.arange(0, 130, 15) + 0.75]


def padded(steps, dtype=np.int32):
    """``steps`` padded to the shape of ``STEPS``: the eager evaluations of a
    few steps reuse the operations compiled for ``STEPS`` (int32) and
    ``FLOAT_STEPS`` (float32)."""
    return _padded(steps, STEPS.size, dtype)


def at_steps(schedule, steps, dtype=np.int32):
    """The eager values of ``schedule`` at a few ``steps`` (one shape: padded)."""
    return np.asarray(schedule(padded(steps, dtype)))[: np.size(steps)]


def all_at(schedules):
    """One jitted program (the schedules closed over: their constants folded as
    in ``jax.jit(schedule)``) giving every schedule's values at its argument."""
    return jax.jit(lambda t: [s(t) for s in schedules])


def close(got, want, rtol, atol=0.0, msg=""):
    chex.assert_trees_all_close(
        np.asarray(got, np.float64),
        np.asarray(want, np.float64),
        rtol=rtol,
        atol=atol,
        custom_message=str(msg),
    )


def equations(schedule, step):
    return len(jax.make_jaxpr(schedule)(step).eqns)


# -- float64 references of the documented formulas: the catalog's ------------

r_power = r_power_decay
r_tanh = r_tanh_decay
r_cosine = r_cosine_decay
r_restarts = r_cosine_restarts_limited


# -- power_decay -------------------------------------------------------------

POWER = [
    ((1.0, 10), r_power(1.0, 10)),
    ((3e-4, 10_000, 0.5, 1000), r_power(3e-4, 10_000, 0.5, 1000)),
    ((1.0, 1, 1.0), r_power(1.0, 1, 1.0)),
    ((2.0, 3.7, 2.0, 5), r_power(2.0, 3.7, 2.0, 5)),
    ((1.0, 0.37, 0.5), r_power(1.0, 0.37, 0.5)),
    ((1.0, 1e-25, 0.5), r_power(1.0, 1e-25, 0.5)),  # scaled by 2**-k inside
    ((1.0, 1e30, 0.5), r_power(1.0, 1e30, 0.5)),
    ((0.5, 7, 0.0, 3), r_power(0.5, 7, 0.0, 3)),
]


class PowerDecay(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_matches_the_formula_at_every_int32_step(self):
        # All the schedules in one call (one program per kind of step).
        call = self.variant(lambda t: [power_decay(*args)(t) for args, _ in POWER[:3]])
        ints = call(jnp.asarray(STEPS, jnp.int32))
        floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
        for (args, ref), got_int, got_float in zip(
            POWER[:3], ints, floats, strict=True
        ):
            # float32 within 3e-7 relative: the rounding of exp and of the result
            close(got_int, ref(STEPS), rtol=3e-7, msg=args)
            close(got_float, ref(FLOAT_STEPS.astype(np.float32)), rtol=3e-7, msg=args)


def test_power_decay_huge_steps_and_extreme_timescales_stay_accurate():
    rng = np.random.default_rng(0)
    steps = np.r_[STEPS, rng.integers(2**24, TOP, 1861)]  # 2000 in all
    got = all_at([power_decay(*args) for args, _ in POWER])(steps.astype(np.int32))
    for (args, ref), values in zip(POWER, got, strict=True):
        close(values, ref(steps), rtol=3e-7, msg=args)


def test_power_decay_vmap_over_steps_and_parameters():
    s = power_decay(1.0, 10, 0.5, 5)
    close(jax.vmap(s)(jnp.asarray(STEPS, jnp.int32)), s(STEPS), rtol=0)
    taus = jnp.asarray([1.0, 10.0, 1000.0])
    powers = jnp.asarray([0.25, 0.5, 2.0])
    begins = jnp.asarray([0, 3, 100])

    def at(tau, power, begin):
        return power_decay(2.0, tau, power, begin)(jnp.asarray(STEPS[:130], jnp.int32))

    got = jax.jit(jax.vmap(at))(taus, powers, begins)
    want = [
        r_power(2.0, float(a), float(b), int(c))(STEPS[:130])
        for a, b, c in zip(*map(np.asarray, (taus, powers, begins)), strict=True)
    ]
    # traced parameters: constants in float32 (a few ulp)
    close(got, np.stack(want), rtol=2e-6)


def test_power_decay_breakpoints_settles_and_configs():
    assert power_decay(1.0, 10).breakpoints() == ()
    assert power_decay(1.0, 10, transition_begin=7).breakpoints() == (7,)
    assert power_decay(1.0, 10).settles_at() is None
    assert power_decay(1.0, 10, power=0.0).settles_at() == 0
    assert power_decay(1.0, 10.0).timescale == 10
    for s in (power_decay(1.0, 10), power_decay(3e-4, 2.5, 1.5, 100)):
        assert jd.from_config(s.to_config()) == s
        assert jd.parse(repr(s)) == s
        assert pickle.loads(pickle.dumps(s)) == s
    assert repr(power_decay(1.0, 10)) == "power_decay(init_value=1.0, timescale=10)"


# -- tanh_decay --------------------------------------------------------------

TANH = [
    ((1.0, 100), r_tanh(1.0, 100)),
    ((2.0, 1000, 0.1, -6.3, 4.1), r_tanh(2.0, 1000, 0.1, -6.3, 4.1)),
    ((1.0, 7, 0.5, -1.0, 1.0), r_tanh(1.0, 7, 0.5, -1.0, 1.0)),
    ((0.0, 50, 1.0), r_tanh(0.0, 50, 1.0)),
    ((1.0, TOP - 10), r_tanh(1.0, TOP - 10)),
    ((1.0, 2**40), r_tanh(1.0, 2**40)),
    ((1.0, 100, 0.0, -300.0, 200.0), r_tanh(1.0, 100, 0.0, -300.0, 200.0)),
]


class TanhDecay(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_matches_the_formula_at_every_int32_step(self):
        call = self.variant(lambda t: [tanh_decay(*args)(t) for args, _ in TANH[:3]])
        ints = call(jnp.asarray(STEPS, jnp.int32))
        floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
        for (args, ref), got_int, got_float in zip(TANH[:3], ints, floats, strict=True):
            close(got_int, ref(STEPS), rtol=3e-7, atol=1e-37, msg=args)
            want = ref(FLOAT_STEPS.astype(np.float32))
            close(got_float, want, rtol=3e-7, atol=1e-37, msg=args)


def test_tanh_decay_long_decays_and_wide_bounds():
    call = all_at([tanh_decay(*args) for args, _ in TANH[3:]])
    ints = call(jnp.asarray(STEPS, jnp.int32))
    floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
    for (args, ref), got_int, got_float in zip(TANH[3:], ints, floats, strict=True):
        close(got_int, ref(STEPS), rtol=3e-7, atol=1e-37, msg=args)
        want = ref(FLOAT_STEPS.astype(np.float32))
        close(got_float, want, rtol=3e-7, atol=1e-37, msg=args)


def test_tanh_decay_holds_end_value_from_T_and_matches_timm_shape():
    s = tanh_decay(1.0, 100, end_value=0.01)
    at_100, at_top, at_70 = at_steps(s, [100, TOP, 70])
    assert float(at_100) == pytest.approx(0.01, rel=1e-7)
    assert float(at_top) == pytest.approx(0.01, rel=1e-7)
    # timm: lb (1 - t/T) + ub t/T, halfway between the bounds at t = 0.7 T
    assert float(at_70) == pytest.approx(0.505, rel=1e-6)
    assert at_steps(s, [99.5], np.float32)[0] > at_100


def test_tanh_decay_vmap_over_parameters():
    lbs, ubs = jnp.asarray([-7.0, -3.0]), jnp.asarray([3.0, 5.0])
    Ts = jnp.asarray([100, 1000])

    def at(lb, ub, T):
        return tanh_decay(1.0, T, 0.1, lb, ub)(jnp.asarray(STEPS[:130], jnp.int32))

    got = jax.jit(jax.vmap(at))(lbs, ubs, Ts)
    want = [
        r_tanh(1.0, int(T), 0.1, float(a), float(b))(STEPS[:130])
        for a, b, T in zip(*map(np.asarray, (lbs, ubs, Ts)), strict=True)
    ]
    close(got, np.stack(want), rtol=2e-6)
    s = tanh_decay(1.0, 100)
    close(jax.vmap(s)(jnp.asarray(STEPS, jnp.int32)), s(STEPS), rtol=0)


def test_tanh_decay_breakpoints_settles_and_configs():
    s = tanh_decay(1.0, 100, 0.1, lb=-6.0, ub=4.0)
    assert s.breakpoints() == (100,) and s.settles_at() == 100
    for s in (tanh_decay(1.0, 100), tanh_decay(1.0, 100, 0.1, lb=-6.0, ub=4.0)):
        assert jd.from_config(s.to_config()) == s
        assert jd.parse(repr(s)) == s


# -- warp --------------------------------------------------------------------

WARPS = [
    (2.0, 100, jd.cosine_decay(1.0, 100), r_cosine(1.0, 100)),
    (0.5, 100, jd.cosine_decay(1.0, 100, 0.1), r_cosine(1.0, 100, 0.1)),
    (3.3, 40, jd.cosine_restarts(1.0, 40), r_restarts(1.0, 40)),
    (1.0, 40, jd.cosine_restarts(1.0, 40), r_restarts(1.0, 40)),
    (0.25, 7, jd.linear(0.0, 7.0, 7), lambda t: np.minimum(t, 7.0)),
]


class Warp(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_matches_the_formula(self):
        call = self.variant(lambda t: [warp(i, k, P)(t) for k, P, i, _ in WARPS[:3]])
        ints = call(jnp.asarray(STEPS, jnp.int32))
        floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
        for (k, P, _, ref), got_int, got_float in zip(
            WARPS[:3], ints, floats, strict=True
        ):
            want = r_warp(ref, k, P)
            # the warped step carries ~3e-7 relative (of the period): the
            # value moves by at most its slope times that
            close(got_int, want(STEPS), rtol=0, atol=2e-6, msg=(k, P))
            want = want(FLOAT_STEPS.astype(np.float32))
            close(got_float, want, rtol=0, atol=2e-6, msg=(k, P))


def test_warp_identity_and_short_periods():
    call = all_at([warp(inner, k, P) for k, P, inner, _ in WARPS[3:]])
    ints = call(jnp.asarray(STEPS, jnp.int32))
    floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
    for (k, P, _, ref), got_int, got_float in zip(WARPS[3:], ints, floats, strict=True):
        want = r_warp(ref, k, P)
        close(got_int, want(STEPS), rtol=0, atol=2e-6, msg=(k, P))
        want = want(FLOAT_STEPS.astype(np.float32))
        close(got_float, want, rtol=0, atol=2e-6, msg=(k, P))


def test_warped_step_accuracy_and_period():
    """The warped position itself, read through linear(0, P, P) (its value is
    its step), against the float64 formula: about 3e-7 relative, and never
    past the end of its period."""
    cases = [(0.5, 1000), (0.1, 10**5), (4.0, 2**29)]
    # in the second half of the period, the distance to its end is as
    # accurate (a cosine near its end reads it): linear(P, 0, P) is P - t.
    # Every case, both ways, in one program (each evaluated at all its steps).
    steps = [
        np.r_[np.arange(0, 1000), np.linspace(0, P - 1, 1000)].astype(np.int64)
        for _, P in cases
    ]
    ways = [
        warp(jd.linear(a, b, P), k, P)
        for k, P in cases
        for a, b in ((0.0, float(P)), (float(P), 0.0))
    ]
    got = jax.jit(lambda ts: [s(ts[i // 2]) for i, s in enumerate(ways)])(
        [t.astype(np.int32) for t in steps]
    )
    for i, ((k, P), t) in enumerate(zip(cases, steps, strict=True)):
        up, left = (np.asarray(g, np.float64) for g in got[2 * i : 2 * i + 2])
        want = r_warp(lambda x: x, k, P)(t)
        big = want > 1e-20  # below: the linear's own underflow
        close(up[big], want[big], rtol=3e-7, msg=(k, P))
        late = want >= P / 2
        d = P - want[late]
        close(left[late][d > 0], d[d > 0], rtol=4e-7, msg=(k, P))
    # a warped step that rounds up to the end of its period stays in it (at
    # 2**29 the rounding is ~100 steps): the next cycle does not start early
    for k in (1.5, 4.0):
        s = warp(jd.cosine_restarts(1.0, 2**29), k, 2**29)
        end, start = at_steps(s, [2**29 - 1, 2**29])
        assert end < 1e-6 and start == 1.0


def test_warp_periods_restart_and_the_top_step():
    s = warp(jd.cosine_restarts(1.0, 100), 2.0, 100)
    steps = np.asarray([99, 100, 200, TOP])
    got = at_steps(s, steps)
    close(got, r_warp(r_restarts(1.0, 100), 2.0, 100)(steps), rtol=0, atol=2e-6)
    assert got[0] < 0.01 and got[1] == 1.0
    # k < 1 hurries: a warped step past the top of the step range saturates
    fast = warp(jd.linear(0.0, 2.0**40, 2**40), 0.5, 2**40)
    top, mid = at_steps(fast, [TOP, 2**20]).astype(np.float64)
    assert top == pytest.approx(float(TOP), rel=1e-6)
    assert mid == pytest.approx(2.0**30, rel=3e-7)


def test_warp_vmap_and_traced_k():
    s = warp(jd.cosine_decay(1.0, 100), 2.0, 100)
    close(jax.vmap(s)(jnp.asarray(STEPS, jnp.int32)), s(STEPS), rtol=0)
    ks = jnp.asarray([0.5, 1.0, 2.0, 3.0])

    def at(k):
        return warp(jd.cosine_decay(1.0, 100), k, 100)(jnp.arange(0, 130))

    got = jax.jit(jax.vmap(at))(ks)
    want = [
        r_warp(r_cosine(1.0, 100), float(k), 100)(np.arange(130))
        for k in np.asarray(ks)
    ]
    close(got, np.stack(want), rtol=0, atol=3e-6)


def test_warp_breakpoints_settles_configs_and_gradient():
    s = warp(jd.cosine_decay(1.0, 100), 2.0, 100)
    assert s.breakpoints() == (100,) and s.settles_at() == 100
    inner = jd.warmup_cosine_decay(1.0, 25, 175)
    w = warp(inner, 0.5, 100)
    # 25 = 100 (x / 100)**0.5 at x = 6.25: the warmup ends at step 7; the
    # decay ends at 175 = 100 + 100 (x / 100)**0.5, x = 56.25 (settled a
    # step later: the margin for the rounding of the warped step)
    assert w.breakpoints() == (7, 100, 157)
    assert w.settles_at() == 158
    assert warp(jd.exponential_decay(1.0, 0.9), 2.0, 10).settles_at() is None
    for value in (s, w):
        assert jd.from_config(value.to_config()) == value
        assert jd.parse(repr(value)) == value
        assert pickle.loads(pickle.dumps(value)) == value
    grad = jax.jit(jax.vmap(jax.grad(lambda t: s(t))))(
        jnp.asarray([0.0, 50.0, 100.0, 150.0])
    )
    assert np.all(np.isfinite(np.asarray(grad)))


def test_warp_gradient_is_the_chain_rule_at_whole_and_far_steps():
    """d/dt s(P (t / P)**k) = s'(...) k (t / P)**(k - 1): at whole steps (no
    halving where the fraction is 0) and for periods up to 2**31 - 1 (no NaN
    from the exact split, which carries no derivative)."""
    rows = []
    for P, k, t in [(2**20, 0.5, 1.0), (2**24 + 1, 0.5, 1.0), (2**25, 0.5, 2.0),
                    (100, 0.5, 7.0), (100, 2.0, 70.25), (100, 2.0, 30.0)]:  # fmt: skip
        want = -((t / P) ** (k - 1)) * k / P  # linear(1, 0, P): slope -1/P
        rows.append((warp(jd.linear(1.0, 0.0, P), k, P), t, want))
    for P in (2**26, 2**28, 2**31 - 1):
        rows += [(warp(jd.cosine_decay(1.0, P), k, P), t, None)
                 for k in (0.5, 2.0) for t in (1.0, 2.0, 3.5)]  # fmt: skip
    for lr, t, want in rows:
        got = float(jax.grad(lr)(jnp.float32(t)))
        assert math.isfinite(got), (lr, t)
        if want is not None:
            chex.assert_trees_all_close(got, want, rtol=1e-5, custom_message=f"{t}")


# -- cosine_restarts: cycle_limit and value_mult_mode ------------------------

RESTARTS = [
    (dict(cycle_limit=3), (1.0, 10), dict(limit=3)),
    (dict(value_mult=0.5, end_value=0.2, value_mult_mode="peak"), (1.0, 10),
     dict(vm=0.5, end=0.2, mode="peak")),
    (dict(period_mult=2.0, value_mult=0.5, end_value=0.1, cycle_limit=4,
          value_mult_mode="peak"), (1.0, 10),
     dict(pm=2.0, vm=0.5, end=0.1, limit=4, mode="peak")),
    (dict(period_mult=1.5, value_mult=0.8, cycle_limit=2), (1.0, 10),
     dict(pm=1.5, vm=0.8, limit=2)),
    (dict(period_mult=2.0, end_value=0.05, cycle_limit=40), (1.0, 10),
     dict(pm=2.0, end=0.05, limit=40)),
]  # fmt: skip


class Restarts(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_cycle_limit_and_peak_mode_match_the_formula(self):
        call = self.variant(
            lambda t: [jd.cosine_restarts(*a, **kw)(t) for kw, a, _ in RESTARTS[:3]]
        )
        ints = call(jnp.asarray(STEPS, jnp.int32))
        floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
        for (kwargs, args, rkw), got_int, got_float in zip(
            RESTARTS[:3], ints, floats, strict=True
        ):
            ref = r_restarts(*args, **rkw)
            close(got_int, ref(STEPS), rtol=2e-6, atol=1e-7, msg=kwargs)
            want = ref(FLOAT_STEPS.astype(np.float32))
            close(got_float, want, rtol=2e-6, atol=1e-7, msg=kwargs)


def test_restarts_fractional_and_long_limits():
    call = all_at([jd.cosine_restarts(*a, **kw) for kw, a, _ in RESTARTS[3:]])
    ints = call(jnp.asarray(STEPS, jnp.int32))
    floats = call(jnp.asarray(FLOAT_STEPS, jnp.float32))
    for (kwargs, args, rkw), got_int, got_float in zip(
        RESTARTS[3:], ints, floats, strict=True
    ):
        ref = r_restarts(*args, **rkw)
        close(got_int, ref(STEPS), rtol=2e-6, atol=1e-7, msg=kwargs)
        want = ref(FLOAT_STEPS.astype(np.float32))
        close(got_float, want, rtol=2e-6, atol=1e-7, msg=kwargs)


def test_restarts_defaults_unchanged_and_modes_agree_where_they_should():
    steps = jnp.asarray(STEPS, jnp.int32)
    base = jd.cosine_restarts(1.0, 10, period_mult=2.0, value_mult=0.5, end_value=0.1)
    same = jd.cosine_restarts(1.0, 10, 2.0, 0.5, 0.1, None, "range")
    assert same == base and repr(same) == repr(base)
    assert np.array_equal(np.asarray(same(steps)), np.asarray(base(steps)))
    # with end_value 0 the two modes are the same curve
    a = jd.cosine_restarts(1.0, 10, value_mult=0.5)
    b = jd.cosine_restarts(1.0, 10, value_mult=0.5, value_mult_mode="peak")
    close(b(steps), a(steps), rtol=1e-7)
    # a limit past the step range never holds
    far = jd.cosine_restarts(1.0, 10, cycle_limit=2**40)
    assert np.array_equal(np.asarray(far(steps)), np.asarray(jd.cosine_restarts(
        1.0, 10)(steps)))  # fmt: skip
    assert far.settles_at() is None or far.settles_at() == 10 * 2**40


def test_restarts_settles_breakpoints_and_configs():
    s = jd.cosine_restarts(1.0, 10, cycle_limit=3)
    assert s.settles_at() == 30 and s.breakpoints() == (10, 20, 30)
    g = jd.cosine_restarts(1.0, 10, period_mult=1.5, cycle_limit=3)
    assert g.settles_at() == 48 and g.breakpoints() == (10, 25, 48)  # 47.5 up
    once = jd.cosine_restarts(1.0, 10, period_mult=2.0, cycle_limit=1)
    assert once.breakpoints() == (10,) and once.settles_at() == 10
    assert jd.cosine_restarts(1.0, 10).settles_at() is None
    assert jd.cosine_restarts(1.0, 10).breakpoints() == (10, 20, 30)
    # a limit bounds the table: a period_mult refused alone is fine with it
    with pytest.raises(ValueError, match="cycle_limit of at most 100,000"):
        jd.cosine_restarts(1.0, 1, period_mult=1.0000001)
    t = jd.cosine_restarts(1.0, 1, period_mult=1.0000001, cycle_limit=1000)
    assert at_steps(t, [10**6])[0] == 0.0 and t.settles_at() == math.ceil(
        sum(1.0000001**i for i in range(1000))
    )
    for value in (s, g, jd.cosine_restarts(1.0, 10, 2.0, 0.5, 0.1, 4, "peak")):
        assert jd.from_config(value.to_config()) == value
        assert jd.parse(repr(value)) == value


# -- errors ------------------------------------------------------------------


def fails(func, param, shown):
    """The project's message: ``func: `param` must be ...; got param=shown.``"""
    return rf"^{func}: `{param}` .*; got {param}={re.escape(shown)}\.$"


@pytest.mark.parametrize(
    "build, error, func, name, shown",
    [
        (lambda: power_decay(1.0, 0), ValueError, "power_decay", "timescale", "0"),
        (lambda: power_decay(1.0, -3), ValueError, "power_decay", "timescale", "-3"),
        (lambda: power_decay(1.0, 10, -0.5), ValueError, "power_decay", "power",
         "-0.5"),
        (lambda: power_decay(1.0, 10, float("nan")), ValueError, "power_decay",
         "power", "nan"),
        (lambda: power_decay(1.0, 10, 0.5, -1), ValueError, "power_decay",
         "transition_begin", "-1"),
        (lambda: tanh_decay(1.0, 0), ValueError, "tanh_decay", "decay_steps", "0"),
        (lambda: tanh_decay(1.0, 10, lb=3.0, ub=3.0), ValueError, "tanh_decay",
         "ub", "3.0"),
        (lambda: tanh_decay(1.0, 10, lb=float("-inf")), ValueError, "tanh_decay",
         "lb", "-inf"),
        (lambda: warp(jd.constant(1.0), 0.0, 10), ValueError, "warp", "k", "0.0"),
        (lambda: warp(jd.constant(1.0), 2.0, 0), ValueError, "warp", "period", "0"),
        (lambda: warp(3.0, 2.0, 10), TypeError, "warp", "schedule", "3.0"),
        (lambda: jd.cosine_restarts(1.0, 10, cycle_limit=0), ValueError,
         "cosine_restarts", "cycle_limit", "0"),
        (lambda: jd.cosine_restarts(1.0, 10, cycle_limit=2.5), ValueError,
         "cosine_restarts", "cycle_limit", "2.5"),
        (lambda: jd.cosine_restarts(1.0, 10, value_mult_mode="top"), ValueError,
         "cosine_restarts", "value_mult_mode", "'top'"),
    ],
)  # fmt: skip
def test_errors_name_the_parameter(build, error, func, name, shown):
    with pytest.raises(error, match=fails(func, name, shown)):
        build()


# -- flat graphs ---------------------------------------------------------------


def test_graphs_stay_small():
    """Equations of each jaxpr (int32 and float32 steps): bounded, and the warp
    adds a fixed number to the schedule it reads."""
    for s, most in [
        (power_decay(1.0, 10), 150),
        (power_decay(1.0, 1e-30, 0.5, 10), 160),
        (tanh_decay(1.0, 100, 0.1), 120),
        (jd.cosine_restarts(1.0, 10, cycle_limit=3, value_mult_mode="peak"), 125),
        (jd.cosine_restarts(1.0, 10, 2.0, cycle_limit=3), 150),
    ]:
        for step in (jnp.int32(1), jnp.float32(1.5)):
            assert equations(s, step) <= most, (s, equations(s, step))
    for inner in (jd.cosine_decay(1.0, 100), jd.warmup_cosine_decay(1.0, 10, 90)):
        for step in (jnp.int32(1), jnp.float32(1.5)):
            extra = equations(warp(inner, 2.0, 100), step) - equations(
                inner, jnp.float32(1.5)
            )
            # (with the slope of the warped step given directly: 14 more)
            assert extra <= 190, (inner, extra)
    assert equations(warp(jd.cosine_decay(1.0, 100), 1.0, 100), jnp.int32(1)) == (
        equations(jd.cosine_decay(1.0, 100), jnp.int32(1))
    )


def test_power_decay_is_its_initial_value_exactly_before_it_starts():
    # (1 + 0)**-p is 1 for every timescale, even one far below 2**-62
    for tau in (1e-30, 1e-3, 1.0, 1e30):
        s = jd.power_decay(0.3, tau, power=0.7, transition_begin=5)
        got = at_steps(s, [0, 3, 5])
        assert np.all(got == np.float32(0.3)), (tau, got)
