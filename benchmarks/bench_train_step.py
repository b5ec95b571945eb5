#!/usr/bin/env python
"""Training-step overhead of a schedule: a jitted Flax NNX step with optax.adamw.

For each model (tiny 8->8->1, small MLP 64->256->256->10, large MLP sized for a
GPU) and each loop (one Python call per step; a ``lax.scan`` of 100 steps per
call), it times the same step with the learning rate given as:

* ``constant float``: ``optax.adamw(1e-3)``, the baseline every ratio divides by;
* ``inject_hyperparams(constant)``: ``optax.inject_hyperparams(optax.adamw)``;
* a schedule (warmup-cosine, warmup-stable-decay, a 1000-piece piecewise
  constant, a join of 50 warmup-cosine cycles, a warmup then a reciprocal
  square root, whose power is an exp and a log) given to ``optax.adamw``
  directly, with jaxdecay and with optax, and through ``jaxdecay.inject``
  (readable by ``jaxdecay.hyperparams``); warmup-cosine also through
  ``optax.inject_hyperparams``, with either library's schedule, and through
  ``jaxdecay.inject(..., progress="tokens")``, driven by the tokens consumed
  (each batch row counts as ``TOKENS_PER_ROW`` tokens);
* reduce on plateau: jaxdecay's ``reduce_on_plateau(...).as_transform()`` and
  through ``jaxdecay.inject``, against ``optax.contrib.reduce_on_plateau``.

Cells are timed in interleaved rounds (each round visits every cell in a rotated
order); medians are reported with the ratio to the baseline of the same model
and loop.  See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import sys
import time

import _common as C
import numpy as np

MODELS = {
    # name: (layer sizes, batch)
    "tiny": ((8, 8, 1), 32),
    "small": ((64, 256, 256, 10), 128),
    "large": ((1024, 4096, 4096, 1024), 1024),
}
LOOPS = ("call", "scan")
SCAN = 100
LR, WD = 1e-3, 1e-4
TOTAL = 100_000  # schedule horizon in steps
TOKENS_PER_ROW = 512  # tokens of one batch row, for the token-driven variant
SCHEDULES = ("warmup_cosine", "wsd", "piecewise_1000", "join_50", "rsqrt")
# variant: (label, library, how)
VARIANTS = [("baseline", "optax", "float"), ("inject_const", "optax", "inject")]
for _s in SCHEDULES:
    VARIANTS += [
        (_s, "jaxdecay", "direct"),
        (_s, "jaxdecay", "jd.inject"),
        (_s, "optax", "direct"),
    ]
    if _s == "warmup_cosine":  # inject_hyperparams: one schedule is enough
        VARIANTS += [(_s, "jaxdecay", "inject"), (_s, "optax", "inject")]
        # schedules of tokens: one schedule is enough too
        VARIANTS += [(_s, "jaxdecay", "jd.inject tokens")]
VARIANTS += [
    ("plateau", "jaxdecay", "as_transform"),
    ("plateau", "jaxdecay", "jd.inject"),
    ("plateau", "optax", "contrib"),
]
QUICK = [
    ("baseline", "optax", "float"),
    ("warmup_cosine", "jaxdecay", "direct"),
    ("warmup_cosine", "jaxdecay", "jd.inject"),
    ("warmup_cosine", "jaxdecay", "jd.inject tokens"),
    ("warmup_cosine", "optax", "direct"),
    ("plateau", "jaxdecay", "as_transform"),
    ("plateau", "optax", "contrib"),
]
# The --quick run's scan loop (the call loop runs every variant of QUICK): the
# baseline, jaxdecay.inject and a plateau, which reads the loss in the loop.
QUICK_SCAN = [
    ("baseline", "optax", "float"),
    ("warmup_cosine", "jaxdecay", "jd.inject"),
    ("plateau", "optax", "contrib"),
]
HOW = {
    "float": "optax.adamw(1e-3)",
    "direct": "optax.adamw(schedule)",
    "jd.inject": "jaxdecay.inject(optax.adamw)(learning_rate=schedule)",
    "jd.inject tokens": 'jaxdecay.inject(optax.adamw, progress="tokens")'
    "(learning_rate=schedule); update(..., tokens=n)",
    "inject": "optax.inject_hyperparams(optax.adamw)(learning_rate=...)",
    "as_transform": "chain(adamw(1e-3), reduce_on_plateau().as_transform())",
    "contrib": "chain(adamw(1e-3), optax.contrib.reduce_on_plateau())",
}


def schedule(name, lib, scale=1):
    """The schedule ``name`` of library ``lib``; jaxdecay's warmup-cosine with
    its lengths multiplied by ``scale`` (a schedule of tokens, for ``scale``
    tokens to a step)."""
    import optax

    import jaxdecay as jd

    warm = 1_000
    if name == "warmup_cosine":
        if lib == "jaxdecay":
            return jd.warmup_cosine_decay(
                LR, warm * scale, TOTAL * scale, end_value=LR * 0.01
            )
        return optax.warmup_cosine_decay_schedule(
            0.0, LR, warm, TOTAL, end_value=LR * 0.01
        )
    if name == "wsd":
        decay = TOTAL // 10
        stable = TOTAL - warm - decay
        if lib == "jaxdecay":
            return jd.warmup_stable_decay(LR, warm, stable, decay)
        return optax.join_schedules(
            [
                optax.linear_schedule(0.0, LR, warm),
                optax.constant_schedule(LR),
                optax.linear_schedule(LR, 0.0, decay),
            ],
            [warm, warm + stable],
        )
    if name == "piecewise_1000":
        bounds = [100 * k for k in range(1, 1000)]
        values = LR * (1.0 + 0.5 * np.sin(0.7 * np.arange(1000)))
        if lib == "jaxdecay":
            return jd.piecewise_constant(bounds, values)
        scales = {b: float(values[i + 1] / values[i]) for i, b in enumerate(bounds)}
        return optax.piecewise_constant_schedule(float(values[0]), scales)
    if name == "join_50":
        length = TOTAL // 50
        bounds = [length * k for k in range(1, 50)]
        peaks = LR * (1.0 - 0.01 * np.arange(50))
        if lib == "jaxdecay":
            parts = [jd.warmup_cosine_decay(float(p), 100, length) for p in peaks]
            return jd.join(parts, bounds)
        parts = [
            optax.warmup_cosine_decay_schedule(0.0, float(p), 100, length)
            for p in peaks
        ]
        return optax.join_schedules(parts, bounds)
    if name == "rsqrt":  # the power: an exp and a log of the step
        if lib == "jaxdecay":
            return jd.warmup(jd.power_decay(LR, float(warm), 0.5, warm), warm)
        import jax

        return optax.join_schedules(
            [
                optax.linear_schedule(0.0, LR, warm),
                lambda count: LR * jax.lax.rsqrt(1.0 + count / warm),
            ],
            [warm],
        )
    raise ValueError(name)


def optimizer(variant, tokens_per_step=1):
    """``(tx, extra)``: the keyword arguments of ``tx.update`` beside the
    gradients (``value``, the metric, is filled in with the loss)."""
    import optax

    import jaxdecay as jd
    from jaxdecay._train.inject import inject

    inject_jd = getattr(jd, "inject", inject)
    name, lib, how = variant
    metric = {"value": None}
    if how == "float":
        return optax.adamw(LR, weight_decay=WD), {}
    if name == "inject_const":
        return optax.inject_hyperparams(optax.adamw)(
            learning_rate=LR, weight_decay=WD
        ), {}
    if name == "plateau":
        if how == "as_transform":
            plateau = jd.reduce_on_plateau(factor=0.5, patience=10)
            return optax.chain(
                optax.adamw(LR, weight_decay=WD), plateau.as_transform()
            ), metric
        if how == "jd.inject":
            plateau = jd.reduce_on_plateau(factor=0.5, patience=10, base=LR)
            return inject_jd(optax.adamw)(
                learning_rate=plateau, weight_decay=WD
            ), metric
        return optax.chain(
            optax.adamw(LR, weight_decay=WD),
            optax.contrib.reduce_on_plateau(factor=0.5, patience=10),
        ), metric
    if how == "jd.inject tokens":
        # The schedule's steps are tokens (per_step=1) where its horizon fits
        # the int32 steps a schedule reads without x64; on the larger models,
        # steps of per_step tokens (the least power of two that fits).
        per_step = 1
        while TOTAL * tokens_per_step // per_step >= 2**31:
            per_step *= 2
        lr = schedule(name, lib, scale=tokens_per_step // per_step)
        tx = inject_jd(optax.adamw, progress="tokens", per_step=per_step)(
            learning_rate=lr, weight_decay=WD
        )
        return tx, {"tokens": tokens_per_step}
    lr = schedule(name, lib)
    if how == "direct":
        return optax.adamw(lr, weight_decay=WD), {}
    if how == "jd.inject":
        return inject_jd(optax.adamw)(learning_rate=lr, weight_decay=WD), {}
    return optax.inject_hyperparams(optax.adamw)(learning_rate=lr, weight_decay=WD), {}


def make_cell(model_name, loop, variant, device):
    """Returns ``run()``: one call of the compiled step(s), and the steps it does."""
    import jax
    import jax.numpy as jnp
    from flax import nnx

    sizes, batch = MODELS[model_name]

    class MLP(nnx.Module):
        def __init__(self, rngs):
            self.layers = nnx.List(
                [
                    nnx.Linear(a, b, rngs=rngs)
                    for a, b in zip(sizes, sizes[1:], strict=False)
                ]
            )

        def __call__(self, x):
            for layer in self.layers[:-1]:
                x = jax.nn.relu(layer(x))
            return self.layers[-1](x)

    # The token-driven variant counts TOKENS_PER_ROW tokens per batch row: a
    # Python int known when the step is traced, as with fixed-shape batches.
    tx, extra = optimizer(variant, tokens_per_step=batch * TOKENS_PER_ROW)
    with jax.default_device(device):
        model = MLP(nnx.Rngs(0))
        opt = nnx.Optimizer(model, tx, wrt=nnx.Param)
        graphdef, state = nnx.split((model, opt))
        # Fresh buffers: optax may share one zero array between state leaves,
        # which a donated argument cannot hold twice.
        state = jax.tree.map(jnp.copy, state)
        # The step takes and returns the state as a flat list of arrays: jit
        # then flattens a list in C++, where an ``nnx.State`` is walked in
        # Python at about 3 us per array on a 2-core CPU.  That walk would
        # charge every extra state array (optax's own schedule counter
        # included) 4-6% of a tiny step, a cost of Flax's boxing and not of
        # the schedule.  The model and optimizer are still NNX objects.
        arrays, treedef = jax.tree.flatten(state)
        key = jax.random.PRNGKey(1)
        kx, ky = jax.random.split(key)
        lead = (SCAN,) if loop == "scan" else ()
        x = jax.random.normal(kx, (*lead, batch, sizes[0]), jnp.float32)
        y = jax.random.normal(ky, (*lead, batch, sizes[-1]), jnp.float32)

    def loss_fn(model, x, y):
        return jnp.mean(jnp.square(model(x) - y))

    def one(arrays, x, y):
        model, opt = nnx.merge(graphdef, jax.tree.unflatten(treedef, arrays))
        loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
        opt.update(
            model, grads, **{k: loss if v is None else v for k, v in extra.items()}
        )
        return jax.tree.leaves(nnx.state((model, opt))), loss

    if loop == "call":
        step = jax.jit(one, donate_argnums=0)
        steps = 1
    else:

        def many(state, xs, ys):
            def body(s, xy):
                return one(s, *xy)

            return jax.lax.scan(body, state, (xs, ys))

        step = jax.jit(many, donate_argnums=0)
        steps = SCAN
    holder = {"state": arrays}

    def run():
        holder["state"], loss = step(holder["state"], x, y)
        return loss

    def kernels():
        compiled = step.lower(holder["state"], x, y).compile()
        return C.kernels(compiled.as_text())

    run.kernels = kernels
    return run, steps


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "--models",
        default=None,
        help="comma-separated models (tiny, small, large) [default: tiny,small "
        "on a CPU, tiny,small,large on an accelerator]",
    )
    p.add_argument("--loops", default="call,scan", help="call, scan or both")
    p.add_argument("--rounds", type=int, default=21, help="interleaved rounds")
    p.add_argument(
        "--large-rounds",
        type=int,
        default=None,
        help="rounds for the large model [default: --rounds on an accelerator, "
        "5 on a CPU]",
    )
    p.add_argument(
        "--target-ms", type=float, default=25.0, help="wall time of one sample"
    )
    p.add_argument(
        "--variants",
        default=None,
        help="comma-separated schedule names to keep (baseline always runs): "
        "inject_const, " + ", ".join(SCHEDULES) + ", plateau",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny model, 1 round, 7 variants (3 of them in the scan loop)",
    )
    p.add_argument(
        "--cpus",
        type=int,
        default=None,
        help="run on the first N CPUs this process may use (set before JAX "
        "starts).  On a small machine, --cpus 1 removes the XLA CPU runtime's "
        "hand-overs of work between threads, which move tiny steps by several "
        "percent either way, and leaves the cost of the step itself [default: "
        "all of them]",
    )
    p.add_argument("--json", metavar="PATH", help="write the results to PATH")
    C.add_device_arg(p)
    cfg = p.parse_args(argv)
    if cfg.cpus is not None and cfg.cpus < 1:
        p.error(f"--cpus must be at least 1; got --cpus {cfg.cpus}")
    if cfg.quick:
        cfg.models = cfg.models or "tiny"
        cfg.rounds, cfg.target_ms = 1, 2.0
    return cfg


def run(cfg):
    if cfg.cpus:
        C.use_cpus(cfg.cpus)
    device = C.select_device(cfg.device)
    import jax

    env = C.environment(device)
    accel = device.platform != "cpu"
    models = (cfg.models or ("tiny,small,large" if accel else "tiny,small")).split(",")
    loops = [x for x in cfg.loops.split(",") if x]
    keep = set(cfg.variants.split(",")) if cfg.variants else None
    variants = [
        v for v in VARIANTS if v[0] == "baseline" or keep is None or v[0] in keep
    ]
    if cfg.quick:  # one variant of each kind
        variants = [v for v in variants if v in QUICK]

    def looped(loop):
        """The variants timed in ``loop``: every one but in --quick's scan loop."""
        if cfg.quick and loop == "scan":
            return [v for v in variants if v in QUICK_SCAN]
        return variants

    large_rounds = cfg.large_rounds or (cfg.rounds if accel else min(cfg.rounds, 5))

    cells, fns, compile_s, reps, kernels = [], {}, {}, {}, {}
    start = time.perf_counter()
    block = jax.block_until_ready
    for m in models:
        for loop in loops:
            for v in looped(loop):
                key = (m, loop, v)
                t0 = time.perf_counter()
                fn, steps = make_cell(m, loop, v, device)
                block(fn())  # compile and warm up
                compile_s[key] = time.perf_counter() - t0
                kernels[key] = fn.kernels()
                fns[key] = (fn, steps)
                reps[key] = C.calibrate(fn, cfg.target_ms / 1e3, block)
                cells.append(key)
        print(
            f"  built {m} ({time.perf_counter() - start:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    # Paired sampling: every sample of a variant comes right after a sample of
    # the baseline of the same model and loop, and the ratio of the pair is
    # kept; the medians of those ratios are what the targets use (load from
    # other processes, which comes and goes over seconds, cancels in a pair).
    def measure(key):
        m, loop, v = key
        base = (m, loop, VARIANTS[0])
        fn_b, steps_b = fns[base]
        fn, steps = fns[key]
        wb, cb = C.sample(fn_b, reps[base], block)
        w, c = C.sample(fn, reps[key], block)
        return (w / steps, c / steps, (w / steps) / (wb / steps_b), c / cb)

    samples = {}
    for m in models:
        group = [c for c in cells if c[0] == m and c[2] != VARIANTS[0]]
        rounds = large_rounds if m == "large" else cfg.rounds
        samples.update(
            C.interleaved(
                group,
                rounds,
                measure,
                log=lambda s, m=m: print(f"{m}: {s}", file=sys.stderr, flush=True),
            )
        )
        for loop in loops:  # the baseline's own time, from its paired samples
            key = (m, loop, VARIANTS[0])
            others = [samples[c] for c in group if c[1] == loop]
            fn, steps = fns[key]
            samples[key] = [
                (s[0] / s[2], None, 1.0, 1.0) for per in others for s in per
            ]

    def med(key, i):
        return C.median([s[i] for s in samples[key]])

    rows, results = [], []
    for m in models:
        for loop in loops:
            for v in looped(loop):
                key = (m, loop, v)
                t, ratio, cpu = med(key, 0), med(key, 2), med(key, 3)
                extra = kernels[key] - kernels[(m, loop, VARIANTS[0])]
                rows.append(
                    [
                        m,
                        loop,
                        v[0],
                        v[1],
                        HOW[v[2]],
                        f"{t * 1e6:.2f}",
                        f"{ratio:.3f}",
                        f"{cpu:.3f}",
                        f"{kernels[key]} ({extra:+d})",
                    ]
                )
                results.append(
                    {
                        "model": m,
                        "loop": loop,
                        "schedule": v[0],
                        "lib": v[1],
                        "how": v[2],
                        "s_per_step": t,
                        "ratio": ratio,
                        "cpu_ratio": cpu,
                        "samples": samples[key],
                        "build_compile_s": compile_s[key],
                        "kernels": kernels[key],
                    }
                )
    lines = [
        C.header("bench_train_step", env),
        f"# models {models}, loops {loops}, {cfg.rounds} interleaved rounds "
        f"({large_rounds} for large); scan = {SCAN} steps per call; ratio = "
        "median over rounds of (variant time / time of the constant-float "
        "baseline sampled just before it, same model and loop); cpu ratio: the "
        "same with process CPU time; kernels: top-level instructions of the "
        "compiled step (scan: of the loop body), each a separate runtime call on "
        "a CPU, and in parentheses the difference from the baseline",
        "",
        C.table(
            [
                "model",
                "loop",
                "schedule",
                "library",
                "how",
                "µs/step",
                "ratio",
                "cpu ratio",
                "kernels",
            ],
            rows,
            ["---", "---", "---", "---", "---", "--:", "--:", "--:", "--:"],
        ),
        "",
        "Targets:",
    ]
    lines += targets(results, models, loops)
    return "\n".join(lines), {
        "env": env,
        "rounds": cfg.rounds,
        "results": results,
        "targets": [x.strip() for x in lines[lines.index("Targets:") + 1 :]],
    }


def targets(results, models, loops):
    """Every jaxdecay variant (direct, jd.inject, plateau transform) within
    1.02x of the baseline on the small MLP and 1.05x on the tiny model, and no
    worse than optax's ratio for the same schedule and way of passing it."""
    out = []
    limit = {"tiny": 1.05, "small": 1.02, "large": 1.02}
    by = {
        (r["model"], r["loop"], r["schedule"], r["lib"], r["how"]): r for r in results
    }
    for m in models:
        for loop in loops:
            mine = [
                r
                for r in results
                if r["model"] == m
                and r["loop"] == loop
                and r["lib"] == "jaxdecay"
                and r["how"] != "inject"
            ]
            if not mine:
                continue
            worst = max(mine, key=lambda r: r["ratio"])
            ok = worst["ratio"] <= limit[m]
            out.append(
                f"  {'PASS' if ok else 'FAIL'}  {m}/{loop}: every jaxdecay variant "
                f"<= {limit[m]}x baseline — worst {worst['schedule']} "
                f"({worst['how']}) {worst['ratio']:.3f}x"
            )
            # Against optax, for the same schedule passed the same way (plateau:
            # the transform against optax.contrib; jd.inject against optax's
            # inject_hyperparams).
            bad = []
            for r in results:
                if r["model"] != m or r["loop"] != loop or r["lib"] != "jaxdecay":
                    continue
                how = {"as_transform": "contrib", "jd.inject": "inject"}.get(
                    r["how"], r["how"]
                )
                if r["schedule"] == "plateau":
                    how = "contrib"
                o = by.get((m, loop, r["schedule"], "optax", how))
                if o is None:
                    continue
                # 2% noise allowance on a shared machine.
                if r["ratio"] > o["ratio"] * 1.02:
                    bad.append(
                        f"{r['schedule']} {r['how']} {r['ratio']:.3f}x vs "
                        f"{o['ratio']:.3f}x"
                    )
            out.append(
                f"  {'PASS' if not bad else 'FAIL'}  {m}/{loop}: jaxdecay <= optax's "
                f"ratio for the same schedule (2% noise allowance)"
                + (" — " + "; ".join(bad) if bad else "")
            )
    return out


def main(argv=None):
    return C.main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
