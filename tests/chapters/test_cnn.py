"""Chapter 07 checks: the references pass, every catalogued mistake fails with its own hint, and the
oracles agree with torch."""
import pytest
import torch
import torch.nn.functional as F

from helpers.chapters.cnn import answers, checks as C
from helpers.grading.checks import CheckFailure
from tests.chapters.exercise_tools import fails_with, names_mistake, unwrap

G = torch.Generator().manual_seed(0)


def _conv_case(dtype, stride, padding, dilation, bias=True, c=3, o=4, k=3, h=9, w=8):
    x = torch.randn(2, c, h, w, generator=G, dtype=dtype)
    wt = torch.randn(o, c, k, k, generator=G, dtype=dtype)
    b = torch.randn(o, generator=G, dtype=dtype) if bias else None
    return x, wt, b, stride, padding, dilation


CONV_CASES = [_conv_case(torch.float32, 1, 0, 1), _conv_case(torch.float64, 2, 1, 1),
              _conv_case(torch.float64, 1, 2, 2), _conv_case(torch.float32, 3, 1, 2, bias=False)]
SIZE_CASES = [[(32, 5, 1, 0, 1), (224, 11, 4, 2, 1), (12, 3, 1, 1, 2), (10, 4, 3, 1, 2), (9, 3, 2, 0, 1)]]
PARAM_CASES = [[(32, 64, 5, True), (3, 96, 11, True), (7, 3, 4, False)]]
RF_CASES = [[(5, 1), (2, 2), (5, 1), (2, 2)], [(3, 2, 1), (3, 1, 2), (3, 1, 4)], [(7, 2), (3, 2), (3, 1)]]


def _pool_case(dtype, k, s, shape=(2, 3, 9, 8)):
    return torch.randn(*shape, generator=G, dtype=dtype), k, s


POOL_CASES = [_pool_case(torch.float32, 2, 2), _pool_case(torch.float64, 3, 2), _pool_case(torch.float64, 3, 1)]


def _backward_case(dtype, stride, padding, dilation):
    x, w, _, s, p, d = _conv_case(dtype, stride, padding, dilation)
    shape = F.conv2d(x, w, stride=s, padding=p, dilation=d).shape
    return x, w, torch.randn(shape, generator=G, dtype=dtype), s, p, d


BACKWARD_CASES = [_backward_case(torch.float32, 1, 0, 1), _backward_case(torch.float64, 2, 1, 2)]


def test_references_pass():
    C.check_conv_out_size(unwrap(answers.conv_out_size), C.random_size_cases(100))
    C.check_conv_param_count(unwrap(answers.conv_param_count), PARAM_CASES[0])
    for case in CONV_CASES:
        C.check_conv2d_loops(unwrap(answers.conv2d_loops), *case)
        C.check_conv2d_im2col(unwrap(answers.conv2d_im2col), *case)
    for case in BACKWARD_CASES:
        C.check_conv2d_backward(unwrap(answers.conv2d_backward), *case)
    for case in POOL_CASES:
        C.check_maxpool2d(unwrap(answers.maxpool2d), unwrap(answers.maxpool2d_backward), *case)
    for layers in RF_CASES:
        C.check_receptive_field(unwrap(answers.receptive_field), layers)


def test_the_seed_numbers():
    size, count = unwrap(answers.conv_out_size), unwrap(answers.conv_param_count)
    assert [size(32, 5), size(224, 11, 4, 2), size(55, 3, 2), size(28, 2, 2), size(227, 11, 4)] == [28, 55, 27, 14, 55]
    assert count(32, 64, 5) == 51_264 and count(3, 96, 11) == 34_944 and count(3, 96, 11, bias=False) == 34_848
    assert unwrap(answers.receptive_field)([(5, 1), (2, 2), (5, 1), (2, 2)]) == (16, 4)


@pytest.mark.parametrize("mistake", C.SIZE_MISTAKES, ids=lambda m: m.name)
def test_size_mistakes_are_named(mistake):
    names_mistake(lambda fn, cases: C.check_conv_out_size(fn, cases), mistake.variant, [SIZE_CASES], mistake.hint)


@pytest.mark.parametrize("mistake", C.PARAM_MISTAKES, ids=lambda m: m.name)
def test_param_mistakes_are_named(mistake):
    names_mistake(lambda fn, cases: C.check_conv_param_count(fn, cases), mistake.variant, [PARAM_CASES], mistake.hint)


@pytest.mark.parametrize("mistake", C.CONV_MISTAKES, ids=lambda m: m.name)
@pytest.mark.parametrize("check", [C.check_conv2d_loops, C.check_conv2d_im2col], ids=["loops", "im2col"])
def test_conv_mistakes_are_named(check, mistake):
    names_mistake(check, mistake.variant, CONV_CASES, mistake.hint)


@pytest.mark.parametrize("part,mistake", [(p, m) for p in ("dx", "dw", "db") for m in C._backward_mistakes(p)],
                         ids=lambda v: v if isinstance(v, str) else v.name)
def test_backward_mistakes_are_named(part, mistake):
    ref = unwrap(answers.conv2d_backward)

    def wrong(*args):
        dx, dw, db = ref(*args)
        parts = {"dx": dx, "dw": dw, "db": db}
        parts[part] = mistake.variant(*args)
        return parts["dx"], parts["dw"], parts["db"]
    names_mistake(C.check_conv2d_backward, wrong, BACKWARD_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.POOL_MISTAKES, ids=lambda m: m.name)
def test_pool_forward_mistakes_are_named(mistake):
    names_mistake(lambda fn, *case: C.check_maxpool2d(fn, unwrap(answers.maxpool2d_backward), *case),
                  mistake.variant, POOL_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.POOL_BACKWARD_MISTAKES, ids=lambda m: m.name)
def test_pool_backward_mistakes_are_named(mistake):
    names_mistake(lambda fn, *case: C.check_maxpool2d(unwrap(answers.maxpool2d), fn, *case),
                  mistake.variant, POOL_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.RF_MISTAKES, ids=lambda m: m.name)
def test_receptive_field_mistakes_are_named(mistake):
    names_mistake(C.check_receptive_field, mistake.variant, [[c] for c in RF_CASES], mistake.hint)


def test_empirical_receptive_field_matches_the_formula():
    for layers in RF_CASES + [[(3, 1)] * 4, [(1, 1)]]:
        assert C.empirical_receptive_field(layers, size=101) == unwrap(answers.receptive_field)(layers)[0]


def test_backward_reference_matches_autograd_without_a_check():
    x, w, g, s, p, d = BACKWARD_CASES[1]
    dx, dw, db = unwrap(answers.conv2d_backward)(x, w, g, s, p, d)
    ex, ew, eb = C._autograd_conv(x, w, g, s, p, d)
    assert torch.allclose(dx, ex) and torch.allclose(dw, ew) and torch.allclose(db, eb)


def test_a_list_instead_of_ints_is_refused():
    fails_with(C.check_receptive_field, lambda layers: (7.0, 1.0), [(3, 1)] * 3, hint="whole numbers")


def test_in_place_padding_is_caught():
    def pads_in_place(x, w, b=None, stride=1, padding=0, dilation=1):
        x.mul_(1.0)
        x.add_(1.0)
        return unwrap(answers.conv2d_im2col)(x, w, b, stride, padding, dilation)
    with pytest.raises(CheckFailure, match="in place"):
        C.check_conv2d_im2col(pads_in_place, *CONV_CASES[0])


class _Block(torch.nn.Module):
    """A student's correct ResidualBlock (the course's own refuses to be built inside its check)."""

    def __init__(self, c_in, c_out, stride=1, *, final_relu=True, relu_before_add=False, shortcut=True,
                 inner_relu=True):
        super().__init__()
        nn = torch.nn
        self.opts = (final_relu, relu_before_add, shortcut, inner_relu)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        keeps = stride == 1 and c_in == c_out
        self.shortcut = nn.Identity() if keeps else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                                                  nn.BatchNorm2d(c_out))

    def forward(self, x):
        final_relu, relu_before_add, shortcut, inner_relu = self.opts
        h = self.bn1(self.conv1(x))
        h = torch.relu(h) if inner_relu else h
        f = self.bn2(self.conv2(h))
        f = torch.relu(f) if relu_before_add else f
        out = f + self.shortcut(x) if shortcut else f
        return torch.relu(out) if final_relu or not shortcut else out


BLOCK_CASES = [(4, 4, 1), (3, 8, 2), (4, 6, 1)]


def test_residual_reference_passes_and_the_course_class_is_refused():
    for case in BLOCK_CASES:
        C.check_residual_block(_Block, *case)
        C.check_residual_block(_Block, *case, dtype=torch.float64)
    fails_with(C.check_residual_block, answers.ResidualBlock, 3, 8, 2, hint="")


@pytest.mark.parametrize("opts,mistake", [({"final_relu": False}, "no-final-relu"),
                                          ({"relu_before_add": True, "final_relu": False}, "relu-before-add"),
                                          ({"shortcut": False}, "no-shortcut"),
                                          ({"inner_relu": False}, "no-inner-relu")])
def test_residual_mistakes_are_named(opts, mistake):
    hint = next(m.hint for m in C.RES_MISTAKES if m.name == mistake)
    block = lambda c_in, c_out, stride=1: _Block(c_in, c_out, stride, **opts)   # noqa: E731
    names_mistake(lambda fn, *case: C.check_residual_block(fn, *case), block, BLOCK_CASES, hint)


def test_residual_structure_is_checked():
    class AlwaysProjection(_Block):
        def __init__(self, c_in, c_out, stride=1):
            super().__init__(c_in, c_out, stride)
            self.shortcut = torch.nn.Sequential(torch.nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                                torch.nn.BatchNorm2d(c_out))
    fails_with(C.check_residual_block, AlwaysProjection, 4, 4, 1, hint="the identity")
