"""Chapter 09's figures and widgets. The logic is plain functions the tests call; the
widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch

from helpers.chapters.attention import answers
from helpers.plots import figure


# ---------------------------------------------------------------- why sqrt(d): the scaling explorer

def random_scores(d: int, n_q: int = 6, n_k: int = 12, scale: bool = True, seed: int = 0) -> torch.Tensor:
    """(n_q, n_k) scores q k^T (/ sqrt(d) when scale) for q, k with independent N(0, 1) entries."""
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(n_q, d, generator=g), torch.randn(n_k, d, generator=g)
    s = q @ k.T                                                          # std sqrt(d)
    return s / math.sqrt(d) if scale else s


def mean_max_weight(d: int, scale: bool, n_q: int = 200, n_k: int = 12, seed: int = 0) -> float:
    """The average over queries of the largest softmax weight: 1/n_k is uniform, 1 is one-hot."""
    return torch.softmax(random_scores(d, n_q, n_k, scale, seed), dim=-1).max(dim=-1).values.mean().item()


@figure
def scaling_figure(d: int, scale: bool):
    """The weights of 6 random queries over 12 keys, and the mean largest weight against d."""
    s = random_scores(d, scale=scale)
    w = torch.softmax(s, dim=-1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1.4, 1]})
    im = ax1.imshow(w, cmap="viridis", vmin=0, vmax=1)
    ax1.set(xlabel="key", ylabel="query", title=f"weights, d = {d}, score std {s.std():.2f}"
                                                 f" ({'scaled' if scale else 'unscaled'})")
    fig.colorbar(im, ax=ax1, fraction=0.03)
    ds = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    for flag, style in ((False, "C3"), (True, "C0")):
        ax2.semilogx(ds, [mean_max_weight(x, flag) for x in ds], "o-", color=style, base=2,
                     label="q·k / √d" if flag else "q·k")
    ax2.axhline(1 / 12, color="k", lw=0.8, ls="--", label="uniform (1/12)")
    ax2.axvline(d, color="gray", lw=0.8)
    ax2.set(xlabel="d", ylabel="mean largest weight", ylim=(0, 1.05), title="how peaked the softmax is")
    ax2.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def scaling_explorer():
    """A slider for d (powers of 2) and a checkbox for the 1/sqrt(d) scale."""
    import ipywidgets as W

    from helpers.widgets import live_output

    log_d = W.IntSlider(value=4, min=1, max=10, description="log₂ d")
    scale = W.Checkbox(value=True, description="divide by √d")
    return W.VBox([W.HBox([log_d, scale]),
                   live_output(lambda: scaling_figure(2 ** log_d.value, scale.value), (log_d, scale))])


# ---------------------------------------------------------------- masks

@figure
def mask_figure(attention, T: int = 6, lengths=(6, 4)):
    """The weights of causal and padding-masked self-attention on random inputs, computed by ``attention``."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, T, 8, generator=g)
    masks = {"causal": answers.causal_mask(T), "padding": answers.padding_mask(torch.tensor(lengths), T),
             "causal and padding": answers.causal_mask(T) & answers.padding_mask(torch.tensor(lengths), T)}
    fig, axes = plt.subplots(1, 3, figsize=(10, 3))
    for ax, (name, mask) in zip(axes, masks.items()):
        _, w = attention(x, x, x, mask)
        ax.imshow(w[1], cmap="viridis", vmin=0, vmax=1)
        ax.set(title=name if name == "causal" else f"{name} (real length {lengths[1]})", xlabel="key", ylabel="query")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the real runs

def encode_digits(text: str, T: int) -> torch.Tensor:
    """The digits of ``text`` as a (T,) int64 sequence: non-digits dropped, cut to T, padded with 0s."""
    digits = [int(c) for c in text if c.isdigit()][:T]
    return torch.tensor(digits + [0] * (T - len(digits)), dtype=torch.long)


@figure
def seq2seq_figure(curves: dict, weights: torch.Tensor, x: torch.Tensor):
    """Training losses of the seq2seq models, and the decoder's attention over the input for one example.
    curves: {name: losses}; weights: (T, T) decoder step x encoder position; x: (T,) input tokens."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
    for name, losses in curves.items():
        smooth = torch.tensor(losses).unfold(0, 20, 20).mean(dim=1)
        ax1.plot(torch.arange(len(smooth)) * 20 + 10, smooth, label=name)
    ax1.axhline(math.log(10), color="k", lw=0.8, ls="--", label="uniform guess, ln 10")
    ax1.set(xlabel="step", ylabel="cross-entropy (nats, mean of 20 steps)", title="GRU seq2seq, reversing 20 tokens")
    ax1.legend(frameon=False)
    ax2.imshow(weights, cmap="viridis", vmin=0, vmax=1)
    ax2.set(xlabel="encoder position (input)", ylabel="decoder step (output)",
            title="where the decoder looks (with attention)")
    ax2.set_xticks(range(len(x)), [str(int(t)) for t in x], fontsize=7)
    fig.tight_layout()
    return fig


@figure
def transformer_figure(curve, weights: torch.Tensor):
    """Token accuracy on validation during training, and the mean attention map (T, T) of the last layer."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
    steps, acc = zip(*curve)
    ax1.plot(steps, acc, "o-")
    ax1.axhline(0.1, color="k", lw=0.8, ls="--", label="chance (1/10)")
    ax1.set(xlabel="step", ylabel="validation token accuracy", ylim=(0, 1.02), title="transformer, 1 layer, 1 head, d 32")
    ax1.legend(frameon=False)
    ax2.imshow(weights, cmap="viridis", vmin=0)
    ax2.set(xlabel="key position", ylabel="query position", title="mean attention weights: the anti-diagonal")
    fig.tight_layout()
    return fig


def attention_map(model, x: torch.Tensor, layer: int = 0, head: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a ReversalTransformer on one sequence x (T,) -> (weights (T, T) of that layer and head, prediction (T,))."""
    device = next(model.parameters()).device
    with torch.no_grad():
        pred = model(x[None].to(device)).argmax(dim=-1)[0].cpu()
    maps = model.attention_maps()
    return maps[layer][0, head].cpu(), pred


@figure
def attention_map_figure(model, text: str, layer: int, head: int, T: int):
    x = encode_digits(text, T)
    w, pred = attention_map(model, x, layer, head)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.imshow(w, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(T), [str(int(t)) for t in x], fontsize=8)
    ax.set_yticks(range(T), [str(int(t)) for t in pred], fontsize=8)
    right = (pred == x.flip(0)).float().mean().item()
    ax.set(xlabel="input token (key)", ylabel="predicted output token (query)",
           title=f"layer {layer}, head {head}: {right:.0%} of the reversal right")
    fig.tight_layout()
    return fig


def attention_explorer(models: dict, T: int):
    """Type digits; pick a trained transformer, a layer and a head; see its attention map and prediction."""
    import ipywidgets as W

    from helpers.widgets import live_output

    text = W.Text(value="31415926535897932384", description="digits")
    which = W.Dropdown(options=list(models), description="model")
    layer = W.IntSlider(value=0, min=0, max=len(models[which.value].blocks) - 1, description="layer")
    head = W.IntSlider(value=0, min=0, max=models[which.value].blocks[0].self_attn.n_heads - 1, description="head")

    def limits(*_):
        model = models[which.value]
        layer.max, head.max = len(model.blocks) - 1, model.blocks[0].self_attn.n_heads - 1
    which.observe(limits, names="value")
    draw = lambda: attention_map_figure(models[which.value], text.value, min(layer.value, layer.max),   # noqa: E731
                                        min(head.value, head.max), T)
    return W.VBox([W.HBox([text, which]), W.HBox([layer, head]), live_output(draw, (text, which, layer, head))])


# ---------------------------------------------------------------- beam search

PUPPY_WORDS = ("<bos>", "a", "one", "puppy", "dog")


def decode_words(tokens) -> str:
    return " ".join(PUPPY_WORDS[t] for t in tokens)
