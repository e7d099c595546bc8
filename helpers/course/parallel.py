"""Autograde a whole class across worker processes, with a progress bar, into one gradebook.

SQLite takes one writer at a time, so workers never share a gradebook. Each worker is a private
copy of the course (its config, the chapter's source and a copy of the gradebook) in which
`nbgrader autograde CHAPTER --student S` runs for one student at a time. When a student is done,
their rows (submission, per-cell grades and comments) are copied into the course's gradebook by
this process, under a lock, and their autograded folder is copied back: the course ends with the
rows and files that serial `nbgrader autograde` writes. A student whose grading fails is reported
and the others go on; nothing already in the gradebook is touched for them.
"""
from __future__ import annotations

import os
import queue
import shutil
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from helpers.course import intake, nbgrader_cli, paths


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


def grade_student(course: Path, worker: Path, chapter: str, student: str, lock: threading.Lock,
                  threads: str, timeout: float | None = None) -> Outcome:
    """Autograde one student in ``worker`` and merge the result into ``course``."""
    start = time.perf_counter()
    if (worker / "submitted").exists():
        shutil.rmtree(worker / "submitted")
    _replace_tree(course / "submitted" / student / chapter, worker / "submitted" / student / chapter)
    notes = tuple(intake.prepare(worker / "submitted" / student / chapter, f"{chapter}.ipynb",
                                 paths.notebook(course, "notebooks", chapter)))
    proc = nbgrader_cli.run(worker, "autograde", chapter, f"--student={student}", "--force", check=False,
                            timeout=timeout, env={"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads})
    graded = worker / "autograded" / student / chapter
    if proc.returncode != 0 or not graded.is_dir():
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        return Outcome(student, time.perf_counter() - start, f"nbgrader autograde failed ({proc.returncode}): {tail}", notes)
    with lock:
        copy_grades(db_url(worker), db_url(course), chapter, student)
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
    everyone = submitted_students(course, chapter)
    wanted = everyone if students is None else list(students)
    unknown = sorted(set(wanted) - set(everyone))
    if unknown:
        raise KeyError(f"no submission of {chapter} in submitted/ for {', '.join(unknown)}")
    workers = max(1, min(workers or os.cpu_count() or 1, len(wanted) or 1))
    scratch = course / ".autograde-workers"
    shutil.rmtree(scratch, ignore_errors=True)
    pool: queue.Queue[Path] = queue.Queue()
    for k in range(workers):
        pool.put(make_worker(course, chapter, scratch / f"worker-{k}"))
    lock, threads, outcomes = threading.Lock(), _threads_per_kernel(workers), []

    def task(student: str) -> Outcome:
        worker = pool.get()
        try:
            return grade_student(course, worker, chapter, student, lock, threads, timeout)
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
        shutil.rmtree(scratch, ignore_errors=True)
    return sorted(outcomes, key=lambda o: o.student)
