"""Chapter 11 checks: the reference passes, and every catalogued mistake fails with its own hint."""
import math

import pytest
import torch

from helpers.chapters.gan import answers, checks as C
from tests.chapters.exercise_tools import fails_with, names_mistake, not_implemented, unwrap

G = torch.Generator().manual_seed(0)
P = torch.rand(3, 6, generator=G, dtype=torch.float64).softmax(-1)
Q = torch.rand(3, 6, generator=G, dtype=torch.float64).softmax(-1)

D_CASES = [(torch.tensor([0.5, 0.5]), torch.tensor([0.0, 1.0])), (P, Q), (P.float(), Q.float()),
           (torch.tensor([0.0, 0.5, 0.5, 0.0]), torch.tensor([0.0, 0.25, 0.0, 0.75]))]
JS_CASES = [(P, Q), (P.float(), Q.float()), (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])),
            (torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64), torch.tensor([[0.0, 0.5, 0.5]], dtype=torch.float64))]
LOSS_CASES = [(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.0, 1.0, -0.5])),
              (torch.randn(7, generator=G, dtype=torch.float64) * 3, torch.randn(5, generator=G, dtype=torch.float64) * 3),
              (torch.tensor([100.0, -100.0, 30.0]), torch.tensor([-100.0, 100.0]))]
GRAD_CASES = [(torch.tensor([-3.0, 0.0, 2.0]),), (torch.randn(9, generator=G, dtype=torch.float64) * 4,)]
W_CASES = [(torch.diag(torch.tensor([3.0, 1.0, 0.5])),), (torch.randn(5, 8, generator=G, dtype=torch.float64),),
           (torch.randn(12, 4, generator=G, dtype=torch.float64),)]


def gp_cases():
    g = torch.Generator().manual_seed(1)
    return [(C.small_critic(3, seed=1), torch.randn(4, 3, generator=g, dtype=torch.float64),
             torch.randn(4, 3, generator=g, dtype=torch.float64), torch.rand(4, generator=g, dtype=torch.float64)),
            (C.small_critic(16, hidden=5, seed=2), torch.randn(6, 1, 4, 4, generator=g, dtype=torch.float64),
             torch.randn(6, 1, 4, 4, generator=g, dtype=torch.float64), torch.rand(6, generator=g, dtype=torch.float64), 3.0)]


def fd_cases():
    g = torch.Generator().manual_seed(2)
    return [(torch.randn(3, generator=g, dtype=torch.float64), C.random_covariance(3, generator=g),
             torch.randn(3, generator=g, dtype=torch.float64), C.random_covariance(3, generator=g)),
            (torch.randn(6, generator=g, dtype=torch.float64), C.random_covariance(6, generator=g, rank=3),
             torch.randn(6, generator=g, dtype=torch.float64), C.random_covariance(6, generator=g))]


def losses_check(d, gl):
    return lambda _fn, *args: C.check_gan_losses(d, gl, *args)


def test_references_pass():
    for args in D_CASES:
        C.check_optimal_discriminator(unwrap(answers.optimal_discriminator), *args)
    for args in JS_CASES:
        C.check_js_divergence(unwrap(answers.js_divergence), *args)
    for args in LOSS_CASES:
        C.check_gan_losses(unwrap(answers.d_loss), unwrap(answers.g_loss), *args)
    for args in GRAD_CASES:
        C.check_generator_logit_grads(unwrap(answers.generator_logit_grads), *args)
    for args in gp_cases():
        C.check_gradient_penalty(unwrap(answers.gradient_penalty), *args)
    for args in W_CASES:
        C.check_spectral_norm(unwrap(answers.spectral_norm), *args)
    for args in fd_cases():
        C.check_frechet_distance(unwrap(answers.frechet_distance), *args)


def test_cat_and_dog_gives_one_third():
    d = unwrap(answers.optimal_discriminator)(torch.tensor([0.5, 0.5]), torch.tensor([0.0, 1.0]))
    assert torch.allclose(d, torch.tensor([1.0, 1 / 3]))


def test_value_at_optimum_is_two_js_minus_log4():
    d = unwrap(answers.optimal_discriminator)(P, Q)
    v = (P * d.log() + Q * (1 - d).log()).sum(-1)
    assert torch.allclose(v, 2 * unwrap(answers.js_divergence)(P, Q) - math.log(4))


@pytest.mark.parametrize("mistake", C.OPTIMAL_D_MISTAKES, ids=lambda m: m.name)
def test_optimal_d_mistakes_are_named(mistake):
    names_mistake(C.check_optimal_discriminator, mistake.variant, D_CASES[1:3], mistake.hint)


@pytest.mark.parametrize("mistake", C.JS_MISTAKES, ids=lambda m: m.name)
def test_js_mistakes_are_named(mistake):
    names_mistake(C.check_js_divergence, mistake.variant, JS_CASES[:2], mistake.hint)


@pytest.mark.parametrize("mistake", C.D_LOSS_MISTAKES, ids=lambda m: m.name)
def test_d_loss_mistakes_are_named(mistake):
    names_mistake(losses_check(mistake.variant, unwrap(answers.g_loss)), None, LOSS_CASES[:2], mistake.hint)


@pytest.mark.parametrize("mistake", C.G_LOSS_MISTAKES, ids=lambda m: m.name)
def test_g_loss_mistakes_are_named(mistake):
    names_mistake(losses_check(unwrap(answers.d_loss), mistake.variant), None, LOSS_CASES[:2], mistake.hint)


def test_naive_log_sigmoid_is_unstable():
    naive = lambda f: -torch.log(torch.sigmoid(f)).mean()   # noqa: E731
    fails_with(C.check_gan_losses, unwrap(answers.d_loss), naive, *LOSS_CASES[2], hint="logsigmoid")


@pytest.mark.parametrize("mistake", C.SAT_MISTAKES, ids=lambda m: m.name)
def test_saturating_mistakes_are_named(mistake):
    fn = lambda l: (mistake.variant(l).to(l.dtype), torch.sigmoid(l) - 1)   # noqa: E731
    names_mistake(C.check_generator_logit_grads, fn, GRAD_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.NONSAT_MISTAKES, ids=lambda m: m.name)
def test_nonsaturating_mistakes_are_named(mistake):
    fn = lambda l: (-torch.sigmoid(l), mistake.variant(l).to(l.dtype))   # noqa: E731
    names_mistake(C.check_generator_logit_grads, fn, GRAD_CASES, mistake.hint)


def test_swapped_grads_are_named():
    fn = lambda l: (torch.sigmoid(l) - 1, -torch.sigmoid(l))   # noqa: E731
    names_mistake(C.check_generator_logit_grads, fn, GRAD_CASES, "wrong order")


@pytest.mark.parametrize("mistake", C.GP_MISTAKES, ids=lambda m: m.name)
def test_gp_mistakes_are_named(mistake):
    def fn(critic, real, fake, eps, lam=10.0):
        return mistake.variant(real, fake, eps, lam, critic)
    names_mistake(C.check_gradient_penalty, fn, gp_cases(), mistake.hint)


def test_gp_without_create_graph_fails():
    def fn(critic, real, fake, eps, lam=10.0):
        e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
        x = (e * real + (1 - e) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x)
        return lam * ((g.reshape(len(g), -1).norm(dim=1) - 1) ** 2).mean()
    names_mistake(C.check_gradient_penalty, fn, gp_cases(), "create_graph=True")


@pytest.mark.parametrize("mistake", C.SPECTRAL_MISTAKES, ids=lambda m: m.name)
def test_spectral_mistakes_are_named(mistake):
    power = unwrap(answers.spectral_norm)
    student = {"squared": lambda W, n=50: power(W, n) ** 2,
               "frobenius": lambda W, n=50: (W ** 2).sum().sqrt(),
               "max-entry": lambda W, n=50: W.abs().max()}[mistake.name]
    names_mistake(C.check_spectral_norm, student, W_CASES, mistake.hint)


def test_spectral_library_is_refused():
    fails_with(C.check_spectral_norm, lambda W, n=50: torch.linalg.matrix_norm(W, ord=2), *W_CASES[1],
               hint="ready-made")


@pytest.mark.parametrize("mistake", C.FRECHET_MISTAKES, ids=lambda m: m.name)
def test_frechet_mistakes_are_named(mistake):
    names_mistake(C.check_frechet_distance, mistake.variant, fd_cases(), mistake.hint)


@pytest.mark.parametrize("check,args", [(C.check_optimal_discriminator, D_CASES[0]), (C.check_js_divergence, JS_CASES[0]),
                                        (C.check_generator_logit_grads, GRAD_CASES[0]),
                                        (C.check_spectral_norm, W_CASES[0]), (C.check_frechet_distance, fd_cases()[0])])
def test_blank_answers_fail(check, args):
    fails_with(check, not_implemented, *args, hint="raise NotImplementedError")
