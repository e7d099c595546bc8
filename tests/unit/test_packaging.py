"""The project's set-up files agree with each other and with the README."""
import re
import tomllib

import pytest

from tests.conftest import ROOT

NAME = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")
CONDA_NAMES = {"pytorch": "torch"}


def split(requirement: str) -> tuple[str, str]:
    name, spec = NAME.match(requirement.strip()).groups()
    return CONDA_NAMES.get(name.lower(), name.lower()).replace("_", "-"), spec.replace(" ", "")


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def conda_dependencies() -> dict[str, str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    deps = {}
    for line in lines[start + 1:]:
        m = re.match(r"^  - (\S.*)$", line)
        if m and not m.group(1).startswith("pip"):
            name, spec = split(m.group(1))
            deps[name] = spec
    return deps


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject():
    project = pyproject()["project"]
    wanted = dict(split(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    conda = conda_dependencies()
    conda.pop("python"), conda.pop("pip", None)
    assert conda == wanted


def test_package_requirements_are_ranges_and_torch_is_pinned_in_constraints():
    for requirement in pyproject()["project"]["dependencies"]:
        assert "==" not in requirement, f"{requirement}: pin exact versions in constraints.txt, not here"
    pins = [line for line in (ROOT / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert "torch==2.13.0" in pins
    assert "-c constraints.txt" in (ROOT / "Makefile").read_text()


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, flags=re.S)
    assert blocks and blocks[0].strip().splitlines() == ["make lab", "make test"]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set", "cd"))]
    assert ci == ["make test"]


@pytest.mark.parametrize("folder", ["source", "notebooks", "solutions"])
def test_committed_notebooks_have_no_outputs(folder):
    import nbformat
    for path in sorted((ROOT / folder).glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path}: outputs committed"


def test_every_graded_cell_documents_itself_and_has_hidden_tests():
    import nbformat
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                assert cell.source.lstrip().startswith('"""'), f"{path}: {meta['grade_id']} needs a docstring"
                assert "### BEGIN HIDDEN TESTS" in cell.source, f"{path}: {meta['grade_id']} has no hidden tests"
                assert meta.get("points", 0) > 0


def test_no_star_imports_in_helpers():
    for path in (ROOT / "helpers").rglob("*.py"):
        assert not re.search(r"^from \S+ import \*", path.read_text(), flags=re.M), path
