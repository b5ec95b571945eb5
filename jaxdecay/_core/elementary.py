"""Elementary functions made of operations that XLA copies into every kernel
that reads them.

XLA counts ``exp``, ``log``, ``tanh``, ``sqrt``, ``pow`` and division as
expensive: it does not copy them into each consumer.  In a training step the
learning rate is read by the update kernel of every parameter, so a rate
computed with them runs in kernels of its own, launched at every step.  The
functions here use only multiplications, additions, comparisons, rounding and
bit operations, which XLA copies freely (as it does the cosine's sine
polynomial), so a schedule built on them fuses into the update kernels and
adds no kernel to the step.

Each is accurate to about an ulp in float32 and in float64 (see
``tests/test_elementary.py``), follows ``jnp``'s values at 0, the infinities,
NaN and subnormal inputs, and has the exact derivative.
"""

from __future__ import annotations

import math
from decimal import Decimal

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "div",
    "erf_inv",
    "exp",
    "expm1",
    "high_bits",
    "log",
    "log1p",
    "power",
    "recip",
    "sqrt",
    "tanh",
    "two_sum",
]


_LN2 = Decimal("0.69314718055994530941723212145817656807550013436026")


class _Format:
    """Constants of one float format."""

    def __init__(self, ftype, itype, mant, bias, recip_magic, rsqrt_magic):
        self.ftype, self.itype = np.dtype(ftype), np.dtype(itype)
        self.mant, self.bias = mant, bias
        self.recip_magic, self.rsqrt_magic = recip_magic, rsqrt_magic
        self.tiny = float(np.finfo(ftype).tiny)
        # ln 2 in two parts, the first with trailing zeros so that n * hi is
        # exact for every exponent n.
        hi = float(np.asarray(math.log(2), ftype))
        bits = np.asarray(hi, ftype).view(itype)
        hi = float(np.asarray(bits & ~((1 << (mant // 2)) - 1), itype).view(ftype))
        self.ln2_hi, self.ln2_lo = hi, float(_LN2 - Decimal(hi))
        self.exp_terms = 8 if mant == 23 else 14  # r**k / k!, |r| <= ln2 / 2
        self.expm1_terms = 12 if mant == 23 else 20  # x**k / (k + 1)!, |x| < 1
        self.log_terms = 5 if mant == 23 else 11  # s**(2k) / (2k + 1)
        self.newton = 4 if mant == 23 else 5
        # past these, exp is inf (0): ln of the largest (half the smallest)
        self.exp_hi = math.log(float(np.finfo(ftype).max))
        self.exp_lo = math.log(float(np.finfo(ftype).smallest_subnormal)) - math.log(2)
        self.tanh_one = 9.1 if mant == 23 else 19.1  # tanh rounds to 1 beyond


_F32 = _Format(np.float32, np.int32, 23, 127, 0x7EF311C3, 0x5F3759DF)
_F64 = _Format(np.float64, np.int64, 52, 1023, 0x7FDE623822FC16E6, 0x5FE6EB50C7B537A9)


def _format(x):
    return _F64 if x.dtype == jnp.float64 else _F32


def _float(x):
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"expected a float array, got {x.dtype}")
    return x


def _horner(coeffs, x):
    p = jnp.full_like(x, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        p = p * x + c
    return p


def _pow2(n, fmt):
    """``2**n`` for whole floats ``n`` within the normal exponents."""
    k = n.astype(fmt.itype) + fmt.bias
    return jax.lax.bitcast_convert_type(
        jax.lax.shift_left(k, jnp.asarray(fmt.mant, fmt.itype)), fmt.ftype
    )


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly.  Under
    ``jit`` give a constant as ``b``: XLA folds ``(x + c) - c`` to ``x``."""
    s = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    return s, err


def high_bits(x):
    """``x`` with the low half of its significand cleared: products of two
    such halves are exact."""
    fmt = _format(x)
    mask = jnp.asarray(~((1 << ((fmt.mant + 1) // 2)) - 1), fmt.itype)
    bits = jax.lax.bitcast_convert_type(x, fmt.itype)
    return jax.lax.bitcast_convert_type(bits & mask, fmt.ftype)


def _two_prod(a, b):
    """``(p, e)`` with ``p = fl(a b)`` and ``a b = p + e`` (Dekker's product,
    the halves cut with bit masks, which XLA cannot simplify away)."""
    a1, b1 = high_bits(a), high_bits(b)
    a2, b2 = a - a1, b - b1
    p = a * b
    err = ((a1 * b1 - p) + a1 * b2 + a2 * b1) + a2 * b2
    return p, jnp.where(jnp.isfinite(p), err, 0)


# --------------------------------------------------------------------------
# exp and expm1


def _exp_core(x):
    fmt = _format(x)
    n = jnp.clip(jnp.round(x * (1 / math.log(2))), -2 * fmt.bias + 2, fmt.bias + 3)
    r = (x - n * fmt.ln2_hi) - n * fmt.ln2_lo  # |r| <= ln2 / 2
    p = _horner([1 / math.factorial(k) for k in range(fmt.exp_terms)], r)
    half = jnp.floor(n * 0.5)  # two factors, each a normal power of two
    y = p * _pow2(half, fmt) * _pow2(n - half, fmt)
    y = jnp.where(x > fmt.exp_hi, jnp.inf, y)
    y = jnp.where(x < fmt.exp_lo, 0.0, y)
    return jnp.where(jnp.isnan(x), x, y)


@jax.custom_jvp
def exp(x):
    """``e**x``: the nearest power of two times a Taylor polynomial in the
    rest, ``|r| <= ln(2)/2``, to ``r**7/7!`` (``r**13/13!`` in float64)."""
    return _exp_core(_float(x))


@exp.defjvp
def _exp_jvp(primals, tangents):
    y = exp(primals[0])
    return y, tangents[0] * y


@jax.custom_jvp
def expm1(x):
    """``e**x - 1``, relative to its own size: a Taylor polynomial for
    ``|x| < 1``, ``exp(x) - 1`` beyond."""
    x = _float(x)
    fmt = _format(x)
    coeffs = [1 / math.factorial(k + 1) for k in range(fmt.expm1_terms)]
    small = jnp.abs(x) < 1
    near = x * _horner(coeffs, jnp.where(small, x, 0.0))
    return jnp.where(small, near, _exp_core(x) - 1)


@expm1.defjvp
def _expm1_jvp(primals, tangents):
    y = expm1(primals[0])
    return y, tangents[0] * (y + 1)


# --------------------------------------------------------------------------
# log and log1p


def _log_parts(x):
    """``log x = e log 2 + log1p(f)`` for ``x > 0`` finite: the integer ``e``
    (as a float) and ``f = m - 1`` exact, ``m`` in ``[sqrt(1/2), sqrt(2))``."""
    fmt = _format(x)
    scale = float(2 ** (fmt.mant + 1))
    sub = x < fmt.tiny
    xs = jnp.where(sub, x * scale, x)
    bits = jax.lax.bitcast_convert_type(xs, fmt.itype)
    mant = jnp.asarray(fmt.mant, fmt.itype)
    e = jax.lax.shift_right_logical(bits, mant) - fmt.bias
    keep = jnp.asarray((1 << fmt.mant) - 1, fmt.itype)
    one = jnp.asarray(fmt.bias << fmt.mant, fmt.itype)
    m = jax.lax.bitcast_convert_type((bits & keep) | one, fmt.ftype)
    big = m > math.sqrt(2)
    m = jnp.where(big, m * 0.5, m)
    e = e.astype(fmt.ftype) + jnp.where(big, 1.0, 0.0)
    e = e - jnp.where(sub, fmt.mant + 1.0, 0.0)
    return e, m - 1


def _log1p_small(f):
    """``log(1 + f)`` for ``sqrt(1/2) - 1 <= f < sqrt(2) - 1``:
    ``f - s (f - R(s))``, ``s = f / (2 + f)``, the error of ``s`` scaled down
    by ``|s| < 0.18``."""
    fmt = _format(f)
    s = f * recip(f + 2.0)
    s2 = s * s
    coeffs = [2 / (2 * k + 1) for k in range(1, fmt.log_terms + 1)]
    r = s2 * _horner(coeffs, s2)
    return f - s * (f - r)


def _log_specials(x, y):
    y = jnp.where(x == 0, -jnp.inf, y)
    y = jnp.where(x == jnp.inf, jnp.inf, y)
    return jnp.where((x < 0) | jnp.isnan(x), jnp.nan, y)


@jax.custom_jvp
def log(x):
    """The natural logarithm: ``e log 2 + log(m)`` from the bits of ``x``,
    ``log(m)`` by the series of ``2 atanh((m - 1)/(m + 1))``."""
    x = _float(x)
    fmt = _format(x)
    ok = (x > 0) & (x < jnp.inf)
    e, f = _log_parts(jnp.where(ok, x, 1.0))
    y = e * fmt.ln2_hi + (e * fmt.ln2_lo + _log1p_small(f))
    return _log_specials(x, y)


@log.defjvp
def _log_jvp(primals, tangents):
    (x,) = primals
    return log(x), tangents[0] * recip(x)


@jax.custom_jvp
def log1p(x):
    """``log(1 + x)``, relative to its own size: the log of ``u = 1 + x``
    plus the rounding of ``u`` over ``u``."""
    x = _float(x)
    u, c = two_sum(x, jnp.ones_like(x))
    ok = (u > 0) & (u < jnp.inf)
    safe = jnp.where(ok, u, 1.0)
    y = log(safe) + c * recip(safe)
    y = jnp.where(jnp.abs(x) < 0.25, _log1p_small(jnp.where(ok, x, 0.0)), y)
    return _log_specials(u, jnp.where(ok, y, 0.0))


@log1p.defjvp
def _log1p_jvp(primals, tangents):
    (x,) = primals
    return log1p(x), tangents[0] * recip(1 + x)


# --------------------------------------------------------------------------
# Reciprocal, division, square root, tanh, power


def _newton_recip(a, fmt):
    """``1 / a`` for ``a`` in ``[1/2, 2]``."""
    bits = jax.lax.bitcast_convert_type(a, fmt.itype)
    r = jax.lax.bitcast_convert_type(fmt.recip_magic - bits, fmt.ftype)
    for _ in range(fmt.newton):
        r = r * (2 - a * r)
    p, err = _two_prod(a, r)  # one more step, by the exact remainder 1 - a r
    return r + r * ((1 - p) - err)


@jax.custom_jvp
def recip(x):
    """``1 / x``: ``x = m 2**e`` from the bits, a first guess of ``1 / m``
    from the bits, Newton's iteration, and one step by the exact remainder."""
    x = _float(x)
    fmt = _format(x)
    a = jnp.abs(x)
    ok = (a > 0) & (a < jnp.inf)
    e, f = _log_parts(jnp.where(ok, a, 1.0))
    r = _newton_recip(1 + f, fmt)  # m = 1 + f in [sqrt(1/2), sqrt(2))
    half = jnp.floor(-e * 0.5)  # 2**-e in two normal factors
    r = r * _pow2(half, fmt) * _pow2(-e - half, fmt)
    r = jnp.where(a == 0, jnp.inf, jnp.where(a == jnp.inf, 0.0, r))
    r = jnp.where(jnp.isnan(x), jnp.nan, r)
    return jnp.where(jnp.signbit(x), -r, r)


@recip.defjvp
def _recip_jvp(primals, tangents):
    r = recip(primals[0])
    return r, -tangents[0] * r * r


@jax.custom_jvp
def div(x, y):
    """``x / y``, rounded as division rounds (one correction of
    ``x * recip(y)`` by its exact remainder), so ``x / x`` is 1."""
    x, y = jnp.broadcast_arrays(_float(x), _float(y))
    r = recip(y)
    q = x * r
    p, e = _two_prod(q, y)
    rest = (x - p) - e
    better = q + rest * r
    # The remainder is exact only where no product leaves the normal range.
    fmt = _format(q)
    low, high = 2.0 ** (-fmt.bias // 2), 2.0 ** (fmt.bias // 2)
    fine = (jnp.abs(q) > low) & (jnp.abs(q) < high) & (jnp.abs(y) > low)
    fine = fine & (jnp.abs(y) < high)
    return jnp.where(fine, better, q)


@div.defjvp
def _div_jvp(primals, tangents):
    x, y = primals
    q = div(x, y)
    tx, ty = tangents
    return q, (tx - q * ty) * recip(y)


@jax.custom_jvp
def sqrt(x):
    """``sqrt(x)``: a first guess of ``1/sqrt(x)`` from the bits, Newton's
    iteration, and one correction of ``x / sqrt(x)`` by its remainder."""
    x = _float(x)
    fmt = _format(x)
    ok = (x > 0) & (x < jnp.inf)
    # x = xs 4**k with xs in [1, 4): no product below leaves the normal range
    e, _ = _log_parts(jnp.where(ok, x, 1.0))
    k = jnp.floor(e * 0.5)
    xs = jnp.where(ok, x, 1.0) * _pow2(-k, fmt) * _pow2(-k, fmt)
    bits = jax.lax.bitcast_convert_type(xs, fmt.itype)
    half = jax.lax.shift_right_logical(bits, jnp.asarray(1, fmt.itype))
    y = jax.lax.bitcast_convert_type(fmt.rsqrt_magic - half, fmt.ftype)
    for _ in range(fmt.newton):
        y = y * (1.5 - 0.5 * (xs * y) * y)
    s = xs * y
    p, err = _two_prod(s, s)
    s = (s + 0.5 * y * ((xs - p) - err)) * _pow2(k, fmt)
    s = jnp.where(x == 0, x, jnp.where(x == jnp.inf, jnp.inf, s))  # -0 is -0
    return jnp.where((x < 0) | jnp.isnan(x), jnp.nan, s)


@sqrt.defjvp
def _sqrt_jvp(primals, tangents):
    s = sqrt(primals[0])
    return s, tangents[0] * 0.5 * recip(s)


@jax.custom_jvp
def tanh(x):
    """``tanh(x) = expm1(2|x|) / (expm1(2|x|) + 2)`` with the sign of ``x``:
    relative to its own size at every ``x``."""
    x = _float(x)
    fmt = _format(x)
    a = jnp.abs(x)
    inside = a < fmt.tanh_one
    u = expm1(2 * jnp.where(inside, a, 0.0))
    t = jnp.where(inside, div(u, u + 2), 1.0)
    t = jnp.where(jnp.signbit(x), -t, t)
    return jnp.where(jnp.isnan(x), x, t)


@tanh.defjvp
def _tanh_jvp(primals, tangents):
    t = tanh(primals[0])
    return t, tangents[0] * ((1 + t) * (1 - t))


def _log_df(x):
    """``log x`` as a double-float ``(hi, lo)`` for ``x > 0`` finite, exact to
    about an ulp of ``log(m)`` (<= 0.35): the ``e log 2`` part is exact."""
    fmt = _format(x)
    e, f = _log_parts(x)
    return two_sum(e * fmt.ln2_hi, e * fmt.ln2_lo + _log1p_small(f))


@jax.custom_jvp
def power(x, p):
    """``x ** p`` for ``x >= 0`` (jnp's values at 0 and the infinities):
    ``exp(p log x)``, with ``log x`` and the product kept as double-floats, so
    the error does not grow with ``|p log x|``."""
    x, p = jnp.broadcast_arrays(_float(x), _float(p))
    ok = (x > 0) & (x < jnp.inf)
    hi, lo = _log_df(jnp.where(ok, x, 1.0))
    z, err = _two_prod(p, hi)
    err = err + p * lo
    y = _exp_core(z) * (1 + jnp.clip(err, -1e-3, 1e-3))
    zero = jnp.where(p > 0, 0.0, jnp.where(p < 0, jnp.inf, 1.0))
    inf = jnp.where(p > 0, jnp.inf, jnp.where(p < 0, 0.0, 1.0))
    y = jnp.where(x == 0, zero, jnp.where(x == jnp.inf, inf, y))
    y = jnp.where(p == 0, 1.0, y)
    return jnp.where(jnp.isnan(x) | jnp.isnan(p) | (x < 0), jnp.nan, y)


@power.defjvp
def _power_jvp(primals, tangents):
    x, p = primals
    tx, tp = tangents
    y = power(x, p)
    positive = x > 0
    safe = jnp.where(positive, x, 1.0)
    dx = jnp.where(positive, p * y * recip(safe), power(x, p - 1) * p)
    dx = jnp.where(p == 0, 0.0, dx)  # x ** 0 is 1 everywhere (0 * 0**-1 is NaN)
    dp = jnp.where(positive, y * log(safe), 0.0)
    return y, tx * dx + tp * dp


# Giles' single-precision approximation of erfinv ("Approximating the erfinv
# function", GPU Computing Gems, 2011), which XLA's own erf_inv uses.
_ERFINV_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503,
                   0.00021858087, -4.39150654e-06, -3.5233877e-06,
                   3.43273939e-07, 2.81022636e-08)  # fmt: skip
_ERFINV_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613,
                0.00573950773, -0.00367342844, 0.00134934322,
                0.000100950558, -0.000200214257)  # fmt: skip


def erf_inv(x):
    """The inverse error function of float32 ``x`` in ``[-1, 1]`` (Giles'
    polynomials in ``w = -log(1 - x**2)``): what ``jax.random.normal`` draws
    with, made of operations that fuse.  Float32 only (a noise draw)."""
    x = jnp.asarray(x, jnp.float32)
    w = -log1p(-x * x)
    central = w < 5
    p_central = _horner(_ERFINV_CENTRAL, jnp.where(central, w, 2.5) - 2.5)
    p_tail = _horner(_ERFINV_TAIL, sqrt(jnp.where(central, 9.0, w)) - 3)
    y = x * jnp.where(central, p_central, p_tail)
    y = jnp.where(jnp.abs(x) == 1, x * jnp.inf, y)
    return jnp.where(jnp.abs(x) > 1, jnp.nan, y)


# One dispatch each outside a trace (a compiled kernel, cached per shape and
# dtype) instead of dozens of small operations; inside a trace they inline.
exp, expm1, log, log1p = map(jax.jit, (exp, expm1, log, log1p))
recip, div, sqrt, tanh, power = map(jax.jit, (recip, div, sqrt, tanh, power))
erf_inv = jax.jit(erf_inv)
