"""Chapter 05: mistakes of kinds the catalogues do not list (other rules, forms, dtypes, in place...)."""

WRONG = {
    "ex-classify": {
        "never-degenerate": '''
def classify_critical_point(H, tol=1e-8):
    lam = torch.linalg.eigvalsh(H)
    if lam[0] > 0:
        return "min"
    if lam[-1] < 0:
        return "max"
    return "saddle"
''',
        "mean-eigenvalue": '''
def classify_critical_point(H, tol=1e-8):
    lam = torch.linalg.eigvalsh(H)
    if lam.abs().min() <= tol and not ((lam > tol).any() and (lam < -tol).any()):
        return "degenerate"
    return "min" if lam.mean() > 0 else "max"
''',
        "long-names": '''
def classify_critical_point(H, tol=1e-8):
    lam = torch.linalg.eigvalsh(H)
    if (lam > tol).any() and (lam < -tol).any():
        return "saddle point"
    if (lam > tol).all():
        return "minimum"
    if (lam < -tol).all():
        return "maximum"
    return "degenerate"
''',
    },
    "ex-hessian": {
        "gradient-instead": '''
def double_well_hessian(x, A):
    return (A + A.T) / 2 @ x + x ** 3
''',
        "float64-quartic": '''
def double_well_hessian(x, A):
    return (A + A.T) / 2 + torch.diag(3 * x.double() ** 2)
''',
        "square-in-place": '''
def double_well_hessian(x, A):
    d = x.mul_(x).mul_(3)
    return (A + A.T) / 2 + torch.diag(d)
''',
    },
    "ex-gd-rate": {
        "python-floats": '''
def gd_contraction(H, lr):
    lam = torch.linalg.eigvalsh(H)
    return float((1 - lr * lam).abs().max())


def gd_best_lr(H):
    lam = torch.linalg.eigvalsh(H)
    return float(2 / (lam[0] + lam[-1]))
''',
        "returns-the-rate": '''
def gd_contraction(H, lr):
    lam = torch.linalg.eigvalsh(H)
    return (1 - lr * lam).abs().max()


def gd_best_lr(H):
    lam = torch.linalg.eigvalsh(H)
    kappa = lam[-1] / lam[0]
    return (kappa - 1) / (kappa + 1)
''',
    },
    "ex-momentum": {
        "beta-on-gradient": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = state.get("v", torch.zeros_like(g)) + beta * g
    state["v"] = v
    return theta - lr * (g + beta * v if nesterov else v)
''',
        "returns-velocity": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + g
    state["v"] = v
    return v
''',
        "nesterov-minus": '''
def momentum_step(theta, g, state, lr, beta=0.9, nesterov=False):
    v = beta * state.get("v", torch.zeros_like(g)) + g
    state["v"] = v
    return theta - lr * (g - beta * v if nesterov else v)
''',
    },
    "ex-rmsprop": {
        "abs-not-square": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(g)) + (1 - alpha) * g.abs()
    state["s"] = s
    return theta - lr * g / (s + eps)
''',
        "grad-in-place": '''
def rmsprop_step(theta, g, state, lr=1e-2, alpha=0.99, eps=1e-8):
    s = alpha * state.get("s", torch.zeros_like(g)) + (1 - alpha) * g * g
    state["s"] = s
    g /= s.sqrt() + eps
    return theta - lr * g
''',
    },
    "ex-ema": {
        "float32": '''
def ema_weights(beta, k):
    i = torch.arange(1, k + 1)
    return (1 - beta) * beta ** (k - i).float()
''',
        "python-list": '''
def ema_weights(beta, k):
    return [(1 - beta) * beta ** (k - i) for i in range(1, k + 1)]
''',
        "k-plus-one-terms": '''
def ema_weights(beta, k):
    i = torch.arange(0, k + 1, dtype=torch.float64)
    return (1 - beta) * beta ** (k - i)
''',
    },
    "ex-adam": {
        "v-from-m": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * m * m
    state.update(m=m, v=v, t=t)
    return theta - lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t)).sqrt() + eps)
''',
        "count-before-increment": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.get("t", 1)
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g * g
    state.update(m=m, v=v, t=t + 1)
    return theta - lr * (m / (1 - b1 ** (t - 1 + 1e-12))) / ((v / (1 - b2 ** (t - 1 + 1e-12))).sqrt() + eps)
''',
        "lr-squared-correction": '''
def adam_step(theta, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state.get("t", 0) + 1
    m = b1 * state.get("m", torch.zeros_like(g)) + (1 - b1) * g
    v = b2 * state.get("v", torch.zeros_like(g)) + (1 - b2) * g * g
    state.update(m=m, v=v, t=t)
    return theta - lr * (m / (1 - b1 ** t)) / ((v / (1 - b2 ** t) ** 2).sqrt() + eps)
''',
    },
    "ex-schedule": {
        "degrees": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return lr_max * (step + 1) / warmup_steps
    s, S = step - warmup_steps, total_steps - warmup_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(180 * s / S)) / 2
''',
        "warmup-to-w-minus-one": '''
def warmup_cosine(step, total_steps, warmup_steps, lr_max, lr_min=0.0):
    if step < warmup_steps:
        return lr_max * step / (warmup_steps - 1)
    s, S = step - warmup_steps, total_steps - warmup_steps
    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * s / S)) / 2
''',
    },
}
