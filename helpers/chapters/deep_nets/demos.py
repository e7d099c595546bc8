"""Chapter 06's figures, widgets and the deep networks of its real run. The logic is plain functions
the tests call; the widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.deep_nets import answers
from helpers.plots import figure
from helpers.runtime import cpu_threads
from helpers.training import OPTIMIZERS

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
INITS = ("default", "he", "xavier", "lecun", "orthogonal")


# ---------------------------------------------------------------- the networks

def init_linear_(layer: nn.Linear, scheme: str, scale: float = 1.0) -> None:
    """Re-initialize a Linear layer in place: weights by ``scheme`` (times ``scale``), bias 0.

    scheme: "default" (PyTorch's own, uniform with std 1/sqrt(3 fan_in), bias kept), "he" (std
    sqrt(2/fan_in)), "xavier" (sqrt(2/(fan_in+fan_out))), "lecun" (sqrt(1/fan_in)), "orthogonal"
    (W = U V^T of a Gaussian matrix, all singular values 1), a number (that std itself) or a function
    fan_in -> std (a student's keeping_std, for instance).
    """
    fan_out, fan_in = layer.weight.shape
    with torch.no_grad():
        if scheme == "default":
            layer.weight.mul_(scale)
            return
        if scheme == "orthogonal":
            U, _, Vh = torch.linalg.svd(torch.randn(fan_out, fan_in), full_matrices=False)
            layer.weight.copy_(U @ Vh * scale)
        else:
            if callable(scheme):
                std = float(scheme(fan_in))
            elif isinstance(scheme, str):
                std = {"he": math.sqrt(2 / fan_in), "xavier": math.sqrt(2 / (fan_in + fan_out)),
                       "lecun": math.sqrt(1 / fan_in)}.get(scheme)
            else:
                std = float(scheme)
            if std is None:
                raise ValueError(f"scheme must be one of {INITS} or a number, not {scheme!r}")
            layer.weight.normal_(0.0, std * scale)
        layer.bias.zero_()


def deep_mlp(depth: int = 30, width: int = 128, activation: str = "relu", batchnorm: bool = False,
             init: str | float = "default", scale: float = 1.0, d_in: int = 784, d_out: int = 10) -> nn.Sequential:
    """``depth`` Linear layers: d_in -> width -> ... -> width -> d_out, with [BatchNorm1d,] activation
    between them. x: (N, d_in) -> logits (N, d_out)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, not {activation!r}")
    sizes = [d_in] + [width] * (depth - 1) + [d_out]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            if batchnorm:
                layers.append(nn.BatchNorm1d(a))
            layers.append(ACTIVATIONS[activation]())
        lin = nn.Linear(a, b)
        init_linear_(lin, init, scale)
        layers.append(lin)
    return nn.Sequential(*layers)


def residual_mlp(depth: int = 30, width: int = 128, d_in: int = 784, d_out: int = 10, block=None,
                 scale: float = 1.0) -> nn.Sequential:
    """A pre-activation residual MLP with ``depth`` Linear layers: a stem Linear(d_in, width), (depth - 2) // 2
    residual blocks of two layers each (``block(width, width)``, chapter exercise 6 or the course's),
    then ReLU and Linear(width, d_out). The layers keep PyTorch's default init (weights times ``scale``)."""
    block = block or answers.ResidualBlock
    layers: list[nn.Module] = [nn.Linear(d_in, width)]
    layers += [block(width, width) for _ in range((depth - 2) // 2)]
    layers += [nn.ReLU(), nn.Linear(width, d_out)]
    net = nn.Sequential(*layers)
    if scale != 1.0:
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, nn.Linear):
                    m.weight.mul_(scale)
    return net


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The Linear layers of ``model`` in forward order (for residual blocks: fc1, fc2, shortcut)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def layer_grad_norms(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[float]:
    """||dL/dW|| of every Linear layer (first to last) for the mean cross-entropy on (X, y), at the
    current parameters, in training mode. X: (N, D); y: (N,). Leaves .grad cleared. The norms are taken
    in float64: a float32 gradient with entries near 1e-27 is representable, but its squares underflow."""
    model.train()
    model.zero_grad()
    F.cross_entropy(model(X), y).backward()
    norms = [float(m.weight.grad.double().norm()) for m in linear_layers(model)]
    model.zero_grad()
    return norms


def grad_ratio(norms: list[float]) -> float:
    """First layer's gradient norm over the last layer's: about 1 when gradients neither vanish nor explode."""
    return norms[0] / norms[-1] if norms[-1] > 0 else float("inf")


def train_steps(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float,
                batch_size: int = 128, optimizer: str = "adam", seed: int = 0, desc: str = "training",
                clip: float | None = None, progress: bool = True, decay: bool = True) -> list[float]:
    """``steps`` minibatch updates on random batches of (X, y) (with replacement across steps); returns
    the per-step losses. With ``decay`` the learning rate falls linearly from lr to lr / steps (step t of T
    uses lr * (1 - t / T)); with ``clip``, gradients are clipped by their global norm before each step.
    X: (N, D) and y: (N,) on the model's device. A non-finite loss stops the run (recorded as nan)."""
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    model.train()
    for t in tqdm(range(steps), desc=desc, disable=not progress, leave=True):
        opt.lr = lr * (1 - t / steps) if decay else lr
        idx = torch.randint(0, len(X), (batch_size,), generator=gen).to(X.device)
        loss = F.cross_entropy(model(X[idx]), y[idx])
        if not torch.isfinite(loss):
            losses.append(float("nan"))
            break
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(opt.params, clip)
        opt.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows classified right, in evaluation mode (BatchNorm uses its running statistics)."""
    was = model.training
    model.eval()
    acc = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train(was)
    return acc


# ---------------------------------------------------------------- signal propagation at initialization

def signal_stats(depth: int = 30, width: int = 128, activation: str = "tanh", init: str = "xavier",
                 scale: float = 1.0, batchnorm: bool = False, residual: bool = False, n: int = 256,
                 seed: int = 0) -> dict:
    """Forward a batch of standard-normal inputs through a fresh network and backpropagate a random
    loss; per Linear layer, record the pre-activations it outputs and the gradient of its weight.

    Returns {"activations": list of (n, width) tensors (each layer's output, first to last),
    "act_std": list of floats, "grad_norms": list of floats (||dL/dW_l||)}. Residual: pre-activation
    blocks with the same activation (depth counts Linear layers)."""
    with cpu_threads(1):                      # small matrices: one thread is faster, and steady on a shared CPU
        return _signal_stats(depth, width, activation, init, scale, batchnorm, residual, n, seed)


def _signal_stats(depth, width, activation, init, scale, batchnorm, residual, n, seed) -> dict:
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    act = ACTIVATIONS[activation]
    layers: list[nn.Module] = []
    for i in range(depth):
        lin = nn.Linear(width, width)
        init_linear_(lin, init, scale)
        layers.append(lin)
    x = torch.randn(n, width, generator=g)
    outs: list[torch.Tensor] = []
    h = x
    for i, lin in enumerate(layers):
        if residual and i % 2 == 1:
            z = lin(_norm_act(outs[-1], act, batchnorm))        # second layer of a block
            h = h + z                                           # skip over the two layers
            outs.append(z)
            continue
        inp = h if i == 0 else _norm_act(h if residual else outs[-1], act, batchnorm)
        z = lin(inp)
        outs.append(z)
        if not residual:
            h = z
    for z in outs:
        z.retain_grad()
    final = h if residual else outs[-1]
    target = torch.randn(final.shape, generator=g)
    (final * target).sum().div(n).backward()
    return {"activations": [z.detach() for z in outs],
            "act_std": [float(z.detach().std()) for z in outs],
            "grad_norms": [float(lin.weight.grad.double().norm()) for lin in layers]}   # float64: see layer_grad_norms


def _norm_act(z: torch.Tensor, act, batchnorm: bool) -> torch.Tensor:
    if batchnorm:
        z = (z - z.mean(0)) / torch.sqrt(z.var(0, correction=0) + 1e-5)
    return act()(z)


@figure
def signal_figure(stats: dict, title: str = "", max_hists: int = 6):
    """Left: histograms of a few layers' outputs; right: activation std and weight-gradient norm per layer."""
    acts = stats["activations"]
    depth = len(acts)
    picks = sorted({round(i * (depth - 1) / (max_hists - 1)) for i in range(max_hists)})
    fig, (ax_h, ax_n) = plt.subplots(1, 2, figsize=(11, 3.8))
    for i in picks:
        v = acts[i].flatten().numpy()
        lim = max(float(np.abs(v).max()), 1e-30)
        ax_h.hist(v / lim, bins=60, histtype="step", lw=1.4, label=f"layer {i + 1}: std {v.std():.2g}")
    ax_h.set(xlabel="pre-activation / its largest |value| (each layer rescaled)", ylabel="count",
             title="distribution of each layer's outputs")
    ax_h.legend(frameon=False, fontsize=8)
    layers = np.arange(1, depth + 1)
    ax_n.semilogy(layers, np.maximum(stats["act_std"], 1e-300), "o-", ms=3, label="std of the layer's output")
    ax_n.semilogy(layers, np.maximum(stats["grad_norms"], 1e-300), "s-", ms=3, label="||dL/dW|| of the layer")
    ax_n.set(xlabel="layer", title=title or "forward signal and backward gradient, layer by layer")
    ax_n.legend(frameon=False, fontsize=9)
    ax_n.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


def signal_explorer():
    """Sliders for depth and init scale, dropdowns for activation and init, toggles for BatchNorm and
    residual connections; the signal figure redrawn as they move."""
    import ipywidgets as W

    from helpers.widgets import live_output

    depth = W.IntSlider(value=30, min=2, max=60, step=2, description="depth")
    scale = W.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05, description="init × ")
    act = W.Dropdown(options=list(ACTIVATIONS), value="tanh", description="activation")
    init = W.Dropdown(options=list(INITS), value="xavier", description="init")
    bn = W.Checkbox(value=False, description="BatchNorm")
    res = W.Checkbox(value=False, description="residual")
    controls = (depth, scale, act, init, bn, res)

    def draw():
        stats = signal_stats(depth.value, 128, act.value, init.value, scale.value, bn.value, res.value)
        g = stats["grad_norms"]
        signal_figure(stats, title=f"first/last gradient ratio {grad_ratio(g):.3g}, "
                                   f"last layer std {stats['act_std'][-1]:.3g}")

    return W.VBox([W.HBox([depth, scale, act]), W.HBox([init, bn, res]), live_output(draw, controls)])


# ---------------------------------------------------------------- figures of the real run

@figure
def gradient_norms_figure(norms: dict[str, list[float]], title: str = "gradient norm of each layer's weight at initialization"):
    """One line per network: ||dL/dW_l|| against the layer index l, on a log scale."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for label, v in norms.items():
        ax.semilogy(np.arange(1, len(v) + 1), np.maximum(v, 1e-300), "o-", ms=3, label=label)
    ax.set(xlabel="Linear layer (1 = next to the input)", ylabel="||dL/dW||", title=title)
    ax.legend(frameon=False, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def loss_curves_figure(curves: dict[str, list[float]], title: str = "training loss"):
    """Per-step training losses (a moving mean of 20 steps) of several runs."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for label, v in curves.items():
        v = np.asarray(v, dtype=float)
        k = min(20, len(v))
        smooth = np.convolve(v, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(k, len(v) + 1), smooth, lw=1.6, label=label)
    ax.set(xlabel="step", ylabel="cross-entropy (nats), mean of 20 steps", title=title, ylim=(0, 2.6))
    ax.axhline(math.log(10), color="0.6", ls=":", lw=1)
    ax.annotate("ln 10: chance", (1, math.log(10) + 0.05), color="0.4", fontsize=8)
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def sigmoid_chain_gain(depth: int) -> float:
    """The largest possible product of ``depth`` sigmoid derivatives, (1/4)^depth."""
    return 0.25 ** depth


def jacobian_gains(W: torch.Tensor, steps: int = 30) -> dict[str, list[float]]:
    """||W^k v|| for the last unit vector v = e_n, k = 0..steps, next to the largest eigenvalue modulus and
    singular value of W to the k-th power: the singular values bound the growth, the eigenvalues do not."""
    v = torch.zeros(W.shape[1], dtype=W.dtype)
    v[-1] = 1.0
    norms, u = [], v
    for _ in range(steps + 1):
        norms.append(float(u.norm()))
        u = W @ u
    rho = float(torch.linalg.eigvals(W).abs().max())
    smax = float(torch.linalg.matrix_norm(W, ord=2))
    return {"||W^k v||": norms, "rho^k": [rho ** k for k in range(steps + 1)],
            "sigma_max^k": [smax ** k for k in range(steps + 1)]}
