"""Chapter 12 demos and training loops: the logic behind the figures and widgets, on small inputs
(a few episodes, no training beyond a second)."""
import math

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.chapters.rl import agents, answers, demos  # noqa: E402
from helpers.runtime import cpu_threads  # noqa: E402

u = lambda f: f.__wrapped__   # noqa: E731  (the reference without its guard)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread is far faster than two on a shared CPU (no waiting at every op)."""
    with cpu_threads(1):
        yield


def test_tabular_models_are_stochastic_and_terminals_absorb():
    for name, n in (("FrozenLake-v1", 16), ("CliffWalking-v1", 48)):
        P, R, terminal = agents.tabular_model(agents.make(name))
        assert P.shape == (n, 4, n) and R.shape == (n, 4)
        assert torch.allclose(P.sum(-1), torch.ones(n, 4, dtype=torch.float64))
        for s in terminal.nonzero().flatten().tolist():
            assert bool((P[s, :, s] == 1).all()) and bool((R[s] == 0).all())
    assert int(terminal.sum()) == 1                        # CliffWalking: the goal only (the cliff resets)


def test_cliff_optimal_values_are_minus_the_steps_to_go():
    V, Q, terminal = demos.solve_world("CliffWalking", 0.99, value_iteration=u(answers.value_iteration))
    assert demos.solve_world("CliffWalking", 0.99, value_iteration=u(answers.value_iteration))[0] is V   # remembered
    path, ret = agents.greedy_episode(Q)
    assert ret == -13 and len(path) == 14 and path[0] == 36 and path[-1] == 47


def test_greedy_episode_stops_when_walking_in_circles():
    Q = torch.zeros(48, 4, dtype=torch.float64)
    Q[:, 0] = 1.0                                          # always "up": bumps into the top wall forever
    states, ret = agents.greedy_episode(Q, max_steps=30)
    assert len(states) == 31 and ret == -30


def test_moving_mean_and_settled_at():
    assert np.allclose(agents.moving_mean([1, 2, 3, 4], n=2), [1, 1.5, 2.5, 3.5])
    assert agents.settled_at([-100, -20, -13, -15, -13, -13]) == 5
    assert agents.settled_at([-13, -13]) == 1 and agents.settled_at([]) is None


def test_train_tabular_runs_and_records():
    run = agents.train_tabular("qlearning", u(answers.q_learning_update), u(answers.epsilon_greedy), episodes=5,
                               seed=0, track_greedy=True)
    assert len(run.returns) == len(run.lengths) == len(run.greedy_returns) == 5
    assert all(r <= -13 for r in run.returns) and bool((run.Q <= 0).all())


def test_epsilon_greedy_path_is_seeded_and_greedy_at_eps_zero():
    V, Q, _ = demos.solve_world("CliffWalking", 0.95, value_iteration=u(answers.value_iteration))
    states, rewards = demos.epsilon_greedy_path("CliffWalking", Q, 0.0)
    assert states[-1] == 47 and sum(rewards) == -13
    assert demos.epsilon_greedy_path("CliffWalking", Q, 0.5, seed=3) == demos.epsilon_greedy_path("CliffWalking", Q, 0.5, seed=3)


def test_monte_carlo_agrees_with_the_equations_on_frozen_lake():
    V, Q, _ = demos.solve_world("FrozenLake 4x4 (slippery)", 0.9, value_iteration=u(answers.value_iteration))
    assert abs(demos.monte_carlo_value(Q, 0.9, episodes=400) - float(V[0])) < 0.05


def test_baseline_lowers_the_variance_not_the_mean():
    var = demos.baseline_variance(n_runs=400)
    assert var["baseline = expected return-to-go"] < 0.5 * var["no baseline"]
    for est in demos.baseline_estimates(n_runs=2000).values():       # the true gradient is T / 4 = 5
        assert abs(float(est.mean()) - 5.0) < 4 * math.sqrt(float(est.var()) / len(est))


def test_act_matches_the_network():
    model = agents.policy_net(8).double()
    obs = np.array([0.1, -0.2, 0.05, 0.3])
    p_right = float(torch.softmax(model(torch.tensor(obs)[None]), 1)[0, 1].detach())
    weights = agents._cpu_weights(model)
    assert agents._act(weights, obs, p_right - 1e-6) == 1 and agents._act(weights, obs, p_right + 1e-6) == 0


def test_train_reinforce_plumbing():
    run = agents.train_reinforce(u(answers.discounted_returns), u(answers.reinforce_loss), episodes=3, seed=0)
    assert len(run.returns) == 3 and run.solved_episode is None and run.cpu_seconds >= 0
    run = agents.train_reinforce(u(answers.discounted_returns), u(answers.reinforce_loss), episodes=40, seed=0,
                                 solved_at=0.0, extra_episodes=3)     # "solved" at once: 20 episodes, then 3 more
    assert run.solved_episode == 20 and len(run.returns) == 23
    states = agents.cartpole_trajectory(None, seed=0)
    assert states.shape[1] == 4 and 2 < len(states) < 100           # a random policy drops the pole quickly


def test_figures_draw():
    V, Q, terminal = demos.solve_world("FrozenLake 4x4 (slippery)", 0.9, value_iteration=u(answers.value_iteration))
    figs = [demos.world_figure("CliffWalking", 0.9, 0.1, 5, value_iteration=u(answers.value_iteration)),
            demos.values_figure("FrozenLake 4x4 (slippery)", V, Q, terminal, "t"),
            demos.tabular_curves({"a": [-100.0, -50.0, -13.0], "b": [-20.0, -17.0, -17.0]}),
            demos.reinforce_curves({0: [10.0, 20.0, 30.0], 1: [15.0, 40.0]}),
            demos.cartpole_frame({"random": agents.cartpole_trajectory(None, seed=1)}, 3),
            demos.cliff_paths({"Q": torch.zeros(48, 4, dtype=torch.float64)})]
    assert all(f is not None for f in figs)
    plt.close("all")


def test_widgets_build():
    import ipywidgets as W
    assert isinstance(demos.world_explorer(value_iteration=u(answers.value_iteration)), W.VBox)
    assert isinstance(demos.cartpole_replay({"random": agents.cartpole_trajectory(None, seed=0)}), W.VBox)
    plt.close("all")
