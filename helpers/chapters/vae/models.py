"""Chapter 10's models and training loops: the MLP VAE of the real run, its training and its
evaluation in nats per image, and the linear autoencoder of the PCA comparison. Plain functions;
the figures are in demos.py."""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.vae import answers
from helpers.training import Adam

LossFn = Callable[..., tuple[torch.Tensor, torch.Tensor, torch.Tensor]]


class FusedAdam(Adam):
    """helpers.training.Adam's update, p -= lr * m_hat / (sqrt(v_hat) + eps), written with one temporary per
    parameter instead of six (m_hat / (sqrt(v_hat) + eps) = (m / c1) / (sqrt(v) / c2 + eps) with the bias
    corrections c1 = 1 - b1^t, c2 = sqrt(1 - b2^t)). On the real run's 650k parameters it takes 2.6 ms a step
    instead of 6.4 ms, a third of the training time; the results agree to float rounding."""

    @torch.no_grad()
    def step(self) -> None:
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1 - b1 ** self.t, math.sqrt(1 - b2 ** self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            p.addcdiv_(m, v.sqrt().div_(c2).add_(self.eps), value=-self.lr / c1)


class VAE(nn.Module):
    """An MLP VAE on flattened images. encode(x: (B, d_in)) -> (mu, logvar), each (B, d_z);
    decode(z: (B, d_z)) -> logits (B, d_in) of the grey levels. The encoder outputs log sigma^2."""

    def __init__(self, d_in: int = 784, d_hidden: int = 400, d_z: int = 20):
        super().__init__()
        self.d_z = d_z
        self.encoder = nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, 2 * d_z))
        self.decoder = nn.Sequential(nn.Linear(d_z, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_in))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)                 # (B, d_z) each
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)                                        # (B, d_in) logits


def vae_step_loss(model: VAE, x: torch.Tensor, *, loss_fn: LossFn = answers.negative_elbo,
                  reparam_fn: Callable = answers.reparameterize, beta: float = 1.0,
                  generator: torch.Generator | None = None):
    """One Monte Carlo sample of the negative ELBO of the batch x: (B, d_in) -> (loss, recon, kl)."""
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=generator, device="cpu").to(mu)   # CPU generator: same on every device
    z = reparam_fn(mu, logvar, eps)
    return loss_fn(x, model.decode(z), mu, logvar, beta)


def train_vae(model: VAE, X: torch.Tensor, *, steps: int, lr: float = 1e-3, batch_size: int = 128,
              beta: float = 1.0, seed: int = 0, loss_fn: LossFn = answers.negative_elbo,
              reparam_fn: Callable = answers.reparameterize, desc: str = "VAE", progress: bool = True,
              on_step: Callable[[int], None] | None = None) -> list[float]:
    """Adam on minibatches of X: (N, d_in) for ``steps`` steps; returns the per-step negative ELBO (nats).
    on_step(k), if given, is called after step k (1-based), e.g. to evaluate on validation data."""
    opt = FusedAdam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    model.train()
    # mininterval: a widget bar sends messages on every redraw; thousands of them overflow the kernel's channel
    with tqdm(total=steps, desc=desc, disable=not progress, mininterval=1.0) as bar:
        while len(losses) < steps:
            order = torch.randperm(len(X), generator=gen).to(X.device)
            for start in range(0, len(X) - batch_size + 1, batch_size):
                loss, _, _ = vae_step_loss(model, X[order[start:start + batch_size]], loss_fn=loss_fn,
                                           reparam_fn=reparam_fn, beta=beta, generator=gen)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
                bar.update(1)
                if len(losses) % 500 == 0:
                    bar.set_postfix(nelbo=f"{sum(losses[-500:]) / 500:.1f}", refresh=False)
                if on_step is not None:
                    on_step(len(losses))
                    model.train()
                if len(losses) >= steps:
                    break
    return losses


@torch.no_grad()
def evaluate_vae(model: VAE, X: torch.Tensor, *, seed: int = 0, batch_size: int = 1000) -> dict[str, float]:
    """Mean negative ELBO, reconstruction and KL over X: (N, d_in), in nats per image (one sample each)."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    totals = torch.zeros(3, dtype=torch.float64)
    for start in range(0, len(X), batch_size):
        xb = X[start:start + batch_size]
        parts = vae_step_loss(model, xb, generator=gen)
        totals += torch.tensor([float(p) for p in parts], dtype=torch.float64) * len(xb)
    loss, recon, kl = (totals / len(X)).tolist()
    return {"nelbo": loss, "recon": recon, "kl": kl}


class BestOnValidation:
    """Called every ``every`` steps: evaluates the model on X_val and keeps a copy of the weights with the
    lowest validation negative ELBO (the number of steps is chosen on validation, not on the test set)."""

    def __init__(self, model: VAE, X_val: torch.Tensor, every: int):
        self.model, self.X_val, self.every = model, X_val, every
        self.history: dict[int, float] = {}
        self.best_step, self.best_state = 0, None

    def __call__(self, step: int) -> None:
        if step % self.every:
            return
        self.history[step] = evaluate_vae(self.model, self.X_val)["nelbo"]
        if self.best_state is None or self.history[step] < self.history[self.best_step]:
            self.best_step = step
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def restore(self) -> VAE:
        """Load the best weights into the model (if any evaluation ran) and return it."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        return self.model


@torch.no_grad()
def log_weights(model: VAE, x: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """log p(x, z_k) - log q(z_k | x) for k samples z_k ~ q(z | x). x: (B, d_in) -> (B, k)."""
    mu, logvar = model.encode(x)                                      # (B, d_z)
    eps = torch.randn((k,) + tuple(mu.shape), generator=generator, device="cpu").to(mu)   # (k, B, d_z)
    z = mu + torch.exp(0.5 * logvar) * eps                            # (k, B, d_z)
    logits = model.decode(z.reshape(-1, mu.shape[1])).reshape(k, len(x), -1)   # (k, B, d_in)
    log_px_z = -(torch.nn.functional.softplus(logits) - x * logits).sum(dim=-1)  # (k, B)
    log_pz = answers.log_normal(z, torch.zeros_like(z), torch.zeros_like(z))     # (k, B)
    log_qz = answers.log_normal(z, mu, logvar)                                   # (k, B)
    return (log_px_z + log_pz - log_qz).T                             # (B, k)


@torch.no_grad()
def iwae_nats(model: VAE, X: torch.Tensor, k: int, *, bound_fn: Callable = answers.iwae_bound,
              seed: int = 0, batch_size: int = 100) -> float:
    """The mean of -(importance-weighted bound with k samples) over X: (N, d_in), nats per image."""
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    total = 0.0
    for start in range(0, len(X), batch_size):
        xb = X[start:start + batch_size]
        total -= float(bound_fn(log_weights(model, xb, k, gen).double()).sum())
    return total / len(X)


def train_linear_ae(X: torch.Tensor, k: int, *, steps: int = 1500, lr: float = 1e-2, seed: int = 0) -> torch.Tensor:
    """A linear autoencoder x -> W_dec W_enc (x - mean) trained by Adam on the squared error.
    X: (N, D) -> the decoder's weight (D, k), whose columns span the learned subspace."""
    torch.manual_seed(seed)
    Xc = X - X.mean(dim=0)
    enc = nn.Linear(X.shape[1], k, bias=False).to(X)
    dec = nn.Linear(k, X.shape[1], bias=False).to(X)
    opt = Adam(list(enc.parameters()) + list(dec.parameters()), lr=lr)   # the course's Adam: torch.optim pulls in dynamo
    for _ in range(steps):
        loss = ((dec(enc(Xc)) - Xc) ** 2).sum(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return dec.weight.detach()                                        # (D, k)


def pca_directions(X: torch.Tensor, k: int) -> torch.Tensor:
    """The top-k principal directions of X: (N, D), as orthonormal columns (D, k)."""
    Xc = X - X.mean(dim=0)
    _, _, Vh = torch.linalg.svd(Xc, full_matrices=False)
    return Vh[:k].T


def nats_to_bits_per_pixel(nats: float, pixels: int = 784) -> float:
    """Nats per image to bits per pixel."""
    return nats / (pixels * math.log(2))
