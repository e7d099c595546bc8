"""The reference kernels later chapters build on, re-exported from the chapter that teaches each.

Device-agnostic torch: each runs on whatever device its inputs live on. Graded code may call any
of them, except inside the exercise that asks for that very function (see helpers.grading.guard)::

    from helpers import kernels
    probs = kernels.softmax(logits, dim=-1)      # chapter 01
    out = kernels.linear_forward(x, W, b)        # chapter 03: x @ W.T + b

Each chapter that teaches a kernel adds it here.
"""
from helpers.chapters.backprop.answers import (linear_backward, linear_forward, relu_backward, sigmoid_backward,
                                               silu_backward, tanh_backward)
from helpers.chapters.foundations.answers import (cross_entropy, cross_entropy_from_logits, entropy, gaussian_nll,
                                                  kl_div, log_softmax, sigmoid, softmax)

__all__ = [
    # chapter 01: output layers and losses
    "sigmoid", "softmax", "log_softmax", "cross_entropy_from_logits", "entropy", "cross_entropy", "kl_div",
    "gaussian_nll",
    # chapter 03: layers and their backward passes
    "linear_forward", "linear_backward", "sigmoid_backward", "tanh_backward", "relu_backward", "silu_backward",
]
