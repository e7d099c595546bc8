"""Chapter 10's demo logic, models and checkpoint: small inputs, no real training."""
import math

import pytest
import torch

from helpers import data
from helpers.chapters.vae import answers, demos, models
from helpers.chapters.vae.checkpoints import CHECKPOINT, load_vae2d


def _images(n=64, seed=0):
    return torch.rand(n, 784, generator=torch.Generator().manual_seed(seed))


def test_kl_to_standard_is_zero_at_the_prior_and_matches_the_formula():
    assert demos.kl_to_standard(0.0, 1.0) == pytest.approx(0.0, abs=1e-12)
    mu, s = 1.2, 0.4
    assert demos.kl_to_standard(mu, s) == pytest.approx(0.5 * (mu ** 2 + s ** 2 - 1 - math.log(s ** 2)))


def test_both_gradient_estimators_are_unbiased_and_reparameterization_has_less_variance():
    est = demos.gradient_estimates(1.0, 200_000)
    for v in est.values():
        assert float(v.mean()) == pytest.approx(2.0, abs=4 * float(v.std()) / math.sqrt(len(v)))
    assert float(est["score function"].var()) > 5 * float(est["reparameterization"].var())


def test_vae_shapes_and_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = models.VAE(d_in=784, d_hidden=32, d_z=3)
    X = (_images(128) > 0.7).float()
    mu, logvar = model.encode(X)
    assert mu.shape == logvar.shape == (128, 3) and model.decode(mu).shape == (128, 784)
    before = models.evaluate_vae(model, X)["nelbo"]
    models.train_vae(model, X, steps=30, lr=3e-3, batch_size=32, progress=False)
    after = models.evaluate_vae(model, X)
    assert after["nelbo"] < before and after["nelbo"] == pytest.approx(after["recon"] + after["kl"])


def test_importance_weighting_tightens_the_bound_and_k1_is_the_elbo_in_expectation():
    torch.manual_seed(1)
    model = models.VAE(d_in=784, d_hidden=32, d_z=4)
    X = (_images(100, 1) > 0.5).float()
    elbo = models.evaluate_vae(model, X)["nelbo"]
    assert models.iwae_nats(model, X, 50) < elbo
    lw = models.log_weights(model, X[:5], 7)
    assert lw.shape == (5, 7)


def test_best_on_validation_keeps_the_lowest_checkpoint():
    torch.manual_seed(2)
    model = models.VAE(d_in=784, d_hidden=16, d_z=2)
    X = (_images(64, 2) > 0.5).float()
    keeper = models.BestOnValidation(model, X[:16], every=5)
    models.train_vae(model, X, steps=15, lr=3e-3, batch_size=16, progress=False, on_step=keeper)
    assert sorted(keeper.history) == [5, 10, 15]
    assert keeper.history[keeper.best_step] == min(keeper.history.values())
    keeper.restore()
    assert models.evaluate_vae(model, X[:16])["nelbo"] == pytest.approx(keeper.history[keeper.best_step], rel=1e-4)


def test_decoding_helpers_have_the_right_shapes_and_interpolation_ends_at_reconstructions():
    torch.manual_seed(3)
    model = models.VAE(d_hidden=16, d_z=2)
    X = _images(4)
    assert demos.decode_grid(model, n=5).shape == (25, 784)
    path = demos.interpolate(model, X[0], X[1], torch.tensor([0.0, 0.5, 1.0]))
    assert torch.allclose(path[[0, 2]], demos.reconstructions(model, X[:2]), atol=1e-6)
    assert demos.samples(model, 6).shape == (6, 784)


def test_linear_ae_spans_the_pca_subspace():
    g = torch.Generator().manual_seed(4)
    X = torch.randn(400, 3, generator=g) @ torch.randn(3, 12, generator=g) + 0.05 * torch.randn(400, 12, generator=g)
    W = models.train_linear_ae(X, 3, steps=400, lr=2e-2)
    P = models.pca_directions(X, 3)
    assert torch.allclose(P.T @ P, torch.eye(3), atol=1e-5)
    assert float(answers.subspace_angles.__wrapped__(W, P).max()) < 2.0


def test_bernoulli_self_entropy_is_zero_on_binary_images_and_log2_per_grey_pixel():
    x = torch.tensor([[0.0, 1.0, 0.5, 0.5]])
    assert float(answers.bernoulli_self_entropy(x)) == pytest.approx(2 * math.log(2), abs=1e-5)


def test_flow_log_prob_is_a_normalised_density_and_training_lowers_the_nll():
    flow = demos.make_flow(answers.AffineCoupling, n_layers=2, hidden=8)
    t = torch.linspace(-8, 8, 241)
    grid = torch.stack(torch.meshgrid(t, t, indexing="xy"), dim=-1).reshape(-1, 2)
    with torch.no_grad():
        mass = torch.exp(demos.flow_log_prob(flow, grid)).sum() * (t[1] - t[0]) ** 2
    assert float(mass) == pytest.approx(1.0, abs=0.02)
    X = demos.two_moons(200)
    losses = demos.train_flow(flow, X, steps=30)
    assert losses[-1] < losses[0]
    assert demos.push_forward(flow, torch.zeros(3, 2), 2).shape == (3, 2)


def test_working_coupling_falls_back_on_a_blank_class(capsys):
    class Blank(answers.AffineCoupling):
        def forward(self, z):
            raise NotImplementedError()
    assert demos.working_coupling(Blank) is answers.AffineCoupling
    assert "not written yet" in capsys.readouterr().out


def test_checkpoint_loads_with_weights_only_and_scores_test_images():
    assert CHECKPOINT.stat().st_size < 2_000_000
    model = load_vae2d(map_location=torch.device("cpu"))
    X = data.to_tensors(data.load("fashion-mnist", "test", source="subset", verbose=False))[0][:200].flatten(1)
    assert models.evaluate_vae(model, X)["nelbo"] < 285


def test_widgets_build():
    torch.manual_seed(5)
    model = models.VAE(d_hidden=16, d_z=2)
    X, y = _images(20), torch.arange(20) % 10
    for w in (demos.kl_explorer(), demos.latent_explorer(model, X, y), demos.interpolation_explorer(model, X),
              demos.flow_explorer(demos.make_flow(answers.AffineCoupling, 2, 4), demos.two_moons(50))):
        assert w.children
