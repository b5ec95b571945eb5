"""Keras's learning-rate schedules (``keras.optimizers.schedules``, Keras 3) as
jaxdecay schedules.

Each function here takes the arguments of the Keras class of the same name,
with the same defaults, and returns a :class:`jaxdecay.Schedule` built from the
jaxdecay core (``exponential_decay``, ``piecewise_constant``,
``polynomial_decay``, ``inverse_time_decay``, ``cosine_decay``, ``warmup``,
``cosine_restarts``): no second implementation of the math.  The values are
Keras's, checked against Keras 3.15.1 computing in float64 (see Precision;
``tests/fixtures/keras.json``, made by ``scripts/fixtures_keras.py``), including
its quirks, which each docstring states.

**Index convention.**  ``schedule(t)`` is Keras's ``schedule(t)``: the rate a
Keras optimizer uses for the update it applies when its ``iterations`` counter
is ``t`` (0 for the first update).  Optax counts its updates the same way, so a
port drops into any optax optimizer unchanged::

    import optax
    import jaxdecay.keras as jk

    lr = jk.CosineDecay(0.0, decay_steps=10_000, warmup_target=1e-3,
                        warmup_steps=1_000)
    opt = optax.adamw(lr)                                   # or
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr)

The steps are meant to be integers (iteration counts).  A float step follows
the jaxdecay core (stairs, pieces and cycles are decided by its integer part),
which is not always Keras's float formula.

**Arguments.**  Keras checks only ``decay_steps > 0`` (and the lengths of
``PiecewiseConstantDecay``'s lists); those checks are reproduced, raising
``ValueError`` in jaxdecay's message format.  Arguments Keras accepts but that
give no usable schedule, or that the core cannot represent exactly (a
non-integer ``decay_steps`` where it sets stairs, a cosine length or a warmup,
``decay_rate <= 0``, ``t_mul < 1``, ...), raise a ``ValueError`` that says so
rather than approximating.  ``name`` only names Keras's op scope: it is accepted
and ignored.

**Precision.**  Keras computes in the dtype of ``initial_learning_rate``
(float32 unless JAX's x64 mode is on), with the step converted to that float;
its JAX backend computes ``cos``, ``floor`` and ``ceil`` in float32 even then,
so its ``CosineDecay`` and ``CosineDecayRestarts`` are float32-accurate at best
(their float64 reference in the fixtures is Keras's own code run with a float64
``cos``).  These ports compute in jaxdecay's default float dtype with exact
integer step arithmetic, so in float32 they are closer to Keras's float64
values than Keras's own float32 values are, and never put a step on the wrong
side of a stair, boundary or restart.

An integer ``initial_learning_rate`` makes Keras compute in integers and
truncate the other rates it casts (``decay_rate=0.96`` becomes 0, and the
cosines' ``pi`` becomes 3); it is accepted when that truncation changes nothing
and rejected (``TypeError``) otherwise, so always for
``CosineDecay`` and ``CosineDecayRestarts``.
"""

from __future__ import annotations

import math
import numbers

import jax.numpy as jnp
import numpy as np

from ._catalog.cycles import cosine_restarts
from ._catalog.decay import (
    cosine_decay,
    exponential_decay,
    inverse_time_decay,
    polynomial_decay,
)
from ._catalog.piecewise import piecewise_constant
from ._compose.compose import warmup
from ._core import checks as chk
from ._core import numerics as num
from ._core.base import Schedule
from ._core.fields import STEPS_MAX

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]


# ---------------------------------------------------------------------------
# Checks shared by the ports.


def _is_integer_dtype(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and np.issubdtype(dtype, np.integer)


def _initial_rate(func, value, **cast):
    """Checks ``initial_learning_rate``; ``cast`` holds the arguments Keras
    casts to its dtype, which an integer ``initial_learning_rate`` truncates."""
    if chk.is_concrete(value) and _is_integer_dtype(value):
        truncated = {
            k: v
            for k, v in cast.items()
            if v is not None
            and chk.is_concrete(v)
            and not isinstance(v, (bool, str))
            and isinstance(v, (numbers.Real, np.ndarray, np.generic))
            and np.ndim(v) == 0
            and float(v) != int(v)
        }
        if truncated:
            shown = ", ".join(f"{k}={v!r}" for k, v in truncated.items())
            raise TypeError(
                f"{func}: `initial_learning_rate` must be a float here: Keras "
                f"computes in its dtype, and an integer one truncates {shown} to "
                f"an integer, a schedule this port does not reproduce; got "
                f"initial_learning_rate={value!r}. Pass {float(value)!r}."
            )
    return chk.number(func, "initial_learning_rate", value)


def _steps(func, name, value, *, whole, why=""):
    """A positive number of steps (Keras's ``> 0`` check), whole if ``whole``."""
    out = chk.number(func, name, value, low=0, low_open=True)
    if whole and chk.is_concrete(out) and not float(out).is_integer():
        chk.fail(
            func,
            name,
            value,
            "a whole number of steps" + (f" ({why})" if why else ""),
        )
    if chk.is_concrete(out) and float(out).is_integer():
        return int(out)
    return out


def _decay_args(func, initial_learning_rate, decay_steps, decay_rate, staircase):
    """The checked ``(staircase, initial rate, decay steps)`` of the decays with
    stairs (ExponentialDecay, InverseTimeDecay)."""
    staircase = chk.flag(func, "staircase", staircase)
    init = _initial_rate(
        func, initial_learning_rate, decay_steps=decay_steps, decay_rate=decay_rate
    )
    steps = _steps(
        func,
        "decay_steps",
        decay_steps,
        whole=staircase,
        why="with `staircase=True`: stairs of a fractional length are uneven",
    )
    return staircase, init, steps


# ---------------------------------------------------------------------------
# The ports.


def ExponentialDecay(
    initial_learning_rate,
    decay_steps,
    decay_rate,
    staircase=False,
    name="ExponentialDecay",
) -> Schedule:
    r"""Keras's ``ExponentialDecay``: the rate is multiplied by ``decay_rate``
    every ``decay_steps`` steps, continuously or in stairs.

    .. math:: \eta(t) = \eta_0\, r^{p}, \quad p = t / T
       \ (\lfloor t/T \rfloor \text{ if staircase})

    Built as :class:`jaxdecay.exponential_decay`.

    Args:
      initial_learning_rate: the rate at step 0.
      decay_steps: T > 0 (Keras's check); a whole number when ``staircase``
        (Keras's ``floor(t / 2.5)`` makes uneven stairs, not represented).
      decay_rate: r > 0 (Keras also accepts r <= 0, which gives 0 or NaN).
      staircase: decay once every T steps (the first decay at step T).
      name: Keras's op-scope name; ignored.

    Examples:
      >>> import jaxdecay.keras as jk
      >>> lr = jk.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.5,
      ...                          staircase=True)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 2, 3, 6)))
      0.100 0.100 0.050 0.025
    """
    func = "ExponentialDecay"
    staircase, init, steps = _decay_args(
        func, initial_learning_rate, decay_steps, decay_rate, staircase
    )
    rate = chk.number(
        func,
        "decay_rate",
        decay_rate,
        low=0,
        low_open=True,
        allowed="positive and finite (Keras gives 0 or NaN for a rate <= 0)",
    )
    return exponential_decay(init, rate, transition_steps=steps, staircase=staircase)


def PiecewiseConstantDecay(boundaries, values, name="PiecewiseConstant") -> Schedule:
    r"""Keras's ``PiecewiseConstantDecay``: ``values[0]`` up to and including
    step ``boundaries[0]``, then ``values[i]`` up to and including
    ``boundaries[i]``, then ``values[-1]``.

    .. math:: \eta(t) = v_i, \quad i = \#\{j : b_j < t\}

    **Quirk:** Keras compares ``step <= boundary``, so each new value starts
    one step *after* its boundary (``[100]`` switches at step 101), unlike
    :class:`jaxdecay.piecewise_constant` (and optax), where it starts at the
    boundary.  Built as ``piecewise_constant([floor(b) + 1 for b in
    boundaries], values)``, in exact integers: a fractional boundary (Keras
    casts it to the integer step's dtype) is reached at the next whole step, a
    repeated boundary leaves its value unused, as in Keras, and a boundary at
    or beyond ``2**63 - 1``, which no step passes, is left out with the values
    after it.

    Args:
      boundaries: non-decreasing step numbers, at least one.  Keras documents
        them as strictly increasing but does not check; where they decrease it
        adds up the values of overlapping ranges, which is rejected here.
      values: ``len(boundaries) + 1`` numbers (Keras's check).
      name: Keras's op-scope name; ignored.

    Examples:
      >>> import jaxdecay.keras as jk
      >>> lr = jk.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
      >>> print(" ".join(f"{lr(t):.3f}" for t in (10, 11, 20, 21)))
      0.100 0.010 0.010 0.001
    """
    func = "PiecewiseConstantDecay"
    b = chk.number_array(func, "boundaries", boundaries)
    v = chk.number_array(func, "values", values)
    if chk.is_concrete(b) and chk.is_concrete(v):
        if len(b) != len(v) - 1:
            raise ValueError(
                f"{func}: `boundaries` must have one entry fewer than `values` "
                f"(Keras's check); got boundaries={chk._show(b)} of length "
                f"{len(b)} and values={chk._show(v)} of length {len(v)}."
            )
        if len(b) == 0:
            chk.fail(
                func,
                "boundaries",
                [],
                "at least one step (Keras fails on an empty list when called)",
            )
    if not chk.is_concrete(b):
        starts = jnp.maximum(jnp.floor(b) + 1, 0).astype(num.int_dtype())
        return piecewise_constant(starts, v)
    # floor(b) + 1 in exact integers: an integer boundary keeps every digit
    # (float64 would round one beyond 2**53), and a start beyond the step range
    # is never reached, so it and the values after it are left out.
    items = (
        list(boundaries)
        if isinstance(boundaries, (list, tuple))
        else np.asarray(boundaries).tolist()
    )
    exact = [int(x) if _is_integer_dtype(x) else math.floor(float(x)) for x in items]
    if any(y < x for x, y in zip(exact[:-1], exact[1:], strict=True)):
        chk.fail(
            func,
            "boundaries",
            b,
            "non-decreasing (Keras adds up the values of overlapping ranges "
            "where they decrease)",
        )
    starts = [max(x + 1, 0) for x in exact if x + 1 <= STEPS_MAX]
    return piecewise_constant(starts, v[: len(starts) + 1])


def PolynomialDecay(
    initial_learning_rate,
    decay_steps,
    end_learning_rate=0.0001,
    power=1.0,
    cycle=False,
    name="PolynomialDecay",
) -> Schedule:
    r"""Keras's ``PolynomialDecay``: from ``initial_learning_rate`` to
    ``end_learning_rate`` along ``(1 - t/T)**power`` over ``decay_steps``.

    .. math:: \eta(t) = (\eta_0 - \eta_e)\,(1 - t'/T')^{k} + \eta_e

    Without ``cycle``: ``t' = min(t, T)``, ``T' = T``, so the rate holds at
    ``end_learning_rate`` from step T on.  With ``cycle=True``: ``t' = t`` and
    ``T' = T * ceil(t / T)`` (``T' = T`` at step 0, Keras's special case), so
    the decay *stretches* rather than restarts: the rate reaches
    ``end_learning_rate`` at every multiple of T and jumps back up at the next
    step, to ``(1 - (kT + 1) / ((k + 1) T))**power`` of the way, a little less
    high each time.  Built as :class:`jaxdecay.polynomial_decay`, whose
    ``cycle`` is this rule; ``ceil(t / T)`` is exact integer arithmetic here,
    while Keras's float32 division can round it at large steps.

    Args:
      initial_learning_rate: the rate at step 0.
      decay_steps: T > 0 (Keras's check), a whole number (a fractional decay
        length is not represented).
      end_learning_rate: the rate at the end of the decay (Keras's default
        0.0001).
      power: k > 0 (Keras also accepts k <= 0: a constant or an infinite rate).
      cycle: stretch the decay as above instead of holding.
      name: Keras's op-scope name; ignored.

    Examples:
      >>> import jaxdecay.keras as jk
      >>> lr = jk.PolynomialDecay(0.05, 10, end_learning_rate=0.001, cycle=True)
      >>> print(" ".join(f"{lr(t):.5f}" for t in (0, 5, 10, 11, 20)))
      0.05000 0.02550 0.00100 0.02305 0.00100
    """
    func = "PolynomialDecay"
    cycle = chk.flag(func, "cycle", cycle)
    init = _initial_rate(
        func,
        initial_learning_rate,
        decay_steps=decay_steps,
        end_learning_rate=end_learning_rate,
        power=power,
    )
    steps = _steps(func, "decay_steps", decay_steps, whole=True)
    end = chk.number(func, "end_learning_rate", end_learning_rate)
    k = chk.number(
        func,
        "power",
        power,
        low=0,
        low_open=True,
        allowed="positive and finite (Keras's power <= 0 gives a constant or an "
        "infinite rate)",
    )
    return polynomial_decay(init, end, transition_steps=steps, power=k, cycle=cycle)


def InverseTimeDecay(
    initial_learning_rate,
    decay_steps,
    decay_rate,
    staircase=False,
    name="InverseTimeDecay",
) -> Schedule:
    r"""Keras's ``InverseTimeDecay``: the rate falls as one over a linear
    function of the step.

    .. math:: \eta(t) = \frac{\eta_0}{1 + r\,p}, \quad p = t / T
       \ (\lfloor t/T \rfloor \text{ if staircase})

    Built as :class:`jaxdecay.inverse_time_decay`.

    Args:
      initial_learning_rate: the rate at step 0.
      decay_steps: T > 0 (Keras's check); a whole number when ``staircase``.
      decay_rate: r >= 0 (Keras also accepts r < 0, whose denominator reaches
        0).
      staircase: decay once every T steps.
      name: Keras's op-scope name; ignored.

    Examples:
      >>> import jaxdecay.keras as jk
      >>> lr = jk.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
      >>> print(" ".join(f"{lr(t):.4f}" for t in (0, 10, 20)))
      0.1000 0.0667 0.0500
    """
    func = "InverseTimeDecay"
    staircase, init, steps = _decay_args(
        func, initial_learning_rate, decay_steps, decay_rate, staircase
    )
    rate = chk.number(
        func,
        "decay_rate",
        decay_rate,
        low=0,
        allowed="non-negative and finite (with a negative rate Keras's "
        "denominator 1 + rate * p reaches 0)",
    )
    return inverse_time_decay(init, rate, transition_steps=steps, staircase=staircase)


def CosineDecay(
    initial_learning_rate,
    decay_steps,
    alpha=0.0,
    name="CosineDecay",
    warmup_target=None,
    warmup_steps=0,
) -> Schedule:
    r"""Keras's ``CosineDecay``: an optional linear warmup, then a half cosine
    from its top to ``alpha`` times the top over ``decay_steps``, then held.

    Without ``warmup_target`` (W = 0, top ``\hat\eta = \eta_0``):

    .. math:: \eta(t) = \hat\eta\,\Big[(1 - \alpha)\,\tfrac12\big(1 +
       \cos(\pi \min(t - W, T) / T)\big) + \alpha\Big], \quad t \ge W

    With ``warmup_target`` (top ``\hat\eta``) the first W steps rise linearly,
    ``\eta(t) = \eta_0 + (\hat\eta - \eta_0)\, t / W``, and the cosine starts at
    step W.  **Quirks:** ``alpha`` is a fraction of ``warmup_target`` when it
    is given (of ``initial_learning_rate`` otherwise); the decay lasts
    ``decay_steps`` *after* the warmup (Keras clamps the step at
    ``decay_steps + warmup_steps``), unlike
    :class:`jaxdecay.warmup_cosine_decay`, whose ``decay_steps`` includes it;
    ``warmup_steps`` is ignored without ``warmup_target``; and with
    ``warmup_target`` but ``warmup_steps=0``, ``initial_learning_rate`` is never
    used.  Built as ``warmup(cosine_decay(top, T, end_value=alpha * top),
    W, init_value=initial_learning_rate)``.

    Args:
      initial_learning_rate: the rate at step 0.
      decay_steps: T > 0 (Keras's check), a whole number.
      alpha: the final rate as a fraction of the top.
      name: Keras's op-scope name; ignored.
      warmup_target: the rate at the end of the warmup, or None for no warmup.
      warmup_steps: W >= 0, a whole number of warmup steps (used only with
        ``warmup_target``).

    Examples:
      >>> import jaxdecay.keras as jk
      >>> lr = jk.CosineDecay(0.0, decay_steps=100, alpha=0.1,
      ...                     warmup_target=1.0, warmup_steps=10)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (5, 10, 60, 110, 500)))
      0.500 1.000 0.550 0.100 0.100
    """
    func = "CosineDecay"
    init = _initial_rate(
        func,
        initial_learning_rate,
        pi=math.pi,
        decay_steps=decay_steps,
        warmup_target=warmup_target,
        warmup_steps=warmup_steps if warmup_target is not None else None,
    )
    steps = _steps(func, "decay_steps", decay_steps, whole=True)
    alpha = chk.number(func, "alpha", alpha)
    if warmup_target is None:
        return cosine_decay(init, steps, end_value=init * alpha)
    top = chk.number(func, "warmup_target", warmup_target)
    length = chk.integer(
        func,
        "warmup_steps",
        warmup_steps,
        low=0,
        allowed="a whole number >= 0 (a fractional or negative warmup is not "
        "represented)",
    )
    return warmup(
        cosine_decay(top, steps, end_value=top * alpha),
        warmup_steps=length,
        init_value=init,
    )


def CosineDecayRestarts(
    initial_learning_rate,
    first_decay_steps,
    t_mul=2.0,
    m_mul=1.0,
    alpha=0.0,
    name="SGDRDecay",
) -> Schedule:
    r"""Keras's ``CosineDecayRestarts`` (SGDR): cosine decays that restart,
    cycle k lasting ``first_decay_steps * t_mul**k`` steps at ``m_mul**k``
    times the first amplitude.

    .. math:: \eta(t) = \eta_0\,\Big[(1 - \alpha)\, m^{k}\,\tfrac12\big(1 +
       \cos(\pi\, \tau_k / T_k)\big) + \alpha\Big]

    with k the cycle of step t, \tau_k the steps since its start and
    ``T_k = T_0 t_mul**k``.  Note that ``m_mul`` scales the cosine above
    ``alpha * initial_learning_rate``, which every cycle ends at.  With a
    fractional cycle length (``t_mul=1.5``) a cycle starting at step 47.5
    takes over from step 48.  Built as ``cosine_restarts(initial_learning_rate,
    T_0, period_mult=t_mul, value_mult=m_mul, end_value=alpha *
    initial_learning_rate)``.

    **Precision.**  Keras finds the cycle as ``floor(log(1 - t/T_0 (1 -
    t_mul)) / log(t_mul))`` in floating point; here the restart steps are
    tabulated exactly and found by integer comparison.  Where that logarithm
    lands just below a whole number at a restart, Keras computes the step as
    the *end* of the previous cycle (``alpha * initial_learning_rate``) instead
    of the restart.  In float32, Keras's default, that happens at 123 of 700
    whole-numbered restarts (t_mul from 1.0625 to 10, first_decay_steps from 1
    to 1000), e.g. ``first_decay_steps=10, t_mul=1.25``, step 10; with the
    whole formula in float64 (as a float64 backend computes it) at 244 of 700,
    e.g. ``first_decay_steps=4, t_mul=1.25``, step 4.  Keras's JAX backend with
    x64 (the fixtures) takes a float32 floor of a float64 logarithm and gets
    all 700 right.  This port follows the exact rule, as that run and the
    reference of Keras's own tests do (``python scripts/fixtures_keras.py
    --audit-restarts float32``).

    Args:
      initial_learning_rate: the rate at step 0.
      first_decay_steps: T_0 > 0 (Keras's check), a whole number.
      t_mul: growth of the cycle length, >= 1 (Keras also accepts t_mul < 1,
        whose shrinking cycles end in NaN).
      m_mul: amplitude factor per restart, > 0 (Keras also accepts m_mul <= 0).
      alpha: the rate at the end of every cycle as a fraction of
        ``initial_learning_rate``.
      name: Keras's op-scope name; ignored.

    Examples:
      >>> import jaxdecay.keras as jk
      >>> lr = jk.CosineDecayRestarts(1.0, first_decay_steps=10, m_mul=0.5)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 5, 10, 20, 30)))
      1.000 0.500 0.500 0.250 0.250
    """
    func = "CosineDecayRestarts"
    init = _initial_rate(
        func,
        initial_learning_rate,
        pi=math.pi,
        first_decay_steps=first_decay_steps,
        t_mul=t_mul,
        m_mul=m_mul,
        alpha=alpha,
    )
    steps = _steps(func, "first_decay_steps", first_decay_steps, whole=True)
    if not chk.is_concrete(t_mul):
        raise TypeError(
            f"{func}: `t_mul` must be a concrete number, not a traced value; it "
            "fixes the restart steps."
        )
    mult = chk.number(
        func,
        "t_mul",
        t_mul,
        low=1,
        allowed="finite and >= 1 (Keras's cycles shrink for t_mul < 1 and its "
        "rate turns NaN after their sum)",
    )
    m = chk.number(
        func,
        "m_mul",
        m_mul,
        low=0,
        low_open=True,
        allowed="positive and finite (Keras's m_mul <= 0 gives vanishing or "
        "sign-flipping cycles)",
    )
    alpha = chk.number(func, "alpha", alpha)
    return cosine_restarts(
        init,
        steps,
        period_mult=mult,
        value_mult=m,
        end_value=init * alpha,
    )
