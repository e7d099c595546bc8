"""What the tests of the chapters' checks (tests/chapters/test_<name>.py) share: the reference as a
student's correct answer, a blank answer, and assertions that a check fails with a given hint."""
from __future__ import annotations

import pytest

from helpers.grading.checks import CheckFailure


def unwrap(fn):
    """The reference function itself, without the guard (a student's correct code)."""
    return fn.__wrapped__


def not_implemented(*args, **kwargs):
    """A blank answer cell."""
    raise NotImplementedError()


def fails_with(check, *args, hint: str, **kwargs) -> str:
    """check(*args, **kwargs) fails and its message contains ``hint``; returns the message."""
    with pytest.raises(CheckFailure) as err:
        check(*args, **kwargs)
    assert hint in str(err.value), f"expected the hint {hint!r} in:\n{err.value}"
    return str(err.value)


def failure_messages(check, fn, cases) -> list[str]:
    """The failure messages of check(fn, *args) over the cases (empty if it passes them all)."""
    out = []
    for args in cases:
        try:
            check(fn, *args)
        except CheckFailure as err:
            out.append(str(err))
    return out


def names_mistake(check, fn, cases, hint: str) -> None:
    """The check fails on at least one of the cases, and one of the failures gives ``hint``."""
    found = failure_messages(check, fn, cases)
    assert found, "the mistake passed every input"
    assert any(hint in m for m in found), f"no message gave the hint {hint!r}:\n" + "\n".join(found)
