"""Schedules given by tables: values between boundaries, or points to join."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule
from .._core.fields import RealList, StepList, param

__all__ = ["piecewise_constant", "piecewise_linear"]


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

    boundaries: Any = param(StepList())
    values: Any = param(RealList())

    def __check_init__(self):
        b, v = self.boundaries, self.values
        if chk.is_concrete(b) and chk.is_concrete(v) and len(v) != len(b) + 1:
            raise ValueError(
                "piecewise_constant: `values` must have one more entry than "
                "`boundaries` (a value before the first boundary and after each "
                f"one); got {len(b)} boundaries and {len(v)} values."
            )

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
        bounds = StepList(strict=True).check(
            name, "boundaries_and_scales (keys)", [b for b, _ in items]
        )
        scales = chk.number_array(
            name, "boundaries_and_scales (values)", [s for _, s in items], low=0
        )
        init = chk.number(name, "init_value", init_value)
        values = init * np.cumprod(np.concatenate([[1.0], scales]))
        return cls(bounds, values)

    def _evaluate(self, step):
        n, f = step
        i = num.count_at_most(self.boundaries, n)
        values = self.values
        if chk.is_concrete(values) and np.ndim(values) == 1:
            return num.take(np.asarray(values, num.float_dtype()), i)
        return jnp.take(num.as_float(values), i, axis=-1, mode="clip")

    def settles_at(self):
        b = self.boundaries
        if not chk.is_concrete(b):
            return None
        return int(b[-1]) if len(b) else 0

    def breakpoints(self):
        b = self.boundaries
        return tuple(int(x) for x in b) if chk.is_concrete(b) else ()


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

    boundaries: Any = param(StepList())
    values: Any = param(RealList())

    def __check_init__(self):
        name = "piecewise_linear"
        b, v = self.boundaries, self.values
        if chk.is_concrete(b) and chk.is_concrete(v):
            if len(b) == 0:
                chk.fail(name, "boundaries", b, "at least one point")
            if len(v) != len(b):
                raise ValueError(
                    f"{name}: `values` must have one entry per boundary; got "
                    f"{len(b)} boundaries and {len(v)} values."
                )

    def _evaluate(self, step):
        n, f = step
        b = self.boundaries
        if chk.is_concrete(b) and np.ndim(b) == 1:
            return self._evaluate_table(n, f)
        # Traced boundaries (vmap over them): in the step dtype already.
        b = num.as_int(b)
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

    def _tables(self, dtype):
        """Host tables, one entry per piece ``i`` that a step can reach (``i``
        boundaries at or below it: 0 before the first point, ``len(boundaries)``
        after the last; boundaries beyond the top step are never reached).

        ``lo``, ``hi``: the ends of the piece's segment, in the step dtype (an
        end beyond the top step is stored as the top, and ``rest`` holds how far
        past the top it lies: only the last reachable segment has one);
        ``length``: the segment's true length (float64); ``at_lo``, ``at_hi``:
        which value applies at each end; ``w_lo``, ``w_hi``: those values over
        the length, in float64 rounded once (with concrete values).  The pieces
        before the first point and after the last are segments of length 1 with
        the same value at both ends, so that clamping the step into the segment
        gives the held value exactly."""
        cache = self.__dict__.get("_table_cache")
        key = (np.dtype(dtype).name, chk.is_concrete(self.values))
        if cache is not None and cache[0] == key:
            return cache[1]
        top = int(np.iinfo(dtype).max)
        b = np.asarray(self.boundaries, np.int64)
        count = len(b)
        piece = np.arange(np.searchsorted(b, top, side="right") + 1)
        at_lo = np.clip(piece - 1, 0, count - 1)
        at_hi = np.minimum(piece, count - 1)
        held = (piece == 0) | (piece == count)
        end = b[at_hi]
        hi = np.minimum(end, top)
        lo = np.where(held, hi - 1, b[at_lo])
        tables = {
            "lo": lo.astype(dtype),
            "hi": hi.astype(dtype),
            "rest": None,
            "length": np.where(held, 1, np.maximum(end - lo, 1)).astype(np.float64),
            "at_lo": at_lo.astype(np.int32),
            "at_hi": at_hi.astype(np.int32),
        }
        rest = np.where(held, 0, end - hi)
        if np.any(rest):  # the last reachable segment ends past the top
            tables["rest"] = rest.astype(np.float64)
        if key[1]:
            v = np.asarray(self.values, np.float64)
            w_lo = v[tables["at_lo"]] / tables["length"]
            w_hi = v[tables["at_hi"]] / tables["length"]
            # Weights that the float dtype would flush towards zero (a tiny
            # value over a segment of ~2**60 steps) are not used: the values
            # are then read as they are and divided on the device.
            w = np.abs(np.concatenate([w_lo, w_hi]))
            if not np.any((w > 0) & (w < np.finfo(num.float_dtype()).tiny)):
                tables["w_lo"], tables["w_hi"] = w_lo, w_hi
        object.__setattr__(self, "_table_cache", (key, tables))
        return tables

    def _evaluate_table(self, n, f):
        # Concrete boundaries: the per-piece arithmetic done on the host, so
        # the graph is one lookup, reads of 1-D tables, a clamp and a dot
        # product, and its (compile) cost does not grow with the pieces.
        tables = self._tables(n.dtype)
        fdtype = num.float_dtype()
        i = num.count_at_most(self.boundaries, n)
        b_lo = num.take(tables["lo"], i)
        b_hi = num.take(tables["hi"], i)
        t = jnp.minimum(jnp.maximum(n, b_lo), b_hi)
        done = num.real(t - b_lo, None)
        remaining = num.real(b_hi - t, None)
        if tables["rest"] is not None:  # a segment that ends past the top step
            remaining = remaining + num.take(tables["rest"].astype(fdtype), i)
        if f is not None:
            inside = (i > 0) & (i < len(self.boundaries))
            f = jnp.where(inside, f, jnp.zeros_like(f))
            done, remaining = done + f, remaining - f
        if "w_lo" in tables:
            return (
                num.take(tables["w_lo"].astype(fdtype), i) * remaining
                + num.take(tables["w_hi"].astype(fdtype), i) * done
            )
        # Traced values (vmap over them) at fixed boundaries.
        v = num.as_float(self.values)
        v_lo = jnp.take(v, num.take(tables["at_lo"], i), axis=-1)
        v_hi = jnp.take(v, num.take(tables["at_hi"], i), axis=-1)
        length = num.take(tables["length"].astype(fdtype), i)
        return v_lo * (remaining / length) + v_hi * (done / length)

    def settles_at(self):
        b = self.boundaries
        if not chk.is_concrete(b):
            return None
        return int(b[-1]) if len(b) else 0

    def breakpoints(self):
        b = self.boundaries
        return tuple(int(x) for x in b) if chk.is_concrete(b) else ()
