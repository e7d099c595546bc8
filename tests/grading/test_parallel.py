"""Parallel autograding records exactly what serial `nbgrader autograde` records, one student can be
regraded alone without touching the others, and the class report counts the class right; all on the
fixture chapter (tests/grading/fixture.py)."""
from __future__ import annotations

import nbformat
import pytest

from helpers.course import grading, parallel, paths
from tests.chapters.wrong_answers import wrong_answers
from tests.grading.fixture import BASE, CHAPTER

pytestmark = pytest.mark.slow
WRONG = {cell: dict([next(iter(wrong_answers(BASE)[cell].items()))]) for cell in ("ex-softmax", "ex-cross-entropy")}


def class_of_four(root, course):
    """solution, blank release and two wrong answers, submitted to a fresh copy of the course."""
    grading.course_copy(root, course, [CHAPTER])
    grading.generate(course, CHAPTER)
    solution = nbformat.read(paths.notebook(root, "solutions", CHAPTER), as_version=4)
    grading.submit(course, CHAPTER, "solution", paths.notebook(root, "solutions", CHAPTER))
    grading.submit(course, CHAPTER, "blank", paths.notebook(root, "notebooks", CHAPTER))
    for cell, variants in WRONG.items():
        for name, code in variants.items():
            grading.submit(course, CHAPTER, f"wrong-{name}", grading.replace_cell(solution, cell, code.strip()))
    return course


def gradebook_rows(course) -> dict:
    """Every recorded field of every submission of CHAPTER, keyed by student and cell."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(parallel.db_url(course)) as gb:
        for sub in gb.find_assignment(CHAPTER).submissions:
            for nb in sub.notebooks:
                rows[sub.student.id, nb.name] = (sub.timestamp, nb.flagged, nb.late_submission_penalty)
                for g in nb.grades:
                    rows[sub.student.id, g.name] = (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                for c in nb.comments:
                    rows[sub.student.id, c.name] = (c.auto_comment, c.manual_comment)
    return rows


@pytest.fixture(scope="module")
def both(tmp_path_factory, fixture_root):
    serial = class_of_four(fixture_root, tmp_path_factory.mktemp("serial"))
    grading.autograde(serial, CHAPTER)
    par = class_of_four(fixture_root, tmp_path_factory.mktemp("parallel"))
    outcomes = parallel.autograde_class(par, CHAPTER, workers=2, progress=False)
    return serial, par, outcomes


def test_parallel_records_what_serial_nbgrader_records(both):
    serial, par, outcomes = both
    assert [o.error for o in outcomes] == [None] * 4
    assert gradebook_rows(par) == gradebook_rows(serial)
    scores = grading.scores(par, CHAPTER)
    assert sum(c.score for c in scores["solution"].values()) == sum(c.max_score for c in scores["solution"].values())
    assert sum(c.score for c in scores["blank"].values()) == 0
    for student in scores:
        assert paths.notebook(par / "autograded", student, CHAPTER).is_file()
    assert not (par / ".autograde-workers").exists()


def test_class_report_counts_the_class(both, tmp_path):
    """`dlcourse report` on the class: each wrong answer fails only its own exercise, so each pass
    rate is known in advance, and each exercise's failures are its wrong answers plus the blank's
    "not implemented yet"."""
    from helpers.course import report

    _, par, _ = both
    points = grading.graded_cells(nbformat.read(paths.notebook(par, "source", CHAPTER), as_version=4))
    results = report.collect(par, CHAPTER)
    n = 2 + sum(len(v) for v in WRONG.values())
    assert len(results.totals) == n
    assert results.totals["solution"] == results.max_total == sum(points.values())
    assert results.totals["blank"] == 0
    for ex in results.exercises:
        failing = 1 + len(WRONG.get("ex-" + ex.name.removeprefix("test-"), {}))
        assert ex.pass_rate == pytest.approx((n - failing) / n), ex.name
        assert sum(ex.failures.values()) == failing, f"{ex.name}: {ex.failures}"
        assert any("not implemented yet" in key for key in ex.failures), ex.name
    page = report.build(par, CHAPTER, tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    for ex in results.exercises:
        assert ex.name in page
        top, _ = ex.failures.most_common(1)[0]
        assert report.html.escape(top) in page


def test_regrading_one_student_leaves_the_others_alone(both, fixture_root):
    _, par, _ = both
    before = gradebook_rows(par)
    grading.submit(par, CHAPTER, "blank", paths.notebook(fixture_root, "solutions", CHAPTER))   # a late fix
    (outcome,) = parallel.autograde_class(par, CHAPTER, students=["blank"], progress=False)
    assert outcome.error is None
    after = gradebook_rows(par)
    assert {k: v for k, v in after.items() if k[0] != "blank"} == {k: v for k, v in before.items() if k[0] != "blank"}
    scores = grading.scores(par, CHAPTER)["blank"]
    assert sum(c.score for c in scores.values()) == sum(c.max_score for c in scores.values())


def test_unknown_student_is_a_clear_error(both):
    _, par, _ = both
    with pytest.raises(KeyError, match=f"no submission of {CHAPTER} in submitted/ for nobody"):
        parallel.autograde_class(par, CHAPTER, students=["nobody"], progress=False)
