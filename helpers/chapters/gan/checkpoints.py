"""Make chapter 11's shipped checkpoints (data/gan/): the Fashion-MNIST feature classifier behind the
Frechet distance, and a DCGAN trained longer than the notebook's budget allows.

    python -m helpers.chapters.gan.checkpoints classifier     # ~1 min of CPU
    python -m helpers.chapters.gan.checkpoints dcgan [steps]  # ~300 s of one CPU thread
    python -m helpers.chapters.gan.checkpoints ring           # the 2-D ring's WGAN-GP run, ~40 s

Fixed seeds; the figures it prints are the ones data/gan/README.md quotes.
"""
from __future__ import annotations

import sys
import time

import torch
import torch.nn.functional as F

from helpers import data
from helpers.chapters.gan import answers
from helpers.chapters.gan.models import (FeatureNet, checkpoint_dir, features, load_feature_net, sample,
                                         to_tanh_range)
from helpers.chapters.gan.train import class_shares, frechet_to, train_dcgan
from helpers.runtime import device, seed_everything
from helpers.training import accuracy, batches


def fashion(split: str):
    X, y = data.to_tensors(data.load("fashion-mnist", split), device())     # (N, 1, 28, 28) in [0, 1]
    return X, y


def train_classifier(steps: int = 2000, lr: float = 3e-3) -> None:
    seed_everything(0)
    X, y = fashion("train")
    X_test, y_test = fashion("test")
    tr, va = data.validation_split(len(X), 1000, seed=0)
    net = FeatureNet().to(device())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(0)
    n = 0
    t0 = time.process_time()
    while n < steps:
        for xb, yb in batches(X[tr], y[tr], 64, gen):
            loss = F.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            n += 1
            if n >= steps:
                break
    net.eval()
    print(f"classifier: {steps} steps, lr {lr}, {time.process_time() - t0:.0f} s CPU; validation accuracy "
          f"{accuracy(net, X[va], y[va]):.4f}, test accuracy {accuracy(net, X_test, y_test):.4f}")
    torch.save({k: v.cpu() for k, v in net.state_dict().items()}, checkpoint_dir() / "feature_net.pt")
    reference_distances()


def blur(images: torch.Tensor, k: int = 5) -> torch.Tensor:
    """A k x k box blur of (N, 1, H, W) images."""
    return F.avg_pool2d(images, k, stride=1, padding=k // 2, count_include_pad=False)


def reference_distances() -> dict:
    """The Frechet distance to the test images of: other real images, blurred ones, noise, one class."""
    net = load_feature_net()
    X, y = fashion("train")
    X_test, _ = fashion("test")
    ref = answers.gaussian_fit(features(net, X_test))
    n = len(X_test)
    g = torch.Generator().manual_seed(1)
    real = X[torch.randperm(len(X), generator=g)[:n]]
    out = {"real": frechet_to(net, real, ref), "blurred": frechet_to(net, blur(real), ref),
           "noise": frechet_to(net, torch.rand(real.shape, generator=g).to(real), ref),
           "one class": frechet_to(net, X[y == 0][:n], ref)}
    print("Frechet distance to the test images:", ", ".join(f"{k} {v:.1f}" for k, v in out.items()))
    return out


def train_gan_checkpoint(steps: int = 6000, lr: float = 2e-3) -> None:
    seed_everything(0)
    torch.set_num_threads(1)
    X, _ = fashion("train")
    X_test, _ = fashion("test")
    net = load_feature_net()
    ref = answers.gaussian_fit(features(net, X_test))
    t0 = time.process_time()
    gen, _, hist = train_dcgan(to_tanh_range(X), steps=steps, lr=lr, seed=0, snapshot_every=steps // 6)
    cpu = time.process_time() - t0
    for n, state in hist["snapshots"].items():
        gen.load_state_dict(state)
        print(f"step {n}: Frechet distance {frechet_to(net, sample(gen, len(X_test), seed=1), ref):.1f}")
    fake = sample(gen, len(X_test), seed=1)
    shares = class_shares(net, fake)
    print(f"DCGAN: {steps} steps, lr {lr}, {cpu:.0f} s of one CPU thread; Frechet distance "
          f"{frechet_to(net, fake, ref):.1f}; class shares min {float(shares.min()):.3f} max {float(shares.max()):.3f}")
    torch.save({k: v.cpu() for k, v in gen.state_dict().items()}, checkpoint_dir() / "dcgan_generator.pt")


def main(argv: list[str]) -> None:
    checkpoint_dir().mkdir(exist_ok=True)
    what = argv[0] if argv else "all"
    if what in ("classifier", "all"):
        train_classifier()
    if what in ("dcgan", "all"):
        train_gan_checkpoint(*(int(a) for a in argv[1:2]))
    if what == "reference":
        reference_distances()
    if what in ("ring", "all"):
        train_ring_run()


def train_ring_run() -> None:
    """data/gan/ring_wgan_gp.pt: the WGAN-GP on the 2-D ring, trained past the notebook's budget."""
    from helpers.chapters.gan import demos
    torch.set_num_threads(1)
    start = time.process_time()
    snaps = demos.save_ring_run(checkpoint_dir() / demos.RING_RUN_FILE)
    print(f"ring WGAN-GP {demos.RING_RUN}: {time.process_time() - start:.0f} s of one CPU thread; modes covered",
          [demos.coverage(s) for s in snaps.values()])


if __name__ == "__main__":
    main(sys.argv[1:])
