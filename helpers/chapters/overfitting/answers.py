"""Chapter 04 reference answers (overfitting, generalization and regularization).

While an exercise is graded its own answer here refuses to run (helpers.grading.guard); later
chapters may call them (``helpers.kernels``). Device-agnostic torch.
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn

from helpers.grading.guard import reference


# ---------------------------------------------------------------- k-fold cross-validation

@reference
def kfold_indices(n: int, k: int, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """k (train, validation) index pairs: the validation folds partition a seeded permutation of
    range(n) into k parts whose sizes differ by at most 1 (the first n % k folds get one more);
    each fold's training part is everything else, in increasing order. int64 tensors."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    out, start = [], 0
    for size in sizes:
        val = perm[start:start + size]
        keep = torch.ones(n, dtype=torch.bool)
        keep[val] = False
        out.append((torch.arange(n)[keep], val))
        start += size
    return out


@reference
def cross_val_score(score: Callable[[torch.Tensor, torch.Tensor], float], n: int, k: int, seed: int = 0) -> float:
    """The mean over the k folds of score(train_idx, val_idx) (each fold counts once), as a float."""
    return sum(float(score(tr, va)) for tr, va in kfold_indices(n, k, seed)) / k


# ---------------------------------------------------------------- penalties and weight decay

@reference
def penalty_grad(w: torch.Tensor, l1: float, l2: float) -> torch.Tensor:
    """Gradient of l1 * sum|w| + l2 * sum w^2 (the squared norm) with sign(0) = 0. Any shape."""
    return l1 * torch.sign(w) + 2 * l2 * w


@reference
def equivalent_weight_decay(l2: float) -> float:
    """The weight_decay of torch.optim.SGD that gives the same step as the penalty l2 * ||w||^2."""
    return 2 * l2


# ---------------------------------------------------------------- the MAP view

@reference
def prior_lambda(sigma: float) -> float:
    """λ in NLL + λ||θ||² for the prior θ ~ N(0, σ² I): 1 / (2σ²)."""
    return 1 / (2 * sigma ** 2)


@reference
def map_linear_regression(X: torch.Tensor, y: torch.Tensor, sigma: float, noise_std: float = 1.0) -> torch.Tensor:
    """MAP weights for y = X w + ε, ε ~ N(0, noise_std²), prior w ~ N(0, σ² I):
    (XᵀX + (noise_std² / σ²) I)⁻¹ Xᵀ y. X: (N, D); y: (N,) -> (D,)."""
    lam = noise_std ** 2 / sigma ** 2
    A = X.T @ X + lam * torch.eye(X.shape[1], dtype=X.dtype, device=X.device)     # (D, D)
    return torch.linalg.solve(A, X.T @ y)


# ---------------------------------------------------------------- dropout

@reference
def inverted_dropout(x: torch.Tensor, p: float, training: bool = True,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout as nn.Dropout: in training each entry is zeroed with probability p and the
    survivors are divided by 1 - p (all zeros when p = 1); in eval x unchanged. Any shape."""
    if not training or p == 0:
        return x
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.rand(x.shape, generator=generator, device=x.device if generator is None else "cpu") >= p
    return x * keep.to(x.device, x.dtype) / (1 - p)


class Dropout(nn.Module):
    """A layer around a dropout function (the student's or the course's): train() and eval()
    switch it like nn.Dropout."""

    def __init__(self, p: float, fn: Callable = inverted_dropout):
        super().__init__()
        self.p, self.fn = p, fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x, self.p, self.training)


# ---------------------------------------------------------------- early stopping

@reference
class EarlyStopping:
    """Stop when the validation loss has not improved by more than min_delta for ``patience``
    checks in a row; keep a copy of the best weights.

    step(val_loss, model) -> True when training should stop. An improvement is
    val_loss < best_loss - min_delta; it resets the count and stores a deep copy of
    model.state_dict() in best_state. restore(model) loads best_state back.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss = float("inf")
        self.best_epoch = -1
        self.best_state = None
        self.bad_checks = 0
        self.checks = 0

    def step(self, val_loss: float, model: nn.Module) -> bool:
        val_loss = float(val_loss)
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_checks = val_loss, self.checks, 0
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_checks += 1
        self.checks += 1
        return self.bad_checks >= self.patience

    def restore(self, model: nn.Module) -> None:
        model.load_state_dict(self.best_state)


# ---------------------------------------------------------------- ensembles

@reference
def ensemble_probs(logits: torch.Tensor) -> torch.Tensor:
    """The ensemble's prediction: the mean over the M models of their softmax probabilities.
    logits: (M, N, K) -> (N, K), rows summing to 1."""
    return torch.softmax(logits, dim=-1).mean(dim=0)
