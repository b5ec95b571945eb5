#!/usr/bin/env python
"""The cost of ``jaxdecay.torch.LambdaLR`` with a Python ``lr_lambda`` (one that
JAX cannot trace: ``if``/``min``/``math``), per call of a jitted schedule on a
scalar step, as a ratio to a constant rate (medians of interleaved repeats):

- traced: a ``jnp``-friendly lambda, compiled into the schedule;
- host table: a Python lambda at a step below ``horizon`` (one table read);
- host callback: the same at a step >= ``horizon`` (``jax.pure_callback``);
- also the time to build the schedule (``horizon`` Python calls).

    python benchmarks/bench_torch_lambda.py [--repeats 7] [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--horizon", type=int, default=100_000)
    args = parser.parse_args(argv)

    import jax
    import jax.numpy as jnp

    import jaxdecay.torch as jt

    horizon = args.horizon
    python = lambda e: min((e + 1) / 10, (10 / (e + 1)) ** 0.5)  # noqa: E731
    traced = lambda e: jnp.minimum((e + 1) / 10, (10 / (e + 1)) ** 0.5)  # noqa: E731

    start = time.perf_counter()
    host = jt.LambdaLR(python, lr=0.1, horizon=horizon)
    build = time.perf_counter() - start
    runs = {
        "constant": (jt.ConstantLR(1.0, 0, lr=0.1), 10),
        "traced": (jt.LambdaLR(traced, lr=0.1), 10),
        "host table": (host, 10),
        "host callback": (host, horizon + 10),
    }
    calls = {}
    for name, (schedule, step) in runs.items():
        fn = jax.jit(schedule)
        step = jnp.asarray(step)
        fn(step).block_until_ready()
        calls[name] = (fn, step)
    times = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, (fn, step) in calls.items():
            start = time.perf_counter()
            for _ in range(args.calls):
                out = fn(step)
            out.block_until_ready()
            times[name].append((time.perf_counter() - start) / args.calls)
    base = statistics.median(times["constant"])
    print(f"device: {jax.devices()[0]}; horizon {horizon:,}; build {build:.3f} s")
    print(f"{'case':<15} {'us/call':>9} {'x constant':>11}")
    for name in runs:
        t = statistics.median(times[name])
        print(f"{name:<15} {t * 1e6:9.1f} {t / base:11.2f}")


if __name__ == "__main__":
    main()
