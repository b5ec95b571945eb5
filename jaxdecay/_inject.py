"""A lean way to put schedules into an optax optimizer and read them back."""

from __future__ import annotations

import functools
import inspect
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["inject", "InjectState"]


class InjectState(NamedTuple):
    """The state of an optimizer built by :func:`inject`.

    Attributes:
      count: updates seen (int32), the step the schedules are evaluated at.
      hyperparams: ``{name: value}`` of every scheduled argument, as used by the
        latest update (before the first update: the value at step 0), in the
        default float dtype; :func:`hyperparams` reads it.
      schedule_states: ``{name: state}`` of every stateful schedule (such as
        :class:`reduce_on_plateau`); empty when there is none.
      inner_state: the state of the optimizer the factory built.

    Examples:
      >>> import optax
      >>> opt = inject(optax.sgd)(learning_rate=linear_decay(0.1, 0.01))
      >>> state = opt.init(jnp.zeros(3))
      >>> print(int(state.count), f"{state.hyperparams['learning_rate']:.2f}")
      0 0.10
    """

    count: jax.Array
    hyperparams: dict
    schedule_states: dict
    inner_state: Any


def _is_stateful(value) -> bool:
    return all(callable(getattr(value, a, None)) for a in ("init", "update"))


def inject(inner_factory, static_args=()):
    """Builds an optax optimizer whose schedules are readable from its state.

    ``inject(optax.adamw)(learning_rate=schedule, weight_decay=1e-4)`` is
    ``optax.adamw`` with the rate of each update taken from ``schedule`` at the
    update's step and recorded in the state, where :func:`hyperparams` finds it,
    like ``optax.inject_hyperparams``, but leaner: only the arguments that are
    schedules (callables, stateful schedules included) enter the state; numbers
    stay Python constants of the compiled step, so the state gains one int32
    counter and one scalar per schedule, not an array per numeric argument.  A
    jitted training step then costs what ``optax.adamw(schedule)`` costs.
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
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    signature = inspect.signature(inner_factory)
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
            if name in static or isinstance(value, bool) or not callable(value):
                fixed[name] = value
            elif _is_stateful(value):
                stateful[name] = value
            else:
                plain[name] = value

        def values(count, states, extra):
            out = {k: jnp.asarray(f(count)) for k, f in plain.items()}
            for k, f in stateful.items():
                out[k] = jnp.asarray(f(states[k], **extra))
            return out

        def init_fn(params):
            count = jnp.zeros([], jnp.int32)
            states = {k: f.init() for k, f in stateful.items()}
            hparams = values(count, states, {})
            inner = inner_factory(**fixed, **hparams)
            return InjectState(count, hparams, states, inner.init(params))

        def update_fn(updates, state, params=None, **extra_args):
            hparams = values(state.count, state.schedule_states, extra_args)
            states = {
                k: f.update(state.schedule_states[k], **extra_args)
                for k, f in stateful.items()
            }
            inner = optax.with_extra_args_support(inner_factory(**fixed, **hparams))
            updates, inner_state = inner.update(
                updates, state.inner_state, params, **extra_args
            )
            count = optax.safe_increment(state.count)
            return updates, InjectState(count, hparams, states, inner_state)

        return optax.GradientTransformationExtraArgs(init_fn, update_fn)

    return wrapped
