"""Agreement with optax (an oracle for every schedule that has an optax twin) and
with the independent float64 reference in ``tests/reference.py`` (for every
schedule), at every step of ranges that cross each boundary.

Tolerances:
- against the float64 reference: ``rtol=1e-6`` (``2e-6`` for schedules that end
  in a cosine, the issue's allowance near the end of a cosine) and no ``atol``,
  except where the reference value is exactly 0 (``reference.assert_close``:
  there ``|value|`` must be below 1e-12 of the schedule's scale);
- against optax: ``OPTAX_TOL`` below, looser, because optax itself is not
  accurate to 1e-6 in float32.
"""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdecay as jd
from tests import peers
from tests import reference as ref

# optax computes in float32 with cancellations, (init - end) * (1 - t/T) + end
# and 1 + cos(pi t/T) near t = T, so near a zero or a small end value it is
# only accurate to a few float32 ulps *of the schedule's scale*, not of the
# value (tests/test_accuracy.py shows where that matters): against the twins
# below, whose values are of order 1, optax 0.2.8 differs from jaxdecay by up to
# 4.8e-7 absolute and 1.1e-5 relative (on values near 0).  So optax is held to
# atol 1e-6 (8 ulps of 1.0) plus rtol 1e-5; jaxdecay's own accuracy is checked
# against the float64 reference at rtol 1e-6 (below).
OPTAX_TOL = dict(rtol=1e-5, atol=1e-6)

# One array of steps for every case, so eager evaluation reuses its compiled
# kernels from case to case: past every boundary of every configuration below
# (guarded by the *_cross_* tests), from -3 where negative steps are part of the
# contract (they behave as step 0; optax schedules make no such promise).
STEPS = np.arange(-3, 125, dtype=np.int32)
FLOAT_STEPS = np.arange(-3, 125, 0.25, dtype=np.float32)
OPTAX_STEPS = np.arange(0, 128, dtype=np.int32)

_jit_call = jax.jit(lambda schedule, step: schedule(step))


@pytest.fixture(params=["eager", "jit"])
def evaluate(request):
    """Evaluates a schedule eagerly, or under jit with the schedule an argument."""
    if request.param == "eager":
        return lambda schedule, step: schedule(step)
    return _jit_call


def optax_values(schedule, steps):
    """An optax schedule at int32 ``steps``, evaluated eagerly.

    Eagerly, because under jit XLA turns optax's ``count / transition_steps``
    into a multiplication by the reciprocal, and ``1 - count * (1/T)`` can then
    come out slightly negative: ``polynomial_schedule`` with ``power=0.5``
    returns NaN from the end of its transition on (see test_accuracy.py).
    optax's schedules mix Python floats and int32 counts, which the test
    configuration's strict dtype promotion rejects, so optax runs under standard
    promotion here (jaxdecay never does).
    """
    steps = np.asarray(steps, np.int32)
    with jax.numpy_dtype_promotion("standard"):
        out = np.asarray(schedule(jnp.asarray(steps)))
    return np.broadcast_to(out, steps.shape)


# ---------------------------------------------------------------------------
# optax as an oracle.

OPTAX_TWINS = {
    "constant": (
        jd.constant(0.3),
        optax.constant_schedule(0.3),
    ),
    "linear": (
        jd.linear(1.0, 0.1, transition_steps=30),
        optax.linear_schedule(1.0, 0.1, transition_steps=30),
    ),
    "linear-begin-rising": (
        jd.linear(0.1, 1.0, transition_steps=25, transition_begin=10),
        optax.linear_schedule(0.1, 1.0, transition_steps=25, transition_begin=10),
    ),
    "linear-to-zero": (
        jd.linear(1.0, 0.0, transition_steps=30, transition_begin=5),
        optax.linear_schedule(1.0, 0.0, transition_steps=30, transition_begin=5),
    ),
    "polynomial": (
        jd.polynomial_decay(1.0, 0.1, transition_steps=30, power=2.0),
        optax.polynomial_schedule(1.0, 0.1, power=2.0, transition_steps=30),
    ),
    "polynomial-begin-sqrt": (
        jd.polynomial_decay(1.0, 0.1, 30, power=0.5, transition_begin=7),
        optax.polynomial_schedule(1.0, 0.1, 0.5, 30, transition_begin=7),
    ),
    "exponential": (
        jd.exponential_decay(1.0, 0.9),
        optax.exponential_decay(1.0, transition_steps=1, decay_rate=0.9),
    ),
    "exponential-T": (
        jd.exponential_decay(1.0, 0.5, transition_steps=7),
        optax.exponential_decay(1.0, transition_steps=7, decay_rate=0.5),
    ),
    "exponential-staircase": (
        jd.exponential_decay(1.0, 0.5, transition_steps=7, staircase=True),
        optax.exponential_decay(1.0, 7, 0.5, staircase=True),
    ),
    "exponential-begin": (
        jd.exponential_decay(1.0, 0.8, transition_steps=3, transition_begin=10),
        optax.exponential_decay(1.0, 3, 0.8, transition_begin=10),
    ),
    "exponential-staircase-begin-floor": (
        jd.exponential_decay(
            1.0, 0.5, 4, staircase=True, transition_begin=6, end_value=0.1
        ),
        optax.exponential_decay(
            1.0, 4, 0.5, transition_begin=6, staircase=True, end_value=0.1
        ),
    ),
    "exponential-growth-ceiling": (
        jd.exponential_decay(
            0.1, 1.2, transition_steps=2, transition_begin=3, end_value=1.0
        ),
        optax.exponential_decay(0.1, 2, 1.2, transition_begin=3, end_value=1.0),
    ),
    "cosine": (
        jd.cosine_decay(1.0, decay_steps=40),
        optax.cosine_decay_schedule(1.0, decay_steps=40),
    ),
    "cosine-alpha-exponent": (
        jd.cosine_decay(2.0, decay_steps=40, end_value=2.0 * 0.25, exponent=2.0),
        optax.cosine_decay_schedule(2.0, decay_steps=40, alpha=0.25, exponent=2.0),
    ),
    "warmup_cosine_decay": (
        jd.warmup_cosine_decay(1.0, warmup_steps=10, decay_steps=40),
        optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=10, decay_steps=40),
    ),
    "warmup_cosine_decay-ends-exponent": (
        jd.warmup_cosine_decay(
            1.0, 10, 40, init_value=0.1, end_value=0.2, exponent=1.5
        ),
        optax.warmup_cosine_decay_schedule(
            0.1, 1.0, 10, 40, end_value=0.2, exponent=1.5
        ),
    ),
    "piecewise_constant.from_scales": (
        jd.piecewise_constant.from_scales(1.0, {10: 0.5, 20: 0.1, 35: 3.0}),
        optax.piecewise_constant_schedule(1.0, {10: 0.5, 20: 0.1, 35: 3.0}),
    ),
    "join": (
        jd.join(
            [
                jd.linear(0.0, 1.0, 10),
                jd.cosine_decay(1.0, 20, end_value=0.1),
                jd.constant(0.1),
                jd.exponential_decay(0.5, 0.9),
            ],
            boundaries=[10, 30, 35],
        ),
        optax.join_schedules(
            [
                optax.linear_schedule(0.0, 1.0, 10),
                optax.cosine_decay_schedule(1.0, 20, alpha=0.1),
                optax.constant_schedule(0.1),
                optax.exponential_decay(0.5, 1, 0.9),
            ],
            boundaries=[10, 30, 35],
        ),
    ),
    "join-of-optax-pieces": (
        jd.join(
            [optax.linear_schedule(0.0, 1.0, 10), jd.cosine_decay(1.0, 20)],
            boundaries=[10],
        ),
        optax.join_schedules(
            [optax.linear_schedule(0.0, 1.0, 10), optax.cosine_decay_schedule(1.0, 20)],
            boundaries=[10],
        ),
    ),
    "sgdr-equal-cycles": (
        jd.cosine_restarts(1.0, first_period=10, end_value=0.1),
        optax.sgdr_schedule(
            [
                dict(
                    init_value=1.0,
                    peak_value=1.0,
                    warmup_steps=0,
                    decay_steps=10,
                    end_value=0.1,
                )
            ]
            * 13
        ),
    ),
    "sgdr-growing-cycles": (
        jd.cosine_restarts(1.0, first_period=5, period_mult=2.0, value_mult=0.5),
        optax.sgdr_schedule(
            [
                dict(init_value=p, peak_value=p, warmup_steps=0, decay_steps=d)
                for p, d in [(1.0, 5), (0.5, 10), (0.25, 20), (0.125, 40), (0.0625, 80)]
            ]
        ),
    ),
    "sgdr-with-warmup": (
        jd.join(
            [
                jd.warmup_cosine_decay(1.0, 5, 20, end_value=0.1),
                jd.warmup_cosine_decay(0.5, 5, 30, init_value=0.1, end_value=0.1),
            ],
            boundaries=[20],
        ),
        optax.sgdr_schedule(
            [
                dict(
                    init_value=0.0,
                    peak_value=1.0,
                    warmup_steps=5,
                    decay_steps=20,
                    end_value=0.1,
                ),
                dict(
                    init_value=0.1,
                    peak_value=0.5,
                    warmup_steps=5,
                    decay_steps=30,
                    end_value=0.1,
                ),
            ]
        ),
    ),
}


@functools.cache
def optax_oracle(name):
    """The optax twin's values at ``OPTAX_STEPS`` (computed once per twin)."""
    return optax_values(OPTAX_TWINS[name][1], OPTAX_STEPS)


@functools.cache
def _jitted_twins():
    """Every twin under jit at ``OPTAX_STEPS``, from a few jitted programs
    (``peers.each``), the schedules their arguments."""
    return peers.each(
        peers.call, {name: s for name, (s, _) in OPTAX_TWINS.items()}, OPTAX_STEPS
    )


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("name", list(OPTAX_TWINS))
def test_agrees_with_optax(name, mode):
    schedule, _ = OPTAX_TWINS[name]
    if mode == "eager":
        got = schedule(OPTAX_STEPS)
    else:
        got = peers.outcome(_jitted_twins()[name])
    chex.assert_trees_all_close(got, optax_oracle(name), **OPTAX_TOL)


def test_optax_twins_cross_their_boundaries():
    """Guards the table above: the steps go past every phase change."""
    for name, (schedule, _) in OPTAX_TWINS.items():
        assert OPTAX_STEPS[-1] > max(schedule.breakpoints(), default=0), name


# ---------------------------------------------------------------------------
# The float64 reference, for every schedule.

# (jaxdecay name, keyword arguments): the reference schedule of the same name
# takes the same arguments.  Every catalog schedule appears, each option of it
# in at least one configuration.
REFERENCE_CASES = [
    ("constant", dict(value=0.3)),
    ("linear_decay", dict(init_value=0.1, decay_rate=0.1)),
    (
        "linear_decay",
        dict(init_value=0.1, decay_rate=0.1, transition_steps=3, end_value=0.01),
    ),
    (
        "linear_decay",
        dict(
            init_value=0.1,
            decay_rate=0.1,
            transition_steps=3,
            staircase=True,
            end_value=0.01,
        ),
    ),
    ("exponential_decay", dict(init_value=0.1, decay_rate=0.9)),
    (
        "exponential_decay",
        dict(
            init_value=0.1,
            decay_rate=0.9,
            transition_steps=7,
            transition_begin=5,
            end_value=0.02,
        ),
    ),
    (
        "exponential_decay",
        dict(
            init_value=0.1,
            decay_rate=0.9,
            transition_steps=7,
            staircase=True,
            transition_begin=5,
            end_value=0.02,
        ),
    ),
    (
        "exponential_decay",
        dict(
            init_value=0.1,
            decay_rate=1.1,
            transition_steps=7,
            transition_begin=5,
            end_value=0.2,
        ),
    ),
    ("natural_exp_decay", dict(init_value=0.1, decay_rate=0.3, transition_steps=7)),
    (
        "natural_exp_decay",
        dict(init_value=0.1, decay_rate=0.3, transition_steps=7, staircase=True),
    ),
    ("inverse_time_decay", dict(init_value=0.1, decay_rate=0.3, transition_steps=7)),
    (
        "inverse_time_decay",
        dict(init_value=0.1, decay_rate=0.3, transition_steps=7, staircase=True),
    ),
    ("inverse_sqrt_decay", dict(init_value=0.1)),
    ("inverse_sqrt_decay", dict(init_value=0.1, transition_steps=16)),
    ("step_decay", dict(init_value=0.1, step_size=7, gamma=0.5)),
    ("multistep_decay", dict(init_value=0.1, milestones=[5, 20, 20, 33], gamma=0.5)),
    (
        "piecewise_constant",
        dict(boundaries=[5, 20, 20, 33], values=[1.0, 2.0, 3.0, 4.0, 5.0]),
    ),
    ("piecewise_linear", dict(boundaries=[5, 20, 20, 33], values=[1.0, 2.0, 3.0, 0.5])),
    ("piecewise_linear", dict(boundaries=[0, 10], values=[0.0, 1.0])),
    (
        "polynomial_decay",
        dict(
            init_value=1.0,
            end_value=0.1,
            transition_steps=13,
            power=2.0,
            transition_begin=4,
        ),
    ),
    ("polynomial_decay", dict(init_value=1.0, end_value=0.0, transition_steps=13)),
    (
        "polynomial_decay",
        dict(init_value=1.0, end_value=0.0, transition_steps=13, power=0.5),
    ),
    (
        "polynomial_decay",
        dict(init_value=0.0, end_value=1.0, transition_steps=13, power=3.0),
    ),
    (
        "polynomial_decay",
        dict(init_value=1.0, end_value=0.1, transition_steps=13, power=0.5, cycle=True),
    ),
    (
        "polynomial_decay",
        dict(
            init_value=1.0,
            end_value=0.1,
            transition_steps=13,
            power=2.0,
            transition_begin=4,
            cycle=True,
        ),
    ),
    ("cosine_decay", dict(init_value=1.0, decay_steps=30)),
    ("cosine_decay", dict(init_value=1.0, decay_steps=30, end_value=0.1, exponent=2.0)),
    # rising cosines: small values at the start must keep their relative accuracy
    ("cosine_decay", dict(init_value=1e-3, decay_steps=30, end_value=1.0)),
    (
        "cosine_decay",
        dict(init_value=1e-3, decay_steps=30, end_value=1.0, exponent=0.5),
    ),
    (
        "linear",
        dict(init_value=1.0, end_value=0.1, transition_steps=30, transition_begin=7),
    ),
    ("linear", dict(init_value=0.0, end_value=1e-3, transition_steps=30)),
    ("warmup_cosine_decay", dict(peak_value=1.0, warmup_steps=10, decay_steps=40)),
    (
        "warmup_cosine_decay",
        dict(
            peak_value=1.0,
            warmup_steps=10,
            decay_steps=40,
            init_value=0.1,
            end_value=0.05,
            exponent=1.5,
        ),
    ),
    ("warmup_cosine_decay", dict(peak_value=1.0, warmup_steps=0, decay_steps=40)),
    *[
        (
            "warmup_stable_decay",
            dict(
                peak_value=1.0,
                warmup_steps=10,
                stable_steps=15,
                decay_steps=20,
                init_value=0.1,
                end_value=0.05,
                decay_shape=shape,
            ),
        )
        for shape in ("linear", "cosine", "1-sqrt", "1-square")
    ],
    (
        "warmup_stable_decay",
        dict(
            peak_value=1.0,
            warmup_steps=0,
            stable_steps=0,
            decay_steps=20,
            decay_shape="1-sqrt",
        ),
    ),
    ("one_cycle", dict(peak_value=1.0, total_steps=50)),
    ("one_cycle", dict(peak_value=1.0, total_steps=50, anneal="linear")),
    (
        "one_cycle",
        dict(
            peak_value=1.0,
            total_steps=50,
            pct_start=0.25,
            anneal="linear",
            three_phase=True,
        ),
    ),
    (
        "one_cycle",
        dict(peak_value=1.0, total_steps=50, pct_start=0.25, three_phase=True),
    ),
    ("one_cycle", dict(peak_value=1.0, total_steps=10, pct_start=0.25)),
    ("one_cycle", dict(peak_value=1.0, total_steps=100, div_factor=1e4)),
    ("cyclic", dict(base_value=0.1, max_value=1.0, step_size_up=5)),
    ("cyclic", dict(base_value=0.1, max_value=1.0, step_size_up=5, step_size_down=8)),
    (
        "cyclic",
        dict(
            base_value=0.1,
            max_value=1.0,
            step_size_up=5,
            step_size_down=8,
            mode="triangular2",
        ),
    ),
    (
        "cyclic",
        dict(
            base_value=0.1, max_value=1.0, step_size_up=5, mode="exp_range", gamma=0.97
        ),
    ),
    ("cosine_restarts", dict(init_value=1.0, first_period=7)),
    (
        "cosine_restarts",
        dict(init_value=1.0, first_period=7, end_value=0.1, value_mult=0.8),
    ),
    ("cosine_restarts", dict(init_value=1.0, first_period=5, period_mult=2.0)),
    (
        "cosine_restarts",
        dict(
            init_value=1.0,
            first_period=5,
            period_mult=1.5,
            end_value=0.1,
            value_mult=0.8,
        ),
    ),
]


def _id(case):
    name, kwargs = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def _build(name, kwargs):
    return getattr(jd, name)(**kwargs), getattr(ref, name)(**kwargs)


def _rtol(name, kwargs):
    """1e-6, or the issue's 2e-6 near the end of a cosine for cosine schedules."""
    cosine = (
        name in ("cosine_decay", "warmup_cosine_decay", "cosine_restarts")
        or (name == "one_cycle" and kwargs.get("anneal", "cos") == "cos")
        or (name == "warmup_stable_decay" and kwargs.get("decay_shape") == "cosine")
    )
    return 2e-6 if cosine else 1e-6


def _int_and_float(schedule, a, b):
    return schedule(a), schedule(b)


@functools.cache
def _jitted_values():
    """Every case (its schedule, or its build error) and its values under jit
    at ``STEPS`` and ``FLOAT_STEPS``, from a few jitted programs for all
    cases (``peers.each``), the schedules their arguments: they serve both
    tests below."""
    return peers.jitted_cases(
        lambda index: _build(*REFERENCE_CASES[index])[0],
        range(len(REFERENCE_CASES)),
        STEPS,
        FLOAT_STEPS,
        fn=_int_and_float,
        key=lambda index: index,
    )


def _jitted(index):
    """Case ``index``'s values under jit at ``STEPS`` and ``FLOAT_STEPS``."""
    schedule, values = _jitted_values()[index]
    peers.outcome(schedule)  # raises its build error, if any
    return peers.outcome(values)


CASES = list(enumerate(REFERENCE_CASES))


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("index, case", CASES, ids=[_id(c) for c in REFERENCE_CASES])
def test_matches_reference_at_integer_steps(index, case, mode):
    schedule, expected = _build(*case)
    got = schedule(STEPS) if mode == "eager" else _jitted(index)[0]
    ref.assert_close(got, ref.values(expected, STEPS), rtol=_rtol(*case))


@pytest.mark.parametrize("index, case", CASES, ids=[_id(c) for c in REFERENCE_CASES])
def test_matches_reference_at_float_steps(index, case):
    """Float steps (a quarter step apart) give the formula at that real step."""
    _, expected = _build(*case)
    ref.assert_close(
        _jitted(index)[1], ref.values(expected, FLOAT_STEPS), rtol=_rtol(*case)
    )


def test_reference_cases_cross_their_boundaries():
    for name, kwargs in REFERENCE_CASES:
        schedule = getattr(jd, name)(**kwargs)
        assert STEPS[-1] > max(schedule.breakpoints(), default=0), (name, kwargs)


def test_every_catalog_schedule_has_reference_cases():
    covered = {name for name, _ in REFERENCE_CASES} | {"recurrence"}
    catalog = {
        "constant",
        "linear_decay",
        "exponential_decay",
        "natural_exp_decay",
        "inverse_time_decay",
        "inverse_sqrt_decay",
        "step_decay",
        "multistep_decay",
        "piecewise_constant",
        "piecewise_linear",
        "polynomial_decay",
        "cosine_decay",
        "linear",
        "warmup_cosine_decay",
        "warmup_stable_decay",
        "one_cycle",
        "cyclic",
        "cosine_restarts",
        "recurrence",
    }
    assert catalog <= covered, catalog - covered


def _inverse_time_rule(t):
    """The documents' ``lr_e = lr_{e-1} / (1 + decay * e)``, decay = 0.1."""
    return 1.0 / (1.0 + 0.1 * t)


def test_recurrence_matches_reference(evaluate):
    schedule = jd.recurrence(0.1, _inverse_time_rule, horizon=40)
    expected = ref.recurrence(0.1, _inverse_time_rule, horizon=40)
    ref.assert_close(evaluate(schedule, STEPS), ref.values(expected, STEPS))


def test_piecewise_constant_from_scales_matches_reference(evaluate):
    scales = {4: 0.5, 9: 0.1, 16: 3.0, 30: 0.25, 100: 0.0}
    schedule = jd.piecewise_constant.from_scales(0.2, scales)
    expected = ref.piecewise_constant_from_scales(0.2, scales)
    ref.assert_close(evaluate(schedule, STEPS), ref.values(expected, STEPS))


def test_join_matches_reference(evaluate):
    schedule = jd.join(
        [
            jd.linear(0.0, 1.0, 10),
            jd.cosine_decay(1.0, 20, end_value=0.1),
            jd.step_decay(0.1, 3, 0.5),
            jd.linear(0.5, 0.2, 10),
        ],
        boundaries=[10, 30, 30],
    )
    expected = ref.join(
        [
            ref.linear(0.0, 1.0, 10),
            ref.cosine_decay(1.0, 20, end_value=0.1),
            ref.step_decay(0.1, 3, 0.5),
            ref.linear(0.5, 0.2, 10),
        ],
        boundaries=[10, 30, 30],
    )
    ref.assert_close(evaluate(schedule, STEPS), ref.values(expected, STEPS))


def test_join_of_many_pieces_of_one_kind_matches_reference(evaluate):
    """Pieces of the same kind are evaluated from stacked tables; each still
    uses its own parameters and its own local step."""
    peaks = [1.0, 0.7, 0.5, 0.3, 0.2, 0.1]
    lengths = [5, 8, 3, 10, 6, 40]
    bounds = np.cumsum(lengths)[:-1].tolist()
    schedule = jd.join(
        [
            jd.cosine_decay(p, d, end_value=0.01)
            for p, d in zip(peaks, lengths, strict=True)
        ],
        bounds,
    )
    expected = ref.join(
        [
            ref.cosine_decay(p, d, end_value=0.01)
            for p, d in zip(peaks, lengths, strict=True)
        ],
        bounds,
    )
    ref.assert_close(evaluate(schedule, STEPS), ref.values(expected, STEPS))
