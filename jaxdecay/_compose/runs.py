"""Runs that change course: cooldowns, WSD-S cycles, stretched schedules and
resumes with a new length."""

from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from typing import Any

import jax.numpy as jnp

from .._catalog.decay import clamped_done, constant, linear
from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import (
    STEPS_MAX,
    Choice,
    Kind,
    Real,
    StepList,
    Steps,
    param,
)
from .compose import shift, staircase
from .join import join
from .presets import _Preset, _shaped_decay
from .wrap import ScheduleArg, as_schedule

__all__ = ["cooldown", "wsd_cycles", "stretch", "rebase"]

# The shapes of a cooldown: the four of warmup_stable_decay, and two with a
# parameter of their own (``power``, ``ratio``).
COOLDOWN_SHAPES = (*num.SHAPES, *num.SHAPE_PARAMS)


def _known(*values) -> bool:
    """Whether every value is a whole number of steps known on the host."""
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


# -- cooldown ------------------------------------------------------------------


class cooldown(Schedule):
    """Any schedule, annealed to ``end_value`` from step ``start`` over
    ``length`` steps (the cooldown of a run planned without one, or cut short).

    .. math:: \\eta(t) = \\begin{cases} s(t) & t < a \\\\
       e + (s(t) - e)\\, d\\big(\\tfrac{t - a}{L}\\big) & a \\le t < a + L \\\\
       e & t \\ge a + L \\end{cases}

    The schedule keeps running under the cooldown: its value at step t is
    pulled towards e by the factor d, which falls from 1 to 0.  Shapes d(x):
    ``"linear"`` 1 - x; ``"cosine"`` (1 + cos(pi x)) / 2; ``"1-sqrt"``
    1 - sqrt(x) (Hägele et al. 2024); ``"1-square"`` 1 - x**2; ``"power"``
    1 - x**p (``power`` p > 0); ``"exp"`` (q**x - q) / (1 - q) (``ratio`` q
    in (0, 1): the factor falls fast first, as an exponential decay to q
    that ends at 0).  The position x = (t - a + frac) / L is formed from exact
    integers, so a start and a length up to ``2**63 - 1`` are exact at every
    step; a float step's fraction counts.

    Args:
      schedule: the schedule to cool down (or any callable of the step).
      start: a >= 0, the first step of the cooldown.
      length: L >= 1 steps of cooldown (``"*"``: to the end of the run, once
        resolved with its ``total_steps``).
      shape: the shape of d, one of the above.
      end_value: e, the value from step a + L on.
      power: p > 0, only (and required) with ``shape="power"``.
      ratio: q in (0, 1), only (and required) with ``shape="exp"``.

    Examples:
      >>> lr = cooldown(constant(1.0), start=80, length=20, shape="1-sqrt")
      >>> print(f"{lr(79):.2f} {lr(85):.2f} {lr(95):.2f} {lr(100):.2f}")
      1.00 0.50 0.13 0.00
      >>> lr = cooldown(cosine_decay(1.0, 200), 100, 50, "exp", ratio=0.01)
      >>> print(f"{lr(100):.3f} {lr(125):.3f} {lr(150):.3f}")
      0.500 0.028 0.000
    """

    # length="*": to the end of the run (what start leaves of total_steps).
    _phases = ("start", "length")

    schedule: Any = param(ScheduleArg())
    start: Any = param(Steps())
    length: Any = param(Steps(low=1))
    shape: str = param(Choice(options=COOLDOWN_SHAPES), default="linear")
    end_value: Any = param(Real(), default=0.0)
    power: Any = param(
        Real(low=0, low_open=True, coefficient=True, optional=True), default=None
    )
    ratio: Any = param(
        Real(
            low=0,
            high=1,
            low_open=True,
            high_open=True,
            coefficient=True,
            optional=True,
        ),
        default=None,
    )

    def __post_init__(self):
        super().__post_init__()
        if self.unresolved:  # a rule without steps: checked now, not at resolve
            _shape_params("cooldown", self.shape, self.power, self.ratio)

    def __check_init__(self):
        _shape_params("cooldown", self.shape, self.power, self.ratio)

    def _evaluate(self, step):
        n, f = step
        value = self.schedule._value(step)
        m, g = num.delay(n, f, self.start)
        done, remaining, length = clamped_done(m, g, self.length)
        arg = self.power if self.shape == "power" else self.ratio
        out = num.anneal(
            value, self.end_value, done, remaining, length, self.shape, shape_arg=arg
        )
        out = jnp.where(num.reached(n, self.start), out, value)
        # After the cooldown: the end value itself (the schedule's value may
        # be an infinity there, and 0 * inf is NaN).
        return jnp.where(num.reached(m, self.length), num.as_float(self.end_value), out)

    def settles_at(self):
        a, length = self.start, self.length
        return a + length if _known(a, length) else None

    def breakpoints(self):
        a, length = self.start, self.length
        if not _known(a, length):
            return ()
        end = a + length
        marks = {b for b in self.schedule.breakpoints() if b < end}
        marks.update(m for m in (a, end) if 0 < m <= STEPS_MAX)
        return tuple(sorted(marks))


def _shape_params(func, shape, power, ratio):
    """``power`` with the ``"power"`` shape and ``ratio`` with ``"exp"``:
    each required there and refused elsewhere."""
    for name, value, own in (("power", power, "power"), ("ratio", ratio, "exp")):
        if shape == own and value is None:
            what = "p > 0 (d = 1 - x**p)" if own == "power" else "q in (0, 1)"
            chk.fail(func, name, None, f"given with shape={own!r}: {what}")
        if shape != own and value is not None:
            chk.fail(
                func,
                name,
                value,
                f"None unless shape={own!r} (it sets that shape only); got "
                f"shape={shape!r}",
            )


# -- WSD-S ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CycleLengths(StepList):
    """A non-empty sequence of cycle lengths, each a number of steps >= 1
    (or a duration, resolved with the schedule), in any order, ending by step
    ``2**63 - 1``; a tuple of Python ints."""

    def check(self, func, name, value):
        what = "a non-empty sequence of cycle lengths (whole steps >= 1)"
        if not chk.is_concrete(value):
            chk.fail(func, name, value, f"{what}, known on the host", TypeError)
        if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
            if getattr(value, "ndim", 1) != 1:
                chk.fail(func, name, value, what, TypeError)
            value = value.tolist()
        if isinstance(value, (str, bytes, dict)) or not isinstance(
            value, (list, tuple)
        ):
            chk.fail(func, name, value, what, TypeError)
        if len(value) == 0:
            chk.fail(func, name, list(value), what)
        items = tuple(
            Steps(low=1).check(func, f"{name}[{i}]", v) for i, v in enumerate(value)
        )
        for i, item in enumerate(items):
            if getattr(item, "unit", None) == "rest":
                chk.fail(
                    func,
                    f"{name}[{i}]",
                    "*",
                    "a number of steps or a "
                    "duration; '*' (the rest of the run) is for a phase",
                )
        if _known(*items) and sum(items) > STEPS_MAX:
            chk.fail(
                func,
                name,
                list(items),
                f"{what} that end by step 2**63 - 1; they add up to {sum(items)}",
            )
        return items


def _decimal(x) -> Fraction:
    """A float read as the decimal it prints as (0.1 is 1/10)."""
    return Fraction(repr(float(x)))


class wsd_cycles(_Preset):
    """Warmup-stable-decay cycles in a row (WSD-S, as Levanter's ``cycles``):
    each cycle holds ``peak_value``, decays to ``end_value`` over its last
    ``decay_fraction``, and the next re-warms from there back to the peak.

    Cycle i lasts ``cycles[i]`` = L_i steps and starts at
    :math:`c_i = L_0 + \\dots + L_{i-1}`.  Its (re)warmup of W_i steps is part of
    its length: W_0 = ``warmup_steps`` (from 0), W_i = ``rewarmup_steps``
    (from ``end_value``, where the cycle before ended) for i >= 1, linear.
    Its decay lasts :math:`D_i = \\min(\\lfloor f L_i \\rfloor, L_i - W_i)`
    steps, with f read as the decimal it prints as (0.1 is 1/10: f = 0.1 of
    a 1000-step cycle is 100 steps): ``decay_fraction=1`` decays over all of
    a cycle after its warmup.  The plateau fills the rest,
    :math:`S_i = L_i - W_i - D_i`.  After the last cycle the value holds at
    ``end_value``.

    .. math:: \\eta(c_i + u) = \\begin{cases}
       v_i + (\\hat\\eta - v_i)\\, u / W_i & u < W_i \\\\
       \\hat\\eta & W_i \\le u < W_i + S_i \\\\
       \\eta_e + (\\hat\\eta - \\eta_e)\\, g\\big(\\tfrac{u - W_i - S_i}{D_i}\\big)
       & W_i + S_i \\le u < L_i \\end{cases}

    with :math:`v_0 = 0`, :math:`v_i = \\eta_e` and g the decay shape (see
    :class:`warmup_stable_decay`).  Against Levanter's optimizer config:
    ``cycles=[e_1, e_2, ...]`` (the steps where cycles end) are lengths
    ``[e_1, e_2 - e_1, ...]`` here; ``min_lr_ratio`` r is ``end_value = r *
    peak_value``; ``decay`` as a fraction is ``decay_fraction`` (both
    truncate), and Levanter's ``decay=None`` is ``decay_fraction=1``;
    ``warmup`` and ``rewarmup`` are step counts here (a duration such as
    ``"1%"`` is a fraction of the whole run, where a Levanter fraction is of
    the cycle); the decay shapes are this library's.

    Args:
      peak_value: the rate on every plateau.
      warmup_steps: W_0 >= 0, the first cycle's warmup from 0 (inside it).
      cycles: the cycle lengths L_i >= 1 (a non-empty sequence).
      decay_fraction: f in (0, 1], the part of each cycle spent decaying;
        every cycle must get at least one decay step.
      decay_shape: ``"linear"``, ``"cosine"``, ``"1-sqrt"`` or ``"1-square"``.
      rewarmup_steps: W_i >= 0 for the later cycles (0: straight back to
        the peak).
      end_value: the value each decay ends at, and after the last cycle.

    Examples:
      >>> lr = wsd_cycles(1.0, 10, [100, 50], decay_fraction=0.2,
      ...                 rewarmup_steps=5)
      >>> print([round(float(lr(t)), 3) for t in (5, 50, 90, 100, 102, 130, 150)])
      [0.5, 1.0, 0.293, 0.0, 0.4, 1.0, 0.0]
      >>> lr.breakpoints()
      (10, 80, 100, 105, 140, 150)
    """

    peak_value: Any = param(Real())
    warmup_steps: Any = param(Steps(), static=True)
    cycles: Any = param(CycleLengths(), static=True)
    decay_fraction: Any = param(
        Real(low=0, high=1, low_open=True, coefficient=True), static=True
    )
    decay_shape: str = param(Choice(options=num.SHAPES), default="1-sqrt")
    rewarmup_steps: Any = param(Steps(), default=0, static=True)
    end_value: Any = param(Real(), default=0.0)

    def __check_init__(self):
        func = "wsd_cycles"
        for name in ("warmup_steps", "rewarmup_steps", "decay_fraction"):
            if not chk.is_concrete(getattr(self, name)):
                chk.fail(
                    func,
                    name,
                    getattr(self, name),
                    "known on the host (it fixes the phases)",
                    TypeError,
                )
        fraction = _decimal(self.decay_fraction)
        for i, length in enumerate(self.cycles):
            warm, name = self._warmup(i)
            if warm >= length:
                chk.fail(
                    func,
                    name,
                    warm,
                    f"shorter than the cycle it starts (inside its length); got "
                    f"cycles[{i}]={length}",
                )
            if math.floor(fraction * length) < 1:
                chk.fail(
                    func,
                    "decay_fraction",
                    self.decay_fraction,
                    f"large enough that every cycle decays for at least one step "
                    f"(floor(decay_fraction * length) >= 1); got cycles[{i}]={length}",
                )

    def _warmup(self, i):
        if i == 0:
            return self.warmup_steps, "warmup_steps"
        return self.rewarmup_steps, "rewarmup_steps"

    def phases(self) -> list[tuple[int, int, int]]:
        """``(W_i, S_i, D_i)`` for each cycle: its (re)warmup, plateau and decay
        lengths.

        Examples:
          >>> wsd_cycles(1.0, 10, [100, 50], 0.2, rewarmup_steps=5).phases()
          [(10, 70, 20), (5, 35, 10)]
        """
        fraction = _decimal(self.decay_fraction)
        out = []
        for i, length in enumerate(self.cycles):
            warm, _ = self._warmup(i)
            decay = min(math.floor(fraction * length), length - warm)
            out.append((warm, length - warm - decay, decay))
        return out

    def _make(self):
        peak, end = self.peak_value, self.end_value
        pieces, bounds, at = [], [], 0
        plateau = constant(peak)
        for i, (warm, stable, decay) in enumerate(self.phases()):
            if warm:
                pieces.append(linear(0.0 if i == 0 else end, peak, warm))
                bounds.append(at + warm)
            if stable:
                pieces.append(plateau)
                bounds.append(at + warm + stable)
            pieces.append(_shaped_decay(peak, end, decay, shape=self.decay_shape))
            at += warm + stable + decay
            bounds.append(at)
        return join(pieces, bounds[:-1])  # the last decay holds its end


# -- stretch -------------------------------------------------------------------


def _convergents(x: Fraction):
    """The continued-fraction convergents p/q of ``x`` (q growing), the last
    one ``x`` itself."""
    h0, h1, k0, k1 = 0, 1, 1, 0
    rest = x
    while True:
        a = math.floor(rest)
        h0, h1 = h1, a * h1 + h0
        k0, k1 = k1, a * k1 + k0
        yield Fraction(h1, k1)
        if rest == a:
            return
        rest = 1 / (rest - a)


def _simplest(x: float) -> Fraction:
    """The first convergent of the continued fraction of ``x`` that rounds
    back to ``x``: 0.1 is 1/10, 1/3 is 1/3 (the last, ``x`` exactly, always
    does)."""
    return next(g for g in _convergents(Fraction(x)) if float(g) == x)


_RATIO_RULE = (
    f"a positive rational number p/q with q = 1 (p up to 2**63 - 1) or p, q <= "
    f"2**30 ({num.RATIO_MAX:,}), so that t / factor is exact at every step; a "
    "float is read as the simplest fraction that rounds to it (0.1 is 1/10, "
    "1/3 is 1/3), a string as 'p/q'"
)


def _ratio(func, name, value) -> Fraction:
    """A stretch factor as an exact fraction (see ``_RATIO_RULE``)."""
    if isinstance(value, Fraction):
        out = value
    elif isinstance(value, str):
        # An exponent is read before the fraction is formed: '1e10000000'
        # would take minutes to write out exactly.
        exponents = re.findall(r"[eE]([+-]?[0-9]+)", value)
        if any(len(e.lstrip("+-")) > 2 or abs(int(e)) > 30 for e in exponents):
            chk.fail(func, name, value, f"{_RATIO_RULE}, with exponents from -30 "
                     "to 30")  # fmt: skip
        try:
            out = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            chk.fail(func, name, value, _RATIO_RULE)
    elif (
        isinstance(value, bool)
        or not chk._is_number(value)
        or (hasattr(value, "ndim") and value.ndim != 0)
    ):
        chk.fail(func, name, value, _RATIO_RULE, TypeError)
    elif not chk.is_concrete(value):
        chk.fail(func, name, value, f"{_RATIO_RULE}; known on the host", TypeError)
    elif isinstance(value, complex) or (
        hasattr(value, "dtype") and value.dtype.kind == "c"
    ):
        chk.fail(func, name, value, _RATIO_RULE, TypeError)
    elif isinstance(value, int) or (
        hasattr(value, "dtype") and value.dtype.kind in "iu"
    ):
        out = Fraction(int(value))
    else:
        x = float(value)
        if not math.isfinite(x) or x <= 0:
            chk.fail(func, name, value, _RATIO_RULE)
        out = _simplest(x)
    if out <= 0:
        chk.fail(func, name, value, _RATIO_RULE)
    if not _exact(out):
        chk.fail(func, name, value, f"{_RATIO_RULE}; it is {out}")
    return out


def _exact(ratio: Fraction) -> bool:
    """Whether ``t / ratio`` is exact at every step (see ``num.ratio_steps``)."""
    p, q = ratio.numerator, ratio.denominator
    return (q == 1 and p <= STEPS_MAX) or max(p, q) <= num.RATIO_MAX


def _stored(ratio: Fraction):
    """A factor as the field holds it: the float that reads back as it, else
    its text ``'p/q'`` (JSON-able, hashable, equal for equal factors)."""
    x = float(ratio)
    if math.isfinite(x) and _simplest(x) == ratio:
        return x
    return str(ratio)


@dataclasses.dataclass(frozen=True)
class Ratio(Kind):
    """A positive rational factor (static), held as the float that reads back
    as it (``0.5``, ``1/3``) or else as the text ``'p/q'``."""

    static = True

    def check(self, func, name, value):
        return _stored(_ratio(func, name, value))


def _fraction(stored) -> Fraction:
    return Fraction(stored) if isinstance(stored, str) else _simplest(stored)


class stretch(Schedule):
    """A schedule played ``factor`` times slower: its step t is read at
    ``t / factor``, exactly (composer's ``scale_schedule_ratio``).

    .. math:: \\eta(t) = s(t / F) = s\\big(t\\, q / p\\big), \\quad F = p / q

    ``stretch(s, 2)`` lasts twice as long as ``s``; ``stretch(s, 0.5)`` half
    as long.  The factor is a fraction p/q: a float is read as the simplest
    fraction that rounds to it (0.1 is 1/10, 1/3 is 1/3); ``"p/q"`` and
    :class:`fractions.Fraction` are exact.  ``t q / p`` is formed in integers
    (its whole part, exact at every step; a float step's fraction and the
    remainder of the division make the fraction), which needs q = 1 (any p
    up to ``2**63 - 1``) or p, q <= ``2**30``.  With F < 1 a step whose
    ``t / F`` passes the last step reads the schedule there (exact for one
    that has settled).  Breakpoints and the settling step move to
    :math:`\\lceil b F \\rceil`, the first step read at or after b.

    Args:
      schedule: the schedule to stretch (or any callable of the step).
      factor: F > 0, a number, ``"p/q"`` or a ``Fraction`` (see above).

    Examples:
      >>> lr = stretch(cosine_decay(1.0, 100), 1.5)
      >>> print(f"{lr(75):.2f} {lr(150):.2f}  {lr.breakpoints()}")
      0.50 0.00  (150,)
      >>> lr = stretch(multistep_decay(1.0, [10, 20], gamma=0.5), "2/3")
      >>> print([float(lr(t)) for t in (6, 7, 13, 14)], lr.breakpoints())
      [1.0, 0.5, 0.5, 0.25] (7, 14)
    """

    schedule: Any = param(ScheduleArg())
    factor: Any = param(Ratio())

    def _evaluate(self, step):
        n, f = step
        ratio = _fraction(self.factor)
        m, g = num.ratio_steps(n, f, ratio.numerator, ratio.denominator)
        return self.schedule._evaluate(num.Step(m, g))

    def _later(self, b: int) -> int:
        ratio = _fraction(self.factor)
        return -((-b * ratio.numerator) // ratio.denominator)

    def settles_at(self):
        end = self.schedule.settles_at()
        return None if end is None else self._later(end)

    def breakpoints(self):
        marks = {self._later(b) for b in self.schedule.breakpoints()}
        return tuple(sorted(m for m in marks if m <= STEPS_MAX))


# -- rebase --------------------------------------------------------------------

_POLICIES = ("stretch", "cooldown")
# Read at step 0 by every step: holds a schedule at the step it was advanced to.
_HOLD = STEPS_MAX


def _steps(func, name, value, low):
    if not chk.is_concrete(value):
        chk.fail(
            func, name, value, "a whole number of steps known on the host", TypeError
        )
    return chk.integer(
        func,
        name,
        value,
        low=low,
        allowed=f"a whole number of steps >= {low} (resolve durations first)",
    )


def _advanced(schedule, steps, func):
    """``shift(schedule, -steps)``, its refusal told as ``func``'s."""
    try:
        return shift(schedule, -steps) if steps else schedule
    except ValueError as error:
        raise ValueError(
            f"{func}: `at_step`={steps} is too far to read the schedule from "
            f"there: {error}"
        ) from None


def rebase(
    schedule,
    at_step,
    new_total,
    policy="stretch",
    old_total=None,
    shape=None,
    end_value=None,
    power=None,
    ratio=None,
):
    """A run planned for ``old_total`` steps, resumed at ``at_step`` to end at
    ``new_total`` instead: the steps before ``at_step`` keep their values, and
    what follows is refitted to the new length.

    Policies, with s = ``at_step``, T = ``old_total`` and T' = ``new_total``:

    ``"stretch"``: what was left of the plan is played over what is left of
    the new run (:class:`stretch` of the schedule read from s on, joined at
    s); T defaults to the step the schedule settles at.

    .. math:: \\eta(t) = \\begin{cases} s(t) & t < s \\\\
       s\\big(s + (t - s)\\,\\tfrac{T - s}{T' - s}\\big) & t \\ge s \\end{cases}

    ``"cooldown"``: the value at s is held and annealed to ``end_value`` over
    the steps left, T' - s (a :class:`cooldown` of the schedule held from s,
    with its ``shape``, ``power`` and ``ratio``; T is not used).

    .. math:: \\eta(t) = e + (s(s) - e)\\, d\\big(\\tfrac{t - s}{T' - s}\\big),
       \\quad s \\le t < T'

    A worked example: a cosine decay planned for T = 100 steps, 1.0 to 0,
    is at 0.5 at step s = 50, and the run is to go on to T' = 150.  With
    ``"stretch"`` the 50 steps left of the cosine take 100 steps: step 100
    reads the plan at 75 (0.146), step 150 at 100 (0).  With ``"cooldown"``
    (linear) the rate falls from 0.5 along a straight line: 0.25 at step
    100, 0 at 150.  Shortening works the same way (T' < T).

    The result is an ordinary schedule (a :class:`join`, :class:`stretch`,
    :class:`cooldown` of the original), saved and loaded with its config.

    Args:
      schedule: the schedule of the planned run.
      at_step: s >= 0, the step the run resumes at (below ``new_total``).
      new_total: T', the step the resumed run ends at.
      policy: ``"stretch"`` or ``"cooldown"``.
      old_total: T > s, the planned end (``"stretch"`` only); by default the
        step the schedule settles at, required for one that never settles.
      shape: the cooldown's shape (``"cooldown"`` only; ``"linear"`` by
        default), as :class:`cooldown` takes it.
      end_value: the cooldown's end value (``"cooldown"`` only; 0 by default).
      power: ``shape="power"``'s p (``"cooldown"`` only).
      ratio: ``shape="exp"``'s q (``"cooldown"`` only).

    Examples:
      >>> plan = cosine_decay(1.0, 100)
      >>> longer = rebase(plan, at_step=50, new_total=150)
      >>> print([round(float(longer(t)), 3) for t in (25, 50, 100, 150)])
      [0.854, 0.5, 0.146, 0.0]
      >>> cooled = rebase(plan, 50, 150, policy="cooldown")
      >>> print([round(float(cooled(t)), 3) for t in (25, 50, 100, 150)])
      [0.854, 0.5, 0.25, 0.0]
    """
    func = "rebase"
    schedule = as_schedule(func, "schedule", schedule)
    policy = chk.choice(func, "policy", policy, _POLICIES)
    at = _steps(func, "at_step", at_step, 0)
    total = _steps(func, "new_total", new_total, 1)
    if at >= total:
        chk.fail(
            func,
            "at_step",
            at,
            f"below new_total={total} (the resumed run must have steps left)",
        )
    if policy == "stretch":
        for name, value in (
            ("shape", shape),
            ("end_value", end_value),
            ("power", power),
            ("ratio", ratio),
        ):
            if value is not None:
                chk.fail(
                    func,
                    name,
                    value,
                    "None unless policy='cooldown' (a "
                    "stretch keeps the schedule's own values)",
                )
        if old_total is None:
            old = schedule.settles_at()
            if old is None:
                chk.fail(
                    func,
                    "old_total",
                    None,
                    "given: the schedule never "
                    "settles, so the planned end is not known",
                )
        else:
            old = _steps(func, "old_total", old_total, 1)
        if at >= old:
            chk.fail(
                func,
                "at_step",
                at,
                f"below old_total={old} (the planned "
                "run must have steps left to stretch)",
            )
        if old == total:
            return schedule
        factor = Fraction(total - at, old - at)
        if not _exact(factor):
            chk.fail(
                func,
                "new_total",
                total,
                f"such that the stretch (new_total - at_step) / (old_total - "
                f"at_step), in lowest terms p/q, has q = 1 or p, q <= 2**30 (so "
                f"that it is exact at every step); got {factor} with "
                f"at_step={at}, old_total={old}",
            )
        rest = stretch(_advanced(schedule, at, func), factor)
        return join([schedule, rest], [at]) if at else rest
    if old_total is not None:
        chk.fail(
            func,
            "old_total",
            old_total,
            "None unless policy='stretch' (a "
            "cooldown starts from the value at at_step)",
        )
    shape = "linear" if shape is None else shape
    shape = chk.choice(func, "shape", shape, COOLDOWN_SHAPES)
    _shape_params(func, shape, power, ratio)
    held = staircase(_advanced(schedule, at, func), _HOLD)
    base = join([schedule, held], [at]) if at else held
    return cooldown(
        base,
        at,
        total - at,
        shape,
        0.0 if end_value is None else end_value,
        power=power,
        ratio=ratio,
    )
