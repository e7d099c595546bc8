"""Forbidding functions while a student's graded function runs.

A graded exercise asks the student to write, say, a softmax. ``blocking(...)`` makes the library
versions (``torch.softmax``) and the course's own reference versions (``helpers.reference``) raise
``ForbiddenCall`` for the duration of one call of the student's code, so a submission that only
delegates to them gets no points, and a message says why.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import threading

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


def _blocked() -> set[str]:
    return getattr(_state, "blocked", set())


def _hits() -> list[str]:
    if not hasattr(_state, "hits"):
        _state.hits = []
    return _state.hits


def _trip(name: str):
    _hits().append(name)
    raise ForbiddenCall(name)


def reference(fn):
    """Mark a helpers.reference function (of the package or one of its chapter modules): it refuses
    to run inside ``blocking(..., reference=True)``."""
    name = f"{fn.__module__}.{fn.__name__}"

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if name in _blocked() or "helpers.reference.*" in _blocked():
            _trip(name)
        return fn(*args, **kwargs)

    return wrapper


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


@contextlib.contextmanager
def blocking(names: tuple[str, ...] = (), reference: bool = True):
    """Inside the block, each dotted name in ``names`` (and, if ``reference``, every
    helpers.reference function) raises ForbiddenCall. Yields the list of names that were hit."""
    patched = []
    before = _blocked()
    _state.blocked = set(before) | set(names) | ({"helpers.reference.*"} if reference else set())
    _state.hits = []
    try:
        for dotted in names:
            found = _resolve(dotted)
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
