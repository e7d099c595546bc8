"""Chapter 05's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

WRONG = {
    "ex-classify": {
        "diagonal-rule": '''
def classify_critical_point(H, tol=1e-8):
    d = torch.diagonal(H)
    if bool((d > tol).all()):
        return "min"
    if bool((d < -tol).all()):
        return "max"
    if bool((d > tol).any()) and bool((d < -tol).any()):
        return "saddle"
    return "degenerate"
''',
        "det-trace-rule": '''
def classify_critical_point(H, tol=1e-8):
    det = torch.linalg.det(H)
    if abs(det) <= tol:
        return "degenerate"
    if det < 0:
        return "saddle"
    return "min" if torch.trace(H) > 0 else "max"
''',
        "no-tolerance": '''
def classify_critical_point(H, tol=1e-8):
    lam = torch.linalg.eigvalsh(H)
    if (lam > 0).all():
        return "min"
    if (lam < 0).all():
        return "max"
    if (lam > 0).any() and (lam < 0).any():
        return "saddle"
    return "degenerate"
''',
        "zero-before-saddle": '''
def classify_critical_point(H, tol=1e-8):
    lam = torch.linalg.eigvalsh(H)
    if (lam.abs() <= tol).any():
        return "degenerate"
    if (lam > tol).all():
        return "min"
    if (lam < -tol).all():
        return "max"
    return "saddle"
''',
        "relative-tol": '''
def classify_critical_point(H, tol=1e-8):
    lam = torch.linalg.eigvalsh(H)
    t = tol * max(1.0, float(lam.abs().max()))
    if bool((lam > t).any()) and bool((lam < -t).any()):
        return "saddle"
    if bool((lam > t).all()):
        return "min"
    if bool((lam < -t).all()):
        return "max"
    return "degenerate"
''',
    },
    "ex-hessian": {
        "not-symmetrised": '''
def double_well_hessian(x, A):
    return A + torch.diag(3 * x ** 2)
''',
        "no-half": '''
def double_well_hessian(x, A):
    return A + A.T + torch.diag(3 * x ** 2)
''',
        "no-three": '''
def double_well_hessian(x, A):
    return (A + A.T) / 2 + torch.diag(x ** 2)
''',
        "outer-product": '''
def double_well_hessian(x, A):
    return (A + A.T) / 2 + 3 * torch.outer(x, x)
''',
        "autograd": '''
def double_well_hessian(x, A):
    f = lambda z: 0.5 * z @ A @ z + 0.25 * (z ** 4).sum()
    return torch.autograd.functional.hessian(f, x)
''',
    },
    "ex-gd-rate": {
        "no-abs": '''
def gd_contraction(H, lr):
    return (1 - lr * torch.linalg.eigvalsh(H)).max()


def gd_best_lr(H):
    lam = torch.linalg.eigvalsh(H)
    return 2 / (lam[0] + lam[-1])
''',
        "largest-eigenvalue-only": '''
def gd_contraction(H, lr):
    return (1 - lr * torch.linalg.eigvalsh(H)[-1]).abs()


def gd_best_lr(H):
    lam = torch.linalg.eigvalsh(H)
    return 2 / (lam[0] + lam[-1])
''',
        "one-over-lmax": '''
def gd_contraction(H, lr):
    return (1 - lr * torch.linalg.eigvalsh(H)).abs().max()


def gd_best_lr(H):
    return 1 / torch.linalg.eigvalsh(H)[-1]
''',
        "two-over-lmax": '''
def gd_contraction(H, lr):
    return (1 - lr * torch.linalg.eigvalsh(H)).abs().max()


def gd_best_lr(H):
    return 2 / torch.linalg.eigvalsh(H).max()
''',
        "diagonal": '''
def gd_contraction(H, lr):
    return (1 - lr * torch.diagonal(H)).abs().max()


def gd_best_lr(H):
    d = torch.diagonal(H)
    return 2 / (d.min() + d.max())
''',
    },
    "ex-momentum": {
        "dampened": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + (1 - beta) * g
    state["v"] = v
    return theta - lr * (g + beta * v if nesterov else v)
''',
        "lr-in-velocity": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + lr * g
    state["v"] = v
    if nesterov:
        return theta - (lr * g + beta * v)
    return theta - v
''',
        "old-velocity": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = state.get("v", torch.zeros_like(g))
    state["v"] = beta * v + g
    return theta - lr * v
''',
        "no-memory": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = torch.zeros_like(g)
    v = beta * v + g
    return theta - lr * (g + beta * v if nesterov else v)
''',
        "nesterov-ignored": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + g
    state["v"] = v
    return theta - lr * v
''',
        "in-place": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state["v"] + g if "v" in state else g.clone()
    state["v"] = v
    theta -= lr * (g + beta * v if nesterov else v)
    return theta
''',
    },
    "ex-rmsprop": {
        "eps-inside-sqrt": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(g)) + (1 - alpha) * g ** 2
    state["s"] = s
    return theta - lr * g / torch.sqrt(s + eps)
''',
        "adagrad": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    s = state.get("s", torch.zeros_like(g)) + g ** 2
    state["s"] = s
    return theta - lr * g / (s.sqrt() + eps)
''',
        "no-one-minus-alpha": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(g)) + g ** 2
    state["s"] = s
    return theta - lr * g / (s.sqrt() + eps)
''',
        "bias-corrected": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    state["t"] = state.get("t", 0) + 1
    s = alpha * state.get("s", torch.zeros_like(g)) + (1 - alpha) * g ** 2
    state["s"] = s
    return theta - lr * g / ((s / (1 - alpha ** state["t"])).sqrt() + eps)
''',
        "s-starts-at-g2": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    s = alpha * state["s"] + (1 - alpha) * g * g if "s" in state else g * g
    state["s"] = s
    return theta - lr * g / (s.sqrt() + eps)
''',
    },
    "ex-ema": {
        "reversed": '''
def ema_weights(beta, k):
    i = torch.arange(1, k + 1, dtype=torch.float64)
    return (1 - beta) * beta ** (i - 1)
''',
        "no-one-minus-beta": '''
def ema_weights(beta, k):
    i = torch.arange(1, k + 1, dtype=torch.float64)
    return beta ** (k - i)
''',
        "exponent-off-by-one": '''
def ema_weights(beta, k):
    i = torch.arange(1, k + 1, dtype=torch.float64)
    return (1 - beta) * beta ** (k - i + 1)
''',
        "normalised": '''
def ema_weights(beta, k):
    i = torch.arange(1, k + 1, dtype=torch.float64)
    w = (1 - beta) * beta ** (k - i)
    return w / w.sum()
''',
    },
    "ex-adam": {
        "wraps-the-course-adam": '''
from helpers.training import Adam

def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if "opt" not in state:
        state["p"] = theta.clone().requires_grad_(True)
        state["opt"] = Adam([state["p"]], lr=lr, betas=betas, eps=eps)
    state["p"].grad = g.clone()
    state["opt"].step()
    return state["p"].detach().clone()
''',
        "no-bias-correction": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g ** 2
    state["m"], state["v"] = m, v
    return theta - lr * m / (v.sqrt() + eps)
''',
        "m-only": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g ** 2
    state.update(m=m, v=v, t=t)
    return theta - lr * (m / (1 - b1 ** t)) / (v.sqrt() + eps)
''',
        "eps-inside-sqrt": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g ** 2
    state.update(m=m, v=v, t=t)
    return theta - lr * (m / (1 - b1 ** t)) / torch.sqrt(v / (1 - b2 ** t) + eps)
''',
        "t-not-counted": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g ** 2
    state.update(m=m, v=v)
    return theta - lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + eps)
''',
        "one-minus-beta-power": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g ** 2
    state.update(m=m, v=v, t=t)
    return theta - lr * (m / (1 - b1) ** t) / ((v / (1 - b2) ** t).sqrt() + eps)
''',
        "torch-optim": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    if "opt" not in state:
        state["p"] = theta.clone().requires_grad_(True)
        state["opt"] = torch.optim.Adam([state["p"]], lr=lr, betas=betas, eps=eps)
    p = state["p"]
    with torch.no_grad():
        p.copy_(theta)
    p.grad = g.clone()
    for group in state["opt"].param_groups:
        group["lr"] = lr
    state["opt"].step()
    return p.detach().clone()
''',
    },
    "ex-schedule": {
        "warmup-from-zero": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    s, S = step - warmup_steps, total_steps - warmup_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * s / S)) / 2
''',
        "cosine-from-step-0": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * step / (total_steps - warmup_steps))) / 2
''',
        "period-total": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * (step - warmup_steps) / total_steps)) / 2
''',
        "no-lr-min": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    s, S = step - warmup_steps, total_steps - warmup_steps
    return lr_max * (1 + math.cos(math.pi * s / S)) / 2
''',
        "tensor-result": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return torch.tensor([lr_max * (step + 1) / warmup_steps])
    s, S = step - warmup_steps, total_steps - warmup_steps
    return torch.tensor([lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * s / S)) / 2, 0.0])
''',
    },
}
