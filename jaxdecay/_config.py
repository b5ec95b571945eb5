"""Schedules as plain configs and as text: ``to_config``, ``from_config``, ``parse``.

A config is a JSON-able ``dict``: ``{"name": NAME, **arguments}``, with
nested schedules as nested configs.  A spec is the same thing written as a call,
``warmup_cosine_decay(peak_value=3e-4, warmup_steps=2000, decay_steps=100000)``,
read by a parser that accepts schedule names, literals, lists, nesting and
``+ - * /`` between schedules and numbers, and nothing else: it never evaluates
code.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from ._base import Schedule, _same
from ._checks import is_concrete

__all__ = ["to_config", "from_config", "parse"]

KEY = "name"


@functools.cache
def _registry() -> dict[str, type]:
    """Public schedule names (aliases included) to their classes."""
    import jaxdecay

    return {
        name: obj
        for name in jaxdecay.__all__
        if isinstance(obj := getattr(jaxdecay, name), type)
        and issubclass(obj, Schedule)
        and obj is not Schedule
    }


def _plateau():
    from ._plateau import reduce_on_plateau

    return reduce_on_plateau


def _constructors() -> dict[str, type]:
    """Everything a config or a spec may name: the schedules and the plateau."""
    return {**_registry(), "reduce_on_plateau": _plateau()}


def _known() -> str:
    return ", ".join(sorted(_constructors()))


# -- to_config --------------------------------------------------------------------


def _value(x, where: str):
    if isinstance(x, (Schedule, _plateau())):
        return to_config(x)
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (tuple, list)):
        return [_value(v, f"{where}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, jax.core.Tracer) or not is_concrete(x):
        raise TypeError(
            f"to_config: `{where}` is a traced value; a config holds concrete "
            "numbers, so build the schedule outside jit/vmap to save it."
        )
    if isinstance(x, (int, float, np.generic, np.ndarray, jax.Array)):
        a = np.asarray(x)
        if a.dtype == bool:
            return a.tolist()
        if np.issubdtype(a.dtype, np.integer):
            return a.astype(np.int64).tolist()
        return a.astype(np.float64).tolist()
    if callable(x):
        name = getattr(x, "__qualname__", None) or type(x).__name__
        raise TypeError(
            f"to_config: `{where}` is the Python function {name}, which a config "
            "cannot hold; write it with schedules (arithmetic, join, "
            "piecewise_linear, ...) to make it saveable."
        )
    raise TypeError(f"to_config: `{where}` has a value a config cannot hold: {x!r}.")


def to_config(schedule) -> dict[str, Any]:
    """The schedule as a plain, JSON-able ``dict``: ``{"name": name, **args}``.

    Nested schedules become nested configs; numbers become Python numbers (arrays
    nested lists); arguments left at their defaults are left out.
    ``from_config(to_config(s)) == s`` for every schedule built from numbers,
    :class:`reduce_on_plateau` included (its products with schedules are listed
    under ``"multipliers"``).  A schedule holding a Python function
    (``from_fn``, a callable ``factor`` of ``recurrence``) or traced values
    raises ``TypeError``.

    Examples:
      >>> to_config(cosine_decay(0.1, decay_steps=1000))
      {'name': 'cosine_decay', 'init_value': 0.1, 'decay_steps': 1000}
    """
    plateau = _plateau()
    if not isinstance(schedule, (Schedule, plateau)):
        raise TypeError(
            f"to_config: `schedule` must be a jaxdecay schedule; got {schedule!r}."
        )
    name = type(schedule).__name__
    if _constructors().get(name) is not type(schedule):
        raise TypeError(f"to_config: {name} is not a public schedule.")
    config: dict[str, Any] = {KEY: name}
    for field in dataclasses.fields(schedule):
        value = getattr(schedule, field.name)
        if not field.init:
            if isinstance(schedule, plateau) and field.name == "multipliers" and value:
                config[field.name] = _value(value, f"{name}.{field.name}")
            continue
        if field.default is not dataclasses.MISSING and _same(value, field.default):
            continue
        config[field.name] = _value(value, f"{name}.{field.name}")
    return config


# -- from_config ------------------------------------------------------------------


def _plain(config):
    """A mapping, an ``ml_collections.ConfigDict`` or a dataclass-like object as
    a plain dict."""
    if isinstance(config, Mapping):
        return dict(config)
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return None


def _decode(value, where: str):
    if isinstance(value, str) and "(" in value:
        return parse(value)
    plain = _plain(value) if not isinstance(value, (str, bytes)) else None
    if plain is not None:
        if KEY in plain:
            return from_config(plain, _where=where)
        return {k: _decode(v, f"{where}.{k}") for k, v in plain.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_decode(v, f"{where}[{i}]") for i, v in enumerate(value))
    return value


def from_config(config, *, _where: str = "config") -> Schedule:
    """Builds the schedule a config describes (the inverse of :func:`to_config`).

    ``config`` is a ``dict`` (from JSON, YAML, ``ml_collections.ConfigDict`` or
    any mapping) with the key ``"name"`` naming a public schedule and its
    arguments beside it; nested schedules are nested configs.  A text spec
    (``"cosine_decay(0.1, 1000)"``) is accepted too, here and for any nested
    schedule.  Only public schedule names are looked up: nothing is imported or
    evaluated.

    Examples:
      >>> lr = from_config({"name": "warmup_cosine_decay", "peak_value": 3e-4,
      ...                   "warmup_steps": 100, "decay_steps": 1000})
      >>> lr == warmup_cosine_decay(3e-4, 100, 1000)
      True
      >>> from_config("step_decay(0.1, step_size=30, gamma=0.5)")(60)
      Array(0.025, dtype=float32)
    """
    if isinstance(config, str):
        return parse(config)
    plain = _plain(config)
    if plain is None:
        raise TypeError(
            f"from_config: `{_where}` must be a mapping such as "
            '{"name": "cosine_decay", "init_value": 0.1, "decay_steps": 1000} '
            f"or a spec string; got {config!r}."
        )
    if KEY not in plain:
        raise ValueError(
            f'from_config: `{_where}` has no "{KEY}" key naming the schedule; got '
            f"keys {sorted(plain)}."
        )
    name = plain.pop(KEY)
    cls = _constructors().get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(
            f"from_config: `{_where}.{KEY}` must be one of {_known()}; got {name!r}."
        )
    multipliers = plain.pop("multipliers", []) if cls is _plateau() else []
    kwargs = {k: _decode(v, f"{_where}.{k}") for k, v in plain.items()}
    try:
        out = cls(**kwargs)
        for i, m in enumerate(multipliers):
            out = out * _decode(m, f"{_where}.multipliers[{i}]")
        return out
    except TypeError as error:
        if "argument" not in str(error):
            raise
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        raise TypeError(
            f"from_config: `{_where}` does not fit {name}({', '.join(names)}): {error}."
        ) from None


# -- parse ------------------------------------------------------------------------

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class _SpecError(ValueError):
    pass


def _fail(text: str, node, message: str):
    col = getattr(node, "col_offset", 0)
    pointer = f"\n  {text}\n  {' ' * col}^"
    raise _SpecError(f"parse: {message} (at column {col + 1}):{pointer}")


def _eval(text: str, node):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (int, float, str, bool)) or node.value is None:
            return node.value
        _fail(text, node, f"{node.value!r} is not a number, string or boolean")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(text, e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval(text, node.operand)
        if isinstance(value, bool) or not isinstance(value, (int, float, Schedule)):
            _fail(text, node, "a sign applies to a number or a schedule")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        lhs, rhs = _eval(text, node.left), _eval(text, node.right)
        plateau = _plateau()
        if isinstance(lhs, plateau) or isinstance(rhs, plateau):
            if not isinstance(node.op, ast.Mult):
                _fail(text, node, "a reduce_on_plateau combines by `*` only")
            try:
                return lhs * rhs
            except TypeError as error:
                _fail(text, node, str(error))
        ok = (int, float, Schedule)
        if not (isinstance(lhs, ok) and isinstance(rhs, ok)) or isinstance(lhs, bool):
            _fail(text, node, "`+ - * /` combine schedules and numbers only")
        if not (isinstance(lhs, Schedule) or isinstance(rhs, Schedule)):
            return _number_op(text, node, lhs, rhs)
        from ._compose import arithmetic

        return arithmetic(_BINOPS[type(node.op)], lhs, rhs)
    if isinstance(node, ast.Name):
        if node.id in ("inf", "nan"):
            return float(node.id)
        if node.id in _constructors():
            _fail(text, node, f"{node.id} must be called: {node.id}(...)")
        _fail(text, node, f"unknown name {node.id!r}; known schedules: {_known()}")
    if isinstance(node, ast.Call):
        return _call(text, node)
    if isinstance(node, ast.Attribute):
        _fail(text, node, "attribute access is not allowed")
    if isinstance(node, ast.Lambda):
        _fail(text, node, "lambdas are not allowed")
    _fail(text, node, f"{type(node).__name__} is not allowed in a schedule spec")
    return None  # pragma: no cover - _fail raises


def _number_op(text, node, lhs, rhs):
    if isinstance(node.op, ast.Div) and rhs == 0:
        _fail(text, node, "division by zero")
    out = {ast.Add: lhs + rhs, ast.Sub: lhs - rhs, ast.Mult: lhs * rhs}.get(
        type(node.op)
    )
    return lhs / rhs if out is None else out


def _call(text: str, node: ast.Call):
    if not isinstance(node.func, ast.Name):
        what = "attribute access" if isinstance(node.func, ast.Attribute) else "a call"
        _fail(text, node.func, f"{what} is not allowed; call a schedule by its name")
    name = node.func.id
    cls = _constructors().get(name)
    if cls is None:
        _fail(text, node.func, f"unknown schedule {name!r}; known: {_known()}")
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        _fail(text, node, "`*` and `**` are not allowed")
    args = [_eval(text, a) for a in node.args]
    kwargs = {k.arg: _eval(text, k.value) for k in node.keywords}
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as error:
        _fail(text, node, str(error))
    return None  # pragma: no cover


def parse(spec: str) -> Schedule:
    """Reads a schedule from text: a call of a schedule by name, with literals.

    The text is parsed (``ast.parse``), never evaluated: it may hold schedule
    names called with numbers, strings, booleans, lists, ``inf``, nested
    schedules and ``+ - * /`` between schedules and numbers.  Anything else
    (unknown names, attribute access, imports, lambdas, ``*args``) is a
    ``ValueError`` that points at the offending column.  The ``repr`` of a
    schedule is a spec of it.

    Examples:
      >>> parse("warmup_cosine_decay(peak_value=3e-4, warmup_steps=2000, "
      ...       "decay_steps=100000)")
      warmup_cosine_decay(peak_value=0.0003, warmup_steps=2000, decay_steps=100000)
      >>> parse("join([linear(0, 1e-3, 100), cosine_decay(1e-3, 900)], "
      ...       "boundaries=[100])")(100)
      Array(0.001, dtype=float32)
      >>> parse("0.5 * cosine_decay(1.0, 10)")(0)
      Array(0.5, dtype=float32)
    """
    if not isinstance(spec, str):
        raise TypeError(f"parse: `spec` must be a string; got {spec!r}.")
    text = spec.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        col = max((error.offset or 1) - 1, 0)
        raise ValueError(
            f"parse: not a valid spec: {error.msg} (at column {col + 1}):"
            f"\n  {text}\n  {' ' * col}^"
        ) from None
    out = _eval(text, tree.body)
    if not isinstance(out, (Schedule, _plateau())):
        raise ValueError(f"parse: {spec!r} is a {type(out).__name__}, not a schedule.")
    return out
