"""Chapter 11's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

WRONG = {
    "ex-optimal-d": {
        "swapped": '''
def optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    return torch.where(total > 0, p_g / torch.where(total > 0, total, torch.ones_like(total)), torch.full_like(total, 0.5))
''',
        "density-ratio": '''
def optimal_discriminator(p_data, p_g):
    return p_data / p_g
''',
        "nan-where-both-zero": '''
def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)
''',
        "halved": '''
def optimal_discriminator(p_data, p_g):
    total = p_data + p_g
    return torch.where(total > 0, p_data / (2 * torch.where(total > 0, total, torch.ones_like(total))), torch.full_like(total, 0.5))
''',
    },
    "ex-js": {
        "kl-instead": '''
def js_divergence(p, q):
    r = torch.where(p > 0, p / q, torch.ones_like(p))
    return (p * r.log()).sum(-1)
''',
        "one-sided": '''
def js_divergence(p, q):
    m = (p + q) / 2
    r = torch.where(p > 0, p / m, torch.ones_like(p))
    return (p * r.log()).sum(-1)
''',
        "log-of-zero": '''
def js_divergence(p, q):
    m = (p + q) / 2
    return ((p * (p / m).log()).sum(-1) + (q * (q / m).log()).sum(-1)) / 2
''',
        "bits": '''
def js_divergence(p, q):
    m = (p + q) / 2
    kl = lambda a: (a * torch.where(a > 0, a / m, torch.ones_like(a)).log2()).sum(-1)
    return (kl(p) + kl(q)) / 2
''',
    },
    "ex-gan-losses": {
        "labels-swapped": '''
def d_loss(real_logits, fake_logits):
    return -F.logsigmoid(-real_logits).mean() - F.logsigmoid(fake_logits).mean()

def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
''',
        "saturating-generator": '''
def d_loss(real_logits, fake_logits):
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()

def g_loss(fake_logits):
    return F.logsigmoid(-fake_logits).mean()
''',
        "naive-log-sigmoid": '''
def d_loss(real_logits, fake_logits):
    return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()

def g_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
''',
        "summed": '''
def d_loss(real_logits, fake_logits):
    return -F.logsigmoid(real_logits).sum() - F.logsigmoid(-fake_logits).sum()

def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).sum()
''',
    },
    "ex-logit-grads": {
        "exp-overflow": '''
def generator_logit_grads(fake_logits):
    e = torch.exp(fake_logits)
    return -e / (1 + e), -1 / (1 + e)
''',
        "derivative-wrt-D": '''
def generator_logit_grads(fake_logits):
    d = torch.sigmoid(fake_logits)
    return -1 / (1 - d), -1 / d
''',
        "complements-swapped": '''
def generator_logit_grads(fake_logits):
    d = torch.sigmoid(fake_logits)
    return d - 1, -d
''',
        "sign-of-non-saturating": '''
def generator_logit_grads(fake_logits):
    d = torch.sigmoid(fake_logits)
    return -d, 1 - d
''',
        "sigmoid-prime-only": '''
def generator_logit_grads(fake_logits):
    d = torch.sigmoid(fake_logits)
    return d * (1 - d), -d * (1 - d)
''',
    },
    "ex-gradient-penalty": {
        "squared-norm": '''
def gradient_penalty(critic, real, fake, eps, lam=10.0):
    e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * ((g.reshape(len(g), -1).pow(2).sum(1) - 1) ** 2).mean()
''',
        "no-create-graph": '''
def gradient_penalty(critic, real, fake, eps, lam=10.0):
    e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return lam * ((g.reshape(len(g), -1).norm(dim=1) - 1) ** 2).mean()
''',
        "one-norm-for-the-batch": '''
def gradient_penalty(critic, real, fake, eps, lam=10.0):
    e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * (g.norm() - 1) ** 2
''',
        "eps-swapped": '''
def gradient_penalty(critic, real, fake, eps, lam=10.0):
    e = eps.reshape((-1,) + (1,) * (real.dim() - 1))
    x_hat = ((1 - e) * real + e * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * ((g.reshape(len(g), -1).norm(dim=1) - 1) ** 2).mean()
''',
    },
    "ex-spectral-norm": {
        "fixed-step-count": '''
def spectral_norm(W, n_iter=50):
    v = torch.ones(W.shape[1], dtype=W.dtype)
    v = v / v.norm()
    for _ in range(500):
        v = W.T @ (W @ v)
        v = v / v.norm()
    return (W @ v).norm()
''',
        "left-vector-start": '''
def spectral_norm(W, n_iter=50):
    u = torch.ones(W.shape[0], dtype=W.dtype)
    u = u / u.norm()
    for _ in range(n_iter):
        u = W @ (W.T @ u)
        u = u / u.norm()
    return (W.T @ u).norm()
''',
        "sigma-squared": '''
def spectral_norm(W, n_iter=50):
    v = torch.ones(W.shape[1], dtype=W.dtype)
    v = v / v.norm()
    for _ in range(n_iter):
        u = W.T @ (W @ v)
        v = u / u.norm()
    return (W.T @ (W @ v)).norm()
''',
        "frobenius": '''
def spectral_norm(W, n_iter=50):
    return (W ** 2).sum().sqrt()
''',
        "library": '''
def spectral_norm(W, n_iter=50):
    return torch.linalg.matrix_norm(W, ord=2)
''',
        "few-steps": '''
def spectral_norm(W, n_iter=50):
    v = torch.ones(W.shape[1], dtype=W.dtype)
    for _ in range(3):
        v = W.T @ (W @ v)
        v = v / v.norm()
    return (W @ v).norm()
''',
    },
    "ex-frechet": {
        "roots-product": '''
def frechet_distance(mu1, S1, mu2, S2):
    def sqrtm(S):
        vals, vecs = torch.linalg.eigh(S)
        return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T
    return ((mu1 - mu2) ** 2).sum() + torch.trace(S1 + S2 - 2 * sqrtm(S1) @ sqrtm(S2))
''',
        "no-two": '''
def frechet_distance(mu1, S1, mu2, S2):
    def sqrtm(S):
        vals, vecs = torch.linalg.eigh(S)
        return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T
    r = sqrtm(S1)
    return ((mu1 - mu2) ** 2).sum() + torch.trace(S1 + S2 - sqrtm(r @ S2 @ r))
''',
        "elementwise-sqrt": '''
def frechet_distance(mu1, S1, mu2, S2):
    return ((mu1 - mu2) ** 2).sum() + torch.trace(S1 + S2 - 2 * (S1 @ S2).clamp(min=0).sqrt())
''',
        "square-root-taken": '''
def frechet_distance(mu1, S1, mu2, S2):
    def sqrtm(S):
        vals, vecs = torch.linalg.eigh(S)
        return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T
    r = sqrtm(S1)
    return (((mu1 - mu2) ** 2).sum() + torch.trace(S1 + S2 - 2 * sqrtm(r @ S2 @ r))).clamp(min=0).sqrt()
''',
    },
}
