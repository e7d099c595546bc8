"""helpers.training: minibatches, optimizers (checked against torch.optim), and the fit loop."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers import training


@pytest.mark.parametrize("n,batch", [(10, 3), (12, 4), (1, 5)])
def test_batches_cover_every_example_once(n, batch):
    X, y = torch.arange(n).float()[:, None], torch.arange(n)
    seen = list(training.batches(X, y, batch, torch.Generator().manual_seed(0)))
    assert len(seen) == math.ceil(n / batch)
    assert sorted(torch.cat([yb for _, yb in seen]).tolist()) == list(range(n))
    assert all(torch.equal(xb[:, 0].long(), yb) for xb, yb in seen)   # pairs stay together


def test_batches_reject_bad_input():
    with pytest.raises(ValueError, match="X has 3 examples but y has 2"):
        list(training.batches(torch.zeros(3, 1), torch.zeros(2), 2))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        list(training.batches(torch.zeros(3, 1), torch.zeros(3), 0))


@pytest.mark.parametrize("ours,theirs,kw", [(training.SGD, torch.optim.SGD, {"lr": 0.1}),
                                             (training.Adam, torch.optim.Adam, {"lr": 0.01})])
def test_optimizers_match_torch_optim(ours, theirs, kw):
    torch.manual_seed(0)
    a = nn.Linear(5, 3).double()
    b = nn.Linear(5, 3).double()
    b.load_state_dict(a.state_dict())
    opt_a, opt_b = ours(a.parameters(), **kw), theirs(b.parameters(), **kw)
    X, y = torch.randn(20, 5, dtype=torch.float64), torch.randint(0, 3, (20,))
    for _ in range(25):
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            F.cross_entropy(model(X), y).backward()
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-12)


def test_fit_learns_a_separable_problem_and_records_history():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(400, 2, generator=g)
    y = (X[:, 0] + X[:, 1] > 0).long()
    model = nn.Linear(2, 2)
    hist = training.fit(model, (X, y), loss_fn=F.cross_entropy, epochs=5, lr=0.5, batch_size=32,
                        test=(X, y), progress=False)
    assert hist.epochs == 5 and len(hist.test_acc) == 5
    assert len(hist.step_loss) == 5 * math.ceil(400 / 32)
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert training.accuracy(model, X, y) > 0.95


def test_fit_stops_with_a_clear_error_when_the_loss_explodes():
    X, y = torch.randn(64, 2), torch.randint(0, 2, (64,))
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        training.fit(nn.Linear(2, 2), (X, y), loss_fn=lambda z, t: (z * float("inf")).sum(), epochs=1, lr=0.1,
                     progress=False)


def test_fit_rejects_unknown_optimizer():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        training.fit(nn.Linear(2, 2), (torch.zeros(2, 2), torch.zeros(2).long()), loss_fn=F.cross_entropy,
                     epochs=1, lr=0.1, optimizer="lbfgs")


def test_predict_keeps_the_training_mode():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    out = training.predict(model, torch.randn(10, 3), batch_size=4)
    assert out.shape == (10, 3) and model.training
