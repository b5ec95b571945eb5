"""Analysis of a run's rates: the area under the schedule, the annealing area
of the scaling law with learning-rate annealing, and batch-size scaling.

:func:`area` adds up the rates a run uses (``S1``), in float64 on the host:
closed forms for the catalog's schedules and their compositions, found by
splitting the run at their breakpoints, and otherwise the schedule's own
values evaluated in chunks.  :func:`annealing_area` gives ``S2`` of Tissue et
al. (2024) from the schedule's own values; :func:`scale_lr` scales a rate (or
a schedule) for another batch size.
"""

from __future__ import annotations

import functools
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .._catalog.cycles import cosine_restarts, cyclic
from .._catalog.decay import (
    constant,
    cosine_decay,
    exponential_decay,
    inverse_sqrt_decay,
    inverse_time_decay,
    linear,
    linear_decay,
    multistep_decay,
    natural_exp_decay,
    polynomial_decay,
    step_decay,
)
from .._catalog.piecewise import piecewise_constant, piecewise_linear
from .._catalog.recurrence import recurrence
from .._compose.compose import arithmetic, combine, repeat, shift, warmup
from .._compose.join import join
from .._compose.presets import _Preset, _shaped_decay
from .._compose.wrap import as_schedule
from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule, Value
from .._core.fields import float_max

__all__ = ["area", "annealing_area", "scale_lr"]

#: The most steps :func:`area` and :func:`annealing_area` evaluate one by one
#: in a call (about 5 s at ~5 ns per step on two CPU cores).
EVALUATION_LIMIT = 10**9
_CHUNK = 2**20
_SMALLEST_CHUNK = 2**10
_INT64_MAX = 2**63 - 1
_STEPS = (
    "a non-negative integer or a 1-D sequence of non-negative integers "
    "(at most 2**63 - 1)"
)


# ---------------------------------------------------------------------------
# Arguments.


def _schedule(func, schedule) -> Schedule:
    """A jaxdecay schedule (any callable of the step is wrapped by
    ``from_fn``) with concrete numbers."""
    if isinstance(schedule, Value) and not isinstance(schedule, Schedule):
        chk.fail(
            func,
            "schedule",
            schedule,
            "a schedule, a function of the step; a stateful schedule such as "
            "reduce_on_plateau follows the metrics and has no rate of its own "
            "at a step",
            TypeError,
        )
    s = as_schedule(func, "schedule", schedule)
    if s.unresolved:
        s._refuse_unresolved(f"find the {func.replace('_', ' ')} of")
    if not chk.is_concrete(jax.tree_util.tree_leaves(s)):
        raise TypeError(
            f"{func}: `schedule` holds traced values; the area is computed on "
            "the host from concrete numbers, so call it outside jit and vmap."
        )
    return s


def _steps(func, steps) -> np.ndarray:
    """``steps`` as an int64 array of its own shape (``()`` for one step)."""
    if isinstance(steps, (bool, np.bool_)):
        chk.fail(func, "steps", steps, _STEPS, TypeError)
    if isinstance(steps, jax.core.Tracer):
        chk.fail(func, "steps", steps, f"{_STEPS}, concrete", TypeError)
    if isinstance(steps, numbers.Integral):
        if not 0 <= int(steps) <= _INT64_MAX:
            chk.fail(func, "steps", steps, _STEPS)
        return np.asarray(int(steps), np.int64)
    if isinstance(steps, (str, bytes, dict, set)) or not (
        isinstance(steps, (list, tuple, range, np.ndarray, np.generic, jax.Array))
        or isinstance(steps, numbers.Real)
    ):
        chk.fail(func, "steps", steps, _STEPS, TypeError)
    if isinstance(steps, (list, tuple)) and any(
        isinstance(v, int) and not isinstance(v, bool) and not 0 <= v <= _INT64_MAX
        for v in steps
    ):
        chk.fail(func, "steps", steps, _STEPS)
    try:
        arr = np.asarray(steps)
    except (TypeError, ValueError, OverflowError):
        chk.fail(func, "steps", steps, _STEPS, TypeError)
    if arr.ndim > 1 or arr.dtype == object or arr.dtype == np.bool_:
        chk.fail(func, "steps", steps, _STEPS, TypeError)
    if arr.size == 0:
        return np.zeros(arr.shape, np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            chk.fail(func, "steps", steps, f"whole numbers: {_STEPS}")
        if np.any(arr < 0) or np.any(arr >= 2.0**63):
            chk.fail(func, "steps", steps, _STEPS)
    elif np.issubdtype(arr.dtype, np.integer):
        if np.any(arr < 0) or (
            arr.dtype == np.uint64 and np.any(arr > np.uint64(_INT64_MAX))
        ):
            chk.fail(func, "steps", steps, _STEPS)
    else:
        chk.fail(func, "steps", steps, _STEPS, TypeError)
    return arr.astype(np.int64)


def _f(x) -> np.ndarray:
    return np.asarray(x, np.float64)


# ---------------------------------------------------------------------------
# Sums of the rates over spans of steps.
#
# A series is the rates of a schedule, as a function of the step counted from
# its start; ``span(c, m)`` is the sum of the rates at steps c .. c + m - 1 for
# int64 arrays ``c`` and ``m`` (m >= 0), in float64.  Closed forms sum their
# spans directly (no difference of two large prefix sums), so a short span far
# into a run keeps its accuracy.


class _Series:
    def span(self, c, m):  # pragma: no cover - every series has one
        raise NotImplementedError

    def value(self, k):
        """The rate at the steps ``k``."""
        k = np.asarray(k, np.int64)
        return self.span(k, np.ones_like(k))


class _Const(_Series):
    def __init__(self, v):
        self.v = float(v)

    def span(self, c, m):
        return self.v * _f(m)


class _Affine(_Series):
    """``a + b k``."""

    def __init__(self, a, b):
        self.a, self.b = float(a), float(b)

    def span(self, c, m):
        m = _f(m)
        return m * self.a + self.b * m * (2 * _f(c) + m - 1) / 2


class _Ramp(_Series):
    """From ``v0`` at step 0 towards ``v1`` at step ``L``:
    ``v0 (L - k) / L + v1 k / L`` (the linear anneal), for ``k < L``."""

    def __init__(self, v0, v1, length):
        self.v0, self.v1, self.length = float(v0), float(v1), length

    def span(self, c, m):
        m = _f(m)
        left = _f(np.asarray(self.length, np.float64) - _f(c))  # L - c
        keep = m * (2 * left - m + 1) / 2  # sum of L - k
        move = m * (2 * _f(c) + m - 1) / 2  # sum of k
        return (self.v0 * keep + self.v1 * move) / float(self.length)


class _Cos(_Series):
    """The cosine anneal from ``v0`` to ``v1`` over ``L`` steps:
    ``v0 F + v1 (1 - F)``, ``F = (1 + cos(pi k / L)) / 2``, for ``k < L``.

    .. math:: \\sum_{k=c}^{c+m-1} \\cos\\frac{\\pi k}{L} =
       \\frac{\\sin(\\pi m / 2L)}{\\sin(\\pi / 2L)}
       \\sin\\frac{\\pi (L - 2c - m + 1)}{2L}

    (the cosine of the mean angle written as the sine of its distance to
    pi / 2, whose numerator is an exact integer)."""

    def __init__(self, v0, v1, length):
        self.v0, self.v1, self.length = float(v0), float(v1), int(length)

    def span(self, c, m):
        length = self.length
        c = np.asarray(c, np.int64)
        m = np.asarray(m, np.int64)
        half = math.pi / (2 * length)
        gap = _f((length - c) - c - m + 1)  # exact in int64: c + m <= L
        with np.errstate(invalid="ignore"):
            cos_sum = np.sin(half * _f(m)) / math.sin(half) * np.sin(half * gap)
        cos_sum = np.where(m > 0, cos_sum, 0.0)
        m = _f(m)
        return self.v0 * (m + cos_sum) / 2 + self.v1 * (m - cos_sum) / 2


class _Geometric(_Series):
    """``a exp(L k)``."""

    def __init__(self, a, rate):
        self.a, self.rate = float(a), float(rate)

    def span(self, c, m):
        a, rate = self.a, self.rate
        if rate == 0:
            return a * _f(m)
        with np.errstate(over="ignore", invalid="ignore"):
            out = a * np.exp(rate * _f(c)) * (np.expm1(rate * _f(m)) / math.expm1(rate))
        return np.where(np.asarray(m) > 0, out, 0.0)


class _Power(_Series):
    """``scale ((x0 + sign k) / s) ** p`` (a power of a ramp), summed by
    :func:`_power_sum`."""

    def __init__(self, scale, x0, sign, p, s=1.0):
        self.scale, self.x0, self.sign = float(scale), x0, sign
        self.p, self.s = float(p), float(s)

    def span(self, c, m):
        if self.sign > 0:
            first = _f(self.x0) + _f(c)
        else:  # terms x0 - c - m + 1 .. x0 - c, summed upwards
            first = _f(np.asarray(self.x0, np.float64) - _f(c)) - _f(m) + 1
        return self.scale * _power_sum(first, _f(m), self.p, self.s)


class _Mix(_Series):
    """``v0 F + v1 (1 - F)`` for a series ``F`` of weights."""

    def __init__(self, v0, v1, weight):
        self.v0, self.v1, self.weight = float(v0), float(v1), weight

    def span(self, c, m):
        w = self.weight.span(c, m)
        return self.v0 * w + self.v1 * (_f(m) - w)


class _Linear(_Series):
    """``offset + sum_i scale_i series_i``."""

    def __init__(self, terms, offset=0.0):
        self.terms, self.offset = terms, float(offset)

    def span(self, c, m):
        out = self.offset * _f(m)
        for scale, series in self.terms:
            out = out + scale * series.span(c, m)
        return out


class _Shifted(_Series):
    """A series read from its step ``start`` on."""

    def __init__(self, series, start):
        self.series, self.start = series, int(start)

    def span(self, c, m):
        # Saturating at 2**63 - 1, the last step there is (no wrap-around).
        c = np.minimum(np.asarray(c, np.int64), _INT64_MAX - self.start)
        return self.series.span(c + self.start, m)


class _Pieces(_Series):
    """Series one after another: ``(length, series)`` pairs, the last of
    length None (it runs forever).  Each piece sees the steps counted from its
    own start.  The whole pieces a span covers are added from their totals,
    so a span costs two partial pieces whatever the number of pieces."""

    def __init__(self, parts):
        starts, ends, series = [], [], []
        at = 0
        for length, s in parts:
            if at > _INT64_MAX:
                break
            end = _INT64_MAX if length is None else min(at + int(length), _INT64_MAX)
            starts.append(at)
            ends.append(end)
            series.append(s)
            if length is None:
                break
            at = at + int(length)
        self.starts = np.asarray(starts, np.int64)
        self.ends = np.asarray(ends, np.int64)
        self.series = series

    def span(self, c, m):
        c = np.asarray(c, np.int64)
        m = np.asarray(m, np.int64)
        c, m = np.broadcast_arrays(c, m)
        shape = c.shape
        c, m = c.ravel(), m.ravel()
        out = np.zeros(c.shape, np.float64)
        live = m > 0
        if not live.any():
            return out.reshape(shape)
        count = len(self.series)
        last = c + m - 1
        first_piece = np.searchsorted(self.ends, c, side="right")
        last_piece = np.searchsorted(self.ends, last, side="right")
        first_piece = np.minimum(first_piece, count - 1)
        last_piece = np.minimum(last_piece, count - 1)
        # The pieces wholly inside some span need their totals.
        marks = np.zeros(count + 1, np.int64)
        inner = live & (last_piece > first_piece + 1)
        np.add.at(marks, first_piece[inner] + 1, 1)
        np.add.at(marks, last_piece[inner], -1)
        whole = np.cumsum(marks)[:count] > 0
        requests: dict[int, list] = {}

        def ask(piece, local_c, local_m, where):
            requests.setdefault(int(piece), []).append((local_c, local_m, where))

        one = live & (first_piece == last_piece)
        two = live & ~one
        idx = np.nonzero(one)[0]
        for p in np.unique(first_piece[idx]):
            sel = idx[first_piece[idx] == p]
            ask(p, c[sel] - self.starts[p], m[sel], ("part", sel))
        idx = np.nonzero(two)[0]
        for p in np.unique(first_piece[idx]):
            sel = idx[first_piece[idx] == p]
            ask(p, c[sel] - self.starts[p], self.ends[p] - c[sel], ("part", sel))
        for p in np.unique(last_piece[idx]):
            sel = idx[last_piece[idx] == p]
            zero = np.zeros(len(sel), np.int64)
            ask(p, zero, c[sel] + m[sel] - self.starts[p], ("part", sel))
        for p in np.nonzero(whole)[0]:
            one_c = np.zeros(1, np.int64)
            ask(p, one_c, (self.ends[p] - self.starts[p]).reshape(1), ("whole", p))
        totals = np.zeros(count, np.float64)
        for p, items in requests.items():
            sums = self.series[p].span(
                np.concatenate([x[0] for x in items]),
                np.concatenate([x[1] for x in items]),
            )
            at = 0
            for local_c, _, (kind, where) in items:
                got = sums[at : at + len(local_c)]
                at += len(local_c)
                if kind == "part":
                    np.add.at(out, where, got)
                else:
                    totals[where] = got[0]
        cum = np.concatenate([[0.0], np.cumsum(totals)])
        middle = np.where(
            inner, cum[last_piece] - cum[np.minimum(first_piece + 1, count)], 0.0
        )
        return (out + middle).reshape(shape)


class _Cycles(_Series):
    """Cycles of ``period`` steps: ``offset + weight(q) inner(k mod period)``
    for the step ``k`` in cycle ``q``; ``weights(a, b)`` is the sum of the
    weights of cycles ``a .. b - 1``."""

    def __init__(self, inner, period, weight, weights, offset=0.0):
        self.inner, self.period = inner, int(period)
        self.weight, self.weights, self.offset = weight, weights, float(offset)

    def span(self, c, m):
        c, m = np.broadcast_arrays(np.asarray(c, np.int64), np.asarray(m, np.int64))
        shape = c.shape
        c, m = c.ravel(), m.ravel()
        period = self.period
        q0, r0 = np.divmod(c, period)
        q1, r1 = np.divmod(c + m, period)
        same = q0 == q1
        size = len(c)
        zero = np.zeros(size, np.int64)
        sums = self.inner.span(
            np.concatenate([r0, zero, zero[:1]]),
            np.concatenate(
                [np.where(same, m, period - r0), np.where(same, 0, r1), [period]]
            ),
        )
        head, tail, full = sums[:size], sums[size : 2 * size], sums[-1]
        live = m > 0
        with np.errstate(over="ignore", invalid="ignore"):
            first = np.where(live, self.weight(q0) * head, 0.0)
            between = self.weights(q0 + 1, np.maximum(q1, q0 + 1))
            middle = np.where(live & ~same & (q1 > q0 + 1), full * between, 0.0)
            last = np.where(live & ~same & (r1 > 0), self.weight(q1) * tail, 0.0)
        out = first + middle + last + self.offset * _f(m)
        return out.reshape(shape)


def _stairs(inner, every):
    """``inner(floor(k / every))``: each value of ``inner`` held ``every``
    steps (a staircase decay)."""
    return _Cycles(
        _Const(1.0),
        every,
        lambda q: inner.value(q),
        lambda a, b: inner.span(a, np.maximum(b - a, 0)),
    )


def _clipped(series, value, floor, e):
    """``max(series, e)`` (``floor``) or ``min(series, e)`` for a monotone
    series (``value(k)`` its rate at the real step k): the series up to where
    it crosses ``e`` and ``e`` after, or the other way.  The crossing is the
    first step where the comparison turns, found by bisection over the whole
    step range in float64."""
    if e is None:
        return series

    def wins(k):
        v = value(float(k))
        return v >= e if floor else v <= e

    first = wins(0)
    held = _Const(e)
    lo, hi = 0, _INT64_MAX
    if wins(hi) == first:  # no crossing in the step range
        return series if first else held
    while hi - lo > 1:  # wins(lo) == first != wins(hi)
        mid = (lo + hi) // 2
        if wins(mid) == first:
            lo = mid
        else:
            hi = mid
    if first:
        return _Pieces([(hi, series), (None, held)])
    return _Pieces([(hi, held), (None, _Shifted(series, hi))])


# ---------------------------------------------------------------------------
# Power sums by Euler-Maclaurin.

# B_{2j} / (2j)! for j = 1..6.
_EM = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000)
_HEAD = 32


def _falling(p, r):
    out = 1.0
    for i in range(r):
        out *= p - i
    return out


def _power_sum(first, m, p, s=1.0):
    """``sum_{j=0}^{m-1} ((first + j) / s) ** p`` for ``first >= 0`` (> 0 when
    ``p < 0``), float64 arrays.

    The terms below 32 are added one by one; the rest by the Euler-Maclaurin
    formula with six Bernoulli terms (exact for ``p`` = 0, 1, 2; otherwise the
    remainder is below 1e-16 of the sum), each difference ``B**q - A**q``
    taken as ``A**q expm1(q log1p((B - A) / A))`` so that a short span far out
    keeps its accuracy."""
    first, m = np.broadcast_arrays(_f(first), _f(m))
    out = np.zeros(first.shape, np.float64)
    head = np.clip(np.ceil(_HEAD - first), 0, m)
    for j in range(_HEAD + 1):
        sel = j < head
        if not sel.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            term = ((first + j) / s) ** p
        out = out + np.where(sel, term, 0.0)
    a = first + head
    rest = m - head
    live = rest > 0
    a = np.where(live, a, _HEAD)
    rest = np.where(live, rest, 0.0)
    t = np.log1p(rest / a)
    lg = np.log(a / s)
    ls = math.log(s)

    def diff(q, extra=0.0):
        # (B / s)**q - (A / s)**q times exp(extra), B = A + rest.
        return np.exp(q * lg + extra) * np.expm1(q * t)

    if p == -1:
        em = s * t
    else:
        em = diff(p + 1, ls) / (p + 1)
    em = em - diff(p) / 2
    for j, coef in enumerate(_EM, start=1):
        r = 2 * j - 1
        fall = _falling(p, r)
        if fall == 0:
            break
        em = em + coef * fall * diff(p - r, -r * ls)
    return out + np.where(live, em, 0.0)


# ---------------------------------------------------------------------------
# The series of each schedule.


class _NoClosedForm(Exception):
    """This schedule's rates are evaluated and added up."""


def _int(x):
    return int(x)


def _hold_then(before, length, after):
    """``before`` for ``length`` steps, then the series ``after``."""
    if length == 0:
        return after
    return _Pieces([(length, before), (None, after)])


def _linear_decay(plan, s):
    init, rate = float(s.init_value), float(s.decay_rate)
    end = float(s.end_value)
    if s.staircase:  # max(init (1 - r q), end) for the stair q
        slope = -init * rate
        inner = _clipped(_Affine(init, slope), lambda k: init + slope * k, True, end)
        return _stairs(inner, _int(s.transition_steps))
    slope = -init * rate / float(s.transition_steps)
    return _clipped(_Affine(init, slope), lambda k: init + slope * k, True, end)


def _geometric_clipped(init, rate, end):
    """``init exp(rate k)`` with exponential_decay's bound ``end``: a floor
    when it shrinks, a ceiling otherwise."""
    series = _Geometric(init, rate)
    if end is None:
        return series

    def value(k):
        with np.errstate(over="ignore", under="ignore"):
            return init * float(np.exp(rate * k))

    return _clipped(series, value, rate < 0, end)


def _exponential_decay(plan, s):
    init = float(s.init_value)
    end = None if s.end_value is None else float(s.end_value)
    log_rate = math.log(float(s.decay_rate))
    if s.staircase:
        decay = _stairs(
            _geometric_clipped(init, log_rate, end), _int(s.transition_steps)
        )
    else:
        decay = _geometric_clipped(init, log_rate / float(s.transition_steps), end)
    begin = _int(s.transition_begin)
    if begin == 0:
        return decay
    held = init
    if end is not None:
        held = max(init, end) if s.decay_rate < 1 else min(init, end)
    return _hold_then(_Const(held), begin, decay)


def _natural_exp_decay(plan, s):
    init, rate = float(s.init_value), float(s.decay_rate)
    if s.staircase:
        return _stairs(_Geometric(init, -rate), _int(s.transition_steps))
    return _Geometric(init, -rate / float(s.transition_steps))


def _inverse_time_decay(plan, s):
    init, rate = float(s.init_value), float(s.decay_rate)
    if rate == 0:
        return _Const(init)
    if s.staircase:
        # init / (1 + r q) = (init / r) (q + 1 / r) ** -1
        return _stairs(_Power(init / rate, 1 / rate, 1, -1.0), _int(s.transition_steps))
    c = rate / float(s.transition_steps)
    return _Power(init / c, 1 / c, 1, -1.0)


def _inverse_sqrt_decay(plan, s):
    init, length = float(s.init_value), float(s.transition_steps)
    if length >= 2.0**62:
        return _Const(init)
    held = math.floor(length) + 1  # the steps t <= T
    return _Pieces(
        [
            (held, _Const(init)),
            (None, _Power(init * math.sqrt(length), held, 1, -0.5)),
        ]
    )


def _step_decay(plan, s):
    rate = math.log(float(s.gamma))
    return _stairs(_Geometric(float(s.init_value), rate), _int(s.step_size))


def _multistep_decay(plan, s):
    init, gamma = float(s.init_value), float(s.gamma)
    bounds = [int(b) for b in np.asarray(s.milestones, np.int64)]
    values = [init * gamma**k for k in range(len(bounds) + 1)]
    return _table(bounds, values)


def _table(bounds, values):
    """Piecewise constant: ``values[i]`` from ``bounds[i-1]`` to ``bounds[i]``."""
    parts, at = [], 0
    for b, v in zip(bounds, values[:-1], strict=True):
        parts.append((b - at, _Const(v)))
        at = b
    parts.append((None, _Const(values[-1])))
    return _Pieces(parts)


def _piecewise_constant(plan, s):
    bounds = [int(b) for b in np.asarray(s.boundaries, np.int64)]
    return _table(bounds, [float(v) for v in np.asarray(s.values, np.float64)])


def _piecewise_linear(plan, s):
    bounds = [int(b) for b in np.asarray(s.boundaries, np.int64)]
    values = [float(v) for v in np.asarray(s.values, np.float64)]
    parts = [(bounds[0], _Const(values[0]))]
    for i in range(1, len(bounds)):
        length = bounds[i] - bounds[i - 1]
        if length:
            parts.append((length, _Ramp(values[i - 1], values[i], length)))
    parts.append((None, _Const(values[-1])))
    return _Pieces(parts)


def _anneal(start, end, length, shape, exponent=1.0):
    """``num.anneal`` over ``length`` steps as a series, or None."""
    if shape == "linear":
        if exponent == 1:
            return _Ramp(start, end, length)
        # F = ((L - k) / L) ** p
        return _Mix(start, end, _Power(1.0, length, -1, exponent, length))
    if exponent != 1:
        return None
    if shape == "cosine":
        return _Cos(start, end, length)
    if shape == "1-sqrt":  # 1 - F = sqrt(k / L)
        return _Mix(end, start, _Power(1.0, 0, 1, 0.5, length))
    if shape == "1-square":  # 1 - F = (k / L) ** 2
        return _Mix(end, start, _Power(1.0, 0, 1, 2.0, length))
    return None


def _then_end(phase, length, end):
    if phase is None:
        raise _NoClosedForm
    return _Pieces([(length, phase), (None, _Const(end))])


def _linear(plan, s):
    init, end = float(s.init_value), float(s.end_value)
    length = _int(s.transition_steps)
    ramp = _then_end(_Ramp(init, end, length), length, end)
    return _hold_then(_Const(init), _int(s.transition_begin), ramp)


def _polynomial_decay(plan, s):
    if s.cycle:
        raise _NoClosedForm
    init, end = float(s.init_value), float(s.end_value)
    length = _int(s.transition_steps)
    phase = _anneal(init, end, length, "linear", float(s.power))
    return _hold_then(
        _Const(init), _int(s.transition_begin), _then_end(phase, length, end)
    )


def _cosine_decay(plan, s):
    init, end = float(s.init_value), float(s.end_value)
    length = _int(s.decay_steps)
    phase = _anneal(init, end, length, "cosine", float(s.exponent))
    return _then_end(phase, length, end)


def _shaped(plan, s):
    init, end = float(s.init_value), float(s.end_value)
    length = _int(s.decay_steps)
    return _then_end(_anneal(init, end, length, s.shape), length, end)


def _constant(plan, s):
    return _Const(float(s.value))


def _preset(plan, s):
    return plan.series(s._parts())


def _join(plan, s):
    bounds = [int(b) for b in np.asarray(s.boundaries, np.int64)]
    parts, at = [], 0
    for piece, b in zip(s.schedules[:-1], bounds, strict=True):
        parts.append((b - at, plan.series(piece)))
        at = b
    parts.append((None, plan.series(s.schedules[-1])))
    return _Pieces(parts)


def _warmup(plan, s):
    after = plan.series(s.schedule)
    length = _int(s.warmup_steps)
    if length == 0:
        return after
    if s.shape != "linear":  # a cosine or geometric ramp: evaluated
        raise _NoClosedForm
    peak = float(after.value(np.zeros(1, np.int64))[0])
    return _Pieces([(length, _Ramp(float(s.init_value), peak, length)), (None, after)])


def _shift(plan, s):
    inner = plan.series(s.schedule)
    k = _int(s.steps)
    if k == 0:
        return inner
    if k < 0:
        return _Shifted(inner, -k)
    first = float(inner.value(np.zeros(1, np.int64))[0])
    return _Pieces([(k, _Const(first)), (None, inner)])


def _repeat(plan, s):
    return _Cycles(
        plan.series(s.schedule),
        _int(s.period),
        lambda q: 1.0,
        lambda a, b: _f(b - a),
    )


def _arithmetic(plan, s):
    op, lhs, rhs = s.op, s.lhs, s.rhs
    if op == "**":  # a power of a schedule: evaluated
        raise _NoClosedForm
    left, right = isinstance(lhs, Schedule), isinstance(rhs, Schedule)
    if left and right:
        if op == "+":
            return _Linear([(1.0, plan.series(lhs)), (1.0, plan.series(rhs))])
        if op == "-":
            return _Linear([(1.0, plan.series(lhs)), (-1.0, plan.series(rhs))])
        raise _NoClosedForm
    if left:
        x, inner = float(rhs), plan.series(lhs)
        if op == "+":
            return _Linear([(1.0, inner)], x)
        if op == "-":
            return _Linear([(1.0, inner)], -x)
        if op == "*":
            return _Linear([(x, inner)])
        return _Linear([(1.0 / x, inner)])
    x, inner = float(lhs), plan.series(rhs)
    if op == "+":
        return _Linear([(1.0, inner)], x)
    if op == "-":
        return _Linear([(-1.0, inner)], x)
    if op == "*":
        return _Linear([(x, inner)])
    raise _NoClosedForm


def _combine(plan, s):
    terms = s.terms
    if terms is None:
        raise _NoClosedForm
    numbers_ = [float(t) for t in terms if not isinstance(t, Schedule)]
    schedules = [t for t in terms if isinstance(t, Schedule)]
    if s.op == "+":
        return _Linear([(1.0, plan.series(t)) for t in schedules], math.fsum(numbers_))
    if len(schedules) != 1:
        raise _NoClosedForm
    return _Linear([(math.prod(numbers_), plan.series(schedules[0]))])


def _cosine_restarts(plan, s):
    init, end = float(s.init_value), float(s.end_value)
    period, grow = s.first_period, float(s.period_mult)
    mult = float(s.value_mult)
    if grow == 1:
        log_mult = math.log(mult)
        return _Cycles(
            _Cos(init - end, 0.0, period),
            period,
            lambda q: np.exp(log_mult * _f(q)),
            lambda a, b: _Geometric(1.0, log_mult).span(a, np.maximum(b - a, 0)),
            offset=end,
        )
    if not grow.is_integer():
        raise _NoClosedForm
    # Whole growth: cycles of whole lengths, tabulated up to the steps asked.
    return _GrowingRestarts(init, end, period, int(grow), mult)


class _GrowingRestarts(_Series):
    def __init__(self, init, end, period, grow, mult):
        self.init, self.end, self.period = init, end, period
        self.grow, self.mult = grow, mult

    def span(self, c, m):
        c = np.asarray(c, np.int64)
        m = np.asarray(m, np.int64)
        top = int(np.max(c + m, initial=0))
        parts, at, length, k = [], 0, self.period, 0
        while at < top:
            height = (self.init - self.end) * self.mult**k
            parts.append((length, _Cos(self.end + height, self.end, length)))
            at += length
            length *= self.grow
            k += 1
        parts.append((None, _Const(self.end)))  # never reached
        return _Pieces(parts).span(c, m)


def _cyclic(plan, s):
    if s.mode == "exp_range":
        raise _NoClosedForm
    up = _int(s.step_size_up)
    down = up if s.step_size_down is None else _int(s.step_size_down)
    base, high = float(s.base_value), float(s.max_value)
    triangle = _Pieces([(up, _Ramp(0.0, 1.0, up)), (None, _Ramp(1.0, 0.0, down))])
    amplitude = _Linear([(high - base, triangle)])
    if s.mode == "triangular":
        weight, weights = (lambda q: 1.0), (lambda a, b: _f(b - a))
    else:  # triangular2: the amplitude halves every cycle, from the 1000th held
        weight = lambda q: np.ldexp(1.0, -np.minimum(q, 1000).astype(np.int64))  # noqa: E731
        weights = _halving_sum
    return _Cycles(amplitude, up + down, weight, weights, offset=base)


def _halving_sum(a, b):
    """``sum_{k=a}^{b-1} 2 ** -min(k, 1000)``."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    cap = 1000
    lo, hi = np.minimum(a, cap), np.minimum(np.maximum(b, a), cap)
    head = np.ldexp(2.0, -lo) * -np.expm1(-math.log(2) * _f(hi - lo))
    tail = _f(np.maximum(b - np.maximum(a, cap), 0)) * 2.0**-cap
    return head + tail


def _recurrence(plan, s):
    return _Table(float(s.init_value), np.asarray(s._table, np.float64))


class _Table(_Series):
    """``init * table[min(k, H)]``."""

    def __init__(self, init, table):
        self.init, self.table = init, table
        self.cum = np.concatenate([[0.0], np.cumsum(table)])

    def span(self, c, m):
        c, m = np.asarray(c, np.int64), np.asarray(m, np.int64)
        size = len(self.table)
        lo, hi = np.minimum(c, size), np.minimum(c + m, size)
        inside = self.cum[hi] - self.cum[lo]
        after = _f(np.maximum(c + m, size) - np.maximum(c, size)) * self.table[-1]
        return self.init * (inside + after)


_CLOSED = {
    constant: _constant,
    linear_decay: _linear_decay,
    exponential_decay: _exponential_decay,
    natural_exp_decay: _natural_exp_decay,
    inverse_time_decay: _inverse_time_decay,
    inverse_sqrt_decay: _inverse_sqrt_decay,
    step_decay: _step_decay,
    multistep_decay: _multistep_decay,
    polynomial_decay: _polynomial_decay,
    cosine_decay: _cosine_decay,
    linear: _linear,
    _shaped_decay: _shaped,
    piecewise_constant: _piecewise_constant,
    piecewise_linear: _piecewise_linear,
    join: _join,
    warmup: _warmup,
    shift: _shift,
    repeat: _repeat,
    arithmetic: _arithmetic,
    combine: _combine,
    cosine_restarts: _cosine_restarts,
    cyclic: _cyclic,
    recurrence: _recurrence,
}


# ---------------------------------------------------------------------------
# Evaluating a schedule's own values.


class _Plan:
    """The series of the schedules of one call, and the steps it evaluates."""

    def __init__(self, func, window=None):
        self.func, self.window = func, window
        self.spent = 0

    def series(self, s) -> _Series:
        handler = _CLOSED.get(type(s))
        if handler is None and isinstance(s, _Preset):
            handler = _preset
        if handler is not None:
            try:
                return handler(self, s)
            except _NoClosedForm:
                pass
        return _Evaluated(self, s)

    def spend(self, count, s):
        self.spent += int(count)
        if self.spent <= EVALUATION_LIMIT:
            return
        name = type(s).__name__
        if self.window is None:
            why = (
                f"steps of {name}, which has no closed form here; past "
                f"{EVALUATION_LIMIT:,} steps evaluated one by one (about 5 ns "
                "each) the call is refused.  Ask for fewer or earlier steps, "
                "or build the schedule from pieces with closed forms (the "
                "catalog's decays, warmups, joins, sums and scalar products: "
                "see `area`)."
            )
        else:
            why = (
                f"steps of {name} (the {self.window:,} rates before each step "
                f"asked); past {EVALUATION_LIMIT:,} evaluated steps the call "
                "is refused.  Ask for fewer steps, or use a smaller `decay` "
                "(its window is 64 ln 2 / -ln(decay) steps)."
            )
        raise ValueError(
            f"{self.func}: `steps` asks for the rates at {self.spent:,} {why}"
        )

    def values(self, s, start, count) -> np.ndarray:
        """The schedule's own values at steps ``start .. start + count - 1``,
        as float64."""
        self.spend(count, s)
        size = _SMALLEST_CHUNK
        while size < min(count, _CHUNK):
            size *= 2
        out = []
        top = num.top_step()
        for at in range(start, start + count, size):
            if at + size - 1 <= top:
                got = _chunk_from(s, jnp.asarray(at, num.int_dtype()), size)
            else:  # past the top step: saturated there, as a call would be
                steps = num.as_step(np.arange(at, at + size, dtype=np.uint64))
                got = _chunk_at(s, steps)
            take = min(size, start + count - at)
            out.append(np.asarray(got, np.float64)[:take])
        return np.concatenate(out) if out else np.zeros(0, np.float64)


def _chunk_from(schedule, first, size):
    return _compiled(schedule, size)(first)


def _chunk_at(schedule, steps):
    return _compiled(schedule, None)(steps)


@functools.lru_cache(maxsize=64)
def _jitted(schedule, size):
    """The schedule's values at ``size`` steps from a first one (``size``
    None: at given steps), jitted with the schedule's numbers as constants,
    as an optimizer that holds the schedule evaluates it; kept for the next
    call with an equal schedule."""
    if size is None:
        return jax.jit(lambda steps: schedule(steps))
    return jax.jit(
        lambda first: schedule(first + jnp.arange(size, dtype=num.int_dtype()))
    )


def _compiled(schedule, size):
    try:
        return _jitted(schedule, size)
    except TypeError:  # an unhashable field: not kept
        return _jitted.__wrapped__(schedule, size)


class _Evaluated(_Series):
    """A schedule without a closed form: its values added up in float64.

    The spans asked are merged into runs of steps, each evaluated in chunks
    (up to 2**20 steps per call of the jitted schedule) and summed with a
    float64 running sum.  A schedule that settles (``settles_at``) is
    evaluated up to its settling step only."""

    def __init__(self, plan, s):
        self.plan, self.s = plan, s
        settle = s.settles_at()
        fits = settle is not None and 0 <= settle <= _INT64_MAX
        self.settle = int(settle) if fits else None

    def span(self, c, m):
        c = np.asarray(c, np.int64)
        m = np.asarray(m, np.int64)
        c, m = np.broadcast_arrays(c, m)
        shape = c.shape
        c, m = c.ravel().copy(), m.ravel().copy()
        out = np.zeros(c.shape, np.float64)
        if self.settle is not None:
            settle = self.settle
            tail = np.maximum(c + m - np.maximum(c, settle), 0)
            if tail.any():
                held = self.plan.values(self.s, settle, 1)[0]
                out += _f(tail) * held
            m = np.maximum(np.minimum(c + m, settle) - c, 0)
        live = np.nonzero(m > 0)[0]
        if len(live):
            out[live] += self._sums(c[live], m[live])
        return out.reshape(shape)

    def _sums(self, c, m):
        """Sums over the spans, by prefix sums along merged runs of steps."""
        order = np.argsort(c, kind="stable")
        out = np.zeros(len(c), np.float64)
        run_start, run_end, members = None, None, []
        runs = []
        for i in order:
            lo, hi = int(c[i]), int(c[i] + m[i])
            if run_start is None or lo > run_end + _CHUNK:
                if run_start is not None:
                    runs.append((run_start, run_end, members))
                run_start, run_end, members = lo, hi, [i]
            else:
                run_end = max(run_end, hi)
                members.append(i)
        runs.append((run_start, run_end, members))
        for start, end, idx in runs:
            idx = np.asarray(idx)
            points = np.concatenate([c[idx], c[idx] + m[idx]]) - start
            prefix = self._prefix(start, end - start, points)
            out[idx] = prefix[len(idx) :] - prefix[: len(idx)]
        return out

    def _prefix(self, start, count, points):
        """Sums of the values at steps ``start .. start + p - 1`` for each
        ``p`` in ``points`` (each in ``[0, count]``), chunk by chunk."""
        order = np.argsort(points, kind="stable")
        sorted_points = points[order]
        result = np.zeros(len(points), np.float64)
        total, compensation = 0.0, 0.0
        at = 0
        pos = 0
        while pos < len(sorted_points) and sorted_points[pos] == 0:
            pos += 1
        while at < count and pos < len(sorted_points):
            size = min(_CHUNK, count - at)
            values = self.plan.values(self.s, start + at, size)
            running = np.cumsum(values)
            while pos < len(sorted_points) and sorted_points[pos] <= at + size:
                k = int(sorted_points[pos]) - at
                result[order[pos]] = total + (running[k - 1] + compensation)
                pos += 1
            # Kahan: the chunk's sum added to the running total.
            y = running[-1] + compensation
            t = total + y
            compensation = y - (t - total)
            total = t
            at += size
        return result


# ---------------------------------------------------------------------------
# The public functions.


def area(schedule, steps) -> np.ndarray:
    r"""The area under a schedule: the sum of the rates of the first ``t``
    updates (``S1`` of the scaling law with learning-rate annealing).

    .. math:: S_1(t) = \sum_{u=0}^{t-1} \eta(u), \qquad S_1(0) = 0

    Computed in float64 on the host.  The catalog's schedules have closed
    forms (a constant; linear ramps and ``linear_decay`` as arithmetic
    series; exponential, natural-exponential and step decays as geometric
    series; the cosine anneal by
    :math:`\sum_{k} \cos(a + k d) = \frac{\sin(m d/2)}{\sin(d/2)}
    \cos(a + (m-1) d/2)`; the ``"1-sqrt"`` and ``"1-square"`` shapes,
    polynomial, inverse-time and inverse-square-root decays by the
    Euler-Maclaurin formula; piecewise tables; ``recurrence`` from its
    table), and so do their compositions: ``warmup``, ``join``, ``shift``,
    ``repeat``, ``warmup_cosine_decay``, ``warmup_stable_decay``, ``cyclic``
    (triangular modes), ``cosine_restarts`` (whole ``period_mult``), sums and
    products with numbers.  These are split at their breakpoints and summed
    piece by piece, in O(len(steps)) whatever the length of the run (a join
    of many pieces adds a search among them); the result is the sum of the
    exact rates (the schedule's formula in float64), to about 1e-13 of the
    sum of their magnitudes; the float32 values an optimizer uses differ from
    those rates by their rounding, about 6e-8 of each.

    Any other schedule (a ``clip``, a ``staircase``, a product of schedules,
    ``from_fn``, ``one_cycle``...) is evaluated: its own values, in the
    default float dtype as training uses them, at every step up to the
    largest of ``steps`` (up to its settling step, if it settles), in jitted
    chunks of 2**20 steps added up in float64, about 5 ns per step on a CPU.
    Beyond 10**9 evaluated steps (``EVALUATION_LIMIT``) the call is a
    ValueError naming ``steps``.  A piece without a closed form inside a
    composition (a ``clip`` in a ``join``) is evaluated alone, over its own
    steps.

    Args:
      schedule: a jaxdecay schedule, or any callable of the step (wrapped by
        ``from_fn`` and evaluated).
      steps: ``t``, a non-negative integer or a 1-D sequence of them, in any
        order (repeats allowed).

    Returns:
      A float64 NumPy array of the shape of ``steps``.

    Raises:
      TypeError: ``schedule`` is not a function of the step (e.g. a
        ``reduce_on_plateau``) or holds traced values; ``steps`` is not
        integers.
      ValueError: ``steps`` is negative, beyond ``2**63 - 1``, or asks for
        more than 10**9 evaluated steps.

    Examples:
      >>> print(area(linear(0.0, 1.0, transition_steps=10), [0, 10, 20]))
      [ 0.   4.5 14.5]
      >>> s = warmup_cosine_decay(1e-3, warmup_steps=1000, decay_steps=10**8)
      >>> print(f"{area(s, 10**8):.6f}")  # 10**8 steps, in closed form
      50000.000000
    """
    s = _schedule("area", schedule)
    t = _steps("area", steps)
    flat = t.reshape(-1)
    out = _Plan("area").series(s).span(np.zeros_like(flat), flat)
    return np.asarray(out, np.float64).reshape(t.shape)


def _window(decay) -> int:
    """Drops older than this many steps weigh less than 2**-64 of a recent
    one in the momentum."""
    if decay == 0:
        return 1
    return int(math.ceil(64 * math.log(2) / -math.log(decay))) + 2


def _momentum(drops, decay, m0=0.0):
    """``m_k = decay m_{k-1} + drops_k`` for each k, from ``m0``.

    Blocked: within a block of B steps the scan is a cumulative sum of the
    drops rescaled by ``decay**-j`` (at most 2**8, so nothing overflows and
    the result keeps ~1e-13 of the momentum), and the blocks are joined by
    the momentum at their ends, ``c_b = g c_{b-1} + e_b`` with ``g =
    decay**B``: directly when ``g <= 2**-8`` (the terms older than 64 / 8
    blocks weigh less than 2**-64), else one block at a time (then B is
    2**16 and blocks are few)."""
    n = len(drops)
    if n == 0:
        return np.zeros(0, np.float64)
    if decay == 0:
        return drops.copy()
    block = max(1, min(int(8 * math.log(2) / -math.log(decay)), 2**16))
    pad = (-n) % block
    d = np.concatenate([drops, np.zeros(pad)]).reshape(-1, block)
    j = np.arange(block, dtype=np.float64)
    local = np.cumsum(d * decay ** (-j), axis=1) * decay**j  # each from 0
    ends = local[:, -1]
    count = len(ends)
    g = decay**block
    carry = np.empty(count, np.float64)  # the momentum at each block's end
    if g <= 2.0**-8:
        terms = int(math.ceil(64 / -math.log2(g))) + 1
        carry[:] = ends
        for i in range(1, min(terms, count)):
            carry[i:] += g**i * ends[: count - i]
        with np.errstate(under="ignore"):
            carry += g ** np.arange(1, count + 1, dtype=np.float64) * m0
    else:
        m = m0
        for b in range(count):
            m = g * m + ends[b]
            carry[b] = m
    before = np.concatenate([[m0], carry[:-1]])
    out = local + decay ** (j + 1) * before[:, None]
    return out.reshape(-1)[:n]


def annealing_area(schedule, steps, decay=0.999) -> np.ndarray:
    r"""The annealing area ``S2`` of Tissue et al. (2024), "Scaling Law with
    Learning Rate Annealing": the loss drop that annealing the rate brings,
    :math:`L(t) = L_0 + A S_1^{-\alpha} - C S_2`.

    With :math:`\eta_i` the rate of update ``i`` (``i = 1 .. t``, i.e.
    ``schedule(i - 1)``) and :math:`\eta_0 = \eta_1` (no drop before the first
    update):

    .. math:: m_i = \lambda\, m_{i-1} + (\eta_{i-1} - \eta_i), \quad m_0 = 0,
       \qquad S_2(t) = \sum_{i=1}^{t} m_i
       = \sum_{k=1}^{t} (\eta_{k-1} - \eta_k) \frac{1 - \lambda^{t-k+1}}{1 - \lambda}

    (each drop of the rate, weighted by how long its momentum has had to act).
    Summing the recurrence gives :math:`S_2(t) (1 - \lambda) = \eta_1 - \eta_t
    - \lambda m_t`, which is what is computed: only :math:`m_t` needs the
    rates, and only those of the last :math:`\lceil 64 \ln 2 / -\ln \lambda
    \rceil` updates (about 44,000 for :math:`\lambda = 0.999`; older drops
    weigh less than 2**-64).  So the cost is that many evaluated steps per
    entry of ``steps`` (windows that overlap are evaluated once), in float64
    on the host from the schedule's own values (the default float dtype, as
    training uses them), whatever the length of the run; at most
    10**9 evaluated steps in all (a ValueError naming ``steps``
    past them).

    The recurrence is the paper's; it runs over the whole schedule given, so
    a warmup's rising rates count as negative drops.  The paper leaves the
    warmup out: to do the same, pass the schedule after it
    (``shift(s, -warmup_steps)``) and add ``warmup_steps`` to the steps.

    Args:
      schedule: a jaxdecay schedule, or any callable of the step.
      steps: ``t``, a non-negative integer or a 1-D sequence of them, in any
        order.
      decay: :math:`\lambda` in ``[0, 1)``, the momentum's decay (the paper
        uses 0.999).

    Returns:
      A float64 NumPy array of the shape of ``steps``; ``S2(0) = S2(1) = 0``.

    Examples:
      >>> lr = piecewise_constant([10], [1.0, 0.25])  # one drop, at update 11
      >>> print(annealing_area(lr, [10, 11, 12, 13], decay=0.5))
      [0.     0.75   1.125  1.3125]
    """
    func = "annealing_area"
    s = _schedule(func, schedule)
    t = _steps(func, steps)
    lam = chk.number(func, "decay", decay, low=0.0, high=1.0, high_open=True)
    flat = t.reshape(-1)
    out = np.zeros(flat.shape, np.float64)
    live = np.nonzero(flat >= 2)[0]  # S2(0) = S2(1) = 0
    if not len(live):
        return out.reshape(t.shape)
    window = _window(lam)
    plan = _Plan(func, window)
    first = plan.values(s, 0, 1)[0]  # eta_1 = eta_0
    # m_t needs the drops d_k (k = 2 .. t), d_k = s(k - 2) - s(k - 1): the
    # values at steps max(0, t - 1 - window) .. t - 1.
    ends = flat[live]  # evaluate up to step t - 1, inclusive
    order = np.argsort(ends, kind="stable")
    runs: list = []
    for i in order:
        end = int(ends[i])
        lo = max(0, end - 1 - window)
        if runs and lo <= runs[-1][1] + _CHUNK:
            runs[-1][1] = max(runs[-1][1], end)
            runs[-1][2].append(i)
        else:
            runs.append([lo, end, [i]])
    for lo, end, members in runs:
        # Chunk by chunk along the run, the momentum carried across.
        members = sorted(members, key=lambda i: int(ends[i]))
        pos, at, m, last = 0, lo, 0.0, None
        while at < end and pos < len(members):
            size = min(_CHUNK, end - at)
            values = plan.values(s, at, size)  # steps at .. at + size - 1
            seq = values if last is None else np.concatenate([[last], values])
            base = at if last is None else at - 1  # the step of seq[0]
            ms = _momentum(seq[:-1] - seq[1:], lam, m)  # k = base + 2 + index
            while pos < len(members) and int(ends[members[pos]]) <= at + size:
                i = members[pos]
                tt = int(ends[i])
                m_t, eta_t = ms[tt - base - 2], seq[tt - 1 - base]
                out[live[i]] = (first - eta_t - lam * m_t) / (1.0 - lam)
                pos += 1
            if len(ms):
                m = ms[-1]
            last = values[-1]
            at += size
    return out.reshape(t.shape)


_RULES = ("linear", "sqrt")


def scale_lr(lr, batch_size, base_batch_size=256, rule="linear"):
    r"""A learning rate tuned at one batch size, scaled for another.

    .. math:: \eta' = \eta \cdot \frac{B}{B_0} \ (\text{"linear"}), \qquad
       \eta' = \eta \cdot \sqrt{\frac{B}{B_0}} \ (\text{"sqrt"})

    ``"linear"`` is the linear scaling rule of Goyal et al. (2017, "Accurate,
    Large Minibatch SGD"), for SGD; ``"sqrt"`` the square-root rule of
    Krizhevsky (2014, "One weird trick") and Hoffer et al. (2017, "Train
    longer, generalize better"), which keeps the noise of the update, often
    used with adaptive optimizers.

    Args:
      lr: the rate at ``base_batch_size``: a number, or a schedule (any
        jaxdecay schedule, or ``reduce_on_plateau``), which comes back
        multiplied by the factor (``factor * lr``).
      batch_size: B > 0, the batch size to scale to.
      base_batch_size: B0 > 0, the batch size ``lr`` was tuned at.
      rule: ``"linear"`` or ``"sqrt"``.

    Returns:
      A float, or the scaled schedule.

    Examples:
      >>> print(scale_lr(0.1, 1024), scale_lr(0.1, 1024, rule="sqrt"))
      0.4 0.2
      >>> lr = scale_lr(cosine_decay(0.1, 1000), batch_size=512)
      >>> print(f"{lr(0):.2f}")
      0.20
    """
    func = "scale_lr"
    rule = chk.choice(func, "rule", rule, _RULES)
    batch = _positive(func, "batch_size", batch_size)
    base = _positive(func, "base_batch_size", base_batch_size)
    ratio = batch / base
    factor = ratio if rule == "linear" else math.sqrt(ratio)
    if not math.isfinite(factor) or factor == 0:
        chk.fail(
            func,
            "batch_size",
            batch_size,
            f"a positive number whose ratio to base_batch_size={base_batch_size!r} "
            "is a positive finite float",
        )
    if isinstance(lr, Value):
        return factor * lr
    if callable(lr):
        return factor * as_schedule(func, "lr", lr)
    if isinstance(lr, (bool, np.bool_)) or not (
        isinstance(lr, numbers.Real)
        or (isinstance(lr, (np.ndarray, np.generic, jax.Array)) and np.ndim(lr) == 0)
    ):
        chk.fail(func, "lr", lr, "a number or a schedule (the rate to scale)",
                 TypeError)  # fmt: skip
    value = chk.number(func, "lr", lr)
    if not chk.is_concrete(value):
        return value * factor
    out = value * factor
    if not abs(out) <= float_max():
        chk.fail(
            func,
            "batch_size",
            batch_size,
            f"small enough that the scaled rate (lr={value!r} times {factor:.6g}) "
            f"stays within the float range (|rate| <= {float_max():.4g})",
        )
    return out


def _positive(func, name, value) -> float:
    """A positive finite number (a batch size)."""
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0:
        chk.fail(func, name, value, "a positive number", TypeError)
    if isinstance(value, int) and value > 2**63 - 1:
        chk.fail(func, name, value, "a positive number of at most 2**63 - 1")
    return chk.number(func, name, value, low=0.0, low_open=True)
