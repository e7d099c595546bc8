"""Benchmark: per chapter, the time to execute the solution notebook (as a student would run it)
and the time to autograde one submission (as nbgrader would), on this machine. Prints figures;
asserts nothing (the budgets are 90 s and 15 s on a 2-core CPU)."""
from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path
from unittest import mock

import nbformat
from nbclient import NotebookClient

from helpers.course import grading, paths

BUDGET_EXECUTE_S = 90.0
BUDGET_AUTOGRADE_S = 15.0


def time_notebook(path: Path, timeout: int = 600) -> float:
    """Wall-clock seconds to execute ``path`` top to bottom in a fresh python3 kernel."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def time_autograde(root: Path, chapter: str) -> float:
    """Wall-clock seconds for `nbgrader autograde` of one submission (the solution) of ``chapter``."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-bench-") as tmp:
        course = grading.course_copy(root, Path(tmp), [chapter])
        grading.generate(course, chapter)
        grading.submit(course, chapter, "bench-student", paths.notebook(root, "solutions", chapter))
        start = time.perf_counter()
        grading.autograde(course, chapter)
        elapsed = time.perf_counter() - start
        got = grading.scores(course, chapter)["bench-student"]
        total, best = sum(c.score for c in got.values()), sum(c.max_score for c in got.values())
        if total != best:
            raise RuntimeError(f"{chapter}: the solution scored {total}/{best} while benchmarking")
    return elapsed


def synthetic_class(root: Path, course: Path, chapter: str, size: int) -> list[str]:
    """Submit ``size`` students of ``chapter`` to ``course``: copies of the solution and of the blank
    release, alternating, as a class's mix of finished and unfinished work. Returns their ids."""
    students = [f"student-{i:03d}" for i in range(size)]
    for i, student in enumerate(students):
        grading.submit(course, chapter, student, paths.notebook(root, "solutions" if i % 2 == 0 else "notebooks", chapter))
    return students


def class_speedup(root: Path, chapter: str, size: int, workers: int | None = None, log=print) -> dict:
    """Time serial `nbgrader autograde` against ``dlcourse autograde`` on the same synthetic class;
    checks that both record the same total score. Returns the figures."""
    from helpers.course import parallel

    times, totals = {}, {}
    for mode in ("serial", "parallel"):
        with tempfile.TemporaryDirectory(prefix=f"dlcourse-class-{mode}-") as tmp:
            course = grading.course_copy(root, Path(tmp), [chapter])
            grading.generate(course, chapter)
            synthetic_class(root, course, chapter, size)
            start = time.perf_counter()
            if mode == "serial":
                grading.autograde(course, chapter)
            else:
                outcomes = parallel.autograde_class(course, chapter, workers=workers)
                if any(o.error for o in outcomes):
                    raise RuntimeError(f"parallel autograde failed: {[o.error for o in outcomes if o.error][:2]}")
            times[mode] = time.perf_counter() - start
            totals[mode] = sum(c.score for cells in grading.scores(course, chapter).values() for c in cells.values())
            log(f"{mode:<9} {times[mode]:7.1f} s for {size} submissions ({times[mode] / size:.1f} s each)")
    if totals["serial"] != totals["parallel"]:
        raise RuntimeError(f"scores differ: serial {totals['serial']}, parallel {totals['parallel']}")
    speedup = times["serial"] / times["parallel"]
    n_workers = workers or os.cpu_count() or 1
    log(f"speedup   {speedup:7.2f}x with {n_workers} workers on {os.cpu_count()} CPUs; "
        f"same total score ({totals['serial']:g})")
    floor = submission_floor(root, chapter)
    class_floor = size * floor / n_workers
    log(f"floor     {floor:7.1f} s per submission (a sandboxed kernel's start, imports and the chapter's "
        f"grading-mode run of the solution), {class_floor:.1f} s for the class on {n_workers} workers: "
        f"parallel grading takes {times['parallel'] / class_floor:.2f}x the floor")
    return {"chapter": chapter, "submissions": size, "serial_s": round(times["serial"], 1),
            "parallel_s": round(times["parallel"], 1), "speedup": round(speedup, 2),
            "floor_per_submission_s": round(floor, 2), "class_floor_s": round(class_floor, 1)}


def submission_floor(root: Path, chapter: str) -> float:
    """Seconds to start a sandboxed kernel, import what the chapter imports and run its solution as
    nbgrader runs it (grading mode): what grading one submission cannot go below."""
    from helpers.course.sandbox import SandboxedKernelManager
    with tempfile.TemporaryDirectory(prefix="dlcourse-floor-") as tmp:
        nb = nbformat.read(paths.notebook(root, "solutions", chapter), as_version=4)
        with mock.patch.dict(os.environ, {"NBGRADER_EXECUTION": "autograde"}):
            start = time.perf_counter()
            NotebookClient(nb, timeout=600, kernel_name="python3", kernel_manager_class=SandboxedKernelManager,
                           resources={"metadata": {"path": tmp}}).execute()
            return time.perf_counter() - start


def machine() -> str:
    import torch
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {gpu}, torch {torch.__version__}"


def run(root: Path, chapters: list[str] | None = None, log=print) -> list[dict]:
    """Measure every (or the named) chapter; prints a table and returns its rows."""
    rows = []
    log(f"machine: {machine()}")
    log(f"{'chapter':<22}{'execute (s)':>12}{'budget':>8}{'autograde (s)':>15}{'budget':>8}")
    for chapter in paths.select(root, chapters):
        execute = time_notebook(paths.notebook(root, "solutions", chapter))
        autograde = time_autograde(root, chapter)
        rows.append({"chapter": chapter, "execute_s": round(execute, 1), "autograde_s": round(autograde, 1)})
        log(f"{chapter:<22}{execute:>12.1f}{'ok' if execute <= BUDGET_EXECUTE_S else 'OVER':>8}"
            f"{autograde:>15.1f}{'ok' if autograde <= BUDGET_AUTOGRADE_S else 'OVER':>8}")
    total = sum(r["execute_s"] for r in rows)
    log(f"{'whole course':<22}{total:>12.1f}{'ok' if total <= 600 else 'OVER':>8}")
    return rows


# ---------------------------------------------------------------- the test suite

SUITE_BUDGET_S = 30 * 60
FULL_COURSE = 12


def suite_part(nodeid: str) -> str:
    """'nbval', or the tests/ folder a test lives in ('unit', 'chapters', 'grading', 'lab')."""
    if not nodeid.startswith("tests/"):
        return "nbval"
    return nodeid.split("/")[1] if nodeid.count("/") > 1 else "other"


def suite_chapter(nodeid: str, chapters: list[str]) -> str | None:
    """The chapter a test belongs to: named in its path or parameters, or its chapter test module
    (tests/chapters/test_<name>*.py); None for the course-wide tests."""
    from helpers.chapters import package_name
    for chapter in chapters:
        if chapter in nodeid:
            return chapter
    for chapter in chapters:
        if nodeid.startswith(f"tests/chapters/test_{package_name(chapter)}"):
            return chapter
    return None


def summarize_suite(times: dict[str, float], wall: float, chapters: list[str]) -> dict:
    """Seconds per part and per chapter, the fixed rest, and the projection to twelve chapters."""
    parts: dict[str, float] = {}
    per_chapter = {c: 0.0 for c in chapters}
    for nodeid, seconds in times.items():
        part = suite_part(nodeid)
        parts[part] = parts.get(part, 0.0) + seconds
        chapter = suite_chapter(nodeid, chapters)
        if chapter:
            per_chapter[chapter] += seconds
    chapter_total = sum(per_chapter.values())
    fixed = wall - chapter_total                  # course-wide tests, collection and start-up
    mean = chapter_total / len(chapters) if chapters else 0.0
    missing = max(FULL_COURSE - len(chapters), 0)
    projected = wall + missing * mean
    allowance = (SUITE_BUDGET_S - wall) / missing if missing else None
    return {"wall_s": round(wall, 1), "parts_s": {k: round(v, 1) for k, v in sorted(parts.items())},
            "chapters_s": {k: round(v, 1) for k, v in per_chapter.items()}, "fixed_s": round(fixed, 1),
            "mean_chapter_s": round(mean, 1), "projected_12_s": round(projected, 1),
            "allowance_per_new_chapter_s": None if allowance is None else round(allowance, 1)}


def suite(root: Path, pytest_args: list[str] | None = None, log=print) -> dict:
    """Run the whole suite as `make test` does, timing every test; print where the time goes and
    the projection to twelve chapters (budget: 30 minutes on 2 cores)."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="dlcourse-suite-") as tmp:
        out = Path(tmp) / "times.json"
        env = {**os.environ, "DLCOURSE_SUITE_TIMES": str(out), "DLCOURSE_OFFLINE": "1"}
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", *(pytest_args or [])], cwd=root, env=env)
        wall = time.perf_counter() - start
        record = read_suite_times(out) if out.exists() else {"tests": {}, "exit_code": proc.returncode}
    return suite_report(root, {**record, "wall_s": wall, "exit_code": proc.returncode}, log=log)


def read_suite_times(path: Path) -> dict:
    """The record tests/suite_timer.py wrote: {"wall_s", "exit_code", "tests": {nodeid: seconds}}."""
    import json
    return json.loads(Path(path).read_text())


def suite_report(root: Path, record: dict, log=print) -> dict:
    """Print where a recorded suite run's time went and its projection to twelve chapters."""
    times, wall = record["tests"], record["wall_s"]
    figures = summarize_suite(times, wall, paths.chapters(root))
    figures["exit_code"] = record["exit_code"]
    log(f"machine: {machine()}")
    log(f"\nsuite: {wall / 60:.1f} min wall clock, {len(times)} tests, pytest exit code {record['exit_code']}")
    log("per part (test time):  " + ", ".join(f"{k} {v:.0f} s" for k, v in figures["parts_s"].items()))
    log("per chapter:           " + ", ".join(f"{k} {v:.0f} s" for k, v in figures["chapters_s"].items()))
    log(f"course-wide and start-up: {figures['fixed_s']:.0f} s; mean chapter {figures['mean_chapter_s']:.0f} s")
    n = len(figures["chapters_s"])
    verdict = "ok" if figures["projected_12_s"] <= SUITE_BUDGET_S else "OVER"
    log(f"projection to {FULL_COURSE} chapters (the {FULL_COURSE - n} missing at the mean): "
        f"{figures['projected_12_s'] / 60:.1f} min of the {SUITE_BUDGET_S // 60}-minute budget ({verdict})")
    if figures["allowance_per_new_chapter_s"] is not None:
        log(f"each new chapter may add up to {figures['allowance_per_new_chapter_s']:.0f} s of suite time")
    return figures
