"""Worst relative error of every port against its peer, from the committed fixtures.

    python scripts/port_errors.py            # Markdown table for the README

For each ported name: the native jaxdecay schedule it is built from, and the
worst relative error over all its fixture cases, jitted, in float32 and with
x64 (values below 1e-3 of a case's peak are left out of the relative error; the
tests bound them with an absolute tolerance).  Plateau cases replay their
metrics through ``init``/``update``.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections import defaultdict
from pathlib import Path

import jax
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import peers  # noqa: E402

import jaxdecay as jd  # noqa: E402


def shape(s) -> str:
    """The structure of a schedule: class names, nested."""
    if isinstance(s, jd.reduce_on_plateau):
        return "reduce_on_plateau"
    if not isinstance(s, jd.Schedule):
        return "fn"
    if (
        hasattr(s, "spec")
        and hasattr(s, "schedule")
        and type(s).__name__.startswith("_")
    ):
        return shape(s.schedule)  # a port's identity wrapper
    if isinstance(s, jd.arithmetic):
        parts = [
            shape(x) if isinstance(x, jd.Schedule) else "c" for x in (s.lhs, s.rhs)
        ]
        return f"{parts[0]} {s.op} {parts[1]}"
    inner = []
    for f in dataclasses.fields(s):
        v = getattr(s, f.name)
        if isinstance(v, jd.Schedule):
            inner.append(shape(v))
        elif isinstance(v, (tuple, list)) and v and isinstance(v[0], jd.Schedule):
            inner.append(", ".join(sorted({shape(x) for x in v})))
    name = type(s).__name__
    return f"{name}({', '.join(inner)})" if inner else name


def values(case, namespace):
    s = peers.build(case, namespace)
    if isinstance(s, tuple):  # timm's create_scheduler_v2: (schedule, num_epochs)
        s = s[0]
    if "metrics" in case:
        return s, np.asarray(peers.plateau_values(s, case["metrics"]), np.float64)
    return s, np.asarray(peers.jitted(s, np.arange(len(case["values"]))), np.float64)


def worst(got, want) -> float:
    want = np.asarray(want, np.float64)
    peak = np.max(np.abs(want)) or 1.0
    big = np.abs(want) >= 1e-3 * peak
    if not big.any():
        return 0.0
    return float(np.max(np.abs(got[big] - want[big]) / np.abs(want[big])))


def measure():
    rows = {}
    for peer in ("torch", "transformers", "keras", "timm"):
        namespace = importlib.import_module(f"jaxdecay.{peer}")
        doc = peers.load(peer)
        errs = defaultdict(lambda: [0.0, 0.0, [], 0])
        for case in doc["cases"]:
            want = case.get("values_float64", case["values"])
            s, got = values(case, namespace)
            e = errs[case["name"]]
            e[0] = max(e[0], worst(got, want))
            e[2].append(shape(s))
            e[3] += 1
            with jax.enable_x64(True):
                _, got64 = values(case, namespace)
            e[1] = max(e[1], worst(got64, want))
        rows[peer] = (doc["version"], dict(errs))
    return rows


def main() -> None:
    rows = measure()
    print("| peer | name | built from | cases | worst rel. error, float32 | with x64 |")
    print("|---|---|---|--:|--:|--:|")
    for peer, (version, errs) in rows.items():
        for name, (e32, e64, shapes, n) in errs.items():
            # The most common structure (the longest among equals).
            built = max(set(shapes), key=lambda x: (shapes.count(x), len(x)))
            print(
                f"| {peer} {version} | `{name}` | `{built}` | {n} | {e32:.1e} | "
                f"{e64:.1e} |"
            )


if __name__ == "__main__":
    main()
