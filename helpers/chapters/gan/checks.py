"""Checks for chapter 11's test cells, with each exercise's catalogue of known mistakes.

Every ``check_*`` raises helpers.grading.checks.CheckFailure with a message for the student, or
returns None. Expected values come from the inputs in float64 (torch's own function as the oracle
where there is one), cast to the input's dtype.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.chapters.gan import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

BCE_LIBRARY = ("torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy",
               "torch.binary_cross_entropy_with_logits")
SVD_LIBRARY = ("torch.linalg.matrix_norm", "torch.linalg.norm", "torch.linalg.svd", "torch.linalg.svdvals",
               "torch.svd", "torch.linalg.eigh", "torch.linalg.eigvalsh", "torch.linalg.eig", "torch.linalg.eigvals",
               "torch.lobpcg", "torch.svd_lowrank", "torch.nn.utils.parametrizations.spectral_norm",
               "torch.nn.utils.spectral_norm")

OPTIMAL_D_FORBIDDEN = (answers.optimal_discriminator,)
JS_FORBIDDEN = (answers.js_divergence,)
LOSSES_FORBIDDEN = BCE_LIBRARY + (answers.d_loss, answers.g_loss)
LOGIT_GRADS_FORBIDDEN = checks.AUTOGRAD_LIBRARY + (answers.generator_logit_grads,)
GP_FORBIDDEN = (answers.gradient_penalty,)
SPECTRAL_FORBIDDEN = SVD_LIBRARY + (answers.spectral_norm,)
FRECHET_FORBIDDEN = (answers.frechet_distance, answers.sqrtm_psd)


def _d(x: torch.Tensor) -> torch.Tensor:
    return x.detach().double()


# ---------------------------------------------------------------- 1. the optimal discriminator

OPTIMAL_D_MISTAKES = (
    Mistake("swapped", "you wrote p_g / (p_data + p_g): that is the probability of 'fake'. D(x) is the probability "
            "that x is REAL, so the numerator is p_data.", lambda p, q: q / (p + q)),
    Mistake("ratio", "p_data / p_g is the density ratio, not a probability: setting the derivative "
            "p_data/D - p_g/(1 - D) to zero gives D = p_data / (p_data + p_g).", lambda p, q: p / q),
    Mistake("equilibrium", "D = 1/2 only at the equilibrium p_g = p_data; for a given G, maximise "
            "p_data log D + p_g log(1 - D) point by point.", lambda p, q: torch.full_like(p, 0.5)),
    Mistake("normalised", "D*(x) is a probability for each x separately (real or fake), not a distribution over x: "
            "do not normalise it to sum to 1.", lambda p, q: (p / (p + q)) / (p / (p + q)).sum(-1, keepdim=True)),
    Mistake("halved", "the sum p_data + p_g is already the normaliser: no extra factor 1/2.",
            lambda p, q: p / (2 * (p + q))),
)


def _optimal_d_expected(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    p64, q64 = _d(p), _d(q)
    total = p64 + q64
    safe = torch.where(total > 0, total, torch.ones_like(total))
    return torch.where(total > 0, p64 / safe, torch.full_like(total, 0.5)).to(p.dtype)


def check_optimal_discriminator(fn, p_data: torch.Tensor, p_g: torch.Tensor) -> None:
    """fn(p_data, p_g) is D* = p_data / (p_data + p_g), elementwise, 0.5 where both are 0."""
    what = f"optimal_discriminator on {checks.describe(p_data)}"
    out = checks.call(fn, p_data.clone(), p_g.clone(), what=what, forbidden=OPTIMAL_D_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(p_data.shape), dtype=p_data.dtype)
    expected = _optimal_d_expected(p_data, p_g)
    both_zero = (p_data == 0) & (p_g == 0)
    if bool(both_zero.any()) and not bool(torch.isfinite(out[both_zero]).all()):
        checks.fail(what, "where p_data = p_g = 0 your D* is nan (0 / 0).",
                    "the statement asks for 0.5 there (D* is free where neither distribution puts mass): "
                    "use torch.where on p_data + p_g > 0.")
    checks.expect_close(out, expected, what=what, mistakes=OPTIMAL_D_MISTAKES, args=(p_data, p_g))


# ---------------------------------------------------------------- 2. Jensen-Shannon

def _kl(p, q):
    return torch.where(p > 0, p * (p.log() - q.log()), torch.zeros_like(p)).sum(-1)


JS_MISTAKES = (
    Mistake("kl", "that is KL(p || q), not the Jensen-Shannon divergence: compare both p and q with their mixture "
            "m, the average of the two.", lambda p, q: _kl(p, q)),
    Mistake("one-sided", "only KL(p || m) is there: the JS divergence averages KL(p || m) and KL(q || m).",
            lambda p, q: _kl(p, (p + q) / 2)),
    Mistake("no-average", "the two KL terms are summed but not halved: JS = (KL(p||m) + KL(q||m)) / 2.",
            lambda p, q: _kl(p, (p + q) / 2) + _kl(q, (p + q) / 2)),
    Mistake("bits", "the answer is in bits (log base 2); the course measures divergences in nats (natural log).",
            lambda p, q: (_kl(p, (p + q) / 2) + _kl(q, (p + q) / 2)) / 2 / math.log(2)),
)


def check_js_divergence(fn, p: torch.Tensor, q: torch.Tensor) -> None:
    """fn(p, q) is JS(p || q) in nats along the last axis, with 0 log 0 = 0."""
    what = f"js_divergence on {checks.describe(p)}"
    out = checks.call(fn, p.clone(), q.clone(), what=what, forbidden=JS_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(p.shape[:-1]), dtype=p.dtype)
    expected = answers.js_divergence.__wrapped__(_d(p), _d(q)).to(p.dtype)
    if bool(((p == 0) | (q == 0)).any()) and not bool(torch.isfinite(out).all()):
        checks.fail(what, "the result is nan where some probabilities are 0.",
                    "0 · log 0 counts as 0: drop those terms (torch.where(p > 0, p * log(p / m), 0)) "
                    "rather than computing log 0.")
    checks.expect_close(out, expected, what=what, mistakes=JS_MISTAKES, args=(_d(p), _d(q)),
                        atol=1e-5 if p.dtype == torch.float32 else 1e-9)


# ---------------------------------------------------------------- 3. the two losses

D_LOSS_MISTAKES = (
    Mistake("labels-swapped", "real and fake are swapped: the discriminator says 1 (real) for data, so its loss is "
            "-log D(x) on real samples and -log(1 - D(G(z))) on fake ones.",
            lambda r, f: -F.logsigmoid(-r).mean() - F.logsigmoid(f).mean()),
    Mistake("sign", "the discriminator MAXIMISES E log D(x) + E log(1 - D(G(z))): as a loss to minimise, negate it.",
            lambda r, f: F.logsigmoid(r).mean() + F.logsigmoid(-f).mean()),
    Mistake("fake-as-one", "for fake samples the target is 0: the term is log(1 - D(G(z))), i.e. "
            "logsigmoid(-fake_logits), not logsigmoid(fake_logits).",
            lambda r, f: -F.logsigmoid(r).mean() - F.logsigmoid(f).mean()),
)

G_LOSS_MISTAKES = (
    Mistake("saturating", "that is the saturating loss E log(1 - D(G(z))); the non-saturating one asked here is "
            "-E log D(G(z)).", lambda f: F.logsigmoid(-f).mean()),
    Mistake("sign", "the generator wants D(G(z)) near 1: minimise -E log D(G(z)) (a minus sign).",
            lambda f: F.logsigmoid(f).mean()),
    Mistake("no-log", "the loss is -E log D(G(z)), not -E D(G(z)).", lambda f: -torch.sigmoid(f).mean()),
)


def _d_loss_expected(r, f):
    return (F.binary_cross_entropy_with_logits(_d(r), torch.ones_like(_d(r)))
            + F.binary_cross_entropy_with_logits(_d(f), torch.zeros_like(_d(f)))).to(r.dtype)


def _g_loss_expected(f):
    return F.binary_cross_entropy_with_logits(_d(f), torch.ones_like(_d(f))).to(f.dtype)


_UNSTABLE = ("the inputs are logits, so log D = logsigmoid(l) (never log of the logit itself); and "
             "log(sigmoid(l)) is -inf once sigmoid(l) rounds to 0 (l below about -17 in float32, -37 in "
             "float64), and log(1 - sigmoid(l)) once it rounds to 1: use logsigmoid (log(1 - sigmoid(l)) = "
             "logsigmoid(-l)).")


def check_gan_losses(d_loss, g_loss, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> None:
    """d_loss is -mean log D(x) - mean log(1 - D(G(z))); g_loss is -mean log D(G(z)); both from logits,
    0-d, finite for any logits, averaged over their batches."""
    what = f"d_loss on {checks.describe(real_logits)} and {checks.describe(fake_logits, values=False)}"
    out = checks.call(d_loss, real_logits.clone(), fake_logits.clone(), what=what, forbidden=LOSSES_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=real_logits.dtype)
    checks.expect_finite(out, what=what, hint=_UNSTABLE)
    checks.expect_close(out, _d_loss_expected(real_logits, fake_logits), what=what, mistakes=D_LOSS_MISTAKES,
                        args=(_d(real_logits), _d(fake_logits)), atol=1e-5, rtol=1e-5)
    checks.expect_batch_mean(d_loss, real_logits, fake_logits, what=what, forbidden=LOSSES_FORBIDDEN,
                             atol=1e-5)
    what = f"g_loss on {checks.describe(fake_logits)}"
    out = checks.call(g_loss, fake_logits.clone(), what=what, forbidden=LOSSES_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=fake_logits.dtype)
    checks.expect_finite(out, what=what, hint=_UNSTABLE)
    checks.expect_close(out, _g_loss_expected(fake_logits), what=what, mistakes=G_LOSS_MISTAKES,
                        args=(_d(fake_logits),), atol=1e-5, rtol=1e-5)
    checks.expect_batch_mean(g_loss, fake_logits, what=what, forbidden=LOSSES_FORBIDDEN, atol=1e-5)
    x = fake_logits.detach().clone().requires_grad_(True)
    loss = checks.call(g_loss, x, what=what, forbidden=LOSSES_FORBIDDEN)
    if not loss.requires_grad:
        checks.fail(what, "the loss is not connected to the logits' autograd graph, so the generator cannot learn.",
                    "stay in torch operations: no .item(), float(...) or torch.tensor(...) on the way.")


# ---------------------------------------------------------------- 4. derive: the generator's gradients

SAT_MISTAKES = (
    Mistake("sat-wrt-D", "that is the derivative with respect to D = sigmoid(l), -1/(1 - D); the chain rule "
            "multiplies it by dD/dl = D(1 - D).", lambda l: -1 / (1 - torch.sigmoid(l))),
    Mistake("sat-complement", "d/dl log(1 - sigmoid(l)) = -sigmoid(l): you have -(1 - sigmoid(l)), the derivative "
            "of log sigmoid(l) with a minus sign.", lambda l: torch.sigmoid(l) - 1),
    Mistake("sat-sigmoid-prime", "you kept only dD/dl = D(1 - D); the derivative of log(1 - D) with respect to D, "
            "-1/(1 - D), multiplies it.", lambda l: torch.sigmoid(l) * (1 - torch.sigmoid(l))),
)

NONSAT_MISTAKES = (
    Mistake("nonsat-wrt-D", "that is the derivative with respect to D = sigmoid(l), -1/D; the chain rule "
            "multiplies it by dD/dl = D(1 - D).", lambda l: -1 / torch.sigmoid(l)),
    Mistake("nonsat-complement", "d/dl [-log sigmoid(l)] = sigmoid(l) - 1: you have -sigmoid(l), the derivative of "
            "log(1 - sigmoid(l)).", lambda l: -torch.sigmoid(l)),
    Mistake("nonsat-sign", "the loss is -log sigmoid(l): its derivative sigmoid(l) - 1 is negative (raising the logit "
            "lowers the loss).", lambda l: 1 - torch.sigmoid(l)),
)


def check_generator_logit_grads(fn, logits: torch.Tensor) -> None:
    """fn(logits) -> (d/dl log(1 - sigmoid(l)), d/dl [-log sigmoid(l)]), per sample, without autograd."""
    what = f"generator_logit_grads on {checks.describe(logits)}"
    out = checks.call(fn, logits.clone(), what=what, forbidden=LOGIT_GRADS_FORBIDDEN)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        checks.fail(what, f"expected a pair (saturating, non_saturating), got {type(out).__name__}.",
                    "return both derivatives: `return grad_saturating, grad_non_saturating`.")
    sat, nonsat = out
    for name, t in (("the saturating derivative", sat), ("the non-saturating derivative", nonsat)):
        checks.expect_tensor(t, what=f"{what}: {name}", shape=tuple(logits.shape), dtype=logits.dtype)
    s = torch.sigmoid(_d(logits))
    want_sat, want_nonsat = (-s).to(logits.dtype), (s - 1).to(logits.dtype)
    if checks._close(sat, want_nonsat, 1e-6, 1e-5) and checks._close(nonsat, want_sat, 1e-6, 1e-5) \
            and not checks._close(want_sat, want_nonsat, 1e-6, 1e-5):
        checks.fail(what, "the two derivatives are in the wrong order.",
                    "return (saturating, non_saturating): first d/dl log(1 - D), then d/dl [-log D].")
    for name, t in (("the saturating derivative", sat), ("the non-saturating derivative", nonsat)):
        checks.expect_finite(t, what=f"{what}: {name}",
                             hint="exp(l) overflows for large logits (l > 88 in float32): write the derivatives "
                                  "with torch.sigmoid(l), which stays finite for any l.")
    tol = dict(atol=1e-6, rtol=1e-5) if logits.dtype == torch.float64 else dict(atol=1e-6, rtol=1e-4)
    checks.expect_close(sat, want_sat, what=f"{what}: the saturating derivative d/dl log(1 - sigmoid(l))",
                        mistakes=SAT_MISTAKES, args=(_d(logits),), **tol)
    checks.expect_close(nonsat, want_nonsat, what=f"{what}: the non-saturating derivative d/dl [-log sigmoid(l)]",
                        mistakes=NONSAT_MISTAKES, args=(_d(logits),), **tol)


# ---------------------------------------------------------------- 5. the gradient penalty

def _gp_variant(real, fake, eps, lam, critic, *, mix=lambda e, r, f: e * r + (1 - e) * f,
                per_sample=True, reduce=lambda n: (n - 1) ** 2, scale=True):
    with torch.enable_grad():
        e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
        x = mix(e, real, fake).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)
        norms = g.reshape(len(g), -1).norm(dim=1) if per_sample else g.norm().reshape(1)
        return (lam if scale else 1.0) * reduce(norms).mean()


GP_MISTAKES = (
    Mistake("eps-swapped", "the interpolate is eps * real + (1 - eps) * fake: you weighted them the other way.",
            lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, mix=lambda e, r, f: (1 - e) * r + e * f)),
    Mistake("squared-norm", "the penalty uses the norm ||grad||_2, not its square, before subtracting 1.",
            lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, reduce=lambda n: (n ** 2 - 1) ** 2)),
    Mistake("whole-batch-norm", "the norm is per sample: flatten each gradient to (N, -1) and take .norm(dim=1), "
            "not one norm of the whole batch's gradient.",
            lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, per_sample=False)),
    Mistake("one-sided", "WGAN-GP's penalty is two-sided, (||grad|| - 1)^2, also for norms below 1.",
            lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, reduce=lambda n: torch.relu(n - 1) ** 2)),
    Mistake("abs", "the penalty squares ||grad|| - 1; you took its absolute value.",
            lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, reduce=lambda n: (n - 1).abs())),
    Mistake("no-lambda", "multiply by lam.", lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, scale=False)),
    Mistake("no-minus-one", "the target norm is 1: penalise (||grad|| - 1)^2, not ||grad||^2.",
            lambda r, f, e, lam, c: _gp_variant(r, f, e, lam, c, reduce=lambda n: n ** 2)),
)


def check_gradient_penalty(fn, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor,
                           lam: float = 10.0) -> None:
    """fn(critic, real, fake, eps, lam) is lam * mean (||grad critic(x_hat)|| - 1)^2, x_hat =
    eps real + (1 - eps) fake, 0-d, and differentiable with respect to the critic's parameters."""
    what = f"gradient_penalty on {checks.describe(real, values=False)} (lam = {lam:g})"
    out = checks.call(fn, critic, real.clone(), fake.clone(), eps.clone(), lam, what=what, forbidden=GP_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=real.dtype)
    with torch.enable_grad():
        expected = answers.gradient_penalty.__wrapped__(critic, real, fake, eps, lam)
    args = (real, fake, eps, lam, critic)
    checks.expect_close(out.detach(), expected.detach(), what=what, mistakes=GP_MISTAKES, args=args,
                        atol=1e-6 if real.dtype == torch.float64 else 1e-4, rtol=1e-5 if real.dtype == torch.float64 else 1e-4)
    params = [p for p in critic.parameters() if p.requires_grad]
    if not out.requires_grad or out.grad_fn is None:
        checks.fail(what, "the penalty is not differentiable with respect to the critic's parameters, so the "
                          "critic's optimiser gets no gradient from it.",
                    "pass create_graph=True to torch.autograd.grad (and do not detach the gradient).")
    mine = torch.autograd.grad(out, params, allow_unused=True, retain_graph=True)
    ref = torch.autograd.grad(expected, params, allow_unused=True)
    for p_mine, p_ref in zip(mine, ref):
        p_ref = torch.zeros_like(params[0]) if p_ref is None else p_ref
        if p_mine is None:
            p_mine = torch.zeros_like(p_ref)
        if p_mine.shape != p_ref.shape or not checks._close(p_mine, p_ref, 1e-5, 1e-3):
            checks.fail(what, "the penalty's value is right, but its gradient with respect to the critic's "
                              "parameters is not.",
                        "keep the interpolates' gradient in the graph (create_graph=True) and compute the norm "
                        "from it with torch operations.")


# ---------------------------------------------------------------- 6. spectral norm by power iteration

SPECTRAL_MISTAKES = (
    Mistake("squared", "you returned the largest eigenvalue of W^T W, which is sigma squared: return ||W v|| "
            "(or its square root).", lambda W, n: torch.linalg.matrix_norm(W, ord=2) ** 2),
    Mistake("frobenius", "that is the Frobenius norm sqrt(sum of W_ij^2), an upper bound on sigma, not sigma.",
            lambda W, n: W.pow(2).sum().sqrt()),
    Mistake("max-entry", "the largest entry is not the largest singular value: iterate v <- W^T W v / ||W^T W v||.",
            lambda W, n: W.abs().max()),
)


def check_spectral_norm(fn, W: torch.Tensor, n_iter: int = 50, rtol: float = 1e-4) -> None:
    """fn(W, n_iter) is the largest singular value of W (out, in), as a 0-d tensor of W's dtype,
    within rtol of torch.linalg.matrix_norm(W, ord=2)."""
    what = f"spectral_norm on {checks.describe(W)} with n_iter={n_iter}"
    out = checks.call(fn, W.clone(), n_iter, what=what, forbidden=SPECTRAL_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=W.dtype)
    expected = torch.linalg.matrix_norm(_d(W), ord=2).to(W.dtype)
    checks.expect_close(out, expected, what=what, mistakes=SPECTRAL_MISTAKES, args=(_d(W), n_iter),
                        atol=1e-6, rtol=rtol)
    # a few steps only: the estimate is not converged yet, so it is fixed by the start and the step count
    few = checks.call(fn, W.clone(), 2, what=f"spectral_norm on {checks.describe(W)} with n_iter=2",
                      forbidden=SPECTRAL_FORBIDDEN)
    want = answers.spectral_norm.__wrapped__(_d(W), 2).to(W.dtype)
    if not checks._close(few, want, 1e-6, 1e-4 if W.dtype == torch.float32 else 1e-9):
        checks.fail(f"spectral_norm on {checks.describe(W)} with n_iter=2",
                    f"after 2 steps the estimate should be {float(want):.6g} (two steps v <- W^T W v / ||W^T W v|| "
                    f"from the normalised all-ones vector, then ||W v||), got {float(few):.6g}.",
                    "do exactly n_iter steps (not a fixed count), start from torch.ones(W.shape[1]) normalised, "
                    "and return ||W v|| for the final unit vector v.")


# ---------------------------------------------------------------- 7. the Frechet distance

def _roots_product(m1, S1, m2, S2):
    r1, r2 = answers.sqrtm_psd.__wrapped__(S1), answers.sqrtm_psd.__wrapped__(S2)
    return ((m1 - m2) ** 2).sum() + torch.trace(S1 + S2 - 2 * r1 @ r2)


def _fd(m1, S1, m2, S2, *, mean=lambda d: (d ** 2).sum(), two=2.0):
    r1 = answers.sqrtm_psd.__wrapped__(S1)
    cross = answers.sqrtm_psd.__wrapped__(r1 @ S2 @ r1)
    return mean(m1 - m2) + torch.trace(S1) + torch.trace(S2) - two * torch.trace(cross)


FRECHET_MISTAKES = (
    Mistake("roots-product", "tr(S1^1/2 S2^1/2) equals tr((S1^1/2 S2 S1^1/2)^1/2) only when S1 and S2 commute: "
            "take the square root of the product S1^1/2 S2 S1^1/2.", _roots_product),
    Mistake("elementwise-sqrt", "a matrix square root is not the square root of each entry: use the eigendecomposition "
            "(S = V diag(l) V^T, so S^1/2 = V diag(sqrt l) V^T).",
            lambda m1, S1, m2, S2: ((m1 - m2) ** 2).sum() + torch.trace(S1 + S2)
            - 2 * torch.trace((S1 @ S2).clamp(min=0).sqrt())),
    Mistake("no-two", "the cross term is 2 tr((S1^1/2 S2 S1^1/2)^1/2): the factor 2 is missing.",
            lambda m1, S1, m2, S2: _fd(m1, S1, m2, S2, two=1.0)),
    Mistake("norm-not-squared", "the mean term is the SQUARED distance ||mu1 - mu2||^2.",
            lambda m1, S1, m2, S2: _fd(m1, S1, m2, S2, mean=lambda d: d.norm())),
    Mistake("no-mean-term", "the distance has two parts: ||mu1 - mu2||^2 for the means and the trace term for the "
            "covariances.", lambda m1, S1, m2, S2: _fd(m1, S1, m2, S2, mean=lambda d: d.sum() * 0)),
    Mistake("square-root", "the Frechet distance of FID is the SQUARED 2-Wasserstein distance: no square root.",
            lambda m1, S1, m2, S2: _fd(m1, S1, m2, S2).clamp(min=0).sqrt()),
)


def check_frechet_distance(fn, mu1: torch.Tensor, S1: torch.Tensor, mu2: torch.Tensor, S2: torch.Tensor) -> None:
    """fn(mu1, S1, mu2, S2) is ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), 0-d, inputs' dtype."""
    what = f"frechet_distance on {checks.describe(S1, values=False)} covariances"
    out = checks.call(fn, mu1.clone(), S1.clone(), mu2.clone(), S2.clone(), what=what, forbidden=FRECHET_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=mu1.dtype)
    # an oracle independent of the reference: tr (S1^1/2 S2 S1^1/2)^1/2 = sum of sqrt(eigenvalues of S1 S2)
    eig = torch.linalg.eigvals(_d(S1) @ _d(S2)).real.clamp(min=0)
    expected = (((_d(mu1) - _d(mu2)) ** 2).sum() + torch.trace(_d(S1)) + torch.trace(_d(S2))
                - 2 * eig.sqrt().sum()).to(mu1.dtype)
    scale = float(torch.trace(_d(S1)) + torch.trace(_d(S2)))
    atol = (1e-7 if mu1.dtype == torch.float64 else 1e-4) * max(scale, 1.0)
    checks.expect_close(out, expected, what=what, mistakes=FRECHET_MISTAKES,
                        args=(_d(mu1), _d(S1), _d(mu2), _d(S2)), atol=atol, rtol=1e-4)


# ---------------------------------------------------------------- probe inputs the test cells share

def random_covariance(d: int, *, generator: torch.Generator, dtype=torch.float64, rank: int | None = None) -> torch.Tensor:
    """A random (d, d) symmetric positive (semi-)definite matrix A A^T / k (rank k, default d + 2)."""
    k = rank or d + 2
    A = torch.randn(d, k, generator=generator, dtype=torch.float64)
    return (A @ A.T / k).to(dtype)


def small_critic(d_in: int, hidden: int = 8, seed: int = 0, dtype=torch.float64) -> nn.Module:
    """A smooth MLP critic (N, d_in) -> (N,) with a linear last layer (softplus hidden units)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(d_in, hidden), nn.Softplus(), nn.Linear(hidden, 1), nn.Flatten(0))
    return net.to(dtype)
