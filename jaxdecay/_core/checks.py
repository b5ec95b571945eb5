"""Argument checks shared by every constructor.

Checks run only on concrete values (Python or NumPy numbers, concrete arrays), so
that a schedule can still be built from traced values inside ``jax.vmap``.  Each
message names the function the user called, the parameter, the value and what is
allowed.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import jax
import numpy as np

__all__ = [
    "is_concrete",
    "number",
    "integer",
    "integer_array",
    "number_array",
    "choice",
    "flag",
    "fail",
    "shown",
]


def is_concrete(x: Any) -> bool:
    """True when ``x`` holds known values (not a tracer)."""
    if isinstance(x, jax.core.Tracer):
        return False
    if isinstance(x, (list, tuple)):
        return all(is_concrete(v) for v in x)
    return True


def fail(func: str, name: str, value: Any, allowed: str, error=ValueError):
    """Raises ``error`` with the project's message format."""
    raise error(f"{func}: `{name}` must be {allowed}; got {name}={_show(value)}.")


def shown(value: Any) -> str:
    """``value`` as an error message shows it: small concrete arrays by their
    numbers, larger ones by dtype and shape, huge ints by their size (the repr
    of 10**5000 cannot even be printed), long containers by their length."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() <= 128:
            return repr(value)
        digits = int(abs(value).bit_length() * math.log10(2))
        return f"<an int of about {'-' if value < 0 else ''}10**{digits}>"
    if isinstance(value, (jax.Array, np.ndarray)):
        if is_concrete(value) and value.ndim == 0:
            return repr(np.asarray(value).item())
        if is_concrete(value) and value.size <= 8:
            return repr(np.asarray(value).tolist())
        return f"<{value.dtype} array of shape {value.shape}>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # a container of huge ints, too deep
        return f"<{type(value).__name__}>"
    if len(text) > 80 and hasattr(value, "__len__"):
        if (
            isinstance(value, (list, tuple))
            and all(isinstance(v, (int, float)) for v in value[:9])
            and len(value) <= 8
        ):
            return "[" + ", ".join(shown(v) for v in value) + "]"
        return f"<{type(value).__name__} of {len(value)} items>"
    return text


_show = shown


def _is_number(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Number):
        return True
    if isinstance(x, (np.ndarray, jax.Array)):
        return np.issubdtype(x.dtype, np.number) and not np.issubdtype(
            x.dtype, np.bool_
        )
    return False


def number(
    func: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allowed: str | None = None,
):
    """Checks a real number (or array of them); returns a canonical value.

    Concrete scalars come back as Python floats (so equal configurations hash and
    compare equal, and jit sees one abstract type); concrete arrays as float64
    NumPy arrays; tracers unchanged.
    """
    what = allowed or _range_text(low, high, low_open, high_open)
    if not is_concrete(value):
        return value
    if not _is_number(value):
        fail(func, name, value, f"a real number ({what})", TypeError)
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        fail(func, name, value, f"a real number ({what})", TypeError)
    arr = arr.astype(np.float64)
    ok = np.isfinite(arr)
    if low is not None:
        ok &= (arr > low) if low_open else (arr >= low)
    if high is not None:
        ok &= (arr < high) if high_open else (arr <= high)
    if not np.all(ok):
        fail(func, name, value, what)
    return float(arr) if arr.ndim == 0 else arr


def _range_text(low, high, low_open, high_open) -> str:
    if low is None and high is None:
        return "finite"
    if high is None:
        if low == 0:
            return "positive and finite" if low_open else "non-negative and finite"
        return f"finite and {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"finite and {'<' if high_open else '<='} {high:g}"
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    return f"in {lo}{low:g}, {high:g}{hi}"


def integer(func: str, name: str, value: Any, *, low: int = 0, allowed=None):
    """Checks a whole number of steps ``>= low``; returns a Python int.

    Integral floats (``100.0``) are accepted, as optax and Keras accept them.
    """
    what = allowed or ("a positive integer" if low == 1 else f"an integer >= {low}")
    if not is_concrete(value):
        return value
    if isinstance(value, bool) or not _is_number(value):
        fail(func, name, value, what, TypeError)
    arr = np.asarray(value)
    if arr.ndim != 0:
        fail(func, name, value, f"a single number: {what}", TypeError)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr) or arr != np.floor(arr):
            fail(func, name, value, what)
    out = int(arr)
    if out < low or out > np.iinfo(np.int64).max:
        fail(func, name, value, what)
    return out


def _sequence(func: str, name: str, value: Any, what: str) -> np.ndarray:
    """A concrete 1-D sequence of real numbers as a NumPy array (TypeError if not)."""
    if isinstance(value, (str, bytes, dict)):
        fail(func, name, value, what, TypeError)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError):  # ragged, or not numbers
        fail(func, name, value, what, TypeError)
    if arr.ndim != 1:
        fail(func, name, value, what, TypeError)
    if arr.size and (arr.dtype == object or not _is_number(arr)):
        fail(func, name, value, what, TypeError)
    return arr


def integer_array(func: str, name: str, value: Any, *, low: int = 0, strict=False):
    """Checks a sorted 1-D sequence of step numbers; returns an int64 array."""
    order = "strictly increasing" if strict else "sorted (non-decreasing)"
    what = f"a {order} sequence of integers >= {low}"
    if not is_concrete(value):
        return value
    arr = _sequence(func, name, value, what)
    if arr.size == 0:
        return np.zeros((0,), np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            fail(func, name, value, what)
    too_big = (
        np.any(np.abs(arr) >= 2.0**63)
        if np.issubdtype(arr.dtype, np.floating)
        else np.issubdtype(arr.dtype, np.unsignedinteger)
        and np.any(arr > np.iinfo(np.int64).max)
    )
    if too_big:
        fail(func, name, value, f"{what}, each at most 2**63 - 1")
    out = arr.astype(np.int64)
    if np.any(out < low):
        fail(func, name, value, what)
    steps = np.diff(out)
    if np.any(steps <= 0 if strict else steps < 0):
        fail(func, name, value, what)
    return out


def number_array(func: str, name: str, value: Any, *, low=None, allowed=None):
    """Checks a 1-D sequence of finite numbers; returns a float64 array."""
    what = allowed or (
        "a sequence of finite numbers"
        if low is None
        else f"a sequence of finite numbers >= {low:g}"
    )
    if not is_concrete(value):
        return value
    arr = _sequence(func, name, value, what).astype(np.float64)
    if not np.all(np.isfinite(arr)) or (low is not None and np.any(arr < low)):
        fail(func, name, value, what)
    return arr


def choice(func: str, name: str, value: Any, options: tuple):
    """Checks a value from a fixed set of options (e.g. a mode name)."""
    if value not in options:
        shown = ", ".join(repr(o) for o in options)
        fail(func, name, value, f"one of {shown}")
    return value


def flag(func: str, name: str, value: Any) -> bool:
    """Checks a boolean switch."""
    if not isinstance(value, (bool, np.bool_)):
        fail(func, name, value, "True or False", TypeError)
    return bool(value)
