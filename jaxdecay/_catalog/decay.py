"""The classic decay rules: functions of the step with a closed form."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np

from .._core import checks as chk
from .._core import elementary as el
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Flag, Real, StepList, Steps, param

__all__ = [
    "constant",
    "linear_decay",
    "exponential_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "inverse_sqrt_decay",
    "step_decay",
    "multistep_decay",
    "polynomial_decay",
    "cosine_decay",
    "linear",
    "power_decay",
    "tanh_decay",
]


def transition_length(func, value, staircase):
    """A positive number of steps; whole when it sets a staircase."""
    if staircase:
        return chk.integer(
            func,
            "transition_steps",
            value,
            low=1,
            allowed="a positive integer when `staircase=True`",
        )
    out = chk.number(func, "transition_steps", value, low=0, low_open=True)
    if isinstance(out, float) and out.is_integer():
        return int(out)
    return out


def progress_times(schedule, n, f, name):
    """``p * c`` as a double-float, ``p = step / T`` (floored when staircase).

    The constant ``name`` holds ``c / T`` for continuous decay and ``c`` for a
    staircase, so the step is never divided in float.
    """
    if schedule.staircase:
        q, _ = num.divmod_steps(n, schedule.transition_steps)
        return num.mul_steps(q, None, schedule._c(name))
    return num.mul_steps(n, f, schedule._c(name))


def per_transition(fn):
    """``fn(xp, rate)`` divided by T unless the schedule is a staircase."""

    def constant(schedule, *params):
        if schedule.staircase:
            return (fn, params)
        return (
            lambda xp, *p: fn(xp, *p[:-1]) / p[-1],
            (*params, schedule.transition_steps),
        )

    return constant


def clamped_done(n, f, length):
    """``(done, remaining, length)`` as floats for ``done = min(n + f, length)``.

    The clamp and ``length - done`` are computed in integers before any
    rounding, for a length of any size (up to 2**63 - 1).
    """
    m = num.min_steps(n, length)
    done, remaining = num.real(m, None), num.until(length, m)
    if f is not None:
        running = ~num.reached(n, length)
        done = jnp.where(running, done + f, done)
        remaining = jnp.where(running, remaining - f, remaining)
    return done, remaining, num.length(length)


def _sum_of(*steps):
    """The sum of concrete step counts (None when one is traced)."""
    return sum(steps) if chk.is_concrete(list(steps)) else None


def _ends(begin, length):
    """Breakpoints of a phase of ``length`` steps from ``begin`` (concrete)."""
    if chk.is_concrete(begin) and chk.is_concrete(length):
        return (begin, begin + length) if begin else (length,)
    return ()


class constant(Schedule):
    """Constant: the same value at every step.

    .. math:: \\eta(t) = v

    Args:
      value: the value.

    Examples:
      >>> lr = constant(0.01)
      >>> print(f"{lr(0):.3f} {lr(10_000):.3f}")
      0.010 0.010
    """

    value: Any = param(Real())

    def settles_at(self):
        return 0

    def _evaluate(self, step):
        n, f = step
        return jnp.broadcast_to(num.as_float(self.value), n.shape)


class _RateDecay(Schedule):
    """The decays driven by ``decay_rate * p``, ``p = step / transition_steps``
    (floored when ``staircase``): shared fields and checks."""

    init_value: Any = param(Real())
    decay_rate: Any = param(Real(low=0, coefficient=True))
    transition_steps: Any = param(
        Real(low=0, low_open=True, coefficient=True, steps=True), default=1
    )
    staircase: bool = param(Flag(), default=False)
    # Whether decay_rate must be > 0 (else >= 0), and the constant c(decay_rate)
    # whose product with p the rule needs.
    _positive_rate: ClassVar[bool] = False

    @staticmethod
    def _rate(xp, r):
        return r

    def __check_init__(self):
        name = type(self).__name__
        if self._positive_rate:
            Real(low=0, low_open=True, coefficient=True).check(
                name, "decay_rate", self.decay_rate
            )
        object.__setattr__(
            self,
            "transition_steps",
            transition_length(name, self.transition_steps, self.staircase),
        )

    def _constants(self):
        return {"rate": per_transition(self._rate)(self, self.decay_rate)}


class linear_decay(_RateDecay):
    """Linear decay: the rate falls by a fixed fraction of its initial value per
    unit of ``p``, never below ``end_value``.

    .. math:: \\eta(t) = \\max\\big(\\eta_0 (1 - r\\,p),\\ \\eta_{end}\\big),
       \\quad p = t / T \\ (\\lfloor t/T \\rfloor \\text{ if staircase})

    Args:
      init_value: rate at step 0.
      decay_rate: r >= 0, the fraction of ``init_value`` lost per unit of p.
      transition_steps: T > 0 steps per unit of p.
      staircase: apply the decay once every T steps.
      end_value: floor of the rate.

    Examples:
      >>> lr = linear_decay(0.1, decay_rate=0.1)
      >>> print(" ".join(f"{lr(t):.2f}" for t in (1, 2, 3)))
      0.09 0.08 0.07
    """

    end_value: Any = param(Real(), default=0.0)

    def _evaluate(self, step):
        n, f = step
        factor = num.one_minus_df(progress_times(self, n, f, "rate"))
        value = num.times(self.init_value, factor)
        return jnp.maximum(value, num.as_float(self.end_value))

    def breakpoints(self):
        return _zero_crossing(self)


def _zero_crossing(s):
    if all(chk.is_concrete(v) for v in (s.decay_rate, s.transition_steps)) and (
        s.decay_rate > 0
    ):
        at = s.transition_steps / s.decay_rate
        if at < 2**62:
            return (int(round(at)),)
    return ()


class exponential_decay(_RateDecay):
    """Exponential decay: the rate is multiplied by ``decay_rate`` per unit of ``p``.

    .. math:: \\eta(t) = \\eta_0\\, r^{p}, \\quad p = \\max(t - B, 0) / T
       \\ (\\lfloor\\cdot\\rfloor \\text{ if staircase})

    With ``end_value``, the rate stops there: a floor when ``r < 1``, a ceiling
    when ``r > 1`` (optax's semantics).  Before ``transition_begin`` (B) the rate
    is held at ``init_value``.

    Args:
      init_value: rate at step 0.
      decay_rate: r > 0, the factor per unit of p (r > 1 grows).
      transition_steps: T > 0 steps per unit of p.
      staircase: apply the factor once every T steps.
      transition_begin: B >= 0 steps to hold ``init_value`` before decaying.
      end_value: optional bound the rate stops at.

    Examples:
      >>> lr = exponential_decay(0.1, decay_rate=0.9)
      >>> print(" ".join(f"{lr(t):.4f}" for t in (1, 2, 3)))
      0.0900 0.0810 0.0729
    """

    transition_begin: Any = param(Steps(), default=0)
    end_value: Any = param(Real(optional=True), default=None)
    _positive_rate = True

    @staticmethod
    def _rate(xp, r):
        return xp.log(r)

    def _evaluate(self, step):
        n, f = step
        n, f = num.delay(n, f, self.transition_begin)
        value = num.grow(self.init_value, progress_times(self, n, f, "rate"))
        if self.end_value is not None:
            end = num.as_float(self.end_value)
            shrinking = num.as_float(self.decay_rate) < 1
            value = jnp.where(
                shrinking, jnp.maximum(value, end), jnp.minimum(value, end)
            )
        return value

    def breakpoints(self):
        b = self.transition_begin
        return (b,) if chk.is_concrete(b) and b > 0 else ()


class natural_exp_decay(_RateDecay):
    """Natural exponential decay: the rate falls as ``exp(-decay_rate * p)``.

    .. math:: \\eta(t) = \\eta_0\\, e^{-r p}, \\quad p = t / T
       \\ (\\lfloor t/T \\rfloor \\text{ if staircase})

    Args:
      init_value: rate at step 0.
      decay_rate: r >= 0.
      transition_steps: T > 0 steps per unit of p.
      staircase: apply the decay once every T steps.

    Examples:
      >>> lr = natural_exp_decay(0.1, decay_rate=0.1)
      >>> print(f"{lr(1):.6f} {lr(10):.6f}")
      0.090484 0.036788
    """

    @staticmethod
    def _rate(xp, r):
        return -r

    def _evaluate(self, step):
        n, f = step
        return num.as_float(self.init_value) * num.exp_df(
            progress_times(self, n, f, "rate")
        )


class inverse_time_decay(_RateDecay):
    """Inverse-time decay: the rate falls as one over a linear function of the step.

    .. math:: \\eta(t) = \\frac{\\eta_0}{1 + r\\,p}, \\quad p = t / T
       \\ (\\lfloor t/T \\rfloor \\text{ if staircase})

    Args:
      init_value: rate at step 0.
      decay_rate: r >= 0.
      transition_steps: T > 0 steps per unit of p.
      staircase: apply the decay once every T steps.

    Examples:
      >>> lr = inverse_time_decay(0.1, decay_rate=0.1)
      >>> print(f"{lr(1):.6f} {lr(10):.6f}")
      0.090909 0.050000
    """

    def _evaluate(self, step):
        n, f = step
        hi, lo = progress_times(self, n, f, "rate")
        return num.quotient(num.as_float(self.init_value), (1 + hi) + lo)


class inverse_sqrt_decay(Schedule):
    """Inverse square-root decay: constant for T steps, then falls as
    ``1 / sqrt(step)``.

    .. math:: \\eta(t) = \\eta_0 \\sqrt{\\frac{T}{\\max(t, T)}}

    Args:
      init_value: rate up to step T.
      transition_steps: T > 0, the step where the decay starts (a warmup length
        in the Transformer recipe).

    Examples:
      >>> lr = inverse_sqrt_decay(0.1)
      >>> print(f"{lr(1):.4f} {lr(4):.4f} {lr(100):.4f}")
      0.1000 0.0500 0.0100
    """

    init_value: Any = param(Real())
    transition_steps: Any = param(
        Real(low=0, low_open=True, coefficient=True, steps=True), default=1
    )

    def __check_init__(self):
        object.__setattr__(
            self,
            "transition_steps",
            transition_length("inverse_sqrt_decay", self.transition_steps, False),
        )

    def _constants(self):
        return {"root": (lambda xp, T: xp.sqrt(T), (self.transition_steps,))}

    def _evaluate(self, step):
        n, f = step
        t = num.real(n, f)
        # sqrt(T) from the host: a tiny T (flushed to 0 on the device) or a
        # huge one (past the float range) still gives sqrt(T / t) exactly.
        held = t <= num.as_float(self.transition_steps)
        root, _ = self._c("root")
        ratio = jnp.where(held, 1.0, el.div(root, el.sqrt(jnp.where(held, 1.0, t))))
        return num.as_float(self.init_value) * ratio


class step_decay(Schedule):
    """Step decay: the rate is multiplied by ``gamma`` every ``step_size`` steps.

    .. math:: \\eta(t) = \\eta_0\\, \\gamma^{\\lfloor t / S \\rfloor}

    Args:
      init_value: rate for the first S steps.
      step_size: S > 0 steps between decays.
      gamma: factor applied at each decay, > 0.

    Examples:
      >>> lr = step_decay(0.1, step_size=10, gamma=0.1)
      >>> print(f"{lr(9):.3f} {lr(10):.3f} {lr(20):.4f}")
      0.100 0.010 0.0010
    """

    init_value: Any = param(Real())
    step_size: Any = param(Steps(low=1))
    gamma: Any = param(Real(low=0, low_open=True, coefficient=True))

    def _constants(self):
        return {"log_gamma": (lambda xp, g: xp.log(g), (self.gamma,))}

    def _evaluate(self, step):
        n, f = step
        q, _ = num.divmod_steps(n, self.step_size)
        return num.grow(self.init_value, num.mul_steps(q, None, self._c("log_gamma")))


class multistep_decay(Schedule):
    """Multi-step decay: the rate is multiplied by ``gamma`` at each milestone.

    .. math:: \\eta(t) = \\eta_0\\, \\gamma^{\\#\\{i : m_i \\le t\\}}

    A milestone listed twice applies ``gamma`` twice (as in PyTorch).

    Args:
      init_value: rate before the first milestone.
      milestones: sorted steps (>= 0) where the rate is multiplied by gamma.
      gamma: factor applied at each milestone, > 0.

    Examples:
      >>> lr = multistep_decay(0.1, milestones=[10, 30], gamma=0.1)
      >>> print(f"{lr(9):.3f} {lr(10):.3f} {lr(30):.4f}")
      0.100 0.010 0.0010
    """

    init_value: Any = param(Real())
    milestones: Any = param(StepList())
    gamma: Any = param(Real(low=0, low_open=True, coefficient=True))

    def _constants(self):
        return {"log_gamma": (lambda xp, g: xp.log(g), (self.gamma,))}

    def _evaluate(self, step):
        n, f = step
        k = num.count_at_most(self.milestones, n)
        return num.grow(self.init_value, num.mul_steps(k, None, self._c("log_gamma")))

    def settles_at(self):
        m = self.milestones
        if not chk.is_concrete(m):
            return None
        return int(m[-1]) if len(m) else 0

    def breakpoints(self):
        m = self.milestones
        return tuple(int(x) for x in m) if chk.is_concrete(m) else ()


class polynomial_decay(Schedule):
    """Polynomial decay from ``init_value`` to ``end_value`` over T steps.

    .. math:: \\eta(t) = (\\eta_0 - \\eta_{end}) (1 - \\tau / T)^{k} + \\eta_{end},
       \\quad \\tau = \\min(\\max(t - B, 0), T)

    With ``cycle=True`` (Keras/TensorFlow semantics) the decay restarts instead
    of holding: T is stretched to the next multiple of itself that is at least
    the step, ``T \\lceil \\tau / T \\rceil``.

    Args:
      init_value: rate at step B and before.
      end_value: rate from step B + T on.
      transition_steps: T > 0, length of the decay.
      power: k > 0; 1 is linear.
      transition_begin: B >= 0 steps held at ``init_value`` first.
      cycle: stretch the decay period instead of holding ``end_value``.

    Examples:
      >>> lr = polynomial_decay(1.0, 0.0, transition_steps=10, power=2)
      >>> print(f"{lr(0):.2f} {lr(5):.2f} {lr(10):.2f}")
      1.00 0.25 0.00
    """

    _phases = ("transition_begin", "transition_steps")

    init_value: Any = param(Real())
    end_value: Any = param(Real())
    transition_steps: Any = param(Steps(low=1))
    power: Any = param(Real(low=0, low_open=True, coefficient=True), default=1.0)
    transition_begin: Any = param(Steps(), default=0)
    cycle: bool = param(Flag(), default=False)

    def _evaluate(self, step):
        n, f = step
        n, f = num.delay(n, f, self.transition_begin)
        if not self.cycle:
            done, remaining, length = clamped_done(n, f, self.transition_steps)
        else:
            period = self.transition_steps
            q, r = num.divmod_steps(n, period)
            inside = r > 0 if f is None else (r > 0) | (f > 0)
            t = num.real(n, f)
            whole = num.length(period)
            done = jnp.where(inside | (q > 0), t, 0.0)
            remaining = jnp.where(
                inside,
                num.until(period, r) - (0.0 if f is None else f),
                jnp.where(q > 0, 0.0, whole),
            )
            length = jnp.where(
                inside,
                whole * num.real(q + 1, None),
                jnp.where(q > 0, t, whole),
            )
        return num.anneal(
            self.init_value,
            self.end_value,
            done,
            remaining,
            length,
            "linear",
            self.power,
        )

    def settles_at(self):
        if self.cycle:
            return None
        return _sum_of(self.transition_begin, self.transition_steps)

    def breakpoints(self):
        return _ends(self.transition_begin, self.transition_steps)


class cosine_decay(Schedule):
    """Cosine decay from ``init_value`` to ``end_value`` over ``decay_steps``,
    then held.

    .. math:: \\eta(t) = \\eta_{end} + (\\eta_0 - \\eta_{end})
       \\Big[\\tfrac12\\big(1 + \\cos(\\pi \\min(t, T) / T)\\big)\\Big]^{k}

    Args:
      init_value: rate at step 0.
      decay_steps: T > 0, length of the decay.
      end_value: rate from step T on.
      exponent: k > 0 applied to the cosine factor (optax's ``exponent``).

    Examples:
      >>> lr = cosine_decay(0.1, decay_steps=100)
      >>> print(f"{lr(0):.4f} {lr(50):.4f} {lr(100):.4f}")
      0.1000 0.0500 0.0000
    """

    _phases = ("decay_steps",)

    init_value: Any = param(Real())
    decay_steps: Any = param(Steps(low=1))
    end_value: Any = param(Real(), default=0.0)
    exponent: Any = param(Real(low=0, low_open=True, coefficient=True), default=1.0)

    def _evaluate(self, step):
        n, f = step
        done, remaining, length = clamped_done(n, f, self.decay_steps)
        return num.anneal(
            self.init_value,
            self.end_value,
            done,
            remaining,
            length,
            "cosine",
            self.exponent,
        )

    def settles_at(self):
        return _sum_of(self.decay_steps)

    def breakpoints(self):
        t = self.decay_steps
        return (t,) if chk.is_concrete(t) else ()


class linear(Schedule):
    """Linear interpolation from ``init_value`` to ``end_value`` (optax's
    ``linear_schedule``): held before ``transition_begin`` and after the end.

    .. math:: \\eta(t) = \\eta_0 + (\\eta_{end} - \\eta_0)\\,\\tau / T,
       \\quad \\tau = \\min(\\max(t - B, 0), T)

    Args:
      init_value: value at step B and before.
      end_value: value from step B + T on.
      transition_steps: T > 0, length of the interpolation.
      transition_begin: B >= 0.

    Examples:
      >>> lr = linear(0.0, 1e-3, transition_steps=100)
      >>> print(f"{lr(0):.1e} {lr(50):.1e} {lr(200):.1e}")
      0.0e+00 5.0e-04 1.0e-03
    """

    _phases = ("transition_begin", "transition_steps")

    init_value: Any = param(Real())
    end_value: Any = param(Real())
    transition_steps: Any = param(Steps(low=1))
    transition_begin: Any = param(Steps(), default=0)

    def _evaluate(self, step):
        n, f = step
        n, f = num.delay(n, f, self.transition_begin)
        done, remaining, length = clamped_done(n, f, self.transition_steps)
        return num.anneal(
            self.init_value, self.end_value, done, remaining, length, "linear"
        )

    def settles_at(self):
        return _sum_of(self.transition_begin, self.transition_steps)

    def breakpoints(self):
        return _ends(self.transition_begin, self.transition_steps)


def _log_split(x_hi):
    """``log(x_hi) = e log 2 + log(m)`` for ``x_hi > 0``: the integer ``e``
    (default integer dtype) and ``m`` in ``[sqrt(1/2), sqrt(2))``.

    The large part ``e log 2`` is then formed exactly (as a double-float, by
    :func:`~jaxdecay._core.numerics.mul_steps`), and only ``log(m)``, below 0.35 in
    magnitude, is rounded: the logarithm keeps about ``2**-26`` absolute
    accuracy at any size of ``x``.
    """
    m, e = jnp.frexp(x_hi)  # m in [1/2, 1)
    low = m < math.sqrt(0.5)
    m = jnp.where(low, m * 2, m)
    e = e.astype(num.int_dtype()) - low.astype(num.int_dtype())
    return e, m


def _small_times(e, c):
    """``e * c`` as a double-float for integers ``|e| < 2**12`` and a
    double-float constant ``c``: in float32 the high part is ``e`` times the
    top 12 bits of ``c``, exact, and the rest goes to the low part."""
    c_hi, c_lo = c
    e = e.astype(num.float_dtype())
    if num.float_dtype() != jnp.float32:
        return num._normalize(e * c_hi, e * c_lo)
    c1 = num._high_bits(c_hi)
    return num._normalize(e * c1, e * (c_hi - c1) + e * c_lo)


def _add_df(a, b):
    """``a + b`` for double-floats ``a = (hi, lo)`` and ``b = (hi, lo)``; an
    infinite sum keeps no low part (never a NaN).

    ``a`` may be a constant, ``b`` not: the two-sum is formed as ``b + a``,
    since XLA folds ``(x + c) - c`` to ``x`` for a constant ``c`` under
    ``jit``, which would drop the rounding error of a sum formed as ``c + x``.
    """
    s, err = num._two_sum(b[0], a[0])
    return num._normalize(s, jnp.where(jnp.isfinite(s), err, 0) + a[1] + b[1])


def _excess(xp, T):
    """``k >= 0`` with ``2**-k / T < 2**62``: the power of two that keeps
    ``step / T`` finite for any step, even for a timescale near 0."""
    return xp.maximum(xp.floor(xp.log2(1 / T)) - 62, 0)


class power_decay(Schedule):
    """Power-law decay with a timescale: the inverse square root of big_vision
    (``rsqrt`` with ``timescale`` and ``shift``), Levanter and fairseq, any
    power.

    .. math:: \\eta(t) = \\eta_0 \\Big(1 + \\frac{\\max(t - B, 0)}{\\tau}\\Big)^{-k}

    The rate is held at ``init_value`` up to step B (a warmup's length, say),
    then falls as ``t**-k``.  It is computed as ``exp(-k log1p(x / tau))`` with
    ``x / tau`` a double-float formed from the exact step and the logarithm
    split into an exact ``e log 2`` and a small rest, so float32 stays within
    about 1e-7 relative of the exact value at every step.

    Args:
      init_value: rate up to step B.
      timescale: tau > 0 steps, the scale of the decay: the rate has fallen
        by ``2**-k`` at ``t = B + tau``.
      power: k >= 0; 0.5 is the inverse square root, 1 inverse time.
      transition_begin: B >= 0 steps held at ``init_value`` first.

    Examples:
      >>> lr = power_decay(1.0, timescale=10)
      >>> print(f"{lr(0):.4f} {lr(30):.4f} {lr(990):.4f}")
      1.0000 0.5000 0.1000
      >>> lr = power_decay(1.0, timescale=1, power=1.0, transition_begin=100)
      >>> print(f"{lr(100):.3f} {lr(101):.3f} {lr(103):.3f}")
      1.000 0.500 0.250
    """

    init_value: Any = param(Real())
    timescale: Any = param(Real(low=0, low_open=True, coefficient=True, steps=True))
    power: Any = param(Real(low=0, coefficient=True), default=0.5)
    transition_begin: Any = param(Steps(), default=0)

    def __check_init__(self):
        if chk.is_concrete(self.timescale):
            object.__setattr__(
                self,
                "timescale",
                transition_length("power_decay", self.timescale, False),
            )

    def _constants(self):
        return {
            # 1 / tau, scaled by 2**-k (k > 0 only for tau below 2**-62).
            "rate": (lambda xp, T: xp.exp2(-_excess(xp, T)) / T, (self.timescale,)),
            "excess": (_excess, (self.timescale,)),
            "power_log2": (lambda xp, p: p * math.log(2), (self.power,)),
        }

    def _evaluate(self, step):
        n, f = step
        n, f = num.delay(n, f, self.transition_begin)
        # log(1 + x / tau) = k log 2 + log(2**-k + x 2**-k / tau), k = 0
        # unless tau is below 2**-62.
        u = num.mul_steps(n, f, self._c("rate"))
        T = self.timescale
        if chk.is_concrete(T) and float(_excess(np, np.float64(T))) == 0:
            one, excess = jnp.ones_like(u[0]), None
        else:
            excess = self._c("excess")[0]
            one = jnp.broadcast_to(jnp.exp2(-excess), u[0].shape)
        s_hi, s_lo = _add_df((one, jnp.zeros_like(one)), u)
        e, m = _log_split(s_hi)
        if excess is not None:
            e = e + excess.astype(e.dtype)
        whole = _small_times(e, self._c("power_log2"))
        rest = num.as_float(self.power) * (el.log(m) + el.div(s_lo, s_hi))
        hi, lo = _add_df(whole, (rest, jnp.zeros_like(rest)))
        at_start = u[0] == 0  # (1 + 0)**-p is 1 exactly, whatever tau's size
        hi, lo = jnp.where(at_start, 0.0, hi), jnp.where(at_start, 0.0, lo)
        return num.grow(self.init_value, (-hi, -lo))

    def settles_at(self):
        p = self.power
        return 0 if chk.is_concrete(p) and p == 0 else None

    def breakpoints(self):
        b = self.transition_begin
        return (b,) if chk.is_concrete(b) and b > 0 else ()


class tanh_decay(Schedule):
    """Hyperbolic-tangent decay (Hsueh et al., 2019), as timm's
    ``TanhLRScheduler`` for one cycle: from about ``init_value`` down to about
    ``end_value`` over T steps, then ``end_value``.

    .. math:: \\eta(t) = \\begin{cases} e + \\tfrac12 (\\eta_0 - e)
       \\big(1 - \\tanh(l + (u - l)\\, t / T)\\big) & t < T \\\\
       e & t \\ge T \\end{cases}

    With timm's bounds (l, u) = (-7, 3) the curve starts within 1e-6 of
    ``init_value`` and ends, at step T - 1, about 0.25% of the way from
    ``end_value``, where it drops to ``end_value``.  The weight
    ``(1 - tanh x) / 2 = 1 / (1 + e^{2x})`` and its complement are each
    computed from ``e^{-2|x|}``, with x a double-float, so both ends keep
    their relative accuracy.

    Args:
      init_value: the rate the curve starts near (exactly, as l goes to -inf).
      decay_steps: T >= 1, the length of the decay.
      end_value: e, the rate from step T on.
      lb: l, the tanh's argument at step 0; finite, below ``ub``.
      ub: u, the tanh's argument as t reaches T; finite.

    Examples:
      >>> lr = tanh_decay(1.0, decay_steps=100)
      >>> print(f"{lr(0):.4f} {lr(70):.4f} {lr(99):.4f} {lr(100):.4f}")
      1.0000 0.5000 0.0030 0.0000
    """

    _phases = ("decay_steps",)

    init_value: Any = param(Real())
    decay_steps: Any = param(Steps(low=1))
    end_value: Any = param(Real(), default=0.0)
    lb: Any = param(Real(coefficient=True), default=-7.0)
    ub: Any = param(Real(coefficient=True), default=3.0)

    def __check_init__(self):
        lb, ub = self.lb, self.ub
        if chk.is_concrete([lb, ub]) and not lb < ub:
            chk.fail(
                "tanh_decay",
                "ub",
                ub,
                f"a finite number above lb={lb!r} (the tanh's argument runs from "
                "lb at step 0 to ub at the end of the decay)",
            )

    def _constants(self):
        return {
            "slope": (
                lambda xp, lb, ub, T: (ub - lb) / T,
                (self.lb, self.ub, self.decay_steps),
            ),
            "lb": (lambda xp, lb: lb, (self.lb,)),
        }

    def _evaluate(self, step):
        n, f = step
        hi, lo = _add_df(self._c("lb"), num.mul_steps(n, f, self._c("slope")))
        # q = exp(-2|x|) in (0, 1]: (1 - tanh x) / 2 is q / (1 + q) for x > 0
        # and 1 / (1 + q) for x <= 0, and its complement the other one.
        rising = hi > 0
        q = num.exp_df((jnp.where(rising, -2 * hi, 2 * hi),
                        jnp.where(rising, -2 * lo, 2 * lo)))  # fmt: skip
        large = el.recip(1 + q)
        small = el.div(q, 1 + q)
        keep = jnp.where(rising, small, large)
        move = jnp.where(rising, large, small)
        if num.is_zero(self.end_value):
            value = num.times(self.init_value, keep)
        elif num.is_zero(self.init_value):
            value = num.as_float(self.end_value) * move
        else:
            value = (
                num.as_float(self.init_value) * keep
                + num.as_float(self.end_value) * move
            )
        done = num.reached(n, self.decay_steps)
        return jnp.where(done, num.as_float(self.end_value), value)

    def settles_at(self):
        return _sum_of(self.decay_steps)

    def breakpoints(self):
        t = self.decay_steps
        return (t,) if chk.is_concrete(t) else ()
