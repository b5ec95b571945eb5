"""The field's recipes, built from the core pieces: warmup then decay."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from .._catalog.decay import clamped_done, constant, cosine_decay
from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import STEPS_MAX, Choice, Real, Steps, param
from .compose import warmup
from .join import join

__all__ = ["warmup_cosine_decay", "warmup_stable_decay"]


class _Preset(Schedule, abstract=True):
    """A schedule made of other schedules (``_make()``), built and checked
    once when every field is concrete, else at each trace (fields swept by
    ``jax.vmap``); its value, settling step and breakpoints are theirs."""

    def _make(self) -> Schedule:  # pragma: no cover - every preset has one
        raise NotImplementedError

    def _parts(self) -> Schedule:
        parts = self.__dict__.get("_parts_cache")
        if parts is not None:
            return parts
        parts = self._make()
        fields = [getattr(self, name) for name in self.__dataclass_fields__]
        if chk.is_concrete(fields):
            object.__setattr__(self, "_parts_cache", parts)
        return parts

    def _evaluate(self, step):
        return self._parts()._evaluate(step)

    def settles_at(self):
        return self._parts().settles_at()

    def breakpoints(self):
        return _in_range(self._parts().breakpoints())


class warmup_cosine_decay(_Preset):
    """Linear warmup from ``init_value`` to ``peak_value``, then cosine decay to
    ``end_value`` (optax's ``warmup_cosine_decay_schedule``).

    ``decay_steps`` counts from step 0 and includes the warmup, as in optax: the
    cosine runs for ``decay_steps - warmup_steps`` steps.

    .. math:: \\eta(t) = \\begin{cases}
       \\eta_i + (\\hat\\eta - \\eta_i)\\, t/W & t < W \\\\
       \\eta_e + (\\hat\\eta - \\eta_e)\\big[\\tfrac12(1 + \\cos\\pi
       \\tfrac{t - W}{D - W})\\big]^{k} & W \\le t < D \\\\
       \\eta_e & t \\ge D \\end{cases}

    Args:
      peak_value: rate at the end of the warmup.
      warmup_steps: W >= 0 steps of linear warmup.
      decay_steps: D > W, the step where the decay ends (any length up to
        ``2**63 - 1``, exact at every step).
      init_value: rate at step 0.
      end_value: rate from step D on.
      exponent: k > 0 applied to the cosine factor.

    Examples:
      >>> lr = warmup_cosine_decay(1e-3, warmup_steps=100, decay_steps=1000)
      >>> print(f"{lr(50):.1e} {lr(100):.1e} {lr(550):.1e} {lr(1000):.1e}")
      5.0e-04 1.0e-03 5.0e-04 0.0e+00
    """

    _phases = ("decay_steps",)

    peak_value: Any = param(Real())
    warmup_steps: Any = param(Steps())
    decay_steps: Any = param(Steps(low=1))
    init_value: Any = param(Real(), default=0.0)
    end_value: Any = param(Real(), default=0.0)
    exponent: Any = param(Real(low=0, low_open=True, coefficient=True), default=1.0)

    def __check_init__(self):
        w, d = self.warmup_steps, self.decay_steps
        if chk.is_concrete([w, d]) and d <= w:
            raise ValueError(
                "warmup_cosine_decay: `decay_steps` counts from step 0 and includes "
                "the warmup, so it must exceed `warmup_steps`; got "
                f"decay_steps={d}, warmup_steps={w}."
            )

    def _make(self):
        decay = cosine_decay(
            self.peak_value,
            self.decay_steps - self.warmup_steps,
            end_value=self.end_value,
            exponent=self.exponent,
        )
        return warmup(decay, self.warmup_steps, init_value=self.init_value)


class _shaped_decay(Schedule):
    """Decay from ``init_value`` to ``end_value`` over ``decay_steps`` along a
    named shape (see ``warmup_stable_decay``), then held."""

    init_value: Any = param(Real())
    end_value: Any = param(Real())
    decay_steps: Any = param(Steps(low=1))
    shape: str = param(Choice(options=num.SHAPES), default="linear")

    def _evaluate(self, step):
        n, f = step
        done, remaining, length = clamped_done(n, f, self.decay_steps)
        return num.anneal(
            self.init_value, self.end_value, done, remaining, length, self.shape
        )

    def settles_at(self):
        d = self.decay_steps
        return d if chk.is_concrete(d) else None

    def breakpoints(self):
        d = self.decay_steps
        return (d,) if chk.is_concrete(d) else ()


class warmup_stable_decay(_Preset):
    """Warmup-stable-decay (WSD, "trapezoidal"): a linear warmup to
    ``peak_value``, a plateau, and a final decay to ``end_value``.

    Here ``decay_steps`` is the length of the final decay phase alone, so the
    schedule ends at ``warmup_steps + stable_steps + decay_steps``.  Every
    length may be up to ``2**63 - 1`` steps, exact at every step.

    Decay shapes, with x the position in the decay phase (0 to 1):
    ``"linear"`` 1 - x; ``"cosine"`` (1 + cos(pi x)) / 2; ``"1-sqrt"``
    1 - sqrt(x) (Hägele et al. 2024); ``"1-square"`` 1 - x**2.  Where the
    slope jumps (the ends of the phases) the derivative with respect to a
    float step is one-sided, never NaN; at the start of the ``"1-sqrt"``
    decay, whose slope is infinite there, it is the plateau's (0).

    .. math:: \\eta(t) = \\eta_e + (\\hat\\eta - \\eta_e)\\, g(x),
       \\quad x = (t - W - S) / D \\ \\text{in the decay phase}

    Args:
      peak_value: rate on the plateau.
      warmup_steps: W >= 0 steps of linear warmup.
      stable_steps: S >= 0 steps on the plateau.
      decay_steps: D > 0 steps of decay.
      init_value: rate at step 0.
      end_value: rate after the decay.
      decay_shape: ``"linear"``, ``"cosine"``, ``"1-sqrt"`` or ``"1-square"``.

    Examples:
      >>> lr = warmup_stable_decay(1.0, 10, 80, 10, decay_shape="1-sqrt")
      >>> print(f"{lr(5):.2f} {lr(50):.2f} {lr(91):.2f} {lr(100):.2f}")
      0.50 1.00 0.68 0.00
    """

    _phases = ("warmup_steps", "stable_steps", "decay_steps")

    peak_value: Any = param(Real())
    warmup_steps: Any = param(Steps())
    stable_steps: Any = param(Steps())
    decay_steps: Any = param(Steps(low=1))
    init_value: Any = param(Real(), default=0.0)
    end_value: Any = param(Real(), default=0.0)
    decay_shape: str = param(Choice(options=num.SHAPES), default="linear")

    def _make(self):
        plateau = constant(self.peak_value)
        decay = _shaped_decay(
            self.peak_value,
            self.end_value,
            self.decay_steps,
            shape=self.decay_shape,
        )
        stable = join([plateau, decay], _one(self.stable_steps))
        return warmup(stable, self.warmup_steps, init_value=self.init_value)


def _in_range(marks):
    """The breakpoints a step can reach (W + S + D may pass 2**63 - 1)."""
    return tuple(m for m in marks if m <= STEPS_MAX)


def _one(x):
    """A single boundary as a sequence (a traced one as a shape-(1,) array)."""
    if chk.is_concrete(x):
        return np.asarray([x], np.int64)
    return jnp.reshape(x, (1,))
