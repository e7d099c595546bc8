"""Before grading: make whatever a student handed in gradable, and say what was done.

nbgrader aborts a whole class's autograde run at the first notebook with a duplicated graded cell,
does not grade a student whose file is empty, malformed, not a notebook or misnamed, grades a
deleted test cell as failed, and runs tests placed before their answer. Two steps fix that:

* ``read_submission`` (used by ``dlcourse autograde`` on its private copy of each submission)
  finds the notebook even under another name, and turns an unreadable file into the blank release,
  so the student is graded 0 with the reason, instead of not at all;
* ``repair_cells`` (also run inside nbgrader, as the ``RepairCells`` sanitize preprocessor) keeps
  one cell per grade id, restores graded cells that were deleted from the release, and puts the
  graded cells back in the release's order, each followed by the student's own cells that came
  after it.

Everything done is listed in a "Grading notes" cell at the top of the graded notebook, so the
student and the instructor both see it in the feedback. The original file in submitted/ is never
changed.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

NOTE_MARK = "dlcourse-grading-notes"


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


_GRADING_KEYS = ("grade", "solution", "locked", "task", "points", "schema_version")


def _edited(cell: NotebookNode, original: NotebookNode) -> bool:
    """Whether the student changed what makes ``cell`` graded: its kind, lock, points or schema."""
    mine, theirs = cell.metadata.get("nbgrader", {}), original.metadata.get("nbgrader", {})
    return any(mine.get(k) != theirs.get(k) for k in _GRADING_KEYS)


def read_submission(folder: Path, expected: str) -> tuple[NotebookNode | None, list[str]]:
    """The notebook in ``folder`` (``expected`` is its file name), or None when there is nothing
    gradable; with notes on what was found."""
    path, notes = folder / expected, []
    if not path.is_file():
        candidates = sorted(p.name for p in folder.glob("*.ipynb"))
        if len(candidates) != 1:
            found = f" (found: {', '.join(candidates)})" if candidates else ""
            return None, [f"No notebook named {expected} was handed in{found}."]
        path = folder / candidates[0]
        notes.append(f"The notebook was named {path.name} instead of {expected}; it was graded all the same.")
    raw = path.read_bytes()
    if not raw.strip():
        return None, notes + [f"{path.name} is an empty file."]
    try:
        version = json.loads(raw.decode("utf-8")).get("nbformat")
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:   # any reason it cannot be read is the same outcome for the student
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        return None, notes + [f"{path.name} is not a readable Jupyter notebook ({type(exc).__name__}: {reason})."]
    if version != 4:
        notes.append(f"The notebook was in the old nbformat {version} format and was converted to version 4.")
    return nb, notes


def repair_cells(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """Make ``nb``'s graded cells match the release's, in place; returns notes on what changed.

    Edited grading metadata (points, locks) is put back. Duplicated grade ids: a repeated locked cell is dropped; a repeated answer cell keeps its code
    as an ordinary cell (the student's code still runs as written). Missing graded cells come back
    from the release. Graded cells are put in the release's order, each followed by the ordinary
    cells that followed it in the submission.
    """
    order = [gid for gid in (_grade_id(c) for c in release.cells) if gid]
    originals = {_grade_id(c): c for c in release.cells if _grade_id(c)}
    notes: list[str] = []
    lead: list[NotebookNode] = []
    tagged: dict[str, list[NotebookNode]] = {}
    seen_order: list[str] = []
    current = lead
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid and gid in tagged:
            if utils.is_locked(originals[gid]):
                notes.append(f"A second copy of the read-only cell '{gid}' was removed.")
                continue
            notes.append(f"A second copy of the answer cell '{gid}' was kept as an ordinary cell after the first.")
            cell.metadata.pop("nbgrader", None)
            gid = None
        elif gid and gid not in originals:
            notes.append(f"A cell claimed to be graded cell '{gid}', which this assignment does not have; "
                         "it was kept as an ordinary cell.")
            cell.metadata.pop("nbgrader", None)
            gid = None
        if gid and _edited(cell, originals[gid]):
            notes.append(f"The grading metadata of cell '{gid}' had been edited; the assignment's was put back.")
            cell.metadata["nbgrader"].update({k: originals[gid].metadata["nbgrader"].get(k) for k in _GRADING_KEYS})
        if gid:
            tagged[gid] = current = [cell]
            seen_order.append(gid)
        else:
            current.append(cell)
    missing = [gid for gid in order if gid not in tagged]
    for gid in missing:
        tagged[gid] = [copy.deepcopy(originals[gid])]
    if missing:
        notes.append(f"Deleted graded cells were restored from the assignment: {', '.join(missing)}.")
    if [gid for gid in seen_order if gid in order] != [gid for gid in order if gid in seen_order]:
        notes.append("Graded cells were out of order; they were put back in the assignment's order.")
    nb.cells = lead + [cell for gid in order for cell in tagged[gid]]
    return notes


def note_cell(notes: list[str]) -> NotebookNode:
    """A markdown cell listing ``notes``, for the top of the graded notebook."""
    text = "**Grading notes.** Before grading, this submission was changed as follows:\n\n"
    text += "\n".join(f"* {n}" for n in notes)
    return nbformat.v4.new_markdown_cell(text, metadata={NOTE_MARK: True})


def add_notes(nb: NotebookNode, notes: list[str]) -> None:
    """Put ``notes`` at the top of ``nb``, merged into an existing notes cell if there is one."""
    if not notes:
        return
    if nb.cells and nb.cells[0].get("metadata", {}).get(NOTE_MARK):
        nb.cells[0].source += "\n" + "\n".join(f"* {n}" for n in notes)
    else:
        cell = note_cell(notes)
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
            cell.pop("id", None)                # cell ids exist from nbformat 4.5 on
        nb.cells.insert(0, cell)


def prepare(folder: Path, expected: str, release_path: Path) -> list[str]:
    """Make ``folder`` hold a gradable ``expected`` notebook (a private copy: it may be rewritten);
    returns the notes. An unreadable submission becomes the blank release plus its notes."""
    nb, notes = read_submission(folder, expected)
    if nb is None:
        nb = nbformat.read(release_path, as_version=4)
        notes.append("Nothing in it could be graded, so it was graded as the blank assignment (0 points).")
    for other in folder.glob("*.ipynb"):
        if other.name != expected:
            other.unlink()                      # the original stays in the course's submitted/ folder
    add_notes(nb, notes)
    nbformat.write(nb, folder / expected)
    return notes


class RepairCells(NbGraderPreprocessor):
    """nbgrader sanitize step: ``repair_cells`` against the released notebook of the assignment."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources.get("nbgrader", {})
        course = self.config.CourseDirectory
        release = (Path(course.get("root", ".")) / course.get("release_directory", "release")
                   / info.get("assignment", "") / f"{info.get('notebook', '')}.ipynb")
        if not release.is_file():
            self.log.warning("RepairCells: no release notebook at %s; cells not checked", release)
            return nb, resources
        add_notes(nb, repair_cells(nb, nbformat.read(release, as_version=4)))
        return nb, resources
