"""The learning-rate range test (Smith, 2015; fastai's ``lr_find``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._core import checks as chk
from .progress import ProgressBar

__all__ = ["lr_find", "LRFindResult"]

# The most steps a range test runs: it keeps two float arrays of that length.
_MOST_STEPS = 10_000_000

_FUNC = "lr_find"


@dataclasses.dataclass(frozen=True, eq=False)
class LRFindResult:
    """What :func:`lr_find` measured, with the rates it suggests.

    The arrays hold one entry per step actually run (``num_steps_run`` of them);
    when the run stopped early (``diverged``) the last entry is the step that
    stopped it, so its loss may be very large or non-finite, while every earlier
    loss is finite.

    Attributes:
      rates: the learning rate given to each step (geometric, increasing).
      losses: the loss each step returned.
      smoothed_losses: the bias-corrected moving average of ``losses``.
      suggestion: the rate where the smoothed loss falls fastest against
        ``log(rate)`` (see :func:`lr_find` for the rule); NaN when no step
        returned a finite loss.
      rate_at_min: the rate at the lowest smoothed loss (NaN when none is
        finite); ``rate_at_min / 10`` is the other classic pick.
      diverged: whether the stopping rule fired (the loss blew up); the last
        entry is then the step that fired it, possibly the last planned step.
      num_steps_run: how many steps ran (the length of the arrays).

    Examples:
      >>> import numpy as np
      >>> result = LRFindResult(
      ...     rates=np.array([0.001, 0.01, 0.1, 1.0]),
      ...     losses=np.array([1.0, 0.5, 0.1, 2.0]),
      ...     smoothed_losses=np.array([1.0, 0.5, 0.1, 2.0]),
      ...     suggestion=0.01, rate_at_min=0.1, diverged=True, num_steps_run=4)
      >>> result
      LRFindResult(suggestion=0.01, rate_at_min=0.1, diverged=True, num_steps_run=4)
      >>> fig = result.plot()  # doctest: +SKIP
    """

    rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    suggestion: float
    rate_at_min: float
    diverged: bool
    num_steps_run: int

    def __repr__(self) -> str:
        return (
            f"LRFindResult(suggestion={self.suggestion:.4g}, "
            f"rate_at_min={self.rate_at_min:.4g}, diverged={self.diverged}, "
            f"num_steps_run={self.num_steps_run})"
        )

    def plot(self, ax=None, *, log: bool = True, raw: bool = True):
        """Draws the loss against the rate and marks the suggestion.

        The smoothed loss is a solid line, the raw loss a faint one behind it
        (``raw=False`` leaves it out), and the suggested rate a dot on the
        smoothed curve.  The y axis is scaled to the smoothed losses measured
        before the run blew up, so a diverging last step does not flatten the
        curve.  Needs matplotlib (``pip install "jaxdecay[plot]"``).

        Args:
          ax: a matplotlib ``Axes`` to draw on; a new figure when None.
          log: use a logarithmic rate axis.
          raw: also draw the raw (unsmoothed) losses.

        Returns:
          The matplotlib ``Figure`` holding the plot.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise ImportError(
                "LRFindResult.plot needs matplotlib; install it with "
                '`pip install "jaxdecay[plot]"` (or `pip install matplotlib`).'
            ) from error
        if ax is None:
            _, ax = plt.subplots()
        rates = np.asarray(self.rates, np.float64)
        smooth = _finite_or_nan(self.smoothed_losses)
        if raw:
            ax.plot(rates, _finite_or_nan(self.losses), alpha=0.3, label="loss")
        ax.plot(rates, smooth, label="smoothed loss")
        if np.isfinite(self.suggestion):
            at = int(np.argmin(np.abs(np.log(rates / self.suggestion))))
            ax.plot(
                [rates[at]],
                [smooth[at]],
                "o",
                color="red",
                label=f"suggestion {self.suggestion:.2e}",
            )
        shown = smooth[: -1 if self.diverged and smooth.size > 1 else None]
        shown = shown[np.isfinite(shown)]
        if shown.size:
            low, high = float(shown.min()), float(shown.max())
            pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
            ax.set_ylim(low - pad, high + pad)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        return ax.figure


def _finite_or_nan(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return np.where(np.isfinite(x), x, np.nan)


def lr_find(
    step: Callable[..., tuple[Any, Any]],
    state: Any,
    data: Any = None,
    *,
    min_value: float = 1e-7,
    max_value: float = 10.0,
    num_steps: int = 100,
    smoothing: float = 0.98,
    diverge_factor: float = 4.0,
    progress: bool | None = None,
) -> LRFindResult:
    r"""The learning-rate range test: train briefly while the rate grows
    geometrically, record the loss, and suggest a rate.

    Start from a tiny rate and multiply it by a constant factor at every step
    up to ``max_value`` (or until the loss blows up).  The loss hardly moves
    while the rate is too small, falls quickly over a band of good rates, then
    rises once the rate is too large; a good rate to train with lies where the
    loss falls fastest.  This is Smith's range test (Smith, "Cyclical Learning
    Rates for Training Neural Networks", 2015), as fastai's ``lr_find`` runs it.

    Step :math:`i = 0, \dots, N-1` (:math:`N` = ``num_steps``) uses the rate

    .. math:: \eta_i = \eta_{min} \, (\eta_{max} / \eta_{min})^{i / (N - 1)}

    (computed in float64, exactly ``min_value`` and ``max_value`` at the ends)
    and batch ``i % num_batches`` of ``data``.  The recorded loss
    :math:`\ell_i` is smoothed by a bias-corrected exponential moving average,
    :math:`\beta` = ``smoothing`` (:math:`\beta = 0`: no smoothing):

    .. math:: a_i = \beta a_{i-1} + (1 - \beta) \ell_i, \quad a_{-1} = 0, \quad
       s_i = a_i / (1 - \beta^{i+1})

    The run stops when the loss is not finite, or when the smoothed loss exceeds
    ``diverge_factor`` times the lowest smoothed loss so far,
    :math:`s_i > b_i + (f - 1)\,|b_i|` with :math:`b_i = \min_{j \le i} s_j`
    and :math:`f` = ``diverge_factor`` (that is :math:`s_i > f\,b_i` for a
    positive loss).  The step that stops the run is recorded, but its new state
    is dropped and no later step is applied.

    The suggestion is the rate at the steepest descent of the smoothed loss
    against :math:`\log \eta`, over the steps from ``num_steps // 10`` up to
    the step with the lowest smoothed loss (the first steps are noisy, and the
    curve past its minimum is of no interest).  The slope at step i is taken
    across a span of :math:`w` = ``max(1, num_steps // 20)`` steps on each
    side, :math:`(s_{i+w} - s_{i-w}) / (\log\eta_{i+w} - \log\eta_{i-w})`
    (clipped to the window), so the noise between neighbouring batches cannot
    pass for a descent.  When fewer than 3 steps lie in that window the window
    starts at step 0 instead; when the lowest smoothed loss is at step 0 (the
    loss only rose: lower ``min_value``) the suggestion is the first rate.
    The smoothed loss lags the raw one (by up to :math:`1/(1-\beta)` steps), so
    its minimum, ``rate_at_min``, often lies past the rate where training
    breaks down; ``rate_at_min / 10`` is the classic safe pick from it.

    The whole sweep is one ``jax.lax.scan`` inside one ``jax.jit``: ``step`` is
    traced once, whatever ``num_steps``.  Your ``state`` is not modified (JAX
    values are immutable), so train from it afterwards as usual.

    With an Optax optimizer, let ``optax.inject_hyperparams`` hold the rate and
    set it in the step; ``optax.adam`` and the others work the same way::

        opt = optax.inject_hyperparams(optax.adam)(learning_rate=1e-3)

        def step(state, learning_rate, batch):
            params, opt_state = state
            opt_state.hyperparams["learning_rate"] = learning_rate
            loss, grads = jax.value_and_grad(loss_fn)(params, batch)
            updates, opt_state = opt.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        result = lr_find(step, (params, opt.init(params)), (inputs, targets))
        result.plot()
        opt = optax.adam(result.suggestion)  # then train from `params` as usual

    Args:
      step: your training step, ``step(state, learning_rate, batch) ->
        (new_state, loss)`` (``step(state, learning_rate)`` when ``data`` is
        None).  ``learning_rate`` is a scalar array of the default float dtype;
        ``loss`` must be a real scalar; ``new_state`` must have the structure,
        shapes and dtypes of ``state``.  It must be traceable by ``jax.jit``.
      state: the training state, any pytree of arrays (e.g. ``(params,
        opt_state)``).
      data: the batches, one per step, which ``step`` receives as ``batch``:

        * None: ``step`` takes no batch;
        * a pytree of arrays (one array, a tuple, a dict, ...) whose leaves all
          have a leading batch axis of the same length ``num_batches``; batch
          ``i`` is entry ``i`` of every leaf, e.g. ``(inputs, targets)`` of
          shapes ``(num_batches, batch_size, ...)``;
        * a Python list of batches, ``data[i]`` being batch ``i``: pytrees of
          arrays alike in structure, shapes and dtypes, which are stacked into
          such a pytree.  A list is always read this way: pass arrays that
          share a leading batch axis as a tuple or a dict, not a list.

        Step ``i`` gets batch ``i % num_batches`` (the batches repeat when there
        are fewer than ``num_steps``).
      min_value: the first rate, > 0.
      max_value: the last rate, > ``min_value``.
      num_steps: the number of steps (rates) in the sweep, >= 2.
      smoothing: :math:`\beta` in [0, 1) of the moving average.
      diverge_factor: :math:`f > 1` of the stopping rule.
      progress: show a progress bar on ``sys.stderr`` (True), never (False), or
        only when ``sys.stderr`` is a terminal (None).  When no bar is shown the
        compiled sweep makes no host callback.

    Returns:
      An :class:`LRFindResult`: ``rates``, ``losses``, ``smoothed_losses``
      (NumPy arrays of the steps run), ``suggestion``, ``rate_at_min``,
      ``diverged``, ``num_steps_run``, and ``.plot()``.

    Raises:
      TypeError: ``step`` is not callable, an argument has the wrong type (a
        leaf of ``data`` that is not an array), or ``step`` returns something
        other than ``(new_state, scalar_loss)`` with a state like ``state``.
      ValueError: a number is out of range, the leaves of ``data`` disagree on
        their leading axis, or ``data`` is a list of batches that cannot be
        stacked (empty, or batches of different structures, shapes or dtypes).

    Examples:
      Least squares with curvature 1 (gradient descent is stable below rate 2
      and fastest near rate 1), one batch of 8 targets per step:

      >>> import jax, jax.numpy as jnp, optax
      >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)
      >>> def loss_fn(w, targets):
      ...     return 0.5 * jnp.mean(jnp.sum((w - targets) ** 2, axis=-1))
      >>> def step(state, learning_rate, targets):
      ...     w, opt_state = state
      ...     opt_state.hyperparams["learning_rate"] = learning_rate
      ...     loss, grad = jax.value_and_grad(loss_fn)(w, targets)
      ...     updates, opt_state = opt.update(grad, opt_state)
      ...     return (optax.apply_updates(w, updates), opt_state), loss
      >>> w = jnp.full(3, 10.0)
      >>> data = jax.random.normal(jax.random.key(0), (10, 8, 3))  # 10 batches
      >>> result = lr_find(step, (w, opt.init(w)), data, min_value=1e-4,
      ...                  max_value=100.0)
      >>> result.diverged, result.num_steps_run < 100
      (True, True)
      >>> bool(0.05 < result.suggestion < 1.0)
      True
      >>> print(f"{result.rates[0]:.4e} {result.rates[1]:.4e}")
      1.0000e-04 1.1498e-04
    """
    if not callable(step):
        chk.fail(
            _FUNC,
            "step",
            step,
            "a function step(state, learning_rate[, batch]) -> (new_state, loss)",
            TypeError,
        )
    min_value = chk.number(_FUNC, "min_value", min_value, low=0, low_open=True)
    max_value = chk.number(_FUNC, "max_value", max_value, low=0, low_open=True)
    if not max_value > min_value:
        raise ValueError(
            f"{_FUNC}: `max_value` must be greater than `min_value`; "
            f"got max_value={max_value!r}, min_value={min_value!r}."
        )
    num_steps = chk.integer(_FUNC, "num_steps", num_steps, low=2)
    if num_steps > _MOST_STEPS:
        chk.fail(
            _FUNC,
            "num_steps",
            num_steps,
            f"an integer in [2, {_MOST_STEPS:,}] (a range test records the loss "
            "and the rate of every step)",
        )
    smoothing = chk.number(_FUNC, "smoothing", smoothing, low=0, high=1, high_open=True)
    diverge_factor = chk.number(
        _FUNC, "diverge_factor", diverge_factor, low=1, low_open=True
    )
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        chk.fail(_FUNC, "progress", progress, "True, False or None", TypeError)
    data, num_batches = _batches(data)

    dtype = jnp.result_type(float)
    rates64 = _geometric(min_value, max_value, num_steps)
    rates = rates64.astype(dtype)
    steps = np.arange(num_steps)
    if smoothing == 0:
        correction = np.ones(num_steps)
    else:  # 1 - beta**(i+1), without cancellation for beta near 1.
        correction = -np.expm1((steps + 1) * np.log(smoothing))

    bar = ProgressBar(
        num_steps, desc=_FUNC, enabled=None if progress is None else bool(progress)
    )
    sweep = _make_sweep(
        step,
        num_batches,
        beta=np.asarray(smoothing, dtype),
        one_minus_beta=np.asarray(1.0 - smoothing, dtype),
        slack=np.asarray(diverge_factor - 1.0, dtype),
        dtype=dtype,
        bar=bar if bar.enabled else None,
    )
    try:
        out = sweep(
            _strong(state), data, jnp.asarray(rates), jnp.asarray(correction, dtype)
        )
        ran, losses, smoothed, stopped = jax.device_get(out)
        jax.effects_barrier()
    except BaseException:
        if bar.enabled and bar.count:
            bar.stream.write("\n")  # end the bar's line before the traceback
        raise
    run = int(np.sum(ran))
    diverged = bool(stopped)
    losses, smoothed = losses[:run], smoothed[:run]
    suggestion, rate_at_min = _suggest(
        rates[:run], smoothed, skip=num_steps // 10, span=max(1, num_steps // 20)
    )
    if bar.enabled:
        if diverged:
            bar.desc = f"{_FUNC} (stopped: loss diverged)"
        bar.close()
    return LRFindResult(
        rates=rates[:run],
        losses=losses,
        smoothed_losses=smoothed,
        suggestion=suggestion,
        rate_at_min=rate_at_min,
        diverged=diverged,
        num_steps_run=run,
    )


def _geometric(low: float, high: float, n: int) -> np.ndarray:
    """``low * (high/low) ** (i/(n-1))`` in float64, exact at both ends."""
    frac = np.arange(n, dtype=np.float64) / (n - 1)
    out = np.exp(np.log(low) + frac * (np.log(high) - np.log(low)))
    out[0], out[-1] = low, high
    return out


# What `data` may be, said by every error about it.
_DATA = (
    "`data` must be None or a pytree of arrays whose leading axis indexes "
    "batches (a tuple, dict, ... of arrays), or a list of batches alike in "
    "structure, shapes and dtypes"
)


def _batches(data: Any) -> tuple[Any, int | None]:
    """``data`` as a pytree of arrays with a shared leading (batch) axis, and
    the length of that axis (None when data is None).  A list is a list of
    batches: they are stacked along a new leading axis."""
    if data is None:
        return None, None
    if isinstance(data, list):
        data = _stacked(data)
    leaves = jax.tree_util.tree_leaves_with_path(data)
    shapes = [np.shape(x) for _, x in leaves]
    if not leaves or any(not isinstance(x, (np.ndarray, jax.Array)) for _, x in leaves):
        raise TypeError(
            f"{_FUNC}: {_DATA}; got data={_short(data)} ({type(data).__name__})."
        )
    sizes = {s[0] if s else None for s in shapes}
    if len(sizes) != 1 or None in sizes or 0 in sizes:
        shown = ", ".join(
            f"data{jax.tree_util.keystr(p)}={s}"
            for (p, _), s in zip(leaves, shapes, strict=True)
        )
        raise ValueError(
            f"{_FUNC}: every array in `data` must have the same nonzero leading "
            f"(batch) axis; got shapes {shown}."
        )
    return data, int(sizes.pop())


def _stacked(batches: list) -> Any:
    """A list of batches (pytrees of arrays of one structure, shapes and
    dtypes) stacked into one pytree whose leaves have a leading batch axis:
    batch i is ``batches[i]``."""
    if not batches:
        raise ValueError(f"{_FUNC}: {_DATA}; got an empty list.")
    structure = jax.tree.structure(batches[0])
    leaves = []
    for i, batch in enumerate(batches):
        if jax.tree.structure(batch) != structure:
            raise ValueError(
                f"{_FUNC}: {_DATA}; got a list of batches of different "
                f"structures: data[0] is {structure}, data[{i}] is "
                f"{jax.tree.structure(batch)}."
            )
        found = jax.tree_util.tree_leaves_with_path(batch)
        for path, x in found:
            if not isinstance(x, (np.ndarray, jax.Array)):
                raise TypeError(
                    f"{_FUNC}: {_DATA}; got a list whose "
                    f"data[{i}]{jax.tree_util.keystr(path)} is "
                    f"{type(x).__name__} {_short(x)}, not an array."
                )
        leaves.append(found)
    if not leaves[0]:
        raise TypeError(
            f"{_FUNC}: {_DATA}; got a list of batches without arrays, "
            f"data[0]={_short(batches[0])}."
        )
    for i, found in enumerate(leaves[1:], start=1):
        for (path, x), (_, first) in zip(found, leaves[0], strict=True):
            if np.shape(x) != np.shape(first) or x.dtype != first.dtype:
                where = jax.tree_util.keystr(path)
                raise ValueError(
                    f"{_FUNC}: {_DATA}; got a list of batches that cannot be "
                    f"stacked: data[0]{where} is {first.dtype}"
                    f"{list(np.shape(first))}, data[{i}]{where} is "
                    f"{x.dtype}{list(np.shape(x))}."
                )
    return jax.tree.map(lambda *xs: jnp.stack(xs), *batches)


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def _strong(tree: Any) -> Any:
    """``tree`` as arrays without weak types, so the scan carry keeps one type
    whatever dtype rules the user's step applies."""

    def leaf(x):
        x = jnp.asarray(x)
        return lax.convert_element_type(x, x.dtype)

    return jax.tree.map(leaf, tree)


def _make_sweep(step, num_batches, *, beta, one_minus_beta, slack, dtype, bar):
    """The jitted sweep: ``(state, data, rates, correction) -> (ran, losses,
    smoothed, stopped)``, one scan over the rates."""

    def call(state, rate, data, i):
        if num_batches is None:
            out = step(state, rate)
        else:
            batch = jax.tree.map(
                lambda x: lax.dynamic_index_in_dim(x, i % num_batches, 0, False),
                data,
            )
            out = step(state, rate, batch)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(
                f"{_FUNC}: `step` must return a pair (new_state, loss); "
                f"got {_short(out)}."
            )
        new_state, loss = out
        _check_state(state, new_state)
        loss = jnp.asarray(loss)
        if loss.ndim != 0 or not jnp.issubdtype(loss.dtype, jnp.floating):
            raise TypeError(
                f"{_FUNC}: `step` must return a real scalar loss; got a loss of "
                f"shape {loss.shape} and dtype {loss.dtype}."
            )
        new_state = jax.tree.map(
            lambda new, old: lax.convert_element_type(new, old.dtype),
            new_state,
            state,
        )
        return new_state, loss.astype(dtype)

    @jax.jit
    def sweep(state, data, rates, correction):
        def body(carry, xs):
            state, avg, best, stopped = carry
            i, rate, corr = xs

            def run(state):
                new_state, loss = call(state, rate, data, i)
                if bar is not None:
                    jax.debug.callback(_Report(bar), i, rate, loss)
                return new_state, loss

            def skip(state):
                return state, jnp.full((), jnp.nan, dtype)

            new_state, loss = lax.cond(stopped, skip, run, state)
            new_avg = beta * avg + one_minus_beta * loss
            smoothed = new_avg / corr
            new_best = jnp.minimum(best, smoothed)
            blown = ~jnp.isfinite(smoothed) | (
                smoothed > new_best + slack * jnp.abs(new_best)
            )
            # The step that blows up is recorded, but its state is dropped.
            keep = ~stopped & ~blown
            carry = (
                jax.tree.map(lambda a, b: jnp.where(keep, a, b), new_state, state),
                jnp.where(keep, new_avg, avg),
                jnp.where(keep, new_best, best),
                stopped | blown,
            )
            return carry, (~stopped, loss, smoothed)

        init = (
            state,
            jnp.zeros((), dtype),
            jnp.full((), jnp.inf, dtype),
            jnp.array(False),
        )
        xs = (jnp.arange(rates.shape[0]), rates, correction)
        (_, _, _, stopped), (ran, losses, smoothed) = lax.scan(body, init, xs)
        return ran, losses, smoothed, stopped

    return sweep


def _check_state(state, new_state):
    old = jax.tree.structure(state)
    new = jax.tree.structure(new_state)
    if old != new:
        raise TypeError(
            f"{_FUNC}: `step` must return a new state with the structure of "
            f"`state`; got {new}, expected {old}."
        )
    for path, a, b in zip(
        (
            jax.tree_util.keystr(p)
            for p, _ in jax.tree_util.tree_leaves_with_path(state)
        ),
        jax.tree.leaves(state),
        jax.tree.leaves(new_state),
        strict=True,
    ):
        b_shape, b_dtype = jnp.shape(b), jnp.result_type(b)
        if a.shape != b_shape or a.dtype != b_dtype:
            raise TypeError(
                f"{_FUNC}: `step` must return a new state with the shapes and "
                f"dtypes of `state`; got state{path} of {b_dtype}{list(b_shape)}, "
                f"expected {a.dtype}{list(a.shape)}."
            )


class _Report:
    """Host callback that advances the progress bar to step ``i + 1``.

    Robust to callbacks arriving out of order: the bar only moves forward.
    """

    def __init__(self, bar: ProgressBar):
        self.bar = bar

    def __call__(self, i, rate, loss):
        advance = int(i) + 1 - self.bar.count
        if advance > 0:
            self.bar.update(advance, lr=float(rate), loss=float(loss))


def _suggest(rates, smoothed, *, skip: int, span: int) -> tuple[float, float]:
    """``(suggestion, rate_at_min)``: the rules documented in :func:`lr_find`."""
    smoothed = np.asarray(smoothed, np.float64)
    bad = np.flatnonzero(~np.isfinite(smoothed))
    n = int(bad[0]) if bad.size else smoothed.size
    if n == 0:
        return float("nan"), float("nan")
    rates = np.asarray(rates, np.float64)[:n]
    smoothed = smoothed[:n]
    at_min = int(np.argmin(smoothed))
    start = skip if at_min - skip >= 2 else 0
    if at_min - start < 1:
        return float(rates[0]), float(rates[at_min])
    i = np.arange(start, at_min + 1)
    hi = np.minimum(i + span, at_min)
    lo = np.maximum(i - span, start)
    log_rates = np.log(rates)
    slope = (smoothed[hi] - smoothed[lo]) / (log_rates[hi] - log_rates[lo])
    return float(rates[i[int(np.argmin(slope))]]), float(rates[at_min])
