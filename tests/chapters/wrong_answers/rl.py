"""Chapter 12's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_SARSA = '''
def sarsa_update(Q, s, a, r, s2, a2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2, a2].item()
    Q[s, a] += alpha * (target - Q[s, a].item())
'''
_QL = '''
def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2].max().item()
    Q[s, a] += alpha * (target - Q[s, a].item())
'''
_TARGETS = '''
def dqn_targets(rewards, next_states, terminated, target_net, gamma):
    with torch.no_grad():
        next_max = target_net(next_states).max(dim=1).values
    return rewards + gamma * torch.where(terminated, 0.0, next_max).to(rewards.dtype)
'''
_LOSS = '''
def dqn_loss(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = dqn_targets(rewards, next_states, terminated, target_net, gamma)
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
    return ((q - y) ** 2).mean()
'''

WRONG = {
    "ex-returns": {
        "forward-cumsum": '''
def discounted_returns(rewards, gamma):
    out = torch.empty_like(rewards)
    g = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.shape[-1]):
        g = rewards[..., t] + gamma * g
        out[..., t] = g
    return out
''',
        "gamma-from-episode-start": '''
def discounted_returns(rewards, gamma):
    T = rewards.shape[-1]
    weights = gamma ** torch.arange(T, dtype=rewards.dtype)
    return (rewards * weights).flip(-1).cumsum(-1).flip(-1)
''',
        "discounts-own-reward": '''
def discounted_returns(rewards, gamma):
    out = torch.empty_like(rewards)
    g = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.shape[-1] - 1, -1, -1):
        g = gamma * (rewards[..., t] + g)
        out[..., t] = g
    return out
''',
        "undiscounted": '''
def discounted_returns(rewards, gamma):
    return rewards.flip(-1).cumsum(-1).flip(-1)
''',
        "first-axis-is-time": '''
def discounted_returns(rewards, gamma):
    out = torch.empty_like(rewards)
    g = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        g = rewards[t] + gamma * g
        out[t] = g
    return out
''',
        "float32-accumulator": '''
def discounted_returns(rewards, gamma):
    out = torch.zeros(rewards.shape)
    g = torch.zeros(rewards.shape[:-1])
    for t in range(rewards.shape[-1] - 1, -1, -1):
        g = rewards[..., t] + gamma * g
        out[..., t] = g
    return out
''',
    },
    "ex-policy-evaluation": {
        "p-pi-transposed": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = torch.einsum("sa,sat->ts", policy, P)
    r_pi = (policy * R).sum(dim=1)
    return torch.linalg.solve(torch.eye(P.shape[0], dtype=P.dtype) - gamma * p_pi, r_pi)
''',
        "plus-sign": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = torch.einsum("sa,sat->st", policy, P)
    r_pi = (policy * R).sum(dim=1)
    return torch.linalg.solve(torch.eye(P.shape[0], dtype=P.dtype) + gamma * p_pi, r_pi)
''',
        "ignores-policy": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = P.mean(dim=1)
    r_pi = R.mean(dim=1)
    return torch.linalg.solve(torch.eye(P.shape[0], dtype=P.dtype) - gamma * p_pi, r_pi)
''',
        "reward-summed-over-actions": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = torch.einsum("sa,sat->st", policy, P)
    r_pi = R.sum(dim=1)
    return torch.linalg.solve(torch.eye(P.shape[0], dtype=P.dtype) - gamma * p_pi, r_pi)
''',
        "ten-sweeps": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = torch.einsum("sa,sat->st", policy, P)
    r_pi = (policy * R).sum(dim=1)
    V = torch.zeros_like(r_pi)
    for _ in range(10):
        V = r_pi + gamma * p_pi @ V
    return V
''',
    },
    "ex-value-iteration": {
        "mean-over-actions": '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = torch.zeros(P.shape[0], dtype=P.dtype)
    while True:
        V_new = (R + gamma * P @ V).mean(dim=1)
        if float((V_new - V).abs().max()) < tol:
            return V_new
        V = V_new
''',
        "one-backup": '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = torch.zeros(P.shape[0], dtype=P.dtype)
    return (R + gamma * P @ V).max(dim=1).values
''',
        "max-over-next-states": '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = torch.zeros(P.shape[0], dtype=P.dtype)
    while True:
        reach = torch.where(P > 0, V[None, None, :].expand_as(P), torch.full_like(P, -float("inf")))
        V_new = (R + gamma * reach.max(dim=-1).values).max(dim=1).values
        if float((V_new - V).abs().max()) < tol:
            return V_new
        V = V_new
''',
        "returns-float32": '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = torch.zeros(P.shape[0])
    P, R = P.float(), R.float()
    for _ in range(3000):
        V = (R + gamma * P @ V).max(dim=1).values
    return V
''',
    },
    "ex-epsilon-greedy": {
        "first-max-on-ties": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n, generator=generator) < eps
    random_a = torch.randint(0, a, (n,), generator=generator)
    return torch.where(explore, random_a, q.argmax(dim=1))
''',
        "explores-other-actions-only": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n, generator=generator) < eps
    noise = torch.rand(n, a, generator=generator)
    is_max = q == q.max(dim=1, keepdim=True).values
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    other = torch.where(is_max, -1.0, noise).argmax(dim=1)
    other = torch.where(is_max.all(dim=1), greedy, other)
    return torch.where(explore, other, greedy)
''',
        "eps-as-greedy-probability": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    greedy_now = torch.rand(n, generator=generator) < eps
    random_a = torch.randint(0, a, (n,), generator=generator)
    noise = torch.rand(n, a, generator=generator)
    is_max = q == q.max(dim=1, keepdim=True).values
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    return torch.where(greedy_now, greedy, random_a)
''',
        "global-random-state": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n) < eps
    random_a = torch.randint(0, a, (n,))
    noise = torch.rand(n, a)
    is_max = q == q.max(dim=1, keepdim=True).values
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    return torch.where(explore, random_a, greedy)
''',
        "max-of-whole-table": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n, generator=generator) < eps
    random_a = torch.randint(0, a, (n,), generator=generator)
    noise = torch.rand(n, a, generator=generator)
    is_max = q == q.max()
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    return torch.where(explore, random_a, greedy)
''',
        "rand-like-ties": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n, generator=generator) < eps
    random_a = torch.randint(0, a, (n,), generator=generator)
    noise = torch.rand_like(q)
    is_max = q == q.max(dim=1, keepdim=True).values
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    return torch.where(explore, random_a, greedy)
''',
        "last-max-on-ties": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n, generator=generator) < eps
    random_a = torch.randint(0, a, (n,), generator=generator)
    greedy = a - 1 - q.flip(1).argmax(dim=1)
    return torch.where(explore, random_a, greedy)
''',
    },
    "ex-td-updates": {
        "sarsa-with-max": '''
def sarsa_update(Q, s, a, r, s2, a2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2].max().item()
    Q[s, a] += alpha * (target - Q[s, a].item())
''' + _QL,
        "no-terminal-case": '''
def sarsa_update(Q, s, a, r, s2, a2, alpha, gamma, terminated=False):
    target = r + gamma * Q[s2, a2].item()
    Q[s, a] += alpha * (target - Q[s, a].item())

def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    target = r + gamma * Q[s2].max().item()
    Q[s, a] += alpha * (target - Q[s, a].item())
''',
        "terminal-target-zero": _SARSA + '''
def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    target = 0.0 if terminated else r + gamma * Q[s2].max().item()
    Q[s, a] += alpha * (target - Q[s, a].item())
''',
        "returns-new-table": '''
def sarsa_update(Q, s, a, r, s2, a2, alpha, gamma, terminated=False):
    Q = Q.clone()
    target = r if terminated else r + gamma * Q[s2, a2].item()
    Q[s, a] += alpha * (target - Q[s, a].item())
    return Q
''' + _QL,
        "replaces-by-target": _SARSA + '''
def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    Q[s, a] = r if terminated else r + gamma * Q[s2].max().item()
''',
        "q-learning-mean": _SARSA + '''
def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2].mean().item()
    Q[s, a] += alpha * (target - Q[s, a].item())
''',
    },
    "ex-dqn": {
        "no-terminal-mask": '''
def dqn_targets(rewards, next_states, terminated, target_net, gamma):
    with torch.no_grad():
        next_max = target_net(next_states).max(dim=1).values
    return rewards + gamma * next_max
''' + _LOSS,
        "targets-with-gradient": '''
def dqn_targets(rewards, next_states, terminated, target_net, gamma):
    next_max = target_net(next_states).max(dim=1).values
    return rewards + gamma * torch.where(terminated, 0.0, next_max)
''' + _LOSS,
        "online-net-targets": _TARGETS + '''
def dqn_loss(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = dqn_targets(rewards, next_states, terminated, q_net, gamma)
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
    return ((q - y) ** 2).mean()
''',
        "max-instead-of-taken-action": _TARGETS + '''
def dqn_loss(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = dqn_targets(rewards, next_states, terminated, target_net, gamma)
    q = q_net(states).max(dim=1).values
    return ((q - y) ** 2).mean()
''',
        "sum-over-batch": _TARGETS + '''
def dqn_loss(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = dqn_targets(rewards, next_states, terminated, target_net, gamma)
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
    return ((q - y) ** 2).sum()
''',
    },
    "ex-reinforce-loss": {
        "no-minus": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns.detach() - (0.0 if baseline is None else baseline)
    return (log_probs * weights.detach()).sum(dim=1).mean()
''',
        "baseline-ignored": '''
def reinforce_loss(log_probs, returns, baseline=None):
    return -(log_probs * returns.detach()).sum(dim=1).mean()
''',
        "mean-over-steps-too": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns.detach() - (0.0 if baseline is None else baseline)
    return -(log_probs * weights.detach()).mean()
''',
        "not-detached": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns - (0.0 if baseline is None else baseline)
    return -(log_probs * weights).sum(dim=1).mean()
''',
        "whole-episode-return": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns[:, :1].detach() - (0.0 if baseline is None else baseline)
    return -(log_probs * weights.detach()).sum(dim=1).mean()
''',
        "probabilities": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns.detach() - (0.0 if baseline is None else baseline)
    return -(log_probs.exp() * weights.detach()).sum(dim=1).mean()
''',
    },
}
