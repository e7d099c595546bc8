"""Autograde a whole class across worker processes, with a progress bar, into one gradebook.

SQLite takes one writer at a time, so workers never share a gradebook. Each worker is a private
copy of the course (its config, the chapter's source and a copy of the gradebook) served by one
long-lived process (helpers.course.worker) that grades student after student there, as
`nbgrader autograde CHAPTER --student S` would, with nbgrader in-process and the next student's
kernel started ahead. When a student is done, their rows (submission, per-cell grades and
comments) are copied into the course's gradebook by this process, under a lock, and their
autograded folder is copied back: the course ends with the rows and files that serial
`nbgrader autograde` writes. A student whose grading fails is reported and the others go on;
nothing already in the gradebook is touched for them.
"""
from __future__ import annotations

import json
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from helpers.course import intake, nbgrader_cli, paths, sandbox


@dataclass(frozen=True)
class Outcome:
    """How grading one student went: ``error`` is None on success, else what nbgrader said;
    ``notes`` are what intake changed in the grader's copy (a misnamed or unreadable file, ...)."""
    student: str
    seconds: float
    error: str | None = None
    notes: tuple[str, ...] = ()


def db_url(course: Path) -> str:
    return "sqlite:///" + str(course / "gradebook.db")


def submitted_students(course: Path, chapter: str) -> list[str]:
    """Students with a folder submitted/<student>/<chapter>/, sorted."""
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{chapter}") if p.is_dir())


def make_worker(course: Path, chapter: str, dest: Path) -> Path:
    """A private course in ``dest``: config, the chapter's source and release (intake repairs cells
    against it) and a snapshot of the gradebook."""
    dest.mkdir(parents=True)
    shutil.copy2(course / "nbgrader_config.py", dest / "nbgrader_config.py")
    for folder in ("source", "notebooks"):
        shutil.copytree(course / folder / chapter, dest / folder / chapter)
    shutil.copy2(course / "gradebook.db", dest / "gradebook.db")
    return dest


def _replace_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dest)


def copy_grades(src_url: str, dest_url: str, chapter: str, student: str) -> None:
    """Copy ``student``'s submission of ``chapter`` (timestamps, penalties, flags, every grade and
    comment) from the gradebook at ``src_url`` into the one at ``dest_url``, creating or updating it."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings(), Gradebook(src_url) as src, Gradebook(dest_url) as dest:
        # nbgrader's own add_submission triggers SQLAlchemy autoflush warnings; they are harmless
        warnings.simplefilter("ignore", SAWarning)
        who = src.find_student(student)
        dest.update_or_create_student(student, first_name=who.first_name, last_name=who.last_name,
                                      email=who.email, lms_user_id=who.lms_user_id)
        sub = src.find_submission(chapter, student)
        dest.update_or_create_submission(chapter, student, timestamp=sub.timestamp, extension=sub.extension)
        for nb in sub.notebooks:
            target = dest.find_submission_notebook(nb.name, chapter, student)
            target.flagged, target.late_submission_penalty = nb.flagged, nb.late_submission_penalty
            for grade in nb.grades:
                row = dest.find_grade(grade.name, nb.name, chapter, student)
                for column in ("auto_score", "manual_score", "extra_credit", "needs_manual_grade"):
                    setattr(row, column, getattr(grade, column))
            for comment in nb.comments:
                row = dest.find_comment(comment.name, nb.name, chapter, student)
                row.auto_comment, row.manual_comment = comment.auto_comment, comment.manual_comment
        dest.db.commit()


def _threads_per_kernel(workers: int) -> str:
    """Split the cores between the workers' kernels instead of letting each torch take them all."""
    return str(max(1, (os.cpu_count() or 1) // workers))


class Worker:
    """A long-lived grading process (helpers.course.worker) serving one private course copy."""

    def __init__(self, folder: Path, threads: str):
        self.folder, self.threads = folder, threads
        self.proc: subprocess.Popen | None = None

    def _spawn(self) -> None:
        env = nbgrader_cli.environment({"OMP_NUM_THREADS": self.threads, "MKL_NUM_THREADS": self.threads})
        with open(self.folder / "worker.log", "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "helpers.course.worker", str(self.folder)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                                         cwd=self.folder, env=env)

    def grade(self, chapter: str, student: str, timeout: float | None = None) -> str | None:
        """Autograde ``student`` in this worker's course copy; None, or what went wrong."""
        if self.proc is None or self.proc.poll() is not None:
            self._spawn()
        try:
            self.proc.stdin.write(json.dumps({"chapter": chapter, "student": student}) + "\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline() if ready else ""
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self.close(kill=True)
            return "the grading worker stopped (timed out or crashed) while grading this student"
        reply = json.loads(line)
        return None if reply["success"] else f"nbgrader autograde failed: {reply['error']}"

    def close(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        try:
            if not kill:
                self.proc.stdin.close()
                self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            kill = True
        if kill or self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def grade_student(course: Path, worker: Worker, chapter: str, student: str, lock: threading.Lock,
                  timeout: float | None = None) -> Outcome:
    """Autograde one student in ``worker`` and merge the result into ``course``."""
    start = time.perf_counter()
    folder = worker.folder
    if (folder / "submitted").exists():
        shutil.rmtree(folder / "submitted")
    _replace_tree(course / "submitted" / student / chapter, folder / "submitted" / student / chapter)
    notes = tuple(intake.prepare(folder / "submitted" / student / chapter, f"{chapter}.ipynb",
                                 paths.notebook(course, "notebooks", chapter)))
    error = worker.grade(chapter, student, timeout)
    graded = folder / "autograded" / student / chapter
    if error is None and not graded.is_dir():
        error = "nbgrader autograde wrote no autograded notebook"
    if error is not None:
        tail = "\n".join(error.strip().splitlines()[-5:])
        return Outcome(student, time.perf_counter() - start, tail, notes)
    with lock:
        copy_grades(db_url(folder), db_url(course), chapter, student)
        _replace_tree(graded, course / "autograded" / student / chapter)
    return Outcome(student, time.perf_counter() - start, notes=notes)


def autograde_class(course: Path, chapter: str, workers: int | None = None, students: list[str] | None = None,
                    progress: bool = True, timeout: float | None = None) -> list[Outcome]:
    """Autograde ``students`` (default: everyone in submitted/) of ``chapter`` with ``workers``
    parallel nbgrader processes (default: one per core). Returns one Outcome per student."""
    course = Path(course).resolve()
    if not (course / "gradebook.db").is_file():
        raise FileNotFoundError(f"{course / 'gradebook.db'} does not exist: run `dlcourse release` "
                                "(or nbgrader generate_assignment) first")
    sandbox.ensure_available(course)
    everyone = submitted_students(course, chapter)
    wanted = everyone if students is None else list(students)
    unknown = sorted(set(wanted) - set(everyone))
    if unknown:
        raise KeyError(f"no submission of {chapter} in submitted/ for {', '.join(unknown)}")
    workers = max(1, min(workers or os.cpu_count() or 1, len(wanted) or 1))
    scratch = course / ".autograde-workers"
    shutil.rmtree(scratch, ignore_errors=True)
    pool: queue.Queue[Worker] = queue.Queue()
    threads = _threads_per_kernel(workers)
    everyone_workers = [Worker(make_worker(course, chapter, scratch / f"worker-{k}"), threads) for k in range(workers)]
    for worker in everyone_workers:
        pool.put(worker)
    lock, outcomes = threading.Lock(), []

    def task(student: str) -> Outcome:
        worker = pool.get()
        try:
            return grade_student(course, worker, chapter, student, lock, timeout)
        finally:
            pool.put(worker)

    bar = tqdm(total=len(wanted), desc=f"autograde {chapter} ({workers} workers)", unit="student", disable=not progress)
    try:
        with ThreadPoolExecutor(max_workers=workers) as executor:
            for future in as_completed([executor.submit(task, s) for s in wanted]):
                outcomes.append(future.result())
                bar.update(1)
                bar.set_postfix(failed=sum(o.error is not None for o in outcomes))
    finally:
        bar.close()
        for worker in everyone_workers:
            worker.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return sorted(outcomes, key=lambda o: o.student)
