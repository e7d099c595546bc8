"""Small networks written as parameter dictionaries, for the chapters that train them by hand."""
from __future__ import annotations

import torch


def init_params(d_in: int, hidden: int, d_out: int, seed: int = 0, dtype=torch.float32, device=None) -> dict:
    """A one-hidden-layer MLP's parameters as a dict: W1 (hidden, d_in) with He's std sqrt(2 / d_in) for
    the ReLU layer, W2 (d_out, hidden) with LeCun's sqrt(1 / hidden) for the linear output layer, zero
    biases b1 (hidden,) and b2 (d_out,). Seeded by ``seed``; on ``device`` when given."""
    g = torch.Generator().manual_seed(seed)
    params = {"W1": torch.randn(hidden, d_in, generator=g, dtype=dtype) * (2 / d_in) ** 0.5,
              "b1": torch.zeros(hidden, dtype=dtype),
              "W2": torch.randn(d_out, hidden, generator=g, dtype=dtype) * (1 / hidden) ** 0.5,
              "b2": torch.zeros(d_out, dtype=dtype)}
    return {k: v.to(device) for k, v in params.items()} if device is not None else params
