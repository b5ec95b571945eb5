"""The fusible elementary functions (``jaxdecay._core.elementary``) against NumPy's
float64 values, in ulps of the result's own format; their values at 0, the
infinities and NaN; their derivatives; and that each fuses into a training
step's update kernels (adds no kernel), which is why they exist."""

from __future__ import annotations

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdecay._core import elementary as el
from jaxdecay._core import numerics as num
from tests.test_inject import _kernels as kernels

RNG = np.random.default_rng(0)
INPUTS = np.concatenate(
    [
        RNG.uniform(-1, 1, 3000),
        RNG.uniform(-40, 40, 3000),
        np.exp(RNG.uniform(-80, 80, 3000)),
        -np.exp(RNG.uniform(-80, 80, 500)),
        [0.0, 1.0, 2.0, 0.5, 1e-30, 3e38, 88.7, 89.0, -103.0, -104.0, 708.0],
    ]
)

# name: (function, float64 reference, worst ulps float32, worst ulps float64)
FUNCTIONS = {
    "exp": (el.exp, np.exp, 1.0, 1.0),
    "expm1": (el.expm1, np.expm1, 2.0, 2.0),
    "log": (el.log, np.log, 1.0, 1.0),
    "log1p": (el.log1p, np.log1p, 1.5, 1.5),
    "sqrt": (el.sqrt, np.sqrt, 0.5, 0.5),
    "tanh": (el.tanh, np.tanh, 2.5, 3.0),
    "recip": (el.recip, lambda x: 1 / x, 1.5, 1.0),
}


def _ulps(got, want, dtype):
    """Errors in ulps of the result's format, where the result is a normal
    number of that format (XLA flushes subnormals to 0)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    info = np.finfo(dtype)
    normal = (
        np.isfinite(want) & (np.abs(want) >= info.tiny) & (np.abs(want) <= info.max)
    )
    spacing = np.spacing(np.abs(want[normal]).astype(dtype)).astype(np.float64)
    return np.abs(got[normal] - want[normal]) / spacing


def _inputs(dtype):
    x = INPUTS.astype(dtype)
    return x[(np.abs(x) >= np.finfo(dtype).tiny) | (x == 0)]  # no subnormals


@functools.cache
def _jitted_values(dtype):
    """Every function of FUNCTIONS at ``_inputs(dtype)``, jitted: one program
    per dtype computes them all (each test below reads its own)."""
    with jax.enable_x64(dtype == np.float64), np.errstate(all="ignore"):
        x = jnp.asarray(_inputs(dtype))
        values = jax.jit(lambda x: {k: f[0](x) for k, f in FUNCTIONS.items()})(x)
        return {k: np.asarray(v) for k, v in values.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "x64"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_accuracy_in_ulps(name, dtype):
    fn, ref, worst32, worst64 = FUNCTIONS[name]
    with jax.enable_x64(dtype == np.float64), np.errstate(all="ignore"):
        x = _inputs(dtype)
        want = ref(x.astype(np.float64))
        got = _jitted_values(dtype)[name]
        assert got.dtype == dtype
        errors = _ulps(got, want, dtype)
        assert errors.size > 5000
        assert errors.max() <= (worst32 if dtype == np.float32 else worst64), (
            errors.max()
        )
        # past the format's range: the infinity (or 0) the format rounds to
        over = np.isfinite(want) & (np.abs(want) > np.finfo(dtype).max)
        np.testing.assert_array_equal(
            np.asarray(got)[over], np.sign(want[over]) * np.inf
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "x64"])
def test_division_and_power_accuracy(dtype):
    with jax.enable_x64(dtype == np.float64), np.errstate(all="ignore"):
        x = RNG.uniform(-1e3, 1e3, 5000).astype(dtype)
        y = np.exp(RNG.uniform(-20, 20, 5000)).astype(dtype) * RNG.choice([-1, 1], 5000)
        q = jax.jit(el.div)(x, y.astype(dtype))
        assert _ulps(q, x.astype(np.float64) / y, dtype).max() <= 1.0
        # a quotient that a float holds is exact: x / x, n / 8, n / 5
        chex.assert_trees_all_equal(jax.jit(el.div)(y, y), np.ones_like(y))
        whole = np.arange(1, 400).astype(dtype)
        chex.assert_trees_all_equal(
            jax.jit(el.div)(whole * 5, np.full_like(whole, 5)), whole
        )
        base = np.exp(RNG.uniform(-20, 20, 5000)).astype(dtype)
        p = RNG.uniform(-4, 4, 5000).astype(dtype)
        got = jax.jit(el.power)(base, p)
        want = base.astype(np.float64) ** p.astype(np.float64)
        assert _ulps(got, want, dtype).max() <= 3.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "x64"])
def test_special_values_follow_jnp(dtype):
    specials = np.asarray([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0], dtype)
    with jax.enable_x64(dtype == np.float64), np.errstate(all="ignore"):
        x = jnp.asarray(specials)
        # One jitted program per dtype computes every function and its jnp twin.
        pairs = jax.jit(
            lambda x: {
                name: (fn(x), (getattr(jnp, name, None) or jnp.reciprocal)(x))
                for name, (fn, _, _, _) in FUNCTIONS.items()
            }
        )(x)
        for name, (got, want) in pairs.items():
            got, want = np.asarray(got), np.asarray(want)
            np.testing.assert_array_equal(got[:5], want[:5], err_msg=name)
            np.testing.assert_allclose(got[5:], want[5:], rtol=3e-7, err_msg=name)
            signed = ~np.isnan(want)  # (a NaN's sign means nothing)
            np.testing.assert_array_equal(
                np.signbit(got[signed]), np.signbit(want[signed]), err_msg=name
            )
        b = jnp.asarray([0.0, 0.0, 0.0, np.inf, np.inf, 4.0, 1.0, -2.0, np.nan], dtype)
        p = jnp.asarray([2.0, -1.0, 0.0, -1.0, 2.0, 0.5, 7.5, 0.5, 1.0], dtype)
        np.testing.assert_array_equal(el.power(b, p), jnp.power(b, p))
        # the exact values a schedule relies on
        assert el.exp(jnp.zeros((), dtype)) == 1 and el.log(jnp.ones((), dtype)) == 0
        assert (
            el.expm1(jnp.zeros((), dtype)) == 0 and el.log1p(jnp.zeros((), dtype)) == 0
        )


class TestDerivatives(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_derivatives_vmap_and_traced_inputs(self):
        x = jnp.asarray([0.3, 1.7, 2.5])
        refs = {
            "exp": np.exp,
            "expm1": np.exp,
            "log": lambda v: 1 / v,
            "log1p": lambda v: 1 / (1 + v),
            "sqrt": lambda v: 0.5 / np.sqrt(v),
            "tanh": lambda v: 1 - np.tanh(v) ** 2,
            "recip": lambda v: -1 / v**2,
        }
        for name, ref in refs.items():
            fn = FUNCTIONS[name][0]
            grad = self.variant(jax.vmap(jax.grad(fn)))(x)
            chex.assert_trees_all_close(grad, ref(np.asarray(x, np.float64)), rtol=2e-6)
        dx, dp = self.variant(jax.grad(el.power, argnums=(0, 1)))(2.0, 3.0)
        chex.assert_trees_all_close((dx, dp), (12.0, 8 * np.log(2.0)), rtol=1e-6)
        dx, dy = self.variant(jax.grad(el.div, argnums=(0, 1)))(3.0, 4.0)
        chex.assert_trees_all_close((dx, dy), (0.25, -3 / 16), rtol=1e-6)


def test_integer_division_is_exact_for_every_step():
    for x64 in (False, True):
        with jax.enable_x64(x64):
            top = num.top_step()
            dtype = np.int64 if x64 else np.int32
            n = np.concatenate(
                [RNG.integers(0, top, 3000, dtype=np.int64), [0, 1, top - 1, top]]
            ).astype(dtype)
            ints = [int(v) for v in n]
            for k in [1, 3, 1000, 2**20 + 7, 2**31 - 1, top]:
                for period in (k, jnp.asarray(k, dtype)):
                    q, r = jax.jit(num.divmod_steps)(jnp.asarray(n), period)
                    assert [int(v) for v in np.asarray(q)] == [v // k for v in ints]
                    assert [int(v) for v in np.asarray(r)] == [v % k for v in ints]


def _t(n):
    return n.astype(jnp.float32) * 0.37 + 1.5


def _rate_kernels(fn):
    """Kernels a jitted adamw step with the rate ``fn(count)`` runs."""
    with jax.numpy_dtype_promotion("standard"):  # optax mixes weak types
        return kernels(optax.adamw(lambda n: 1e-3 * fn(_t(n))))


@functools.cache
def _polynomial_rate_kernels():
    """The reference of every count below, a polynomial rate: compiled once."""
    return _rate_kernels(lambda t: t * t)


def _kernels(fn):
    """Kernels a jitted adamw step with the rate ``fn(count)`` runs beyond
    one with a polynomial rate."""
    return _rate_kernels(fn) - _polynomial_rate_kernels()


@pytest.mark.parametrize(
    "name", ["exp", "expm1", "log", "log1p", "sqrt", "tanh", "recip", "div", "power"]
)
def test_each_fuses_into_the_update_kernels(name):
    fns = {
        "div": lambda x: el.div(1.0, x),
        "power": lambda x: el.power(x, 0.37),
        **{k: v[0] for k, v in FUNCTIONS.items()},
    }
    assert _kernels(fns[name]) == 0
    if name in ("exp", "log", "tanh", "sqrt"):  # what they replace does not
        assert _kernels(getattr(jnp, name)) >= 1
