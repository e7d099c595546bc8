"""Chapter 10: mistakes of kinds the catalogues do not list (in place, dtypes, batch mixing, axes...)."""

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

WRONG = {
    "ex-kl": {
        "float32-inside": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    mu_q, logvar_q, mu_p, logvar_p = (t.float() for t in (mu_q, logvar_q, mu_p, logvar_p))
    return 0.5 * (torch.exp(logvar_q - logvar_p) + (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
                  - 1 - logvar_q + logvar_p).sum(dim=-1)
''',
        "batch-axis": '''
def kl_diag_gaussians(mu_q, logvar_q, mu_p, logvar_p):
    return 0.5 * (torch.exp(logvar_q - logvar_p) + (mu_q - mu_p) ** 2 / torch.exp(logvar_p)
                  - 1 - logvar_q + logvar_p).sum(dim=0)
''',
    },
    "ex-reparam": {
        "in-place": '''
def reparameterize(mu, logvar, eps):
    return mu.add_(torch.exp(0.5 * logvar) * eps)
''',
        "float32-constant": '''
def reparameterize(mu, logvar, eps):
    half = torch.tensor(0.5)
    return (mu + torch.exp(half * logvar.float()) * eps.float())
''',
    },
    "ex-elbo": {
        "logits-clamped-in-place": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    x_logits = x_logits.clamp_(-30.0, 30.0)
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return recon + beta * kl, recon, kl
''',
        "python-floats": '''
def negative_elbo(x, x_logits, mu, logvar, beta=1.0):
    recon = (torch.nn.functional.softplus(x_logits) - x * x_logits).flatten(1).sum(dim=1).mean()
    kl = (0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar)).sum(dim=1).mean()
    return float(recon + beta * kl), float(recon), float(kl)
''',
    },
    "ex-angles": {
        "gram-eigen": '''
def subspace_angles(A, B):
    Qa, _ = torch.linalg.qr(A)
    Qb, _ = torch.linalg.qr(B)
    M = Qa.T @ Qb
    cos = torch.linalg.eigvalsh(M @ M.T).clamp(0, 1)
    return torch.rad2deg(torch.arccos(cos))
''',
        "float32-always": '''
def subspace_angles(A, B):
    Qa, _ = torch.linalg.qr(A.float())
    Qb, _ = torch.linalg.qr(B.float())
    return torch.rad2deg(torch.arccos(torch.linalg.svdvals(Qa.T @ Qb).clamp(-1, 1)))
''',
    },
    "ex-iwae": {
        "wrong-axis": '''
def iwae_bound(log_w):
    top = log_w.max(dim=0, keepdim=True).values
    return (top + torch.log(torch.exp(log_w - top).mean(dim=0, keepdim=True))).squeeze(0)
''',
        "k-minus-one": '''
def iwae_bound(log_w):
    top = log_w.max(dim=1, keepdim=True).values
    return top.squeeze(1) + torch.log(torch.exp(log_w - top).sum(dim=1)) - math.log(max(log_w.shape[1] - 1, 1))
''',
    },
    "ex-coupling": {
        "logdet-batch-sum": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), ((1 - m) * h).sum().expand(z.shape[0])

    def inverse(self, x):
        m = self.mask
        h, g = self.scale_shift(x * m)
        return m * x + (1 - m) * (x - g) * torch.exp(-h)
''',
        "inverse-in-place": _COUPLING_HEAD + '''
    def forward(self, z):
        m = self.mask
        h, g = self.scale_shift(z * m)
        return m * z + (1 - m) * (z * torch.exp(h) + g), ((1 - m) * h).sum(dim=-1)

    def inverse(self, x):
        m = self.mask
        h, g = self.scale_shift(x * m)
        x.sub_((1 - m) * g)
        return m * x + (1 - m) * x * torch.exp(-h)
''',
    },
}
