"""Checks for chapter 02 (gradients and gradient descent), with each exercise's catalogue of known
wrong answers. The test cells choose the inputs; these functions decide.

Every ``check_*`` function raises helpers.grading.checks.CheckFailure with a message for the student, or
returns None. Oracles are autograd in float64 or closed-form formulas, never the student's code.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from helpers.chapters.gradients import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

_float64 = torch.float64
_randperm = torch.randperm
_Generator = torch.Generator
_autograd_grad = torch.autograd.grad
_norm = torch.linalg.vector_norm
_eigvalsh = torch.linalg.eigvalsh
_lstsq = torch.linalg.lstsq
_equal = torch.equal

# ---------------------------------------------------------------- what each exercise may not call

MSE_LIBRARY = checks.AUTOGRAD_LIBRARY + ("torch.nn.functional.mse_loss",)
CE_LIBRARY = checks.AUTOGRAD_LIBRARY + ("torch.nn.functional.cross_entropy",)

# ... and the course's own answer to the same exercise
NUMERICAL_GRAD_FORBIDDEN = checks.AUTOGRAD_LIBRARY + (answers.numerical_grad, checks.numerical_gradient)
SUM_SQUARES_FORBIDDEN = (answers.grad_of_sum_of_squares,)
DIRECTIONAL_FORBIDDEN = (answers.directional_derivative,)
GD_FORBIDDEN = (answers.gradient_descent,)
RELATIVE_ERROR_FORBIDDEN = (answers.relative_error,)
LINREG_FORBIDDEN = MSE_LIBRARY + (answers.linreg_grads,)
SOFTREG_FORBIDDEN = CE_LIBRARY + (answers.softmax_regression_grads,)
SGD_FORBIDDEN = (answers.minibatch_sgd_linreg,)


def _autograd(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The oracle: autograd's gradient of scalar f at x, in float64."""
    with torch.enable_grad():
        leaf = x.detach().to(_float64).clone().requires_grad_(True)
        (grad,) = _autograd_grad(f(leaf), leaf)
    return grad


# ---------------------------------------------------------------- the functions the tests differentiate

def sum_sq_sin(x: torch.Tensor) -> torch.Tensor:
    """f(x) = sum_i x_i^2 + sin(x_0 x_1); x: (d,) with d >= 2 -> 0-d."""
    flat = x.reshape(-1)
    return (flat ** 2).sum() + torch.sin(flat[0] * flat[1])


_CE_TARGET = torch.tensor([2, 0, 1, 3, 1, 0, 2, 3])


def _log_softmax_rows(z: torch.Tensor) -> torch.Tensor:
    """log softmax of each row by the log-sum-exp trick, written out: softmax_ce runs inside the
    student's call, where the library's softmax functions may be refused. z: (N, K) -> (N, K)."""
    shifted = z - z.amax(dim=1, keepdim=True)
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def softmax_ce(z: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of logits z: (N, K), N <= 8, K >= 4, against fixed targets -> 0-d."""
    target = _CE_TARGET[: z.shape[0]].to(z.device)
    return -_log_softmax_rows(z)[torch.arange(z.shape[0], device=z.device), target].mean()


def quadratic(x: torch.Tensor) -> torch.Tensor:
    """f(x) = 1/2 x^T A x + b^T x with a fixed symmetric A (coupled coordinates); x: (d,), d <= 5."""
    d = x.numel()
    A = (torch.eye(5, dtype=x.dtype) * 3 + 1.0)[:d, :d].to(x.device)
    b = torch.arange(1.0, d + 1, dtype=x.dtype, device=x.device)
    flat = x.reshape(-1)
    return 0.5 * flat @ A @ flat + b @ flat


def steep_exp(x: torch.Tensor) -> torch.Tensor:
    """f(x) = sum exp(8 x) / 100: large curvature, so one-sided differences are visibly worse."""
    return torch.exp(8 * x).sum() / 100


FUNCTIONS = {"sum_sq_sin": sum_sq_sin, "softmax_ce": softmax_ce, "quadratic": quadratic, "steep_exp": steep_exp}
_NAMES = {"sum_sq_sin": "f(x) = sum(x**2) + sin(x0*x1)", "softmax_ce": "a softmax cross-entropy loss",
          "quadratic": "f(x) = x.A.x/2 + b.x", "steep_exp": "f(x) = sum(exp(8x))/100"}


# ---------------------------------------------------------------- exercise 1: numerical gradient

def _nd(f, x, h, formula, restore=True, dtype=_float64):
    x = x.detach().to(dtype).clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        gflat[i] = formula(f, x, flat, i, old, h)
        if restore:
            flat[i] = old
    return grad


def _central(f, x, flat, i, old, h):
    flat[i] = old + h
    up = float(f(x))
    flat[i] = old - h
    return (up - float(f(x))) / (2 * h)


def _forward(f, x, flat, i, old, h):
    base = float(f(x))
    flat[i] = old + h
    return (float(f(x)) - base) / h


def _no_two(f, x, flat, i, old, h):
    return 2 * _central(f, x, flat, i, old, h)


NUMERICAL_GRAD_MISTAKES = (
    Mistake("forward-difference",
            "you used the one-sided difference (f(x + h) - f(x)) / h: its error shrinks like h, the central "
            "difference (f(x + h) - f(x - h)) / (2h) has error like h**2 and is what the exercise asks for.",
            lambda f, x, h=1e-6: _nd(f, x, h, _forward)),
    Mistake("no-2h",
            "your gradient is twice too large: (f(x + h) - f(x - h)) spans a distance of 2h, so divide by 2*h, not h.",
            lambda f, x, h=1e-6: _nd(f, x, h, _no_two)),
    Mistake("not-restored",
            "after perturbing coordinate i you did not put it back to its old value, so later coordinates are "
            "differentiated at a shifted point: restore x[i] before moving on.",
            lambda f, x, h=1e-6: _nd(f, x, h, _central, restore=False)),
    Mistake("float32",
            "you computed in float32: with about 7 significant digits, x + h and x - h barely differ from x for "
            "h = 1e-6. Work on a float64 copy: x.detach().to(torch.float64).clone().",
            lambda f, x, h=1e-6: _nd(f, x, h, _central, dtype=torch.float32)),
)


def check_numerical_grad(numerical_grad, name: str, x: torch.Tensor, h: float | None = None,
                         atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """numerical_grad(f, x[, h]) returns float64 central differences of x's shape, equal to autograd's
    gradient within atol + rtol*|g|, and leaves x unchanged. ``name`` picks f from FUNCTIONS."""
    f = FUNCTIONS[name]
    what = f"numerical_grad for {_NAMES[name]} at {checks.describe(x, values=False)}" + (f" with h={h}" if h is not None else "")
    before = x.detach().clone()
    kwargs = {} if h is None else {"h": h}
    out = checks.call(numerical_grad, f, x, what=what, forbidden=NUMERICAL_GRAD_FORBIDDEN, **kwargs)
    checks.expect_tensor(out, what=what)
    if tuple(out.shape) != tuple(x.shape):
        checks.fail(what, f"expected shape {tuple(x.shape)} (the gradient has one entry per entry of x), "
                    f"got {tuple(out.shape)}.", "allocate the result with torch.zeros_like on your float64 copy of x.")
    if out.dtype != _float64:
        checks.fail(what, f"expected a float64 result, got {out.dtype}.", NUMERICAL_GRAD_MISTAKES[3].hint)
    if x.shape != before.shape or not bool(((x.detach().to(_float64) - before.to(_float64)).abs()
                                            <= 1e-9 * (1 + before.to(_float64).abs())).all()):
        checks.fail(what, "it changed the caller's x.",
                    "perturb a copy, x = x.detach().to(torch.float64).clone(), never the argument itself.")
    expected = _autograd(f, before)
    rel = _rel(out, expected) if bool(torch.isfinite(out.detach().to(_float64)).all()) else math.inf
    verdict = "fine" if rel < 1e-7 else "suspicious" if rel < 1e-2 else "a wrong gradient"
    what += f" (relative error to autograd {rel:.1e}: {verdict})"
    checks.expect_close(out, expected, what=what, atol=atol, rtol=rtol, mistakes=NUMERICAL_GRAD_MISTAKES,
                        args=(f, before), kwargs=kwargs)


# ---------------------------------------------------------------- exercise 1b: relative error

def _rel(a, b, tiny: float = 1e-12, *, scale: str = "max", reduce: str = "max") -> float:
    """The relative error of the exercise (scale="max", reduce="max") and the usual ways to get it wrong."""
    a64, b64 = a.detach().to(_float64), b.detach().to(_float64)
    floor = torch.full_like(a64, tiny)
    if scale == "norm":
        return float(_norm(a64 - b64) / max(float(_norm(a64)), float(_norm(b64)), tiny))
    den = {"max": torch.maximum(torch.maximum(a64.abs(), b64.abs()), floor),
           "b": b64.abs(),
           "b-floored": torch.maximum(b64.abs(), floor),
           "sum": torch.maximum(a64.abs() + b64.abs(), floor),
           "no-tiny": torch.maximum(a64.abs(), b64.abs()),
           "signed": torch.maximum(torch.maximum(a64, b64), floor)}[scale]
    err = (a64 - b64).abs() / den
    return float(err.max() if reduce == "max" else err.mean())


RELATIVE_ERROR_MISTAKES = (
    Mistake("no-tiny",
            "where both entries are 0 you divided 0 by 0 (nan): include tiny in the maximum, max(|a|, |b|, tiny).",
            lambda a, b, tiny=1e-12: _rel(a, b, tiny, scale="no-tiny")),
    Mistake("divides-by-b",
            "you divided by |b| only: the relative error must not depend on which argument is the reference, "
            "and it must stay finite where b is 0. Divide by max(|a|, |b|, tiny).",
            lambda a, b, tiny=1e-12: _rel(a, b, tiny, scale="b")),
    Mistake("divides-by-b-floored",
            "you divided by max(|b|, tiny) only: the relative error must not depend on which argument is the "
            "reference, and where b is 0 it must compare with |a|. Divide by max(|a|, |b|, tiny).",
            lambda a, b, tiny=1e-12: _rel(a, b, tiny, scale="b-floored")),
    Mistake("sum-denominator",
            "you divided by |a| + |b|: the exercise's scale is the larger of the two, max(|a|, |b|, tiny).",
            lambda a, b, tiny=1e-12: _rel(a, b, tiny, scale="sum")),
    Mistake("no-abs-in-denominator",
            "the scale must use absolute values: for negative entries max(a, b) is negative (or the tiny floor). "
            "Use max(|a|, |b|, tiny).", lambda a, b, tiny=1e-12: _rel(a, b, tiny, scale="signed")),
    Mistake("mean-not-max",
            "you averaged the entrywise errors: a gradient check reports the worst entry (.max()), since a single "
            "wrong entry is a bug.", lambda a, b, tiny=1e-12: _rel(a, b, tiny, reduce="mean")),
    Mistake("norm-based",
            "you compared norms, |a - b| / max(|a|, |b|) over the whole tensor: the exercise asks for the "
            "largest entrywise relative error, which does not let large entries hide a wrong small one.",
            lambda a, b, tiny=1e-12: _rel(a, b, tiny, scale="norm")),
)


def _same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-12)


def check_relative_error(relative_error, a: torch.Tensor, b: torch.Tensor, tiny: float | None = None) -> None:
    """relative_error(a, b[, tiny]) is the Python float max over entries of |a - b| / max(|a|, |b|, tiny)."""
    kwargs = {} if tiny is None else {"tiny": tiny}
    what = (f"relative_error(a, b{'' if tiny is None else f', tiny={tiny}'}) for a = {checks.fmt(a)}, "
            f"b = {checks.fmt(b)}")
    out = checks.call(relative_error, a, b, what=what, forbidden=RELATIVE_ERROR_FORBIDDEN, **kwargs)
    if isinstance(out, torch.Tensor):
        checks.fail(what, f"expected a Python float, got a tensor {checks.fmt(out)}.",
                    "turn the 0-d result into a number with float(...) or .item().")
    if not isinstance(out, float):
        checks.fail(what, f"expected a Python float, got {type(out).__name__} {checks.fmt(out)}.")
    expected = _rel(a, b, **kwargs)
    if _same_float(out, expected):
        return
    hint = None
    for mistake in RELATIVE_ERROR_MISTAKES:
        wrong = mistake.variant(a, b, **kwargs)
        if not _same_float(wrong, expected) and _same_float(out, wrong):
            hint = mistake.hint
            break
    checks.fail(what, f"expected {expected:.6g}, got {out:.6g}.", hint)


# ---------------------------------------------------------------- exercise 2: autograd on x^2 + y^2

def check_grad_of_sum_of_squares(grad_of_sum_of_squares, x0: float, y0: float) -> None:
    """grad_of_sum_of_squares(x0, y0) returns (2*x0, 2*y0) as a tuple of two Python floats."""
    what = f"grad_of_sum_of_squares({x0}, {y0})"
    out = checks.call(grad_of_sum_of_squares, x0, y0, what=what, forbidden=SUM_SQUARES_FORBIDDEN)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        checks.fail(what, f"expected a tuple of two floats, got {checks.fmt(out)}.",
                    "return (x.grad.item(), y.grad.item()).")
    if not all(isinstance(v, float) for v in out):
        checks.fail(what, f"expected two Python floats, got {type(out[0]).__name__} and {type(out[1]).__name__}.",
                    "turn a 0-d tensor into a Python float with .item().")
    expected = (2.0 * x0, 2.0 * y0)
    if all(math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-6) for a, e in zip(out, expected)):
        return
    hint = None
    if tuple(out) == (2.0, 4.0):
        hint = "(2.0, 4.0) is the answer at (1, 2) only: compute the gradient at the point you are given."
    elif all(math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-6) for a, e in zip(out, (x0, y0))):
        hint = "you returned the point itself; call z.backward() and read x.grad and y.grad."
    elif all(math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-6) for a, e in zip(out, (4.0 * x0, 4.0 * y0))):
        hint = "the gradient doubled: backward() ran twice and .grad accumulated; create fresh leaf tensors."
    checks.fail(what, f"expected {expected}, got {tuple(out)}.", hint)


# ---------------------------------------------------------------- exercise 3: directional derivative

def _dd_unnormalized(f, x, l):
    return (_autograd(f, x) * l.to(_float64)).sum()


def _dd_cosine(f, x, l):
    g = _autograd(f, x)
    l = l.to(_float64)
    return (g / _norm(g) * l / _norm(l)).sum()


DIRECTIONAL_MISTAKES = (
    Mistake("not-normalized",
            "you did not normalize l: the directional derivative is grad f . l / |l|; without dividing by |l| "
            "the answer scales with the length of l.", _dd_unnormalized),
    Mistake("cosine-only", "you normalized the gradient too, which leaves only cos(theta); keep |grad f|.",
            _dd_cosine),
    Mistake("flipped-sign", "the sign is flipped: moving along the gradient must increase f.",
            lambda f, x, l: -(_autograd(f, x) * l.to(_float64) / _norm(l.to(_float64))).sum()),
)

_DD_FUNCTIONS = {"sum_sq_sin": sum_sq_sin, "quadratic": quadratic, "steep_exp": steep_exp}


def check_directional_derivative(directional_derivative, name: str, x: torch.Tensor, l: torch.Tensor) -> None:
    """directional_derivative(f, x, l) is a 0-d tensor equal to grad f(x) . l/|l| (the one-sided limit
    along the unit vector), and leaves x as it was (no requires_grad, no .grad)."""
    f = _DD_FUNCTIONS[name]
    what = f"directional_derivative for {_NAMES[name]} at x = {checks.fmt(x)}, l = {checks.fmt(l)}"
    x_in, l_in = x.detach().clone(), l.detach().clone()
    out = checks.call(directional_derivative, f, x_in, l_in, what=what, forbidden=DIRECTIONAL_FORBIDDEN)
    checks.expect_tensor(out, what=what)
    if out.numel() != 1:
        checks.fail(what, f"expected a single number (a 0-d tensor), got shape {tuple(out.shape)}.",
                    "take the dot product of the gradient with the unit direction: (grad * l).sum().")
    if x_in.requires_grad or x_in.grad is not None or not _equal(x_in, x) or not _equal(l_in, l):
        checks.fail(what, "it changed the caller's tensors (requires_grad, .grad or values).",
                    "differentiate a copy: leaf = x.detach().clone().requires_grad_(True).")
    g = _autograd(f, x)
    l64 = l.to(_float64)
    expected = (g * l64 / _norm(l64)).sum().to(x.dtype)
    checks.expect_close(out.reshape(()), expected, what=what, atol=1e-6, rtol=1e-5,
                        mistakes=DIRECTIONAL_MISTAKES, args=(f, x, l))
    # The same number from its definition: the limit of (f(x + t l/|l|) - f(x)) / t, here central differences.
    t, unit = 1e-5, l64 / _norm(l64)
    x64 = x.to(_float64)
    fd = (float(f(x64 + t * unit)) - float(f(x64 - t * unit))) / (2 * t)
    if not math.isclose(float(out), fd, rel_tol=1e-4, abs_tol=1e-4):
        checks.fail(what, f"finite differences along l/|l| give {fd:.6g}, you returned {float(out):.6g}.")


def _directional_hint(f, x: torch.Tensor, directions: list[torch.Tensor], got: list[float]) -> str | None:
    """The hint of the DIRECTIONAL_MISTAKES variant whose values on ``directions`` match ``got`` (and differ
    from the right ones there), else None: a hint is given only when its mistake explains the output."""
    def same(u: list[float], v: list[float]) -> bool:
        return all(math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6) for a, b in zip(u, v))
    g = _autograd(f, x)
    right = [float((g * l.to(_float64)).sum() / _norm(l.to(_float64))) for l in directions]
    for mistake in DIRECTIONAL_MISTAKES:
        wrong = [float(mistake.variant(f, x, l)) for l in directions]
        if not same(wrong, right) and same(got, wrong):
            return mistake.hint
    return None


def check_steepest_ascent(directional_derivative, name: str, x: torch.Tensor, n: int = 1000, seed: int = 0) -> None:
    """Over n random unit directions, the directional derivative never exceeds |grad f|, and the best
    direction is (close to) grad f / |grad f|, where the derivative equals |grad f|. A hint names a
    catalogue mistake only when that mistake's values match the ones returned."""
    f = _DD_FUNCTIONS[name]
    what = f"directional_derivative for {_NAMES[name]} over {n} random unit directions at x = {checks.fmt(x)}"
    dirs = torch.randn(n, x.numel(), generator=_Generator().manual_seed(seed), dtype=x.dtype)
    dirs = dirs / _norm(dirs, dim=1, keepdim=True)                                       # (n, d) unit rows
    got = checks.call(lambda: [float(directional_derivative(f, x.clone(), l)) for l in dirs], what=what,
                      forbidden=DIRECTIONAL_FORBIDDEN)
    values = torch.tensor(got, dtype=_float64)
    g = _autograd(f, x)
    gnorm = float(_norm(g))
    best = int(values.argmax())
    if float(values.max()) > gnorm * (1 + 1e-5) + 1e-6:
        checks.fail(what, f"the largest value {float(values.max()):.6g} exceeds |grad f| = {gnorm:.6g}.",
                    _directional_hint(f, x, list(dirs), got))
    cos = float((dirs[best].to(_float64) * g).sum()) / gnorm
    if cos < 0.95:
        checks.fail(what, f"the steepest of the {n} directions makes cos = {cos:.3f} with the gradient; "
                    "it should point along the gradient.", _directional_hint(f, x, list(dirs), got))
    l3 = g.to(x.dtype) * 3
    along = float(checks.call(directional_derivative, f, x.clone(), l3, what=what,
                             forbidden=DIRECTIONAL_FORBIDDEN))
    if not math.isclose(along, gnorm, rel_tol=1e-5, abs_tol=1e-6):
        checks.fail(what, f"along l = 3 grad f it returned {along:.6g}; expected |grad f| = {gnorm:.6g}.",
                    _directional_hint(f, x, [l3], [along]))


# ---------------------------------------------------------------- exercise 4: gradient descent

def _gd(grad_fn, theta0, lr, n_steps, sign=-1.0):
    path = [theta0.detach().clone()]
    for _ in range(n_steps):
        path.append(path[-1] + sign * lr * grad_fn(path[-1]))
    return torch.stack(path)


GD_MISTAKES = (
    Mistake("missing-theta0", "the trajectory must start with theta0 itself: n_steps + 1 rows, row 0 = theta0.",
            lambda g, t, lr, n: _gd(g, t, lr, n)[1:]),
    Mistake("ascent", "you added the gradient (gradient *ascent*): descent moves against it, theta - lr * grad.",
            lambda g, t, lr, n: _gd(g, t, lr, n, sign=1.0)),
    Mistake("same-tensor",
            "every row equals the final point: you appended the same tensor object and then updated it in place "
            "(theta -= ...). Append a copy, or write theta = theta - lr * grad (a new tensor).",
            lambda g, t, lr, n: _gd(g, t, lr, n)[-1:].expand(n + 1, -1)),
    Mistake("one-step-too-many", "you took n_steps + 1 steps.", lambda g, t, lr, n: _gd(g, t, lr, n + 1)),
)


def quadratic_grad(A: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """grad of f(theta) = 1/2 theta^T A theta, which is A theta (A symmetric). theta: (d,) -> (d,)."""
    return lambda theta: A @ theta


def check_gradient_descent(gradient_descent, A: torch.Tensor, theta0: torch.Tensor, lr: float, n_steps: int) -> None:
    """gradient_descent(grad_fn, theta0, lr, n_steps) on f = theta.A.theta/2 returns the (n_steps + 1, d)
    trajectory theta_0 = theta0, theta_{t+1} = theta_t - lr A theta_t, and leaves theta0 unchanged."""
    what = f"gradient_descent on f = theta.A.theta/2 from theta0 = {checks.fmt(theta0)} with lr={lr}, n_steps={n_steps}"
    start = theta0.clone()
    grad_fn = quadratic_grad(A)
    out = checks.call(gradient_descent, grad_fn, start, lr, n_steps, what=what, forbidden=GD_FORBIDDEN)
    checks.expect_tensor(out, what=what)
    if not _equal(start, theta0):
        checks.fail(what, f"theta0 was modified in place: it is now {checks.fmt(start)}.",
                    "start from a copy, theta = theta0.clone(), and update with theta = theta - lr * grad.")
    expected = _gd(grad_fn, theta0, lr, n_steps)
    checks.expect_close(out, expected, what=what, atol=1e-9, rtol=1e-7, mistakes=GD_MISTAKES,
                        args=(grad_fn, theta0, lr, n_steps))


def max_stable_lr(A: torch.Tensor) -> float:
    """2 / lambda_max(A): GD on theta.A.theta/2 converges for every start iff 0 < lr < this."""
    return 2.0 / float(_eigvalsh(A.to(_float64)).max())


def check_gd_stability(gradient_descent, A: torch.Tensor, theta0: torch.Tensor, n_steps: int = 300) -> None:
    """Just below lr = 2/lambda_max the iterates shrink towards 0; just above they blow up."""
    limit = max_stable_lr(A)
    grad_fn = quadratic_grad(A)
    for factor, converge in ((0.9, True), (1.1, False)):
        lr = factor * limit
        what = f"gradient_descent with lr = {factor} * 2/lambda_max = {lr:.4g} on f = theta.A.theta/2"
        path = checks.call(gradient_descent, grad_fn, theta0.clone(), lr, n_steps, what=what, forbidden=GD_FORBIDDEN)
        checks.expect_tensor(path, what=what, shape=(n_steps + 1, theta0.numel()))
        ratio = float(_norm(path[-1].to(_float64))) / float(_norm(theta0.to(_float64)))
        if converge and not ratio < 1e-3:
            ascent = _gd(grad_fn, theta0, lr, n_steps, sign=1.0)                # the hint only if it is that
            is_ascent = bool(torch.isclose(path.to(_float64), ascent.to(_float64), rtol=1e-7, atol=1e-9).all())
            checks.fail(what, f"|theta| went from {float(_norm(theta0)):.3g} to {float(_norm(path[-1])):.3g}; "
                        "it should shrink towards the minimum at 0.", GD_MISTAKES[1].hint if is_ascent else None)
        if not converge and not ratio > 1.0:
            checks.fail(what, f"|theta| went from {float(_norm(theta0)):.3g} to {float(_norm(path[-1])):.3g}; "
                        "above 2/lambda_max each step should overshoot further.")


# ---------------------------------------------------------------- exercise 5: gradients of linear regression's MSE

def _linreg_variant(X, y, w, b, *, sign=1.0, factor=2.0, mean=True, transposed=True, bias_in_pred=True,
                    bias_grad="sum"):
    """What a derivation of dL/dw, dL/db for L = mean((Xw + b - y)^2) gives with one step changed.
    Computed in float64, returned in X's dtype."""
    X64, y64, w64, b64 = (t.detach().to(_float64) for t in (X, y, w, b))
    n = X.shape[0] if mean else 1
    r = sign * (X64 @ w64 + (b64 if bias_in_pred else 0.0) - y64)                 # (N,)
    gw = (X64.T @ r if transposed else X64 @ r) * factor / n
    gb = {"sum": r.sum(), "zero": torch.zeros((), dtype=_float64)}[bias_grad] * factor / n
    return gw.to(X.dtype), gb.to(X.dtype)


LINREG_MISTAKES = (
    Mistake("no-mean",
            "the 1/N of the mean is missing: L averages (yhat_n - y_n)^2 over the N examples, and the derivative "
            "of a mean is the mean of the derivatives. Without it the gradient grows with the batch size.",
            lambda *a: _linreg_variant(*a, mean=False)),
    Mistake("no-factor-2",
            "the factor 2 of d/du u^2 = 2u is missing (what you wrote is the gradient of half the MSE).",
            lambda *a: _linreg_variant(*a, factor=1.0)),
    Mistake("flipped-sign",
            "the sign is flipped: d/dyhat (yhat - y)^2 = 2 (yhat - y), positive where the prediction is too high, "
            "so that a step against the gradient lowers the prediction. With y - yhat inside, the inner "
            "derivative d(y - yhat)/dw = -x brings a minus sign back.",
            lambda *a: _linreg_variant(*a, sign=-1.0)),
    Mistake("X-not-transposed",
            "you multiplied X @ r: the chain rule sums the residuals times their inputs over the examples, "
            "sum_n r_n x_n, which is X.T @ r (a (d,) vector), not X @ r.",
            lambda X, y, w, b: _linreg_variant(X, y, w, b, transposed=False) if X.shape[0] == X.shape[1]
            else _raise()),
    Mistake("no-bias-in-prediction",
            "your residuals ignore b: the prediction is yhat = X w + b, so b must be in yhat - y "
            "(this only shows when b is not 0).",
            lambda *a: _linreg_variant(*a, bias_in_pred=False)),
    Mistake("no-bias-gradient",
            "your dL/db is 0: every prediction moves one-for-one with b (d yhat_n / db = 1), so dL/db collects "
            "dL/dyhat_n from all the examples.",
            lambda *a: _linreg_variant(*a, bias_grad="zero")),
)
_PREDICTION_HINT = ("this is dL/dyhat, the gradient with respect to the N predictions (one entry per example). "
                    "The exercise asks for the gradient with respect to the weights: by the chain rule "
                    "dL/dw_j = sum_n dL/dyhat_n * d yhat_n / dw_j, and d yhat_n / dw_j = X[n, j].")
_BIAS_PER_EXAMPLE_HINT = ("dL/db must be one number, like b: you returned one value per example. b enters every "
                          "prediction, so add up the per-example contributions.")


_LINREG_SHAPE_HINT = ("a matrix product with mismatched shapes: X is (N, d) and the residuals r are (N,), so the sum "
                      "over the examples, sum_n r_n x_n, is X.T @ r (shape (d,)); X @ r does not fit.")
_SOFTREG_SHAPE_HINT = ("a matrix product with mismatched shapes: X is (N, d) and dL/dZ is (N, K), so "
                       "dL/dW = X.T @ dL/dZ (shape (d, K)), the sum over the examples n.")


def _call_matrix_code(fn, args, what, forbidden, shape_hint):
    """checks.call, with a hint about transposes when the student's own matrix product failed on shapes."""
    try:
        return checks.call(fn, *args, what=what, forbidden=forbidden)
    except checks.CheckFailure as err:
        text = str(err)
        if "calling it raised" in text and any(s in text for s in ("size mismatch", "cannot be multiplied",
                                                                     "must match the size", "shape mismatch")):
            problem = text.split("\n  Likely mistake:")[0]          # the generic hint is about layers' weights
            raise checks.CheckFailure(f"{problem}\n  Likely mistake: {shape_hint}") from None
        raise


def _raise():
    raise ValueError("this mistake is only visible on a square X")


def _component(mistakes, k: int) -> tuple:
    """The same catalogue, each variant reduced to the k-th entry of the pair it returns."""
    return tuple(Mistake(m.name, m.hint, lambda *a, _v=m.variant: _v(*a)[k]) for m in mistakes)


def _pair(out, what: str, names: tuple[str, str]):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        checks.fail(what, f"expected a pair ({names[0]}, {names[1]}), got {checks.fmt(out)}.",
                    f"return both gradients: return {names[0].replace('dL/d', 'grad_')}, {names[1].replace('dL/d', 'grad_')}.")
    return out


def _tolerances(dtype) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if dtype == _float64 else {"atol": 1e-5, "rtol": 1e-4}


def _linreg_loss(X, y, w, b):
    return ((X @ w + b - y) ** 2).mean()


def check_linreg_grads(linreg_grads, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> None:
    """linreg_grads(X, y, w, b) returns (dL/dw (d,), dL/db 0-d) of L = mean((X w + b - y)^2), equal to autograd's
    in float64, in X's dtype."""
    n, d = X.shape
    what = f"linreg_grads(X, y, w, b) with X of shape {(n, d)} ({X.dtype}), b = {float(b):.3g}"
    args = (X, y, w, b)
    gw, gb = _pair(_call_matrix_code(linreg_grads, args, what, LINREG_FORBIDDEN, _LINREG_SHAPE_HINT), what,
                   ("dL/dw", "dL/db"))
    checks.expect_tensor(gw, what=f"dL/dw from {what}")
    checks.expect_tensor(gb, what=f"dL/db from {what}")
    if tuple(gw.shape) == (n,) and n != d:
        checks.fail(f"dL/dw from {what}", f"expected shape {(d,)} (one entry per weight), got {(n,)}.", _PREDICTION_HINT)
    if tuple(gb.shape) == (n,) and n != 1:
        checks.fail(f"dL/db from {what}", f"expected a 0-d tensor, got shape {(n,)}.", _BIAS_PER_EXAMPLE_HINT)
    with torch.enable_grad():
        w64 = w.detach().to(_float64).requires_grad_(True)
        b64 = b.detach().to(_float64).requires_grad_(True)
        ew, eb = _autograd_grad(_linreg_loss(X.to(_float64), y.to(_float64), w64, b64), (w64, b64))
    tol = _tolerances(X.dtype)
    checks.expect_close(gw, ew.to(X.dtype), what=f"dL/dw from {what}", mistakes=_component(LINREG_MISTAKES, 0),
                        args=args, check_dtype=True, **tol)
    checks.expect_close(gb, eb.to(X.dtype), what=f"dL/db from {what}", mistakes=_component(LINREG_MISTAKES, 1),
                        args=args, check_dtype=True, **tol)


def linreg_problem(n: int, d: int, seed: int, dtype=_float64, bias: float = 0.7):
    """A random (X, y, w, b) for linreg_grads: X (n, d), y (n,), w (d,), b 0-d, in ``dtype``."""
    g = _Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=_float64)
    y = torch.randn(n, generator=g, dtype=_float64)
    w = torch.randn(d, generator=g, dtype=_float64)
    return X.to(dtype), y.to(dtype), w.to(dtype), torch.tensor(bias, dtype=dtype)


# ---------------------------------------------------------------- exercise 6: gradients of softmax regression

def _naive_softmax(z):
    e = torch.exp(z)
    return e / e.sum(dim=1, keepdim=True)


def _softmax64(z):
    z = z.to(_float64)
    e = torch.exp(z - z.amax(dim=1, keepdim=True))
    return e / e.sum(dim=1, keepdim=True)


def _softreg_variant(X, Y, W, b, *, sign=1.0, mean=True, transposed=False, bias_in_logits=True, bias_grad="sum",
                     softmax=_softmax64, prob_term=1.0, target_term=1.0, per_class=False):
    """What a derivation of dL/dW, dL/db for softmax regression gives with one step changed (float64 inside,
    X's dtype out)."""
    X64, Y64, W64, b64 = (t.detach().to(_float64) for t in (X, Y, W, b))
    n, k = Y.shape
    Z = X64 @ W64 + (b64 if bias_in_logits else 0.0)
    G = sign * (prob_term * softmax(Z) - target_term * Y64) / (n if mean else 1) / (k if per_class else 1)
    gW = G.T @ X64 if transposed else X64.T @ G
    gb = {"sum": G.sum(0), "zero": torch.zeros(k, dtype=_float64), "mean": G.mean(0)}[bias_grad]
    return gW.to(X.dtype), gb.to(X.dtype)


SOFTREG_MISTAKES = (
    Mistake("no-mean",
            "the 1/N of the mean over the batch is missing: the loss averages the N per-example cross-entropies.",
            lambda *a: _softreg_variant(*a, mean=False)),
    Mistake("flipped-sign",
            "the sign is flipped: dL/dz = p - y (raising the true class's logit lowers the loss, so its entry is "
            "negative), not y - p.", lambda *a: _softreg_variant(*a, sign=-1.0)),
    Mistake("transposed",
            "your dL/dW is transposed, shape (K, d): a gradient has the shape of its parameter, W is (d, K), and "
            "dL/dW_jk = sum_n X[n, j] * dL/dz_nk, which is X.T @ G (G = dL/dZ), not G.T @ X.",
            lambda *a: _softreg_variant(*a, transposed=True)),
    Mistake("no-softmax-term",
            "you differentiated only the -sum_k y_k z_k part of -log softmax(z)_y: the log-sum-exp part, "
            "log sum_j exp(z_j), has derivative softmax(z), so dL/dz is p - y.",
            lambda *a: _softreg_variant(*a, prob_term=0.0)),
    Mistake("no-target-term",
            "you differentiated only the log-sum-exp part of the loss: the -sum_k y_k z_k part contributes -y, "
            "so dL/dz is p - y.", lambda *a: _softreg_variant(*a, target_term=0.0)),
    Mistake("no-bias-in-logits",
            "your logits ignore b: z = x W + b, and p = softmax(z) must include it (this only shows when b is "
            "not 0).", lambda *a: _softreg_variant(*a, bias_in_logits=False)),
    Mistake("no-bias-gradient",
            "your dL/db is 0: b_k enters every example's logit z_nk with dz_nk/db_k = 1, so dL/db_k collects "
            "dL/dz_nk over the examples n.", lambda *a: _softreg_variant(*a, bias_grad="zero")),
    Mistake("bias-averaged-twice",
            "your dL/db is N times too small: the 1/N is already in dL/dZ, so dL/db is its sum over the "
            "examples, not its mean.", lambda *a: _softreg_variant(*a, bias_grad="mean")),
    Mistake("mean-over-classes",
            "you divided by N*K: the loss sums over the K classes and averages over the N examples only.",
            lambda *a: _softreg_variant(*a, per_class=True)),
    Mistake("softmax-dim0", "softmax must normalize each row (dim=1, over the classes), not each column.",
            lambda *a: _softreg_variant(*a, softmax=lambda z: torch.softmax(z, dim=0))),
    Mistake("unstable-softmax",
            "your softmax overflowed: exp of a logit above ~709 (float64) or ~88 (float32) is inf, and inf/inf "
            "is nan. Subtract each row's maximum before exp (the result is unchanged), or use torch.softmax.",
            lambda *a: _softreg_variant(*a, softmax=_naive_softmax)),
)
_LOGIT_HINT = ("this is dL/dZ, the gradient with respect to the (N, K) logits. The exercise asks for the gradient "
               "with respect to the weights: through Z = X W + b the chain rule gives "
               "dL/dW_jk = sum_n dL/dz_nk * dz_nk/dW_jk with dz_nk/dW_jk = X[n, j].")


def ce_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = -(1/N) sum_n sum_k y_nk log softmax(z_n)_k. z, y: (N, K) -> 0-d."""
    return -(y * _log_softmax_rows(z)).sum() / z.shape[0]


def check_softmax_regression_grads(softmax_regression_grads, X: torch.Tensor, Y: torch.Tensor, W: torch.Tensor,
                                   b: torch.Tensor) -> None:
    """softmax_regression_grads(X, Y, W, b) returns (dL/dW (d, K), dL/db (K,)) of the mean cross-entropy of
    softmax(X W + b) against Y, equal to autograd's in float64, finite for logits past exp's overflow."""
    n, d = X.shape
    k = W.shape[1]
    logits = float((X.to(_float64) @ W.to(_float64) + b.to(_float64)).abs().max())
    kind = "one-hot" if bool(((Y == 0) | (Y == 1)).all()) else "soft"
    what = (f"softmax_regression_grads(X, Y, W, b) with N={n}, d={d}, K={k} ({X.dtype}), {kind} targets, "
            f"logits up to {logits:.4g}")
    args = (X, Y, W, b)
    gW, gb = _pair(_call_matrix_code(softmax_regression_grads, args, what, SOFTREG_FORBIDDEN, _SOFTREG_SHAPE_HINT),
                   what, ("dL/dW", "dL/db"))
    checks.expect_tensor(gW, what=f"dL/dW from {what}")
    checks.expect_tensor(gb, what=f"dL/db from {what}")
    if tuple(gW.shape) == (n, k) and n != d:
        checks.fail(f"dL/dW from {what}", f"expected shape {(d, k)} (the shape of W), got {(n, k)}.", _LOGIT_HINT)
    with torch.enable_grad():
        W64 = W.detach().to(_float64).requires_grad_(True)
        b64 = b.detach().to(_float64).requires_grad_(True)
        eW, eb = _autograd_grad(ce_loss(X.to(_float64) @ W64 + b64, Y.to(_float64)), (W64, b64))
    tol = _tolerances(X.dtype)
    checks.expect_close(gW, eW.to(X.dtype), what=f"dL/dW from {what}", mistakes=_component(SOFTREG_MISTAKES, 0),
                        args=args, check_dtype=True, **tol)
    checks.expect_close(gb, eb.to(X.dtype), what=f"dL/db from {what}", mistakes=_component(SOFTREG_MISTAKES, 1),
                        args=args, check_dtype=True, **tol)


def softmax_regression_problem(n: int, d: int, k: int, seed: int, dtype=_float64, scale: float = 1.0,
                               soft: bool = False):
    """A random (X, Y, W, b): X (n, d), Y (n, k) one-hot (or soft rows summing to 1), W (d, k), b (k,).
    ``scale`` multiplies X and W, so logits grow like scale**2 (past exp's overflow for scale ~ 30)."""
    g = _Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=_float64) * scale
    W = torch.randn(d, k, generator=g, dtype=_float64) * scale
    b = torch.randn(k, generator=g, dtype=_float64)
    if soft:
        Y = torch.softmax(torch.randn(n, k, generator=g, dtype=_float64), dim=1)
    else:
        Y = torch.nn.functional.one_hot(torch.randint(0, k, (n,), generator=g), k).to(_float64)
    return X.to(dtype), Y.to(dtype), W.to(dtype), b.to(dtype)


# ---------------------------------------------------------------- exercise 7: minibatch SGD for linear regression

def _sgd(X, y, batch_size, lr, epochs, seed, *, drop_last=False, reduce="mean", shuffle="each", factor=2.0):
    n = X.shape[0]
    g = _Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device)
    steps = 0
    order = _randperm(n, generator=g) if shuffle == "once" else None
    for _ in range(epochs):
        if shuffle == "each":
            order = _randperm(n, generator=g)
        elif shuffle == "none":
            order = torch.arange(n)
        stop = n - n % batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            idx = order[start:start + batch_size].to(X.device)
            Xb, yb = X[idx], y[idx]
            grad = factor * Xb.T @ (Xb @ w - yb)
            w = w - lr * (grad / len(idx) if reduce == "mean" else grad)
            steps += 1
    return w, steps


SGD_MISTAKES = (
    Mistake("floor-steps",
            "you dropped the last, smaller batch (N // batch_size steps per epoch): an epoch visits every example "
            "once, so it takes ceil(N / batch_size) steps, the last one on the N % batch_size leftovers.",
            lambda *a: _sgd(*a, drop_last=True)[0]),
    Mistake("sum-gradient",
            "you summed the per-example gradients instead of averaging them: the step then grows with the batch "
            "size (and diverges for large batches). Divide by the batch's own length, len(idx).",
            lambda *a: _sgd(*a, reduce="sum")[0]),
    Mistake("shuffled-once",
            "you shuffled only once, before the first epoch: draw a fresh torch.randperm(N, generator=g) at the "
            "start of every epoch.", lambda *a: _sgd(*a, shuffle="once")[0]),
    Mistake("no-shuffle", "you never shuffled: draw torch.randperm(N, generator=g) at the start of every epoch.",
            lambda *a: _sgd(*a, shuffle="none")[0]),
    Mistake("half-mse", "the factor 2 is missing: the gradient of mean((Xw - y)^2) is 2 X^T (Xw - y) / B.",
            lambda *a: _sgd(*a, factor=1.0)[0]),
)
STEP_MISTAKES = (
    Mistake("floor-steps", SGD_MISTAKES[0].hint, lambda X, y, b, lr, e, s: e * (X.shape[0] // b)),
    Mistake("one-epoch", "n_steps counts the steps of all epochs: epochs * ceil(N / batch_size).",
            lambda X, y, b, lr, e, s: math.ceil(X.shape[0] / b)),
)


def _unpack_sgd(out, what):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        checks.fail(what, f"expected a pair (w, n_steps), got {checks.fmt(out)}.")
    w, steps = out
    return w, checks.as_int(steps)


def check_minibatch_sgd_linreg(minibatch_sgd_linreg, X: torch.Tensor, y: torch.Tensor, batch_size: int,
                               lr: float, epochs: int, seed: int = 0) -> None:
    """minibatch_sgd_linreg follows the protocol of the exercise exactly: w from zeros, a fresh randperm
    per epoch from one seeded generator, ceil(N / B) steps per epoch on the mean gradient."""
    args = (X, y, batch_size, lr, epochs, seed)
    what = f"minibatch_sgd_linreg on N={X.shape[0]}, d={X.shape[1]} with batch_size={batch_size}, lr={lr}, epochs={epochs}, seed={seed}"
    w, steps = _unpack_sgd(checks.call(minibatch_sgd_linreg, *args, what=what, forbidden=SGD_FORBIDDEN), what)
    expected_w, expected_steps = _sgd(*args)
    checks.expect_equal(steps, expected_steps, what=f"the number of steps of {what}", mistakes=STEP_MISTAKES, args=args)
    checks.expect_tensor(w, what=what, shape=(X.shape[1],))
    checks.expect_close(w, expected_w, what=f"the weights of {what}", atol=1e-8, rtol=1e-6,
                        mistakes=SGD_MISTAKES, args=args)


def check_sgd_full_batch_is_gd(minibatch_sgd_linreg, X: torch.Tensor, y: torch.Tensor, lr: float, epochs: int) -> None:
    """With batch_size = N every step uses the whole data set: the result equals plain gradient descent."""
    n = X.shape[0]
    what = f"minibatch_sgd_linreg with batch_size = N = {n} (full-batch gradient descent), lr={lr}, epochs={epochs}"
    w, steps = _unpack_sgd(checks.call(minibatch_sgd_linreg, X, y, n, lr, epochs, 3, what=what, forbidden=SGD_FORBIDDEN), what)
    checks.expect_equal(steps, epochs, what=f"the number of steps of {what}")
    gd = torch.zeros(X.shape[1], dtype=X.dtype)
    for _ in range(epochs):
        gd = gd - lr * 2 * X.T @ (X @ gd - y) / n
    checks.expect_close(w, gd, what=what, atol=1e-9, rtol=1e-7, mistakes=SGD_MISTAKES[1:],
                        args=(X, y, n, lr, epochs, 3))


def check_sgd_reaches_least_squares(minibatch_sgd_linreg, X: torch.Tensor, y: torch.Tensor, batch_size: int,
                                    lr: float, epochs: int, tol: float = 1e-2) -> None:
    """After enough epochs the weights are within ``tol`` of the least-squares solution."""
    what = f"minibatch_sgd_linreg after {epochs} epochs (batch_size={batch_size}, lr={lr})"
    w, _ = _unpack_sgd(checks.call(minibatch_sgd_linreg, X, y, batch_size, lr, epochs, 1, what=what,
                                    forbidden=SGD_FORBIDDEN), what)
    best = _lstsq(X.to(_float64), y.to(_float64)[:, None]).solution[:, 0]
    checks.expect_close(w, best.to(X.dtype), what=f"{what} against the least-squares solution (torch.linalg.lstsq)",
                        atol=tol, rtol=0.0, mistakes=SGD_MISTAKES, args=(X, y, batch_size, lr, epochs, 1))


def regression_data(n: int = 103, d: int = 3, noise: float = 0.1, seed: int = 0):
    """A small regression problem with a bias column: X (n, d) float64 whose last column is 1, y (n,)."""
    g = _Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=_float64)
    X[:, -1] = 1.0
    w_true = torch.linspace(-1.0, 2.0, d, dtype=_float64)
    y = X @ w_true + noise * torch.randn(n, generator=g, dtype=_float64)
    return X, y
