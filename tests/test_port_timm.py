"""``jaxdecay.timm`` against timm's own rates (``tests/fixtures/timm.json``,
written by ``scripts/fixtures_timm.py`` from timm 1.0.31's schedulers).

Tolerances: ``rtol=1e-6`` in float32 and ``rtol=1e-12`` with x64, against
timm's float64 values, with ``atol = rtol * max|values|`` of each case (a
relative tolerance means nothing where a cosine reaches 0).  Noise cannot be
number-identical (timm draws it from torch's generator): it is tested for
determinism and range.  Neither timm nor torch is needed.
"""

from __future__ import annotations

import bisect
import collections
import inspect
import json
import math
import pickle

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import peers
import pytest

import jaxdecay as jd
import jaxdecay.timm as jt

DOC = peers.load("timm")
CASES = DOC["cases"]
SCHEDULES = [c for c in CASES if "metrics" not in c]
PLATEAUS = [c for c in CASES if "metrics" in c]
RTOL32, RTOL64 = 1e-6, 1e-12
FACTORY = "create_scheduler_v2"

# Every case is evaluated on the same steps 0..255 (then cut to its length), so
# cases of one structure share compiled code.
STEPS = 256
assert max(len(c["values"]) for c in SCHEDULES) <= STEPS


def ids(cases):
    return [c["id"] for c in cases]


def build(case):
    """The port's schedule of a case (the factory's first value)."""
    out = peers.build(case, jt)
    if case["name"] == FACTORY:
        schedule, num_epochs = out
        assert num_epochs == case["num_epochs"], (num_epochs, case["num_epochs"])
        return schedule
    return out


def test_fixtures_come_from_timm():
    assert DOC["peer"] == "timm"
    assert DOC["version"] == "1.0.31"


def test_every_name_has_several_configurations():
    counts = collections.Counter(c["name"] for c in CASES)
    assert set(counts) == set(jt.__all__)
    assert min(counts.values()) >= 4, counts


@pytest.mark.parametrize("name", sorted(DOC["signatures"]))
def test_arguments_and_defaults_are_timms(name):
    ours = inspect.signature(getattr(jt, name)).parameters.values()
    got = [
        [p.name, None if p.default is p.empty else repr(p.default)]
        for p in ours
        if p.name != "lr"
    ]
    assert got == DOC["signatures"][name]
    lr = inspect.signature(getattr(jt, name)).parameters["lr"]
    assert lr.kind is inspect.Parameter.KEYWORD_ONLY and lr.default is lr.empty


@peers.per_mode
def jitted(mode):
    """Every case's schedule (or its build error) and its values on steps
    0..255, from jitted programs of a few cases each (``peers.each``), per
    mode ("x64": built and run with x64, as test_x64.py does)."""
    return peers.jitted_cases(build, SCHEDULES, jnp.arange(STEPS))


def result(mode, case):
    return peers.rates(jitted(mode), case)


@pytest.mark.parametrize("case", SCHEDULES, ids=ids(SCHEDULES))
def test_matches_timm_float32(case):
    got = result("float32", case)
    assert got.dtype == jnp.float32
    peers.check(got, case["values"], RTOL32)


@pytest.mark.parametrize("case", SCHEDULES, ids=ids(SCHEDULES))
def test_matches_timm_x64(case):
    got = result("x64", case)
    assert got.dtype == jnp.float64
    peers.check(got, case["values"], RTOL64)


# The first case of each name also runs eagerly (op by op), on the same steps
# 0..255 as the jitted runs: its operations compile once for every case.
EAGER = list({c["name"]: c for c in reversed(SCHEDULES)}.values())


@pytest.mark.parametrize("case", EAGER, ids=ids(EAGER))
def test_matches_timm_eagerly(case):
    got = np.asarray(build(case)(jnp.arange(STEPS)))[: len(case["values"])]
    peers.check(got, case["values"], RTOL32)


def plateau(case):
    out = peers.build(case, jt)
    if case["name"] == FACTORY:
        out, num_epochs = out
        assert num_epochs == case["num_epochs"]
    assert isinstance(out, jd.reduce_on_plateau)
    return out


@peers.per_mode
def plateaus(mode):
    """Every plateau case's rule (or its build error) and its values after
    each metric, from jitted programs per mode (as ``jitted``)."""
    return peers.jitted_plateaus(plateau, PLATEAUS)


@pytest.mark.parametrize("rtol", [RTOL32, RTOL64], ids=["float32", "x64"])
@pytest.mark.parametrize("case", PLATEAUS, ids=ids(PLATEAUS))
def test_plateau_matches_timm(case, rtol):
    mode = "x64" if rtol == RTOL64 else "float32"
    rule, values = plateaus(mode)[case["id"]]
    rule = peers.outcome(rule)
    with jax.enable_x64(mode == "x64"):
        kw, factory = case["kwargs"], case["name"] == FACTORY
        made = kw.get("warmup_lr", 1e-5) if factory else kw.get("warmup_lr_init", 0.0)
        warm = kw.get("warmup_epochs" if factory else "warmup_t", 0)
        first = made if warm else kw["lr"]
        assert float(rule(rule.init())) == pytest.approx(first)
    peers.check(peers.outcome(values), case["values"], rtol)


# -- timm's quirks, beyond the fixtures ----------------------------------------


def timm_cosine(t, T, m, lr, lr_min, decay, limit):
    """timm 1.0.31's CosineLRScheduler._get_lr (no warmup, k = 1), in Python
    floats: the float64 reference far past the fixtures."""
    i = math.floor(math.log(1 - t / T * (1 - m), m))
    t_i = m**i * T
    t_curr = t - (1 - m**i) / (1 - m) * T
    if i >= limit:
        return lr_min
    peak = lr * decay**i
    return lr_min + 0.5 * (peak - lr_min) * (1 + math.cos(math.pi * t_curr / t_i))


def test_reference_is_timm():
    case = next(c for c in CASES if c["id"] == "cosine-cycle-mul-3-log-quirk")
    want = [timm_cosine(t, 1, 3.0, 0.1, 0.01, 1.0, 6) for t in range(130)]
    peers.check(want, case["values"], 1e-15)


@pytest.mark.parametrize("rtol", [RTOL32, RTOL64], ids=["float32", "x64"])
def test_late_cycle_starts_far_past_the_fixtures(rtol):
    # math.log(3**k, 3) is one short for k = 5, 10, 13, 15, 17, 20: timm's
    # cycle k starts a step late there, at the previous cycle's end (lr_min).
    starts = [(3**k - 1) // 2 for k in range(4, 21)]
    late = [s for s in starts if timm_cosine(s, 1, 3.0, 0.1, 0.01, 0.9, 30) == 0.01]
    assert late == [(3**k - 1) // 2 for k in (5, 10, 13, 15, 17, 20)]
    steps = np.array([s + d for s in starts for d in (-1, 0, 1, 2)])
    want = [timm_cosine(int(t), 1, 3.0, 0.1, 0.01, 0.9, 30) for t in steps]
    with jax.enable_x64(rtol == RTOL64):
        lr = jt.CosineLRScheduler(1, 0.01, 3.0, 0.9, 30, lr=0.1)
        tanh = jt.TanhLRScheduler(1, cycle_mul=3.0, cycle_limit=30, lr=0.1)
        peers.check(jax.jit(lr)(steps), want, rtol)
        # The tanh's cycle keeps its last value (r = 1) for the late step.
        got = np.asarray(jax.jit(tanh)(np.array(late)), np.float64)
        assert np.all(got > 0.0002) and np.all(got < 0.0003)


def test_fractional_decay_lands_as_pythons_floor_division():
    for d in (2.5, 1.1 * 3, 0.1 + 0.2, 7 / 3):
        lr = jt.StepLRScheduler(d, decay_rate=0.5, lr=1.0)
        want = [0.5 ** (t // d) for t in range(300)]
        peers.check(jax.jit(lr)(jnp.arange(300)), want, RTOL32)


def test_multistep_counts_milestones_at_t_plus_one_even_unsorted():
    for milestones in ([3, 1, 4], [5, 2, 2, 9, 0], [2.5, 7.0]):
        lr = jt.MultiStepLRScheduler(milestones, decay_rate=0.5, lr=1.0)
        want = [0.5 ** bisect.bisect_right(milestones, t + 1) for t in range(12)]
        peers.check(peers.jitted(lr, jnp.arange(12)), want, RTOL32)


def test_factory_holds_the_made_rate_until_the_first_step():
    # tanh's value at t = 0 is below lr, but timm's first epoch uses lr.
    lr, _ = jt.create_scheduler_v2("tanh", num_epochs=10, updates_per_epoch=3, lr=0.1)
    tanh = jt.TanhLRScheduler(10, lr=0.1)
    got, own = jax.jit(lambda t: (lr(t), tanh(t // 3)))(jnp.arange(30))
    assert float(got[0]) == pytest.approx(0.1, rel=1e-7)
    assert float(own[0]) < 0.1 * (1 - 1e-7)
    np.testing.assert_allclose(got[3:], own[3:], rtol=1e-6)


def test_epoch_stairs_for_a_float_step():
    lr, _ = jt.create_scheduler_v2(num_epochs=10, updates_per_epoch=4, lr=0.1)
    epoch = jt.CosineLRScheduler(10, warmup_lr_init=1e-5, lr=0.1)
    np.testing.assert_allclose(lr(13.7), epoch(3), rtol=1e-6)


# -- noise ---------------------------------------------------------------------


def test_noise_is_deterministic_bounded_and_in_its_range():
    def make(**noise):
        return jt.CosineLRScheduler(100, noise_pct=0.2, **noise, lr=0.1)

    lr, again = make(noise_range_t=(10, 60)), make(noise_range_t=(10, 60))
    other, clean = make(noise_range_t=(10, 60), noise_seed=7), make()
    steps = jnp.arange(100)
    run = jax.jit(lambda ss, t: [s(t) for s in ss] + [jax.vmap(ss[0])(t)])
    noisy, same, moved, base, mapped = map(
        np.asarray, run([lr, again, other, clean], steps)
    )
    np.testing.assert_array_equal(noisy, same)  # the same in every run
    np.testing.assert_allclose(noisy, mapped, rtol=RTOL32)
    assert not np.array_equal(noisy, moved)  # another seed
    assert np.all(noisy[:10] == base[:10]) and np.all(noisy[60:] == base[60:])
    ratio = noisy[10:60] / base[10:60] - 1
    assert np.all(np.abs(ratio) < 0.2) and np.std(ratio) > 0.05


def test_factory_noise_is_a_fraction_of_the_schedule():
    lr, _ = jt.create_scheduler_v2(
        "step", num_epochs=10, decay_epochs=4, noise=[0.3, 0.6], lr=0.1
    )
    clean, _ = jt.create_scheduler_v2("step", num_epochs=10, decay_epochs=4, lr=0.1)
    noisy, base = jax.jit(lambda t: (lr(t), clean(t)))(jnp.arange(10))
    moved = np.asarray(noisy) != np.asarray(base)
    np.testing.assert_array_equal(moved, [t in (3, 4, 5) for t in range(10)])


def test_plateau_noise_after_the_warmup_only():
    kwargs = {"warmup_t": 2, "mode": "min", "noise_range_t": 0, "lr": 0.1}
    rule = jt.PlateauLRScheduler(**kwargs)
    clean = jt.PlateauLRScheduler(**{**kwargs, "noise_range_t": None})
    a, b = (peers.plateau_values(r, jnp.ones(6)) for r in (rule, clean))
    np.testing.assert_array_equal(a[:2], b[:2])
    assert np.all(a[2:] != b[2:]) and np.all(np.abs(a[2:] / b[2:] - 1) < 0.67)


# -- values: config, pickle, optax ---------------------------------------------


def test_port_equals_its_core_schedule_and_saves_as_it():
    lr = jt.StepLRScheduler(3, decay_rate=0.5, lr=0.1)
    core = jd.step_decay(0.1, step_size=3, gamma=0.5)
    assert lr == core and core == lr and hash(lr) == hash(core)
    assert repr(lr) == repr(core)
    for s in (
        lr,
        jt.WSDLRScheduler(20, 5, warmup_t=3, lr=0.1),
        jt.create_scheduler_v2(num_epochs=5, updates_per_epoch=2, lr=0.1)[0],
    ):
        assert jd.from_config(json.loads(json.dumps(s.to_config()))) == s
    # The same values from two timm schedulers: equal cores, different ports.
    a = jt.StepLRScheduler(3, decay_rate=0.5, lr=0.1)
    b = jt.create_scheduler_v2("step", decay_epochs=3, decay_rate=0.5, lr=0.1)[0]
    assert a.schedule == b.schedule and a != b


def test_pickle_vmap_and_traced_steps():
    lr = jt.CosineLRScheduler(10, cycle_mul=2.0, cycle_limit=3, warmup_t=2, lr=0.1)
    steps = jnp.arange(60).reshape(6, 10)
    run = jax.jit(lambda s, t: s(t))
    np.testing.assert_allclose(jax.jit(jax.vmap(lr))(steps), run(lr, steps), rtol=1e-6)
    again = pickle.loads(pickle.dumps(lr))
    assert again == lr
    np.testing.assert_array_equal(run(again, steps), run(lr, steps))


def test_traced_rates():
    def rates(lr):
        cosine = jt.CosineLRScheduler(10, warmup_t=2, cycle_limit=3, lr=lr)
        wsd = jt.WSDLRScheduler(10, 3, stable_fn="rsqrt", warmup_t=2, lr=lr)
        steps = jnp.arange(30)
        return cosine(steps), wsd(steps)

    known = jax.jit(lambda: rates(0.2))()
    for got, want in zip(jax.jit(rates)(0.2), known, strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL32)
    assert jt.StepLRScheduler(3, lr=0.1).spec.args is not None
    assert jax.jit(lambda lr: jt.StepLRScheduler(3, lr=lr).spec.args)(0.1) is None


def test_with_optax_inject_hyperparams():
    lr, _ = jt.create_scheduler_v2(
        "step",
        num_epochs=6,
        decay_epochs=1,
        decay_rate=0.5,
        updates_per_epoch=2,
        lr=0.1,
    )
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
    params = jnp.zeros(2)
    state, seen = opt.init(params), []
    for _ in range(6):
        _, state = opt.update(jnp.ones(2), state, params)
        seen.append(float(state.hyperparams["learning_rate"]))
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-6)


def timm_cycle_position(t, T, m):
    """timm's cycle of step t, with the steps into it and its length."""
    i = math.floor(math.log(1 - t / T * (1 - m), m))
    return i, t - (1 - m**i) / (1 - m) * T, m**i * T


def test_huge_lengths_in_x64():
    with jax.enable_x64(True):
        lr = jt.CosineLRScheduler(2**40, lr_min=0.01, warmup_t=2**33, lr=0.1)
        t = 2**39 + 2**33  # warmup within the cycle: the cosine at t itself
        got = jax.jit(lr)(jnp.asarray([2**32, t], jnp.int64))
        want = [0.05, 0.01 + 0.045 * (1 + math.cos(math.pi * t / 2**40))]
        chex.assert_trees_all_close(got, jnp.asarray(want), rtol=RTOL64)
        # Cycles of 10**i steps: the last one to start lasts past 2**63 - 1.
        tanh = jt.TanhLRScheduler(1, cycle_mul=10.0, cycle_limit=100, lr=0.1)
        poly = jt.PolyLRScheduler(
            1, power=2.0, k_decay=1.5, cycle_mul=10.0, cycle_limit=100, lr=0.1
        )
        steps = [5, 10**17 + 3, 2**62 + 12345, 2**63 - 1]
        got = jax.jit(lambda t: (tanh(t), poly(t)))(jnp.asarray(steps, jnp.int64))
        want_tanh, want_poly = [], []
        for t in steps:
            _, done, length = timm_cycle_position(t, 1, 10.0)
            r = done / length
            want_tanh.append(0.05 * (1 - math.tanh(-7.0 * (1 - r) + 3.0 * r)))
            want_poly.append(0.1 * (1 - r**1.5) ** 2)
        peers.check(got[0], want_tanh, RTOL64)
        peers.check(got[1], want_poly, RTOL64)


# -- arguments: timm's checks, and what is not representable ------------------


@pytest.mark.parametrize(
    "make, error, match",
    [
        # timm's own checks.
        (lambda: jt.CosineLRScheduler(0, lr=0.1), ValueError, "t_initial=0"),
        (lambda: jt.CosineLRScheduler(5, lr_min=-0.1, lr=0.1), ValueError, "lr_min"),
        (lambda: jt.TanhLRScheduler(5, lb=3.0, ub=3.0, lr=0.1), ValueError, "ub=3.0"),
        (
            lambda: jt.TanhLRScheduler(5, cycle_limit=-1, lr=0.1),
            ValueError,
            "cycle_limit",
        ),
        (
            lambda: jt.TanhLRScheduler(5, warmup_lr_init=-1e-3, lr=0.1),
            ValueError,
            "warmup_lr_init",
        ),
        (lambda: jt.PolyLRScheduler(-3, lr=0.1), ValueError, "t_initial=-3"),
        (lambda: jt.WSDLRScheduler(10, 11, lr=0.1), ValueError, "decay_t=11"),
        (lambda: jt.WSDLRScheduler(10, 0, lr=0.1), ValueError, "decay_t=0"),
        (
            lambda: jt.WSDLRScheduler(10, 2, stable_fn="sqrt", lr=0.1),
            ValueError,
            "stable_fn",
        ),
        (
            lambda: jt.WSDLRScheduler(10, 2, decay_fn="step", lr=0.1),
            ValueError,
            "decay_fn",
        ),
        (
            lambda: jt.WSDLRScheduler(10, 2, decay_ratio=1.0, lr=0.1),
            ValueError,
            "decay_ratio",
        ),
        (
            lambda: jt.WSDLRScheduler(10, 2, stable_fn="rsqrt", lr=0.1),
            ValueError,
            "stable_timescale",
        ),
        (
            lambda: jt.PlateauLRScheduler(decay_rate=1.0, lr=0.1),
            ValueError,
            "decay_rate=1.0",
        ),
        (lambda: jt.PlateauLRScheduler(mode="up", lr=0.1), ValueError, "mode"),
        (lambda: jt.create_scheduler_v2("cos", lr=0.1), ValueError, "sched='cos'"),
        (
            lambda: jt.create_scheduler_v2(step_on_epochs=False, lr=0.1),
            ValueError,
            "updates_per_epoch",
        ),
        (
            lambda: jt.create_scheduler_v2(
                "plateau", step_on_epochs=False, updates_per_epoch=5, lr=0.1
            ),
            ValueError,
            "per epoch",
        ),
        (
            lambda: jt.create_scheduler_v2(
                "wsd", num_epochs=10, warmup_epochs=10, lr=0.1
            ),
            ValueError,
            "decay_epochs",
        ),
        # What timm accepts but a schedule does not represent.
        (lambda: jt.StepLRScheduler(3, lr=[0.1, 0.2]), TypeError, "per-parameter"),
        (
            lambda: jt.CosineLRScheduler(10, cycle_mul=0.5, lr=0.1),
            ValueError,
            "cycle_mul=0.5",
        ),
        (lambda: jt.CosineLRScheduler(10.5, lr=0.1), ValueError, "t_initial=10.5"),
        (
            lambda: jt.CosineLRScheduler(10, warmup_t=2.5, lr=0.1),
            ValueError,
            "warmup_t=2.5",
        ),
        (
            lambda: jt.CosineLRScheduler(10, cycle_limit=2, cycle_decay=0.0, lr=0.1),
            ValueError,
            "cycle_decay",
        ),
        (lambda: jt.CosineLRScheduler(10, k_decay=0.0, lr=0.1), ValueError, "k_decay"),
        (lambda: jt.PolyLRScheduler(10, power=0.0, lr=0.1), ValueError, "power"),
        (
            lambda: jt.TanhLRScheduler(10, cycle_mul=1.5, cycle_limit=4, lr=0.1),
            ValueError,
            "whole steps",
        ),
        (
            lambda: jt.StepLRScheduler(3, decay_rate=0.0, lr=0.1),
            ValueError,
            "decay_rate",
        ),
        (lambda: jt.StepLRScheduler(0, lr=0.1), ValueError, "decay_t=0"),
        (
            lambda: jt.WSDLRScheduler(10, 2, decay_fn=math.sqrt, lr=0.1),
            TypeError,
            "decay_fn",
        ),
        (
            lambda: jt.CosineLRScheduler(10, noise_range_t=5, noise_pct=0.0, lr=0.1),
            ValueError,
            "noise_pct",
        ),
        (
            lambda: jt.CosineLRScheduler(10, noise_range_t=[1, 2, 3], lr=0.1),
            ValueError,
            "noise_range_t",
        ),
        (
            lambda: jt.PlateauLRScheduler(decay_rate=-0.5, lr=0.1),
            ValueError,
            "decay_rate",
        ),
    ],
)
def test_rejects(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_lr_is_keyword_only_and_required():
    with pytest.raises(TypeError, match="lr"):
        jt.StepLRScheduler(3)
    with pytest.raises(TypeError, match="positional"):
        jt.CosineLRScheduler(
            10,
            0.0,
            1.0,
            1.0,
            1,
            0,
            0.0,
            False,
            True,
            None,
            0.67,
            1.0,
            42,
            1.0,
            True,
            0.1,
        )
