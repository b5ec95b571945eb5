"""Schedules given by tables: values between boundaries, or points to join."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from . import _checks as chk
from . import _numerics as num
from ._base import Schedule, schedule_class, setfield

__all__ = ["piecewise_constant", "piecewise_linear"]


@schedule_class
class piecewise_constant(Schedule):
    """Piecewise constant: ``values[i]`` from ``boundaries[i-1]`` (inclusive) to
    ``boundaries[i]`` (exclusive).

    .. math:: \\eta(t) = v_i, \\quad i = \\#\\{j : b_j \\le t\\}

    The piece is found with one integer comparison against the whole table (or
    a binary search for large step arrays), so tracing and compiling cost the
    same for 2 pieces or 5000.

    Args:
      boundaries: sorted steps (>= 0) where the value changes.
      values: ``len(boundaries) + 1`` values.

    Examples:
      >>> lr = piecewise_constant([10, 30], [0.1, 0.01, 0.001])
      >>> print(f"{lr(9):.3f} {lr(10):.3f} {lr(30):.4f}")
      0.100 0.010 0.0010
    """

    boundaries: Any
    values: Any

    def __post_init__(self):
        name = "piecewise_constant"
        b = chk.integer_array(name, "boundaries", self.boundaries)
        v = chk.number_array(name, "values", self.values)
        if chk.is_concrete(b) and chk.is_concrete(v) and len(v) != len(b) + 1:
            raise ValueError(
                f"{name}: `values` must have one more entry than `boundaries` "
                f"(a value before the first boundary and after each one); got "
                f"{len(b)} boundaries and {len(v)} values."
            )
        setfield(self, "boundaries", b)
        setfield(self, "values", v)

    @classmethod
    def from_scales(cls, init_value, boundaries_and_scales):
        """optax-style construction: ``init_value`` multiplied by every
        ``scale`` whose boundary has been reached.

        The running products are taken in float64 on the host, so a long chain
        of scales does not drift as a float32 product would.

        Args:
          init_value: value before the first boundary.
          boundaries_and_scales: ``{step: scale}`` with scales >= 0.

        Examples:
          >>> lr = piecewise_constant.from_scales(1.0, {100: 0.1, 200: 0.1})
          >>> print(f"{lr(150):.2f} {lr(250):.3f}")
          0.10 0.010
        """
        name = "piecewise_constant.from_scales"
        if not isinstance(boundaries_and_scales, dict):
            chk.fail(
                name,
                "boundaries_and_scales",
                boundaries_and_scales,
                "a dict {step: scale}",
                TypeError,
            )
        items = sorted(boundaries_and_scales.items())
        bounds = chk.integer_array(
            name, "boundaries_and_scales (keys)", [b for b, _ in items], strict=True
        )
        scales = chk.number_array(
            name, "boundaries_and_scales (values)", [s for _, s in items], low=0
        )
        init = chk.number(name, "init_value", init_value)
        values = init * np.cumprod(np.concatenate([[1.0], scales]))
        return cls(bounds, values)

    def _evaluate(self, n, f):
        i = num.count_at_most(self.boundaries, n)
        values = self.values
        if chk.is_concrete(values) and np.ndim(values) == 1:
            return num.take(np.asarray(values, num.float_dtype()), i)
        return jnp.take(num.as_float(values), i, axis=-1, mode="clip")

    def breakpoints(self):
        b = self.boundaries
        return tuple(int(x) for x in b) if chk.is_concrete(b) else ()


@schedule_class
class piecewise_linear(Schedule):
    """Piecewise linear: straight lines through the points ``(boundaries[i],
    values[i])``, held flat before the first point and after the last.

    .. math:: \\eta(t) = v_{i-1} + (v_i - v_{i-1}) \\frac{t - b_{i-1}}{b_i - b_{i-1}},
       \\quad b_{i-1} \\le t < b_i

    A repeated boundary makes a jump: the later value applies from that step.

    Args:
      boundaries: sorted steps (>= 0) of the points.
      values: one value per boundary.

    Examples:
      >>> lr = piecewise_linear([0, 100, 1000], [0.0, 1e-3, 1e-5])
      >>> print(f"{lr(50):.1e} {lr(100):.1e} {lr(2000):.1e}")
      5.0e-04 1.0e-03 1.0e-05
    """

    boundaries: Any
    values: Any

    def __post_init__(self):
        name = "piecewise_linear"
        b = chk.integer_array(name, "boundaries", self.boundaries)
        v = chk.number_array(name, "values", self.values)
        if chk.is_concrete(b) and chk.is_concrete(v):
            if len(b) == 0:
                chk.fail(name, "boundaries", self.boundaries, "at least one point")
            if len(v) != len(b):
                raise ValueError(
                    f"{name}: `values` must have one entry per boundary; got "
                    f"{len(b)} boundaries and {len(v)} values."
                )
        setfield(self, "boundaries", b)
        setfield(self, "values", v)

    def _evaluate(self, n, f):
        if chk.is_concrete(self.boundaries) and chk.is_concrete(self.values):
            if np.ndim(self.boundaries) == 1 and np.ndim(self.values) == 1:
                return self._evaluate_table(n, f)
        b = num.as_int(self.boundaries)
        v = num.as_float(self.values)
        last = b.shape[-1] - 1
        i = num.count_at_most(self.boundaries, n)
        lo = jnp.clip(i - 1, 0, last)
        hi = jnp.clip(i, 0, last)
        b_lo, b_hi = jnp.take(b, lo, axis=-1), jnp.take(b, hi, axis=-1)
        v_lo, v_hi = jnp.take(v, lo, axis=-1), jnp.take(v, hi, axis=-1)
        inside = (i > 0) & (i <= last)
        length = num.real(jnp.where(inside, b_hi - b_lo, 1), None)
        done = num.real(jnp.where(inside, n - b_lo, 0), f)
        remaining = num.real(jnp.where(inside, b_hi - n, 1), None)
        if f is not None:
            remaining = remaining - f
        between = v_lo * (remaining / length) + v_hi * (done / length)
        return jnp.where(inside, between, jnp.where(i == 0, v_lo, v_hi))

    def _tables(self):
        """Host tables, one entry per piece ``i`` (0 before the first point,
        ``len(boundaries)`` after the last): the ends ``b_lo``, ``b_hi`` of the
        segment and the weights ``v_lo / (b_hi - b_lo)``, ``v_hi / (b_hi -
        b_lo)``, in float64 rounded once.  The pieces before the first point
        and after the last are segments of length 1 with equal values at both
        ends, so that clamping the step into the segment gives the held value
        exactly."""
        tables = self.__dict__.get("_table_cache")
        if tables is None:
            top = np.iinfo(num.int_dtype()).max
            b = np.minimum(np.asarray(self.boundaries, np.int64), top)
            v = np.asarray(self.values, np.float64)
            lo = np.concatenate([[b[0] - 1], b])
            hi = np.concatenate([b, [b[-1]]])
            lo[-1] = b[-1] - 1
            v_lo = np.concatenate([[v[0]], v])
            v_hi = np.concatenate([v, [v[-1]]])
            length = np.maximum(hi - lo, 1).astype(np.float64)
            with np.errstate(invalid="ignore", over="ignore"):
                tables = (lo, hi, v_lo / length, v_hi / length)
            object.__setattr__(self, "_table_cache", tables)
        return tables

    def _evaluate_table(self, n, f):
        # The same as the general path below with the per-piece arithmetic
        # done on the host: one lookup, four reads of 1-D tables, a clamp and
        # a dot product, so the graph (and its compile time) stays small.
        lo, hi, w_lo, w_hi = self._tables()
        i = num.count_at_most(self.boundaries, n)
        b_lo = num.take(lo.astype(n.dtype), i)
        b_hi = num.take(hi.astype(n.dtype), i)
        t = jnp.minimum(jnp.maximum(n, b_lo), b_hi)
        done = num.real(t - b_lo, None)
        remaining = num.real(b_hi - t, None)
        if f is not None:
            inside = (i > 0) & (i < len(lo) - 1)
            f = jnp.where(inside, f, jnp.zeros_like(f))
            done, remaining = done + f, remaining - f
        fdtype = num.float_dtype()
        return (
            num.take(w_lo.astype(fdtype), i) * remaining
            + num.take(w_hi.astype(fdtype), i) * done
        )

    def breakpoints(self):
        b = self.boundaries
        return tuple(int(x) for x in b) if chk.is_concrete(b) else ()
