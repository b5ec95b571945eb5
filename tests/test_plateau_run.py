"""reduce_on_plateau fitted to a run: a warmup whose metrics are ignored
(``start_step``) and one decision per epoch (``every``).

The reference is a float64 pure-Python transcription of PyTorch's rule with the
gate written from its definition: the metric of the update at count ``c`` is
considered when ``c >= start_step`` and ``(c - start_step) % every == 0``;
any other metric leaves the rule's state alone.

Tolerances: float32 results against the float64 reference at ``rtol=1e-6``
(each reduction is one float32 rounding of ``value * factor``); results that
must not change at all (the defaults against today's rule, ignored metrics)
are compared exactly.
"""

from __future__ import annotations

import math
import pickle
import re

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdecay as jd
from jaxdecay._catalog.plateau import PlateauState, reduce_on_plateau
from tests.test_plateau import reference_rates

RTOL = 1e-6
INT_MAX = 2**31 - 1


def reference(metrics, start_step=0, every=1, base=1.0, **config):
    """PyTorch's ReduceLROnPlateau in float64, gated (test_plateau's
    reference): the value after each metric, and the best metric after each
    (a non-finite metric never becomes the best, as in jaxdecay)."""
    bests: list = []
    values = reference_rates(
        metrics, base, start_step=start_step, every=every, bests=bests, **config
    )
    return values, np.asarray(bests, np.float64)


@jax.jit
def run(plateau, metrics):
    """Drives the state with lax.scan; the plateau is an argument, so its
    numbers (start_step and every included) are traced."""

    def step(state, metric):
        state = plateau.update(state, value=metric)
        return state, (plateau(state), state)

    return jax.lax.scan(step, plateau.init(), metrics)


def _metrics(seed, n=60):
    rng = np.random.default_rng(seed)
    walk = 1.0 + np.cumsum(rng.normal(-0.01, 0.03, n))
    return walk.astype(np.float32)


CONFIGS = [
    {"start_step": 5, "patience": 2},
    {"every": 4, "patience": 1},
    {"start_step": 7, "every": 3, "patience": 1, "factor": 0.5},
    {"start_step": 10, "every": 5, "patience": 0, "cooldown": 1, "base": 0.3},
    {"start_step": 3, "every": 2, "patience": 1, "mode": "max", "factor": 0.5},
    {"start_step": 0, "every": 6, "patience": 0, "threshold": 0.0},
    {"start_step": 59, "every": 1, "patience": 0},  # only the last is considered
    {"start_step": 100, "patience": 0},  # a warmup longer than the run
]


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_matches_the_gated_rule(config):
    for seed in range(3):
        metrics = _metrics(seed)
        if config.get("mode") == "max":
            metrics = -metrics
        want, best = reference(metrics, **config)
        _, (values, states) = run(reduce_on_plateau(**config), jnp.asarray(metrics))
        chex.assert_trees_all_close(np.asarray(values, np.float64), want, rtol=RTOL)
        chex.assert_trees_all_close(
            np.asarray(states.best, np.float64), best, rtol=RTOL
        )


def test_the_sweep_is_not_vacuous():
    """The gate matters: with it the rates differ from the ungated rule's, and
    most configurations reduce."""
    differs = reduces = 0
    for config in CONFIGS[:6]:
        plain = {k: v for k, v in config.items() if k not in ("start_step", "every")}
        changed = cut = False
        for seed in range(3):
            metrics = _metrics(seed)
            if config.get("mode") == "max":
                metrics = -metrics
            gated, _ = reference(metrics, **config)
            changed |= not np.array_equal(gated, reference(metrics, **plain)[0])
            cut |= len(set(gated.tolist())) > 1
        differs += changed
        reduces += cut
    assert differs == 6 and reduces >= 4, (differs, reduces)


class GatedVariants(chex.TestCase):
    """Eager and jitted updates agree with the reference."""

    @chex.variants(with_jit=True, without_jit=True)
    def test_update(self):
        plateau = reduce_on_plateau(0.5, patience=1, start_step=4, every=3)
        update = self.variant(lambda s, m: plateau.update(s, value=m))
        metrics = _metrics(2, 30)
        state, got = plateau.init(), []
        for m in metrics:
            state = update(state, m)
            got.append(plateau(state))
        want, _ = reference(metrics, factor=0.5, patience=1, start_step=4, every=3)
        chex.assert_trees_all_close(np.asarray(got, np.float64), want, rtol=RTOL)


def test_the_gate_is_the_plain_rule_on_the_considered_metrics():
    """Per-update reports with ``every = E`` and ``start_step = W`` give, after
    each considered report, what the plain rule gives when it is stepped once
    per considered report (the per-epoch loop of fairseq and timm)."""
    metrics = _metrics(3, 90)
    gated = reduce_on_plateau(0.5, patience=0, start_step=6, every=7)
    plain = reduce_on_plateau(0.5, patience=0)
    _, (values, _) = run(gated, jnp.asarray(metrics))
    considered = np.arange(6, 90, 7)
    _, (per_epoch, _) = run(plain, jnp.asarray(metrics[considered]))
    np.testing.assert_array_equal(np.asarray(values)[considered], per_epoch)
    assert len(set(np.asarray(per_epoch).tolist())) >= 3  # it did reduce


def test_timm_warmup_maps_to_start_step():
    """timm's PlateauLRScheduler ignores ``step(epoch, metric)`` for
    ``epoch <= warmup_t`` (its training loop passes ``epoch + 1``): the first
    ``warmup_t`` reports.  ``start_step=warmup_t`` with one update per epoch
    does the same."""
    warmup_t, metrics = 3, _metrics(4, 40)
    epochs = np.arange(1, len(metrics) + 1)  # timm's step(epoch + 1, metric)
    kept = metrics[epochs > warmup_t]
    want, _ = reference(kept, factor=0.5, patience=1)
    _, (values, _) = run(
        reduce_on_plateau(0.5, patience=1, start_step=warmup_t), jnp.asarray(metrics)
    )
    chex.assert_trees_all_close(
        np.asarray(values, np.float64)[warmup_t:], want, rtol=RTOL
    )
    np.testing.assert_array_equal(np.asarray(values)[:warmup_t], 1.0)


def test_defaults_are_todays_rule_bit_for_bit():
    """With the defaults the gate is left out of the program; a traced gate at
    its defaults (the plateau a jit argument) selects the same bits."""
    metrics = jnp.asarray(_metrics(5))
    explicit = reduce_on_plateau(0.5, patience=1, start_step=0, every=1)
    plain = reduce_on_plateau(0.5, patience=1)
    assert explicit == plain and hash(explicit) == hash(plain)
    assert explicit._considered(jnp.int32(3)) is None

    @jax.jit
    def closed(metrics):  # the plateau a constant: no gate
        def step(state, metric):
            state = plain.update(state, value=metric)
            return state, (plain(state), state)

        return jax.lax.scan(step, plain.init(), metrics)

    _, (a, sa) = run(explicit, metrics)  # traced start_step and every
    _, (b, sb) = closed(metrics)
    np.testing.assert_array_equal(sa.data, sb.data)
    np.testing.assert_array_equal(a, b)
    assert len(set(np.asarray(a).tolist())) > 1


def test_an_ignored_metric_changes_only_the_count():
    plateau = reduce_on_plateau(0.5, patience=0, cooldown=2, start_step=3, every=2)
    state = PlateauState.pack(0.25, 0.5, 0, 2, 4, previous=0.75)  # count 4: odd
    after = plateau.update(state, value=100.0)
    assert int(after.count) == 5
    for name in ("value", "best", "num_bad_steps", "cooldown_counter"):
        assert getattr(after, name) == getattr(state, name), name
    # The rate this update used is the value before it (which it kept).
    assert float(after.previous) == 0.25 and float(plateau(after)) == 0.25
    # Count 5 is on the beat: the bad metric is counted (under cooldown: reset).
    again = plateau.update(after, value=100.0)
    assert int(again.cooldown_counter) == 1 and int(again.num_bad_steps) == 0
    # Before start_step nothing is considered, even an improvement.
    early = plateau.update(plateau.init(), value=-1.0)
    assert float(early.best) == math.inf and int(early.count) == 1


def test_the_count_saturates_and_the_gate_with_it():
    """Past 2**31 - 1 updates the count stays at its top; the gate then
    considers every metric or none, as the docstring says."""
    base = PlateauState.pack(1.0, 1.0, 0, 0, INT_MAX)
    odd = reduce_on_plateau(patience=0, every=2)  # (2**31 - 1) % 2 == 1: none
    for _ in range(2):
        base2 = odd.update(base, value=5.0)
        assert int(base2.count) == INT_MAX and int(base2.num_bad_steps) == 0
        assert float(base2.value) == 1.0
    # (2**31 - 1 - 1) % 2 == 0: every metric is considered.
    on = reduce_on_plateau(patience=0, start_step=1, every=2)
    assert float(on.update(base, value=5.0).value) == pytest.approx(0.1)


def test_traced_and_vmapped_gates():
    metrics = jnp.asarray(_metrics(6, 40))
    everies = jnp.asarray([1, 2, 5])
    starts = jnp.asarray([0, 3, 8])

    def rates(start, every):
        plateau = reduce_on_plateau(0.5, patience=1, start_step=start, every=every)
        return run(plateau, metrics)[1][0]

    got = jax.vmap(rates)(starts, everies)
    for i in range(3):
        want, _ = reference(
            np.asarray(metrics),
            factor=0.5,
            patience=1,
            start_step=int(starts[i]),
            every=int(everies[i]),
        )
        chex.assert_trees_all_close(np.asarray(got[i], np.float64), want, rtol=RTOL)


def test_vmap_over_states():
    plateau = reduce_on_plateau(0.5, patience=1, start_step=2, every=3)
    batch = np.stack([_metrics(k, 30) for k in range(3)], axis=1)
    states = jax.vmap(lambda _: plateau.init())(jnp.arange(3))
    update = jax.jit(jax.vmap(lambda s, m: plateau.update(s, value=m)))
    values = []
    for row in batch:
        states = update(states, row)
        values.append(jax.vmap(plateau)(states))
    want = np.stack(
        [
            reference(batch[:, i], factor=0.5, patience=1, start_step=2, every=3)[0]
            for i in range(3)
        ],
        axis=1,
    )
    chex.assert_trees_all_close(np.asarray(values, np.float64), want, rtol=RTOL)


# ---------------------------------------------------------------------------
# The optax forms: per-update reports, one decision per epoch.

STEPS_PER_EPOCH = 4
WARMUP = 8  # two epochs


def _train(opt, losses):
    params = jnp.zeros(2)
    with jax.numpy_dtype_promotion("standard"):
        state = opt.init(params)

    @jax.jit
    def step(state, loss):
        grads = jnp.ones(2)
        with jax.numpy_dtype_promotion("standard"):
            updates, state = opt.update(grads, state, params, value=loss)
        return state, updates

    _, updates = jax.lax.scan(step, state, losses)
    return np.asarray(updates[:, 0], np.float64)


def test_per_epoch_decisions_through_inject_and_as_transform():
    """sgd(1) scaled by the plateau: each update is -(rate used).  optax uses
    the rate before it updates the state, so update ``c`` uses the value after
    the metrics of updates ``0 .. c-1``."""
    rng = np.random.default_rng(7)
    epochs = 12
    # One validation-like loss per epoch, reported at each of its updates, and
    # noise at the updates in between (ignored: only the first update of each
    # epoch is considered).
    per_epoch = np.maximum(1.0 - 0.1 * np.arange(epochs), 0.45)
    losses = np.repeat(per_epoch, STEPS_PER_EPOCH) + 5.0 * rng.random(
        epochs * STEPS_PER_EPOCH
    )
    losses[::STEPS_PER_EPOCH] = per_epoch
    losses = losses.astype(np.float32)
    config = {"factor": 0.5, "patience": 1}
    gate = {"start_step": WARMUP, "every": STEPS_PER_EPOCH}
    after, _ = reference(losses, base=0.2, **config, **gate)
    used = np.concatenate([[0.2], after[:-1]])
    assert len(set(used.tolist())) >= 3  # the plateau of the last epochs cuts
    plateau = reduce_on_plateau(**config, **gate, base=0.2)
    for opt in (
        optax.inject_hyperparams(optax.sgd)(learning_rate=plateau),
        jd.inject(optax.sgd)(learning_rate=plateau),
        optax.chain(optax.sgd(1.0), plateau.as_transform()),
    ):
        chex.assert_trees_all_close(-_train(opt, jnp.asarray(losses)), used, rtol=RTOL)
    # Without the gate, the noisy reports would cut early.
    plain, _ = reference(losses, base=0.2, **config)
    assert plain[WARMUP] < after[WARMUP]


# ---------------------------------------------------------------------------
# The value: config, repr, pickle, errors.

GATED = [
    reduce_on_plateau(start_step=100),
    reduce_on_plateau(0.5, 3, every=250, base=0.1),
    reduce_on_plateau(patience=2, start_step=1000, every=500),
    jd.cosine_decay(1.0, 100) * reduce_on_plateau(start_step=10, every=5) * 2.0,
]


@pytest.mark.parametrize("plateau", GATED, ids=repr)
def test_config_repr_and_pickle_round_trip(plateau):
    config = plateau.to_config()
    assert jd.from_config(config) == plateau
    assert jd.parse(repr(plateau)) == plateau
    back = pickle.loads(pickle.dumps(plateau))
    assert back == plateau and hash(back) == hash(plateau)
    assert "start_step" in repr(plateau) or "every" in repr(plateau)


def test_config_lists_only_what_differs():
    assert reduce_on_plateau(start_step=0, every=1).to_config() == {
        "name": "reduce_on_plateau"
    }
    assert reduce_on_plateau(start_step=7, every=3).to_config() == {
        "name": "reduce_on_plateau",
        "start_step": 7,
        "every": 3,
    }
    assert repr(reduce_on_plateau(every=3)) == "reduce_on_plateau(every=3)"


def test_integral_floats_are_counts():
    plateau = reduce_on_plateau(start_step=4.0, every=np.int64(2))
    assert plateau.start_step == 4 and type(plateau.start_step) is int
    assert plateau.every == 2 and type(plateau.every) is int


def fails(param, shown):
    return rf"^reduce_on_plateau: `{param}` .*; got {param}={re.escape(shown)}\.$"


BAD = [
    ({"start_step": -1}, ValueError, fails("start_step", "-1")),
    ({"start_step": 2.5}, ValueError, fails("start_step", "2.5")),
    ({"start_step": math.nan}, ValueError, fails("start_step", "nan")),
    ({"start_step": True}, TypeError, fails("start_step", "True")),
    ({"start_step": 2**31}, ValueError, fails("start_step", "2147483648")),
    ({"start_step": [1]}, TypeError, fails("start_step", "[1]")),
    ({"every": 0}, ValueError, fails("every", "0")),
    ({"every": -3}, ValueError, fails("every", "-3")),
    ({"every": 1.5}, ValueError, fails("every", "1.5")),
    ({"every": None}, TypeError, fails("every", "None")),
    ({"every": 2**31}, ValueError, fails("every", "2147483648")),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD, ids=repr)
def test_rejects_bad_gates_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        reduce_on_plateau(**kwargs)


def test_the_int32_limit_is_explained():
    with pytest.raises(
        ValueError,
        match=r"`every` must be an integer in \[1, 2147483647\] \(the update "
        r"count is an int32",
    ):
        reduce_on_plateau(every=2**40)
    plateau = reduce_on_plateau(start_step=INT_MAX, every=INT_MAX)
    assert float(plateau(plateau.update(plateau.init(), value=1.0))) == 1.0
