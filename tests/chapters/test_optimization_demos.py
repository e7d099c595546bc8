"""Chapter 05's demo logic: the race's surfaces and trajectories, critical points found by Newton's
method, the saddle fraction, the training loop and the loss slice; the figures draw and the widgets
build and redraw when their controls move."""

import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

import torch  # noqa: E402

from helpers.chapters.optimization import answers, demos  # noqa: E402
from tests.chapters.exercise_tools import unwrap  # noqa: E402
from tests.widget_tools import controls, record_redraws, titles  # noqa: E402

F64 = torch.float64


@pytest.mark.parametrize("name", list(demos.SURFACES))
def test_surface_gradients_and_minima(name):
    s = demos.SURFACES[name]
    p = torch.tensor([0.3, -0.7], dtype=F64)
    h = 1e-6
    fd = torch.stack([(s.f(p + h * e) - s.f(p - h * e)) / (2 * h) for e in torch.eye(2, dtype=F64)])
    assert torch.allclose(demos.surface_grad(s, p), fd, atol=1e-6)
    assert demos.surface_grad(s, torch.tensor(s.minimum, dtype=F64)).abs().max() < 1e-12


def test_gradient_descent_at_the_best_rate_contracts_as_predicted():
    s = demos.SURFACES["ill-conditioned quadratic"]
    sgd = lambda theta, g, state, lr: theta - lr * g          # noqa: E731
    lr = 2 / 26
    path = demos.run_optimizer(sgd, s, 60, lr)
    assert path.shape == (61, 2) and torch.equal(path[0], torch.tensor(s.start, dtype=F64))
    ratio = float(path[-1].norm() / path[-2].norm())
    assert ratio == pytest.approx(24 / 26, abs=1e-6)


def test_a_diverging_run_stops_at_its_last_finite_point():
    s = demos.SURFACES["Rosenbrock"]
    sgd = lambda theta, g, state, lr: theta - lr * g          # noqa: E731
    path = demos.run_optimizer(sgd, s, 50, lr=0.1)
    assert path.shape == (51, 2) and bool(torch.isfinite(path).all())
    assert torch.equal(path[-1], path[-2])


def test_momentum_escapes_the_saddle_faster_than_gradient_descent():
    s = demos.SURFACES["saddle"]
    paths = demos.race(s, demos.default_racers(0.03, 0.9), 150)
    assert set(paths) == {"gradient descent", "momentum", "RMSProp", "Adam"}
    assert abs(float(paths["Adam"][-1, 1])) > 0.9 and abs(float(paths["gradient descent"][-1, 1])) < 0.5


def test_racers_use_the_given_steps():
    calls = []

    def mine(theta, g, state, lr, beta=0.9, nesterov=False):
        calls.append(1)
        return unwrap(answers.momentum_step)(theta, g, state, lr, beta, nesterov)

    racers = demos.default_racers(0.01, 0.5, {"momentum": mine})
    demos.race(demos.SURFACES["saddle"], {"momentum": racers["momentum"]}, 5)
    assert len(calls) == 5


def test_newton_finds_and_classifies_the_double_well():
    A = torch.tensor([[-1.0, 0.8], [0.0, -0.6]], dtype=F64)
    grid = torch.linspace(-1.8, 1.8, 7, dtype=F64)
    points = demos.critical_points_by_newton(lambda x: answers.double_well_grad(x, A),
                                             lambda x: unwrap(answers.double_well_hessian)(x, A),
                                             torch.cartesian_prod(grid, grid))
    labels = sorted(unwrap(answers.classify_critical_point)(unwrap(answers.double_well_hessian)(p, A)) for p in points)
    assert labels == ["max", "min", "min", "saddle", "saddle"]
    for p in points:
        assert answers.double_well_grad(p, A).norm() < 1e-10


def test_fraction_definite_falls_with_the_dimension():
    fr = [demos.fraction_definite(n, trials=2000, seed=0) for n in range(1, 5)]
    assert fr[0] == 1.0 and all(b < a for a, b in zip(fr, fr[1:])) and fr[3] < 0.02


def test_sgd_noise_falls_with_the_batch_size():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(500, 3, dtype=F64, generator=g)
    y = X @ torch.tensor([1.0, -1.0, 2.0], dtype=F64) + torch.randn(500, dtype=F64, generator=g)
    w = torch.zeros(3, dtype=F64)
    noise = demos.sgd_noise(lambda idx: 2 * X[idx].T @ (X[idx] @ w - y[idx]) / len(idx), 500, [5, 50, 250], draws=50)
    assert noise[5] > noise[50] > noise[250]


def test_schedules():
    assert demos.step_decay(29, 0.01) == pytest.approx(0.01) and demos.step_decay(30, 0.01) == pytest.approx(0.001)
    assert demos.linear_decay(0) == pytest.approx(0.2) and demos.linear_decay(99) == pytest.approx(0.002)


def _tiny_data(n=64):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 784, generator=g)
    return X, (X[:, 0] > 0).long() + 2 * (X[:, 1] > 0).long()


def test_train_records_losses_and_the_scheduled_rates():
    X, y = _tiny_data()
    model = demos.make_mlp(d_hidden=16, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    run = demos.train(model, X, y, unwrap(answers.adam_step), steps=12, lr=lambda t: 1e-3 * (t + 1), batch_size=16,
                      progress=False)
    assert len(run.step_loss) == 12 and run.lrs == pytest.approx([1e-3 * (t + 1) for t in range(12)])
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    loss, acc = demos.evaluate(model, X, y)
    assert 0 <= acc <= 1 and loss > 0
    assert run.final_loss(5) == pytest.approx(sum(run.step_loss[-5:]) / 5)


def test_train_stops_on_a_diverging_step():
    X, y = _tiny_data()
    model = demos.make_mlp(d_hidden=16, seed=0)
    with pytest.raises(FloatingPointError):
        demos.train(model, X, y, lambda theta, g, state, lr: theta - lr * g, steps=50, lr=1e6, progress=False)


def test_loss_slice_restores_the_weights_and_starts_at_the_loss():
    X, y = _tiny_data()
    model = demos.make_mlp(d_hidden=16, seed=1)
    before = [p.detach().clone() for p in model.parameters()]
    d = demos.random_direction(model, seed=0)
    for p, dp in zip(model.parameters(), d):
        assert float(dp.norm()) == pytest.approx(float(p.detach().norm()), rel=1e-5)
    alphas = torch.linspace(-1, 1, 5, dtype=F64)
    values = demos.loss_slice(model, X, y, d, alphas)
    assert values.shape == (5,)
    assert float(values[2]) == pytest.approx(demos.evaluate(model, X, y)[0], rel=1e-6)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_figures_draw():
    s = demos.SURFACES["ill-conditioned quadratic"]
    fig = demos.race_figure(s, demos.race(s, demos.default_racers(0.03, 0.9), 20))
    assert titles(fig)[0] == "ill-conditioned quadratic"
    demos.convexity_figure()
    pts = torch.tensor([[0.0, 0.0]], dtype=F64)
    demos.critical_points_figure(lambda P: (P ** 2).sum(-1), pts, ["min"])
    run = demos.Run("a", step_loss=[1.0, 0.5, 0.4] * 40, lrs=[0.1] * 120)
    demos.loss_curves({"a": run}, width=10)
    demos.schedule_figure({"constant": [0.1] * 10})
    alphas = torch.linspace(-1, 1, 5, dtype=F64)
    demos.slice_figure(alphas, {"a": torch.ones(5, dtype=F64)}, alpha=0.5)
    plt.close("all")


@pytest.mark.parametrize("grading", [False, True])
def test_race_widget_redraws(monkeypatch, grading):
    if grading:
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    shown = record_redraws(monkeypatch)
    widget = demos.race_widget(steps=10)
    ctl = controls(widget)
    ctl["surface"].value = "saddle"
    ctl["beta / beta1"].value = 0.5
    if grading:
        assert all(not f.axes for f in shown)            # nothing drawn while nbgrader grades
    else:
        assert len(shown) == 3 and "saddle" in titles(shown[-1])[0]
    plt.close("all")


def test_slice_widget_redraws(monkeypatch):
    shown = record_redraws(monkeypatch)
    alphas = torch.linspace(-1, 1, 5, dtype=F64)
    slices = {0: {"a": torch.ones(5, dtype=F64)}, 1: {"a": torch.full((5,), 2.0, dtype=F64)}}
    widget = demos.slice_widget(alphas, slices)
    controls(widget)["direction"].value = 1
    controls(widget)["alpha"].value = 0.5
    assert len(shown) == 3
    plt.close("all")
