"""Chapter 08 reference answers (recurrent networks).

While an exercise is graded its own answer here refuses to run (helpers.grading.guard); later
chapters may call them (``helpers.kernels``). Device-agnostic torch, no autograd.

Layouts follow PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` (``batch_first=False``): a sequence
is ``(T, B, I)``, a hidden state ``(B, H)``; weights ``W_ih: (G*H, I)``, ``W_hh: (G*H, H)``, biases
``(G*H,)`` with G = 1 (RNN), 4 (LSTM: gates i, f, g, o) or 3 (GRU: gates r, z, n).
"""
from __future__ import annotations

import torch

from helpers.grading.guard import reference


# ---------------------------------------------------------------- a vanilla RNN, forward and backward

@reference
def rnn_forward(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                b_ih: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), as nn.RNN(nonlinearity="tanh").

    x: (T, B, I); h0: (B, H); W_ih: (H, I); W_hh: (H, H); b_ih, b_hh: (H,)
    -> (out: (T, B, H), the states h_1..h_T; h_T: (B, H)).
    """
    h, out = h0, []
    for x_t in x:                                               # x_t: (B, I)
        h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)  # (B, H)
        out.append(h)
    return torch.stack(out), h


@reference
def rnn_backward(x: torch.Tensor, h0: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                 b_ih: torch.Tensor, b_hh: torch.Tensor, grad_out: torch.Tensor):
    """Backpropagation through time for L = sum_t sum_b <grad_out[t, b], h_t[b]>.

    Shapes as rnn_forward; grad_out: (T, B, H) = dL/dh_t from the loss at each step.
    Returns (dx (T, B, I), dh0 (B, H), dW_ih (H, I), dW_hh (H, H), db (H,)); db is the gradient of
    b_ih, equal to that of b_hh (both are added to the same pre-activation).
    """
    out, _ = rnn_forward.__wrapped__(x, h0, W_ih, W_hh, b_ih, b_hh)   # (T, B, H)
    prev = torch.cat([h0[None], out[:-1]])                            # h_{t-1}: (T, B, H)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    dx = torch.zeros_like(x)
    carry = torch.zeros_like(h0)                                      # dL/dh_t through h_{t+1}
    for t in reversed(range(x.shape[0])):
        da = (grad_out[t] + carry) * (1 - out[t] ** 2)                # (B, H): dL/da_t
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ prev[t]
        db = db + da.sum(dim=0)
        dx[t] = da @ W_ih
        carry = da @ W_hh                                             # (B, H): to h_{t-1}
    return dx, carry, dW_ih, dW_hh, db


@reference
def jacobians_through_time(hs: torch.Tensor, W_hh: torch.Tensor) -> torch.Tensor:
    """J[k] = dh_T/dh_k for the states hs[0..T] of one sequence of h_t = tanh(W_hh h_{t-1} + u_t).

    hs: (T+1, H) with hs[0] = h_0; W_hh: (H, H) -> (T+1, H, H), J[T] = I and
    J[k] = J[k+1] diag(1 - h_{k+1}^2) W_hh.
    """
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H, dtype=hs.dtype, device=hs.device)]
    for k in reversed(range(T)):
        step = (1 - hs[k + 1] ** 2)[:, None] * W_hh                 # dh_{k+1}/dh_k: (H, H)
        J.append(J[-1] @ step)
    return torch.stack(J[::-1])


# ---------------------------------------------------------------- gated cells

@reference
def lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
              b_ih: torch.Tensor, b_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of nn.LSTMCell, gates in PyTorch's order (i, f, g, o).

    x: (B, I); h, c: (B, H); W_ih: (4H, I); W_hh: (4H, H); b_ih, b_hh: (4H,) -> (h_new, c_new), (B, H) each.
    """
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh                       # (B, 4H)
    i, f, g, o = a.chunk(4, dim=1)                                  # (B, H) each
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


def lstm_gates(x, h, c, W_ih, W_hh, b_ih, b_hh) -> dict[str, torch.Tensor]:
    """The gate activations of one LSTM step (for figures): {"i", "f", "g", "o", "c", "h"}, (B, H) each."""
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = a.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_new = f * c + i * g
    return {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": o * torch.tanh(c_new)}


@reference
def gru_cell(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
             b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """One step of nn.GRUCell (gates r, z, n; the reset gate multiplies W_hn h + b_hn).

    x: (B, I); h: (B, H); W_ih: (3H, I); W_hh: (3H, H); b_ih, b_hh: (3H,) -> h_new (B, H).
    """
    gi = x @ W_ih.T + b_ih                                          # (B, 3H)
    gh = h @ W_hh.T + b_hh                                          # (B, 3H)
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


# ---------------------------------------------------------------- language models

@reference
def sampling_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """The distribution a sampler draws the next symbol from: softmax(logits / temperature) over the
    top_k largest logits only (all of them when top_k is None or >= V), renormalised.

    logits: (..., V) -> probabilities (..., V), logits' dtype; zero outside the top k.
    """
    z = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]                # (..., 1): the k-th largest
        z = z.masked_fill(z < kth, float("-inf"))
    z = z - z.max(dim=-1, keepdim=True).values
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


@reference
def tbptt_batches(ids: torch.Tensor, batch_size: int, seq_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A long sequence cut for truncated backpropagation through time.

    ids: (N,) int64. The first batch_size * M symbols, M = (N - 1) // batch_size, become batch_size
    contiguous streams, stream b = ids[b*M : (b+1)*M], each cut into S = M // seq_len windows.
    Returns (X, Y), each (S, batch_size, seq_len): X[s, b] is window s of stream b, and Y the symbols
    that follow each of X's (ids shifted by one), so window s + 1 continues window s in every row.
    """
    M = (len(ids) - 1) // batch_size
    S = M // seq_len
    x = ids[:batch_size * M].view(batch_size, M)[:, :S * seq_len]          # (B, S*L)
    y = ids[1:batch_size * M + 1].view(batch_size, M)[:, :S * seq_len]
    return (x.reshape(batch_size, S, seq_len).transpose(0, 1).contiguous(),   # (S, B, L)
            y.reshape(batch_size, S, seq_len).transpose(0, 1).contiguous())
