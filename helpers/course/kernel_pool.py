"""A grading kernel started ahead: while one student is graded, the next student's sandboxed kernel
starts and imports torch and helpers, so the next submission does not wait for that.

Every student still gets a fresh kernel, never one that ran anyone's code: a kernel is taken once
and shut down after its notebook. Each kernel has its own inbox folder, which it sees read-only as
/run/submission; the student's files are copied there when the kernel is taken, and the first
hidden cell of helpers.course.execute copies them into the kernel's notebook folder.

Only the long-lived grading workers (helpers.course.worker) install a pool; plain nbgrader starts
its kernels as usual.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from helpers.course.sandbox_entry import copy_submission

WARM_UP = ("import torch, numpy, matplotlib, matplotlib.pyplot\n"
           "import helpers.grading.integrity as _dlcourse_integrity\n"
           "_dlcourse_integrity.import_course_modules()\n"
           "del _dlcourse_integrity")

_current: "KernelPool | None" = None


def current() -> "KernelPool | None":
    """The pool of this process, if a worker installed one."""
    return _current


def install(pool: "KernelPool | None") -> None:
    global _current
    _current = pool


class KernelPool:
    """One kernel started ahead, for ``config`` (the course's nbgrader config)."""

    def __init__(self, config, scratch: Path, kernel_name: str = "python3"):
        self.config, self.scratch, self.kernel_name = config, Path(scratch), kernel_name
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kernel-ahead")
        self._next: Future | None = None

    def start(self) -> None:
        """Begin starting the next kernel in the background."""
        self._next = self._executor.submit(self._start_one)

    def _start_one(self):
        from helpers.course.sandbox import SandboxedKernelManager
        inbox = tempfile.mkdtemp(prefix="inbox-", dir=self.scratch)
        os.chmod(inbox, 0o755)
        km = SandboxedKernelManager(kernel_name=self.kernel_name, config=self.config)
        asyncio.run(km.start_kernel(cwd=inbox))
        client = km.blocking_client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            client.execute_interactive(WARM_UP, store_history=False, timeout=120,
                                       output_hook=lambda msg: None)
        finally:
            client.stop_channels()
        km.inbox = inbox
        return km

    def take(self, folder: str):
        """The kernel started ahead, with the files of ``folder`` (the notebook's folder) in its
        inbox; the next one starts at once. None when the one ahead failed to start."""
        pending, self._next = self._next, None
        self.start()
        try:
            km = pending.result() if pending is not None else None
        except Exception:
            return None
        copy_submission(folder, km.inbox)
        return km

    def close(self) -> None:
        """Shut down the kernel started ahead and stop."""
        pending, self._next = self._next, None
        self._executor.shutdown(wait=True)
        if pending is not None:
            try:
                km = pending.result()
                asyncio.run(km.shutdown_kernel(now=True))
            except Exception:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)
