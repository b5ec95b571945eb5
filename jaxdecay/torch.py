"""PyTorch's learning-rate schedulers (``torch.optim.lr_scheduler``) as jaxdecay
schedules.

Each function takes the arguments of the PyTorch class of the same name, minus
the optimizer, plus the optimizer's learning rate as the keyword-only ``lr``
(``CyclicLR`` and ``OneCycleLR``, which set the rate themselves, take none), and
returns a :class:`jaxdecay.Schedule` (or, for ``ReduceLROnPlateau``, a
:class:`jaxdecay.reduce_on_plateau`).  PyTorch itself is not needed.

Index convention: ``schedule(t)`` is the rate PyTorch uses for optimizer update
``t``, that is ``scheduler.get_last_lr()[0]`` right after construction for
``t = 0`` and after the ``t``-th ``scheduler.step()`` otherwise.  PyTorch computes
most schedulers recursively (``lr_t = lr_{t-1} * ...``); these are their closed
forms, with PyTorch's quirks kept (each docstring says which), and agree with
PyTorch's float64 values to ~1e-7 relative in float32 and ~1e-12 with x64.
``ChainedScheduler`` and ``SequentialLR`` accept every scheduler of this module
and reproduce PyTorch's recursive updates of the shared rate (see their
docstrings for how, and for what it costs).

The schedules are values: each carries the PyTorch scheduler it stands for (its
kind and arguments), which survives ``jax.tree.map``, pickling and copying, so a
schedule can be passed to ``SequentialLR``/``ChainedScheduler`` after any of
them.  It equals (and saves with ``to_config`` as) the core schedule it
evaluates; ``repr`` shows that core schedule.

With optax::

    import optax
    import jaxdecay
    lr = jaxdecay.torch.StepLR(30, lr=0.1)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)

What cannot be represented raises an error instead of approximating: a list of
per-group rates (use one schedule per group with ``optax.multi_transform``),
``last_epoch`` other than -1 (resume by evaluating the schedule at the step you
resume from), and the cases named in each docstring.
"""

from __future__ import annotations

import bisect
import collections
import hashlib
import math
import numbers
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._catalog.cycles import cosine_restarts, cyclic, one_cycle
from ._catalog.decay import (
    constant,
    cosine_decay,
    exponential_decay,
    linear,
    multistep_decay,
    polynomial_decay,
    step_decay,
)
from ._catalog.piecewise import piecewise_constant
from ._catalog.plateau import reduce_on_plateau
from ._catalog.recurrence import recurrence
from ._compose.compose import from_fn, repeat, shift
from ._compose.join import join
from ._compose.wrap import Ported
from ._core import checks as chk
from ._core import numerics as num
from ._core.base import Schedule
from ._core.fields import Real

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "LinearLR",
    "ConstantLR",
    "PolynomialLR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]

# The most entries of a host table that a composite may need (float64, built
# once when the schedule is made; see ChainedScheduler).
_MAX_TABLE = 2**22
# Functions of the step evaluated on the host: entries tabulated by default.
_HORIZON = 100_000


# ---------------------------------------------------------------------------
# The PyTorch identity of a schedule.


class _Spec(NamedTuple):
    """Which PyTorch scheduler a schedule stands for: its class name, the
    optimizer's rate it was made with (None: it sets its own), and its
    arguments, checked and normalized (``((name, value), ...)``; None when some
    argument was a traced value).  Composites rebuild their members from it."""

    kind: str
    lr: float | None
    args: tuple | None

    def arg(self, name):
        return dict(self.args)[name]


class _TorchScheduler(Ported):
    """A PyTorch scheduler ported here (see :class:`~jaxdecay._compose.wrap.Ported`)."""


def _frozen(value) -> bool:
    """Whether an argument can be part of a (static, hashable) spec."""
    if isinstance(value, (tuple, list)):
        return all(_frozen(v) for v in value)
    if value is None or isinstance(value, (bool, str, int, float, _Spec)):
        return True
    return callable(value)


def _port(kind, lr, args, schedule):
    """The port of a PyTorch ``kind`` scheduler: ``schedule`` with its spec."""
    args = tuple(args.items())
    if not (_frozen([v for _, v in args]) and (lr is None or isinstance(lr, float))):
        args, lr = None, None  # traced arguments: usable alone, not in composites
    return _TorchScheduler(_core(schedule), _Spec(kind, lr, args))


def _spec(schedule):
    return schedule.spec if isinstance(schedule, _TorchScheduler) else None


def _core(schedule):
    """The core schedule of a port (composites are built from core schedules)."""
    return schedule.schedule if isinstance(schedule, _TorchScheduler) else schedule


# ---------------------------------------------------------------------------
# Argument checks.


def _rate(func, name, value):
    """One learning rate; a per-group list is not representable."""
    if isinstance(value, (list, tuple, np.ndarray)):
        chk.fail(
            func,
            name,
            value,
            "one number: a list of per-parameter-group rates is not representable "
            "by one schedule (make one schedule per group and combine them with "
            "optax.multi_transform)",
        )
    return Real().check(func, name, value)


def _lr(func, lr):
    if isinstance(lr, (list, tuple, np.ndarray)):
        return _rate(func, "lr", lr)
    return Real(low=0).check(func, "lr", lr)


def _last_epoch(func, last_epoch):
    if isinstance(last_epoch, bool) or not isinstance(
        last_epoch, (numbers.Integral, np.integer)
    ):
        chk.fail(func, "last_epoch", last_epoch, "an integer", TypeError)
    if last_epoch != -1:
        chk.fail(
            func,
            "last_epoch",
            last_epoch,
            "-1: a resumed PyTorch scheduler continues from the optimizer's "
            "checkpointed rate, which a schedule does not have; to resume at "
            "step k, evaluate the schedule from step k on (e.g. "
            "jaxdecay.shift(schedule, -k))",
        )


def _whole(func, name, value, low=None, why=""):
    """An integer (integral floats accepted) >= ``low``, as a Python int of any
    size (never narrowed to a machine integer here)."""
    what = "an integer" if low is None else f"an integer >= {low}"
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (numbers.Real, np.integer, np.floating))
        and math.isfinite(value)
        and float(value).is_integer()
    )
    if not ok:
        chk.fail(func, name, value, what + why)
    value = int(value)
    if low is not None and value < low:
        chk.fail(func, name, value, what + why)
    return value


def _horizon(func, horizon):
    return _whole(func, "horizon", horizon, low=1)


def _positive_gamma(func, gamma):
    if chk.is_concrete(gamma) and (
        isinstance(gamma, numbers.Real) and not isinstance(gamma, bool)
    ):
        if gamma <= 0:
            chk.fail(
                func,
                "gamma",
                gamma,
                "positive (PyTorch accepts gamma <= 0, giving zero or "
                "alternating-sign rates, which jaxdecay's decays do not represent)",
            )
    return chk.number(func, "gamma", gamma, low=0, low_open=True)


# ---------------------------------------------------------------------------
# Python functions of the step (LambdaLR's lr_lambda, CyclicLR's scale_fn).


class _FloatStep:
    """Calls ``fn`` with the step as a float array of integer values (the
    default float dtype), or with the 1-based cycle number ``step // period + 1``.

    PyTorch calls these functions with Python ints; floats of the same values
    let ``0.95 ** epoch`` or ``(epoch + 1) / 10`` work under JAX's dtype rules.
    """

    def __init__(self, fn, period=None):
        self.fn = fn
        self.period = period
        self.__qualname__ = repr(self)

    def __call__(self, step):
        if self.period is not None:
            step = step // self.period + 1
        return self.fn(jnp.asarray(step, num.float_dtype()))

    def __eq__(self, other):
        return (
            type(other) is _FloatStep
            and self.fn is other.fn
            and self.period == other.period
        )

    def __hash__(self):
        return hash((id(self.fn), self.period))

    def __repr__(self):
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)


def _traceable(probe) -> bool:
    """Whether ``probe`` traces to one number for a scalar integer step."""
    try:
        out = jax.eval_shape(
            lambda s: jnp.asarray(probe(s), num.float_dtype()),
            jax.ShapeDtypeStruct((), num.int_dtype()),
        )
    except Exception:  # noqa: BLE001 - Python control flow on a tracer, and alike
        return False
    return out.shape == ()


class _HostFn:
    """``fn(k)`` of a whole number ``k`` evaluated as PyTorch does (a Python int
    in, a Python float out: float64), for ``k = step`` or, with ``period``, the
    1-based cycle number ``k = step // period + 1``.

    The values for the first ``horizon`` arguments are computed when the
    schedule is made and read from a table; a larger argument calls ``fn`` on
    the host through ``jax.pure_callback`` (under ``jit`` and ``vmap``).  The
    table stops early at an argument where ``fn`` raises or is not finite: the
    callback then raises there when that step is evaluated, as PyTorch does at
    that step.
    """

    def __init__(self, func, name, fn, horizon, period=None):
        self.func, self.name, self.fn = func, name, fn
        self.horizon, self.period = horizon, period
        first = 1 if period else 0
        self.first = first
        values = []
        for k in range(first, first + horizon):
            try:
                v = float(fn(k))
            except Exception as err:
                if k == first:
                    raise ValueError(
                        f"{func}: `{name}({k})` must give a number, as PyTorch "
                        f"calls it when the scheduler is made; it raised {err!r}."
                    ) from err
                break
            if not math.isfinite(v):
                if k == first:
                    raise ValueError(
                        f"{func}: `{name}({k})` must be finite (a rate of inf or "
                        f"NaN is not a schedule); got {name}({k})={v!r}."
                    )
                break
            values.append(v)
        # Indexed by the argument itself (entries below `first` are never read).
        self.table = np.asarray([values[0]] * first + values, np.float64)
        self.__qualname__ = getattr(fn, "__qualname__", None) or repr(fn)

    def _host(self, k):
        # Under vmap both sides of the lookup run: steps in the table are read
        # here too, without calling fn.
        k = np.asarray(k)
        out = np.array(self.table[np.minimum(k, len(self.table) - 1)], np.float64)
        for index, arg in np.ndenumerate(k):
            if arg < len(self.table):
                continue
            v = float(self.fn(int(arg)))
            if not math.isfinite(v):
                raise ValueError(
                    f"{self.func}: `{self.name}({int(arg)})` must be finite; got {v!r}."
                )
            out[index] = v
        return out

    def __call__(self, step):
        if jnp.issubdtype(step.dtype, jnp.floating):
            step = jnp.floor(step).astype(num.int_dtype())
        k = step if self.period is None else num.divmod_steps(step, self.period)[0] + 1
        fdtype = num.float_dtype()
        table = jnp.asarray(self.table, fdtype)

        def host(k):
            # The values travel as the bits of the float dtype in uint32 words:
            # JAX converts a callback's float64 result to float32 on a thread
            # where x64 is off, and XLA may run the callback on such a thread
            # (several callbacks in one program run concurrently) even when
            # the program was made inside ``jax.enable_x64``.
            words = np.dtype(fdtype).itemsize // 4
            shape = jax.ShapeDtypeStruct((*k.shape, words), np.uint32)

            def call(k):
                values = np.array(self._host(k), fdtype)  # a contiguous copy
                flat = values.reshape(-1).view(np.uint32)
                return flat.reshape(*values.shape, words)

            bits = jax.pure_callback(call, shape, k, vmap_method="expand_dims")
            if words == 1:
                bits = bits[..., 0]
            return jax.lax.bitcast_convert_type(bits, fdtype)

        inside = k < jnp.asarray(len(self.table), k.dtype)
        return jax.lax.cond(inside, lambda k: num.take(table, k), host, k)

    def __eq__(self, other):
        return (
            type(other) is _HostFn
            and self.fn is other.fn
            and self.horizon == other.horizon
            and self.period == other.period
        )

    def __hash__(self):
        return hash((id(self.fn), self.horizon, self.period))

    def __repr__(self):
        return self.__qualname__


def _of_step(func, name, fn, horizon, period=None):
    """``fn`` of the step (or of the cycle number) as a schedule: traced by JAX
    when it can be, else evaluated on the host as PyTorch does."""
    probe = _FloatStep(fn, period)
    if _traceable(probe):
        _check_not_nan(func, name, fn, horizon, 1 if period else 0)
        return from_fn(probe)
    return from_fn(_HostFn(func, name, fn, horizon, period))


def _check_not_nan(func, name, fn, horizon, first):
    """Refuses a traced ``fn`` that gives NaN at one of its first ``horizon``
    arguments (``first`` on): inside a compiled schedule a NaN could not
    raise where it is read, as the host's table makes it raise, so it is
    refused when the schedule is made.  (An infinity is held at the largest
    float, as every schedule's value is.)  The arguments are evaluated at
    once, in one compiled program."""
    fdtype = num.float_dtype()
    args = np.arange(first, first + horizon, dtype=fdtype)
    try:
        values = jax.jit(jax.vmap(lambda k: jnp.asarray(fn(k), fdtype)))(args)
    except Exception:  # noqa: BLE001 - not checkable at once (under vmap)
        return  # it still traces one step at a time, as it is evaluated
    if not chk.is_concrete(values):  # fn closes over traced values
        return
    bad = np.flatnonzero(np.isnan(np.asarray(values)))
    if bad.size:
        k = first + int(bad[0])
        raise ValueError(
            f"{func}: `{name}({k})` must be a number (a rate of NaN is not a "
            f"schedule); got {name}({k})=nan."
        )


class _IntCalls:
    """``fn(epoch)`` called one Python int at a time (as PyTorch calls it), so a
    function of Python numbers is evaluated in float64."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, t):
        if isinstance(t, np.ndarray):
            raise TypeError("one epoch at a time")
        return float(self.fn(int(t)))

    def __eq__(self, other):
        return type(other) is _IntCalls and self.fn is other.fn

    def __hash__(self):
        return hash(id(self.fn))


class _Periodic:
    """A host table read by the step: ``values[t]`` for ``t < len(values)``,
    then ``values[start + (t - start) % period]`` (or the last value held, when
    ``period`` is None).  Fractional steps read the whole step."""

    def __init__(self, values, start=None, period=None):
        self.values = np.asarray(values, np.float64)
        self.start, self.period = start, period
        self._key = hashlib.sha1(self.values.tobytes()).hexdigest()
        self.__qualname__ = f"torch_table[{len(self.values)}]"

    def __call__(self, step):
        if jnp.issubdtype(step.dtype, jnp.floating):
            step = jnp.floor(step).astype(num.int_dtype())
        size = len(self.values)
        if self.period is None:
            index = num.min_steps(step, size - 1)
        else:
            late = num.reached(step, self.start)
            cycled = num.divmod_steps(num.sub_steps(step, self.start), self.period)[1]
            index = jnp.where(late, cycled + jnp.asarray(self.start, step.dtype), step)
        return num.take(jnp.asarray(self.values, num.float_dtype()), index)

    def __eq__(self, other):
        return (
            type(other) is _Periodic
            and self._key == other._key
            and (self.start, self.period) == (other.start, other.period)
        )

    def __hash__(self):
        return hash((self._key, self.start, self.period))

    def __repr__(self):
        return self.__qualname__


def _table(values, start=None, period=None):
    """A host table as a schedule (a number when it holds one value)."""
    values = np.asarray(values, np.float64)
    if np.all(values == values[0]):
        return float(values[0])
    if period is not None and np.all(values[start:] == values[start]):
        values, start, period = values[: start + 1], None, None
    return from_fn(_Periodic(values, start, period))


def _host_value(schedule, step) -> float:
    """The schedule at ``step``, evaluated in float64 on the host."""
    with jax.enable_x64(True):
        return float(schedule(np.int64(step)))


# ---------------------------------------------------------------------------
# PyTorch's recursive updates on the host, for the composites.
#
# Every scheduler here maps the optimizer's current rate g to the next one by
# an affine map that depends on its own step count only: a multiplier
# (g * m_e), CosineAnnealingLR (a_e * g + b_e), or a setter that ignores g
# (LambdaLR, CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts).

_MULTIPLIERS = frozenset(
    {
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "ConstantLR",
        "LinearLR",
        "PolynomialLR",
        "MultiplicativeLR",
    }
)
_SETTERS = frozenset(
    {"LambdaLR", "CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"}
)


def _stepper(spec, base):
    """PyTorch's ``get_lr`` of a multiplier or of CosineAnnealingLR, in Python
    floats as PyTorch computes it: ``step(e, g, initial)`` is the rate once
    ``last_epoch`` is ``e``, from the current rate ``g`` (``initial``: the step
    made when the scheduler is made)."""
    kind, a = spec.kind, dict(spec.args)
    if kind == "StepLR":
        size, gamma = a["step_size"], a["gamma"]
        return lambda e, g, initial: g if e == 0 or e % size != 0 else g * gamma
    if kind == "MultiStepLR":
        counts, gamma = collections.Counter(a["milestones"]), a["gamma"]
        return lambda e, g, initial: g if e not in counts else g * gamma ** counts[e]
    if kind == "ExponentialLR":
        gamma = a["gamma"]
        return lambda e, g, initial: g if initial else g * gamma
    if kind == "ConstantLR":
        factor, total = a["factor"], a["total_iters"]

        def constant_step(e, g, initial):
            if e == 0:
                return g * factor
            return g if e != total else g * (1.0 / factor)

        return constant_step
    if kind == "LinearLR":
        s, end, total = a["start_factor"], a["end_factor"], a["total_iters"]

        def linear_step(e, g, initial):
            if e == 0:
                return g * s
            if initial or e > total:
                return g
            return g * (1.0 + (end - s) / (total * s + (e - 1) * (end - s)))

        return linear_step
    if kind == "PolynomialLR":
        total, power = a["total_iters"], a["power"]

        def polynomial_step(e, g, initial):
            if initial or e > total:
                return g
            return g * ((1.0 - e / total) / (1.0 - (e - 1) / total)) ** power

        return polynomial_step
    if kind == "MultiplicativeLR":
        fn, horizon = a["lr_lambda"], a["horizon"]

        def multiplicative_step(e, g, initial):
            if initial or e > horizon:  # held after the horizon (see its doc)
                return g
            return g * float(fn(e))

        return multiplicative_step
    if kind == "CosineAnnealingLR":
        t_max, eta = a["T_max"], a["eta_min"]
        rise = (base - eta) * (1 - math.cos(math.pi / t_max)) / 2

        def cosine_step(e, g, initial):
            if initial:
                return g
            if (e - 1 - t_max) % (2 * t_max) == 0:
                return g + rise
            return (1 + math.cos(math.pi * e / t_max)) / (
                1 + math.cos(math.pi * (e - 1) / t_max)
            ) * (g - eta) + eta

        return cosine_step
    raise AssertionError(kind)  # pragma: no cover


def _period(spec):
    """``(period, onset)``: from step ``onset`` on, the update of step e depends
    on ``e % period`` only."""
    kind, a = spec.kind, dict(spec.args)
    if kind == "StepLR":
        return a["step_size"], 1
    if kind == "MultiStepLR":
        return 1, max([m for m in a["milestones"] if m >= 1], default=0) + 1
    if kind == "ExponentialLR":
        return 1, 1
    if kind in ("ConstantLR", "LinearLR", "PolynomialLR"):
        return 1, max(a["total_iters"], 0) + 1
    if kind == "MultiplicativeLR":
        return 1, a["horizon"] + 1
    if kind == "CosineAnnealingLR":
        return 2 * a["T_max"], 1
    raise AssertionError(kind)  # pragma: no cover


def _leaves(spec):
    """The schedulers a ChainedScheduler steps, nested chains flattened."""
    if spec.kind == "ChainedScheduler":
        return [leaf for s in spec.arg("schedulers") for leaf in _leaves(s)]
    return [spec]


def _context(leaves, lr):
    """Each scheduler's ``base_lrs`` and the optimizer's ``initial_lr`` once all
    are made, in order, on one optimizer of rate ``lr``: the first scheduler
    records the rate as ``initial_lr`` (CyclicLR first sets the rate to its
    ``base_lr``), which the later ones take as their base; OneCycleLR
    overwrites it with ``max_lr / div_factor``.  Also returns, for each
    CyclicLR (None for the others), the rate of its first step: the
    ``initial_lr`` then (PyTorch sets its ``base_lrs`` to ``base_lr`` only
    after that step)."""
    initial, bases, firsts = None, [], []
    for spec in leaves:
        if spec.kind == "CyclicLR":
            initial = spec.arg("base_lr") if initial is None else initial
            bases.append(spec.arg("base_lr"))
            # Its first step, made before it sets base_lrs to base_lr, starts
            # the cycle from initial_lr.
            firsts.append(initial)
            continue
        if spec.kind == "OneCycleLR":
            initial = spec.arg("max_lr") / spec.arg("div_factor")
        else:
            initial = lr if initial is None else initial
        bases.append(initial)
        firsts.append(None)
    return bases, (lr if initial is None else initial), firsts


def _one_cycle_group(func, leaves):
    """OneCycleLR reads its rates from the optimizer, where the last one made
    wrote them: two that disagree are not represented."""
    seen = {
        (s.arg("max_lr"), s.arg("div_factor"), s.arg("final_div_factor"))
        for s in leaves
        if s.kind == "OneCycleLR"
    }
    if len(seen) > 1:
        raise ValueError(
            f"{func}: every OneCycleLR in `schedulers` must have the same max_lr, "
            "div_factor and final_div_factor (in PyTorch they share the "
            "optimizer's initial_lr, max_lr and min_lr, written by the last one "
            f"made); got (max_lr, div_factor, final_div_factor) in {sorted(seen)}."
        )


def _fold(func, steps, e, g, initial):
    """One step of every scheduler of ``steps`` ((spec, stepper), in order)."""
    for spec, step in steps:
        try:
            g = step(e, g, initial)
        except ZeroDivisionError:
            raise ValueError(
                f"{func}: `schedulers` must not hold a {spec.kind} that PyTorch "
                f"divides by zero when it steps it at its step {e} (here: "
                "total_iters=0, stepped from SequentialLR); got "
                f"{spec.kind}{dict(spec.args)}."
            ) from None
    return g


def _room(func, size, what):
    if size > _MAX_TABLE:
        raise ValueError(
            f"{func}: `schedulers` must give rates that repeat within "
            f"{_MAX_TABLE:,} steps (PyTorch's chained update of {what} is "
            "recursive, tabulated here in float64 until its values repeat); got "
            f"a chain that needs {size:,} steps."
        )


def _periods(pairs):
    period, onset = 1, 1
    for spec, _ in pairs:
        p, o = _period(spec)
        period, onset = math.lcm(period, p), max(onset, o)
    return period, onset


def _chain(func, leaves, bases, start, initial, firsts=None):
    """PyTorch's ChainedScheduler of ``leaves`` (in order, with their bases),
    on a shared rate that is ``start`` before step 0.  Step 0 is each
    scheduler's initial step (``initial``: the steps made when they are made)
    or a plain ``step()`` (a chain started by SequentialLR)."""
    pairs = [
        (spec, None if spec.kind in _SETTERS else _stepper(spec, base))
        for spec, base in zip(leaves, bases, strict=True)
    ]
    setters = [i for i, s in enumerate(leaves) if s.kind in _SETTERS]
    if setters:
        # The last scheduler that sets the rate decides it at every step; the
        # ones after it map its value by an affine map of the step, tabulated.
        j = setters[-1]
        value = _make(leaves[j], bases[j])
        first = firsts[j] if firsts else None
        if initial and first is not None and first != leaves[j].arg("base_lr"):
            value = join([constant(first), shift(value, -1)], [1])
        after = pairs[j + 1 :]
        if not after:
            return value
        period, onset = _periods(after)
        size = onset + period
        _room(func, size, f"{leaves[j].kind} and what follows it")
        lo, hi = np.empty(size), np.empty(size)
        for t in range(size):
            lo[t] = _fold(func, after, t, 0.0, initial and t == 0)
            hi[t] = _fold(func, after, t, 1.0, initial and t == 0)
        scale, offset = _table(hi - lo, onset, period), _table(lo, onset, period)
        out = value if scale == 1.0 else value * scale
        return out if offset == 0.0 else out + offset
    if all(s.kind in _MULTIPLIERS for s in leaves):
        # Each multiplies the rate by its own factor: a product.  A plain first
        # step differs from the initial one by a constant factor.
        rate = start
        if not initial:
            for pair in pairs:
                plain = _fold(func, [pair], 0, 1.0, False)
                first = _fold(func, [pair], 0, 1.0, True)
                if plain != first:  # ExponentialLR, PolynomialLR, MultiplicativeLR
                    rate *= plain / first
        out = _make(leaves[0], rate)
        for spec in leaves[1:]:
            out = out * _make(spec, 1.0)
        return out
    # CosineAnnealingLR with multipliers: the chain forgets its past at each
    # step where a cosine reaches eta_min (its factor is 0 there), so once the
    # multipliers repeat, the rates repeat too: tabulated up to there.
    period, onset = _periods(pairs)
    t_maxes = [s.arg("T_max") for s in leaves if s.kind == "CosineAnnealingLR"]
    reset = min(onset + (t - onset) % (2 * t) for t in t_maxes)
    size = reset + period
    _room(func, size, "CosineAnnealingLR with other schedulers")
    values, g = np.empty(size), start
    for t in range(size):
        g = _fold(func, pairs, t, g, initial and t == 0)
        values[t] = g
    return _table(values, reset, period)


def _trajectory(func, spec, base, start):
    """A scheduler started by its initial step on the rate ``start``, with
    ``base_lrs`` ``base``."""
    if spec.kind in _MULTIPLIERS:
        return _make(spec, start)
    if spec.kind in _SETTERS or start == base:
        return _make(spec, base)
    return _chain(func, [spec], [base], start, True)


def _restart(func, spec, base, previous, index):
    """A scheduler started by SequentialLR at a milestone > 0: PyTorch sets its
    step count to 0 and its rate by its closed form (``_update_lr(0)``), or by
    ``get_lr`` where it has none, then steps it."""
    kind = spec.kind
    if kind in ("ChainedScheduler", "SequentialLR"):
        chk.fail(
            func,
            f"schedulers[{index}]",
            kind,
            "a scheduler that PyTorch can start at a milestone > 0 (it raises "
            "NotImplementedError for a ChainedScheduler or SequentialLR there; "
            "a ChainedScheduler may come first)",
        )
    a = dict(spec.args)
    total = a.get("total_iters")
    if kind in ("LinearLR", "PolynomialLR") and total == 0:
        raise ValueError(
            f"{func}: `total_iters` must not be 0 in a SequentialLR after the "
            "first milestone (PyTorch divides by total_iters when it starts "
            f"the scheduler there); got total_iters=0 in schedulers[{index}]."
        )
    if kind == "MultiStepLR":
        # The closed form counts every milestone <= 0.
        kept = [max(m, 0) for m in a["milestones"]]
        return multistep_decay(base, kept, a["gamma"])
    if kind == "ConstantLR" and total <= 0:
        factor = a["factor"]
        return constant(base * (factor + (1 - factor)))
    if kind == "LinearLR" and total < 0:
        s, end = a["start_factor"], a["end_factor"]
        return constant(base * (s + (end - s) * total / total))
    if kind == "PolynomialLR" and total < 0:
        return constant(base * (1.0 - total / total) ** a["power"])
    if kind == "MultiplicativeLR":
        # get_lr: the rate in use, times lr_lambda(0).
        return _make(spec, previous() * float(a["lr_lambda"](0)))
    # The closed form at step 0 is the base; then the scheduler's own steps.
    return _make(spec, base)


# ---------------------------------------------------------------------------
# The schedulers: each is built by a maker of its (checked) arguments and of
# the rate it starts from, so the composites can rebuild it on another rate.


def _make(spec, base):
    """The scheduler of ``spec`` alone, on an optimizer whose rate (and
    ``initial_lr``) is ``base``."""
    return _MAKERS[spec.kind](dict(spec.args), base)


def _make_step(a, base):
    return step_decay(base, a["step_size"], a["gamma"])


def StepLR(step_size, gamma=0.1, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``StepLR``: the rate is multiplied by ``gamma`` every
    ``step_size`` steps.

    .. math:: \eta_t = \text{lr}\cdot\gamma^{\lfloor t / S \rfloor}

    Built on :class:`jaxdecay.step_decay`.

    Args:
      step_size: S, a positive integer (of any size).  (PyTorch fails at
        ``step_size=0`` and treats a negative size as its absolute value; both
        are rejected.)
      gamma: the factor, > 0 (PyTorch accepts gamma <= 0: rejected, not
        representable by the decay).
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = StepLR(30, gamma=0.1, lr=0.05)
      >>> print(f"{lr(29):.3f} {lr(30):.4f} {lr(60):.5f}")
      0.050 0.0050 0.00050
    """
    name = "StepLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    step_size = _whole(name, "step_size", step_size, low=1)
    gamma = _positive_gamma(name, gamma)
    args = {"step_size": step_size, "gamma": gamma}
    return _port(name, lr, args, _make_step(args, lr))


def _make_multistep(a, base):
    return multistep_decay(base, [m for m in a["milestones"] if m >= 0], a["gamma"])


def MultiStepLR(milestones, gamma=0.1, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``MultiStepLR``: the rate is multiplied by ``gamma`` at each
    milestone.

    .. math:: \eta_t = \text{lr}\cdot\gamma^{\#\{i:\ m_i \le t\}}

    As in PyTorch, the order of the milestones does not matter, a milestone
    listed twice applies ``gamma`` twice, a milestone at 0 applies from the
    first step, and negative milestones are never reached.  Built on
    :class:`jaxdecay.multistep_decay`.

    Args:
      milestones: steps (integers).
      gamma: the factor, > 0.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = MultiStepLR([30, 80], gamma=0.1, lr=0.05)
      >>> print(f"{lr(29):.3f} {lr(30):.4f} {lr(80):.5f}")
      0.050 0.0050 0.00050
    """
    name = "MultiStepLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    if isinstance(milestones, (str, bytes, dict)) or np.ndim(milestones) != 1:
        chk.fail(name, "milestones", milestones, "a sequence of integers", TypeError)
    ms = sorted(
        _whole(name, "milestones", m, why=" (each milestone)") for m in milestones
    )
    gamma = _positive_gamma(name, gamma)
    args = {"milestones": tuple(ms), "gamma": gamma}
    return _port(name, lr, args, _make_multistep(args, lr))


def _make_exponential(a, base):
    return exponential_decay(base, a["gamma"])


def ExponentialLR(gamma, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``ExponentialLR``: the rate is multiplied by ``gamma`` every
    step.

    .. math:: \eta_t = \text{lr}\cdot\gamma^{t}

    Built on :class:`jaxdecay.exponential_decay`.

    Args:
      gamma: the factor per step, > 0 (gamma <= 0 is rejected).
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = ExponentialLR(0.9, lr=0.1)
      >>> print(f"{lr(0):.3f} {lr(1):.3f} {lr(2):.4f}")
      0.100 0.090 0.0810
    """
    name = "ExponentialLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    args = {"gamma": _positive_gamma(name, gamma)}
    return _port(name, lr, args, _make_exponential(args, lr))


def _make_cosine(a, base):
    t_max, eta_min = a["T_max"], a["eta_min"]
    down = cosine_decay(base, t_max, end_value=eta_min)
    up = cosine_decay(eta_min, t_max, end_value=base)
    wave = join([down, up], [t_max])
    # A period beyond the largest step (2**63 - 1) never restarts.
    return wave if 2 * t_max > 2**63 - 1 else repeat(wave, 2 * t_max)


def CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1, *, lr):  # noqa: N802, N803
    r"""PyTorch's ``CosineAnnealingLR``, including its rise after ``T_max``.

    .. math:: \eta_t = \eta_{min} + \tfrac12(\text{lr} - \eta_{min})
       \big(1 + \cos(\pi t / T_{max})\big)

    for every t: PyTorch's recursive update keeps following the cosine past
    ``T_max``, so the rate climbs back to ``lr`` at ``2 T_max`` and the cycle
    repeats with period ``2 T_max`` (it does not hold ``eta_min``).  Built as a
    :class:`jaxdecay.repeat` of a :class:`jaxdecay.join` of two
    :class:`jaxdecay.cosine_decay` halves.

    Args:
      T_max: half period, a positive integer of any size (PyTorch fails at 0).
      eta_min: the lowest rate.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = CosineAnnealingLR(10, lr=0.1)
      >>> print(f"{lr(0):.3f} {lr(5):.3f} {lr(10):.3f} {lr(15):.3f} {lr(20):.3f}")
      0.100 0.050 0.000 0.050 0.100
    """
    name = "CosineAnnealingLR"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    t_max = _whole(name, "T_max", T_max, low=1)
    args = {"T_max": t_max, "eta_min": chk.number(name, "eta_min", eta_min)}
    return _port(name, lr, args, _make_cosine(args, lr))


def _make_warm_restarts(a, base):
    return cosine_restarts(base, a["T_0"], float(a["T_mult"]), 1.0, a["eta_min"])


def CosineAnnealingWarmRestarts(  # noqa: N802
    T_0,  # noqa: N803
    T_mult=1,  # noqa: N803
    eta_min=0.0,
    last_epoch=-1,
    *,
    lr,
):
    r"""PyTorch's ``CosineAnnealingWarmRestarts`` (SGDR).

    .. math:: \eta_t = \eta_{min} + \tfrac12(\text{lr} - \eta_{min})
       \big(1 + \cos(\pi\, T_{cur} / T_i)\big)

    where cycle i lasts ``T_i = T_0 * T_mult**i`` steps and ``T_cur`` counts the
    steps since the last restart.  Built on :class:`jaxdecay.cosine_restarts`.

    Args:
      T_0: steps in the first cycle, a positive integer.
      T_mult: cycle growth, an integer >= 1.
      eta_min: the rate at the end of each cycle (a float or int).
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = CosineAnnealingWarmRestarts(10, T_mult=2, lr=0.1)
      >>> print(f"{lr(5):.3f} {lr(10):.3f} {lr(20):.3f} {lr(30):.3f}")
      0.050 0.100 0.050 0.100
    """
    name = "CosineAnnealingWarmRestarts"
    lr = _lr(name, lr)
    _last_epoch(name, last_epoch)
    if isinstance(T_0, bool) or not isinstance(T_0, (int, np.integer)) or T_0 <= 0:
        chk.fail(name, "T_0", T_0, "a positive integer")
    if (
        isinstance(T_mult, bool)
        or not isinstance(T_mult, (int, np.integer))
        or T_mult < 1
    ):
        chk.fail(name, "T_mult", T_mult, "an integer >= 1")
    if isinstance(eta_min, bool) or not isinstance(eta_min, (float, int)):
        chk.fail(name, "eta_min", eta_min, "a float or an int")
    eta_min = chk.number(name, "eta_min", eta_min)
    args = {"T_0": int(T_0), "T_mult": int(T_mult), "eta_min": eta_min}
    return _port(name, lr, args, _make_warm_restarts(args, lr))


def _make_cyclic(a, base):
    base_lr, peak = a["base_lr"], a["max_lr"]
    up, down = a["step_size_up"], a["step_size_down"]
    if a["scale"] is None:
        return cyclic(base_lr, peak, up, down, mode=a["mode"], gamma=a["gamma"])
    height = cyclic(0.0, peak - base_lr, up, down)
    return height * a["scale"] + base_lr


def CyclicLR(  # noqa: N802
    base_lr,
    max_lr,
    step_size_up=2000,
    step_size_down=None,
    mode="triangular",
    gamma=1.0,
    scale_fn=None,
    scale_mode="cycle",
    cycle_momentum=True,
    base_momentum=0.8,
    max_momentum=0.9,
    last_epoch=-1,
    *,
    horizon=_HORIZON,
):
    r"""PyTorch's ``CyclicLR`` (cyclical learning rates): no ``lr``, the cycle
    sets the rate.

    .. math:: \eta_t = b + (m - b)\, h(t)\, s

    with h the triangle wave (rising over ``step_size_up`` steps, falling over
    ``step_size_down``) and s the amplitude scale: 1 (``"triangular"``),
    ``1 / 2**(cycle - 1)`` (``"triangular2"``), ``gamma**t`` (``"exp_range"``),
    or ``scale_fn(cycle)`` / ``scale_fn(t)`` (``scale_mode`` ``"cycle"`` /
    ``"iterations"``), where ``cycle`` counts from 1.  Built on
    :class:`jaxdecay.cyclic` (and :class:`jaxdecay.from_fn` for ``scale_fn``).

    ``scale_fn`` is any Python function of an int, as in PyTorch; it is
    evaluated as :func:`LambdaLR` evaluates ``lr_lambda`` (traced by JAX when
    it can be, else in float64 on the host: a table of its first ``horizon``
    values, then a host call per evaluation; see :func:`LambdaLR` for the
    cost).

    ``cycle_momentum``, ``base_momentum`` and ``max_momentum`` concern the
    optimizer's momentum only: they are accepted and do not affect the rate.

    Args:
      base_lr: b, the low end (one number; per-group lists are rejected).
      max_lr: m, the high end of the first cycle (one number).
      step_size_up: steps rising, a positive integer (PyTorch converts it to a
        float and fails at 0; non-integers are rejected here).
      step_size_down: steps falling, a positive integer (default:
        ``step_size_up``).
      mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; ignored
        when ``scale_fn`` is given.
      gamma: for ``"exp_range"``, > 0.
      scale_fn: a custom amplitude scale, a function of the cycle number or
        of the step (an int).
      scale_mode: ``"cycle"`` or ``"iterations"`` (PyTorch takes any other
        string as ``"iterations"``; here it is an error).
      cycle_momentum: momentum only (ignored).
      base_momentum: momentum only (ignored).
      max_momentum: momentum only (ignored).
      last_epoch: only -1.
      horizon: keyword only: how many values of a ``scale_fn`` that JAX cannot
        trace are tabulated when the schedule is made (cycles 1..horizon, or
        steps 0..horizon-1), or checked for NaN for one it can; default
        100,000.

    Examples:
      >>> lr = CyclicLR(0.01, 0.1, step_size_up=10, mode="triangular2")
      >>> print(f"{lr(0):.3f} {lr(10):.3f} {lr(20):.3f} {lr(30):.3f}")
      0.010 0.100 0.010 0.055
      >>> halve = lambda cycle: 1 if cycle < 3 else 0.5
      >>> lr = CyclicLR(0.01, 0.1, step_size_up=5, scale_fn=halve)
      >>> print(f"{lr(5):.3f} {lr(25):.3f}")
      0.100 0.055
    """
    name = "CyclicLR"
    base = _rate(name, "base_lr", base_lr)
    peak = _rate(name, "max_lr", max_lr)
    up = _whole(name, "step_size_up", step_size_up, low=1)
    down = (
        up
        if step_size_down is None
        else _whole(name, "step_size_down", step_size_down, low=1)
    )
    modes = ("triangular", "triangular2", "exp_range")
    if scale_fn is None and mode not in modes:
        chk.fail(
            name,
            "mode",
            mode,
            "one of 'triangular', 'triangular2', 'exp_range' when `scale_fn` is None",
        )
    _last_epoch(name, last_epoch)
    args = {"base_lr": base, "max_lr": peak, "step_size_up": up, "step_size_down": down}
    if scale_fn is None:
        gamma = _positive_gamma(name, gamma) if mode == "exp_range" else 1.0
        args.update(mode=mode, gamma=gamma, scale=None)
    else:
        if not callable(scale_fn):
            chk.fail(name, "scale_fn", scale_fn, "a callable or None", TypeError)
        chk.choice(name, "scale_mode", scale_mode, ("cycle", "iterations"))
        period = up + down if scale_mode == "cycle" else None
        horizon = _horizon(name, horizon)
        scale = _of_step(name, "scale_fn", scale_fn, horizon, period)
        args.update(mode=mode, gamma=None, scale=scale)
    return _port(name, None, args, _make_cyclic(args, None))


def _anneal(kind, start, end, pct):
    """PyTorch's OneCycleLR annealing of one value (host float64)."""
    if kind == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _one_cycle_phases(a):
    """PyTorch's phases: (end step, start rate, end rate)."""
    total, pct = a["total_steps"], a["pct_start"]
    peak = a["max_lr"]
    initial = peak / a["div_factor"]
    low = initial / a["final_div_factor"]
    if a["three_phase"]:
        return [
            (float(pct * total) - 1, initial, peak),
            (float(2 * pct * total) - 2, peak, initial),
            (total - 1, initial, low),
        ]
    return [(float(pct * total) - 1, initial, peak), (total - 1, peak, low)]


def _one_cycle_value(a, step):
    """PyTorch's rate at ``step``, or None where it divides by zero."""
    start = 0.0
    phases = _one_cycle_phases(a)
    for i, (end, lo, hi) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            if end == start:
                return None
            return _anneal(a["anneal_strategy"], lo, hi, (step - start) / (end - start))
        start = end
    raise AssertionError  # pragma: no cover


def _make_one_cycle(a, base):
    total, pct, strategy = a["total_steps"], a["pct_start"], a["anneal_strategy"]
    peak, div = a["max_lr"], a["div_factor"]
    if a["three_phase"] and pct > 0.5:
        # The rise and the fall back to the initial rate, over 2 pT - 1 steps.
        length = int(float(2 * pct * total)) - 1
        cycle = one_cycle(
            peak,
            length,
            pct_start=pct * total / length,
            div_factor=div,
            final_div_factor=1.0,
            anneal=strategy,
        )
    else:
        cycle = one_cycle(
            peak,
            total,
            pct_start=pct,
            div_factor=div,
            final_div_factor=a["final_div_factor"],
            anneal=strategy,
            three_phase=a["three_phase"],
        )
    last = _one_cycle_value(a, total)
    if last is None:
        last = _one_cycle_value(a, total - 1)
    return join([cycle, constant(last)], [total])


def OneCycleLR(  # noqa: N802
    max_lr,
    total_steps=None,
    epochs=None,
    steps_per_epoch=None,
    pct_start=0.3,
    anneal_strategy="cos",
    cycle_momentum=True,
    base_momentum=0.85,
    max_momentum=0.95,
    div_factor=25.0,
    final_div_factor=1e4,
    three_phase=False,
    last_epoch=-1,
):
    r"""PyTorch's ``OneCycleLR``: no ``lr``, the cycle sets the rate.

    Rises from ``max_lr / div_factor`` to ``max_lr`` until step
    ``pct_start * T - 1``, then falls to ``max_lr / div_factor /
    final_div_factor`` at step ``T - 1`` (``T = total_steps``, or ``epochs *
    steps_per_epoch`` when ``total_steps`` is None); with ``three_phase`` it
    first falls back to the initial rate at ``2 * pct_start * T - 2``.  Each
    phase anneals by ``"cos"`` (:math:`e + \tfrac{s - e}{2}(1 + \cos\pi x)`) or
    ``"linear"``.  Built on :class:`jaxdecay.one_cycle`.

    Past the cycle: PyTorch's ``step()`` still works once more, at ``t = T``,
    where it extends the last phase beyond its end (the cosine turns back up a
    little; ``"linear"`` goes below the minimum, even below zero for short
    cycles), and raises from ``t = T + 1`` on.  This schedule gives PyTorch's
    value at ``t = T`` and holds it after (the rate the optimizer keeps when the
    scheduler stops).  Where PyTorch divides by zero at ``t = T`` (a phase of
    zero length, e.g. ``pct_start=1.0``) it holds the value at ``T - 1``.

    ``three_phase`` with ``pct_start > 0.5``: PyTorch accepts it; the second
    phase then reaches past the cycle, so the rate never gets to the third.
    Represented when ``2 * pct_start * T`` is a whole number (e.g.
    ``pct_start=0.6, T=100``), else rejected.

    ``cycle_momentum``, ``base_momentum`` and ``max_momentum`` concern the
    momentum only and do not affect the rate (for the momentum, see
    :class:`jaxdecay.one_cycle_momentum`).

    Args:
      max_lr: the peak rate (one number; per-group lists are rejected).
      total_steps: T, a positive int; or None to use ``epochs *
        steps_per_epoch``.
      epochs: a positive int (with ``steps_per_epoch``).
      steps_per_epoch: a positive int (with ``epochs``).
      pct_start: a float in [0, 1] (PyTorch rejects ints such as 0 or 1).
      anneal_strategy: ``"cos"`` or ``"linear"``.
      cycle_momentum: momentum only (ignored).
      base_momentum: momentum only (ignored).
      max_momentum: momentum only (ignored).
      div_factor: initial rate is ``max_lr / div_factor``; > 0.
      final_div_factor: final rate is ``initial / final_div_factor``; > 0.
      three_phase: the three-phase variant.
      last_epoch: only -1.

    Examples:
      >>> lr = OneCycleLR(1.0, total_steps=100)
      >>> print(f"{lr(0):.3f} {lr(29):.3f} {lr(99):.1e} {lr(100):.1e}")
      0.040 1.000 4.0e-06 5.1e-04
    """
    name = "OneCycleLR"
    if total_steps is not None:
        if (
            isinstance(total_steps, bool)
            or not isinstance(total_steps, (int, np.integer))
            or total_steps <= 0
        ):
            chk.fail(name, "total_steps", total_steps, "a positive integer")
        total = int(total_steps)
    elif epochs is not None and steps_per_epoch is not None:
        for arg, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or value <= 0
            ):
                chk.fail(name, arg, value, "a positive integer")
        total = int(epochs) * int(steps_per_epoch)
    else:
        raise ValueError(
            f"{name}: give `total_steps`, or both `epochs` and `steps_per_epoch`; "
            f"got total_steps=None, epochs={epochs!r}, "
            f"steps_per_epoch={steps_per_epoch!r}."
        )
    if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
        chk.fail(name, "pct_start", pct_start, "a float in [0, 1]")
    chk.choice(name, "anneal_strategy", anneal_strategy, ("cos", "linear"))
    peak = _rate(name, "max_lr", max_lr)
    div = chk.number(name, "div_factor", div_factor, low=0, low_open=True)
    final_div = chk.number(
        name, "final_div_factor", final_div_factor, low=0, low_open=True
    )
    three_phase = chk.flag(name, "three_phase", three_phase)
    _last_epoch(name, last_epoch)
    args = {
        "max_lr": peak,
        "total_steps": total,
        "pct_start": pct_start,
        "anneal_strategy": anneal_strategy,
        "div_factor": div,
        "final_div_factor": final_div,
        "three_phase": bool(three_phase),
    }
    if _one_cycle_value(args, 0) is None:
        chk.fail(
            name,
            "pct_start",
            pct_start,
            f"such that step 0 is in a phase of non-zero length (PyTorch divides "
            f"by zero at construction with total_steps={total})",
        )
    if three_phase and pct_start > 0.5:
        # The second phase then ends at 2 pT - 2 >= T - 1: past the cycle, or
        # at its last step (PyTorch divides by zero at T, held from T - 1).
        if not float(2 * pct_start * total).is_integer():
            chk.fail(
                name,
                "pct_start",
                pct_start,
                "at most 0.5 with `three_phase=True`, or such that 2 * pct_start "
                f"* total_steps (total_steps={total}) is a whole number, the only "
                "cases represented",
            )
    return _port(name, None, args, _make_one_cycle(args, None))


def _make_linear(a, base):
    start, total = a["start_factor"], a["total_iters"]
    if total <= 0:
        return constant(base * start)
    return base * linear(start, a["end_factor"], total)


def LinearLR(  # noqa: N802
    start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1, *, lr
):
    r"""PyTorch's ``LinearLR``: the rate's factor moves linearly from
    ``start_factor`` to ``end_factor`` over ``total_iters`` steps, then holds.

    .. math:: \eta_t = \text{lr}\,\big(s + (e - s)\min(t, T) / T\big)

    Quirk: with ``total_iters <= 0`` PyTorch's recursive update never moves,
    and the rate stays ``lr * start_factor``.  Built on :class:`jaxdecay.linear`.

    Args:
      start_factor: s in (0, 1].
      end_factor: e in [0, 1].
      total_iters: T, an integer.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = LinearLR(start_factor=0.5, total_iters=4, lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in range(6)))
      0.0500 0.0625 0.0750 0.0875 0.1000 0.1000
    """
    name = "LinearLR"
    lr = _lr(name, lr)
    start = chk.number(name, "start_factor", start_factor, low=0, low_open=True, high=1)
    end = chk.number(name, "end_factor", end_factor, low=0, high=1)
    total = _whole(name, "total_iters", total_iters)
    _last_epoch(name, last_epoch)
    args = {"start_factor": start, "end_factor": end, "total_iters": total}
    return _port(name, lr, args, _make_linear(args, lr))


def _make_constant(a, base):
    factor, total = a["factor"], a["total_iters"]
    if total <= 0:
        return constant(base * factor)
    return base * piecewise_constant([total], [factor, 1.0])


def ConstantLR(factor=1.0 / 3, total_iters=5, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``ConstantLR``: the rate is multiplied by ``factor`` until step
    ``total_iters``.

    .. math:: \eta_t = \text{lr}\cdot\begin{cases} f & t < T \\ 1 & t \ge T
       \end{cases}

    Quirks: with ``total_iters <= 0`` the rate stays ``lr * factor`` forever
    (PyTorch's recursive update only undoes the factor at exactly ``t = T``);
    ``factor=0`` with ``total_iters >= 1`` is rejected (PyTorch divides by the
    factor at ``t = T``).  Built on :class:`jaxdecay.piecewise_constant`.

    Args:
      factor: f in [0, 1].
      total_iters: T, an integer.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = ConstantLR(factor=0.5, total_iters=4, lr=0.1)
      >>> print(" ".join(f"{lr(t):.3f}" for t in range(6)))
      0.050 0.050 0.050 0.050 0.100 0.100
    """
    name = "ConstantLR"
    lr = _lr(name, lr)
    factor = chk.number(name, "factor", factor, low=0, high=1)
    total = _whole(name, "total_iters", total_iters)
    _last_epoch(name, last_epoch)
    if factor == 0 and total >= 1:
        chk.fail(
            name,
            "factor",
            factor,
            "positive when total_iters >= 1 (PyTorch divides by the factor at "
            f"step total_iters); got total_iters={total} and",
        )
    args = {"factor": factor, "total_iters": total}
    return _port(name, lr, args, _make_constant(args, lr))


def _make_polynomial(a, base):
    total, power = a["total_iters"], a["power"]
    if total <= 0 or power == 0:
        return constant(base)
    return polynomial_decay(base, 0.0, total, power)


def PolynomialLR(total_iters=5, power=1.0, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``PolynomialLR``: polynomial decay to 0 over ``total_iters``
    steps, then 0.

    .. math:: \eta_t = \text{lr}\,\big(1 - \min(t, T)/T\big)^{p}

    Quirks: with ``total_iters <= 0`` or ``power == 0`` the rate stays ``lr``;
    ``power < 0`` is rejected (PyTorch divides by zero at ``t = T``).  Built on
    :class:`jaxdecay.polynomial_decay`.

    Args:
      total_iters: T, an integer (of any size).
      power: p >= 0.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> lr = PolynomialLR(total_iters=4, power=2.0, lr=0.1)
      >>> print(" ".join(f"{lr(t):.5f}" for t in range(6)))
      0.10000 0.05625 0.02500 0.00625 0.00000 0.00000
    """
    name = "PolynomialLR"
    lr = _lr(name, lr)
    total = _whole(name, "total_iters", total_iters)
    power = chk.number(
        name,
        "power",
        power,
        low=0,
        allowed="non-negative and finite (PyTorch divides by zero at "
        "total_iters with a negative power)",
    )
    _last_epoch(name, last_epoch)
    args = {"total_iters": total, "power": power}
    return _port(name, lr, args, _make_polynomial(args, lr))


def _one_function(name, lr_lambda, allowed):
    """``lr_lambda`` must be one callable (torch's per-group lists are not one
    schedule)."""
    if isinstance(lr_lambda, (list, tuple)):
        chk.fail(
            name,
            "lr_lambda",
            lr_lambda,
            "one function: per-parameter-group functions are not representable "
            "by one schedule",
        )
    if not callable(lr_lambda):
        chk.fail(name, "lr_lambda", lr_lambda, allowed, TypeError)


def _make_lambda(a, base):
    return base * a["factor"]


def LambdaLR(lr_lambda, last_epoch=-1, *, lr, horizon=_HORIZON):  # noqa: N802
    r"""PyTorch's ``LambdaLR``: the rate is ``lr`` times a function of the step.

    .. math:: \eta_t = \text{lr}\cdot\lambda(t)

    ``lr_lambda`` is any Python function of the epoch, as in PyTorch: with
    ``if``, ``min``, ``max`` or ``math`` as well as with operators and ``jnp``
    functions.  It is used in one of two ways, chosen when the schedule is
    made, both working under ``jax.jit`` and ``jax.vmap``:

    - traced (when calling it on a JAX value works): it runs inside the
      compiled schedule, on the step as a float array holding a whole number
      (so ``0.95 ** epoch`` and ``(epoch + 1) / 10`` work; ``epoch // 30``
      still floors), in the default float dtype; it costs what its operations
      cost; a function that gives NaN at one of the first ``horizon`` steps
      is refused when the schedule is made (an infinity, as ``1 / (e - 3)``
      at 3, is held at the largest float, as every schedule's value is);
    - on the host, as PyTorch evaluates it (a Python int in, float64 out), for
      every other function: ``lr_lambda(0)`` ... ``lr_lambda(horizon - 1)`` are
      computed when the schedule is made (``horizon`` Python calls) and read
      from a table (one read per evaluation, as cheap as a constant rate); a
      step >= ``horizon`` calls ``lr_lambda`` on the host through
      ``jax.pure_callback``: a round trip to the host per evaluation (on a
      CPU about 80 us per jitted call, 14 times a constant rate, where a
      table read costs 1.2 times: ``benchmarks/bench_torch_lambda.py``); an
      array of steps (``vmap``) makes that round trip for the whole array
      once.  Every step is exact; ``horizon`` only moves that cost.  If
      ``lr_lambda`` raises (or gives inf/NaN) at some step, the table stops
      there and evaluating that step raises, as PyTorch does at that step.

    A list of per-group functions is rejected.  Built with
    :class:`jaxdecay.from_fn`.

    Args:
      lr_lambda: a function of the epoch.
      last_epoch: only -1.
      lr: the optimizer's learning rate.
      horizon: keyword only: the steps tabulated for a function JAX cannot
        trace, or checked for NaN for one it can (default 100,000).

    Examples:
      >>> lr = LambdaLR(lambda epoch: 0.5 ** (epoch // 3), lr=0.1)
      >>> print(f"{lr(2):.3f} {lr(3):.3f} {lr(6):.4f}")
      0.100 0.050 0.0250
      >>> warm = LambdaLR(lambda e: min((e + 1) / 10, (10 / (e + 1)) ** 0.5), lr=1.0)
      >>> print(f"{warm(4):.2f} {warm(9):.2f} {warm(39):.2f}")
      0.50 1.00 0.50
      >>> print(f"{jax.jit(warm)(10**6):.6f}")
      0.003162
    """
    name = "LambdaLR"
    lr = _lr(name, lr)
    _one_function(name, lr_lambda, "a function of the step")
    _last_epoch(name, last_epoch)
    horizon = _horizon(name, horizon)
    args = {
        "lr_lambda": lr_lambda,
        "horizon": horizon,
        "factor": _of_step(name, "lr_lambda", lr_lambda, horizon),
    }
    return _port(name, lr, args, _make_lambda(args, lr))


def _make_multiplicative(a, base):
    try:
        return recurrence(base, a["factor"], a["horizon"])
    except ValueError as err:
        raise ValueError(
            f"MultiplicativeLR: `lr_lambda(epoch)` must be finite and >= 0 for "
            f"epochs 1..horizon ({err})"
        ) from err


def MultiplicativeLR(lr_lambda, last_epoch=-1, *, lr, horizon=10_000):  # noqa: N802
    r"""PyTorch's ``MultiplicativeLR``: the rate is multiplied by
    ``lr_lambda(t)`` at every step t >= 1.

    .. math:: \eta_0 = \text{lr}, \quad \eta_t = \eta_{t-1}\,\lambda(t)
       = \text{lr}\prod_{s=1}^{\min(t, H)} \lambda(s)

    Built on :class:`jaxdecay.recurrence`: ``lr_lambda`` is called with Python
    ints (as PyTorch calls it) for t = 1..``horizon`` when the schedule is made,
    the running product is taken in float64, and the rate is held after
    ``horizon`` (the factor is taken as 1 there, in ``ChainedScheduler`` and
    ``SequentialLR`` too).  Its values must be finite and >= 0.

    Args:
      lr_lambda: a function of the epoch (an int) giving the factor.
      last_epoch: only -1.
      lr: the optimizer's learning rate.
      horizon: keyword only, H: the last step computed (10,000 by default;
        raise it for longer runs, at most 50,000,000).

    Examples:
      >>> lr = MultiplicativeLR(lambda epoch: 0.95, lr=0.1)
      >>> print(f"{lr(0):.4f} {lr(1):.4f} {lr(2):.5f}")
      0.1000 0.0950 0.09025
    """
    name = "MultiplicativeLR"
    lr = _lr(name, lr)
    _one_function(name, lr_lambda, "a function of the epoch")
    _last_epoch(name, last_epoch)
    horizon = chk.integer(name, "horizon", horizon, low=1)
    args = {"lr_lambda": lr_lambda, "horizon": horizon, "factor": _IntCalls(lr_lambda)}
    return _port(name, lr, args, _make_multiplicative(args, lr))


_MAKERS = {
    "StepLR": _make_step,
    "MultiStepLR": _make_multistep,
    "ExponentialLR": _make_exponential,
    "CosineAnnealingLR": _make_cosine,
    "CosineAnnealingWarmRestarts": _make_warm_restarts,
    "CyclicLR": _make_cyclic,
    "OneCycleLR": _make_one_cycle,
    "LinearLR": _make_linear,
    "ConstantLR": _make_constant,
    "PolynomialLR": _make_polynomial,
    "LambdaLR": _make_lambda,
    "MultiplicativeLR": _make_multiplicative,
}


# ---------------------------------------------------------------------------
# The composites.


def _members(func, schedulers, lr, sequential_ok=False):
    if isinstance(schedulers, Schedule) or not isinstance(schedulers, (list, tuple)):
        chk.fail(func, "schedulers", schedulers, "a list of schedulers", TypeError)
    if len(schedulers) < 1:
        chk.fail(func, "schedulers", schedulers, "a non-empty list of schedulers")
    specs = []
    for i, s in enumerate(schedulers):
        if isinstance(s, reduce_on_plateau):
            raise ValueError(
                f"{func}: `schedulers[{i}]` must not be a ReduceLROnPlateau (PyTorch "
                "does not support it here: its step needs the metric)."
            )
        spec = _spec(s)
        if spec is None:
            chk.fail(
                func,
                f"schedulers[{i}]",
                s,
                "a scheduler made by jaxdecay.torch",
                TypeError,
            )
        if spec.args is None:
            chk.fail(
                func,
                f"schedulers[{i}]",
                s,
                "a scheduler made from concrete numbers (this one was made from "
                "traced values, inside jit or vmap)",
            )
        if spec.kind == "SequentialLR" and not sequential_ok:
            chk.fail(
                func,
                f"schedulers[{i}]",
                spec.kind,
                "a scheduler other than SequentialLR (nested in a composite, "
                "PyTorch steps or restarts it inconsistently: not represented)",
            )
        if spec.lr is not None and spec.lr != lr:
            raise ValueError(
                f"{func}: every scheduler must be made with the same `lr` (they "
                f"share one optimizer); got lr={lr!r} and schedulers[{i}] "
                f"({spec.kind}) made with lr={spec.lr!r}."
            )
        specs.append(spec)
    return specs


def SequentialLR(schedulers, milestones, last_epoch=-1, *, lr):  # noqa: N802
    r"""PyTorch's ``SequentialLR``: ``schedulers[i]`` runs from
    ``milestones[i-1]``, counting its steps from there.

    .. math:: \eta_t = s_i(t - m_{i-1}), \quad m_{i-1} \le t < m_i

    The schedulers are taken as PyTorch's user makes them: in list order, on
    one optimizer of rate ``lr``, just before the ``SequentialLR``.  As in
    PyTorch:

    - at step 0 the optimizer's rate is reset to its ``initial_lr`` (``lr``,
      or ``max_lr / div_factor`` of a ``OneCycleLR`` in the list, which
      overwrites it, or the ``base_lr`` of a first ``CyclicLR``) and the
      scheduler in use at step 0 makes its first step from it (a milestone at
      0 skips the schedulers before it);
    - at a milestone > 0 PyTorch starts the next scheduler with its closed
      form at step 0 and then steps it, which gives the scheduler's own values
      except for ``MultiplicativeLR`` (it continues from the rate in use,
      times ``lr_lambda(0)``), ``ConstantLR``/``LinearLR``/``PolynomialLR``
      with ``total_iters <= 0`` (their closed form at 0) and ``MultiStepLR``
      with negative milestones;
    - a ``ChainedScheduler`` runs only first (PyTorch raises
      ``NotImplementedError`` when it starts one at a milestone); its
      schedulers then make a plain step at step 0 (``ExponentialLR``
      multiplies by ``gamma`` there, ``CosineAnnealingLR`` rises by its ratio
      of cosines); see :func:`ChainedScheduler` for how it is evaluated.

    Built on :class:`jaxdecay.join`.

    Args:
      schedulers: schedulers made by this module (not ``SequentialLR`` or
        ``ReduceLROnPlateau``), those that take ``lr`` with the same ``lr``.
      milestones: ``len(schedulers) - 1`` sorted integers.
      last_epoch: only -1.
      lr: the optimizer's learning rate.

    Examples:
      >>> warm = LinearLR(start_factor=0.1, total_iters=5, lr=0.1)
      >>> decay = ExponentialLR(0.9, lr=0.1)
      >>> lr = SequentialLR([warm, decay], milestones=[5], lr=0.1)
      >>> print(" ".join(f"{lr(t):.3f}" for t in (0, 4, 5, 6)))
      0.010 0.082 0.100 0.090
    """
    name = "SequentialLR"
    lr = _lr(name, lr)
    specs = _members(name, schedulers, lr)
    if isinstance(milestones, (str, bytes, dict)) or np.ndim(milestones) != 1:
        chk.fail(name, "milestones", milestones, "a list of integers", TypeError)
    ms = [_whole(name, "milestones", m, why=" (each milestone)") for m in milestones]
    if len(ms) != len(schedulers) - 1:
        raise ValueError(
            f"{name}: `milestones` must have one entry fewer than `schedulers`; "
            f"got {len(schedulers)} schedulers and milestones={ms}."
        )
    if ms != sorted(ms):
        chk.fail(
            name,
            "milestones",
            ms,
            "sorted (PyTorch bisects them, which only makes sense when sorted)",
        )
    _last_epoch(name, last_epoch)
    # Every scheduler made, in order: their bases and the optimizer's
    # initial_lr, to which SequentialLR resets the rate.
    groups = [_leaves(s) for s in specs]
    leaves = [leaf for g in groups for leaf in g]
    _one_cycle_group(name, leaves)
    bases, initial, _ = _context(leaves, lr)
    first = bisect.bisect_right(ms, 0)
    bounds = [max(m, 0) for m in ms]
    pieces, at = [], 0
    for k, (spec, group) in enumerate(zip(specs, groups, strict=True)):
        own = bases[at : at + len(group)]
        at += len(group)
        if k < first:  # skipped by a milestone <= 0: never runs
            pieces.append(constant(0.0))
        elif k == first:
            if spec.kind == "ChainedScheduler":
                pieces.append(_chain(name, group, own, initial, False))
            else:
                pieces.append(_trajectory(name, spec, own[0], initial))
        else:
            so_far = join(list(pieces), bounds[: k - 1])
            m = ms[k - 1]
            pieces.append(
                _restart(
                    name,
                    spec,
                    own[0],
                    lambda so_far=so_far, m=m: _host_value(so_far, m - 1),
                    k,
                )
            )
    args = {"schedulers": tuple(specs), "milestones": tuple(ms)}
    return _port(name, lr, args, join(pieces, bounds))


def ChainedScheduler(schedulers, *, lr):  # noqa: N802
    r"""PyTorch's ``ChainedScheduler``: at every step, each scheduler in turn
    updates the optimizer's shared rate.

    The schedulers are taken as PyTorch's user makes them: in list order, on
    one optimizer of rate ``lr`` (so the rate at step 0 is what their first
    steps, made when they are made, leave).  PyTorch's update of each
    scheduler is its recursive (chainable) form on the rate it finds: a
    product for ``StepLR``, ``MultiStepLR``, ``ExponentialLR``,
    ``ConstantLR``, ``LinearLR``, ``PolynomialLR`` and ``MultiplicativeLR``;
    :math:`\eta \mapsto \eta_{min} + r_t(\eta - \eta_{min})` (a ratio of
    cosines, with a shift after each minimum) for ``CosineAnnealingLR``; and a
    rate set regardless of the one found for ``LambdaLR``, ``CyclicLR``,
    ``OneCycleLR`` and ``CosineAnnealingWarmRestarts``.  Evaluated exactly, at
    every step:

    - only products: a product of schedules (any number of steps);
    - with a scheduler that sets the rate: the last such scheduler's value
      mapped by the schedulers after it (``a_t\,s(t) + b_t``), whose factors
      ``a_t, b_t`` are computed in float64 when the schedule is made until
      they repeat (steps up to the last milestone/``total_iters``, plus a
      period: ``step_size``, ``2 T_max``, ...) and read from that table;
    - ``CosineAnnealingLR`` with products: the rates themselves, computed in
      float64 by PyTorch's recursion when the schedule is made, up to where
      they repeat (a cosine's minimum after the last change of the products,
      plus a common period), and read from that table.

    A table costs about a microsecond per entry and scheduler to build (a
    second for ``T_max = 300_000``), and is a constant of the compiled
    schedule (4 bytes per entry in float32); evaluating it is one read.  A
    chain whose table would exceed 4,194,304 entries (a ``T_max`` over about
    1.4 million, or periods with a huge least common multiple) is rejected.
    ``MultiplicativeLR``'s factor is 1 after its ``horizon``.  PyTorch's
    optional ``optimizer`` argument is replaced by ``lr``.

    Args:
      schedulers: schedulers made by this module (chains are flattened; not
        ``ReduceLROnPlateau``, nor ``SequentialLR`` unless alone), those that
        take ``lr`` with the same ``lr``.
      lr: the optimizer's learning rate.

    Examples:
      >>> warm = ConstantLR(factor=0.1, total_iters=2, lr=1.0)
      >>> decay = ExponentialLR(0.9, lr=1.0)
      >>> lr = ChainedScheduler([warm, decay], lr=1.0)
      >>> print(" ".join(f"{lr(t):.4f}" for t in range(4)))
      0.1000 0.0900 0.8100 0.7290
      >>> # PyTorch's rise after the minimum adds steps of the full cosine: the
      >>> # halving at step 2 is gone from step 4 on.
      >>> cos = CosineAnnealingLR(4, eta_min=0.01, lr=0.1)
      >>> lr = ChainedScheduler([cos, MultiStepLR([2], gamma=0.5, lr=0.1)], lr=0.1)
      >>> print(" ".join(f"{lr(t):.4f}" for t in range(0, 12, 2)))
      0.1000 0.0275 0.0100 0.0550 0.1000 0.0550
    """
    name = "ChainedScheduler"
    lr = _lr(name, lr)
    alone = isinstance(schedulers, (list, tuple)) and len(schedulers) == 1
    specs = _members(name, schedulers, lr, sequential_ok=alone)
    if alone:
        return schedulers[0]
    leaves = [leaf for s in specs for leaf in _leaves(s)]
    _one_cycle_group(name, leaves)
    bases, _, firsts = _context(leaves, lr)
    args = {"schedulers": tuple(specs)}
    return _port(name, lr, args, _chain(name, leaves, bases, lr, True, firsts))


def ReduceLROnPlateau(  # noqa: N802
    mode="min",
    factor=0.1,
    patience=10,
    threshold=1e-4,
    threshold_mode="rel",
    cooldown=0,
    min_lr=0,
    eps=1e-8,
    *,
    lr,
):
    r"""PyTorch's ``ReduceLROnPlateau``: :class:`jaxdecay.reduce_on_plateau`
    with ``base=lr`` and ``min_value=min_lr``.

    An optax stateful schedule: ``schedule(state)`` after each
    ``state = schedule.update(state, value=metric)`` equals
    ``get_last_lr()[0]`` after each ``scheduler.step(metric)`` (and
    ``schedule(schedule.init())`` is ``lr``).  With
    ``optax.inject_hyperparams``, pass the metric to the optimizer's update
    (``value=loss``).  The rule is in :class:`jaxdecay.reduce_on_plateau`.

    Args:
      mode: ``"min"`` or ``"max"``.
      factor: in [0, 1) (PyTorch rejects >= 1; negative factors are rejected
        here).
      patience: an integer >= 0.
      threshold: >= 0.
      threshold_mode: ``"rel"`` or ``"abs"``.
      cooldown: an integer >= 0.
      min_lr: >= 0 (one number; per-group lists are rejected).
      eps: >= 0.
      lr: the optimizer's learning rate.

    Examples:
      >>> plateau = ReduceLROnPlateau(factor=0.5, patience=1, lr=0.1)
      >>> state = plateau.init()
      >>> for loss in [1.0, 0.9, 0.95, 0.92, 0.93]:
      ...     state = plateau.update(state, value=loss)
      ...     print(f"{plateau(state):.3f}", end=" ")
      0.100 0.100 0.100 0.050 0.050
    """
    name = "ReduceLROnPlateau"
    lr = _lr(name, lr)
    if chk.is_concrete(factor) and isinstance(factor, numbers.Real) and factor >= 1:
        chk.fail(name, "factor", factor, "< 1.0")
    factor = chk.number(name, "factor", factor, low=0, high=1, high_open=True)
    if mode not in ("min", "max"):
        chk.fail(name, "mode", mode, "'min' or 'max'")
    if threshold_mode not in ("rel", "abs"):
        chk.fail(name, "threshold_mode", threshold_mode, "'rel' or 'abs'")
    patience = chk.integer(name, "patience", patience)
    cooldown = chk.integer(name, "cooldown", cooldown)
    threshold = chk.number(name, "threshold", threshold, low=0)
    min_lr = _rate(name, "min_lr", min_lr)
    min_lr = chk.number(name, "min_lr", min_lr, low=0)
    eps = chk.number(name, "eps", eps, low=0)
    return reduce_on_plateau(
        factor=factor,
        patience=patience,
        threshold=threshold,
        threshold_mode=threshold_mode,
        mode=mode,
        cooldown=cooldown,
        min_value=min_lr,
        eps=eps,
        base=lr,
    )
