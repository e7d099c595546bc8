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
REL_CASES = [(torch.tensor([1.0, -2.0, 0.0, 1e-3], dtype=torch.float64), torch.tensor([1.1, -2.5, 0.0, 2e-3], dtype=torch.float64)),
             (torch.tensor([0.5, -3.0, 2.0]), torch.tensor([0.0, -3.0, 2.5])),
             (torch.tensor([-4.0, -1.0]), torch.tensor([-5.0, -1.0])),
             (torch.tensor([1e4, 1e-3]), torch.tensor([1e4, -1e-3]))]
LIN_CASES = [G.linreg_problem(8, 3, 0, torch.float32), G.linreg_problem(50, 6, 1, bias=-1.5), G.linreg_problem(4, 4, 2)]
SOFTREG_CASES = [G.softmax_regression_problem(6, 5, 4, 0, torch.float32), G.softmax_regression_problem(9, 3, 5, 1),
                 G.softmax_regression_problem(7, 4, 3, 2, soft=True), G.softmax_regression_problem(5, 4, 3, 3, scale=30.0),
                 G.softmax_regression_problem(4, 6, 10, 4, torch.float32, scale=6.0)]
Z = torch.randn(5, 4, generator=g)
ONE_HOT = F.one_hot(torch.tensor([0, 3, 1, 1, 2]), 4).float()
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
    for a, b in REL_CASES:
        G.check_relative_error(unwrap(R.relative_error), a, b)
    G.check_relative_error(unwrap(R.relative_error), torch.tensor([0.0, 2.0]), torch.tensor([1e-6, 2.0]), tiny=1e-3)
    for args in LIN_CASES + [G.linreg_problem(1, 5, 3, torch.float32)]:
        G.check_linreg_grads(unwrap(R.linreg_grads), *args)
    for args in SOFTREG_CASES + [G.softmax_regression_problem(1, 2, 4, 5, soft=True)]:
        G.check_softmax_regression_grads(unwrap(R.softmax_regression_grads), *args)
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


def steepest_messages(fn, x=torch.tensor([0.5, -1.0], dtype=torch.float64)) -> str:
    with pytest.raises(CheckFailure) as err:
        G.check_steepest_ascent(fn, "sum_sq_sin", x, n=200)
    return str(err.value)


@pytest.mark.parametrize("mistake", G.DIRECTIONAL_MISTAKES[1:], ids=lambda m: m.name)
def test_steepest_ascent_names_only_the_matching_mistake(mistake):
    """On unit directions the not-normalized hint cannot be true; on l = 3 grad f (|grad f| = 1.57 here)
    cosine-only returns 1, which is not the not-normalized value 3 |grad f|^2."""
    message = steepest_messages(mistake.variant)
    assert mistake.hint in message
    assert all(other.hint not in message for other in G.DIRECTIONAL_MISTAKES if other is not mistake)


def test_steepest_ascent_unnormalized_on_the_long_probe_is_named():
    message = steepest_messages(G.DIRECTIONAL_MISTAKES[0].variant)      # unit directions pass; l = 3 grad f does not
    assert "along l = 3 grad f" in message and G.DIRECTIONAL_MISTAKES[0].hint in message


def test_steepest_ascent_gives_no_hint_for_an_unknown_mistake():
    message = steepest_messages(lambda f, x, l: 2 * unwrap(R.directional_derivative)(f, x, l))
    assert all(m.hint not in message for m in G.DIRECTIONAL_MISTAKES)


def test_gd_stability_names_ascent_only_for_ascent():
    ascent = G.GD_MISTAKES[1].variant
    assert G.GD_MISTAKES[1].hint in failure_messages(G.check_gd_stability, ascent, [(A, THETA0)])[0]
    too_slow = lambda g, t, lr, n: unwrap(R.gradient_descent)(g, t, lr / 1000, n)     # converges too slowly
    message = failure_messages(G.check_gd_stability, too_slow, [(A, THETA0)])[0]
    assert "should shrink" in message and G.GD_MISTAKES[1].hint not in message


@pytest.mark.parametrize("mistake", G.GD_MISTAKES, ids=lambda m: m.name)
def test_gradient_descent_mistakes_are_named(mistake):
    names_mistake(G.check_gradient_descent, mistake.variant, [(A, THETA0, 0.1, 20)], mistake.hint)


@pytest.mark.parametrize("mistake", G.RELATIVE_ERROR_MISTAKES, ids=lambda m: m.name)
def test_relative_error_mistakes_are_named(mistake):
    names_mistake(G.check_relative_error, mistake.variant, REL_CASES, mistake.hint)


def test_relative_error_must_be_a_float():
    names_mistake(G.check_relative_error, lambda a, b, tiny=1e-12: torch.tensor(unwrap(R.relative_error)(a, b)),
                  REL_CASES[:1], "float(...)")


def test_relative_error_reading_of_a_numerical_gradient_in_the_message():
    """check_numerical_grad's failure says the relative error and what it means."""
    msg = failure_messages(G.check_numerical_grad, G.NUMERICAL_GRAD_MISTAKES[1].variant, NUM_CASES[:1])[0]
    assert "relative error to autograd" in msg and "a wrong gradient" in msg


@pytest.mark.parametrize("mistake", G.LINREG_MISTAKES, ids=lambda m: m.name)
def test_linreg_mistakes_are_named(mistake):
    names_mistake(G.check_linreg_grads, mistake.variant, LIN_CASES, mistake.hint)


def test_linreg_gradient_wrt_predictions_is_named():
    def wrt_prediction(X, y, w, b):
        r = X @ w + b - y
        return 2 * r / len(y), 2 * r.mean()
    names_mistake(G.check_linreg_grads, wrt_prediction, LIN_CASES[:1], "gradient with respect to the N predictions")

    def bias_per_example(X, y, w, b):
        r = X @ w + b - y
        return 2 * X.T @ r / len(y), 2 * r / len(y)
    names_mistake(G.check_linreg_grads, bias_per_example, LIN_CASES[:1], "one value per example")


@pytest.mark.parametrize("mistake", G.SOFTREG_MISTAKES, ids=lambda m: m.name)
def test_softmax_regression_mistakes_are_named(mistake):
    names_mistake(G.check_softmax_regression_grads, mistake.variant, SOFTREG_CASES, mistake.hint)


def test_softmax_regression_logit_gradient_is_named():
    def wrt_logits(X, Y, W, b):
        G_ = (torch.softmax(X @ W + b, dim=1) - Y) / len(X)
        return G_, G_.sum(0)
    names_mistake(G.check_softmax_regression_grads, wrt_logits, SOFTREG_CASES[:1], "gradient with respect to the (N, K) logits")


def test_overflow_cases_are_past_float64_exp():
    X, Y, W, b = SOFTREG_CASES[3]
    assert X.dtype == torch.float64 and float((X @ W + b).abs().max()) > 710       # exp overflows float64 there
    assert not torch.isfinite(torch.exp(X @ W + b)).all()


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
             lambda: G.check_relative_error(todo, *REL_CASES[0]),
             lambda: G.check_linreg_grads(todo, *LIN_CASES[0]),
             lambda: G.check_softmax_regression_grads(todo, *SOFTREG_CASES[0]),
             lambda: G.check_minibatch_sgd_linreg(todo, *SGD_CASES[0])]
    for call in calls:
        with pytest.raises(CheckFailure, match="not implemented yet"):
            call()


def test_reference_and_library_calls_are_refused():
    with pytest.raises(CheckFailure, match="helpers.chapters.gradients.answers.linreg_grads"):
        G.check_linreg_grads(lambda *a: R.linreg_grads(*a), *LIN_CASES[0])
    with pytest.raises(CheckFailure, match="helpers.chapters.gradients.answers.relative_error"):
        G.check_relative_error(lambda a, b: R.relative_error(a, b), *REL_CASES[0])
    with pytest.raises(CheckFailure, match="helpers.chapters.gradients.answers.minibatch_sgd_linreg"):
        G.check_minibatch_sgd_linreg(lambda *a: R.minibatch_sgd_linreg(*a), *SGD_CASES[0])

    def by_autograd(X, Y, W, b):
        W, b = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
        G.ce_loss(X @ W + b, Y).backward()
        return W.grad, b.grad
    with pytest.raises(CheckFailure, match="torch.Tensor.backward"):
        G.check_softmax_regression_grads(by_autograd, *SOFTREG_CASES[0])
    assert torch.Tensor.backward.__name__ == "backward"      # restored after the check


def test_gradients_in_another_dtype_fail():
    def float32_always(X, y, w, b):
        gw, gb = unwrap(R.linreg_grads)(X, y, w, b)
        return gw.float(), gb.float()
    names_mistake(G.check_linreg_grads, float32_always, LIN_CASES[1:2], "dtype")

    def float64_always(X, Y, W, b):
        gW, gb = unwrap(R.softmax_regression_grads)(X.double(), Y.double(), W.double(), b.double())
        return gW, gb
    names_mistake(G.check_softmax_regression_grads, float64_always, SOFTREG_CASES[:1], "dtype")


def test_matrix_products_with_the_wrong_transpose_get_a_hint():
    def x_not_transposed(X, y, w, b):
        r = X @ w + b - y
        return 2 * X @ r / len(y), 2 * r.mean()
    names_mistake(G.check_linreg_grads, x_not_transposed, LIN_CASES[:1], "X.T @ r")
    names_mistake(G.check_linreg_grads, x_not_transposed, LIN_CASES[2:3], G.LINREG_MISTAKES[3].hint)   # square X

    def g_times_x(X, Y, W, b):
        G_ = (torch.softmax(X @ W + b, dim=1) - Y) / len(X)
        return X @ G_, G_.sum(0)
    names_mistake(G.check_softmax_regression_grads, g_times_x, SOFTREG_CASES[:1], "X.T @ dL/dZ")


def test_relative_error_divided_by_floored_b_is_named():
    def floored(a, b, tiny=1e-12):
        a, b = a.double(), b.double()
        return float(((a - b).abs() / b.abs().clamp(min=tiny)).max())
    names_mistake(G.check_relative_error, floored, REL_CASES, "max(|b|, tiny) only")
