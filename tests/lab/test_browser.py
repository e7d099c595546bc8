"""The course as its users meet it, in a real browser: Chromium driven by Playwright.

As a student, for every chapter: open the release notebook in JupyterLab and Run All Cells (it stops
at the first exercise, whose test shows the check's "not implemented yet"); type a known wrong answer
into that exercise and run its visible test (the check's message names the mistake); run on, cell by
cell, until the chapter's first widget shows, move its slider and see its output change. In chapter
01, press Validate and read nbgrader's verdict. As an instructor: the Formgrader lists every chapter,
autogrades a submission (in the grading sandbox) to its expected score, generates feedback, and the
feedback page shows the score and the check's message and no hidden test.

Everything runs on a copy of the course served by its own JupyterLab, so nothing a test types is
saved into the repository. Screenshots go to .artifacts/browser/ (git-ignored): one at the end of
each workflow, and one of the page whenever a test fails. The browser is the system's Chromium
(`make browser-tool` installs it where it can).
"""
from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from helpers.course import grading, paths
from tests.chapters.wrong_answers import wrong_answers
from tests.conftest import ROOT, free_port
from tests.grading.leaks import secret_lines, visible_text
from tests.lab import browser as B

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(B.browser_executable() is None,
                                 reason="no Chromium on this machine: make browser-tool (or apt-get install chromium)")]
CHAPTERS = paths.chapters(ROOT)
GRADED = "01-foundations"
STUDENT = "alice"


def graded_cells(nb) -> list[tuple[int, dict]]:
    return [(i, c.metadata["nbgrader"]) for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata]


def first_exercise(nb) -> tuple[int, int, str]:
    """(answer cell index, its test cell index, grade_id) of the notebook's first exercise."""
    cells = graded_cells(nb)
    answer, meta = next((i, m) for i, m in cells if m.get("solution"))
    test = next(i for i, m in cells if m.get("grade_id") == "test-" + meta["grade_id"].removeprefix("ex-"))
    return answer, test, meta["grade_id"]


def submission(chapter: str, wrong: dict[str, str]) -> tuple[nbformat.NotebookNode, float, float]:
    """The release with every answer cell taken from the solution, except those in ``wrong``
    ({grade_id: code}); with the score that earns and the maximum."""
    release = nbformat.read(paths.notebook(ROOT, "notebooks", chapter), as_version=4)
    solution = nbformat.read(paths.notebook(ROOT, "solutions", chapter), as_version=4)
    answers = {m["grade_id"]: solution.cells[i].source for i, m in graded_cells(solution) if m.get("solution")}
    lost = 0.0
    for i, meta in graded_cells(release):
        if meta.get("solution"):
            release.cells[i].source = wrong.get(meta["grade_id"], answers[meta["grade_id"]])
    total = sum(m.get("points", 0) for _, m in graded_cells(release) if m.get("grade"))
    for gid in wrong:
        lost += next(m["points"] for _, m in graded_cells(release) if m["grade_id"] == "test-" + gid.removeprefix("ex-"))
    return release, total - lost, total


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course copy: the release and sources of every chapter, the nbgrader config, an exchange,
    and one submission of chapter 01 by alice with a known wrong answer."""
    base = tmp_path_factory.mktemp("browser")
    course = grading.course_copy(ROOT, base / "course", CHAPTERS)
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    (course / ".exchange").mkdir()
    grading.generate(course, GRADED)
    _, _, gid = first_exercise(nbformat.read(paths.notebook(ROOT, "notebooks", GRADED), as_version=4))
    name, code = next(iter(wrong_answers(GRADED)[gid].items()))
    nb, score, total = submission(GRADED, {gid: code})
    grading.submit(course, GRADED, STUDENT, nb)
    return course, base, {"score": score, "total": total, "wrong": gid}


@pytest.fixture(scope="module")
def lab(course):
    course_dir, base, _ = course
    server = B.Lab(course_dir, free_port(), B.write_lab_settings(base / "settings"), base / "lab.log")
    try:
        server.wait()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=B.browser_executable(), args=list(B.BROWSER_ARGS))
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_runs_the_chapter_and_moves_its_widget(lab, browser, chapter):
    nb = nbformat.read(paths.notebook(ROOT, "notebooks", chapter), as_version=4)
    answer, test, gid = first_exercise(nb)
    name, wrong = next(iter(wrong_answers(chapter)[gid].items()))
    try:
        with B.page_for(browser, lab, f"{chapter}-student") as page:
            notebook = B.NotebookPage(page, lab, f"notebooks/{chapter}/{chapter}.ipynb", len(nb.cells))
            assert notebook.cells.count() == len(nb.cells)

            first = notebook.run_all()
            assert first in (answer, test), (
                f"Run All stopped at cell {first}, not at the first exercise (cells {answer}-{test}): "
                f"{notebook.errors(first)[:500]}")
            assert re.search(r"not implemented", notebook.errors(first), re.I), notebook.errors(first)[:500]

            notebook.type_code(answer, wrong.strip("\n"))
            notebook.select(answer)
            notebook.run_selected(answer)
            notebook.run_selected(test)
            shown = notebook.errors(test)
            assert shown.startswith("CheckFailure") and "not implemented" not in shown, (
                f"wrong answer {name!r}: the test cell showed {shown[:500]!r}")

            holder, slider = notebook.run_until_slider(test + 1)
            before, value = notebook.output(holder), slider.get_attribute("aria-valuenow")
            B.drag(page, slider, dx=40)
            notebook.wait_idle()
            after = B.wait_for_change(lambda: notebook.output(holder), before)
            assert slider.get_attribute("aria-valuenow") != value, "the slider did not move"
            assert after != before, f"moving the slider in cell {holder} changed nothing in its output"
            assert not notebook.errors(holder), notebook.errors(holder)[:500]
            notebook.cells.nth(holder).scroll_into_view_if_needed()
            B.screenshot(page, f"{chapter}-widget-moved")
    finally:
        lab.shut_down_kernels()


def test_student_validates_chapter_01(lab, browser):
    with B.page_for(browser, lab, "validate") as page:
        n_cells = len(nbformat.read(paths.notebook(ROOT, "notebooks", GRADED), as_version=4).cells)
        notebook = B.NotebookPage(page, lab, f"notebooks/{GRADED}/{GRADED}.ipynb", n_cells)
        verdict = notebook.validate()
        B.screenshot(page, "validate-verdict")
    lab.shut_down_kernels()
    assert "Validation Results" in verdict, verdict[:500]
    assert "failed" in verdict and "CheckFailure" in verdict, verdict[:1000]


def test_instructor_autogrades_in_the_formgrader_and_reads_the_feedback(course, lab, browser):
    course_dir, _, expected = course
    with B.page_for(browser, lab, "formgrader") as page:
        page.goto(f"{lab.base}/formgrader/manage_assignments")
        page.wait_for_selector("table td:has-text('01-foundations')")
        listed = page.locator("table").first.inner_text()
        assert all(ch in listed for ch in CHAPTERS), listed

        page.goto(f"{lab.base}/formgrader/manage_submissions/{GRADED}")
        row = page.locator("#main-table tr", has_text=STUDENT)
        row.wait_for()
        modal = page.locator("#success-modal")
        row.locator("td.autograde a").click()
        modal.wait_for(state="visible", timeout=300_000)
        B.close_modal(page, modal)
        score = row.locator("td.score")
        page.wait_for_function("el => el.innerText.includes('/')", arg=score.element_handle(), timeout=60_000)
        assert score.inner_text().split() == [f"{expected['score']:g}", "/", f"{expected['total']:g}"], score.inner_text()
        B.screenshot(page, "formgrader-autograded")

        row.locator("td.generate-feedback a").click()
        modal.wait_for(state="visible", timeout=300_000)
        assert "Successfully generated feedback" in modal.inner_text(), modal.inner_text()[:1000]
        B.close_modal(page, modal)

        page.goto(f"{lab.base}/files/feedback/{STUDENT}/{GRADED}/{GRADED}.html")
        text = page.inner_text("body")
        B.screenshot(page, "feedback-page")
    assert f"Score: {expected['score']:.1f} / {expected['total']:.1f}" in text, text[:500]
    assert "CheckFailure" in text, "the feedback does not show the failed check's message"
    source = nbformat.read(paths.notebook(ROOT, "source", GRADED), as_version=4)
    page_html = (course_dir / "feedback" / STUDENT / GRADED / f"{GRADED}.html").read_text()
    leaked = [line for line in secret_lines(source, "hidden") if line in visible_text(page_html)]
    assert not leaked, f"hidden tests in the feedback page: {leaked[:3]}"
