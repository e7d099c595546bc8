"""Shared fixtures. Tests that run notebooks or nbgrader are marked `slow`."""
import os
import socket
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # no display in tests

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DLCOURSE_OFFLINE", "1")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for the servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def chapters() -> list[str]:
    from helpers.course import paths
    return paths.chapters(ROOT)


@pytest.fixture
def figures(monkeypatch):
    """For tests that draw: figures are drawn as for a student (not in grading mode) and closed after."""
    import matplotlib.pyplot as plt
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    yield
    plt.close("all")


@pytest.fixture(autouse=True, scope="session")
def widget_errors_propagate():
    """ipywidgets' Output swallows an exception raised inside it as soon as an IPython shell exists
    (it prints the traceback instead), so a widget whose redraw crashes would pass any test run after
    one that created a shell. In the tests such an exception propagates and fails the test."""
    import ipywidgets

    original = ipywidgets.Output.__exit__

    def exit_without_swallowing(self, etype, evalue, tb):
        original(self, None, None, None)          # flush and book-keeping only
        return None                               # falsy: the exception propagates

    ipywidgets.Output.__exit__ = exit_without_swallowing
    yield
    ipywidgets.Output.__exit__ = original
