"""Checks for chapter 12's test cells, with each exercise's catalogue of known mistakes.

Every ``check_*`` raises helpers.grading.checks.CheckFailure with a message for the student, or
returns None. Expected values come from oracles computed here in float64 (a T x T discount matrix,
torch.linalg.solve, autograd, the exact action distribution), never from what the student's
function may have changed.
"""
from __future__ import annotations

import functools
import math

import torch
from torch import nn

from helpers.chapters.rl import answers
from helpers.grading import checks
from helpers.grading.checks import Mistake
from helpers.runtime import cpu_threads

# Bound at import time: a submission that rebinds them, or blocking during its call, does not touch these.
_solve = torch.linalg.solve
_grad = torch.autograd.grad
_float64 = torch.float64

RETURNS_FORBIDDEN = (answers.discounted_returns,)
EPS_FORBIDDEN = (answers.epsilon_greedy,)
TD_FORBIDDEN = (answers.sarsa_update, answers.q_learning_update)
EVAL_FORBIDDEN = (answers.policy_evaluation,)
VI_FORBIDDEN = (answers.value_iteration,)
REINFORCE_FORBIDDEN = (answers.reinforce_loss,)
DQN_FORBIDDEN = (answers.dqn_targets, answers.dqn_loss, "torch.nn.functional.mse_loss", "torch.nn.functional.smooth_l1_loss",
                 "torch.nn.functional.huber_loss")


def _one_thread(check):
    """Run a check (and the student's function inside it) on one CPU thread: these tensors are tiny
    (a 16-state MDP, a 4-entry row), and on a shared CPU two threads wait for each other at every
    operation, which made value iteration 100 times slower."""
    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        with cpu_threads(1):
            return check(*args, **kwargs)
    return wrapper


def _tolerance(x: torch.Tensor) -> dict:
    return {"atol": 1e-9, "rtol": 1e-7} if x.dtype == _float64 else {"atol": 1e-4, "rtol": 1e-4}


def _dtype(x: torch.Tensor) -> str:
    return str(x.dtype).replace("torch.", "")


# ---------------------------------------------------------------- exercise 1: returns-to-go

def _discount_matrix(T: int, gamma: float, shift: int = 0, power_from_zero: bool = False) -> torch.Tensor:
    """M[t, k] = gamma^(k - t + shift) for k >= t (or gamma^k with power_from_zero), else 0. (T, T)."""
    t = torch.arange(T, dtype=_float64)
    power = (t[None, :] - t[:, None] + shift) if not power_from_zero else t[None, :].expand(T, T)
    return torch.where(t[None, :] >= t[:, None], float(gamma) ** power, torch.zeros(()))


def returns_oracle(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """G = rewards @ M^T with M[t, k] = gamma^(k - t) for k >= t, in float64 -> rewards' dtype."""
    r = rewards.to(_float64)
    return (r @ _discount_matrix(r.shape[-1], gamma).T).to(rewards.dtype)


def _from_matrix(rewards, M):
    return (rewards.to(_float64) @ M.T).to(rewards.dtype)


RETURNS_MISTAKES = (
    Mistake("forward", "you accumulated forwards in time (G_t from r_0 ... r_t): the return of step t looks ahead, "
            "G_t = r_t + gamma r_{t+1} + ..., so sweep from the last step back to the first.",
            lambda r, gamma: _from_matrix(r, _discount_matrix(r.shape[-1], gamma).T)),
    Mistake("not-rebased", "every G_t weights r_k by gamma^k, counted from the start of the episode: the discount "
            "restarts at each step, gamma^(k - t).",
            lambda r, gamma: _from_matrix(r, _discount_matrix(r.shape[-1], gamma, power_from_zero=True))),
    Mistake("no-discount", "the rewards are summed without the discount: each step further away is worth a factor "
            "gamma less.", lambda r, gamma: _from_matrix(r, _discount_matrix(r.shape[-1], 1.0))),
    Mistake("discounted-first", "the first reward r_t is discounted too: G_t = r_t + gamma G_{t+1}, the reward of the "
            "step itself counts fully.", lambda r, gamma: _from_matrix(r, _discount_matrix(r.shape[-1], gamma, shift=1))),
    Mistake("starts-next", "G_t leaves out r_t: the return of step t starts with the reward of step t itself, "
            "G_t = r_t + gamma G_{t+1}.",
            lambda r, gamma: _from_matrix(r, _discount_matrix(r.shape[-1], gamma)) - r),
    Mistake("gamma-squared-recursion", "the recursion is G_t = r_t + gamma G_{t+1}: gamma once per step, not gamma^2.",
            lambda r, gamma: _from_matrix(r, _discount_matrix(r.shape[-1], gamma ** 2))),
)


@_one_thread
def check_discounted_returns(discounted_returns, rewards: torch.Tensor, gamma: float) -> None:
    """discounted_returns(rewards (..., T), gamma) -> (..., T) returns-to-go along the last axis, same dtype."""
    what = f"discounted_returns({checks.describe(rewards)}, gamma={gamma})"
    out = checks.call(discounted_returns, rewards.clone(), gamma, what=what, forbidden=RETURNS_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=tuple(rewards.shape), dtype=rewards.dtype)
    checks.expect_close(out, returns_oracle(rewards, gamma), what=what, mistakes=RETURNS_MISTAKES,
                        args=(rewards, gamma), reference=returns_oracle, **_tolerance(rewards))


@_one_thread
def check_returns_recursion(discounted_returns, rewards: torch.Tensor, gamma: float) -> None:
    """The result satisfies G_t = r_t + gamma G_{t+1} with G_{T-1} = r_{T-1} (the recursion itself)."""
    what = f"discounted_returns on {checks.describe(rewards, values=False)}, gamma={gamma}"
    G = checks.call(discounted_returns, rewards.clone(), gamma, what=what, forbidden=RETURNS_FORBIDDEN)
    checks.expect_tensor(G, what=what, shape=tuple(rewards.shape))
    G64, r64 = G.to(_float64), rewards.to(_float64)
    following = torch.cat([G64[..., 1:], torch.zeros_like(G64[..., :1])], dim=-1)
    checks.expect_close(G64, r64 + gamma * following, what=f"{what}: G_t - gamma G_(t+1) must equal r_t",
                        **_tolerance(rewards))


# ---------------------------------------------------------------- exercise 2: epsilon-greedy

def action_probs(q_row: torch.Tensor, eps: float) -> torch.Tensor:
    """The exact action distribution of epsilon-greedy on one row: eps / A each, plus (1 - eps)
    shared by the tied maxima. (A,) -> (A,) float64."""
    q = q_row.to(_float64)
    is_max = (q == q.max()).to(_float64)
    return eps / q.numel() + (1 - eps) * is_max / is_max.sum()


def _first_max(q, eps):
    p = torch.full((q.numel(),), eps / q.numel(), dtype=_float64)
    p[int(q.argmax())] += 1 - eps
    return p


def _last_max(q, eps):
    p = torch.full((q.numel(),), eps / q.numel(), dtype=_float64)
    p[q.numel() - 1 - int(q.flip(0).argmax())] += 1 - eps
    return p


def _exclusive(q, eps):
    is_max = (q == q.max()).to(_float64)
    n_max, n = float(is_max.sum()), q.numel()
    if n_max == n:
        return torch.full((n,), 1.0 / n, dtype=_float64)
    return (1 - eps) * is_max / n_max + eps * (1 - is_max) / (n - n_max)


EPS_MISTAKES = (   # variant: (q_row (A,), eps) -> the action distribution that answer samples from
    Mistake("first-max", "ties are not broken at random: argmax returns the first maximum, so one of the equal "
            "actions always wins. Pick uniformly among all actions whose value equals the maximum.", _first_max),
    Mistake("last-max", "ties are not broken at random: the last of the equal actions always wins. Pick uniformly "
            "among all actions whose value equals the maximum, independently in each row.", _last_max),
    Mistake("exploration-excludes-greedy", "your random branch never picks the greedy action: with probability eps "
            "the action is uniform over *all* actions, the greedy one included (so it gets 1 - eps + eps/A).",
            _exclusive),
    Mistake("eps-is-greedy", "eps is the probability of exploring (a random action), not of acting greedily.",
            lambda q, eps: action_probs(q, 1 - eps)),
    Mistake("argmin", "you picked the smallest value: the greedy action maximises Q.",
            lambda q, eps: action_probs(-q, eps)),
    Mistake("uniform", "every action is equally likely: with probability 1 - eps take a greedy action.",
            lambda q, eps: torch.full((q.numel(),), 1.0 / q.numel(), dtype=_float64)),
)


def _frequencies(actions: torch.Tensor, n_actions: int) -> torch.Tensor:
    return torch.bincount(actions.to("cpu", torch.int64).clamp(0, n_actions - 1), minlength=n_actions).to(_float64) \
        / actions.numel()


def _expect_actions(out, n: int, n_actions: int, what: str, device) -> torch.Tensor:
    checks.expect_tensor(out, what=what, shape=(n,))
    if out.dtype != torch.int64:
        checks.fail(what, f"expected int64 action indices, got dtype {_dtype(out)}.",
                    "return the indices (argmax / randint give int64), not the values or a float tensor.")
    if out.device.type != torch.device(device).type:
        checks.fail(what, f"the actions are on {out.device}, q on {device}.", "create new tensors on q.device.")
    if bool(((out < 0) | (out >= n_actions)).any()):
        checks.fail(what, f"some actions are outside 0..{n_actions - 1}.")
    return out


@_one_thread
def check_epsilon_greedy(epsilon_greedy, q_row: torch.Tensor, eps: float, n: int = 20_000, seed: int = 0) -> None:
    """Over n rows equal to q_row, each action's frequency is within 4.5 standard errors of its
    epsilon-greedy probability (ties shared); the draws come from the generator passed in."""
    q = q_row.reshape(1, -1).repeat(n, 1)                                          # (n, A)
    A = q.shape[1]
    what = f"epsilon_greedy on {n} copies of q = {checks.fmt(q_row, 8)}, eps={eps}"
    out = checks.call(epsilon_greedy, q.clone(), eps, torch.Generator().manual_seed(seed), what=what,
                      forbidden=EPS_FORBIDDEN)
    _expect_actions(out, n, A, what, q.device)
    freq = _frequencies(out, A)
    want = action_probs(q_row, eps)
    tol = 4.5 * (want * (1 - want) / n).sqrt() + 2e-3
    if bool(((freq - want).abs() <= tol).all()):
        return
    hint = None
    for mistake in EPS_MISTAKES:
        p = mistake.variant(q_row.to(_float64), eps)
        if bool(((freq - p).abs() <= 4.5 * (p * (1 - p) / n).sqrt() + 2e-3).all()) and \
                not bool(((p - want).abs() <= tol).all()):
            hint = mistake.hint
            break
    checks.fail(what, f"the action frequencies are {checks.fmt(freq, 8)}, where epsilon-greedy gives "
                      f"{checks.fmt(want, 8)} (eps/A = {eps / A:.4g} each, plus 1 - eps shared by the maxima).", hint)


@_one_thread
def check_epsilon_greedy_rows(epsilon_greedy, q: torch.Tensor, seed: int = 0) -> None:
    """With eps = 0 each row gets its own argmax (rows without ties); with one seeded generator the
    result is repeatable, so the draws come from it and not from the global random state."""
    n, A = q.shape
    what = f"epsilon_greedy({checks.describe(q)}, eps=0)"
    out = checks.call(epsilon_greedy, q.clone(), 0.0, torch.Generator().manual_seed(seed), what=what,
                      forbidden=EPS_FORBIDDEN)
    _expect_actions(out, n, A, what, q.device)
    best = q.argmax(dim=1)
    if not bool((out == best).all()):
        i = int((out != best).nonzero()[0])
        hint = None
        if bool((out == q.argmin(dim=1)).all()):
            hint = next(m.hint for m in EPS_MISTAKES if m.name == "argmin")
        elif bool((out == out[0]).all()):
            hint = "every row got the same action: take the maximum of each row (dim=1), not of the whole table."
        checks.fail(what, f"row {i} got action {int(out[i])}, but its greedy action is {int(best[i])} "
                          f"(q[{i}] = {checks.fmt(q[i], 8)}).", hint)
    what = f"epsilon_greedy({checks.describe(q, values=False)}, eps=0.5) twice with generators seeded {seed}"
    runs = [checks.call(epsilon_greedy, q.clone(), 0.5, torch.Generator().manual_seed(seed), what=what,
                        forbidden=EPS_FORBIDDEN) for _ in range(2)]
    _expect_actions(runs[1], n, A, what, q.device)
    if not bool((runs[0] == runs[1]).all()):
        checks.fail(what, "two calls with identically seeded generators gave different actions.",
                    "draw every random number from the `generator` argument (torch.rand(..., generator=generator), "
                    "torch.randint(..., generator=generator)); the global random state makes runs unrepeatable.")
    tied = torch.zeros(n, A, dtype=q.dtype, device=q.device)               # every action tied: only the tie-break draws
    what = f"epsilon_greedy(a ({n}, {A}) table of zeros, eps=0) twice with generators seeded {seed}"
    runs = [checks.call(epsilon_greedy, tied.clone(), 0.0, torch.Generator().manual_seed(seed), what=what,
                        forbidden=EPS_FORBIDDEN) for _ in range(2)]
    _expect_actions(runs[1], n, A, what, q.device)
    if not bool((runs[0] == runs[1]).all()):
        checks.fail(what, "with every action tied, two calls with identically seeded generators gave different "
                          "actions: the tie-break does not draw from the generator.",
                    "draw the tie-breaking noise from `generator` too: torch.rand(q.shape, generator=generator) "
                    "(torch.rand_like has no generator argument and uses the global random state).")


# ---------------------------------------------------------------- exercise 3: SARSA and Q-learning

def _sarsa(Q, s, a, r, s2, a2, alpha, gamma, terminated, *, target_kind="sarsa", bootstrap_terminal=False,
           drop_reward_terminal=False, no_alpha=False, flip=False, no_gamma=False):
    Q = Q.to(_float64).clone()
    nxt = {"sarsa": Q[s2, a2], "max": Q[s2].max(), "mean": Q[s2].mean()}[target_kind]
    g = 1.0 if no_gamma else gamma
    if terminated and not bootstrap_terminal:
        target = 0.0 if drop_reward_terminal else r
    else:
        target = r + g * float(nxt)
    if no_alpha:
        Q[s, a] = target
    else:
        Q[s, a] += alpha * ((float(Q[s, a]) - target) if flip else (target - float(Q[s, a])))
    return Q


def _ql(Q, s, a, r, s2, alpha, gamma, terminated, **kw):
    return _sarsa(Q, s, a, r, s2, None, alpha, gamma, terminated, **{"target_kind": "max", **kw})


SARSA_MISTAKES = (
    Mistake("sarsa-uses-max", "your SARSA update uses max_a Q(s2, a), Q-learning's target: SARSA bootstraps from the "
            "action it will actually take next, Q(s2, a2) (that is what makes it on-policy).",
            lambda *a: _sarsa(*a, target_kind="max")),
    Mistake("bootstraps-terminal", "after a terminal transition there is no next state to bootstrap from: the "
            "target is r alone (use `terminated`).", lambda *a: _sarsa(*a, bootstrap_terminal=True)),
    Mistake("terminal-drops-reward", "a terminal transition's target is r, not 0: only the bootstrap term goes.",
            lambda *a: _sarsa(*a, drop_reward_terminal=True)),
    Mistake("no-alpha", "Q[s, a] was replaced by the target: move it a step alpha towards it, "
            "Q += alpha (target - Q).", lambda *a: _sarsa(*a, no_alpha=True)),
    Mistake("flipped", "the TD error is target - Q(s, a), not Q(s, a) - target: the update moves Q towards the target.",
            lambda *a: _sarsa(*a, flip=True)),
    Mistake("no-gamma", "the bootstrap term is discounted: r + gamma Q(s2, a2).", lambda *a: _sarsa(*a, no_gamma=True)),
)
QL_MISTAKES = (
    Mistake("ql-uses-mean", "Q-learning's target takes the max over the next actions, not their mean (that is "
            "expected SARSA under a uniform policy).", lambda *a: _ql(*a, target_kind="mean")),
    Mistake("bootstraps-terminal", SARSA_MISTAKES[1].hint, lambda *a: _ql(*a, bootstrap_terminal=True)),
    Mistake("terminal-drops-reward", SARSA_MISTAKES[2].hint, lambda *a: _ql(*a, drop_reward_terminal=True)),
    Mistake("no-alpha", SARSA_MISTAKES[3].hint, lambda *a: _ql(*a, no_alpha=True)),
    Mistake("flipped", SARSA_MISTAKES[4].hint, lambda *a: _ql(*a, flip=True)),
    Mistake("no-gamma", "the bootstrap term is discounted: r + gamma max_a Q(s2, a).", lambda *a: _ql(*a, no_gamma=True)),
)


_TABLE_NAMES = ("Q", "q", "table", "Q_table", "q_table", "#1")   # the table may be changed in place, whatever its name


def _check_update(fn, name, args, expected, mistakes) -> None:
    Q = args[0]
    shown = ", ".join(f"{k}={v}" for k, v in zip(("s", "a", "r", "s2", "a2", "alpha", "gamma", "terminated")
                                                  if name == "sarsa_update" else
                                                  ("s", "a", "r", "s2", "alpha", "gamma", "terminated"), args[1:]))
    what = f"{name}(Q {tuple(Q.shape)} {_dtype(Q)}, {shown})"
    table = Q.clone()
    out = checks.call(fn, table, *args[1:], what=what, forbidden=TD_FORBIDDEN, mutates=_TABLE_NAMES)
    if out is not None and torch.is_tensor(out) and torch.equal(table, Q):
        checks.fail(what, "Q is unchanged: the function returned a new table instead of updating Q in place.",
                    "write into the table: Q[s, a] = Q[s, a] + alpha * (...) (the training loop keeps using Q).")
    checks.expect_close(table, expected.to(Q.dtype), what=f"{what}: the table afterwards", mistakes=mistakes,
                        args=args, **_tolerance(Q))


@_one_thread
def check_td_updates(sarsa_update, q_learning_update, Q: torch.Tensor, s: int, a: int, r: float, s2: int, a2: int,
                     alpha: float, gamma: float, terminated: bool) -> None:
    """Both updates change Q[s, a] only, in place, by alpha (target - Q[s, a]); SARSA's target uses
    Q[s2, a2], Q-learning's max_a Q[s2, a]; a terminated transition's target is r."""
    sarsa_args = (Q, s, a, r, s2, a2, alpha, gamma, terminated)
    _check_update(sarsa_update, "sarsa_update", sarsa_args, _sarsa(*sarsa_args), SARSA_MISTAKES)
    ql_args = (Q, s, a, r, s2, alpha, gamma, terminated)
    _check_update(q_learning_update, "q_learning_update", ql_args, _ql(*ql_args), QL_MISTAKES)


def random_table(n_states: int, n_actions: int, seed: int, dtype=torch.float32) -> torch.Tensor:
    """A Q table with distinct random entries. (S, A)."""
    return torch.randn(n_states, n_actions, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ---------------------------------------------------------------- exercises 4 and 5: evaluation and value iteration

def random_mdp(n_states: int, n_actions: int, seed: int, dtype=torch.float64, sparse: bool = False):
    """A random MDP: P (S, A, S) rows of a softmax (or a few successors each when sparse), R (S, A),
    and a random stochastic policy (S, A)."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n_states, n_actions, n_states, generator=g, dtype=_float64) * 2
    if sparse:
        logits = logits.masked_fill(torch.rand(logits.shape, generator=g, dtype=_float64) < 0.6, -math.inf)
        logits[..., 0] = logits[..., 0].clamp(min=0.0)                     # every row keeps one successor
    P = torch.softmax(logits, dim=-1)
    R = torch.randn(n_states, n_actions, generator=g, dtype=_float64)
    policy = torch.softmax(torch.randn(n_states, n_actions, generator=g, dtype=_float64), dim=-1)
    return P.to(dtype), R.to(dtype), policy.to(dtype)


def evaluation_oracle(P, R, policy, gamma):
    P, R, policy = P.to(_float64), R.to(_float64), policy.to(_float64)
    p_pi = torch.einsum("sa,sat->st", policy, P)
    r_pi = (policy * R).sum(1)
    return _solve(torch.eye(P.shape[0], dtype=_float64) - gamma * p_pi, r_pi)


def _eval_variant(P, R, policy, gamma, *, transpose=False, sign=1.0, uniform=False, one_step=False, r_sum=False):
    P, R, policy = P.to(_float64), R.to(_float64), policy.to(_float64)
    if uniform:
        policy = torch.full_like(policy, 1.0 / policy.shape[1])
    p_pi = torch.einsum("sa,sat->st", policy, P)
    p_pi = p_pi.T if transpose else p_pi
    r_pi = R.sum(1) if r_sum else (policy * R).sum(1)
    if one_step:
        return r_pi + gamma * p_pi @ r_pi
    return _solve(torch.eye(P.shape[0], dtype=_float64) - sign * gamma * p_pi, r_pi)


EVAL_MISTAKES = (
    Mistake("transposed", "P_pi is transposed: row s of P_pi holds p(s' | s) (the next states of s), so "
            "(P_pi V)(s) = sum_s' p(s' | s) V(s'); einsum('sa,sat->st', policy, P) keeps that order.",
            lambda *a: _eval_variant(*a, transpose=True)),
    Mistake("plus", "the Bellman equation V = r_pi + gamma P_pi V rearranges to (I - gamma P_pi) V = r_pi, a minus sign.",
            lambda *a: _eval_variant(*a, sign=-1.0)),
    Mistake("uniform-policy", "the policy's action probabilities are missing: average over actions with pi(a | s), "
            "not uniformly.", lambda *a: _eval_variant(*a, uniform=True)),
    Mistake("one-step", "you stopped after a step or two of the recursion: V^pi solves the linear system "
            "(I - gamma P_pi) V = r_pi (torch.linalg.solve), all steps at once.",
            lambda *a: _eval_variant(*a, one_step=True)),
    Mistake("reward-not-weighted", "the reward term must be weighted by the policy too: r_pi(s) = sum_a pi(a | s) R(s, a).",
            lambda *a: _eval_variant(*a, r_sum=True)),
)


def _stopped_early(out, expected, backup, what: str, kind: str, advice: str, atol: float, rtol: float) -> None:
    """Fail with a hint when ``out`` equals k applications of ``backup`` from V = 0 for some k <= 2000
    (an iteration that stopped too early), and is not the right answer (within atol, rtol)."""
    a = out.detach().to(_float64)
    if tuple(a.shape) != tuple(expected.shape) or checks._close(a, expected.to(_float64), atol, rtol):
        return
    V = torch.zeros_like(expected, dtype=_float64)
    for k in range(1, 2001):
        V = backup(V)
        if checks._same(a, V):
            checks.fail(what, f"expected {checks.fmt(expected)}, got {checks.fmt(out)}.",
                        f"your values equal {k} {kind} from V = 0: the iteration stopped before it converged "
                        f"(the error shrinks only by a factor gamma per sweep); {advice}.")


@_one_thread
def check_policy_evaluation(policy_evaluation, P, R, policy, gamma) -> None:
    """policy_evaluation(P, R, policy, gamma) = V^pi (S,), the exact solution, in P's dtype."""
    what = f"policy_evaluation(P {tuple(P.shape)} {_dtype(P)}, R, policy, gamma={gamma})"
    out = checks.call(policy_evaluation, P.clone(), R.clone(), policy.clone(), gamma, what=what, forbidden=EVAL_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(P.shape[0],), dtype=P.dtype)
    expected = evaluation_oracle(P, R, policy, gamma).to(P.dtype)
    if checks.diagnose(out, EVAL_MISTAKES, (P, R, policy, gamma), {}, expected=expected) is None:
        p_pi = torch.einsum("sa,sat->st", policy.to(_float64), P.to(_float64))
        r_pi = (policy.to(_float64) * R.to(_float64)).sum(1)
        _stopped_early(out, expected, lambda V: r_pi + gamma * p_pi @ V, what, "sweeps of V <- r_pi + gamma P_pi V",
                       "solve the linear system (I - gamma P_pi) V = r_pi exactly instead", **_tolerance(P))
    checks.expect_close(out, expected, what=what, mistakes=EVAL_MISTAKES, args=(P, R, policy, gamma), **_tolerance(P))


def optimal_values(P, R, gamma):
    """V* in float64 by policy iteration (exact linear solves; terminates in a few steps)."""
    P, R = P.to(_float64), R.to(_float64)
    policy = torch.zeros_like(R)
    policy[:, 0] = 1.0
    for _ in range(1000):
        V = evaluation_oracle(P, R, policy, gamma)
        Q = R + gamma * P @ V
        new = torch.nn.functional.one_hot(Q.argmax(1), R.shape[1]).to(_float64)
        if bool((Q.gather(1, policy.argmax(1, keepdim=True)).squeeze(1) >= Q.max(1).values - 1e-12).all()):
            return V
        policy = new
    return V


def _vi_variant(P, R, gamma, *, reduce="max", backups=None, next_max=False, discount=None):
    P, R = P.to(_float64), R.to(_float64)
    g = gamma if discount is None else discount
    V = torch.zeros(P.shape[0], dtype=_float64)
    reach = torch.where(P > 0, 0.0, -math.inf)                               # (S, A, S) 0 where s' is reachable
    for _ in range(backups or 5000):
        Q = R + g * ((reach + V).max(-1).values if next_max else P @ V)
        V_new = {"max": Q.max(1).values, "mean": Q.mean(1), "min": Q.min(1).values}[reduce]
        if backups is None and float((V_new - V).abs().max()) < 1e-12:
            return V_new
        V = V_new
    return V


VI_MISTAKES = (
    Mistake("mean-over-actions", "you averaged over the actions: that evaluates the uniform random policy. The optimal "
            "value takes the best action, V(s) = max_a [R(s, a) + gamma sum_s' P(s' | s, a) V(s')].",
            lambda *a: _vi_variant(*a, reduce="mean")),
    Mistake("min-over-actions", "you took the worst action: the optimal value maximises over a.",
            lambda *a: _vi_variant(*a, reduce="min")),
    Mistake("one-backup", "one backup from V = 0 gives max_a R(s, a) only: repeat the backup until V stops changing.",
            lambda *a: _vi_variant(*a, backups=1)),
    Mistake("max-over-next-states", "the next state is random: take the expectation sum_s' P(s' | s, a) V(s') "
            "(P @ V), not the best reachable next state.", lambda *a: _vi_variant(*a, next_max=True)),
)


@_one_thread
def check_value_iteration(value_iteration, P, R, gamma) -> None:
    """value_iteration(P, R, gamma, tol) = V* (S,), equal to policy iteration's exact answer, in P's dtype."""
    tol = 1e-10 if P.dtype == _float64 else 1e-5            # float32 cannot resolve changes of 1e-10
    what = f"value_iteration(P {tuple(P.shape)} {_dtype(P)}, R, gamma={gamma}, tol={tol:g})"
    out = checks.call(value_iteration, P.clone(), R.clone(), gamma, tol, what=what, forbidden=VI_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(P.shape[0],), dtype=P.dtype)
    tol = {"atol": 1e-6, "rtol": 1e-6} if P.dtype == _float64 else {"atol": 1e-3, "rtol": 1e-4}
    expected = optimal_values(P, R, gamma).to(P.dtype)
    if checks.diagnose(out, VI_MISTAKES, (P, R, gamma), {}, expected=expected) is None:
        P64, R64 = P.to(_float64), R.to(_float64)
        _stopped_early(out, expected, lambda V: (R64 + gamma * P64 @ V).max(1).values, what,
                       "Bellman optimality backups", "repeat until the largest change is below tol", **tol)
    checks.expect_close(out, expected, what=what, mistakes=VI_MISTAKES, args=(P, R, gamma), **tol)


# ---------------------------------------------------------------- exercise 6: the REINFORCE loss

def _weights(returns, baseline):
    w = returns.detach().to(_float64)
    if baseline is None:
        return w
    return w - (baseline.detach().to(_float64) if torch.is_tensor(baseline) else baseline)


def reinforce_oracle(log_probs, returns, baseline=None):
    return -(log_probs.detach().to(_float64) * _weights(returns, baseline)).sum(1).mean()


def _lp(log_probs):
    return log_probs.detach().to(_float64)


REINFORCE_MISTAKES = (
    Mistake("baseline-ignored", "the baseline is not subtracted: weight each log-probability by (G_t - b).",
            lambda lp, G, b=None: -(_lp(lp) * G.detach().to(_float64)).sum(1).mean()),
    Mistake("baseline-added", "the baseline is added: it is subtracted, G_t - b.",
            lambda lp, G, b=None: -(_lp(lp) * (2 * G.detach().to(_float64) - _weights(G, b))).sum(1).mean()),
    Mistake("total-return", "every step is weighted by the whole episode's return R(tau) = G_0: an action cannot "
            "change rewards that came before it, so step t's weight is its return-to-go G_t (minus b).",
            lambda lp, G, b=None: -(_lp(lp) * _weights(G[:, :1].expand_as(G), b)).sum(1).mean()),
    Mistake("probs-not-log", "you used the probabilities pi(a | s): the gradient estimator needs grad log pi, so the "
            "loss multiplies the log-probabilities.",
            lambda lp, G, b=None: -(_lp(lp).exp() * _weights(G, b)).sum(1).mean()),
    Mistake("mean-over-steps", "you averaged over the time steps as well: the estimator sums over the steps of an "
            "episode and averages over the N episodes only.",
            lambda lp, G, b=None: -(_lp(lp) * _weights(G, b)).mean()),
    Mistake("no-minus", "the loss is minimised, the return maximised: the loss is minus the surrogate objective.",
            lambda lp, G, b=None: (_lp(lp) * _weights(G, b)).sum(1).mean()),
)


@_one_thread
def check_reinforce_loss(reinforce_loss, log_probs, returns, baseline=None) -> None:
    """reinforce_loss(log_probs (N, T), returns (N, T), baseline) is a 0-d tensor whose value is
    -(1/N) sum_n sum_t log pi (G - b), whose gradient w.r.t. log_probs is -(G - b) / N, and which
    sends no gradient into the returns or the baseline."""
    shown = "None" if baseline is None else (checks.fmt(baseline) if torch.is_tensor(baseline) else f"{baseline}")
    what = f"reinforce_loss(log_probs {tuple(log_probs.shape)} {_dtype(log_probs)}, returns, baseline={shown})"
    lp = log_probs.detach().clone().requires_grad_(True)
    G = returns.detach().clone().requires_grad_(True)            # as if they came from a critic: must be detached
    b = baseline.detach().clone().requires_grad_(True) if torch.is_tensor(baseline) and baseline.is_floating_point() \
        else baseline
    out = checks.call(reinforce_loss, lp, G, b, what=what, forbidden=REINFORCE_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=log_probs.dtype)
    expected = reinforce_oracle(log_probs, returns, baseline).to(log_probs.dtype)
    checks.expect_close(out.detach(), expected, what=what, mistakes=REINFORCE_MISTAKES,
                        args=(log_probs, returns, baseline), **_tolerance(log_probs))
    if not out.requires_grad:
        checks.fail(what, "the loss is not connected to log_probs' autograd graph.",
                    "stay in torch operations on log_probs: no .item(), .detach() or torch.tensor(...) on it.")
    inputs = [lp, G] + ([b] if torch.is_tensor(b) and b.requires_grad else [])
    grads = _grad(out, inputs, allow_unused=True)
    if any(g is not None and bool((g != 0).any()) for g in grads[1:]):
        checks.fail(what, "gradient flows into the returns or the baseline.",
                    "they are weights, not things to optimise here: use returns.detach() (and baseline.detach()), "
                    "otherwise a learned baseline is pushed to make the policy's loss small.")
    want = -_weights(returns, baseline) / log_probs.shape[0]
    checks.expect_close(grads[0].to(_float64), want, what=f"the gradient of {what} w.r.t. log_probs",
                        **_tolerance(log_probs))


@_one_thread
def check_reinforce_batch_mean(reinforce_loss, log_probs, returns) -> None:
    """The loss is a mean over episodes: the same episodes twice give the same loss."""
    checks.expect_batch_mean(lambda lp, G: reinforce_loss(lp, G, None), log_probs, returns,
                             what=f"reinforce_loss on {log_probs.shape[0]} episodes, then on them repeated twice",
                             forbidden=REINFORCE_FORBIDDEN)


# ---------------------------------------------------------------- exercise 7: DQN targets and loss

class QNet(nn.Module):
    """A small Q-network for tests: (B, d) -> (B, n_actions)."""

    def __init__(self, d: int, n_actions: int, d_hidden: int = 16, seed: int = 0, dtype=torch.float32):
        super().__init__()
        with torch.random.fork_rng(devices=[]):                 # seeded weights, the global random state untouched
            torch.manual_seed(seed)
            self.net = nn.Sequential(nn.Linear(d, d_hidden), nn.Tanh(), nn.Linear(d_hidden, n_actions)).to(dtype)

    def forward(self, x):
        return self.net(x)


def transitions(B: int, d: int, n_actions: int, seed: int, dtype=torch.float32, p_terminal: float = 0.4):
    """A batch of random transitions: states (B, d), actions (B,), rewards (B,), next_states (B, d), terminated (B,)."""
    g = torch.Generator().manual_seed(seed)
    terminated = torch.rand(B, generator=g) < p_terminal
    terminated[0], terminated[-1] = True, False                          # both kinds in every batch
    return (torch.randn(B, d, generator=g, dtype=dtype), torch.randint(0, n_actions, (B,), generator=g),
            torch.randn(B, generator=g, dtype=dtype), torch.randn(B, d, generator=g, dtype=dtype), terminated)


def _targets(rewards, next_states, terminated, net, gamma, *, reduce="max", mask=True, invert=False):
    with torch.no_grad():
        q = net(next_states).to(_float64)
    nxt = {"max": q.max(1).values, "mean": q.mean(1)}[reduce]
    keep = (~terminated if not invert else terminated).to(_float64) if mask else torch.ones_like(nxt)
    return (rewards.to(_float64) + gamma * keep * nxt).to(rewards.dtype)


DQN_MISTAKES = (
    Mistake("no-terminal-mask", "the bootstrap term must vanish where the episode terminated: y = r there "
            "(multiply by (~terminated) or use torch.where).", lambda *a: _targets(*a, mask=False)),
    Mistake("mask-inverted", "the mask is the wrong way round: bootstrap where the episode goes on (terminated False), "
            "not where it ended.", lambda *a: _targets(*a, invert=True)),
    Mistake("mean-over-actions", "take the max over the next actions (Q-learning's target), not their mean.",
            lambda *a: _targets(*a, reduce="mean")),
)


def _state(net):
    return [p.detach().clone() for p in net.parameters()]


@_one_thread
def check_dqn_targets(dqn_targets, rewards, next_states, terminated, target_net, gamma) -> None:
    """y (B,) = r + gamma max_a' Q_target(s', a') where not terminated, r where terminated; no
    gradient attached; the network is left unchanged."""
    what = f"dqn_targets(rewards {tuple(rewards.shape)} {_dtype(rewards)}, ..., gamma={gamma})"
    before = _state(target_net)
    out = checks.call(dqn_targets, rewards.clone(), next_states.clone(), terminated.clone(), target_net, gamma,
                      what=what, forbidden=DQN_FORBIDDEN)
    if any(not torch.equal(p, q) for p, q in zip(before, target_net.parameters())):
        checks.fail(what, "the target network's weights changed.", "computing a target must not train the network.")
    checks.expect_tensor(out, what=what, shape=tuple(rewards.shape), dtype=rewards.dtype)
    if out.requires_grad:
        checks.fail(what, "the targets carry a gradient (requires_grad is True).",
                    "a TD target is a constant for the loss: compute it under torch.no_grad() (or .detach() it); "
                    "otherwise the loss also moves the target network.")
    checks.expect_close(out, _targets(rewards, next_states, terminated, target_net, gamma), what=what,
                        mistakes=DQN_MISTAKES, args=(rewards, next_states, terminated, target_net, gamma),
                        **_tolerance(rewards))


def dqn_loss_oracle(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = _targets(rewards, next_states, terminated, target_net, gamma).to(_float64)
    q = q_net(states).to(_float64).gather(1, actions[:, None]).squeeze(1)
    return ((q - y) ** 2).mean()


@_one_thread
def check_dqn_loss(dqn_loss, q_net, target_net, batch, gamma) -> None:
    """dqn_loss(q_net, target_net, batch, gamma) = mean_i (Q(s_i, a_i) - y_i)^2, with the targets from
    the *target* network; its gradient reaches q_net only."""
    states, actions, rewards, next_states, terminated = batch
    what = f"dqn_loss on a batch of {len(actions)} transitions, gamma={gamma}"
    for net in (q_net, target_net):
        net.zero_grad(set_to_none=True)
    out = checks.call(dqn_loss, q_net, target_net, tuple(t.clone() for t in batch), gamma, what=what,
                      forbidden=DQN_FORBIDDEN)
    checks.expect_tensor(out, what=what, shape=(), dtype=rewards.dtype)
    expected = dqn_loss_oracle(q_net, target_net, batch, gamma).detach()
    wrong = {
        "online-target": ("the targets come from q_net: use the target network (a frozen copy) for y, that is what "
                          "keeps the regression target from moving with every step.",
                          dqn_loss_oracle(q_net, q_net, batch, gamma)),
        "max-not-taken-action": ("the prediction is max_a Q(s, a): it is the value of the action taken in the "
                                 "transition, Q(s, a) = q_net(states).gather(1, actions[:, None]).",
                                 ((q_net(states).to(_float64).max(1).values -
                                   _targets(rewards, next_states, terminated, target_net, gamma).to(_float64)) ** 2).mean()),
        "sum": ("you summed the squared errors over the batch: the loss is their mean.",
                expected * len(actions)),
        "half": ("a factor 1/2 crept in: the loss is the plain mean of the squared TD errors.", expected / 2),
    }
    hint = next((h for h, v in wrong.values() if checks._same(out.detach().to(_float64), v.detach())
                 and not checks._same(expected, v.detach())), None)
    if not checks._same(out.detach().to(_float64), expected):
        checks.fail(what, f"expected {expected.item():.6g}, got {out.item():.6g}.", hint)
    if not out.requires_grad:
        checks.fail(what, "the loss is not connected to q_net's parameters.",
                    "compute Q(s, a) with q_net without torch.no_grad() (only the target is computed without gradient).")
    out.backward()
    if any(p.grad is not None and bool((p.grad != 0).any()) for p in target_net.parameters()):
        checks.fail(what, "the loss's gradient reaches the target network.",
                    "compute the targets under torch.no_grad(): the target network is updated by copying, not by gradients.")
    if all(p.grad is None or not bool((p.grad != 0).any()) for p in q_net.parameters()):
        checks.fail(what, "no gradient reaches q_net.", "the prediction Q(s, a) must come from q_net with gradient.")
