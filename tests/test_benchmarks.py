"""The benchmark script runs: ``benchmarks/bench_pieces.py --quick`` exits 0 and
prints its tables and targets.  No timing is asserted (that is the script's job,
not the test suite's)."""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_pieces.py"


def test_bench_pieces_quick(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    # Both Markdown tables, with a row for every family at each quick size.
    assert "| schedule | N | eqns jaxdecay | eqns optax |" in text
    assert "| schedule | N | call jaxdecay (µs) | call optax (µs) |" in text
    for family in (
        "piecewise_constant",
        "piecewise_linear",
        "join_cycles",
        "join_2kinds",
        "join_3kinds",
    ):
        assert f"| {family} | 2 |" in text
        assert f"| {family} | 10 |" in text
    assert "Targets:" in text
    # Both libraries build the same schedules.
    assert "Same schedule in both libraries" in text
    data = json.loads(out.read_text())
    for cell in data["cells"]:
        assert cell["skip"] is None and not cell["missing"], cell
        assert cell["eqns"] > 0 and cell["median"]["compile_s"] > 0
    assert max(data["agreement_max_rel"].values()) < 1e-4
