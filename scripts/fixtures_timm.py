"""Fixtures of ``jaxdecay.timm``: runs timm's schedulers and records their rates.

Not part of the test suite (torch and timm are not dependencies)::

    pip install torch==2.13.0                  # the local CPU wheel
    pip install --no-deps timm==1.0.31
    python scripts/fixtures_timm.py            # writes tests/fixtures/timm.json

``generate()`` returns the fixture document of ``tests/peers.py``
(``scripts/make_peer_fixtures.py`` writes it too).  timm's top-level package
imports torchvision, which this script does not need: ``timm.scheduler`` is
loaded by itself, under an empty ``timm`` package that points at timm's files.

The rates are timm's own: Python floats (float64).  For a scheduler class,
``values[t]`` is the optimizer's rate right after ``scheduler.step(t)`` (or
``step_update(t)`` with ``t_in_epochs=False``), timm's ``s(t)``.  For
``create_scheduler_v2``, ``values[u]`` is the rate of optimizer update ``u``
in timm's training loop (``train.py``): ``step_update(num_updates)`` after each
update and ``step(epoch + 1)`` after each epoch; with ``updates_per_epoch=0``
one update per epoch.  Its case also records the ``num_epochs`` the factory
returns.  For ``PlateauLRScheduler`` (and ``sched="plateau"``), ``values[i]``
is the rate after ``step(i + 1, metrics[i])``, the call that ends epoch ``i``.
``signatures`` holds timm's parameters and defaults of each ported name.
Noise is left off: its values come from torch's generator, which a JAX
schedule does not reproduce.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import json
import math
import sys
import types
import warnings
from pathlib import Path

import torch

import jaxdecay.timm

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def load_timm_scheduler():
    """``timm.scheduler``, imported without timm's top-level package (which
    needs torchvision)."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("timm is not installed: pip install --no-deps timm==1.0.31")
    package = types.ModuleType("timm")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["timm"] = package
    import timm.scheduler  # noqa: PLC0415 - after the stand-in package

    return timm.scheduler


# Keyword arguments of the port that timm does not take.
PORT_ONLY = ("lr",)


def case(id_, name, args, kwargs, steps, **extra):
    out = {"id": id_, "name": name, "args": list(args), "kwargs": kwargs}
    out["_steps"] = steps
    out.update(extra)
    return out


def cases():  # noqa: PLR0915 - one list
    c = []
    lr = {"lr": 0.1}
    # StepLRScheduler: t // decay_t, warmup a prefix by default.
    s = "StepLRScheduler"
    c += [
        case("step-3-half", s, [3], {"decay_rate": 0.5, **lr}, 20),
        case("step-default-rate", s, [5], lr, 8),
        case(
            "step-warmup-prefix",
            s,
            [4],
            {"decay_rate": 0.5, "warmup_t": 3, "warmup_lr_init": 0.01, **lr},
            20,
        ),
        case(
            "step-warmup-inside",
            s,
            [4],
            {"decay_rate": 0.5, "warmup_t": 3, "warmup_prefix": False, **lr},
            20,
        ),
        case("step-2.5", s, [2.5], {"decay_rate": 0.8, **lr}, 20),
        # 1.1 * 3 = 3.3000000000000003, above 33/10: every 10th decay (t = 33,
        # 66, ...) comes a step late.
        case("step-just-above-3.3", s, [1.1 * 3], {"decay_rate": 0.9, **lr}, 70),
        case("step-1.5-grow", s, [1.5], {"decay_rate": 1.1, "lr": 1e-3}, 30),
        case(
            "step-updates",
            s,
            [7],
            {"decay_rate": 0.1, "t_in_epochs": False, "lr": 0.5},
            30,
        ),
    ]
    # MultiStepLRScheduler: milestone m applies from t = m - 1.
    s = "MultiStepLRScheduler"
    c += [
        case("multistep-3-6-10", s, [[3, 6, 10]], {"decay_rate": 0.5, **lr}, 14),
        case("multistep-at-0-1", s, [[0, 1, 5]], {"decay_rate": 0.5, **lr}, 8),
        case("multistep-repeat", s, [[4, 4, 8]], {"decay_rate": 0.1, **lr}, 12),
        case("multistep-floats", s, [[2.5, 5.0]], {"decay_rate": 0.3, **lr}, 8),
        case(
            "multistep-warmup-prefix",
            s,
            [[3, 6]],
            {"decay_rate": 0.5, "warmup_t": 2, "warmup_lr_init": 0.001, **lr},
            12,
        ),
        case(
            "multistep-warmup-inside",
            s,
            [[3, 6]],
            {"decay_rate": 0.5, "warmup_t": 4, "warmup_prefix": False, **lr},
            12,
        ),
        case("multistep-default-rate", s, [[2]], lr, 5),
    ]
    # CosineLRScheduler
    s = "CosineLRScheduler"
    c += [
        case("cosine-20", s, [20], lr, 30),
        case(
            "cosine-warmup-inside",
            s,
            [20],
            {"lr_min": 1e-3, "warmup_t": 5, "warmup_lr_init": 1e-4, **lr},
            30,
        ),
        case(
            "cosine-warmup-prefix",
            s,
            [20],
            {"lr_min": 1e-3, "warmup_t": 5, "warmup_prefix": True, **lr},
            30,
        ),
        case(
            "cosine-cycles-3",
            s,
            [10],
            {"cycle_limit": 3, "cycle_decay": 0.5, "lr_min": 0.01, **lr},
            40,
        ),
        case(
            "cosine-cycle-mul-2",
            s,
            [5],
            {"cycle_mul": 2.0, "cycle_limit": 4, "cycle_decay": 0.8, **lr},
            90,
        ),
        case(
            "cosine-cycle-mul-1.5",
            s,
            [10],
            {"cycle_mul": 1.5, "cycle_limit": 5, "lr_min": 1e-3, "lr": 1.0},
            150,
        ),
        # math.log(243, 3) = 4.999999999999999: at t = 121 timm's cycle index
        # is one short, and it gives the end of cycle 4 (lr_min).
        case(
            "cosine-cycle-mul-3-log-quirk",
            s,
            [1],
            {"cycle_mul": 3.0, "cycle_limit": 6, "lr_min": 0.01, **lr},
            130,
        ),
        case(
            "cosine-unlimited-cycles",
            s,
            [6],
            {"cycle_limit": 1000, "cycle_decay": 0.9, **lr},
            50,
        ),
        case("cosine-k2", s, [20], {"k_decay": 2.0, "lr_min": 0.01, **lr}, 25),
        case(
            "cosine-k0.5-cycles",
            s,
            [8],
            {"k_decay": 0.5, "cycle_limit": 3, "cycle_decay": 0.5, **lr},
            30,
        ),
        case(
            "cosine-k1.5-cycle-mul-2",
            s,
            [4],
            {"k_decay": 1.5, "cycle_mul": 2.0, "cycle_limit": 3, **lr},
            35,
        ),
        case(
            "cosine-cycles-warmup-prefix",
            s,
            [10],
            {
                "cycle_limit": 2,
                "warmup_t": 3,
                "warmup_lr_init": 0.02,
                "warmup_prefix": True,
                "cycle_decay": 0.5,
                **lr,
            },
            30,
        ),
        case("cosine-limit-0", s, [10], {"cycle_limit": 0, "lr_min": 0.02, **lr}, 5),
        case("cosine-t1", s, [1], lr, 4),
        case("cosine-updates", s, [50], {"t_in_epochs": False, "lr": 3e-4}, 60),
    ]
    # TanhLRScheduler
    s = "TanhLRScheduler"
    c += [
        case("tanh-20", s, [20], lr, 25),
        case("tanh-bounds", s, [15], {"lb": -6.0, "ub": 4.0, "lr_min": 0.01, **lr}, 20),
        case(
            "tanh-warmup-inside",
            s,
            [20],
            {"warmup_t": 4, "warmup_lr_init": 0.01, **lr},
            25,
        ),
        case(
            "tanh-warmup-prefix",
            s,
            [20],
            {"warmup_t": 4, "warmup_prefix": True, **lr},
            28,
        ),
        case(
            "tanh-cycles-3",
            s,
            [10],
            {"cycle_limit": 3, "cycle_decay": 0.5, "lr_min": 1e-3, **lr},
            35,
        ),
        case(
            "tanh-cycle-mul-2",
            s,
            [4],
            {"cycle_mul": 2.0, "cycle_limit": 3, "cycle_decay": 0.7, **lr},
            32,
        ),
        case(
            "tanh-cycle-mul-3-log-quirk",
            s,
            [1],
            {"cycle_mul": 3.0, "cycle_limit": 6, **lr},
            125,
        ),
        case(  # the warmup ramps to lr, not to the curve's first value
            "tanh-warmup-prefix-cycles",
            s,
            [10],
            {
                "lb": -1.0,
                "ub": 3.0,
                "warmup_t": 4,
                "warmup_prefix": True,
                "cycle_limit": 2,
                **lr,
            },
            30,
        ),
        case(
            "tanh-warmup-prefix-cycle-mul",
            s,
            [1],
            {
                "warmup_t": 3,
                "warmup_lr_init": 0.5,
                "warmup_prefix": True,
                "cycle_mul": 2.0,
                "cycle_limit": 10,
                **lr,
            },
            40,
        ),
    ]
    # PolyLRScheduler
    s = "PolyLRScheduler"
    c += [
        case("poly-20", s, [20], lr, 25),
        case("poly-power-2", s, [20], {"power": 2.0, "lr_min": 0.01, **lr}, 25),
        case("poly-k1.5", s, [20], {"k_decay": 1.5, "power": 1.0, **lr}, 25),
        case(
            "poly-cycles-warmup",
            s,
            [10],
            {
                "power": 1.5,
                "cycle_limit": 3,
                "cycle_decay": 0.5,
                "warmup_t": 3,
                "warmup_lr_init": 0.01,
                **lr,
            },
            40,
        ),
        case(
            "poly-cycle-mul-2",
            s,
            [4],
            {"power": 0.5, "cycle_mul": 2.0, "cycle_limit": 3, "lr_min": 1e-3, **lr},
            32,
        ),
        case(
            "poly-k2-cycles-prefix",
            s,
            [6],
            {
                "k_decay": 2.0,
                "cycle_limit": 2,
                "warmup_t": 2,
                "warmup_prefix": True,
                **lr,
            },
            20,
        ),
    ]
    # WSDLRScheduler
    s = "WSDLRScheduler"
    c += [
        case("wsd-default", s, [20, 5], {"warmup_t": 3, **lr}, 28),
        case(
            "wsd-linear", s, [20, 8], {"decay_fn": "linear", "lr_min": 0.01, **lr}, 24
        ),
        case("wsd-cosine", s, [12, 12], {"decay_fn": "cosine", **lr}, 15),
        case(
            "wsd-power",
            s,
            [20, 10],
            {"decay_fn": "power", "decay_power": 2.0, "warmup_t": 2, **lr},
            25,
        ),
        case(
            "wsd-exp",
            s,
            [20, 10],
            {"decay_fn": "exp", "decay_ratio": 0.05, "lr_min": 1e-3, **lr},
            25,
        ),
        case(
            "wsd-rsqrt",
            s,
            [30, 6],
            {
                "stable_fn": "rsqrt",
                "decay_fn": "linear",
                "warmup_t": 4,
                "warmup_lr_init": 1e-3,
                **lr,
            },
            40,
        ),
        case(
            "wsd-power-stable-clipped",
            s,
            [40, 10],
            {
                "stable_fn": "power",
                "stable_timescale": 3.0,
                "stable_power": 0.8,
                "lr_min": 0.02,
                **lr,
            },
            45,
        ),
        case(
            "wsd-rsqrt-timescale-no-warmup",
            s,
            [25, 5],
            {"stable_fn": "rsqrt", "stable_timescale": 2.5, "decay_fn": "cosine", **lr},
            30,
        ),
        case("wsd-lr-min-above", s, [10, 4], {"lr_min": 0.2, **lr}, 12),
    ]
    # PlateauLRScheduler (deprecated in timm): a metric per epoch.
    s = "PlateauLRScheduler"
    falling = [1.0, 0.9, 0.8, 0.85, 0.84, 0.83, 0.82, 0.83, 0.81, 0.8, 0.8, 0.8]
    rising = [0.1, 0.2, 0.3, 0.3, 0.3, 0.31, 0.3, 0.3, 0.3, 0.3, 0.29, 0.3]
    c += [
        case(
            "plateau-min",
            s,
            [],
            {"mode": "min", "patience_t": 1, **lr},
            0,
            metrics=falling,
        ),
        case(
            "plateau-max-warmup",
            s,
            [],
            {"patience_t": 1, "warmup_t": 3, "warmup_lr_init": 0.01, **lr},
            0,
            metrics=rising,
        ),
        case(
            "plateau-cooldown-min-lr",
            s,
            [],
            {
                "decay_rate": 0.5,
                "patience_t": 0,
                "cooldown_t": 1,
                "lr_min": 0.03,
                "mode": "min",
                **lr,
            },
            0,
            metrics=[1.0] * 12,
        ),
        case(
            "plateau-warmup-all-bad",
            s,
            [],
            {"patience_t": 2, "warmup_t": 2, "mode": "min", "threshold": 0.1, **lr},
            0,
            metrics=[5.0, 1.0, 1.0, 0.95, 0.97, 0.96, 0.99, 0.5, 0.6, 0.6, 0.6],
        ),
    ]
    # create_scheduler_v2: the rate of every optimizer update in train.py.
    f = "create_scheduler_v2"
    c += [
        case(
            "v2-cosine-epochs", f, [], {"num_epochs": 20, "warmup_epochs": 3, **lr}, 25
        ),
        case(
            "v2-cosine-updates",
            f,
            [],
            {
                "num_epochs": 6,
                "warmup_epochs": 1,
                "min_lr": 1e-4,
                "step_on_epochs": False,
                "updates_per_epoch": 4,
                **lr,
            },
            30,
        ),
        case(
            "v2-cosine-epochs-of-3-updates",
            f,
            [],
            {
                "num_epochs": 8,
                "warmup_epochs": 2,
                "warmup_prefix": True,
                "cooldown_epochs": 2,
                "updates_per_epoch": 3,
                **lr,
            },
            36,
        ),
        case(
            "v2-cosine-cycles-k",
            f,
            [],
            {
                "num_epochs": 5,
                "cycle_limit": 3,
                "cycle_mul": 2.0,
                "cycle_decay": 0.5,
                "k_decay": 1.5,
                "cooldown_epochs": 3,
                "warmup_lr": 0.0,
                **lr,
            },
            40,
        ),
        case(
            "v2-tanh-updates",
            f,
            [],
            {
                "sched": "tanh",
                "num_epochs": 5,
                "warmup_epochs": 1,
                "cycle_limit": 2,
                "step_on_epochs": False,
                "updates_per_epoch": 5,
                "cooldown_epochs": 1,
                **lr,
            },
            60,
        ),
        case(
            "v2-tanh-no-warmup",
            f,
            [],
            {"sched": "tanh", "num_epochs": 10, **lr},
            12,
        ),
        case(  # update 0 is lr, not the curve's first value
            "v2-tanh-cycles-no-warmup",
            f,
            [],
            {"sched": "tanh", "num_epochs": 10, "cycle_limit": 2, **lr},
            25,
        ),
        case(
            "v2-step-epochs",
            f,
            [],
            {
                "sched": "step",
                "num_epochs": 20,
                "decay_epochs": 2.5,
                "decay_rate": 0.5,
                "warmup_epochs": 2,
                **lr,
            },
            20,
        ),
        # decay_t = 1.1 * 100 = 110.00000000000001: each decay an update late.
        case(
            "v2-step-updates-late",
            f,
            [],
            {
                "sched": "step",
                "num_epochs": 3,
                "decay_epochs": 1.1,
                "decay_rate": 0.5,
                "step_on_epochs": False,
                "updates_per_epoch": 100,
                **lr,
            },
            240,
        ),
        case(
            "v2-multistep-updates",
            f,
            [],
            {
                "sched": "multistep",
                "num_epochs": 6,
                "decay_milestones": [2, 4],
                "warmup_epochs": 1,
                "warmup_prefix": True,
                "step_on_epochs": False,
                "updates_per_epoch": 3,
                **lr,
            },
            24,
        ),
        case(
            "v2-multistep-no-warmup",
            f,
            [],
            {
                "sched": "multistep",
                "num_epochs": 8,
                "decay_milestones": [1, 3],
                "updates_per_epoch": 2,
                **lr,
            },
            16,
        ),
        case(
            "v2-poly",
            f,
            [],
            {
                "sched": "poly",
                "num_epochs": 12,
                "decay_rate": 2.0,
                "warmup_epochs": 2,
                "min_lr": 1e-3,
                **lr,
            },
            15,
        ),
        case(
            "v2-wsd-epochs",
            f,
            [],
            {
                "sched": "wsd",
                "num_epochs": 12,
                "warmup_epochs": 2,
                "cooldown_epochs": 1,
                **lr,
            },
            15,
        ),
        case(
            "v2-wsd-updates-cosine",
            f,
            [],
            {
                "sched": "wsd",
                "num_epochs": 6,
                "decay_epochs": 0.5,
                "decay_fn": "cosine",
                "warmup_epochs": 1,
                "warmup_prefix": True,
                "step_on_epochs": False,
                "updates_per_epoch": 4,
                "min_lr": 1e-3,
                **lr,
            },
            32,
        ),
        case(
            "v2-rsqrt",
            f,
            [],
            {
                "sched": "rsqrt",
                "num_epochs": 20,
                "warmup_epochs": 3,
                "decay_epochs": 4,
                **lr,
            },
            22,
        ),
        case(
            "v2-rsqrt-timescale-updates",
            f,
            [],
            {
                "sched": "rsqrt",
                "num_epochs": 5,
                "stable_timescale": 0.5,
                "step_on_epochs": False,
                "updates_per_epoch": 6,
                **lr,
            },
            32,
        ),
        case(
            "v2-constant",
            f,
            [],
            {"sched": "constant", "num_epochs": 5, "warmup_epochs": 2, **lr},
            6,
        ),
        case("v2-none", f, [], {"sched": "none", "num_epochs": 4, **lr}, 4),
        case(
            "v2-plateau",
            f,
            [],
            {
                "sched": "plateau",
                "num_epochs": 12,
                "patience_epochs": 1,
                "warmup_epochs": 2,
                **lr,
            },
            0,
            metrics=rising,
        ),
    ]
    return c


def _timm_kwargs(spec):
    return {k: v for k, v in spec["kwargs"].items() if k not in PORT_ONLY}


def _optimizer(lr):
    param = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([param], lr=lr, momentum=0.9)


def _rate(optimizer):
    return float(optimizer.param_groups[0]["lr"])


def run(spec):
    """timm's rates for one case (and the factory's num_epochs)."""
    ts = load_timm_scheduler()
    lr = spec["kwargs"]["lr"]
    optimizer = _optimizer(lr)
    kwargs = _timm_kwargs(spec)
    if spec["name"] == "create_scheduler_v2":
        scheduler, num_epochs = ts.create_scheduler_v2(optimizer, **kwargs)
        extra = {"num_epochs": num_epochs}
        if "metrics" in spec:
            out = []
            for epoch, metric in enumerate(spec["metrics"]):
                scheduler.step(epoch + 1, metric)
                out.append(_rate(optimizer))
            return out, extra
        per_epoch = kwargs.get("updates_per_epoch", 0)
        out = []
        epoch = 0
        while len(out) < spec["_steps"]:
            num_updates = epoch * per_epoch
            for _ in range(max(per_epoch, 1)):
                out.append(_rate(optimizer))  # the rate of this update
                num_updates += 1
                if scheduler is not None:
                    scheduler.step_update(num_updates=num_updates)
            if scheduler is not None:
                scheduler.step(epoch + 1)
            epoch += 1
        return out[: spec["_steps"]], extra
    scheduler = getattr(ts, spec["name"])(optimizer, *spec["args"], **kwargs)
    if "metrics" in spec:
        out = []
        for epoch, metric in enumerate(spec["metrics"]):
            scheduler.step(epoch + 1, metric)
            out.append(_rate(optimizer))
        return out, {}
    out = []
    for t in range(spec["_steps"]):
        if kwargs.get("t_in_epochs", True):
            scheduler.step(t)
        else:
            scheduler.step_update(t)
        out.append(_rate(optimizer))
    return out, {}


def _record(specs) -> list:
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for spec in specs:
            values, extra = run(spec)
            values = [float(v) for v in values]
            assert all(math.isfinite(v) for v in values), spec["id"]
            spec = {k: v for k, v in spec.items() if k != "_steps"}
            spec.update(extra)
            spec["values"] = values
            out.append(spec)
    return out


PORTED = tuple(jaxdecay.timm.__all__)  # every name the port has


def signatures() -> dict:
    """timm's parameters of each ported name, without the optimizer: ``[name,
    repr(default)]`` (None for a required one), for the tests to compare."""
    ts = load_timm_scheduler()
    out = {}
    for name in PORTED:
        params = inspect.signature(getattr(ts, name)).parameters.values()
        out[name] = [
            [p.name, None if p.default is p.empty else repr(p.default)]
            for p in params
            if p.name != "optimizer"
        ]
    return out


def generate() -> dict:
    """The fixture document: every case with timm's float64 rates, and timm's
    signatures."""
    load_timm_scheduler()
    return {
        "peer": "timm",
        "version": importlib.metadata.version("timm"),
        "signatures": signatures(),
        "cases": _record(cases()),
    }


if __name__ == "__main__":
    FIXTURES.mkdir(exist_ok=True)
    doc = generate()
    path = FIXTURES / "timm.json"
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{path}: {len(doc['cases'])} cases (timm {doc['version']})")
