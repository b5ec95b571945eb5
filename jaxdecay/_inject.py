"""A lean way to put schedules into an optax optimizer and read them back."""

from __future__ import annotations

import functools
import inspect
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from . import _checks as chk
from ._base import Static

__all__ = ["inject", "InjectState"]


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

    def __init__(self, names, plain, recalled, clock=None):
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
            )
        )

    names = property(lambda self: self.value[0])
    plain = property(lambda self: self.value[1])
    recalled = property(lambda self: self.value[2])
    clock = property(lambda self: self.value[3])

    def __repr__(self):
        return f"<schedules {', '.join(self.names)}>"


jax.tree_util.register_pytree_node(
    _Schedules, lambda s: ((), s.value), lambda value, _: _Schedules(*value)
)


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
        count wherever it is.
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
        once the count saturates at 2**31 - 1, they stay at 2**31 - 2).
      hyperparams: ``{name: value}`` of every scheduled argument as used by the
        latest update (before the first update: the value at step 0), in the
        order the arguments were given; :func:`hyperparams` reads it.  It is
        recomputed from ``step`` and the schedule states.

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
        if self.schedules.clock is not None:
            return _read(self.inner_state, self.schedules.clock)
        return _unbox(self.count)

    @property
    def hyperparams(self) -> dict:
        values = dict(self.stateful_values)
        if self.schedules.plain:
            used = jnp.maximum(self.step - 1, 0)  # the latest update's step
            values.update({k: jnp.asarray(f(used)) for k, f in self.schedules.plain})
        for k, f in self.schedules.recalled:
            values[k] = jnp.asarray(f.previous(self.schedule_states[k]))
        return {k: values[k] for k in self.schedules.names}


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


def inject(inner_factory, static_args=(), *, share_count=True):
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

    Args:
      inner_factory: a function returning an optax gradient transformation,
        e.g. ``optax.adamw``.
      static_args: names of callable arguments that are not schedules (passed
        to ``inner_factory`` as they are).
      share_count: read the step from the inner optimizer's update counter
        when it has one (see above); ``False`` keeps a counter of its own in
        :attr:`InjectState.count` (the same values, one more array).

    Returns:
      A function with ``inner_factory``'s arguments that returns an
      ``optax.GradientTransformationExtraArgs`` whose state is an
      :class:`InjectState`.

    Raises:
      ValueError: ``static_args`` names an argument ``inner_factory`` lacks.

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
    """
    if not callable(inner_factory):
        raise TypeError(
            "inject: `inner_factory` must be a function returning an optax "
            "transformation, such as optax.adamw; got "
            f"inner_factory={inner_factory!r}."
        )
    if not isinstance(share_count, bool):
        chk.fail("inject", "share_count", share_count, "True or False", TypeError)
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
            else:
                plain[name] = value

        names = [k for k in bound if k in plain or k in stateful]
        recalled = {k: f for k, f in stateful.items() if _recalls(f)}

        def values(count, states, extra):
            out = {k: jnp.asarray(f(count)) for k, f in plain.items()}
            used = {k: jnp.asarray(f(states[k], **extra)) for k, f in stateful.items()}
            return out, used

        def stored(used):
            return {k: v for k, v in used.items() if k not in recalled}

        def init_fn(params):
            count = jnp.zeros([], jnp.int32) if plain else None
            states = {k: f.init() for k, f in stateful.items()}
            plain_values, used = values(count, states, {})
            inner = inner_factory(**fixed, **plain_values, **used).init(params)
            clock = _find_clock(inner) if plain and share_count else None
            if clock is not None:
                count = None
            schedules = _Schedules(names, plain.items(), recalled.items(), clock)
            return InjectState(count, states, stored(used), inner, schedules)

        def update_fn(updates, state, params=None, **extra_args):
            # The step is the incremented count minus one, so nothing reads
            # the old count once the new one is computed: XLA then updates the
            # count in place instead of first copying the old one (a kernel of
            # its own), and a jitted step runs the same kernels as with a
            # constant rate.  (A count saturated at 2**31 - 1 reads 2**31 - 2.)
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
            count = None if state.count is None else optax.safe_increment(state.count)
            return updates, InjectState(
                count, states, stored(used), inner_state, state.schedules
            )

        return optax.GradientTransformationExtraArgs(init_fn, update_fn)

    return wrapped
