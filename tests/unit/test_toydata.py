"""Synthetic 2-D datasets: shapes, dtypes, balance, determinism, and that the labels mean what the
docstrings say."""
import pytest
import torch

from helpers import toydata


@pytest.mark.parametrize("make", [toydata.two_moons, toydata.xor_blobs])
@pytest.mark.parametrize("n", [2, 7, 400])
def test_shapes_dtypes_and_balance(make, n):
    X, y = make(n)
    assert X.shape == (n, 2) and X.dtype == torch.float32
    assert y.shape == (n,) and y.dtype == torch.int64
    assert set(y.tolist()) <= {0, 1}
    assert int((y == 0).sum()) == n // 2 and int((y == 1).sum()) == n - n // 2
    assert bool(torch.isfinite(X).all())


@pytest.mark.parametrize("make", [toydata.two_moons, toydata.xor_blobs])
def test_seeded(make):
    X1, y1 = make(50, seed=3)
    X2, y2 = make(50, seed=3)
    X3, _ = make(50, seed=4)
    assert torch.equal(X1, X2) and torch.equal(y1, y2)
    assert not torch.equal(X1, X3)


def test_two_moons_geometry():
    X, y = toydata.two_moons(1000, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    assert torch.allclose(upper.norm(dim=1), torch.ones(len(upper)), atol=1e-5)          # unit half circle
    assert bool((upper[:, 1] >= -1e-6).all())
    assert torch.allclose((lower - torch.tensor([1.0, 0.5])).norm(dim=1), torch.ones(len(lower)), atol=1e-5)
    assert bool((lower[:, 1] <= 0.5 + 1e-6).all())


def test_xor_labels_follow_the_signs():
    X, y = toydata.xor_blobs(400, std=0.1)
    signs_differ = (X[:, 0] * X[:, 1] < 0).long()
    assert float((signs_differ == y).float().mean()) > 0.99
    # no single line separates it: a least-squares linear fit is near chance
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1).double()
    w = torch.linalg.lstsq(A, y.double()[:, None]).solution
    assert float((((A @ w).squeeze(1) > 0.5).long() == y).double().mean()) < 0.7


def test_bad_n():
    with pytest.raises(ValueError):
        toydata.two_moons(1)
    with pytest.raises(ValueError):
        toydata.xor_blobs(3.0)


def test_grid_covers_the_points():
    X, _ = toydata.two_moons(100)
    xx, yy, points = toydata.grid(X, steps=20, margin=0.5)
    assert xx.shape == yy.shape == (20, 20) and points.shape == (400, 2)
    assert float(points[:, 0].min()) <= float(X[:, 0].min()) - 0.5 + 1e-5
    assert float(points[:, 1].max()) >= float(X[:, 1].max()) + 0.5 - 1e-5
    assert torch.equal(points[:, 0].reshape(20, 20), xx)
