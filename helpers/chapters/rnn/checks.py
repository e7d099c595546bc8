"""Checks for chapter 08 (recurrent networks), with each exercise's catalogue of known mistakes.

The oracles are torch's own modules (``nn.RNN``, ``nn.LSTMCell``, ``nn.GRUCell``) with the test's
weights copied in, and autograd, run in float64 outside the student's code. Every ``check_*``
raises helpers.grading.checks.CheckFailure with a message for the student, or returns None.
"""
from __future__ import annotations

import torch
from torch import nn

from helpers.chapters.rnn import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

# Bound at import time: blocking during a student's call, or a submission that rebinds them, does not touch these.
_grad = torch.autograd.grad
_jacobian = torch.autograd.functional.jacobian
_float64 = torch.float64
_sigmoid, _tanh = torch.sigmoid, torch.tanh

RNN_LIBRARY = ("torch.nn.RNN.forward", "torch.nn.RNNCell.forward", "torch.rnn_tanh", "torch.rnn_tanh_cell",
               "torch.nn.LSTM.forward", "torch.nn.LSTMCell.forward", "torch.lstm", "torch.lstm_cell",
               "torch.nn.GRU.forward", "torch.nn.GRUCell.forward", "torch.gru", "torch.gru_cell")
RNN_FORBIDDEN = RNN_LIBRARY + (answers.rnn_forward,)
BPTT_FORBIDDEN = checks.AUTOGRAD_LIBRARY + RNN_LIBRARY + (answers.rnn_backward,)
JACOBIAN_FORBIDDEN = checks.AUTOGRAD_LIBRARY + (answers.jacobians_through_time,)
LSTM_FORBIDDEN = RNN_LIBRARY + (answers.lstm_cell,)
GRU_FORBIDDEN = RNN_LIBRARY + (answers.gru_cell,)
SAMPLING_FORBIDDEN = ("torch.softmax", "torch.nn.functional.softmax", "torch.Tensor.softmax", "torch.special.softmax",
                      answers.sampling_probs)
TBPTT_FORBIDDEN = (answers.tbptt_batches,)


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if x.dtype == _float64 else {"atol": 1e-5, "rtol": 1e-4}


def _dtype(x: torch.Tensor) -> str:
    return str(x.dtype).replace("torch.", "")


def _d(*ts):
    return tuple(None if t is None else t.detach().to(_float64) for t in ts)


# ---------------------------------------------------------------- exercise 1: an RNN over a sequence

def _rnn_variant(x, h0, W_ih, W_hh, b_ih, b_hh, *, transpose=False, no_bhh=False, relu=False, no_h0=False,
                 tanh_after=False):
    h, out = (h0 * 0 if no_h0 else h0), []
    Wh = W_hh.T if transpose else W_hh
    for x_t in x:
        a = x_t @ W_ih.T + b_ih + h @ Wh.T + (0 if no_bhh else b_hh)
        if tanh_after:
            a = x_t @ W_ih.T + b_ih + (0 if no_bhh else b_hh) + _tanh(h) @ Wh.T
            h = a
        else:
            h = a.clamp(min=0) if relu else _tanh(a)
        out.append(h)
    return torch.stack(out), h


def _rnn_mistakes(part: int) -> tuple[Mistake, ...]:
    rows = (
        ("w-hh-transposed", "W_hh is used transposed: nn.RNN computes h_{t-1} @ W_hh.T (row vectors), i.e. "
         "W_hh h_{t-1} for a column state.", {"transpose": True}),
        ("one-bias", "nn.RNN has two biases, b_ih and b_hh, and adds both.", {"no_bhh": True}),
        ("relu", "nn.RNN's default nonlinearity is tanh, not ReLU.", {"relu": True}),
        ("ignores-h0", "the first step starts from h0, which the test does not set to zero: h_1 = tanh(... + h0 @ W_hh.T + ...).",
         {"no_h0": True}),
        ("tanh-in-wrong-place", "the tanh goes around the whole pre-activation, h_t = tanh(x_t W_ih^T + b_ih + "
         "h_{t-1} W_hh^T + b_hh), not on h_{t-1} inside it.", {"tanh_after": True}),
    )
    return tuple(Mistake(name, hint, lambda *a, _o=o: _rnn_variant(*a, **_o)[part]) for name, hint, o in rows)


def rnn_case(T: int, B: int, I: int, H: int, dtype=torch.float32, seed: int = 0):
    """(x, h0, W_ih, W_hh, b_ih, b_hh) with the shapes of nn.RNN(I, H) on (T, B, I), h0 not zero."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s, scale=1.0: (torch.randn(*s, generator=g, dtype=dtype) * scale)   # noqa: E731
    return r(T, B, I), r(B, H, scale=0.5), r(H, I, scale=0.6), r(H, H, scale=0.6 / H ** 0.5 * 2), r(H, scale=0.3), r(H, scale=0.3)


def _torch_rnn(x, h0, W_ih, W_hh, b_ih, b_hh):
    rnn = nn.RNN(x.shape[2], h0.shape[1], nonlinearity="tanh").to(_float64)
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), (W_ih, W_hh, b_ih, b_hh)):
            getattr(rnn, name).copy_(value.to(_float64))
        out, h_T = rnn(x.to(_float64), h0.to(_float64)[None])
    return out.to(x.dtype), h_T[0].to(x.dtype)


def _pair(out, what: str, names: str):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        checks.fail(what, f"expected a pair {names}, got {type(out).__name__}.", f"return {names[1:-1]}.")
    return out


def check_rnn_forward(rnn_forward, x, h0, W_ih, W_hh, b_ih, b_hh) -> None:
    """rnn_forward returns (out, h_T) equal to nn.RNN(tanh) with these weights, in x's dtype."""
    what = (f"rnn_forward(x {tuple(x.shape)}, h0 {tuple(h0.shape)}, W_ih {tuple(W_ih.shape)}, ...) in {_dtype(x)}")
    args = (x, h0, W_ih, W_hh, b_ih, b_hh)
    res = checks.call(rnn_forward, *(a.clone() for a in args), what=what, forbidden=RNN_FORBIDDEN)
    out, h_T = _pair(res, what, "(out, h_T)")
    want_out, want_h = _torch_rnn(*args)
    checks.expect_close(out, want_out, what=f"{what}: out (every h_t)", mistakes=_rnn_mistakes(0), args=args,
                        **_tolerance(x))
    checks.expect_close(h_T, want_h, what=f"{what}: h_T", mistakes=_rnn_mistakes(1), args=args, **_tolerance(x))


# ---------------------------------------------------------------- exercise 2: derive BPTT

def _autograd_bptt(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    """(dx, dh0, dW_ih, dW_hh, db) by autograd in float64, each in its input's dtype."""
    with torch.enable_grad():
        leaves = [t.detach().to(_float64).requires_grad_(True) for t in (x, h0, W_ih, W_hh, b_ih, b_hh)]
        out, _ = answers.rnn_forward.__wrapped__(*leaves)
        grads = _grad(out, leaves[:5], grad_out.detach().to(_float64))
    return tuple(g.to(x.dtype) for g in grads)


def _bptt_variant(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out, *, no_carry=False, carry_t=False, dw_cur=False,
                  no_deriv=False, deriv_a=False, db_mean=False, dw_t=False, dh0_da=False, deriv_1mh=False,
                  overwrite=False, carry_skips_deriv=False):
    x, h0, W_ih, W_hh, b_ih, b_hh, grad_out = _d(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out)
    out, _ = answers.rnn_forward.__wrapped__(x, h0, W_ih, W_hh, b_ih, b_hh)
    prev = torch.cat([h0[None], out[:-1]])
    pre = torch.stack([x[t] @ W_ih.T + b_ih + prev[t] @ W_hh.T + b_hh for t in range(len(x))])
    dW_ih, dW_hh, db, dx = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih), torch.zeros_like(x)
    carry, last_da = torch.zeros_like(h0), None
    for t in reversed(range(x.shape[0])):
        dh = grad_out[t] + (0 if no_carry else carry)
        if no_deriv:
            da = dh
        elif deriv_a:
            da = dh * (1 - pre[t] ** 2)
        elif deriv_1mh:
            da = dh * (1 - out[t])
        elif carry_skips_deriv:
            da = grad_out[t] * (1 - out[t] ** 2) + carry
        else:
            da = dh * (1 - out[t] ** 2)
        if overwrite:                       # each step replaces the shared weights' gradient: t = 1's is left
            dW_ih, dW_hh, db = dW_ih * 0, dW_hh * 0, db * 0
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + ((prev[t].T @ da) if dw_t else (da.T @ (out[t] if dw_cur else prev[t])))
        db = db + (da.mean(dim=0) if db_mean else da.sum(dim=0))
        dx[t] = da @ W_ih
        carry = da @ (W_hh.T if carry_t else W_hh)
        last_da = da
    dh0 = last_da if dh0_da else carry
    dt = grad_out.dtype if grad_out.dtype != _float64 else _float64
    return tuple(t.to(dt) for t in (dx, dh0, dW_ih, dW_hh, db))


_BPTT_ROWS = (
    ("no-carry", "the gradient of h_t has two parts: the loss at step t (grad_out[t]) and what comes back from "
     "h_{t+1} (h_t feeds the next step): dL/dh_t = grad_out[t] + dL/da_{t+1} @ W_hh. You kept only the first.",
     {"no_carry": True}),
    ("carry-transposed", "going back from a_{t+1} = ... + h_t @ W_hh.T to h_t multiplies by W_hh, not W_hh.T: "
     "dL/dh_t gets dL/da_{t+1} @ W_hh.", {"carry_t": True}),
    ("dw-hh-current-state", "W_hh multiplies the *previous* state: dL/dW_hh = sum_t dL/da_t^T @ h_{t-1} "
     "(h0 for the first step), not h_t.", {"dw_cur": True}),
    ("no-tanh-derivative", "the chain rule through h_t = tanh(a_t) multiplies by tanh'(a_t) = 1 - h_t^2 "
     "(element-wise) before the gradient reaches the weights.", {"no_deriv": True}),
    ("tanh-derivative-of-a", "tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2: you used 1 - a_t^2, the pre-activation squared.",
     {"deriv_a": True}),
    ("tanh-derivative-unsquared", "tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2, not 1 - h_t.", {"deriv_1mh": True}),
    ("db-mean", "every example and step adds the bias once: dL/db is the *sum* of dL/da_t over the batch and "
     "time, not a mean.", {"db_mean": True}),
    ("dw-transposed", "dL/dW_hh has W_hh's shape (H_out, H_in): sum_t dL/da_t^T @ h_{t-1}; you built its transpose.",
     {"dw_t": True}),
    ("overwrites-shared-gradient", "the weights are shared by every step, so their gradient is the *sum* of the steps' "
     "contributions: dW += dL/da_t^T @ ... at each t. You overwrote it at each step, which leaves only the first "
     "step's.", {"overwrite": True}),
    ("carry-skips-tanh-derivative", "both parts of dL/dh_t go through the tanh: dL/da_t = (grad_out[t] + dL/da_{t+1} @ "
     "W_hh) * (1 - h_t^2). You applied 1 - h_t^2 to grad_out[t] only and added the carried gradient after it.",
     {"carry_skips_deriv": True}),
    ("dh0-no-weight", "h0 reaches the loss through a_1 = ... + h0 @ W_hh.T: dL/dh0 = dL/da_1 @ W_hh, not dL/da_1.",
     {"dh0_da": True}),
)
BPTT_PARTS = ("dx", "dh0", "dW_ih", "dW_hh", "db")


def _bptt_mistakes(part: str) -> tuple[Mistake, ...]:
    k = BPTT_PARTS.index(part)
    return tuple(Mistake(name, hint, lambda *a, _o=o: _bptt_variant(*a, **_o)[k]) for name, hint, o in _BPTT_ROWS)


def check_rnn_backward(rnn_backward, x, h0, W_ih, W_hh, b_ih, b_hh, grad_out) -> None:
    """rnn_backward returns (dx, dh0, dW_ih, dW_hh, db) equal to autograd's for L = sum(grad_out * out)."""
    what = (f"rnn_backward(x {tuple(x.shape)}, h0 {tuple(h0.shape)}, W_hh {tuple(W_hh.shape)}, grad_out "
            f"{tuple(grad_out.shape)}) in {_dtype(x)}")
    args = (x, h0, W_ih, W_hh, b_ih, b_hh, grad_out)
    res = checks.call(rnn_backward, *(a.clone() for a in args), what=what, forbidden=BPTT_FORBIDDEN)
    if not (isinstance(res, (tuple, list)) and len(res) == 5):
        checks.fail(what, f"expected a tuple (dx, dh0, dW_ih, dW_hh, db), got {type(res).__name__}.",
                    "return dx, dh0, dW_ih, dW_hh, db in that order.")
    for part, got, want in zip(BPTT_PARTS, res, _autograd_bptt(*args)):
        checks.expect_close(got, want, what=f"{what}: {part}", mistakes=_bptt_mistakes(part), args=args,
                            **_tolerance(x))


# ---------------------------------------------------------------- exercise 5: derive the Jacobians through time

def jacobian_case(T: int, H: int, dtype=torch.float64, seed: int = 0, scale: float = 1.2):
    """(hs (T+1, H), W_hh (H, H), us (T, H)): the states of h_t = tanh(W_hh h_{t-1} + u_t) from a random h_0."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(H, H, generator=g, dtype=_float64) * scale / H ** 0.5
    us = torch.randn(T, H, generator=g, dtype=_float64) * 0.8
    hs = [torch.tanh(torch.randn(H, generator=g, dtype=_float64))]
    for u in us:
        hs.append(torch.tanh(W @ hs[-1] + u))
    return torch.stack(hs).to(dtype), W.to(dtype), us.to(dtype)


def _autograd_jacobians(hs, W_hh, us):
    """J[k] = dh_T/dh_k by autograd: the recurrence run from h_k with the same inputs (float64)."""
    hs, W, us = _d(hs, W_hh, us)
    T = len(us)

    def run_from(k):
        def f(h):
            for u in us[k:]:
                h = torch.tanh(W @ h + u)
            return h
        return f
    with torch.enable_grad():
        J = [_jacobian(run_from(k), hs[k]) for k in range(T)]
    return torch.stack(J + [torch.eye(hs.shape[1], dtype=_float64)])


def _jac_variant(hs, W_hh, *, transpose=False, use_k=False, no_deriv=False, reverse=False, unsquared=False,
                 sum_not_product=False):
    hs, W = _d(hs, W_hh)
    W = W.T if transpose else W
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H, dtype=_float64)]
    for k in reversed(range(T)):
        h = hs[k] if use_k else hs[k + 1]
        d = torch.ones_like(h) if no_deriv else ((1 - h) if unsquared else (1 - h ** 2))
        step = d[:, None] * W
        J.append(J[-1] + step if sum_not_product else (step @ J[-1] if reverse else J[-1] @ step))
    return torch.stack(J[::-1])                       # float64; the check casts it to the input's dtype


JACOBIAN_MISTAKES = tuple(Mistake(name, hint, lambda hs, W, _o=o: _jac_variant(hs, W, **_o)) for name, hint, o in (
    ("w-transposed", "h_{k+1} = tanh(W_hh h_k + u) gives dh_{k+1}/dh_k = diag(1 - h_{k+1}^2) W_hh: entry (i, j) is "
     "(1 - h_{k+1,i}^2) W_hh[i, j]; you used W_hh transposed.", {"transpose": True}),
    ("derivative-at-h-k", "the tanh derivative belongs to the step's *output*: dh_{k+1}/dh_k = diag(1 - h_{k+1}^2) "
     "W_hh, with h_{k+1}, not h_k (an off-by-one in time).", {"use_k": True}),
    ("no-tanh-derivative", "each step's Jacobian includes the tanh: diag(1 - h_{k+1}^2) W_hh, not W_hh alone.",
     {"no_deriv": True}),
    ("product-reversed", "matrix products do not commute: dh_T/dh_k = dh_T/dh_{k+1} @ dh_{k+1}/dh_k (the later "
     "steps on the left).", {"reverse": True}),
    ("tanh-derivative-unsquared", "tanh'(a) = 1 - tanh(a)^2 = 1 - h^2, not 1 - h.", {"unsquared": True}),
    ("sum-not-product", "the chain rule multiplies the Jacobians of the steps; it does not add them.",
     {"sum_not_product": True}),
))


def check_jacobians_through_time(jacobians_through_time, hs, W_hh, us) -> None:
    """jacobians_through_time(hs, W_hh) returns J (T+1, H, H) with J[k] = dh_T/dh_k, as autograd finds it by
    rerunning the recurrence (us are the inputs the states came from; the function does not need them)."""
    T, H = hs.shape[0] - 1, hs.shape[1]
    what = f"jacobians_through_time(hs {tuple(hs.shape)}, W_hh {tuple(W_hh.shape)}) in {_dtype(hs)}"
    out = checks.call(jacobians_through_time, hs.clone(), W_hh.clone(), what=what, forbidden=JACOBIAN_FORBIDDEN)
    want = _autograd_jacobians(hs, W_hh, us).to(hs.dtype)
    mistakes = tuple(Mistake(m.name, m.hint, lambda a, b, _v=m.variant: _v(a, b).to(hs.dtype)) for m in JACOBIAN_MISTAKES)
    checks.expect_close(out, want, what=what, mistakes=mistakes, args=(hs, W_hh), **_tolerance(hs))


# ---------------------------------------------------------------- exercises 3 and 4: LSTM and GRU cells

def cell_case(kind: str, B: int, I: int, H: int, dtype=torch.float32, seed: int = 0):
    """(x, h, c, W_ih, W_hh, b_ih, b_hh) for an LSTM cell, (x, h, W_ih, W_hh, b_ih, b_hh) for a GRU cell."""
    g = torch.Generator().manual_seed(seed)
    G = 4 if kind == "lstm" else 3
    r = lambda *s, scale=1.0: torch.randn(*s, generator=g, dtype=dtype) * scale   # noqa: E731
    x, h, c = r(B, I), r(B, H, scale=0.8), r(B, H, scale=1.5)
    W_ih, W_hh, b_ih, b_hh = r(G * H, I, scale=0.7), r(G * H, H, scale=0.7), r(G * H, scale=0.5), r(G * H, scale=0.5)
    return (x, h, c, W_ih, W_hh, b_ih, b_hh) if kind == "lstm" else (x, h, W_ih, W_hh, b_ih, b_hh)


def _copy_cell(cell, W_ih, W_hh, b_ih, b_hh):
    with torch.no_grad():
        for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), (W_ih, W_hh, b_ih, b_hh)):
            getattr(cell, name).copy_(value.to(_float64))
    return cell


def _torch_lstm(x, h, c, W_ih, W_hh, b_ih, b_hh):
    cell = _copy_cell(nn.LSTMCell(x.shape[1], h.shape[1]).to(_float64), W_ih, W_hh, b_ih, b_hh)
    with torch.no_grad():
        h2, c2 = cell(x.to(_float64), (h.to(_float64), c.to(_float64)))
    return h2.to(x.dtype), c2.to(x.dtype)


def _lstm_variant(x, h, c, W_ih, W_hh, b_ih, b_hh, *, order="ifgo", no_tanh_c=False, no_input_gate=False,
                  g_sigmoid=False, no_bhh=False):
    x, h, c, W_ih, W_hh, b_ih, b_hh = _d(x, h, c, W_ih, W_hh, b_ih, b_hh)
    a = x @ W_ih.T + b_ih + h @ W_hh.T + (0 if no_bhh else b_hh)
    parts = dict(zip(order, a.chunk(4, dim=1)))
    i, f, g, o = _sigmoid(parts["i"]), _sigmoid(parts["f"]), parts["g"], _sigmoid(parts["o"])
    g = _sigmoid(g) if g_sigmoid else _tanh(g)
    c2 = f * c + (g if no_input_gate else i * g)
    h2 = o * (c2 if no_tanh_c else _tanh(c2))
    return h2, c2


def _lstm_mistakes(part: int, dtype) -> tuple[Mistake, ...]:
    rows = (
        ("order-ifog", "PyTorch's gate order along the 4H rows is (i, f, g, o): the candidate g is the third block, "
         "the output gate o the last.", {"order": "ifog"}),
        ("order-fig", "PyTorch's gate order is (i, f, g, o): the input gate is the first block, the forget gate the "
         "second.", {"order": "figo"}),
        ("order-tf", "that is TensorFlow's order (i, g, f, o); PyTorch's is (i, f, g, o).", {"order": "igfo"}),
        ("no-tanh-on-c", "h_new = o * tanh(c_new): the output gate multiplies tanh of the new cell state.",
         {"no_tanh_c": True}),
        ("no-input-gate", "the candidate is scaled by the input gate: c_new = f * c + i * g.", {"no_input_gate": True}),
        ("g-sigmoid", "the candidate g uses tanh (values in (-1, 1)); only the gates i, f, o use the sigmoid.",
         {"g_sigmoid": True}),
        ("one-bias", "nn.LSTMCell adds both biases, b_ih and b_hh.", {"no_bhh": True}),
    )
    return tuple(Mistake(n, hint, lambda *a, _o=o: _lstm_variant(*a, **_o)[part].to(dtype)) for n, hint, o in rows)


def check_lstm_cell(lstm_cell, x, h, c, W_ih, W_hh, b_ih, b_hh) -> None:
    """lstm_cell returns (h_new, c_new) equal to nn.LSTMCell with these weights, in x's dtype."""
    what = f"lstm_cell(x {tuple(x.shape)}, h {tuple(h.shape)}, c, W_ih {tuple(W_ih.shape)}, ...) in {_dtype(x)}"
    args = (x, h, c, W_ih, W_hh, b_ih, b_hh)
    res = checks.call(lstm_cell, *(a.clone() for a in args), what=what, forbidden=LSTM_FORBIDDEN)
    h2, c2 = _pair(res, what, "(h_new, c_new)")
    want_h, want_c = _torch_lstm(*args)
    checks.expect_close(c2, want_c, what=f"{what}: c_new", mistakes=_lstm_mistakes(1, x.dtype), args=args, **_tolerance(x))
    checks.expect_close(h2, want_h, what=f"{what}: h_new", mistakes=_lstm_mistakes(0, x.dtype), args=args, **_tolerance(x))


def check_lstm_memory(lstm_cell, B: int = 3, I: int = 4, H: int = 5) -> None:
    """With forget-gate bias +20 and input-gate bias -20 the cell keeps its memory: c_new = c for any x and h."""
    x, h, c, W_ih, W_hh, b_ih, b_hh = cell_case("lstm", B, I, H, torch.float64, seed=11)
    b_ih = b_ih.clone()
    b_ih[:H], b_ih[H:2 * H] = -20.0, 20.0
    what = "lstm_cell with forget-gate bias +20 and input-gate bias -20 (f = 1, i = 0)"
    res = checks.call(lstm_cell, x, h, c.clone(), W_ih, W_hh, b_ih, b_hh, what=what, forbidden=LSTM_FORBIDDEN)
    _, c2 = _pair(res, what, "(h_new, c_new)")
    checks.expect_close(c2, c, what=f"{what}: c_new should equal c", atol=1e-6, rtol=1e-6,
                        mistakes=_lstm_mistakes(1, x.dtype), args=(x, h, c, W_ih, W_hh, b_ih, b_hh))


def _torch_gru(x, h, W_ih, W_hh, b_ih, b_hh):
    cell = _copy_cell(nn.GRUCell(x.shape[1], h.shape[1]).to(_float64), W_ih, W_hh, b_ih, b_hh)
    with torch.no_grad():
        return cell(x.to(_float64), h.to(_float64)).to(x.dtype)


def _gru_variant(x, h, W_ih, W_hh, b_ih, b_hh, *, cho_reset=False, z_swapped=False, order="rzn", bhn_outside=False,
                 no_bhh=False):
    x, h, W_ih, W_hh, b_ih, b_hh = _d(x, h, W_ih, W_hh, b_ih, b_hh)
    b_hh = b_hh * 0 if no_bhh else b_hh
    gi = dict(zip(order, (x @ W_ih.T + b_ih).chunk(3, dim=1)))
    gh = dict(zip(order, (h @ W_hh.T + b_hh).chunk(3, dim=1)))
    r, z = _sigmoid(gi["r"] + gh["r"]), _sigmoid(gi["z"] + gh["z"])
    H = h.shape[1]
    k = order.index("n")
    W_hn, b_hn = W_hh[k * H:(k + 1) * H], b_hh[k * H:(k + 1) * H]
    if cho_reset:
        n = _tanh(gi["n"] + (r * h) @ W_hn.T + b_hn)
    elif bhn_outside:
        n = _tanh(gi["n"] + r * (h @ W_hn.T) + b_hn)
    else:
        n = _tanh(gi["n"] + r * gh["n"])
    return z * n + (1 - z) * h if z_swapped else (1 - z) * n + z * h


def _gru_mistakes(dtype) -> tuple[Mistake, ...]:
    rows = (
        ("cho-reset", "that is the textbook reset (r * h before the matrix product, as in Cho et al.'s final version); "
         "nn.GRUCell applies r *after* "
         "it: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).", {"cho_reset": True}),
        ("z-weights-new", "in PyTorch's form z weights the *old* state: h_new = (1 - z) * n + z * h.", {"z_swapped": True}),
        ("order-zrn", "PyTorch's gate order along the 3H rows is (r, z, n): reset first, then update.", {"order": "zrn"}),
        ("b-hn-outside-reset", "b_hn is inside the reset: r * (W_hn h + b_hn), not r * (W_hn h) + b_hn.",
         {"bhn_outside": True}),
        ("one-bias", "nn.GRUCell adds both biases, b_ih and b_hh (b_hn inside the reset).", {"no_bhh": True}),
    )
    return tuple(Mistake(n, hint, lambda *a, _o=o: _gru_variant(*a, **_o).to(dtype)) for n, hint, o in rows)


def check_gru_cell(gru_cell, x, h, W_ih, W_hh, b_ih, b_hh) -> None:
    """gru_cell returns h_new equal to nn.GRUCell with these weights, in x's dtype."""
    what = f"gru_cell(x {tuple(x.shape)}, h {tuple(h.shape)}, W_ih {tuple(W_ih.shape)}, ...) in {_dtype(x)}"
    args = (x, h, W_ih, W_hh, b_ih, b_hh)
    out = checks.call(gru_cell, *(a.clone() for a in args), what=what, forbidden=GRU_FORBIDDEN)
    checks.expect_close(out, _torch_gru(*args), what=what, mistakes=_gru_mistakes(x.dtype), args=args, **_tolerance(x))
    if x.shape[0] > 1:
        checks.expect_rows_independent(lambda xs: gru_cell(xs, h[:1].expand(xs.shape[0], -1).clone(), W_ih, W_hh,
                                                           b_ih, b_hh),
                                       x.clone(), what=f"{what}, the rows of a batch one by one",
                                       forbidden=GRU_FORBIDDEN, **_tolerance(x))


# ---------------------------------------------------------------- exercise 6: sampling with temperature and top-k

def _expected_probs(logits, temperature, top_k):
    return answers.sampling_probs.__wrapped__(logits.to(_float64), temperature, top_k).to(logits.dtype)


def _sampling_variant(logits, temperature=1.0, top_k=None, *, times=False, no_renorm=False, k_off=0, ignore_t=False,
                      ignore_k=False, mask_zero=False):
    z = logits.to(_float64)
    t = 1.0 if ignore_t else temperature
    z = z * t if times else z / t
    if mask_zero and top_k is not None and top_k < z.shape[-1]:   # the dropped logits set to 0, not to -inf
        z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], 0.0)
        p = torch.exp(z - z.max(dim=-1, keepdim=True).values)
        return (p / p.sum(dim=-1, keepdim=True)).to(logits.dtype)
    p = torch.exp(z - z.max(dim=-1, keepdim=True).values)
    p = p / p.sum(dim=-1, keepdim=True)
    k = None if ignore_k or top_k is None else top_k + k_off
    if k is not None and 0 < k < z.shape[-1]:
        kth = z.topk(k, dim=-1).values[..., -1:]
        p = p.masked_fill(z < kth, 0.0)
        if not no_renorm:
            p = p / p.sum(dim=-1, keepdim=True)
    return p.to(logits.dtype)


SAMPLING_MISTAKES = tuple(Mistake(n, hint, lambda *a, _o=o, **kw: _sampling_variant(*a, **kw, **_o)) for n, hint, o in (
    ("times-temperature", "divide the logits by the temperature: softmax(logits / T). A high T flattens the "
     "distribution, a low T sharpens it.", {"times": True}),
    ("no-renormalise", "after keeping the top k, the kept probabilities must sum to 1 again: renormalise (or mask "
     "the other logits with -inf before the softmax).", {"no_renorm": True}),
    ("k-plus-one", "you kept k + 1 symbols: exactly top_k are kept (the k largest logits).", {"k_off": 1}),
    ("k-minus-one", "you kept k - 1 symbols: exactly top_k are kept (the k largest logits).", {"k_off": -1}),
    ("ignores-temperature", "the temperature is not applied: softmax(logits / temperature).", {"ignore_t": True}),
    ("masked-with-zero", "the symbols outside the top k must get probability 0: mask their logits with -inf (exp(-inf) "
     "= 0), not with 0, which still gives them exp(0 - max) each.", {"mask_zero": True}),
    ("ignores-top-k", "top_k is ignored: only the top_k largest logits keep a probability; the rest get 0.",
     {"ignore_k": True}),
))


def sampling_logits(shape, dtype=torch.float64, seed: int = 0, scale: float = 3.0) -> torch.Tensor:
    """Random logits without ties along the last axis."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=_float64).mul(scale).to(dtype)


def check_sampling_probs(sampling_probs, logits, temperature: float = 1.0, top_k: int | None = None) -> None:
    """sampling_probs(logits, temperature, top_k) returns probabilities (rows sum to 1) equal to
    softmax(logits / temperature) restricted to the top_k largest logits and renormalised."""
    what = f"sampling_probs(logits {tuple(logits.shape)} {_dtype(logits)}, temperature={temperature}, top_k={top_k})"
    out = checks.call(sampling_probs, logits.clone(), temperature, top_k, what=what, forbidden=SAMPLING_FORBIDDEN)
    expected = _expected_probs(logits, temperature, top_k)
    checks.expect_tensor(out, what=what)
    args = (logits, temperature, top_k)
    if tuple(out.shape) == tuple(expected.shape) and bool(torch.isfinite(out).all()):
        hint = checks.diagnose(out, SAMPLING_MISTAKES, args, {}, expected=expected)
        if hint:
            checks.fail(what, "these are not the probabilities asked for.", hint)
        checks.expect_form(out, "probabilities", what=what)
    if tuple(out.shape) == tuple(expected.shape) and out.is_floating_point() and bool(torch.isneginf(out).any()):
        checks.fail(what, f"{int(torch.isneginf(out).sum())} entries are -inf.",
                    "these look like masked logits or log-probabilities: return probabilities, exp(...) of them "
                    "normalised, which are 0 outside the top k.")
    checks.expect_finite(out, what=what, hint="exp(logits / T) overflows for small T or large logits: subtract the "
                         "row's maximum before exp (and mask with -inf, which exp turns into 0).")
    checks.expect_close(out, expected, what=what, mistakes=SAMPLING_MISTAKES, args=args,
                        **_tolerance(logits))
    if logits.dim() == 2 and logits.shape[0] > 1:
        checks.expect_rows_independent(lambda z: sampling_probs(z, temperature, top_k), logits.clone(), what=what,
                                       forbidden=SAMPLING_FORBIDDEN, **_tolerance(logits))


# ---------------------------------------------------------------- exercise 7: batches for truncated BPTT

def _tbptt_variant(ids, B, L, *, interleaved=False, no_shift=False, windows_first=False, drop_last_stream=False):
    N = len(ids)
    M = (N - 1) // B
    S = M // L
    if windows_first:                       # consecutive windows of the text side by side in one batch
        n = S * B
        x = ids[:n * L].view(S, B, L)
        y = ids[1:n * L + 1].view(S, B, L)
        return x, y
    if interleaved:                         # stream b = every B-th symbol
        x = ids[:B * M].view(M, B).T[:, :S * L]
        y = ids[1:B * M + 1].view(M, B).T[:, :S * L]
    else:
        x = ids[:B * M].view(B, M)[:, :S * L]
        y = (ids[:B * M] if no_shift else ids[1:B * M + 1]).view(B, M)[:, :S * L]
    return (x.reshape(B, S, L).transpose(0, 1), y.reshape(B, S, L).transpose(0, 1))


def _tbptt_mistakes(part: int) -> tuple[Mistake, ...]:
    rows = (
        ("interleaved-streams", "each row must be a *contiguous* stretch of the text, stream b = ids[b*M:(b+1)*M]; "
         "ids.view(M, B).T makes row b every B-th symbol, which is not text.", {"interleaved": True}),
        ("targets-not-shifted", "the target of each symbol is the *next* one: Y is ids shifted by one.", {"no_shift": True}),
        ("windows-side-by-side", "consecutive windows of the text were put side by side in one batch: then window s + 1 "
         "of row b does not continue window s of row b, and the carried state is wrong. Cut the text into B "
         "streams first (view(B, M)), then each stream into windows.", {"windows_first": True}),
    )
    return tuple(Mistake(n, hint, lambda *a, _o=o: _tbptt_variant(*a, **_o)[part]) for n, hint, o in rows)


def check_tbptt_batches(tbptt_batches, ids, batch_size: int, seq_len: int) -> None:
    """tbptt_batches(ids, B, L) returns (X, Y), each (S, B, L) int64, equal to the reference layout: B contiguous
    streams of M = (N - 1) // B symbols, each cut into S = M // L windows, Y the symbols that follow X's."""
    what = f"tbptt_batches(ids of length {len(ids)}, batch_size={batch_size}, seq_len={seq_len})"
    res = checks.call(tbptt_batches, ids.clone(), batch_size, seq_len, what=what, forbidden=TBPTT_FORBIDDEN)
    X, Y = _pair(res, what, "(X, Y)")
    want_X, want_Y = answers.tbptt_batches.__wrapped__(ids, batch_size, seq_len)
    args = (ids, batch_size, seq_len)
    for name, got, want, part in (("X", X, want_X, 0), ("Y", Y, want_Y, 1)):
        checks.expect_tensor(got, what=f"{what}: {name}")
        if got.dtype != torch.int64:
            checks.fail(f"{what}: {name}", f"expected int64 ids, got {_dtype(got)}.", "index ids; do not convert them to floats.")
        checks.expect_close(got.double(), want.double(), what=f"{what}: {name}",
                            mistakes=tuple(Mistake(m.name, m.hint, lambda *a, _v=m.variant: _v(*a).double())
                                           for m in _tbptt_mistakes(part)), args=args, atol=0, rtol=0)
