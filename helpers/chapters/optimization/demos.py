"""Chapter 05's figures and widgets (optimization and loss landscapes).

The logic is plain functions the tests call: 2-D test surfaces, optimizer trajectories on them,
a network's loss along a random direction, and the training run of the real-data section. The
widgets only wire controls to them (helpers.widgets.live_output).

Optimizer steps have the chapter's functional form ``step(theta, g, state, lr, **hyper) -> theta``
(see helpers.chapters.optimization.answers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import matplotlib.pyplot as plt
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.optimization import answers
from helpers.plots import figure
from helpers.runtime import grading_mode
from helpers.training import batches


def _ref(fn):
    """A reference answer without its guard (the demos run outside graded code)."""
    return getattr(fn, "__wrapped__", fn)


# ---------------------------------------------------------------- 2-D surfaces

@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: f maps (..., 2) points to (...) values; start and box for the plots."""
    name: str
    f: Callable[[torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    box: tuple[float, float, float, float]          # x_min, x_max, y_min, y_max
    minimum: tuple[float, float] | None = None


def _ill_conditioned(p):
    return 0.5 * (p[..., 0] ** 2 + 25 * p[..., 1] ** 2)         # Hessian diag(1, 25): condition number 25


def _saddle(p):
    return 0.5 * (p[..., 0] ** 2 - p[..., 1] ** 2) + 0.25 * p[..., 1] ** 4   # saddle at 0, minima at y = +-1


def _rosenbrock(p):
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


SURFACES = {
    "ill-conditioned quadratic": Surface("ill-conditioned quadratic", _ill_conditioned, (-4.5, 1.0),
                                         (-5, 5, -2, 2), (0.0, 0.0)),
    "saddle": Surface("saddle", _saddle, (-2.0, 1e-3), (-2.5, 2.5, -1.8, 1.8), (0.0, 1.0)),
    "Rosenbrock": Surface("Rosenbrock", _rosenbrock, (-1.5, 2.0), (-2, 2, -1, 3), (1.0, 1.0)),
}


def surface_grad(surface: Surface, p: torch.Tensor) -> torch.Tensor:
    """The gradient of surface.f at one point p (2,), by autograd, in p's dtype."""
    with torch.enable_grad():
        leaf = p.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(surface.f(leaf), leaf)
    return g


def run_optimizer(step: Callable, surface: Surface, steps: int, lr: float, start=None, **hyper) -> torch.Tensor:
    """The points an optimizer step visits on a surface, the start included: (steps + 1, 2) float64.
    Stops early (repeating the last finite point) once a step leaves the finite numbers."""
    theta = torch.tensor(start if start is not None else surface.start, dtype=torch.float64)
    state: dict = {}
    path = [theta]
    for _ in range(steps):
        new = step(theta, surface_grad(surface, theta), state, lr, **hyper)
        if not bool(torch.isfinite(new).all()) or float(new.abs().max()) > 1e6:
            break
        theta = new
        path.append(theta)
    path += [path[-1]] * (steps + 1 - len(path))
    return torch.stack(path)


def race(surface: Surface, optimizers: dict[str, tuple[Callable, dict]], steps: int) -> dict[str, torch.Tensor]:
    """{name: path (steps + 1, 2)} for each name -> (step function, keyword arguments incl. lr)."""
    return {name: run_optimizer(step, surface, steps, **kw) for name, (step, kw) in optimizers.items()}


def default_racers(lr: float, beta: float, steps: dict[str, Callable] | None = None,
                   adaptive_lr: float = 0.05) -> dict[str, tuple[Callable, dict]]:
    """The race's contestants: gradient descent and momentum at ``lr`` (momentum ``beta``), RMSProp and
    Adam at ``adaptive_lr`` (their steps are about lr in size whatever the gradient's scale, so they
    get a rate of their own; RMSProp's only once its average has warmed up, after about 1 / (1 - alpha)
    steps: s_0 = 0 is not corrected, so its first step is lr / sqrt(1 - alpha), 10 lr for alpha = 0.99). ``steps`` maps "momentum", "rmsprop", "adam" to step functions (the
    student's); the course's references stand in for missing ones."""
    steps = steps or {}
    sgd = lambda theta, g, state, lr: theta - lr * g                 # noqa: E731 (plain gradient descent)
    return {"gradient descent": (sgd, {"lr": lr}),
            "momentum": (steps.get("momentum", _ref(answers.momentum_step)), {"lr": lr, "beta": beta}),
            "RMSProp": (steps.get("rmsprop", _ref(answers.rmsprop_step)), {"lr": adaptive_lr, "alpha": 0.9}),
            "Adam": (steps.get("adam", _ref(answers.adam_step)), {"lr": adaptive_lr, "betas": (beta, 0.999)})}


@figure
def race_figure(surface: Surface, paths: dict[str, torch.Tensor], title: str = ""):
    """Contours of the surface with each optimizer's path, and the loss along each path (log scale)."""
    x0, x1, y0, y1 = surface.box
    xs, ys = torch.linspace(x0, x1, 200, dtype=torch.float64), torch.linspace(y0, y1, 200, dtype=torch.float64)
    XX, YY = torch.meshgrid(xs, ys, indexing="xy")                              # (200, 200) each
    Z = surface.f(torch.stack([XX, YY], dim=-1))                                # (200, 200)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    levels = torch.quantile(Z.flatten(), torch.linspace(0.002, 0.95, 25, dtype=torch.float64)).unique()
    ax1.contour(XX, YY, Z, levels=levels.numpy(), cmap="Greys", linewidths=0.6)
    f_min = float(surface.f(torch.tensor(surface.minimum, dtype=torch.float64))) if surface.minimum else float(Z.min())
    for i, (name, path) in enumerate(paths.items()):
        ax1.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1, color=f"C{i}", label=name)
        ax2.plot((surface.f(path) - f_min).clamp_min(1e-16), color=f"C{i}", label=name)
    if surface.minimum is not None:
        ax1.plot(*surface.minimum, "k*", ms=10)
    ax1.plot(*paths[next(iter(paths))][0].tolist(), "ko", ms=5)
    ax1.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$\\theta_1$", ylabel="$\\theta_2$", title=title or surface.name)
    ax1.legend(frameon=False, fontsize=8)
    ax2.set(yscale="log", xlabel="step", ylabel="f - f(minimum)", title="loss along each path (floor 1e-16)")
    fig.tight_layout()
    return fig


def race_widget(step_fns: dict[str, Callable] | None = None, steps: int = 150):
    """The optimizer race: a surface, the learning rate and beta, the paths redrawn as they move.
    step_fns: as default_racers' ``steps``."""
    import ipywidgets as W

    from helpers.widgets import live_output

    surface = W.Dropdown(options=list(SURFACES), value="ill-conditioned quadratic", description="surface")
    lr = W.FloatLogSlider(value=0.03, base=10, min=-4, max=-0.5, step=0.1, description="lr (GD, mom.)",
                          readout_format=".4f")
    beta = W.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="beta / beta1")

    def draw():
        if grading_mode():
            return                                   # no figure while nbgrader grades: skip the race too
        s = SURFACES[surface.value]
        paths = race(s, default_racers(lr.value, beta.value, step_fns), steps)
        race_figure(s, paths, title=f"{s.name}: {steps} steps, lr {lr.value:.3g}, beta {beta.value:.2f}")

    return W.VBox([W.HBox([surface, lr, beta]), live_output(draw, (surface, lr, beta))])


# ---------------------------------------------------------------- Hessians and critical points

def critical_points_by_newton(grad: Callable, hess: Callable, starts: torch.Tensor, steps: int = 50,
                              tol: float = 1e-10) -> torch.Tensor:
    """Points where grad vanishes, found by Newton's method x <- x - H^-1 grad from each start
    (rows of ``starts`` (M, n)); unconverged runs are dropped and duplicates merged. -> (K, n)."""
    found: list[torch.Tensor] = []
    for x in starts:
        for _ in range(steps):
            x = x - torch.linalg.solve(hess(x), grad(x))
        if float(grad(x).norm()) < tol and bool(torch.isfinite(x).all()):
            if not any(float((x - y).norm()) < 1e-6 for y in found):
                found.append(x)
    return torch.stack(found) if found else starts.new_zeros(0, starts.shape[1])


def random_symmetric(n: int, trials: int, generator: torch.Generator) -> torch.Tensor:
    """(trials, n, n) symmetric matrices (G + G^T) / 2 with G standard normal, float64."""
    G = torch.randn(trials, n, n, dtype=torch.float64, generator=generator)
    return (G + G.transpose(1, 2)) / 2


def fraction_definite(n: int, trials: int = 2000, seed: int = 0) -> float:
    """The fraction of random symmetric Gaussian n x n matrices whose eigenvalues all share one sign:
    how often a 'random critical point' would be a minimum or a maximum rather than a saddle."""
    lam = torch.linalg.eigvalsh(random_symmetric(n, trials, torch.Generator().manual_seed(seed)))   # (trials, n)
    return float(((lam > 0).all(dim=1) | (lam < 0).all(dim=1)).double().mean())


# ---------------------------------------------------------------- the MLP of the real run

def make_mlp(d_in: int = 784, d_hidden: int = 256, d_out: int = 10, seed: int = 0, device=None) -> nn.Module:
    """784-256-256-10 ReLU MLP with PyTorch's default initialisation, seeded."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_hidden), nn.ReLU(),
                          nn.Linear(d_hidden, d_out))
    return model.to(device) if device is not None else model


@dataclass
class Run:
    """What one training run records: the per-step training loss and learning rate."""
    name: str
    step_loss: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)

    def final_loss(self, last: int = 100) -> float:
        """The mean training loss of the last ``last`` steps (one minibatch is noisy)."""
        tail = self.step_loss[-last:]
        return sum(tail) / len(tail)


def train(model: nn.Module, X: torch.Tensor, y: torch.Tensor, step: Callable, *, steps: int, lr,
          batch_size: int = 128, seed: int = 0, desc: str = "", progress: bool = True, **hyper) -> Run:
    """Minibatch training of ``model`` with a functional optimizer step applied to every parameter.

    X: (N, D); y: (N,). ``lr`` is a number or a schedule: a function of the step index (0-based).
    Each parameter keeps its own state dict, as torch.optim keeps optimizer.state[p].
    """
    params = [p for p in model.parameters() if p.requires_grad]
    states: list[dict] = [{} for _ in params]
    schedule = lr if callable(lr) else (lambda t: lr)
    gen = torch.Generator().manual_seed(seed)
    run = Run(desc)
    loss_fn = nn.CrossEntropyLoss()
    bar = tqdm(total=steps, desc=desc, disable=not progress, leave=True)
    model.train()
    while len(run.step_loss) < steps:
        for xb, yb in batches(X, y, batch_size, gen):
            if len(run.step_loss) == steps:
                break
            loss = loss_fn(model(xb), yb)
            if not torch.isfinite(loss):
                bar.close()
                raise FloatingPointError(f"{desc}: the loss became {loss.item()} at step {len(run.step_loss)}; "
                                         "the learning rate is too large or the step is wrong.")
            for p in params:
                p.grad = None
            loss.backward()
            rate = float(schedule(len(run.step_loss)))
            with torch.no_grad():
                for p, state in zip(params, states):
                    p.copy_(step(p.detach(), p.grad, state, rate, **hyper))
            run.step_loss.append(loss.item())
            run.lrs.append(rate)
            bar.update(1)
            if len(run.step_loss) % 100 == 0:
                bar.set_postfix(loss=f"{run.final_loss():.3f}")
    bar.close()
    return run


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of model on (X (N, D), y (N,)), in eval mode."""
    model.eval()
    logits = model(X)
    model.train()
    return float(nn.functional.cross_entropy(logits, y)), float((logits.argmax(1) == y).double().mean())


def smooth(values: list[float], width: int = 50) -> torch.Tensor:
    """Running mean over ``width`` consecutive values: (len - width + 1,)."""
    t = torch.tensor(values, dtype=torch.float64)
    width = max(1, min(width, len(t)))
    return t.unfold(0, width, 1).mean(dim=1)


@figure
def loss_curves(runs: dict[str, Run], width: int = 50):
    """Training loss (running mean of ``width`` steps) of each run, and each run's learning rate."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [2, 1]})
    for i, (name, run) in enumerate(runs.items()):
        s = smooth(run.step_loss, width)
        ax1.plot(torch.arange(len(s)) + width, s, color=f"C{i}", label=f"{name} (last 100: {run.final_loss():.3f})")
        ax2.plot(run.lrs, color=f"C{i}", label=name)
    ax1.set(xlabel="step", ylabel="training cross-entropy (running mean)", yscale="log",
            title="the same MLP, four optimizers")
    ax1.legend(frameon=False, fontsize=8)
    ax2.set(xlabel="step", ylabel="learning rate", yscale="log", title="learning rate per step")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- a slice of a real loss landscape

def random_direction(model: nn.Module, seed: int = 0) -> list[torch.Tensor]:
    """One Gaussian direction per parameter, each rescaled to that parameter's norm ("filter
    normalisation" per tensor, Li et al. 2018), so that a step of 1 is as large as the weights."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for p in model.parameters():
        d = torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device)
        out.append(d * (p.detach().norm() / d.norm().clamp_min(1e-12)))
    return out


@torch.no_grad()
def loss_slice(model: nn.Module, X: torch.Tensor, y: torch.Tensor, direction: list[torch.Tensor],
               alphas: torch.Tensor) -> torch.Tensor:
    """L(theta + alpha d) for each alpha (M,), the model's weights restored afterwards. -> (M,)."""
    params = list(model.parameters())
    saved = [p.detach().clone() for p in params]
    out = []
    try:
        for a in alphas.tolist():
            for p, p0, d in zip(params, saved, direction):
                p.copy_(p0 + a * d)
            out.append(evaluate(model, X, y)[0])
    finally:
        for p, p0 in zip(params, saved):
            p.copy_(p0)
    return torch.tensor(out, dtype=torch.float64)


@figure
def slice_figure(alphas: torch.Tensor, slices: dict[str, torch.Tensor], alpha: float | None = None):
    """The loss along a random direction through each network's weights (alpha = 0: the weights)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for i, (name, values) in enumerate(slices.items()):
        ax.plot(alphas, values, color=f"C{i}", label=name)
        if alpha is not None:
            j = int((alphas - alpha).abs().argmin())
            ax.plot([float(alphas[j])], [float(values[j])], "o", color=f"C{i}")
    ax.axvline(0, color="k", lw=0.6, ls=":")
    ax.set(xlabel="alpha (step along the direction, in units of the weights' norm)", yscale="log",
           ylabel="training cross-entropy", title="a 1-D slice of the loss: L(theta + alpha d)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def slice_widget(alphas: torch.Tensor, slices_by_seed: dict[int, dict[str, torch.Tensor]]):
    """Sliders for the direction (its seed) and a point alpha on the slice."""
    import ipywidgets as W

    from helpers.widgets import live_output

    seed = W.Dropdown(options=list(slices_by_seed), value=next(iter(slices_by_seed)), description="direction")
    alpha = W.FloatSlider(value=0.0, min=float(alphas[0]), max=float(alphas[-1]), step=0.05, description="alpha")
    return W.VBox([W.HBox([seed, alpha]),
                   live_output(lambda: slice_figure(alphas, slices_by_seed[seed.value], alpha.value), (seed, alpha))])


# ---------------------------------------------------------------- schedules

@figure
def schedule_figure(schedules: dict[str, list[float]]):
    """Learning rate per step for each named schedule."""
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for name, values in schedules.items():
        ax.plot(values, label=name)
    ax.set(xlabel="step", ylabel="learning rate", title="learning-rate schedules")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def step_decay(step: int, lr0: float, gamma: float = 0.1, every: int = 30) -> float:
    """lr0 gamma^floor(step / every): torch.optim.lr_scheduler.StepLR."""
    return lr0 * gamma ** (step // every)


def linear_decay(epoch: int, lr0: float = 0.2, epochs: int = 100) -> float:
    """lr0 (epochs - epoch) / epochs: 0.2 at epoch 0, 0.002 at epoch 99 for the defaults."""
    return lr0 * (epochs - epoch) / epochs


def momentum_terminal_step(lr: float, beta: float) -> float:
    """The step a momentum optimizer settles to under a constant unit gradient: lr / (1 - beta)."""
    return lr / (1 - beta)


def sgd_noise(grad_fn: Callable[[torch.Tensor], torch.Tensor], n: int, batch_sizes, draws: int = 200,
              seed: int = 0) -> dict[int, float]:
    """For each batch size B: the mean squared distance between a minibatch gradient and the full
    gradient, over ``draws`` random minibatches. grad_fn(idx (B,)) -> gradient. Falls like 1/B
    (a little faster without replacement)."""
    gen = torch.Generator().manual_seed(seed)
    full = grad_fn(torch.arange(n))
    out = {}
    for B in batch_sizes:
        errs = [float(((grad_fn(torch.randperm(n, generator=gen)[:B]) - full) ** 2).sum()) for _ in range(draws)]
        out[B] = sum(errs) / draws
    return out


# ---------------------------------------------------------------- convexity and critical points, drawn

@figure
def convexity_figure():
    """Three convex functions with a chord each: one minimiser, a whole interval of them, none."""
    x = torch.linspace(-3, 3, 301, dtype=torch.float64)
    cases = [("x^2: strictly convex, one minimiser", lambda t: t ** 2, (-2.0, 1.0)),
             ("max(|x| - 1, 0): convex, minimisers [-1, 1]", lambda t: (t.abs() - 1).clamp(min=0), (-2.5, 0.5)),
             ("exp(x): convex, no minimiser", torch.exp, (-2.0, 1.5))]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    for ax, (title, f, (a, b)) in zip(axes, cases):
        ax.plot(x, f(x), lw=2)
        fa, fb = f(torch.tensor(a)), f(torch.tensor(b))
        ax.plot([a, b], [float(fa), float(fb)], "o--", color="C3", label="chord: on or above the graph")
        ax.set(title=title, xlabel="x")
        ax.legend(frameon=False, fontsize=8, loc="upper center")
    fig.tight_layout()
    return fig


@figure
def critical_points_figure(f: Callable, points: torch.Tensor, labels: list[str], box=(-2, 2, -2, 2), title: str = ""):
    """Contours of a 2-D f (maps (..., 2) to (...)) with each critical point marked by its class."""
    x0, x1, y0, y1 = box
    xs, ys = torch.linspace(x0, x1, 200, dtype=torch.float64), torch.linspace(y0, y1, 200, dtype=torch.float64)
    XX, YY = torch.meshgrid(xs, ys, indexing="xy")
    Z = f(torch.stack([XX, YY], dim=-1))
    fig, ax = plt.subplots(figsize=(5.5, 4.6))
    cs = ax.contourf(XX, YY, Z, levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="f")
    style = {"min": ("o", "white"), "max": ("^", "red"), "saddle": ("X", "orange"), "degenerate": ("s", "grey")}
    for p, lab in zip(points, labels):
        marker, color = style.get(lab, ("d", "black"))
        ax.plot(float(p[0]), float(p[1]), marker, color=color, ms=10, mec="k")
        ax.annotate(lab, (float(p[0]), float(p[1])), textcoords="offset points", xytext=(6, 6), color="white")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title, xlim=(x0, x1), ylim=(y0, y1))
    fig.tight_layout()
    return fig
