"""Durations ("10%", "2ep", "1e9tok", "*"): parsing, exact resolution, every
step field of every schedule, compositions, configs, errors."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from fractions import Fraction

import chex
import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

import jaxdecay as jd
from jaxdecay._core.durations import Duration
from jaxdecay._core.fields import Real, StepList, Steps
from tests.catalog import CATALOG

# -- parsing --------------------------------------------------------------------

STEPS_WRITTEN = [
    ("1500", 1500),
    ("1500ba", 1500),
    (" 1500 ba ", 1500),
    ("1e3", 1000),
    ("1.5K", 1500),
    ("2M", 2_000_000),
    ("1_000", 1000),
    ("0", 0),
    ("9223372036854775807", 2**63 - 1),
]


@pytest.mark.parametrize(("text", "steps"), STEPS_WRITTEN)
def test_steps_written_as_text_are_steps_at_once(text, steps):
    s = jd.shift(jd.constant(1.0), text)
    assert s.steps == steps and not s.unresolved


DURATIONS = [
    ("10%", "dur", Fraction(1, 10)),
    ("0.1dur", "dur", Fraction(1, 10)),
    (".5dur", "dur", Fraction(1, 2)),
    ("100%", "dur", Fraction(1)),
    ("2ep", "ep", Fraction(2)),
    ("0.25 ep", "ep", Fraction(1, 4)),
    ("1e9tok", "tok", Fraction(10**9)),
    ("1Gtok", "tok", Fraction(10**9)),
    ("1Btok", "tok", Fraction(10**9)),
    ("500Mtok", "tok", Fraction(5 * 10**8)),
    ("2Ttok", "tok", Fraction(2 * 10**12)),
    ("3e6sp", "sp", Fraction(3 * 10**6)),
    ("64Ksp", "sp", Fraction(64_000)),
]


@pytest.mark.parametrize(("text", "unit", "amount"), DURATIONS)
def test_durations_are_read_as_exact_decimals(text, unit, amount):
    s = jd.cosine_decay(1.0, text)
    assert isinstance(s.decay_steps, Duration) and s.unresolved
    assert (s.decay_steps.unit, s.decay_steps.amount) == (unit, amount)
    assert repr(s) == f"cosine_decay(init_value=1.0, decay_steps={text.strip()!r})"


BAD = [
    ("150%", "at most 100%"),
    ("1.01dur", "at most 100%"),
    ("-1%", "never negative"),
    ("-5", "never negative"),
    ("2.5", "whole number of steps"),
    ("2.5ba", "whole number of steps"),
    ("ten", "a duration"),
    ("10 epochs", "a duration"),
    ("1e9tokens", "a duration"),
    ("5m", "a duration"),
    ("1K%", "a duration"),
    ("", "a duration"),
    ("1__0", "a duration"),
    ("nan%", "a duration"),
    ("inf", "a duration"),
    ("1e999999999tok", "from 1e-30 to 1e30"),  # refused at once, not written out
    ("1e-999999999ep", "from 1e-30 to 1e30"),
    # exponents past what Decimal itself holds: refused the same way
    ("1e99999999999999999999", "from 1e-30 to 1e30"),
    ("0e99999999999999999999", "from 1e-30 to 1e30"),
    ("1e-99999999999999999999tok", "from 1e-30 to 1e30"),
    ("1_.5%", "a duration"),  # as Python, no _ beside the point
    ("1._5%", "a duration"),
]


@pytest.mark.parametrize(("text", "why"), BAD)
def test_bad_durations_name_the_parameter(text, why):
    with pytest.raises(ValueError, match=r"^cosine_decay: `decay_steps` must be ") as e:
        jd.cosine_decay(1.0, text)
    assert why in str(e.value) and f"decay_steps={text!r}" in str(e.value)


def test_fields_that_are_not_steps_refuse_durations():
    with pytest.raises(TypeError, match="scale_steps: `factor`"):
        jd.scale_steps(jd.constant(1.0), "10%", 5)
    with pytest.raises(TypeError, match="cosine_decay: `init_value`"):
        jd.cosine_decay("10%", 10)


def test_the_rest_of_the_run_is_for_phases_only():
    with pytest.raises(ValueError, match=r"`transition_steps`.*'\*'"):
        jd.exponential_decay(1.0, 0.5, "*")
    with pytest.raises(ValueError, match="only one phase can be"):
        jd.wsd(1.0, "*", "*", 10)
    with pytest.raises(ValueError, match=r"piecewise_constant: `boundaries`.*'\*'"):
        jd.piecewise_constant(["*"], [1.0, 2.0])


# -- resolving: exact arithmetic, one rounding ------------------------------------


def _expected(amount: Fraction, rounding: str) -> int:
    if rounding == "floor":
        return math.floor(amount)
    if rounding == "ceil":
        return math.ceil(amount)
    return math.floor(amount + Fraction(1, 2))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    percent=st.decimals(0, 100, places=3),
    total=st.integers(1, 10**15),
    rounding=st.sampled_from(["floor", "ceil", "round"]),
)
def test_fractions_of_the_run_resolve_exactly(percent, total, rounding):
    s = jd.cosine_decay(1.0, f"{percent}%", end_value=0.0)
    exact = Fraction(str(percent)) / 100 * total
    want = _expected(exact, rounding)
    if want < 1:
        with pytest.raises(ValueError, match=r"cosine_decay: `decay_steps`.*%'"):
            s.resolve(total_steps=total, rounding=rounding)
    else:
        assert s.resolve(total_steps=total, rounding=rounding).decay_steps == want


def test_a_float_product_would_round_up_wrongly_where_the_decimal_does_not():
    # 0.07 * 100 = 7.000000000000001 in float64: transformers' ceil of a float
    # warmup_ratio gives 8; the decimal "7%" is 7 steps with every rounding.
    assert math.ceil(0.07 * 100) == 8
    for rounding in ("floor", "ceil", "round"):
        s = jd.warmup_cosine_decay(1.0, "7%", "*").resolve(
            total_steps=100, rounding=rounding
        )
        assert (s.warmup_steps, s.decay_steps) == (7, 100)


@pytest.mark.parametrize(
    ("text", "figures", "rounding", "steps"),
    [
        ("2ep", {"steps_per_epoch": 390}, "floor", 780),
        ("0.5ep", {"steps_per_epoch": 391}, "floor", 195),
        ("0.5ep", {"steps_per_epoch": 391}, "ceil", 196),
        ("0.5ep", {"steps_per_epoch": 391}, "round", 196),
        ("0.5ep", {"steps_per_epoch": 7.5}, "round", 4),  # 3.75
        ("1e9tok", {"tokens_per_step": 2**19}, "floor", 1907),
        ("1e9tok", {"tokens_per_step": 2**19}, "ceil", 1908),
        ("1Gtok", {"tokens_per_step": 1}, "floor", 10**9),
        ("2Ttok", {"tokens_per_step": 1}, "floor", 2 * 10**12),
        ("3e6sp", {"samples_per_step": 256}, "floor", 11718),
        ("3e6sp", {"samples_per_step": 256}, "round", 11719),
        ("33%", {"total_steps": 3}, "round", 1),  # 0.99
        ("50%", {"total_steps": 3}, "round", 2),  # 1.5: ties up
        ("0.1dur", {"total_steps": 10**18}, "floor", 10**17),
    ],
)
def test_each_unit_resolves_with_its_figure(text, figures, rounding, steps):
    s = jd.shift(jd.constant(1.0), text).resolve(**figures, rounding=rounding)
    assert s == jd.shift(jd.constant(1.0), steps)


def test_missing_figures_name_the_duration_and_the_figure():
    s = jd.warmup_cosine_decay(1.0, "2ep", "1e9tok")
    with pytest.raises(ValueError, match=r"`warmup_steps='2ep'` is epochs, which "
                       r"needs `steps_per_epoch`"):  # fmt: skip
        s.resolve(tokens_per_step=1000)
    with pytest.raises(ValueError, match=r"`decay_steps='1e9tok'` is tokens, which "
                       r"needs `tokens_per_step`"):  # fmt: skip
        s.resolve(steps_per_epoch=1000)
    assert s.resolve(steps_per_epoch=100, tokens_per_step=10**6) == (
        jd.warmup_cosine_decay(1.0, 200, 1000)
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"total_steps": 0}, "`total_steps` must be a positive integer"),
        ({"total_steps": -5}, "`total_steps` must be a positive integer"),
        ({"total_steps": 10.5}, "`total_steps` must be a positive integer"),
        ({"steps_per_epoch": 0}, "`steps_per_epoch` must be a positive number"),
        ({"tokens_per_step": -1}, "`tokens_per_step` must be a positive number"),
        ({"tokens_per_step": math.inf}, "`tokens_per_step` must be a positive"),
        ({"samples_per_step": "64"}, "`samples_per_step` must be a positive number"),
        ({"rounding": "nearest"}, "`rounding` must be one of"),
    ],
)
def test_bad_figures_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        jd.cosine_decay(1.0, "10%").resolve(**{"total_steps": 100, **kwargs})


def test_a_zero_length_names_the_parameter_and_the_duration():
    with pytest.raises(ValueError) as e:
        jd.cosine_decay(1.0, "0.1%").resolve(total_steps=100)
    assert str(e.value) == (
        "cosine_decay: `decay_steps` must be a positive integer; got decay_steps=0 "
        "(resolved from decay_steps='0.1%' -> 0, with total_steps=100, "
        "rounding='floor')."
    )
    # a warmup may be 0 steps
    assert jd.wsd(1.0, "0.1%", "*", "20%").resolve(total_steps=100).warmup_steps == 0


def test_two_field_rules_wait_for_the_steps():
    s = jd.warmup_cosine_decay(1.0, "20%", "10%")  # decay ends before the warmup
    with pytest.raises(ValueError, match="must exceed `warmup_steps`.*resolved from"):
        s.resolve(total_steps=1000)


def test_steps_past_the_step_range_are_refused_at_resolve():
    with pytest.raises(ValueError, match="`decay_steps` must be"):
        jd.cosine_decay(1.0, "1e30tok").resolve(tokens_per_step=1)


# -- the rest of the run ----------------------------------------------------------


@pytest.mark.parametrize("total", [1000, 1001, 99_999, 10**12 + 7])
@pytest.mark.parametrize("rounding", ["floor", "ceil", "round"])
def test_wsd_phases_add_up_to_the_run(total, rounding):
    s = jd.wsd(3e-4, "1%", "*", "20%").resolve(total_steps=total, rounding=rounding)
    w = _expected(Fraction(total, 100), rounding)
    d = _expected(Fraction(total, 5), rounding)
    assert (s.warmup_steps, s.stable_steps, s.decay_steps) == (w, total - w - d, d)


def test_the_rest_is_never_negative():
    leave = r"`decay_steps='\*'` is what the other phases leave of total_steps=100"
    with pytest.raises(ValueError, match=leave + ", but they take 110"):
        jd.wsd(1.0, "60%", "50%", "*").resolve(total_steps=100)


@pytest.mark.parametrize(
    ("make", "want"),
    [
        (lambda: jd.cosine_decay(1.0, "*"), jd.cosine_decay(1.0, 500)),
        (lambda: jd.one_cycle(1.0, "*"), jd.one_cycle(1.0, 500)),
        (
            lambda: jd.linear(1.0, 0.0, "*", transition_begin="10%"),
            jd.linear(1.0, 0.0, 450, transition_begin=50),
        ),  # fmt: skip
        (
            lambda: jd.polynomial_decay(1.0, 0.0, "*", transition_begin=20),
            jd.polynomial_decay(1.0, 0.0, 480, transition_begin=20),
        ),  # fmt: skip
        (
            lambda: jd.warmup_cosine_decay(1.0, "5%", "*"),
            jd.warmup_cosine_decay(1.0, 25, 500),
        ),  # fmt: skip
    ],
)
def test_the_rest_in_each_schedule_with_phases(make, want):
    assert make().resolve(total_steps=500) == want


# -- every step field of every schedule ---------------------------------------------


def _step_fields(value):
    """(name, kind) of the fields of ``value`` that take durations."""
    for f in dataclasses.fields(value):
        kind = f.metadata.get("kind")
        if isinstance(kind, Steps | StepList) and getattr(kind, "duration", True):
            yield f.name, kind
        elif isinstance(kind, Real) and kind.steps:
            yield f.name, kind


TOTAL = 10**18


def _as_fraction(v) -> str:
    """``v`` steps as a fraction of a run of TOTAL steps, written exactly."""
    return f"{Decimal(int(v)) / Decimal(TOTAL)}dur"


def _cases():
    seen = set()
    for example in CATALOG:
        s = example.make()
        if not isinstance(s, jd.Schedule):
            continue
        for name, kind in _step_fields(s):
            value = getattr(s, name)
            if value is None or (type(s).__name__, name) in seen:
                continue
            if isinstance(kind, StepList):
                if not len(value) or np.min(np.asarray(value)) < 0:
                    continue
            elif not float(value).is_integer() or value < 0:
                continue
            seen.add((type(s).__name__, name))
            yield pytest.param(example, name, id=f"{example.id}-{name}")


@pytest.mark.parametrize(("example", "name"), list(_cases()))
def test_every_step_field_takes_a_duration(example, name):
    s = example.make()
    value = getattr(s, name)
    fields = {f.name: getattr(s, f.name) for f in dataclasses.fields(s) if f.init}
    listed = isinstance(value, np.ndarray | tuple | list)
    if listed:
        written = [_as_fraction(v) for v in value]
    else:
        written = _as_fraction(value)
    u = type(s)(**{**fields, name: written})
    assert u.unresolved
    with pytest.raises(ValueError, match="durations.*resolve"):
        u(0)
    if example.picklable and "recurrence" not in example.id:  # no Python functions
        assert jd.from_config(u.to_config()) == u
    assert u.resolve(total_steps=TOTAL) == s
    # written in steps, it is steps at once
    steps = [str(int(v)) for v in value] if listed else f"{int(value)}ba"
    assert type(s)(**{**fields, name: steps}) == s


# -- compositions, configs, pytrees -----------------------------------------------


def _run():
    warm = jd.linear(0.0, 1e-3, "1%")
    decay = jd.cosine_decay(1e-3, "99%")
    return jd.clip(jd.join([warm, decay], ["1%"]) * 0.5 + jd.constant(1e-5), 0.0, 1.0)


def test_resolve_resolves_every_part():
    u = _run()
    assert u.unresolved
    r = u.resolve(total_steps=10_000)
    assert not r.unresolved
    want = jd.clip(
        jd.join([jd.linear(0.0, 1e-3, 100), jd.cosine_decay(1e-3, 9900)], [100]) * 0.5
        + jd.constant(1e-5),
        0.0,
        1.0,
    )
    assert r == want
    t = np.arange(0, 10_000, 37)
    chex.assert_trees_all_close(r(t), want(t), rtol=0, atol=0)


def test_a_resolved_schedule_resolves_to_itself():
    s = jd.cosine_decay(1.0, 100)
    assert s.resolve(total_steps=5) is s


def test_unresolved_values_round_trip_as_written():
    u = jd.wsd(3e-4, "1%", "*", "20%")
    config = u.to_config()
    assert config == {
        "name": "warmup_stable_decay",
        "peak_value": 3e-4,
        "warmup_steps": "1%",
        "stable_steps": "*",
        "decay_steps": "20%",
    }
    assert jd.from_config(config) == u
    assert jd.parse("wsd(3e-4, '1%', '*', '20%')") == u
    assert jd.parse(repr(u)) == u
    assert jd.parse(repr(_run())) == _run()
    assert jd.from_config(_run().to_config()) == _run()


def test_equal_durations_are_equal_values():
    assert jd.cosine_decay(1.0, "10%") == jd.cosine_decay(1.0, "0.1dur")
    assert hash(jd.cosine_decay(1.0, "10%")) == hash(jd.cosine_decay(1.0, "0.1dur"))
    assert jd.cosine_decay(1.0, "10%") != jd.cosine_decay(1.0, "11%")


def test_what_an_unresolved_schedule_refuses_says_what_to_do():
    u = jd.wsd(3e-4, "1%", "*", "2ep")
    for do in (lambda: u(0), u.breakpoints, u.settles_at, u.key_points):
        with pytest.raises(ValueError, match=r"steps_per_epoch=\.\.\., total_steps="):
            do()
    assert "resolve it" in u.describe()
    with pytest.raises(ValueError, match="durations"):
        jax.jit(lambda s: s(3))(u)


def test_an_unresolved_schedule_is_a_pytree_with_durations_as_static_data():
    u = jd.wsd(3e-4, "1%", "*", "20%")
    leaves, tree = jax.tree_util.tree_flatten(u)
    assert all(isinstance(x, float) for x in leaves)
    assert jax.tree_util.tree_unflatten(tree, leaves) == u


def test_resolve_inside_vmap_over_a_value():
    u_peaks = jnp.asarray([1e-3, 2e-3, 4e-3])

    def at(peak):
        return jd.wsd(peak, "10%", "*", "20%").resolve(total_steps=100)(jnp.int32(90))

    out = jax.vmap(at)(u_peaks)
    chex.assert_trees_all_close(out, u_peaks * 0.5, rtol=1e-6)


def test_durations_in_a_token_run():
    # A schedule of tokens: "...tok" durations with one token to a step.
    s = jd.warmup_cosine_decay(3e-4, "20Mtok", "10Gtok").resolve(tokens_per_step=1)
    assert (s.warmup_steps, s.decay_steps) == (2 * 10**7, 10**10)
    with jax.enable_x64(True):
        chex.assert_trees_all_close(
            s(np.int64(6 * 10**9)),
            3e-4 * 0.5 * (1 + math.cos(math.pi * (6e9 - 2e7) / (1e10 - 2e7))),
            rtol=1e-12,
        )


@pytest.mark.parametrize("total", ["10%", "*", "2ep", "1e9tok"])
def test_the_run_length_itself_is_not_a_duration(total):
    with pytest.raises(TypeError, match=r"resolve: `total_steps` must be a whole"):
        jd.cosine_decay(1.0, "100%").resolve(total_steps=total)
    assert jd.cosine_decay(1.0, "100%").resolve(total_steps="1500").decay_steps == 1500
