"""The schedule algebra: arithmetic, clipping, shifting, repeating, stairs,
warmup, and wrapping foreign callables."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .._catalog.decay import clamped_done, cosine_decay, linear
from .._core import checks as chk
from .._core import elementary as el
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Anything, Choice, Kind, Real, Steps, param
from .join import join
from .wrap import ScheduleArg, as_schedule, from_fn

__all__ = [
    "arithmetic",
    "combine",
    "minimum",
    "maximum",
    "clip",
    "shift",
    "repeat",
    "scale_steps",
    "staircase",
    "warmup",
    "untuned_warmup",
    "from_fn",
    "as_schedule",
]


def _power(x, p):
    """``x ** p``: signed for a whole ``p``; a negative ``x`` reads as 0 for
    a fractional ``p``; past the float range (``0 ** -1``) the largest float."""
    whole = p == jnp.round(p)
    half = jnp.abs(p) * 0.5
    odd = whole & (half != jnp.floor(half))
    # (a where, not a maximum: its gradient would multiply an infinite slope
    # at 0 by 0)
    base = jnp.where(whole, jnp.abs(x), jnp.where(x > 0, x, jnp.zeros_like(x)))
    magnitude = el.power(base, p)
    return num.saturate(jnp.where(odd & (x < 0), -magnitude, magnitude))


_OPS = {
    "+": jnp.add,
    "-": jnp.subtract,
    "*": jnp.multiply,
    "/": el.div,
    "**": _power,
}


def _defined(op, a, b):
    """``a op b``.  A side past the float range (inf) makes the result inf,
    held at the largest float; where two such sides would make a NaN (inf -
    inf, inf * 0, inf / inf), each side is read as the largest float instead.
    The arithmetic and the folds of long sums and products share it."""
    out = _OPS[op](a, b)
    undefined = jnp.isnan(out) & ~jnp.isnan(a) & ~jnp.isnan(b)
    return jnp.where(undefined, _OPS[op](num.saturate(a), num.saturate(b)), out)


def _operand(x, n, f):
    if isinstance(x, Schedule):
        return jnp.asarray(x._evaluate(num.Step(n, f)), num.float_dtype())
    return num.as_float(x)


class arithmetic(Schedule, internal=True):
    """``lhs op rhs`` for schedules and numbers, made by ``+ - * / **`` on
    schedules.

    Longer sums and products (``a + b + c``) are held flat, as one
    :class:`combine`.

    ``s ** p`` (Levanter's power schedule) raises a schedule to a number p
    (a finite real; a schedule as the exponent is refused):

    .. math:: \\eta(t) = \\begin{cases} s(t)^p & p \\in \\mathbb{Z} \\\\
       \\max(s(t), 0)^p & \\text{otherwise} \\end{cases}

    A whole power keeps the sign (``(-2) ** 3 = -8``); for a fractional power a
    negative value reads as 0 (a learning rate is non-negative, and a real
    power of a negative number is undefined).  A value past the float range,
    such as ``0 ** -1``, is the largest finite float, never ``inf``.

    Examples:
      >>> lr = linear_decay(0.1, 0.1) * exponential_decay(1.0, 0.9)
      >>> print(f"{lr(1):.4f}")
      0.0810
      >>> lr = cosine_decay(1.0, 100) ** 2
      >>> print(lr, f"{lr(50):.2f}")
      (cosine_decay(init_value=1.0, decay_steps=100) ** 2.0) 0.25
    """

    op: str = param(Choice(options=tuple(_OPS)))
    lhs: Any = param(Anything())
    rhs: Any = param(Anything())

    def __check_init__(self):
        name = "arithmetic"
        if self.op == "**" and isinstance(self.rhs, Schedule):
            chk.fail(name, "rhs", self.rhs, "a number: the exponent of `**` is a "
                     "real number, not a schedule", TypeError)  # fmt: skip
        for side in ("lhs", "rhs"):
            value = getattr(self, side)
            if not isinstance(value, Schedule):
                object.__setattr__(self, side, Real().check(name, side, value))
        if self.op == "/" and not isinstance(self.rhs, Schedule):
            if chk.is_concrete(self.rhs) and self.rhs == 0:
                chk.fail(
                    name,
                    "rhs",
                    self.rhs,
                    "non-zero: a schedule cannot be divided by zero",
                )

    def _evaluate(self, step):
        n, f = step
        return _defined(self.op, _operand(self.lhs, n, f), _operand(self.rhs, n, f))

    def __repr__(self):
        return f"({_side(self.lhs)} {self.op} {_side(self.rhs)})"

    def settles_at(self):
        return _latest(self.lhs, self.rhs)

    def breakpoints(self):
        return _merged(side for side in (self.lhs, self.rhs))


def _latest(*parts):
    """The latest step from which every part holds its value (numbers hold
    from 0), or None when one part never settles."""
    ends = [p.settles_at() if isinstance(p, Schedule) else 0 for p in parts]
    return None if any(e is None for e in ends) else max(ends, default=0)


def _merged(parts):
    marks = set()
    for part in parts:
        if isinstance(part, Schedule):
            marks.update(part.breakpoints())
    return tuple(sorted(marks))


class combine(Schedule, internal=True):
    """A flat sum or product of schedules and numbers, made by ``a + b + c``
    (``a * b * c``) on schedules: any number of terms, evaluated, printed,
    hashed, pickled and saved without nesting, so a sum of 10,000 schedules
    works like a sum of three.  Terms that are the same schedule are evaluated
    once (and counted), and terms of the same kind with different numbers are
    evaluated together, so the graph does not grow with their count.

    .. math:: \\eta(t) = \\sum_i s_i(t) \\quad \\text{or} \\quad \\prod_i s_i(t)

    Args:
      op: ``"+"`` or ``"*"``.
      terms: at least two schedules or numbers.

    Examples:
      >>> lr = sum([constant(1e-3)] * 1500)
      >>> print(f"{lr(0):.4f}")
      1.5000
    """

    op: str = param(Choice(options=("+", "*")))
    terms: tuple = param(Anything())

    def __check_init__(self):
        terms = self.terms
        if isinstance(terms, (Schedule, str, bytes)) or not isinstance(
            terms, (list, tuple)
        ):
            chk.fail("combine", "terms", terms, "a sequence of schedules and numbers",
                     TypeError)  # fmt: skip
        if len(terms) < 2:
            chk.fail("combine", "terms", list(terms), "at least two terms")
        checked = tuple(
            t if isinstance(t, Schedule) else Real().check("combine", f"terms[{i}]", t)
            for i, t in enumerate(terms)
        )
        object.__setattr__(self, "terms", checked)

    @classmethod
    def _extend(cls, op, left, right):
        """``left op right`` flattened: the terms of a ``combine`` of the same
        ``op`` (or of a binary ``arithmetic``) are taken over as they are."""
        terms = []
        for side in (left, right):
            if isinstance(side, combine) and side.op == op:
                terms.extend(side.terms)
            elif isinstance(side, arithmetic) and side.op == op:
                terms.extend((side.lhs, side.rhs))
            elif isinstance(side, Schedule):
                terms.append(side)
            else:
                terms.append(Real().check("arithmetic", "rhs", side))
        obj = object.__new__(cls)
        # Every term is already checked (a schedule, or a number just checked).
        object.__setattr__(obj, "op", op)
        object.__setattr__(obj, "terms", tuple(terms))
        return obj

    def _evaluate(self, step):
        packed = self.__dict__.get("_packed") or _pack(self.terms)
        return _evaluate_packed(self.op, packed, step)

    # A pytree of a few stacked arrays, whatever the number of terms: the
    # terms of one structure become one array per leaf (so a sum of 10,000
    # schedules passed to jit is a handful of arguments, not 10,000).

    def _tree_flatten(self):
        return _flatten_terms(
            self.op, self.__dict__.get("_packed") or _pack(self.terms)
        )

    @classmethod
    def _tree_unflatten(cls, aux, children):
        op, terms, packed = _unflatten_terms(aux, children)
        obj = object.__new__(cls)
        object.__setattr__(obj, "op", op)
        object.__setattr__(obj, "terms", terms)
        if terms is None:  # traced (or a tree of other things): kept packed
            object.__setattr__(obj, "_packed", packed)
        return obj

    def __repr__(self):
        return "(" + f" {self.op} ".join(_side(t) for t in self.terms) + ")"

    def settles_at(self):
        return _latest(*self.terms)

    def breakpoints(self):
        return _merged(self.terms)


def _flatten_terms(op, packed):
    """A flat term list's pytree children and aux data: the numbers, and one
    stacked column per leaf of each group of alike schedules."""
    numbers, groups = packed
    count = len(numbers) + sum(len(pos) for _, pos, _ in groups)
    children = [
        tuple(x for _, x in numbers),
        *(col for _, _, cols in groups for col in cols),
    ]
    kinds = tuple((treedef, pos, len(cols)) for treedef, pos, cols in groups)
    return children, (op, count, tuple(i for i, _ in numbers), kinds)


def _unflatten_terms(aux, children):
    """``(op, terms, packed)`` from :func:`_flatten_terms`'s output: the terms
    rebuilt from concrete stacks, else None (and the packed form kept)."""
    op, count, number_positions, kinds = aux
    numbers = tuple(zip(number_positions, children[0], strict=True))
    rest, groups = list(children[1:]), []
    for treedef, positions, width in kinds:
        groups.append((treedef, positions, rest[:width]))
        rest = rest[width:]
    if _stacks(children[0], groups):
        return op, _unpack(count, numbers, groups), None
    return op, None, (numbers, groups)


def _pack(terms):
    """``(numbers, groups)``: the number terms (with their positions) and the
    schedule terms grouped by structure, each group ``(treedef, positions,
    columns)`` with one column per leaf (the leaf of every term, stacked)."""
    numbers = tuple((i, t) for i, t in enumerate(terms) if not isinstance(t, Schedule))
    by_kind: dict = {}
    for i, t in enumerate(terms):
        if isinstance(t, Schedule):
            leaves, treedef = jax.tree_util.tree_flatten(t)
            key = (treedef, tuple(np.shape(x) for x in leaves))
            by_kind.setdefault(key, []).append((i, leaves))
    groups = []
    for (treedef, _), members in by_kind.items():
        positions = tuple(i for i, _ in members)
        columns = [_column(col) for col in zip(*(lv for _, lv in members), strict=True)]
        groups.append((treedef, positions, columns))
    return numbers, groups


def _column(values):
    """One leaf of the terms of a group: a NumPy stack when concrete (kept in
    float64 or int64), a device stack when traced."""
    if chk.is_concrete(list(values)) and not any(
        isinstance(v, jax.Array) for v in values
    ):
        return np.stack([np.asarray(v) for v in values])
    return jnp.stack([jnp.asarray(v) for v in values])


def _stacks(numbers, groups) -> bool:
    """Whether unflattened children are concrete stacks to rebuild terms from."""
    if not all(isinstance(x, (int, float, np.generic)) for x in numbers):
        return False
    for _, positions, columns in groups:
        for col in columns:
            if not isinstance(col, (np.ndarray, jax.Array)) or not chk.is_concrete(col):
                return False
            if col.ndim == 0 or col.shape[0] != len(positions):
                return False
    return True


def _unpack(count, numbers, groups):
    """The terms again, from concrete stacks (NumPy scalars back to Python)."""
    terms: list = [None] * count
    for i, value in numbers:
        terms[i] = value
    for treedef, positions, columns in groups:
        for row, i in enumerate(positions):
            leaves = [_scalar(col[row]) for col in columns]
            terms[i] = jax.tree_util.tree_unflatten(treedef, leaves)
    return tuple(terms)


def _scalar(x):
    return x.item() if isinstance(x, np.generic) else x


def _side(x):
    return repr(x) if isinstance(x, Schedule) else f"{x!r}"


def _select_min(a, b):
    # A select, not jnp.minimum: XLA's min and max flush subnormal values to 0.
    return jnp.where((b < a) | jnp.isnan(b), b, a)


def _select_max(a, b):
    return jnp.where((b > a) | jnp.isnan(b), b, a)


_FOLDS = {
    "+": functools.partial(_defined, "+"),
    "*": functools.partial(_defined, "*"),
    "min": _select_min,
    "max": _select_max,
}
_HOST = {"+": np.sum, "*": np.prod, "min": np.min, "max": np.max}


def _evaluate_packed(op, packed, step):
    """The sum (product, minimum, maximum) of the packed terms at ``step``:
    each group of alike schedules evaluated at once under ``vmap`` over its
    stacked leaves (a leaf equal in every term stays a constant), then
    reduced."""
    numbers, groups = packed
    fold = _FOLDS[op]
    values = [x for _, x in numbers]
    out = None
    if values and chk.is_concrete(values):
        out = num.as_float(_HOST[op](values))
    else:
        for x in values:
            out = num.as_float(x) if out is None else fold(out, num.as_float(x))
    for treedef, positions, columns in groups:
        value = _evaluate_group(op, treedef, len(positions), columns, step)
        out = value if out is None else fold(out, value)
    return out


def _evaluate_group(op, treedef, rows, columns, step):
    fixed, varying = [], []
    for col in columns:
        if isinstance(col, np.ndarray) and np.all(col == col[:1]):
            fixed.append(_scalar(col[0]) if col.ndim == 1 else col[0])
        else:
            fixed.append(None)
            varying.append(col)

    def one(*cols):
        it = iter(cols)
        leaves = [next(it) if v is None else v for v in fixed]
        value = jax.tree_util.tree_unflatten(treedef, leaves)._evaluate(step)
        return jnp.asarray(value, num.float_dtype())

    if not varying:  # the same schedule `rows` times
        value = one()
        if rows == 1 or op in ("min", "max"):
            return value
        if op == "+":
            return value * num.as_float(rows)
        return jnp.power(value, rows)
    # (in the default dtype: vmap hands back a term that is one of its
    # inputs, a float64 NumPy column, as it is)
    values = jnp.asarray(jax.vmap(one)(*varying), num.float_dtype())
    if op in ("+", "*"):  # NaN from terms past the float range: as _defined
        reduce = jnp.sum if op == "+" else jnp.prod
        out = reduce(values, axis=0)
        undefined = jnp.isnan(out) & ~jnp.any(jnp.isnan(values), axis=0)
        return jnp.where(undefined, reduce(num.saturate(values), axis=0), out)
    # The row holding the extreme, selected (NaN wins, as in a fold).
    pick = jnp.argmin(values, axis=0) if op == "min" else jnp.argmax(values, axis=0)
    return jnp.take_along_axis(values, pick[None], axis=0)[0]


class _Extremum(Schedule, abstract=True):
    """The elementwise minimum or maximum of schedules and numbers, held flat
    (see :class:`minimum`)."""

    _op: ClassVar[str] = ""

    schedules: tuple = param(Anything())

    def __init__(self, *schedules, **config):
        name = type(self).__name__
        if config:  # a config's form: schedules=[...]
            extra = [k for k in config if k != "schedules"]
            if extra or schedules:
                key = extra[0] if extra else "schedules"
                raise TypeError(
                    f"{name}: takes its schedules as positional arguments, "
                    f"{name}(a, b, ...); got the keyword argument {key}="
                    f"{chk.shown(config[key])}."
                )
            schedules = config["schedules"]
            if isinstance(schedules, (Schedule, str, bytes)) or not isinstance(
                schedules, (list, tuple)
            ):
                chk.fail(name, "schedules", schedules, "a sequence of schedules and "
                         "numbers", TypeError)  # fmt: skip
        elif len(schedules) == 1 and isinstance(schedules[0], (list, tuple)):
            schedules = schedules[0]  # as Python's min([a, b]) reads min(a, b)
        object.__setattr__(self, "schedules", tuple(schedules))
        self.__post_init__()

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("schedules", inspect.Parameter.VAR_POSITIONAL),
        ]
    )

    def __check_init__(self):
        name = type(self).__name__
        terms = self.schedules
        if len(terms) < 2:
            chk.fail(name, "schedules", list(terms), "at least two schedules or "
                     "numbers")  # fmt: skip
        flat = []
        for i, t in enumerate(terms):
            if type(t) is type(self) and t.schedules is not None:
                flat.extend(t.schedules)  # nested alike: taken over flat
            elif isinstance(t, Schedule):
                flat.append(t)
            elif _plain_callable(t):
                flat.append(as_schedule(name, f"schedules[{i}]", t))
            else:
                if isinstance(t, (str, bytes, list, tuple, dict)):
                    chk.fail(name, f"schedules[{i}]", t, "a schedule or a number",
                             TypeError)  # fmt: skip
                flat.append(Real().check(name, f"schedules[{i}]", t))
        object.__setattr__(self, "schedules", tuple(flat))

    def _evaluate(self, step):
        packed = self.__dict__.get("_packed") or _pack(self.schedules)
        return _evaluate_packed(self._op, packed, step)

    def _tree_flatten(self):
        packed = self.__dict__.get("_packed") or _pack(self.schedules)
        return _flatten_terms(self._op, packed)

    @classmethod
    def _tree_unflatten(cls, aux, children):
        _, terms, packed = _unflatten_terms(aux, children)
        obj = object.__new__(cls)
        object.__setattr__(obj, "schedules", terms)
        if terms is None:
            object.__setattr__(obj, "_packed", packed)
        return obj

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(_side(t) for t in self.schedules)})"

    def settles_at(self):
        return _latest(*self.schedules)

    def breakpoints(self):
        return _merged(self.schedules)


def _plain_callable(x) -> bool:
    return callable(x) and not isinstance(x, (Schedule, type, jax.Array, np.ndarray))


class minimum(_Extremum):
    """The elementwise minimum of schedules and numbers (praxis' and t5x's
    minimum of schedules): a schedule capped by another, or by a number.

    Any number of terms is held flat and evaluated as cheaply as two: terms of
    the same kind are evaluated together (see :class:`combine`), and a
    ``minimum`` given as a term is taken over flat.  Its breakpoints are those
    of all its terms; it settles when the last of them does.

    .. math:: \\eta(t) = \\min_i s_i(t)

    Args:
      *schedules: at least two schedules or numbers (or one list of them).

    Examples:
      >>> lr = minimum(linear(0.0, 1.0, 10), cosine_decay(1.0, 20), 0.8)
      >>> print([round(float(lr(t)), 3) for t in (0, 5, 10, 15)])
      [0.0, 0.5, 0.5, 0.146]
    """

    _op = "min"
    __init__ = _Extremum.__init__
    _tree_flatten = _Extremum._tree_flatten


class maximum(_Extremum):
    """The elementwise maximum of schedules and numbers: a schedule held above
    another, or above a floor.

    Held flat like :class:`minimum`.

    .. math:: \\eta(t) = \\max_i s_i(t)

    Args:
      *schedules: at least two schedules or numbers (or one list of them).

    Examples:
      >>> lr = maximum(cosine_decay(1.0, 100), linear(0.5, 0.0, 100), 0.1)
      >>> print([round(float(lr(t)), 3) for t in (0, 50, 100)])
      [1.0, 0.5, 0.1]
    """

    _op = "max"
    __init__ = _Extremum.__init__
    _tree_flatten = _Extremum._tree_flatten


@dataclasses.dataclass(frozen=True)
class ScheduleOrReal(Kind):
    """A number (a finite real the float dtype holds) or a schedule (any
    callable of the step is wrapped by :class:`from_fn`); None when
    ``optional``."""

    optional: bool = False

    def check(self, func, name, value):
        if value is None and self.optional:
            return None
        if isinstance(value, Schedule):
            return value
        if _plain_callable(value):
            return as_schedule(func, name, value)
        if chk.is_concrete(value) and (
            isinstance(value, bool) or not chk._is_number(value)
        ):
            chk.fail(func, name, value, "a number or a schedule", TypeError)
        return Real(optional=self.optional).check(func, name, value)


class clip(Schedule):
    """A schedule held within ``[min_value, max_value]``; each bound is a
    number or a schedule.

    .. math:: \\eta(t) = \\min(\\max(s(t), lo(t)), hi(t))

    Where both bounds are schedules and ``lo(t) > hi(t)``, the upper bound
    wins (the maximum is taken first).  Its breakpoints are those of the
    schedule and of its bounds.

    Args:
      schedule: the schedule to clip.
      min_value: lower bound (a number or a schedule), or None.
      max_value: upper bound (a number or a schedule), or None.

    Examples:
      >>> lr = clip(linear(1.0, -1.0, 10), min_value=0.1)
      >>> print(f"{lr(0):.1f} {lr(10):.1f}")
      1.0 0.1
      >>> lr = clip(constant(1.0), max_value=linear(0.0, 2.0, 10))
      >>> print(f"{lr(2):.1f} {lr(8):.1f}")
      0.4 1.0
    """

    schedule: Any = param(ScheduleArg())
    min_value: Any = param(ScheduleOrReal(optional=True), default=None)
    max_value: Any = param(ScheduleOrReal(optional=True), default=None)

    def __check_init__(self):
        name = "clip"
        if self.min_value is None and self.max_value is None:
            raise ValueError(
                f"{name}: give `min_value`, `max_value` or both; got neither."
            )
        lo, hi = self.min_value, self.max_value
        if (
            lo is not None
            and hi is not None
            and not isinstance(lo, Schedule)
            and not isinstance(hi, Schedule)
            and chk.is_concrete([lo, hi])
            and lo > hi
        ):
            raise ValueError(
                f"{name}: `min_value` must not exceed `max_value`; got "
                f"min_value={lo!r}, max_value={hi!r}."
            )

    def _evaluate(self, step):
        n, f = step
        value = self.schedule._value(num.Step(n, f))
        if self.min_value is not None:
            value = jnp.maximum(value, _operand(self.min_value, n, f))
        if self.max_value is not None:
            value = jnp.minimum(value, _operand(self.max_value, n, f))
        return value

    def settles_at(self):
        return _latest(self.schedule, self.min_value, self.max_value)

    def breakpoints(self):
        return _merged((self.schedule, self.min_value, self.max_value))


class shift(Schedule):
    """A schedule delayed by ``steps`` (or advanced, when negative).

    .. math:: \\eta(t) = s(\\max(t - k, 0))

    Args:
      schedule: the schedule to shift.
      steps: k, an integer; the schedule's step 0 happens at step k.  An
        advance (k < 0) reads the schedule at steps up to ``2**31 - 1 - k``
        (without ``jax_enable_x64``); those past ``2**31 - 1`` read it there,
        which is exact for a schedule that holds its value from an earlier
        step (a decay to its end, a warmup-cosine, a join ending in one).  For
        one that never settles (an exponential decay, a cycle) the advance is
        at most 2**30 steps.

    Examples:
      >>> lr = shift(linear(1.0, 0.0, 10), 5)
      >>> print(f"{lr(0):.1f} {lr(5):.1f} {lr(10):.1f}")
      1.0 1.0 0.5
    """

    schedule: Any = param(ScheduleArg())
    steps: Any = param(Steps(low=-(2**63) + 1, allowed="an integer"))

    def __check_init__(self):
        k, top = self.steps, num.top_step()
        if not chk.is_concrete(k) or k >= -((top + 1) // 2):
            return
        end = self.schedule.settles_at()
        if end is None or end > top:  # else steps past the top read its end
            chk.fail(
                "shift",
                "steps",
                k,
                f"an integer >= -{(top + 1) // 2:,}: advancing a schedule by "
                f"more moves over half of its steps past {top:,}, the last "
                "step it can be evaluated at (enable jax_enable_x64 for "
                "64-bit steps)",
            )

    def _evaluate(self, step):
        n, f = step
        # Advanced steps past the top read the schedule there, as a step past
        # the top does (see the README's step domain): exact for a schedule
        # that settles by then.
        n, f = num.clamp_steps(num.sub_steps(n, self.steps), f)
        return self.schedule._evaluate(num.Step(n, f))

    def settles_at(self):
        end = self.schedule.settles_at()
        if end is None or not chk.is_concrete(self.steps):
            return None
        return max(end + self.steps, 0)

    def breakpoints(self):
        k = self.steps
        if not chk.is_concrete(k):
            return ()
        marks = {p + k for p in self.schedule.breakpoints() if 0 < p + k < 2**63}
        if k > 0:
            marks.add(k)
        return tuple(sorted(marks))


class repeat(Schedule):
    """A schedule restarted every ``period`` steps.

    .. math:: \\eta(t) = s(t \\bmod P)

    Args:
      schedule: the schedule to repeat.
      period: P > 0 steps per cycle.

    Examples:
      >>> lr = repeat(cosine_decay(1.0, 100), period=100)
      >>> print(f"{lr(99):.4f} {lr(100):.4f}")
      0.0002 1.0000
    """

    schedule: Any = param(ScheduleArg())
    period: Any = param(Steps(low=1))

    def _evaluate(self, step):
        n, f = step
        return self.schedule._evaluate(num.Step(num.divmod_steps(n, self.period)[1], f))

    def breakpoints(self):
        return _multiples(self.period)


class scale_steps(Schedule):
    """A periodic schedule read ``factor`` times faster: ``s(factor * t)``.

    ``schedule`` must repeat every ``period`` steps (a :class:`repeat`, say);
    the step is first reduced modulo the period of ``t -> factor * t mod
    period``, so ``factor * t`` is formed exactly in integers at any step.  It
    puts a cosine of a fractional number of cycles on whole steps (e.g.
    transformers' ``num_cycles``): the wave's half period and the factor are
    the fraction's denominator and numerator.

    .. math:: \\eta(t) = s\\big((F\\,(t \\bmod P')) + F\\,\\{t\\}\\big),
       \\quad P' = P / \\gcd(F, P)

    Args:
      schedule: a schedule that repeats every ``period`` steps.
      factor: F, a whole number of steps of ``schedule`` per step, >= 1.
      period: P, the period of ``schedule``, >= 1.

    Examples:
      >>> wave = repeat(cosine_decay(1.0, 4), period=4)
      >>> lr = scale_steps(wave, factor=2, period=4)
      >>> print([round(float(lr(t)), 3) for t in range(4)])
      [1.0, 0.5, 1.0, 0.5]
    """

    schedule: Any = param(ScheduleArg())
    factor: int = param(Steps(low=1, duration=False), static=True)
    period: int = param(Steps(low=1), static=True)

    def __check_init__(self):
        name = "scale_steps"
        for field in ("factor", "period"):
            value = getattr(self, field)
            if not chk.is_concrete(value):
                chk.fail(
                    name, field, value, "a concrete integer (it fixes the steps)",
                    TypeError,
                )  # fmt: skip
        cycle = self.period // math.gcd(self.factor, self.period)
        if self.factor * cycle > np.iinfo(np.int32).max:
            chk.fail(
                name,
                "factor",
                self.factor,
                f"small enough that factor * {cycle} (the reduced period) fits in "
                "int32, so the scaled step is exact",
            )

    def _evaluate(self, step):
        n, f = step
        cycle = self.period // math.gcd(self.factor, self.period)
        x = num.divmod_steps(n, cycle)[1]
        # (x + f) * factor: whole steps in integers, the fraction carried exactly
        return self.schedule._evaluate(num.Step(*num.ratio_steps(x, f, 1, self.factor)))


class staircase(Schedule):
    """A schedule sampled at the start of every block of ``every`` steps.

    .. math:: \\eta(t) = s(E \\lfloor t / E \\rfloor)

    Args:
      schedule: the schedule to sample.
      every: E > 0 steps per stair.

    Examples:
      >>> lr = staircase(exponential_decay(0.1, 0.9, transition_steps=100), 100)
      >>> print(f"{lr(199):.4f} {lr(200):.4f}")
      0.0900 0.0810
    """

    schedule: Any = param(ScheduleArg())
    every: Any = param(Steps(low=1))

    def _evaluate(self, step):
        n, f = step
        q, r = num.divmod_steps(n, self.every)
        return self.schedule._evaluate(num.Step(n - r, None))

    def settles_at(self):
        end, every = self.schedule.settles_at(), self.every
        if end is None or not chk.is_concrete(every):
            return None
        return -(-end // every) * every

    def breakpoints(self):
        return _multiples(self.every)


WARMUP_SHAPES = ("linear", "cosine", "exponential")


class warmup(Schedule):
    """A warmup from ``init_value`` to the schedule's first value, then the
    schedule (which sees the step counted from the end of the warmup).

    .. math:: \\eta(t) = \\begin{cases} r(t) & t < W \\\\
       s(t - W) & t \\ge W \\end{cases}

    with the ramp ``r`` from :math:`v_0` (``init_value``) to :math:`v_1 = s(0)`
    of the chosen ``shape``:

    - ``"linear"``: :math:`v_0 + (v_1 - v_0)\\, t / W`;
    - ``"cosine"``: :math:`v_0 + (v_1 - v_0)\\,(1 - \\cos(\\pi t / W)) / 2`;
    - ``"exponential"`` (geometric): :math:`v_0\\,(v_1 / v_0)^{t / W}`, which
      needs :math:`v_0 > 0` (refused otherwise) and :math:`v_1 > 0`; the
      schedule's first value is known only when it is evaluated, so where it
      is not positive (or a traced ``init_value`` is not) the ramp is the
      linear one instead of a NaN.

    Args:
      schedule: the schedule to run after the warmup.
      warmup_steps: W >= 0 (0 means no warmup).
      init_value: value at step 0 (> 0 for the exponential shape).
      shape: ``"linear"``, ``"cosine"`` or ``"exponential"``.

    Examples:
      >>> lr = warmup(cosine_decay(1e-3, 1000), warmup_steps=100)
      >>> print(f"{lr(50):.1e} {lr(100):.1e}")
      5.0e-04 1.0e-03
      >>> lr = warmup(constant(1e-3), 100, init_value=1e-5, shape="exponential")
      >>> print(f"{lr(50):.1e}")
      1.0e-04
    """

    schedule: Any = param(ScheduleArg())
    warmup_steps: Any = param(Steps())
    init_value: Any = param(Real(), default=0.0)
    shape: str = param(Choice(options=WARMUP_SHAPES), default="linear")

    def __check_init__(self):
        v0 = self.init_value
        if self.shape == "exponential" and chk.is_concrete(v0) and not v0 > 0:
            chk.fail("warmup", "init_value", v0, "> 0 for shape='exponential' (a "
                     "geometric ramp starts from a positive value)")  # fmt: skip

    def _evaluate(self, step):
        n, f = step
        zero = jnp.zeros((), num.int_dtype())
        peak = self.schedule._value(num.Step(zero, None))
        w = self.warmup_steps
        length = max(w, 1) if chk.is_concrete(w) else jnp.maximum(w, 1)
        if self.shape == "cosine":
            ramp = cosine_decay(self.init_value, length, end_value=peak)
        elif self.shape == "exponential":
            ramp = _geometric(self.init_value, peak, length)
        else:
            ramp = linear(self.init_value, peak, length)
        boundary = [w] if chk.is_concrete(w) else jnp.reshape(w, (1,))
        return join([ramp, self.schedule], boundary)._evaluate(num.Step(n, f))

    def settles_at(self):
        end = self.schedule.settles_at()
        if end is None or not chk.is_concrete(self.warmup_steps):
            return None
        return end + self.warmup_steps

    def breakpoints(self):
        w = self.warmup_steps
        if not chk.is_concrete(w):
            return ()
        return tuple(
            sorted({*([w] if w else []), *(p + w for p in self.schedule.breakpoints())})
        )


class _geometric(Schedule):
    """The exponential warmup's ramp: ``v0 (v1 / v0) ** (t / T)`` up to T,
    linear where ``v0`` or ``v1`` is not positive (never a NaN)."""

    init_value: Any = param(Real())
    end_value: Any = param(Real())
    transition_steps: Any = param(Steps(low=1))

    def _evaluate(self, step):
        n, f = step
        done, remaining, length = clamped_done(n, f, self.transition_steps)
        v0, v1 = num.as_float(self.init_value), num.as_float(self.end_value)
        ok = (v0 > 0) & (v1 > 0)
        one = jnp.ones_like(v0)
        log_ratio = el.log(jnp.where(ok, v1, one)) - el.log(jnp.where(ok, v0, one))
        x = num.quotient(done, length)
        geometric = jnp.where(ok, v0, one) * el.exp(x * log_ratio)
        return jnp.where(ok, geometric, num.anneal(v0, v1, done, remaining, length))


class untuned_warmup(Schedule):
    """Ma & Yarats' untuned linear warmup for Adam-type optimizers ("On the
    adequacy of untuned warmup for adaptive optimization", 2021): the schedule
    multiplied by a factor rising linearly over about ``2 / (1 - b2)`` steps.

    .. math:: \\eta(t) = s(t)\\,
       \\min\\big(1,\\ \\tfrac{1 - \\beta_2}{2}\\,(t + 1)\\big)

    The paper's rule is :math:`\\omega_\\tau = \\min(1, (1 - \\beta_2)\\,
    \\tau / 2)` for Adam's iteration :math:`\\tau = 1, 2, \\ldots`; step ``t``
    here is iteration ``t + 1`` (step 0 is Adam's first update), so no rounding
    is involved: the factor is 1 from the first step with ``t + 1 >= 2 / (1 -
    b2)`` (step 1999 for ``b2 = 0.999``; ``2 / (1 - b2)`` is read to 1e-9, so
    that ``b2 = 0.9``, 20 steps, is not 20.000000000000004 of them).  Unlike
    :class:`warmup`, the schedule is not delayed: the factor multiplies it at
    the same step.

    Args:
      schedule: the schedule to warm up.
      b2: Adam's second-moment decay rate, in (0, 1).

    Examples:
      >>> lr = untuned_warmup(constant(1e-3), b2=0.999)
      >>> print(f"{lr(0):.1e} {lr(999):.1e} {lr(5000):.1e}")
      5.0e-07 5.0e-04 1.0e-03
    """

    schedule: Any = param(ScheduleArg())
    b2: Any = param(Real(low=0, high=1, low_open=True, high_open=True,
                         coefficient=True))  # fmt: skip

    def _end(self):
        """The first step whose factor is 1 (concrete ``b2``), else None."""
        if not chk.is_concrete(self.b2):
            return None
        # 2 / (1 - b2) read to 1e-9: the float 0.9 makes it 20.000000000000004
        # steps, which the paper's rule means as 20.
        return max(math.ceil(2.0 / (1.0 - self.b2) - 1e-9) - 1, 0)

    def _evaluate(self, step):
        n, f = step
        end = self._end()
        # Steps past the end read it (the factor is 1 there): the count stays
        # small enough to be exact in floats.
        m = num.min_steps(n, end) if end is not None else n
        ramp = num.as_float((1.0 - self.b2) / 2.0) * (num.real(m, f) + 1)
        done = ramp >= 1
        if end is not None:
            done = done | num.reached(n, end)
        factor = jnp.where(done, jnp.ones_like(ramp), ramp)
        return self.schedule._value(num.Step(n, f)) * factor

    def settles_at(self):
        end, inner = self._end(), self.schedule.settles_at()
        return None if end is None or inner is None else max(end, inner)

    def breakpoints(self):
        end = self._end()
        marks = set(self.schedule.breakpoints())
        if end:
            marks.add(end)
        return tuple(sorted(marks))


def _multiples(period):
    """The first few multiples of a period (concrete), for describe()."""
    if not chk.is_concrete(period):
        return ()
    return tuple(k * period for k in (1, 2, 3) if k * period < 2**63)
