"""Chapter 04's demo logic: the polynomial fits and the bias-variance identity, the error curves,
the dropout masks and their statistics, the penalty paths, the confidence helper, and that every
figure and widget builds (small inputs: these run in a second or two)."""
import math

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.chapters.overfitting import answers, demos  # noqa: E402
from tests.chapters.exercise_tools import unwrap  # noqa: E402


def test_poly_features_and_ridge_fit():
    x = torch.linspace(0, 1, 7, dtype=torch.float64)
    X = demos.poly_features(x, 3)
    assert X.shape == (7, 4) and torch.allclose(X[:, 0], torch.ones(7, dtype=torch.float64))
    y = torch.sin(x)
    w0 = demos.ridge_fit(X, y, 0.0)
    assert torch.allclose(w0, torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1), atol=1e-10)
    norms = [float(demos.ridge_fit(X, y, lam).norm()) for lam in (0.0, 0.01, 0.1, 1.0, 10.0)]
    assert all(a > b for a, b in zip(norms, norms[1:])), norms


def test_bias_variance_of_known_predictions():
    f = torch.zeros(3, dtype=torch.float64)
    preds = torch.tensor([[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]], dtype=torch.float64)   # mean 2, spread ±1
    r = demos.bias_variance(preds, f)
    # (mean - f)² = 4, less the sampling error of a mean of M = 2 fits: var / (M - 1) = 1
    assert r["bias2"] == pytest.approx(3.0) and r["variance"] == pytest.approx(1.0)
    # an unbiased bias² estimate: fits scattered around the truth give about 0, not Var / M
    g = torch.Generator().manual_seed(0)
    noisy = torch.randn(400, 50, generator=g, dtype=torch.float64) * 3.0
    assert demos.bias_variance(noisy, torch.zeros(50, dtype=torch.float64))["bias2"] < 0.005


def test_decomposition_adds_up_and_moves_with_capacity():
    low = demos.decomposition(1, n_datasets=60, seed=0)
    high = demos.decomposition(9, n_datasets=60, seed=0)
    for r in (low, high):
        assert r["bias2"] + r["variance"] + r["noise2"] == pytest.approx(r["test_mse"], rel=0.08)
    assert high["variance"] > low["variance"] and high["bias2"] < low["bias2"]
    assert high["train_mse"] < low["train_mse"]


def test_ridge_penalty_lowers_variance():
    free = demos.decomposition(9, lam=0.0, n_datasets=40)
    ridge = demos.decomposition(9, lam=1e-2, n_datasets=40)
    assert ridge["variance"] < free["variance"]


def test_error_curves_shape():
    c = demos.error_curves([1, 3, 9], n_datasets=10)
    assert c["degree"] == [1, 3, 9] and len(c["train"]) == len(c["test"]) == 3
    assert c["train"][2] < c["train"][0]


def test_dropout_masks_use_the_given_function():
    masks = demos.dropout_masks(0.5, 0, unwrap(answers.inverted_dropout))
    assert [len(m) for m in masks] == list(demos.LAYERS[1:-1])
    assert all(set(m.unique().tolist()) <= {0.0, 2.0} for m in masks)
    calls = []
    demos.dropout_masks(0.3, 1, lambda x, p, t, g: calls.append(p) or x)
    assert calls == [0.3, 0.3]


def test_scale_check_matches_torch():
    r = demos.scale_check(unwrap(answers.inverted_dropout), 0.3, n=50_000)
    assert r["zeros"] == pytest.approx(0.3, abs=0.01) and r["torch_zeros"] == pytest.approx(0.3, abs=0.01)
    assert r["mean"] == pytest.approx(1.0, abs=0.02) and r["torch_mean"] == pytest.approx(1.0, abs=0.02)


def test_shrink_paths():
    l2 = demos.shrink_path(1.0, 1.0, "l2", lr=0.1, steps=20)
    l1 = demos.shrink_path(1.0, 1.0, "l1", lr=0.1, steps=20)
    assert l2[1] == pytest.approx(0.8) and all(w > 0 for w in l2)
    assert l1[10] == 0.0 and l1[-1] == 0.0 and l1[1] == pytest.approx(0.9)


def test_max_confidence():
    logits = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    c = demos.max_confidence(logits)
    assert c[0] == pytest.approx(0.5) and c[1] == pytest.approx(1 / (1 + math.exp(-10)))


def test_figures_and_widgets_build():
    for fig in (demos.capacity_figure(2, -3.0, 10, 0.2), demos.dropout_figure(0.4, 3), demos.penalty_figure(),
                demos.confidence_figure({"a": torch.rand(50), "b": torch.rand(50)}),
                demos.run_curves({"x": [1.0, 0.5, 0.7]}, {"x": 1})):
        assert fig.axes
        plt.close(fig)
    assert demos.capacity_explorer().children and demos.dropout_explorer().children
    plt.close("all")
