"""Chapter 04 checks: the reference answers pass every check, every catalogued mistake fails with
its own hint, unimplemented code says so, and library and reference calls are refused."""
import copy

import pytest
import torch
import torch.nn.functional as F

from helpers.chapters.overfitting import answers as R
from helpers.chapters.overfitting import checks as C
from helpers.grading.checks import CheckFailure
from tests.chapters.exercise_tools import fails_with, names_mistake, not_implemented, unwrap

g = torch.Generator().manual_seed(0)
F64 = dict(dtype=torch.float64, generator=g)

W_ZEROS = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
W64 = torch.randn(4, 3, **F64)
X_MAP = torch.randn(12, 4, **F64)
Y_MAP = torch.randn(12, **F64)
X_WIDE = torch.randn(3, 5, **F64)
Y_WIDE = torch.randn(3, **F64)
LOGITS = torch.randn(3, 4, 5, generator=g) * 2
LOGITS64 = torch.randn(2, 6, 3, **F64) * 3
LOSSES = [1.0, 0.8, 0.7, 0.71, 0.72, 0.69, 0.70, 0.70, 0.70]


def kfold_ok(n, k, seed=0):
    return unwrap(R.kfold_indices)(n, k, seed)


def cv_ok(score, n, k, seed=0):
    return sum(float(score(tr, va)) for tr, va in kfold_ok(n, k, seed)) / k


class StopperOK:
    """The reference's logic, without the guard (a student's correct class)."""

    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta, self.best, self.bad, self.state = patience, min_delta, float("inf"), 0, None

    def step(self, loss, model):
        if loss < self.best - self.min_delta:
            self.best, self.bad, self.state = loss, 0, copy.deepcopy(model.state_dict())
        else:
            self.bad += 1
        return self.bad >= self.patience

    def restore(self, model):
        model.load_state_dict(self.state)


# ---------------------------------------------------------------- the reference passes

def test_reference_answers_pass_everything():
    for n, k in ((10, 4), (23, 5), (7, 7), (100, 10)):
        C.check_kfold(kfold_ok, cv_ok, n, k, seed=1)
    C.check_penalty_grad(unwrap(R.penalty_grad), unwrap(R.equivalent_weight_decay), W_ZEROS, 0.1, 0.01)
    C.check_penalty_grad(unwrap(R.penalty_grad), unwrap(R.equivalent_weight_decay), W64, 0.0, 0.3)
    C.check_map(unwrap(R.prior_lambda), unwrap(R.map_linear_regression), X_MAP, Y_MAP, 0.5, 1.3)
    C.check_map(unwrap(R.prior_lambda), unwrap(R.map_linear_regression), X_WIDE, Y_WIDE, 2.0, 0.4)
    C.check_map(unwrap(R.prior_lambda), unwrap(R.map_linear_regression), X_MAP.float(), Y_MAP.float(), 1.0)
    C.check_dropout(unwrap(R.inverted_dropout), torch.ones(200, 500), 0.5)
    C.check_dropout(unwrap(R.inverted_dropout), torch.randn(300, 100, **F64) + 2, 0.3, seed=4)
    for patience, delta in ((2, 0.0), (3, 0.0), (1, 0.05)):
        C.check_early_stopping(StopperOK, LOSSES, patience, delta)
    C.check_ensemble(unwrap(R.ensemble_probs), LOGITS)
    C.check_ensemble(unwrap(R.ensemble_probs), LOGITS64)


def test_reference_class_behaves_as_the_notebook_says():
    stopper = unwrap(R.EarlyStopping)(patience=2)
    model = torch.nn.Linear(1, 1)
    stops = []
    for epoch, loss in enumerate(LOSSES):
        with torch.no_grad():
            model.weight.fill_(float(epoch))
        stops.append(stopper.step(loss, model))
        if stops[-1]:
            break
    assert stops.index(True) == 4 and stopper.best_epoch == 2
    stopper.restore(model)
    assert float(model.weight.detach()) == 2.0


# ---------------------------------------------------------------- catalogues are named

@pytest.mark.parametrize("mistake", C.PENALTY_MISTAKES, ids=lambda m: m.name)
def test_penalty_mistakes_are_named(mistake):
    decay = unwrap(R.equivalent_weight_decay)
    check = lambda fn, w, l1, l2: C.check_penalty_grad(fn, decay, w, l1, l2)   # noqa: E731
    names_mistake(check, mistake.variant, [(W_ZEROS, 0.1, 0.01), (W64, 0.2, 0.05)], mistake.hint)


@pytest.mark.parametrize("mistake", C.DECAY_MISTAKES, ids=lambda m: m.name)
def test_decay_mistakes_are_named(mistake):
    fails_with(C.check_penalty_grad, unwrap(R.penalty_grad), mistake.variant, W64, 0.1, 0.02, hint=mistake.hint)


@pytest.mark.parametrize("mistake", C.LAMBDA_MISTAKES, ids=lambda m: m.name)
def test_lambda_mistakes_are_named(mistake):
    fails_with(C.check_map, mistake.variant, unwrap(R.map_linear_regression), X_MAP, Y_MAP, 0.5, 1.0,
               hint=mistake.hint)


@pytest.mark.parametrize("mistake", C.MAP_MISTAKES, ids=lambda m: m.name)
def test_map_mistakes_are_named(mistake):
    check = lambda fn, X, y, s, n: C.check_map(unwrap(R.prior_lambda), fn, X, y, s, n)   # noqa: E731
    names_mistake(check, mistake.variant, [(X_MAP, Y_MAP, 0.5, 1.3), (X_WIDE, Y_WIDE, 2.0, 0.4)], mistake.hint)


@pytest.mark.parametrize("mistake", C.ENSEMBLE_MISTAKES, ids=lambda m: m.name)
def test_ensemble_mistakes_are_named(mistake):
    names_mistake(C.check_ensemble, mistake.variant, [(LOGITS,), (LOGITS64,)], mistake.hint)


@pytest.mark.parametrize("kind,hint", C.EARLY_MISTAKES, ids=[k for k, _ in C.EARLY_MISTAKES])
def test_early_stopping_mistakes_are_named(kind, hint):
    cls = lambda patience, min_delta, k=kind: C._Variant(patience, min_delta, kind=k)   # noqa: E731
    scenarios = [(LOSSES, 2, 0.0), (LOSSES, 3, 0.0), ([1.0, 0.95, 0.949, 0.948, 0.90, 0.95, 0.96, 0.97], 2, 0.01),
                 ([0.5, 0.5, 0.4, 0.4, 0.4, 0.3], 2, 0.0), ([0.9, 0.8, 0.85, 0.84, 0.83, 0.82, 0.81], 4, 0.0),
                 ([10.0, 9.5, 9.45, 9.42, 9.0, 9.3, 9.4], 2, 0.1)]
    messages = []
    for losses, patience, delta in scenarios:
        try:
            C.check_early_stopping(cls, losses, patience, delta)
        except CheckFailure as err:
            messages.append(str(err))
    assert messages and any(hint in m for m in messages), messages


# ---------------------------------------------------------------- structure and statistics

def test_kfold_structural_mistakes():
    def dropped(n, k, seed=0):
        perm, size = torch.randperm(n, generator=torch.Generator().manual_seed(seed)), n // k
        return [(torch.cat([perm[:j * size], perm[(j + 1) * size:]]), perm[j * size:(j + 1) * size]) for j in range(k)]
    fails_with(C.check_kfold, dropped, cv_ok, 10, 4, hint="one extra index")

    def unshuffled(n, k, seed=0):
        folds = list(torch.tensor_split(torch.arange(n), k))
        return [(torch.cat([f for i, f in enumerate(folds) if i != j]), va) for j, va in enumerate(folds)]
    fails_with(C.check_kfold, unshuffled, cv_ok, 20, 4, hint="shuffle first")

    def floats(n, k, seed=0):
        return [(tr.double(), va) for tr, va in kfold_ok(n, k, seed)]
    fails_with(C.check_kfold, floats, cv_ok, 10, 4, hint="int64")


def test_cv_mistakes_are_named():
    def summed(score, n, k, seed=0):
        return sum(float(score(tr, va)) for tr, va in kfold_ok(n, k, seed))
    fails_with(C.check_kfold, kfold_ok, summed, 10, 4, hint=C.CV_MISTAKES[0].hint)

    def weighted(score, n, k, seed=0):
        return sum(float(score(tr, va)) * len(va) for tr, va in kfold_ok(n, k, seed)) / n
    fails_with(C.check_kfold, kfold_ok, weighted, 10, 4, hint=C.CV_MISTAKES[1].hint)


def test_dropout_mistakes_are_named():
    x = torch.ones(200, 500)
    fails_with(C.check_dropout, lambda x, p, t=True, g=None: x if not t else x * (torch.rand(x.shape, generator=g) >= p),
               x, 0.5, hint="not rescaled")
    fails_with(C.check_dropout, lambda x, p, t=True, g=None: x * (1 - p) if not t else
               x * (torch.rand(x.shape, generator=g) >= p) / (1 - p), x, 0.5, hint="does nothing")
    fails_with(C.check_dropout, lambda x, p, t=True, g=None: x if not t else
               x * (torch.rand(x.shape, generator=g) < p) / (1 - p), x, 0.2, hint="probability 1 - p")
    fails_with(C.check_dropout, lambda x, p, t=True, g=None: x if not t else
               x * (torch.rand(x.shape[1:], generator=g) >= p) / (1 - p), x, 0.5, hint="same mask")
    fails_with(C.check_dropout, lambda x, p, t=True, g=None: x if not t else
               x * (torch.rand(x.shape) >= p) / (1 - p), x, 0.5, hint="seeded alike")
    fails_with(C.check_dropout, lambda x, p, t=True, g=None: F.dropout(x, p, t), x, 0.5, hint="calls")


def test_dropout_in_place_is_caught():
    def in_place(x, p, training=True, generator=None):
        if training:
            x.mul_((torch.rand(x.shape, generator=generator) >= p).to(x.dtype) / (1 - p))
        return x
    fails_with(C.check_dropout, in_place, torch.ones(200, 500), 0.5, hint="in place")


def test_not_implemented_and_references_refused():
    fails_with(C.check_ensemble, not_implemented, LOGITS, hint="not implemented")
    fails_with(C.check_ensemble, R.ensemble_probs, LOGITS, hint="calls helpers.chapters.overfitting.answers")
    fails_with(C.check_penalty_grad, R.penalty_grad, unwrap(R.equivalent_weight_decay), W64, 0.1, 0.1, hint="calls")
    fails_with(C.check_map, R.prior_lambda, unwrap(R.map_linear_regression), X_MAP, Y_MAP, 1.0, hint="calls")
    fails_with(C.check_dropout, R.inverted_dropout, torch.ones(100, 100), 0.5, hint="calls")
    fails_with(C.check_early_stopping, R.EarlyStopping, LOSSES, 2, hint="calls")
    fails_with(C.check_kfold, R.kfold_indices, cv_ok, 10, 4, hint="calls")


def test_autograd_refused_in_penalty():
    def by_autograd(w, l1, l2):
        w = w.detach().clone().requires_grad_(True)
        (l1 * w.abs().sum() + l2 * (w ** 2).sum()).backward()
        return w.grad
    fails_with(C.check_penalty_grad, by_autograd, unwrap(R.equivalent_weight_decay), W64, 0.1, 0.1,
               hint="torch.Tensor.backward")


def test_float32_result_for_float64_input_is_refused():
    fails_with(C.check_map, unwrap(R.prior_lambda), lambda X, y, s, n=1.0: unwrap(R.map_linear_regression)(
        X.float(), y.float(), s, n), X_MAP, Y_MAP, 0.5, 1.0, hint="dtype")


def test_generic_hints_beyond_the_catalogue():
    """Hints for mistakes the catalogues do not list: a division by p, a copy stored at every check."""
    def by_p(x, p, training=True, generator=None):
        if not training:
            return x
        return x * (torch.rand(x.shape, generator=generator) < p).to(x.dtype) / p
    fails_with(C.check_dropout, by_p, torch.ones(100, 200), 0.5, hint="division by p")

    class SavesEveryCheck(StopperOK):
        def step(self, loss, model):
            stop = super().step(loss, model)
            self.state = copy.deepcopy(model.state_dict())
            return stop
    fails_with(C.check_early_stopping, SavesEveryCheck, LOSSES, 2, hint="weights of the last check")

    class SavesEveryMinimum(StopperOK):
        """Stores a copy on every new minimum, counts patience with min_delta: the last check can be the lowest."""
        def step(self, loss, model):
            if loss < self.best - self.min_delta:
                self.best, self.bad = loss, 0
            else:
                self.bad += 1
            if loss < getattr(self, "lowest", float("inf")):
                self.lowest, self.state = loss, copy.deepcopy(model.state_dict())
            return self.bad >= self.patience
    with pytest.raises(CheckFailure) as err:
        C.check_early_stopping(SavesEveryMinimum, [1.0, 0.95, 0.949, 0.948, 0.90, 0.95, 0.96, 0.97], 2, 0.01)
    assert "weights of the last check" not in str(err.value)


def test_derivation_messages_do_not_print_the_answer():
    for fn, args in ((lambda s: 1 / s, (0.4,)), (lambda s: 0.123, (0.4,))):
        with pytest.raises(CheckFailure) as err:
            C.check_map(fn, unwrap(R.map_linear_regression), X_MAP, Y_MAP, *args, 0.7)
        assert "3.125" not in str(err.value) and "1/(2σ²)" not in str(err.value)
    with pytest.raises(CheckFailure) as err:
        C.check_penalty_grad(unwrap(R.penalty_grad), lambda l2: 3 * l2, W64, 0.1, 0.02)
    assert "0.04" not in str(err.value) and "2 l2" not in str(err.value)
