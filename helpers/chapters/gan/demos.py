"""Chapter 11's figures and widgets. The logic is plain functions the tests call; the
widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.gan import answers
from helpers.plots import figure

# ---------------------------------------------------------------- 1-D theory playground

DATA_MODES = ((-2.0, 0.5, 0.5), (2.0, 0.5, 0.5))     # (mean, std, weight) of p_data, a two-Gaussian mixture
GRID = torch.linspace(-8, 8, 801, dtype=torch.float64)


def normal_pdf(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def p_data(x: torch.Tensor = GRID) -> torch.Tensor:
    """The data density on x (M,) -> (M,)."""
    return sum(w * normal_pdf(x, m, s) for m, s, w in DATA_MODES)


def on_grid(density: torch.Tensor) -> torch.Tensor:
    """A density on GRID as probabilities of the grid cells (sums to 1): the discrete version the
    exercises' functions take."""
    mass = density * (GRID[1] - GRID[0])
    return mass / mass.sum()


def divergences(mean: float, std: float, optimal_d=None) -> dict:
    """JS divergence (nats), Wasserstein-1 and V(D*, G) between p_data and the generator N(mean, std),
    both discretised on GRID. V is computed from D* (``optimal_d``: yours or the reference)."""
    optimal_d = optimal_d or answers.optimal_discriminator.__wrapped__
    p, q = on_grid(p_data()), on_grid(normal_pdf(GRID, mean, std))
    d = optimal_d(p, q)
    v = (torch.where(p > 0, p * d.clamp_min(1e-300).log(), torch.zeros_like(p)).sum()
         + torch.where(q > 0, q * (1 - d).clamp_min(1e-300).log(), torch.zeros_like(q)).sum())
    w1 = ((p.cumsum(0) - q.cumsum(0)).abs().sum() * (GRID[1] - GRID[0]))    # 1-D: the area between the CDFs
    return {"js": float(answers.js_divergence.__wrapped__(p, q)), "w1": float(w1), "v": float(v), "d_star": d}


def js_and_w1_curves(std: float, means: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """JS divergence and W1 as functions of the generator's mean, (M,) each."""
    rows = [divergences(float(m), std) for m in means]
    return torch.tensor([r["js"] for r in rows]), torch.tensor([r["w1"] for r in rows])


@figure
def playground(mean: float, std: float, optimal_d=None):
    """Left: p_data, p_G and D*(x). Right: JS and W1 against the generator's mean, the current one marked."""
    div = divergences(mean, std, optimal_d)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.4))
    a.plot(GRID, p_data(), label="$p_{data}$", lw=2)
    a.plot(GRID, normal_pdf(GRID, mean, std), label="$p_G$", lw=2)
    a2 = a.twinx()
    a2.plot(GRID, div["d_star"], "k--", lw=1, label="$D^*(x)$")
    a2.set_ylim(-0.05, 1.05)
    a2.set_ylabel("$D^*(x)$")
    a.set(xlabel="x", ylabel="density", title=f"V(D*, G) = {div['v']:.3f} = 2 JS - log 4")
    a.legend(loc="upper left")
    a2.legend(loc="upper right")
    means = torch.linspace(-7, 7, 57)
    js, w1 = js_and_w1_curves(std, means)
    b.plot(means, js, label="JS (nats)", lw=2)
    b.axhline(math.log(2), color="C0", ls=":", lw=1)
    b.plot(means, w1 / w1.max() * math.log(2), label="$W_1$ (scaled)", lw=2)
    b.axvline(mean, color="k", lw=0.8)
    b.set(xlabel="generator mean", title=f"JS = {div['js']:.3f} (max log 2 = 0.693), W1 = {div['w1']:.2f}")
    b.legend()
    fig.tight_layout()
    return fig


def playground_widget(optimal_d=None):
    """Sliders for the generator's mean and spread; the densities, D* and the divergences redrawn."""
    import ipywidgets as W

    from helpers.widgets import live_output

    mean = W.FloatSlider(value=5.0, min=-7.0, max=7.0, step=0.25, description="G mean")
    std = W.FloatSlider(value=0.5, min=0.2, max=3.0, step=0.1, description="G std")
    return W.VBox([W.HBox([mean, std]), live_output(lambda: playground(mean.value, std.value, optimal_d), (mean, std))])


@figure
def saturation_figure(grads=None):
    """The two generator losses and their derivatives against D(G(z)) (log axis)."""
    grads = grads or answers.generator_logit_grads.__wrapped__
    logits = torch.linspace(-9, 6, 300, dtype=torch.float64)
    d = torch.sigmoid(logits)
    sat, nonsat = grads(logits)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
    a.plot(d, torch.log1p(-d), label="saturating: log(1 - D)")
    a.plot(d, -torch.log(d), label="non-saturating: -log D")
    a.set(xscale="log", xlabel="D(G(z))", ylabel="generator loss", title="the two generator losses")
    a.legend()
    b.plot(d, sat.abs(), label="|d/dl| saturating")
    b.plot(d, nonsat.abs(), label="|d/dl| non-saturating")
    b.set(xscale="log", yscale="log", xlabel="D(G(z))", title="gradient reaching the generator, per sample")
    b.legend()
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the 2-D ring of Gaussians

RING_K, RING_RADIUS, RING_SIGMA = 8, 2.0, 0.05


def ring_centres(k: int = RING_K, radius: float = RING_RADIUS) -> torch.Tensor:
    """(k, 2) centres evenly spaced on a circle."""
    angles = torch.arange(k) * 2 * math.pi / k
    return radius * torch.stack([angles.cos(), angles.sin()], 1)


def sample_ring(n: int, generator: torch.Generator, sigma: float = RING_SIGMA) -> torch.Tensor:
    """n points (n, 2) from the mixture of RING_K Gaussians (std sigma) on the ring."""
    centres = ring_centres()
    idx = torch.randint(0, len(centres), (n,), generator=generator)
    return centres[idx] + sigma * torch.randn(n, 2, generator=generator)


def toy_nets(hidden: int = 64, z_dim: int = 4) -> tuple[nn.Module, nn.Module]:
    """(generator (N, z_dim) -> (N, 2), discriminator/critic (N, 2) -> (N,) with a linear last layer)."""
    gen = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    disc = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1),
                         nn.Flatten(0))
    return gen, disc


def train_toy(kind: str, steps: int, *, seed: int = 0, batch_size: int = 256, snapshot_every: int = 100,
              gradient_penalty=None, n_critic: int = 5, lam: float = 10.0, progress: bool = True,
              lr: float = 1e-3, betas: tuple[float, float] | None = None) -> dict:
    """Train a GAN ('gan': non-saturating losses) or a WGAN-GP ('wgan-gp': n_critic critic steps with
    the gradient penalty per generator step) on the ring. Adam's betas default to (0.5, 0.999) for the
    GAN and to (0.0, 0.9) for the WGAN-GP, as in the WGAN-GP paper. Returns {step: (1000, 2) samples}
    from a fixed noise batch. ``gradient_penalty``: yours or the reference."""
    gp = gradient_penalty or answers.gradient_penalty.__wrapped__
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    gen, disc = toy_nets()
    betas = betas or ((0.5, 0.999) if kind == "gan" else (0.0, 0.9))
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas)
    z_fixed = torch.randn(1000, 4, generator=g)
    snaps = {}
    for step in tqdm(range(steps + 1), desc=kind, disable=not progress):
        if step % snapshot_every == 0:
            with torch.no_grad():
                snaps[step] = gen(z_fixed)
        if step == steps:
            break
        for _ in range(1 if kind == "gan" else n_critic):       # phi: the discriminator / critic
            real = sample_ring(batch_size, g)
            fake = gen(torch.randn(batch_size, 4, generator=g)).detach()
            if kind == "gan":
                loss_d = answers.d_loss.__wrapped__(disc(real), disc(fake))
            else:
                eps = torch.rand(batch_size, generator=g)
                loss_d = disc(fake).mean() - disc(real).mean() + gp(disc, real, fake, eps, lam)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        out = disc(gen(torch.randn(batch_size, 4, generator=g)))   # theta: the generator, through D
        loss_g = answers.g_loss.__wrapped__(out) if kind == "gan" else -out.mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return snaps


RING_RUN_FILE = "ring_wgan_gp.pt"                    # data/gan/: a longer WGAN-GP run on the ring
RING_RUN = dict(steps=3000, batch_size=64, lr=1e-3, snapshot_every=300)   # what made it (seed 0)


def save_ring_run(path, **kw) -> dict:
    """Train the WGAN-GP on the ring with RING_RUN (reference penalty) and save {step: (1000, 2)
    samples} to ``path``; returns the snapshots."""
    snaps = train_toy("wgan-gp", **{**RING_RUN, **kw})
    torch.save({int(k): v.detach().clone() for k, v in snaps.items()}, path)
    return snaps


def load_ring_run() -> dict:
    """The saved WGAN-GP run on the ring, {step: (1000, 2) samples} (data/gan/ring_wgan_gp.pt)."""
    from helpers.chapters.gan.models import checkpoint_dir
    return torch.load(checkpoint_dir() / RING_RUN_FILE, map_location="cpu", weights_only=True)


def coverage(samples: torch.Tensor) -> int:
    """Modes of the ring holding at least 2 % of the samples within 3 sigma of their centre."""
    return answers.modes_covered.__wrapped__(samples, ring_centres(), RING_SIGMA)


@figure
def ring_figure(runs: dict, k: int):
    """One scatter per run (name -> {step: samples}) at its k-th snapshot, the ring's centres marked,
    the modes covered in the title."""
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4), squeeze=False)
    centres = ring_centres()
    for ax, (name, snaps) in zip(axes[0], runs.items()):
        at = sorted(snaps)[min(k, len(snaps) - 1)]
        pts = snaps[at]
        ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.5)
        ax.scatter(centres[:, 0], centres[:, 1], marker="x", color="C3")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal",
               title=f"{name}, step {at}: {coverage(pts)} of {RING_K} modes")
    fig.tight_layout()
    return fig


def ring_widget(runs: dict):
    """A slider through the saved snapshots of the runs (the k-th snapshot of each run)."""
    import ipywidgets as W

    from helpers.widgets import live_output

    n = min(len(s) for s in runs.values())
    k = W.IntSlider(value=n - 1, min=0, max=n - 1, description="snapshot")
    return W.VBox([k, live_output(lambda: ring_figure(runs, k.value), (k,))])


# ---------------------------------------------------------------- Lipschitz constants

def relu_mlp(d_in: int = 10, hidden: int = 32, seed: int = 0, gain: float = 3.0) -> nn.Sequential:
    """A random ReLU MLP d_in -> hidden -> hidden -> 1, its weights scaled by ``gain`` (so that its
    Lipschitz constant is well above 1 before normalization)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    with torch.no_grad():
        for layer in net[::2]:
            layer.weight.mul_(gain)
    return net


@torch.no_grad()
def normalise_spectrally(model: nn.Sequential, spectral_norm) -> list[float]:
    """Divide each Linear layer's weight by its spectral norm (``spectral_norm``: yours or the reference)
    in place; returns the norms found."""
    found = []
    for layer in model:
        if isinstance(layer, nn.Linear):
            s = spectral_norm(layer.weight.double(), 100)
            layer.weight.div_(float(s))
            found.append(float(s))
    return found


def max_input_gradient(model: nn.Module, n: int = 10_000, d_in: int = 10, seed: int = 1) -> float:
    """The largest ||d model(x) / dx||_2 over n random inputs: an empirical Lipschitz constant from below."""
    x = torch.randn(n, d_in, generator=torch.Generator().manual_seed(seed)).requires_grad_(True)
    (g,) = torch.autograd.grad(model(x).sum(), x)
    return float(g.norm(dim=1).max())


# ---------------------------------------------------------------- image samples

@figure
def image_grid(images: torch.Tensor, title: str = "", cols: int = 8):
    """A grid of (N, 1, 28, 28) images in [0, 1]."""
    n = len(images)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9 + 0.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i, 0].detach().cpu(), cmap="gray_r", vmin=0, vmax=1)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def grid_widget(grids: dict):
    """A slider through {step: (n, 1, 28, 28) sample grid} saved during the image GAN's run."""
    import ipywidgets as W

    from helpers.widgets import live_output

    steps = sorted(grids)
    step = W.SelectionSlider(options=steps, value=steps[-1], description="step")
    return W.VBox([step, live_output(lambda: image_grid(grids[step.value], f"samples after {step.value} steps"),
                                     (step,))])


@figure
def loss_curves(hist: dict, window: int = 25):
    """The discriminator's and the generator's losses, smoothed over ``window`` steps."""
    fig, ax = plt.subplots(figsize=(6.5, 3))
    for key, label in (("d", "discriminator loss"), ("g", "generator loss")):
        v = torch.tensor(hist[key])
        if len(v) >= window:
            v = v.unfold(0, window, 1).mean(1)
        ax.plot(v, label=label)
    ax.axhline(math.log(4), color="C0", ls=":", lw=1)
    ax.axhline(math.log(2), color="C1", ls=":", lw=1)
    ax.set(xlabel="step", ylabel="nats", title="losses (dotted: log 4 and log 2, their values at D = 1/2)")
    ax.legend()
    fig.tight_layout()
    return fig


@figure
def class_share_bars(shares: torch.Tensor, classes, title: str = ""):
    fig, ax = plt.subplots(figsize=(8, 2.8))
    ax.bar(range(len(shares)), shares)
    ax.axhline(0.1, color="k", ls=":", lw=1)
    ax.set_xticks(range(len(shares)), classes, rotation=30, fontsize=8)
    ax.set(ylabel="share of samples", title=title)
    fig.tight_layout()
    return fig
