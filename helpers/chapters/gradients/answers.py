"""Chapter 02 reference implementations (gradients and gradient descent).

The chapter's graded exercises ask the student to write these; while an exercise is graded, its own
answer here refuses to run (see helpers.grading.guard), so a submission that only calls it earns no
points. Other exercises, those of later chapters among them, may call them (``helpers.kernels``).
All functions are device-agnostic.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from helpers.grading import checks
from helpers.grading.guard import reference


@reference
def numerical_grad(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h in float64.

    f: scalar function of a tensor of x's shape; x: any shape -> float64 tensor of x's shape.
    The caller's x is left untouched.
    """
    return checks.numerical_gradient.__wrapped__(f, x, h)     # the same loop, without the student guard


@reference
def grad_of_sum_of_squares(x0: float, y0: float) -> tuple[float, float]:
    """(dz/dx, dz/dy) of z = x^2 + y^2 at (x0, y0), by autograd, as Python floats."""
    x = torch.tensor(float(x0), requires_grad=True)
    y = torch.tensor(float(y0), requires_grad=True)
    z = x ** 2 + y ** 2
    z.backward()
    return x.grad.item(), y.grad.item()


@reference
def directional_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, l: torch.Tensor) -> torch.Tensor:
    """d f / d l at x: grad f(x) . l / |l|. x, l: (d,) -> 0-d tensor."""
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return (grad * l / torch.linalg.vector_norm(l)).sum()


@reference
def gradient_descent(grad_fn: Callable[[torch.Tensor], torch.Tensor], theta0: torch.Tensor, lr: float,
                     n_steps: int) -> torch.Tensor:
    """theta <- theta - lr * grad_fn(theta), n_steps times. theta0: (d,) -> trajectory (n_steps + 1, d)."""
    path = [theta0.detach().clone()]
    for _ in range(n_steps):
        path.append(path[-1] - lr * grad_fn(path[-1]))
    return torch.stack(path)


@reference
def relative_error(a: torch.Tensor, b: torch.Tensor, tiny: float = 1e-12) -> float:
    """Largest entrywise |a - b| / max(|a|, |b|, tiny), as a Python float. a, b: one shape (any)."""
    a64, b64 = a.detach().to(torch.float64), b.detach().to(torch.float64)
    scale = torch.maximum(torch.maximum(a64.abs(), b64.abs()), torch.full_like(a64, tiny))
    return float(((a64 - b64).abs() / scale).max())


@reference
def linreg_grads(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of L(w, b) = (1/N) sum_n (x_n . w + b - y_n)^2 with respect to w and b.

    X: (N, d); y: (N,); w: (d,); b: 0-d -> (dL/dw of shape (d,), dL/db 0-d), in X's dtype.
    """
    r = X @ w + b - y                                   # (N,) residuals yhat - y
    return 2 * X.T @ r / X.shape[0], 2 * r.sum() / X.shape[0]


@reference
def softmax_regression_grads(X: torch.Tensor, Y: torch.Tensor, W: torch.Tensor,
                             b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of L = -(1/N) sum_n sum_k Y_nk log softmax(x_n W + b)_k with respect to W and b.

    X: (N, d); Y: (N, K) rows that sum to 1 (one-hot or soft); W: (d, K); b: (K,)
    -> (dL/dW of shape (d, K), dL/db of shape (K,)). Stable for logits past exp's overflow.
    """
    G = (torch.softmax(X @ W + b, dim=1) - Y) / X.shape[0]     # (N, K) = dL/dZ
    return X.T @ G, G.sum(dim=0)


@reference
def minibatch_sgd_linreg(X: torch.Tensor, y: torch.Tensor, batch_size: int, lr: float, epochs: int,
                         seed: int = 0) -> tuple[torch.Tensor, int]:
    """Minibatch SGD on L(w) = mean over the batch of (x_i . w - y_i)^2, from w = 0.

    X: (N, d); y: (N,). Each epoch draws torch.randperm(N, generator=g) from one generator
    g = torch.Generator().manual_seed(seed) and walks it in slices of batch_size (the last one may
    be shorter). Returns (w of shape (d,), number of steps taken = epochs * ceil(N / batch_size)).
    """
    n = X.shape[0]
    g = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    steps = 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=g).to(X.device)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Xb, yb = X[idx], y[idx]                                   # (B, d), (B,)
            w = w - lr * 2 * Xb.T @ (Xb @ w - yb) / len(idx)
            steps += 1
    return w, steps


def steps_per_epoch(n: int, batch_size: int) -> int:
    """ceil(n / batch_size): the last, possibly smaller, batch is a step too."""
    return math.ceil(n / batch_size)
