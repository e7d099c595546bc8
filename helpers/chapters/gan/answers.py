"""Chapter 11's reference answers. While an exercise is graded its own answer here refuses
to run (helpers.grading.guard); later chapters may call them (add the ones they build on to
helpers.kernels). Device-agnostic torch.

Naming kept throughout the chapter: the generator G has parameters theta, the discriminator (or
critic) D has parameters phi."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.grading.guard import reference


@reference
def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) on a discrete space, elementwise; 0.5 where both
    probabilities are 0 (D* is free there, and 0.5 is the symmetric choice).
    p_data, p_g: (..., K) probabilities -> (..., K)."""
    total = p_data + p_g
    return torch.where(total > 0, p_data / torch.where(total > 0, total, torch.ones_like(total)),
                       torch.full_like(total, 0.5))


def _kl_terms(p: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """p * log(p / m) with 0 log 0 = 0."""
    safe = torch.where(p > 0, p, torch.ones_like(p))
    return torch.where(p > 0, p * (safe.log() - torch.where(p > 0, m, torch.ones_like(m)).log()),
                       torch.zeros_like(p))


@reference
def js_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence in nats along the last axis: (KL(p||m) + KL(q||m)) / 2 with
    m = (p + q) / 2 and 0 log 0 = 0. p, q: (..., K) probabilities -> (...)."""
    m = (p + q) / 2
    return (_kl_terms(p, m).sum(-1) + _kl_terms(q, m).sum(-1)) / 2


@reference
def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss: -mean log D(x) - mean log(1 - D(G(z))) with D = sigmoid(logit),
    stable for any logits. real_logits (N,), fake_logits (M,) -> 0-d."""
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()


@reference
def g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -mean log D(G(z)), stable. fake_logits (M,) -> 0-d."""
    return -F.logsigmoid(fake_logits).mean()


@reference
def generator_logit_grads(fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample derivatives with respect to the logit l = D's pre-sigmoid output on G(z) of
    the saturating loss log(1 - sigmoid(l)) and of the non-saturating loss -log sigmoid(l).
    fake_logits (M,) -> (saturating (M,), non_saturating (M,))."""
    d = torch.sigmoid(fake_logits)
    return -d, d - 1


@reference
def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor,
                     lam: float = 10.0) -> torch.Tensor:
    """WGAN-GP's penalty lam * mean_i (||grad_x critic(x_hat_i)||_2 - 1)^2 on the interpolates
    x_hat_i = eps_i * real_i + (1 - eps_i) * fake_i, differentiable with respect to the critic's
    parameters. real, fake: (N, ...); eps: (N,) in [0, 1]; critic(x_hat): (N,) -> 0-d."""
    shape = (-1,) + (1,) * (real.dim() - 1)
    e = eps.reshape(shape)
    x_hat = (e * real.detach() + (1 - e) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.reshape(len(grad), -1).norm(dim=1)                 # (N,)
    return lam * ((norms - 1) ** 2).mean()


@reference
def spectral_norm(W: torch.Tensor, n_iter: int = 50, u0: torch.Tensor | None = None) -> torch.Tensor:
    """The largest singular value of W (out, in) by power iteration on W^T W from u0 (in,) (default:
    all ones), n_iter steps -> 0-d tensor of W's dtype."""
    v = torch.ones(W.shape[1], dtype=W.dtype, device=W.device) if u0 is None else u0.to(W)
    v = v / v.norm()
    for _ in range(n_iter):
        v = W.T @ (W @ v)
        v = v / v.norm()
    return (W @ v).norm()


@reference
def sqrtm_psd(S: torch.Tensor) -> torch.Tensor:
    """The symmetric square root of a symmetric positive semi-definite (D, D) matrix (eigh;
    negative rounding errors clamped to 0)."""
    vals, vecs = torch.linalg.eigh((S + S.T) / 2)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


@reference
def frechet_distance(mu1: torch.Tensor, S1: torch.Tensor, mu2: torch.Tensor, S2: torch.Tensor) -> torch.Tensor:
    """The squared Frechet (2-Wasserstein) distance between N(mu1, S1) and N(mu2, S2):
    ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2). mu: (D,), S: (D, D) -> 0-d."""
    r1 = sqrtm_psd.__wrapped__(S1)
    cross = sqrtm_psd.__wrapped__(r1 @ S2 @ r1)
    return ((mu1 - mu2) ** 2).sum() + torch.trace(S1) + torch.trace(S2) - 2 * torch.trace(cross)


def gaussian_fit(feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and unbiased covariance (D, D) of (N, D) features."""
    mu = feats.mean(0)
    centred = feats - mu
    return mu, centred.T @ centred / (len(feats) - 1)


@reference
def modes_covered(samples: torch.Tensor, centres: torch.Tensor, sigma: float, min_frac: float = 0.02) -> int:
    """How many mixture modes get at least ``min_frac`` of the samples within 3 sigma of their centre.
    samples (N, 2), centres (K, 2) -> int."""
    dist = torch.cdist(samples, centres)                 # (N, K)
    near = dist.min(1).values <= 3 * sigma
    owner = dist.argmin(1)[near]
    counts = torch.bincount(owner, minlength=len(centres))
    return int((counts >= min_frac * len(samples)).sum())


def log4() -> float:
    return math.log(4.0)
