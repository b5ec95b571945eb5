"""Bad input: every constructor rejects nonsense when it is built, with a
ValueError or TypeError whose message names the function, the parameter and
the offending value; traced parameters (inside jax.vmap or jax.jit) are never
checked, so building a schedule from them does not raise.
"""

from __future__ import annotations

import math
import re

import catalog
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdecay as jd

NAN, INF = float("nan"), float("inf")
COS = jd.cosine_decay(1.0, 10)
ONE, TWO = jd.constant(1.0), jd.constant(2.0)


def fails(func, param, shown):
    """The project's message: ``func: `param` must be ...; got param=shown.``"""
    return (
        rf"^{re.escape(func)}: `{re.escape(param)}` .*; got "
        rf"{re.escape(param)}={re.escape(shown)}\.$"
    )


# (id, build, error type, match)
CASES = [
    # constant
    (
        "constant-nan",
        lambda: jd.constant(NAN),
        ValueError,
        fails("constant", "value", "nan"),
    ),
    (
        "constant-inf",
        lambda: jd.constant(-INF),
        ValueError,
        fails("constant", "value", "-inf"),
    ),
    (
        "constant-str",
        lambda: jd.constant("0.1"),
        TypeError,
        fails("constant", "value", "'0.1'"),
    ),
    (
        "constant-none",
        lambda: jd.constant(None),
        TypeError,
        fails("constant", "value", "None"),
    ),
    (
        "constant-bool",
        lambda: jd.constant(True),
        TypeError,
        fails("constant", "value", "True"),
    ),
    (
        "constant-complex",
        lambda: jd.constant(1 + 2j),
        TypeError,
        fails("constant", "value", "(1+2j)"),
    ),
    (
        "constant-vector",
        lambda: jd.constant([0.1, 0.2]),
        TypeError,
        fails("constant", "value", "[0.1, 0.2]"),
    ),
    (
        "constant-np-nan",
        lambda: jd.constant(np.float32("nan")),
        ValueError,
        r"^constant: `value` .*; got value=.*nan",
    ),
    # linear_decay
    (
        "linear_decay-init-nan",
        lambda: jd.linear_decay(NAN, 0.1),
        ValueError,
        fails("linear_decay", "init_value", "nan"),
    ),
    (
        "linear_decay-rate-negative",
        lambda: jd.linear_decay(0.1, -0.1),
        ValueError,
        fails("linear_decay", "decay_rate", "-0.1"),
    ),
    (
        "linear_decay-rate-inf",
        lambda: jd.linear_decay(0.1, INF),
        ValueError,
        fails("linear_decay", "decay_rate", "inf"),
    ),
    (
        "linear_decay-rate-str",
        lambda: jd.linear_decay(0.1, "0.1"),
        TypeError,
        fails("linear_decay", "decay_rate", "'0.1'"),
    ),
    (
        "linear_decay-steps-zero",
        lambda: jd.linear_decay(0.1, 0.1, transition_steps=0),
        ValueError,
        fails("linear_decay", "transition_steps", "0"),
    ),
    (
        "linear_decay-steps-negative",
        lambda: jd.linear_decay(0.1, 0.1, transition_steps=-5),
        ValueError,
        fails("linear_decay", "transition_steps", "-5"),
    ),
    (
        "linear_decay-steps-nan",
        lambda: jd.linear_decay(0.1, 0.1, transition_steps=NAN),
        ValueError,
        fails("linear_decay", "transition_steps", "nan"),
    ),
    (
        "linear_decay-stairs-fraction",
        lambda: jd.linear_decay(0.1, 0.1, transition_steps=2.5, staircase=True),
        ValueError,
        fails("linear_decay", "transition_steps", "2.5"),
    ),
    (
        "linear_decay-staircase-str",
        lambda: jd.linear_decay(0.1, 0.1, staircase="yes"),
        TypeError,
        fails("linear_decay", "staircase", "'yes'"),
    ),
    (
        "linear_decay-end-nan",
        lambda: jd.linear_decay(0.1, 0.1, end_value=NAN),
        ValueError,
        fails("linear_decay", "end_value", "nan"),
    ),
    # exponential_decay
    (
        "exponential_decay-rate-zero",
        lambda: jd.exponential_decay(0.1, 0.0),
        ValueError,
        fails("exponential_decay", "decay_rate", "0.0"),
    ),
    (
        "exponential_decay-rate-negative",
        lambda: jd.exponential_decay(0.1, -0.5),
        ValueError,
        fails("exponential_decay", "decay_rate", "-0.5"),
    ),
    (
        "exponential_decay-rate-nan",
        lambda: jd.exponential_decay(0.1, NAN),
        ValueError,
        fails("exponential_decay", "decay_rate", "nan"),
    ),
    (
        "exponential_decay-steps-zero",
        lambda: jd.exponential_decay(0.1, 0.9, transition_steps=0),
        ValueError,
        fails("exponential_decay", "transition_steps", "0"),
    ),
    (
        "exponential_decay-begin-negative",
        lambda: jd.exponential_decay(0.1, 0.9, transition_begin=-1),
        ValueError,
        fails("exponential_decay", "transition_begin", "-1"),
    ),
    (
        "exponential_decay-begin-fraction",
        lambda: jd.exponential_decay(0.1, 0.9, transition_begin=2.5),
        ValueError,
        fails("exponential_decay", "transition_begin", "2.5"),
    ),
    (
        "exponential_decay-end-inf",
        lambda: jd.exponential_decay(0.1, 0.9, end_value=INF),
        ValueError,
        fails("exponential_decay", "end_value", "inf"),
    ),
    (
        "exponential_decay-staircase-int",
        lambda: jd.exponential_decay(0.1, 0.9, staircase=1),
        TypeError,
        fails("exponential_decay", "staircase", "1"),
    ),
    # natural_exp_decay / inverse_time_decay / inverse_sqrt_decay
    (
        "natural_exp_decay-rate-negative",
        lambda: jd.natural_exp_decay(0.1, -0.1),
        ValueError,
        fails("natural_exp_decay", "decay_rate", "-0.1"),
    ),
    (
        "natural_exp_decay-steps-negative",
        lambda: jd.natural_exp_decay(0.1, 0.1, transition_steps=-1),
        ValueError,
        fails("natural_exp_decay", "transition_steps", "-1"),
    ),
    (
        "inverse_time_decay-rate-negative",
        lambda: jd.inverse_time_decay(0.1, -0.1),
        ValueError,
        fails("inverse_time_decay", "decay_rate", "-0.1"),
    ),
    (
        "inverse_time_decay-steps-zero",
        lambda: jd.inverse_time_decay(0.1, 0.1, transition_steps=0),
        ValueError,
        fails("inverse_time_decay", "transition_steps", "0"),
    ),
    (
        "inverse_time_decay-init-str",
        lambda: jd.inverse_time_decay("a", 0.1),
        TypeError,
        fails("inverse_time_decay", "init_value", "'a'"),
    ),
    (
        "inverse_sqrt_decay-steps-zero",
        lambda: jd.inverse_sqrt_decay(0.1, 0),
        ValueError,
        fails("inverse_sqrt_decay", "transition_steps", "0"),
    ),
    (
        "inverse_sqrt_decay-init-inf",
        lambda: jd.inverse_sqrt_decay(INF),
        ValueError,
        fails("inverse_sqrt_decay", "init_value", "inf"),
    ),
    # step_decay / multistep_decay
    (
        "step_decay-size-zero",
        lambda: jd.step_decay(0.1, 0, 0.1),
        ValueError,
        fails("step_decay", "step_size", "0"),
    ),
    (
        "step_decay-size-fraction",
        lambda: jd.step_decay(0.1, 2.5, 0.1),
        ValueError,
        fails("step_decay", "step_size", "2.5"),
    ),
    (
        "step_decay-gamma-zero",
        lambda: jd.step_decay(0.1, 10, 0.0),
        ValueError,
        fails("step_decay", "gamma", "0.0"),
    ),
    (
        "step_decay-gamma-negative",
        lambda: jd.step_decay(0.1, 10, -0.1),
        ValueError,
        fails("step_decay", "gamma", "-0.1"),
    ),
    (
        "multistep_decay-unsorted",
        lambda: jd.multistep_decay(0.1, [30, 10], 0.1),
        ValueError,
        fails("multistep_decay", "milestones", "[30, 10]"),
    ),
    (
        "multistep_decay-negative",
        lambda: jd.multistep_decay(0.1, [-5, 10], 0.1),
        ValueError,
        fails("multistep_decay", "milestones", "[-5, 10]"),
    ),
    (
        "multistep_decay-fraction",
        lambda: jd.multistep_decay(0.1, [1.5, 10], 0.1),
        ValueError,
        fails("multistep_decay", "milestones", "[1.5, 10]"),
    ),
    (
        "multistep_decay-nan",
        lambda: jd.multistep_decay(0.1, [1, NAN], 0.1),
        ValueError,
        fails("multistep_decay", "milestones", "[1, nan]"),
    ),
    (
        "multistep_decay-str",
        lambda: jd.multistep_decay(0.1, "10,20", 0.1),
        TypeError,
        fails("multistep_decay", "milestones", "'10,20'"),
    ),
    (
        "multistep_decay-scalar",
        lambda: jd.multistep_decay(0.1, 10, 0.1),
        TypeError,
        fails("multistep_decay", "milestones", "10"),
    ),
    (
        "multistep_decay-nested",
        lambda: jd.multistep_decay(0.1, [[1, 2]], 0.1),
        TypeError,
        fails("multistep_decay", "milestones", "[[1, 2]]"),
    ),
    (
        "multistep_decay-gamma-zero",
        lambda: jd.multistep_decay(0.1, [10], 0.0),
        ValueError,
        fails("multistep_decay", "gamma", "0.0"),
    ),
    # piecewise
    (
        "piecewise_constant-unsorted",
        lambda: jd.piecewise_constant([10, 5], [1.0, 2.0, 3.0]),
        ValueError,
        fails("piecewise_constant", "boundaries", "[10, 5]"),
    ),
    (
        "piecewise_constant-negative",
        lambda: jd.piecewise_constant([-5], [1.0, 2.0]),
        ValueError,
        fails("piecewise_constant", "boundaries", "[-5]"),
    ),
    (
        "piecewise_constant-lengths",
        lambda: jd.piecewise_constant([10], [1.0]),
        ValueError,
        r"^piecewise_constant: `values` must have one more entry than "
        r"`boundaries`.*got 1 boundaries and 1 values\.$",
    ),
    (
        "piecewise_constant-value-nan",
        lambda: jd.piecewise_constant([5], [1.0, NAN]),
        ValueError,
        fails("piecewise_constant", "values", "[1.0, nan]"),
    ),
    (
        "piecewise_constant-values-str",
        lambda: jd.piecewise_constant([5], "ab"),
        TypeError,
        fails("piecewise_constant", "values", "'ab'"),
    ),
    (
        "piecewise_constant-boundaries-scalar",
        lambda: jd.piecewise_constant(5, [1.0, 2.0]),
        TypeError,
        fails("piecewise_constant", "boundaries", "5"),
    ),
    (
        "from_scales-not-dict",
        lambda: jd.piecewise_constant.from_scales(1.0, [(10, 0.5)]),
        TypeError,
        fails("piecewise_constant.from_scales", "boundaries_and_scales", "[(10, 0.5)]"),
    ),
    (
        "from_scales-negative-scale",
        lambda: jd.piecewise_constant.from_scales(1.0, {10: -0.5}),
        ValueError,
        r"^piecewise_constant\.from_scales: `boundaries_and_scales.*-0\.5",
    ),
    (
        "from_scales-negative-step",
        lambda: jd.piecewise_constant.from_scales(1.0, {-10: 0.5}),
        ValueError,
        r"^piecewise_constant\.from_scales: `boundaries_and_scales.*-10",
    ),
    (
        "piecewise_linear-empty",
        lambda: jd.piecewise_linear([], []),
        ValueError,
        fails("piecewise_linear", "boundaries", "[]"),
    ),
    (
        "piecewise_linear-lengths",
        lambda: jd.piecewise_linear([1, 2], [1.0]),
        ValueError,
        r"^piecewise_linear: `values` must have one entry per boundary; "
        r"got 2 boundaries and 1 values\.$",
    ),
    (
        "piecewise_linear-unsorted",
        lambda: jd.piecewise_linear([5, 1], [1.0, 2.0]),
        ValueError,
        fails("piecewise_linear", "boundaries", "[5, 1]"),
    ),
    (
        "piecewise_linear-value-inf",
        lambda: jd.piecewise_linear([1, 5], [1.0, INF]),
        ValueError,
        fails("piecewise_linear", "values", "[1.0, inf]"),
    ),
    # polynomial_decay / cosine_decay / linear
    (
        "polynomial_decay-steps-zero",
        lambda: jd.polynomial_decay(1.0, 0.0, 0),
        ValueError,
        fails("polynomial_decay", "transition_steps", "0"),
    ),
    (
        "polynomial_decay-power-zero",
        lambda: jd.polynomial_decay(1.0, 0.0, 10, power=0),
        ValueError,
        fails("polynomial_decay", "power", "0"),
    ),
    (
        "polynomial_decay-power-negative",
        lambda: jd.polynomial_decay(1.0, 0.0, 10, power=-1.0),
        ValueError,
        fails("polynomial_decay", "power", "-1.0"),
    ),
    (
        "polynomial_decay-begin-negative",
        lambda: jd.polynomial_decay(1.0, 0.0, 10, transition_begin=-3),
        ValueError,
        fails("polynomial_decay", "transition_begin", "-3"),
    ),
    (
        "polynomial_decay-cycle-str",
        lambda: jd.polynomial_decay(1.0, 0.0, 10, cycle="no"),
        TypeError,
        fails("polynomial_decay", "cycle", "'no'"),
    ),
    (
        "polynomial_decay-end-nan",
        lambda: jd.polynomial_decay(1.0, NAN, 10),
        ValueError,
        fails("polynomial_decay", "end_value", "nan"),
    ),
    (
        "cosine_decay-steps-zero",
        lambda: jd.cosine_decay(1.0, 0),
        ValueError,
        fails("cosine_decay", "decay_steps", "0"),
    ),
    (
        "cosine_decay-steps-negative",
        lambda: jd.cosine_decay(1.0, -10),
        ValueError,
        fails("cosine_decay", "decay_steps", "-10"),
    ),
    (
        "cosine_decay-steps-fraction",
        lambda: jd.cosine_decay(1.0, 2.5),
        ValueError,
        fails("cosine_decay", "decay_steps", "2.5"),
    ),
    (
        "cosine_decay-steps-str",
        lambda: jd.cosine_decay(1.0, "100 steps"),
        ValueError,
        fails("cosine_decay", "decay_steps", "'100 steps'"),
    ),
    (
        "cosine_decay-exponent-zero",
        lambda: jd.cosine_decay(1.0, 10, exponent=0.0),
        ValueError,
        fails("cosine_decay", "exponent", "0.0"),
    ),
    (
        "cosine_decay-end-inf",
        lambda: jd.cosine_decay(1.0, 10, end_value=INF),
        ValueError,
        fails("cosine_decay", "end_value", "inf"),
    ),
    (
        "linear-steps-zero",
        lambda: jd.linear(0.0, 1.0, 0),
        ValueError,
        fails("linear", "transition_steps", "0"),
    ),
    (
        "linear-begin-negative",
        lambda: jd.linear(0.0, 1.0, 10, transition_begin=-1),
        ValueError,
        fails("linear", "transition_begin", "-1"),
    ),
    (
        "linear-init-nan",
        lambda: jd.linear(NAN, 1.0, 10),
        ValueError,
        fails("linear", "init_value", "nan"),
    ),
    (
        "linear-end-inf",
        lambda: jd.linear(0.0, INF, 10),
        ValueError,
        fails("linear", "end_value", "inf"),
    ),
    # warmup_cosine_decay (the model error of STYLE.md) / warmup_stable_decay
    (
        "warmup_cosine_decay-equal-steps",
        lambda: jd.warmup_cosine_decay(1.0, 100, 100),
        ValueError,
        "^"
        + re.escape(
            "warmup_cosine_decay: `decay_steps` counts from step 0 and includes the "
            "warmup, so it must exceed `warmup_steps`; got decay_steps=100, "
            "warmup_steps=100."
        )
        + "$",
    ),
    (
        "warmup_cosine_decay-shorter-decay",
        lambda: jd.warmup_cosine_decay(1.0, 100, 50),
        ValueError,
        "^"
        + re.escape(
            "warmup_cosine_decay: `decay_steps` counts from step 0 and includes the "
            "warmup, so it must exceed `warmup_steps`; got decay_steps=50, "
            "warmup_steps=100."
        )
        + "$",
    ),
    (
        "warmup_cosine_decay-warmup-negative",
        lambda: jd.warmup_cosine_decay(1.0, -1, 100),
        ValueError,
        fails("warmup_cosine_decay", "warmup_steps", "-1"),
    ),
    (
        "warmup_cosine_decay-peak-nan",
        lambda: jd.warmup_cosine_decay(NAN, 10, 100),
        ValueError,
        fails("warmup_cosine_decay", "peak_value", "nan"),
    ),
    (
        "warmup_cosine_decay-exponent-negative",
        lambda: jd.warmup_cosine_decay(1.0, 10, 100, exponent=-1.0),
        ValueError,
        fails("warmup_cosine_decay", "exponent", "-1.0"),
    ),
    (
        "warmup_stable_decay-shape",
        lambda: jd.warmup_stable_decay(1.0, 1, 1, 1, decay_shape="exp"),
        ValueError,
        fails("warmup_stable_decay", "decay_shape", "'exp'"),
    ),
    (
        "warmup_stable_decay-warmup-negative",
        lambda: jd.warmup_stable_decay(1.0, -1, 1, 1),
        ValueError,
        fails("warmup_stable_decay", "warmup_steps", "-1"),
    ),
    (
        "warmup_stable_decay-stable-negative",
        lambda: jd.warmup_stable_decay(1.0, 1, -1, 1),
        ValueError,
        fails("warmup_stable_decay", "stable_steps", "-1"),
    ),
    (
        "warmup_stable_decay-decay-zero",
        lambda: jd.warmup_stable_decay(1.0, 1, 1, 0),
        ValueError,
        fails("warmup_stable_decay", "decay_steps", "0"),
    ),
    (
        "warmup_stable_decay-peak-inf",
        lambda: jd.warmup_stable_decay(INF, 1, 1, 1),
        ValueError,
        fails("warmup_stable_decay", "peak_value", "inf"),
    ),
    (
        "wsd-alias-shape",
        lambda: jd.wsd(1.0, 1, 1, 1, decay_shape="cos"),
        ValueError,
        fails("warmup_stable_decay", "decay_shape", "'cos'"),
    ),
    # one_cycle / one_cycle_momentum / cyclic / cosine_restarts
    (
        "one_cycle_momentum-not-a-cycle",
        lambda: jd.one_cycle_momentum(jd.constant(1.0)),
        TypeError,
        fails("one_cycle_momentum", "cycle", "constant(value=1.0)"),
    ),
    (
        "one_cycle_momentum-nan",
        lambda: jd.one_cycle_momentum(jd.one_cycle(1.0, 10), max_momentum=float("nan")),
        ValueError,
        fails("one_cycle_momentum", "max_momentum", "nan"),
    ),
    (
        "one_cycle-total-zero",
        lambda: jd.one_cycle(1.0, 0),
        ValueError,
        fails("one_cycle", "total_steps", "0"),
    ),
    (
        "one_cycle-pct-above-one",
        lambda: jd.one_cycle(1.0, 100, pct_start=1.5),
        ValueError,
        fails("one_cycle", "pct_start", "1.5"),
    ),
    (
        "one_cycle-pct-negative",
        lambda: jd.one_cycle(1.0, 100, pct_start=-0.1),
        ValueError,
        fails("one_cycle", "pct_start", "-0.1"),
    ),
    (
        "one_cycle-div-zero",
        lambda: jd.one_cycle(1.0, 100, div_factor=0.0),
        ValueError,
        fails("one_cycle", "div_factor", "0.0"),
    ),
    (
        "one_cycle-final-div-negative",
        lambda: jd.one_cycle(1.0, 100, final_div_factor=-1.0),
        ValueError,
        fails("one_cycle", "final_div_factor", "-1.0"),
    ),
    (
        "one_cycle-anneal",
        lambda: jd.one_cycle(1.0, 100, anneal="cosine"),
        ValueError,
        fails("one_cycle", "anneal", "'cosine'"),
    ),
    (
        "one_cycle-three-phase-str",
        lambda: jd.one_cycle(1.0, 100, three_phase="yes"),
        TypeError,
        fails("one_cycle", "three_phase", "'yes'"),
    ),
    # With three phases the second ends at 2 * pct_start * total_steps - 2: past
    # the end of the cycle when pct_start > 0.5, so the final value is never
    # reached (the schedule is still rising back at total_steps - 1).
    (
        "one_cycle-three-phase-pct-above-half",
        lambda: jd.one_cycle(1.0, 100, pct_start=0.8, three_phase=True),
        ValueError,
        r"^one_cycle: `pct_start` .*pct_start=0\.8",
    ),
    (
        "cyclic-up-zero",
        lambda: jd.cyclic(0.1, 1.0, 0),
        ValueError,
        fails("cyclic", "step_size_up", "0"),
    ),
    (
        "cyclic-down-zero",
        lambda: jd.cyclic(0.1, 1.0, 5, step_size_down=0),
        ValueError,
        fails("cyclic", "step_size_down", "0"),
    ),
    (
        "cyclic-mode",
        lambda: jd.cyclic(0.1, 1.0, 5, mode="triangle3"),
        ValueError,
        fails("cyclic", "mode", "'triangle3'"),
    ),
    (
        "cyclic-gamma-zero",
        lambda: jd.cyclic(0.1, 1.0, 5, mode="exp_range", gamma=0.0),
        ValueError,
        fails("cyclic", "gamma", "0.0"),
    ),
    (
        "cyclic-base-nan",
        lambda: jd.cyclic(NAN, 1.0, 5),
        ValueError,
        fails("cyclic", "base_value", "nan"),
    ),
    (
        "cosine_restarts-period-zero",
        lambda: jd.cosine_restarts(1.0, 0),
        ValueError,
        fails("cosine_restarts", "first_period", "0"),
    ),
    (
        "cosine_restarts-mult-below-one",
        lambda: jd.cosine_restarts(1.0, 10, period_mult=0.5),
        ValueError,
        fails("cosine_restarts", "period_mult", "0.5"),
    ),
    (
        "cosine_restarts-value-mult-zero",
        lambda: jd.cosine_restarts(1.0, 10, value_mult=0.0),
        ValueError,
        fails("cosine_restarts", "value_mult", "0.0"),
    ),
    (
        "cosine_restarts-end-nan",
        lambda: jd.cosine_restarts(1.0, 10, end_value=NAN),
        ValueError,
        fails("cosine_restarts", "end_value", "nan"),
    ),
    (
        "sgdr-alias-period-negative",
        lambda: jd.sgdr(1.0, -10),
        ValueError,
        fails("cosine_restarts", "first_period", "-10"),
    ),
    # recurrence
    (
        "recurrence-factor-not-callable",
        lambda: jd.recurrence(0.1, 0.9, 10),
        TypeError,
        fails("recurrence", "factor", "0.9"),
    ),
    (
        "recurrence-horizon-zero",
        lambda: jd.recurrence(0.1, catalog.factor_cosine, 0),
        ValueError,
        fails("recurrence", "horizon", "0"),
    ),
    (
        "recurrence-horizon-huge",
        lambda: jd.recurrence(0.1, catalog.factor_cosine, 10**9),
        ValueError,
        fails("recurrence", "horizon", "1000000000"),
    ),
    (
        "recurrence-horizon-fraction",
        lambda: jd.recurrence(0.1, catalog.factor_cosine, 10.5),
        ValueError,
        fails("recurrence", "horizon", "10.5"),
    ),
    (
        "recurrence-factor-negative",
        lambda: jd.recurrence(0.1, lambda t: 0.0 * t - 0.5, 5),
        ValueError,
        r"^recurrence: `factor\(t\)` must be finite and >= 0.*factor\(1\)=.*-0\.5",
    ),
    (
        "recurrence-factor-nan",
        lambda: jd.recurrence(0.1, lambda t: np.where(np.asarray(t) == 3, NAN, 0.9), 5),
        ValueError,
        r"^recurrence: `factor\(t\)` must be finite.*factor\(3\)=.*nan",
    ),
    (
        "recurrence-factor-raises",
        lambda: jd.recurrence(0.1, lambda t: 1 / 0, 5),
        ValueError,
        r"^recurrence: `factor` failed .*ZeroDivisionError",
    ),
    (
        "recurrence-init-nan",
        lambda: jd.recurrence(NAN, catalog.factor_cosine, 5),
        ValueError,
        fails("recurrence", "init_value", "nan"),
    ),
    # join
    (
        "join-empty",
        lambda: jd.join([], []),
        ValueError,
        fails("join", "schedules", "[]"),
    ),
    (
        "join-not-a-list",
        lambda: jd.join(ONE, []),
        TypeError,
        fails("join", "schedules", "constant(value=1.0)"),
    ),
    (
        "join-non-callable",
        lambda: jd.join([ONE, 3.0], [5]),
        TypeError,
        fails("join", "schedules[1]", "3.0"),
    ),
    (
        "join-unsorted",
        lambda: jd.join([ONE, TWO, COS], [6, 3]),
        ValueError,
        fails("join", "boundaries", "[6, 3]"),
    ),
    (
        "join-negative",
        lambda: jd.join([ONE, TWO], [-1]),
        ValueError,
        fails("join", "boundaries", "[-1]"),
    ),
    (
        "join-too-many-boundaries",
        lambda: jd.join([ONE, TWO], [1, 2]),
        ValueError,
        r"^join: `boundaries` must have one entry fewer than `schedules`.*"
        r"got 2 schedules and boundaries=\[1, 2\]\.$",
    ),
    (
        "join-too-few-boundaries",
        lambda: jd.join([ONE, TWO, COS], [4]),
        ValueError,
        r"^join: `boundaries` must have one entry fewer than `schedules`.*"
        r"got 3 schedules and boundaries=\[4\]\.$",
    ),
    (
        "join-boundaries-str",
        lambda: jd.join([ONE, TWO], "5"),
        TypeError,
        fails("join", "boundaries", "'5'"),
    ),
    (
        "join-boundaries-fraction",
        lambda: jd.join([ONE, TWO], [2.5]),
        ValueError,
        fails("join", "boundaries", "[2.5]"),
    ),
    # arithmetic
    (
        "arithmetic-op",
        lambda: jd.arithmetic("%", COS, 2.0),
        ValueError,
        fails("arithmetic", "op", "'%'"),
    ),
    (
        "arithmetic-nan",
        lambda: COS * NAN,
        ValueError,
        fails("arithmetic", "rhs", "nan"),
    ),
    (
        "arithmetic-reflected-inf",
        lambda: INF + COS,
        ValueError,
        fails("arithmetic", "lhs", "inf"),
    ),
    (
        "arithmetic-str",
        lambda: jd.arithmetic("+", COS, "1"),
        TypeError,
        fails("arithmetic", "rhs", "'1'"),
    ),
    # combine: flat sums and products of three or more terms
    (
        "combine-op",
        lambda: jd.combine("-", (COS, COS, COS)),
        ValueError,
        fails("combine", "op", "'-'"),
    ),
    (
        "combine-one-term",
        lambda: jd.combine("+", (COS,)),
        ValueError,
        r"^combine: `terms` must be at least two terms",
    ),
    (
        "combine-nan-term",
        lambda: jd.combine("+", (COS, COS, NAN)),
        ValueError,
        fails("combine", "terms[2]", "nan"),
    ),
    (
        "combine-not-a-sequence",
        lambda: jd.combine("+", COS),
        TypeError,
        r"^combine: `terms` must be a sequence of schedules and numbers",
    ),
    (
        "combine-operator-nan",
        lambda: COS + COS + NAN,
        ValueError,
        fails("arithmetic", "rhs", "nan"),
    ),
    (
        "operator-str",
        lambda: COS + "1",
        TypeError,
        r"unsupported operand type\(s\) for \+: 'cosine_decay' and 'str'",
    ),
    # clip / shift / repeat / staircase / warmup / from_fn
    (
        "clip-min-above-max",
        lambda: jd.clip(COS, min_value=0.8, max_value=0.2),
        ValueError,
        "^"
        + re.escape(
            "clip: `min_value` must not exceed `max_value`; got "
            "min_value=0.8, max_value=0.2."
        )
        + "$",
    ),
    (
        "clip-neither",
        lambda: jd.clip(COS),
        ValueError,
        r"^clip: give `min_value`, `max_value` or both; got neither\.$",
    ),
    (
        "clip-min-nan",
        lambda: jd.clip(COS, min_value=NAN),
        ValueError,
        fails("clip", "min_value", "nan"),
    ),
    (
        "clip-not-a-schedule",
        lambda: jd.clip(3.0, min_value=0.1),
        TypeError,
        fails("clip", "schedule", "3.0"),
    ),
    (
        "shift-fraction",
        lambda: jd.shift(COS, 2.5),
        ValueError,
        fails("shift", "steps", "2.5"),
    ),
    (
        "shift-str",
        lambda: jd.shift(COS, "3 epochs"),
        ValueError,
        fails("shift", "steps", "'3 epochs'"),
    ),
    (
        "shift-not-a-schedule",
        lambda: jd.shift("cos", 3),
        TypeError,
        fails("shift", "schedule", "'cos'"),
    ),
    (
        "repeat-period-zero",
        lambda: jd.repeat(COS, 0),
        ValueError,
        fails("repeat", "period", "0"),
    ),
    (
        "repeat-period-negative",
        lambda: jd.repeat(COS, -10),
        ValueError,
        fails("repeat", "period", "-10"),
    ),
    (
        "repeat-not-a-schedule",
        lambda: jd.repeat(None, 10),
        TypeError,
        fails("repeat", "schedule", "None"),
    ),
    (
        "scale_steps-factor-zero",
        lambda: jd.scale_steps(jd.repeat(COS, 10), 0, 10),
        ValueError,
        fails("scale_steps", "factor", "0"),
    ),
    (
        "scale_steps-period-fraction",
        lambda: jd.scale_steps(jd.repeat(COS, 10), 3, 2.5),
        ValueError,
        fails("scale_steps", "period", "2.5"),
    ),
    (
        "scale_steps-too-fast",
        lambda: jd.scale_steps(jd.repeat(COS, 10**6 + 1), 10**6, 10**6 + 1),
        ValueError,
        fails("scale_steps", "factor", "1000000"),
    ),
    (
        "staircase-every-zero",
        lambda: jd.staircase(COS, 0),
        ValueError,
        fails("staircase", "every", "0"),
    ),
    (
        "staircase-every-fraction",
        lambda: jd.staircase(COS, 0.5),
        ValueError,
        fails("staircase", "every", "0.5"),
    ),
    (
        "warmup-negative",
        lambda: jd.warmup(COS, -1),
        ValueError,
        fails("warmup", "warmup_steps", "-1"),
    ),
    (
        "warmup-init-inf",
        lambda: jd.warmup(COS, 10, init_value=INF),
        ValueError,
        fails("warmup", "init_value", "inf"),
    ),
    (
        "warmup-not-a-schedule",
        lambda: jd.warmup(1.0, 10),
        TypeError,
        fails("warmup", "schedule", "1.0"),
    ),
    (
        "from_fn-not-callable",
        lambda: jd.from_fn(3),
        TypeError,
        fails("from_fn", "fn", "3"),
    ),
    # cooldown, wsd_cycles, stretch, rebase
    (
        "cooldown-length-zero",
        lambda: jd.cooldown(COS, 10, 0),
        ValueError,
        fails("cooldown", "length", "0"),
    ),
    (
        "cooldown-power-missing",
        lambda: jd.cooldown(COS, 10, 5, shape="power"),
        ValueError,
        fails("cooldown", "power", "None"),
    ),
    (
        "cooldown-ratio-out-of-range",
        lambda: jd.cooldown(COS, 10, 5, shape="exp", ratio=1.5),
        ValueError,
        fails("cooldown", "ratio", "1.5"),
    ),
    (
        "cooldown-not-a-schedule",
        lambda: jd.cooldown(1.0, 10, 5),
        TypeError,
        fails("cooldown", "schedule", "1.0"),
    ),
    (
        "wsd_cycles-empty",
        lambda: jd.wsd_cycles(1.0, 5, [], 0.3),
        ValueError,
        fails("wsd_cycles", "cycles", "[]"),
    ),
    (
        "wsd_cycles-fraction",
        lambda: jd.wsd_cycles(1.0, 5, [10], 1.5),
        ValueError,
        fails("wsd_cycles", "decay_fraction", "1.5"),
    ),
    (
        "stretch-zero",
        lambda: jd.stretch(COS, 0),
        ValueError,
        fails("stretch", "factor", "0"),
    ),
    (
        "stretch-nan",
        lambda: jd.stretch(COS, float("nan")),
        ValueError,
        fails("stretch", "factor", "nan"),
    ),
    (
        "rebase-past-the-end",
        lambda: jd.rebase(jd.cosine_decay(1.0, 100), 50, 40),
        ValueError,
        fails("rebase", "at_step", "50"),
    ),
    # power_decay
    (
        "power_decay-timescale-zero",
        lambda: jd.power_decay(1.0, 0),
        ValueError,
        fails("power_decay", "timescale", "0"),
    ),
    (
        "power_decay-timescale-negative",
        lambda: jd.power_decay(1.0, -3),
        ValueError,
        fails("power_decay", "timescale", "-3"),
    ),
    (
        "power_decay-timescale-inf",
        lambda: jd.power_decay(1.0, INF),
        ValueError,
        fails("power_decay", "timescale", "inf"),
    ),
    (
        "power_decay-power-negative",
        lambda: jd.power_decay(1.0, 10, power=-0.5),
        ValueError,
        fails("power_decay", "power", "-0.5"),
    ),
    (
        "power_decay-power-nan",
        lambda: jd.power_decay(1.0, 10, power=NAN),
        ValueError,
        fails("power_decay", "power", "nan"),
    ),
    (
        "power_decay-begin-negative",
        lambda: jd.power_decay(1.0, 10, transition_begin=-1),
        ValueError,
        fails("power_decay", "transition_begin", "-1"),
    ),
    (
        "power_decay-init-string",
        lambda: jd.power_decay("0.1", 10),
        TypeError,
        fails("power_decay", "init_value", "'0.1'"),
    ),
    # tanh_decay
    (
        "tanh_decay-steps-zero",
        lambda: jd.tanh_decay(1.0, 0),
        ValueError,
        fails("tanh_decay", "decay_steps", "0"),
    ),
    (
        "tanh_decay-bounds-equal",
        lambda: jd.tanh_decay(1.0, 10, lb=3.0, ub=3.0),
        ValueError,
        fails("tanh_decay", "ub", "3.0"),
    ),
    (
        "tanh_decay-bounds-reversed",
        lambda: jd.tanh_decay(1.0, 10, lb=3.0, ub=-7.0),
        ValueError,
        fails("tanh_decay", "ub", "-7.0"),
    ),
    (
        "tanh_decay-lb-inf",
        lambda: jd.tanh_decay(1.0, 10, lb=-INF),
        ValueError,
        fails("tanh_decay", "lb", "-inf"),
    ),
    (
        "tanh_decay-end-nan",
        lambda: jd.tanh_decay(1.0, 10, end_value=NAN),
        ValueError,
        fails("tanh_decay", "end_value", "nan"),
    ),
    # warp
    (
        "warp-k-zero",
        lambda: jd.warp(jd.constant(1.0), 0.0, 10),
        ValueError,
        fails("warp", "k", "0.0"),
    ),
    (
        "warp-k-nan",
        lambda: jd.warp(jd.constant(1.0), NAN, 10),
        ValueError,
        fails("warp", "k", "nan"),
    ),
    (
        "warp-period-zero",
        lambda: jd.warp(jd.constant(1.0), 2.0, 0),
        ValueError,
        fails("warp", "period", "0"),
    ),
    (
        "warp-schedule-number",
        lambda: jd.warp(3.0, 2.0, 10),
        TypeError,
        fails("warp", "schedule", "3.0"),
    ),
    # cosine_restarts: cycle_limit, value_mult_mode
    (
        "cosine_restarts-cycle-limit-zero",
        lambda: jd.cosine_restarts(1.0, 10, cycle_limit=0),
        ValueError,
        fails("cosine_restarts", "cycle_limit", "0"),
    ),
    (
        "cosine_restarts-cycle-limit-fraction",
        lambda: jd.cosine_restarts(1.0, 10, cycle_limit=2.5),
        ValueError,
        fails("cosine_restarts", "cycle_limit", "2.5"),
    ),
    (
        "cosine_restarts-cycle-limit-duration",
        lambda: jd.cosine_restarts(1.0, 10, cycle_limit="10%"),
        TypeError,
        fails("cosine_restarts", "cycle_limit", "'10%'"),
    ),
    (
        "cosine_restarts-value-mult-mode",
        lambda: jd.cosine_restarts(1.0, 10, value_mult_mode="top"),
        ValueError,
        fails("cosine_restarts", "value_mult_mode", "'top'"),
    ),
    # minimum / maximum
    (
        "minimum-one-term",
        lambda: jd.minimum(COS),
        ValueError,
        fails("minimum", "schedules", "[" + repr(COS) + "]"),
    ),
    (
        "maximum-string-term",
        lambda: jd.maximum(COS, "x"),
        TypeError,
        fails("maximum", "schedules[1]", "'x'"),
    ),
    (
        "minimum-nan-term",
        lambda: jd.minimum(COS, NAN),
        ValueError,
        fails("minimum", "schedules[1]", "nan"),
    ),
    (
        "minimum-keyword",
        lambda: jd.minimum(COS, ONE, schedules=[COS]),
        TypeError,
        r"^minimum: takes its schedules as positional arguments, minimum\(a, b, "
        r"\.\.\.\); got the keyword argument schedules=",
    ),
    # schedule ** p
    (
        "arithmetic-pow-schedule-exponent",
        lambda: COS**ONE,
        TypeError,
        r"^cosine_decay \*\* constant: the exponent of a schedule must be a number, "
        r"not a schedule\.$",
    ),
    (
        "arithmetic-pow-schedule-as-exponent",
        lambda: 2.0**COS,
        TypeError,
        r"^2\.0 \*\* cosine_decay: a schedule cannot be an exponent",
    ),
    (
        "arithmetic-pow-nan",
        lambda: COS**NAN,
        ValueError,
        fails("arithmetic", "rhs", "nan"),
    ),
    # clip by schedules
    (
        "clip-string-bound",
        lambda: jd.clip(COS, max_value="0.5"),
        TypeError,
        r"^clip: `max_value` must be a number or a schedule; got max_value='0\.5'\.$",
    ),
    # warmup shapes
    (
        "warmup-exponential-from-zero",
        lambda: jd.warmup(COS, 10, shape="exponential"),
        ValueError,
        fails("warmup", "init_value", "0.0"),
    ),
    (
        "warmup-unknown-shape",
        lambda: jd.warmup(COS, 10, shape="cubic"),
        ValueError,
        fails("warmup", "shape", "'cubic'"),
    ),
    # untuned_warmup
    (
        "untuned_warmup-b2-one",
        lambda: jd.untuned_warmup(COS, 1.0),
        ValueError,
        fails("untuned_warmup", "b2", "1.0"),
    ),
    (
        "untuned_warmup-b2-str",
        lambda: jd.untuned_warmup(COS, "0.999"),
        TypeError,
        fails("untuned_warmup", "b2", "'0.999'"),
    ),
    # noise
    (
        "noise-std-negative",
        lambda: jd.noise(COS, -1.0, 0),
        ValueError,
        fails("noise", "std", "-1.0"),
    ),
    (
        "noise-key-float",
        lambda: jd.noise(COS, 1.0, 0.5),
        TypeError,
        fails("noise", "key", "0.5"),
    ),
    (
        "noise-key-negative",
        lambda: jd.noise(COS, 1.0, -1),
        ValueError,
        fails("noise", "key", "-1"),
    ),
    (
        "noise-key-three",
        lambda: jd.noise(COS, 1.0, [1, 2, 3]),
        TypeError,
        fails("noise", "key", "[1, 2, 3]"),
    ),
    (
        "noise-pct-zero",
        lambda: jd.noise(COS, 1.0, 0, pct=0.0),
        ValueError,
        fails("noise", "pct", "0.0"),
    ),
    (
        "noise-uniform-no-pct",
        lambda: jd.noise(COS, 1.0, 0, noise_type="uniform"),
        ValueError,
        fails("noise", "pct", "None"),
    ),
    (
        "noise-end-before-start",
        lambda: jd.noise(COS, 1.0, 0, start=10, end=5),
        ValueError,
        fails("noise", "end", "5"),
    ),
    (
        "noise-type",
        lambda: jd.noise(COS, 1.0, 0, noise_type="gauss"),
        ValueError,
        fails("noise", "noise_type", "'gauss'"),
    ),
]


@pytest.mark.parametrize(
    ("build", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_constructor_rejects_nonsense(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_every_constructor_has_error_cases():
    named = {c[0].split("-")[0] for c in CASES}
    constructors = catalog.SCHEDULE_NAMES
    assert constructors <= named | {"sgdr", "wsd"}, constructors - named


def test_division_by_zero_operator():
    with pytest.raises(
        ZeroDivisionError,
        match=r"/ 0: a schedule cannot be divided "
        r"by zero",
    ):
        COS / 0  # noqa: B018
    with pytest.raises(ZeroDivisionError, match=r"divided by zero"):
        COS / np.float32(0.0)  # noqa: B018


def test_division_by_zero_names_function_parameter_and_value():
    """``arithmetic`` is a public constructor: its message follows the project's
    format like every other one."""
    with pytest.raises(
        (ValueError, ZeroDivisionError), match=r"^arithmetic: `rhs` .*rhs=0\.0"
    ):
        jd.arithmetic("/", COS, 0.0)


def test_exp_range_growth_never_gives_nan():
    """gamma > 1 makes the exp_range amplitude grow without bound: either the
    constructor rejects it, or the values stay free of NaN (inf * 0 at a cycle
    start is a NaN)."""
    try:
        s = jd.cyclic(0.1, 1.0, 5, mode="exp_range", gamma=1.05)
    except ValueError as err:
        assert re.match(r"^cyclic: `gamma` .*gamma=1\.05", str(err)), err
        return
    values = np.asarray(s(jnp.array([0, 10, 10**6, 10**6 + 3, 2**31 - 1])))
    assert not np.any(np.isnan(values)), values


# ---------------------------------------------------------------------------
# Traced parameters are not checked: building inside jax.vmap / jax.jit works.

STEPS = jnp.arange(0, 64, 3)


def _iv(v):
    """An integer step count traced alongside v (v in [0.5, 2])."""
    return (jnp.asarray(v) * 10).astype(jnp.int32)


TRACED = [
    ("constant", lambda v: jd.constant(v)),
    (
        "linear_decay",
        lambda v: jd.linear_decay(
            v, 0.1 * v, transition_steps=10 * v, end_value=0.01 * v
        ),
    ),
    (
        "linear_decay-staircase",
        lambda v: jd.linear_decay(v, 0.1 * v, transition_steps=_iv(v), staircase=True),
    ),
    (
        "exponential_decay",
        lambda v: jd.exponential_decay(
            v,
            0.5 * v,
            transition_steps=_iv(v),
            staircase=True,
            transition_begin=_iv(v),
            end_value=0.01 * v,
        ),
    ),
    (
        "exponential_decay-continuous",
        lambda v: jd.exponential_decay(v, 0.5 * v, transition_steps=3.0 * v),
    ),
    ("natural_exp_decay", lambda v: jd.natural_exp_decay(v, 0.1 * v, 5 * v)),
    (
        "inverse_time_decay",
        lambda v: jd.inverse_time_decay(v, 0.1 * v, _iv(v), staircase=True),
    ),
    ("inverse_sqrt_decay", lambda v: jd.inverse_sqrt_decay(v, 10 * v)),
    ("step_decay", lambda v: jd.step_decay(v, _iv(v), 0.5 * v)),
    (
        "multistep_decay",
        lambda v: jd.multistep_decay(v, jnp.stack([_iv(v), 3 * _iv(v)]), 0.5 * v),
    ),
    (
        "piecewise_constant",
        lambda v: jd.piecewise_constant(
            jnp.stack([_iv(v), 2 * _iv(v)]), jnp.stack([v, v / 2, v / 4])
        ),
    ),
    (
        "piecewise_linear",
        lambda v: jd.piecewise_linear(
            jnp.stack([_iv(v), 2 * _iv(v)]), jnp.stack([v, v / 2])
        ),
    ),
    (
        "polynomial_decay",
        lambda v: jd.polynomial_decay(
            v, 0.1 * v, _iv(v), power=v, transition_begin=_iv(v)
        ),
    ),
    (
        "polynomial_decay-cycle",
        lambda v: jd.polynomial_decay(v, 0.1 * v, _iv(v), power=v, cycle=True),
    ),
    ("cosine_decay", lambda v: jd.cosine_decay(v, _iv(v), 0.1 * v, exponent=v)),
    ("linear", lambda v: jd.linear(0.1 * v, v, _iv(v), transition_begin=_iv(v))),
    (
        "warmup_cosine_decay",
        lambda v: jd.warmup_cosine_decay(
            v, _iv(v), 3 * _iv(v), init_value=0.1 * v, end_value=0.01 * v, exponent=v
        ),
    ),
    *[
        (
            f"warmup_stable_decay-{shape}",
            lambda v, shape=shape: jd.warmup_stable_decay(
                v,
                _iv(v),
                _iv(v),
                _iv(v),
                init_value=0.1 * v,
                end_value=0.01 * v,
                decay_shape=shape,
            ),
        )
        for shape in ("linear", "cosine", "1-sqrt", "1-square")
    ],
    (
        "one_cycle",
        lambda v: jd.one_cycle(v, 50, div_factor=10 * v, final_div_factor=100 * v),
    ),
    *[
        (
            f"cyclic-{mode}",
            lambda v, mode=mode: jd.cyclic(
                0.1 * v, v, _iv(v), _iv(v), mode=mode, gamma=0.9 * v / v
            ),
        )
        for mode in ("triangular", "triangular2", "exp_range")
    ],
    (
        "cosine_restarts",
        lambda v: jd.cosine_restarts(v, 10, value_mult=0.5 * v, end_value=0.01 * v),
    ),
    (
        "cosine_restarts-growing",
        lambda v: jd.cosine_restarts(v, 10, period_mult=2.0, value_mult=0.5 * v),
    ),
    ("recurrence", lambda v: jd.recurrence(v, catalog.factor_cosine, 20)),
    (
        "join",
        lambda v: jd.join(
            [jd.linear(0.0, v, _iv(v)), jd.cosine_decay(v, _iv(v))],
            jnp.reshape(_iv(v), (1,)),
        ),
    ),
    (
        "join-same-kind",
        lambda v: jd.join([jd.cosine_decay(v, 10), jd.cosine_decay(v / 2, 10)], [10]),
    ),
    ("arithmetic", lambda v: (jd.cosine_decay(v, 10) * v + v - v / 2) / v),
    ("arithmetic-reflected", lambda v: v / (1.0 + jd.cosine_decay(v, 10))),
    (
        "clip",
        lambda v: jd.clip(
            jd.cosine_decay(1.0, 10), min_value=0.1 * v, max_value=0.4 * v
        ),
    ),
    ("shift", lambda v: jd.shift(jd.cosine_decay(v, 10), _iv(v))),
    ("repeat", lambda v: jd.repeat(jd.cosine_decay(v, 10), _iv(v))),
    ("staircase", lambda v: jd.staircase(jd.cosine_decay(v, 30), _iv(v))),
    ("warmup", lambda v: jd.warmup(jd.cosine_decay(v, 30), _iv(v), init_value=0.1 * v)),
    ("from_fn", lambda v: jd.from_fn(catalog.OPTAX_LINEAR) * v),
]


@pytest.mark.parametrize("build", [t[1] for t in TRACED], ids=[t[0] for t in TRACED])
def test_building_from_traced_parameters_does_not_raise(build):
    vs = jnp.array([0.5, 1.0, 2.0], jnp.float32)
    # Tracing is enough to run every check and the evaluation; nothing compiles.
    swept = jax.eval_shape(jax.vmap(lambda v: build(v)(STEPS)), vs)
    assert swept.shape == (3, STEPS.shape[0]) and swept.dtype == jnp.float32
    one = jax.eval_shape(jax.jit(lambda v: build(v)(STEPS)), vs[0])
    assert one.shape == STEPS.shape


def test_traced_building_gives_the_concrete_values():
    """A spot check that the traced path computes what the checked one does."""
    vs = jnp.array([0.5, 1.0, 2.0], jnp.float32)
    build = dict(TRACED)["warmup_cosine_decay"]
    swept = jax.jit(jax.vmap(lambda v: build(v)(STEPS)))(vs)
    evaluate = jax.jit(lambda s: s(STEPS))
    for row, v in zip(np.asarray(swept), [0.5, 1.0, 2.0], strict=True):
        concrete = evaluate(build(v))  # checked at construction: concrete values
        np.testing.assert_allclose(row, np.asarray(concrete), rtol=1e-5, atol=1e-7)
    assert math.isfinite(float(swept.sum()))
