"""helpers.runtime: device choice, seeding, grading budgets."""
import random

import numpy as np
import pytest
import torch

from helpers import runtime


def test_device_defaults_to_an_available_device(monkeypatch):
    monkeypatch.delenv("DLCOURSE_DEVICE", raising=False)
    dev = runtime.device()
    assert dev.type in ("cpu", "cuda", "mps")
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    torch.zeros(2, device=dev)  # usable


def test_device_override(monkeypatch):
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")
    assert runtime.device() == torch.device("cpu")
    assert runtime.device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
def test_asking_for_missing_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="no CUDA"):
        runtime.device("cuda")


def test_seed_everything_repeats_all_generators():
    def draw():
        runtime.seed_everything(123)
        return random.random(), np.random.rand(), torch.rand(3)
    a, b = draw(), draw()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


def test_seed_everything_returns_a_seeded_generator():
    g1, g2 = runtime.seed_everything(5), runtime.seed_everything(5)
    assert torch.equal(torch.rand(4, generator=g1), torch.rand(4, generator=g2))


@pytest.mark.parametrize("bad", [1.5, "0", None, True])
def test_seed_must_be_an_int(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        runtime.seed_everything(bad)


def test_budget_follows_nbgrader_execution(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not runtime.grading_mode() and runtime.budget(10, 2) == 10
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.grading_mode() and runtime.budget(10, 2) == 2


def test_helpers_imports_lazily():
    import helpers
    assert helpers.budget is runtime.budget
    with pytest.raises(AttributeError):
        helpers.not_a_thing  # noqa: B018


def test_cpu_threads_restores_the_setting():
    before = torch.get_num_threads()
    with runtime.cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
