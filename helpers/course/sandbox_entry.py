"""The first program inside the grading sandbox (helpers.course.sandbox): copy the submission's own
files into the kernel's writable notebook folder, then become the kernel.

    python -m helpers.course.sandbox_entry SUBMISSION_DIR -m ipykernel_launcher -f CONNECTION_FILE

Nothing else of helpers is imported here, so the kernel starts as fast as it would outside.
"""
import os
import shutil
import sys


def copy_submission(source: str, dest: str = ".") -> None:
    """Copy the files of ``source`` (read-only inside the sandbox) into ``dest``."""
    for name in os.listdir(source):
        src, out = os.path.join(source, name), os.path.join(dest, name)
        if os.path.isdir(src) and not os.path.islink(src):
            shutil.copytree(src, out, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(src, out, follow_symlinks=False)


def main(argv: list[str]) -> None:
    source, kernel_args = argv[0], argv[1:]
    copy_submission(source)
    os.environ["DLCOURSE_SANDBOX"] = "1"
    os.execv(sys.executable, [sys.executable, *kernel_args])


if __name__ == "__main__":
    main(sys.argv[1:])
