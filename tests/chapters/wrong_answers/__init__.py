"""Plausible wrong answers, written as a student would, one module per chapter named after it.

Chapter ``NN-some-name``'s module is ``some_name.py`` here (see helpers.chapters.package_name); its
``WRONG`` maps each solution cell's grade_id to {name: code}. The test cell of solution cell
"ex-NAME" is "test-NAME". Each wrong answer must fail its own test cell and no other (checked
in-process by tests/chapters/test_cells.py, and through nbgrader by tests/grading/).
"""
from __future__ import annotations

from importlib import import_module

from helpers.chapters import package_name


def wrong_answers(chapter: str) -> dict[str, dict[str, str]]:
    """{solution cell grade_id: {name: code}} for ``chapter`` (empty when it has no module yet)."""
    return chapter_answers(__name__, chapter)


def chapter_answers(package: str, chapter: str) -> dict[str, dict[str, str]]:
    """``WRONG`` of ``package``'s module named after ``chapter`` (empty when there is none)."""
    try:
        module = import_module(f"{package}.{package_name(chapter)}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{package_name(chapter)}":
            raise
        return {}
    return module.WRONG
