"""Every chapter's own test cells, run in-process (seconds per chapter): the solution passes all of
them, the blank release fails all of them with "not implemented yet", every known wrong answer fails
its own test cell and no other, and an answer that only calls the course's reference for it fails.

New chapters are picked up from source/ with nothing to register; tests/grading/ then proves the
same through nbgrader with a constant number of submissions per chapter.
"""
from __future__ import annotations

import functools

import pytest

from helpers.chapters import module, package_name
from helpers.course import paths
from helpers.grading.guard import reference_name
from tests.chapters.cells import Chapter, functions_and_classes, paired_test
from tests.chapters.wrong_answers import wrong_answers
from tests.conftest import ROOT

CHAPTERS = paths.chapters(ROOT)


@functools.cache
def chapter(ch: str) -> Chapter:
    return Chapter.load(ROOT, ch)


def wrong_cases():
    return [(ch, cell, name) for ch in CHAPTERS for cell, variants in wrong_answers(ch).items() for name in variants]


def delegations(ch: str) -> list[tuple[str, str, str]]:
    """(answer cell, student name, answer attribute) for every function or class an answer cell
    defines that the chapter's answers module also holds (by name, or by @reference(student=...))."""
    answers = module(ch, "answers")
    by_student = {getattr(v, "student_name", k): k for k, v in vars(answers).items()
                  if callable(v) and getattr(v, "__module__", "") == answers.__name__ and not k.startswith("_")}
    return [(cell, name, by_student[name]) for cell, src in chapter(ch).solution.items()
            for name in functions_and_classes(src) if name in by_student]


def delegation_cases():
    return [(ch, *d) for ch in CHAPTERS for d in delegations(ch)]


@pytest.mark.parametrize("ch", CHAPTERS)
def test_chapter_has_its_home(ch):
    """Found from the id alone: helpers.chapters.<name>.{demos,answers,checks} and a wrong-answer module."""
    for part in ("demos", "answers", "checks"):
        assert module(ch, part).__name__ == f"helpers.chapters.{package_name(ch)}.{part}"
    assert wrong_answers(ch), f"add tests/chapters/wrong_answers/{package_name(ch)}.py"


@pytest.mark.parametrize("ch", CHAPTERS)
def test_every_exercise_has_a_test_cell_and_known_wrong_answers(ch):
    cells = chapter(ch)
    assert sorted(cells.tests) == sorted(paired_test(a) for a in cells.solution), "each ex-NAME needs one test-NAME cell"
    missing = [a for a in cells.solution if not wrong_answers(ch).get(a)]
    assert not missing, f"{ch}: no wrong answers catalogued for {missing}"
    unknown = sorted(set(wrong_answers(ch)) - set(cells.solution))
    assert not unknown, f"{ch}: wrong answers for cells that do not exist: {unknown}"
    for answer in cells.solution:
        assert answer in cells.depends[paired_test(answer)], f"{paired_test(answer)} never uses what {answer} defines"


@pytest.mark.parametrize("ch", CHAPTERS)
def test_solution_passes_every_test_cell(ch):
    cells = chapter(ch)
    outcomes = {t: cells.run(t) for t in cells.tests}
    failed = {t: o.message for t, o in outcomes.items() if not o.passed}
    assert not failed, failed
    valued = {t: repr(o.value)[:80] for t, o in outcomes.items() if o.value is not None}
    assert not valued, (f"{ch}: these test cells end in an expression with a value, which nbgrader would "
                        f"take as the cell's score (partial credit): {valued}")


@pytest.mark.parametrize("ch", CHAPTERS)
def test_blank_release_fails_every_test_cell_as_not_implemented(ch):
    cells = chapter(ch)
    for t in cells.tests:
        outcome = cells.run(t, cells.blank)
        assert not outcome.passed and "not implemented yet" in outcome.message, (t, outcome.message)


@pytest.mark.parametrize("ch,cell,name", wrong_cases(), ids=[f"{c}:{a}:{n}" for c, a, n in wrong_cases()])
def test_wrong_answer_fails_its_own_test_cell_and_no_other(ch, cell, name):
    cells = chapter(ch)
    code = wrong_answers(ch)[cell][name].strip()
    outcomes = {t: cells.run(t, {cell: code}) for t in cells.affected(cell)}
    own = outcomes.pop(paired_test(cell))
    assert not own.passed, f"{name} passes {paired_test(cell)}"
    assert isinstance(own.error, AssertionError), f"{name}: a crash, not a check message: {own.message}"
    assert len(str(own.error)) > 20, "the message must say what is wrong"
    others = {t: o.message for t, o in outcomes.items() if not o.passed}
    assert not others, f"{name} also fails {others}"


@pytest.mark.parametrize("ch,cell,name,attr", delegation_cases(),
                         ids=[f"{c}:{n}" for c, _, n, _ in delegation_cases()])
def test_delegating_to_the_course_answer_earns_nothing(ch, cell, name, attr):
    """Whatever a chapter's answers module holds for an exercise (its ``@reference``) is refused there."""
    cells = chapter(ch)
    answers = module(ch, "answers")
    code = cells.solution[cell] + f"\n\nfrom {answers.__name__} import {attr} as {name}\n"
    outcome = cells.run(paired_test(cell), {cell: code})
    assert not outcome.passed, f"{name} may delegate to {answers.__name__}.{attr}"
    assert "calls helpers.chapters." in outcome.message, outcome.message
    target = reference_name(getattr(answers, attr))
    if target:
        assert target in outcome.message
