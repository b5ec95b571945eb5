"""Schedules as plain configs and as text: ``to_config``, ``from_config``, ``parse``.

A config is a JSON-able ``dict``: ``{"name": NAME, **arguments}``, with
nested schedules as nested configs.  A spec is the same thing written as a call,
``warmup_cosine_decay(peak_value=3e-4, warmup_steps=2000, decay_steps=100000)``,
read by a small parser of its own (on Python's tokenizer) that accepts schedule
names, literals, lists, nesting and ``+ - * /`` between schedules and numbers,
and nothing else: it never evaluates code.

Input of any size is safe: chains of ``+ - * /`` are read and folded in a loop
(``a + b + c`` is ``(a + b) + c``, as in Python, and sums and products of
schedules are flat), and nesting (calls, lists, parentheses, signs; configs
within configs) is limited to ``MAX_DEPTH`` (100) levels, refused beyond with a
``ValueError`` before anything deep is built.  ``to_config`` walks a schedule
with an explicit stack, so no input makes it recurse.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import io
import keyword
import math
import operator
import re
import reprlib
import sys
import tokenize
from collections.abc import Mapping

from .._catalog.plateau import reduce_on_plateau
from .._core import base as _base
from .._core.base import Schedule, to_config

__all__ = ["to_config", "from_config", "parse", "MAX_DEPTH"]

KEY = _base.CONFIG_KEY

MAX_DEPTH = 100
"""How deeply a spec or a config may nest: calls, lists, parentheses and signs
within each other in a spec; schedules, lists and mappings within each other in
a config.  A flat chain ``a + b + c + ...`` is one level however long it is."""

_FLOAT_MAX = sys.float_info.max
_LIMIT = f"{_FLOAT_MAX:.4g}"

# Fields that hold a schedule (or a list of them, or a number): there a string
# is read as a spec.  Everywhere else a string stays a string.
_SCHEDULE_FIELDS = frozenset(
    {"schedule", "schedules", "lhs", "rhs", "terms", "base", "cycle", "multipliers"}
)


# -- the names a config or a spec may call ------------------------------------------


def _registry() -> dict[str, type]:
    """Every name a config or a spec may call: the jaxdecay classes registered
    by name (the building blocks ``to_config`` writes, such as ``combine``,
    and ``reduce_on_plateau`` included) and their aliases (``sgdr``)."""
    return {
        name: cls
        for name, cls in _base.schedule_types(internal=True, aliases=True).items()
        if cls.__module__.split(".")[0] == "jaxdecay"
    }


def _plateau():
    return reduce_on_plateau


def _known() -> str:
    """The public names, for messages."""
    return ", ".join(sorted(_base.schedule_types(aliases=True)))


@functools.cache
def _arguments(cls) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """``(positional, all, required)`` argument names of ``cls``, or None when
    its signature cannot be read (then the constructor checks alone)."""
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - every schedule has one
        return None
    kinds = inspect.Parameter
    if any(p.kind in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD) for p in params):
        return None
    positional = tuple(p.name for p in params if p.kind != kinds.KEYWORD_ONLY)
    names = tuple(p.name for p in params)
    required = tuple(p.name for p in params if p.default is p.empty)
    return positional, names, required


def _holds_schedule(cls, name: str) -> bool:
    """Whether field ``name`` of ``cls`` holds a schedule (where a config's
    string is a spec)."""
    field = next((f for f in dataclasses.fields(cls) if f.name == name), None)
    if field is None:
        return False
    kind = field.metadata.get("kind")
    if kind is not None and "schedule" in type(kind).__name__.lower():
        return True
    scalar = field.type in ("bool", "str", "int", "float", bool, str, int, float)
    return name in _SCHEDULE_FIELDS and not scalar


# -- short, safe text for messages ----------------------------------------------------


class _Short(reprlib.Repr):
    """``repr`` cut to a readable length; huge integers by their size (Python
    refuses to write integers of more than 4300 digits)."""

    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother = 3, 80, 80
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 8

    def repr_int(self, x, level):
        if x.bit_length() > 100:
            return _digits(x)
        return repr(x)

    def repr_instance(self, x, level):
        try:
            return super().repr_instance(x, level)
        except (RecursionError, ValueError):
            return f"<{type(x).__name__}>"


def _digits(x: int) -> str:
    """A huge integer by its size, as the schedules' own checks show it."""
    digits = int(abs(x).bit_length() * math.log10(2))
    return f"<an int of about {'-' if x < 0 else ''}10**{digits}>"


def _short(value) -> str:
    try:
        return _Short().repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"


def _key(where: str) -> str:
    """A config key path for a message, its middle cut out when long."""
    if len(where) <= 120:
        return f"`{where}`"
    return f"`{where[:50]} ... {where[-60:]}`"


def _too_deep(what: str) -> str:
    return (
        f"{what} nests deeper than {MAX_DEPTH} levels; at most {MAX_DEPTH} levels "
        "are read (a long sum or product a + b + c + ... is one level)"
    )


# -- from_config ------------------------------------------------------------------


def _plain(config):
    """A mapping, an ``ml_collections.ConfigDict`` or a dataclass-like object as
    a plain dict."""
    if isinstance(config, Mapping):
        return dict(config)
    to_dict = getattr(config, "to_dict", None)
    if callable(to_dict) and not isinstance(config, type):
        return dict(to_dict())
    return None


def from_config(config) -> Schedule:
    """Builds the schedule a config describes (the inverse of
    :meth:`Schedule.to_config`).

    ``config`` is a ``dict`` (from JSON, YAML, ``ml_collections.ConfigDict`` or
    any mapping) with the key ``"name"`` naming a schedule and its arguments
    beside it; nested schedules are nested configs.  A text spec
    (``"cosine_decay(0.1, 1000)"``) is accepted too, for the whole config and
    for any field that holds a schedule (elsewhere a string stays a string).
    Only schedule names are looked up: nothing is imported or evaluated.

    Errors name the key where they are found, such as
    ``config.schedules[1].decay_steps``; a config may nest ``MAX_DEPTH`` (100)
    levels (schedules, lists and mappings within each other).

    Args:
      config: a config (mapping) or a spec (string).

    Examples:
      >>> lr = from_config({"name": "warmup_cosine_decay", "peak_value": 3e-4,
      ...                   "warmup_steps": 100, "decay_steps": 1000})
      >>> lr == warmup_cosine_decay(3e-4, 100, 1000)
      True
      >>> from_config("step_decay(0.1, step_size=30, gamma=0.5)")(60)
      Array(0.025, dtype=float32)
      >>> from_config({"name": "join", "boundaries": [10],
      ...              "schedules": ["constant(1.0)", {"name": "constant"}]})
      Traceback (most recent call last):
      ...
      TypeError: from_config: `config.schedules[1]` is missing `value`, ...
    """
    return _build(config, "config", 0)


def _build(config, where: str, depth: int):
    """The schedule of one config (a mapping or a spec) found at ``where``."""
    if depth > MAX_DEPTH:
        raise ValueError(f"from_config: {_too_deep(_key(where))}.")
    if isinstance(config, str):
        return _spec(config, where, depth)
    plain = _plain(config)
    if plain is None:
        raise TypeError(
            f"from_config: {_key(where)} must be a mapping such as "
            '{"name": "cosine_decay", "init_value": 0.1, "decay_steps": 1000} '
            f"or a spec string; got {_short(config)}."
        )
    if KEY not in plain:
        raise ValueError(
            f'from_config: {_key(where)} has no "{KEY}" key naming the schedule; got '
            f"keys {_short(list(plain))}."
        )
    name = plain.pop(KEY)
    cls = _registry().get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(
            f"from_config: {_key(f'{where}.{KEY}')} must be one of {_known()}; got "
            f"{KEY}={_short(name)}."
        )
    is_plateau = cls is _plateau()
    multipliers = plain.pop("multipliers", ()) if is_plateau else ()
    _check_keys(cls, name, plain, where)
    kwargs = {}
    for key, value in plain.items():
        kwargs[key] = _decode(
            value, f"{where}.{key}", depth + 1, _holds_schedule(cls, key)
        )
    factors = []
    if is_plateau:
        if isinstance(multipliers, (str, bytes, Mapping)) or not isinstance(
            multipliers, (list, tuple)
        ):
            raise TypeError(
                f"from_config: {_key(f'{where}.multipliers')} of {name} must be a "
                "list of numbers and schedules (the factors the plateau is "
                f"multiplied by); got multipliers={_short(multipliers)}."
            )
        for i, m in enumerate(multipliers):
            factors.append(_decode(m, f"{where}.multipliers[{i}]", depth + 2, True))
    try:
        out = cls(**kwargs)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise _at(error, where, kwargs) from None
    for i, m in enumerate(factors):
        try:
            out = out * m
        except (TypeError, ValueError, ArithmeticError) as error:
            raise _at(error, f"{where}.multipliers[{i}]", {}) from None
    return out


def _check_keys(cls, name: str, plain: dict, where: str) -> None:
    """Refuses keys that are not arguments of ``cls`` and missing arguments."""
    for key in plain:
        if not isinstance(key, str):
            raise TypeError(
                f"from_config: the keys of {_key(where)} must be strings (argument "
                f"names of {name}); got the key {_short(key)}."
            )
    arguments = _arguments(cls)
    if arguments is None:  # pragma: no cover - every schedule has a signature
        return
    _, names, required = arguments
    listing = f"{name}({', '.join(names)})"
    for key, value in plain.items():
        if key not in names:
            raise TypeError(
                f"from_config: {_key(f'{where}.{key}')} is not an argument of "
                f'{name}: the keys of a {name} config must be "{KEY}" and '
                f"arguments of {listing}; got {key}={_short(value)}."
            )
    missing = [n for n in required if n not in plain]
    if missing:
        raise TypeError(
            f"from_config: {_key(where)} is missing "
            f"{', '.join(f'`{m}`' for m in missing)}, required by {listing}."
        )


def _at(error: Exception, where: str, kwargs: dict) -> Exception:
    """``error`` from building a schedule, its message led by the config key it
    is about (``config.schedules[1].decay_steps``)."""
    message = str(error)
    path = where
    for key in re.findall(r"`([A-Za-z_]\w*)", message):
        if key in kwargs:
            path = f"{where}.{key}"
            break
    kind = type(error) if isinstance(error, (TypeError, ValueError)) else ValueError
    return kind(f"from_config: {_key(path)}: {message}")


def _decode(value, where: str, depth: int, holds_schedule: bool):
    """A config value: nested configs built, specs read where a schedule goes,
    anything else as it is."""
    if depth > MAX_DEPTH:
        raise ValueError(f"from_config: {_too_deep(_key(where))}.")
    if isinstance(value, str):
        return _spec(value, where, depth) if holds_schedule else value
    if isinstance(value, bytes):
        return value
    if isinstance(value, (list, tuple)):
        items = []
        for i, v in enumerate(value):
            items.append(_decode(v, f"{where}[{i}]", depth + 1, holds_schedule))
        return type(value)(items)
    plain = _plain(value)
    if plain is None:
        return value
    if KEY in plain:
        return _build(plain, where, depth)
    out = {}
    for k, v in plain.items():
        out[k] = _decode(v, f"{where}.{k}", depth + 1, False)
    return out


def _spec(text: str, where: str, depth: int):
    try:
        return _parse(text, depth)
    except ValueError as error:
        raise ValueError(f"from_config: {_key(where)}: {error}") from None


# -- parse ------------------------------------------------------------------------

_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
# Python operators a spec refuses (by name, for a clear message), and other
# punctuation it has no use for.
_REFUSED_OPERATORS = frozenset("// % @ << >> & | ^ ~ < > <= >= == !=".split())
_REFUSED = _REFUSED_OPERATORS | frozenset(":= -> += -= *= /= = . ; : !".split())
_CLOSE = {"(": ")", "[": "]", "{": "}"}
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}
_END = {tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.DEDENT, tokenize.INDENT}


def _small_int_power(base, exponent) -> bool:
    """Whether ``base ** exponent`` is a power of ints whose result stays
    within a float's range (about 1,024 bits): computed exactly in ints."""
    return (
        type(base) is int
        and type(exponent) is int
        and exponent >= 0
        and abs(base).bit_length() * exponent <= 1100
    )


class _Reader:
    """One spec: its tokens (Python's tokenizer), a tree of a few node kinds,
    and the tree's value.

    Nodes are tuples: ``("num", text, pos)``, ``("const", value, pos)``,
    ``("name", name, pos)``, ``("list", items, pos)``, ``("sign", [(op, pos)],
    operand)``, ``("chain", first, [(op, pos, operand)])`` (a flat run of
    ``+ -`` or of ``* /``) and ``("call", name, pos, [(node, pos)],
    [(keyword, node, pos)])``.  Recursion follows nesting only, which
    ``MAX_DEPTH`` (100) bounds; chains are loops.
    """

    def __init__(self, text: str, depth: int):
        self.text = text
        self.lines = text.split("\n")
        self.depth = depth
        self.i = 0
        self.tokens = self._tokenize()

    # -- errors ------------------------------------------------------------

    def fail(self, pos, message: str):
        row, col = pos
        line = self.lines[row - 1] if 0 < row <= len(self.lines) else ""
        at = f"column {col + 1}"
        if len(self.lines) > 1:
            at = f"line {row}, {at}"
        start = 0 if len(line) <= 100 else max(0, min(col - 40, len(line) - 100))
        lead = "..." if start else ""
        tail = "..." if start + 100 < len(line) else ""
        pointer = " " * (len(lead) + col - start) + "^"
        raise ValueError(
            f"parse: {message} (at {at}):\n  {lead}{line[start : start + 100]}{tail}"
            f"\n  {pointer}"
        )

    def refuse(self, tok):
        """Fails at a token that has no place where it stands."""
        s = tok.string
        if tok.type == tokenize.NAME and s == "for":
            self.fail(tok.start, "comprehensions are not allowed")
        if tok.type == tokenize.NAME and s == "if":
            self.fail(tok.start, "conditional expressions (`if`) are not allowed")
        if tok.type == tokenize.NAME and s == "lambda":
            self.fail(tok.start, "lambdas are not allowed")
        if tok.type == tokenize.NAME and keyword.iskeyword(s):
            self.fail(tok.start, f"`{s}` is not allowed in a schedule spec")
        if tok.type == tokenize.OP and s == ".":
            self.fail(tok.start, "attribute access is not allowed")
        if tok.type == tokenize.OP and s in _REFUSED_OPERATORS:
            self.fail(
                tok.start,
                f"`{s}` is not allowed in a schedule spec (`+ - * / **` are the "
                "operators it reads)",
            )
        if tok.type == tokenize.OP and s in _REFUSED:
            self.fail(tok.start, f"`{s}` is not allowed in a schedule spec")
        if tok.type in _END:
            self.fail(tok.start, "not a valid spec: it ends where a value is expected")
        self.fail(tok.start, f"not a valid spec: unexpected {s!r}")

    # -- tokens ------------------------------------------------------------

    def _tokenize(self):
        tokens, stack = [], []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if tok.type in _SKIP:
                    continue
                if tok.type == tokenize.ERRORTOKEN:
                    if tok.string.isspace():
                        continue
                    self.fail(tok.start, f"not a valid spec: unexpected {tok.string!r}")
                if tok.type == tokenize.OP and tok.string in _CLOSE:
                    stack.append(tok)
                    if self.depth + len(stack) > MAX_DEPTH:
                        self.fail(tok.start, _too_deep("the spec"))
                elif tok.type == tokenize.OP and tok.string in (")", "]", "}"):
                    if not stack or _CLOSE[stack[-1].string] != tok.string:
                        self.fail(
                            tok.start, f"not a valid spec: unmatched {tok.string!r}"
                        )
                    stack.pop()
                tokens.append(tok)
        except (tokenize.TokenError, SyntaxError) as error:
            if stack:
                self.fail(
                    stack[-1].start,
                    f"not a valid spec: {stack[-1].string!r} was never closed",
                )
            message = getattr(error, "msg", None) or str(error.args[0])
            where = error.args[1] if len(error.args) > 1 else None
            pos = where[:2] if isinstance(where, tuple) and len(where) >= 2 else (1, 0)
            if isinstance(error, SyntaxError):
                pos = (error.lineno or 1, max((error.offset or 1) - 1, 0))
            self.fail(pos, f"not a valid spec: {message}")
        return tokens

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    @staticmethod
    def op(tok, *strings) -> bool:
        return tok.type == tokenize.OP and tok.string in strings

    # -- the tree ----------------------------------------------------------

    def read(self):
        tree = self.expr(self.depth)
        tok = self.peek()
        while tok.type in (tokenize.NEWLINE, tokenize.DEDENT):
            self.take()
            tok = self.peek()
        if tok.type != tokenize.ENDMARKER:
            self.refuse(tok)
        return tree

    def expr(self, depth: int):
        """Operands joined by ``+ - * /``, ``*`` and ``/`` first: a flat chain
        of ``+ -`` whose operands are flat chains of ``* /``."""
        product = [self.unary(depth)]
        products, ops = [product], []
        while True:
            tok = self.peek()
            if self.op(tok, "*", "/"):
                self.take()
                product.append((tok.string, tok.start, self.unary(depth)))
            elif self.op(tok, "+", "-"):
                self.take()
                product = [self.unary(depth)]
                products.append(product)
                ops.append((tok.string, tok.start))
            elif (tok.type == tokenize.OP and tok.string in _REFUSED) or (
                tok.type == tokenize.NAME and keyword.iskeyword(tok.string)
            ):
                self.refuse(tok)
            else:
                break
        terms = [p[0] if len(p) == 1 else ("chain", p[0], p[1:]) for p in products]
        if len(terms) == 1:
            return terms[0]
        rest = [(op, pos, term) for (op, pos), term in zip(ops, terms[1:], strict=True)]
        return ("chain", terms[0], rest)

    def unary(self, depth: int):
        signs = []
        while self.op(self.peek(), "+", "-"):
            tok = self.take()
            signs.append((tok.string, tok.start))
            if depth + len(signs) > MAX_DEPTH:
                self.fail(tok.start, _too_deep("the spec"))
        node = self.power(depth + len(signs))
        return ("sign", signs, node) if signs else node

    def power(self, depth: int):
        """``primary ** unary``: right to left, and tighter than a sign on its
        left, as in Python (``-s ** 2`` is ``-(s ** 2)``, ``s ** -1`` reads)."""
        base = self.primary(depth)
        tok = self.peek()
        if not self.op(tok, "**"):
            return base
        self.take()
        if depth + 1 > MAX_DEPTH:
            self.fail(tok.start, _too_deep("the spec"))
        return ("chain", base, [("**", tok.start, self.unary(depth + 1))])

    def primary(self, depth: int):
        tok = self.take()
        if tok.type == tokenize.NUMBER:
            node = ("num", tok.string, tok.start)
        elif tok.type == tokenize.STRING:
            parts = [tok]
            while self.peek().type == tokenize.STRING:
                parts.append(self.take())
            node = ("const", self.string(parts), tok.start)
        elif tok.type == tokenize.NAME:
            name = tok.string
            if name in ("True", "False", "None"):
                node = ("const", {"True": True, "False": False, "None": None}[name],
                        tok.start)  # fmt: skip
            elif keyword.iskeyword(name):
                self.refuse(tok)
            elif self.op(self.peek(), "("):
                node = self.call(tok, depth + 1)
            else:
                node = ("name", name, tok.start)
        elif self.op(tok, "(", "["):
            node = self.group(tok, depth + 1)
        elif self.op(tok, "{"):
            self.fail(tok.start, "dicts and sets are not allowed")
        elif self.op(tok, "*", "**"):
            self.fail(tok.start, "`*` and `**` are not allowed")
        elif tok.type == getattr(tokenize, "FSTRING_START", None):
            self.fail(tok.start, "f-strings are not allowed")
        else:
            self.refuse(tok)
        after = self.peek()
        if self.op(after, "("):
            self.fail(after.start, "a call is not allowed; call a schedule by its name")
        if self.op(after, "["):
            self.fail(after.start, "indexing is not allowed")
        if self.op(after, "."):
            self.refuse(after)
        return node

    def string(self, parts) -> str:
        for tok in parts:
            prefix = tok.string[: len(tok.string) - len(tok.string.lstrip("rRbBuUfF"))]
            if "f" in prefix.lower():
                self.fail(tok.start, "f-strings are not allowed")
        try:
            value = ast.literal_eval(" ".join(t.string for t in parts))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            self.fail(parts[0].start, "not a valid string")
        if not isinstance(value, str):
            self.fail(
                parts[0].start, f"{_short(value)} is not a number, string or boolean"
            )
        return value

    def group(self, open_tok, depth: int):
        """``( ... )`` (a value in parentheses, or a tuple) or ``[ ... ]``."""
        close = _CLOSE[open_tok.string]
        items, comma = [], False
        while not self.op(self.peek(), close):
            items.append(self.expr(depth))
            tok = self.peek()
            if self.op(tok, ","):
                self.take()
                comma = True
            elif not self.op(tok, close):
                self.refuse(tok)
        self.take()
        if close == ")" and len(items) == 1 and not comma:
            return items[0]
        return ("list", items, open_tok.start)

    def call(self, name_tok, depth: int):
        self.take()  # "("
        args, kwargs, seen = [], [], set()
        while not self.op(self.peek(), ")"):
            tok = self.peek()
            if self.op(tok, "*", "**"):
                self.fail(tok.start, "`*` and `**` are not allowed")
            if tok.type == tokenize.NAME and self.op(self.tokens[self.i + 1], "="):
                self.take()
                self.take()
                if tok.string in seen:
                    self.fail(
                        tok.start,
                        f"{name_tok.string}: `{tok.string}` must be given once; got "
                        f"the keyword argument {tok.string}= twice",
                    )
                seen.add(tok.string)
                kwargs.append((tok.string, self.expr(depth), tok.start))
            else:
                if kwargs:
                    self.fail(
                        tok.start,
                        "not a valid spec: a positional argument follows a keyword "
                        "argument",
                    )
                args.append((self.expr(depth), tok.start))
            sep = self.peek()
            if self.op(sep, ","):
                self.take()
            elif not self.op(sep, ")"):
                self.refuse(sep)
        self.take()
        return ("call", name_tok.string, name_tok.start, args, kwargs)

    # -- the value ---------------------------------------------------------

    def value(self, node, where=None):
        """The value of a node; ``where`` is ``(schedule, argument)`` when the
        node is (inside) an argument, for messages."""
        kind = node[0]
        if kind == "num":
            return self.number(node[1], node[2], where)
        if kind == "const":
            return node[1]
        if kind == "list":
            return [self.value(item, where) for item in node[1]]
        if kind == "name":
            name, pos = node[1], node[2]
            if name in ("inf", "nan"):
                return float(name)
            if name in _registry():
                self.fail(pos, f"{name} must be called: {name}(...)")
            self.fail(pos, f"unknown name {name!r}; known schedules: {_known()}")
        if kind == "sign":
            out = self.value(node[2], where)
            for op, pos in reversed(node[1]):
                if isinstance(out, bool) or not isinstance(out, (int, float, Schedule)):
                    self.fail(pos, "a sign applies to a number or a schedule")
                if op == "-":
                    out = -out
            return out
        if kind == "chain":
            out = self.value(node[1], where)
            for op, pos, operand in node[2]:
                out = self.binary(op, pos, out, self.value(operand, where), where)
            return out
        return self.call_value(node)

    def too_large(self, pos, where, shown: str):
        if where is not None:
            func, param = where
            self.fail(
                pos,
                f"{func}: `{param}` must be a number within a float64's range "
                f"(|{param}| <= {_LIMIT}); got {param}={shown}",
            )
        self.fail(
            pos,
            f"{shown} is too large: the numbers of a spec are within a float64's "
            f"range (|x| <= {_LIMIT})",
        )

    def number(self, text: str, pos, where):
        digits = text.replace("_", "")
        if digits.isdigit() and len(digits.lstrip("0")) > 309:
            # Beyond any float (and maybe beyond what Python converts to int).
            size = len(digits.lstrip("0")) - 1
            self.too_large(pos, where, f"<an int of about 10**{size}>")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            self.fail(pos, f"not a valid number: {_short(text)}")
        if isinstance(value, complex):
            self.fail(pos, f"{text} is not a number, string or boolean")
        if isinstance(value, int) and abs(value) > _FLOAT_MAX:
            self.too_large(pos, where, _digits(value))
        if isinstance(value, float) and math.isinf(value):
            self.too_large(pos, where, f"{text[:40]}{'...' if len(text) > 40 else ''}")
        return value

    def binary(self, op: str, pos, lhs, rhs, where):
        plateau = _plateau()
        if isinstance(lhs, plateau) or isinstance(rhs, plateau):
            if op != "*":
                self.fail(pos, "a reduce_on_plateau combines by `*` only")
            try:
                return lhs * rhs
            except (TypeError, ValueError) as error:
                self.fail(pos, str(error))
        ok = (int, float, Schedule)
        if not (isinstance(lhs, ok) and isinstance(rhs, ok)) or any(
            isinstance(x, bool) for x in (lhs, rhs)
        ):
            if op == "**":
                self.fail(pos, "`**` raises a schedule or a number to a number")
            self.fail(pos, "`+ - * /` combine schedules and numbers only")
        if op == "/" and not isinstance(rhs, Schedule) and rhs == 0:
            self.fail(pos, "division by zero")
        if isinstance(lhs, Schedule) or isinstance(rhs, Schedule):
            try:
                return _OPERATORS[op](lhs, rhs)
            except (TypeError, ValueError, ArithmeticError) as error:
                self.fail(pos, str(error))
        try:
            if op == "**" and _small_int_power(lhs, rhs):
                out = lhs**rhs  # exact: 2**53 + 1 is a step count
            elif op == "**":  # in floats: an int power could be any size
                out = float(lhs) ** float(rhs)
            else:
                out = _OPERATORS[op](lhs, rhs)
        except OverflowError:  # an int too large for a float, divided
            out = math.inf
        except ZeroDivisionError:
            self.fail(pos, f"{_short(lhs)} ** {_short(rhs)}: zero to a negative power")
        if isinstance(out, complex):
            self.fail(
                pos,
                f"{_short(lhs)} ** {_short(rhs)} is not a real number (a negative "
                "number to a fractional power)",
            )
        if (isinstance(out, int) and abs(out) > _FLOAT_MAX) or (
            isinstance(out, float) and math.isinf(out)
            and math.isfinite(lhs) and math.isfinite(rhs)
        ):  # fmt: skip
            shown = f"{_short(lhs)} {op} {_short(rhs)}, which overflows"
            self.too_large(pos, where, shown)
        return out

    def call_value(self, node):
        _, name, pos, args, kwargs = node
        cls = _registry().get(name)
        if cls is None:
            self.fail(pos, f"unknown schedule {name!r}; known: {_known()}")
        arguments = _arguments(cls)
        labels = [None] * len(args)
        if arguments is not None:
            positional, names, _ = arguments
            if len(args) > len(positional):
                self.fail(
                    args[len(positional)][1],
                    f"{name} takes at most {len(positional)} positional arguments "
                    f"({', '.join(positional)}); got {len(args)}",
                )
            labels = [(name, p) for p in positional[: len(args)]]
            for kw, _, kwpos in kwargs:
                if kw not in names:
                    self.fail(
                        kwpos,
                        f"unexpected keyword argument {kw!r}: the arguments of "
                        f"{name} are {', '.join(names)}",
                    )
                if kw in positional[: len(args)]:
                    self.fail(
                        kwpos,
                        f"{name}: `{kw}` must be given once; got it both by "
                        f"position and as the keyword argument {kw}=",
                    )
        values = [
            self.value(a, label) for (a, _), label in zip(args, labels, strict=True)
        ]
        named = {kw: self.value(v, (name, kw)) for kw, v, _ in kwargs}
        try:
            return cls(*values, **named)
        except (TypeError, ValueError, ArithmeticError) as error:
            self.fail(pos, str(error))


def parse(spec: str) -> Schedule:
    """Reads a schedule from text: a call of a schedule by name, with literals.

    The text is read (with Python's tokenizer and a small parser of its own),
    never evaluated: it may hold schedule names called with numbers, strings,
    booleans, ``None``, lists, ``inf``, nested schedules and ``+ - * /``
    between schedules and numbers, and ``**`` to a number, with Python's
    precedence (``a + b * c`` is ``a + (b * c)``, ``-s ** 2`` is ``-(s **
    2)``; chains fold from the left, powers from the right, and sums and
    products of schedules are flat).  Anything else (unknown names, attribute access,
    imports, lambdas, ``*args``, a keyword given twice, a number beyond the
    float64 range) is a ``ValueError`` that points at the offending column.
    Nesting is limited to ``MAX_DEPTH`` (100) levels; a chain ``a + b + ...``
    may be as long as wanted.  The ``repr`` of a schedule is a spec of it.

    Args:
      spec: the text.

    Examples:
      >>> parse("warmup_cosine_decay(peak_value=3e-4, warmup_steps=2000, "
      ...       "decay_steps=100000)")
      warmup_cosine_decay(peak_value=0.0003, warmup_steps=2000, decay_steps=100000)
      >>> parse("join([linear(0, 1e-3, 100), cosine_decay(1e-3, 900)], "
      ...       "boundaries=[100])")(100)
      Array(0.001, dtype=float32)
      >>> parse("0.5 * cosine_decay(1.0, 10)")(0)
      Array(0.5, dtype=float32)
      >>> parse("constant(value=1, value=2)")
      Traceback (most recent call last):
      ...
      ValueError: parse: constant: `value` must be given once; ...
    """
    return _parse(spec, 0)


def _parse(spec, depth: int):
    if not isinstance(spec, str):
        raise TypeError(f"parse: `spec` must be a string; got spec={_short(spec)}.")
    text = spec.strip()
    if not text:
        raise ValueError(
            "parse: `spec` must be a schedule written as a call, such as "
            f"'cosine_decay(0.1, 1000)'; got spec={spec!r}."
        )
    reader = _Reader(text, depth)
    out = reader.value(reader.read())
    if not isinstance(out, (Schedule, _plateau())):
        raise ValueError(
            f"parse: {_short(spec)} is a {type(out).__name__}, not a schedule."
        )
    return out
