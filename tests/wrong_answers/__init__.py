"""Plausible wrong answers, written as a student would, per chapter and solution cell (grade_id).

The grading round trip (test_grading.py) submits the solution with one of these in place of one
solution cell and expects that exercise, and only that exercise, to lose its points. The test cell
of solution cell "ex-NAME" is "test-NAME". Each chapter's catalogue lives in its own module here.
"""
from importlib import import_module

# chapter id -> module of this package whose WRONG is {solution cell grade_id: {name: code}}
_MODULES = {
    "01-foundations": "foundations",
    "02-gradients": "gradients",
    "03-backprop": "backprop",
}

WRONG_ANSWERS: dict[str, dict[str, dict[str, str]]] = {
    chapter: import_module(f"{__name__}.{module}").WRONG for chapter, module in _MODULES.items()
}
