"""``jaxdecay.keras`` against Keras's own rates (``tests/fixtures/keras.json``,
written by ``scripts/fixtures_keras.py`` from Keras 3.15.1, JAX backend, x64 and
floatx float64).

Tolerances: ``rtol=1e-6`` in float32 and ``rtol=1e-12`` with x64, against
Keras's float64 values.  Rates that fall to (near) zero (the bottom of a cosine,
``alpha=0``) make a relative tolerance meaningless, so every comparison also
allows ``atol = rtol * max|values|`` of its case.

Keras's JAX backend computes ``cos`` in float32 even in float64 mode, so the
``CosineDecay``/``CosineDecayRestarts`` cases (and those with an integer
``initial_learning_rate``) are marked ``"dtype": "float32"``: their ``values``
are compared at the float32 tolerance only, and their ``values_float64`` (Keras's
code run with a float64 ``cos``) at the tolerance of the test.  Keras itself is
not needed.
"""

from __future__ import annotations

import collections
import pickle

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import peers
import pytest

import jaxdecay as jd
import jaxdecay.keras as jk

DOC = peers.load("keras")
CASES = DOC["cases"]
RTOL32, RTOL64 = 1e-6, 1e-12

# Every case is evaluated on the same steps (then cut to its length, on the
# host: slicing a JAX array compiles a program per length), so cases share
# compiled code: eagerly each operation compiles once for all cases, and under
# jit a few programs per mode serve every case (``peers.each``).
STEPS = 1536
assert max(len(c["values"]) for c in CASES) <= STEPS


def ids(cases):
    return [c["id"] for c in cases]


def build(case):
    return peers.build(case, jk)


@peers.per_mode
def jitted(mode):
    """Every case's schedule (or its build error) and its values on the steps,
    from a few jitted programs per mode ("x64": built and run with x64,
    float64 host constants)."""
    return peers.jitted_cases(build, CASES, jnp.arange(STEPS))


def result(mode, case):
    """A case's rates from ``jitted(mode)``, cut to its length."""
    return peers.rates(jitted(mode), case)


def eager(schedule, n):
    """The first ``n`` rates of ``schedule``, evaluated eagerly on the steps."""
    return np.asarray(schedule(jnp.arange(STEPS)))[:n]


def check_case(got, case, rtol):
    """Against Keras's float64 values; a float32 case's Keras values at the
    float32 tolerance, and its float64 reference (if any) at ``rtol``."""
    if case.get("dtype") == "float32":
        peers.check(got, case["values"], RTOL32)
        if "values_float64" in case:
            peers.check(got, case["values_float64"], rtol)
    else:
        peers.check(got, case["values"], rtol)


# -- the fixtures -------------------------------------------------------------


def test_fixtures_come_from_keras():
    assert DOC["peer"] == "keras"
    assert DOC["version"] == "3.15.1"


def test_every_name_has_several_configurations():
    counts = collections.Counter(c["name"] for c in CASES)
    assert set(counts) == set(jk.__all__)
    assert min(counts.values()) >= 6, counts


def test_only_the_cosine_cases_and_integer_rates_are_float32():
    for case in CASES:
        init = (case["args"] or [case["kwargs"].get("initial_learning_rate")])[0]
        cosine = case["name"] in ("CosineDecay", "CosineDecayRestarts")
        integer = isinstance(init, int)
        marked = case.get("dtype") == "float32"
        assert marked if cosine else (marked <= integer), case["id"]
        assert ("values_float64" in case) == (cosine and not integer), case["id"]


# -- values -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_matches_keras(case, mode):
    if mode == "eager":
        schedule = build(case)
        assert isinstance(schedule, jd.Schedule)
        got = eager(schedule, len(case["values"]))
    else:
        got = result("float32", case)
    assert got.dtype == jnp.float32
    check_case(got, case, RTOL32)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_matches_keras_x64(case):
    """Jitted (the float32 test covers eager evaluation)."""
    got = result("x64", case)  # built with x64 on: float64 host constants
    assert got.dtype == jnp.float64
    check_case(got, case, RTOL64)


# -- built on the core ----------------------------------------------------------

CORE = {
    "ExponentialDecay": (jk.ExponentialDecay(0.1, 10, 0.9), jd.exponential_decay),
    "PiecewiseConstantDecay": (
        jk.PiecewiseConstantDecay([10], [0.1, 0.01]),
        jd.piecewise_constant,
    ),
    "PolynomialDecay": (jk.PolynomialDecay(0.1, 10), jd.polynomial_decay),
    "InverseTimeDecay": (jk.InverseTimeDecay(0.1, 10, 0.5), jd.inverse_time_decay),
    "CosineDecay": (jk.CosineDecay(0.1, 10), jd.cosine_decay),
    "CosineDecay-warmup": (
        jk.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=5),
        jd.warmup,
    ),
    "CosineDecayRestarts": (
        jk.CosineDecayRestarts(0.1, 10),
        jd.cosine_restarts,
    ),
}


@pytest.mark.parametrize("name", list(CORE))
def test_each_port_is_a_core_schedule(name):
    schedule, core = CORE[name]
    assert type(schedule) is core
    assert pickle.loads(pickle.dumps(schedule)) == schedule


def test_the_ports_are_the_core_schedules_they_document():
    assert jk.ExponentialDecay(0.1, 3, 0.5, staircase=True) == jd.exponential_decay(
        0.1, 0.5, transition_steps=3, staircase=True
    )
    assert jk.PiecewiseConstantDecay([10, 20.5], [3.0, 2.0, 1.0]) == (
        jd.piecewise_constant([11, 21], [3.0, 2.0, 1.0])
    )
    assert jk.PolynomialDecay(0.1, 10, cycle=True) == jd.polynomial_decay(
        0.1, 0.0001, 10, cycle=True
    )
    assert jk.CosineDecay(2.0, 10, alpha=0.25) == jd.cosine_decay(
        2.0, 10, end_value=0.5
    )
    assert jk.CosineDecay(0.0, 10, 0.5, warmup_target=2.0, warmup_steps=4) == (
        jd.warmup(jd.cosine_decay(2.0, 10, end_value=1.0), 4)
    )
    assert jk.CosineDecayRestarts(2.0, 10, 1.5, 0.5, 0.25) == jd.cosine_restarts(
        2.0, 10, period_mult=1.5, value_mult=0.5, end_value=0.5
    )


def test_name_is_accepted_and_ignored():
    assert jk.ExponentialDecay(0.1, 10, 0.9, name="x") == jk.ExponentialDecay(
        0.1, 10, 0.9
    )
    assert jk.PiecewiseConstantDecay([1], [1.0, 2.0], "y") == (
        jk.PiecewiseConstantDecay([1], [1.0, 2.0])
    )


# -- the quirks -------------------------------------------------------------------


def test_piecewise_value_starts_one_step_after_its_boundary():
    lr = jk.PiecewiseConstantDecay([100, 110, 120], [1.0, 0.1, 0.01, 0.001])
    got = eager(lr, STEPS)[[0, 100, 101, 110, 111, 120, 121]]
    np.testing.assert_allclose(got, [1.0, 1.0, 0.1, 0.1, 0.01, 0.01, 0.001])


def test_polynomial_cycle_step_zero_and_multiples():
    lr = jk.PolynomialDecay(0.05, 10, 0.001, cycle=True)
    got = eager(lr, STEPS)[[0, 10, 11, 20, 21]].astype(np.float64)
    want = [0.05, 0.001, 0.049 * 9 / 20 + 0.001, 0.001, 0.049 * 9 / 30 + 0.001]
    np.testing.assert_allclose(got, want, rtol=RTOL32)


def test_cosine_restarts_follow_the_exact_rule_at_restarts():
    """Keras in float32 computes step 10 as the end of cycle 0 (0.0); Keras's
    JAX backend in float64 and the exact rule restart there."""
    lr = jk.CosineDecayRestarts(1.0, 10, t_mul=1.25, m_mul=0.5)
    np.testing.assert_allclose(float(lr(10)), 0.5, rtol=RTOL32)
    case = next(c for c in CASES if c["id"] == "CosineDecayRestarts-tmul-1.25")
    assert case["values"][10] == pytest.approx(0.5)


def test_fractional_cycle_starts_take_over_at_the_next_step():
    # t_mul=1.5, first_decay_steps=10: cycle 2 starts at 25, cycle 3 at 47.5.
    lr = jk.CosineDecayRestarts(1.0, 10, t_mul=1.5, m_mul=0.5)
    got = eager(lr, STEPS)[[24, 25, 47, 48]].astype(np.float64)
    assert got[1] == pytest.approx(0.25) and got[0] < 0.01
    assert got[2] < 0.01 and got[3] == pytest.approx(
        0.125 * 0.5 * (1 + np.cos(np.pi * 0.5 / 33.75)), rel=RTOL32
    )


def test_integer_initial_rate_is_accepted_when_nothing_truncates():
    assert jk.ExponentialDecay(1, 4, 2) == jk.ExponentialDecay(1.0, 4, 2)
    assert jk.PolynomialDecay(1, 10, 0, power=2) == jk.PolynomialDecay(
        1.0, 10, 0.0, power=2.0
    )


# -- bad input ------------------------------------------------------------------

BAD = [
    # Keras's own checks
    (lambda: jk.ExponentialDecay(0.1, 0, 0.9), ValueError, r"decay_steps=0\.$"),
    (lambda: jk.ExponentialDecay(0.1, -5, 0.9), ValueError, r"decay_steps=-5\.$"),
    (lambda: jk.PolynomialDecay(0.1, 0), ValueError, r"decay_steps=0\.$"),
    (lambda: jk.InverseTimeDecay(0.1, -1.0, 0.5), ValueError, r"decay_steps=-1\.0"),
    (lambda: jk.CosineDecay(0.1, 0), ValueError, r"decay_steps=0\.$"),
    (
        lambda: jk.CosineDecayRestarts(0.1, 0),
        ValueError,
        r"first_decay_steps=0\.$",
    ),
    (
        lambda: jk.PiecewiseConstantDecay([10, 20], [1.0, 0.5]),
        ValueError,
        r"^PiecewiseConstantDecay: `boundaries` must have one entry fewer than "
        r"`values` .*got boundaries=\[10\.0, 20\.0\] of length 2 and "
        r"values=\[1\.0, 0\.5\] of length 2\.$",
    ),
    # Accepted by Keras, not represented here
    (
        lambda: jk.PiecewiseConstantDecay([], [1.0]),
        ValueError,
        r"Keras fails on an empty list.*; got boundaries=\[\]\.$",
    ),
    (
        lambda: jk.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]),
        ValueError,
        r"non-decreasing .*got boundaries=\[20\.0, 10\.0\]\.$",
    ),
    (
        lambda: jk.ExponentialDecay(0.1, 2.5, 0.9, staircase=True),
        ValueError,
        r"^ExponentialDecay: `decay_steps` must be a whole number of steps "
        r"\(with `staircase=True`.*; got decay_steps=2\.5\.$",
    ),
    (
        lambda: jk.InverseTimeDecay(0.1, 2.5, 0.9, staircase=True),
        ValueError,
        r"^InverseTimeDecay: `decay_steps` must be a whole .*decay_steps=2\.5\.$",
    ),
    (
        lambda: jk.ExponentialDecay(0.1, 10, 0.0),
        ValueError,
        r"^ExponentialDecay: `decay_rate` must be positive .*decay_rate=0\.0\.$",
    ),
    (
        lambda: jk.InverseTimeDecay(0.1, 10, -0.5),
        ValueError,
        r"^InverseTimeDecay: `decay_rate` .*decay_rate=-0\.5\.$",
    ),
    (
        lambda: jk.PolynomialDecay(0.1, 10.5),
        ValueError,
        r"^PolynomialDecay: `decay_steps` must be a whole .*decay_steps=10\.5\.$",
    ),
    (
        lambda: jk.PolynomialDecay(0.1, 10, power=0.0),
        ValueError,
        r"^PolynomialDecay: `power` must be positive .*power=0\.0\.$",
    ),
    (
        lambda: jk.CosineDecay(0.1, 10.5),
        ValueError,
        r"^CosineDecay: `decay_steps` .*decay_steps=10\.5\.$",
    ),
    (
        lambda: jk.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=2.5),
        ValueError,
        r"^CosineDecay: `warmup_steps` must be a whole .*warmup_steps=2\.5\.$",
    ),
    (
        lambda: jk.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=-1),
        ValueError,
        r"^CosineDecay: `warmup_steps` .*warmup_steps=-1\.$",
    ),
    (
        lambda: jk.CosineDecayRestarts(0.1, 10, t_mul=0.5),
        ValueError,
        r"^CosineDecayRestarts: `t_mul` must be finite and >= 1 .*t_mul=0\.5\.$",
    ),
    (
        lambda: jk.CosineDecayRestarts(0.1, 10, m_mul=0.0),
        ValueError,
        r"^CosineDecayRestarts: `m_mul` must be positive .*m_mul=0\.0\.$",
    ),
    (
        lambda: jk.CosineDecayRestarts(0.1, 10.5),
        ValueError,
        r"^CosineDecayRestarts: `first_decay_steps` .*first_decay_steps=10\.5\.$",
    ),
    (
        lambda: jk.ExponentialDecay(1, 10, 0.96),
        TypeError,
        r"^ExponentialDecay: `initial_learning_rate` must be a float here: .*"
        r"truncates decay_rate=0\.96 .*initial_learning_rate=1\. Pass 1\.0\.$",
    ),
    (
        lambda: jk.PolynomialDecay(1, 10),
        TypeError,
        r"truncates end_learning_rate=0\.0001 ",
    ),
    (
        lambda: jk.InverseTimeDecay(1, 2.5, 0.5),
        TypeError,
        r"truncates decay_steps=2\.5, decay_rate=0\.5 to an integer",
    ),
    (
        lambda: jk.CosineDecay(1, 10),
        TypeError,
        r"^CosineDecay: .*truncates pi=3\.14159\d+ to an integer.* Pass 1\.0\.$",
    ),
    (
        lambda: jk.CosineDecayRestarts(2, 10, t_mul=2, m_mul=1),
        TypeError,
        r"^CosineDecayRestarts: .*truncates pi=3\.14159\d+ to",
    ),
    (
        lambda: jk.ExponentialDecay("0.1", 10, 0.9),
        TypeError,
        r"^ExponentialDecay: `initial_learning_rate` must be a real number",
    ),
    (
        lambda: jk.ExponentialDecay(0.1, 10, 0.9, staircase="yes"),
        TypeError,
        r"^ExponentialDecay: `staircase` must be True or False",
    ),
]


@pytest.mark.parametrize(("make", "error", "match"), BAD)
def test_bad_input(make, error, match):
    with pytest.raises(error, match=match):
        make()


# -- jax and optax ----------------------------------------------------------------


def test_vmap_over_the_initial_rate():
    steps = jnp.arange(STEPS)
    peaks = np.array([0.5, 1.0, 2.0], np.float32)
    out = jax.jit(jax.vmap(lambda p: jk.CosineDecayRestarts(p, 10, m_mul=0.5)(steps)))(
        peaks
    )
    one = eager(jk.CosineDecayRestarts(1.0, 10, m_mul=0.5), STEPS)
    chex.assert_trees_all_close(
        np.asarray(out), peaks[:, None] * one[None], rtol=RTOL32
    )


def test_equal_structures_share_one_trace():
    traces = []

    @jax.jit
    def f(schedule, t):
        traces.append(1)
        return schedule(t)

    f(jk.ExponentialDecay(0.1, 10, 0.9), 3)
    f(jk.ExponentialDecay(0.2, 20, 0.5), 3)
    assert len(traces) == 1


@pytest.fixture
def _standard_promotion():
    # optax mixes weak and strong types internally.
    with jax.numpy_dtype_promotion("standard"):
        yield


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize(
    "case_id",
    [
        "CosineDecay-keras-test-config",
        "CosineDecayRestarts-tmul-1.5-fractional-starts",
    ],
)
def test_optax_uses_keras_rate_of_each_update(case_id):
    """optax's update count is Keras's ``iterations``: update t uses values[t]."""
    case = next(c for c in CASES if c["id"] == case_id)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=peers.build(case, jk))
    params = jnp.zeros(2)
    state = opt.init(params)
    update = jax.jit(opt.update)
    used = []
    for _ in range(8):
        grads = jnp.ones(2)
        updates, state = update(grads, state, params)
        used.append(float(state.hyperparams["learning_rate"]))
        # plain SGD: the update is -lr * grad
        np.testing.assert_allclose(-float(updates[0]), used[-1], rtol=1e-6)
    peers.check(np.asarray(used), case["values"][:8], RTOL32)
