"""Chapter 01 checks: the reference answer passes every check on the inputs the notebook uses, and
every catalogued mistake fails with its own hint (the message a student would read)."""
import pytest
import torch

from helpers.chapters.foundations import answers as R
from helpers.grading.checks import CheckFailure
from helpers.chapters.foundations import checks as F
from tests.chapters.exercise_tools import fails_with, names_mistake, unwrap

g = torch.Generator().manual_seed(0)
Z = torch.randn(4, 4, generator=g) * 3
BIG = torch.tensor([[0.0, 1.0, 2.0], [500.0, 501.0, 499.0]])
LOGITS = torch.randn(8, 5, generator=g)
TARGET = torch.randint(0, 5, (8,), generator=g)
P = torch.softmax(torch.randn(3, 4, generator=g, dtype=torch.float64), -1)
Q = torch.softmax(torch.randn(3, 4, generator=g, dtype=torch.float64), -1)
P0, Q0 = P.clone(), Q.clone()
P0[:, 0] = Q0[:, 0] = 0
P0, Q0 = P0 / P0.sum(-1, keepdim=True), Q0 / Q0.sum(-1, keepdim=True)
Y, MU = torch.randn(6, generator=g), torch.randn(6, generator=g)
SIGMA = torch.rand(6, generator=g) + 0.5
GRAD_LOGITS = torch.tensor([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, 0.3, 0.0], [-1.0, 0.0, 1.0, 3.0]])
GRAD_TARGET = torch.tensor([0, 1, 3])

# Each case: the check, the correct function, and the inputs that expose the mistakes.
SIGMOID_INPUTS = [torch.linspace(-5, 5, 11), torch.tensor([-1000.0, -100.0, 100.0, 1000.0]),
                  torch.tensor([-1000.0, -710.0, 710.0, 1000.0], dtype=torch.float64)]
SOFTMAX_INPUTS = [(torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0]]), -1), (BIG, -1), (Z, 0), (Z, -1),
                  (torch.tensor([[1000.0, 0.0, -1000.0]], dtype=torch.float64), -1)]
CE_INPUTS = [(LOGITS, TARGET), (LOGITS + 100, TARGET), (LOGITS * 1000, TARGET),
             (torch.tensor([[1000.0, 0.0, -1000.0]], dtype=torch.float64), torch.tensor([1]))]
CE_GRAD_INPUTS = [(GRAD_LOGITS, GRAD_TARGET), (Z, torch.tensor([3, 0, 2, 2])),
                  (LOGITS.double() * 1000, TARGET)]
GAUSS_GRAD_INPUTS = [(Y, MU, SIGMA), (Y.double(), MU.double(), SIGMA.double() * 0.1)]
PARAM_INPUTS = [[784, 16, 16, 10], [3, 5, 2]]


def correct_cross_entropy(logits, target):
    z = logits - logits.amax(dim=1, keepdim=True)
    return -(z - z.exp().sum(dim=1, keepdim=True).log())[torch.arange(len(target)), target].mean()


def test_reference_answers_pass_everything():
    for x in SIGMOID_INPUTS + [torch.randn(5, 3, dtype=torch.float64) * 100, torch.tensor(0.0)]:
        F.check_sigmoid(unwrap(R.sigmoid), x)
    for z, dim in SOFTMAX_INPUTS:
        F.check_softmax(unwrap(R.softmax), z, dim)
    for logits, target in CE_INPUTS:
        F.check_cross_entropy(correct_cross_entropy, logits, target)
    for p, q in ((P, Q), (P0, Q0), (torch.eye(3), torch.full((3, 3), 1 / 3))):
        F.check_information(unwrap(R.entropy), unwrap(R.kl_div), unwrap(R.cross_entropy), p, q)
    for logits, target in CE_GRAD_INPUTS:
        F.check_cross_entropy_grad(unwrap(R.softmax_cross_entropy_grad), logits, target)
    for args in GAUSS_GRAD_INPUTS:
        F.check_gaussian_nll_grad(unwrap(R.gaussian_nll_grad), *args)
    for sizes in PARAM_INPUTS:
        F.check_parameter_count(unwrap(R.mlp_parameter_count), sizes)


@pytest.mark.parametrize("mistake", F.SIGMOID_MISTAKES, ids=lambda m: m.name)
def test_sigmoid_mistakes_are_named(mistake):
    names_mistake(F.check_sigmoid, mistake.variant, [(x,) for x in SIGMOID_INPUTS], mistake.hint)


def test_sigmoid_gradient_mistakes_are_named():
    nan_grad = lambda x: torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))  # noqa: E731
    fails_with(F.check_sigmoid, nan_grad, SIGMOID_INPUTS[1], hint=F.SIGMOID_GRADIENT_HINT)
    fails_with(F.check_sigmoid, lambda x: 1 / (1 + torch.exp(-x)), SIGMOID_INPUTS[1], hint=F.SIGMOID_GRADIENT_HINT)
    e = lambda x: torch.exp(-x.abs())  # noqa: E731
    abs_version = lambda x: torch.where(x >= 0, 1 / (1 + e(x)), e(x) / (1 + e(x)))  # noqa: E731
    fails_with(F.check_sigmoid, abs_version, SIGMOID_INPUTS[0], hint=F.SIGMOID_GRADIENT_MISTAKES[0].hint)


def test_sigmoid_must_keep_dtype_and_stay_differentiable():
    fails_with(F.check_sigmoid, lambda x: unwrap(R.sigmoid)(x).float(), torch.zeros(3, dtype=torch.float64),
               hint="do not cast")
    fails_with(F.check_sigmoid, lambda x: torch.tensor(unwrap(R.sigmoid)(x).tolist()), torch.zeros(3),
               hint="no .item(), .numpy()")


@pytest.mark.parametrize("mistake", F.SOFTMAX_MISTAKES, ids=lambda m: m.name)
def test_softmax_mistakes_are_named(mistake):
    names_mistake(F.check_softmax, mistake.variant, SOFTMAX_INPUTS, mistake.hint)


@pytest.mark.parametrize("mistake", F.CROSS_ENTROPY_MISTAKES, ids=lambda m: m.name)
def test_cross_entropy_mistakes_are_named(mistake):
    names_mistake(F.check_cross_entropy, mistake.variant, CE_INPUTS, mistake.hint)


@pytest.mark.parametrize("which,mistake",
                         [(0, m) for m in F.ENTROPY_MISTAKES] + [(1, m) for m in F.KL_MISTAKES]
                         + [(2, m) for m in F.CROSS_ENTROPY_PQ_MISTAKES], ids=lambda v: getattr(v, "name", str(v)))
def test_information_mistakes_are_named(which, mistake):
    fns = [unwrap(R.entropy), unwrap(R.kl_div), unwrap(R.cross_entropy)]
    fns[which] = mistake.variant
    names_mistake(lambda f, p, q: F.check_information(*f, p, q), fns, [(P, Q), (P0, Q0)], mistake.hint)


@pytest.mark.parametrize("mistake", F.CE_GRAD_MISTAKES, ids=lambda m: m.name)
def test_cross_entropy_grad_mistakes_are_named(mistake):
    names_mistake(F.check_cross_entropy_grad, mistake.variant, CE_GRAD_INPUTS, mistake.hint)


def test_cross_entropy_grad_refuses_autograd_and_wrong_dtype():
    def autograd(logits, target):
        z = logits.detach().clone().requires_grad_(True)
        torch.nn.functional.cross_entropy(z, target).backward()
        return z.grad
    fails_with(F.check_cross_entropy_grad, autograd, GRAD_LOGITS, GRAD_TARGET, hint="write yourself")
    as_float = lambda z, t: unwrap(R.softmax_cross_entropy_grad)(z.float(), t)  # noqa: E731
    fails_with(F.check_cross_entropy_grad, as_float, GRAD_LOGITS.double(), GRAD_TARGET, hint="float")


def _dmu_only(variant):
    return lambda y, mu, s: (variant(y, mu, s), 1 / s - (y - mu) ** 2 / s ** 3)


def _dsigma_only(variant):
    return lambda y, mu, s: (-(y - mu) / s ** 2, variant(y, mu, s))


@pytest.mark.parametrize("mistake", F.GAUSSIAN_DMU_MISTAKES, ids=lambda m: m.name)
def test_gaussian_dmu_mistakes_are_named(mistake):
    names_mistake(F.check_gaussian_nll_grad, _dmu_only(mistake.variant), GAUSS_GRAD_INPUTS, mistake.hint)


@pytest.mark.parametrize("mistake", F.GAUSSIAN_DSIGMA_MISTAKES, ids=lambda m: m.name)
def test_gaussian_dsigma_mistakes_are_named(mistake):
    names_mistake(F.check_gaussian_nll_grad, _dsigma_only(mistake.variant), GAUSS_GRAD_INPUTS, mistake.hint)


def test_gaussian_grad_must_return_a_pair():
    fails_with(F.check_gaussian_nll_grad, lambda y, mu, s: -(y - mu) / s ** 2, Y, MU, SIGMA, hint="return both")


@pytest.mark.parametrize("mistake", F.PARAMETER_MISTAKES, ids=lambda m: m.name)
def test_parameter_count_mistakes_are_named(mistake):
    names_mistake(F.check_parameter_count, mistake.variant, [(s,) for s in PARAM_INPUTS], mistake.hint)


def test_hard_coded_parameter_count_fails_the_other_inputs():
    with pytest.raises(CheckFailure, match=r"mlp_parameter_count\(\[3, 5, 2\]\): expected 32, got 13002"):
        for sizes in PARAM_INPUTS:
            F.check_parameter_count(lambda s: 13002, sizes)


class Good(torch.nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = torch.nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        return self.linear(x.flatten(1))


class Probabilities(Good):
    def forward(self, x):
        return torch.softmax(super().forward(x), dim=1)


class LogProbabilities(Good):
    def forward(self, x):
        return torch.log_softmax(super().forward(x), dim=1)


class NoBias(Good):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = torch.nn.Linear(n_inputs, n_classes, bias=False)


class HardCoded(Good):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = torch.nn.Linear(784, 10)


class NoFlatten(Good):
    def forward(self, x):
        return self.linear(x)


def test_softmax_regression_model_checks():
    assert isinstance(F.check_softmax_regression_model(Good), Good)
    small = F.check_softmax_regression_model(Good, n_inputs=192, n_classes=4, image_shape=(3, 8, 8))
    assert small.linear.out_features == 4
    F.check_softmax_regression_model(unwrap(R.softmax_regression), n_inputs=5, n_classes=7, image_shape=(5,))
    fails_with(F.check_softmax_regression_model, Probabilities, hint="without softmax")
    fails_with(F.check_softmax_regression_model, LogProbabilities, hint="without log_softmax")
    fails_with(F.check_softmax_regression_model, HardCoded, n_inputs=192, n_classes=4, image_shape=(3, 8, 8),
               hint="use n_inputs and n_classes")
    fails_with(F.check_softmax_regression_model, NoBias, hint="bias is missing")
    fails_with(F.check_softmax_regression_model, NoFlatten, hint="flatten the input")
    fails_with(F.check_softmax_regression_model, lambda: "model", hint="subclass nn.Module")


def test_accuracy_check():
    F.check_accuracy(0.8, 0.75, "m")
    with pytest.raises(CheckFailure, match="0.600 is below 0.75"):
        F.check_accuracy(0.6, 0.75, "m")
    with pytest.raises(CheckFailure, match="float in"):
        F.check_accuracy(torch.tensor(0.8), 0.75, "m")
