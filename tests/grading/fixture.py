"""A small fixture chapter for the grading machinery's own tests (bad submissions, parallel grading,
the exchange, the class report), so that they do not re-run a real chapter's lesson and training
dozens of times.

``00-fixture`` is chapter 01 reduced to its graded cells: the locked setup cell, six of its seven
exercises with their answer and test cells (hidden tests included), and nothing of the lesson. Its
source, release and solution are cut from chapter 01's committed notebooks, so they stay in step
with it and cost no nbgrader run to make.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from helpers.course import paths
from tests.conftest import ROOT

CHAPTER = "00-fixture"
BASE = "01-foundations"
LEFT_OUT = ("ex-softmax-regression", "test-softmax-regression")     # the one exercise that trains


def _kept(cell) -> bool:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return grade_id is not None and grade_id not in LEFT_OUT


def cut(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a chapter-01 notebook with only the fixture's cells."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if _kept(c)]
    return nb


def build(dest: Path) -> Path:
    """Write a course directory holding only the fixture chapter (source, release, solution) into
    ``dest``; returns it. Use it where the tests use the repository root."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", dest / "nbgrader_config.py")
    for folder in ("source", "notebooks", "solutions"):
        out = paths.notebook(dest, folder, CHAPTER)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(cut(nbformat.read(paths.notebook(ROOT, folder, BASE), as_version=4)), out)
    return dest
