"""Reduce on plateau: a stateful schedule driven by a monitored metric.

The rule is PyTorch's ``torch.optim.lr_scheduler.ReduceLROnPlateau``.  The
object is an optax ``StatefulSchedule`` (``init``, ``update``, ``__call__``), so
``optax.inject_hyperparams`` accepts it as a hyperparameter; ``as_transform``
gives the same rule as a scaling gradient transformation.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Static, Value, _same, _show
from .._core.fields import Anything, Choice, Real, Steps, param

__all__ = ["reduce_on_plateau", "PlateauState", "ScaleByPlateauState"]

_NAME = "reduce_on_plateau"
_INT = jnp.int32
_INT_MAX = int(np.iinfo(np.int32).max)


# Slots of ``PlateauState.data``.
_VALUE, _BEST, _BAD, _COOLDOWN, _COUNT, _PREVIOUS = range(6)
_INT_OF_FLOAT = {4: jnp.int32, 8: jnp.int64}


def _float_of(data) -> np.dtype:
    return np.dtype(f"float{8 * np.dtype(data.dtype).itemsize}")


class PlateauState(NamedTuple):
    """The state of :class:`reduce_on_plateau`: one small integer array.

    The six numbers of the rule travel together in ``data``, so the state is
    one array (one buffer to donate, one fusion to update inside a jitted
    step); read them through the attributes below.  ``data`` has the integer
    type as wide as the default float (int32, or int64 with
    ``jax_enable_x64``) and shape ``(..., 6)``: the value and the best metric
    as the bits of a float, the three counters, then the previous value as the
    bits of a float.

    Attributes:
      data: the packed state (leading axes when the state is batched with
        ``jax.vmap``).
      value: the tracked value (the rate, or the multiplier when ``base`` is a
        schedule), in the default float dtype.
      best: the best finite metric seen so far (``+inf`` in mode ``"min"``,
        ``-inf`` in mode ``"max"`` before the first one), default float dtype.
      num_bad_steps: updates since the last improvement (int32).
      cooldown_counter: updates left in the cooldown (int32).
      count: number of updates seen (int32, saturating at 2**31 - 1), i.e.
        of metrics reported, those ignored by ``start_step`` and ``every``
        included; a ``base`` schedule is evaluated at it, and ``start_step``
        and ``every`` read it to decide whether a metric is considered.
      previous: the tracked value before the latest update, i.e. the one that
        update's output was computed from (before the first update: the
        starting value), default float dtype.

    Examples:
      >>> state = reduce_on_plateau(base=0.1).init()
      >>> print(f"{state.value:.3g} {state.best} {state.count} {state.data.shape}")
      0.1 inf 0 (6,)
    """

    data: jax.Array

    @classmethod
    def pack(
        cls,
        value,
        best,
        num_bad_steps,
        cooldown_counter,
        count,
        previous=None,
        dtype=None,
    ):
        """A state from its numbers; ``value``, ``best`` and ``previous``
        (default: ``value``) are stored in ``dtype`` (float32 or float64;
        default: the default float dtype).

        Examples:
          >>> s = PlateauState.pack(0.5, 1.0, 2, 0, 7)
          >>> print(f"{s.value:.2f} {s.best:.2f} {s.num_bad_steps} {s.count}")
          0.50 1.00 2 7
        """
        dtype = np.dtype(num.float_dtype() if dtype is None else dtype)
        if dtype.itemsize not in _INT_OF_FLOAT or dtype.kind != "f":
            chk.fail(
                "PlateauState.pack", "dtype", dtype, "float32 or float64", TypeError
            )
        itype = _INT_OF_FLOAT[dtype.itemsize]

        def bits(x):
            return jax.lax.bitcast_convert_type(jnp.asarray(x, dtype), itype)

        def whole(x):
            return jnp.asarray(x).astype(itype)

        parts = (bits(value), bits(best), whole(num_bad_steps))
        previous = value if previous is None else previous
        parts += (whole(cooldown_counter), whole(count), bits(previous))
        return cls(jnp.stack(jnp.broadcast_arrays(*parts), axis=-1))

    def _float(self, slot):
        return jax.lax.bitcast_convert_type(self.data[..., slot], _float_of(self.data))

    @property
    def value(self) -> jax.Array:
        return self._float(_VALUE)

    @property
    def best(self) -> jax.Array:
        return self._float(_BEST)

    @property
    def num_bad_steps(self) -> jax.Array:
        return self.data[..., _BAD].astype(_INT)

    @property
    def cooldown_counter(self) -> jax.Array:
        return self.data[..., _COOLDOWN].astype(_INT)

    @property
    def count(self) -> jax.Array:
        return self.data[..., _COUNT].astype(_INT)

    @property
    def previous(self) -> jax.Array:
        return self._float(_PREVIOUS)


class ScaleByPlateauState(NamedTuple):
    """The state of :meth:`reduce_on_plateau.as_transform`.

    Attributes:
      plateau: the :class:`PlateauState` of the schedule.
      rule: the :class:`reduce_on_plateau` itself, as static data (no arrays).
      scale: the scale the latest update applied (before the first update: the
        initial one); :func:`jaxdecay.hyperparams` reads it as
        ``"plateau_scale"``.

    Examples:
      >>> tx = reduce_on_plateau(patience=5).as_transform()
      >>> state = tx.init({"w": jnp.zeros(3)})
      >>> print(float(state.scale))
      1.0
    """

    plateau: PlateauState
    rule: Static | None = None

    @property
    def scale(self) -> jax.Array:
        if self.rule is None:
            raise ValueError(
                "ScaleByPlateauState.scale: this state was built without its "
                "rule; build it with reduce_on_plateau(...).as_transform().init."
            )
        return self.rule.value.previous(self.plateau)

    @property
    def hyperparams(self) -> dict:
        """``{"plateau_scale": scale}`` (empty for a state without its rule),
        what :func:`jaxdecay.hyperparams` reads, as it reads an injected
        optimizer's ``hyperparams``."""
        return {} if self.rule is None else {"plateau_scale": self.scale}


_FLOAT64_MAX = float(np.finfo(np.float64).max)
_WHY_PATIENCE = "the count of bad updates is an int32 and must reach patience + 1"
_WHY_COOLDOWN = "the cooldown counter is an int32"
_WHY_COUNT = "the update count is an int32, saturating at 2**31 - 1"
_METRIC = "a real number (the monitored metric, e.g. the loss)"
_HUGE = f"of magnitude at most {_FLOAT64_MAX:.4g} (the float64 range)"


def _error(func, name, shown, allowed, error=ValueError) -> Exception:
    """``error`` in the house format, ``shown`` already formatted."""
    return error(f"{func}: `{name}` must be {allowed}; got {name}={shown}.")


def _refuse(func, name, shown, allowed, error=ValueError):
    raise _error(func, name, shown, allowed, error)


_shown = chk.shown


def _exact(func, value, dtype) -> np.ndarray:
    """The integer ``value`` rounded to ``dtype`` (to nearest, ties to even),
    never wrapped; beyond the range of ``dtype`` it is +-inf.  It rounds the
    exact int once: int -> float64 -> float32 would round twice."""
    n = int(value)
    m = abs(n)
    extra = m.bit_length() - (np.finfo(dtype).nmant + 1)
    if extra > 0:
        q, r = m >> extra, m & ((1 << extra) - 1)
        half = 1 << (extra - 1)
        if r > half or (r == half and q & 1):
            q += 1
        m = q << extra
    try:
        x = float(m)  # exact: m has no more significant bits than dtype
    except OverflowError:
        raise _error(func, "value", _shown(value), f"{_METRIC} {_HUGE}") from None
    with np.errstate(over="ignore"):
        return np.asarray(-x if n < 0 else x, dtype)


def _metric(value, dtype) -> jax.Array:
    """The metric given to ``update`` as a scalar of ``dtype``.

    Any real number is accepted: Python and NumPy ints are rounded exactly on
    the host (``jnp.asarray`` would wrap an int beyond int32), other numbers
    round to ``dtype`` (beyond its range: +-inf).  An array may have any shape
    of one element; a traced one is checked by dtype and shape only.
    """
    func = f"{_NAME}.update"
    if isinstance(value, (bool, np.bool_)):
        _refuse(func, "value", _shown(value), _METRIC, TypeError)
    if isinstance(value, numbers.Integral):
        return jnp.asarray(_exact(func, value, dtype))
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        arr = value
    elif isinstance(value, numbers.Real):  # float, fractions.Fraction...
        try:
            arr = np.float64(float(value))
        except OverflowError:
            raise _error(func, "value", _shown(value), f"{_METRIC} {_HUGE}") from None
    else:
        _refuse(func, "value", _shown(value), _METRIC, TypeError)
    kind = arr.dtype
    if not (jnp.issubdtype(kind, jnp.floating) or jnp.issubdtype(kind, jnp.integer)):
        _refuse(func, "value", _shown(value), _METRIC, TypeError)
    if arr.size != 1:
        allowed = f"{_METRIC}, a single one (use jax.vmap for a batch of states)"
        _refuse(func, "value", _shown(value), allowed, TypeError)
    arr = arr.reshape(())
    if isinstance(arr, jax.Array):  # on the device or traced: XLA converts
        return arr.astype(dtype)
    if jnp.issubdtype(kind, jnp.integer):
        return jnp.asarray(_exact(func, arr, dtype))
    with np.errstate(over="ignore"):
        return jnp.asarray(np.asarray(arr, dtype))


def _is_number(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, numbers.Real):
        return True
    return isinstance(x, (np.ndarray, np.generic, jax.Array)) and np.ndim(x) == 0


def _check_state(func, state):
    """A TypeError naming ``state`` unless it is a :class:`PlateauState` whose
    data is an int32 or int64 array of shape ``(..., 6)``."""
    data = state.data if isinstance(state, PlateauState) else None
    shape, dtype = getattr(data, "shape", None), getattr(data, "dtype", None)
    try:
        fits = np.dtype(dtype) in (np.int32, np.int64) and tuple(shape)[-1:] == (6,)
    except TypeError:
        fits = False
    if fits:
        return
    if isinstance(state, PlateauState):
        what = (
            f"of type {type(data).__name__}"
            if shape is None or dtype is None
            else f"of dtype {dtype} and shape {tuple(shape)}"
        )
        raise TypeError(
            f"{func}: `state` must be the PlateauState that `init()` and "
            "`update()` return, whose data is an int32 or int64 array of shape "
            f"(..., 6); got state=PlateauState with data {what}."
        )
    raise TypeError(
        f"{func}: `state` must be the PlateauState that `init()` and "
        "`update()` return: a plateau is a stateful schedule, so give it "
        "to `optax.inject_hyperparams(optax.sgd)(learning_rate=plateau)` "
        "or use `plateau.as_transform()`, not to `optax.sgd(plateau)`; "
        f"got state of type {type(state).__name__}."
    )


class reduce_on_plateau(Value):  # noqa: N801 - public names are lower case, as optax's
    r"""Reduce on plateau: cut the rate by ``factor`` when a metric stops improving.

    A stateful schedule with the exact rule of PyTorch's ``ReduceLROnPlateau``.
    Each :meth:`update` receives the monitored metric (``value=loss``) and, in
    order:

    1. if the metric is better than ``best`` (mode ``"min"``:
       :math:`a < b\,(1 - \theta)` for ``threshold_mode="rel"``,
       :math:`a < b - \theta` for ``"abs"``; mode ``"max"``:
       :math:`a > b\,(1 + \theta)` or :math:`a > b + \theta`), it becomes
       ``best`` and the count of bad steps restarts at 0; otherwise the count
       grows by one;
    2. during a cooldown, the cooldown counter falls by one and the count of bad
       steps is reset to 0;
    3. when the count of bad steps exceeds ``patience``, the value is reduced,
       :math:`v \leftarrow \max(v \cdot \text{factor}, \text{min\_value})`,
       but only if that lowers it by more than ``eps``; then the cooldown
       starts (``cooldown`` updates) and the count of bad steps restarts at 0.

    The value is tracked by repeated multiplication, as PyTorch does, so
    ``reduce_on_plateau(..., base=lr, min_value=min_lr)`` reproduces
    ``get_last_lr()`` after each ``step(metric)`` (to ~1e-7 in float32, ~1e-15
    with ``jax_enable_x64``).

    A non-finite metric (NaN, +inf or -inf) never becomes ``best``: it counts as
    an update without improvement, so the state never holds a non-finite
    ``best``.  The metric is any real number; it is rounded to the state's
    float dtype (an integer of any size exactly, never wrapped), see
    :meth:`update`.  PyTorch does the same for NaN but would take ``-inf`` (mode
    ``"min"``) or ``+inf`` (mode ``"max"``) as the best, after which nothing
    could ever improve; this schedule does not.

    Protocol (optax ``StatefulSchedule``): ``init() -> PlateauState``;
    ``update(state, value=metric) -> PlateauState``; ``schedule(state)``, or
    ``self(state)``, gives the current output.  ``optax.inject_hyperparams``
    accepts it as any hyperparameter; pass the metric to the optimizer as
    ``opt.update(grads, opt_state, params, value=loss)``.  optax evaluates the
    rate before it updates the state, so the metric given at one update decides
    the rate of the next.  Everything is pure and works under ``jax.jit``,
    ``jax.lax.scan`` and ``jax.vmap``.

    Warmup and per-epoch decisions (``start_step``, ``every``): the metric of
    the update whose count (``state.count``, the number of updates before it)
    is ``c`` is *considered* when

    .. math:: c \ge \text{start\_step} \quad\text{and}\quad
       (c - \text{start\_step}) \bmod \text{every} = 0,

    that is the first ``start_step`` reports are ignored, and of the rest only
    the 1st, ``(every + 1)``-th, ``(2 every + 1)``-th, ... are considered.  An
    ignored metric changes nothing but the count: not ``best``, not the count
    of bad updates, not the cooldown; ``patience`` and ``cooldown`` count
    considered metrics.  In the optax form the metric given to update ``c`` is
    the loss of the parameters after ``c`` updates, so the considered metrics
    are those of the model after ``start_step``, ``start_step + every``, ...
    updates: with ``every`` the updates of an epoch and ``start_step`` a whole
    number of epochs (the warmup), one decision per epoch, on the model at the
    epoch's end, as in fairseq's ``reduce_lr_on_plateau`` and timm's
    ``PlateauLRScheduler``, which step the rule once per epoch.  Both ignore
    metrics during the warmup: timm's ``warmup_t = W`` (epochs) ignores the
    first W reports, as ``start_step=W`` does when ``update`` is called once
    per epoch; fairseq's ``--warmup-updates W`` ignores the validation metrics
    reported before update W + 1 is done.  The defaults (0 and 1) consider
    every metric, PyTorch's rule.  The count saturates at ``2**31 - 1``: past
    that many updates every metric is considered, or none is.

    Composition: with a schedule ``base`` (or ``schedule * plateau``,
    ``plateau * schedule``, ``number * plateau``) the output is
    ``base(count) * v``, where ``count`` is the number of updates seen and ``v``
    the tracked multiplier.

    Args:
      factor: multiplier of a reduction, in ``[0, 1)``.
      patience: updates without improvement tolerated before a reduction; an
        integer in ``[0, 2**31 - 2]`` (0 reduces at the first update that does
        not improve; the state counts bad updates in int32, up to
        ``patience + 1``).
      threshold: the least improvement that counts, >= 0; relative or absolute
        according to ``threshold_mode``.
      threshold_mode: ``"rel"`` (a fraction of ``best``) or ``"abs"``.
      mode: ``"min"`` (the metric should fall, e.g. a loss) or ``"max"`` (it
        should rise, e.g. an accuracy).
      cooldown: updates after a reduction during which bad updates are not
        counted; an integer in ``[0, 2**31 - 1]`` (an int32 counter).
      min_value: the value is never reduced below it (PyTorch's ``min_lr``),
        >= 0, in the units of the tracked value.
      eps: reductions smaller than this are skipped, >= 0, in the units of the
        tracked value.
      base: keyword only.  A number >= 0: the tracked value starts there (the
        learning rate, with ``min_value`` and ``eps`` in the same units).  Or a
        schedule (any callable of the step, e.g. a jaxdecay schedule): the
        tracked value is a multiplier starting at 1.0 (``min_value`` and
        ``eps`` apply to it) and the output is ``base(count) * multiplier``.
      start_step: keyword only.  Metrics reported at an update count below it
        are ignored (the warmup); an integer in ``[0, 2**31 - 1]`` (default 0:
        none is ignored).
      every: keyword only.  Of the metrics from ``start_step`` on, only every
        ``every``-th is considered, starting with the first (per-epoch
        decisions with ``every`` = updates per epoch); an integer in
        ``[1, 2**31 - 1]`` (default 1: all).  Both take durations, as every
        count of steps does: ``start_step="2ep", every="1ep"`` become steps
        with ``resolve(steps_per_epoch=...)``.

    Examples:
      >>> plateau = reduce_on_plateau(factor=0.5, patience=1, base=0.1)
      >>> state = plateau.init()
      >>> for loss in [1.0, 0.9, 0.95, 0.92, 0.93]:
      ...     state = plateau.update(state, value=loss)
      ...     print(f"{plateau(state):.3f}", end=" ")
      0.100 0.100 0.100 0.050 0.050

      With an optax optimizer (the metric goes to ``update`` as ``value=``):

      >>> import optax
      >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=plateau)
      >>> params = jnp.array(1.0)
      >>> opt_state = opt.init(params)
      >>> for loss in [1.0, 0.9, 0.95, 0.92, 0.93]:
      ...     _, opt_state = opt.update(params, opt_state, params, value=loss)
      ...     print(f"{opt_state.hyperparams['learning_rate']:.3f}", end=" ")
      0.100 0.100 0.100 0.100 0.050

      (the rate of each update was decided by the metrics before it).

      Multiplying a schedule:


      >>> lr = warmup_cosine_decay(1e-3, 10, 100) * reduce_on_plateau(patience=5)
      >>> state = lr.init()
      >>> for _ in range(10):  # no improvement after the first: one cut, at 7
      ...     state = lr.update(state, value=1.0)
      >>> print(f"{lr(state):.1e}")  # warmup_cosine_decay(...)(10) * 0.1
      1.0e-04

      Ignoring a warmup of 4 updates and deciding once every 3 updates (the
      metrics at counts 4, 7, 10, ... are considered; the others, however
      bad, change nothing):

      >>> plateau = reduce_on_plateau(0.5, patience=0, start_step=4, every=3)
      >>> state = plateau.init()
      >>> for loss in [9.0, 9.0, 9.0, 9.0, 5.0, 9.0, 9.0, 4.0, 9.0, 9.0, 4.5]:
      ...     state = plateau.update(state, value=loss)
      ...     print(float(plateau(state)), end=" ")
      1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 0.5
      >>> print(float(state.best), int(state.count))
      4.0 11
    """

    factor: Any = param(Real(low=0.0, high=1.0, high_open=True), default=0.1)
    patience: Any = param(
        Steps(high=_INT_MAX - 1, why=_WHY_PATIENCE, duration=False), default=10
    )
    threshold: Any = param(Real(low=0.0), default=1e-4)
    threshold_mode: str = param(Choice(options=("rel", "abs")), default="rel")
    mode: str = param(Choice(options=("min", "max")), default="min")
    cooldown: Any = param(
        Steps(high=_INT_MAX, why=_WHY_COOLDOWN, duration=False), default=0
    )
    min_value: Any = param(Real(low=0.0), default=0.0)
    eps: Any = param(Real(low=0.0), default=1e-8)
    base: Any = param(Anything(), default=1.0, kw_only=True)
    start_step: Any = param(
        Steps(high=_INT_MAX, why=_WHY_COUNT), default=0, kw_only=True
    )
    every: Any = param(
        Steps(low=1, high=_INT_MAX, why=_WHY_COUNT), default=1, kw_only=True
    )
    # Output multipliers added by ``*`` (numbers or schedules).
    multipliers: tuple = dataclasses.field(
        default=(), init=False, metadata={"config": True}
    )

    def __check_init__(self):
        base = self.base
        if isinstance(base, reduce_on_plateau) or not (
            callable(base) or _is_number(base) or not chk.is_concrete(base)
        ):
            chk.fail(
                _NAME,
                "base",
                base,
                "a number >= 0 (the starting value) or a schedule (a callable "
                "of the step)",
                TypeError,
            )
        if not callable(base):
            object.__setattr__(self, "base", Real(low=0.0).check(_NAME, "base", base))

    # -- the optax StatefulSchedule protocol ------------------------------------

    def init(self) -> PlateauState:
        """The initial state: the starting value, no best metric yet."""
        if self.unresolved:
            self._refuse_unresolved("start")
        start = 1.0 if callable(self.base) else self.base
        worst = math.inf if self.mode == "min" else -math.inf
        return PlateauState.pack(start, worst, 0, 0, 0)

    def update(self, state: PlateauState, value=None, **extra_args) -> PlateauState:
        """The state after observing the metric ``value`` (other arguments,
        such as those optax forwards, are ignored).

        ``value`` is a real number (a Python, NumPy or JAX scalar, or an array
        of one element), converted to the float dtype of the state by rounding:
        an integer of any size rounds exactly, never wraps (a Python int beyond
        the float64 range is a ValueError); a metric beyond the range of the
        state's dtype becomes +-inf.  A non-finite metric counts as an update
        without improvement.  Inside ``jax.jit`` pass the metric as a float
        array: JAX itself turns an int64 argument of a jitted function into
        int32 (wrapping it) when ``jax_enable_x64`` is off.

        Raises:
          TypeError: ``state`` is not a :class:`PlateauState`; ``value`` is
            missing, or is not a real number (a bool, complex, string, list,
            an array of several elements...).
          ValueError: ``value`` is an int beyond the float64 range.

        Examples:
          >>> plateau = reduce_on_plateau(mode="max", threshold=0.0)
          >>> state = plateau.update(plateau.init(), value=np.int64(2**40))
          >>> print(int(state.best) == 2**40)
          True
        """
        _check_state(f"{_NAME}.update", state)
        if self.unresolved:
            self._refuse_unresolved("update")
        if value is None:
            others = ", ".join(sorted(extra_args)) or "none"
            raise TypeError(
                f"{_NAME}.update: `value` must be the monitored metric (e.g. the "
                "loss); pass it to the optimizer's update as "
                "`opt.update(grads, opt_state, params, value=loss)`; got "
                f"value=None (other arguments: {others})."
            )
        dtype = state.value.dtype
        metric = _metric(value, dtype)
        best = state.best
        threshold = jnp.asarray(self.threshold, dtype)
        one = jnp.ones((), dtype)
        if self.mode == "min":
            if self.threshold_mode == "rel":
                better = metric < best * (one - threshold)
            else:
                better = metric < best - threshold
        elif self.threshold_mode == "rel":
            better = metric > best * (threshold + one)
        else:
            better = metric > best + threshold
        better = better & jnp.isfinite(metric)
        best = jnp.where(better, metric, best)
        bad = jnp.where(better, 0, state.num_bad_steps + 1).astype(_INT)

        cooling = state.cooldown_counter > 0
        counter = jnp.where(cooling, state.cooldown_counter - 1, state.cooldown_counter)
        bad = jnp.where(cooling, 0, bad)

        reduce = bad > jnp.asarray(self.patience, _INT)
        old = state.value
        new = jnp.maximum(
            old * jnp.asarray(self.factor, dtype), jnp.asarray(self.min_value, dtype)
        )
        cut = reduce & (old - new > jnp.asarray(self.eps, dtype))
        count = state.count
        value = jnp.where(cut, new, old)
        bad = jnp.where(reduce, 0, bad)
        counter = jnp.where(reduce, jnp.asarray(self.cooldown, _INT), counter)
        considered = self._considered(count)
        if considered is not None:  # an ignored metric leaves the rule's state
            value = jnp.where(considered, value, old)
            best = jnp.where(considered, best, state.best)
            bad = jnp.where(considered, bad, state.num_bad_steps)
            counter = jnp.where(considered, counter, state.cooldown_counter)
        return PlateauState.pack(
            value,
            best,
            bad,
            counter,
            jnp.where(count < _INT_MAX, count + 1, count),
            previous=old,
            dtype=dtype,
        )

    def _considered(self, count):
        """Whether the metric of the update at ``count`` is considered (see
        ``start_step`` and ``every``); None when every metric is (the
        defaults), so that PyTorch's rule runs unchanged."""
        start, every = self.start_step, self.every
        if chk.is_concrete([start, every]) and start == 0 and every == 1:
            return None
        since = count - jnp.asarray(start, _INT)  # no overflow: both in [0, max]
        on_beat = jax.lax.rem(jnp.maximum(since, 0), jnp.asarray(every, _INT)) == 0
        return (since >= 0) & on_beat

    def __call__(self, state: PlateauState, **extra_args) -> jax.Array:
        """The current output (extra arguments are ignored)."""
        del extra_args
        _check_state(_NAME, state)
        return self._output(state.value, state.count)

    def schedule(self, state: PlateauState) -> jax.Array:
        """The current output: the tracked value times the output multipliers
        (``base`` when it is a schedule, and any added by ``*``) at
        ``state.count``."""
        _check_state(f"{_NAME}.schedule", state)
        return self._output(state.value, state.count)

    def previous(self, state: PlateauState) -> jax.Array:
        """The output the latest update used (the output of the state before
        it; before the first update, the initial output), which is what
        ``optax.inject_hyperparams`` records.  :func:`jaxdecay.inject` reads it
        from the state instead of storing it.

        Examples:
          >>> plateau = reduce_on_plateau(factor=0.5, patience=0, base=0.1)
          >>> state = plateau.init()
          >>> for loss in [1.0, 1.0]:  # the second one does not improve: a cut
          ...     state = plateau.update(state, value=loss)
          >>> print(f"{plateau.previous(state):.2f} {plateau(state):.2f}")
          0.10 0.05
        """
        _check_state(f"{_NAME}.previous", state)
        used = jnp.maximum(state.count - 1, 0)  # the latest update's step
        return self._output(state.previous, used)

    def _output(self, value, count):
        dtype = value.dtype
        out = value
        parts = ((self.base,) if callable(self.base) else ()) + self.multipliers
        for part in parts:
            factor = part(count) if callable(part) else part
            out = out * jnp.asarray(factor, dtype)
        return out

    def as_transform(self) -> optax.GradientTransformationExtraArgs:
        """This rule as a gradient transformation that scales the updates.

        Its ``update(updates, state, params=None, value=metric)`` multiplies the
        updates by the current output, then updates the schedule state with the
        metric; its state is a :class:`ScaleByPlateauState`.

        Examples:
          >>> import optax
          >>> tx = optax.chain(
          ...     optax.sgd(1.0), reduce_on_plateau(patience=0, base=0.5).as_transform()
          ... )
          >>> params = jnp.array([1.0, 2.0])
          >>> state = tx.init(params)
          >>> for loss in [1.0, 1.0, 1.0]:
          ...     updates, state = tx.update(params, state, params, value=loss)
          >>> print(updates)
          [-0.05 -0.1 ]
        """

        def init_fn(params):
            del params
            return ScaleByPlateauState(self.init(), Static(self))

        def update_fn(updates, state, params=None, **extra_args):
            del params
            if not isinstance(state, ScaleByPlateauState):
                raise TypeError(
                    f"{_NAME}.as_transform().update: `state` must be the "
                    "ScaleByPlateauState that the transformation's `init` "
                    f"returns; got state of type {type(state).__name__}."
                )
            scale = self.schedule(state.plateau)
            updates = jax.tree.map(
                lambda u: u * scale.astype(jnp.result_type(u)), updates
            )
            plateau = self.update(state.plateau, **extra_args)
            return updates, ScaleByPlateauState(plateau, state.rule)

        return optax.GradientTransformationExtraArgs(init_fn, update_fn)

    # -- composition --------------------------------------------------------------

    def __mul__(self, other):
        if isinstance(other, reduce_on_plateau) or not (
            callable(other) or _is_number(other)
        ):
            return NotImplemented
        if not callable(other):
            other = Real().check(_NAME, "multiplier", other)
        obj = object.__new__(type(self))
        obj.__dict__.update(self.__dict__)
        object.__setattr__(obj, "multipliers", (*self.multipliers, other))
        return obj

    __rmul__ = __mul__

    def __repr__(self):
        parts = []
        for field in dataclasses.fields(self):
            if not field.init:
                continue
            value = getattr(self, field.name)
            if _same(value, field.default):
                continue
            parts.append(f"{field.name}={_show(value)}")
        text = f"{_NAME}({', '.join(parts)})"
        return "".join([text, *(f" * {_show(m)}" for m in self.multipliers)])
