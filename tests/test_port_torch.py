"""``jaxdecay.torch`` against PyTorch's own rates (``tests/fixtures/torch.json``,
written by ``scripts/fixtures_torch.py`` from torch 2.13's schedulers).

Tolerances: ``rtol=1e-6`` in float32 and ``rtol=1e-12`` with x64, against
PyTorch's float64 values.  Rates that fall to (near) zero (the bottom of a
cosine, the end of a one-cycle, ``LinearLR`` to 0) make a relative tolerance
meaningless, so every comparison also allows ``atol = rtol * max|values|`` of
its case.  PyTorch itself is not needed.
"""

from __future__ import annotations

import collections
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import optax
import peers
import pytest

import jaxdecay as jd
import jaxdecay.torch as jt

DOC = peers.load("torch")
CASES = DOC["cases"]
SCHEDULES = [c for c in CASES if "metrics" not in c]
PLATEAUS = [c for c in CASES if "metrics" in c]
RTOL32, RTOL64 = 1e-6, 1e-12


def ids(cases):
    return [c["id"] for c in cases]


# Every case is evaluated on the same steps 0..255 (then cut to its length), so
# cases of one structure share compiled code, eagerly and under jit.
STEPS = 256
assert max(len(c["values"]) for c in SCHEDULES) <= STEPS


def evaluate(mode, schedule, n):
    steps = jnp.arange(STEPS)
    out = schedule(steps) if mode == "eager" else peers.jitted(schedule, steps)
    return out[:n]


def test_fixtures_come_from_torch():
    assert DOC["peer"] == "torch"
    assert DOC["version"].startswith("2.13")


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
    schedule = peers.build(case, jt)
    assert isinstance(schedule, jd.Schedule)
    got = evaluate(mode, schedule, len(case["values"]))
    assert got.dtype == jnp.float32
    peers.check(got, case["values"], RTOL32)


@pytest.mark.parametrize("case", PLATEAUS, ids=ids(PLATEAUS))
def test_plateau_matches_torch_float32(case):
    plateau = peers.build(case, jt)
    assert isinstance(plateau, jd.reduce_on_plateau)
    assert float(plateau(plateau.init())) == pytest.approx(case["kwargs"]["lr"])
    peers.check(peers.plateau_values(plateau, case["metrics"]), case["values"], RTOL32)


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
    schedule = peers.build(case, jt)  # built with x64 on, as test_x64.py does
    got = evaluate("jit", schedule, len(case["values"]))
    assert got.dtype == jnp.float64
    peers.check(got, case["values"], RTOL64)


@pytest.mark.parametrize("case", PLATEAUS, ids=ids(PLATEAUS))
def test_plateau_matches_torch_x64(case, x64):
    plateau = peers.build(case, jt)
    peers.check(peers.plateau_values(plateau, case["metrics"]), case["values"], RTOL64)


# -- quirks --------------------------------------------------------------------


def test_cosine_annealing_rises_again_after_t_max():
    lr = jt.CosineAnnealingLR(10, eta_min=0.01, lr=0.1)
    v = np.asarray(lr(jnp.arange(41)))
    assert v[10] == pytest.approx(0.01) and v[20] == pytest.approx(0.1)
    np.testing.assert_allclose(v[:21], v[20:], rtol=1e-6)


def test_one_cycle_holds_torch_last_value_after_total_steps():
    lr = jt.OneCycleLR(1.0, total_steps=20)
    case = next(c for c in CASES if c["id"] == "OneCycleLR-20")
    last = case["values"][-1]  # t = total_steps: torch's last legal step
    np.testing.assert_allclose(jax.jit(lr)(jnp.arange(20, 100)), last, rtol=1e-6)


def test_multiplicative_holds_after_horizon():
    lr = jt.MultiplicativeLR(lambda e: 0.9, lr=1.0, horizon=5)
    np.testing.assert_allclose(lr(jnp.array([5, 6, 1000])), 0.9**5, rtol=1e-6)


def test_lambda_lr_traces_with_jnp():
    lr = jt.LambdaLR(lambda e: jnp.where(e < 3, 1.0, 0.5), lr=0.2)
    np.testing.assert_allclose(jax.jit(lr)(jnp.arange(5)), [0.2] * 3 + [0.1] * 2)


def test_cyclic_momentum_arguments_do_not_change_the_rate():
    a = jt.CyclicLR(0.01, 0.1, step_size_up=5)
    b = jt.CyclicLR(0.01, 0.1, step_size_up=5, cycle_momentum=False, base_momentum=0.5)
    steps = jnp.arange(30)
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


# -- arguments: PyTorch's checks, and what is not representable ------------------


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
            lambda: jt.SequentialLR(
                [jt.StepLR(2, lr=0.1), jt.OneCycleLR(0.1, total_steps=5)],
                [3],
                lr=0.1,
            ),
            ValueError,
            "OneCycleLR",
        ),
        (
            lambda: jt.SequentialLR([jd.constant(0.1)], [], lr=0.1),
            TypeError,
            "made by jaxdecay.torch",
        ),
        # Chaining a scheduler that does not multiply the current rate: PyTorch's
        # values are not a product (CosineAnnealingLR x ExponentialLR differ
        # from the product after T_max).
        (
            lambda: jt.ChainedScheduler(
                [jt.CosineAnnealingLR(5, lr=0.1), jt.ExponentialLR(0.9, lr=0.1)],
                lr=0.1,
            ),
            ValueError,
            "CosineAnnealingLR",
        ),
        (
            lambda: jt.ChainedScheduler(
                [jt.ExponentialLR(0.9, lr=0.1), jt.LambdaLR(abs, lr=0.1)], lr=0.1
            ),
            ValueError,
            "LambdaLR",
        ),
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
