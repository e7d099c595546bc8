"""Parallel autograding records exactly what serial `nbgrader autograde` records, and one student
can be regraded alone without touching the others."""
from __future__ import annotations

import nbformat
import pytest

from helpers.course import grading, parallel, paths
from tests.conftest import ROOT
from tests.wrong_answers import WRONG_ANSWERS

pytestmark = pytest.mark.slow
CHAPTER = "01-foundations"


def class_of_four(course):
    """solution, blank release and two wrong answers, submitted to a fresh copy of the course."""
    grading.course_copy(ROOT, course, [CHAPTER])
    grading.generate(course, CHAPTER)
    solution = nbformat.read(paths.notebook(ROOT, "solutions", CHAPTER), as_version=4)
    grading.submit(course, CHAPTER, "solution", paths.notebook(ROOT, "solutions", CHAPTER))
    grading.submit(course, CHAPTER, "blank", paths.notebook(ROOT, "notebooks", CHAPTER))
    for cell in ("ex-softmax", "ex-cross-entropy"):
        name, code = next(iter(WRONG_ANSWERS[CHAPTER][cell].items()))
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
def both(tmp_path_factory):
    serial = class_of_four(tmp_path_factory.mktemp("serial"))
    grading.autograde(serial, CHAPTER)
    par = class_of_four(tmp_path_factory.mktemp("parallel"))
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


def test_regrading_one_student_leaves_the_others_alone(both):
    _, par, _ = both
    before = gradebook_rows(par)
    grading.submit(par, CHAPTER, "blank", paths.notebook(ROOT, "solutions", CHAPTER))   # a late fix
    (outcome,) = parallel.autograde_class(par, CHAPTER, students=["blank"], progress=False)
    assert outcome.error is None
    after = gradebook_rows(par)
    assert {k: v for k, v in after.items() if k[0] != "blank"} == {k: v for k, v in before.items() if k[0] != "blank"}
    scores = grading.scores(par, CHAPTER)["blank"]
    assert sum(c.score for c in scores.values()) == sum(c.max_score for c in scores.values())


def test_unknown_student_is_a_clear_error(both):
    _, par, _ = both
    with pytest.raises(KeyError, match="no submission of 01-foundations in submitted/ for nobody"):
        parallel.autograde_class(par, CHAPTER, students=["nobody"], progress=False)
