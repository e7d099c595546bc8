"""Figures the chapters share. Each function draws on matplotlib and returns the Figure.

While nbgrader grades a notebook (helpers.grading_mode()), they draw nothing and return None:
figures are not part of a grade, and drawing them costs seconds per submission.
"""
from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.runtime import grading_mode


def figure(fn):
    """Skip a plotting function while nbgrader grades."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return None if grading_mode() else fn(*args, **kwargs)
    return wrapper


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)


@figure
def activations(x_range: float = 6.0):
    """sigmoid, tanh and ReLU (left) and their derivatives (right)."""
    x = torch.linspace(-x_range, x_range, 401)
    curves = {
        "sigmoid": (torch.sigmoid(x), torch.sigmoid(x) * (1 - torch.sigmoid(x))),
        "tanh": (torch.tanh(x), 1 - torch.tanh(x) ** 2),
        "ReLU": (torch.relu(x), (x > 0).float()),
    }
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    for name, (f, d) in curves.items():
        ax_f.plot(x, f, label=name, lw=2)
        ax_d.plot(x, d, label=f"{name}'", lw=2)
    ax_f.set(title="activation functions", xlabel="z", ylim=(-1.2, 3))
    ax_d.set(title="their derivatives", xlabel="z", ylim=(-0.1, 1.1))
    ax_d.axhline(0.25, color="C0", ls=":", lw=1)
    ax_d.annotate("max sigmoid' = 1/4", (0.3, 0.27), color="C0")
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.legend(frameon=False)
    fig.tight_layout()
    return fig


@figure
def probability_bars(probs, labels, target: int | None = None, ax=None, title: str = ""):
    """Bar chart of a probability vector; the target class (if any) is highlighted."""
    probs = _np(probs)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3))
    colors = ["C3" if i == target else "C0" for i in range(len(probs))]
    ax.bar(range(len(probs)), probs, color=colors)
    for i, p in enumerate(probs):
        ax.text(i, p + 0.02, f"{p:.2f}", ha="center", fontsize=9)
    ax.set_xticks(range(len(probs)), labels, rotation=30 if max(map(len, labels)) > 3 else 0)
    ax.set(ylim=(0, 1.1), ylabel="probability", title=title)
    return ax.figure


@figure
def image_grid(images, labels, classes, probs=None, n: int = 16, cols: int = 8):
    """Images with their labels; with ``probs`` (N, K) the title shows the prediction and its
    probability, green when right and red when wrong. images: (N, 28, 28) or (N, 1, 28, 28)."""
    images = _np(images).reshape(len(images), *_np(images).shape[-2:])
    labels = _np(labels)
    n = min(n, len(images))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.65 * rows))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap="gray_r")
        if probs is None:
            ax.set_title(classes[labels[i]], fontsize=8)
        else:
            p = _np(probs[i])
            k = int(p.argmax())
            ax.set_title(f"{classes[k]}\n{p[k]:.0%}", fontsize=8, color="green" if k == labels[i] else "red")
    fig.tight_layout()
    return fig


@figure
def history(hist, title: str = "", held_out: str = "test"):
    """Training loss per step (left) and train/held-out accuracy per epoch (right); ``held_out``
    names the set hist.test_acc was measured on ("validation" while choosing hyperparameters)."""
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(10, 3.4))
    steps = np.arange(1, len(hist.step_loss) + 1)
    ax_l.plot(steps, hist.step_loss, color="0.7", lw=0.8, label="per step")
    if len(steps) >= 20:
        k = max(len(steps) // 50, 5)
        smooth = np.convolve(hist.step_loss, np.ones(k) / k, mode="valid")
        ax_l.plot(steps[k - 1:], smooth, color="C0", lw=2, label=f"mean of {k} steps")
    ax_l.set(xlabel="step", ylabel="training loss (nats)", title=title or "loss")
    ax_l.legend(frameon=False)
    epochs = np.arange(1, hist.epochs + 1)
    ax_a.plot(epochs, hist.train_acc, "o-", label="train")
    if hist.test_acc:
        ax_a.plot(epochs, hist.test_acc, "s-", label=held_out)
        ax_a.annotate(f"{hist.test_acc[-1]:.3f}", (epochs[-1], hist.test_acc[-1]),
                      textcoords="offset points", xytext=(4, -12))
    ax_a.set_xticks(epochs)
    ax_a.set(xlabel="epoch", ylabel="accuracy", title="accuracy (train: running mean over the epoch)")
    ax_a.legend(frameon=False)
    fig.tight_layout()
    return fig


@figure
def confusion_matrix(y_true, y_pred, classes):
    """Row-normalized confusion matrix: row = true class, column = predicted class."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    k = len(classes)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(j, i, f"{rates[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.5 else "black")
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set(xlabel="predicted", ylabel="true", title="confusion matrix (rows sum to 1)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


@figure
def weight_templates(weight, classes, shape=(28, 28)):
    """Each row of a linear classifier's weight matrix (K, H*W) drawn as an image: red pixels
    raise that class's logit, blue pixels lower it."""
    W = _np(weight).reshape(len(classes), *shape)
    lim = np.abs(W).max()
    fig, axes = plt.subplots(2, -(-len(classes) // 2), figsize=(12, 5))
    for ax, w, name in zip(axes.ravel(), W, classes):
        ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    fig.suptitle("weights of each class's logit")
    fig.tight_layout()
    return fig


@figure
def training_curves(curves: dict, ylabel: str = "training loss (nats)", xlabel: str = "step", title: str = "",
                    logy: bool = True):
    """One line per run or per named series: {label: list of values} (losses, accuracies, norms)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for label, values in curves.items():
        v = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(v) + 1), v, lw=1.5, label=label)
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(frameon=False, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def decision_boundary(xx, yy, prob, X, y, title: str = "", ax=None):
    """Shade p(class 1) on a grid and scatter the points. xx, yy, prob: (S, S); X: (n, 2); y: (n,)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 4.2))
    to = lambda t: t.detach().cpu().numpy() if torch.is_tensor(t) else np.asarray(t)  # noqa: E731
    ax.contourf(to(xx), to(yy), to(prob), levels=np.linspace(0, 1, 21), cmap="RdBu_r", alpha=0.55)
    ax.contour(to(xx), to(yy), to(prob), levels=[0.5], colors="k", linewidths=1)
    ax.scatter(to(X)[:, 0], to(X)[:, 1], c=to(y), cmap="RdBu_r", edgecolors="k", s=14, lw=0.5)
    ax.set(title=title, xlabel="x₁", ylabel="x₂")
    return ax.figure
