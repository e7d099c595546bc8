"""Forbidding functions while a student's graded function runs.

A graded exercise asks the student to write, say, a softmax. ``blocking(...)`` makes the library
versions (``torch.softmax``) and the course's own answer to that exercise (the ``@reference``
function in ``helpers.chapters.foundations.answers``, also reachable as ``helpers.kernels.softmax``)
raise ``ForbiddenCall`` for the duration of one call of the student's code, so a submission that
only delegates to them gets no points, and a message says why.

Every other reference stays callable: a chapter-07 exercise may build on chapter 01's softmax.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import threading
from typing import Callable, Iterable

_state = threading.local()
_MISSING = object()


class ForbiddenCall(BaseException):
    """Raised when graded code calls a function the exercise asks the student to write.

    It derives from BaseException so that a blanket ``except Exception`` in the submission
    does not swallow it; every hit is also recorded, so swallowing it does not help either.
    """

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _blocked() -> frozenset[str]:
    return getattr(_state, "blocked", frozenset())


def _hits() -> list[str]:
    if not hasattr(_state, "hits"):
        _state.hits = []
    return _state.hits


def _trip(name: str):
    _hits().append(name)
    raise ForbiddenCall(name)


def reference(fn: Callable | None = None, *, student: str | None = None):
    """Mark a course answer (a function or an autograd Function class's apply): it refuses to run
    while ``blocking`` names it. ``student`` is the name the exercise asks for when it differs
    (the answer ``sigmoid`` of the exercise ``stable_sigmoid``); tests use it to try delegation.

    Use as ``@reference`` or ``@reference(student="stable_sigmoid")``.
    """
    if fn is None:
        return functools.partial(reference, student=student)
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if name in _blocked():
            _trip(name)
        return fn(*args, **kwargs)

    wrapper.reference_name = name
    wrapper.student_name = student or fn.__name__
    return wrapper


def reference_name(item) -> str | None:
    """The dotted name a ``@reference`` function answers to, or None for anything else."""
    return getattr(item, "reference_name", None)


def names_of(items: Iterable) -> tuple[str, ...]:
    """Dotted names for ``blocking``: strings stay, reference functions give their own name."""
    out = []
    for item in items:
        name = item if isinstance(item, str) else reference_name(item)
        if name is None:
            raise TypeError(f"cannot forbid {item!r}: give a dotted name or a @reference function")
        out.append(name)
    return tuple(out)


def _resolve(dotted: str):
    """'torch.nn.functional.softmax' -> (torch.nn.functional, 'softmax'), or None when the module
    is not imported yet: importing it only to block it would cost up to a second per check
    (torch.distributions), and code that has not imported it cannot be calling it."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        obj = sys.modules.get(".".join(parts[:cut]))
        if obj is None:
            continue
        for attr in parts[cut:-1]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj, parts[-1]
    return None


def _stub(name: str):
    def forbidden(*args, **kwargs):
        _trip(name)
    forbidden.__name__ = name.rsplit(".", 1)[-1]
    return forbidden


def _is_course_name(dotted: str) -> bool:
    """Course references refuse by themselves (see ``reference``); they are never patched, so the
    checks that compute expected values with them keep working."""
    return dotted.startswith("helpers.")


@contextlib.contextmanager
def blocking(names: Iterable = ()):
    """Inside the block, each library function and course reference in ``names`` (dotted names or
    ``@reference`` functions) raises ForbiddenCall. Yields the list of names that were hit."""
    names = names_of(names)
    patched = []
    before = _blocked()
    _state.blocked = before | frozenset(names)
    _state.hits = []
    try:
        for dotted in names:
            found = None if _is_course_name(dotted) else _resolve(dotted)
            if found is None:
                continue
            owner, attr = found
            if hasattr(owner, attr):
                own = vars(owner).get(attr, _MISSING)  # None of its own: it is inherited
                patched.append((owner, attr, own))
                setattr(owner, attr, _stub(dotted))
        yield _state.hits
    finally:
        for owner, attr, original in reversed(patched):
            if original is _MISSING:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)
        _state.blocked = before
