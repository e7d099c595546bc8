"""A long-lived grading worker: one process that autogrades student after student in its private
course copy, with nbgrader's converter in-process (no new `nbgrader` process, imports and database
set-up per student) and the next student's kernel started ahead (helpers.course.kernel_pool).

    python -m helpers.course.worker WORKER_DIR

It reads one JSON request per line on stdin, {"chapter": ..., "student": ...}, grades that
submission of WORKER_DIR/submitted/ exactly as `nbgrader autograde CHAPTER --student S --force`
would, and answers one JSON line on stdout: {"student": ..., "success": bool, "error": str | null}.
helpers.course.parallel drives the workers and merges their gradebook rows.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _api(worker: Path):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(worker)).load_config()
    config.CourseDirectory.root = str(worker)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config), config


def serve(worker: Path, requests=sys.stdin, replies=sys.stdout) -> None:
    from helpers.course import kernel_pool
    from helpers.course.nbgrader_main import skip_slow_optional_imports

    skip_slow_optional_imports()
    api, config = _api(worker)
    pool = kernel_pool.KernelPool(config, worker / ".kernels-ahead")
    kernel_pool.install(pool)
    pool.start()
    try:
        for line in requests:
            if not line.strip():
                continue
            request = json.loads(line)
            try:
                result = api.autograde(request["chapter"], request["student"], force=True, create=True)
                error = None if result.get("success") else (result.get("error") or result.get("log") or "failed")
            except Exception as exc:                     # reported for this student; the worker goes on
                error = f"{type(exc).__name__}: {exc}"
            replies.write(json.dumps({"student": request["student"], "success": error is None,
                                      "error": error and error[-3000:]}) + "\n")
            replies.flush()
    finally:
        pool.close()
        kernel_pool.install(None)


def main(argv: list[str]) -> None:
    worker = Path(argv[0]).resolve()
    os.chdir(worker)
    replies = os.fdopen(os.dup(1), "w")      # the kernels inherit fd 1: keep the replies apart from
    os.dup2(2, 1)                            # whatever they print
    serve(worker, replies=replies)


if __name__ == "__main__":
    main(sys.argv[1:])
