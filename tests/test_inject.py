"""jaxdecay.inject: schedules in an optax optimizer, lean state, readable back."""

import functools
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdecay as jd
import scripts
from jaxdecay import InjectState, inject

PARAMS = {"w": jnp.array([1.0, -2.0, 3.0]), "b": jnp.array(0.5)}


def _grads(params, k):
    return jax.tree.map(lambda p: p * (0.1 * (k + 1)), params)


def _run(opt, steps, **extra):
    params = PARAMS
    state = opt.init(params)
    seen = []
    for k in range(steps):
        updates, state = opt.update(_grads(params, k), state, params, **extra)
        params = optax.apply_updates(params, updates)
        seen.append(state)
    return params, state, seen


def test_same_updates_as_the_schedule_given_directly():
    lr = jd.warmup_cosine_decay(0.1, 3, 10)
    got, _, _ = _run(inject(optax.sgd)(learning_rate=lr, momentum=0.9), 8)
    want, _, _ = _run(optax.sgd(lr, momentum=0.9), 8)
    chex.assert_trees_all_close(got, want, rtol=1e-6)


def test_records_what_inject_hyperparams_records():
    lr = jd.linear_decay(0.1, 0.05)
    _, _, ours = _run(inject(optax.sgd)(learning_rate=lr), 5)
    _, _, theirs = _run(optax.inject_hyperparams(optax.sgd)(learning_rate=lr), 5)
    for a, b in zip(ours, theirs, strict=True):
        chex.assert_trees_all_close(
            jd.hyperparams(a)["learning_rate"],
            jd.hyperparams(b)["learning_rate"],
            rtol=1e-6,
        )
    # After k updates the state holds the rate of the last one: lr(k - 1).
    chex.assert_trees_all_close(
        jd.hyperparams(ours[-1])["learning_rate"], lr(4), rtol=1e-6
    )


def test_numbers_stay_out_of_the_state():
    lr = jd.exponential_decay(0.1, 0.5)
    state = inject(optax.sgd)(learning_rate=lr, momentum=0.9).init(PARAMS)
    assert isinstance(state, InjectState)
    assert list(state.hyperparams) == ["learning_rate"]
    assert state.schedule_states == {}
    assert state.count.dtype == jnp.int32
    full = optax.inject_hyperparams(optax.sgd)(learning_rate=lr, momentum=0.9)
    ours = len(jax.tree.leaves(state))
    assert ours < len(jax.tree.leaves(full.init(PARAMS)))
    # One counter beyond sgd's own state: the schedule is static data.
    inner = len(jax.tree.leaves(optax.sgd(0.1, momentum=0.9).init(PARAMS)))
    assert ours == inner + 1


def test_a_plateau_adds_only_its_one_array():
    plateau = jd.reduce_on_plateau(patience=0, factor=0.5, base=0.1)
    opt = inject(optax.sgd)(learning_rate=plateau)
    state = opt.init(PARAMS)
    # No counter (every schedule counts its own updates), no stored value:
    # the plateau gives back the rate of the latest update from its state.
    assert state.count is None and state.stateful_values == {}
    assert len(jax.tree.leaves(state)) == 1
    rates = []
    for _ in range(3):  # the same loss: a cut at the second update
        _, state = opt.update(PARAMS, state, PARAMS, value=1.0)
        rates.append(float(jd.hyperparams(state)["learning_rate"]))
    assert rates == pytest.approx([0.1, 0.1, 0.05])


class _Halving:
    """A stateful schedule of another library: ``init``/``update``/``__call__``
    and no ``previous``; halves its value at every update."""

    def init(self):
        return jnp.asarray(0.4, jnp.float32)

    def update(self, state, **extra):
        del extra
        return state * 0.5

    def __call__(self, state, **extra):
        del extra
        return state


def test_a_stateful_schedule_without_previous_stores_its_value():
    opt = inject(optax.sgd)(learning_rate=_Halving())
    state = opt.init(PARAMS)
    assert state.count is None and list(state.stateful_values) == ["learning_rate"]
    assert len(jax.tree.leaves(state)) == 2  # its state and the value it gave
    step = jax.jit(lambda s: opt.update(PARAMS, s, PARAMS)[1])
    seen = []
    for _ in range(3):
        state = step(state)
        seen.append(float(jd.hyperparams(state)["learning_rate"]))
    assert seen == pytest.approx([0.4, 0.2, 0.1])


def test_hyperparams_keep_the_order_of_the_arguments():
    def sgdw(learning_rate, momentum, weight_decay):
        decay = optax.add_decayed_weights(weight_decay)
        return optax.chain(decay, optax.sgd(learning_rate, momentum))

    opt = inject(sgdw)(
        learning_rate=jd.linear_decay(0.1, 0.01),
        momentum=jd.reduce_on_plateau(base=0.9),
        weight_decay=jd.exponential_decay(1e-4, 0.5),
    )
    state = opt.init(PARAMS)
    assert list(state.hyperparams) == ["learning_rate", "momentum", "weight_decay"]
    _, state = opt.update(PARAMS, state, PARAMS, value=1.0)
    _, state = opt.update(PARAMS, state, PARAMS, value=1.0)
    chex.assert_trees_all_close(
        state.hyperparams,
        {
            "learning_rate": jd.linear_decay(0.1, 0.01)(1),
            "momentum": jnp.float32(0.9),
            "weight_decay": jd.exponential_decay(1e-4, 0.5)(1),
        },
        rtol=1e-6,
    )


def test_states_of_equal_optimizers_have_one_structure():
    def make():
        return inject(optax.sgd)(learning_rate=jd.cosine_decay(0.1, 100)).init(PARAMS)

    a, b = make(), make()
    assert jax.tree.structure(a) == jax.tree.structure(b)
    summed = jax.tree.map(lambda x, y: x + y, a, b)  # fails on unequal structures
    assert isinstance(summed, InjectState)
    other = inject(optax.sgd)(learning_rate=jd.cosine_decay(0.2, 100)).init(PARAMS)
    assert jax.tree.structure(a) != jax.tree.structure(other)


def test_an_unhashable_schedule_works_under_jit():
    class Halving:  # a callable with value equality and no hash
        def __eq__(self, other):
            return isinstance(other, Halving)

        __hash__ = None

        def __call__(self, step):
            return 0.1 * 0.5 ** jnp.asarray(step, jnp.float32)

    opt = inject(optax.sgd)(learning_rate=Halving())
    step = jax.jit(lambda s: opt.update(PARAMS, s, PARAMS)[1])
    state = step(step(opt.init(PARAMS)))
    chex.assert_trees_all_close(
        jd.hyperparams(state)["learning_rate"], jnp.float32(0.05), rtol=1e-6
    )


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize(
    "factory",
    [lambda learning_rate: optax.sgd(learning_rate, momentum=0.9), optax.adamw],
    ids=["own", "shared"],
)
def test_state_round_trips_through_orbax(tmp_path, factory):
    import orbax.checkpoint as ocp  # in the dev extra

    lr = jd.warmup_cosine_decay(0.1, 2, 10)
    opt = inject(factory)(learning_rate=lr)
    state = opt.init(PARAMS)
    for _ in range(3):
        _, state = opt.update(PARAMS, state, PARAMS)
    with ocp.StandardCheckpointer() as ckpt:
        ckpt.save(tmp_path / "state", state)
    with ocp.StandardCheckpointer() as ckpt:
        back = ckpt.restore(tmp_path / "state", opt.init(PARAMS))
    assert jax.tree.structure(back) == jax.tree.structure(state)
    chex.assert_trees_all_equal(back, state)
    chex.assert_trees_all_equal(back.hyperparams, state.hyperparams)


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize("factory", [optax.sgd, optax.adam], ids=["own", "shared"])
def test_jit_and_scan(factory):
    lr = jd.piecewise_constant([2, 4], [0.1, 0.01, 0.001])
    opt = inject(factory)(learning_rate=lr)

    @jax.jit
    def train(params):
        def body(carry, k):
            params, state = carry
            updates, state = opt.update(_grads(params, 0), state, params)
            return (optax.apply_updates(params, updates), state), jd.hyperparams(state)[
                "learning_rate"
            ]

        return jax.lax.scan(body, (params, opt.init(params)), jnp.arange(6))

    (_, state), rates = train(PARAMS)
    chex.assert_trees_all_close(
        rates, np.array([0.1, 0.1, 0.01, 0.01, 0.001, 0.001], np.float32), rtol=1e-6
    )
    assert int(state.step) == 6
    assert (state.count is None) == (factory is optax.adam)  # adam's count serves


def test_stateful_schedule_matches_inject_hyperparams():
    plateau = jd.reduce_on_plateau(factor=0.5, patience=0, base=0.1)
    losses = [1.0, 1.0, 0.5, 0.7, 0.7]

    def rates(opt):
        state = opt.init(PARAMS)
        out = []
        for loss in losses:
            _, state = opt.update(_grads(PARAMS, 0), state, PARAMS, value=loss)
            out.append(float(jd.hyperparams(state)["learning_rate"]))
        return out

    ours = rates(inject(optax.sgd)(learning_rate=plateau))
    theirs = rates(optax.inject_hyperparams(optax.sgd)(learning_rate=plateau))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert ours[-1] < ours[0]


def test_hyperparams_finds_it_inside_chain_and_multi_transform():
    lr = jd.linear_decay(0.1, 0.01)
    opt = optax.multi_transform(
        {
            "a": inject(optax.sgd)(learning_rate=lr),
            "b": optax.chain(optax.clip(1.0), inject(optax.sgd)(learning_rate=2 * lr)),
        },
        {"w": "a", "b": "b"},
    )
    found = jd.hyperparams(opt.init(PARAMS))
    assert set(found) == {"a/learning_rate", "b/1/learning_rate"}
    chex.assert_trees_all_close(found["b/1/learning_rate"], jnp.float32(0.2))


def test_hyperparams_reads_an_nnx_optimizer():
    from flax import nnx  # in the dev extra

    model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
    lr = jd.linear_decay(0.1, 0.01)
    opt = nnx.Optimizer(model, inject(optax.sgd)(learning_rate=lr), wrt=nnx.Param)
    grads = nnx.state(model, nnx.Param)
    opt.update(model, jax.tree.map(jnp.zeros_like, grads))
    opt.update(model, jax.tree.map(jnp.zeros_like, grads))
    chex.assert_trees_all_close(jd.hyperparams(opt)["learning_rate"], lr(1), rtol=1e-6)


def test_hyperparams_reads_a_plateau_in_an_nnx_optimizer():
    from flax import nnx  # in the dev extra

    model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
    plateau = jd.reduce_on_plateau(patience=0, factor=0.5, base=0.1)
    opt = nnx.Optimizer(model, inject(optax.sgd)(learning_rate=plateau), wrt=nnx.Param)
    grads = jax.tree.map(jnp.zeros_like, nnx.state(model, nnx.Param))
    rates = []
    for _ in range(3):
        opt.update(model, grads, value=1.0)
        rates.append(float(jd.hyperparams(opt)["learning_rate"]))
    assert rates == pytest.approx([0.1, 0.1, 0.05])


def test_static_args_pass_callables_through():
    calls = []

    def factory(learning_rate, hook):
        calls.append(hook)
        return optax.sgd(learning_rate)

    state = inject(factory, static_args="hook")(jd.constant(0.1), hook=len).init(PARAMS)
    assert calls[-1] is len
    assert list(state.hyperparams) == ["learning_rate"]


def test_rejects_unknown_static_args():
    with pytest.raises(ValueError, match=r"`static_args` must name.*\['nope'\]"):
        inject(optax.sgd, static_args=("nope",))


def test_rejects_a_factory_that_is_not_callable():
    with pytest.raises(
        TypeError, match=r"inject: `inner_factory` must be .*got inner_factory=3"
    ):
        inject(3)


# Factories whose optax state counts every update from zero: inject reads the
# step from that counter instead of keeping its own.
COUNTING = {
    "adam": optax.adam,
    "adamw": optax.adamw,
    "nadamw": optax.nadamw,
    "adamax": optax.adamax,
    "radam": optax.radam,
    "yogi": optax.yogi,
    "lamb": optax.lamb,
    "amsgrad": optax.amsgrad,
    "adabelief": optax.adabelief,
    "lion": optax.lion,
    "novograd": optax.novograd,
    "adafactor": optax.adafactor,
    "named_chain": lambda learning_rate: optax.named_chain(
        ("clip", optax.clip(1.0)), ("adam", optax.adam(learning_rate))
    ),
    "chain": lambda learning_rate: optax.chain(
        optax.clip(1.0),
        optax.scale_by_schedule(jd.constant(1.0)),
        optax.sgd(learning_rate),
    ),
}


@pytest.fixture
def _standard_promotion():
    # optax's adam family mixes Python floats with int32 counts, which the
    # strict promotion of conftest.py (for the library's own code) rejects.
    with jax.numpy_dtype_promotion("standard"):
        yield


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize("name", sorted(COUNTING))
def test_shares_the_count_of_the_inner_optimizer(name):
    factory = COUNTING[name]
    lr = jd.warmup_cosine_decay(0.1, 2, 8)
    shared = inject(factory)(learning_rate=lr)
    own = inject(factory, share_count=False)(learning_rate=lr)
    state = shared.init(PARAMS)
    # Nothing beyond the inner optimizer's own state.
    assert state.count is None
    assert len(jax.tree.leaves(state)) == len(
        jax.tree.leaves(factory(0.1).init(PARAMS))
    )
    assert len(jax.tree.leaves(own.init(PARAMS))) == len(jax.tree.leaves(state)) + 1
    # The same updates and the same record as a counter of its own, step by
    # step: the inner counter goes up by one at every update.
    got_params, _, got = _run(shared, 6)
    want_params, _, want = _run(own, 6)
    chex.assert_trees_all_close(got_params, want_params, rtol=1e-6)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert int(a.step) == int(b.count) == k + 1
        chex.assert_trees_all_close(a.hyperparams, b.hyperparams, rtol=0)
        chex.assert_trees_all_close(a.hyperparams["learning_rate"], lr(k), rtol=1e-6)


@pytest.mark.usefixtures("_standard_promotion")
def test_adamw_matches_optax_with_the_schedule_and_its_record():
    lr = jd.warmup_cosine_decay(1e-2, 3, 10)
    got, _, ours = _run(inject(optax.adamw)(learning_rate=lr, weight_decay=1e-3), 8)
    want, _, _ = _run(optax.adamw(lr, weight_decay=1e-3), 8)
    chex.assert_trees_all_close(got, want, rtol=1e-6)
    full = optax.inject_hyperparams(optax.adamw)(learning_rate=lr, weight_decay=1e-3)
    _, _, theirs = _run(full, 8)
    for a, b in zip(ours, theirs, strict=True):
        chex.assert_trees_all_close(
            jd.hyperparams(a)["learning_rate"],
            jd.hyperparams(b)["learning_rate"],
            rtol=1e-6,
        )


@pytest.mark.usefixtures("_standard_promotion")
def test_a_counter_behind_a_wrapper_is_not_shared():
    # apply_if_finite skips adam's update (and count) on a non-finite gradient;
    # the schedule still follows the updates, as optax.inject_hyperparams does.
    def guarded(learning_rate):
        return optax.apply_if_finite(optax.adam(learning_rate), 5)

    lr = jd.linear_decay(0.1, 0.01)
    ours, theirs = (
        inject(guarded)(learning_rate=lr),
        optax.inject_hyperparams(guarded)(learning_rate=lr),
    )
    a, b = ours.init(PARAMS), theirs.init(PARAMS)
    assert a.count is not None
    for k in range(4):
        grads = _grads(PARAMS, k)
        if k == 1:
            grads = jax.tree.map(lambda g: g * jnp.nan, grads)
        _, a = ours.update(grads, a, PARAMS)
        _, b = theirs.update(grads, b, PARAMS)
        chex.assert_trees_all_close(
            jd.hyperparams(a)["learning_rate"],
            jd.hyperparams(b)["learning_rate"],
            rtol=1e-6,
        )
    assert int(a.step) == 4


@pytest.mark.usefixtures("_standard_promotion")
def test_hyperparams_reads_a_shared_count_in_an_nnx_optimizer():
    from flax import nnx  # in the dev extra

    model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
    lr = jd.linear_decay(0.1, 0.01)
    opt = nnx.Optimizer(model, inject(optax.adamw)(learning_rate=lr), wrt=nnx.Param)
    grads = jax.tree.map(jnp.zeros_like, nnx.state(model, nnx.Param))
    for k in range(3):
        nnx.jit(lambda o, m, g: o.update(m, g))(opt, model, grads)
        chex.assert_trees_all_close(
            jd.hyperparams(opt)["learning_rate"], lr(k), rtol=1e-6
        )


def test_rejects_a_share_count_that_is_not_a_bool():
    with pytest.raises(TypeError, match=r"inject: `share_count` must be True or False"):
        inject(optax.adam, share_count="yes")


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize("factory", [optax.sgd, optax.adamw], ids=["own", "shared"])
def test_state_round_trips_through_flax_serialization(factory):
    import flax.serialization  # in the dev extra

    opt = inject(factory)(learning_rate=jd.cosine_decay(0.1, 10))
    state = opt.init(PARAMS)
    for _ in range(3):
        _, state = opt.update(PARAMS, state, PARAMS)
    blob = flax.serialization.to_bytes(state)
    back = flax.serialization.from_bytes(opt.init(PARAMS), blob)
    assert jax.tree.structure(back) == jax.tree.structure(state)
    chex.assert_trees_all_equal(back, state)
    chex.assert_trees_all_equal(back.hyperparams, state.hyperparams)


@functools.cache
def _bench_common():
    """benchmarks/_common.py, loaded once (it counts the kernels)."""
    return scripts.load(
        Path(__file__).resolve().parents[1] / "benchmarks" / "_common.py"
    )


def _kernels(tx):
    """Kernels a jitted training step runs (the benchmarks' count: top-level
    instructions of the optimized HLO), parameters and state donated as in a
    training loop.  The step is lowered from the shapes and dtypes alone
    (``jax.eval_shape``): nothing runs eagerly, only the step compiles."""
    params = {
        "w1": jax.ShapeDtypeStruct((8, 8), jnp.float32),
        "b1": jax.ShapeDtypeStruct((8,), jnp.float32),
        "w2": jax.ShapeDtypeStruct((8, 1), jnp.float32),
        "b2": jax.ShapeDtypeStruct((1,), jnp.float32),
    }

    def step(params, state):
        grads = jax.tree.map(lambda p: 0.1 * p, params)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    state = jax.eval_shape(tx.init, params)
    compiled = jax.jit(step, donate_argnums=(0, 1)).lower(params, state)
    return _bench_common().kernels(compiled.compile().as_text())


@functools.cache
def _constant_rate_kernels():
    """The kernels of adamw at a constant rate: the reference of every
    schedule below, compiled once."""
    with jax.numpy_dtype_promotion("standard"):
        return _kernels(optax.adamw(1e-3))


KERNEL_SCHEDULES = {
    "warmup_cosine": lambda: jd.warmup_cosine_decay(1e-3, 100, 10_000, end_value=1e-5),
    "wsd": lambda: jd.warmup_stable_decay(1e-3, 100, 8_000, 1_000),
    "piecewise_1000": lambda: jd.piecewise_constant(
        [10 * k for k in range(1, 1000)], np.linspace(1e-3, 1e-4, 1000)
    ),
    "join_50": lambda: jd.join(
        [jd.warmup_cosine_decay(1e-3 * (1 - k / 100), 10, 100) for k in range(50)],
        [100 * k for k in range(1, 50)],
    ),
    # exp, log, tanh, sqrt, division and integer division, made of operations
    # that fuse (jaxdecay._core.elementary)
    "exponential": lambda: jd.exponential_decay(1e-3, 100, 0.5),
    "inverse_time": lambda: jd.inverse_time_decay(1e-3, 0.1),
    "inverse_sqrt": lambda: jd.inverse_sqrt_decay(1e-3, 100),
    "power_decay": lambda: jd.power_decay(1e-3, 100.0),
    "tanh_decay": lambda: jd.tanh_decay(1e-3, 1000),
    "step_decay": lambda: jd.step_decay(1e-3, 77, 0.5),
    "warp": lambda: jd.warp(jd.cosine_decay(1e-3, 1000), 1.5, 1000),
    "restarts_growing": lambda: jd.cosine_restarts(1e-3, 100, 2.0),
    "minimum": lambda: jd.minimum(
        jd.power_decay(1e-3, 100.0), jd.warmup_cosine_decay(1e-3, 10, 1000)
    ),
    "power_of": lambda: jd.warmup_cosine_decay(1e-3, 10, 1000) ** 0.5,
    "exp_warmup": lambda: jd.warmup(jd.constant(1e-3), 100, 1e-5, "exponential"),
    "wsd_1-sqrt": lambda: jd.warmup_stable_decay(
        1e-3, 100, 800, 100, decay_shape="1-sqrt"
    ),
    "piecewise_linear": lambda: jd.piecewise_linear(
        np.arange(0, 10_000, 100), np.linspace(1e-3, 1e-5, 100)
    ),
    # jax.random's numbers, its hash unrolled (JAX loops it on the CPU)
    "noise": lambda: jd.noise(jd.warmup_cosine_decay(1e-3, 10, 1000), 0.1, 0),
    "noise_truncated": lambda: jd.noise(jd.constant(1e-3), 0.1, 0, pct=0.2),
    "timm_k_decay": lambda: jd.timm.CosineLRScheduler(
        100, k_decay=1.5, cycle_mul=2.0, cycle_limit=3, lr=1e-3
    ),
}


@pytest.mark.usefixtures("_standard_promotion")
@pytest.mark.parametrize("name", sorted(KERNEL_SCHEDULES))
def test_a_shared_count_runs_the_kernels_of_a_constant_rate(name):
    # The schedule fuses into the update kernels; nothing keeps the old count
    # alive past its in-place increment (a copy), and the piece lookup of a
    # join does not run as a kernel of its own.
    schedule = KERNEL_SCHEDULES[name]()
    ours = _kernels(inject(optax.adamw)(learning_rate=schedule))
    assert ours == _constant_rate_kernels()
