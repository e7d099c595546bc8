"""Chapter 09 checks: the reference passes them, every catalogued mistake fails with its own hint,
and the generic probes (in place, dtype, masks exactly 0) catch what the catalogues do not list."""
import math

import pytest
import torch

from helpers.chapters.attention import answers, checks as C
from helpers.grading.checks import CheckFailure
from tests.chapters.exercise_tools import fails_with, names_mistake, unwrap


class RefMHA(answers.MultiHeadAttention):
    """The course's module with its forward unguarded: a student's correct class."""
    forward = answers.MultiHeadAttention.forward.__wrapped__


def _bwd_cases():
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)   # noqa: E731
    return [(r(3, 4), r(4, 2), r(3, 2)), (r(2, 5, 5), r(2, 5, 5), r(2, 5, 5)), (3 * r(2, 3, 4, 6), r(2, 3, 6, 5), r(2, 3, 4, 5))]


def test_references_pass():
    for case in C.attention_cases(0) + C.attention_cases(1, torch.float64):
        C.check_attention(unwrap(answers.attention), *case)
    C.check_sinusoidal_pe(unwrap(answers.sinusoidal_pe), 10, 8)
    C.check_sinusoidal_pe(unwrap(answers.sinusoidal_pe), 50, 16, torch.float64)
    for k, d in ((1, 8), (-3, 6), (12, 32)):
        C.check_pe_shift_matrix(unwrap(answers.pe_shift_matrix), k, d, torch.float64)
    for case in _bwd_cases():
        C.check_attention_backward(unwrap(answers.attention_backward), *case)
    C.check_multi_head_attention(RefMHA, 8, 2)
    C.check_multi_head_attention(RefMHA, 12, 3, B=3, Lq=4, Lk=6, dtype=torch.float64, seed=1)
    C.check_multi_head_attention(RefMHA, 10, 5, Lq=6, Lk=6, mask=answers.causal_mask(6), seed=4)
    C.check_beam_search(unwrap(answers.beam_search), C.puppy_lm(), 0, 2, 2, V=5)
    C.check_beam_search(unwrap(answers.beam_search), C.toy_lm(3, 4, 1), 3, 27, 4, V=3)


@pytest.mark.parametrize("index", range(len(C.ATTENTION_WEIGHT_MISTAKES)),
                         ids=[m.name for m in C.ATTENTION_WEIGHT_MISTAKES])
def test_attention_mistakes_are_named(index):
    weights_of, out_of = C.ATTENTION_WEIGHT_MISTAKES[index], C.ATTENTION_OUT_MISTAKES[index]

    def wrong(q, k, v, mask=None):
        return out_of.variant(q, k, v, mask).to(q.dtype), weights_of.variant(q, k, v, mask).to(q.dtype)
    names_mistake(C.check_attention, wrong, C.attention_cases(3, torch.float64), weights_of.hint)


def test_masked_weights_must_be_exactly_zero():
    q, k, v, mask = C.attention_cases(0, torch.float64)[0]

    def leaky(q, k, v, mask=None):
        out, w = unwrap(answers.attention)(q, k, v, mask)
        w = torch.where(mask, w, torch.full_like(w, 1e-30))
        return out, w
    fails_with(C.check_attention, leaky, q, k, v, mask, hint="exp(-inf) is exactly 0")


def test_attention_in_place_is_caught():
    def in_place(q, k, v, mask=None):
        q /= math.sqrt(q.shape[-1])
        return unwrap(answers.attention)(q * math.sqrt(q.shape[-1]), k, v, mask)
    q, k, v, mask = C.attention_cases(0)[0]
    fails_with(C.check_attention, in_place, q, k, v, mask, hint="z = z - m, not z -= m")


@pytest.mark.parametrize("mistake", C.PE_MISTAKES, ids=lambda m: m.name)
def test_pe_mistakes_are_named(mistake):
    names_mistake(C.check_sinusoidal_pe, mistake.variant, [(10, 8), (20, 16, torch.float64)], mistake.hint)


@pytest.mark.parametrize("mistake", C.SHIFT_MISTAKES, ids=lambda m: m.name)
def test_shift_mistakes_are_named(mistake):
    names_mistake(C.check_pe_shift_matrix, mistake.variant, [(1, 8), (5, 16, torch.float64)], mistake.hint)


@pytest.mark.parametrize("mistake", C.DS_MISTAKES, ids=lambda m: m.name)
def test_backward_ds_mistakes_are_named(mistake):
    def wrong(s, v, g):
        return mistake.variant(s, v, g).to(s.dtype), unwrap(answers.attention_backward)(s, v, g)[1]
    names_mistake(C.check_attention_backward, wrong, _bwd_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.DV_MISTAKES, ids=lambda m: m.name)
def test_backward_dv_mistakes_are_named(mistake):
    def wrong(s, v, g):
        return unwrap(answers.attention_backward)(s, v, g)[0], mistake.variant(s, v, g).to(s.dtype)
    names_mistake(C.check_attention_backward, wrong, _bwd_cases()[1:2], mistake.hint)


def test_mha_needs_the_four_layers():
    class NoLayers(torch.nn.Module):
        def __init__(self, d_model, n_heads):
            super().__init__()
            self.proj = torch.nn.Linear(d_model, 3 * d_model)
    fails_with(C.check_multi_head_attention, NoLayers, 8, 2, hint="names the statement gives")


@pytest.mark.parametrize("mistake", C.BEAM_MISTAKES, ids=lambda m: m.name)
def test_beam_mistakes_are_named(mistake):
    cases = [(C.puppy_lm(), 0, 2, 2), (C.toy_lm(4, 4, 0), 4, 3, 4), (C.toy_lm(5, 4, 2), 5, 3, 4)]
    found = []
    for case in cases:
        try:
            C.check_beam_search(mistake.variant, *case)
        except CheckFailure as err:
            found.append(str(err))
    assert any(mistake.hint in m for m in found), found


def test_beam_search_is_greedy_at_k1_and_exhaustive_for_large_k():
    lm = C.toy_lm(3, 4, 5)
    assert unwrap(answers.beam_search)(lm, 3, 27, 4)[0] == C._exhaustive(lm, 3, 3, 4)[0]
    assert unwrap(answers.beam_search)(C.puppy_lm(), 0, 1, 2)[0] == (2, 3)      # "one puppy"
    assert unwrap(answers.beam_search)(C.puppy_lm(), 0, 2, 2)[0] == (1, 3)      # "a puppy"


def test_transformer_block_equals_torch():
    torch.manual_seed(0)
    for norm_first in (False, True):
        ref = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first).eval()
        block = answers.TransformerBlock(8, 2, 16, norm_first=norm_first)
        C._copy_from(block.self_attn, ref.self_attn)
        for name in ("linear1", "linear2", "norm1", "norm2"):
            getattr(block, name).load_state_dict(getattr(ref, name).state_dict())
        x = torch.randn(2, 5, 8)
        with torch.no_grad():
            assert torch.allclose(block(x, answers.causal_mask(5)), ref(x, src_mask=~answers.causal_mask(5)), atol=1e-5)


class RefBlock(answers.TransformerBlock):
    """The course's block with its forward unguarded: a student's correct class."""
    forward = answers.TransformerBlock.forward.__wrapped__


def test_block_reference_passes_and_swapped_norms_are_named():
    C.check_transformer_block(RefBlock, 8, 2, 16, False)
    C.check_transformer_block(RefBlock, 12, 3, 20, True, T=6, mask=answers.causal_mask(6), dtype=torch.float64, seed=1)

    class Swapped(RefBlock):
        def forward(self, x, mask=None):
            self.norm_first = not self.norm_first
            try:
                return RefBlock.forward(self, x, mask)
            finally:
                self.norm_first = not self.norm_first
    fails_with(C.check_transformer_block, Swapped, 8, 2, 16, True, hint="post-norm and pre-norm are swapped")


def test_block_needs_its_layers():
    class Bare(torch.nn.Module):
        def __init__(self, d_model, n_heads, d_ff, norm_first=False):
            super().__init__()
    fails_with(C.check_transformer_block, Bare, 8, 2, 16, False, hint="names the statement gives")
