"""Chapter 07's figures, widgets and the small CNN of the real run. The logic is plain functions the
tests call; the widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math
import time
from typing import Callable

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.plots import figure
from helpers.runtime import cpu_threads
from helpers.training import Adam, batches

# 3 x 3 kernels to start the filter explorer from (rows top to bottom).
KERNELS = {
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur (box)": [[1 / 9] * 3] * 3,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "corner (asymmetric)": [[2, 1, 0], [1, 0, 0], [0, 0, -1]],      # its 180-degree flip is a different kernel
}


def kernel(name: str) -> torch.Tensor:
    """A preset of KERNELS as a (3, 3) float32 tensor."""
    return torch.tensor(KERNELS[name], dtype=torch.float32)


def out_size_text(h: int, k: int, s: int, p: int) -> str:
    """The output-size formula evaluated, e.g. 'floor((28 + 2*1 - 3) / 2) + 1 = 14'."""
    return f"⌊({h} + 2·{p} − {k}) / {s}⌋ + 1 = {(h + 2 * p - k) // s + 1}"


def feature_maps(image: torch.Tensor, k: torch.Tensor, stride: int = 1, padding: int = 0, flip: bool = False,
                 conv: Callable | None = None) -> dict[str, torch.Tensor]:
    """One image through one 3 x 3 filter: the feature map, its ReLU and its 2 x 2 max-pool.

    image: (H, W); k: (kh, kw); conv: a conv2d(x, w, b, stride, padding) (default F.conv2d). flip turns the
    cross-correlation into a true convolution. Returns {"map": (H', W'), "relu": (H', W'), "pooled": (H'', W'')}.
    """
    conv = conv or (lambda x, w, b, s, p: F.conv2d(x, w, b, stride=s, padding=p))
    w = (k.flip(0, 1) if flip else k).to(image.dtype)[None, None]          # (1, 1, kh, kw)
    fmap = conv(image[None, None], w, None, stride, padding)[0, 0]         # (H', W')
    relu = fmap.clamp(min=0)
    pooled = F.max_pool2d(relu[None, None], 2)[0, 0] if min(relu.shape) >= 2 else relu
    return {"map": fmap, "relu": relu, "pooled": pooled}


@figure
def filter_figure(image: torch.Tensor, k: torch.Tensor, stride: int = 1, padding: int = 0, flip: bool = False,
                  conv: Callable | None = None):
    """The input, the kernel, the feature map, its ReLU and the pooled map, with the size formula."""
    maps = feature_maps(image, k, stride, padding, flip, conv)
    fig, axes = plt.subplots(1, 5, figsize=(13, 2.9), gridspec_kw={"width_ratios": [1, 0.6, 1, 1, 1]})
    shown = (("input", image, "gray"), ("kernel" + (" (flipped)" if flip else ""), k.flip(0, 1) if flip else k, "RdBu_r"),
             ("feature map", maps["map"], "RdBu_r"), ("ReLU", maps["relu"], "magma"),
             ("2×2 max-pool", maps["pooled"], "magma"))
    for ax, (title, img, cmap) in zip(axes, shown):
        img = img.detach().cpu()
        lim = float(img.abs().max()) or 1.0
        kw = {"vmin": -lim, "vmax": lim} if cmap == "RdBu_r" else {}
        ax.imshow(img, cmap=cmap, **kw)
        ax.set_title(f"{title}\n{tuple(img.shape)}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("output size " + out_size_text(image.shape[0], k.shape[0], stride, padding), fontsize=10)
    fig.tight_layout()
    return fig


def shift_report(image: torch.Tensor, k: torch.Tensor, shift: int) -> dict[str, float]:
    """How a horizontal shift of the input moves the feature map (equivariance) and the pooled map.

    image: (H, W), zero borders assumed; shift: pixels to the right. Returns the largest difference between
    conv(shift(x)) and shift(conv(x)) ("equivariance_error", 0 up to the border) and between
    pool(conv(shift(x))) and pool(conv(x)) ("pool_change", not 0 in general).
    """
    moved = torch.roll(image, shift, dims=1)
    a = feature_maps(image, k, padding=1)
    b = feature_maps(moved, k, padding=1)
    inner = slice(shift + 1, image.shape[1] - 1) if shift else slice(1, image.shape[1] - 1)
    eq = (b["map"][:, inner] - torch.roll(a["map"], shift, dims=1)[:, inner]).abs().max()
    return {"equivariance_error": float(eq), "pool_change": float((b["pooled"] - a["pooled"]).abs().max()),
            "pool_scale": float(a["pooled"].abs().max())}


@figure
def shift_figure(image: torch.Tensor, k: torch.Tensor, shift: int):
    """Feature maps and pooled maps of an image and of the image shifted right by ``shift`` pixels."""
    moved = torch.roll(image, shift, dims=1)
    a, b = feature_maps(image, k, padding=1), feature_maps(moved, k, padding=1)
    rep = shift_report(image, k, shift)
    fig, axes = plt.subplots(2, 3, figsize=(9, 5.6))
    for row, (img, maps, label) in enumerate(((image, a, "original"), (moved, b, f"shifted by {shift} px"))):
        for ax, (title, m) in zip(axes[row], (("input", img), ("feature map", maps["map"]), ("pooled", maps["pooled"]))):
            ax.imshow(m.detach().cpu(), cmap="gray" if title == "input" else "magma")
            ax.set_title(f"{label}: {title}", fontsize=9)
            ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"conv(shift x) − shift(conv x): {rep['equivariance_error']:.2g} (equivariant);  "
                 f"pooled maps differ by up to {rep['pool_change']:.2g} of {rep['pool_scale']:.2g}", fontsize=10)
    fig.tight_layout()
    return fig


def filter_explorer(images: torch.Tensor, conv: Callable | None = None):
    """Pick an image and a preset (or move the 9 kernel sliders), stride, padding and flip; a second tab
    shifts the input. images: (N, H, W); conv: the conv2d the feature maps use (the student's)."""
    import ipywidgets as W

    from helpers.widgets import live_output, tabs

    preset = W.Dropdown(options=list(KERNELS), value="vertical edges (Sobel x)", description="preset")
    cells = [W.FloatSlider(value=float(v), min=-3, max=3, step=0.1, layout=W.Layout(width="150px"), readout_format=".1f")
             for v in kernel(preset.value).flatten()]
    index = W.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
    stride = W.IntSlider(value=1, min=1, max=4, description="stride")
    padding = W.IntSlider(value=0, min=0, max=3, description="padding")
    flip = W.Checkbox(value=False, description="flip kernel (true convolution)")
    shift = W.IntSlider(value=1, min=0, max=3, description="shift (px)")

    def load_preset(change):
        for cell, v in zip(cells, kernel(change["new"]).flatten()):
            cell.value = float(v)
    preset.observe(load_preset, names="value")
    current = lambda: torch.tensor([c.value for c in cells]).reshape(3, 3)   # noqa: E731
    grid = W.GridBox(cells, layout=W.Layout(grid_template_columns="repeat(3, 155px)"))
    page1 = W.VBox([W.HBox([W.VBox([preset, index, stride, padding, flip]), grid]),
                    live_output(lambda: filter_figure(images[index.value], current(), stride.value, padding.value,
                                                      flip.value, conv), [index, stride, padding, flip, *cells])])
    page2 = W.VBox([shift, live_output(lambda: shift_figure(images[index.value], current(), shift.value),
                                       [shift, index, *cells])])
    return tabs({"filter explorer": page1, "shift the input": page2})


# ---------------------------------------------------------------- the real run's network

def small_cnn(c1: int = 16, c2: int = 32, hidden: int = 64, n_classes: int = 10) -> nn.Sequential:
    """(N, 1, 28, 28) -> (N, n_classes) logits: two [3x3 conv (same padding) -> BatchNorm -> ReLU -> 2x2 max-pool]
    stages (28 -> 14 -> 7), then a BatchNorm'd hidden layer. The convolutions have no bias (BatchNorm's shift
    replaces it)."""
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),   # (N, c1, 14, 14)
        nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),  # (N, c2, 7, 7)
        nn.Flatten(),                                                                                  # (N, c2*49)
        nn.Linear(c2 * 49, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(),
        nn.Linear(hidden, n_classes))


def cosine_lr(lr: float, step: int, steps: int) -> float:
    """The learning rate at ``step`` of ``steps`` on a cosine schedule from lr down to 0."""
    return lr * 0.5 * (1 + math.cos(math.pi * step / steps))


def train_cnn(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float, batch_size: int = 64,
              seed: int = 0, desc: str = "CNN", progress: bool = True) -> list[float]:
    """Adam for ``steps`` minibatch steps with a cosine learning-rate decay; returns the per-step losses.
    X: (N, 1, H, W); y: (N,), on the model's device."""
    opt = Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    model.train()
    with tqdm(total=steps, desc=desc, disable=not progress) as bar:
        while len(losses) < steps:
            for xb, yb in batches(X, y, batch_size, gen):
                opt.lr = cosine_lr(lr, len(losses), steps)
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                bar.update(1)
                if len(losses) % 50 == 0:
                    bar.set_postfix(loss=f"{sum(losses[-50:]) / 50:.3f}")
                if len(losses) >= steps:
                    break
    return losses


@figure
def first_layer_figure(model: nn.Module, X: torch.Tensor, y: torch.Tensor, classes, cls: int, n_maps: int = 8):
    """The first convolution's filters (top row) and, for the first image of class ``cls``, what each filter
    responds to (its feature map after BatchNorm and ReLU). X: (N, 1, H, W); y: (N,)."""
    conv, rest = model[0], model[1:3]
    idx = int((y == cls).nonzero()[0])
    was = model.training
    model.eval()
    with torch.no_grad():
        maps = rest(conv(X[idx:idx + 1]))[0].cpu()                        # (c1, H, W)
    model.train(was)
    w = conv.weight.detach().cpu()[:, 0]                                  # (c1, 3, 3)
    n = min(n_maps, w.shape[0])
    fig, axes = plt.subplots(2, n + 1, figsize=(1.45 * (n + 1), 3.2))
    axes[0, 0].imshow(X[idx, 0].cpu(), cmap="gray")
    axes[0, 0].set_title(classes[cls], fontsize=9)
    axes[1, 0].axis("off")
    for i in range(n):
        lim = float(w[i].abs().max())
        axes[0, i + 1].imshow(w[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[0, i + 1].set_title(f"filter {i}", fontsize=8)
        axes[1, i + 1].imshow(maps[i], cmap="magma")
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("first-layer filters (top) and their ReLU'd responses to this image (bottom)", fontsize=10)
    fig.tight_layout()
    return fig


def activation_explorer(model: nn.Module, X: torch.Tensor, y: torch.Tensor, classes):
    """A class dropdown: the trained network's first-layer filters and their responses to that class."""
    import ipywidgets as W

    from helpers.widgets import live_output

    cls = W.Dropdown(options=[(c, i) for i, c in enumerate(classes)], value=0, description="class")
    return W.VBox([cls, live_output(lambda: first_layer_figure(model, X, y, classes, cls.value), (cls,))])


# ---------------------------------------------------------------- timings

def time_per_call(fn: Callable[[], object], repeat: int = 3) -> float:
    """The best of ``repeat`` wall-clock timings of fn(), in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def conv_timings(fns: dict[str, Callable], x: torch.Tensor, w: torch.Tensor, repeat: int = 3) -> dict[str, float]:
    """Seconds per call of each conv2d(x, w, None, 1, 1) in ``fns``, on one pinned CPU thread."""
    with cpu_threads(1):
        return {name: time_per_call(lambda f=f: f(x, w, None, 1, 1), repeat) for name, f in fns.items()}


def misclassified(logits: torch.Tensor, y: torch.Tensor, n: int = 16) -> torch.Tensor:
    """Indices of up to n examples whose arg-max logit is not their label, the most confident mistakes first.
    logits: (N, K); y: (N,) -> (<= n,) int64."""
    probs = logits.softmax(dim=1)
    conf, pred = probs.max(dim=1)
    wrong = (pred != y).nonzero().flatten()
    return wrong[conf[wrong].argsort(descending=True)][:n]
