"""Seeing schedules: a matplotlib figure and a text chart for terminals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ._base import Schedule

__all__ = ["plot", "text_chart", "labelled", "key_points"]


def labelled(schedules) -> list[tuple[str, Schedule]]:
    """``(label, schedule)`` pairs from a schedule, a spec string, a list of
    them, or a ``{label: schedule}`` mapping."""
    from ._config import parse

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


def _steps(steps) -> np.ndarray:
    if np.ndim(steps) == 0:
        n = int(steps)
        if n < 1:
            raise ValueError(f"plot: `steps` must be >= 1; got steps={steps!r}.")
        return np.arange(n)
    return np.asarray(steps)


def key_points(schedule, steps) -> list[tuple[int, float]]:
    """A schedule's key points within ``steps`` (see :meth:`Schedule.key_points`);
    plain callables have only their first and last step."""
    if isinstance(schedule, Schedule):
        return schedule.key_points(_steps(steps))
    at = [int(_steps(steps).min()), int(_steps(steps).max())]
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
      steps: the number of steps to draw (``0 .. steps-1``) or the steps
        themselves.
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
    x = _steps(steps)
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
    """A small chart of ``schedule`` over ``steps`` drawn with characters."""
    x = _steps(steps)
    cols = np.unique(np.linspace(0, len(x) - 1, max(2, width)).round().astype(int))
    y = np.asarray(schedule(x[cols]), np.float64)
    finite = y[np.isfinite(y)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    span = high - low or abs(high) or 1.0
    rows = np.clip(((y - low) / span * (height - 1)).round(), 0, height - 1)
    grid = [[" "] * len(cols) for _ in range(height)]
    for c, r in enumerate(rows):
        if np.isfinite(r):
            grid[height - 1 - int(r)][c] = "*"
    labels = [f"{high:.3g}", f"{low:.3g}"]
    pad = max(len(s) for s in labels)
    lines = []
    for i, row in enumerate(grid):
        label = labels[0] if i == 0 else labels[1] if i == height - 1 else ""
        lines.append(f"{label:>{pad}} |" + "".join(row))
    lines.append(" " * pad + " +" + "-" * len(cols))
    first, last = str(x[0]), str(x[-1])
    gap = max(1, len(cols) - len(first) - len(last))
    lines.append(" " * (pad + 2) + first + " " * gap + last)
    return "\n".join(lines)
