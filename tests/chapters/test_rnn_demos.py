"""Chapter 08 demos: the logic behind the figures and widgets, on small inputs (no training beyond a second)."""
import matplotlib

matplotlib.use("agg")

import math  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from helpers.chapters.rnn import answers, demos  # noqa: E402
from helpers.runtime import cpu_threads  # noqa: E402
from helpers.text import KJV_ALPHABET  # noqa: E402


def test_encode_decode_round_trip():
    text = "In the beginning God created the heaven and the earth.\n"
    assert demos.decode(demos.encode(text)) == text
    assert int(demos.encode("\n")[0]) == 0 and len(KJV_ALPHABET) == 63


def test_gradient_norms_vanish_grow_and_the_forget_gate_keeps_them():
    rnn = demos.gradient_norms("rnn", 0.5, 30)
    ratios = rnn[:-1] / rnn[1:]
    assert float(ratios.max()) < 0.6                              # geometric decay towards the past
    linear = demos.gradient_norms("linear", 2.0, 20)
    assert float(linear[0]) > 1e4 * float(linear[-1])             # no tanh, radius 2: it explodes
    assert float(linear[0]) == pytest.approx(2.0 ** 20, rel=1e-6)  # orthogonal times 2: exactly radius^T
    lstm = demos.gradient_norms("lstm", 0.5, 30, forget_bias=5.0)
    assert float(lstm[0]) > 1e3 * float(rnn[0])
    assert demos.gradient_norms("gru", 1.0, 10).shape == (11,)


def test_clipped_keeps_the_direction_and_caps_the_norm():
    g = torch.tensor([3.0, 4.0])
    assert torch.allclose(demos.clipped(g, 1.0), torch.tensor([0.6, 0.8]))
    assert torch.equal(demos.clipped(g, 10.0), g)


def test_char_model_shapes_state_and_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    ids = demos.encode("and the LORD said unto Moses, " * 40)
    X, Y = answers.tbptt_batches.__wrapped__(ids, 4, 16)
    for kind in ("rnn", "lstm", "gru"):
        model = demos.CharModel(kind, hidden=16, d_emb=8)
        logits, state = model(X[0])
        assert logits.shape == (4, 16, 63)
    model = demos.CharModel("lstm", hidden=32, d_emb=8)
    with cpu_threads(1):
        before = demos.evaluate_bpc(model, ids, batch_size=4, seq_len=32)
        hist = demos.train_char_model(model, X, Y, steps=30, lr=0.02, evaluate=lambda: 0.0, every=10, progress=False)
        after = demos.evaluate_bpc(model, ids, batch_size=4, seq_len=32)
    assert abs(before - math.log2(63)) < 0.5 and after < before - 1.0
    assert hist["step"] == [10, 20, 30] and len(hist["loss"]) == 30


def test_train_without_carry_samples_random_windows():
    ids = demos.encode("abc " * 200)
    X, Y = answers.tbptt_batches.__wrapped__(ids, 4, 8)
    model = demos.CharModel("gru", hidden=8, d_emb=4)
    hist = demos.train_char_model(model, X, Y, steps=5, lr=0.01, carry=False, progress=False)
    assert len(hist["loss"]) == 5


def test_sample_text_is_reproducible_and_uses_the_probs_given():
    model = demos.CharModel("lstm", hidden=16, d_emb=8)
    a = demos.sample_text(model, "And", 20, 0.8, seed=3)
    assert a == demos.sample_text(model, "And", 20, 0.8, seed=3) and a.startswith("And") and len(a) == 23
    only_e = lambda logits, t, k: torch.nn.functional.one_hot(torch.tensor(demos.STOI["e"]), 63).double()  # noqa: E731
    assert demos.sample_text(model, "x", 5, probs_fn=only_e) == "xeeeee"


def test_lstm_trace_follows_the_model_and_the_gates_are_in_range():
    torch.manual_seed(0)
    model = demos.CharModel("lstm", hidden=16, d_emb=8)
    sentence = "God said"
    tr = demos.lstm_trace(model, sentence)
    assert tr["h"].shape == (8, 16)
    assert float(tr["f"].min()) > 0 and float(tr["f"].max()) < 1
    with torch.no_grad():
        out, _ = model.cell(model.embed(demos.encode(sentence))[None])
    assert torch.allclose(tr["h"].float(), out[0], atol=1e-5)


def test_figures_and_widgets_build():
    import matplotlib.pyplot as plt
    model = demos.CharModel("lstm", hidden=32, d_emb=8)
    demos.gradient_flow_figure("lstm", 1.0, 20, 2.0)
    demos.gates_figure(model, "And God", 0, 16)
    demos.curves_figure({"LSTM": {"step": [1, 2], "valid_bpc": [3.0, 2.5]}}, 5.98)
    demos.gradient_flow_explorer()
    demos.temperature_explorer(model)
    demos.gates_explorer(model)
    plt.close("all")
