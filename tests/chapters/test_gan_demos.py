"""Chapter 11's demo logic: the playground's divergences, the ring and its coverage, spectral
normalization, the checkpoints and the figures (small inputs, no real training)."""
import math

import matplotlib
import pytest
import torch

from helpers.chapters.gan import answers, demos, models, train

matplotlib.use("agg")


def test_value_at_optimum_is_two_js_minus_log4_on_the_grid():
    div = demos.divergences(0.7, 1.3)
    assert div["v"] == pytest.approx(2 * div["js"] - math.log(4), abs=1e-9)


def test_js_is_flat_far_away_while_w1_grows():
    js, w1 = demos.js_and_w1_curves(0.3, torch.tensor([5.0, 6.0, 7.0]))
    assert torch.allclose(js, torch.full((3,), math.log(2)), atol=1e-3)
    assert w1[1] - w1[0] == pytest.approx(1.0, abs=0.05) and w1[2] - w1[1] == pytest.approx(1.0, abs=0.05)


def test_coverage_counts_modes():
    g = torch.Generator().manual_seed(0)
    assert demos.coverage(demos.sample_ring(2000, g)) == demos.RING_K
    one_mode = demos.ring_centres()[0] + 0.01 * torch.randn(500, 2, generator=g)
    assert demos.coverage(one_mode) == 1


def test_train_toy_returns_snapshots():
    for kind in ("gan", "wgan-gp"):
        snaps = demos.train_toy(kind, 4, snapshot_every=2, batch_size=32, n_critic=2, progress=False)
        assert sorted(snaps) == [0, 2, 4] and snaps[4].shape == (1000, 2)


def test_spectral_normalisation_makes_the_mlp_1_lipschitz():
    mlp = demos.relu_mlp()
    demos.normalise_spectrally(mlp, answers.spectral_norm.__wrapped__)
    assert demos.max_input_gradient(mlp, n=2000) <= 1 + 1e-4


def test_checkpoints_load_and_measure():
    net = models.load_feature_net()
    gen = models.load_dcgan()
    fake = models.sample(gen, 200, seed=0)
    assert fake.shape == (200, 1, 28, 28) and 0 <= float(fake.min()) and float(fake.max()) <= 1
    shares = train.class_shares(net, fake)
    assert float(shares.sum()) == pytest.approx(1.0)
    ref = answers.gaussian_fit(models.features(net, fake))
    assert train.frechet_to(net, fake, ref) == pytest.approx(0.0, abs=1e-6)


def test_one_dcgan_step_runs():
    X = torch.rand(128, 1, 28, 28) * 2 - 1
    gen, disc, hist = train.train_dcgan(X, steps=3, snapshot_every=1, progress=False)
    assert len(hist["d"]) == 3 and sorted(hist["snapshots"]) == [1, 2, 3]


def test_figures_draw():
    runs = {"a": {0: torch.zeros(10, 2), 5: torch.ones(10, 2)}}
    for fig in (demos.playground(1.0, 0.5), demos.saturation_figure(), demos.ring_figure(runs, 1),
                demos.image_grid(torch.rand(5, 1, 28, 28), "x"), demos.loss_curves({"d": [1.0] * 30, "g": [0.7] * 30}),
                demos.class_share_bars(torch.full((10,), 0.1), [str(i) for i in range(10)])):
        assert fig is None or hasattr(fig, "savefig")


def test_widgets_build():
    demos.playground_widget()
    demos.ring_widget({"a": {0: torch.zeros(10, 2), 5: torch.ones(10, 2)}})
    demos.grid_widget({1: torch.rand(4, 1, 28, 28), 2: torch.rand(4, 1, 28, 28)})


def test_saved_ring_run_covers_the_ring():
    snaps = demos.load_ring_run()
    assert sorted(snaps) == list(range(0, demos.RING_RUN["steps"] + 1, demos.RING_RUN["snapshot_every"]))
    assert all(s.shape == (1000, 2) for s in snaps.values())
    assert demos.coverage(snaps[demos.RING_RUN["steps"]]) == demos.RING_K
