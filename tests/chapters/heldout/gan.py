"""Chapter 11: mistakes of kinds the catalogues do not list (in place, fudge terms, other axes,
weights of the batches, types, non-symmetric square roots)."""

WRONG = {
    "ex-optimal-d": {
        "in-place": '''
def optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    p_data /= torch.where(total > 0, total, torch.ones_like(total))
    return torch.where(total > 0, p_data, torch.full_like(total, 0.5))
''',
        "fudge-term": '''
def optimal_discriminator(p_data, p_g):
    return (p_data + 1e-3) / (p_data + p_g + 2e-3)
''',
    },
    "ex-js": {
        "wrong-axis": '''
def js_divergence(p, q):
    m = (p + q) / 2
    kl = lambda a: (a * torch.where(a > 0, a / m, torch.ones_like(a)).log()).sum(0)
    return (kl(p) + kl(q)) / 2
''',
        "mixture-not-halved": '''
def js_divergence(p, q):
    m = p + q
    kl = lambda a: (a * torch.where(a > 0, a / m, torch.ones_like(a)).log()).sum(-1)
    return (kl(p) + kl(q)) / 2
''',
    },
    "ex-gan-losses": {
        "one-mean-over-both-batches": '''
def d_loss(real_logits, fake_logits):
    return -torch.cat([F.logsigmoid(real_logits), F.logsigmoid(-fake_logits)]).mean()

def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
''',
        "python-float": '''
def d_loss(real_logits, fake_logits):
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()

def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean().item()
''',
    },
    "ex-logit-grads": {
        "batch-mean": '''
def generator_logit_grads(fake_logits):
    d = torch.sigmoid(fake_logits)
    return -d / len(d), (d - 1) / len(d)
''',
        "always-float64": '''
def generator_logit_grads(fake_logits):
    d = torch.sigmoid(fake_logits.double())
    return -d, d - 1
''',
    },
    "ex-gradient-penalty": {
        "mean-norm-first": '''
def gradient_penalty(critic, real, fake, eps, lam=10.0):
    e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * (g.reshape(len(g), -1).norm(dim=1).mean() - 1) ** 2
''',
        "eps-not-reshaped": '''
def gradient_penalty(critic, real, fake, eps, lam=10.0):
    x_hat = (eps * real.T + (1 - eps) * fake.T).T.detach().requires_grad_(True) if real.dim() == 2 else (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * ((g.reshape(len(g), -1).norm(dim=1) - 1) ** 2).mean()
''',
    },
    "ex-spectral-norm": {
        "python-float": '''
def spectral_norm(W, n_iter=50):
    v = torch.ones(W.shape[1], dtype=W.dtype)
    for _ in range(n_iter):
        v = W.T @ (W @ v)
        v = v / v.norm()
    return float((W @ v).norm())
''',
        "rows-not-columns": '''
def spectral_norm(W, n_iter=50):
    v = torch.ones(W.shape[1], dtype=W.dtype)
    for _ in range(n_iter):
        v = W.T @ (W @ v)
        v = v / v.norm()
    return (W @ v).norm() / v.abs().max()
''',
    },
    "ex-frechet": {
        "eigh-of-a-nonsymmetric-product": '''
def frechet_distance(mu1, S1, mu2, S2):
    vals = torch.linalg.eigh(S1 @ S2).eigenvalues.clamp(min=0)
    return ((mu1 - mu2) ** 2).sum() + torch.trace(S1) + torch.trace(S2) - 2 * vals.sqrt().sum()
''',
        "root-of-the-trace": '''
def frechet_distance(mu1, S1, mu2, S2):
    return ((mu1 - mu2) ** 2).sum() + torch.trace(S1) + torch.trace(S2) - 2 * torch.trace(S1 @ S2).sqrt()
''',
    },
}
