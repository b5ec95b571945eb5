"""The ``jaxdecay`` console script (run for real, in a subprocess) and ``plot``."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import chex
import matplotlib
import matplotlib.image
import numpy as np
import pytest

import jaxdecay as jd

matplotlib.use("Agg")

WCD = "warmup_cosine_decay(1e-3, warmup_steps=100, decay_steps=1000)"
STEP = "step_decay(0.1, step_size=300, gamma=0.5)"


def jaxdecay(*args, check=True):
    """Runs the installed console script (``python -m jaxdecay`` if the script
    is not on the PATH of this interpreter)."""
    script = Path(sys.executable).with_name("jaxdecay")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "jaxdecay"]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_console_script_is_installed():
    assert Path(sys.executable).with_name("jaxdecay").exists() or shutil.which(
        "jaxdecay"
    )


def test_plot_writes_a_png_of_the_requested_size(tmp_path):
    out = tmp_path / "lr.png"
    result = jaxdecay(
        "plot", WCD, STEP, "--steps", "1000", "-o", str(out),
        "--width", "6", "--height", "3", "--dpi", "50", "--log",
    )  # fmt: skip
    assert f"wrote {out}" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == (150, 300)
    assert image.std() > 0  # not a blank canvas


def test_table_holds_the_schedules_values():
    at = [0, 50, 100, 299, 300, 1000, 5000]
    result = jaxdecay(
        "table", WCD, STEP, "--at", ",".join(map(str, at)), "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["step", WCD, STEP]
    got = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    want = np.stack([np.asarray(jd.parse(s)(np.array(at))) for s in (WCD, STEP)], 1)
    assert [int(r[0]) for r in rows[1:]] == at
    chex.assert_trees_all_close(got, want.astype(np.float64), rtol=1e-7)


def test_table_as_json_and_text():
    rows = json.loads(
        jaxdecay("table", STEP, "--at", "0,300,600", "--format", "json").stdout
    )
    assert rows == [
        {"step": 0, STEP: pytest.approx(0.1)},
        {"step": 300, STEP: pytest.approx(0.05)},
        {"step": 600, STEP: pytest.approx(0.025)},
    ]
    text = jaxdecay("table", STEP, "--at", "0,600").stdout.splitlines()
    assert text[0].split() == ["step", *STEP.split()]
    assert text[2].split() == ["600", "0.025"]


def test_show_draws_a_chart_and_the_key_points():
    out = jaxdecay("show", WCD, "--steps", "1000", "--width", "40", "--height", "8")
    lines = out.stdout.splitlines()
    assert lines[0] == repr(jd.parse(WCD))
    chart = lines[1:9]
    assert all("|" in line for line in chart)
    assert sum(line.count("*") for line in chart) == 40
    assert "key points:" in out.stdout
    assert "step      100: 0.001" in out.stdout


def test_list_names_every_schedule_with_its_signature():
    out = jaxdecay("list").stdout
    for name in ("cosine_decay(init_value, decay_steps", "one_cycle(", "join("):
        assert name in out
    assert "(alias: sgdr)" in out and "(alias: wsd)" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "cosine(0.1, 10)"], "unknown schedule 'cosine'"),
        (["show", "cosine_decay(0.1, decay_steps=-1)"], "`decay_steps` must be"),
        (["show", "cosine_decay(0.1, 10", "--steps", "5"], "not a valid spec"),
        (["table", STEP, "--at", "a,b"], "--at must be steps"),
        (["show", STEP, "--steps", "0"], "--steps must be >= 1"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_say_what_was_wrong(args, message):
    result = jaxdecay(*args, check=False)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize("command", [[], ["plot"], ["show"], ["table"], ["list"]])
def test_help_everywhere(command):
    result = jaxdecay(*command, "--help")
    assert "usage: jaxdecay" in result.stdout


# -- plot, in process -------------------------------------------------------------


def test_plot_marks_breakpoints_and_labels():
    lr = jd.warmup_stable_decay(1.0, 100, 500, 200)
    fig = jd.plot({"wsd": lr, "cos": "cosine_decay(1.0, 800)"}, steps=800, log=True)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:2]] == ["wsd", "cos"]
    marks = lines[2]
    assert list(marks.get_xdata()) == [0, 100, 600, 799]
    chex.assert_trees_all_close(
        np.asarray(marks.get_ydata(), np.float32), lr(np.array([0, 100, 600, 799]))
    )
    assert ax.get_yscale() == "log"
    chex.assert_trees_all_close(
        np.asarray(lines[0].get_ydata(), np.float32), lr(np.arange(800))
    )


def test_plot_on_given_axes_and_bad_input():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert jd.plot(jd.constant(1.0), 10, ax=ax) is fig
    with pytest.raises(TypeError, match="must be a schedule"):
        jd.plot(3.0, 10)
    with pytest.raises(ValueError, match="`steps` must be >= 1"):
        jd.plot(jd.constant(1.0), 0)


def test_gallery_covers_every_schedule():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    try:
        import make_gallery
    finally:
        sys.path.pop(0)
    from catalog import SCHEDULE_NAMES

    drawn = make_gallery.panels()
    classes = {getattr(jd, name).__name__ for name in SCHEDULE_NAMES}
    assert set(drawn) == classes
    for name, (_, schedule) in drawn.items():
        assert type(schedule).__name__ == name
