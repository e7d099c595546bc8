"""Checks for chapter 01 (neurons, output layers and losses), with each exercise's catalogue of
known wrong answers. The test cells of the chapter choose the inputs; these functions decide.

Every ``check_*`` function raises helpers.grading.checks.CheckFailure with a message for the student, or
returns None.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from helpers.chapters.foundations import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

_LN2 = math.log(2.0)

# ---------------------------------------------------------------- what each exercise may not call

SIGMOID_LIBRARY = ("torch.sigmoid", "torch.Tensor.sigmoid", "torch.special.expit",
                   "torch.nn.functional.sigmoid", "torch.nn.functional.logsigmoid")
SOFTMAX_LIBRARY = ("torch.softmax", "torch.Tensor.softmax", "torch.nn.functional.softmax",
                   "torch.special.softmax", "torch.log_softmax", "torch.Tensor.log_softmax",
                   "torch.nn.functional.log_softmax", "torch.special.log_softmax")
CROSS_ENTROPY_LIBRARY = SOFTMAX_LIBRARY + ("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss",
                                           "torch.logsumexp", "torch.Tensor.logsumexp",
                                           "torch.special.logsumexp")
INFORMATION_LIBRARY = ("torch.nn.functional.kl_div", "torch.distributions.kl.kl_divergence",
                       "torch.distributions.kl_divergence")
GAUSSIAN_LIBRARY = ("torch.nn.functional.gaussian_nll_loss", "torch.distributions.Normal.log_prob",
                    "torch.distributions.normal.Normal.log_prob")

# ... and the course's own answers to the same exercise (reachable as helpers.kernels.*)
SIGMOID_FORBIDDEN = SIGMOID_LIBRARY + (answers.sigmoid,)
SOFTMAX_FORBIDDEN = SOFTMAX_LIBRARY + (answers.softmax, answers.log_softmax)
CROSS_ENTROPY_FORBIDDEN = CROSS_ENTROPY_LIBRARY + (answers.cross_entropy_from_logits, answers.softmax,
                                                   answers.log_softmax)
INFORMATION_FORBIDDEN = INFORMATION_LIBRARY + (answers.entropy, answers.kl_div, answers.cross_entropy)
GAUSSIAN_FORBIDDEN = GAUSSIAN_LIBRARY + (answers.gaussian_nll,)
PARAMETER_COUNT_FORBIDDEN = (answers.mlp_parameter_count,)
# the derivation exercises: no autograd, no ready-made loss to differentiate, not the course's answer
CE_GRAD_FORBIDDEN = checks.AUTOGRAD_LIBRARY + ("torch.nn.functional.cross_entropy", "torch.nn.functional.nll_loss",
                                               answers.softmax_cross_entropy_grad)
GAUSSIAN_GRAD_FORBIDDEN = checks.AUTOGRAD_LIBRARY + GAUSSIAN_LIBRARY + (answers.gaussian_nll_grad,)
SOFTMAX_REGRESSION_FORBIDDEN = (answers.softmax_regression,)


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-12, "rtol": 1e-10} if x.dtype == torch.float64 else {"atol": 1e-6, "rtol": 1e-5}


# ---------------------------------------------------------------- exercise 1: sigmoid

SIGMOID_MISTAKES = (
    Mistake("exp-ratio-overflow",
            "exp(x) / (1 + exp(x)) overflows: exp(x) is inf for x above about 88 in float32 and inf/inf is nan. "
            "Use 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0 (torch.where).",
            lambda x: torch.exp(x) / (1 + torch.exp(x))),
    Mistake("flipped-sign", "you computed sigma(-x): the exponent in 1 / (1 + exp(-x)) has a minus sign.",
            lambda x: 1 / (1 + torch.exp(x))),
)

SIGMOID_GRADIENT_HINT = ("an exp overflowed inside your function: the forward value can still look right (1 / (1 + inf) "
                         "is 0), but in the backward pass inf * 0 = nan leaks into the gradient. This happens with "
                         "1 / (1 + exp(-x)) at x = -1000, and with the branch of torch.where you do not select, which "
                         "is computed anyway. Only ever exponentiate -|x|.")


def check_sigmoid(stable_sigmoid, x: torch.Tensor) -> None:
    """stable_sigmoid(x) equals the logistic function, keeps x's shape and dtype, and never overflows."""
    what = f"stable_sigmoid on {checks.describe(x)}"
    out = checks.call(stable_sigmoid, x, what=what, forbidden=SIGMOID_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(x.shape), dtype=x.dtype)
    exact = 1.0 / (1.0 + torch.exp(-x.double()))           # float64 is exact enough here
    checks.expect_close(out, exact.to(x.dtype), what=what, mistakes=SIGMOID_MISTAKES, args=(x,), **_tolerance(x))
    check_sigmoid_gradient(stable_sigmoid, x)


def check_sigmoid_gradient(stable_sigmoid, x: torch.Tensor) -> None:
    """Autograd through stable_sigmoid gives the finite derivative sigma(x) (1 - sigma(x))."""
    what = f"the gradient of stable_sigmoid on {checks.describe(x)}"
    leaf = x.detach().clone().requires_grad_(True)
    out = checks.call(stable_sigmoid, leaf, what=what, forbidden=SIGMOID_FORBIDDEN)
    if not getattr(out, "requires_grad", False):
        checks.fail(what, "the result is not connected to the input's autograd graph.",
                    "stay in torch operations: no .item(), .numpy(), .detach() or torch.tensor(...) on the way.")
    out.sum().backward()
    s = 1.0 / (1.0 + torch.exp(-x.double()))
    checks.expect_finite(leaf.grad, what=what, hint=SIGMOID_GRADIENT_HINT)
    checks.expect_close(leaf.grad, (s * (1 - s)).to(x.dtype), what=what, mistakes=SIGMOID_GRADIENT_MISTAKES,
                        args=(x,), **_tolerance(x))


def _grad_of(fn):
    def grad(x):
        with torch.enable_grad():
            leaf = x.detach().clone().requires_grad_(True)
            fn(leaf).sum().backward()
        return leaf.grad
    return grad


SIGMOID_GRADIENT_MISTAKES = (
    Mistake("abs-at-zero", "x.abs() has gradient 0 at x = 0 in PyTorch, so the derivative of your sigmoid comes out 0 "
            "there instead of 1/4: compute -|x| as torch.where(x >= 0, -x, x).",
            _grad_of(lambda x: torch.where(x >= 0, 1 / (1 + torch.exp(-x.abs())),
                                           torch.exp(-x.abs()) / (1 + torch.exp(-x.abs()))))),
)


# ---------------------------------------------------------------- exercise 2: softmax

def _softmax_no_shift(z, dim=-1):
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_global_shift(z, dim=-1):
    e = torch.exp(z - z.max())
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_ignores_dim(z, dim=-1):
    e = torch.exp(z - z.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


def _softmax_no_keepdim(z, dim=-1):
    e = torch.exp(z - z.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim)


SOFTMAX_MISTAKES = (
    Mistake("no-max-subtraction",
            "your softmax overflows: exp(z) is inf for logits above about 88 (float32) and inf/inf is nan. "
            "Subtract each slice's maximum before exponentiating; softmax(z - c) = softmax(z).",
            _softmax_no_shift),
    Mistake("global-max",
            "you subtracted the maximum of the whole tensor: slices far below it underflow to 0/0. "
            "Subtract each slice's own maximum (z.amax(dim=dim, keepdim=True)).",
            _softmax_global_shift),
    Mistake("ignores-dim",
            "the result is normalized along the last dimension although dim says otherwise: use the dim argument "
            "in both the max and the sum.",
            _softmax_ignores_dim),
    Mistake("no-keepdim",
            "without keepdim=True the sums broadcast along the wrong axis: use e.sum(dim=dim, keepdim=True).",
            _softmax_no_keepdim),
)


def check_softmax(stable_softmax, z: torch.Tensor, dim: int = -1) -> None:
    """stable_softmax(z, dim) equals softmax along dim, is finite, and each slice sums to 1."""
    what = f"stable_softmax(z, dim={dim}) on {checks.describe(z)}"
    out = checks.call(stable_softmax, z, dim=dim, what=what, forbidden=SOFTMAX_FORBIDDEN)
    checks.expect_tensor(out, what=what, dtype=z.dtype)
    z64 = z.double()
    e = torch.exp(z64 - z64.amax(dim=dim, keepdim=True))
    exact = (e / e.sum(dim=dim, keepdim=True)).to(z.dtype)
    tol = _tolerance(z)
    checks.expect_close(out, exact, what=what, mistakes=SOFTMAX_MISTAKES, args=(z,), kwargs={"dim": dim}, **tol)


# ---------------------------------------------------------------- exercise 3: cross-entropy from logits

def _ce_sum(logits, target):
    return _ce_rows(logits, target).sum()


def _ce_rows(logits, target):
    z = logits - logits.amax(dim=1, keepdim=True)
    return -(z - z.exp().sum(dim=1, keepdim=True).log()).gather(1, target[:, None]).squeeze(1)


def _ce_log_of_softmax(logits, target):
    p = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    p = p / p.sum(dim=1, keepdim=True)
    return -torch.log(p).gather(1, target[:, None]).mean()


def _ce_unshifted(logits, target):
    lse = torch.log(torch.exp(logits).sum(dim=1))
    return (lse - logits.gather(1, target[:, None]).squeeze(1)).mean()


def _ce_all_classes(logits, target):
    z = logits - logits.amax(dim=1, keepdim=True)
    return -(z - z.exp().sum(dim=1, keepdim=True).log()).mean()


CROSS_ENTROPY_MISTAKES = (
    Mistake("sum-not-mean", "you summed the per-example losses; the loss is their mean (divide by N).", _ce_sum),
    Mistake("no-reduction", "you returned one loss per example; return their mean, a single number.", _ce_rows),
    Mistake("log-of-softmax",
            "the loss is infinite for large logits: either softmax underflowed to exactly 0 before the log "
            "(log(0) = -inf), or exp(z) overflowed inside log(sum(exp(z))). Compute log-softmax directly as "
            "(z - m) - log(sum(exp(z - m))) with m the row maximum.",
            _ce_log_of_softmax),
    Mistake("unshifted-logsumexp",
            "log(sum(exp(z))) overflows for large logits: subtract the row maximum m first and add it back, "
            "logsumexp(z) = m + log(sum(exp(z - m))).",
            _ce_unshifted),
    Mistake("all-classes", "you averaged -log p over every class; only the log-probability of the target class counts "
            "(use logp.gather(1, target[:, None]) or logp[torch.arange(N), target]).", _ce_all_classes),
    Mistake("flipped-sign", "the sign is flipped: the loss is the *negative* log-likelihood.",
            lambda logits, target: -_ce_rows(logits, target).mean()),
)


def check_cross_entropy(cross_entropy_from_logits, logits: torch.Tensor, target: torch.Tensor) -> None:
    """cross_entropy_from_logits(logits, target) is the mean NLL, a finite 0-d tensor, for any logit scale."""
    what = f"cross_entropy_from_logits on logits that are {checks.describe(logits)}"
    out = checks.call(cross_entropy_from_logits, logits, target, what=what, forbidden=CROSS_ENTROPY_FORBIDDEN)
    checks.expect_tensor(out, what=what)
    exact = _ce_rows(logits.double(), target).mean().to(logits.dtype)
    checks.expect_close(out, exact, what=what, mistakes=CROSS_ENTROPY_MISTAKES, args=(logits, target),
                        **_tolerance(logits))


# ---------------------------------------------------------------- exercise 4: gradient of cross-entropy (derived)

def _probs(logits):
    e = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    return e / e.sum(dim=1, keepdim=True)


def _onehot(logits, target):
    return torch.zeros_like(logits).scatter(1, target[:, None], 1.0)


def _ce_grad(logits, target):
    return (_probs(logits) - _onehot(logits, target)) / logits.shape[0]


CE_GRAD_MISTAKES = (
    Mistake("missing-1/N", "your gradient is N times too large: the loss is the *mean* over the N examples, so "
            "each row of the gradient carries a factor 1/N.",
            lambda z, t: _probs(z) - _onehot(z, t)),
    Mistake("flipped-sign", "the sign is flipped: that is the gradient of the log-likelihood, not of the loss "
            "(raising the true class's logit must lower the loss, so that entry of the gradient is negative).",
            lambda z, t: (_onehot(z, t) - _probs(z)) / z.shape[0]),
    Mistake("no-onehot", "a term is missing: you differentiated only the log-sum-exp part; the -z_y term "
            "adds -1 to the true class's entry.", lambda z, t: _probs(z) / z.shape[0]),
    Mistake("true-class-only", "only the true class's entry is non-zero: the log-sum-exp term depends on every "
            "logit, so every entry j gets softmax(z)_j (the off-diagonal terms of the softmax Jacobian).",
            lambda z, t: _onehot(z, t) * (_probs(z) - 1) / z.shape[0]),
    Mistake("wrt-probabilities", "that is the derivative with respect to the probabilities (-onehot / p), not the "
            "logits: apply the chain rule through softmax, or differentiate -z_y + log sum_j exp(z_j) directly.",
            lambda z, t: -_onehot(z, t) / _probs(z) / z.shape[0]),
    Mistake("divided-by-K", "you divided by the number of classes K; the mean is over the N examples.",
            lambda z, t: (_probs(z) - _onehot(z, t)) / z.shape[1]),
    Mistake("divided-by-NK", "you divided by N * K: the loss averages over examples, and sums over classes inside "
            "log-sum-exp, so divide by N only.", lambda z, t: (_probs(z) - _onehot(z, t)) / z.numel()),
    Mistake("transposed", "the result is transposed: return shape (N, K), like the logits.",
            lambda z, t: _ce_grad(z, t).T),
    Mistake("unstable-softmax", "the gradient is not finite for large logits: your softmax overflows. Subtract each "
            "row's maximum before exponentiating (exercise 2).",
            lambda z, t: (torch.exp(z) / torch.exp(z).sum(1, keepdim=True) - _onehot(z, t)) / z.shape[0]),
)


def check_cross_entropy_grad(cross_entropy_grad, logits: torch.Tensor, target: torch.Tensor) -> None:
    """cross_entropy_grad(logits, target) is d(mean cross-entropy)/d(logits), (N, K), finite, in logits' dtype."""
    what = f"cross_entropy_grad on logits that are {checks.describe(logits)}"
    out = checks.call(cross_entropy_grad, logits, target, what=what, forbidden=CE_GRAD_FORBIDDEN)
    exact = _ce_grad(logits.double(), target).to(logits.dtype)
    checks.expect_tensor(out, what=what, dtype=logits.dtype)
    checks.expect_close(out, exact, what=what, mistakes=CE_GRAD_MISTAKES, args=(logits, target),
                        **_tolerance(logits))


# ---------------------------------------------------------------- exercise 5: entropy, KL, cross-entropy

def _plogq(p, q, log=torch.log):
    return torch.where(p == 0, torch.zeros_like(p), p * log(q))


ENTROPY_MISTAKES = (
    Mistake("log2", "you used log base 2 (bits); the course and PyTorch measure information in nats (natural log).",
            lambda p: -(p * torch.log2(p)).nan_to_num(0.0).sum(-1)),
    Mistake("zero-log-zero", "0 · log 0 gave nan: by convention (the limit of p log p as p -> 0) it counts as 0. "
            "Use torch.where(p > 0, ...) or torch.xlogy.", lambda p: -(p * torch.log(p)).sum(-1)),
    Mistake("flipped-sign", "the sign is flipped: H(p) = -sum p log p is never negative.",
            lambda p: _plogq(p, p).sum(-1)),
)
KL_MISTAKES = (
    Mistake("reversed", "you computed KL(q || p): KL is not symmetric, the expectation is under the first argument p.",
            lambda p, q: (_plogq(q, q) - _plogq(q, p)).sum(-1)),
    Mistake("log2", "you used log base 2 (bits); use natural logs (nats).",
            lambda p, q: (_plogq(p, p, torch.log2) - _plogq(p, q, torch.log2)).sum(-1)),
    Mistake("zero-log-zero", "terms with p_i = 0 gave nan: they contribute 0 to KL(p || q).",
            lambda p, q: (p * torch.log(p / q)).sum(-1)),
)
CROSS_ENTROPY_PQ_MISTAKES = (
    Mistake("reversed", "you computed H(q, p): the expectation is under p, the log is of q.",
            lambda p, q: -_plogq(q, p).sum(-1)),
    Mistake("log2", "you used log base 2 (bits); use natural logs (nats).",
            lambda p, q: -_plogq(p, q, torch.log2).sum(-1)),
    Mistake("zero-log-zero", "terms with p_i = 0 gave nan: they contribute 0.", lambda p, q: -(p * torch.log(q)).sum(-1)),
    Mistake("entropy-of-q", "you returned the entropy of q; the cross-entropy weights log q by p.",
            lambda p, q: -_plogq(q, q).sum(-1)),
)


def check_information(entropy, kl_div, cross_entropy, p: torch.Tensor, q: torch.Tensor) -> None:
    """entropy(p), kl_div(p, q) and cross_entropy(p, q) over the last axis, in nats, with 0 log 0 = 0."""
    tol = _tolerance(p)
    batch = tuple(p.shape[:-1])
    p64, q64 = p.double(), q.double()
    h = -_plogq(p64, p64).sum(-1)
    kl = (_plogq(p64, p64) - _plogq(p64, q64)).sum(-1)
    ce = -_plogq(p64, q64).sum(-1)
    cases = (
        ("entropy(p)", entropy, (p,), h, ENTROPY_MISTAKES),
        ("kl_div(p, q)", kl_div, (p, q), kl, KL_MISTAKES),
        ("cross_entropy(p, q)", cross_entropy, (p, q), ce, CROSS_ENTROPY_PQ_MISTAKES),
    )
    for name, fn, args, exact, mistakes in cases:
        what = f"{name} for p of shape {tuple(p.shape)}" + (" (some p_i = 0)" if bool((p == 0).any()) else "")
        out = checks.call(fn, *args, what=what, forbidden=INFORMATION_FORBIDDEN)
        checks.expect_tensor(out, what=what, shape=batch)
        checks.expect_close(out, exact.to(p.dtype), what=what, mistakes=mistakes, args=args, **tol)


# ---------------------------------------------------------------- exercise 6: Gaussian NLL gradients (derived)

def _r(y, mu):
    return y - mu


GAUSSIAN_DMU_MISTAKES = (
    Mistake("swapped-order", "your first result is the derivative with respect to sigma: return the pair in the "
            "order (d/dmu, d/dsigma).", lambda y, mu, s: 1 / s - _r(y, mu) ** 2 / s ** 3),
    Mistake("dmu-sign", "d/dmu has the wrong sign: differentiating (y - mu)^2 with respect to mu gives "
            "-2 (y - mu) (the chain rule through -mu), so d/dmu = (mu - y) / sigma^2.",
            lambda y, mu, s: _r(y, mu) / s ** 2),
    Mistake("dmu-no-sigma", "d/dmu lacks the 1/sigma^2: the squared error is divided by 2 sigma^2 in the NLL.",
            lambda y, mu, s: -_r(y, mu)),
    Mistake("dmu-sigma-not-squared", "d/dmu is divided by sigma instead of sigma^2.",
            lambda y, mu, s: -_r(y, mu) / s),
    Mistake("dmu-factor-2", "d/dmu is twice too large: the 2 from the power rule cancels the 1/2 of (y - mu)^2 / 2.",
            lambda y, mu, s: -2 * _r(y, mu) / s ** 2),
)
GAUSSIAN_DSIGMA_MISTAKES = (
    Mistake("swapped-order", "your second result is the derivative with respect to mu: return the pair in the "
            "order (d/dmu, d/dsigma).", lambda y, mu, s: -_r(y, mu) / s ** 2),
    Mistake("no-log-term", "d/dsigma misses the 1/sigma that comes from the log(sigma) term of the NLL.",
            lambda y, mu, s: -_r(y, mu) ** 2 / s ** 3),
    Mistake("square-term-sign", "the squared-error part of d/dsigma has the wrong sign: d/dsigma of "
            "r^2 / (2 sigma^2) is -r^2 / sigma^3 (sigma^-2 differentiates to -2 sigma^-3).",
            lambda y, mu, s: 1 / s + _r(y, mu) ** 2 / s ** 3),
    Mistake("power-rule", "the squared-error part of d/dsigma is half what it should be: d/dsigma of sigma^-2 is "
            "-2 sigma^-3, and the 2 cancels the 1/2, giving -r^2 / sigma^3.",
            lambda y, mu, s: 1 / s - _r(y, mu) ** 2 / (2 * s ** 3)),
    Mistake("variance-derivative", "that is the derivative with respect to the variance sigma^2, not the standard "
            "deviation sigma: differentiate with respect to sigma itself.",
            lambda y, mu, s: 1 / (2 * s ** 2) - _r(y, mu) ** 2 / (2 * s ** 4)),
    Mistake("log-likelihood", "d/dsigma has the sign of the log-likelihood's derivative; the NLL is its negative.",
            lambda y, mu, s: -(1 / s - _r(y, mu) ** 2 / s ** 3)),
)


def check_gaussian_nll_grad(gaussian_nll_grad, y: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> None:
    """gaussian_nll_grad(y, mu, sigma) returns (d/dmu, d/dsigma) of -log N(y; mu, sigma^2), element-wise."""
    what = f"gaussian_nll_grad for y, mu, sigma of shape {tuple(y.shape)} ({str(y.dtype).replace('torch.', '')})"
    out = checks.call(gaussian_nll_grad, y, mu, sigma, what=what, forbidden=GAUSSIAN_GRAD_FORBIDDEN)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        checks.fail(what, f"expected a pair (d/dmu, d/dsigma), got {checks.fmt(out)}.",
                    "return both partial derivatives: `return dmu, dsigma`.")
    y64, mu64, s64 = y.double(), mu.double(), sigma.double()
    r = y64 - mu64
    exact = ((-r / s64 ** 2).to(y.dtype), (1 / s64 - r ** 2 / s64 ** 3).to(y.dtype))
    args = (y, mu, sigma)
    for name, got, want, mistakes in (("d/dmu", out[0], exact[0], GAUSSIAN_DMU_MISTAKES),
                                      ("d/dsigma", out[1], exact[1], GAUSSIAN_DSIGMA_MISTAKES)):
        part = f"{what}, {name}"
        checks.expect_tensor(got, what=part, shape=tuple(y.shape), dtype=y.dtype)
        checks.expect_close(got, want, what=part, mistakes=mistakes, args=args, **_tolerance(y))


# ---------------------------------------------------------------- exercise 7: counting parameters (derived)

PARAMETER_MISTAKES = (
    Mistake("no-biases", "you counted only the weights; every non-input neuron also has a bias.",
            lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))),
    Mistake("input-biases", "the input layer has no biases: only neurons that compute something have one.",
            lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)),
    Mistake("weights-per-layer", "a fully connected layer has n_in * n_out weights (one per connection), "
            "not n_in + n_out.", lambda sizes: sum(a + b + b for a, b in zip(sizes[:-1], sizes[1:]))),
    Mistake("neurons", "you counted neurons; the parameters are the connections (weights) and the biases.",
            lambda sizes: sum(sizes)),
    Mistake("input-layer-only-biases", "the biases belong to the layer a weight matrix feeds, n_out per layer, "
            "not n_in: the input layer has none, the output layer has one per output.",
            lambda sizes: sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:]))),
    Mistake("first-layer-only", "you counted only the first layer: add the weights and biases of every layer.",
            lambda sizes: sizes[0] * sizes[1] + sizes[1]),
)


def check_parameter_count(mlp_parameter_count, layer_sizes: list[int]) -> None:
    """mlp_parameter_count(layer_sizes) counts the weights and biases of a fully connected net exactly."""
    what = f"mlp_parameter_count({layer_sizes})"
    out = checks.call(mlp_parameter_count, list(layer_sizes), what=what, forbidden=PARAMETER_COUNT_FORBIDDEN)
    expected = sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    checks.expect_equal(checks.as_int(out), expected, what=what, mistakes=PARAMETER_MISTAKES, args=(list(layer_sizes),))


# ---------------------------------------------------------------- exercise 8: softmax regression

def check_softmax_regression_model(model_cls, n_inputs: int | None = None, n_classes: int | None = None,
                                   image_shape=(1, 28, 28)) -> nn.Module:
    """model_cls(n_inputs, n_classes) (or model_cls() with the defaults 784 and 10 when both are None) is an
    nn.Module with one affine map (n_inputs * n_classes + n_classes parameters) that maps (N, *image_shape)
    inputs to (N, n_classes) logits, not probabilities. Returns the fresh instance."""
    custom = n_inputs is not None or n_classes is not None
    n_inputs = math.prod(image_shape) if n_inputs is None else n_inputs
    n_classes = 10 if n_classes is None else n_classes
    what = f"SoftmaxRegression(n_inputs={n_inputs}, n_classes={n_classes})" if custom else "SoftmaxRegression()"
    kwargs = {"n_inputs": n_inputs, "n_classes": n_classes} if custom else {}
    model = checks.call(model_cls, what=what, forbidden=SOFTMAX_REGRESSION_FORBIDDEN, **kwargs)
    if not isinstance(model, nn.Module):
        checks.fail(what, f"expected an nn.Module, got {type(model).__name__}.",
                     "subclass nn.Module and call super().__init__() first.")
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != n_inputs * n_classes + n_classes:
        hints = {n_inputs * n_classes: "the bias is missing (nn.Linear(..., bias=True) is the default).",
                 784 * 10 + 10: "you built nn.Linear(784, 10) whatever the arguments: use n_inputs and n_classes."}
        checks.fail(what, f"expected {n_inputs * n_classes + n_classes} parameters (one {n_inputs}->{n_classes} "
                     f"affine map), found {n_params}.", hints.get(n_params) or
                     "use a single nn.Linear layer on the flattened image.")
    x = torch.rand(5, *image_shape, generator=torch.Generator().manual_seed(0))
    logits = checks.call(model, x, what=f"{what}(x) for x of shape {tuple(x.shape)}",
                         forbidden=SOFTMAX_REGRESSION_FORBIDDEN)
    checks.expect_tensor(logits, what=f"{what}(x)", shape=(5, n_classes))
    out = logits.detach().double()
    if bool(((out >= 0) & (out <= 1)).all()) and float((out.sum(dim=1) - 1).abs().max()) < 1e-5:
        checks.fail(f"{what}(x)", "the outputs are probabilities (each row sums to 1): softmax was applied.",
                     "return the logits z = Wx + b, without softmax; the loss applies (log-)softmax itself.")
    if bool((out <= 0).all()) and float(out.exp().sum(dim=1).sub(1).abs().max()) < 1e-5:
        checks.fail(f"{what}(x)", "the outputs are log-probabilities (exp of each row sums to 1): log_softmax "
                     "was applied.", "return the logits z = Wx + b, without log_softmax; the loss applies it.")
    return model


def check_accuracy(accuracy: float, minimum: float, what: str) -> None:
    """A trained model's test accuracy reaches ``minimum``."""
    if not isinstance(accuracy, float) or not 0.0 <= accuracy <= 1.0:
        checks.fail(what, f"accuracy must be a float in [0, 1], got {checks.fmt(accuracy)}.")
    if accuracy < minimum:
        checks.fail(what, f"test accuracy {accuracy:.3f} is below {minimum:.2f}.",
                     "check that forward flattens each image to 784 values and returns logits; "
                     "a model that predicts one class for everything scores 0.10.")
