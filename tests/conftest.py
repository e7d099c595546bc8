"""Shared fixtures. Tests that run notebooks or nbgrader are marked `slow`."""
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")  # no display in tests

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DLCOURSE_OFFLINE", "1")


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
