"""The field's recipes, built from the core pieces: warmup then decay."""

from __future__ import annotations

from typing import Any

from . import _checks as chk
from . import _numerics as num
from ._base import Schedule, build, schedule_class, setfield
from ._compose import warmup
from ._decay import clamped_done, constant, cosine_decay
from ._join import join

__all__ = ["warmup_cosine_decay", "warmup_stable_decay"]


def _check_warmup_then_decay(schedule, name):
    """The arguments both recipes share: values, the warmup and decay lengths."""
    for field in ("peak_value", "init_value", "end_value"):
        setfield(schedule, field, chk.number(name, field, getattr(schedule, field)))
    setfield(
        schedule,
        "warmup_steps",
        chk.integer(name, "warmup_steps", schedule.warmup_steps, low=0),
    )
    setfield(
        schedule,
        "decay_steps",
        chk.integer(name, "decay_steps", schedule.decay_steps, low=1),
    )


@schedule_class
class warmup_cosine_decay(Schedule):
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
      decay_steps: D > W, the step where the decay ends.
      init_value: rate at step 0.
      end_value: rate from step D on.
      exponent: k > 0 applied to the cosine factor.

    Examples:
      >>> lr = warmup_cosine_decay(1e-3, warmup_steps=100, decay_steps=1000)
      >>> print(f"{lr(50):.1e} {lr(100):.1e} {lr(550):.1e} {lr(1000):.1e}")
      5.0e-04 1.0e-03 5.0e-04 0.0e+00
    """

    peak_value: Any
    warmup_steps: Any
    decay_steps: Any
    init_value: Any = 0.0
    end_value: Any = 0.0
    exponent: Any = 1.0

    def __post_init__(self):
        name = "warmup_cosine_decay"
        _check_warmup_then_decay(self, name)
        w, d = self.warmup_steps, self.decay_steps
        if chk.is_concrete([w, d]) and d <= w:
            raise ValueError(
                f"{name}: `decay_steps` counts from step 0 and includes the warmup, "
                f"so it must exceed `warmup_steps`; got decay_steps={d}, "
                f"warmup_steps={w}."
            )
        setfield(
            self,
            "exponent",
            chk.number(name, "exponent", self.exponent, low=0, low_open=True),
        )

    def _parts(self):
        decay = build(
            cosine_decay,
            init_value=self.peak_value,
            decay_steps=self.decay_steps - self.warmup_steps,
            end_value=self.end_value,
            exponent=self.exponent,
        )
        return build(
            warmup,
            schedule=decay,
            warmup_steps=self.warmup_steps,
            init_value=self.init_value,
        )

    def _evaluate(self, n, f):
        return self._parts()._evaluate(n, f)

    def breakpoints(self):
        return self._parts().breakpoints()


@schedule_class
class _shaped_decay(Schedule):
    """Decay from ``init_value`` to ``end_value`` over ``decay_steps`` along a
    named shape (see ``warmup_stable_decay``), then held."""

    init_value: Any
    end_value: Any
    decay_steps: Any
    shape: str = "linear"
    _static = ("shape",)

    def _evaluate(self, n, f):
        done, remaining, length = clamped_done(n, f, self.decay_steps)
        return num.anneal(
            self.init_value, self.end_value, done, remaining, length, self.shape
        )

    def breakpoints(self):
        d = self.decay_steps
        return (d,) if chk.is_concrete(d) else ()


@schedule_class
class warmup_stable_decay(Schedule):
    """Warmup-stable-decay (WSD, "trapezoidal"): a linear warmup to
    ``peak_value``, a plateau, and a final decay to ``end_value``.

    Here ``decay_steps`` is the length of the final decay phase alone, so the
    schedule ends at ``warmup_steps + stable_steps + decay_steps``.

    Decay shapes, with x the position in the decay phase (0 to 1):
    ``"linear"`` 1 - x; ``"cosine"`` (1 + cos(pi x)) / 2; ``"1-sqrt"``
    1 - sqrt(x) (Hägele et al. 2024); ``"1-square"`` 1 - x**2.

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

    peak_value: Any
    warmup_steps: Any
    stable_steps: Any
    decay_steps: Any
    init_value: Any = 0.0
    end_value: Any = 0.0
    decay_shape: str = "linear"
    _static = ("decay_shape",)

    def __post_init__(self):
        name = "warmup_stable_decay"
        _check_warmup_then_decay(self, name)
        setfield(
            self,
            "stable_steps",
            chk.integer(name, "stable_steps", self.stable_steps, low=0),
        )
        chk.choice(name, "decay_shape", self.decay_shape, num.SHAPES)

    def _parts(self):
        plateau = build(constant, value=self.peak_value)
        decay = build(
            _shaped_decay,
            init_value=self.peak_value,
            end_value=self.end_value,
            decay_steps=self.decay_steps,
            shape=self.decay_shape,
        )
        stable = build(
            join, schedules=(plateau, decay), boundaries=_one(self.stable_steps)
        )
        return build(
            warmup,
            schedule=stable,
            warmup_steps=self.warmup_steps,
            init_value=self.init_value,
        )

    def _evaluate(self, n, f):
        return self._parts()._evaluate(n, f)

    def breakpoints(self):
        return self._parts().breakpoints()


def _one(x):
    import jax.numpy as jnp
    import numpy as np

    return np.asarray([x], np.int64) if chk.is_concrete(x) else jnp.reshape(x, (1,))
