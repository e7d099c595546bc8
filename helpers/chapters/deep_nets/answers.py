"""Chapter 06 reference answers (making deep networks train: initialization, normalization,
clipping, residual connections).

While an exercise is graded its own answer here refuses to run (helpers.grading.guard); other
exercises, and later chapters, may call them (the reusable ones belong in helpers.kernels).
Device-agnostic torch; no autograd in the backward pass.

Layout: a batch has one example per row, ``x: (N, D)``; a linear layer's weight is ``(out, in)``.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from helpers.grading.guard import reference


# ---------------------------------------------------------------- initialization

@reference
def keeping_std(fan_in: int, negative_slope: float = 0.0) -> float:
    """The weight std that keeps E[z^2] constant from layer to layer for z = W a, a = leaky_relu(z_prev)
    with slope ``negative_slope`` for z < 0 (0: ReLU, He's sqrt(2 / fan_in); 1: linear, LeCun's
    sqrt(1 / fan_in)). Pre-activations zero-mean and symmetric; weights i.i.d. with mean 0.

    E[a^2] = (1 + s^2) / 2 * E[z_prev^2], and E[z^2] = fan_in * std^2 * E[a^2], so
    std = sqrt(2 / ((1 + s^2) * fan_in)).
    """
    return math.sqrt(2.0 / ((1.0 + negative_slope ** 2) * fan_in))


# ---------------------------------------------------------------- batch normalization

@reference
def batchnorm_forward(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
                      running_var: torch.Tensor, training: bool, momentum: float = 0.1, eps: float = 1e-5):
    """BatchNorm over the batch axis with PyTorch's conventions (nn.BatchNorm1d on (N, D)).

    x: (N, D); gamma, beta, running_mean, running_var: (D,). Returns (y (N, D), new running_mean (D,),
    new running_var (D,)); the inputs are not changed. Training: normalize with the batch mean and the
    *biased* batch variance, and update running <- (1 - momentum) * running + momentum * batch, with the
    *unbiased* batch variance for running_var. Evaluation: normalize with the running statistics, which
    stay as they are.
    """
    if training:
        mean = x.mean(dim=0)                                    # (D,)
        var = x.var(dim=0, correction=0)                        # (D,) biased: what normalizes
        n = x.shape[0]
        unbiased = var * n / (n - 1)                            # (D,) what the running estimate tracks
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * unbiased
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.clone(), running_var.clone()
    y = (x - mean) / torch.sqrt(var + eps) * gamma + beta      # (N, D)
    return y, new_mean, new_var


@reference
def batchnorm_backward(grad_out: torch.Tensor, x: torch.Tensor, gamma: torch.Tensor, eps: float = 1e-5):
    """(dL/dx, dL/dgamma, dL/dbeta) for y = gamma * (x - mu) / sqrt(var + eps) + beta in training mode
    (mu, var: the batch mean and biased variance of each column).

    grad_out, x: (N, D); gamma: (D,). Returns (N, D), (D,), (D,).
    dx = gamma / (N sigma) * (N g - sum(g) - x_hat * sum(g * x_hat)), sums over the batch.
    """
    n = x.shape[0]
    mu = x.mean(dim=0)
    sigma = torch.sqrt(x.var(dim=0, correction=0) + eps)       # (D,)
    x_hat = (x - mu) / sigma                                    # (N, D)
    dbeta = grad_out.sum(dim=0)                                 # (D,)
    dgamma = (grad_out * x_hat).sum(dim=0)                      # (D,)
    dx = gamma / (n * sigma) * (n * grad_out - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------- layer normalization

@reference
def layer_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Normalize each row over its last dimension (biased variance), then scale and shift, as
    F.layer_norm(x, (D,), gamma, beta, eps). x: (..., D); gamma, beta: (D,) -> (..., D)."""
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True, correction=0)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta


# ---------------------------------------------------------------- gradient clipping

@reference
def clip_grad_norm(grads: list[torch.Tensor], max_norm: float):
    """Clip a list of gradient tensors by their global norm, as torch.nn.utils.clip_grad_norm_ does,
    without changing them: every tensor is multiplied by min(1, max_norm / (total + 1e-6)), where total
    is the 2-norm of all their entries together. Returns (list of new tensors, total as a 0-d tensor)."""
    total = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).to(grads[0].dtype)
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    return [g * scale for g in grads], total


# ---------------------------------------------------------------- residual block

class ResidualBlock(nn.Module):
    """A pre-activation residual block for vectors: out = shortcut(x) + fc2(relu(fc1(relu(x)))).

    fc1: Linear(d_in, d_out); fc2: Linear(d_out, d_out); shortcut: nn.Identity() when d_in == d_out,
    else a projection Linear(d_in, d_out, bias=False). x: (N, d_in) -> (N, d_out).
    """

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    @reference
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.fc2(torch.relu(self.fc1(torch.relu(x))))
