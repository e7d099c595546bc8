"""Chapter 02 checks: the reference answers pass every check, every catalogued mistake fails with its
own hint, unimplemented and delegating answers get the right message, and each known wrong answer
(tests/chapters/wrong_answers/gradients.py) fails the chapter's own test cell while the solution passes it
(that last part for every chapter in tests/chapters/test_cells.py)."""
import math

import pytest
import torch
import torch.nn.functional as F

from helpers.grading.checks import CheckFailure
from helpers.chapters.gradients import checks as G
from helpers.chapters.gradients import answers as R
from tests.chapters.exercise_tools import failure_messages, names_mistake, unwrap


X64 = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
NUM_CASES = [("quadratic", X64, 0.1, 1e-9, 1e-9), ("sum_sq_sin", torch.tensor([0.5, -1.0, 2.0])),
             ("steep_exp", torch.tensor([0.1, 0.3, -0.2, 0.5], dtype=torch.float64))]
A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
THETA0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
g = torch.Generator().manual_seed(0)
O, Y = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
Z = torch.randn(5, 4, generator=g)
ONE_HOT = F.one_hot(torch.tensor([0, 3, 1, 1, 2]), 4).float()
SOFT = torch.softmax(torch.randn(5, 4, generator=g), dim=1)
UNNORM = 2 * torch.rand(5, 4, generator=g)
CE_CASES = [(Z, ONE_HOT), (Z, SOFT), (Z, UNNORM), (Z * 1000, ONE_HOT)]
XR, YR = G.regression_data(n=103, d=3)
SGD_CASES = [(XR, YR, 10, 0.05, 3, 0), (XR, YR, 16, 0.02, 4, 5)]


def test_reference_answers_pass_everything():
    for args in NUM_CASES + [("softmax_ce", torch.randn(6, 4, generator=g) * 2)]:
        G.check_numerical_grad(unwrap(R.numerical_grad), *args)
    for point in ((1.0, 2.0), (-3.5, 0.25), (0.0, -7.0)):
        G.check_grad_of_sum_of_squares(unwrap(R.grad_of_sum_of_squares), *point)
    dd = unwrap(R.directional_derivative)
    G.check_directional_derivative(dd, "sum_sq_sin", torch.tensor([0.5, -1.0], dtype=torch.float64),
                                   torch.tensor([3.0, 4.0], dtype=torch.float64))
    G.check_directional_derivative(dd, "steep_exp", torch.tensor([0.1, -0.2, 0.05]), torch.tensor([0.0, 0.0, 0.01]))
    G.check_steepest_ascent(dd, "quadratic", torch.tensor([1.0, -0.5, 0.25], dtype=torch.float64), n=300)
    G.check_gradient_descent(unwrap(R.gradient_descent), A, THETA0, 0.1, 20)
    G.check_gradient_descent(unwrap(R.gradient_descent), A, THETA0, 0.3, 0)
    G.check_gd_stability(unwrap(R.gradient_descent), A, THETA0)
    G.check_mse_grad(unwrap(R.mse_grad), O, Y)
    G.check_mse_grad(unwrap(R.mse_grad), O[:1].double(), Y[:1].double())
    for z, y in CE_CASES:
        G.check_softmax_ce_grad(unwrap(R.softmax_ce_grad), z, y)
    for args in SGD_CASES:
        G.check_minibatch_sgd_linreg(unwrap(R.minibatch_sgd_linreg), *args)
    G.check_sgd_full_batch_is_gd(unwrap(R.minibatch_sgd_linreg), XR, YR, 0.1, 20)
    X5, y5 = G.regression_data(n=200, d=5, seed=9)
    G.check_sgd_reaches_least_squares(unwrap(R.minibatch_sgd_linreg), X5, y5, 16, 0.05, 60)


@pytest.mark.parametrize("mistake", G.NUMERICAL_GRAD_MISTAKES, ids=lambda m: m.name)
def test_numerical_grad_mistakes_are_named(mistake):
    names_mistake(G.check_numerical_grad, mistake.variant, NUM_CASES, mistake.hint)


def test_forward_difference_fails_at_the_default_step_too():
    """The default-h visible case alone catches one-sided differences (tolerance 1e-6)."""
    assert failure_messages(G.check_numerical_grad, G.NUMERICAL_GRAD_MISTAKES[0].variant, NUM_CASES[1:2])


def test_numerical_grad_that_mutates_its_input_is_caught():
    def mutating(f, x, h=1e-6):
        out = unwrap(R.numerical_grad)(f, x, h)
        x.add_(h)
        return out
    names_mistake(G.check_numerical_grad, mutating, NUM_CASES[:1], "changed its argument `x` in place")


@pytest.mark.parametrize("mistake", G.DIRECTIONAL_MISTAKES, ids=lambda m: m.name)
def test_directional_mistakes_are_named(mistake):
    cases = [("sum_sq_sin", torch.tensor([0.5, -1.0], dtype=torch.float64), torch.tensor([3.0, 4.0], dtype=torch.float64))]
    names_mistake(G.check_directional_derivative, mistake.variant, cases, mistake.hint)


def test_unnormalized_direction_beats_the_gradient():
    unnormalized = G.DIRECTIONAL_MISTAKES[0].variant
    with pytest.raises(CheckFailure):
        G.check_steepest_ascent(lambda f, x, l: unnormalized(f, x, 3 * l), "quadratic",
                                torch.tensor([1.0, -0.5], dtype=torch.float64), n=100)


@pytest.mark.parametrize("mistake", G.GD_MISTAKES, ids=lambda m: m.name)
def test_gradient_descent_mistakes_are_named(mistake):
    names_mistake(G.check_gradient_descent, mistake.variant, [(A, THETA0, 0.1, 20)], mistake.hint)


@pytest.mark.parametrize("mistake", G.MSE_MISTAKES, ids=lambda m: m.name)
def test_mse_mistakes_are_named(mistake):
    names_mistake(G.check_mse_grad, mistake.variant, [(O, Y)], mistake.hint)


def test_mse_seed_formula_message_names_the_seed_error():
    msg = failure_messages(G.check_mse_grad, lambda o, y: o - y, [(O, Y)])[0]
    assert "1/2 sum (o - y)^2" in msg and "2 (o - y) / (N*d)" in msg


@pytest.mark.parametrize("mistake", G.CE_GRAD_MISTAKES, ids=lambda m: m.name)
def test_softmax_ce_mistakes_are_named(mistake):
    names_mistake(G.check_softmax_ce_grad, mistake.variant, CE_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", G.SGD_MISTAKES, ids=lambda m: m.name)
def test_sgd_mistakes_are_named(mistake):
    def student(*args):
        return mistake.variant(*args), G._sgd(*args)[1]
    names_mistake(G.check_minibatch_sgd_linreg, student, SGD_CASES, mistake.hint)


def test_sgd_step_count_mistakes_are_named():
    floor = lambda X, y, b, lr, e, s: (G._sgd(X, y, b, lr, e, s, drop_last=True))  # noqa: E731
    names_mistake(G.check_minibatch_sgd_linreg, floor, SGD_CASES, "ceil(N / batch_size)")
    assert math.ceil(103 / 10) * 3 == G._sgd(*SGD_CASES[0])[1] == R.steps_per_epoch(103, 10) * 3


def test_grad_of_sum_of_squares_messages():
    for fn, hint in ((lambda x0, y0: (2.0, 4.0), "only"), (lambda x0, y0: (float(x0), float(y0)), "the point itself"),
                     (lambda x0, y0: (torch.tensor(2 * x0), torch.tensor(2 * y0)), ".item()")):
        names_mistake(G.check_grad_of_sum_of_squares, fn, [(-3.5, 0.25)], hint)


def test_not_implemented_says_so():
    def todo(*args, **kwargs):
        raise NotImplementedError()
    calls = [lambda: G.check_numerical_grad(todo, *NUM_CASES[0]),
             lambda: G.check_grad_of_sum_of_squares(todo, 1.0, 2.0),
             lambda: G.check_directional_derivative(todo, "sum_sq_sin", THETA0, THETA0),
             lambda: G.check_steepest_ascent(todo, "sum_sq_sin", THETA0),
             lambda: G.check_gradient_descent(todo, A, THETA0, 0.1, 3),
             lambda: G.check_mse_grad(todo, O, Y),
             lambda: G.check_softmax_ce_grad(todo, Z, ONE_HOT),
             lambda: G.check_minibatch_sgd_linreg(todo, *SGD_CASES[0])]
    for call in calls:
        with pytest.raises(CheckFailure, match="not implemented yet"):
            call()


def test_reference_and_library_calls_are_refused():
    with pytest.raises(CheckFailure, match="helpers.chapters.gradients.answers.mse_grad"):
        G.check_mse_grad(lambda o, y: R.mse_grad(o, y), O, Y)
    with pytest.raises(CheckFailure, match="helpers.chapters.gradients.answers.minibatch_sgd_linreg"):
        G.check_minibatch_sgd_linreg(lambda *a: R.minibatch_sgd_linreg(*a), *SGD_CASES[0])

    def by_autograd(z, y):
        z = z.detach().clone().requires_grad_(True)
        G.ce_loss(z, y).backward()
        return z.grad
    with pytest.raises(CheckFailure, match="torch.Tensor.backward"):
        G.check_softmax_ce_grad(by_autograd, Z, ONE_HOT)
    assert torch.Tensor.backward.__name__ == "backward"      # restored after the check
