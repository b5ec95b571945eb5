"""Recursive rules ``lr_t = lr_{t-1} * factor(t)``, tabulated exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Anything, Real, Steps, param

__all__ = ["recurrence"]

_MAX_HORIZON = 50_000_000
_HORIZONS = f"an integer in [1, {_MAX_HORIZON:_}]"


def _factors(fn, horizon):
    """``fn(t)`` for t = 1..horizon as float64: vectorized when ``fn`` accepts a
    NumPy array, else one call per step."""
    steps = np.arange(1, horizon + 1, dtype=np.int64)
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(steps), dtype=np.float64)
        if out.shape == steps.shape:
            return out
        if out.shape == ():
            return np.full(steps.shape, float(out))
    except Exception:  # noqa: BLE001 - a scalar-only function: call it per step
        pass
    return np.array([float(fn(int(t))) for t in steps], dtype=np.float64)


class recurrence(Schedule):
    """The recursive rule ``lr_t = lr_{t-1} * factor(t)``: each rate is the
    previous one times a factor of the step, evaluated exactly.

    The running product is taken once, in float64 on the host, when the
    schedule is made; evaluating it is one table lookup (O(1) per step).  Past
    ``horizon`` the last value is held.

    .. math:: \\eta_0 = v, \\quad \\eta_t = \\eta_{t-1}\\, \\phi(t) =
       v \\prod_{s=1}^{\\min(t, H)} \\phi(s)

    Args:
      init_value: v, the rate at step 0.
      factor: phi, a function of the step t >= 1.  It is called once with a
        NumPy int64 array of the steps 1..H (and, if that fails, once per step
        with a Python int); its values must be finite and >= 0.
      horizon: H, the last step computed (at most 50,000,000).

    Examples:
      >>> lr = recurrence(0.1, lambda t: 1 / (1 + 0.1 * t), horizon=100)
      >>> print(f"{lr(1):.6f} {lr(2):.6f}")
      0.090909 0.075758
    """

    init_value: Any = param(Real())
    factor: Callable = param(Anything(static_field=True))
    horizon: int = param(Steps(low=1, allowed=_HORIZONS), static=True)
    _table: Any = dataclasses.field(default=None, init=False, repr=False)

    def __check_init__(self):
        name = "recurrence"
        if not callable(self.factor):
            chk.fail(name, "factor", self.factor, "a callable of the step", TypeError)
        if not chk.is_concrete(self.horizon):
            chk.fail(
                name,
                "horizon",
                self.horizon,
                "a concrete integer (it sets the length of the table)",
                TypeError,
            )
        if self.horizon > _MAX_HORIZON:
            chk.fail(name, "horizon", self.horizon, _HORIZONS)
        try:
            factors = _factors(self.factor, self.horizon)
        except Exception as err:
            raise ValueError(
                f"{name}: `factor` failed when called with a step: {err!r}"
            ) from err
        bad = ~np.isfinite(factors) | (factors < 0)
        if bad.any():
            t = int(np.argmax(bad)) + 1
            raise ValueError(
                f"{name}: `factor(t)` must be finite and >= 0 for "
                f"t = 1..{self.horizon}; got factor({t})={factors[t - 1]!r}."
            )
        table = np.cumprod(np.concatenate([[1.0], factors]))
        object.__setattr__(self, "_table", table)

    def __eq__(self, other):
        if type(other) is not recurrence:
            return NotImplemented
        return (
            self.factor is other.factor
            and self.horizon == other.horizon
            and bool(
                np.all(np.asarray(self.init_value) == np.asarray(other.init_value))
            )
        )

    def __hash__(self):
        return hash(("recurrence", id(self.factor), self.horizon))

    def _evaluate(self, step):
        n, f = step
        # Every step past the horizon (up to the top of the step range) reads
        # the last entry.
        index = num.min_steps(n, self.horizon)
        return num.as_float(self.init_value) * num.take(
            num.as_float(self._table), index
        )

    def settles_at(self):
        return self.horizon

    def breakpoints(self):
        return (self.horizon,)
