"""A lean way to put schedules into an optax optimizer and read them back."""

from __future__ import annotations

import functools
import inspect
import numbers
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._core import checks as chk
from .._core import numerics as num
from .._core.base import Schedule, Static

__all__ = ["inject", "InjectState", "Count"]

# What the schedules of an :func:`inject` optimizer are functions of.
PROGRESS = ("steps", "tokens", "samples")
_WORD = np.uint32(0xFFFFFFFF)  # the largest 32-bit word
_COUNT_MAX = 2**64 - 1  # a count of tokens saturates there
_PER_STEP_MAX = 2**24  # so that a fraction of a step is exact in float32


def _unbox(x):
    """The array inside ``x`` (flax NNX wraps every array of an optimizer
    state in a Variable); ``x`` itself when it holds more than one."""
    leaves = jax.tree_util.tree_leaves(x)
    return leaves[0] if len(leaves) == 1 else x


# optax states whose ``count`` starts at 0 and goes up by one (saturating at
# 2**31 - 1, as inject's own counter does) at every update: the update count
# the schedules need, already kept by the optimizer.
_COUNTING_STATES = (
    optax.ScaleByAdamState,  # adam, adamw, nadam(w), adamax(w), radam, yogi, lamb
    optax.ScaleByAmsgradState,
    optax.ScaleByBeliefState,  # adabelief
    optax.ScaleByLionState,
    optax.ScaleByNovogradState,
    optax.ScaleByScheduleState,
    optax.FactoredState,  # adafactor
)


def _find_clock(state, path=()):
    """The key path of an update counter in an inner optimizer state, or None.

    Only the plain containers of ``optax.chain``/``optax.named_chain`` are
    searched: a counter inside a wrapper (``MultiSteps``, ``apply_if_finite``,
    ``masked``...) may skip updates."""
    if isinstance(state, _COUNTING_STATES):
        count = state.count
        if jnp.shape(count) == () and jnp.result_type(count) == jnp.int32:
            return (*path, jax.tree_util.GetAttrKey("count"))
        return None
    if type(state) in (tuple, list):
        keys = [(jax.tree_util.SequenceKey(i), x) for i, x in enumerate(state)]
    elif isinstance(state, dict):  # named_chain's is an OrderedDict
        keys = [(jax.tree_util.DictKey(k), x) for k, x in state.items()]
    else:
        return None
    for key, x in keys:
        found = _find_clock(x, (*path, key))
        if found is not None:
            return found
    return None


def _read(state, path):
    for key in path:
        if isinstance(key, jax.tree_util.GetAttrKey):
            state = getattr(state, key.name)
        elif isinstance(key, jax.tree_util.SequenceKey):
            state = state[key.idx]
        else:
            state = state[key.key]
    return _unbox(state)


class _Schedules(Static):
    """The schedules of an :func:`inject` optimizer, carried in its state as
    static data (a pytree node with no arrays): the state then needs only the
    update count to give the value of a schedule, not an array per schedule."""

    __slots__ = ()

    def __init__(self, names, plain, recalled, clock=None, progress=("steps", 0)):
        super().__init__(
            (
                tuple(names),  # every scheduled argument, in order
                tuple(plain),  # (name, schedule) of the stateless ones
                # (name, schedule) of the stateful ones that give their latest
                # output back from their state (a ``previous(state)`` method)
                tuple(recalled),
                # key path of the inner optimizer's update counter when the
                # stateless schedules read it (None: they read InjectState.count)
                None if clock is None else tuple(clock),
                # (what the stateless schedules are functions of: "steps",
                # "tokens" or "samples"; log2 of the tokens or samples per step)
                tuple(progress),
            )
        )

    names = property(lambda self: self.value[0])
    plain = property(lambda self: self.value[1])
    recalled = property(lambda self: self.value[2])
    clock = property(lambda self: self.value[3])
    progress = property(lambda self: self.value[4][0])
    shift = property(lambda self: self.value[4][1])

    def __repr__(self):
        return f"<schedules {', '.join(self.names)}>"


jax.tree_util.register_pytree_node(
    _Schedules, lambda s: ((), s.value), lambda value, _: _Schedules(*value)
)


class Count(NamedTuple):
    """An exact count of tokens or samples, in two 32-bit words.

    .. math:: \\text{count} = \\text{hi} \\cdot 2^{32} + \\text{lo}

    JAX holds 32-bit integers unless ``jax_enable_x64`` is set, so the count an
    :func:`inject` optimizer keeps with ``progress="tokens"`` (or
    ``"samples"``) is two ``uint32`` words: exact up to ``2**64 - 1`` (where it
    saturates) with or without x64.  :func:`hyperparams` reports it under
    ``"tokens"`` (``"samples"``).  It is a pytree (a named tuple of two
    arrays), so it comes out of ``jit`` and ``lax.scan`` as it is; on the host,
    ``int(count)`` is the exact count, and ``float(count)``, ``f"{count:,}"``
    and ``count == n`` read it too.  Inside ``jit``, :meth:`as_float` gives it
    as a float array (rounded to the float dtype) for logging.

    Attributes:
      hi: the high word, a ``uint32`` array.
      lo: the low word, a ``uint32`` array.

    Examples:
      >>> import jax.numpy as jnp
      >>> c = Count(jnp.uint32(1), jnp.uint32(5))
      >>> int(c), f"{c:,}", c == 2**32 + 5
      (4294967301, '4,294,967,301', True)
    """

    hi: jax.Array
    lo: jax.Array

    def __int__(self) -> int:
        hi = int(np.asarray(_unbox(self.hi)))
        return (hi << 32) | int(np.asarray(_unbox(self.lo)))

    __index__ = __int__

    def __float__(self) -> float:
        return float(int(self))

    def __bool__(self) -> bool:
        return int(self) != 0

    def __format__(self, spec: str) -> str:
        return format(int(self), spec)

    def __eq__(self, other):
        if isinstance(other, Count) or (
            isinstance(other, numbers.Integral) and not isinstance(other, bool)
        ):
            return int(self) == int(other)
        return NotImplemented

    def __ne__(self, other):
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    __hash__ = None  # holds arrays

    def __repr__(self) -> str:
        if chk.is_concrete(_unbox(self.hi)) and chk.is_concrete(_unbox(self.lo)):
            return f"Count({int(self)})"
        return f"Count(hi={self.hi!r}, lo={self.lo!r})"

    def as_float(self) -> jax.Array:
        """The count as an array of the default float dtype (rounded to it:
        exact up to 2**24 in float32, 2**53 in float64), usable inside
        ``jit``."""
        dtype = num.float_dtype()
        hi = jnp.asarray(_unbox(self.hi)).astype(dtype)
        return hi * 2.0**32 + jnp.asarray(_unbox(self.lo)).astype(dtype)


def _words(kind, n):
    """The ``n`` tokens (samples) of one update as two ``uint32`` words
    ``(hi, lo)``, ``hi`` None where it is known to be 0.

    A concrete ``n`` is checked on the host (a whole number from 0 to
    2**64 - 1).  A traced one must be an integer scalar (its dtype and shape
    are known when tracing); a negative traced count counts 0."""
    what = f"a whole number >= 0 of {kind} (those of this batch)"
    if isinstance(n, (bool, np.bool_)) or (
        hasattr(n, "dtype") and np.dtype(n.dtype) == np.bool_
    ):
        chk.fail("inject", kind, n, what, TypeError)
    if chk.is_concrete(n):
        if isinstance(n, numbers.Integral):
            value = int(n)
        else:
            if not isinstance(n, (float, np.ndarray, np.generic, jax.Array)):
                chk.fail("inject", kind, n, what, TypeError)
            host = np.asarray(n, np.float64 if isinstance(n, float) else None)
            if host.ndim != 0:
                chk.fail("inject", kind, n, f"a single number: {what}", TypeError)
            if np.issubdtype(host.dtype, np.floating):
                if not np.isfinite(host) or host != np.floor(host):
                    chk.fail("inject", kind, n, what)
            elif not np.issubdtype(host.dtype, np.integer):
                chk.fail("inject", kind, n, what, TypeError)
            value = int(host)
        if value < 0 or value > _COUNT_MAX:
            chk.fail("inject", kind, n, f"{what}, at most 2**64 - 1")
        hi = value >> 32
        return (np.uint32(hi) if hi else None), np.uint32(value & 0xFFFFFFFF)
    if jnp.ndim(n) != 0:
        chk.fail("inject", kind, n, f"a single number: {what}", TypeError)
    dtype = np.dtype(n.dtype)
    if not np.issubdtype(dtype, np.integer):
        raise TypeError(
            f"inject: `{kind}` must be an integer when traced (a traced float "
            "cannot be checked to be whole); convert it, e.g. "
            f"{kind}=n.astype(jnp.int32), or pass a Python number; got a traced "
            f"{dtype} value."
        )
    if np.issubdtype(dtype, np.signedinteger):
        n = jnp.maximum(n, 0)  # a negative traced count counts 0
    if dtype.itemsize < 8:
        return None, n.astype(jnp.uint32)
    return (n >> 32).astype(jnp.uint32), (n & 0xFFFFFFFF).astype(jnp.uint32)


def _add(hi, lo, n_hi, n_lo):
    """``(hi, lo) + (n_hi, n_lo)`` in two ``uint32`` words, saturating at
    ``2**64 - 1`` instead of wrapping."""
    new_lo = lo + n_lo
    carry = new_lo < lo
    if n_hi is None:
        over = carry & (hi == _WORD)
        new_hi = hi + carry.astype(jnp.uint32)
    else:
        part = hi + n_hi
        new_hi = part + carry.astype(jnp.uint32)
        over = (part < hi) | (new_hi < part)
    return jnp.where(over, _WORD, new_hi), jnp.where(over, _WORD, new_lo)


def _step_at(hi, lo, shift):
    """The step a count of ``hi * 2**32 + lo`` tokens is for the schedules, at
    ``2**shift`` tokens to a step: ``Step(whole, frac)``, the whole steps
    saturating at :func:`~jaxdecay.as_step`'s top (2**31 - 1, or 2**63 - 1 with
    x64), and the fraction (None when ``shift`` is 0) exact."""
    idtype = num.int_dtype()
    top = num.top_step()
    if np.dtype(idtype).itemsize == 8:  # x64: the count fits a uint64
        wide = (hi.astype(jnp.uint64) << 32) | lo.astype(jnp.uint64)
        fits = (wide >> shift) <= np.uint64(top)
        whole = jnp.where(fits, wide >> shift, np.uint64(top)).astype(idtype)
    elif shift == 0:
        fits = (hi == 0) & (lo <= np.uint32(top))
        whole = jnp.where(fits, lo, np.uint32(top)).astype(idtype)
    else:
        # hi * 2**(32 - shift) + lo >> shift, which fits 31 bits when hi does
        # in 31 - (32 - shift) = shift - 1 bits.
        fits = hi < np.uint32(1 << (shift - 1))
        whole = (hi << (32 - shift)) | (lo >> shift)
        whole = jnp.where(fits, whole, np.uint32(top)).astype(idtype)
    if shift == 0:
        return num.Step(whole, None)
    part = (lo & np.uint32((1 << shift) - 1)).astype(num.float_dtype())
    return num.Step(whole, jnp.where(fits, part * 2.0**-shift, 0.0))


def _value_at(schedule, step):
    """A stateless schedule's value at a :class:`~jaxdecay._core.numerics.Step`:
    a jaxdecay schedule reads it exactly; another callable gets the whole
    steps (an integer array), or whole steps plus fraction as a float."""
    if isinstance(schedule, Schedule):
        value = schedule._evaluate(step)
        return num.saturate(jnp.asarray(value, num.float_dtype()))
    whole, frac = step
    return jnp.asarray(schedule(whole if frac is None else num.real(whole, frac)))


class InjectState(NamedTuple):
    """The state of an optimizer built by :func:`inject`.

    Only arrays that cannot be recomputed are stored: an update count, and the
    state of each stateful schedule; the schedules themselves ride along as
    static data (no arrays).  The count is the inner optimizer's own when it
    keeps one (the ``count`` of adam, adamw, lion, adafactor... when they are
    the factory's optimizer), so stateless schedules add no array to such a
    state, and one int32 counter to any other; a :class:`reduce_on_plateau`
    adds its one-array state.

    Attributes:
      count: the update counter :func:`inject` keeps (int32, saturating at
        2**31 - 1), or ``None`` when it keeps none: when the stateless
        schedules read the inner optimizer's counter, or when every schedule
        is stateful (each counts its own updates).  :attr:`step` reads the
        count wherever it is.  With ``progress="tokens"`` (or ``"samples"``),
        the count of tokens instead: a ``uint32`` array of four words, the
        tokens consumed so far (high word, low word), then the tokens consumed
        before the latest update, which its schedules read (high, low);
        :attr:`consumed` reads the first two as a :class:`Count`.
      schedule_states: ``{name: state}`` of every stateful schedule (such as
        :class:`reduce_on_plateau`); empty when there is none.
      stateful_values: ``{name: value}`` each stateful schedule without a
        ``previous(state)`` method gave at the latest update (before the first
        update: its initial value); a schedule with one, such as
        :class:`reduce_on_plateau`, gives it back from its state.
      inner_state: the state of the optimizer the factory built.
      schedules: the schedules (static pytree data).
      step: updates seen so far, the step the stateless schedules are
        evaluated at by the next update (``None`` without stateless schedules;
        once the count saturates at 2**31 - 1, they stay at 2**31 - 2).  With
        ``progress="tokens"``: the tokens so far in steps of the schedules
        (divided by ``per_step``, whole part), saturating at 2**31 - 1 (2**63 - 1
        with x64).
      consumed: the tokens (samples) so far as a :class:`Count`, or ``None``
        with ``progress="steps"``.
      hyperparams: ``{name: value}`` of every scheduled argument as used by the
        latest update (before the first update: the value at step 0), in the
        order the arguments were given, then, with ``progress="tokens"``
        (``"samples"``), ``"tokens"`` (``"samples"``): the :class:`Count`
        so far; :func:`hyperparams` reads it.  It is recomputed from ``step``
        (or the count the latest update read) and the schedule states.

    Examples:
      >>> import optax
      >>> opt = inject(optax.sgd)(learning_rate=linear_decay(0.1, 0.01))
      >>> state = opt.init(jnp.zeros(3))
      >>> print(int(state.step), f"{state.hyperparams['learning_rate']:.2f}")
      0 0.10
      >>> len(jax.tree.leaves(state))  # the count, sgd's state has no arrays
      1
      >>> state = inject(optax.adam)(learning_rate=linear_decay(0.1, 0.01)).init(
      ...     jnp.zeros(3))
      >>> state.count is None  # adam's own count serves
      True
      >>> lr = linear_decay(0.1, 0.01)
      >>> opt = inject(optax.sgd, progress="tokens")(learning_rate=lr)
      >>> state = opt.init(jnp.zeros(3))
      >>> _, state = opt.update(jnp.ones(3), state, tokens=2**32 + 5)
      >>> print(state.consumed, state.count.dtype, state.count.shape)
      Count(4294967301) uint32 (4,)
    """

    count: jax.Array | None
    schedule_states: dict
    stateful_values: dict
    inner_state: Any
    schedules: _Schedules

    @property
    def step(self) -> jax.Array | None:
        if not self.schedules.plain:
            return None
        if self.schedules.progress != "steps":
            words = _unbox(self.count)
            return _step_at(words[0], words[1], self.schedules.shift).whole
        if self.schedules.clock is not None:
            return _read(self.inner_state, self.schedules.clock)
        return _unbox(self.count)

    @property
    def consumed(self) -> Count | None:
        if self.schedules.progress == "steps":
            return None
        words = _unbox(self.count)
        return Count(words[0], words[1])

    @property
    def hyperparams(self) -> dict:
        values = dict(self.stateful_values)
        by_steps = self.schedules.progress == "steps"
        if not by_steps:
            words = _unbox(self.count)
            read = _step_at(words[2], words[3], self.schedules.shift)
            values.update({k: _value_at(f, read) for k, f in self.schedules.plain})
        elif self.schedules.plain:
            used = jnp.maximum(self.step - 1, 0)  # the latest update's step
            values.update({k: jnp.asarray(f(used)) for k, f in self.schedules.plain})
        for k, f in self.schedules.recalled:
            values[k] = jnp.asarray(f.previous(self.schedule_states[k]))
        out = {k: values[k] for k in self.schedules.names}
        if not by_steps:
            out[self.schedules.progress] = self.consumed
        return out


def _is_stateful(value) -> bool:
    return all(callable(getattr(value, a, None)) for a in ("init", "update"))


def _recalls(value) -> bool:
    return callable(getattr(value, "previous", None))


# Arguments of optax's optimizers that hold one number (or a schedule of one).
_SCALARS = frozenset(
    {"learning_rate", "b1", "b2", "eps", "eps_root", "weight_decay", "momentum",
     "decay", "initial_accumulator_value", "nesterov_momentum"}
)  # fmt: skip


def _check_hyperparameter(name, value):
    """A clear TypeError for arguments no optimizer takes: a class where a
    schedule goes, text, or a list where optax expects one number."""
    where = f"inject: `{name}`"
    if isinstance(value, type):
        raise TypeError(
            f"{where} must be a number, an array or a schedule; got the class "
            f"{value.__name__}: build a schedule from it, e.g. "
            f"{value.__name__}(...)."
        )
    if isinstance(value, (str, bytes)):
        chk.fail("inject", name, value, "a number, an array or a schedule", TypeError)
    if name in _SCALARS and isinstance(value, (list, tuple, dict, set)):
        chk.fail(
            "inject", name, value, "a number or a schedule (one value per step)",
            TypeError,
        )  # fmt: skip


_PROGRESS_TEXT = "one of 'steps', 'tokens' or 'samples'"


def _per_step_shift(per_step, progress) -> int:
    """log2 of ``per_step``, checked: a power of two from 1 to 2**24, and 1
    with ``progress="steps"``."""
    if isinstance(per_step, bool) or not isinstance(per_step, numbers.Integral):
        chk.fail(
            "inject", "per_step", per_step, "a power of two from 1 to 2**24",
            TypeError,
        )  # fmt: skip
    per_step = int(per_step)
    if per_step < 1 or per_step > _PER_STEP_MAX or per_step & (per_step - 1):
        chk.fail("inject", "per_step", per_step, "a power of two from 1 to 2**24")
    if progress == "steps" and per_step != 1:
        chk.fail(
            "inject",
            "per_step",
            per_step,
            "1 with progress='steps' (it sets the tokens or samples to a step "
            "of the schedules: pass progress='tokens' or 'samples')",
        )
    return per_step.bit_length() - 1


def _in_progress(name, value, progress, shift):
    """A stateless schedule of an optimizer driven by tokens (samples): its
    token (sample) durations resolved at ``2**shift`` to a step, and its
    breakpoints checked to lie within the steps a schedule can read."""
    if not isinstance(value, Schedule):
        return value
    figure = {"tokens": "tokens_per_step", "samples": "samples_per_step"}[progress]
    if value.unresolved:
        try:
            value = value.resolve(**{figure: 2**shift})
        except ValueError as error:
            raise ValueError(
                f"inject: `{name}`: with progress={progress!r} the schedules' "
                f"durations in {progress} are resolved with {figure}={2**shift} "
                f"(per_step); any other duration must be resolved first. {error}"
            ) from None
    top = num.top_step()
    beyond = [int(b) for b in value.breakpoints() if int(b) > top]
    if beyond:
        tokens = max(beyond) << shift
        need = 1 << shift
        while tokens // need > top:
            need <<= 1
        fix = (
            f"write its durations in {progress} and pass per_step={need} (or "
            "more, a power of two), or enable x64"
            if need <= _PER_STEP_MAX
            else "enable x64"
        )
        raise ValueError(
            f"inject: `{name}` changes at step {min(beyond)}, beyond the "
            f"{top} steps a schedule can read, so with progress={progress!r} "
            f"and per_step={1 << shift} it would never get there; {fix}."
        )
    return value


def inject(
    inner_factory, static_args=(), *, share_count=True, progress="steps", per_step=1
):
    """Builds an optax optimizer whose schedules are readable from its state.

    ``inject(optax.adamw)(learning_rate=schedule, weight_decay=1e-4)`` is
    ``optax.adamw`` with the rate of each update taken from ``schedule`` at the
    update's step, and :func:`hyperparams` reads the rate of the latest update
    back from the state, as with ``optax.inject_hyperparams``.  But leaner:
    numbers stay Python constants of the compiled step, and the schedules ride
    in the state as static data; a stateless schedule's value is recomputed
    from the update count when read, so no array per argument is stored.  The
    count is the inner optimizer's own where it keeps one that counts every
    update from zero (optax's adam family, amsgrad, adabelief, lion, novograd,
    adafactor, ``scale_by_schedule``: the state is then exactly the inner
    optimizer's), else one int32 counter.  A stateful schedule adds its own
    state (and, without a ``previous(state)`` method, the value it gave at the
    latest update).  With an optimizer that keeps its own count, a jitted
    training step runs the kernels it runs with a constant rate (the
    schedule's few scalar operations fuse into them); with another, what
    ``optax.sgd(schedule)`` costs.
    To change a number during training, give it as a schedule (or use
    ``optax.inject_hyperparams``, whose every number is state).

    Stateful schedules (those with ``init`` and ``update``, such as
    :class:`reduce_on_plateau`) receive the extra arguments of ``update``: pass
    the metric as ``opt.update(grads, state, params, value=loss)``.  As with
    ``optax.inject_hyperparams``, the value used at an update is the one
    computed from the state before it.

    **Tokens and samples.**  With ``progress="tokens"`` every stateless
    schedule is a function of the tokens consumed instead of the updates:
    ``opt.update(grads, state, params, tokens=n)`` adds the ``n`` tokens of
    the batch (which may change from batch to batch, as in a batch-size
    warmup) to a count kept in the state, and the update uses each schedule
    at the tokens consumed *before* its batch (as a step-driven update uses
    the updates before it):

    .. math:: \\eta_k = s\\Big(\\Big\\lfloor \\frac{T_k}{P} \\Big\\rfloor
       + \\frac{T_k \\bmod P}{P}\\Big), \\qquad T_k = \\sum_{j<k} n_j,

    with ``P = per_step`` tokens to a step of the schedules (1: the schedules'
    steps are tokens).  Write such schedules with token durations
    (``warmup_cosine_decay(3e-4, "100Mtok", "20Gtok")``: :func:`inject`
    resolves them with ``tokens_per_step=per_step``), or with plain numbers of
    steps of ``per_step`` tokens.  The count is two ``uint32`` words (a
    :class:`Count`), exact to ``2**64 - 1`` tokens with or without x64,
    saturating there; it checkpoints as one ``uint32[4]`` array
    (:attr:`InjectState.count`), and :func:`hyperparams` reports it under
    ``"tokens"`` beside the rate of the latest update.  The schedules read
    ``T / P`` exactly (whole steps and fraction) while its whole part is at
    most 2**31 - 1, that is up to ``2**31 * per_step - 1`` tokens, and the
    step 2**31 - 1 beyond, as a step-driven schedule saturates (with
    ``jax_enable_x64``: up to 2**63 - 1 steps).  For longer runs without
    x64, pass a ``per_step`` of 2**k and write the durations in tokens:
    ``per_step=2**20`` reads up to 2**51 - 1 tokens exactly.  A schedule with
    a breakpoint beyond the steps it can read is refused when the optimizer is
    built; one that never settles (an exponential, inverse square root or
    step decay) reads the last step it can from then on, so choose a
    ``per_step`` that covers the run.
    ``progress="samples"`` is the same with ``samples=n``.  A concrete count
    (a Python or NumPy number, a concrete array) is checked: a whole number
    from 0 to 2**64 - 1 (``4096.0`` is fine); a traced one must be an integer
    scalar (a traced float is refused when tracing, since it cannot be checked
    to be whole), and a negative traced count counts 0 (the count never goes
    down, never wraps and never holds a NaN).  The count adds one array to the
    state and two scalar kernels to a jitted step: its update, and a copy of
    the count the schedules read while the new one is written in place (a
    count of several words cannot be updated element by element).  A
    stateless schedule that is not a jaxdecay schedule (an optax schedule, a
    function) is called with the whole steps (an integer array saturating
    at 2**31 - 1), or with whole steps plus fraction as a float when
    ``per_step > 1``.

    Args:
      inner_factory: a function returning an optax gradient transformation,
        e.g. ``optax.adamw``.
      static_args: names of callable arguments that are not schedules (passed
        to ``inner_factory`` as they are).
      share_count: read the step from the inner optimizer's update counter
        when it has one (see above); ``False`` keeps a counter of its own in
        :attr:`InjectState.count` (the same values, one more array).
      progress: what the stateless schedules are functions of: ``"steps"``
        (updates, the default), ``"tokens"`` (``update(..., tokens=n)``) or
        ``"samples"`` (``update(..., samples=n)``).
      per_step: tokens (samples) to one step of the schedules, a power of two
        from 1 to 2**24 (so the fraction of a step is exact); only with
        ``progress="tokens"`` or ``"samples"``.

    Returns:
      A function with ``inner_factory``'s arguments that returns an
      ``optax.GradientTransformationExtraArgs`` whose state is an
      :class:`InjectState`.

    Raises:
      ValueError: ``static_args`` names an argument ``inner_factory`` lacks;
        ``progress`` is not one of the three; ``per_step`` is not a power of
        two in range; with ``progress="tokens"``, a schedule has a breakpoint
        beyond the steps the schedules can read (see above), or a duration
        other than tokens or steps.  At an update: a negative, fractional or
        too large concrete count.
      TypeError: at an update with ``progress="tokens"``, no ``tokens=``
        keyword, or a count that is not a number (or a traced float).

    Examples:
      >>> import optax
      >>> lr = warmup_cosine_decay(1e-3, warmup_steps=10, decay_steps=100)
      >>> opt = inject(optax.sgd)(learning_rate=lr, momentum=0.9)
      >>> params = {"w": jnp.ones(3)}
      >>> state = opt.init(params)
      >>> for _ in range(5):
      ...     updates, state = opt.update(params, state, params)
      >>> print(f"{hyperparams(state)['learning_rate']:.1e}")  # lr(4)
      4.0e-04

      Driven by tokens, with a batch-size warmup:

      >>> lr = warmup_cosine_decay(1e-3, "4Ktok", "100Ktok")
      >>> opt = inject(optax.sgd, progress="tokens")(learning_rate=lr)
      >>> state = opt.init(params)
      >>> for tokens in (1024, 2048, 4096):
      ...     updates, state = opt.update(params, state, params, tokens=tokens)
      >>> found = hyperparams(state)
      >>> print(found["tokens"], f"{found['learning_rate']:.2e}")  # lr(3072)
      Count(7168) 7.68e-04
    """
    if not callable(inner_factory):
        raise TypeError(
            "inject: `inner_factory` must be a function returning an optax "
            "transformation, such as optax.adamw; got "
            f"inner_factory={inner_factory!r}."
        )
    if not isinstance(share_count, bool):
        chk.fail("inject", "share_count", share_count, "True or False", TypeError)
    if not isinstance(progress, str):
        chk.fail("inject", "progress", progress, _PROGRESS_TEXT, TypeError)
    if progress not in PROGRESS:
        chk.fail("inject", "progress", progress, _PROGRESS_TEXT)
    shift = _per_step_shift(per_step, progress)
    if isinstance(static_args, str):
        static = {static_args}
    elif isinstance(static_args, (list, tuple, set, frozenset)) and all(
        isinstance(a, str) for a in static_args
    ):
        static = set(static_args)
    else:
        chk.fail(
            "inject",
            "static_args",
            static_args,
            "an argument name or a sequence of them",
            TypeError,
        )
    if isinstance(inner_factory, type):
        raise TypeError(
            "inject: `inner_factory` must be a function returning an optax "
            f"transformation, such as optax.adamw; got the class {inner_factory!r}."
        )
    try:
        signature = inspect.signature(inner_factory)
    except (TypeError, ValueError):
        raise TypeError(
            "inject: `inner_factory` must be a function returning an optax "
            "transformation, such as optax.adamw, whose arguments can be read; "
            f"got inner_factory={inner_factory!r}."
        ) from None
    unknown = static - set(signature.parameters)
    if unknown:
        raise ValueError(
            "inject: `static_args` must name arguments of "
            f"{getattr(inner_factory, '__name__', inner_factory)!r}; got "
            f"{sorted(unknown)}, and its arguments are "
            f"{list(signature.parameters)}."
        )

    @functools.wraps(inner_factory)
    def wrapped(*args, **kwargs):
        bound = signature.bind(*args, **kwargs).arguments
        fixed, plain, stateful = {}, {}, {}
        for name, value in bound.items():
            if name not in static:
                _check_hyperparameter(name, value)
            if name in static or isinstance(value, bool) or not callable(value):
                fixed[name] = value
            elif _is_stateful(value):
                stateful[name] = value
            elif progress != "steps":
                plain[name] = _in_progress(name, value, progress, shift)
            else:
                plain[name] = value
        if progress != "steps" and progress in bound:
            raise ValueError(
                f"inject: with progress={progress!r}, the optimizer's argument "
                f"`{progress}` would clash with the {progress} count that "
                "hyperparams reports under that name; wrap the factory to "
                "rename the argument."
            )

        names = [k for k in bound if k in plain or k in stateful]
        recalled = {k: f for k, f in stateful.items() if _recalls(f)}

        def values(count, states, extra):
            if progress != "steps":  # count: the Step the schedules read
                out = {k: _value_at(f, count) for k, f in plain.items()}
            else:
                out = {k: jnp.asarray(f(count)) for k, f in plain.items()}
            used = {k: jnp.asarray(f(states[k], **extra)) for k, f in stateful.items()}
            return out, used

        def stored(used):
            return {k: v for k, v in used.items() if k not in recalled}

        def init_fn(params):
            states = {k: f.init() for k, f in stateful.items()}
            if progress != "steps":
                words = jnp.zeros([4], jnp.uint32)
                plain_values, used = values(
                    _step_at(words[0], words[1], shift), states, {}
                )
                inner = inner_factory(**fixed, **plain_values, **used).init(params)
                schedules = _Schedules(
                    names, plain.items(), recalled.items(), None, (progress, shift)
                )
                return InjectState(words, states, stored(used), inner, schedules)
            count = jnp.zeros([], jnp.int32) if plain else None
            plain_values, used = values(count, states, {})
            inner = inner_factory(**fixed, **plain_values, **used).init(params)
            clock = _find_clock(inner) if plain and share_count else None
            if clock is not None:
                count = None
            schedules = _Schedules(names, plain.items(), recalled.items(), clock)
            return InjectState(count, states, stored(used), inner, schedules)

        def update_fn(updates, state, params=None, **extra_args):
            words = None
            if progress != "steps":
                if progress not in extra_args:
                    raise TypeError(
                        f"inject: `{progress}` is missing: this optimizer's "
                        f"schedules follow the {progress} consumed "
                        f"(progress={progress!r}), so each update needs the "
                        f"{progress} of its batch: "
                        f"opt.update(grads, state, params, {progress}=n)."
                    )
                n_hi, n_lo = _words(progress, extra_args[progress])
                old = _unbox(state.count)
                # The schedules read the count before this batch; the new
                # state keeps it beside the new count, for hyperparams.
                step = _step_at(old[0], old[1], shift)
                words = jnp.stack([*_add(old[0], old[1], n_hi, n_lo), old[0], old[1]])
            else:
                # The step is the incremented count minus one, so nothing
                # reads the old count once the new one is computed: XLA then
                # updates the count in place instead of first copying the old
                # one (a kernel of its own), and a jitted step runs the same
                # kernels as with a constant rate.  (A count saturated at
                # 2**31 - 1 reads 2**31 - 2.)
                step = state.step
                if step is not None:
                    step = optax.safe_increment(step) - 1
            plain_values, used = values(step, state.schedule_states, extra_args)
            states = {
                k: f.update(state.schedule_states[k], **extra_args)
                for k, f in stateful.items()
            }
            inner = inner_factory(**fixed, **plain_values, **used)
            inner = optax.with_extra_args_support(inner)
            updates, inner_state = inner.update(
                updates, state.inner_state, params, **extra_args
            )
            if words is not None:
                count = words
            elif state.count is not None:
                count = optax.safe_increment(state.count)
            else:
                count = None
            return updates, InjectState(
                count, states, stored(used), inner_state, state.schedules
            )

        return optax.GradientTransformationExtraArgs(init_fn, update_fn)

    return wrapped
