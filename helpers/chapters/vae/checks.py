"""Checks for chapter 10's test cells, with each exercise's catalogue of known mistakes.

The oracles are torch's own functions where one exists (torch.distributions.kl_divergence,
F.binary_cross_entropy_with_logits, torch.logsumexp, autograd's Jacobian and slogdet), run in
float64 outside the student's code. Every ``check_*`` raises helpers.grading.checks.CheckFailure
with a message for the student, or returns None.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.chapters.vae import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

# Bound at import time: blocking during a student's call, or a submission that rebinds them, does not touch these.
_kl_divergence = torch.distributions.kl_divergence
_Normal = torch.distributions.Normal
_bce_logits = F.binary_cross_entropy_with_logits
_logsumexp = torch.logsumexp
_jacobian = torch.autograd.functional.jacobian
_slogdet = torch.linalg.slogdet
_svd = torch.linalg.svd
_float64 = torch.float64

KL_FORBIDDEN = ("torch.distributions.kl_divergence", "torch.distributions.kl.kl_divergence",
                "torch.nn.functional.kl_div", answers.kl_diag_gaussians)
REPARAM_FORBIDDEN = ("torch.distributions.Normal.rsample", answers.reparameterize)
ELBO_FORBIDDEN = ("torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy",
                  "torch.distributions.kl_divergence", "torch.distributions.kl.kl_divergence",
                  answers.negative_elbo, answers.kl_diag_gaussians)
IWAE_FORBIDDEN = ("torch.logsumexp", "torch.Tensor.logsumexp", "torch.special.logsumexp", answers.iwae_bound)
ANGLES_FORBIDDEN = (answers.subspace_angles,)
COUPLING_FORBIDDEN = ("torch.autograd.functional.jacobian", "torch.func.jacrev", "torch.func.jacfwd",
                      "torch.linalg.slogdet", "torch.logdet", "torch.det", "torch.linalg.det",
                      answers.AffineCoupling.forward, answers.AffineCoupling.inverse)


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-9, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-4, "rtol": 1e-4}


def _d(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to(_float64)


# ---------------------------------------------------------------- exercise 1: KL between diagonal Gaussians

def _kl(mq, lq, mp, lp, half=0.5, one=1.0, log_sign=-1.0, var=lambda lv: torch.exp(lv), scale_mean=True):
    """The KL formula with knobs, for the catalogue: each mistake turns one knob."""
    ratio = var(lq) / var(lp)
    diff = (mq - mp) ** 2 / (var(lp) if scale_mean else 1.0)
    logs = torch.log(var(lq)) - torch.log(var(lp))
    return half * (ratio + diff - one + log_sign * logs).sum(dim=-1)


KL_MISTAKES = (
    Mistake("no-half", "the whole bracket is multiplied by 1/2: KL = 1/2 sum(sigma_q^2/sigma_p^2 + ... - 1 - log ...).",
            lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp, half=1.0)),
    Mistake("no-minus-one", "the -1 inside the bracket is missing: it comes from E_q[(z - mu_q)^2 / sigma_q^2] = 1, "
            "one per dimension (without it KL(q || q) is not 0).", lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp, one=0.0)),
    Mistake("log-ratio-sign", "the log term has the wrong sign: E_q[log q - log p] contributes "
            "-1/2 log(sigma_q^2 / sigma_p^2) = 1/2 (logvar_p - logvar_q).",
            lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp, log_sign=1.0)),
    Mistake("mean-not-scaled", "the squared distance of the means is measured in p's units: (mu_q - mu_p)^2 / sigma_p^2.",
            lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp, scale_mean=False)),
    Mistake("std-not-var", "logvar is log sigma^2: sigma^2 = exp(logvar), not exp(logvar / 2) (that is sigma).",
            lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp, var=lambda lv: torch.exp(0.5 * lv))),
    Mistake("logvar-as-logstd", "logvar is log sigma^2, not log sigma: sigma^2 = exp(logvar), not exp(2 logvar).",
            lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp, var=lambda lv: torch.exp(2 * lv))),
    Mistake("reversed", "you computed KL(p || q): the expectation is over q, so the variance ratio is "
            "sigma_q^2 / sigma_p^2 and the means are scaled by sigma_p^2.", lambda mq, lq, mp, lp: _kl(mp, lp, mq, lq)),
    Mistake("no-sum", "the KL of a diagonal Gaussian is the sum of the per-dimension KLs over the last axis.",
            lambda mq, lq, mp, lp: 0.5 * (torch.exp(lq - lp) + (mq - mp) ** 2 * torch.exp(-lp) - 1 - lq + lp)),
    Mistake("mean-over-dims", "sum over the latent dimensions (the last axis), do not average: the densities multiply.",
            lambda mq, lq, mp, lp: _kl(mq, lq, mp, lp) / mq.shape[-1]),
)


def _kl_oracle(mq, lq, mp, lp) -> torch.Tensor:
    q = _Normal(_d(mq), torch.exp(0.5 * _d(lq)))
    p = _Normal(_d(mp), torch.exp(0.5 * _d(lp)))
    return _kl_divergence(q, p).sum(dim=-1)


def check_kl_diag_gaussians(kl, mu_q, logvar_q, mu_p, logvar_p) -> None:
    """kl(mu_q, logvar_q, mu_p, logvar_p) is KL(q || p) summed over the last axis, of the inputs' dtype,
    equal to torch.distributions.kl_divergence, 0 when q = p, and row by row."""
    what = f"kl_diag_gaussians on {checks.describe(mu_q)}"
    args = (mu_q, logvar_q, mu_p, logvar_p)
    out = checks.call(kl, *[a.clone() for a in args], what=what, forbidden=KL_FORBIDDEN)
    expected = _kl_oracle(*args).to(mu_q.dtype)
    checks.expect_close(out, expected, what=what, mistakes=KL_MISTAKES, args=args, **_tolerance(mu_q))
    same = checks.call(kl, mu_q.clone(), logvar_q.clone(), mu_q.clone(), logvar_q.clone(), what=what,
                       forbidden=KL_FORBIDDEN)
    checks.expect_close(same, torch.zeros_like(expected), what=f"{what}, with p = q (KL(q || q) = 0)",
                        mistakes=KL_MISTAKES, args=(mu_q, logvar_q, mu_q, logvar_q), **_tolerance(mu_q))
    if mu_q.dim() == 2 and len(mu_q) > 1:
        packed = torch.cat([a.expand_as(mu_q) for a in args], dim=-1)      # (B, 4d): the four arguments side by side
        checks.expect_rows_independent(lambda p: kl(*p.chunk(4, dim=-1)), packed, what=what,
                                       forbidden=KL_FORBIDDEN, **_tolerance(mu_q))


def check_kl_monte_carlo(kl, mu_q, logvar_q, mu_p, logvar_p, n: int = 100_000, seed: int = 0) -> float:
    """The closed form agrees with the Monte Carlo estimate mean(log q(z) - log p(z)), z ~ q, within
    4 standard errors, for one pair of Gaussians (1-D tensors (d,)). Returns the estimate."""
    what = "kl_diag_gaussians against a Monte Carlo estimate"
    out = checks.call(kl, mu_q.clone(), logvar_q.clone(), mu_p.clone(), logvar_p.clone(), what=what,
                      forbidden=KL_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=())
    gen = torch.Generator().manual_seed(seed)
    mq, lq, mp, lp = (_d(a) for a in (mu_q, logvar_q, mu_p, logvar_p))
    z = mq + torch.exp(0.5 * lq) * torch.randn(n, mq.shape[-1], generator=gen, dtype=_float64)   # (n, d)
    terms = answers.log_normal(z, mq, lq) - answers.log_normal(z, mp, lp)                       # (n,)
    estimate, se = float(terms.mean()), float(terms.std() / math.sqrt(n))
    if abs(float(out) - estimate) > 4 * se + 1e-6:
        checks.fail(what, f"your KL is {float(out):.5g}, the average of log q(z) - log p(z) over {n:,} samples "
                          f"z ~ q is {estimate:.5g} ± {se:.2g} (one standard error).",
                    checks.diagnose(out, KL_MISTAKES, (mu_q, logvar_q, mu_p, logvar_p), {}))
    return estimate


# ---------------------------------------------------------------- exercise 2: the reparameterization trick

REPARAM_MISTAKES = (
    Mistake("variance-not-std", "eps is scaled by the standard deviation sigma = exp(logvar / 2), not the variance "
            "exp(logvar).", lambda mu, lv, eps: mu + torch.exp(lv) * eps),
    Mistake("logvar-as-std", "logvar is log sigma^2: sigma = exp(logvar / 2), not logvar itself.",
            lambda mu, lv, eps: mu + lv * eps),
    Mistake("sqrt-logvar", "sigma = exp(logvar / 2): take the exponential before the square root.",
            lambda mu, lv, eps: mu + torch.sqrt(lv.abs()) * eps),
    Mistake("exp-2", "sigma = exp(logvar / 2), not exp(2 logvar) (logvar is the log of the variance).",
            lambda mu, lv, eps: mu + torch.exp(2 * lv) * eps),
    Mistake("no-mean", "the sample is centred on mu: z = mu + sigma * eps.", lambda mu, lv, eps: torch.exp(0.5 * lv) * eps),
)


def check_reparameterize(reparameterize, mu, logvar, eps) -> None:
    """z = mu + exp(logvar / 2) * eps with the given eps, of mu's shape and dtype, and autograd's gradients
    reach mu (dz/dmu = 1) and logvar (dz/dlogvar = sigma * eps / 2)."""
    what = f"reparameterize on {checks.describe(mu)}"
    args = (mu, logvar, eps)
    out = checks.call(reparameterize, mu.clone(), logvar.clone(), eps.clone(), what=what, forbidden=REPARAM_FORBIDDEN)
    expected = (_d(mu) + torch.exp(0.5 * _d(logvar)) * _d(eps)).to(mu.dtype)
    checks.expect_close(out, expected, what=what, mistakes=REPARAM_MISTAKES, args=args, **_tolerance(mu))
    mu_leaf = mu.detach().clone().requires_grad_(True)
    lv_leaf = logvar.detach().clone().requires_grad_(True)
    z = checks.call(reparameterize, mu_leaf, lv_leaf, eps.clone(), what=what, forbidden=REPARAM_FORBIDDEN)
    weights = torch.linspace(0.5, 1.5, z.numel(), dtype=z.dtype).reshape(z.shape)
    if not z.requires_grad:
        checks.fail(what, "the result is not connected to mu and logvar in autograd's graph: no gradient can reach "
                          "the encoder.", "stay in torch operations on mu and logvar (no .detach(), .item(), "
                          "torch.tensor(...) or .data on the way): that is the whole point of the trick.")
    grad_mu, grad_lv = torch.autograd.grad((z * weights).sum(), (mu_leaf, lv_leaf), allow_unused=True)
    for name, grad, want in (("mu", grad_mu, weights), ("logvar", grad_lv, weights * 0.5 * torch.exp(0.5 * logvar) * eps)):
        if grad is None:
            checks.fail(what, f"no gradient reaches {name}: z does not depend on it through autograd.",
                        f"compute z from {name} with torch operations (no .detach() on it).")
        checks.expect_close(grad, want.detach().to(grad.dtype), what=f"the gradient reaching {name} through {what}",
                            **_tolerance(mu))


# ---------------------------------------------------------------- exercise 3: the negative ELBO in nats

def _recon(x, logits):
    return (F.softplus(_d(logits)) - _d(x) * _d(logits)).flatten(1).sum(dim=1).mean()


def _klstd(mu, lv):
    return (0.5 * (_d(mu) ** 2 + torch.exp(_d(lv)) - 1 - _d(lv))).sum(dim=1).mean()


def _elbo_parts(recon, kl, beta):
    return recon + beta * kl, recon, kl


def _loss_only(mistake):
    """A catalogue entry for the loss (first) output from a function of (x, logits, mu, logvar, beta)."""
    return lambda x, l, mu, lv, beta=1.0: mistake(x, l, mu, lv, beta)


_KL_MEAN_DIMS_HINT = ("the KL of a diagonal Gaussian is summed over the latent dimensions (the densities multiply, "
                      "so their logs add), then averaged over the batch: .sum(dim=1).mean(), not a mean over "
                      "the latent dimensions too.")
_CLAMP_HINT = ("clamping the probabilities caps each pixel's cost at -log(eps) (16 nats for 1e-7), but a confidently "
               "wrong pixel (x = 1, logit -150) costs 150 nats: write the cross-entropy from the logits, "
               "softplus(l) - x * l, which is exact and stable for any logit.")

ELBO_MISTAKES = (
    Mistake("pixel-mean", "the reconstruction term is a sum over pixels (the log-likelihood of the whole image), "
            "not a mean: averaging divides it by the number of pixels and the KL then dominates.",
            _loss_only(lambda x, l, mu, lv, b: (F.softplus(_d(l)) - _d(x) * _d(l)).flatten(1).mean(dim=1).mean()
                       + b * _klstd(mu, lv))),
    Mistake("kl-sign", "the negative ELBO adds the KL: -ELBO = -E_q[log p(x|z)] + KL(q || p).",
            _loss_only(lambda x, l, mu, lv, b: _recon(x, l) - b * _klstd(mu, lv))),
    Mistake("beta-on-recon", "beta weighs the KL term only: loss = recon + beta * kl.",
            _loss_only(lambda x, l, mu, lv, b: b * _recon(x, l) + _klstd(mu, lv))),
    Mistake("beta-ignored", "the beta argument is not used: loss = recon + beta * kl.",
            _loss_only(lambda x, l, mu, lv, b: _recon(x, l) + _klstd(mu, lv))),
    Mistake("kl-mean-over-dims", _KL_MEAN_DIMS_HINT,
            _loss_only(lambda x, l, mu, lv, b: _recon(x, l) + b * _klstd(mu, lv) / mu.shape[1])),
    Mistake("kl-no-half", "the closed-form KL to N(0, I) has a factor 1/2: 1/2 sum(mu^2 + sigma^2 - 1 - log sigma^2).",
            _loss_only(lambda x, l, mu, lv, b: _recon(x, l) + 2 * b * _klstd(mu, lv))),
    Mistake("kl-std", "sigma^2 = exp(logvar), not exp(logvar / 2).",
            _loss_only(lambda x, l, mu, lv, b: _recon(x, l) + b * (0.5 * (_d(mu) ** 2 + torch.exp(0.5 * _d(lv)) - 1
                                                                          - _d(lv))).sum(1).mean())),
    Mistake("logits-as-probs", "x_logits are logits: the Bernoulli mean is sigmoid(x_logits); the cross-entropy is "
            "softplus(l) - x * l, not -x log l - (1 - x) log(1 - l).",
            _loss_only(lambda x, l, mu, lv, b: (-(_d(x) * torch.log(_d(l)) + (1 - _d(x)) * torch.log(1 - _d(l))))
                       .flatten(1).sum(1).mean() + b * _klstd(mu, lv))),
    Mistake("squared-error", "the decoder is Bernoulli on grey levels: its negative log-likelihood is the binary "
            "cross-entropy softplus(l) - x * l, not a squared error.",
            _loss_only(lambda x, l, mu, lv, b: ((torch.sigmoid(_d(l)) - _d(x)) ** 2).flatten(1).sum(1).mean()
                       + b * _klstd(mu, lv))),
)


def _part(out, i: int, what: str, dtype) -> torch.Tensor:
    value = out[i]
    return checks.expect_tensor(value, what=what, shape=())


def check_negative_elbo(negative_elbo, x, x_logits, mu, logvar, beta: float = 1.0) -> None:
    """negative_elbo(x, x_logits, mu, logvar, beta) returns (loss, recon, kl): three 0-d tensors of x's dtype,
    recon the per-image Bernoulli cross-entropy summed over pixels and averaged over the batch (the oracle is
    F.binary_cross_entropy_with_logits), kl the KL to N(0, I) averaged over the batch, loss = recon + beta * kl."""
    what = f"negative_elbo on {tuple(x.shape)} {str(x.dtype).replace('torch.', '')} images, beta={beta:g}"
    args = (x, x_logits, mu, logvar, beta)
    out = checks.call(negative_elbo, x.clone(), x_logits.clone(), mu.clone(), logvar.clone(), beta, what=what,
                      forbidden=ELBO_FORBIDDEN)
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        checks.fail(what, f"expected a tuple (loss, recon, kl), got {type(out).__name__} {checks.fmt(out)}.",
                    "return all three: loss, recon, kl = ..., ..., ...; return loss, recon, kl")
    recon = _bce_logits(_d(x_logits), _d(x), reduction="none").flatten(1).sum(dim=1).mean()
    kl = _kl_oracle(mu, logvar, torch.zeros_like(mu), torch.zeros_like(logvar)).mean()
    tol = _tolerance(x)
    checks.expect_close(_part(out, 1, f"the reconstruction term (second output) of {what}", x.dtype),
                        recon.to(x.dtype), what=f"the reconstruction term (second output) of {what}",
                        mistakes=tuple(Mistake(m.name, m.hint, lambda *a, v=m.variant, b=beta: v(*a[:4], b) - b * _klstd(a[2], a[3]))
                                       for m in ELBO_MISTAKES[:1] + ELBO_MISTAKES[7:]),
                        args=args[:4], **tol)
    checks.expect_close(_part(out, 2, f"the KL term (third output) of {what}", x.dtype), kl.to(x.dtype),
                        what=f"the KL term (third output) of {what}",
                        mistakes=(Mistake("kl-mean-over-dims", _KL_MEAN_DIMS_HINT,
                                          lambda x_, l, m, v: _klstd(m, v) / m.shape[1]),
                                  Mistake("kl-no-half", ELBO_MISTAKES[5].hint, lambda x_, l, m, v: 2 * _klstd(m, v)),
                                  Mistake("kl-std", ELBO_MISTAKES[6].hint,
                                          lambda x_, l, m, v: (0.5 * (_d(m) ** 2 + torch.exp(0.5 * _d(v)) - 1 - _d(v)))
                                          .sum(1).mean()),
                                  Mistake("kl-sum-batch", "average the KL over the batch, like the reconstruction.",
                                          lambda x_, l, m, v: _klstd(m, v) * len(m))),
                        args=args[:4], **tol)
    checks.expect_close(_part(out, 0, f"the loss (first output) of {what}", x.dtype), (recon + beta * kl).to(x.dtype),
                        what=f"the loss (first output) of {what}", mistakes=ELBO_MISTAKES, args=args, **tol)
    checks.expect_batch_mean(lambda *b: negative_elbo(*b, beta)[0], x.clone(), x_logits.clone(), mu.clone(),
                             logvar.clone(), what=f"the loss of {what}", forbidden=ELBO_FORBIDDEN, **tol)


def check_negative_elbo_stable(negative_elbo, dtype=torch.float32) -> None:
    """Logits of +-200 (a confident decoder) give a finite loss: the cross-entropy is computed from the
    logits (softplus(l) - x * l), not from sigmoid probabilities that round to 0 or 1."""
    x = torch.tensor([[0.0, 1.0, 0.5, 0.2, 1.0], [1.0, 0.0, 0.9, 0.0, 0.0]], dtype=dtype)
    logits = torch.tensor([[-200.0, 200.0, 0.0, -1.0, -150.0],     # the last pixels are confidently wrong: 150 nats
                           [200.0, -200.0, 3.0, -150.0, 120.0]], dtype=dtype)
    mu, lv = torch.zeros(2, 3, dtype=dtype), torch.zeros(2, 3, dtype=dtype)
    what = f"negative_elbo with logits of ±200 ({str(dtype).replace('torch.', '')})"
    out = checks.call(negative_elbo, x, logits, mu, lv, 1.0, what=what, forbidden=ELBO_FORBIDDEN)
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        checks.fail(what, f"expected a tuple (loss, recon, kl), got {type(out).__name__}.")
    recon = _bce_logits(_d(logits), _d(x), reduction="none").sum(dim=1).mean()
    checks.expect_tensor(out[1], what=what, shape=())
    checks.expect_finite(out[1], what=what, hint="sigmoid(200) rounds to 1 and log(1 - 1) = -inf: write the "
                         "cross-entropy from the logits, softplus(l) - x * l (softplus is stable).")
    clamped = tuple(Mistake(f"clamped-{eps:g}", _CLAMP_HINT, lambda x_, l, eps=eps: _clamped_bce(x_, l, eps))
                    for eps in (1e-7, 1e-6, 1e-8, 1e-10, 1e-12, 1e-15, 1e-5))
    checks.expect_close(out[1], recon.to(dtype), what=f"the reconstruction term of {what}", atol=1e-3, rtol=1e-4,
                        mistakes=clamped, args=(x, logits))


def _clamped_bce(x, logits, eps):
    """The cross-entropy from probabilities clamped to [eps, 1 - eps] (a wrong 'stable' version), batch mean,
    in the inputs' dtype (1 - eps rounds differently in float32)."""
    p = torch.sigmoid(logits).clamp(eps, 1 - eps)
    return (-(x * torch.log(p) + (1 - x) * torch.log(1 - p))).sum(dim=1).mean()


# ---------------------------------------------------------------- exercise 4: principal angles between subspaces

def _angles_oracle(A, B) -> torch.Tensor:
    """Ascending principal angles in degrees, from SVD bases, with the sine formula for small angles."""
    if B.shape[1] > A.shape[1]:
        return _angles_oracle(B, A)                                   # the angles are symmetric in A and B
    Ua = _svd(_d(A), full_matrices=False)[0]
    Ub = _svd(_d(B), full_matrices=False)[0]
    k = min(A.shape[1], B.shape[1])
    cos = torch.linalg.svdvals(Ua.T @ Ub)[:k].clamp(-1, 1)
    sin = torch.linalg.svdvals(Ub - Ua @ (Ua.T @ Ub)).flip(0)[:k].clamp(-1, 1)
    ang = torch.where(cos > 0.7, torch.arcsin(sin), torch.arccos(cos))   # arccos is inaccurate near 0
    return torch.rad2deg(ang)


def _cos_angles(A, B, orth: bool, normalise: bool = True):
    a, b = _d(A), _d(B)
    if orth:
        a, b = torch.linalg.qr(a)[0], torch.linalg.qr(b)[0]
    elif normalise:
        a, b = a / a.norm(dim=0), b / b.norm(dim=0)
    return torch.linalg.svdvals(a.T @ b).clamp(-1, 1)


ANGLES_MISTAKES = (
    Mistake("radians", "the angles are asked in degrees: multiply radians by 180 / pi (torch.rad2deg).",
            lambda A, B: torch.arccos(_cos_angles(A, B, True))),
    Mistake("descending", "sort the angles ascending, the smallest (best-aligned direction) first.",
            lambda A, B: torch.rad2deg(torch.arccos(_cos_angles(A, B, True))).flip(0)),
    Mistake("not-orthonormal", "the singular values of A^T B are cosines only when A's and B's columns are "
            "orthonormal bases: orthonormalise each (torch.linalg.qr) first; normalising the columns is not enough.",
            lambda A, B: torch.rad2deg(torch.arccos(_cos_angles(A, B, False)))),
    Mistake("no-normalise", "the singular values of A^T B are cosines only for orthonormal bases: take Q of "
            "torch.linalg.qr(A) and of B first.",
            lambda A, B: torch.rad2deg(torch.arccos(_cos_angles(A, B, False, False)))),
    Mistake("one-side-orthonormal", "orthonormalise BOTH bases before the SVD: the singular values of Qa^T B (B not "
            "orthonormal) are not cosines and can exceed 1.",
            lambda A, B: torch.rad2deg(torch.arccos(torch.linalg.svdvals(torch.linalg.qr(_d(A))[0].T @ _d(B))
                                                    .clamp(-1, 1)))),
    Mistake("column-by-column", "principal angles are not the angles between the i-th columns: they compare the "
            "subspaces, whatever basis spans them (SVD of Qa^T Qb).",
            lambda A, B: torch.sort(torch.rad2deg(torch.arccos((F.normalize(_d(A), dim=0) * F.normalize(_d(B), dim=0))
                                                                .sum(0).abs().clamp(-1, 1)))).values),
)


def check_subspace_angles(subspace_angles, A, B) -> None:
    """subspace_angles(A, B): the principal angles in degrees, ascending, (min(k, m),) of A's dtype; the same
    for any other basis of either subspace (A @ R with R invertible)."""
    what = f"subspace_angles on A {tuple(A.shape)} and B {tuple(B.shape)} ({str(A.dtype).replace('torch.', '')})"
    out = checks.call(subspace_angles, A.clone(), B.clone(), what=what, forbidden=ANGLES_FORBIDDEN)
    expected = _angles_oracle(A, B).to(A.dtype)
    tol = {"atol": 1e-5, "rtol": 1e-6} if A.dtype == _float64 else {"atol": 0.05, "rtol": 1e-3}
    checks.expect_close(out, expected, what=what, mistakes=ANGLES_MISTAKES, args=(A, B), **tol)
    gen = torch.Generator().manual_seed(1)
    R = torch.eye(A.shape[1], dtype=_float64) + 0.5 * torch.randn(A.shape[1], A.shape[1], generator=gen, dtype=_float64)
    other = (_d(A) @ R).to(A.dtype)                                     # another basis of the same subspace
    moved = checks.call(subspace_angles, other, B.clone(), what=what, forbidden=ANGLES_FORBIDDEN)
    checks.expect_close(moved, expected, what=f"{what}, with A replaced by A @ R (the same subspace, another basis)",
                        mistakes=ANGLES_MISTAKES, args=(other, B), **tol)


# ---------------------------------------------------------------- exercise 5: an affine coupling layer

def _coupling_parts(layer, z):
    """(m, h, g) of the reference layer computed from layer.net in float64. z: (B, dim)."""
    net = _float_copy(layer.net)
    m = _d(layer.mask)
    h, g = net(z.to(_float64) * m).chunk(2, dim=-1)                   # no detach: the Jacobian goes through it
    return m, torch.tanh(h), g


def _float_copy(net: nn.Module) -> nn.Module:
    import copy
    return copy.deepcopy(net).to(_float64)


def _forward_oracle(layer, z):
    m, h, g = _coupling_parts(layer, z)
    z = z.to(_float64)
    return m * z + (1 - m) * (z * torch.exp(h) + g), ((1 - m) * h).sum(dim=-1)


def _inverse_oracle(layer, x):
    m, h, g = _coupling_parts(layer, x)
    return m * _d(x) + (1 - m) * (_d(x) - g) * torch.exp(-h)


def _raw_h(layer, z):
    return _float_copy(layer.net)(_d(z) * _d(layer.mask)).chunk(2, dim=-1)[0]


LOGDET_MISTAKES = (
    Mistake("all-entries", "only the transformed entries (mask = 0) are scaled: the kept ones have a 1 on the "
            "Jacobian's diagonal, log 1 = 0. Sum (1 - mask) * h.",
            lambda layer, z: _coupling_parts(layer, z)[1].sum(dim=-1)),
    Mistake("exp-h", "the diagonal of the Jacobian is exp(h), so log|det| = sum h, not sum exp(h).",
            lambda layer, z: ((1 - _d(layer.mask)) * torch.exp(_coupling_parts(layer, z)[1])).sum(dim=-1)),
    Mistake("sign", "log|det dx/dz| is +sum h (x grows by exp(h)); -sum h is the inverse's log-determinant.",
            lambda layer, z: -_forward_oracle(layer, z)[1]),
    Mistake("mean", "the log-determinant is a sum of the log-diagonal entries over dimensions, not a mean.",
            lambda layer, z: ((1 - _d(layer.mask)) * _coupling_parts(layer, z)[1]).mean(dim=-1)),
    Mistake("raw-h", "the log-scale is h = tanh(first half of the net's output), as scale_shift returns it: use "
            "that h in the log-determinant too.",
            lambda layer, z: ((1 - _d(layer.mask)) * _raw_h(layer, z)).sum(dim=-1)),
    Mistake("kept-entries", "the transformed entries are those with mask 0 (the kept ones, mask 1, pass through with a "
            "1 on the diagonal): sum (1 - mask) * h.",
            lambda layer, z: (_d(layer.mask) * _coupling_parts(layer, z)[1]).sum(dim=-1)),
    Mistake("g-in-logdet", "the shift g does not change volumes: it adds a constant, its derivative with respect "
            "to the transformed entries is 0. Only h enters the log-determinant.",
            lambda layer, z: ((1 - _d(layer.mask)) * (_coupling_parts(layer, z)[1] + _coupling_parts(layer, z)[2])).sum(-1)),
)
def _forward_unmasked(layer, z):
    h, g = _float_copy(layer.net)(_d(z)).chunk(2, dim=-1)
    m = _d(layer.mask)
    return m * _d(z) + (1 - m) * (_d(z) * torch.exp(torch.tanh(h)) + g)


FORWARD_MISTAKES = (
    Mistake("unmasked-input", "h and g may depend on the kept entries only, or the Jacobian is not triangular and "
            "the layer not invertible: feed z * mask to scale_shift, not z.", _forward_unmasked),
    Mistake("shift-scaled", "scale first, then shift: x = z * exp(h) + g on the transformed entries, not (z + g) * exp(h).",
            lambda layer, z: (lambda m, h, g: m * _d(z) + (1 - m) * (_d(z) + g) * torch.exp(h))(*_coupling_parts(layer, z))),
    Mistake("mask-swapped", "the entries with mask 1 pass through unchanged; those with mask 0 are transformed.",
            lambda layer, z: (lambda m, h, g: (1 - m) * _d(z) + m * (_d(z) * torch.exp(h) + g))(*_coupling_parts(layer, z))),
)
INVERSE_MISTAKES = (
    Mistake("order", "invert the steps in reverse order: forward scales then shifts, so the inverse first removes "
            "the shift, then the scale: (x - g) * exp(-h).",
            lambda layer, x: (lambda m, h, g: m * _d(x) + (1 - m) * (_d(x) * torch.exp(-h) - g))(*_coupling_parts(layer, x))),
    Mistake("scale-not-inverted", "undo the scale by dividing by exp(h), i.e. multiplying by exp(-h).",
            lambda layer, x: (lambda m, h, g: m * _d(x) + (1 - m) * (_d(x) - g) * torch.exp(h))(*_coupling_parts(layer, x))),
    Mistake("unmasked-input", "h and g were computed from the kept entries z * mask; in the inverse, x * mask equals "
            "z * mask, so feed x * mask to the net, not x.",
            lambda layer, x: (lambda m, hg: m * _d(x) + (1 - m) * (_d(x) - hg[1]) * torch.exp(-torch.tanh(hg[0])))(
                _d(layer.mask), _float_copy(layer.net)(_d(x)).chunk(2, dim=-1))),
    Mistake("kept-lost", "the kept entries (mask = 1) pass through unchanged both ways: z = mask * x + ...",
            lambda layer, x: (lambda m, h, g: (1 - m) * (_d(x) - g) * torch.exp(-h))(*_coupling_parts(layer, x))),
)


def _jacobian_logdet(layer, z) -> torch.Tensor:
    """log|det dx/dz| per sample from autograd's Jacobian of the reference forward. z: (B, dim) -> (B,)."""
    out = []
    for row in _d(z):
        J = _jacobian(lambda v: _forward_oracle(layer, v[None])[0][0], row)
        out.append(_slogdet(J)[1])
    return torch.stack(out)


def make_coupling(cls, dim: int, hidden: int, mask: torch.Tensor, dtype=torch.float64, seed: int = 0):
    """cls(dim, hidden, mask) with seeded weights, in dtype."""
    what = f"{getattr(cls, '__name__', 'AffineCoupling')}(dim={dim}, hidden={hidden}, mask={mask.tolist()})"
    torch.manual_seed(seed)
    layer = checks.call(cls, dim, hidden, mask.clone(), what=what)
    with torch.no_grad():                                            # larger weights: scales far from 1
        for p in layer.net.parameters():
            p.mul_(2.0)
    return layer.to(dtype), what


def check_affine_coupling(cls, dim: int, hidden: int, mask: torch.Tensor, z: torch.Tensor) -> None:
    """forward(z) -> (x, logdet): x of z's shape and dtype as the lesson's formula gives it, logdet (B,) equal to
    log|det| of autograd's Jacobian; inverse(x) recovers z exactly and equals the formula's inverse."""
    layer, what = make_coupling(cls, dim, hidden, mask, z.dtype)
    tol = _tolerance(z)
    out = checks.call(layer.forward, z.clone(), what=f"{what}.forward", forbidden=COUPLING_FORBIDDEN)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        checks.fail(f"{what}.forward", f"expected a pair (x, logdet), got {type(out).__name__}.",
                    "return x, logdet")
    x, logdet = out
    want_x, want_logdet = (t.detach() for t in _forward_oracle(layer, z))
    checks.expect_close(x, want_x.to(z.dtype), what=f"x = {what}.forward(z)[0]", mistakes=FORWARD_MISTAKES,
                        args=(layer, z), **tol)
    checks.expect_tensor(logdet, what=f"logdet = {what}.forward(z)[1]", shape=(z.shape[0],))
    checks.expect_close(logdet, _jacobian_logdet(layer, z).to(z.dtype),
                        what=f"logdet = {what}.forward(z)[1] against log|det| of autograd's Jacobian",
                        mistakes=LOGDET_MISTAKES, args=(layer, z), **tol)
    back = checks.call(layer.inverse, want_x.to(z.dtype), what=f"{what}.inverse", forbidden=COUPLING_FORBIDDEN)
    checks.expect_close(back, _inverse_oracle(layer, want_x.to(z.dtype)).to(z.dtype),
                        what=f"{what}.inverse(x)", mistakes=INVERSE_MISTAKES, args=(layer, want_x.to(z.dtype)), **tol)
    checks.expect_close(back, z, what=f"{what}.inverse(forward(z)) against z", **tol)
    with torch.no_grad():                                            # NICE: no scale, log-determinant exactly 0
        layer.net[-1].weight[:dim].zero_()
        layer.net[-1].bias[:dim].zero_()
    _, zero = checks.call(layer.forward, z.clone(), what=f"{what}.forward", forbidden=COUPLING_FORBIDDEN)
    checks.expect_close(zero, torch.zeros(z.shape[0], dtype=z.dtype),
                        what=f"logdet of {what} with h = 0 (an additive NICE layer: volume-preserving)", **tol)


# ---------------------------------------------------------------- exercise 6: the importance-weighted bound

IWAE_MISTAKES = (
    Mistake("elbo", "mean(log w) is the ordinary ELBO (Jensen inside the sum); the importance-weighted bound is the "
            "log of the mean of the weights: log((1/K) sum_k w_k).", lambda lw: _d(lw).mean(dim=1)),
    Mistake("no-log-k", "the weights are averaged, not summed: subtract log K after the log-sum-exp.",
            lambda lw: _logsumexp(_d(lw), dim=1)),
    Mistake("max-only", "the largest log-weight is the shift that keeps exp() from overflowing; add back "
            "log(mean(exp(log_w - max))).", lambda lw: _d(lw).max(dim=1).values),
    Mistake("log-k-plus", "log((1/K) sum w) = logsumexp(log w) - log K, not + log K.",
            lambda lw: _logsumexp(_d(lw), dim=1) + math.log(lw.shape[1])),
)
_SHIFT_HINT = ("Subtract each row's LARGEST log-weight before exp (then every exponent is <= 0) and add it back "
               "after the log; a shift by the minimum, the mean or the first entry overflows when the log-weights "
               "spread over more than exp's range.")


def _iwae_oracle(log_w):
    return _logsumexp(_d(log_w), dim=1) - math.log(log_w.shape[1])


def check_iwae_bound(iwae_bound, log_w) -> None:
    """iwae_bound(log_w): (B, K) -> (B,) equal to logsumexp(log_w, 1) - log K in log_w's dtype, finite for
    log-weights far below exp's range (a 784-pixel image has log-weights near -250), and row by row."""
    what = f"iwae_bound on {checks.describe(log_w)}"
    out = checks.call(iwae_bound, log_w.clone(), what=what, forbidden=IWAE_FORBIDDEN)
    checks.expect_close(out, _iwae_oracle(log_w).to(log_w.dtype), what=what, mistakes=IWAE_MISTAKES, args=(log_w,),
                        reference=lambda lw, dim=1: _logsumexp(_d(lw), dim=dim) - math.log(lw.shape[dim]),
                        **_tolerance(log_w))
    if len(log_w) > 1:
        checks.expect_rows_independent(iwae_bound, log_w.clone(), what=what, forbidden=IWAE_FORBIDDEN,
                                       **_tolerance(log_w))


def check_iwae_stable(iwae_bound, dtype=torch.float64) -> None:
    """Log-weights around -1000 and +1000 (exp under- and overflows) still give the right, finite bound; the
    largest is not in the first column and the rows spread over thousands of nats, so only a shift by the
    row's maximum (not its minimum, mean or first entry) keeps exp in range."""
    log_w = torch.tensor([[-1003.0, -1000.0, -1001.0, -4000.0], [-3000.0, 999.5, 1000.0, 990.0]], dtype=dtype)
    what = f"iwae_bound on log-weights near ±1000 ({str(dtype).replace('torch.', '')})"
    out = checks.call(iwae_bound, log_w.clone(), what=what, forbidden=IWAE_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(2,))
    checks.expect_finite(out, what=what, hint="exp(-1000) is 0 and exp(1000) is inf. " + _SHIFT_HINT)
    checks.expect_close(out, _iwae_oracle(log_w).to(dtype), what=what, mistakes=IWAE_MISTAKES, args=(log_w,),
                        atol=1e-4, rtol=1e-6)
