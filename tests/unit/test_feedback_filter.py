"""The feedback filter hides hidden-test code and test-cell tracebacks, and keeps the rest."""
import nbformat

from helpers.course.feedback_filter import PLACEHOLDER, RedactHiddenTests, redact_error, redact_source

TEST_CELL = '''"""docstring"""
check(f, 1)
    ### BEGIN HIDDEN TESTS
    check(f, 123456)
    ### END HIDDEN TESTS
tail()'''


def test_hidden_region_becomes_one_comment_line():
    assert redact_source(TEST_CELL).split("\n") == ['"""docstring"""', "check(f, 1)", "    " + PLACEHOLDER, "tail()"]


def test_unclosed_region_hides_the_rest_and_text_without_region_is_unchanged():
    assert "secret" not in redact_source("a\n### BEGIN HIDDEN TESTS\nsecret\nmore secret")
    assert redact_source("a\nb") == "a\nb"


def test_plain_tracebacks_are_cut_to_the_message_and_check_displays_kept():
    plain = nbformat.v4.new_output("error", ename="AssertionError", evalue="H(p,q) != H(p) + KL",
                                   traceback=["---", "check(f, 123456)  # hidden line", "AssertionError"])
    assert redact_error(plain).traceback == ["AssertionError: H(p,q) != H(p) + KL"]
    shown = ["CheckFailure: softmax overflows", "  where your code raised ValueError:", "    line 3 in f: x"]
    check = nbformat.v4.new_output("error", ename="CheckFailure", evalue="softmax overflows", traceback=list(shown))
    assert redact_error(check).traceback == shown


def test_preprocessor_touches_test_cells_only():
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "test-x", "points": 1}}
    test = nbformat.v4.new_code_cell(TEST_CELL, metadata=meta)
    student = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nmy own code",
                                        metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "ex-x"}})
    pre = RedactHiddenTests()
    assert "123456" not in pre.preprocess_cell(test, {}, 0)[0].source
    assert pre.preprocess_cell(student, {}, 1)[0].source == "### BEGIN HIDDEN TESTS\nmy own code"
