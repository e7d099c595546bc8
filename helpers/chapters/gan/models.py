"""Chapter 11's networks: the small DCGAN, the feature classifier behind the Frechet distance, and
their shipped checkpoints (data/gan/, made by ``python -m helpers.chapters.gan.checkpoints``).
Device-agnostic torch; images are (N, 1, 28, 28)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from helpers.data import repo_data_dir
from helpers.runtime import device

Z_DIM = 32                                   # the generator's noise dimension
FEATURE_DIM = 64                             # the classifier's feature layer (the Frechet distance's space)
PIXEL_MEAN, PIXEL_STD = 0.286, 0.353         # Fashion-MNIST's pixel statistics (images in [0, 1])


def checkpoint_dir() -> Path:
    """data/gan/ in the repository (the checkpoints and their README)."""
    return repo_data_dir() / "gan"


class Generator(nn.Module):
    """z (N, z_dim) -> images (N, 1, 28, 28) in [-1, 1]: a dense layer to (width, 7, 7), then two
    stride-2 transposed convolutions (7 -> 14 -> 28 pixels), BatchNorm + ReLU between, tanh at the end."""

    def __init__(self, z_dim: int = Z_DIM, width: int = 32):
        super().__init__()
        self.z_dim, self.width = z_dim, width
        self.project = nn.Sequential(nn.Linear(z_dim, width * 49), nn.BatchNorm1d(width * 49), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1), nn.BatchNorm2d(width // 2), nn.ReLU(),
            nn.ConvTranspose2d(width // 2, 1, 4, stride=2, padding=1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(-1, self.width, 7, 7)      # (N, width, 7, 7)
        return self.up(h)                                   # (N, 1, 28, 28)


class Discriminator(nn.Module):
    """images (N, 1, 28, 28) in [-1, 1] -> logits (N,): two stride-2 convolutions with LeakyReLU
    (28 -> 14 -> 7 pixels), then one LINEAR output unit (no sigmoid: the losses take logits).
    ``spectral=True`` wraps every layer in torch's spectral normalization."""

    def __init__(self, width: int = 32, spectral: bool = False):
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if spectral else (lambda m: m)
        self.net = nn.Sequential(
            wrap(nn.Conv2d(1, width // 2, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            wrap(nn.Conv2d(width // 2, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
            nn.Flatten(), wrap(nn.Linear(width * 49, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)                       # (N,)


class FeatureNet(nn.Module):
    """The Fashion-MNIST classifier whose 64-unit feature layer the Frechet distance compares.
    images (N, 1, 28, 28) in [0, 1] -> logits (N, 10); ``features`` gives the (N, 64) layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # (N, 16, 14, 14)
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # (N, 32, 7, 7)
            nn.Flatten(), nn.Linear(32 * 49, FEATURE_DIM), nn.ReLU())        # (N, 64)
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body((x - PIXEL_MEAN) / PIXEL_STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def to_pixels(images: torch.Tensor) -> torch.Tensor:
    """Generator outputs in [-1, 1] -> images in [0, 1] (what the classifier reads)."""
    return ((images + 1) / 2).clamp(0, 1)


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] -> [-1, 1] (what the discriminator reads)."""
    return images * 2 - 1


def load_state(model: nn.Module, filename: str) -> nn.Module:
    """Load data/gan/<filename> (a state_dict) into ``model``, put it on device(), eval mode."""
    state = torch.load(checkpoint_dir() / filename, map_location=device(), weights_only=True)
    model.load_state_dict(state)
    return model.to(device()).eval()


def load_feature_net() -> FeatureNet:
    return load_state(FeatureNet(), "feature_net.pt")


def load_dcgan() -> Generator:
    return load_state(Generator(), "dcgan_generator.pt")


@torch.no_grad()
def features(net: FeatureNet, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """(N, 1, 28, 28) images in [0, 1] -> (N, 64) float64 features, batch by batch."""
    dev = next(net.parameters()).device
    return torch.cat([net.features(images[i:i + batch_size].to(dev)).double()
                      for i in range(0, len(images), batch_size)])


@torch.no_grad()
def sample(gen: Generator, n: int, seed: int = 0, batch_size: int = 1000) -> torch.Tensor:
    """n generated images in [0, 1], (n, 1, 28, 28), from a seeded noise batch (on the generator's device)."""
    dev = next(gen.parameters()).device
    was_training = gen.training
    gen.eval()
    z = torch.randn(n, gen.z_dim, generator=torch.Generator().manual_seed(seed)).to(dev)
    out = torch.cat([to_pixels(gen(z[i:i + batch_size])) for i in range(0, n, batch_size)])
    gen.train(was_training)
    return out
