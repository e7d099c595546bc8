"""Chapter 06's demo logic: initialization schemes against their formulas, the networks' shapes, the
signal statistics behind the widget, the short training loop, and that the figures and the widget draw."""
import math

import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

from helpers.chapters.deep_nets import demos  # noqa: E402
from helpers.runtime import cpu_threads  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: one thread is faster than two, and steady on a shared CPU."""
    with cpu_threads(1):
        yield


@pytest.mark.parametrize("scheme,std", [("he", lambda i, o: math.sqrt(2 / i)), ("lecun", lambda i, o: math.sqrt(1 / i)),
                                        ("xavier", lambda i, o: math.sqrt(2 / (i + o))), (0.05, lambda i, o: 0.05),
                                        (lambda fan_in: 3 / fan_in, lambda i, o: 3 / i)])
def test_init_schemes_match_their_formulas(scheme, std):
    torch.manual_seed(0)
    lin = nn.Linear(400, 300)
    demos.init_linear_(lin, scheme)
    assert float(lin.weight.detach().std()) == pytest.approx(std(400, 300), rel=0.05)
    assert float(lin.bias.abs().max()) == 0.0


def test_orthogonal_init_has_unit_singular_values():
    lin = nn.Linear(64, 32)
    demos.init_linear_(lin, "orthogonal")
    torch.testing.assert_close(torch.linalg.svdvals(lin.weight), torch.ones(32), atol=1e-5, rtol=0)


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        demos.init_linear_(nn.Linear(3, 3), "glorot-ish")


def test_networks_have_thirty_linear_layers():
    assert len(demos.linear_layers(demos.deep_mlp(30, 16, "sigmoid", batchnorm=True))) == 30
    assert sum(isinstance(m, nn.BatchNorm1d) for m in demos.deep_mlp(30, 16, "sigmoid", batchnorm=True)) == 29
    assert len(demos.linear_layers(demos.residual_mlp(30, 16))) == 30
    assert demos.deep_mlp(5, 16, "relu")(torch.randn(3, 784)).shape == (3, 10)
    assert demos.residual_mlp(6, 16)(torch.randn(3, 784)).shape == (3, 10)


def test_signal_statistics_show_vanishing_and_its_fixes():
    sig = demos.signal_stats(depth=20, width=64, activation="sigmoid", init="xavier")
    assert len(sig["act_std"]) == len(sig["grad_norms"]) == len(sig["activations"]) == 20
    assert demos.grad_ratio(sig["grad_norms"]) < 1e-3
    he = demos.signal_stats(depth=20, width=64, activation="relu", init="he")
    assert 0.2 < he["act_std"][-1] / he["act_std"][0] < 5
    lecun = demos.signal_stats(depth=20, width=64, activation="relu", init="lecun")
    assert lecun["act_std"][-1] / lecun["act_std"][0] < 0.01
    res = demos.signal_stats(depth=20, width=64, activation="sigmoid", init="xavier", residual=True)
    assert demos.grad_ratio(res["grad_norms"]) > 100 * demos.grad_ratio(sig["grad_norms"])
    bn = demos.signal_stats(depth=20, width=64, activation="tanh", init="xavier", scale=0.1, batchnorm=True)
    assert 0.2 < bn["act_std"][-1] / bn["act_std"][0] < 5           # each layer's input is standardized
    plain = demos.signal_stats(depth=20, width=64, activation="tanh", init="xavier", scale=0.1)
    assert plain["act_std"][-1] / plain["act_std"][0] < 1e-6


def test_layer_grad_norms_and_ratio():
    torch.manual_seed(0)
    net = demos.deep_mlp(4, 8, "relu", init="he", d_in=5, d_out=3)
    norms = demos.layer_grad_norms(net, torch.randn(16, 5), torch.randint(0, 3, (16,)))
    assert len(norms) == 4 and all(n > 0 for n in norms)
    assert all(p.grad is None for p in net.parameters())
    assert demos.grad_ratio([2.0, 1.0]) == 2.0 and demos.grad_ratio([1.0, 0.0]) == float("inf")


def test_train_steps_lowers_the_loss_and_accuracy_uses_eval_mode():
    torch.manual_seed(0)
    X = torch.randn(256, 5)
    y = (X[:, 0] > 0).long()
    net = demos.deep_mlp(3, 16, "relu", batchnorm=True, init="he", d_in=5, d_out=2)
    losses = demos.train_steps(net, X, y, steps=60, lr=1e-2, batch_size=64, progress=False)
    assert len(losses) == 60 and sum(losses[-10:]) < sum(losses[:10])
    assert net.training and demos.accuracy(net, X, y) > 0.8 and net.training
    clipped = demos.train_steps(net, X, y, steps=3, lr=1e-2, clip=0.1, progress=False, decay=False)
    assert len(clipped) == 3


def test_jacobian_gains_eigenvalues_do_not_bound_growth():
    gains = demos.jacobian_gains(torch.tensor([[0.9, 3.0], [0.0, 0.9]], dtype=torch.float64), steps=40)
    assert max(gains["||W^k v||"]) > 10 > gains["||W^k v||"][40]
    assert all(a <= b + 1e-9 for a, b in zip(gains["||W^k v||"], gains["sigma_max^k"]))
    assert gains["rho^k"][1] == pytest.approx(0.9)
    assert demos.sigmoid_chain_gain(2) == 1 / 16


def test_figures_draw():
    stats = demos.signal_stats(depth=6, width=16)
    for fig in (demos.signal_figure(stats), demos.gradient_norms_figure({"a": [1.0, 0.1], "b": [1e-20, 1.0]}),
                demos.loss_curves_figure({"a": [2.3] * 30, "b": [1.0] * 5})):
        assert fig is not None
        plt.close(fig)


def test_widget_builds(monkeypatch):
    box = demos.signal_explorer()
    assert len(box.children) == 3
    plt.close("all")
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert demos.signal_explorer() is not None
