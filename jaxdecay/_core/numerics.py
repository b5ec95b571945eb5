"""Exact step arithmetic and accurate float evaluation.

A step reaches a schedule as ``(n, f)``: ``n`` a non-negative integer array (the
default integer dtype), ``f`` either ``None`` (integer steps) or the fractional
part in ``[0, 1)`` of a float step.  Everything that decides a piece or a stair
uses ``n`` in integer arithmetic, so it is exact at every int32 step.

Values are computed in the default float dtype.  Where float32 would lose
accuracy at large steps, the products ``step * c`` that feed ``exp`` or a
cancellation are carried as an unevaluated sum ``hi + lo`` of two floats
("double-float"), with ``c`` given the same way from float64 on the host.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import elementary as el
from .checks import is_concrete
from .elementary import high_bits as _high_bits
from .elementary import two_sum as _two_sum


def float_dtype():
    """The default float dtype: float32, or float64 with ``jax_enable_x64``."""
    return jax.dtypes.canonicalize_dtype(np.float64)


def int_dtype():
    """The default integer dtype: int32, or int64 with ``jax_enable_x64``."""
    return jax.dtypes.canonicalize_dtype(np.int64)


def _largest_float_below_int_max(fdtype, idtype) -> float:
    top = np.iinfo(idtype).max
    x = np.asarray(top, dtype=fdtype)
    while int(x) > top:
        x = np.nextafter(x, np.asarray(0, fdtype))
    return float(x)


class Step(NamedTuple):
    """A step as a schedule reads it: ``whole``, a non-negative integer array
    of the default integer dtype, and ``frac``, the fractional part of a float
    step (an array in ``[0, 1)``) or None for integer steps.  Everything that
    decides a piece or a stair reads ``whole``, in integer arithmetic."""

    whole: jax.Array
    frac: jax.Array | None = None


def top_step() -> int:
    """The largest step a schedule can be evaluated at: ``2**31 - 1``, or
    ``2**63 - 1`` with ``jax_enable_x64``.  Larger steps saturate there."""
    return int(np.iinfo(int_dtype()).max)


def _bad_step(step):
    shown = repr(step)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    raise TypeError(
        "schedule: `step` must be an integer or real number, or an array of them; "
        f"got step={shown} (of type {type(step).__name__})."
    )


def split_step(step):
    """Converts a user step into ``(n, f, shape)``; negative steps become 0.

    Concrete steps are split on the host, in exact integer or float64
    arithmetic, before anything is rounded to the device's dtypes: an integer
    step beyond the top saturates there, and a float step keeps its whole part
    exactly (``100_000_001.0`` is step 100,000,001, though float32 cannot hold
    it).  Traced steps are split in their own dtype.
    """
    idtype = int_dtype()
    imax = top_step()
    if isinstance(step, (bool, np.bool_)):
        step = int(step)
    if isinstance(step, int):
        return jnp.asarray(min(max(step, 0), imax), idtype), None, ()
    if isinstance(step, float):
        step = np.float64(step)
    if isinstance(step, (str, bytes, complex, type(None), dict, set)):
        _bad_step(step)
    if isinstance(step, (list, tuple)):
        try:
            step = np.asarray(step)
        except (ValueError, TypeError):
            _bad_step(step)
    if isinstance(step, (np.ndarray, np.generic)):
        host = np.asarray(step)
        if host.dtype == np.bool_:
            host = host.astype(np.int64)
        if np.issubdtype(host.dtype, np.integer):
            if np.issubdtype(host.dtype, np.unsignedinteger):
                host = np.minimum(host, np.uint64(imax)).astype(np.int64)
            return (
                jnp.asarray(np.clip(host, 0, imax).astype(idtype)),
                None,
                host.shape,
            )
        if np.issubdtype(host.dtype, np.floating):
            wide = host.astype(np.float64)
            if np.any(np.isnan(wide)):
                raise ValueError("schedule: `step` must not be NaN; got a NaN step.")
            wide = np.clip(wide, 0.0, float(imax))
            whole = np.floor(wide)
            frac = wide - whole
            n = np.minimum(whole, float(imax)).astype(np.int64)
            n = np.minimum(n, imax).astype(idtype)
            # A fraction that rounds up to 1 in the device dtype is a whole step.
            f = frac.astype(float_dtype())
            carry = f >= 1
            if np.any(carry):
                n = np.where(carry & (n < imax), n + 1, n).astype(idtype)
                f = np.where(carry, 0, f).astype(float_dtype())
            return jnp.asarray(n), jnp.asarray(f), host.shape
        _bad_step(step)
    if not hasattr(step, "dtype"):
        _bad_step(step)
    step = jnp.asarray(step)
    if jnp.issubdtype(step.dtype, jnp.bool_):
        step = step.astype(idtype)
    if jnp.issubdtype(step.dtype, jnp.integer):
        if jnp.issubdtype(step.dtype, jnp.unsignedinteger):
            step = jnp.minimum(step, jnp.asarray(imax).astype(step.dtype))
        else:
            step = jnp.maximum(step, 0)
        return step.astype(idtype), None, step.shape
    if not jnp.issubdtype(step.dtype, jnp.floating):
        _bad_step(step)
    fdtype = float_dtype()
    step = step.astype(fdtype)
    top = _largest_float_below_int_max(step.dtype, idtype)
    # where, not clip: at step 0 the gradient is the step's own (1), where
    # clip's maximum would halve it.
    step = jnp.where(step >= 0, step, 0)
    step = jnp.where(step <= top, step, top)
    whole = jnp.floor(step)
    return whole.astype(idtype), (step - whole).astype(fdtype), step.shape


def clamp_steps(n, f):
    """Steps shifted below zero behave as step 0 (their fraction too)."""
    neg = n < 0
    n = jnp.where(neg, jnp.zeros_like(n), n)
    if f is not None:
        f = jnp.where(neg, jnp.zeros_like(f), f)
    return n, f


def host_steps(k):
    """``k`` as a Python int when it is a concrete scalar, else None (traced)."""
    if is_concrete(k) and np.ndim(k) == 0:
        return int(k)
    return None


def sub_steps(n, k):
    """``n - k`` for a step array ``n >= 0`` and an integer ``k`` of any sign
    (a Python int up to 2**63 - 1 in magnitude, or traced), saturating at the
    top of the step range instead of wrapping.  A ``k`` beyond the top gives
    ``-1`` for every step: they all lie before it."""
    c = host_steps(k)
    top = top_step()
    if c is not None:
        if c == 0:
            return n
        if c > top:
            return jnp.full(n.shape, -1, n.dtype)
        if c < 0:
            if -c >= top:
                return jnp.full(n.shape, top, n.dtype)
            return jnp.where(n > top + c, top, n - c)
        return n - jnp.asarray(c, n.dtype)
    k = jnp.asarray(k).astype(n.dtype)
    # n - k overflows only when k < 0 and n > top + k.
    overflow = (k < 0) & (n > top + k)
    return jnp.where(overflow, top, n - k)


def delay(n, f, k):
    """Steps counted from ``k >= 0``, held at 0 before it: ``max(n - k, 0)``
    (with the fraction of the steps before ``k`` dropped too)."""
    if is_zero(k):
        return n, f  # steps are never negative
    return clamp_steps(sub_steps(n, k), f)


def min_steps(n, k):
    """``min(n, k)`` for steps ``n`` and a length ``k >= 0`` of any size."""
    c = host_steps(k)
    if c is not None:
        return n if c >= top_step() else jnp.minimum(n, jnp.asarray(c, n.dtype))
    return jnp.minimum(n, jnp.asarray(k).astype(n.dtype))


def reached(n, k):
    """``n >= k`` for steps ``n`` and a step ``k`` of any size (a step beyond
    the top is never reached)."""
    c = host_steps(k)
    if c is not None:
        if c > top_step():
            return jnp.zeros(n.shape, bool)
        return n >= jnp.asarray(max(c, 0), n.dtype)
    return n >= jnp.asarray(k).astype(n.dtype)


def divmod_steps(n, k):
    """``(n // k, n % k)`` for steps ``n >= 0`` and a period ``k >= 1`` of any
    size (a period beyond the top: one unfinished cycle).

    XLA counts integer division as expensive and would run it in a kernel of
    its own; this is made of products and roundings, which fuse: a float
    quotient, a second one of the (small) remainder it leaves, and a last
    correction by one.  Exact for every step: the first quotient is off by
    at most ``n * 2**-23`` periods, and the remainder of ``n - q k``, formed
    in integers (wrapping, but small), is then read exactly."""
    c = host_steps(k)
    if c is not None:
        if c > top_step():
            return jnp.zeros_like(n), n
        k = jnp.asarray(c, n.dtype)
        inverse = as_float(1 / c)
    else:
        k = jnp.asarray(k).astype(n.dtype)
        inverse = el.recip(k.astype(float_dtype()))

    return _divmod(n, k, inverse)


@jax.jit  # one dispatch outside a trace; inlined inside one
def _divmod(n, k, inverse):
    bound = _largest_float_below_int_max(inverse.dtype, n.dtype)

    def estimate(m):
        x = jnp.clip(jnp.floor(m.astype(inverse.dtype) * inverse), -bound, bound)
        return x.astype(n.dtype)

    q = estimate(n)
    r = n - q * k
    q1 = estimate(r)
    q, r = q + q1, r - q1 * k
    low, high = r < 0, r >= k
    q = jnp.where(low, q - 1, jnp.where(high, q + 1, q))
    r = jnp.where(low, r + k, jnp.where(high, r - k, r))
    return q, r


def until(k, n):
    """``k - n`` as a float, for steps ``n <= k`` and ``k`` of any size: the
    integer part that fits is subtracted exactly, the rest added in float."""
    c = host_steps(k)
    if c is not None:
        top = top_step()
        if c > top:
            return real(top - n, None) + as_float(float(c - top))
        return real(jnp.asarray(c, n.dtype) - n, None)
    return real(jnp.asarray(k).astype(n.dtype) - n, None)


def length(k):
    """A length of steps (any size) as a float of the default dtype."""
    c = host_steps(k)
    if c is not None:
        return as_float(float(c))
    return real(jnp.asarray(k).astype(int_dtype()), None)


def saturate(value):
    """A schedule's value held within the float range: a value past it (an
    exponential growth without a bound, a product of huge rates) is returned
    as the largest finite float of its sign, never as an infinity."""
    big = np.finfo(value.dtype).max
    # A select, not a clip: XLA's min and max flush subnormal values to 0.
    return jnp.where(jnp.abs(value) <= big, value, jnp.sign(value) * big)


def as_step(step):
    """A step, or an array of steps, on the host as the default integer dtype,
    saturating at the largest step (``2**31 - 1``, or ``2**63 - 1`` with x64)
    and at 0 below, instead of wrapping.

    Pass int64 steps through it before a ``jax.jit`` that would otherwise
    convert them to int32 itself: NumPy int64 arguments of a jitted function
    wrap around (``2**31 + 5`` becomes a negative step, which a schedule reads
    as step 0), and Python ints beyond int32 are refused by JAX.

    Args:
      step: an integer, or an array of integers (any integer dtype).

    Examples:
      >>> import numpy as np
      >>> print(as_step(np.int64(2**31 + 5)))
      2147483647
      >>> lr = cosine_decay(1.0, decay_steps=2**32)
      >>> print(f"{jax.jit(lr)(as_step(np.int64(2**31 + 5))):.4f}")
      0.5000
    """
    host = np.asarray(step)
    if not np.issubdtype(host.dtype, np.integer) and host.dtype != np.bool_:
        raise TypeError(
            "as_step: `step` must be an integer or an array of integers; got a "
            f"value of dtype {host.dtype}."
        )
    if host.dtype == np.uint64:
        host = np.minimum(host, np.uint64(top_step()))
    return jnp.asarray(np.clip(host.astype(np.int64), 0, top_step()), int_dtype())


def quotient(a, b):
    """``a / b``: a division (by a constant: XLA folds it into a product) or,
    for a traced ``b``, :func:`~jaxdecay._core.elementary.div`, which fuses into
    the kernels that read it."""
    if is_concrete(b):
        return a / b
    return el.div(a, b)


def real(n, f):
    """The step as a float: ``n + f``."""
    t = n.astype(float_dtype())
    return t if f is None else t + f


def as_float(x):
    """A parameter as an array of the default float dtype (a concrete value
    beyond the float range saturates at its largest value, see
    :func:`split_constant`)."""
    if is_concrete(x) and not isinstance(x, jax.Array):
        big = float(np.finfo(float_dtype()).max)
        x = np.clip(np.asarray(x, np.float64), -big, big)
    return jnp.asarray(x, dtype=float_dtype())


def as_int(x):
    """A step-count parameter as an array of the default integer dtype.

    A concrete value must fit the step range (use :func:`sub_steps`,
    :func:`min_steps`, :func:`reached`, :func:`divmod_steps`, :func:`until`
    or :func:`length` for lengths of any size); a value beyond it is a bug in
    the caller, never silently clipped."""
    idtype = int_dtype()
    if is_concrete(x):
        a = np.asarray(x)
        if np.issubdtype(a.dtype, np.floating):
            a = np.floor(a)
        big = np.abs(a.astype(np.float64)) > np.iinfo(idtype).max
        if np.any(big):
            raise OverflowError(
                f"internal: a step count of {a!r} does not fit {np.dtype(idtype)}"
            )
        return jnp.asarray(a.astype(np.int64), idtype)
    return jnp.asarray(x).astype(idtype)


# --------------------------------------------------------------------------
# Double-float constants and products.


def split_constant(value):
    """A host float64 value as a ``(hi, lo)`` pair in the default float dtype."""
    fdtype = float_dtype()
    big = np.finfo(fdtype).max
    # A constant beyond the float range saturates at its largest value: it
    # only ever multiplies steps (0 * max is 0, where 0 * inf would be NaN)
    # or feeds exp/log, where max and inf give the same result.
    v = np.clip(np.asarray(value, np.float64), -big, big)
    hi = v.astype(fdtype)
    lo = (v - hi.astype(np.float64)).astype(fdtype)
    return hi, lo


def constant(fn, *params):
    """Evaluates ``fn(xp, *params)`` as a ``(hi, lo)`` pair.

    With concrete parameters ``fn`` runs in float64 NumPy on the host and the
    result keeps float64 accuracy; with traced parameters it runs in the default
    float dtype and ``lo`` is zero.
    """
    if all(is_concrete(p) for p in params):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = fn(np, *[np.asarray(p, np.float64) for p in params])
        return split_constant(value)
    value = fn(jnp, *[as_float(p) for p in params])
    return value, jnp.zeros_like(value)


def mul_steps(n, f, c):
    """``(n + f) * c`` as a double-float ``(hi, lo)``.

    ``n`` is a non-negative integer array, ``f`` its fractional part or None, and
    ``c`` a ``(hi, lo)`` constant.  In float32 the product is exact to about
    2**-44 relative for every int32 ``n``: ``n`` is cut into three 12-bit
    pieces and ``c_hi`` into two, so that each partial product is exact, and
    the partial products are added with compensated (two-sum) addition.
    """
    c_hi, c_lo = c
    fdtype = float_dtype()
    if fdtype != jnp.float32:
        t = n.astype(fdtype)
        hi = t * c_hi
        lo = t * c_lo
        if f is not None:
            lo = lo + f * c_hi
        return _normalize(hi, lo)
    n = n.astype(jnp.int32)
    # The pieces are cut in integers and converted exactly: a float product
    # by 4096.0 could be reassociated by XLA with c (the product of the
    # constants overflowing for a huge c, and 0 * inf giving NaN).
    n0 = (n & 0xFFF).astype(fdtype)
    n1 = (n & 0xFFF000).astype(fdtype)
    n2 = (n & ~0xFFFFFF).astype(fdtype)
    c1 = _high_bits(c_hi)
    c2 = c_hi - c1
    terms = [n2 * c1, n1 * c1, n2 * c2, n0 * c1, n1 * c2, n0 * c2]
    s = terms[0]
    err = jnp.zeros_like(s)
    for t in terms[1:]:
        s, e = _two_sum(s, t)
        err = err + e
    err = err + n.astype(fdtype) * c_lo
    if f is not None:
        err = err + f * (c_hi + c_lo)
    return _normalize(s, jnp.where(jnp.isfinite(s), err, 0))


def _normalize(hi, lo):
    # Past the float range the low part means nothing (it would be inf - inf):
    # it is dropped, so an overflowing product is an infinity, never a NaN.
    lo = jnp.where(jnp.isfinite(hi), lo, 0)
    s = hi + lo
    return s, jnp.where(jnp.isfinite(s), lo - (s - hi), 0)


def exp_df(x):
    """``exp(hi + lo)`` for a double-float exponent."""
    hi, lo = x
    # |lo| is below an ulp of hi; where exp(hi) is 0 or inf anyway, lo may be
    # large in absolute terms and must not flip the sign.
    return el.exp(hi) * (1 + jnp.clip(lo, -1e-3, 1e-3))


def one_minus_df(x):
    """``1 - (hi + lo)``, exact before the final rounding when ``hi`` is near 1."""
    hi, lo = x
    return (1 - hi) - lo


def _host_rate(value):
    """A concrete scalar rate as the float dtype holds it, with whether the
    device may compute it as is: ``(x, True)`` for 0 or a normal number,
    ``(x, False)`` for a subnormal one or one that underflows to 0 (XLA
    flushes subnormals to 0), ``(None,
    False)`` for a traced or array rate."""
    if is_concrete(value) and not isinstance(value, jax.Array) and np.ndim(value) == 0:
        wide = np.asarray(value, np.float64)
        host = wide.astype(float_dtype())
        # a rate that underflows the float dtype (1e-300 in float32) is not 0
        return host, wide == 0 or abs(host) >= np.finfo(host.dtype).tiny
    return None, False


def times(value, factor):
    """``value * factor`` for a rate and a factor that may overflow to an
    infinity: 0 wherever the rate is 0 (0 * inf would be NaN)."""
    host, exact = _host_rate(value)
    if exact:
        return jnp.zeros_like(factor) if host == 0 else as_float(value) * factor
    v = as_float(value)
    return jnp.where(v == 0, 0.0, v * factor)


def grow(value, x):
    """``value * exp(x)`` for a rate and a double-float exponent ``x``: 0
    wherever the rate is 0 (also where ``exp(x)`` is past the float range:
    0 * inf would be NaN), and a rate too small for the float dtype's normal
    numbers (which XLA flushes to 0) multiplied in the exponent, as
    ``exp(x + log|value|)``, so a tiny rate times a large growth is exact."""
    hi, lo = x
    host, exact = _host_rate(value)
    if exact:
        return jnp.zeros_like(hi) if host == 0 else as_float(value) * exp_df(x)
    if host is not None:  # subnormal in the float dtype
        rate = float(value)
        c_hi, c_lo = split_constant(math.log(abs(rate)))
        s, e = _two_sum(hi, c_hi)
        return math.copysign(1.0, rate) * exp_df(_normalize(s, e + lo + c_lo))
    v = as_float(value)
    return jnp.where(v == 0, 0.0, v * exp_df(x))


def pow_steps(n, f, log_base):
    """``base ** (n + f)`` given ``log(base)`` as a ``(hi, lo)`` constant."""
    return exp_df(mul_steps(n, f, log_base))


# --------------------------------------------------------------------------
# Annealing between two values.

# Taylor coefficients (-1)**k / (2k + 1)! of sin(y) / y.
_SIN_COEFFS = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(9))


def sin_quarter(y):
    """``sin(y)`` for ``0 <= y <= pi/4`` (a little beyond is fine).

    A Taylor polynomial, to x**11 in float32 and x**17 in float64 (truncation
    below 1e-11 and 1e-19 relative), evaluated with multiplies and adds only:
    XLA's CPU backend compiles ``jnp.sin`` to a call per element with a full
    range reduction, several times the cost of a memory-bound schedule, while
    this loop vectorizes.  Relative error: a few ulp, at every ``y`` (small
    ``y`` included).
    """
    terms = 6 if jnp.asarray(y).dtype == jnp.float32 else 9
    y2 = y * y
    p = _SIN_COEFFS[terms - 1]
    for c in reversed(_SIN_COEFFS[: terms - 1]):
        p = p * y2 + c
    return y * p


SHAPES = ("linear", "cosine", "1-sqrt", "1-square")
# Shapes with a parameter of their own (given to ``anneal`` as ``shape_arg``),
# by the name of that parameter: ``"power"`` 1 - x**p, ``"exp"``
# (q**x - q) / (1 - q).
SHAPE_PARAMS = {"power": "power", "exp": "ratio"}


def anneal(
    start, end, done, remaining, length, shape="linear", exponent=None, shape_arg=None
):
    """Moves from ``start`` to ``end`` as ``done`` goes from 0 to ``length``.

    ``done`` and ``remaining = length - done`` are floats each formed from exact
    integers.  The result is the convex combination ``start * F + end * (1 - F)``
    with both weights computed directly (never as ``1 - something``), so values
    near either end keep their relative accuracy.

    Weights ``F`` (and ``1 - F``), with ``x = done / length``, ``r = 1 - x``:
      linear: r (x);  cosine: (1 + cos(pi x)) / 2 = sin(pi r / 2)**2
      (sin(pi x / 2)**2), the smaller from one sine and the larger as 1 minus
      it;  1-sqrt: r / (1 + sqrt(x)) (sqrt(x));
      1-square: r (1 + x) (x**2);
      power (``shape_arg`` p > 0): 1 - x**p (x**p), both from ``p log x``,
      with ``log x = log1p(-r)`` near x = 1;
      exp (``shape_arg`` q in (0, 1)): (q**x - q) / (1 - q) as
      ``q**x expm1(r log q) / expm1(log q)`` (``expm1(x log q) / expm1(log
      q)``), with ``log q`` from float64 on the host.
    ``exponent`` k raises F to a power (optax's cosine ``exponent``): both
    weights then come from ``k log F``, taken from whichever of F and 1 - F is
    accurate.
    """
    r = quotient(remaining, length)
    x = quotient(done, length)
    if shape == "linear":
        keep, move = r, x
    elif shape == "cosine":
        # One sine, of the smaller of x and r (<= 1/2, so its square is <= 1/2
        # and 1 - square loses nothing), by a polynomial that vectorizes.
        near_end = r <= x
        small = sin_quarter((math.pi / 2) * jnp.where(near_end, r, x))
        small = jnp.square(small)
        keep = jnp.where(near_end, small, 1 - small)
        move = jnp.where(near_end, 1 - small, small)
    elif shape == "1-sqrt":
        # sqrt's slope is infinite at 0: there (the start of the decay, and
        # every step where this branch is not selected) the gradient is the
        # one-sided one of the phase before, 0, never inf * 0 = NaN.
        positive = x > 0
        root = el.sqrt(jnp.where(positive, x, 1.0))
        keep = jnp.where(positive, el.div(r, 1 + root), 1)
        move = jnp.where(positive, root, 0)
    elif shape == "1-square":
        keep, move = r * (1 + x), jnp.square(x)
    elif shape == "power":
        # log x from log1p(-r) where x is near 1 (r exact there); x = 0 apart,
        # so that no branch, even unselected, feeds log(0) to a gradient.
        positive, high = x > 0, x > 0.5
        log_x = jnp.where(
            high,
            el.log1p(-jnp.where(high, r, 0.0)),
            el.log(jnp.where(positive, x, 1.0)),
        )
        scaled = as_float(shape_arg) * log_x
        keep = jnp.where(positive, -el.expm1(scaled), 1.0)
        move = jnp.where(positive, el.exp(scaled), 0.0)
    elif shape == "exp":
        # Both over expm1(log q) = q - 1: each weight is exactly 1 at its end.
        log_q = constant(lambda xp, q: xp.log(q), shape_arg)[0]
        whole = el.expm1(log_q)
        keep = el.div(el.exp(x * log_q) * el.expm1(r * log_q), whole)
        move = el.div(el.expm1(x * log_q), whole)
    else:  # pragma: no cover - constructors check the shape
        raise ValueError(shape)
    if exponent is not None and not (
        isinstance(exponent, (int, float)) and exponent == 1
    ):
        # log F from whichever of F, 1 - F is accurate; F = 0 handled apart so
        # that no branch, even unselected, feeds an infinity to a gradient.
        big, positive = keep > 0.5, keep > 0
        log_keep = jnp.where(
            big,
            el.log1p(-jnp.where(big, move, 0.0)),
            el.log(jnp.where(big | ~positive, 1.0, keep)),
        )
        # 0 where F is 1, even for an exponent past the float range.
        log_keep = jnp.where(log_keep == 0, 0.0, as_float(exponent) * log_keep)
        keep = jnp.where(positive, el.exp(log_keep), 0.0)
        move = jnp.where(positive, -el.expm1(log_keep), 1.0)
    # A zero end (a warmup from 0, a decay to 0) adds nothing: left out, so
    # that XLA, which keeps 0 * x (x could be infinite), need not compute it.
    if is_zero(start):
        return as_float(end) * move
    if is_zero(end):
        return as_float(start) * keep
    return as_float(start) * keep + as_float(end) * move


def is_zero(x) -> bool:
    """Whether ``x`` is a concrete scalar equal to 0 (a term, or a shift, that
    can be left out of the graph)."""
    return is_concrete(x) and np.ndim(x) == 0 and float(x) == 0.0


def take(table, i):
    """``table[i]`` along the first axis, for indices that lie in the table
    (any other is clamped into it).

    A scalar index reads with one dynamic slice (a batch of them, under
    ``vmap``, with one gather), without ``jnp.take``'s handling of negative and
    out-of-range indices: fewer operations for XLA to fuse into every consumer,
    and a smaller graph to compile.
    """
    table, i = jnp.asarray(table), jnp.asarray(i)
    if i.ndim == 0:
        # An unsigned index spares the wrap-around of negative ones.
        i = i.astype(np.uint64 if i.dtype.itemsize == 8 else np.uint32)
        return jax.lax.dynamic_index_in_dim(table, i, axis=0, keepdims=False)
    return jnp.take(table, i, axis=0, mode="clip")


# The lookup table of ``count_at_most``: buckets of the step range per
# boundary, and the most boundaries one bucket may hold for the table to be used.
_TABLE_SPAN = 4
COMPARE_MAX = 8  # up to this many boundaries, no table
_TABLE_MAX_BUCKET = 16


def bucket_table(boundaries):
    """Host lookup table for sorted, concrete integer ``boundaries`` (len >= 1).

    The steps ``[0, K << shift)``, with ``K << shift > boundaries[-1]`` and
    ``K <= 4 len(boundaries) + 16``, are cut into ``K`` buckets of
    ``2**shift`` steps.  ``start[k]`` counts the boundaries below bucket ``k``
    (``start[K] = len(boundaries)``), and no bucket holds more than ``width``
    boundaries.  Returns ``(shift, start, width)``.
    """
    b = np.asarray(boundaries, np.int64)
    top = int(b[-1])
    limit = _TABLE_SPAN * len(b) + 16
    shift = 0
    while (top >> shift) + 1 > limit:
        shift += 1
    buckets = (top >> shift) + 1
    edges = np.arange(buckets + 1, dtype=np.int64) << shift
    start = np.searchsorted(b, edges, side="left")
    return shift, start, int(np.max(np.diff(start)))


def count_at_most(boundaries, n):
    """How many of the sorted integer ``boundaries`` are ``<= n`` (elementwise).

    The cost does not depend on the number of boundaries, at trace time or (for
    concrete boundaries) at run time: a table built on the host maps the step's
    bucket ``n >> shift`` to the number of boundaries below it, and the few
    boundaries inside the bucket (at most ``_TABLE_MAX_BUCKET``) are compared
    at once: a few reads of small tables and comparisons per step.  Traced
    boundaries, and boundaries too clustered for the table, use a comparison
    against the whole table (up to 64 boundaries) or a binary search.

    Pass the boundaries as given (a NumPy array or list), not through
    ``as_int``: inside ``jit``, ``jnp.asarray`` turns even a constant into a
    tracer, and the table needs the values on the host.
    """
    if is_concrete(boundaries):
        top = np.iinfo(n.dtype).max
        host = np.asarray(boundaries, np.int64)
        if host.ndim == 1:
            # A boundary beyond the top step is never reached.
            host = host[host <= top]
        else:
            host = np.minimum(host, top)
        size = host.shape[-1]
        if size == 0:
            return jnp.zeros(n.shape, n.dtype)
        if host.ndim == 1 and size <= COMPARE_MAX:
            # A few boundaries: compared one by one, with no table to read.
            hits = (n >= int(host[0])).astype(n.dtype)
            for b in host[1:]:
                hits = hits + (n >= int(b)).astype(n.dtype)
            return hits
        if host.ndim == 1:
            shift, start, width = bucket_table(host)
            if width <= _TABLE_MAX_BUCKET:
                # Row k of `near` holds the boundaries of bucket k, padded with
                # the largest step (which only the largest step reaches: the
                # final minimum puts it back at `size`).  Every read is indexed
                # by the bucket alone, so XLA fuses the whole lookup (and a
                # read of values by its result) into one loop instead of
                # writing an intermediate result to memory.  Each column is a
                # table of its own, and the comparisons are summed one by one
                # rather than reduced: the lookup then fuses into its consumers
                # instead of running as a kernel of its own, and compiles faster.
                index = start[:, None] + np.arange(width)
                near = np.where(index < size, host[np.minimum(index, size - 1)], top)
                bucket = n >> shift  # `take` clamps it into the table
                hits = take(start.astype(n.dtype), bucket)
                for j in range(width):
                    column = np.ascontiguousarray(near[:, j], n.dtype)
                    hits = hits + (take(column, bucket) <= n).astype(n.dtype)
                return jnp.minimum(hits, size)
    boundaries = as_int(boundaries)
    size = boundaries.shape[-1]
    if size == 0:
        return jnp.zeros(n.shape, n.dtype)
    if boundaries.ndim > 1 or size <= 64:
        # Summed one by one, not reduced: XLA runs a reduction as a kernel
        # of its own, and comparisons fuse into the kernels that read them.
        return _count_one_by_one(boundaries, n)
    return jnp.searchsorted(boundaries, n, side="right", method="scan").astype(n.dtype)


@jax.jit  # one dispatch outside a trace; inlined inside one
def _count_one_by_one(boundaries, n):
    hits = (boundaries[..., 0] <= n).astype(n.dtype)
    for j in range(1, boundaries.shape[-1]):
        hits = hits + (boundaries[..., j] <= n).astype(n.dtype)
    return hits


# --------------------------------------------------------------------------
# Steps read at a rational rate.

# The largest numerator and denominator of a rate p/q that is not whole (a
# whole rate p/1 may have any p up to 2**63 - 1).
RATIO_MAX = 2**30


def _add_steps(a, b):
    """``a + b`` for steps ``a, b >= 0``, saturating at the top."""
    top = top_step()
    return jnp.where(a > top - b, top, a + b)


def _wrapping(x, unsigned):
    return jax.lax.bitcast_convert_type(x, unsigned)


def ratio_steps(n, f, p, q):
    """The step ``(n + f) * q / p`` as a :class:`Step`: whole steps exact in
    integers, the fraction in float.

    ``p`` and ``q`` are concrete positive integers with ``q == 1`` (any ``p``
    up to ``2**63 - 1``) or both at most :data:`RATIO_MAX` (``2**30``).  The
    step is first cut as ``n = a p + r`` (``0 <= r < p``), so that ``n q / p =
    a q + (r q) // p + ((r q) % p) / p``: when ``(p - 1) q`` fits in int32,
    ``r q`` is formed and divided in integers; otherwise its quotient is read
    from the double-float product ``r * (q / p)`` (within 1 of the truth) and
    corrected by the remainder ``r q - k p``, computed exactly in wrap-around
    unsigned arithmetic (the true remainder is within ``[-p, 2p)``, which the
    signed type holds).  The fraction ``(remainder + f q) / p`` is a
    double-float whose whole part is carried into the step (for ``p == 1``,
    ``q f`` exact to about ``2**-44`` relative, as ``scale_steps`` forms it).
    A step past the top of the step range saturates there (fraction 0), as a
    called step does.
    """
    if p == q:
        return n, f
    top = top_step()
    idtype = n.dtype
    unsigned = np.uint32 if np.dtype(idtype).itemsize == 4 else np.uint64
    a, r = divmod_steps(n, p)
    if q == 1:
        k, rest = jnp.zeros_like(n), r
    elif (p - 1) * q <= np.iinfo(np.int32).max:
        k, rest = divmod_steps(r * jnp.asarray(q, idtype), p)
    else:
        hi, lo = mul_steps(r, None, split_constant(q / p))
        # Whole parts converted apart: their float sum would round (hi's ulp
        # is up to 64 steps in float32).
        whole = jnp.floor(hi)
        k = whole.astype(idtype) + jnp.floor((hi - whole) + lo).astype(idtype)
        rq = _wrapping(r, unsigned) * unsigned(q)
        kp = _wrapping(k, unsigned) * unsigned(p)
        rest = jax.lax.bitcast_convert_type(rq - kp, idtype)
        low = rest < 0
        k, rest = jnp.where(low, k - 1, k), jnp.where(low, rest + p, rest)
        high = rest >= p
        k, rest = jnp.where(high, k + 1, k), jnp.where(high, rest - p, rest)
    # a q, saturating: a <= top // p, so only a rate above 1 step per step
    # (q > p) can pass the top.
    if q > p:
        cap = top // q
        aq = jnp.where(a > cap, top, jnp.minimum(a, cap) * jnp.asarray(q, idtype))
    else:
        aq = a * jnp.asarray(q, idtype)
    whole = _add_steps(aq, k)
    # The fraction (rest + f q) / p, its whole part carried into the step.
    if p == 1:  # rest is 0; q f as a double-float, exact to ~2**-44
        if f is None:
            return whole, None
        factor = jnp.full(f.shape, q, idtype)
        hi, lo = mul_steps(factor, None, (f, jnp.zeros_like(f)))
    else:
        hi, lo = mul_steps(rest, None, split_constant(1 / p))
        if f is not None:
            hi, err = _two_sum(hi, f * as_float(q / p))
            lo = lo + err
    if q > 1:  # (rest + f q) / p may pass 1
        carry = jnp.floor(hi)
        frac = (hi - carry) + lo
        more = jnp.floor(frac)  # -1, 0 or 1 where lo crosses a whole step
        whole = _add_steps(whole, carry.astype(idtype) + more.astype(idtype))
        frac = frac - more
    else:  # (rest + f) / p < 1: no carry, whatever the rounding (p may be huge)
        frac = hi + lo
    # The true fraction lies in [0, 1): a rounding to 1 is the float below it.
    below_one = np.nextafter(np.asarray(1, float_dtype()), np.asarray(0, float_dtype()))
    frac = jnp.where(frac < below_one, jnp.where(frac > 0, frac, 0.0), below_one)
    frac = jnp.where(whole >= top, 0.0, frac).astype(float_dtype())
    return whole, frac
