"""The integer search behind pieces and milestones: exact, and flat in cost."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdecay._core import numerics as num

INT_MAX = 2**31 - 1


def _cases():
    rng = np.random.default_rng(0)
    yield np.array([5])
    yield np.array([0, 0, 0])
    yield np.array([INT_MAX])
    yield np.array([3, 3, 10, 2**24, 2**24 + 1, 2**30, INT_MAX - 1, INT_MAX])
    yield np.array([1, 2, 3, 4, 5, 6, 7, 8, 9])  # one past the compared ones
    yield np.arange(1, 5001) * 70  # evenly spread
    yield np.sort(rng.integers(0, 50, 200))  # many repeats
    yield np.sort(np.append(rng.integers(0, 100, 100), INT_MAX))  # clustered: fallback
    yield np.cumsum(rng.integers(1, 200, 1000))


# Steps per case (padded by repeating the last one): the programs taking the
# steps as an argument, and the steps' transfer, compile once per shape.
N_STEPS = 16384
N_SCALARS = 50


# Traced boundaries (vmap over parameters): compare-all or binary search; the
# boundaries are an argument, so cases with as many boundaries share a program.
@jax.jit
def _traced_boundaries(b, n):
    return num.count_at_most(b, n)


@pytest.mark.parametrize("b", list(_cases()), ids=lambda b: f"n{len(b)}")
def test_count_at_most_matches_searchsorted(b):
    rng = np.random.default_rng(1)
    steps = np.concatenate(
        [b - 1, b, b + 1, [0, INT_MAX - 1, INT_MAX], rng.integers(0, INT_MAX, 200)]
    )
    steps = np.unique(np.clip(steps, 0, INT_MAX)).astype(np.int32)
    assert steps.size <= N_STEPS
    steps = np.pad(steps, (0, N_STEPS - steps.size), mode="edge")
    want = np.searchsorted(b, steps, side="right")

    # Concrete boundaries (table path unless too clustered): an array of steps,
    # and scalar steps (one at a time, in a loop), in one program.
    @jax.jit
    def concrete(n, scalars):
        return num.count_at_most(b, n), jax.lax.map(
            lambda t: num.count_at_most(b, t), scalars
        )

    got, got_scalars = concrete(steps, steps[:N_SCALARS])
    np.testing.assert_array_equal(np.asarray(got), want)
    assert got_scalars.shape == (N_SCALARS,)  # one scalar result per step
    np.testing.assert_array_equal(np.asarray(got_scalars), want[:N_SCALARS])
    # Traced boundaries.
    got = _traced_boundaries(np.minimum(b, INT_MAX).astype(np.int32), steps)
    np.testing.assert_array_equal(np.asarray(got), want)


def test_few_boundaries_are_compared_without_a_table():
    for n in range(1, num.COMPARE_MAX + 1):
        b = np.arange(1, n + 1) * 70
        jaxpr = jax.make_jaxpr(lambda t, b=b: num.count_at_most(b, t))(jnp.int32(0))
        text = str(jaxpr)
        assert "gather" not in text and "dynamic_slice" not in text, text


def test_table_is_used_and_jaxpr_does_not_grow():
    sizes = {}
    for n in (num.COMPARE_MAX + 2, 100, 5000):
        b = np.arange(1, n) * 70
        jaxpr = jax.make_jaxpr(lambda t, b=b: num.count_at_most(b, t))(jnp.int32(0))
        text = str(jaxpr)
        assert "scan" not in text and "while" not in text
        if n > 100:  # no comparison against the whole table
            assert f"bool[{n - 1}]" not in text, text
        sizes[n] = len(jaxpr.jaxpr.eqns)
    assert len(set(sizes.values())) == 1, sizes
