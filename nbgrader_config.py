"""nbgrader configuration: this repository is the nbgrader course directory.

source/<ch>/<ch>.ipynb    hand-edited notebooks (nbgrader's source step)
notebooks/<ch>/<ch>.ipynb the student release   (nbgrader's release step)
solutions/<ch>/<ch>.ipynb the worked solutions  (nbgrader's solution step)

Regenerate the last two with `make release` (or `dlcourse release`).
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.solution_directory = "solutions"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")

# A local exchange directory so that the Assignment List and the Formgrader work on one machine.
# On a JupyterHub the hub sets DLCOURSE_EXCHANGE to the shared exchange (hub/jupyterhub_config.py).
c.Exchange.root = os.environ.get("DLCOURSE_EXCHANGE") or os.path.join(COURSE_ROOT, ".exchange")
c.Exchange.path_includes_course = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Committed solutions carry no outputs: do not execute while generating them.
c.GenerateSolution.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.LockCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.ClearMarkScheme",
]

# Every kernel that runs a student's code for grading (autograde, and Validate where bubblewrap is
# installed) starts in a bubblewrap sandbox (helpers/course/sandbox.py): it sees its own notebook
# folder, the Python environment, helpers and data/ read-only, nothing else of the course, and no
# network; its processes and writable space are capped.
c.Execute.kernel_manager_class = "helpers.course.sandbox.SandboxedKernelManager"
c.SandboxedKernelManager.max_processes = 128
c.SandboxedKernelManager.tmp_mb = 256

# Grading: a cell may run at most this long; a kernel that dies is restarted and the rest
# of the notebook still runs, so every later test cell is graded (and fails) on its own.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.Execute.execute_retries = 0
c.Execute.iopub_timeout = 20          # a loaded machine may be slow to send a cell's last output

# Keep huge outputs out of the gradebook and the feedback.
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 60

# Feedback shows each failed check's message and the student's own code, never the hidden tests
# (nbgrader's default feedback shows the full test cells: helpers/course/feedback_filter.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "helpers.course.feedback_filter.RedactHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Autograding that survives bad submissions (helpers/course/intake.py, helpers/course/execute.py):
# graded cells repaired before nbgrader's own checks (duplicates, deletions, order), and a runner
# that recovers from kernel death, caps the kernel's memory and each cell's output, and puts back
# whatever a submission monkeypatched before every test cell.
c.Autograde.sanitize_preprocessors = [
    "helpers.course.intake.RepairCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "helpers.course.execute.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GuardedExecute.memory_limit_gb = 6
c.GuardedExecute.max_output_chars = 100_000
_TIMEOUT = "this cell ran longer than the time limit and was stopped (an endless loop, or a very slow computation?)"
c.Execute.error_on_timeout = {"ename": "CellTimeoutError", "evalue": _TIMEOUT,
                              "traceback": [f"CellTimeoutError: {_TIMEOUT}"]}
