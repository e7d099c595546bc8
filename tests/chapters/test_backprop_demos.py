"""The computation-graph widget's logic against torch.autograd, the SGD button's step, the drawing,
the widget's construction (also in grading mode), and the chapter's figures."""
import random
import time

import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from helpers import toydata  # noqa: E402
from helpers.chapters.backprop import demos as compgraph  # noqa: E402
from helpers.chapters.backprop import answers  # noqa: E402
from helpers.nets import init_params  # noqa: E402
from tests.chapters.exercise_tools import unwrap  # noqa: E402


def random_inputs(kind, seed):
    rng = random.Random(seed)
    return {k: rng.uniform(-2, 2) for k in compgraph.DEFAULTS[kind]}


@pytest.mark.parametrize("kind", ["linreg", "mlp"])
@pytest.mark.parametrize("seed", range(5))
def test_values_and_gradients_equal_autograd(kind, seed):
    inputs = random_inputs(kind, seed)
    state = compgraph.evaluate(kind, inputs)
    loss, grads = compgraph.autograd_reference(kind, inputs)
    assert state.loss == pytest.approx(loss, rel=1e-12, abs=1e-14)
    for leaf, g in grads.items():
        assert state.grads[leaf] == pytest.approx(g, rel=1e-9, abs=1e-12), leaf


def test_linreg_closed_form():
    state = compgraph.evaluate("linreg", {"x1": 1.0, "x2": 2.0, "y": 3.0, "theta1": 0.5, "theta2": -0.5})
    r = 0.5 * 1 - 0.5 * 2 - 3.0
    assert state.values["r"] == pytest.approx(r)
    assert state.loss == pytest.approx(r ** 2)
    assert state.grads["L"] == 1.0
    assert state.grads["theta1"] == pytest.approx(2 * r * 1.0)
    assert state.grads["theta2"] == pytest.approx(2 * r * 2.0)
    assert state.grads["y"] == pytest.approx(-2 * r)


def test_fan_out_sums_the_paths():
    """x1 feeds z1 and z2: its gradient is the sum of both paths' contributions."""
    inputs = random_inputs("mlp", 11)
    s = compgraph.evaluate("mlp", inputs)
    v = {**compgraph.DEFAULTS["mlp"], **inputs}
    via_z1 = s.grads["z1"] * v["w11"]
    via_z2 = s.grads["z2"] * v["w21"]
    assert s.grads["x1"] == pytest.approx(via_z1 + via_z2)
    assert abs(via_z1) > 1e-6 and abs(via_z2) > 1e-6


@pytest.mark.parametrize("kind,lr", [("linreg", 0.05), ("mlp", 2.0)])
def test_sgd_steps_lower_the_loss_and_touch_only_parameters(kind, lr):
    inputs = dict(compgraph.DEFAULTS[kind])
    losses = [compgraph.evaluate(kind, inputs).loss]
    for _ in range(20):
        new = compgraph.sgd_step(kind, inputs, lr)
        for k in inputs:
            if k not in compgraph.PARAMETERS[kind]:
                assert new[k] == inputs[k]
        inputs = new
        losses.append(compgraph.evaluate(kind, inputs).loss)
    assert losses[-1] < 0.5 * losses[0]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))


def test_sgd_step_is_theta_minus_lr_grad():
    inputs = random_inputs("linreg", 2)
    state = compgraph.evaluate("linreg", inputs)
    new = compgraph.sgd_step("linreg", inputs, 0.1)
    assert new["theta1"] == pytest.approx(inputs["theta1"] - 0.1 * state.grads["theta1"])


def test_sigmoid_is_stable_for_large_inputs():
    state = compgraph.evaluate("mlp", {"w11": 4.0, "x1": 3.0, "w12": 4.0, "x2": 3.0, "b1": 800.0,
                                       "b2": -900.0})
    assert state.values["h1"] == 1.0 and state.values["h2"] == 0.0


def test_unknown_graph_or_op():
    with pytest.raises(KeyError):
        compgraph.evaluate("cnn", {})
    bad = compgraph.Node("n", "n", "cube", ("x1",), (0, 0))
    with pytest.raises(ValueError):
        compgraph._forward_op(bad, {"x1": 1.0})


@pytest.mark.parametrize("kind", ["linreg", "mlp"])
def test_draw_graph_shows_values_and_gradients(kind):
    state = compgraph.evaluate(kind, {})
    fig, ax = plt.subplots()
    compgraph.draw_graph(state, ax=ax)
    texts = [t.get_text() for t in ax.texts if t.get_text()]        # arrows are empty annotations
    assert len(texts) == 2 * len(state.nodes)
    red = [t for t in ax.texts if t.get_color() == "#c0392b"]
    assert len(red) == len(state.nodes)
    assert any(f"{state.loss:.4g}" in t for t in texts)
    arrows = [c for c in ax.get_children() if isinstance(c, matplotlib.text.Annotation)]
    edges = sum(1 for n in state.nodes for i in n.inputs if i in {m.name for m in state.nodes})
    assert len(arrows) == edges
    plt.close(fig)


def test_widget_builds_and_steps(monkeypatch):
    import ipywidgets as W

    tabs = compgraph.graph_explorer()
    assert isinstance(tabs, W.Tab) and len(tabs.children) == 2
    tab = tabs.children[0]
    buttons = [w for box in tab.children[0].children for w in box.children if isinstance(w, W.Button)]
    sliders = {w.description: w for box in tab.children[0].children for w in box.children
               if isinstance(w, W.FloatSlider)}
    before = compgraph.evaluate("linreg", {"theta1": sliders["θ₁"].value, "theta2": sliders["θ₂"].value}).loss
    next(b for b in buttons if b.description == "SGD step").click()
    after = compgraph.evaluate("linreg", {"theta1": sliders["θ₁"].value, "theta2": sliders["θ₂"].value}).loss
    assert after < before
    next(b for b in buttons if b.description == "reset").click()
    assert sliders["θ₁"].value == compgraph.DEFAULTS["linreg"]["theta1"]
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert isinstance(compgraph.graph_explorer(), W.Tab)
    plt.close("all")


def test_figures():
    figs = [
        compgraph.graph_figure("mlp"),
        compgraph.layer_gradient_norms({"sigmoid": [1e-6, 1e-3, 1.0], "ReLU": [1.0, 1.0, 1.0]}),
        compgraph.sigmoid_derivative_products(max_depth=5, n_samples=10),
        compgraph.chain_costs([8, 16], [64, 256], [512, 4096], [1e-5, 2e-5], [1e-4, 8e-4], depth=2),
        compgraph.chain_costs([8, 16], [64, 256], [512, 4096]),
    ]
    assert all(isinstance(f, plt.Figure) for f in figs)
    assert len(figs[1].axes[0].lines) == 2
    assert len(figs[2].axes[0].lines) == 3
    assert len(figs[3].axes) == 2 and len(figs[4].axes) == 1
    plt.close("all")


def test_figures_draw_nothing_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert compgraph.graph_figure("linreg") is None


# ---------------------------------------------------------------- section 9: the MLP helpers and the symmetry demo

def _moons():
    return toydata.two_moons(60, noise=0.1, seed=0)


def _reference_loss_and_grads():
    return unwrap(answers.loss_and_grads)


def test_mlp_logits_and_accuracy():
    X, y = _moons()
    p = init_params(2, 7, 3, seed=1)
    expected = F.linear(torch.relu(F.linear(X, p["W1"], p["b1"])), p["W2"], p["b2"])
    assert torch.allclose(compgraph.mlp_logits(X, p), expected)          # logits, not probabilities
    assert compgraph.accuracy(X, y, p) == pytest.approx(float((expected.argmax(1) == y).float().mean()))


@pytest.mark.parametrize("value", [0.0, 0.5, -0.3])
def test_constant_start_keeps_every_hidden_unit_identical(value):
    X, y = _moons()
    p = compgraph.constant_params(2, 6, 2, value)
    assert compgraph.unit_spread(p["W1"], p["b1"]) == 0.0
    result = compgraph.symmetry_run(_reference_loss_and_grads(), X, y, p, lr=0.5, steps=30)
    assert result["first_grad_spread"] == 0.0 and result["spread"] == 0.0


def test_random_start_breaks_the_symmetry_and_learns_more():
    X, y = _moons()
    lg = _reference_loss_and_grads()
    random_run = compgraph.symmetry_run(lg, X, y, init_params(2, 16, 2, seed=0), lr=1.0, steps=150)
    constant_run = compgraph.symmetry_run(lg, X, y, compgraph.constant_params(2, 16, 2, 0.5), lr=1.0, steps=150)
    assert random_run["first_grad_spread"] > 0 and random_run["spread"] > 0
    assert random_run["accuracy"] > constant_run["accuracy"]


def test_unit_spread_measures_the_largest_difference():
    W1 = torch.tensor([[1.0, 2.0], [1.0, 2.5], [0.0, 2.0]])
    assert compgraph.unit_spread(W1, torch.zeros(3)) == pytest.approx(1.0)
    assert compgraph.unit_spread(W1[:1].repeat(3, 1), torch.tensor([0.0, 0.0, -2.0])) == pytest.approx(2.0)


def test_time_ratio_returns_the_ratio_of_best_times():
    fast_t, slow_t, ratio = compgraph.time_ratio(lambda: None, lambda: time.sleep(0.002), repeats=2, number=2)
    assert slow_t >= 0.002 and ratio == pytest.approx(slow_t / fast_t)


def test_gradient_norm_colours_are_the_ones_the_lesson_names():
    fig = compgraph.layer_gradient_norms({"a": [1.0, 2.0], "b": [1.0, 3.0], "c": [2.0, 1.0], "d": [1.0, 9.0]})
    if fig is None:                      # figures draw nothing while grading
        return
    colours = [line.get_color() for line in fig.axes[0].get_lines()]
    assert colours == ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    plt.close(fig)
