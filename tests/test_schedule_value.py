"""What a schedule is: a value, callable at any kind of step, under every JAX
transformation, accepted by optax.

Examples come from ``tests/catalog.py``.  Values (eager and jit, integer,
fractional and negative steps) and value semantics (equality, hash, repr,
pickling, describe) run over the whole catalog; the tests that compile several
programs per schedule (vmap/scan/fori_loop/grad, parameter sweeps) run over
``catalog.CORE``, one richly configured example per public name, composition
included, to keep compile time small; every kind of step runs over
``KINDS_EXAMPLES`` (the conversion is shared by all schedules), and the optax
optimizers over ``OPTAX_EXAMPLES``.

Tolerances: float32 results against the float64 references at ``rtol=2e-6``
(the library promises 1e-6, 2e-6 near the end of a cosine) with an absolute
floor of ``1e-9`` times the schedule's scale for values that cross zero;
eager against jit at ``rtol=1e-6`` with the same floor; derivatives against
central finite differences at ``rtol=1e-3`` (step) and ``2e-3`` (parameter).
"""

from __future__ import annotations

import functools
import pickle
import re

import catalog
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from catalog import (
    CATALOG,
    CORE,
    N_INT,
    NEGATIVE_INT_STEPS,
    float_steps,
    int_steps,
    reference,
)

import jaxdecay as jd

RTOL = 2e-6
ATOL_REL = 1e-9

# One jitted evaluator shared by every test: the schedule is a jit argument, so
# equal structures hit the same compiled program.  TRACES counts its traces (a
# Python side effect runs only while tracing).
TRACES: list[str] = []


@jax.jit
def EVALUATE(schedule, steps):  # noqa: N802 - a module-level program
    TRACES.append(type(schedule).__name__)
    return [schedule(t) for t in steps]


# One step per program: kinds of step that jit sees as the same abstract value
# (say np.int32 and np.int64 scalars, both int32 without x64) share one compiled
# program, where a program holding every kind would compile a copy of the
# schedule per kind.
@jax.jit
def EVALUATE_ONE(schedule, step):  # noqa: N802 - a module-level program
    return schedule(step)


# Eager dispatch compiles every operation once per shape and dtype: the value
# tests evaluate eagerly on arrays of one length, the int grid's (512).
GRID = len(NEGATIVE_INT_STEPS) + N_INT  # 512


def tile(values, dtype, np_=np):
    """``values`` repeated to the eager grid's length, as an array of ``dtype``
    (``np_`` is numpy or jax.numpy: then a JAX array, put on the device as it
    is, which compiles nothing)."""
    host = np.resize(np.asarray(values), GRID).astype(dtype)
    return jax.device_put(host) if np_ is jnp else host


@functools.cache
def scale(example_id) -> float:
    """Largest magnitude of the example's values (its natural unit)."""
    example = catalog.EXAMPLES[example_id]
    return float(np.max(np.abs(reference(example, int_steps(example))))) or 1.0


def atol(example) -> float:
    return ATOL_REL * scale(example.id)


def close_to_reference(example, got, steps, message=""):
    want = reference(example, np.asarray(steps, np.float64))
    chex.assert_trees_all_close(
        np.asarray(got, np.float64),
        want,
        rtol=RTOL,
        atol=atol(example),
        custom_message=message or None,
    )


def assert_float32(x, shape):
    assert x.dtype == jnp.float32, x.dtype
    assert x.shape == tuple(shape), (x.shape, shape)


every_example = pytest.mark.parametrize("example", CATALOG, ids=repr)
core_example = pytest.mark.parametrize("example", CORE, ids=repr)


def test_catalog_covers_every_public_name():
    public = catalog.SCHEDULE_NAMES
    assert {e.public for e in CATALOG} == public
    assert {e.public for e in CORE} == public
    for e in CATALOG:
        s = e.make()
        assert isinstance(s, jd.Schedule), e.id
        assert isinstance(s, getattr(jd, e.public)), (e.id, type(s))


def test_catalog_examples_are_distinct_values():
    schedules = [e.make() for e in CATALOG]
    for i, a in enumerate(schedules):
        for j, b in enumerate(schedules):
            assert (a == b) == (i == j), (CATALOG[i].id, CATALOG[j].id)


# ---------------------------------------------------------------------------
# Values at integer and fractional steps: eager, jit, reference.


CORE_IDS = {e.id for e in CORE}


@functools.cache
def grids(example_id):
    """The example's integer grid (512 steps) and its fractional grid (384
    steps) repeated to the same length, so that eager evaluation on either
    shares the compiled operations that do not involve the fraction."""
    example = catalog.EXAMPLES[example_id]
    return jnp.asarray(int_steps(example)), tile(float_steps(example), np.float32, jnp)


@functools.cache
def evaluated(example_id):
    """Jitted values on the integer and fractional grids, and for CORE eager
    values too (eager dispatch compiles every operation once per shape)."""
    s = catalog.EXAMPLES[example_id].make()
    ints, floats = grids(example_id)
    eager = [s(ints), s(floats)] if example_id in CORE_IDS else None
    jitted = EVALUATE(s, [ints, floats])
    return eager, jitted, [np.asarray(ints), np.asarray(floats)]


def with_modes(f):
    return pytest.mark.parametrize(
        ("example", "mode"),
        [(e, "jit") for e in CATALOG] + [(e, "eager") for e in CORE],
        ids=lambda x: x if isinstance(x, str) else x.id,
    )(f)


@with_modes
def test_integer_steps_match_reference(example, mode):
    eager, jitted, (ints, _) = evaluated(example.id)
    out = (eager if mode == "eager" else jitted)[0]
    assert_float32(out, ints.shape)
    close_to_reference(example, out, ints)


@with_modes
def test_float_steps_interpolate_like_reference(example, mode):
    """Fractional steps n + 1/4, n + 1/2, n + 3/4 follow the continuous formula
    (and the staircase/table schedules hold their value within a step); the
    384 steps of the grid, the first 128 of them twice."""
    eager, jitted, (_, floats) = evaluated(example.id)
    out = (eager if mode == "eager" else jitted)[1]
    assert_float32(out, floats.shape)
    close_to_reference(example, out, floats)


@core_example
def test_eager_and_jit_agree(example):
    eager, jitted, _ = evaluated(example.id)
    chex.assert_trees_all_close(jitted, eager, rtol=1e-6, atol=atol(example))


# ---------------------------------------------------------------------------
# Kinds of step.

# (name, step, the real step it means).  Arrays repeat their three steps to
# the grids' length (512), so that eager evaluation shares the operations
# compiled for the value tests.
STEP_KINDS = [
    ("py_int", 7, 7.0),
    ("py_float", 7.5, 7.5),
    ("py_bool", True, 1.0),
    ("np_int32", np.int32(7), 7.0),
    ("np_int64", np.int64(12), 12.0),
    ("np_uint32", np.uint32(3), 3.0),
    ("np_uint8", np.uint8(200), 200.0),
    ("np_float32", np.float32(7.25), 7.25),
    ("np_float64", np.float64(2.5), 2.5),
    ("np_bool", np.bool_(True), 1.0),
    ("np_int64_array", tile([0, 3, 11], np.int64), tile([0, 3, 11], float)),
    ("np_uint32_array", tile([0, 1, 30], np.uint32), tile([0, 1, 30], float)),
    ("np_bool_array", tile([True, False, True], bool), tile([1, 0, 1], float)),
    ("jnp_int32", tile([1, 2, 12], jnp.int32, jnp), tile([1, 2, 12], float)),
    (
        "jnp_float32",
        tile([0.5, 4.0, 21.25], jnp.float32, jnp),
        tile([0.5, 4.0, 21.25], float),
    ),
    ("jnp_uint32", tile([0, 5, 19], jnp.uint32, jnp), tile([0, 5, 19], float)),
    ("jnp_int8", tile([1, 2, 100], jnp.int8, jnp), tile([1, 2, 100], float)),
    ("jnp_bool", tile([True, False, True], jnp.bool_, jnp), tile([1, 0, 1], float)),
    ("jnp_int32_0d", jnp.int32(4), 4.0),
    ("jnp_float32_0d", jnp.float32(4.5), 4.5),
]
# Shapes other than () and (3,): checked under jit (and through the grids).
OTHER_SHAPES = [
    (
        "np_float64_2d",
        np.array([[0.5, 2.25, 9.75], [3.0, 0.0, 17.5]]),
        [[0.5, 2.25, 9.75], [3.0, 0.0, 17.5]],
    ),
    (
        "jnp_int32_2d",
        jnp.array([[0, 1, 2], [30, 40, 50]], jnp.int32),
        [[0.0, 1.0, 2.0], [30.0, 40.0, 50.0]],
    ),
    ("jnp_empty", jnp.zeros((0,), jnp.int32), np.zeros((0,))),
]
HALF_PRECISION = [
    (
        "jnp_float16",
        tile([1.5, 8.0, 30.25], jnp.float16, jnp),
        tile([1.5, 8.0, 30.25], float),
    ),
    (
        "jnp_bfloat16",
        tile([1.5, 8.0, 30.0], jnp.bfloat16, jnp),
        tile([1.5, 8.0, 30.0], float),
    ),
]
# Integer steps beyond the int32 range saturate at the largest int32 step.
SATURATING = [
    ("py_huge_int", 2**40),
    ("np_int64_huge", np.int64(2**40)),
    ("np_int64_array_huge", tile([2**31, 2**62, 2**40], np.int64)),
    ("jnp_uint32_max", tile([2**32 - 1, 2**31, 2**31 + 5], jnp.uint32, jnp)),
]
NEGATIVE = [
    ("py_int", -1),
    ("py_huge_negative", -(2**40)),
    ("np_int32", np.int32(-3)),
    ("np_int64_array", tile([-1, -(2**40), -5], np.int64)),
    ("np_float64", np.float64(-0.5)),
    ("jnp_int32", tile([-1, -7, -(2**31)], jnp.int32, jnp)),
    ("jnp_float32", tile([-0.25, -1e30, -np.inf], jnp.float32, jnp)),
    ("jnp_int8", tile([-128, -1, -2], jnp.int8, jnp)),
]


def check_kinds(example, results, kinds):
    for (name, step, real), out in zip(kinds, results, strict=True):
        out = jnp.asarray(out)
        assert_float32(out, np.shape(step))
        want = reference(example, np.asarray(real, np.float64))
        chex.assert_trees_all_close(
            np.asarray(out, np.float64),
            want,
            rtol=RTOL,
            atol=atol(example),
            custom_message=f"step kind {name}",
        )


# The step is converted once, in Schedule.__call__, for every schedule; these
# examples cover the ways a schedule uses it (a stacked join with its table
# search, a restart table, a foreign function).  They are CORE examples: their
# eager operations at the grids' shape are compiled already.
KINDS_EXAMPLES = ["join_same_kind", "cosine_restarts_growing", "from_fn_optax_linear"]


@pytest.mark.parametrize("example_id", KINDS_EXAMPLES)
def test_step_kinds_eager(example_id):
    example = catalog.EXAMPLES[example_id]
    s = example.make()
    check_kinds(example, [s(step) for _, step, _ in STEP_KINDS], STEP_KINDS)


@pytest.mark.parametrize("example_id", KINDS_EXAMPLES)
def test_step_kinds_as_jit_arguments(example_id):
    example = catalog.EXAMPLES[example_id]
    kinds = STEP_KINDS + OTHER_SHAPES
    s = example.make()
    check_kinds(example, [EVALUATE_ONE(s, step) for _, step, _ in kinds], kinds)


@pytest.mark.parametrize("kind", HALF_PRECISION, ids=lambda k: k[0])
def test_half_precision_float_steps(kind):
    """float16 and bfloat16 are JAX float arrays too."""
    for example_id in KINDS_EXAMPLES:
        example = catalog.EXAMPLES[example_id]
        s = example.make()
        check_kinds(example, [s(kind[1])], [kind])


@with_modes
def test_negative_steps_behave_as_step_zero(example, mode):
    """The grids start with negative steps (-2**31, -7, -1 and -inf, -1e30,
    -0.5): each gives the value at step 0."""
    eager, jitted, (ints, floats) = evaluated(example.id)
    out = eager if mode == "eager" else jitted
    assert np.all(ints[:3] < 0) and np.all(floats[:3] < 0)
    zero = np.float64(reference(example, 0.0))
    for values in out:
        chex.assert_trees_all_close(
            np.asarray(values[:3], np.float64),
            np.full(3, zero),
            rtol=RTOL,
            atol=atol(example),
        )


@pytest.mark.parametrize("example_id", KINDS_EXAMPLES)
def test_negative_steps_of_every_kind_are_step_zero(example_id):
    example = catalog.EXAMPLES[example_id]
    s = example.make()
    zero = reference(example, 0.0)
    with_jit = [
        (n, t) for n, t in NEGATIVE if n not in ("py_huge_negative", "np_int64_array")
    ]
    jitted = [EVALUATE_ONE(s, t) for _, t in with_jit]
    for results, kinds in (([s(t) for _, t in NEGATIVE], NEGATIVE), (jitted, with_jit)):
        for (name, step), out in zip(kinds, results, strict=True):
            assert_float32(out, np.shape(step))
            chex.assert_trees_all_close(
                np.asarray(out, np.float64),
                np.broadcast_to(zero, np.shape(step)),
                rtol=RTOL,
                atol=atol(example),
                custom_message=name,
            )


@pytest.mark.parametrize("example_id", KINDS_EXAMPLES)
def test_integer_steps_beyond_int32_saturate(example_id):
    s = catalog.EXAMPLES[example_id].make()
    top = s(jnp.int32(2**31 - 1))
    for name, step in SATURATING:
        out = s(step)
        assert_float32(out, np.shape(step))
        chex.assert_trees_all_close(
            out, jnp.broadcast_to(top, np.shape(step)), rtol=1e-6, custom_message=name
        )


# ---------------------------------------------------------------------------
# Transformations: one jitted program per example computes everything; each
# test checks one part of it.


@functools.cache
def traced(example_id):
    example = catalog.EXAMPLES[example_id]
    steps = jnp.asarray(int_steps(example))
    grad_at = jnp.asarray(float_steps(example)[3::3] + np.float32(0.125))

    @jax.jit
    def run(s, steps, grad_at):
        mapped = jax.vmap(s)(steps.reshape(16, 32))

        def body(total, t):  # value and derivative at a float step
            v, g = jax.value_and_grad(s)(t)
            return total + v, (v, g)

        total, (scanned, grads) = jax.lax.scan(body, jnp.float32(0), grad_at)
        looped = jax.lax.fori_loop(
            0, 64, lambda i, acc: acc.at[i].set(s(i)), jnp.zeros(64, jnp.float32)
        )
        return dict(
            vmap=mapped, scan=scanned, scan_total=total, fori=looped, grad=grads
        )

    out = run(example.make(), steps, grad_at)
    return out, np.asarray(steps), np.asarray(grad_at)


@core_example
def test_vmap_over_steps(example):
    out, steps, _ = traced(example.id)
    assert_float32(out["vmap"], (16, 32))
    close_to_reference(example, out["vmap"], steps.reshape(16, 32))


@core_example
def test_inside_scan(example):
    out, _, grad_at = traced(example.id)
    assert_float32(out["scan"], grad_at.shape)
    close_to_reference(example, out["scan"], grad_at)
    want_total = reference(example, grad_at).sum()
    chex.assert_trees_all_close(
        float(out["scan_total"]),
        want_total,
        rtol=1e-5,
        atol=1e-6 * scale(example.id) * len(grad_at),
    )


@core_example
def test_inside_fori_loop(example):
    out, _, _ = traced(example.id)
    close_to_reference(example, out["fori"], np.arange(64))


@core_example
def test_grad_wrt_float_step(example):
    """d schedule / d step at n + 3/8 (taken inside lax.scan) is finite and
    matches a float64 central difference of the reference (0 for
    piecewise-constant schedules)."""
    out, _, grad_at = traced(example.id)
    t = grad_at.astype(np.float64)
    h = 1e-4
    fd = (reference(example, t + h) - reference(example, t - h)) / (2 * h)
    grads = np.asarray(out["grad"], np.float64)
    assert np.all(np.isfinite(grads))
    chex.assert_trees_all_close(grads, fd, rtol=1e-3, atol=1e-6 * scale(example.id))


# ---------------------------------------------------------------------------
# Parameters: a sweep built inside jax.vmap compiles once, equals the schedules
# built one by one, and differentiates like a finite difference; schedules of
# one kind stack into a pytree that vmap sweeps.

FIRST = np.array([1.0, 1 - 1e-3, 1 + 1e-3, 0.9], np.float32)
SECOND = np.array([0.97, 0.95, 1.02, 0.8], np.float32)


@functools.cache
def swept(example_id):
    example = catalog.EXAMPLES[example_id]
    steps = jnp.asarray(int_steps(example))
    traces = []

    @jax.jit
    def run(vs, stacked):
        traces.append(1)

        def one(v):
            # d values / d v for every step at once (forward mode)
            values, grads = jax.jvp(
                lambda u: example.sweep(u)(steps), (v,), (jnp.ones_like(v),)
            )
            return values, grads[:N_INT]

        return jax.vmap(one)(vs), jax.vmap(lambda s: s(steps))(stacked)

    def stack(vs):
        schedules = [example.sweep(float(v)) for v in vs]
        return jax.tree_util.tree_map(lambda *x: jnp.stack(x), *schedules)

    v0 = np.float32(example.v0)
    values = [v0 * FIRST, v0 * SECOND]
    out = [run(jnp.asarray(vs), stack(vs)) for vs in values]
    return out, values, len(traces), np.asarray(steps)


@core_example
def test_parameter_sweep_inside_vmap_compiles_once(example):
    _, _, n_traces, _ = swept(example.id)
    assert n_traces == 1


@core_example
def test_parameter_sweep_equals_one_by_one(example):
    out, values, _, steps = swept(example.id)
    for ((swept_values, _), stacked_values), vs in zip(out, values, strict=True):
        assert_float32(swept_values, (len(vs), len(steps)))
        one_by_one = np.stack([np.asarray(example.sweep(float(v))(steps)) for v in vs])
        chex.assert_trees_all_close(
            np.asarray(swept_values, np.float64),
            one_by_one.astype(np.float64),
            rtol=1e-5,
            atol=1e-8 * scale(example.id),
        )
        chex.assert_trees_all_close(
            np.asarray(stacked_values, np.float64),
            one_by_one.astype(np.float64),
            rtol=1e-5,
            atol=1e-8 * scale(example.id),
        )


@core_example
def test_grad_wrt_parameter(example):
    """d schedule(t) / d parameter (forward mode, inside vmap) is finite and
    matches a central difference (step 1e-3 relative) of the swept values, at
    every step below the horizon."""
    (values, grads), _ = swept(example.id)[0][0]
    v0 = np.float64(np.float32(example.v0))
    lo, hi = np.asarray(values[1], np.float64), np.asarray(values[2], np.float64)
    fd = ((hi - lo) / (2e-3 * v0))[:N_INT]
    g = np.asarray(grads[0], np.float64)
    assert np.all(np.isfinite(g)), np.asarray(int_steps(example))[:N_INT][
        ~np.isfinite(g)
    ]
    unit = np.max(np.abs(np.asarray(values[0])[:N_INT])) / abs(v0)
    chex.assert_trees_all_close(g, fd, rtol=2e-3, atol=1e-3 * unit)


@every_example
def test_no_retrace_when_only_values_change(example):
    """Schedules that differ only in numbers reuse one compiled program when
    passed to jit (at most one trace for the first of them)."""
    ints, floats = grids(example.id)
    schedules = [example.sweep(example.v0 * k) for k in (1.0, 0.97, 0.9)]
    assert schedules[0] != schedules[1]
    EVALUATE(schedules[0], [ints, floats])
    before = len(TRACES)
    for s in schedules[1:]:
        out = EVALUATE(s, [ints, floats])
        chex.assert_trees_all_close(out[0], s(ints), rtol=1e-6, atol=atol(example))
    assert len(TRACES) == before


# ---------------------------------------------------------------------------
# Value semantics.


@every_example
def test_equal_configurations_are_equal_values(example):
    a, b = example.make(), example.make()
    assert a is not b
    assert a == b and not (a != b)
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != example.sweep(example.v0 * 0.9)
    assert a != 1.0 and a != "schedule"


@every_example
def test_repr_names_the_schedule_and_its_arguments(example):
    s = example.make()
    text = repr(s)
    name = type(s).__name__
    assert name in jd.__all__
    if isinstance(s, (jd.arithmetic, jd.combine)):
        assert text.startswith("(") and f" {s.op} " in text
    else:
        assert text.startswith(f"{name}(")
    assert "object at 0x" not in text
    if example.picklable:  # no closures: the repr is the constructor call
        namespace = {**vars(jd), **vars(catalog)}
        rebuilt = eval(text, namespace)  # noqa: S307 - our own repr
        assert rebuilt == s


@pytest.mark.parametrize("example", [e for e in CATALOG if e.picklable], ids=repr)
def test_pickle_round_trip(example):
    s = example.make()
    _, jitted, _ = evaluated(example.id)  # used: caches filled
    back = pickle.loads(pickle.dumps(s))
    assert back == s and hash(back) == hash(s)
    assert type(back) is type(s)
    again = EVALUATE(back, list(grids(example.id)))
    chex.assert_trees_all_close(again, jitted, rtol=0)
    assert pickle.loads(pickle.dumps(back)) == s


STEP_LINE = re.compile(r"^\s*step\s+(-?\d+):\s*(\S+)\s*$")


def parse_describe(text):
    lines = text.splitlines()
    shown = [m for m in (STEP_LINE.match(line) for line in lines[1:]) if m]
    steps = np.array([int(m.group(1)) for m in shown])
    values = np.array([float(m.group(2)) for m in shown])
    return lines, steps, values


@pytest.mark.parametrize("example_id", KINDS_EXAMPLES)
def test_describe_returns_text(example_id):
    example = catalog.EXAMPLES[example_id]
    s = example.make()
    text = s.describe()
    assert isinstance(text, str)
    lines, steps, values = parse_describe(text)
    assert lines[0] == repr(s)
    assert len(steps) >= 3 and 0 in steps
    chex.assert_trees_all_close(
        values, reference(example, steps), rtol=1e-5, atol=1e-12
    )


@every_example
def test_describe_shows_the_values_at_given_steps(example):
    s = example.make()
    # The grid's shape (cached eager operations), far-away steps left out.
    grid = [int(t) for t in int_steps(example)[:N_INT]] + [example.horizon] * 3
    lines, steps, values = parse_describe(s.describe(grid))
    assert lines[0] == repr(s)
    np.testing.assert_array_equal(steps, grid)
    chex.assert_trees_all_close(
        values, reference(example, steps), rtol=1e-5, atol=1e-6 * scale(example.id)
    )


# ---------------------------------------------------------------------------
# Optax.

N_UPDATES = 6


# Optax sees only the callable; these examples cover every family of value
# type (closed forms, tables, cycles, host tables, joins, algebra, foreign).
OPTAX_EXAMPLES = [
    catalog.EXAMPLES[i]
    for i in (
        "exponential_decay_full",
        "piecewise_linear_jump",
        "warmup_cosine_decay_full",
        "wsd_alias_no_plateau",
        "one_cycle_fractional_phase",
        "sgdr_alias_fractional",
        "recurrence_scalar_factor",
        "join_same_kind",
        "arithmetic_documents_combined",
        "from_fn_optax_linear",
        "nested_join_warmup_repeat",
    )
]


@pytest.mark.parametrize("example", OPTAX_EXAMPLES, ids=repr)
def test_optax_optimizers_accept_the_schedule(example):
    """sgd, adamw and inject_hyperparams(adamw) take the schedule and run jitted
    updates; sgd moves by exactly the schedule's values, the injected learning
    rate is schedule(count), and adamw(schedule) equals the injected adamw."""
    s = example.make()
    optimizers = {
        "sgd": optax.sgd(s),
        "adamw": optax.adamw(s),
        "inject": optax.inject_hyperparams(optax.adamw)(learning_rate=s),
    }
    p0 = jnp.zeros(3, jnp.float32)
    grad = jnp.array([1.0, -2.0, 0.5], jnp.float32)

    @jax.jit
    def train(p0):
        out = {}
        for name, opt in optimizers.items():

            def body(carry, _, opt=opt):
                p, state = carry
                updates, state = opt.update(grad, state, p)
                lr = (
                    state.hyperparams["learning_rate"]
                    if hasattr(state, "hyperparams")
                    else jnp.float32(0)
                )
                return (optax.apply_updates(p, updates), state), lr

            (p, state), lrs = jax.lax.scan(
                body, (p0, opt.init(p0)), None, length=N_UPDATES
            )
            out[name] = (p, lrs)
        return out

    # optax's own update code mixes int32 and float32, which strict promotion
    # rejects; the schedule itself is checked under strict promotion elsewhere.
    with jax.numpy_dtype_promotion("standard"):
        out = train(p0)
    lrs_want = reference(example, np.arange(N_UPDATES))
    p_sgd, _ = out["sgd"]
    chex.assert_trees_all_close(
        np.asarray(p_sgd, np.float64),
        -lrs_want.sum() * np.asarray(grad, np.float64),
        rtol=1e-5,
        atol=1e-7 * scale(example.id),
    )
    p_inject, lrs = out["inject"]
    assert lrs.dtype == jnp.float32
    chex.assert_trees_all_close(
        np.asarray(lrs, np.float64), lrs_want, rtol=RTOL, atol=atol(example)
    )
    assert np.all(np.isfinite(np.asarray(p_inject)))
    # adamw(schedule) and the injected adamw apply the same rates; they differ
    # only in float32 rounding of the update.
    chex.assert_trees_all_close(
        out["adamw"][0], p_inject, rtol=1e-4, atol=1e-7 * scale(example.id)
    )


@every_example
def test_a_schedule_holds_its_value_from_where_it_says_it_settles(example):
    """``settles_at()`` is a promise the shift relies on: from that step on the
    value does not change (checked far beyond it too).  The steps repeat to the
    grids' length, to share the compiled eager operations."""
    s = example.make()
    end = s.settles_at()
    if end is None:
        assert not isinstance(s, (jd.constant, jd.linear, jd.cosine_decay)), example.id
        return
    steps = tile([end, end + 1, end + 17, 2 * end + 1000, 2**31 - 1], np.int64)
    values = np.asarray(s(np.minimum(steps, 2**31 - 1)), np.float64)
    chex.assert_trees_all_close(values, np.full_like(values, values[0]), rtol=0)
