"""Chapter 01's demos: the softmax explorer's logic matches the formulas, and the widget redraws."""
import math

import pytest
import torch

from helpers.chapters.foundations import demos
from tests.widget_tools import controls, record_redraws, titles

pytestmark = pytest.mark.usefixtures("figures")


def test_softmax_state_matches_the_formulas():
    s = demos.softmax_state([2.0, 1.0, 0.0], temperature=1.0, target=0)
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64), 0)
    assert torch.allclose(s["probs"], expected)
    assert s["loss"] == pytest.approx(-math.log(expected[0].item()))
    assert s["max_entropy"] == pytest.approx(math.log(3))


def test_temperature_limits():
    hot = demos.softmax_state([3.0, 1.0, -2.0], temperature=1e4, target=1)
    cold = demos.softmax_state([3.0, 1.0, -2.0], temperature=1e-3, target=0)
    assert hot["entropy"] == pytest.approx(math.log(3), abs=1e-3)      # uniform
    assert cold["probs"][0] == pytest.approx(1.0) and cold["loss"] == pytest.approx(0.0, abs=1e-9)
    shifted = demos.softmax_state([103.0, 101.0, 98.0], temperature=1.0, target=0)
    assert torch.allclose(shifted["probs"], demos.softmax_state([3.0, 1.0, -2.0], 1.0, 0)["probs"])
    with pytest.raises(ValueError, match="temperature must be positive"):
        demos.softmax_state([1.0], 0.0, 0)


def test_activation_state_values_and_slopes():
    s = demos.activation_state(0.0)
    assert s["sigmoid"] == (0.5, 0.25) and s["tanh"] == (0.0, 1.0) and s["ReLU"] == (0.0, 0.0)
    assert demos.activation_state(2.0)["ReLU"] == (2.0, 1.0)


def test_explorer_redraws_with_the_new_logits(monkeypatch):
    shown = record_redraws(monkeypatch)
    tab = demos.softmax_explorer(labels=("a", "b", "c"), logits=(1.0, 0.0, -1.0))
    assert [tab.get_title(i) for i in range(2)] == ["softmax", "activations"]
    sliders = controls(tab.children[0])
    before = len(shown)
    sliders["z[a]"].value = 5.0                   # redraws through the observer; errors propagate
    assert len(shown) == before + 1
    expected = demos.softmax_state([5.0, 0.0, -1.0], 1.0, 0)
    assert f"loss = {expected['loss']:.3f} nats" in titles(shown[-1])[0]
    controls(tab.children[1])["z"].value = 2.0
    assert titles(shown[-1])[0].startswith("sigmoid(2.00) = 0.881")


def test_activation_curves_values_and_slopes():
    z = torch.tensor([-2.0, 0.5])
    curves = demos.activation_curves(z, leaky_slope=0.1, elu_alpha=1.0)
    leaky, d_leaky = curves["Leaky ReLU (0.1)"]
    elu, d_elu = curves["ELU (alpha=1)"]
    assert torch.allclose(leaky, torch.tensor([-0.2, 0.5])) and torch.allclose(d_leaky, torch.tensor([0.1, 1.0]))
    assert torch.allclose(elu, torch.tensor([math.exp(-2) - 1, 0.5]))
    assert torch.allclose(d_elu, torch.tensor([math.exp(-2), 1.0]))
    assert demos.activation_gallery() is not None


def test_xor_linear_is_constant_one_half_and_hidden_layer_solves_it():
    r = demos.train_xor(epochs=150, lr=0.1, grid_points=21)
    lo, hi = r["linear: z = Wx + b"]["p1_range"]
    assert abs(lo - 0.5) < 0.0005 and abs(hi - 0.5) < 0.0005      # the text: 0.500 everywhere, a uniform panel
    assert r["one hidden layer (8 tanh units)"]["accuracy"] == 1.0
    fig = demos.plot_xor(r)
    assert "P(class 1) in [0.500, 0.500]" in fig.axes[0].get_title()


def test_bayes_classifier_is_the_floor():
    assert demos.bayes_error(mu=(0.0, 0.0), prior1=0.3) == pytest.approx(0.3, abs=1e-6)   # no information: predict 0
    assert demos.bayes_error(mu=(-20.0, 20.0)) == pytest.approx(0.0, abs=1e-9)
    x = torch.linspace(-3, 3, 7, dtype=torch.float64)
    assert torch.allclose(demos.posterior(x, prior1=0.5), torch.sigmoid(2 * x))    # equal priors: N(-1, 1) vs N(1, 1)
    out = demos.compare_classifiers(n_train=200, n_test=20_000)
    noise = 3 * math.sqrt(out["bayes_error"] * (1 - out["bayes_error"]) / 20_000)
    assert all(e > out["bayes_error"] - noise for e in out["error"].values())
    assert out["error"]["1-nearest neighbour"] > out["bayes_error"] + noise
    assert out["stored_numbers"]["1-nearest neighbour"] == 400
    demos.plot_bayes()
