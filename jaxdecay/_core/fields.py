"""What a schedule's fields hold: declared once with :func:`param`, checked in
one place.

A schedule class declares each argument with its kind::

    init_value: ArrayLike = param(Real())
    decay_steps: int = param(Steps(low=1))
    staircase: bool = param(Flag(), default=False)

and :class:`~jaxdecay.Schedule` checks every argument against its kind when the
schedule is built, naming the schedule, the argument, the value and what is
allowed.  The kinds are where the step domain is enforced: a length of steps is
a whole number up to ``2**63 - 1`` (exact at every step a schedule can be
called with), a value is a real number that the default float dtype can hold.
Checks run on concrete values only, so schedules can be built from traced
values inside ``jax.vmap``.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import jax
import numpy as np

from . import checks as chk
from . import durations as dur

__all__ = [
    "param",
    "Kind",
    "Real",
    "Steps",
    "StepList",
    "RealList",
    "Flag",
    "Choice",
    "Anything",
]


def param(
    kind: Kind, default: Any = dataclasses.MISSING, *, static=None, kw_only=False
):
    """A schedule field of the given kind (see the module docstring).

    ``static`` fields are pytree structure, not leaves (flags, choices, Python
    callables); by default a kind decides (``Flag`` and ``Choice`` are).
    """
    meta = {"kind": kind, "static": kind.static if static is None else static}
    if kw_only:
        return dataclasses.field(default=default, metadata=meta, kw_only=True)
    return dataclasses.field(default=default, metadata=meta)


class Kind:
    """What one field holds; ``check`` returns the canonical value or raises."""

    static = False

    def check(self, func: str, name: str, value: Any) -> Any:
        return value


def _scalar(func, name, value, what):
    """A concrete scalar real number as a float64 (TypeError/ValueError if not)."""
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        chk.fail(func, name, value, what, TypeError)
    if isinstance(value, (np.ndarray, jax.Array, np.generic)) and np.ndim(value) != 0:
        chk.fail(func, name, value, f"a single number, not an array: {what}", TypeError)
    if (
        not chk._is_number(value)
        or isinstance(value, complex)
        or np.iscomplexobj(value)
    ):
        chk.fail(func, name, value, what, TypeError)
    if isinstance(value, numbers.Integral):
        try:
            return float(int(value))
        except OverflowError:
            chk.fail(func, name, value, f"{what}, of magnitude at most "
                     f"{np.finfo(np.float64).max:.4g} (the float64 range)")  # fmt: skip
    return float(np.asarray(value, np.float64))


def float_max() -> float:
    """The largest finite value of the default float dtype."""
    return float(np.finfo(jax.dtypes.canonicalize_dtype(np.float64)).max)


@dataclasses.dataclass(frozen=True)
class Real(Kind):
    """A real number, finite, within ``[low, high]`` (open ends when asked).

    A *value* (a rate; the default) must also fit the default float dtype,
    since the schedule returns it; a *coefficient* (``coefficient=True``: a
    decay rate, a power) only feeds constants computed in float64 on the host,
    and may be any finite number.  ``optional`` allows None.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    allowed: str | None = None
    coefficient: bool = False
    optional: bool = False
    # A length in steps: a duration string is accepted too (see _durations).
    steps: bool = False

    def check(self, func, name, value):
        if value is None and self.optional:
            return None
        if self.steps:
            value = _duration(func, name, value)
            if isinstance(value, dur.Duration):
                return value
        if not chk.is_concrete(value):
            return value
        what = self.allowed or chk._range_text(
            self.low, self.high, self.low_open, self.high_open
        )
        x = _scalar(func, name, value, f"a real number ({what})")
        ok = np.isfinite(x)
        if self.low is not None:
            ok &= (x > self.low) if self.low_open else (x >= self.low)
        if self.high is not None:
            ok &= (x < self.high) if self.high_open else (x <= self.high)
        if not ok:
            chk.fail(func, name, value, what)
        if not self.coefficient and abs(x) > float_max():
            dtype = np.dtype(jax.dtypes.canonicalize_dtype(np.float64)).name
            chk.fail(
                func,
                name,
                value,
                f"{what} and within {dtype}'s range (|{name}| <= {float_max():.4g}), "
                "since the schedule returns it; enable jax_enable_x64 for larger "
                "values",
            )
        return x


STEPS_MAX = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class Steps(Kind):
    """A whole number of steps in ``[low, 2**63 - 1]`` (integral floats such as
    ``100.0`` are accepted, as optax and Keras accept them); a Python int.

    Every length up to ``2**63 - 1`` is exact at every step a schedule can be
    called with: lengths beyond the step range are handled on the host, and a
    boundary beyond it is never reached.

    A duration string (``"10%"``, ``"2ep"``, ``"1e9tok"``; see
    :mod:`jaxdecay._core.durations`) is accepted too, unless ``duration=False``:
    written in steps (``"1500"``) it is steps at once, else it is kept until
    :meth:`~jaxdecay.Schedule.resolve`.
    """

    low: int = 0
    allowed: str | None = None
    optional: bool = False
    high: int | None = None
    why: str | None = None
    # False for counts that are not steps of the run (a factor, a patience).
    duration: bool = True

    def check(self, func, name, value):
        if value is None and self.optional:
            return None
        if self.duration:
            value = _duration(func, name, value)
            if isinstance(value, dur.Duration):
                return value
        if self.high is not None:
            what = f"an integer in [{self.low}, {self.high}] ({self.why})"
        elif self.allowed:
            what = self.allowed
        elif self.low == 1:
            what = "a positive integer"
        elif self.low < -(2**62):
            what = "an integer"
        else:
            what = f"an integer >= {self.low}"
        if not chk.is_concrete(value):
            return value
        if isinstance(value, bool) or not chk._is_number(value):
            chk.fail(func, name, value, what, TypeError)
        if np.ndim(value) != 0:
            chk.fail(func, name, value, f"a single number: {what}", TypeError)
        if isinstance(value, numbers.Integral):
            out = int(value)
        else:
            x = np.asarray(value)
            if np.iscomplexobj(x):
                chk.fail(func, name, value, what, TypeError)
            x = float(x)
            if not np.isfinite(x) or x != np.floor(x):
                chk.fail(func, name, value, what)
            if abs(x) > STEPS_MAX:
                chk.fail(func, name, value, f"{what}, at most 2**63 - 1")
            out = int(x)
        if out < self.low or (self.high is not None and out > self.high):
            chk.fail(func, name, value, what)
        if abs(out) > STEPS_MAX:
            chk.fail(
                func,
                name,
                value,
                f"{what}, at most 2**63 - 1 (the largest step count jaxdecay "
                "represents exactly)",
            )
        return out


@dataclasses.dataclass(frozen=True)
class StepList(Kind):
    """A sorted sequence of steps (boundaries, milestones), each in
    ``[low, 2**63 - 1]``; an int64 NumPy array."""

    low: int = 0
    strict: bool = False

    def check(self, func, name, value):
        if isinstance(value, (list, tuple)) and any(
            isinstance(v, (str, dur.Duration)) for v in value
        ):
            value = [_duration(func, f"{name}[{i}]", v) for i, v in enumerate(value)]
            if dur.contains(value):  # checked again once resolved
                if any(getattr(v, "unit", None) == "rest" for v in value):
                    chk.fail(func, name, value, _NO_REST)
                return tuple(value)
        if not chk.is_concrete(value):
            return value
        _no_huge(func, name, value, "a sequence of integers")
        return chk.integer_array(func, name, value, low=self.low, strict=self.strict)


@dataclasses.dataclass(frozen=True)
class RealList(Kind):
    """A sequence of finite values (``>= low``) that the default float dtype
    can hold; a float64 NumPy array."""

    low: float | None = None
    allowed: str | None = None

    def check(self, func, name, value):
        if not chk.is_concrete(value):
            return value
        _no_huge(func, name, value, "a sequence of finite numbers")
        out = chk.number_array(func, name, value, low=self.low, allowed=self.allowed)
        if out.size and np.max(np.abs(out)) > float_max():
            chk.fail(
                func,
                name,
                value,
                f"a sequence of values within the float range (|v| <= "
                f"{float_max():.4g})",
            )
        return out


_NO_REST = "steps or durations ('*', the rest of the run, is for a phase's length)"


def _duration(func, name, value):
    """A duration string read (whole steps, or a Duration to resolve later);
    any other value as it is."""
    if isinstance(value, str):
        return dur.parse(func, name, value)
    return value


def _no_huge(func, name, value, what):
    """Refuses Python ints beyond int64 in a sequence (NumPy would raise a bare
    OverflowError, or make an object array)."""
    if isinstance(value, (list, tuple)):
        for v in value:
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > STEPS_MAX:
                chk.fail(func, name, value, f"{what} of at "
                         "most 2**63 - 1 in magnitude")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Flag(Kind):
    """True or False (static)."""

    static = True

    def check(self, func, name, value):
        return chk.flag(func, name, value)


@dataclasses.dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of options, such as a shape's name (static)."""

    options: tuple = ()
    static = True

    def check(self, func, name, value):
        if isinstance(value, (list, dict, set)):
            chk.fail(func, name, value, "one of " + ", ".join(map(repr, self.options)))
        return chk.choice(func, name, value, self.options)


@dataclasses.dataclass(frozen=True)
class Anything(Kind):
    """A field its schedule checks itself (in ``__check_init__``)."""

    static_field: bool = False

    @property
    def static(self):  # type: ignore[override]
        return self.static_field
