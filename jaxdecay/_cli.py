"""The ``jaxdecay`` command: plot, preview, tabulate and list schedules.

jaxdecay plot "warmup_cosine_decay(3e-4, 2000, 100000)" --steps 100000 -o lr.png
jaxdecay show "one_cycle(0.1, 1000)" --steps 1000
jaxdecay table "cosine_decay(0.1, 1000)" --at 0,100,1000 --format csv
jaxdecay list
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import inspect
import io
import json
import sys

import numpy as np

from ._config import _registry, parse
from ._plot import key_points, text_chart

SPEC_HELP = (
    'a schedule written as a call, e.g. "cosine_decay(0.1, decay_steps=1000)" '
    "(see `jaxdecay list`); quote it for the shell"
)


class _Fail(Exception):
    pass


def _spec(text: str):
    try:
        return parse(text)
    except (ValueError, TypeError) as error:
        raise _Fail(str(error)) from None


def _steps_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--steps must be a whole number of steps; got {text!r}"
        ) from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"--steps must be >= 1; got {n}")
    return n


def _at_arg(text: str) -> list[int]:
    try:
        at = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--at must be steps separated by commas, e.g. 0,100,1000; got {text!r}"
        ) from None
    if not at:
        raise argparse.ArgumentTypeError("--at needs at least one step")
    return at


def _cmd_plot(args) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._plot import plot

    schedules = {text: _spec(text) for text in args.specs}
    fig, ax = plt.subplots(figsize=(args.width, args.height), dpi=args.dpi)
    plot(schedules, args.steps, ax=ax, log=args.log, title=args.title)
    fig.tight_layout()
    fig.savefig(args.output)
    plt.close(fig)
    return f"wrote {args.output}"


def _cmd_show(args) -> str:
    schedule = _spec(args.spec)
    lines = [repr(schedule), text_chart(schedule, args.steps, args.width, args.height)]
    lines.append("key points:")
    lines += [f"  step {s:>8}: {v:.6g}" for s, v in key_points(schedule, args.steps)]
    return "\n".join(lines)


def _cmd_table(args) -> str:
    schedules = [(text, _spec(text)) for text in args.specs]
    at = np.asarray(args.at)
    columns = [np.asarray(s(at), np.float64) for _, s in schedules]
    names = [text for text, _ in schedules]
    if args.format == "json":
        rows = [
            {
                "step": int(step),
                **{n: float(c[i]) for n, c in zip(names, columns, strict=True)},
            }
            for i, step in enumerate(at)
        ]
        return json.dumps(rows, indent=1)
    if args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", *names])
        for i, step in enumerate(at):
            writer.writerow([int(step), *(repr(float(c[i])) for c in columns)])
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
    registry = _registry()
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
        doc = inspect.getdoc(cls) or ""
        summary = " ".join(doc.split("\n\n")[0].split())
        also = f" (alias: {', '.join(aliases[name])})" if name in aliases else ""
        lines.append(f"{name}({', '.join(params)}){also}\n    {summary}")
    return "\n".join(lines)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxdecay",
        description="Plot, preview, tabulate and list learning-rate schedules.",
        epilog='Example: jaxdecay show "warmup_cosine_decay(1e-3, 100, 1000)" '
        "--steps 1000",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("plot", help="write a PNG comparing schedules")
    p.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--steps", type=_steps_arg, default=1000, help="steps to draw")
    p.add_argument("-o", "--output", default="lr.png", help="PNG file to write")
    p.add_argument("--log", action="store_true", help="logarithmic value axis")
    p.add_argument("--title", default=None, help="title of the plot")
    p.add_argument("--width", type=float, default=8.0, help="inches")
    p.add_argument("--height", type=float, default=4.5, help="inches")
    p.add_argument("--dpi", type=int, default=100, help="pixels per inch")
    p.set_defaults(run=_cmd_plot)

    p = sub.add_parser("show", help="a text chart and the key points")
    p.add_argument("spec", metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--steps", type=_steps_arg, default=1000, help="steps to draw")
    p.add_argument("--width", type=int, default=60, help="columns of the chart")
    p.add_argument("--height", type=int, default=12, help="rows of the chart")
    p.set_defaults(run=_cmd_show)

    p = sub.add_parser("table", help="values at chosen steps")
    p.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    p.add_argument(
        "--at", type=_at_arg, required=True, help="steps, comma separated: 0,100,1000"
    )
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.set_defaults(run=_cmd_table)

    p = sub.add_parser("list", help="every schedule with its signature")
    p.set_defaults(run=_cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        print(args.run(args))
    except _Fail as error:
        parser.exit(2, f"jaxdecay {args.command}: error: {error}\n")
    except ImportError as error:
        parser.exit(2, f"jaxdecay {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
