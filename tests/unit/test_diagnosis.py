"""The generic diagnosis every check gets (helpers.grading.checks): in-place changes of the
caller's inputs, dtype and device of the result, generic variants of the right answer, probes that
locate an error, and no hint that cannot be true."""
import math

import pytest
import torch

from helpers.grading import checks
from helpers.grading.checks import CheckFailure, Mistake


def message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as err:
        fn(*args, **kwargs)
    return str(err.value)


def hint(msg: str) -> str:
    return msg.split("Likely mistake: ", 1)[1] if "Likely mistake: " in msg else ""


# ---------------------------------------------------------------- inputs changed in place

def shift_in_place(z, dim=-1):
    z -= z.max(dim=dim, keepdim=True).values
    return z.exp() / z.exp().sum(dim=dim, keepdim=True)


def test_an_input_changed_in_place_is_named_and_put_back():
    z = torch.tensor([[1.0, 2.0, 3.0]])
    before = z.clone()
    msg = message(checks.call, shift_in_place, z, what="softmax")
    assert "changed its argument `z` in place" in msg
    assert torch.equal(z, before)                  # the caller's tensor has its values back


def test_inputs_inside_containers_and_keywords_are_watched():
    def clobber(params, *, scale):
        params["W"].mul_(scale)
        return params["W"]
    msg = message(checks.call, clobber, {"W": torch.ones(2)}, scale=2.0, what="f")
    assert "`params['W']`" in msg


def test_a_declared_update_may_change_its_argument():
    w = torch.ones(3)
    checks.call(lambda params, grads: params.sub_(0.1 * grads), w, torch.ones(3), what="step", mutates=("params",))
    assert torch.allclose(w, torch.full((3,), 0.9))


def test_reading_an_input_or_writing_nan_to_a_copy_is_fine():
    z = torch.tensor([float("nan"), 1.0])
    out = checks.call(lambda z: z.clone().fill_(0), z, what="f")
    assert out.tolist() == [0.0, 0.0] and math.isnan(z[0])


def test_a_function_that_raises_after_changing_its_input_still_gives_it_back():
    z = torch.ones(2)

    def bad(z):
        z.add_(1)
        raise ValueError("boom")
    assert "raised ValueError" in message(checks.call, bad, z, what="f")
    assert z.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- dtype and device

def test_right_values_in_another_dtype_fail_with_the_cause():
    e = torch.tensor([0.25, 0.5], dtype=torch.float64)
    msg = message(checks.expect_close, e.float(), e, what="f")
    assert "dtype is float32 where float64 is expected" in msg and "torch.tensor" in hint(msg)
    msg = message(checks.expect_close, e, e.float(), what="f")
    assert "float64 where float32" in msg


def test_dtype_can_be_left_open():
    e = torch.tensor([0.25, 0.5], dtype=torch.float64)
    checks.expect_close(e.float(), e, what="f", check_dtype=False)


def test_float32_rounding_of_a_float64_answer_is_named():
    e = torch.tensor([1 / 3, 2 / 3], dtype=torch.float64)
    got = e.float().double()                        # float32 arithmetic, returned as float64
    msg = message(checks.expect_close, got, e, what="f", atol=1e-12, rtol=1e-10)
    assert "float32 rounding" in hint(msg)


# ---------------------------------------------------------------- generic variants

E = torch.tensor([[0.5, -1.0, 2.0], [1.5, 3.0, -0.25]], dtype=torch.float64)
X = torch.randn(4, 3, dtype=torch.float64)


@pytest.mark.parametrize("wrong, words", [
    (-E, "sign is flipped"),
    (2 * E, "twice the right one"),
    (E / 2, "half the right one"),
    (E * 4, "a sum over 4 items where the mean is asked (a missing 1/4)"),
    (E / 3, "1/3 of the right one"),
    (E / math.log(2), "log base 2 where the natural log is asked"),
    (E * math.log(10), "natural log where log base 10 is asked"),
    (E + 0.75, "off by the same 0.75"),
    (torch.softmax(E, dim=-1), "probabilities (a softmax) where logits are asked"),
    (torch.log_softmax(E, dim=-1), "log-probabilities"),
    (E.T, "transpose"),
])
def test_generic_variants_are_named(wrong, words):
    assert words in hint(message(checks.expect_close, wrong, E, what="f", args=(X,)))


def test_wrong_axis_is_named_from_the_reference():
    def softmax(z, dim=-1):
        return torch.softmax(z, dim=dim)
    z = torch.randn(3, 4, dtype=torch.float64)
    msg = message(checks.expect_close, softmax(z, dim=0), softmax(z), what="f", args=(z,), reference=softmax)
    assert "dim=0; the statement asks for dim=-1" in hint(msg)


def test_a_variant_equal_to_the_right_answer_is_never_named():
    zero = torch.zeros(3, dtype=torch.float64)      # -0 == 0, 2*0 == 0: no sign or factor can be told
    msg = message(checks.expect_close, torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64), zero, what="f")
    assert "sign" not in msg and "twice" not in msg and "half" not in msg


def test_a_catalogued_mistake_that_coincides_with_the_answer_is_not_named():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)        # no zeros: "relu" equals the identity here
    relu_instead = Mistake("relu", "you applied a ReLU", lambda x: x.clamp(min=0))
    msg = message(checks.expect_close, x + 1e-3, x, what="f", mistakes=[relu_instead], args=(x,),
                  atol=1e-12, rtol=1e-12)
    assert "ReLU" not in msg


def test_no_hint_that_cannot_be_true():
    e = torch.tensor(2.0, dtype=torch.float64)
    for wrong in (torch.tensor(2.7, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64)):
        msg = message(checks.expect_close, wrong, e, what="f")
        assert "times" not in msg and "ratio" not in msg and "keepdim" not in msg
    # an unrelated near miss of several entries gets the worst entry, no invented cause
    e = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert hint(message(checks.expect_close, e + torch.tensor([0.1, -0.2, 0.05], dtype=torch.float64),
                        e, what="f")) == ""


def test_keepdim_is_suggested_only_when_a_size_one_dimension_is_missing():
    msg = message(checks.expect_close, torch.ones(4), torch.ones(4, 1), what="f")
    assert "keepdim=True" in hint(msg)
    msg = message(checks.expect_close, torch.ones(4), torch.ones(4, 3), what="f")
    assert "keepdim" not in msg and "reduced over an axis" in hint(msg)
    msg = message(checks.call, lambda a: a + torch.ones(3), torch.ones(4), what="f")
    assert "keepdim" not in msg and "do not broadcast" in hint(msg)


# ---------------------------------------------------------------- probes

def softmax_rows(z):
    e = torch.exp(z - z.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def softmax_batch_max(z):
    e = torch.exp(z - z.max())                  # one shift for the whole batch: still right in value
    return e / e.sum(dim=-1, keepdim=True)


def softmax_over_batch(z):
    e = torch.exp(z)
    return e / e.sum(dim=0, keepdim=True)


def test_a_row_wise_function_passes_the_row_probes():
    checks.expect_rows_independent(softmax_rows, torch.randn(5, 3, dtype=torch.float64), what="softmax")


def test_a_reduction_over_the_batch_axis_is_located():
    z = torch.randn(5, 3, dtype=torch.float64)
    assert "row 0 of your result changes" in message(checks.expect_rows_independent, softmax_over_batch, z,
                                                      what="softmax")
    z = torch.tensor([[1000.0, 0.0], [0.0, 1.0]], dtype=torch.float64)   # the batch max underflows row 1
    assert "batch axis" in hint(message(checks.expect_rows_independent, softmax_batch_max, z, what="softmax"))


def test_a_position_dependent_row_function_is_located():
    def by_position(z):
        return z * torch.arange(1, z.shape[0] + 1, dtype=z.dtype).unsqueeze(1)
    z = torch.randn(4, 2, dtype=torch.float64)
    assert "row 3 of your result changes" in message(checks.expect_rows_independent, by_position, z, what="f")

    def middle_swapped(z):                          # the first and last rows alone are right
        return z[[0, 2, 1, 3]] if z.shape[0] == 4 else z
    z = torch.randn(4, 2, dtype=torch.float64)
    assert "moving every row" in message(checks.expect_rows_independent, middle_swapped, z, what="f")


def mean_loss(p, t):
    return ((p - t) ** 2).mean()


def test_a_batch_mean_passes_and_a_batch_sum_is_named():
    p, t = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    checks.expect_batch_mean(mean_loss, p, t, what="mse")
    msg = message(checks.expect_batch_mean, lambda p, t: ((p - t) ** 2).sum(), p, t, what="mse")
    assert "repeated twice" in msg and "summed over the batch" in hint(msg)
    msg = message(checks.expect_batch_mean, lambda p, t: ((p - t) ** 2).sum() / 6, p, t, what="mse")
    assert "summed over the batch" in hint(msg)         # dividing by a fixed 6 is still a sum
    msg = message(checks.expect_batch_mean, lambda p, t: ((p - t) ** 2).sum() / p.shape[0] ** 2, p, t, what="mse")
    assert "must not depend on the batch size" in hint(msg)


def test_an_off_by_one_shift_is_named():
    e = torch.arange(1.0, 6.0, dtype=torch.float64) ** 2                 # 1 4 9 16 25
    ahead = torch.tensor([4.0, 9.0, 16.0, 25.0, 36.0], dtype=torch.float64)
    assert "one place ahead along dim 0" in hint(message(checks.expect_close, ahead, e, what="f"))
    behind = torch.tensor([0.0, 1.0, 4.0, 9.0, 16.0], dtype=torch.float64)
    assert "one place behind along dim 0" in hint(message(checks.expect_close, behind, e, what="f"))
    flat = torch.ones(4, dtype=torch.float64)                            # constant: no shift to tell
    assert "place" not in message(checks.expect_close, flat * 2 + torch.tensor([0, 0, 0, 1.0], dtype=torch.float64),
                                  flat, what="f")


def test_an_in_place_change_of_a_leaf_is_explained():
    x = torch.ones(3, requires_grad=True)
    assert "changes its input in place" in hint(message(checks.call, lambda x: x.clamp_(0, 1), x, what="f"))


def test_a_dtype_asked_by_expect_tensor_gets_the_cause():
    msg = message(checks.expect_tensor, torch.ones(2, dtype=torch.float64), what="f", dtype=torch.float32)
    assert "expected dtype float32, got float64" in msg and "float64 constant" in hint(msg)


# ---------------------------------------------------------------- the form of an output

LOGITS = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]], dtype=torch.float64)


@pytest.mark.parametrize("out, form", [(LOGITS, "logits"), (torch.softmax(LOGITS, -1), "probabilities"),
                                       (torch.log_softmax(LOGITS, -1), "log_probabilities")])
def test_output_form_is_recognised(out, form):
    assert checks.output_form(out) == form
    checks.expect_form(out, form, what="f")


@pytest.mark.parametrize("out, asked, words", [
    (torch.softmax(LOGITS, -1), "logits", "probabilities (each row sums to 1); logits are asked"),
    (torch.log_softmax(LOGITS, -1), "logits", "log-probabilities"),
    (LOGITS, "probabilities", "apply a softmax"),
    (torch.softmax(LOGITS, -1), "log_probabilities", "take the log"),
])
def test_the_wrong_form_is_named(out, asked, words):
    assert words in message(checks.expect_form, out, asked, what="f")


def test_one_class_is_not_judged():
    checks.expect_form(torch.zeros(4, 1), "logits", what="f")     # log_softmax of one class is 0


def test_past_overflow_overflows_exp_in_its_dtype_only():
    for dtype in (torch.float16, torch.float32, torch.float64):
        big = torch.tensor(checks.past_overflow(dtype), dtype=dtype)
        assert torch.isinf(torch.exp(big)) and torch.isfinite(big)
    assert checks.past_overflow(torch.float64) > 900 > 179


def test_one_hot_rows_have_one_one_each():
    rows = checks.one_hot_rows(6, 4, generator=torch.Generator().manual_seed(0))
    assert rows.shape == (6, 4) and rows.sum(dim=1).tolist() == [1.0] * 6 and set(rows.unique().tolist()) == {0.0, 1.0}


def test_a_size_taken_from_the_wrong_axis_of_an_input_is_named():
    X = torch.randn(6, 5, dtype=torch.float64)
    msg = message(checks.expect_close, torch.zeros(6, dtype=torch.float64), torch.zeros(4, dtype=torch.float64),
                  what="db", args=(X,))
    assert "size 6, the size of dimension 0 of the first argument, where 4 is asked" in hint(msg)
    msg = message(checks.expect_close, torch.zeros(7, dtype=torch.float64), torch.zeros(4, dtype=torch.float64),
                  what="db", args=(X,))
    assert "dimension 0 of your result" not in msg            # 7 comes from nowhere: nothing to say


def test_a_consistent_tiny_factor_is_not_called_float32_rounding():
    """A missing eps in a shared denominator scales the result by one factor (1 + ~1e-7): that is not
    float32 rounding, and the hint says a small constant is missing or extra."""
    e = torch.tensor([0.5, -1.25, 2.0, 3.0], dtype=torch.float64)
    msg = message(checks.expect_close, e * (1 - 4e-7), e, what="f", atol=1e-12, rtol=1e-10)
    assert "float32" not in hint(msg) and "small constant" in hint(msg)
    rows = torch.tensor([[1.0, -2.0, 0.5], [0.25, 4.0, -1.0]], dtype=torch.float64)
    per_row = rows * (1 + torch.tensor([[3e-7], [8e-7]], dtype=torch.float64))   # one factor per row (LayerNorm)
    msg = message(checks.expect_close, per_row, rows, what="f", atol=1e-12, rtol=1e-10)
    assert "float32" not in hint(msg) and "small constant" in hint(msg)


def test_float32_noise_is_still_named_and_larger_errors_are_not_rounding():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, 7, generator=g, dtype=torch.float64)
    e = x @ x.T
    got = (x.float() @ x.float().T).double()       # a float32 matmul: errors vary entry by entry
    assert "float32 rounding" in hint(message(checks.expect_close, got, e, what="f", atol=1e-12, rtol=1e-10))
    off = e + 1e-4 * torch.randn(5, 5, generator=g, dtype=torch.float64)    # far beyond float32's rounding
    assert "float32" not in hint(message(checks.expect_close, off, e, what="f", atol=1e-12, rtol=1e-10))
