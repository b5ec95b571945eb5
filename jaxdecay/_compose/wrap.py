"""Foreign callables as schedules: ``from_fn``, and the field kind of an
argument that holds a schedule."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Anything, Kind, param

__all__ = ["from_fn", "as_schedule", "ScheduleArg", "Ported"]


def as_schedule(func: str, name: str, value: Any) -> Schedule:
    """A jaxdecay schedule as is; any other callable wrapped by ``from_fn``."""
    if isinstance(value, Schedule):
        return value
    if callable(value) and not isinstance(value, type):
        return from_fn(value)
    chk.fail(func, name, value, "a schedule or a callable of the step", TypeError)


@dataclasses.dataclass(frozen=True)
class ScheduleArg(Kind):
    """A schedule (or any callable of the step, wrapped by :class:`from_fn`)."""

    def check(self, func, name, value):
        return as_schedule(func, name, value)


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

    fn: Callable = param(Anything(static_field=True))

    def __check_init__(self):
        if not callable(self.fn):
            chk.fail("from_fn", "fn", self.fn, "a callable of the step", TypeError)

    def _evaluate(self, step):
        n, f = step
        step = n if f is None else num.real(n, f)

        def one(s):
            return jnp.asarray(self.fn(s), num.float_dtype())

        if step.ndim == 0:
            return one(step)
        flat = jax.vmap(one)(step.reshape(-1))
        return flat.reshape(step.shape)


class Ported(Schedule, abstract=True):
    """A peer's scheduler ported by :mod:`jaxdecay.torch` or
    :mod:`jaxdecay.timm`: the core schedule ``schedule`` it evaluates, and the
    peer's scheduler it stands for (``spec``, static).

    Its value, ``repr``, ``to_config`` and breakpoints are those of
    ``schedule``; it equals ``schedule`` (and another port of its kind only
    when both the schedule and the peer's scheduler are the same).
    """

    schedule: Any = param(Anything())
    spec: Any = param(Anything(static_field=True))

    def _evaluate(self, step):
        return self.schedule._evaluate(step)

    def settles_at(self):
        return self.schedule.settles_at()

    def breakpoints(self):
        return self.schedule.breakpoints()

    def to_config(self) -> dict:
        return self.schedule.to_config()

    def describe(self, steps=None) -> str:
        return self.schedule.describe(steps)

    def __eq__(self, other):
        if type(other) is type(self):
            return self.spec == other.spec and self.schedule == other.schedule
        if isinstance(other, Schedule):
            return self.schedule == other
        return NotImplemented

    def __hash__(self):
        return hash(self.schedule)

    def __repr__(self):
        return repr(self.schedule)
