"""Checks for chapter 07 (convolutional networks), with each exercise's catalogue of known mistakes.

The oracles are torch's own functions (``F.conv2d``, ``nn.Conv2d``, ``F.max_pool2d`` and autograd),
run in float64 outside the student's code. Every ``check_*`` raises
helpers.grading.checks.CheckFailure with a message for the student, or returns None.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from helpers.chapters.cnn import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

# Bound at import time: blocking during a student's call, or a submission that rebinds them, does not touch these.
_conv2d = F.conv2d
_max_pool2d = F.max_pool2d
_grad = torch.autograd.grad
_float64 = torch.float64

CONV_LIBRARY = ("torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.functional.conv_transpose2d",
                "torch.conv_transpose2d")
SIZE_FORBIDDEN = (answers.conv_out_size, answers.conv_param_count)
LOOPS_FORBIDDEN = CONV_LIBRARY + ("torch.nn.functional.unfold", "torch.nn.functional.fold",
                                  answers.conv2d_loops, answers.conv2d_im2col)
IM2COL_FORBIDDEN = CONV_LIBRARY + (answers.conv2d_loops, answers.conv2d_im2col)
BACKWARD_FORBIDDEN = checks.AUTOGRAD_LIBRARY + ("torch.nn.grad.conv2d_input", "torch.nn.grad.conv2d_weight",
                                                "torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d",
                                                answers.conv2d_backward)
POOL_LIBRARY = ("torch.nn.functional.max_pool2d", "torch.max_pool2d", "torch.nn.functional.max_pool2d_with_indices",
                "torch.nn.functional.max_unpool2d", "torch.nn.functional.adaptive_max_pool2d")
POOL_FORBIDDEN = checks.AUTOGRAD_LIBRARY + POOL_LIBRARY + (answers.maxpool2d, answers.maxpool2d_backward)
RF_FORBIDDEN = (answers.receptive_field,)


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-4, "rtol": 1e-4}


def _dtype(x: torch.Tensor) -> str:
    return str(x.dtype).replace("torch.", "")


# ---------------------------------------------------------------- exercise 1: output sizes and parameter counts

def _size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - d * (k - 1) - 1) // s + 1


SIZE_MISTAKES = (
    Mistake("no-floor", "the division must be floored (//): a window that does not fit at the end is dropped, so the "
            "result is an int, (h + 2p - k) // s + 1.", lambda h, k, s=1, p=0, d=1: (h + 2 * p - d * (k - 1) - 1) / s + 1),
    Mistake("ceil", "you rounded up: the last window must fit entirely, so round down (//).",
            lambda h, k, s=1, p=0, d=1: -(-(h + 2 * p - d * (k - 1) - 1) // s) + 1),
    Mistake("no-padding", "the padding is missing: p zeros are added on *both* sides, so h becomes h + 2p.",
            lambda h, k, s=1, p=0, d=1: _size(h, k, s, 0, d)),
    Mistake("padding-once", "p zeros are added on both sides of the input: h + 2p, not h + p.",
            lambda h, k, s=1, p=0, d=1: (h + p - d * (k - 1) - 1) // s + 1),
    Mistake("no-dilation", "a dilated kernel spans d(k - 1) + 1 input positions: replace k by d(k - 1) + 1.",
            lambda h, k, s=1, p=0, d=1: _size(h, k, s, p, 1)),
    Mistake("dilation-times-k", "a dilated kernel spans d(k - 1) + 1 positions, not d * k: there are k - 1 gaps of d.",
            lambda h, k, s=1, p=0, d=1: (h + 2 * p - d * k) // s + 1),
    Mistake("stride-outside", "the stride divides (h + 2p - k) only; the + 1 (the first window) stays outside.",
            lambda h, k, s=1, p=0, d=1: (h + 2 * p - d * (k - 1) - 1 + 1) // s),
)
PARAM_MISTAKES = (
    Mistake("no-bias", "each output channel has one bias: (k*k*c_in + 1) * c_out when bias=True.",
            lambda c_in, c_out, k, bias=True: k * k * c_in * c_out),
    Mistake("bias-as-channel", "the bias is not an extra input channel: (k*k*(c_in+1))*c_out counts k*k biases per "
            "output channel; there is one, (k*k*c_in + 1) * c_out.",
            lambda c_in, c_out, k, bias=True: k * k * (c_in + int(bias)) * c_out),
    Mistake("seed-formula", "(k*(k+1)*c_in)*c_out adds a whole kernel column per input channel; one bias per output "
            "channel gives (k*k*c_in + 1) * c_out.", lambda c_in, c_out, k, bias=True: k * (k + int(bias)) * c_in * c_out),
    Mistake("bias-per-input", "there is one bias per *output* channel (c_out of them), not per input channel.",
            lambda c_in, c_out, k, bias=True: k * k * c_in * c_out + int(bias) * c_in),
    Mistake("bias-ignored-flag", "with bias=False there are no biases: k*k*c_in*c_out.",
            lambda c_in, c_out, k, bias=True: (k * k * c_in + 1) * c_out),
    Mistake("no-input-channels", "each kernel covers every input channel: k*k*c_in weights per output channel.",
            lambda c_in, c_out, k, bias=True: (k * k + int(bias)) * c_out),
)


def _torch_size(h: int, k: int, s: int, p: int, d: int) -> int:
    """The oracle: what nn.Conv2d returns on a (1, 1, h, 1)-shaped probe (only the first axis matters)."""
    conv = nn.Conv2d(1, 1, (k, 1), stride=(s, 1), padding=(p, 0), dilation=(d, 1), bias=False)
    with torch.no_grad():
        return int(conv(torch.zeros(1, 1, h, 1)).shape[2])


def _consistent_hint(outs, cases, expected, mistakes) -> str | None:
    """The hint of the first mistake that reproduces the student's answer on *every* case and is wrong on one:
    a single case often fits several mistakes, all the cases together rarely do."""
    for mistake in mistakes:
        try:
            wrong = [mistake.variant(*case) for case in cases]
        except Exception:
            continue
        if all(checks._same(o, w) for o, w in zip(outs, wrong)) and any(
                not checks._same(e, w) for e, w in zip(expected, wrong)):
            return mistake.hint
    return None


def _check_counts(fn, name, cases, labels, oracle, mistakes) -> None:
    outs, expected = [], []
    for case in cases:
        what = f"{name}({', '.join(f'{l}={v}' for l, v in zip(labels, case))})"
        out = checks.call(fn, *case, what=what, forbidden=SIZE_FORBIDDEN)
        if isinstance(out, float) or (torch.is_tensor(out) and out.is_floating_point()):
            hint = SIZE_MISTAKES[0].hint if name == "conv_out_size" else "a count is a whole number: return an int."
            checks.fail(what, f"expected an int, got {type(out).__name__} {checks.fmt(out)}.", hint)
        outs.append(checks.as_int(out))
        expected.append(oracle(*case))
    for case, out, want in zip(cases, outs, expected):
        if out != want or type(out) is not type(want):
            what = f"{name}({', '.join(f'{l}={v}' for l, v in zip(labels, case))})"
            hint = _consistent_hint(outs, cases, expected, mistakes)
            if hint is None:
                checks.expect_equal(out, want, what=what, mistakes=mistakes, args=case)
            checks.fail(what, f"expected {checks.fmt(want)}, got {checks.fmt(out)}.", hint)


def check_conv_out_size(conv_out_size, cases) -> None:
    """conv_out_size(h, k, s, p, d) equals the size nn.Conv2d produces, for each (h, k, s, p, d) in cases."""
    _check_counts(conv_out_size, "conv_out_size", [tuple(c) for c in cases], ("h", "k", "s", "p", "d"), _torch_size,
                  SIZE_MISTAKES)


def _torch_params(c_in, c_out, k, bias):
    return sum(p.numel() for p in nn.Conv2d(c_in, c_out, k, bias=bias).parameters())


def check_conv_param_count(conv_param_count, cases) -> None:
    """conv_param_count(c_in, c_out, k, bias) equals sum(p.numel()) of nn.Conv2d, for each case."""
    _check_counts(conv_param_count, "conv_param_count", [tuple(c) for c in cases], ("c_in", "c_out", "k", "bias"),
                  _torch_params, PARAM_MISTAKES)


def random_size_cases(n: int, seed: int = 0) -> list[tuple[int, int, int, int, int]]:
    """n valid (h, k, s, p, d) combinations (the dilated kernel fits the padded input)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < n:
        h, k, s, p, d = (int(torch.randint(lo, hi, (1,), generator=g)) for lo, hi in
                         ((1, 40), (1, 8), (1, 5), (0, 4), (1, 4)))
        if d * (k - 1) + 1 <= h + 2 * p:
            out.append((h, k, s, p, d))
    return out


# ---------------------------------------------------------------- exercises 2 and 3: the forward pass

def _conv_variant(x, w, b=None, stride=1, padding=0, dilation=1, *, flip=False, bias=True, transpose=False,
                  swap=False, pad=True):
    w2 = w.flip(-1, -2) if flip else w
    w2 = w2.transpose(-1, -2) if transpose else w2
    s, d = (dilation, stride) if swap else (stride, dilation)
    return _conv2d(x, w2, b if bias else None, stride=s, padding=padding if pad else 0, dilation=d)


CONV_MISTAKES = (
    Mistake("flipped-kernel", "you flipped the kernel (a true convolution); F.conv2d computes the cross-correlation "
            "sum w[o,c,u,v] * x[c, i*s + u, j*s + v], with the kernel as it is.",
            lambda *a, **k: _conv_variant(*a, **k, flip=True)),
    Mistake("no-bias", "the bias is missing: add b[o] to every position of output channel o (b.view(1, -1, 1, 1)).",
            lambda *a, **k: _conv_variant(*a, **k, bias=False)),
    Mistake("kernel-transposed", "the kernel's rows and columns are swapped: w[o, c, u, v] multiplies the input at row "
            "i*s + u*d and column j*s + v*d.", lambda *a, **k: _conv_variant(*a, **k, transpose=True)),
    Mistake("stride-dilation-swapped", "stride and dilation are swapped: the stride moves the window (i*s), the "
            "dilation spaces the taps inside it (u*d).", lambda *a, **k: _conv_variant(*a, **k, swap=True)),
    Mistake("no-padding", "the padding is missing: pad the input with p zeros on each side first (F.pad).",
            lambda *a, **k: _conv_variant(*a, **k, pad=False)),
)


def _expected_conv(x, w, b, stride, padding, dilation) -> torch.Tensor:
    return _conv2d(x.to(_float64), w.to(_float64), None if b is None else b.to(_float64), stride=stride,
                   padding=padding, dilation=dilation).to(x.dtype)


def _check_conv(fn, name, forbidden, x, w, b, stride, padding, dilation) -> None:
    what = (f"{name}(x {tuple(x.shape)}, w {tuple(w.shape)}, b {'None' if b is None else tuple(b.shape)}, "
            f"stride={stride}, padding={padding}, dilation={dilation}) in {_dtype(x)}")
    out = checks.call(fn, x.clone(), w.clone(), None if b is None else b.clone(), stride, padding, dilation,
                      what=what, forbidden=forbidden)
    expected = _expected_conv(x, w, b, stride, padding, dilation)
    checks.expect_close(out, expected, what=what, mistakes=CONV_MISTAKES, args=(x, w, b, stride, padding, dilation),
                        **_tolerance(x))


def check_conv2d_loops(conv2d_loops, x, w, b=None, stride=1, padding=0, dilation=1) -> None:
    """conv2d_loops equals F.conv2d (cross-correlation, bias, stride, padding, dilation), in x's dtype."""
    _check_conv(conv2d_loops, "conv2d_loops", LOOPS_FORBIDDEN, x, w, b, stride, padding, dilation)


def check_conv2d_im2col(conv2d_im2col, x, w, b=None, stride=1, padding=0, dilation=1) -> None:
    """conv2d_im2col equals F.conv2d, in x's dtype, and on one example agrees with the batch it came from."""
    _check_conv(conv2d_im2col, "conv2d_im2col", IM2COL_FORBIDDEN, x, w, b, stride, padding, dilation)
    if x.shape[0] > 1:
        checks.expect_rows_independent(lambda xs: conv2d_im2col(xs, w.clone(), None if b is None else b.clone(),
                                                                stride, padding, dilation),
                                       x.clone(), what="conv2d_im2col on the images of a batch one by one",
                                       forbidden=IM2COL_FORBIDDEN, **_tolerance(x))


# ---------------------------------------------------------------- exercise 4: the backward pass of a convolution

def _autograd_conv(x, w, grad_out, stride, padding, dilation):
    """(dx, dw, db) by autograd in float64, each in its input's dtype."""
    with torch.enable_grad():
        xl = x.detach().to(_float64).requires_grad_(True)
        wl = w.detach().to(_float64).requires_grad_(True)
        bl = torch.zeros(w.shape[0], dtype=_float64, requires_grad=True)
        out = _conv2d(xl, wl, bl, stride=stride, padding=padding, dilation=dilation)
        dx, dw, db = _grad(out, (xl, wl, bl), grad_out.detach().to(_float64))
    return dx.to(x.dtype), dw.to(w.dtype), db.to(w.dtype)


def _backward_variant(part, x, w, grad_out, stride=1, padding=0, dilation=1, *, flip=False, mean=False,
                      db_mean=False, db_batch_only=False):
    dx, dw, db = _autograd_conv(x, w.flip(-1, -2) if flip else w, grad_out, stride, padding, dilation)
    if part == "dx":
        return dx
    if part == "dw":
        dw = dw.flip(-1, -2) if flip else dw
        return dw / x.shape[0] if mean else dw
    if db_mean:
        return grad_out.mean(dim=(0, 2, 3))
    return grad_out.sum(dim=0) if db_batch_only else db


def _backward_mistakes(part: str) -> tuple[Mistake, ...]:
    rows = {
        "dx": (("dx-unflipped", "dL/dx is a *full* correlation of grad_out with the kernel flipped in both axes (or, "
                "equivalently, each output's gradient scattered back through its window with w as it is): you used "
                "the unflipped kernel in a correlation.", {"flip": True}),),
        "dw": (("dw-flipped", "dL/dw[o,c,u,v] = sum over n, i, j of grad_out[n,o,i,j] * x_pad[n,c,i*s+u*d, j*s+v*d]: "
                "the input patch at the kernel's own offset, not the flipped one.", {"flip": True}),
               ("dw-mean-over-batch", "the loss's gradient is already in grad_out: sum the contributions over the batch "
                "(every example uses the same weights), do not average them.", {"mean": True})),
        "db": (("db-mean", "each bias is added at every position of every example: dL/db[o] is the *sum* of "
                "grad_out[:, o] over the batch and both spatial axes, not its mean.", {"db_mean": True}),
               ("db-batch-only", "b[o] is added at every position (i, j) too: sum grad_out over dims (0, 2, 3).",
                {"db_batch_only": True})),
    }
    return tuple(Mistake(name, hint, lambda *a, _o=opts, **k: _backward_variant(part, *a, **k, **_o))
                 for name, hint, opts in rows[part])


def check_conv2d_backward(conv2d_backward, x, w, grad_out, stride=1, padding=0, dilation=1) -> None:
    """conv2d_backward returns (dx, dw, db) equal to autograd's for out = F.conv2d(x, w, b, ...), in their dtypes."""
    what = (f"conv2d_backward(x {tuple(x.shape)}, w {tuple(w.shape)}, grad_out {tuple(grad_out.shape)}, "
            f"stride={stride}, padding={padding}, dilation={dilation}) in {_dtype(x)}")
    out = checks.call(conv2d_backward, x.clone(), w.clone(), grad_out.clone(), stride, padding, dilation, what=what,
                      forbidden=BACKWARD_FORBIDDEN)
    if not (isinstance(out, (tuple, list)) and len(out) == 3):
        checks.fail(what, f"expected a tuple (dx, dw, db), got {type(out).__name__}.", "return dx, dw, db.")
    expected = _autograd_conv(x, w, grad_out, stride, padding, dilation)
    args = (x, w, grad_out, stride, padding, dilation)
    for part, got, want in zip(("dx", "dw", "db"), out, expected):
        checks.expect_close(got, want, what=f"{what}: {part}", mistakes=_backward_mistakes(part), args=args,
                            **_tolerance(x))


# ---------------------------------------------------------------- exercise 5: max pooling, forward and backward

def _avg_windows(x, k, s):
    return x.unfold(2, k, s).unfold(3, k, s).mean(dim=(-1, -2))


def _max_windows(x, k, s):
    """Max pooling written with unfold: the variants must not call F.max_pool2d, which is blocked while a
    student's code runs (and the unit tests run variants as students)."""
    return x.unfold(2, k, s).unfold(3, k, s).amax(dim=(-1, -2))


POOL_MISTAKES = (
    Mistake("average", "that is average pooling: take the max over each window.", lambda x, k, s: _avg_windows(x, k, s)),
    Mistake("stride-one", "the window moves by s, not by 1: window (i, j) starts at (i*s, j*s).",
            lambda x, k, s: _max_windows(x, k, 1)),
    Mistake("stride-k", "the window moves by the stride s given, which may differ from k.",
            lambda x, k, s: _max_windows(x, k, k)),
)


def _pool_grad(x, grad_out, k, s, *, mode="max"):
    """Variants of dL/dx for max pooling, built from autograd of the named pooling (float64)."""
    with torch.enable_grad():
        xl = x.detach().to(_float64).requires_grad_(True)
        if mode == "max":
            out = _max_windows(xl, k, s)
        elif mode == "avg":
            out = _avg_windows(xl, k, s)
        else:                                        # the min of each window
            out = -_max_windows(-xl, k, s)
        (dx,) = _grad(out, xl, grad_out.detach().to(_float64))
    return dx.to(x.dtype)


def _pool_overwrite(x, grad_out, k, s):
    """Each window writes its gradient to its argmax, a later window overwriting an earlier one."""
    dx = torch.zeros_like(x, dtype=_float64)
    win = x.unfold(2, k, s).unfold(3, k, s).flatten(-2)
    arg = win.argmax(-1)
    n, c, ho, wo = grad_out.shape
    for i in range(ho):
        for j in range(wo):
            r, q = i * s + arg[:, :, i, j] // k, j * s + arg[:, :, i, j] % k
            for a in range(n):
                for b in range(c):
                    dx[a, b, r[a, b], q[a, b]] = grad_out[a, b, i, j]
    return dx.to(x.dtype)


POOL_BACKWARD_MISTAKES = (
    Mistake("spread-evenly", "you spread each window's gradient evenly over the window (average pooling's backward "
            "pass); max pooling passes it to the maximum only: d max / d x_i is 1 for the argmax and 0 for the others.",
            lambda x, g, k, s: _pool_grad(x, g, k, s, mode="avg")),
    Mistake("overwrite", "where windows overlap (s < k) a pixel can be the maximum of several windows: its gradient is "
            "the *sum* of theirs (add with +=, index_add or scatter_add), not the last one written.", _pool_overwrite),
    Mistake("no-grad-out", "you put 1 at each maximum: multiply by the window's grad_out (the chain rule).",
            lambda x, g, k, s: _pool_grad(x, torch.ones_like(g), k, s)),
    Mistake("argmin", "the gradient goes to the window's maximum, not to its minimum.",
            lambda x, g, k, s: _pool_grad(x, g, k, s, mode="min")),
)


def check_maxpool2d(maxpool2d, maxpool2d_backward, x, k, s, grad_out=None) -> None:
    """maxpool2d(x, k, s) equals F.max_pool2d and maxpool2d_backward(x, grad_out, k, s) equals autograd's
    dL/dx through it (each window's gradient to its maximum, overlaps summed). x has no ties in a window."""
    what = f"maxpool2d(x {tuple(x.shape)}, k={k}, s={s}) in {_dtype(x)}"
    out = checks.call(maxpool2d, x.clone(), k, s, what=what, forbidden=POOL_FORBIDDEN)
    expected = _max_pool2d(x.to(_float64), k, s).to(x.dtype)
    checks.expect_close(out, expected, what=what, mistakes=POOL_MISTAKES, args=(x, k, s), **_tolerance(x))
    if grad_out is None:
        grad_out = torch.randn(expected.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(7))
    what = f"maxpool2d_backward(x {tuple(x.shape)}, grad_out {tuple(grad_out.shape)}, k={k}, s={s}) in {_dtype(x)}"
    dx = checks.call(maxpool2d_backward, x.clone(), grad_out.clone(), k, s, what=what, forbidden=POOL_FORBIDDEN)
    checks.expect_close(dx, _pool_grad(x, grad_out, k, s), what=what, mistakes=POOL_BACKWARD_MISTAKES,
                        args=(x, grad_out, k, s), **_tolerance(x))


# ---------------------------------------------------------------- exercise 6: receptive fields

def _rf(layers, *, use_jump=True, update_first=False, dilation=True, product=False):
    r, j = 1, 1
    for layer in layers:
        k, s, d = (tuple(layer) + (1,))[:3]
        d = d if dilation else 1
        if product:
            r, j = r * k, j * s
            continue
        if update_first:
            j = j * s
        r = r + d * (k - 1) * (j if use_jump else 1)
        if not update_first:
            j = j * s
    return r, j


RF_MISTAKES = (
    Mistake("no-jump", "a layer after a stride-s layer sees inputs s pixels apart: each layer adds d(k - 1) times the "
            "jump (the product of the strides before it), not d(k - 1).", lambda layers: _rf(layers, use_jump=False)),
    Mistake("jump-too-early", "the layer's own stride only spaces the *next* layer's taps: add d(k - 1) * j with the "
            "jump of the layers before it, then multiply j by s.", lambda layers: _rf(layers, update_first=True)),
    Mistake("no-dilation", "a dilated kernel spans d(k - 1) + 1 positions: the layer adds d(k - 1) * j.",
            lambda layers: _rf(layers, dilation=False)),
    Mistake("product-of-kernels", "receptive fields grow by addition: r <- r + d(k - 1) j, not by multiplying kernel "
            "sizes.", lambda layers: _rf(layers, product=True)),
)


def empirical_receptive_field(layers, size: int = 97) -> int:
    """The receptive field measured with autograd: the span of input pixels on which the central output of a
    stack of 1-D convolutions with positive weights (and max-free average pools) depends."""
    x = torch.zeros(1, 1, size, dtype=_float64, requires_grad=True)
    h = x
    with torch.enable_grad():
        for layer in layers:
            k, s, d = (tuple(layer) + (1,))[:3]
            h = F.conv1d(h, torch.ones(1, 1, k, dtype=_float64), stride=s, dilation=d)
        centre = h[0, 0, h.shape[-1] // 2]
        (g,) = _grad(centre, x)
    hit = (g[0, 0] != 0).nonzero().flatten()
    return int(hit.max() - hit.min() + 1)


def check_receptive_field(receptive_field, layers) -> None:
    """receptive_field(layers) returns (r, j): r the span measured by autograd, j the product of the strides."""
    what = f"receptive_field({list(layers)})"
    out = checks.call(receptive_field, [tuple(l) for l in layers], what=what, forbidden=RF_FORBIDDEN)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        checks.fail(what, f"expected a pair (r, j), got {type(out).__name__} {checks.fmt(out)}.", "return r, j.")
    r, j = (checks.as_int(v) for v in out)
    for name, v in (("r", r), ("j", j)):
        if not isinstance(v, int) or isinstance(v, bool):
            checks.fail(what, f"{name} should be an int, got {type(v).__name__} {checks.fmt(v)}.",
                        "sizes are whole numbers: keep them as Python ints (no / division, no float()).")
    want_j = 1
    for layer in layers:
        want_j *= tuple(layer)[1]
    want_r = empirical_receptive_field(layers, size=8 * _rf(layers)[0] + 9)
    checks.expect_equal((r, j), (want_r, want_j), what=f"{what}: (receptive field, jump)", mistakes=RF_MISTAKES,
                        args=(layers,))


# ---------------------------------------------------------------- exercise 7: a residual block

RES_MISTAKES = (
    Mistake("no-final-relu", "the block ends with a ReLU *after* the addition: relu(F(x) + shortcut(x)).",
            lambda block, x, s: answers.residual_branch(block, x, s) + answers.residual_shortcut(block, x, s)),
    Mistake("relu-before-add", "apply the last ReLU after adding the shortcut, not to F(x) alone: "
            "relu(F(x) + shortcut(x)).",
            lambda block, x, s: torch.relu(answers.residual_branch(block, x, s)) + answers.residual_shortcut(block, x, s)),
    Mistake("no-shortcut", "the shortcut is missing: add shortcut(x) (x itself, or its projection) before the last ReLU.",
            lambda block, x, s: torch.relu(answers.residual_branch(block, x, s))),
    Mistake("no-inner-relu", "a ReLU goes between the two convolutions: conv1 -> bn1 -> ReLU -> conv2 -> bn2.",
            lambda block, x, s: torch.relu(_no_inner_relu(block, x, s) + answers.residual_shortcut(block, x, s))),
)


def _no_inner_relu(block, x, s):
    h = answers._bn(block.bn1, F.conv2d(x, block.conv1.weight, None, s, 1))
    return answers._bn(block.bn2, F.conv2d(h, block.conv2.weight, None, 1, 1))


RES_FORBIDDEN = (answers.residual_block_forward, answers.ResidualBlock.__init__)


def _expect_conv(conv, what: str, name: str, c_in: int, c_out: int, k: int, stride: int, padding: int) -> None:
    if not isinstance(conv, nn.Conv2d):
        checks.fail(what, f"`{name}` should be an nn.Conv2d, it is {type(conv).__name__}.")
    want = {"weight shape": (c_out, c_in, k, k), "stride": (stride, stride), "padding": (padding, padding),
            "bias": None}
    got = {"weight shape": tuple(conv.weight.shape), "stride": tuple(conv.stride), "padding": tuple(conv.padding),
           "bias": None if conv.bias is None else "a bias"}
    for key in want:
        if got[key] != want[key]:
            hint = {"stride": ("the stride belongs to the first 3x3 convolution (and to the projection); the second one "
                               "has stride 1." if name == "conv2" or stride != 1 else "this convolution has stride 1."),
                    "bias": "BatchNorm follows every convolution and has its own shift: use bias=False.",
                    "padding": "3x3 convolutions use padding 1 (the size is kept at stride 1); the 1x1 projection "
                               "padding 0."}.get(key)
            checks.fail(what, f"`{name}` has {key} {got[key]}, expected {want[key]}.", hint)


def _randomise(block: nn.Module, seed: int) -> None:
    """Random weights, BatchNorm scales, shifts and running statistics (so no term can hide behind 0 or 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5)
        for m in block.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.3)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def check_residual_block(ResidualBlock, c_in: int, c_out: int, stride: int = 1, dtype=torch.float32,
                         seed: int = 0) -> None:
    """ResidualBlock(c_in, c_out, stride) has the stated layers (conv1, bn1, conv2, bn2, shortcut: the identity
    exactly when the shape is kept, else a strided 1x1 projection with BatchNorm), the closed-form parameter
    count, and computes relu(F(x) + shortcut(x)) in eval and in training mode; with F's last BatchNorm
    zeroed it returns relu(shortcut(x))."""
    what = f"ResidualBlock({c_in}, {c_out}, stride={stride})"
    block = checks.call(ResidualBlock, c_in, c_out, stride, what=what, forbidden=RES_FORBIDDEN)
    if not isinstance(block, nn.Module):
        checks.fail(what, f"expected an nn.Module, got {type(block).__name__}.", "subclass nn.Module.")
    missing = [n for n in ("conv1", "bn1", "conv2", "bn2", "shortcut") if not hasattr(block, n)]
    if missing:
        checks.fail(what, f"the block has no attribute {missing[0]}.", "name the layers as the statement says.")
    _expect_conv(block.conv1, what, "conv1", c_in, c_out, 3, stride, 1)
    _expect_conv(block.conv2, what, "conv2", c_out, c_out, 3, 1, 1)
    for name in ("bn1", "bn2"):
        bn = getattr(block, name)
        if not (isinstance(bn, nn.BatchNorm2d) and bn.num_features == c_out):
            checks.fail(what, f"`{name}` should be nn.BatchNorm2d({c_out}).")
    keeps = stride == 1 and c_in == c_out
    if keeps and not isinstance(block.shortcut, nn.Identity):
        checks.fail(what, f"the shortcut is {type(block.shortcut).__name__}, but input and output shapes match "
                    "here.", "use the identity (nn.Identity()) when stride == 1 and c_in == c_out: a projection "
                    "is only needed when the shape changes.")
    if not keeps:
        sc = block.shortcut
        if isinstance(sc, nn.Identity) or not (isinstance(sc, nn.Sequential) and len(sc) == 2):
            checks.fail(what, "the shapes differ here, so x cannot be added to F(x) as it is.",
                        "use a projection shortcut nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), "
                        "nn.BatchNorm2d(c_out)) when stride != 1 or c_in != c_out.")
        _expect_conv(sc[0], what, "shortcut[0]", c_in, c_out, 1, stride, 0)
        if not (isinstance(sc[1], nn.BatchNorm2d) and sc[1].num_features == c_out):
            checks.fail(what, f"`shortcut[1]` should be nn.BatchNorm2d({c_out}).")
    count = 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out + (0 if keeps else c_in * c_out + 2 * c_out)
    checks.expect_equal(sum(p.numel() for p in block.parameters()), count, what=f"{what}: its parameter count")
    _randomise(block, seed)
    block.to(dtype)
    x = torch.randn(4, c_in, 8, 7, generator=torch.Generator().manual_seed(seed + 1), dtype=dtype)
    tol = _tolerance(x)
    for mode in ("eval", "train"):
        block.train(mode == "train")
        out = checks.call(block, x.clone(), what=f"{what} in {mode} mode on x {tuple(x.shape)}")
        with torch.no_grad():
            expected = answers.residual_block_forward.__wrapped__(block, x, stride)
        checks.expect_close(out, expected, what=f"{what} in {mode} mode on x {tuple(x.shape)} ({_dtype(x)})",
                            mistakes=RES_MISTAKES, args=(block, x, stride), **tol)
    block.eval()
    with torch.no_grad():
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()
        out = checks.call(block, x.clone(), what=f"{what} with bn2's scale and shift set to 0")
        expected = torch.relu(answers.residual_shortcut(block, x, stride))
    checks.expect_close(out, expected, what=f"{what} with bn2's scale and shift set to 0 (F(x) = 0): relu(shortcut(x))",
                        **tol)
