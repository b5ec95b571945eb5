"""Durations: step counts written in the units of a run's config.

Wherever a schedule takes a number of steps, it also takes a string:

- ``"1500"``, ``"1500ba"``: steps (batches), whole at once;
- ``"10%"``, ``"0.1dur"``: a fraction of the run (needs ``total_steps``);
- ``"*"``: what the schedule's other phases leave of the run (``total_steps``);
- ``"2ep"``: epochs (``steps_per_epoch``);
- ``"1e9tok"``, ``"1Gtok"``, ``"500Mtok"``: tokens (``tokens_per_step``); the
  prefixes are ``K`` (10**3), ``M``, ``G`` or ``B`` (10**9) and ``T``;
- ``"3e6sp"``: samples (``samples_per_step``).

Numbers are read as exact decimals (``"0.1dur"`` is 1/10, not the nearest
binary float), and the product with the run's figures is rounded once, as
``resolve(rounding=...)`` says: ``"floor"`` (composer's ``Time`` strings and
Levanter's ratios truncate), ``"ceil"`` (transformers rounds ``warmup_ratio``
up) or ``"round"`` (to nearest, ties up).
"""

from __future__ import annotations

import dataclasses
import math
import re
from decimal import Decimal
from fractions import Fraction

from . import checks as chk

__all__ = ["Duration", "parse", "RunFigures", "ROUNDINGS", "ALLOWED", "describe"]

ROUNDINGS = ("floor", "ceil", "round")

ALLOWED = (
    "a duration: steps ('1500', '1500ba'), a fraction of the run ('10%', "
    "'0.1dur'), epochs ('2ep'), tokens ('1e9tok', '500Mtok'), samples ('3e6sp')"
)

# unit: (what it is, the figure that resolves it)
_UNITS = {
    "ba": ("steps", None),
    "dur": ("a fraction of the run", "total_steps"),
    "rest": ("the rest of the run", "total_steps"),
    "ep": ("epochs", "steps_per_epoch"),
    "tok": ("tokens", "tokens_per_step"),
    "sp": ("samples", "samples_per_step"),
}
_PREFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9,
             "T": 10**12}  # fmt: skip
# Durations are numbers from 1e-30 to 1e30 (a step count is at most ~9.2e18).
_EXPONENT = 30
_PATTERN = re.compile(
    r"^\s*(?P<number>[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?)"
    r"\s*(?P<prefix>[kKMGBT]?)\s*(?P<unit>ba|dur|ep|tok|sp|%)?\s*$"
)


@dataclasses.dataclass(frozen=True, eq=False)
class Duration:
    """A duration as written (``text``): an amount of a unit, resolved to
    whole steps by :meth:`steps`.  Shown, saved and compared as written."""

    text: str
    unit: str
    amount: Fraction | None  # None for "*"

    def __repr__(self):
        return repr(self.text)

    def __eq__(self, other):
        if not isinstance(other, Duration):
            return NotImplemented
        return (self.unit, self.amount) == (other.unit, other.amount)

    def __hash__(self):
        return hash((self.unit, self.amount))

    @property
    def needs(self) -> str | None:
        """The figure of :meth:`Schedule.resolve` this duration needs."""
        return _UNITS[self.unit][1]

    def explain(self, name: str) -> str:
        """``name='10%', a fraction of the run``."""
        return f"{name}={self.text!r}, {_UNITS[self.unit][0]}"

    def steps(self, figures: RunFigures, rest: int | None = None) -> int:
        """The whole number of steps this duration lasts in a run of
        ``figures`` (``rest``: what the other phases leave, for ``"*"``)."""
        if self.unit == "rest":
            return rest  # type: ignore[return-value]
        if self.unit == "ba":
            return int(self.amount)  # type: ignore[arg-type]
        figure = getattr(figures, self.needs)  # type: ignore[arg-type]
        if self.unit in ("tok", "sp"):
            exact = self.amount / figure  # type: ignore[operator]
        else:
            exact = self.amount * figure  # type: ignore[operator]
        return figures.rounded(exact)


@dataclasses.dataclass(frozen=True)
class RunFigures:
    """What a run knows about itself: the figures durations resolve with
    (exact fractions; None where not given) and the rounding."""

    total_steps: int | None = None
    steps_per_epoch: Fraction | None = None
    tokens_per_step: Fraction | None = None
    samples_per_step: Fraction | None = None
    rounding: str = "floor"

    def rounded(self, exact: Fraction) -> int:
        if self.rounding == "floor":
            return math.floor(exact)
        if self.rounding == "ceil":
            return math.ceil(exact)
        return math.floor(exact + Fraction(1, 2))

    def shown(self) -> str:
        parts = [
            f"{f.name}={_figure(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
            if f.name != "rounding" and getattr(self, f.name) is not None
        ]
        return ", ".join([*parts, f"rounding={self.rounding!r}"])


def describe(unit: str) -> str:
    """What a unit counts: ``"a fraction of the run"``."""
    return _UNITS[unit][0]


def _figure(x):
    return str(x) if isinstance(x, Fraction) and x.denominator != 1 else int(x)


def exact(func: str, name: str, value, *, positive=True) -> Fraction:
    """A concrete real number as an exact fraction; a float is read as the
    decimal it prints as (``0.1`` is 1/10)."""
    if (
        isinstance(value, bool)
        or not chk._is_number(value)
        or isinstance(value, complex)
    ):
        chk.fail(func, name, value, "a positive number", TypeError)
    if isinstance(value, int) or hasattr(value, "__index__"):
        out = Fraction(int(value))
    else:
        x = float(value)
        if not math.isfinite(x):
            chk.fail(func, name, value, "a positive finite number")
        out = Fraction(repr(x))
    if positive and out <= 0:
        chk.fail(func, name, value, "a positive number")
    return out


def parse(func: str, name: str, text: str, *, steps_only: bool = False):
    """A duration string as whole steps (an ``int``, when it is written in
    steps) or a :class:`Duration` to resolve later."""
    allowed = ALLOWED + (", or '*' (the rest of the run)" if not steps_only else "")
    if text.strip() == "*":
        return Duration("*", "rest", None)
    if text.lstrip().startswith("-"):
        chk.fail(func, name, text, f"{allowed}; a duration is never negative")
    match = _PATTERN.match(text)
    if (
        match is None
        or any(bad in match["number"] for bad in ("__", "_.", "._", "_e", "_E"))
        or match["number"].endswith("_")
    ):
        chk.fail(func, name, text, allowed)
    number, prefix, unit = match["number"], match["prefix"], match["unit"] or "ba"
    try:
        decimal = Decimal(number.replace("_", ""))
        in_range = not decimal or -_EXPONENT <= decimal.adjusted() <= _EXPONENT
    except (ArithmeticError, ValueError):  # an exponent past Decimal's own range
        in_range = False
    if not in_range:
        # (1e999999999 would take minutes to write out exactly)
        chk.fail(func, name, text, f"{allowed}, with a number from 1e-{_EXPONENT} to "
                 f"1e{_EXPONENT}")  # fmt: skip
    amount = Fraction(decimal) * _PREFIXES[prefix] if decimal else Fraction(0)
    if unit == "%":
        if prefix:
            chk.fail(func, name, text, allowed)
        unit, amount = "dur", amount / 100
    if unit == "dur" and (prefix or amount > 1):
        chk.fail(func, name, text, "a fraction of the run of at most 100% (1dur)")
    if unit == "ba":
        if amount.denominator != 1:
            chk.fail(func, name, text, "a whole number of steps")
        return int(amount)
    return Duration(text.strip(), unit, amount)


def contains(value) -> bool:
    """Whether a field value holds a duration (itself, or in a sequence)."""
    if isinstance(value, Duration):
        return True
    return isinstance(value, (tuple, list)) and any(
        isinstance(v, Duration) for v in value
    )
