"""The Flax example (examples/train_flax.py): it learns, logs its schedule's rates,
ends its progress bar with the numbers of its summary line, gives the same losses on
four devices as on one, resumes from a checkpoint in a new process to the same
parameters (and says so), compares the schedules in a figure whose axes show every
curve and a table, and rejects bad command-line input with clear messages.

Runs are tiny (a few epochs of large batches); in-process runs use standard dtype
promotion, as optax and flax need.  Two new processes run the example's ``main``
(see ``tests/scripts.py``): one on four CPU devices (a run, and a batch the four
do not divide), one that resumes both interrupted runs from their checkpoints.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
from pathlib import Path

import chex
import jax
import numpy as np
import pytest

import jaxdecay as jd
from tests import scripts

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "train_flax.py"
LR = 3e-3  # the example's default --lr
# 1144 training examples: 8 steps per epoch at batch 128, 5 epochs.
BATCH, STEPS, PER_EPOCH = 128, 40, 8
TINY = ["--batch-size", str(BATCH), "--steps", str(STEPS), "--quiet"]
# A plateau that cuts the rate by half at the end of every epoch after the
# first: no later epoch can beat the first by the absolute threshold 10.
PLATEAU = [
    "--schedule",
    "reduce_on_plateau",
    "--set",
    "patience=0",
    "--set",
    "threshold_mode=abs",
    "--set",
    "threshold=10.0",
]


@pytest.fixture(scope="module")
def example():
    return scripts.load(EXAMPLE)


def run_here(example, *args):
    """``main(args)`` in this process: returns its results."""
    with jax.numpy_dtype_promotion("standard"):
        return example.main(list(args))


def run_process(*runs, devices=1):
    """``main(args)`` for each of ``runs``, one after the other in one new process
    on ``devices`` CPU devices: per run, ``(exit status, stdout, stderr)``."""
    env = dict(os.environ)
    env["JAX_PLATFORMS"] = "cpu"
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return scripts.run_mains(EXAMPLE, [list(r) for r in runs], env, timeout=300)


def read_log(path) -> dict:
    return json.loads(Path(path).read_text())


class Terminal(io.StringIO):
    """A stream that passes for a terminal, so the progress bar draws on it."""

    def isatty(self):
        return True


@pytest.fixture(scope="module")
def reference_run(example, tmp_path_factory):
    """An uninterrupted tiny run with the default schedule, in this process, with
    its progress bar drawn: ``(result, log, stdout, stderr)``."""
    path = tmp_path_factory.mktemp("reference") / "log.json"
    out, err = io.StringIO(), Terminal()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        (result,) = run_here(example, *TINY[:-1], "--log-json", str(path))
    return result, read_log(path), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def reference(reference_run):
    return reference_run[:2]


@pytest.fixture(scope="module")
def plateau_reference(example, tmp_path_factory):
    path = tmp_path_factory.mktemp("plateau") / "log.json"
    (result,) = run_here(example, *TINY, *PLATEAU, "--log-json", str(path))
    return result, read_log(path)


# -- it learns, with the schedule it was given -------------------------------------


def test_learns(reference):
    _, log = reference
    assert log["test_accuracy"] > 0.8  # chance is 0.1
    loss = np.asarray(log["loss"])
    assert loss.shape == (STEPS,)
    assert loss[-PER_EPOCH:].mean() < 0.3 * loss[:PER_EPOCH].mean()
    assert log["epoch_ends"] == list(range(PER_EPOCH, STEPS + 1, PER_EPOCH))


def test_logged_rates_are_the_schedules(reference):
    result, log = reference
    schedule = jd.warmup_cosine_decay(LR, warmup_steps=STEPS // 10, decay_steps=STEPS)
    assert result.schedule == schedule
    assert log["schedule"] == repr(schedule)
    chex.assert_trees_all_close(
        np.asarray(log["learning_rate"], np.float32),
        np.asarray(schedule(np.arange(STEPS))),
        rtol=1e-6,
    )


def test_set_overrides_defaults_and_rates_follow(example):
    args = ["--schedule", "step_decay", "--set", "step_size=5", "--set", "gamma=0.5"]
    (result,) = run_here(example, *TINY[:2], "--steps", "12", "--quiet", *args)
    assert result.schedule == jd.step_decay(LR, step_size=5, gamma=0.5)
    chex.assert_trees_all_close(
        result.learning_rate,
        np.float32(LR) * np.float32([1] * 5 + [0.5] * 5 + [0.25] * 2),
        rtol=1e-6,
    )


@pytest.mark.parametrize("name", ["warmup_stable_decay", "one_cycle", "cyclic"])
def test_default_parameters_follow_the_run(example, name):
    """Step counts default from the run's length T, the peak from --lr."""
    total, lr = 200, 0.01
    schedule = example.build_schedule(name, {}, total, lr)
    values = np.asarray(jax.jit(schedule)(np.arange(total)))
    chex.assert_trees_all_close(values.max(), np.float32(lr), rtol=1e-6)
    if name == "warmup_stable_decay":
        assert schedule == jd.warmup_stable_decay(lr, 20, 140, 40)
    if name == "one_cycle":
        assert schedule.total_steps == total


def test_every_listed_schedule_builds_and_peaks_at_lr(example):
    schedules = {
        name: example.build_schedule(name, {}, 100, 0.01)
        for name in example.SCHEDULES
        if name != "reduce_on_plateau"
    }
    # One compiled program for all of them: the schedules are its argument.
    values = jax.jit(lambda s, t: {n: f(t) for n, f in s.items()})(
        schedules, np.arange(100)
    )
    peaks = {name: np.asarray(v).max() for name, v in values.items()}
    # A failure names the schedule (the key of its peak).
    chex.assert_trees_all_close(
        peaks, {name: np.float32(0.01) for name in peaks}, rtol=1e-6
    )


# -- the progress bar and the summary line -----------------------------------------


def test_progress_bar_ends_with_the_numbers_of_the_summary_line(reference_run):
    result, _, out, err = reference_run
    bar = err.rsplit("\r", 1)[-1].strip()  # the bar's last drawing
    (summary,) = out.splitlines()
    shown = re.fullmatch(
        rf"warmup_cosine_decay 100%\|#+\| {STEPS}/{STEPS} "
        r"train_loss=(\S+) test_acc=(\S+)",
        bar,
    )
    said = re.match(
        r"warmup_cosine_decay: final train loss (\S+), test accuracy (\S+), ",
        summary,
    )
    assert shown and said, (bar, summary)
    assert shown.groups() == said.groups()
    # ... and they are the final evaluation's, to the digits shown.
    loss, accuracy = said.groups()
    chex.assert_trees_all_close(float(loss), result.train_loss, rtol=1e-3)
    assert accuracy == f"{result.test_accuracy:.2%}"


@pytest.mark.parametrize(
    "loss", [0.0, 0.18914, 2.5, 1e-3, 0.00099996, 3.2e-5, 9999.6, 1.5e5, math.nan]
)
def test_summary_writes_losses_as_the_bar_shows_them(example, loss):
    bar = jd.ProgressBar(1, stream=io.StringIO(), enabled=True)
    bar.update(0, **example.final_values(loss, 0.5))
    assert bar.line().endswith(f" train_loss={example.loss_text(loss)} test_acc=50.00%")


# -- reduce on plateau from the command line -------------------------------------


def test_reduce_on_plateau_halves_the_rate_each_epoch(plateau_reference):
    result, log = plateau_reference
    assert isinstance(result.schedule, jd.reduce_on_plateau)
    assert result.schedule.patience == 0 and result.schedule.threshold_mode == "abs"
    # The rate is LR for two epochs (the first sets `best`, the second fails to
    # beat it), then halves at every epoch's end.
    epoch = np.arange(STEPS) // PER_EPOCH
    expected = np.float32(LR) * np.float32(0.5) ** np.maximum(epoch - 1, 0)
    chex.assert_trees_all_close(
        np.asarray(log["learning_rate"], np.float32), expected, rtol=1e-6
    )
    assert log["test_accuracy"] > 0.8


# -- several devices ---------------------------------------------------------------


@pytest.fixture(scope="module")
def four_devices(tmp_path_factory):
    """One process on four CPU devices: a tiny run, then a batch of 66 (which
    four devices do not divide).  Per run ``(exit status, stdout, stderr)``, and
    the first one's log."""
    path = tmp_path_factory.mktemp("four") / "log.json"
    runs = run_process(
        [*TINY, "--log-json", str(path)], ["--batch-size", "66", "--quiet"], devices=4
    )
    assert runs[0][0] == 0, runs[0][2][-3000:]
    return runs, read_log(path)


def test_four_devices_give_the_losses_of_one(reference, four_devices):
    _, single = reference
    # The test process runs on the one default CPU device.
    assert single["devices"] == 1
    ((_, out, _), _), multi = four_devices
    assert multi["devices"] == 4 and "4 cpu devices" in out
    chex.assert_trees_all_close(
        np.asarray(multi["loss"]), np.asarray(single["loss"]), rtol=1e-5
    )
    assert multi["learning_rate"] == single["learning_rate"]
    chex.assert_trees_all_close(
        multi["params_summary"], single["params_summary"], rtol=1e-4, atol=1e-5
    )


# -- checkpoints -------------------------------------------------------------------


EXTRA = {"reference": [], "plateau_reference": PLATEAU}


@pytest.fixture(scope="module")
def resumed(example, tmp_path_factory):
    """The runs of ``reference`` and ``plateau_reference``, interrupted after 30
    steps in this process (the last save is at step 24, mid-epoch), then both
    resumed from their checkpoints in one new process.  Per run: its directory,
    the first part's log and stdout, the second's exit status, stdout, stderr."""
    first, second = {}, {}
    for which, extra in EXTRA.items():
        tmp = tmp_path_factory.mktemp(which)
        ckpt = ["--checkpoint-dir", str(tmp / "ckpt"), "--save-every", "12"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            run_here(
                example, *TINY, *extra, *ckpt, "--stop-after", "30",
                "--log-json", str(tmp / "first.json"),
            )  # fmt: skip
        first[which] = (tmp, read_log(tmp / "first.json"), out.getvalue())
        second[which] = [*TINY, *extra, *ckpt, "--log-json", str(tmp / "second.json")]
    ran = run_process(*second.values())
    return {which: (*first[which], *run) for which, run in zip(EXTRA, ran, strict=True)}


@pytest.mark.parametrize("which", list(EXTRA))
def test_resume_in_a_new_process_reaches_the_same_parameters(request, resumed, which):
    _, whole = request.getfixturevalue(which)
    extra = EXTRA[which]
    tmp_path, first, first_out, code, out, err = resumed[which]
    assert first["steps_done"] == 30 and first["first_step"] == 0
    assert "resuming" not in first_out  # a fresh start
    assert first["learning_rate"] == whole["learning_rate"][:30]

    assert code == 0, err[-3000:]
    second = read_log(tmp_path / "second.json")
    assert second["first_step"] == 24 and second["steps_done"] == STEPS
    assert "stopped" not in out
    # It says where it resumes from, on one line of its own.
    name = "reduce_on_plateau" if extra else "warmup_cosine_decay"
    said = (
        f"{name}: resuming from checkpoint {tmp_path / 'ckpt' / '24'} at step 24 of 40"
    )
    assert said in out.splitlines(), out
    chex.assert_trees_all_close(
        np.asarray(second["learning_rate"]),
        np.asarray(whole["learning_rate"][24:]),
        rtol=0,
        atol=0,
    )
    chex.assert_trees_all_close(
        np.asarray(second["loss"]), np.asarray(whole["loss"][24:]), rtol=1e-6
    )
    chex.assert_trees_all_close(
        second["params_summary"], whole["params_summary"], rtol=1e-6
    )
    assert second["params_sha256"] == whole["params_sha256"]  # bitwise, on CPU
    assert second["test_accuracy"] == whole["test_accuracy"]


# -- comparing schedules -----------------------------------------------------------


def test_compare_writes_a_figure_and_a_table(example, tmp_path, capsys):
    import matplotlib.image
    import matplotlib.pyplot

    png = tmp_path / "compare.png"
    results = run_here(
        example, "--compare", "--out", str(png), "--batch-size", "256",
        "--steps", "8", "--quiet",
    )  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib.image.imread(png).shape
    assert width > 2 * height > 400
    out = capsys.readouterr().out
    assert "| schedule | test accuracy | final train loss |" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    assert names == example.COMPARED == [r.name for r in results]
    assert len(example.COMPARED) == 10
    assert all(np.isfinite(r.loss).all() for r in results)

    # The accuracy axis shows every point of every curve, the final ones too.
    figure = example.draw_comparison(results, steps_per_epoch=4)
    accuracy_axis = figure.axes[2]
    low, high = accuracy_axis.get_ylim()
    assert len(accuracy_axis.lines) == len(results)
    for line, result in zip(accuracy_axis.lines, results, strict=True):
        y = np.asarray(line.get_ydata())
        assert low < y.min() and y.max() < high, (result.name, y, low, high)
        assert line.get_xdata()[-1] == 8 and y[-1] == result.test_accuracy
    points = np.concatenate([line.get_ydata() for line in accuracy_axis.lines])
    assert high - low < 1.2 * np.ptp(points) + 0.02  # a small margin
    matplotlib.pyplot.close(figure)


# -- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--schedule", "cosine"],
            r"unknown schedule 'cosine'; choose one of: constant, .*cosine_decay.*"
            r"warmup_cosine_decay.*one_cycle.*reduce_on_plateau",
        ),
        (
            ["--schedule", "cosine_decay", "--set", "decay_step=5"],
            r"cosine_decay has no parameter 'decay_step'; its parameters are: "
            r"init_value, decay_steps, end_value, exponent",
        ),
        (
            ["--schedule", "one_cycle", "--set", "pct_start=0.3.1"],
            r"--set pct_start=0.3.1: '0.3.1' is not a Python literal",
        ),
        (["--set", "warmup_steps"], r"--set expects key=value, got 'warmup_steps'"),
        (
            ["--set", "warmup_steps=50", "--steps", "40"],
            r"warmup_cosine_decay: `decay_steps` .* must exceed `warmup_steps`; "
            r"got decay_steps=40, warmup_steps=50",
        ),
        (
            ["--schedule", "one_cycle", "--set", "anneal=cosine"],
            r"one_cycle: `anneal` must be one of 'cos', 'linear'; got anneal='cosine'",
        ),
        (["--batch-size", "0"], r"--batch-size must be >= 1"),
        (["--compare", "--set", "gamma=0.5"], r"--compare uses every schedule"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(example, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        run_here(example, "--quiet", *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ": error: " in err.splitlines()[-1]
    assert re.search(message, err), err


def test_batch_not_divisible_by_the_devices(four_devices):
    (_, (code, _, err)), _ = four_devices
    assert code == 2
    assert "--batch-size 66 must be divisible by the 4 devices; try 64" in err


def test_help_lists_every_schedule_and_its_defaults(example, capsys):
    with pytest.raises(SystemExit) as exit_info:
        example.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in example.SCHEDULES:
        assert f"\n  {name} " in out
    assert "warmup_cosine_decay  peak_value=LR warmup_steps=T//10 decay_steps=T" in out
