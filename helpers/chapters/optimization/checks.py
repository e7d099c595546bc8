"""Checks for chapter 05 (optimization and loss landscapes), with each exercise's catalogue of known
wrong answers. The test cells choose the inputs; these functions decide.

Oracles: eigenvalues from ``torch.linalg.eigvalsh`` and Hessians from
``torch.autograd.functional.hessian`` in float64, run outside the student's code; for the optimizer
steps and the schedule, the course's references, which tests/chapters/test_optimization.py proves
equal to ``torch.optim.SGD/RMSprop/Adam`` and ``torch.optim.lr_scheduler`` step for step (to 1e-15).
The test cells do not build torch.optim objects themselves: the first one imports torch._dynamo,
3 to 4 s of every graded submission. Every ``check_*`` raises CheckFailure or returns None.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from helpers.chapters.optimization import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

# Bound at import time: a submission that rebinds them does not change the verdicts.
_eigvalsh = torch.linalg.eigvalsh
_hessian = torch.autograd.functional.hessian
_float64 = torch.float64
_is_tensor = torch.is_tensor


def _ref(fn):
    return fn.__wrapped__


# ---------------------------------------------------------------- forbidden functions

HESSIAN_LIBRARY = checks.AUTOGRAD_LIBRARY + ("torch.autograd.functional.hessian", "torch.func.hessian",
                                             "torch.func.jacfwd", "torch.autograd.functional.vhp",
                                             "torch.autograd.functional.hvp")
OPTIM_LIBRARY = ("torch.optim.SGD.step", "torch.optim.RMSprop.step", "torch.optim.Adam.step", "torch.optim.AdamW.step",
                 "torch.optim.Adagrad.step", "torch.optim.sgd.sgd", "torch.optim.rmsprop.rmsprop",
                 "torch.optim.adam.adam", "torch.optim.adamw.adamw")
SCHEDULE_LIBRARY = ("torch.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.LinearLR",
                    "torch.optim.lr_scheduler.SequentialLR", "torch.optim.lr_scheduler.OneCycleLR")

CLASSIFY_FORBIDDEN = (answers.classify_critical_point,)
HESSIAN_FORBIDDEN = HESSIAN_LIBRARY + (answers.double_well_hessian,)
GD_RATE_FORBIDDEN = (answers.gd_contraction, answers.gd_best_lr)
EMA_FORBIDDEN = (answers.ema_weights,)
MOMENTUM_FORBIDDEN = OPTIM_LIBRARY + (answers.momentum_step,)
RMSPROP_FORBIDDEN = OPTIM_LIBRARY + (answers.rmsprop_step,)
ADAM_FORBIDDEN = OPTIM_LIBRARY + (answers.adam_step, "helpers.training.Adam.step")
SCHEDULE_FORBIDDEN = SCHEDULE_LIBRARY + (answers.warmup_cosine,)


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-4, "rtol": 1e-4}


# ---------------------------------------------------------------- exercise: classify a critical point

def _label(lam: torch.Tensor, tol: float) -> str:
    pos, neg = bool((lam > tol).any()), bool((lam < -tol).any())
    if pos and neg:
        return "saddle"
    return "min" if bool((lam > tol).all()) else "max" if bool((lam < -tol).all()) else "degenerate"


def _by_diagonal(H, tol=1e-8):
    return _label(torch.diagonal(H), tol)


def _by_det_trace(H, tol=1e-8):
    det, tr = float(torch.linalg.det(H)), float(torch.diagonal(H).sum())
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "min" if tr > 0 else "max"


def _relative_tol(H, tol=1e-8):
    lam = _eigvalsh(H)
    return _label(lam, tol * max(1.0, float(lam.abs().max())))


def _zero_first(H, tol=1e-8):
    lam = _eigvalsh(H)
    return "degenerate" if bool((lam.abs() <= tol).any()) else _label(lam, tol)


CLASSIFY_MISTAKES = (   # the most specific first: a later one may match the same answer
    Mistake("no-tolerance", "an eigenvalue within tol of 0 counts as zero: compare with tol (lam > tol, lam < -tol), "
            "not with 0, or rounding decides.", lambda H, tol=1e-8: _label(_eigvalsh(H), 0.0)),
    Mistake("relative-tol", "tol is an absolute threshold: an eigenvalue counts as zero when |lambda| <= tol, "
            "not when it is small relative to the largest one (tol * max |lambda|).", _relative_tol),
    Mistake("zero-before-saddle", "one positive and one negative eigenvalue make a saddle even when another "
            "eigenvalue is 0: test for mixed signs before calling the point degenerate.", _zero_first),
    Mistake("det-trace-rule", "the determinant and trace decide in two dimensions only. With more eigenvalues a "
            "positive determinant can come from two negative ones and a positive one (a saddle): use the signs "
            "of all the eigenvalues.", _by_det_trace),
    Mistake("diagonal-rule", "you read the signs of the diagonal of H. A positive diagonal is necessary for a "
            "minimum but not sufficient: [[1, 2], [2, 1]] has eigenvalues 3 and -1, a saddle. Use the eigenvalues "
            "(torch.linalg.eigvalsh).", _by_diagonal),
)


_CLASSIFY_WHY = {
    "min": "every eigenvalue is above tol: the function rises in every direction, a minimum.",
    "max": "every eigenvalue is below -tol: the function falls in every direction, a maximum.",
    "saddle": "there are eigenvalues above tol and below -tol: up along one eigenvector, down along another, "
              "a saddle (whatever the other eigenvalues are).",
    "degenerate": "an eigenvalue is within tol of 0 and the others do not have mixed signs: the second-order "
                  "test cannot decide, 'degenerate'.",
}


def check_classify(classify: Callable, H: torch.Tensor, tol: float | None = None) -> None:
    """classify(H[, tol]) names the critical point whose Hessian is H by its eigenvalues' signs."""
    kw = {} if tol is None else {"tol": tol}
    lam = _eigvalsh(H.to(_float64))
    what = (f"classify_critical_point(H{', tol=' + repr(tol) if tol is not None else ''}) for the {tuple(H.shape)} "
            f"{str(H.dtype).replace('torch.', '')} Hessian {checks.fmt(H, 9)} (eigenvalues {checks.fmt(lam)})")
    out = checks.call(classify, H.clone(), what=what, forbidden=CLASSIFY_FORBIDDEN, **kw)
    if isinstance(out, str) and out not in ("min", "max", "saddle", "degenerate"):
        checks.fail(what, f"got {out!r}, which is not one of 'min', 'max', 'saddle', 'degenerate'.",
                    "return exactly one of these four strings.")
    expected = _label(lam, 1e-8 if tol is None else tol)
    if isinstance(out, str) and out == expected:
        return
    if not isinstance(out, str):
        checks.expect_equal(out, expected, what=what)          # fails, naming the type
    hint = checks.diagnose(out, CLASSIFY_MISTAKES, (H,), kw, expected=expected) or _CLASSIFY_WHY[expected]
    checks.fail(what, f"expected {expected!r}, got {out!r}.", hint)


# ---------------------------------------------------------------- exercise: derive a Hessian

def _hessian_variant(x, A, *, sym=True, half=True, three=3.0, power=2, outer=False, quartic=True):
    M = A if not sym else ((A + A.T) / 2 if half else A + A.T)
    if not quartic:
        return M
    if outer:
        return M + three * torch.outer(x, x)
    return M + torch.diag(three * x ** power)


HESSIAN_MISTAKES = (
    Mistake("not-symmetrised", "the quadratic term's Hessian is (A + A^T) / 2, not A: x^T A x only sees the symmetric "
            "part of A (differentiate sum_ij A_ij x_i x_j with respect to x_k and then x_l).",
            lambda x, A: _hessian_variant(x, A, sym=False)),
    Mistake("no-half", "the 1/2 in front of x^T A x is missing: the second derivative of 1/2 x^T A x is (A + A^T)/2, "
            "not A + A^T.", lambda x, A: _hessian_variant(x, A, half=False)),
    Mistake("transposed-A", "A^T alone is not the Hessian of the quadratic term: it is (A + A^T) / 2.",
            lambda x, A: _hessian_variant(x.new_zeros(x.shape), A.T, sym=False) + torch.diag(3 * x ** 2)),
    Mistake("no-three", "the second derivative of x^4 / 4 is 3 x^2, not x^2.",
            lambda x, A: _hessian_variant(x, A, three=1.0)),
    Mistake("first-derivative", "x^3 is the first derivative of x^4 / 4; the Hessian needs the second, 3 x^2.",
            lambda x, A: _hessian_variant(x, A, three=1.0, power=3)),
    Mistake("outer-product", "the quartic term is a sum of functions of one coordinate each: its Hessian is diagonal, "
            "diag(3 x^2), not the outer product 3 x x^T.", lambda x, A: _hessian_variant(x, A, outer=True)),
    Mistake("no-quartic", "the Hessian of the quartic term 1/4 sum x_i^4 is missing: add diag(3 x^2).",
            lambda x, A: _hessian_variant(x, A, quartic=False)),
)


def check_hessian(hessian_fn: Callable, x: torch.Tensor, A: torch.Tensor) -> None:
    """hessian_fn(x, A) is the Hessian of f(x) = 1/2 x^T A x + 1/4 sum x_i^4, equal to autograd's."""
    what = f"double_well_hessian(x, A) at x = {checks.fmt(x)} with a {tuple(A.shape)} A" + \
        ("" if bool(torch.equal(A, A.T)) else " that is not symmetric")
    out = checks.call(hessian_fn, x.clone(), A.clone(), what=what, forbidden=HESSIAN_FORBIDDEN)
    n = x.shape[0]
    checks.expect_tensor(out, what=what, shape=(n, n), dtype=x.dtype)
    A64 = A.to(_float64)
    expected = _hessian(lambda z: answers.double_well(z, A64), x.to(_float64)).to(x.dtype)
    checks.expect_close(out, expected, what=what, mistakes=HESSIAN_MISTAKES, args=(x, A), **_tolerance(x))


# ---------------------------------------------------------------- exercise: derive gradient descent's rate

def _eig(H):
    return _eigvalsh(H.to(_float64))


CONTRACTION_MISTAKES = (
    Mistake("no-abs", "a factor 1 - lr lambda below -1 also makes the error grow (it flips sign and grows): take "
            "the absolute value, max |1 - lr lambda|.", lambda H, lr: (1 - lr * _eig(H)).max().to(H.dtype)),
    Mistake("largest-eigenvalue-only", "every eigen-direction contracts by its own |1 - lr lambda_i|; the slowest "
            "one can be the smallest eigenvalue's: take the max over all of them.",
            lambda H, lr: (1 - lr * _eig(H)[-1]).abs().to(H.dtype)),
    Mistake("smallest-eigenvalue-only", "with a large lr the largest eigenvalue's factor |1 - lr lambda_max| is the "
            "worst: take the max over all eigenvalues.", lambda H, lr: (1 - lr * _eig(H)[0]).abs().to(H.dtype)),
    Mistake("diagonal", "the diagonal of H is not its spectrum unless H is diagonal: use the eigenvalues.",
            lambda H, lr: (1 - lr * torch.diagonal(H).to(_float64)).abs().max().to(H.dtype)),
    Mistake("lr-times-lambda", "the error is multiplied by I - lr H per step, so the factor is |1 - lr lambda|, "
            "not lr lambda.", lambda H, lr: (lr * _eig(H)).abs().max().to(H.dtype)),
)
BEST_LR_MISTAKES = (
    Mistake("one-over-lmax", "1 / lambda_max zeroes the steepest direction but leaves the flattest at "
            "1 - lambda_min / lambda_max; the best lr balances the two extreme factors: "
            "1 - lr lambda_min = -(1 - lr lambda_max).", lambda H: (1 / _eig(H)[-1]).to(H.dtype)),
    Mistake("two-over-lmax", "2 / lambda_max is the edge of divergence (the factor of lambda_max is -1), not the "
            "best rate: balance 1 - lr lambda_min = lr lambda_max - 1.", lambda H: (2 / _eig(H)[-1]).to(H.dtype)),
    Mistake("one-over-sum", "solve 1 - lr lambda_min = -(1 - lr lambda_max): lr = 2 / (lambda_min + lambda_max); "
            "the 2 is missing.", lambda H: (1 / (_eig(H)[0] + _eig(H)[-1])).to(H.dtype)),
    Mistake("one-over-lmin", "1 / lambda_min overshoots in the steep directions (their factor |1 - lambda / "
            "lambda_min| can exceed 1).", lambda H: (1 / _eig(H)[0]).to(H.dtype)),
    Mistake("mean-eigenvalue", "the average of all eigenvalues does not set the rate: only the extreme ones "
            "lambda_min and lambda_max do.", lambda H: (1 / _eig(H).mean()).to(H.dtype)),
    Mistake("diagonal", "the diagonal of H is not its spectrum unless H is diagonal: use the eigenvalues.",
            lambda H: (2 / (torch.diagonal(H).min() + torch.diagonal(H).max())).to(H.dtype)),
)


def check_gd_rate(gd_contraction: Callable, gd_best_lr: Callable, H: torch.Tensor, lr: float) -> None:
    """gd_contraction(H, lr) = max_i |1 - lr lambda_i| and gd_best_lr(H) = 2 / (lambda_min + lambda_max)."""
    lam = _eig(H)
    shown = f"H with eigenvalues {checks.fmt(lam)}" + ("" if bool(torch.equal(H, torch.diag(torch.diagonal(H))))
                                                       else " (not diagonal)")
    tol = _tolerance(H)
    what = f"gd_contraction(H, lr={lr}) for {shown}"
    out = checks.call(gd_contraction, H.clone(), lr, what=what, forbidden=GD_RATE_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=H.dtype)
    checks.expect_close(out, (1 - lr * lam).abs().max().to(H.dtype), what=what, mistakes=CONTRACTION_MISTAKES,
                        args=(H, lr), **tol)
    if float(lam[0]) <= 0:
        return                                           # no best rate without positive curvature everywhere
    what = f"gd_best_lr(H) for {shown}"
    best = checks.call(gd_best_lr, H.clone(), what=what, forbidden=GD_RATE_FORBIDDEN)
    checks.expect_tensor(best, what=what, shape=(), dtype=H.dtype)
    checks.expect_close(best, (2 / (lam[0] + lam[-1])).to(H.dtype), what=what, mistakes=BEST_LR_MISTAKES,
                        args=(H,), **tol)


# ---------------------------------------------------------------- exercise: derive the EMA's weights

def _ema_variant(beta, k, *, reverse=False, factor=True, shift=0, normalise=False):
    i = torch.arange(1, k + 1, dtype=_float64)
    w = ((1 - beta) if factor else 1.0) * beta ** ((i - 1 if reverse else k - i) + shift)
    return w / w.sum() if normalise else w


EMA_MISTAKES = (
    Mistake("reversed", "the newest gradient g_k must weigh most: w_i = (1 - beta) beta^(k - i), so w_k = 1 - beta "
            "and the oldest, w_1, is the smallest.", lambda beta, k: _ema_variant(beta, k, reverse=True)),
    Mistake("no-one-minus-beta", "each new gradient enters with the factor (1 - beta): m_t = beta m_(t-1) + "
            "(1 - beta) g_t, so w_i = (1 - beta) beta^(k - i).", lambda beta, k: _ema_variant(beta, k, factor=False)),
    Mistake("exponent-off-by-one", "g_k has been multiplied by beta zero times: its weight is (1 - beta) beta^0; "
            "the exponent is k - i, not k - i + 1.", lambda beta, k: _ema_variant(beta, k, shift=1)),
    Mistake("normalised", "these weights are already divided by their sum (that is the bias-corrected average): "
            "the raw m_k's weights sum to 1 - beta^k, not 1.", lambda beta, k: _ema_variant(beta, k, normalise=True)),
)


def check_ema_weights(ema_weights: Callable, beta: float, k: int) -> None:
    """ema_weights(beta, k) gives m_k = sum_i w_i g_i for the recursion from m_0 = 0; checked against the
    recursion itself on random gradient sequences, and the weights themselves."""
    what = f"ema_weights(beta={beta}, k={k})"
    out = checks.call(ema_weights, beta, k, what=what, forbidden=EMA_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(k,), dtype=_float64)
    gs = torch.randn(k, 3, dtype=_float64, generator=torch.Generator().manual_seed(k))     # (k, 3) gradients
    m = torch.zeros(3, dtype=_float64)
    for g in gs:
        m = beta * m + (1 - beta) * g                    # the recursion, m_0 = 0
    expected = _ref(answers.ema_weights)(beta, k)
    if not bool(torch.allclose(out.to(_float64) @ gs, m, atol=1e-12, rtol=1e-10)):
        hint = checks.diagnose(out, EMA_MISTAKES, (beta, k), {}, expected=expected)
        checks.fail(what, f"sum_i w_i g_i with your weights is {checks.fmt(out.to(_float64) @ gs)}, but running the "
                    f"recursion on the same {k} gradients (3 coordinates each) gives m_k = {checks.fmt(m)}.", hint)
    checks.expect_close(out, expected, what=what, mistakes=EMA_MISTAKES, args=(beta, k), atol=1e-12, rtol=1e-10)


# ---------------------------------------------------------------- optimizer steps: one trajectory checker

def problem(theta0: torch.Tensor, steps: int, seed: int = 0):
    """A noisy, axis-aligned quadratic of theta0's shape and dtype: grad_fn(theta, k) = a theta - b + noise_k,
    curvatures a in [0.2, 5] (ill-conditioned), so the gradients change sign and scale along the way."""
    gen = torch.Generator().manual_seed(seed)
    shape, dt = tuple(theta0.shape), theta0.dtype
    a = (0.2 + 4.8 * torch.rand(shape, generator=gen, dtype=_float64)).to(dt)
    b = torch.randn(shape, generator=gen, dtype=_float64).to(dt)
    noise = (0.5 * torch.randn((steps,) + shape, generator=gen, dtype=_float64)).to(dt)
    return lambda theta, k: a * theta - b + noise[k]


def trajectory(step: Callable, theta0: torch.Tensor, lrs: list[float], hyper: dict, seed: int = 0,
               student: dict | None = None) -> torch.Tensor:
    """theta after each step (len(lrs), *theta0.shape), from theta0 and a fresh state dict.
    ``student``: checks.call's what/forbidden to run ``step`` as graded code."""
    grad_fn = problem(theta0, len(lrs), seed)
    theta, state, out = theta0.clone(), {}, []
    for k, lr in enumerate(lrs):
        g = grad_fn(theta, k)
        if student is None:
            new = step(theta, g, state, lr, **hyper)
        else:
            what = f"{student['what']}, step {k + 1}"
            new = checks.call(step, theta, g, state, lr, what=what, forbidden=student["forbidden"],
                              mutates=("state",), **hyper)
            checks.expect_tensor(new, what=what, shape=tuple(theta0.shape), dtype=theta0.dtype)
            if new is theta:
                checks.fail(what, "it returned the very tensor it was given.", "return a new tensor: theta - lr * ...")
            if not isinstance(state, dict):
                checks.fail(what, "the state is no longer a dict.")
        theta = new.detach() if _is_tensor(new) else new
        out.append(theta)
    return torch.stack(out)


def _check_steps(step: Callable, reference: Callable, mistakes, *, name: str, forbidden, theta0: torch.Tensor,
                 lrs: list[float], hyper: dict, seed: int) -> None:
    shown = ", ".join(f"{k}={v}" for k, v in hyper.items())
    lr_text = f"lr={lrs[0]}" if len(set(lrs)) == 1 else f"lr changing every step ({lrs[0]:.3g} ... {lrs[-1]:.3g})"
    what = f"{name}(theta, g, state, {lr_text}{', ' + shown if shown else ''}) on {checks.describe(theta0, False)}"
    actual = trajectory(step, theta0, lrs, hyper, seed, student={"what": what, "forbidden": forbidden})
    exact = trajectory(_ref(reference), theta0.to(_float64), lrs, hyper, seed)
    expected = exact.to(theta0.dtype)
    tol = _tolerance(theta0)
    bad = [k for k in range(len(lrs)) if not bool(torch.allclose(actual[k].to(_float64), exact[k], **tol))]
    if not bad:
        return
    k = bad[0]
    first = f"{what}: theta after each of {len(lrs)} steps (first wrong after step {k + 1}"
    first += ", the very first step)" if k == 0 else ", the earlier ones are right)"
    args = (theta0, lrs, hyper, seed)
    if checks.diagnose(actual, mistakes, args, {}, expected=expected) is None:
        hint = _first_step_hint(actual, exact, theta0, lrs, hyper, seed)
        if hint is not None:
            checks.fail(first, f"expected {checks.fmt(expected)}, got {checks.fmt(actual)}.", hint)
    checks.expect_close(actual, expected, what=first, mistakes=mistakes, args=args, **tol)


def _first_step_hint(actual, exact, theta0, lrs, hyper, seed) -> str | None:
    """What the first step says about a wrong trajectory no catalogued mistake explains: a constant
    factor against the right first step (named when it is a hyperparameter), the gradient or the update
    returned instead of the new theta, or a right first step and wrong later ones (the state)."""
    t0 = theta0.to(_float64)
    g1 = problem(t0, len(lrs), seed)(t0, 0)
    mine, right = actual[0].to(_float64) - t0, exact[0] - t0
    same = lambda a, b: bool(torch.allclose(a, b, atol=1e-6, rtol=1e-4))      # noqa: E731
    if same(actual[0].to(_float64), g1) or same(actual[0].to(_float64), -g1):
        return "your function returned the gradient (or the velocity), not the new parameters: return theta - lr * ..."
    if same(actual[0].to(_float64), right) or same(actual[0].to(_float64), -right):
        return "your function returned the update itself, not the new parameters: return theta minus the update."
    if same(mine, right):
        return ("the first step is right and a later one is not: check what you keep in `state` between calls "
                "and how it enters the next step (and the step count, if you keep one).")
    if bool((right.abs() > 1e-12).all()):
        ratio = mine / right
        c = float(ratio.mean())
        if float(ratio.std(correction=0)) <= 1e-6 * max(1.0, abs(c)) and abs(c) > 1e-12:
            names = {"beta": hyper.get("beta"), "1 - beta": 1 - hyper["beta"] if "beta" in hyper else None,
                     "1 + beta": 1 + hyper["beta"] if "beta" in hyper else None, "lr": lrs[0],
                     "1 / lr": 1 / lrs[0], "1 - alpha": 1 - hyper["alpha"] if "alpha" in hyper else None,
                     "sqrt(1 - alpha)": math.sqrt(1 - hyper["alpha"]) if "alpha" in hyper else None,
                     "1 / sqrt(1 - alpha)": 1 / math.sqrt(1 - hyper["alpha"]) if "alpha" in hyper else None}
            named = [n for n, v in names.items() if v is not None and math.isclose(c, v, rel_tol=1e-6)]
            return (f"your first step is {c:.4g} times the right one{' (that is ' + named[0] + ')' if named else ''}: "
                    "a factor is missing or extra in the update." if c > 0 else
                    f"your first step goes the wrong way ({c:.4g} times the right one): descend, theta - lr * ...")
    return None


def _mistake(name: str, hint: str, wrong_step: Callable) -> Mistake:
    """A catalogued wrong step, as the trajectory it produces on the check's inputs."""
    return Mistake(name, hint, lambda theta0, lrs, hyper, seed: trajectory(
        wrong_step, theta0.to(_float64), lrs, hyper, seed).to(theta0.dtype))


def _mom_dampened(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + (1 - beta) * g
    state["v"] = v
    return theta - lr * (g + beta * v if nesterov else v)


def _mom_lr_inside(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + lr * g
    state["v"] = v
    return theta - (lr * g + beta * v if nesterov else v)


def _mom_old_velocity(theta, g, state, lr, beta=0.9, nesterov=False):
    v_old = state.get("v", torch.zeros_like(g))
    state["v"] = beta * v_old + g
    return theta - lr * v_old


def _plain_sgd(theta, g, state, lr, **_):
    return theta - lr * g


def _mom_heavy_ball(theta, g, state, lr, beta=0.9, nesterov=False):
    return _ref(answers.momentum_step)(theta, g, state, lr, beta, nesterov=False)


MOMENTUM_MISTAKES = (
    _mistake("dampened", "torch.optim.SGD(momentum=beta) adds the gradient itself, v = beta v + g (dampening 0); "
             "v = beta v + (1 - beta) g is an average, whose steps are (1 - beta) times smaller.", _mom_dampened),
    _mistake("lr-in-velocity", "you folded lr into the velocity (v = beta v + lr g, theta -= v). That equals "
             "torch's rule only while lr stays constant; with a schedule the old velocity must be scaled by the "
             "new lr: keep v = beta v + g and step theta - lr v.", _mom_lr_inside),
    _mistake("old-velocity", "update the velocity first and step with the new one: v = beta v + g, then "
             "theta - lr v (your first step did not move).", _mom_old_velocity),
    _mistake("no-memory", "this is plain gradient descent: keep the velocity in state (state['v']) from one call "
             "to the next.", _plain_sgd),
    _mistake("nesterov-ignored", "with nesterov=True the step is theta - lr (g + beta v) with v the NEW velocity "
             "(beta v_old + g); theta - lr v, or g + beta v_old, is the heavy-ball step.", _mom_heavy_ball),
)


def check_momentum_step(momentum_step: Callable, theta0: torch.Tensor, lrs: list[float], seed: int = 0,
                        **hyper) -> None:
    """momentum_step follows torch.optim.SGD(momentum=beta, dampening=0, nesterov) step for step."""
    _check_steps(momentum_step, answers.momentum_step, MOMENTUM_MISTAKES, name="momentum_step",
                 forbidden=MOMENTUM_FORBIDDEN, theta0=theta0, lrs=lrs, hyper=hyper, seed=seed)


def _rms(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8, *, kind="ok"):
    s_old = state.get("s", torch.zeros_like(g))
    t = state.get("t", 0) + 1
    state["t"] = t
    if kind == "adagrad":
        s = s_old + g * g
    elif kind == "g2-start":
        s = alpha * s_old + (1 - alpha) * g * g if "s" in state else g * g
    elif kind == "no-one-minus":
        s = alpha * s_old + g * g
    else:
        s = alpha * s_old + (1 - alpha) * g * g
    state["s"] = s
    if kind == "eps-inside":
        return theta - lr * g / (s + eps).sqrt()
    if kind == "bias-corrected":
        return theta - lr * g / ((s / (1 - alpha ** t)).sqrt() + eps)
    if kind == "no-sqrt":
        return theta - lr * g / (s + eps)
    if kind == "old-s":
        return theta - lr * g / (s_old.sqrt() + eps)
    return theta - lr * g / (s.sqrt() + eps)


def _rms_mistake(name, hint, kind):
    return _mistake(name, hint, lambda *a, **k: _rms(*a, **k, kind=kind))


RMSPROP_MISTAKES = (
    _rms_mistake("eps-inside-sqrt", "torch.optim.RMSprop adds eps after the square root: g / (sqrt(s) + eps), "
                 "not g / sqrt(s + eps).", "eps-inside"),
    _rms_mistake("adagrad", "that is AdaGrad (s = s + g^2, a sum that never forgets); RMSProp keeps a moving "
                 "average s = alpha s + (1 - alpha) g^2.", "adagrad"),
    _rms_mistake("no-one-minus-alpha", "the new g^2 enters with the factor (1 - alpha): s = alpha s + "
                 "(1 - alpha) g^2.", "no-one-minus"),
    _rms_mistake("bias-corrected", "torch.optim.RMSprop does not correct the average's bias (Adam does): use s "
                 "itself, not s / (1 - alpha^t).", "bias-corrected"),
    _rms_mistake("no-sqrt", "divide by the root of the mean square, sqrt(s) + eps, not by s.", "no-sqrt"),
    _rms_mistake("old-average", "update s with this step's g^2 first, then divide by sqrt(s) + eps.", "old-s"),
    _rms_mistake("s-starts-at-g2", "s starts at 0 (torch.optim.RMSprop's square_avg is zeros): s_1 = (1 - alpha) "
                 "g^2, so the first step is lr / sqrt(1 - alpha) in size; do not start s at g^2.", "g2-start"),
)


def check_rmsprop_step(rmsprop_step: Callable, theta0: torch.Tensor, lrs: list[float], seed: int = 0,
                       **hyper) -> None:
    """rmsprop_step follows torch.optim.RMSprop(lr, alpha, eps) step for step."""
    _check_steps(rmsprop_step, answers.rmsprop_step, RMSPROP_MISTAKES, name="rmsprop_step",
                 forbidden=RMSPROP_FORBIDDEN, theta0=theta0, lrs=lrs, hyper=hyper, seed=seed)


def _adam(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, *, kind="ok"):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g * g
    state.update(m=m, v=v, t=t)
    c1, c2 = 1 - b1 ** t, 1 - b2 ** t
    if kind == "no-correction":
        c1 = c2 = 1.0
    elif kind == "m-only":
        c2 = 1.0
    elif kind == "v-only":
        c1 = 1.0
    elif kind == "t-plus-one":
        c1, c2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
    elif kind == "t-stuck":
        c1, c2 = 1 - b1, 1 - b2
    elif kind == "one-minus-beta-power":
        c1, c2 = (1 - b1) ** t, (1 - b2) ** t
    if kind == "eps-inside":
        return theta - lr * (m / c1) / (v / c2 + eps).sqrt()
    if kind == "eps-before-correction":
        return theta - lr * (m / c1) / ((v.sqrt() + eps) / math.sqrt(c2))
    return theta - lr * (m / c1) / ((v / c2).sqrt() + eps)


def _adam_mistake(name, hint, kind):
    return _mistake(name, hint, lambda *a, **k: _adam(*a, **k, kind=kind))


ADAM_MISTAKES = (
    _adam_mistake("no-bias-correction", "without bias correction the first steps are off: m and v start at 0, "
                  "so divide by 1 - beta1^t and 1 - beta2^t (t = 1, 2, ... counts the steps).", "no-correction"),
    _adam_mistake("m-only", "correct v too: v_hat = v / (1 - beta2^t).", "m-only"),
    _adam_mistake("v-only", "correct m too: m_hat = m / (1 - beta1^t).", "v-only"),
    _adam_mistake("t-plus-one", "the bias correction of step t uses beta^t with t = 1 on the first call: your "
                  "count is one ahead.", "t-plus-one"),
    _adam_mistake("t-not-counted", "the step count t must grow with every call (keep it in state): the "
                  "correction 1 - beta^t fades as t grows.", "t-stuck"),
    _adam_mistake("eps-inside-sqrt", "eps is added after the square root: m_hat / (sqrt(v_hat) + eps).",
                  "eps-inside"),
    _adam_mistake("eps-before-correction", "add eps to sqrt(v_hat), after the correction: (sqrt(v) + eps) / "
                  "sqrt(1 - beta2^t) scales eps as well.", "eps-before-correction"),
    _adam_mistake("one-minus-beta-power", "the correction is 1 - beta^t (beta to the power t, subtracted from 1), "
                  "not (1 - beta)^t: the two agree on step 1 only.", "one-minus-beta-power"),
)


def check_adam_step(adam_step: Callable, theta0: torch.Tensor, lrs: list[float], seed: int = 0, **hyper) -> None:
    """adam_step follows torch.optim.Adam(lr, betas, eps) step for step."""
    _check_steps(adam_step, answers.adam_step, ADAM_MISTAKES, name="adam_step", forbidden=ADAM_FORBIDDEN,
                 theta0=theta0, lrs=lrs, hyper=hyper, seed=seed)


ADAM_FIRST_STEP_MISTAKES = tuple(
    Mistake(m.name, m.hint, lambda theta, g, lr, _k=kind: _adam(theta, g, {}, lr, kind=_k))
    for m, kind in zip(ADAM_MISTAKES, ("no-correction", "m-only", "v-only", "t-plus-one", "t-stuck", "eps-inside",
                                       "eps-before-correction", "one-minus-beta-power")))


def check_adam_first_step_size(adam_step: Callable, scale: float, lr: float = 0.01) -> None:
    """Adam's first step moves every coordinate by lr (up to eps), whatever the gradient's scale."""
    what = f"adam_step's first step (lr={lr}) for a gradient of size about {scale:g}"
    g = scale * torch.tensor([1.0, -3.0, 0.5], dtype=_float64)
    theta = torch.zeros(3, dtype=_float64)
    new = checks.call(adam_step, theta, g, {}, lr, what=what, forbidden=ADAM_FORBIDDEN, mutates=("state",))
    checks.expect_tensor(new, what=what, shape=(3,), dtype=_float64)
    expected = _ref(answers.adam_step)(theta, g, {}, lr)
    if bool(torch.allclose(new, expected, atol=1e-12, rtol=1e-9)):
        return
    hint = checks.diagnose(new, ADAM_FIRST_STEP_MISTAKES, (theta, g, lr), {}, expected=expected)
    checks.fail(what, f"the first step moved the coordinates by {checks.fmt((new - theta).abs())}; with the bias "
                f"correction m_hat = g and v_hat = g^2 on step 1, so each moves by lr |g| / (|g| + eps), here "
                f"{checks.fmt((expected - theta).abs())}.", hint)


# ---------------------------------------------------------------- exercise: warm-up and cosine

def _sched(step, total_steps, warmup_steps, lr_max, lr_min=0.0, *, kind="ok"):
    W, S = warmup_steps, total_steps - warmup_steps
    if step < W:
        return lr_max * (step if kind == "warmup-from-zero" else step + 1) / W
    s = step if kind == "cos-from-start" else step - W
    period = total_steps if kind == "period-total" else (S - 1 if kind == "period-minus-one" else S)
    if kind == "linear":
        return lr_min + (lr_max - lr_min) * (1 - s / period)
    if kind == "no-lr-min":
        return lr_max * (1 + math.cos(math.pi * s / period)) / 2
    if kind == "no-half":
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * s / period))
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * s / period)) / 2


def _sched_mistake(name, hint, kind):
    return Mistake(name, hint, lambda total, warmup, lr_max, lr_min: torch.tensor(
        [_sched(t, total, warmup, lr_max, lr_min, kind=kind) for t in range(total)], dtype=_float64))


SCHEDULE_MISTAKES = (
    _sched_mistake("warmup-from-zero", "step 0 would train at lr 0: warm up with lr_max (step + 1) / warmup_steps, "
                   "so that the last warm-up step reaches lr_max.", "warmup-from-zero"),
    _sched_mistake("cosine-from-step-0", "the cosine starts where the warm-up ends: use s = step - warmup_steps.",
                   "cos-from-start"),
    _sched_mistake("period-total", "the cosine runs over the steps left after the warm-up, total_steps - "
                   "warmup_steps, not over total_steps.", "period-total"),
    _sched_mistake("period-minus-one", "the half cosine spans S = total_steps - warmup_steps (as "
                   "CosineAnnealingLR(T_max=S)): divide by S, not S - 1.", "period-minus-one"),
    _sched_mistake("no-lr-min", "the cosine goes from lr_max down to lr_min: lr_min + (lr_max - lr_min) "
                   "(1 + cos(pi s / S)) / 2.", "no-lr-min"),
    _sched_mistake("no-half", "(1 + cos) runs from 2 to 0: halve it, so the schedule starts at lr_max.", "no-half"),
    _sched_mistake("linear-decay", "that is a linear decay; the statement asks for a half cosine.", "linear"),
)


def check_warmup_cosine(warmup_cosine: Callable, total_steps: int, warmup_steps: int, lr_max: float,
                        lr_min: float | None = None) -> None:
    """warmup_cosine(step, ...) for every step of the run equals the warm-up plus cosine schedule."""
    kw = {} if lr_min is None else {"lr_min": lr_min}
    what = (f"warmup_cosine(step, total_steps={total_steps}, warmup_steps={warmup_steps}, lr_max={lr_max}"
            f"{'' if lr_min is None else f', lr_min={lr_min}'})")
    values = []
    for t in range(total_steps):
        out = checks.call(warmup_cosine, t, total_steps, warmup_steps, lr_max, what=f"{what} at step {t}",
                          forbidden=SCHEDULE_FORBIDDEN, **kw)
        if _is_tensor(out) and out.numel() == 1:
            out = float(out)
        if isinstance(out, bool) or not isinstance(out, (int, float)) or not math.isfinite(out):
            checks.fail(f"{what} at step {t}", f"expected a finite Python float, got {type(out).__name__} "
                        f"{checks.fmt(out)}.", "return one number per step as a float: math.cos on floats, or "
                        "float(...) of a one-element tensor.")
        values.append(float(out))
    actual = torch.tensor(values, dtype=_float64)
    expected = torch.tensor([_ref(answers.warmup_cosine)(t, total_steps, warmup_steps, lr_max, **kw)
                             for t in range(total_steps)], dtype=_float64)
    args = (total_steps, warmup_steps, lr_max, lr_min or 0.0)
    shown = f"{what}: the learning rate of each step 0 .. {total_steps - 1}"
    ok = (actual - expected).abs() <= 1e-12 + 1e-9 * expected.abs()
    if not bool(ok.all()) and checks.diagnose(actual, SCHEDULE_MISTAKES, args, {}, expected=expected) is None:
        W = warmup_steps
        warm_ok, cos_ok = bool(ok[:W].all()), bool(ok[W:].all())
        if warm_ok and not cos_ok:
            tail = actual[W:]
            hint = ("the warm-up steps are right, the cosine steps are not"
                    + (": they do not decrease from lr_max to lr_min; math.cos takes radians, "
                       "pi s / S runs from 0 to pi."
                       if bool((tail[1:] > tail[:-1] + 1e-15).any()) else
                       f": at step {W} (s = 0) the rate must be lr_max, and it falls to lr_min as s reaches S = "
                       f"total_steps - warmup_steps."))
            checks.fail(shown, f"expected {checks.fmt(expected[W:])} from step {W} on, got {checks.fmt(tail)}.", hint)
        if cos_ok and not warm_ok:
            checks.fail(shown, f"expected {checks.fmt(expected[:W])} during the warm-up, got {checks.fmt(actual[:W])}.",
                        "the cosine part is right, the warm-up is not: step t < warmup_steps trains at "
                        "lr_max (t + 1) / warmup_steps, rising in equal steps to lr_max at t = warmup_steps - 1.")
    checks.expect_close(actual, expected, what=shown, mistakes=SCHEDULE_MISTAKES, args=args, atol=1e-12, rtol=1e-9)
