"""Chapter 02's gradient-descent playground and figures.

The logic is in plain functions (``quadratic_surface``, ``descent_path``, ``playground_state``,
``directional_state``, ``minibatch_gradients``), tested on their own; the plot functions draw their
results; ``playground()`` only wires ipywidgets sliders to them. Plot functions draw nothing and
return None while nbgrader grades (helpers.plots.figure).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.plots import figure

_DIVERGED = 1e6      # |theta| beyond this counts as diverged; the path stops there


# ---------------------------------------------------------------- surfaces

@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface. f: (..., 2) -> (...); grad: (2,) -> (2,); box: (xmin, xmax, ymin, ymax) to draw."""
    name: str
    f: Callable[[torch.Tensor], torch.Tensor]
    grad: Callable[[torch.Tensor], torch.Tensor]
    minimum: tuple[float, float]
    box: tuple[float, float, float, float]
    lr_limit: float | None = None       # 2 / lambda_max for a quadratic, None otherwise


def quadratic_surface(kappa: float) -> Surface:
    """f(x, y) = (kappa x^2 + y^2) / 2: Hessian diag(kappa, 1), condition number max(kappa, 1/kappa)."""
    if kappa <= 0:
        raise ValueError(f"kappa must be positive, got {kappa}")
    scale = torch.tensor([kappa, 1.0], dtype=torch.float64)
    return Surface(name=f"f = (κx² + y²)/2, κ = {kappa:g}",
                   f=lambda p: 0.5 * (scale * p ** 2).sum(-1),
                   grad=lambda p: scale * p,
                   minimum=(0.0, 0.0), box=(-2.2, 2.2, -2.2, 2.2), lr_limit=2.0 / max(kappa, 1.0))


def rosenbrock_surface(b: float = 10.0) -> Surface:
    """f(x, y) = (1 - x)^2 + b (y - x^2)^2: a curved valley with its minimum at (1, 1)."""
    def f(p):
        return (1 - p[..., 0]) ** 2 + b * (p[..., 1] - p[..., 0] ** 2) ** 2

    def grad(p):
        x, y = p[0], p[1]
        return torch.stack([-2 * (1 - x) - 4 * b * x * (y - x ** 2), 2 * b * (y - x ** 2)])
    return Surface(name=f"Rosenbrock, b = {b:g}", f=f, grad=grad, minimum=(1.0, 1.0), box=(-2.2, 2.2, -1.2, 3.2))


SURFACES = {"quadratic": quadratic_surface, "rosenbrock": lambda kappa=None: rosenbrock_surface()}


# ---------------------------------------------------------------- logic

def descent_path(grad: Callable[[torch.Tensor], torch.Tensor], start, lr: float, n_steps: int,
                 noise: float = 0.0, seed: int = 0) -> torch.Tensor:
    """Gradient descent theta <- theta - lr (grad(theta) + noise * eps), eps ~ N(0, I).

    ``noise`` imitates a minibatch gradient: an unbiased but noisy estimate. Returns the path,
    (n_steps + 1, 2) float64, or fewer rows if |theta| passed 1e6 (diverged).
    """
    gen = torch.Generator().manual_seed(seed)
    theta = torch.as_tensor(start, dtype=torch.float64).clone()
    path = [theta]
    for _ in range(n_steps):
        g = grad(theta) + noise * torch.randn(theta.shape, generator=gen, dtype=torch.float64)
        theta = theta - lr * g
        path.append(theta)
        if not bool(torch.isfinite(theta).all()) or float(theta.norm()) > _DIVERGED:
            break
    return torch.stack(path)


def playground_state(lr: float, kappa: float = 10.0, start=(-1.8, 1.6), noise: float = 0.0, n_steps: int = 50,
                     surface: str = "quadratic", seed: int = 0) -> dict:
    """What the playground shows: the surface, the path (T, 2), the loss per step (T,), whether it
    diverged, and lr / lr_limit (above 1 a quadratic diverges)."""
    surf = SURFACES[surface](kappa)
    path = descent_path(surf.grad, start, lr, n_steps, noise, seed)
    losses = surf.f(path)
    diverged = len(path) < n_steps + 1 or not bool(torch.isfinite(losses).all()) or float(losses[-1]) > float(losses[0])
    ratio = lr / surf.lr_limit if surf.lr_limit else None
    return {"surface": surf, "path": path, "losses": losses, "diverged": diverged, "lr_ratio": ratio,
            "final_loss": float(losses[-1])}


def directional_state(point=(1.0, 1.0), theta_deg: float = 30.0, kappa: float = 3.0) -> dict:
    """At ``point`` on the quadratic surface: the gradient, its norm, the unit direction l at angle
    theta (degrees) from the gradient, the directional derivative grad . l = |grad| cos(theta), and a
    central finite difference of f along l, which agrees with it."""
    surf = quadratic_surface(kappa)
    p = torch.as_tensor(point, dtype=torch.float64)
    g = surf.grad(p)
    norm = float(g.norm())
    base = math.atan2(float(g[1]), float(g[0])) if norm > 0 else 0.0
    angle = base + math.radians(theta_deg)
    l = torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)
    t = 1e-6
    fd = (float(surf.f(p + t * l)) - float(surf.f(p - t * l))) / (2 * t)
    return {"surface": surf, "point": p, "grad": g, "norm": norm, "l": l, "theta_deg": theta_deg,
            "dderiv": float(g @ l), "formula": norm * math.cos(math.radians(theta_deg)), "finite_difference": fd}


def minibatch_gradients(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, batch_sizes, n_draws: int = 200,
                        seed: int = 0) -> dict:
    """Minibatch estimates of the gradient of mean((Xw - y)^2) at w.

    X: (N, d), y: (N,), w: (d,). Returns {"full": (d,), B: (n_draws, d) for each B}: each row is the
    mean gradient over B examples drawn without replacement. Their average is the full gradient
    (unbiased); their spread shrinks like 1/sqrt(B).
    """
    gen = torch.Generator().manual_seed(seed)
    per_example = 2 * (X @ w - y)[:, None] * X                      # (N, d): gradient of each example's loss
    out = {"full": per_example.mean(0)}
    for b in batch_sizes:
        idx = torch.stack([torch.randperm(len(X), generator=gen)[:b] for _ in range(n_draws)])   # (n_draws, B)
        out[b] = per_example[idx].mean(1)                              # (n_draws, d)
    return out


def secant_slopes(f: Callable[[float], float], x0: float, hs) -> list[float]:
    """(f(x0 + h) - f(x0)) / h for each h: the secant slopes that tend to f'(x0) as h -> 0."""
    return [(f(x0 + h) - f(x0)) / h for h in hs]


# ---------------------------------------------------------------- figures

def _contours(ax, surf: Surface, box=None, levels: int = 18):
    x0, x1, y0, y1 = box or surf.box
    xs = torch.linspace(x0, x1, 121, dtype=torch.float64)
    ys = torch.linspace(y0, y1, 121, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    z = surf.f(torch.stack([gx, gy], -1))                              # (121, 121)
    lv = np.quantile(z.numpy(), np.linspace(0.005, 0.9, levels) ** 2)
    ax.contour(gx.numpy(), gy.numpy(), z.numpy(), levels=np.unique(lv), cmap="viridis", linewidths=0.8)
    ax.plot(*surf.minimum, "*", color="k", ms=12, label="minimum")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", aspect="equal")


def _draw_path(ax, path: torch.Tensor, color="C3", label=None):
    p = path.numpy()
    ax.plot(p[:, 0], p[:, 1], "o-", color=color, ms=3, lw=1.2, label=label)
    ax.plot(p[0, 0], p[0, 1], "s", color=color, ms=7)


@figure
def draw_playground(state: dict):
    """Left: contours and the descent path. Right: the loss per step on a log scale."""
    surf, path, losses = state["surface"], state["path"], state["losses"]
    fig, (ax_c, ax_l) = plt.subplots(1, 2, figsize=(11, 4.4))
    _contours(ax_c, surf)
    _draw_path(ax_c, path, label="path")
    ratio = state["lr_ratio"]
    note = f"lr = {ratio:.2f} × 2/λmax" if ratio is not None else ""
    ax_c.set_title(f"{surf.name}\n{note}" + ("   DIVERGES" if state["diverged"] else ""), fontsize=10)
    ax_c.legend(frameon=False, loc="lower right")
    finite = torch.isfinite(losses)
    ax_l.semilogy(torch.arange(len(losses))[finite].numpy(), losses[finite].clamp_min(1e-300).numpy(), "o-", ms=3)
    ax_l.set(xlabel="step", ylabel="f(θ) (log scale)", title=f"loss after {len(losses) - 1} steps: {state['final_loss']:.3g}")
    ax_l.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def draw_directional(state: dict):
    """Left: the gradient arrow and the unit direction l on the contours. Right: d f / d l against
    the angle theta, |grad| cos(theta), with the current angle marked."""
    surf, p, g, l = state["surface"], state["point"].numpy(), state["grad"].numpy(), state["l"].numpy()
    fig, (ax_c, ax_a) = plt.subplots(1, 2, figsize=(11, 4.4))
    _contours(ax_c, surf)
    unit = g / max(np.linalg.norm(g), 1e-12)
    ax_c.annotate("", p + unit, p, arrowprops=dict(arrowstyle="-|>", color="C3", lw=2))
    ax_c.annotate("", p + l, p, arrowprops=dict(arrowstyle="-|>", color="C0", lw=2))
    ax_c.plot(*p, "ko")
    ax_c.text(*(p + 1.08 * unit), "∇f", color="C3", fontsize=12)
    ax_c.text(*(p + 1.08 * l), "l", color="C0", fontsize=12)
    ax_c.set_title("the gradient (red, drawn at unit length) is perpendicular\nto the contour; l (blue) is a unit direction",
                   fontsize=10)
    thetas = np.linspace(-180, 180, 361)
    ax_a.plot(thetas, state["norm"] * np.cos(np.radians(thetas)), lw=2, label="‖∇f‖ cos θ")
    ax_a.plot([state["theta_deg"]], [state["dderiv"]], "o", color="C0", ms=9, label="∂f/∂l at this l")
    ax_a.axhline(0, color="0.6", lw=0.8)
    ax_a.axhline(state["norm"], color="C3", ls=":", label="‖∇f‖ (the maximum, at θ = 0)")
    ax_a.set(xlabel="angle θ between l and ∇f (degrees)", ylabel="∂f/∂l",
             title=f"∂f/∂l = {state['dderiv']:.3f}   (finite difference: {state['finite_difference']:.3f})")
    ax_a.set_xticks([-180, -90, 0, 90, 180])
    ax_a.legend(frameon=False, fontsize=9, loc="lower center")
    fig.tight_layout()
    return fig


@figure
def secant_to_tangent(f: Callable[[float], float], df: Callable[[float], float], x0: float, hs=(1.5, 0.8, 0.3, 0.05)):
    """Secant lines through (x0, f(x0)) and (x0 + h, f(x0 + h)) for shrinking h, and the tangent."""
    xs = np.linspace(x0 - 1.5, x0 + 2.0, 300)
    fig, (ax, ax_s) = plt.subplots(1, 2, figsize=(11, 4))
    ax.plot(xs, [f(x) for x in xs], "k", lw=2, label="f")
    for h, slope, c in zip(hs, secant_slopes(f, x0, hs), plt.cm.Blues(np.linspace(0.4, 0.9, len(hs)))):
        ax.plot(xs, f(x0) + slope * (xs - x0), color=c, lw=1, label=f"secant, Δx = {h:g}: slope {slope:.3f}")
        ax.plot([x0 + h], [f(x0 + h)], "o", color=c)
    ax.plot(xs, f(x0) + df(x0) * (xs - x0), "--", color="C3", lw=2, label=f"tangent: f'(x0) = {df(x0):.3f}")
    ax.plot([x0], [f(x0)], "ko")
    ax.set(xlabel="x", ylabel="f(x)", title=f"secants through x0 = {x0} tend to the tangent",
           ylim=(min(f(x) for x in xs) - 0.5, max(f(x) for x in xs) + 0.5))
    ax.legend(frameon=False, fontsize=8)
    small = np.logspace(-12, 0, 61)
    fwd = np.abs(np.array(secant_slopes(f, x0, small)) - df(x0))
    ctr = np.abs(np.array([(f(x0 + h) - f(x0 - h)) / (2 * h) for h in small]) - df(x0))
    ax_s.loglog(small, np.maximum(fwd, 1e-17), "o-", ms=3, label="forward (f(x+h) - f(x)) / h")
    ax_s.loglog(small, np.maximum(ctr, 1e-17), "s-", ms=3, label="central (f(x+h) - f(x-h)) / 2h")
    ax_s.set(xlabel="h", ylabel="|error| of the slope", title="truncation error (right) vs round-off (left), float64")
    ax_s.legend(frameon=False, fontsize=9)
    ax_s.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def gradient_field(kappa: float = 3.0, n: int = 11):
    """Contours of the quadratic with its gradient (red) and negative gradient (blue) on a grid."""
    surf = quadratic_surface(kappa)
    fig, ax = plt.subplots(figsize=(5.6, 5.2))
    _contours(ax, surf)
    c = torch.linspace(-1.8, 1.8, n, dtype=torch.float64)
    gx, gy = torch.meshgrid(c, c, indexing="xy")
    pts = torch.stack([gx, gy], -1).reshape(-1, 2)                      # (n*n, 2)
    grads = torch.stack([surf.grad(p) for p in pts])                    # (n*n, 2)
    ax.quiver(pts[:, 0], pts[:, 1], grads[:, 0], grads[:, 1], color="C3", angles="xy", scale_units="xy",
              scale=28, width=0.004, label="∇f")
    ax.quiver(pts[:, 0], pts[:, 1], -grads[:, 0], -grads[:, 1], color="C0", angles="xy", scale_units="xy",
              scale=28, width=0.004, alpha=0.6, label="−∇f (descent)")
    ax.set_title(f"gradient field of (κx² + y²)/2, κ = {kappa:g} (arrows shortened):\nthey cross the contours at right angles",
                 fontsize=10)
    ax.legend(frameon=False, loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


def lr_regimes_title(paths: dict, name: str) -> str:
    """A title saying, from the runs themselves, for which labels |θ| shrank and for which it grew (or
    stopped being finite) between the first and the last row. paths: {label: (T, d) tensor}."""
    shrank, grew = [], []
    for label, path in paths.items():
        first, last = float(path[0].norm()), float(path[-1].norm())
        (shrank if math.isfinite(last) and last < first else grew).append(label)
    steps = max(len(p) for p in paths.values()) - 1
    parts = [f"|θ| shrank for {', '.join(shrank)}" if shrank else "",
             f"grew for {', '.join(grew)}" if grew else ""]
    return f"{name}, {steps} steps: " + "; ".join(p for p in parts if p)


@figure
def lr_regimes(paths: dict, surf: Surface):
    """One contour panel per learning rate with its descent path (top) and |theta_t| on a log
    scale for all of them (bottom). paths: {label: (T, 2) tensor}."""
    n = len(paths)
    fig = plt.figure(figsize=(3.0 * n, 6.8))
    grid = fig.add_gridspec(2, n, height_ratios=(1.1, 1))
    ax_n = fig.add_subplot(grid[1, :])
    colors = ("C2", "C0", "C1", "C3", "C4", "C5")
    for k, ((label, path), color) in enumerate(zip(paths.items(), colors)):
        ax = fig.add_subplot(grid[0, k])
        _contours(ax, surf, levels=12)
        _draw_path(ax, path, color=color)
        ax.set_title(label, fontsize=10, color=color)
        ax.set(xlabel="", ylabel="")
        ax_n.semilogy(path.norm(dim=1).numpy(), "o-", ms=3, color=color, label=label)
    ax_n.set(xlabel="step", ylabel="|θ_t| (distance to the minimum)", title=lr_regimes_title(paths, surf.name))
    ax_n.legend(frameon=False, fontsize=8)
    ax_n.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return fig


@figure
def gradient_noise(estimates: dict):
    """Left: minibatch gradient estimates (first two coordinates) around the full gradient. Right:
    their standard deviation against the batch size, with the 1/sqrt(B) law."""
    full = estimates["full"].numpy()
    sizes = [b for b in estimates if b != "full"]
    fig, (ax_s, ax_d) = plt.subplots(1, 2, figsize=(11, 4.2))
    for b, color in zip(sizes, plt.cm.viridis(np.linspace(0.1, 0.85, len(sizes)))):
        e = estimates[b].numpy()
        ax_s.scatter(e[:, 0], e[:, 1], s=8, color=color, alpha=0.5, label=f"B = {b}")
    ax_s.plot(full[0], full[1], "*", color="C3", ms=9, label="full gradient")
    ax_s.set(xlabel="∂L/∂w₁", ylabel="∂L/∂w₂", title="minibatch gradients scatter around the full one")
    ax_s.legend(frameon=False, fontsize=8)
    spread = [float(estimates[b].std(0).norm()) for b in sizes]
    ax_d.loglog(sizes, spread, "o-", label="measured spread")
    ax_d.loglog(sizes, spread[0] * np.sqrt(sizes[0] / np.array(sizes, dtype=float)), "k--", label="∝ 1/√B")
    ax_d.set(xlabel="batch size B", ylabel="std of the estimate", title="noise shrinks like 1/√B")
    ax_d.legend(frameon=False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- gradient checks and kinks

def relu_sum(x: torch.Tensor) -> torch.Tensor:
    """f(x) = sum relu(x): a kink at 0 in every coordinate. x: any shape -> 0-d."""
    return torch.clamp(x, min=0).sum()


def abs_sum(x: torch.Tensor) -> torch.Tensor:
    """f(x) = sum |x|: a kink at 0 in every coordinate. x: any shape -> 0-d."""
    return x.abs().sum()


KINK_VERDICT = "kink within h: the check is unreliable here"


def gradient_check(numerical_grad: Callable, relative_error: Callable, f: Callable[[torch.Tensor], torch.Tensor],
                   x: torch.Tensor, analytic: torch.Tensor | None = None, h: float = 1e-6,
                   kink_inputs: torch.Tensor | None = None) -> dict:
    """Compare a gradient (autograd's when ``analytic`` is None) with central differences at x.

    numerical_grad(f, x, h) -> (x's shape); relative_error(a, b) -> float. ``kink_inputs``: the values
    that f feeds to a kink at 0 (for relu_sum and abs_sum, x itself), if it has one. Returns {"numerical",
    "analytic", "rel_error", "verdict"}, the verdict by the usual float64 thresholds: < 1e-7 fine; above
    that, KINK_VERDICT when an input of a kink lies within h of it (the central difference straddles the
    kink, so a large error says nothing); else < 1e-2 suspicious (h too large or too small), else WRONG.
    """
    if analytic is None:
        leaf = x.detach().to(torch.float64).clone().requires_grad_(True)
        (analytic,) = torch.autograd.grad(f(leaf), leaf)
    numerical = numerical_grad(f, x, h)
    rel = relative_error(analytic, numerical)
    near_kink = kink_inputs is not None and bool(straddles_kink(kink_inputs, h).any())
    verdict = ("fine" if rel < 1e-7 else KINK_VERDICT if near_kink else "suspicious" if rel < 1e-2 else "WRONG")
    return {"numerical": numerical, "analytic": analytic, "rel_error": rel, "verdict": verdict}


def straddles_kink(x: torch.Tensor, h: float) -> torch.Tensor:
    """Which entries of x have the kink at 0 between x - h and x + h (the central difference straddles it)."""
    return (x - h < 0) & (x + h > 0)


# ---------------------------------------------------------------- the Fashion-MNIST runs

def smooth(values, window: int = 20) -> np.ndarray:
    """Running mean over ``window`` values (shorter at the start), same length as values."""
    v = np.asarray(values, dtype=float)
    c = np.cumsum(np.insert(v, 0, 0.0))                    # c[i] = sum of the first i values
    end = np.arange(1, len(v) + 1)
    k = np.minimum(end, window)
    return (c[end] - c[end - k]) / k


def best_run(runs: dict, key: str = "val_acc"):
    """The key of the run whose last ``key`` value is highest. runs: {label: {key: [per-epoch values]}}."""
    return max(runs, key=lambda label: runs[label][key][-1])


@figure
def batch_size_runs(runs: dict, n_train: int, lr: float):
    """Left: validation accuracy per epoch; right: training loss (smoothed) against the number of training
    examples seen, so that runs with different batch sizes share one axis. runs: {batch size: run dict with
    "val_acc" (per epoch) and "step_loss" (per step)}. The titles are computed from the runs."""
    fig, (ax_e, ax_x) = plt.subplots(1, 2, figsize=(11, 3.8))
    for b, r in runs.items():
        epochs = len(r["val_acc"])
        ax_e.plot(range(1, epochs + 1), r["val_acc"], "o-", label=f"B = {b} ({math.ceil(n_train / b)} steps/epoch)")
        seen = np.minimum(np.arange(1, len(r["step_loss"]) + 1) * b, epochs * n_train) / n_train
        ax_x.plot(seen, smooth(r["step_loss"], max(1, math.ceil(n_train / b) // 10)), lw=1.2, label=f"B = {b}")
    top = best_run(runs)
    ax_e.set(xlabel="epoch", ylabel="validation accuracy",
             title=f"best after {len(runs[top]['val_acc'])} epochs: B = {top} ({runs[top]['val_acc'][-1]:.3f})")
    final = {b: float(np.mean(r["step_loss"][-max(1, math.ceil(n_train / b) // 10):])) for b, r in runs.items()}
    low = min(final, key=final.get)
    ax_x.set(xlabel="examples seen (epochs)", ylabel="training loss (smoothed)", yscale="log",
             title=f"lr = {lr:g}: lowest final training loss at B = {low} ({final[low]:.3f})")
    for ax in (ax_e, ax_x):
        ax.legend(frameon=False, fontsize=9)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the widget

def _descent_tab():
    import ipywidgets as W

    from helpers.widgets import live_output
    lr = W.FloatLogSlider(value=0.15, base=10, min=-3, max=0.5, step=0.01, description="lr")
    kappa = W.FloatLogSlider(value=10.0, base=10, min=0, max=2, step=0.05, description="κ")
    x0 = W.FloatSlider(value=-1.8, min=-2, max=2, step=0.1, description="start x")
    y0 = W.FloatSlider(value=1.6, min=-2, max=2, step=0.1, description="start y")
    noise = W.FloatSlider(value=0.0, min=0, max=3, step=0.1, description="noise σ")
    steps = W.IntSlider(value=50, min=5, max=300, step=5, description="steps")
    surface = W.Dropdown(options=["quadratic", "rosenbrock"], value="quadratic", description="surface")
    out = live_output(lambda: draw_playground(playground_state(lr.value, kappa.value, (x0.value, y0.value),
                                                               noise.value, steps.value, surface.value)),
                      (lr, kappa, x0, y0, noise, steps, surface))
    note = W.HTML("On the quadratic, GD converges for lr &lt; 2/λ<sub>max</sub> = 2/max(κ, 1) and diverges above. "
                  "Large κ (a long narrow valley) forces a small lr, so progress along the flat direction is slow "
                  "and the path zig-zags. Noise σ imitates minibatch gradients: the path jitters around the minimum "
                  "instead of settling. On Rosenbrock try lr around 0.01.")
    return W.VBox([W.HBox([W.VBox([lr, kappa, steps, surface]), W.VBox([x0, y0, noise])]), note, out])


def _direction_tab():
    import ipywidgets as W

    from helpers.widgets import live_output
    theta = W.FloatSlider(value=30.0, min=-180, max=180, step=5, description="θ (deg)")
    px = W.FloatSlider(value=1.0, min=-2, max=2, step=0.1, description="point x")
    py = W.FloatSlider(value=1.0, min=-2, max=2, step=0.1, description="point y")
    kappa = W.FloatLogSlider(value=3.0, base=10, min=0, max=1.3, step=0.05, description="κ")
    out = live_output(lambda: draw_directional(directional_state((px.value, py.value), theta.value, kappa.value)),
                      (theta, px, py, kappa))
    note = W.HTML("∂f/∂l = ∇f · l = ‖∇f‖ cos θ: largest (‖∇f‖) along the gradient, 0 along the contour "
                  "(θ = ±90°), most negative against the gradient.")
    return W.VBox([W.HBox([W.VBox([theta, kappa]), W.VBox([px, py])]), note, out])


def playground():
    """Tab 1: gradient descent on a 2-D surface (lr, κ, start, noise, steps). Tab 2: the gradient and
    a unit direction at angle θ, with ∂f/∂l = ‖∇f‖ cos θ."""
    from helpers.widgets import tabs
    return tabs({"descent": _descent_tab(), "direction": _direction_tab()})
