"""``jaxdecay.torch`` against PyTorch's own rates (``tests/fixtures/torch.json``
and ``tests/fixtures/torch_lambdas.json``, written by
``scripts/fixtures_torch.py`` from torch 2.13's schedulers; the second holds
cases whose functions use Python control flow, with their source).

Tolerances: ``rtol=1e-6`` in float32 and ``rtol=1e-12`` with x64, against
PyTorch's float64 values.  Rates that fall to (near) zero (the bottom of a
cosine, the end of a one-cycle, ``LinearLR`` to 0) make a relative tolerance
meaningless, so every comparison also allows ``atol = rtol * max|values|`` of
its case.  PyTorch itself is not needed.
"""

from __future__ import annotations

import collections
import functools
import json
import math
import pickle
import threading
from unittest import mock

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import peers
import pytest

import jaxdecay as jd
import jaxdecay.torch as jt

DOC = peers.load("torch")
LAMBDAS = peers.load("torch_lambdas")
# The Python-control-flow functions of torch_lambdas.json, from their source.
PYTHON_FUNCTIONS = {
    name: eval(source, {"math": math})  # noqa: S307 - our own fixture's text
    for name, source in LAMBDAS["functions"].items()
}
CASES = DOC["cases"] + LAMBDAS["cases"]
SCHEDULES = [c for c in CASES if "metrics" not in c]
PLATEAUS = [c for c in CASES if "metrics" in c]
RTOL32, RTOL64 = 1e-6, 1e-12


def ids(cases):
    return [c["id"] for c in cases]


def build(case):
    """The port's schedule of a case (its functions looked up by name)."""
    with mock.patch.dict(peers.FUNCTIONS, PYTHON_FUNCTIONS):
        return peers.build(case, jt)


# Every case is evaluated on the same steps 0..255 (then cut to its length, on
# the host), so cases share compiled code: eagerly each operation compiles once
# for all cases, and under jit a few programs per mode hold every case.
STEPS = 256
assert max(len(c["values"]) for c in SCHEDULES) <= STEPS


@peers.per_mode
def jitted(mode):
    """Every case's schedule (or its build error) and its values on steps
    0..255, from jitted programs of a few cases each (``peers.each``), per
    mode ("x64": built and run with x64, as test_x64.py does)."""
    return peers.jitted_cases(build, SCHEDULES, jnp.arange(STEPS))


@peers.per_mode
def plateaus(mode):
    """Every plateau case's rule (or its build error) and its values after
    each metric, from jitted programs per mode (as ``jitted``)."""
    return peers.jitted_plateaus(lambda case: peers.build(case, jt), PLATEAUS)


def evaluate(mode, case):
    """A case's rates: "eager" (built and run here, in float32), or jitted
    (from ``jitted``) in "float32" or "x64"."""
    if mode != "eager":
        return peers.rates(jitted(mode), case)
    schedule = build(case)
    assert isinstance(schedule, jd.Schedule)
    return np.asarray(schedule(jnp.arange(STEPS)))[: len(case["values"])]


def test_fixtures_come_from_torch():
    for doc in (DOC, LAMBDAS):
        assert doc["peer"] == "torch"
        assert doc["version"].startswith("2.13")


def test_every_name_has_several_configurations():
    counts = collections.Counter(c["name"] for c in CASES)
    assert set(counts) == set(jt.__all__)
    assert min(counts.values()) >= 4, counts


# Every case runs jitted; the first case of each name also runs eagerly (eager
# dispatch of a composed schedule is what costs time here).
FIRST = {c["name"]: c["id"] for c in reversed(SCHEDULES)}
MODES = [
    pytest.param(c, mode, id=f"{mode}-{c['id']}")
    for c in SCHEDULES
    for mode in (("jit", "eager") if FIRST[c["name"]] == c["id"] else ("jit",))
]


@pytest.mark.parametrize("case, mode", MODES)
def test_matches_torch_float32(case, mode):
    got = evaluate("float32" if mode == "jit" else mode, case)
    assert got.dtype == jnp.float32
    peers.check(got, case["values"], RTOL32)


@pytest.mark.parametrize("case", PLATEAUS, ids=ids(PLATEAUS))
def test_plateau_matches_torch_float32(case):
    plateau, values = plateaus("float32")[case["id"]]
    plateau = peers.outcome(plateau)
    assert isinstance(plateau, jd.reduce_on_plateau)
    assert float(plateau(plateau.init())) == pytest.approx(case["kwargs"]["lr"])
    peers.check(peers.outcome(values), case["values"], RTOL32)


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


@pytest.mark.parametrize(
    "case",
    SCHEDULES,
    ids=ids(SCHEDULES),
)
def test_matches_torch_x64(case, x64):
    got = evaluate("x64", case)  # built with x64 on, as test_x64.py does
    assert got.dtype == jnp.float64
    peers.check(got, case["values"], RTOL64)


@pytest.mark.parametrize("case", PLATEAUS, ids=ids(PLATEAUS))
def test_plateau_matches_torch_x64(case, x64):
    plateau, values = plateaus("x64")[case["id"]]
    assert isinstance(peers.outcome(plateau), jd.reduce_on_plateau)
    peers.check(peers.outcome(values), case["values"], RTOL64)


# -- quirks --------------------------------------------------------------------


def test_cosine_annealing_rises_again_after_t_max():
    lr = jt.CosineAnnealingLR(10, eta_min=0.01, lr=0.1)
    v = np.asarray(lr(jnp.arange(STEPS)))[:41]  # eagerly, on the cases' steps
    assert v[10] == pytest.approx(0.01) and v[20] == pytest.approx(0.1)
    np.testing.assert_allclose(v[:21], v[20:], rtol=1e-6)


def test_one_cycle_holds_torch_last_value_after_total_steps():
    lr = jt.OneCycleLR(1.0, total_steps=20)
    case = next(c for c in CASES if c["id"] == "OneCycleLR-20")
    last = case["values"][-1]  # t = total_steps: torch's last legal step
    np.testing.assert_allclose(jax.jit(lr)(jnp.arange(20, 100)), last, rtol=1e-6)


def test_multiplicative_holds_after_horizon():
    lr = jt.MultiplicativeLR(lambda e: 0.9, lr=1.0, horizon=5)
    steps = np.append(np.arange(5, 4 + STEPS), 1000).astype(np.int32)  # 5..259
    np.testing.assert_allclose(lr(jnp.asarray(steps)), 0.9**5, rtol=1e-6)


def test_lambda_lr_traces_with_jnp():
    lr = jt.LambdaLR(lambda e: jnp.where(e < 3, 1.0, 0.5), lr=0.2)
    np.testing.assert_allclose(jax.jit(lr)(jnp.arange(5)), [0.2] * 3 + [0.1] * 2)


def test_cyclic_momentum_arguments_do_not_change_the_rate():
    a = jt.CyclicLR(0.01, 0.1, step_size_up=5)
    b = jt.CyclicLR(0.01, 0.1, step_size_up=5, cycle_momentum=False, base_momentum=0.5)
    steps = jnp.arange(STEPS)
    np.testing.assert_array_equal(a(steps), b(steps))


def test_chained_single_scheduler_is_itself():
    cos = jt.CosineAnnealingLR(5, lr=0.1)
    assert jt.ChainedScheduler([cos], lr=0.1) is cos


def test_with_optax_inject_hyperparams():
    lr = jt.StepLR(2, gamma=0.5, lr=0.1)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    params = jnp.zeros(2)
    state = opt.init(params)
    seen = []
    for _ in range(5):
        _, state = opt.update(jnp.ones(2), state, params)
        seen.append(float(state.hyperparams["learning_rate"]))  # this update's
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05, 0.025], rtol=1e-6)
    assert float(lr(3)) == pytest.approx(0.05)


def test_plateau_with_optax():
    plateau = jt.ReduceLROnPlateau(factor=0.5, patience=0, lr=0.1)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=plateau)
    params = jnp.zeros(())
    state = opt.init(params)
    for loss in (1.0, 1.0):
        _, state = opt.update(params, state, params, value=loss)
    # optax uses the rate decided by the metrics before each update.
    assert float(state.hyperparams["learning_rate"]) == pytest.approx(0.1)
    _, state = opt.update(params, state, params, value=1.0)
    assert float(state.hyperparams["learning_rate"]) == pytest.approx(0.05)


def test_vmap_over_steps_and_pickle():
    lr = jt.OneCycleLR(0.1, total_steps=50, three_phase=True)
    steps = jnp.arange(60).reshape(6, 10)
    run = jax.jit(lambda s, t: s(t))
    np.testing.assert_allclose(jax.jit(jax.vmap(lr))(steps), run(lr, steps), rtol=1e-6)
    again = pickle.loads(pickle.dumps(lr))
    assert again == lr
    np.testing.assert_array_equal(run(again, steps), run(lr, steps))


# -- Python functions (lr_lambda, scale_fn) ------------------------------------

WARMUP = PYTHON_FUNCTIONS["warmup_sqrt"]  # min((e + 1) / 10, (10 / (e + 1)) ** 0.5)
FAR = np.array([0, 9, 15, 16, 17, 1000, 10**6, 2**31 - 1], np.int32)


@pytest.mark.parametrize("rtol", [RTOL32, RTOL64], ids=["float32", "x64"])
def test_python_lambda_is_exact_at_every_step(rtol):
    # Steps below the horizon read the table, the others call the host.
    with jax.enable_x64(rtol == RTOL64):
        lr = jt.LambdaLR(WARMUP, lr=0.1, horizon=16)
        want = np.array([0.1 * WARMUP(int(t)) for t in FAR])
        one = jax.jit(lr)
        chex.assert_trees_all_close(
            np.array([one(t) for t in FAR], np.float64), want, rtol=rtol
        )
        chex.assert_trees_all_close(
            np.asarray(jax.jit(jax.vmap(lr))(FAR), np.float64), want, rtol=rtol
        )


def test_python_lambdas_keep_float64_on_any_thread():
    """Host values come back in float64 whichever thread XLA runs the
    callback on: several callbacks in one program run concurrently, on
    threads where ``jax.enable_x64`` (a setting of the calling thread) is off;
    and a program made with x64 may be run from another thread."""
    fns = [functools.partial(lambda e, i: 1.0 / (i + 1) if e < 8 else 0.5, i=i)
           for i in range(6)]  # fmt: skip
    steps = np.arange(24)
    want = [[0.1 * fn(int(t)) for t in steps] for fn in fns]
    with jax.enable_x64(True):
        lrs = [jt.LambdaLR(fn, lr=0.1, horizon=4) for fn in fns]
        run = jax.jit(lambda lrs, t: [lr(t) for lr in lrs])
        got = run(lrs, jnp.asarray(steps))
        compiled = run.lower(lrs, jnp.asarray(steps)).compile()
        args = jax.tree.map(jnp.asarray, (lrs, steps))
    assert all(g.dtype == jnp.float64 for g in got)
    chex.assert_trees_all_close(np.asarray(got), np.asarray(want), rtol=RTOL64)
    elsewhere = {}
    thread = threading.Thread(
        target=lambda: elsewhere.update(out=jax.device_get(compiled(*args)))
    )
    thread.start()
    thread.join()
    chex.assert_trees_all_close(
        np.asarray(elsewhere["out"]), np.asarray(want), rtol=RTOL64
    )


def test_traced_lambda_giving_nan_is_refused_and_inf_is_held():
    with pytest.raises(ValueError, match=r"`lr_lambda\(5\)` must be a number.*=nan"):
        jt.LambdaLR(lambda e: jnp.where(e < 5, 1.0, jnp.nan), lr=0.1)
    with pytest.raises(ValueError, match=r"`scale_fn\(2\)` must be a number"):
        jt.CyclicLR(
            0.01, 0.1, step_size_up=5, scale_fn=lambda c: jnp.where(c < 2, 1.0, jnp.nan)
        )
    # Past the float range a rate is the largest float, never inf or NaN.
    lr = jt.LambdaLR(lambda e: 1 / (e - 3), lr=0.1)
    big = np.finfo(np.float32).max
    chex.assert_trees_all_close(
        np.asarray(jax.jit(jax.vmap(lr))(jnp.arange(2, 6)), np.float64),
        np.array([-0.1, big, 0.1, 0.05]),
        rtol=RTOL32,
    )


def test_python_lambda_runs_on_the_host_and_a_traceable_one_in_jax():
    host = jt.LambdaLR(WARMUP, lr=0.1)
    traced = jt.LambdaLR(lambda e: jnp.minimum((e + 1) / 10, 1.0), lr=0.1)
    assert "pure_callback" in str(jax.make_jaxpr(host)(jnp.int32(5)))
    assert "pure_callback" not in str(jax.make_jaxpr(traced)(jnp.int32(5)))


def test_python_lambda_raises_where_pytorch_does():
    lr = jt.LambdaLR(lambda e: 1.0 if e < 50 else [][0], lr=0.1, horizon=100)
    chex.assert_trees_all_close(jax.jit(lr)(49), jnp.float32(0.1), rtol=RTOL32)
    # The host's error comes back through XLA (its type depends on the backend).
    with pytest.raises((jax.errors.JaxRuntimeError, ValueError), match="IndexError"):
        jax.jit(lr)(50).block_until_ready()


def test_python_lambda_with_optax_past_the_horizon():
    lr = jt.LambdaLR(lambda e: 1.0 if e < 2 else 0.5, lr=0.1, horizon=1)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    params = jnp.zeros(2)
    update = jax.jit(lambda state: opt.update(jnp.ones(2), state, params)[1])
    state, seen = opt.init(params), []
    for _ in range(4):
        state = update(state)
        seen.append(float(state.hyperparams["learning_rate"]))
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05], rtol=RTOL32)


# -- composites -------------------------------------------------------------------


def chained_cosine_multistep(t_max, eta_min, milestones, gamma, lr, n):
    """PyTorch's ChainedScheduler([CosineAnnealingLR, MultiStepLR]) by its
    recursive rules (torch 2.13's get_lr), in Python floats: the float64
    reference for steps past the fixtures."""
    g, out = lr, [lr]
    for e in range(1, n):
        if (e - 1 - t_max) % (2 * t_max) == 0:
            g = g + (lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            ratio = (1 + math.cos(math.pi * e / t_max)) / (
                1 + math.cos(math.pi * (e - 1) / t_max)
            )
            g = ratio * (g - eta_min) + eta_min
        g = g * gamma ** milestones.count(e)
        out.append(g)
    return np.array(out)


COMPOUND = next(c for c in CASES if c["id"] == "ChainedScheduler-cosine-eta-multistep")


def test_reference_recursion_is_torch():
    got = chained_cosine_multistep(10, 1e-3, [2, 5, 9, 33], 0.1, 0.1, 71)
    peers.check(got, COMPOUND["values"], 1e-15)


@pytest.mark.parametrize("rtol", [RTOL32, RTOL64], ids=["float32", "x64"])
def test_chained_cosine_matches_the_recursion_far_past_t_max(rtol):
    want = chained_cosine_multistep(10, 1e-3, [2, 5, 9, 33], 0.1, 0.1, 3000)
    with jax.enable_x64(rtol == RTOL64):
        lr = build(COMPOUND)
        peers.check(jax.jit(lr)(jnp.arange(3000)), want, rtol)
        # From step 50 (the first minimum after the last milestone) the rates
        # repeat every 2 T_max = 20 steps, at any step.
        far = 10**9 + 10 + np.arange(20)  # 10**9 + 10 = 50 (mod 20)
        peers.check(jax.jit(lr)(far.astype(np.int32)), want[50:70], rtol)


def test_identity_survives_tree_map_pickle_and_copies():
    parts = [
        jt.LinearLR(0.1, total_iters=3, lr=0.1),
        jt.CosineAnnealingLR(5, 0.01, lr=0.1),
    ]
    want = jt.SequentialLR(parts, [3], lr=0.1)
    chain = jt.ChainedScheduler([*parts, jt.StepLR(4, lr=0.1)], lr=0.1)
    want_nested = jt.SequentialLR([chain, jt.StepLR(2, lr=0.1)], [9], lr=0.1)
    for copy in (
        lambda s: jax.tree.map(lambda x: x, s),
        lambda s: pickle.loads(pickle.dumps(s)),
    ):
        others = [copy(p) for p in parts]
        for a, b in zip(parts, others, strict=True):
            assert a == b and hash(a) == hash(b)
        assert jt.SequentialLR(others, [3], lr=0.1) == want
        nested = jt.SequentialLR([copy(chain), jt.StepLR(2, lr=0.1)], [9], lr=0.1)
        assert nested == want_nested


def test_port_equals_its_core_schedule_and_saves_as_it():
    lr = jt.StepLR(3, gamma=0.5, lr=0.1)
    core = jd.step_decay(0.1, step_size=3, gamma=0.5)
    assert lr == core and core == lr and hash(lr) == hash(core)
    assert repr(lr) == repr(core)
    assert jd.from_config(json.loads(json.dumps(lr.to_config()))) == lr
    # Same values, different PyTorch schedulers: they differ in a SequentialLR.
    linear = jt.LinearLR(0.5, total_iters=0, lr=0.1)
    const = jt.ConstantLR(0.5, 0, lr=0.1)
    assert linear == const.schedule and linear != const
    first = jt.StepLR(2, lr=0.1)
    assert float(jt.SequentialLR([first, const], [3], lr=0.1)(3)) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="total_iters"):
        jt.SequentialLR([first, linear], [3], lr=0.1)


# -- lengths beyond int32 ---------------------------------------------------------


HUGE = [
    pytest.param(lambda: jt.StepLR(2**40, gamma=0.5, lr=0.1), 0.1, 0.05, id="step"),
    pytest.param(
        lambda: jt.PolynomialLR(total_iters=2**33, power=2.0, lr=0.1),
        0.1 * (1 - 2**30 / 2**33) ** 2,
        0.0,
        id="polynomial",
    ),
    pytest.param(
        lambda: jt.CosineAnnealingLR(T_max=2**32, eta_min=0.01, lr=0.1),
        0.01 + 0.09 * (1 + math.cos(math.pi / 4)) / 2,
        0.01 + 0.09 * (1 + math.cos(math.pi * (2**40 + 5) / 2**32)) / 2,
        id="cosine",
    ),
]


@pytest.mark.parametrize("make, at_2_30, at_2_40", HUGE)
def test_huge_lengths_give_the_formula(make, at_2_30, at_2_40):
    lr = make()
    chex.assert_trees_all_close(jax.jit(lr)(2**30), jnp.float32(at_2_30), rtol=RTOL32)
    with jax.enable_x64(True):
        lr = make()
        got = jax.jit(lr)(jnp.asarray([2**30, 2**40 + 5], jnp.int64))
        peers.check(got, [at_2_30, at_2_40], RTOL64)


# -- arguments: PyTorch's checks, and what is not representable ------------------


def CHAIN_OF_TWO():  # noqa: N802
    return jt.ChainedScheduler(
        [jt.StepLR(2, lr=0.1), jt.ExponentialLR(0.9, lr=0.1)], lr=0.1
    )


@pytest.mark.parametrize(
    "make, error, match",
    [
        # PyTorch's own checks.
        (lambda: jt.ConstantLR(factor=1.5, lr=0.1), ValueError, r"factor=1\.5"),
        (lambda: jt.ConstantLR(factor=-0.1, lr=0.1), ValueError, r"factor=-0\.1"),
        (lambda: jt.LinearLR(start_factor=0.0, lr=0.1), ValueError, "start_factor"),
        (lambda: jt.LinearLR(start_factor=1.5, lr=0.1), ValueError, "start_factor"),
        (lambda: jt.LinearLR(end_factor=1.5, lr=0.1), ValueError, "end_factor"),
        (lambda: jt.CosineAnnealingWarmRestarts(0, lr=0.1), ValueError, "T_0=0"),
        (lambda: jt.CosineAnnealingWarmRestarts(2.0, lr=0.1), ValueError, "T_0"),
        (
            lambda: jt.CosineAnnealingWarmRestarts(5, T_mult=0, lr=0.1),
            ValueError,
            "T_mult=0",
        ),
        (
            lambda: jt.CosineAnnealingWarmRestarts(5, T_mult=1.5, lr=0.1),
            ValueError,
            "T_mult",
        ),
        (
            lambda: jt.CosineAnnealingWarmRestarts(5, eta_min="0", lr=0.1),
            ValueError,
            "eta_min",
        ),
        (lambda: jt.OneCycleLR(0.1), ValueError, "total_steps"),
        (lambda: jt.OneCycleLR(0.1, epochs=3), ValueError, "steps_per_epoch"),
        (lambda: jt.OneCycleLR(0.1, total_steps=0), ValueError, "total_steps=0"),
        (lambda: jt.OneCycleLR(0.1, total_steps=10.0), ValueError, "total_steps"),
        (
            lambda: jt.OneCycleLR(0.1, epochs=0, steps_per_epoch=3),
            ValueError,
            "epochs=0",
        ),
        (
            lambda: jt.OneCycleLR(0.1, epochs=2, steps_per_epoch=-1),
            ValueError,
            "steps_per_epoch=-1",
        ),
        (
            lambda: jt.OneCycleLR(0.1, total_steps=10, pct_start=1.5),
            ValueError,
            "pct_start=1.5",
        ),
        (
            lambda: jt.OneCycleLR(0.1, total_steps=10, pct_start=1),
            ValueError,
            "a float",
        ),
        (
            lambda: jt.OneCycleLR(0.1, total_steps=10, anneal_strategy="exp"),
            ValueError,
            "anneal_strategy",
        ),
        (lambda: jt.CyclicLR(0.1, 1.0, mode="sine"), ValueError, "mode='sine'"),
        (
            lambda: jt.ReduceLROnPlateau(factor=1.0, lr=0.1),
            ValueError,
            r"factor=1\.0",
        ),
        (lambda: jt.ReduceLROnPlateau(mode="up", lr=0.1), ValueError, "mode='up'"),
        (
            lambda: jt.ReduceLROnPlateau(threshold_mode="x", lr=0.1),
            ValueError,
            "threshold_mode",
        ),
        (lambda: jt.SequentialLR([], [], lr=0.1), ValueError, "non-empty"),
        (
            lambda: jt.SequentialLR(
                [jt.ExponentialLR(0.9, lr=0.1), jt.StepLR(2, lr=0.1)], [], lr=0.1
            ),
            ValueError,
            "one entry fewer",
        ),
        (
            lambda: jt.SequentialLR([jt.ReduceLROnPlateau(lr=0.1)], [], lr=0.1),
            ValueError,
            "ReduceLROnPlateau",
        ),
        (
            lambda: jt.SequentialLR([jt.StepLR(2, lr=0.1)], [], lr=0.2),
            ValueError,
            "same `lr`",
        ),
        (lambda: jt.ChainedScheduler([], lr=0.1), ValueError, "non-empty"),
        # Arguments that PyTorch accepts but one schedule cannot represent.
        (lambda: jt.StepLR(3, lr=[0.1, 0.2]), ValueError, "per-parameter-group"),
        (lambda: jt.CyclicLR([0.1], 1.0), ValueError, "per-parameter-group"),
        (lambda: jt.OneCycleLR([1.0], total_steps=5), ValueError, "max_lr"),
        (lambda: jt.LambdaLR([abs], lr=0.1), ValueError, "per-parameter-group"),
        (lambda: jt.StepLR(3, last_epoch=4, lr=0.1), ValueError, "last_epoch=4"),
        (lambda: jt.StepLR(0, lr=0.1), ValueError, "step_size=0"),
        (lambda: jt.StepLR(3, gamma=0.0, lr=0.1), ValueError, "gamma=0.0"),
        (lambda: jt.ExponentialLR(-0.5, lr=0.1), ValueError, r"gamma=-0\.5"),
        (lambda: jt.CosineAnnealingLR(0, lr=0.1), ValueError, "T_max=0"),
        (lambda: jt.ConstantLR(0.0, 3, lr=0.1), ValueError, "factor=0.0"),
        (lambda: jt.PolynomialLR(5, power=-1.0, lr=0.1), ValueError, "power"),
        (lambda: jt.CyclicLR(0.1, 1.0, step_size_up=2.5), ValueError, "2.5"),
        (lambda: jt.CyclicLR(0.1, 1.0, step_size_up=0), ValueError, "up=0"),
        (
            lambda: jt.CyclicLR(0.1, 1.0, scale_fn=abs, scale_mode="iteration"),
            ValueError,
            "scale_mode",
        ),
        (
            lambda: jt.OneCycleLR(
                1.0, total_steps=15, pct_start=0.55, three_phase=True
            ),
            ValueError,
            "pct_start=0.55",
        ),
        (
            lambda: jt.OneCycleLR(1.0, total_steps=1, pct_start=1.0),
            ValueError,
            "divides by zero",
        ),
        (
            lambda: jt.MultiplicativeLR(lambda e: -1.0, lr=0.1),
            ValueError,
            "finite and >= 0",
        ),
        (
            lambda: jt.SequentialLR(
                [jt.StepLR(2, lr=0.1), jt.StepLR(3, lr=0.1), jt.StepLR(4, lr=0.1)],
                [5, 2],
                lr=0.1,
            ),
            ValueError,
            "sorted",
        ),
        (
            lambda: jt.SequentialLR(
                [jt.StepLR(2, lr=0.1), jt.LinearLR(total_iters=0, lr=0.1)],
                [3],
                lr=0.1,
            ),
            ValueError,
            "total_iters",
        ),
        (
            lambda: jt.SequentialLR([jd.constant(0.1)], [], lr=0.1),
            TypeError,
            "made by jaxdecay.torch",
        ),
        # What PyTorch does not do, or what a composite cannot represent.
        (
            lambda: jt.SequentialLR(
                [jt.StepLR(2, lr=0.1), CHAIN_OF_TWO()], [3], lr=0.1
            ),
            ValueError,
            "NotImplementedError",
        ),
        (
            lambda: jt.SequentialLR(
                [jt.SequentialLR([jt.StepLR(2, lr=0.1)], [], lr=0.1)], [], lr=0.1
            ),
            ValueError,
            r"schedulers\[0\]",
        ),
        (
            lambda: jt.ChainedScheduler(
                [jt.SequentialLR([jt.StepLR(2, lr=0.1)], [], lr=0.1), CHAIN_OF_TWO()],
                lr=0.1,
            ),
            ValueError,
            "other than SequentialLR",
        ),
        (
            lambda: jt.ChainedScheduler(
                [
                    jt.OneCycleLR(1.0, total_steps=10),
                    jt.OneCycleLR(2.0, total_steps=10),
                ],
                lr=0.1,
            ),
            ValueError,
            "same max_lr",
        ),
        (
            # The recursion of a cosine with T_max = 10**7 repeats only every
            # 2 * 10**7 steps: too long to tabulate.
            lambda: jt.ChainedScheduler(
                [
                    jt.CosineAnnealingLR(10**7, 0.01, lr=0.1),
                    jt.ExponentialLR(0.9, lr=0.1),
                ],
                lr=0.1,
            ),
            ValueError,
            "repeat within",
        ),
        (
            # Started by SequentialLR, the chain makes a plain step 0, where
            # PyTorch's PolynomialLR divides by total_iters = 0.
            lambda: jt.SequentialLR(
                [
                    jt.ChainedScheduler(
                        [
                            jt.PolynomialLR(0, lr=0.1),
                            jt.CosineAnnealingLR(3, lr=0.1),
                        ],
                        lr=0.1,
                    )
                ],
                [],
                lr=0.1,
            ),
            ValueError,
            "divides by zero",
        ),
        (
            # Not traceable (`if`): PyTorch calls it with 0 when it is made.
            lambda: jt.LambdaLR(lambda e: 1 / e if e >= 0 else 0.0, lr=0.1),
            ValueError,
            r"lr_lambda\(0\)",
        ),
        (
            lambda: jt.LambdaLR(lambda e: math.inf if e == 0 else 1.0, lr=0.1),
            ValueError,
            "finite",
        ),
        (lambda: jt.LambdaLR(abs, lr=0.1, horizon=0), ValueError, "horizon=0"),
    ],
)
def test_rejects(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_verbose_is_gone_as_in_torch_2_13():
    with pytest.raises(TypeError, match="verbose"):
        jt.StepLR(3, verbose=True, lr=0.1)


def test_lr_is_keyword_only_and_required():
    with pytest.raises(TypeError, match="lr"):
        jt.StepLR(3)
    with pytest.raises(TypeError, match="positional"):
        jt.ExponentialLR(0.9, -1, 0.1)
