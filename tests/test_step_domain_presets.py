"""The presets, ``recurrence`` and the Keras / transformers ports with lengths
beyond int32: exact at every step a schedule can be called with.

Without x64 the steps are int32 (up to ``2**31 - 1``) while a length may be
up to ``2**63 - 1``; the values are checked against float64 formulas written
here, at ``rtol=1e-5`` (float32), eager and jitted.  The gradient with respect
to a float step is one-sided at the phase boundaries, never NaN.

Eager dispatch compiles every operation once per shape: arrays of steps are
evaluated eagerly at ``STEPS``'s length, integer and float steps alike (values
and gradients), shorter lists of steps repeated to it.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
import jaxdecay.keras as jk
import jaxdecay.transformers as hf

RTOL = 1e-5
TOP = 2**31 - 1  # the last int32 step
# Steps spread over the int32 range, its last step included.
STEPS = np.array([0, 1, 7, 2**29, 2**30, 2**30 + 12345, 2**31 - 2**20, TOP], np.int64)


def check(schedule, reference, steps=STEPS):
    """``schedule`` eager and jitted (int32 steps) against ``reference``; fewer
    steps than ``STEPS`` are repeated to its length."""
    steps = np.resize(np.asarray(steps, np.int64), max(len(steps), len(STEPS)))
    want = reference(np.asarray(steps, np.float64))
    eager = schedule(steps)
    jitted = jax.jit(lambda t: schedule(t))(jax.device_put(steps.astype(np.int32)))
    assert eager.dtype == jitted.dtype == jnp.float32
    chex.assert_trees_all_close(eager, jitted, want, rtol=RTOL, atol=0.0)


# -- float64 formulas -------------------------------------------------------------

SHAPES = {
    "linear": lambda x: 1 - x,
    # (1 + cos(pi x)) / 2 as cos(pi x / 2)**2: no cancellation near x = 1.
    "cosine": lambda x: np.cos(np.pi * x / 2) ** 2,
    "1-sqrt": lambda x: 1 - np.sqrt(x),
    "1-square": lambda x: 1 - x**2,
}


def ramp(t, init, peak, w):
    return init + (peak - init) * t / max(w, 1)


def ref_warmup_cosine_decay(peak, w, d, init=0.0, end=0.0, k=1.0):
    def f(t):
        x = np.clip((t - w) / (d - w), 0.0, 1.0)
        decay = end + (peak - end) * SHAPES["cosine"](x) ** k
        return np.where(t < w, ramp(t, init, peak, w), decay)

    return f


def ref_wsd(peak, w, s, d, init=0.0, end=0.0, shape="linear"):
    def f(t):
        x = np.clip((t - w - s) / d, 0.0, 1.0)
        return np.where(
            t < w, ramp(t, init, peak, w), end + (peak - end) * SHAPES[shape](x)
        )

    return f


# -- warmup_cosine_decay and warmup_stable_decay ------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        # A cosine of 1.5 * 2**31 steps: half-way at 2**30, near its end at TOP.
        dict(peak=2.0, w=10, d=2**31 + 2**30 + 10, init=0.1, end=0.01),
        # A warmup that ends past the last step, then a longer decay.
        dict(peak=1.0, w=2**31 + 2**29, d=2**33, init=0.2),
        # The longest lengths, with an exponent.
        dict(peak=1.0, w=2**30, d=2**63 - 1, end=0.5, k=2.0),
    ],
    ids=["decay", "warmup", "longest"],
)
def test_warmup_cosine_decay_beyond_int32(args):
    peak, w, d = args["peak"], args["w"], args["d"]
    init, end, k = args.get("init", 0.0), args.get("end", 0.0), args.get("k", 1.0)
    lr = jd.warmup_cosine_decay(peak, w, d, init_value=init, end_value=end, exponent=k)
    check(lr, ref_warmup_cosine_decay(peak, w, d, init, end, k))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_warmup_stable_decay_with_a_decay_beyond_int32(shape):
    # Decay from 2**30 over 1.5 * 2**31 steps: a third of it done at TOP.
    w, s, d = 2**29, 2**29, 2**31 + 2**30
    lr = jd.warmup_stable_decay(
        2.0, w, s, d, init_value=0.5, end_value=0.1, decay_shape=shape
    )
    check(lr, ref_wsd(2.0, w, s, d, 0.5, 0.1, shape))


def test_warmup_stable_decay_with_a_warmup_and_plateau_beyond_int32():
    warm = jd.warmup_stable_decay(1.0, 2**31 + 2**29, 5, 10, init_value=0.5)
    check(warm, ref_wsd(1.0, 2**31 + 2**29, 5, 10, 0.5))
    # A plateau to the end of the step range and beyond: the decay never starts.
    flat = jd.warmup_stable_decay(1.0, 10, 2**62, 2**62, decay_shape="1-sqrt")
    check(flat, ref_wsd(1.0, 10, 2**62, 2**62, shape="1-sqrt"))


def test_presets_at_float_steps_beyond_float32():
    """Float steps are split on the host in float64: the fraction of a step
    past 2**24 still counts."""
    steps = np.resize([0.5, 2**30 + 0.25, 2**31 - 1.5], len(STEPS))
    wcd = jd.warmup_cosine_decay(1.0, 10, 2**31 + 2**30 + 10)
    want = ref_warmup_cosine_decay(1.0, 10, 2**31 + 2**30 + 10)(steps)
    chex.assert_trees_all_close(wcd(steps), want, rtol=RTOL, atol=0.0)
    wsd = jd.warmup_stable_decay(1.0, 2**29, 2**29, 2**31, decay_shape="1-sqrt")
    want = ref_wsd(1.0, 2**29, 2**29, 2**31, shape="1-sqrt")(steps)
    chex.assert_trees_all_close(wsd(steps), want, rtol=RTOL, atol=0.0)


# -- recurrence ---------------------------------------------------------------------


def test_recurrence_holds_its_last_value_up_to_any_step():
    horizon = 1000
    lr = jd.recurrence(0.1, lambda t: 1 - 0.5 / (t + 1), horizon)
    t = np.arange(1, horizon + 1, dtype=np.float64)
    last = 0.1 * np.prod(1 - 0.5 / (t + 1))  # about 0.0036
    check(
        lr,
        lambda s: np.where(s >= horizon, last, np.nan),
        steps=np.array([horizon, horizon + 1, 2**30, TOP], np.int64),
    )
    beyond = [2**40, 2.0**40, np.uint64(2**64 - 1), np.int64(2**63 - 1)]
    chex.assert_trees_all_close(
        [lr(s) for s in beyond], [np.float32(last)] * 4, rtol=RTOL, atol=0.0
    )


# -- the ports ----------------------------------------------------------------------


def test_keras_cosine_decay_beyond_int32():
    """Keras: ``top * ((1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2 + alpha)``,
    after a warmup ``init + (top - init) * t / W``."""
    d = 2**31 + 2**30
    lr = jk.CosineDecay(1.0, decay_steps=d, alpha=0.1)
    check(
        lr,
        lambda t: 0.9 * SHAPES["cosine"](np.minimum(t, d) / d) + 0.1,
    )
    w = 2**31 + 2**29
    warm = jk.CosineDecay(0.0, 2**40, warmup_target=2.0, warmup_steps=w)
    check(warm, lambda t: 2.0 * t / w)


def test_keras_piecewise_boundaries_are_exact_integers():
    # float64 would round 2**53 + 1 down (start 2**53 + 1 instead of + 2).
    assert jk.PiecewiseConstantDecay([2**30, 2**53 + 1], [3.0, 2.0, 1.0]) == (
        jd.piecewise_constant([2**30 + 1, 2**53 + 2], [3.0, 2.0, 1.0])
    )
    # A boundary no int64 step passes is left out with the values after it.
    assert jk.PiecewiseConstantDecay([2**63 - 1], [1.0, 2.0]) == (
        jd.piecewise_constant([], [1.0])
    )
    assert jk.PiecewiseConstantDecay([7, 1e30], [3.0, 2.0, 1.0]) == (
        jd.piecewise_constant([8], [3.0, 2.0])
    )
    lr = jk.PiecewiseConstantDecay([2**30, 2**40], [3.0, 2.0, 1.0])
    check(lr, lambda t: np.where(t <= 2**30, 3.0, np.where(t <= 2**40, 2.0, 1.0)))


def test_transformers_linear_schedule_beyond_int32():
    """transformers: ``t / max(1, W)`` for ``t < W``, then
    ``max(0, (N - t) / max(1, N - W))``."""
    w, n = 10, 2**40
    lr = hf.get_linear_schedule_with_warmup(w, n, lr=1.0)
    check(lr, lambda t: np.where(t < w, t / w, np.maximum(0.0, (n - t) / (n - w))))


def test_transformers_cosine_of_whole_cycles_beyond_int32():
    """One full wave (``num_cycles=1``) over ``1.5 * 2**31`` steps: exact without
    a scaled step, whatever the length."""
    w, n = 10, 2**31 + 2**30 + 10
    lr = hf.get_cosine_schedule_with_warmup(w, n, num_cycles=1, lr=1.0)

    def want(t):
        p = (t - w) / (n - w)
        return np.where(t < w, t / w, SHAPES["cosine"](2 * p))

    check(lr, want)
    restarts = hf.get_cosine_with_hard_restarts_schedule_with_warmup(
        w, 2**32 + w, num_cycles=2, lr=1.0
    )

    def want_restarts(t):
        p = (t - w) / 2**32
        return np.where(t < w, t / w, SHAPES["cosine"]((2 * p) % 1.0))

    check(restarts, want_restarts)


def test_transformers_wsd_beyond_int32():
    """transformers' ``get_wsd_schedule`` with a ``1-sqrt`` decay of 2**31 steps."""
    w, d, s, m = 10, 2**31, 2**29, 0.1
    lr = hf.get_wsd_schedule(
        w, d, num_stable_steps=s, decay_type="1-sqrt", min_lr_ratio=m, lr=1.0
    )

    def want(t):
        p = np.clip((t - w - s) / d, 0.0, 1.0)
        decay = m + (1 - m) * (1 - np.sqrt(p))
        return np.where(t < w, m + (1 - m) * t / w, np.where(t < w + s, 1.0, decay))

    check(lr, want)


# -- gradients at the phase boundaries --------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPES))
def test_wsd_gradient_is_one_sided_at_every_boundary(shape):
    """d lr / d t at a float step: at step 0 and at each phase boundary the
    derivative from one side (never NaN, and never the infinite slope of
    ``1 - sqrt`` at the start of its decay), inside a phase the formula's."""
    peak, init, end, w, s, d = 1.0, 0.1, 0.05, 10, 20, 10
    lr = jd.warmup_stable_decay(
        peak, w, s, d, init_value=init, end_value=end, decay_shape=shape
    )
    slope = {  # d g(x) / dx, the decay's shape, at x = 0 and x = 1
        "linear": (-1.0, -1.0),
        "cosine": (0.0, 0.0),
        "1-sqrt": (-np.inf, -0.5),
        "1-square": (0.0, -2.0),
    }[shape]
    rate = (peak - end) / d
    sides = {  # step: (derivative from the left, from the right)
        0.0: (0.0, (peak - init) / w),
        w: ((peak - init) / w, 0.0),
        w + s: (0.0, rate * slope[0]),
        w + s + d: (rate * slope[1], 0.0),
    }
    # the four boundaries, a step inside the warmup and one inside the decay,
    # then the first two boundaries again (len(STEPS) steps)
    boundaries = list(sides)
    which = np.resize(np.arange(6), len(STEPS))
    at = np.asarray([*boundaries, 5.0, w + s + 2.5])[which]
    grads = np.asarray(
        jax.vmap(jax.grad(lambda t: lr(t)))(jnp.asarray(at, jnp.float32)), np.float64
    )
    assert np.all(np.isfinite(grads)), grads
    for g, k in zip(grads, which, strict=True):
        if k < len(boundaries):
            step = boundaries[k]
            finite = [c for c in sides[step] if np.isfinite(c)]
            assert any(np.isclose(g, c, rtol=RTOL, atol=1e-7) for c in finite), (
                step,
                g,
            )
    # Inside the warmup and the decay: the formula's derivative (x = 1/4).
    g = {"linear": -1.0, "cosine": -np.pi / 2 * np.sin(np.pi / 4),
         "1-sqrt": -1.0, "1-square": -0.5}[shape]  # fmt: skip
    chex.assert_trees_all_close(
        grads[4:6], np.array([(peak - init) / w, rate * g]), rtol=1e-4, atol=0.0
    )


def test_warmup_cosine_decay_gradient_is_finite_at_every_boundary():
    lr = jd.warmup_cosine_decay(1.0, 10, 50, init_value=0.2, exponent=2.0)
    # (len(STEPS) steps: the four twice)
    at = jnp.asarray(np.resize([0.0, 10.0, 50.0, 30.0], len(STEPS)), jnp.float32)
    grads = np.asarray(jax.vmap(jax.grad(lambda t: lr(t)))(at), np.float64)
    # 0: the warmup's slope (from the right); 10: the cosine's start (0 on
    # both sides); 50: held (0); 30 (x = 1/2): d/dt [(1 + cos(pi x)) / 2]**2.
    want = np.resize([0.08, 0.0, 0.0, 2 * 0.5 * (-np.pi / 2 / 40)], len(STEPS))
    chex.assert_trees_all_close(grads, want, rtol=1e-4, atol=1e-7)
