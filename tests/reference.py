"""An independent float64 reference for every catalog schedule.

Written from the formulas in the issue and the docstrings, never by calling
jaxdecay, so the tests can compare the library against it.  Each constructor
mirrors the jaxdecay one (same names and keyword arguments) and returns a plain
Python function of one step.

- Steps are Python ints or floats; a negative step behaves as step 0.
- Every decision about a piece, a stair, a cycle or a phase is taken in exact
  arithmetic (Python ints, or ``fractions.Fraction`` for float steps and
  fractional phase ends), so it is right at every step, 2**31 - 1 included.
- Values are Python floats (float64).  Where a formula subtracts nearly equal
  numbers (``1 - t/T`` near the end of a decay, ``1 + cos(pi x)`` near
  ``x = 1``), the complement is taken exactly on rationals first, or the
  formula is rewritten by an identity (``(1 + cos(pi x)) / 2 =
  sin(pi (1 - x) / 2)**2``), so the reference keeps float64 accuracy relative
  to the value itself, down to the last step before a zero.

``values(schedule, steps)`` evaluates a reference schedule at many steps and
returns a float64 NumPy array; ``assert_close(actual, expected)`` compares
jaxdecay's float32 values with it (relative tolerance only, except where the
exact value is 0).
"""

from __future__ import annotations

import bisect
import math
from fractions import Fraction

import chex
import numpy as np

__all__ = [
    "assert_close",
    "values",
    "constant",
    "linear_decay",
    "exponential_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "inverse_sqrt_decay",
    "step_decay",
    "multistep_decay",
    "piecewise_constant",
    "piecewise_constant_from_scales",
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
    "join",
]


def values(schedule, steps) -> np.ndarray:
    """``schedule`` at every step of ``steps`` (any iterable or array)."""
    steps = np.asarray(steps)
    flat = [schedule(s.item()) for s in steps.reshape(-1)]
    return np.asarray(flat, np.float64).reshape(steps.shape)


# ---------------------------------------------------------------------------
# Exact step helpers.


def _step(t):
    """The step as an exact rational number, clamped at 0."""
    t = Fraction(t)  # exact for ints and floats alike
    return max(t, Fraction(0))


def _floor_div(t: Fraction, period) -> int:
    """``floor(t / period)``, exact."""
    return math.floor(t / Fraction(period))


def _progress(t: Fraction, transition_steps, staircase: bool):
    """``p = t / T`` (floored when ``staircase``) as an exact Fraction."""
    q = t / Fraction(transition_steps)
    return Fraction(math.floor(q)) if staircase else q


def _cosine_factor(x: Fraction) -> float:
    """``(1 + cos(pi x)) / 2`` for ``0 <= x <= 1``, accurate near ``x = 1``."""
    return math.sin(math.pi / 2 * float(1 - x)) ** 2


def _mix(start, end, x: Fraction) -> float:
    """``start + (end - start) x`` as ``start (1 - x) + end x``: no cancellation
    when either end is 0."""
    return start * float(1 - x) + end * float(x)


def _count_at_most(boundaries, t: Fraction) -> int:
    """How many of the sorted (int) boundaries are ``<= t``."""
    return bisect.bisect_right(boundaries, t)


# ---------------------------------------------------------------------------
# The catalog.


def constant(value):
    return lambda step: float(value)


def linear_decay(
    init_value, decay_rate, transition_steps=1, staircase=False, end_value=0.0
):
    def schedule(step):
        p = _progress(_step(step), transition_steps, staircase)
        return max(init_value * float(1 - Fraction(decay_rate) * p), end_value)

    return schedule


def exponential_decay(
    init_value,
    decay_rate,
    transition_steps=1,
    staircase=False,
    transition_begin=0,
    end_value=None,
):
    """optax semantics: ``init_value`` until ``transition_begin``, then
    ``init_value * decay_rate ** ((t - B) / T)``; ``end_value`` is a floor when
    ``decay_rate < 1`` and a ceiling otherwise (applied at every step)."""

    def schedule(step):
        t = _step(step) - transition_begin
        if t <= 0:
            value = float(init_value)
        else:
            p = _progress(t, transition_steps, staircase)
            value = init_value * decay_rate ** float(p)
        if end_value is not None:
            value = max(value, end_value) if decay_rate < 1 else min(value, end_value)
        return value

    return schedule


def natural_exp_decay(init_value, decay_rate, transition_steps=1, staircase=False):
    def schedule(step):
        p = _progress(_step(step), transition_steps, staircase)
        return init_value * math.exp(-decay_rate * float(p))

    return schedule


def inverse_time_decay(init_value, decay_rate, transition_steps=1, staircase=False):
    def schedule(step):
        p = _progress(_step(step), transition_steps, staircase)
        return init_value / (1.0 + decay_rate * float(p))

    return schedule


def inverse_sqrt_decay(init_value, transition_steps=1):
    def schedule(step):
        t = _step(step)
        return init_value * math.sqrt(
            transition_steps / max(float(t), transition_steps)
        )

    return schedule


def step_decay(init_value, step_size, gamma):
    def schedule(step):
        return init_value * gamma ** _floor_div(_step(step), step_size)

    return schedule


def multistep_decay(init_value, milestones, gamma):
    """Repeated milestones compound (PyTorch's MultiStepLR)."""
    milestones = sorted(int(m) for m in milestones)

    def schedule(step):
        return init_value * gamma ** _count_at_most(milestones, _step(step))

    return schedule


def piecewise_constant(boundaries, values):
    """``values[i]`` from ``boundaries[i-1]`` (inclusive) to ``boundaries[i]``."""
    boundaries = [int(b) for b in boundaries]
    values = [float(v) for v in values]
    assert len(values) == len(boundaries) + 1

    def schedule(step):
        return values[_count_at_most(boundaries, _step(step))]

    return schedule


def piecewise_constant_from_scales(init_value, boundaries_and_scales):
    """optax's ``piecewise_constant_schedule``: the value is ``init_value`` times
    every scale whose boundary has been reached (products in float64)."""
    items = sorted(boundaries_and_scales.items())
    running = [float(init_value)]
    for _, scale in items:
        running.append(running[-1] * scale)
    return piecewise_constant([b for b, _ in items], running)


def piecewise_linear(boundaries, values):
    """Straight lines through ``(boundaries[i], values[i])``, flat outside; a
    repeated boundary is a jump (the later value applies from that step)."""
    boundaries = [int(b) for b in boundaries]
    values = [float(v) for v in values]

    def schedule(step):
        t = _step(step)
        i = _count_at_most(boundaries, t)
        if i == 0:
            return values[0]
        if i == len(boundaries):
            return values[-1]
        b0, b1 = boundaries[i - 1], boundaries[i]  # b0 <= t < b1, so b0 < b1
        return _mix(values[i - 1], values[i], (t - b0) / (b1 - b0))

    return schedule


def polynomial_decay(
    init_value, end_value, transition_steps, power=1.0, transition_begin=0, cycle=False
):
    """optax's ``polynomial_schedule``; with ``cycle`` Keras's PolynomialDecay:
    the period is stretched to ``T * ceil(t / T)`` (``T`` at step 0)."""

    def schedule(step):
        t = max(_step(step) - transition_begin, Fraction(0))
        if cycle:
            multiplier = 1 if t == 0 else math.ceil(t / transition_steps)
            x = t / (transition_steps * multiplier)
        else:
            x = min(t, Fraction(transition_steps)) / transition_steps
        return (init_value - end_value) * float(1 - x) ** power + end_value

    return schedule


def cosine_decay(init_value, decay_steps, end_value=0.0, exponent=1.0):
    def schedule(step):
        x = min(_step(step), Fraction(decay_steps)) / decay_steps
        return end_value + (init_value - end_value) * _cosine_factor(x) ** exponent

    return schedule


def linear(init_value, end_value, transition_steps, transition_begin=0):
    """optax's ``linear_schedule``."""

    def schedule(step):
        t = min(
            max(_step(step) - transition_begin, Fraction(0)), Fraction(transition_steps)
        )
        return _mix(init_value, end_value, t / transition_steps)

    return schedule


def warmup_cosine_decay(
    peak_value, warmup_steps, decay_steps, init_value=0.0, end_value=0.0, exponent=1.0
):
    """optax's ``warmup_cosine_decay_schedule``: ``decay_steps`` includes the
    warmup."""
    cosine = cosine_decay(peak_value, decay_steps - warmup_steps, end_value, exponent)

    def schedule(step):
        t = _step(step)
        if t < warmup_steps:
            return _mix(init_value, peak_value, t / warmup_steps)
        return cosine(t - warmup_steps)

    return schedule


# g(x) for x in [0, 1], each written so that it stays accurate as x -> 1:
# 1 - sqrt(x) = (1 - x) / (1 + sqrt(x)) and 1 - x**2 = (1 - x)(1 + x).
_WSD_SHAPES = {
    "linear": lambda x: float(1 - x),
    "cosine": _cosine_factor,
    "1-sqrt": lambda x: float(1 - x) / (1.0 + math.sqrt(float(x))),
    "1-square": lambda x: float(1 - x) * (1.0 + float(x)),
}


def warmup_stable_decay(
    peak_value,
    warmup_steps,
    stable_steps,
    decay_steps,
    init_value=0.0,
    end_value=0.0,
    decay_shape="linear",
):
    """Warmup over W steps, plateau for S steps, decay over D steps (D alone)."""
    shape = _WSD_SHAPES[decay_shape]

    def schedule(step):
        t = _step(step)
        if t < warmup_steps:
            return _mix(init_value, peak_value, t / warmup_steps)
        if t < warmup_steps + stable_steps:
            return float(peak_value)
        x = min(t - warmup_steps - stable_steps, Fraction(decay_steps)) / decay_steps
        return end_value + (peak_value - end_value) * shape(x)

    return schedule


def one_cycle(
    peak_value,
    total_steps,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cos",
    three_phase=False,
):
    """PyTorch's ``OneCycleLR`` (``get_lr``), held at the minimum after step
    ``total_steps - 1`` (where PyTorch raises)."""
    initial = peak_value / div_factor
    minimum = initial / final_div_factor
    # Phase ends as PyTorch computes them, in float64, then taken exactly.
    up_end = float(pct_start * total_steps) - 1
    if three_phase:
        phases = [
            (up_end, initial, peak_value),
            (float(2 * pct_start * total_steps) - 2, peak_value, initial),
            (total_steps - 1, initial, minimum),
        ]
    else:
        phases = [(up_end, initial, peak_value), (total_steps - 1, peak_value, minimum)]
    phases = [(Fraction(end), a, b) for end, a, b in phases]

    def interpolate(start, end, pct):
        if anneal == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def schedule(step):
        t = _step(step)
        start_step = Fraction(0)
        for i, (end_step, a, b) in enumerate(phases):
            if t <= end_step or i == len(phases) - 1:
                pct = min((t - start_step) / (end_step - start_step), Fraction(1))
                return interpolate(a, b, float(pct))
            start_step = end_step
        raise AssertionError("unreachable")

    return schedule


def cyclic(
    base_value,
    max_value,
    step_size_up,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
):
    """PyTorch's ``CyclicLR`` (``get_lr``), with the cycle position in exact
    arithmetic: ``x <= step_ratio`` is ``pos <= up``."""
    up = step_size_up
    down = up if step_size_down is None else step_size_down
    total = up + down

    def schedule(step):
        t = _step(step)
        cycle = _floor_div(t, total) + 1  # PyTorch's 1-based cycle number
        pos = t - (cycle - 1) * total
        height = float(pos / up) if pos <= up else float((total - pos) / down)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1.0 / 2.0 ** (cycle - 1)
        elif mode == "exp_range":
            scale = math.exp(float(t) * math.log(gamma))
        else:
            raise ValueError(mode)
        return base_value + (max_value - base_value) * height * scale

    return schedule


def cosine_restarts(
    init_value, first_period, period_mult=1.0, value_mult=1.0, end_value=0.0
):
    """SGDR: cycle k lasts ``first_period * period_mult**k`` steps and starts at
    ``end_value + (init_value - end_value) * value_mult**k``; cycle starts are
    exact rationals (Keras's CosineDecayRestarts with ``alpha = end/init``)."""
    mult = Fraction(period_mult)

    def schedule(step):
        t = _step(step)
        if mult == 1:
            k = _floor_div(t, first_period)
            start, length = Fraction(k * first_period), Fraction(first_period)
        else:
            start, length, k = Fraction(0), Fraction(first_period), 0
        while start + length <= t:
            start += length
            length *= mult
            k += 1
        factor = _cosine_factor((t - start) / length)
        return end_value + (init_value - end_value) * value_mult**k * factor

    return schedule


def recurrence(init_value, factor, horizon):
    """``lr_t = lr_{t-1} * factor(t)`` for ``t = 1..horizon``, then held; the
    running product is taken step by step in float64."""
    table = [float(init_value)]
    for t in range(1, horizon + 1):
        table.append(table[-1] * float(factor(t)))

    def schedule(step):
        return table[min(math.floor(_step(step)), horizon)]

    return schedule


def join(schedules, boundaries):
    """optax's ``join_schedules``: ``schedules[i]`` from ``boundaries[i-1]`` on,
    seeing the step counted from there."""
    boundaries = [int(b) for b in boundaries]
    assert len(schedules) == len(boundaries) + 1

    def schedule(step):
        t = _step(step)
        i = _count_at_most(boundaries, t)
        start = boundaries[i - 1] if i else 0
        return schedules[i](t - start)

    return schedule


# ---------------------------------------------------------------------------
# Comparison.


def assert_close(actual, expected, rtol=1e-6, zero_atol=1e-12):
    """``actual`` (float32) within ``rtol`` of the float64 ``expected``.

    Relative error means nothing where the exact value is 0, so those entries
    are held to an absolute ``zero_atol`` times the largest ``|expected|``
    instead (double-float arithmetic may leave a residue of order 1e-17 there);
    every other entry gets no ``atol`` at all.
    """
    actual = np.asarray(actual)
    expected = np.broadcast_to(np.asarray(expected, np.float64), actual.shape)
    zero = expected == 0
    chex.assert_trees_all_close(actual[~zero], expected[~zero], rtol=rtol, atol=0.0)
    scale = float(np.max(np.abs(expected), initial=0.0)) or 1.0
    chex.assert_trees_all_close(
        actual[zero], expected[zero], rtol=0.0, atol=zero_atol * scale
    )
