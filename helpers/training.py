"""A small training loop with a tqdm progress bar and a history that the plots read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.grading.guard import reference


class SGD:
    """Plain stochastic gradient descent: p <- p - lr * grad.

    The update rules are written out (chapter 05 derives them) instead of using torch.optim,
    whose first use imports torch._dynamo: about 3 s, paid again by every graded submission.
    """

    def __init__(self, params, lr: float):
        self.params = [p for p in params if p.requires_grad]
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.add_(p.grad, alpha=-self.lr)


class Adam(SGD):
    """Adam (Kingma and Ba, 2015) with bias correction, the same update as torch.optim.Adam."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, lr)
        self.betas, self.eps, self.t = betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]   # first moment, same shape as p
        self.v = [torch.zeros_like(p) for p in self.params]   # second moment

    @reference          # refused inside chapter 05's Adam exercise: wrapping it is not writing Adam
    @torch.no_grad()
    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            m_hat = m / (1 - b1 ** self.t)
            v_hat = v / (1 - b2 ** self.t)
            p.sub_(self.lr * m_hat / (v_hat.sqrt() + self.eps))


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


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
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
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
