"""The schedule algebra: arithmetic, clipping, shifting, repeating, stairs,
warmup, and wrapping foreign callables."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _checks as chk
from . import _numerics as num
from ._base import Schedule, build, schedule_class, setfield
from ._decay import linear
from ._join import as_schedule, join

__all__ = [
    "arithmetic",
    "clip",
    "shift",
    "repeat",
    "scale_steps",
    "staircase",
    "warmup",
    "from_fn",
]

_OPS = {
    "+": jnp.add,
    "-": jnp.subtract,
    "*": jnp.multiply,
    "/": jnp.divide,
}


def _operand(x, n, f):
    if isinstance(x, Schedule):
        return x._evaluate(n, f)
    return num.as_float(x)


@schedule_class
class arithmetic(Schedule):
    """``lhs op rhs`` for schedules and numbers, made by ``+ - * /`` on schedules.

    Examples:
      >>> lr = linear_decay(0.1, 0.1) * exponential_decay(1.0, 0.9)
      >>> print(f"{lr(1):.4f}")
      0.0810
    """

    op: str
    lhs: Any
    rhs: Any
    _static = ("op",)

    def __post_init__(self):
        name = "arithmetic"
        chk.choice(name, "op", self.op, tuple(_OPS))
        for side in ("lhs", "rhs"):
            value = getattr(self, side)
            if not isinstance(value, Schedule):
                setfield(self, side, chk.number(name, side, value))
        if self.op == "/" and not isinstance(self.rhs, Schedule):
            if chk.is_concrete(self.rhs) and self.rhs == 0:
                chk.fail(
                    name,
                    "rhs",
                    self.rhs,
                    "non-zero: a schedule cannot be divided by zero",
                )

    def _evaluate(self, n, f):
        return _OPS[self.op](_operand(self.lhs, n, f), _operand(self.rhs, n, f))

    def __repr__(self):
        return f"({_side(self.lhs)} {self.op} {_side(self.rhs)})"

    def breakpoints(self):
        marks = set()
        for side in (self.lhs, self.rhs):
            if isinstance(side, Schedule):
                marks.update(side.breakpoints())
        return tuple(sorted(marks))


def _side(x):
    return repr(x) if isinstance(x, Schedule) else f"{x!r}"


@schedule_class
class clip(Schedule):
    """A schedule held within ``[min_value, max_value]``.

    .. math:: \\eta(t) = \\min(\\max(s(t), lo), hi)

    Args:
      schedule: the schedule to clip.
      min_value: lower bound, or None.
      max_value: upper bound, or None.

    Examples:
      >>> lr = clip(linear(1.0, -1.0, 10), min_value=0.1)
      >>> print(f"{lr(0):.1f} {lr(10):.1f}")
      1.0 0.1
    """

    schedule: Any
    min_value: Any = None
    max_value: Any = None

    def __post_init__(self):
        name = "clip"
        setfield(self, "schedule", as_schedule(name, "schedule", self.schedule))
        if self.min_value is None and self.max_value is None:
            raise ValueError(
                f"{name}: give `min_value`, `max_value` or both; got neither."
            )
        for side in ("min_value", "max_value"):
            value = getattr(self, side)
            if value is not None:
                setfield(self, side, chk.number(name, side, value))
        lo, hi = self.min_value, self.max_value
        if lo is not None and hi is not None and chk.is_concrete([lo, hi]) and lo > hi:
            raise ValueError(
                f"{name}: `min_value` must not exceed `max_value`; got "
                f"min_value={lo!r}, max_value={hi!r}."
            )

    def _evaluate(self, n, f):
        value = self.schedule._evaluate(n, f)
        if self.min_value is not None:
            value = jnp.maximum(value, num.as_float(self.min_value))
        if self.max_value is not None:
            value = jnp.minimum(value, num.as_float(self.max_value))
        return value

    def breakpoints(self):
        return self.schedule.breakpoints()


@schedule_class
class shift(Schedule):
    """A schedule delayed by ``steps`` (or advanced, when negative).

    .. math:: \\eta(t) = s(\\max(t - k, 0))

    Args:
      schedule: the schedule to shift.
      steps: k, an integer; the schedule's step 0 happens at step k.

    Examples:
      >>> lr = shift(linear(1.0, 0.0, 10), 5)
      >>> print(f"{lr(0):.1f} {lr(5):.1f} {lr(10):.1f}")
      1.0 1.0 0.5
    """

    schedule: Any
    steps: Any

    def __post_init__(self):
        name = "shift"
        setfield(self, "schedule", as_schedule(name, "schedule", self.schedule))
        setfield(
            self,
            "steps",
            chk.integer(
                name, "steps", self.steps, low=-(2**63) + 1, allowed="an integer"
            ),
        )

    def _evaluate(self, n, f):
        n, f = num.clamp_steps(num.sub_steps(n, num.as_int(self.steps)), f)
        return self.schedule._evaluate(n, f)

    def breakpoints(self):
        k = self.steps
        if not chk.is_concrete(k):
            return ()
        marks = {p + k for p in self.schedule.breakpoints() if p + k > 0}
        if k > 0:
            marks.add(k)
        return tuple(sorted(marks))


@schedule_class
class repeat(Schedule):
    """A schedule restarted every ``period`` steps.

    .. math:: \\eta(t) = s(t \\bmod P)

    Args:
      schedule: the schedule to repeat.
      period: P > 0 steps per cycle.

    Examples:
      >>> lr = repeat(cosine_decay(1.0, 100), period=100)
      >>> print(f"{lr(99):.4f} {lr(100):.4f}")
      0.0002 1.0000
    """

    schedule: Any
    period: Any

    def __post_init__(self):
        name = "repeat"
        setfield(self, "schedule", as_schedule(name, "schedule", self.schedule))
        setfield(self, "period", chk.integer(name, "period", self.period, low=1))

    def _evaluate(self, n, f):
        return self.schedule._evaluate(num.divmod_steps(n, self.period)[1], f)

    def breakpoints(self):
        p = self.period
        return (p, 2 * p, 3 * p) if chk.is_concrete(p) else ()


@schedule_class
class scale_steps(Schedule):
    """A periodic schedule read ``factor`` times faster: ``s(factor * t)``.

    ``schedule`` must repeat every ``period`` steps (a :class:`repeat`, say);
    the step is first reduced modulo the period of ``t -> factor * t mod
    period``, so ``factor * t`` is formed exactly in integers at any step.  It
    puts a cosine of a fractional number of cycles on whole steps (e.g.
    transformers' ``num_cycles``): the wave's half period and the factor are
    the fraction's denominator and numerator.

    .. math:: \\eta(t) = s\\big((F\\,(t \\bmod P')) + F\\,\\{t\\}\\big),
       \\quad P' = P / \\gcd(F, P)

    Args:
      schedule: a schedule that repeats every ``period`` steps.
      factor: F, a whole number of steps of ``schedule`` per step, >= 1.
      period: P, the period of ``schedule``, >= 1.

    Examples:
      >>> wave = repeat(cosine_decay(1.0, 4), period=4)
      >>> lr = scale_steps(wave, factor=2, period=4)
      >>> print([round(float(lr(t)), 3) for t in range(4)])
      [1.0, 0.5, 1.0, 0.5]
    """

    schedule: Any
    factor: int
    period: int
    _static = ("factor", "period")

    def __post_init__(self):
        name = "scale_steps"
        setfield(self, "schedule", as_schedule(name, "schedule", self.schedule))
        for field in ("factor", "period"):
            value = chk.integer(name, field, getattr(self, field), low=1)
            if not chk.is_concrete(value):
                chk.fail(
                    name, field, value, "a concrete integer (it fixes the steps)",
                    TypeError,
                )  # fmt: skip
            setfield(self, field, int(value))
        cycle = self.period // math.gcd(self.factor, self.period)
        if self.factor * cycle > np.iinfo(np.int32).max:
            chk.fail(
                name,
                "factor",
                self.factor,
                f"small enough that factor * {cycle} (the reduced period) fits in "
                "int32, so the scaled step is exact",
            )

    def _evaluate(self, n, f):
        cycle = self.period // math.gcd(self.factor, self.period)
        x = num.divmod_steps(n, cycle)[1] * num.as_int(self.factor)
        if f is None:
            return self.schedule._evaluate(x, None)
        scaled = f * num.as_float(self.factor)
        whole = jnp.floor(scaled)
        return self.schedule._evaluate(
            x + whole.astype(x.dtype), (scaled - whole).astype(f.dtype)
        )


@schedule_class
class staircase(Schedule):
    """A schedule sampled at the start of every block of ``every`` steps.

    .. math:: \\eta(t) = s(E \\lfloor t / E \\rfloor)

    Args:
      schedule: the schedule to sample.
      every: E > 0 steps per stair.

    Examples:
      >>> lr = staircase(exponential_decay(0.1, 0.9, transition_steps=100), 100)
      >>> print(f"{lr(199):.4f} {lr(200):.4f}")
      0.0900 0.0810
    """

    schedule: Any
    every: Any

    def __post_init__(self):
        name = "staircase"
        setfield(self, "schedule", as_schedule(name, "schedule", self.schedule))
        setfield(self, "every", chk.integer(name, "every", self.every, low=1))

    def _evaluate(self, n, f):
        every = num.as_int(self.every)
        return self.schedule._evaluate(num.divmod_steps(n, every)[0] * every, None)

    def breakpoints(self):
        e = self.every
        return (e, 2 * e, 3 * e) if chk.is_concrete(e) else ()


@schedule_class
class warmup(Schedule):
    """A linear warmup from ``init_value`` to the schedule's first value, then
    the schedule (which sees the step counted from the end of the warmup).

    .. math:: \\eta(t) = \\begin{cases} v_0 + (s(0) - v_0)\\, t / W & t < W \\\\
       s(t - W) & t \\ge W \\end{cases}

    Args:
      schedule: the schedule to run after the warmup.
      warmup_steps: W >= 0 (0 means no warmup).
      init_value: value at step 0.

    Examples:
      >>> lr = warmup(cosine_decay(1e-3, 1000), warmup_steps=100)
      >>> print(f"{lr(50):.1e} {lr(100):.1e}")
      5.0e-04 1.0e-03
    """

    schedule: Any
    warmup_steps: Any
    init_value: Any = 0.0

    def __post_init__(self):
        name = "warmup"
        setfield(self, "schedule", as_schedule(name, "schedule", self.schedule))
        setfield(
            self,
            "warmup_steps",
            chk.integer(name, "warmup_steps", self.warmup_steps, low=0),
        )
        setfield(self, "init_value", chk.number(name, "init_value", self.init_value))

    def _evaluate(self, n, f):
        zero = jnp.zeros((), num.int_dtype())
        peak = self.schedule._evaluate(zero, None)
        ramp = build(
            linear,
            init_value=self.init_value,
            end_value=peak,
            transition_steps=jnp.maximum(num.as_int(self.warmup_steps), 1),
            transition_begin=0,
        )
        return build(
            join,
            schedules=(ramp, self.schedule),
            boundaries=(
                np.reshape(self.warmup_steps, (1,))
                if chk.is_concrete(self.warmup_steps)
                else jnp.reshape(num.as_int(self.warmup_steps), (1,))
            ),
        )._evaluate(n, f)

    def breakpoints(self):
        w = self.warmup_steps
        if not chk.is_concrete(w):
            return ()
        return tuple(
            sorted({*([w] if w else []), *(p + w for p in self.schedule.breakpoints())})
        )


@schedule_class
class from_fn(Schedule):
    """Any function of the step (an optax schedule, a lambda) as a jaxdecay
    schedule, so it joins the algebra.

    The function receives integer steps as integers and float steps as floats,
    already clamped at 0, one step at a time (arrays of steps are mapped with
    ``jax.vmap``, so functions written for a scalar step, as optax's are, work
    on arrays); it must be traceable.

    Args:
      fn: a callable ``fn(step) -> value``.

    Examples:
      >>> import optax
      >>> lr = from_fn(optax.linear_schedule(1.0, 0.0, 10)) * 0.5
      >>> print(f"{lr(5):.2f}")
      0.25
    """

    fn: Callable
    _static = ("fn",)

    def __post_init__(self):
        if not callable(self.fn):
            chk.fail("from_fn", "fn", self.fn, "a callable of the step", TypeError)

    def _evaluate(self, n, f):
        step = n if f is None else num.real(n, f)

        def one(s):
            return jnp.asarray(self.fn(s), num.float_dtype())

        if step.ndim == 0:
            return one(step)
        flat = jax.vmap(one)(step.reshape(-1))
        return flat.reshape(step.shape)
