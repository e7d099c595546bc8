"""The grading round trip through nbgrader, in a temporary copy of the course.

For every chapter: the solution gets full marks, the untouched release gets zero, and every known
wrong answer (tests/wrong_answers/) loses exactly the points of its own exercise while all other
exercises keep theirs. The autograded notebooks must show a readable check message, not a crash.
"""
from __future__ import annotations

import nbformat
import pytest

from helpers.course import grading, parallel, paths
from tests.conftest import ROOT
from tests.grading.leaks import secret_lines, visible_text
from tests.wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow

CHAPTERS = paths.chapters(ROOT)
WRONG = [(ch, cell, name) for ch in CHAPTERS for cell, variants in WRONG_ANSWERS.get(ch, {}).items()
         for name in variants]


def student_id(cell: str, name: str) -> str:
    return f"wrong-{cell.removeprefix('ex-')}-{name}"


def grade_cell_of(solution_cell: str) -> str:
    return "test-" + solution_cell.removeprefix("ex-")


def grade_chapter(chapter: str, tmp) -> tuple:
    """(scores by student, points by test cell, course copy) after one autograde run of ``chapter``:
    the solution, the blank release and every known wrong answer, as separate students, graded by
    `dlcourse autograde` with two workers (tests/test_parallel.py shows it records what serial
    nbgrader records)."""
    course = grading.course_copy(ROOT, tmp, [chapter])
    grading.generate(course, chapter)
    solution = nbformat.read(paths.notebook(ROOT, "solutions", chapter), as_version=4)
    grading.submit(course, chapter, "solution", paths.notebook(ROOT, "solutions", chapter))
    grading.submit(course, chapter, "blank", paths.notebook(ROOT, "notebooks", chapter))
    for cell, variants in WRONG_ANSWERS.get(chapter, {}).items():
        for name, code in variants.items():
            grading.submit(course, chapter, student_id(cell, name), grading.replace_cell(solution, cell, code.strip()))
    failed = [o for o in parallel.autograde_class(course, chapter, workers=2, progress=False) if o.error]
    assert not failed, f"grading failed: {failed}"
    points = grading.graded_cells(nbformat.read(paths.notebook(ROOT, "source", chapter), as_version=4))
    return grading.scores(course, chapter), points, course


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """graded[chapter] autogrades that chapter on first use only, so `-k 02-gradients` runs one."""
    class Lazy(dict):
        def __missing__(self, chapter):
            self[chapter] = grade_chapter(chapter, tmp_path_factory.mktemp(chapter))
            return self[chapter]
    return Lazy()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_has_known_wrong_answers(chapter):
    source = nbformat.read(paths.notebook(ROOT, "source", chapter), as_version=4)
    solution_cells = [c.metadata["nbgrader"]["grade_id"] for c in source.cells
                      if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    missing = [c for c in solution_cells if not WRONG_ANSWERS.get(chapter, {}).get(c)]
    assert not missing, f"{chapter}: no wrong answers catalogued for {missing}"
    tests = grading.graded_cells(source)
    assert sorted(tests) == sorted(grade_cell_of(c) for c in solution_cells), "each ex-NAME needs one test-NAME cell"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_gets_full_marks(graded, chapter):
    scores, points, _ = graded[chapter]
    got = {name: cell.score for name, cell in scores["solution"].items()}
    assert got == points


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_blank_release_scores_zero(graded, chapter):
    scores, points, _ = graded[chapter]
    assert set(scores["blank"]) == set(points)
    assert sum(cell.score for cell in scores["blank"].values()) == 0


@pytest.mark.parametrize("chapter,cell,name", WRONG, ids=[f"{ch}:{c}:{n}" for ch, c, n in WRONG])
def test_wrong_answer_loses_exactly_its_exercise(graded, chapter, cell, name):
    scores, points, course = graded[chapter]
    got = {k: v.score for k, v in scores[student_id(cell, name)].items()}
    expected = {k: (0.0 if k == grade_cell_of(cell) else p) for k, p in points.items()}
    assert got == expected, f"{name}: scores {got}, expected {expected}"
    # The feedback is a check message written for the student, not a crash of the test itself.
    autograded = nbformat.read(paths.notebook(course / "autograded", student_id(cell, name), chapter), as_version=4)
    test = next(c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_cell_of(cell))
    errors = [o for o in test.outputs if o.output_type == "error"]
    assert errors and errors[0].ename in ("CheckFailure", "AssertionError"), \
        f"{name}: expected a check message, got {[(o.ename, o.evalue) for o in errors]}"
    assert len(errors[0].evalue) > 20, "the message must say what is wrong"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_feedback_shows_check_messages_but_no_hidden_tests_or_solutions(graded, chapter):
    """Every student's feedback page quotes the messages of their failed checks; no page shows a
    line of hidden-test code, and the blank submission's page shows no solution line."""
    _, _, course = graded[chapter]
    pages = grading.generate_feedback(course, chapter)
    assert {"solution", "blank"} <= set(pages)
    source = nbformat.read(paths.notebook(ROOT, "source", chapter), as_version=4)
    hidden, solution = secret_lines(source, "hidden"), secret_lines(source, "solution")
    assert hidden and solution
    for student, page in pages.items():
        text = visible_text(page.read_text())
        leaked = sorted(ln for ln in hidden if ln in text)
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
        autograded = nbformat.read(paths.notebook(course / "autograded", student, chapter), as_version=4)
        messages = [o.evalue.splitlines()[0] for c in autograded.cells for o in c.get("outputs", [])
                    if o.output_type == "error" and c.metadata.get("nbgrader", {}).get("grade") and o.evalue]
        missing = [m for m in messages if m not in text]
        assert not missing, f"{student}'s feedback lacks check messages: {missing[:2]}"
    blank = visible_text(pages["blank"].read_text())
    assert "not implemented yet" in blank
    leaked = sorted(ln for ln in solution if ln in blank)
    assert not leaked, f"the blank submission's feedback shows solution code: {leaked[:3]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_validate_button_passes_the_solution_and_fails_the_blank_release(chapter):
    """What a student's Validate button reports (nbgrader's Validator; the CLI exits 0 either way)."""
    from nbgrader.validator import Validator

    assert Validator().validate(str(paths.notebook(ROOT, "solutions", chapter))) == {}
    failed = Validator().validate(str(paths.notebook(ROOT, "notebooks", chapter)))["failed"]
    assert len(failed) == len(grading.graded_cells(nbformat.read(paths.notebook(ROOT, "source", chapter), as_version=4)))
    assert all("not implemented yet" in f["error"] for f in failed)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_class_report_counts_the_synthetic_class(graded, chapter, tmp_path):
    """`dlcourse report` on the graded class: the solution, the blank release and every known wrong
    answer. Each wrong answer fails only its own exercise, so each pass rate is known in advance,
    and each exercise's failures are its wrong answers plus the blank's "not implemented yet"."""
    from helpers.course import report

    _, points, course = graded[chapter]
    results = report.collect(course, chapter)
    wrong = WRONG_ANSWERS.get(chapter, {})
    n = 2 + sum(len(v) for v in wrong.values())
    assert len(results.totals) == n
    assert results.totals["solution"] == results.max_total == sum(points.values())
    assert results.totals["blank"] == 0
    for ex in results.exercises:
        failing = 1 + len(wrong.get("ex-" + ex.name.removeprefix("test-"), {}))
        assert ex.pass_rate == pytest.approx((n - failing) / n), ex.name
        assert sum(ex.failures.values()) == failing, f"{ex.name}: {ex.failures}"
        assert any("not implemented yet" in key for key in ex.failures), ex.name
    page = report.build(course, chapter, tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    for ex in results.exercises:
        assert ex.name in page
        top, _ = ex.failures.most_common(1)[0]
        assert report.html.escape(top) in page
