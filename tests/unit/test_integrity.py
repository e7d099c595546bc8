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


@pytest.mark.parametrize("code", [
    "%load_ext autoreload\n%autoreload 2",
    "from matplotlib_inline.backend_inline import flush_figures\nget_ipython().events.register('post_execute', flush_figures)",
])
def test_callbacks_honest_notebooks_install_are_removed_without_a_note(shell, code):
    """`%load_ext autoreload` and the inline backend register event callbacks; a test must not run
    with them, but an honest submission must not read that it tampered with the grader."""
    callbacks = {k: list(v) for k, v in shell.events.callbacks.items()}
    assert restored(shell, code) == []
    assert {k: list(v) for k, v in shell.events.callbacks.items()} == callbacks


def test_a_callback_of_the_students_own_is_removed_and_named(shell):
    fixed = restored(shell, "def sneaky(*a):\n    pass\nget_ipython().events.register('pre_run_cell', sneaky)")
    assert fixed == ["the IPython shell's pre_run_cell callbacks"]
    assert all(cb.__name__ != "sneaky" for cb in shell.events.callbacks["pre_run_cell"])


@pytest.mark.parametrize("code", [
    "p = torch.nn.Parameter(torch.ones(2))\nopt = torch.optim.Adam([p])\n(p ** 2).sum().backward()\nopt.step()",
    "torch.manual_seed = torch._disable_dynamo(torch.manual_seed)",    # what importing torch._dynamo does
])
def test_torch_rewrapping_its_own_functions_is_no_tampering(shell, code):
    """The first torch.optim step imports torch._dynamo, which rebinds torch.manual_seed to a wrapper
    that calls the original: an honest submission must not read that it replaced torch.manual_seed."""
    assert restored(shell, code) == []


def test_a_fake_that_wraps_a_torch_function_is_still_put_back(shell):
    fixed = restored(shell, "import functools\n_seed = torch.manual_seed\n"
                            "@functools.wraps(_seed)\ndef fake(s):\n    return _seed(0)\ntorch.manual_seed = fake")
    assert "torch.manual_seed" in fixed
