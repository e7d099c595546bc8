"""The held-out wrong answers (tests/chapters/heldout): not one of them costs points on another
exercise, and whatever fails gets a check's message, not a crash. Whether each loses points and
is named is measured, not asserted: `make bench-diagnosis`."""
from __future__ import annotations

import pytest

from tests.chapters.diagnosis_report import grade
from tests.chapters.heldout import heldout_answers
from tests.chapters.test_cells import CHAPTERS, chapter


def heldout_cases():
    return [(ch, cell, name) for ch in CHAPTERS for cell, variants in heldout_answers(ch).items()
            if cell in chapter(ch).solution for name in variants]


@pytest.mark.parametrize("ch,cell,name", heldout_cases(), ids=[f"{c}:{a}:{n}" for c, a, n in heldout_cases()])
def test_heldout_answer_costs_nothing_elsewhere_and_gets_a_message(ch, cell, name):
    graded = grade(chapter(ch), cell, name, heldout_answers(ch)[cell][name])
    assert not graded.collateral, f"{name} also fails {graded.collateral}"
    if graded.loses:
        assert graded.message.startswith("CheckFailure: "), graded.message
