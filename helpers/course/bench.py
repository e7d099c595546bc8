"""Benchmark: per chapter, the time to execute the solution notebook (as a student would run it)
and the time to autograde one submission (as nbgrader would), on this machine. Prints figures;
asserts nothing (the budgets are 90 s and 15 s on a 2-core CPU)."""
from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

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
    log(f"speedup   {speedup:7.2f}x with {workers or os.cpu_count()} workers on {os.cpu_count()} CPUs; "
        f"same total score ({totals['serial']:g})")
    return {"chapter": chapter, "submissions": size, "serial_s": round(times["serial"], 1),
            "parallel_s": round(times["parallel"], 1), "speedup": round(speedup, 2)}


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
