"""Designs a learning-rate schedule for a small language model from two runs.

A byte-level transformer (Flax NNX, AdamW) learns the Python standard
library's own source files, which every Python installation has on disk, so
nothing is downloaded.  The example

1. trains two fitting runs at the same peak rate, a constant rate (after a
   linear warmup) and a cosine decay to zero, logging the held-out loss;
2. fits both loss-curve laws of ``jaxdecay.design`` to them, the multi-power
   law (Luo et al., 2025) and the annealing law (Tissue et al., 2024);
3. predicts the final held-out loss of a warmup-stable-decay, a linear decay
   to zero and the schedule that ``design.optimize`` finds for the fitted
   multi-power law, at the same budget of steps;
4. trains those runs (the cosine fitting run is already one at the budget),
   and repeats cosine and the optimized schedule with other seeds (another
   initialization and data order) to measure the seed-to-seed spread;
5. prints the predicted against the measured final losses, and draws the
   measured curves (dots), the predicted ones (lines) and the schedules.

Choices.  The fitting runs are as long as the budget (2000 steps): the laws
see a constant rate and a cosine and predict schedules they have not seen
(the cosine row of the table is the fitting run itself, an in-sample check).
Fitting runs half as long, extrapolated to the budget, came out a few percent
too low with this small model.  The laws are fitted on the points after the
first tenth of the run (the first, steep fall of the loss is no power law of
the area under the rates); the annealing law's momentum ``decay`` gives it a
memory of a tenth of the budget (0.995; the paper's 0.999 suits runs of tens
of thousands of steps).  A seed sets the initialization and the data order;
runs with the same seed see the same batches, whatever their schedule.  The
peak, 3e-3: at 1e-2 the loss drop after a decrease of the rate takes hundreds
of steps to arrive, and the schedule optimized there (a long decay) is
predicted 1.3% too low (the other schedules within 0.5%).

Usage:

    python examples/design_schedule.py                # about 5 minutes on 2 CPU cores
    python examples/design_schedule.py --quick        # a tiny smoke test
    python examples/design_schedule.py --seed 1 --out-json design.json

Needs ``flax`` and ``matplotlib`` (``pip install jaxdecay[examples]``).  The
numbers depend on the Python version (its standard library is the corpus).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sysconfig
import time
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import jaxdecay as jd
from jaxdecay import design

DEFAULT_PLOT = Path(__file__).resolve().parents[1] / "docs" / "design_schedule.png"

# --------------------------------------------------------------------------------------
# Data: the standard library's top-level modules, as bytes


class Corpus(NamedTuple):
    train: np.ndarray  # uint8, the training files one after another
    held_out: np.ndarray  # uint8, the held-out files
    train_files: int
    held_out_files: int


def load_corpus(held_out_every: int = 8) -> Corpus:
    """The ``*.py`` files at the top of the standard library's directory, in
    sorted order; every ``held_out_every``-th file is held out (about 4.7 MB and
    1 in 8 files with Python 3.11)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(root.glob("*.py"))
    if len(files) < 2 * held_out_every:
        raise SystemExit(f"found only {len(files)} Python files in {root}")
    train, held = [], []
    for i, path in enumerate(files):
        part = held if i % held_out_every == held_out_every - 1 else train
        part.append(path.read_bytes())
    return Corpus(
        np.frombuffer(b"".join(train), np.uint8),
        np.frombuffer(b"".join(held), np.uint8),
        len(train),
        len(held),
    )


# --------------------------------------------------------------------------------------
# Model: a small causal transformer over bytes


@dataclasses.dataclass(frozen=True)
class Config:
    """Everything a run depends on, besides its schedule and seed."""

    steps: int = 2000  # the budget T
    warmup: int = 100  # W
    peak: float = 3e-3
    d_model: int = 48
    layers: int = 2
    heads: int = 4
    context: int = 64
    batch: int = 32
    b1: float = 0.9
    b2: float = 0.95
    weight_decay: float = 0.0
    evals: int = 80  # held-out evaluations per run, evenly spaced
    eval_windows: int = 256  # held-out sequences of `context` + 1 bytes
    wsd_decay: float = 0.2  # the WSD's decay, a fraction of the budget
    fit_from: float = 0.1  # fit the laws on the points after this fraction of T
    extra_seeds: int = 2  # more seeds for cosine and the optimized schedule
    fit_starts: int = 4  # starting points of each law's fit
    fit_iterations: int = 500  # the iteration limit of each fit
    optimize_iterations: int = 2000


QUICK = Config(
    steps=60, warmup=6, peak=1e-2, d_model=16, layers=1, heads=2, context=16,
    batch=8, evals=10, eval_windows=16, extra_seeds=1, fit_starts=1,
    fit_iterations=30, optimize_iterations=30,
)  # fmt: skip


class Block(nnx.Module):
    """Pre-norm attention and MLP, both residual."""

    def __init__(self, d: int, heads: int, rngs: nnx.Rngs):
        self.heads = heads
        self.norm1 = nnx.LayerNorm(d, rngs=rngs)
        self.qkv = nnx.Linear(d, 3 * d, rngs=rngs)
        self.proj = nnx.Linear(d, d, rngs=rngs)
        self.norm2 = nnx.LayerNorm(d, rngs=rngs)
        self.up = nnx.Linear(d, 4 * d, rngs=rngs)
        self.down = nnx.Linear(4 * d, d, rngs=rngs)

    def __call__(self, x):
        b, t, d = x.shape
        q, k, v = jnp.split(self.qkv(self.norm1(x)), 3, axis=-1)
        q, k, v = (a.reshape(b, t, self.heads, d // self.heads) for a in (q, k, v))
        scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(d // self.heads)
        causal = jnp.tril(jnp.ones((t, t), bool))
        weights = jax.nn.softmax(jnp.where(causal, scores, -1e30), axis=-1)
        y = jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.down(jax.nn.gelu(self.up(self.norm2(x))))


class ByteLM(nnx.Module):
    """Next-byte logits from byte and position embeddings and ``layers`` blocks."""

    def __init__(self, cfg: Config, rngs: nnx.Rngs):
        self.embed = nnx.Embed(256, cfg.d_model, rngs=rngs)
        self.position = nnx.Embed(cfg.context, cfg.d_model, rngs=rngs)
        self.blocks = nnx.List(
            [Block(cfg.d_model, cfg.heads, rngs) for _ in range(cfg.layers)]
        )
        self.norm = nnx.LayerNorm(cfg.d_model, rngs=rngs)
        self.out = nnx.Linear(cfg.d_model, 256, rngs=rngs)

    def __call__(self, x):
        h = self.embed(x) + self.position(jnp.arange(x.shape[1]))
        for block in self.blocks:
            h = block(h)
        return self.out(self.norm(h))


def count_params(cfg: Config) -> int:
    model = nnx.eval_shape(lambda: ByteLM(cfg, nnx.Rngs(0)))
    return sum(p.size for p in jax.tree.leaves(nnx.state(model, nnx.Param)))


# --------------------------------------------------------------------------------------
# Training: one jitted function per schedule structure


class Curve(NamedTuple):
    """A training run: the held-out loss after each logged step."""

    name: str
    schedule: Any
    seed: int
    steps: np.ndarray  # global step counts (updates done), increasing
    loss: np.ndarray  # held-out loss (nats per byte) after those steps
    seconds: float

    @property
    def final(self) -> float:
        return float(self.loss[-1])


class Trainer:
    """Trains :class:`ByteLM` on a corpus with AdamW, the learning rate a jaxdecay
    schedule, and evaluates it on a fixed held-out set.

    The schedule is an argument of the jitted training function (a schedule is
    a pytree), so runs whose schedules have the same structure (cosine with
    several seeds) share one compilation.  With ``table=True`` (the ``--quick``
    smoke test) the training function gets the table of the schedule's rates,
    a :func:`~jaxdecay.piecewise_constant` over the steps, instead: every
    schedule then has one structure, and all runs share one compilation.
    Between two evaluations the updates run in a ``fori_loop`` inside ``jit``;
    each one reads ``batch`` windows of ``context + 1`` bytes from the training
    text, at offsets drawn on the host from the run's seed.
    """

    def __init__(self, cfg: Config, corpus: Corpus):
        self.cfg = cfg
        self.train_text = jnp.asarray(corpus.train, jnp.int32)
        self.n_train = len(corpus.train)
        # A fixed held-out set: windows evenly spaced over the held-out text.
        width = cfg.context + 1
        n = len(corpus.held_out) // width
        if n < cfg.eval_windows:
            raise SystemExit(f"the held-out text has only {n} windows")
        pick = np.linspace(0, n - 1, cfg.eval_windows).round().astype(int)
        windows = corpus.held_out[: n * width].reshape(n, width)[pick]
        self.eval_set = jnp.asarray(windows, jnp.int32)
        abstract = nnx.eval_shape(lambda: ByteLM(cfg, nnx.Rngs(0)))
        self.graphdef = nnx.graphdef(abstract)
        self._chunk = jax.jit(self._chunk_fn)
        self._evaluate = jax.jit(self._evaluate_fn)
        self._init = jax.jit(self._init_fn)

    def optimizer(self, schedule) -> optax.GradientTransformation:
        cfg = self.cfg
        return optax.adamw(
            schedule, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay
        )

    def _loss(self, params, seqs):
        logits = nnx.merge(self.graphdef, params)(seqs[:, :-1])
        return optax.softmax_cross_entropy_with_integer_labels(
            logits, seqs[:, 1:]
        ).mean()

    def _init_fn(self, key):
        return nnx.state(ByteLM(self.cfg, nnx.Rngs(params=key)), nnx.Param)

    def _chunk_fn(self, schedule, params, opt_state, starts, count):
        """``count`` updates; update ``i`` reads the windows at ``starts[i]``."""
        tx = self.optimizer(schedule)
        offsets = jnp.arange(self.cfg.context + 1)

        def update(i, carry):
            params, opt_state = carry
            seqs = self.train_text[starts[i][:, None] + offsets]
            grads = jax.grad(self._loss)(params, seqs)
            updates, opt_state = tx.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state

        return jax.lax.fori_loop(0, count, update, (params, opt_state))

    def _evaluate_fn(self, params):
        return self._loss(params, self.eval_set)

    def log_steps(self, total: int) -> np.ndarray:
        """The steps after which the held-out loss is logged: every
        ``budget / evals`` steps (the same for every run), and the last."""
        every = max(self.cfg.steps // self.cfg.evals, 1)
        steps = np.arange(every, total + 1, every)
        if not len(steps) or steps[-1] != total:
            steps = np.append(steps, total)
        return steps

    def train(
        self, name: str, schedule, total: int, seed: int, show=True, table=False
    ) -> Curve:
        start = time.perf_counter()
        trained = rate_table(schedule, total) if table else schedule
        params = self._init(jax.random.key(seed))
        opt_state = self.optimizer(trained).init(params)
        logged = self.log_steps(total)
        every = int(logged[0]) if len(logged) == 1 else int(logged[1] - logged[0])
        rng = np.random.default_rng(seed)
        high = self.n_train - self.cfg.context - 1
        losses, done = [], 0
        with jd.ProgressBar(
            total, desc=f"{name} (seed {seed})", enabled=None if show else False
        ) as bar:
            for stop in logged:
                count = int(stop) - done
                starts = np.zeros((every, self.cfg.batch), np.int32)
                starts[:count] = rng.integers(0, high, (count, self.cfg.batch))
                params, opt_state = self._chunk(
                    trained, params, opt_state, jnp.asarray(starts), count
                )
                losses.append(self._evaluate(params))
                done = int(stop)
                bar.update(count, loss=losses[-1])
        loss = np.asarray(jax.device_get(losses), np.float64)
        return Curve(name, schedule, seed, logged, loss, time.perf_counter() - start)


# --------------------------------------------------------------------------------------
# The schedules


def rate_table(schedule, total: int):
    """The rates of ``schedule`` at steps ``0 .. total - 1`` as a piecewise
    constant schedule: the same structure for any schedule of ``total`` steps."""
    rates = np.asarray(schedule(np.arange(total)), np.float32)
    return jd.piecewise_constant(list(range(1, total)), rates)


def fitting_schedules(cfg: Config) -> dict[str, Any]:
    return {
        "constant": jd.warmup(jd.constant(cfg.peak), cfg.warmup),
        "cosine": jd.warmup_cosine_decay(cfg.peak, cfg.warmup, cfg.steps),
    }


def compared_schedules(cfg: Config, optimized) -> dict[str, Any]:
    decay = max(round(cfg.wsd_decay * cfg.steps), 1)
    return {
        "cosine": jd.warmup_cosine_decay(cfg.peak, cfg.warmup, cfg.steps),
        "wsd": jd.warmup_stable_decay(
            cfg.peak, cfg.warmup, cfg.steps - cfg.warmup - decay, decay
        ),
        "linear": jd.warmup(
            jd.linear(cfg.peak, 0.0, cfg.steps - cfg.warmup), cfg.warmup
        ),
        "optimized": optimized,
    }


LAWS = {"multi-power": design.MultiPowerLaw, "annealing": design.AnnealingLaw}


def r_squared(measured: np.ndarray, predicted: np.ndarray) -> float:
    residual = np.sum((measured - predicted) ** 2)
    return float(1.0 - residual / np.sum((measured - measured.mean()) ** 2))


def fit_points(curve: Curve, cfg: Config):
    """The logged points a law is fitted on: those after the warmup and after
    the first ``fit_from`` of the run (the first, steep drop of the loss is
    not a power law of the rates' area)."""
    keep = curve.steps > max(cfg.warmup, cfg.fit_from * cfg.steps)
    return curve.schedule, curve.steps[keep], curve.loss[keep]


def annealing_decay(cfg: Config) -> float:
    """The annealing law's momentum ``decay``: a memory ``1 / (1 - decay)`` of a
    tenth of the budget (0.995 for 2000 steps; Tissue et al. use 0.999 for runs
    of tens of thousands of steps)."""
    return 1.0 - 10.0 / cfg.steps


# --------------------------------------------------------------------------------------
# The example


def run(cfg: Config, seed: int, show: bool = True, table: bool = False) -> dict:
    """The example; with ``table`` (``--quick``) every run trains on its
    schedule's table of rates (see :class:`Trainer`)."""
    start = time.perf_counter()
    say = print if show else (lambda *a, **k: None)
    corpus = load_corpus()
    trainer = Trainer(cfg, corpus)
    say(
        f"corpus: {len(corpus.train) / 1e6:.2f} MB of training text "
        f"({corpus.train_files} files), {len(corpus.held_out) / 1e6:.2f} MB held out "
        f"({corpus.held_out_files} files); evaluated on {cfg.eval_windows} windows "
        f"of {cfg.context} bytes"
    )
    say(
        f"model: {count_params(cfg):,} parameters; {cfg.steps} steps of "
        f"{cfg.batch} x {cfg.context} bytes, warmup {cfg.warmup}, peak {cfg.peak:g}; "
        f"{jax.devices()[0].platform}"
    )

    def train(name, schedule, s=seed):
        curve = trainer.train(name, schedule, cfg.steps, s, show=show, table=table)
        say(f"  {name:10s} seed {s}: final held-out loss {curve.final:.4f} "
            f"({curve.seconds:.1f} s)")  # fmt: skip
        return curve

    # (1) The fitting runs.
    say("(1) fitting runs")
    fitting = {n: train(n, s) for n, s in fitting_schedules(cfg).items()}

    # (2) Both laws, fitted on both runs.
    say("(2) fitting the laws")
    points = [fit_points(c, cfg) for c in fitting.values()]
    fits = {}
    for law_name, law_class in LAWS.items():
        f = design.fit(
            law_class, points, cfg.warmup, starts=cfg.fit_starts,
            max_iter=cfg.fit_iterations, seed=seed, decay=annealing_decay(cfg),
        )  # fmt: skip
        r2 = {
            n: r_squared(y, f.law.predict(s, steps, cfg.warmup))
            for n, (s, steps, y) in zip(fitting, points, strict=True)
        }
        fits[law_name] = (f, r2)
        shown = ", ".join(f"{n} {v:.4f}" for n, v in r2.items())
        say(f"  {law_name}: R^2 {shown} ({f.seconds:.1f} s)")
        say(f"    {f.law}")

    # (3) Predictions, including the schedule optimized for the multi-power law.
    say("(3) optimizing the schedule for the fitted multi-power law")
    best = design.optimize(
        fits["multi-power"][0].law, cfg.steps, cfg.warmup, cfg.peak,
        iterations=cfg.optimize_iterations, details=True,
    )  # fmt: skip
    say(f"  {best.schedule!r}\n  ({best.knots} knots, {best.seconds:.1f} s)")
    schedules = compared_schedules(cfg, best.schedule)
    predicted = {
        law_name: {
            n: float(f.law.predict(s, cfg.steps, cfg.warmup))
            for n, s in schedules.items()
        }
        for law_name, (f, _) in fits.items()
    }

    # (4) The compared runs, and more seeds for cosine and the optimized one.
    say("(4) compared runs")
    runs = {"cosine": fitting["cosine"]}  # the cosine fitting run has the budget
    runs.update({n: train(n, s) for n, s in schedules.items() if n != "cosine"})
    seeds = list(range(seed, seed + cfg.extra_seeds + 1))
    finals = {"cosine": [runs["cosine"].final], "optimized": [runs["optimized"].final]}
    extra = []
    for s in seeds[1:]:
        for n in finals:
            curve = train(n, schedules[n], s)
            finals[n].append(curve.final)
            extra.append(curve)

    # (5) The table.
    rows = []
    for n, curve in runs.items():
        row = {"schedule": n, "measured": curve.final}
        for law_name in LAWS:
            p = predicted[law_name][n]
            row[law_name] = {"predicted": p, "error": p / curve.final - 1.0}
        rows.append(row)
    spread = {n: float(np.max(v) - np.min(v)) for n, v in finals.items()}
    deviation = {n: float(np.std(v, ddof=1)) for n, v in finals.items()}
    gaps = [c - o for c, o in zip(finals["cosine"], finals["optimized"], strict=True)]
    seconds = time.perf_counter() - start
    result = {
        "config": dataclasses.asdict(cfg),
        "seed": seed,
        "platform": jax.devices()[0].platform,
        "parameters": count_params(cfg),
        "fits": {
            law_name: {
                "law": repr(f.law),
                "r2": r2,
                "r2_all": f.r2,
                "seconds": f.seconds,
            }
            for law_name, (f, r2) in fits.items()
        },
        "optimized": {
            "schedule": repr(best.schedule),
            "knots": best.knots,
            "predicted": best.loss,
            "seconds": best.seconds,
        },
        "table": rows,
        "seeds": seeds,
        "finals": finals,
        "spread": spread,
        "std": deviation,
        "cosine_minus_optimized": {
            "per_seed": gaps,
            "mean": float(np.mean(gaps)),
        },
        "curves": {
            n: {"steps": c.steps.tolist(), "loss": c.loss.tolist()}
            for n, c in {**fitting, **runs}.items()
        },
        "seconds": seconds,
    }
    result["_objects"] = dict(
        fitting=fitting, runs=runs, fits=fits, schedules=schedules, extra=extra,
        trainer=trainer,
    )  # fmt: skip
    return result


def print_report(result: dict) -> None:
    laws = list(LAWS)
    print()
    print("| fitting run | " + " | ".join(f"R^2 {n}" for n in laws) + " |")
    print("|---|" + "--:|" * len(laws))
    for run_name in next(iter(result["fits"].values()))["r2"]:
        cells = [f"{result['fits'][n]['r2'][run_name]:.4f}" for n in laws]
        print(f"| {run_name} | " + " | ".join(cells) + " |")
    print()
    head = " | ".join(f"predicted ({n}) | error" for n in laws)
    print(f"| schedule | measured | {head} |")
    print("|---|--:|" + "--:|--:|" * len(laws))
    for row in result["table"]:
        cells = [f"{row['measured']:.4f}"]
        for n in laws:
            cells += [f"{row[n]['predicted']:.4f}", f"{row[n]['error']:+.2%}"]
        print(f"| {row['schedule']} | " + " | ".join(cells) + " |")
    print()
    seeds = result["seeds"]
    for n, values in result["finals"].items():
        shown = ", ".join(f"{v:.4f}" for v in values)
        print(
            f"{n} over seeds {seeds}: {shown}; spread (max - min) "
            f"{result['spread'][n]:.4f}, standard deviation {result['std'][n]:.4f}"
        )
    gap = result["cosine_minus_optimized"]
    per_seed = ", ".join(f"{g:+.4f}" for g in gap["per_seed"])
    spread = max(result["spread"].values())
    verdict = "more than" if gap["mean"] > spread else "not more than"
    print(
        f"cosine minus optimized, per seed: {per_seed}; mean {gap['mean']:+.4f}, "
        f"{verdict} the larger spread {spread:.4f}"
    )


def plot(result: dict, path: str | Path) -> None:
    """Left: the held-out loss, measured (dots) and predicted by the fitted
    multi-power law (solid) and annealing law (dashed); right: the schedules."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    objects = result["_objects"]
    cfg = Config(**result["config"])
    mpl, annealing = (objects["fits"][n][0].law for n in LAWS)
    fig, (ax_loss, ax_lr) = plt.subplots(1, 2, figsize=(13, 5))
    colors = dict(constant="tab:gray", cosine="tab:blue", wsd="tab:orange",
                  linear="tab:green", optimized="tab:red")  # fmt: skip
    curves = {"constant": objects["fitting"]["constant"], **objects["runs"]}
    dense = np.arange(cfg.warmup + 1, cfg.steps + 1)
    start = max(cfg.warmup, cfg.fit_from * cfg.steps)
    steps = np.arange(cfg.steps)
    lowest = np.inf
    for name, curve in curves.items():
        color = colors[name]
        keep = curve.steps > start
        role = "fitted" if name in objects["fitting"] else "predicted"
        ax_loss.plot(curve.steps[keep], curve.loss[keep], ".", ms=4, color=color,
                     alpha=0.6)  # fmt: skip
        for law, style, width in ((mpl, "-", 1.4), (annealing, "--", 0.8)):
            line = law.predict(curve.schedule, dense, cfg.warmup)
            ax_loss.plot(dense, line, style, color=color, lw=width,
                         label=f"{name} ({role})" if law is mpl else None)  # fmt: skip
            lowest = min(lowest, float(line.min()))
        lowest = min(lowest, float(curve.loss.min()))
        ax_lr.plot(steps, np.asarray(curve.schedule(steps)), color=color, label=name)
    # From the constant run's loss a third of the way in, down to the lowest.
    third = curves["constant"].loss[curves["constant"].steps >= cfg.steps // 3]
    ax_loss.set_ylim(lowest - 0.005 * lowest, float(third[0]) if len(third) else None)
    ax_loss.set_xlim(cfg.steps // 3, cfg.steps * 1.01)
    ax_loss.set(
        xlabel="step", ylabel="held-out loss (nats per byte)",
        title="measured (dots); multi-power law (solid), annealing law (dashed)",
    )  # fmt: skip
    ax_loss.legend(fontsize=8)
    ax_lr.set(xlabel="step", ylabel="learning rate", title="schedules")
    ax_lr.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# --------------------------------------------------------------------------------------
# Command line


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--seed", type=int, default=0, help="the first seed (model init, data order)")
    add("--steps", type=int, help=f"the budget T (default {Config.steps})")
    add("--quick", action="store_true",
        help="a tiny model for seconds (a smoke test; every run trains on its "
        "schedule's table of rates, so all share one compiled program)")  # fmt: skip
    add("--plot", default=str(DEFAULT_PLOT), metavar="PATH",
        help="the figure (default docs/design_schedule.png); '' for none")  # fmt: skip
    add("--out-json", metavar="PATH", help="the measured table and curves as JSON")
    add("--quiet", action="store_true", help="print only the report")
    return parser


def main(argv: list[str] | None = None) -> dict:
    parser = make_parser()
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else Config()
    if args.steps is not None:
        if args.steps < 2 * cfg.warmup or args.steps < cfg.evals:
            parser.error(f"--steps must be at least {max(2 * cfg.warmup, cfg.evals)}")
        cfg = dataclasses.replace(cfg, steps=args.steps)
    result = run(cfg, args.seed, show=not args.quiet, table=args.quick)
    print_report(result)
    if args.plot:
        plot(result, args.plot)
        print(f"wrote {args.plot}")
    if args.out_json:
        public = {k: v for k, v in result.items() if not k.startswith("_")}
        Path(args.out_json).write_text(json.dumps(public, indent=1))
        print(f"wrote {args.out_json}")
    print(f"total wall time {result['seconds']:.1f} s")
    return result


if __name__ == "__main__":
    main()
