"""Reading schedules back out of optax optimizer states."""

from __future__ import annotations

from typing import Any

import jax
import optax

from .._catalog.plateau import ScaleByPlateauState
from .inject import InjectState, _unbox

__all__ = ["hyperparams"]

_INJECT_STATES = (
    optax.InjectStatefulHyperparamsState,
    optax.InjectHyperparamsState,
    InjectState,
    ScaleByPlateauState,
)


def _is_inject(x) -> bool:
    return isinstance(x, _INJECT_STATES)


def _part(key) -> str | None:
    """The readable part of a pytree key: dict keys and positions, not fields."""
    if isinstance(key, jax.tree_util.DictKey):
        return str(key.key)
    if isinstance(key, jax.tree_util.SequenceKey):
        return str(key.idx)
    return None


def _collect(node, prefix, found):
    leaves, _ = jax.tree_util.tree_flatten_with_path(node, is_leaf=_is_inject)
    for path, leaf in leaves:
        if not _is_inject(leaf):
            continue
        where = prefix + tuple(p for p in map(_part, path) if p is not None)
        for name, value in leaf.hyperparams.items():
            found.append((where, name, _unbox(value)))
        inner = getattr(leaf, "inner_state", None)  # a plateau transform has none
        if inner is not None:
            _collect(inner, where, found)


def hyperparams(opt_state: Any) -> dict[str, jax.Array]:
    """The current value of every injected hyperparameter in an optimizer state.

    Finds every ``optax.inject_hyperparams`` state (and every
    :class:`InjectState` of :func:`inject`, and the scale of every
    ``reduce_on_plateau(...).as_transform()``, as ``"plateau_scale"``, the
    scale its latest update applied) wherever it sits: inside
    ``optax.chain``, ``optax.multi_transform``, ``optax.MultiSteps``,
    ``optax.apply_if_finite``, another injected optimizer, or a flax
    ``nnx.Optimizer`` (pass the optimizer or its ``opt_state``).  Works inside
    and outside ``jit``: the values are arrays, ready for logging.

    A name that occurs once is the key as it is (``"learning_rate"``); a name
    found in several places is prefixed by where it was found: the dict keys
    and positions on the way, e.g. ``"embed/learning_rate"`` for the group
    ``"embed"`` of a ``multi_transform``, or ``"1/learning_rate"`` for the
    second transformation of a ``chain``.

    An :func:`inject` optimizer driven by tokens or samples
    (``progress="tokens"``) also reports the count consumed so far, exact, as a
    :class:`Count` under ``"tokens"`` (``"samples"``): ``int(count)`` on the
    host, ``count.as_float()`` inside ``jit``.

    Args:
      opt_state: an optax optimizer state, or a flax ``nnx.Optimizer``.

    Returns:
      A flat ``dict`` from name to value.

    Raises:
      ValueError: when the state holds no injected hyperparameters (nor a
        plateau transform).

    Examples:
      >>> import jax.numpy as jnp, optax
      >>> lr = linear_decay(0.1, 0.01)
      >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
      >>> state = opt.init({"w": jnp.zeros(3)})
      >>> print(f"{hyperparams(state)['learning_rate']:.3f}")
      0.100
      >>> opt = inject(optax.sgd, progress="tokens")(learning_rate=lr)
      >>> state = opt.init({"w": jnp.zeros(3)})
      >>> _, state = opt.update({"w": jnp.ones(3)}, state, tokens=4096)
      >>> hyperparams(state)
      {'learning_rate': Array(0.1, dtype=float32), 'tokens': Count(4096)}
    """
    found: list = []
    _collect(opt_state, (), found)
    if not found:
        raise ValueError(
            "hyperparams: the optimizer state holds no injected hyperparameters; "
            "build the optimizer with jaxdecay.inject or optax.inject_hyperparams, "
            "e.g. jaxdecay.inject(optax.adam)(learning_rate=schedule), "
            "so its state records them. Got a state of type "
            f"{type(opt_state).__name__}."
        )
    counts: dict[str, int] = {}
    for _, name, _ in found:
        counts[name] = counts.get(name, 0) + 1
    out: dict[str, jax.Array] = {}
    for where, name, value in found:
        key = name if counts[name] == 1 else "/".join((*where, name))
        base, k = key, 1
        while key in out:  # an injection directly inside another: number them
            k += 1
            key = f"{base}#{k}"
        out[key] = value
    return out
