"""``jaxdecay.transformers`` against transformers' own schedulers.

The fixtures (``tests/fixtures/transformers.json``, written by
``scripts/fixtures_transformers.py`` from transformers 5.23 on torch) hold
transformers' float64 rates: ``values[t]`` is ``get_last_lr()[0]`` before the
``t``-th ``scheduler.step()``.  Neither torch nor transformers is needed here.

Tolerances: float32 results at ``rtol=1e-6`` and, with ``jax.enable_x64``,
float64 results at ``rtol=1e-12``, both with ``atol = rtol * max|values|`` of
the case: where transformers' rate is (near) zero a relative tolerance is
meaningless, and transformers' own float64 cosine carries an absolute error of
about 1e-16 of the peak there (``1 + cos(x)`` near ``x = pi``).
"""

from __future__ import annotations

import collections
import math
import warnings

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import peers
import pytest

import jaxdecay as jd
import jaxdecay.transformers as hf

DATA = peers.load("transformers")
CASES = [c for c in DATA["cases"] if "metrics" not in c]
PLATEAU = [c for c in DATA["cases"] if "metrics" in c]
RTOL, RTOL_X64 = 1e-6, 1e-12
# One length for every case, so that eager operations compile once for all
# cases, and the jitted cases of a mode run in a few programs.
LENGTH = max(len(c["values"]) for c in CASES)


def make(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # get_wsd_schedule with both lengths
        return peers.build(case, hf)


def evaluate(schedule, n):
    """The first ``n`` rates, evaluated eagerly over one common length (and cut
    on the host: slicing a JAX array compiles a program per length): eager
    operations then compile once for all cases (a schedule of any structure
    reuses them)."""
    return np.asarray(schedule(jnp.arange(LENGTH)))[:n]


# Jitted evaluation: one case per function (compiling every case would take
# most of the time of this file; eager and jitted run the same operations),
# all of a mode from a few jitted programs (``jitted``).
JIT = list({c["name"]: c for c in CASES}.values())


@peers.per_mode
def _jitted(mode):
    return peers.jitted_cases(
        make, JIT if mode == "float32" else JIT_X64, jnp.arange(LENGTH)
    )


def jitted(mode, case):
    """A case of ``JIT`` (float32) or ``JIT_X64`` (x64): its rates from one
    jitted program of a few cases (``peers.each``)."""
    return peers.rates(_jitted(mode), case)


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


# ---------------------------------------------------------------------------
# Coverage of the fixtures.


def test_fixtures_come_from_transformers():
    assert DATA["peer"] == "transformers"
    assert DATA["version"].startswith("5.")


def test_every_schedule_has_several_fixture_cases():
    counts = collections.Counter(c["name"] for c in DATA["cases"])
    ported = [
        n for n in hf.__all__ if n.startswith("get_") and n != "get_greedy_schedule"
    ]
    for name in ported:
        assert counts[name] >= 3, name
    names = {c["args"][0] for c in CASES if c["name"] == "get_scheduler"}
    assert names == set(hf.SCHEDULER_TYPES) - {"greedy", "reduce_lr_on_plateau"}


def test_fixture_runs_go_past_the_end():
    for case in CASES:
        n = case["kwargs"].get("num_training_steps")
        if "num_stable_steps" in case["kwargs"]:  # it wins over the total
            args, s = case["args"], case["kwargs"]["num_stable_steps"]
            n = args[0] + max(s, 0) + args[1]
        if n is None and len(case["args"]) > 1 and case["name"] != "get_wsd_schedule":
            n = case["args"][1]
        if isinstance(n, int) and case["kwargs"].get("last_epoch", -1) == -1:
            assert len(case["values"]) > n, case["id"]


# ---------------------------------------------------------------------------
# Values.


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_matches_transformers(case):
    schedule = make(case)
    assert isinstance(schedule, jd.Schedule)
    got = evaluate(schedule, len(case["values"]))
    assert got.dtype == jnp.float32
    peers.check(got, case["values"], RTOL)


@pytest.mark.parametrize("case", JIT, ids=lambda c: c["id"])
def test_matches_transformers_jit(case):
    got = jitted("float32", case)
    assert got.dtype == jnp.float32
    peers.check(got, case["values"], RTOL)


JIT_X64 = [
    c
    for c in CASES
    if c["id"] in ("cosine-W2-N12-c2.5", "restarts-W3-N23-c3", "wsd-S-negative")
]


@pytest.mark.parametrize("case", JIT_X64, ids=lambda c: c["id"])
def test_matches_transformers_jit_x64(case):
    got = jitted("x64", case)  # built and run with x64
    assert got.dtype == jnp.float64
    peers.check(got, case["values"], RTOL_X64)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_matches_transformers_x64(case, x64):
    schedule = make(case)
    got = evaluate(schedule, len(case["values"]))
    assert got.dtype == jnp.float64
    peers.check(got, case["values"], RTOL_X64)


@peers.per_mode
def plateaus(mode):
    """Every plateau case's rule (or its build error) and its values after
    each metric, from jitted programs per mode ("x64": built and run with
    x64)."""
    return peers.jitted_plateaus(make, PLATEAU)


@pytest.mark.parametrize("mode", ["float32", "x64"])
@pytest.mark.parametrize("case", PLATEAU, ids=lambda c: c["id"])
def test_plateau_matches_transformers(case, mode):
    plateau, values = plateaus(mode)[case["id"]]
    assert isinstance(peers.outcome(plateau), jd.reduce_on_plateau)
    peers.check(
        peers.outcome(values), case["values"], RTOL_X64 if mode == "x64" else RTOL
    )


def test_scalar_steps_and_float_steps():
    lr = hf.get_cosine_schedule_with_warmup(2, 12, num_cycles=2.5, lr=1.0)
    case = next(c for c in CASES if c["id"] == "cosine-W2-N12-c2.5")
    for t in (0, 3, 7, 17):
        peers.check(peers.jitted(lr, t), case["values"][t], RTOL)
    # Float steps follow the same cosine between the integer steps.
    t = np.array([2.25, 5.5, 9.75, 16.5])
    want = 0.5 * (1 + np.cos(2 * np.pi * 2.5 * (t - 2) / 10))
    peers.check(peers.jitted(lr, jnp.asarray(t, jnp.float32)), want, RTOL)


def test_large_steps_stay_exact():
    # Far past the end, the cosine keeps its exact phase (integer arithmetic).
    lr = hf.get_cosine_schedule_with_warmup(10, 1000, num_cycles=2.5, lr=1.0)
    steps = np.array([10 + 990 * 1000 + k for k in (0, 99, 198, 396)], np.int64)
    progress = (steps - 10) / 990
    want = 0.5 * (1 + np.cos(np.pi * 2.5 * 2 * progress))
    peers.check(peers.jitted(lr, jnp.asarray(steps, jnp.int32)), want, RTOL)


def test_vmap_over_steps_and_retrace_free_values():
    lr = hf.get_wsd_schedule(3, 4, num_training_steps=12, min_lr_ratio=0.1, lr=1.0)
    case = next(c for c in CASES if c["id"] == "wsd-linear-cosine")
    got = jax.jit(jax.vmap(lr))(jnp.arange(len(case["values"])))
    peers.check(got, case["values"], RTOL)
    traces = []

    @jax.jit
    def at(schedule, t):
        traces.append(1)
        return schedule(t)

    at(hf.get_linear_schedule_with_warmup(2, 10, lr=1.0), 3)
    at(hf.get_linear_schedule_with_warmup(2, 10, lr=0.5), 3)
    assert len(traces) == 1


def test_vmap_over_lr():
    def rates(lr):
        return hf.get_cosine_with_min_lr_schedule_with_warmup(
            2, 12, num_cycles=2.5, min_lr_rate=0.1, lr=lr
        )(jnp.arange(16))

    lrs = jnp.array([1.0, 0.5, 3e-4])
    got = jax.jit(jax.vmap(rates))(lrs)
    one = hf.get_cosine_with_min_lr_schedule_with_warmup(
        2, 12, num_cycles=2.5, min_lr_rate=0.1, lr=1.0
    )
    want = np.asarray(peers.jitted(one, jnp.arange(16)))
    peers.check(got, np.asarray(lrs)[:, None] * want[None, :], RTOL)


@pytest.mark.parametrize("case", PLATEAU[1:2], ids=lambda c: c["id"])
def test_get_scheduler_reduce_lr_on_plateau(case):
    kwargs = dict(case["kwargs"])
    lr = kwargs.pop("lr")
    plateau = hf.get_scheduler(
        "reduce_lr_on_plateau",
        lr=lr,
        num_warmup_steps=3,
        scheduler_specific_kwargs=kwargs,
    )
    peers.check(peers.plateau_values(plateau, case["metrics"]), case["values"], RTOL)


def test_optax_inject_hyperparams_round_trip():
    case = next(c for c in CASES if c["id"] == "cosine-W2-N12-c2.5")
    lr = make(case)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    params = {"w": jnp.ones(3)}
    state = opt.init(params)
    rates = []
    for _ in range(len(case["values"])):
        rates.append(float(state.hyperparams["learning_rate"]))
        _, state = opt.update({"w": jnp.ones(3)}, state, params)
    # inject_hyperparams records the rate of the update about to happen.
    peers.check(
        rates[1:] + [float(state.hyperparams["learning_rate"])], case["values"], RTOL
    )
    optax.sgd(lr)  # a plain schedule for any optax optimizer


def test_get_scheduler_accepts_enum_like_names():
    class Named:
        value = "linear"

    a = hf.get_scheduler(Named(), lr=1.0, num_warmup_steps=2, num_training_steps=10)
    b = hf.get_linear_schedule_with_warmup(2, 10, lr=1.0)
    chex.assert_trees_all_close(evaluate(a, 12), evaluate(b, 12))


def test_constant_ignores_everything_but_lr():
    lr = hf.get_scheduler(
        "constant", lr=0.1, num_warmup_steps=5, scheduler_specific_kwargs={"x": 1}
    )
    peers.check(evaluate(lr, 4), [0.1] * 4, RTOL)


def test_restart_points_are_exact():
    # A restart at every step where c * (t - W) / (N - W) is a whole number.
    lr = hf.get_cosine_with_hard_restarts_schedule_with_warmup(0, 21, 7, lr=1.0)
    t = np.arange(21)
    restart = (7 * t) % 21 == 0
    np.testing.assert_array_equal(np.asarray(evaluate(lr, 21))[restart], 1.0)


# ---------------------------------------------------------------------------
# Errors: transformers' own checks, and what cannot be represented.


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: hf.get_polynomial_decay_schedule_with_warmup(
                2, 10, lr_end=1.0, lr=1.0
            ),
            ValueError,
            r"get_polynomial_decay_schedule_with_warmup: `lr_end` must be smaller "
            r"than the initial lr \(lr=1.0\).*got lr_end=1.0",
        ),
        (
            lambda: hf.get_polynomial_decay_schedule_with_warmup(5, 5, lr=1.0),
            ValueError,
            r"must differ.*ZeroDivisionError at step 5.*num_training_steps=5",
        ),
        (
            lambda: hf.get_polynomial_decay_schedule_with_warmup(
                2, 10, power=-1.0, lr=1.0
            ),
            ValueError,
            r"`power` must be non-negative.*got power=-1.0",
        ),
        (
            lambda: hf.get_cosine_with_min_lr_schedule_with_warmup(
                2, 10, min_lr=0.1, min_lr_rate=0.1, lr=1.0
            ),
            ValueError,
            r"only one of `min_lr` and `min_lr_rate`.*min_lr=0.1, min_lr_rate=0.1",
        ),
        (
            lambda: hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
                2, 10, lr=1.0
            ),
            ValueError,
            r"give one of `min_lr` and `min_lr_rate`.*lr_scheduler_kwargs",
        ),
        (
            lambda: hf.get_cosine_with_min_lr_schedule_with_warmup(
                2, 10, min_lr=0.1, lr=0.0
            ),
            ValueError,
            r"`lr` must be non-zero with `min_lr`.*got lr=0.0",
        ),
        (
            lambda: hf.get_wsd_schedule(2, 3, lr=1.0),
            ValueError,
            r"get_wsd_schedule: give `num_training_steps` or `num_stable_steps`",
        ),
        (
            lambda: hf.get_wsd_schedule(
                2, 3, num_training_steps=10, warmup_type="exp", lr=1.0
            ),
            ValueError,
            r"`warmup_type` must be one of 'linear', 'cosine', '1-sqrt'; "
            r"got warmup_type='exp'",
        ),
        (
            lambda: hf.get_wsd_schedule(
                2, 3, num_training_steps=10, decay_type="1-square", lr=1.0
            ),
            ValueError,
            r"`decay_type` must be one of .*got decay_type='1-square'",
        ),
        (
            lambda: hf.get_scheduler("cosine_annealing", lr=1.0),
            ValueError,
            r"get_scheduler: `name` must be one of 'linear'.*"
            r"got name='cosine_annealing'",
        ),
        (
            lambda: hf.get_scheduler("linear", lr=1.0, num_training_steps=10),
            ValueError,
            r"`num_warmup_steps` must be given for 'linear'.*requires "
            r"`num_warmup_steps`.*got num_warmup_steps=None",
        ),
        (
            lambda: hf.get_scheduler("cosine", lr=1.0, num_warmup_steps=10),
            ValueError,
            r"`num_training_steps` must be given for 'cosine'.*"
            r"got num_training_steps=None",
        ),
        (
            lambda: hf.get_scheduler(
                "cosine",
                lr=1.0,
                num_warmup_steps=1,
                num_training_steps=10,
                scheduler_specific_kwargs={"power": 2.0},
            ),
            TypeError,
            r"unexpected keyword argument 'power'",
        ),
        (
            lambda: hf.get_linear_schedule_with_warmup(2, 10, lr=[0.1, 0.2]),
            TypeError,
            r"`lr` must be a single number.*multi_transform.*got lr=\[0.1, 0.2\]",
        ),
        (
            lambda: hf.get_linear_schedule_with_warmup(-1, 10, lr=1.0),
            ValueError,
            r"`num_warmup_steps` must be an integer >= 0; got num_warmup_steps=-1",
        ),
        (
            lambda: hf.get_linear_schedule_with_warmup(2.5, 10, lr=1.0),
            ValueError,
            r"got num_warmup_steps=2.5",
        ),
        (
            lambda: hf.get_linear_schedule_with_warmup(2, 10, last_epoch=-2, lr=1.0),
            ValueError,
            r"`last_epoch` must be an integer >= -1.*got last_epoch=-2",
        ),
        (
            lambda: hf.get_cosine_schedule_with_warmup(2, 10, math.pi, lr=1.0),
            ValueError,
            r"`num_cycles` must be a fraction with a denominator up to 10000.*"
            r"got num_cycles=3.14159",
        ),
        (
            lambda: hf.get_cosine_schedule_with_warmup(
                0, 2**30, num_cycles=0.4999, lr=1.0
            ),
            ValueError,
            r"too long a cycle to be located exactly with 32-bit steps",
        ),
        (
            lambda: hf.get_inverse_sqrt_schedule(2, timescale=0, lr=1.0),
            ValueError,
            r"`timescale` must be a positive integer; got timescale=0",
        ),
        (
            lambda: hf.get_reduce_on_plateau_schedule(lr=1.0, factor=1.0),
            ValueError,
            r"get_reduce_on_plateau_schedule: `factor` must be < 1.0",
        ),
        (
            lambda: hf.get_reduce_on_plateau_schedule(lr=1.0, min_lr=[0.1, 0.2]),
            TypeError,
            r"`min_lr` must be a single number",
        ),
        (
            lambda: hf.get_reduce_on_plateau_schedule(lr=1.0, verbose=True),
            TypeError,
            r"unexpected argument 'verbose'",
        ),
        (
            lambda: hf.get_greedy_schedule(lr=1.0, patience=3),
            NotImplementedError,
            r"get_greedy_schedule: transformers' GreedyLR .* no jaxdecay equivalent",
        ),
        (
            lambda: hf.get_scheduler("greedy", lr=1.0),
            NotImplementedError,
            r"GreedyLR",
        ),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_wsd_warns_when_both_lengths_are_given():
    with pytest.warns(UserWarning, match=r"num_stable_steps will be used"):
        hf.get_wsd_schedule(2, 3, num_training_steps=30, num_stable_steps=4, lr=1.0)


def test_lr_is_keyword_only_and_required():
    with pytest.raises(TypeError, match=r"lr"):
        hf.get_linear_schedule_with_warmup(2, 10)  # noqa
    with pytest.raises(TypeError, match=r"positional"):
        hf.get_constant_schedule(-1, 0.1)
