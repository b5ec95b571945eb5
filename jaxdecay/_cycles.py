"""Cyclical schedules: one-cycle, triangular cycles, cosine with warm restarts."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from . import _checks as chk
from . import _numerics as num
from ._base import Schedule, schedule_class, setfield

__all__ = ["one_cycle", "one_cycle_momentum", "cyclic", "cosine_restarts"]


def _phase_position(n, f, ends):
    """Locates steps among phases that end at the host floats ``ends``.

    Phase ``i`` covers ``ends[i-1] < t <= ends[i]`` (PyTorch's OneCycleLR
    rule); the last phase also takes every later step.  Returns the phase index
    and ``(done, remaining, length)`` within it, each formed from exact integers
    and the fractional parts of the ends.
    """
    ends = np.asarray(ends, np.float64)
    whole = np.floor(ends)
    frac = ends - whole
    k = len(ends)
    # t > e  <=>  n > floor(e), or n == floor(e) and f > frac(e).
    passed = n[..., None] > num.as_int(whole[:-1])
    if f is not None:
        passed = passed | (
            (n[..., None] == num.as_int(whole[:-1]))
            & (f[..., None] > num.as_float(frac[:-1]))
        )
    i = jnp.sum(passed, axis=-1, dtype=n.dtype) if k > 1 else jnp.zeros_like(n)
    starts = np.concatenate([[0.0], ends[:-1]])
    s_whole, s_frac = np.floor(starts), starts - np.floor(starts)
    lengths = ends - starts

    def table(values, as_type):
        return num.take(as_type(values), i)

    done = num.real(num.sub_steps(n, table(s_whole, num.as_int)), f) - table(
        s_frac, num.as_float
    )
    remaining = num.real(table(whole, num.as_int) - n, None) + table(frac, num.as_float)
    if f is not None:
        remaining = remaining - f
    length = table(np.where(lengths > 0, lengths, 1.0), num.as_float)
    empty = table(lengths <= 0, jnp.asarray)
    done = jnp.where(empty, length, jnp.clip(done, 0, length))
    remaining = jnp.where(empty, 0.0, jnp.clip(remaining, 0, length))
    return i, done, remaining, length


@schedule_class
class one_cycle(Schedule):
    """The one-cycle policy (Smith & Topurzin), as PyTorch's ``OneCycleLR``.

    Rises from ``peak_value / div_factor`` to ``peak_value`` until step
    ``pct_start * total_steps - 1``, then falls to
    ``peak_value / div_factor / final_div_factor`` at step ``total_steps - 1``
    and holds there.  With ``three_phase`` it first falls back to the initial
    value at ``2 * pct_start * total_steps - 2``, then to the minimum.

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

    peak_value: Any
    total_steps: int
    pct_start: float = 0.3
    div_factor: Any = 25.0
    final_div_factor: Any = 1e4
    anneal: str = "cos"
    three_phase: bool = False
    _static = ("total_steps", "pct_start", "anneal", "three_phase")

    def __post_init__(self):
        name = "one_cycle"
        setfield(self, "peak_value", chk.number(name, "peak_value", self.peak_value))
        setfield(
            self,
            "total_steps",
            chk.integer(name, "total_steps", self.total_steps, low=1),
        )
        setfield(
            self,
            "pct_start",
            chk.number(name, "pct_start", self.pct_start, low=0, high=1),
        )
        setfield(
            self,
            "div_factor",
            chk.number(name, "div_factor", self.div_factor, low=0, low_open=True),
        )
        setfield(
            self,
            "final_div_factor",
            chk.number(
                name, "final_div_factor", self.final_div_factor, low=0, low_open=True
            ),
        )
        chk.choice(name, "anneal", self.anneal, ("cos", "linear"))
        setfield(self, "three_phase", chk.flag(name, "three_phase", self.three_phase))
        if self.three_phase and self.pct_start > 0.5:
            chk.fail(
                name,
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

    def _evaluate(self, n, f):
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

    def breakpoints(self):
        return tuple(sorted({max(0, math.floor(e)) for e in self._ends()}))


@schedule_class
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

    cycle: Any
    base_momentum: Any = 0.85
    max_momentum: Any = 0.95

    def __post_init__(self):
        name = "one_cycle_momentum"
        if not isinstance(self.cycle, one_cycle):
            chk.fail(
                name,
                "cycle",
                self.cycle,
                "a one_cycle schedule (the rate the momentum pairs with)",
                TypeError,
            )
        for field in ("base_momentum", "max_momentum"):
            setfield(self, field, chk.number(name, field, getattr(self, field)))

    def _evaluate(self, n, f):
        high = num.as_float(self.max_momentum)
        low = num.as_float(self.base_momentum)
        points = (
            [high, low, high, high] if self.cycle.three_phase else [high, low, high]
        )
        return self.cycle._through(points, n, f)

    def breakpoints(self):
        return self.cycle.breakpoints()


@schedule_class
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

    base_value: Any
    max_value: Any
    step_size_up: Any
    step_size_down: Any = None
    mode: str = "triangular"
    gamma: Any = 1.0
    _static = ("mode",)

    def __post_init__(self):
        name = "cyclic"
        setfield(self, "base_value", chk.number(name, "base_value", self.base_value))
        setfield(self, "max_value", chk.number(name, "max_value", self.max_value))
        setfield(
            self,
            "step_size_up",
            chk.integer(name, "step_size_up", self.step_size_up, low=1),
        )
        if self.step_size_down is not None:
            setfield(
                self,
                "step_size_down",
                chk.integer(name, "step_size_down", self.step_size_down, low=1),
            )
        chk.choice(name, "mode", self.mode, ("triangular", "triangular2", "exp_range"))
        setfield(
            self, "gamma", chk.number(name, "gamma", self.gamma, low=0, low_open=True)
        )

    def _constants(self):
        return {"log_gamma": (lambda xp, g: xp.log(g), (self.gamma,))}

    def _evaluate(self, n, f):
        up = num.as_int(self.step_size_up)
        down = up if self.step_size_down is None else num.as_int(self.step_size_down)
        total = up + down
        cycle, pos = num.divmod_steps(n, total)
        rising = pos < up if f is None else (pos < up) | ((pos == up) & (f == 0))
        t = num.real(pos, f)
        height = jnp.where(
            rising,
            t / num.real(up, None),
            (num.real(total - pos, None) - (0.0 if f is None else f))
            / num.real(down, None),
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


def _restart_table(first_period, period_mult, top):
    """Start steps of every cycle that begins at or below ``top`` (float64)."""
    starts = [0.0]
    length = float(first_period)
    while starts[-1] + length <= top:
        starts.append(starts[-1] + length)
        length *= period_mult
    return np.asarray(starts)


@schedule_class
class cosine_restarts(Schedule):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter).

    Cycle k lasts ``first_period * period_mult**k`` steps; within it the rate
    falls along a half cosine from ``end_value + (init_value - end_value) *
    value_mult**k`` to ``end_value``, then restarts.  With ``period_mult=1``
    and ``value_mult=1`` it is PyTorch's ``CosineAnnealingWarmRestarts``; the
    amplitude rule is Keras's ``CosineDecayRestarts`` (``m_mul``).

    .. math:: \\eta(t) = e + (\\eta_0 - e)\\, m^{k}\\,
       \\tfrac12\\big(1 + \\cos(\\pi\\, \\tau_k / T_k)\\big)

    Args:
      init_value: rate at the start of the first cycle.
      first_period: T_0 > 0 steps in the first cycle.
      period_mult: growth of the cycle length, >= 1.
      value_mult: m > 0, amplitude factor per restart.
      end_value: e, the rate at the end of every cycle.

    Examples:
      >>> lr = cosine_restarts(1.0, first_period=10, period_mult=2.0)
      >>> print(f"{lr(5):.2f} {lr(10):.2f} {lr(20):.2f} {lr(30):.2f}")
      0.50 1.00 0.50 1.00
    """

    init_value: Any
    first_period: int
    period_mult: float = 1.0
    value_mult: Any = 1.0
    end_value: Any = 0.0
    _static = ("first_period", "period_mult")

    def __post_init__(self):
        name = "cosine_restarts"
        setfield(self, "init_value", chk.number(name, "init_value", self.init_value))
        setfield(
            self,
            "first_period",
            chk.integer(name, "first_period", self.first_period, low=1),
        )
        mult = chk.number(name, "period_mult", self.period_mult, low=1)
        if not chk.is_concrete(mult):
            raise TypeError(
                f"{name}: `period_mult` must be a concrete number, "
                "not a traced value; it fixes the restart steps."
            )
        setfield(self, "period_mult", mult)
        setfield(
            self,
            "value_mult",
            chk.number(name, "value_mult", self.value_mult, low=0, low_open=True),
        )
        setfield(self, "end_value", chk.number(name, "end_value", self.end_value))

    def _constants(self):
        return {"log_mult": (lambda xp, m: xp.log(m), (self.value_mult,))}

    def _evaluate(self, n, f):
        if self.period_mult == 1:
            period = num.as_int(self.first_period)
            k, pos = num.divmod_steps(n, period)
            done = num.real(pos, f)
            remaining = num.real(period - pos, None)
            if f is not None:
                remaining = remaining - f
            length = num.real(period, None)
        else:
            top = num._largest_float_below_int_max(np.float64, num.int_dtype())
            starts = _restart_table(self.first_period, self.period_mult, top)
            ends = np.append(
                starts[1:],
                starts[-1] + self.first_period * self.period_mult ** (len(starts) - 1),
            )
            k = num.count_at_most(np.ceil(starts[1:]).astype(np.int64), n)
            # Each cycle end as an integer part that fits the step dtype plus a
            # float rest (the fraction, or the overhang past the largest step).
            e_int = np.minimum(np.floor(ends), top)
            e_whole = num.as_int(e_int)
            e_rest = num.as_float(ends - e_int)
            if f is not None:
                # A fraction can carry a step past the next (non-integer) start.
                nxt_whole = num.take(e_whole, k)
                nxt_rest = num.take(e_rest, k)
                k = k + ((n == nxt_whole) & (nxt_rest > 0) & (f >= nxt_rest)).astype(
                    k.dtype
                )
                k = jnp.minimum(k, len(starts) - 1)
            s_whole = num.take(num.as_int(np.floor(starts)), k)
            s_frac = num.take(num.as_float(starts - np.floor(starts)), k)
            done = num.real(n - s_whole, f) - s_frac
            remaining = num.real(num.take(e_whole, k) - n, None) + num.take(e_rest, k)
            if f is not None:
                remaining = remaining - f
            length = num.take(num.as_float(ends - starts), k)
        amplitude = num.pow_steps(k, None, self._c("log_mult"))
        end = num.as_float(self.end_value)
        start = end + (num.as_float(self.init_value) - end) * amplitude
        return num.anneal(start, end, done, remaining, length, "cosine")

    def breakpoints(self):
        starts = _restart_table(
            self.first_period, self.period_mult, self.first_period * 20
        )
        return tuple(int(math.ceil(s)) for s in starts[1:4])
