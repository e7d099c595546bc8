"""The notebook runner used while autograding: nbgrader's Execute, hardened against bad submissions.

nbgrader's own runner gives up on the whole notebook when the kernel dies (``os._exit``, a
segfault, the kernel killed for memory), so the student is not graded at all, and it keeps every
byte a cell prints. ``GuardedExecute`` (enabled in nbgrader_config.py) adds:

* kernel death: the cell that killed the kernel gets an error output saying so, and the notebook
  runs again in a fresh kernel without that cell, so later exercises are graded on their merits
  and never recorded as passed without running;
* a memory cap on the kernel (``memory_limit_gb``), so a memory bomb raises MemoryError in its
  cell instead of starving the machine or the other workers;
* tampering: right after the locked setup cell it snapshots the course's modules, the libraries'
  functions and the interpreter's hooks, and before each test cell it puts back whatever the
  student's code replaced (helpers.grading.integrity), noting it in that test's output;
* an output cap per cell (``max_output_chars``), applied while the kernel prints, so gigantic
  output never reaches the gradebook, the autograded notebook or the feedback;
* stray processes: after every cell, whatever processes the cell started and left running are
  killed, so a fork bomb cannot starve the cells after it.

The kernel itself runs in a bubblewrap sandbox (helpers.course.sandbox, the kernel manager that
nbgrader_config.py selects).
"""
from __future__ import annotations

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer, Unicode

KERNEL_DIED = ("KernelDied", "the Python kernel died while running this cell (os._exit, a crash in compiled code, "
               "or too much memory), so it has no result. The rest of the notebook was run again in a fresh "
               "kernel without this cell.")
IOPUB_LOST = ("CellTimeoutError", "this cell's output did not arrive in time (the cell swamped the machine, "
              "for example with processes), so it counts as failed.")
GAVE_UP = ("KernelDied", "not run: the kernel died too many times earlier in this notebook.")
TAMPERED = ("GradingEnvironmentError", "the grading environment could not be checked before this test "
            "(code in the notebook broke helpers.grading.integrity), so this test cannot be trusted and scores 0.")


def error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _text_size(msg: dict) -> int:
    """Characters an output message would add to a cell (stream text or display data)."""
    content = msg.get("content", {})
    if "text" in content:
        return len(content["text"])
    return sum(len(v) if isinstance(v, str) else 0 for v in content.get("data", {}).values())


class GuardedExecute(Execute):
    """nbgrader's Execute plus kernel-death recovery, a memory cap, tamper repair and an output cap."""

    memory_limit_gb = Float(6.0, help="address-space cap of the grading kernel in GiB (0: none)").tag(config=True)
    max_kernel_deaths = Integer(3, help="kernel deaths tolerated per notebook before giving up").tag(config=True)
    max_output_chars = Integer(100_000, help="characters of output kept per cell").tag(config=True)
    setup_cell = Unicode("setup", help="grade_id of the locked cell after which the snapshot is taken").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        sources = [cell.get("source", "") for cell in nb.cells]
        dead: list[int] = []
        for _ in range(self.max_kernel_deaths + 1):
            for index in dead:
                nb.cells[index].source = ""                 # nbclient skips empty cells
            try:
                nb, resources = super().preprocess(nb, resources, km)
                break
            except DeadKernelError:
                dead.append(self._current)
                self._forget_kernel()
        else:
            self._fail_from(nb, dead[-1], GAVE_UP)
        for cell, source in zip(nb.cells, sources):
            cell.source = source
        for index in dead:
            nb.cells[index].outputs = [error_output(*KERNEL_DIED)]
            nb.cells[index].execution_count = None
        return nb, resources

    def create_kernel_manager(self):
        """A kernel started ahead by this worker's pool (helpers.course.kernel_pool), if there is one."""
        from helpers.course import kernel_pool
        pool = kernel_pool.current()
        folder = self.resources.get("metadata", {}).get("path") if self.resources else None
        if pool is not None and folder:
            km = pool.take(folder)
            if km is not None:
                self.km = km
                return km
        return super().create_kernel_manager()

    def _forget_kernel(self) -> None:
        """Drop the dead kernel and its client, so that the next run starts a fresh kernel."""
        try:
            self._cleanup_kernel()
        except Exception:   # it is dead already; whatever cleanup fails on, a new one replaces it
            pass
        self.km, self.kc = None, None

    @staticmethod
    def _fail_from(nb: NotebookNode, start: int, error: tuple[str, str]) -> None:
        """Give every code cell from ``start`` on the error (graded cells then score 0)."""
        for cell in nb.cells[start:]:
            if cell.cell_type == "code":
                cell.outputs = [error_output(*error)]

    def preprocess_cell(self, cell: NotebookNode, resources, index: int):
        self._current = index
        if index == 0:
            self._snapshot_taken = False
            if getattr(self.km, "inbox", None):        # a kernel started ahead: the student's files now
                self._hidden("__import__('helpers.course.sandbox_entry').course.sandbox_entry"
                             ".copy_submission('/run/submission')", index)
            self._hidden("import helpers.grading.integrity as _dlcourse_integrity\n"
                         f"_dlcourse_integrity.limit_memory({self.memory_limit_gb!r})\n"
                         "_dlcourse_integrity.import_course_modules()", index)
        note, broken = "", False
        if self._snapshot_taken and cell.cell_type == "code" and utils.is_grade(cell):
            note, broken = self._hidden("print(__import__('helpers.grading.integrity').grading.integrity.report("
                                        "__import__('helpers.grading.integrity').grading.integrity.restore()), end='')", index)
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type == "code" and cell.source.strip():
            # what this cell started and left running (a fork bomb's copies) dies before the next
            self._hidden("__import__('helpers.grading.integrity').grading.integrity.reap_strays()", index)
        if broken:
            cell.outputs = [error_output(*TAMPERED)]
        elif note:
            cell.outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text=note))
        if not self._snapshot_taken and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == self.setup_cell:
            self._hidden("__import__('helpers.grading.integrity').grading.integrity.snapshot()", index)
            self._snapshot_taken = True
        return cell, resources

    def _hidden(self, code: str, index: int) -> tuple[str, bool]:
        """Run ``code`` in the kernel outside the notebook; returns (its stdout, whether it failed)."""
        scratch = nbformat.v4.new_code_cell(code)
        real = self.nb.cells[index]
        try:
            self.execute_cell(scratch, index, store_history=False)
        finally:
            self.nb.cells[index] = real             # nbclient stores the executed cell at its index
        text = "".join(o.get("text", "") for o in scratch.outputs if o.output_type == "stream" and o.name == "stdout")
        return text, any(o.output_type == "error" for o in scratch.outputs)

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._output_chars = 0
        try:
            return super().execute_cell(cell, cell_index, execution_count=execution_count, store_history=store_history)
        except CellTimeoutError as exc:
            if "IOPub" not in str(exc):
                raise
            # The reply came but not the cell's outputs (a machine swamped by the cell's own processes):
            # the cell counts as failed, never as passed for want of an error message.
            cell.outputs.append(error_output(*IOPUB_LOST))
            return cell

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "update_display_data"):
            size = _text_size(msg)
            if self._output_chars + size > self.max_output_chars:
                if self._output_chars <= self.max_output_chars:
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stdout",
                        text=f"\n... output truncated: this cell printed more than {self.max_output_chars:,} characters ...\n"))
                    self._output_chars = self.max_output_chars + 1
                return None
            self._output_chars += size
        return super().output(outs, msg, display_id, cell_index)
