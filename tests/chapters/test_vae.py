"""Chapter 10 checks: the reference passes, and every catalogued mistake fails with its own hint."""
import pytest
import torch

from helpers.chapters.vae import answers, checks as C
from helpers.grading.checks import CheckFailure
from tests.chapters.exercise_tools import fails_with, names_mistake, not_implemented, unwrap

F64 = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def kl_cases():
    g = _gen(0)
    return [tuple(torch.randn(4, 3, generator=g, dtype=F64) * s for s in (1.5, 1.0, 1.0, 0.7)),
            tuple(torch.randn(3, 5, generator=g) for _ in range(4)),
            tuple(torch.randn(2, 2, 3, generator=g, dtype=F64) for _ in range(4))]


def reparam_cases():
    g = _gen(1)
    return [tuple(torch.randn(3, 4, generator=g, dtype=F64) for _ in range(3)),
            tuple(torch.randn(2, 3, generator=g) for _ in range(3))]


def elbo_cases():
    g = _gen(2)
    return [(torch.rand(4, 6, generator=g, dtype=F64), 3 * torch.randn(4, 6, generator=g, dtype=F64),
             torch.randn(4, 2, generator=g, dtype=F64), torch.randn(4, 2, generator=g, dtype=F64), 1.0),
            (torch.rand(3, 1, 2, 2, generator=g), torch.randn(3, 1, 2, 2, generator=g), torch.randn(3, 3, generator=g),
             torch.randn(3, 3, generator=g), 0.25)]


def angle_cases():
    g = _gen(4)
    A = torch.randn(8, 3, generator=g, dtype=F64)
    return [(A, torch.randn(8, 3, generator=g, dtype=F64)),
            (A * torch.tensor([1.0, 10.0, 0.1], dtype=F64), torch.randn(8, 4, generator=g, dtype=F64)),
            (torch.randn(6, 2, generator=g), torch.randn(6, 2, generator=g))]


def iwae_cases():
    g = _gen(5)
    return [(torch.randn(3, 5, generator=g, dtype=F64) * 2 - 250,), (torch.randn(4, 6, generator=g) * 3,)]


def coupling_cases():
    g = _gen(6)
    return [(4, 8, torch.tensor([1.0, 0.0, 1.0, 0.0]), torch.randn(3, 4, generator=g, dtype=F64)),
            (5, 3, torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0]), torch.randn(2, 5, generator=g, dtype=F64))]


class _Coupling(answers.AffineCoupling):
    """The reference layer as a student's correct class (the guard unwrapped)."""
    forward = unwrap(answers.AffineCoupling.forward)
    inverse = unwrap(answers.AffineCoupling.inverse)


def test_references_pass():
    for args in kl_cases():
        C.check_kl_diag_gaussians(unwrap(answers.kl_diag_gaussians), *args)
    C.check_kl_monte_carlo(unwrap(answers.kl_diag_gaussians), torch.tensor([1.0, -0.5]), torch.tensor([-1.0, 0.5]),
                           torch.tensor([0.3, 0.0]), torch.tensor([0.4, -0.2]))
    for args in reparam_cases():
        C.check_reparameterize(unwrap(answers.reparameterize), *args)
    for args in elbo_cases():
        C.check_negative_elbo(unwrap(answers.negative_elbo), *args)
    C.check_negative_elbo_stable(unwrap(answers.negative_elbo))
    for args in angle_cases():
        C.check_subspace_angles(unwrap(answers.subspace_angles), *args)
    for args in iwae_cases():
        C.check_iwae_bound(unwrap(answers.iwae_bound), *args)
    C.check_iwae_stable(unwrap(answers.iwae_bound), torch.float32)
    for args in coupling_cases():
        C.check_affine_coupling(_Coupling, *args)


def test_references_refuse_to_run_while_graded():
    for args in kl_cases()[:1]:
        fails_with(C.check_kl_diag_gaussians, answers.kl_diag_gaussians, *args, hint="write")
    fails_with(C.check_iwae_bound, answers.iwae_bound, *iwae_cases()[0], hint="write")
    fails_with(C.check_affine_coupling, answers.AffineCoupling, *coupling_cases()[0], hint="write")


@pytest.mark.parametrize("mistake", C.KL_MISTAKES, ids=lambda m: m.name)
def test_kl_mistakes_are_named(mistake):
    names_mistake(C.check_kl_diag_gaussians, mistake.variant, kl_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.REPARAM_MISTAKES, ids=lambda m: m.name)
def test_reparam_mistakes_are_named(mistake):
    names_mistake(C.check_reparameterize, mistake.variant, reparam_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.ELBO_MISTAKES, ids=lambda m: m.name)
def test_elbo_mistakes_fail(mistake):
    def wrong(x, l, mu, lv, beta=1.0):
        loss = mistake.variant(x, l, mu, lv, beta).to(x.dtype)
        recon, kl = answers._bernoulli_nll(x, l).flatten(1).sum(1).mean(), (0.5 * (mu ** 2 + lv.exp() - 1 - lv)).sum(1).mean()
        return loss, recon, kl
    names_mistake(C.check_negative_elbo, wrong, elbo_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.ANGLES_MISTAKES, ids=lambda m: m.name)
def test_angle_mistakes_are_named(mistake):
    names_mistake(C.check_subspace_angles, lambda A, B: mistake.variant(A, B).to(A.dtype), angle_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.IWAE_MISTAKES, ids=lambda m: m.name)
def test_iwae_mistakes_are_named(mistake):
    names_mistake(C.check_iwae_bound, lambda lw: mistake.variant(lw).to(lw.dtype), iwae_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.LOGDET_MISTAKES, ids=lambda m: m.name)
def test_logdet_mistakes_are_named(mistake):
    class Wrong(_Coupling):
        def forward(self, z):
            x, _ = _Coupling.forward(self, z)
            return x, mistake.variant(self, z).to(z.dtype)
    names_mistake(C.check_affine_coupling, Wrong, coupling_cases(), mistake.hint)


@pytest.mark.parametrize("mistake", C.INVERSE_MISTAKES, ids=lambda m: m.name)
def test_inverse_mistakes_are_named(mistake):
    class Wrong(_Coupling):
        def inverse(self, x):
            return mistake.variant(self, x).to(x.dtype)
    names_mistake(C.check_affine_coupling, Wrong, coupling_cases(), mistake.hint)


def test_blank_answers_fail_as_not_implemented():
    fails_with(C.check_kl_diag_gaussians, not_implemented, *kl_cases()[0], hint="replace `raise NotImplementedError()`")
    fails_with(C.check_iwae_bound, not_implemented, *iwae_cases()[0], hint="replace `raise NotImplementedError()`")


def test_reparam_without_graph_is_caught():
    fails_with(C.check_reparameterize, lambda mu, lv, eps: (mu + torch.exp(0.5 * lv) * eps).detach(),
               *reparam_cases()[0], hint="no .detach()")


def test_naive_logs_are_caught_by_the_stability_probes():
    with pytest.raises(CheckFailure):
        C.check_iwae_stable(lambda lw: torch.log(torch.exp(lw).mean(dim=1)))
    with pytest.raises(CheckFailure):
        C.check_negative_elbo_stable(lambda x, l, mu, lv, beta=1.0: unwrap(answers.negative_elbo)(
            x, torch.logit(torch.sigmoid(l)), mu, lv, beta))
