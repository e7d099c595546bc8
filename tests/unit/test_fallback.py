"""helpers.fallback: a demo runs on the student's function once written, on the reference before."""
import pytest

from helpers.fallback import yours_if_defined, yours_or_reference


def unsolved(x):
    raise NotImplementedError()


def test_unsolved_exercise_runs_on_the_reference_and_says_so_once(capsys):
    run = yours_or_reference(unsolved, lambda x: x + 1, name="stable_softmax")
    assert [run(1), run(2)] == [2, 3]
    out = capsys.readouterr().out
    assert out.count("stable_softmax is not written yet") == 1 and "reference" in out


def test_solved_exercise_runs_on_the_students_function(capsys):
    run = yours_or_reference(lambda x: x * 10, lambda x: x + 1, name="f")
    assert [run(1), run(2)] == [10, 20]
    assert capsys.readouterr().out.count("this demo uses your f") == 1


def test_other_errors_are_the_students_to_see():
    def broken(x):
        raise ValueError("shapes")
    with pytest.raises(ValueError, match="shapes"):
        yours_or_reference(broken, lambda x: x)(1)


def test_yours_if_defined_falls_back_when_the_exercise_has_not_run(capsys):
    reference = lambda x: x + 1
    assert yours_if_defined({}, "softmax_regression_grads", reference) is reference
    assert "not defined in this session" in capsys.readouterr().out
    mine = yours_if_defined({"softmax_regression_grads": lambda x: 2 * x}, "softmax_regression_grads", reference)
    assert mine(3) == 6 and "your softmax_regression_grads" in capsys.readouterr().out

    def blank(x):
        raise NotImplementedError()
    assert yours_if_defined({"softmax_regression_grads": blank}, "softmax_regression_grads", reference)(3) == 4
