"""The ``jaxdecay`` command: plot, preview, tabulate and list schedules.

jaxdecay plot "warmup_cosine_decay(3e-4, 2000, 100000)" --steps 100000 -o lr.png
jaxdecay show "one_cycle(0.1, 1000)" --steps 1000
jaxdecay table "cosine_decay(0.1, 1000)" --at 0,100,1000 --format csv
jaxdecay show "wsd(3e-4, '1%', '*', '20%')" --total-steps 10000
jaxdecay list
jaxdecay design fit constant.csv cosine.csv --law mpl --warmup-steps 100
jaxdecay design optimize --law-params L0=2.375,A=0.654,alpha=0.429,B=523.425,\
    C=2.025,beta=0.594,gamma=0.635 --total-steps 24000 --warmup-steps 2160 --peak 3e-4

Every mistake of the user is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import inspect
import io
import json
import math
import os
import sys

import numpy as np

from .. import design
from .._core.base import Schedule, schedule_types
from .._core.text import doc_summary
from .config import parse
from .plot import MAX_POINTS, _steps, key_points, max_steps, plot, text_chart

SPEC_HELP = (
    'a schedule of the step written as a call, e.g. "cosine_decay(0.1, '
    'decay_steps=1000)" (see `jaxdecay list`); quote it for the shell'
)

# Limits of the options (the help of each command states them).
CHART_WIDTH = (2, 1000)  # show --width, columns
CHART_HEIGHT = (2, 200)  # show --height, rows
FIGURE_INCHES = (1.0, 100.0)  # plot --width / --height
FIGURE_DPI = (10, 1000)  # plot --dpi
MAX_PIXELS = 10_000  # plot: pixels per side of the image
MAX_LINE = 1000  # characters of an error line


class _Fail(Exception):
    """A mistake of the user: reported as one line, exit status 2."""


def _one_line(message: str, *, last: bool = False) -> str:
    """The first (or last) non-blank line of ``message``, at most
    :data:`MAX_LINE` characters, without a trailing colon."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = (lines[-1] if last else lines[0]) if lines else ""
    text = text.rstrip(":").rstrip()
    if len(text) > MAX_LINE:
        text = text[: MAX_LINE - 3] + "..."
    return text


def _short(text: str, room: int = 60) -> str:
    """``text`` for an error message: long texts keep their ends."""
    if len(text) <= room:
        return repr(text)
    half = room // 2 - 2
    return repr(text[:half] + "..." + text[-half:]) + f" ({len(text)} characters)"


# -- the public schedules -----------------------------------------------------------


def public_schedules() -> dict[str, type]:
    """Every public schedule name (aliases included) to its class, including
    the stateful ``reduce_on_plateau``; internal building blocks such as
    ``arithmetic`` (made by ``+ - * /``) are not listed."""
    return {
        name: cls
        for name, cls in schedule_types(aliases=True).items()
        if cls.__module__.split(".")[0] == "jaxdecay"
    }


# -- arguments --------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, and that reads an
    argument such as ``-0.5*constant(1)`` as a spec, not as an option."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {_one_line(message)}\n")

    def _parse_optional(self, arg_string):
        head = arg_string.split("(", 1)[0]
        if arg_string.startswith("-") and "(" in arg_string and "=" not in head:
            return None  # a spec that starts with a sign
        return super()._parse_optional(arg_string)


def _whole(text: str, low: int, high: int, what: str) -> int:
    n = _int_or_none(text)
    if n is None or not low <= n <= high:
        raise argparse.ArgumentTypeError(
            f"must be {what} from {low} to {high}; got {_short(text, 40)}"
        )
    return n


def _steps_arg(text: str) -> int:
    top = max_steps()
    try:
        return _whole(text, 1, top, "a whole number of steps")
    except argparse.ArgumentTypeError as error:
        if (n := _int_or_none(text)) is not None and n > top:
            raise argparse.ArgumentTypeError(
                f"{error} (steps 0 .. {top - 1} are what a schedule takes; "
                "more need JAX_ENABLE_X64=1)"
            ) from None
        raise


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:  # not a number, or too many digits for int()
        return None


def _at_arg(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(
            "needs steps separated by commas, e.g. 0,100,1000"
        )
    top = max_steps() - 1
    at = []
    for part in parts:
        n = _int_or_none(part)
        if n is None:
            raise argparse.ArgumentTypeError(
                "must be whole steps separated by commas, e.g. 0,100,1000; got "
                f"{_short(part, 40)} in {_short(text, 60)}"
            )
        if not 0 <= n <= top:
            more = "; larger steps need JAX_ENABLE_X64=1" if n > top else ""
            raise argparse.ArgumentTypeError(
                f"steps must be from 0 to {top}{more}; got {_short(part, 40)}"
            )
        at.append(n)
    return at


def _int_in(low: int, high: int, what: str):
    def convert(text: str) -> int:
        return _whole(text, low, high, what)

    return convert


def _inches(text: str) -> float:
    low, high = FIGURE_INCHES
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not low <= x <= high:
        raise argparse.ArgumentTypeError(
            f"must be a number of inches from {low:g} to {high:g}; got "
            f"{_short(text, 40)}"
        )
    return x


# -- the commands -----------------------------------------------------------------


def _spec(text: str, run: dict | None = None) -> Schedule:
    """The schedule ``text`` describes, its durations resolved with the run's
    figures ``run`` (see :meth:`Schedule.resolve`), or a :class:`_Fail` saying
    what is wrong with it."""
    where = f"SPEC {_short(text)}"
    try:
        schedule = parse(text)
        if run is not None and schedule.unresolved:
            schedule = schedule.resolve(**run)
    except (RecursionError, MemoryError):
        raise _Fail(
            f"{where} is nested too deeply to read; write long sums and products "
            "with fewer levels (join, piecewise_linear, piecewise_constant)"
        ) from None
    except OverflowError as error:
        raise _Fail(
            f"{where} holds a number too large for a schedule ({_one_line(error)})"
        ) from None
    except (ValueError, TypeError, ArithmeticError) as error:
        detail = _one_line(error)
        detail = detail.removeprefix("parse: ")
        for figure in _FIGURES:  # name the option, not the argument
            detail = detail.replace(f"`{figure}`", "--" + figure.replace("_", "-"))
            detail = detail.replace(f"{figure}=...", "--" + figure.replace("_", "-"))
            detail = detail.replace(f"; got {figure}=None", "")
        raise _Fail(f"{where}: {detail}") from None
    try:  # a schedule nested deeper than Python's recursion limit allows
        repr(schedule)
        if isinstance(schedule, Schedule):
            schedule(0)
    except (RecursionError, MemoryError):
        raise _Fail(
            f"{where} is nested too deeply to evaluate; write long sums and "
            "products with fewer levels (join, piecewise_linear, piecewise_constant)"
        ) from None
    if not isinstance(schedule, Schedule):
        raise _Fail(
            f"{where} is a stateful schedule ({type(schedule).__name__}): its value "
            "depends on the metrics reported during training (update(state, "
            "value=loss)), not on the step alone, so it has no curve of the step "
            "to draw or tabulate; give a schedule of the step (e.g. its base)"
        )
    return schedule


_FIGURES = ("total_steps", "steps_per_epoch", "tokens_per_step", "samples_per_step")


def _run(args) -> dict:
    """The run's figures given on the command line, for durations."""
    run = {name: getattr(args, name) for name in _FIGURES}
    run["rounding"] = args.rounding
    return run


def _steps_of(args) -> int:
    """--steps, by default the run's --total-steps (else 1000)."""
    if args.steps is not None:
        return args.steps
    if args.total_steps is None:
        return 1000
    if args.total_steps > max_steps():
        raise _Fail(
            f"--total-steps {args.total_steps} is also the steps drawn, but at most "
            f"{max_steps()} can be (2**63 with JAX_ENABLE_X64=1); pass --steps N "
            f"to draw the first N"
        )
    return args.total_steps


def _formats() -> list[str]:
    from matplotlib.backend_bases import FigureCanvasBase

    common = ["png", "pdf", "svg"]
    formats = FigureCanvasBase.get_supported_filetypes()
    return [f for f in common if f in formats] + sorted(set(formats) - set(common))


def _output(text: str) -> str:
    """Checks ``-o``: a file name with a supported extension in a directory
    that exists and can be written."""
    formats = _formats()
    listed = ", ".join(formats)
    name = os.path.basename(text)
    if not text or os.path.isdir(text) or not name:
        raise _Fail(
            f"-o {text!r} is a directory, not a file; give a file name such as "
            f"{os.path.join(text, 'lr.png')!r}"
        )
    stem, suffix = os.path.splitext(name)
    if not suffix or not stem:
        what = "no extension naming the image format"
        if name.startswith("."):
            what = "no file name before its extension"
        raise _Fail(f"-o {text!r} has {what}; e.g. lr.png (formats: {listed})")
    fmt = suffix[1:].lower()
    if fmt not in formats:
        raise _Fail(f"-o {text!r}: the format {fmt!r} is not supported; use {listed}")
    folder = os.path.dirname(text) or "."
    if not os.path.isdir(folder):
        what = "is not a directory" if os.path.exists(folder) else "does not exist"
        raise _Fail(f"-o {text!r}: the directory {folder!r} {what}")
    writable = os.access(folder, os.W_OK | os.X_OK) and (
        not os.path.exists(text) or os.access(text, os.W_OK)
    )
    if not writable:
        raise _Fail(f"-o {text!r} cannot be written: permission denied")
    return text


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise _Fail(
            'plotting needs matplotlib; install it with `pip install "jaxdecay[plot]"`'
        ) from None
    return matplotlib


def _cmd_plot(args) -> str:
    for side, inches in (("--width", args.width), ("--height", args.height)):
        pixels = inches * args.dpi
        if pixels > MAX_PIXELS:
            raise _Fail(
                f"{side} {inches:g} at --dpi {args.dpi} is {pixels:.0f} pixels; at "
                f"most {MAX_PIXELS} pixels per side"
            )
    matplotlib = _matplotlib()
    output = _output(args.output)
    schedules = {text: _spec(text, _run(args)) for text in args.specs}
    args.steps = _steps_of(args)

    if args.log:
        x = _steps(args.steps, list(schedules.values()))
        for text, s in schedules.items():
            if not np.any(np.asarray(s(x), np.float64) > 0):
                raise _Fail(
                    f"--log needs positive values, and SPEC {_short(text)} has none "
                    f"in steps 0 .. {args.steps - 1}"
                )

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(args.width, args.height), dpi=args.dpi)
    existed = os.path.exists(output)
    try:
        plot(schedules, args.steps, ax=ax, log=args.log, title=args.title)
        fig.tight_layout()
        fig.savefig(output)
    except (ValueError, OSError, RuntimeError) as error:
        if not existed and os.path.exists(output):
            os.remove(output)  # not half an image
        if isinstance(error, ValueError):
            if args.title and "$" in args.title:
                raise _Fail(
                    f"--title {_short(args.title)} is not valid matplotlib math "
                    f"text: {_one_line(error, last=True)}"
                ) from None
            raise
        raise _Fail(f"-o {output!r} cannot be written: {_one_line(error)}") from None
    finally:
        plt.close(fig)
    return f"wrote {output}"


def _cmd_show(args) -> str:
    schedule = _spec(args.spec, _run(args))
    args.steps = _steps_of(args)
    lines = [repr(schedule), text_chart(schedule, args.steps, args.width, args.height)]
    lines.append("key points:")
    lines += [f"  step {s:>8}: {v:.6g}" for s, v in key_points(schedule, args.steps)]
    return "\n".join(lines)


def _shortest(values) -> list[float]:
    """Python floats whose ``repr`` is the shortest decimal that reads back as
    each value in its own dtype: float32 0.1 shows as ``0.1``, not as its
    float64 expansion ``0.10000000149011612``; float64 values as their repr."""
    values = np.ravel(np.asarray(values))
    if values.dtype == np.float64:
        return [float(v) for v in values]
    # NumPy's str of a float32 (float16, ...) scalar is its shortest
    # round-trip decimal; read as a Python float, its repr keeps those digits.
    return [float(str(v)) for v in values]


def _cmd_table(args) -> str:
    schedules = [(text, _spec(text, _run(args))) for text in args.specs]
    at = np.asarray(args.at, np.int64)
    values = [np.asarray(s(at)) for _, s in schedules]
    columns = [np.asarray(v, np.float64) for v in values]
    names = [text for text, _ in schedules]
    if args.format in ("json", "csv"):
        exact = [_shortest(v) for v in values]
    if args.format == "json":
        rows = [
            {
                "step": int(step),
                **{n: c[i] for n, c in zip(names, exact, strict=True)},
            }
            for i, step in enumerate(at)
        ]
        return json.dumps(rows, indent=1)
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", *names])
        for i, step in enumerate(at):
            writer.writerow([int(step), *(repr(c[i]) for c in exact)])
        return out.getvalue().rstrip("\n")
    header = ["step", *names]
    body = [
        [str(int(step)), *(f"{c[i]:.8g}" for c in columns)] for i, step in enumerate(at)
    ]
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]
    return "\n".join(
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
        for row in [header, *body]
    )


def _cmd_list(args) -> str:
    registry = public_schedules()
    aliases = {}
    for name, cls in registry.items():
        if name != cls.__name__:
            aliases.setdefault(cls.__name__, []).append(name)
    lines = []
    for name in sorted(n for n, cls in registry.items() if n == cls.__name__):
        cls = registry[name]
        params = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            if f.default is dataclasses.MISSING:
                params.append(f.name)
            else:
                params.append(f"{f.name}={f.default!r}")
        summary = doc_summary(inspect.getdoc(cls))
        also = (
            f" (alias: {', '.join(sorted(aliases[name]))})" if name in aliases else ""
        )
        lines.append(f"{name}({', '.join(params)}){also}\n    {summary}")
    return "\n".join(lines)


def _figure_arg(text: str) -> float | int:
    n = _int_or_none(text)
    try:
        x = float(text) if n is None else n
    except ValueError:
        x = math.nan
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(
            f"must be a positive number; got {_short(text, 40)}"
        )
    return x


def _run_options(p):
    """The run's figures, which durations in a SPEC ("10%", "2ep") need."""
    group = p.add_argument_group(
        "the run",
        # (a group's description is printed as is; only help strings are
        # %-formatted)
        'figures that turn durations in a SPEC ("10%", "*", "2ep", '
        '"1e9tok") into steps',
    )
    group.add_argument(
        "--total-steps",
        type=_int_in(1, 2**63 - 1, "a whole number of steps"),
        default=None,
        help='the run\'s length in steps, for "10%%" and "*" (also the default '
        "--steps)",
    )
    group.add_argument("--steps-per-epoch", type=_figure_arg, default=None,
                       help="steps per epoch, for \"2ep\"")  # fmt: skip
    group.add_argument("--tokens-per-step", type=_figure_arg, default=None,
                       help="tokens per step, for \"1e9tok\"")  # fmt: skip
    group.add_argument("--samples-per-step", type=_figure_arg, default=None,
                       help="samples per step, for \"3e6sp\"")  # fmt: skip
    group.add_argument(
        "--rounding",
        choices=("floor", "ceil", "round"),
        default="floor",
        help="how a duration rounds to whole steps (default: floor)",
    )


def make_parser() -> argparse.ArgumentParser:
    top = max_steps()
    steps_help = (
        f"draw steps 0 .. STEPS-1; STEPS from 1 to {top} (2**63 with "
        f"JAX_ENABLE_X64=1); at most {MAX_POINTS} steps are evaluated, spread "
        "evenly plus each breakpoint (default: --total-steps, else 1000)"
    )
    parser = _Parser(
        prog="jaxdecay",
        description="Plot, preview, tabulate and list learning-rate schedules. "
        "A mistake in the arguments is one line on stderr and exit status 2.",
        epilog='Example: jaxdecay show "warmup_cosine_decay(1e-3, 100, 1000)" '
        "--steps 1000",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "plot",
        help="write an image comparing schedules",
        description="Draws schedules of the step into an image file. A stateful "
        "schedule (reduce_on_plateau) has no curve of the step and is refused. "
        f"At most {MAX_POINTS} steps are evaluated per curve, whatever --steps.",
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--steps", type=_steps_arg, default=None, help=steps_help)
    _run_options(p)
    p.add_argument(
        "-o",
        "--output",
        default="lr.png",
        help="the image file to write, in a directory that exists; its extension "
        "names the format: png, pdf, svg, ... (those of matplotlib) "
        "(default: lr.png)",
    )
    p.add_argument("--log", action="store_true", help="logarithmic value axis")
    p.add_argument("--title", default=None, help="title of the plot")
    low, high = FIGURE_INCHES
    p.add_argument(
        "--width",
        type=_inches,
        default=8.0,
        help=f"inches, {low:g} to {high:g} (default: 8)",
    )
    p.add_argument(
        "--height",
        type=_inches,
        default=4.5,
        help=f"inches, {low:g} to {high:g} (default: 4.5)",
    )
    p.add_argument(
        "--dpi",
        type=_int_in(*FIGURE_DPI, "a whole number of pixels per inch"),
        default=100,
        help=f"pixels per inch, {FIGURE_DPI[0]} to {FIGURE_DPI[1]}; the image is at "
        f"most {MAX_PIXELS} pixels per side (default: 100)",
    )
    p.set_defaults(run=_cmd_plot)

    p = sub.add_parser(
        "show",
        help="a text chart and the key points",
        description="Prints a schedule of the step, a text chart of it (one step "
        "per column, spread evenly over the steps) and its key points. A "
        "stateful schedule (reduce_on_plateau) has no curve and is refused.",
    )
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--steps", type=_steps_arg, default=None, help=steps_help)
    _run_options(p)
    p.add_argument(
        "--width",
        type=_int_in(*CHART_WIDTH, "a whole number of columns"),
        default=60,
        help=f"columns of the chart, {CHART_WIDTH[0]} to {CHART_WIDTH[1]} "
        "(default: 60)",
    )
    p.add_argument(
        "--height",
        type=_int_in(*CHART_HEIGHT, "a whole number of rows"),
        default=12,
        help=f"rows of the chart, {CHART_HEIGHT[0]} to {CHART_HEIGHT[1]} (default: 12)",
    )
    p.set_defaults(run=_cmd_show)

    p = sub.add_parser(
        "table",
        help="values at chosen steps",
        description="Prints the values of schedules of the step at the steps "
        "given. A stateful schedule (reduce_on_plateau) is refused.",
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    p.add_argument(
        "--at",
        type=_at_arg,
        required=True,
        help=f"steps, comma separated, e.g. 0,100,1000; each from 0 to {top - 1} "
        "(2**63-1 with JAX_ENABLE_X64=1)",
    )
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    _run_options(p)
    p.set_defaults(run=_cmd_table)

    p = sub.add_parser(
        "list",
        help="every public schedule with its signature",
        description="Lists every public schedule, reduce_on_plateau included, "
        "with its signature, aliases and a one-line summary.",
    )
    p.set_defaults(run=_cmd_list)
    _design_parsers(sub)
    return parser


# --------------------------------------------------------------------------
# jaxdecay design: fit a loss-curve law, optimize a schedule.

LAWS = {"mpl": "MultiPowerLaw", "annealing": "AnnealingLaw"}


def _law_class(name):
    return getattr(design, LAWS[name])


def _read_runs(paths):
    """``[(label, rates, steps, losses)]`` from CSV files of ``step,rate,loss``
    (a ``run`` column splits a file into runs)."""
    runs = {}
    for path in paths:
        try:
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as error:
            raise _Fail(f"cannot read {path}: {error.strerror or error}") from None
        if not rows or not {"step", "rate", "loss"} <= set(rows[0]):
            raise _Fail(
                f"{path}: expected a CSV with a header of step,rate,loss (and "
                "optionally run), one row per update"
            )
        for line, row in enumerate(rows, start=2):
            label = f"{path}:{row['run']}" if row.get("run") else path
            try:
                step = int(row["step"])
                rate = float(row["rate"])
                loss = float(row["loss"]) if (row["loss"] or "").strip() else None
            except (TypeError, ValueError):
                raise _Fail(
                    f"{path}, line {line}: step must be a whole number, rate and "
                    f"loss numbers (loss may be empty); got {dict(row)}"
                ) from None
            runs.setdefault(label, []).append((step, rate, loss))
    out = []
    for label, rows in runs.items():
        rows.sort()
        steps = [r[0] for r in rows]
        if steps != list(range(len(steps))):
            raise _Fail(
                f"{label}: the rows must give the rate of every update, steps 0, "
                "1, 2, ... without gaps or repeats"
            )
        logged = [(n, loss) for n, _, loss in rows if loss is not None]
        out.append(
            (
                label,
                np.asarray([r[1] for r in rows]),
                [n for n, _ in logged],
                [loss for _, loss in logged],
            )
        )
    return out


def _law_params(text, law):
    """``L0=2.375,A=0.654,...`` as keyword arguments of the law."""
    names = _law_class(law)._fields
    given = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in names:
            raise _Fail(
                f"--law-params: unknown constant {name!r} of {LAWS[law]}; "
                f"expected {', '.join(names)}"
            )
        try:
            given[name] = float(value)
        except ValueError:
            raise _Fail(
                f"--law-params: {name} must be a number; got {value!r}"
            ) from None
    missing = [n for n in names if n not in given and n != "decay"]
    if missing:
        raise _Fail(f"--law-params: missing {', '.join(missing)} of {LAWS[law]}")
    return given


def _show_law(law) -> str:
    fields = [f for f in type(law)._fields]
    return ",".join(f"{f}={float(getattr(law, f)):.6g}" for f in fields)


def _cmd_design_fit(args) -> str:
    runs = _read_runs(args.runs)
    fitted = design.fit(
        _law_class(args.law),
        [(rates, steps, losses) for _, rates, steps, losses in runs],
        args.warmup_steps,
    )
    if args.format == "json":
        return json.dumps(
            {
                "law": LAWS[args.law],
                "params": {
                    f: float(getattr(fitted.law, f)) for f in fitted.law._fields
                },
                "r2": fitted.r2,
                "mae": fitted.mae,
                "worst_rel_error": dict(
                    zip([r[0] for r in runs], fitted.worst_rel_error, strict=True)
                ),
            },
            indent=2,
        )
    lines = [
        f"{LAWS[args.law]} fitted on {len(runs)} run(s) in {fitted.seconds:.1f} s",
        f"  --law-params {_show_law(fitted.law)}",
        f"  R^2 {fitted.r2:.5f}, mean absolute error {fitted.mae:.4g}",
    ]
    for (label, *_), worst in zip(runs, fitted.worst_rel_error, strict=True):
        lines.append(f"  {label}: worst relative error {100 * worst:.3f}%")
    return "\n".join(lines)


def _cmd_design_optimize(args) -> str:
    law = _law_class(args.law)(**_law_params(args.law_params, args.law))
    found = design.optimize(
        law,
        args.total_steps,
        args.warmup_steps,
        args.peak,
        args.min,
        iterations=args.iterations,
        details=True,
    )
    spec = repr(found.schedule)
    if args.plot:
        matplotlib = _matplotlib()
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4.5))
        try:
            title = f"optimized schedule: predicted final loss {found.loss:.4f}"
            plot({"optimized": found.schedule}, args.total_steps, ax=ax, title=title)
            fig.tight_layout()
            fig.savefig(args.plot)
        except (ValueError, OSError) as error:
            raise _Fail(f"--plot {args.plot!r} cannot be written: {error}") from None
        finally:
            plt.close(fig)
        print(f"wrote {args.plot}", file=sys.stderr)
    print(
        f"# predicted final loss {found.loss:.5f} ({found.knots} knots, "
        f"{found.seconds:.1f} s)",
        file=sys.stderr,
    )
    return spec


def _design_parsers(sub):
    p = sub.add_parser(
        "design",
        help="fit a loss-curve law to runs; optimize a schedule for it",
        description="Fit a loss-curve law (the multi-power law, mpl, or the "
        "annealing law) to logged runs, or find the schedule whose final loss a "
        "law predicts lowest.",
    )
    design_sub = p.add_subparsers(dest="design", required=True, metavar="WHAT")
    q = design_sub.add_parser(
        "fit",
        help="fit a law to runs logged as CSV",
        description="Fits a law to runs. Each CSV has a header step,rate,loss "
        "(and optionally run, to hold several runs) and one row per update: "
        "step 0, 1, 2, ..., the rate of that update, and the loss measured "
        "after that many updates (the training loss of that step's batch), or "
        "nothing where none was logged.",
    )
    q.add_argument("runs", nargs="+", metavar="RUN.csv")
    q.add_argument("--law", choices=sorted(LAWS), default="mpl")
    q.add_argument(
        "--warmup-steps",
        type=_int_in(0, 2**62, "a whole number of steps >= 0"),
        required=True,
        help="the updates of the warmup (the law describes the run after it)",
    )
    q.add_argument("--format", choices=("text", "json"), default="text")
    q.set_defaults(run=_cmd_design_fit)
    q = design_sub.add_parser(
        "optimize",
        help="the schedule with the lowest predicted final loss",
        description="Prints the schedule (a spec that `parse` and the other "
        "commands read) whose final loss the law predicts lowest: a linear "
        "warmup to --peak, then a non-increasing decay in [--min, --peak].",
    )
    q.add_argument("--law", choices=sorted(LAWS), default="mpl")
    q.add_argument(
        "--law-params",
        required=True,
        help="the law's constants, e.g. L0=2.375,A=0.654,alpha=0.429,B=523.425,"
        "C=2.025,beta=0.594,gamma=0.635 (what `design fit` prints)",
    )
    q.add_argument(
        "--total-steps",
        type=_int_in(2, 10**8, "a whole number of steps >= 2"),
        required=True,
    )
    q.add_argument(
        "--warmup-steps",
        type=_int_in(0, 10**8, "a whole number of steps >= 0"),
        required=True,
    )
    q.add_argument("--peak", type=float, required=True, help="the peak rate, > 0")
    q.add_argument("--min", type=float, default=0.0, help="the lowest rate (0)")
    q.add_argument(
        "--iterations",
        type=_int_in(1, 10**6, "a whole number of iterations"),
        default=2000,
        help="Adam iterations (default: 2000)",
    )
    q.add_argument("--plot", metavar="PATH", help="also draw the schedule to PATH")
    q.set_defaults(run=_cmd_design_optimize)


def main(argv: list[str] | None = None) -> int:
    """Runs the command; a mistake of the user exits with status 2 and one
    line on stderr."""
    parser = make_parser()
    args = parser.parse_args(argv)
    command = args.command + (f" {args.design}" if args.command == "design" else "")
    prefix = f"jaxdecay {command}: error:"
    try:
        out = args.run(args)
    except _Fail as error:
        message = str(error)
    except (RecursionError, MemoryError) as error:
        what = "nested too deeply" if isinstance(error, RecursionError) else "too big"
        message = f"the schedule is {what} to evaluate ({type(error).__name__})"
    except (ValueError, TypeError, ArithmeticError, ImportError) as error:
        message = _one_line(error) or type(error).__name__
    else:
        try:
            print(out)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. `jaxdecay list | head -1`
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        return 0
    parser.exit(2, f"{prefix} {_one_line(message)}\n")
    return 2  # pragma: no cover - parser.exit raises SystemExit


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
