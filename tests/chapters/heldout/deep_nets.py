"""Chapter 06: mistakes of kinds the catalogues do not list (wrong axis, rounding, missing eps, scaling)."""

_BLOCK = '''
class ResidualBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    def forward(self, x):
        return {out}
'''

WRONG = {
    "ex-keeping-std": {
        "kept-fraction-inverted": '''
def keeping_std(fan_in, negative_slope=0.0):
    kept = (1 + negative_slope ** 2) / 2
    return math.sqrt(kept / fan_in)
''',
        "rounded": '''
def keeping_std(fan_in, negative_slope=0.0):
    return round(math.sqrt(2 / ((1 + negative_slope ** 2) * fan_in)), 2)
''',
    },
    "ex-batchnorm-forward": {
        "statistics-over-features": '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mean = x.mean(dim=1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
        new_mean = (1 - momentum) * running_mean + momentum * x.mean(dim=0)
        new_var = (1 - momentum) * running_var + momentum * x.var(dim=0)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.clone(), running_var.clone()
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta, new_mean, new_var
''',
        "running-std-not-var": '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mean = x.mean(dim=0)
        var = ((x - mean) ** 2).mean(dim=0)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * x.std(dim=0)
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.clone(), running_var.clone()
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta, new_mean, new_var
''',
    },
    "ex-batchnorm-backward": {
        "whole-sign": '''
def batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    mu = x.mean(dim=0)
    sigma = torch.sqrt(((x - mu) ** 2).mean(dim=0) + eps)
    x_hat = (x - mu) / sigma
    g_hat = grad_out * gamma
    dx = (g_hat.mean(dim=0) + x_hat * (g_hat * x_hat).mean(dim=0) - g_hat) / sigma
    return dx, (grad_out * x_hat).sum(dim=0), grad_out.sum(dim=0)
''',
        "xhat-without-eps": '''
def batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    mu = x.mean(dim=0)
    sigma = torch.sqrt(((x - mu) ** 2).mean(dim=0))
    x_hat = (x - mu) / sigma
    g_hat = grad_out * gamma
    dx = (g_hat - g_hat.mean(dim=0) - x_hat * (g_hat * x_hat).mean(dim=0)) / sigma
    return dx, (grad_out * x_hat).sum(dim=0), grad_out.sum(dim=0)
''',
    },
    "ex-layer-norm": {
        "dim-1-not-last": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta
''',
        "eps-ignored": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * gamma + beta
''',
    },
    "ex-clip-grad-norm": {
        "max-instead-of-min": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = torch.clamp(max_norm / (total + 1e-6), min=1.0)
    return [g * scale for g in grads], total
''',
        "only-first-tensor": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    return [grads[0] * scale] + [g.clone() for g in grads[1:]], total
''',
    },
    "ex-residual-block": {
        "relu-on-residual-branch": _BLOCK.format(out="self.shortcut(x) + torch.relu(self.fc2(torch.relu(self.fc1(torch.relu(x)))))"),
        "averaged-sum": _BLOCK.format(out="0.5 * (self.shortcut(x) + self.fc2(torch.relu(self.fc1(torch.relu(x)))))"),
    },
}
