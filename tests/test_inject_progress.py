"""jaxdecay.inject(..., progress="tokens" | "samples"): schedules of the tokens
(samples) consumed, an exact two-word count in the state."""

import functools
import pickle
from pathlib import Path

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdecay as jd
import scripts
from jaxdecay._train.inject import Count, InjectState, inject

PARAMS = {"w": jnp.array([1.0, -2.0, 3.0]), "b": jnp.array(0.5)}
TOP32 = 2**31 - 1  # the largest step a schedule reads without x64


@pytest.fixture
def _standard_promotion():
    # optax's adam family mixes Python floats with int32 counts, which the
    # strict promotion of conftest.py (for the library's own code) rejects.
    with jax.numpy_dtype_promotion("standard"):
        yield


def _grads(params, k):
    return jax.tree.map(lambda p: p * (0.1 * (k + 1)), params)


def _run(opt, counts, state=None, params=PARAMS, key="tokens", start=0):
    """Updates with the given counts; returns params, state, hyperparams seen."""
    state = opt.init(params) if state is None else state
    seen = []
    for k, n in enumerate(counts, start):
        updates, state = opt.update(_grads(params, k), state, params, **{key: n})
        params = optax.apply_updates(params, updates)
        seen.append(jd.hyperparams(state))
    return params, state, seen


def _at(opt, tokens):
    """The rate an update uses after ``tokens`` tokens (one update to get
    there, one to read), and the state after it."""
    _, state, seen = _run(opt, [tokens, 1])
    return seen[-1]["learning_rate"], state


# -- the count ---------------------------------------------------------------


def test_the_count_is_exact_over_many_batches_of_varying_size():
    # 1000 batches of up to 2**31 - 1 tokens (a total near 2**40, past 2**32
    # many times over), summed inside jit + lax.scan, against a Python int.
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 2**31, size=1000, dtype=np.int64)
    counts[:5] = [0, 1, TOP32, TOP32, 2**31 - 2]
    opt = inject(optax.sgd, progress="tokens")(learning_rate=jd.constant(0.1))

    @jax.jit
    def consume(state, ns):
        def body(state, n):
            return opt.update(PARAMS, state, PARAMS, tokens=n)[1], None

        return jax.lax.scan(body, state, ns)[0]

    state = consume(opt.init(PARAMS), jnp.asarray(counts, jnp.int32))
    total = int(counts.sum())
    assert total > 2**39
    assert int(state.consumed) == total
    assert int(jd.hyperparams(state)["tokens"]) == total
    # Python ints of any size up to 2**64 - 1 are added exactly too.
    _, state, _ = _run(opt, [2**40 + 3, 2**63, 5], state)
    assert int(state.consumed) == total + 2**40 + 3 + 2**63 + 5


def test_the_carry_crosses_2_to_the_32():
    opt = inject(optax.sgd, progress="tokens")(learning_rate=jd.constant(0.1))
    step = jax.jit(lambda s, n: opt.update(PARAMS, s, PARAMS, tokens=n)[1])
    state = opt.init(PARAMS)
    state = step(step(state, jnp.int32(TOP32)), jnp.int32(TOP32))  # 2**32 - 2
    seen = []
    for _ in range(4):
        state = step(state, jnp.int32(1))
        seen.append(int(state.consumed))
    assert seen == [2**32 - 1, 2**32, 2**32 + 1, 2**32 + 2]
    words = np.asarray(state.count)
    assert words.dtype == np.uint32
    np.testing.assert_array_equal(words, [1, 2, 1, 1])  # count, then count read


def test_the_count_is_the_one_array_beyond_the_inner_state():
    lr = jd.linear(0.1, 0.0, 1000)
    state = inject(optax.adamw, progress="tokens")(learning_rate=lr).init(PARAMS)
    inner = optax.adamw(0.1).init(PARAMS)
    assert len(jax.tree.leaves(state)) == len(jax.tree.leaves(inner)) + 1
    # The fields of a step-driven state: its checkpoints keep their layout.
    assert InjectState._fields == (
        "count", "schedule_states", "stateful_values", "inner_state", "schedules"
    )  # fmt: skip
    assert state.consumed == 0 and int(state.step) == 0


def test_the_count_saturates_at_2_to_the_64_never_wraps():
    opt = inject(optax.sgd, progress="tokens")(learning_rate=jd.constant(0.1))
    state = opt.init(PARAMS)
    near = np.array([0xFFFFFFFF, 0xFFFFFFFE, 0, 0], np.uint32)  # 2**64 - 2
    state = state._replace(count=jnp.asarray(near))
    for n in (1, 1, 2**40, jnp.int32(7)):
        _, state = opt.update(PARAMS, state, PARAMS, tokens=n)
        assert int(state.consumed) == 2**64 - 1


def test_a_negative_traced_count_counts_zero():
    opt = inject(optax.sgd, progress="tokens")(learning_rate=jd.constant(0.1))
    step = jax.jit(lambda s, n: opt.update(PARAMS, s, PARAMS, tokens=n)[1])
    state = step(opt.init(PARAMS), jnp.int32(10))
    state = step(state, jnp.int32(-3))
    assert int(state.consumed) == 10
    assert np.all(np.isfinite(np.asarray(jd.hyperparams(state)["learning_rate"])))


@pytest.mark.parametrize(
    "n", [np.uint8(7), np.int16(7), np.uint32(7), 7.0, np.float32(7.0)]
)
def test_counts_of_any_integer_dtype_and_whole_floats(n):
    opt = inject(optax.sgd, progress="tokens")(learning_rate=jd.constant(0.1))
    _, state, _ = _run(opt, [n, jnp.asarray(n)])
    assert int(state.consumed) == 14


# -- what the schedules read ---------------------------------------------------


def test_rates_are_the_schedule_at_the_tokens_before_each_batch():
    # A batch-size warmup: each update uses lr(tokens consumed before it).
    lr = jd.warmup_cosine_decay(1e-2, 3000, 40_000, end_value=1e-4)
    counts = [512, 1024, 1024, 2048, 4096, 4096, 8192, 8192, 8192]
    opt = inject(optax.sgd, progress="tokens")(learning_rate=lr)
    _, state, seen = _run(opt, counts)
    before = np.cumsum([0, *counts[:-1]])
    got = np.array([float(h["learning_rate"]) for h in seen])
    # Equal to the schedule evaluated directly, and to the float64 formula.
    want = np.array([float(lr(int(t))) for t in before])
    np.testing.assert_array_equal(got, want)
    t = before.astype(np.float64)
    warm = 1e-2 * t / 3000
    x = np.clip((t - 3000) / 37_000, 0, 1)
    cos = 1e-4 + (1e-2 - 1e-4) * 0.5 * (1 + np.cos(np.pi * x))
    np.testing.assert_allclose(got, np.where(t < 3000, warm, cos), rtol=1e-5)
    assert [int(h["tokens"]) for h in seen] == list(np.cumsum(counts))
    # No update counter: the token count in its place, four uint32 words.
    assert state.count.dtype == jnp.uint32 and state.count.shape == (4,)


def test_the_updates_are_those_of_the_schedule_at_the_tokens():
    lr = jd.linear(0.1, 0.01, 100)
    counts = [7, 30, 1, 45, 12]
    opt = inject(optax.sgd, progress="tokens")(learning_rate=lr, momentum=0.9)
    got, _, _ = _run(opt, counts)
    params, state = PARAMS, optax.sgd(0.0, momentum=0.9).init(PARAMS)
    for k, t in enumerate(np.cumsum([0, *counts[:-1]])):
        tx = optax.sgd(lr(int(t)), momentum=0.9)
        updates, state = tx.update(_grads(params, k), state, params)
        params = optax.apply_updates(params, updates)
    chex.assert_trees_all_close(got, params, rtol=1e-6)


def test_a_fixed_batch_matches_the_step_driven_optimizer():
    # B tokens per update: a schedule of tokens (lengths times B, or
    # per_step=B) gives the rates of the same schedule of steps.
    B = 64
    steps = jd.warmup_cosine_decay(1e-2, 3, 10)
    _, _, by_steps = _run(inject(optax.sgd)(learning_rate=steps), [None] * 6, key="x")
    tokens = jd.warmup_cosine_decay(1e-2, 3 * B, 10 * B)
    _, _, by_tokens = _run(
        inject(optax.sgd, progress="tokens")(learning_rate=tokens), [B] * 6
    )
    _, _, by_blocks = _run(
        inject(optax.sgd, progress="tokens", per_step=B)(learning_rate=steps), [B] * 6
    )
    for a, b, c in zip(by_steps, by_tokens, by_blocks, strict=True):
        chex.assert_trees_all_close(b["learning_rate"], a["learning_rate"], rtol=1e-6)
        chex.assert_trees_all_equal(c["learning_rate"], a["learning_rate"])


def test_durations_in_tokens_are_resolved_with_per_step():
    written = jd.warmup_cosine_decay(1e-3, "2Ktok", "10Ktok")
    plain = jd.warmup_cosine_decay(1e-3, 2000, 10_000)
    counts = [700, 900, 1500, 3000]
    _, _, a = _run(inject(optax.sgd, progress="tokens")(learning_rate=written), counts)
    _, _, b = _run(inject(optax.sgd, progress="tokens")(learning_rate=plain), counts)
    chex.assert_trees_all_equal(a, b)
    # per_step=2**k: the durations are resolved in steps of 2**k tokens.
    opt = inject(optax.sgd, progress="tokens", per_step=8)
    state = opt(learning_rate=written).init(PARAMS)
    assert state.schedules.plain[0][1] == jd.warmup_cosine_decay(1e-3, 250, 1250)


@pytest.mark.parametrize("tokens", [TOP32 - 1, TOP32, 2**31, 2**32 - 1, 2**32 + 5])
def test_steps_past_int32_saturate_without_x64(tokens):
    # per_step=1: the schedules read min(tokens, 2**31 - 1), as steps do.
    lr = jd.linear(1.0, 0.0, TOP32)
    opt = inject(optax.sgd, progress="tokens")(learning_rate=lr)
    rate, state = _at(opt, tokens)
    assert int(state.consumed) == tokens + 1
    want = 1.0 - min(tokens, TOP32) / TOP32
    np.testing.assert_allclose(float(rate), want, rtol=1e-6, atol=1e-9)
    assert int(state.step) == min(tokens + 1, TOP32)


@pytest.mark.parametrize("tokens", [2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1])
def test_per_step_reads_tokens_past_int32_exactly(tokens):
    # 4 tokens a step: the schedule reads tokens / 4 exactly up to 2**33;
    # a boundary at 2**32 + 1 tokens (step 2**30 + 1/4) is met exactly.
    lr = jd.piecewise_constant([2**30 + 1], [1.0, 0.5])
    opt = inject(optax.sgd, progress="tokens", per_step=4)(learning_rate=lr)
    rate, _ = _at(opt, tokens)
    assert float(rate) == (0.5 if tokens // 4 >= 2**30 + 1 else 1.0)
    # The fraction of a step is exact: a linear schedule over 2**31 - 1 steps.
    lin = jd.linear(0.0, 1.0, TOP32)
    rate, _ = _at(
        inject(optax.sgd, progress="tokens", per_step=4)(learning_rate=lin), tokens
    )
    np.testing.assert_allclose(float(rate), (tokens / 4) / TOP32, rtol=1e-6)


@pytest.mark.parametrize("offset", [-1, 0, 1, 2**22 + 3])
def test_2_to_the_53_tokens_with_per_step(offset):
    # 2**23 tokens a step: 2**53 tokens is step 2**30, fraction exact.
    tokens = 2**53 + offset
    lr = jd.linear(0.0, 1.0, 2**31 - 1)
    opt = inject(optax.sgd, progress="tokens", per_step=2**23)(learning_rate=lr)
    rate, state = _at(opt, tokens)
    assert int(state.consumed) == tokens + 1
    np.testing.assert_allclose(float(rate), (tokens / 2**23) / TOP32, rtol=1e-6)
    # A boundary a quarter step past 2**53 tokens is met at that token exactly.
    edge = jd.piecewise_constant([2**30 + 1], [1.0, 0.5])
    opt = inject(optax.sgd, progress="tokens", per_step=2**23)(learning_rate=edge)
    rate, _ = _at(opt, tokens)
    assert float(rate) == (0.5 if tokens >= 2**53 + 2**23 else 1.0)


def test_with_x64_the_schedules_read_the_exact_count():
    tokens = np.array([2**31 - 1, 2**31, 2**32 + 1, 2**53 - 1, 2**53], np.int64)
    with jax.enable_x64(True):
        params = {"w": jnp.ones(2)}  # float64
        for lr, want in [
            (jd.piecewise_linear([0, 2**54], [1.0, 0.0]), 1.0 - tokens / 2**54),
            # a boundary at exactly 2**53 tokens
            (
                jd.piecewise_constant([2**53], [1.0, 0.5]),
                np.where(tokens < 2**53, 1, 0.5),
            ),
        ]:
            opt = inject(optax.sgd, progress="tokens")(learning_rate=lr)

            def at(n, opt=opt):  # the rate after n tokens, and the count
                state = opt.init(params)
                for k in (n, jnp.int64(1)):
                    state = opt.update(params, state, params, tokens=k)[1]
                found = jd.hyperparams(state)
                return found["learning_rate"], found["tokens"]

            rates, counts = jax.jit(jax.vmap(at))(jnp.asarray(tokens))
            assert rates.dtype == jnp.float64
            np.testing.assert_allclose(rates, want, rtol=1e-15)
            got = np.asarray(counts.hi, np.int64) * 2**32 + np.asarray(counts.lo)
            np.testing.assert_array_equal(got, tokens + 1)


# -- samples ---------------------------------------------------------------------


def test_samples_are_the_same_with_their_own_keyword():
    lr = jd.warmup_cosine_decay(0.1, "40sp", "400sp")
    opt = inject(optax.sgd, progress="samples")(learning_rate=lr)
    _, state, seen = _run(opt, [8, 16, 32, 32], key="samples")
    assert list(seen[-1]) == ["learning_rate", "samples"]
    assert int(seen[-1]["samples"]) == 88
    chex.assert_trees_all_close(
        seen[-1]["learning_rate"], jd.warmup_cosine_decay(0.1, 40, 400)(56), rtol=1e-6
    )
    with pytest.raises(TypeError, match=r"inject: `samples` is missing"):
        opt.update(PARAMS, state, PARAMS, tokens=8)


# -- jit, scan, chains, flax ---------------------------------------------------


def test_jit_and_scan_agree_with_eager_updates():
    lr = jd.piecewise_constant([100, 300], [0.1, 0.01, 0.001])
    opt = inject(optax.sgd, progress="tokens")(learning_rate=lr, momentum=0.9)
    counts = np.array([40, 80, 60, 120, 10, 200], np.int32)

    @jax.jit
    def train(params, counts):
        def body(carry, n):
            params, state = carry
            updates, state = opt.update(_grads(params, 0), state, params, tokens=n)
            hp = jd.hyperparams(state)
            return (optax.apply_updates(params, updates), state), (
                hp["learning_rate"],
                hp["tokens"],
            )

        return jax.lax.scan(body, (params, opt.init(params)), counts)

    (params, state), (rates, tokens) = train(PARAMS, counts)
    eager, eager_state = PARAMS, opt.init(PARAMS)
    for n in counts:
        updates, eager_state = opt.update(
            _grads(eager, 0), eager_state, eager, tokens=int(n)
        )
        eager = optax.apply_updates(eager, updates)
    # The tokens before each batch: 0, 40, 120, 180, 300, 310.
    np.testing.assert_array_equal(rates, np.float32([0.1, 0.1, 0.01, 0.01, 1e-3, 1e-3]))
    assert isinstance(tokens, Count)
    np.testing.assert_array_equal(tokens.lo, np.cumsum(counts))
    assert int(state.consumed) == int(counts.sum())
    chex.assert_trees_all_close(params, eager, rtol=1e-6)
    chex.assert_trees_all_equal(state.count, eager_state.count)


def test_the_count_reaches_an_injection_inside_a_chain():
    lr = jd.linear(0.1, 0.0, 1000)
    opt = optax.chain(
        optax.clip(1.0),
        inject(optax.sgd, progress="tokens")(learning_rate=lr),
        optax.scale(1.0),
    )
    _, state, seen = _run(opt, [100, 200, 300])
    assert int(seen[-1]["tokens"]) == 600
    chex.assert_trees_all_close(seen[-1]["learning_rate"], lr(300), rtol=1e-6)
    assert isinstance(state[1], InjectState)


def test_a_stateful_schedule_beside_a_schedule_of_tokens():
    plateau = jd.reduce_on_plateau(patience=0, factor=0.5, base=0.9)
    opt = inject(optax.sgd, progress="tokens")(
        learning_rate=jd.linear(0.1, 0.0, 100), momentum=plateau
    )
    state = opt.init(PARAMS)
    for n in (10, 20, 30):
        _, state = opt.update(PARAMS, state, PARAMS, tokens=n, value=1.0)
    found = jd.hyperparams(state)
    assert list(found) == ["learning_rate", "momentum", "tokens"]
    assert float(found["momentum"]) == pytest.approx(0.45)
    chex.assert_trees_all_close(found["learning_rate"], jnp.float32(0.07), rtol=1e-6)


def test_trains_a_flax_nnx_model_with_tokens():
    from flax import nnx  # in the dev extra

    model = nnx.Linear(2, 1, rngs=nnx.Rngs(0))
    lr = jd.linear(0.1, 0.01, 1000)
    tx = inject(optax.sgd, progress="tokens")(learning_rate=lr)
    opt = nnx.Optimizer(model, tx, wrt=nnx.Param)
    x, y = jnp.ones((4, 2)), jnp.zeros((4, 1))

    @nnx.jit
    def train_step(model, opt, x, y, tokens):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        opt.update(model, grads, tokens=tokens)
        return loss

    losses = [float(train_step(model, opt, x, y, n)) for n in (128, 256, 256)]
    assert losses[-1] < losses[0]
    found = jd.hyperparams(opt)
    assert int(found["tokens"]) == 640
    chex.assert_trees_all_close(found["learning_rate"], lr(384), rtol=1e-6)


# -- checkpoints -----------------------------------------------------------------


def _roundtrips():
    import flax.serialization  # in the dev extra

    def flax_bytes(state, template):
        blob = flax.serialization.to_bytes(state)
        return flax.serialization.from_bytes(template, blob)

    def tree(state, template):
        leaves = [np.array(x) for x in jax.tree.leaves(state)]
        return jax.tree.unflatten(jax.tree.structure(template), leaves)

    return {
        "flax": flax_bytes,
        "pickle": lambda state, _: pickle.loads(pickle.dumps(state)),
        "tree": tree,
    }


@pytest.mark.parametrize("how", ["flax", "pickle", "tree"])
def test_a_checkpoint_resumes_bit_identically(how):
    lr = jd.warmup_cosine_decay(0.1, 50, 1000)
    opt = inject(optax.sgd, progress="tokens")(learning_rate=lr, momentum=0.9)
    counts = [2**31 - 1, 2**31 - 1, 17, 23, 31, 2**30]
    full, state_full, _ = _run(opt, counts)
    params, state, _ = _run(opt, counts[:3])
    back = _roundtrips()[how](state, opt.init(PARAMS))
    assert isinstance(back, InjectState)
    assert jax.tree.structure(back) == jax.tree.structure(state)
    chex.assert_trees_all_equal(back, state)
    resumed, state_resumed, _ = _run(opt, counts[3:], back, params, start=3)
    chex.assert_trees_all_equal(resumed, full)
    chex.assert_trees_all_equal(state_resumed, state_full)
    assert int(state_resumed.consumed) == sum(counts)


# -- cost ------------------------------------------------------------------------


@functools.cache
def _bench_common():
    """benchmarks/_common.py, loaded once (it counts the kernels)."""
    return scripts.load(
        Path(__file__).resolve().parents[1] / "benchmarks" / "_common.py"
    )


def _kernels(tx, **extra):
    """Kernels of a jitted training step, lowered from shapes and dtypes
    alone (``jax.eval_shape``): nothing runs eagerly, only the step compiles.
    Without ``extra`` the step takes the token count as a traced int32."""
    f32 = jnp.float32
    params = {
        "w1": jax.ShapeDtypeStruct((8, 8), f32),
        "b1": jax.ShapeDtypeStruct((8,), f32),
        "w2": jax.ShapeDtypeStruct((8, 1), f32),
    }

    def step(params, state, *n):
        grads = jax.tree.map(lambda p: 0.1 * p, params)
        kw = {"tokens": n[0]} if n else extra
        updates, state = tx.update(grads, state, params, **kw)
        return optax.apply_updates(params, updates), state

    args = (params, jax.eval_shape(tx.init, params))
    if not extra:
        args += (jax.ShapeDtypeStruct((), jnp.int32),)
    compiled = jax.jit(step, donate_argnums=(0, 1)).lower(*args).compile()
    return _bench_common().kernels(compiled.as_text())


@pytest.mark.usefixtures("_standard_promotion")
def test_counting_tokens_adds_only_the_count_update():
    # The schedule still fuses into adamw's update kernels (as with steps,
    # where it adds none); the count adds its update (one fusion) and the copy
    # that keeps the count the schedule reads while the new one is written in
    # place: two kernels, for a traced or a constant count alike.
    lr = jd.warmup_cosine_decay(1e-3, 100, 10_000, end_value=1e-5)
    steps = _kernels(inject(optax.adamw)(learning_rate=lr))
    tokens = inject(optax.adamw, progress="tokens")(learning_rate=lr)
    assert _kernels(tokens) == steps + 2
    blocks = inject(optax.adamw, progress="tokens", per_step=1024)(learning_rate=lr)
    assert _kernels(blocks, tokens=4096) == steps + 2


# -- bad input -------------------------------------------------------------------


def _state(progress="tokens"):
    opt = inject(optax.sgd, progress=progress)(learning_rate=jd.constant(0.1))
    return opt, opt.init(PARAMS)


@pytest.mark.parametrize(
    ("n", "error", "message"),
    [
        (-1, ValueError, r"inject: `tokens` must be a whole number >= 0 of tokens"),
        (2**64, ValueError, r"at most 2\*\*64 - 1; got tokens=18446744073709551616"),
        (2.5, ValueError, r"`tokens` must be a whole number .*got tokens=2.5"),
        (float("nan"), ValueError, r"`tokens` must be a whole number"),
        (np.float32(-4.0), ValueError, r"`tokens` must be a whole number"),
        (True, TypeError, r"`tokens` must be a whole number .*got tokens=True"),
        ("12", TypeError, r"`tokens` must be a whole number .*got tokens='12'"),
        (np.array([1, 2]), TypeError, r"`tokens` must be a single number"),
        (None, TypeError, r"`tokens` must be a whole number .*got tokens=None"),
    ],
)
def test_rejects_a_bad_count(n, error, message):
    opt, state = _state()
    with pytest.raises(error, match=message):
        opt.update(PARAMS, state, PARAMS, tokens=n)


def test_rejects_a_traced_float_count_and_a_traced_array():
    opt, state = _state()
    with pytest.raises(TypeError, match=r"`tokens` must be an integer when traced"):
        jax.jit(lambda s, n: opt.update(PARAMS, s, PARAMS, tokens=n))(
            state, jnp.float32(3)
        )
    with pytest.raises(TypeError, match=r"`tokens` must be a single number"):
        jax.jit(lambda s, n: opt.update(PARAMS, s, PARAMS, tokens=n))(
            state, jnp.ones(2, jnp.int32)
        )


def test_rejects_a_missing_count():
    opt, state = _state()
    with pytest.raises(
        TypeError,
        match=r"inject: `tokens` is missing: .*opt.update\(grads, state, params, "
        r"tokens=n\)",
    ):
        opt.update(PARAMS, state, PARAMS)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"progress": "epochs"}, ValueError, r"`progress` must be one of 'steps'"),
        ({"progress": None}, TypeError, r"`progress` must be one .*got progress=None"),
        ({"progress": "tokens", "per_step": 3}, ValueError, r"`per_step` must be a po"),
        ({"progress": "tokens", "per_step": 2**25}, ValueError, r"from 1 to 2\*\*24"),
        ({"progress": "tokens", "per_step": 2.0}, TypeError, r"`per_step` must be a"),
        ({"per_step": 4}, ValueError, r"`per_step` must be 1 with progress='steps'"),
    ],
)  # fmt: skip
def test_rejects_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        inject(optax.sgd, **kwargs)


def test_rejects_a_schedule_beyond_the_steps_it_can_read():
    lr = jd.warmup_cosine_decay(1e-3, "100Mtok", "20Gtok")
    with pytest.raises(
        ValueError,
        match=r"inject: `learning_rate` changes at step 20000000000, beyond the "
        r"2147483647 steps .*pass per_step=16 \(or more",
    ):
        inject(optax.sgd, progress="tokens")(learning_rate=lr)
    # As the message says: 16 tokens a step reach it.
    opt = inject(optax.sgd, progress="tokens", per_step=16)(learning_rate=lr)
    rate, _ = _at(opt, 10 * 10**9)
    chex.assert_trees_all_close(
        rate, jd.warmup_cosine_decay(1e-3, 6_250_000, 1_250_000_000)(625_000_000)
    )


def test_rejects_durations_it_cannot_resolve_and_a_clashing_argument():
    with pytest.raises(ValueError, match=r"inject: `learning_rate`: .*total_steps"):
        inject(optax.sgd, progress="tokens")(
            learning_rate=jd.warmup_cosine_decay(1e-3, "10%", "1Mtok")
        )

    def factory(learning_rate, tokens=0):
        return optax.sgd(learning_rate)

    with pytest.raises(ValueError, match=r"argument `tokens` would clash"):
        inject(factory, progress="tokens")(jd.constant(0.1), tokens=3)


# -- the Count ---------------------------------------------------------------------


def test_count_reads_as_a_number_on_the_host_and_a_float_in_jit():
    c = Count(jnp.uint32(3), jnp.uint32(7))
    value = 3 * 2**32 + 7
    assert int(c) == value and c == value and c != value + 1
    assert f"{c:,}" == f"{value:,}" and float(c) == float(value)
    assert (
        repr(c) == f"Count({value})"
        and bool(Count(jnp.uint32(0), jnp.uint32(0))) is False
    )
    assert jax.jit(Count.as_float)(c) == jnp.float32(value)
    assert hex(c) == hex(value)
