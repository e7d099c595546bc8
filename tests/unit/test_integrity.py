"""helpers.grading.integrity puts back what a submission replaced, and nothing that IPython changes itself."""
import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture()
def shell():
    sh = InteractiveShell.instance()
    sh.run_cell("import torch, helpers.grading.checks, helpers.grading.integrity as I\nI.import_course_modules()\nI.snapshot()")
    yield sh
    sh.run_cell("I.restore()")


def restored(sh, code):
    sh.run_cell(code)
    return sh.run_cell("I.restore()").result


def test_nothing_to_restore_after_ordinary_cells(shell):
    assert restored(shell, "x = torch.ones(3).sum()\nprint(x)\nimport numpy as np") == []


@pytest.mark.parametrize("code,name", [
    ("helpers.grading.checks.expect_close = lambda *a, **k: None", "helpers.grading.checks.expect_close"),
    ("torch.isfinite = lambda x: True", "torch.isfinite"),
    ("torch.Tensor.abs = lambda self: self * 0", "Tensor.abs"),
    ("import builtins\nbuiltins.AssertionError = KeyError", "builtins.AssertionError"),
    ("import sys, types\nsys.modules['helpers.grading.checks'] = types.ModuleType('fake')", "sys.modules['helpers.grading.checks']"),
    ("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)", "custom_exceptions"),
    ("get_ipython().input_transformers_cleanup.append(lambda lines: lines)", "input_transformers_cleanup"),
    ("import sys\nsys.settrace(lambda *a: None)", "sys.settrace"),
])
def test_tampering_is_put_back_and_named(shell, code, name):
    fixed = restored(shell, code)
    assert any(name in f for f in fixed), fixed
    assert restored(shell, "pass") == []                       # really back
    import helpers.grading.integrity as I
    assert I.report(fixed).startswith("Grading note: code in this notebook had replaced")
