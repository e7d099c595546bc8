"""Chapter 12: mistakes of kinds the catalogues do not list (in place, shapes, off-by-one, hidden batch coupling...)."""

WRONG = {
    "ex-returns": {
        "accumulates-in-rewards": '''
def discounted_returns(rewards, gamma):
    for t in range(rewards.shape[-1] - 2, -1, -1):
        rewards[..., t] += gamma * rewards[..., t + 1]
    return rewards
''',
        "skips-first-step": '''
def discounted_returns(rewards, gamma):
    out = torch.zeros_like(rewards)
    g = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.shape[-1] - 1, 0, -1):
        g = rewards[..., t] + gamma * g
        out[..., t] = g
    return out
''',
    },
    "ex-policy-evaluation": {
        "column-vector": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = torch.einsum("sa,sat->st", policy, P)
    r_pi = (policy * R).sum(dim=1, keepdim=True)
    return torch.linalg.solve(torch.eye(P.shape[0], dtype=P.dtype) - gamma * p_pi, r_pi)
''',
        "discounts-reward": '''
def policy_evaluation(P, R, policy, gamma):
    p_pi = torch.einsum("sa,sat->st", policy, P)
    r_pi = gamma * (policy * R).sum(dim=1)
    return torch.linalg.solve(torch.eye(P.shape[0], dtype=P.dtype) - gamma * p_pi, r_pi)
''',
    },
    "ex-value-iteration": {
        "returns-q-table": '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = torch.zeros(P.shape[0], dtype=P.dtype)
    while True:
        Q = R + gamma * P @ V
        V_new = Q.max(dim=1).values
        if float((V_new - V).abs().max()) < tol:
            return Q
        V = V_new
''',
        "gamma-on-reward": '''
def value_iteration(P, R, gamma, tol=1e-10):
    V = torch.zeros(P.shape[0], dtype=P.dtype)
    while True:
        V_new = (gamma * (R + P @ V)).max(dim=1).values
        if float((V_new - V).abs().max()) < tol:
            return V_new
        V = V_new
''',
    },
    "ex-epsilon-greedy": {
        "one-coin-for-the-batch": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    noise = torch.rand(n, a, generator=generator)
    is_max = q == q.max(dim=1, keepdim=True).values
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    if float(torch.rand(1, generator=generator)) < eps:
        return torch.randint(0, a, (n,), generator=generator)
    return greedy
''',
        "float-actions": '''
def epsilon_greedy(q, eps, generator=None):
    n, a = q.shape
    explore = torch.rand(n, generator=generator) < eps
    random_a = torch.randint(0, a, (n,), generator=generator)
    noise = torch.rand(n, a, generator=generator)
    is_max = q == q.max(dim=1, keepdim=True).values
    greedy = torch.where(is_max, noise, -1.0).argmax(dim=1)
    return torch.where(explore, random_a, greedy).float()
''',
    },
    "ex-td-updates": {
        "updates-next-entry": '''
def sarsa_update(Q, s, a, r, s2, a2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2, a2].item()
    Q[s2, a2] += alpha * (target - Q[s, a].item())

def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2].max().item()
    Q[s, a] += alpha * (target - Q[s, a].item())
''',
        "alpha-on-target-only": '''
def sarsa_update(Q, s, a, r, s2, a2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2, a2].item()
    Q[s, a] += alpha * (target - Q[s, a].item())

def q_learning_update(Q, s, a, r, s2, alpha, gamma, terminated=False):
    target = r if terminated else r + gamma * Q[s2].max().item()
    Q[s, a] = Q[s, a] + alpha * target - Q[s, a] * alpha ** 2
''',
    },
    "ex-dqn": {
        "targets-column": '''
def dqn_targets(rewards, next_states, terminated, target_net, gamma):
    with torch.no_grad():
        next_max = target_net(next_states).max(dim=1, keepdim=True).values
    return rewards[:, None] + gamma * torch.where(terminated[:, None], 0.0, next_max)

def dqn_loss(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = dqn_targets(rewards, next_states, terminated, target_net, gamma).squeeze(1)
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
    return ((q - y) ** 2).mean()
''',
        "gamma-outside-bootstrap": '''
def dqn_targets(rewards, next_states, terminated, target_net, gamma):
    with torch.no_grad():
        next_max = target_net(next_states).max(dim=1).values
    return gamma * (rewards + torch.where(terminated, 0.0, next_max))

def dqn_loss(q_net, target_net, batch, gamma):
    states, actions, rewards, next_states, terminated = batch
    y = dqn_targets(rewards, next_states, terminated, target_net, gamma)
    q = q_net(states).gather(1, actions[:, None]).squeeze(1)
    return ((q - y) ** 2).mean()
''',
    },
    "ex-reinforce-loss": {
        "normalises-inside": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns.detach() - (0.0 if baseline is None else baseline)
    weights = weights.detach()
    weights = weights / (weights.std() + 1e-8)
    return -(log_probs * weights).sum(dim=1).mean()
''',
        "sum-over-episodes": '''
def reinforce_loss(log_probs, returns, baseline=None):
    weights = returns.detach() - (0.0 if baseline is None else baseline)
    return -(log_probs * weights.detach()).sum()
''',
    },
}
