"""Chapter 06's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_BN_FORWARD = '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mean = x.mean(dim=0)
        var = {var}
        new_mean = {new_mean}
        new_var = {new_var}
    else:
        mean, var = {eval_stats}
        new_mean, new_var = running_mean.clone(), running_var.clone()
    y = (x - mean) / {denom} * gamma + beta
    return y, new_mean, new_var
'''
_BN_OK = dict(var="((x - mean) ** 2).mean(dim=0)",
              new_mean="(1 - momentum) * running_mean + momentum * mean",
              new_var="(1 - momentum) * running_var + momentum * var * n / (n - 1)",
              eval_stats="running_mean, running_var", denom="torch.sqrt(var + eps)")


def _bn(**change):
    return _BN_FORWARD.format(**{**_BN_OK, **change})


_BN_BACKWARD = '''
def batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    n = x.shape[0]
    mu = x.mean(dim=0)
    sigma = torch.sqrt(((x - mu) ** 2).mean(dim=0) + eps)
    x_hat = (x - mu) / sigma
    dbeta = grad_out.sum(dim=0)
    dgamma = (grad_out * x_hat).sum(dim=0)
    g_hat = grad_out * gamma
    dx = {dx}
    return dx, dgamma, dbeta
'''

WRONG = {
    "ex-keeping-std": {
        "he-for-every-slope": '''
def keeping_std(fan_in, negative_slope=0.0):
    return math.sqrt(2 / fan_in)
''',
        "variance-returned": '''
def keeping_std(fan_in, negative_slope=0.0):
    return 2 / ((1 + negative_slope ** 2) * fan_in)
''',
        "slope-not-squared": '''
def keeping_std(fan_in, negative_slope=0.0):
    return math.sqrt(2 / ((1 + negative_slope) * fan_in))
''',
        "std-times-two": '''
def keeping_std(fan_in, negative_slope=0.0):
    return 2 * math.sqrt(1 / ((1 + negative_slope ** 2) * fan_in))
''',
        "lecun": '''
def keeping_std(fan_in, negative_slope=0.0):
    return 1 / math.sqrt(fan_in)
''',
        "variance-of-a": '''
def keeping_std(fan_in, negative_slope=0.0):
    s = negative_slope
    mean_a = (1 - s) / math.sqrt(2 * math.pi)          # E[a] for standard-normal z
    return math.sqrt(1 / (fan_in * ((1 + s * s) / 2 - mean_a ** 2)))
''',
        "library-gain": '''
def keeping_std(fan_in, negative_slope=0.0):
    return torch.nn.init.calculate_gain("leaky_relu", negative_slope) / math.sqrt(fan_in)
''',
    },
    "ex-batchnorm-forward": {
        "keras-momentum": _bn(new_mean="momentum * running_mean + (1 - momentum) * mean",
                              new_var="momentum * running_var + (1 - momentum) * var * n / (n - 1)"),
        "running-var-biased": _bn(new_var="(1 - momentum) * running_var + momentum * var"),
        "normalize-with-unbiased": _bn(var="x.var(dim=0)",
                                       new_var="(1 - momentum) * running_var + momentum * var"),
        "eps-outside-sqrt": _bn(denom="(torch.sqrt(var) + eps)"),
        "no-eps": _bn(denom="torch.sqrt(var)"),
        "eval-biased-running-var": _bn(eval_stats="running_mean, running_var * (x.shape[0] - 1) / x.shape[0]"),
        "batch-stats-in-eval": _bn(eval_stats="x.mean(dim=0), ((x - x.mean(dim=0)) ** 2).mean(dim=0)"),
        "in-place-running": '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mean = x.mean(dim=0)
        var = ((x - mean) ** 2).mean(dim=0)
        running_mean.mul_(1 - momentum).add_(momentum * mean)
        running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    y = (x - mean) / torch.sqrt(var + eps) * gamma + beta
    return y, running_mean, running_var
''',
        "library": '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    rm, rv = running_mean.clone(), running_var.clone()
    y = F.batch_norm(x, rm, rv, gamma, beta, training=training, momentum=momentum, eps=eps)
    return y, rm, rv
''',
    },
    "ex-batchnorm-backward": {
        "statistics-as-constants": _BN_BACKWARD.format(dx="g_hat / sigma"),
        "no-variance-path": _BN_BACKWARD.format(dx="(g_hat - g_hat.mean(dim=0)) / sigma"),
        "no-mean-path": _BN_BACKWARD.format(dx="(g_hat - x_hat * (g_hat * x_hat).mean(dim=0)) / sigma"),
        "gamma-forgotten": _BN_BACKWARD.format(
            dx="(grad_out - grad_out.mean(dim=0) - x_hat * (grad_out * x_hat).mean(dim=0)) / sigma"),
        "variance-path-sign": _BN_BACKWARD.format(
            dx="(g_hat - g_hat.mean(dim=0) + x_hat * (g_hat * x_hat).mean(dim=0)) / sigma"),
        "dgamma-without-xhat": '''
def batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    mu = x.mean(dim=0)
    sigma = torch.sqrt(((x - mu) ** 2).mean(dim=0) + eps)
    x_hat = (x - mu) / sigma
    g_hat = grad_out * gamma
    dx = (g_hat - g_hat.mean(dim=0) - x_hat * (g_hat * x_hat).mean(dim=0)) / sigma
    return dx, grad_out.sum(dim=0), grad_out.sum(dim=0)
''',
        "unbiased-variance": '''
def batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    mu = x.mean(dim=0)
    sigma = torch.sqrt(x.var(dim=0) + eps)
    x_hat = (x - mu) / sigma
    g_hat = grad_out * gamma
    dx = (g_hat - g_hat.mean(dim=0) - x_hat * (g_hat * x_hat).mean(dim=0)) / sigma
    return dx, (grad_out * x_hat).sum(dim=0), grad_out.sum(dim=0)
''',
        "autograd": '''
def batchnorm_backward(grad_out, x, gamma, eps=1e-5):
    x = x.detach().clone().requires_grad_(True)
    gamma = gamma.detach().clone().requires_grad_(True)
    beta = torch.zeros_like(gamma, requires_grad=True)
    mu = x.mean(dim=0)
    y = (x - mu) / torch.sqrt(((x - mu) ** 2).mean(dim=0) + eps) * gamma + beta
    y.backward(grad_out)
    return x.grad, gamma.grad, beta.grad
''',
    },
    "ex-layer-norm": {
        "over-the-batch": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=0, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta
''',
        "unbiased-variance": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(x.var(dim=-1, keepdim=True) + eps) * gamma + beta
''',
        "eps-outside-sqrt": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    std = ((x - mean) ** 2).mean(dim=-1, keepdim=True).sqrt()
    return (x - mean) / (std + eps) * gamma + beta
''',
        "no-eps": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var) * gamma + beta
''',
        "gamma-beta-swapped": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * beta + gamma
''',
        "library": '''
def layer_norm(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)
''',
    },
    "ex-clip-grad-norm": {
        "per-tensor": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * torch.clamp(max_norm / (g.norm() + 1e-6), max=1.0) for g in grads], total
''',
        "no-min": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    return [g * max_norm / (total + 1e-6) for g in grads], total
''',
        "by-value": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    return [g.clamp(-max_norm, max_norm) for g in grads], total
''',
        "sum-of-norms": '''
def clip_grad_norm(grads, max_norm):
    total = sum(g.norm() for g in grads)
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    return [g * scale for g in grads], total
''',
        "no-eps": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = torch.clamp(max_norm / total, max=1.0)
    return [g * scale for g in grads], total
''',
        "no-eps-python-float": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / float(total))
    return [g * scale for g in grads], total
''',
        "in-place-like-torch": '''
def clip_grad_norm(grads, max_norm):
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.mul_(scale)
    return grads, total
''',
        "library": '''
def clip_grad_norm(grads, max_norm):
    params = [torch.nn.Parameter(g.clone()) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], total
''',
    },
    "ex-residual-block": {
        "post-activation": '''
class ResidualBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.fc2(torch.relu(self.fc1(x))))
''',
        "always-projection": '''
class ResidualBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Linear(d_in, d_out, bias=False)

    def forward(self, x):
        return self.shortcut(x) + self.fc2(torch.relu(self.fc1(torch.relu(x))))
''',
        "no-inner-relu": '''
class ResidualBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    def forward(self, x):
        return self.shortcut(x) + self.fc2(self.fc1(torch.relu(x)))
''',
        "relu-on-shortcut": '''
class ResidualBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out, bias=False)

    def forward(self, x):
        x = torch.relu(x)
        return self.shortcut(x) + self.fc2(torch.relu(self.fc1(x)))
''',
        "projection-with-bias": '''
class ResidualBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_out)
        self.fc2 = nn.Linear(d_out, d_out)
        self.shortcut = nn.Identity() if d_in == d_out else nn.Linear(d_in, d_out)

    def forward(self, x):
        return self.shortcut(x) + self.fc2(torch.relu(self.fc1(torch.relu(x))))
''',
    },
}
