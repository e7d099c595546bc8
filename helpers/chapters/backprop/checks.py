"""Checks for chapter 03 (backpropagation and computation graphs), with each exercise's catalogue
of known wrong answers. The test cells choose the inputs; these functions decide.

The oracle is torch.autograd in float64, run *outside* the student's code. While the student's code
runs, autograd's entry points are blocked (checks.AUTOGRAD_LIBRARY): these exercises ask for gradients
written by hand. Every ``check_*`` function raises helpers.grading.checks.CheckFailure or returns None.
"""
from __future__ import annotations

import re

import torch

from helpers.chapters.backprop import answers
from helpers.grading import checks
from helpers.nets import init_params  # noqa: F401 (test cells call check.init_params)
from helpers.grading.checks import Mistake

# Bound at import time: the blocking of torch.autograd.grad during a student's call, or a
# submission that rebinds it, does not touch these.
_grad = torch.autograd.grad
_gradcheck = torch.autograd.gradcheck
_sigmoid = torch.sigmoid
_tanh = torch.tanh
_relu = torch.relu
_Function = torch.autograd.Function
_float64 = torch.float64

LINEAR_LIBRARY = checks.AUTOGRAD_LIBRARY + ("torch.nn.functional.linear", "torch.nn.Linear.forward")
SILU_LIBRARY = checks.AUTOGRAD_LIBRARY + ("torch.nn.functional.silu",)
CHAIN_LIBRARY = ("torch.linalg.multi_dot", "torch.chain_matmul")
# The course's own answers (reachable as helpers.kernels.*) are refused in their own exercise only.
LINEAR_FORBIDDEN = LINEAR_LIBRARY + (answers.linear_forward, answers.linear_backward)
SILU_FORBIDDEN = SILU_LIBRARY + (answers.silu_backward,)
CHAIN_FORBIDDEN = CHAIN_LIBRARY + (answers.vjp_chain, answers.matrix_chain_cost)

AUTOGRAD_HINT = "compute the gradient with the formulas of the lesson, without autograd (no .backward(), no torch.autograd.grad)."


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-5, "rtol": 1e-4}


def _call(fn, *args, what: str, forbidden=checks.AUTOGRAD_LIBRARY, **kwargs):
    """checks.call, with the hint that this chapter's exercises want hand-written gradients."""
    try:
        return checks.call(fn, *args, what=what, forbidden=forbidden, **kwargs)
    except checks.CheckFailure as err:
        found = re.search(r"it calls (\S+)(?: \(and hides the error\))?, which this exercise asks", str(err))
        if found and found.group(1) in checks.AUTOGRAD_LIBRARY:
            checks.fail(what, f"it calls {found.group(1)}: this exercise asks for the gradient by hand.", AUTOGRAD_HINT)
        raise


def _s(x):
    """The logistic function written out (the mistakes' variants compute what students write)."""
    return 1 / (1 + torch.exp(-x))


def _variant_mistakes(table, grads, key: str, batch_scale: float) -> tuple[Mistake, ...]:
    """Mistakes from (name, hint, options) rows: each variant is ``grads(*args, **options)[key]``;
    an option scale=None stands for ``batch_scale`` (a factor of the batch size, known only per call)."""
    out = []
    for name, hint, options in table:
        opts = {**options, "scale": batch_scale} if options.get("scale", 1.0) is None else dict(options)
        out.append(Mistake(name, hint, lambda *a, _o=opts: grads(*a, **_o)[key]))
    return tuple(out)


def _expect_unchanged_on_doubled_batch(once: torch.Tensor, twice, *, what: str, tol: dict) -> None:
    """The gradient of a loss averaged over the batch is the same on the batch repeated twice (a summed
    loss's gradient doubles): a probe for a missing 1/N that also works where N = 1 hides it."""
    if torch.is_tensor(twice) and twice.shape == once.shape and torch.allclose(
            twice.double(), once.double(), atol=tol["atol"], rtol=tol["rtol"]):
        return
    doubled = torch.is_tensor(twice) and twice.shape == once.shape and torch.allclose(
        twice.double(), 2 * once.double(), atol=tol["atol"], rtol=tol["rtol"])
    checks.fail(what, "on the same rows repeated twice the result changes, but the loss is a mean over the rows, "
                "so its gradient must not depend on how many copies of them there are.",
                "the 1/N of the mean is missing: every gradient of a mean loss carries it." if doubled
                else "the result depends on the batch size: divide by N exactly once (in dL/d(output)).")


def _autograd_vjp(f, x: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    """grad_out^T (df/dx) by autograd in float64, returned in x's dtype."""
    with torch.enable_grad():
        leaf = x.detach().to(_float64).requires_grad_(True)
        (g,) = _grad(f(leaf), leaf, grad_out.detach().to(_float64))
    return g.to(x.dtype)


# ---------------------------------------------------------------- exercise 1: activation backward passes

SIGMOID_BACKWARD_MISTAKES = (
    Mistake("sigmoid-of-out", "you applied sigmoid again: `out` already is sigma(z), so sigma'(z) = out * (1 - out), "
            "not sigmoid(out) * (1 - sigmoid(out)).",
            lambda out, g: g * _sigmoid(out) * (1 - _sigmoid(out))),
    Mistake("no-grad-out", "you returned the local derivative sigma'(z) only: multiply it by grad_out (the chain rule: "
            "dL/dz = dL/dout * dout/dz).", lambda out, g: out * (1 - out)),
    Mistake("flipped-sign", "the sign is flipped: sigma'(z) = out * (1 - out) is positive.",
            lambda out, g: g * out * (out - 1)),
    Mistake("one-minus-out", "the factor out is missing: sigma'(z) = out * (1 - out), not 1 - out.",
            lambda out, g: g * (1 - out)),
)
TANH_BACKWARD_MISTAKES = (
    Mistake("not-squared", "tanh'(z) = 1 - tanh(z)^2: square `out` (you used 1 - out).", lambda out, g: g * (1 - out)),
    Mistake("tanh-of-out", "you applied tanh again: `out` already is tanh(z), so tanh'(z) = 1 - out**2.",
            lambda out, g: g * (1 - _tanh(out) ** 2)),
    Mistake("no-grad-out", "you returned the local derivative only: multiply 1 - out**2 by grad_out.",
            lambda out, g: 1 - out ** 2),
    Mistake("sigmoid-formula", "that is the sigmoid's derivative out * (1 - out); tanh's is 1 - out**2.",
            lambda out, g: g * out * (1 - out)),
)
RELU_BACKWARD_MISTAKES = (
    Mistake("mask-at-zero", "at z = 0 exactly the course (and PyTorch) uses ReLU'(0) = 0: the mask is z > 0, not z >= 0.",
            lambda z, g: g * (z >= 0).to(g.dtype)),
    Mistake("no-grad-out", "you returned the mask 1[z > 0] only: multiply it by grad_out.",
            lambda z, g: (z > 0).to(g.dtype)),
    Mistake("mask-on-grad", "the mask must come from the forward input z (where the unit was active), not from "
            "grad_out: return grad_out * (z > 0).", lambda z, g: g * (g > 0).to(g.dtype)),
    Mistake("relu-of-z", "you multiplied by relu(z) instead of its derivative 1[z > 0].",
            lambda z, g: g * z.clamp(min=0)),
)


def check_activation_backward(sigmoid_backward, tanh_backward, relu_backward, z: torch.Tensor,
                              grad_out: torch.Tensor) -> None:
    """Each backward function turns dL/d(output) into dL/dz exactly as autograd does (ReLU'(0) = 0)."""
    tol = _tolerance(z)
    cases = (
        ("sigmoid_backward(out, grad_out)", sigmoid_backward, _sigmoid(z), _sigmoid, SIGMOID_BACKWARD_MISTAKES,
         answers.sigmoid_backward),
        ("tanh_backward(out, grad_out)", tanh_backward, _tanh(z), _tanh, TANH_BACKWARD_MISTAKES, answers.tanh_backward),
        ("relu_backward(z, grad_out)", relu_backward, z, _relu, RELU_BACKWARD_MISTAKES, answers.relu_backward),
    )
    zeros = " (some z are exactly 0)" if bool((z == 0).any()) else ""
    for name, fn, first, f, mistakes, own in cases:
        what = f"{name} for z that is {checks.describe(z)}{zeros}"
        out = _call(fn, first.clone(), grad_out.clone(), what=what, forbidden=checks.AUTOGRAD_LIBRARY + (own,))
        checks.expect_tensor(out, what=what, shape=tuple(z.shape), dtype=z.dtype)
        expected = _autograd_vjp(f, z, grad_out)
        checks.expect_close(out, expected, what=what, mistakes=mistakes, args=(first, grad_out), **tol)


# ---------------------------------------------------------------- exercise 4: the delta rule, two sigmoid layers

def _mlp_grads(x, t, W1, b1, W2, b2, *, out_deriv=True, hidden_deriv=True, scale=1.0, w2_transposed=False,
               sigma_of_act=False, bias_reduce="sum", w_transposed=False, sign=1.0):
    """The gradients of 1/2 sum (o - t)^2 with optional, catalogued mistakes."""
    h = _s(x @ W1.T + b1)
    o = _s(h @ W2.T + b2)
    d_act = (lambda a: _s(a) * (1 - _s(a))) if sigma_of_act else (lambda a: a * (1 - a))
    delta_o = sign * (o - t) * (d_act(o) if out_deriv else 1.0)
    back = delta_o @ (W2.T if w2_transposed else W2)
    delta_h = back * (d_act(h) if hidden_deriv else 1.0)
    reduce = {"sum": lambda d: d.sum(0), "mean": lambda d: d.mean(0), "none": lambda d: d}[bias_reduce]
    wg = (lambda d, a: a.T @ d) if w_transposed else (lambda d, a: d.T @ a)
    grads = {"W1": wg(delta_h, x), "b1": reduce(delta_h), "W2": wg(delta_o, h), "b2": reduce(delta_o)}
    return {k: v * scale for k, v in grads.items()}


_MLP_MISTAKES = (
    ("bias-mean", "a bias gradient is averaged over the batch while the loss is summed: use delta.sum(0).",
     {"bias_reduce": "mean"}),
    ("mean-not-sum", "the loss 1/2 sum (o - t)^2 is summed over the batch, not averaged: do not divide by N.",
     {"scale": None}),
    ("no-output-derivative", "the output delta misses the sigmoid's derivative: "
     "delta_k = (o_k - t_k) * o_k * (1 - o_k).", {"out_deriv": False}),
    ("no-hidden-derivative", "the hidden delta misses the sigmoid's derivative: "
     "delta_j = o_j (1 - o_j) * sum_k delta_k w_jk, i.e. (delta_o @ W2) * h * (1 - h).",
     {"hidden_deriv": False}),
    ("sigmoid-of-activation", "you applied sigmoid to an activation again: with a = sigma(z) the "
     "derivative is a * (1 - a), not sigma(a) * (1 - sigma(a)).", {"sigma_of_act": True}),
    ("W2-transposed", "the error reaches the hidden layer through W2 transposed: delta_h = W2^T delta_o "
     "for one example, which for a batch of rows is delta_o @ W2 (shape (N, K) @ (K, H)), not "
     "delta_o @ W2.T.", {"w2_transposed": True}),
    ("transposed-weight-grad", "a weight gradient is transposed: dL/dW has W's shape (out, in), so it is "
     "delta.T @ a_in (the outer product delta a^T summed over the batch), not a_in.T @ delta.",
     {"w_transposed": True}),
    ("bias-not-summed", "a bias gradient keeps one row per example: a bias is shared by the whole batch, "
     "so its gradient is the sum over the batch, delta.sum(0).", {"bias_reduce": "none"}),
    ("no-half", "with L = 1/2 sum (o - t)^2 the derivative with respect to o is (o - t), not 2 (o - t).",
     {"scale": 2.0}),
    ("flipped-sign", "the sign is flipped: dL/do = o - t, not t - o.", {"sign": -1.0}),
)


def _autograd_mlp(x, t, W1, b1, W2, b2) -> dict[str, torch.Tensor]:
    with torch.enable_grad():
        leaves = {k: v.detach().to(_float64).requires_grad_(True) for k, v in
                  {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
        h = _sigmoid(x.to(_float64) @ leaves["W1"].T + leaves["b1"])
        o = _sigmoid(h @ leaves["W2"].T + leaves["b2"])
        loss = 0.5 * ((o - t.to(_float64)) ** 2).sum()
        grads = _grad(loss, list(leaves.values()))
    return {k: g.to(x.dtype) for k, g in zip(leaves, grads)}


def check_mlp_backward(mlp_manual_backward, x, t, W1, b1, W2, b2) -> None:
    """mlp_manual_backward returns {"W1", "b1", "W2", "b2"} equal to autograd's gradients of
    1/2 sum over the batch and outputs of (o - t)^2, to 1e-10 in float64."""
    sizes = f"N={x.shape[0]}, D={x.shape[1]}, H={W1.shape[0]}, K={W2.shape[0]}"
    what = f"mlp_manual_backward with {sizes}"
    args = (x, t, W1, b1, W2, b2)
    out = _call(mlp_manual_backward, *(a.clone() for a in args), what=what,
                forbidden=checks.AUTOGRAD_LIBRARY + (answers.mlp_manual_backward,))
    if not isinstance(out, dict):
        checks.fail(what, f"expected a dict of four gradients, got {type(out).__name__}.",
                    'return {"W1": ..., "b1": ..., "W2": ..., "b2": ...}.')
    missing = [k for k in ("W1", "b1", "W2", "b2") if k not in out]
    if missing:
        checks.fail(what, f"the dict lacks the key(s) {missing} (it has {sorted(map(str, out))}).",
                    'use exactly the keys "W1", "b1", "W2", "b2".')
    expected = _autograd_mlp(*args)
    for key in ("W2", "b2", "W1", "b1"):             # the output layer first: its errors explain the rest
        checks.expect_close(out[key], expected[key], what=f"{what}: the gradient {key}",
                            mistakes=_variant_mistakes(_MLP_MISTAKES, _mlp_grads, key, 1.0 / x.shape[0]),
                            args=args, **_tolerance(x))


# ---------------------------------------------------------------- exercise 5: a linear layer as an autograd.Function

_INPUT_NAMES = ("x", "W", "b")


def _run_function(fn_cls, x, W, b, grad_out):
    """Forward through fn_cls.apply, then backward with grad_out; returns (out, (gx, gW, gb))."""
    leaves = [a.detach().clone().requires_grad_(True) for a in (x, W, b)]
    out = fn_cls.apply(*leaves)
    if not torch.is_tensor(out):
        return out, None
    if not out.requires_grad:
        return out, None
    if tuple(out.shape) != tuple(grad_out.shape):
        return out, None
    try:
        grads = _grad(out, leaves, grad_out, allow_unused=True)
    except RuntimeError as exc:
        text = str(exc)
        if "invalid gradient at index" in text:
            i = int(text.split("invalid gradient at index")[1].split()[0])
            name = _INPUT_NAMES[i] if i < 3 else str(i)
            checks.fail("LinearFunction.backward", f"the gradient it returns for {name} has the wrong shape ({text}).",
                        {"x": "dL/dx = grad_out @ W, shape (N, D).",
                         "W": "dL/dW = grad_out.T @ x has W's shape (K, D); x.T @ grad_out is its transpose.",
                         "b": "dL/db = grad_out.sum(0), shape (K,): the bias is shared by every row of the batch."}
                        .get(name, "return one gradient per forward input, in the order x, W, b."))
        if "incorrect number of gradients" in text:
            checks.fail("LinearFunction.backward", f"it returns the wrong number of gradients ({text}).",
                        "return three gradients, in the order of forward's inputs: (grad_x, grad_W, grad_b).")
        raise
    return out, grads


def check_linear_function(fn_cls, x: torch.Tensor, W: torch.Tensor, b: torch.Tensor,
                          grad_out: torch.Tensor | None = None, gradcheck: bool = False) -> None:
    """LinearFunction.apply(x, W, b) equals x @ W.T + b, and its backward gives autograd's gradients
    (and, with gradcheck=True on float64 inputs, passes torch.autograd.gradcheck)."""
    what = f"LinearFunction.apply(x, W, b) with x {tuple(x.shape)}, W {tuple(W.shape)}, b {tuple(b.shape)}"
    if not (isinstance(fn_cls, type) and issubclass(fn_cls, _Function)):
        checks.fail(what, f"expected a subclass of torch.autograd.Function, got {fn_cls!r}.",
                    "write `class LinearFunction(torch.autograd.Function):` with static forward and backward methods.")
    if grad_out is None:
        grad_out = torch.randn(x.shape[0], W.shape[0], dtype=x.dtype,
                               generator=torch.Generator().manual_seed(3))
    out, grads = _call(_run_function, fn_cls, x, W, b, grad_out, what=what, forbidden=LINEAR_FORBIDDEN)
    exact = x.double() @ W.double().T + b.double()
    checks.expect_close(out, exact.to(x.dtype), what=f"the output of {what}",
                        mistakes=(Mistake("W-not-transposed", "the layer computes x @ W.T + b (W has shape (out, in)).",
                                          lambda x, W, b: x @ W + b),
                                  Mistake("no-bias", "the bias is missing: x @ W.T + b.", lambda x, W, b: x @ W.T)),
                        args=(x, W, b), **_tolerance(x))
    if not out.requires_grad:
        checks.fail(what, "the output is not connected to the inputs' autograd graph.",
                    "return the result of forward directly and call the class through LinearFunction.apply.")
    expected = (grad_out @ W, grad_out.T @ x, grad_out.sum(0))
    hints = {
        "x": (Mistake("x-grad-transposed-W", "dL/dx = grad_out @ W (shape (N, K) @ (K, D)), not grad_out @ W.T.",
                      lambda: grad_out @ W.T),),
        "W": (Mistake("W-grad-transposed", "dL/dW = grad_out.T @ x, with W's shape (K, D); x.T @ grad_out is its transpose.",
                      lambda: x.T @ grad_out),),
        "b": (Mistake("b-grad-mean", "dL/db is the sum over the batch, not the mean.", lambda: grad_out.mean(0)),),
    }
    for name, g, e in zip(_INPUT_NAMES, grads, expected):
        if g is None:
            checks.fail(f"LinearFunction.backward ({what})", f"it returned None for the gradient of {name}.",
                        "return (grad_x, grad_W, grad_b), one per input of forward.")
        checks.expect_close(g, e, what=f"LinearFunction.backward: the gradient of {name} ({what})",
                            mistakes=hints[name], **_tolerance(x))
    if gradcheck:
        inputs = tuple(a.detach().to(_float64).requires_grad_(True) for a in (x, W, b))
        try:
            ok = _gradcheck(fn_cls.apply, inputs, eps=1e-6, atol=1e-5, raise_exception=False)
        except Exception as exc:   # noqa: BLE001 - the student's bug, reported
            checks.fail(f"torch.autograd.gradcheck on {what}", f"it raised {type(exc).__name__}: {exc}")
        if not ok:
            checks.fail(f"torch.autograd.gradcheck on {what}", "the analytic gradients differ from finite differences.")


# ---------------------------------------------------------------- exercise 7: an MLP trained by your own backward

def _mlp_forward(X, params):
    z1 = X @ params["W1"].T + params["b1"]
    h = _relu(z1)                                     # torch.relu: its backward uses ReLU'(0) = 0, as the lesson does
    return z1, h, h @ params["W2"].T + params["b2"]


def _ce_grads(X, y, params, *, scale=1.0, onehot=True, mask=True, bias="sum", w_transposed=False,
              output_mask=False, mask_at_zero=False):
    z1, h, logits = _mlp_forward(X, params)
    n = X.shape[0]
    p = torch.softmax(logits, dim=1)
    if onehot:
        p = p.clone()
        p[torch.arange(n), y] -= 1
    d2 = p / n * scale
    relu_mask = ((z1 >= 0) if mask_at_zero else (z1 > 0)).to(X.dtype)
    if output_mask:                                   # the ReLU's mask taken from the wrong layer (the logits)
        d1 = (d2 * (logits > 0).to(X.dtype)) @ params["W2"]
    else:
        d1 = d2 @ params["W2"] * (relu_mask if mask else 1.0)
    red = {"sum": lambda d: d.sum(0), "none": lambda d: d, "mean": lambda d: d.mean(0)}[bias]
    wg = (lambda d, a: a.T @ d) if w_transposed else (lambda d, a: d.T @ a)
    return {"W1": wg(d1, X), "b1": red(d1), "W2": wg(d2, h), "b2": red(d2)}


_CE_MISTAKES = (
    ("sum-not-mean", "the loss is the *mean* cross-entropy over the batch, so dL/d(logits) carries a factor 1/N "
     "(each example's loss enters L with weight 1/N), and every gradient inherits it.", {"scale": None}),
    ("no-onehot", "the derivative of -log softmax(z)_y with respect to z is softmax(z) minus the one-hot vector of y: "
     "the term from the numerator's log e^(z_y) is missing (subtract 1 at each example's true class).",
     {"onehot": False}),
    ("no-relu-mask", "the hidden delta misses ReLU's derivative: the gradient reaching the hidden layer, "
     "(dL/dlogits) @ W2, passes only through the units that were active, 1[z1 > 0] (or 1[h > 0], the same mask).",
     {"mask": False}),
    ("mask-at-zero", "where a hidden pre-activation z1 is exactly 0 the gradient must not pass: the lesson (and "
     "torch.relu) uses ReLU'(0) = 0, so the mask is 1[z1 > 0], not 1[z1 >= 0].", {"mask_at_zero": True}),
    ("mask-from-output-layer", "the ReLU mask is taken from the wrong layer: the ReLU sits on the hidden layer, so its "
     "mask is 1[z1 > 0], applied after multiplying by W2; the logits have no ReLU.", {"output_mask": True}),
    ("transposed-weight-grad", "a weight gradient is transposed: with rows as examples, Z = A W^T + b gives "
     "dL/dW = (dL/dZ)^T A, of W's shape (out, in); A^T (dL/dZ) is its transpose.",
     {"w_transposed": True}),
    ("bias-not-summed", "a bias gradient keeps one row per example: the bias is added to every row, so its gradient is "
     "the sum over the batch of the rows of dL/dZ.", {"bias": "none"}),
    ("bias-mean", "a bias gradient is averaged over the batch a second time: dL/dZ already carries the 1/N of the mean "
     "loss, so the bias gradient is its plain sum over the rows.", {"bias": "mean"}),
)


def _ce_loss_variant(X, y, params, *, probabilities=False, total=False):
    _, _, logits = _mlp_forward(X, params)
    inp = torch.softmax(logits, dim=1) if probabilities else logits
    return torch.nn.functional.cross_entropy(inp, y, reduction="sum" if total else "mean")


CE_LOSS_MISTAKES = (
    Mistake("loss-summed", "the loss is the *mean* cross-entropy over the batch, not the sum.",
            lambda X, y, p: _ce_loss_variant(X, y, p, total=True)),
    Mistake("softmax-twice", "the cross-entropy is computed from the logits (log-softmax of the logits); you applied "
            "softmax to probabilities again.", lambda X, y, p: _ce_loss_variant(X, y, p, probabilities=True)),
)


def _autograd_ce(X, y, params):
    with torch.enable_grad():
        leaves = {k: v.detach().to(_float64).requires_grad_(True) for k, v in params.items()}
        _, _, logits = _mlp_forward(X.to(_float64), leaves)
        loss = torch.nn.functional.cross_entropy(logits, y)
        grads = _grad(loss, list(leaves.values()))
    return loss.detach().to(X.dtype), {k: g.to(X.dtype) for k, g in zip(leaves, grads)}


def _clone(params):
    return {k: v.detach().clone() for k, v in params.items()}


def check_loss_and_grads(loss_and_grads, X: torch.Tensor, y: torch.Tensor, params: dict) -> None:
    """loss_and_grads(X, y, params) returns (mean cross-entropy, {name: gradient}) equal to autograd's,
    without using autograd and without changing params."""
    what = (f"loss_and_grads with N={X.shape[0]}, D={X.shape[1]}, H={params['W1'].shape[0]}, "
            f"K={params['W2'].shape[0]} ({str(X.dtype).replace('torch.', '')})")
    before = _clone(params)
    given = _clone(params)
    out = _call(loss_and_grads, X.clone(), y.clone(), given, what=what,
                forbidden=checks.AUTOGRAD_LIBRARY + (answers.loss_and_grads,))
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        checks.fail(what, f"expected a tuple (loss, grads) with grads a dict, got {type(out).__name__}.",
                    "return loss, {\"W1\": ..., \"b1\": ..., \"W2\": ..., \"b2\": ...}.")
    loss, grads = out
    for k in before:
        if not bool((given[k] == before[k]).all()):
            checks.fail(what, f"it changed params[{k!r}] in place.",
                        "only compute the gradients here; the training loop applies the update.")
    exp_loss, expected = _autograd_ce(X, y, params)
    tol = _tolerance(X)
    checks.expect_tensor(loss, what=f"{what}: the loss", shape=())
    checks.expect_close(loss, exp_loss, what=f"{what}: the loss (mean cross-entropy of the logits)",
                        mistakes=CE_LOSS_MISTAKES, args=(X, y, params), **tol)
    missing = [k for k in before if k not in grads]
    if missing:
        checks.fail(what, f"the grads dict lacks {missing}.", 'use the keys "W1", "b1", "W2", "b2".')
    for key in ("W2", "b2", "W1", "b1"):
        checks.expect_close(grads[key], expected[key], what=f"{what}: the gradient {key}",
                            mistakes=_variant_mistakes(_CE_MISTAKES, _ce_grads, key, float(X.shape[0])),
                            args=(X, y, params), **tol)
    twice = _call(loss_and_grads, torch.cat([X, X]), torch.cat([y, y]), _clone(params), what=what,
                  forbidden=checks.AUTOGRAD_LIBRARY + (answers.loss_and_grads,))
    if not (isinstance(twice, tuple) and len(twice) == 2 and isinstance(twice[1], dict)):
        checks.fail(f"{what}, then X and y repeated twice", "it no longer returns (loss, grads).",
                    "return loss, grads for any batch size.")
    _expect_unchanged_on_doubled_batch(loss.reshape(()), twice[0], what=f"{what}, then X and y repeated twice: the loss",
                                       tol=tol)
    for key in ("W2", "b2", "W1", "b1"):
        _expect_unchanged_on_doubled_batch(grads[key], twice[1].get(key),
                                           what=f"{what}, then X and y repeated twice: the gradient {key}", tol=tol)


def _train(loss_and_grads, X, y, params, lr, steps):
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grads(X, y, params)
        losses.append(float(loss))
        params = {k: v - lr * grads[k] for k, v in params.items()}
    return params, losses


def _training_cause(loss_and_grads, X, y, params) -> str | None:
    """The likely cause of a failed training run, named only when the student's first gradients match a
    known variant of the right ones (all four flipped, or all four N times too large); otherwise None."""
    out = _call(loss_and_grads, X.clone(), y.clone(), _clone(params), what="loss_and_grads",
                forbidden=checks.AUTOGRAD_LIBRARY + (answers.loss_and_grads,))
    grads = out[1] if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict) else {}
    _, expected = _autograd_ce(X, y, params)
    tol = _tolerance(X)

    def all_match(factor):
        return all(torch.is_tensor(grads.get(k)) and grads[k].shape == e.shape and
                   torch.allclose(grads[k].double(), factor * e.double(), atol=tol["atol"], rtol=tol["rtol"])
                   for k, e in expected.items())
    if all_match(-1.0):
        return "every gradient has the wrong sign: the update param - lr * grad then climbs the loss."
    if X.shape[0] > 1 and all_match(float(X.shape[0])):
        return ("every gradient is N times too large (the 1/N of the mean loss is missing), so the steps are N times "
                "too long and training diverges.")
    return None


def check_manual_training(loss_and_grads, X: torch.Tensor, y: torch.Tensor, hidden: int = 32, lr: float = 0.5,
                          steps: int = 300, min_accuracy: float = 0.95, seed: int = 0) -> None:
    """Full-batch gradient descent driven only by loss_and_grads lowers the loss (compared over windows)
    and classifies the training points to at least ``min_accuracy``."""
    what = f"{steps} gradient-descent steps with your loss_and_grads on {len(X)} points ({hidden} hidden units)"
    params = init_params(X.shape[1], hidden, int(y.max()) + 1, seed=seed, dtype=X.dtype)
    params, losses = _call(_train, loss_and_grads, X, y, params, lr, steps, what=what,
                           forbidden=checks.AUTOGRAD_LIBRARY + (answers.loss_and_grads,))
    window = max(1, steps // 10)
    first, last = sum(losses[:window]) / window, sum(losses[-window:]) / window
    if not last < first:
        if not all(map(torch.isfinite, map(torch.tensor, losses))):
            seen = f"it went to {'nan' if any(v != v for v in losses) else 'inf'} (diverged)"
        elif last > first * (1 + 1e-3):
            seen = "it rose"
        else:
            seen = "it stayed flat"
        checks.fail(what, f"the loss did not go down, {seen}: mean {first:.4g} over the first {window} steps, "
                    f"{last:.4g} over the last {window}.",
                    _training_cause(loss_and_grads, X, y, init_params(X.shape[1], hidden, int(y.max()) + 1,
                                                                     seed=seed, dtype=X.dtype)))
    _, _, logits = _mlp_forward(X, params)
    acc = float((logits.argmax(1) == y).to(torch.float32).mean())
    if acc < min_accuracy:
        cause = _training_cause(loss_and_grads, X, y, init_params(X.shape[1], hidden, int(y.max()) + 1, seed=seed,
                                                                  dtype=X.dtype))
        checks.fail(what, f"training accuracy {acc:.3f} is below {min_accuracy:.2f} (loss {losses[0]:.3f} -> {losses[-1]:.3f}).",
                    cause or "the gradients may have the right direction but the wrong scale or a missing term.")


# ---------------------------------------------------------------- exercise 3: a weight used twice (tied weights)

def _tied_grads(W, X, *, decoder=True, encoder=True, scale=1.0, combine="sum", transposed=False):
    """Variants of dL/dW for Z = X W^T, X_hat = Z W, L = ||X_hat - X||^2 / (2N), with catalogued mistakes."""
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0] * scale
    dec = (R.T @ Z if transposed else Z.T @ R) if decoder else 0.0
    enc = ((X.T @ R @ W.T) if transposed else (W @ R.T @ X)) if encoder else 0.0
    total = dec + enc
    return total / 2 if combine == "mean" else total


TIED_MISTAKES = (
    Mistake("decoder-use-only", "W is used twice, by the encoder (Z = X W^T) and by the decoder (X_hat = Z W); you kept "
            "only the decoder's term Z^T R. The chain rule adds the contribution of every use: also "
            "backpropagate R through the decoder to Z (R W^T) and from Z to W.",
            lambda W, X: _tied_grads(W, X, encoder=False)),
    Mistake("encoder-use-only", "W is used twice; you kept only the encoder's term (the path through Z). The decoder "
            "X_hat = Z W uses W directly too: add its term, Z^T (dL/dX_hat).",
            lambda W, X: _tied_grads(W, X, decoder=False)),
    Mistake("uses-averaged", "the contributions of the two uses of W are *added* (chain rule), not averaged.",
            lambda W, X: _tied_grads(W, X, combine="mean")),
    Mistake("no-1/N", "the loss is divided by 2N (a mean over the N rows): dL/dX_hat = (X_hat - X) / N, and that "
            "1/N carries into both terms.", lambda W, X: _tied_grads(W, X, scale=float(X.shape[0]))),
    Mistake("no-half", "L has a factor 1/2 in front of the squared norm, so dL/dX_hat = (X_hat - X) / N, without a 2.",
            lambda W, X: _tied_grads(W, X, scale=2.0)),
    Mistake("transposed-terms", "a term is transposed: dL/dW has W's shape (k, D). The decoder's term is Z^T R (k, N)(N, D) "
            "and the encoder's W R^T X (k, D)(D, N)(N, D); R^T Z and X^T R W^T are their transposes.",
            lambda W, X: _tied_grads(W, X, transposed=True)),
)

TIED_FORBIDDEN = checks.AUTOGRAD_LIBRARY


def _autograd_tied(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    with torch.enable_grad():
        leaf = W.detach().to(_float64).requires_grad_(True)
        X64 = X.to(_float64)
        loss = ((X64 @ leaf.T @ leaf - X64) ** 2).sum() / (2 * X.shape[0])
        (g,) = _grad(loss, leaf)
    return g.to(W.dtype)


def check_tied_weights_grad(tied_weights_grad, W: torch.Tensor, X: torch.Tensor) -> None:
    """tied_weights_grad(W, X) equals autograd's dL/dW for Z = X W^T, X_hat = Z W, L = ||X_hat - X||^2 / (2N):
    the contributions of both uses of W (encoder and decoder), added, in W's shape and dtype."""
    what = f"tied_weights_grad for W {tuple(W.shape)} and X {tuple(X.shape)} ({str(W.dtype).replace('torch.', '')})"
    out = _call(tied_weights_grad, W.clone(), X.clone(), what=what,
                forbidden=TIED_FORBIDDEN + (answers.tied_weights_grad,))
    checks.expect_tensor(out, what=what, shape=tuple(W.shape), dtype=W.dtype)
    checks.expect_close(out, _autograd_tied(W, X), what=what, mistakes=TIED_MISTAKES, args=(W, X), **_tolerance(W))
    twice = _call(tied_weights_grad, W.clone(), torch.cat([X, X]), what=what,
                  forbidden=TIED_FORBIDDEN + (answers.tied_weights_grad,))
    _expect_unchanged_on_doubled_batch(out, twice, what=f"{what}, then X repeated twice", tol=_tolerance(W))


# ---------------------------------------------------------------- exercise 6: evaluation order and its cost

def _chain_wrong_end(jacobians, v):
    g = v
    for J in jacobians:
        g = J.T @ g
    return g


def _chain_untransposed(jacobians, v):
    g = v
    for J in reversed(jacobians):
        g = J @ g
    return g


VJP_MISTAKES = (
    Mistake("wrong-end", "you started from J_1: the vector v = dL/dh_L belongs next to J_L, so apply J_L^T first "
            "and J_1^T last.", _chain_wrong_end),
    Mistake("not-transposed", "each step is J_l^T g (a vector-Jacobian product, g @ J_l as a row vector), not J_l g.",
            _chain_untransposed),
)
VJP_COUNT_MISTAKES = (
    Mistake("square-assumed", "count n_l * n_(l-1) for each layer from the Jacobian's own shape; the layers need not "
            "be square.", lambda js, v: len(js) * v.shape[0] ** 2),
    Mistake("matrix-first-count", "that is the cost of multiplying the matrices first; count the vector-first "
            "products you actually did: one n_l * n_(l-1) product per layer.",
            lambda js, v: _matrix_cost(js, v)),
)


def _matrix_cost(jacobians, v) -> int:
    n0 = jacobians[0].shape[1]
    return int(sum(J.shape[0] * J.shape[1] * n0 for J in jacobians[1:]) + jacobians[-1].shape[0] * n0)


MATRIX_COST_MISTAKES = (
    Mistake("no-final-product", "after forming M = J_L ... J_1 you still multiply it with v: add n_L * n_0.",
            lambda js, v: _matrix_cost(js, v) - js[-1].shape[0] * js[0].shape[1]),
    Mistake("cube-per-layer", "count each product from the shapes: J_l M multiplies (n_l, n_(l-1)) by (n_(l-1), n_0), "
            "n_l * n_(l-1) * n_0 multiply-adds, and there are L - 1 of them (M starts as J_1, for free).",
            lambda js, v: sum(J.shape[0] * J.shape[1] * js[0].shape[1] for J in js) + js[-1].shape[0] * js[0].shape[1]),
    Mistake("vector-first-count", "that is the vector-first count; here the matrices are multiplied together first.",
            lambda js, v: sum(J.shape[0] * J.shape[1] for J in js)),
)


def check_vjp_chain(vjp_chain, matrix_chain_cost, jacobians: list, v: torch.Tensor) -> None:
    """vjp_chain(jacobians, v) returns (J_1^T ... J_L^T v, its multiply-add count sum_l n_l n_(l-1)), and
    matrix_chain_cost(jacobians, v) counts forming the matrix product first (sum_(l>=2) n_l n_(l-1) n_0 + n_L n_0)."""
    shapes = " -> ".join(str(J.shape[1]) for J in jacobians) + f" -> {jacobians[-1].shape[0]}"
    what = f"vjp_chain for {len(jacobians)} Jacobians (widths {shapes})"
    out = _call(vjp_chain, [J.clone() for J in jacobians], v.clone(), what=what, forbidden=CHAIN_FORBIDDEN)
    if not (isinstance(out, tuple) and len(out) == 2):
        checks.fail(what, f"expected a tuple (gradient, count), got {type(out).__name__}.",
                    "return g, count.")
    g, count = out
    full = torch.eye(jacobians[0].shape[1], dtype=_float64)
    for J in jacobians:
        full = J.to(_float64) @ full                               # J_L ... J_1, (n_L, n_0)
    expected = (full.T @ v.to(_float64)).to(v.dtype)
    checks.expect_close(g, expected, what=f"{what}: the gradient", mistakes=VJP_MISTAKES, args=(jacobians, v),
                        **_tolerance(v))
    checks.expect_equal(checks.as_int(count), int(sum(J.shape[0] * J.shape[1] for J in jacobians)),
                        what=f"{what}: the multiply-add count", mistakes=VJP_COUNT_MISTAKES, args=(jacobians, v))
    what = f"matrix_chain_cost for {len(jacobians)} Jacobians (widths {shapes})"
    cost = _call(matrix_chain_cost, [J.clone() for J in jacobians], v.clone(), what=what, forbidden=CHAIN_FORBIDDEN)
    checks.expect_equal(checks.as_int(cost), _matrix_cost(jacobians, v), what=what, mistakes=MATRIX_COST_MISTAKES,
                        args=(jacobians, v))


# ---------------------------------------------------------------- exercise 2: fan-out

SILU_MISTAKES = (
    Mistake("product-path-only", "x reaches y along two paths (as the factor x and inside sigma(x)); you kept only "
            "the direct one, sigma(x). Add the other: x * sigma(x) * (1 - sigma(x)).",
            lambda x, g: g * _s(x)),
    Mistake("sigmoid-path-only", "x reaches y along two paths; you kept only the one through sigma. Add the direct "
            "path's contribution sigma(x).", lambda x, g: g * x * _s(x) * (1 - _s(x))),
    Mistake("product-of-paths", "contributions of several paths are *added*, not multiplied.",
            lambda x, g: g * _s(x) * x * _s(x) * (1 - _s(x))),
    Mistake("no-grad-out", "multiply the local derivative by grad_out.", lambda x, g: _s(x) + x * _s(x) * (1 - _s(x))),
)


def check_silu_backward(silu_backward, x: torch.Tensor, grad_out: torch.Tensor) -> None:
    """silu_backward(x, grad_out) equals autograd's dL/dx for y = x * sigmoid(x): both paths summed."""
    what = f"silu_backward for x that is {checks.describe(x)}"
    out = _call(silu_backward, x.clone(), grad_out.clone(), what=what, forbidden=SILU_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(x.shape), dtype=x.dtype)
    expected = _autograd_vjp(lambda v: v * _sigmoid(v), x, grad_out)
    checks.expect_close(out, expected, what=what, mistakes=SILU_MISTAKES, args=(x, grad_out), **_tolerance(x))
