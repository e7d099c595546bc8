"""Chapter 01's demos: the softmax-and-temperature explorer, the activation tangents and gallery,
XOR, the Bayes classifier on two Gaussian classes, and the validation history (the split itself is
``helpers.data.validation_split``).

The logic is plain functions (``softmax_state``, ``activation_state``, ``train_xor``,
``compare_classifiers``, ...), tested on their own; the figures draw nothing
while nbgrader grades.
"""
from __future__ import annotations

import math

import ipywidgets as W
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers import plots, training
from helpers.runtime import cpu_threads, seed_everything
from helpers.chapters.foundations import answers
from helpers.widgets import live_output, tabs


def softmax_state(logits, temperature: float, target: int) -> dict:
    """What the softmax explorer shows for these logits, temperature T > 0 and target class.

    Returns probs (K,), the loss -log p[target], the entropy H(p) in nats and its maximum log K.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = torch.as_tensor(logits, dtype=torch.float64)
    logp = answers.log_softmax(z / temperature)
    p = logp.exp()
    return {"probs": p, "loss": -logp[target].item(), "entropy": answers.entropy(p).item(),
            "max_entropy": math.log(len(p))}


def activation_state(x: float) -> dict:
    """Value and slope of sigmoid, tanh and ReLU at x."""
    s, t = 1 / (1 + math.exp(-x)), math.tanh(x)
    return {"sigmoid": (s, s * (1 - s)), "tanh": (t, 1 - t * t), "ReLU": (max(x, 0.0), float(x > 0))}


def _softmax_tab(labels, logits):
    sliders = [W.FloatSlider(value=v, min=-6, max=6, step=0.1, description=f"z[{name}]",
                             continuous_update=True) for v, name in zip(logits, labels)]
    temp = W.FloatLogSlider(value=1.0, base=10, min=-1.3, max=1.3, step=0.02, description="T")
    target = W.Dropdown(options=[(n, i) for i, n in enumerate(labels)],
                        value=0, description="true class")

    def draw():
        state = softmax_state([s.value for s in sliders], temp.value, target.value)
        fig, ax = plt.subplots(figsize=(6, 3))
        plots.probability_bars(state["probs"], labels, target.value, ax=ax,
                               title=f"T = {temp.value:.2f}   loss = {state['loss']:.3f} nats   "
                                     f"H(p) = {state['entropy']:.2f} of max {state['max_entropy']:.2f}")

    out = live_output(draw, (*sliders, temp, target))
    note = W.HTML("Low T sharpens the distribution towards the arg-max (one-hot as T &rarr; 0); "
                  "high T flattens it towards uniform. Adding the same number to every logit changes nothing.")
    return W.VBox([W.HBox([W.VBox(sliders), W.VBox([temp, target])]), note, out])


def _activation_tab():
    x = W.FloatSlider(value=0.5, min=-6, max=6, step=0.05, description="z")
    grid = torch.linspace(-6, 6, 241)
    funcs = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu}

    def draw():
        state = activation_state(x.value)
        fig, axes = plt.subplots(1, 3, figsize=(11, 3))
        for ax, (name, f) in zip(axes, funcs.items()):
            value, slope = state[name]
            ax.plot(grid, f(grid), lw=2)
            ax.plot(grid, value + slope * (grid - x.value), "--", color="C3", lw=1)  # tangent line
            ax.plot([x.value], [value], "o", color="C3")
            ax.set(title=f"{name}({x.value:.2f}) = {value:.3f}, slope {slope:.3f}", ylim=(-1.5, 3))
        fig.tight_layout()

    out = live_output(draw, (x,))
    return W.VBox([x, W.HTML("The dashed line is the tangent: its slope is the derivative that "
                             "backpropagation multiplies by. Far from 0, sigmoid and tanh are flat."), out])


def softmax_explorer(labels=("cat", "dog", "bird", "fish"), logits=(2.0, 1.0, 0.5, -1.0)):
    """Tab 1: four logit sliders, a temperature and the true class; bars of softmax(z / T) and the
    cross-entropy. Tab 2: sigmoid, tanh and ReLU with their tangent at a chosen z."""
    return tabs({"softmax": _softmax_tab(list(labels), list(logits)), "activations": _activation_tab()})


# ---------------------------------------------------------------- activations, XOR

def activation_curves(z: torch.Tensor, leaky_slope: float = 0.1, elu_alpha: float = 1.0) -> dict:
    """{name: (value, derivative)} on z for sigmoid, tanh, ReLU, Leaky ReLU and ELU."""
    s = torch.sigmoid(z)
    return {
        "sigmoid": (s, s * (1 - s)),
        "tanh": (torch.tanh(z), 1 - torch.tanh(z) ** 2),
        "ReLU": (torch.relu(z), (z > 0).to(z.dtype)),
        f"Leaky ReLU ({leaky_slope:g})": (torch.where(z > 0, z, leaky_slope * z),
                                           torch.where(z > 0, torch.ones_like(z), torch.full_like(z, leaky_slope))),
        f"ELU (alpha={elu_alpha:g})": (torch.where(z > 0, z, elu_alpha * torch.expm1(z)),
                                       torch.where(z > 0, torch.ones_like(z), elu_alpha * torch.exp(z))),
    }


@plots.figure
def activation_gallery(x_range: float = 4.0):
    """The five activations of the lesson (left) and their derivatives (right)."""
    z = torch.linspace(-x_range, x_range, 401)
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    for name, (f, d) in activation_curves(z).items():
        ax_f.plot(z, f, label=name, lw=2)
        ax_d.plot(z, d, label=f"{name}'", lw=2)
    ax_f.set(title="activation functions", xlabel="z", ylim=(-1.2, 3))
    ax_d.set(title="their derivatives", xlabel="z", ylim=(-0.1, 1.1))
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
    ax_f.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


XOR_X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = torch.tensor([0, 1, 1, 0])


def train_xor(epochs: int = 150, lr: float = 0.1, grid_points: int = 101) -> dict:
    """Train a linear model and a one-hidden-layer tanh net on XOR with the same settings (Adam,
    full batch). Returns {name: {"accuracy", "p1" (grid_points, grid_points) P(class 1) on the grid
    [-0.5, 1.5]^2, "p1_range" (min, max)}} and the grid under "_grid" as (xx, yy)."""
    nets = {"linear: z = Wx + b": lambda: nn.Linear(2, 2),
            "one hidden layer (8 tanh units)": lambda: nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))}
    axis = torch.linspace(-0.5, 1.5, grid_points)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    grid = torch.stack([xx, yy], dim=-1).reshape(-1, 2)
    out = {"_grid": (xx, yy)}
    for name, make in nets.items():
        seed_everything(1)
        net = make()
        with cpu_threads():                  # tiny matrices: one thread is many times faster than several
            training.fit(net, (XOR_X, XOR_Y), loss_fn=nn.functional.cross_entropy, epochs=epochs, lr=lr,
                         batch_size=4, optimizer="adam", progress=False)
        p1 = torch.softmax(training.predict(net, grid), dim=1)[:, 1].reshape(grid_points, grid_points)
        out[name] = {"accuracy": training.accuracy(net, XOR_X, XOR_Y), "p1": p1,
                     "p1_range": (float(p1.min()), float(p1.max()))}
    return out


@plots.figure
def plot_xor(results: dict, flat: float = 0.01):
    """One panel per model: P(class 1) as an image on a fixed 0..1 colour scale, so a constant shows as
    one uniform colour (with a note saying so); the 0.5 contour where the prediction changes, drawn
    only where P varies by more than ``flat``; and the four XOR points."""
    xx, yy = results["_grid"]
    models = {k: v for k, v in results.items() if not k.startswith("_")}
    fig, axes = plt.subplots(1, len(models), figsize=(11, 4.4), constrained_layout=True)
    for ax, (name, r) in zip(axes, models.items()):
        im = ax.pcolormesh(xx, yy, r["p1"], vmin=0, vmax=1, cmap="viridis", shading="auto")
        lo, hi = r["p1_range"]
        if hi - lo > flat:
            ax.contour(xx, yy, r["p1"], levels=[0.5], colors="w", linewidths=1.5)
        else:
            ax.text(0.5, 0.5, f"constant: P(class 1) = {lo:.3f}\neverywhere, no boundary", color="w",
                    ha="center", va="center", transform=ax.transAxes, fontsize=11)
        ax.scatter(XOR_X[:, 0], XOR_X[:, 1], c=XOR_Y, cmap="viridis", vmin=0, vmax=1, edgecolors="w", s=120)
        ax.set(title=f"{name}\naccuracy {r['accuracy']:.2f}, P(class 1) in [{lo:.3f}, {hi:.3f}]",
               xlabel="x1", ylabel="x2")
    fig.colorbar(im, ax=list(axes), label="P(class 1)")
    return fig


# ---------------------------------------------------------------- Bayes classifier on two Gaussian classes

def _normal_pdf(x: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def two_gaussians(n: int, mu=(-1.0, 1.0), sigma: float = 1.0, prior1: float = 0.3, seed: int = 0):
    """n samples (x (n,) float64, y (n,) int64) of y ~ Bernoulli(prior1), x | y ~ N(mu[y], sigma^2)."""
    g = torch.Generator().manual_seed(seed)
    y = (torch.rand(n, generator=g, dtype=torch.float64) < prior1).long()
    x = torch.tensor(mu, dtype=torch.float64)[y] + sigma * torch.randn(n, generator=g, dtype=torch.float64)
    return x, y


def posterior(x: torch.Tensor, mu=(-1.0, 1.0), sigma: float = 1.0, prior1: float = 0.3) -> torch.Tensor:
    """Bayes' rule: p(y=1 | x) = p(x | 1) p(1) / sum_k p(x | k) p(k), element-wise on x."""
    joint1 = _normal_pdf(x, mu[1], sigma) * prior1
    joint0 = _normal_pdf(x, mu[0], sigma) * (1 - prior1)
    return joint1 / (joint0 + joint1)


def bayes_error(mu=(-1.0, 1.0), sigma: float = 1.0, prior1: float = 0.3, n_grid: int = 200_001) -> float:
    """E_x[1 - max_y p(y | x)] = integral of min_y p(x, y) dx, by the trapezoid rule on a wide grid."""
    x = torch.linspace(min(mu) - 10 * sigma, max(mu) + 10 * sigma, n_grid, dtype=torch.float64)
    joint = torch.minimum(_normal_pdf(x, mu[0], sigma) * (1 - prior1), _normal_pdf(x, mu[1], sigma) * prior1)
    return float(torch.trapezoid(joint, x))


def compare_classifiers(n_train: int = 200, n_test: int = 20_000, seed: int = 0, **params) -> dict:
    """Test error rates of three classifiers on the same two-Gaussian problem, and the Bayes error:
    "Bayes" (argmax of the true p(y|x)); "generative (fitted)" (class means, shared sigma and prior
    estimated from the training set, then Bayes' rule: 1-D LDA, 4 numbers); "1-nearest neighbour"
    (stores all n_train points). Also returns the numbers each model keeps."""
    x_tr, y_tr = two_gaussians(n_train, seed=seed, **params)
    x_te, y_te = two_gaussians(n_test, seed=seed + 1, **params)
    mu_hat = (float(x_tr[y_tr == 0].mean()), float(x_tr[y_tr == 1].mean()))
    resid = x_tr - torch.tensor(mu_hat, dtype=torch.float64)[y_tr]
    sigma_hat, prior_hat = float(resid.pow(2).mean().sqrt()), float(y_tr.double().mean())
    nearest = (x_te[:, None] - x_tr[None, :]).abs().argmin(dim=1)
    preds = {"Bayes (true p(y|x))": posterior(x_te, **params) > 0.5,
             "generative (fitted, 1-D LDA)": posterior(x_te, mu_hat, sigma_hat, prior_hat) > 0.5,
             "1-nearest neighbour": y_tr[nearest] == 1}
    return {"error": {k: float((p.long() != y_te).double().mean()) for k, p in preds.items()},
            "bayes_error": bayes_error(**params),
            "stored_numbers": {"Bayes (true p(y|x))": 4, "generative (fitted, 1-D LDA)": 4,
                               "1-nearest neighbour": 2 * n_train}}


@plots.figure
def plot_bayes(mu=(-1.0, 1.0), sigma: float = 1.0, prior1: float = 0.3):
    """Left: the joint densities p(x, y) and the shaded Bayes error. Right: p(y=1 | x) with the 1/2 line."""
    x = torch.linspace(-5, 5, 801, dtype=torch.float64)
    j0 = _normal_pdf(x, mu[0], sigma) * (1 - prior1)
    j1 = _normal_pdf(x, mu[1], sigma) * prior1
    fig, (ax_j, ax_p) = plt.subplots(1, 2, figsize=(10, 3.4))
    ax_j.plot(x, j0, label="p(x, y=0)")
    ax_j.plot(x, j1, label="p(x, y=1)")
    ax_j.fill_between(x, torch.minimum(j0, j1), color="0.6", alpha=0.5,
                      label=f"Bayes error = {bayes_error(mu, sigma, prior1):.4f}")
    ax_j.set(xlabel="x", title="joint densities; the shaded area is the unavoidable error")
    ax_j.legend(frameon=False, fontsize=8)
    ax_p.plot(x, posterior(x, mu, sigma, prior1), color="C1")
    ax_p.axhline(0.5, color="0.6", ls="--")
    ax_p.set(xlabel="x", ylabel="p(y=1 | x)", title="posterior by Bayes' rule; predict 1 above 1/2")
    fig.tight_layout()
    return fig
