"""Chapter 08's figures, widgets and the character model of the real run. The logic is plain
functions the tests call; the widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math
from typing import Callable

import matplotlib.pyplot as plt
from matplotlib.ticker import LogFormatter, NullFormatter
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.rnn import answers
from helpers.plots import figure
from helpers.runtime import cpu_threads
from helpers.text import KJV_ALPHABET

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
STOI = {ch: i for i, ch in enumerate(KJV_ALPHABET)}


# ---------------------------------------------------------------- text <-> ids

def encode(text: str) -> torch.Tensor:
    """A string over KJV_ALPHABET as int64 ids, (len(text),); a symbol outside it raises KeyError."""
    raw = text.encode("utf-8")
    table = torch.full((256,), -1, dtype=torch.int64)
    table[torch.tensor([ord(ch) for ch in KJV_ALPHABET])] = torch.arange(len(KJV_ALPHABET))
    ids = table[torch.frombuffer(bytearray(raw), dtype=torch.uint8).long()] if raw else torch.zeros(0, dtype=torch.int64)
    if len(raw) != len(text) or bool((ids < 0).any()):
        bad = next(ch for ch in text if ch not in STOI)
        raise KeyError(f"{bad!r} is not one of the {len(KJV_ALPHABET)} symbols of KJV_ALPHABET")
    return ids


def decode(ids) -> str:
    """Ids back to text."""
    return "".join(KJV_ALPHABET[int(i)] for i in ids)


# ---------------------------------------------------------------- gradient flow through time

def _orthogonal(H: int, gen: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(H, H, generator=gen, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def gradient_norms(kind: str = "rnn", radius: float = 1.0, T: int = 50, forget_bias: float = 0.0,
                   H: int = 32, seed: int = 0) -> torch.Tensor:
    """||dh_T / d(state_t)||, t = 0..T, for a random cell whose recurrent matrices are `radius` times an
    orthogonal matrix (every singular value = radius), driven by small random inputs.

    kind: "rnn" (tanh), "linear" (an RNN without the tanh), "lstm" or "gru". The state of an LSTM is
    (h_t, c_t): the norm is that of the gradient reaching both. Measured along one random direction
    v of h_T: the norm of v^T dh_T/d state_t, by autograd, in float64. Returns (T + 1,).
    """
    gen = torch.Generator().manual_seed(seed)
    gates = {"rnn": 1, "linear": 1, "lstm": 4, "gru": 3}[kind]
    W_hh = torch.cat([radius * _orthogonal(H, gen) for _ in range(gates)])          # (G*H, H)
    W_ih = 0.5 * torch.randn(gates * H, H, generator=gen, dtype=torch.float64) / math.sqrt(H)
    b = torch.zeros(gates * H, dtype=torch.float64)
    if kind == "lstm":
        b[H:2 * H] = forget_bias
    x = torch.randn(T, 1, H, generator=gen, dtype=torch.float64)
    states = []
    with torch.enable_grad(), cpu_threads(1):
        h = torch.zeros(1, H, dtype=torch.float64, requires_grad=True)
        c = torch.zeros(1, H, dtype=torch.float64, requires_grad=True)
        states.append((h, c))
        for t in range(T):
            if kind == "rnn":
                h = torch.tanh(x[t] @ W_ih.T + h @ W_hh.T)
            elif kind == "linear":
                h = x[t] @ W_ih.T + h @ W_hh.T
            elif kind == "lstm":
                h, c = answers.lstm_cell.__wrapped__(x[t], h, c, W_ih, W_hh, b, b * 0)
            else:
                h = answers.gru_cell.__wrapped__(x[t], h, W_ih, W_hh, b, b)
            for s in (h, c):
                if s.requires_grad:
                    s.retain_grad()
            states.append((h, c))
        v = torch.randn(1, H, generator=gen, dtype=torch.float64)
        (h * v / v.norm()).sum().backward()
    norms = []
    for h_t, c_t in states:
        g2 = sum(float((s.grad ** 2).sum()) for s in ((h_t,) + ((c_t,) if kind == "lstm" else ()))
                 if s.grad is not None)
        norms.append(math.sqrt(g2))
    return torch.tensor(norms, dtype=torch.float64)


def clipped(g: torch.Tensor, c: float) -> torch.Tensor:
    """Norm clipping of one gradient: g * min(1, c / ||g||)."""
    n = float(g.norm())
    return g if n <= c or n == 0 else g * (c / n)


@figure
def gradient_flow_figure(kind: str = "rnn", radius: float = 1.0, T: int = 50, forget_bias: float = 0.0):
    """Log-scale ||dh_T/d state_t|| against t, with the geometric rate radius^(T-t) for reference."""
    norms = gradient_norms(kind, radius, T, forget_bias)
    t = torch.arange(T + 1)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.semilogy(t, norms.clamp(min=1e-300), lw=2, label=f"{kind}: measured")
    ax.semilogy(t, radius ** (T - t).double(), "k--", lw=0.8, label="radius ** (T - t)")
    ax.yaxis.set_major_formatter(LogFormatter())          # plain "1e+04" labels: no mathtext to parse per redraw
    ax.yaxis.set_minor_formatter(NullFormatter())
    ratio = float(norms[0] / norms[-1])
    ax.set(xlabel="step t", ylabel="|| dh_T / d state_t ||", ylim=(1e-12, 1e12),
           title=f"{kind}, radius {radius:.2f}, T = {T}: the gradient at t = 0 is {ratio:.2g} times the one at T")
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def gradient_flow_explorer():
    """Cell type, spectral radius of W_hh, sequence length and forget-gate bias; the figure redraws."""
    import ipywidgets as W

    from helpers.widgets import live_output

    kind = W.Dropdown(options=[("RNN (tanh)", "rnn"), ("RNN (no tanh)", "linear"), ("LSTM", "lstm"),
                               ("GRU", "gru")], value="rnn", description="cell")
    radius = W.FloatSlider(value=0.9, min=0.2, max=2.0, step=0.05, description="radius")
    T = W.IntSlider(value=50, min=5, max=200, step=5, description="T")
    fb = W.FloatSlider(value=0.0, min=-5.0, max=10.0, step=0.5, description="forget bias")
    draw = lambda: gradient_flow_figure(kind.value, radius.value, T.value, fb.value)   # noqa: E731
    return W.VBox([W.HBox([kind, radius]), W.HBox([T, fb]), live_output(draw, (kind, radius, T, fb))])


# ---------------------------------------------------------------- the character model of the real run

class CharModel(nn.Module):
    """Embedding -> one recurrent layer (rnn, lstm or gru) -> linear readout to the vocabulary's logits.

    x: (B, L) int64 ids; state: the cell's state or None -> (logits (B, L, V), new state).
    """

    def __init__(self, kind: str = "lstm", vocab: int = len(KJV_ALPHABET), d_emb: int = 32, hidden: int = 128):
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding(vocab, d_emb)
        self.cell = CELLS[kind](d_emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor, state=None):
        out, state = self.cell(self.embed(x), state)        # (B, L, H)
        return self.head(out), state                        # (B, L, V)


def detach(state):
    """The state without its history (truncated BPTT): a tensor or a tuple of tensors."""
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


@torch.no_grad()
def evaluate_bpc(model: CharModel, ids: torch.Tensor, batch_size: int = 64, seq_len: int = 256,
                 max_chars: int | None = None) -> float:
    """Bits per character of the model on ids (N,), read as batch_size streams with the state carried
    along: the mean cross-entropy in nats divided by ln 2."""
    if max_chars is not None:
        ids = ids[:max_chars]
    X, Y = answers.tbptt_batches.__wrapped__(ids, batch_size, seq_len)
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    state, total = None, 0.0
    with cpu_threads(1):
        for x, y in zip(X.to(dev), Y.to(dev)):
            logits, state = model(x, state)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum"))
    model.train(was)
    return total / Y.numel() / math.log(2)


def train_char_model(model: CharModel, X: torch.Tensor, Y: torch.Tensor, *, steps: int, lr: float,
                     clip: float = 1.0, evaluate: Callable[[], float] | None = None, every: int = 100,
                     carry: bool = True, seed: int = 0, desc: str = "char model",
                     progress: bool = True) -> dict[str, list]:
    """Adam on the windows X, Y (S, B, L) in order, the state carried from window to window (and reset
    after the last), a cosine decay of the learning rate from lr to 0, gradients clipped to global norm
    ``clip``; ``evaluate()`` every ``every`` steps. With carry=False each step takes B windows at random
    (from any stream and position) and starts them from a zero state instead.
    Returns {"loss": per-step training loss in nats, "step": [...], "valid_bpc": [...]}."""
    dev = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist = {"loss": [], "step": [], "valid_bpc": []}
    state = None
    gen = torch.Generator().manual_seed(seed)
    flat_X, flat_Y = X.reshape(-1, X.shape[-1]), Y.reshape(-1, Y.shape[-1])      # (S*B, L)
    model.train()
    with tqdm(total=steps, desc=desc, disable=not progress) as bar:
        for step in range(steps):
            for group in opt.param_groups:
                group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            if carry:
                s = step % X.shape[0]
                state = None if s == 0 else detach(state)
                x, y = X[s].to(dev), Y[s].to(dev)
            else:
                pick = torch.randint(0, flat_X.shape[0], (X.shape[1],), generator=gen)
                x, y, state = flat_X[pick].to(dev), flat_Y[pick].to(dev), None
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            hist["loss"].append(loss.item())
            bar.update(1)
            if evaluate is not None and ((step + 1) % every == 0 or step + 1 == steps):
                hist["step"].append(step + 1)
                hist["valid_bpc"].append(evaluate())
                bar.set_postfix(valid_bpc=f"{hist['valid_bpc'][-1]:.3f}")
    return hist


def _weights(model: CharModel) -> tuple[torch.Tensor, ...]:
    cell = model.cell
    return cell.weight_ih_l0, cell.weight_hh_l0, cell.bias_ih_l0, cell.bias_hh_l0


def _step(model: CharModel, idx: int, state):
    """One character through the model with the cell's own equations (much faster than calling the
    nn module per character). state: h (1, H), or (h, c) for the LSTM -> (logits (V,), new state)."""
    x = model.embed.weight[idx][None]                                    # (1, d_emb)
    W_ih, W_hh, b_ih, b_hh = _weights(model)
    if model.kind == "lstm":
        h, c = answers.lstm_cell.__wrapped__(x, state[0], state[1], W_ih, W_hh, b_ih, b_hh)
        state, top = (h, c), h
    elif model.kind == "gru":
        state = top = answers.gru_cell.__wrapped__(x, state, W_ih, W_hh, b_ih, b_hh)
    else:
        state = top = torch.tanh(x @ W_ih.T + b_ih + state @ W_hh.T + b_hh)
    return model.head(top)[0], state


@torch.no_grad()
def sample_text(model: CharModel, prompt: str, n: int = 300, temperature: float = 1.0, top_k: int | None = None,
                probs_fn: Callable | None = None, seed: int = 0) -> str:
    """``prompt`` followed by n characters drawn one at a time from probs_fn(logits, temperature, top_k)
    (the course's sampling_probs by default), each fed back as the next input."""
    probs_fn = probs_fn or answers.sampling_probs.__wrapped__
    gen = torch.Generator().manual_seed(seed)
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    logits, state = model(encode(prompt)[None].to(dev))                 # the prompt in one pass
    state = (state[0][0], state[1][0]) if isinstance(state, tuple) else state[0]   # (1, H) each
    logits = logits[0, -1]
    out = []
    with cpu_threads(1):                                                # tiny operations: threads only cost
        for _ in range(n):
            p = probs_fn(logits.double().cpu(), temperature, top_k)     # (V,)
            nxt = int(torch.multinomial(p, 1, generator=gen))
            out.append(nxt)
            logits, state = _step(model, nxt, state)
    model.train(was)
    return prompt + decode(out)


def temperature_explorer(model: CharModel, probs_fn: Callable | None = None, prompt: str = "And God said"):
    """A temperature slider, a top-k choice and a seed: the trained model's sample redrawn as they move."""
    import ipywidgets as W

    from helpers.widgets import live_output

    temp = W.FloatSlider(value=0.8, min=0.1, max=2.0, step=0.05, description="temperature")
    top_k = W.Dropdown(options=[("all", None), ("1 (greedy)", 1), ("3", 3), ("10", 10), ("20", 20)], value=None,
                       description="top-k")
    seed = W.IntSlider(value=0, min=0, max=20, description="seed")
    text = W.Text(value=prompt, description="prompt")

    def draw():
        print(sample_text(model, text.value or "\n", 240, temp.value, top_k.value, probs_fn, seed.value))
    return W.VBox([W.HBox([temp, top_k]), W.HBox([seed, text]), live_output(draw, (temp, top_k, seed, text))])


# ---------------------------------------------------------------- inside the trained LSTM

def lstm_trace(model: CharModel, sentence: str, cell_fn: Callable | None = None) -> dict[str, torch.Tensor]:
    """The LSTM's gates and states along a sentence, one character at a time with cell_fn (the course's
    lstm_cell by default; h from cell_fn, gates recomputed for the figure).
    Returns {"i", "f", "g", "o", "c", "h"}: (len(sentence), H) each, on the CPU."""
    cell_fn = cell_fn or answers.lstm_cell.__wrapped__
    lstm = model.cell
    p = {k: v.detach().cpu().double() for k, v in lstm.named_parameters()}
    W_ih, W_hh, b_ih, b_hh = p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]
    with torch.no_grad():
        xs = model.embed.weight.detach().cpu().double()[encode(sentence)]   # (L, d_emb)
    H = W_hh.shape[1]
    h, c = torch.zeros(1, H, dtype=torch.float64), torch.zeros(1, H, dtype=torch.float64)
    trace = {k: [] for k in "ifgoch"}
    with cpu_threads(1):
        for x in xs:
            gates = answers.lstm_gates(x[None], h, c, W_ih, W_hh, b_ih, b_hh)
            h, c = cell_fn(x[None], h, c, W_ih, W_hh, b_ih, b_hh)
            for k in trace:
                trace[k].append(gates[k][0])
    return {k: torch.stack(v) for k, v in trace.items()}


@figure
def gates_figure(model: CharModel, sentence: str, first_unit: int = 0, n_units: int = 16,
                 cell_fn: Callable | None = None):
    """Heat maps of the input, forget and output gates, the cell state and the hidden state of
    n_units units along the sentence (one column per character)."""
    tr = lstm_trace(model, sentence, cell_fn)
    units = slice(first_unit, first_unit + n_units)
    rows = (("input gate i", "i", (0, 1)), ("forget gate f", "f", (0, 1)), ("output gate o", "o", (0, 1)),
            ("cell state c", "c", None), ("hidden state h", "h", (-1, 1)))
    fig, axes = plt.subplots(len(rows), 1, figsize=(min(16, 2 + 0.22 * len(sentence)), 9), sharex=True)
    for ax, (title, key, lim) in zip(axes, rows):
        m = tr[key][:, units].T                                             # (units, L)
        if lim is None:
            v = float(m.abs().max()) or 1.0
            lim = (-v, v)
        im = ax.imshow(m, aspect="auto", cmap="RdBu_r" if lim[0] < 0 else "viridis", vmin=lim[0], vmax=lim[1])
        ax.set_ylabel(title, fontsize=8)
        fig.colorbar(im, ax=ax, pad=0.01)
    axes[-1].set_xticks(range(len(sentence)))
    axes[-1].set_xticklabels(["⏎" if ch == "\n" else ch for ch in sentence], fontsize=8)
    fig.suptitle(f"units {first_unit}..{first_unit + n_units - 1} of the trained LSTM along the sentence", fontsize=10)
    fig.tight_layout()
    return fig


def gates_explorer(model: CharModel, cell_fn: Callable | None = None,
                   sentence: str = "In the beginning God created the heaven and the earth."):
    """Type a sentence and pick the units: gates and states of the trained LSTM along it."""
    import ipywidgets as W

    from helpers.widgets import live_output

    text = W.Text(value=sentence, description="sentence", layout=W.Layout(width="600px"))
    first = W.IntSlider(value=0, min=0, max=model.cell.hidden_size - 16, step=16, description="first unit")
    draw = lambda: gates_figure(model, text.value or " ", first.value, 16, cell_fn)   # noqa: E731
    return W.VBox([text, first, live_output(draw, (text, first))])


@figure
def curves_figure(runs: dict[str, dict], uniform: float):
    """Validation bits per character against steps for each run, the uniform baseline dashed."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for name, hist in runs.items():
        ax.plot(hist["step"], hist["valid_bpc"], marker="o", ms=3, label=name)
    ax.axhline(uniform, color="k", ls="--", lw=0.8, label=f"uniform guess ({uniform:.2f})")
    ax.set(xlabel="Adam step", ylabel="validation bits per character", ylim=(1.3, 4.0),
           title="character models on the KJV (one seed each: gaps this small are within seed noise)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
