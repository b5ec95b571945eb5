"""The progress bar shared by lr_find and the Flax example."""

import io

import pytest

import jaxdecay as jd


def test_draws_only_on_a_terminal_unless_forced():
    quiet = io.StringIO()  # not a terminal
    with jd.ProgressBar(3, stream=quiet) as bar:
        for _ in range(3):
            bar.update(loss=0.5)
    assert quiet.getvalue() == ""
    forced = io.StringIO()
    with jd.ProgressBar(3, desc="run", stream=forced, enabled=True) as bar:
        bar.update(2, lr=1e-3)
        bar.update(1, lr=5e-4)
    assert forced.getvalue().endswith("\n")
    assert forced.getvalue().rsplit("\r", 1)[-1].strip() == (
        "run 100%|####################| 3/3 lr=5.000e-04"
    )


def test_line_shows_progress_and_values():
    bar = jd.ProgressBar(4, width=4, enabled=False)
    bar.update(loss=float("nan"), name="x")
    assert bar.line() == " 25%|#---| 1/4 loss=nan name=x"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"total": -1},
            ValueError,
            r"ProgressBar: `total` must be an integer >= 0; got total=-1",
        ),
        (
            {"total": "abc"},
            TypeError,
            r"ProgressBar: `total` must be .*; got total='abc'",
        ),
        (
            {"total": 3, "width": 0},
            ValueError,
            r"ProgressBar: `width` must be a positive integer; got width=0",
        ),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        jd.ProgressBar(**kwargs)
