"""Fixtures of the grading tests."""
import pytest

from tests.grading import fixture


@pytest.fixture(scope="session")
def fixture_root(tmp_path_factory):
    """A course directory with only the small fixture chapter (tests/grading/fixture.py)."""
    return fixture.build(tmp_path_factory.mktemp("fixture-course"))
