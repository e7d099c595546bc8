"""Feedback without leaks: what `nbgrader generate_feedback` may show a student.

nbgrader's feedback HTML is the autograded notebook, and autograding puts the full test cells back,
hidden tests included; a failed hidden assertion's traceback quotes the lines around it too. The
``RedactHiddenTests`` preprocessor (enabled in nbgrader_config.py) runs before the HTML is written:
in every graded test cell it replaces the hidden region by one comment line and cuts error tracebacks
down to what the check said. The student's own cells and the check messages stay as they are.
"""
from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
PLACEHOLDER = "# (hidden tests ran here; their code is not shown)"


def redact_source(source: str) -> str:
    """``source`` with each BEGIN/END HIDDEN TESTS region (markers included) replaced by one comment
    line, indented like its marker. An unclosed region hides everything after its BEGIN."""
    out, hidden = [], False
    for line in source.split("\n"):
        if BEGIN in line and not hidden:
            hidden = True
            out.append(line[:len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif END in line and hidden:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def redact_error(output: NotebookNode) -> NotebookNode:
    """An error output whose traceback shows no test code: the course's compact check display
    (a CheckFailure's message and the student's own failing lines) is kept; any other error is cut
    to 'Name: message', since IPython's traceback quotes the test cell's lines."""
    if output.get("output_type") != "error":
        return output
    if output.get("ename") != "CheckFailure":
        output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
    return output


class RedactHiddenTests(NbGraderPreprocessor):
    """Hide hidden-test code and test-cell tracebacks in generated feedback."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
            cell.source = redact_source(cell.source)
            cell.outputs = [redact_error(o) for o in cell.get("outputs", [])]
        return cell, resources
