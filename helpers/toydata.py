"""Small synthetic 2-D classification sets, seeded, for demos and quick tests.

Every generator returns ``(X, y)`` with ``X: (n, 2)`` float32 and ``y: (n,)`` int64 labels in {0, 1},
the classes balanced (n // 2 and n - n // 2), on the CPU (move them with ``.to(DEVICE)``).
"""
from __future__ import annotations

import math

import torch


def _check_n(n: int) -> None:
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")


def two_moons(n: int = 400, noise: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles: class 0 the upper moon, class 1 the lower, shifted one.

    Returns X: (n, 2) float32 (roughly in [-1.5, 2.5] x [-1, 1.5]), y: (n,) int64.
    ``noise`` is the standard deviation of the Gaussian jitter added to every point.
    """
    _check_n(n)
    g = torch.Generator().manual_seed(seed)
    n0 = n // 2
    n1 = n - n0
    a0 = torch.rand(n0, generator=g, dtype=torch.float64) * math.pi
    a1 = torch.rand(n1, generator=g, dtype=torch.float64) * math.pi
    upper = torch.stack([torch.cos(a0), torch.sin(a0)], dim=1)               # (n0, 2)
    lower = torch.stack([1 - torch.cos(a1), 0.5 - torch.sin(a1)], dim=1)     # (n1, 2)
    X = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=g, dtype=torch.float64)
    y = torch.cat([torch.zeros(n0, dtype=torch.int64), torch.ones(n1, dtype=torch.int64)])
    perm = torch.randperm(n, generator=g)
    return X[perm].float(), y[perm]


def xor_blobs(n: int = 400, std: float = 0.25, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Four Gaussian blobs at (±1, ±1); the label is 1 when the two coordinates' signs differ (XOR).

    Returns X: (n, 2) float32, y: (n,) int64. ``std`` is each blob's standard deviation.
    """
    _check_n(n)
    g = torch.Generator().manual_seed(seed)
    y = (torch.arange(n) >= n // 2).to(torch.int64)                        # n // 2 zeros, then ones
    quadrant = torch.randint(0, 2, (n,), generator=g)                      # which of the two blobs of the class
    sx = torch.where(quadrant == 0, 1.0, -1.0)
    sy = torch.where(y == 1, -sx, sx)                                      # class 1: signs differ
    centres = torch.stack([sx, sy], dim=1)                                 # (n, 2)
    X = centres + std * torch.randn(n, 2, generator=g)
    perm = torch.randperm(n, generator=g)
    return X[perm].float(), y[perm]


def grid(X: torch.Tensor, steps: int = 150, margin: float = 0.5) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A regular grid covering the points X: (n, 2), for drawing decision boundaries.

    Returns (xx, yy, points): xx, yy of shape (steps, steps) and points (steps * steps, 2).
    """
    lo = X.min(dim=0).values.cpu() - margin
    hi = X.max(dim=0).values.cpu() + margin
    xs = torch.linspace(float(lo[0]), float(hi[0]), steps)
    ys = torch.linspace(float(lo[1]), float(hi[1]), steps)
    xx, yy = torch.meshgrid(xs, ys, indexing="xy")                          # (steps, steps) each
    return xx, yy, torch.stack([xx, yy], dim=-1).reshape(-1, 2)            # (steps * steps, 2)
