"""The chapter's models and training loops for the real runs: sequence reversal with a GRU
encoder-decoder (with and without attention) and with a small transformer encoder.

The task: x is a sequence of T tokens from {0, ..., V-1}, the target is x reversed. Training
batches are drawn fresh from a seeded generator; validation and test sets are fixed, drawn from
other seeds. Device-agnostic: the models and the batches live on the device they are given.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from helpers.chapters.attention import answers
from helpers.runtime import seed_everything
from helpers.training import Adam


def reversal_batch(batch_size: int, T: int, V: int, generator: torch.Generator,
                   device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, y), both (batch_size, T) int64: uniform random tokens and the same sequences reversed."""
    x = torch.randint(0, V, (batch_size, T), generator=generator)
    return x.to(device), x.flip(1).to(device)


class GRUSeq2Seq(nn.Module):
    """A GRU encoder and a GRU decoder; with ``attention`` the decoder state s_t attends over the
    encoder states h_1..h_T (scaled dot product) and the readout sees [s_t, context_t] (Luong et al.).
    Without it the decoder only gets the encoder's last state as its initial state.

    forward(x (B, T), y_in (B, T) = [BOS, y_1, ..., y_{T-1}]) -> logits (B, T, V) (teacher forcing).
    """

    def __init__(self, V: int, d_hidden: int = 64, attention: bool = True):
        super().__init__()
        self.V, self.bos, self.attention = V, V, attention           # token V is BOS (decoder input only)
        self.embed = nn.Embedding(V + 1, d_hidden)
        self.encoder = nn.GRU(d_hidden, d_hidden // 2, batch_first=True, bidirectional=True)   # H/2 each way
        self.decoder = nn.GRU(d_hidden, d_hidden, batch_first=True)
        self.readout = nn.Linear(2 * d_hidden if attention else d_hidden, V)
        self.query = nn.Linear(d_hidden, d_hidden)                    # a learned query projection of s_t
        self.last_weights: torch.Tensor | None = None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states (B, T, H) (both directions side by side) and the decoder's initial state (1, B, H)."""
        enc, h = self.encoder(self.embed(x))                          # (B, T, H), (2, B, H/2)
        return enc, torch.cat([h[0], h[1]], dim=-1)[None]

    def read(self, s: torch.Tensor, enc: torch.Tensor) -> torch.Tensor:
        """Logits (B, L, V) from decoder states s (B, L, H), attending over enc (B, T, H)."""
        if not self.attention:
            return self.readout(s)
        context, self.last_weights = answers.attention(self.query(s), enc, enc)   # (B, L, H), (B, L, T)
        return self.readout(torch.cat([s, context], dim=-1))

    def forward(self, x: torch.Tensor, y_in: torch.Tensor) -> torch.Tensor:
        enc, h = self.encode(x)
        s, _ = self.decoder(self.embed(y_in), h)                      # (B, T, H)
        return self.read(s, enc)

    @torch.no_grad()
    def greedy(self, x: torch.Tensor) -> torch.Tensor:
        """Greedy decoding, one token at a time fed back: (B, T) -> (B, T) predictions."""
        enc, h = self.encode(x)
        token = torch.full((x.shape[0], 1), self.bos, dtype=torch.long, device=x.device)
        out = []
        for _ in range(x.shape[1]):
            s, h = self.decoder(self.embed(token), h)                 # (B, 1, H)
            token = self.read(s, enc).argmax(dim=-1)                  # (B, 1)
            out.append(token)
        return torch.cat(out, dim=1)


def teacher_inputs(y: torch.Tensor, bos: int) -> torch.Tensor:
    """[BOS, y_1, ..., y_{T-1}]: the decoder's inputs under teacher forcing. (B, T) -> (B, T)."""
    return torch.cat([torch.full_like(y[:, :1], bos), y[:, :-1]], dim=1)


class ReversalTransformer(nn.Module):
    """Token embedding + sinusoidal positions, n_layers pre-norm blocks, a final LayerNorm and a
    linear readout: (B, T) tokens -> (B, T, V) logits for the reversed sequence (encoder only:
    every position sees every position, no mask)."""

    def __init__(self, V: int, T: int, d_model: int = 32, n_heads: int = 1, n_layers: int = 1, d_ff: int = 64):
        super().__init__()
        self.embed = nn.Embedding(V, d_model)
        self.register_buffer("pe", answers.sinusoidal_pe(T, d_model))
        self.blocks = nn.ModuleList(answers.TransformerBlock(d_model, n_heads, d_ff, norm_first=True)
                                    for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.readout = nn.Linear(d_model, V)
        self.scale = math.sqrt(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) * self.scale + self.pe[: x.shape[1]]       # (B, T, d)
        for block in self.blocks:
            h = block(h)
        return self.readout(self.norm(h))

    def attention_maps(self) -> list[torch.Tensor]:
        """The weights of the last forward pass, one (B, n_heads, T, T) tensor per layer."""
        return [block.last_weights for block in self.blocks]


def train(model: nn.Module, loss_of_batch, steps: int, lr: float, desc: str, opt=None, start: int = 0) -> list[float]:
    """Adam for ``steps`` steps on loss_of_batch(step) (a 0-d tensor), steps numbered from ``start``;
    returns the losses. Pass ``opt`` to continue a run with its optimizer state."""
    opt = opt if opt is not None else Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for step in tqdm(range(start, start + steps), desc=desc, leave=False):
        loss = loss_of_batch(step)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


def accuracies(pred: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(token accuracy, sequence accuracy: all T tokens right) of predictions (B, T) against y (B, T)."""
    right = pred == y
    return right.float().mean().item(), right.all(dim=1).float().mean().item()


def seq2seq_loss(model: GRUSeq2Seq, T: int, batch_size: int, seed: int, device=None):
    """loss_of_batch(step): teacher-forced cross-entropy on a fresh batch from a generator seeded ``seed``."""
    g = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()

    def loss_of_batch(step):
        x, y = reversal_batch(batch_size, T, model.V, g, device)
        logits = model(x, teacher_inputs(y, model.bos))              # (B, T, V)
        return loss_fn(logits.reshape(-1, model.V), y.reshape(-1))
    return loss_of_batch


def train_seq2seq(model: GRUSeq2Seq, T: int, steps: int, lr: float, batch_size: int, seed: int, desc: str,
                  device=None) -> list[float]:
    return train(model, seq2seq_loss(model, T, batch_size, seed, device), steps, lr, desc)


def choose_lr_then_train(make_model, make_loss, score, lrs, probe_steps: int, steps: int, desc: str,
                         seed: int = 0):
    """Learning rate chosen on validation, without wasting the probes.

    For each candidate in ``lrs``: seed_everything(seed), model = make_model(), train ``probe_steps``
    steps on make_loss(model) (a loss_of_batch with its own seeded batch stream) and score(model) on
    validation (higher is better). The best candidate keeps its model, optimizer and batch stream and
    trains on to ``steps`` in all, so its probe is the start of its final run (the same run as one
    training of ``steps`` from scratch). With one candidate nothing is probed or scored.
    Returns (model, losses, {lr: validation score}, best lr, the winner's loss_of_batch)."""
    runs = {}
    for lr in lrs:
        seed_everything(seed)
        model = make_model()
        opt = Adam(model.parameters(), lr=lr)
        loss_of_batch = make_loss(model)
        n = probe_steps if len(lrs) > 1 else 0
        losses = train(model, loss_of_batch, n, lr, f"{desc}, lr {lr:g}, {n} probe steps", opt=opt)
        with torch.no_grad():
            runs[lr] = (model, opt, loss_of_batch, losses, score(model) if len(lrs) > 1 else None)
    best = max(runs, key=lambda lr: runs[lr][4]) if len(lrs) > 1 else lrs[0]
    model, opt, loss_of_batch, losses, _ = runs[best]
    losses = losses + train(model, loss_of_batch, steps - len(losses), best, f"{desc}, lr {best:g}", opt=opt,
                            start=len(losses))
    return model, losses, {lr: r[4] for lr, r in runs.items() if r[4] is not None}, best, loss_of_batch


def transformer_loss(model: ReversalTransformer, T: int, V: int, batch_size: int, seed: int, device=None,
                     every: int = 0, probe=None):
    """loss_of_batch(step) on fresh batches; every ``every`` steps it first records (step, token accuracy on
    probe=(x, y)) in loss_of_batch.curve."""
    g = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    curve: list[tuple[int, float]] = []

    def loss_of_batch(step):
        if every and probe is not None and step % every == 0:
            with torch.no_grad():
                model.eval()
                curve.append((step, accuracies(model(probe[0]).argmax(-1), probe[1])[0]))
                model.train()
        x, y = reversal_batch(batch_size, T, V, g, device)
        return loss_fn(model(x).reshape(-1, V), y.reshape(-1))
    loss_of_batch.curve = curve
    return loss_of_batch


def train_transformer(model: ReversalTransformer, T: int, V: int, steps: int, lr: float, batch_size: int, seed: int,
                      desc: str, device=None, every: int = 0, probe=None) -> tuple[list[float], list[tuple[int, float]]]:
    """Train on fresh batches; every ``every`` steps record (step, token accuracy on probe=(x, y))."""
    loss_of_batch = transformer_loss(model, T, V, batch_size, seed, device, every, probe)
    return train(model, loss_of_batch, steps, lr, desc), loss_of_batch.curve


def mirrored_weight(weights: torch.Tensor) -> float:
    """Mean attention weight on the mirrored position T-1-t. weights: (B, H, T, T) -> float."""
    T = weights.shape[-1]
    t = torch.arange(T)
    return weights[..., t, T - 1 - t].mean().item()
