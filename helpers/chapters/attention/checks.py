"""Checks for chapter 09's test cells (attention and transformers), with each exercise's catalogue
of known mistakes.

The oracles are torch's own functions where one exists (``F.scaled_dot_product_attention``,
``nn.MultiheadAttention``, autograd), run in float64 outside the student's code, and exhaustive
search for beam search. Every ``check_*`` raises helpers.grading.checks.CheckFailure with a
message for the student, or returns None.
"""
from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.chapters.attention import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake

# Bound at import time: blocking during a student's call, or a submission that rebinds them, does not touch these.
_sdpa = F.scaled_dot_product_attention
_softmax = torch.softmax
_grad = torch.autograd.grad
_float64 = torch.float64

SDPA_LIBRARY = ("torch.nn.functional.scaled_dot_product_attention",
                "torch.nn.functional.multi_head_attention_forward", "torch.nn.MultiheadAttention.forward")
ATTENTION_FORBIDDEN = SDPA_LIBRARY + (answers.attention, answers.MultiHeadAttention.forward)
PE_FORBIDDEN = (answers.sinusoidal_pe, answers.pe_shift_matrix)
BACKWARD_FORBIDDEN = checks.AUTOGRAD_LIBRARY + (answers.attention_backward,)
MHA_FORBIDDEN = SDPA_LIBRARY[1:] + (answers.MultiHeadAttention.forward, answers.TransformerBlock.forward)
BEAM_FORBIDDEN = (answers.beam_search,)


def _tolerance(dtype: torch.dtype) -> dict:
    return {"atol": 1e-10, "rtol": 1e-8} if dtype == _float64 else {"atol": 2e-5, "rtol": 1e-4}


def _dtype(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def _pair(out, what: str, n: int = 2) -> tuple:
    if not isinstance(out, (tuple, list)) or len(out) != n:
        checks.fail(what, f"expected a tuple of {n} tensors, got {type(out).__name__}"
                          f"{'' if not isinstance(out, (tuple, list)) else f' of length {len(out)}'}.",
                    "return both results, e.g. `return out, weights`.")
    return tuple(out)


# ---------------------------------------------------------------- exercise 1: scaled dot-product attention

def _attn(q, k, v, mask=None, *, scale="sqrt", dim=-1, mask_mode="inf", transpose=False):
    """Variants of attention in float64: (out, weights)."""
    q, k, v = q.to(_float64), k.to(_float64), v.to(_float64)
    s = q @ k.transpose(-2, -1)
    s = s / {"sqrt": math.sqrt(q.shape[-1]), "none": 1.0, "d": q.shape[-1], "sqrt_lk": math.sqrt(k.shape[-2]),
             "sqrt_dv": math.sqrt(v.shape[-1])}[scale]
    if mask is not None and mask_mode == "inf":
        s = s.masked_fill(~mask, float("-inf"))
    elif mask is not None and mask_mode == "inverted":
        s = s.masked_fill(mask, float("-inf"))
    elif mask is not None and mask_mode == "zero":
        s = s.masked_fill(~mask, 0.0)
    w = _softmax(s, dim=dim)
    if mask is not None and mask_mode == "after":
        w = w.masked_fill(~mask, 0.0)
    if transpose:
        w = w.transpose(-2, -1)
    return w @ v, w


def _attention_mistakes(part: int):
    pick = lambda **kw: (lambda q, k, v, mask=None: _attn(q, k, v, mask, **kw)[part])   # noqa: E731
    return (
        Mistake("no-scale", "the scores are not scaled: divide q k^T by sqrt(d), d = q.shape[-1].", pick(scale="none")),
        Mistake("scale-d", "you divided by d; the scale is 1/sqrt(d) (the scores' standard deviation is sqrt(d)).",
                pick(scale="d")),
        Mistake("scale-lk", "the scale is 1/sqrt(d) with d the feature size of q and k (q.shape[-1]), not the "
                "number of keys.", pick(scale="sqrt_lk")),
        Mistake("scale-dv", "the scale is 1/sqrt(d) with d the feature size of q and k (q.shape[-1]), not the "
                "size of the values (v.shape[-1]).", pick(scale="sqrt_dv")),
        Mistake("softmax-over-queries", "the softmax ran over the queries (dim=-2): each query's weights over the keys "
                "must sum to 1, so normalise along the last axis.", pick(dim=-2)),
        Mistake("mask-inverted", "the mask is inverted: True means 'may attend'; fill the scores with -inf where the "
                "mask is False (scores.masked_fill(~mask, float('-inf'))).", pick(mask_mode="inverted")),
        Mistake("mask-zero", "masked scores set to 0 still get weight exp(0) > 0: set them to -inf before the softmax.",
                pick(mask_mode="zero")),
        Mistake("mask-after-softmax", "zeroing weights after the softmax leaves rows that no longer sum to 1: mask the "
                "scores with -inf before the softmax.", pick(mask_mode="after")),
        Mistake("mask-ignored", "the mask is not applied: fill the scores with -inf where the mask is False, before "
                "the softmax.", lambda q, k, v, mask=None: _attn(q, k, v, None)[part]),
        Mistake("weights-transposed", "the weights are transposed: weights[..., i, j] is how much query i attends to "
                "key j, scores = q @ k.transpose(-2, -1).", pick(transpose=True)),
    )


ATTENTION_WEIGHT_MISTAKES = _attention_mistakes(1)
ATTENTION_OUT_MISTAKES = _attention_mistakes(0)


def check_attention(attention, q, k, v, mask=None) -> None:
    """attention(q, k, v, mask) -> (out, weights): out equals F.scaled_dot_product_attention (boolean
    attn_mask, True = attend), weights are the softmax of the scaled, masked scores; in q's dtype."""
    what = (f"attention(q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}, "
            f"mask {'None' if mask is None else tuple(mask.shape)}) in {_dtype(q.dtype)}")
    args = (q, k, v, mask)
    res = checks.call(attention, q.clone(), k.clone(), v.clone(), None if mask is None else mask.clone(),
                      what=what, forbidden=ATTENTION_FORBIDDEN)
    out, weights = _pair(res, what)
    tol = _tolerance(q.dtype)
    _, w_expected = _attn(*args)
    checks.expect_close(weights, w_expected.to(q.dtype), what=f"the weights of {what}",
                        mistakes=ATTENTION_WEIGHT_MISTAKES, args=args, **tol)
    if mask is not None and bool((weights.detach()[~mask.expand_as(weights)] != 0).any()):
        checks.fail(f"the weights of {what}", "a masked position has a weight that is not exactly 0.",
                    "fill masked scores with float('-inf') before the softmax: exp(-inf) is exactly 0.")
    o_expected = _sdpa(q.to(_float64), k.to(_float64), v.to(_float64), attn_mask=mask).to(q.dtype)
    checks.expect_close(out, o_expected, what=f"the output of {what}", mistakes=ATTENTION_OUT_MISTAKES, args=args,
                        **tol)


def attention_cases(seed: int, dtype=torch.float32):
    """(q, k, v, mask) probes: a causal mask, a padding mask, batched heads, Lq != Lk."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=dtype)   # noqa: E731
    lengths = torch.tensor([3, 5])
    return [(r(2, 5, 4), r(2, 5, 4), r(2, 5, 3), answers.causal_mask(5)),
            (r(2, 3, 6), r(2, 5, 6), r(2, 5, 2), answers.padding_mask(lengths, 5)),
            (r(2, 3, 4, 8) * 3, r(2, 3, 6, 8) * 3, r(2, 3, 6, 5), None)]


# ---------------------------------------------------------------- exercise 2: sinusoidal positional encodings

def _pe(T, d, dtype=torch.float32, *, swap=False, index="2i", base=10000.0, start=0, blocks=False, sign=-1):
    t = torch.arange(start, start + T, dtype=_float64)[:, None]
    i2 = {"2i": torch.arange(0, d, 2, dtype=_float64), "i": torch.arange(0, d // 2, dtype=_float64),
          "4i": 2 * torch.arange(0, d, 2, dtype=_float64)}[index]
    omega = base ** (sign * i2 / d)
    a, b = torch.sin(t * omega), torch.cos(t * omega)
    if swap:
        a, b = b, a
    if blocks:
        return torch.cat([a, b], dim=1).to(dtype)
    pe = torch.zeros(T, d, dtype=_float64)
    pe[:, 0::2], pe[:, 1::2] = a, b
    return pe.to(dtype)


PE_MISTAKES = (
    Mistake("sin-cos-swapped", "sin and cos are swapped: even columns 2i hold sin, odd columns 2i+1 hold cos "
            "(so pe[0] = [0, 1, 0, 1, ...]).", lambda T, d, dtype=torch.float32: _pe(T, d, dtype, swap=True)),
    Mistake("exponent-i", "the frequency of pair i is 1/10000^(2i/d) with 2i the even column index: you used i/d "
            "(the pairs' frequencies then fall too slowly).", lambda T, d, dtype=torch.float32: _pe(T, d, dtype, index="i")),
    Mistake("exponent-4i", "the exponent is 2i/d with i = 0, 1, ..., d/2 - 1 the pair: 2i is already the even column "
            "index 0, 2, 4, ...; you doubled it once more (the frequencies then fall too fast).",
            lambda T, d, dtype=torch.float32: _pe(T, d, dtype, index="4i")),
    Mistake("halves", "you put all the sines in the first half and the cosines in the second: they interleave, "
            "pe[:, 0::2] = sin, pe[:, 1::2] = cos.", lambda T, d, dtype=torch.float32: _pe(T, d, dtype, blocks=True)),
    Mistake("start-at-1", "positions start at t = 0 (pe[0] = [0, 1, 0, 1, ...]).",
            lambda T, d, dtype=torch.float32: _pe(T, d, dtype, start=1)),
    Mistake("positive-exponent", "the angle is t / 10000^(2i/d), i.e. t times 10000^(-2i/d): you multiplied by "
            "10000^(2i/d).", lambda T, d, dtype=torch.float32: _pe(T, d, dtype, sign=1)),
)


def check_sinusoidal_pe(sinusoidal_pe, T: int, d: int, dtype=torch.float32) -> None:
    """sinusoidal_pe(T, d, dtype) is the (T, d) table pe[t, 2i] = sin(t / 10000^(2i/d)), pe[t, 2i+1] = cos(...)."""
    what = f"sinusoidal_pe(T={T}, d={d}, dtype={_dtype(dtype)})"
    out = checks.call(sinusoidal_pe, T, d, dtype, what=what, forbidden=PE_FORBIDDEN)
    checks.expect_close(out, _pe(T, d, dtype), what=what, mistakes=PE_MISTAKES, args=(T, d, dtype),
                        **_tolerance(dtype))


# ---------------------------------------------------------------- exercise 3: derive the shift matrix

def _shift(k, d, dtype=torch.float32, *, transpose=False, index="2i", diag_only=False, both_minus=False):
    i2 = {"2i": torch.arange(0, d, 2, dtype=_float64), "i": torch.arange(0, d // 2, dtype=_float64),
          "4i": 2 * torch.arange(0, d, 2, dtype=_float64)}[index]
    omega = 10000.0 ** (-i2 / d)
    c, s = torch.cos(omega * k), torch.sin(omega * k)
    if diag_only:
        s = torch.zeros_like(s)
    m = torch.zeros(d, d, dtype=_float64)
    i = torch.arange(0, d, 2)
    m[i, i], m[i, i + 1], m[i + 1, i], m[i + 1, i + 1] = c, (-s if both_minus else s), -s, c
    return (m.T if transpose else m).to(dtype)


SHIFT_MISTAKES = (
    Mistake("rotation-backwards", "your matrix shifts by -k (it is the transpose of the right one): from "
            "sin(a + b) = sin a cos b + cos a sin b, the sin row gets +sin(omega k) times the cos entry, and from "
            "cos(a + b) = cos a cos b - sin a sin b the cos row gets -sin(omega k) times the sin entry.",
            lambda k, d, dtype=torch.float32: _shift(k, d, dtype, transpose=True)),
    Mistake("both-minus", "check the signs with the angle-addition formulas: sin(a + b) = sin a cos b + cos a sin b "
            "(a plus), cos(a + b) = cos a cos b - sin a sin b (a minus).",
            lambda k, d, dtype=torch.float32: _shift(k, d, dtype, both_minus=True)),
    Mistake("exponent-i", "pair i rotates at omega_i = 1/10000^(2i/d), 2i being the even column: you used i/d.",
            lambda k, d, dtype=torch.float32: _shift(k, d, dtype, index="i")),
    Mistake("exponent-4i", "pair i (i = 0, ..., d/2 - 1) rotates at omega_i = 1/10000^(2i/d): 2i is already the even "
            "column index 0, 2, 4, ...; you doubled it once more.",
            lambda k, d, dtype=torch.float32: _shift(k, d, dtype, index="4i")),
    Mistake("diagonal-only", "cos(omega k) on the diagonal is not enough: each pair mixes its sin and cos "
            "entries through sin(omega k) off the diagonal.", lambda k, d, dtype=torch.float32: _shift(k, d, dtype,
                                                                                                      diag_only=True)),
)


def _shift_by(m: torch.Tensor, k: int, d: int) -> str | None:
    """'your matrix shifts by j positions' when M @ pe[t] = pe[t + j] for some other small j."""
    pe = _pe(80, d, _float64)
    moved = pe[20:40] @ m.detach().to(_float64).T
    for j in range(-20, 21):
        if j != k and torch.allclose(moved, pe[20 + j:40 + j], atol=1e-5):
            return (f"your matrix shifts by {j} positions, not by k = {k}: check the angle omega_i * k in each "
                    "rotation (an off-by-one, or the sign of k).")
    return None


def check_pe_shift_matrix(pe_shift_matrix, k: int, d: int, dtype=torch.float32) -> None:
    """pe_shift_matrix(k, d, dtype) is the (d, d) matrix M with M @ pe[t] = pe[t + k] for every t."""
    what = f"pe_shift_matrix(k={k}, d={d}, dtype={_dtype(dtype)})"
    m = checks.call(pe_shift_matrix, k, d, dtype, what=what, forbidden=PE_FORBIDDEN)
    checks.expect_tensor(m, what=what, shape=(d, d), dtype=dtype)
    pe = _pe(40 + abs(k), d, _float64)
    t0 = max(0, -k)
    moved = pe[t0:t0 + 40] @ m.detach().to(_float64).T                     # rows: M @ pe[t]
    if not torch.allclose(moved, pe[t0 + k:t0 + k + 40], atol=1e-5 if dtype != _float64 else 1e-9):
        hint = checks.diagnose(m, SHIFT_MISTAKES, (k, d, dtype), {}, expected=_shift(k, d, dtype)) or _shift_by(m, k, d)
        checks.fail(what, f"M @ pe[t] is not pe[t + {k}] (largest error "
                          f"{(moved - pe[t0 + k:t0 + k + 40]).abs().max().item():.3g} over t = {t0}..{t0 + 39}).", hint)
    checks.expect_close(m, _shift(k, d, dtype), what=what, mistakes=SHIFT_MISTAKES, args=(k, d, dtype),
                        **_tolerance(dtype))


# ---------------------------------------------------------------- exercise 4: derive the gradient of attention

def _backward_truth(scores, v, grad_out):
    s = scores.detach().to(_float64).requires_grad_(True)
    vv = v.detach().to(_float64).requires_grad_(True)
    out = _softmax(s, dim=-1) @ vv
    ds, dv = _grad(out, (s, vv), grad_out.to(_float64))
    return ds, dv


def _ds_variant(scores, v, grad_out, kind):
    a = _softmax(scores.to(_float64), dim=-1)
    da = grad_out.to(_float64) @ v.to(_float64).transpose(-2, -1)
    if kind == "no-correction":
        return a * da
    if kind == "diagonal":
        return a * (1 - a) * da
    if kind == "plus":
        return a * (da + (a * da).sum(dim=-1, keepdim=True))
    if kind == "wrong-axis":
        return a * (da - (a * da).sum(dim=-2, keepdim=True))
    if kind == "mean":
        return a * (da - (a * da).mean(dim=-1, keepdim=True))
    if kind == "no-softmax":
        return da
    raise ValueError(kind)


DS_MISTAKES = tuple(Mistake(n, h, (lambda n: lambda s, v, g: _ds_variant(s, v, g, n))(n)) for n, h in (
    ("no-correction", "the softmax's Jacobian has two parts: da_j/ds_i = a_j (delta_ij - a_i). You kept only the "
     "diagonal delta term, a * dA; subtract each row's sum(a * dA) first: a * (dA - sum_j a_j dA_j)."),
    ("diagonal", "a * (1 - a) * dA is the diagonal of the softmax's Jacobian only (as for a sigmoid): every weight of "
     "a row depends on every score of the row, so dS = a * (dA - sum_j a_j dA_j)."),
    ("plus", "the sign of the correction term is flipped: da_j/ds_i = a_j (delta_ij - a_i), so subtract "
     "sum_j a_j dA_j."),
    ("wrong-axis", "the sum in the correction runs over the keys of one query (dim=-1, keepdim=True): each row of "
     "weights is its own softmax."),
    ("mean", "the correction term is a weighted sum, sum_j a_j dA_j, not a mean over the row."),
    ("no-softmax", "you returned dL/dweights: the scores go through the softmax first, so multiply by its Jacobian, "
     "dS = a * (dA - sum_j a_j dA_j)."),
))

DV_MISTAKES = (
    Mistake("not-transposed", "out = A @ v, so dL/dv = A^T @ dL/dout (transpose the last two axes of A).",
            lambda s, v, g: _softmax(s.to(_float64), dim=-1) @ g.to(_float64)),
    Mistake("scores-not-weights", "dL/dv is A^T @ dL/dout with A = softmax(scores), the weights, not the raw scores.",
            lambda s, v, g: s.to(_float64).transpose(-2, -1) @ g.to(_float64)),
)


def check_attention_backward(attention_backward, scores, v, grad_out) -> None:
    """attention_backward(scores, v, grad_out) -> (dL/dscores, dL/dv) for out = softmax(scores) @ v,
    equal to autograd's in float64, in the inputs' dtype."""
    what = (f"attention_backward(scores {tuple(scores.shape)}, v {tuple(v.shape)}, grad_out {tuple(grad_out.shape)}) "
            f"in {_dtype(scores.dtype)}")
    res = checks.call(attention_backward, scores.clone(), v.clone(), grad_out.clone(), what=what,
                      forbidden=BACKWARD_FORBIDDEN)
    ds, dv = _pair(res, what)
    ds_true, dv_true = _backward_truth(scores, v, grad_out)
    tol = _tolerance(scores.dtype)
    args = (scores, v, grad_out)
    checks.expect_close(ds, ds_true.to(scores.dtype), what=f"dL/dscores of {what}", mistakes=DS_MISTAKES, args=args,
                        **tol)
    checks.expect_close(dv, dv_true.to(v.dtype), what=f"dL/dv of {what}", mistakes=DV_MISTAKES, args=args, **tol)


# ---------------------------------------------------------------- exercise 5: multi-head attention

def _copy_from(module: nn.Module, ref: nn.MultiheadAttention) -> None:
    """Load nn.MultiheadAttention's weights into the q_proj, k_proj, v_proj, out_proj layout."""
    wq, wk, wv = ref.in_proj_weight.detach().chunk(3)
    bq, bk, bv = ref.in_proj_bias.detach().chunk(3)
    with torch.no_grad():
        for name, w, b in (("q_proj", wq, bq), ("k_proj", wk, bk), ("v_proj", wv, bv),
                           ("out_proj", ref.out_proj.weight.detach(), ref.out_proj.bias.detach())):
            getattr(module, name).weight.copy_(w)
            getattr(module, name).bias.copy_(b)


def _mha(ref, x_q, x_kv, mask=None, *, scale="head", split="right", out_proj=True, mask_inverted=False):
    """Variants of multi-head attention with ref's weights, in float64: (out, weights)."""
    ref64 = ref
    h, d = ref64.num_heads, ref64.embed_dim
    dh = d // h
    wq, wk, wv = ref64.in_proj_weight.detach().to(_float64).chunk(3)
    bq, bk, bv = ref64.in_proj_bias.detach().to(_float64).chunk(3)
    xq, xkv = x_q.to(_float64), x_kv.to(_float64)
    b, lq, lk = xq.shape[0], xq.shape[1], xkv.shape[1]

    def heads(x, L):
        return x.view(b, h, L, dh) if split == "wrong" else x.view(b, L, h, dh).transpose(1, 2)
    q, k, v = heads(xq @ wq.T + bq, lq), heads(xkv @ wk.T + bk, lk), heads(xkv @ wv.T + bv, lk)
    s = q @ k.transpose(-2, -1) / math.sqrt({"head": dh, "model": d, "none": 1}[scale])
    if mask is not None:
        s = s.masked_fill(mask if mask_inverted else ~mask, float("-inf"))
    w = _softmax(s, dim=-1)
    o = w @ v
    o = o.reshape(b, lq, d) if split in ("wrong", "merge-wrong") else o.transpose(1, 2).reshape(b, lq, d)
    if out_proj:
        o = o @ ref64.out_proj.weight.detach().to(_float64).T + ref64.out_proj.bias.detach().to(_float64)
    return o, w


def _mha_mistakes(part):
    pick = lambda **kw: (lambda ref, x_q, x_kv, mask=None: _mha(ref, x_q, x_kv, mask, **kw)[part])   # noqa: E731
    return (
        Mistake("scale-d-model", "each head's scores are scaled by 1/sqrt(d_head), d_head = d_model / n_heads, not by "
                "1/sqrt(d_model).", pick(scale="model")),
        Mistake("no-scale", "the scores are not scaled: divide by sqrt(d_head).", pick(scale="none")),
        Mistake("heads-split-wrong", "the heads are split the wrong way: view (B, L, d_model) as (B, L, n_heads, d_head) "
                "and then transpose to (B, n_heads, L, d_head); a plain view to (B, n_heads, L, d_head) mixes positions.",
                pick(split="wrong")),
        Mistake("no-out-proj", "the heads' outputs, concatenated, go through out_proj at the end.", pick(out_proj=False)),
        Mistake("merge-without-transpose", "the heads are split right but merged wrong: transpose (B, n_heads, Lq, "
                "d_head) back to (B, Lq, n_heads, d_head) before reshaping to (B, Lq, d_model).", pick(split="merge-wrong")),
        Mistake("mask-inverted", "the mask is inverted: here True means 'may attend' (as for "
                "F.scaled_dot_product_attention's boolean attn_mask), the opposite of nn.MultiheadAttention's attn_mask; "
                "fill the scores with -inf where the mask is False.", pick(mask_inverted=True)),
    )


MHA_OUT_MISTAKES = _mha_mistakes(0)
MHA_WEIGHT_MISTAKES = _mha_mistakes(1)


def check_multi_head_attention(MultiHeadAttention, d_model: int, n_heads: int, B: int = 2, Lq: int = 5, Lk: int = 5,
                               mask: torch.Tensor | None = None, dtype=torch.float32, seed: int = 0) -> None:
    """MultiHeadAttention(d_model, n_heads) with nn.MultiheadAttention's weights copied into q_proj, k_proj,
    v_proj, out_proj returns nn.MultiheadAttention's output and per-head weights (B, n_heads, Lq, Lk)."""
    what = f"MultiHeadAttention(d_model={d_model}, n_heads={n_heads}) on x_q (B={B}, Lq={Lq}), x_kv (Lk={Lk}) in {_dtype(dtype)}"
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(d_model, n_heads, batch_first=True).to(dtype)
    with torch.no_grad():
        ref.in_proj_bias.normal_(generator=g)
        ref.out_proj.bias.normal_(generator=g)
    module = checks.call(MultiHeadAttention, d_model, n_heads, what=f"MultiHeadAttention({d_model}, {n_heads})")
    if not isinstance(module, nn.Module):
        checks.fail(what, f"expected an nn.Module, got {type(module).__name__}.", "subclass nn.Module.")
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        layer = getattr(module, name, None)
        if not isinstance(layer, nn.Linear) or tuple(layer.weight.shape) != (d_model, d_model) or layer.bias is None:
            checks.fail(what, f"`self.{name}` should be nn.Linear(d_model, d_model) with a bias, got {layer!r}.",
                        "create the four projections in __init__ with the names the statement gives.")
    module = module.to(dtype)
    _copy_from(module, ref)
    x_q = torch.randn(B, Lq, d_model, generator=g, dtype=dtype)
    x_kv = x_q if Lq == Lk and seed % 2 == 0 else torch.randn(B, Lk, d_model, generator=g, dtype=dtype)
    res = checks.call(module, x_q.clone(), x_kv.clone(), None if mask is None else mask.clone(), what=what,
                      forbidden=MHA_FORBIDDEN)
    out, weights = _pair(res, what)
    with torch.no_grad():
        ref64 = ref.to(_float64)
        o_true, w_true = ref64(x_q.to(_float64), x_kv.to(_float64), x_kv.to(_float64),
                               attn_mask=None if mask is None else ~mask, need_weights=True,
                               average_attn_weights=False)
    args = (ref64, x_q, x_kv, mask)
    tol = _tolerance(dtype)
    checks.expect_close(weights, w_true.to(dtype), what=f"the weights of {what}", mistakes=MHA_WEIGHT_MISTAKES,
                        args=args, **tol)
    checks.expect_close(out, o_true.to(dtype), what=f"the output of {what}", mistakes=MHA_OUT_MISTAKES, args=args, **tol)


# ---------------------------------------------------------------- exercise 6: beam search

def toy_lm(V: int, steps: int, seed: int, sharp: float = 2.0):
    """step_logprobs(prefix) -> (V,) float64 log-probabilities that depend on the last token and the
    position: a random table, fixed by ``seed``."""
    g = torch.Generator().manual_seed(seed)
    table = torch.log_softmax(sharp * torch.randn(steps + 1, V + 1, V, generator=g, dtype=_float64), dim=-1)

    def step_logprobs(prefix):
        return table[len(prefix) - 1, prefix[-1]].clone()
    return step_logprobs


def puppy_lm():
    """The seed's example: greedy picks "one" (0.4 > 0.35 for "a") but "a puppy" is the likelier pair.
    Tokens: 0 = <bos>, 1 = "a", 2 = "one", 3 = "puppy", 4 = "dog"."""
    first = torch.tensor([0.0, 0.35, 0.40, 0.15, 0.10])
    after = {1: torch.tensor([0.0, 0.0, 0.0, 0.9, 0.1]), 2: torch.tensor([0.0, 0.0, 0.05, 0.5, 0.45])}   # no ties

    def step_logprobs(prefix):
        p = first if len(prefix) == 1 else after.get(prefix[-1], torch.full((5,), 0.2))
        return torch.log(p.to(_float64))
    return step_logprobs


def _exhaustive(step_logprobs, bos, V, steps):
    best, best_score = None, -math.inf
    for seq in itertools.product(range(V), repeat=steps):
        prefix, score = (bos,), 0.0
        for token in seq:
            score += float(step_logprobs(prefix)[token])
            prefix = prefix + (token,)
        if score > best_score:
            best, best_score = seq, score
    return best, best_score


def _beam_variant(step_logprobs, bos, k, steps, kind):
    beams = [((bos,), 0.0, 0.0)]
    for _ in range(steps):
        cands = [(p + (t,), s + float(lp), float(lp)) for p, s, _ in beams
                 for t, lp in enumerate(step_logprobs(p).tolist())]
        if kind == "k-greedy" and len(beams[0][0]) > 1:       # each kept prefix extended by its best token only
            cands = [max((c for c in cands if c[0][:-1] == p), key=lambda c: c[2]) for p, _, _ in beams]
        if kind == "last-step":
            cands.sort(key=lambda c: -c[2])
        elif kind == "ascending":
            cands.sort(key=lambda c: c[1])
        else:
            cands.sort(key=lambda c: -c[1])
        beams = cands[:1] if kind == "greedy" else cands[:k]
    seq, score, _ = beams[-1] if kind == "worst-kept" else max(beams, key=lambda c: c[1]) if kind == "k-greedy" else beams[0]
    if kind == "mean":
        score = score / steps
    return (seq if kind == "with-bos" else seq[1:]), score


BEAM_MISTAKES = tuple(Mistake(n, h, (lambda n: lambda f, bos, k, steps: _beam_variant(f, bos, k, steps, n))(n)) for n, h in (
    ("greedy", "your search ignores k: it keeps one prefix per step (greedy). Keep the k best candidates of each step."),
    ("last-step", "candidates are ranked by their last token's log-probability; rank them by the total "
     "log-probability of the whole prefix (a running sum)."),
    ("ascending", "you kept the k worst candidates: sort by total log-probability, highest first."),
    ("with-bos", "return the tokens after bos (bos itself is not generated)."),
    ("mean", "the score asked is the total log-probability, not its mean per step."),
    ("worst-kept", "you returned the last of the k kept sequences, the worst one: return the one with the highest total "
     "log-probability."),
    ("k-greedy", "after the first step each kept prefix is extended by its own best token only: extend every kept "
     "prefix by every token and keep the k best of all those candidates."),
))


def _as_tokens(tokens):
    if torch.is_tensor(tokens):
        tokens = tokens.tolist()
    if isinstance(tokens, (list, tuple)) and all(isinstance(t, int) or (torch.is_tensor(t) and t.numel() == 1)
                                                 for t in tokens):
        return tuple(int(t) for t in tokens)
    return None


def check_beam_search(beam_search, step_logprobs, bos: int, k: int, steps: int, V: int | None = None) -> None:
    """beam_search(step_logprobs, bos, k, steps) -> (tokens, total log-probability) equal to the course's beam
    search of width k, and to exhaustive search when k covers every prefix (V given)."""
    what = f"beam_search(k={k}, steps={steps})"
    res = checks.call(beam_search, step_logprobs, bos, k, steps, what=what, forbidden=BEAM_FORBIDDEN)
    tokens, score = _pair(res, what)
    got = _as_tokens(tokens)
    if got is None:
        checks.fail(what, f"the tokens should be a tuple (or list) of ints, got {checks.fmt(tokens)}.")
    if torch.is_tensor(score):
        score = float(score)
    if not isinstance(score, float):
        checks.fail(what, f"the score should be a float, got {type(score).__name__} {checks.fmt(score)}.",
                    "return the total log-probability as a Python float (float(...)).")
    want, want_score = answers.beam_search.__wrapped__(step_logprobs, bos, k, steps)
    if V is not None and k >= V ** (steps - 1):
        want, want_score = _exhaustive(step_logprobs, bos, V, steps)
    if got != tuple(want) or not math.isclose(score, want_score, rel_tol=1e-9, abs_tol=1e-9):
        hints = []
        for mistake in BEAM_MISTAKES:
            try:
                w_tokens, w_score = mistake.variant(step_logprobs, bos, k, steps)
            except Exception:
                continue
            same = tuple(w_tokens) == got and math.isclose(score, w_score, rel_tol=1e-9, abs_tol=1e-9)
            right = tuple(w_tokens) == tuple(want) and math.isclose(w_score, want_score, rel_tol=1e-9, abs_tol=1e-9)
            if same and not right:
                hints.append(mistake.hint)              # every explanation that fits this input, not just the first
        hint = " Or: ".join(hints) or None
        if hint is None and len(got) != steps:
            hint = (f"{len(got)} tokens returned where steps = {steps} are asked (bos not included): "
                    "an off-by-one in the number of steps, or bos kept?")
        if hint is None and got == tuple(want):
            hint = "the tokens are right but the score is not: return the sum of their log-probabilities."
        checks.fail(what, f"expected tokens {tuple(want)} with total log-probability {want_score:.6g}, got "
                          f"{got} with {score:.6g}.", hint)


# ---------------------------------------------------------------- exercise 7: a transformer block

BLOCK_FORBIDDEN = ("torch.nn.TransformerEncoderLayer.forward", "torch.nn.TransformerEncoder.forward",
                   answers.TransformerBlock.forward)


def _block_variant(ref: nn.TransformerEncoderLayer, x, mask=None, norm_first=False, kind="right"):
    """Variants of one encoder block with ref's weights, in float64."""
    x = x.to(_float64)
    if kind == "mask-inverted" and mask is not None:
        mask = ~mask
    attn = lambda h: _mha(ref.self_attn, h, h, mask)[0]                                  # noqa: E731
    relu = (lambda h: h) if kind == "no-relu" else torch.relu
    ff = lambda h: ref.linear2(relu(ref.linear1(h)))                                     # noqa: E731
    n1, n2 = ref.norm1, ref.norm2
    if kind == "one-norm":
        n2 = n1
    pre = norm_first != (kind == "other-norm")
    if pre:
        a = attn(n1(x))
        x = (a if kind == "no-residual-attn" else x + a)
        f = ff(n2(x))
        return f if kind == "no-residual-ff" else x + f
    a = attn(x)
    x = n1(a if kind == "no-residual-attn" else x + a)
    f = ff(x)
    return n2(f if kind == "no-residual-ff" else x + f)


BLOCK_MISTAKES = tuple(Mistake(n, h, (lambda n: lambda ref, x, mask=None, norm_first=False:
                                      _block_variant(ref, x, mask, norm_first, n))(n)) for n, h in (
    ("other-norm", "post-norm and pre-norm are swapped: post-norm is x = norm1(x + attn(x)), x = norm2(x + ff(x)); "
     "pre-norm is x = x + attn(norm1(x)), x = x + ff(norm2(x)). Check norm_first."),
    ("no-residual-attn", "the residual connection around self-attention is missing: add its input back (x + attn(...))."),
    ("no-residual-ff", "the residual connection around the feed-forward network is missing: x + ff(...)."),
    ("no-relu", "the feed-forward network is linear2(relu(linear1(x))): the ReLU is missing."),
    ("one-norm", "each sublayer has its own LayerNorm: norm1 around attention, norm2 around the feed-forward network."),
    ("mask-inverted", "the mask reaches the self-attention inverted: the block takes True = may attend and passes it to "
     "self_attn unchanged (nn.TransformerEncoderLayer's src_mask is the opposite convention; the test converts it)."),
))


def _load_block(module: nn.Module, ref: nn.TransformerEncoderLayer) -> None:
    _copy_from(module.self_attn, ref.self_attn)
    for name in ("linear1", "linear2", "norm1", "norm2"):
        getattr(module, name).load_state_dict(getattr(ref, name).state_dict())


def check_transformer_block(TransformerBlock, d_model: int, n_heads: int, d_ff: int, norm_first: bool, B: int = 2,
                            T: int = 5, mask: torch.Tensor | None = None, dtype=torch.float32, seed: int = 0) -> None:
    """TransformerBlock(d_model, n_heads, d_ff, norm_first) with nn.TransformerEncoderLayer's weights loaded gives its
    output (dropout 0, ReLU, batch_first)."""
    what = (f"TransformerBlock(d_model={d_model}, n_heads={n_heads}, d_ff={d_ff}, norm_first={norm_first}) on "
            f"(B={B}, T={T}){' with a mask' if mask is not None else ''} in {_dtype(dtype)}")
    torch.manual_seed(seed)
    ref = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in (ref.norm1.weight, ref.norm2.weight):
            p.copy_(1 + 0.3 * torch.randn(p.shape, generator=g))
        for p in (ref.norm1.bias, ref.norm2.bias, ref.self_attn.in_proj_bias):
            p.copy_(0.3 * torch.randn(p.shape, generator=g))
    ref = ref.eval().to(dtype)
    module = checks.call(TransformerBlock, d_model, n_heads, d_ff, norm_first=norm_first,
                         what=f"TransformerBlock({d_model}, {n_heads}, {d_ff}, norm_first={norm_first})")
    if not isinstance(module, nn.Module):
        checks.fail(what, f"expected an nn.Module, got {type(module).__name__}.", "subclass nn.Module.")
    for name, kind in (("self_attn", nn.Module), ("linear1", nn.Linear), ("linear2", nn.Linear),
                       ("norm1", nn.LayerNorm), ("norm2", nn.LayerNorm)):
        if not isinstance(getattr(module, name, None), kind):
            checks.fail(what, f"`self.{name}` should be a {kind.__name__}, got {getattr(module, name, None)!r}.",
                        "create the layers in __init__ with the names the statement gives.")
    module = module.to(dtype)
    try:
        _load_block(module, ref)
    except (AttributeError, RuntimeError) as exc:
        checks.fail(what, f"nn.TransformerEncoderLayer's weights do not fit your layers ({exc}).",
                    "self_attn = answers.MultiHeadAttention(d_model, n_heads), linear1: d_model -> d_ff, "
                    "linear2: d_ff -> d_model, norm1 and norm2: nn.LayerNorm(d_model).")
    module.eval()
    x = 2 * torch.randn(B, T, d_model, generator=g, dtype=dtype) + 0.5
    out = checks.call(module, x.clone(), None if mask is None else mask.clone(), what=what, forbidden=BLOCK_FORBIDDEN)
    if isinstance(out, (tuple, list)):
        checks.fail(what, f"expected one tensor (B, T, d_model), got a {type(out).__name__} of {len(out)}.",
                    "the block returns only x: the attention weights stay inside (self_attn returns (out, weights)).")
    with torch.no_grad():
        ref64 = ref.to(_float64)
        expected = ref64(x.to(_float64), src_mask=None if mask is None else ~mask)
    checks.expect_close(out, expected.to(dtype), what=what, mistakes=BLOCK_MISTAKES,
                        args=(ref64, x, mask, norm_first), **_tolerance(dtype))
