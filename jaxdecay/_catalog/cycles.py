"""Cyclical schedules: one-cycle, triangular cycles, cosine with warm restarts."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Anything, Choice, Flag, Real, Steps, float_max, param

__all__ = ["one_cycle", "one_cycle_momentum", "cyclic", "cosine_restarts"]


def _phase_position(n, f, ends):
    """Locates steps among phases that end at the host floats ``ends``.

    Phase ``i`` covers ``ends[i-1] < t <= ends[i]`` (PyTorch's OneCycleLR
    rule); the last phase also takes every later step.  Returns the phase index
    and ``(done, remaining, length)`` within it, each formed from exact integers
    and the fractional parts of the ends.  An end beyond the top step is never
    passed; the distance to it is its integer part that fits the step dtype
    plus the rest in float.
    """
    top = int(np.iinfo(n.dtype).max)
    ends = [float(e) for e in ends]
    whole = [math.floor(e) for e in ends]  # Python ints: exact at any size
    frac = [e - w for e, w in zip(ends, whole, strict=True)]
    # t > e  <=>  n > floor(e), or n == floor(e) and f > frac(e).  An end at
    # or past the top is passed by no step.
    cuts = [(w, r) for w, r in zip(whole[:-1], frac[:-1], strict=True) if w < top]
    if not cuts:
        i = jnp.zeros_like(n)
    else:
        w = np.asarray([c[0] for c in cuts], n.dtype)
        r = np.asarray([c[1] for c in cuts], num.float_dtype())
        one = len(cuts) == 1
        m = n if one else n[..., None]
        w, r = (w[0], r[0]) if one else (w, r)
        passed = m > w
        if f is not None:
            passed = passed | ((m == w) & ((f if one else f[..., None]) > r))
        i = passed.astype(n.dtype) if one else jnp.sum(passed, -1, dtype=n.dtype)
    starts = [0.0, *ends[:-1]]
    # A phase is entered only past the end of the one before, so the start of
    # every phase a step can be in lies below the top.
    s_whole = [min(math.floor(x), top) for x in starts]
    s_frac = [x - math.floor(x) for x in starts]
    e_whole = [min(w, top) for w in whole]
    e_rest = [float(w - c) + r for w, c, r in zip(whole, e_whole, frac, strict=True)]
    lengths = np.asarray(ends) - np.asarray(starts)

    def table(values, dtype):
        return num.take(np.asarray(values, dtype), i)

    idtype, fdtype = n.dtype, num.float_dtype()
    done = num.real(num.sub_steps(n, table(s_whole, idtype)), f) - table(s_frac, fdtype)
    remaining = num.real(table(e_whole, idtype) - n, None) + table(e_rest, fdtype)
    if f is not None:
        remaining = remaining - f
    length = table(np.where(lengths > 0, lengths, 1.0), fdtype)
    empty = table(lengths <= 0, bool)
    done = jnp.where(empty, length, jnp.clip(done, 0, length))
    remaining = jnp.where(empty, 0.0, jnp.clip(remaining, 0, length))
    return i, done, remaining, length


class one_cycle(Schedule):
    """The one-cycle policy (Smith & Topin, 2019), as PyTorch's ``OneCycleLR``.

    Rises from ``peak_value / div_factor`` to ``peak_value`` until step
    ``pct_start * total_steps - 1``, then falls to
    ``peak_value / div_factor / final_div_factor`` at step ``total_steps - 1``
    and holds there.  With ``three_phase`` it first falls back to the initial
    value at ``2 * pct_start * total_steps - 2``, then to the minimum.  The
    policy is that of L. N. Smith and N. Topin, "Super-Convergence: Very Fast
    Training of Neural Networks Using Large Learning Rates" (2019).

    .. math:: \\eta = e + \\tfrac{s - e}{2}\\,(1 + \\cos \\pi x) \\ \\text{(cos)},
       \\quad s + (e - s)\\,x \\ \\text{(linear)}

    where x is the position within the phase and s, e its start and end values.

    Args:
      peak_value: the highest rate.
      total_steps: number of steps in the cycle, > 0.
      pct_start: fraction of the cycle spent rising, in [0, 1].
      div_factor: initial rate is ``peak_value / div_factor``; > 0.
      final_div_factor: final rate is ``initial / final_div_factor``; > 0.
      anneal: ``"cos"`` or ``"linear"``.
      three_phase: use the three-phase variant.

    Examples:
      >>> lr = one_cycle(1.0, total_steps=100)
      >>> print(f"{lr(0):.3f} {lr(29):.3f} {lr(99):.1e}")
      0.040 1.000 4.0e-06
    """

    _phases = ("total_steps",)

    peak_value: Any = param(Real())
    total_steps: int = param(Steps(low=1), static=True)
    pct_start: float = param(
        Real(low=0, high=1, coefficient=True), default=0.3, static=True
    )
    div_factor: Any = param(Real(low=0, low_open=True), default=25.0)
    final_div_factor: Any = param(Real(low=0, low_open=True), default=1e4)
    anneal: str = param(Choice(options=("cos", "linear")), default="cos")
    three_phase: bool = param(Flag(), default=False)

    def __check_init__(self):
        peak, div = self.peak_value, self.div_factor
        if chk.is_concrete([peak, div]) and abs(peak / div) > float_max():
            chk.fail(
                "one_cycle",
                "div_factor",
                div,
                f"large enough that the starting rate, peak_value / div_factor, "
                f"is within the float range (|rate| <= {float_max():.4g})",
            )
        if self.three_phase and self.pct_start > 0.5:
            chk.fail(
                "one_cycle",
                "pct_start",
                self.pct_start,
                "at most 0.5 with `three_phase=True` (the rise and the fall back "
                "each take pct_start of the cycle)",
            )

    def _ends(self):
        up = float(self.pct_start) * self.total_steps - 1
        if self.three_phase:
            return [
                up,
                2 * float(self.pct_start) * self.total_steps - 2,
                self.total_steps - 1.0,
            ]
        return [up, self.total_steps - 1.0]

    def _evaluate(self, step):
        n, f = step
        peak = num.as_float(self.peak_value)
        initial = peak / num.as_float(self.div_factor)
        low = initial / num.as_float(self.final_div_factor)
        points = (
            [initial, peak, initial, low] if self.three_phase else [initial, peak, low]
        )
        return self._through(points, n, f)

    def _through(self, points, n, f):
        """Anneals between ``points`` (one per phase boundary) over the phases."""
        points = jnp.stack(jnp.broadcast_arrays(*points), axis=-1)
        i, done, remaining, length = _phase_position(n, f, self._ends())
        start = (
            jnp.take_along_axis(points, i[..., None], -1)[..., 0]
            if points.ndim > 1
            else num.take(points, i)
        )
        end = (
            jnp.take_along_axis(points, i[..., None] + 1, -1)[..., 0]
            if points.ndim > 1
            else num.take(points, i + 1)
        )
        shape = "cosine" if self.anneal == "cos" else "linear"
        return num.anneal(start, end, done, remaining, length, shape)

    def settles_at(self):
        t = self.total_steps
        return t if chk.is_concrete(t) else None

    def breakpoints(self):
        return tuple(sorted({max(0, math.floor(e)) for e in self._ends()}))


class one_cycle_momentum(Schedule):
    """The momentum that pairs with a :class:`one_cycle` rate (PyTorch's
    ``cycle_momentum``).

    It moves opposite to the rate over the same phases and with the same
    annealing: from ``max_momentum`` down to ``base_momentum`` while the rate
    rises, back up to ``max_momentum`` while the rate falls, and (three-phase)
    it holds ``max_momentum`` during the final fall.  Use it for SGD's
    ``momentum`` or Adam's ``b1``.

    .. math:: m = s + (e - s)\\, w(x), \\quad (s, e) = (M, B),\\ (B, M),\\ (M, M)

    per phase, where w is the annealing weight the rate uses at the same
    position x of the same phase.

    Args:
      cycle: the :class:`one_cycle` rate it pairs with.
      base_momentum: B, the momentum at the peak rate.
      max_momentum: M, the momentum at the start and the end.

    Examples:
      >>> lr = one_cycle(1e-3, total_steps=100)
      >>> b1 = one_cycle_momentum(lr, base_momentum=0.85, max_momentum=0.95)
      >>> print(f"{b1(0):.2f} {b1(29):.2f} {b1(99):.2f}")
      0.95 0.85 0.95

      Both go into one optimizer: ``optax.inject_hyperparams(optax.adam)(
      learning_rate=lr, b1=b1)``.
    """

    cycle: Any = param(Anything())
    base_momentum: Any = param(Real(), default=0.85)
    max_momentum: Any = param(Real(), default=0.95)

    def __check_init__(self):
        if not isinstance(self.cycle, one_cycle):
            chk.fail(
                "one_cycle_momentum",
                "cycle",
                self.cycle,
                "a one_cycle schedule (the rate the momentum pairs with)",
                TypeError,
            )

    def _evaluate(self, step):
        n, f = step
        high = num.as_float(self.max_momentum)
        low = num.as_float(self.base_momentum)
        points = (
            [high, low, high, high] if self.cycle.three_phase else [high, low, high]
        )
        return self.cycle._through(points, n, f)

    def settles_at(self):
        return self.cycle.settles_at()

    def breakpoints(self):
        return self.cycle.breakpoints()


class cyclic(Schedule):
    """Cyclical learning rates (Smith), as PyTorch's ``CyclicLR``.

    Each cycle rises linearly from ``base_value`` to ``max_value`` over
    ``step_size_up`` steps and falls back over ``step_size_down``.  The
    amplitude is scaled per mode: ``"triangular"`` keeps it, ``"triangular2"``
    halves it every cycle, ``"exp_range"`` multiplies it by ``gamma ** step``.

    .. math:: \\eta(t) = b + (m - b)\\, h(t)\\, a(t)

    with h the triangle wave in [0, 1] and a the mode's amplitude scale.

    Args:
      base_value: the low end of each cycle.
      max_value: the high end of the first cycle.
      step_size_up: steps rising, > 0.
      step_size_down: steps falling, > 0 (default: ``step_size_up``).
      mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
      gamma: amplitude factor per step for ``"exp_range"``, > 0.

    Examples:
      >>> lr = cyclic(0.1, 1.0, step_size_up=10)
      >>> print(f"{lr(0):.2f} {lr(5):.2f} {lr(10):.2f} {lr(20):.2f}")
      0.10 0.55 1.00 0.10
    """

    base_value: Any = param(Real())
    max_value: Any = param(Real())
    step_size_up: Any = param(Steps(low=1))
    step_size_down: Any = param(Steps(low=1, optional=True), default=None)
    mode: str = param(
        Choice(options=("triangular", "triangular2", "exp_range")),
        default="triangular",
    )
    gamma: Any = param(Real(low=0, low_open=True, coefficient=True), default=1.0)

    def _constants(self):
        return {"log_gamma": (lambda xp, g: xp.log(g), (self.gamma,))}

    def _evaluate(self, step):
        n, f = step
        up = self.step_size_up
        down = up if self.step_size_down is None else self.step_size_down
        cycle, pos, left = _triangle_position(n, up, down)
        c_up = num.host_steps(up)
        if c_up is not None and c_up > num.top_step():
            rising = jnp.ones(n.shape, bool)  # the rise outlasts the step range
        else:
            up_n = num.as_int(up)
            rising = pos < up_n
            if f is not None:
                rising = rising | ((pos == up_n) & (f == 0))
        if f is not None:
            left = left - f
        height = jnp.where(
            rising, num.real(pos, f) / num.length(up), left / num.length(down)
        )
        if self.mode == "triangular2":
            height = jnp.ldexp(height, -jnp.minimum(cycle, 1000).astype(jnp.int32))
        elif self.mode == "exp_range":
            scale = num.pow_steps(n, f, self._c("log_gamma"))
            # 0 * inf (a cycle start, far out with gamma > 1) is 0, not nan.
            height = jnp.where(height == 0, 0.0, height * scale)
        base = num.as_float(self.base_value)
        return base + (num.as_float(self.max_value) - base) * height

    def breakpoints(self):
        up, down = self.step_size_up, self.step_size_down
        down = up if down is None else down
        if not chk.is_concrete([up, down]):
            return ()
        return (up, up + down, 2 * up + down, 2 * (up + down))


def _triangle_position(n, up, down):
    """``(cycle, pos, left)`` for cycles of ``up + down`` steps: the cycle
    index, the step within it and, as a float, the steps ``up + down - pos``
    to its end, exact for lengths of any size (a cycle longer than the step
    range never ends)."""
    c_up, c_down = num.host_steps(up), num.host_steps(down)
    top = num.top_step()
    if c_up is not None and c_down is not None:  # the sum on the host
        total = c_up + c_down
        cycle, pos = num.divmod_steps(n, total)
        return cycle, pos, num.until(total, pos)
    # Traced lengths (vmap over them): the sum may pass the top.
    if (c_up is not None and c_up > top) or (c_down is not None and c_down > top):
        cycle, pos = jnp.zeros_like(n), n
    else:
        u, d = num.as_int(up), num.as_int(down)
        endless = u > top - d
        cycle, pos = num.divmod_steps(n, jnp.where(endless, 1, u + d))
        cycle, pos = jnp.where(endless, 0, cycle), jnp.where(endless, n, pos)
    # up + down - pos = down - (pos - up), each part within the step range.
    past = jnp.maximum(num.sub_steps(pos, up), 0)
    return cycle, pos, num.until(down, past)


# Cycles longer than this are cut to it: a step reaches at most 2**-37 of
# one, where the cosine moves by less than 1e-21 of its amplitude.
_LONGEST = 2**100
# The most cycles a growing cosine_restarts tabulates.
_MOST_CYCLES = 100_000


def _restarts(first_period, period_mult, top, count=None):
    """Starts and lengths of the cycles that start at or below ``top`` (at
    most ``count`` of them), as float64 sums; exact Python ints when
    ``period_mult`` is a whole number."""
    whole = float(period_mult).is_integer()
    mult = int(period_mult) if whole else float(period_mult)
    length = first_period if whole else float(first_period)
    starts, lengths = [0 if whole else 0.0], [length]
    while starts[-1] + lengths[-1] <= top and (count is None or len(starts) < count):
        starts.append(starts[-1] + lengths[-1])
        lengths.append(min(lengths[-1] * mult, _LONGEST))
    return starts, lengths


class cosine_restarts(Schedule):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter).

    Cycle k lasts ``T_k = first_period * period_mult**k`` steps; within it the
    rate falls along a half cosine from the cycle's peak to ``end_value``,
    then restarts.  ``value_mult_mode`` says what ``value_mult`` scales:

    * ``"range"`` (the default): the height above ``end_value``,
      ``e + (eta_0 - e) m**k c``, Keras's ``CosineDecayRestarts`` (``m_mul``);
    * ``"peak"``: the peak itself, ``e + (eta_0 m**k - e) c``, timm's
      ``CosineLRScheduler`` (``cycle_decay``);

    where ``c = (1 + cos(pi tau_k / T_k)) / 2`` and ``tau_k`` the steps since
    the cycle began.  The two agree when ``end_value`` is 0 or ``value_mult``
    is 1; with ``period_mult=1`` and ``value_mult=1`` it is PyTorch's
    ``CosineAnnealingWarmRestarts``.  With ``cycle_limit=L`` the rate holds
    ``end_value`` once L cycles are over (timm's ``cycle_limit``).

    .. math:: \\eta(t) = \\begin{cases} e + (\\eta_0 - e)\\, m^{k}\\, c
       & \\text{range} \\\\ e + (\\eta_0 m^{k} - e)\\, c & \\text{peak}
       \\end{cases} \\quad (k < L), \\qquad \\eta(t) = e \\quad (k \\ge L)

    Args:
      init_value: rate at the start of the first cycle.
      first_period: T_0 > 0 steps in the first cycle.
      period_mult: growth of the cycle length, >= 1.
      value_mult: m > 0, amplitude factor per restart.
      end_value: e, the rate at the end of every cycle.
      cycle_limit: L >= 1 cycles, after which the rate holds ``end_value``;
        None (the default) for cycles without end.
      value_mult_mode: ``"range"`` or ``"peak"``, what ``value_mult`` scales.

    Examples:
      >>> lr = cosine_restarts(1.0, first_period=10, period_mult=2.0)
      >>> print(f"{lr(5):.2f} {lr(10):.2f} {lr(20):.2f} {lr(30):.2f}")
      0.50 1.00 0.50 1.00
      >>> lr = cosine_restarts(1.0, 10, value_mult=0.5, end_value=0.2,
      ...                      cycle_limit=2, value_mult_mode="peak")
      >>> print(f"{lr(0):.2f} {lr(10):.2f} {lr(15):.2f} {lr(20):.2f}")
      1.00 0.50 0.35 0.20
    """

    init_value: Any = param(Real())
    first_period: int = param(Steps(low=1), static=True)
    period_mult: float = param(Real(low=1, coefficient=True), default=1.0, static=True)
    value_mult: Any = param(Real(low=0, low_open=True, coefficient=True), default=1.0)
    end_value: Any = param(Real(), default=0.0)
    cycle_limit: Any = param(
        Steps(low=1, optional=True, duration=False), default=None, static=True
    )
    value_mult_mode: str = param(Choice(options=("range", "peak")), default="range")

    def __check_init__(self):
        if not chk.is_concrete(self.period_mult):
            raise TypeError(
                "cosine_restarts: `period_mult` must be a concrete number, "
                "not a traced value; it fixes the restart steps."
            )
        if not chk.is_concrete(self.cycle_limit):
            chk.fail(
                "cosine_restarts",
                "cycle_limit",
                self.cycle_limit,
                "a concrete integer or None (it fixes the restart steps)",
                TypeError,
            )
        m, limit = self.period_mult, self.cycle_limit
        if m > 1:
            # The restarts are tabulated on the host, one row per cycle that
            # starts within the step range (and before the cycle limit).
            top = num.top_step()
            grown = min(top * ((m - 1) / self.first_period), 1e300)
            cycles = math.log1p(grown) / math.log(m)
            if cycles > _MOST_CYCLES and (limit is None or limit > _MOST_CYCLES):
                chk.fail(
                    "cosine_restarts",
                    "period_mult",
                    m,
                    f"1 or large enough that at most {_MOST_CYCLES:,} cycles start "
                    f"before step {top:,} (the restarts are tabulated; this one "
                    f"would need about {cycles:,.0f} rows; a cycle_limit of at "
                    f"most {_MOST_CYCLES:,} bounds them too)",
                )

    def _constants(self):
        return {"log_mult": (lambda xp, m: xp.log(m), (self.value_mult,))}

    def _evaluate(self, step):
        n, f = step
        if self.period_mult == 1:
            period = self.first_period
            k, pos = num.divmod_steps(n, period)
            done = num.real(pos, f)
            remaining = num.until(period, pos)
            if f is not None:
                remaining = remaining - f
            length = num.length(period)
        else:
            k, done, remaining, length = self._position(n, f)
        end = num.as_float(self.end_value)
        amplitude = num.mul_steps(k, None, self._c("log_mult"))
        if self.value_mult_mode == "peak":
            start = num.grow(self.init_value, amplitude)
        elif chk.is_concrete([self.init_value, self.end_value]):
            height = num.grow(float(self.init_value) - float(self.end_value), amplitude)
            start = end + height
        else:
            height = num.grow(num.as_float(self.init_value) - end, amplitude)
            start = end + height
        value = num.anneal(start, end, done, remaining, length, "cosine")
        if self.cycle_limit is None:
            return value
        return jnp.where(num.reached(k, self.cycle_limit), end, value)

    def _position(self, n, f):
        """The cycle of each step and ``(done, remaining, length)`` within it,
        from host tables of the cycles that start at or below the top step."""
        top = int(np.iinfo(n.dtype).max)
        starts, lengths = _restarts(
            self.first_period, self.period_mult, top, self._rows()
        )
        s_whole = [math.floor(s) for s in starts]  # each at most the top
        ends = [s + t for s, t in zip(starts, lengths, strict=True)]
        # Each cycle end as an integer part that fits the step dtype plus a
        # float rest (the fraction, and the overhang past the largest step).
        e_floor = [math.floor(e) for e in ends]
        e_whole = np.asarray([min(e, top) for e in e_floor], n.dtype)
        fdtype = num.float_dtype()
        e_rest = np.asarray(
            [
                float(w - c) + (e - w)
                for w, c, e in zip(e_floor, e_whole.tolist(), ends, strict=True)
            ],
            fdtype,
        )
        k = num.count_at_most([math.ceil(s) for s in starts[1:]], n)
        if f is not None:
            # A fraction can carry a step past the next (non-integer) start.
            nxt_whole = num.take(e_whole, k)
            nxt_rest = num.take(e_rest, k)
            k = k + ((n == nxt_whole) & (nxt_rest > 0) & (f >= nxt_rest)).astype(
                k.dtype
            )
            k = jnp.minimum(k, len(starts) - 1)
        s_frac = [float(s - w) for s, w in zip(starts, s_whole, strict=True)]
        start = num.take(np.asarray(s_whole, n.dtype), k)
        done = num.real(n - start, f) - num.take(np.asarray(s_frac, fdtype), k)
        remaining = num.real(num.take(e_whole, k) - n, None) + num.take(e_rest, k)
        if f is not None:
            remaining = remaining - f
        length = num.take(np.asarray([float(t) for t in lengths], fdtype), k)
        return k, done, remaining, length

    def _rows(self):
        """The most cycles to tabulate: those of the limit and the held rest."""
        return None if self.cycle_limit is None else self.cycle_limit + 1

    def _last_end(self):
        """The step where cycle ``cycle_limit - 1`` ends (as a float64 sum for
        a fractional ``period_mult``, else exact)."""
        limit, T0, m = self.cycle_limit, self.first_period, self.period_mult
        if m == 1:
            return limit * T0
        if float(m).is_integer():  # T0 (m**L - 1) / (m - 1), exact
            m = int(m)
            if limit * math.log2(m) > 200:  # past every step: never reached
                return None
            return T0 * (m**limit - 1) // (m - 1)
        starts, _ = _restarts(T0, m, num.top_step(), count=limit + 1)
        return math.ceil(starts[limit]) if len(starts) > limit else None

    def settles_at(self):
        if self.cycle_limit is None:
            return None
        end = self._last_end()
        return end if end is not None and end < 2**63 else None

    def breakpoints(self):
        count = 4 if self.cycle_limit is None else min(4, self.cycle_limit + 1)
        starts, _ = _restarts(
            self.first_period, self.period_mult, 20 * self.first_period, count=count
        )
        marks = [int(math.ceil(s)) for s in starts[1:]]
        end = self.settles_at()
        if end is not None:
            marks = sorted({*marks, end})
        return tuple(marks)
