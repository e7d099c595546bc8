"""Chapter 03: a live computation graph, and the chapter's figures.

The graph logic is a tiny scalar reverse-mode differentiator written out in plain Python
(``evaluate``, ``sgd_step``); tests compare it with torch.autograd. The drawing
(``draw_graph``) and the ipywidgets wiring (``graph_explorer``) only display what it returns.

Two graphs are built in:

* ``"linreg"``: L = (theta1 x1 + theta2 x2 - y)^2, one squared error of linear regression;
* ``"mlp"``: a 2-2-1 sigmoid network, h_j = sigma(w_j1 x1 + w_j2 x2 + b_j),
  o = sigma(v1 h1 + v2 h2 + c), with L = 1/2 (o - t)^2.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.plots import figure
from helpers.runtime import grading_mode


# ---------------------------------------------------------------- the graphs

@dataclass(frozen=True)
class Node:
    """One node: ``op`` applied to the nodes named in ``inputs``; leaves have op "leaf".

    ops: "mul" (a * b), "sub" (a - b), "square" (a^2), "half_square" (a^2 / 2), "sigmoid",
    "affine" (inputs w1, a1, w2, a2, ..., b: sum_i w_i a_i + b).
    """
    name: str
    label: str
    op: str
    inputs: tuple[str, ...]
    pos: tuple[float, float]


def _leaf(name, label, pos):
    return Node(name, label, "leaf", (), pos)


LINREG = (
    _leaf("x1", "x₁", (0, 3.2)), _leaf("theta1", "θ₁", (0, 2.2)),
    _leaf("x2", "x₂", (0, 1.2)), _leaf("theta2", "θ₂", (0, 0.2)),
    _leaf("y", "y (target)", (2, -0.6)),
    Node("p1", "θ₁·x₁", "mul", ("theta1", "x1"), (1, 2.7)),
    Node("p2", "θ₂·x₂", "mul", ("theta2", "x2"), (1, 0.7)),
    Node("y_hat", "ŷ = θ₁x₁ + θ₂x₂", "affine", ("one", "p1", "one", "p2", "zero"), (2, 1.7)),
    Node("r", "r = ŷ − y", "sub", ("y_hat", "y"), (3, 0.8)),
    Node("L", "L = r²", "square", ("r",), (4, 0.8)),
)

MLP = (
    _leaf("x1", "x₁", (0, 4.0)), _leaf("x2", "x₂", (0, 1.0)),
    _leaf("w11", "w₁₁", (0.9, 5.6)), _leaf("w12", "w₁₂", (0.9, 4.8)), _leaf("b1", "b₁", (0.9, 4.0)),
    _leaf("w21", "w₂₁", (0.9, 1.8)), _leaf("w22", "w₂₂", (0.9, 1.0)), _leaf("b2", "b₂", (0.9, 0.2)),
    Node("z1", "z₁ = w₁₁x₁+w₁₂x₂+b₁", "affine", ("w11", "x1", "w12", "x2", "b1"), (2.1, 4.4)),
    Node("z2", "z₂ = w₂₁x₁+w₂₂x₂+b₂", "affine", ("w21", "x1", "w22", "x2", "b2"), (2.1, 1.4)),
    Node("h1", "h₁ = σ(z₁)", "sigmoid", ("z1",), (3.2, 4.4)),
    Node("h2", "h₂ = σ(z₂)", "sigmoid", ("z2",), (3.2, 1.4)),
    _leaf("v1", "v₁", (3.2, 5.6)), _leaf("v2", "v₂", (3.2, 0.2)), _leaf("c", "c", (4.3, 0.2)),
    Node("z3", "z₃ = v₁h₁+v₂h₂+c", "affine", ("v1", "h1", "v2", "h2", "c"), (4.3, 2.9)),
    Node("o", "o = σ(z₃)", "sigmoid", ("z3",), (5.3, 2.9)),
    _leaf("t", "t (target)", (5.3, 1.3)),
    Node("r", "r = o − t", "sub", ("o", "t"), (6.2, 2.1)),
    Node("L", "L = ½ r²", "half_square", ("r",), (7.1, 2.1)),
)

GRAPHS = {"linreg": LINREG, "mlp": MLP}

# Which leaves are parameters (trained by the SGD button) and their starting values.
PARAMETERS = {"linreg": ("theta1", "theta2"),
              "mlp": ("w11", "w12", "b1", "w21", "w22", "b2", "v1", "v2", "c")}
DEFAULTS = {
    "linreg": {"x1": 1.0, "x2": 2.0, "y": 3.0, "theta1": 0.5, "theta2": -0.5},
    "mlp": {"x1": 1.0, "x2": -1.0, "t": 1.0, "w11": 0.5, "w12": -0.3, "b1": 0.1,
            "w21": -0.4, "w22": 0.8, "b2": 0.0, "v1": 0.7, "v2": -0.6, "c": 0.0},
}
_CONSTANTS = {"one": 1.0, "zero": 0.0}     # fixed coefficients used inside "affine" nodes


@dataclass
class GraphState:
    """What the widget shows: each node's forward value and dL/d(node)."""
    kind: str
    nodes: tuple[Node, ...]
    values: dict[str, float]
    grads: dict[str, float]

    @property
    def loss(self) -> float:
        return self.values["L"]


def _forward_op(node: Node, v: dict[str, float]) -> float:
    a = [v[name] for name in node.inputs]
    if node.op == "mul":
        return a[0] * a[1]
    if node.op == "sub":
        return a[0] - a[1]
    if node.op == "square":
        return a[0] ** 2
    if node.op == "half_square":
        return 0.5 * a[0] ** 2
    if node.op == "sigmoid":
        return 1 / (1 + math.exp(-a[0])) if a[0] >= 0 else math.exp(a[0]) / (1 + math.exp(a[0]))
    if node.op == "affine":
        return sum(w * x for w, x in zip(a[:-1:2], a[1:-1:2])) + a[-1]
    raise ValueError(f"unknown op {node.op!r}")


def _local_grads(node: Node, v: dict[str, float], out: float) -> list[float]:
    """d(node)/d(input) for each input, in order (the local derivatives on the incoming edges)."""
    a = [v[name] for name in node.inputs]
    if node.op == "mul":
        return [a[1], a[0]]
    if node.op == "sub":
        return [1.0, -1.0]
    if node.op == "square":
        return [2 * a[0]]
    if node.op == "half_square":
        return [a[0]]
    if node.op == "sigmoid":
        return [out * (1 - out)]
    if node.op == "affine":              # w1, a1, w2, a2, ..., b
        local = []
        for w, x in zip(a[:-1:2], a[1:-1:2]):
            local += [x, w]
        return local + [1.0]
    raise ValueError(f"unknown op {node.op!r}")


def evaluate(kind: str, inputs: dict[str, float]) -> GraphState:
    """Forward pass in graph order, then reverse mode from L: every node's value and dL/d(node).

    inputs: a value for every leaf of GRAPHS[kind] (missing ones take DEFAULTS[kind]).
    A node read by several consumers (fan-out) gets the sum of their contributions.
    """
    nodes = GRAPHS[kind]
    values = dict(_CONSTANTS)
    values.update({k: float(v) for k, v in DEFAULTS[kind].items()})
    values.update({k: float(v) for k, v in inputs.items()})
    for node in nodes:                                   # nodes are listed in topological order
        if node.op != "leaf":
            values[node.name] = _forward_op(node, values)
    grads = {name: 0.0 for name in values}
    grads["L"] = 1.0
    for node in reversed(nodes):                         # reverse mode: consumers before producers
        if node.op == "leaf":
            continue
        for name, local in zip(node.inputs, _local_grads(node, values, values[node.name])):
            grads[name] += local * grads[node.name]      # += : contributions of all consumers add up
    shown = {n.name for n in nodes}
    return GraphState(kind, nodes, {k: v for k, v in values.items() if k in shown},
                      {k: v for k, v in grads.items() if k in shown})


def sgd_step(kind: str, inputs: dict[str, float], lr: float) -> dict[str, float]:
    """One gradient-descent step on the parameters of GRAPHS[kind]: p <- p - lr * dL/dp.

    Returns a new inputs dict (the data leaves are unchanged).
    """
    state = evaluate(kind, inputs)
    new = {**DEFAULTS[kind], **inputs}
    for p in PARAMETERS[kind]:
        new[p] = new[p] - lr * state.grads[p]
    return new


def autograd_reference(kind: str, inputs: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The same loss and leaf gradients computed by torch.autograd in float64 (for tests and a demo)."""
    v = {**DEFAULTS[kind], **inputs}
    t = {k: torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for k, x in v.items()}
    if kind == "linreg":
        loss = (t["theta1"] * t["x1"] + t["theta2"] * t["x2"] - t["y"]) ** 2
    else:
        h1 = torch.sigmoid(t["w11"] * t["x1"] + t["w12"] * t["x2"] + t["b1"])
        h2 = torch.sigmoid(t["w21"] * t["x1"] + t["w22"] * t["x2"] + t["b2"])
        o = torch.sigmoid(t["v1"] * h1 + t["v2"] * h2 + t["c"])
        loss = 0.5 * (o - t["t"]) ** 2
    loss.backward()
    return loss.item(), {k: x.grad.item() for k, x in t.items()}


# ---------------------------------------------------------------- drawing

def draw_graph(state: GraphState, ax=None, title: str | None = None):
    """Boxes for nodes (name, forward value in black, dL/d(node) in red), arrows for edges.

    Returns the Axes. Parameters have a yellow box, data leaves grey, computed nodes blue.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 5))
    params = set(PARAMETERS[state.kind])
    pos = {n.name: n.pos for n in state.nodes}
    for node in state.nodes:
        for src in node.inputs:
            if src in pos:
                ax.annotate("", xy=node.pos, xytext=pos[src],
                            arrowprops=dict(arrowstyle="-|>", color="0.55", lw=1.0,
                                            shrinkA=24, shrinkB=24))
    for node in state.nodes:
        face = "#fff3c4" if node.name in params else ("#eeeeee" if node.op == "leaf" else "#dbe9f6")
        x, y = node.pos
        ax.text(x, y + 0.12, f"{node.label}\n{state.values[node.name]:.4g}", ha="center", va="bottom",
                fontsize=8.5, color="black",
                bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="0.4", lw=0.8))
        ax.text(x, y + 0.02, f"grad {state.grads[node.name]:.4g}", ha="center", va="top",
                fontsize=8, color="#c0392b")
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.8)
    ax.axis("off")
    ax.set_title(title or f"L = {state.loss:.5g}   (black: forward value; red: grad = ∂L/∂node)", fontsize=10)
    return ax


# ---------------------------------------------------------------- the widget

_RANGES = {"x": (-3.0, 3.0), "y": (-5.0, 5.0), "t": (0.0, 1.0)}


def _slider_range(name: str) -> tuple[float, float]:
    return _RANGES.get(name[0], (-3.0, 3.0)) if name in ("x1", "x2", "y", "t") else (-4.0, 4.0)


def _graph_tab(kind: str):
    import ipywidgets as W

    leaves = [n for n in GRAPHS[kind] if n.op == "leaf"]
    sliders = {}
    for n in leaves:
        lo, hi = _slider_range(n.name)
        sliders[n.name] = W.FloatSlider(value=DEFAULTS[kind][n.name], min=lo, max=hi, step=0.05,
                                        description=n.label, continuous_update=False,
                                        layout=W.Layout(width="260px"))
    lr = W.FloatLogSlider(value=0.1 if kind == "linreg" else 2.0, base=10, min=-3, max=1, step=0.1,
                          description="lr")
    step = W.Button(description="SGD step", button_style="primary")
    steps10 = W.Button(description="10 steps")
    reset = W.Button(description="reset")
    out = W.Output()
    losses: list[float] = []
    busy = {"on": False}

    def values():
        return {k: s.value for k, s in sliders.items()}

    def redraw(*_):
        if busy["on"] or grading_mode():           # while nbgrader grades: build, but draw nothing
            return
        state = evaluate(kind, values())
        with out:
            out.clear_output(wait=True)
            fig, (ax_g, ax_l) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [4, 1.3]})
            draw_graph(state, ax=ax_g)
            ax_l.plot(range(len(losses) + 1), losses + [state.loss], "o-", ms=3)
            ax_l.set(title="loss after each SGD step", xlabel="step", ylabel="L")
            fig.tight_layout()
            plt.show()

    def do_steps(n):
        v = values()
        for _ in range(n):
            losses.append(evaluate(kind, v).loss)
            v = sgd_step(kind, v, lr.value)
        busy["on"] = True
        for p in PARAMETERS[kind]:
            s = sliders[p]
            s.value = max(s.min, min(s.max, v[p]))
        busy["on"] = False
        redraw()

    def do_reset(_):
        losses.clear()
        busy["on"] = True
        for k, s in sliders.items():
            s.value = DEFAULTS[kind][k]
        busy["on"] = False
        redraw()

    for s in sliders.values():
        s.observe(redraw, names="value")
    step.on_click(lambda _: do_steps(1))
    steps10.on_click(lambda _: do_steps(10))
    reset.on_click(do_reset)
    redraw()
    data = [sliders[n.name] for n in leaves if n.name not in PARAMETERS[kind]]
    params = [sliders[p] for p in PARAMETERS[kind]]
    cols = W.HBox([W.VBox([W.HTML("<b>data</b>"), *data]),
                   W.VBox([W.HTML("<b>parameters</b>"), *params[:5]]),
                   W.VBox([W.HTML("&nbsp;"), *params[5:]]),
                   W.VBox([W.HTML("<b>training</b>"), lr, step, steps10, reset])])
    return W.VBox([cols, out])


def graph_explorer():
    """Two tabs: the linear-regression graph and the 2-2-1 sigmoid net, each with a slider per leaf
    and buttons that take SGD steps on the parameters (the loss history is drawn beside the graph)."""
    from helpers.widgets import tabs
    return tabs({"(θᵀx − y)²": _graph_tab("linreg"), "2-2-1 sigmoid net": _graph_tab("mlp")})


# ---------------------------------------------------------------- the chapter's figures

@figure
def graph_figure(kind: str, inputs: dict[str, float] | None = None):
    """A static drawing of GRAPHS[kind] at ``inputs`` (defaults when None)."""
    state = evaluate(kind, inputs or {})
    fig, ax = plt.subplots(figsize=(11, 4.2 if kind == "linreg" else 5.2))
    draw_graph(state, ax=ax)
    fig.tight_layout()
    return fig


NORM_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")   # in the order of the norms dict


@figure
def layer_gradient_norms(norms: dict[str, list[float]], title: str = ""):
    """Norm of dL/dh_l per layer l (layer 1 nearest the input), one line per activation, log scale.

    norms: {activation name: [norm at layer 1, ..., norm at layer D]}.
    """
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for (name, values), color in zip(norms.items(), NORM_COLORS):
        ax.semilogy(range(1, len(values) + 1), values, "o-", ms=3, label=name, color=color)
    ax.set(xlabel="layer (1 = nearest the input)", ylabel="‖∂L/∂h‖ (log scale)",
           title=title or "gradient size at each layer of a deep MLP")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


@figure
def sigmoid_derivative_products(max_depth: int = 20, n_samples: int = 2000, seed: int = 0):
    """prod over l of sigma'(z_l) for depth 1..max_depth: the bound 0.25^L and the median for z ~ N(0, 1)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n_samples, max_depth, generator=g, dtype=torch.float64)
    s = torch.sigmoid(z)
    prods = torch.cumprod(s * (1 - s), dim=1)                                # (n_samples, max_depth)
    depth = np.arange(1, max_depth + 1)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.semilogy(depth, 0.25 ** depth, "k--", label="best case 0.25^L (every z = 0)")
    ax.semilogy(depth, prods.median(dim=0).values.numpy(), "o-", ms=3, label="median, z ~ N(0, 1)")
    t = 1 - torch.tanh(z) ** 2
    ax.semilogy(depth, torch.cumprod(t, dim=1).median(dim=0).values.numpy(), "s-", ms=3,
                label="tanh', median, z ~ N(0, 1)")
    ax.set(xlabel="number of layers L", ylabel="product of activation derivatives",
           title="the activation factors in a chain of L layers")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


@figure
def chain_costs(ns, counts_vjp, counts_matrix, times_vjp=None, times_matrix=None, depth: int | None = None):
    """Left: multiply-add counts of both evaluation orders against n (log-log), with n^2 and n^3
    guides. Right (when timings are given): measured seconds."""
    ns = np.asarray(ns, dtype=float)
    panels = 2 if times_vjp is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 3.8), squeeze=False)
    ax = axes[0, 0]
    ax.loglog(ns, counts_vjp, "o-", label="vector first (v^T J_L) J_(L-1) ...")
    ax.loglog(ns, counts_matrix, "s-", label="matrices first v^T (J_L ... J_1)")
    ax.loglog(ns, counts_vjp[0] * (ns / ns[0]) ** 2, "k:", lw=1, label="∝ n²")
    ax.loglog(ns, counts_matrix[0] * (ns / ns[0]) ** 3, "k--", lw=1, label="∝ n³")
    ax.set(xlabel="layer width n", ylabel="multiply-adds",
           title=f"counted cost, {depth} layers" if depth else "counted cost")
    ax.legend(frameon=False, fontsize=8)
    if panels == 2:
        ax = axes[0, 1]
        ax.loglog(ns, times_vjp, "o-", label="vector first")
        ax.loglog(ns, times_matrix, "s-", label="matrices first")
        ax.set(xlabel="layer width n", ylabel="seconds", title="measured time")
        ax.legend(frameon=False, fontsize=8)
    for ax in axes[0]:
        ax.set_xticks(ns, [f"{n:g}" for n in ns])     # label the widths themselves, no minor labels
        ax.minorticks_off()
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- the one-hidden-layer ReLU MLP of section 9

def mlp_logits(X: torch.Tensor, params: dict) -> torch.Tensor:
    """Forward pass of relu(X W1^T + b1) W2^T + b2. X: (N, D) -> (N, K) logits (not probabilities)."""
    return (X @ params["W1"].T + params["b1"]).clamp(min=0) @ params["W2"].T + params["b2"]


def accuracy(X: torch.Tensor, y: torch.Tensor, params: dict) -> float:
    """Fraction of rows of X (N, D) whose largest logit is the label y (N,)."""
    return float((mlp_logits(X, params).argmax(dim=1) == y).to(torch.float32).mean())


def constant_params(d_in: int, hidden: int, d_out: int, value: float, dtype=torch.float32, device=None) -> dict:
    """The MLP's parameters with every weight equal to ``value`` and zero biases (the init that fails)."""
    return {"W1": torch.full((hidden, d_in), value, dtype=dtype, device=device),
            "b1": torch.zeros(hidden, dtype=dtype, device=device),
            "W2": torch.full((d_out, hidden), value, dtype=dtype, device=device),
            "b2": torch.zeros(d_out, dtype=dtype, device=device)}


def unit_spread(W1: torch.Tensor, b1: torch.Tensor) -> float:
    """How different the hidden units are: the largest |difference| between any unit's incoming weights and
    bias and those of unit 0. W1: (H, D); b1: (H,). 0 means every hidden unit computes the same function."""
    rows = torch.cat([W1, b1[:, None]], dim=1)                      # (H, D + 1)
    return float((rows - rows[:1]).abs().max())


def symmetry_run(loss_and_grads, X: torch.Tensor, y: torch.Tensor, params: dict, lr: float = 1.0,
                 steps: int = 200) -> dict:
    """Full-batch gradient descent with ``loss_and_grads``; measures whether the hidden units ever differ.

    Returns {"first_grad_spread": unit_spread of (dW1, db1) at step 0, "spread": unit_spread of (W1, b1)
    after training, "accuracy": training accuracy, "loss": final loss}.
    """
    first = None
    for _ in range(steps):
        loss, grads = loss_and_grads(X, y, params)
        if first is None:
            first = unit_spread(grads["W1"], grads["b1"])
        params = {k: v - lr * grads[k] for k, v in params.items()}
    return {"first_grad_spread": first, "spread": unit_spread(params["W1"], params["b1"]),
            "accuracy": accuracy(X, y, params), "loss": float(loss)}


def time_ratio(fast, slow, repeats: int = 5, number: int = 20) -> tuple[float, float, float]:
    """(best seconds per call of fast, of slow, slow / fast): each the best of ``repeats`` runs of
    ``number`` calls. Call it inside ``helpers.runtime.cpu_threads()`` so both run on the same threads."""
    def best(fn):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times.append((time.perf_counter() - start) / number)
        return min(times)

    t_fast, t_slow = best(fast), best(slow)
    return t_fast, t_slow, t_slow / t_fast
