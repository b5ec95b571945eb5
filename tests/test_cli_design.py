"""``jaxdecay design fit`` and ``jaxdecay design optimize``, run in this
process: the CSV of runs in, the constants and fit quality out; the law's
constants in, a spec that ``parse`` reads out; every mistake one line and
exit status 2."""

from __future__ import annotations

import json

import chex
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay import design
from tests.test_cli import jaxdecay as run

LAW = design.AnnealingLaw(L0=2.0, A=0.5, alpha=0.5, C=4.0)
WARM, TOTAL = 20, 400
PARAMS = "L0=2.375,A=0.654,alpha=0.429,B=523.425,C=2.025,beta=0.594,gamma=0.635"


def write_run(path, schedule, every=10, run_column=None):
    """A CSV of step,rate,loss: the law's loss every ``every`` steps."""
    rates = np.asarray(schedule(np.arange(TOTAL)), np.float64).tolist()
    logged = set(range(WARM, TOTAL, every))
    at = sorted(logged)
    losses = dict(zip(at, LAW.predict(schedule, at, WARM).tolist(), strict=True))
    head = "run,step,rate,loss" if run_column else "step,rate,loss"
    lines = [head]
    for n, rate in enumerate(rates):
        loss = f"{losses[n]!r}" if n in losses else ""
        row = f"{n},{rate!r},{loss}"
        lines.append(f"{run_column},{row}" if run_column else row)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fit_reads_runs_and_prints_constants_and_quality(capsys, tmp_path):
    flat = jd.warmup(jd.constant(1e-3), WARM)
    cos = jd.warmup_cosine_decay(1e-3, WARM, TOTAL)
    a, b = write_run(tmp_path / "flat.csv", flat), write_run(tmp_path / "cos.csv", cos)
    args = ["design", "fit", str(a), str(b), "--law", "annealing"]
    code, out, err = run(capsys, *args, "--warmup-steps", str(WARM), "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert got["law"] == "AnnealingLaw" and got["r2"] > 0.9999
    fitted = design.AnnealingLaw(**got["params"])
    wsd = jd.warmup_stable_decay(1e-3, WARM, 300, TOTAL - WARM - 300)
    steps = list(range(WARM, TOTAL, 10))
    chex.assert_trees_all_close(
        fitted.predict(wsd, steps, WARM), LAW.predict(wsd, steps, WARM), rtol=1e-4
    )
    assert set(got["worst_rel_error"]) == {str(a), str(b)}
    # text: the constants as `optimize --law-params` reads them, one line a run
    code, out, err = run(capsys, *args, "--warmup-steps", str(WARM))
    assert code == 0, err
    assert "--law-params L0=" in out and "R^2" in out and "cos.csv" in out


def test_a_run_column_holds_several_runs_in_one_file(capsys, tmp_path):
    flat = write_run(
        tmp_path / "a.csv", jd.warmup(jd.constant(1e-3), WARM), run_column="x"
    )
    cos = jd.warmup_cosine_decay(1e-3, WARM, TOTAL)
    body = write_run(tmp_path / "b.csv", cos, run_column="y").read_text()
    both = tmp_path / "both.csv"
    both.write_text(flat.read_text() + "".join(body.splitlines(True)[1:]))
    code, out, err = run(
        capsys, "design", "fit", str(both), "--law", "annealing", "--warmup-steps", "20"
    )
    assert code == 0, err
    assert "both.csv:x" in out and "both.csv:y" in out


def test_optimize_prints_a_spec_that_parse_reads(capsys, tmp_path):
    png = tmp_path / "opt.png"
    code, out, err = run(
        capsys,
        *("design", "optimize", "--law-params", PARAMS, "--total-steps", "1000"),
        *("--warmup-steps", "100", "--peak", "3e-4", "--iterations", "50"),
        *("--plot", str(png)),
    )
    assert code == 0, err
    schedule = jd.parse(out.strip())
    assert "predicted final loss" in err and png.stat().st_size > 1000
    # From the warmup's end on; at every step, as the plot evaluated it (the same
    # shape: no new compilation of the schedule's operations).
    values = np.asarray(schedule(np.arange(1000)))[100:]
    assert values[0] == pytest.approx(3e-4) and np.all(np.diff(values) <= 1e-12)


def optimize_args(params=PARAMS, warmup="10", peak="1e-3"):
    """``design optimize`` over 100 steps, with one argument changed."""
    return [
        *("design", "optimize", "--law-params", params, "--total-steps", "100"),
        *("--warmup-steps", warmup, "--peak", peak),
    ]


@pytest.mark.parametrize(
    "args, mention",
    [
        (["design", "fit", "missing.csv", "--warmup-steps", "0"], "cannot read"),
        (["design", "fit", "{bad}", "--warmup-steps", "0"], "step,rate,loss"),
        (["design", "fit", "{gap}", "--warmup-steps", "0"], "without gaps"),
        (["design", "fit", "{text}", "--warmup-steps", "0"], "line 3"),
        (optimize_args(params="L0=1"), "missing A"),
        (optimize_args(params=PARAMS + ",D=1"), "unknown constant"),
        (optimize_args(warmup="100"), "warmup_steps"),
        (optimize_args(peak="-1"), "peak_value"),
    ],
)
def test_a_mistake_is_one_line_and_status_2(capsys, tmp_path, args, mention):
    files = {
        "{bad}": "a,b\n1,2\n",
        "{gap}": "step,rate,loss\n0,1e-3,\n2,1e-3,2.5\n",
        "{text}": "step,rate,loss\n0,1e-3,\n1,fast,2.5\n",
    }
    for key, text in files.items():
        (tmp_path / key.strip("{}")).write_text(text)
    args = [str(tmp_path / a.strip("{}")) if a in files else a for a in args]
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and mention in err, err
    assert err.startswith("jaxdecay design ")
