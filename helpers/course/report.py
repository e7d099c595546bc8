"""The class report: one self-contained HTML page per chapter, built from the gradebook.

    dlcourse report 01            ->  reports/01-foundations.html

It shows the distribution of total scores, the share of students passing each exercise, and for
each exercise the failure messages students got most often. Those messages come from
``helpers.grading.checks`` ("what: problem / Likely mistake: hint"), so the most frequent ones name the
misconceptions worth revisiting in class. Messages that differ only in their numbers (each
student's values differ) are counted as one.
"""
from __future__ import annotations

import base64
import html
import io
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.course import grading, paths

TOP_MESSAGES = 3
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


@dataclass
class Exercise:
    """One autograded test cell across the class."""
    name: str
    max_score: float
    scores: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        """Share of students with full points on this cell (0 when nobody was graded)."""
        full = sum(s >= self.max_score for s in self.scores)
        return full / len(self.scores) if self.scores else 0.0

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0


@dataclass
class ClassResults:
    """``totals``: {student: total points}; ``exercises`` in notebook order."""
    chapter: str
    max_total: float
    totals: dict[str, float]
    exercises: list[Exercise]


def failure_key(ename: str, evalue: str) -> str:
    """The group a failure message belongs to: its first line, plus the "Likely mistake" line of a
    check failure ("what: problem\n  Likely mistake: hint"). Numbers become "#", so the same
    mistake with different values counts once. Errors other than failed checks keep their
    exception name in front.
    """
    lines = [ln.strip() for ln in (evalue or "").splitlines() if ln.strip()]
    text = lines[0] if lines else "(no message)"
    hint = next((ln for ln in lines[1:] if ln.startswith("Likely mistake:")), None)
    if hint:
        text += " " + hint
    if ename not in ("CheckFailure", "AssertionError"):
        text = f"{ename}: {text}"
    return _NUMBER.sub("#", text)


def cell_failures(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{test cell grade_id: failure group} for every graded cell of an autograded notebook that
    shows an error."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            out[meta["grade_id"]] = failure_key(errors[0].get("ename", ""), errors[0].get("evalue", ""))
    return out


def collect(course: Path, chapter: str) -> ClassResults:
    """Scores from the gradebook, failure messages from the autograded notebooks."""
    source = nbformat.read(paths.notebook(course, "source", chapter), as_version=4)
    points = grading.graded_cells(source)
    exercises = {name: Exercise(name, p) for name, p in points.items()}
    totals = {}
    for student, cells in sorted(_scores(course, chapter).items()):
        totals[student] = sum(c.score for c in cells.values())
        for name, cell in cells.items():
            if name in exercises:
                exercises[name].scores.append(cell.score)
        autograded = paths.notebook(course / "autograded", student, chapter)
        if autograded.exists():
            for name, key in cell_failures(nbformat.read(autograded, as_version=4)).items():
                if name in exercises and cells.get(name) and cells[name].score < exercises[name].max_score:
                    exercises[name].failures[key] += 1
    return ClassResults(chapter, sum(points.values()), totals, list(exercises.values()))


def _scores(course: Path, chapter: str) -> dict:
    from nbgrader.api import MissingEntry

    missing = KeyError(f"no grades for {chapter} in {course / 'gradebook.db'}: run `dlcourse autograde {chapter}` first")
    if not (course / "gradebook.db").exists():
        raise missing
    try:
        return grading.scores(course, chapter)
    except MissingEntry:
        raise missing from None


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_png(results: ClassResults) -> str:
    """Base64 PNG: how many students reached each total score."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    top = max(results.max_total, 1.0)
    bins = [b - 0.5 for b in range(int(top) + 2)]
    ax.hist(list(results.totals.values()), bins=bins, color="#4C72B0", edgecolor="white")
    ax.set(xlabel=f"total score (of {results.max_total:g})", ylabel="students",
           title=f"{results.chapter}: scores of {len(results.totals)} students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def pass_rate_png(results: ClassResults) -> str:
    """Base64 PNG: one horizontal bar per exercise, the share of students with full points."""
    from matplotlib.figure import Figure

    names = [e.name.removeprefix("test-") for e in results.exercises]
    rates = [100 * e.pass_rate for e in results.exercises]
    fig = Figure(figsize=(6.4, 0.45 * len(names) + 1.0))
    ax = fig.subplots()
    bars = ax.barh(names[::-1], rates[::-1], color=["#55A868" if r >= 70 else "#C44E52" for r in rates[::-1]])
    ax.bar_label(bars, labels=[f"{r:.0f} %" for r in rates[::-1]], padding=3)
    ax.set(xlim=(0, 110), xlabel="students with full points (%)", title="pass rate per exercise")
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def render(results: ClassResults) -> str:
    """The report page as HTML (figures embedded, no external files)."""
    totals = list(results.totals.values())
    n = len(totals)
    summary = (f"{n} students graded; mean {statistics.fmean(totals):.2f}, median "
               f"{statistics.median(totals):g} of {results.max_total:g} points; "
               f"{sum(t >= results.max_total for t in totals)} with full marks."
               if n else "No graded submissions yet.")
    rows = []
    for e in results.exercises:
        messages = "".join(f"<li><b>{count}×</b> <code>{html.escape(key)}</code></li>"
                           for key, count in e.failures.most_common(TOP_MESSAGES))
        rows.append(f"<tr><td>{html.escape(e.name)}</td><td>{e.max_score:g}</td>"
                    f"<td>{100 * e.pass_rate:.0f} %</td><td>{e.mean:.2f}</td>"
                    f"<td><ul>{messages or '<li>none</li>'}</ul></td></tr>")
    figures = (f'<img alt="score histogram" src="data:image/png;base64,{histogram_png(results)}">'
               f'<img alt="pass rate per exercise" src="data:image/png;base64,{pass_rate_png(results)}">'
               if n else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report: {html.escape(results.chapter)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}}
img{{max-width:100%;display:block;margin:1em 0}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}}
ul{{margin:0;padding-left:1.2em}}code{{white-space:pre-wrap}}</style></head><body>
<h1>Class report: {html.escape(results.chapter)}</h1>
<p id="summary">{summary}</p>
{figures}
<h2>Exercises</h2>
<table id="exercises"><tr><th>test cell</th><th>points</th><th>pass rate</th><th>mean points</th>
<th>most frequent failure messages</th></tr>
{''.join(rows)}
</table></body></html>
"""


def build(course: Path, chapter: str, out: Path | None = None) -> Path:
    """Write the report of ``chapter`` to ``out`` (default reports/<chapter>.html); returns its path."""
    out = out or course / "reports" / f"{chapter}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(collect(course, chapter)), encoding="utf-8")
    return out
