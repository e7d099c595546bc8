"""helpers.plots and helpers.widgets: the figures draw, and each widget's logic is right."""
import math

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import plots, training, widgets


pytestmark = pytest.mark.usefixtures("figures")


def test_every_plot_returns_a_figure():
    hist = training.History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.8], test_acc=[0.4, 0.7],
                            step_loss=[1.0 / (i + 1) for i in range(40)])
    images, labels = torch.rand(10, 1, 28, 28), torch.arange(10)
    classes = [f"c{i}" for i in range(10)]
    figs = [plots.activations(), plots.probability_bars(torch.tensor([0.2, 0.8]), ["a", "b"], target=1),
            plots.image_grid(images, labels, classes), plots.image_grid(images, labels, classes,
                                                                        probs=torch.softmax(torch.randn(10, 10), 1)),
            plots.history(hist), plots.confusion_matrix(labels, labels.flip(0), classes),
            plots.weight_templates(torch.randn(10, 784), classes)]
    assert all(isinstance(f, plt.Figure) for f in figs)


def test_plots_draw_nothing_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert plots.activations() is None
    assert not plt.get_fignums()


def test_softmax_state_matches_the_formulas():
    s = widgets.softmax_state([2.0, 1.0, 0.0], temperature=1.0, target=0)
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64), 0)
    assert torch.allclose(s["probs"], expected)
    assert s["loss"] == pytest.approx(-math.log(expected[0].item()))
    assert s["max_entropy"] == pytest.approx(math.log(3))


def test_temperature_limits():
    hot = widgets.softmax_state([3.0, 1.0, -2.0], temperature=1e4, target=1)
    cold = widgets.softmax_state([3.0, 1.0, -2.0], temperature=1e-3, target=0)
    assert hot["entropy"] == pytest.approx(math.log(3), abs=1e-3)      # uniform
    assert cold["probs"][0] == pytest.approx(1.0) and cold["loss"] == pytest.approx(0.0, abs=1e-9)
    shifted = widgets.softmax_state([103.0, 101.0, 98.0], temperature=1.0, target=0)
    assert torch.allclose(shifted["probs"], widgets.softmax_state([3.0, 1.0, -2.0], 1.0, 0)["probs"])
    with pytest.raises(ValueError, match="temperature must be positive"):
        widgets.softmax_state([1.0], 0.0, 0)


def test_activation_state_values_and_slopes():
    s = widgets.activation_state(0.0)
    assert s["sigmoid"] == (0.5, 0.25) and s["tanh"] == (0.0, 1.0) and s["ReLU"] == (0.0, 0.0)
    assert widgets.activation_state(2.0)["ReLU"] == (2.0, 1.0)


def test_explorer_builds_and_reacts():
    tab = widgets.softmax_explorer(labels=("a", "b", "c"), logits=(1.0, 0.0, -1.0))
    assert len(tab.children) == 2
    first = tab.children[0]
    slider = first.children[0].children[0].children[0]
    slider.value = 5.0          # triggers a redraw through the observer, must not raise
    assert slider.value == 5.0
