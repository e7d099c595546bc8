"""One package per chapter, found from the chapter id by convention: nothing is registered by hand.

Chapter ``NN-some-name`` (its nbgrader assignment id, and the folder under source/) lives in
``helpers.chapters.some_name``, with these modules:

    demos    its figures and widgets (the logic as plain functions the tests call)
    answers  the reference answers to its exercises (``@reference``: refused inside the very
             exercise that asks for them, callable everywhere else)
    checks   the checks its test cells call, with the catalogue of known mistakes

and its wrong answers for the tests in ``tests/chapters/wrong_answers/some_name.py``.
"""
from __future__ import annotations

import re
from importlib import import_module
from types import ModuleType

PARTS = ("demos", "answers", "checks")
_ID = re.compile(r"^(\d{2})-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)$")


def package_name(chapter: str) -> str:
    """'06-deep-nets' -> 'deep_nets': the chapter id without its number, as a Python name."""
    match = _ID.match(chapter)
    if not match:
        raise ValueError(f"chapter ids look like '07-cnn' (two digits, a dash, lowercase words joined by "
                         f"dashes), got {chapter!r}")
    return match.group(2).replace("-", "_")


def module(chapter: str, part: str) -> ModuleType:
    """The chapter's ``demos``, ``answers`` or ``checks`` module, e.g. module('01-foundations', 'checks')."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return import_module(f"{__name__}.{package_name(chapter)}.{part}")
