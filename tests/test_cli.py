"""The ``jaxdecay`` command (run in process, through ``main``) and ``plot``."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import chex
import jax
import matplotlib
import matplotlib.image
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay._tools.cli import main
from jaxdecay._tools.plot import MAX_POINTS, max_steps

matplotlib.use("Agg")

WCD = "warmup_cosine_decay(1e-3, warmup_steps=100, decay_steps=1000)"
STEP = "step_decay(0.1, step_size=300, gamma=0.5)"
C = "constant(0.1)"


def jaxdecay(capsys, *args):
    """Runs ``jaxdecay ARGS`` in this process: ``(exit status, stdout, stderr)``."""
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args) -> str:
    code, out, err = jaxdecay(capsys, *args)
    assert code == 0, err
    assert err == ""
    return out


def test_console_script_is_installed():
    assert Path(sys.executable).with_name("jaxdecay").exists() or shutil.which(
        "jaxdecay"
    )


def test_python_dash_m_runs_the_command():
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-m", "jaxdecay", "--help"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "usage: jaxdecay" in result.stdout


def test_plot_writes_a_png_of_the_requested_size(capsys, tmp_path):
    out = tmp_path / "lr.png"
    stdout = ok(
        capsys, "plot", WCD, STEP, "--steps", "1000", "-o", str(out),
        "--width", "6", "--height", "3", "--dpi", "50", "--log",
    )  # fmt: skip
    assert stdout == f"wrote {out}\n"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == (150, 300)
    assert image.std() > 0  # not a blank canvas
    svg = tmp_path / "lr.SVG"  # the extension names the format, in any case
    ok(capsys, "plot", STEP, "-o", str(svg))
    assert b"<svg" in svg.read_bytes()[:1000]


def test_table_holds_the_schedules_values(capsys):
    at = [0, 50, 100, 299, 300, 1000, 5000]
    out = ok(
        capsys, "table", WCD, STEP, "--at", ",".join(map(str, at)), "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["step", WCD, STEP]
    got = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    want = np.stack([np.asarray(jd.parse(s)(np.array(at))) for s in (WCD, STEP)], 1)
    assert [int(r[0]) for r in rows[1:]] == at
    chex.assert_trees_all_close(got, want.astype(np.float64), rtol=1e-7)


def test_durations_resolve_with_the_runs_figures(capsys):
    spec = "wsd(3e-4, '1%', '*', '20%')"
    # --width 40, as in test_show_draws_a_chart_and_the_key_points: the chart's
    # steps have the shape already compiled.
    out = ok(capsys, "show", spec, "--total-steps", "10000", "--width", "40")
    assert out.startswith(
        "warmup_stable_decay(peak_value=0.0003, warmup_steps=100, stable_steps=7900,"
        " decay_steps=2000)"
    )
    assert "step     9999:" in out  # --steps defaults to the run's length
    out = ok(
        capsys, "table", "warmup_cosine_decay(1.0, '2ep', '1e6tok')", "--at",
        "0,100,200,1000", "--steps-per-epoch", "50", "--tokens-per-step", "1000",
        "--format", "csv",
    )  # fmt: skip
    want = jd.warmup_cosine_decay(1.0, 100, 1000)(np.array([0, 100, 200, 1000]))
    got = [float(row[1]) for row in list(csv.reader(io.StringIO(out)))[1:]]
    # float32 values, written as their shortest round-trip decimals.
    chex.assert_trees_all_close(np.array(got, np.float32), np.asarray(want), rtol=0)


def test_table_as_json_and_text(capsys):
    rows = json.loads(
        ok(capsys, "table", STEP, "--at", "0,300,600", "--format", "json")
    )
    assert rows == [
        {"step": 0, STEP: pytest.approx(0.1)},
        {"step": 300, STEP: pytest.approx(0.05)},
        {"step": 600, STEP: pytest.approx(0.025)},
    ]
    text = ok(capsys, "table", STEP, "--at", "0,600").splitlines()
    assert text[0].split() == ["step", *STEP.split()]
    assert text[2].split() == ["600", "0.025"]


def test_show_draws_a_chart_and_the_key_points(capsys):
    out = ok(capsys, "show", WCD, "--steps", "1000", "--width", "40", "--height", "8")
    lines = out.splitlines()
    assert lines[0] == repr(jd.parse(WCD))
    chart = lines[1:9]
    assert all("|" in line for line in chart)
    assert sum(line.count("*") for line in chart) == 40
    assert "key points:" in out
    assert "step      100: 0.001" in out


def test_a_spec_may_start_with_a_sign(capsys):
    out = ok(capsys, "table", "-0.5*constant(1)", "--at", "3", "--format", "csv")
    assert out.splitlines()[1] == "3,-0.5"


def test_list_names_every_public_schedule_with_its_signature(capsys):
    from jaxdecay._core.base import schedule_types

    public = schedule_types()
    internal = set(schedule_types(internal=True)) - set(public)
    assert "arithmetic" in internal or "arithmetic" not in jd.__all__
    exported = {
        name
        for name in jd.__all__
        if any(getattr(jd, name) is cls for cls in public.values())
    }  # aliases (sgdr, wsd) included
    out = ok(capsys, "list")
    heads = [line.split("(")[0] for line in out.splitlines() if line[:1].isalpha()]
    aliases = {a for line in out.splitlines() for a in _aliases(line)}
    assert len(heads) == len(set(heads))
    assert set(heads) | aliases == exported | {"reduce_on_plateau"}
    assert not internal & set(heads)
    assert "cosine_decay(init_value, decay_steps" in out
    assert "reduce_on_plateau(factor=0.1" in out
    assert "(alias: sgdr)" in out and "(alias: wsd)" in out


def _aliases(line: str) -> list[str]:
    if "(alias: " not in line:
        return []
    return line.split("(alias: ")[1].rstrip(")").split(", ")


def test_help_states_the_limits(capsys):
    for command in ([], ["plot"], ["show"], ["table"], ["list"]):
        code, out, _ = jaxdecay(capsys, *command, "--help")
        assert code == 0 and "usage: jaxdecay" in out

    def help_of(command):
        _, out, _ = jaxdecay(capsys, command, "--help")
        return " ".join(out.split())

    show = help_of("show")
    assert "2 to 1000" in show and "2 to 200" in show and str(max_steps()) in show
    plot = help_of("plot")
    assert "10 to 1000" in plot and "png, pdf, svg" in plot
    assert f"at most {MAX_POINTS} steps" in plot and "1 to 100" in plot
    assert f"0 to {max_steps() - 1}" in help_of("table")


# -- mistakes: one line on stderr, exit status 2 ------------------------------------

TOO_DEEP = "-" * 10_000 + "constant(1)"
HOSTILE = [
    (["show", C, "--height", "0"], "--height"),
    (["show", C, "--width", "-5"], "--width"),
    (["show", C, "--width", "100000000"], "--width"),
    (["show", C, "--steps", "0"], "--steps"),
    (["show", "reduce_on_plateau()"], "stateful"),
    (["table", "cosine_decay(1.0, 10) * reduce_on_plateau()", "--at", "1"], "stateful"),
    (["show", "constant(" + "9" * 4000 + ")"], "SPEC"),
    (["show", TOO_DEEP], "SPEC"),
    (["show", "--", TOO_DEEP], "SPEC"),
    (["show", "(" * 10_000 + "constant(1)" + ")" * 10_000], "SPEC"),
    (["show", "cosine(0.1, 10)"], "unknown schedule 'cosine'"),
    (["show", "cosine_decay(0.1, decay_steps=-1)"], "`decay_steps` must be"),
    (["show", "cosine_decay(0.1, 10", "--steps", "5"], "not a valid spec"),
    (["table", C, "--at", "99999999999999999999999"], "--at"),
    (["table", C, "--at", "a,b"], "--at"),
    (["table", C, "--at", "-5"], "--at"),
    (["plot", C, "-o", "/nonexistent/dir/x.png"], "-o"),
    (["plot", C, "-o", "{tmp}/a-file/x.png"], "-o"),  # its directory is a file
    (["plot", C, "-o", "/proc/jaxdecay.png"], "-o"),  # cannot be created
    (["plot", C, "-o", "{tmp}/x.txt"], "png, pdf, svg"),
    (["plot", C, "-o", "{tmp}/x"], "-o"),
    (["plot", C, "-o", "{tmp}/"], "-o"),
    (["plot", C, "-o", "{tmp}"], "-o"),
    (["plot", C, "-o", "{tmp}/.png"], "-o"),
    (["plot", C, "--width", "0"], "--width"),
    (["plot", C, "--height", "nan"], "--height"),
    (["plot", C, "--dpi", "0"], "--dpi"),
    (["plot", C, "--width", "90", "--dpi", "500"], "--width"),
    (["plot", "constant(0)", "--log", "-o", "{tmp}/x.png"], "--log"),
    (["plot", C, "--title", r"$\nosuchsymbol$", "-o", "{tmp}/x.png"], "--title"),
    (["frobnicate"], "invalid choice"),
    (["show", "wsd(3e-4, '1%', '*', '20%')"], "needs --total-steps"),
    (["table", "cosine_decay(1.0, '2ep')", "--at", "0"], "needs --steps-per-epoch"),
    (["show", "cosine_decay(1.0, '0.1%')", "--total-steps", "100"], "decay_steps=0"),
    (["show", "cosine_decay(1.0, '150%')", "--total-steps", "100"], "at most 100%"),
    (["show", C, "--total-steps", "0"], "--total-steps"),
    (["show", C, "--tokens-per-step", "-3"], "--tokens-per-step"),
    (["show", C, "--rounding", "up"], "--rounding"),
]


@pytest.mark.parametrize(
    "args, mention", HOSTILE, ids=[" ".join(a)[:40] for a, _ in HOSTILE]
)
def test_a_mistake_is_one_line_and_status_2(capsys, tmp_path, args, mention):
    (tmp_path / "a-file").write_text("")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = jaxdecay(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("jaxdecay")
    assert mention in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no file left


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_too_deep_for_python_is_one_line(capsys, monkeypatch, error):
    import jaxdecay._tools.cli as cli

    def deep(*args):
        raise error

    monkeypatch.setattr(cli, "parse", deep)  # while reading the spec
    code, _, err = jaxdecay(capsys, "show", C)
    assert code == 2 and err.count("\n") == 1
    assert "SPEC 'constant(0.1)' is nested too deeply" in err

    monkeypatch.undo()
    monkeypatch.setattr(cli, "key_points", deep)  # anywhere else
    code, _, err = jaxdecay(capsys, "show", C)
    assert code == 2 and err.count("\n") == 1
    assert f"({error.__name__})" in err and "Traceback" not in err


# -- bounded work for any number of steps ------------------------------------------


def test_the_largest_number_of_steps_is_drawn_with_bounded_work(capsys, tmp_path):
    n = max_steps()  # steps 0 .. 2**31 - 1
    lr = jd.repeat(jd.cosine_decay(1.0, 1_000_000), period=1_000_000)
    out = ok(capsys, "show", repr(lr), "--steps", str(n), "--width", "30")
    assert f"step {n - 1}: " in out
    assert out.split("key points:")[0].rstrip().endswith(f" {n - 1}")
    ok(capsys, "plot", repr(lr), "--steps", str(n), "-o", str(tmp_path / "lr.png"))

    fig = jd.plot(lr, steps=n)
    line = fig.axes[0].get_lines()[0]
    x = np.asarray(line.get_xdata())
    assert MAX_POINTS <= len(x) <= MAX_POINTS + 6  # + 3 restarts and steps before
    assert x[0] == 0 and x[-1] == n - 1 and np.all(np.diff(x) > 0)
    assert {999_999, 1_000_000, 2_999_999, 3_000_000} <= set(x.tolist())
    chex.assert_trees_all_close(
        np.asarray(line.get_ydata(), np.float32), lr(x), rtol=1e-6
    )
    with pytest.raises(ValueError, match=f"`steps` must be at most {n}"):
        jd.plot(lr, steps=n + 1)


def test_trillions_of_steps_with_x64(capsys):
    with jax.enable_x64(True):
        out = ok(
            capsys, "show", "cosine_decay(1.0, 1000000000000)", "--steps", "10" * 7
        )
    assert "step 10101010101009: 0" in out


# -- plot, in process -------------------------------------------------------------


def test_plot_marks_breakpoints_and_labels():
    # 1000 steps, as in the plots above: arrays of the shapes already compiled.
    lr = jd.warmup_stable_decay(1.0, 100, 500, 400)
    fig = jd.plot({"wsd": lr, "cos": "cosine_decay(1.0, 1000)"}, steps=1000, log=True)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:2]] == ["wsd", "cos"]
    marks = lines[2]
    assert list(marks.get_xdata()) == [0, 100, 600, 999]
    chex.assert_trees_all_close(
        np.asarray(marks.get_ydata(), np.float32), lr(np.array([0, 100, 600, 999]))
    )
    assert ax.get_yscale() == "log"
    chex.assert_trees_all_close(
        np.asarray(lines[0].get_ydata(), np.float32), lr(np.arange(1000))
    )


def test_plot_on_given_axes_and_bad_input():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert jd.plot(jd.constant(1.0), 10, ax=ax) is fig
    with pytest.raises(TypeError, match="must be a schedule"):
        jd.plot(3.0, 10)
    with pytest.raises(ValueError, match="`steps` must be >= 1"):
        jd.plot(jd.constant(1.0), 0)
    with pytest.raises(TypeError, match="`steps` must be a whole number"):
        jd.plot(jd.constant(1.0), 2.5)


def test_a_run_too_long_to_draw_asks_for_steps(capsys):
    spec = "wsd(3e-4, '1%', '*', '20%')"
    code, _, err = jaxdecay(capsys, "show", spec, "--total-steps", "3000000000")
    assert code == 2 and err.count("\n") == 1, err
    assert "--total-steps 3000000000" in err and "--steps" in err, err
    assert "text_chart" not in err
    ok(capsys, "show", spec, "--total-steps", "3000000000", "--steps", "100")


def test_help_shows_durations_as_written(capsys):
    code, out, _ = jaxdecay(capsys, "show", "--help")
    assert code == 0 and '("10%", "*", "2ep", "1e9tok")' in " ".join(out.split())
