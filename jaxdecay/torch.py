"""PyTorch's learning-rate schedulers (``torch.optim.lr_scheduler``) as jaxdecay
schedules.

Each function takes the arguments of the PyTorch class of the same name, minus
the optimizer, plus the optimizer's learning rate as the keyword-only ``lr``
(``CyclicLR`` and ``OneCycleLR``, which set the rate themselves, take none), and
returns a :class:`jaxdecay.Schedule` built from the jaxdecay core (or, for
``ReduceLROnPlateau``, a :class:`jaxdecay.reduce_on_plateau`).  PyTorch itself is
not needed.

Index convention: ``schedule(t)`` is the rate PyTorch uses for optimizer update
``t``, that is ``scheduler.get_last_lr()[0]`` right after construction for
``t = 0`` and after the ``t``-th ``scheduler.step()`` otherwise.  PyTorch computes
most schedulers recursively (``lr_t = lr_{t-1} * ...``); these are their closed
forms, with PyTorch's quirks kept (each docstring says which), and agree with
PyTorch's float64 values to ~1e-7 relative in float32 and ~1e-12 with x64.

With optax::

    import optax
    import jaxdecay
    lr = jaxdecay.torch.StepLR(30, lr=0.1)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)

What cannot be represented raises an error instead of approximating: a list of
per-group rates (use one schedule per group with ``optax.multi_transform``),
``last_epoch`` other than -1 (resume by evaluating the schedule at the step you
resume from), and the cases named in each docstring.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import _checks as chk
from . import _numerics as num
from ._base import Schedule
from ._compose import from_fn, repeat
from ._cycles import cosine_restarts, cyclic, one_cycle
from ._decay import (
    constant,
    cosine_decay,
    exponential_decay,
    linear,
    multistep_decay,
    polynomial_decay,
    step_decay,
)
from ._join import join
from ._piecewise import piecewise_constant
from ._plateau import reduce_on_plateau
from ._recurrence import recurrence

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]


# ---------------------------------------------------------------------------
# What SequentialLR and ChainedScheduler need to know about a schedule.


class _Spec(NamedTuple):
    kind: str
    # The optimizer's rate the scheduler was made with (None: it sets its own).
    lr: float | None
    # ``rebuild(lr)``: the same scheduler on another rate; given only when the
    # scheduler multiplies the optimizer's current rate (``group["lr"] * r_t``),
    # which is what ChainedScheduler composes.
    rebuild: Callable[[Any], Schedule] | None
    # ``restart(previous)``: the schedule when SequentialLR starts it at a
    # milestone (``_update_lr(0)``), where that differs from the schedule
    # itself; ``previous`` gives the rate in use just before (float64).
    restart: Callable[[Callable[[], float]], Schedule] | None = None


def _tag(schedule, spec: _Spec):
    object.__setattr__(schedule, "_torch_spec", spec)
    return schedule


def _spec(schedule):
    return (
        schedule.__dict__.get("_torch_spec") if isinstance(schedule, Schedule) else None
    )


# ---------------------------------------------------------------------------
# Argument checks.


def _rate(func, name, value):
    """One learning rate; a per-group list is not representable."""
    if isinstance(value, (list, tuple, np.ndarray)):
        chk.fail(
            func,
            name,
            value,
            "one number: a list of per-parameter-group rates is not representable "
            "by one schedule (make one schedule per group and combine them with "
            "optax.multi_transform)",
        )
    return chk.number(func, name, value)


def _lr(func, lr):
    if isinstance(lr, (list, tuple, np.ndarray)):
        return _rate(func, "lr", lr)
    return chk.number(func, "lr", lr, low=0)


def _last_epoch(func, last_epoch):
    if isinstance(last_epoch, bool) or not isinstance(
        last_epoch, (numbers.Integral, np.integer)
    ):
        chk.fail(func, "last_epoch", last_epoch, "an integer", TypeError)
    if last_epoch != -1:
        chk.fail(
            func,
            "last_epoch",
            last_epoch,
            "-1: a resumed PyTorch scheduler continues from the optimizer's "
            "checkpointed rate, which a schedule does not have; to resume at "
            "step k, evaluate the schedule from step k on (e.g. "
            "jaxdecay.shift(schedule, -k))",
        )


def _whole(func, name, value, low=None, why=""):
    """An integer (integral floats accepted) >= ``low``."""
    what = "an integer" if low is None else f"an integer >= {low}"
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (numbers.Real, np.integer, np.floating))
        and math.isfinite(value)
        and float(value).is_integer()
    )
    if not ok:
        chk.fail(func, name, value, what + why)
    value = int(value)
    if low is not None and value < low:
        chk.fail(func, name, value, what + why)
    return value


def _positive_gamma(func, gamma):
    if chk.is_concrete(gamma) and (
        isinstance(gamma, numbers.Real) and not isinstance(gamma, bool)
    ):
        if gamma <= 0:
            chk.fail(
                func,
                "gamma",
                gamma,
                "positive (PyTorch accepts gamma <= 0, giving zero or "
                "alternating-sign rates, which jaxdecay's decays do not represent)",
            )
    return chk.number(func, "gamma", gamma, low=0, low_open=True)


class _FloatStep:
    """Calls ``fn`` with the step as a float array of integer values (the
    default float dtype), or with the 1-based cycle number ``step // period + 1``.

    PyTorch calls these functions with Python ints; floats of the same values
    let ``0.95 ** epoch`` or ``(epoch + 1) / 10`` work under JAX's dtype rules.
    """

    def __init__(self, fn, period=None):
        self.fn = fn
        self.period = period
        self.__qualname__ = repr(self)

    def __call__(self, step):
        if self.period is not None:
            step = step // self.period + 1
        return self.fn(jnp.asarray(step, num.float_dtype()))

    def __eq__(self, other):
        return (
            type(other) is _FloatStep
            and self.fn is other.fn
            and self.period == other.period
        )

    def __hash__(self):
        return hash((id(self.fn), self.period))

    def __repr__(self):
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)


class _IntCalls:
    """``fn(epoch)`` called one Python int at a time (as PyTorch calls it), so a
    function of Python numbers is evaluated in float64."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, t):
        if isinstance(t, np.ndarray):
            raise TypeError("one epoch at a time")
        return float(self.fn(int(t)))


def _host_value(schedule, step) -> float:
    """The schedule at ``step``, evaluated in float64 on the host."""
    with jax.enable_x64(True):
        return float(schedule(np.int64(step)))


# ---------------------------------------------------------------------------
# The schedulers.


def StepLR(step_size, gamma=0.1, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``StepLR``: the rate is multiplied by ``gamma`` every
    ``step_size`` steps.

    .. math:: \eta_t = \text{lr}\cdot\gamma^{\lfloor t / S \rfloor}

    Built on :class:`jaxdecay.step_decay`.

    Args:
      step_size: S, a positive integer.  (PyTorch fails at ``step_size=0`` and
        treats a negative size as its absolute value; both are rejected.)
      gamma: the factor, > 0 (PyTorch accepts gamma <= 0: rejected, not
        representable by the decay).
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = StepLR(30, gamma=0.1, lr=0.05)
      >>> print(f"{lr(29):.3f} {lr(30):.4f} {lr(60):.5f}")
      0.050 0.0050 0.00050
    """
    name = "StepLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    step_size = _whole(name, "step_size", step_size, low=1)
    gamma = _positive_gamma(name, gamma)

    def make(rate):
        return step_decay(rate, step_size, gamma)

    return _tag(make(lr), _Spec(name, lr, make))


def MultiStepLR(milestones, gamma=0.1, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``MultiStepLR``: the rate is multiplied by ``gamma`` at each
    milestone.

    .. math:: \eta_t = \text{lr}\cdot\gamma^{\#\{i:\ m_i \le t\}}

    As in PyTorch, the order of the milestones does not matter, a milestone
    listed twice applies ``gamma`` twice, a milestone at 0 applies from the
    first step, and negative milestones are never reached.  Built on
    :class:`jaxdecay.multistep_decay`.

    Args:
      milestones: steps (integers).
      gamma: the factor, > 0.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = MultiStepLR([30, 80], gamma=0.1, lr=0.05)
      >>> print(f"{lr(29):.3f} {lr(30):.4f} {lr(80):.5f}")
      0.050 0.0050 0.00050
    """
    name = "MultiStepLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    if isinstance(milestones, (str, bytes, dict)) or np.ndim(milestones) != 1:
        chk.fail(name, "milestones", milestones, "a sequence of integers", TypeError)
    ms = sorted(
        _whole(name, "milestones", m, why=" (each milestone)") for m in milestones
    )
    gamma = _positive_gamma(name, gamma)

    def make(rate, clamp=False):
        kept = [max(m, 0) for m in ms] if clamp else [m for m in ms if m >= 0]
        return multistep_decay(rate, kept, gamma)

    # Started by SequentialLR, PyTorch's closed form counts every milestone <= 0.
    return _tag(
        make(lr),
        _Spec(name, lr, make, restart=lambda previous: make(lr, clamp=True)),
    )


def ExponentialLR(gamma, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``ExponentialLR``: the rate is multiplied by ``gamma`` every
    step.

    .. math:: \eta_t = \text{lr}\cdot\gamma^{t}

    Built on :class:`jaxdecay.exponential_decay`.

    Args:
      gamma: the factor per step, > 0 (gamma <= 0 is rejected).
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = ExponentialLR(0.9, lr=0.1)
      >>> print(f"{lr(0):.3f} {lr(1):.3f} {lr(2):.4f}")
      0.100 0.090 0.0810
    """
    name = "ExponentialLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    gamma = _positive_gamma(name, gamma)

    def make(rate):
        return exponential_decay(rate, gamma)

    return _tag(make(lr), _Spec(name, lr, make))


def CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1, *, lr):  # noqa: N802, N803
    r"""PyTorch's ``CosineAnnealingLR``, including its rise after ``T_max``.

    .. math:: \eta_t = \eta_{min} + \tfrac12(\text{lr} - \eta_{min})
       \big(1 + \cos(\pi t / T_{max})\big)

    for every t: PyTorch's recursive update keeps following the cosine past
    ``T_max``, so the rate climbs back to ``lr`` at ``2 T_max`` and the cycle
    repeats with period ``2 T_max`` (it does not hold ``eta_min``).  Built as a
    :class:`jaxdecay.repeat` of a :class:`jaxdecay.join` of two
    :class:`jaxdecay.cosine_decay` halves.

    Args:
      T_max: half period, a positive integer (PyTorch fails at 0).
      eta_min: the lowest rate.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = CosineAnnealingLR(10, lr=0.1)
      >>> print(f"{lr(0):.3f} {lr(5):.3f} {lr(10):.3f} {lr(15):.3f} {lr(20):.3f}")
      0.100 0.050 0.000 0.050 0.100
    """
    name = "CosineAnnealingLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    t_max = _whole(name, "T_max", T_max, low=1)
    eta_min = chk.number(name, "eta_min", eta_min)
    down = cosine_decay(lr, t_max, end_value=eta_min)
    up = cosine_decay(eta_min, t_max, end_value=lr)
    return _tag(repeat(join([down, up], [t_max]), 2 * t_max), _Spec(name, lr, None))


def CosineAnnealingWarmRestarts(  # noqa: N802
    T_0,  # noqa: N803
    T_mult=1,  # noqa: N803
    eta_min=0.0,
    last_epoch=-1,
    *,
    lr,
):
    r"""PyTorch's ``CosineAnnealingWarmRestarts`` (SGDR).

    .. math:: \eta_t = \eta_{min} + \tfrac12(\text{lr} - \eta_{min})
       \big(1 + \cos(\pi\, T_{cur} / T_i)\big)

    where cycle i lasts ``T_i = T_0 * T_mult**i`` steps and ``T_cur`` counts the
    steps since the last restart.  Built on :class:`jaxdecay.cosine_restarts`.

    Args:
      T_0: steps in the first cycle, a positive integer.
      T_mult: cycle growth, an integer >= 1.
      eta_min: the rate at the end of each cycle (a float or int).
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = CosineAnnealingWarmRestarts(10, T_mult=2, lr=0.1)
      >>> print(f"{lr(5):.3f} {lr(10):.3f} {lr(20):.3f} {lr(30):.3f}")
      0.050 0.100 0.050 0.100
    """
    name = "CosineAnnealingWarmRestarts"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    if isinstance(T_0, bool) or not isinstance(T_0, (int, np.integer)) or T_0 <= 0:
        chk.fail(name, "T_0", T_0, "a positive integer")
    if (
        isinstance(T_mult, bool)
        or not isinstance(T_mult, (int, np.integer))
        or T_mult < 1
    ):
        chk.fail(name, "T_mult", T_mult, "an integer >= 1")
    if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
        chk.fail(name, "eta_min", eta_min, "a float or an int")
    eta_min = chk.number(name, "eta_min", eta_min)
    schedule = cosine_restarts(lr, int(T_0), float(T_mult), 1.0, eta_min)
    return _tag(schedule, _Spec(name, lr, None))


def CyclicLR(  # noqa: N802
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
    scale_fn=None,
    scale_mode="cycle",
    cycle_momentum=True,
    base_momentum=0.8,
    max_momentum=0.9,
    last_epoch=-1,
):
    r"""PyTorch's ``CyclicLR`` (cyclical learning rates): no ``lr``, the cycle
    sets the rate.

    .. math:: \eta_t = b + (m - b)\, h(t)\, s

    with h the triangle wave (rising over ``step_size_up`` steps, falling over
    ``step_size_down``) and s the amplitude scale: 1 (``"triangular"``),
    ``1 / 2**(cycle - 1)`` (``"triangular2"``), ``gamma**t`` (``"exp_range"``),
    or ``scale_fn(cycle)`` / ``scale_fn(t)`` (``scale_mode`` ``"cycle"`` /
    ``"iterations"``), where ``cycle`` counts from 1.  Built on
    :class:`jaxdecay.cyclic` (and :class:`jaxdecay.from_fn` for ``scale_fn``).

    ``cycle_momentum``, ``base_momentum`` and ``max_momentum`` concern the
    optimizer's momentum only: they are accepted and do not affect the rate.

    Args:
      base_lr: b, the low end (one number; per-group lists are rejected).
      max_lr: m, the high end of the first cycle (one number).
      step_size_up: steps rising, a positive integer (PyTorch converts it to a
        float and fails at 0; non-integers are rejected here).
      step_size_down: steps falling, a positive integer (default:
        ``step_size_up``).
      mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; ignored
        when ``scale_fn`` is given.
      gamma: for ``"exp_range"``, > 0.
      scale_fn: a custom amplitude scale, a JAX-traceable function; it receives
        the cycle number or the step as a float array of integer values.
      scale_mode: ``"cycle"`` or ``"iterations"`` (PyTorch takes any other
        string as ``"iterations"``; here it is an error).
      cycle_momentum: momentum only (ignored).
      base_momentum: momentum only (ignored).
      max_momentum: momentum only (ignored).
      last_epoch: only -1.

    Examples:
      >>> lr = CyclicLR(0.01, 0.1, step_size_up=10, mode="triangular2")
      >>> print(f"{lr(0):.3f} {lr(10):.3f} {lr(20):.3f} {lr(30):.3f}")
      0.010 0.100 0.010 0.055
    """
    name = "CyclicLR"
    base = _rate(name, "base_lr", base_lr)
    peak = _rate(name, "max_lr", max_lr)
    up = _whole(name, "step_size_up", step_size_up, low=1)
    down = (
        up
        if step_size_down is None
        else _whole(name, "step_size_down", step_size_down, low=1)
    )
    modes = ("triangular", "triangular2", "exp_range")
    if scale_fn is None and mode not in modes:
        chk.fail(
            name,
            "mode",
            mode,
            "one of 'triangular', 'triangular2', 'exp_range' when `scale_fn` is None",
        )
    _last_epoch(name, last_epoch)
    if scale_fn is None:
        if mode == "exp_range":
            gamma = _positive_gamma(name, gamma)
        else:
            gamma = 1.0
        schedule = cyclic(base, peak, up, down, mode=mode, gamma=gamma)
    else:
        if not callable(scale_fn):
            chk.fail(name, "scale_fn", scale_fn, "a callable or None", TypeError)
        chk.choice(name, "scale_mode", scale_mode, ("cycle", "iterations"))
        period = up + down if scale_mode == "cycle" else None
        height = cyclic(0.0, peak - base, up, down)
        schedule = height * from_fn(_FloatStep(scale_fn, period)) + base
    return _tag(schedule, _Spec(name, None, None))


def _anneal(kind, start, end, pct):
    """PyTorch's OneCycleLR annealing of one value (host float64)."""
    if kind == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def OneCycleLR(  # noqa: N802
    max_lr,
    total_steps=None,
    epochs=None,
    steps_per_epoch=None,
    pct_start=0.3,
    anneal_strategy="cos",
    cycle_momentum=True,
    base_momentum=0.85,
    max_momentum=0.95,
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
    last_epoch=-1,
):
    r"""PyTorch's ``OneCycleLR``: no ``lr``, the cycle sets the rate.

    Rises from ``max_lr / div_factor`` to ``max_lr`` until step
    ``pct_start * T - 1``, then falls to ``max_lr / div_factor /
    final_div_factor`` at step ``T - 1`` (``T = total_steps``, or ``epochs *
    steps_per_epoch`` when ``total_steps`` is None); with ``three_phase`` it
    first falls back to the initial rate at ``2 * pct_start * T - 2``.  Each
    phase anneals by ``"cos"`` (:math:`e + \tfrac{s - e}{2}(1 + \cos\pi x)`) or
    ``"linear"``.  Built on :class:`jaxdecay.one_cycle`.

    Past the cycle: PyTorch's ``step()`` still works once more, at ``t = T``,
    where it extends the last phase beyond its end (the cosine turns back up a
    little; ``"linear"`` goes below the minimum, even below zero for short
    cycles), and raises from ``t = T + 1`` on.  This schedule gives PyTorch's
    value at ``t = T`` and holds it after (the rate the optimizer keeps when the
    scheduler stops).  Where PyTorch divides by zero at ``t = T`` (a phase of
    zero length, e.g. ``pct_start=1.0``) it holds the value at ``T - 1``.

    ``three_phase`` with ``pct_start > 0.5``: PyTorch accepts it; the second
    phase then reaches past the cycle, so the rate never gets to the third.
    Represented when ``2 * pct_start * T`` is a whole number (e.g.
    ``pct_start=0.6, T=100``), else rejected.

    ``cycle_momentum``, ``base_momentum`` and ``max_momentum`` concern the
    momentum only and do not affect the rate (for the momentum, see
    :class:`jaxdecay.one_cycle_momentum`).

    Args:
      max_lr: the peak rate (one number; per-group lists are rejected).
      total_steps: T, a positive int; or None to use ``epochs *
        steps_per_epoch``.
      epochs: a positive int (with ``steps_per_epoch``).
      steps_per_epoch: a positive int (with ``epochs``).
      pct_start: a float in [0, 1] (PyTorch rejects ints such as 0 or 1).
      anneal_strategy: ``"cos"`` or ``"linear"``.
      cycle_momentum: momentum only (ignored).
      base_momentum: momentum only (ignored).
      max_momentum: momentum only (ignored).
      div_factor: initial rate is ``max_lr / div_factor``; > 0.
      final_div_factor: final rate is ``initial / final_div_factor``; > 0.
      three_phase: the three-phase variant.
      last_epoch: only -1.

    Examples:
      >>> lr = OneCycleLR(1.0, total_steps=100)
      >>> print(f"{lr(0):.3f} {lr(29):.3f} {lr(99):.1e} {lr(100):.1e}")
      0.040 1.000 4.0e-06 5.1e-04
    """
    name = "OneCycleLR"
    if total_steps is not None:
        if (
            isinstance(total_steps, bool)
            or not isinstance(total_steps, (int, np.integer))
            or total_steps <= 0
        ):
            chk.fail(name, "total_steps", total_steps, "a positive integer")
        total = int(total_steps)
    elif epochs is not None and steps_per_epoch is not None:
        for arg, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or value <= 0
            ):
                chk.fail(name, arg, value, "a positive integer")
        total = int(epochs) * int(steps_per_epoch)
    else:
        raise ValueError(
            f"{name}: give `total_steps`, or both `epochs` and `steps_per_epoch`; "
            f"got total_steps=None, epochs={epochs!r}, "
            f"steps_per_epoch={steps_per_epoch!r}."
        )
    if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
        chk.fail(name, "pct_start", pct_start, "a float in [0, 1]")
    chk.choice(name, "anneal_strategy", anneal_strategy, ("cos", "linear"))
    peak = _rate(name, "max_lr", max_lr)
    div = chk.number(name, "div_factor", div_factor, low=0, low_open=True)
    final_div = chk.number(
        name, "final_div_factor", final_div_factor, low=0, low_open=True
    )
    three_phase = chk.flag(name, "three_phase", three_phase)
    _last_epoch(name, last_epoch)

    # PyTorch's phases: (end step, start rate, end rate).
    initial = peak / div
    low = initial / final_div
    if three_phase:
        phases = [
            (float(pct_start * total) - 1, initial, peak),
            (float(2 * pct_start * total) - 2, peak, initial),
            (total - 1, initial, low),
        ]
    else:
        phases = [(float(pct_start * total) - 1, initial, peak), (total - 1, peak, low)]

    def torch_value(step):
        """PyTorch's rate at ``step``, or None where it divides by zero."""
        start = 0.0
        for i, (end, a, b) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                if end == start:
                    return None
                return _anneal(anneal_strategy, a, b, (step - start) / (end - start))
            start = end
        raise AssertionError  # pragma: no cover

    if torch_value(0) is None:
        chk.fail(
            name,
            "pct_start",
            pct_start,
            f"such that step 0 is in a phase of non-zero length (PyTorch divides "
            f"by zero at construction with total_steps={total})",
        )
    if three_phase and pct_start > 0.5:
        twice = float(2 * pct_start * total)
        if not (twice.is_integer() and twice - 2 >= total):
            chk.fail(
                name,
                "pct_start",
                pct_start,
                "at most 0.5 with `three_phase=True`, or such that "
                "2 * pct_start * total_steps is a whole number >= total_steps + 2 "
                f"(the only cases represented); got total_steps={total} and",
            )
        # The rise and the fall back to the initial rate, over 2 pT - 1 steps.
        length = int(twice) - 1
        cycle = one_cycle(
            peak,
            length,
            pct_start=pct_start * total / length,
            div_factor=div,
            final_div_factor=1.0,
            anneal=anneal_strategy,
        )
    else:
        cycle = one_cycle(
            peak,
            total,
            pct_start=pct_start,
            div_factor=div,
            final_div_factor=final_div,
            anneal=anneal_strategy,
            three_phase=three_phase,
        )
    last = torch_value(total)
    if last is None:
        last = torch_value(total - 1)
    return _tag(join([cycle, constant(last)], [total]), _Spec(name, None, None))


def LinearLR(  # noqa: N802
    start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1, *, lr
):
    r"""PyTorch's ``LinearLR``: the rate's factor moves linearly from
    ``start_factor`` to ``end_factor`` over ``total_iters`` steps, then holds.

    .. math:: \eta_t = \text{lr}\,\big(s + (e - s)\min(t, T) / T\big)

    Quirk: with ``total_iters <= 0`` PyTorch's recursive update never moves,
    and the rate stays ``lr * start_factor``.  Built on :class:`jaxdecay.linear`.

    Args:
      start_factor: s in (0, 1].
      end_factor: e in [0, 1].
      total_iters: T, an integer.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = LinearLR(start_factor=0.5, total_iters=4, lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in range(6)))
      0.0500 0.0625 0.0750 0.0875 0.1000 0.1000
    """
    name = "LinearLR"
    lr = _lr(name, lr)
    start = chk.number(name, "start_factor", start_factor, low=0, low_open=True, high=1)
    end = chk.number(name, "end_factor", end_factor, low=0, high=1)
    total = _whole(name, "total_iters", total_iters)
    _last_epoch(name, last_epoch)

    def make(rate):
        if total <= 0:
            return constant(rate * start)
        return rate * linear(start, end, total)

    def restart(previous):
        # SequentialLR starts it with PyTorch's closed form at step 0.
        if total == 0:
            raise ValueError(
                f"{name}: `total_iters` must not be 0 in a SequentialLR after the "
                "first milestone (PyTorch divides by total_iters when it starts "
                "the scheduler there); got total_iters=0."
            )
        return constant(lr * (start + (end - start))) if total < 0 else make(lr)

    return _tag(make(lr), _Spec(name, lr, make, restart))


def ConstantLR(factor=1.0 / 3, total_iters=5, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``ConstantLR``: the rate is multiplied by ``factor`` until step
    ``total_iters``.

    .. math:: \eta_t = \text{lr}\cdot\begin{cases} f & t < T \\ 1 & t \ge T
       \end{cases}

    Quirks: with ``total_iters <= 0`` the rate stays ``lr * factor`` forever
    (PyTorch's recursive update only undoes the factor at exactly ``t = T``);
    ``factor=0`` with ``total_iters >= 1`` is rejected (PyTorch divides by the
    factor at ``t = T``).  Built on :class:`jaxdecay.piecewise_constant`.

    Args:
      factor: f in [0, 1].
      total_iters: T, an integer.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = ConstantLR(factor=0.5, total_iters=4, lr=0.1)
      >>> print(" ".join(f"{lr(t):.3f}" for t in range(6)))
      0.050 0.050 0.050 0.050 0.100 0.100
    """
    name = "ConstantLR"
    lr = _lr(name, lr)
    factor = chk.number(name, "factor", factor, low=0, high=1)
    total = _whole(name, "total_iters", total_iters)
    _last_epoch(name, last_epoch)
    if factor == 0 and total >= 1:
        chk.fail(
            name,
            "factor",
            factor,
            "positive when total_iters >= 1 (PyTorch divides by the factor at "
            f"step total_iters); got total_iters={total} and",
        )

    def make(rate):
        if total <= 0:
            return constant(rate * factor)
        return rate * piecewise_constant([total], [factor, 1.0])

    def restart(previous):
        if total <= 0:
            return constant(lr * (factor + (1 - factor)))
        return make(lr)

    return _tag(make(lr), _Spec(name, lr, make, restart))


def PolynomialLR(total_iters=5, power=1.0, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``PolynomialLR``: polynomial decay to 0 over ``total_iters``
    steps, then 0.

    .. math:: \eta_t = \text{lr}\,\big(1 - \min(t, T)/T\big)^{p}

    Quirks: with ``total_iters <= 0`` or ``power == 0`` the rate stays ``lr``;
    ``power < 0`` is rejected (PyTorch divides by zero at ``t = T``).  Built on
    :class:`jaxdecay.polynomial_decay`.

    Args:
      total_iters: T, an integer.
      power: p >= 0.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = PolynomialLR(total_iters=4, power=2.0, lr=0.1)
      >>> print(" ".join(f"{lr(t):.5f}" for t in range(6)))
      0.10000 0.05625 0.02500 0.00625 0.00000 0.00000
    """
    name = "PolynomialLR"
    lr = _lr(name, lr)
    total = _whole(name, "total_iters", total_iters)
    power = chk.number(
        name,
        "power",
        power,
        low=0,
        allowed="non-negative and finite (PyTorch divides by zero at "
        "total_iters with a negative power)",
    )
    _last_epoch(name, last_epoch)

    def make(rate):
        if total <= 0 or power == 0:
            return constant(rate)
        return polynomial_decay(rate, 0.0, total, power)

    def restart(previous):
        if total == 0:
            raise ValueError(
                f"{name}: `total_iters` must not be 0 in a SequentialLR after the "
                "first milestone (PyTorch divides by total_iters when it starts "
                "the scheduler there); got total_iters=0."
            )
        if total < 0:
            return constant(lr if power == 0 else 0.0)
        return make(lr)

    return _tag(make(lr), _Spec(name, lr, make, restart))


def _one_function(name, lr_lambda, allowed):
    """``lr_lambda`` must be one callable (torch's per-group lists are not one
    schedule)."""
    if isinstance(lr_lambda, (list, tuple)):
        chk.fail(
            name,
            "lr_lambda",
            lr_lambda,
            "one function: per-parameter-group functions are not representable "
            "by one schedule",
        )
    if not callable(lr_lambda):
        chk.fail(name, "lr_lambda", lr_lambda, allowed, TypeError)


def LambdaLR(lr_lambda, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``LambdaLR``: the rate is ``lr`` times a function of the step.

    .. math:: \eta_t = \text{lr}\cdot\lambda(t)

    ``lr_lambda`` must be a JAX-traceable function of the step (it runs inside
    ``jax.jit``): write it with operators, ``jnp`` functions and
    ``jnp.where`` instead of Python ``if``/``min``.  It receives the step as a
    float array holding whole numbers (so ``0.95 ** epoch`` and
    ``(epoch + 1) / 10`` work under JAX's dtype rules; ``epoch // 30`` still
    floors), and is evaluated in the default float dtype (float32 unless x64 is
    enabled).  A list of per-group functions is rejected.  Built with
    :class:`jaxdecay.from_fn`.

    Args:
      lr_lambda: a traceable function of the step.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = LambdaLR(lambda epoch: 0.5 ** (epoch // 3), lr=0.1)
      >>> print(f"{lr(2):.3f} {lr(3):.3f} {lr(6):.4f}")
      0.100 0.050 0.0250
    """
    name = "LambdaLR"
    lr = _lr(name, lr)
    _one_function(name, lr_lambda, "a function of the step")
    _last_epoch(name, last_epoch)
    return _tag(lr * from_fn(_FloatStep(lr_lambda)), _Spec(name, lr, None))


def MultiplicativeLR(lr_lambda, last_epoch=-1, *, lr, horizon=10_000):  # noqa: N802
    r"""PyTorch's ``MultiplicativeLR``: the rate is multiplied by
    ``lr_lambda(t)`` at every step t >= 1.

    .. math:: \eta_0 = \text{lr}, \quad \eta_t = \eta_{t-1}\,\lambda(t)
       = \text{lr}\prod_{s=1}^{\min(t, H)} \lambda(s)

    Built on :class:`jaxdecay.recurrence`: ``lr_lambda`` is called with Python
    ints (as PyTorch calls it) for t = 1..``horizon`` when the schedule is made,
    the running product is taken in float64, and the rate is held after
    ``horizon``.  Its values must be finite and >= 0.

    Args:
      lr_lambda: a function of the epoch (an int) giving the factor.
      last_epoch: only -1.
      lr: the optimizer's learning rate.
      horizon: keyword only, H: the last step computed (10,000 by default;
        raise it for longer runs, at most 50,000,000).

    Examples:
      >>> lr = MultiplicativeLR(lambda epoch: 0.95, lr=0.1)
      >>> print(f"{lr(0):.4f} {lr(1):.4f} {lr(2):.5f}")
      0.1000 0.0950 0.09025
    """
    name = "MultiplicativeLR"
    lr = _lr(name, lr)
    _one_function(name, lr_lambda, "a function of the epoch")
    _last_epoch(name, last_epoch)
    horizon = chk.integer(name, "horizon", horizon, low=1)
    factor = _IntCalls(lr_lambda)

    def make(rate):
        try:
            return recurrence(rate, factor, horizon)
        except ValueError as err:
            raise ValueError(
                f"{name}: `lr_lambda(epoch)` must be finite and >= 0 for epochs "
                f"1..horizon ({err})"
            ) from err

    def restart(previous):
        # SequentialLR starts it from the rate in use, times lr_lambda(0).
        return make(previous() * float(lr_lambda(0)))

    return _tag(make(lr), _Spec(name, lr, make, restart))


def _members(func, schedulers, lr):
    if isinstance(schedulers, Schedule) or not isinstance(schedulers, (list, tuple)):
        chk.fail(func, "schedulers", schedulers, "a list of schedulers", TypeError)
    if len(schedulers) < 1:
        chk.fail(func, "schedulers", schedulers, "a non-empty list of schedulers")
    specs = []
    for i, s in enumerate(schedulers):
        if isinstance(s, reduce_on_plateau):
            raise ValueError(
                f"{func}: `schedulers[{i}]` must not be a ReduceLROnPlateau (PyTorch "
                "does not support it here: its step needs the metric)."
            )
        spec = _spec(s)
        if spec is None:
            chk.fail(
                func,
                f"schedulers[{i}]",
                s,
                "a scheduler made by jaxdecay.torch (in this process: the "
                "description of what it does in PyTorch is not kept by pickling "
                "or by passing it through jax transformations)",
                TypeError,
            )
        if spec.lr is not None and spec.lr != lr:
            raise ValueError(
                f"{func}: every scheduler must be made with the same `lr` (they "
                f"share one optimizer); got lr={lr!r} and schedulers[{i}] "
                f"({spec.kind}) made with lr={spec.lr!r}."
            )
        specs.append(spec)
    return specs


def SequentialLR(schedulers, milestones, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``SequentialLR``: ``schedulers[i]`` runs from
    ``milestones[i-1]``, counting its steps from there.

    .. math:: \eta_t = s_i(t - m_{i-1}), \quad m_{i-1} \le t < m_i

    As in PyTorch: the first value is the first value of the scheduler in use
    at step 0 (a milestone at 0 skips the schedulers before it); at a milestone
    > 0 PyTorch starts the next scheduler with its closed form at step 0 and
    then steps it, which gives the scheduler's own values except for
    ``MultiplicativeLR`` (it continues from the rate in use, times
    ``lr_lambda(0)``), ``ConstantLR``/``LinearLR``/``PolynomialLR`` with
    ``total_iters <= 0`` (their closed form at 0) and ``MultiStepLR`` with
    negative milestones.  Built on :class:`jaxdecay.join`.

    Args:
      schedulers: schedulers made by this module with the same ``lr`` (not
        ``CyclicLR``, ``OneCycleLR``, ``SequentialLR``, ``ChainedScheduler`` or
        ``ReduceLROnPlateau``).
      milestones: ``len(schedulers) - 1`` sorted integers.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> warm = LinearLR(start_factor=0.1, total_iters=5, lr=0.1)
      >>> decay = ExponentialLR(0.9, lr=0.1)
      >>> lr = SequentialLR([warm, decay], milestones=[5], lr=0.1)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 4, 5, 6)))
      0.010 0.082 0.100 0.090
    """
    name = "SequentialLR"
    lr = _lr(name, lr)
    specs = _members(name, schedulers, lr)
    for i, spec in enumerate(specs):
        if spec.kind in ("CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler"):
            chk.fail(
                name,
                f"schedulers[{i}]",
                spec.kind,
                "a scheduler of the optimizer's rate (CyclicLR and OneCycleLR "
                "overwrite the optimizer's initial rate, and nested "
                "SequentialLR/ChainedScheduler cannot be restarted at a "
                "milestone, in PyTorch; not represented)",
            )
    if isinstance(milestones, (str, bytes, dict)) or np.ndim(milestones) != 1:
        chk.fail(name, "milestones", milestones, "a list of integers", TypeError)
    ms = [_whole(name, "milestones", m, why=" (each milestone)") for m in milestones]
    if len(ms) != len(schedulers) - 1:
        raise ValueError(
            f"{name}: `milestones` must have one entry fewer than `schedulers`; "
            f"got {len(schedulers)} schedulers and milestones={ms}."
        )
    if ms != sorted(ms):
        chk.fail(
            name,
            "milestones",
            ms,
            "sorted (PyTorch bisects them, which only makes sense when sorted)",
        )
    _last_epoch(name, last_epoch)
    bounds = [max(m, 0) for m in ms]
    pieces = [schedulers[0]]
    for k in range(1, len(schedulers)):
        s, spec, m = schedulers[k], specs[k], ms[k - 1]
        if m >= 1 and spec.restart is not None:
            so_far = join(list(pieces), bounds[: k - 1])
            s = spec.restart(lambda so_far=so_far, m=m: _host_value(so_far, m - 1))
        pieces.append(s)
    return _tag(join(pieces, bounds), _Spec(name, lr, None))


def ChainedScheduler(schedulers, *, lr):  # noqa: N802
    r"""PyTorch's ``ChainedScheduler``: every scheduler steps the same rate.

    .. math:: \eta_t = \text{lr}\prod_i \frac{s_i(t)}{\text{lr}}

    PyTorch's chain is a product only when each scheduler multiplies the rate
    it finds (``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``ConstantLR``,
    ``LinearLR``, ``PolynomialLR``, ``MultiplicativeLR``, or a chain of them).
    Others (``LambdaLR``, ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``,
    ``CyclicLR``, ``OneCycleLR``, ``SequentialLR``) set or shift the rate, so a
    chain of them with anything else gives values that no product of schedules
    reproduces: rejected (a chain of one scheduler is that scheduler).  Built
    with schedule arithmetic.  PyTorch's optional ``optimizer`` argument is
    replaced by ``lr``.

    Args:
      schedulers: schedulers made by this module with the same ``lr``.
      lr: the optimizer's learning rate.

    Examples:
      >>> warm = ConstantLR(factor=0.1, total_iters=2, lr=1.0)
      >>> decay = ExponentialLR(0.9, lr=1.0)
      >>> lr = ChainedScheduler([warm, decay], lr=1.0)
      >>> print(" ".join(f"{lr(t):.4f}" for t in range(4)))
      0.1000 0.0900 0.8100 0.7290
    """
    name = "ChainedScheduler"
    lr = _lr(name, lr)
    specs = _members(name, schedulers, lr)
    if len(schedulers) == 1:
        return schedulers[0]
    for i, spec in enumerate(specs):
        if spec.rebuild is None:
            chk.fail(
                name,
                f"schedulers[{i}]",
                spec.kind,
                "a scheduler that multiplies the current rate (StepLR, "
                "MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR, "
                "MultiplicativeLR or a ChainedScheduler of them): chained with "
                "others, PyTorch's result is not a product of schedules",
            )

    def make(rate):
        out = specs[0].rebuild(rate)
        for spec in specs[1:]:
            out = out * spec.rebuild(1.0)
        return out

    return _tag(make(lr), _Spec(name, lr, make))


def ReduceLROnPlateau(  # noqa: N802
    mode="min",
    factor=0.1,
    patience=10,
    threshold=1e-4,
    threshold_mode="rel",
    cooldown=0,
    min_lr=0,
    eps=1e-8,
    *,
    lr,
):
    r"""PyTorch's ``ReduceLROnPlateau``: :class:`jaxdecay.reduce_on_plateau`
    with ``base=lr`` and ``min_value=min_lr``.

    An optax stateful schedule: ``schedule(state)`` after each
    ``state = schedule.update(state, value=metric)`` equals
    ``get_last_lr()[0]`` after each ``scheduler.step(metric)`` (and
    ``schedule(schedule.init())`` is ``lr``).  With
    ``optax.inject_hyperparams``, pass the metric to the optimizer's update
    (``value=loss``).  The rule is in :class:`jaxdecay.reduce_on_plateau`.

    Args:
      mode: ``"min"`` or ``"max"``.
      factor: in [0, 1) (PyTorch rejects >= 1; negative factors are rejected
        here).
      patience: an integer >= 0.
      threshold: >= 0.
      threshold_mode: ``"rel"`` or ``"abs"``.
      cooldown: an integer >= 0.
      min_lr: >= 0 (one number; per-group lists are rejected).
      eps: >= 0.
      lr: the optimizer's learning rate.

    Examples:
      >>> plateau = ReduceLROnPlateau(factor=0.5, patience=1, lr=0.1)
      >>> state = plateau.init()
      >>> for loss in [1.0, 0.9, 0.95, 0.92, 0.93]:
      ...     state = plateau.update(state, value=loss)
      ...     print(f"{plateau(state):.3f}", end=" ")
      0.100 0.100 0.100 0.050 0.050
    """
    name = "ReduceLROnPlateau"
    lr = _lr(name, lr)
    if chk.is_concrete(factor) and isinstance(factor, numbers.Real) and factor >= 1:
        chk.fail(name, "factor", factor, "< 1.0")
    factor = chk.number(name, "factor", factor, low=0, high=1, high_open=True)
    if mode not in ("min", "max"):
        chk.fail(name, "mode", mode, "'min' or 'max'")
    if threshold_mode not in ("rel", "abs"):
        chk.fail(name, "threshold_mode", threshold_mode, "'rel' or 'abs'")
    patience = chk.integer(name, "patience", patience)
    cooldown = chk.integer(name, "cooldown", cooldown)
    threshold = chk.number(name, "threshold", threshold, low=0)
    min_lr = _rate(name, "min_lr", min_lr)
    min_lr = chk.number(name, "min_lr", min_lr, low=0)
    eps = chk.number(name, "eps", eps, low=0)
    return reduce_on_plateau(
        factor=factor,
        patience=patience,
        threshold=threshold,
        threshold_mode=threshold_mode,
        mode=mode,
        cooldown=cooldown,
        min_value=min_lr,
        eps=eps,
        base=lr,
    )
