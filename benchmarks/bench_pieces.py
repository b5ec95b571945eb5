#!/usr/bin/env python
"""Cost of schedules made of many pieces: jaxdecay against optax.

Builds piecewise-constant, piecewise-linear and joined schedules of N pieces
with jaxdecay and with optax and measures, side by side:

* ``eqns``: equations in the jaxpr of ``lambda step: schedule(step)``, counting
  the equations of nested jaxprs (``pjit``, ``while``, ``cond``, ... bodies) too;
* ``build``: constructing the schedule object in Python (host time);
* ``compile``: ``jax.jit(fn).lower(step).compile()`` for a fresh schedule
  object and a fresh function object every time (trace + lower + XLA compile);
* ``call``: steady-state time of one call of the compiled scalar-step function;
* ``loop``: steady-state time per step inside a jitted ``lax.fori_loop`` that
  sums the schedule over pseudo-random steps spread across all the pieces.

Cells are measured in interleaved rounds and medians reported.  Run with
``--help`` for the options and see ``benchmarks/README.md`` for how to read the
output.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback

import numpy as np

FAMILIES = (
    "piecewise_constant",
    "piecewise_linear",
    "join_cycles",
    "join_2kinds",
    "join_3kinds",
)
FAMILY_NOTES = {
    "piecewise_constant": "N values, N-1 boundaries "
    "(optax: piecewise_constant_schedule)",
    "piecewise_linear": "N segments through N+1 points "
    "(optax: piecewise_interpolate_schedule('linear'))",
    "join_cycles": "join of N warmup-cosine cycles, 1 kind of piece "
    "(optax: join_schedules of warmup_cosine_decay_schedule)",
    "join_2kinds": "join of N pieces alternating linear warmup / cosine decay, "
    "2 kinds (optax: join_schedules)",
    "join_3kinds": "join of N pieces cycling linear / cosine / exponential decay, "
    "3 kinds (optax: join_schedules)",
}
KINDS = {"join_cycles": 1, "join_2kinds": 2, "join_3kinds": 3}
LIBS = ("jaxdecay", "optax")
STRIDE = 7919  # a prime: loop step i visits (i * stride + k0) % horizon


# ---------------------------------------------------------------------------
# Schedules of N pieces.


def _lengths(n):
    """Irregular piece lengths (deterministic), 40 to 100 steps."""
    k = np.arange(n)
    return 40 + (k * 37) % 61


def _levels(n):
    """Positive values of order 1e-3 that neither blow up nor vanish."""
    k = np.arange(n)
    return 1e-3 * (1.0 + 0.5 * np.sin(0.7 * k))


def build(family, lib, n):
    """Returns ``(schedule, horizon)``: a schedule of ``n`` pieces and a step
    past the last piece."""
    import jax.numpy as jnp  # noqa: F401  (imported for its side effects on jax)
    import optax

    import jaxdecay as jd

    lengths = _lengths(n)
    ends = np.cumsum(lengths)
    horizon = int(ends[-1]) + 100

    if family == "piecewise_constant":
        values = _levels(n)
        bounds = [int(b) for b in ends[:-1]]
        if lib == "jaxdecay":
            return jd.piecewise_constant(bounds, values), horizon
        scales = {b: float(values[i + 1] / values[i]) for i, b in enumerate(bounds)}
        return optax.piecewise_constant_schedule(float(values[0]), scales), horizon

    if family == "piecewise_linear":
        values = _levels(n + 1)
        points = [0, *[int(b) for b in ends]]
        if lib == "jaxdecay":
            return jd.piecewise_linear(points, values), horizon
        scales = {p: float(values[i + 1] / values[i]) for i, p in enumerate(points[1:])}
        return (
            optax.piecewise_interpolate_schedule("linear", float(values[0]), scales),
            horizon,
        )

    levels = _levels(n)
    pieces = []
    for k in range(n):
        length, peak = int(lengths[k]), float(levels[k])
        if family == "join_cycles":
            kind = "wcd"
        elif family == "join_2kinds":
            kind = ("linear", "cosine")[k % 2]
        elif family == "join_3kinds":
            kind = ("linear", "cosine", "exponential")[k % 3]
        else:
            raise ValueError(f"unknown family {family!r}")
        if kind == "wcd":
            warm = 5 + k % 7
            if lib == "jaxdecay":
                p = jd.warmup_cosine_decay(peak, warm, length, end_value=peak * 0.01)
            else:
                p = optax.warmup_cosine_decay_schedule(
                    0.0, peak, warm, length, end_value=peak * 0.01
                )
        elif kind == "linear":
            if lib == "jaxdecay":
                p = jd.linear(peak * 0.1, peak, length)
            else:
                p = optax.linear_schedule(peak * 0.1, peak, length)
        elif kind == "cosine":
            if lib == "jaxdecay":
                p = jd.cosine_decay(peak, length, end_value=peak * 0.01)
            else:
                p = optax.cosine_decay_schedule(peak, length, alpha=0.01)
        else:
            rate, every = 0.97, 1 + k % 5
            if lib == "jaxdecay":
                p = jd.exponential_decay(peak, rate, every)
            else:
                p = optax.exponential_decay(peak, every, rate)
        pieces.append(p)
    bounds = [int(b) for b in ends[:-1]]
    if lib == "jaxdecay":
        return jd.join(pieces, bounds), horizon
    return optax.join_schedules(pieces, bounds), horizon


# ---------------------------------------------------------------------------
# Measurements.


def count_eqns(jaxpr):
    """Equations of a jaxpr, including those of every nested jaxpr held in an
    equation's parameters (call, loop and branch bodies)."""
    from jax.extend import core as jcore

    def nested(value):
        if isinstance(value, jcore.ClosedJaxpr):
            yield value.jaxpr
        elif isinstance(value, jcore.Jaxpr):
            yield value
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from nested(v)

    total = 0
    for eqn in jaxpr.eqns:
        total += 1
        for value in eqn.params.values():
            for sub in nested(value):
                total += count_eqns(sub)
    return total


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Cell:
    """One (family, N, library) combination and its measurements."""

    def __init__(self, family, n, lib):
        self.family, self.n, self.lib = family, n, lib
        self.skip = None  # why the whole cell was not measured
        self.missing = {}  # metric -> why it was not measured
        self.eqns = None
        self.build_s = []
        self.compile_s = []
        self.call_s = []
        self.loop_s = []
        self.loop_compile_s = None
        self.horizon = None
        self.calls = None
        self.loop_steps = None
        self.check_steps = None
        self.check_values = None
        self.schedule = self.compiled = self.loop_fn = None

    @property
    def key(self):
        return (self.family, self.n, self.lib)

    @property
    def ok(self):
        return self.skip is None

    def live(self, metric):
        return self.skip is None and metric not in self.missing

    def fail(self, metrics, exc):
        reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:160]}"
        for m in metrics:
            self.missing.setdefault(m, reason)

    def to_json(self):
        return {
            "family": self.family,
            "n": self.n,
            "lib": self.lib,
            "skip": self.skip,
            "missing": self.missing,
            "eqns": self.eqns,
            "build_s": self.build_s,
            "compile_s": self.compile_s,
            "call_s": self.call_s,
            "loop_s_per_step": self.loop_s,
            "loop_compile_s": self.loop_compile_s,
            "horizon": self.horizon,
            "calls_per_round": self.calls,
            "loop_steps_per_round": self.loop_steps,
            "check_steps": self.check_steps,
            "check_values": self.check_values,
            "median": {
                "build_s": _median(self.build_s),
                "compile_s": _median(self.compile_s),
                "call_s": _median(self.call_s),
                "loop_s_per_step": _median(self.loop_s),
            },
        }

    def load(self, d):
        self.skip, self.missing, self.eqns = d["skip"], d["missing"], d["eqns"]
        self.build_s, self.compile_s = d["build_s"], d["compile_s"]
        self.call_s, self.loop_s = d["call_s"], d["loop_s_per_step"]
        self.loop_compile_s, self.horizon = d["loop_compile_s"], d["horizon"]
        self.calls, self.loop_steps = d["calls_per_round"], d["loop_steps_per_round"]
        self.check_steps, self.check_values = d["check_steps"], d["check_values"]


METRICS = ("eqns", "compile", "call", "loop")


def _loop_function(schedule, horizon, stride=STRIDE):
    import jax
    import jax.numpy as jnp

    def run(k0, steps):
        def body(i, acc):
            t = (i * stride + k0) % horizon
            return acc + schedule(t)

        return jax.lax.fori_loop(0, steps, body, jnp.zeros((), jnp.float32))

    return jax.jit(run)


def measure_compile(cell, cfg, first):
    """Builds a fresh schedule and compiles a fresh function object.  Later
    rounds of a slow cell stop once the cell has spent its compile budget; the
    median is over the rounds it did run."""
    import jax
    import jax.numpy as jnp

    if not first and sum(cell.compile_s) >= cfg.compile_budget:
        return
    step0 = jnp.asarray(0, jnp.int32)
    t0 = time.perf_counter()
    schedule, horizon = build(cell.family, cell.lib, cell.n)
    t1 = time.perf_counter()
    fn = lambda step: schedule(step)  # noqa: E731  (a fresh object every round)
    compiled = jax.jit(fn).lower(step0).compile()
    t2 = time.perf_counter()
    cell.build_s.append(t1 - t0)
    cell.compile_s.append(t2 - t1)
    if first:
        cell.horizon, cell.schedule, cell.compiled = horizon, schedule, compiled
        cell.eqns = count_eqns(jax.make_jaxpr(lambda s: schedule(s))(step0).jaxpr)
        # A few values, to check that both libraries build the same schedule.
        steps = np.linspace(0, horizon, 37).astype(np.int32)
        cell.check_steps = steps.tolist()
        cell.check_values = [float(compiled(jnp.asarray(s))) for s in steps]


def measure_call(cell, cfg):
    """Steady state of the compiled scalar-step function, one call at a time."""
    import jax.numpy as jnp

    step = jnp.asarray(cell.horizon // 3, jnp.int32)
    f = cell.compiled
    f(step).block_until_ready()
    if cell.calls is None:
        t0 = time.perf_counter()
        for _ in range(20):
            f(step).block_until_ready()
        per = (time.perf_counter() - t0) / 20
        cell.calls = int(min(max(cfg.target_s / max(per, 1e-9), 20), 20000))
    t0 = time.perf_counter()
    for _ in range(cell.calls):
        f(step).block_until_ready()
    cell.call_s.append((time.perf_counter() - t0) / cell.calls)


def measure_loop(cell, cfg):
    """Steady state inside a jitted loop over pseudo-random steps: time per step."""
    import jax.numpy as jnp

    k0 = jnp.asarray(17, jnp.int32)
    if cell.loop_fn is None:
        t0 = time.perf_counter()
        loop = _loop_function(cell.schedule, cell.horizon, cfg.loop_stride)
        cell.loop_fn = loop.lower(k0, k0).compile()
        cell.loop_compile_s = time.perf_counter() - t0
    g = cell.loop_fn
    if cell.loop_steps is None:
        probe = jnp.asarray(cfg.min_loop, jnp.int32)
        g(k0, probe).block_until_ready()
        t0 = time.perf_counter()
        g(k0, probe).block_until_ready()
        per = (time.perf_counter() - t0) / cfg.min_loop
        cell.loop_steps = int(
            min(max(cfg.target_s / max(per, 1e-9), cfg.min_loop), cfg.max_loop)
        )
    steps = jnp.asarray(cell.loop_steps, jnp.int32)
    g(k0, steps).block_until_ready()
    t0 = time.perf_counter()
    g(k0, steps).block_until_ready()
    cell.loop_s.append((time.perf_counter() - t0) / cell.loop_steps)


def measure_round(cell, cfg, first):
    """One round of every measurement of ``cell``; a failure loses only the
    metrics that depend on the failed step."""
    if cell.live("compile"):
        try:
            measure_compile(cell, cfg, first)
        except Exception as exc:  # noqa: BLE001
            cell.fail(METRICS, exc)
            _debug()
    if cell.live("call"):
        try:
            measure_call(cell, cfg)
        except Exception as exc:  # noqa: BLE001
            cell.fail(["call"], exc)
            _debug()
    if cell.live("loop"):
        try:
            measure_loop(cell, cfg)
        except Exception as exc:  # noqa: BLE001
            cell.fail(["loop"], exc)
            _debug()


def _debug():
    if os.environ.get("BENCH_DEBUG"):
        traceback.print_exc()


def loop_baseline(cfg, rounds):
    """Loop overhead alone: the same loop around ``step * 1e-6``."""
    import jax.numpy as jnp

    g = _loop_function(lambda t: t.astype(jnp.float32) * 1e-6, 10**6)
    k0 = jnp.asarray(17, jnp.int32)
    steps = jnp.asarray(cfg.max_loop, jnp.int32)
    g(k0, steps).block_until_ready()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        g(k0, steps).block_until_ready()
        out.append((time.perf_counter() - t0) / cfg.max_loop)
    return statistics.median(out)


def measure_isolated(cell, cfg):
    """Measures one cell in a child process with capped memory and time, so
    that a crash, an out-of-memory or a hang (optax at large N) costs only what
    had not been measured yet.  The child prints its results after each phase
    (compile and call timings first, the loop last)."""
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        f"{cell.family}:{cell.n}:{cell.lib}",
        "--rounds",
        str(cfg.rounds),
        "--target-ms",
        str(cfg.target_s * 1e3),
        "--compile-budget",
        str(cfg.compile_budget),
        "--min-loop",
        str(cfg.min_loop),
        "--max-loop",
        str(cfg.max_loop),
        "--child-mem-gb",
        str(cfg.child_mem_gb),
        "--loop-stride",
        str(cfg.loop_stride),
    ]
    reason = None
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=cfg.cell_timeout
        )
        out, err, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        out = out.decode() if isinstance(out, bytes) else out
        err, rc = "", None
        reason = f"timed out after {cfg.cell_timeout:.0f} s (--cell-timeout)"
    if rc not in (0, None):
        if "bad_alloc" in err or "MemoryError" in err or "RESOURCE_EXHAUSTED" in err:
            reason = f"out of memory (> {cfg.child_mem_gb:g} GB, --child-mem-gb)"
        elif rc < 0:
            reason = f"process crashed (signal {-rc})"
        else:
            tail = (err.strip().splitlines() or ["?"])[-1][:120]
            reason = f"process failed (exit {rc}: {tail})"
    lines = [x for x in out.splitlines() if x.startswith("{")]
    if lines:
        cell.load(json.loads(lines[-1]))
    if reason:
        if not lines:
            cell.skip = reason
        else:
            for m in METRICS:
                done = {
                    "eqns": cell.eqns is not None,
                    "compile": cell.compile_s,
                    "call": cell.call_s,
                    "loop": cell.loop_s,
                }[m]
                if not done:
                    cell.missing.setdefault(m, reason)


def run_child(spec, cfg):
    # The child caps its own address space (before jax allocates anything), so
    # that runaway compiles fail here instead of taking the machine's memory.
    try:
        import resource

        limit = int(cfg.child_mem_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass
    family, n, lib = spec.split(":")
    cell = Cell(family, int(n), lib)
    _warm_up([cell.lib])

    def report():
        print(json.dumps(cell.to_json()), flush=True)

    # Compile and call timings first (reported), the loop last: it is the
    # phase that runs out of memory with optax at large N.
    for r in range(cfg.rounds):
        if cell.live("compile"):
            try:
                measure_compile(cell, cfg, first=(r == 0))
            except Exception as exc:  # noqa: BLE001
                cell.fail(METRICS, exc)
        if cell.live("call"):
            try:
                measure_call(cell, cfg)
            except Exception as exc:  # noqa: BLE001
                cell.fail(["call"], exc)
        report()
    for _ in range(cfg.rounds):
        if cell.live("loop"):
            try:
                measure_loop(cell, cfg)
            except Exception as exc:  # noqa: BLE001
                cell.fail(["loop"], exc)
            report()


def _warm_up(libs, families=FAMILIES):
    """Compiles a small schedule of each family once, so that one-time costs
    (jax's own caches, the first XLA compile) are not charged to the first cell."""
    import jax
    import jax.numpy as jnp

    step0 = jnp.asarray(0, jnp.int32)
    for lib in libs:
        for family in families:
            s, _ = build(family, lib, 3)
            jax.jit(lambda t, s=s: s(t)).lower(step0).compile()


# ---------------------------------------------------------------------------
# Report.


def _fmt(x, scale, digits):
    if x is None:
        return "—"
    v = x * scale
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.{max(digits - 1, 0)}f}"
    return f"{v:.{digits}f}"


def _ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def _rfmt(r):
    if r is None:
        return "—"
    return f"{r:.0f}×" if r >= 100 else (f"{r:.1f}×" if r >= 10 else f"{r:.2f}×")


METRIC_OF = {
    "eqns": "eqns",
    "build_s": "compile",
    "compile_s": "compile",
    "call_s": "call",
    "loop_s": "loop",
}


def _value(cell, attr):
    if cell is None or not cell.live(METRIC_OF[attr]):
        return None
    return _median(getattr(cell, attr)) if attr.endswith("_s") else getattr(cell, attr)


def tables(cells, sizes):
    """The two Markdown tables: tracing/compiling, and evaluating."""
    out = []
    why = {}

    def mark(cell, attr):
        if cell is None:
            return "—"
        reason = cell.skip or cell.missing.get(METRIC_OF[attr])
        if reason:
            tag = why.setdefault(reason, len(why) + 1)
            return f"— [{tag}]"
        return None

    out.append(
        "Trace and compile (medians; compile = `jit(f).lower(step).compile()` "
        "for a fresh schedule):\n"
    )
    out.append(
        "| schedule | N | eqns jaxdecay | eqns optax | build jaxdecay (ms) "
        "| build optax (ms) | compile jaxdecay (ms) | compile optax (ms) "
        "| compile optax / jaxdecay |"
    )
    out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for family in FAMILIES:
        for n in sizes:
            jd, ox = cells.get((family, n, "jaxdecay")), cells.get((family, n, "optax"))
            if jd is None and ox is None:
                continue
            row = [family, str(n)]
            for attr, scale, digits in (
                ("eqns", 1, 0),
                ("build_s", 1e3, 2),
                ("compile_s", 1e3, 1),
            ):
                for c in (jd, ox):
                    m = mark(c, attr)
                    if m:
                        row.append(m)
                    elif attr == "eqns":
                        row.append(f"{c.eqns:,}")
                    else:
                        row.append(_fmt(_value(c, attr), scale, digits))
            row.append(_rfmt(_ratio(_value(ox, "compile_s"), _value(jd, "compile_s"))))
            out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append(
        "Evaluation (medians; `call` = one call of the compiled scalar-step "
        "function, `loop` = per step inside a jitted `fori_loop`; "
        "`vs N=2` = jaxdecay at N over jaxdecay at N = 2):\n"
    )
    out.append(
        "| schedule | N | call jaxdecay (µs) | call optax (µs) "
        "| call jaxdecay vs N=2 | loop jaxdecay (ns/step) "
        "| loop optax (ns/step) | loop jaxdecay vs N=2 "
        "| loop optax / jaxdecay |"
    )
    out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for family in FAMILIES:
        base = cells.get((family, 2, "jaxdecay"))
        for n in sizes:
            jd, ox = cells.get((family, n, "jaxdecay")), cells.get((family, n, "optax"))
            if jd is None and ox is None:
                continue
            row = [family, str(n)]
            for attr, scale, digits in (("call_s", 1e6, 2), ("loop_s", 1e9, 1)):
                for c in (jd, ox):
                    m = mark(c, attr)
                    row.append(m if m else _fmt(_value(c, attr), scale, digits))
                row.append(_rfmt(_ratio(_value(jd, attr), _value(base, attr))))
            row.append(_rfmt(_ratio(_value(ox, "loop_s"), _value(jd, "loop_s"))))
            out.append("| " + " | ".join(row) + " |")
    if why:
        out.append("")
        for reason, tag in why.items():
            out.append(f"[{tag}] not measured: {reason}")
    return "\n".join(out)


def targets(cells, sizes, cfg):
    """PASS / FAIL / SKIP for each target of the issue."""
    lines = []

    def verdict(ok):
        return "SKIP" if ok is None else ("PASS" if ok else "FAIL")

    def jd(family, n, attr):
        return _value(cells.get((family, n, "jaxdecay")), attr)

    ns = sorted(sizes)

    # Up to COMPARE_MAX boundaries are compared one by one, without a lookup
    # table (fewer equations); from TABLE_FROM pieces on, every N has the table.
    from jaxdecay._core.numerics import COMPARE_MAX

    table_from = COMPARE_MAX + 2

    def flat(family, ref, label):
        """Equations and compile time at every N >= ref against N = ref: the
        equations the same at every N with a lookup table, and no more below;
        the compile time at the largest N within ``--compile-tol`` of N = ref."""
        measured = [
            n
            for n in ns
            if ref is not None and n >= ref and jd(family, n, "eqns") is not None
        ]
        tabled = [n for n in measured if n >= table_from]
        if len(measured) < 2 or not tabled:
            lines.append(
                f"SKIP  {label}: eqns/compile flat in N (needs two sizes >= {ref}, "
                f"one of them >= {table_from})"
            )
            return None
        eq = {n: jd(family, n, "eqns") for n in measured}
        top = measured[-1]
        c_ref, c_top = jd(family, ref, "compile_s"), jd(family, top, "compile_s")
        same = len({eq[n] for n in tabled}) == 1
        ok = same and max(eq.values()) <= eq[top] and c_top <= cfg.compile_tol * c_ref
        lines.append(
            f"{verdict(ok)}  {label}: eqns and compile time flat in N — eqns "
            f"{', '.join(str(eq[n]) for n in measured)} at N = "
            f"{', '.join(map(str, measured))} (the same from N={tabled[0]}); "
            f"compile {c_ref * 1e3:.0f} ms at N={ref}, {c_top * 1e3:.0f} ms at "
            f"N={top} (x{c_top / c_ref:.2f}, allowed x{cfg.compile_tol})"
        )
        return eq[top]

    # 1. Piecewise: equations and compile time do not grow with N (N = 1 of a
    # piecewise constant schedule has no boundary at all, so it starts at 2).
    for family in ("piecewise_constant", "piecewise_linear"):
        flat(family, next((n for n in ns if n >= 2), None), family)
    # 2. Join: grows with the kinds of pieces, not the number of pieces.  The
    # reference is the first N where every kind has two pieces or more (a kind
    # with a single piece is evaluated directly, without stacked tables).
    top = {}
    for family, kinds in KINDS.items():
        ref = next((n for n in ns if n >= 2 * kinds), None)
        top[family] = flat(family, ref, f"{family} ({kinds} kind{'s' * (kinds > 1)})")
    # The kinds of join_3kinds are those of join_2kinds plus one, so the count
    # must grow from one to the other (join_cycles' one kind, a warmup-cosine,
    # is itself a warmup and a cosine: its count is not comparable).
    a, b = top.get("join_2kinds"), top.get("join_3kinds")
    if a is None or b is None:
        lines.append(
            "SKIP  join: eqns grow with the number of kinds (needs both "
            "join_2kinds and join_3kinds)"
        )
    else:
        lines.append(
            f"{verdict(a < b)}  join: eqns grow with the number of kinds — "
            f"2 kinds (linear, cosine): {a}, 3 kinds (+ exponential): {b}"
        )
    # 3. N = 1000: compile at least 10x faster than optax.
    for family in FAMILIES:
        a = jd(family, 1000, "compile_s")
        b = _value(cells.get((family, 1000, "optax")), "compile_s")
        if a is None or b is None:
            lines.append(
                f"SKIP  {family}: compile >= 10x faster than optax at N=1000 "
                "(not measured)"
            )
            continue
        lines.append(
            f"{verdict(b / a >= 10)}  {family}: compile >= 10x faster than "
            f"optax at N=1000 — {a * 1e3:.0f} ms vs {b * 1e3:.0f} ms "
            f"(x{b / a:.1f})"
        )
    # 4. Evaluation at N = 1000 no slower than at N = 2.  A join of k kinds is
    # also compared with the first size where every kind is present with two
    # pieces or more (N = 2 of a 3-kind join lacks a kind, and single pieces of
    # a kind are evaluated without the stacked tables); the verdict uses that
    # reference, the line shows both.
    for family in FAMILIES:
        kinds = KINDS.get(family, 1)
        ref = 2 if kinds == 1 else next((n for n in ns if n >= 2 * kinds), 2)
        for attr, what, scale, unit, slack in (
            ("call_s", "per call", 1e6, "µs", cfg.eval_slack_us * 1e-6),
            ("loop_s", "in a loop", 1e9, "ns/step", cfg.eval_slack_ns * 1e-9),
        ):
            a, b = jd(family, ref, attr), jd(family, 1000, attr)
            a2 = jd(family, 2, attr)
            if a is None or b is None:
                lines.append(
                    f"SKIP  {family}: eval {what} at N=1000 <= N={ref} (not measured)"
                )
                continue
            extra = ""
            if ref != 2 and a2 is not None:
                extra = f"; vs N=2: {a2 * scale:.2f} {unit}, x{b / a2:.2f}"
            ok = b <= cfg.eval_tol * a + slack
            lines.append(
                f"{verdict(ok)}  {family}: eval {what} at N=1000 no slower "
                f"than N={ref} — {a * scale:.2f} vs {b * scale:.2f} {unit} "
                f"(x{b / a:.2f}; allowed x{cfg.eval_tol} + {slack * scale:g} "
                f"{unit}{extra})"
            )
    return lines


def agreement(cells):
    """Largest relative difference between jaxdecay and optax, per family."""
    out = {}
    for (family, n, lib), c in cells.items():
        if lib != "jaxdecay" or not c.check_values:
            continue
        o = cells.get((family, n, "optax"))
        if o is None or not o.check_values:
            continue
        a, b = np.asarray(c.check_values), np.asarray(o.check_values)
        rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-30)))
        out[family] = max(out.get(family, 0.0), rel)
    return out


# ---------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--sizes",
        default=None,
        help="comma-separated numbers of pieces N "
        "[default: 1,2,10,100,1000,5000; --quick: 2,10]",
    )
    p.add_argument(
        "--families",
        default=",".join(FAMILIES),
        help="comma-separated schedule families",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="interleaved rounds; medians are reported [default: 5; --quick: 1]",
    )
    p.add_argument(
        "--optax-max",
        type=int,
        default=1000,
        help="largest N measured for optax (larger cells are skipped)",
    )
    p.add_argument(
        "--isolate-above",
        type=int,
        default=100,
        help="optax cells with N above this run in a child process, so a "
        "crash or hang costs only that cell",
    )
    p.add_argument(
        "--cell-timeout",
        type=float,
        default=300.0,
        help="seconds allowed to an isolated cell",
    )
    p.add_argument(
        "--child-mem-gb",
        type=float,
        default=4.0,
        help="address-space limit of an isolated cell's process (optax's "
        "loop at N=1000 otherwise takes over 20 GB)",
    )
    p.add_argument(
        "--compile-budget",
        type=float,
        default=8.0,
        help="seconds of compile time per cell after which its later rounds "
        "skip the compile timing (slow optax cells)",
    )
    p.add_argument(
        "--target-ms",
        type=float,
        default=40.0,
        help="wall time aimed at by each call / loop timing",
    )
    p.add_argument(
        "--loop-stride",
        type=int,
        default=STRIDE,
        help="loop step i evaluates step (i * stride + k0) %% horizon: the default "
        "scatters the steps over every piece (worst case for data locality); 1 "
        "gives consecutive steps, as in training",
    )
    p.add_argument("--min-loop", type=int, default=2000, help="fewest loop steps")
    p.add_argument("--max-loop", type=int, default=400_000, help="most loop steps")
    p.add_argument(
        "--compile-tol",
        type=float,
        default=1.5,
        help="target 1/2: compile time at the largest N may be at most this "
        "times the reference",
    )
    p.add_argument(
        "--eval-tol",
        type=float,
        default=1.2,
        help="target 4: evaluation at N=1000 may be at most this times N=2 "
        "(plus the slack below)",
    )
    p.add_argument(
        "--eval-slack-ns",
        type=float,
        default=1.5,
        help="target 4: absolute noise allowance in the loop, ns per step",
    )
    p.add_argument(
        "--eval-slack-us",
        type=float,
        default=1.0,
        help="target 4: absolute noise allowance per call, µs",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny configuration (N = 2, 10; 1 round) that runs in seconds",
    )
    p.add_argument("--json", metavar="PATH", help="write every measurement to PATH")
    p.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    p.add_argument("--child", help=argparse.SUPPRESS)
    cfg = p.parse_args(argv)
    if cfg.quick:  # explicit --sizes / --rounds still apply
        cfg.sizes = cfg.sizes or "2,10"
        cfg.rounds = cfg.rounds or 1
        cfg.target_ms, cfg.min_loop, cfg.max_loop = 2.0, 200, 2000
    cfg.sizes = cfg.sizes or "1,2,10,100,1000,5000"
    cfg.rounds = cfg.rounds or 5
    cfg.target_s = cfg.target_ms / 1e3
    cfg.sizes = sorted({int(x) for x in str(cfg.sizes).split(",") if x.strip()})
    cfg.families = [f.strip() for f in cfg.families.split(",") if f.strip()]
    for f in cfg.families:
        if f not in FAMILIES:
            p.error(f"unknown family {f!r}; choose from {', '.join(FAMILIES)}")
    if min(cfg.sizes) < 1:
        p.error("--sizes must be >= 1")
    return cfg


def main(argv=None):
    cfg = parse_args(argv)
    if cfg.child:
        run_child(cfg.child, cfg)
        return 0

    import jax
    import optax

    start = time.perf_counter()
    cells = {}
    for family in cfg.families:
        for n in cfg.sizes:
            for lib in LIBS:
                cell = Cell(family, n, lib)
                if lib == "optax" and n > cfg.optax_max:
                    cell.skip = f"N > --optax-max={cfg.optax_max}"
                cells[cell.key] = cell
    isolated = [
        c
        for c in cells.values()
        if c.ok and c.lib == "optax" and c.n > cfg.isolate_above
    ]
    inline = [c for c in cells.values() if c.ok and c not in isolated]

    # A smoke test's timings mean nothing: --quick warms up one family only.
    _warm_up(LIBS, FAMILIES[:1] if cfg.quick else FAMILIES)
    baseline = loop_baseline(cfg, max(cfg.rounds, 3))
    for r in range(cfg.rounds):
        # Interleave: each round visits every cell, in an order rotated each round.
        order = inline[r % len(inline) :] + inline[: r % len(inline)] if inline else []
        for cell in order:
            measure_round(cell, cfg, first=(r == 0))
        print(
            f"  round {r + 1}/{cfg.rounds} done ({time.perf_counter() - start:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    for cell in isolated:
        print(
            f"  isolated cell {cell.family} N={cell.n} {cell.lib} ...",
            file=sys.stderr,
            flush=True,
        )
        measure_isolated(cell, cfg)
    elapsed = time.perf_counter() - start

    cpu = platform.processor() or platform.machine()
    print(
        f"# bench_pieces: jax {jax.__version__}, optax {optax.__version__}, "
        f"backend {jax.default_backend()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}"
    )
    print(
        f"# sizes {cfg.sizes}, {cfg.rounds} rounds, loop stride {cfg.loop_stride}, "
        f"loop overhead alone "
        f"{baseline * 1e9:.1f} ns/step (included in the loop columns), "
        f"total {elapsed:.0f} s\n"
    )
    print(tables(cells, cfg.sizes))
    agree = agreement(cells)
    if agree:
        print(
            "\nSame schedule in both libraries (max relative difference over 37 "
            "steps): " + ", ".join(f"{f} {v:.1e}" for f, v in agree.items())
        )
    print("\nTargets:")
    lines = targets(cells, cfg.sizes, cfg)
    for line in lines:
        print("  " + line)
    if cfg.json:
        with open(cfg.json, "w") as fh:
            json.dump(
                {
                    "jax": jax.__version__,
                    "optax": optax.__version__,
                    "cpus": os.cpu_count(),
                    "sizes": cfg.sizes,
                    "rounds": cfg.rounds,
                    "loop_overhead_s_per_step": baseline,
                    "elapsed_s": elapsed,
                    "agreement_max_rel": agree,
                    "targets": lines,
                    "cells": [c.to_json() for c in cells.values()],
                },
                fh,
                indent=1,
            )
    failed = any(line.startswith("FAIL") for line in lines)
    return 1 if (cfg.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
