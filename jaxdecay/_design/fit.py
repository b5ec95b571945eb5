r"""Fitting a loss-curve law to logged training runs.

:func:`fit` finds the constants of a :class:`MultiPowerLaw` or an
:class:`AnnealingLaw` from a few runs (a schedule, the steps logged and the
losses there), with the papers' objective: a Huber loss on the log of the
loss, minimized from several starts, the constants kept positive by fitting
their logarithms, all in float64.  For the multi-power law a weak prior keeps
the constants of its loss-drop term (which a constant and a cosine run barely
determine) away from the degenerate corners the data alone slide into.  The
minimizer is a Levenberg-Marquardt (Gauss-Newton on the residuals, reweighted
for the Huber loss) in coordinates that decouple the constants; the laws are
evaluated at the logged steps only, by functions compiled once per shape of
the data.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._core import checks as chk
from .laws import (
    AnnealingLaw,
    MultiPowerLaw,
    _annealing_losses,
    _check_area,
    _mpl_at,
    _steps,
    _stops,
    rates_of,
)

__all__ = ["Fit", "fit"]

_F64 = jnp.float64
_LAWS = {
    "mpl": MultiPowerLaw,
    "multi_power": MultiPowerLaw,
    "multipower": MultiPowerLaw,
    "MultiPowerLaw": MultiPowerLaw,
    "annealing": AnnealingLaw,
    "lra": AnnealingLaw,
    "AnnealingLaw": AnnealingLaw,
}
#: Quadrature nodes of the multi-power law while fitting (``NODES`` of
#: ``_laws`` is 128): a grid step of ~0.6 in ln r, an error of at most ~2e-7
#: of the loss drop (2e-9 of the loss at the paper's constants, decays to 0
#: included), far below any logged noise; the fitted law predicts with the
#: full grid.
_NODES = 64
#: The annealing law's rates are padded to a multiple of this many updates.
_PAD = 2048
#: Iterations each start runs before only the best one goes on.
_PROBE = 8
_LAW_NAMES = "MultiPowerLaw (or 'mpl') or AnnealingLaw (or 'annealing')"

#: The prior of ``fit(..., prior="default")``: for each constant, the center
#: and the width (the standard deviation of its natural logarithm) of a
#: log-normal prior.  The multi-power law's loss-drop constants: the paper's
#: fits of 25M, 100M and 400M-parameter models (Adam, peak rate 3e-4) found
#: C = 2.03 .. 2.13, beta = 0.58 .. 0.60, gamma = 0.635 .. 0.655.
PRIORS = {
    MultiPowerLaw: {"C": (2.0, 2.0), "beta": (0.6, 0.5), "gamma": (0.6, 0.2)},
    AnnealingLaw: {},
}


@dataclasses.dataclass(frozen=True)
class Fit:
    r"""A law fitted by :func:`fit`, with its goodness of fit.

    Attributes:
      law: the fitted law (a :class:`MultiPowerLaw` or :class:`AnnealingLaw`).
      r2: :math:`R^2 = 1 - \sum (L_i - \hat L_i)^2 / \sum (L_i - \bar L)^2`
        over every logged point of every run.
      mae: the mean absolute error :math:`\text{mean} |L_i - \hat L_i|`.
      worst_rel_error: per run, :math:`\max_i |L_i - \hat L_i| / L_i`.
      loss: the mean Huber loss of the log-loss residuals at the fit, in
        units of ``huber_delta**2`` (the prior's term left out).
      seconds: the time the fit took.
      noise: :math:`\hat\sigma`, the noise of the log-losses that weighed the
        prior (estimated from the residuals; see :func:`fit`).
      laws: with ``bootstrap > 0``, the laws refitted on the bootstrap
        samples (each run's logged points drawn with replacement); else
        empty.

    Examples:
      >>> from jaxdecay import design
      >>> law = design.AnnealingLaw(L0=2.0, A=0.5, alpha=0.5, C=4.0)
      >>> cos = warmup_cosine_decay(1e-3, warmup_steps=50, decay_steps=1050)
      >>> steps = list(range(100, 1001, 50))
      >>> run = (cos, steps, law.predict(cos, steps, 50))
      >>> f = design.fit(design.AnnealingLaw, [run], 50)
      >>> print(f"{f.r2:.6f}", f.worst_rel_error[0] < 1e-8)
      1.000000 True
    """

    law: Any
    r2: float
    mae: float
    worst_rel_error: tuple
    loss: float
    seconds: float
    noise: float = math.nan
    laws: tuple = ()

    def predict(self, schedule_or_rates, steps, warmup_steps=0) -> np.ndarray:
        """The fitted law's prediction (``law.predict``)."""
        return self.law.predict(schedule_or_rates, steps, warmup_steps)

    def predict_interval(self, schedule_or_rates, steps, warmup_steps=0, q=0.9):
        """The central ``q`` interval of the bootstrap laws' predictions.

        Args:
          schedule_or_rates, steps, warmup_steps: as in ``law.predict``.
          q: the probability the interval covers, in (0, 1).

        Returns:
          ``(low, high)``, two float64 NumPy arrays of the shape of ``steps``.
        """
        func = "Fit.predict_interval"
        if not self.laws:
            raise ValueError(
                f"{func}: the fit has no bootstrap sample; call fit(..., "
                "bootstrap=20) (or more) for an interval."
            )
        q = chk.number(func, "q", q, low=0.0, high=1.0, low_open=True, high_open=True)
        preds = np.stack(
            [w.predict(schedule_or_rates, steps, warmup_steps) for w in self.laws]
        )
        low, high = np.quantile(preds, [(1 - q) / 2, (1 + q) / 2], axis=0)
        return low, high


# ---------------------------------------------------------------------------
# Arguments.


def _law_class(law_class):
    if isinstance(law_class, str):
        if law_class in _LAWS:
            return _LAWS[law_class]
        chk.fail("fit", "law_class", law_class, _LAW_NAMES)
    if law_class is MultiPowerLaw or law_class is AnnealingLaw:
        return law_class
    chk.fail("fit", "law_class", law_class, f"the class {_LAW_NAMES}", TypeError)


def _losses(func, name, value, size):
    what = f"a 1-D sequence of {size} finite, positive losses (one per step)"
    try:
        arr = np.asarray(value, np.float64)
    except (TypeError, ValueError):
        chk.fail(func, name, value, what, TypeError)
    if arr.ndim != 1 or arr.size != size:
        chk.fail(func, name, value, what)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        chk.fail(func, name, value, what)
    return arr


def _prior(func, cls, prior):
    """The prior as ``{name: (center, width)}``, checked."""
    what = "'default', None, or a dict of constant: (center, width)"
    if prior is None:
        return {}
    if isinstance(prior, str):
        if prior == "default":
            return dict(PRIORS[cls])
        chk.fail(func, "prior", prior, what)
    if not isinstance(prior, dict):
        chk.fail(func, "prior", prior, what, TypeError)
    out = {}
    for name, pair in prior.items():
        if name not in cls._fields:
            chk.fail(
                func,
                "prior",
                prior,
                f"a dict keyed by constants of {cls.__name__} "
                f"({', '.join(cls._fields)})",
            )
        key = f"prior[{name!r}]"
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            chk.fail(func, key, pair, "a (center, width) pair", TypeError)
        center = chk.number(func, f"{key} center", pair[0], low=0.0, low_open=True)
        width = chk.number(func, f"{key} width", pair[1], low=0.0, low_open=True)
        out[name] = (center, width)
    return out


@dataclasses.dataclass
class _Run:
    rates: np.ndarray
    eta0: float
    warmup_sum: float
    t: np.ndarray
    losses: np.ndarray


def _runs(func, runs, warmup_steps):
    if isinstance(runs, (str, bytes)) or not isinstance(runs, (list, tuple)):
        chk.fail(func, "runs", runs, "a list of (schedule, steps, losses)", TypeError)
    if not runs:
        chk.fail(func, "runs", runs, "a non-empty list of (schedule, steps, losses)")
    if isinstance(warmup_steps, (list, tuple)):
        if len(warmup_steps) != len(runs):
            chk.fail(
                func,
                "warmup_steps",
                warmup_steps,
                f"an integer, or one per run ({len(runs)})",
            )
        ws = [chk.integer(func, "warmup_steps", w) for w in warmup_steps]
    else:
        ws = [chk.integer(func, "warmup_steps", warmup_steps)] * len(runs)
    out = []
    for i, (run, w) in enumerate(zip(runs, ws, strict=True)):
        if not isinstance(run, (list, tuple)) or len(run) != 3:
            chk.fail(
                func, f"runs[{i}]", run, "a (schedule, steps, losses) triple", TypeError
            )
        schedule, steps, losses = run
        n = _steps(func, steps, w)
        if n.ndim != 1 or n.size == 0:
            chk.fail(
                func, f"runs[{i}] steps", steps, "a non-empty 1-D sequence of steps"
            )
        y = _losses(func, f"runs[{i}] losses", losses, n.size)
        rates, eta0, sw = rates_of(schedule, max(int(n.max()), 1), w, func=func)
        t = n - w
        _check_area(func, rates, sw, t, w)
        out.append(_Run(rates[: int(t.max())], eta0, sw, t, y))
    return out


def _s1(run):
    return np.concatenate([[0.0], np.cumsum(run.rates)])


def _peak(runs):
    return max(max(r.eta0, float(r.rates.max(initial=0.0))) for r in runs)


# ---------------------------------------------------------------------------
# The residuals, compiled once per law and shape of the data.


def _huber(z):
    """Huber's loss of ``z`` in units of delta (delta = 1)."""
    a = np.abs(z)
    return 0.5 * np.minimum(a, 1.0) ** 2 + np.maximum(a - 1.0, 0.0)


def _log(x):
    """``log x``, continued linearly below 1e-6 (a law predicting a negative
    loss is pushed back, never NaN)."""
    floor = 1e-6
    safe = jnp.maximum(x, floor)
    return jnp.where(x > floor, jnp.log(safe), math.log(floor) + (x - floor) / floor)


def _constants(cls, p, frame, xp=jnp):
    """The law's constants (an array) from the coordinates ``p``: logs of
    the constants, each taken at a reference point of the data so that they
    are nearly independent (the constants themselves are strongly coupled: A
    with alpha, C with gamma, B with beta and C).  ``frame = (log S, log
    eta)``, ``S`` the median area at the logged points, ``eta`` the peak
    rate.  The coordinates: ``log L0``, ``log(A S^-alpha)``, ``log alpha``;
    for the multi-power law ``log(B G(x))`` with ``x = C eta^-gamma S`` the
    argument of G there, ``log x``, ``log beta``, ``log gamma``; for the
    annealing law ``log(C eta S / 1000)``.  ``xp``: ``jax.numpy`` or
    ``numpy``."""
    log_s, log_eta = frame[0], frame[1]
    e = xp.exp(p)
    alpha = e[2]
    A = xp.exp(p[1] + alpha * log_s)
    if cls is AnnealingLaw:
        C = xp.exp(p[3] - log_eta - log_s + math.log(1000.0))
        return xp.stack([e[0], A, alpha, C])
    beta, gamma = e[5], e[6]
    x = e[4]
    C = xp.exp(p[4] + gamma * log_eta - log_s)
    B = e[3] / -xp.expm1(-beta * xp.log1p(x))
    return xp.stack([e[0], A, alpha, B, C, beta, gamma])


def _coordinates(cls, c, frame):
    """The coordinates of the constants ``c`` (NumPy; see ``_constants``)."""
    log_s, log_eta = frame
    c = np.asarray(c, np.float64)
    p = np.log(c)
    p[1] = math.log(c[1]) - c[2] * log_s
    if cls is AnnealingLaw:
        p[3] = math.log(c[3]) + log_eta + log_s - math.log(1000.0)
        return p
    B, C, beta, gamma = c[3], c[4], c[5], c[6]
    log_x = math.log(C) - gamma * log_eta + log_s
    p[4] = log_x
    p[3] = math.log(B) + math.log(-math.expm1(-beta * math.log1p(math.exp(log_x))))
    return p


def _rows(p, scale, frame, runs, logs, prior, delta, *, cls, meta, segments):
    """The fit's residuals: ``(log L_i - log L_hat_i) / delta`` at every
    logged point, then ``scale (log c - log center) / width`` for each
    constant (0 for a constant without a prior: width = inf)."""
    values = _constants(cls, p, frame)
    template = cls(**dict.fromkeys(cls._fields, 1.0), **dict(meta))
    _, tree = jax.tree_util.tree_flatten(template)
    law = jax.tree_util.tree_unflatten(tree, [values[i] for i in range(len(values))])
    preds = []
    for run, seg in zip(runs, segments, strict=True):
        if cls is MultiPowerLaw:
            out = _mpl_at(
                law,
                run["rates"],
                run["eta0"],
                run["sw"],
                run["ends"],
                run["seg"],
                run["close"],
                run["where"],
                nodes=_NODES,
                segments=seg,
            )
        else:
            out = _annealing_losses(law, run["rates"], run["eta0"], run["sw"])
        preds.append(out[run["back"]])
    rows = (logs - _log(jnp.concatenate(preds))) / delta
    center, width = prior
    return jnp.concatenate([rows, scale * (jnp.log(values) - center) / width])


def _guess_rows(p, scale, area, drop, logs, delta):
    """The residuals of the multi-power law with G = 1: ``L0 + A area^-alpha
    - B drop``, with ``p`` the logs of ``L0, A, alpha, B``."""
    L0, A, alpha, B = (jnp.exp(p[i]) for i in range(4))
    return (logs - _log(L0 + A * area ** (-alpha) - B * drop)) / delta


def _with_jacobian(fn):
    """``fn``'s value and Jacobian w.r.t. its first argument (forward mode),
    in one function: compiled once, and a trial point's Jacobian is at hand
    when the step is taken."""

    def both(p, *args, **kwargs):
        def pair(q):
            rows = fn(q, *args, **kwargs)
            return rows, rows

        jac, rows = jax.jacfwd(pair, has_aux=True)(p)
        return rows, jac

    return both


_STATIC = ("cls", "meta", "segments")
_ROWS = jax.jit(_with_jacobian(_rows), static_argnames=_STATIC)
_GUESS = jax.jit(_with_jacobian(_guess_rows))


class _Problem:
    """The residuals ``r`` of the fit as a function of its coordinates (the
    first ``points`` with Huber's loss, the rest squared) and their
    Jacobian; the objective is ``sum_i w_i huber(r_i) + sum_j r_j^2 / 2``,
    ``w`` the bootstrap's weights, ``scale`` the weight of the prior's rows
    (see ``fit``)."""

    def __init__(self, fn, points, args, static=None):
        self.fn = fn
        self.points = points
        self.args, self.static = args, static or {}
        self.iterations = 0

    def residuals(self, x, scale):
        """The residuals and their Jacobian at ``x`` (NumPy)."""
        with jax.enable_x64(True):
            p = jnp.asarray(x, _F64)
            rows, jac = self.fn(p, jnp.asarray(scale, _F64), *self.args, **self.static)
            return np.asarray(rows), np.asarray(jac)

    def value(self, r, w):
        n = self.points
        v = float(np.sum(w * _huber(r[:n])) + 0.5 * np.sum(r[n:] ** 2))
        return v if np.isfinite(v) else np.inf

    def minimize(self, x, w, scale, max_iter, tol):
        """Levenberg-Marquardt on the objective: each step minimizes the
        quadratic that majorizes it at ``x`` (Gauss-Newton on the residuals,
        those past delta weighted by ``1 / |r|``: iteratively reweighted
        least squares), damped by ``mu diag(H)`` until the objective falls;
        ``mu`` falls after each success.  Stops when a step lowers the
        objective by less than ``tol`` of itself (at least of the number of
        points)."""
        x = np.asarray(x, np.float64)
        r, jac = self.residuals(x, scale)
        v = self.value(r, w)
        mu = 1e-3
        self.iterations = 0
        n = self.points
        for _ in range(max_iter):
            self.iterations += 1
            jd, jp = jac[:n], jac[n:]
            om = w * np.minimum(1.0, 1.0 / np.maximum(np.abs(r[:n]), 1e-300))
            h = jd.T @ (om[:, None] * jd) + jp.T @ jp
            g = jd.T @ (w * np.clip(r[:n], -1.0, 1.0)) + jp.T @ r[n:]
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
                break
            diag = np.abs(np.diag(h))
            diag = np.maximum(diag, 1e-12 * max(float(diag.max()), 1e-300))
            moved = False
            for _ in range(40):
                try:
                    step = -np.linalg.solve(h + mu * np.diag(diag), g)
                except np.linalg.LinAlgError:
                    mu *= 4.0
                    continue
                r_new, jac_new = self.residuals(x + step, scale)
                v_new = self.value(r_new, w)
                if v_new < v:
                    moved = True
                    break
                mu *= 4.0
            if not moved:
                break
            x, r, jac, drop, v = x + step, r_new, jac_new, v - v_new, v_new
            mu = max(mu / 4.0, 1e-12)
            if drop <= tol * max(v, n) or np.max(np.abs(step)) < 1e-9:
                break
        return x, v


def _arrays(cls, runs):
    """The runs as the compiled residuals read them, and the static sizes:
    for the multi-power law the plan of the recurrence's stops (see
    ``_laws._Stops``) and the rates padded to its chunks; for the annealing
    law the rates padded to a multiple of ``_PAD`` (so that runs of about
    the same length share a compilation)."""
    out, segments = [], []
    for r in runs:
        if cls is MultiPowerLaw:
            plan = _stops(len(r.rates), r.t)
            rates = np.pad(r.rates[: plan.top], (0, plan.padded - plan.top))
            ends, seg, close, where, size = plan.arrays
            arrays = {"ends": ends, "seg": seg, "close": close, "where": where}
            back = plan.back
        else:  # zero rates after the last logged step, read by no loss
            padded = -(-max(len(r.rates), 1) // _PAD) * _PAD
            rates = np.pad(r.rates, (0, padded - len(r.rates)))
            arrays, back, size = {}, r.t, 0
        arrays.update(rates=rates, eta0=r.eta0, sw=r.warmup_sum, back=back)
        with jax.enable_x64(True):
            out.append({k: jnp.asarray(v) for k, v in arrays.items()})
        segments.append(size)
    return tuple(out), tuple(segments)


# ---------------------------------------------------------------------------
# Starting points and the noise.


def _first_guess(runs, delta):
    """``(L0, A, alpha, B)`` of the multi-power law with G = 1 (the drop
    ``B (eta_0 - eta_t)`` at once): cheap, best of a few starts."""
    y = np.concatenate([r.losses for r in runs])
    area = np.concatenate([r.warmup_sum + _s1(r)[r.t] for r in runs])
    drop = np.concatenate(
        [r.eta0 - np.concatenate([[r.eta0], r.rates])[r.t] for r in runs]
    )
    lowest = float(y.min())
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(a, _F64) for a in (area, drop, np.log(y), delta))
    problem = _Problem(_GUESS, len(y), args)
    w = np.ones(len(y))
    best = (np.inf, None)
    for frac in (0.5, 0.8, 0.95):
        L0 = lowest * frac
        slope, icpt = np.polyfit(np.log(area), np.log(np.maximum(y - L0, 1e-9)), 1)
        alpha = float(np.clip(-slope, 0.05, 3.0))
        x0 = np.log([L0, float(np.exp(icpt)), alpha, 0.05 * lowest / _peak(runs)])
        x, v = problem.minimize(x0, w, 0.0, 30, 1e-6)
        if v < best[0]:
            best = (v, x)
    return best[1]


def _starts(cls, runs, count, seed, delta, prior):
    """``count`` starting points (constants): a first guess, and a spread of
    the remaining constants (the first at the prior's centers)."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([r.losses for r in runs])
    peak = _peak(runs)
    rows = []
    if cls is MultiPowerLaw:
        L0, A, alpha, B = np.exp(_first_guess(runs, delta))
        # kappa = C eta^(1 - gamma) is the G argument of one step at the peak.
        grid = [(0.1, 0.6, 0.6), (0.03, 0.4, 0.5), (0.3, 0.8, 0.7), (0.1, 0.3, 0.3)]
        beta = prior.get("beta", (0.6, 0))[0]
        gamma = prior.get("gamma", (0.6, 0))[0]
        kappa = prior["C"][0] * peak ** (1.0 - gamma) if "C" in prior else 0.1
        grid[0] = (kappa, beta, gamma)
        for i in range(count):
            kappa, beta, gamma = grid[i % len(grid)]
            if i >= len(grid):
                kappa *= math.exp(rng.normal(0, 0.7))
                beta *= math.exp(rng.normal(0, 0.3))
                gamma *= math.exp(rng.normal(0, 0.3))
            C = kappa * peak ** (gamma - 1.0)
            rows.append([L0, A, alpha, B, C, beta, gamma])
    else:
        lowest = float(y.min())
        area = np.concatenate([r.warmup_sum + _s1(r)[r.t] for r in runs])
        longest = max(len(r.rates) for r in runs)
        for i in range(count):
            frac = (0.8, 0.5, 0.95)[i % 3]
            if i >= 3:
                frac = min(frac * math.exp(rng.normal(0, 0.1)), 0.99)
            L0 = lowest * frac
            slope, icpt = np.polyfit(np.log(area), np.log(np.maximum(y - L0, 1e-9)), 1)
            alpha = float(np.clip(-slope, 0.05, 3.0))
            # C S2 a few percent of the loss; S2 <= peak * steps.
            C = (0.03, 0.1, 0.01)[(i // 3) % 3] * lowest / (peak * min(longest, 1000))
            rows.append([L0, float(np.exp(icpt)), alpha, C])
    return rows


def _noise(runs):
    """The noise of the log-losses from the data alone: a robust scale (the
    median absolute value / 0.6745) of each run's second differences of the
    log-losses at consecutive logged steps, ``a y_0 - y_1 + c y_2`` with
    ``a, c`` cancelling a straight line, normalized to the noise's variance."""
    parts = []
    for r in runs:
        order = np.argsort(r.t, kind="stable")
        t = r.t[order].astype(np.float64)
        y = np.log(r.losses[order])
        if len(t) < 3:
            continue
        h1, h2 = np.diff(t)[:-1], np.diff(t)[1:]
        ok = (h1 > 0) & (h2 > 0)
        a = np.where(ok, h2 / np.maximum(h1 + h2, 1.0), 0.0)
        c = 1.0 - a
        e = (a * y[:-2] - y[1:-1] + c * y[2:]) / np.sqrt(a * a + 1.0 + c * c)
        parts.append(e[ok])
    e = np.concatenate(parts) if parts else np.zeros(0)
    return float(np.median(np.abs(e)) / 0.6745) if e.size >= 3 else math.nan


def _spread(residuals, params):
    """The noise of the log-losses from the fit's residuals: their median
    absolute value / 0.6745, for the degrees of freedom the fit used."""
    n = residuals.size
    return float(
        np.median(np.abs(residuals)) / 0.6745 * math.sqrt(n / max(n - params, 1))
    )


# ---------------------------------------------------------------------------
# The fit.


def fit(
    law_class,
    runs,
    warmup_steps=0,
    *,
    prior="default",
    starts=4,
    huber_delta=1e-3,
    seed=0,
    bootstrap=0,
    decay=0.999,
    max_iter=200,
    tol=1e-10,
) -> Fit:
    r"""Fits a loss-curve law's constants to logged runs.

    The fitted constants :math:`\theta` minimize

    .. math::
       F(\theta) = \sum_{\text{runs}} \sum_i
       \rho\Big(\frac{\log L_i - \log \hat L_\theta(t_i)}{\delta}\Big)
       + \frac{\hat\sigma^2}{\delta^2} \sum_{c \in \text{prior}}
       \frac{(\log c - \log \mu_c)^2}{2 w_c^2}, \qquad
       \rho(z) = \begin{cases} z^2 / 2 & |z| \le 1 \\
       |z| - 1/2 & \text{else,} \end{cases}

    the papers' Huber loss of the log-loss residuals (threshold
    :math:`\delta` = ``huber_delta``) plus a log-normal prior of some
    constants (center :math:`\mu_c`, width :math:`w_c`: the standard
    deviation of :math:`\log c`).  With the weight
    :math:`\hat\sigma^2 / \delta^2`, :math:`F \delta^2 / \hat\sigma^2` is
    the negative log-posterior of normal log-loss noise of standard deviation
    :math:`\hat\sigma`: the fit is a maximum a posteriori estimate, and the
    prior counts as much as it should next to the data (little where many
    precise points determine a constant).  :math:`\hat\sigma` is estimated:
    first from the data alone (the second differences of each run's
    log-losses at consecutive logged steps), then from the fit's residuals
    (their median absolute value / 0.6745, for the constants fitted), the
    fit repeated while it moves by more than 10%.  ``Fit.noise`` is the
    last.

    **Why a prior.**  A constant and a cosine run hardly determine the shape
    of the multi-power law's loss drop: ``B, C, beta, gamma`` act on such
    curves mostly through a few combinations.  With noise of 1e-3, the
    Huber fit alone slides down a valley to ``beta -> 0`` with ``B, C ->
    inf`` (there ``B G(x) ~ B beta log(C x)``, a logarithmic kernel) and fits
    the noise; its predictions for a WSD then miss by 0.2-0.8% (see below).
    This is the data's limit, not the minimizer's: at the paper's constants,
    the Cramer-Rao bound of the prediction of a 10% WSD, the least spread of
    any unbiased estimate, is ~0.2% at its worst step for noise 1e-3 added
    to the loss and ~0.6% for relative noise, with 219 logged points per
    run.  A prior settles what the data leave open, and it must be weak:
    these constants depend on the model, the optimizer and the scale of the
    rate.  The paper's fits of 25M-400M-parameter models (Adam near 3e-4)
    found C 2.03-2.13, beta 0.58-0.60, gamma 0.635-0.655, but the byte-level
    model of ``examples/design_schedule.py`` at a peak of 1e-2 (Adam, 2,000 steps)
    wants C ~0.09, beta ~0.5, gamma ~0.7 (a loss drop that takes hundreds of
    steps to arrive): a prior held near the paper's values (widths 0.5, 0.15,
    0.15) predicted its 20% WSD 2.9% too low, this one 0.13%.  The default,
    ``prior="default"``, for :class:`MultiPowerLaw`: ``C`` 2.0 (width 2.0, a
    factor of 7 either way), ``beta`` 0.6 (0.5), ``gamma`` 0.6 (0.2); none
    for :class:`AnnealingLaw`, whose constants two runs determine.  Runs
    with a sharp decay among them, or more and more precise points, let the
    data decide.  ``prior=None`` fits the papers' objective alone; a dict
    gives your own.

    **Measured** (``scripts/design_fit_accuracy.py``: the paper's 400M
    constants, 24,000 steps, a 2,160-step warmup to 3e-4; a constant and a
    cosine run fitted, with noise 1e-3 added to the loss or relative; the
    relative error at any logged step of a WSD with a 10% decay to 0, the
    worst of the schedules predicted (WSDs with 10% and 20% decays to 0 and
    to 3e-5, a linear decay to 0); median / worst of 12 seeds; the last
    column counts the seeds where any schedule missed by 0.2% or more):

    ==========  ======  ========  =============  ==============  =======
    cosine to   logged  noise     default prior  no prior [*]    seeds
                                                                 >= 0.2%
    ==========  ======  ========  =============  ==============  =======
    10% (3e-5)  /100    added     0.07% / 0.14%  0.60% / 0.82%   0 / 12
    10% (3e-5)  /100    relative  0.11% / 0.43%  0.80% / 1.14%   5 / 12
    10% (3e-5)  /10     added     0.08% / 0.12%                  0 / 12
    10% (3e-5)  /10     relative  0.08% / 0.18%                  0 / 12
    0           /100    added     0.07% / 0.37%  0.16% / 0.57%   1 / 12
    0           /100    relative  0.20% / 0.65%  0.42% / 1.12%   6 / 12
    0           /10     added     0.03% / 0.13%                  0 / 12
    0           /10     relative  0.09% / 0.32%                  2 / 12
    ==========  ======  ========  =============  ==============  =======

    ([*] 6 seeds.)  The largest errors are a 10% decay to 0, the farthest
    from what a cosine shows; with noise added, a 10% decay to 3e-5 after a
    cosine to 3e-5 stays within 0.11%, a 20% decay to 0 within 0.10%, a
    linear decay within 0.04%.  Relative noise logged every 100 steps is
    where the data say least (the Cramer-Rao spread above): there the prior
    decides, and it is wide on purpose.  Laws away from the prior's centers
    (a cosine to 10%, every 100 steps, 6 seeds): ``C = 3, beta = gamma =
    0.75`` within 0.07% with noise added, 0.09% / 0.23% with relative noise;
    ``C = 1, beta = 0.3, gamma = 0.4`` 0.14% / 0.29% added,
    0.27% / 0.52% relative.
    :class:`AnnealingLaw` on its own curves: within 0.05% everywhere.  A fit
    takes ~0.6 s of CPU at this size (0.8 s logging every 10 steps) after
    the first in a process, which compiles the law's residuals and their
    Jacobian for the data's shape (~2.5 s more; fits of data of the same
    shape reuse it).

    **Minimizer.**  Levenberg-Marquardt: Gauss-Newton steps on the
    residuals, those past :math:`\delta` reweighted by
    :math:`\delta / |r|` (the quadratic that majorizes the Huber loss),
    damped until :math:`F` falls; the Jacobian by forward-mode automatic
    differentiation, in float64.  It moves in logarithms of the constants
    (which keeps them positive) taken at a reference point of the data (with
    ``S`` the median area logged and :math:`\hat\eta` the peak rate:
    :math:`A S^{-\alpha}`, :math:`x = C \hat\eta^{-\gamma} S`,
    :math:`B\,G(x)`), where the constants themselves trade off along curved
    valleys.  Each of ``starts`` starting points runs a few iterations and
    the best one goes on to convergence.  For the multi-power law the starts
    share a first guess of :math:`L_0, A, \alpha, B` (the law with
    :math:`G = 1`, fitted the same way) and spread :math:`C, \beta, \gamma`
    (the first at the prior's centers).  The law is evaluated at the logged
    steps only (its recurrence jumps from one to the next), with 64
    quadrature nodes (an error below ~2e-7 of the loss drop; the fitted law
    predicts with the full grid).

    Args:
      law_class: ``MultiPowerLaw`` or ``AnnealingLaw`` (or ``"mpl"``,
        ``"annealing"``).
      runs: a list of ``(schedule_or_rates, steps, losses)``: a jaxdecay
        schedule, a callable of the step or the rates of updates ``0 ..
        N - 1``; the global steps logged (``>= warmup_steps``); the losses
        there (finite, positive).
      warmup_steps: ``W``, an integer or one per run (see the laws'
        conventions).
      prior: ``"default"`` (above), ``None`` (no prior), or a dict
        ``{constant: (center, width)}`` (both positive; the width is the
        standard deviation of the constant's natural logarithm, so 0.1 is
        about 10%).
      starts: the number of starting points (>= 1).
      huber_delta: :math:`\delta` (the papers use 1e-3).
      seed: for the starts beyond the first four.
      bootstrap: refit on this many bootstrap samples (each run's points
        drawn with replacement, started from the fit, the prior and
        :math:`\hat\sigma` kept) for ``Fit.predict_interval``; 0 for none.
      decay: :math:`\lambda` of ``AnnealingLaw`` (fixed, not fitted).
      max_iter, tol: the iteration limit of each minimization, and the fall
        of the objective (relative to itself or to the number of points)
        under which a step ends it.

    Returns:
      A :class:`Fit`.

    Examples:
      >>> from jaxdecay import design
      >>> true = design.AnnealingLaw(L0=2.0, A=0.5, alpha=0.5, C=4.0)
      >>> flat = warmup(constant(1e-3), 50)
      >>> steps = list(range(60, 1001, 20))
      >>> cos = warmup_cosine_decay(1e-3, 50, 1050)
      >>> runs = [(s, steps, true.predict(s, steps, 50)) for s in (flat, cos)]
      >>> f = design.fit("annealing", runs, warmup_steps=50)
      >>> wsd = warmup_stable_decay(1e-3, 50, 750, 250)
      >>> err = f.predict(wsd, 1050, 50) / true.predict(wsd, 1050, 50) - 1
      >>> print(f"{f.r2:.4f} {abs(err) < 1e-4}")
      1.0000 True
    """
    func = "fit"
    began = time.perf_counter()
    cls = _law_class(law_class)
    count = chk.integer(func, "starts", starts, low=1)
    delta = chk.number(func, "huber_delta", huber_delta, low=0.0, low_open=True)
    seed = chk.integer(func, "seed", seed)
    boot = chk.integer(func, "bootstrap", bootstrap)
    max_iter = chk.integer(func, "max_iter", max_iter, low=1)
    tol = chk.number(func, "tol", tol, low=0.0)
    beliefs = _prior(func, cls, prior)
    data = _runs(func, runs, warmup_steps)
    fields = cls._fields
    points = sum(len(d.t) for d in data)
    if points <= len(fields):
        chk.fail(
            func,
            "runs",
            f"<{points} logged points>",
            f"at least {len(fields) + 1} logged points in all, to fit "
            f"{len(fields)} constants",
        )
    meta = {"decay": decay} if cls is AnnealingLaw else {}
    cls(**dict.fromkeys(fields, 1.0), **meta)  # checks decay
    areas = np.concatenate([d.warmup_sum + _s1(d)[d.t] for d in data])
    frame = (math.log(float(np.median(areas))), math.log(_peak(data)))
    names = [f for f in fields if f in beliefs]
    arrays, segments = _arrays(cls, data)
    with jax.enable_x64(True):
        args = (
            jnp.asarray(frame, _F64),
            arrays,
            jnp.asarray(np.log(np.concatenate([d.losses for d in data])), _F64),
            # A row for every constant (of width inf: 0 where no prior), so
            # that fits with other priors share the compiled residuals.
            (
                jnp.asarray([math.log(beliefs.get(f, (1.0,))[0]) for f in fields]),
                jnp.asarray([beliefs.get(f, (0, math.inf))[1] for f in fields]),
            ),
            jnp.asarray(delta, _F64),
        )
    static = {"cls": cls, "meta": tuple(meta.items()), "segments": segments}
    problem = _Problem(_ROWS, points, args, static)
    # The prior weighs as a normal log-likelihood of the points with the
    # noise sigma would: in the objective's units (delta^2), (sigma/delta)^2.
    sigma = _noise(data)
    sigma = max(sigma if np.isfinite(sigma) else delta, 1e-9)
    w = np.ones(points)
    best = (np.inf, None)
    # Every start for a few iterations, then the best one to the end.
    for c0 in _starts(cls, data, count, seed, delta, beliefs):
        x0 = _coordinates(cls, c0, frame)
        x, v = problem.minimize(x0, w, sigma / delta, min(_PROBE, max_iter), tol)
        if v < best[0]:
            best = (v, x)
    if best[1] is None or not np.isfinite(best[0]):
        raise ValueError(
            f"{func}: no start gave a finite objective; check that the losses "
            "and the schedules belong together."
        )
    x = best[1]
    if max_iter > _PROBE:
        x, _ = problem.minimize(x, w, sigma / delta, max_iter, tol)
    for _ in range(3 if names else 0):
        # sigma again, from the residuals; the fit again if it moved.
        fresh = _spread(delta * problem.residuals(x, 0.0)[0][:points], len(fields))
        fresh = max(fresh, 1e-9)
        if abs(math.log(fresh / sigma)) < math.log(1.1):
            break
        sigma = fresh
        x, _ = problem.minimize(x, w, sigma / delta, max_iter, tol)

    def law_of(row):
        values = _constants(cls, np.asarray(row, np.float64), frame, np)
        return cls(**dict(zip(fields, values.tolist(), strict=True)), **meta)

    law = law_of(x)
    preds = [
        np.asarray(law.losses_at(d.rates, d.eta0, d.warmup_sum, d.t)) for d in data
    ]
    laws = ()
    if boot:
        rng = np.random.default_rng(seed + 1)
        rows = []
        for _ in range(boot):
            wb = np.concatenate(
                [
                    rng.multinomial(len(d.t), np.full(len(d.t), 1 / len(d.t)))
                    for d in data
                ]
            ).astype(np.float64)
            rows.append(problem.minimize(x, wb, sigma / delta, max_iter, tol)[0])
        laws = tuple(law_of(row) for row in rows)
    y = np.concatenate([d.losses for d in data])
    p = np.concatenate(preds)
    r2 = 1.0 - float(np.sum((y - p) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-300))
    return Fit(
        law=law,
        r2=r2,
        mae=float(np.mean(np.abs(y - p))),
        worst_rel_error=tuple(
            float(np.max(np.abs(pr - d.losses) / d.losses))
            for pr, d in zip(preds, data, strict=True)
        ),
        loss=float(np.mean(_huber((np.log(y) - np.log(p)) / delta))),
        seconds=time.perf_counter() - began,
        noise=sigma,
        laws=laws,
    )
