"""Chapter 05 checks: the references equal torch.optim (and its schedulers) step for step, pass every
check on the notebook's inputs, every catalogued mistake fails with its own hint, unimplemented code
says so, and library and reference calls are refused."""
import math

import pytest
import torch

from helpers.chapters.optimization import answers as R
from helpers.chapters.optimization import checks as C
from tests.chapters.exercise_tools import fails_with, names_mistake, not_implemented, unwrap

F64 = torch.float64
STEPS = 60


def ours(step, theta0, lrs, **hyper):
    return C.trajectory(unwrap(step), theta0, lrs, hyper, seed=7)


def theirs(optim_class, theta0, lrs, **kw):
    """The same run through torch.optim, the learning rate set per step as a scheduler would."""
    grad_fn = C.problem(theta0, len(lrs), seed=7)
    p = theta0.clone().requires_grad_(True)
    opt = optim_class([p], lr=lrs[0], **kw)
    out = []
    for k, lr in enumerate(lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = grad_fn(p.detach(), k)
        opt.step()
        out.append(p.detach().clone())
    return torch.stack(out)


THETA = torch.randn(3, 4, dtype=F64, generator=torch.Generator().manual_seed(0))
CONSTANT = [0.03] * STEPS
CHANGING = [0.05 * (1 + math.cos(math.pi * k / STEPS)) / 2 + 1e-3 for k in range(STEPS)]


@pytest.mark.parametrize("lrs", [CONSTANT, CHANGING], ids=["constant-lr", "changing-lr"])
@pytest.mark.parametrize("beta,nesterov", [(0.9, False), (0.5, True), (0.99, False)])
def test_momentum_equals_torch_sgd(lrs, beta, nesterov):
    mine = ours(R.momentum_step, THETA, lrs, beta=beta, nesterov=nesterov)
    ref = theirs(torch.optim.SGD, THETA, lrs, momentum=beta, nesterov=nesterov)
    assert (mine - ref).abs().max() < 1e-12


@pytest.mark.parametrize("alpha,eps", [(0.99, 1e-8), (0.9, 1e-3), (0.5, 1e-6)])
def test_rmsprop_equals_torch_rmsprop(alpha, eps):
    mine = ours(R.rmsprop_step, THETA, CHANGING, alpha=alpha, eps=eps)
    ref = theirs(torch.optim.RMSprop, THETA, CHANGING, alpha=alpha, eps=eps)
    assert (mine - ref).abs().max() < 1e-12


@pytest.mark.parametrize("betas,eps", [((0.9, 0.999), 1e-8), ((0.8, 0.99), 1e-3), ((0.5, 0.9), 1e-6)])
def test_adam_equals_torch_adam(betas, eps):
    mine = ours(R.adam_step, THETA, CHANGING, betas=betas, eps=eps)
    ref = theirs(torch.optim.Adam, THETA, CHANGING, betas=betas, eps=eps)
    assert (mine - ref).abs().max() < 1e-12


def test_adam_float32_matches_torch_within_rounding():
    theta = THETA.float()
    mine = ours(R.adam_step, theta, CONSTANT)
    ref = theirs(torch.optim.Adam, theta, CONSTANT)
    assert mine.dtype == torch.float32 and (mine - ref).abs().max() < 1e-5


@pytest.mark.parametrize("total,warmup,lr_max,lr_min", [(50, 7, 0.5, 0.01), (100, 10, 3e-3, 0.0), (20, 1, 1.0, 0.5)])
def test_warmup_cosine_equals_torch_schedulers(total, warmup, lr_max, lr_min):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr_max)
    warm = (torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1)
            if warmup > 1 else torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0))
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=lr_min)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[warmup])
    values = []
    for _ in range(total):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    mine = [unwrap(R.warmup_cosine)(t, total, warmup, lr_max, lr_min) for t in range(total)]
    assert max(abs(a - b) for a, b in zip(values, mine)) < 1e-12


def test_linear_decay_claim():
    from helpers.chapters.optimization import demos
    assert demos.linear_decay(0) == pytest.approx(0.2) and demos.linear_decay(99) == pytest.approx(0.002)
    assert demos.momentum_terminal_step(0.02, 0.9) == pytest.approx(0.2)


def test_momentum_settles_at_lr_over_one_minus_beta():
    theta, state, g = torch.zeros(2, dtype=F64), {}, torch.tensor([1.0, -2.0], dtype=F64)
    for _ in range(400):
        new = unwrap(R.momentum_step)(theta, g, state, 0.02, 0.9)
        step, theta = theta - new, new
    assert torch.allclose(step, 0.2 * g, atol=1e-12)


def test_hessian_equals_autograd_and_ema_sums():
    g = torch.Generator().manual_seed(1)
    for n in (1, 3, 5):
        x, A = torch.randn(n, dtype=F64, generator=g), torch.randn(n, n, dtype=F64, generator=g)
        auto = torch.autograd.functional.hessian(lambda z: R.double_well(z, A), x)
        assert torch.allclose(unwrap(R.double_well_hessian)(x, A), auto, atol=1e-12)
    w = unwrap(R.ema_weights)(0.9, 10)
    assert float(w.sum()) == pytest.approx(1 - 0.9 ** 10, abs=1e-14)


# ---------------------------------------------------------------- the references pass the checks

H_CASES = [torch.tensor([[2.0, 0.0], [0.0, 3.0]]), torch.tensor([[1.0, 2.0], [2.0, 1.0]]), -torch.eye(3, dtype=F64),
           torch.zeros(1, 1, dtype=F64), torch.diag(torch.tensor([0.0, -2.0, 3.0], dtype=F64)),
           torch.diag(torch.tensor([1e-12, 2.0], dtype=F64))]
Q = torch.linalg.qr(torch.randn(3, 3, dtype=F64, generator=torch.Generator().manual_seed(0)))[0]
H_CASES.append(Q @ torch.diag(torch.tensor([-1.0, -2.0, 3.0], dtype=F64)) @ Q.T)
H_CASES.append(Q @ torch.diag(torch.tensor([0.0, -2.0, 3.0], dtype=F64)) @ Q.T)
H_CASES.append(torch.diag(torch.tensor([1e-6, 1e3], dtype=F64)))           # tol is absolute: a minimum
HESS_CASES = [(torch.tensor([0.5, -1.0]), torch.tensor([[-1.0, 0.4], [0.4, 0.5]])),
              (torch.randn(3, dtype=F64), torch.randn(3, 3, dtype=F64))]
H4 = Q @ torch.diag(torch.tensor([0.5, 3.0, 20.0], dtype=F64)) @ Q.T
GD_CASES = [(torch.diag(torch.tensor([1.0, 10.0])), 0.05), (H4, 0.05), (H4, 0.095), (H4, 0.2),
            (torch.diag(torch.tensor([1.0, 3.0], dtype=F64)), 1.5)]


def test_references_pass_every_check():
    for H in H_CASES:
        C.check_classify(unwrap(R.classify_critical_point), H)
    C.check_classify(unwrap(R.classify_critical_point), torch.diag(torch.tensor([1e-3, 2.0], dtype=F64)), tol=1e-2)
    for x, A in HESS_CASES:
        C.check_hessian(unwrap(R.double_well_hessian), x, A)
    for H, lr in GD_CASES:
        C.check_gd_rate(unwrap(R.gd_contraction), unwrap(R.gd_best_lr), H, lr)
    for beta, k in ((0.9, 5), (0.999, 3), (0.0, 4), (0.5, 1)):
        C.check_ema_weights(unwrap(R.ema_weights), beta, k)
    C.check_momentum_step(unwrap(R.momentum_step), THETA, CHANGING, beta=0.8, nesterov=True)
    C.check_momentum_step(unwrap(R.momentum_step), THETA.float(), CONSTANT[:20], beta=0.9)
    C.check_rmsprop_step(unwrap(R.rmsprop_step), THETA, CHANGING, alpha=0.9, eps=1e-3)
    C.check_adam_step(unwrap(R.adam_step), THETA, CHANGING, betas=(0.8, 0.99), eps=1e-3)
    C.check_adam_step(unwrap(R.adam_step), THETA.float(), CONSTANT[:20])
    for scale in (1e-4, 1.0, 1e3):
        C.check_adam_first_step_size(unwrap(R.adam_step), scale)
    C.check_warmup_cosine(unwrap(R.warmup_cosine), 20, 5, 0.1)
    C.check_warmup_cosine(unwrap(R.warmup_cosine), 100, 10, 3e-3, lr_min=1e-4)


# ---------------------------------------------------------------- every catalogued mistake is named

@pytest.mark.parametrize("mistake", C.CLASSIFY_MISTAKES, ids=lambda m: m.name)
def test_classify_mistakes_are_named(mistake):
    names_mistake(C.check_classify, mistake.variant, [(H,) for H in H_CASES], mistake.hint)


@pytest.mark.parametrize("mistake", C.HESSIAN_MISTAKES, ids=lambda m: m.name)
def test_hessian_mistakes_are_named(mistake):
    names_mistake(C.check_hessian, mistake.variant, HESS_CASES, mistake.hint)


@pytest.mark.parametrize("mistake", C.EMA_MISTAKES, ids=lambda m: m.name)
def test_ema_mistakes_are_named(mistake):
    names_mistake(C.check_ema_weights, mistake.variant, [(0.9, 5), (0.5, 12)], mistake.hint)


@pytest.mark.parametrize("mistake", C.CONTRACTION_MISTAKES, ids=lambda m: m.name)
def test_contraction_mistakes_are_named(mistake):
    names_mistake(lambda fn, H, lr: C.check_gd_rate(fn, unwrap(R.gd_best_lr), H, lr), mistake.variant, GD_CASES,
                  mistake.hint)


@pytest.mark.parametrize("mistake", C.BEST_LR_MISTAKES, ids=lambda m: m.name)
def test_best_lr_mistakes_are_named(mistake):
    names_mistake(lambda fn, H, lr: C.check_gd_rate(unwrap(R.gd_contraction), fn, H, lr), mistake.variant, GD_CASES,
                  mistake.hint)


MOMENTUM_WRONG = {"dampened": C._mom_dampened, "lr-in-velocity": C._mom_lr_inside, "old-velocity": C._mom_old_velocity,
                  "no-memory": C._plain_sgd, "nesterov-ignored": C._mom_heavy_ball}


@pytest.mark.parametrize("mistake", C.MOMENTUM_MISTAKES, ids=lambda m: m.name)
def test_momentum_mistakes_are_named(mistake):
    cases = [(THETA, CHANGING[:30], 0, dict(beta=0.8)), (THETA, CONSTANT[:30], 1, dict(beta=0.9, nesterov=True))]
    names_mistake(lambda fn, t, lrs, seed, hyper: C.check_momentum_step(fn, t, lrs, seed=seed, **hyper),
                  MOMENTUM_WRONG[mistake.name], cases, mistake.hint)


RMS_KINDS = {"eps-inside-sqrt": "eps-inside", "adagrad": "adagrad", "no-one-minus-alpha": "no-one-minus",
             "bias-corrected": "bias-corrected", "no-sqrt": "no-sqrt", "old-average": "old-s",
             "s-starts-at-g2": "g2-start"}


@pytest.mark.parametrize("mistake", C.RMSPROP_MISTAKES, ids=lambda m: m.name)
def test_rmsprop_mistakes_are_named(mistake):
    wrong = lambda *a, **k: C._rms(*a, **k, kind=RMS_KINDS[mistake.name])   # noqa: E731
    names_mistake(lambda fn: C.check_rmsprop_step(fn, THETA, [0.03] * 30, alpha=0.9, eps=1e-3), wrong, [()],
                  mistake.hint)


ADAM_KINDS = {"no-bias-correction": "no-correction", "m-only": "m-only", "v-only": "v-only",
              "t-plus-one": "t-plus-one", "t-not-counted": "t-stuck", "eps-inside-sqrt": "eps-inside",
              "eps-before-correction": "eps-before-correction", "one-minus-beta-power": "one-minus-beta-power"}


@pytest.mark.parametrize("mistake", C.ADAM_MISTAKES, ids=lambda m: m.name)
def test_adam_mistakes_are_named(mistake):
    wrong = lambda *a, **k: C._adam(*a, **k, kind=ADAM_KINDS[mistake.name])   # noqa: E731
    names_mistake(lambda fn: C.check_adam_step(fn, THETA, [0.05] * 30, betas=(0.8, 0.99), eps=1e-3), wrong, [()],
                  mistake.hint)


SCHED_KINDS = {"warmup-from-zero": "warmup-from-zero", "cosine-from-step-0": "cos-from-start",
               "period-total": "period-total", "period-minus-one": "period-minus-one", "no-lr-min": "no-lr-min",
               "no-half": "no-half", "linear-decay": "linear"}


@pytest.mark.parametrize("mistake", C.SCHEDULE_MISTAKES, ids=lambda m: m.name)
def test_schedule_mistakes_are_named(mistake):
    wrong = lambda *a, **k: C._sched(*a, **k, kind=SCHED_KINDS[mistake.name])   # noqa: E731
    names_mistake(lambda fn: C.check_warmup_cosine(fn, 100, 10, 3e-3, lr_min=1e-4), wrong, [()], mistake.hint)


# ---------------------------------------------------------------- not implemented, refused calls

@pytest.mark.parametrize("run", [
    lambda: C.check_classify(not_implemented, H_CASES[0]),
    lambda: C.check_hessian(not_implemented, *HESS_CASES[0]),
    lambda: C.check_gd_rate(not_implemented, not_implemented, *GD_CASES[0]),
    lambda: C.check_ema_weights(not_implemented, 0.9, 5),
    lambda: C.check_momentum_step(not_implemented, THETA, CONSTANT),
    lambda: C.check_rmsprop_step(not_implemented, THETA, CONSTANT),
    lambda: C.check_adam_step(not_implemented, THETA, CONSTANT),
    lambda: C.check_warmup_cosine(not_implemented, 20, 5, 0.1),
], ids=["classify", "hessian", "gd-rate", "ema", "momentum", "rmsprop", "adam", "schedule"])
def test_not_implemented_is_reported(run):
    fails_with(run, hint="not implemented yet")


def test_torch_optim_inside_a_step_is_refused():
    def via_torch(theta, g, state, lr, betas=(0.9, 0.999), eps=1e-8):
        p = state.setdefault("p", theta.clone().requires_grad_(True))
        opt = state.setdefault("opt", torch.optim.Adam([p], lr=lr, betas=betas, eps=eps))
        with torch.no_grad():
            p.copy_(theta)
        p.grad = g.clone()
        opt.step()
        return p.detach().clone()
    fails_with(C.check_adam_step, via_torch, THETA, CONSTANT[:5], hint="it calls torch.optim.Adam.step")


def test_autograd_hessian_is_refused():
    fails_with(C.check_hessian, lambda x, A: torch.autograd.functional.hessian(lambda z: R.double_well(z, A), x),
               *HESS_CASES[0], hint="it calls torch.autograd.functional.hessian")


def test_a_step_that_changes_theta_in_place_is_caught():
    def in_place(theta, g, state, lr, beta=0.9, nesterov=False):
        theta -= lr * g
        return theta
    fails_with(C.check_momentum_step, in_place, THETA, CONSTANT, hint="changed its argument `theta` in place")
