"""Chapter 06 checks: the reference answers pass every check on several inputs, every catalogued
mistake fails with its own hint, blank answers say so, library and reference calls are refused, and
the answers agree with torch's own functions."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers.chapters.deep_nets import answers as R
from helpers.chapters.deep_nets import checks as C
from helpers.grading.checks import CheckFailure
from helpers.runtime import cpu_threads
from tests.chapters.exercise_tools import fails_with, names_mistake, not_implemented, unwrap


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: one thread is faster than two, and steady on a shared CPU."""
    with cpu_threads(1):
        yield

g = torch.Generator().manual_seed(0)
F64 = dict(dtype=torch.float64, generator=g)

KEEP_CASES = [(128, 0.0), (100, 0.5), (50, 1.0), (300, 0.01)]
BN_BATCHES = [torch.randn(6, 5, **F64) * 3 - 2 for _ in range(3)]
BN_GAMMA, BN_BETA = torch.rand(5, **F64) + 0.5, torch.randn(5, **F64)
BN_EVAL = torch.randn(4, 5, **F64)
BACK_ARGS = (torch.randn(9, 5, **F64), torch.randn(9, 5, **F64) * 3 - 1, torch.randn(5, **F64))
LN_ARGS = (torch.randn(5, 7, **F64) * 4 - 2, torch.randn(7, **F64), torch.randn(7, **F64))
CLIP_GRADS = [torch.randn(4, 4, **F64) * 10, torch.randn(4, **F64) * 0.1, torch.randn(2, 3, 2, **F64)]
CLIP_SMALL = [torch.randn(6, **F64) * 0.01, torch.randn(2, 2, **F64) * 0.01]


# ---------------------------------------------------------------- the answers against torch

@pytest.mark.parametrize("fan_in,s", KEEP_CASES)
def test_keeping_std_is_torchs_gain_over_sqrt_fan_in(fan_in, s):
    assert unwrap(R.keeping_std)(fan_in, s) == pytest.approx(nn.init.calculate_gain("leaky_relu", s) / math.sqrt(fan_in))


@pytest.mark.parametrize("s", [0.0, 0.3, 1.0])
def test_keeping_std_keeps_the_signal_through_30_layers(s):
    assert 0.5 <= C.signal_ratio(unwrap(R.keeping_std)(256, s), s) <= 2.0
    assert C.signal_ratio(math.sqrt(1 / 256), 0.0) < 0.5            # LeCun for a ReLU: it vanishes


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batchnorm_forward_equals_nn_batchnorm1d(dtype):
    bn = nn.BatchNorm1d(5, momentum=0.3, eps=1e-3).to(dtype)
    with torch.no_grad():
        bn.weight.copy_(BN_GAMMA)
        bn.bias.copy_(BN_BETA)
    rm, rv = torch.zeros(5, dtype=dtype), torch.ones(5, dtype=dtype)
    for x in BN_BATCHES:
        x = x.to(dtype)
        y, rm, rv = unwrap(R.batchnorm_forward)(x, bn.weight.detach(), bn.bias.detach(), rm, rv, True, 0.3, 1e-3)
        torch.testing.assert_close(y, bn(x).detach())
        torch.testing.assert_close(rm, bn.running_mean)
        torch.testing.assert_close(rv, bn.running_var)
    bn.eval()
    y, rm2, _ = unwrap(R.batchnorm_forward)(BN_EVAL.to(dtype), bn.weight.detach(), bn.bias.detach(), rm, rv, False, 0.3, 1e-3)
    torch.testing.assert_close(y, bn(BN_EVAL.to(dtype)).detach())
    torch.testing.assert_close(rm2, rm)


def test_batchnorm_backward_equals_autograd():
    grad_out, x, gamma = BACK_ARGS
    xl, gl = x.clone().requires_grad_(True), gamma.clone().requires_grad_(True)
    bl = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    (F.batch_norm(xl, None, None, gl, bl, training=True) * grad_out).sum().backward()
    dx, dgamma, dbeta = unwrap(R.batchnorm_backward)(grad_out, x, gamma)
    for got, want in ((dx, xl.grad), (dgamma, gl.grad), (dbeta, bl.grad)):
        torch.testing.assert_close(got, want)


def test_layer_norm_equals_f_layer_norm():
    x = torch.randn(2, 3, 8, **F64)
    gamma, beta = torch.randn(8, **F64), torch.randn(8, **F64)
    torch.testing.assert_close(unwrap(R.layer_norm)(x, gamma, beta, 1e-2), F.layer_norm(x, (8,), gamma, beta, 1e-2))


@pytest.mark.parametrize("grads,c", [(CLIP_GRADS, 2.5), (CLIP_SMALL, 1.0)])
def test_clip_grad_norm_equals_torch_and_leaves_its_input(grads, c):
    before = [t.clone() for t in grads]
    clipped, total = unwrap(R.clip_grad_norm)(grads, c)
    params = [nn.Parameter(t.clone()) for t in grads]
    for p, t in zip(params, grads):
        p.grad = t.clone()
    torch.testing.assert_close(total, torch.nn.utils.clip_grad_norm_(params, c))
    for got, p, b, t in zip(clipped, params, before, grads):
        torch.testing.assert_close(got, p.grad)
        assert torch.equal(t, b)


def test_residual_block_shortcuts():
    assert isinstance(R.ResidualBlock(4, 4).shortcut, nn.Identity)
    proj = R.ResidualBlock(4, 6).shortcut
    assert isinstance(proj, nn.Linear) and proj.bias is None and tuple(proj.weight.shape) == (6, 4)


# ---------------------------------------------------------------- the reference passes every check

def test_reference_passes_every_check():
    C.check_keeping_std(unwrap(R.keeping_std), KEEP_CASES)
    C.check_keeping_signal(unwrap(R.keeping_std), 0.2)
    C.check_batchnorm_forward(unwrap(R.batchnorm_forward), BN_BATCHES, BN_GAMMA, BN_BETA, BN_EVAL, momentum=0.3, eps=1e-3)
    C.check_batchnorm_forward(unwrap(R.batchnorm_forward), [b.float() for b in BN_BATCHES], BN_GAMMA.float(),
                              BN_BETA.float(), BN_EVAL.float())
    C.check_batchnorm_backward(unwrap(R.batchnorm_backward), *BACK_ARGS)
    C.check_batchnorm_backward(unwrap(R.batchnorm_backward), *(a.float() for a in BACK_ARGS), eps=1e-3)
    C.check_layer_norm(unwrap(R.layer_norm), *LN_ARGS)
    C.check_layer_norm(unwrap(R.layer_norm), torch.randn(2, 3, 4, **F64), torch.ones(4, dtype=torch.float64),
                       torch.zeros(4, dtype=torch.float64), eps=1e-2)
    C.check_clip_grad_norm(unwrap(R.clip_grad_norm), CLIP_GRADS, 2.5)
    C.check_clip_grad_norm(unwrap(R.clip_grad_norm), [t.float() for t in CLIP_SMALL], 1.0)
    for d_in, d_out in ((4, 4), (5, 3)):
        C.check_residual_block(_UnguardedBlock, d_in, d_out, torch.randn(6, d_in, **F64))


class _UnguardedBlock(R.ResidualBlock):
    def forward(self, x):
        return self.shortcut(x) + self.fc2(torch.relu(self.fc1(torch.relu(x))))


# ---------------------------------------------------------------- every catalogued mistake is named

def _keep_check(fn, cases):
    C.check_keeping_std(fn, cases)


@pytest.mark.parametrize("mistake", C.KEEPING_MISTAKES, ids=lambda m: m.name)
def test_keeping_mistakes_are_named(mistake):
    names_mistake(_keep_check, mistake.variant, [(KEEP_CASES,)], mistake.hint)


def _bn_forward_wrong(opts):
    def fn(x, gamma, beta, rm, rv, training, momentum=0.1, eps=1e-5):
        return C._bn_variant(x, gamma, beta, rm, rv, training, momentum, eps, **opts)
    return fn


@pytest.mark.parametrize("row", C._BN_ROWS, ids=lambda r: r[0])
def test_batchnorm_forward_mistakes_are_named(row):
    fails_with(C.check_batchnorm_forward, _bn_forward_wrong(row[2]), BN_BATCHES, BN_GAMMA, BN_BETA, BN_EVAL,
               momentum=0.3, eps=1e-3, hint=row[1])


@pytest.mark.parametrize("row", C._BN_BACK_ROWS, ids=lambda r: r[0])
def test_batchnorm_backward_mistakes_are_named(row):
    fails_with(C.check_batchnorm_backward, lambda go, x, ga, eps=1e-5: C._bn_back_variant(go, x, ga, eps, **row[2]),
               *BACK_ARGS, hint=row[1])


@pytest.mark.parametrize("mistake", C.LN_MISTAKES, ids=lambda m: m.name)
def test_layer_norm_mistakes_are_named(mistake):
    fails_with(C.check_layer_norm, mistake.variant, *LN_ARGS, eps=1e-2, hint=mistake.hint)


@pytest.mark.parametrize("row", C._CLIP_ROWS, ids=lambda r: r[0])
def test_clip_mistakes_are_named(row):
    def wrong(grads, c):
        clipped = [t.to(grads[0].dtype) for t in C._clip_variant(grads, c, **row[2])]
        total = torch.sqrt(sum((t ** 2).sum() for t in grads))
        return clipped, total
    names_mistake(C.check_clip_grad_norm, wrong, [(CLIP_GRADS, 2.5), (CLIP_SMALL, 1.0)], row[1])


@pytest.mark.parametrize("mistake", C.RESIDUAL_MISTAKES, ids=lambda m: m.name)
def test_residual_mistakes_are_named(mistake):
    class Wrong(R.ResidualBlock):
        def forward(self, x):
            return mistake.variant(self, x)
    fails_with(C.check_residual_block, Wrong, 4, 4, torch.randn(6, 4, **F64), hint=mistake.hint)


# ---------------------------------------------------------------- blank answers, references and libraries

def test_blank_answers_say_not_implemented():
    fails_with(C.check_keeping_std, not_implemented, KEEP_CASES, hint="not implemented yet")
    fails_with(C.check_batchnorm_backward, not_implemented, *BACK_ARGS, hint="not implemented yet")
    fails_with(C.check_layer_norm, not_implemented, *LN_ARGS, hint="not implemented yet")
    fails_with(C.check_clip_grad_norm, not_implemented, CLIP_GRADS, 1.0, hint="not implemented yet")

    class Blank(nn.Module):
        def __init__(self, d_in, d_out):
            super().__init__()
            raise NotImplementedError()
    fails_with(C.check_residual_block, Blank, 4, 4, torch.randn(3, 4), hint="not implemented yet")


def test_references_and_libraries_are_refused():
    fails_with(C.check_keeping_std, R.keeping_std, KEEP_CASES, hint="calls helpers.chapters.deep_nets")
    fails_with(C.check_layer_norm, lambda x, g_, b, eps=1e-5: F.layer_norm(x, (x.shape[-1],), g_, b, eps), *LN_ARGS,
               hint="torch.nn.functional.layer_norm")
    fails_with(C.check_residual_block, R.ResidualBlock, 4, 4, torch.randn(3, 4), hint="ResidualBlock.forward")

    def by_autograd(go, x, ga, eps=1e-5):
        xl = x.clone().requires_grad_(True)
        (F.batch_norm(xl, None, None, ga, torch.zeros_like(ga), training=True) * go).sum().backward()
        return xl.grad, (go * 0).sum(0), go.sum(0)
    with pytest.raises(CheckFailure):
        C.check_batchnorm_backward(by_autograd, *BACK_ARGS)
