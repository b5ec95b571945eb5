"""A shared catalog of example schedules covering the whole public API.

Every public name in ``jaxdecay.__all__`` (aliases included) and every
composition appears here, in several configurations.  Each example carries:

* ``make()``: builds the schedule (fresh each call, so tests can also build it
  inside ``jax.enable_x64``);
* ``ref(t)``: an independent float64 NumPy reference, written from the
  documented formulas, for real steps ``t >= 0`` (negative steps are clamped by
  the caller with :func:`reference`);
* ``sweep(v)``: builds the same kind of schedule from one numeric parameter
  ``v`` (traceable: used inside ``jax.vmap`` and ``jax.grad``); ``v0`` is a
  valid value for it;
* ``horizon``: integer steps ``0..horizon-1`` cover every phase of the example;
* ``public``: the public name the example is built with;
* ``picklable``: False when the schedule holds a closure (optax schedules).

The references deliberately use the plain textbook formulas (no library code).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxdecay as jd

__all__ = [
    "Example",
    "CATALOG",
    "CORE",
    "EXAMPLES",
    "padded",
    "reference",
    "int_steps",
    "float_steps",
]

BIG_STEPS = (100_000, 2**24 + 1, 2**31 - 1)


@dataclasses.dataclass(frozen=True)
class Example:
    id: str
    public: str
    make: Callable[[], jd.Schedule]
    ref: Callable[[np.ndarray], np.ndarray]
    sweep: Callable[[object], jd.Schedule]
    v0: float
    horizon: int
    picklable: bool = True

    def __repr__(self):  # readable pytest ids
        return self.id


def reference(example: Example, t) -> np.ndarray:
    """The float64 reference at (possibly negative) real steps ``t``."""
    t = np.maximum(np.asarray(t, np.float64), 0.0)
    with np.errstate(over="ignore", under="ignore"):
        return np.asarray(example.ref(t), np.float64) * np.ones_like(t)


def padded(steps, n, dtype=None) -> np.ndarray:
    """``steps`` repeated at its last entry up to ``n`` entries (in ``dtype``,
    by default their own): a file that evaluates every few steps eagerly on
    one shape has eager dispatch compile each operation once, not per test."""
    steps = np.asarray(steps, dtype)
    assert 0 < steps.size <= n, f"{steps.size} steps do not pad to {n}"
    return np.concatenate([steps, np.full(n - steps.size, steps[-1], steps.dtype)])


N_INT = 509  # integer steps per example below the far-away ones: 512 in all
N_FLOAT = 128  # integer parts of the fractional steps (three fractions each)
NEGATIVE_INT_STEPS = (-(2**31), -7, -1)  # behave as step 0
NEGATIVE_FLOAT_STEPS = (-np.inf, -1e30, -0.5)


def int_steps(example: Example) -> np.ndarray:
    """512 int32 steps: three negative steps, every step below 256, the steps
    around each of the schedule's breakpoints, an even spread up to past the
    horizon, and a few far-away steps.  One fixed shape for every example keeps
    eager dispatch caches warm."""
    h = example.horizon
    n = N_INT - len(NEGATIVE_INT_STEPS)
    points = set(range(min(h + 8, 256)))
    for b in example.make().breakpoints():
        points |= {b - 1, b, b + 1}
    points = sorted(p for p in points if 0 <= p <= h + 8)[:n]
    fill = np.round(np.linspace(0, h + 8, n - len(points))).astype(np.int64)
    out = np.sort(np.r_[points, fill]).astype(np.int64)
    return np.r_[NEGATIVE_INT_STEPS, out, BIG_STEPS].astype(np.int32)


def float_steps(example: Example) -> np.ndarray:
    """384 float32 steps: three negative ones, then n + 0.25, n + 0.5, n + 0.75
    spread over the integer grid up to the horizon plus 8."""
    grid = int_steps(example)[len(NEGATIVE_INT_STEPS) : N_INT]
    base = grid[np.round(np.linspace(0, len(grid) - 1, N_FLOAT)).astype(np.int64)]
    out = (base[:, None] + np.array([0.25, 0.5, 0.75])).ravel()
    out[: len(NEGATIVE_FLOAT_STEPS)] = NEGATIVE_FLOAT_STEPS
    return out.astype(np.float32)


# ---------------------------------------------------------------------------
# Float64 references of the documented formulas.


def r_constant(v):
    return lambda t: np.full_like(t, v)


def _p(t, T, stair):
    return np.floor(t / T) if stair else t / T


def r_linear_decay(init, rate, T=1, stair=False, end=0.0):
    return lambda t: np.maximum(init * (1 - rate * _p(t, T, stair)), end)


def r_exponential_decay(init, rate, T=1, stair=False, begin=0, end=None):
    def f(t):
        v = init * rate ** _p(np.maximum(t - begin, 0), T, stair)
        if end is not None:
            v = np.maximum(v, end) if rate < 1 else np.minimum(v, end)
        return v

    return f


def r_natural_exp_decay(init, rate, T=1, stair=False):
    return lambda t: init * np.exp(-rate * _p(t, T, stair))


def r_inverse_time_decay(init, rate, T=1, stair=False):
    return lambda t: init / (1 + rate * _p(t, T, stair))


def r_inverse_sqrt_decay(init, T=1):
    return lambda t: init * np.sqrt(T / np.maximum(t, T))


def r_step_decay(init, size, gamma):
    return lambda t: init * gamma ** np.floor(t / size)


def r_multistep_decay(init, milestones, gamma):
    m = np.asarray(milestones, np.float64)
    return lambda t: init * gamma ** np.searchsorted(m, t, side="right")


def r_piecewise_constant(boundaries, values):
    b = np.asarray(boundaries, np.float64)
    v = np.asarray(values, np.float64)
    return lambda t: v[np.searchsorted(b, t, side="right")]


def r_piecewise_linear(boundaries, values):
    b = np.asarray(boundaries, np.float64)
    v = np.asarray(values, np.float64)

    def f(t):
        i = np.searchsorted(b, t, side="right")
        out = np.empty(t.size)
        for k, (tk, ik) in enumerate(zip(t.ravel(), i.ravel(), strict=True)):
            if ik == 0:
                val = v[0]
            elif ik >= len(b):
                val = v[-1]
            else:
                x = (tk - b[ik - 1]) / (b[ik] - b[ik - 1])
                val = v[ik - 1] + (v[ik] - v[ik - 1]) * x
            out[k] = val
        return out.reshape(np.shape(t))

    return f


def r_polynomial_decay(init, end, T, power=1.0, begin=0, cycle=False):
    def f(t):
        tau = np.maximum(t - begin, 0.0)
        if cycle:
            length = T * np.where(tau == 0, 1.0, np.ceil(tau / T))
        else:
            length = T
            tau = np.minimum(tau, T)
        return (init - end) * (1 - tau / length) ** power + end

    return f


def r_cosine_decay(init, D, end=0.0, k=1.0):
    return lambda t: (
        end + (init - end) * (0.5 * (1 + np.cos(np.pi * np.minimum(t, D) / D))) ** k
    )


def r_linear(init, end, T, begin=0):
    return lambda t: init + (end - init) * np.clip(t - begin, 0, T) / T


def r_warmup(inner, W, init=0.0):
    def f(t):
        peak = inner(np.zeros(1))[0]
        ramp = init + (peak - init) * t / max(W, 1)
        return np.where(t < W, ramp, inner(np.maximum(t - W, 0.0)))

    return f


def r_warmup_cosine_decay(peak, W, D, init=0.0, end=0.0, k=1.0):
    return r_warmup(r_cosine_decay(peak, D - W, end, k), W, init)


_SHAPES = {
    "linear": lambda x: 1 - x,
    "cosine": lambda x: 0.5 * (1 + np.cos(np.pi * x)),
    "1-sqrt": lambda x: 1 - np.sqrt(x),
    "1-square": lambda x: 1 - x**2,
}


def r_wsd(peak, W, S, D, init=0.0, end=0.0, shape="linear"):
    g = _SHAPES[shape]

    def f(t):
        x = np.clip((t - W - S) / D, 0, 1)
        ramp = init + (peak - init) * t / max(W, 1)
        return np.where(t < W, ramp, end + (peak - end) * g(x))

    return f


def r_one_cycle(
    peak, total, pct=0.3, div=25.0, final_div=1e4, anneal="cos", three=False, m=None
):
    """PyTorch's OneCycleLR rate, or with ``m=(base, max)`` its momentum."""
    initial = peak / div
    low = initial / final_div
    if three:
        ends = [pct * total - 1, 2 * pct * total - 2, total - 1.0]
        points = [initial, peak, initial, low]
    else:
        ends = [pct * total - 1, total - 1.0]
        points = [initial, peak, low]
    if m is not None:
        points = [m[1], m[0], m[1], m[1]][: len(points)]
    starts = [0.0, *ends[:-1]]

    def f(t):
        out = np.empty(np.size(t))
        for k, tk in enumerate(np.ravel(t)):
            for i, e in enumerate(ends):  # PyTorch OneCycleLR's phase rule
                if tk <= e or i == len(ends) - 1:
                    break
            s, e = starts[i], ends[i]
            x = 1.0 if e <= s else min(max((tk - s) / (e - s), 0.0), 1.0)
            a, b = points[i], points[i + 1]
            if anneal == "cos":
                val = b + (a - b) / 2 * (1 + math.cos(math.pi * x))
            else:
                val = a + (b - a) * x
            out[k] = val
        return out.reshape(np.shape(t))

    return f


def r_cyclic(base, top, up, down=None, mode="triangular", gamma=1.0):
    down = up if down is None else down
    total = up + down

    def f(t):
        cycle = np.floor(t / total)
        pos = t - cycle * total
        h = np.where(pos <= up, pos / up, (total - pos) / down)
        if mode == "triangular2":
            h = h / 2.0**cycle
        elif mode == "exp_range":
            h = h * gamma**t
        return base + (top - base) * h

    return f


def r_cosine_restarts(init, T0, pm=1.0, vm=1.0, end=0.0):
    starts = [0.0]
    while pm > 1 and starts[-1] < 2.0**64:
        starts.append(starts[-1] + T0 * pm ** (len(starts) - 1))
    starts = np.asarray(starts)

    def f(t):
        t = np.asarray(t, np.float64)
        if pm == 1:
            k = np.floor(t / T0)
            tau = t - k * T0
        else:
            k = np.searchsorted(starts[1:], t, side="right")
            tau = t - starts[k]
        length = T0 * pm**k
        return end + (init - end) * vm**k * 0.5 * (1 + np.cos(np.pi * tau / length))

    return f


def r_recurrence(init, factor, H):
    table = init * np.cumprod(np.r_[1.0, [factor(s) for s in range(1, H + 1)]])
    return lambda t: table[np.minimum(np.floor(t), H).astype(np.int64)]


def r_join(refs, boundaries):
    b = np.asarray(boundaries, np.float64)
    starts = np.r_[0.0, b]

    def f(t):
        i = np.searchsorted(b, np.floor(t), side="right")
        out = np.empty_like(t)
        for k, r in enumerate(refs):
            sel = i == k
            out[sel] = r(t[sel] - starts[k])
        return out

    return f


def r_shift(inner, k):
    return lambda t: inner(np.maximum(t - k, 0.0))


def r_repeat(inner, period):
    return lambda t: inner(np.mod(t, period))


def r_staircase(inner, every):
    return lambda t: inner(every * np.floor(t / every))


def r_clip(inner, lo=None, hi=None):
    return lambda t: np.clip(inner(t), lo, hi)


# ---------------------------------------------------------------------------
# Module-level callables (picklable, and the same object each time, so that
# schedules holding them compare equal).


def factor_minus_one_over_T(t):
    """lr_t = lr_{t-1} - lr_{t-1} / T with T = 50."""
    return 1.0 - 1.0 / 50.0 + 0.0 * np.asarray(t, np.float64)


def factor_gamma_pow_t(t):
    """lr_t = lr_{t-1} * gamma**t with gamma = 0.99."""
    return 0.99 ** np.asarray(t, np.float64)


def factor_cosine(t):
    """lr_t = lr_{t-1} * (1 + gamma * cos(t * pi / T)), gamma = 0.5, T = 40."""
    return 1.0 + 0.5 * np.cos(np.asarray(t, np.float64) * np.pi / 40.0)


def factor_scalar_only(t):
    """lr_e = lr_{e-1} / (1 + decay * e), decay = 0.01; Python ints only."""
    if not isinstance(t, int):
        raise TypeError("scalar steps only")
    return 1.0 / (1.0 + 0.01 * t)


def python_schedule(step):
    """A plain traceable function of the step."""
    return 0.1 / (1.0 + jnp.sqrt(step))


OPTAX_LINEAR = optax.linear_schedule(1.0, 0.1, 20, transition_begin=5)
OPTAX_EXP = optax.exponential_decay(1.0, 10, 0.5)


# ---------------------------------------------------------------------------
# The catalog.

# Every public name that builds a schedule (not the tools around schedules).
SCHEDULE_NAMES = {
    name
    for name in jd.__all__
    if isinstance(getattr(jd, name), type)
    and issubclass(getattr(jd, name), jd.Schedule)
    and name != "Schedule"
}


def stacked(*values):
    """``jnp.stack(values)`` for a sweep: a hostile Python number past float32
    becomes inf there (the schedule then refuses it) without NumPy's warning
    of the cast."""
    with np.errstate(over="ignore"):
        return jnp.stack(values)


CATALOG: list[Example] = []


def add(id, public, make, ref, sweep, v0, horizon, picklable=True):
    CATALOG.append(Example(id, public, make, ref, sweep, v0, horizon, picklable))


# constant
add(
    "constant",
    "constant",
    lambda: jd.constant(0.05),
    r_constant(0.05),
    lambda v: jd.constant(v),
    0.05,
    4,
)
# linear_decay
add(
    "linear_decay_docs",
    "linear_decay",
    lambda: jd.linear_decay(0.1, 0.1),
    r_linear_decay(0.1, 0.1),
    lambda v: jd.linear_decay(v, 0.1),
    0.1,
    14,
)
add(
    "linear_decay_stairs_floor",
    "linear_decay",
    lambda: jd.linear_decay(
        1.0, 0.05, transition_steps=10, staircase=True, end_value=0.22
    ),
    r_linear_decay(1.0, 0.05, 10, True, 0.22),
    lambda v: jd.linear_decay(
        1.0, v, transition_steps=10, staircase=True, end_value=0.22
    ),
    0.05,
    180,
)

# exponential_decay
add(
    "exponential_decay_docs",
    "exponential_decay",
    lambda: jd.exponential_decay(0.1, 0.9),
    r_exponential_decay(0.1, 0.9),
    lambda v: jd.exponential_decay(v, 0.9),
    0.1,
    12,
)
add(
    "exponential_decay_full",
    "exponential_decay",
    lambda: jd.exponential_decay(
        1.0, 0.5, transition_steps=7, staircase=True, transition_begin=5, end_value=0.05
    ),
    r_exponential_decay(1.0, 0.5, 7, True, 5, 0.05),
    lambda v: jd.exponential_decay(
        v, 0.5, transition_steps=7, staircase=True, transition_begin=5, end_value=0.05
    ),
    1.0,
    45,
)
add(
    "exponential_growth_capped",
    "exponential_decay",
    lambda: jd.exponential_decay(0.01, 1.1, transition_steps=3, end_value=0.05),
    r_exponential_decay(0.01, 1.1, 3, False, 0, 0.05),
    lambda v: jd.exponential_decay(v, 1.1, transition_steps=3, end_value=0.05),
    0.01,
    60,
)

# natural_exp_decay / inverse_time_decay / inverse_sqrt_decay
add(
    "natural_exp_decay_stairs",
    "natural_exp_decay",
    lambda: jd.natural_exp_decay(0.5, 0.3, transition_steps=4, staircase=True),
    r_natural_exp_decay(0.5, 0.3, 4, True),
    lambda v: jd.natural_exp_decay(v, 0.3, transition_steps=4, staircase=True),
    0.5,
    20,
)
add(
    "inverse_time_decay_docs",
    "inverse_time_decay",
    lambda: jd.inverse_time_decay(0.1, 0.1),
    r_inverse_time_decay(0.1, 0.1),
    lambda v: jd.inverse_time_decay(0.1, v),
    0.1,
    20,
)
add(
    "inverse_sqrt_decay_warm",
    "inverse_sqrt_decay",
    lambda: jd.inverse_sqrt_decay(1.0, transition_steps=16),
    r_inverse_sqrt_decay(1.0, 16),
    lambda v: jd.inverse_sqrt_decay(v, 16),
    1.0,
    40,
)

# step_decay / multistep_decay
add(
    "step_decay_docs",
    "step_decay",
    lambda: jd.step_decay(0.1, 10, 0.1),
    r_step_decay(0.1, 10, 0.1),
    lambda v: jd.step_decay(0.1, 10, v),
    0.1,
    35,
)
add(
    "multistep_decay_repeated",
    "multistep_decay",
    lambda: jd.multistep_decay(1.0, [0, 5, 5, 20], 0.5),
    r_multistep_decay(1.0, [0, 5, 5, 20], 0.5),
    lambda v: jd.multistep_decay(1.0, [0, 5, 5, 20], v),
    0.5,
    25,
)

# piecewise
add(
    "piecewise_constant",
    "piecewise_constant",
    lambda: jd.piecewise_constant([10, 30], [0.1, 0.01, 0.001]),
    r_piecewise_constant([10, 30], [0.1, 0.01, 0.001]),
    lambda v: jd.piecewise_constant([10, 30], stacked(v, v / 10, v / 100)),
    0.1,
    35,
)
add(
    "piecewise_constant_from_scales",
    "piecewise_constant",
    lambda: jd.piecewise_constant.from_scales(1.0, {3: 0.5, 8: 0.1, 9: 2.0}),
    r_piecewise_constant([3, 8, 9], [1.0, 0.5, 0.05, 0.1]),
    lambda v: jd.piecewise_constant([3, 8, 9], v * jnp.array([1.0, 0.5, 0.05, 0.1])),
    1.0,
    12,
)
add(
    "piecewise_linear",
    "piecewise_linear",
    lambda: jd.piecewise_linear([0, 100, 1000], [0.0, 1e-3, 1e-5]),
    r_piecewise_linear([0, 100, 1000], [0.0, 1e-3, 1e-5]),
    lambda v: jd.piecewise_linear([0, 100, 1000], stacked(0.0 * v, v, v / 100)),
    1e-3,
    1010,
)
add(
    "piecewise_linear_jump",
    "piecewise_linear",
    lambda: jd.piecewise_linear([5, 10, 10, 20], [1.0, 0.5, 0.8, 0.1]),
    r_piecewise_linear([5, 10, 10, 20], [1.0, 0.5, 0.8, 0.1]),
    lambda v: jd.piecewise_linear([5, 10, 10, 20], stacked(v, v / 2, 0.8 * v, v / 10)),
    1.0,
    25,
)

# polynomial_decay
add(
    "polynomial_decay_sqrt_delayed",
    "polynomial_decay",
    lambda: jd.polynomial_decay(1.0, 0.1, 10, power=0.5, transition_begin=5),
    r_polynomial_decay(1.0, 0.1, 10, 0.5, 5),
    lambda v: jd.polynomial_decay(v, 0.1, 10, power=0.5, transition_begin=5),
    1.0,
    20,
)
add(
    "polynomial_decay_cycle",
    "polynomial_decay",
    lambda: jd.polynomial_decay(1.0, 0.01, 10, power=2, cycle=True),
    r_polynomial_decay(1.0, 0.01, 10, 2.0, 0, True),
    lambda v: jd.polynomial_decay(v, 0.01, 10, power=2, cycle=True),
    1.0,
    35,
)

# cosine_decay / linear
add(
    "cosine_decay",
    "cosine_decay",
    lambda: jd.cosine_decay(0.1, 100),
    r_cosine_decay(0.1, 100),
    lambda v: jd.cosine_decay(v, 100),
    0.1,
    110,
)
add(
    "cosine_decay_floor_exponent",
    "cosine_decay",
    lambda: jd.cosine_decay(1.0, 50, end_value=0.1, exponent=2.0),
    r_cosine_decay(1.0, 50, 0.1, 2.0),
    lambda v: jd.cosine_decay(1.0, 50, end_value=0.1, exponent=v),
    2.0,
    55,
)
add(
    "linear_delayed_down",
    "linear",
    lambda: jd.linear(1.0, 0.1, 20, transition_begin=10),
    r_linear(1.0, 0.1, 20, 10),
    lambda v: jd.linear(v, 0.1, 20, transition_begin=10),
    1.0,
    35,
)

# presets
add(
    "warmup_cosine_decay_full",
    "warmup_cosine_decay",
    lambda: jd.warmup_cosine_decay(
        1.0, 10, 60, init_value=0.1, end_value=0.01, exponent=1.5
    ),
    r_warmup_cosine_decay(1.0, 10, 60, 0.1, 0.01, 1.5),
    lambda v: jd.warmup_cosine_decay(
        v, 10, 60, init_value=0.1, end_value=0.01, exponent=1.5
    ),
    1.0,
    65,
)
add(
    "warmup_cosine_decay_no_warmup",
    "warmup_cosine_decay",
    lambda: jd.warmup_cosine_decay(1.0, 0, 50),
    r_warmup_cosine_decay(1.0, 0, 50),
    lambda v: jd.warmup_cosine_decay(v, 0, 50),
    1.0,
    55,
)
for _shape in ("cosine", "1-sqrt", "1-square"):
    add(
        f"warmup_stable_decay_{_shape}",
        "warmup_stable_decay",
        lambda s=_shape: jd.warmup_stable_decay(
            1.0, 10, 20, 30, init_value=0.05, end_value=0.01, decay_shape=s
        ),
        r_wsd(1.0, 10, 20, 30, 0.05, 0.01, _shape),
        lambda v, s=_shape: jd.warmup_stable_decay(
            v, 10, 20, 30, init_value=0.05, end_value=0.01, decay_shape=s
        ),
        1.0,
        65,
    )
add(
    "wsd_alias_no_plateau",
    "wsd",
    lambda: jd.wsd(2.0, 5, 0, 10),
    r_wsd(2.0, 5, 0, 10),
    lambda v: jd.wsd(v, 5, 0, 10),
    2.0,
    18,
)

# cycles
add(
    "one_cycle_three_phase_linear",
    "one_cycle",
    lambda: jd.one_cycle(0.5, 50, pct_start=0.25, anneal="linear", three_phase=True),
    r_one_cycle(0.5, 50, 0.25, 25.0, 1e4, "linear", True),
    lambda v: jd.one_cycle(v, 50, pct_start=0.25, anneal="linear", three_phase=True),
    0.5,
    55,
)
add(
    "one_cycle_fractional_phase",
    "one_cycle",
    lambda: jd.one_cycle(1.0, 33, div_factor=10.0, final_div_factor=100.0),
    r_one_cycle(1.0, 33, 0.3, 10.0, 100.0),
    lambda v: jd.one_cycle(v, 33, div_factor=10.0, final_div_factor=100.0),
    1.0,
    36,
)
add(
    "one_cycle_momentum",
    "one_cycle_momentum",
    lambda: jd.one_cycle_momentum(jd.one_cycle(1.0, 40), 0.8, 0.95),
    r_one_cycle(1.0, 40, m=(0.8, 0.95)),
    lambda v: jd.one_cycle_momentum(jd.one_cycle(1.0, 40), 0.8, v),
    0.95,
    45,
)
add(
    "one_cycle_momentum_three_phase",
    "one_cycle_momentum",
    lambda: jd.one_cycle_momentum(
        jd.one_cycle(0.5, 50, pct_start=0.25, anneal="linear", three_phase=True)
    ),
    r_one_cycle(0.5, 50, 0.25, 25.0, 1e4, "linear", True, m=(0.85, 0.95)),
    lambda v: jd.one_cycle_momentum(
        jd.one_cycle(0.5, 50, pct_start=0.25, anneal="linear", three_phase=True),
        base_momentum=v,
    ),
    0.85,
    55,
)
add(
    "cyclic_triangular",
    "cyclic",
    lambda: jd.cyclic(0.1, 1.0, 10),
    r_cyclic(0.1, 1.0, 10),
    lambda v: jd.cyclic(0.1, v, 10),
    1.0,
    45,
)
add(
    "cyclic_triangular2",
    "cyclic",
    lambda: jd.cyclic(0.1, 1.0, 4, 6, mode="triangular2"),
    r_cyclic(0.1, 1.0, 4, 6, "triangular2"),
    lambda v: jd.cyclic(0.1, v, 4, 6, mode="triangular2"),
    1.0,
    45,
)
add(
    "cyclic_exp_range",
    "cyclic",
    lambda: jd.cyclic(0.1, 1.0, 5, mode="exp_range", gamma=0.95),
    r_cyclic(0.1, 1.0, 5, None, "exp_range", 0.95),
    lambda v: jd.cyclic(0.1, 1.0, 5, mode="exp_range", gamma=v),
    0.95,
    45,
)
add(
    "cosine_restarts",
    "cosine_restarts",
    lambda: jd.cosine_restarts(1.0, 10),
    r_cosine_restarts(1.0, 10),
    lambda v: jd.cosine_restarts(v, 10),
    1.0,
    35,
)
add(
    "cosine_restarts_growing",
    "cosine_restarts",
    lambda: jd.cosine_restarts(1.0, 10, period_mult=2.0, value_mult=0.5, end_value=0.1),
    r_cosine_restarts(1.0, 10, 2.0, 0.5, 0.1),
    lambda v: jd.cosine_restarts(v, 10, period_mult=2.0, value_mult=0.5, end_value=0.1),
    1.0,
    160,
)
add(
    "sgdr_alias_fractional",
    "sgdr",
    lambda: jd.sgdr(1.0, 10, period_mult=1.5, value_mult=0.8),
    r_cosine_restarts(1.0, 10, 1.5, 0.8),
    lambda v: jd.sgdr(1.0, 10, period_mult=1.5, value_mult=v),
    0.8,
    140,
)

# recurrence (the documents' recursive rules)
add(
    "recurrence_cosine",
    "recurrence",
    lambda: jd.recurrence(0.01, factor_cosine, 80),
    r_recurrence(0.01, factor_cosine, 80),
    lambda v: jd.recurrence(v, factor_cosine, 80),
    0.01,
    85,
)
add(
    "recurrence_scalar_factor",
    "recurrence",
    lambda: jd.recurrence(0.1, factor_scalar_only, 30),
    r_recurrence(0.1, factor_scalar_only, 30),
    lambda v: jd.recurrence(v, factor_scalar_only, 30),
    0.1,
    35,
)

# join
add(
    "join_linear_cosine",
    "join",
    lambda: jd.join([jd.linear(0.0, 1.0, 10), jd.cosine_decay(1.0, 90)], [10]),
    r_join([r_linear(0.0, 1.0, 10), r_cosine_decay(1.0, 90)], [10]),
    lambda v: jd.join([jd.linear(0.0, v, 10), jd.cosine_decay(v, 90)], [10]),
    1.0,
    105,
)
add(
    "join_same_kind",
    "join",
    lambda: jd.join(
        [
            jd.cosine_decay(1.0, 10),
            jd.cosine_decay(0.5, 10),
            jd.cosine_decay(0.25, 20, end_value=0.05),
        ],
        [10, 20],
    ),
    r_join(
        [
            r_cosine_decay(1.0, 10),
            r_cosine_decay(0.5, 10),
            r_cosine_decay(0.25, 20, 0.05),
        ],
        [10, 20],
    ),
    lambda v: jd.join(
        [
            jd.cosine_decay(v, 10),
            jd.cosine_decay(v / 2, 10),
            jd.cosine_decay(v / 4, 20, end_value=0.05),
        ],
        [10, 20],
    ),
    1.0,
    45,
)
add(
    "join_repeated_boundary",
    "join",
    lambda: jd.join(
        [
            jd.constant(1.0),
            jd.constant(2.0),
            jd.linear(2.0, 0.0, 10),
            jd.step_decay(0.5, 3, 0.5),
        ],
        [5, 5, 12],
    ),
    r_join(
        [
            r_constant(1.0),
            r_constant(2.0),
            r_linear(2.0, 0.0, 10),
            r_step_decay(0.5, 3, 0.5),
        ],
        [5, 5, 12],
    ),
    lambda v: jd.join(
        [
            jd.constant(v),
            jd.constant(2.0),
            jd.linear(2.0, 0.0, 10),
            jd.step_decay(0.5, 3, 0.5),
        ],
        [5, 5, 12],
    ),
    1.0,
    25,
)
add(
    "join_single",
    "join",
    lambda: jd.join([jd.cosine_decay(1.0, 10)], []),
    r_cosine_decay(1.0, 10),
    lambda v: jd.join([jd.cosine_decay(v, 10)], []),
    1.0,
    12,
)

# arithmetic
add(
    "arithmetic_documents_combined",
    "arithmetic",
    lambda: jd.linear_decay(0.1, 0.1) * jd.exponential_decay(1.0, 0.9),
    lambda t: r_linear_decay(0.1, 0.1)(t) * r_exponential_decay(1.0, 0.9)(t),
    lambda v: jd.linear_decay(v, 0.1) * jd.exponential_decay(1.0, 0.9),
    0.1,
    14,
)
add(
    "arithmetic_div_sub_neg",
    "arithmetic",
    lambda: (1.0 - jd.linear(0.0, 0.5, 10)) / 2 - (-jd.constant(0.25)),
    lambda t: (1.0 - r_linear(0.0, 0.5, 10)(t)) / 2 + 0.25,
    lambda v: (v - jd.linear(0.0, 0.5, 10)) / 2 - (-jd.constant(0.25)),
    1.0,
    14,
)
add(
    "arithmetic_schedule_over_schedule",
    "arithmetic",
    lambda: jd.cosine_decay(1.0, 20, end_value=0.1) / jd.inverse_sqrt_decay(1.0, 4),
    lambda t: r_cosine_decay(1.0, 20, 0.1)(t) / r_inverse_sqrt_decay(1.0, 4)(t),
    lambda v: jd.cosine_decay(v, 20, end_value=0.1) / jd.inverse_sqrt_decay(1.0, 4),
    1.0,
    25,
)

# combine: flat sums and products of three or more terms
add(
    "combine_sum_of_alike_terms",
    "combine",
    lambda: sum(jd.cosine_decay(0.1 * (k + 1), 10 + 5 * k) for k in range(4)) + 0.01,
    lambda t: (
        sum(r_cosine_decay(0.1 * (k + 1), 10 + 5 * k)(t) for k in range(4)) + 0.01
    ),
    lambda v: jd.cosine_decay(v, 10) + jd.cosine_decay(0.2, 15) + jd.constant(0.3),
    1.0,
    30,
)
add(
    "combine_product_with_repeats",
    "combine",
    lambda: jd.linear(1.0, 0.5, 10) * jd.linear(1.0, 0.5, 10) * 0.5 * jd.constant(2.0),
    lambda t: r_linear(1.0, 0.5, 10)(t) ** 2,
    lambda v: jd.linear(v, 0.5, 10) * jd.linear(1.0, 0.5, 10) * jd.constant(2.0),
    1.0,
    14,
)

# clip / shift / repeat / staircase / warmup
add(
    "clip_both",
    "clip",
    lambda: jd.clip(jd.cosine_decay(1.0, 40), min_value=0.2, max_value=0.8),
    r_clip(r_cosine_decay(1.0, 40), 0.2, 0.8),
    lambda v: jd.clip(jd.cosine_decay(1.0, 40), min_value=0.2, max_value=v),
    0.8,
    45,
)
add(
    "shift_delay",
    "shift",
    lambda: jd.shift(jd.linear(1.0, 0.0, 10), 5),
    r_shift(r_linear(1.0, 0.0, 10), 5),
    lambda v: jd.shift(jd.linear(v, 0.0, 10), 5),
    1.0,
    20,
)
add(
    "shift_advance",
    "shift",
    lambda: jd.shift(jd.cosine_decay(1.0, 100), -20),
    r_shift(r_cosine_decay(1.0, 100), -20),
    lambda v: jd.shift(jd.cosine_decay(v, 100), -20),
    1.0,
    90,
)
add(
    "repeat_warmup_cosine",
    "repeat",
    lambda: jd.repeat(jd.warmup_cosine_decay(1.0, 3, 12), 15),
    r_repeat(r_warmup_cosine_decay(1.0, 3, 12), 15),
    lambda v: jd.repeat(jd.warmup_cosine_decay(v, 3, 12), 15),
    1.0,
    50,
)
add(
    "scale_steps_three_tenths",
    "scale_steps",
    lambda: jd.scale_steps(jd.repeat(jd.cosine_decay(1.0, 10), 10), 3, 10),
    lambda t: (
        0.5 * (1 + np.cos(np.pi * np.mod(3 * np.asarray(t, np.float64), 10) / 10))
    ),
    lambda v: jd.scale_steps(jd.repeat(jd.cosine_decay(v, 10), 10), 3, 10),
    1.0,
    25,
)
add(
    "staircase_exponential_every_100",
    "staircase",
    lambda: jd.staircase(jd.exponential_decay(0.1, 0.9, transition_steps=100), 100),
    r_staircase(r_exponential_decay(0.1, 0.9, 100), 100),
    lambda v: jd.staircase(jd.exponential_decay(v, 0.9, transition_steps=100), 100),
    0.1,
    320,
)
add(
    "warmup_exponential_from_init",
    "warmup",
    lambda: jd.warmup(jd.exponential_decay(1.0, 0.9), 5, init_value=0.1),
    r_warmup(r_exponential_decay(1.0, 0.9), 5, 0.1),
    lambda v: jd.warmup(jd.exponential_decay(v, 0.9), 5, init_value=0.1),
    1.0,
    20,
)
add(
    "warmup_zero_steps",
    "warmup",
    lambda: jd.warmup(jd.linear(1.0, 0.0, 10), 0),
    r_warmup(r_linear(1.0, 0.0, 10), 0),
    lambda v: jd.warmup(jd.linear(v, 0.0, 10), 0),
    1.0,
    14,
)

# from_fn
add(
    "from_fn_optax_linear",
    "from_fn",
    lambda: jd.from_fn(OPTAX_LINEAR),
    r_linear(1.0, 0.1, 20, 5),
    lambda v: jd.from_fn(OPTAX_LINEAR) * v,
    1.0,
    30,
    picklable=False,
)
add(
    "from_fn_optax_exponential_scaled",
    "arithmetic",
    lambda: 0.5 * jd.from_fn(OPTAX_EXP),
    lambda t: 0.5 * 0.5 ** (t / 10),
    lambda v: v * jd.from_fn(OPTAX_EXP),
    0.5,
    30,
    picklable=False,
)
add(
    "from_fn_python_function",
    "from_fn",
    lambda: jd.from_fn(python_schedule),
    lambda t: 0.1 / (1.0 + np.sqrt(t)),
    lambda v: jd.from_fn(python_schedule) * v,
    1.0,
    20,
)

# nested composition
add(
    "nested_join_warmup_repeat",
    "join",
    lambda: jd.join(
        [
            jd.warmup(jd.constant(1.0), 5),
            jd.repeat(jd.cosine_decay(1.0, 10, end_value=0.1), 10),
        ],
        [25],
    ),
    r_join(
        [r_warmup(r_constant(1.0), 5), r_repeat(r_cosine_decay(1.0, 10, 0.1), 10)], [25]
    ),
    lambda v: jd.join(
        [
            jd.warmup(jd.constant(v), 5),
            jd.repeat(jd.cosine_decay(v, 10, end_value=0.1), 10),
        ],
        [25],
    ),
    1.0,
    60,
)
add(
    "nested_clip_shift_staircase",
    "clip",
    lambda: jd.clip(
        jd.shift(jd.staircase(jd.exponential_decay(1.0, 0.8), 4), 3), max_value=0.9
    ),
    r_clip(r_shift(r_staircase(r_exponential_decay(1.0, 0.8), 4), 3), None, 0.9),
    lambda v: jd.clip(
        jd.shift(jd.staircase(jd.exponential_decay(v, 0.8), 4), 3), max_value=0.9
    ),
    1.0,
    30,
)

# ---- proposed additions to tests/catalog.py (after the scale_steps/staircase
# entries; references use the catalog's r_* helpers) ----


def r_cooldown(inner, a, L, shape="linear", end=0.0, arg=None):
    d = {
        "linear": lambda x: 1 - x,
        "cosine": lambda x: 0.5 * (1 + np.cos(np.pi * x)),
        "1-sqrt": lambda x: 1 - np.sqrt(x),
        "1-square": lambda x: 1 - x**2,
        "power": lambda x: 1 - x**arg,
        "exp": lambda x: (arg**x - arg) / (1 - arg),
    }[shape]

    def f(t):
        v = inner(t)
        x = np.clip((t - a) / L, 0, 1)
        return np.where(t < a, v, np.where(t >= a + L, end, end + (v - end) * d(x)))

    return f


def r_wsd_cycles(peak, W, lengths, decays, R=0, end=0.0, shape="1-sqrt"):
    """Cycles of the given lengths, each decaying over its decays[i] last steps."""
    g = _SHAPES[shape]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])

    def f(t):
        t = np.asarray(t, np.float64)
        i = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(lengths) - 1)
        u = t - starts[i]
        L = np.asarray(lengths, np.float64)[i]
        D = np.asarray(decays, np.float64)[i]
        w = np.where(i == 0, W, R)
        low = np.where(i == 0, 0.0, end)
        ramp = low + (peak - low) * u / np.maximum(w, 1)
        x = np.clip((u - (L - D)) / D, 0, 1)
        return np.where(u < w, ramp, end + (peak - end) * g(x))

    return f


def r_stretch(inner, F):
    return lambda t: inner(np.asarray(t, np.float64) / F)


add(
    "cooldown_of_a_cosine_1-sqrt",
    "cooldown",
    lambda: jd.cooldown(jd.cosine_decay(1.0, 100, end_value=0.1), 40, 30, "1-sqrt"),
    r_cooldown(r_cosine_decay(1.0, 100, 0.1), 40, 30, "1-sqrt"),
    lambda v: jd.cooldown(jd.cosine_decay(v, 100, end_value=0.1), 40, 30, "1-sqrt"),
    1.0,
    90,
)
add(
    "cooldown_exp_to_a_floor",
    "cooldown",
    lambda: jd.cooldown(jd.constant(2.0), 10, 25, "exp", end_value=0.2, ratio=0.05),
    r_cooldown(r_constant(2.0), 10, 25, "exp", 0.2, 0.05),
    lambda v: jd.cooldown(jd.constant(v), 10, 25, "exp", end_value=0.2, ratio=0.05),
    2.0,
    50,
)
add(
    "cooldown_power",
    "cooldown",
    lambda: jd.cooldown(jd.linear(0.0, 1.0, 20), 30, 40, "power", power=3.0),
    r_cooldown(r_linear(0.0, 1.0, 20), 30, 40, "power", 0.0, 3.0),
    lambda v: jd.cooldown(jd.linear(0.0, v, 20), 30, 40, "power", power=3.0),
    1.0,
    90,
)
add(
    "wsd_cycles_rewarmup",
    "wsd_cycles",
    lambda: jd.wsd_cycles(1.0, 5, [40, 30, 20], 0.3, rewarmup_steps=4, end_value=0.1),
    r_wsd_cycles(1.0, 5, [40, 30, 20], [12, 9, 6], 4, 0.1),
    lambda v: jd.wsd_cycles(v, 5, [40, 30, 20], 0.3, rewarmup_steps=4, end_value=0.1),
    1.0,
    110,
)
add(
    "wsd_cycles_cosine_full_decay",
    "wsd_cycles",
    lambda: jd.wsd_cycles(2.0, 0, [25, 25], 1.0, decay_shape="cosine"),
    r_wsd_cycles(2.0, 0, [25, 25], [25, 25], shape="cosine"),
    lambda v: jd.wsd_cycles(v, 0, [25, 25], 1.0, decay_shape="cosine"),
    2.0,
    60,
)
add(
    "stretch_warmup_cosine_by_a_third",
    "stretch",
    lambda: jd.stretch(jd.warmup_cosine_decay(1.0, 6, 60), 1 / 3),
    r_stretch(r_warmup_cosine_decay(1.0, 6, 60), 1 / 3),
    lambda v: jd.stretch(jd.warmup_cosine_decay(v, 6, 60), 1 / 3),
    1.0,
    30,
)
add(
    "stretch_multistep_two_thirds",
    "stretch",
    lambda: jd.stretch(jd.multistep_decay(1.0, [10, 20], 0.5), "3/2"),
    lambda t: (
        0.5
        ** np.sum(
            np.floor(2 * np.asarray(t, np.float64))[..., None]
            >= 3 * np.array([10, 20]),
            -1,
        )
    ),
    lambda v: jd.stretch(jd.multistep_decay(v, [10, 20], 0.5), "3/2"),
    1.0,
    40,
)
add(
    "rebase_stretch_longer",
    "join",  # rebase is a function: the class it makes
    lambda: jd.rebase(jd.warmup_cosine_decay(1.0, 5, 50), 20, 80),
    lambda t: np.where(
        t < 20,
        r_warmup_cosine_decay(1.0, 5, 50)(t),
        r_warmup_cosine_decay(1.0, 5, 50)(20 + (t - 20) * 30 / 60),
    ),
    lambda v: jd.rebase(jd.warmup_cosine_decay(v, 5, 50), 20, 80),
    1.0,
    100,
)
add(
    "rebase_cooldown_cosine",
    "cooldown",  # rebase is a function: the class it makes
    lambda: jd.rebase(jd.cosine_decay(1.0, 100), 30, 60, "cooldown", shape="cosine"),
    r_cooldown(
        lambda t: r_cosine_decay(1.0, 100)(np.minimum(t, 30.0)), 30, 30, "cosine"
    ),
    lambda v: jd.rebase(jd.cosine_decay(v, 100), 30, 60, "cooldown", shape="cosine"),
    1.0,
    80,
)


# Catalog entries for tests/catalog.py (issue 15: new core curves).
# Put the r_* references with the other references (after r_clip, say) and the
# add(...) calls after the cosine_restarts / sgdr entries.  They use the
# catalog's own r_cosine_decay.


def r_power_decay(init, tau, power=0.5, begin=0):
    """init * (1 + max(t - B, 0) / tau) ** -power, as exp(-power log1p(x / tau))
    (exact for the tiny x / tau of a huge timescale)."""

    def f(t):
        x = np.maximum(np.asarray(t, np.float64) - begin, 0.0)
        return init * np.exp(-power * np.log1p(x / tau))

    return f


def r_tanh_decay(init, T, end=0.0, lb=-7.0, ub=3.0):
    """end + (init - end) (1 - tanh(lb + (ub - lb) t / T)) / 2 for t < T, then
    end; (1 - tanh x) / 2 written as 1 / (1 + e^{2x}) (float64's 1 - tanh x
    cancels to 0 for x past 19)."""

    def f(t):
        t = np.asarray(t, np.float64)
        with np.errstate(over="ignore"):
            half = 1 / (1 + np.exp(2 * (lb + (ub - lb) * t / T)))
        return np.where(t < T, end + (init - end) * half, end)

    return f


def r_warp(inner, k, P):
    """inner(P q + P (r / P) ** k), q = floor(t / P), r = t - P q."""

    def f(t):
        t = np.asarray(t, np.float64)
        q = np.floor(t / P)
        r = t - q * P
        return inner(q * P + P * (r / P) ** k)

    return f


def r_cosine_restarts_limited(
    init, T0, pm=1.0, vm=1.0, end=0.0, limit=None, mode="range"
):
    """SGDR with timm's options: ``mode`` "range" scales the height above end
    by vm**k, "peak" the peak (end + (init vm**k - end) c); from cycle
    ``limit`` on, end."""
    starts = [0.0]
    while pm > 1 and starts[-1] < 2.0**64:
        starts.append(starts[-1] + T0 * pm ** (len(starts) - 1))
    starts = np.asarray(starts)

    def f(t):
        t = np.asarray(t, np.float64)
        if pm == 1:
            k = np.floor(t / T0)
            tau = t - k * T0
        else:
            k = np.searchsorted(starts[1:], t, side="right")
            tau = t - starts[k]
        c = 0.5 * (1 + np.cos(np.pi * tau / (T0 * pm**k)))
        if mode == "range":
            value = end + (init - end) * vm**k * c
        else:
            value = end + (init * vm**k - end) * c
        return value if limit is None else np.where(k >= limit, end, value)

    return f


# power_decay
add(
    "power_decay_rsqrt",
    "power_decay",
    lambda: jd.power_decay(1.0, 10),
    r_power_decay(1.0, 10),
    lambda v: jd.power_decay(v, 10),
    1.0,
    100,
)
add(
    "power_decay_shifted_power",
    "power_decay",
    lambda: jd.power_decay(3e-4, 2.5, power=1.5, transition_begin=20),
    r_power_decay(3e-4, 2.5, 1.5, 20),
    lambda v: jd.power_decay(3e-4, 2.5, power=v, transition_begin=20),
    1.5,
    60,
)
# tanh_decay
add(
    "tanh_decay_timm",
    "tanh_decay",
    lambda: jd.tanh_decay(1.0, 100),
    r_tanh_decay(1.0, 100),
    lambda v: jd.tanh_decay(v, 100),
    1.0,
    110,
)
add(
    "tanh_decay_bounds",
    "tanh_decay",
    lambda: jd.tanh_decay(1.0, 50, end_value=0.1, lb=-6.0, ub=4.0),
    r_tanh_decay(1.0, 50, 0.1, -6.0, 4.0),
    lambda v: jd.tanh_decay(1.0, 50, end_value=0.1, lb=v, ub=4.0),
    -6.0,
    60,
)
# warp (timm's k-decay)
add(
    "warp_k_decay",
    "warp",
    lambda: jd.warp(jd.cosine_decay(1.0, 100, end_value=0.2), 2.0, 100),
    r_warp(r_cosine_decay(1.0, 100, 0.2), 2.0, 100),
    lambda v: jd.warp(jd.cosine_decay(1.0, 100, end_value=0.2), v, 100),
    2.0,
    220,
)
# (k >= 1: a warp with k < 1 reads the last, unfinished period before the top
# step past it, where the step saturates: see warp's docstring; tested in
# tests/test_curves.py)
add(
    "warp_restarts",
    "warp",
    lambda: jd.warp(jd.cosine_restarts(1.0, 50, end_value=0.2), 1.5, 50),
    r_warp(r_cosine_restarts_limited(1.0, 50, end=0.2), 1.5, 50),
    lambda v: jd.warp(jd.cosine_restarts(1.0, 50, end_value=0.2), v, 50),
    1.5,
    160,
)
# cosine_restarts: cycle_limit and value_mult_mode (timm's CosineLRScheduler)
add(
    "cosine_restarts_timm_limit_peak",
    "cosine_restarts",
    lambda: jd.cosine_restarts(
        1.0, 10, 2.0, 0.5, 0.1, cycle_limit=3, value_mult_mode="peak"
    ),
    r_cosine_restarts_limited(1.0, 10, 2.0, 0.5, 0.1, 3, "peak"),
    lambda v: jd.cosine_restarts(
        v, 10, 2.0, 0.5, 0.1, cycle_limit=3, value_mult_mode="peak"
    ),
    1.0,
    90,
)
add(
    "cosine_restarts_limit_fixed_period",
    "cosine_restarts",
    lambda: jd.cosine_restarts(1.0, 20, value_mult=0.8, end_value=0.05, cycle_limit=2),
    r_cosine_restarts_limited(1.0, 20, 1.0, 0.8, 0.05, 2),
    lambda v: jd.cosine_restarts(1.0, 20, value_mult=v, end_value=0.05, cycle_limit=2),
    0.8,
    60,
)


def r_warmup_shaped(inner, W, init, shape):
    """warmup(inner, W, init, shape): the ramp to inner(0), then inner(t - W)."""

    def f(t):
        peak = inner(np.zeros(1))[0]
        x = np.minimum(t, W) / max(W, 1)
        if shape == "cosine":
            ramp = init + (peak - init) * (1 - np.cos(np.pi * x)) / 2
        elif shape == "exponential" and init > 0 and peak > 0:
            ramp = init * (peak / init) ** x
        else:  # linear, and the exponential shape's fallback
            ramp = init + (peak - init) * x
        return np.where(t < W, ramp, inner(np.maximum(t - W, 0.0)))

    return f


def r_untuned_warmup(inner, b2):
    """Ma & Yarats: inner(t) * min(1, (1 - b2) / 2 * (t + 1))."""
    return lambda t: inner(t) * np.minimum(1.0, (1 - b2) / 2 * (t + 1))


def r_noise(inner, std, seed, pct=None, start=0, end=None, kind="normal"):
    """inner(t) * (1 + n) on [start, end), n drawn for the whole step from
    fold_in(fold_in(key(seed), low 32 bits), high 32 bits)."""

    def draw(n):
        k = jax.random.key(seed, impl="threefry2x32")
        k = jax.random.fold_in(jax.random.fold_in(k, n & 0xFFFFFFFF), n >> 32)
        if kind == "uniform":
            return float(jax.random.uniform(k, (), minval=-pct, maxval=pct))
        if pct is None:
            return std * float(jax.random.normal(k, ()))
        return std * float(jax.random.truncated_normal(k, -pct / std, pct / std, ()))

    def f(t):
        t = np.asarray(t, np.float64)
        whole = np.floor(np.minimum(t, 2**31 - 1)).astype(np.int64)
        table = {int(n): draw(int(n)) for n in np.unique(whole)}
        noise = np.vectorize(lambda n: table[int(n)], otypes=[np.float64])(whole)
        on = (whole >= start) & (whole < (np.inf if end is None else end))
        v = inner(t)
        return np.where(on, v + v * noise, v)

    return f


add(
    "minimum_cosine_linear_number",
    "minimum",
    lambda: jd.minimum(jd.cosine_decay(1.0, 40), jd.linear(0.0, 1.0, 20), 0.7),
    lambda t: np.minimum(
        np.minimum(r_cosine_decay(1.0, 40)(t), r_linear(0.0, 1.0, 20)(t)), 0.7
    ),
    lambda v: jd.minimum(jd.cosine_decay(v, 40), jd.linear(0.0, 1.0, 20), 0.7),
    1.0,
    50,
)
add(
    "minimum_alike_cosines",
    "minimum",
    lambda: jd.minimum(
        *[jd.cosine_decay(v, 30 + 5 * i) for i, v in enumerate((1.0, 0.8, 0.6))]
    ),
    lambda t: np.min(
        [r_cosine_decay(v, 30 + 5 * i)(t) for i, v in enumerate((1.0, 0.8, 0.6))],
        axis=0,
    ),
    lambda v: jd.minimum(jd.cosine_decay(v, 30), jd.cosine_decay(0.8, 35)),
    1.0,
    50,
)
add(
    "maximum_floor",
    "maximum",
    lambda: jd.maximum(jd.exponential_decay(1.0, 0.8), jd.linear(0.5, 0.0, 30), 0.05),
    lambda t: np.maximum(
        np.maximum(r_exponential_decay(1.0, 0.8)(t), r_linear(0.5, 0.0, 30)(t)), 0.05
    ),
    lambda v: jd.maximum(jd.exponential_decay(v, 0.8), 0.05),
    1.0,
    40,
)
add(
    "power_of_cosine",
    "arithmetic",
    lambda: jd.cosine_decay(1.0, 40) ** 2,
    lambda t: r_cosine_decay(1.0, 40)(t) ** 2,
    lambda v: jd.cosine_decay(v, 40) ** 2,
    1.0,
    45,
)
add(
    "power_fractional_of_signed",
    "arithmetic",
    lambda: jd.linear(-1.0, 1.0, 20) ** 0.5,
    lambda t: np.sqrt(np.maximum(r_linear(-1.0, 1.0, 20)(t), 0.0)),
    lambda v: jd.linear(-1.0, v, 20) ** 0.5,
    1.0,
    25,
)
add(
    "clip_by_schedules",
    "clip",
    lambda: jd.clip(
        jd.cosine_decay(1.0, 40), min_value=jd.linear(0.0, 0.3, 40), max_value=0.8
    ),
    lambda t: np.minimum(
        np.maximum(r_cosine_decay(1.0, 40)(t), r_linear(0.0, 0.3, 40)(t)), 0.8
    ),
    lambda v: jd.clip(jd.cosine_decay(v, 40), min_value=jd.linear(0.0, 0.3, 40)),
    1.0,
    45,
)
add(
    "warmup_cosine_shape",
    "warmup",
    lambda: jd.warmup(jd.cosine_decay(1.0, 30), 10, init_value=0.1, shape="cosine"),
    r_warmup_shaped(r_cosine_decay(1.0, 30), 10, 0.1, "cosine"),
    lambda v: jd.warmup(jd.cosine_decay(v, 30), 10, init_value=0.1, shape="cosine"),
    1.0,
    45,
)
add(
    "warmup_exponential_shape",
    "warmup",
    lambda: jd.warmup(
        jd.cosine_decay(1.0, 30), 10, init_value=0.01, shape="exponential"
    ),
    r_warmup_shaped(r_cosine_decay(1.0, 30), 10, 0.01, "exponential"),
    lambda v: jd.warmup(
        jd.cosine_decay(v, 30), 10, init_value=0.01, shape="exponential"
    ),
    1.0,
    45,
)
add(
    "untuned_warmup_b2_0_9",
    "untuned_warmup",
    lambda: jd.untuned_warmup(jd.cosine_decay(1.0, 60), 0.9),
    r_untuned_warmup(r_cosine_decay(1.0, 60), 0.9),
    lambda v: jd.untuned_warmup(jd.cosine_decay(v, 60), 0.9),
    1.0,
    70,
)
add(
    "noise_truncated_window",
    "noise",
    lambda: jd.noise(jd.cosine_decay(1.0, 40), 1.0, 7, pct=0.5, start=5, end=30),
    r_noise(r_cosine_decay(1.0, 40), 1.0, 7, 0.5, 5, 30),
    lambda v: jd.noise(jd.cosine_decay(v, 40), 1.0, 7, pct=0.5, start=5, end=30),
    1.0,
    45,
)
add(
    "noise_uniform",
    "noise",
    lambda: jd.noise(jd.constant(0.5), 1.0, 3, pct=0.2, noise_type="uniform"),
    r_noise(r_constant(0.5), 1.0, 3, 0.2, kind="uniform"),
    lambda v: jd.noise(jd.constant(v), 1.0, 3, pct=0.2, noise_type="uniform"),
    0.5,
    20,
)


EXAMPLES = {e.id: e for e in CATALOG}
assert len(EXAMPLES) == len(CATALOG), "duplicate example ids"

# One example per public name (the configuration with the most structure), for
# the tests that compile several programs per schedule.
CORE = [
    EXAMPLES[i]
    for i in (
        "constant",
        "linear_decay_stairs_floor",
        "exponential_decay_full",
        "natural_exp_decay_stairs",
        "inverse_time_decay_docs",
        "inverse_sqrt_decay_warm",
        "step_decay_docs",
        "multistep_decay_repeated",
        "piecewise_constant",
        "piecewise_linear_jump",
        "polynomial_decay_cycle",
        "cosine_decay_floor_exponent",
        "linear_delayed_down",
        "warmup_cosine_decay_full",
        "warmup_stable_decay_1-sqrt",
        "wsd_alias_no_plateau",
        "one_cycle_fractional_phase",
        "one_cycle_momentum_three_phase",
        "cyclic_exp_range",
        "cosine_restarts_growing",
        "sgdr_alias_fractional",
        "recurrence_scalar_factor",
        "join_same_kind",
        "join_repeated_boundary",
        "arithmetic_documents_combined",
        "combine_sum_of_alike_terms",
        "clip_both",
        "shift_advance",
        "repeat_warmup_cosine",
        "scale_steps_three_tenths",
        "cooldown_of_a_cosine_1-sqrt",
        "wsd_cycles_rewarmup",
        "stretch_warmup_cosine_by_a_third",
        "minimum_cosine_linear_number",
        "maximum_floor",
        "untuned_warmup_b2_0_9",
        "noise_truncated_window",
        "power_decay_shifted_power",
        "tanh_decay_timm",
        "warp_restarts",
        "cosine_restarts_timm_limit_peak",
        "staircase_exponential_every_100",
        "warmup_exponential_from_init",
        "from_fn_optax_linear",
        "nested_join_warmup_repeat",
    )
]
