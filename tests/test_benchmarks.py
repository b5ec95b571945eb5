"""The benchmark scripts run: ``benchmarks/run_all.py --quick`` runs every
script in its tiny configuration, exits 0 and writes its results table; each
script's JSON holds what the table shows.  No timing is asserted (that is the
scripts' job, not the test suite's).

Both run in this process (``run_all.py --quick`` itself starts a process for
the one-core train step only), with standard dtype promotion as in a script's
own process; the JAX settings the scripts change (the default device) are put
back afterwards."""

import contextlib
import json
import sys
from pathlib import Path

import jax
import pytest

from tests import scripts

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@contextlib.contextmanager
def as_a_script():
    """What a script's own process would have: standard dtype promotion and the
    benchmarks' directory on ``sys.path``; the JAX settings that ``--device``
    sets, and ``sys.path``, are restored on the way out."""
    saved = {k: getattr(jax.config, k) for k in ("jax_platforms", "jax_default_device")}
    path = list(sys.path)
    sys.path.insert(0, str(BENCH))
    try:
        with jax.numpy_dtype_promotion("standard"):
            yield
    finally:
        sys.path[:] = path
        for key, value in saved.items():
            jax.config.update(key, value)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    out, data = tmp / "results.md", tmp / "json"
    with as_a_script():
        run_all = scripts.load(BENCH / "run_all.py")
        code = run_all.main(
            ["--quick", "--device", "cpu", "--out", str(out), "--json-dir", str(data)]
        )
    assert code == 0, out.read_text()[-8000:]
    return out.read_text(), data


def _json(data, name):
    return json.loads((data / f"{name}.json").read_text())


def test_results_table_has_every_section(quick_run):
    text, _ = quick_run
    for head in (
        "- date:",
        "- device: CPU",
        "- commit:",
        "## 1. Train-step overhead",
        "## 1b. Train-step overhead on one core",
        "## 2. Compile and graph size",
        "## 3. Bulk evaluation",
        "## 4. Numerics at scale",
    ):
        assert head in text
    assert "exit status" not in text
    assert text.count("Targets:") == 5


def test_train_step(quick_run):
    text, data = quick_run
    assert "| model | loop | schedule | library | how | µs/step | ratio |" in text
    results = _json(data, "train_step")["results"]
    seen = {(r["loop"], r["schedule"], r["lib"], r["how"]) for r in results}
    for loop in ("call", "scan"):
        assert (loop, "baseline", "optax", "float") in seen
        assert (loop, "warmup_cosine", "jaxdecay", "jd.inject") in seen
        assert (loop, "plateau", "optax", "contrib") in seen
    assert all(r["s_per_step"] > 0 and r["ratio"] > 0 for r in results)
    assert "| cpu ratio | kernels |" in text
    # The scan's body is one step, which runs at least the model's dots.
    assert all(r["kernels"] >= 3 for r in results)


def test_train_step_on_one_core(quick_run):
    _, data = quick_run
    one = _json(data, "train_step_1cpu")
    assert one["env"]["device"].endswith(", 1 core")
    assert {r["how"] for r in one["results"]} == {
        r["how"] for r in _json(data, "train_step")["results"]
    }


def test_pieces(quick_run):
    text, data = quick_run
    assert "| schedule | N | eqns jaxdecay | eqns optax |" in text
    for family in (
        "piecewise_constant",
        "piecewise_linear",
        "join_cycles",
        "join_2kinds",
        "join_3kinds",
    ):
        assert f"| {family} | 2 |" in text
        assert f"| {family} | 10 |" in text
    assert "Same schedule in both libraries" in text
    pieces = _json(data, "pieces")
    for cell in pieces["cells"]:
        assert cell["skip"] is None and not cell["missing"], cell
        assert cell["eqns"] > 0 and cell["median"]["compile_s"] > 0
    assert max(pieces["agreement_max_rel"].values()) < 1e-4


def test_bulk(quick_run):
    text, data = quick_run
    assert "memory-copy bound" in text
    results = _json(data, "bulk")["results"]
    kinds = {(r["schedule"], r["kind"]) for r in results}
    for name in ("warmup_cosine", "staircase_exponential", "piecewise_1000"):
        assert {(name, "jit"), (name, "vmap"), (name, "numpy")} <= kinds
    # The values are right even in the smoke run.
    assert all(r["max_rel_err"] < 1e-6 for r in results if r["kind"] != "numpy")


def test_numerics(quick_run):
    _, data = quick_run
    numerics = _json(data, "numerics")
    assert len(numerics["results"]) >= 6
    # Accuracy does not depend on timing: the targets hold in the smoke run.
    assert all(line.startswith("PASS") for line in numerics["targets"])
    for r in numerics["results"]:
        assert r["jaxdecay_max_rel_err"] <= 1e-6
        assert not r["jaxdecay_wrong_levels"]


def test_accuracy_script_runs(capsys):
    with as_a_script():
        scripts.load(BENCH / "accuracy.py").main(["--quick"])
    out = capsys.readouterr().out
    assert "| case | optax 0.2.8 max rel. error |" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 10  # the header and the 9 cases
