"""The accuracy of ``design.fit`` on synthetic runs at the paper's size: the
table in ``design.fit``'s docstring.

A multi-power law (the paper's 400M constants unless the JSON config gives
``law``) makes the loss curves of a constant and a cosine run (24,000 steps, a
2,160-step warmup to 3e-4), noise 1e-3 is added to the loss or made relative,
and the fitted law predicts WSDs and a linear decay to zero; printed: median /
worst relative error at any logged step, per schedule, over ``seeds`` seeds.

    python scripts/design_fit_accuracy.py
    python scripts/design_fit_accuracy.py '{"every": [100], "cend": [0.1], "seeds": 6}'

Config keys: ``seeds``, ``law`` (constants), ``annealing`` (constants of an
AnnealingLaw instead), ``cend`` (the cosine's end, a fraction of the peak),
``every`` (10 and/or 100: the logging interval), ``kw`` (passed to
``design.fit``).
"""

import json
import sys
import time

import numpy as np

import jaxdecay as jd
from jaxdecay import design

PAPER = dict(
    L0=2.375, A=0.654, alpha=0.429, B=523.425, C=2.025, beta=0.594, gamma=0.635
)
PEAK, W, N = 3e-4, 2160, 24000


def wsd(frac, end):
    k = int(round((1 - frac) * N))
    return jd.warmup_stable_decay(PEAK, W, k - W, N - k, end_value=end)


TESTS = {
    "wsd10->3e-5": wsd(0.1, 3e-5),
    "wsd20->3e-5": wsd(0.2, 3e-5),
    "wsd10->0": wsd(0.1, 0.0),
    "wsd20->0": wsd(0.2, 0.0),
    "linear->0": jd.warmup(jd.linear(PEAK, 0.0, transition_steps=N - W), W),
}
cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
seeds = cfg.get("seeds", 12)
law = design.MultiPowerLaw(**cfg.get("law", PAPER))
cls = design.MultiPowerLaw
if cfg.get("annealing"):
    law = design.AnnealingLaw(**cfg["annealing"])
    cls = design.AnnealingLaw
truth = {}
for cend in cfg.get("cend", [0.1, 0.0]):
    fitting = [
        jd.warmup(jd.constant(PEAK), W),
        jd.warmup_cosine_decay(PEAK, W, N, end_value=PEAK * cend),
    ]
    for every in cfg.get("every", [100, 10]):
        steps = (
            np.arange(2200, N + 1, 100)
            if every == 100
            else np.arange(W + every, N + 1, every)
        )
        clean = [law.predict(s, steps, W) for s in fitting]
        want = {k: law.predict(s, steps, W) for k, s in TESTS.items()}
        for kind in ("added", "relative"):
            errs = {k: [] for k in TESTS}
            secs = []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                runs = []
                for s, y in zip(fitting, clean, strict=True):
                    e = 1e-3 * rng.standard_normal(len(steps))
                    runs.append((s, steps, y + e if kind == "added" else y * (1 + e)))
                t = time.process_time()
                f = design.fit(cls, runs, W, **cfg.get("kw", {}))
                secs.append(time.process_time() - t)
                for k, s in TESTS.items():
                    errs[k].append(
                        float(np.max(np.abs(f.predict(s, steps, W) / want[k] - 1)))
                    )
            allmax = np.max([errs[k] for k in TESTS], axis=0)
            n_over = int(np.sum(allmax >= 2e-3))
            print(
                f"cos->{'10%' if cend else '0'} every {every:3d} "
                f"({len(steps)} pts) {kind:8s}: "
                + " ".join(
                    f"{k} {100 * np.median(v):.3f}/{100 * np.max(v):.3f}"
                    for k, v in errs.items()
                )
                + f" | seeds >= 0.2%: {n_over}/{seeds}"
                + f" | fit cpu s median {np.median(secs):.2f} (first {secs[0]:.2f})",
                flush=True,
            )
