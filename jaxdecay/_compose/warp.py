"""Time warps: a schedule read at a power of the position within each period
(timm's k-decay)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._catalog.decay import _add_df, _log_split, _small_times
from .._core import checks as chk
from .._core import elementary as el
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Real, Steps, param
from .wrap import ScheduleArg

__all__ = ["warp"]


class warp(Schedule):
    """A schedule read at a power of the position within each period of P
    steps: timm's k-decay (Zhang & Li, 2020, ``CosineLRScheduler(k_decay=k)``).

    .. math:: \\eta(t) = s\\Big(P q + P \\big(r / P\\big)^{k}\\Big),
       \\quad q = \\lfloor t / P \\rfloor,\\ r = t - P q

    Each period ``[qP, (q + 1) P)`` is mapped onto itself, monotonically, with
    its start and its end fixed: ``k > 1`` lingers near the start of the
    period (a cosine stays high longer), ``k < 1`` hurries through it, and
    ``k = 1`` is the schedule itself.  So ``warp(cosine_decay(peak, P,
    end), k, P)`` is timm's one-cycle k-decay ``end + (peak - end) (1 +
    cos(pi t**k / P**k)) / 2`` (held at ``end`` from step P on: the warp reads
    a schedule that has settled at a step at or past P), and ``warp(
    cosine_restarts(peak, P, ...), k, P)`` is k-decay with restarts of a fixed
    length P (timm's ``cycle_mul=1``; cycles that grow are not one period).

    The warped step is real-valued: ``(r + f)/P`` is a double-float from the
    exact step, its logarithm is split into an exact ``e log 2`` and a small
    rest, and the warped position within the period is cut into whole steps
    (exact integers, added to ``qP``) and a fraction.  In float32 that
    position carries a relative error of about 3e-7 (within 0.03 of a step for
    periods up to 10**5 steps; about 1e-15 with ``jax_enable_x64``), and it
    never leaves its period.  In the second half of the period the distance
    to its end, ``P (1 - x**k)``, is formed instead, with the same relative
    error: a cosine that nears zero at the end keeps its relative accuracy
    (timm's k-decay fixtures: 3e-7 in float32), down to a distance of one
    step; within the last step the distance is a fraction of a step, held to
    about 6e-8 of a step in float32 (with a tiny ``k``, such as 0.001, the
    warped position lands there from early in the last step).  With ``k <
    1`` the last period that starts before the top step (``2**31 - 1``
    without ``jax_enable_x64``) is read past it, where the step saturates, as
    a called step does.

    Args:
      schedule: the schedule to read at the warped steps.
      k: the power, > 0.
      period: P >= 1 steps per warped period.

    Examples:
      >>> lr = warp(cosine_decay(1.0, 100), k=2.0, period=100)
      >>> print(f"{lr(0):.3f} {lr(50):.3f} {lr(71):.3f} {lr(100):.3f}")
      1.000 0.854 0.494 0.000
    """

    schedule: Any = param(ScheduleArg())
    k: Any = param(Real(low=0, low_open=True, coefficient=True))
    period: Any = param(Steps(low=1))

    def _constants(self):
        return {
            "inverse": (lambda xp, P: 1 / P, (self.period,)),
            # (1 - k) log 2 and k - 1: x**(k - 1) = 2**(-e (1 - k)) m**(k - 1).
            "power_log2": (lambda xp, k: (1 - k) * math.log(2), (self.k,)),
            "k_minus_1": (lambda xp, k: k - 1, (self.k,)),
        }

    def _evaluate(self, step):
        n, f = step
        k, P = self.k, self.period
        if chk.is_concrete(k) and k == 1:
            return self.schedule._evaluate(num.Step(n, f))
        _, r = num.divmod_steps(n, P)
        # x = (r + f) / P in [0, 1); the warped position is
        # P x**k = (r + f) x**(k - 1), formed from the exact r + f.
        # The position is read without the step's derivative (the exact split
        # below, bits and roundings, carries none); the slope of the warped
        # position, k x**(k - 1), is given directly further down.  Its
        # derivative in k flows through the value as computed.
        held = None if f is None else jax.lax.stop_gradient(f)
        x_hi, x_lo = num.mul_steps(r, held, self._c("inverse"))
        inside = x_hi > 0
        x_hi = jnp.where(inside, x_hi, 1.0)  # no log(0), even unselected
        x_lo = jnp.where(inside, x_lo, 0.0)
        e, m = _log_split(x_hi)  # x = m 2**e, e <= 0
        # (k - 1) log x = (-e) (1 - k) log 2 + (k - 1) (log m + x_lo / x_hi)
        whole = _small_times(-e, self._c("power_log2"))
        rest = self._c("k_minus_1")[0] * (el.log(m) + el.div(x_lo, x_hi))
        z_hi, z_lo = _add_df(whole, (rest, jnp.zeros_like(rest)))
        # The rounding of exp (about 1e-7) dominates: one float product.
        power = num.exp_df((z_hi, z_lo))  # x**(k - 1)
        t = num.real(r, f)
        # As at every phase's start, the slope at a period's start is 0.
        rate = jax.lax.stop_gradient(jnp.where(inside, num.as_float(k) * power, 0.0))
        moved = t - jax.lax.stop_gradient(t)  # 0, with the slope of the step
        g = jnp.where(inside, jax.lax.stop_gradient(t) * power, 0.0) + rate * moved
        whole, frac = _whole_and_fraction(g)
        # In the second half of the period the distance to its end,
        # d = P (1 - x**k) = -P expm1(k log x), is formed instead: relative
        # to d, not to P (a cosine near its end reads d, not its position).
        # For x >= 1/2, 1 - x_hi is exact, so log1p keeps log x to an ulp;
        # below, |log x| > 0.69 and e log 2 + log m is as good.
        c = num.host_steps(P)
        if c is None or c <= num.top_step():
            last = jnp.asarray(_minus_one(P), whole.dtype)  # P - 1
            log_x = el.div(x_lo, x_hi) + jnp.where(
                x_hi >= 0.5,
                el.log1p(jnp.minimum(x_hi, 1.0) - 1),
                e.astype(x_hi.dtype) * math.log(2) + el.log(m),
            )
            d = -num.real(last + 1, None) * el.expm1(self.k * log_x) - rate * moved
            back = jnp.clip(jnp.ceil(d), 1.0, jnp.maximum(1.0, num.real(last, None)))
            late = inside & (2 * d <= num.real(last + 1, None))
            whole = jnp.where(late, last - (back.astype(whole.dtype) - 1), whole)
            frac = jnp.where(late, back - d, frac)
        return self.schedule._evaluate(_place(n - r, whole, frac, P))

    def settles_at(self):
        end = self.schedule.settles_at()
        if end is None:
            return None
        return self._unwarp(end, margin=1)

    def breakpoints(self):
        P = self.period
        if not chk.is_concrete([P, self.k]):
            return ()
        marks = {self._unwarp(b) for b in self.schedule.breakpoints() if b > 0}
        marks.add(P)
        return tuple(sorted(m for m in marks if m is not None and m < 2**63))

    def _unwarp(self, b, margin=0):
        """The first step whose warped step is at least ``b`` (concrete
        parameters; None otherwise), ``margin`` steps later within the
        period to absorb the rounding of the warped step."""
        P, k = self.period, self.k
        if not chk.is_concrete([P, k, b]):
            return None
        q, r = divmod(int(b), P)
        if r == 0:
            return int(b)
        inside = math.ceil(P * math.exp(math.log(r / P) / float(k)))
        return q * P + min(max(inside, 1) + margin, P)


def _whole_and_fraction(g):
    """The warped position ``g >= 0`` cut into whole steps (exact integers,
    saturating at the top of the step range) and a fraction."""
    idtype, fdtype = num.int_dtype(), num.float_dtype()
    floor = jnp.floor(g)
    top = num.top_step()
    beyond = floor >= np.asarray(float(top) + 1, fdtype)  # 2**31 or 2**63
    whole = jnp.where(beyond, top, jnp.where(beyond, 0.0, floor).astype(idtype))
    return whole, jnp.where(beyond, 0.0, g - floor)


def _place(base, whole, frac, P):
    """The step ``base + whole + frac`` for a warped position within the period
    that starts at ``base``: at most its last fraction (a rounding up to P
    stays in the period), saturating at the top of the step range."""
    fdtype = num.float_dtype()
    below_one = np.nextafter(np.asarray(1, fdtype), np.asarray(0, fdtype))
    top = num.top_step()
    past = num.reached(whole, P)
    whole = num.min_steps(whole, _minus_one(P))
    # Selects, not a clip: at a whole step (frac exactly 0) a clip's maximum
    # would halve the slope.
    frac = jnp.where(frac >= 0, frac, 0.0)
    frac = jnp.where(past, below_one, jnp.where(frac <= below_one, frac, below_one))
    whole = jnp.where(base > top - whole, top, base + whole)
    frac = jnp.where(whole >= top, 0.0, frac).astype(fdtype)
    return num.Step(whole, frac)


def _minus_one(P):
    c = num.host_steps(P)
    return c - 1 if c is not None else jnp.asarray(P).astype(num.int_dtype()) - 1
