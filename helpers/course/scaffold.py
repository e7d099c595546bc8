"""`dlcourse new-chapter NN-name "Title"`: a chapter skeleton that releases and grades at once.

It writes, for chapter id ``NN-name`` (package ``name``, dashes as underscores):

    source/NN-name/NN-name.ipynb                 setup cell, a lesson section with a figure, one
                                                 exercise with a visible and a hidden test, a summary
    helpers/chapters/name/__init__.py            the chapter's title
    helpers/chapters/name/demos.py               a figure and a widget (logic as plain functions)
    helpers/chapters/name/answers.py             the reference answer (refused inside its exercise)
    helpers/chapters/name/checks.py              the exercise's check and its catalogue of mistakes
    tests/chapters/wrong_answers/name.py         one known wrong answer
    tests/chapters/test_name.py                  unit tests of the check

Nothing is registered anywhere else: the course finds the chapter from its id. Then `make release`
writes notebooks/ and solutions/, and `make test` covers it (nbval, the in-process test cells, the
nbgrader round trip). Existing files are never overwritten.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.chapters import package_name
from helpers.course import paths


def _nbgrader(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def notebook(chapter: str, title: str) -> nbformat.NotebookNode:
    """The skeleton's source notebook, in the course's pattern."""
    number, name = chapter.split("-", 1)[0], package_name(chapter)
    cells = [
        new_markdown_cell(f"# Chapter {number} — {title}\n\n"
                          "What this chapter teaches, in two or three sentences, and what the reader will be able to do.\n\n"
                          "**How the exercises work.** Cells marked `# YOUR CODE HERE` are yours. The cell after each one is\n"
                          "a test: run it, and if something is wrong its message says what and, often, the likely mistake.\n"
                          "When you submit, hidden tests with other inputs run as well."),
        new_code_cell("import torch\n\n"
                      "from helpers import notebook_setup\n"
                      f"from helpers.chapters.{name} import demos\n\n"
                      "DEVICE = notebook_setup(seed=0)   # seeds everything; CUDA if there is a GPU, else Apple MPS, else CPU",
                      metadata=_nbgrader("setup", locked=True)),
        new_markdown_cell("## 1. A first idea\n\n"
                          "Explain one concept in your own words, with the formula it rests on. For a model\n"
                          "$\\hat y = f(x)$ the mean squared error over $N$ examples is\n\n"
                          "$$L = \\frac1N \\sum_{i=1}^N (\\hat y_i - y_i)^2 .$$\n\n"
                          "Move the slider: the figure shows the loss of the constant prediction $c$."),
        new_code_cell("demos.loss_explorer()"),
        new_markdown_cell("### Exercise 1 — the mean squared error (1 point)\n\n"
                          "Write `mse(y_hat, y)`: the mean of the squared differences over every entry, as a 0-d tensor."),
        new_code_cell('def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:\n'
                      '    """Mean of (y_hat - y)**2 over all entries.  y_hat, y: same shape -> 0-d tensor."""\n'
                      "    ### BEGIN SOLUTION\n"
                      "    return ((y_hat - y) ** 2).mean()\n"
                      "    ### END SOLUTION",
                      metadata=_nbgrader("ex-mse", solution=True)),
        new_code_cell('"""mse: the mean (not the sum) of squared differences, as a 0-d tensor of the inputs\' dtype."""\n'
                      f"from helpers.chapters.{name} import checks as check\n\n"
                      "check.check_mse(mse, torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 1.0, 1.0]))\n"
                      "### BEGIN HIDDEN TESTS\n"
                      "g = torch.Generator().manual_seed(0)\n"
                      "check.check_mse(mse, torch.randn(5, 4, generator=g, dtype=torch.float64),\n"
                      "                torch.randn(5, 4, generator=g, dtype=torch.float64))\n"
                      "### END HIDDEN TESTS",
                      metadata=_nbgrader("test-mse", grade=True, locked=True, points=1)),
        new_markdown_cell("## Summary\n\n* One line per idea the chapter taught."),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}, "title": f"{number} {title}"}
    return nb


def _modules(chapter: str, title: str) -> dict[str, str]:
    """{path relative to the course root: text} of the chapter's Python files."""
    name = package_name(chapter)
    number = chapter.split("-", 1)[0]
    pkg = f"helpers.chapters.{name}"
    return {
        f"helpers/chapters/{name}/__init__.py": f'"""Chapter {number}: {title} (demos, answers, checks)."""\n',
        f"helpers/chapters/{name}/demos.py": f'''"""Chapter {number}'s figures and widgets. The logic is plain functions the tests call; the
widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from helpers.plots import figure

Y = torch.tensor([1.0, 2.0, 4.0, 7.0])     # the targets the demo fits a constant to


def constant_losses(cs: torch.Tensor, y: torch.Tensor = Y) -> torch.Tensor:
    """The mean squared error of predicting the constant c for every target. cs: (M,) -> (M,)."""
    return ((cs[:, None] - y[None, :]) ** 2).mean(dim=1)    # (M, N) -> (M,)


@figure
def loss_curve(c: float, y: torch.Tensor = Y):
    """L(c) over a range of constants, the current c marked and the minimiser (the mean) shown."""
    cs = torch.linspace(float(y.min()) - 2, float(y.max()) + 2, 200)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(cs, constant_losses(cs, y), lw=2)
    ax.plot([c], constant_losses(torch.tensor([c]), y), "o", color="C3")
    ax.axvline(float(y.mean()), color="k", lw=0.8, ls="--")
    ax.set(xlabel="constant prediction c", ylabel="mean squared error",
           title=f"c = {{c:.2f}}: L = {{float(constant_losses(torch.tensor([c]), y)):.3f}} (minimum at the mean)")
    fig.tight_layout()
    return fig


def loss_explorer():
    """A slider for c and the loss curve redrawn as it moves."""
    import ipywidgets as W

    from helpers.widgets import live_output

    c = W.FloatSlider(value=0.0, min=-1.0, max=9.0, step=0.1, description="c")
    return W.VBox([c, live_output(lambda: loss_curve(c.value), (c,))])
''',
        f"helpers/chapters/{name}/answers.py": f'''"""Chapter {number}'s reference answers. While an exercise is graded its own answer here refuses
to run (helpers.grading.guard); later chapters may call them (add the ones they build on to
helpers.kernels). Device-agnostic torch."""
import torch

from helpers.grading.guard import reference


@reference
def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean of (y_hat - y)**2 over all entries. y_hat, y: same shape -> 0-d tensor."""
    return ((y_hat - y) ** 2).mean()
''',
        f"helpers/chapters/{name}/checks.py": f'''"""Checks for chapter {number}'s test cells, with each exercise's catalogue of known mistakes.

Every ``check_*`` raises helpers.grading.checks.CheckFailure with a message for the student, or
returns None. Compute expected values from copies of the inputs, never from what the student's
function may have changed.
"""
from __future__ import annotations

import torch

from {pkg} import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

MSE_FORBIDDEN = ("torch.nn.functional.mse_loss", answers.mse)

MSE_MISTAKES = (
    Mistake("sum-not-mean", "you summed the squared errors: divide by the number of entries (use .mean()).",
            lambda y_hat, y: ((y_hat - y) ** 2).sum()),
    Mistake("no-square", "the errors are not squared: (y_hat - y) ** 2, then the mean.",
            lambda y_hat, y: (y_hat - y).mean()),
)


def check_mse(mse, y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """mse(y_hat, y) is the mean of the squared differences, a 0-d tensor of the inputs' dtype."""
    what = f"mse on {{checks.describe(y_hat)}}"
    out = checks.call(mse, y_hat.clone(), y.clone(), what=what, forbidden=MSE_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=y_hat.dtype)
    expected = ((y_hat.double() - y.double()) ** 2).mean().to(y_hat.dtype)
    checks.expect_close(out, expected, what=what, mistakes=MSE_MISTAKES, args=(y_hat, y))
''',
        f"tests/chapters/wrong_answers/{name}.py": f'''"""Chapter {number}'s wrong answers: {{solution cell grade_id: {{name: code}}}} (see __init__.py)."""

WRONG = {{
    "ex-mse": {{
        "sum-not-mean": \'\'\'
def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum()
\'\'\',
    }},
}}
''',
        f"tests/chapters/test_{name}.py": f'''"""Chapter {number} checks: the reference passes, and every catalogued mistake fails with its own hint."""
import pytest
import torch

from {pkg} import answers, checks as C
from {pkg} import demos
from tests.chapters.exercise_tools import names_mistake, unwrap

CASES = [(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 1.0, 1.0])),
         (torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64))]


def test_reference_passes():
    for args in CASES:
        C.check_mse(unwrap(answers.mse), *args)


@pytest.mark.parametrize("mistake", C.MSE_MISTAKES, ids=lambda m: m.name)
def test_mistakes_are_named(mistake):
    names_mistake(C.check_mse, mistake.variant, CASES, mistake.hint)


def test_constant_losses_are_smallest_at_the_mean():
    cs = torch.linspace(0, 8, 801)
    assert float(cs[demos.constant_losses(cs).argmin()]) == pytest.approx(float(demos.Y.mean()), abs=0.01)
''',
    }


def new_chapter(root: Path, chapter: str, title: str) -> list[Path]:
    """Write the skeleton of ``chapter`` under ``root``; returns the files written."""
    name = package_name(chapter)                              # validates the id
    if not title.strip():
        raise ValueError("give the chapter a title, e.g. \"Convolutional networks\"")
    number = chapter.split("-", 1)[0]
    taken = [c for c in paths.chapters(root) if c.split("-", 1)[0] == number or package_name(c) == name]
    if taken:
        raise FileExistsError(f"chapter {chapter} would clash with {taken[0]} (same number or name)")
    files = {f"source/{chapter}/{chapter}.ipynb": nbformat.writes(notebook(chapter, title)) + "\n",
             **_modules(chapter, title)}
    existing = [p for p in files if (root / p).exists()]
    if existing:
        raise FileExistsError(f"{existing[0]} exists already; nothing was written")
    written = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
