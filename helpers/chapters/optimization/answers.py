"""Chapter 05 reference answers (optimization and loss landscapes).

The chapter's graded exercises ask the student to write these; while an exercise is graded, its own
answer here refuses to run (see helpers.grading.guard), so a submission that only calls it earns no
points. Other exercises, those of later chapters among them, may call them (``helpers.kernels``).
All are device-agnostic torch.

The optimizer steps are functional: ``step(theta, g, state, lr, ...) -> new theta``. ``theta`` and
``g`` are left unchanged; ``state`` is a dict the step fills on its first call (empty at the start)
and updates on every later call, the way ``torch.optim`` keeps ``optimizer.state[p]``. Each one
equals its ``torch.optim`` counterpart step for step (tests/chapters/test_optimization.py).
"""
from __future__ import annotations

import math

import torch

from helpers.grading.guard import reference


# ---------------------------------------------------------------- critical points

@reference
def classify_critical_point(H: torch.Tensor, tol: float = 1e-8) -> str:
    """'min', 'max', 'saddle' or 'degenerate' for a critical point with symmetric Hessian H (n, n),
    from the signs of its eigenvalues: all > tol a minimum, all < -tol a maximum, some > tol and some
    < -tol a saddle (whatever the others), else (an eigenvalue within tol of 0 and no mixed signs)
    degenerate: the second-order test cannot decide."""
    lam = torch.linalg.eigvalsh(H)                    # (n,), ascending
    pos, neg = bool((lam > tol).any()), bool((lam < -tol).any())
    if pos and neg:
        return "saddle"
    if bool((lam > tol).all()):
        return "min"
    if bool((lam < -tol).all()):
        return "max"
    return "degenerate"


@reference
def double_well_hessian(x: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """Hessian of f(x) = 1/2 x^T A x + 1/4 sum_i x_i^4 at x: (A + A^T)/2 + 3 diag(x^2).
    x: (n,); A: (n, n), not necessarily symmetric -> (n, n)."""
    return (A + A.T) / 2 + torch.diag(3 * x ** 2)


def double_well(x: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """f(x) = 1/2 x^T A x + 1/4 sum_i x_i^4. x: (n,); A: (n, n) -> 0-d tensor."""
    return 0.5 * x @ A @ x + 0.25 * (x ** 4).sum()


def double_well_grad(x: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """grad f = (A + A^T)/2 x + x^3. x: (n,); A: (n, n) -> (n,)."""
    return (A + A.T) / 2 @ x + x ** 3


# ---------------------------------------------------------------- gradient descent on a quadratic

@reference
def gd_contraction(H: torch.Tensor, lr: float) -> torch.Tensor:
    """The factor by which gradient descent x <- x - lr H x shrinks the worst-case error per step on
    f(x) = 1/2 x^T H x: the spectral radius of I - lr H, max_i |1 - lr lambda_i|.
    H: (n, n) symmetric -> 0-d tensor of H's dtype (>= 1 means no convergence)."""
    lam = torch.linalg.eigvalsh(H)
    return (1 - lr * lam).abs().max()


@reference
def gd_best_lr(H: torch.Tensor) -> torch.Tensor:
    """The learning rate minimising gd_contraction for a positive definite H: 2 / (lambda_min +
    lambda_max), where the two extreme factors 1 - lr lambda balance. H: (n, n) -> 0-d tensor."""
    lam = torch.linalg.eigvalsh(H)
    return 2 / (lam[0] + lam[-1])


# ---------------------------------------------------------------- exponential moving averages

@reference
def ema_weights(beta: float, k: int) -> torch.Tensor:
    """The weights w with m_k = sum_i w_i g_i for m_0 = 0, m_t = beta m_(t-1) + (1 - beta) g_t:
    w_i = (1 - beta) beta^(k - i), i = 1..k (the newest gradient weighs most). Their sum is
    1 - beta^k, the bias Adam divides out. -> (k,) float64."""
    i = torch.arange(1, k + 1, dtype=torch.float64)
    return (1 - beta) * beta ** (k - i)


# ---------------------------------------------------------------- optimizer steps

@reference
def momentum_step(theta: torch.Tensor, g: torch.Tensor, state: dict, lr: float, beta: float = 0.9,
                  nesterov: bool = False) -> torch.Tensor:
    """Heavy-ball momentum as torch.optim.SGD(lr, momentum=beta, dampening=0, nesterov=...):
    v <- beta v + g (v starts at 0, so v_1 = g), then theta <- theta - lr v, or with Nesterov
    theta <- theta - lr (g + beta v). theta, g: same shape -> new theta; state["v"] is the velocity."""
    v = beta * state["v"] + g if "v" in state else g.clone()
    state["v"] = v
    return theta - lr * (g + beta * v if nesterov else v)


@reference
def rmsprop_step(theta: torch.Tensor, g: torch.Tensor, state: dict, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8) -> torch.Tensor:
    """RMSProp as torch.optim.RMSprop(lr, alpha, eps) (no momentum, not centered): s <- alpha s +
    (1 - alpha) g^2 (s starts at 0), theta <- theta - lr g / (sqrt(s) + eps). No bias correction.
    theta, g: same shape -> new theta; state["s"] is the running mean of g^2."""
    s = alpha * state.get("s", torch.zeros_like(g)) + (1 - alpha) * g * g
    state["s"] = s
    return theta - lr * g / (s.sqrt() + eps)


@reference
def adam_step(theta: torch.Tensor, g: torch.Tensor, state: dict, lr: float = 1e-3,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> torch.Tensor:
    """Adam as torch.optim.Adam(lr, betas, eps): m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2
    (both start at 0), t <- t + 1, theta <- theta - lr m_hat / (sqrt(v_hat) + eps) with the bias
    corrections m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
    theta, g: same shape -> new theta; state holds "m", "v" and the step count "t"."""
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g * g
    state.update(m=m, v=v, t=t)
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return theta - lr * m_hat / (v_hat.sqrt() + eps)


# ---------------------------------------------------------------- learning-rate schedule

@reference
def warmup_cosine(step: int, total_steps: int, warmup_steps: int, lr_max: float, lr_min: float = 0.0) -> float:
    """The learning rate of step ``step`` (0-based) of ``total_steps``: a linear warm-up
    lr_max (step + 1) / warmup_steps for step < warmup_steps, then a half cosine from lr_max down
    to lr_min over the remaining steps, lr_min + (lr_max - lr_min) (1 + cos(pi s / S)) / 2 with
    s = step - warmup_steps and S = total_steps - warmup_steps. A Python float."""
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    s, S = step - warmup_steps, total_steps - warmup_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * s / S)) / 2
