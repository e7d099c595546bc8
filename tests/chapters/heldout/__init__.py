"""A second set of plausible wrong answers, kept apart from the catalogues the checks were built
against: the measure of how the checks do on mistakes nobody listed (``python -m
tests.chapters.diagnosis_report``). Same format as tests/chapters/wrong_answers: one module per
chapter, ``WRONG = {answer grade_id: {name: code}}``. Entries for cells a chapter no longer has are
skipped by the report. They are not asserted one by one: the report gives the share that loses
points and the share whose message names the mistake.
"""
from __future__ import annotations

from tests.chapters.wrong_answers import chapter_answers


def heldout_answers(chapter: str) -> dict[str, dict[str, str]]:
    """{solution cell grade_id: {name: code}} held out for ``chapter`` (empty when none)."""
    return chapter_answers(__name__, chapter)
