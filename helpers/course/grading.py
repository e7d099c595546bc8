"""Autograding in a throw-away copy of the course: used by the tests (solution, blank and wrong
submissions) and by the benchmark (time per submission)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from helpers.course import nbgrader_cli, paths


@dataclass(frozen=True)
class CellScore:
    """One graded cell of one submission."""
    name: str
    score: float
    max_score: float


def course_copy(root: Path, dest: Path, chapters: list[str]) -> Path:
    """A fresh course in ``dest`` with the config and the given chapters' sources; returns dest.

    nbgrader_config.py derives the course root from its own location, so the copy is
    self-contained (its own gradebook, exchange and submitted/ folders).
    """
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    for chapter in chapters:
        shutil.copytree(root / "source" / chapter, dest / "source" / chapter, dirs_exist_ok=True)
    return dest


def generate(course: Path, chapter: str) -> None:
    """nbgrader generate_assignment (also registers the assignment in the gradebook)."""
    nbgrader_cli.run(course, "generate_assignment", chapter, "--force")


def submit(course: Path, chapter: str, student: str, nb: nbformat.NotebookNode | Path) -> Path:
    """Place a notebook as ``student``'s submission of ``chapter``; returns its path."""
    dest = paths.notebook(course / "submitted", student, chapter)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, Path):
        shutil.copy2(nb, dest)
    else:
        nbformat.write(nb, dest)
    return dest


def autograde(course: Path, chapter: str, timeout: float | None = None):
    """nbgrader autograde for every submitted student of ``chapter``."""
    return nbgrader_cli.run(course, "autograde", chapter, "--force", timeout=timeout)


def generate_feedback(course: Path, chapter: str) -> dict[str, Path]:
    """nbgrader generate_feedback for every autograded student; returns {student: feedback HTML}."""
    nbgrader_cli.run(course, "generate_feedback", chapter, "--force")
    return {page.parent.parent.name: page for page in sorted((course / "feedback").glob(f"*/{chapter}/*.html"))}


def scores(course: Path, chapter: str) -> dict[str, dict[str, CellScore]]:
    """{student: {grade cell name: CellScore}} from the course copy's gradebook."""
    from nbgrader.api import Gradebook

    db_url = "sqlite:///" + str(course / "gradebook.db")
    out: dict[str, dict[str, CellScore]] = {}
    with Gradebook(db_url) as gb:
        assignment = gb.find_assignment(chapter)
        for submission in assignment.submissions:
            cells = {}
            for nb in submission.notebooks:
                for grade in nb.grades:
                    cells[grade.name] = CellScore(grade.name, float(grade.score), float(grade.max_score))
            out[submission.student.id] = cells
    return out


def replace_cell(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose cell with nbgrader grade_id ``grade_id`` holds ``source``."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return nb
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def graded_cells(nb: nbformat.NotebookNode) -> dict[str, float]:
    """{grade_id: points} of the autograded test cells of a notebook."""
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"].get("points", 0))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
