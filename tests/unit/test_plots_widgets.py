"""helpers.plots and helpers.widgets: the shared figures draw, and the widget wiring redraws on change."""

import matplotlib.pyplot as plt
import pytest
import torch

from helpers import plots, training, widgets
from tests.widget_tools import record_redraws


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
            plots.weight_templates(torch.randn(10, 784), classes),
            plots.training_curves({"x": [3.0, 2.0, 1.0], "y": [3.0, 2.5, 2.4]}),
            plots.training_curves({"a": [0.5, 0.7]}, ylabel="accuracy", logy=False)]
    assert all(isinstance(f, plt.Figure) for f in figs)


def test_plots_draw_nothing_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert plots.activations() is None
    assert not plt.get_fignums()


def test_decision_boundary_shades_a_grid():
    xx, yy = torch.meshgrid(torch.linspace(-1, 1, 5), torch.linspace(-1, 1, 5), indexing="xy")
    fig = plots.decision_boundary(xx, yy, (xx + 1) / 2, torch.rand(6, 2), torch.tensor([0, 1, 0, 1, 0, 1]), title="t")
    assert isinstance(fig, plt.Figure) and fig.axes[0].get_title() == "t"


def test_training_curves_draws_nothing_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert plots.training_curves({"a": [1.0]}) is None


def test_live_output_redraws_when_a_control_changes(monkeypatch):
    import ipywidgets as W
    shown = record_redraws(monkeypatch)
    slider = W.FloatSlider(value=1.0)
    drawn = []

    def draw():
        drawn.append(slider.value)
        plt.figure()

    widgets.live_output(draw, [slider])
    slider.value = 2.5
    assert drawn == [1.0, 2.5] and len(shown) == 2


def test_an_error_while_redrawing_fails_the_test(monkeypatch):
    """The guard against a test that cannot fail: ipywidgets would swallow this once an IPython
    shell exists (tests/conftest.py lets it through)."""
    import ipywidgets as W
    from IPython.core.interactiveshell import InteractiveShell
    InteractiveShell.instance()                   # the situation in a full run
    slider = W.FloatSlider(value=1.0)

    def draw():
        if slider.value > 2:
            raise ValueError("broken redraw")

    widgets.live_output(draw, [slider])
    with pytest.raises(ValueError, match="broken redraw"):
        slider.value = 3.0


def test_tabs_are_titled():
    import ipywidgets as W
    tab = widgets.tabs({"one": W.Label("1"), "two": W.Label("2")})
    assert [tab.get_title(i) for i in range(2)] == ["one", "two"]


def test_history_names_the_held_out_set():
    from helpers.training import History
    h = History()
    h.step_loss, h.train_loss, h.train_acc, h.test_acc = [2.3, 1.0], [1.5], [0.6], [0.7]
    fig = plots.history(h, title="t", held_out="validation")
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert "validation" in labels and "test" not in labels
