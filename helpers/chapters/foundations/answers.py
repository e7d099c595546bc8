"""Chapter 01's reference answers; later chapters call them through ``helpers.kernels``.

While a chapter-01 exercise is graded its own answer here refuses to run (see helpers.grading.guard),
so calling it earns no points; any other exercise may use them.
All functions are device-agnostic: they work on whatever device their inputs live on.
"""
import math

import torch

from helpers.grading.guard import reference

LOG_2PI = math.log(2 * math.pi)


@reference(student="stable_sigmoid")
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic function without overflow. x: any shape -> same shape, values in [0, 1]."""
    e = torch.exp(torch.where(x >= 0, -x, x))    # exp(-|x|) in (0, 1]: never overflows; unlike
                                                 # x.abs(), its gradient is right at x = 0 too
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


@reference
def log_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log softmax(z) along ``dim`` via the log-sum-exp trick. z: any shape -> same shape."""
    shifted = z - z.amax(dim=dim, keepdim=True)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


@reference(student="stable_softmax")
def softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """softmax(z) along ``dim``. z: any shape -> same shape; slices along dim sum to 1."""
    e = torch.exp(z - z.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)


@reference
def cross_entropy_from_logits(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood. logits: (N, K) float; target: (N,) int64 in [0, K) -> scalar."""
    return -log_softmax(logits, dim=1).gather(1, target[:, None]).mean()


def _xlogy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x * log(y) with the convention 0 * log(0) = 0."""
    return torch.where(x == 0, torch.zeros_like(x), x * torch.log(y))


@reference
def entropy(p: torch.Tensor) -> torch.Tensor:
    """H(p) = -sum_i p_i log p_i in nats. p: (..., K) -> (...)."""
    return -_xlogy(p, p).sum(dim=-1)


@reference
def cross_entropy(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """H(p, q) = -sum_i p_i log q_i in nats. p, q: (..., K) -> (...)."""
    return -_xlogy(p, q).sum(dim=-1)


@reference
def kl_div(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """D_KL(p || q) = sum_i p_i log(p_i / q_i) in nats. p, q: (..., K) -> (...)."""
    return (_xlogy(p, p) - _xlogy(p, q)).sum(dim=-1)


@reference
def gaussian_nll(y: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """-log N(y; mu, sigma^2), element-wise with broadcasting."""
    return 0.5 * ((y - mu) / sigma) ** 2 + torch.log(sigma) + 0.5 * LOG_2PI


@reference
def mlp_parameter_count(layer_sizes) -> int:
    """Weights and biases of a fully connected net with these layer widths, e.g. [784, 16, 16, 10]."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))


@reference(student="cross_entropy_grad")
def softmax_cross_entropy_grad(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Gradient of the mean cross-entropy over the batch with respect to the logits, derived by hand.

    logits: (N, K) float; target: (N,) int64 in [0, K) -> (N, K), (softmax(logits) - onehot(target)) / N.
    """
    grad = softmax(logits, dim=1)
    grad = grad - torch.nn.functional.one_hot(target, logits.shape[1]).to(logits.dtype)
    return grad / logits.shape[0]


@reference
def gaussian_nll_grad(y: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Element-wise partial derivatives of -log N(y; mu, sigma^2) with respect to mu and sigma.

    y, mu, sigma: tensors of one shape (sigma > 0) -> (d/dmu, d/dsigma), each of that shape:
    ((mu - y) / sigma^2, 1 / sigma - (y - mu)^2 / sigma^3).
    """
    r = y - mu
    return -r / sigma ** 2, 1 / sigma - r ** 2 / sigma ** 3


class _SoftmaxRegression(torch.nn.Module):
    """Logits W x + b of flattened inputs: (N, ...) with n_inputs values per row -> (N, n_classes)."""

    def __init__(self, n_inputs: int, n_classes: int):
        super().__init__()
        self.linear = torch.nn.Linear(n_inputs, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(start_dim=1))


@reference(student="SoftmaxRegression")
def softmax_regression(n_inputs: int = 28 * 28, n_classes: int = 10) -> torch.nn.Module:
    """A softmax-regression model (the exercise's class): its ``linear`` maps flattened inputs to logits."""
    return _SoftmaxRegression(n_inputs, n_classes)
