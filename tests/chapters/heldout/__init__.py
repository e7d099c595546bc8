"""A second set of plausible wrong answers, kept apart from the catalogues the checks were built
against: the measure of how the checks do on mistakes nobody listed (``python -m
tests.chapters.diagnosis_report``). Same format as tests/chapters/wrong_answers: one module per
chapter, ``WRONG = {answer grade_id: {name: code}}``. Entries for cells a chapter no longer has are
skipped by the report. They are not asserted one by one: the report gives the share that loses
points and the share whose message names the mistake.
"""
from __future__ import annotations

from importlib import import_module

from helpers.chapters import package_name


def heldout_answers(chapter: str) -> dict[str, dict[str, str]]:
    try:
        module = import_module(f"{__name__}.{package_name(chapter)}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{package_name(chapter)}":
            raise
        return {}
    return module.WRONG
