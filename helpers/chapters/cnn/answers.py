"""Chapter 07 reference answers (convolutional networks).

While an exercise is graded its own answer here refuses to run (helpers.grading.guard); later
chapters may call them (``helpers.kernels``). Device-agnostic torch, no autograd.

Layout: images are ``(N, C, H, W)``; a convolution's weight is ``(C_out, C_in, k, k)`` (PyTorch's),
its bias ``(C_out,)``. "Convolution" means cross-correlation, as in ``F.conv2d``:

    out[n, o, i, j] = b[o] + sum_{c, u, v} w[o, c, u, v] * x_pad[n, c, i*s + u*d, j*s + v*d]
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from helpers.grading.guard import reference


# ---------------------------------------------------------------- sizes and counts

@reference
def conv_out_size(h: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output length of a convolution or pooling along one axis: floor((h + 2p - d(k - 1) - 1) / s) + 1.

    h: input length; k: kernel size; s: stride; p: zero padding on each side; d: dilation.
    A dilated kernel spans d(k - 1) + 1 input positions.
    """
    return (h + 2 * p - d * (k - 1) - 1) // s + 1


@reference
def conv_param_count(c_in: int, c_out: int, k: int, bias: bool = True) -> int:
    """Parameters of a k x k convolution from c_in to c_out channels: (k*k*c_in + 1) * c_out with
    one bias per output channel, k*k*c_in*c_out without."""
    return (k * k * c_in + int(bool(bias))) * c_out


# ---------------------------------------------------------------- forward passes

@reference
def conv2d_loops(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
                 padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """Cross-correlation as F.conv2d computes it, one output position at a time.

    x: (N, C, H, W); w: (O, C, k, k); b: (O,) or None -> (N, O, H_out, W_out), x's dtype.
    """
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    h_out, w_out = conv_out_size(h, k, stride, padding, dilation), conv_out_size(wd, k, stride, padding, dilation)
    xp = F.pad(x, (padding, padding, padding, padding))                 # (N, C, H + 2p, W + 2p)
    span = dilation * (k - 1) + 1
    out = x.new_zeros(n, o, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            r, c = i * stride, j * stride
            patch = xp[:, :, r:r + span:dilation, c:c + span:dilation]   # (N, C, k, k)
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, w)
    return out if b is None else out + b.view(1, o, 1, 1)


def _im2col(x: torch.Tensor, k: int, stride: int, padding: int, dilation: int) -> torch.Tensor:
    """Every receptive field of x as a column: (N, C, H, W) -> (N, C*k*k, L), L = H_out * W_out."""
    return F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)


@reference
def conv2d_im2col(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, stride: int = 1,
                  padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """The same cross-correlation as one matrix product over im2col columns.

    x: (N, C, H, W); w: (O, C, k, k); b: (O,) or None -> (N, O, H_out, W_out), x's dtype.
    """
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    cols = _im2col(x, k, stride, padding, dilation)                     # (N, C*k*k, L)
    out = w.reshape(o, -1) @ cols                                       # (O, C*k*k) @ (N, C*k*k, L) -> (N, O, L)
    if b is not None:
        out = out + b.view(1, o, 1)
    h_out, w_out = conv_out_size(h, k, stride, padding, dilation), conv_out_size(wd, k, stride, padding, dilation)
    return out.reshape(n, o, h_out, w_out)                              # (N, O, H_out, W_out)


# ---------------------------------------------------------------- the backward pass of a convolution

@reference
def conv2d_backward(x: torch.Tensor, w: torch.Tensor, grad_out: torch.Tensor, stride: int = 1,
                    padding: int = 0, dilation: int = 1):
    """(dL/dx, dL/dw, dL/db) for out = conv2d(x, w, b, stride, padding, dilation), without autograd.

    Every weight is used at every output position, so dw sums over positions and the batch;
    every input pixel feeds every output whose window covers it, so dx sums over those windows.
    x: (N, C, H, W); w: (O, C, k, k); grad_out: (N, O, H_out, W_out)
    -> dx (N, C, H, W), dw (O, C, k, k), db (O,).
    """
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    g = grad_out.reshape(n, o, -1)                                      # (N, O, L)
    cols = _im2col(x, k, stride, padding, dilation)                     # (N, C*k*k, L)
    dw = (g @ cols.transpose(1, 2)).sum(0).reshape(w.shape)             # (O, C*k*k) summed over N
    dcols = w.reshape(o, -1).T @ g                                      # (C*k*k, O) @ (N, O, L) -> (N, C*k*k, L)
    dx = F.fold(dcols, (h, wd), k, dilation=dilation, padding=padding, stride=stride)   # overlaps add up
    return dx, dw, grad_out.sum(dim=(0, 2, 3))


# ---------------------------------------------------------------- max pooling

def _windows(x: torch.Tensor, k: int, s: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, H_out, W_out, k*k): each pooling window's entries, row by row."""
    return x.unfold(2, k, s).unfold(3, k, s).flatten(-2)


@reference
def maxpool2d(x: torch.Tensor, k: int, s: int | None = None) -> torch.Tensor:
    """Max over each k x k window, stride s (default k), no padding. (N, C, H, W) -> (N, C, H_out, W_out)."""
    return _windows(x, k, k if s is None else s).amax(dim=-1)


@reference
def maxpool2d_backward(x: torch.Tensor, grad_out: torch.Tensor, k: int, s: int | None = None) -> torch.Tensor:
    """dL/dx for out = maxpool2d(x, k, s): each window's gradient goes to its maximum (the first
    one on ties), and a pixel that is the maximum of several overlapping windows gets their sum.
    x: (N, C, H, W); grad_out: (N, C, H_out, W_out) -> (N, C, H, W)."""
    s = k if s is None else s
    n, c, h, wd = x.shape
    h_out, w_out = grad_out.shape[-2:]
    arg = _windows(x, k, s).argmax(dim=-1)                              # (N, C, H_out, W_out), in [0, k*k)
    rows = torch.arange(h_out, device=x.device).view(-1, 1) * s + arg // k   # input row of each maximum
    cols = torch.arange(w_out, device=x.device).view(1, -1) * s + arg % k    # input column
    flat = (rows * wd + cols).reshape(n, c, -1)                         # (N, C, H_out * W_out)
    dx = x.new_zeros(n, c, h * wd)
    dx = dx.scatter_add(2, flat, grad_out.reshape(n, c, -1))            # overlapping windows add up
    return dx.reshape(n, c, h, wd)


# ---------------------------------------------------------------- receptive fields

@reference
def receptive_field(layers) -> tuple[int, int]:
    """Receptive field r and jump j (input pixels between neighbouring outputs) after a stack of
    convolutions and poolings, along one axis.

    layers: a sequence of (k, s) or (k, s, d) tuples (kernel, stride, dilation), input first.
    Recurrence from r = j = 1: r <- r + d (k - 1) j, then j <- j s. Returns (r, j) as ints.
    """
    r, j = 1, 1
    for layer in layers:
        k, s, d = (tuple(layer) + (1,))[:3]
        r = r + d * (k - 1) * j
        j = j * s
    return r, j


# ---------------------------------------------------------------- a ResNet basic block

def _bn(mod, z: torch.Tensor) -> torch.Tensor:
    """A BatchNorm2d module's computation, written out: batch statistics in training mode (its running
    statistics are not updated here), running statistics in eval mode."""
    if mod.training:
        return F.batch_norm(z, None, None, mod.weight, mod.bias, training=True, eps=mod.eps)
    return F.batch_norm(z, mod.running_mean, mod.running_var, mod.weight, mod.bias, training=False, eps=mod.eps)


def residual_branch(block, x: torch.Tensor, stride: int) -> torch.Tensor:
    """F(x) = bn2(conv2(relu(bn1(conv1(x))))) of a ResidualBlock, from its own parameters.
    x: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""
    h = torch.relu(_bn(block.bn1, F.conv2d(x, block.conv1.weight, None, stride, 1)))
    return _bn(block.bn2, F.conv2d(h, block.conv2.weight, None, 1, 1))


def residual_shortcut(block, x: torch.Tensor, stride: int) -> torch.Tensor:
    """The shortcut: x itself when the block keeps the shape, else bn(conv1x1(x)) with the block's stride."""
    if isinstance(block.shortcut, torch.nn.Identity):
        return x
    conv, bn = block.shortcut[0], block.shortcut[1]
    return _bn(bn, F.conv2d(x, conv.weight, None, stride, 0))


@reference
def residual_block_forward(block, x: torch.Tensor, stride: int) -> torch.Tensor:
    """relu(F(x) + shortcut(x)) for a ResidualBlock's parameters. x: (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""
    return torch.relu(residual_branch(block, x, stride) + residual_shortcut(block, x, stride))


class ResidualBlock(torch.nn.Module):
    """ResNet's basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3x3 convolutions without
    bias, conv1 strided; the shortcut is the identity when stride == 1 and c_in == c_out, else a strided 1x1
    convolution with BatchNorm. (N, c_in, H, W) -> (N, c_out, H_out, W_out). Its constructor is the guarded
    reference of the exercise."""

    @reference(student="ResidualBlock")
    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        nn = torch.nn
        self.stride = stride
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        keeps = stride == 1 and c_in == c_out
        self.shortcut = nn.Identity() if keeps else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                                                  nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))                 # (N, c_out, H_out, W_out)
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
