"""Chapter 08 checks: the references pass, every catalogued mistake fails with its own hint, and the
oracles agree with torch."""
import pytest
import torch

from helpers.chapters.rnn import answers, checks as C
from tests.chapters.exercise_tools import names_mistake, unwrap

G = torch.Generator().manual_seed(0)


def _bptt_case(dtype, T, B, I, H, seed):
    return C.rnn_case(T, B, I, H, dtype, seed) + (torch.randn(T, B, H, generator=G, dtype=dtype),)


RNN_CASES = [C.rnn_case(5, 3, 4, 6), C.rnn_case(7, 2, 3, 5, torch.float64, 1)]
BPTT_CASES = [_bptt_case(torch.float64, 4, 2, 3, 5, 0), _bptt_case(torch.float32, 6, 3, 2, 4, 1)]
JAC_CASES = [C.jacobian_case(4, 3), C.jacobian_case(6, 5, seed=1), C.jacobian_case(3, 4, torch.float32, 2)]
LSTM_CASES = [C.cell_case("lstm", 3, 4, 5), C.cell_case("lstm", 2, 3, 6, torch.float64, 1)]
GRU_CASES = [C.cell_case("gru", 3, 4, 5), C.cell_case("gru", 2, 3, 6, torch.float64, 1)]
SAMPLING_CASES = [(C.sampling_logits((4, 10)), 0.7, 3), (C.sampling_logits((3, 9), seed=1), 1.5, 4),
                  (C.sampling_logits((5, 8), torch.float32, 2), 1.0, 5)]
TBPTT_CASES = [(torch.arange(50), 3, 4), (torch.randint(0, 63, (1000,), generator=G), 7, 16)]


def test_references_pass():
    for case in RNN_CASES:
        C.check_rnn_forward(unwrap(answers.rnn_forward), *case)
    for case in BPTT_CASES:
        C.check_rnn_backward(unwrap(answers.rnn_backward), *case)
    for case in JAC_CASES:
        C.check_jacobians_through_time(unwrap(answers.jacobians_through_time), *case)
    for case in LSTM_CASES:
        C.check_lstm_cell(unwrap(answers.lstm_cell), *case)
    C.check_lstm_memory(unwrap(answers.lstm_cell))
    for case in GRU_CASES:
        C.check_gru_cell(unwrap(answers.gru_cell), *case)
    for case in SAMPLING_CASES + [(C.sampling_logits((2, 6), seed=4, scale=50.0), 0.01, 2)]:
        C.check_sampling_probs(unwrap(answers.sampling_probs), *case)
    for case in TBPTT_CASES:
        C.check_tbptt_batches(unwrap(answers.tbptt_batches), *case)


def test_references_match_torch_modules():
    x, h0, W_ih, W_hh, b_ih, b_hh = C.rnn_case(5, 2, 3, 4, torch.float64)
    out, h_T = unwrap(answers.rnn_forward)(x, h0, W_ih, W_hh, b_ih, b_hh)
    want_out, want_h = C._torch_rnn(x, h0, W_ih, W_hh, b_ih, b_hh)
    assert torch.allclose(out, want_out) and torch.allclose(h_T, want_h)
    x, h, c, *w = C.cell_case("lstm", 2, 3, 4, torch.float64)
    assert all(torch.allclose(a, b) for a, b in zip(unwrap(answers.lstm_cell)(x, h, c, *w), C._torch_lstm(x, h, c, *w)))
    x, h, *w = C.cell_case("gru", 2, 3, 4, torch.float64)
    assert torch.allclose(unwrap(answers.gru_cell)(x, h, *w), C._torch_gru(x, h, *w))


def _mistake_params(mistakes_by_part):
    return [pytest.param(p, m, id=f"{p}:{m.name}") for p, ms in mistakes_by_part.items() for m in ms]


@pytest.mark.parametrize("part,mistake", _mistake_params({0: C._rnn_mistakes(0)}))
def test_rnn_mistakes_are_named(part, mistake):
    names_mistake(C.check_rnn_forward, lambda *a: (mistake.variant(*a), C._rnn_variant(*a)[1]), RNN_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C._BPTT_ROWS, ids=lambda r: r[0])
def test_bptt_mistakes_are_named(mistake):
    name, hint, opts = mistake
    names_mistake(C.check_rnn_backward, lambda *a: C._bptt_variant(*a, **opts), BPTT_CASES, hint)


@pytest.mark.parametrize("mistake", C.JACOBIAN_MISTAKES, ids=lambda m: m.name)
def test_jacobian_mistakes_are_named(mistake):
    names_mistake(C.check_jacobians_through_time, lambda hs, W: mistake.variant(hs, W).to(hs.dtype), JAC_CASES,
                  mistake.hint)


@pytest.mark.parametrize("mistake", C._lstm_mistakes(1, torch.float64), ids=lambda m: m.name)
def test_lstm_mistakes_are_named(mistake):
    opts = dict(zip([m.name for m in C._lstm_mistakes(1, torch.float64)],
                    [{"order": "ifog"}, {"order": "figo"}, {"order": "igfo"}, {"no_tanh_c": True},
                     {"no_input_gate": True}, {"g_sigmoid": True}, {"no_bhh": True}]))[mistake.name]
    fn = lambda *a: tuple(t.to(a[0].dtype) for t in C._lstm_variant(*a, **opts))   # noqa: E731
    names_mistake(C.check_lstm_cell, fn, LSTM_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C._gru_mistakes(torch.float64), ids=lambda m: m.name)
def test_gru_mistakes_are_named(mistake):
    fn = lambda *a: mistake.variant(*a).to(a[0].dtype)   # noqa: E731
    names_mistake(C.check_gru_cell, fn, GRU_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.SAMPLING_MISTAKES, ids=lambda m: m.name)
def test_sampling_mistakes_are_named(mistake):
    names_mistake(C.check_sampling_probs, mistake.variant, SAMPLING_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C._tbptt_mistakes(0) + C._tbptt_mistakes(1)[1:2], ids=lambda m: m.name)
def test_tbptt_mistakes_are_named(mistake):
    opts = {"interleaved-streams": {"interleaved": True}, "targets-not-shifted": {"no_shift": True},
            "windows-side-by-side": {"windows_first": True}}[mistake.name]
    names_mistake(C.check_tbptt_batches, lambda *a: C._tbptt_variant(*a, **opts), TBPTT_CASES, mistake.hint)


def test_lstm_memory_catches_a_swapped_forget_and_input_gate():
    wrong = lambda *a: tuple(C._lstm_variant(*a, order="figo"))   # noqa: E731
    with pytest.raises(C.checks.CheckFailure):
        C.check_lstm_memory(wrong)


def test_sampling_probs_stays_finite_for_a_tiny_temperature():
    p = unwrap(answers.sampling_probs)(torch.tensor([[50.0, 49.0, -3.0]], dtype=torch.float64), 0.01, None)
    assert torch.isfinite(p).all() and float(p[0, 0]) == pytest.approx(1.0)


def test_sampling_probs_keeps_every_symbol_when_top_k_exceeds_the_vocabulary():
    logits = C.sampling_logits((2, 7), seed=6)
    C.check_sampling_probs(unwrap(answers.sampling_probs), logits, 0.8, 10)

    def crashes_above_v(z, temperature=1.0, top_k=None):
        z = z / temperature
        if top_k is not None:
            z = z.masked_fill(z < z.topk(top_k, dim=-1).values[..., -1:], float("-inf"))
        return torch.exp(z - z.max(dim=-1, keepdim=True).values) / torch.exp(z - z.max(dim=-1, keepdim=True).values).sum(-1, keepdim=True)
    with pytest.raises(C.checks.CheckFailure):
        C.check_sampling_probs(crashes_above_v, logits, 0.8, 10)
