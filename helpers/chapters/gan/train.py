"""Training loops of chapter 11: the image DCGAN (alternating D and G steps) and the Frechet
distance of a sample against a set of real images. Device-agnostic torch."""
from __future__ import annotations

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.gan import answers
from helpers.chapters.gan.models import Discriminator, FeatureNet, Generator, features, sample


def frechet_to(net: FeatureNet, images: torch.Tensor, ref_fit: tuple[torch.Tensor, torch.Tensor]) -> float:
    """The Frechet distance between the feature Gaussian of ``images`` (N, 1, 28, 28) in [0, 1] and
    ``ref_fit`` = (mu, S) of some real images."""
    mu, S = answers.gaussian_fit(features(net, images))
    return float(answers.frechet_distance.__wrapped__(mu, S, *ref_fit))


def dcgan_step(gen: Generator, disc: Discriminator, opt_g, opt_d, real: torch.Tensor,
               gen_loss=answers.g_loss.__wrapped__, disc_loss=answers.d_loss.__wrapped__) -> tuple[float, float]:
    """One discriminator step (phi) on a real batch and a fake batch, then one generator step
    (theta) through the discriminator. real: (B, 1, 28, 28) in [-1, 1]. Returns (d_loss, g_loss)."""
    z = torch.randn(len(real), gen.z_dim, device=real.device)
    fake = gen(z)
    loss_d = disc_loss(disc(real), disc(fake.detach()))           # phi: no gradient into G
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = gen_loss(disc(fake))                                  # theta: gradient flows through D
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def train_dcgan(X: torch.Tensor, *, steps: int, lr: float = 2e-3, batch_size: int = 64, seed: int = 0,
                snapshot_every: int = 0, desc: str = "DCGAN", progress: bool = True, width: int = 32,
                gen: Generator | None = None, disc: Discriminator | None = None):
    """Train a DCGAN on X (N, 1, 28, 28) in [-1, 1] with Adam (betas 0.5, 0.999) for ``steps``
    alternating steps. Returns (gen, disc, history dict with per-step 'd' and 'g' losses and
    'snapshots': {step: state_dict copy of G} every ``snapshot_every`` steps)."""
    torch.manual_seed(seed)
    dev = X.device
    gen = (gen or Generator(width=width)).to(dev)
    disc = (disc or Discriminator(width=width)).to(dev)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.999))
    order = torch.Generator().manual_seed(seed)
    hist = {"d": [], "g": [], "snapshots": {}}
    gen.train(), disc.train()
    with tqdm(total=steps, desc=desc, disable=not progress) as bar:
        while len(hist["d"]) < steps:
            perm = torch.randperm(len(X), generator=order).to(dev)
            for i in range(0, len(X) - batch_size + 1, batch_size):
                ld, lg = dcgan_step(gen, disc, opt_g, opt_d, X[perm[i:i + batch_size]])
                hist["d"].append(ld), hist["g"].append(lg)
                bar.update(1)
                n = len(hist["d"])
                if n % 50 == 0:
                    bar.set_postfix(d=f"{sum(hist['d'][-50:]) / 50:.3f}", g=f"{sum(hist['g'][-50:]) / 50:.3f}")
                if snapshot_every and n % snapshot_every == 0:
                    hist["snapshots"][n] = {k: v.detach().clone() for k, v in gen.state_dict().items()}
                if n >= steps:
                    break
    gen.eval()
    return gen, disc, hist


def class_shares(net: FeatureNet, images: torch.Tensor) -> torch.Tensor:
    """The fraction of ``images`` (N, 1, 28, 28) in [0, 1] the classifier puts in each class: (10,)."""
    with torch.no_grad():
        preds = torch.cat([net(images[i:i + 1000]).argmax(1) for i in range(0, len(images), 1000)])
    return torch.bincount(preds, minlength=10).double() / len(images)


def sample_grid_from(gen: Generator, state: dict, n: int = 32, seed: int = 0) -> torch.Tensor:
    """n images in [0, 1] from the generator with weights ``state`` (the same seeded noise each time)."""
    gen.load_state_dict(state)
    return sample(gen, n, seed=seed)


def copy_of(module: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
