"""Multiplicative noise on a schedule, as timm's schedulers add it, drawn from a
JAX key per step so that a value is the same in every run."""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._core import checks as chk
from .._core import elementary as el
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import Choice, Kind, Real, Steps, param
from .wrap import ScheduleArg

__all__ = ["noise"]

NOISE_TYPES = ("normal", "uniform")
_IMPL = "threefry2x32"
_KEY_TEXT = (
    "a JAX PRNG key (jax.random.key(0) or jax.random.PRNGKey(0), threefry2x32), "
    "its uint32[2] data, or an integer seed in [0, 2**63 - 1]"
)
_MASK = 0xFFFFFFFF


@dataclasses.dataclass(frozen=True)
class PRNGKey(Kind):
    """A JAX PRNG key held as a value: an int seed, or uint32[2] threefry key
    data (a NumPy array when concrete, so it compares, hashes and saves)."""

    def check(self, func, name, value):
        return _checked_key(value)


class noise(Schedule):
    """A schedule with multiplicative random noise, as timm's schedulers add it
    (``noise_range_t``, ``noise_pct``, ``noise_type``).

    .. math:: \\eta(t) = s(t)\\,(1 + n_{\\lfloor t \\rfloor})
       \\ \\text{for } start \\le t < end, \\qquad s(t) \\text{ elsewhere}

    with, for each whole step, ``n`` drawn from:

    - ``"normal"``: :math:`\\mathcal N(0, \\sigma^2)`, truncated to
      ``(-pct, pct)`` when ``pct`` is given (timm resamples until
      ``|n| < pct``; here the truncated normal is drawn exactly, by inverting
      its distribution function, so the cost is fixed and nothing is ever
      clipped): the distribution of timm's ``randn() * noise_std``
      resampled while ``|n| >= noise_pct``.  Without ``pct`` the noise is
      unbounded and ``1 + n`` may be negative.
    - ``"uniform"``: :math:`\\mathcal U(-pct, pct)` (``pct`` required; ``std``
      is not used, as in timm).

    The noise of step ``t`` comes from ``jax.random.fold_in`` of ``key`` with
    the whole step (its low and then its high 32 bits, so every step up to
    2**63 - 1 has its own, the same with or without ``jax_enable_x64``): a
    value is the same in every run, after a resume, under ``jit`` and
    ``vmap``, and a fraction of a step reads its whole step's noise.  The
    draws are float32 (the same with ``jax_enable_x64``), and the numbers
    are JAX's (``jax.random.uniform``, ``normal`` and ``truncated_normal`` of
    that key, to an ulp or two), not those of timm's torch generator.  The
    hash and the inverse error function are written with operations XLA
    fuses, so under :func:`inject` the noise adds no kernel to a step.

    Args:
      schedule: the schedule to add noise to.
      std: sigma >= 0, the normal noise's standard deviation.
      key: a JAX PRNG key (typed, threefry2x32, or its raw uint32[2] data)
        or an integer seed in [0, 2**63 - 1] (read as ``jax.random.key(seed)``
        reads it with ``jax_enable_x64``).  A config holds the seed or the key
        data as a list of two integers.
      pct: the bound of ``|n|`` (> 0), or None for no bound (normal noise).
      start: the first step with noise.
      end: the first step without noise again, or None (noise from ``start``
        on).
      noise_type: ``"normal"`` or ``"uniform"``.

    Examples:
      >>> base = cosine_decay(1e-3, 1000)
      >>> lr = noise(base, std=1.0, key=42, pct=0.67, start=100)
      >>> bool(lr(50) == base(50)), bool(abs(lr(500) / base(500) - 1) < 0.67)
      (True, True)
      >>> bool(lr(500) == lr(500))
      True
    """

    schedule: Any = param(ScheduleArg())
    std: Any = param(Real(low=0, coefficient=True))
    key: Any = param(PRNGKey())
    pct: Any = param(Real(low=0, low_open=True, coefficient=True, optional=True),
                     default=None)  # fmt: skip
    start: Any = param(Steps(), default=0)
    end: Any = param(Steps(optional=True), default=None)
    noise_type: str = param(Choice(options=NOISE_TYPES), default="normal")

    def __check_init__(self):
        if self.noise_type == "uniform" and self.pct is None:
            chk.fail("noise", "pct", None, "a number > 0 for noise_type='uniform' "
                     "(the noise is uniform in (-pct, pct))")  # fmt: skip
        lo, hi = self.start, self.end
        if hi is not None and chk.is_concrete([lo, hi]) and hi <= lo:
            chk.fail("noise", "end", hi, f"None or a step after start={lo}")

    def _evaluate(self, step):
        n, f = step
        value = self.schedule._value(num.Step(n, f))
        base = _key_data(self.key)
        n_t = self._draw(_step_key(base, n))  # elementwise
        active = num.reached(n, self.start)
        if self.end is not None:
            active = active & ~num.reached(n, self.end)
        return jnp.where(active, value + value * n_t, value)

    def _draw(self, key):
        # Drawn in float32 whatever the default dtype: the same noise with and
        # without jax_enable_x64.
        f32 = jnp.float32
        if self.noise_type == "uniform":
            pct = jnp.asarray(self.pct, f32)
            out = _uniform(key, -pct, pct)
        elif self.pct is None:
            out = jnp.asarray(self.std, f32) * _truncated_normal(key, jnp.inf)
        else:
            # Bounds of the standard normal; std = 0 gives infinite bounds, and
            # a zero draw after scaling.
            std = jnp.asarray(self.std, f32)
            safe = jnp.where(std > 0, std, jnp.ones_like(std))
            bound = jnp.where(std > 0, jnp.asarray(self.pct, f32) / safe, jnp.inf)
            out = std * _truncated_normal(key, bound)
        return out.astype(num.float_dtype())

    def settles_at(self):
        inner = self.schedule.settles_at()
        if inner is None or self.end is None or not chk.is_concrete(self.end):
            return None
        return max(inner, self.end)

    def breakpoints(self):
        marks = set(self.schedule.breakpoints())
        for k in (self.start, self.end):
            if k is not None and chk.is_concrete(k) and 0 < k < 2**63:
                marks.add(k)
        return tuple(sorted(marks))


# Threefry-2x32 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
# 3", 2011), 20 rounds, the hash behind jax.random's default keys.  Written
# out here, unrolled: JAX lowers its own as a loop on the CPU, which runs as a
# kernel of its own in a training step; unrolled, it is additions, rotations
# and xors, which fuse.  The numbers are jax.random's, bit for bit.
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry(k1, k2, x1, x2):
    def rotl(v, r):
        return (v << np.uint32(r)) | (v >> np.uint32(32 - r))

    ks = (k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA))
    x1, x2 = x1 + ks[0], x2 + ks[1]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x1 = x1 + x2
            x2 = rotl(x2, r) ^ x1
        x1 = x1 + ks[(i + 1) % 3]
        x2 = x2 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x1, x2


def _fold_in(key, data):
    """``jax.random.fold_in`` of threefry key data ``(k1, k2)`` with uint32
    ``data``."""
    return _threefry(key[0], key[1], jnp.zeros_like(data), data)


def _uniform(key, low, high):
    """``jax.random.uniform(key, (), float32, low, high)``."""
    y1, y2 = _threefry(key[0], key[1], np.uint32(0), np.uint32(0))
    bits = ((y1 ^ y2) >> np.uint32(9)) | np.uint32(0x3F800000)
    unit = jax.lax.bitcast_convert_type(bits, jnp.float32) - np.float32(1)
    return jnp.maximum(low, unit * (high - low) + low)


def _truncated_normal(key, bound):
    """A standard normal draw truncated to ``(-bound, bound)`` (``inf``: not
    truncated), as ``jax.random.normal`` and ``jax.random.truncated_normal``
    draw it (a uniform between the bounds' error functions, then the inverse
    error function), with an inverse error function that fuses into the
    kernels that read it (XLA's runs as a kernel of its own)."""
    root2 = np.float32(math.sqrt(2))
    if isinstance(bound, float) and math.isinf(bound):  # jax.random.normal
        lo, hi = np.nextafter(np.float32(-1), np.float32(1)), np.float32(1)
    else:
        hi = jax.lax.erf(bound / root2)
        lo = -hi
    out = root2 * el.erf_inv(_uniform(key, lo, hi))
    if isinstance(bound, float):
        return out
    return jnp.clip(out, jnp.nextafter(-bound, jnp.inf), jnp.nextafter(bound, -jnp.inf))


def _checked_key(key):
    """The key as it is held: an int seed, or uint32[2] key data (a NumPy
    array when concrete)."""
    if isinstance(key, bool) or isinstance(key, (str, bytes, float, complex)):
        chk.fail("noise", "key", key, _KEY_TEXT, TypeError)
    if isinstance(key, numbers.Integral):
        if not 0 <= int(key) <= 2**63 - 1:
            chk.fail("noise", "key", key, _KEY_TEXT)
        return int(key)
    if isinstance(key, (list, tuple)):  # key data, as a config holds it
        if len(key) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in key
        ):
            chk.fail("noise", "key", key, _KEY_TEXT, TypeError)
        if not all(0 <= int(v) <= _MASK for v in key):
            chk.fail("noise", "key", key, f"{_KEY_TEXT} (key data are uint32)")
        return np.asarray([int(v) for v in key], np.uint32)
    if not isinstance(key, (jax.Array, np.ndarray, np.generic)):
        chk.fail("noise", "key", key, _KEY_TEXT, TypeError)
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        impl = str(jax.random.key_impl(key))
        if _IMPL not in impl or key.ndim != 0:
            chk.fail("noise", "key", key, f"{_KEY_TEXT}; got a key of {impl} "
                     f"of shape {key.shape}", TypeError)  # fmt: skip
        key = jax.random.key_data(key)
    elif np.issubdtype(key.dtype, np.integer) and key.ndim == 0:
        if not chk.is_concrete(key):  # a traced seed (vmap over seeds)
            return key
        return _checked_key(int(key))
    if not np.issubdtype(key.dtype, np.integer) or key.shape != (2,):
        chk.fail("noise", "key", key, _KEY_TEXT, TypeError)
    if not chk.is_concrete(key):
        return key.astype(jnp.uint32)
    data = np.asarray(key)
    if np.any(data < 0) or np.any(data.astype(np.int64) > _MASK):
        chk.fail("noise", "key", key, f"{_KEY_TEXT} (key data are uint32)")
    return data.astype(np.uint32)


def _key_data(key):
    """uint32[2] threefry key data of a held key (a seed as
    ``jax.random.key`` reads a 64-bit seed)."""
    if isinstance(key, int):
        return jnp.asarray([(key >> 32) & _MASK, key & _MASK], jnp.uint32)
    if jnp.ndim(key) == 0:  # a traced seed
        return jax.random.key_data(jax.random.key(key, impl=_IMPL))
    return jnp.asarray(key, jnp.uint32)


def _step_key(base, n):
    """``base`` folded with the whole step ``n``: its low, then its high 32
    bits (0 for 32-bit steps), so the key is the same in either mode."""
    if jnp.dtype(n.dtype).itemsize == 8:
        mask = jnp.asarray(_MASK, n.dtype)
        lo = (n & mask).astype(jnp.uint32)
        hi = (n >> jnp.asarray(32, n.dtype)).astype(jnp.uint32)
    else:
        lo, hi = n.astype(jnp.uint32), jnp.zeros((), jnp.uint32)
    return _fold_in(_fold_in(base, lo), hi)
