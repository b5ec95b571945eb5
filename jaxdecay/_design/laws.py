r"""Loss-curve laws: the loss a training run reaches as a function of its
learning-rate schedule alone.

:class:`MultiPowerLaw` is the multi-power law of Luo et al. (2025), "A
Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules";
:class:`AnnealingLaw` the scaling law with learning-rate annealing of Tissue et
al. (2024).  Both are frozen dataclasses registered as JAX pytrees whose
leaves are the fitted constants, so they can be jitted, vmapped and
differentiated with respect to their constants and the rates.

Conventions shared by both laws (and by ``design.fit`` and
``design.optimize``):

* A schedule's global steps are ``s = 0, 1, 2, ...``; the rate of update
  ``s`` is ``schedule(s)``.  The first ``W = warmup_steps`` updates are the
  warmup, and :math:`S_W = \sum_{s<W} \text{schedule}(s)`.
* The rates after the warmup are :math:`\eta_i = \text{schedule}(W + i - 1)`
  for ``i = 1 .. T``, and :math:`\eta_0 = \text{schedule}(W - 1)`, the rate
  of the warmup's last update (:math:`\eta_0 = \eta_1` when ``W = 0``).
* "The loss at step ``n``" (``n >= W``) is the loss after ``n`` updates, i.e.
  after :math:`t = n - W` updates past the warmup:
  :math:`S_1(t) = \eta_1 + \dots + \eta_t`.

:func:`rates_of` is the one place that turns a schedule (or an array of rates)
into these inputs.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .._core import checks as chk
from .analysis import _Plan, _schedule
from .analysis import _steps as _whole_steps

__all__ = ["AnnealingLaw", "MultiPowerLaw", "rates_of"]

_F64 = jnp.float64

# The quadrature of the multi-power law's fast form (see ``MultiPowerLaw``):
# the grid of ln r spans [W_LO - ln(largest 1/c + y), W_HI - ln(smallest
# 1/c + eta)]; the integrand exp(beta w - e^w) is below 1e-13 of its mass past
# W_HI, and the first neglected term of its left tail, ~e^{(1 + beta) W_LO},
# is below 1e-12 for every beta > 0.
_W_HI = 3.6
_W_LO = -28.0
#: The grid step in ln r aimed at (relative error ~exp(-pi^2 / h) ~ 1e-12).
_STEP = 0.35
#: Nodes when the rates or the constants are traced (the grid then spans the
#: traced range; its step is span / (nodes - 1), ~0.28 for a typical run).
NODES = 128


# ---------------------------------------------------------------------------
# Inputs.


def _is_rates(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray, jax.Array)) and not callable(
        value
    )


def _rates_array(func, value) -> np.ndarray:
    what = "a schedule, a callable of the step, or a 1-D sequence of rates"
    if isinstance(value, jax.core.Tracer):
        chk.fail(func, "schedule", value, f"{what}, concrete", TypeError)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        chk.fail(func, "schedule", value, what, TypeError)
    if arr.ndim != 1 or arr.dtype == object or arr.dtype == np.bool_:
        chk.fail(func, "schedule", value, f"{what} (got {arr.ndim}-D)", TypeError)
    if not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        chk.fail(func, "schedule", value, what, TypeError)
    if arr.size == 0:
        chk.fail(func, "schedule", value, "a non-empty sequence of rates")
    return arr.astype(np.float64)


def _check_rates(func, rates, first):
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{func}: the rates must be finite and non-negative; the rate of "
            f"update {first + i} is {rates[i]!r}."
        )


def rates_of(schedule_or_rates, total_steps, warmup_steps, func="rates_of"):
    r"""The inputs of a law for a run of ``total_steps`` updates:
    ``(rates, eta0, warmup_sum)``.

    ``rates`` are :math:`\eta_1 .. \eta_T` (``T = total_steps -
    warmup_steps``), the rates of the updates ``W .. total_steps - 1``;
    ``eta0`` is the rate of update ``W - 1`` (:math:`\eta_1` when ``W = 0``);
    ``warmup_sum`` is :math:`S_W`, the sum of the rates of updates ``0 ..
    W - 1``.

    Args:
      schedule_or_rates: a jaxdecay schedule or any callable of the step
        (evaluated at steps ``0 .. total_steps - 1``, its own values as
        training uses them, in float64 on the host), or a 1-D sequence of
        the rates of updates ``0 .. N - 1`` with ``N >= total_steps``.
      total_steps: the number of updates ``n >= warmup_steps`` (and ``>= 1``).
      warmup_steps: ``W >= 0``.
      func: the name error messages give.

    Returns:
      ``(rates, eta0, warmup_sum)``: a float64 NumPy array of shape ``(T,)``
      and two Python floats.

    Examples:
      >>> from jaxdecay._design.laws import rates_of
      >>> rates, eta0, sw = rates_of([0.5, 1.0, 1.0, 0.5, 0.25], 5, 2)
      >>> print(rates, eta0, sw)
      [1.   0.5  0.25] 1.0 1.5
    """
    w = chk.integer(func, "warmup_steps", warmup_steps)
    n = chk.integer(
        func,
        "total_steps",
        total_steps,
        low=max(w, 1),
        allowed=f"an integer >= max(warmup_steps, 1) = {max(w, 1)}",
    )
    if _is_rates(schedule_or_rates):
        arr = _rates_array(func, schedule_or_rates)
        if len(arr) < n:
            raise ValueError(
                f"{func}: the rates cover updates 0 .. {len(arr) - 1}, but the "
                f"loss after {n} updates needs the rates of updates 0 .. {n - 1}."
            )
        arr = arr[:n]
    else:
        s = _schedule(func, schedule_or_rates)
        arr = _Plan(func).values(s, 0, n)
    _check_rates(func, arr, 0)
    rates = np.ascontiguousarray(arr[w:])
    eta0 = float(arr[w - 1]) if w > 0 else float(arr[0])
    warmup_sum = math.fsum(arr[:w].tolist())
    return rates, eta0, warmup_sum


def _steps(func, steps, warmup_steps) -> np.ndarray:
    """``steps`` checked as ``area`` checks them (``analysis._steps``), and
    none before the warmup's end."""
    out = _whole_steps(func, steps)
    if out.size and int(out.min()) < warmup_steps:
        chk.fail(
            func,
            "steps",
            steps,
            f"steps from step {warmup_steps} on (warmup_steps): the loss is "
            f"predicted after the warmup; the earliest asked is {int(out.min())}",
        )
    return out


# ---------------------------------------------------------------------------
# The laws.


def _constant(func, name, value):
    return chk.number(func, name, value, low=0.0, low_open=True)


def _register(cls, data, meta=()):
    """A frozen dataclass as a pytree whose leaves are ``data``; rebuilding
    it from leaves (jit, vmap, grad) skips the constructor's checks."""

    def flatten(x):
        return [getattr(x, f) for f in data], tuple(getattr(x, f) for f in meta)

    def unflatten(aux, leaves):
        obj = object.__new__(cls)
        for f, v in zip(data, leaves, strict=True):
            object.__setattr__(obj, f, v)
        for f, v in zip(meta, aux, strict=True):
            object.__setattr__(obj, f, v)
        return obj

    jax.tree_util.register_pytree_node(cls, flatten, unflatten)
    return cls


class _Law:
    """What both laws share: ``curve``, ``losses_at`` and the public
    ``predict``, on top of ``_losses``."""

    def _losses(self, rates, eta0, warmup_sum, at, nodes):  # pragma: no cover
        raise NotImplementedError

    def _final(self, rates, eta0, warmup_sum):  # pragma: no cover
        raise NotImplementedError

    def final(self, rates, eta0, warmup_sum):
        r"""The loss after the last update ``T``, by the law's exact O(T) sum
        (what :func:`optimize` minimizes).

        Args:
          rates: :math:`\eta_1 .. \eta_T` (``T >= 1``).
          eta0: :math:`\eta_0`.
          warmup_sum: :math:`S_W`.

        Returns:
          A float64 scalar JAX array.
        """
        with jax.enable_x64(True):
            return self._final(_f64(rates), _f64(eta0), _f64(warmup_sum))

    def curve(self, rates, eta0, warmup_sum, *, nodes=None):
        r"""The loss after each post-warmup update ``t = 1 .. T``.

        Args:
          rates: :math:`\eta_1 .. \eta_T`, a 1-D array (float64 inside).
          eta0: :math:`\eta_0`, the rate of the warmup's last update.
          warmup_sum: :math:`S_W`.
          nodes: for :class:`MultiPowerLaw`, the quadrature nodes (static);
            by default chosen from the rates when they and the law's
            constants are concrete, else ``NODES``.

        Returns:
          A float64 JAX array of shape ``(T,)``.
        """
        T = np.shape(rates)[0]
        with jax.enable_x64(True):
            return self._losses(rates, eta0, warmup_sum, _all_steps(T), nodes)

    def losses_at(self, rates, eta0, warmup_sum, at, *, nodes=None):
        r"""The loss after ``t`` post-warmup updates for each ``t`` of ``at``
        (the same computation as :meth:`curve`, done only where asked: the
        recurrence jumps from one asked ``t`` to the next).

        Args:
          rates: :math:`\eta_1 .. \eta_T`.
          eta0: :math:`\eta_0`.
          warmup_sum: :math:`S_W`.
          at: concrete integers ``0 <= t <= T`` (a NumPy array, any order).
          nodes: as in :meth:`curve`.

        Returns:
          A float64 JAX array of the shape of ``at``.
        """
        with jax.enable_x64(True):
            return self._losses(rates, eta0, warmup_sum, np.asarray(at), nodes)

    def predict(self, schedule_or_rates, steps, warmup_steps=0):
        r"""The predicted loss after each of ``steps`` updates.

        Args:
          schedule_or_rates: a jaxdecay schedule, any callable of the step, or
            a 1-D sequence of the rates of updates ``0 .. N - 1``.
          steps: global step counts ``n >= warmup_steps`` (an integer or a 1-D
            sequence, any order): the loss after ``n`` updates, i.e. after
            ``t = n - warmup_steps`` updates past the warmup.
          warmup_steps: ``W``, the updates of the warmup (``S_W`` is their
            area, :math:`\eta_0` the rate of the last one).

        Returns:
          A float64 NumPy array of the shape of ``steps``.
        """
        func = f"{type(self).__name__}.predict"
        if not chk.is_concrete(jax.tree_util.tree_leaves(self)):
            raise TypeError(
                f"{func}: the law holds traced constants; call `curve`, "
                "`losses_at` or `final` inside jit, `predict` outside."
            )
        w = chk.integer(func, "warmup_steps", warmup_steps)
        n = _steps(func, steps, w)
        if n.size == 0:
            return np.zeros(n.shape, np.float64)
        top = int(n.max())
        rates, eta0, sw = rates_of(schedule_or_rates, max(top, 1), w, func=func)
        rates = rates[: top - w]
        t = n - w
        _check_area(func, rates, sw, t, w)
        with jax.enable_x64(True):
            out = self._losses(rates, eta0, sw, t.reshape(-1), None)
            return np.asarray(out, np.float64).reshape(t.shape)


def _check_area(func, rates, warmup_sum, t, w):
    """The area ``S_W + S_1(t)`` must be positive at every ``t`` asked."""
    first = warmup_sum + float(np.sum(rates[: int(t.min())]))
    if first <= 0:
        raise ValueError(
            f"{func}: the loss after {int(t.min()) + w} updates needs a positive "
            "area under the schedule (S_W + S_1 > 0): the law's "
            "(S_W + S_1)^-alpha is infinite at 0; got an area of 0 (a "
            "schedule at 0 from the start)."
        )


@functools.lru_cache(maxsize=32)
def _all_steps(T):
    return np.arange(1, T + 1, dtype=np.int64)


def _nodes(law, rates, nodes):
    if nodes is not None:
        return int(nodes)
    leaves = [law.C, law.gamma]
    if isinstance(rates, jax.core.Tracer) or not chk.is_concrete(leaves):
        return NODES
    return _grid_size(np.asarray(rates, np.float64), float(law.C), float(law.gamma))


def _grid_size(rates, C, gamma) -> int:
    pos = rates[rates > 0]
    if pos.size == 0:
        return NODES
    inv_c = pos**gamma / C
    lo = _W_LO - math.log(float(inv_c.max()) + float(np.sum(rates)))
    hi = _W_HI - math.log(float(np.min(inv_c + pos)))
    need = int(math.ceil((hi - lo) / _STEP)) + 1
    return max(NODES, -(-need // 32) * 32)


def _f64(x):
    return jnp.asarray(x, _F64)


def _power_term(A, alpha, area):
    """``A area^-alpha``: +inf at area 0 (never NaN)."""
    safe = jnp.where(area > 0, area, 1.0)
    return jnp.where(area > 0, A * safe ** (-alpha), jnp.inf)


@dataclasses.dataclass(frozen=True)
class MultiPowerLaw(_Law):
    r"""The multi-power law of Luo et al. (2025), "A Multi-Power Law for Loss
    Curve Prediction Across Learning Rate Schedules":

    .. math::
       L(t) = L_0 + A\,(S_1(t) + S_W)^{-\alpha} - LD(t), \qquad
       S_1(t) = \sum_{\tau=1}^{t} \eta_\tau,

       LD(t) = B \sum_{k=1}^{t} (\eta_{k-1} - \eta_k)\,
       G\big(\eta_k^{-\gamma} S_k(t)\big), \quad
       S_k(t) = \sum_{\tau=k}^{t} \eta_\tau, \quad
       G(x) = 1 - (C x + 1)^{-\beta}.

    :math:`\eta_0` is the rate of the warmup's last update
    (``schedule(W - 1)``), :math:`\eta_1, \eta_2, \dots` the rates of the
    updates after it, :math:`S_W` the sum of the warmup's rates, and
    :math:`L(t)` the loss after ``W + t`` updates (see the module's
    conventions).  A jaxdecay warmup reaches its peak at step ``W``, so with
    it :math:`\eta_0 = \hat\eta (W - 1) / W` and the warmup's last rise enters
    :math:`LD` as a small negative drop.  The paper's published fitting code
    indexes the same way but sums the drops over every update, the warmup's
    rises included; this law follows the formula above, so constants fitted
    by that code carry a different :math:`L_0`-like offset.

    A zero rate :math:`\eta_k = 0` makes :math:`\eta_k^{-\gamma} S_k(t)` the
    limit of :math:`S_k(t) / \eta_k^{\gamma}`: ``+inf`` (so ``G = 1``) once a
    later rate is positive, ``0`` (so ``G = 0``: no update has moved the
    weights since the drop) while :math:`S_k(t) = 0` — the limit
    :math:`\eta_k \to 0` for :math:`\gamma < 1`.  The derivative with respect
    to a rate that is exactly 0 is returned finite (that path's is taken as
    0); the true one is infinite there.

    **Fast form.**  With :math:`c_k = C \eta_k^{-\gamma}` and
    :math:`d_k = \eta_{k-1} - \eta_k`, :math:`LD(t) = B[\eta_0 - \eta_t -
    \sum_k d_k (1 + c_k S_k(t))^{-\beta}]`, and

    .. math:: (1 + c y)^{-\beta} = \frac{1}{\Gamma(\beta)} \int
       e^{\beta (u - \ln c) - e^u / c}\, e^{-e^u y}\, du ,

    a shifted :math:`e^{\beta w - e^w}`, analytic in the strip
    :math:`|\operatorname{Im} w| < \pi / 2`: the trapezoid rule on one grid
    :math:`u_j = u_0 + j h` shared by every ``k`` and ``t`` has relative error
    about :math:`e^{-\pi^2 / h}` (``h <= 0.35``: ~1e-12), and its left tail
    beyond the grid is summed in closed form.  The grid spans the ``u``
    where some term has mass (from the smallest :math:`1/c_k + \eta_k` to
    the largest :math:`1/c_k + S_1(T)`): ~100-160 nodes for a run decaying
    to 1e-9, ``NODES`` when traced.  As
    :math:`e^{-r_j S_k(t)} = \prod_{\tau=k}^{t} e^{-r_j \eta_\tau}`, each
    node's sum over ``k`` is a linear recurrence in ``t``,
    :math:`Z_j(t) = e^{-r_j \eta_t} (Z_j(t - 1) + d_t a_{tj})`, every factor
    at most 1 (no :math:`e^{+r S}` is ever formed).  It is run from stop to
    stop (the asked ``t``): the updates between two stops are summed at once,
    each carried by :math:`e^{-r_j S_k(\text{stop})}`, in chunks of 2**11
    updates (memory ~nodes x 2**11 per array), then one step per stop.  A
    whole curve of T updates costs O(T J) (10**5 updates in ~0.05 s on a
    CPU), the loss at a few logged steps about the same with a short
    sequential part, instead of the O(T^2) double sum; it matches that sum
    to ~1e-14.  :meth:`final` is the O(T) exact sum at ``t = T``.

    Args:
      L0: the loss the run tends to (> 0).
      A, alpha: the power law in the area under the schedule (> 0).
      B, C, beta, gamma: the loss drop that the rate's decreases bring
        (> 0).

    Examples:
      The 400M-parameter constants of the paper's code, on its runs of 24,000
      steps with a 2,160-step warmup to 3e-4: a cosine to 3e-5 ends lower
      than the constant rate:

      >>> from jaxdecay import design
      >>> law = design.MultiPowerLaw(L0=2.375, A=0.654, alpha=0.429,
      ...     B=523.425, C=2.025, beta=0.594, gamma=0.635)
      >>> cos = warmup_cosine_decay(3e-4, warmup_steps=2160, decay_steps=24000,
      ...     end_value=3e-5)
      >>> flat = warmup(constant(3e-4), 2160)
      >>> print(law.predict(cos, [2160, 12000, 24000], warmup_steps=2160).round(4))
      [3.4358 2.7343 2.6017]
      >>> print(law.predict(flat, 24000, warmup_steps=2160).round(4))
      2.6611
    """

    L0: float
    A: float
    alpha: float
    B: float
    C: float
    beta: float
    gamma: float

    _fields = ("L0", "A", "alpha", "B", "C", "beta", "gamma")

    def __post_init__(self):
        for f in self._fields:
            object.__setattr__(self, f, _constant("MultiPowerLaw", f, getattr(self, f)))

    def _losses(self, rates, eta0, warmup_sum, at, nodes):
        nodes = _nodes(self, rates, nodes)
        plan = _stops(np.shape(rates)[0], at)
        pad = (0, plan.padded - plan.top)
        if isinstance(rates, jax.core.Tracer):
            rates = jnp.pad(_f64(rates)[: plan.top], pad)
        else:  # on the host: no small computations to compile
            rates = _f64(np.pad(np.asarray(rates, np.float64)[: plan.top], pad))
        ends, seg, close, where, segments = plan.arrays
        out = _mpl_at(
            self,
            rates,
            _f64(eta0),
            _f64(warmup_sum),
            ends,
            seg,
            close,
            where,
            nodes=nodes,
            segments=segments,
        )
        if isinstance(out, jax.core.Tracer):
            return out[: plan.count][plan.back]
        return _f64(np.asarray(out)[plan.back])  # (back < count)

    def _final(self, rates, eta0, warmup_sum):
        """The exact O(T) sum, :math:`S_k(T)` as a reverse cumulative sum."""
        return _mpl_final(self, rates, eta0, warmup_sum)


def _g_exact(law, eta, tail):
    """``G(eta^-gamma S)`` for the rates ``eta`` and the sums ``S = tail``,
    with the zero-rate limit of the class docstring."""
    pos = eta > 0
    safe = jnp.where(pos, eta, 1.0)
    x = law.C * tail * safe ** (-law.gamma)
    g = -jnp.expm1(-law.beta * jnp.log1p(x))
    return jnp.where(pos, g, jnp.where(tail > 0, 1.0, 0.0))


@jax.jit
def _mpl_final(law, rates, eta0, warmup_sum):
    prev = jnp.concatenate([eta0[None], rates[:-1]])
    tail = jnp.cumsum(rates[::-1])[::-1]  # S_k(T), summed from the end
    ld = law.B * jnp.sum((prev - rates) * _g_exact(law, rates, tail))
    return law.L0 + _power_term(law.A, law.alpha, warmup_sum + tail[0]) - ld


#: Updates per chunk of the recurrence: its (chunk x nodes) arrays are what a
#: call holds at once (2**11 x ~128 float64: 2 MiB each), and they stay in
#: the CPU's caches (one chunk of 2**15 updates is ~8x slower).
_CHUNK = 2**11


class _Stops:
    """Where the recurrence of the fast form stops: the asked ``t`` (sorted,
    unique, ``>= 1``) and the ends of its chunks of ``_CHUNK`` updates.
    Between two stops, the updates ``k`` of a segment are summed at once
    (each carrying ``e^{-r S_k(end)}`` to the segment's end), and a scan runs
    from segment to segment."""

    def __init__(self, T, at):
        at = np.asarray(at, np.int64).reshape(-1)
        if at.size and (at.min() < 0 or at.max() > T):
            raise ValueError(f"the steps asked must be in [0, {T}]; got {at}.")
        asked, self.back = np.unique(at, return_inverse=True)
        live = asked[asked >= 1]
        self.top = int(live.max()) if live.size else 0
        # Sizes rounded up (powers of 2, whole chunks), so that calls with
        # other steps share their compilation; the padding is zero rates
        # after the last stop, which no asked loss reads.
        size = min(_bucket(self.top), _CHUNK)
        chunks = -(-max(self.top, 1) // size)
        self.padded = chunks * size
        bounds = np.arange(1, chunks + 1, dtype=np.int64) * size
        stops = np.union1d(live, bounds)  # every k <= the last stop
        k = np.arange(1, chunks * size + 1, dtype=np.int64)
        glob = np.searchsorted(stops, k)  # the segment of each update
        # The local index of the stop that closes each k's segment.
        close = (stops[glob] - 1 - (k - 1) // size * size).reshape(chunks, size)
        glob = glob.reshape(chunks, size)
        seg = glob - glob[:, :1]
        segments = _bucket(int(seg.max()) + 1)
        # The asked t: the output slot (chunk, local segment) of each.
        c = (np.maximum(asked, 1) - 1) // size
        slot = np.searchsorted(stops, np.maximum(asked, 1)) - glob[c, 0]
        where = c * segments + slot
        self.count = len(asked)
        fill = _bucket(len(asked)) - len(asked)
        # NumPy (a cached plan must not hold arrays of a trace).
        self.arrays = (
            np.concatenate([asked, np.repeat(asked[-1:], fill)]),
            seg.astype(np.int32),
            close.astype(np.int32),
            np.concatenate([where, np.repeat(where[-1:], fill)]),
            segments,
        )


def _bucket(n):
    """The power of 2 at or above ``n`` (at least 16)."""
    return max(16, 1 << max(int(n) - 1, 0).bit_length())


def _stops(T, at):
    if at is None:
        at = _all_steps(T)
    at = np.asarray(at)
    if at.ndim == 1 and at.size == T and T and at[0] == 1 and at[-1] == T:
        return _full_plan(T)
    return _Stops(T, at)


@functools.lru_cache(maxsize=16)
def _full_plan(T):
    return _Stops(T, _all_steps(T))


def _segment_sums(eta, close):
    """``S_k(end) = eta_k + ... + eta_end`` for each update ``k`` of a chunk,
    ``end = close[k]`` the stop that closes its segment: differences of the
    chunk's running sum (off by ~1e-16 of the chunk's area, which moves a
    term ``e^{-r S}`` by ~1e-8 of itself at most, for rates down to 1e-9)."""
    run = jnp.concatenate([jnp.zeros(1, eta.dtype), jnp.cumsum(eta)])
    k = jnp.arange(eta.shape[0], dtype=close.dtype)
    return jnp.where(close == k, eta, run[close + 1] - run[k])


@functools.partial(jax.jit, static_argnames=("nodes", "segments"))
def _mpl_at(law, rates, eta0, warmup_sum, ends, seg, close, where, *, nodes, segments):
    """The losses at the sorted ``ends`` (t in 0 .. T) by the fast form (see
    ``MultiPowerLaw``); ``rates`` are eta_1 .. eta_T, T >= the last end (the
    rates past it, zeros of the padding, are read by no asked loss)."""
    T = rates.shape[0]
    beta, gamma, C = law.beta, law.gamma, law.C
    s1 = jnp.concatenate([jnp.zeros(1, _F64), jnp.cumsum(rates)])
    power = _power_term(law.A, law.alpha, warmup_sum + s1[ends])
    prev = jnp.concatenate([eta0[None], rates[:-1]])
    d = prev - rates
    pos = rates > 0
    log_eta = jnp.log(jnp.where(pos, rates, 1.0))
    inv_c = jnp.where(pos, jnp.exp(gamma * log_eta) / C, 0.0)  # 1 / c_k
    # The grid of u = ln r: its placement does not change the integral.
    big = jnp.max(inv_c) + s1[-1]
    small = jnp.min(jnp.where(pos, inv_c + rates, jnp.inf))
    small = jnp.where(jnp.isfinite(small), small, 1.0)
    big = jnp.where(big > 0, big, 1.0)
    u0 = jax.lax.stop_gradient(_W_LO - jnp.log(big))
    top = jax.lax.stop_gradient(_W_HI - jnp.log(small))
    h = jax.lax.stop_gradient((top - u0) / (nodes - 1))
    u = u0 + h * jnp.arange(nodes, dtype=_F64)
    r = jnp.exp(u)
    # a_kj = (h / Gamma(beta)) c_k^-beta r_j^beta e^{-r_j / c_k}, in logs.
    scale = (
        jnp.log(h)
        - jax.scipy.special.gammaln(beta)
        - beta * (jnp.log(C) - gamma * log_eta)
    )
    scale = jnp.where(pos, scale, -jnp.inf)
    # The nodes left of the grid, where e^{-r (1/c + S)} ~ 1: a geometric sum.
    left = jnp.where(pos, jnp.exp(scale + beta * u0) / jnp.expm1(beta * h), 0.0)
    left_sum = jnp.concatenate([jnp.zeros(1, _F64), jnp.cumsum(d * left)])[ends]
    # Drops to a zero rate count fully (G = 0) while every rate since is 0:
    # U(t) = [eta_t = 0] eta_p, p the last update <= t with a positive rate.
    idx = jnp.arange(1, T + 1)
    last = jax.lax.cummax(jnp.where(pos, idx, 0), axis=0)
    eta_all = jnp.concatenate([eta0[None], rates])
    zero = jnp.where(pos, 0.0, eta_all[last])
    zero = jnp.concatenate([jnp.zeros(1, _F64), zero])[ends]

    chunks, size = seg.shape
    eta_c, d_c, scale_c, inv_c_c = (
        x.reshape(chunks, size) for x in (rates, d, scale, inv_c)
    )

    def chunk(z, x):
        eta, dk, sk, ick, sg, end = x
        tail = _segment_sums(eta, end)  # S_k(end of k's segment)
        terms = dk[:, None] * jnp.exp(
            sk[:, None] + beta * u - r * (ick[:, None] + tail[:, None])
        )
        incoming = jax.ops.segment_sum(terms, sg, segments)
        span = jax.ops.segment_sum(eta, sg, segments)  # each segment's area
        carry = jnp.exp(-span[:, None] * r)

        def hop(z, x):
            z = x[0] * z + x[1]
            return z, jnp.sum(z)

        return jax.lax.scan(hop, z, (carry, incoming))

    xs = (eta_c, d_c, scale_c, inv_c_c, seg, close)
    z0 = jnp.zeros(nodes, _F64)
    if chunks == 1:
        _, kept = chunk(z0, [x[0] for x in xs])
    else:  # the chunks' arrays are recomputed for the gradient, not kept
        _, kept = jax.lax.scan(jax.checkpoint(chunk), z0, xs)
    kept = jnp.concatenate([jnp.zeros(1, _F64), kept.reshape(-1)])
    kept = kept[jnp.where(ends > 0, where + 1, 0)]
    eta_t = eta_all[ends]
    drop = (eta0 - eta_t) - kept - zero - left_sum  # sum_k d_k G_k(t)
    drop = jnp.where(ends > 0, drop, 0.0)
    return law.L0 + power - law.B * drop


_register(MultiPowerLaw, MultiPowerLaw._fields)


@dataclasses.dataclass(frozen=True)
class AnnealingLaw(_Law):
    r"""The scaling law with learning-rate annealing of Tissue et al. (2024),
    "Scaling Law with Learning Rate Annealing":

    .. math::
       L(t) = L_0 + A\,(S_1(t) + S_W)^{-\alpha} - C\, S_2(t), \qquad
       S_2(t) = \sum_{i=1}^{t} m_i, \quad
       m_i = \lambda\, m_{i-1} + (\eta_{i-1} - \eta_i), \ m_0 = 0,

    with the rates :math:`\eta_0, \eta_1, \dots` of the module's conventions
    (:math:`\eta_0` the warmup's last rate, so the warmup's rises are left
    out, as the paper does).  :math:`S_2` is the annealing area of
    ``annealing_area``, computed the same way, :math:`S_2(t) (1 - \lambda) =
    \eta_0 - \eta_t - \lambda m_t`: for a schedule ``s``,
    ``S_2(t) = annealing_area(shift(s, -(W - 1)), t + 1)`` when ``W >= 1``
    (and ``annealing_area(s, t)`` when ``W = 0``).  The momentum runs by one
    ``lax.scan``: O(T) for a whole curve.

    Args:
      L0, A, alpha: the power law in the area under the schedule (> 0).
      C: the weight of the annealing area (> 0).
      decay: :math:`\lambda` in ``[0, 1)``, the momentum's decay (the paper
        uses 0.999); a fixed setting, not a fitted constant (not a leaf).

    Examples:
      >>> from jaxdecay import design
      >>> law = design.AnnealingLaw(L0=2.4, A=0.6, alpha=0.45, C=5.0)
      >>> wsd = warmup_stable_decay(3e-4, 100, 700, 200)
      >>> print(law.predict(wsd, [100, 800, 1000], warmup_steps=100).round(4))
      [6.3891 3.5819 3.3787]
    """

    L0: float
    A: float
    alpha: float
    C: float
    decay: float = 0.999

    _fields = ("L0", "A", "alpha", "C")

    def __post_init__(self):
        for f in self._fields:
            object.__setattr__(self, f, _constant("AnnealingLaw", f, getattr(self, f)))
        lam = self.decay
        if isinstance(lam, bool) or not isinstance(lam, (numbers.Real, np.floating)):
            chk.fail("AnnealingLaw", "decay", lam, "a number in [0, 1)", TypeError)
        lam = chk.number(
            "AnnealingLaw", "decay", lam, low=0.0, high=1.0, high_open=True
        )
        object.__setattr__(self, "decay", float(lam))

    def _losses(self, rates, eta0, warmup_sum, at, nodes):
        at = np.asarray(at, np.int64)
        out = _annealing_losses(self, _f64(rates), _f64(eta0), _f64(warmup_sum))
        if isinstance(out, jax.core.Tracer):
            return out[at]
        return _f64(np.asarray(out)[at])

    def _final(self, rates, eta0, warmup_sum):
        r"""In O(T): :math:`S_2(T) = \sum_k (\eta_{k-1} - \eta_k)
        \frac{1 - \lambda^{T - k + 1}}{1 - \lambda}`."""
        return _annealing_final(self, rates, eta0, warmup_sum)


@jax.jit
def _annealing_final(law, rates, eta0, warmup_sum):
    T = rates.shape[0]
    lam = law.decay
    prev = jnp.concatenate([eta0[None], rates[:-1]])
    age = jnp.arange(T, 0, -1, dtype=_F64)  # T - k + 1
    if lam == 0:
        weight = jnp.ones(T, _F64)
    else:
        weight = -jnp.expm1(age * math.log(lam)) / (1.0 - lam)
    s2 = jnp.sum((prev - rates) * weight)
    area = warmup_sum + jnp.sum(rates)
    return law.L0 + _power_term(law.A, law.alpha, area) - law.C * s2


@jax.jit
def _annealing_losses(law, rates, eta0, warmup_sum):
    lam = law.decay
    s1 = jnp.concatenate([jnp.zeros(1, _F64), jnp.cumsum(rates)])
    power = _power_term(law.A, law.alpha, warmup_sum + s1)
    if rates.shape[0] == 0:
        return law.L0 + power
    prev = jnp.concatenate([eta0[None], rates[:-1]])

    def step(m, dk):
        m = lam * m + dk
        return m, m

    _, m = jax.lax.scan(step, jnp.zeros((), _F64), prev - rates, unroll=8)
    s2 = (eta0 - rates - lam * m) / (1.0 - lam)
    s2 = jnp.concatenate([jnp.zeros(1, _F64), s2])
    return law.L0 + power - law.C * s2


_register(AnnealingLaw, AnnealingLaw._fields, ("decay",))
