"""Chapter 12's reference answers. While an exercise is graded its own answer here refuses
to run (helpers.grading.guard); later chapters may call them (add the ones they build on to
helpers.kernels). Device-agnostic torch.

Tabular conventions: S states, A actions; a model is P (S, A, S) with P[s, a, s'] = p(s' | s, a)
and R (S, A) the expected reward of taking a in s; a policy is (S, A), rows summing to 1.
"""
from __future__ import annotations

import torch

from helpers.grading.guard import reference


@reference
def discounted_returns(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """Returns-to-go G_t = r_t + gamma r_{t+1} + gamma^2 r_{t+2} + ... along the last axis.

    rewards: (..., T), r_t the reward received after the action at step t -> (..., T), same dtype.
    One backward sweep, G_t = r_t + gamma G_{t+1} with G_T = 0: O(T), no T x T matrix.
    """
    out = torch.empty_like(rewards)
    g = torch.zeros_like(rewards[..., 0])                       # (...,) G_T = 0 past the end
    for t in range(rewards.shape[-1] - 1, -1, -1):
        g = rewards[..., t] + gamma * g
        out[..., t] = g
    return out


@reference
def epsilon_greedy(q: torch.Tensor, eps: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """One action per row: with probability eps uniform over all A actions, else a greedy one,
    ties among the maximal entries broken uniformly at random.

    q: (N, A) action values -> (N,) int64 actions on q's device. Draws only from ``generator``.
    """
    n, a = q.shape
    u = torch.rand(n, generator=generator, dtype=torch.float64).to(q.device)
    random_a = torch.randint(0, a, (n,), generator=generator).to(q.device)
    noise = torch.rand(n, a, generator=generator, dtype=torch.float64).to(q.device)
    is_max = q == q.max(dim=1, keepdim=True).values                  # (N, A) the tied maxima
    greedy = torch.where(is_max, noise, torch.full_like(noise, -1.0)).argmax(dim=1)   # a random one of them
    return torch.where(u < eps, random_a, greedy)


@reference
def sarsa_update(Q: torch.Tensor, s: int, a: int, r: float, s2: int, a2: int, alpha: float, gamma: float,
                 terminated: bool = False) -> None:
    """In place: Q[s, a] += alpha (r + gamma Q[s2, a2] - Q[s, a]); the target is r alone when the
    transition ended the episode (terminated). Q: (S, A)."""
    target = r if terminated else r + gamma * float(Q[s2, a2])
    Q[s, a] += alpha * (target - float(Q[s, a]))


@reference
def q_learning_update(Q: torch.Tensor, s: int, a: int, r: float, s2: int, alpha: float, gamma: float,
                      terminated: bool = False) -> None:
    """In place: Q[s, a] += alpha (r + gamma max_a' Q[s2, a'] - Q[s, a]); target r when terminated."""
    target = r if terminated else r + gamma * float(Q[s2].max())
    Q[s, a] += alpha * (target - float(Q[s, a]))


@reference
def policy_evaluation(P: torch.Tensor, R: torch.Tensor, policy: torch.Tensor, gamma: float) -> torch.Tensor:
    """V^pi exactly, from the linear Bellman equations (I - gamma P_pi) V = r_pi.

    P: (S, A, S), R: (S, A), policy: (S, A), gamma < 1 -> V: (S,) in P's dtype.
    """
    p_pi = torch.einsum("sa,sat->st", policy, P)                 # (S, S) p(s' | s) under pi
    r_pi = (policy * R).sum(dim=1)                               # (S,) expected reward in s
    eye = torch.eye(P.shape[0], dtype=P.dtype, device=P.device)
    return torch.linalg.solve(eye - gamma * p_pi, r_pi)


def q_from_v(P: torch.Tensor, R: torch.Tensor, V: torch.Tensor, gamma: float) -> torch.Tensor:
    """One-step look-ahead Q(s, a) = R(s, a) + gamma sum_s' P(s' | s, a) V(s'). -> (S, A)."""
    return R + gamma * P @ V                                     # (S, A, S) @ (S,) -> (S, A)


@reference
def value_iteration(P: torch.Tensor, R: torch.Tensor, gamma: float, tol: float = 1e-10,
                    max_iters: int = 100_000) -> torch.Tensor:
    """V* by repeated Bellman optimality backups V <- max_a [R + gamma P V], from V = 0, until
    the largest change is below tol. P: (S, A, S), R: (S, A) -> V*: (S,) in P's dtype."""
    V = torch.zeros(P.shape[0], dtype=P.dtype, device=P.device)
    for _ in range(max_iters):
        V_new = q_from_v(P, R, V, gamma).max(dim=1).values
        done = float((V_new - V).abs().max()) < tol
        V = V_new
        if done:
            break
    return V


def greedy_policy(Q: torch.Tensor) -> torch.Tensor:
    """The deterministic greedy policy of Q (S, A) as one-hot rows (S, A) (first maximum on ties)."""
    return torch.nn.functional.one_hot(Q.argmax(dim=1), Q.shape[1]).to(Q.dtype)


@reference
def reinforce_loss(log_probs: torch.Tensor, returns: torch.Tensor,
                   baseline: torch.Tensor | float | None = None) -> torch.Tensor:
    """A loss whose gradient is minus the policy-gradient estimate with a baseline,
    -(1/N) sum_n sum_t (G_nt - b_t) grad log pi(a_nt | s_nt).

    log_probs: (N, T) log pi of the actions taken (with grad); returns: (N, T) returns-to-go;
    baseline: None, a number, or a tensor broadcasting to (N, T) (no gradient flows into it or the
    returns) -> 0-d tensor.
    """
    weights = returns.detach()
    if baseline is not None:
        weights = weights - (baseline.detach() if torch.is_tensor(baseline) else baseline)
    return -(log_probs * weights).sum(dim=1).mean()


@reference
def dqn_targets(rewards: torch.Tensor, next_states: torch.Tensor, terminated: torch.Tensor,
                target_net: torch.nn.Module, gamma: float) -> torch.Tensor:
    """TD targets y = r + gamma max_a' Q_target(s', a'), and y = r where the episode terminated.

    rewards: (B,), next_states: (B, d), terminated: (B,) bool, target_net: (B, d) -> (B, A) ->
    y: (B,) in rewards' dtype, without gradient (the target is a constant for the loss).
    """
    return _dqn_targets(rewards, next_states, terminated, target_net, gamma)


def _dqn_targets(rewards, next_states, terminated, target_net, gamma):
    with torch.no_grad():
        next_max = target_net(next_states).max(dim=1).values           # (B,)
    return rewards + gamma * torch.where(terminated, torch.zeros_like(next_max), next_max).to(rewards.dtype)


@reference
def dqn_loss(q_net: torch.nn.Module, target_net: torch.nn.Module, batch: tuple, gamma: float) -> torch.Tensor:
    """mean_i (Q(s_i, a_i) - y_i)^2 with y from dqn_targets on the target network.

    batch: states (B, d), actions (B,) int64, rewards (B,), next_states (B, d), terminated (B,) bool
    -> 0-d tensor; the gradient reaches q_net only.
    """
    states, actions, rewards, next_states, terminated = batch
    y = _dqn_targets(rewards, next_states, terminated, target_net, gamma)           # (B,) constant
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)                        # (B,) Q(s_i, a_i)
    return ((q - y) ** 2).mean()
