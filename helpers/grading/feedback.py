"""Short error displays for failed checks.

A failed check raises helpers.grading.checks.CheckFailure deep inside the course's code; IPython's default
display would bury its message under frames of helpers/ and torch. ``install(shell)`` makes the
kernel show the message itself, plus the lines of the student's own code that raised, if any.
The cell still fails (nbgrader still records it as failed); only the display is shorter.
A MemoryError keeps IPython's traceback and gains a line on what it means; under the grading
memory cap a reserve freed first leaves room to format it.
"""
from __future__ import annotations

import traceback
from pathlib import Path

_LIBRARY_MARKERS = (str(Path(__file__).resolve().parent.parent), "site-packages", "dist-packages", "/lib/python")


def _student_frames(exc: BaseException | None) -> list[str]:
    """'line N in f: code' for each frame of ``exc``'s traceback that is not library code."""
    if exc is None or exc.__traceback__ is None:
        return []
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if any(marker in frame.filename for marker in _LIBRARY_MARKERS):
            continue
        lines.append(f"    line {frame.lineno} in {frame.name}: {(frame.line or '').strip()}")
    return lines


def format_failure(exc: BaseException) -> list[str]:
    """The lines shown for a failed check: its message, then where the student's code raised."""
    red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
    out = [f"{red}{bold}{type(exc).__name__}{reset}{red}: {exc}{reset}"]
    cause = exc.__cause__ or exc.__context__
    if cause is not None and not isinstance(cause, NotImplementedError):
        frames = _student_frames(cause)
        if frames:
            out.append(f"  where your code raised {type(cause).__name__}:")
            out += frames
    return out


_RESERVE_BYTES = 64 * 2**20
_reserve: list[bytearray] = []     # one list for good: the grader's integrity snapshot keeps it


def hold_memory_reserve() -> None:
    """Keep some address space under a memory cap. A loop that keeps what it allocates stops with
    almost nothing left, too little to format its own traceback, and the cell would show nothing;
    the handler frees this reserve first. (calloc'd pages are not touched: it costs no RAM.)"""
    _reserve[:] = [bytearray(_RESERVE_BYTES)]


def out_of_memory_lines() -> list[str]:
    """What a MemoryError means, shown under its traceback."""
    import resource
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    cap = "" if soft == resource.RLIM_INFINITY else f" (grading caps it at {soft / 2**30:.1f} GiB)"
    return [f"The kernel ran out of memory{cap}. The usual cause is a loop that keeps everything it "
            "allocates, or a tensor far larger than planned: check the shapes you create."]


def _out_of_memory_traceback(shell, etype, value, tb, tb_offset) -> list[str]:
    """The usual traceback plus what it means, formatted once the reserve is freed."""
    _reserve.clear()
    stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    stb = stb + out_of_memory_lines()
    try:
        hold_memory_reserve()
    except MemoryError:          # still full: the next MemoryError is shown without a reserve
        pass
    return stb


def install(shell) -> None:
    """Show CheckFailure compactly, and MemoryError with what it means, in this IPython shell."""
    from helpers.grading.checks import CheckFailure

    def handler(self, etype, value, tb, tb_offset=None):
        # IPython leaves the display to a custom handler; _showtraceback sends the kernel's
        # "error" message, which is what marks the cell as failed for nbgrader.
        if issubclass(etype, MemoryError):
            stb = _out_of_memory_traceback(self, etype, value, tb, tb_offset)
        else:
            stb = format_failure(value)
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((CheckFailure, MemoryError), handler)
