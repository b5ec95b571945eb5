"""A one-line text progress bar for scripts, with the standard library only."""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

from .._core import checks as chk

__all__ = ["ProgressBar"]


def _format_value(value: Any) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    return f"{x:.3e}"


class ProgressBar:
    """A progress bar drawn on one line of a terminal, with live values.

    It redraws itself in place (``\\r``) when its stream is a terminal and
    prints nothing otherwise (a log file or a test's captured output stays
    clean), unless ``enabled=True`` forces it on.

    Args:
      total: the number of steps expected.
      desc: a label shown before the bar.
      stream: where to draw; ``sys.stderr`` by default.
      enabled: draw or not; by default, only when ``stream`` is a terminal.
      width: characters of the bar itself.
      min_interval: seconds between two redraws (the last one always draws).

    Examples:
      >>> import io
      >>> out = io.StringIO()
      >>> with ProgressBar(4, desc="train", stream=out, enabled=True) as bar:
      ...     for step in range(4):
      ...         bar.update(loss=1.0 / (step + 1), lr=3e-4)
      >>> print(out.getvalue().rsplit("\\r", 1)[-1].strip())
      train 100%|####################| 4/4 loss=0.25 lr=3.000e-04
    """

    def __init__(
        self,
        total: int,
        desc: str = "",
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 20,
        min_interval: float = 0.1,
    ):
        self.total = chk.integer("ProgressBar", "total", total, low=0)
        width = chk.integer("ProgressBar", "width", width, low=1)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.width = width
        self.min_interval = min_interval
        self.count = 0
        self.values: dict[str, Any] = {}
        self._start = time.perf_counter()
        self._last_draw = -math.inf

    def update(self, n: int = 1, **values: Any) -> None:
        """Advances by ``n`` steps and shows ``values`` (name=value) after the bar."""
        self.count += n
        self.values.update(values)
        now = time.perf_counter()
        if self.count >= self.total or now - self._last_draw >= self.min_interval:
            self._draw(now)

    def line(self) -> str:
        """The current line of text, without the carriage return."""
        frac = min(self.count / self.total, 1.0) if self.total else 1.0
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        shown = " ".join(f"{k}={_format_value(v)}" for k, v in self.values.items())
        head = f"{self.desc} " if self.desc else ""
        return f"{head}{frac:4.0%}|{bar}| {self.count}/{self.total} {shown}".rstrip()

    def _draw(self, now: float) -> None:
        self._last_draw = now
        if self.enabled:
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def close(self) -> None:
        """Draws the final state and ends the line."""
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
