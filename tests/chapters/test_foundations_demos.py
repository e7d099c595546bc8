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
