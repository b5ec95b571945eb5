"""More algebra: ``minimum``/``maximum`` of schedules, ``schedule ** p``,
``clip`` by schedules, warmup shapes, the untuned warmup and timm's noise.

Values are checked against float64 NumPy references written here from the
documented formulas, eager and jitted, at integer and fractional steps, at
``rtol=1e-5`` (float32 against float64: a few ulp per operation).  The noise
is checked by its rules (the same value in every evaluation, per whole step,
inside its bounds, only in its window) and by its sample moments over 4,096
steps against the truncated normal's and the uniform's (5 standard errors).
"""

from __future__ import annotations

import math
import pickle

import catalog
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay._compose.compose import maximum, minimum, untuned_warmup, warmup
from jaxdecay._compose.noise import noise

RTOL = 1e-5
N = 64
STEPS = np.arange(N, dtype=np.int32) * 2
FLOAT_STEPS = (STEPS + np.resize([0.25, 0.5, 0.75], N)).astype(np.float32)

COS = jd.cosine_decay(1.0, 100)
LIN = jd.linear(0.0, 1.0, 50)
DOWN = jd.linear(-2.0, 2.0, 100)  # crosses zero at step 50


def r_cos(t, init=1.0, steps=100, end=0.0):
    return end + (init - end) * (1 + np.cos(np.pi * np.minimum(t, steps) / steps)) / 2


def r_lin(t, a=0.0, b=1.0, steps=50):
    return a + (b - a) * np.minimum(t, steps) / steps


def r_down(t):
    return r_lin(t, -2.0, 2.0, 100)


def close(got, want, rtol=RTOL, atol=0.0, msg=""):
    chex.assert_trees_all_close(
        np.asarray(got, np.float64),
        np.asarray(want, np.float64),
        rtol=rtol,
        atol=atol,
        custom_message=msg,
    )


def round_trips(value):
    assert jd.from_config(value.to_config()) == value, value.to_config()
    assert jd.parse(repr(value)) == value, repr(value)
    again = pickle.loads(pickle.dumps(value))
    assert again == value and hash(again) == hash(value)


def padded(steps):
    """``steps`` padded to ``N`` entries: every eager evaluation here is on
    one shape (``N``, int32 or float32)."""
    return catalog.padded(steps, N)


def value_of(schedule, t):
    return schedule(t)


# One program per structure of schedule and kind of step (eager dispatch of a
# noise draw is op by op, and slow).  The jitted variants below jit this same
# function, so equal structures share one program across the tests.
ev = jax.jit(value_of)


def equations(schedule):
    return len(jax.make_jaxpr(schedule)(jnp.int32(1)).eqns)


# -- every new value against its reference -------------------------------------------

CASES = [
    ("minimum", minimum(COS, LIN, 0.8),
     lambda t: np.minimum(np.minimum(r_cos(t), r_lin(t)), 0.8)),
    ("maximum", maximum(COS, LIN, 0.2),
     lambda t: np.maximum(np.maximum(r_cos(t), r_lin(t)), 0.2)),
    ("min-alike", minimum(*[jd.cosine_decay(v, 100) for v in (1.0, 0.5, 2.0)]),
     lambda t: r_cos(t, 0.5)),
    ("pow-2", DOWN ** 2, lambda t: r_down(t) ** 2),
    ("pow-3", DOWN ** 3, lambda t: r_down(t) ** 3),
    ("pow-half", DOWN ** 0.5, lambda t: np.sqrt(np.maximum(r_down(t), 0))),
    ("pow-1.5", COS ** 1.5, lambda t: r_cos(t) ** 1.5),
    ("pow-neg", (COS + 1.0) ** -1.0, lambda t: 1 / (r_cos(t) + 1)),
    ("clip-schedules", jd.clip(COS, min_value=LIN * 0.5, max_value=0.9),
     lambda t: np.minimum(np.maximum(r_cos(t), 0.5 * r_lin(t)), 0.9)),
    ("clip-both-schedules", jd.clip(jd.constant(0.5), LIN * 0.25, COS),
     lambda t: np.minimum(np.maximum(0.5, 0.25 * r_lin(t)), r_cos(t))),
    ("warmup-cosine", warmup(COS, 20, 0.1, "cosine"),
     lambda t: np.where(t < 20, 0.1 + 0.9 * (1 - np.cos(np.pi * t / 20)) / 2,
                        r_cos(np.maximum(t - 20, 0)))),
    ("warmup-exponential", warmup(COS, 20, 0.01, "exponential"),
     lambda t: np.where(t < 20, 0.01 * 100.0 ** (t / 20),
                        r_cos(np.maximum(t - 20, 0)))),
    ("untuned", untuned_warmup(COS, 0.98),
     lambda t: r_cos(t) * np.minimum(1.0, 0.01 * (t + 1))),
]  # fmt: skip


class Variants(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_every_value_matches_its_reference(self):
        # One call (one program) per schedule and kind of step: XLA compiles
        # them in about a third less time apart than all in one program.
        call = self.variant(value_of)
        for steps in (STEPS, FLOAT_STEPS):
            got = [call(s, jnp.asarray(steps)) for _, s, _ in CASES]
            t = steps.astype(np.float64)
            for value, (name, _, want) in zip(got, CASES, strict=True):
                close(value, want(t), atol=1e-7, msg=name)

    @chex.variants(with_jit=True, without_jit=True)
    def test_noise_is_the_same_under_jit_and_per_step(self):
        lr = noise(COS, 1.0, 7, pct=0.67, start=10, end=100)
        whole = self.variant(value_of)(lr, jnp.asarray(STEPS))
        one = np.array([float(lr(int(t))) for t in STEPS[5:8]])
        np.testing.assert_array_equal(np.asarray(whole)[5:8], one)


def test_vmap_over_steps_matches_the_array_call():
    schedules = [s for _, s, _ in CASES] + [noise(COS, 0.5, 3, pct=0.9)]
    # One program for all the schedules under vmap; the array calls are the
    # jitted variant's programs for the CASES (the same function, structures
    # and steps: compiled once).
    mapped = jax.jit(lambda ss, t: [jax.vmap(s)(t) for s in ss])(schedules, STEPS)
    whole = [ev(s, jnp.asarray(STEPS)) for s in schedules]
    for name, a, b in zip(
        [c[0] for c in CASES] + ["noise"], mapped, whole, strict=True
    ):
        # Two programs: equal up to an ulp of fused float arithmetic.
        close(a, b, rtol=1e-6, atol=1e-7, msg=name)


def test_every_new_value_round_trips_through_config_repr_and_pickle():
    for _, value, _ in CASES:
        round_trips(value)
        assert (DOWN ** 2).to_config() == {
            "name": "arithmetic", "op": "**", "lhs": DOWN.to_config(), "rhs": 2.0,
        }  # fmt: skip
    for value in (
        noise(COS, 1.0, 42, pct=0.67, start=5, end=50),
        noise(COS, 0.1, jax.random.PRNGKey(3)),
        noise(COS, 0.1, jax.random.key(2**40), pct=0.2, noise_type="uniform"),
        warmup(COS, 10, shape="cosine"),
        maximum(COS, jd.constant(0.1)),
    ):
        round_trips(value)


def test_reprs_read_as_written():
    assert repr(minimum(COS, 0.5)) == f"minimum({COS!r}, 0.5)"
    assert repr(maximum(COS, LIN)) == f"maximum({COS!r}, {LIN!r})"
    assert repr(COS**2) == f"({COS!r} ** 2.0)"
    assert repr(noise(COS, 1.0, 42, pct=0.5)) == (
        f"noise(schedule={COS!r}, std=1.0, key=42, pct=0.5)"
    )
    assert repr(noise(COS, 1.0, jax.random.PRNGKey(9))).endswith("key=[0, 9])")


# -- minimum and maximum ----------------------------------------------------------


def test_extrema_are_flat_and_merge_their_terms():
    a, b, c = COS, LIN, jd.constant(0.3)
    assert minimum(minimum(a, b), c) == minimum(a, b, c)
    assert minimum([a, b, c]) == minimum(a, b, c)  # as Python's min([...])
    assert maximum(minimum(a, b), c).schedules == (minimum(a, b), c)
    assert minimum(a, b, c).breakpoints() == (50, 100)
    assert minimum(a, b).settles_at() == 100
    assert minimum(a, jd.exponential_decay(1.0, 0.9)).settles_at() is None
    assert jd.from_config({"name": "minimum", "schedules": [repr(a), 0.5]}) == minimum(
        a, 0.5
    )


def test_extrema_keep_subnormal_values_and_nans():
    # At every step of STEPS (the shape of the other eager evaluations).
    tiny = 1e-40  # float32 subnormal: XLA's min would flush it to 0
    got = minimum(jd.constant(tiny), jd.constant(1.0), 2.0)(STEPS)
    assert np.all(np.asarray(got) == np.float32(tiny))
    many = minimum(*[jd.constant(v) for v in (1.0, tiny, 0.5)])
    assert np.all(np.asarray(many(STEPS)) == np.float32(tiny))
    nan = maximum(jd.from_fn(lambda t: jnp.float32(jnp.nan)), COS)
    assert np.all(np.isnan(np.asarray(nan(STEPS))))


def test_an_extremum_of_a_thousand_alike_schedules_is_a_flat_graph():
    """Alike terms are evaluated once under vmap: 1000 cost as many equations
    as 3, and a minimum costs about what a sum does."""

    def terms(k):
        return [jd.cosine_decay(1.0 + i / k, 100 + i) for i in range(k)]

    three, thousand = equations(minimum(*terms(3))), equations(minimum(*terms(1000)))
    assert three == thousand, (three, thousand)
    assert equations(maximum(*terms(1000))) == thousand
    assert thousand <= equations(sum(terms(1000))) + 12
    got = np.asarray(ev(minimum(*terms(1000)), STEPS))
    want = np.min([r_cos(STEPS, 1.0 + i / 1000, 100 + i) for i in range(1000)], axis=0)
    close(got, want, atol=1e-7)


def test_an_extremum_through_jit_keeps_its_terms():
    lr = minimum(COS, LIN, 0.8)
    leaves = jax.tree_util.tree_leaves(lr)
    back = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(lr), leaves)
    assert back == lr
    swept = jax.jit(jax.vmap(lambda v: minimum(jd.constant(v), COS)(0)))(
        jnp.array([0.5, 2.0])
    )
    close(swept, [0.5, 1.0])


# -- schedule ** p ------------------------------------------------------------------


def test_power_saturates_instead_of_inf_and_never_nans():
    big = np.finfo(np.float32).max
    lr = DOWN**-1.0
    at_50, at_0 = np.asarray(lr(padded(np.array([50, 0], np.int32))))[:2]
    assert at_50 == big  # 0 ** -1
    assert at_0 == -0.5
    frac = DOWN**-0.5  # a negative value reads as 0: 0 ** -0.5
    assert np.all(np.asarray(ev(frac, padded(np.arange(0, 50, dtype=np.int32)))) == big)
    assert not np.any(np.isnan(np.asarray(ev(DOWN**0.3, STEPS))))
    swept = jax.jit(jax.vmap(lambda p: (DOWN**p)(0)))(jnp.array([2.0, 3.0, 0.5]))
    close(swept, [4.0, -8.0, 0.0])


def test_power_refuses_schedules_as_exponents():
    with pytest.raises(TypeError, match=r"the exponent of a schedule must be a number"):
        COS**LIN
    with pytest.raises(TypeError, match=r"a schedule cannot be an exponent"):
        2.0**COS
    with pytest.raises(TypeError, match=r"`rhs` must be a number"):
        jd.from_config({"name": "arithmetic", "op": "**", "lhs": repr(COS),
                        "rhs": repr(LIN)})  # fmt: skip
    with pytest.raises(ValueError, match=r"`rhs` must be finite; got rhs=inf"):
        COS**math.inf


# -- clip by schedules ----------------------------------------------------------------


def test_clip_by_numbers_is_unchanged_and_by_schedules_merges_breakpoints():
    old = jd.clip(COS, min_value=0.1)
    assert repr(old) == f"clip(schedule={COS!r}, min_value=0.1)"
    assert old.to_config() == {"name": "clip", "schedule": COS.to_config(),
                               "min_value": 0.1}  # fmt: skip
    both = jd.clip(COS, min_value=LIN * 0.1, max_value=jd.linear(1.0, 0.5, 30))
    assert both.breakpoints() == (30, 50, 100)
    assert both.settles_at() == 100
    # Bounds that cross: no check for schedules; the upper bound wins.
    crossed = jd.clip(COS, min_value=jd.constant(0.9), max_value=jd.constant(0.2))
    assert float(crossed(0)) == np.float32(0.2)


# -- warmup shapes --------------------------------------------------------------------


def test_the_linear_warmup_is_unchanged():
    lr = warmup(COS, 20, 0.1)
    assert lr == warmup(COS, 20, 0.1, "linear")
    assert "shape" not in repr(lr) and "shape" not in lr.to_config()
    t = FLOAT_STEPS.astype(np.float64)
    want = np.where(t < 20, 0.1 + 0.9 * t / 20, r_cos(np.maximum(t - 20, 0)))
    close(lr(FLOAT_STEPS), want, atol=1e-7)


def test_exponential_warmup_is_linear_where_the_target_is_not_positive():
    # The target (the schedule's first value) is known only when evaluated.
    up = jd.linear(-1.0, 1.0, 10)
    lr = warmup(up, 10, 0.5, "exponential")
    want = np.where(STEPS < 10, 0.5 - 1.5 * STEPS / 10, r_lin(STEPS - 10, -1, 1, 10))
    close(lr(STEPS), want, atol=1e-7)
    zero = warmup(jd.constant(0.0), 10, 0.5, "exponential")
    assert not np.any(np.isnan(np.asarray(zero(FLOAT_STEPS))))
    # A traced init_value that is not positive: the linear ramp, not a NaN.
    got = jax.jit(jax.vmap(lambda v: warmup(COS, 10, v, "exponential")(5)))(
        jnp.array([-1.0, 0.25])
    )
    close(got, [0.0, 0.5], atol=1e-7)
    assert warmup(COS, 10, 0.01, "exponential").breakpoints() == (10, 110)


# -- the untuned warmup ------------------------------------------------------------


def test_untuned_warmup_follows_ma_and_yarats():
    lr = untuned_warmup(jd.constant(1.0), 0.999)
    # omega_tau = min(1, (1 - b2) tau / 2), tau = step + 1: 1 from step 1999
    got = np.asarray(lr(padded(np.array([0, 1, 999, 1998, 1999, 10**9], np.int32))))
    got = got[:6]
    close(got, [0.0005, 0.001, 0.5, 0.9995, 1.0, 1.0])
    assert got[4] == 1.0 and got[5] == 1.0
    assert lr.breakpoints() == (1999,) and lr.settles_at() == 1999
    odd = untuned_warmup(jd.constant(1.0), 0.997)  # 2 / (1 - b2) = 666.67 steps
    assert odd.breakpoints() == (666,)
    close(np.asarray(odd(padded(np.array([665, 666], np.int32))))[:2], [0.999, 1.0])
    assert untuned_warmup(COS, 0.9).settles_at() == 100
    tenth = untuned_warmup(jd.constant(1.0), 0.9)  # 2 / (1 - 0.9): 20 steps
    assert tenth.breakpoints() == (19,)
    got = tenth(padded(np.array([18.0, 18.5, 19.0, 19.25, 20.5], np.float32)))
    got = np.asarray(got)[:5]
    close(got, [0.95, 0.975, 1.0, 1.0, 1.0])
    assert np.all(got <= 1.0)


# -- noise ---------------------------------------------------------------------------


def test_noise_follows_its_window_and_reads_whole_steps():
    lr = noise(COS, 1.0, 5, pct=0.5, start=10, end=40)
    t = np.arange(60)
    ratio = np.asarray(ev(lr, t), np.float64) / r_cos(t)
    np.testing.assert_allclose(ratio[:10], 1.0, rtol=1e-6)
    np.testing.assert_allclose(ratio[40:], 1.0, rtol=1e-6)
    inside = ratio[10:40] - 1
    assert np.all(np.abs(inside) < 0.5 + 1e-6) and np.all(np.abs(inside) > 0)
    assert len(set(np.round(inside, 5))) == 30  # a new draw every step
    half = t[10:40] + 0.5
    ratio_half = np.asarray(ev(lr, half.astype(np.float32)), np.float64) / r_cos(half)
    np.testing.assert_allclose(ratio_half - 1, inside, rtol=1e-4, atol=1e-6)
    assert lr.breakpoints() == (10, 40, 100) and lr.settles_at() == 100
    assert noise(COS, 1.0, 5).settles_at() is None


def test_every_form_of_a_key_gives_the_same_noise():
    t = np.arange(0, 200, 7)
    seed = noise(COS, 1.0, 11, pct=0.67)
    for key in (jax.random.PRNGKey(11), jax.random.key(11), [0, 11], np.int64(11)):
        other = noise(COS, 1.0, key, pct=0.67)
        assert other == seed or other.key.tolist() == [0, 11]
        close(ev(other, t), ev(seed, t), rtol=1e-6)  # the same draws
    assert not np.array_equal(
        np.asarray(ev(noise(COS, 1.0, 12, pct=0.67), t)), np.asarray(ev(seed, t))
    )
    # A seed past 32 bits is read as jax.random.key reads it with x64.
    assert noise(COS, 1.0, 2**40 + 3).to_config()["key"] == 2**40 + 3
    wide = noise(COS, 1.0, [256, 3], pct=0.67)
    close(ev(wide, t), ev(noise(COS, 1.0, 2**40 + 3, pct=0.67), t), rtol=1e-6)
    swept = jax.jit(jax.vmap(lambda k: noise(COS, 1.0, k, pct=0.67)(t)))(
        jnp.array([11, 12])
    )
    close(swept[0], ev(seed, t), rtol=1e-6)


def _truncated_normal_moments(std, pct):
    a = pct / std
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    return 0.0, std * math.sqrt(1 - 2 * a * phi / mass)


@pytest.mark.parametrize(
    "std, pct, kind",
    [(1.0, 0.67, "normal"), (0.1, 0.5, "normal"), (0.3, None, "normal"),
     (1.0, 0.4, "uniform")],
)  # fmt: skip
def test_noise_has_the_moments_of_its_distribution(std, pct, kind):
    count = 4096
    lr = noise(jd.constant(1.0), std, 2024, pct=pct, noise_type=kind)
    n = np.asarray(ev(lr, np.arange(count)), np.float64) - 1.0
    if kind == "uniform":
        mean, sd = 0.0, pct / math.sqrt(3)
    elif pct is None:
        mean, sd = 0.0, std
    else:
        mean, sd = _truncated_normal_moments(std, pct)
    if pct is not None:
        assert np.max(np.abs(n)) < pct
    assert abs(n.mean() - mean) < 5 * sd / math.sqrt(count)
    assert abs(n.std() / sd - 1) < 5 / math.sqrt(2 * count)


def test_noise_graph_does_not_depend_on_the_window():
    assert equations(noise(COS, 1.0, 1, pct=0.5)) == equations(
        noise(COS, 1.0, 1, pct=0.5, start=10**6)
    )


# -- bad input -----------------------------------------------------------------------

BAD = [
    (lambda: minimum(COS), ValueError,
     r"^minimum: `schedules` must be at least two schedules or numbers; got "),
    (lambda: maximum(COS, "x"), TypeError,
     r"^maximum: `schedules\[1\]` must be a schedule or a number; got "
     r"schedules\[1\]='x'\.$"),
    (lambda: minimum(COS, math.nan), ValueError, r"`schedules\[1\]` .*got .*nan"),
    (lambda: minimum(COS, schedules=[COS]), TypeError,
     r"^minimum: takes its schedules as positional arguments"),
    (lambda: jd.clip(COS, min_value="0.1"), TypeError,
     r"^clip: `min_value` must be a number or a schedule; got min_value='0.1'\.$"),
    (lambda: warmup(COS, 10, shape="exponential"), ValueError,
     r"^warmup: `init_value` must be > 0 for shape='exponential' .*; got "
     r"init_value=0\.0\.$"),
    (lambda: warmup(COS, 10, 0.1, shape="cubic"), ValueError, r"^warmup: `shape`"),
    (lambda: untuned_warmup(COS, 1.0), ValueError,
     r"^untuned_warmup: `b2` must be .*; got b2=1\.0\.$"),
    (lambda: untuned_warmup(COS, 0.0), ValueError, r"^untuned_warmup: `b2`"),
    (lambda: noise(COS, -1.0, 0), ValueError,
     r"^noise: `std` must be .*; got std=-1\.0\.$"),
    (lambda: noise(COS, 1.0, 0.5), TypeError, r"^noise: `key` must be a JAX PRNG key"),
    (lambda: noise(COS, 1.0, -1), ValueError, r"^noise: `key` .*; got key=-1\.$"),
    (lambda: noise(COS, 1.0, [1, 2, 3]), TypeError, r"^noise: `key`"),
    (lambda: noise(COS, 1.0, jnp.zeros(3, jnp.uint32)), TypeError, r"^noise: `key`"),
    (lambda: noise(COS, 1.0, 0, noise_type="uniform"), ValueError,
     r"^noise: `pct` must be a number > 0 for noise_type='uniform'"),
    (lambda: noise(COS, 1.0, 0, pct=0.0), ValueError, r"^noise: `pct`"),
    (lambda: noise(COS, 1.0, 0, start=10, end=10), ValueError,
     r"^noise: `end` must be None or a step after start=10; got end=10\.$"),
]  # fmt: skip


@pytest.mark.parametrize("i", range(len(BAD)))
def test_bad_input_is_refused_naming_the_parameter(i):
    build, error, match = BAD[i]
    with pytest.raises(error, match=match):
        build()


def test_traced_parameters_are_not_checked():
    # Traced under vmap and jit (one program each, not eager op by op).
    jax.jit(jax.vmap(lambda v: warmup(COS, 10, v, "exponential")(0)))(
        jnp.array([0.0, 1.0])
    )
    jax.jit(jax.vmap(lambda b: untuned_warmup(COS, b)(0)))(jnp.array([0.9, 0.99]))
    jax.jit(jax.vmap(lambda p: noise(COS, 1.0, 0, pct=p)(0)))(jnp.array([0.1, 0.2]))


def test_noise_draws_are_jax_randoms_numbers():
    # the hash written out (unrolled, so that it fuses) is jax.random's,
    # bit for bit under jit; the normal draws agree to an ulp or two
    from jaxdecay._compose import noise as _noise

    def keys(s, base):
        key = jax.random.wrap_key_data(base, impl="threefry2x32")
        return jax.random.fold_in(jax.random.fold_in(key, s.astype(jnp.uint32)), 0)

    def theirs(s, base):
        return jax.random.uniform(keys(s, base), (), jnp.float32, -0.3, 0.3)

    def ours(s, base):
        return _noise._uniform(_noise._step_key(base, s), -0.3, 0.3)

    def their_normal(s, base):
        return jax.random.normal(keys(s, base), ())

    def ours_normal(s, base):
        return _noise._truncated_normal(_noise._step_key(base, s), jnp.inf)

    # The key data are an argument: one program each for all the seeds.
    theirs, their_normal = (
        jax.jit(jax.vmap(f, (0, None))) for f in (theirs, their_normal)
    )
    ours, ours_normal = jax.jit(ours), jax.jit(ours_normal)
    steps = jnp.asarray(np.random.default_rng(0).integers(0, 2**31 - 1, 500), jnp.int32)
    for seed in (0, 7, 2**40 + 5):
        base = _noise._key_data(seed)
        chex.assert_trees_all_equal(
            theirs(steps, base), ours(steps, base), custom_message=str(seed)
        )
        chex.assert_trees_all_close(
            ours_normal(steps, base),
            their_normal(steps, base),
            rtol=1e-6,
            atol=1e-7,
            custom_message=str(seed),
        )


def test_parts_past_the_float_range_never_make_nan():
    """A part whose value overflows reads as the largest float in what
    combines it: a difference of equal saturated sums is 0, a product with a
    factor of 0 is 0, and ``s ** 0`` has the slope 0 everywhere.  (Slopes
    where a value saturates are not checked: the largest float is flat there,
    and a part past it has no finite slope.)"""
    big = float(np.finfo(np.float32).max)
    huge = jd.constant(3e38) + 3e38  # past float32: the largest float
    at = padded(np.array([5, 10, 11], np.int32))
    cases = [
        (huge - huge, [0.0, 0.0, 0.0]),
        (jd.warmup(huge, 10), [big / 2, big, big]),
        ((jd.constant(3e38) * 2) * jd.linear(1.0, 0.0, 10), [big, 0.0, 0.0]),
        (jd.linear(3e38, 0, 10) * jd.linear(3e38, 0, 10) * jd.linear(1, 0, 10),
         [big, 0.0, 0.0]),
    ]  # fmt: skip
    for lr, want in cases:
        for got in (lr(at), ev(lr, at)):
            got = np.asarray(got, np.float64)[:3]
            assert np.all(np.isfinite(got)), (lr, got)
            chex.assert_trees_all_close(got, np.array(want), rtol=1e-6)
    zeroth = jd.linear(1.0, -1.0, 10) ** 0  # 0 at step 5
    chex.assert_trees_all_close(
        np.asarray(jax.vmap(jax.grad(zeroth))(at.astype(np.float32))), np.zeros(N)
    )
