"""Configs and text specs: every schedule round-trips through a plain config
(JSON, YAML, ml_collections) and through its repr as a spec; the spec parser
never evaluates code."""

import functools
import json
import operator

import chex
import hypothesis.strategies as st
import jax
import ml_collections
import numpy as np
import pytest
import yaml
from catalog import CATALOG, int_steps
from hypothesis import given, settings

import jaxdecay as jd


def _saveable(schedule) -> bool:
    """False for schedules holding a Python function (from_fn, a callable
    recurrence factor), which no config can carry."""
    try:
        schedule.to_config()
    except TypeError:
        return False
    return True


EXAMPLES = [e for e in CATALOG if _saveable(e.make())]
UNSAVEABLE = [e for e in CATALOG if not _saveable(e.make())]

# Schedules are evaluated (eagerly) on one fixed shape of steps, shared by
# every test here: each eager operation then compiles once for the whole
# catalog, not once per example's own length.  The first 1024 steps cover every
# example's horizon; int_steps(example) adds 512 more.
N_STEPS = 1536
_BELOW = np.arange(N_STEPS - 512, dtype=np.int32)


def _round_trip_steps(example) -> np.ndarray:
    """Every step below the longest horizon of the catalog (so every step
    below ``example.horizon``), then ``int_steps(example)``: negative steps,
    each breakpoint and its neighbours, an even spread and far-away steps."""
    assert example.horizon <= len(_BELOW), example
    return np.r_[_BELOW, int_steps(example)]


def test_most_of_the_catalog_is_saveable():
    # Only schedules that wrap Python callables are left out, and they say so.
    assert len(EXAMPLES) >= len(CATALOG) - 8
    for e in UNSAVEABLE:
        with pytest.raises(TypeError, match="Python function"):
            e.make().to_config()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_config_round_trips_through_json_and_yaml(example):
    s = example.make()
    config = s.to_config()
    assert config["name"] in jd.__all__
    steps = _round_trip_steps(example)
    want = s(steps)
    for text, load in (
        (json.dumps(config), json.loads),
        (yaml.safe_dump(config), yaml.safe_load),
    ):
        back = jd.from_config(load(text))
        assert back == s, (config, back)
        chex.assert_trees_all_close(back(steps), want, rtol=0, atol=0)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_repr_is_a_spec(example):
    s = example.make()
    assert jd.parse(repr(s)) == s


def test_ml_collections_config():
    config = ml_collections.ConfigDict(
        {
            "name": "join",
            "schedules": [
                {"name": "linear", "init_value": 0.0, "end_value": 1e-3,
                 "transition_steps": 100},
                "cosine_decay(1e-3, 900)",
            ],
            "boundaries": [100],
        }
    )  # fmt: skip
    lr = jd.from_config(config)
    assert lr == jd.join(
        [jd.linear(0.0, 1e-3, 100), jd.cosine_decay(1e-3, 900)], boundaries=[100]
    )
    chex.assert_trees_all_close(lr(100), 1e-3, rtol=1e-6)


def test_nested_config_is_plain_json():
    lr = jd.warmup(
        jd.clip(0.5 * jd.repeat(jd.cosine_decay(1.0, 10), 10), min_value=0.1), 5
    )
    config = lr.to_config()
    assert json.loads(json.dumps(config)) == config
    assert config["name"] == "warmup" and config["warmup_steps"] == 5
    assert config["schedule"]["name"] == "clip"
    assert jd.from_config(config) == lr


# -- random compositions --------------------------------------------------------

_LEAVES = [e for e in EXAMPLES if e.public not in ("join", "arithmetic")][:40]


@st.composite
def compositions(draw, depth=2):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(_LEAVES)).make()
    kind = draw(st.sampled_from(["op", "join", "clip", "shift", "repeat", "warmup"]))
    a = draw(compositions(depth=depth - 1))
    if kind == "op":
        b = draw(st.one_of(compositions(depth=depth - 1), st.floats(0.1, 3.0)))
        # By the operators, as users write it (``a + b + c`` is held flat, and
        # its repr reads back as the same flat sum).
        op = draw(st.sampled_from([operator.add, operator.sub, operator.mul]))
        return op(a, b)
    if kind == "join":
        b = draw(compositions(depth=depth - 1))
        return jd.join([a, b], boundaries=[draw(st.integers(1, 50))])
    if kind == "clip":
        return jd.clip(a, min_value=draw(st.floats(0.0, 0.1)))
    if kind == "shift":
        return jd.shift(a, draw(st.integers(-20, 20)))
    if kind == "repeat":
        return jd.repeat(a, draw(st.integers(1, 60)))
    return jd.warmup(a, draw(st.integers(1, 30)))


@settings(max_examples=40, deadline=None)
@given(compositions())
def test_random_compositions_round_trip(schedule):
    config = schedule.to_config()
    back = jd.from_config(json.loads(json.dumps(config)))
    assert back == schedule
    assert jd.parse(repr(schedule)) == schedule
    steps = np.arange(N_STEPS, dtype=np.int32)  # the round trips' shape of steps
    chex.assert_trees_all_close(back(steps), schedule(steps), rtol=0, atol=0)


# -- the spec parser ------------------------------------------------------------


def test_the_issue_examples():
    a = jd.parse(
        "warmup_cosine_decay(peak_value=3e-4, warmup_steps=2000, decay_steps=100000)"
    )
    assert a == jd.warmup_cosine_decay(3e-4, 2000, 100000)
    b = jd.parse(
        "join([linear(0, 1e-3, 100), cosine_decay(1e-3, 900)], boundaries=[100])"
    )
    assert b == jd.join(
        [jd.linear(0, 1e-3, 100), jd.cosine_decay(1e-3, 900)], boundaries=[100]
    )
    assert jd.parse("  -1 * constant(2) + 0.5 / 2 ")(0) == -1.75
    assert jd.parse("sgdr(1.0, 10)") == jd.cosine_restarts(1.0, 10)


def test_traced_schedules_cannot_be_saved():
    with pytest.raises(TypeError, match="traced"):
        jax.jit(lambda v: jd.cosine_decay(v, 10).to_config())(1.0)


UNSAFE = [
    ("__import__('os').system('touch {marker}')", "attribute access is not allowed"),
    ("__import__('os')", r"unknown schedule '__import__'"),
    ("cosine_decay(1.0, 10).__class__", "attribute access is not allowed"),
    ("cosine_decay.__init__(1.0, 10)", "attribute access is not allowed"),
    ("(lambda: 1)()", "lambdas are not allowed"),
    ("(constant)(1.0)", "a call is not allowed"),
    ("constant(1.0)(0)", "a call is not allowed"),
    ("constant([1.0][0])", "indexing is not allowed"),
    ("constant({{}})", "dicts and sets are not allowed"),
    ("constant(f'{{1}}')", "f-strings are not allowed"),
    ("constant(1.0); import os", "`;` is not allowed"),
    ("constant(1.0)\nimport os", "`import` is not allowed"),
    ("constant(not 1)", "`not` is not allowed"),
    ("constant(x := 1)", "`:=` is not allowed"),
    ("cosine_decay(lambda s: 1.0, 10)", "lambdas are not allowed"),
    ("open('{marker}', 'w')", "unknown schedule 'open'"),
    ("eval('1')", "unknown schedule 'eval'"),
    ("cosine_decay(*[1.0, 10])", r"`\*` and `\*\*` are not allowed"),
    ("cosine_decay(**{{'init_value': 1.0}})", r"`\*` and `\*\*` are not allowed"),
    ("[x for x in ()]", "comprehensions are not allowed"),
    ("constant(x for x in ())", "comprehensions are not allowed"),
    ("os", "unknown name 'os'"),
    ("cosine_decay", "cosine_decay must be called"),
    ("cosine_decay(1.0, 10) if 1 else 2", r"conditional expressions \(`if`\)"),
    ("constant(1.0) % 2", r"`%` is not allowed"),
    ("constant(7 // 2)", "`//` is not allowed"),
    ("constant(b'1')", "is not a number, string or boolean"),
    ("cosine_decay(1.0, 10", "not a valid spec: '\\(' was never closed"),
    ("cosine_decay(1.0, 10))", "not a valid spec: unmatched"),
    ("constant(1.0 $)", "not a valid spec"),
    ("constant('1.0)", "not a valid spec"),
    ("1.5", "is a float, not a schedule"),
]


@pytest.mark.parametrize("spec, message", UNSAFE)
def test_parser_refuses_code_and_runs_nothing(spec, message, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ValueError, match=message):
        jd.parse(spec.format(marker=marker))
    assert not marker.exists()


def test_parser_errors_point_at_the_column():
    spec = "join([constant(1.0), cosine_decay(1.0, 10)], boundaries=[bad])"
    with pytest.raises(ValueError) as info:
        jd.parse(spec)
    text = str(info.value)
    col = spec.index("bad")
    assert "unknown name 'bad'" in text and f"column {col + 1}" in text
    assert text.splitlines()[-1].index("^") - 2 == col


def test_parser_reports_the_schedules_own_error():
    with pytest.raises(ValueError, match="cosine_decay: `decay_steps` must be"):
        jd.parse("cosine_decay(1.0, decay_steps=-3)")
    with pytest.raises(ValueError, match="unexpected keyword argument 'steps'"):
        jd.parse("cosine_decay(1.0, steps=3)")


def _nested(depth, leaf, wrap):
    """``wrap`` applied ``depth`` times around ``leaf``, in a loop."""
    for _ in range(depth):
        leaf = wrap(leaf)
    return leaf


_WSD = {"name": "warmup_stable_decay", "peak_value": 1.0, "warmup_steps": 1,
        "stable_steps": 1, "decay_steps": 10}  # fmt: skip
_CLIPPED = {"name": "constant", "value": 1.0}


HOSTILE_CONFIGS = [
    ({"init_value": 1.0}, ValueError, 'config` has no "name" key'),
    ({"name": "os.system"}, ValueError, r"`config\.name` must be one of .*os\.system"),
    ({"name": "Schedule"}, ValueError, r"`config\.name` must be one of"),
    ({"name": ["constant"]}, ValueError, r"`config\.name` must be one of"),
    (3.0, TypeError, r"`config` must be a mapping .*got 3\.0"),
    ([1, 2], TypeError, r"`config` must be a mapping .*got \[1, 2\]"),
    (None, TypeError, r"`config` must be a mapping"),
    (10**5000, TypeError, r"must be a mapping .*got <an int of about 10\*\*\d+>"),
    ({"name": "constant", 1: 2}, TypeError, r"keys of `config` must be strings"),
    (
        {"name": "cosine_decay", "init_value": 1.0},
        TypeError,
        r"`config` is missing `decay_steps`, required by cosine_decay\(init_value",
    ),
    (
        {"name": "cosine_decay", "init_value": 1.0, "decay_steps": 9, "steps": 3},
        TypeError,
        r"`config\.steps` is not an argument of cosine_decay.*got steps=3",
    ),
    (
        {
            "name": "cosine_restarts",
            "init_value": 1.0,
            "first_period": 9,
            "multipliers": 5,
        },
        TypeError,
        r"`config\.multipliers` is not an argument of cosine_restarts",
    ),  # fmt: skip
    (
        {"name": "reduce_on_plateau", "multipliers": 5},
        TypeError,
        r"`config\.multipliers` of reduce_on_plateau must be a list .*"
        r"got multipliers=5\.",
    ),
    (
        {"name": "reduce_on_plateau", "multipliers": [2.0, None]},
        TypeError,
        r"`config\.multipliers\[1\]`",
    ),
    (
        {
            "name": "join",
            "boundaries": [5],
            "schedules": [
                {"name": "constant", "value": 1.0},
                {"name": "cosine_decay", "init_value": 1.0, "decay_steps": -1},
            ],
        },
        ValueError,
        r"`config\.schedules\[1\]\.decay_steps`: cosine_decay: `decay_steps` must",
    ),  # fmt: skip
    (
        {
            "name": "join",
            "boundaries": [5],
            "schedules": ["constant(1.0)", {"name": "constant"}],
        },
        TypeError,
        r"`config\.schedules\[1\]` is missing `value`",
    ),  # fmt: skip
    (
        {**_WSD, "decay_shape": "cosine(x)"},
        ValueError,
        r"`config\.decay_shape`: warmup_stable_decay: `decay_shape` must be one of "
        r"'linear'.*got decay_shape='cosine\(x\)'",
    ),
    (
        {"name": "clip", "schedule": "cosine(x)", "min_value": 0.0},
        ValueError,
        r"`config\.schedule`: parse: unknown schedule 'cosine'",
    ),
    (
        {"name": "clip", "schedule": 5, "min_value": 0.0},
        TypeError,
        r"`config\.schedule`: clip: `schedule` must be",
    ),
    (
        {"name": "constant", "value": 10**400},
        ValueError,
        r"`config\.value`: constant: `value` must .*got value=<an int of about 10\*\*",
    ),
    (
        {"name": "constant", "value": -(10**5000)},
        ValueError,
        r"`config\.value`: constant: `value` must .*got value=<an int of about -10",
    ),
    (
        _nested(
            3000, _CLIPPED, lambda c: {"name": "clip", "schedule": c, "min_value": 0.0}
        ),
        ValueError,
        r"`config\.schedule\.schedule.* \.\.\. .*schedule` nests deeper than 100 "
        "levels",
    ),  # fmt: skip
    (
        {
            "name": "join",
            "boundaries": [],
            "schedules": _nested(3000, [], lambda x: [x]),
        },
        ValueError,
        r"`config\.schedules\[0\]\[0\].* nests deeper than 100 levels",
    ),
    (
        {"name": "clip", "min_value": 0.0, "schedule": "-" * 10_000 + "constant(1.0)"},
        ValueError,
        r"`config\.schedule`: parse: the spec nests deeper than 100 levels",
    ),
]


@pytest.mark.parametrize(
    "config, error, message",
    HOSTILE_CONFIGS,
    ids=[f"{i}-{m[:30]}" for i, (_, _, m) in enumerate(HOSTILE_CONFIGS)],
)
def test_hostile_configs_name_the_key(config, error, message):
    with pytest.raises(error, match=message) as info:
        jd.from_config(config)
    assert type(info.value) is error  # not a subclass such as RecursionError


_DIGITS_400 = "1" + "0" * 400

_TWICE = r"constant: `value` must be given once; "
_RANGE = r"must be a number within a float64's range "
HOSTILE_SPECS = [
    ("constant(value=1, value=2)", _TWICE + r".*value= twice"),
    ("constant(1, value=2)", _TWICE + "got it both by position and as the keyword"),
    ("join([constant(1.0)], boundaries=[], boundaries=[])", "`boundaries` must be gi"),
    (
        f"constant({_DIGITS_400})",
        "constant: `value` "
        + _RANGE
        + r".*<an int of about 10\*\*400> \(at column 10\)",
    ),
    (
        "constant(" + "7" * 4400 + ")",
        r"`value` .*got value=<an int of about 10\*\*4399>",
    ),
    (
        "constant(-" + "7" * 4400 + ")",
        r"`value` .*got value=<an int of about 10\*\*4399>",
    ),
    (
        "linear(0.0, 1.0, 10, transition_begin=0x" + "f" * 300 + ")",
        r"linear: `transition_begin` must be .*<an int of about 10\*\*361>",
    ),
    (
        "constant(1e308 * 10)",
        "constant: `value` " + _RANGE + r".*got value=1e\+308 \* 10, which overflows",
    ),
    (f"constant({_DIGITS_400[:300]} * {_DIGITS_400[:300]})", "`value` .*overflows"),
    ("piecewise_constant([10], [1.0, -1e200 * 1e200])", "`values` " + _RANGE),
    ("constant(1e400)", "constant: `value` " + _RANGE + ".*got value=1e400"),
    (
        f"{_DIGITS_400} * constant(1.0)",
        r"^parse: <an int of about 10\*\*400> is too large",
    ),
    (
        "constant(10**400)",
        r"constant: `value` must be a number within a float64's range",
    ),
    ("constant(1.0) / 0", "division by zero"),
    ("constant(1.0) / (2 - 2)", "division by zero"),
    ("constant(True + 1)", r"`\+ - \* /` combine schedules and numbers only"),
    ("constant(1.0) + 'a'", r"`\+ - \* /` combine schedules and numbers only"),
    ("-'a'", "a sign applies to a number or a schedule"),
    (
        "cosine_decay(1.0, 10, 0.0, 1.0, 5)",
        r"cosine_decay takes at most 4 positional arguments \(init_value, decay_",
    ),
    ("cosine_decay(1.0, decay_steps=10, decay=1)", "unexpected keyword argument 'de"),
    ("constant(value=1.0, 2.0)", "a positional argument follows a keyword argument"),
    ("-" * 10_000 + "constant(1.0)", r"nests deeper than 100 levels;.*column 101\)"),
    ("(" * 10_000 + "constant(1.0)" + ")" * 10_000, "nests deeper than 100 levels"),
    ("[" * 10_000 + "]" * 10_000, "nests deeper than 100 levels"),
    ("shift(" * 101 + "constant(1.0)" + ", 1)" * 101, "nests deeper than 100 levels"),
    ("-(" * 60 + "constant(1.0)" + ")" * 60, "nests deeper than 100 levels"),
    ("", "must be a schedule written as a call"),
]


@pytest.mark.parametrize(
    "spec, message", HOSTILE_SPECS, ids=[s[:40] for s, _ in HOSTILE_SPECS]
)
def test_hostile_specs_name_the_argument_or_column(spec, message):
    with pytest.raises(ValueError, match=message) as info:
        jd.parse(spec)
    text = str(info.value)
    assert len(text) < 2000, "messages show a window of a long spec, not all of it"
    if "(at column" in text:  # the pointer is under the column it names
        col = int(text.split("(at column ")[1].split(")")[0])
        line, pointer = text.splitlines()[-2:]
        shown = line[2:]
        if shown.startswith("..."):
            start = max(0, min(col - 1 - 40, len(spec.strip()) - 100))
            assert shown[3 + col - 1 - start] == spec.strip()[col - 1]
        else:
            assert pointer.index("^") - 2 == col - 1


def test_parse_refuses_non_strings():
    with pytest.raises(TypeError, match="`spec` must be a string"):
        jd.parse(5)


# -- long and deep input --------------------------------------------------------


def test_long_sums_read_flat_and_round_trip():
    # A 5000-term spec is one flat chain (no recursion), folded from the left
    # as Python would, and the flat sum's repr reads back.
    spec = " + ".join(["constant(1)"] * 5000)
    lr = jd.parse(spec)
    assert lr == functools.reduce(operator.add, [jd.constant(1.0)] * 5000)
    assert jd.parse(repr(lr)) == lr
    # A 10,000-term sum saves and loads through JSON.
    big = sum(jd.constant(float(i)) for i in range(10_000))
    config = big.to_config()
    back = jd.from_config(json.loads(json.dumps(config)))
    assert back == big
    chex.assert_trees_all_close(back(3), float(sum(range(10_000))), rtol=1e-6)


def test_precedence_and_signs_are_pythons():
    for text in [
        "1 - constant(2.0) * 3 + constant(4.0) / 2 - -constant(1.0) * -2",
        "constant(1.0) - constant(2.0) - constant(3.0) * 2 * constant(4.0) / 5",
        "-(constant(1.0) + 2) * +3 * -constant(3.0)",
        "2 * 3 + 4 * constant(1.0) - 6 / 4",
    ]:
        # The test evaluates its own literal text to get Python's reading.
        assert jd.parse(text) == eval(text, vars(jd)), text  # noqa: S307


def test_nesting_limit_is_exact():
    at_limit = "(" * 99 + "constant(1.0)" + ")" * 99  # 99 parentheses and a call
    assert jd.parse(at_limit) == jd.constant(1.0)
    with pytest.raises(ValueError, match="nests deeper than 100 levels"):
        jd.parse("(" + at_limit + ")")
    # A config of 100 levels loads and round-trips; 101 levels do not.
    config = _nested(99, _CLIPPED, lambda c: {"name": "clip", "schedule": c,
                                              "min_value": 0.0})  # fmt: skip
    lr = jd.from_config(config)
    assert lr.to_config() == config
    with pytest.raises(ValueError, match="nests deeper than 100 levels"):
        jd.from_config({"name": "clip", "schedule": config, "min_value": 0.0})


def test_to_config_of_deep_schedules_does_not_recurse():
    # Built in Python, a schedule may nest deeper than configs are read; saving
    # it works (an explicit stack), loading it says the limit.
    lr = _nested(3000, jd.constant(1.0), lambda s: jd.shift(s, 1))
    config = lr.to_config()
    depth = 0
    while config["name"] == "shift":
        config, depth = config["schedule"], depth + 1
    assert depth == 3000 and config == {"name": "constant", "value": 1.0}
    with pytest.raises(ValueError, match="nests deeper than 100 levels"):
        jd.from_config(lr.to_config())


def test_strings_are_specs_only_where_a_schedule_goes():
    config = {"name": "clip", "schedule": "cosine_decay(1.0, 10)", "min_value": 0.1}
    assert jd.from_config(config) == jd.clip(jd.cosine_decay(1.0, 10), min_value=0.1)
    lr = jd.from_config({**_WSD, "decay_shape": "1-sqrt"})
    assert lr == jd.warmup_stable_decay(1.0, 1, 1, 10, decay_shape="1-sqrt")
    plateau = jd.from_config(
        {"name": "reduce_on_plateau", "multipliers": ["constant(2.0)", 0.5]}
    )
    assert plateau == jd.reduce_on_plateau() * jd.constant(2.0) * 0.5


@pytest.mark.parametrize(
    "plateau",
    [
        jd.reduce_on_plateau(),
        jd.reduce_on_plateau(0.5, 3, mode="max", threshold_mode="abs", base=0.1),
        jd.reduce_on_plateau(patience=2, base=jd.cosine_decay(1.0, 100)),
        jd.warmup_cosine_decay(1e-3, 10, 100) * jd.reduce_on_plateau(patience=5) * 2.0,
    ],
    ids=repr,
)
def test_the_plateau_schedule_round_trips(plateau):
    config = plateau.to_config()
    back = jd.from_config(json.loads(json.dumps(config)))
    assert back == plateau
    assert jd.parse(repr(plateau)) == plateau
    state_a, state_b = plateau.init(), back.init()
    for loss in [3.0, 2.0, 2.5, 2.4, 2.6, 2.7, 1.0, 1.5, 1.6, 1.7]:
        state_a = plateau.update(state_a, value=loss)
        state_b = back.update(state_b, value=loss)
        assert float(plateau(state_a)) == float(back(state_b))


def test_the_plateau_in_specs():
    assert jd.parse("reduce_on_plateau(patience=2, base=0.1)") == jd.reduce_on_plateau(
        patience=2, base=0.1
    )
    with pytest.raises(ValueError, match="combines by `\\*` only"):
        jd.parse("reduce_on_plateau() + constant(1.0)")


# -- the compatibility ports: their schedules are core schedules ------------------


def _port_cases():
    import peers

    for peer in ("torch", "transformers", "keras"):
        for case in peers.load(peer)["cases"]:
            yield pytest.param(peer, case, id=f"{peer}-{case['id']}")


@pytest.mark.filterwarnings("ignore:Both num_training_steps")
@pytest.mark.parametrize("peer, case", list(_port_cases()))
def test_every_port_round_trips(peer, case):
    import peers

    schedule = peers.build(case, getattr(jd, peer))
    try:
        config = schedule.to_config()
    except TypeError as error:  # LambdaLR, MultiplicativeLR, CyclicLR(scale_fn)
        assert "Python function" in str(error)
        return
    back = jd.from_config(json.loads(json.dumps(config)))
    assert back == schedule
    assert jd.parse(repr(schedule)) == schedule


def test_powers_of_schedules_parse_and_round_trip():
    cos = jd.cosine_decay(1.0, 10)
    for value in (cos**2, cos**-1.0, (cos + 1.0) ** 0.5, 2.0 * cos**3, -(cos**2)):
        assert jd.parse(repr(value)) == value, repr(value)
        assert jd.from_config(value.to_config()) == value
    assert jd.parse("-cosine_decay(1.0, 10) ** 2") == -(cos**2)  # as in Python
    assert jd.parse("cosine_decay(1.0, 10) ** 2 ** -1") == cos**0.5  # right to left
    assert jd.parse("constant(2 ** 3)") == jd.constant(8.0)
    for spec, match in (
        (
            "constant(1.0) ** constant(2.0)",
            "the exponent of a schedule must be a number",
        ),
        ("2 ** constant(1.0)", "a schedule cannot be an exponent"),
        ("constant((-8) ** 0.5)", r"is not a real number"),
        ("constant(0 ** -1)", "zero to a negative power"),
        ("constant(10 ** 10 ** 10)", "which overflows"),
        ("constant(1.0) ** 'a'", r"`\*\*` raises a schedule or a number to a number"),
    ):
        with pytest.raises(ValueError, match=match):
            jd.parse(spec)


def test_whole_number_arithmetic_in_a_spec_is_exact():
    # Step counts past 2**53 stay exact (a float would round them).
    for spec, steps in (
        ("cosine_decay(1.0, 2**53 + 1)", 2**53 + 1),
        ("cosine_decay(1.0, 3 * 10**17 + 1)", 3 * 10**17 + 1),
        ("cosine_decay(1.0, 2**63 - 1)", 2**63 - 1),
    ):
        assert jd.parse(spec).decay_steps == steps, spec
    assert jd.parse("cosine_decay(2**-3, 10)").init_value == 0.125
    with pytest.raises(ValueError, match="overflows"):
        jd.parse("cosine_decay(1.0, 2**1100)")
