"""Chapter 09's demo logic: the scaling explorer's numbers, digit encoding, the models' shapes and a
tiny training run, the attention maps and the widgets' construction (small inputs, fast)."""
import pytest
import torch

from helpers.chapters.attention import demos, models


def test_unscaled_scores_saturate_and_scaled_do_not():
    assert demos.random_scores(256, scale=False).std() > 8
    assert 0.6 < demos.random_scores(256, scale=True).std() < 1.5
    assert demos.mean_max_weight(1024, False) > 0.8
    assert demos.mean_max_weight(1024, True) < 0.5
    assert abs(demos.mean_max_weight(4, True) - demos.mean_max_weight(1024, True)) < 0.15


def test_encode_digits_pads_and_cuts():
    assert demos.encode_digits("1a2 3", 5).tolist() == [1, 2, 3, 0, 0]
    assert demos.encode_digits("123456", 4).tolist() == [1, 2, 3, 4]


def test_reversal_batch_and_accuracies():
    x, y = models.reversal_batch(4, 6, 10, torch.Generator().manual_seed(0))
    assert torch.equal(y, x.flip(1)) and x.shape == (4, 6) and x.dtype == torch.long
    assert models.accuracies(y, y) == (1.0, 1.0)
    wrong = y.clone()
    wrong[0, 0] = (wrong[0, 0] + 1) % 10
    tok, seq = models.accuracies(wrong, y)
    assert seq == 0.75 and tok == pytest.approx(23 / 24)


def test_teacher_inputs_shift_right():
    y = torch.tensor([[1, 2, 3]])
    assert models.teacher_inputs(y, 9).tolist() == [[9, 1, 2]]


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_shapes_and_a_few_steps(attention):
    torch.manual_seed(0)
    model = models.GRUSeq2Seq(5, 16, attention=attention)
    losses = models.train_seq2seq(model, 6, 15, 1e-2, 8, seed=0, desc="test")
    assert len(losses) == 15 and losses[-1] < losses[0] + 0.1
    x, _ = models.reversal_batch(3, 6, 5, torch.Generator().manual_seed(1))
    assert model.greedy(x).shape == (3, 6)
    if attention:
        assert model.last_weights.shape == (3, 1, 6)


def test_transformer_shapes_maps_and_mirrored_weight():
    torch.manual_seed(0)
    model = models.ReversalTransformer(10, 8, d_model=16, n_heads=2, n_layers=2, d_ff=32)
    x, y = models.reversal_batch(2, 8, 10, torch.Generator().manual_seed(0))
    losses, curve = models.train_transformer(model, 8, 10, 6, 3e-3, 8, seed=0, desc="t", every=3, probe=(x, y))
    assert len(losses) == 6 and [s for s, _ in curve] == [0, 3]
    with torch.no_grad():
        assert model(x).shape == (2, 8, 10)
    maps = model.attention_maps()
    assert len(maps) == 2 and maps[0].shape == (2, 2, 8, 8)
    w, pred = demos.attention_map(model, x[0], layer=1, head=1)
    assert w.shape == (8, 8) and pred.shape == (8,)
    anti = torch.eye(8).flip(1)[None, None]
    assert models.mirrored_weight(anti) == 1.0


def test_widgets_build():
    pytest.importorskip("ipywidgets")
    demos.scaling_explorer()
    model = models.ReversalTransformer(10, 8, d_model=16, n_heads=2, n_layers=2, d_ff=32)
    demos.attention_explorer({"m": model}, 8)
