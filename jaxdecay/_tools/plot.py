"""Seeing schedules: a matplotlib figure and a text chart for terminals."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .._core.base import Schedule
from .._core.numerics import top_step
from .config import parse

__all__ = ["plot", "text_chart", "labelled", "key_points", "max_steps", "MAX_POINTS"]

#: The most steps drawn on a curve: beyond it, the steps are sampled evenly
#: (plus each breakpoint and the step before it, so jumps stay sharp).
MAX_POINTS = 4096


def labelled(schedules) -> list[tuple[str, Schedule]]:
    """``(label, schedule)`` pairs from a schedule, a spec string, a list of
    them, or a ``{label: schedule}`` mapping."""
    if isinstance(schedules, Mapping):
        items = list(schedules.items())
    elif isinstance(schedules, (Schedule, str)) or callable(schedules):
        items = [(None, schedules)]
    elif isinstance(schedules, Sequence):
        items = [(None, s) for s in schedules]
    else:
        raise TypeError(
            "plot: `schedules` must be a schedule, a spec string, a list of them "
            f"or a {{label: schedule}} dict; got {schedules!r}."
        )
    out = []
    for label, s in items:
        if isinstance(s, str):
            s = parse(s)
        if not callable(s):
            raise TypeError(f"plot: {s!r} is not a schedule.")
        out.append((label if label is not None else _label(s), s))
    return out


def _label(s) -> str:
    text = repr(s)
    return text if len(text) <= 60 else text[:57] + "..."


def max_steps() -> int:
    """The most steps a schedule can be drawn over: one more than the largest
    step a schedule is evaluated at (``2**31 - 1``, or ``2**63 - 1`` with
    ``jax_enable_x64``; larger steps would saturate there)."""
    return top_step() + 1


def _count(steps, who: str) -> int:
    """``steps`` as a number of steps, checked: a whole number in
    ``1 .. max_steps()``."""
    try:
        n = int(steps)
        whole = not isinstance(steps, bool) and n == steps
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise TypeError(
            f"{who}: `steps` must be a whole number of steps or an array of "
            f"steps; got steps={steps!r}."
        )
    if n < 1:
        raise ValueError(f"{who}: `steps` must be >= 1; got steps={steps!r}.")
    top = max_steps()
    if n > top:
        raise ValueError(
            f"{who}: `steps` must be at most {top} (steps 0 .. {top - 1}; larger "
            f"steps need jax_enable_x64); got steps={steps!r}."
        )
    return n


def _even(last: int, count: int) -> list[int]:
    """``count`` steps spread evenly over ``0 .. last`` (exact integers)."""
    if count < 2 or last == 0:
        return [0]
    return sorted({i * last // (count - 1) for i in range(count)})


def _steps(steps, schedules=(), who: str = "plot") -> np.ndarray:
    """The steps to draw: the given array, or all of ``0 .. steps-1`` when there
    are at most ``MAX_POINTS`` (4096), else ``MAX_POINTS`` (4096) of them spread
    evenly plus the schedules' breakpoints and the step before each (at most
    ``MAX_POINTS`` (4096) of those too)."""
    if np.ndim(steps) != 0:
        return np.asarray(steps)
    n = _count(steps, who)
    if n <= MAX_POINTS:
        return np.arange(n)
    last = n - 1
    at = set(_even(last, MAX_POINTS))
    marks = sorted(
        {
            int(b)
            for s in schedules
            if isinstance(s, Schedule)
            for b in s.breakpoints()
            if 0 <= b <= last
        }
    )[:MAX_POINTS]
    at.update(marks)
    at.update(b - 1 for b in marks if b > 0)
    return np.array(sorted(at), dtype=np.int64)


def _span(steps, who: str) -> np.ndarray:
    """The first and last of the steps (without building them all)."""
    if np.ndim(steps) == 0:
        return np.array([0, _count(steps, who) - 1], dtype=np.int64)
    x = np.asarray(steps)
    return np.array([x.min(), x.max()])


def key_points(schedule, steps) -> list[tuple[int, float]]:
    """A schedule's key points within ``steps`` (see :meth:`Schedule.key_points`);
    plain callables have only their first and last step.

    ``steps`` is a number of steps (``0 .. steps-1``, any number up to
    ``max_steps()``: the steps are not built) or the steps themselves.

    Examples:
      >>> key_points(warmup_cosine_decay(1.0, 10, 100), 10**9)
      [(0, 0.0), (10, 1.0), (100, 0.0), (999999999, 0.0)]
    """
    span = _span(steps, "key_points")
    if isinstance(schedule, Schedule):
        return schedule.key_points(span)
    at = [int(span.min()), int(span.max())]
    values = np.asarray(schedule(np.asarray(at)), np.float64)
    return [(s, float(v)) for s, v in zip(at, values, strict=True)]


def plot(
    schedules,
    steps=1000,
    ax=None,
    *,
    log: bool = False,
    marks: bool = True,
    title: str | None = None,
):
    """Draws one or several schedules against the step and returns the figure.

    Args:
      schedules: a schedule, a spec string (``"cosine_decay(0.1, 1000)"``), a
        list of them, or a ``{label: schedule}`` dict.
      steps: the number of steps to draw (``0 .. steps-1``, at most
        ``max_steps()``) or the steps themselves.  Beyond
        ``MAX_POINTS`` (4096) steps, the curve is drawn through
        ``MAX_POINTS`` (4096) steps spread evenly plus each breakpoint and the
        step before it, so the work is bounded.
      ax: a matplotlib ``Axes`` to draw on; a new figure when None.
      log: a logarithmic value axis.
      marks: mark each schedule's breakpoints (phase changes, restarts,
        boundaries) with dots.
      title: a title for the axes.

    Returns:
      The matplotlib ``Figure``.  Needs matplotlib (``pip install
      "jaxdecay[plot]"``).

    Examples:
      >>> import matplotlib
      >>> matplotlib.use("Agg")
      >>> fig = plot({"cosine": cosine_decay(1.0, 100),
      ...             "steps": step_decay(1.0, 30, 0.5)}, steps=100)
      >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
      ['cosine', 'steps']
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            'plot needs matplotlib; install it with `pip install "jaxdecay[plot]"`.'
        ) from error
    items = labelled(schedules)
    x = _steps(steps, [s for _, s in items])
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    lines = []
    for label, s in items:
        (line,) = ax.plot(x, np.asarray(s(x), np.float64), label=label)
        lines.append((line, s))
    if marks:
        for line, s in lines:
            points = key_points(s, x)
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                "o",
                ms=4,
                color=line.get_color(),
                label="_nolegend_",
            )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    if title:
        ax.set_title(title)
    if len(items) > 1 or items[0][0] != _label(items[0][1]):
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax.figure


def text_chart(schedule, steps, width: int = 60, height: int = 12) -> str:
    """A small chart of ``schedule`` over ``steps`` drawn with characters.

    Args:
      schedule: a schedule (or any callable of the step).
      steps: a number of steps (``0 .. steps-1``, at most ``max_steps()``; only
        the ``width`` steps drawn are built) or the steps themselves.
      width: columns of the chart, >= 2; one step per column, spread evenly.
      height: rows of the chart, >= 2.

    Examples:
      >>> print(text_chart(linear(1.0, 0.0, 8), 9, width=9, height=3))
      1 |***
        |   ***
      0 |      ***
        +---------
         0       8
    """
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(
                f"text_chart: `{name}` must be a whole number; got {name}={value!r}."
            )
        if value < 2:
            raise ValueError(
                f"text_chart: `{name}` must be >= 2; got {name}={value!r}."
            )
    if np.ndim(steps) == 0:
        x = np.array(_even(_count(steps, "text_chart") - 1, width), dtype=np.int64)
    else:
        every = np.asarray(steps)
        x = every[np.unique(np.linspace(0, len(every) - 1, width).round().astype(int))]
    y = np.asarray(schedule(x), np.float64)
    finite = y[np.isfinite(y)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    span = high - low
    if not math.isfinite(span) or span == 0:
        span = abs(high) if math.isfinite(high) and high else 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        rows = np.clip(((y - low) / span * (height - 1)).round(), 0, height - 1)
    grid = [[" "] * len(x) for _ in range(height)]
    for c, r in enumerate(rows):
        if np.isfinite(r):
            grid[height - 1 - int(r)][c] = "*"
    labels = [f"{high:.3g}", f"{low:.3g}"]
    pad = max(len(s) for s in labels)
    lines = []
    for i, row in enumerate(grid):
        label = labels[0] if i == 0 else labels[1] if i == height - 1 else ""
        lines.append(f"{label:>{pad}} |" + "".join(row))
    lines.append(" " * pad + " +" + "-" * len(x))
    first, last = str(x[0]), str(x[-1])
    gap = max(1, len(x) - len(first) - len(last))
    lines.append(" " * (pad + 2) + first + " " * gap + last)
    return "\n".join(lines)
