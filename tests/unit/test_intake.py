"""Intake: reading whatever was handed in, and repairing graded cells against the release."""
import copy

import nbformat
import pytest

from helpers.course import intake, paths
from tests.conftest import ROOT

CHAPTER = "01-foundations"
NAME = f"{CHAPTER}.ipynb"


@pytest.fixture(scope="module")
def release():
    return nbformat.read(paths.notebook(ROOT, "notebooks", CHAPTER), as_version=4)


def ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells if c.metadata.get("nbgrader")]


@pytest.mark.parametrize("text,reason", [("", "empty file"), ("{not json", "not a readable Jupyter notebook"),
                                         ('{"cells": 3}', "not a readable Jupyter notebook")])
def test_unreadable_files_give_none_and_a_reason(tmp_path, text, reason):
    (tmp_path / NAME).write_text(text)
    nb, notes = intake.read_submission(tmp_path, NAME)
    assert nb is None and reason in notes[-1]


def test_a_single_misnamed_notebook_is_used_but_two_are_not(tmp_path, release):
    nbformat.write(release, tmp_path / "copy.ipynb")
    nb, notes = intake.read_submission(tmp_path, NAME)
    assert nb is not None and "named copy.ipynb" in notes[0]
    nbformat.write(release, tmp_path / "other.ipynb")
    nb, notes = intake.read_submission(tmp_path, NAME)
    assert nb is None and "found: copy.ipynb, other.ipynb" in notes[0]


def test_release_and_solution_need_no_repair(release):
    solution = nbformat.read(paths.notebook(ROOT, "solutions", CHAPTER), as_version=4)
    assert intake.repair_cells(copy.deepcopy(release), release) == []
    assert intake.repair_cells(solution, release) == []


def test_duplicates_deletions_and_order_are_repaired(release):
    nb = copy.deepcopy(release)
    i = ids(nb).index("test-softmax")
    cells = [c for c in nb.cells if c.metadata.get("nbgrader")]
    locked_twin, answer_twin = copy.deepcopy(cells[i]), copy.deepcopy(cells[i - 1])
    answer_twin.source = "my second try"
    nb.cells.remove(cells[ids(nb).index("test-sigmoid")])            # deleted test
    nb.cells.append(locked_twin)                                        # duplicated test, out of place
    nb.cells.append(answer_twin)                                        # duplicated answer
    nb.cells.insert(1, nb.cells.pop(nb.cells.index(cells[ids(release).index("ex-cross-entropy")])))  # reordered
    notes = intake.repair_cells(nb, release)
    assert ids(nb) == ids(release)
    assert any("my second try" in c.source and not c.metadata.get("nbgrader") for c in nb.cells)
    text = " ".join(notes)
    for expected in ("second copy of the read-only cell 'test-softmax'", "second copy of the answer cell 'ex-softmax'",
                     "restored from the assignment: test-sigmoid", "out of order"):
        assert expected in text


def test_prepare_turns_an_unreadable_file_into_the_blank_release_with_notes(tmp_path):
    (tmp_path / NAME).write_text("garbage")
    notes = intake.prepare(tmp_path, NAME, paths.notebook(ROOT, "notebooks", CHAPTER))
    nb = nbformat.read(tmp_path / NAME, as_version=4)
    nbformat.validate(nb)
    assert "graded as the blank assignment" in notes[-1]
    assert nb.cells[0].metadata.get(intake.NOTE_MARK) and "Grading notes" in nb.cells[0].source
