"""The public surface: names, signatures from the issue, docstrings with examples."""

import inspect

import pytest

import jaxdecay as jd

# The catalog's public signatures, as the design issue fixes them.
SIGNATURES = {
    "reduce_on_plateau": "(factor=0.1, patience=10, threshold=0.0001, "
    "threshold_mode='rel', mode='min', cooldown=0, min_value=0.0, eps=1e-08, "
    "*, base=1.0, start_step=0, every=1)",
    "constant": "(value)",
    "cooldown": "(schedule, start, length, shape='linear', end_value=0.0, power=None, "
    "ratio=None)",
    "wsd_cycles": "(peak_value, warmup_steps, cycles, decay_fraction, "
    "decay_shape='1-sqrt', rewarmup_steps=0, end_value=0.0)",
    "stretch": "(schedule, factor)",
    "rebase": "(schedule, at_step, new_total, policy='stretch', old_total=None, "
    "shape=None, end_value=None, power=None, ratio=None)",
    "linear_decay": "(init_value, decay_rate, transition_steps=1, staircase=False, "
    "end_value=0.0)",
    "exponential_decay": "(init_value, decay_rate, transition_steps=1, "
    "staircase=False, transition_begin=0, end_value=None)",
    "natural_exp_decay": "(init_value, decay_rate, transition_steps=1, "
    "staircase=False)",
    "inverse_time_decay": "(init_value, decay_rate, transition_steps=1, "
    "staircase=False)",
    "inverse_sqrt_decay": "(init_value, transition_steps=1)",
    "step_decay": "(init_value, step_size, gamma)",
    "multistep_decay": "(init_value, milestones, gamma)",
    "piecewise_constant": "(boundaries, values)",
    "piecewise_linear": "(boundaries, values)",
    "polynomial_decay": "(init_value, end_value, transition_steps, power=1.0, "
    "transition_begin=0, cycle=False)",
    "cosine_decay": "(init_value, decay_steps, end_value=0.0, exponent=1.0)",
    "linear": "(init_value, end_value, transition_steps, transition_begin=0)",
    "warmup_cosine_decay": "(peak_value, warmup_steps, decay_steps, init_value=0.0, "
    "end_value=0.0, exponent=1.0)",
    "warmup_stable_decay": "(peak_value, warmup_steps, stable_steps, decay_steps, "
    "init_value=0.0, end_value=0.0, decay_shape='linear')",
    "one_cycle": "(peak_value, total_steps, pct_start=0.3, div_factor=25.0, "
    "final_div_factor=10000.0, anneal='cos', three_phase=False)",
    "cyclic": "(base_value, max_value, step_size_up, step_size_down=None, "
    "mode='triangular', gamma=1.0)",
    "cosine_restarts": "(init_value, first_period, period_mult=1.0, value_mult=1.0, "
    "end_value=0.0, cycle_limit=None, value_mult_mode='range')",
    "power_decay": "(init_value, timescale, power=0.5, transition_begin=0)",
    "tanh_decay": "(init_value, decay_steps, end_value=0.0, lb=-7.0, ub=3.0)",
    "warp": "(schedule, k, period)",
    "recurrence": "(init_value, factor, horizon)",
    "join": "(schedules, boundaries)",
    "clip": "(schedule, min_value=None, max_value=None)",
    "shift": "(schedule, steps)",
    "repeat": "(schedule, period)",
    "staircase": "(schedule, every)",
    "warmup": "(schedule, warmup_steps, init_value=0.0, shape='linear')",
    "minimum": "(*schedules)",
    "maximum": "(*schedules)",
    "untuned_warmup": "(schedule, b2)",
    "noise": "(schedule, std, key, pct=None, start=0, end=None, noise_type='normal')",
    "from_fn": "(fn)",
}


def _plain_signature(obj) -> str:
    sig = inspect.signature(obj)
    params = [
        p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()
    ]
    return str(
        sig.replace(parameters=params, return_annotation=inspect.Signature.empty)
    )


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_matches_the_issue(name):
    assert _plain_signature(getattr(jd, name)) == SIGNATURES[name]


def test_all_lists_exactly_the_public_names():
    public = {n for n in dir(jd) if not n.startswith("_")}
    modules = {"annotations"} | {n for n in public if inspect.ismodule(getattr(jd, n))}
    assert sorted(jd.__all__) == sorted(public - modules)
    assert len(set(jd.__all__)) == len(jd.__all__)


@pytest.mark.parametrize("name", sorted(jd.__all__))
def test_public_object_has_a_docstring_with_an_example(name):
    obj = getattr(jd, name)
    doc = inspect.getdoc(obj) or ""
    assert ">>>" in doc, f"{name} has no example in its docstring"
    if name in SIGNATURES:
        assert "Args:" in doc, f"{name} does not document its arguments"


@pytest.mark.parametrize(
    "name", sorted(set(SIGNATURES) - {"reduce_on_plateau", "rebase"})
)
def test_every_catalog_entry_is_a_schedule_type(name):
    assert issubclass(getattr(jd, name), jd.Schedule)


def test_rebase_makes_a_schedule_value():
    rebased = jd.rebase(jd.warmup_cosine_decay(1.0, 5, 50), 20, 80)
    assert isinstance(rebased, jd.Schedule)
    assert jd.from_config(rebased.to_config()) == rebased


def test_the_plateau_schedule_is_an_optax_stateful_schedule():
    # Driven by a metric, not a function of the step: optax's protocol instead.
    import optax

    assert isinstance(jd.reduce_on_plateau(), optax.schedules.StatefulSchedule)
    assert not isinstance(jd.reduce_on_plateau(), jd.Schedule)


def test_aliases():
    assert jd.sgdr is jd.cosine_restarts
    assert jd.wsd is jd.warmup_stable_decay
