"""Chapter 12 checks: the references pass, every catalogued mistake fails with its own hint, and the
oracles agree with torch (or with an independent computation)."""
import pytest
import torch
import torch.nn.functional as F

from helpers.chapters.rl import agents, answers, checks as C
from helpers.grading.checks import CheckFailure
from helpers.runtime import cpu_threads
from tests.chapters.exercise_tools import fails_with, names_mistake, unwrap

G = torch.Generator().manual_seed(0)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread is far faster than two on a shared CPU (no waiting at every op)."""
    with cpu_threads(1):
        yield


RETURNS_CASES = [(torch.tensor([1.0, 0.0, 0.0, 1.0]), 0.9), (torch.randn(3, 7, generator=G, dtype=torch.float64), 0.95),
                 (torch.randn(2, 3, 6, generator=G), 0.5)]
MDP_CASES = [(*C.random_mdp(4, 2, seed=0), 0.9), (*C.random_mdp(6, 3, seed=1, dtype=torch.float32), 0.8),
             (*C.random_mdp(7, 3, seed=2, sparse=True), 0.95)]
VI_CASES = [(P, R, gamma) for P, R, _, gamma in MDP_CASES]
TD_CASES = [(C.random_table(6, 4, seed=0), 1, 2, -1.0, 3, 0, 0.5, 0.9, False),
            (C.random_table(6, 4, seed=0), 4, 0, 2.0, 5, 1, 0.5, 0.9, True),
            (C.random_table(5, 3, seed=1, dtype=torch.float64), 2, 1, 0.5, 2, 0, 0.3, 0.99, False)]
_Q0 = TD_CASES[0][0]
TD_CASES[0] = TD_CASES[0][:5] + (int(_Q0[3].argmin()),) + TD_CASES[0][6:]
_lp = torch.log_softmax(torch.randn(3, 5, 2, generator=G), dim=-1)[..., 0]
_ret = torch.arange(5, 0, -1.0).expand(3, 5) + torch.randn(3, 5, generator=G)
_lp64 = torch.log_softmax(torch.randn(4, 6, 3, generator=G, dtype=torch.float64), dim=-1)[..., 1]
_ret64 = torch.randn(4, 6, generator=G, dtype=torch.float64) * 3 + 5
REINFORCE_CASES = [(_lp, _ret, None), (_lp, _ret, 2.0), (_lp64, _ret64, torch.linspace(6, 1, 6, dtype=torch.float64))]


def _dqn_case(d, a, B, seed, dtype=torch.float32):
    batch = C.transitions(B, d, a, seed=seed, dtype=dtype)
    return C.QNet(d, a, seed=seed, dtype=dtype), C.QNet(d, a, seed=seed + 10, dtype=dtype), batch


DQN_CASES = [_dqn_case(3, 2, 8, 0), _dqn_case(5, 4, 16, 1, torch.float64)]


def test_references_pass():
    for r, gamma in RETURNS_CASES:
        C.check_discounted_returns(unwrap(answers.discounted_returns), r, gamma)
        C.check_returns_recursion(unwrap(answers.discounted_returns), r, gamma)
    for case in MDP_CASES:
        C.check_policy_evaluation(unwrap(answers.policy_evaluation), *case)
    for case in VI_CASES:
        C.check_value_iteration(unwrap(answers.value_iteration), *case)
    eg = unwrap(answers.epsilon_greedy)
    C.check_epsilon_greedy(eg, torch.tensor([0.0, 2.0, 1.0, 2.0]), 0.2)
    C.check_epsilon_greedy(eg, torch.zeros(5), 0.5, seed=3)
    C.check_epsilon_greedy_rows(eg, C.random_table(30, 7, seed=5, dtype=torch.float64))
    for case in TD_CASES:
        C.check_td_updates(unwrap(answers.sarsa_update), unwrap(answers.q_learning_update), *case)
    for case in REINFORCE_CASES:
        C.check_reinforce_loss(unwrap(answers.reinforce_loss), *case)
    C.check_reinforce_batch_mean(unwrap(answers.reinforce_loss), _lp, _ret)
    for q_net, target_net, batch in DQN_CASES:
        C.check_dqn_targets(unwrap(answers.dqn_targets), *batch[2:], target_net, 0.9)
        C.check_dqn_loss(unwrap(answers.dqn_loss), q_net, target_net, batch, 0.9)


def test_the_issue_numbers():
    out = unwrap(answers.discounted_returns)(torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64), 0.9)
    assert torch.allclose(out, torch.tensor([1.729, 0.81, 0.9, 1.0], dtype=torch.float64))


def test_oracles_agree():
    r = torch.randn(3, 9, dtype=torch.float64, generator=G)
    assert torch.allclose(C.returns_oracle(r, 0.9), unwrap(answers.discounted_returns)(r, 0.9))
    P, R, pi = C.random_mdp(6, 3, seed=7)
    V = C.evaluation_oracle(P, R, pi, 0.9)
    p_pi, r_pi = torch.einsum("sa,sat->st", pi, P), (pi * R).sum(1)
    assert torch.allclose(V, r_pi + 0.9 * p_pi @ V)                       # the Bellman equation holds
    V_star = C.optimal_values(P, R, 0.9)
    assert torch.allclose(V_star, unwrap(answers.value_iteration)(P, R, 0.9), atol=1e-8)
    assert torch.allclose(V_star, (R + 0.9 * P @ V_star).max(1).values)  # the optimality equation holds
    q_net, target_net, batch = DQN_CASES[0]
    states, actions, rewards, next_states, terminated = batch
    with torch.no_grad():
        y = rewards + 0.9 * (~terminated) * target_net(next_states).max(1).values
    expected = F.mse_loss(q_net(states).gather(1, actions[:, None]).squeeze(1), y)
    assert torch.allclose(C.dqn_loss_oracle(q_net, target_net, batch, 0.9).float(), expected)


def test_frozen_lake_value_iteration_matches_the_exact_solve():
    P, R, terminal = agents.tabular_model(agents.make("FrozenLake-v1"))
    assert torch.allclose(P.sum(-1), torch.ones(16, 4, dtype=torch.float64))
    V = unwrap(answers.value_iteration)(P, R, 0.99)
    Q = answers.q_from_v(P, R, V, 0.99)
    exact = unwrap(answers.policy_evaluation)(P, R, answers.greedy_policy(Q), 0.99)
    assert (V - exact).abs().max() < 1e-8 and abs(float(V[0]) - 0.542) < 1e-3
    assert bool((V[terminal] == 0).all())


def test_td_updates_differ_exactly_when_the_next_action_is_not_greedy():
    Q = C.random_table(4, 3, seed=3, dtype=torch.float64)
    for a2 in range(3):
        q1, q2 = Q.clone(), Q.clone()
        unwrap(answers.sarsa_update)(q1, 0, 1, -1.0, 2, a2, 0.5, 0.9)
        unwrap(answers.q_learning_update)(q2, 0, 1, -1.0, 2, 0.5, 0.9)
        assert torch.equal(q1, q2) == (a2 == int(Q[2].argmax()))


def test_reinforce_loss_gradient_is_the_score_function_estimator():
    """Through a real softmax policy: the loss's gradient w.r.t. the logits is -(1/N) sum (G - b)(onehot - pi)."""
    logits = torch.randn(2, 4, 3, dtype=torch.float64, generator=G, requires_grad=True)
    actions = torch.randint(0, 3, (2, 4), generator=G)
    returns = torch.randn(2, 4, dtype=torch.float64, generator=G)
    lp = torch.log_softmax(logits, -1).gather(-1, actions[..., None]).squeeze(-1)
    unwrap(answers.reinforce_loss)(lp, returns, 0.5).backward()
    manual = -(returns - 0.5)[..., None] * (F.one_hot(actions, 3) - torch.softmax(logits, -1)) / 2
    assert torch.allclose(logits.grad, manual.detach())


def _cast(variant):
    return lambda *a: variant(*a).to(a[0].dtype)


@pytest.mark.parametrize("mistake", C.RETURNS_MISTAKES, ids=lambda m: m.name)
def test_returns_mistakes_are_named(mistake):
    names_mistake(C.check_discounted_returns, _cast(mistake.variant), RETURNS_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.EVAL_MISTAKES, ids=lambda m: m.name)
def test_evaluation_mistakes_are_named(mistake):
    names_mistake(C.check_policy_evaluation, _cast(mistake.variant), MDP_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.VI_MISTAKES, ids=lambda m: m.name)
def test_value_iteration_mistakes_are_named(mistake):
    names_mistake(C.check_value_iteration, lambda P, R, gamma, tol=1e-10: mistake.variant(P, R, gamma).to(P.dtype),
                  VI_CASES, mistake.hint)


def _sampler(variant):
    """A student's epsilon_greedy that samples each row from the mistake's distribution."""
    def fn(q, eps, generator=None):
        rows, index = torch.unique(q.double(), dim=0, return_inverse=True)      # the checks repeat one row
        probs = torch.stack([variant(row, eps) for row in rows])[index]
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)
    return fn


@pytest.mark.parametrize("mistake", C.EPS_MISTAKES, ids=lambda m: m.name)
def test_epsilon_greedy_mistakes_are_named(mistake):
    cases = [(torch.tensor([0.0, 2.0, 1.0, 2.0]), 0.2), (torch.tensor([0.5, -1.0, 3.0, 0.0]), 0.3)]
    names_mistake(lambda fn, q, eps: C.check_epsilon_greedy(fn, q, eps, n=4000), _sampler(mistake.variant), cases,
                  mistake.hint)


def _in_place(variant):
    def fn(Q, s, a, r, s2, *rest):
        Q.copy_(variant(Q, s, a, r, s2, *rest).to(Q.dtype))
    return fn


@pytest.mark.parametrize("mistake", C.SARSA_MISTAKES, ids=lambda m: m.name)
def test_sarsa_mistakes_are_named(mistake):
    ql = unwrap(answers.q_learning_update)
    names_mistake(lambda fn, *case: C.check_td_updates(fn, ql, *case), _in_place(mistake.variant), TD_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.QL_MISTAKES, ids=lambda m: m.name)
def test_q_learning_mistakes_are_named(mistake):
    sarsa = unwrap(answers.sarsa_update)
    names_mistake(lambda fn, *case: C.check_td_updates(sarsa, fn, *case), _in_place(mistake.variant), TD_CASES,
                  mistake.hint)


@pytest.mark.parametrize("mistake", C.REINFORCE_MISTAKES, ids=lambda m: m.name)
def test_reinforce_mistakes_are_named(mistake):
    names_mistake(C.check_reinforce_loss, lambda lp, G, b=None: mistake.variant(lp, G, b).to(lp.dtype) + 0 * lp.sum(),
                  REINFORCE_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.DQN_MISTAKES, ids=lambda m: m.name)
def test_dqn_mistakes_are_named(mistake):
    cases = [(*batch[2:], target_net, 0.9) for _, target_net, batch in DQN_CASES]
    names_mistake(C.check_dqn_targets, mistake.variant, cases, mistake.hint)


def test_dqn_loss_names_the_online_target_and_the_sum():
    q_net, target_net, batch = DQN_CASES[0]
    online = lambda q, t, b, g: unwrap(answers.dqn_loss)(q, q, b, g)        # noqa: E731
    fails_with(C.check_dqn_loss, online, q_net, target_net, batch, 0.9, hint="the targets come from q_net")
    summed = lambda q, t, b, g: unwrap(answers.dqn_loss)(q, t, b, g) * len(b[1])   # noqa: E731
    fails_with(C.check_dqn_loss, summed, q_net, target_net, batch, 0.9, hint="you summed the squared errors")


def test_dqn_loss_refuses_a_gradient_into_the_target_network():
    q_net, target_net, batch = DQN_CASES[0]

    def leaky(q, t, b, g):
        states, actions, rewards, next_states, terminated = b
        y = rewards + g * torch.where(terminated, 0.0, t(next_states).max(1).values)
        return ((q(states).gather(1, actions[:, None]).squeeze(1) - y) ** 2).mean()

    fails_with(C.check_dqn_loss, leaky, q_net, target_net, batch, 0.9, hint="torch.no_grad()")


def test_epsilon_greedy_must_use_the_generator_and_return_int64():
    def global_rng(q, eps, generator=None):
        return unwrap(answers.epsilon_greedy)(q, eps, None)
    fails_with(C.check_epsilon_greedy_rows, global_rng, C.random_table(20, 3, seed=1), hint="`generator` argument")

    def rand_like_ties(q, eps, generator=None):                       # the tie-break alone from the global state
        noise = torch.where(q == q.max(dim=1, keepdim=True).values, torch.rand_like(q), -1.0)
        explore = torch.rand(q.shape[0], generator=generator) < eps
        return torch.where(explore, torch.randint(0, q.shape[1], (q.shape[0],), generator=generator), noise.argmax(1))
    fails_with(C.check_epsilon_greedy_rows, rand_like_ties, C.random_table(20, 3, seed=1), hint="torch.rand_like")
    floats = lambda q, eps, generator=None: unwrap(answers.epsilon_greedy)(q, eps, generator).float()   # noqa: E731
    fails_with(C.check_epsilon_greedy, floats, torch.tensor([0.0, 1.0]), 0.1, hint="return the indices")


def test_blank_answers_fail_as_not_implemented():
    def blank(*args, **kwargs):
        raise NotImplementedError()
    with pytest.raises(CheckFailure, match="not implemented yet"):
        C.check_discounted_returns(blank, *RETURNS_CASES[0])
    with pytest.raises(CheckFailure, match="not implemented yet"):
        C.check_td_updates(blank, blank, *TD_CASES[0])


def test_an_iteration_that_stopped_early_is_named():
    P, R, pi, gamma = MDP_CASES[0]

    def ten_sweeps(P, R, policy, gamma):
        p_pi, r_pi = torch.einsum("sa,sat->st", policy, P), (policy * R).sum(1)
        V = torch.zeros_like(r_pi)
        for _ in range(10):
            V = r_pi + gamma * p_pi @ V
        return V
    fails_with(C.check_policy_evaluation, ten_sweeps, P, R, pi, gamma, hint="your values equal 10 sweeps")

    def twenty_backups(P, R, gamma, tol=1e-10):
        V = torch.zeros(P.shape[0], dtype=P.dtype)
        for _ in range(20):
            V = (R + gamma * P @ V).max(1).values
        return V
    fails_with(C.check_value_iteration, twenty_backups, P, R, gamma, hint="your values equal 20 Bellman optimality")
