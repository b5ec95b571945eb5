#!/usr/bin/env python
"""Runs every benchmark and writes one results table (Markdown).

    python benchmarks/run_all.py             # full run: benchmarks/results.md
    python benchmarks/run_all.py --quick --out /tmp/r.md   # a smoke test
    python benchmarks/run_all.py --device gpu    # on a GPU (adds the large model)
    python benchmarks/run_all.py --only bulk,numerics

Each script runs in its own process (a fresh JAX, no compile cache shared
between them) with ``--json``; this script collects their tables and targets.
With ``--quick`` (a smoke test, not a measurement) the scripts run in this
process instead, one after the other, except the one-core train step, which
needs a process of its own to restrict to one core.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common as C  # noqa: E402

SCRIPTS = {
    "train_step": ("bench_train_step.py", "1. Train-step overhead"),
    # The same on one core (CPU runs only): without the runtime's hand-overs
    # of work between threads, what is left is the cost of the step itself.
    "train_step_1cpu": ("bench_train_step.py", "1b. Train-step overhead on one core"),
    "pieces": (
        "bench_pieces.py",
        "2. Compile and graph size against the number of pieces",
    ),
    "bulk": ("bench_bulk.py", "3. Bulk evaluation against the memory bound"),
    "numerics": ("bench_numerics.py", "4. Numerics at scale"),
}
PIECES_DEFAULT = ["--sizes", "2,10,1000,5000", "--rounds", "3"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny configurations")
    p.add_argument(
        "--out", default=str(HERE / "results.md"), help="Markdown file to write"
    )
    p.add_argument(
        "--only",
        default=",".join(SCRIPTS),
        help="comma-separated: " + ", ".join(SCRIPTS),
    )
    p.add_argument(
        "--json-dir",
        default=None,
        help="keep each script's full measurements as <name>.json here "
        "[default: a temporary directory]",
    )
    p.add_argument(
        "--rounds", type=int, default=None, help="interleaved rounds (train_step, bulk)"
    )
    p.add_argument(
        "--device",
        default="auto",
        choices=("auto", "cpu", "gpu", "cuda", "rocm", "tpu"),
        help="platform (auto: a GPU when JAX sees one)",
    )
    p.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help="more arguments for one script, e.g. --extra 'pieces=--sizes 2,1000'",
    )
    return p.parse_args(argv)


def run_script(name, cfg, json_path):
    script, _ = SCRIPTS[name]
    args = [sys.executable, str(HERE / script), "--json", str(json_path)]
    if name != "pieces":
        args += ["--device", cfg.device]
    if cfg.quick:
        args.append("--quick")
    elif name == "pieces":
        args += PIECES_DEFAULT
    if name == "train_step_1cpu":
        args += ["--cpus", "1"]
        if cfg.quick:  # the scan loop runs in train_step already
            args += ["--loops", "call"]
    if cfg.rounds and name in ("train_step", "train_step_1cpu", "bulk"):
        args += ["--rounds", str(cfg.rounds)]
    for extra in cfg.extra:
        key, _, rest = extra.partition("=")
        if key == name:
            args += rest.split()
    print(f"== {name}: {' '.join(args[1:])}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    if cfg.quick and name != "train_step_1cpu":
        proc = run_here(HERE / script, args[2:])
    else:
        proc = subprocess.run(args, capture_output=True, text=True)
    sys.stderr.write(proc.stderr[-2000:] if proc.returncode else "")
    return proc, time.perf_counter() - t0


def run_here(path, argv):
    """``main(argv)`` of the script at ``path``, in this process, as a
    ``CompletedProcess``: its exit status and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            spec = importlib.util.spec_from_file_location(f"_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            code = module.main(argv)
        except SystemExit as exc:  # as Python exits with it
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            if not isinstance(exc.code, (int, type(None))):
                print(exc.code, file=sys.stderr)
        except Exception:  # noqa: BLE001  (reported as a failed script)
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def main(argv=None):
    cfg = parse_args(argv)
    names = [n.strip() for n in cfg.only.split(",") if n.strip()]
    for n in names:
        if n not in SCRIPTS:
            sys.exit(
                f"run_all: unknown benchmark {n!r}; choose from {', '.join(SCRIPTS)}"
            )
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if cfg.json_dir:
        work = Path(cfg.json_dir)
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="jaxdecay_bench_"))

    device = C.select_device(cfg.device)
    env = C.environment(device)
    parts = [
        "# jaxdecay benchmark results",
        "",
        f"- date: {env['date']}",
        f"- device: {env['device']}",
        f"- jax {env['jax']}, optax {env['optax']}, flax {env['flax']}, "
        f"Python {env['python']}",
        f"- commit: {env['commit']}",
        "- command: `"
        + " ".join(
            ["python benchmarks/run_all.py", *(sys.argv[1:] if argv is None else argv)]
        )
        + "`",
        "",
        "Timings on a shared machine move by 10-30% between runs: compare ratios "
        "taken in one run.  See benchmarks/README.md for what each column means.",
    ]
    if device.platform != "cpu" and "train_step_1cpu" in names:
        names.remove("train_step_1cpu")  # a diagnostic of the CPU runtime
    failed = []
    for name in names:
        proc, secs = run_script(name, cfg, work / f"{name}.json")
        parts += ["", f"## {SCRIPTS[name][1]} (`{SCRIPTS[name][0]}`, {secs:.0f} s)", ""]
        if proc.returncode:
            failed.append(name)
            parts += [
                "```",
                f"exit status {proc.returncode}",
                proc.stderr[-3000:],
                "```",
            ]
            continue
        parts.append(proc.stdout.strip())
    text = "\n".join(parts) + "\n"
    out.write_text(text)
    print(text)
    print(f"wrote {out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
