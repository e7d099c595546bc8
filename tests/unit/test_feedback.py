"""helpers.grading.feedback: failed checks display as their message plus the student's own failing line,
and the cell still fails (the kernel's error message is sent)."""
import pytest

from helpers.grading import checks, feedback


def failing_student_code():
    raise ValueError("bad shapes")


def failure():
    try:
        checks.call(lambda: failing_student_code(), what="f")
    except checks.CheckFailure as exc:
        return exc
    raise AssertionError("expected a CheckFailure")


def test_message_first_then_the_students_line():
    lines = feedback.format_failure(failure())
    assert "CheckFailure" in lines[0] and "raised ValueError: bad shapes" in lines[0]
    assert lines[1] == "  where your code raised ValueError:"
    assert any('raise ValueError("bad shapes")' in line for line in lines[2:])
    assert not any("helpers/checks.py" in line for line in lines)


def test_not_implemented_shows_no_frames():
    def todo():
        raise NotImplementedError()
    with pytest.raises(checks.CheckFailure) as err:
        checks.call(todo, what="f")
    assert len(feedback.format_failure(err.value)) == 1


class FakeShell:
    def __init__(self):
        self.shown = []

    def set_custom_exc(self, types, handler):
        self.types, self.handler = types, handler

    def _showtraceback(self, etype, value, stb):
        self.shown.append((etype, stb))


def test_installed_handler_still_reports_an_error():
    shell = FakeShell()
    feedback.install(shell)
    assert shell.types == (checks.CheckFailure, MemoryError)
    exc = failure()
    stb = shell.handler(shell, type(exc), exc, None)
    assert shell.shown == [(checks.CheckFailure, stb)]   # the error message is sent, the cell fails


class FormattingShell(FakeShell):
    class InteractiveTB:
        @staticmethod
        def structured_traceback(etype, value, tb, tb_offset=None):
            return [f"{etype.__name__}: {value}"]


def test_memory_error_keeps_its_traceback_and_says_what_it_means():
    shell = FormattingShell()
    feedback.install(shell)
    assert MemoryError in shell.types
    feedback.hold_memory_reserve()
    stb = shell.handler(shell, MemoryError, MemoryError(), None)
    assert stb[0] == "MemoryError: " and "ran out of memory" in stb[-1] and "shapes" in stb[-1]
    assert shell.shown == [(MemoryError, stb)]
    assert len(feedback._reserve) == 1            # held again for the next one
