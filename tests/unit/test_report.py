"""The class report's pieces that need no gradebook: grouping failure messages, the page itself."""
from __future__ import annotations

from collections import Counter

from helpers.course import cli, report


def test_same_mistake_with_different_numbers_is_one_group():
    a = report.failure_key("CheckFailure", "softmax(z): expected 0.25, got 0.5\n  Likely mistake: sum over dim 0.")
    b = report.failure_key("CheckFailure", "softmax(z): expected 0.1, got 3e-05\n  Likely mistake: sum over dim 0.")
    assert a == b == "softmax(z): expected #, got # Likely mistake: sum over dim #."
    c = report.failure_key("CheckFailure", "softmax(z): expected 0.1, got 3e-05\n  Likely mistake: forgot the max.")
    assert c != a


def test_message_without_hint_groups_by_first_line_with_numbers_blanked():
    assert report.failure_key("CheckFailure", "f(x): expected shape (3, 4), got (4, 3).\nmore") == \
        "f(x): expected shape (#, #), got (#, #)."


def test_other_errors_keep_their_name():
    assert report.failure_key("KernelDied", "the kernel died while running this cell") == \
        "KernelDied: the kernel died while running this cell"
    assert report.failure_key("NameError", "") == "NameError: (no message)"


def test_page_lists_exercises_rates_and_messages_escaped():
    ex = report.Exercise("test-softmax", 2.0, [2.0, 0.0, 0.0, 2.0], Counter({"f: <b>bad</b>": 2}))
    results = report.ClassResults("01-foundations", 2.0, {"a": 2.0, "b": 0.0, "c": 0.0, "d": 2.0}, [ex])
    page = report.render(results)
    assert "4 students graded" in page and "2 with full marks" in page
    assert "50 %" in page and "<b>2×</b>" in page
    assert "&lt;b&gt;bad&lt;/b&gt;" in page and "<b>bad</b>" not in page
    assert page.count("data:image/png;base64,") == 2


def test_report_without_grades_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    import shutil

    from tests.conftest import ROOT
    shutil.copytree(ROOT / "source" / "01-foundations", tmp_path / "source" / "01-foundations")
    monkeypatch.setattr(cli.paths, "course_root", lambda: tmp_path)
    assert cli.main(["report", "01"]) == 1
    assert "run `dlcourse autograde 01-foundations` first" in capsys.readouterr().err
