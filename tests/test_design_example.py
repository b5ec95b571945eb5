"""The schedule-design example (examples/design_schedule.py) in its --quick form:
it trains, fits both laws, optimizes a schedule, predicts and measures, and
reports a table, a JSON file and a figure with finite, consistent numbers.

The full example's targets (R^2, 1% predictions, the optimized schedule beating
cosine) need minutes of training; here the runs are tiny, so only the structure
and the sanity of the numbers are checked.  The --quick run trains every
schedule through its table of rates (all runs share one compiled training
function); the full run's way, each schedule as it is, is checked by
``test_a_zero_rate_leaves_the_model_alone``.  In-process runs use standard dtype
promotion, as optax and flax need.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jax
import numpy as np
import pytest

import jaxdecay as jd
from tests import scripts

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "design_schedule.py"
SCHEDULES = ["cosine", "wsd", "linear", "optimized"]
LAWS = ["multi-power", "annealing"]


@pytest.fixture(scope="module")
def example():
    return scripts.load(EXAMPLE)


@pytest.fixture(scope="module")
def quick(example, tmp_path_factory):
    """One --quick run: its result, stdout, figure and JSON paths."""
    out = tmp_path_factory.mktemp("design")
    png, log = out / "design.png", out / "design.json"
    with jax.numpy_dtype_promotion("standard"):
        result = example.main(
            ["--quick", "--quiet", "--plot", str(png), "--out-json", str(log)]
        )
    return result, png, log


def test_table_has_every_schedule_and_law(quick):
    result, _, _ = quick
    assert [row["schedule"] for row in result["table"]] == SCHEDULES
    for row in result["table"]:
        measured = row["measured"]
        # Below a uniform guess over 256 bytes (ln 256 nats) and above zero.
        assert 0.0 < measured < math.log(256)
        for law in LAWS:
            predicted = row[law]["predicted"]
            assert np.isfinite(predicted) and predicted > 0
            assert row[law]["error"] == pytest.approx(predicted / measured - 1)


def test_fits_report_r2_per_fitting_run(quick):
    result, _, _ = quick
    for law in LAWS:
        fit = result["fits"][law]
        assert list(fit["r2"]) == ["constant", "cosine"]
        for value in fit["r2"].values():
            assert np.isfinite(value) and value <= 1.0
        assert fit["law"].startswith(
            {"multi-power": "MultiPowerLaw(", "annealing": "AnnealingLaw("}[law]
        )


def test_seeds_and_spread(quick):
    result, _, _ = quick
    seeds = result["seeds"]
    assert seeds == [0, 1]
    for name in ["cosine", "optimized"]:
        finals = result["finals"][name]
        assert len(finals) == len(seeds) and np.all(np.isfinite(finals))
        assert result["spread"][name] == pytest.approx(max(finals) - min(finals))
    gaps = result["cosine_minus_optimized"]["per_seed"]
    expected = np.subtract(result["finals"]["cosine"], result["finals"]["optimized"])
    np.testing.assert_allclose(gaps, expected)
    # Seed 0's runs are the ones in the table.
    table = {row["schedule"]: row["measured"] for row in result["table"]}
    assert result["finals"]["cosine"][0] == table["cosine"]
    assert result["finals"]["optimized"][0] == table["optimized"]


def test_optimized_schedule_is_a_plain_decaying_schedule(example, quick):
    result, _, _ = quick
    cfg = example.Config(**result["config"])
    schedule = result["_objects"]["schedules"]["optimized"]
    assert jd.parse(result["optimized"]["schedule"]) == schedule
    rates = np.asarray(schedule(np.arange(cfg.steps)), np.float64)
    after = rates[cfg.warmup :]
    assert after[0] == pytest.approx(cfg.peak, rel=1e-4)
    assert np.all(np.diff(after) <= 1e-12) and np.all(after >= 0)


def test_curves_are_logged_where_promised(example, quick):
    result, _, _ = quick
    cfg = example.Config(**result["config"])
    every = cfg.steps // cfg.evals
    for name, curve in result["curves"].items():
        np.testing.assert_array_equal(
            curve["steps"], np.arange(every, cfg.steps + 1, every), err_msg=name
        )
        assert np.all(np.isfinite(curve["loss"])), name
    assert set(result["curves"]) == {"constant", *SCHEDULES}


def test_json_and_figure_are_written(quick):
    result, png, log = quick
    written = json.loads(log.read_text())
    assert written["table"] == result["table"]
    assert written["spread"] == result["spread"]
    assert "_objects" not in written
    import matplotlib.image

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib.image.imread(png).shape
    assert width > 2 * height > 300


def test_report_is_printed(example, quick, capsys):
    result, _, _ = quick
    example.print_report(result)
    out = capsys.readouterr().out
    assert "| fitting run | R^2 multi-power | R^2 annealing |" in out
    assert "| schedule | measured | predicted (multi-power) | error |" in out
    rows = [line.split("|")[1].strip() for line in out.splitlines() if line[:2] == "| "]
    assert rows[-4:] == SCHEDULES
    assert "spread (max - min)" in out


# -- the pieces --------------------------------------------------------------------


def test_corpus_split_is_by_file_and_deterministic(example):
    import sysconfig

    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    a, b = example.load_corpus(), example.load_corpus()
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.held_out, b.held_out)
    assert a.held_out_files == len(files) // 8
    assert a.train_files == len(files) - len(files) // 8
    held = b"".join(f.read_bytes() for f in files[7::8])
    assert a.held_out.tobytes() == held
    assert len(a.train) + len(a.held_out) == sum(f.stat().st_size for f in files)


def test_a_zero_rate_leaves_the_model_alone(example, quick):
    """With the rate 0 the held-out loss stays at the initial model's; with a
    positive rate it falls; the same seed gives the same losses.  The schedules
    go to the training function as they are (the --quick run gave it tables of
    rates); the trainer is the --quick run's, whose model is compiled already."""
    cfg = example.QUICK
    trainer = quick[0]["_objects"]["trainer"]
    assert trainer.cfg == cfg
    with jax.numpy_dtype_promotion("standard"):
        still = trainer.train("zero", jd.constant(0.0), 20, seed=3, show=False)
        moving = trainer.train("lr", jd.constant(cfg.peak), 20, seed=3, show=False)
        again = trainer.train("lr", jd.constant(cfg.peak), 20, seed=3, show=False)
    np.testing.assert_array_equal(still.loss, np.full_like(still.loss, still.loss[0]))
    assert moving.loss[-1] < still.loss[0] - 0.1
    np.testing.assert_array_equal(moving.loss, again.loss)
