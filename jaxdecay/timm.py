r"""timm's learning-rate schedulers (``timm.scheduler``, timm 1.0.31) as jaxdecay
schedules.

Each class of ``timm.scheduler`` is a function of the same name here, with
timm's arguments and defaults, the optimizer replaced by the keyword-only
``lr`` (the optimizer's ``initial_lr``: the rate the first timm scheduler on it
was made with); it returns a :class:`jaxdecay.Schedule` built from the core
schedules (``step_decay``, ``cosine_restarts``, ``tanh_decay``,
``polynomial_decay``, ``warp``, ``cooldown``, ``power_decay``, ``warmup``,
``join``, ``noise``, ...), so it has no evaluation rule of its own.
``PlateauLRScheduler`` (deprecated in timm) returns a
:class:`jaxdecay.reduce_on_plateau`.  ``create_scheduler_v2`` is timm's factory.
Neither timm nor torch is needed.

**Index convention.**  timm's schedulers are functions of an explicit count
that the training loop passes: ``scheduler.step(epoch)`` when ``t_in_epochs``
(the default), ``scheduler.step_update(num_updates)`` otherwise.  Here
``schedule(t)`` is the rate ``step(t)`` (or ``step_update(t)``) leaves in the
optimizer, in timm's own unit: epochs or updates, whichever the scheduler was
made for (``t_in_epochs`` says which method timm reads; it does not change
the rates).  ``create_scheduler_v2`` instead returns the rate of every
optimizer update of timm's training loop, see its docstring.

**Quirks are kept.**  ``MultiStepLRScheduler`` applies milestone ``m`` from
``t = m - 1``; the warmup ramps to the base rate even where the schedule then
starts lower (``warmup_prefix=False`` jumps into the decay at ``warmup_t``);
``TanhLRScheduler`` without ``warmup_prefix`` ramps to its own value at
``warmup_t``; a fractional ``decay_t`` decays at the first step past each of
its multiples as Python's float ``//`` finds it (``1.1 * 100`` is
``110.00000000000001``: the decays come an update late); growing cycles end
where timm's float logarithm puts them (``math.log(243, 3)`` is
``4.999999999999999``, so timm's ``cycle_mul=3`` cycle starting at 121 begins
a step late), up to step ``2**40``: past it timm's float64 cycle arithmetic
misplaces starts by whole steps, and the cycles start where the exact
lengths put them.

**Noise** (``noise_range_t``, ``noise_pct``, ``noise_std``, ``noise_seed``) is
:class:`jaxdecay.noise`: the same law (a normal of deviation ``noise_std``
truncated to ``|n| < noise_pct``, applied as ``v (1 + n)`` on the steps of
the range), drawn from JAX's generator keyed by ``noise_seed`` and the step,
not from torch's: the same in every run, not the same numbers as timm.

**Refused** (with an error that says why): a list of per-group rates, and
what timm accepts but a schedule cannot represent: shrinking cycles
(``cycle_mul < 1``, where timm's logarithm fails past ``t_initial / (1 -
cycle_mul)``), non-positive decay factors and powers, fractional cycle or
warmup lengths, growing tanh/poly/k-decay cycles that start at fractional
steps, a Python function as WSD's ``decay_fn``; each function's docstring
lists its own.

Usage with optax::

    import optax
    import jaxdecay.timm as timm

    lr, epochs = timm.create_scheduler_v2(
        "cosine", num_epochs=100, warmup_epochs=5, step_on_epochs=False,
        updates_per_epoch=1000, lr=1e-3)
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=lr)

Examples:
  >>> import jaxdecay.timm as timm
  >>> lr = timm.CosineLRScheduler(10, warmup_t=2, warmup_lr_init=0.01, lr=0.1)
  >>> print(" ".join(f"{lr(t):.4f}" for t in range(0, 12, 2)))
  0.0100 0.0905 0.0655 0.0345 0.0095 0.0000
"""

from __future__ import annotations

import bisect
import math
import numbers
import sys
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ._catalog.cycles import _restarts, cosine_restarts
from ._catalog.decay import (
    constant,
    cosine_decay,
    linear,
    multistep_decay,
    polynomial_decay,
    power_decay,
    step_decay,
    tanh_decay,
)
from ._catalog.piecewise import piecewise_constant
from ._catalog.plateau import reduce_on_plateau
from ._compose.compose import clip, repeat, shift, staircase, warmup
from ._compose.join import join
from ._compose.noise import noise as _noise
from ._compose.runs import _convergents, cooldown, stretch
from ._compose.warp import warp
from ._compose.wrap import Ported
from ._core import checks as chk
from ._core import numerics as num
from ._core.fields import STEPS_MAX

__all__ = [
    "CosineLRScheduler",
    "TanhLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "MultiStepLRScheduler",
    "WSDLRScheduler",
    "PlateauLRScheduler",
    "create_scheduler_v2",
]

# The most cycles of growing length built one by one (a join of pieces).
_MOST_CYCLES = 10_000
# Denominators of a fractional decay interval that the exact step arithmetic
# takes (see jaxdecay.stretch).
_MAX_DENOMINATOR = num.RATIO_MAX


# ---------------------------------------------------------------------------
# The timm identity of a schedule.


class _Spec(NamedTuple):
    """Which timm scheduler a schedule stands for: its class (or factory) name,
    the optimizer's rate, and its checked arguments (``((name, value), ...)``;
    None when some argument was a traced value)."""

    kind: str
    lr: Any
    args: tuple | None


class _TimmScheduler(Ported):
    """A timm scheduler ported here (see :class:`~jaxdecay._compose.wrap.Ported`)."""


def _frozen(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_frozen(v) for v in value)
    return value is None or isinstance(value, (bool, str, int, float))


def _port(kind, lr, args, schedule):
    """The port of timm's ``kind``: ``schedule`` with its identity."""
    args = tuple(args.items())
    if not (_frozen([v for _, v in args]) and isinstance(lr, float)):
        args, lr = None, None  # traced arguments
    return _TimmScheduler(schedule, _Spec(kind, lr, args))


# ---------------------------------------------------------------------------
# Argument checks: timm's own (its asserts), and what is not representable.


def _lr(func, lr):
    """The optimizer's rate: one number >= 0 (torch's optimizers refuse < 0)."""
    if isinstance(lr, (list, tuple, dict)) or (
        isinstance(lr, np.ndarray) and lr.ndim != 0
    ):
        chk.fail(
            func,
            "lr",
            lr,
            "one number: a list of per-parameter-group rates is not representable "
            "by one schedule (make one schedule per group and combine them with "
            "optax.multi_transform)",
            TypeError,
        )
    return chk.number(func, "lr", lr, low=0)


def _real(func, name, value, **bounds):
    """A concrete real number (Python float) within ``bounds``."""
    if not chk.is_concrete(value):
        chk.fail(
            func, name, value, "a concrete number (it shapes the schedule)", TypeError
        )
    return chk.number(func, name, value, **bounds)


def _rate(func, name, value):
    """A rate that may be traced (lr_min, warmup_lr_init)."""
    return chk.number(func, name, value)


def _flag(func, name, value):
    return chk.flag(func, name, value)


def _steps(func, name, value, low=0, why=""):
    """A whole number of steps >= ``low`` (integral floats accepted)."""
    what = f"a whole number >= {low}{why}"
    if (
        isinstance(value, bool)
        or not isinstance(value, (numbers.Real, np.integer, np.floating))
        or not math.isfinite(value)
        or not float(value).is_integer()
    ):
        chk.fail(
            func,
            name,
            value,
            what,
            TypeError if isinstance(value, (str, bool)) else ValueError,
        )
    value = int(value)
    if value < low:
        chk.fail(func, name, value, what)
    return value


def _assert(func, name, value, ok, rule):
    """timm's own check (an ``assert`` in timm) as a ValueError."""
    if not ok:
        chk.fail(func, name, value, f"{rule} (timm asserts it)")


def _warmup_args(func, warmup_t, warmup_lr_init, warmup_prefix):
    warmup_t = _steps(
        func,
        "warmup_t",
        warmup_t,
        why=" (a fractional warmup would start the schedule between two steps)",
    )
    return (
        warmup_t,
        _rate(func, "warmup_lr_init", warmup_lr_init),
        _flag(func, "warmup_prefix", warmup_prefix),
    )


def _noise_args(
    func, noise_range_t, noise_pct, noise_std, noise_seed, noise_type="normal"
):
    """timm's noise arguments, checked: ``None`` (no noise) or
    ``(start, end, pct, std, seed, type)`` in whole steps."""
    if noise_range_t is None:
        return None
    if isinstance(noise_range_t, (list, tuple)):
        if len(noise_range_t) != 2:
            chk.fail(
                func,
                "noise_range_t",
                noise_range_t,
                "None, a number, or a pair (start, end) (timm reads "
                "noise_range_t[0] and noise_range_t[1])",
            )
        lo = _real(func, "noise_range_t", noise_range_t[0])
        hi = _real(func, "noise_range_t", noise_range_t[1])
    else:
        lo, hi = _real(func, "noise_range_t", noise_range_t), None
    pct = _real(
        func,
        "noise_pct",
        noise_pct,
        low=0,
        low_open=True,
        allowed="> 0 (timm redraws the noise until |noise| < noise_pct, "
        "forever if it is <= 0)",
    )
    std = _real(func, "noise_std", noise_std, low=0)
    if noise_seed is None:
        noise_seed = 42
    seed = _steps(func, "noise_seed", noise_seed)
    chk.choice(func, "noise_type", noise_type, ("normal", "uniform"))
    # timm's test on a whole step t: lo <= t (< hi).
    start = max(math.ceil(lo), 0)
    end = None if hi is None else max(math.ceil(hi), 0)
    return start, end, pct, std, seed, noise_type


def _noisy(schedule, noise_spec):
    """``schedule`` with timm's noise (nothing when the spec is None or its
    range holds no step)."""
    if noise_spec is None:
        return schedule
    start, end, pct, std, seed, kind = noise_spec
    if end is not None and end <= start:
        return schedule
    return _noise(schedule, std, seed, pct=pct, start=start, end=end, noise_type=kind)


# ---------------------------------------------------------------------------
# Building blocks.


def _with_warmup(schedule, warmup_t, init, lr, prefix, starts_at_lr, target=None):
    """timm's linear warmup: ``init + t (v - init) / warmup_t`` for ``t <
    warmup_t``, with ``v = lr`` (``target``: the schedule's own value at
    ``warmup_t``, TanhLRScheduler's); then the schedule at ``t - warmup_t``
    (``prefix``) or at ``t``."""
    if not warmup_t:
        return schedule
    if prefix and starts_at_lr:
        return warmup(schedule, warmup_t, init)
    after = schedule if prefix else shift(schedule, -warmup_t)
    if target == "own":  # ramps to the value the schedule then takes
        return warmup(after, warmup_t, init)
    return join([linear(init, lr, warmup_t), after], [warmup_t])


def _exact_steps(value):
    """The float's exact value as a fraction (Python compares ints and floats
    exactly)."""
    return Fraction(value)


def _cycle_count(cycle_limit):
    """The cycles timm runs: the whole i >= 0 with ``i < cycle_limit``."""
    return max(math.ceil(_exact_steps(cycle_limit)), 0)


# Cycle starts up to this step are checked against timm's float logarithm;
# past it timm's float64 cycle arithmetic and any exact one part ways by whole
# steps, so no port can follow it there.
_CHECKED = 2**40


def _timm_cycle(t, t_initial, cycle_mul):
    """timm's cycle index of step ``t`` for ``cycle_mul != 1``: the floor of
    its float logarithm, as timm computes it."""
    return math.floor(math.log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))


def _off_by_one(t_initial, cycle_mul, count):
    """``(step, timm's cycle, the cycles' own)`` at each step next to a cycle
    start where they differ: the cycles start where the float64 sums of their
    lengths put them (as :class:`jaxdecay.cosine_restarts` tabulates them),
    timm where its float logarithm does (``math.log(243, 3)`` is
    ``4.999999999999999``: a start one step late)."""
    top = min(num.top_step(), _CHECKED)
    starts, _ = _restarts(t_initial, cycle_mul, top, count + 1)
    out = []
    for i, start in enumerate(starts[1:], 1):
        c = math.ceil(start)
        for t in (c - 1, c):
            own = i if t >= start else i - 1
            theirs = _timm_cycle(t, t_initial, cycle_mul)
            if theirs != own:
                out.append((t, theirs, own))
    return out


def _unexpected(func, t, theirs, own):
    raise ValueError(
        f"{func}: timm's cycle index at step {t} is {theirs} (its float "
        f"logarithm) where the cycles' own is {own}, a difference this port does "
        "not represent; choose another cycle_mul or t_initial."
    )


def _curve(kind, peak, length, lr_min, shape, k, extra=False):
    """One timm cycle of ``length`` steps from ``peak`` to ``lr_min`` (``kind``:
    cosine, tanh or poly; ``shape``: tanh's ``(lb, ub)``, poly's power), read
    at ``length * (t / length) ** k``.  ``extra``: one step longer, at the
    cycle's value for ``t = length`` (the step timm's float logarithm still
    counts in this cycle).  A cycle longer than the step range (the last one
    that starts in it) is the same curve over the steps it reaches."""
    if kind == "tanh":
        lb, ub = shape
        if extra:  # the same line through lb, one step further
            ub = lb + (ub - lb) * (length + 1) / length
            length += 1
        if length > STEPS_MAX:  # the same line, cut where no step reaches
            ub = lb + (ub - lb) * (STEPS_MAX / length)
            length = STEPS_MAX
        return tanh_decay(peak, length, lr_min, lb, ub)
    factor = 1
    if length > STEPS_MAX:  # the curve of length / g, played g times slower
        factor = _divisor(length)
        length //= factor
    if kind == "cosine":
        curve = cosine_decay(peak, length, lr_min)
    else:
        curve = polynomial_decay(peak, lr_min, length, shape)
    # Cosine and poly hold lr_min from t = length on: the extra step has it.
    curve = curve if k == 1 else warp(curve, k, length)
    return curve if factor == 1 else stretch(curve, factor)


def _divisor(length):
    """The least ``g`` (a power of a prime below 100) with ``length / g`` a
    whole number of at most 2**63 - 1 steps."""
    for prime in (
        2,
        3,
        5,
        7,
        11,
        13,
        17,
        19,
        23,
        29,
        31,
        37,
        41,
        43,
        47,
        53,
        59,
        61,
        67,
        71,
        73,
        79,
        83,
        89,
        97,
    ):
        g = prime
        while length % g == 0:
            if length // g <= STEPS_MAX:
                return g
            g *= prime
    raise ValueError(  # pragma: no cover - lengths are T * m**i or large floats
        f"a cycle of {length} steps is longer than 2**63 - 1 and not a multiple "
        "of a small prime power: not represented."
    )


def _cycles(func, kind, lr, a, shape):
    """timm's cycles (Cosine, Tanh, Poly): cycle i lasts ``t_initial *
    cycle_mul**i`` steps and falls from ``lr * cycle_decay**i`` to ``lr_min``,
    while ``i < cycle_limit``; then ``lr_min``.  Returns the schedule and
    whether it starts at ``lr``."""
    T, lr_min, m = a["t_initial"], a["lr_min"], a["cycle_mul"]
    decay, k = a["cycle_decay"], a.get("k_decay", 1.0)
    count = _cycle_count(a["cycle_limit"])
    # tanh starts at lr (1 - tanh(lb)) / 2, a little below lr: a warmup
    # ramps to lr itself, and update 0 of create_scheduler_v2 is lr.
    starts_at_lr = kind != "tanh"
    if count == 0:
        return constant(lr_min), False
    if count == 1:  # cycle_mul and cycle_decay play no part
        return _curve(kind, lr, T, lr_min, shape, k), starts_at_lr
    if decay <= 0:
        chk.fail(
            func,
            "cycle_decay",
            decay,
            "> 0 with more than one cycle (timm's peaks lr * cycle_decay**i "
            "would be zero or alternate in sign, which the cycles do not "
            "represent)",
        )
    if kind == "cosine" and k == 1:
        restarts = cosine_restarts(
            lr, T, float(m), decay, lr_min, cycle_limit=count, value_mult_mode="peak"
        )
        return _with_timm_cycles(func, restarts, a, lr, count), True
    if m == 1:
        if decay == 1:
            body = repeat(_curve(kind, lr, T, lr_min, shape, k), T)
        else:
            unit = repeat(_curve(kind, 1.0, T, 0.0, shape, k), T)
            peaks = step_decay(lr, T, decay)
            if chk.is_concrete(lr_min) and lr_min == 0:
                body = peaks * unit
            else:
                body = (peaks - lr_min) * unit + lr_min
        end = count * T
        if end > num.top_step():
            return body, starts_at_lr
        return join([body, constant(lr_min)], [end]), starts_at_lr
    return _grown_cycles(func, kind, lr, a, count, shape), starts_at_lr


def _with_timm_cycles(func, restarts, a, lr, count):
    """A cosine_restarts with timm's cycle index where its float logarithm
    differs from the restarts' float64 sums (one step next to a start): the
    cycle's end there (``lr_min``), or the next cycle's peak.  The steps are
    replaced exactly, ``restarts * keep + fill`` with ``keep`` 1 or 0."""
    if a["cycle_mul"] == 1:
        return restarts
    fixes = _off_by_one(a["t_initial"], a["cycle_mul"], count)
    if not fixes:
        return restarts
    bounds, keep, fill = [], [1.0], [0.0]
    for t, theirs, own in fixes:
        if theirs == own - 1:  # the end of cycle `theirs` (cos(pi) = -1)
            value = a["lr_min"]
        elif theirs == own + 1:  # the start of cycle `theirs`
            value = lr * a["cycle_decay"] ** theirs if theirs < count else a["lr_min"]
        else:
            _unexpected(func, t, theirs, own)
        bounds += [t, t + 1]
        keep += [0.0, 1.0]
        fill += [value, 0.0]
    return restarts * piecewise_constant(bounds, keep) + piecewise_constant(
        bounds, fill
    )


def _grown_cycles(func, kind, lr, a, count, shape):
    """Cycles of growing length for tanh, poly or k-decay: one piece per cycle
    (each starts at a whole step), with timm's late starts (its float
    logarithm one short at an exact power) taken by the cycle before."""
    T, m, lr_min = a["t_initial"], a["cycle_mul"], a["lr_min"]
    decay, k = a["cycle_decay"], a.get("k_decay", 1.0)
    top = num.top_step()
    starts, lengths = _restarts(T, m, top, count + 1)
    built = min(len(starts), count)  # cycles that start within the step range
    tail = len(starts) == count + 1  # lr_min from the start of cycle `count`
    if built > _MOST_CYCLES:
        chk.fail(
            func,
            "cycle_limit",
            a["cycle_limit"],
            f"at most {_MOST_CYCLES:,} cycles of growing length within the "
            f"step range (each is a piece of a join; these are {built:,})",
        )
    what = "k_decay" if kind != "tanh" else "tanh"
    ends = [*starts[1:]] if tail else [*starts[1:], starts[-1] + lengths[built - 1]]
    for i, s in enumerate([*starts, ends[-1]]):
        if not float(s).is_integer():
            chk.fail(
                func,
                "cycle_mul",
                m,
                f"a factor whose cycles start and end at whole steps (a {what} "
                "cycle of growing length is read from the step it starts at; "
                "only the cosine without k_decay restarts between two steps); "
                f"cycle {min(i, built)} would {'start' if i < len(starts) else 'end'} "
                f"at step {s!r}",
            )
    starts = [int(s) for s in starts]
    ends = [int(e) for e in ends]
    late = set()
    for t, theirs, own in _off_by_one(T, m, count):
        if theirs != own - 1 or t != starts[own]:
            _unexpected(func, t, theirs, own)
        late.add(own)
    pieces = []
    for i in range(built):
        peak = lr * decay**i  # timm's lr_max: v * cycle_decay ** i
        piece = _curve(kind, peak, ends[i] - starts[i], lr_min, shape, k, i + 1 in late)
        pieces.append(shift(piece, -1) if i in late else piece)
    bounds = [starts[i] + (i in late) for i in range(1, built)]
    if tail:
        pieces.append(constant(lr_min))
        bounds.append(starts[count] + (count in late))
    return join(pieces, bounds) if len(pieces) > 1 else pieces[0]


# ---------------------------------------------------------------------------
# Step decays.


def _decays_that_matter(lr, rate, top, exact):
    """How many decays can change the float64 rate within the step range: all
    of them, or those before ``lr * rate**k`` underflows to 0 (rate < 1) or
    overflows (rate > 1), for ``lr`` or, traced, any float."""
    decays = int(top // exact) + 1
    known = chk.is_concrete(lr)
    if known and lr == 0:
        return 1
    if rate < 1:
        start = math.log(lr) if known else math.log(sys.float_info.max)
        k = (math.log(5e-324) - start) / math.log(rate)
    else:
        start = math.log(lr) if known else math.log(5e-324)
        k = (math.log(sys.float_info.max) - start) / math.log(rate)
    return min(decays, math.ceil(k) + 2)


def _stairs(func, lr, decay_t, rate):
    """``lr * rate ** (t // decay_t)`` at whole steps, ``//`` as Python's
    float floor division finds it: decay k lands on the first step at or
    past ``k * decay_t`` (the float's exact value).  For a fraction ``p/q``
    that is ``floor(t q / p)`` decays; for the float just above ``p/q``
    (``1.1 * 100``), ``ceil(t q / p) - 1``: the decays at whole multiples
    come a step late."""
    exact = Fraction(decay_t)
    if exact.denominator == 1:
        return step_decay(lr, exact.numerator, rate)
    if rate == 1:
        return constant(lr)
    top = num.top_step()
    decays = _decays_that_matter(lr, rate, top, exact)
    for simple in _convergents(exact):
        p, q = simple.numerator, simple.denominator
        if q > _MAX_DENOMINATOR:
            break
        error = exact - simple
        # Within `decays` decays, the float's k * decay_t stays on the same
        # side of every whole step as k * p / q (or just above it).
        if abs(error) * decays * q >= 1:
            continue
        if p > 1 and decays > (top - 1) // p:  # t q must stay within the range
            continue
        stairs = step_decay(lr, p, rate)
        if error > 0:
            stairs = shift(stairs, 1)
        return stairs if q == 1 else stretch(stairs, Fraction(1, q))
    chk.fail(
        func,
        "decay_t",
        decay_t,
        f"a whole number of steps, or a float whose decays land on the steps of a "
        f"fraction p/q with q <= 2**30 (here {exact} is too far from every such "
        "fraction over the steps where the rate still changes)",
    )


def _milestones(func, decay_t):
    """The steps where timm's MultiStepLRScheduler decays: it counts
    ``bisect.bisect_right(decay_t, t + 1)`` (milestone m applies from ``t = m
    - 1``), a non-decreasing count of t even for an unsorted list."""
    if isinstance(decay_t, (str, bytes, dict)) or np.ndim(decay_t) != 1:
        chk.fail(func, "decay_t", decay_t, "a sequence of numbers", TypeError)
    values = []
    for v in decay_t:
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)):
            chk.fail(func, "decay_t", decay_t, "a sequence of numbers", TypeError)
        if not math.isfinite(v):
            chk.fail(func, "decay_t", decay_t, "a sequence of finite numbers")
        values.append(v.item() if isinstance(v, np.generic) else v)
    candidates = sorted({max(math.ceil(Fraction(v) - 1), 0) for v in values})
    out, before = [], bisect.bisect_right(values, 0 + 1)
    out += [0] * before
    for t in candidates:
        now = bisect.bisect_right(values, t + 1)
        if now < before:  # pragma: no cover - bisect is monotone in its key
            _unexpected(func, t, now, before)
        out += [t] * (now - before)
        before = now
    return tuple(out)


def _positive_rate(func, value):
    return _real(
        func,
        "decay_rate",
        value,
        low=0,
        low_open=True,
        allowed="> 0 (timm accepts decay_rate <= 0, giving zero or alternating-"
        "sign rates, which the decays do not represent)",
    )


# ---------------------------------------------------------------------------
# The schedulers.  Each builder checks timm's arguments and returns the port
# and whether its value at t = 0 is the rate timm sets when the scheduler is
# made (``warmup_lr_init`` with a warmup, else ``lr``): create_scheduler_v2's
# first update uses that rate, before any step.


def _common(name, a):
    """The arguments every timm scheduler takes: warmup, noise, flags."""
    if "warmup_prefix" in a:
        w, init, prefix = _warmup_args(
            name, a["warmup_t"], a["warmup_lr_init"], a["warmup_prefix"]
        )
    else:  # WSD: the warmup is always a prefix
        w, init, prefix = _warmup_args(name, a["warmup_t"], a["warmup_lr_init"], True)
    _flag(name, "t_in_epochs", a["t_in_epochs"])
    _flag(name, "initialize", a["initialize"])
    spec = _noise_args(
        name, a["noise_range_t"], a["noise_pct"], a["noise_std"], a["noise_seed"]
    )
    return w, init, prefix, spec


def _finish(name, lr, args, body, at_lr, common, target=None):
    """The warmup and the noise around ``body``; the port and its first-value
    flag."""
    w, init, prefix, spec = common
    schedule = _with_warmup(body, w, init, lr, prefix, at_lr, target)
    first = bool(w) or at_lr
    if spec is not None and spec[0] == 0 and (spec[1] is None or spec[1] > 0):
        first = False  # noise at t = 0, which the made scheduler has not
    args = {
        **args,
        "warmup_t": w,
        "warmup_lr_init": init,
        "warmup_prefix": prefix,
        "noise": spec,
    }
    return _port(name, lr, args, _noisy(schedule, spec)), first


def _cycle_scheduler(name, kind, lr, a):
    """CosineLRScheduler, TanhLRScheduler, PolyLRScheduler."""
    lr = _lr(name, lr)
    T = _real(name, "t_initial", a["t_initial"])
    _assert(name, "t_initial", T, T > 0, "> 0")
    lr_min = _rate(name, "lr_min", a["lr_min"])
    if chk.is_concrete(lr_min):
        _assert(name, "lr_min", lr_min, lr_min >= 0, ">= 0")
    shape = None
    if kind == "tanh":
        lb = _real(name, "lb", a["lb"])
        ub = _real(name, "ub", a["ub"])
        _assert(name, "ub", ub, lb < ub, f"> lb={lb!r}")
        _assert(
            name,
            "cycle_limit",
            a["cycle_limit"],
            _real(name, "cycle_limit", a["cycle_limit"]) >= 0,
            ">= 0",
        )
        _assert(
            name,
            "warmup_t",
            a["warmup_t"],
            _real(name, "warmup_t", a["warmup_t"]) >= 0,
            ">= 0",
        )
        init = a["warmup_lr_init"]
        if chk.is_concrete(init):
            init = _real(name, "warmup_lr_init", init)
            _assert(name, "warmup_lr_init", init, init >= 0, ">= 0")
        shape = (lb, ub)
    T = _steps(
        name,
        "t_initial",
        T,
        low=1,
        why=" (a cycle of a fractional number "
        "of steps would restart between two steps)",
    )
    m = _real(name, "cycle_mul", a["cycle_mul"])
    if m < 1:
        chk.fail(
            name,
            "cycle_mul",
            m,
            ">= 1 (cycles that shrink end at step "
            "t_initial / (1 - cycle_mul), from which timm's float logarithm "
            "fails)",
        )
    decay = _real(name, "cycle_decay", a["cycle_decay"])
    limit = _real(name, "cycle_limit", a["cycle_limit"])
    norm = {
        "t_initial": T,
        "lr_min": lr_min,
        "cycle_mul": m,
        "cycle_decay": decay,
        "cycle_limit": limit,
    }
    if kind == "tanh":
        norm.update(lb=lb, ub=ub)
    else:
        norm["k_decay"] = _real(
            name,
            "k_decay",
            a["k_decay"],
            low=0,
            low_open=True,
            allowed="> 0 (timm reads t**k_decay: k_decay = 0 holds lr_min after "
            "the first step, a negative one divides by zero at each cycle start)",
        )
    if kind == "poly":
        shape = norm["power"] = _real(
            name,
            "power",
            a["power"],
            low=0,
            low_open=True,
            allowed="> 0 (power 0 keeps each cycle's peak, a negative one "
            "divides by zero at the end of each cycle)",
        )
    common = _common(name, a)
    body, at_lr = _cycles(name, kind, lr, norm, shape)
    target = "own" if kind == "tanh" and not common[2] else None
    return _finish(name, lr, norm, body, at_lr, common, target)


def CosineLRScheduler(  # noqa: N802
    t_initial,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=False,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    k_decay=1.0,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``CosineLRScheduler``: cosine cycles (SGDR) with warmup, cycle
    growth and decay, a cycle limit, k-decay and noise.

    After the warmup (``t`` counted from ``warmup_t`` when ``warmup_prefix``),
    cycle :math:`i` lasts :math:`T_i = T\,m^i` steps (``t_initial``,
    ``cycle_mul``) and, at :math:`\tau` steps into it,

    .. math:: \eta(t) = \eta_{min} + \tfrac12 (\text{lr}\, d^{\,i} - \eta_{min})
       \big(1 + \cos(\pi\, \tau^k / T_i^k)\big) \quad (i < L), \qquad
       \eta(t) = \eta_{min} \quad (i \ge L)

    with ``d = cycle_decay``, ``L = cycle_limit``, ``k = k_decay``.  The warmup
    is ``warmup_lr_init + t (lr - warmup_lr_init) / warmup_t`` for ``t <
    warmup_t``.  Built on :class:`jaxdecay.cosine_restarts` (``value_mult_mode
    ="peak"``, ``cycle_limit``), or :class:`jaxdecay.cosine_decay` for one
    cycle, :class:`jaxdecay.warp` for k-decay (one piece per cycle when they
    grow), :class:`jaxdecay.warmup` / :class:`jaxdecay.join` and
    :class:`jaxdecay.noise`.  Where timm's float logarithm puts a growing
    cycle's start a step late (``cycle_mul=3``: steps 121, 29524, ... of
    ``t_initial=1``), that step is the previous cycle's end, ``lr_min``, as
    in timm.

    Args:
      t_initial: T, the first cycle's length, a whole number >= 1 (timm
        asserts > 0).
      lr_min: the rate at the end of each cycle and after the last, >= 0.
      cycle_mul: m >= 1 (timm's cycles shrink for m < 1 and its logarithm
        then fails: refused).
      cycle_decay: d, the peak's factor per cycle (> 0 with several cycles).
      cycle_limit: L, the number of cycles (``i < cycle_limit``).
      warmup_t: warmup steps, a whole number >= 0.
      warmup_lr_init: the rate at t = 0 of the warmup.
      warmup_prefix: count the cycles from the end of the warmup (else the
        warmup covers the first ``warmup_t`` steps of the first cycle).
      t_in_epochs: whether timm reads ``step`` (epochs) or ``step_update``;
        the rates, in that unit, are the same.
      noise_range_t: None, a step (noise from there on) or ``(start, end)``.
      noise_pct: the noise's bound, > 0.
      noise_std: the noise's standard deviation, >= 0.
      noise_seed: the noise's seed, an integer >= 0.
      k_decay: k > 0.
      initialize: accepted (``lr`` is the ``initial_lr`` either way).
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> lr = CosineLRScheduler(10, lr_min=0.01, cycle_limit=2, cycle_decay=0.5,
      ...                        lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in (0, 5, 9, 10, 15, 20)))
      0.1000 0.0550 0.0122 0.0500 0.0300 0.0100
    """
    return _cycle_scheduler("CosineLRScheduler", "cosine", lr, locals())[0]


def TanhLRScheduler(  # noqa: N802
    t_initial,
    lb=-7.0,
    ub=3.0,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=False,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``TanhLRScheduler``: hyperbolic-tangent cycles with warmup,
    cycle growth and decay, a cycle limit and noise.

    Cycle :math:`i` (as in :func:`CosineLRScheduler`) at the fraction
    :math:`r = \tau / T_i` of its length:

    .. math:: \eta(t) = \eta_{min} + \tfrac12 (\text{lr}\, d^{\,i} - \eta_{min})
       \big(1 - \tanh(l (1 - r) + u\, r)\big) \quad (i < L), \qquad
       \eta_{min} \quad (i \ge L)

    Without ``warmup_prefix`` the warmup ramps to the schedule's own value at
    ``warmup_t`` (timm's quirk; with it, to ``lr``, although the curve starts
    slightly below).  Built on :class:`jaxdecay.tanh_decay` (one per cycle, or
    a :class:`jaxdecay.repeat` of one scaled by a :class:`jaxdecay.step_decay`
    of the peaks), :class:`jaxdecay.join`, :class:`jaxdecay.warmup` and
    :class:`jaxdecay.noise`.  timm's late cycle starts (see
    :func:`CosineLRScheduler`) give the previous cycle's value at ``r = 1``.

    Args:
      t_initial: T, the first cycle's length, a whole number >= 1.
      lb: l, the tanh's argument at a cycle's start.
      ub: u, at its end; ``lb < ub`` (timm asserts it).
      lr_min: >= 0.
      cycle_mul: >= 1; growing cycles must start at whole steps.
      cycle_decay: the peak's factor per cycle.
      cycle_limit: the number of cycles, >= 0 (timm asserts it).
      warmup_t: >= 0, a whole number.
      warmup_lr_init: >= 0 (timm asserts it).
      warmup_prefix: count the cycles from the end of the warmup.
      t_in_epochs: as in :func:`CosineLRScheduler`.
      noise_range_t: as in :func:`CosineLRScheduler`.
      noise_pct: as in :func:`CosineLRScheduler`.
      noise_std: as in :func:`CosineLRScheduler`.
      noise_seed: as in :func:`CosineLRScheduler`.
      initialize: accepted.
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> lr = TanhLRScheduler(10, lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in (0, 5, 7, 9, 10)))
      0.1000 0.0982 0.0500 0.0018 0.0000
    """
    return _cycle_scheduler("TanhLRScheduler", "tanh", lr, locals())[0]


def PolyLRScheduler(  # noqa: N802
    t_initial,
    power=0.5,
    lr_min=0.0,
    cycle_mul=1.0,
    cycle_decay=1.0,
    cycle_limit=1,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=False,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    k_decay=1.0,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``PolyLRScheduler``: polynomial cycles with warmup, cycle growth
    and decay, a cycle limit, k-decay and noise.

    Cycle :math:`i` (as in :func:`CosineLRScheduler`):

    .. math:: \eta(t) = \eta_{min} + (\text{lr}\, d^{\,i} - \eta_{min})
       \big(1 - \tau^k / T_i^k\big)^{p} \quad (i < L), \qquad
       \eta_{min} \quad (i \ge L)

    Built on :class:`jaxdecay.polynomial_decay` (with :class:`jaxdecay.warp`
    for k-decay), repeated or one per cycle, :class:`jaxdecay.join`,
    :class:`jaxdecay.warmup` and :class:`jaxdecay.noise`.

    Args:
      t_initial: T, the first cycle's length, a whole number >= 1.
      power: p > 0.
      lr_min: >= 0.
      cycle_mul: >= 1; growing cycles must start at whole steps.
      cycle_decay: the peak's factor per cycle.
      cycle_limit: the number of cycles.
      warmup_t: >= 0, a whole number.
      warmup_lr_init: the rate at t = 0 of the warmup.
      warmup_prefix: count the cycles from the end of the warmup.
      t_in_epochs: as in :func:`CosineLRScheduler`.
      noise_range_t: as in :func:`CosineLRScheduler`.
      noise_pct: as in :func:`CosineLRScheduler`.
      noise_std: as in :func:`CosineLRScheduler`.
      noise_seed: as in :func:`CosineLRScheduler`.
      k_decay: k > 0.
      initialize: accepted.
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> lr = PolyLRScheduler(10, power=2.0, lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in (0, 5, 9, 10)))
      0.1000 0.0250 0.0010 0.0000
    """
    return _cycle_scheduler("PolyLRScheduler", "poly", lr, locals())[0]


def _step_scheduler(name, lr, a):
    lr = _lr(name, lr)
    rate = _positive_rate(name, a["decay_rate"])
    if name == "StepLRScheduler":
        d = _real(
            name,
            "decay_t",
            a["decay_t"],
            low=0,
            low_open=True,
            allowed="> 0 (timm divides the step by it: 0 fails after the "
            "warmup, a negative interval makes the rate grow with every step)",
        )
        body, at_lr = _stairs(name, lr, d, rate), True
        args = {"decay_t": d, "decay_rate": rate}
    else:
        milestones = _milestones(name, a["decay_t"])
        body = multistep_decay(lr, milestones, rate)
        at_lr = 0 not in milestones
        args = {"decay_t": milestones, "decay_rate": rate}
    return _finish(name, lr, args, body, at_lr, _common(name, a))


def StepLRScheduler(  # noqa: N802
    decay_t,
    decay_rate=1.0,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=True,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``StepLRScheduler``: the rate times ``decay_rate`` every
    ``decay_t`` steps, with warmup (a prefix by default) and noise.

    .. math:: \eta(t) = \text{lr}\cdot r^{\lfloor t / D \rfloor}

    ``t // decay_t`` is Python's float floor division: a fractional ``decay_t``
    decays at the first whole step at or past each of its multiples (its exact
    float value: ``1.1 * 100 = 110.00000000000001`` decays at 111, 221, ...).
    Built on :class:`jaxdecay.step_decay` (with :class:`jaxdecay.stretch` and
    :class:`jaxdecay.shift` for a fractional ``decay_t``),
    :class:`jaxdecay.warmup` and :class:`jaxdecay.noise`.

    Args:
      decay_t: D > 0 steps between decays, a number.
      decay_rate: r > 0 (timm accepts <= 0: refused, not a decay).
      warmup_t: >= 0, a whole number.
      warmup_lr_init: the rate at t = 0 of the warmup.
      warmup_prefix: count the decays from the end of the warmup (timm's
        default here).
      t_in_epochs: as in :func:`CosineLRScheduler`.
      noise_range_t: as in :func:`CosineLRScheduler`.
      noise_pct: as in :func:`CosineLRScheduler`.
      noise_std: as in :func:`CosineLRScheduler`.
      noise_seed: as in :func:`CosineLRScheduler`.
      initialize: accepted.
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> lr = StepLRScheduler(2.5, decay_rate=0.5, lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in range(7)))
      0.1000 0.1000 0.1000 0.0500 0.0500 0.0250 0.0250
    """
    return _step_scheduler("StepLRScheduler", lr, locals())[0]


def MultiStepLRScheduler(  # noqa: N802
    decay_t,
    decay_rate=1.0,
    warmup_t=0,
    warmup_lr_init=0.0,
    warmup_prefix=True,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``MultiStepLRScheduler``: the rate times ``decay_rate`` at each
    milestone, with warmup (a prefix by default) and noise.

    .. math:: \eta(t) = \text{lr}\cdot r^{\,\#\{m \in M:\ m \le t + 1\}}

    timm's convention, unlike PyTorch's: milestone m applies from ``t = m -
    1`` (timm counts ``bisect_right(decay_t, t + 1)``; for an unsorted list,
    whatever that binary search counts).  Built on
    :class:`jaxdecay.multistep_decay`, :class:`jaxdecay.warmup` and
    :class:`jaxdecay.noise`.

    Args:
      decay_t: the milestones M, numbers.
      decay_rate: r > 0.
      warmup_t: >= 0, a whole number.
      warmup_lr_init: the rate at t = 0 of the warmup.
      warmup_prefix: count the milestones from the end of the warmup.
      t_in_epochs: as in :func:`CosineLRScheduler`.
      noise_range_t: as in :func:`CosineLRScheduler`.
      noise_pct: as in :func:`CosineLRScheduler`.
      noise_std: as in :func:`CosineLRScheduler`.
      noise_seed: as in :func:`CosineLRScheduler`.
      initialize: accepted.
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> lr = MultiStepLRScheduler([3, 5], decay_rate=0.1, lr=1.0)
      >>> print(" ".join(f"{lr(t):.2f}" for t in range(6)))
      1.00 1.00 0.10 0.10 0.01 0.01
    """
    return _step_scheduler("MultiStepLRScheduler", lr, locals())[0]


_STABLE_FNS = ("constant", "rsqrt", "power")
_DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")


def _wsd_scheduler(name, lr, a):
    lr = _lr(name, lr)
    T = _real(name, "t_initial", a["t_initial"])
    D = _real(name, "decay_t", a["decay_t"])
    if T <= 0:
        chk.fail(name, "t_initial", T, "> 0 (timm raises for it)")
    if not 0 < D <= T:
        chk.fail(
            name,
            "decay_t",
            D,
            f"in (0, t_initial] with t_initial={T!r} (timm raises for it)",
        )
    lr_min = _rate(name, "lr_min", a["lr_min"])
    if chk.is_concrete(lr_min) and lr_min < 0:
        chk.fail(name, "lr_min", lr_min, ">= 0 (timm raises for it)")
    stable_fn = a["stable_fn"]
    if stable_fn not in _STABLE_FNS:
        chk.fail(name, "stable_fn", stable_fn, f"one of {_STABLE_FNS}")
    decay_fn = a["decay_fn"]
    if callable(decay_fn):
        chk.fail(
            name,
            "decay_fn",
            decay_fn,
            f"one of {_DECAY_FNS}: a Python "
            "function of the decay's progress is not one of the cooldown "
            "shapes a schedule is built from",
            TypeError,
        )
    if decay_fn not in _DECAY_FNS:
        chk.fail(name, "decay_fn", decay_fn, f"one of {_DECAY_FNS} or a callable")
    ratio = _real(
        name,
        "decay_ratio",
        a["decay_ratio"],
        low=0,
        high=1,
        low_open=True,
        high_open=True,
    )
    decay_power = _real(name, "decay_power", a["decay_power"], low=0, low_open=True)
    stable_power = _real(name, "stable_power", a["stable_power"], low=0, low_open=True)
    w = a["warmup_t"]
    timescale = a["stable_timescale"]
    if stable_fn != "constant":
        if timescale is None:
            timescale = w
        timescale = _real(
            name,
            "stable_timescale",
            timescale,
            low=0,
            low_open=True,
            allowed=f"> 0 for stable_fn={stable_fn!r}; it defaults to warmup_t "
            f"({w!r}): set it when there is no warmup (timm raises for it)",
        )
    T = _steps(
        name, "t_initial", T, low=1, why=" (the decay starts and ends at whole steps)"
    )
    D = _steps(
        name, "decay_t", D, low=1, why=" (the decay starts and ends at whole steps)"
    )
    common = _common(name, a)
    if stable_fn == "constant":
        stable, falls = constant(lr), False
    else:
        power = 0.5 if stable_fn == "rsqrt" else stable_power
        stable, falls = power_decay(lr, timescale, power), True
    # timm keeps the stable value at or above lr_min: max(v * stable, lr_min).
    known = chk.is_concrete([lr, lr_min])
    if not (known and lr_min == 0) and (falls or not (known and lr >= lr_min)):
        stable = clip(stable, min_value=lr_min)
    body = cooldown(
        stable,
        T - D,
        D,
        decay_fn,
        lr_min,
        power=decay_power if decay_fn == "power" else None,
        ratio=ratio if decay_fn == "exp" else None,
    )
    args = {
        "t_initial": T,
        "decay_t": D,
        "lr_min": lr_min,
        "stable_fn": stable_fn,
        "stable_timescale": timescale,
        "stable_power": stable_power,
        "decay_fn": decay_fn,
        "decay_power": decay_power,
        "decay_ratio": ratio,
    }
    at_lr = known and lr >= lr_min
    return _finish(name, lr, args, body, at_lr, common)


def WSDLRScheduler(  # noqa: N802
    t_initial,
    decay_t,
    lr_min=0.0,
    stable_fn="constant",
    stable_timescale=None,
    stable_power=0.5,
    decay_fn="1-sqrt",
    decay_power=0.5,
    decay_ratio=0.1,
    warmup_t=0,
    warmup_lr_init=0.0,
    t_in_epochs=True,
    noise_range_t=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``WSDLRScheduler``: warmup, a stable phase, and a decay to
    ``lr_min`` over the last ``decay_t`` steps of ``t_initial``.

    With :math:`s = t - W` the steps since the warmup (always a prefix) and
    :math:`x = \min(\max(s - (T - D), 0) / D, 1)` the decay's progress:

    .. math:: \eta(t) = \eta_{min} + \big(\max(\text{lr}\, g(s), \eta_{min})
       - \eta_{min}\big)\, d(x)

    Stable functions g: ``"constant"`` 1; ``"rsqrt"`` :math:`(1 + s/\tau)^{-1/2}`;
    ``"power"`` :math:`(1 + s/\tau)^{-p}` (``stable_timescale`` τ, by default
    ``warmup_t``; ``stable_power`` p).  Decay functions d: ``"linear"`` 1 - x,
    ``"1-sqrt"`` 1 - sqrt(x), ``"cosine"`` (1 + cos(πx)) / 2, ``"power"``
    1 - x**q (``decay_power``), ``"exp"`` (r**x - r) / (1 - r)
    (``decay_ratio``).  Built on :class:`jaxdecay.constant` or
    :class:`jaxdecay.power_decay` (held above ``lr_min`` by
    :class:`jaxdecay.clip`), :class:`jaxdecay.cooldown` (its shapes are timm's
    decay functions), :class:`jaxdecay.warmup` and :class:`jaxdecay.noise`.

    Args:
      t_initial: T, the stable and decay phases, a whole number > 0.
      decay_t: D in (0, T], a whole number.
      lr_min: >= 0.
      stable_fn: ``"constant"``, ``"rsqrt"`` or ``"power"``.
      stable_timescale: τ > 0 (None: ``warmup_t``).
      stable_power: p > 0.
      decay_fn: one of the decay functions above (timm's callable is refused:
        a Python function of the progress is not a cooldown shape).
      decay_power: q > 0.
      decay_ratio: r in (0, 1).
      warmup_t: W >= 0, a whole number.
      warmup_lr_init: the rate at t = 0 of the warmup.
      t_in_epochs: as in :func:`CosineLRScheduler`.
      noise_range_t: as in :func:`CosineLRScheduler`.
      noise_pct: as in :func:`CosineLRScheduler`.
      noise_std: as in :func:`CosineLRScheduler`.
      noise_seed: as in :func:`CosineLRScheduler`.
      initialize: accepted.
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> lr = WSDLRScheduler(10, 4, decay_fn="linear", warmup_t=2, lr=1.0)
      >>> print(" ".join(f"{lr(t):.2f}" for t in range(13)))
      0.00 0.50 1.00 1.00 1.00 1.00 1.00 1.00 1.00 0.75 0.50 0.25 0.00
    """
    return _wsd_scheduler("WSDLRScheduler", lr, locals())[0]


def PlateauLRScheduler(  # noqa: N802
    decay_rate=0.1,
    patience_t=10,
    threshold=1e-4,
    cooldown_t=0,
    warmup_t=0,
    warmup_lr_init=0.0,
    lr_min=0.0,
    mode="max",
    noise_range_t=None,
    noise_type="normal",
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=None,
    initialize=True,
    *,
    lr,
):
    r"""timm's ``PlateauLRScheduler`` (deprecated in timm): PyTorch's
    ``ReduceLROnPlateau`` after a linear warmup, as a
    :class:`jaxdecay.reduce_on_plateau`.

    timm's training loop calls ``step(epoch + 1, metric)`` once per epoch: the
    first ``warmup_t`` calls set the warmup's rate, ``warmup_lr_init + e (lr -
    warmup_lr_init) / warmup_t``, and ignore their metric; the later ones step
    PyTorch's rule on the optimizer's rate (``mode``, ``threshold`` relative,
    ``patience_t``, ``cooldown_t``, ``min_lr`` and its ``eps`` of 1e-8).  Here:
    ``state = schedule.update(state, value=metric)`` once per epoch, and
    ``schedule(state)`` is the rate timm leaves (``schedule(schedule.init())``
    the rate it starts with).  Without warmup or noise that is
    ``reduce_on_plateau(..., base=lr, min_value=lr_min)``; with them the base
    is the warmup (a :class:`jaxdecay.linear` of the epoch count, with
    :class:`jaxdecay.noise` on the epochs after the warmup, as timm adds it),
    ``start_step=warmup_t``, and ``min_lr`` and ``eps`` are scaled by ``lr``
    (the rule then tracks a multiplier of ``lr``).

    Args:
      decay_rate: the reduction factor, in [0, 1) (PyTorch rejects >= 1;
        negative factors are refused).
      patience_t: epochs without improvement before a reduction.
      threshold: the least relative improvement, >= 0.
      cooldown_t: epochs after a reduction without counting.
      warmup_t: warmup epochs, a whole number >= 0.
      warmup_lr_init: the rate before the first step of the warmup.
      lr_min: the least rate, >= 0.
      mode: ``"min"`` or ``"max"`` (timm's default).
      noise_range_t: as in :func:`CosineLRScheduler` (noise after the warmup
        only, as in timm).
      noise_type: ``"normal"`` or ``"uniform"``.
      noise_pct: as in :func:`CosineLRScheduler`.
      noise_std: as in :func:`CosineLRScheduler`.
      noise_seed: None (42) or an integer >= 0.
      initialize: accepted.
      lr: the optimizer's (initial) learning rate.

    Examples:
      >>> plateau = PlateauLRScheduler(patience_t=1, warmup_t=2, mode="min", lr=0.1)
      >>> state = plateau.init()
      >>> for loss in [1.0, 0.9, 0.8, 0.85, 0.84, 0.83]:
      ...     state = plateau.update(state, value=loss)
      ...     print(f"{plateau(state):.3f}", end=" ")
      0.050 0.100 0.100 0.100 0.010 0.010
    """
    name = "PlateauLRScheduler"
    lr = _lr(name, lr)
    factor = _real(name, "decay_rate", decay_rate)
    if factor >= 1:
        chk.fail(name, "decay_rate", factor, "< 1.0 (PyTorch raises for it)")
    factor = _real(
        name,
        "decay_rate",
        factor,
        low=0,
        allowed="in [0, 1) (a "
        "negative factor gives negative rates, which a reduction does "
        "not represent)",
    )
    if mode not in ("min", "max"):
        chk.fail(name, "mode", mode, "'min' or 'max'")
    patience = _steps(name, "patience_t", patience_t)
    cool = _steps(name, "cooldown_t", cooldown_t)
    threshold = _real(name, "threshold", threshold, low=0)
    min_lr = _real(name, "lr_min", lr_min, low=0)
    w, init, _ = _warmup_args(name, warmup_t, warmup_lr_init, True)
    _flag(name, "initialize", initialize)
    spec = _noise_args(
        name, noise_range_t, noise_pct, noise_std, noise_seed, noise_type
    )
    rule = {
        "factor": factor,
        "patience": patience,
        "threshold": threshold,
        "threshold_mode": "rel",
        "mode": mode,
        "cooldown": cool,
    }
    if not w and spec is None:
        return reduce_on_plateau(**rule, min_value=min_lr, eps=1e-8, base=lr)
    base = linear(init, lr, w) if w else constant(lr)
    if spec is not None:  # timm's noise skips the warmup's epochs
        spec = (max(spec[0], w + 1), *spec[1:])
    base = _noisy(base, spec)
    # The rule tracks a multiplier of lr: PyTorch's min_lr and eps, divided by
    # lr (at lr = 0 every rate is 0, whatever they are).
    zero = chk.is_concrete(lr) and lr == 0
    return reduce_on_plateau(
        **rule,
        min_value=0.0 if zero else min_lr / lr,
        eps=0.0 if zero else 1e-8 / lr,
        base=base,
        start_step=w,
    )


# ---------------------------------------------------------------------------
# The factory.

_SCHEDS = (
    "cosine",
    "tanh",
    "step",
    "multistep",
    "plateau",
    "poly",
    "wsd",
    "rsqrt",
    "constant",
    "none",
)


def _cycle_length(sched, a, prefix):
    """timm's ``get_cycle_length()`` of a cycle scheduler's arguments."""
    if sched in ("wsd", "rsqrt"):
        return a["warmup_t"] + a["t_initial"]
    cycles = max(1, a["cycle_limit"])
    T, m = a["t_initial"], a["cycle_mul"]
    if m == 1.0:
        t = T * cycles
    else:
        t = int(math.floor(-T * (m**cycles - 1) / (1 - m)))
    return t + a["warmup_t"] if prefix else t


def create_scheduler_v2(  # noqa: PLR0912, PLR0915 - timm's factory, branch by branch
    sched="cosine",
    num_epochs=300,
    decay_epochs=None,
    decay_milestones=(90, 180, 270),
    cooldown_epochs=0,
    patience_epochs=10,
    decay_rate=0.1,
    min_lr=0.0,
    warmup_lr=1e-5,
    warmup_epochs=0,
    warmup_prefix=False,
    noise=None,
    noise_pct=0.67,
    noise_std=1.0,
    noise_seed=42,
    cycle_mul=1.0,
    cycle_decay=0.1,
    cycle_limit=1,
    k_decay=1.0,
    decay_fn=None,
    stable_timescale=None,
    plateau_mode="max",
    step_on_epochs=True,
    updates_per_epoch=0,
    *,
    lr,
):
    r"""timm's ``create_scheduler_v2``: ``(schedule, num_epochs)`` with the rate
    of every optimizer update of timm's training loop.

    timm's ``train.py`` makes the scheduler, then after optimizer update ``u``
    (0-based) calls ``step_update(u + 1)``, and after each epoch ``e`` calls
    ``step(e + 1)``; the scheduler reads whichever matches ``step_on_epochs``.
    ``schedule(u)`` is the rate update ``u`` uses:

    - ``step_on_epochs=True``: the rate of epoch ``e = u // updates_per_epoch``
      for all of its updates (``updates_per_epoch=0``, timm's default, counts
      one update per epoch: ``schedule(e)`` is epoch e's rate);
    - ``step_on_epochs=False``: the scheduler counts updates
      (``t_initial``, ``warmup_t``, ``decay_t``, milestones, cooldown and
      timescale times ``updates_per_epoch``), and update ``u`` uses
      ``s(u)``.

    In both, the first epoch (or update) uses the rate the scheduler was made
    with (``warmup_lr`` with a warmup, else ``lr``), before any step: timm's
    schedule at t = 0 where they differ (a tanh, a milestone at 1, noise).
    ``sched`` names the scheduler as timm does: ``"cosine"``, ``"tanh"``,
    ``"poly"`` (``decay_rate`` is its power), ``"step"`` (every
    ``decay_epochs``, default 90, fractions included), ``"multistep"``
    (``decay_milestones``), ``"wsd"`` and ``"rsqrt"`` (:func:`WSDLRScheduler`:
    ``decay_epochs`` in (0, 1) is a fraction of the stable and decay phases,
    default 0.2; ``rsqrt`` decays linearly by default after a reciprocal
    square root of timescale ``stable_timescale`` or ``warmup_epochs``),
    ``"constant"`` (a step schedule that never decays), ``"none"`` (the rate
    stays ``lr``: a :class:`jaxdecay.constant`) and ``"plateau"`` (timm's
    deprecated :func:`PlateauLRScheduler`, per epoch only: the first returned
    value is then a :class:`jaxdecay.reduce_on_plateau` to update once per
    epoch with the epoch's metric).  ``noise`` is a fraction (or two) of
    ``num_epochs``.  ``num_epochs`` is timm's: with the cycles, the warmup
    prefix and ``cooldown_epochs`` (the rate holds ``min_lr`` there).

    Args:
      sched: the scheduler's name (see above).
      num_epochs: epochs of the schedule.
      decay_epochs: see ``sched``.
      decay_milestones: epochs of the multistep decays.
      cooldown_epochs: epochs at ``min_lr`` after the cycles (counted in the
        returned ``num_epochs``).
      patience_epochs: the plateau's patience.
      decay_rate: step / multistep / plateau factor, poly's power.
      min_lr: the rate the decays end at.
      warmup_lr: the rate the warmup starts at.
      warmup_epochs: epochs of linear warmup.
      warmup_prefix: the warmup comes before ``num_epochs`` (else within).
      noise: None, a fraction of the schedule (noise from there on) or a
        list of one or two.
      noise_pct: the noise's bound.
      noise_std: the noise's standard deviation.
      noise_seed: the noise's seed.
      cycle_mul: cosine / tanh / poly cycle growth.
      cycle_decay: their peak's factor per cycle.
      cycle_limit: their number of cycles.
      k_decay: cosine / poly k-decay.
      decay_fn: wsd / rsqrt decay function.
      stable_timescale: rsqrt's timescale in epochs.
      plateau_mode: ``"max"`` or ``"min"``.
      step_on_epochs: step per epoch (else per update).
      updates_per_epoch: optimizer updates per epoch (> 0 to step per update).
      lr: the optimizer's learning rate.

    Examples:
      >>> lr, epochs = create_scheduler_v2(num_epochs=4, warmup_epochs=1,
      ...                                  updates_per_epoch=2, lr=0.1)
      >>> print(epochs, " ".join(f"{lr(u):.4f}" for u in range(10)))
      4 0.0000 0.0000 0.0854 0.0854 0.0500 0.0500 0.0146 0.0146 0.0000 0.0000
    """
    func = "create_scheduler_v2"
    lr = _lr(func, lr)
    if sched not in _SCHEDS:
        chk.fail(func, "sched", sched, f"one of {_SCHEDS} (timm: unknown scheduler)")
    step_on_epochs = _flag(func, "step_on_epochs", step_on_epochs)
    per_epoch = _steps(func, "updates_per_epoch", updates_per_epoch)
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    if (
        isinstance(decay_milestones, (str, bytes, dict))
        or np.ndim(decay_milestones) != 1
    ):
        chk.fail(
            func,
            "decay_milestones",
            decay_milestones,
            "a sequence of numbers",
            TypeError,
        )
    t_initial, warmup_t, decay_t = num_epochs, warmup_epochs, decay_epochs
    milestones, cooldown_t, timescale_t = (
        list(decay_milestones),
        cooldown_epochs,
        stable_timescale,
    )
    if not step_on_epochs:
        if not per_epoch > 0:
            chk.fail(
                func,
                "updates_per_epoch",
                updates_per_epoch,
                "> 0 with "
                "step_on_epochs=False: the number of dataloader batches "
                "(timm asserts it)",
            )
        t_initial = t_initial * per_epoch
        warmup_t = warmup_t * per_epoch
        decay_t = decay_t * per_epoch
        milestones = [d * per_epoch for d in milestones]
        cooldown_t = cooldown_t * per_epoch
        if timescale_t is not None:
            timescale_t = timescale_t * per_epoch
    if noise is not None:
        if isinstance(noise, (list, tuple)):
            noise_range = [n * t_initial for n in noise]
            if len(noise_range) == 1:
                noise_range = noise_range[0]
        else:
            noise_range = noise * t_initial
    else:
        noise_range = None
    noise_args = {
        "noise_range_t": noise_range,
        "noise_pct": noise_pct,
        "noise_std": noise_std,
        "noise_seed": noise_seed,
    }
    warmup_args = {
        "warmup_lr_init": warmup_lr,
        "warmup_t": warmup_t,
        "warmup_prefix": warmup_prefix,
    }
    cycle_args = {
        "cycle_mul": cycle_mul,
        "cycle_decay": cycle_decay,
        "cycle_limit": cycle_limit,
    }
    flags = {"t_in_epochs": step_on_epochs, "initialize": True}
    cycles = None
    if sched == "plateau":
        if not step_on_epochs:
            chk.fail(
                func,
                "step_on_epochs",
                step_on_epochs,
                "True for 'plateau' "
                "(timm asserts: Plateau LR only supports step per epoch)",
            )
        warmup_args.pop("warmup_prefix")
        plateau = PlateauLRScheduler(
            decay_rate=decay_rate,
            patience_t=patience_epochs,
            cooldown_t=0,
            **warmup_args,
            lr_min=min_lr,
            mode=plateau_mode,
            **noise_args,
            lr=lr,
        )
        if warmup_prefix:
            num_epochs += warmup_epochs
        return plateau, num_epochs
    if sched in ("cosine", "tanh", "poly"):
        kind = {
            "cosine": "CosineLRScheduler",
            "tanh": "TanhLRScheduler",
            "poly": "PolyLRScheduler",
        }[sched]
        a = {
            "t_initial": t_initial,
            "lr_min": min_lr,
            **cycle_args,
            **warmup_args,
            **noise_args,
            **flags,
            "lb": -7.0,
            "ub": 3.0,
            "k_decay": k_decay,
            "power": decay_rate,
        }
        port, first = _cycle_scheduler(kind, sched, lr, a)
        cycles = a
    elif sched in ("step", "constant"):
        a = {
            "decay_t": decay_t,
            "decay_rate": decay_rate,
            **warmup_args,
            **noise_args,
            **flags,
        }
        if sched == "constant":
            a.update(decay_t=1, decay_rate=1.0)
        port, first = _step_scheduler("StepLRScheduler", lr, a)
    elif sched == "multistep":
        a = {
            "decay_t": milestones,
            "decay_rate": decay_rate,
            **warmup_args,
            **noise_args,
            **flags,
        }
        port, first = _step_scheduler("MultiStepLRScheduler", lr, a)
    elif sched in ("wsd", "rsqrt"):
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = int(round(decay_t))
        if not 0 < decay_t <= t_sched:
            chk.fail(
                func,
                "decay_epochs",
                decay_epochs,
                f"a decay of 0 < {decay_t} <= the stable + decay length {t_sched} "
                f"(epochs{'' if warmup_prefix else ' - warmup_epochs'}; timm "
                "raises for it)",
            )
        a = {
            "t_initial": t_sched,
            "decay_t": decay_t,
            "lr_min": min_lr,
            "stable_fn": "rsqrt" if sched == "rsqrt" else "constant",
            "stable_timescale": timescale_t,
            "stable_power": 0.5,
            "decay_fn": decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"),
            "decay_power": 0.5,
            "decay_ratio": 0.1,
            "warmup_t": warmup_t,
            "warmup_lr_init": warmup_lr,
            **noise_args,
            **flags,
        }
        port, first = _wsd_scheduler("WSDLRScheduler", lr, a)
        cycles = a
    else:  # "none": the optimizer's rate, untouched
        port, first = constant(lr), True
    if cycles is not None:
        total = _cycle_length(sched, cycles, warmup_prefix) + cooldown_t
        num_epochs = total if step_on_epochs else total // per_epoch
    elif warmup_prefix:
        num_epochs += warmup_epochs
    schedule = port.schedule if isinstance(port, _TimmScheduler) else port
    if not first:  # the rate the scheduler was made with, before any step
        made = warmup_lr if warmup_t else lr
        schedule = join([constant(made), shift(schedule, -1)], [1])
    if step_on_epochs and per_epoch > 1:  # the epoch's rate for its updates
        schedule = staircase(stretch(schedule, per_epoch), per_epoch)
    args = {
        "sched": sched,
        "num_epochs": num_epochs,
        "step_on_epochs": step_on_epochs,
        "updates_per_epoch": per_epoch,
        "spec": port.spec if isinstance(port, _TimmScheduler) else None,
    }
    return _port(func, lr, args, schedule), num_epochs
