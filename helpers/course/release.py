"""Regenerate the student release (notebooks/) and the solutions (solutions/) from source/.

Both are nbgrader steps (generate_assignment, generate_solution). Their output is then normalized
so that the committed files are deterministic and carry no outputs: the drift test regenerates
them and compares bytes.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from helpers.course import nbgrader_cli, paths

# Cell metadata that editors add and that carries no meaning for the course.
_VOLATILE_CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter", "tags_cache")
_VOLATILE_NB_KEYS = ("widgets", "toc", "varInspector")


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs, execution counts and editor metadata, in place; returns ``nb``."""
    for key in _VOLATILE_NB_KEYS:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def write_normalized(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.write(normalize(nb), path)


def release_chapter(root: Path, chapter: str) -> list[Path]:
    """Regenerate notebooks/<chapter>/ and solutions/<chapter>/; returns the notebooks written."""
    nbgrader_cli.run(root, "generate_assignment", chapter, "--force")
    nbgrader_cli.run(root, "generate_solution", chapter, "--force")
    written = []
    for folder in ("notebooks", "solutions"):
        for nb_path in sorted((root / folder / chapter).glob("*.ipynb")):
            write_normalized(nb_path)
            written.append(nb_path)
    return written


def normalize_sources(root: Path, chapters: list[str]) -> None:
    """Keep hand-edited source notebooks output-free too (JupyterLab saves outputs)."""
    for chapter in chapters:
        for nb_path in sorted((root / "source" / chapter).glob("*.ipynb")):
            write_normalized(nb_path)


def release(root: Path, chapters: list[str] | None = None, log=print) -> list[Path]:
    """Regenerate every (or the named) chapter. Returns the notebooks written."""
    chosen = paths.select(root, chapters)
    normalize_sources(root, chosen)
    written = []
    for chapter in chosen:
        written += release_chapter(root, chapter)
        log(f"released {chapter}: notebooks/{chapter}/ and solutions/{chapter}/")
    return written
