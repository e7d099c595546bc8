"""Chapter 07 demos: the logic behind the figures and widgets, on small inputs (no training beyond a second)."""
import matplotlib

matplotlib.use("agg")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from helpers.chapters.cnn import answers, demos  # noqa: E402
from helpers.runtime import cpu_threads  # noqa: E402


def _image():
    img = torch.zeros(28, 28)
    img[6:22, 10:18] = 1.0                      # a bright rectangle, zero borders
    return img


def test_kernels_are_3x3_and_the_size_text_evaluates_the_formula():
    assert all(demos.kernel(name).shape == (3, 3) for name in demos.KERNELS)
    assert demos.out_size_text(28, 3, 2, 1).endswith("= 14")


def test_feature_maps_shapes_and_relu():
    maps = demos.feature_maps(_image(), demos.kernel("vertical edges (Sobel x)"), stride=2, padding=1)
    assert maps["map"].shape == (14, 14) and maps["pooled"].shape == (7, 7)
    assert bool((maps["relu"] >= 0).all()) and torch.equal(maps["relu"], maps["map"].clamp(min=0))


def test_feature_maps_flip_is_the_true_convolution():
    k = demos.kernel("corner (asymmetric)")
    flipped = demos.feature_maps(_image(), k, flip=True)["map"]
    assert torch.allclose(flipped, F.conv2d(_image()[None, None], k.flip(0, 1)[None, None])[0, 0])
    assert not torch.allclose(flipped, demos.feature_maps(_image(), k)["map"])


def test_corner_preset_is_changed_by_the_flip_beyond_a_sign():
    k = demos.kernel("corner (asymmetric)")
    assert not torch.equal(k.flip(0, 1), k) and not torch.equal(k.flip(0, 1), -k)


def test_feature_maps_use_the_conv_given():
    im2col = answers.conv2d_im2col.__wrapped__
    k = demos.kernel("sharpen")
    mine = demos.feature_maps(_image(), k, padding=1, conv=lambda x, w, b, s, p: im2col(x, w, b, s, p))
    assert torch.allclose(mine["map"], demos.feature_maps(_image(), k, padding=1)["map"], atol=1e-5)


def test_shift_report_shows_equivariance_but_not_invariance():
    rep = demos.shift_report(_image(), demos.kernel("vertical edges (Sobel x)"), 1)
    assert rep["equivariance_error"] < 1e-5
    assert rep["pool_change"] > 0


def test_figures_draw():
    import matplotlib.pyplot as plt
    demos.filter_figure(_image(), demos.kernel("blur (box)"), 1, 1, True)
    demos.shift_figure(_image(), demos.kernel("blur (box)"), 2)
    model = demos.small_cnn(4, 8, 16)
    X, y = torch.randn(20, 1, 28, 28), torch.arange(20) % 10
    demos.first_layer_figure(model, X, y, [str(i) for i in range(10)], 3, n_maps=4)
    plt.close("all")


def test_widgets_build():
    demos.filter_explorer(torch.rand(3, 28, 28))
    model = demos.small_cnn(4, 8, 16)
    demos.activation_explorer(model, torch.randn(20, 1, 28, 28), torch.arange(20) % 10, [str(i) for i in range(10)])


def test_small_cnn_shapes_and_a_few_steps_lower_the_loss():
    torch.manual_seed(0)
    model = demos.small_cnn(4, 8, 16)
    assert model(torch.randn(3, 1, 28, 28)).shape == (3, 10)
    X = torch.randn(32, 1, 28, 28)
    y = (X.mean(dim=(1, 2, 3)) > 0).long()
    with cpu_threads(1):
        losses = demos.train_cnn(model, X, y, steps=12, lr=1e-2, batch_size=16, progress=False)
    assert len(losses) == 12 and sum(losses[-3:]) < sum(losses[:3])


def test_cosine_lr_and_misclassified():
    assert demos.cosine_lr(1.0, 0, 10) == 1.0 and abs(demos.cosine_lr(1.0, 10, 10)) < 1e-12
    logits = torch.tensor([[5.0, 0.0], [0.0, 1.0], [0.0, 9.0], [2.0, 0.0]])
    y = torch.tensor([1, 1, 0, 0])
    assert demos.misclassified(logits, y).tolist() == [2, 0]


def test_conv_timings_returns_one_entry_per_function():
    x, w = torch.randn(2, 1, 8, 8), torch.randn(2, 1, 3, 3)
    times = demos.conv_timings({"torch": lambda x, w, b, s, p: F.conv2d(x, w, b, s, p)}, x, w, repeat=1)
    assert set(times) == {"torch"} and times["torch"] > 0
