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
MSE_FORBIDDEN = MSE_LIBRARY + (answers.mse_grad,)
CE_FORBIDDEN = CE_LIBRARY + (answers.softmax_ce_grad,)
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
    checks.expect_close(out, expected, what=what, atol=atol, rtol=rtol, mistakes=NUMERICAL_GRAD_MISTAKES,
                        args=(f, before), kwargs=kwargs)


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


def check_steepest_ascent(directional_derivative, name: str, x: torch.Tensor, n: int = 1000, seed: int = 0) -> None:
    """Over n random unit directions, the directional derivative never exceeds |grad f|, and the best
    direction is (close to) grad f / |grad f|, where the derivative equals |grad f|."""
    f = _DD_FUNCTIONS[name]
    what = f"directional_derivative for {_NAMES[name]} over {n} random unit directions at x = {checks.fmt(x)}"
    dirs = torch.randn(n, x.numel(), generator=_Generator().manual_seed(seed), dtype=x.dtype)
    dirs = dirs / _norm(dirs, dim=1, keepdim=True)                                       # (n, d) unit rows
    values = checks.call(lambda: [float(directional_derivative(f, x.clone(), l)) for l in dirs], what=what,
                         forbidden=DIRECTIONAL_FORBIDDEN)
    values = torch.tensor(values, dtype=_float64)
    g = _autograd(f, x)
    gnorm = float(_norm(g))
    best = int(values.argmax())
    if float(values.max()) > gnorm * (1 + 1e-5) + 1e-6:
        checks.fail(what, f"the largest value {float(values.max()):.6g} exceeds |grad f| = {gnorm:.6g}.",
                    DIRECTIONAL_MISTAKES[0].hint)
    cos = float((dirs[best].to(_float64) * g).sum()) / gnorm
    if cos < 0.95:
        checks.fail(what, f"the steepest of the {n} directions makes cos = {cos:.3f} with the gradient; "
                    "it should point along the gradient.")
    along = float(checks.call(directional_derivative, f, x.clone(), g.to(x.dtype) * 3, what=what,
                             forbidden=DIRECTIONAL_FORBIDDEN))
    if not math.isclose(along, gnorm, rel_tol=1e-5, abs_tol=1e-6):
        checks.fail(what, f"along l = 3 grad f it returned {along:.6g}; expected |grad f| = {gnorm:.6g}.",
                    DIRECTIONAL_MISTAKES[0].hint)


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
            checks.fail(what, f"|theta| went from {float(_norm(theta0)):.3g} to {float(_norm(path[-1])):.3g}; "
                        "it should shrink towards the minimum at 0.", GD_MISTAKES[1].hint)
        if not converge and not ratio > 1.0:
            checks.fail(what, f"|theta| went from {float(_norm(theta0)):.3g} to {float(_norm(path[-1])):.3g}; "
                        "above 2/lambda_max each step should overshoot further.")


# ---------------------------------------------------------------- exercise 5: MSE gradient

_SEED_HINT = ("this is the derivative printed in some notes, dL/do_i = o_i - y_i. It is right only for "
              "L = 1/2 sum (o - y)^2; for the mean over the N*d entries, L = mean((o - y)^2), "
              "the derivative is 2 (o - y) / (N*d).")
MSE_MISTAKES = (
    Mistake("seed-formula", _SEED_HINT, lambda o, y: o - y),
    Mistake("seed-formula-batch-mean", _SEED_HINT, lambda o, y: (o - y) / o.shape[0]),
    Mistake("half-convention", "the factor 2 from d/do (o - y)^2 = 2 (o - y) is missing (that is the gradient of "
            "half the MSE).", lambda o, y: (o - y) / o.numel()),
    Mistake("no-batch-mean", "you divided by d only: the loss averages over the N examples of the batch as well, "
            "so divide by N*d.", lambda o, y: 2 * (o - y) / o.shape[-1]),
    Mistake("no-output-mean", "you divided by N only: the MSE also averages over the d outputs, so divide by N*d.",
            lambda o, y: 2 * (o - y) / o.shape[0]),
    Mistake("no-mean", "the gradient of a mean carries its 1/(N*d): you returned the gradient of the sum.",
            lambda o, y: 2 * (o - y)),
    Mistake("flipped-sign", "the sign is flipped: dL/do = 2 (o - y) / (N*d), positive where o is above y.",
            lambda o, y: 2 * (y - o) / o.numel()),
)


def check_mse_grad(mse_grad, o: torch.Tensor, y: torch.Tensor) -> None:
    """mse_grad(o, y) equals autograd's gradient of mean((o - y)**2) with respect to o: 2 (o - y) / (N*d)."""
    what = f"mse_grad(o, y) for o of shape {tuple(o.shape)}"
    out = checks.call(mse_grad, o, y, what=what, forbidden=MSE_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(o.shape))
    expected = _autograd(lambda t: ((t - y.to(_float64)) ** 2).mean(), o).to(o.dtype)
    checks.expect_close(out, expected, what=what, atol=1e-7, rtol=1e-5, mistakes=MSE_MISTAKES, args=(o, y))


# ---------------------------------------------------------------- exercise 6: softmax + cross-entropy gradient

def _naive_softmax(z):
    e = torch.exp(z)
    return e / e.sum(dim=1, keepdim=True)


def _softmax64(z):
    z = z.to(_float64)
    e = torch.exp(z - z.amax(dim=1, keepdim=True))
    return e / e.sum(dim=1, keepdim=True)


CE_GRAD_MISTAKES = (
    Mistake("no-batch-mean", "the loss is the mean over the N examples, so its gradient is (p - y) / N.",
            lambda z, y: _softmax64(z) * y.sum(1, keepdim=True) - y),
    Mistake("assumes-normalized-targets",
            "p - y is the gradient only when every row of y sums to 1. In general dL/dz = p * sum_k(y_k) - y "
            "(divided by N): the log-sum-exp term is weighted by the total target mass.",
            lambda z, y: (_softmax64(z) - y) / z.shape[0]),
    Mistake("flipped-sign", "the sign is flipped: the gradient is p - y (raising the true class's logit lowers the "
            "loss, so its gradient entry is negative).",
            lambda z, y: (y - _softmax64(z) * y.sum(1, keepdim=True)) / z.shape[0]),
    Mistake("unstable-softmax",
            "your softmax overflowed (exp of a large logit is inf, inf/inf = nan): subtract each row's maximum "
            "first, or use torch.softmax(z, dim=1).",
            lambda z, y: (_naive_softmax(z) * y.sum(1, keepdim=True) - y) / z.shape[0]),
    Mistake("mean-over-classes", "you divided by N*K: the loss sums over the K classes and averages over N only.",
            lambda z, y: (_softmax64(z) * y.sum(1, keepdim=True) - y) / z.numel()),
    Mistake("softmax-dim0", "softmax must normalize each row (dim=1, over classes), not each column.",
            lambda z, y: (torch.softmax(z, dim=0) * y.sum(1, keepdim=True) - y) / z.shape[0]),
)


def ce_loss(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = -(1/N) sum_n sum_k y_nk log softmax(z_n)_k. z, y: (N, K) -> 0-d."""
    return -(y * _log_softmax_rows(z)).sum() / z.shape[0]


def check_softmax_ce_grad(softmax_ce_grad, z: torch.Tensor, y: torch.Tensor) -> None:
    """softmax_ce_grad(z, y) equals autograd's gradient of ce_loss(z, y) with respect to z, for one-hot,
    soft and unnormalized targets, and stays finite for huge logits."""
    kind = ("one-hot" if bool(((y == 0) | (y == 1)).all()) and bool((y.sum(1) == 1).all()) else
            "soft" if bool(((y.sum(1) - 1).abs() < 1e-6).all()) else "unnormalized")
    what = f"softmax_ce_grad(z, y) for z of shape {tuple(z.shape)} with logits up to {float(z.abs().max()):.4g} and {kind} targets y"
    out = checks.call(softmax_ce_grad, z, y, what=what, forbidden=CE_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(z.shape))
    expected = _autograd(lambda t: ce_loss(t, y.to(_float64)), z).to(z.dtype)
    tol = {"atol": 1e-12, "rtol": 1e-9} if z.dtype == _float64 else {"atol": 1e-6, "rtol": 1e-5}
    checks.expect_close(out, expected, what=what, mistakes=CE_GRAD_MISTAKES, args=(z, y), **tol)


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
