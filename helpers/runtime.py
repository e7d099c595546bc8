"""Where code runs (CPU, CUDA, MPS), how repeatable it is, and how big a budget it gets."""
import contextlib
import os
import random

import numpy as np
import torch

_DEVICE_ENV = "DLCOURSE_DEVICE"
_GRADING_ENV = "NBGRADER_EXECUTION"


def device(prefer: str | None = None) -> torch.device:
    """The device every notebook uses: CUDA if present, else Apple MPS, else CPU.

    ``prefer`` (or the environment variable DLCOURSE_DEVICE) forces one, e.g. "cpu".
    """
    choice = prefer or os.environ.get(_DEVICE_ENV)
    if choice:
        dev = torch.device(choice)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{_DEVICE_ENV}={choice!r} but torch sees no CUDA device.")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); returns a CPU generator seeded the same way."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def grading_mode() -> bool:
    """True while nbgrader validates or autogrades (it sets NBGRADER_EXECUTION)."""
    return bool(os.environ.get(_GRADING_ENV))


def notebook_setup(seed: int = 0) -> torch.device:
    """What every chapter's first cell does: seed everything, pick the device, and, while nbgrader
    grades, switch matplotlib to a backend that draws nothing (figures cost seconds per
    submission and feedback does not need them). Returns the device."""
    seed_everything(seed)
    if grading_mode():
        import warnings

        import matplotlib
        matplotlib.use("agg")
        warnings.filterwarnings("ignore", message=".*non-interactive.*")
    _install_feedback()
    dev = device()
    print(f"running on {dev}" + (" (grading mode: small budgets, no figures)" if grading_mode() else ""))
    return dev


def _install_feedback() -> None:
    """In a Jupyter kernel, display failed checks as their message (see helpers.grading.feedback)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        from helpers.grading import feedback
        feedback.install(shell)


def budget(full, grading):
    """Pick the full-size setting for students and a small one while nbgrader runs the notebook."""
    return grading if grading_mode() else full


@contextlib.contextmanager
def cpu_threads(n: int = 1):
    """Run CPU tensor code on ``n`` threads inside the block, then restore the setting.

    For matrices as small as a softmax regression's, splitting each product across threads costs
    more than it saves, and far more when other programs share the cores (threads wait for each
    other at every operation). No effect on GPU work.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
