"""Trains a Flax NNX MLP on scikit-learn's handwritten digits with a jaxdecay schedule.

The model (64 -> 128 -> 128 -> 10, ReLU) learns the 8x8 digits of
``sklearn.datasets.load_digits`` (shipped with scikit-learn, no download) with
AdamW whose learning rate is a jaxdecay schedule injected by
``optax.inject_hyperparams``, so the rate in use can be read back from the
optimizer state with ``jaxdecay.hyperparams``.  The batch is split over every
visible device (data parallelism with ``jax.sharding``); parameters and optimizer
state are replicated.

Usage:

    python examples/train_flax.py            # warmup-cosine, ~97.5% test accuracy
    python examples/train_flax.py --schedule one_cycle --lr 0.01
    python examples/train_flax.py --schedule step_decay --set step_size=100
    python examples/train_flax.py --schedule reduce_on_plateau --set patience=3
    python examples/train_flax.py --help     # every schedule and its defaults
    python examples/train_flax.py --compare  # ten schedules side by side: compare.png

    # save every 100 steps; run it again with the same directory to resume
    python examples/train_flax.py --checkpoint-dir /tmp/digits --save-every 100

    # four CPU "devices" on one machine (the same code runs on a GPU or a TPU slice)
    XLA_FLAGS=--xla_force_host_platform_device_count=4 python examples/train_flax.py

    # several hosts: run the same command on each with --distributed, which calls
    # jax.distributed.initialize() (it finds Cloud TPU, SLURM, Open MPI and
    # Kubernetes clusters); checkpoints then need a directory all hosts share

``--set key=value`` values are Python literals (``0.5``, ``100``, ``True``,
``(100, 200)``, ``'cos'``); a bare word such as ``cos`` or ``1-sqrt`` is taken as
a string.  Needs ``flax``, ``scikit-learn``; ``orbax-checkpoint`` for
``--checkpoint-dir``, ``matplotlib`` for ``--compare``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import hashlib
import inspect
import json
import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import jaxdecay as jd

# --------------------------------------------------------------------------------------
# Data and model


class Data(NamedTuple):
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray  # watched by reduce_on_plateau
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_data() -> Data:
    """The 1797 digits split once and for all: 25% test, then 15% of the rest for
    validation; standardised with the training set's mean and deviation."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    split = dict(random_state=0, shuffle=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, stratify=y, **split
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_train, y_train, test_size=0.15, stratify=y_train, **split
    )
    mean, std = x_train.mean(0), x_train.std(0)
    std[std == 0] = 1.0  # pixels that are blank in every training image

    def prep(x, y):
        return ((x - mean) / std).astype(np.float32), y.astype(np.int32)

    return Data(*prep(x_train, y_train), *prep(x_val, y_val), *prep(x_test, y_test))


class MLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.hidden1 = nnx.Linear(64, 128, rngs=rngs)
        self.hidden2 = nnx.Linear(128, 128, rngs=rngs)
        self.out = nnx.Linear(128, 10, rngs=rngs)

    def __call__(self, x):
        x = jax.nn.relu(self.hidden1(x))
        x = jax.nn.relu(self.hidden2(x))
        return self.out(x)


# --------------------------------------------------------------------------------------
# Schedules from the command line


class Default(NamedTuple):
    """A parameter's default: how ``--help`` shows it, and its value given the run's
    total steps ``t``, the rate ``lr`` and the parameters resolved before it."""

    text: str
    value: Callable[[int, float, dict], Any]


def fixed(value) -> Default:
    return Default(repr(value), lambda t, lr, p: value)


LR = Default("LR", lambda t, lr, p: lr)
T = Default("T", lambda t, lr, p: t)
TENTH = Default("T//10", lambda t, lr, p: max(t // 10, 1))

# Each schedule the command line offers, with the defaults of the parameters it
# needs (T = total training steps, LR = --lr). Step counts follow the length of the
# run; every rate starts at (or peaks at) LR. Composite schedules (join, warmup,
# clip, ...) take other schedules and are for Python code.
SCHEDULES: dict[str, dict[str, Default]] = {
    "constant": {"value": LR},
    "linear_decay": {
        "init_value": LR,
        "decay_rate": fixed(1.0),
        "transition_steps": T,
    },
    "exponential_decay": {
        "init_value": LR,
        "decay_rate": fixed(0.01),
        "transition_steps": T,
    },
    "natural_exp_decay": {
        "init_value": LR,
        "decay_rate": fixed(4.0),
        "transition_steps": T,
    },
    "inverse_time_decay": {
        "init_value": LR,
        "decay_rate": fixed(1.0),
        "transition_steps": TENTH,
    },
    "inverse_sqrt_decay": {"init_value": LR, "transition_steps": TENTH},
    "step_decay": {
        "init_value": LR,
        "step_size": Default("ceil(T/3)", lambda t, lr, p: max(math.ceil(t / 3), 1)),
        "gamma": fixed(0.1),
    },
    "multistep_decay": {
        "init_value": LR,
        "milestones": Default("(T//2, 3T//4)", lambda t, lr, p: (t // 2, 3 * t // 4)),
        "gamma": fixed(0.1),
    },
    "polynomial_decay": {
        "init_value": LR,
        "end_value": fixed(0.0),
        "transition_steps": T,
    },
    "linear": {
        "init_value": LR,
        "end_value": fixed(0.0),
        "transition_steps": T,
    },
    "cosine_decay": {"init_value": LR, "decay_steps": T},
    "warmup_cosine_decay": {"peak_value": LR, "warmup_steps": TENTH, "decay_steps": T},
    "warmup_stable_decay": {
        "peak_value": LR,
        "warmup_steps": TENTH,
        "decay_steps": Default("T//5", lambda t, lr, p: max(t // 5, 1)),
        "stable_steps": Default(
            "T-warmup-decay",
            lambda t, lr, p: max(t - p["warmup_steps"] - p["decay_steps"], 0),
        ),
    },
    "one_cycle": {"peak_value": LR, "total_steps": T},
    "cyclic": {
        "base_value": Default("LR/10", lambda t, lr, p: lr / 10),
        "max_value": LR,
        "step_size_up": Default("T//8", lambda t, lr, p: max(t // 8, 1)),
    },
    "cosine_restarts": {
        "init_value": LR,
        "first_period": Default("T//4", lambda t, lr, p: max(t // 4, 1)),
    },
    "piecewise_constant": {
        "boundaries": Default("(T//2, 3T//4)", lambda t, lr, p: (t // 2, 3 * t // 4)),
        "values": Default(
            "(LR, LR/10, LR/100)", lambda t, lr, p: (lr, lr / 10, lr / 100)
        ),
    },
    "piecewise_linear": {
        "boundaries": Default(
            "(0, T//10, T)", lambda t, lr, p: (0, max(t // 10, 1), t)
        ),
        "values": Default("(0, LR, 0)", lambda t, lr, p: (0.0, lr, 0.0)),
    },
    # Not a function of the step: it lowers the rate by `factor` when the
    # validation loss, measured at the end of each epoch, has not improved for
    # more than `patience` epochs (PyTorch's ReduceLROnPlateau).
    "reduce_on_plateau": {
        "base": LR,
        "factor": fixed(0.5),
        "patience": Default("1 (epochs)", lambda t, lr, p: 1),
    },
}
ALIASES = {"wsd": "warmup_stable_decay", "sgdr": "cosine_restarts"}

# Compared by --compare: the classic decay rules (constant, linear, exponential,
# step, inverse time) and the schedules in common use today (cosine, warmup-cosine,
# warmup-stable-decay, one-cycle, reduce-on-plateau). Recursive rules
# (``jd.recurrence``) take a Python function of the step and are for Python code.
COMPARED = [
    "constant",
    "linear_decay",
    "exponential_decay",
    "step_decay",
    "cosine_decay",
    "inverse_time_decay",
    "warmup_cosine_decay",
    "warmup_stable_decay",
    "one_cycle",
    "reduce_on_plateau",
]


class UsageError(Exception):
    """Bad command-line input; ``main`` shows it with ``parser.error`` (exit 2)."""


def parse_value(key: str, raw: str):
    """A ``--set`` value: a Python literal, or a bare word taken as a string."""
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError) as exc:
        if re.fullmatch(r"[A-Za-z0-9_\-]*[A-Za-z_][A-Za-z0-9_\-]*", raw):
            return raw  # cos, linear, 1-sqrt
        why = exc.msg if isinstance(exc, SyntaxError) else exc
        raise UsageError(
            f"--set {key}={raw}: {raw!r} is not a Python literal ({why}); write "
            "numbers as 0.1 or 1e-3, tuples as (100,200), strings as 'cos'"
        ) from None


def parse_sets(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = parse_value(key.strip(), raw.strip())
    return out


def constructor(name: str):
    return getattr(jd, name)


def schedule_parameters(name: str) -> list[str]:
    return list(inspect.signature(constructor(name)).parameters)


def build_schedule(name: str, overrides: dict[str, Any], total_steps: int, lr: float):
    """The schedule ``name`` with ``overrides``, other parameters at their defaults.

    Raises ``UsageError`` for an unknown name or parameter; the schedule's own
    ``ValueError``/``TypeError`` for values it rejects.
    """
    name = ALIASES.get(name, name)
    if name not in SCHEDULES:
        raise UsageError(
            f"unknown schedule {name!r}; choose one of: "
            + ", ".join([*SCHEDULES, *ALIASES])
        )
    allowed = schedule_parameters(name)
    unknown = [k for k in overrides if k not in allowed]
    if unknown:
        raise UsageError(
            f"{name} has no parameter {unknown[0]!r}; its parameters are: "
            + ", ".join(allowed)
        )
    params = {}
    for key, default in SCHEDULES[name].items():
        params[key] = overrides.get(key, default.value(total_steps, lr, params))
    params.update(overrides)
    return constructor(name)(**params)


def describe_schedules() -> str:
    """The ``--help`` epilog: every schedule and the defaults the CLI fills in."""
    width = max(map(len, SCHEDULES)) + 2
    lines = [
        "schedules and the defaults of their parameters, where T is the number of",
        "training steps (--steps, or --epochs x 1144 // --batch-size) and LR is --lr:",
    ]
    for name, defaults in SCHEDULES.items():
        shown = " ".join(f"{k}={d.text}" for k, d in defaults.items())
        lines.append(f"  {name:{width}}{shown}")
    lines += [
        "  aliases: " + ", ".join(f"{a} = {n}" for a, n in ALIASES.items()),
        "other parameters keep the schedule's own defaults; see",
        "python -c 'import jaxdecay; help(jaxdecay.one_cycle)' (or any other name)",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Devices: the batch is split along the mesh axis "data", the rest is replicated


def make_mesh() -> Mesh:
    return Mesh(np.asarray(jax.devices()), ("data",))


def shard_batch(mesh: Mesh, array: np.ndarray) -> jax.Array:
    """A global batch, split along its first axis over the devices.

    Every process holds the whole (small) data set, so each one fills in the
    shards of its own devices from the same global array: this works on one
    host and on many.
    """
    sharding = NamedSharding(mesh, P("data"))
    return jax.make_array_from_callback(array.shape, sharding, lambda i: array[i])


def replicate(mesh: Mesh, tree):
    return jax.device_put(tree, NamedSharding(mesh, P()))


# --------------------------------------------------------------------------------------
# Steps: pure functions of split NNX state, jitted once per model/optimizer structure


def init_model(seed: int) -> nnx.State:
    return nnx.state(MLP(nnx.Rngs(seed)))


def loss_and_accuracy(model, x, y):
    logits = model(x)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return loss, (jnp.argmax(logits, -1) == y).mean()


@functools.partial(jax.jit, static_argnums=(0, 1))
def train_step(model_def, opt_def, model_state, opt_state, x, y):
    model, optimizer = nnx.merge(model_def, model_state), nnx.merge(opt_def, opt_state)
    (loss, acc), grads = nnx.value_and_grad(loss_and_accuracy, has_aux=True)(
        model, x, y
    )
    optimizer.update(model, grads)
    # After the update, the injected hyperparameters hold the values this step used.
    lr = jd.hyperparams(optimizer.opt_state)["learning_rate"]
    metrics = {"loss": loss, "accuracy": acc, "learning_rate": lr}
    return nnx.state(model), nnx.state(optimizer), metrics


@functools.partial(jax.jit, static_argnums=0)
def evaluate(model_def, model_state, x, y):
    return loss_and_accuracy(nnx.merge(model_def, model_state), x, y)


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def plateau_step(
    plateau, model_def, opt_def, plateau_state, model_state, opt_state, x, y
):
    """Feeds ``plateau`` the loss on ``(x, y)`` and writes the rate it gives into
    the optimizer's injected ``learning_rate``."""
    loss, _ = loss_and_accuracy(nnx.merge(model_def, model_state), x, y)
    plateau_state = plateau.update(plateau_state, value=loss)
    optimizer = nnx.merge(opt_def, opt_state)
    optimizer.opt_state.hyperparams["learning_rate"][...] = plateau(plateau_state)
    return plateau_state, nnx.state(optimizer)


def batch_indices(seed: int, step: int, batch_size: int, n: int) -> np.ndarray:
    """The training examples of ``step``: each epoch is a permutation that
    depends only on the seed and the epoch, so a resumed run sees the same batches
    as an uninterrupted one (the last incomplete batch of an epoch is dropped)."""
    epoch, i = divmod(step, n // batch_size)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[i * batch_size : (i + 1) * batch_size]


# --------------------------------------------------------------------------------------
# Numbers as the progress bar and the summary line show them


def loss_text(x: float) -> str:
    """A loss to 4 significant digits, by the rule ``jd.ProgressBar`` shows numbers
    with, so that the bar's last values and the summary line read the same."""
    if x == 0 or not math.isfinite(x) or 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    return f"{x:.3e}"


def percent(accuracy) -> str:
    """An accuracy in percent, 2 decimals (the bar shows text as it is)."""
    return f"{float(accuracy):.2%}"


def final_values(train_loss: float, test_accuracy: float) -> dict[str, Any]:
    """What the progress bar shows once training is done: the loss on the whole
    training set (a number, which the bar shows as ``loss_text`` does) and the test
    accuracy, the two numbers of the summary line."""
    return {"train_loss": train_loss, "test_acc": percent(test_accuracy)}


# --------------------------------------------------------------------------------------
# Training


@dataclasses.dataclass
class Config:
    schedule: str = "warmup_cosine_decay"
    settings: dict = dataclasses.field(default_factory=dict)
    lr: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    epochs: int = 20
    steps: int | None = None  # overrides epochs
    seed: int = 0
    checkpoint_dir: str | None = None
    save_every: int = 100
    stop_after: int | None = None
    quiet: bool = False

    def total_steps(self, n_train: int) -> int:
        return (
            self.steps
            if self.steps is not None
            else self.epochs * (n_train // self.batch_size)
        )


@dataclasses.dataclass
class Result:
    name: str
    schedule: Any
    first_step: int  # > 0 when resumed from a checkpoint
    steps_done: int
    total_steps: int
    learning_rate: np.ndarray  # per step, from first_step
    loss: np.ndarray
    accuracy: np.ndarray
    epoch_ends: list[int]  # step counts at which the test set was evaluated
    test_accuracy_curve: list[float]
    train_loss: float  # on the whole training set, at the end
    test_loss: float
    test_accuracy: float
    params: Any  # the model's final parameters (replicated arrays)
    seconds: float


class Checkpoints:
    """Orbax checkpoints of the training state: model, optimizer (with the
    schedule's step count) and the plateau state, every ``every`` steps."""

    def __init__(self, directory: str, every: int):
        import orbax.checkpoint as ocp

        self.ocp = ocp
        self.every = every
        self.manager = ocp.CheckpointManager(
            Path(directory).absolute(),
            options=ocp.CheckpointManagerOptions(max_to_keep=2),
        )

    def restore_latest(self, state):
        """``(step, state)`` from the newest checkpoint, or ``(0, state)``."""
        step = self.manager.latest_step()
        if step is None:
            return 0, state
        target = jax.tree.map(self.ocp.utils.to_shape_dtype_struct, state)
        restored = self.manager.restore(
            step, args=self.ocp.args.StandardRestore(target)
        )
        return step, restored

    def path(self, step: int) -> Path:
        """The directory of the checkpoint saved at ``step``."""
        return Path(self.manager.directory) / str(step)

    def maybe_save(self, step: int, state, force: bool = False):
        if force or step % self.every == 0:
            if step not in self.manager.all_steps():
                self.manager.save(step, args=self.ocp.args.StandardSave(state))

    def close(self):
        self.manager.wait_until_finished()
        self.manager.close()


def init_state(cfg: Config, mesh: Mesh, tx, plateau=None):
    """The model's and the optimizer's graph definitions, and the training state
    (their arrays, and the plateau's state if any), replicated over the devices.

    Both are built under ``jit``: one compilation instead of one per eager
    operation. The model's initializer is the same for every schedule, so
    ``--compare`` compiles it once.
    """
    replicated = NamedSharding(mesh, P())
    model_def = nnx.graphdef(nnx.eval_shape(lambda: MLP(nnx.Rngs(cfg.seed))))
    init = jax.jit(init_model, static_argnums=0, out_shardings=replicated)
    model_state = init(cfg.seed)

    def new_optimizer(model_state):
        return nnx.Optimizer(nnx.merge(model_def, model_state), tx, wrt=nnx.Param)

    opt_def = nnx.graphdef(nnx.eval_shape(new_optimizer, model_state))
    init = jax.jit(lambda m: nnx.state(new_optimizer(m)), out_shardings=replicated)
    state = {"model": model_state, "optimizer": init(model_state)}
    if plateau is not None:
        state["plateau"] = replicate(mesh, plateau.init())
    return model_def, opt_def, state


def train(cfg: Config, data: Data, mesh: Mesh, schedule=None, desc=None) -> Result:
    """Trains one model; ``schedule`` defaults to the one ``cfg`` names."""
    start_time = time.perf_counter()
    n_train = len(data.x_train)
    steps_per_epoch = n_train // cfg.batch_size
    total = cfg.total_steps(n_train)
    if schedule is None:
        schedule = build_schedule(cfg.schedule, cfg.settings, total, cfg.lr)
    plateau = None
    if isinstance(schedule, optax.schedules.StatefulSchedule):  # reduce_on_plateau
        # Reduce-on-plateau is not a function of the step but of a metric. We
        # feed it the validation loss once per epoch, as one does with PyTorch's
        # ReduceLROnPlateau, so `patience` counts epochs; the optimizer gets a
        # plain number as its rate, which `plateau_step` overwrites each epoch.
        # (Given to inject_hyperparams itself, the plateau would be updated by
        # `optimizer.update(model, grads, value=loss)` at every step, on every
        # minibatch's noisy loss.)
        plateau, schedule = schedule, float(schedule(schedule.init()))

    tx = optax.inject_hyperparams(optax.adamw)(
        learning_rate=schedule, weight_decay=cfg.weight_decay
    )
    model_def, opt_def, state = init_state(cfg, mesh, tx, plateau)
    x_val, y_val = replicate(mesh, (data.x_val, data.y_val))
    x_test, y_test = replicate(mesh, (data.x_test, data.y_test))

    name = desc or cfg.schedule
    first_step, checkpoints = 0, None
    if cfg.checkpoint_dir:
        checkpoints = Checkpoints(cfg.checkpoint_dir, cfg.save_every)
        first_step, state = checkpoints.restore_latest(state)
        if first_step and jax.process_index() == 0:
            print(
                f"{name}: resuming from checkpoint {checkpoints.path(first_step)} "
                f"at step {first_step} of {total}",
                flush=True,
            )
    end = total if cfg.stop_after is None else min(total, cfg.stop_after)

    metrics, epoch_ends, test_curve = [], [], []
    show = not cfg.quiet and jax.process_index() == 0
    # While training, the bar shows the last minibatch's loss, the rate and the
    # test accuracy at the last epoch's end; once done, the final evaluation,
    # with the very numbers of the summary line (see `final_values`).
    with jd.ProgressBar(total, desc=name, enabled=None if show else False) as bar:
        if first_step:
            bar.update(first_step, resumed=first_step)
        for step in range(first_step, end):
            idx = batch_indices(cfg.seed, step, cfg.batch_size, n_train)
            x = shard_batch(mesh, data.x_train[idx])
            y = shard_batch(mesh, data.y_train[idx])
            state["model"], state["optimizer"], m = train_step(
                model_def, opt_def, state["model"], state["optimizer"], x, y
            )
            metrics.append(m)  # device arrays: read once, at the end
            bar.update(loss=m["loss"], lr=m["learning_rate"])
            done = step + 1
            if done % steps_per_epoch == 0:
                epoch_ends.append(done)
                _, accuracy = evaluate(model_def, state["model"], x_test, y_test)
                test_curve.append(accuracy)
                if show:
                    bar.update(0, test_acc=percent(accuracy))
                if plateau is not None:
                    state["plateau"], state["optimizer"] = plateau_step(
                        plateau, model_def, opt_def, state["plateau"],
                        state["model"], state["optimizer"], x_val, y_val,
                    )  # fmt: skip
            if checkpoints is not None:
                checkpoints.maybe_save(done, state, force=done == total)

        x_train, y_train = replicate(mesh, (data.x_train, data.y_train))
        train_loss, _ = evaluate(model_def, state["model"], x_train, y_train)
        test_loss, test_acc = evaluate(model_def, state["model"], x_test, y_test)
        train_loss, test_loss, test_acc = map(float, (train_loss, test_loss, test_acc))
        bar.values.clear()
        bar.update(0, **final_values(train_loss, test_acc))
    if checkpoints is not None:
        checkpoints.close()
    metrics = jax.device_get(metrics)

    def column(key):
        return np.asarray([m[key] for m in metrics], np.float32)

    return Result(
        name=name,
        schedule=plateau if plateau is not None else schedule,
        first_step=first_step,
        steps_done=max(end, first_step),
        total_steps=total,
        learning_rate=column("learning_rate"),
        loss=column("loss"),
        accuracy=column("accuracy"),
        epoch_ends=epoch_ends,
        test_accuracy_curve=[float(a) for a in test_curve],
        train_loss=train_loss,
        test_loss=test_loss,
        test_accuracy=test_acc,
        params=nnx.to_pure_dict(state["model"]),
        seconds=time.perf_counter() - start_time,
    )


# --------------------------------------------------------------------------------------
# Reports


def params_digest(params) -> tuple[str, dict[str, list[float]]]:
    """A SHA-256 of the final parameters' bytes, and per array (sum, sum of squares)."""
    sha = hashlib.sha256()
    summary = {}
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        a = np.asarray(leaf)
        sha.update(a.tobytes())
        a64 = a.astype(np.float64)
        summary[jax.tree_util.keystr(path)] = [float(a64.sum()), float((a64**2).sum())]
    return sha.hexdigest(), summary


def write_log(path: str, result: Result, cfg: Config) -> None:
    digest, summary = params_digest(result.params)
    log = {
        "schedule": repr(result.schedule),
        "devices": jax.device_count(),
        "platform": jax.devices()[0].platform,
        "first_step": result.first_step,
        "steps_done": result.steps_done,
        "seed": cfg.seed,
        "learning_rate": result.learning_rate.tolist(),
        "loss": result.loss.tolist(),
        "epoch_ends": result.epoch_ends,
        "test_accuracy_curve": result.test_accuracy_curve,
        "train_loss": result.train_loss,
        "test_loss": result.test_loss,
        "test_accuracy": result.test_accuracy,
        "params_sha256": digest,
        "params_summary": summary,
    }
    Path(path).write_text(json.dumps(log))


def summary_line(result: Result) -> str:
    n = jax.device_count()
    stopped = ""
    if result.steps_done < result.total_steps:
        stopped = f"stopped at step {result.steps_done} of {result.total_steps}; "
    return (
        f"{result.name}: {stopped}final train loss {loss_text(result.train_loss)}, "
        f"test accuracy {percent(result.test_accuracy)}, {result.seconds:.1f} s, "
        f"{n} {jax.devices()[0].platform} device{'s' if n > 1 else ''}"
    )


def compare(cfg: Config, data: Data, mesh: Mesh, out: str) -> list[Result]:
    """Trains with each schedule of ``COMPARED`` (their command-line defaults, the
    same seed, data order and peak rate), plots them and prints a table."""
    results = []
    for name in COMPARED:
        run = dataclasses.replace(cfg, schedule=name, settings={}, checkpoint_dir=None)
        results.append(train(run, data, mesh, desc=name))
    if jax.process_index() != 0:
        return results

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw_comparison(results, len(data.x_train) // cfg.batch_size)
    fig.savefig(out, dpi=90)
    plt.close(fig)

    print("| schedule | test accuracy | final train loss | time (s) |")
    print("|---|--:|--:|--:|")
    for r in results:
        cells = [r.name, percent(r.test_accuracy), loss_text(r.train_loss)]
        print("| " + " | ".join([*cells, f"{r.seconds:.1f}"]) + " |")
    print(f"wrote {out}")
    return results


def accuracy_curve(result: Result) -> tuple[list[int], list[float]]:
    """The test accuracy at each epoch's end, and at the last step if a run ends
    mid-epoch."""
    steps, accuracy = list(result.epoch_ends), list(result.test_accuracy_curve)
    if result.steps_done not in steps:
        steps.append(result.steps_done)
        accuracy.append(result.test_accuracy)
    return steps, accuracy


def axis_limits(values, margin: float = 0.05) -> tuple[float, float]:
    """Limits that show every value, with ``margin`` of their range (at least
    0.005) on each side."""
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = max(margin * (hi - lo), 0.005)
    return lo - pad, hi + pad


def draw_comparison(results: list[Result], steps_per_epoch: int):
    """The figure of ``--compare``: rates, epoch-mean training losses and test
    accuracies of ``results``."""
    import matplotlib.pyplot as plt

    fig, (ax_lr, ax_loss, ax_acc) = plt.subplots(1, 3, figsize=(16, 4.8))
    for r in results:
        steps = np.arange(len(r.learning_rate))
        ax_lr.plot(steps, r.learning_rate, label=r.name)
        # The training loss averaged over each epoch (minibatch losses are noisy).
        n_epochs = len(r.loss) // steps_per_epoch
        if n_epochs:
            per_epoch = (
                r.loss[: n_epochs * steps_per_epoch].reshape(n_epochs, -1).mean(1)
            )
            ax_loss.plot(np.arange(1, n_epochs + 1) * steps_per_epoch, per_epoch)
        else:
            ax_loss.plot(steps + 1, r.loss)
        ax_acc.plot(*accuracy_curve(r), marker=".")
    ax_lr.set(title="learning rate", xlabel="step")
    ax_loss.set(title="training loss (epoch mean)", xlabel="step", yscale="log")
    ax_acc.set(title="test accuracy", xlabel="step")
    # Limits from every curve's points, so that none falls outside the axis.
    ax_acc.set_ylim(*axis_limits([a for r in results for a in accuracy_curve(r)[1]]))
    fig.legend(loc="lower center", ncol=5, fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


# --------------------------------------------------------------------------------------
# Command line


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=describe_schedules(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c = Config()
    add = parser.add_argument
    add("--schedule", default=c.schedule, metavar="NAME", help=f"default {c.schedule}")
    add(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="settings",
        help="a schedule parameter, e.g. --set warmup_steps=50 (repeatable); "
        "VALUE is a Python literal or a bare word",
    )
    add("--lr", type=float, default=c.lr, help=f"peak/initial rate LR (default {c.lr})")
    add(
        "--weight-decay",
        type=float,
        default=c.weight_decay,
        help=f"AdamW's (default {c.weight_decay})",
    )
    add(
        "--batch-size",
        type=int,
        default=c.batch_size,
        help=f"global batch, split over the devices (default {c.batch_size})",
    )
    add(
        "--epochs",
        type=int,
        default=c.epochs,
        help=f"training epochs (default {c.epochs})",
    )
    add("--steps", type=int, help="total steps T (overrides --epochs)")
    add("--seed", type=int, default=c.seed, help="model init and data order")
    add(
        "--checkpoint-dir",
        metavar="DIR",
        help="save checkpoints there; resume from its latest one (orbax)",
    )
    add(
        "--save-every",
        type=int,
        default=c.save_every,
        metavar="N",
        help=f"steps between checkpoints (default {c.save_every})",
    )
    add(
        "--stop-after",
        type=int,
        metavar="N",
        help="stop after N steps in all, without a final save (as if interrupted)",
    )
    add(
        "--log-json",
        metavar="PATH",
        help="per-step lr and loss, final accuracy, params hash",
    )
    add(
        "--compare",
        action="store_true",
        help="train the ten compared schedules, plot them",
    )
    add(
        "--out",
        default="compare.png",
        help="the --compare figure (default compare.png)",
    )
    add("--quiet", action="store_true", help="no progress bar")
    add(
        "--distributed",
        action="store_true",
        help="call jax.distributed.initialize() first (multi-host)",
    )
    return parser


def main(argv: list[str] | None = None) -> list[Result]:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.distributed:
        jax.distributed.initialize()
    for flag in ("batch_size", "epochs", "save_every"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1")
    if args.steps is not None and args.steps < 1:
        parser.error("--steps must be >= 1")
    if args.compare and (args.settings or args.checkpoint_dir):
        parser.error(
            "--compare uses every schedule's defaults; drop --set/--checkpoint-dir"
        )

    mesh = make_mesh()
    n = mesh.devices.size
    if args.batch_size % n:
        parser.error(
            f"--batch-size {args.batch_size} must be divisible by the {n} devices; "
            f"try {max(args.batch_size // n, 1) * n}"
        )
    data = load_data()
    if args.batch_size > len(data.x_train):
        parser.error(
            f"--batch-size must be at most {len(data.x_train)} (the training set)"
        )
    cfg = Config(
        schedule=args.schedule,
        lr=args.lr,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        epochs=args.epochs,
        steps=args.steps,
        seed=args.seed,
        checkpoint_dir=args.checkpoint_dir,
        save_every=args.save_every,
        stop_after=args.stop_after,
        quiet=args.quiet,
    )
    if args.compare:
        return compare(cfg, data, mesh, args.out)

    try:
        cfg.settings = parse_sets(args.settings)
        schedule = build_schedule(
            cfg.schedule, cfg.settings, cfg.total_steps(len(data.x_train)), cfg.lr
        )
    except (UsageError, ValueError, TypeError) as exc:
        parser.error(str(exc))
    result = train(
        cfg, data, mesh, schedule=schedule, desc=ALIASES.get(cfg.schedule, cfg.schedule)
    )
    if jax.process_index() == 0:
        if args.log_json:
            write_log(args.log_json, result, cfg)
        print(summary_line(result))
    return [result]


if __name__ == "__main__":
    main()
