"""The schedule value: an immutable, hashable pytree callable as ``schedule(step)``."""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import sys
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from . import checks as chk
from . import durations as dur
from . import numerics as num
from .checks import is_concrete, shown
from .fields import Choice, StepList, Steps
from .text import doc_summary

__all__ = ["Value", "Schedule", "schedule_types", "register_alias", "to_config"]

# Every schedule class by name, registered when the class is created; the
# names of internal building blocks (made by operators, not called by users).
_REGISTRY: dict[str, type] = {}
_INTERNAL: set[str] = set()
# The most key points that describe() and key_points() evaluate.
_MAX_POINTS = 200


_ALIASES: dict[str, str] = {}
# The key of a config that names its class.
CONFIG_KEY = "name"


def register_alias(alias: str, cls: type):
    """Lets configs and specs call ``cls`` by another name (``sgdr``)."""
    _ALIASES[alias] = cls.__name__


def schedule_types(*, internal: bool = False, aliases: bool = False) -> dict:
    """The registered classes by name (schedules and ``reduce_on_plateau``):
    the public ones; with ``internal`` the building blocks that operators make
    (``arithmetic``, ``combine``) too; with ``aliases`` their other names."""
    found = {
        name: cls
        for name, cls in _REGISTRY.items()
        if internal or name not in _INTERNAL
    }
    if aliases:
        found.update(
            {alias: found[name] for alias, name in _ALIASES.items() if name in found}
        )
    return found


class Static:
    """A value carried in a pytree as static data: a node with no leaves.

    Two are equal when their values are the same schedules and numbers
    (``_same``), so optimizer states built from equal schedules have one tree
    structure, and ``jit`` does not retrace for a new but equal schedule."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value
        if not _flax_knows_static:
            _register_with_flax()

    def __eq__(self, other):
        return type(other) is type(self) and _same(self.value, other.value)

    def __hash__(self):
        return _static_hash(self.value)

    def __repr__(self):
        return f"{type(self).__name__}({self.value!r})"


def _static_hash(value) -> int:
    if isinstance(value, (tuple, list)):
        return hash(tuple(_static_hash(x) for x in value))
    try:
        return hash(value)
    except TypeError:  # unhashable, compared by value: one bucket per type
        return hash(type(value).__qualname__)


# The node's metadata is the Static itself (not its value), so that JAX
# compares and hashes it with Static's own equality: a NumPy array value
# (boundaries past the device's integers) would make ``==`` ambiguous.
jax.tree_util.register_pytree_node(Static, lambda s: ((), s), lambda s, _: s)

_flax_knows_static = False


def _register_with_flax():
    """Lets ``flax.serialization`` write states that hold :class:`Static` data
    (as an empty dict; restoring keeps the target's).  Done once flax is
    imported, without importing it: ``import flax`` loads its serialization,
    and a state is built after the imports of a script."""
    global _flax_knows_static
    serialization = sys.modules.get("flax.serialization")
    if serialization is None:
        return
    todo, types = [Static], []
    while todo:
        cls = todo.pop()
        types.append(cls)
        todo.extend(cls.__subclasses__())
    for cls in types:
        if not serialization.is_serializable(cls):
            serialization.register_serialization_state(
                cls, lambda s: {}, lambda target, state: target
            )
    _flax_knows_static = True


def _make_value_class(cls):
    """Makes ``cls`` a frozen dataclass and a pytree.

    Leaves are the non-static fields plus, when every parameter is concrete, the
    constants of ``_constants()`` precomputed in float64 and carried as
    ``(hi, lo)`` pairs, so a schedule passed through ``jax.jit`` as an argument
    keeps its full accuracy.
    """
    dataclasses.dataclass(frozen=True, eq=False, repr=False)(cls)
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    static = tuple(
        f.name for f in fields if f.name in cls._static or f.metadata.get("static")
    )
    data = tuple(n for n in names if n not in static)

    # Step counts travel together: when one is past the device's integers,
    # all are static (arithmetic between them then stays on the host).
    counts = frozenset(
        f.name for f in fields if isinstance(f.metadata.get("kind"), (Steps, StepList))
    )

    def leaf(obj, name, wide):
        value = getattr(obj, name)
        if dur.contains(value):  # a duration to resolve: not a number yet
            return Static(value)
        if _beyond_device(value) or (wide and name in counts):
            return Static(value)
        return _wrap_static(value)

    def flatten(obj):
        wide = any(_beyond_device(getattr(obj, n)) for n in counts)
        children = [leaf(obj, n, wide) for n in data]
        derived = obj.__dict__.get("_derived")
        if derived is None and not obj.unresolved:
            consts = obj._constants()
            if consts and all(
                is_concrete(p) for _, params in consts.values() for p in params
            ):
                derived = {k: obj._c(k) for k in consts}
        keys = tuple(sorted(derived)) if derived else ()
        for k in keys:
            children.extend(derived[k])
        aux = (tuple(getattr(obj, n) for n in static), keys)
        return children, aux

    def flatten_with_keys(obj):
        children, aux = flatten(obj)
        labels = list(data) + [f"_{k}_{p}" for k in aux[1] for p in ("hi", "lo")]
        return [
            (jax.tree_util.GetAttrKey(n), c)
            for n, c in zip(labels, children, strict=False)
        ], aux

    def unflatten(aux, children):
        static_values, keys = aux
        obj = object.__new__(cls)
        for n, v in zip(data, children, strict=False):
            object.__setattr__(obj, n, _unwrap_static(v))
        for n, v in zip(static, static_values, strict=False):
            object.__setattr__(obj, n, v)
        rest = list(children[len(data) :])
        if keys:
            object.__setattr__(
                obj,
                "_derived",
                {k: (rest[2 * i], rest[2 * i + 1]) for i, k in enumerate(keys)},
            )
        return obj

    if "_tree_flatten" in cls.__dict__:  # a pytree form of its own (a packed sum)
        jax.tree_util.register_pytree_node(
            cls, lambda obj: obj._tree_flatten(), cls._tree_unflatten
        )
        return
    jax.tree_util.register_pytree_with_keys(cls, flatten_with_keys, unflatten, flatten)


def _beyond_device(value) -> bool:
    """Whether a concrete number (or array of them) lies past what the
    device's default dtypes hold: a step count past the integers, a
    coefficient past the float range.  Such a field travels as static pytree
    data (a jit argument would refuse, wrap or overflow it)."""
    if isinstance(value, bool) or not is_concrete(value):
        return False
    if isinstance(value, int):
        return abs(value) > num.top_step()
    if isinstance(value, float):
        big = float(np.finfo(num.float_dtype()).max)
        return abs(value) > big and math.isfinite(value)
    if isinstance(value, (np.ndarray, np.generic)) and value.size:
        a = np.asarray(value)
        if np.issubdtype(a.dtype, np.integer):
            return bool(np.max(np.abs(a)) > num.top_step())
        if np.issubdtype(a.dtype, np.floating):
            big = np.abs(a[np.isfinite(a)])
            return bool(big.size and big.max() > np.finfo(num.float_dtype()).max)
    return False


def _plain_callable(x) -> bool:
    return callable(x) and not isinstance(x, (Value, type, jax.Array, np.ndarray))


def _wrap_static(x):
    """A field's value as pytree children: plain Python callables (a lambda
    given as a base or a factor) travel as static data, alone or in a tuple."""
    if _plain_callable(x):
        return Static(x)
    if isinstance(x, tuple) and any(_plain_callable(v) for v in x):
        return tuple(Static(v) if _plain_callable(v) else v for v in x)
    return x


def _unwrap_static(x):
    if isinstance(x, Static):
        return x.value
    if isinstance(x, tuple) and any(isinstance(v, Static) for v in x):
        return tuple(v.value if isinstance(v, Static) else v for v in x)
    return x


# -- durations -------------------------------------------------------------------


def _when_resolved(method):
    """``method`` refused (with what to do) while its value holds durations."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self.unresolved:
            self._refuse_unresolved(f"find the {method.__name__} of")
        return method(self, *args, **kwargs)

    return wrapper


def _check_rest(cls, rest):
    """'*' stands for the rest of the run: only for one of a schedule's phases."""
    func = cls.__name__
    for name in rest:
        if name not in cls._phases:
            listed = (
                f"for one of {func}'s phases ({', '.join(cls._phases)})"
                if cls._phases
                else "for a phase of a schedule with phases (warmup_stable_decay, ...)"
            )
            chk.fail(func, name, "*", f"a number of steps or a duration; '*' (the "
                     f"rest of the run) is {listed}")  # fmt: skip
    if len(rest) > 1:
        raise ValueError(
            f"{func}: only one phase can be '*' (the rest of the run); got "
            f"{', '.join(f'{n}={chr(39)}*{chr(39)}' for n in rest)}."
        )


def _figure(where, name, value):
    return None if value is None else dur.exact(where, name, value)


def _durations(value, limit=None) -> list:
    """``(path, Duration)`` for the durations in ``value`` and its parts (at
    most ``limit``), walked without recursion; parts known to be resolved
    are not walked again."""
    found: list = []
    stack = [(value, type(value).__name__, True)]
    while stack and (limit is None or len(found) < limit):
        item, path, top = stack.pop()
        if isinstance(item, dur.Duration):
            found.append((path, item))
        elif isinstance(item, Value):
            if not top and item.__dict__.get("_unresolved") is False:
                continue
            fields = [
                (f.name, getattr(item, f.name, None))
                for f in dataclasses.fields(item)
                if f.init or f.metadata.get("config")
            ]
            for name, v in reversed(fields):
                stack.append((v, name if top else f"{path}.{name}", False))
        elif isinstance(item, (tuple, list)):
            for i in reversed(range(len(item))):
                stack.append((item[i], f"{path}[{i}]", False))
    return found


def _resolve(value, figures):
    """``value`` with its durations turned into steps (see Value.resolve)."""
    if isinstance(value, Value):
        return _resolved(value, figures) if value.unresolved else value
    if isinstance(value, (tuple, list)):
        return type(value)(_resolve(v, figures) for v in value)
    return value


def _resolved(self, figures):
    cls = type(self)
    func = cls.__name__
    kwargs, notes, rest = {}, [], None

    def steps(name, d):
        if d.needs and getattr(figures, d.needs) is None:
            raise ValueError(
                f"{func}.resolve: `{name}={d.text!r}` is "
                f"{dur.describe(d.unit)}, which needs `{d.needs}`; got "
                f"{d.needs}=None."
            )
        if d.unit == "rest":
            return None
        out = d.steps(figures)
        notes.append(f"{name}={d.text!r} -> {out}")
        return out

    for field in dataclasses.fields(self):
        if not field.init:
            continue
        value = getattr(self, field.name)
        if isinstance(value, dur.Duration):
            kwargs[field.name] = steps(field.name, value)
            if value.unit == "rest":
                rest = field.name
        elif dur.contains(value):
            kwargs[field.name] = [
                steps(f"{field.name}[{i}]", v) if isinstance(v, dur.Duration) else v
                for i, v in enumerate(value)
            ]
        else:
            kwargs[field.name] = _resolve(value, figures)
    if rest is not None:
        taken = sum(
            kwargs[p] for p in cls._phases if p != rest and kwargs[p] is not None
        )
        left = figures.total_steps - taken
        if left < 0:
            raise ValueError(
                f"{func}.resolve: `{rest}='*'` is what the other phases leave of "
                f"total_steps={figures.total_steps}, but they take {taken} steps "
                f"({', '.join(notes) or 'as given'})."
            )
        kwargs[rest] = left
        notes.append(f"{rest}='*' -> {left}")
    try:
        out = cls(**kwargs)
    except (ValueError, TypeError) as error:
        raise type(error)(
            f"{str(error).rstrip('.')} (resolved from {', '.join(notes)}, with "
            f"{figures.shown()})."
        ) from None
    for field in dataclasses.fields(self):
        if not field.init and field.metadata.get("config"):
            object.__setattr__(
                out, field.name, _resolve(getattr(self, field.name), figures)
            )
    return out


class Value:
    """An immutable value built from checked arguments: the root of every
    schedule and of the stateful :class:`reduce_on_plateau`.

    Each subclass is a frozen dataclass whose fields declare their kind
    (:func:`~jaxdecay._core.fields.param`), a JAX pytree (numbers are leaves; flags,
    choices and plain Python callables are static), and is registered by name
    when it is created, which configs, specs and the command line read.  It has
    a readable ``repr``, equality by value, a hash, and pickles.
    """

    _static: ClassVar[tuple[str, ...]] = ()
    # The fields whose lengths add up to the run (warmup, stable, decay): one
    # of them may be "*", whatever the others leave of ``total_steps``.
    _phases: ClassVar[tuple[str, ...]] = ()

    def _constants(self) -> dict:
        """Host-precomputed constants: ``{name: (fn(xp, *params), params)}``,
        carried in the pytree in float64 accuracy as ``(hi, lo)`` pairs."""
        return {}

    def __init_subclass__(
        cls, *, internal: bool = False, abstract: bool = False, **kwargs
    ):
        """Makes every subclass a frozen dataclass and a pytree, and registers
        it by name (``internal`` building blocks are kept out of listings;
        ``abstract`` bases such as :class:`Schedule` are not registered)."""
        super().__init_subclass__(**kwargs)
        _make_value_class(cls)
        for name in ("breakpoints", "settles_at"):
            if name in cls.__dict__:  # refused until durations are resolved
                setattr(cls, name, _when_resolved(cls.__dict__[name]))
        if not abstract and not cls.__name__.startswith("_"):
            _REGISTRY[cls.__name__] = cls
            if internal:
                _INTERNAL.add(cls.__name__)
            else:
                _INTERNAL.discard(cls.__name__)

    def __post_init__(self):
        """Checks every field against its declared kind (see :func:`param`),
        then runs the ``__check_init__`` of each class, base first."""
        func = type(self).__name__
        rest = []
        for field in dataclasses.fields(self):
            kind = field.metadata.get("kind")
            if kind is not None:
                value = kind.check(func, field.name, getattr(self, field.name))
                object.__setattr__(self, field.name, value)
                if isinstance(value, dur.Duration) and value.unit == "rest":
                    rest.append(field.name)
        if rest:
            _check_rest(type(self), rest)
        if self.unresolved:  # two-field rules wait for whole steps (resolve)
            return
        for klass in reversed(type(self).__mro__):
            check = klass.__dict__.get("__check_init__")
            if check is not None:
                check(self)

    # -- durations ----------------------------------------------------------

    @property
    def unresolved(self) -> bool:
        """Whether this value (or a part of it) holds durations such as
        ``"10%"`` or ``"2ep"``, to be turned into steps by :meth:`resolve`."""
        found = self.__dict__.get("_unresolved")
        if found is None:
            found = bool(_durations(self, limit=1))
            object.__setattr__(self, "_unresolved", found)
        return found

    def resolve(
        self,
        total_steps=None,
        steps_per_epoch=None,
        tokens_per_step=None,
        samples_per_step=None,
        rounding: str = "floor",
    ):
        """The same schedule with every duration turned into whole steps.

        A duration is a step count written in the run's units: ``"1500"``
        (steps), ``"10%"`` or ``"0.1dur"`` (a fraction of ``total_steps``),
        ``"*"`` (what a schedule's other phases leave of ``total_steps``),
        ``"2ep"`` (epochs of ``steps_per_epoch``), ``"1e9tok"`` / ``"1Gtok"``
        (tokens, ``tokens_per_step`` to a step) or ``"3e6sp"`` (samples).
        Each is read as an exact decimal and rounded once, by ``rounding``:
        ``"floor"`` (as composer's time strings and Levanter's ratios
        truncate), ``"ceil"`` (as transformers rounds ``warmup_ratio`` up) or
        ``"round"`` (to nearest, ties up).  Every part of a composition is
        resolved; every fraction is of the whole run.  A schedule without
        durations is returned as it is, so resolving twice, or with a new
        ``total_steps`` for a resumed run of another length (resolve the
        unresolved original again), is safe.

        Args:
          total_steps: the run's length in steps.
          steps_per_epoch: steps (updates) per epoch, a positive number.
          tokens_per_step: tokens per step, a positive number (1 when the
            schedule is driven by tokens: ``jd.inject(..., progress="tokens")``).
          samples_per_step: samples per step (the batch size).
          rounding: ``"floor"``, ``"ceil"`` or ``"round"``.

        Raises:
          ValueError: a figure a duration needs is missing, or a resolved
            length breaks the schedule's rules (a zero decay length), naming
            the parameter and the duration it came from.

        Examples:
          >>> lr = wsd(3e-4, "1%", "*", "20%")
          >>> lr.resolve(total_steps=10_000)
          warmup_stable_decay(peak_value=0.0003, warmup_steps=100, stable_steps=7900, decay_steps=2000)
          >>> warmup_cosine_decay(1e-3, "2ep", "10ep").resolve(steps_per_epoch=500)
          warmup_cosine_decay(peak_value=0.001, warmup_steps=1000, decay_steps=5000)
        """  # noqa: E501
        where = f"{type(self).__name__}.resolve"
        if total_steps is not None:
            total_steps = Steps(low=1).check(where, "total_steps", total_steps)
            if not isinstance(total_steps, int):  # a duration: of what run?
                chk.fail(where, "total_steps", total_steps.text, "a whole number of "
                         "steps >= 1 (the run's length, which durations are resolved "
                         "against)", TypeError)  # fmt: skip
        figures = dur.RunFigures(
            total_steps=total_steps,
            steps_per_epoch=_figure(where, "steps_per_epoch", steps_per_epoch),
            tokens_per_step=_figure(where, "tokens_per_step", tokens_per_step),
            samples_per_step=_figure(where, "samples_per_step", samples_per_step),
            rounding=Choice(options=dur.ROUNDINGS).check(where, "rounding", rounding),
        )
        return _resolve(self, figures)

    def _refuse_unresolved(self, doing: str):
        found = _durations(self, limit=6)
        shown_ = "; ".join(d.explain(path) for path, d in found[:5])
        more = "; ..." if len(found) > 5 else ""
        needs = sorted({d.needs for _, d in found if d.needs})
        raise ValueError(
            f"{type(self).__name__}: cannot {doing} a schedule written with "
            f"durations ({shown_}{more}); turn them into steps first with "
            f".resolve({', '.join(f'{n}=...' for n in needs)})."
        )

    # -- value semantics ----------------------------------------------------

    def _fields(self):
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]

    def __getstate__(self):
        # Only the configuration: caches (derived constants, join tables) are
        # rebuilt on demand.
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __setstate__(self, state):
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return all(
            _same(a, b)
            for (_, a), (_, b) in zip(self._fields(), other._fields(), strict=False)
        )

    def __hash__(self):
        return hash((type(self).__name__, *(_key(v) for _, v in self._fields())))

    def __repr__(self):
        parts = []
        for field in dataclasses.fields(self):
            if not field.init or not field.repr:
                continue
            value = getattr(self, field.name)
            has_default = field.default is not dataclasses.MISSING
            if has_default and _same(value, field.default):
                continue
            parts.append(f"{field.name}={_show(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def to_config(self) -> dict:
        """This value as a plain JSON-able ``dict`` (see :func:`from_config`).

        Examples:
          >>> step_decay(0.1, step_size=30, gamma=0.5).to_config()
          {'name': 'step_decay', 'init_value': 0.1, 'step_size': 30, 'gamma': 0.5}
        """
        return to_config(self)


class Schedule(Value, abstract=True):
    """A learning-rate schedule: a pure function of the step, held as a value.

    Call it with a step (a Python or NumPy number, a JAX array or a tracer) to get
    the value at that step, in the default float dtype and with the step's shape.
    Steps count from 0; negative steps behave as step 0.  Schedules are frozen
    dataclasses registered as JAX pytrees: numbers are leaves (so ``jax.vmap`` can
    sweep them), structural choices are static.  Any optax optimizer accepts one
    wherever it accepts a schedule.

    Schedules combine with ``+ - * /`` (with numbers or other schedules) and with
    :func:`join`, :func:`warmup`, :func:`clip`, :func:`shift`, :func:`repeat` and
    :func:`staircase`.

    Every step count (a warmup, a decay length, a boundary, a period, a shift)
    may be written as a duration in the run's units: ``"10%"`` of the run,
    ``"*"`` for what a schedule's other phases leave, ``"2ep"``, ``"1e9tok"``,
    ``"3e6sp"``.  Such a schedule is turned into steps by :meth:`resolve`
    once the run's figures are known, and refuses to be evaluated before.

    Examples:
      >>> lr = 0.5 * warmup_cosine_decay(1e-3, warmup_steps=10, decay_steps=100)
      >>> print(f"{lr(10):.1e}")
      5.0e-04
      >>> isinstance(lr, Schedule)
      True
    """

    # NumPy defers to the schedule's own operators (``array * schedule`` is
    # refused by ``__rmul__``, instead of an object array of schedules).
    __array_ufunc__ = None

    # -- evaluation ---------------------------------------------------------

    def __call__(self, step):
        if self.unresolved:
            self._refuse_unresolved("evaluate")
        try:
            n, f, shape = num.split_step(step)
        except (TypeError, ValueError) as error:
            message = str(error)
            if message.startswith("schedule:"):
                message = f"{type(self).__name__}{message[len('schedule') :]}"
                raise type(error)(message) from None
            raise
        out = self._value(num.Step(n, f))
        return jnp.broadcast_to(out, jnp.broadcast_shapes(out.shape, shape))

    def _evaluate(self, step: num.Step):  # pragma: no cover - every schedule has one
        """The value at ``step``, a :class:`~jaxdecay._core.numerics.Step` (whole
        steps ``>= 0`` and their fractions)."""
        raise NotImplementedError

    def _value(self, step: num.Step):
        """The value at ``step`` as a caller sees it: in the default float
        dtype, and held within the float range.  A composition that blends a
        part's value (a clip, a warmup, noise, the terms of a long sum or
        product) reads it here, so an overflow inside the part is its largest
        float, never an infinity that would make ``inf - inf`` or ``inf * 0``
        a NaN."""
        return num.saturate(jnp.asarray(self._evaluate(step), num.float_dtype()))

    def _c(self, name):
        """A precomputed constant as a double-float ``(hi, lo)`` pair."""
        derived = self.__dict__.get("_derived")
        if derived is not None:
            hi, lo = derived[name]
            return num.as_float(hi), num.as_float(lo)
        fn, params = self._constants()[name]
        return num.constant(fn, *params)

    def key_points(self, steps=None) -> list[tuple[int, float]]:
        """``(step, value)`` at step 0, at every breakpoint (phase changes,
        restarts, boundaries) and at the last step; used by :meth:`describe`,
        :func:`plot` and the ``jaxdecay`` command.

        Args:
          steps: a number of steps (``0 .. steps-1``) or the steps themselves;
            by default up to twice the last breakpoint (at least 10).

        Examples:
          >>> warmup_cosine_decay(1.0, 10, 100).key_points(100)
          [(0, 0.0), (10, 1.0), (99, 0.000304...)]
        """
        if self.unresolved:
            self._refuse_unresolved("evaluate")
        marks = sorted({int(b) for b in self.breakpoints() if b >= 0})
        if steps is None:
            steps = 2 * max([*marks, 5]) + 1
        if np.ndim(steps) == 0:
            count = int(steps)
            if count < 1:
                raise ValueError(
                    f"key_points: `steps` must be a positive number of steps; "
                    f"got steps={steps!r}."
                )
            first, last = 0, count - 1
        else:
            host = np.asarray(steps)
            if host.size == 0:
                raise ValueError("key_points: `steps` must not be empty.")
            first, last = int(host.min()), int(host.max())
        # Steps beyond the step range cannot be evaluated (they saturate):
        # shown up to its top.
        top = num.top_step()
        first, last = min(max(first, 0), top), min(max(last, 0), top)
        inside = [b for b in marks if first <= b <= last]
        if len(inside) > _MAX_POINTS:  # a join of many pieces: a sample of them
            pick = np.linspace(0, len(inside) - 1, _MAX_POINTS).round().astype(int)
            inside = [inside[i] for i in sorted(set(pick.tolist()))]
        at = sorted({first, last, *inside})
        values = np.asarray(self(np.asarray(at, np.int64)), np.float64)
        return [(s, float(v)) for s, v in zip(at, values, strict=True)]

    def describe(self, steps=None) -> str:
        """A readable summary: the configuration, what the schedule does, and its
        phases (the values at its key points and a few steps in between).

        Args:
          steps: steps to show; by default 0 and the points where this schedule
            changes phase, as far as they are known, plus a few in between.

        Examples:
          >>> print(step_decay(0.1, step_size=30, gamma=0.5).describe([0, 30, 60]))
          step_decay(init_value=0.1, step_size=30, gamma=0.5)
            Step decay: ...
            step  0: 0.1
            step 30: 0.05
            step 60: 0.025
        """
        if self.unresolved:
            return "\n".join(
                [repr(self), "  (written with durations: resolve it to see values)"]
            )
        if steps is None:
            marks = [s for s, _ in self.key_points()]
            end = min(max(marks[-1], 10), num.top_step())
            steps = sorted({*marks, end // 4, end // 2, (3 * end) // 4, end})
        doc = doc_summary(type(self).__doc__)
        lines = [repr(self)]
        if doc:
            lines.append("  " + doc)
        steps = [int(s) for s in np.ravel(np.asarray(steps, np.int64))]
        values = np.asarray(self(np.asarray(steps, np.int64)), np.float64)
        width = max(len(str(s)) for s in steps)
        lines += [
            f"  step {s:>{width}}: {v:.6g}" for s, v in zip(steps, values, strict=True)
        ]
        return "\n".join(lines)

    def settles_at(self) -> int | None:
        """The step from which the value no longer changes, as far as it is
        known without evaluating (None: it may change at any step).  A shift
        that reads the schedule past the last step relies on it."""
        return None

    def breakpoints(self) -> tuple[int, ...]:
        """Steps where the schedule changes phase (boundaries, restarts), as far
        as they are known without evaluating it; used by :meth:`describe`."""
        return ()

    # -- algebra ------------------------------------------------------------

    def _arith(self, op, other, reflected=False):
        if not isinstance(other, (Schedule, numbers.Real)) or isinstance(other, bool):
            if not (isinstance(other, (jax.Array, np.ndarray)) and np.ndim(other) == 0):
                if isinstance(other, (jax.Array, np.ndarray, list, tuple)):
                    raise TypeError(
                        f"{type(self).__name__} {op} array: a schedule combines "
                        "with a single number or another schedule; got an array "
                        f"of shape {np.shape(other)}.  To sweep values, use "
                        "jax.vmap over a schedule built from each value."
                    )
                return NotImplemented
        lhs, rhs = (other, self) if reflected else (self, other)
        if (
            op == "/"
            and not isinstance(rhs, Schedule)
            and is_concrete(rhs)
            and np.all(np.asarray(rhs) == 0)
        ):
            raise ZeroDivisionError(
                f"{lhs!r} / 0: a schedule cannot be divided by zero."
            )
        # The algebra's classes, found by name in the registry (they live a
        # floor above, in the composition module).
        if op in ("+", "*") and any(
            _REGISTRY.get(type(x).__name__) is type(x)
            and type(x).__name__ in ("arithmetic", "combine")
            and x.op == op
            for x in (lhs, rhs)
        ):
            return _REGISTRY["combine"]._extend(op, lhs, rhs)
        return _REGISTRY["arithmetic"](op, lhs, rhs)

    def __add__(self, other):
        return self._arith("+", other)

    def __radd__(self, other):
        return self._arith("+", other, reflected=True)

    def __sub__(self, other):
        return self._arith("-", other)

    def __rsub__(self, other):
        return self._arith("-", other, reflected=True)

    def __mul__(self, other):
        return self._arith("*", other)

    def __rmul__(self, other):
        return self._arith("*", other, reflected=True)

    def __truediv__(self, other):
        return self._arith("/", other)

    def __rtruediv__(self, other):
        return self._arith("/", other, reflected=True)

    def __neg__(self):
        return self._arith("*", -1.0, reflected=True)

    def __pow__(self, other):
        if isinstance(other, Schedule):
            raise TypeError(
                f"{type(self).__name__} ** {type(other).__name__}: the exponent "
                "of a schedule must be a number, not a schedule."
            )
        return self._arith("**", other)

    def __rpow__(self, other):
        raise TypeError(
            f"{shown(other)} ** {type(self).__name__}: a schedule cannot be an "
            "exponent; raise a schedule to a number (schedule ** p) instead."
        )


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, jax.core.Tracer) or isinstance(b, jax.core.Tracer):
        return False
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, Value) or isinstance(b, Value):
        return type(a) is type(b) and a == b
    if callable(a) or callable(b):
        return a == b
    if isinstance(a, (np.ndarray, jax.Array)) or isinstance(b, (np.ndarray, jax.Array)):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.all(a == b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different
        return False


def _key(v):
    if isinstance(v, jax.core.Tracer):
        return id(v)
    if isinstance(v, (tuple, list)):
        return tuple(_key(x) for x in v)
    if isinstance(v, (np.ndarray, jax.Array)):
        a = np.asarray(v)
        return (a.shape, tuple(a.ravel().tolist()))
    if isinstance(v, (np.generic,)):
        return v.item()
    return v


def _show(v) -> str:
    if isinstance(v, (np.ndarray, jax.Array)) and is_concrete(v):
        a = np.asarray(v)
        return repr(a.item() if a.ndim == 0 else a.tolist())
    if isinstance(v, tuple):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    if callable(v) and not isinstance(v, Value):
        return getattr(v, "__qualname__", None) or repr(v)
    return repr(v)


# -- the value as a config -------------------------------------------------------


def _path(path) -> str:
    """A path kept as linked pairs ``(parent, key)`` written out."""
    keys = []
    while isinstance(path, tuple):
        path, key = path
        keys.append(key)
    text = str(path)
    for key in reversed(keys):
        text += f"[{key}]" if isinstance(key, int) else f".{key}"
    return text


def _scalar(x, path):
    """A field value that is neither a schedule nor a sequence, as JSON."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, dur.Duration):
        return x.text
    if isinstance(x, jax.core.Tracer) or not is_concrete(x):
        raise TypeError(
            f"to_config: `{_path(path)}` is a traced value; a config holds concrete "
            "numbers, so build the schedule outside jit/vmap to save it."
        )
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return float(x)
    if isinstance(x, (np.generic, np.ndarray, jax.Array)):
        a = np.asarray(x)
        if a.dtype == bool:
            return a.tolist()
        if np.issubdtype(a.dtype, np.integer):
            return a.astype(np.int64).tolist()
        return a.astype(np.float64).tolist()
    if callable(x):
        name = getattr(x, "__qualname__", None) or type(x).__name__
        raise TypeError(
            f"to_config: `{_path(path)}` is the Python function {name}, which a "
            "config cannot hold; write it with schedules (arithmetic, join, "
            "piecewise_linear, ...) to make it saveable."
        )
    raise TypeError(
        f"to_config: `{_path(path)}` has a value a config cannot hold: {shown(x)}."
    )


def _config_fields(value):
    """The ``(field, value)`` pairs a config of ``value`` lists: its arguments
    that differ from their defaults, and non-init fields that say they belong
    in a config (the plateau's ``multipliers``)."""
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if not field.init:
            if field.metadata.get("config") and item:
                yield field.name, item
            continue
        if field.default is not dataclasses.MISSING and _same(item, field.default):
            continue
        yield field.name, item


def to_config(schedule) -> dict[str, Any]:
    """The schedule as a plain, JSON-able ``dict``: ``{"name": name, **args}``.

    Nested schedules become nested configs; numbers become Python numbers (arrays
    nested lists); arguments left at their defaults are left out.
    ``from_config(to_config(s)) == s`` for every schedule built from numbers,
    :class:`reduce_on_plateau` included (its products with schedules are listed
    under ``"multipliers"``).  A schedule holding a Python function
    (``from_fn``, a callable ``factor`` of ``recurrence``) or traced values
    raises ``TypeError``.  The schedule is walked with an explicit stack: a sum
    of 10,000 schedules or a deeply nested one is written without recursion.

    Args:
      schedule: a jaxdecay schedule or ``reduce_on_plateau``.

    Examples:
      >>> from jaxdecay._core.base import to_config
      >>> to_config(cosine_decay(0.1, decay_steps=1000))
      {'name': 'cosine_decay', 'init_value': 0.1, 'decay_steps': 1000}
    """
    if not isinstance(schedule, Value):
        raise TypeError(
            f"to_config: `schedule` must be a jaxdecay schedule; got {shown(schedule)}."
        )
    registry = _REGISTRY
    root: list = [None]
    # (value, the container it goes in, its slot there, its path)
    stack = [(schedule, root, 0, type(schedule).__name__)]
    while stack:
        value, box, slot, path = stack.pop()
        if isinstance(value, Value):
            name = type(value).__name__
            if registry.get(name) is not type(value):
                raise TypeError(
                    f"to_config: `{_path(path)}` is a {name}, which is not a public "
                    "schedule."
                )
            config: dict[str, Any] = {CONFIG_KEY: name}
            children = []
            for field, item in _config_fields(value):
                config[field] = None  # keeps the order of the fields
                children.append((item, config, field, (path, field)))
            box[slot] = config
            stack.extend(reversed(children))
        elif isinstance(value, (list, tuple)):
            items: list = [None] * len(value)
            box[slot] = items
            stack.extend(
                (value[i], items, i, (path, i)) for i in reversed(range(len(value)))
            )
        else:
            box[slot] = _scalar(value, path)
    return root[0]
