"""Checks for chapter 06 (making deep networks train), with each exercise's catalogue of known
mistakes. The test cells choose the inputs; these functions decide.

Oracles are torch's own: nn.init.calculate_gain, nn.BatchNorm1d, autograd through F.batch_norm,
F.layer_norm, nn.utils.clip_grad_norm_, all run outside the student's code in float64 where it
matters. Every ``check_*`` raises helpers.grading.checks.CheckFailure or returns None.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from helpers.chapters.deep_nets import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake
from helpers.runtime import cpu_threads

# Bound at import time: a submission that rebinds them, or the blocking during a student's call,
# does not touch the oracles.
_grad = torch.autograd.grad
_batch_norm = torch.nn.functional.batch_norm
_layer_norm = torch.nn.functional.layer_norm
_clip = torch.nn.utils.clip_grad_norm_
_gain = torch.nn.init.calculate_gain
_BatchNorm1d = nn.BatchNorm1d
_float64 = torch.float64

INIT_FORBIDDEN = ("torch.nn.init.calculate_gain", "torch.nn.init.kaiming_normal_", "torch.nn.init.kaiming_uniform_",
                  answers.keeping_std)
BN_LIBRARY = ("torch.nn.functional.batch_norm", "torch.batch_norm", "torch.nn.BatchNorm1d.forward",
              "torch.nn.modules.batchnorm._BatchNorm.forward", "torch.nn.functional.instance_norm")
BN_FORWARD_FORBIDDEN = BN_LIBRARY + (answers.batchnorm_forward,)
BN_BACKWARD_FORBIDDEN = checks.AUTOGRAD_LIBRARY + BN_LIBRARY + (answers.batchnorm_backward,)
LN_FORBIDDEN = ("torch.nn.functional.layer_norm", "torch.layer_norm", "torch.nn.LayerNorm.forward",
                "torch.nn.functional.group_norm", "torch.nn.functional.rms_norm", answers.layer_norm)
CLIP_FORBIDDEN = ("torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad.clip_grad_norm_",
                  "torch.nn.utils.clip_grad_value_", "torch.nn.utils.get_total_norm",
                  "torch.nn.utils.clip_grads_with_norm_", answers.clip_grad_norm)
RESIDUAL_FORBIDDEN = (answers.ResidualBlock.forward,)


def _tol(x: torch.Tensor) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-5, "rtol": 1e-4}


def _dtype(x: torch.Tensor) -> str:
    return str(x.dtype).replace("torch.", "")


def _expect_with_probe(expect, probe, tight=None) -> None:
    """Run ``expect()``; when it fails, first ask ``tight()`` (see _tight_match) for a catalogued mistake
    too close to the right answer for the generic diagnosis, whose hint then replaces any other; else,
    when the failure names no likely mistake, ask ``probe()`` (a function that returns a hint or None)
    for one and add it to the message."""
    try:
        expect()
    except checks.CheckFailure as err:
        try:
            close_hint = tight() if tight else None
        except Exception:                       # a probe must never turn a failure into a crash
            close_hint = None
        if close_hint:
            head = str(err).split("\n  Likely mistake:")[0]
            raise checks.CheckFailure(f"{head}\n  Likely mistake: {close_hint}") from None
        if "Likely mistake:" in str(err):
            raise
        try:
            hint = probe()
        except Exception:                       # a probe must never turn a failure into a crash
            hint = None
        if not hint:
            raise
        raise checks.CheckFailure(f"{err}\n  Likely mistake: {hint}") from None


def _allclose(a, b, rel: float = 1e-6) -> bool:
    a, b = torch.as_tensor(a).double(), torch.as_tensor(b).double()
    return a.shape == b.shape and bool(((a - b).abs() <= rel * (1 + b.abs())).all())


def _tight_match(actual, expected, mistakes, args=()) -> str | None:
    """For a float64 result: the hint of a catalogued mistake that ``actual`` equals to 1e-12 while the right
    answer does not. Such a mistake (a missing eps or 1e-6) can differ from the right answer by less than the
    generic diagnosis can tell apart, which would otherwise call it float32 rounding."""
    if not (torch.is_tensor(actual) and actual.dtype == _float64):
        return None
    for mistake in mistakes:
        try:
            with torch.no_grad():
                wrong = mistake.variant(*args)
        except Exception:
            continue
        if torch.is_tensor(wrong) and _allclose(actual, wrong, 1e-12) and not _allclose(expected, wrong, 1e-12):
            return mistake.hint
    return None


# ---------------------------------------------------------------- exercise 1: an init that keeps the signal

def _std(fan_in, s, *, var_factor=None, std_only=False):
    return math.sqrt(var_factor(s) / fan_in) if not std_only else var_factor(s) / fan_in


KEEPING_MISTAKES = (
    Mistake("lecun", "that is LeCun's sqrt(1/fan_in), right for s = 1 only: for s < 1 the leaky ReLU keeps only part "
            "of E[z^2]; split E[a^2] into z > 0 and z <= 0 and make the variance up for it.",
            lambda n, s: math.sqrt(1 / n)),
    Mistake("slope-ignored", "that is He's sqrt(2/fan_in), which assumes s = 0: with slope s the negative half of z "
            "also contributes s^2 E[z^2; z<=0] to E[a^2].", lambda n, s: math.sqrt(2 / n)),
    Mistake("variance-not-std", "you returned the variance: the std is its square root.",
            lambda n, s: 2 / ((1 + s * s) * n)),
    Mistake("slope-not-squared", "the negative part contributes s^2 E[z^2 ; z < 0] (the slope is squared in a^2), "
            "not s E[z^2 ; z < 0].", lambda n, s: math.sqrt(2 / ((1 + s) * n))),
    Mistake("std-doubled", "the factor 2 multiplies the *variance*, i.e. sqrt(2) the std; you doubled the std.",
            lambda n, s: 2 * math.sqrt(1 / ((1 + s * s) * n))),
    Mistake("no-sqrt-fan-in", "the std scales as 1/sqrt(fan_in) (the variance as 1/fan_in), not as 1/fan_in.",
            lambda n, s: math.sqrt(2 / (1 + s * s)) / n),
    Mistake("variance-of-a", "E[a^2], not Var(a): after a rectifier a has a non-zero mean, and Var(z) = n σ_W^2 E[a^2].",
            lambda n, s: math.sqrt(1 / (n * ((1 + s * s) / 2 - (1 - s) ** 2 / (2 * math.pi))))),
)


def _as_number(value, what: str) -> float:
    if torch.is_tensor(value):
        if value.numel() != 1:
            checks.fail(what, f"expected one number, got a tensor of shape {tuple(value.shape)}.",
                        "return a Python float (e.g. math.sqrt(...)).")
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    checks.fail(what, f"expected a number, got {type(value).__name__} {checks.fmt(value)}.", "return a Python float.")


def check_keeping_std(keeping_std, cases) -> None:
    """keeping_std(fan_in, negative_slope) = sqrt(2 / ((1 + s^2) fan_in)) for each (fan_in, s) of ``cases``,
    the gain torch.nn.init.calculate_gain("leaky_relu", s) over sqrt(fan_in)."""
    for fan_in, s in cases:
        what = f"keeping_std(fan_in={fan_in}, negative_slope={s})"
        out = _as_number(checks.call(keeping_std, fan_in, s, what=what, forbidden=INIT_FORBIDDEN), what)
        expected = _gain("leaky_relu", s) / math.sqrt(fan_in)
        _expect_with_probe(
            lambda: checks.expect_close(torch.tensor(out, dtype=_float64), torch.tensor(expected, dtype=_float64),
                                        what=what, args=(fan_in, s), atol=1e-12, rtol=1e-9,
                                        mistakes=tuple(Mistake(m.name, m.hint, lambda n, s, _v=m.variant:
                                                               torch.tensor(_v(n, s), dtype=_float64))
                                                       for m in KEEPING_MISTAKES)),
            lambda: (f"your value is {out / expected:.4g} times the right one, so E[z^2] changes by "
                     f"{(out / expected) ** 2:.4g} per layer, {(out / expected) ** 58:.3g} over 30 layers: "
                     "return the exact value (no rounding, no approximate constants).")
            if abs(out / expected - 1) < 0.1 else None)


def signal_ratio(std: float, negative_slope: float, depth: int = 30, width: int = 256, n: int = 256,
                 seed: int = 0) -> float:
    """E[z^2] at the last of ``depth`` bias-free leaky-ReLU layers over E[z^2] at the first, weights
    N(0, std^2), standard-normal inputs, in float64 (on one thread: small products, a shared CPU)."""
    with cpu_threads(1):
        return _signal_ratio(std, negative_slope, depth, width, n, seed)


def _signal_ratio(std, negative_slope, depth, width, n, seed) -> float:
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, width, dtype=_float64, generator=g) @ (
        torch.randn(width, width, dtype=_float64, generator=g) * std).T
    first = float((z ** 2).mean())
    for _ in range(depth - 1):
        a = torch.where(z > 0, z, negative_slope * z)
        z = a @ (torch.randn(width, width, dtype=_float64, generator=g) * std).T
    return float((z ** 2).mean()) / first


def check_keeping_signal(keeping_std, negative_slope: float, depth: int = 30, width: int = 256) -> None:
    """With keeping_std's std, a ``depth``-layer leaky-ReLU stack keeps E[z^2] within a factor 2."""
    what = f"{depth} leaky-ReLU layers (slope {negative_slope}, width {width}) initialized with keeping_std"
    std = _as_number(checks.call(keeping_std, width, negative_slope, what=what, forbidden=INIT_FORBIDDEN), what)
    ratio = signal_ratio(std, negative_slope, depth, width)
    if not 0.5 <= ratio <= 2.0:
        trend = "vanishes" if ratio < 0.5 else "explodes"
        checks.fail(what, f"E[z^2] at layer {depth} is {ratio:.3g} times that at layer 1: the signal {trend}.",
                    f"each layer multiplies E[z^2] by fan_in * std^2 * E[a^2]/E[z^2]; with your std "
                    f"fan_in * std^2 = {width * std * std:.3g}.")


# ---------------------------------------------------------------- exercise 2: BatchNorm forward, train and eval

def _bn_variant(x, gamma, beta, rm, rv, training, momentum, eps, *, norm_unbiased=False, running_biased=False,
                keras=False, eps_outside=False, eval_batch=False, eval_updates=False, train_running=False,
                no_eps=False, eval_biased=False):
    """The BatchNorm forward with optional, catalogued mistakes (float64 inputs as given)."""
    n = x.shape[0]
    bmean, bvar = x.mean(0), x.var(0, correction=0)
    ub = bvar * n / (n - 1) if n > 1 else bvar
    upd = (lambda r, b: momentum * r + (1 - momentum) * b) if keras else (lambda r, b: (1 - momentum) * r + momentum * b)
    if training:
        mean, var = (rm, rv) if train_running else (bmean, ub if norm_unbiased else bvar)
        new = (upd(rm, bmean), upd(rv, bvar if running_biased else ub))
    else:
        mean, var = (bmean, bvar) if eval_batch else (rm, rv * (n - 1) / n if eval_biased else rv)
        new = (upd(rm, bmean), upd(rv, ub)) if eval_updates else (rm, rv)
    y = (x - mean) / (torch.sqrt(var) if no_eps else torch.sqrt(var) + eps if eps_outside
                      else torch.sqrt(var + eps)) * gamma + beta
    return y, new[0], new[1]


_BN_ROWS = (
    ("normalized-with-unbiased", "training normalizes with the *biased* batch variance (divide by N); the unbiased one "
     "(N - 1) is only for the running estimate.", {"norm_unbiased": True}, (0,)),
    ("running-in-training", "in training mode the batch's own mean and variance normalize; the running statistics are "
     "for evaluation.", {"train_running": True}, (0,)),
    ("eps-outside-sqrt", "eps goes inside the square root: (x - mean) / sqrt(var + eps).", {"eps_outside": True}, (0,)),
    ("no-eps", "eps goes inside the square root: (x - mean) / sqrt(var + eps).", {"no_eps": True}, (0,)),
    ("eval-biased", "evaluation normalizes with running_var exactly as stored; the unbiased correction happened when "
     "it was updated.", {"eval_biased": True}, (0,)),
    ("batch-stats-in-eval", "in evaluation mode normalize with the running statistics, not the batch's: a prediction "
     "must not depend on the other examples of the batch.", {"eval_batch": True}, (0,)),
    ("keras-momentum", "that is the Keras convention, running <- m * running + (1 - m) * batch. PyTorch's momentum "
     "weighs the *new* batch: running <- (1 - m) * running + m * batch (m = 0.1).", {"keras": True}, (1, 2)),
    ("running-var-biased", "PyTorch's running variance tracks the *unbiased* batch variance (times N / (N - 1)), "
     "while the normalization itself uses the biased one.", {"running_biased": True}, (2,)),
    ("eval-updates-running", "evaluation mode leaves the running statistics as they are.", {"eval_updates": True}, (1, 2)),
)


def _bn_mistakes(part: int) -> tuple[Mistake, ...]:
    return tuple(Mistake(name, hint, lambda *a, _o=opts: _bn_variant(*a, **_o)[part])
                 for name, hint, opts, parts in _BN_ROWS if part in parts)


def _torch_bn(x, gamma, beta, rm, rv, training, momentum, eps):
    """nn.BatchNorm1d's output and new buffers, in float64, returned in x's dtype."""
    bn = _BatchNorm1d(x.shape[1], eps=eps, momentum=momentum).to(_float64)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
        bn.running_mean.copy_(rm)
        bn.running_var.copy_(rv)
        bn.train(training)
        y = bn(x.to(_float64))
    return tuple(t.detach().to(x.dtype) for t in (y, bn.running_mean, bn.running_var))


def check_batchnorm_forward(batchnorm_forward, batches: list[torch.Tensor], gamma: torch.Tensor, beta: torch.Tensor,
                            eval_x: torch.Tensor, momentum: float | None = None, eps: float | None = None) -> None:
    """batchnorm_forward equals nn.BatchNorm1d over ``batches`` in training mode (outputs and running
    statistics, starting from mean 0 and variance 1), then on ``eval_x`` in evaluation mode. With
    momentum / eps None the function's own defaults are used (they must be 0.1 and 1e-5)."""
    D = gamma.shape[0]
    rm, rv = torch.zeros(D, dtype=gamma.dtype), torch.ones(D, dtype=gamma.dtype)
    kw = {k: v for k, v in (("momentum", momentum), ("eps", eps)) if v is not None}
    m, e = momentum if momentum is not None else 0.1, eps if eps is not None else 1e-5
    labels = ("the output y", "the new running_mean", "the new running_var")
    steps = [(x, True) for x in batches] + [(eval_x, False)]
    for i, (x, training) in enumerate(steps):
        mode = "training" if training else "evaluation"
        what = (f"batchnorm_forward in {mode} mode, call {i + 1}, x {tuple(x.shape)} {_dtype(x)}"
                + (f", momentum={momentum}" if momentum is not None else "") + (f", eps={eps}" if eps is not None else ""))
        out = checks.call(batchnorm_forward, x.clone(), gamma.clone(), beta.clone(), rm.clone(), rv.clone(), training,
                          what=what, forbidden=BN_FORWARD_FORBIDDEN, **kw)
        if not (isinstance(out, tuple) and len(out) == 3):
            checks.fail(what, f"expected a tuple (y, running_mean, running_var), got {type(out).__name__}.",
                        "return y, new_running_mean, new_running_var.")
        expected = _torch_bn(x, gamma, beta, rm, rv, training, m, e)
        args = (x, gamma, beta, rm, rv, training, m, e)
        for part, (got, want) in enumerate(zip(out, expected)):
            checks.expect_tensor(got, what=f"{what}: {labels[part]}", shape=tuple(want.shape), dtype=x.dtype)
            _expect_with_probe(
                lambda: checks.expect_close(got, want, what=f"{what}: {labels[part]}", mistakes=_bn_mistakes(part),
                                            args=args, **_tol(x)),
                lambda: _bn_probe(part, got, x, gamma, beta, rm, rv, training, m),
                lambda: _tight_match(got, want, _bn_mistakes(part), args))
        rm, rv = expected[1], expected[2]


def _bn_probe(part, got, x, gamma, beta, rm, rv, training, m) -> str | None:
    """A hint read off a wrong BatchNorm output: the column statistics of y, or the batch value a running
    update implies ((got - (1 - m) running) / m)."""
    x64 = x.double()
    if part == 0:
        if training and not _allclose(got.double().mean(0), beta.double(), 1e-4):
            return ("the columns of y do not have mean beta over the batch: each feature (column) is normalized with "
                    "its own mean and variance over the batch axis (dim=0).")
        return None
    if not training:
        return "in evaluation mode the running statistics are returned unchanged." if not _allclose(
            got, rm if part == 1 else rv) else None
    start = (rm if part == 1 else rv).double()
    implied = (got.double() - (1 - m) * start) / m
    n = x.shape[0]
    candidates = {"mean": x64.mean(0)} if part == 1 else {
        "unbiased variance": x64.var(0), "biased variance": x64.var(0, correction=0),
        "unbiased std": x64.std(0), "biased std": x64.std(0, correction=0)}
    for label, value in candidates.items():
        if _allclose(implied, value, 1e-4):
            if label == "mean":
                return None
            return (f"your update moves running_var towards the batch's {label}; PyTorch's uses the unbiased "
                    f"variance (the biased one times N / (N - 1) = {n / (n - 1):.4g}).")
    what = "mean" if part == 1 else "unbiased variance"
    return (f"read as running <- (1 - m) running + m * b, your update used b = {checks.fmt(implied.to(x.dtype))}, "
            f"where b is the batch {what} {checks.fmt(candidates.get(what, x64.var(0)).to(x.dtype))}.")


# ---------------------------------------------------------------- exercise 3: BatchNorm backward, derived

def _bn_back_variant(g, x, gamma, eps, *, mean_path=True, var_path=True, unbiased=False, dgamma_raw=False,
                     dbeta_mean=False, var_sign=1.0, no_gamma=False):
    n = x.shape[0]
    mu = x.mean(0)
    var = x.var(0, correction=1 if unbiased else 0)
    sigma = torch.sqrt(var + eps)
    xh = (x - mu) / sigma
    dbeta = g.mean(0) if dbeta_mean else g.sum(0)
    dgamma = g.sum(0) if dgamma_raw else (g * xh).sum(0)
    gx = g * (1.0 if no_gamma else gamma)                       # dL/dx_hat
    dx = gx / sigma
    if mean_path:
        dx = dx - gx.mean(0) / sigma
    if var_path:
        dx = dx - var_sign * xh * (gx * xh).mean(0) / sigma
    return dx, dgamma, dbeta


_BN_BACK_ROWS = (
    ("constants", "mu and sigma depend on x too: treating them as constants gives only gamma * g / sigma. Add the paths "
     "through the mean and through the variance (each x_i enters every x_hat_j).",
     {"mean_path": False, "var_path": False}, (0,)),
    ("no-variance-path", "the path through the variance is missing: sigma^2 depends on every x_i; add "
     "dL/dsigma^2 · dsigma^2/dx_i (it is proportional to x_i - mu).", {"var_path": False}, (0,)),
    ("no-mean-path", "the path through the mean is missing: mu depends on every x_i; add dL/dmu · dmu/dx_i (the same "
     "for every row of a column).", {"mean_path": False}, (0,)),
    ("unbiased-variance", "training-mode BatchNorm uses the biased batch variance (divide by N); with N - 1 every "
     "term of dx is off.", {"unbiased": True}, (0, 1)),
    ("variance-sign", "the sign of the variance path is flipped: a larger variance *shrinks* x_hat, so its term is "
     "subtracted.", {"var_sign": -1.0}, (0,)),
    ("gamma-forgotten", "dL/dx_hat = gamma * grad_out: the scale gamma multiplies every term of dx.",
     {"no_gamma": True}, (0,)),
    ("dgamma-without-xhat", "y = gamma * x_hat + beta, so dL/dgamma = sum over the batch of grad_out * x_hat.",
     {"dgamma_raw": True}, (1,)),
    ("dbeta-mean", "beta is added to every row: dL/dbeta is the *sum* of grad_out over the batch, not the mean.",
     {"dbeta_mean": True}, (2,)),
)


def _bn_back_mistakes(part: int) -> tuple[Mistake, ...]:
    return tuple(Mistake(name, hint, lambda *a, _o=opts: _bn_back_variant(*a, **_o)[part])
                 for name, hint, opts, parts in _BN_BACK_ROWS if part in parts)


def _autograd_bn(g, x, gamma, eps):
    with torch.enable_grad():
        xl = x.detach().to(_float64).requires_grad_(True)
        gl = gamma.detach().to(_float64).requires_grad_(True)
        bl = torch.zeros_like(gl, requires_grad=True)
        y = _batch_norm(xl, None, None, gl, bl, training=True, momentum=0.0, eps=eps)
        grads = _grad(y, (xl, gl, bl), g.detach().to(_float64))
    return tuple(t.to(x.dtype) for t in grads)


def check_batchnorm_backward(batchnorm_backward, grad_out: torch.Tensor, x: torch.Tensor, gamma: torch.Tensor,
                             eps: float | None = None) -> None:
    """batchnorm_backward(grad_out, x, gamma[, eps]) returns (dx, dgamma, dbeta) equal to autograd's gradients
    of training-mode batch normalization (biased batch variance), computed without autograd."""
    kw = {} if eps is None else {"eps": eps}
    e = 1e-5 if eps is None else eps
    what = f"batchnorm_backward for x {tuple(x.shape)} {_dtype(x)}" + (f", eps={eps}" if eps is not None else "")
    out = checks.call(batchnorm_backward, grad_out.clone(), x.clone(), gamma.clone(), what=what,
                      forbidden=BN_BACKWARD_FORBIDDEN, **kw)
    if not (isinstance(out, tuple) and len(out) == 3):
        checks.fail(what, f"expected a tuple (dx, dgamma, dbeta), got {type(out).__name__}.", "return dx, dgamma, dbeta.")
    expected = _autograd_bn(grad_out, x, gamma, e)
    args = (grad_out, x, gamma, e)
    for part, label in enumerate(("dx", "dgamma", "dbeta")):
        want = expected[part]
        checks.expect_tensor(out[part], what=f"{what}: {label}", shape=tuple(want.shape), dtype=x.dtype)
        _expect_with_probe(
            lambda: checks.expect_close(out[part], want, what=f"{what}: {label}", mistakes=_bn_back_mistakes(part),
                                        args=args, **_tol(x)),
            lambda: (f"your {label} equals the gradient with eps = 0: eps belongs in sigma = sqrt(var + eps), "
                     "in every place sigma appears." if _allclose(out[part], answers.batchnorm_backward(grad_out.double(), x.double(), gamma.double(), 0.0)[part], 1e-7)
                     else None))


# ---------------------------------------------------------------- exercise 4: LayerNorm

LN_MISTAKES = (
    Mistake("over-the-batch", "LayerNorm's statistics come from each example's own features (the last dimension), not "
            "from the batch: that is BatchNorm.",
            lambda x, g, b, eps=1e-5: (x - x.mean(0)) / torch.sqrt(x.var(0, correction=0) + eps) * g + b),
    Mistake("unbiased", "the variance divides by D, not D - 1 (correction=0), as F.layer_norm does.",
            lambda x, g, b, eps=1e-5: (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True) + eps) * g + b),
    Mistake("eps-outside-sqrt", "eps goes inside the square root: sqrt(var + eps).",
            lambda x, g, b, eps=1e-5: (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True, correction=0) + eps) * g + b),
    Mistake("gamma-beta-swapped", "gamma scales and beta shifts: x_hat * gamma + beta.",
            lambda x, g, b, eps=1e-5: (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True, correction=0) + eps) * b + g),
    Mistake("no-eps", "eps is missing: divide by sqrt(var + eps), using the eps argument.",
            lambda x, g, b, eps=1e-5: (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True, correction=0) * g + b),
    Mistake("no-affine", "after normalizing, scale by gamma and shift by beta.",
            lambda x, g, b, eps=1e-5: (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, keepdim=True, correction=0) + eps)),
)


def _ln_probe(out, x, gamma, beta, eps) -> str | None:
    x64, g64, b64 = x.double(), gamma.double(), beta.double()
    for d in range(x.dim() - 1):
        mean = x64.mean(d, keepdim=True)
        alt = (x64 - mean) / torch.sqrt(x64.var(d, keepdim=True, correction=0) + eps) * g64 + b64
        if _allclose(out, alt, 1e-6):
            return f"you normalized over dim={d}; LayerNorm's statistics are over the last dimension (dim=-1)."
    if eps != 1e-5 and _allclose(out, _layer_norm(x64, (x.shape[-1],), g64, b64, 1e-5), 1e-7):
        return f"your result is the one for eps = 1e-5: use the eps argument (here {eps})."
    return None


def check_layer_norm(layer_norm, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float | None = None) -> None:
    """layer_norm(x, gamma, beta[, eps]) equals F.layer_norm(x, (D,), gamma, beta, eps) for x of any
    leading shape (..., D), and each row depends on that row alone."""
    kw = {} if eps is None else {"eps": eps}
    e = 1e-5 if eps is None else eps
    what = f"layer_norm for x {tuple(x.shape)} {_dtype(x)}" + (f", eps={eps}" if eps is not None else "")
    out = checks.call(layer_norm, x.clone(), gamma.clone(), beta.clone(), what=what, forbidden=LN_FORBIDDEN, **kw)
    checks.expect_tensor(out, what=what, shape=tuple(x.shape), dtype=x.dtype)
    want = _layer_norm(x.to(_float64), (x.shape[-1],), gamma.to(_float64), beta.to(_float64), e).to(x.dtype)
    _expect_with_probe(lambda: checks.expect_close(out, want, what=what, mistakes=LN_MISTAKES, args=(x, gamma, beta, e),
                                                   **_tol(x)),
                       lambda: _ln_probe(out, x, gamma, beta, e),
                       lambda: _tight_match(out, want, LN_MISTAKES, (x, gamma, beta, e)))
    if x.dim() >= 2 and x.shape[0] >= 2:
        checks.expect_rows_independent(lambda v: layer_norm(v, gamma, beta, **kw), x, what=f"{what}, row by row",
                                       forbidden=LN_FORBIDDEN, **_tol(x))


# ---------------------------------------------------------------- exercise 5: clipping by the global norm

def _clip_variant(grads, c, *, per_tensor=False, by_value=False, no_min=False, sum_of_norms=False, no_eps=False):
    grads = [g.to(_float64) for g in grads]
    if by_value:
        return [g.clamp(-c, c) for g in grads]
    if per_tensor:
        return [g * min(1.0, c / (float(g.norm()) + 1e-6)) for g in grads]
    total = sum(float(g.norm()) for g in grads) if sum_of_norms else math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    scale = (c / total if total > 0 else math.inf) if no_eps else c / (total + 1e-6)
    return [g * (scale if no_min else min(1.0, scale)) for g in grads]


_CLIP_ROWS = (
    ("per-tensor", "the norm is the *global* one, over all tensors together: sqrt(sum of every squared entry). Clipping "
     "each tensor by its own norm changes the direction of the whole update.", {"per_tensor": True}),
    ("by-value", "that clips each entry to [-c, c] (clipping by value); by norm, every entry is scaled by the same "
     "factor min(1, c / ||g||).", {"by_value": True}),
    ("no-min", "gradients whose norm is already below max_norm are left alone: the factor is min(1, c / ||g||), "
     "it never enlarges them.", {"no_min": True}),
    ("sum-of-norms", "the global norm is sqrt(sum_k ||g_k||^2), not the sum of the tensors' norms.", {"sum_of_norms": True}),
    ("no-eps", "the factor is min(1, max_norm / (total + 1e-6)), as PyTorch computes it; without the 1e-6 your tensors "
     "differ from clip_grad_norm_'s in the 8th digit.", {"no_eps": True}),
)


def _clip_probe(clipped, grads, total: float, c: float) -> str | None:
    """The factor each tensor was multiplied by (where it is one factor), against min(1, c / (total + 1e-6))."""
    right = min(1.0, c / (total + 1e-6))
    factors = []
    for got, g in zip(clipped, grads):
        g64, got64 = g.double().flatten(), torch.as_tensor(got).double().flatten()
        k = int(g64.abs().argmax())
        f = float(got64[k] / g64[k]) if g64[k] != 0 else float("nan")
        factors.append(f if _allclose(got64, g64 * f, 1e-6) else None)
    if any(f is None for f in factors):
        return None
    if not all(abs(f - factors[0]) <= 1e-6 * max(1.0, abs(factors[0])) for f in factors):
        return ("the tensors were multiplied by different factors (" + ", ".join(f"{f:.4g}" for f in factors) +
                f"): clipping by the global norm multiplies every tensor by the same min(1, c / ||g||) = {right:.4g}.")
    return (f"every tensor was multiplied by {factors[0]:.4g}; the factor is min(1, max_norm / (total + 1e-6)) "
            f"= {right:.4g} (the norm is {total:.4g}, max_norm {c}).")


def check_clip_grad_norm(clip_grad_norm, grads: list[torch.Tensor], max_norm: float) -> None:
    """clip_grad_norm(grads, max_norm) returns (clipped, total): total equals the global 2-norm and clipped the
    tensors torch.nn.utils.clip_grad_norm_ leaves behind, while the given tensors stay unchanged."""
    shapes = ", ".join(str(tuple(g.shape)) for g in grads)
    what = f"clip_grad_norm for {len(grads)} tensors ({shapes}) {_dtype(grads[0])}, max_norm={max_norm}"
    out = checks.call(clip_grad_norm, [g.clone() for g in grads], max_norm, what=what, forbidden=CLIP_FORBIDDEN)
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], (list, tuple))):
        checks.fail(what, f"expected a tuple (list of clipped tensors, total norm), got {type(out).__name__}.",
                    "return clipped, total.")
    clipped, total = out
    if len(clipped) != len(grads):
        checks.fail(what, f"expected {len(grads)} clipped tensors, got {len(clipped)}.", "one result per gradient tensor.")
    params = [nn.Parameter(g.detach().to(_float64).clone()) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.detach().to(_float64).clone()
    want_total = _clip(params, max_norm).to(grads[0].dtype)
    total_t = total if torch.is_tensor(total) else torch.tensor(float(total), dtype=grads[0].dtype)
    checks.expect_close(total_t.reshape(()), want_total, what=f"{what}: the total norm", check_dtype=False,
                        mistakes=(Mistake("sum-of-norms", _CLIP_ROWS[3][1],
                                          lambda: torch.tensor(sum(float(g.norm()) for g in grads))),
                                  Mistake("squared", "the norm is the square root of the sum of squares.",
                                          lambda: torch.tensor(sum(float((g.double() ** 2).sum()) for g in grads)))),
                        **_tol(grads[0]))
    for k, (got, p) in enumerate(zip(clipped, params)):
        want = p.grad.to(grads[k].dtype)
        mistakes = tuple(Mistake(name, hint, lambda _o=opts, _k=k: _clip_variant(grads, max_norm, **_o)[_k].to(grads[_k].dtype))
                         for name, hint, opts in _CLIP_ROWS)
        label = f"{what}: clipped tensor {k}"
        checks.expect_tensor(got, what=label, shape=tuple(want.shape), dtype=want.dtype)
        _expect_with_probe(lambda: checks.expect_close(got, want, what=label, mistakes=mistakes, **_tol(grads[0])),
                           lambda: _clip_probe(clipped, grads, float(want_total), max_norm),
                           lambda: _tight_match(got, want, mistakes))


# ---------------------------------------------------------------- exercise 6: a residual block

def _block_variant(block, x, *, post_act=False, no_inner=False, no_first=False, no_shortcut=False):
    fc1, fc2, sc = block.fc1, block.fc2, block.shortcut
    a = x if no_first else torch.relu(x)
    h = fc1(a)
    h = h if no_inner else torch.relu(h)
    f = fc2(h)
    if post_act:
        return torch.relu(sc(x) + fc2(torch.relu(fc1(x))))
    return f if no_shortcut else sc(x) + f


RESIDUAL_MISTAKES = (
    Mistake("post-activation", "this is the original (post-activation) ResNet order, relu(x + F(x)); the block asked is "
            "pre-activation: out = shortcut(x) + fc2(relu(fc1(relu(x)))), nothing after the sum.",
            lambda b, x: _block_variant(b, x, post_act=True)),
    Mistake("no-inner-relu", "there is a ReLU between fc1 and fc2: fc2(relu(fc1(relu(x)))).",
            lambda b, x: _block_variant(b, x, no_inner=True)),
    Mistake("no-first-relu", "pre-activation: the block starts with relu(x) before fc1 (the shortcut takes x itself).",
            lambda b, x: _block_variant(b, x, no_first=True)),
    Mistake("no-shortcut", "the shortcut is missing: out = shortcut(x) + F(x).",
            lambda b, x: _block_variant(b, x, no_shortcut=True)),
)


def _expected_block(block, x):
    with torch.no_grad():
        x64 = x.to(_float64)
        p = {k: v.detach().to(_float64) for k, v in block.named_parameters()}
        h = torch.relu(torch.relu(x64) @ p["fc1.weight"].T + p["fc1.bias"])
        f = h @ p["fc2.weight"].T + p["fc2.bias"]
        sc = x64 @ p["shortcut.weight"].T if "shortcut.weight" in p else x64
        return (sc + f).to(x.dtype)


def _residual_probe(block, x) -> str | None:
    """Zero fc2 on a copy: if the block then returns shortcut(x), the shortcut path is right and the branch is not."""
    import copy
    twin = copy.deepcopy(block)
    with torch.no_grad():
        twin.fc2.weight.zero_()
        twin.fc2.bias.zero_()
        zero_out = twin(x.clone())
    if torch.is_tensor(zero_out) and _allclose(zero_out, _expected_block(twin, x), 1e-5):
        return ("with fc2 set to 0 your block returns shortcut(x), as it should, so the residual branch is what differs: "
                "F(x) = fc2(relu(fc1(relu(x)))), added as it is (nothing applied to F(x) or to the sum).")
    return ("with fc2 set to 0 your block should return shortcut(x) (x itself, or W_s x), and it does not: the skip "
            "path, or what is done after the sum, is wrong.")


def check_residual_block(ResidualBlock, d_in: int, d_out: int, x: torch.Tensor) -> None:
    """ResidualBlock(d_in, d_out) has fc1 Linear(d_in, d_out), fc2 Linear(d_out, d_out) and a shortcut that is
    parameter-free when d_in == d_out and a bias-free Linear(d_in, d_out) otherwise; its forward on x (N, d_in)
    is shortcut(x) + fc2(relu(fc1(relu(x)))), carries gradients, and is the shortcut alone when fc2 is zero."""
    what = f"ResidualBlock({d_in}, {d_out})"
    block = checks.call(ResidualBlock, d_in, d_out, what=what)
    if not isinstance(block, nn.Module):
        checks.fail(what, f"expected an nn.Module, got {type(block).__name__}.", "class ResidualBlock(nn.Module): ...")
    block = block.to(x.dtype)
    for name, shape in (("fc1", (d_out, d_in)), ("fc2", (d_out, d_out))):
        layer = getattr(block, name, None)
        if not isinstance(layer, nn.Linear) or tuple(layer.weight.shape) != shape or layer.bias is None:
            checks.fail(what, f"self.{name} should be nn.Linear with weight {shape} and a bias, got {layer!r}.",
                        f"self.{name} = nn.Linear({shape[1]}, {shape[0]}).")
    sc = getattr(block, "shortcut", None)
    if not isinstance(sc, nn.Module):
        checks.fail(what, "self.shortcut is missing.", "self.shortcut = nn.Identity() or a projection nn.Linear.")
    n_sc = sum(p.numel() for p in sc.parameters())
    if d_in == d_out and n_sc:
        checks.fail(what, f"the shapes match, so the shortcut is the identity, but it has {n_sc} parameters.",
                    "use nn.Identity() when d_in == d_out: the skip must pass x unchanged (dH/dx = I + dF/dx).")
    if d_in != d_out and not (isinstance(sc, nn.Linear) and tuple(sc.weight.shape) == (d_out, d_in) and sc.bias is None):
        checks.fail(what, f"the shapes differ ({d_in} -> {d_out}), so the shortcut is a projection "
                          f"nn.Linear({d_in}, {d_out}, bias=False); got {sc!r}.",
                    "x cannot be added to an output of another width: project it with W_s x.")
    fwhat = f"{what}.forward on x {tuple(x.shape)} {_dtype(x)}"
    out = checks.call(block, x.clone(), what=fwhat, forbidden=RESIDUAL_FORBIDDEN)
    checks.expect_tensor(out, what=fwhat, shape=(x.shape[0], d_out), dtype=x.dtype)
    _expect_with_probe(lambda: checks.expect_close(out, _expected_block(block, x), what=fwhat, mistakes=RESIDUAL_MISTAKES,
                                                   args=(block, x), **_tol(x)),
                       lambda: _residual_probe(block, x))
    if not out.requires_grad:
        checks.fail(fwhat, "the output is not connected to the block's parameters.",
                    "build it from the layers' outputs with torch operations (no .detach(), no torch.tensor(...)).")
    with torch.no_grad():
        block.fc2.weight.zero_()
        block.fc2.bias.zero_()
    out0 = checks.call(block, x.clone(), what=fwhat, forbidden=RESIDUAL_FORBIDDEN)
    want0 = _expected_block(block, x)
    checks.expect_close(out0, want0, what=f"{fwhat} with fc2's weight and bias set to 0 (the block must be its shortcut)",
                        mistakes=RESIDUAL_MISTAKES, args=(block, x), **_tol(x))
