"""The learning-rate range test: rates, smoothing, stopping, suggestion, plot."""

import functools
import sys

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdecay._train.lr_find import LRFindResult, lr_find


def constant_loss_step(state, learning_rate):
    return state + jnp.ones((), state.dtype), jnp.ones((), jnp.float32)


def replay_step(state, learning_rate, loss):
    """Returns the batch as the loss: the test chooses every loss."""
    return state, loss


# --- rates and smoothing ----------------------------------------------------------


@pytest.mark.parametrize(
    "min_value, max_value, num_steps",
    [(1e-7, 10.0, 100), (1e-3, 2.0, 7), (0.5, 1.0, 2)],
)
def test_rates_are_geometric(min_value, max_value, num_steps):
    result = lr_find(
        constant_loss_step,
        jnp.zeros(()),
        min_value=min_value,
        max_value=max_value,
        num_steps=num_steps,
    )
    i = np.arange(num_steps, dtype=np.float64)
    expected = min_value * (max_value / min_value) ** (i / (num_steps - 1))
    assert result.num_steps_run == num_steps and not result.diverged
    assert isinstance(result.rates, np.ndarray)
    chex.assert_trees_all_close(result.rates.astype(np.float64), expected, rtol=1e-6)
    assert result.rates[0] == np.float32(min_value)
    assert result.rates[-1] == np.float32(max_value)


def ema_reference(losses, beta):
    """Bias-corrected exponential moving average, in float64."""
    avg, out = 0.0, []
    for i, loss in enumerate(np.asarray(losses, np.float64)):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta ** (i + 1)))
    return np.array(out)


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.98, 0.999])
def test_smoothing_matches_a_float64_reference(smoothing):
    losses = np.random.default_rng(0).uniform(1.0, 2.0, 60).astype(np.float32)
    result = lr_find(
        replay_step, jnp.zeros(()), losses, num_steps=60, smoothing=smoothing
    )
    assert result.num_steps_run == 60 and not result.diverged
    np.testing.assert_array_equal(result.losses, losses)
    chex.assert_trees_all_close(
        result.smoothed_losses.astype(np.float64),
        ema_reference(losses, smoothing),
        rtol=1e-5,
    )
    if smoothing == 0:
        np.testing.assert_array_equal(result.smoothed_losses, losses)


def test_x64_rates_and_losses_are_float64():
    with jax.enable_x64(True):
        result = lr_find(
            lambda w, lr: (w * (1 - lr), jnp.sum(w**2)),
            jnp.ones(2, jnp.float64),
            min_value=1e-7,
            max_value=1.0,
            num_steps=50,
        )
    i = np.arange(50) / 49
    assert result.rates.dtype == result.losses.dtype == np.float64
    chex.assert_trees_all_close(result.rates, 1e-7 * 1e7**i, rtol=1e-12)
    assert result.num_steps_run == 50 and not result.diverged


def test_batches_cycle_through_the_leading_axis():
    data = {"loss": np.array([3.0, 1.0, 2.0], np.float32), "pad": np.zeros((3, 2))}
    result = lr_find(
        lambda s, lr, batch: (s, batch["loss"]),
        jnp.zeros(()),
        data,
        num_steps=7,
        smoothing=0.0,
        diverge_factor=10.0,
    )
    np.testing.assert_array_equal(result.losses, [3, 1, 2, 3, 1, 2, 3])


# --- suggestion -----------------------------------------------------------------


def least_squares(scale):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(64, 8))
    b = a @ rng.normal(size=8) + 0.5 * rng.normal(size=64)
    a, b = (scale * a).astype(np.float32), (scale * b).astype(np.float32)
    curvature = np.linalg.eigvalsh(a.T.astype(np.float64) @ a / 64).max()

    def step(x, learning_rate):
        loss, grad = jax.value_and_grad(lambda x: 0.5 * jnp.mean((a @ x - b) ** 2))(x)
        return x - learning_rate * grad, loss

    return step, curvature


@functools.cache
def least_squares_run(scale):
    """The range test on ``least_squares(scale)`` from 1e-4 / L to 1e2 / L (100
    steps), and L: run once, shared by the tests that read it."""
    step, curvature = least_squares(scale)
    result = lr_find(
        step,
        jnp.zeros(8),
        min_value=1e-4 / curvature,
        max_value=1e2 / curvature,
        num_steps=100,
    )
    return result, curvature


def test_suggestion_on_least_squares_lies_in_the_derived_band():
    """Gradient descent on a quadratic of largest curvature L.

    Along the top eigenvector the error is multiplied by |1 - rate L| per step,
    so it grows for rate > 2/L: the suggestion (where the loss falls fastest)
    must lie below 2/L.  While the rate is small the loss moves little: by the
    time the rate reaches r, the sum of all rates so far is about r / (1 - 1/q)
    with q = 10**(6/99) the growth per step, about 7.6 r, so the error has
    shrunk by about exp(-7.6 r L) along the top direction, a few percent for
    r < 0.005/L; the fastest fall comes well after that, so above 0.05/L.
    Scaling the problem's curvature by 100 scales the suggestion by 1/100.
    """
    suggestions = []
    for scale in (1.0, 10.0):
        result, curvature = least_squares_run(scale)
        assert result.diverged and result.num_steps_run < 100
        assert 0.05 / curvature < result.suggestion < 2.0 / curvature
        assert result.rate_at_min > result.suggestion
        suggestions.append(result.suggestion * curvature)
    np.testing.assert_allclose(suggestions[0], suggestions[1], rtol=1e-3)


def test_noise_between_batches_is_not_taken_for_a_descent():
    """Minibatches of different losses: the smoothed curve wobbles by several
    percent at tiny rates, long before any learning.  The suggestion
    must still land where the loss really falls (same band as above, with L
    the largest curvature over the batches), not in the early wobble."""
    rng = np.random.default_rng(1)
    a = rng.normal(size=(20, 16, 4)).astype(np.float32)
    b = (a @ np.arange(4.0)).astype(np.float32)
    curvature = max(
        np.linalg.eigvalsh(x.T.astype(np.float64) @ x / 16).max() for x in a
    )

    def step(x, learning_rate, batch):
        xs, ys = batch
        loss, grad = jax.value_and_grad(lambda x: 0.5 * jnp.mean((xs @ x - ys) ** 2))(x)
        return x - learning_rate * grad, loss

    result = lr_find(step, jnp.zeros(4), (a, b), min_value=1e-6, max_value=1.0)
    wobble = result.smoothed_losses[:50]
    assert np.ptp(wobble) / wobble.mean() > 0.02  # the noise is there
    assert 0.05 / curvature < result.suggestion < 2.0 / curvature


def test_suggestion_for_adam_on_a_small_mlp_trains_well():
    """Adam moves each weight by about the rate per step, so on unit-scale
    weights good rates lie well between 1e-4 and 0.3; training at the
    suggestion must bring the loss down."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 32, 10)).astype(np.float32)
    y = (x @ rng.normal(size=10) + 0.5 * rng.normal(size=(8, 32)) > 0).astype(
        np.float32
    )

    def loss_fn(params, batch):
        inputs, targets = batch
        hidden = jnp.tanh(inputs @ params["w1"] + params["b1"])
        logits = hidden @ params["w2"] + params["b2"]
        return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, targets))

    opt = optax.inject_hyperparams(optax.adam)(learning_rate=0.0)

    def step(state, learning_rate, batch):
        params, opt_state = state
        opt_state.hyperparams["learning_rate"] = learning_rate
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = opt.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    with jax.numpy_dtype_promotion("standard"):
        k1, k2 = jax.random.split(jax.random.key(0))
        params = {
            "w1": jax.random.normal(k1, (10, 32)) / np.sqrt(10),
            "b1": jnp.zeros(32),
            "w2": jax.random.normal(k2, (32,)) / np.sqrt(32),
            "b2": jnp.zeros(()),
        }
        result = lr_find(step, (params, opt.init(params)), (x, y), min_value=1e-6)
        assert 1e-4 < result.suggestion < 0.3

        def train(learning_rate):
            def body(state, i):
                batch = (jnp.asarray(x)[i % 8], jnp.asarray(y)[i % 8])
                return step(state, jnp.float32(learning_rate), batch)

            _, losses = jax.lax.scan(body, (params, opt.init(params)), jnp.arange(80))
            return np.asarray(losses)

        losses = train(result.suggestion)
    assert losses[-8:].mean() < 0.5 * losses[0]


def test_loss_that_only_rises_suggests_the_first_rate():
    result = lr_find(
        lambda s, lr: (s, 1.0 + lr),
        jnp.zeros(()),
        min_value=1e-3,
        max_value=1.0,
        num_steps=20,
        smoothing=0.0,
    )
    assert result.suggestion == result.rate_at_min == result.rates[0]


def test_suggestion_at_the_steepest_descent_in_log_rate():
    """1 / (1 + r) falls fastest against log r at r = 1, its minimum is last."""
    result = lr_find(
        lambda s, lr: (s, 1.0 / (1.0 + lr)),
        jnp.zeros(()),
        min_value=1e-3,
        max_value=1e3,
        num_steps=61,
        smoothing=0.0,
    )
    np.testing.assert_allclose(result.suggestion, 1.0, rtol=1e-5)
    assert result.rate_at_min == result.rates[-1]


# --- stopping -----------------------------------------------------------------


def test_blowing_up_stops_the_run_and_keeps_what_was_measured():
    calls = []

    def step(state, learning_rate):
        jax.debug.callback(lambda lr: calls.append(float(lr)), learning_rate)
        loss = jnp.where(learning_rate < 1.0, 1.0 - 0.1 * learning_rate, 50.0)
        return state, loss

    result = lr_find(
        step, jnp.zeros(()), min_value=1e-3, max_value=1e3, num_steps=61, smoothing=0
    )
    jax.effects_barrier()
    first_big = int(np.argmax(result.rates >= 1.0))
    assert result.diverged
    assert result.num_steps_run == first_big + 1 == 31
    for array in (result.rates, result.losses, result.smoothed_losses):
        assert array.shape == (31,)
    np.testing.assert_allclose(result.losses[:-1], 1.0 - 0.1 * result.rates[:-1])
    assert result.losses[-1] == 50.0
    assert len(calls) == 31  # no step runs after the stop


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_loss_stops_the_run(bad):
    def step(state, learning_rate):
        w = state - learning_rate * state
        loss = jnp.where(learning_rate < 0.15, jnp.sum(w**2), bad)
        return w, loss

    result = lr_find(step, jnp.ones(2), min_value=1e-3, max_value=1.0, num_steps=31)
    assert result.diverged and result.num_steps_run == 23  # 0.1 < rates[22] < 0.15
    assert np.all(np.isfinite(result.losses[:-1]))
    assert not np.isfinite(result.losses[-1])
    assert np.isfinite(result.suggestion) and np.isfinite(result.rate_at_min)


def test_nan_on_the_first_step_still_returns_a_result():
    result = lr_find(lambda s, lr: (s, jnp.float32(np.nan)), jnp.zeros(()))
    assert result.diverged and result.num_steps_run == 1
    assert np.isnan(result.losses[0])
    assert np.isnan(result.suggestion) and np.isnan(result.rate_at_min)


def test_a_negative_loss_uses_the_distance_to_the_best():
    # Best -1: the stop needs s > -1 + 3 * 1 = 2.
    losses = np.array([-1.0, 1.9, 1.9, 2.5, 0.0], np.float32)
    result = lr_find(replay_step, jnp.zeros(()), losses, num_steps=5, smoothing=0)
    assert result.diverged and result.num_steps_run == 4


# --- compilation ------------------------------------------------------------------


@pytest.mark.parametrize("num_steps", [10, 200])
def test_the_step_is_traced_once(num_steps):
    traces = []

    def step(state, learning_rate, batch):
        traces.append(None)
        w, count = state
        loss = jnp.sum((w - batch) ** 2)
        return (w - learning_rate * (w - batch), count + 1), loss

    data = np.ones((5, 3), np.float32)
    state = (jnp.zeros(3), 0)  # a weakly typed Python int in the state
    lr_find(step, state, data, num_steps=num_steps, max_value=0.5)
    assert len(traces) == 1


# --- progress bar ---------------------------------------------------------------


def test_progress_bar_reaches_the_steps_run(capsys):
    lr_find(constant_loss_step, jnp.zeros(()), num_steps=30, progress=True)
    err = capsys.readouterr().err
    final = err.rstrip("\n").rsplit("\r", 1)[-1]
    assert final.startswith("lr_find 100%|")
    assert "30/30" in final and "loss=1" in final and "lr=10" in final


def test_progress_bar_says_when_the_run_stopped(capsys):
    losses = np.array([1.0, 1.0, 9.0, 1.0, 1.0], np.float32)
    lr_find(replay_step, jnp.zeros(()), losses, num_steps=5, smoothing=0, progress=True)
    final = capsys.readouterr().err.rstrip("\n").rsplit("\r", 1)[-1]
    assert "diverged" in final and "3/5" in final


@pytest.mark.parametrize("progress", [False, None])
def test_no_progress_prints_nothing_and_makes_no_callback(
    progress, capsys, monkeypatch
):
    import jaxdecay._train.lr_find as module

    def no_callback(*args, **kwargs):
        raise AssertionError("a progress callback was emitted")

    monkeypatch.setattr(module, "_Report", no_callback)
    lr_find(constant_loss_step, jnp.zeros(()), num_steps=10, progress=progress)
    assert capsys.readouterr() == ("", "")


# --- plot -----------------------------------------------------------------------


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def diverged_result():
    return least_squares_run(1.0)[0]


def test_plot_draws_raw_smoothed_and_the_suggestion(plt, diverged_result):
    from matplotlib.figure import Figure

    fig = diverged_result.plot()
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == 3
    assert ax.get_xscale() == "log"
    raw, smooth, mark = ax.lines
    np.testing.assert_allclose(smooth.get_xdata(), diverged_result.rates)
    np.testing.assert_allclose(mark.get_xdata(), [diverged_result.suggestion])
    # The diverging last step does not set the y range.
    assert ax.get_ylim()[1] < diverged_result.smoothed_losses[-1]


def test_plot_options_and_given_axes(plt, diverged_result):
    fig, ax = plt.subplots()
    out = diverged_result.plot(ax, log=False, raw=False)
    assert out is fig
    assert len(ax.lines) == 2 and ax.get_xscale() == "linear"


def test_plot_without_matplotlib_says_how_to_install(monkeypatch, diverged_result):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "jaxdecay\[plot\]"'):
        diverged_result.plot()


def test_result_repr_is_short(diverged_result):
    text = repr(diverged_result)
    assert text.startswith("LRFindResult(suggestion=") and "\n" not in text
    assert isinstance(diverged_result, LRFindResult)


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"min_value": 0.0}, ValueError, r"`min_value` must be positive.*min_value=0"),
        ({"min_value": -1}, ValueError, r"min_value=-1"),
        ({"min_value": "a"}, TypeError, r"`min_value`.*min_value='a'"),
        ({"max_value": 1e-8}, ValueError, r"`max_value` must be greater.*1e-08"),
        ({"max_value": np.inf}, ValueError, r"`max_value`.*max_value=inf"),
        ({"num_steps": 1}, ValueError, r"`num_steps`.*num_steps=1"),
        ({"num_steps": 10.5}, ValueError, r"`num_steps`.*num_steps=10.5"),
        ({"num_steps": "10"}, TypeError, r"`num_steps`.*num_steps='10'"),
        ({"smoothing": 1.0}, ValueError, r"`smoothing` must be in \[0, 1\).*=1.0"),
        ({"smoothing": -0.1}, ValueError, r"smoothing=-0.1"),
        ({"diverge_factor": 1.0}, ValueError, r"`diverge_factor`.*> 1.*=1.0"),
        ({"progress": "yes"}, TypeError, r"`progress`.*progress='yes'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=r"^lr_find: .*" + match):
        lr_find(constant_loss_step, jnp.zeros(()), **kwargs)


def test_step_must_be_callable():
    with pytest.raises(TypeError, match=r"`step` must be a function.*step=3"):
        lr_find(3, jnp.zeros(()))


@pytest.mark.parametrize(
    "data, error, match",
    [
        (
            {"x": np.zeros((4, 2)), "y": np.zeros(3)},
            ValueError,
            r"data\['x'\]=\(4, 2\), data\['y'\]=\(3,\)",
        ),
        (np.zeros(()), ValueError, r"leading \(batch\) axis.*\(\)"),
        (np.zeros((0, 3)), ValueError, r"nonzero leading"),
        ([1.0, 2.0], TypeError, r"`data` must be None or a pytree of arrays"),
        ({}, TypeError, r"got data=\{\}"),
    ],
)
def test_bad_data(data, error, match):
    with pytest.raises(error, match=match):
        lr_find(replay_step, jnp.zeros(()), data)


@pytest.mark.parametrize(
    "step, match",
    [
        (lambda s, lr: s, r"must return a pair \(new_state, loss\)"),
        (lambda s, lr: (s, jnp.ones(3)), r"real scalar loss.*shape \(3,\)"),
        (lambda s, lr: (s, jnp.ones((), jnp.int32)), r"real scalar.*int32"),
        (lambda s, lr: (jnp.zeros(2), 1.0), r"shapes and dtypes.*float32\[2\]"),
        (lambda s, lr: ((s, s), 1.0), r"structure of `state`"),
    ],
)
def test_bad_step_output(step, match):
    with pytest.raises(TypeError, match=r"^lr_find: `step` .*" + match):
        lr_find(step, jnp.zeros(()))


def test_state_is_not_modified(capsys):
    state = {"w": jnp.ones(3)}
    lr_find(
        lambda s, lr: ({"w": s["w"] * (1 - lr)}, jnp.sum(s["w"])),
        state,
        num_steps=5,
        progress=False,
    )
    np.testing.assert_array_equal(state["w"], np.ones(3))
