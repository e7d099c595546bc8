"""A class of bad submissions, graded in one `dlcourse autograde` run (two workers) of the fixture
chapter (chapter 01's exercises without its lesson, tests/grading/fixture.py).

Each student below breaks something: an endless loop, a dying kernel, a memory bomb, deleted,
duplicated or reordered cells, edited tests or grading metadata, tampering with the checks, calls
to the reference code, answers hard-coded to the visible test, files that are no notebook at all,
gigantic output. For each we assert the exact points per test cell (no false pass, and no
exercise lost that the student did not break) and the message the student and the instructor see.
A student graded before the run keeps their gradebook rows.
"""
from __future__ import annotations

import copy
import json

import nbformat
import pytest

from helpers.course import grading, parallel, paths
from tests.grading.fixture import CHAPTER

pytestmark = pytest.mark.slow

TIMEOUT_S = 8           # the course's limit is 120 s per cell; the test shortens it
MEMORY_GB = 3           # the course caps a grading kernel at 6 GiB; filling 3 fits in TIMEOUT_S
WRONG_SOFTMAX = "def stable_softmax(z, dim=-1):\n    return z\n"
TAMPERED = "Grading note: code in this notebook had replaced"


def index_of(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


# Each builder takes the worked solution and returns the submission (a notebook, or a file's text).

def solution(sol):
    return sol


def answer(grade_id, code):
    return lambda sol: grading.replace_cell(sol, grade_id, code)


def tamper(code):
    """The wrong softmax, plus code that tries to make its failing test pass."""
    return answer("ex-softmax", WRONG_SOFTMAX + code)


def edit(change):
    def build(sol):
        nb = copy.deepcopy(sol)
        change(nb)
        return nb
    return build


def delete(grade_id):
    return edit(lambda nb: nb.cells.pop(index_of(nb, grade_id)))


def duplicate(grade_id, source=None):
    def change(nb):
        i = index_of(nb, grade_id)
        twin = copy.deepcopy(nb.cells[i])
        twin.source = source if source is not None else twin.source
        nb.cells.insert(i + 1, twin)
    return edit(change)


def swap(a, b):
    def change(nb):
        i, j = index_of(nb, a), index_of(nb, b)
        nb.cells[i], nb.cells[j] = nb.cells[j], nb.cells[i]
    return edit(change)


def set_test(grade_id, source, answer_code=WRONG_SOFTMAX):
    def change(nb):
        nb.cells[index_of(nb, "ex-softmax")].source = answer_code
        nb.cells[index_of(nb, grade_id)].source = source
    return edit(change)


def set_points(grade_id, points):
    return edit(lambda nb: nb.cells[index_of(nb, grade_id)].metadata["nbgrader"].update(points=points))


def raw(text):
    return lambda sol: text


def append_to_answer(grade_id, code):
    return lambda sol: grading.replace_cell(sol, grade_id, sol.cells[index_of(sol, grade_id)].source + code)


ALL = "all"
# student: (submission builder, test cells that must score 0, text the graded notebook must show)
CLASS = {
    "solution": (solution, set(), None),
    "endless-loop": (answer("ex-parameter-count", "def mlp_parameter_count(layer_sizes):\n    while True:\n        pass"),
                     {"test-parameter-count"}, "ran longer than the time limit"),
    "sleeps-past-timeout": (answer("ex-parameter-count", "import time\ntime.sleep(10**6)\n"
                                   "def mlp_parameter_count(layer_sizes):\n    return 0"),
                            {"test-parameter-count"}, "ran longer than the time limit"),
    "kernel-exit": (answer("ex-parameter-count", "import os\nos._exit(1)"), {"test-parameter-count"}, "kernel died"),
    "kernel-segfault": (answer("ex-parameter-count", "import ctypes\nctypes.string_at(0)"),
                        {"test-parameter-count"}, "kernel died"),
    # small pieces leave almost nothing under the cap: the traceback needs the kernel's reserve.
    # np.empty maps memory without touching it, so the cap is reached in well under a second even
    # on a loaded machine (zero-filled pieces took past TIMEOUT_S there, and the cell timed out)
    "memory-bomb": (answer("ex-parameter-count", "import numpy as np\nhoard = []\nwhile True:\n"
                                                 "    hoard.append(np.empty(2**20, dtype=np.uint8))"),
                    {"test-parameter-count"}, "ran out of memory (grading caps it at 3.0 GiB)"),
    "deleted-test-cell": (delete("test-softmax"), set(), "Deleted graded cells were restored"),
    "deleted-answer-cell": (delete("ex-softmax"), {"test-softmax"}, "not implemented yet"),
    "duplicated-test-cell": (duplicate("test-softmax"), set(), "A second copy of the read-only cell 'test-softmax'"),
    "duplicated-answer-cell": (duplicate("ex-softmax", WRONG_SOFTMAX), {"test-softmax"},
                               "A second copy of the answer cell 'ex-softmax'"),
    "reordered-cells": (swap("ex-softmax", "test-softmax"), set(), "put back in the assignment's order"),
    "edited-test-cell": (set_test("test-softmax", "from helpers.chapters.foundations import checks as check\n"
                                  "check.check_softmax(lambda z, dim=-1: torch.softmax(z, dim), torch.zeros(2, 3))"),
                         {"test-softmax"}, "stable_softmax"),
    "test-cell-pass": (set_test("test-softmax", "pass"), {"test-softmax"}, "stable_softmax"),
    "edited-points": (set_points("test-softmax", 100), set(), "grading metadata of cell 'test-softmax' had been edited"),
    "patched-checks": (tamper("import helpers.grading.checks as C\nC.expect_close = lambda *a, **k: None\n"
                              "C.expect_tensor = lambda value, **k: value"), {"test-softmax"}, TAMPERED),
    "patched-torch": (tamper("torch.Tensor.abs = lambda self: torch.zeros_like(self)\n"
                             "torch.isfinite = lambda x: torch.ones_like(x, dtype=torch.bool)"), {"test-softmax"}, TAMPERED),
    "fake-check-module": (tamper("import sys, types\nfake = types.ModuleType('fake')\n"
                                 "fake.check_softmax = lambda *a, **k: None\n"
                                 "sys.modules['helpers.chapters.foundations.checks'] = fake\n"
                                 "import helpers.chapters.foundations\nhelpers.chapters.foundations.checks = fake"), {"test-softmax"}, TAMPERED),
    "redefined-errors": (tamper("import builtins, helpers.grading.checks\nclass Quiet(Exception):\n    pass\n"
                                "builtins.AssertionError = Quiet\nhelpers.grading.checks.CheckFailure = Quiet"), {"test-softmax"}, TAMPERED),
    "swallowed-errors": (tamper("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"),
                         {"test-softmax"}, TAMPERED),
    "try-around-every-cell": (tamper("def wrap(lines):\n    return ['try:\\n'] + ['    ' + l for l in lines] + "
                                     "['\\nexcept BaseException:\\n    pass\\n']\n"
                                     "get_ipython().input_transformers_cleanup.append(wrap)"), {"test-softmax"}, TAMPERED),
    "honest-with-magics": (answer("ex-softmax", "%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n"
                                  "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\n" + WRONG_SOFTMAX),
                           {"test-softmax"}, "stable_softmax"),
    "calls-reference": (answer("ex-softmax", "from helpers.kernels import softmax\n\n"
                               "def stable_softmax(z, dim=-1):\n    return softmax(z, dim)"),
                        {"test-softmax"}, "helpers.chapters.foundations.answers.softmax"),
    "hard-coded": (answer("ex-softmax", "def stable_softmax(z, dim=-1):\n"   # the visible test's answer
                          "    row = torch.tensor([1.0, 2.0, 3.0]).exp()\n    return (row / row.sum()).repeat(2, 1)"),
                   {"test-softmax"}, "stable_softmax"),
    "gigantic-output": (append_to_answer("ex-softmax", "\nprint('x' * 10**7)"), set(), "output truncated"),
    "malformed-json": (raw('{"cells": [{"cell_type": "code", '), ALL, "not a readable Jupyter notebook"),
    "empty-file": (raw(""), ALL, "is an empty file"),
    "not-a-notebook": (raw("def stable_softmax(z):\n    return z\n"), ALL, "not a readable Jupyter notebook"),
    "old-nbformat": (lambda sol: nbformat.writes(nbformat.convert(sol, 3), version=3), set(),
                     "old nbformat 3 format"),
    "wrong-file-name": (solution, set(), "was named my-work.ipynb"),
}


def hand_in(course, student, built):
    folder = course / "submitted" / student / CHAPTER
    folder.mkdir(parents=True, exist_ok=True)
    name = "my-work.ipynb" if student == "wrong-file-name" else f"{CHAPTER}.ipynb"
    (folder / name).write_text(built if isinstance(built, str) else nbformat.writes(built))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, fixture_root):
    """One run over the whole bad class, after an earlier student was graded on their own."""
    course = grading.course_copy(fixture_root, tmp_path_factory.mktemp("bad-class"), [CHAPTER])
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.Execute.timeout = {TIMEOUT_S}\n"
                      f"c.GuardedExecute.memory_limit_gb = {MEMORY_GB}\n")
    grading.generate(course, CHAPTER)
    grading.submit(course, CHAPTER, "graded-earlier", paths.notebook(fixture_root, "solutions", CHAPTER))
    parallel.autograde_class(course, CHAPTER, workers=1, progress=False)
    earlier = grading.scores(course, CHAPTER)["graded-earlier"]
    sol = nbformat.read(paths.notebook(fixture_root, "solutions", CHAPTER), as_version=4)
    for student, (build, _, _) in CLASS.items():
        hand_in(course, student, build(sol))
    outcomes = parallel.autograde_class(course, CHAPTER, workers=2, students=sorted(CLASS), progress=False)
    return course, {o.student: o for o in outcomes}, earlier


def shown_text(course, student) -> str:
    """Everything the graded notebook shows: cell sources, outputs and error messages."""
    nb = json.loads(paths.notebook(course / "autograded", student, CHAPTER).read_text())
    parts = []
    for cell in nb["cells"]:
        parts.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            parts += ["".join(out.get("text", "")), out.get("evalue", ""), "".join(out.get("traceback", []))]
    return "\n".join(parts)


@pytest.mark.parametrize("student", sorted(CLASS))
def test_bad_submission_gets_its_score_and_message(graded, fixture_root, student):
    course, outcomes, _ = graded
    _, lost, message = CLASS[student]
    assert outcomes[student].error is None, outcomes[student].error
    cells = grading.scores(course, CHAPTER)[student]
    points = grading.graded_cells(nbformat.read(paths.notebook(fixture_root, "source", CHAPTER), as_version=4))
    expected = {name: 0.0 if lost == ALL or name in lost else p for name, p in points.items()}
    assert {name: c.score for name, c in cells.items()} == expected
    assert {name: c.max_score for name, c in cells.items()} == points
    if message:
        assert message in shown_text(course, student) + "\n".join(outcomes[student].notes)


def test_gigantic_output_is_capped(graded):
    course, _, _ = graded
    assert paths.notebook(course / "autograded", "gigantic-output", CHAPTER).stat().st_size < 1_000_000


def test_unreadable_files_are_reported_to_the_instructor(graded):
    _, outcomes, _ = graded
    for student in ("malformed-json", "empty-file", "not-a-notebook"):
        assert any("graded as the blank assignment" in n for n in outcomes[student].notes)
    assert outcomes["solution"].notes == ()


def test_originals_are_kept_and_earlier_grades_untouched(graded):
    course, _, earlier = graded
    assert grading.scores(course, CHAPTER)["graded-earlier"] == earlier
    assert (course / "submitted" / "empty-file" / CHAPTER / f"{CHAPTER}.ipynb").read_text() == ""
    assert (course / "submitted" / "wrong-file-name" / CHAPTER / "my-work.ipynb").is_file()


HONEST = ("solution", "honest-with-magics", "endless-loop", "sleeps-past-timeout", "kernel-exit", "kernel-segfault",
          "memory-bomb", "hard-coded", "gigantic-output", "old-nbformat", "wrong-file-name")


@pytest.mark.parametrize("student", HONEST)
def test_honest_submissions_get_no_tampering_note(graded, student):
    """A note that the notebook tampered with the grader is for tampering only: not for magics such
    as %matplotlib inline or %load_ext autoreload, a crash, a timeout or a wrong answer."""
    course, _, _ = graded
    assert TAMPERED not in shown_text(course, student)

