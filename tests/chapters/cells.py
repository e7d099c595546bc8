"""Running a chapter's own test cells in-process, against its solution, its blank release, its known
wrong answers and answers that delegate to the course's reference: the fast half of the proof that
every exercise is gradable (the slow half is nbgrader itself, tests/grading/).

A submission is run as nbgrader runs it, minus the lesson: the locked setup cell, every answer cell
in order (an answer cell that raises does not stop the rest), then one test cell. Which test cells a
changed answer can affect is read from the names the cells define and use.
"""
from __future__ import annotations

import ast
import contextlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import nbformat

from helpers.course import paths


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def paired_test(answer_id: str) -> str:
    """The test cell of answer cell 'ex-NAME' is 'test-NAME'."""
    return "test-" + answer_id.removeprefix("ex-")


def defined_names(source: str) -> set[str]:
    """Top-level names a cell binds: functions, classes, assignments, imports."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def functions_and_classes(source: str) -> list[str]:
    """The functions and classes a cell defines at top level, in order."""
    return [n.name for n in ast.parse(source).body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def used_names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


_LAST_VALUE = "_test_cell_last_value_"


def _keeping_last_value(source: str, filename: str):
    """``source`` compiled so that the value of a final bare expression, which Jupyter displays and
    nbgrader takes as the cell's partial credit when it is a number, lands in ``_LAST_VALUE``."""
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        tree.body[-1] = ast.Assign(targets=[ast.Name(_LAST_VALUE, ast.Store())], value=tree.body[-1].value)
        ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec")


@dataclass
class Outcome:
    """What one test cell did: passed (error None) or raised."""
    test: str
    error: BaseException | None = None
    value: object = None            # what the cell's last line evaluates to, as Jupyter would display it

    @property
    def passed(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        return "" if self.error is None else f"{type(self.error).__name__}: {self.error}"


@dataclass
class Chapter:
    """A chapter's graded cells: setup, answers (solution and blank) and tests, with the answer
    cells each test depends on."""
    chapter: str
    setup: list[str]
    solution: dict[str, str]                     # answer grade_id -> solution code, in notebook order
    blank: dict[str, str]                        # answer grade_id -> release code (raise NotImplementedError)
    tests: dict[str, str]                        # test grade_id -> source with hidden tests
    points: dict[str, float]
    depends: dict[str, set[str]] = field(default_factory=dict)    # test grade_id -> answer grade_ids

    @classmethod
    def load(cls, root: Path, chapter: str) -> "Chapter":
        read = lambda folder: nbformat.read(paths.notebook(root, folder, chapter), as_version=4)  # noqa: E731
        source, solution, release = read("source"), read("solutions"), read("notebooks")
        code = lambda nb, kind: {_nbgrader(c)["grade_id"]: c.source for c in nb.cells  # noqa: E731
                                 if c.cell_type == "code" and _nbgrader(c).get(kind)}
        setup = [c.source for c in source.cells if c.cell_type == "code" and _nbgrader(c).get("locked")
                 and not _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")]
        tests = code(source, "grade")
        points = {k: float(_nbgrader(c).get("points", 0)) for c in source.cells
                  if _nbgrader(c).get("grade") for k in [_nbgrader(c)["grade_id"]]}
        chapter_cells = cls(chapter, setup, code(solution, "solution"), code(release, "solution"), tests, points)
        chapter_cells.depends = {t: chapter_cells._closure(used_names(src)) for t, src in tests.items()}
        return chapter_cells

    def _closure(self, names: set[str]) -> set[str]:
        """Answer cells that define any of ``names``, and the answer cells those use, transitively."""
        defines = {a: defined_names(src) for a, src in self.solution.items()}
        found, todo = set(), set(names)
        while todo:
            hits = {a for a, d in defines.items() if d & todo} - found
            found |= hits
            todo = set().union(*(used_names(self.solution[a]) for a in hits)) if hits else set()
        return found

    def affected(self, answer: str) -> list[str]:
        """The test cells whose outcome a change to ``answer`` can change."""
        return [t for t, deps in self.depends.items() if answer in deps]

    def run(self, test: str, answers: dict[str, str] | None = None) -> Outcome:
        """Run test cell ``test`` after the setup and every answer cell (``answers`` replaces some)."""
        answers = {**self.solution, **(answers or {})}
        namespace: dict = {"__name__": "__main__"}
        grading = mock.patch.dict(os.environ, {"NBGRADER_EXECUTION": "autograde"})   # as nbgrader: small budgets
        with grading, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for src in self.setup:
                exec(compile(src, "<setup>", "exec"), namespace)
            for grade_id, src in answers.items():
                try:
                    exec(compile(src, f"<{grade_id}>", "exec"), namespace)
                except Exception:                              # nbgrader runs on after a failing cell
                    pass                                       # (a SyntaxError included)
            try:
                exec(_keeping_last_value(self.tests[test], f"<{test}>"), namespace)
            except BaseException as exc:                      # noqa: BLE001 (SystemExit too)
                return Outcome(test, exc)
            return Outcome(test, value=namespace.get(_LAST_VALUE))
