"""`dlcourse new-chapter` writes a chapter that releases and grades at once: in a copy of the course,
the skeleton is written, released, executed by nbval, its test cells pass for the solution and fail
for the blank release and its wrong answer, and nbgrader gives the solution full marks and the
release zero. Bad ids and clashes are refused with a clear message and write nothing."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from helpers.course import scaffold
from tests.conftest import ROOT

CHAPTER, TITLE = "99-probe", "Probe"


def course_copy(dest):
    """The parts of the repository a chapter's tests need (no .venv, no git)."""
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("helpers", "tests", "source", "notebooks", "solutions", "data"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    for name in ("nbgrader_config.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


def run(course, *args, timeout=900):
    env = {**os.environ, "PYTHONPATH": str(course), "DLCOURSE_OFFLINE": "1"}
    env.pop("DLCOURSE_SUITE_TIMES", None)      # the outer suite's timing record is not this run's
    return subprocess.run([sys.executable, *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_new_chapter_releases_and_grades(tmp_path):
    course = course_copy(tmp_path / "course")
    made = run(course, "-m", "helpers.course.cli", "new-chapter", CHAPTER, TITLE)
    assert made.returncode == 0, made.stderr
    assert "wrote source/99-probe/99-probe.ipynb" in made.stdout
    released = run(course, "-m", "helpers.course.cli", "release", CHAPTER)
    assert released.returncode == 0, released.stdout + released.stderr
    tested = run(course, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/chapters/test_cells.py",
                 "tests/chapters/test_probe.py", "tests/grading/test_round_trip.py", f"solutions/{CHAPTER}",
                 "-k", "probe")
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-2000:]
    summary = tested.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    listed = run(course, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests/chapters",
                 "tests/grading/test_round_trip.py", f"solutions/{CHAPTER}", "-k", "probe").stdout
    for expected in ("test_solution_gets_full_marks[99-probe]", "test_blank_release_scores_zero[99-probe]",
                     "test_packed_wrong_answers_lose_exactly_their_exercises[99-probe:pack-1]",
                     "test_wrong_answer_fails_its_own_test_cell_and_no_other[99-probe:ex-mse:sum-not-mean]",
                     "test_delegating_to_the_course_answer_earns_nothing[99-probe:mse]", "99-probe.ipynb::Cell"):
        assert expected in listed, f"{expected} was not collected"


@pytest.mark.parametrize("chapter,title,error", [
    ("7-cnn", "CNNs", ValueError), ("07_cnn", "CNNs", ValueError), ("07-CNN", "CNNs", ValueError),
    ("01-again", "Again", FileExistsError), ("42-foundations", "Twice", FileExistsError), ("42-fresh", " ", ValueError)])
def test_bad_ids_and_clashes_write_nothing(tmp_path, chapter, title, error):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source", course / "source")
    (course / "nbgrader_config.py").write_text("")
    before = sorted(p.relative_to(course) for p in course.rglob("*"))
    with pytest.raises(error):
        scaffold.new_chapter(course, chapter, title)
    assert sorted(p.relative_to(course) for p in course.rglob("*")) == before
