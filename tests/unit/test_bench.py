"""The suite benchmark's bookkeeping: which part and chapter a test belongs to, and the projection."""
import pytest

from helpers.course import bench

CHAPTERS = ["01-foundations", "02-gradients"]


@pytest.mark.parametrize("nodeid,part,chapter", [
    ("solutions/01-foundations/01-foundations.ipynb::Cell 3", "nbval", "01-foundations"),
    ("tests/grading/test_round_trip.py::test_solution_gets_full_marks[02-gradients]", "grading", "02-gradients"),
    ("tests/chapters/test_gradients_demos.py::test_figures", "chapters", "02-gradients"),
    ("tests/chapters/test_cells.py::test_wrong[01-foundations:ex-softmax:global-max]", "chapters", "01-foundations"),
    ("tests/grading/test_bad_submissions.py::test_bad[empty-file]", "grading", None),
    ("tests/unit/test_checks.py::test_fmt_is_short", "unit", None),
])
def test_each_test_has_a_part_and_maybe_a_chapter(nodeid, part, chapter):
    assert bench.suite_part(nodeid) == part
    assert bench.suite_chapter(nodeid, CHAPTERS) == chapter


def test_projection_adds_the_missing_chapters_at_the_mean():
    times = {"solutions/01-foundations/01-foundations.ipynb::Cell 0": 60.0,
             "tests/chapters/test_cells.py::x[02-gradients]": 40.0,
             "tests/unit/test_checks.py::y": 10.0}
    figures = bench.summarize_suite(times, wall=200.0, chapters=CHAPTERS)
    assert figures["chapters_s"] == {"01-foundations": 60.0, "02-gradients": 40.0}
    assert figures["fixed_s"] == 100.0 and figures["mean_chapter_s"] == 50.0
    assert figures["projected_12_s"] == 200.0 + 10 * 50.0
    assert figures["allowance_per_new_chapter_s"] == pytest.approx((1800 - 200) / 10)
    assert figures["parts_s"] == {"chapters": 40.0, "nbval": 60.0, "unit": 10.0}



def test_a_recorded_make_test_run_gives_the_same_figures(tmp_path, monkeypatch):
    """`DLCOURSE_SUITE_TIMES=F make test` records through tests/suite_timer.py; --suite-times reads it."""
    from collections import defaultdict

    from tests import suite_timer
    from tests.conftest import ROOT
    record = tmp_path / "times.json"
    monkeypatch.setattr(suite_timer, "_times", defaultdict(float, {"tests/unit/test_checks.py::y": 10.0}))
    monkeypatch.setattr(suite_timer, "_start", [0.0])
    monkeypatch.setenv("DLCOURSE_SUITE_TIMES", str(record))
    suite_timer.pytest_sessionfinish(None, 1)
    written = bench.read_suite_times(record)
    assert written["tests"] == {"tests/unit/test_checks.py::y": 10.0} and written["exit_code"] == 1
    lines = []
    figures = bench.suite_report(ROOT, written, log=lines.append)
    assert figures["exit_code"] == 1 and figures["parts_s"] == {"unit": 10.0}
    assert any("projection to 12 chapters" in line for line in lines)
