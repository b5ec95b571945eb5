"""Schedules inside optax optimizers: reading them back, any hyperparameter on
a schedule, the one-cycle momentum pairing, per-group schedules."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from absl.testing import parameterized
from catalog import r_one_cycle

import jaxdecay as jd

RTOL = 1e-6  # float32 against float64 references


@pytest.fixture(autouse=True)
def _standard_promotion():
    # optax mixes weak and strong types internally; the strict promotion of
    # conftest.py is for the library's own code.
    with jax.numpy_dtype_promotion("standard"):
        yield


def _params():
    return {
        "embed": jnp.ones((4, 2)),
        "dense": {"w": jnp.ones((2, 3)), "b": jnp.zeros(3)},
    }


def _grads(params):
    return jax.tree.map(jnp.ones_like, params)


def _run(opt, steps, params=None):
    """Applies ``steps`` updates; returns the states after init and each update."""
    params = _params() if params is None else params
    state = opt.init(params)
    states = [state]
    update = jax.jit(opt.update)
    for _ in range(steps):
        updates, state = update(_grads(params), state, params)
        params = optax.apply_updates(params, updates)
        states.append(state)
    return states


# -- hyperparams ------------------------------------------------------------

LR = jd.warmup_cosine_decay(1e-2, warmup_steps=3, decay_steps=10)


def _inject(lr=LR):
    return optax.inject_hyperparams(optax.adam)(learning_rate=lr)


WRAPPERS = {
    "plain": lambda: _inject(),
    "chain": lambda: optax.chain(optax.clip_by_global_norm(1.0), _inject()),
    "multi_steps": lambda: optax.MultiSteps(_inject(), every_k_schedule=1),
    "apply_if_finite": lambda: optax.apply_if_finite(
        _inject(), max_consecutive_errors=3
    ),
    "masked": lambda: optax.masked(_inject(), {"embed": True, "dense": False}),
    "nested": lambda: optax.chain(
        optax.MultiSteps(optax.apply_if_finite(_inject(), 3), every_k_schedule=1)
    ),
}


class HyperparamsTest(parameterized.TestCase):
    @parameterized.named_parameters(*WRAPPERS.items())
    def test_finds_the_rate_used_by_the_latest_update(self, make):
        states = _run(make(), 6)
        # After init: the rate of the first update; after update k (k >= 1):
        # the rate that update used, LR(k - 1).
        for k, state in enumerate(states):
            got = jd.hyperparams(state)
            self.assertEqual(set(got), {"learning_rate", "b1", "b2", "eps", "eps_root"})
            chex.assert_trees_all_close(
                got["learning_rate"], LR(max(k - 1, 0)), rtol=RTOL
            )
            chex.assert_trees_all_close(got["b1"], 0.9, rtol=RTOL)

    def test_inside_jit(self):
        opt = WRAPPERS["nested"]()
        params = _params()

        @jax.jit
        def step(state):
            _, state = opt.update(_grads(params), state, params)
            return state, jd.hyperparams(state)["learning_rate"]

        state = opt.init(params)
        rates = []
        for _ in range(5):
            state, lr = step(state)
            rates.append(lr)
        chex.assert_trees_all_close(
            jnp.stack(rates), jnp.stack([LR(k) for k in range(5)]), rtol=RTOL
        )

    def test_duplicates_are_named_by_where_they_are(self):
        opt = optax.multi_transform(
            {
                "embed": optax.inject_hyperparams(optax.sgd)(learning_rate=0.1),
                "rest": optax.inject_hyperparams(optax.adamw)(
                    learning_rate=LR, weight_decay=jd.linear_decay(1e-2, 1e-3)
                ),
            },
            {"embed": "embed", "dense": {"w": "rest", "b": "rest"}},
        )
        got = jd.hyperparams(opt.init(_params()))
        self.assertIn("embed/learning_rate", got)
        self.assertIn("rest/learning_rate", got)
        self.assertNotIn("learning_rate", got)
        # Names found once keep their bare name.
        self.assertIn("weight_decay", got)
        self.assertIn("b1", got)

    def test_chain_positions(self):
        opt = optax.chain(
            optax.inject_hyperparams(optax.add_decayed_weights)(weight_decay=0.5),
            optax.inject_hyperparams(optax.sgd)(learning_rate=0.1),
            optax.inject_hyperparams(optax.scale)(step_size=-1.0),
        )
        got = jd.hyperparams(opt.init(_params()))
        self.assertEqual(set(got), {"weight_decay", "learning_rate", "step_size"})

    def test_injection_inside_an_injection(self):
        inner = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)
        outer = optax.inject_hyperparams(
            lambda learning_rate: optax.chain(inner, optax.scale(learning_rate))
        )(learning_rate=0.5)
        got = jd.hyperparams(outer.init(_params()))
        self.assertEqual(sorted(got), ["0/learning_rate", "learning_rate"])
        chex.assert_trees_all_close(got["learning_rate"], 0.5, rtol=RTOL)
        chex.assert_trees_all_close(got["0/learning_rate"], 0.1, rtol=RTOL)

    def test_flax_nnx_optimizer(self):
        from flax import nnx

        model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
        optimizer = nnx.Optimizer(model, _inject(), wrt=nnx.Param)
        x = jnp.ones((5, 3))

        @nnx.jit
        def train_step(model, optimizer):
            grads = nnx.grad(lambda m: jnp.mean(m(x) ** 2))(model)
            optimizer.update(model, grads)
            return jd.hyperparams(optimizer)["learning_rate"]

        rates = [train_step(model, optimizer) for _ in range(4)]
        chex.assert_trees_all_close(
            jnp.stack(rates), jnp.stack([LR(k) for k in range(4)]), rtol=RTOL
        )
        for source in (optimizer, optimizer.opt_state):
            got = jd.hyperparams(source)
            chex.assert_trees_all_close(got["learning_rate"], LR(3), rtol=RTOL)
            self.assertIsInstance(got["learning_rate"], jax.Array)

    @parameterized.named_parameters(
        ("adam", lambda: optax.adam(1e-3).init(_params())),
        ("empty", lambda: ()),
        ("array", lambda: jnp.zeros(3)),
    )
    def test_no_injected_hyperparameters_is_an_error(self, make):
        with self.assertRaisesRegex(ValueError, "inject_hyperparams"):
            jd.hyperparams(make())


# -- any hyperparameter on a schedule, the one-cycle momentum pairing -------


class OneCycleMomentumTest(parameterized.TestCase):
    @parameterized.product(three_phase=[False, True], anneal=["cos", "linear"])
    def test_matches_pytorch_cycle_momentum(self, three_phase, anneal):
        total, pct = 50, 0.3
        lr = jd.one_cycle(
            0.1, total, pct_start=pct, anneal=anneal, three_phase=three_phase
        )
        b1 = jd.one_cycle_momentum(lr, base_momentum=0.8, max_momentum=0.95)
        steps = np.arange(total)
        # PyTorch OneCycleLR's phase rule in float64, with the momentum's points.
        want = r_one_cycle(0.1, total, pct, anneal=anneal, three=three_phase,
                           m=(0.8, 0.95))(steps)  # fmt: skip
        for fn in (b1, jax.jit(b1)):
            chex.assert_trees_all_close(
                fn(steps), jnp.asarray(want, jnp.float32), rtol=RTOL
            )

    def test_moves_opposite_to_the_rate_in_an_optimizer(self):
        # 50 steps, as above: eager evaluation compiles each operation once
        # per shape of the steps, so these tests share one shape.
        total = 50
        lr = jd.one_cycle(1e-2, total)
        b1 = jd.one_cycle_momentum(lr)
        opt = optax.inject_hyperparams(optax.adamw)(
            learning_rate=lr, b1=b1, weight_decay=jd.cosine_decay(1e-2, total)
        )
        states = _run(opt, total)
        got = [jd.hyperparams(s) for s in states[1:]]
        rates = np.array([g["learning_rate"] for g in got])
        moms = np.array([g["b1"] for g in got])
        chex.assert_trees_all_close(rates, np.asarray(lr(np.arange(total))), rtol=RTOL)
        chex.assert_trees_all_close(moms, np.asarray(b1(np.arange(total))), rtol=RTOL)
        wd = np.array([g["weight_decay"] for g in got])
        chex.assert_trees_all_close(
            wd, np.asarray(jd.cosine_decay(1e-2, total)(np.arange(total))), rtol=RTOL
        )
        # The momentum is lowest exactly where the rate peaks, highest at both ends.
        self.assertEqual(int(np.argmax(rates)), int(np.argmin(moms)))
        chex.assert_trees_all_close(moms[0], 0.95, rtol=RTOL)
        chex.assert_trees_all_close(moms[-1], 0.95, rtol=RTOL)
        self.assertTrue(
            np.all(
                np.diff(np.sign(np.diff(rates))) * np.diff(np.sign(np.diff(moms))) <= 0
            )
        )

    def test_vmaps_over_steps_and_traces(self):
        b1 = jd.one_cycle_momentum(jd.one_cycle(1.0, 50))
        steps = jnp.arange(50)  # the shape of the steps above
        # The vmap jitted (one program, not an eager kernel per batched
        # operation) against the eager evaluation on the steps at once.
        mapped = jax.jit(jax.vmap(b1))(steps)
        chex.assert_trees_all_close(mapped, b1(steps), rtol=RTOL)

    def test_needs_a_one_cycle(self):
        with self.assertRaisesRegex(
            TypeError, "one_cycle_momentum: `cycle` must be a one_cycle"
        ):
            jd.one_cycle_momentum(jd.cosine_decay(1.0, 10))
        with self.assertRaisesRegex(ValueError, "`base_momentum`.*nan"):
            jd.one_cycle_momentum(jd.one_cycle(1.0, 10), base_momentum=float("nan"))


# -- per-group schedules through multi_transform ----------------------------


def test_per_group_schedules_with_multi_transform():
    embed_lr = jd.constant(1e-3)
    rest_lr = jd.warmup_cosine_decay(1e-2, warmup_steps=2, decay_steps=8)
    opt = optax.multi_transform(
        {
            "embed": optax.inject_hyperparams(optax.sgd)(learning_rate=embed_lr),
            "rest": optax.inject_hyperparams(optax.sgd)(learning_rate=rest_lr),
        },
        param_labels=lambda p: {
            "embed": "embed",
            "dense": jax.tree.map(lambda _: "rest", p["dense"]),
        },
    )
    params = _params()
    state = opt.init(params)
    for t in range(8):
        rate = rest_lr(t)
        updates, state = jax.jit(opt.update)(_grads(params), state, params)
        # SGD with unit gradients: each update is exactly -rate(t) per group.
        chex.assert_trees_all_close(
            updates["embed"], jnp.full((4, 2), -embed_lr(t)), rtol=RTOL
        )
        for leaf in jax.tree.leaves(updates["dense"]):
            chex.assert_trees_all_close(leaf, jnp.full_like(leaf, -rate), rtol=RTOL)
        got = jd.hyperparams(state)
        chex.assert_trees_all_close(got["embed/learning_rate"], embed_lr(t), rtol=RTOL)
        chex.assert_trees_all_close(got["rest/learning_rate"], rest_lr(t), rtol=RTOL)
        params = optax.apply_updates(params, updates)
