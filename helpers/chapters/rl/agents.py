"""Chapter 12's environments and training loops: plain functions, the update rules passed in
(the student's, or the course's through helpers.fallback), so the same loop runs either.

Environments come from gymnasium (CliffWalking-v1, FrozenLake-v1, CartPole-v1), text mode only.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

CLIFF_SHAPE = (4, 12)        # CliffWalking-v1: start (3, 0), goal (3, 11), the cliff between them
LAKE_SHAPE = (4, 4)          # FrozenLake-v1, map 4x4
ARROWS = "\u2190\u2193\u2192\u2191"  # FrozenLake's action order: left, down, right, up
CLIFF_ARROWS = "\u2191\u2192\u2193\u2190"  # CliffWalking's: up, right, down, left


def make(name: str, **kwargs) -> gym.Env:
    """gymnasium.make, quietly (no rendering)."""
    return gym.make(name, **kwargs)


def tabular_model(env: gym.Env, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The MDP of a gymnasium toy-text env: P (S, A, S), R (S, A) expected rewards, terminal (S,) bool.

    A transition that ends the episode leads to an absorbing copy of its end: the terminal state
    gets a self-loop with reward 0, so V(terminal) = 0 and the linear Bellman equations hold.
    """
    table = env.unwrapped.P
    n_s, n_a = len(table), len(table[0])
    P = torch.zeros(n_s, n_a, n_s, dtype=dtype)
    R = torch.zeros(n_s, n_a, dtype=dtype)
    terminal = torch.zeros(n_s, dtype=torch.bool)
    for s, actions in table.items():
        for a, outcomes in actions.items():
            for prob, s2, reward, done in outcomes:
                P[s, a, int(s2)] += prob
                R[s, a] += prob * reward
                if done:
                    terminal[int(s2)] = True
    for s in torch.nonzero(terminal).flatten().tolist():          # absorbing, no more reward
        P[s] = 0.0
        P[s, :, s] = 1.0
        R[s] = 0.0
    return P, R, terminal


# ---------------------------------------------------------------- tabular control on CliffWalking

@dataclass
class TabularRun:
    """What train_tabular returns: the table, each episode's online return and length."""
    Q: torch.Tensor
    returns: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    greedy_returns: list[float] = field(default_factory=list)   # after each episode, when tracked


def _pick(select: Callable, Q: torch.Tensor, s: int, eps: float, generator: torch.Generator) -> int:
    return int(select(Q[s:s + 1], eps, generator)[0])


def train_tabular(algo: str, update: Callable, select: Callable, *, episodes: int = 500, alpha: float = 0.5,
                  gamma: float = 1.0, eps: float = 0.1, seed: int = 0, env_name: str = "CliffWalking-v1",
                  max_steps: int = 10_000, progress: bool = False, track_greedy: bool = False) -> TabularRun:
    """Online SARSA (algo="sarsa", update(Q, s, a, r, s2, a2, alpha, gamma, terminated)) or
    Q-learning (algo="qlearning", update(Q, s, a, r, s2, alpha, gamma, terminated)) with the
    epsilon-greedy ``select(q (1, A), eps, generator) -> (1,)``. Q starts at 0. With track_greedy,
    the greedy policy's return (no exploration, at most 100 steps) is recorded after each episode."""
    env = make(env_name)
    g = torch.Generator().manual_seed(seed)
    Q = torch.zeros(env.observation_space.n, env.action_space.n, dtype=torch.float64)
    run = TabularRun(Q)
    probe = make(env_name) if track_greedy else None          # a second copy for the greedy test episodes
    s, _ = env.reset(seed=seed)
    for _ in tqdm(range(episodes), desc=algo, disable=not progress, leave=False):
        s, _ = env.reset()
        a = _pick(select, Q, s, eps, g)
        total, steps, done = 0.0, 0, False
        while not done and steps < max_steps:
            s2, r, terminated, truncated, _ = env.step(a)
            a2 = _pick(select, Q, s2, eps, g)
            if algo == "sarsa":
                update(Q, s, a, float(r), int(s2), a2, alpha, gamma, bool(terminated))
            else:
                update(Q, s, a, float(r), int(s2), alpha, gamma, bool(terminated))
            s, a, total, steps, done = int(s2), a2, total + float(r), steps + 1, terminated or truncated
        run.returns.append(total)
        run.lengths.append(steps)
        if track_greedy:
            run.greedy_returns.append(greedy_episode(Q, max_steps=100, env=probe)[1])
    return run


def settled_at(greedy_returns: list[float]) -> int | None:
    """The first episode (1-based) from which the greedy return never changes again, or None."""
    if not greedy_returns:
        return None
    final, k = greedy_returns[-1], len(greedy_returns)
    while k > 0 and greedy_returns[k - 1] == final:
        k -= 1
    return k + 1


def greedy_episode(Q: torch.Tensor, env_name: str = "CliffWalking-v1", max_steps: int = 200,
                   seed: int = 0, env: gym.Env | None = None) -> tuple[list[int], float]:
    """Follow argmax_a Q (first maximum on ties) from the start: (states visited, return).
    Stops after max_steps (a greedy policy can walk in circles). ``env`` reuses an environment."""
    env = env if env is not None else make(env_name)
    s, _ = env.reset(seed=seed)
    states, total = [int(s)], 0.0
    for _ in range(max_steps):
        s, r, terminated, truncated, _ = env.step(int(Q[s].argmax()))
        states.append(int(s))
        total += float(r)
        if terminated or truncated:
            break
    return states, total


def moving_mean(values, n: int = 20) -> np.ndarray:
    """The mean of the last n values at each position (fewer at the start). (T,) -> (T,)."""
    v = np.asarray(values, dtype=float)
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - n, 0)
    return (c[idx] - c[lo]) / (idx - lo)


# ---------------------------------------------------------------- REINFORCE on CartPole

def policy_net(d_hidden: int = 128) -> nn.Module:
    """CartPole's policy: 4 observations -> ReLU layer -> 2 action logits. (B, 4) -> (B, 2)."""
    return nn.Sequential(nn.Linear(4, d_hidden), nn.ReLU(), nn.Linear(d_hidden, 2))


def _cpu_weights(model: nn.Module) -> list[np.ndarray]:
    return [p.detach().to("cpu", torch.float64).numpy() for p in model.parameters()]


def _act(weights: list[np.ndarray], obs: np.ndarray, u: float) -> int:
    """Sample from the policy on a NumPy copy of its weights (one step costs microseconds, not a
    device round trip): P(push right) = sigmoid(z_1 - z_0)."""
    w1, b1, w2, b2 = weights
    z = w2 @ np.maximum(w1 @ obs + b1, 0.0) + b2
    return int(u < 1.0 / (1.0 + math.exp(min(50.0, max(-50.0, z[0] - z[1])))))


def play_episode(weights: list[np.ndarray], env: gym.Env, rng: random.Random,
                 seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One CartPole episode under the policy: observations (T, 4), actions (T,), rewards (T,)."""
    obs, _ = env.reset(seed=seed)
    S, A, Rw = [], [], []
    done = False
    while not done:
        a = _act(weights, obs.astype(np.float64), rng.random())
        S.append(obs)
        A.append(a)
        obs, r, terminated, truncated, _ = env.step(a)
        Rw.append(r)
        done = terminated or truncated
    return np.array(S, dtype=np.float32), np.array(A), np.array(Rw, dtype=np.float32)


@dataclass
class ReinforceRun:
    """What train_reinforce returns: each episode's return, the episode at which the mean of the
    last 20 first reached ``solved_at`` (None if never), the CPU seconds and the model."""
    returns: list[float]
    solved_episode: int | None
    cpu_seconds: float
    model: nn.Module


def train_reinforce(returns_fn: Callable, loss_fn: Callable, *, seed: int = 0, lr: float = 5e-3,
                    gamma: float = 0.99, episodes: int = 1000, solved_at: float = 475.0,
                    stop_when_solved: bool = True, extra_episodes: int = 0, device: torch.device | str = "cpu",
                    d_hidden: int = 128, desc: str | None = None) -> ReinforceRun:
    """REINFORCE on CartPole-v1, one episode per Adam step. Each step: returns-to-go with
    ``returns_fn(rewards (1, T), gamma)``, the baseline = their mean over the episode, scaled by
    their standard deviation (one learning rate fits short and long episodes), and
    ``loss_fn(log_probs (1, T), returns (1, T), baseline)``. Acting runs on a CPU copy of the weights;
    the model and the update live on ``device``. With stop_when_solved, training stops
    ``extra_episodes`` episodes after the mean of the last 20 first reached ``solved_at`` (to see
    whether it stays there), within ``episodes`` in all."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    env = make("CartPole-v1")
    model = policy_net(d_hidden).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    returns, solved = [], None
    start = time.process_time()
    bar = tqdm(range(episodes), desc=desc or f"REINFORCE seed {seed}", leave=False)
    for ep in bar:
        S, A, Rw = play_episode(_cpu_weights(model), env, rng, seed=seed if ep == 0 else None)
        returns.append(float(Rw.sum()))
        G = returns_fn(torch.as_tensor(Rw, device=device)[None], gamma)         # (1, T)
        scale = G.std() + 1e-8 if G.shape[1] > 1 else torch.ones((), device=device)
        logits = model(torch.as_tensor(S, device=device))                     # (T, 2)
        logp = torch.log_softmax(logits, dim=1).gather(1, torch.as_tensor(A, device=device)[:, None]).T  # (1, T)
        loss = loss_fn(logp, G / scale, G.mean() / scale)
        opt.zero_grad()
        loss.backward()
        opt.step()
        last = float(np.mean(returns[-20:]))
        bar.set_postfix(mean20=f"{last:.0f}", refresh=False)
        if solved is None and len(returns) >= 20 and last >= solved_at:
            solved = ep + 1
        if stop_when_solved and solved is not None and ep + 1 >= solved + extra_episodes:
            break
    bar.close()
    return ReinforceRun(returns, solved, time.process_time() - start, model)


def cartpole_trajectory(model: nn.Module | None, seed: int = 0, max_steps: int = 500) -> np.ndarray:
    """The states (T + 1, 4) of one CartPole episode: greedy actions of ``model``, or random ones
    when model is None. Each row: cart position, cart velocity, pole angle (rad), angular velocity."""
    env = make("CartPole-v1")
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    states = [obs]
    for _ in range(max_steps):
        if model is None:
            a = int(rng.integers(2))
        else:
            with torch.no_grad():
                p = next(model.parameters())
                a = int(model(torch.as_tensor(obs, device=p.device, dtype=p.dtype)[None]).argmax())
        obs, _, terminated, truncated, _ = env.step(a)
        states.append(obs)
        if terminated or truncated:
            break
    return np.array(states)
