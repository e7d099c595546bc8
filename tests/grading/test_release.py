"""The release drift test: regenerating notebooks/ and solutions/ from source/ in a temporary copy
reproduces the committed files byte for byte, and the student release leaks nothing."""
import shutil
from pathlib import Path

import nbformat
import pytest

from helpers.course import paths, release
from tests.conftest import ROOT
from tests.grading.leaks import secret_lines

pytestmark = pytest.mark.slow
CHAPTERS = paths.chapters(ROOT)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    course = tmp_path_factory.mktemp("release")
    shutil.copy2(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source")
    release.release(course, log=lambda *_: None)
    return course


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_is_reproducible(regenerated, folder, chapter):
    fresh = paths.notebook(regenerated, folder, chapter).read_bytes()
    committed = paths.notebook(ROOT, folder, chapter).read_bytes()
    assert fresh == committed, f"{folder}/{chapter} is out of date: run `make release` and commit the result"


def course_files(folder: Path) -> list[Path]:
    """Files under ``folder``, without editor droppings such as .ipynb_checkpoints/ (git-ignored)."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def test_no_stray_files(regenerated):
    for folder in ("notebooks", "solutions"):
        assert course_files(ROOT / folder) == course_files(regenerated / folder)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_contains_no_solutions_or_hidden_tests(chapter):
    text = paths.notebook(ROOT, "notebooks", chapter).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    release_nb = nbformat.read(paths.notebook(ROOT, "notebooks", chapter), as_version=4)
    release_code = "\n".join(c.source for c in release_nb.cells)
    leaked = [ln for ln in secret_lines(nbformat.read(paths.notebook(ROOT, "source", chapter), as_version=4))
              if ln in release_code]
    assert not leaked, f"solution or hidden-test lines in the release: {leaked[:3]}"
    assert release_code.count("raise NotImplementedError()") >= 1
