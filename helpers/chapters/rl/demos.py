"""Chapter 12's figures and widgets. The logic is plain functions the tests call; the
widgets only wire controls to them (helpers.widgets.live_output)."""
from __future__ import annotations

import functools
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers.chapters.rl import agents, answers
from helpers.plots import figure
from helpers.runtime import cpu_threads

WORLDS = {  # name: (gymnasium id, grid shape, arrows in the env's action order, start state)
    "FrozenLake 4x4 (slippery)": ("FrozenLake-v1", agents.LAKE_SHAPE, agents.ARROWS, 0),
    "CliffWalking": ("CliffWalking-v1", agents.CLIFF_SHAPE, agents.CLIFF_ARROWS, 36),
}


@functools.lru_cache(maxsize=128)
def solve_world(world: str, gamma: float, value_iteration: Callable = answers.value_iteration):
    """V* (S,), Q* (S, A) and the terminal mask (S,) of a world for this gamma (value iteration).
    Remembered per (world, gamma, function), so moving the epsilon or step slider does not solve
    again; on one thread (16 or 48 states: a second thread only adds waiting)."""
    env_id = WORLDS[world][0]
    P, R, terminal = agents.tabular_model(agents.make(env_id))
    with cpu_threads(1):
        V = value_iteration(P, R, gamma)
    return V, answers.q_from_v(P, R, V, gamma), terminal


def epsilon_greedy_path(world: str, Q: torch.Tensor, eps: float, seed: int = 0,
                        max_steps: int = 100) -> tuple[list[int], list[float]]:
    """An episode in the real environment, epsilon-greedy on Q (ties at random): states (T + 1,)
    and rewards (T,). Seeded, so moving another slider replays the same luck."""
    env = agents.make(WORLDS[world][0])
    g = torch.Generator().manual_seed(seed)
    s, _ = env.reset(seed=seed)
    states, rewards = [int(s)], []
    for _ in range(max_steps):
        a = int(answers.epsilon_greedy(Q[s:s + 1], eps, g)[0])
        s, r, terminated, truncated, _ = env.step(a)
        states.append(int(s))
        rewards.append(float(r))
        if terminated or truncated:
            break
    return states, rewards


def draw_grid(ax, values: torch.Tensor, Q: torch.Tensor, terminal: torch.Tensor, shape, arrows: str,
              path: list[int] | None = None, marks: dict[int, str] | None = None) -> None:
    """A heatmap of the state values with the greedy action of Q as an arrow on each square,
    terminal squares left blank, and an optional path of states drawn over it."""
    rows, cols = shape
    img = values.detach().cpu().double().reshape(rows, cols).numpy().copy()
    img[terminal.reshape(rows, cols).numpy()] = np.nan
    im = ax.imshow(img, cmap="viridis")
    plt.colorbar(im, ax=ax, fraction=0.03, pad=0.02, label="V(s)")
    best = Q.argmax(dim=1)
    for s in range(rows * cols):
        r, c = divmod(s, cols)
        text = marks.get(s, "") if marks else ""
        if not text and not bool(terminal[s]):
            text = arrows[int(best[s])]
        ax.text(c, r, text, ha="center", va="center", color="w", fontsize=12 if len(text) == 1 else 8)
    if path:
        rc = np.array([divmod(s, cols) for s in path], dtype=float)
        ax.plot(rc[:, 1], rc[:, 0], "-o", color="C3", lw=2, ms=4, alpha=0.8)
        ax.plot(rc[-1, 1], rc[-1, 0], "o", color="C1", ms=12, mfc="none", mew=2)
    ax.set_xticks([])
    ax.set_yticks([])


def world_marks(world: str) -> dict[int, str]:
    """Labels for special squares: start, goal, holes or the cliff."""
    if world == "CliffWalking":
        return {36: "S", 47: "G", **{s: "cliff" for s in range(37, 47)}}
    desc = "SFFFFHFHFFFHHFFG"
    return {s: ch for s, ch in enumerate(desc) if ch in "SHG"}


@figure
def world_figure(world: str, gamma: float, eps: float, step: int, seed: int = 0,
                 value_iteration: Callable = answers.value_iteration):
    """V* and the greedy policy for gamma, with the first ``step`` moves of an epsilon-greedy episode."""
    _, shape, arrows, _ = WORLDS[world]
    V, Q, terminal = solve_world(world, gamma, value_iteration)
    states, rewards = epsilon_greedy_path(world, Q, eps, seed)
    step = min(step, len(rewards))
    fig, ax = plt.subplots(figsize=(9 if shape[1] > 6 else 5.5, 3.6 if shape[1] > 6 else 4.4))
    draw_grid(ax, V, Q, terminal, shape, arrows, states[:step + 1], world_marks(world))
    status = "the episode ended" if step == len(rewards) and len(rewards) < 100 else f"step {step} of {len(rewards)}"
    ax.set_title(f"{world}: $\\gamma$ = {gamma:.2f}, V*(start) = {float(V[WORLDS[world][3]]):.3f}; "
                 f"$\\epsilon$ = {eps:.2f}, {status}, return so far {sum(rewards[:step]):.0f}", fontsize=9)
    fig.tight_layout()
    return fig


def world_explorer(value_iteration: Callable = answers.value_iteration):
    """Sliders for gamma, epsilon and the step of an episode, a choice of world and of the episode's
    seed; the figure redraws the values, the greedy arrows and the path so far."""
    import ipywidgets as W

    from helpers.widgets import live_output

    world = W.ToggleButtons(options=list(WORLDS), description="world")
    gamma = W.FloatSlider(value=0.95, min=0.5, max=0.99, step=0.01, description="γ")
    eps = W.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, description="ε")
    step = W.IntSlider(value=10, min=0, max=100, description="step")
    seed = W.IntSlider(value=0, min=0, max=20, description="episode seed")
    draw = lambda: world_figure(world.value, gamma.value, eps.value, step.value, seed.value,   # noqa: E731
                                value_iteration=value_iteration)
    return W.VBox([W.HBox([world]), W.HBox([gamma, eps]), W.HBox([step, seed]),
                   live_output(draw, (world, gamma, eps, step, seed))])


@figure
def values_figure(world: str, V: torch.Tensor, Q: torch.Tensor, terminal: torch.Tensor, title: str = ""):
    """A heatmap of V with the greedy arrows of Q on a world's grid."""
    _, shape, arrows, _ = WORLDS[world]
    fig, ax = plt.subplots(figsize=(9 if shape[1] > 6 else 5, 3.4 if shape[1] > 6 else 4.2))
    draw_grid(ax, V, Q, terminal, shape, arrows, None, world_marks(world))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


@figure
def cliff_paths(tables: dict[str, torch.Tensor]):
    """Each algorithm's greedy path on CliffWalking over max_a Q, one panel per algorithm."""
    _, shape, arrows, _ = WORLDS["CliffWalking"]
    terminal = torch.zeros(48, dtype=torch.bool)
    terminal[47] = True
    fig, axes = plt.subplots(len(tables), 1, figsize=(8, 2.6 * len(tables)), squeeze=False)
    for ax, (name, Q) in zip(axes[:, 0], tables.items()):
        path, ret = agents.greedy_episode(Q)
        draw_grid(ax, Q.max(dim=1).values, Q, terminal, shape, arrows, path, world_marks("CliffWalking"))
        ax.set_title(f"{name}: max_a Q(s, a) and the greedy path, return {ret:.0f}", fontsize=9)
    fig.tight_layout()
    return fig


def monte_carlo_value(Q: torch.Tensor, gamma: float, episodes: int = 1000, seed: int = 0,
                      env_name: str = "FrozenLake-v1") -> float:
    """The mean discounted return of the greedy policy of Q over sampled episodes (from the start)."""
    env = agents.make(env_name)
    best = Q.argmax(dim=1).tolist()
    total = 0.0
    env.reset(seed=seed)
    for _ in range(episodes):
        s, _ = env.reset()
        discount, done = 1.0, False
        while not done:
            s, r, terminated, truncated, _ = env.step(best[int(s)])
            total += discount * float(r)
            discount *= gamma
            done = terminated or truncated
    return total / episodes


@figure
def tabular_curves(runs: dict[str, list[float]], window: int = 20, optimum: float = -13.0):
    """Online return per episode (thin) and its moving mean (thick) for each algorithm, on one plot."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for i, (name, returns) in enumerate(runs.items()):
        ax.plot(returns, color=f"C{i}", lw=0.5, alpha=0.3)
        ax.plot(agents.moving_mean(returns, window), color=f"C{i}", lw=2, label=f"{name} (mean of {window})")
    ax.axhline(optimum, color="k", ls="--", lw=0.8, label=f"optimal return {optimum:.0f}")
    ax.set(xlabel="episode", ylabel="online return (with exploration)", ylim=(-150, 0),
           title="CliffWalking: returns while learning, ε = 0.1")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


@figure
def reinforce_curves(runs: dict[int, list[float]], window: int = 20, target: float = 475.0):
    """CartPole returns per episode for each seed (thin), their mean of the last ``window`` (thick),
    and the spread over seeds (min to max of those means) as a band."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    longest = max(len(r) for r in runs.values())
    means = np.full((len(runs), longest), np.nan)
    for i, (seed, returns) in enumerate(runs.items()):
        m = agents.moving_mean(returns, window)
        means[i, :len(m)] = m
        ax.plot(returns, color=f"C{i}", lw=0.4, alpha=0.3)
        ax.plot(m, color=f"C{i}", lw=1.8, label=f"seed {seed}: mean of {window}")
    with np.errstate(all="ignore"):
        ax.fill_between(np.arange(longest), np.nanmin(means, 0), np.nanmax(means, 0), color="0.5", alpha=0.15,
                        label="spread over seeds")
    ax.axhline(target, color="k", ls="--", lw=0.8, label=f"target {target:.0f}")
    ax.set(xlabel="episode", ylabel="return (steps balanced)", ylim=(0, 520), title="REINFORCE with a baseline on CartPole-v1")
    ax.legend(frameon=False, fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def draw_cartpole(ax, state: np.ndarray, pole_length: float = 1.0) -> None:
    """The cart as a box on a track and the pole as a line at its angle (0 = upright).
    state: (4,) cart position, cart velocity, pole angle (rad), angular velocity."""
    x, _, theta, _ = (float(v) for v in state)
    ax.plot([-2.4, 2.4], [0, 0], color="0.4", lw=1)
    ax.add_patch(plt.Rectangle((x - 0.25, -0.1), 0.5, 0.2, color="C0"))
    tip = (x + pole_length * np.sin(theta), pole_length * np.cos(theta))
    ax.plot([x, tip[0]], [0, tip[1]], color="C3", lw=4, solid_capstyle="round")
    ax.set(xlim=(-2.6, 2.6), ylim=(-0.3, 1.2), aspect="equal", xticks=[], yticks=[])


@figure
def cartpole_frame(trajectories: dict[str, np.ndarray], t: int):
    """Frame t of each CartPole episode (the last frame once an episode has ended), side by side."""
    fig, axes = plt.subplots(1, len(trajectories), figsize=(4.2 * len(trajectories), 2.2), squeeze=False)
    for ax, (name, states) in zip(axes[0], trajectories.items()):
        k = min(t, len(states) - 1)
        draw_cartpole(ax, states[k])
        ended = " (fallen: episode over)" if k < t or (k == len(states) - 1 and len(states) < 501) else ""
        ax.set_title(f"{name}: step {k} of {len(states) - 1}{ended}\nangle {np.degrees(states[k][2]):+.1f}°,"
                     f" position {states[k][0]:+.2f}", fontsize=8)
    fig.tight_layout()
    return fig


def cartpole_replay(trajectories: dict[str, np.ndarray]):
    """A time slider over CartPole episodes (e.g. a random policy and the trained one)."""
    import ipywidgets as W

    from helpers.widgets import live_output

    longest = max(len(s) for s in trajectories.values()) - 1
    t = W.IntSlider(value=0, min=0, max=longest, description="time step")
    play = W.Play(value=0, min=0, max=longest, step=5, interval=100)
    W.jslink((play, "value"), (t, "value"))
    return W.VBox([W.HBox([play, t]), live_output(lambda: cartpole_frame(trajectories, t.value), (t,))])


def baseline_variance(n_runs: int = 200, T: int = 20, seed: int = 0) -> dict[str, float]:
    """The variance over episodes of each one-episode gradient estimate of baseline_estimates. -> {name: var}."""
    return {name: float(est.var()) for name, est in baseline_estimates(n_runs, T, seed).items()}


def baseline_estimates(n_runs: int = 200, T: int = 20, seed: int = 0) -> dict[str, torch.Tensor]:
    """One-episode policy-gradient estimates dJ/dtheta, (n_runs,) each, for a toy policy with one
    parameter (pi(a=1) = sigmoid(theta) at every step, theta = 0) and reward 1 + a_t per step:
    without a baseline and with the baseline b_t = the expected return-to-go. The true gradient is
    T sigma'(0) = T / 4. -> {name: estimates (n_runs,)}."""
    g = torch.Generator().manual_seed(seed)
    theta = torch.zeros(())
    p = torch.sigmoid(theta)
    a = (torch.rand(n_runs, T, generator=g) < p).double()                 # (n, T) actions
    rewards = 1.0 + a
    G = rewards.flip(1).cumsum(1).flip(1)                                 # (n, T) returns-to-go, gamma = 1
    score = a - p.double()                                               # d log pi / d theta
    expected_G = (T - torch.arange(T, dtype=torch.float64)) * (1 + p.double())
    return {"no baseline": (score * G).sum(1),
            "baseline = expected return-to-go": (score * (G - expected_G)).sum(1)}
