"""Chapter 10's reference answers. While an exercise is graded its own answer here refuses
to run (helpers.grading.guard); later chapters may call them (add the ones they build on to
helpers.kernels). Device-agnostic torch."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.grading.guard import reference


@reference
def kl_diag_gaussians(mu_q: torch.Tensor, logvar_q: torch.Tensor,
                      mu_p: torch.Tensor, logvar_p: torch.Tensor) -> torch.Tensor:
    """KL(q || p) for diagonal Gaussians q = N(mu_q, exp(logvar_q)), p = N(mu_p, exp(logvar_p)),
    summed over the last axis. All inputs (..., d) (broadcastable) -> (...)."""
    var_ratio = torch.exp(logvar_q - logvar_p)                      # sigma_q^2 / sigma_p^2
    mahalanobis = (mu_q - mu_p) ** 2 * torch.exp(-logvar_p)         # (mu_q - mu_p)^2 / sigma_p^2
    return 0.5 * (var_ratio + mahalanobis - 1.0 - (logvar_q - logvar_p)).sum(dim=-1)


@reference
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2). mu, logvar, eps: (B, d) -> (B, d)."""
    return mu + torch.exp(0.5 * logvar) * eps


def _bernoulli_nll(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """-[x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))], stable for any logit. Same shape."""
    return F.softplus(logits) - x * logits


@reference
def negative_elbo(x: torch.Tensor, x_logits: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  beta: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The negative ELBO per image in nats, averaged over the batch, with a grey-level Bernoulli
    decoder and the prior N(0, I).

    x, x_logits: (B, ...) with x in [0, 1]; mu, logvar: (B, d).
    Returns (loss, recon, kl), three 0-d tensors: recon = mean over the batch of the per-image
    cross-entropy summed over pixels, kl = mean over the batch of KL(q(z|x) || N(0, I)),
    loss = recon + beta * kl.
    """
    recon = _bernoulli_nll(x, x_logits).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1.0 - logvar)).sum(dim=1).mean()
    return recon + beta * kl, recon, kl


@reference
def iwae_bound(log_w: torch.Tensor) -> torch.Tensor:
    """The importance-weighted bound log( (1/K) sum_k w_k ) from log-weights, computed stably.
    log_w: (B, K) with log_w[b, k] = log p(x_b, z_k) - log q(z_k | x_b) -> (B,)."""
    top = log_w.max(dim=1, keepdim=True).values                     # (B, 1): shift so exp() cannot overflow
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    return top.squeeze(1) + torch.log(torch.exp(log_w - top).mean(dim=1))


@reference
def subspace_angles(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """The principal angles, in degrees and ascending, between the column spaces of A and B.
    A: (D, k), B: (D, m), full column rank -> (min(k, m),)."""
    Qa, _ = torch.linalg.qr(A)                                       # (D, k) orthonormal basis of span(A)
    Qb, _ = torch.linalg.qr(B)                                       # (D, m)
    cosines = torch.linalg.svdvals(Qa.T @ Qb).clamp(-1.0, 1.0)       # (min(k, m),), descending
    return torch.rad2deg(torch.arccos(cosines))


class AffineCoupling(nn.Module):
    """A RealNVP affine coupling layer. mask: (dim,) of 0/1; the entries where mask is 1 pass
    through, the others are scaled by exp(h) and shifted by g, both computed from the kept ones.

    forward(z: (B, dim)) -> (x: (B, dim), logdet: (B,)), logdet = log|det dx/dz|.
    inverse(x: (B, dim)) -> z: (B, dim), exact.
    """

    def __init__(self, dim: int, hidden: int, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 2 * dim))

    def scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """h (log-scale) and g (shift) from the kept entries. kept: (B, dim) -> two (B, dim)."""
        h, g = self.net(kept).chunk(2, dim=-1)
        return torch.tanh(h), g                                     # tanh keeps the scales in [1/e, e]

    @reference
    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.mask
        h, g = self.scale_shift(z * m)
        x = m * z + (1 - m) * (z * torch.exp(h) + g)
        return x, ((1 - m) * h).sum(dim=-1)

    @reference
    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        m = self.mask
        h, g = self.scale_shift(x * m)                              # x * m = z * m: the kept entries
        return m * x + (1 - m) * (x - g) * torch.exp(-h)


def bernoulli_self_entropy(x: torch.Tensor) -> torch.Tensor:
    """The cross-entropy of grey levels x against themselves, summed over pixels: the floor of the
    grey-level reconstruction term. x: (B, ...) in [0, 1] -> (B,)."""
    x = x.flatten(1).clamp(1e-7, 1 - 1e-7)
    return -(x * torch.log(x) + (1 - x) * torch.log1p(-x)).sum(dim=1)


def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, exp(logvar)) summed over the last axis. (..., d) -> (...)."""
    return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 * torch.exp(-logvar)).sum(dim=-1)
