"""Checks for chapter 04 (overfitting, generalization and regularization), with each exercise's
catalogue of known wrong answers. The test cells choose the inputs; these functions decide.

Every ``check_*`` raises helpers.grading.checks.CheckFailure with a message for the student, or
returns None. Expected values come from torch itself where it has the function (autograd for a
penalty's gradient, nn.functional.dropout's statistics, softmax), computed outside the student's call.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from helpers.chapters.overfitting import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

# Bound at import time: a submission that rebinds them does not change the verdicts.
_grad = torch.autograd.grad
_softmax = torch.softmax
_dropout = torch.nn.functional.dropout
_float64 = torch.float64


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-5, "rtol": 1e-4}


def _number(value, *, what: str) -> float:
    """A Python number (or a one-element tensor) as a float; anything else fails."""
    if torch.is_tensor(value) and value.numel() == 1:
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    checks.fail(what, f"expected a number, got {type(value).__name__} {checks.fmt(value)}.", "return a float.")


def _expect_number(actual, expected: float, *, what: str, mistakes=(), args=(), rel: float = 1e-9,
                   show_expected: bool = True) -> None:
    """show_expected=False for a derivation exercise: the message must not print the answer."""
    got = _number(actual, what=what)
    if math.isclose(got, expected, rel_tol=rel, abs_tol=1e-15):
        return
    hint = None
    for m in mistakes:
        try:
            wrong = float(m.variant(*args))
        except Exception:
            continue
        if math.isclose(got, wrong, rel_tol=rel, abs_tol=1e-15) and not math.isclose(wrong, expected, rel_tol=rel):
            hint = m.hint
            break
    if show_expected:
        checks.fail(what, f"expected {expected:.6g}, got {got:.6g}.", hint)
    checks.fail(what, f"got {got:.6g}, which is not the value the derivation gives.", hint)


# ---------------------------------------------------------------- exercise 1: k-fold cross-validation

KFOLD_FORBIDDEN = (answers.kfold_indices, answers.cross_val_score)

CV_MISTAKES = (
    Mistake("sum-not-mean", "you added the fold scores: the cross-validated score is their mean (divide by k).",
            lambda s, n, k, seed: sum(float(s(tr, va)) for tr, va in answers.kfold_indices.__wrapped__(n, k, seed))),
    Mistake("size-weighted", "each fold counts once: average the k scores, do not weight them by the fold size.",
            lambda s, n, k, seed: sum(float(s(tr, va)) * len(va) for tr, va in
                                      answers.kfold_indices.__wrapped__(n, k, seed)) / n),
)


def _index_tensor(t, *, what: str, n: int) -> torch.Tensor:
    t = checks.expect_tensor(t, what=what)
    if t.dtype != torch.int64:
        checks.fail(what, f"expected an int64 (long) index tensor, got {t.dtype}.",
                    "indices come from torch.randperm or torch.arange, which are int64; a boolean mask or float "
                    "tensor is not an index list.")
    if t.dim() != 1:
        checks.fail(what, f"expected a 1-d tensor of indices, got shape {tuple(t.shape)}.")
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= n):
        checks.fail(what, f"indices must lie in range({n}), found {int(t.min())} .. {int(t.max())}.")
    return t


def _check_folds(folds, n: int, k: int, *, what: str) -> list[tuple[torch.Tensor, torch.Tensor]]:
    if not isinstance(folds, (list, tuple)):
        checks.fail(what, f"expected a list of k = {k} (train, validation) pairs, got {type(folds).__name__}.")
    if len(folds) != k:
        checks.fail(what, f"expected k = {k} folds, got {len(folds)}.")
    out = []
    for i, pair in enumerate(folds):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            checks.fail(what, f"fold {i} is not a (train_idx, val_idx) pair.")
        tr = _index_tensor(pair[0], what=f"{what}: fold {i}'s training indices", n=n)
        va = _index_tensor(pair[1], what=f"{what}: fold {i}'s validation indices", n=n)
        out.append((tr, va))
    vals = [va for _, va in out]
    sizes = [len(v) for v in vals]
    for i, va in enumerate(vals):
        if len(torch.unique(va)) != len(va):
            checks.fail(what, f"fold {i}'s validation indices repeat an index.",
                        "slice a permutation (torch.randperm) instead of drawing with replacement.")
    allv = torch.cat(vals)
    if len(torch.unique(allv)) != len(allv):
        checks.fail(what, "the validation folds overlap: some index is in two of them.",
                    "cut one permutation of range(n) into k consecutive pieces.")
    if len(allv) != n:
        checks.fail(what, f"the validation folds hold {len(allv)} indices in all, not n = {n}: "
                    f"{n - len(allv)} examples are never validated on.",
                    f"n = {n} is not a multiple of k = {k}: give the first n % k folds one extra index "
                    "instead of dropping the remainder (sizes n // k + 1 and n // k).")
    if max(sizes) - min(sizes) > 1:
        checks.fail(what, f"the fold sizes are {sizes}: they should differ by at most 1.",
                    "spread the n % k leftover indices over the first folds, one each, instead of giving them all "
                    "to the last fold.")
    for i, (tr, va) in enumerate(out):
        inter = set(tr.tolist()) & set(va.tolist())
        if inter:
            checks.fail(what, f"fold {i}'s training part contains {len(inter)} of its own validation indices.",
                        "the training part is every index NOT in this fold's validation part.")
        if len(tr) + len(va) != n or len(torch.unique(tr)) != len(tr):
            checks.fail(what, f"fold {i}: training ({len(tr)}) and validation ({len(va)}) indices should "
                        f"together be each of the {n} indices once.",
                        "the training part is all the other folds joined (torch.cat), each index once.")
    return out


def check_kfold(kfold_indices, cross_val_score, n: int, k: int, seed: int = 0) -> None:
    """kfold_indices(n, k, seed): k (train, val) int64 index pairs whose validation folds partition
    range(n) with sizes differing by at most 1, shuffled, the same for the same seed; and
    cross_val_score(score, n, k, seed): the mean of the k fold scores."""
    what = f"kfold_indices(n={n}, k={k}, seed={seed})"
    folds = _check_folds(checks.call(kfold_indices, n, k, seed, what=what, forbidden=KFOLD_FORBIDDEN), n, k, what=what)
    again = checks.call(kfold_indices, n, k, seed, what=what, forbidden=KFOLD_FORBIDDEN)
    if not all(torch.equal(a[1], b[1]) for a, b in zip(folds, _check_folds(again, n, k, what=what))):
        checks.fail(what, "two calls with the same seed give different folds.",
                    "draw the permutation from torch.Generator().manual_seed(seed), not from the global generator.")
    if n >= 12:
        contiguous = all(sorted(va.tolist()) == list(range(int(va.min()), int(va.min()) + len(va)))
                         for _, va in folds if len(va))
        if contiguous:
            checks.fail(what, "every validation fold is a block of consecutive indices: the data were not shuffled.",
                        "shuffle first (torch.randperm(n, generator=...)), then cut: data files are often sorted "
                        "by class or by date.")
        other = checks.call(kfold_indices, n, k, seed + 1, what=what, forbidden=KFOLD_FORBIDDEN)
        other = _check_folds(other, n, k, what=f"kfold_indices(n={n}, k={k}, seed={seed + 1})")
        if all(torch.equal(a[1], b[1]) for a, b in zip(folds, other)):
            checks.fail(what, f"seeds {seed} and {seed + 1} give the same folds.", "use the seed argument.")
    # the cross-validated score: a score that reveals which folds and how they were combined
    what = f"cross_val_score(score, n={n}, k={k}, seed={seed})"
    score = lambda tr, va: float(va.double().mean()) + 0.001 * len(va) + 1e-6 * len(tr)   # noqa: E731
    got = checks.call(cross_val_score, score, n, k, seed, what=what, forbidden=KFOLD_FORBIDDEN)
    student_folds = checks.call(kfold_indices, n, k, seed, what=what, forbidden=KFOLD_FORBIDDEN)
    # the score of the student's own folds (whatever permutation they use)
    expected = sum(score(tr, va) for tr, va in student_folds) / k
    _expect_number(got, expected, what=f"{what} with your folds", args=(score, n, k, seed),
                   mistakes=_cv_mistakes_on(student_folds, k))


def _cv_mistakes_on(folds, k: int):
    """The catalogue, evaluated on the student's own folds."""
    n = sum(len(va) for _, va in folds)
    score = lambda tr, va: float(va.double().mean()) + 0.001 * len(va) + 1e-6 * len(tr)   # noqa: E731
    return (Mistake(CV_MISTAKES[0].name, CV_MISTAKES[0].hint,
                    lambda *a: sum(score(tr, va) for tr, va in folds)),
            Mistake(CV_MISTAKES[1].name, CV_MISTAKES[1].hint,
                    lambda *a: sum(score(tr, va) * len(va) for tr, va in folds) / n),
            Mistake("last-fold", "you returned one fold's score: average over all k folds.",
                    lambda *a: score(*folds[-1])))


# ---------------------------------------------------------------- exercise 2: the gradient of a penalty

PENALTY_FORBIDDEN = checks.AUTOGRAD_LIBRARY + (answers.penalty_grad, answers.equivalent_weight_decay)

PENALTY_MISTAKES = (
    Mistake("no-2", "the derivative of l2 * w^2 is 2 * l2 * w: the factor 2 is missing.",
            lambda w, l1, l2: l1 * torch.sign(w) + l2 * w),
    Mistake("norm-not-squared", "you differentiated the norm l2 * ||w|| (which gives l2 * w / ||w||): L2 "
            "regularization uses the SQUARED norm l2 * sum w^2, whose gradient is 2 * l2 * w.",
            lambda w, l1, l2: l1 * torch.sign(w) + l2 * w / w.norm()),
    Mistake("l1-as-l2", "the derivative of l1 * |w| is l1 * sign(w) (a constant size), not l1 * w.",
            lambda w, l1, l2: l1 * w + 2 * l2 * w),
    Mistake("no-l1", "the L1 term is missing: add l1 * sign(w).", lambda w, l1, l2: 2 * l2 * w),
    Mistake("no-l2", "the L2 term is missing: add 2 * l2 * w.", lambda w, l1, l2: l1 * torch.sign(w)),
    Mistake("sign-at-zero", "at w = 0 use the subgradient 0 (torch.sign(0) = 0, as autograd does): |w| has no "
            "slope there that points anywhere.",
            lambda w, l1, l2: l1 * torch.where(w >= 0, 1.0, -1.0).to(w.dtype) + 2 * l2 * w),
    Mistake("sign-flipped", "the sign is flipped: a penalty's gradient points away from 0 (the step w - lr * grad "
            "shrinks w).", lambda w, l1, l2: -(l1 * torch.sign(w) + 2 * l2 * w)),
)
DECAY_MISTAKES = (
    Mistake("same-l2", "you returned l2 itself: weight_decay=λ adds λ w to the gradient, which is not the gradient "
            "of λ ||w||². Differentiate l2 ||w||² and set the two gradients equal.", lambda l2: l2),
    Mistake("half", "the factor 2 is on the wrong side: differentiate l2 ||w||², and find the penalty whose "
            "gradient is λ w; then set the two gradients equal.", lambda l2: l2 / 2),
)


def _autograd_penalty(w: torch.Tensor, l1: float, l2: float) -> torch.Tensor:
    with torch.enable_grad():
        leaf = w.detach().to(_float64).requires_grad_(True)
        (g,) = _grad(l1 * leaf.abs().sum() + l2 * (leaf ** 2).sum(), leaf)
    return g.to(w.dtype)


def check_penalty_grad(penalty_grad, equivalent_weight_decay, w: torch.Tensor, l1: float, l2: float) -> None:
    """penalty_grad(w, l1, l2) equals autograd's gradient of l1 * sum|w| + l2 * sum w^2 (0 at w = 0 for
    the L1 part), in w's shape and dtype; equivalent_weight_decay(l2) is SGD's weight_decay for it."""
    zeros = " (some w are exactly 0)" if bool((w == 0).any()) else ""
    what = f"penalty_grad(w, l1={l1}, l2={l2}) for w that is {checks.describe(w)}{zeros}"
    out = checks.call(penalty_grad, w.clone(), l1, l2, what=what, forbidden=PENALTY_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(w.shape), dtype=w.dtype)
    bad = ~torch.isfinite(out)
    if bool(bad.any()):
        at_zero = bool((w[bad] == 0).all())
        checks.fail(what, f"{int(bad.sum())} of {out.numel()} entries are not finite (nan or inf).",
                    "they sit where w = 0: w / |w| is 0/0 there; torch.sign(w) gives the subgradient 0." if at_zero
                    else "no exp, log or division is needed: the gradient is a sign term plus a linear term.")
    checks.expect_close(out, _autograd_penalty(w, l1, l2), what=what, mistakes=PENALTY_MISTAKES,
                        args=(w, l1, l2), **_tolerance(w))
    what = f"equivalent_weight_decay({l2})"
    got = checks.call(equivalent_weight_decay, l2, what=what, forbidden=PENALTY_FORBIDDEN)
    _expect_number(got, 2 * l2, what=what, mistakes=DECAY_MISTAKES, args=(l2,), show_expected=False)


# ---------------------------------------------------------------- exercise 3: the MAP view

MAP_FORBIDDEN = (answers.prior_lambda, answers.map_linear_regression)

LAMBDA_MISTAKES = (
    Mistake("seed", "that is σ²/2, the statement some notes make, and it points the wrong way: a narrower prior "
            "(small σ) must penalize more. Redo -log N(θ; 0, σ²I) and read off the factor of ||θ||².",
            lambda s: s ** 2 / 2),
    Mistake("no-2", "a factor 2 is missing: write out the Gaussian's exponent exactly and read off the factor "
            "of ||θ||² in -log N(θ; 0, σ²I).", lambda s: 1 / s ** 2),
    Mistake("sigma-not-squared", "the Gaussian's exponent has σ² (the variance), not σ: redo -log N(θ; 0, σ²I).",
            lambda s: 1 / (2 * s)),
)


def _map_variant(X, y, lam):
    A = X.T @ X + lam * torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
    return torch.linalg.solve(A, X.T @ y)


MAP_MISTAKES = (
    Mistake("lambda-from-nll-form", "you put the λ of the form 'NLL + λ||w||²' into the ridge system, but that "
            "NLL is ||y - Xw||² divided by 2 noise_std², not ||y - Xw||² itself: bring the whole objective to the "
            "form ||y - Xw||² + λ'||w||² before you solve.",
            lambda X, y, s, n: _map_variant(X, y, n ** 2 / (2 * s ** 2))),
    Mistake("inverted", "the ratio of the two variances is upside down: more noise, or a narrower prior, must give "
            "more shrinkage.", lambda X, y, s, n: _map_variant(X, y, s ** 2 / n ** 2)),
    Mistake("no-noise", "the noise variance is missing: the likelihood term is ||y - Xw||²/(2 noise_std²), and "
            "noise_std sets how strong the prior's pull is.", lambda X, y, s, n: _map_variant(X, y, 1 / s ** 2)),
    Mistake("std-not-variance", "the ratio uses standard deviations: the Gaussians' exponents hold variances.",
            lambda X, y, s, n: _map_variant(X, y, n / s)),
    Mistake("no-prior", "that is the least-squares (maximum-likelihood) solution: the prior adds a multiple of the "
            "identity to XᵀX.", lambda X, y, s, n: _map_variant(X, y, 0.0)),
    Mistake("seed-lambda", "σ²/2 is the seeds' λ, and it points the wrong way (a narrower prior must shrink more): "
            "redo -log N(w; 0, σ²I) and the likelihood term together.",
            lambda X, y, s, n: _map_variant(X, y, s ** 2 / 2)),
)


def _neg_log_posterior_grad(X, y, w, sigma, noise_std):
    """d/dw of ||y - Xw||²/(2 s²) + ||w||²/(2σ²), by autograd in float64."""
    with torch.enable_grad():
        leaf = w.detach().to(_float64).requires_grad_(True)
        X64, y64 = X.to(_float64), y.to(_float64)
        nlp = ((y64 - X64 @ leaf) ** 2).sum() / (2 * noise_std ** 2) + (leaf ** 2).sum() / (2 * sigma ** 2)
        (g,) = _grad(nlp, leaf)
    return g


def check_map(prior_lambda, map_linear_regression, X: torch.Tensor, y: torch.Tensor, sigma: float,
              noise_std: float = 1.0) -> None:
    """prior_lambda(σ) = 1/(2σ²); map_linear_regression(X, y, σ, noise_std) is the maximizer of the posterior
    (the gradient of the negative log posterior vanishes there), in X's dtype, shape (D,)."""
    what = f"prior_lambda({sigma})"
    got = checks.call(prior_lambda, sigma, what=what, forbidden=MAP_FORBIDDEN)
    _expect_number(got, 1 / (2 * sigma ** 2), what=what, mistakes=LAMBDA_MISTAKES, args=(sigma,),
                   show_expected=False)
    what = (f"map_linear_regression(X, y, sigma={sigma}, noise_std={noise_std}) with X {tuple(X.shape)} "
            f"({str(X.dtype).replace('torch.', '')})")
    out = checks.call(map_linear_regression, X.clone(), y.clone(), sigma, noise_std, what=what, forbidden=MAP_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(X.shape[1],), dtype=X.dtype)
    X64, y64 = X.to(_float64), y.to(_float64)
    expected = _map_variant(X64, y64, noise_std ** 2 / sigma ** 2)
    tol = {"atol": 1e-8, "rtol": 1e-6} if X.dtype == _float64 else {"atol": 1e-4, "rtol": 1e-3}
    grad = _neg_log_posterior_grad(X, y, out, sigma, noise_std)
    scale = float(_neg_log_posterior_grad(X, y, torch.zeros_like(expected), sigma, noise_std).abs().max())
    if bool(torch.isfinite(out).all()) and float(grad.abs().max()) <= (1e-7 if X.dtype == _float64 else 1e-3) * scale:
        return
    checks.expect_close(out, expected.to(X.dtype), what=what, mistakes=MAP_MISTAKES,
                        args=(X, y, sigma, noise_std), **tol)
    checks.fail(what, f"the gradient of the negative log posterior at your w is {checks.fmt(grad)}, not 0: "
                "your w is not its minimizer.", None)


# ---------------------------------------------------------------- exercise 4: inverted dropout

DROPOUT_LIBRARY = ("torch.nn.functional.dropout", "torch.dropout", "torch.nn.Dropout.forward",
                   "torch.nn.functional.alpha_dropout", "torch.nn.functional.feature_alpha_dropout",
                   "torch.native_dropout")
DROPOUT_FORBIDDEN = DROPOUT_LIBRARY + (answers.inverted_dropout,)


def _dropout_call(fn, x, p, training, generator, *, what):
    out = checks.call(fn, x, p, training, generator, what=what, forbidden=DROPOUT_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(x.shape), dtype=x.dtype)
    if out.device.type != x.device.type:
        checks.fail(what, f"the result is on {out.device}, the input on {x.device}.", "keep the mask on x.device.")
    return out


def _statistical_band(n: int, p: float) -> float:
    """Six standard deviations of a fraction of n Bernoulli(p) draws, at least 1e-3."""
    return max(6 * math.sqrt(p * (1 - p) / n), 1e-3)


def check_dropout(inverted_dropout, x: torch.Tensor, p: float, seed: int = 0) -> None:
    """inverted_dropout(x, p, training, generator): in eval x unchanged; in training, each entry zeroed
    independently with probability p (the fraction of zeros matches nn.functional.dropout's), the survivors
    exactly x / (1 - p), the mean preserved, reproducible with a seeded generator; p = 0 keeps x."""
    kind = f"{checks.describe(x, values=False)}, p={p}"
    what = f"inverted_dropout(x, p={p}, training=False) on {kind}"
    out = _dropout_call(inverted_dropout, x.clone(), p, False, torch.Generator().manual_seed(seed), what=what)
    if not torch.equal(out, x):
        checks.fail(what, "in eval mode the output must equal x exactly.",
                    "inverted dropout does all its scaling during training; at evaluation it does nothing "
                    "(classic dropout multiplied by 1 - p here instead; PyTorch does not)." if
                    torch.allclose(out, x * (1 - p)) else "return x unchanged when training is False.")
    what = f"inverted_dropout(x, p={p}, training=True) on {kind}"
    out = _dropout_call(inverted_dropout, x.clone(), p, True, torch.Generator().manual_seed(seed), what=what)
    nz = x != 0
    kept = (out != 0) & nz
    frac_zero = 1 - float(kept.sum()) / max(int(nz.sum()), 1)
    band = _statistical_band(int(nz.sum()), p)
    torch_frac = float((_dropout(torch.ones(int(nz.sum())), p, True) == 0).double().mean())
    if abs(frac_zero - p) > band:
        hint = None
        if abs(frac_zero - (1 - p)) <= band:
            hint = "you zeroed entries with probability 1 - p: p is the probability to DROP (mask = rand >= p)."
        elif frac_zero < band:
            hint = "nothing was zeroed: draw a mask and multiply by it."
        checks.fail(what, f"{frac_zero:.4f} of the entries are zeroed; with p = {p} about {p:.4f} should be "
                    f"(nn.functional.dropout zeroed {torch_frac:.4f} of as many), within ±{band:.4f}.", hint)
    if bool(kept.any()):
        ratio = (out[kept].double() / x[kept].double())
        want = 1 / (1 - p)
        if not torch.allclose(ratio, torch.full_like(ratio, want), rtol=1e-5 if x.dtype != _float64 else 1e-10):
            r = float(ratio.median())
            hints = {1.0: "the survivors are not rescaled: divide them by 1 - p, so that the expected output "
                          "equals x (E[m / (1 - p)] = 1).",
                     1 - p: "you multiplied by 1 - p (classic dropout's test-time factor): inverted dropout DIVIDES "
                            "the survivors by 1 - p during training.",
                     1 / p if p > 0 else -1: "you divided by p: the keep probability is 1 - p, divide by that."}
            hint = next((h for v, h in hints.items() if abs(r - v) < 1e-4 * max(1, abs(v)) and abs(v - want) > 1e-9),
                        "every surviving entry must equal x / (1 - p) exactly: scale by one constant.")
            checks.fail(what, f"the surviving entries are {r:.6g} times x, not 1 / (1 - p) = {want:.6g}.", hint)
    n = x.numel()
    if n >= 10000:
        mean_out, mean_x = float(out.double().mean()), float(x.double().mean())
        spread = float(x.double().abs().max()) * math.sqrt(p / (1 - p) / n) * 8 if p < 1 else 0.0
        if abs(mean_out - mean_x) > spread + 1e-9:
            checks.fail(what, f"the mean of the output is {mean_out:.5g}, that of x {mean_x:.5g}: inverted "
                        "dropout keeps the expected value.", None)
    if x.dim() >= 2 and x.shape[0] >= 8 and 0 < p < 1:
        rows = (out != 0).reshape(x.shape[0], -1)
        if bool((rows == rows[0]).all()):
            checks.fail(what, "every row of the batch got the same mask.",
                        "draw one random number per entry (the shape of x), not one row of them for the whole batch.")
    again = _dropout_call(inverted_dropout, x.clone(), p, True, torch.Generator().manual_seed(seed), what=what)
    if not torch.equal(again, out):
        checks.fail(what, "two calls with generators seeded alike give different masks.",
                    "draw the mask with torch.rand(x.shape, generator=generator) (or torch.bernoulli(..., generator=...)).")
    what = f"inverted_dropout(x, p=0.0, training=True) on {kind}"
    zero = _dropout_call(inverted_dropout, x.clone(), 0.0, True, torch.Generator().manual_seed(seed), what=what)
    if not torch.allclose(zero, x):
        if not bool(torch.isfinite(zero).all()):
            hint = "a division by p, which is 0 here: the survivors are divided by the KEEP probability 1 - p."
        elif bool((zero[nz] == 0).all()):
            hint = "everything was dropped: keep an entry when its random number is >= p (kept with probability 1 - p)."
        else:
            hint = None
        checks.fail(what, "with p = 0 nothing is dropped and the scale 1/(1 - 0) is 1: the output must equal x.", hint)


# ---------------------------------------------------------------- exercise 5: early stopping

class _Probe(nn.Module):
    """A one-weight model whose weight the scenario sets to the epoch number before each check."""

    def __init__(self, dtype=torch.float32):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2, dtype=dtype))


def _simulate(cls, losses, patience, min_delta):
    """Run cls(patience, min_delta) over the losses; returns (stop index or None, restored epoch)."""
    model = _Probe()
    stopper = cls(patience=patience, min_delta=min_delta)
    stop = None
    for epoch, loss in enumerate(losses):
        with torch.no_grad():
            model.w.fill_(float(epoch))          # training changes the weights in place, as an optimizer does
        if stopper.step(loss, model):
            stop = epoch
            break
    with torch.no_grad():
        model.w.fill_(-1.0)                      # the live weights move on after the last check
    fresh = _Probe()                             # restore into a model that holds other weights (-2)
    with torch.no_grad():
        fresh.w.fill_(-2.0)
    stopper.restore(fresh)
    return stop, float(fresh.w.detach()[0])


class _Variant:
    """An early-stopping rule written as the catalogued mistakes write it."""

    def __init__(self, patience=5, min_delta=0.0, *, kind="ok"):
        self.patience, self.min_delta, self.kind = patience, min_delta, kind
        self.best, self.prev, self.bad, self.state = float("inf"), float("inf"), 0, None

    def step(self, loss, model):
        ref = self.prev if self.kind == "vs-previous" else self.best
        delta = 0.0 if self.kind == "no-min-delta" else self.min_delta
        better = loss <= ref - delta if self.kind == "ties-improve" else loss < ref - delta
        if self.kind == "relative":
            better = loss < ref * (1 - self.min_delta)
        if self.kind == "count-only" and not better and loss < self.best:
            self.best, self.state = loss, {k: v.clone() for k, v in model.state_dict().items()}   # saved, not counted
        if better:
            self.best = min(self.best, loss) if self.kind == "vs-previous" else loss
            self.state = model.state_dict() if self.kind == "no-copy" else {k: v.clone() for k, v in
                                                                             model.state_dict().items()}
            if self.kind != "no-reset":
                self.bad = 0
        else:
            self.bad += 1
        self.prev = loss
        return self.bad > self.patience if self.kind == "late" else self.bad >= self.patience

    def restore(self, model):
        if self.kind != "no-restore":
            model.load_state_dict(self.state)


EARLY_MISTAKES = (
    ("no-copy", "the saved weights changed after you saved them: model.state_dict() holds references to the live "
                "tensors, which the optimizer keeps changing. Save a copy (copy.deepcopy(model.state_dict()), or "
                "{k: v.clone() for k, v in ...})."),
    ("no-reset", "after an improvement the count of checks without improvement must start again from 0."),
    ("vs-previous", "compare with the BEST loss so far, not with the previous epoch's: a loss that creeps up and "
                    "down would otherwise never stop training."),
    ("ties-improve", "an improvement is val_loss < best_loss - min_delta (strictly): an equal loss is not better."),
    ("no-min-delta", "min_delta is ignored: a loss counts as better only if it beats the best by more than min_delta."),
    ("relative", "min_delta is an absolute margin: improvement is val_loss < best_loss - min_delta, not "
                 "best_loss * (1 - min_delta)."),
    ("count-only", "a loss that beats the best by less than min_delta is not an improvement: do not store its "
                   "weights or update best_loss either."),
    ("late", "you stop one check late: stop as soon as `patience` checks in a row brought no improvement "
             "(count >= patience)."),
    ("no-restore", "restore(model) must load the best weights back into the model it is given (model.load_state_dict)."),
)

EARLY_FORBIDDEN = (answers.EarlyStopping,)


def check_early_stopping(EarlyStopping, losses, patience: int, min_delta: float = 0.0) -> None:
    """EarlyStopping(patience, min_delta): step(val_loss, model) returns True exactly at the check where
    `patience` checks in a row have not beaten the best loss by more than min_delta; restore(model) then
    loads a copy of the weights from the best check."""
    shown = ", ".join(f"{v:g}" for v in losses)
    what = f"EarlyStopping(patience={patience}, min_delta={min_delta}) on the validation losses [{shown}]"
    got = checks.call(_simulate, EarlyStopping, list(losses), patience, min_delta, what=what, forbidden=EARLY_FORBIDDEN)
    want = _simulate(_Variant, list(losses), patience, min_delta)
    if got == want:
        return
    hint = None
    for kind, text in EARLY_MISTAKES:
        try:
            if _simulate(lambda patience, min_delta, k=kind: _Variant(patience, min_delta, kind=k),
                         list(losses), patience, min_delta) == got:
                hint = text
                break
        except Exception:
            continue
    last = want[0] if got[0] == want[0] and want[0] is not None else None
    if (hint is None and last is not None and got[1] == last and want[1] != last
            and losses[last] > min(losses[:last + 1])):           # the last check was not the lowest loss
        hint = ("restore() loaded the weights of the last check, not of the best one: store the copy only when the "
                "loss improves.")
    say = lambda s: "never stopped" if s[0] is None else f"stopped at check {s[0]}"   # noqa: E731
    checks.fail(what, f"expected it to stop at check {want[0]} (counting from 0) and to restore the weights of "
                f"check {want[1]:g}; yours {say(got)} and restored the weights of check {got[1]:g}.", hint)


# ---------------------------------------------------------------- exercise 6: ensembles

ENSEMBLE_MISTAKES = (
    Mistake("average-logits", "you averaged the logits and then took the softmax: the ensemble averages the "
            "PROBABILITIES, softmax first, then the mean over models.",
            lambda z: _softmax(z.mean(dim=0), dim=-1)),
    Mistake("wrong-model-axis", "the mean runs over the models, dim 0 of (M, N, K).",
            lambda z: _softmax(z, dim=-1).mean(dim=1)),
    Mistake("softmax-over-models", "the softmax runs over the classes (the last axis), not over the models.",
            lambda z: _softmax(z, dim=0).mean(dim=0)),
    Mistake("softmax-over-examples", "the softmax runs over the classes (the last axis of (M, N, K)), not over the "
            "examples (dim 1).", lambda z: _softmax(z, dim=1).mean(dim=0)),
    Mistake("sum-not-mean", "you added the M models' probabilities: divide by M (the mean), so rows sum to 1.",
            lambda z: _softmax(z, dim=-1).sum(dim=0)),
    Mistake("majority-vote", "you counted votes (the share of models whose arg-max is each class): the ensemble "
            "averages the models' full probability vectors, which keeps how sure each model is.",
            lambda z: torch.nn.functional.one_hot(z.argmax(dim=-1), z.shape[-1]).to(z.dtype).mean(dim=0)),
    Mistake("log-probs", "log-probabilities were averaged: the ensemble's output is the mean of the probabilities.",
            lambda z: torch.log_softmax(z, dim=-1).mean(dim=0)),
)
ENSEMBLE_FORBIDDEN = (answers.ensemble_probs,)


def check_ensemble(ensemble_probs, logits: torch.Tensor) -> None:
    """ensemble_probs(logits (M, N, K)) is the mean over models of softmax over classes, (N, K) probabilities."""
    M, N, K = logits.shape
    what = f"ensemble_probs on logits of shape (M={M}, N={N}, K={K}) ({str(logits.dtype).replace('torch.', '')})"
    out = checks.call(ensemble_probs, logits.clone(), what=what, forbidden=ENSEMBLE_FORBIDDEN)
    checks.expect_tensor(out, what=what)
    expected = _softmax(logits.to(_float64), dim=-1).mean(dim=0).to(logits.dtype)
    try:
        checks.expect_close(out, expected, what=what, mistakes=ENSEMBLE_MISTAKES, args=(logits,), **_tolerance(logits))
    except checks.CheckFailure as err:
        if "Likely mistake" not in str(err) and tuple(out.shape) == (N, K):
            checks.expect_form(out, "probabilities", what=what)      # no known mistake: say which form it has
        raise
