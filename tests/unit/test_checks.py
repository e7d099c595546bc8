"""helpers.grading.checks and helpers.grading.guard: messages that name the problem, forbidden calls, gradients."""
import pytest
import torch
import torch.nn.functional as F

from helpers import kernels
from helpers.chapters.foundations import answers
from helpers.grading import checks
from helpers.grading.checks import CheckFailure, Mistake


def test_expect_close_passes_and_names_the_worst_entry():
    checks.expect_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]), what="x")
    with pytest.raises(CheckFailure, match=r"x: expected .* largest error is 0.5 at index \(1,\)"):
        checks.expect_close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), what="x")


def test_expect_close_reports_shape_and_type_problems():
    with pytest.raises(CheckFailure, match=r"expected shape \(3,\), got \(\)"):
        checks.expect_close(torch.tensor(1.0), torch.ones(3), what="f")
    with pytest.raises(CheckFailure, match="reduced over everything"):
        checks.expect_close(torch.tensor(1.0), torch.ones(3), what="f")
    with pytest.raises(CheckFailure, match="expected a torch.Tensor, got list"):
        checks.expect_close([1.0], torch.ones(1), what="f")
    with pytest.raises(CheckFailure, match="transpose of the right one"):
        checks.expect_close(torch.arange(6.0).reshape(2, 3).T, torch.arange(6.0).reshape(2, 3), what="f")
    with pytest.raises(CheckFailure, match="axes are swapped"):   # not a transpose of the values
        checks.expect_close(torch.ones(3, 2), torch.arange(6.0).reshape(2, 3), what="f")


def test_expect_close_reports_non_finite_values():
    with pytest.raises(CheckFailure, match=r"1 of 3 entries are not finite \(first: nan at index \(2,\)\)"):
        checks.expect_close(torch.tensor([0.0, 1.0, float("nan")]), torch.zeros(3), what="f")


def test_generic_relations_are_named():
    e = torch.tensor([1.0, 2.0, 3.0])
    with pytest.raises(CheckFailure, match="twice the right one"):
        checks.expect_close(2 * e, e, what="f")
    with pytest.raises(CheckFailure, match="sign is flipped"):
        checks.expect_close(-e, e, what="f")
    with pytest.raises(CheckFailure, match="off by the same 0.5"):
        checks.expect_close(e + 0.5, e, what="f")


def test_catalogued_mistake_wins_over_generic_hints():
    square = Mistake("times-two", "you doubled it", lambda x: 2 * x)
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(CheckFailure, match="Likely mistake: you doubled it"):
        checks.expect_close(2 * x, x, what="f", mistakes=[square], args=(x,))


def test_diagnose_ignores_variants_that_crash_or_differ():
    crash = Mistake("crash", "never", lambda x: 1 / 0)
    other = Mistake("other", "never", lambda x: x + 100)
    assert checks.diagnose(torch.ones(2), [crash, other], (torch.ones(2),), {}) is None


def test_infinite_and_finite_outputs_are_not_confused():
    inf_variant = Mistake("inf", "infinite", lambda x: torch.full_like(x, float("inf")))
    assert checks.diagnose(torch.ones(2), [inf_variant], (torch.ones(2),), {}) is None
    assert checks.diagnose(torch.full((2,), float("inf")), [inf_variant], (torch.ones(2),), {}) == "infinite"


def test_expect_equal_checks_type_and_value():
    checks.expect_equal(3, 3, what="n")
    with pytest.raises(CheckFailure, match="expected type int, got float"):
        checks.expect_equal(3.0, 3, what="n")
    with pytest.raises(CheckFailure, match="expected 3, got 4"):
        checks.expect_equal(4, 3, what="n")


def test_call_turns_errors_into_messages():
    def todo(x):
        raise NotImplementedError()

    def buggy(x):
        return x @ torch.ones(5, 5)

    with pytest.raises(CheckFailure, match="not implemented yet"):
        checks.call(todo, 1, what="f")
    with pytest.raises(CheckFailure, match="(?s)raised RuntimeError.*Likely mistake: a matrix product"):
        checks.call(buggy, torch.ones(2, 3), what="f")
    with pytest.raises(CheckFailure, match="expected a function"):
        checks.call(42, what="f")


def test_call_blocks_library_and_reference_functions_and_restores_them():
    original_softmax, original_method = torch.softmax, torch.Tensor.softmax
    z = torch.randn(3)
    with pytest.raises(CheckFailure, match="calls torch.softmax"):
        checks.call(lambda z: torch.softmax(z, 0), z, what="f", forbidden=("torch.softmax",))
    with pytest.raises(CheckFailure, match="calls torch.Tensor.softmax"):
        checks.call(lambda z: z.softmax(0), z, what="f", forbidden=("torch.Tensor.softmax",))
    with pytest.raises(CheckFailure, match="calls helpers.chapters.foundations.answers.softmax"):
        checks.call(lambda z: answers.softmax(z), z, what="f", forbidden=(answers.softmax,))
    assert torch.softmax is original_softmax and torch.Tensor.softmax is original_method
    assert "softmax" not in vars(torch.Tensor)          # inherited method left inherited
    assert torch.allclose(answers.softmax(z), torch.softmax(z, 0))   # usable again outside
    assert answers.softmax is kernels.softmax                    # never patched, only refused


def test_the_answer_is_refused_under_any_name_it_is_imported_by():
    from helpers.kernels import sigmoid as my_sigmoid  # a student's alias
    with pytest.raises(CheckFailure, match="helpers.chapters.foundations.answers.sigmoid"):
        checks.call(lambda x: my_sigmoid(x), torch.zeros(2), what="f", forbidden=(answers.sigmoid,))


def test_other_references_stay_callable_inside_a_graded_call():
    """A later chapter's exercise builds on chapter 01's softmax and chapter 03's linear layer; only
    the answer of the exercise being graded (and the library functions it names) is refused."""
    from helpers.chapters.backprop import answers as backprop
    x, W, b = torch.randn(4, 3), torch.randn(2, 3), torch.randn(2)

    def classifier(x, W, b):                      # a student's answer to some later exercise
        return kernels.softmax(kernels.linear_forward(x, W, b), dim=-1)

    out = checks.call(classifier, x, W, b, what="classifier",
                      forbidden=("torch.nn.functional.linear", backprop.loss_and_grads))
    assert torch.allclose(out, torch.softmax(x @ W.T + b, dim=-1))
    with pytest.raises(CheckFailure, match="calls helpers.chapters.backprop.answers.linear_forward"):
        checks.call(classifier, x, W, b, what="classifier", forbidden=(backprop.linear_forward,))


def test_references_nested_in_an_allowed_kernel_are_refused_when_named():
    """cross_entropy_from_logits calls log_softmax inside: naming log_softmax refuses it there too."""
    logits, target = torch.randn(3, 4), torch.tensor([0, 1, 2])
    with pytest.raises(CheckFailure, match="answers.log_softmax"):
        checks.call(kernels.cross_entropy_from_logits, logits, target, what="ce", forbidden=(answers.log_softmax,))


def test_forbidding_something_that_is_no_reference_is_a_clear_error():
    with pytest.raises(TypeError, match="give a dotted name or a @reference function"):
        checks.call(lambda: 1, what="f", forbidden=(len,))


def test_a_reference_names_the_student_function_it_answers():
    from helpers.grading.guard import reference_name
    assert answers.sigmoid.student_name == "stable_sigmoid"
    assert answers.entropy.student_name == "entropy"
    assert reference_name(answers.sigmoid) == "helpers.chapters.foundations.answers.sigmoid"
    assert reference_name(torch.sigmoid) is None


def test_swallowing_the_forbidden_call_does_not_help():
    def sneaky(z):
        try:
            return F.softmax(z, 0)
        except BaseException:
            return z.exp() / z.exp().sum()
    with pytest.raises(CheckFailure, match="hides the error"):
        checks.call(sneaky, torch.randn(3), what="f", forbidden=("torch.nn.functional.softmax",))


def test_numerical_gradient_matches_autograd():
    x = torch.randn(4, 3, dtype=torch.float64)

    def f(t):
        return (t ** 2).sum() + torch.sin(t[0, 0] * t[1, 1])

    x_ = x.clone().requires_grad_(True)
    f(x_).backward()
    assert torch.allclose(checks.numerical_gradient(f, x), x_.grad, atol=1e-6)


def test_fmt_is_short():
    assert checks.fmt(torch.arange(100.0)).endswith("…]) with shape (100,)")
    assert checks.fmt(torch.tensor(2.5)) == "tensor(2.5)"


@pytest.mark.filterwarnings("ignore:Converting a tensor")
def test_expect_gradient_accepts_right_and_rejects_wrong_backward():
    class WrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x          # should be 2 x

    x = torch.randn(5, dtype=torch.float64)
    checks.expect_gradient(lambda t: (t ** 2).sum(), x, what="sum of squares")
    with pytest.raises(CheckFailure, match="half the right one: a factor 2 is missing"):
        checks.expect_gradient(lambda t: WrongSquare.apply(t).sum(), x, what="custom square")
    with pytest.raises(CheckFailure, match="not connected"):
        checks.expect_gradient(lambda t: torch.tensor(float((t ** 2).sum())), x, what="detached")
