r"""A schedule optimized for the final loss that a loss-curve law predicts."""

from __future__ import annotations

import dataclasses
import functools
import heapq
import math
import time
import warnings
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._catalog.decay import constant
from .._catalog.piecewise import piecewise_linear
from .._compose.compose import WARMUP_SHAPES, warmup
from .._core import checks as chk
from .._core.base import Schedule
from .laws import rates_of

__all__ = ["Optimized", "optimize"]

_FUNC = "optimize"
_F64 = jnp.float64

#: Significant digits of the compact schedule's values (more are used where
#: the tolerance needs them).
_DIGITS = 5


@dataclasses.dataclass(frozen=True, eq=False)
class Optimized:
    """What :func:`optimize` found, when called with ``details=True``.

    Attributes:
      schedule: the compact schedule (what ``optimize`` returns by default).
      loss: the final loss the law predicts for ``schedule``.
      optimum: the final loss the law predicts for ``rates``, the optimized
        rate of every update (``abs(loss - optimum) < tolerance``).
      rates: the optimized rates :math:`\\eta_1 .. \\eta_T` of the updates
        ``warmup_steps .. total_steps - 1`` (float64).
      knots: the number of points of the compact schedule's
        ``piecewise_linear``.
      history: the predicted final loss before each Adam iteration
        (float64; empty when ``total_steps == warmup_steps + 1`` leaves
        nothing to optimize).
      seconds: the wall time of the call, compilation included.

    Examples:
      >>> from jaxdecay import design
      >>> law = design.MultiPowerLaw(L0=2.375, A=0.654, alpha=0.429,
      ...     B=523.425, C=2.025, beta=0.594, gamma=0.635)
      >>> got = design.optimize(law, 3000, 300, 3e-4, iterations=200,
      ...     details=True)
      >>> print(got.iterations, len(got.rates), got.history[-1] < got.history[0])
      200 2700 True
      >>> print(got.knots <= 256, abs(got.loss - got.optimum) < 1e-4)
      True True
    """

    schedule: Schedule
    loss: float
    optimum: float
    rates: np.ndarray
    knots: int
    history: np.ndarray
    seconds: float

    @property
    def iterations(self) -> int:
        """The number of Adam iterations run."""
        return len(self.history)


def optimize(
    law: Any,
    total_steps: int,
    warmup_steps: int,
    peak_value: float,
    min_value: float = 0.0,
    *,
    iterations: int = 2000,
    learning_rate: float = 0.3,
    tolerance: float = 1e-4,
    max_knots: int = 256,
    warmup_shape: str = "linear",
    init_value: float = 0.0,
    details: bool = False,
) -> Schedule | Optimized:
    r"""A schedule of ``total_steps`` updates whose final loss, as ``law``
    predicts it, is as low as Adam finds: a fixed warmup to ``peak_value``,
    then a non-increasing decay in ``[min_value, peak_value]``, returned as a
    compact jaxdecay schedule.

    The warmup (``warmup_steps`` updates from ``init_value`` to
    ``peak_value``, of ``warmup_shape``) is fixed: it sets :math:`\eta_0`
    (the rate of its last update) and :math:`S_W` (its area), with the
    conventions of ``design.MultiPowerLaw``.  The rates after it,
    :math:`\eta_1 .. \eta_T` (``T = total_steps - warmup_steps``), are the
    peak minus a cumulative sum of non-negative decrements, as in Luo et al.
    (2025):

    .. math::
       \eta_1 = \hat\eta, \qquad
       \eta_i = \max\Big(\eta_{min},\ \hat\eta - \sum_{j=2}^{i} \delta_j\Big),
       \qquad \delta_j = \frac{\hat\eta - \eta_{min}}{T}\,
       \operatorname{softplus}(x_j),

    so every choice of the free parameters :math:`x_2 .. x_T` is a schedule
    that starts at the peak, never rises and stays in bounds.  Adam
    (``optax.adam``, float64, a ``lax.scan`` inside ``jax.jit``) runs
    ``iterations`` steps on ``law.final(rates, eta0, warmup_sum)`` from a
    linear decay to ``min_value`` (:math:`x_j = \ln(e - 1)`, every
    :math:`\delta_j` equal), its step size ``learning_rate`` decayed along a
    cosine to 1% of it.

    Adam changes each :math:`x_j` by about ``learning_rate`` at most per
    iteration, so the search passes through smooth schedules; with the
    paper's constants it ends, as the paper's does, at the peak for most of
    the run, then decays smoothly and steeply.  This is the end of a fixed
    search, not the law's minimum over every non-increasing schedule: the
    multi-power law also rewards abrupt drops (a single drop from 3e-4 to
    7e-6 after 93% of the paper's 400M run predicts 2.5328, below the 2.5333
    found here), gains that rest on its extrapolation to sharp drops.  Many
    more iterations, or a larger ``learning_rate``, start to turn the decay
    into such steps.

    The optimized rates are then made a compact schedule: points are added
    where the straight lines between the points chosen so far miss the rates
    most (starting from the first and last update), and the values are
    rounded to 5 significant digits, until the predicted final loss of the
    resulting ``piecewise_linear`` differs from that of the optimized rates by
    less than ``tolerance``.  The result is a plain jaxdecay schedule:
    ``warmup(piecewise_linear(boundaries, values), warmup_steps, ...)`` (the
    ``piecewise_linear`` alone when ``warmup_steps == 0``), whose step ``W +
    j`` has rate :math:`\eta_{j+1}` up to rounding, and which holds its last
    value after ``total_steps``.

    Each Adam iteration evaluates ``law.final`` and its gradient, O(T): with
    the paper's 24,000-step run, the default 2000 iterations take about 4 s
    on two CPU cores (and a second or two to compile).

    Args:
      law: a loss-curve law with a method ``final(rates, eta0, warmup_sum)``
        returning the predicted loss after the last update, differentiable
        with respect to ``rates`` (``design.MultiPowerLaw``,
        ``design.AnnealingLaw``).
      total_steps: the number of updates of the run, ``> warmup_steps``.
      warmup_steps: ``W >= 0``, the updates of the fixed warmup.
      peak_value: the rate at the end of the warmup and the most any rate
        may be (> 0).
      min_value: the least any rate after the warmup may be, in
        ``[0, peak_value)``.
      iterations: Adam iterations (>= 1).
      learning_rate: Adam's initial step size on the parameters
        :math:`x_j` (> 0).
      tolerance: the largest difference allowed between the predicted final
        losses of the compact schedule and of the optimized rates (> 0).
      max_knots: the most points the compact schedule may have (>= 2); when
        they do not reach ``tolerance`` a ``UserWarning`` says how close
        they came.
      warmup_shape: ``"linear"`` (the paper's), ``"cosine"`` or
        ``"exponential"``, as in ``warmup``.
      init_value: the rate at step 0, in ``[0, peak_value]`` (> 0 for the
        exponential shape).
      details: return an :class:`Optimized` (the schedule with its predicted
        losses, the optimized rates and the loss at each iteration) instead
        of the schedule alone.

    Returns:
      The compact schedule, or an :class:`Optimized` when ``details`` is set.

    Examples:
      >>> from jaxdecay import design
      >>> law = design.MultiPowerLaw(L0=2.375, A=0.654, alpha=0.429,
      ...     B=523.425, C=2.025, beta=0.594, gamma=0.635)
      >>> best = design.optimize(law, 3000, 300, 3e-4, details=True)
      >>> cos = warmup_cosine_decay(3e-4, 300, 3000)
      >>> print(f"{best.loss:.4f} {law.predict(cos, 3000, warmup_steps=300):.4f}")
      2.9940 3.1627
      >>> lr = best.schedule
      >>> print(f"{lr(300):.1e} {lr(2500):.1e} {lr(2700):.1e} {lr(2999):.1e}")
      3.0e-04 3.0e-04 2.6e-04 1.2e-05
    """
    start = time.perf_counter()
    final = _check_law(law)
    w = chk.integer(_FUNC, "warmup_steps", warmup_steps)
    n = chk.integer(
        _FUNC,
        "total_steps",
        total_steps,
        low=w + 1,
        allowed=f"an integer > warmup_steps = {w}",
    )
    peak = chk.number(_FUNC, "peak_value", peak_value, low=0.0, low_open=True)
    low = chk.number(
        _FUNC, "min_value", min_value, low=0.0, high=peak, high_open=True,
        allowed=f"in [0, peak_value) = [0, {peak:g})",
    )  # fmt: skip
    iterations = chk.integer(_FUNC, "iterations", iterations, low=1)
    learning_rate = chk.number(
        _FUNC, "learning_rate", learning_rate, low=0.0, low_open=True
    )
    tolerance = chk.number(_FUNC, "tolerance", tolerance, low=0.0, low_open=True)
    max_knots = chk.integer(_FUNC, "max_knots", max_knots, low=2)
    shape = chk.choice(_FUNC, "warmup_shape", warmup_shape, WARMUP_SHAPES)
    v0 = chk.number(
        _FUNC, "init_value", init_value, low=0.0, high=peak,
        allowed=f"in [0, peak_value] = [0, {peak:g}]",
    )  # fmt: skip
    if shape == "exponential" and not v0 > 0:
        chk.fail(_FUNC, "init_value", init_value,
                 "> 0 for warmup_shape='exponential' (a geometric ramp starts "
                 "from a positive value)")  # fmt: skip
    details = chk.flag(_FUNC, "details", details)

    def wrap(body):
        return warmup(body, w, init_value=v0, shape=shape) if w else body

    # The fixed warmup's eta_0 and S_W, by the laws' own conversion.
    _, eta0, warmup_sum = rates_of(wrap(constant(peak)), w + 1, w, func=_FUNC)
    T = n - w
    scale = (peak - low) / T
    x0 = np.full(T - 1, math.log(math.e - 1.0))
    with jax.enable_x64(True):
        first = float(final(_rates(x0, peak, low, scale), eta0, warmup_sum))
        if not math.isfinite(first):
            raise ValueError(
                f"{_FUNC}: the law predicts a final loss of {first} for a "
                "linear decay from peak_value to min_value; the optimization "
                "needs a finite one (check the law's constants and the run's "
                "sizes)."
            )
        # optax's Adam mixes an int32 count with float decays (its bias
        # correction), which strict dtype promotion refuses.
        with jax.numpy_dtype_promotion("standard"):
            problem = tuple(
                jnp.asarray(v, _F64) for v in (peak, low, scale, eta0, warmup_sum)
            )
            if T > 1:
                x, history = _minimize(
                    law, final, x0, problem, learning_rate, iterations
                )
            else:  # the one rate after the warmup is the peak
                x, history = x0, np.zeros(0)
        rates = np.asarray(_rates(x, peak, low, scale), np.float64)
        history = np.asarray(history, np.float64)
        optimum = float(final(jnp.asarray(rates, _F64), eta0, warmup_sum))
        boundaries, values, gap = _compact(
            final, rates, eta0, warmup_sum, optimum, tolerance, max_knots, peak, low
        )
    schedule = wrap(piecewise_linear(boundaries, values))
    # Its rates as training evaluates them (in the default precision).
    got = rates_of(schedule, n, w, func=_FUNC)
    with jax.enable_x64(True):
        loss = float(final(jnp.asarray(got[0], _F64), got[1], got[2]))
    if not abs(loss - optimum) < tolerance:
        warnings.warn(
            f"{_FUNC}: the compact schedule's predicted final loss {loss:.6g} "
            f"differs from the optimized rates' {optimum:.6g} by "
            f"{abs(loss - optimum):.3g}, more than tolerance={tolerance:g}, "
            f"with max_knots={max_knots} points; allow more points or a "
            "larger tolerance.",
            UserWarning,
            stacklevel=2,
        )
    if not details:
        return schedule
    return Optimized(
        schedule=schedule,
        loss=loss,
        optimum=optimum,
        rates=rates,
        knots=len(boundaries),
        history=history,
        seconds=time.perf_counter() - start,
    )


def _check_law(law):
    final = getattr(law, "final", None)
    if isinstance(law, type) or not callable(final):
        chk.fail(
            _FUNC,
            "law",
            law,
            "a loss-curve law with a method final(rates, eta0, warmup_sum), "
            "such as design.MultiPowerLaw or design.AnnealingLaw (an instance "
            "with its constants)",
            TypeError,
        )
    return final


def _rates(x, peak, low, scale):
    """The rates :math:`\\eta_1 .. \\eta_T` of the free parameters ``x``
    (``T - 1`` of them): the peak, less the running sum of the decrements,
    at least ``low``."""
    x = jnp.asarray(x, _F64)
    drops = jnp.cumsum(scale * jax.nn.softplus(x))
    eta = peak - jnp.concatenate([jnp.zeros(1, _F64), drops])
    return jnp.maximum(eta, low)


#: Adam iterations per call of the compiled loop (a run of any length
#: reuses one compilation per problem size).
_CHUNK = 250


def _step_size(count, learning_rate, iterations):
    """Adam's step size at iteration ``count``: a cosine from
    ``learning_rate`` to 1% of it over ``iterations``."""
    done = jnp.minimum(count.astype(_F64) / iterations.astype(_F64), 1.0)
    return learning_rate * (0.01 + 0.99 * 0.5 * (1.0 + jnp.cos(jnp.pi * done)))


def _optimizer(learning_rate, iterations):
    return optax.adam(lambda count: _step_size(count, learning_rate, iterations))


def _adam(final, carry, problem, learning_rate, iterations):
    """``_CHUNK`` Adam iterations on the predicted final loss, in one scan,
    from ``carry = (x, adam state, iteration)``; iterations from
    ``iterations`` on leave the carry as it is.  Returns the carry and the
    loss before each iteration."""
    peak, low, scale, eta0, warmup_sum = problem
    opt = _optimizer(learning_rate, iterations)

    def objective(x):
        return final(_rates(x, peak, low, scale), eta0, warmup_sum)

    def body(carry, _):
        x, state, i = carry
        value, grad = jax.value_and_grad(objective)(x)
        updates, new = opt.update(grad, state, x)
        live = i < iterations
        x = jnp.where(live, optax.apply_updates(x, updates), x)
        state = jax.tree_util.tree_map(lambda a, b: jnp.where(live, a, b), new, state)
        return (x, state, i + 1), value

    return jax.lax.scan(body, carry, None, _CHUNK)


def _pytree_law(law, *args):
    return _adam(law.final, *args)


_compiled = jax.jit(_pytree_law)


def _minimize(law, final, x0, problem, learning_rate, iterations):
    """Runs Adam ``iterations`` times from ``x0``, ``_CHUNK`` iterations per
    call of one compiled loop: one compilation per problem size for a law
    registered as a pytree (its constants traced), one per call for any
    other (closed over).  Returns the parameters and the loss history."""
    leaves = jax.tree_util.tree_leaves(law)
    if len(leaves) == 1 and leaves[0] is law:  # not a pytree
        run = jax.jit(functools.partial(_adam, final))
    else:
        run = functools.partial(_compiled, law)
    x = jnp.asarray(x0, _F64)
    rate, total = jnp.asarray(learning_rate, _F64), jnp.asarray(iterations, jnp.int32)
    carry = (x, _optimizer(rate, total).init(x), jnp.zeros((), jnp.int32))
    history = []
    for _ in range(-(-iterations // _CHUNK)):
        carry, losses = run(carry, problem, rate, total)
        history.append(losses)
    history = np.concatenate([np.asarray(h, np.float64) for h in history])
    return carry[0], history[:iterations]


def _worst(rates, lo, hi):
    """The largest gap between the rates strictly inside ``lo .. hi`` and the
    straight line between the rates at ``lo`` and ``hi``, and where it is."""
    if hi - lo < 2:
        return 0.0, lo
    t = np.arange(1, hi - lo, dtype=np.float64) / (hi - lo)
    line = rates[lo] + (rates[hi] - rates[lo]) * t
    gap = np.abs(rates[lo + 1 : hi] - line)
    i = int(np.argmax(gap))
    return float(gap[i]), lo + 1 + i


def _rounded(values, peak, low, digits):
    """``values`` rounded to ``digits`` significant digits, kept
    non-increasing, in ``[low, peak]``, starting at ``peak``."""
    out = np.array([float(f"{v:.{digits}g}") for v in values], np.float64)
    out = np.minimum.accumulate(np.clip(out, low, peak))
    out[0] = peak
    return out


def _compact(final, rates, eta0, warmup_sum, optimum, tolerance, most, peak, low):
    """Greedy points of a piecewise-linear fit of ``rates``: split the segment
    whose line misses the rates most, until the predicted final loss of the
    fit (values rounded) is within ``tolerance`` of ``optimum`` or ``most``
    points are used.  Returns the boundaries, the values and the gap."""
    T = len(rates)
    steps = np.arange(T, dtype=np.float64)
    knots = sorted({0, T - 1})
    heap = []
    if T > 2:
        err, at = _worst(rates, 0, T - 1)
        heap.append((-err, 0, T - 1, at))

    def fit(b, digits):
        values = _rounded(rates[b], peak, low, digits)
        line = np.interp(steps, b.astype(np.float64), values)
        gap = abs(float(final(jnp.asarray(line, _F64), eta0, warmup_sum)) - optimum)
        return b.tolist(), values.tolist(), gap

    best = None
    while True:
        b = np.asarray(knots, np.int64)
        fine = fit(b, _DIGITS + 4)  # when even this misses, add a point
        if fine[2] < tolerance:
            short = fit(b, _DIGITS)
            return short if short[2] < tolerance else fine
        if best is None or fine[2] < best[2]:
            best = fine
        if len(knots) >= most or not heap or -heap[0][0] == 0.0:
            return best
        _, lo, hi, at = heapq.heappop(heap)
        knots = sorted([*knots, at])
        for a, c in ((lo, at), (at, hi)):
            err, where = _worst(rates, a, c)
            if err > 0:
                heapq.heappush(heap, (-err, a, c, where))
