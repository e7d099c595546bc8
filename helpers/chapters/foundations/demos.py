"""Chapter 01's demos: the softmax-and-temperature explorer and the activation tangents.

The widget logic is plain functions (``softmax_state``, ``activation_state``), tested on their own.
"""
from __future__ import annotations

import math

import ipywidgets as W
import matplotlib.pyplot as plt
import torch

from helpers import plots
from helpers.chapters.foundations import answers
from helpers.widgets import live_output, tabs


def softmax_state(logits, temperature: float, target: int) -> dict:
    """What the softmax explorer shows for these logits, temperature T > 0 and target class.

    Returns probs (K,), the loss -log p[target], the entropy H(p) in nats and its maximum log K.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = torch.as_tensor(logits, dtype=torch.float64)
    logp = answers.log_softmax(z / temperature)
    p = logp.exp()
    return {"probs": p, "loss": -logp[target].item(), "entropy": answers.entropy(p).item(),
            "max_entropy": math.log(len(p))}


def activation_state(x: float) -> dict:
    """Value and slope of sigmoid, tanh and ReLU at x."""
    s, t = 1 / (1 + math.exp(-x)), math.tanh(x)
    return {"sigmoid": (s, s * (1 - s)), "tanh": (t, 1 - t * t), "ReLU": (max(x, 0.0), float(x > 0))}


def _softmax_tab(labels, logits):
    sliders = [W.FloatSlider(value=v, min=-6, max=6, step=0.1, description=f"z[{name}]",
                             continuous_update=True) for v, name in zip(logits, labels)]
    temp = W.FloatLogSlider(value=1.0, base=10, min=-1.3, max=1.3, step=0.02, description="T")
    target = W.Dropdown(options=[(n, i) for i, n in enumerate(labels)],
                        value=0, description="true class")

    def draw():
        state = softmax_state([s.value for s in sliders], temp.value, target.value)
        fig, ax = plt.subplots(figsize=(6, 3))
        plots.probability_bars(state["probs"], labels, target.value, ax=ax,
                               title=f"T = {temp.value:.2f}   loss = {state['loss']:.3f} nats   "
                                     f"H(p) = {state['entropy']:.2f} of max {state['max_entropy']:.2f}")

    out = live_output(draw, (*sliders, temp, target))
    note = W.HTML("Low T sharpens the distribution towards the arg-max (one-hot as T &rarr; 0); "
                  "high T flattens it towards uniform. Adding the same number to every logit changes nothing.")
    return W.VBox([W.HBox([W.VBox(sliders), W.VBox([temp, target])]), note, out])


def _activation_tab():
    x = W.FloatSlider(value=0.5, min=-6, max=6, step=0.05, description="z")
    grid = torch.linspace(-6, 6, 241)
    funcs = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu}

    def draw():
        state = activation_state(x.value)
        fig, axes = plt.subplots(1, 3, figsize=(11, 3))
        for ax, (name, f) in zip(axes, funcs.items()):
            value, slope = state[name]
            ax.plot(grid, f(grid), lw=2)
            ax.plot(grid, value + slope * (grid - x.value), "--", color="C3", lw=1)  # tangent line
            ax.plot([x.value], [value], "o", color="C3")
            ax.set(title=f"{name}({x.value:.2f}) = {value:.3f}, slope {slope:.3f}", ylim=(-1.5, 3))
        fig.tight_layout()

    out = live_output(draw, (x,))
    return W.VBox([x, W.HTML("The dashed line is the tangent: its slope is the derivative that "
                             "backpropagation multiplies by. Far from 0, sigmoid and tanh are flat."), out])


def softmax_explorer(labels=("cat", "dog", "bird", "fish"), logits=(2.0, 1.0, 0.5, -1.0)):
    """Tab 1: four logit sliders, a temperature and the true class; bars of softmax(z / T) and the
    cross-entropy. Tab 2: sigmoid, tanh and ReLU with their tangent at a chosen z."""
    return tabs({"softmax": _softmax_tab(list(labels), list(logits)), "activations": _activation_tab()})
