"""Reference code, checks, data, plots and widgets that the course notebooks import.

Importing ``helpers`` is cheap and has no side effects; submodules load on first use::

    from helpers import device, seed_everything
    from helpers import data, plots, widgets, training, kernels
    from helpers.chapters.gradients import demos     # one chapter's figures and widgets
"""
from importlib import import_module

__all__ = ["device", "seed_everything", "grading_mode", "budget", "notebook_setup", "cpu_threads"]

_LAZY = {name: "helpers.runtime" for name in __all__}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
