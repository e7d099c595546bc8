"""Running nbgrader's command line on a course directory (in a subprocess, so that each run gets
fresh nbgrader state and a crash cannot take the caller down)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process that runs nbgrader, plus ``extra``. nbgrader runs `alembic`
    from PATH to check the gradebook schema: this environment's scripts come first, so it works
    without an activated virtual environment."""
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PATH": scripts + os.pathsep + os.environ.get("PATH", ""),
            **(extra or {})}


def run(root: Path, *args: str, check: bool = True, timeout: float | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``nbgrader <args>`` with ``root`` as the working directory and course root; ``env`` adds
    environment variables (e.g. a student's own HOME)."""
    cmd = [sys.executable, "-m", "helpers.course.nbgrader_main", *args, f"--CourseDirectory.root={root}"]
    proc = subprocess.run(cmd, cwd=root, env=environment(env), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
