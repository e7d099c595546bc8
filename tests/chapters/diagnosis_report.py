"""How the checks do on wrong answers: the share that loses points, the share whose message names
the mistake, and any that cost points on another exercise. Run in-process over every chapter's
test cells (seconds per chapter), for the catalogued wrong answers (tests/chapters/wrong_answers)
and the held-out ones the checks were not built against (tests/chapters/heldout)::

    python -m tests.chapters.diagnosis_report            # the figures
    python -m tests.chapters.diagnosis_report --show     # and every held-out answer's message

"Names the mistake" means the message carries a "Likely mistake:" line or states the cause itself
(an input changed in place, a forbidden call, a dtype, a broken autograd graph): whether that
line is right is for a reader of --show to judge.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from helpers.course import paths
from tests.chapters.cells import Chapter, paired_test
from tests.chapters.heldout import heldout_answers
from tests.chapters.wrong_answers import wrong_answers
from tests.conftest import ROOT

_CAUSES = ("Likely mistake:", "in place", "it calls ", "dtype is", "expected dtype", "expected type", "not connected",
           "not implemented")


@dataclass
class Graded:
    chapter: str
    cell: str
    name: str
    loses: bool
    named: bool
    collateral: list[str]
    message: str


def grade(cells: Chapter, cell: str, name: str, code: str) -> Graded:
    outcomes = {t: cells.run(t, {cell: code.strip()}) for t in cells.affected(cell)}
    own = outcomes.pop(paired_test(cell))
    collateral = sorted(t for t, o in outcomes.items() if not o.passed)
    return Graded(cells.chapter, cell, name, not own.passed, any(c in own.message for c in _CAUSES),
                  collateral, own.message)


def grade_set(answers_of) -> list[Graded]:
    out = []
    for ch in paths.chapters(ROOT):
        cells = Chapter.load(ROOT, ch)
        for cell, variants in answers_of(ch).items():
            if cell not in cells.solution:
                continue                              # the chapter no longer has this exercise
            out += [grade(cells, cell, name, code) for name, code in variants.items()]
    return out


def summary(label: str, graded: list[Graded]) -> str:
    n = len(graded) or 1
    loses = sum(g.loses for g in graded)
    named = sum(g.loses and g.named for g in graded)
    collateral = [g for g in graded if g.collateral]
    lines = [f"{label}: {len(graded)} wrong answers; {loses} lose points ({100 * loses / n:.0f} %), "
             f"{named} with a message that names the cause ({100 * named / n:.0f} %), "
             f"{len(collateral)} lose points on another exercise"]
    lines += [f"  full marks: {g.chapter} {g.cell} {g.name}" for g in graded if not g.loses]
    lines += [f"  also fails {g.collateral}: {g.chapter} {g.cell} {g.name}" for g in collateral]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print every held-out answer's message")
    args = parser.parse_args(argv)
    known, held = grade_set(wrong_answers), grade_set(heldout_answers)
    print(summary("catalogued", known))
    print(summary("held out", held))
    if args.show:
        for g in held:
            print(f"\n--- {g.chapter} {g.cell} {g.name}: {'loses' if g.loses else 'FULL MARKS'}\n{g.message}")


if __name__ == "__main__":
    main()
