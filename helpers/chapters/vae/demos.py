"""Chapter 10's figures and widgets. The logic is plain functions the tests call; the
widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math
from typing import Callable

import matplotlib.pyplot as plt
import torch

from helpers.chapters.vae import answers
from helpers.plots import figure
from helpers.training import Adam


# ---------------------------------------------------------------- the KL explorer (1-D Gaussians)

def gaussian_density(x: torch.Tensor, mu: float, sigma: float) -> torch.Tensor:
    """N(x; mu, sigma^2). x: (M,) -> (M,)."""
    return torch.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def kl_to_standard(mu: float, sigma: float, kl_fn: Callable = answers.kl_diag_gaussians) -> float:
    """KL(N(mu, sigma^2) || N(0, 1)) through kl_fn on (1, 1)-shaped float64 tensors."""
    t = lambda v: torch.tensor([[v]], dtype=torch.float64)   # noqa: E731
    return float(kl_fn(t(mu), t(2 * math.log(sigma)), t(0.0), t(0.0))[0])


@figure
def kl_figure(mu: float, sigma: float, kl_fn: Callable = answers.kl_diag_gaussians):
    """q = N(mu, sigma^2) against the prior N(0, 1), the integrand q log(q/p) shaded, the KL in the title."""
    x = torch.linspace(-6, 6, 600, dtype=torch.float64)
    q, p = gaussian_density(x, mu, sigma), gaussian_density(x, 0.0, 1.0)
    integrand = q * (torch.log(q.clamp_min(1e-300)) - torch.log(p))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.2))
    ax.plot(x, p, "k--", label="prior p = N(0, 1)")
    ax.plot(x, q, color="C0", lw=2, label=f"q = N({mu:.1f}, {sigma:.2f}²)")
    ax.set(xlabel="z", ylabel="density", ylim=(0, max(1.0, float(q.max()) * 1.05)))
    ax.legend(loc="upper left", fontsize=8)
    bx.fill_between(x, integrand, color="C1", alpha=0.5)
    bx.axhline(0, color="k", lw=0.6)
    bx.set(xlabel="z", ylabel="q(z) log(q(z) / p(z))", title="its area is the KL")
    kl = kl_to_standard(mu, sigma, kl_fn)
    ax.set_title(f"KL(q || p) = {kl:.3f} nats   (numerical area {float(torch.trapezoid(integrand, x)):.3f})")
    fig.tight_layout()
    return fig


def kl_explorer(kl_fn: Callable = answers.kl_diag_gaussians):
    """Sliders for q's mean and standard deviation; the KL to N(0, 1) redrawn as they move."""
    import ipywidgets as W

    from helpers.widgets import live_output

    mu = W.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.1, description="μ")
    sigma = W.FloatLogSlider(value=0.5, base=10, min=-1.3, max=0.5, step=0.05, description="σ")
    return W.VBox([W.HBox([mu, sigma]), live_output(lambda: kl_figure(mu.value, sigma.value, kl_fn), (mu, sigma))])


# ---------------------------------------------------------------- estimators of a gradient of an expectation

def gradient_estimates(mu: float, n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Per-sample estimates of d/dmu E_{z ~ N(mu, 1)}[z^2] (true value 2 mu), n samples each:
    the score function (REINFORCE) f(z) (z - mu) and the reparameterized 2 (mu + eps)."""
    gen = torch.Generator().manual_seed(seed)
    eps = torch.randn(n, generator=gen, dtype=torch.float64)
    z = mu + eps
    return {"score function": z ** 2 * (z - mu), "reparameterization": 2 * z}


@figure
def estimator_figure(mu: float = 1.0, n: int = 2000, seed: int = 0):
    """Histograms of the two estimators' per-sample values, with their means and standard deviations."""
    est = gradient_estimates(mu, n, seed)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for (name, v), c in zip(est.items(), ("C3", "C0")):
        ax.hist(v.clamp(-15, 25).numpy(), bins=80, alpha=0.55, color=c, density=True,
                label=f"{name}: mean {float(v.mean()):.2f}, std {float(v.std()):.2f}")
    ax.axvline(2 * mu, color="k", ls="--", lw=1, label=f"true gradient 2μ = {2 * mu:.1f}")
    ax.set(xlabel="per-sample estimate of the gradient (clipped to [-15, 25] for the plot)", ylabel="density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- images: reconstructions, samples, latent maps

def _grid(images: torch.Tensor, rows: int, cols: int, ax, title: str = "") -> None:
    """Draw (rows * cols, 784) or (n, 28, 28) images as one tiled picture."""
    imgs = images.detach().cpu().reshape(rows, cols, 28, 28).permute(0, 2, 1, 3).reshape(rows * 28, cols * 28)
    ax.imshow(imgs.numpy(), cmap="gray_r", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[], title=title)


@torch.no_grad()
def reconstructions(model, X: torch.Tensor) -> torch.Tensor:
    """The decoder's mean image at the encoder's mean. X: (n, 784) -> (n, 784) in [0, 1]."""
    mu, _ = model.encode(X)
    return torch.sigmoid(model.decode(mu))


@torch.no_grad()
def samples(model, n: int, seed: int = 0) -> torch.Tensor:
    """Mean images of the decoder at n draws z ~ N(0, I). -> (n, 784)."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.d_z, generator=gen).to(next(model.parameters()))
    return torch.sigmoid(model.decode(z))


@figure
def reconstruction_figure(model, X: torch.Tensor, n: int = 10, seed: int = 0):
    """Test images (top), their reconstructions (middle) and samples from the prior (bottom)."""
    fig, axes = plt.subplots(3, 1, figsize=(n * 0.9, 3.3))
    _grid(X[:n], 1, n, axes[0], "test images")
    _grid(reconstructions(model, X[:n]), 1, n, axes[1], "reconstructions (decoder mean at the encoder mean)")
    _grid(samples(model, n, seed), 1, n, axes[2], "samples: z ~ N(0, I), decoded")
    fig.tight_layout()
    return fig


@torch.no_grad()
def decode_grid(model, lim: float = 2.5, n: int = 12) -> torch.Tensor:
    """Decoded mean images on an n x n grid of a 2-D latent space, top row at z2 = +lim. -> (n * n, 784)."""
    t = torch.linspace(-lim, lim, n)
    z1, z2 = torch.meshgrid(t, t.flip(0), indexing="xy")               # (n, n) each, rows from top
    z = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1).to(next(model.parameters()))
    return torch.sigmoid(model.decode(z))


@figure
def latent_map_figure(model, X: torch.Tensor, y: torch.Tensor, classes, lim: float = 2.5):
    """The encoder means of test images coloured by class (left) and the decoder over the same square (right)."""
    with torch.no_grad():
        mu, _ = model.encode(X)
    mu, y = mu.cpu(), y.cpu()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 5.5))
    for c, name in enumerate(classes):
        pts = mu[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, alpha=0.6, label=name)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="z₁", ylabel="z₂", title="encoder means of test images")
    ax.legend(markerscale=3, fontsize=7, loc="upper right")
    _grid(decode_grid(model, lim), 12, 12, bx, "decoder means over the same square")
    fig.tight_layout()
    return fig


@figure
def latent_point_figure(model, z1: float, z2: float, mu_test: torch.Tensor, y: torch.Tensor, lim: float = 3.0):
    """The chosen latent point on the map of test encodings (left) and its decoded image (right)."""
    with torch.no_grad():
        img = torch.sigmoid(model.decode(torch.tensor([[z1, z2]]).to(next(model.parameters()))))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
    ax.scatter(mu_test[:, 0], mu_test[:, 1], c=y, cmap="tab10", s=3, alpha=0.5)
    ax.plot([z1], [z2], "k*", ms=16)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="z₁", ylabel="z₂", title="test encodings (colour = class)")
    _grid(img, 1, 1, bx, f"decoded at z = ({z1:.2f}, {z2:.2f})")
    fig.tight_layout()
    return fig


def latent_explorer(model, X: torch.Tensor, y: torch.Tensor):
    """Two sliders move a point through the 2-D latent space; its decoded image is redrawn."""
    import ipywidgets as W

    from helpers.widgets import live_output

    with torch.no_grad():
        mu_test = model.encode(X)[0].cpu()
    z1 = W.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description="z₁")
    z2 = W.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description="z₂")
    return W.VBox([W.HBox([z1, z2]),
                   live_output(lambda: latent_point_figure(model, z1.value, z2.value, mu_test, y.cpu()), (z1, z2))])


@torch.no_grad()
def interpolate(model, x_a: torch.Tensor, x_b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Decoded means along the straight line between the encoder means of x_a and x_b.
    x_a, x_b: (784,); t: (M,) in [0, 1] -> (M, 784)."""
    mu = model.encode(torch.stack([x_a, x_b]))[0]                     # (2, d_z)
    t = t.to(mu)[:, None]
    return torch.sigmoid(model.decode((1 - t) * mu[0] + t * mu[1]))


@figure
def interpolation_figure(model, x_a: torch.Tensor, x_b: torch.Tensor, t: float):
    """The two test images, the decoded path between them (8 steps) and the image at t, enlarged."""
    path = interpolate(model, x_a, x_b, torch.linspace(0, 1, 8))
    now = interpolate(model, x_a, x_b, torch.tensor([t]))
    pixel = (1 - t) * x_a + t * x_b                                   # blending pixels, for comparison
    fig, axes = plt.subplots(1, 4, figsize=(12, 2.6), gridspec_kw={"width_ratios": [8, 1, 1, 1]})
    _grid(path, 1, 8, axes[0], "decoded along the latent line, t = 0 ... 1")
    _grid(now, 1, 1, axes[1], f"latent, t = {t:.2f}")
    _grid(pixel[None], 1, 1, axes[2], "pixel blend")
    _grid(x_b[None], 1, 1, axes[3], "image B")
    fig.tight_layout()
    return fig


def interpolation_explorer(model, X: torch.Tensor):
    """Pick two test images and slide t from one to the other through the latent space."""
    import ipywidgets as W

    from helpers.widgets import live_output

    a = W.BoundedIntText(value=0, min=0, max=len(X) - 1, description="image A")
    b = W.BoundedIntText(value=1, min=0, max=len(X) - 1, description="image B")
    t = W.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.05, description="t")
    return W.VBox([W.HBox([a, b, t]),
                   live_output(lambda: interpolation_figure(model, X[a.value], X[b.value], t.value), (a, b, t))])


@figure
def nats_figure(figures: dict[str, float], floor: float):
    """Horizontal bars of the test figures in nats per image, with the grey-level floor marked."""
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(figures) + 1.2))
    names = list(figures)
    ax.barh(names, [figures[k] for k in names], color=["C0", "C2", "C1", "C4"][:len(names)])
    ax.axvline(floor, color="k", ls="--", label=f"floor: images scored against themselves, {floor:.1f}")
    for i, k in enumerate(names):
        ax.text(figures[k] + 1, i, f"{figures[k]:.1f}", va="center")
    ax.set(xlim=(floor - 20, max(figures.values()) + 25), xlabel="nats per test image (lower is better)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- linear autoencoder against PCA

@figure
def pca_vs_ae_figure(ae_basis: torch.Tensor, pca_basis: torch.Tensor, angles_deg: torch.Tensor):
    """The first principal directions and the linear AE's decoder columns as images, with the principal angles."""
    k = pca_basis.shape[1]
    fig, axes = plt.subplots(2, k, figsize=(1.3 * k, 3.2))
    side = int(round(math.sqrt(pca_basis.shape[0])))
    for j in range(k):
        for row, basis, name in ((0, pca_basis, "PCA"), (1, ae_basis, "AE")):
            axes[row, j].imshow(basis[:, j].reshape(side, side).cpu(), cmap="RdBu_r")
            axes[row, j].set(xticks=[], yticks=[])
            if j == 0:
                axes[row, j].set_ylabel(name)
    angles = ", ".join(f"{a:.1f}" for a in angles_deg.tolist())
    fig.suptitle(f"different directions, the same subspace: principal angles {angles} degrees", fontsize=9)
    fig.tight_layout()
    return fig


def column_cosines(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """|cos| of the angle between the j-th column of A and the j-th column of B. (D, k) each -> (k,)."""
    return (torch.nn.functional.normalize(A, dim=0) * torch.nn.functional.normalize(B, dim=0)).sum(0).abs()


# ---------------------------------------------------------------- a flow on 2-D data

def two_moons(n: int, seed: int = 0, noise: float = 0.08) -> torch.Tensor:
    """n points of the two-moons set, standardised. -> (n, 2) float32."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=gen) * math.pi
    upper = torch.rand(n, generator=gen) < 0.5
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    pts = torch.stack([x, y], dim=1) + noise * torch.randn(n, 2, generator=gen)
    return (pts - pts.mean(0)) / pts.std(0)


def working_coupling(cls) -> type:
    """cls if its forward and inverse run, else the course's AffineCoupling (saying which one is used)."""
    try:
        layer = cls(2, 4, torch.tensor([1.0, 0.0]))
        layer.inverse(layer.forward(torch.zeros(3, 2))[0])
    except NotImplementedError:
        print("AffineCoupling is not written yet: this demo runs on the course's reference instead. "
              "Solve its exercise and re-run the cell to see yours.")
        return answers.AffineCoupling
    print("this demo uses your AffineCoupling")
    return cls


def make_flow(cls, n_layers: int = 6, hidden: int = 32, seed: int = 0) -> torch.nn.ModuleList:
    """n_layers coupling layers of class cls on 2-D data, masks alternating between the two coordinates."""
    torch.manual_seed(seed)
    masks = [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0]) for i in range(n_layers)]
    return torch.nn.ModuleList([cls(2, hidden, m) for m in masks])


def flow_log_prob(flow, x: torch.Tensor) -> torch.Tensor:
    """log p(x) of the flow z -> x through the layers in order, prior N(0, I). x: (B, 2) -> (B,).
    Inverting layer by layer from the last: log p(x) = log N(z) - sum of the forward log-determinants."""
    z, total = x, torch.zeros(len(x), dtype=x.dtype, device=x.device)
    for layer in reversed(flow):
        z = layer.inverse(z)
        total = total + layer.forward(z)[1]
    return answers.log_normal(z, torch.zeros_like(z), torch.zeros_like(z)) - total


def train_flow(flow, X: torch.Tensor, steps: int = 300, lr: float = 5e-3, seed: int = 0) -> list[float]:
    """Maximum likelihood with Adam on full batches of X: (N, 2); returns the negative log-likelihoods (nats)."""
    torch.manual_seed(seed)
    opt = Adam(flow.parameters(), lr=lr)         # the course's Adam (torch.optim imports dynamo, which rebinds torch.manual_seed)
    losses = []
    for _ in range(steps):
        loss = -flow_log_prob(flow, X).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def push_forward(flow, z: torch.Tensor, n_layers: int) -> torch.Tensor:
    """z: (B, 2) through the first n_layers layers of the flow. -> (B, 2)."""
    for layer in list(flow)[:n_layers]:
        z = layer.forward(z)[0]
    return z


@figure
def flow_layers_figure(flow, X: torch.Tensor, n_layers: int, seed: int = 1):
    """Gaussian samples after n_layers coupling layers (left) against the data (right)."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(1500, 2, generator=gen)
    pts = push_forward(flow, z, n_layers)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8, 3.6), sharex=True, sharey=True)
    ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.5, color="C0")
    ax.set(title=f"N(0, I) after {n_layers} of {len(flow)} coupling layers", xlim=(-3, 3), ylim=(-3, 3))
    bx.scatter(X[:, 0], X[:, 1], s=3, alpha=0.5, color="C1")
    bx.set(title="two moons (the data)")
    fig.tight_layout()
    return fig


def flow_explorer(flow, X: torch.Tensor):
    """A slider over the number of coupling layers applied to Gaussian samples."""
    import ipywidgets as W

    from helpers.widgets import live_output

    k = W.IntSlider(value=len(flow), min=0, max=len(flow), description="layers")
    return W.VBox([k, live_output(lambda: flow_layers_figure(flow, X, k.value), (k,))])


@figure
def training_curve_figure(losses: list[float], val_history: dict[int, float]):
    """The training negative ELBO per step (smoothed over 50 steps) and the validation checkpoints."""
    t = torch.tensor(losses)
    k = min(50, len(t))
    smooth = torch.nn.functional.avg_pool1d(t[None, None], k, stride=1)[0, 0]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(range(k, len(t) + 1), smooth, lw=1.5, label="training (one sample per image, mean of 50 steps)")
    if val_history:
        ax.plot(list(val_history), list(val_history.values()), "o-", color="C3", label="validation")
    ax.set(xlabel="step", ylabel="negative ELBO (nats per image)", ylim=(min(smooth.min().item(), 240) - 5, 320))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
