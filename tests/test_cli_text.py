"""Text for people: describe() and ``jaxdecay list`` in plain text, the
shortest round-trip decimals of ``jaxdecay table``, ``lr_find`` given a list
of batches."""

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd
from jaxdecay._core.base import schedule_types
from jaxdecay._core.text import doc_summary, plain_text
from jaxdecay._tools.cli import _shortest, main
from tests.catalog import CORE

# reStructuredText markup that must not reach a terminal.
MARKUP = re.compile(r"`|:(?:func|class|meth|math|attr|data|mod|obj|ref):|\.\. \w+::")


def run(capsys, *args) -> str:
    assert main(list(args)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


# -- plain text ----------------------------------------------------------------


def test_plain_text_drops_the_markup_and_keeps_the_text():
    doc = """Decay of ``init_value`` (:class:`~jaxdecay.step_decay`, :func:`jd.warmup`),
    at rate :math:`\\gamma^{t/S}`, see `the paper <https://x.org/a>`_ and `ref`_;
    **strong**, *emphasized*, a footnote [1]_; ``2**63 - 1``, 2**63 and a * b.

    .. math:: \\eta(t) = \\eta_0\\,
       \\gamma^{\\lfloor t / S \\rfloor}

    .. math::
       :label: second

       x = \\frac{a}{b}

    .. note:: Held ``after`` the end.

    .. _ref: https://x.org/b

    Code::

        lr = step_decay(0.1, 30)   # ``kept`` as written

    >>> print(``kept``)  # doctest: +SKIP
    """
    assert plain_text(doc).splitlines() == [
        "Decay of init_value (step_decay, jd.warmup),",
        "at rate \\gamma^{t/S}, see the paper (https://x.org/a) and ref;",
        "strong, emphasized, a footnote [1]; 2**63 - 1, 2**63 and a * b.",
        "",
        "    \\eta(t) = \\eta_0\\,",
        "    \\gamma^{\\lfloor t / S \\rfloor}",
        "",
        "    x = \\frac{a}{b}",
        "",
        "Note: Held after the end.",
        "",
        "",
        "Code:",
        "",
        "    lr = step_decay(0.1, 30)   # ``kept`` as written",
        "",
        ">>> print(``kept``)  # doctest: +SKIP",
    ]
    assert doc_summary(doc) == (
        "Decay of init_value (step_decay, jd.warmup), at rate \\gamma^{t/S}, see "
        "the paper (https://x.org/a) and ref; strong, emphasized, a footnote [1]; "
        "2**63 - 1, 2**63 and a * b."
    )


def test_every_docstring_reads_as_plain_text():
    """The whole docstring of every schedule class (internal ones included),
    the lines of prose: no markup, and every formula is still there."""
    for name, cls in schedule_types(internal=True).items():
        text = plain_text(cls.__doc__)
        prose = [
            ln for ln in text.splitlines() if not ln.lstrip().startswith((">>>", "..."))
        ]
        assert not MARKUP.search("\n".join(prose)), (name, text)
        for formula in re.findall(r"\.\. math:: (.+)", cls.__doc__):
            assert "    " + formula.strip() in text, (name, formula)


def test_describe_is_plain_text(monkeypatch):
    # Once in full; then, for every public schedule, with its values replaced
    # by zeros: the text is what is checked, and evaluating 40 schedules
    # eagerly would take half a minute.
    lr = jd.one_cycle(1e-3, total_steps=100)
    text = jd.one_cycle_momentum(lr, base_momentum=0.85).describe([0, 29])
    assert text.splitlines()[1:] == [
        "  The momentum that pairs with a one_cycle rate (PyTorch's cycle_momentum).",
        "  step  0: 0.95",
        "  step 29: 0.85",
    ]
    monkeypatch.setattr(
        jd.Schedule, "__call__", lambda self, step: np.zeros(np.shape(step))
    )
    described = set()
    for example in CORE:
        schedule = example.make()
        text = schedule.describe()
        assert not MARKUP.search(text), (example.id, text)
        assert text.splitlines()[1] == "  " + doc_summary(type(schedule).__doc__)
        described.add(type(schedule).__name__)
    public = {cls.__name__ for cls in schedule_types().values()}
    assert public - described <= {"reduce_on_plateau"}, public - described
    text = jd.recurrence(0.1, lambda t: 0.9, 10).describe([0])
    assert "The recursive rule lr_t = lr_{t-1} * factor(t): each rate" in text
    assert "document" not in text


def test_list_is_plain_text(capsys):
    out = run(capsys, "list")
    assert not MARKUP.search(out), out
    assert (
        "Cosine decay from init_value to end_value over decay_steps, then held." in out
    )
    assert "one_cycle(" in out and "(Smith & Topin, 2019)" in out
    assert "document" not in out


def test_one_cycle_credits_smith_and_topin():
    doc = jd.one_cycle.__doc__
    assert "Smith & Topin, 2019" in doc
    assert (
        "Super-Convergence: Very Fast Training of Neural Networks Using Large "
        "Learning Rates" in " ".join(doc.split())
    )


# -- shortest round-trip decimals ---------------------------------------------------


def test_float32_values_read_back_exactly_from_their_shortest_decimal():
    bits = np.random.default_rng(0).integers(0, 2**32, 100_000, dtype=np.uint64)
    values = bits.astype(np.uint32).view(np.float32)
    values = values[np.isfinite(values)]
    texts = [repr(x) for x in _shortest(values)]
    back = np.array([float(t) for t in texts]).astype(np.float32)
    np.testing.assert_array_equal(back.view(np.uint32), values.view(np.uint32))
    # Shortest: the nearest decimal with one digit fewer does not read back.
    for x, text in zip(values[:3000], texts[:3000], strict=True):
        digits = len(re.sub(r"e.*|[-.]", "", text).strip("0")) or 1
        if digits > 1:
            fewer = f"{float(x):.{digits - 2}e}"
            assert np.float32(float(fewer)) != x, (x, text, fewer)


THIRD = "constant(0.3333333333333333)"


def test_table_csv_and_json_show_shortest_decimals(capsys):
    out = run(capsys, "table", "constant(0.1)", THIRD, "--at", "0,7", "--format", "csv")
    assert out.splitlines() == [
        f"step,constant(0.1),{THIRD}",
        "0,0.1,0.33333334",
        "7,0.1,0.33333334",
    ]
    out = run(capsys, "table", "constant(0.1)", THIRD, "--at", "0", "--format", "json")
    assert out.splitlines() == [
        "[",
        " {",
        '  "step": 0,',
        '  "constant(0.1)": 0.1,',
        f'  "{THIRD}": 0.33333334',
        " }",
        "]",
    ]
    assert np.float32(json.loads(out)[0][THIRD]) == np.float32(1 / 3)
    assert np.float32(json.loads(out)[0]["constant(0.1)"]) == np.float32(0.1)


def test_table_shows_float64_values_in_full_with_x64(capsys):
    with jax.enable_x64(True):
        out = run(capsys, "table", THIRD, "--at", "0", "--format", "csv")
        assert jd.parse(THIRD)(0).dtype == np.float64
    assert out.splitlines()[1] == "0,0.3333333333333333"


# -- lr_find with a list of batches ----------------------------------------------


def quadratic_step(state, learning_rate, batch):
    """Gradient descent on 0.5 * mean |w - target|^2; ``batch`` a dict."""
    targets = batch["y"] if isinstance(batch, dict) else batch
    loss, grad = jax.value_and_grad(
        lambda w: 0.5 * jnp.mean(jnp.sum((w - targets) ** 2, axis=-1))
    )(state)
    return state - learning_rate * grad, loss


def sweep(data):
    return jd.lr_find(
        quadratic_step, jnp.full(2, 3.0), data, min_value=1e-2, max_value=1.0,
        num_steps=6, progress=False,
    )  # fmt: skip


def test_lr_find_takes_a_list_of_batches():
    batches = [
        np.random.default_rng(i).normal(size=(4, 2)).astype(np.float32)
        for i in range(3)
    ]
    stacked = sweep(np.stack(batches))
    as_list = sweep(batches)
    as_dicts = sweep([{"y": b} for b in batches])
    np.testing.assert_array_equal(as_list.losses, stacked.losses)
    np.testing.assert_array_equal(as_dicts.losses, stacked.losses)
    assert stacked.num_steps_run == 6 and np.all(np.isfinite(stacked.losses))
    # Step i gets batch i % 3: the loss at step 3 is that of batch 0 at step 3's w.
    assert as_list.losses[0] == pytest.approx(
        0.5 * np.mean(np.sum((3.0 - batches[0]) ** 2, axis=-1)), rel=1e-6
    )


@pytest.mark.parametrize(
    "data, error, match",
    [
        ([], ValueError, r"got an empty list"),
        (
            [np.zeros((4, 2), np.float32), np.zeros((3, 2), np.float32)],
            ValueError,
            r"cannot be stacked: data\[0\] is float32\[4, 2\], data\[1\] is "
            r"float32\[3, 2\]",
        ),
        (
            [{"y": np.zeros(2, np.float32)}, {"y": np.zeros(2, np.int32)}],
            ValueError,
            r"cannot be stacked: data\[0\]\['y'\] is float32\[2\], "
            r"data\[1\]\['y'\] is int32\[2\]",
        ),
        (
            [{"y": np.zeros(2)}, {"x": np.zeros(2)}],
            ValueError,
            r"batches of different structures: data\[0\] is .*'y'.*data\[1\] is .*'x'",
        ),
        ([np.zeros(2), "abc"], TypeError, r"data\[1\] is str 'abc', not an array"),
        ([1.0, 2.0], TypeError, r"data\[0\] is float 1\.0, not an array"),
        ([{"y": 3}], TypeError, r"data\[0\]\['y'\] is int 3, not an array"),
        ([{}], TypeError, r"a list of batches without arrays, data\[0\]=\{\}"),
        ("abc", TypeError, r"got data='abc' \(str\)"),
    ],
    ids=[
        "empty", "ragged", "dtypes", "structures", "mixed", "floats", "int_leaf",
        "no_arrays", "str",
    ],
)  # fmt: skip
def test_lr_find_refuses_a_list_it_cannot_stack(data, error, match):
    with pytest.raises(error) as info:
        sweep(data)
    message = str(info.value)
    assert message.startswith(
        "lr_find: `data` must be None or a pytree of arrays whose leading axis "
        "indexes batches (a tuple, dict, ... of arrays), or a list of batches "
        "alike in structure, shapes and dtypes; got "
    ), message
    assert re.search(match, message), message
