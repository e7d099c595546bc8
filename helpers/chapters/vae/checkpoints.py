"""Train and save chapter 10's shipped checkpoint: the 2-D latent VAE of the latent-space map.

    python -m helpers.chapters.vae.checkpoints            # writes data/vae/vae2d.pt

784-400-2 MLP VAE, grey-level cross-entropy, batch 128, Adam 1e-3, 8,000 steps, seed 0, trained on
the training part of the validation split (the first 1,000 of a seeded permutation held out) of the
Fashion-MNIST set helpers.data finds (the offline subset on a machine without the full set). The
weights are stored as float16 (the file stays under 2 MB); load with load_vae2d().
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from helpers import data, seed_everything
from helpers.chapters.vae import models
from helpers.runtime import device

CHECKPOINT = data.repo_data_dir() / "vae" / "vae2d.pt"
STEPS, LR, SEED, N_VALID = 8000, 1e-3, 0, 1000


def flat_images(split: str, source: str = "auto", dev=None) -> torch.Tensor:
    """A split of Fashion-MNIST as (N, 784) float32 grey levels in [0, 1]."""
    X, _ = data.to_tensors(data.load("fashion-mnist", split, source=source, verbose=False), dev)
    return X.flatten(1)


def load_vae2d(path: Path = CHECKPOINT, map_location=None) -> models.VAE:
    """The shipped 2-D VAE, in float32 and eval mode, on ``map_location`` (default: device())."""
    dev = map_location or device()
    state = torch.load(path, map_location=dev, weights_only=True)
    model = models.VAE(d_z=2).to(dev)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="auto", choices=("auto", "full", "subset"))
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args(argv)
    dev = device()
    X = flat_images("train", args.source, dev)
    train_idx, _ = data.validation_split(len(X), N_VALID, seed=0)
    seed_everything(SEED)
    model = models.VAE(d_z=2).to(dev)
    start = time.process_time()
    models.train_vae(model, X[train_idx.to(dev)], steps=STEPS, lr=LR, seed=SEED, desc="2-D VAE")
    cpu = time.process_time() - start
    test = models.evaluate_vae(model, flat_images("test", args.source, dev))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().half().cpu() for k, v in model.state_dict().items()}, args.out)
    print(f"{args.out}: {STEPS} steps in {cpu:.0f} s CPU; test negative ELBO {test['nelbo']:.1f} nats "
          f"(reconstruction {test['recon']:.1f} + KL {test['kl']:.1f}), trained on {len(train_idx):,} images")


if __name__ == "__main__":
    main()
