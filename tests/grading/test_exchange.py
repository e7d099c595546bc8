"""The nbgrader exchange, end to end, with two students.

The instructor releases the fixture chapter (chapter 01's exercises, tests/grading/fixture.py) into
a local exchange; alice and bob, each with their own home
(a 0700 folder owned by their own uid), fetch it; alice submits the worked solution and bob the
untouched release. The instructor collects, autogrades, generates and releases feedback, and each
student fetches their own. Then bob, as his own unprivileged uid, tries to reach alice's work: he
must not be able to list the exchange's inbox or feedback folders nor read alice's home, and the
names he would have to guess carry a random or secret part.

The students' nbgrader commands themselves run as this (root) process with --student, because
the environment's Python lives where other users cannot execute it; the access checks are made
by a child process that has dropped to the student's uid.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import nbformat
import pytest

from helpers.course import grading, nbgrader_cli, paths
from tests.grading.fixture import CHAPTER
from tests.grading.leaks import visible_text

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                 reason="needs root to check access as the students' own uids")]

STUDENTS = {"alice": 64101, "bob": 64102}   # uids with no passwd entry: nobody's real account


def student(exchange: Path, home: Path, *args: str):
    """Run `nbgrader <args>` for a student, in their home, with their own nbgrader cache."""
    return nbgrader_cli.run(home, *args, "--Exchange.root=" + str(exchange), "--CourseDirectory.course_id=dlcourse",
                            timeout=300, env={"HOME": str(home), "JUPYTER_DATA_DIR": str(home / ".jupyter-data")})


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, fixture_root):
    """Drive the whole exchange; returns (course, exchange, homes)."""
    base = Path(tempfile.mkdtemp(prefix="dlcourse-exchange-"))   # outside pytest's 0700 tmp folder
    os.chmod(base, 0o755)
    exchange = base / "exchange"
    course = grading.course_copy(fixture_root, tmp_path_factory.mktemp("course"), [CHAPTER])
    homes = {}
    for name, uid in STUDENTS.items():
        homes[name] = base / name
        homes[name].mkdir(mode=0o700)
        os.chown(homes[name], uid, uid)
    try:
        grading.generate(course, CHAPTER)
        nbgrader_cli.run(course, "release_assignment", CHAPTER, "--Exchange.root=" + str(exchange), "--force")
        for name in STUDENTS:
            student(exchange, homes[name], "fetch_assignment", CHAPTER, f"--student={name}")
        fetched = paths.notebook(homes["alice"], ".", CHAPTER).resolve()
        solution = nbformat.read(paths.notebook(fixture_root, "solutions", CHAPTER), as_version=4)
        nbformat.write(solution, fetched)                 # alice's work: the worked solution
        for name in STUDENTS:
            student(exchange, homes[name], "submit", CHAPTER, f"--student={name}")
        nbgrader_cli.run(course, "collect", CHAPTER, "--Exchange.root=" + str(exchange), "--CollectApp.check_owner=False")
        grading.autograde(course, CHAPTER)
        grading.generate_feedback(course, CHAPTER)
        nbgrader_cli.run(course, "release_feedback", CHAPTER, "--Exchange.root=" + str(exchange))
        for name in STUDENTS:
            student(exchange, homes[name], "fetch_feedback", CHAPTER, f"--student={name}")
        yield course, exchange, homes
    finally:
        shutil.rmtree(base, ignore_errors=True)


def fetched_feedback(home: Path) -> list[Path]:
    return sorted((home / CHAPTER / "feedback").glob("*/*.html"))


def test_each_student_is_graded_and_gets_their_own_feedback(round_trip):
    course, _, homes = round_trip
    scores = grading.scores(course, CHAPTER)
    assert set(scores) == {"alice", "bob"}
    assert all(c.score == c.max_score for c in scores["alice"].values())
    assert sum(c.score for c in scores["bob"].values()) == 0
    alice, bob = fetched_feedback(homes["alice"]), fetched_feedback(homes["bob"])
    assert len(alice) == 1 and len(bob) == 1
    assert "not implemented yet" not in visible_text(alice[0].read_text())
    assert "not implemented yet" in visible_text(bob[0].read_text())


def can(uid: int, action: str, path: Path) -> bool:
    """Whether the user ``uid`` may list (action 'list') or read ('read') ``path``: asked in a child
    process that drops to that uid, since root itself may read anything."""
    pid = os.fork()
    if pid == 0:   # child: become the student, try, report through the exit code
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.listdir(path) if action == "list" else path.read_bytes()
            code = 0
        except OSError:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def test_students_cannot_reach_each_others_work(round_trip):
    course, exchange, homes = round_trip
    bob, alice = STUDENTS["bob"], STUDENTS["alice"]
    inbound, outbound = exchange / "dlcourse" / "inbound", exchange / "dlcourse" / "feedback"
    submissions = sorted(p.name for p in inbound.iterdir())
    assert len(submissions) == 2
    alice_submission = next(inbound / s for s in submissions if s.startswith("alice+"))
    # the inbox and the feedback folder are write/traverse-only for students: no listing
    assert stat.S_IMODE(inbound.stat().st_mode) & 0o044 == 0
    assert stat.S_IMODE(outbound.stat().st_mode) & 0o044 == 0
    assert not can(bob, "list", inbound) and not can(bob, "list", outbound)
    assert can(bob, "list", exchange / "dlcourse" / "outbound" / CHAPTER)      # the release itself is public
    # the names bob would have to guess: a random suffix on submissions, a secret hash on feedback
    assert len(alice_submission.name.rsplit("+", 1)[-1]) >= 12
    assert all(len(p.stem) >= 32 for p in outbound.glob("*.html"))
    # alice's home (her fetched notebook, her feedback) is hers alone
    assert not can(bob, "list", homes["alice"])
    assert not can(bob, "read", fetched_feedback(homes["alice"])[0])
    assert can(alice, "read", fetched_feedback(homes["alice"])[0])
