r"""Hugging Face ``transformers`` learning-rate schedules, exactly, as jaxdecay
schedules.

Every ``get_*_schedule*`` function of ``transformers.optimization``
(transformers 5.23) under its own name, with the same arguments and defaults,
built from the jaxdecay core (``linear``, ``cosine_decay``, ``polynomial_decay``,
``inverse_sqrt_decay``, ``join``, ``repeat``, ``shift``, ``clip``, ...): no
second implementation of any decay rule.

**Arguments.**  Where transformers takes an ``optimizer``, these take its
learning rate as the keyword-only ``lr`` (a single number: per-group rates are
one schedule per group, e.g. with ``optax.multi_transform``).  ``last_epoch``
(resuming) is supported: ``last_epoch=k`` starts the schedule at step
``k + 1``, as a resumed ``LambdaLR`` does.

**Index convention.**  transformers builds a ``torch.optim.lr_scheduler.LambdaLR``
with a multiplier ``lr_lambda(step)``; the rate of optimizer update ``t`` (the
``get_last_lr()`` read before the ``t``-th ``scheduler.step()``, so right after
construction for ``t = 0``) is ``lr * lr_lambda(t)``.  Here ``schedule(t)`` is
that rate, so a schedule counting optax updates from 0 gives the same rates as a
training loop that calls ``optimizer.step(); scheduler.step()``.

**Quirks are reproduced**, and each docstring lists them: the warmup starts at
0 (``t / max(1, num_warmup_steps)``), the cosine keeps oscillating past
``num_training_steps``, hard restarts fall to 0 at the end, the polynomial decay
holds the absolute ``lr_end``, WSD's stable phase may be negative, and so on.
Input transformers rejects is rejected with the same condition; input it
accepts but would crash on later (a division by zero at some step) or that
cannot be represented exactly raises a clear error here.

Usage with optax::

    import optax
    import jaxdecay.transformers as hf

    lr = hf.get_linear_schedule_with_warmup(1000, 10000, lr=3e-4)
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr)
    # or by the Trainer's names:
    lr = hf.get_scheduler("cosine", lr=3e-4, num_warmup_steps=1000,
                          num_training_steps=10000)

Examples:
  >>> import jaxdecay.transformers as hf
  >>> lr = hf.get_linear_schedule_with_warmup(2, 10, lr=1.0)
  >>> print(" ".join(f"{lr(t):.3f}" for t in range(0, 12, 2)))
  0.000 1.000 0.750 0.500 0.250 0.000
"""

from __future__ import annotations

import math
import numbers
import warnings
from fractions import Fraction

import jax.numpy as jnp
import numpy as np

from ._catalog.decay import constant, cosine_decay, inverse_sqrt_decay, linear
from ._catalog.decay import polynomial_decay as _polynomial_decay
from ._catalog.plateau import reduce_on_plateau
from ._compose.compose import clip, repeat, scale_steps, shift
from ._compose.join import join
from ._compose.presets import warmup_stable_decay
from ._core import checks as chk

__all__ = [
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_greedy_schedule",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_reduce_on_plateau_schedule",
    "get_scheduler",
    "get_wsd_schedule",
]

# The largest step product the exact cycle arithmetic may form (int32 steps).
_INT32_MAX = 2**31 - 1
# Denominators allowed for `num_cycles` (see `_fraction`).
_MAX_DENOMINATOR = 10_000


# ---------------------------------------------------------------------------
# Argument checks.


def _lr(func, lr):
    """The optimizer's learning rate: one real number >= 0 (torch's check)."""
    if isinstance(lr, (list, tuple, dict)) or (
        isinstance(lr, (np.ndarray, jnp.ndarray)) and np.ndim(lr) != 0
    ):
        chk.fail(
            func,
            "lr",
            lr,
            "a single number, the optimizer's learning rate (per-group rates: "
            "build one schedule per group and combine them with "
            "optax.multi_transform)",
            TypeError,
        )
    return chk.number(func, "lr", lr, low=0)


def _steps(func, name, value):
    return chk.integer(func, name, value, low=0)


def _last_epoch(func, value):
    return chk.integer(
        func,
        "last_epoch",
        value,
        low=-1,
        allowed="an integer >= -1 (-1: a new schedule; k: resume after step k)",
    )


def _real(func, name, value):
    return chk.number(func, name, value)


def _resume(schedule, last_epoch):
    """``LambdaLR(..., last_epoch=k)`` starts at ``lr_lambda(k + 1)``."""
    return schedule if last_epoch == -1 else shift(schedule, -(last_epoch + 1))


def _fraction(func, name, value, what):
    """``value`` as an exact fraction ``p / q`` with a small ``q``.

    transformers' float64 ``num_cycles`` is matched by the fraction whose
    nearest float64 it is (0.3 -> 3/10); the phase of the cosine is then found
    in exact integer arithmetic at every step.
    """
    value = float(value)
    frac = Fraction(value).limit_denominator(_MAX_DENOMINATOR)
    if float(frac) != value:
        chk.fail(
            func,
            name,
            value,
            f"a fraction with a denominator up to {_MAX_DENOMINATOR} ({what} is "
            "located exactly in integer arithmetic)",
        )
    return frac.numerator, frac.denominator


# ---------------------------------------------------------------------------
# Building blocks, all compositions of core schedules.


def _scaled(func, schedule, factor, period, what):
    if factor == 1:
        return schedule
    if factor * (period // math.gcd(factor, period)) > _INT32_MAX:
        raise ValueError(
            f"{func}: {what} is too long a cycle to be located exactly with "
            f"32-bit steps (num_cycles has numerator {factor}, one period spans "
            f"{period} scaled steps); use a shorter run or a simpler num_cycles."
        )
    return scale_steps(schedule, factor, period)


def _wave(func, high, low, length, num_cycles):
    r"""``low + (high - low) * (1 + cos(2 pi c tau / length)) / 2`` at every
    step ``tau >= 0``: transformers' cosine, which keeps oscillating.

    With ``2 c / length = p / L`` in lowest terms the phase is ``pi * (p tau)
    / L``: a core cosine of half period ``L`` (down, then back up, repeated)
    read at the integer step ``p * tau``.
    """
    p, q = _fraction(func, "num_cycles", num_cycles, "the phase of the cosine")
    # 2 c / length = p / half in lowest terms (the cosine is even, so the sign
    # goes): a whole number of cycles over an even length needs no scaling, so
    # it is exact for any length.
    rate = Fraction(2 * p, q * length)
    p, half = abs(rate.numerator), rate.denominator
    if p % (2 * half) == 0:
        return constant(high)
    down = cosine_decay(high, half, end_value=low)
    up = cosine_decay(low, half, end_value=high)
    wave = repeat(join([down, up], [half]), 2 * half)
    return _scaled(func, wave, p % (2 * half), 2 * half, "the cosine")


def _restarts(func, high, length, num_cycles):
    r"""``high * (1 + cos(pi * ((c tau / length) mod 1))) / 2`` for
    ``tau < length``, then 0: transformers' hard restarts."""
    p, q = _fraction(func, "num_cycles", num_cycles, "each restart")
    # c / length = p / period in lowest terms: the position in the cycle is
    # (p tau mod period) / period (Python's modulo: negative cycles run
    # backwards, too).
    rate = Fraction(p, q * length)
    period = rate.denominator
    factor = rate.numerator % period
    if factor == 0:
        inside = constant(high)
    else:
        inside = _scaled(
            func,
            repeat(cosine_decay(high, period), period),
            factor,
            period,
            "the restart cycle",
        )
    return join([inside, constant(0.0)], [length])


def _ramp(lr, num_warmup_steps):
    """``lr * t / max(1, W)``: transformers' warmup from 0."""
    return linear(0.0, lr, max(1, num_warmup_steps))


def _after_warmup(num_warmup_steps, ramp, rest):
    """``ramp`` for ``t < W``, then ``rest`` counted from step W."""
    if num_warmup_steps == 0:
        return rest
    return join([ramp, rest], [num_warmup_steps])


# ---------------------------------------------------------------------------
# The schedules.


def get_constant_schedule(last_epoch=-1, *, lr):
    r"""A constant learning rate (transformers' ``get_constant_schedule``).

    .. math:: \eta(t) = \mathrm{lr}

    Args:
      last_epoch: -1, or the last step done when resuming (no effect here).
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_constant_schedule(lr=1e-3)
      >>> print(f"{lr(0):.1e} {lr(10_000):.1e}")
      1.0e-03 1.0e-03
    """
    func = "get_constant_schedule"
    lr = _lr(func, lr)
    _last_epoch(func, last_epoch)
    return constant(lr)


def get_constant_schedule_with_warmup(num_warmup_steps, last_epoch=-1, *, lr):
    r"""A linear warmup from 0, then constant
    (transformers' ``get_constant_schedule_with_warmup``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases} t / \max(1, W) & t < W
       \\ 1 & t \ge W \end{cases}

    Quirk: the warmup starts at 0 (the first update has rate 0) and reaches
    ``lr`` at step W, not W - 1.

    Args:
      num_warmup_steps: W >= 0.
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_constant_schedule_with_warmup(4, lr=1.0)
      >>> print(" ".join(f"{lr(t):.2f}" for t in range(6)))
      0.00 0.25 0.50 0.75 1.00 1.00
    """
    func = "get_constant_schedule_with_warmup"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    last_epoch = _last_epoch(func, last_epoch)
    return _resume(_after_warmup(w, _ramp(lr, w), constant(lr)), last_epoch)


def get_linear_schedule_with_warmup(
    num_warmup_steps, num_training_steps, last_epoch=-1, *, lr
):
    r"""A linear warmup from 0, then a linear decay to 0 at
    ``num_training_steps``, then 0 (transformers'
    ``get_linear_schedule_with_warmup``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases} t / \max(1, W) & t < W
       \\ \max\big(0, \frac{N - t}{\max(1, N - W)}\big) & t \ge W \end{cases}

    Quirks: the rate is 0 at step 0 and from step N on (``max(0, ...)``); with
    ``N <= W`` it is 0 from the end of the warmup on.

    Args:
      num_warmup_steps: W >= 0.
      num_training_steps: N >= 0, the step where the rate reaches 0.
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_linear_schedule_with_warmup(2, 10, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 1, 2, 6, 10, 15)))
      0.000 0.500 1.000 0.500 0.000 0.000
    """
    func = "get_linear_schedule_with_warmup"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    n = _steps(func, "num_training_steps", num_training_steps)
    last_epoch = _last_epoch(func, last_epoch)
    decay = linear(lr, 0.0, n - w) if n > w else constant(0.0)
    return _resume(_after_warmup(w, _ramp(lr, w), decay), last_epoch)


def get_cosine_schedule_with_warmup(
    num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1, *, lr
):
    r"""A linear warmup from 0, then a cosine (transformers'
    ``get_cosine_schedule_with_warmup``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases} t / \max(1, W) & t < W
       \\ \tfrac12\big(1 + \cos(2\pi c\, p)\big),
       \ p = \frac{t - W}{\max(1, N - W)} & t \ge W \end{cases}

    Quirks: the cosine is not held at the end: past ``num_training_steps``
    it keeps going (with the default ``c = 0.5`` the rate rises again after
    step N and is back at ``lr`` at step ``2N - W``); ``c`` other than 0.5
    gives several waves (``c = 1``: down and back up by step N).  The
    ``max(0, ...)`` transformers applies never binds.

    Args:
      num_warmup_steps: W >= 0.
      num_training_steps: N >= 0.
      num_cycles: c, the number of waves over ``N - W`` steps (0.5: a half
        cosine down to 0).  A real number that is a fraction with a
        denominator up to 10000 (0.5, 2.5, 0.3, 1/3 ...).
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_cosine_schedule_with_warmup(2, 10, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 1, 2, 6, 10, 14, 18)))
      0.000 0.500 1.000 0.500 0.000 0.500 1.000
    """
    func = "get_cosine_schedule_with_warmup"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    n = _steps(func, "num_training_steps", num_training_steps)
    c = _real(func, "num_cycles", num_cycles)
    last_epoch = _last_epoch(func, last_epoch)
    decay = _wave(func, lr, 0.0, max(1, n - w), c)
    return _resume(_after_warmup(w, _ramp(lr, w), decay), last_epoch)


def get_cosine_with_hard_restarts_schedule_with_warmup(
    num_warmup_steps, num_training_steps, num_cycles=1, last_epoch=-1, *, lr
):
    r"""A linear warmup from 0, then ``num_cycles`` cosine decays to 0, each
    restarting at ``lr`` (transformers'
    ``get_cosine_with_hard_restarts_schedule_with_warmup``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases} t / \max(1, W) & t < W
       \\ \tfrac12\big(1 + \cos(\pi\, ((c\, p) \bmod 1))\big) & p < 1 \\
       0 & p \ge 1 \end{cases}, \quad p = \frac{t - W}{\max(1, N - W)}

    Quirks: the rate is 0 from step N on (``progress >= 1``), so the last
    cycle never reaches its minimum before dropping; a restart happens at the
    first step at or after ``W + k (N - W) / c``; a fractional ``c`` ends on a
    partial cycle; a negative ``c`` runs each cycle backwards (Python's
    ``%``).

    Args:
      num_warmup_steps: W >= 0.
      num_training_steps: N >= 0.
      num_cycles: c, the number of cycles (an integer in transformers' hint;
        any fraction with a denominator up to 10000 works).
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_cosine_with_hard_restarts_schedule_with_warmup(
      ...     2, 10, num_cycles=2, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (2, 4, 5, 6, 8, 9, 10)))
      1.000 0.500 0.146 1.000 0.500 0.146 0.000
    """
    func = "get_cosine_with_hard_restarts_schedule_with_warmup"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    n = _steps(func, "num_training_steps", num_training_steps)
    c = _real(func, "num_cycles", num_cycles)
    last_epoch = _last_epoch(func, last_epoch)
    decay = _restarts(func, lr, max(1, n - w), c)
    return _resume(_after_warmup(w, _ramp(lr, w), decay), last_epoch)


def get_polynomial_decay_schedule_with_warmup(
    num_warmup_steps,
    num_training_steps,
    lr_end=1e-7,
    power=1.0,
    last_epoch=-1,
    *,
    lr,
):
    r"""A linear warmup from 0, then a polynomial decay from ``lr`` to the
    absolute rate ``lr_end`` at ``num_training_steps``, then ``lr_end``
    (transformers' ``get_polynomial_decay_schedule_with_warmup``).

    .. math:: \eta(t) = \begin{cases} \mathrm{lr}\; t / \max(1, W) & t < W \\
       (\mathrm{lr} - e)\big(1 - \frac{t - W}{N - W}\big)^{k} + e
       & W \le t \le N \\ e & t > N \end{cases}

    Quirks: ``lr_end`` is a rate, not a fraction of ``lr`` (the default 1e-7
    is the same whatever ``lr`` is); it must be below ``lr`` (transformers'
    check); the rate holds at ``lr_end`` after the end; with ``N < W`` the
    warmup is followed by ``lr_end`` at once.

    Args:
      num_warmup_steps: W >= 0.
      num_training_steps: N >= 0, N != W (transformers divides by N - W and
        would fail at step W).
      lr_end: e < lr, the final rate.
      power: k >= 0 (a negative power fails at step N in transformers).
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Raises:
      ValueError: ``lr_end >= lr``, as transformers.

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_polynomial_decay_schedule_with_warmup(
      ...     2, 10, lr_end=0.1, power=2.0, lr=1.0)
      >>> print(" ".join(f"{lr(t):.4f}" for t in (0, 1, 2, 6, 10, 20)))
      0.0000 0.5000 1.0000 0.3250 0.1000 0.1000
    """
    func = "get_polynomial_decay_schedule_with_warmup"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    n = _steps(func, "num_training_steps", num_training_steps)
    lr_end = _real(func, "lr_end", lr_end)
    power = _real(func, "power", power)
    last_epoch = _last_epoch(func, last_epoch)
    if chk.is_concrete([lr, lr_end]) and not lr > lr_end:
        chk.fail(
            func,
            "lr_end",
            lr_end,
            f"smaller than the initial lr (lr={lr!r}), as transformers requires",
        )
    if n == w:
        raise ValueError(
            f"{func}: `num_training_steps` must differ from `num_warmup_steps` "
            "(transformers divides by their difference and fails with "
            f"ZeroDivisionError at step {w}); got num_training_steps={n}, "
            f"num_warmup_steps={w}."
        )
    if chk.is_concrete(power) and power < 0:
        chk.fail(
            func,
            "power",
            power,
            "non-negative (transformers raises ZeroDivisionError at step "
            "num_training_steps for a negative power)",
        )
    if n < w:
        decay = constant(lr_end)
    elif power == 0:  # 0.0 ** 0 == 1: lr up to step N included, then lr_end
        decay = join([constant(lr), constant(lr_end)], [n - w + 1])
    else:
        decay = _polynomial_decay(lr, lr_end, n - w, power=power)
    return _resume(_after_warmup(w, _ramp(lr, w), decay), last_epoch)


def get_inverse_sqrt_schedule(num_warmup_steps, timescale=None, last_epoch=-1, *, lr):
    r"""A linear warmup from 0, then an inverse square-root decay
    (transformers' ``get_inverse_sqrt_schedule``, after big_vision).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases} t / \max(1, W) & t < W
       \\ 1 / \sqrt{(t - W + \tau) / \tau} & t \ge W \end{cases}

    Quirks: the decay starts at ``lr`` at step W whatever the timescale
    (transformers' ``shift = timescale - num_warmup_steps``); ``timescale``
    defaults to ``num_warmup_steps``, or 10000 when that is 0.

    Args:
      num_warmup_steps: W >= 0.
      timescale: tau > 0 (default: W, or 10000 when W = 0).
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_inverse_sqrt_schedule(4, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 2, 4, 8, 16, 40)))
      0.000 0.500 1.000 0.707 0.500 0.316
    """
    func = "get_inverse_sqrt_schedule"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    last_epoch = _last_epoch(func, last_epoch)
    if timescale is None:
        timescale = w or 10_000
    tau = chk.integer(func, "timescale", timescale, low=1)
    decay = shift(inverse_sqrt_decay(lr, tau), -tau)
    return _resume(_after_warmup(w, _ramp(lr, w), decay), last_epoch)


def _min_lr_rate(func, lr, min_lr, min_lr_rate):
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(
            f"{func}: give only one of `min_lr` and `min_lr_rate` (transformers: "
            f"'Only one of min_lr or min_lr_rate should be set'); got "
            f"min_lr={min_lr!r}, min_lr_rate={min_lr_rate!r}."
        )
    if min_lr is not None:
        min_lr = _real(func, "min_lr", min_lr)
        if chk.is_concrete(lr) and lr == 0:
            chk.fail(
                func,
                "lr",
                lr,
                "non-zero with `min_lr` (transformers divides min_lr by lr)",
            )
        return min_lr / lr
    if min_lr_rate is None:
        raise ValueError(
            f"{func}: give one of `min_lr` and `min_lr_rate` (transformers: 'One "
            "of min_lr or min_lr_rate should be set through the "
            "`lr_scheduler_kwargs`'); got min_lr=None, min_lr_rate=None."
        )
    return _real(func, "min_lr_rate", min_lr_rate)


def get_cosine_with_min_lr_schedule_with_warmup(
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    last_epoch=-1,
    min_lr=None,
    min_lr_rate=None,
    *,
    lr,
):
    r"""A linear warmup from 0, then a cosine between ``lr`` and a minimum
    (transformers' ``get_cosine_with_min_lr_schedule_with_warmup``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases} t / \max(1, W) & t < W
       \\ \max\big(0,\ m + (1 - m)\,\tfrac12(1 + \cos 2\pi c\, p)\big)
       & t \ge W \end{cases}, \quad p = \frac{t - W}{\max(1, N - W)}

    with ``m = min_lr / lr`` or ``m = min_lr_rate``.

    Quirks: as :func:`get_cosine_schedule_with_warmup`, the cosine keeps
    going past step N (back up towards ``lr``); a negative ``m`` is clipped at
    0 (``max(0, ...)``); the warmup starts at 0, not at the minimum.

    Args:
      num_warmup_steps: W >= 0.
      num_training_steps: N >= 0.
      num_cycles: c (0.5: one half cosine down to the minimum); a fraction with
        a denominator up to 10000.
      last_epoch: -1, or the last step done when resuming.
      min_lr: the minimum rate (absolute); or
      min_lr_rate: the minimum as a fraction of ``lr``.  Exactly one of the
        two must be given (transformers' check).
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_cosine_with_min_lr_schedule_with_warmup(
      ...     2, 10, min_lr=0.1, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 1, 2, 6, 10, 14)))
      0.000 0.500 1.000 0.550 0.100 0.550
    """
    func = "get_cosine_with_min_lr_schedule_with_warmup"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    n = _steps(func, "num_training_steps", num_training_steps)
    c = _real(func, "num_cycles", num_cycles)
    last_epoch = _last_epoch(func, last_epoch)
    m = _min_lr_rate(func, lr, min_lr, min_lr_rate)
    decay = clip(_wave(func, lr, m * lr, max(1, n - w), c), min_value=0.0)
    return _resume(_after_warmup(w, _ramp(lr, w), decay), last_epoch)


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    num_warmup_steps,
    num_training_steps,
    num_cycles=0.5,
    last_epoch=-1,
    min_lr=None,
    min_lr_rate=None,
    warmup_lr_rate=None,
    *,
    lr,
):
    r"""A warmup that does not start at 0, then a cosine between ``lr`` and a
    minimum, one step ahead (transformers'
    ``get_cosine_with_min_lr_schedule_with_warmup_lr_rate``, the Trainer's
    ``"cosine_warmup_with_min_lr"``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases}
       (t + 1) / \max(1, W) & t < W,\ \text{no warmup\_lr\_rate} \\
       w + (1 - w)\, t / \max(1, W - 1) & t < W,\ \text{warmup\_lr\_rate} = w \\
       \max\big(0,\ m + (1 - m)\,\tfrac12(1 + \cos 2\pi c\, p)\big)
       & t \ge W \end{cases}, \quad p = \frac{t - W + 1}{\max(1, N - W)}

    Quirks: unlike the other warmups, this one reaches ``lr`` at step W - 1
    (and starts at ``lr / W``, or at ``w lr``); the cosine is one step ahead
    (``+ 1``), so it reaches the minimum at step N - 1, and it keeps going
    past the end.

    Args:
      num_warmup_steps: W >= 0.
      num_training_steps: N >= 0.
      num_cycles: c; a fraction with a denominator up to 10000.
      last_epoch: -1, or the last step done when resuming.
      min_lr: the minimum rate (absolute); or
      min_lr_rate: the minimum as a fraction of ``lr`` (exactly one of the two).
      warmup_lr_rate: w, the first warmup rate as a fraction of ``lr``.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
      ...     2, 10, min_lr_rate=0.1, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 1, 2, 5, 9, 10)))
      0.500 1.000 0.966 0.550 0.100 0.134
    """
    func = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    n = _steps(func, "num_training_steps", num_training_steps)
    c = _real(func, "num_cycles", num_cycles)
    last_epoch = _last_epoch(func, last_epoch)
    m = _min_lr_rate(func, lr, min_lr, min_lr_rate)
    if warmup_lr_rate is None:
        ramp = shift(linear(0.0, lr, max(1, w)), -1)
    else:
        rate = _real(func, "warmup_lr_rate", warmup_lr_rate)
        ramp = linear(rate * lr, lr, max(1, w - 1))
    decay = clip(shift(_wave(func, lr, m * lr, max(1, n - w), c), -1), min_value=0.0)
    return _resume(_after_warmup(w, ramp, decay), last_epoch)


_WSD_TYPES = ("linear", "cosine", "1-sqrt")


def get_wsd_schedule(
    num_warmup_steps,
    num_decay_steps,
    num_training_steps=None,
    num_stable_steps=None,
    warmup_type="linear",
    decay_type="cosine",
    min_lr_ratio=0,
    num_cycles=0.5,
    last_epoch=-1,
    *,
    lr,
):
    r"""Warmup-stable-decay (transformers' ``get_wsd_schedule``): a warmup
    from ``m lr`` to ``lr``, a plateau at ``lr``, a decay to ``m lr``, then
    ``m lr`` (``m = min_lr_ratio``).

    .. math:: \eta(t) = \mathrm{lr} \cdot \begin{cases}
       \max\big(0,\ m + (1 - m)\, u(t / \max(1, W))\big) & t < W \\
       1 & W \le t < W + S \\
       \max\big(0,\ m + (1 - m)\, d\big(\frac{t - W - S}{\max(1, D)}\big)\big)
       & W + S \le t < W + S + D \\ m & \text{after} \end{cases}

    Warmup shapes u(x): ``"linear"`` x, ``"cosine"`` (1 - cos pi x) / 2,
    ``"1-sqrt"`` 1 - sqrt(1 - x).  Decay shapes d(x): ``"linear"`` 1 - x,
    ``"cosine"`` (1 + cos 2 pi c x) / 2, ``"1-sqrt"`` 1 - sqrt(x).

    Quirks: without ``num_stable_steps``, ``S = N - W - D`` (possibly
    negative: the decay then starts part-way, at step W); with both given
    ``num_stable_steps`` wins (and a warning is issued, as transformers);
    the final value ``m lr`` is not clipped at 0, the phases are.

    Args:
      num_warmup_steps: W >= 0.
      num_decay_steps: D >= 0.
      num_training_steps: N, the total length; or
      num_stable_steps: S, the plateau length (one of the two is required).
      warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
      decay_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
      min_lr_ratio: m, the start and end rate as a fraction of ``lr``.
      num_cycles: c for the cosine decay (0.5: a half cosine); a fraction with
        a denominator up to 10000.
      last_epoch: -1, or the last step done when resuming.
      lr: the optimizer's learning rate (keyword only).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_wsd_schedule(2, 4, num_training_steps=10,
      ...                          min_lr_ratio=0.1, lr=1.0)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 1, 2, 5, 6, 8, 10)))
      0.100 0.550 1.000 1.000 1.000 0.550 0.100
    """
    func = "get_wsd_schedule"
    lr = _lr(func, lr)
    w = _steps(func, "num_warmup_steps", num_warmup_steps)
    d = _steps(func, "num_decay_steps", num_decay_steps)
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError(
            f"{func}: give `num_training_steps` or `num_stable_steps` "
            "(transformers: 'Either num_training_steps or num_stable_steps must "
            "be specified.'); got num_training_steps=None, num_stable_steps=None."
        )
    if num_training_steps is not None and num_stable_steps is not None:
        warnings.warn(
            "Both num_training_steps and num_stable_steps are specified. "
            "num_stable_steps will be used.",
            stacklevel=2,
        )
    chk.choice(func, "warmup_type", warmup_type, _WSD_TYPES)
    chk.choice(func, "decay_type", decay_type, _WSD_TYPES)
    m = _real(func, "min_lr_ratio", min_lr_ratio)
    c = _real(func, "num_cycles", num_cycles)
    last_epoch = _last_epoch(func, last_epoch)
    if num_stable_steps is None:
        n = _steps(func, "num_training_steps", num_training_steps)
        s = n - w - d
    else:
        s = chk.integer(
            func,
            "num_stable_steps",
            num_stable_steps,
            low=-(2**62),
            allowed="an integer",
        )
    low = m * lr
    if warmup_type == "linear":
        warm = linear(low, lr, max(1, w))
    elif warmup_type == "cosine":
        warm = cosine_decay(low, max(1, w), end_value=lr)
    else:  # "1-sqrt": 1 - (1 - m) sqrt(1 - x)
        warm = _polynomial_decay(low, lr, max(1, w), power=0.5)
    length = max(1, d)
    if decay_type == "linear":
        decay = linear(lr, low, length)
    elif decay_type == "cosine":
        decay = _wave(func, lr, low, length, c)
    else:  # "1-sqrt"
        decay = warmup_stable_decay(
            lr, 0, 0, length, end_value=low, decay_shape="1-sqrt"
        )
    # Phases [0, W), [W, W + S), [W + S, W + S + D), rest; S may be negative,
    # then the decay starts at step W, -S steps in.
    stable_end = max(w, w + s)
    decay_end = max(stable_end, w + s + d)
    pieces = [
        clip(warm, min_value=0.0),
        constant(lr),
        clip(shift(decay, min(0, s)), min_value=0.0),
        constant(low),
    ]
    keep = [w > 0, stable_end > w, decay_end > stable_end, True]
    starts = [0, w, stable_end, decay_end]
    used = [(p, b) for p, b, k in zip(pieces, starts, keep, strict=True) if k]
    schedule = join([p for p, _ in used], [b for _, b in used[1:]])
    return _resume(schedule, last_epoch)


def get_reduce_on_plateau_schedule(*, lr, **kwargs):
    r"""Reduce on plateau (transformers' ``get_reduce_on_plateau_schedule``,
    which builds torch's ``ReduceLROnPlateau(optimizer, **kwargs)``).

    Returns :class:`jaxdecay.reduce_on_plateau` with ``base=lr`` and torch's
    arguments: ``mode="min"``, ``factor=0.1``, ``patience=10``,
    ``threshold=1e-4``, ``threshold_mode="rel"``, ``cooldown=0``,
    ``min_lr=0`` (here ``min_value``), ``eps=1e-8``.  It is an optax stateful
    schedule: the metric goes in with ``opt.update(..., value=metric)``.

    Index convention: the rate after ``k`` metrics is torch's ``get_last_lr()``
    after ``k`` calls of ``scheduler.step(metric)``.

    Args:
      lr: the optimizer's learning rate (keyword only).
      **kwargs: torch's ``ReduceLROnPlateau`` arguments (a per-group list of
        ``min_lr`` is not representable: one schedule per group).

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> plateau = hf.get_reduce_on_plateau_schedule(lr=0.1, patience=1, factor=0.5)
      >>> state = plateau.init()
      >>> for loss in [1.0, 0.9, 0.95, 0.92, 0.93]:
      ...     state = plateau.update(state, value=loss)
      >>> print(f"{plateau(state):.3f}")
      0.050
    """
    func = "get_reduce_on_plateau_schedule"
    lr = _lr(func, lr)
    allowed = (
        "mode",
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lr",
        "eps",
    )
    for key in kwargs:
        if key not in allowed:
            raise TypeError(
                f"{func}: unexpected argument {key!r}; torch's ReduceLROnPlateau "
                f"takes {', '.join(allowed)}."
            )
    config = dict(kwargs)
    if "factor" in config and chk.is_concrete(config["factor"]):
        if isinstance(config["factor"], numbers.Real) and config["factor"] >= 1.0:
            chk.fail(func, "factor", config["factor"], "< 1.0 (torch's check)")
    if "min_lr" in config:
        min_lr = config.pop("min_lr")
        if isinstance(min_lr, (list, tuple)):
            chk.fail(
                func,
                "min_lr",
                min_lr,
                "a single number (per-group minimums: one schedule per group)",
                TypeError,
            )
        config["min_value"] = min_lr
    return reduce_on_plateau(**config, base=lr)


def get_greedy_schedule(*, lr, **kwargs):
    """transformers' ``get_greedy_schedule`` (``GreedyLR``): not available.

    GreedyLR raises the rate while a metric improves and lowers it while it
    stalls, with smoothing windows and resets; no composition of jaxdecay's
    schedules expresses it, and jaxdecay ports by composition only.  Calling
    this raises ``NotImplementedError``; :func:`get_reduce_on_plateau_schedule`
    is the metric-driven schedule available.

    Args:
      lr: the optimizer's learning rate (keyword only).
      **kwargs: GreedyLR's arguments.

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> hf.get_greedy_schedule(lr=0.1)
      Traceback (most recent call last):
      ...
      NotImplementedError: get_greedy_schedule: ...
    """
    del lr, kwargs
    raise NotImplementedError(
        "get_greedy_schedule: transformers' GreedyLR (which raises the rate while "
        "the metric improves and lowers it on plateaus) has no jaxdecay "
        "equivalent; use get_reduce_on_plateau_schedule (torch's "
        "ReduceLROnPlateau) instead."
    )


SCHEDULER_TYPES = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "reduce_lr_on_plateau": get_reduce_on_plateau_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
    "greedy": get_greedy_schedule,
}
"""transformers' ``SchedulerType`` names (``TrainingArguments.lr_scheduler_type``)
and the function each selects."""


def get_scheduler(
    name,
    *,
    lr,
    num_warmup_steps=None,
    num_training_steps=None,
    scheduler_specific_kwargs=None,
):
    """Any schedule by its ``SchedulerType`` name (transformers'
    ``get_scheduler``, the Trainer's ``lr_scheduler_type``).

    Names: ``"linear"``, ``"cosine"``, ``"cosine_with_restarts"``,
    ``"polynomial"``, ``"constant"``, ``"constant_with_warmup"``,
    ``"inverse_sqrt"``, ``"reduce_lr_on_plateau"``, ``"cosine_with_min_lr"``,
    ``"cosine_warmup_with_min_lr"``, ``"warmup_stable_decay"``, ``"greedy"``
    (not available, see :func:`get_greedy_schedule`).

    As in transformers: ``"constant"`` ignores every other argument;
    ``"reduce_lr_on_plateau"`` and ``"greedy"`` take only
    ``scheduler_specific_kwargs``; ``"constant_with_warmup"`` ignores
    ``scheduler_specific_kwargs``; every other name requires
    ``num_warmup_steps``, and all but ``"constant_with_warmup"``,
    ``"inverse_sqrt"`` and ``"warmup_stable_decay"`` require
    ``num_training_steps``.  Extra arguments go in
    ``scheduler_specific_kwargs`` (e.g. ``{"num_cycles": 2}``).

    Args:
      name: a ``SchedulerType`` name (or a ``SchedulerType``).
      lr: the optimizer's learning rate (keyword only).
      num_warmup_steps: W, where required.
      num_training_steps: N, where required.
      scheduler_specific_kwargs: a dict of further arguments.

    Examples:
      >>> import jaxdecay.transformers as hf
      >>> lr = hf.get_scheduler("cosine", lr=1.0, num_warmup_steps=2,
      ...                       num_training_steps=10)
      >>> print(f"{lr(6):.3f}")
      0.500
    """
    func = "get_scheduler"
    key = getattr(name, "value", name)
    if key not in SCHEDULER_TYPES:
        chk.fail(func, "name", name, "one of " + ", ".join(map(repr, SCHEDULER_TYPES)))
    make = SCHEDULER_TYPES[key]
    if key == "constant":
        return make(lr=lr)
    kwargs = dict(scheduler_specific_kwargs or {})
    if key in ("reduce_lr_on_plateau", "greedy"):
        return make(lr=lr, **kwargs)
    if num_warmup_steps is None:
        chk.fail(
            func,
            "num_warmup_steps",
            None,
            f"given for {key!r} (transformers: '{key} requires `num_warmup_steps`, "
            "please provide that argument')",
        )
    if key == "constant_with_warmup":
        return make(num_warmup_steps=num_warmup_steps, lr=lr)
    if key == "inverse_sqrt":
        return make(num_warmup_steps=num_warmup_steps, lr=lr, **kwargs)
    if key == "warmup_stable_decay":
        return make(
            num_warmup_steps=num_warmup_steps,
            num_training_steps=num_training_steps,
            lr=lr,
            **kwargs,
        )
    if num_training_steps is None:
        chk.fail(
            func,
            "num_training_steps",
            None,
            f"given for {key!r} (transformers: '{key} requires "
            "`num_training_steps`, please provide that argument')",
        )
    return make(
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
        lr=lr,
        **kwargs,
    )
