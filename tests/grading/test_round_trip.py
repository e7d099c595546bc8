"""The grading round trip through nbgrader, in a temporary copy of the course, for every chapter.

The solution gets full marks, the untouched release gets zero, and the first MAX_PACKS known wrong
answers of every exercise (tests/chapters/wrong_answers/) are graded by nbgrader: the k-th
submission packs the k-th wrong answer of every exercise into the solution, so a chapter costs
2 + MAX_PACKS submissions at most, not one per wrong answer. Each packed exercise loses exactly its points and
every other keeps its own (that each wrong answer fails its own cell and no other is proven for each
alone, in-process, by tests/chapters/test_cells.py). The autograded notebooks show a readable check
message, the feedback pages no hidden test or solution, and the Validate button the right verdicts.
"""
from __future__ import annotations

import nbformat
import pytest

from helpers.course import grading, parallel, paths
from tests.chapters.cells import paired_test
from tests.chapters.wrong_answers import wrong_answers
from tests.conftest import ROOT
from tests.grading.leaks import secret_lines, visible_text

pytestmark = pytest.mark.slow

CHAPTERS = paths.chapters(ROOT)


# Packs per chapter: a chapter costs 2 + this many nbgrader submissions, whatever its catalogues
# hold, so the suite stays within its 30 minutes at twelve chapters (two: the solution, the blank and two
# packs grade in two rounds of the two workers). Every wrong answer beyond it
# is still graded in-process, against its own cell and every other (tests/chapters/test_cells.py).
MAX_PACKS = 2


def packs(chapter: str) -> list[dict[str, tuple[str, str]]]:
    """The k-th pack maps each answer cell that has a k-th wrong answer to (its name, its code),
    for the first MAX_PACKS wrong answers of each cell."""
    catalogue = {cell: list(variants.items()) for cell, variants in wrong_answers(chapter).items()}
    depth = min(MAX_PACKS, max((len(v) for v in catalogue.values()), default=0))
    return [{cell: v[k] for cell, v in catalogue.items() if k < len(v)} for k in range(depth)]


def packed_student(k: int) -> str:
    return f"wrong-{k + 1}"


PACKED = [(ch, k) for ch in CHAPTERS for k in range(len(packs(ch)))]


def grade_chapter(chapter: str, tmp) -> tuple:
    """(scores by student, points by test cell, course copy) after one `dlcourse autograde` run
    (two workers) of ``chapter``: the solution, the blank release and every pack of wrong answers."""
    course = grading.course_copy(ROOT, tmp, [chapter])
    grading.generate(course, chapter)
    solution = nbformat.read(paths.notebook(ROOT, "solutions", chapter), as_version=4)
    grading.submit(course, chapter, "solution", paths.notebook(ROOT, "solutions", chapter))
    grading.submit(course, chapter, "blank", paths.notebook(ROOT, "notebooks", chapter))
    for k, pack in enumerate(packs(chapter)):
        nb = solution
        for cell, (_, code) in pack.items():
            nb = grading.replace_cell(nb, cell, code.strip())
        grading.submit(course, chapter, packed_student(k), nb)
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
def test_solution_gets_full_marks(graded, chapter):
    scores, points, _ = graded[chapter]
    got = {name: cell.score for name, cell in scores["solution"].items()}
    assert got == points


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_blank_release_scores_zero(graded, chapter):
    scores, points, _ = graded[chapter]
    assert set(scores["blank"]) == set(points)
    assert sum(cell.score for cell in scores["blank"].values()) == 0


@pytest.mark.parametrize("chapter,k", PACKED, ids=[f"{ch}:pack-{k + 1}" for ch, k in PACKED])
def test_packed_wrong_answers_lose_exactly_their_exercises(graded, chapter, k):
    scores, points, course = graded[chapter]
    pack = packs(chapter)[k]
    lost = {paired_test(cell) for cell in pack}
    got = {name: cell.score for name, cell in scores[packed_student(k)].items()}
    expected = {name: (0.0 if name in lost else p) for name, p in points.items()}
    assert got == expected, f"{[name for name, _ in pack.values()]}: scores {got}, expected {expected}"
    # Each lost exercise shows a check message written for the student, not a crash of the test.
    autograded = nbformat.read(paths.notebook(course / "autograded", packed_student(k), chapter), as_version=4)
    for cell in autograded.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in lost:
            errors = [o for o in cell.outputs if o.output_type == "error"]
            name = next(n for c, (n, _) in pack.items() if paired_test(c) == grade_id)
            assert errors and errors[0].ename in ("CheckFailure", "AssertionError"), \
                f"{name}: expected a check message, got {[(o.ename, o.evalue) for o in errors]}"
            assert len(errors[0].evalue) > 20, f"{name}: the message must say what is wrong"


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


# Validate runs a notebook as autograde does (grading budget, same checks), and every chapter's
# solution and blank release are autograded above; its verdicts are checked on the first chapter
# only (and pressed in a browser, tests/lab/test_browser.py), two notebook runs instead of 24.
@pytest.mark.parametrize("chapter", CHAPTERS[:1])
def test_validate_button_passes_the_solution_and_fails_the_blank_release(chapter):
    """What a student's Validate button reports (nbgrader's Validator; the CLI exits 0 either way)."""
    from nbgrader.validator import Validator

    assert Validator().validate(str(paths.notebook(ROOT, "solutions", chapter))) == {}
    failed = Validator().validate(str(paths.notebook(ROOT, "notebooks", chapter)))["failed"]
    assert len(failed) == len(grading.graded_cells(nbformat.read(paths.notebook(ROOT, "source", chapter), as_version=4)))
    assert all("not implemented yet" in f["error"] for f in failed)
