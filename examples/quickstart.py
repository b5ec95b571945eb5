"""Prints and plots a few jaxdecay schedules, and trains a tiny model with one.

python examples/quickstart.py            # prints values, writes schedules.png
python examples/quickstart.py --no-plot  # without matplotlib
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import optax

import jaxdecay as jd

TOTAL = 1000


def schedules() -> dict[str, jd.Schedule]:
    return {
        "linear_decay (rate 0.1 per 100 steps)": jd.linear_decay(
            0.1, decay_rate=0.1, transition_steps=100
        ),
        "exponential_decay, staircase": jd.exponential_decay(
            0.1, decay_rate=0.9, transition_steps=100, staircase=True
        ),
        "step_decay": jd.step_decay(0.1, step_size=300, gamma=0.1),
        "warmup_cosine_decay": jd.warmup_cosine_decay(
            0.1, warmup_steps=100, decay_steps=TOTAL
        ),
        "warmup_stable_decay (1-sqrt)": jd.warmup_stable_decay(
            0.1,
            warmup_steps=100,
            stable_steps=700,
            decay_steps=200,
            decay_shape="1-sqrt",
        ),
        "one_cycle": jd.one_cycle(0.1, total_steps=TOTAL),
        "cosine_restarts": jd.cosine_restarts(0.1, first_period=100, period_mult=2.0),
        "combined: linear x exponential": jd.linear_decay(0.1, 0.1, 100)
        * jd.exponential_decay(1.0, 0.9, 100),
    }


def train(schedule: jd.Schedule, steps: int = 200) -> float:
    """Least squares with AdamW driven by ``schedule``; returns the final loss."""
    key_x, key_w = jax.random.split(jax.random.key(0))
    x = jax.random.normal(key_x, (256, 8))
    y = x @ jax.random.normal(key_w, (8,))

    def loss_fn(w):
        return jnp.mean((x @ w - y) ** 2)

    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=schedule)
    w = jnp.zeros(8)
    state = opt.init(w)

    @jax.jit
    def step(w, state):
        loss, grads = jax.value_and_grad(loss_fn)(w)
        updates, state = opt.update(grads, state, w)
        return optax.apply_updates(w, updates), state, loss

    for _ in range(steps):
        w, state, loss = step(w, state)
    return float(loss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument("-o", "--output", default="schedules.png")
    args = parser.parse_args()

    marks = [0, 1, 100, 250, 500, 750, 999]
    print(f"{'schedule':34s}" + "".join(f"{m:>11d}" for m in marks))
    for name, s in schedules().items():
        values = jax.jit(s)(jnp.asarray(marks))
        print(f"{name:34s}" + "".join(f"{float(v):11.3e}" for v in values))

    s = jd.warmup_cosine_decay(0.05, warmup_steps=20, decay_steps=200)
    print(f"\nAdamW with {s!r}:\n  final loss {train(s):.2e}")

    if not args.no_plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps = jnp.arange(TOTAL + 200)
        fig, ax = plt.subplots(figsize=(9, 5))
        for name, s in schedules().items():
            ax.plot(steps, s(steps), label=name)
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.output, dpi=100)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
