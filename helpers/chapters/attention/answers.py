"""Chapter 09's reference answers. While an exercise is graded its own answer here refuses
to run (helpers.grading.guard); later chapters may call them (add the ones they build on to
helpers.kernels). Device-agnostic torch.

Mask convention (as ``F.scaled_dot_product_attention``'s boolean ``attn_mask``): True = may attend.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn

from helpers.grading.guard import reference


@reference
def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Scaled dot-product attention softmax(q k^T / sqrt(d) + masked) v.

    q: (..., Lq, d), k: (..., Lk, d), v: (..., Lk, dv); mask: bool, broadcastable to (..., Lq, Lk),
    True where a query may attend to a key. Returns (out (..., Lq, dv), weights (..., Lq, Lk)).
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])          # (..., Lq, Lk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))               # exp(-inf) = 0: weight exactly 0
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def causal_mask(T: int, device=None) -> torch.Tensor:
    """(T, T) bool, True on and below the diagonal: position t may attend to positions s <= t."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def padding_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, 1, T) bool, True at the first lengths[b] key positions of sequence b (the real tokens)."""
    return (torch.arange(T, device=lengths.device)[None, :] < lengths[:, None])[:, None, :]


@reference
def sinusoidal_pe(T: int, d: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(T, d) with pe[t, 2i] = sin(t / 10000^(2i/d)) and pe[t, 2i+1] = cos(t / 10000^(2i/d)); d even."""
    t = torch.arange(T, dtype=torch.float64)[:, None]                   # (T, 1)
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)   # (d/2,)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(t * omega)
    pe[:, 1::2] = torch.cos(t * omega)
    return pe.to(dtype)


@reference
def pe_shift_matrix(k: int, d: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(d, d) matrix M_k with M_k @ pe[t] = pe[t + k] for every t: a rotation by omega_i k in each
    (sin, cos) pair, block diagonal, independent of t."""
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    c, s = torch.cos(omega * k), torch.sin(omega * k)
    m = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
    m[i, i], m[i, i + 1] = c, s                  # sin(a + b) = sin a cos b + cos a sin b
    m[i + 1, i], m[i + 1, i + 1] = -s, c         # cos(a + b) = cos a cos b - sin a sin b
    return m.to(dtype)


@reference
def attention_backward(scores: torch.Tensor, v: torch.Tensor,
                       grad_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of out = softmax(scores) @ v, given grad_out = dL/dout.

    scores: (..., Lq, Lk), v: (..., Lk, dv), grad_out: (..., Lq, dv).
    Returns (dL/dscores (..., Lq, Lk), dL/dv (..., Lk, dv)).
    """
    a = torch.softmax(scores, dim=-1)                                   # (..., Lq, Lk)
    da = grad_out @ v.transpose(-2, -1)                                 # (..., Lq, Lk)
    ds = a * (da - (a * da).sum(dim=-1, keepdim=True))                  # the softmax Jacobian, row by row
    dv = a.transpose(-2, -1) @ grad_out                                 # (..., Lk, dv)
    return ds, dv


class MultiHeadAttention(nn.Module):
    """Multi-head attention with PyTorch's layout: q_proj, k_proj, v_proj, out_proj are
    nn.Linear(d_model, d_model); head h uses features h*d_head:(h+1)*d_head of each projection.

    forward(x_q (B, Lq, d_model), x_kv (B, Lk, d_model), mask bool broadcastable to (B, 1, Lq, Lk) or
    (Lq, Lk), True = may attend) -> (out (B, Lq, d_model), weights (B, n_heads, Lq, Lk)).
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        assert d_model % n_heads == 0, "d_model must be a multiple of n_heads"
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, L, _ = x.shape
        return x.view(b, L, self.n_heads, self.d_head).transpose(1, 2)     # (B, H, L, d_head)

    @reference(student="MultiHeadAttention")
    def forward(self, x_q: torch.Tensor, x_kv: torch.Tensor,
                mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        q, k, v = self._split(self.q_proj(x_q)), self._split(self.k_proj(x_kv)), self._split(self.v_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)          # (B, H, Lq, Lk)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(x_q.shape[0], x_q.shape[1], -1)   # (B, Lq, d_model)
        return self.out_proj(out), weights


@reference
def beam_search(step_logprobs: Callable[[tuple[int, ...]], torch.Tensor], bos: int, k: int,
                steps: int) -> tuple[tuple[int, ...], float]:
    """The sequence of ``steps`` tokens that beam search of width k finds, and its log-probability.

    step_logprobs(prefix) -> (V,) log-probabilities of the next token after prefix (a tuple that
    starts with bos). Each step extends every kept prefix by every token, scores each candidate by
    its total log-probability, and keeps the k best. Returns (the best tokens after bos, its total
    log-probability as a float). k = 1 is greedy decoding; k >= V**(steps - 1) is exhaustive search.
    """
    beams = [((bos,), 0.0)]
    for _ in range(steps):
        candidates = [(prefix + (token,), score + float(lp))
                      for prefix, score in beams
                      for token, lp in enumerate(step_logprobs(prefix).tolist())]
        beams = sorted(candidates, key=lambda c: -c[1])[:k]               # the k best partial sequences
    best, score = beams[0]
    return best[1:], score


class TransformerBlock(nn.Module):
    """One encoder block: self-attention and a position-wise feed-forward network, each wrapped in a
    residual connection and a LayerNorm, as nn.TransformerEncoderLayer(d_model, n_heads, d_ff,
    dropout=0, activation="relu", batch_first=True, norm_first=norm_first).

    Post-norm: x = norm1(x + attn(x)); x = norm2(x + ff(x)). Pre-norm: x = x + attn(norm1(x));
    x = x + ff(norm2(x)); ff(x) = linear2(relu(linear1(x))). x: (B, T, d_model) -> (B, T, d_model);
    the attention weights of the last call are kept in ``last_weights`` (B, n_heads, T, T).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first
        self.last_weights: torch.Tensor | None = None

    def _attend(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        out, self.last_weights = self.self_attn(x, x, mask)
        return out

    def _ff(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(torch.relu(self.linear1(x)))

    @reference(student="TransformerBlock")
    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.norm_first:
            x = x + self._attend(self.norm1(x), mask)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._attend(x, mask))
        return self.norm2(x + self._ff(x))
