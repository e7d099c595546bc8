"""Chapter 10's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_COUPLING_HEAD = '''
from torch import nn


class AffineCoupling(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 2 * dim))

    def scale_shift(self, kept):
        h, g = self.net(kept).chunk(2, dim=-1)
        return torch.tanh(h), g
'''
_FORWARD_OK = '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), ((1 - m) * h).sum(dim=-1)
'''
_INVERSE_OK = '''
    def inverse(self, x):
        m = self.mask
        h, g = self.scale_shift(x * m)
        return m * x + (1 - m) * (x - g) * torch.exp(-h)
'''

WRONG = {
    "ex-kl": {
        "no-minus-one": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (torch.exp(logvar_q - logvar_p) + (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
                  - logvar_q + logvar_p).sum(dim=-1)
''',
        "log-sign": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (torch.exp(logvar_q - logvar_p) + (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
                  - 1 + logvar_q - logvar_p).sum(dim=-1)
''',
        "std-for-var": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    s_q, s_p = torch.exp(0.5 * logvar_q), torch.exp(0.5 * logvar_p)
    return 0.5 * (s_q / s_p + (mu_q - mu_p) ** 2 / s_p - 1 - torch.log(s_q / s_p)).sum(dim=-1)
''',
        "reversed-kl": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (torch.exp(logvar_p - logvar_q) + (mu_q - mu_p) ** 2 / torch.exp(logvar_q)
                  - 1 - logvar_p + logvar_q).sum(dim=-1)
''',
        "no-half": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    return (torch.exp(logvar_q - logvar_p) + (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
            - 1 - logvar_q + logvar_p).sum(dim=-1)
''',
        "library": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    q = torch.distributions.Normal(mu_q, torch.exp(0.5 * logvar_q))
    p = torch.distributions.Normal(mu_p, torch.exp(0.5 * logvar_p))
    return torch.distributions.kl_divergence(q, p).sum(dim=-1)
''',
    },
    "ex-reparam": {
        "variance": '''
def reparameterize(mu, logvar, eps):
    return mu + torch.exp(logvar) * eps
''',
        "logvar-as-sigma": '''
def reparameterize(mu, logvar, eps):
    return mu + logvar * eps
''',
        "detached": '''
def reparameterize(mu, logvar, eps):
    return (mu + torch.exp(0.5 * logvar) * eps).detach()
''',
        "fresh-noise": '''
def reparameterize(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
''',
    },
    "ex-elbo": {
        "pixel-mean": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).flatten(1).mean(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return recon + beta * kl, recon, kl
''',
        "kl-sign": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return recon - beta * kl, recon, kl
''',
        "sigmoid-then-log": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    p = torch.sigmoid(x_logits)
    recon = (-(x * torch.log(p) + (1 - x) * torch.log(1 - p))).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return recon + beta * kl, recon, kl
''',
        "beta-on-recon": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return beta * recon + kl, recon, kl
''',
        "batch-sum": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).sum()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum()
    return recon + beta * kl, recon, kl
''',
        "flat-only": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return recon + beta * kl, recon, kl
''',
        "kl-mean-over-dims": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).mean()
    return recon + beta * kl, recon, kl
''',
        "clamped-probs": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    p = torch.sigmoid(x_logits).clamp(1e-7, 1 - 1e-7)
    recon = (-(x * torch.log(p) + (1 - x) * torch.log(1 - p))).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return recon + beta * kl, recon, kl
''',
    },
    "ex-angles": {
        "radians": '''
def subspace_angles(A, B):
    Qa, _ = torch.linalg.qr(A)
    Qb, _ = torch.linalg.qr(B)
    return torch.arccos(torch.linalg.svdvals(Qa.T @ Qb).clamp(-1, 1))
''',
        "not-orthonormalised": '''
def subspace_angles(A, B):
    A = A / A.norm(dim=0)
    B = B / B.norm(dim=0)
    return torch.rad2deg(torch.arccos(torch.linalg.svdvals(A.T @ B).clamp(-1, 1)))
''',
        "column-pairs": '''
def subspace_angles(A, B):
    k = min(A.shape[1], B.shape[1])
    cos = (A[:, :k] / A[:, :k].norm(dim=0) * B[:, :k] / B[:, :k].norm(dim=0)).sum(0).abs().clamp(-1, 1)
    return torch.sort(torch.rad2deg(torch.arccos(cos))).values
''',
        "one-side-orthonormal": '''
def subspace_angles(A, B):
    Qa, _ = torch.linalg.qr(A)
    return torch.rad2deg(torch.arccos(torch.linalg.svdvals(Qa.T @ B).clamp(-1, 1)))
''',
        "descending": '''
def subspace_angles(A, B):
    Qa, _ = torch.linalg.qr(A)
    Qb, _ = torch.linalg.qr(B)
    return torch.rad2deg(torch.arccos(torch.linalg.svdvals(Qa.T @ Qb).clamp(-1, 1))).flip(0)
''',
    },
    "ex-iwae": {
        "elbo": '''
def iwae_bound(log_w):
    return log_w.mean(dim=1)
''',
        "naive": '''
def iwae_bound(log_w):
    return torch.log(torch.exp(log_w).mean(dim=1))
''',
        "no-log-k": '''
def iwae_bound(log_w):
    top = log_w.max(dim=1, keepdim=True).values
    return top.squeeze(1) + torch.log(torch.exp(log_w - top).sum(dim=1))
''',
        "global-max": '''
def iwae_bound(log_w):
    top = log_w.max()
    return top + torch.log(torch.exp(log_w - top).mean(dim=1))
''',
        "min-shift": '''
def iwae_bound(log_w):
    low = log_w.min(dim=1, keepdim=True).values
    return low.squeeze(1) + torch.log(torch.exp(log_w - low).mean(dim=1))
''',
        "mean-shift": '''
def iwae_bound(log_w):
    centre = log_w.mean(dim=1, keepdim=True)
    return centre.squeeze(1) + torch.log(torch.exp(log_w - centre).mean(dim=1))
''',
        "first-column-shift": '''
def iwae_bound(log_w):
    ref = log_w[:, :1]
    return ref.squeeze(1) + torch.log(torch.exp(log_w - ref).mean(dim=1))
''',
    },
    "ex-coupling": {
        "logdet-all-entries": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), h.sum(dim=-1)
''' + _INVERSE_OK,
        "logdet-exp": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), ((1 - m) * torch.exp(h)).sum(dim=-1)
''' + _INVERSE_OK,
        "inverse-order": _COUPLING_HEAD + _FORWARD_OK + '''
    def inverse(self, x):
        m = self.mask
        h, g = self.scale_shift(x * m)
        return m * x + (1 - m) * (x * torch.exp(-h) - g)
''',
        "inverse-unmasked": _COUPLING_HEAD + _FORWARD_OK + '''
    def inverse(self, x):
        m = self.mask
        h, g = self.scale_shift(x)
        return m * x + (1 - m) * (x - g) * torch.exp(-h)
''',
        "forward-unmasked": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z)
        return m * z + (1 - m) * (z * torch.exp(h) + g), ((1 - m) * h).sum(dim=-1)
''' + _INVERSE_OK,
        "logdet-kept-entries": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), (m * h).sum(dim=-1)
''' + _INVERSE_OK,
        "logdet-negative": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), -((1 - m) * h).sum(dim=-1)
''' + _INVERSE_OK,
    },
}
