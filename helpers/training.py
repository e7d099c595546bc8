"""A small training loop with a tqdm progress bar and a history that the plots read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm


@dataclass
class History:
    """Per-epoch records: train_loss and train_acc over the epoch, test_acc after it."""
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def batches(X: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator | None = None,
            shuffle: bool = True):
    """Yield (X_b, y_b) minibatches covering every example once: ceil(N / batch_size) batches.

    X: (N, ...); y: (N,). With shuffle, the order is a fresh permutation from ``generator``.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} examples but y has {len(y)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    order = torch.randperm(len(X), generator=generator) if shuffle else torch.arange(len(X))
    order = order.to(X.device)
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Logits for X, computed in batches in eval mode. X: (N, ...) -> (N, K)."""
    was_training = model.training
    model.eval()
    out = torch.cat([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])
    model.train(was_training)
    return out


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of X whose arg-max logit equals y."""
    return (predict(model, X).argmax(dim=1) == y).float().mean().item()


def fit(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor], *,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        epochs: int, lr: float, batch_size: int = 128, optimizer: str = "sgd",
        test: tuple[torch.Tensor, torch.Tensor] | None = None, seed: int = 0,
        progress: bool = True, desc: str = "training") -> History:
    """Train ``model`` with minibatch SGD (or Adam) and return its History.

    train, test: (X, y) on the model's device. loss_fn(logits, y) -> scalar tensor.
    """
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    opt_cls = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    X, y = train
    steps = epochs * -(-len(X) // batch_size)
    hist = History()
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=True)
    for _ in range(epochs):
        total, correct, seen = 0.0, 0, 0
        model.train()
        for xb, yb in batches(X, y, batch_size, gen):
            logits = model(xb)
            loss = loss_fn(logits, yb)
            if not torch.isfinite(loss):
                bar.close()
                raise FloatingPointError(f"the loss became {loss.item()} at step {len(hist.step_loss)}: "
                                         "lower the learning rate or check the loss function.")
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(xb)
            hist.step_loss.append(loss.item())
            bar.update(1)
        hist.train_loss.append(total / seen)
        hist.train_acc.append(correct / seen)
        if test is not None:
            hist.test_acc.append(accuracy(model, *test))
        bar.set_postfix(loss=f"{hist.train_loss[-1]:.3f}",
                        **({"test_acc": f"{hist.test_acc[-1]:.3f}"} if test is not None else {}))
    bar.close()
    return hist
