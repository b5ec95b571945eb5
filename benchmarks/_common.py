"""Shared helpers of the benchmark scripts: device choice, the environment
header, interleaved timing and Markdown tables.

The scripts run as ``python benchmarks/<name>.py``, which puts this directory on
``sys.path``, so they import this module as ``_common``.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_device_arg(parser):
    """``--device auto|cpu|gpu|tpu``: the JAX platform the script runs on."""
    parser.add_argument(
        "--device",
        default="auto",
        choices=("auto", "cpu", "gpu", "cuda", "rocm", "tpu"),
        help="platform to run on: 'auto' takes JAX's default (a GPU when one "
        "is visible, else the CPU)",
    )


def use_cpus(n: int) -> None:
    """Restricts this process (and the threads JAX starts later) to the first
    ``n`` CPUs it may use.  Call it before JAX starts its backend."""
    if not hasattr(os, "sched_setaffinity"):
        raise SystemExit("--cpus needs os.sched_setaffinity (Linux)")
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, allowed[:n])


def select_device(name: str):
    """Makes ``name`` JAX's default platform (before any computation) and
    returns the device the benchmark runs on."""
    import jax

    if name != "auto":
        platform_name = "cuda" if name == "gpu" else name
        try:
            jax.config.update("jax_platforms", platform_name)
        except Exception:  # pragma: no cover - a backend already started
            pass
        if name == "gpu":
            devices = jax.devices("gpu")
        else:
            devices = jax.devices(platform_name)
        jax.config.update("jax_default_device", devices[0])
        return devices[0]
    return jax.devices()[0]


def device_name(device) -> str:
    """A readable name of a device: the GPU model, or the CPU and its cores."""
    if device.platform == "cpu":
        cpu = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        cores = (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        )
        cores = cores or os.cpu_count()
        return f"CPU: {cpu}, {cores} core{'' if cores == 1 else 's'}"
    kind = getattr(device, "device_kind", "") or device.platform
    return f"{device.platform.upper()}: {kind}"


def commit() -> str:
    """``git rev-parse --short HEAD`` of the checkout ("+dirty" if modified)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "jaxdecay"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return (sha or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(device) -> dict:
    import jax
    import optax

    try:
        import flax

        flax_version = flax.__version__
    except ImportError:  # pragma: no cover
        flax_version = None
    return {
        "date": datetime.date.today().isoformat(),
        "device": device_name(device),
        "jax": jax.__version__,
        "optax": optax.__version__,
        "flax": flax_version,
        "python": platform.python_version(),
        "commit": commit(),
    }


def header(title: str, env: dict) -> str:
    flax = f", flax {env['flax']}" if env.get("flax") else ""
    return (
        f"# {title}: {env['date']}, {env['device']}, jax {env['jax']}, "
        f"optax {env['optax']}{flax}, commit {env['commit']}"
    )


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def time_per_item(fn, items: int, target_s: float, block, max_reps=1_000_000):
    """Seconds per item of ``fn()``, which processes ``items`` items per call and
    returns something ``block`` waits on; repeats sized to ``target_s``."""
    reps = calibrate(fn, target_s, block, max_reps)
    wall, _ = sample(fn, reps, block)
    return wall / items


def interleaved(cells, rounds, measure, log=None):
    """Runs ``measure(cell)`` for every cell in ``rounds`` rounds, each round in
    an order rotated by one, and returns ``{cell: [samples]}``."""
    samples = {c: [] for c in cells}
    n = len(cells)
    for r in range(rounds):
        order = cells[r % n :] + cells[: r % n] if n else []
        for c in order:
            samples[c].append(measure(c))
        if log:
            log(f"  round {r + 1}/{rounds} done")
    return samples


def table(head, rows, align=None) -> str:
    align = align or ["---"] + ["--:"] * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(out)


def kernels(hlo_text: str) -> int:
    """Kernels one step runs, from a compiled computation's optimized HLO text
    (``jit(f).lower(...).compile().as_text()``): the top-level instructions of
    the entry computation, or of the body of its loop when it has one (a
    ``lax.scan``), less those that run nothing (parameters, constants, tuples,
    bitcasts).  On a CPU each is a separate call of the runtime: in a tiny step
    the count, more than the arithmetic inside, sets the time."""
    loop = re.search(r"body=(%[\w.-]+)", hlo_text)
    head = (loop.group(1) + " ") if loop else "ENTRY "
    start = hlo_text.index("\n" + head) + 1
    body = hlo_text[start : hlo_text.index("\n}", start)]
    free = {"parameter", "constant", "tuple", "get-tuple-element", "bitcast"}
    # An instruction's type is one word, or a tuple in parentheses.
    kinds = re.findall(r"^\s*(?:ROOT )?%\S+ = (?:\([^)]*\)|\S+) ([\w-]+)\(", body, re.M)
    return sum(k not in free for k in kinds)


def calibrate(fn, target_s: float, block, max_reps=1_000_000) -> int:
    """How many calls of ``fn()`` take about ``target_s`` seconds."""
    block(fn())
    reps = 1
    while True:
        t0 = time.perf_counter()
        out = None
        for _ in range(reps):
            out = fn()
        block(out)
        dt = time.perf_counter() - t0
        if dt >= target_s / 2 or reps >= max_reps:
            return max(1, min(max_reps, int(reps * target_s / max(dt, 1e-9))))
        reps *= 4


def sample(fn, reps: int, block):
    """``(wall seconds, process CPU seconds)`` per call over ``reps`` calls."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = None
    for _ in range(reps):
        out = fn()
    block(out)
    return (time.perf_counter() - w0) / reps, (time.process_time() - c0) / reps


def main(parse_args, run, argv=None) -> int:
    """The command line of a benchmark script: parse, run, print the report and,
    with ``--json PATH``, write its data."""
    import json

    cfg = parse_args(argv)
    text, data = run(cfg)
    print(text)
    if cfg.json:
        with open(cfg.json, "w") as fh:
            json.dump(data, fh, indent=1)
    return 0
