"""Chapter 04's figures and widgets: polynomial fits refit on resampled data (bias and variance,
measured), train and validation error against capacity and λ, dropout masks on a small network,
and the confidence of a classifier on inputs unlike its training data. The logic is plain
functions the tests call; the widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch

from helpers.plots import figure


def true_function(x: torch.Tensor) -> torch.Tensor:
    """The curve the polynomial demos try to learn: sin(2πx) on [0, 1]. Any shape."""
    return torch.sin(2 * math.pi * x)


def poly_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """Columns 1, u, u², ..., u^degree of u = 2x - 1 (centred, so high powers stay well scaled).
    x: (N,) -> (N, degree + 1)."""
    u = 2 * x - 1
    return torch.stack([u ** d for d in range(degree + 1)], dim=1)


def ridge_fit(X: torch.Tensor, y: torch.Tensor, lam: float) -> torch.Tensor:
    """argmin_w ||y - Xw||² + lam ||w||² = (XᵀX + lam I)⁻¹ Xᵀy (lstsq when lam = 0). X: (N, D); y: (N,) -> (D,)."""
    if lam == 0:
        return torch.linalg.lstsq(X, y.unsqueeze(1), driver="gelsd").solution.squeeze(1)
    A = X.T @ X + lam * torch.eye(X.shape[1], dtype=X.dtype)
    return torch.linalg.solve(A, X.T @ y)


def sample_dataset(n_points: int, noise: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n_points x spread over [0, 1] (one uniform draw in each of n_points equal bins, so that no fit
    has to extrapolate over a wide gap) and y = sin(2πx) + N(0, noise²), float64. -> (N,), (N,)."""
    x = (torch.arange(n_points, dtype=torch.float64) + torch.rand(n_points, generator=generator, dtype=torch.float64)) / n_points
    return x, true_function(x) + noise * torch.randn(n_points, generator=generator, dtype=torch.float64)


def resampled_fits(degree: int, lam: float = 0.0, n_points: int = 15, noise: float = 0.3, n_datasets: int = 100,
                   seed: int = 0, grid: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Fit a degree-`degree` ridge polynomial to n_datasets fresh training sets; predictions on a grid.
    Returns {"grid": (G,), "preds": (n_datasets, G), "train_mse": (n_datasets,), "data": list of (x, y)}."""
    g = torch.Generator().manual_seed(seed)
    grid = torch.linspace(0, 1, 101, dtype=torch.float64) if grid is None else grid
    Xg = poly_features(grid, degree)
    preds, train_mse, sets = [], [], []
    for _ in range(n_datasets):
        x, y = sample_dataset(n_points, noise, g)
        w = ridge_fit(poly_features(x, degree), y, lam)
        preds.append(Xg @ w)
        train_mse.append(((poly_features(x, degree) @ w - y) ** 2).mean())
        sets.append((x, y))
    return {"grid": grid, "preds": torch.stack(preds), "train_mse": torch.stack(train_mse), "data": sets}


def bias_variance(preds: torch.Tensor, f_true: torch.Tensor) -> dict[str, float]:
    """Bias² and variance of predictions from resampled fits, averaged over the points.
    preds: (M, G) (one row per training set); f_true: (G,). Returns {"bias2", "variance"}.

    The average of M fits still scatters around f̄ with variance Var/M, so (mean - f)² overstates bias²
    by that much on average; subtracting var/(M - 1) (var measured about the sample mean, which is
    (M-1)/M of Var on average) removes it. The estimate is clipped at 0."""
    M = preds.shape[0]
    mean = preds.mean(dim=0)                                   # (G,)  f̄(x), the average fit
    var = ((preds - mean) ** 2).mean(dim=0)                    # (G,)  spread of the fits at each point
    sampling = var / (M - 1) if M > 1 else torch.zeros_like(var)
    return {"bias2": max(float(((mean - f_true) ** 2 - sampling).mean()), 0.0),
            "variance": float(var.mean())}                     # mean over sets and points


def decomposition(degree: int, lam: float = 0.0, n_points: int = 15, noise: float = 0.3, n_datasets: int = 200,
                  seed: int = 0) -> dict[str, float]:
    """bias², variance, noise² and the measured expected test error E[(f_D(x) - y)²] on fresh noisy y."""
    fits = resampled_fits(degree, lam, n_points, noise, n_datasets, seed)
    f = true_function(fits["grid"])
    out = bias_variance(fits["preds"], f)
    g = torch.Generator().manual_seed(seed + 1)
    y_new = f + noise * torch.randn(fits["preds"].shape, generator=g, dtype=torch.float64)   # (M, G) fresh labels
    out["noise2"] = noise ** 2
    out["test_mse"] = float(((fits["preds"] - y_new) ** 2).mean())
    out["train_mse"] = float(fits["train_mse"].mean())
    return out


def error_curves(degrees, lam: float = 0.0, n_points: int = 15, noise: float = 0.3, n_datasets: int = 50,
                 seed: int = 0) -> dict[str, list[float]]:
    """Mean train and test MSE of ridge polynomials over resampled training sets, for each degree."""
    out = {"degree": list(degrees), "train": [], "test": []}
    for d in degrees:
        r = decomposition(d, lam, n_points, noise, n_datasets, seed)
        out["train"].append(r["train_mse"])
        out["test"].append(r["test_mse"])
    return out


@figure
def capacity_figure(degree: int = 3, log10_lam: float = -8.0, n_points: int = 15, noise: float = 0.3, seed: int = 0):
    """Left: 20 fits from resampled training sets over the true curve. Middle: bias², variance and
    noise. Right: train and test error against the degree, the current one marked."""
    lam = 0.0 if log10_lam <= -8 else 10.0 ** log10_lam
    fits = resampled_fits(degree, lam, n_points, noise, 100, seed)
    grid, preds = fits["grid"], fits["preds"]
    f = true_function(grid)
    parts = bias_variance(preds, f)
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(13, 3.6), gridspec_kw={"width_ratios": [1.4, 0.8, 1.2]})
    for row in preds[:20]:
        a1.plot(grid, row, color="C0", alpha=0.25, lw=1)
    a1.plot(grid, preds.mean(0), color="C1", lw=2, label="average fit")
    a1.plot(grid, f, "k--", lw=1.5, label="true sin(2πx)")
    x0, y0 = fits["data"][0]
    a1.plot(x0, y0, "o", color="C3", ms=4, label="one training set")
    a1.set(ylim=(-2, 2), xlabel="x", title=f"degree {degree}, λ = {lam:.2g}: 20 of 100 fits")
    a1.legend(frameon=False, fontsize=8, loc="lower left")
    names = ["bias²", "variance", "noise²"]
    vals = [max(parts["bias2"], 1e-4), parts["variance"], noise ** 2]      # 1e-4: the floor of the log axis
    a2.bar(names, vals, color=["C1", "C0", "0.6"])
    a2.set(yscale="log", ylim=(1e-4, 1e3), title="expected test error = sum")
    curves = error_curves(range(1, 13), lam, n_points, noise, 30, seed)
    a3.plot(curves["degree"], curves["train"], "o-", label="training error")
    a3.plot(curves["degree"], curves["test"], "s-", label="test error (fresh data)")
    a3.axvline(degree, color="k", lw=0.8, ls=":")
    a3.set(yscale="log", xlabel="polynomial degree (capacity)", ylabel="MSE", title="error vs capacity")
    a3.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def capacity_explorer():
    """Sliders for the degree, log10 λ, the number of points and the noise over capacity_figure."""
    import ipywidgets as W

    from helpers.widgets import live_output

    degree = W.IntSlider(value=3, min=1, max=12, description="degree")
    lam = W.FloatSlider(value=-8.0, min=-8.0, max=1.0, step=0.5, description="log10 λ",
                        tooltip="-8 means no penalty")
    n = W.IntSlider(value=15, min=8, max=60, step=1, description="points")
    noise = W.FloatSlider(value=0.3, min=0.05, max=1.0, step=0.05, description="noise")
    seed = W.IntSlider(value=0, min=0, max=20, description="resample")
    controls = (degree, lam, n, noise, seed)
    out = live_output(lambda: capacity_figure(degree.value, lam.value, n.value, noise.value, seed.value), controls)
    return W.VBox([W.HBox([degree, lam, n]), W.HBox([noise, seed]), out])


# ---------------------------------------------------------------- dropout on a small network

LAYERS = (6, 8, 8, 3)      # the drawn network: inputs, two hidden layers, outputs


def dropout_masks(p: float, seed: int, dropout_fn, layers=LAYERS) -> list[torch.Tensor]:
    """One dropout mask per hidden layer, drawn with dropout_fn(ones, p, True, generator): (width,) each,
    holding 0 for a dropped unit and 1/(1-p) for a kept one."""
    g = torch.Generator().manual_seed(seed)
    return [dropout_fn(torch.ones(w), p, True, g) for w in layers[1:-1]]


@figure
def dropout_figure(p: float = 0.5, seed: int = 0, dropout_fn=None, layers=LAYERS):
    """The network with the units this draw drops greyed out and their connections removed."""
    from helpers.chapters.overfitting.answers import inverted_dropout
    masks = dropout_masks(p, seed, dropout_fn or inverted_dropout.__wrapped__, layers)
    keep = [torch.ones(layers[0])] + [(m != 0).float() for m in masks] + [torch.ones(layers[-1])]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ys = [torch.linspace(-1, 1, w) * (w / max(layers)) for w in layers]
    for l in range(len(layers) - 1):
        for i in range(layers[l]):
            for j in range(layers[l + 1]):
                if keep[l][i] and keep[l + 1][j]:
                    ax.plot([l, l + 1], [float(ys[l][i]), float(ys[l + 1][j])], color="C0", lw=0.6, alpha=0.5)
    for l, w in enumerate(layers):
        on = keep[l].bool()
        ax.scatter([l] * int(on.sum()), ys[l][on], s=160, color="C1", edgecolors="k", zorder=3)
        ax.scatter([l] * int((~on).sum()), ys[l][~on], s=160, color="white", edgecolors="0.6", zorder=3)
    kept = [int(m.ne(0).sum()) for m in masks]
    scale = f"kept units are scaled by 1/(1-p) = {1 / (1 - p):.2f}" if p < 1 else "everything dropped"
    ax.set(title=f"p = {p:.2f}: kept {kept} of {list(layers[1:-1])} hidden units; {scale}", xticks=range(len(layers)),
           xticklabels=["input"] + [f"hidden {i}" for i in range(1, len(layers) - 1)] + ["output"], yticks=[])
    for s in ("top", "right", "left"):
        ax.spines[s].set_visible(False)
    fig.tight_layout()
    return fig


def dropout_explorer(dropout_fn=None):
    """A p slider and a 'new mask' slider over dropout_figure (uses dropout_fn when given)."""
    import ipywidgets as W

    from helpers.widgets import live_output

    p = W.FloatSlider(value=0.5, min=0.0, max=0.9, step=0.05, description="p (drop)")
    seed = W.IntSlider(value=0, min=0, max=50, description="new mask")
    return W.VBox([W.HBox([p, seed]), live_output(lambda: dropout_figure(p.value, seed.value, dropout_fn), (p, seed))])


def scale_check(dropout_fn, p: float, n: int = 200_000, seed: int = 0) -> dict[str, float]:
    """The fraction of zeros and the mean of dropout_fn(ones(n), p, True) against nn.functional.dropout's."""
    g = torch.Generator().manual_seed(seed)
    ones = torch.ones(n)
    yours = dropout_fn(ones, p, True, g)
    torch.manual_seed(seed)
    theirs = torch.nn.functional.dropout(ones, p, True)
    return {"zeros": float((yours == 0).float().mean()), "mean": float(yours.mean()),
            "torch_zeros": float((theirs == 0).float().mean()), "torch_mean": float(theirs.mean())}


# ---------------------------------------------------------------- penalties: L1 versus L2

@figure
def penalty_figure(lam: float = 1.0):
    """The penalties λ|w| and λw² and their gradients in one weight: L1's slope does not shrink near 0."""
    w = torch.linspace(-2, 2, 401)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.2))
    a1.plot(w, lam * w.abs(), label="L1: λ|w|")
    a1.plot(w, lam * w ** 2, label="L2: λw²")
    a1.set(xlabel="w", title="penalty")
    a2.plot(w, lam * torch.sign(w), label="L1: λ sign(w)")
    a2.plot(w, 2 * lam * w, label="L2: 2λw")
    a2.set(xlabel="w", title="its gradient (the pull towards 0)")
    for a in (a1, a2):
        a.legend(frameon=False)
        a.axhline(0, color="k", lw=0.5)
    fig.tight_layout()
    return fig


def shrink_path(w0: float, lam: float, kind: str, lr: float = 0.1, steps: int = 50) -> list[float]:
    """Steps on the penalty alone, from w0: L2 (a gradient step) shrinks geometrically; L1 moves by a
    constant and then sits at 0: the step is clipped at the crossing (soft-thresholding, as proximal
    methods do), where a plain subgradient step would overshoot and oscillate around 0."""
    w, path = w0, [w0]
    for _ in range(steps):
        if kind == "l2":
            w = w - lr * 2 * lam * w
        else:
            step = lr * lam
            w = 0.0 if abs(w) <= step + 1e-12 else w - step * math.copysign(1.0, w)
        path.append(w)
    return path


# ---------------------------------------------------------------- confidence far from the data

def max_confidence(logits: torch.Tensor) -> torch.Tensor:
    """The largest softmax probability of each row. logits: (N, K) -> (N,)."""
    return torch.softmax(logits, dim=1).max(dim=1).values


@figure
def confidence_figure(conf_by_input: dict[str, torch.Tensor], title: str = "how sure is the network?"):
    """Histograms of the top-class probability for each kind of input. conf_by_input: {label: (N,)}."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bins = torch.linspace(0, 1, 21)
    for label, c in conf_by_input.items():
        ax.hist(c.detach().cpu().numpy(), bins=bins.numpy(), alpha=0.5, density=True,
                label=f"{label}: mean {float(c.mean()):.2f}")
    ax.set(xlabel="probability of the predicted class", ylabel="density",
           title=f"{title} (uniform over 10 classes: 0.1)")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


@figure
def run_curves(curves: dict[str, list[float]], stops: dict[str, int] | None = None):
    """Validation cross-entropy per epoch of each run, with the early-stopping choice marked."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for i, (label, v) in enumerate(curves.items()):
        ax.plot(range(1, len(v) + 1), v, lw=1.6, color=f"C{i}", label=label)
        if stops and label in stops:
            e = stops[label]
            ax.plot([e + 1], [v[e]], "*", ms=12, color=f"C{i}")
    ax.set(xlabel="epoch", ylabel="validation cross-entropy (nats)",
           title="validation loss per epoch (star: the weights early stopping keeps)")
    ax.legend(frameon=False, fontsize=9)
    fig.tight_layout()
    return fig
