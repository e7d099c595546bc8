"""helpers.descent: the playground's logic is right, its figures draw, and the widget builds
(also in grading mode, where figures are skipped)."""
import math

import matplotlib.pyplot as plt
import pytest
import torch

from helpers.chapters.gradients import demos as descent
from tests.widget_tools import controls, record_redraws, titles


pytestmark = pytest.mark.usefixtures("figures")


def test_quadratic_surface_gradient_matches_autograd():
    surf = descent.quadratic_surface(4.0)
    p = torch.tensor([0.7, -1.3], dtype=torch.float64, requires_grad=True)
    surf.f(p).backward()
    assert torch.allclose(surf.grad(p.detach()), p.grad)
    assert surf.lr_limit == pytest.approx(0.5)
    assert descent.quadratic_surface(0.5).lr_limit == pytest.approx(2.0)      # lambda_max = 1 then
    with pytest.raises(ValueError):
        descent.quadratic_surface(0.0)


def test_rosenbrock_gradient_matches_autograd_and_minimum():
    surf = descent.rosenbrock_surface()
    p = torch.tensor([-0.4, 1.7], dtype=torch.float64, requires_grad=True)
    surf.f(p).backward()
    assert torch.allclose(surf.grad(p.detach()), p.grad)
    assert float(surf.f(torch.tensor(surf.minimum, dtype=torch.float64))) == 0.0


def test_descent_path_converges_below_and_diverges_above_the_limit():
    surf = descent.quadratic_surface(10.0)
    good = descent.descent_path(surf.grad, (1.0, 1.0), 0.9 * surf.lr_limit, 400)
    assert good.shape == (401, 2) and float(good[-1].norm()) < 1e-6
    bad = descent.descent_path(surf.grad, (1.0, 1.0), 1.1 * surf.lr_limit, 10_000)
    assert len(bad) < 10_001 and float(bad[-1].norm()) > 1e6                  # stopped once it blew up
    one = descent.descent_path(surf.grad, (1.0, 2.0), 0.05, 1)
    assert torch.allclose(one[1], torch.tensor([1.0 - 0.05 * 10, 2.0 - 0.05 * 2], dtype=torch.float64))


def test_noise_is_seeded_and_unbiased():
    grad = descent.quadratic_surface(1.0).grad
    a = descent.descent_path(grad, (0.0, 0.0), 0.1, 50, noise=1.0, seed=3)
    b = descent.descent_path(grad, (0.0, 0.0), 0.1, 50, noise=1.0, seed=3)
    assert torch.equal(a, b) and float(a.abs().max()) > 0
    ends = torch.stack([descent.descent_path(grad, (0.0, 0.0), 0.1, 30, noise=1.0, seed=s)[-1] for s in range(100)])
    assert float(ends.mean(0).norm()) < 0.1                                   # jitters around the minimum


def test_playground_state():
    s = descent.playground_state(lr=0.15, kappa=10.0, n_steps=40)
    assert s["path"].shape == (41, 2) and s["losses"].shape == (41,)
    assert not s["diverged"] and s["lr_ratio"] == pytest.approx(0.75)
    assert s["final_loss"] < 1e-3
    assert descent.playground_state(lr=0.25, kappa=10.0, n_steps=40)["diverged"]
    r = descent.playground_state(lr=0.01, surface="rosenbrock", n_steps=300)
    assert r["lr_ratio"] is None and r["final_loss"] < float(r["losses"][0])


@pytest.mark.parametrize("theta", [0.0, 30.0, 90.0, 180.0, -135.0])
def test_directional_state_is_norm_times_cosine(theta):
    s = descent.directional_state((1.0, -0.5), theta, kappa=3.0)
    assert float(s["l"].norm()) == pytest.approx(1.0)
    assert s["dderiv"] == pytest.approx(s["norm"] * math.cos(math.radians(theta)), abs=1e-9)
    assert s["finite_difference"] == pytest.approx(s["dderiv"], abs=1e-6)
    assert s["norm"] == pytest.approx(math.hypot(3.0, -0.5))


def test_minibatch_gradients_are_unbiased_and_shrink_with_batch_size():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(500, 2, generator=g, dtype=torch.float64)
    y = X @ torch.tensor([1.0, -2.0], dtype=torch.float64) + 0.3 * torch.randn(500, generator=g, dtype=torch.float64)
    est = descent.minibatch_gradients(X, y, torch.zeros(2, dtype=torch.float64), [5, 50, 500], n_draws=400)
    assert est[5].shape == (400, 2)
    assert torch.allclose(est[500].mean(0), est["full"])                    # B = N: every draw is the full gradient
    assert float((est[50].mean(0) - est["full"]).norm()) < 0.2
    assert float(est[5].std(0).norm()) > 2.5 * float(est[50].std(0).norm())   # ~ sqrt(10) ratio


def test_secant_slopes_tend_to_the_derivative():
    slopes = descent.secant_slopes(math.sin, 0.3, [1e-1, 1e-3, 1e-5])
    errors = [abs(s - math.cos(0.3)) for s in slopes]
    assert errors[0] > errors[1] > errors[2]


def test_every_figure_draws():
    surf = descent.quadratic_surface(5.0)
    paths = {"a": descent.descent_path(surf.grad, (-1.0, 1.0), 0.1, 10),
             "b": descent.descent_path(surf.grad, (-1.0, 1.0), 0.45, 10)}
    X = torch.randn(100, 2, dtype=torch.float64)
    est = descent.minibatch_gradients(X, X[:, 0], torch.zeros(2, dtype=torch.float64), [4, 16], n_draws=20)
    figs = [descent.draw_playground(descent.playground_state(0.1)),
            descent.draw_playground(descent.playground_state(0.5, kappa=10.0)),     # diverging
            descent.draw_directional(descent.directional_state()),
            descent.secant_to_tangent(math.sin, math.cos, 0.4),
            descent.gradient_field(3.0, n=5),
            descent.lr_regimes(paths, surf),
            descent.gradient_noise(est)]
    assert all(isinstance(f, plt.Figure) for f in figs)
    ax = figs[0].axes[0]
    assert ax.lines and ax.get_title().startswith("f = ")
    assert figs[1].axes[0].get_title().endswith("DIVERGES")
    assert figs[1].axes[1].get_yscale() == "log"


def test_widget_builds_in_both_modes(monkeypatch):
    import ipywidgets as W
    tabs = descent.playground()
    assert isinstance(tabs, W.Tab) and len(tabs.children) == 2
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert descent.draw_playground(descent.playground_state(0.1)) is None
    assert isinstance(descent.playground(), W.Tab)


def test_playground_redraws_with_the_new_learning_rate(monkeypatch):
    shown = record_redraws(monkeypatch)
    tabs = descent.playground()
    before = len(shown)
    assert not titles(shown[-1])[0].endswith("DIVERGES")
    controls(tabs.children[0])["lr"].value = 1.0          # far above 2 / lambda_max = 0.2 for kappa = 10
    assert len(shown) == before + 1
    assert titles(shown[-1])[0].endswith("DIVERGES")


def test_gradient_check_reads_the_relative_error():
    from helpers.chapters.gradients import answers
    num, rel = answers.numerical_grad.__wrapped__, answers.relative_error.__wrapped__
    x = torch.tensor([0.8, -1.3, 0.5, 2.0], dtype=torch.float64)
    smooth = descent.gradient_check(num, rel, lambda t: (t ** 2).sum() + torch.sin(t[0] * t[1]), x)
    assert smooth["verdict"] == "fine" and smooth["rel_error"] < 1e-7
    assert descent.gradient_check(num, rel, lambda t: (t ** 2).sum(), x, analytic=x)["verdict"] == "WRONG"
    kink = torch.tensor([0.8, 3e-7, -4e-7], dtype=torch.float64)
    relu = descent.gradient_check(num, rel, descent.relu_sum, kink)
    assert relu["numerical"][1].item() == pytest.approx(0.65, abs=1e-6) and relu["rel_error"] > 1e-2
    assert descent.gradient_check(num, rel, descent.abs_sum, kink)["rel_error"] > 1e-2
    assert descent.straddles_kink(kink, 1e-6).tolist() == [False, True, True]
    assert relu["verdict"] == "WRONG"                                      # no kink declared: the bare thresholds
    for f in (descent.relu_sum, descent.abs_sum):                          # declared: the check says it is unreliable
        assert descent.gradient_check(num, rel, f, kink, kink_inputs=kink)["verdict"] == descent.KINK_VERDICT
    far = torch.tensor([0.8, -0.5], dtype=torch.float64)
    assert descent.gradient_check(num, rel, descent.relu_sum, far, kink_inputs=far)["verdict"] == "fine"
    assert descent.gradient_check(num, rel, descent.relu_sum, kink, analytic=2 * torch.ones(3, dtype=torch.float64),
                                  kink_inputs=far)["verdict"] == "WRONG"


def test_smooth_and_best_run():
    assert descent.smooth([1, 2, 3, 4, 5], 2).tolist() == [1.0, 1.5, 2.5, 3.5, 4.5]
    runs = {16: {"val_acc": [0.8, 0.7]}, 128: {"val_acc": [0.6, 0.75]}}
    assert descent.best_run(runs) == 128


def test_batch_size_figure_titles_come_from_the_runs():
    runs = {16: {"val_acc": [0.80, 0.70], "step_loss": [1.0] * 20 + [0.9] * 20},
            128: {"val_acc": [0.60, 0.75], "step_loss": [1.0, 0.5, 0.4, 0.3, 0.3]}}
    fig = descent.batch_size_runs(runs, n_train=320, lr=0.3)
    left, right = (ax.get_title() for ax in fig.axes)
    assert "B = 128 (0.750)" in left and "B = 128" in right and "lr = 0.3" in right
    plt.close(fig)


def test_lr_regimes_title_is_computed_from_the_runs():
    surf = descent.quadratic_surface(5.0)
    start = torch.tensor([-1.8, 1.6], dtype=torch.float64)
    gd = lambda lr: descent.descent_path(surf.grad, (-1.8, 1.6), lr, 25)
    paths = {f"{f}": gd(f * surf.lr_limit) for f in (0.1, 0.95, 1.05)}
    title = descent.lr_regimes_title(paths, surf.name)
    assert "shrank for 0.1, 0.95" in title and "grew for 1.05" in title and "25 steps" in title
    ascent = {"up": torch.stack([start, 2 * start, 4 * start])}           # a student's run that diverges everywhere
    assert "shrank" not in descent.lr_regimes_title(ascent, surf.name)
    titles_drawn = [ax.get_title() for ax in descent.lr_regimes(ascent, surf).axes]
    assert descent.lr_regimes_title(ascent, surf.name) in titles_drawn
